/*
 * worker.h: a worker process. After fork it builds its own event_base, a
 * channel to the coordinator and a thread pool, then runs the tasks it is
 * sent until told to stop or the coordinator goes away.
 */
#ifndef NGC_WORKERS_WORKER_H
#define NGC_WORKERS_WORKER_H

#include "engine/base/config.h"
#include "engine/reduce/output.h"
#include "engine/reduce/shm.h"
#include "engine/reduce/spill.h"

typedef struct {
    const ngc_config_t *cfg;
    ngc_shm_t *shm;
    const char *pg_stage;                 /* quoted staging table, with --pg */
    ngc_spill_t *spill;                   /* where partitions spill; each process its copy */
    const ngc_line_format_t *line_format; /* for format tasks; NULL without an output */
    const ngc_totals_t *pg_shares;        /* --normalize with --pg: the shares' divisors */
} ngc_worker_args_t;

/* The worker's whole life; its return value is the exit status. Passed to
 * ngc_proc_spawn as an ngc_proc_fn, with an ngc_worker_args_t as arg. */
int ngc_worker_main(unsigned slot, int fd, void *arg);

#endif
