/*
 * shm.h: the one shared region of a job: an anonymous MAP_SHARED mapping made
 * before the first fork, so every worker sees it at the same address and
 * nothing named outlives the job. Each shm module states its size and lays
 * itself out (PostgreSQL's size/init pairs).
 */
#ifndef NGC_ENGINE_REDUCE_SHM_H
#define NGC_ENGINE_REDUCE_SHM_H

#include <stdbool.h>

#include "engine/base/config.h"
#include "engine/reduce/counters.h"
#include "engine/ipc/stats.h"

typedef struct ngc_shm_s ngc_shm_t;

/* Maps and initializes the region for cfg and a plan of ntasks map tasks
 * (coordinator, before fork). On failure *unmappable (if not NULL) tells
 * whether the region could not be mapped at all: --memory is more than this
 * machine maps, a usage error. */
ngc_shm_t *ngc_shm_new(const ngc_config_t *cfg, uint32_t ntasks, bool *unmappable);
void ngc_shm_free(ngc_shm_t *shm);
ngc_stats_t *ngc_shm_stats(const ngc_shm_t *shm);
ngc_counters_t *ngc_shm_counters(const ngc_shm_t *shm);

#endif
