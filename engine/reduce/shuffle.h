/*
 * shuffle.h: the three steps of a job split over a cluster's job arrays
 * (tools/slurm-count), which meet in files on shared storage:
 *
 *   map     --partitions R --partition-dir D FILES: a whole engine run whose
 *           totals go to D/part-00000 .. part-(R-1), each the keys whose
 *           hash falls to it, by key, in the spill run format (runs.h);
 *   reduce  --merge-partitions M --partition r -o T: part-r of every map
 *           directory in M, merged by key and summed (a total past 2^64-1 is
 *           an error), --min-count applied, to the run file T;
 *   final   --merge-totals DIR: DIR's run files (each key in one of them)
 *           loaded into the reduce table and printed as one run would.
 *
 * DESIGN: a step's output is complete or absent. A map writes into a hidden
 * sibling of D of its own (".NAME.partial.PID.XXXXXX") and renames the
 * directory when every file is synced; a reduce writes such a file beside T
 * and renames it. A step whose output is already there does nothing, so a
 * rerun (a requeue, a resume) never counts anything twice; two copies of a
 * task never share a temporary, and the first to publish wins. Hidden
 * leftovers of killed attempts are never read by the next step, and are
 * removed when the task's output is published.
 * Partition files hold host-order numbers: every node of a job must share
 * one byte order (as any x86-64 or ARM64 cluster does).
 */
#ifndef NGC_ENGINE_REDUCE_SHUFFLE_H
#define NGC_ENGINE_REDUCE_SHUFFLE_H

#include <signal.h>
#include <stdbool.h>

#include "engine/base/config.h"
#include "engine/reduce/counters.h"
#include "engine/reduce/spill.h"

/* The partition (0..nparts-1) of a key: stable across runs and machines. */
unsigned ngc_shuffle_partition(const char *key, size_t len, unsigned nparts);

/* Before a map runs: *done when its directory is already complete (then
 * it says so); else removes a killed attempt's partial directory. NGC_OK
 * or NGC_ERROR after a message. */
int ngc_shuffle_map_begin(const ngc_config_t *cfg, bool *done);
/* After a map's run: writes the sorted table c (and the spill directory's
 * final runs) as cfg->partitions partition files and publishes the
 * directory. NGC_OK, NGC_AGAIN (*stop became non-zero) or NGC_ERROR after
 * a message; on failure nothing is published. */
int ngc_shuffle_map_write(const ngc_config_t *cfg, const ngc_counters_t *c, ngc_spill_t *sp,
                          volatile sig_atomic_t *stop);

/* A reduce, start to end: returns the exit status. */
int ngc_shuffle_reduce(const ngc_config_t *cfg, volatile sig_atomic_t *stop);

/* The final step's input: loads every run file of cfg->merge_totals into c
 * (task 0 of a table made for one task), spilling to sp when it is full,
 * then sorts every partition in cfg's order (spilled ones into final
 * runs). NGC_OK, NGC_AGAIN (*stop) or NGC_ERROR after a message. */
int ngc_shuffle_load(const ngc_config_t *cfg, ngc_counters_t *c, ngc_spill_t *sp,
                     volatile sig_atomic_t *stop);

#endif
