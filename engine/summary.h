/*
 * summary.h: the --stats report on standard error, as text or one JSON
 * object: wall time, input, distinct ngrams, malformed lines (the first few
 * as FILE:LINE), and each worker's share.
 */
#ifndef NGC_ENGINE_SUMMARY_H
#define NGC_ENGINE_SUMMARY_H

#include "engine/config.h"
#include "engine/coordinator.h"
#include "engine/plan.h"
#include "engine/shm.h"

/* Coordinator only, after the run. */
void ngc_summary_print(const ngc_config_t *cfg, const ngc_plan_t *plan, const ngc_shm_t *shm,
                       ngc_coord_t *co, double wall_seconds, uint64_t output_lines);
/* The warning printed without --stats when lines were malformed. */
void ngc_summary_warn_malformed(const ngc_plan_t *plan, const ngc_shm_t *shm, ngc_coord_t *co);

#endif
