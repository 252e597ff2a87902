/*
 * runs.h: spilled runs, the reduce table's overflow on disk. A run is a
 * binary file of entries (key length, match, volume, key bytes) in one
 * order: by key for a partition's spills, in output order for a spilled
 * partition's final runs. Files live in the job's spill directory, named
 * by partition and number, and die with it.
 */
#ifndef NGC_ENGINE_RUNS_H
#define NGC_ENGINE_RUNS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/counters.h"

typedef enum { NGC_RUN_SPILL = 's', NGC_RUN_FINAL = 'f' } ngc_run_kind_t;

typedef struct ngc_run_writer_s ngc_run_writer_t;
typedef struct ngc_run_reader_s ngc_run_reader_t;

/* The path of a run: DIR/pNN-KIND-IDX. */
void ngc_run_path(char *buf, size_t cap, const char *dir, unsigned part, ngc_run_kind_t kind,
                  uint32_t idx);

/* Creates (or truncates) the run at path. NULL with err filled. */
ngc_run_writer_t *ngc_run_writer_open(const char *path, char *err, size_t cap);
/* Appends one entry. NGC_OK or NGC_ERROR (see ngc_run_writer_error). */
int ngc_run_writer_add(ngc_run_writer_t *w, const char *key, uint32_t len, uint64_t match,
                       uint64_t volume);
/* Flushes and closes: NGC_OK, or NGC_ERROR (a full disk...). Bytes written
 * go to *bytes. */
int ngc_run_writer_close(ngc_run_writer_t *w, uint64_t *bytes);
/* "cannot write 'path': reason". */
const char *ngc_run_writer_error(const ngc_run_writer_t *w);
/* Frees; a run not closed successfully is removed. Accepts NULL. */
void ngc_run_writer_free(ngc_run_writer_t *w);

/* Opens a run for reading. NULL with err filled. */
ngc_run_reader_t *ngc_run_reader_open(const char *path, char *err, size_t cap);
/* The next entry (its key valid until the next call; prefix set):
 * NGC_OK, NGC_EOF, or NGC_ERROR for a damaged file (see the error). */
int ngc_run_reader_next(ngc_run_reader_t *r, ngc_entry_t *e);
const char *ngc_run_reader_error(const ngc_run_reader_t *r);
void ngc_run_reader_free(ngc_run_reader_t *r);

/*
 * Finishes spilled partition `part` (every entry in its runs): a k-way
 * merge by key sums each key over the runs, drops totals below min_count,
 * and writes the result in output order as final runs (one for --sort
 * ngram; else runs of up to `budget` bytes each, sorted in memory, and cut
 * at `top` entries when top > 0), then publishes them. NGC_OK (*bytes
 * written), or NGC_ERROR with err filled. Idempotent until published.
 */
int ngc_runs_finish(ngc_counters_t *c, unsigned part, const char *dir, ngc_order_t order,
                    uint64_t min_count, uint64_t top, size_t budget, uint64_t *bytes,
                    char *err, size_t cap);

/*
 * A source of a finished partition's entries in output order: its sorted
 * array in shared memory, or one of its final runs.
 */
typedef struct {
    ngc_entry_t e;          /* the current entry, after ngc_source_next */
    const ngc_counters_t *c;
    unsigned part;
    size_t idx, n;          /* in memory */
    ngc_run_reader_t *r;    /* or on disk */
} ngc_source_t;

/* The sources of partitions first..first+nparts-1 (empty ones left out).
 * NGC_OK, or NGC_ERROR with err filled. */
int ngc_sources_open(const ngc_counters_t *c, unsigned first, unsigned nparts, const char *dir,
                     ngc_source_t **out, size_t *count, char *err, size_t cap);
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

/* Removes the spill directory and every run in it. Accepts NULL. */
void ngc_runs_remove_dir(const char *dir);

#endif
