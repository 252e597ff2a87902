/*
 * map.h: a map task's private combiner table, ngram -> (match, volume),
 * open addressing with cached hashes and keys copied into arena blocks; a
 * table that finds almost no repeats turns into an append-only log (see
 * map.c), so ngc_map_count counts entries, not always distinct keys.
 * Single-threaded: one task's parse jobs use it one at a time.
 */
#ifndef NGC_WORKERS_MAP_H
#define NGC_WORKERS_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/reduce/counters.h"

typedef struct ngc_map_s ngc_map_t;

ngc_map_t *ngc_map_new(void);
void ngc_map_free(ngc_map_t *m);
/* Which totals the job counts: only those may fail on overflow (see
 * ngc_counters_add). NGC_COUNT_BOTH, the strictest, until set. */
void ngc_map_set_count(ngc_map_t *m, ngc_count_t count);
/* Keeps the table combining whatever its hit rate: for a caller whose
 * output is the table's entries (a streaming map or combiner), where fewer
 * lines out is the point. */
void ngc_map_always_combine(ngc_map_t *m);
/* Adds to key's totals (copying key on first sight). NGC_OK, NGC_ERROR when
 * a counted total would pass 2^64-1, or NGC_FULL when memory runs out. */
int ngc_map_add(ngc_map_t *m, const char *key, uint32_t len, uint64_t match,
                uint64_t volume);
/* The same, for a caller that has the key's hash (ngc_counters_hash). */
int ngc_map_add_hashed(ngc_map_t *m, const char *key, uint32_t len, uint64_t hash,
                       uint64_t match, uint64_t volume);
/* Starts fetching the slot of a key with this hash, added soon: a caller
 * that knows its next keys overlaps their cache misses. */
void ngc_map_prefetch(const ngc_map_t *m, uint64_t hash);
size_t ngc_map_count(const ngc_map_t *m);
/* Bytes the table holds for its entries (slots, keys, and the merge's
 * partitioned copy of them), the measure of its budget. */
size_t ngc_map_bytes(const ngc_map_t *m);
/* Whether the table is a log long enough to merge now (see map.c): its
 * memory would buy nothing more. */
bool ngc_map_wants_merge(const ngc_map_t *m);
/* All entries grouped by partition: partition k is kv[start[k]..start[k+1]),
 * rearranged in place (the next add first rebuilds the table). Valid until
 * the next add or reset. Never NULL. */
const ngc_kv_t *ngc_map_partitioned(ngc_map_t *m, size_t start[NGC_COUNTERS_PARTS + 1]);
/* Empties the table, keeping its memory for the next task. */
void ngc_map_reset(ngc_map_t *m);

#endif
