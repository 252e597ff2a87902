/*
 * coordinator.h: the coordinator's event loop. It hands map tasks, then sort
 * tasks, to whichever worker has a free thread, collects their results,
 * draws progress, and turns signals and worker deaths into a clean stop.
 *
 * DESIGN: one event_base, created after the workers are forked. Channel,
 * signal and timer callbacks turn what happened into the scheduler core's
 * events (sched.h), then carry out the actions it returns: send a task,
 * replace a worker, start the next phase, stop. The coordinator reads shared
 * memory (progress counters, the final table) but never writes it.
 */
#ifndef NGC_ENGINE_COORDINATOR_COORDINATOR_H
#define NGC_ENGINE_COORDINATOR_COORDINATOR_H

#include <stddef.h>
#include <stdint.h>

#include "engine/base/config.h"
#include "engine/reduce/output.h"
#include "engine/coordinator/plan.h"
#include "engine/ipc/proc.h"
#include "engine/coordinator/progress.h"
#include "engine/reduce/ranges.h"
#include "engine/reduce/shm.h"

typedef struct ngc_coord_s ngc_coord_t;

typedef enum {
    NGC_COORD_OK,          /* every task done: the table is complete and sorted */
    NGC_COORD_FAILED,      /* a task or a worker failed; message printed */
    NGC_COORD_INTERRUPTED, /* SIGINT, SIGTERM, SIGHUP, SIGUSR1/2; see ngc_coord_signal */
} ngc_coord_result_t;

/* A malformed line, resolved to its file and line number. */
typedef struct {
    uint32_t file_id;
    uint64_t line;
    uint32_t reason;
} ngc_coord_sample_t;

/* Exact counts of the run, from the tasks' DONE messages. */
typedef struct {
    uint64_t lines;
    uint64_t malformed;
    uint64_t filtered;
    uint64_t dropped;
    uint64_t tokens;  /* --text */
    uint64_t retries; /* task attempts that had to be repeated */
} ngc_coord_totals_t;

/* Borrows everything; the workers in procs are already running, started
 * with spawn_fn(spawn_arg), which also starts their replacements. */
ngc_coord_t *ngc_coord_new(const ngc_config_t *cfg, ngc_plan_t *plan, ngc_shm_t *shm,
                           ngc_proc_table_t *procs, ngc_proc_fn spawn_fn, void *spawn_arg);
void ngc_coord_free(ngc_coord_t *co);
/* The job writes an output: after the sort phase the workers may format
 * it, range by range (ranges.h), and the ranges done may be written to a
 * temporary file while the others are formatted. Before ngc_coord_run. */
void ngc_coord_set_output(ngc_coord_t *co, ngc_output_t *out);
/* Wall seconds of the map, sort, load and format phases (in that order);
 * 0 for one that did not run. */
void ngc_coord_timings(const ngc_coord_t *co, double secs[4]);
/* The progress line, or NULL when none is shown: main goes on with it
 * through the output. Freed with co. */
ngc_progress_t *ngc_coord_progress(ngc_coord_t *co);
/* After a run that went well, the formatted ranges to write in order, or
 * NULL when the output is to be merged by ngc_output_write. Freed with co. */
ngc_ranges_t *ngc_coord_ranges(const ngc_coord_t *co);
/* Runs the job to its end; every worker has exited when it returns. */
ngc_coord_result_t ngc_coord_run(ngc_coord_t *co);
/* The signal that interrupted the run. */
int ngc_coord_signal(const ngc_coord_t *co);
/* How messages say a run stopped by sig: "interrupted", "terminated", "hung
 * up"... The run exits 128 + sig. */
const char *ngc_coord_signal_name(int sig);
void ngc_coord_totals(const ngc_coord_t *co, ngc_coord_totals_t *out);
/* Why the run failed or stopped, in one line, into buf. */
void ngc_coord_failure(const ngc_coord_t *co, char *buf, size_t cap);
/* Up to NGC_MSG_SAMPLES malformed lines, first in input order. */
unsigned ngc_coord_samples(ngc_coord_t *co, ngc_coord_sample_t *out, unsigned cap);
/* The name of a file for messages: its path, or "(standard input)". */
const char *ngc_coord_file_name(const ngc_plan_t *plan, uint32_t file_id);

#endif
