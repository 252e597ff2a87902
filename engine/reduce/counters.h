/*
 * counters.h: the shared reduce table: ngram -> (match, volume) totals in
 * N partitions, each an open-addressing hash table with its own robust lock.
 *
 * DESIGN: the coordinator sizes and initializes the table before the first
 * fork and afterwards only reads it, once every merge and sort is done.
 * Workers merge a batch of entries into one partition per lock acquisition
 * (never a lock per key), then, in the sort phase, each partition's entries
 * are put in output order by one worker. All memory (slot arrays and key bytes)
 * comes from one fixed pool inside the region, so a table that outgrows
 * --memory fails with NGC_FULL instead of growing without bound. Offsets,
 * not pointers, are stored, so the layout is position-independent.
 * A worker may die anywhere, even holding a lock: merges are journaled and
 * committed per (task, partition), so each task counts exactly once however
 * often it runs (see counters.c).
 */
#ifndef NGC_ENGINE_REDUCE_COUNTERS_H
#define NGC_ENGINE_REDUCE_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/reduce/entry.h"
#include "engine/base/config.h"
#include "engine/reduce/spill.h"

typedef struct ngc_counters_s ngc_counters_t;

/* One ngram and its counts, as the map phase hands it to the merge. */
typedef struct {
    const char *key; /* not owned; len bytes, any content */
    uint32_t len;
    uint32_t part; /* ngc_counters_partition(hash) */
    uint64_t hash; /* ngc_counters_hash(key, len) */
    uint64_t match;
    uint64_t volume;
} ngc_kv_t;

#define NGC_COUNTERS_PARTS 64

/* The output order: by the counted total (--count) unless --sort ngram. */
typedef struct {
    ngc_count_t count;
    ngc_sort_t sort;
} ngc_order_t;

static inline ngc_order_t ngc_counters_order_of(const ngc_config_t *cfg)
{
    return (ngc_order_t){cfg->count, cfg->sort};
}

/*
 * Adds the counts m and v to the totals *match and *volume. Only a total
 * that --count counts (prints, sorts and filters by) fails when it would
 * pass 2^64-1: false, and nothing is changed. One that is not counted
 * stays at UINT64_MAX instead: it is never printed (--pg, which stores
 * both, refuses it as past bigint). Any thread.
 */
static inline bool ngc_counters_add(ngc_count_t count, uint64_t *match, uint64_t *volume,
                                    uint64_t m, uint64_t v)
{
    uint64_t mt, vt;
    bool mo = __builtin_add_overflow(*match, m, &mt);
    bool vo = __builtin_add_overflow(*volume, v, &vt);
    if ((mo && count != NGC_COUNT_VOLUME) || (vo && count != NGC_COUNT_MATCH))
        return false;
    *match = mo ? UINT64_MAX : mt;
    *volume = vo ? UINT64_MAX : vt;
    return true;
}

/* Bytes the table takes when given a budget of `memory` bytes: all of it. */
size_t ngc_counters_shm_size(uint64_t memory);
/* Lays out the table in `size` bytes at `at` for a job of ntasks map tasks
 * that counts `count` (which totals may fail on overflow, as
 * ngc_counters_add); without `volumes` the table keeps no volume totals
 * (8 bytes less a key; entries then report volume 0). Coordinator, before
 * fork. */
ngc_counters_t *ngc_counters_shm_init(void *at, size_t size, uint32_t ntasks, ngc_count_t count,
                                      bool volumes);

/* The input bytes map task `task` reads (a compressed file's size on disk
 * will do: only shares of the whole count), which let a partition that
 * must grow guess how many keys the job will bring; without them for every
 * task, tables grow by doubling. Coordinator, before fork. */
void ngc_counters_set_task_bytes(ngc_counters_t *c, uint32_t task, uint64_t bytes);

uint64_t ngc_counters_hash(const char *key, size_t len);
unsigned ngc_counters_partition(uint64_t hash);

/*
 * Adds batch number `batch` (1, 2, ... in order) of task's entries, n of
 * them, all of partition `part`, under that partition's lock, unless the
 * task already committed that batch there (an earlier attempt: a retry
 * cuts its input into the same batches). NGC_OK; NGC_FULL when the pool is
 * exhausted; NGC_ERROR when a counted total would pass 2^64-1 (*bad is set
 * to the entry; see ngc_counters_add). On failure nothing is changed. attempt only arms failpoints.
 * Any worker thread.
 */
int ngc_counters_merge(ngc_counters_t *c, unsigned part, uint32_t task, uint32_t batch,
                       uint32_t attempt, const ngc_kv_t *kv, size_t n, const ngc_kv_t **bad);
