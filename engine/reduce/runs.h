/*
 * runs.h: the merges over spilled runs (runfile.h) and the sorted
 * partitions of the reduce table: finishing a spilled partition into final
 * runs, and the sources and heap that read partitions and runs in output
 * order. A merge reads at most a fan-in of runs at once
 * (ngc_spill_fan_in): more are merged in passes through intermediate runs.
 */
#ifndef NGC_ENGINE_REDUCE_RUNS_H
#define NGC_ENGINE_REDUCE_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/reduce/counters.h"
#include "engine/reduce/runfile.h"
#include "engine/reduce/spill.h"

/*
 * Finishes spilled partition `part` (every entry in its runs): a k-way
 * merge by key sums each key over the runs, drops totals below min_count,
 * and writes the result in output order as final runs (one for --sort
 * ngram; else runs of up to `budget` bytes each, sorted in memory, and cut
 * at `top` entries when top > 0), then publishes them and removes the
 * spilled runs. Reads at most fan_in runs at once: more are first merged
 * by key, fan_in at a time, into intermediate runs (pNN-mPASS-IDX), in as
 * many passes as it takes. NGC_OK (*bytes written), or NGC_ERROR with err
 * filled. Idempotent until published. task and attempt name the sort task,
 * for the failpoint NGC_FP_CRASH_IN_SORT (between the final runs and their
 * publication).
 */
int ngc_runs_finish(ngc_counters_t *c, unsigned part, ngc_spill_t *sp, ngc_order_t order,
                    uint64_t min_count, uint64_t top, size_t budget, size_t fan_in, uint32_t task,
                    uint32_t attempt, uint64_t *bytes, char *err, size_t cap);

/*
 * A source of a finished partition's entries in output order: its sorted
 * array in shared memory, or a run in the spill directory, opened at its
 * first entry and closed after its last (so reading sources one after
 * another holds one descriptor).
 */
typedef struct {
    ngc_entry_t e; /* the current entry, after ngc_runs_source_next */
    const ngc_counters_t *c;
    unsigned part;
    size_t idx, n;   /* in memory */
    ngc_spill_t *sp; /* or on disk: run `name` */
    char name[NGC_RUN_NAME_MAX];
    ngc_run_reader_t *r; /* while it is being read */
    bool ended;
    char error[256]; /* why it could not be opened */
} ngc_runs_source_t;

/* The sources of partitions first..first+nparts-1 (empty ones left out);
 * opens nothing. NGC_OK, or NGC_ERROR with err filled. */
int ngc_runs_sources_open(const ngc_counters_t *c, unsigned first, unsigned nparts, ngc_spill_t *sp,
                          ngc_runs_source_t **out, size_t *count, char *err, size_t cap);
/* When more than fan_in of the sources *src[0..*count) are runs, merges
 * them in `order`, fan_in at a time, into intermediate runs (oPASS-IDX,
 * each cut at `top` entries when top > 0; the runs merged are removed),
 * until at most fan_in are left; *src and *count then list the new
 * sources. NGC_OK, or NGC_ERROR with err filled. */
int ngc_runs_sources_bound(ngc_runs_source_t **src, size_t *count, ngc_spill_t *sp,
                           ngc_order_t order, uint64_t top, size_t fan_in, char *err, size_t cap);
/* Moves to the next entry: NGC_OK, NGC_EOF or NGC_ERROR (a damaged run). */
int ngc_runs_source_next(ngc_runs_source_t *s);
const char *ngc_runs_source_error(const ngc_runs_source_t *s);
void ngc_runs_sources_free(ngc_runs_source_t *s, size_t n);
/* Reads each source's first entry and makes heap[0..*n) a min-heap of the
 * non-empty ones in `order`. NGC_OK, or NGC_ERROR with err filled. */
int ngc_runs_heap(ngc_runs_source_t *src, size_t nsrc, ngc_order_t order, ngc_runs_source_t **heap,
                  size_t *n, char *err, size_t cap);
/* Moves heap[0] to its next entry (dropping it at its end) and restores the
 * heap. NGC_OK, or NGC_ERROR with err filled (a damaged run). */
int ngc_runs_heap_advance(ngc_runs_source_t **heap, size_t *n, ngc_order_t order, char *err,
                          size_t cap);

#endif
