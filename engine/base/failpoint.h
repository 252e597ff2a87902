/*
 * failpoint.h: named places where a test can make the engine fail on
 * purpose. Compiled into every build, inert unless NGC_FAILPOINTS names
 * them. This header is the one place they are documented.
 *
 *   NGC_FAILPOINTS="name[@task=N][@attempt=K][:action][,name...]"
 *
 * task:    the map, sort or format task id (plan order; sort and format
 *          tasks are numbered from 0 in their own phase); default: any task.
 * attempt: 1 for a task's first run, 2 for its first retry...; default 1,
 *          so a retry succeeds; "@attempt=0" fires on every attempt.
 * action:  kill (SIGKILL, the default), segv, abort, exit (exit status 3).
 *
 *   worker.crash_in_map    during a map task, after its first buffer is mapped
 *   worker.crash_in_merge  halfway through a partition's batch, holding the
 *                          partition lock (the next locker repairs it); for
 *                          a batch written straight to a run, between the
 *                          run's publication and the batch's commit
 *   worker.crash_in_grow   halfway through moving a partition's entries to
 *                          its doubled slot array, at the start of a batch,
 *                          holding the partition lock
 *   worker.crash_in_sort   halfway through writing a partition's sorted
 *                          order over its slot array, before publishing it,
 *                          holding the partition lock; for a spilled
 *                          partition, after its final runs are written,
 *                          before they are published
 *   worker.crash_after_send right after sending a task's DONE message
 *   worker.stall           the task never finishes (a pool thread sleeps);
 *                          --task-timeout must catch it
 *   worker.corrupt_frame   sends a frame with a bad version instead of DONE
 *   worker.crash_in_load   in the middle of a COPY into PostgreSQL (--pg);
 *                          load tasks are numbered from 0 in their phase
 *   worker.drop_in_load    cuts the worker's connection in the middle of its
 *                          first COPY try (a transient loss: it reconnects)
 *   worker.stall_in_load   a load that stops once connected (the connection
 *                          stays open until --task-timeout)
 *   worker.spill_enospc    every write of a spilled run fails with ENOSPC,
 *                          as on a full disk (task and attempt are ignored)
 *   worker.crash_in_format halfway through an output range, its first half
 *                          already in its window; format tasks are the
 *                          ranges, numbered from 0 in their phase
 *   worker.crash_after_load right after a load task's transaction committed,
 *                          before its DONE: the retry must not load it again
 *   reduce.crash_in_merge  a --merge-partitions reduce, after 1000 merged
 *                          totals went to its temporary file (or before
 *                          the last one); task: the --partition number
 *   coord.crash_in_pg_key  the coordinator, while the server builds the
 *                          new table's primary key (--pg-mode replace)
 *   coord.crash_in_pg_swap the coordinator, in the final transaction, after
 *                          the new table took the target's place, before
 *                          the commit (task and attempt are ignored for both)
 *
 * NGC_TEST_DELAY_MS=N slows a run down for the progress bar's tests: each
 * worker task starts N ms late, and the coordinator's serial output pauses
 * N ms every 4096 lines.
 */
#ifndef NGC_ENGINE_BASE_FAILPOINT_H
#define NGC_ENGINE_BASE_FAILPOINT_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    NGC_FP_CRASH_IN_MAP,
    NGC_FP_CRASH_IN_MERGE,
    NGC_FP_CRASH_IN_SORT,
    NGC_FP_CRASH_AFTER_SEND,
    NGC_FP_STALL,
    NGC_FP_CORRUPT_FRAME,
    NGC_FP_CRASH_IN_LOAD,
    NGC_FP_DROP_IN_LOAD,
    NGC_FP_STALL_IN_LOAD,
    NGC_FP_SPILL_ENOSPC,
    NGC_FP_CRASH_IN_GROW,
    NGC_FP_CRASH_IN_FORMAT,
    NGC_FP_CRASH_AFTER_LOAD,
    NGC_FP_PG_CRASH_IN_KEY,
    NGC_FP_PG_CRASH_IN_SWAP,
    NGC_FP_REDUCE_CRASH_IN_MERGE,
    NGC_FP_COUNT
} ngc_failpoint_t;

/* Reads NGC_FAILPOINTS; NGC_ERROR (message printed) if it names an unknown
 * failpoint or is malformed. Main thread, before fork. */
int ngc_failpoint_init(void);
/* Whether fp is armed for this task and attempt. Any thread. */
bool ngc_failpoint_armed(ngc_failpoint_t fp, uint32_t task, uint32_t attempt);
/* Carries out fp's action if armed (kill, segv, abort, exit); else returns. */
void ngc_failpoint_check(ngc_failpoint_t fp, uint32_t task, uint32_t attempt);
/* Sleeps NGC_TEST_DELAY_MS, if set. */
void ngc_failpoint_delay(void);

#endif