/* Whether task's batch `batch` of `part` is in the table. Any process. */
bool ngc_counters_committed(const ngc_counters_t *c, unsigned part, uint32_t task, uint32_t batch);
/* Batches rolled back after a worker died mid-merge. */
uint64_t ngc_counters_repairs(const ngc_counters_t *c);

/* Puts partition `part`'s totals of at least min_count (by order.count) in
 * output order: an array of their offsets, over entries copied in that
 * order when the pool has room, else read where they are (once; later calls
 * do nothing). After every merge. NGC_OK, NGC_ERROR, or NGC_AGAIN for a
 * partition that has spilled, to be finished from its runs. task/attempt
 * only arm failpoints. */
int ngc_counters_sort(ngc_counters_t *c, unsigned part, ngc_order_t order, uint64_t min_count,
                      uint32_t task, uint32_t attempt);

/*
 * Spilling, when the keys outgrow --memory: writes partition `part`'s
 * entries, sorted by key, as its next run in the spill directory and
 * empties it (its memory is then reused by the same partition). NGC_OK
 * (*bytes written) or NGC_ERROR with err filled (a full disk). Crash-safe:
 * the table is emptied only after the run is complete and published. Any
 * worker thread.
 */
int ngc_counters_spill(ngc_counters_t *c, unsigned part, ngc_spill_t *sp, uint64_t *bytes,
                       char *err, size_t cap);
/*
 * For a batch that does not fit even in an emptied table: writes batch
 * `batch` of task's entries of partition `part` (as for ngc_counters_merge)
 * straight to the partition's next run, sorted by key, and publishes the
 * run and commits the batch in one critical section (a death in between
 * unpublishes the run), unless the task already committed that batch
 * there. The table is not touched. NGC_OK (*bytes written) or NGC_ERROR
 * with err filled. attempt only arms failpoints. Any worker thread.
 */
int ngc_counters_spill_batch(ngc_counters_t *c, unsigned part, uint32_t task, uint32_t batch,
                             uint32_t attempt, const ngc_kv_t *kv, size_t n, ngc_spill_t *sp,
                             uint64_t *bytes, char *err, size_t cap);
/* Runs partition `part` has spilled (pNN-s-0 .. pNN-s-(n-1)). */
uint32_t ngc_counters_runs(const ngc_counters_t *c, unsigned part);
/* Marks a spilled partition finished: its result is in nfinal runs in
 * output order (pNN-f-0...), of `distinct` keys in all. Once. */
void ngc_counters_publish_final(ngc_counters_t *c, unsigned part, uint32_t nfinal,
                                uint64_t distinct);
/* A finished partition's final runs (0 for one sorted in memory). */
uint32_t ngc_counters_finals(const ngc_counters_t *c, unsigned part);
/* Distinct ngrams in the table (before --min-count). Read after the merges. */
uint64_t ngc_counters_distinct(const ngc_counters_t *c);
/* Bytes of the pool in use (high-water mark). */
uint64_t ngc_counters_used(const ngc_counters_t *c);
uint64_t ngc_counters_capacity(const ngc_counters_t *c);
/* Entries of a sorted partition, and the idx-th of them. */
size_t ngc_counters_sorted_count(const ngc_counters_t *c, unsigned part);
void ngc_counters_entry(const ngc_counters_t *c, unsigned part, size_t idx, ngc_entry_t *out);
/* The output order: the count (match, volume, or match then volume)
 * descending unless --sort ngram, then the key bytes ascending, a prefix
 * before its extensions. pa and pb: the keys' ngc_entry_prefix, or 0 in
 * both. */
static inline int ngc_counters_order(ngc_order_t order, uint64_t ma, uint64_t va, uint64_t pa,
                                     const char *ka, size_t la, uint64_t mb, uint64_t vb,
                                     uint64_t pb, const char *kb, size_t lb)
{
    if (order.sort == NGC_SORT_COUNT) {
        uint64_t a = order.count == NGC_COUNT_VOLUME ? va : ma;
        uint64_t b = order.count == NGC_COUNT_VOLUME ? vb : mb;
        if (a != b)
            return a > b ? -1 : 1;
        if (order.count == NGC_COUNT_BOTH && va != vb)
            return va > vb ? -1 : 1;
    }
    if (pa != pb)
        return pa < pb ? -1 : 1;
    size_t n = la < lb ? la : lb;
    int r = memcmp(ka, kb, n);
    if (r != 0)
        return r;
    return la < lb ? -1 : la > lb;
}

/* Output order: negative if a comes first. Inline: the output merge's heap
 * calls it at every step (a call cost 7% of the 2-gram format phase). */
static inline int ngc_counters_compare(const ngc_entry_t *a, const ngc_entry_t *b,
                                       ngc_order_t order)
{
    return ngc_counters_order(order, a->match, a->volume, a->prefix, a->key, a->len, b->match,
                              b->volume, b->prefix, b->key, b->len);
}

#endif
