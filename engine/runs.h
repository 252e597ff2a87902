/*
 * runs.h: spilled runs, the reduce table's overflow on disk. A run is a
 * binary file of entries (key length, match, volume, key bytes) in one
 * order: by key for a partition's spills, in output order for a spilled
 * partition's final runs. Files live in the job's spill directory
 * (spill.h), opened by short names relative to it, and die with it. A merge
 * reads at most a fan-in of runs at once (ngc_spill_fan_in): more are
 * merged in passes through intermediate runs.
 */
#ifndef NGC_ENGINE_RUNS_H
#define NGC_ENGINE_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/counters.h"
#include "engine/spill.h"

typedef enum { NGC_RUN_SPILL = 's', NGC_RUN_FINAL = 'f' } ngc_run_kind_t;

typedef struct ngc_run_writer_s ngc_run_writer_t;
typedef struct ngc_run_reader_s ngc_run_reader_t;

/* Room for any run's name (a shuffle's output file is named by the user). */
#define NGC_RUN_NAME_MAX 256

/* The name of a partition's run in the spill directory: pNN-KIND-IDX. */
void ngc_run_name(char name[NGC_RUN_NAME_MAX], unsigned part, ngc_run_kind_t kind, uint32_t idx);

/* Creates (or truncates) run `name` in the spill directory, making the
 * directory if no process has yet. NULL with err filled. Any thread. */
ngc_run_writer_t *ngc_run_writer_open(ngc_spill_t *sp, const char *name, char *err, size_t cap);
/* Appends one entry. NGC_OK or NGC_ERROR (see ngc_run_writer_error). */
int ngc_run_writer_add(ngc_run_writer_t *w, const char *key, uint32_t len, uint64_t match,
                       uint64_t volume);
/* Flushes and closes: NGC_OK, or NGC_ERROR (a full disk...). Bytes written
 * go to *bytes. */
int ngc_run_writer_close(ngc_run_writer_t *w, uint64_t *bytes);
/* "cannot write spill run 'path': reason". */
const char *ngc_run_writer_error(const ngc_run_writer_t *w);
/* Frees; a run not closed successfully is removed. Accepts NULL. */
void ngc_run_writer_free(ngc_run_writer_t *w);

/* Opens run `name` for reading. NULL with err filled. */
ngc_run_reader_t *ngc_run_reader_open(ngc_spill_t *sp, const char *name, char *err, size_t cap);
/* The next entry (its key valid until the next call; prefix set):
 * NGC_OK, NGC_EOF, or NGC_ERROR for a damaged file (see the error). */
int ngc_run_reader_next(ngc_run_reader_t *r, ngc_entry_t *e);
const char *ngc_run_reader_error(const ngc_run_reader_t *r);
void ngc_run_reader_free(ngc_run_reader_t *r);
/* Removes run `name`, if it is there. */
void ngc_run_remove(ngc_spill_t *sp, const char *name);

/*
 * Finishes spilled partition `part` (every entry in its runs): a k-way
 * merge by key sums each key over the runs, drops totals below min_count,
 * and writes the result in output order as final runs (one for --sort
 * ngram; else runs of up to `budget` bytes each, sorted in memory, and cut
 * at `top` entries when top > 0), then publishes them and removes the
 * spilled runs. Reads at most fan_in runs at once: more are first merged
 * by key, fan_in at a time, into intermediate runs (pNN-mPASS-IDX), in as
 * many passes as it takes. NGC_OK (*bytes written), or NGC_ERROR with err
 * filled. Idempotent until published.
 */
int ngc_runs_finish(ngc_counters_t *c, unsigned part, ngc_spill_t *sp, ngc_order_t order,
                    uint64_t min_count, uint64_t top, size_t budget, size_t fan_in,
                    uint64_t *bytes, char *err, size_t cap);

/*
 * A source of a finished partition's entries in output order: its sorted
 * array in shared memory, or a run in the spill directory, opened at its
 * first entry and closed after its last (so reading sources one after
 * another holds one descriptor).
 */
typedef struct {
    ngc_entry_t e;          /* the current entry, after ngc_source_next */
    const ngc_counters_t *c;
    unsigned part;
    size_t idx, n;          /* in memory */
    ngc_spill_t *sp;        /* or on disk: run `name` */
    char name[NGC_RUN_NAME_MAX];
    ngc_run_reader_t *r;    /* while it is being read */
    bool ended;
    char error[256];        /* why it could not be opened */
} ngc_source_t;

/* The sources of partitions first..first+nparts-1 (empty ones left out);
 * opens nothing. NGC_OK, or NGC_ERROR with err filled. */
int ngc_sources_open(const ngc_counters_t *c, unsigned first, unsigned nparts, ngc_spill_t *sp,
                     ngc_source_t **out, size_t *count, char *err, size_t cap);
/* When more than fan_in of the sources *src[0..*count) are runs, merges
 * them in `order`, fan_in at a time, into intermediate runs (oPASS-IDX,
 * each cut at `top` entries when top > 0; the runs merged are removed),
 * until at most fan_in are left; *src and *count then list the new
 * sources. NGC_OK, or NGC_ERROR with err filled. */
int ngc_sources_bound(ngc_source_t **src, size_t *count, ngc_spill_t *sp, ngc_order_t order,
                      uint64_t top, size_t fan_in, char *err, size_t cap);
/* Moves to the next entry: NGC_OK, NGC_EOF or NGC_ERROR (a damaged run). */
int ngc_source_next(ngc_source_t *s);
const char *ngc_source_error(const ngc_source_t *s);
void ngc_sources_free(ngc_source_t *s, size_t n);
/* Reads each source's first entry and makes heap[0..*n) a min-heap of the
 * non-empty ones in `order`. NGC_OK, or NGC_ERROR with err filled. */
int ngc_sources_heap(ngc_source_t *src, size_t nsrc, ngc_order_t order, ngc_source_t **heap,
                     size_t *n, char *err, size_t cap);
/* Moves heap[0] to its next entry (dropping it at its end) and restores the
 * heap. NGC_OK, or NGC_ERROR with err filled (a damaged run). */
int ngc_sources_advance(ngc_source_t **heap, size_t *n, ngc_order_t order, char *err,
                        size_t cap);

#endif
