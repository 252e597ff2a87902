/*
 * summary.h: the --stats report on standard error, as text or one JSON
 * object: wall time, input, distinct ngrams, malformed lines (the first few
 * as FILE:LINE), and each worker's share.
 */
#ifndef NGC_ENGINE_COORDINATOR_SUMMARY_H
#define NGC_ENGINE_COORDINATOR_SUMMARY_H

#include "engine/base/config.h"
#include "engine/coordinator/coordinator.h"
#include "engine/reduce/output.h"
#include "engine/coordinator/plan.h"
#include "engine/reduce/shm.h"

/* What --stats=json reports: whatever of the run got set up (NULL for the
 * parts that did not), how it ended, and how long each part took. */
typedef struct {
    const ngc_config_t *cfg;
    const ngc_plan_t *plan;
    const ngc_shm_t *shm;
    ngc_coord_t *co;
    const ngc_output_t *out;
    double wall_seconds, setup_seconds, output_seconds;
    int exit_status;
    const char *error; /* the first message of a failed run, or NULL */
} ngc_summary_run_t;

/* --stats=json: one JSON object on standard error, also for a failed run.
 * Coordinator only, after the run. */
void ngc_summary_json(const ngc_summary_run_t *r);
/* --stats (text). Coordinator only, after a run that went well. */
void ngc_summary_print(const ngc_config_t *cfg, const ngc_plan_t *plan, const ngc_shm_t *shm,
                       ngc_coord_t *co, double wall_seconds, uint64_t output_lines);
/* The warning printed without --stats when lines were malformed. */
void ngc_summary_warn_malformed(const ngc_plan_t *plan, const ngc_shm_t *shm, ngc_coord_t *co);

#endif
