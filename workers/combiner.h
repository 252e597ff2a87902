/*
 * map.h: a map task's private combiner table, ngram -> (match, volume),
 * open addressing with cached hashes and keys copied into arena blocks; a
 * table that finds almost no repeats turns into an append-only log (see
 * combiner.c), so ngc_combiner_count counts entries, not always distinct keys.
 * Single-threaded: one task's parse jobs use it one at a time.
 */
#ifndef NGC_WORKERS_COMBINER_H
#define NGC_WORKERS_COMBINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/reduce/counters.h"

typedef struct ngc_combiner_s ngc_combiner_t;

ngc_combiner_t *ngc_combiner_new(void);
void ngc_combiner_free(ngc_combiner_t *m);
/* Which totals the job counts: only those may fail on overflow (see
 * ngc_counters_add). NGC_COUNT_BOTH, the strictest, until set. */
void ngc_combiner_set_count(ngc_combiner_t *m, ngc_count_t count);
/* Keeps the table combining whatever its hit rate: for a caller whose
 * output is the table's entries (a streaming map or combiner), where fewer
 * lines out is the point. */
void ngc_combiner_always_combine(ngc_combiner_t *m);
/* Adds to key's totals (copying key on first sight). NGC_OK, NGC_ERROR when
 * a counted total would pass 2^64-1, or NGC_FULL when memory runs out. */
int ngc_combiner_add(ngc_combiner_t *m, const char *key, uint32_t len, uint64_t match,
                     uint64_t volume);
/* The same, for a caller that has the key's hash (ngc_counters_hash). */
int ngc_combiner_add_hashed(ngc_combiner_t *m, const char *key, uint32_t len, uint64_t hash,
                            uint64_t match, uint64_t volume);
/* Starts fetching the slot of a key with this hash, added soon: a caller
 * that knows its next keys overlaps their cache misses. */
void ngc_combiner_prefetch(const ngc_combiner_t *m, uint64_t hash);
size_t ngc_combiner_count(const ngc_combiner_t *m);
/* Bytes the table holds for its entries (slots, keys, and the merge's
 * partitioned copy of them), the measure of its budget. */
size_t ngc_combiner_bytes(const ngc_combiner_t *m);
/* Whether the table is a log long enough to merge now (see combiner.c): its
 * memory would buy nothing more. */
bool ngc_combiner_wants_merge(const ngc_combiner_t *m);
/* All entries grouped by partition: partition k is kv[start[k]..start[k+1]),
 * rearranged in place (the next add first rebuilds the table). Valid until
 * the next add or reset. Never NULL. */
const ngc_kv_t *ngc_combiner_partitioned(ngc_combiner_t *m, size_t start[NGC_COUNTERS_PARTS + 1]);
/* Empties the table, keeping its memory for the next task. */
void ngc_combiner_reset(ngc_combiner_t *m);
/* Empties the table and gives its memory back, but for a small slot array:
 * no more tasks like the last are coming. */
void ngc_combiner_release(ngc_combiner_t *m);

#endif
