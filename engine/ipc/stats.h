/*
 * stats.h: the job's counters in shared memory, one slot per worker (summed
 * when read, memcached-style), so writers never share a cache line.
 * Workers add with relaxed atomics; the coordinator only reads. They serve
 * progress and liveness: a failed attempt's counts stay in them, so exact
 * totals for --stats come from the tasks' DONE messages instead.
 */
#ifndef NGC_ENGINE_IPC_STATS_H
#define NGC_ENGINE_IPC_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* X(name, description) */
#define NGC_STATS_FIELDS(X)                                   \
    X(tasks, "map tasks finished")                            \
    X(bytes, "input bytes consumed (compressed for .gz)")     \
    X(lines, "input lines")                                   \
    X(malformed, "malformed lines skipped")                   \
    X(filtered, "lines outside --from-year/--to-year")        \
    X(dropped, "ngrams (runs of lines) dropped by --pos")     \
    X(runs, "runs of one ngram on consecutive lines")         \
    X(merged, "entries merged into the reduce table")         \
    X(spills, "partition runs spilled to disk")               \
    X(spill_bytes, "bytes of spilled and final runs written") \
    X(run_merge_ns, "nanoseconds merging spilled runs")       \
    X(url_bytes, "bytes downloaded from URLs")                \
    X(url_resumes, "downloads resumed with a Range request")  \
    X(url_retries, "download attempts after a failure")       \
    X(url_length, "Content-Length of the URLs begun")         \
    X(beats, "jobs finished: the coordinator's sign of life")

typedef struct {
#define NGC_STATS_SLOT_FIELD(name, desc) _Atomic uint64_t name;
    NGC_STATS_FIELDS(NGC_STATS_SLOT_FIELD)
#undef NGC_STATS_SLOT_FIELD
} __attribute__((aligned(64))) ngc_stats_slot_t;

typedef struct {
#define NGC_STATS_TOTAL_FIELD(name, desc) uint64_t name;
    NGC_STATS_FIELDS(NGC_STATS_TOTAL_FIELD)
#undef NGC_STATS_TOTAL_FIELD
} ngc_stats_totals_t;

typedef struct {
    uint32_t nslots;
    ngc_stats_slot_t slot[];
} ngc_stats_t;

/* Bytes of shm for nslots workers. */
size_t ngc_stats_shm_size(unsigned nslots);
/* Initializes the counters at `at` (coordinator, before fork). */
ngc_stats_t *ngc_stats_shm_init(void *at, unsigned nslots);
/* Adds to one worker's slot; any thread of that worker. */
#define ngc_stats_add(st, slotno, field, n) \
    atomic_fetch_add_explicit(&(st)->slot[(slotno)].field, (n), memory_order_relaxed)
/* Reads one slot, or the sum of all slots when slotno < 0. Any process. */
void ngc_stats_read(const ngc_stats_t *st, int slotno, ngc_stats_totals_t *out);

#endif
