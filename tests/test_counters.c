/*
 * test_counters.c: the shared reduce table (engine/reduce/counters.h) in a region
 * mapped by ngc_shm_new: merged totals against a sorted-array reference,
 * growth, overflow, NGC_FULL when --memory runs out, the output order of
 * ngc_counters_sort (by count and --sort ngram), numbered batches that a
 * retry skips once committed, and four processes merging into one table
 * at once.
 */
#include "engine/base/ngc.h"
#include "engine/base/config.h"
#include "engine/reduce/counters.h"
#include "engine/reduce/counters_layout.h"
#include "engine/base/failpoint.h"
#include "engine/reduce/runs.h"
#include "engine/reduce/shm.h"
#include "engine/reduce/spill.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

/* Every merge call is its own task: a (task, partition) pair counts once. */
#define NGC_T_TASKS 30000u
static uint32_t ngc_t_next_task;

static uint32_t ngc_t_task(void)
{
    ngc_t_next_task = (ngc_t_next_task + 1) % NGC_T_TASKS;
    return ngc_t_next_task;
}

#define NGC_T_MB (1ull << 20)

typedef struct {
    const char *key;
    uint32_t len;
    uint64_t match;
    uint64_t volume;
} ngc_t_item_t;

/* Regions still mapped, freed by the teardown when a test fails midway. */
static ngc_shm_t *ngc_t_live[4];

static void ngc_t_shm_free(ngc_shm_t *shm)
{
    for (size_t i = 0; i < NGC_NELEMS(ngc_t_live); i++)
        if (ngc_t_live[i] == shm)
            ngc_t_live[i] = NULL;
    ngc_shm_free(shm);
}

static int ngc_t_teardown(void **state)
{
    (void)state;
    ngc_counters_rehash_slots_max = NGC_HOME_FROM_FP; /* a test may lower it */
    for (size_t i = 0; i < NGC_NELEMS(ngc_t_live); i++)
        if (ngc_t_live[i] != NULL)
            ngc_t_shm_free(ngc_t_live[i]);
    return 0;
}

/* volumes: whether the table keeps volume totals (a --count match job
 * keeps them only for --pg); ntasks: the job's map tasks. */
static ngc_shm_t *ngc_t_shm_job(uint64_t memory, ngc_count_t count, bool volumes, uint32_t ntasks)
{
    ngc_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.count = count;
    cfg.pg_dsn = volumes ? "" : NULL;
    cfg.processes = 4;
    cfg.threads = 2;
    cfg.chunk_size = 8 * NGC_T_MB;
    cfg.memory = memory;
    cfg.from_year = 1;
    cfg.to_year = 9999;
    ngc_shm_t *shm = ngc_shm_new(&cfg, ntasks, NULL);
    for (size_t i = 0; shm != NULL && i < NGC_NELEMS(ngc_t_live); i++)
        if (ngc_t_live[i] == NULL) {
            ngc_t_live[i] = shm;
            break;
        }
    return shm;
}

static ngc_shm_t *ngc_t_shm_volumes(uint64_t memory, ngc_count_t count, bool volumes)
{
    return ngc_t_shm_job(memory, count, volumes, NGC_T_TASKS);
}

static ngc_shm_t *ngc_t_shm_count(uint64_t memory, ngc_count_t count)
{
    return ngc_t_shm_volumes(memory, count, true);
}

/* Most tests check both totals of every key. */
static ngc_shm_t *ngc_t_shm(uint64_t memory)
{
    return ngc_t_shm_count(memory, NGC_COUNT_MATCH);
}

#define NGC_T_ANY_TASK UINT32_MAX

/*
 * Merges items the way a worker does: grouped by partition, in batches of
 * at most `batch` entries per lock, as task `task` (NGC_T_ANY_TASK: a new
 * one for each batch). Returns the first result that is not NGC_OK. No
 * cmocka calls: it also runs in forked children.
 */
static int ngc_t_merge_as(ngc_counters_t *c, const ngc_t_item_t *it, size_t n, size_t batch,
                          uint32_t task)
{
    ngc_kv_t *kv = malloc((n ? n : 1) * sizeof(*kv));
    if (kv == NULL)
        return NGC_ERROR;
    size_t start[NGC_COUNTERS_PARTS + 1] = {0};
    for (size_t i = 0; i < n; i++)
        start[ngc_counters_partition(ngc_counters_hash(it[i].key, it[i].len)) + 1]++;
    for (unsigned k = 0; k < NGC_COUNTERS_PARTS; k++)
        start[k + 1] += start[k];
    size_t fill[NGC_COUNTERS_PARTS];
    memcpy(fill, start, sizeof(fill));
    for (size_t i = 0; i < n; i++) {
        uint64_t h = ngc_counters_hash(it[i].key, it[i].len);
        unsigned p = ngc_counters_partition(h);
        kv[fill[p]++] = (ngc_kv_t){it[i].key, it[i].len, p, h, it[i].match, it[i].volume};
    }
    int rc = NGC_OK;
    for (unsigned k = 0; k < NGC_COUNTERS_PARTS && rc == NGC_OK; k++)
        for (size_t s = start[k]; s < start[k + 1] && rc == NGC_OK; s += batch) {
            size_t cnt = start[k + 1] - s < batch ? start[k + 1] - s : batch;
            const ngc_kv_t *bad = NULL;
            rc = ngc_counters_merge(c, k, task == NGC_T_ANY_TASK ? ngc_t_task() : task, 1, 1,
                                    kv + s, cnt, &bad);
        }
    free(kv);
    return rc;
}

static int ngc_t_merge(ngc_counters_t *c, const ngc_t_item_t *it, size_t n, size_t batch)
{
    return ngc_t_merge_as(c, it, n, batch, NGC_T_ANY_TASK);
}

static int ngc_t_key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int r = memcmp(a, b, n);
    if (r != 0)
        return r;
    return (alen > blen) - (alen < blen);
}

static int ngc_t_item_cmp(const void *x, const void *y)
{
    const ngc_t_item_t *a = x, *b = y;
    return ngc_t_key_cmp(a->key, a->len, b->key, b->len);
}

/* Sorts items by key and sums duplicates in place; returns the distinct count. */
static size_t ngc_t_reduce(ngc_t_item_t *r, size_t n)
{
    qsort(r, n, sizeof(*r), ngc_t_item_cmp);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (out > 0 && ngc_t_item_cmp(&r[out - 1], &r[i]) == 0) {
            r[out - 1].match += r[i].match;
            r[out - 1].volume += r[i].volume;
        } else {
            r[out++] = r[i];
        }
    }
    return out;
}

/*
 * The output order, written from the documentation: the count (match, or
 * volume for --count volume) descending, then key bytes ascending as
 * unsigned bytes, a prefix first. --count both sorts by match; how it
 * breaks a match tie between different volumes is not specified, so that
 * case is reported as 0 ("either order").
 */
static int ngc_t_order(const ngc_t_item_t *a, const ngc_t_item_t *b, ngc_count_t order,
                       ngc_sort_t sort)
{
    if (sort == NGC_SORT_NGRAM) /* --sort ngram: the key bytes alone */
        return ngc_t_key_cmp(a->key, a->len, b->key, b->len);
    uint64_t ca = order == NGC_COUNT_VOLUME ? a->volume : a->match;
    uint64_t cb = order == NGC_COUNT_VOLUME ? b->volume : b->match;
    if (ca != cb)
        return ca > cb ? -1 : 1;
    if (order == NGC_COUNT_BOTH && a->volume != b->volume)
        return 0;
    return ngc_t_key_cmp(a->key, a->len, b->key, b->len);
}

/* Of the pairs of neighbours ngc_t_collect last read in a partition, how
 * many lay side by side in memory: the sort copies entries in order. */
static size_t ngc_t_pairs, ngc_t_adjacent;

/*
 * Sorts every partition, checks each is in output order, and returns all
 * entries (keys point into shm).
 */
static ngc_t_item_t *ngc_t_collect(ngc_counters_t *c, ngc_count_t order, ngc_sort_t sort,
                                   uint64_t min_count, size_t *n)
{
    ngc_t_pairs = ngc_t_adjacent = 0;
    size_t cap = 1024, len = 0;
    ngc_t_item_t *all = malloc(cap * sizeof(*all));
    assert_non_null(all);
    for (unsigned k = 0; k < NGC_COUNTERS_PARTS; k++) {
        assert_int_equal(ngc_counters_sort(c, k, (ngc_order_t){order, sort}, min_count, 0, 1),
                         NGC_OK);
        size_t cnt = ngc_counters_sorted_count(c, k);
        for (size_t i = 0; i < cnt; i++) {
            ngc_entry_t e;
            ngc_counters_entry(c, k, i, &e);
            ngc_t_item_t it = {e.key, e.len, e.match, e.volume};
            assert_true(e.len == 0 || e.key != NULL);
            assert_int_equal(ngc_counters_partition(ngc_counters_hash(e.key, e.len)), k);
            if (i > 0 && ngc_t_order(&all[len - 1], &it, order, sort) > 0)
                fail_msg("partition %u: entry %zu (%.*s) sorted after (%.*s)", k, i, (int)it.len,
                         it.key, (int)all[len - 1].len, all[len - 1].key);
            if (i > 0) {
                /* The previous entry's end, then this one's header byte. */
                const ngc_t_item_t *prev = &all[len - 1];
                unsigned w = ngc_counters_wide(prev->match, c->counts == 2 ? prev->volume : 0) ? 8
                                                                                               : 4;
                const char *end = prev->key + prev->len + w * c->counts;
                ngc_t_pairs++;
                ngc_t_adjacent += it.len < 32 && it.key == end + 1;
            }
            if (len == cap) {
                cap *= 2;
                all = realloc(all, cap * sizeof(*all));
                assert_non_null(all);
            }
            all[len++] = it;
        }
    }
    *n = len;
    return all;
}

/* got (any order) must equal ref (reduced) less the totals below min_count. */
static void ngc_t_same(ngc_t_item_t *got, size_t ngot, const ngc_t_item_t *ref, size_t nref,
                       ngc_count_t order, uint64_t min_count)
{
    qsort(got, ngot, sizeof(*got), ngc_t_item_cmp);
    size_t j = 0;
    for (size_t i = 0; i < nref; i++) {
        uint64_t v = order == NGC_COUNT_VOLUME ? ref[i].volume : ref[i].match;
        if (v < min_count)
            continue;
        if (j >= ngot)
            fail_msg("missing key \"%.*s\"", (int)ref[i].len, ref[i].key);
        if (ngc_t_item_cmp(&got[j], &ref[i]) != 0)
            fail_msg("key \"%.*s\", expected \"%.*s\"", (int)got[j].len, got[j].key,
                     (int)ref[i].len, ref[i].key);
        if (got[j].match != ref[i].match || got[j].volume != ref[i].volume)
            fail_msg("key \"%.*s\": %llu %llu, expected %llu %llu", (int)ref[i].len, ref[i].key,
                     (unsigned long long)got[j].match, (unsigned long long)got[j].volume,
                     (unsigned long long)ref[i].match, (unsigned long long)ref[i].volume);
        j++;
    }
    assert_int_equal(ngot, j);
}

/* The table, sorted by count, must hold ref (reduced): nref keys. */
static void ngc_t_expect(ngc_counters_t *c, ngc_count_t order, const ngc_t_item_t *ref, size_t nref)
{
    size_t n;
    ngc_t_item_t *all = ngc_t_collect(c, order, NGC_SORT_COUNT, 0, &n);
    ngc_t_same(all, n, ref, nref, order, 0);
    free(all);
}

static uint64_t ngc_t_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* nkeys distinct keys "<prefix><n>", stored in one block; *block to free. */
static char *ngc_t_keys(const char *prefix, size_t nkeys, const char ***keys, uint32_t **lens)
{
    size_t plen = strlen(prefix);
    char *block = malloc(nkeys * (plen + 21));
    *keys = malloc(nkeys * sizeof(**keys));
    *lens = malloc(nkeys * sizeof(**lens));
    assert_true(block && *keys && *lens);
    char *p = block;
    for (size_t i = 0; i < nkeys; i++) {
        int n = snprintf(p, plen + 21, "%s%zu", prefix, i);
        (*keys)[i] = p;
        (*lens)[i] = (uint32_t)n;
        p += n;
    }
    return block;
}

static void ngc_t_keys_free(char *block, const char **keys, uint32_t *lens)
{
    free(block);
    free(keys);
    free(lens);
}

/* Keys of the sort tests: enough for the radix to reach its last word.
 * Under ThreadSanitizer (ten times slower; a sort is one thread's work,
 * which the release and ASan builds check in full) a tenth. */
#if defined(__SANITIZE_THREAD__)
#define NGC_T_SORT_KEYS 4000
#else
#define NGC_T_SORT_KEYS 40000
#endif

/* nkeys keys in five shapes: "k<i>", two that share their first 16 and
 * 8 bytes, one with a NUL as its third byte, one of high bytes. */
static char *ngc_t_radix_keys(size_t nkeys, const char ***keys, uint32_t **lens)
{
    static const char *const shape[] = {"k", "abcdefghijklmnop", "abcdefgh", "ab", "\xff\xfe"};
    char *block = malloc(nkeys * 40);
    *keys = malloc(nkeys * sizeof(**keys));
    *lens = malloc(nkeys * sizeof(**lens));
    assert_true(block && *keys && *lens);
    char *p = block;
    for (size_t i = 0; i < nkeys; i++) {
        int n = snprintf(p, 40, "%s%c%zu", shape[i % 5], i % 5 == 3 ? '#' : '-', i);
        if (i % 5 == 3)
            p[2] = '\0';
        (*keys)[i] = p;
        (*lens)[i] = (uint32_t)n;
        p += n;
    }
    return block;
}

/* --- tests ---------------------------------------------------------------- */

static void test_shm_layout(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm(64 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    assert_non_null(c);
    assert_non_null(ngc_shm_stats(shm));
    assert_true(ngc_counters_capacity(c) >= 63 * NGC_T_MB);
    assert_true(ngc_counters_capacity(c) <= 65 * NGC_T_MB);
    assert_true(ngc_counters_used(c) > 0);
    assert_true(ngc_counters_used(c) <= ngc_counters_capacity(c));
    assert_true(ngc_counters_distinct(c) == 0);
    /* An empty table sorts to nothing. */
    size_t n;
    ngc_t_item_t *all = ngc_t_collect(c, NGC_COUNT_MATCH, NGC_SORT_COUNT, 0, &n);
    assert_int_equal(n, 0);
    free(all);
    ngc_t_shm_free(shm);
    ngc_shm_free(NULL);
}

static void test_shm_too_small(void **state)
{
    (void)state;
    /* Too small for even the empty partitions: a clean NULL (and a message). */
    ngc_shm_t *shm = ngc_t_shm(64 * 1024);
    assert_null(shm);
}

static void test_merge_totals(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm(64 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    const char **keys;
    uint32_t *lens;
    enum { NKEYS = 5000, NADDS = 40000 };
    char *block = ngc_t_keys("key/", NKEYS, &keys, &lens);
    ngc_t_item_t *ref = malloc(NADDS * sizeof(*ref));
    assert_non_null(ref);
    uint64_t x = 12345;
    /* Four "tasks" of 10,000 adds, merged with different batch sizes. */
    const size_t batches[] = {1, 3, 100, 100000};
    for (size_t t = 0; t < 4; t++) {
        ngc_t_item_t *it = ref + t * (NADDS / 4);
        for (size_t i = 0; i < NADDS / 4; i++) {
            uint64_t r = ngc_t_rand(&x);
            size_t k = (size_t)(r % NKEYS);
            it[i] = (ngc_t_item_t){keys[k], lens[k], (r >> 16) % 1000, (r >> 32) % 10};
        }
        assert_int_equal(ngc_t_merge(c, it, NADDS / 4, batches[t]), NGC_OK);
    }
    size_t distinct = ngc_t_reduce(ref, NADDS);
    assert_true(ngc_counters_distinct(c) == distinct);
    assert_true(ngc_counters_used(c) <= ngc_counters_capacity(c));
    ngc_t_expect(c, NGC_COUNT_MATCH, ref, distinct);
    free(ref);
    ngc_t_keys_free(block, keys, lens);
    ngc_t_shm_free(shm);
}

/* 300,000 keys, twice: the tables grow from 256 slots to 8,192 (2^19 slots
 * in all). Under ThreadSanitizer (the growth is one thread's: the merges of
 * many processes are test_multiprocess_merge's), 60,000 keys, which still
 * grow each partition's table past 1,024 slots (to 2,048). */
#if defined(__SANITIZE_THREAD__)
#define NGC_T_GROW_KEYS 60000
#else
#define NGC_T_GROW_KEYS 300000
#endif

static void ngc_t_growth(void)
{
    ngc_shm_t *shm = ngc_t_shm(64 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    const char **keys;
    uint32_t *lens;
    enum { NKEYS = NGC_T_GROW_KEYS };
    char *block = ngc_t_keys("grow-", NKEYS, &keys, &lens);
    ngc_t_item_t *it = malloc(NKEYS * sizeof(*it));
    assert_non_null(it);
    /* Every key twice, in two rounds, so the second round finds them all. */
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < NKEYS; i++)
            it[i] = (ngc_t_item_t){keys[i], lens[i], i + 1, (uint64_t)round + 1};
        assert_int_equal(ngc_t_merge(c, it, NKEYS, 4096), NGC_OK);
        assert_true(ngc_counters_distinct(c) == NKEYS);
    }
    for (size_t i = 0; i < NKEYS; i++)
        it[i] = (ngc_t_item_t){keys[i], lens[i], 2 * (i + 1), 3};
    qsort(it, NKEYS, sizeof(*it), ngc_t_item_cmp);
    ngc_t_expect(c, NGC_COUNT_MATCH, it, NKEYS);
    free(it);
    ngc_t_keys_free(block, keys, lens);
    ngc_t_shm_free(shm);
}

/* Tables grown from their slots' fingerprints (every table this size). */
static void test_growth(void **state)
{
    (void)state;
    assert_true(ngc_counters_rehash_slots_max >= 1u << 19);
    ngc_t_growth();
}

/* A table for a job of ntasks tasks of bytes[t] bytes each (0: unknown). */
static ngc_counters_t *ngc_t_sized(uint32_t ntasks, uint64_t (*bytes)(uint32_t))
{
    ngc_shm_t *shm = ngc_t_shm_job(64 * NGC_T_MB, NGC_COUNT_MATCH, true, ntasks);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    for (uint32_t t = 0; t < ntasks; t++)
        ngc_counters_set_task_bytes(c, t, bytes(t));
    return c;
}

static uint64_t ngc_t_mb_each(uint32_t t)
{
    (void)t;
    return NGC_T_MB;
}

static uint64_t ngc_t_first_large(uint32_t t) /* 7 MB, then 1 MB each */
{
    return t == 0 ? 7 * NGC_T_MB : NGC_T_MB;
}

static uint64_t ngc_t_last_unknown(uint32_t t) /* a pipe's task: no size */
{
    return t == 7 ? 0 : NGC_T_MB;
}

/* The largest slot array of c's partitions. */
static uint64_t ngc_t_max_cap(const ngc_counters_t *c)
{
    uint64_t most = 0;
    for (unsigned k = 0; k < NGC_COUNTERS_PARTS; k++)
        if (ngc_counters_cap(&c->part[k]) > most)
            most = ngc_counters_cap(&c->part[k]);
    return most;
}

/*
 * A table sized from the job's progress. The first of 8 equal tasks brings
 * about 250 keys to each partition, which grows at once to hold 8 times
 * that, and no later task grows it. The same first task, measured in bytes:
 * as 7 MB of 14 MB it predicts twice its keys (1,024 slots); as the first
 * of 30,000 tasks, at most 32 times the doubling's 512 slots; with a task
 * of unknown size, nothing (the doubling's 512).
 */
static void test_growth_hint(void **state)
{
    (void)state;
    enum { NTASKS = 8, PER_TASK = 16000 };
    const char **keys;
    uint32_t *lens;
    char *block = ngc_t_keys("hint-", NTASKS * PER_TASK, &keys, &lens);
    ngc_t_item_t *it = malloc(NTASKS * PER_TASK * sizeof(*it));
    assert_non_null(it);
    for (size_t i = 0; i < NTASKS * PER_TASK; i++)
        it[i] = (ngc_t_item_t){keys[i], lens[i], i + 1, 1};
    ngc_counters_t *c = ngc_t_sized(NTASKS, ngc_t_mb_each);
    uint64_t caps[NGC_COUNTERS_PARTS];
    for (uint32_t t = 0; t < NTASKS; t++) {
        assert_int_equal(ngc_t_merge_as(c, it + t * PER_TASK, PER_TASK, PER_TASK, t), NGC_OK);
        for (unsigned k = 0; k < NGC_COUNTERS_PARTS; k++) {
            uint64_t cap = ngc_counters_cap(&c->part[k]);
            if (t == 0)
                assert_true(cap * 3 >= c->part[k].count * NTASKS * 4);
            else
                assert_true(cap == caps[k]);
            caps[k] = cap;
        }
    }
    ngc_counters_t *large = ngc_t_sized(NTASKS, ngc_t_first_large);
    ngc_counters_t *many = ngc_t_sized(30000, ngc_t_mb_each);
    ngc_counters_t *unsized = ngc_t_sized(NTASKS, ngc_t_last_unknown);
    assert_int_equal(ngc_t_merge_as(large, it, PER_TASK, PER_TASK, 0), NGC_OK);
    assert_int_equal(ngc_t_merge_as(many, it, PER_TASK, PER_TASK, 0), NGC_OK);
    assert_int_equal(ngc_t_merge_as(unsized, it, PER_TASK, PER_TASK, 0), NGC_OK);
    assert_int_equal(ngc_t_max_cap(large), 1024);
    assert_int_equal(ngc_t_max_cap(many), 512 * 32);
    assert_int_equal(ngc_t_max_cap(unsized), 512);
    qsort(it, NTASKS * PER_TASK, sizeof(*it), ngc_t_item_cmp);
    ngc_t_expect(c, NGC_COUNT_MATCH, it, NTASKS * PER_TASK);
    free(it);
    ngc_t_keys_free(block, keys, lens);
}

/* Tables past 1,024 slots grown by hashing their keys again, as tables past
 * 2^24 slots are: the homes both ways must agree. */
static void test_growth_by_keys(void **state)
{
    (void)state;
    ngc_counters_rehash_slots_max = 1024; /* the teardown puts it back */
    ngc_t_growth();
}

static ngc_kv_t ngc_t_kv(const char *key, uint64_t match, uint64_t volume)
{
    uint32_t len = (uint32_t)strlen(key);
    uint64_t h = ngc_counters_hash(key, len);
    return (ngc_kv_t){key, len, ngc_counters_partition(h), h, match, volume};
}

/* Under ThreadSanitizer, enough new keys to grow tables past 1,024 slots. */
#if defined(__SANITIZE_THREAD__)
#define NGC_T_WIDE_MORE 60000
#else
#define NGC_T_WIDE_MORE 200000
#endif

/*
 * Totals that outgrow 4 bytes move their key to a wide entry (counters_
 * layout.h). 20,000 keys, counted in both columns, in four rounds: small
 * adds (narrow entries); adds that take a third of the keys' match and
 * another third's volume past 2^32 (and some keys' both), in batches of
 * 1 to all; a key new to a batch that crosses within it; then 200,000 new
 * keys (60,000 under TSan), so the tables grow over the dead entries, by their slots or, with
 * by_keys, by walking the arena, which must skip them.
 */
static void ngc_t_wide(bool by_keys)
{
    if (by_keys)
        ngc_counters_rehash_slots_max = 1024; /* the teardown puts it back */
    ngc_shm_t *shm = ngc_t_shm_count(128 * NGC_T_MB, NGC_COUNT_BOTH);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    const char **keys;
    uint32_t *lens;
    enum { NKEYS = 20000, NMORE = NGC_T_WIDE_MORE, NREF = 3 * NKEYS + 4 + NMORE };
    char *block = ngc_t_keys("wide-", NKEYS + NMORE, &keys, &lens);
    ngc_t_item_t *ref = malloc(NREF * sizeof(*ref));
    assert_non_null(ref);
    const uint64_t big = (1ull << 32) - 5;
    size_t n = 0;
    uint64_t x = 777;
    for (size_t i = 0; i < NKEYS; i++)
        ref[n++] = (ngc_t_item_t){keys[i], lens[i], ngc_t_rand(&x) % 100 + 1, i % 7 + 1};
    assert_int_equal(ngc_t_merge(c, ref, NKEYS, 4096), NGC_OK);
    const size_t batches[] = {1, 7, 1000, NKEYS};
    for (size_t r = 0; r < 2; r++) {
        ngc_t_item_t *it = ref + n;
        for (size_t i = 0; i < NKEYS; i++) {
            uint64_t m = i % 3 == 0 ? big : ngc_t_rand(&x) % 100;
            uint64_t v = i % 3 == 1 || i % 11 == 0 ? big : i % 5;
            it[i] = (ngc_t_item_t){keys[i], lens[i], m, v};
        }
        assert_int_equal(ngc_t_merge(c, it, NKEYS, batches[2 * r]), NGC_OK);
        n += NKEYS;
    }
    /* New in one batch and past 2^32 within it: a narrow entry, then a
     * wide one; and a key wide from its first add. */
    ngc_t_item_t twice[] = {{"crosses", 7, 10, 1},
                            {"crosses", 7, big, 1},
                            {"crosses", 7, 1, big},
                            {"born-wide", 9, 1ull << 40, 3}};
    assert_int_equal(ngc_t_merge(c, twice, 4, 4), NGC_OK);
    memcpy(ref + n, twice, sizeof(twice));
    n += 4;
    for (size_t i = 0; i < NMORE; i++)
        ref[n++] = (ngc_t_item_t){keys[NKEYS + i], lens[NKEYS + i], 1, 1};
    assert_int_equal(ngc_t_merge(c, ref + n - NMORE, NMORE, batches[3]), NGC_OK);
    assert_true(n == NREF);
    size_t distinct = ngc_t_reduce(ref, n);
    assert_true(distinct == NKEYS + NMORE + 2);
    assert_true(ngc_counters_distinct(c) == distinct);
    size_t wide = 0;
    for (size_t i = 0; i < distinct; i++)
        wide += ngc_counters_wide(ref[i].match, ref[i].volume);
    assert_true(wide > NKEYS / 2); /* the test crosses what it means to */
    ngc_t_expect(c, NGC_COUNT_BOTH, ref, distinct);
    free(ref);
    ngc_t_keys_free(block, keys, lens);
    ngc_t_shm_free(shm);
}

static void test_wide_entries(void **state)
{
    (void)state;
    ngc_t_wide(false);
}

static void test_wide_entries_grown_by_keys(void **state)
{
    (void)state;
    ngc_t_wide(true);
}

/* A --count match table keeps no volumes: match totals stay exact through
 * growth, keys of every length and a second round of the same keys, and
 * every volume reads 0; a match past 2^64-1 still fails. */
static void test_match_only_table(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm_volumes(64 * NGC_T_MB, NGC_COUNT_MATCH, false);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    const char **keys;
    uint32_t *lens;
    enum { NKEYS = 100000 };
    char *block = ngc_t_keys("m-", NKEYS, &keys, &lens);
    ngc_t_item_t *it = malloc((NKEYS + 1) * sizeof(*it));
    assert_non_null(it);
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < NKEYS; i++)
            it[i] = (ngc_t_item_t){keys[i], lens[i], i + 1, 7};
        assert_int_equal(ngc_t_merge(c, it, NKEYS, 1000), NGC_OK);
    }
    for (size_t i = 0; i < NKEYS; i++)
        it[i] = (ngc_t_item_t){keys[i], lens[i], 2 * (i + 1), 0};
    it[NKEYS] = (ngc_t_item_t){"m-big", 5, UINT64_MAX, 0};
    qsort(it, NKEYS + 1, sizeof(*it), ngc_t_item_cmp);
    ngc_kv_t big = ngc_t_kv("m-big", UINT64_MAX, 1);
    const ngc_kv_t *bad = NULL;
    assert_int_equal(ngc_counters_merge(c, big.part, ngc_t_task(), 1, 1, &big, 1, &bad), NGC_OK);
    big.match = 1;
    assert_int_equal(ngc_counters_merge(c, big.part, ngc_t_task(), 1, 1, &big, 1, &bad), NGC_ERROR);
    assert_ptr_equal(bad, &big);
    ngc_t_expect(c, NGC_COUNT_MATCH, it, NKEYS + 1);
    free(it);
    ngc_t_keys_free(block, keys, lens);
    ngc_t_shm_free(shm);
}

static void test_binary_and_long_keys(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm(64 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    size_t biglen = 3 * NGC_T_MB; /* folded keys can be up to 3 MiB */
    char *big = malloc(biglen);
    assert_non_null(big);
    for (size_t i = 0; i < biglen; i++)
        big[i] = (char)(i * 7 % 256);
    ngc_t_item_t it[] = {
        {"a\0b", 3, 1, 1},
        {"a\0c", 3, 2, 2},
        {"a", 1, 4, 4},
        {"\xff", 1, 8, 8},
        {big, (uint32_t)biglen, 16, 16},
        {big, (uint32_t)biglen - 1, 32, 32},
        {"a\0b", 3, 64, 64},
        {big, (uint32_t)biglen, 128, 128},
    };
    assert_int_equal(ngc_t_merge(c, it, NGC_NELEMS(it), 2), NGC_OK);
    ngc_t_item_t ref[NGC_NELEMS(it)];
    memcpy(ref, it, sizeof(it));
    size_t distinct = ngc_t_reduce(ref, NGC_NELEMS(ref));
    assert_int_equal(distinct, 6);
    ngc_t_expect(c, NGC_COUNT_MATCH, ref, distinct);
    free(big);
    ngc_t_shm_free(shm);
}

static void test_overflow(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm_count(64 * NGC_T_MB, NGC_COUNT_BOTH);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    const ngc_kv_t *bad = NULL;
    ngc_kv_t a = ngc_t_kv("a", UINT64_MAX - 1, 5);
    assert_int_equal(ngc_counters_merge(c, a.part, ngc_t_task(), 1, 1, &a, 1, &bad), NGC_OK);
    a.match = 1;
    assert_int_equal(ngc_counters_merge(c, a.part, ngc_t_task(), 1, 1, &a, 1, &bad),
                     NGC_OK); /* exactly 2^64-1 */
    /* A batch whose third entry passes 2^64-1: *bad names it. */
    ngc_kv_t batch[3] = {ngc_t_kv("a", 0, 1), ngc_t_kv("a", 0, 1), ngc_t_kv("a", 1, 0)};
    bad = NULL;
    assert_int_equal(ngc_counters_merge(c, a.part, ngc_t_task(), 1, 1, batch, 3, &bad), NGC_ERROR);
    assert_ptr_equal(bad, &batch[2]);
    /* Volume too. */
    ngc_kv_t v = ngc_t_kv("v", 0, UINT64_MAX);
    assert_int_equal(ngc_counters_merge(c, v.part, ngc_t_task(), 1, 1, &v, 1, &bad), NGC_OK);
    v.volume = 1;
    bad = NULL;
    assert_int_equal(ngc_counters_merge(c, v.part, ngc_t_task(), 1, 1, &v, 1, &bad), NGC_ERROR);
    assert_ptr_equal(bad, &v);
    /* Other keys are still fine. */
    ngc_kv_t w = ngc_t_kv("w", UINT64_MAX, UINT64_MAX);
    assert_int_equal(ngc_counters_merge(c, w.part, ngc_t_task(), 1, 1, &w, 1, &bad), NGC_OK);
    ngc_t_shm_free(shm);
}

/* A total that --count does not count never fails: it stays at 2^64-1
 * (ngc_counters_add); the counted one still does. */
static void test_overflow_uncounted(void **state)
{
    (void)state;
    const ngc_count_t counts[] = {NGC_COUNT_MATCH, NGC_COUNT_VOLUME};
    for (size_t k = 0; k < NGC_NELEMS(counts); k++) {
        bool match = counts[k] == NGC_COUNT_MATCH;
        ngc_shm_t *shm = ngc_t_shm_count(64 * NGC_T_MB, counts[k]);
        assert_non_null(shm);
        ngc_counters_t *c = ngc_shm_counters(shm);
        const ngc_kv_t *bad = NULL;
        /* The uncounted total passes 2^64-1 twice over. */
        ngc_kv_t a = match ? ngc_t_kv("a", 1, UINT64_MAX) : ngc_t_kv("a", UINT64_MAX, 1);
        for (int i = 0; i < 3; i++)
            assert_int_equal(ngc_counters_merge(c, a.part, ngc_t_task(), 1, 1, &a, 1, &bad),
                             NGC_OK);
        /* The counted one may not. */
        ngc_kv_t b = match ? ngc_t_kv("b", UINT64_MAX, 0) : ngc_t_kv("b", 0, UINT64_MAX);
        assert_int_equal(ngc_counters_merge(c, b.part, ngc_t_task(), 1, 1, &b, 1, &bad), NGC_OK);
        ngc_kv_t one = match ? ngc_t_kv("b", 1, 0) : ngc_t_kv("b", 0, 1);
        bad = NULL;
        assert_int_equal(ngc_counters_merge(c, one.part, ngc_t_task(), 1, 1, &one, 1, &bad),
                         NGC_ERROR);
        assert_ptr_equal(bad, &one);
        ngc_order_t order = {counts[k], NGC_SORT_COUNT};
        for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++)
            assert_int_equal(ngc_counters_sort(c, p, order, 0, 0, 1), NGC_OK);
        bool seen = false;
        for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++)
            for (size_t i = 0; i < ngc_counters_sorted_count(c, p); i++) {
                ngc_entry_t e;
                ngc_counters_entry(c, p, i, &e);
                if (e.len != 1 || e.key[0] != 'a')
                    continue;
                seen = true;
                assert_true(match ? e.match == 3 && e.volume == UINT64_MAX
                                  : e.match == UINT64_MAX && e.volume == 3);
            }
        assert_true(seen);
        ngc_t_shm_free(shm);
    }
}

/*
 * A table that outgrows --memory says NGC_FULL, never crashes, and what it
 * holds is still whole: every entry is one of the keys merged, with the
 * counts it was given.
 */
static void test_full(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm(16 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    enum { KLEN = 3000, NKEYS = 20000, BATCH = 200 };
    char *keys = malloc((size_t)NKEYS * KLEN);
    ngc_t_item_t *it = malloc(NKEYS * sizeof(*it));
    assert_true(keys && it);
    for (size_t i = 0; i < NKEYS; i++) {
        char *k = keys + i * KLEN;
        memset(k, 'a' + (int)(i % 26), KLEN);
        int n = snprintf(k, 24, "%09zu", i);
        k[n] = '-';
        it[i] = (ngc_t_item_t){k, KLEN, 1, 2};
    }
    int rc = NGC_OK;
    size_t done = 0;
    for (; done < NKEYS && rc == NGC_OK; done += BATCH)
        rc = ngc_t_merge(c, it + done, BATCH, BATCH);
    assert_int_equal(rc, NGC_FULL);
    /* 60 MB of keys cannot fit in 16 MB. */
    assert_true(done * KLEN < 2 * 16 * NGC_T_MB);
    assert_true(ngc_counters_used(c) <= ngc_counters_capacity(c));
    /* Asking again is just as safe. */
    rc = ngc_t_merge(c, it + done, BATCH, BATCH);
    assert_true(rc == NGC_FULL || rc == NGC_OK);
    assert_true(ngc_counters_used(c) <= ngc_counters_capacity(c));
    /* A full table: the engine spills it, and so does this test: every
     * partition goes to a run, each run is in key order, and together they
     * hold what was merged. */
    uint64_t distinct = ngc_counters_distinct(c);
    assert_true(distinct > 0);
    char dir[] = "/tmp/ngc-test-full.XXXXXX";
    assert_non_null(mkdtemp(dir));
    ngc_spill_t *sp = ngc_spill_new(dir);
    assert_non_null(sp);
    size_t n = 0;
    char err[512];
    for (unsigned part = 0; part < NGC_COUNTERS_PARTS; part++) {
        uint64_t bytes;
        assert_int_equal(ngc_counters_spill(c, part, sp, &bytes, err, sizeof(err)), NGC_OK);
        for (uint32_t r = 0; r < ngc_counters_runs(c, part); r++) {
            char name[NGC_RUN_NAME_MAX];
            ngc_run_name(name, part, NGC_RUN_SPILL, r);
            ngc_run_reader_t *rd = ngc_run_reader_open(sp, name, err, sizeof(err));
            assert_non_null(rd);
            ngc_entry_t e;
            size_t last = SIZE_MAX;
            while (ngc_run_reader_next(rd, &e) == NGC_OK) {
                assert_int_equal(e.len, KLEN);
                size_t id = strtoul(e.key, NULL, 10);
                assert_true(id < done + BATCH);
                assert_true(last == SIZE_MAX || id > last); /* key order */
                last = id;
                assert_memory_equal(e.key, keys + id * KLEN, KLEN);
                assert_int_equal(e.match, 1);
                assert_int_equal(e.volume, 2);
                n++;
            }
            ngc_run_reader_free(rd);
        }
    }
    assert_int_equal(n, distinct);
    assert_int_equal(ngc_counters_distinct(c), 0); /* all of it went to the runs */
    ngc_spill_remove(sp);
    ngc_spill_free(sp);
    assert_int_equal(rmdir(dir), 0); /* only the spill directory was in it */
    ngc_t_shm_free(shm);

    /* One key larger than the whole pool. */
    shm = ngc_t_shm(16 * NGC_T_MB);
    assert_non_null(shm);
    c = ngc_shm_counters(shm);
    size_t hlen = 15 * NGC_T_MB + NGC_T_MB / 2;
    char *huge = calloc(1, hlen);
    assert_non_null(huge);
    ngc_t_item_t h = {huge, (uint32_t)hlen, 1, 1};
    assert_int_equal(ngc_t_merge(c, &h, 1, 1), NGC_FULL);
    /* A small key still fits afterwards. */
    ngc_t_item_t s = {"small", 5, 1, 1};
    assert_int_equal(ngc_t_merge(c, &s, 1, 1), NGC_OK);
    free(huge);
    ngc_t_shm_free(shm);
    free(keys);
    free(it);
}

/* Keys with ties, prefixes and high bytes, merged into a fresh table. */
static const ngc_t_item_t ngc_t_sort_set[] = {
    {"b", 1, 5, 1},
    {"a", 1, 5, 2},
    {"ab", 2, 5, 3},
    {"abc", 3, 5, 3},
    {"\xff", 1, 5, 4},
    {"\x01", 1, 5, 5},
    {"A", 1, 5, 6},
    {"zz", 2, 9, 1},
    {"top", 3, 100, 1},
    {"low", 3, 1, 100},
    {"mid", 3, 50, 50},
    {"mid2", 4, 50, 50},
    {"mid1", 4, 50, 49},
    {"zero", 4, 0, 0},
    {"a b", 3, 7, 7},
    {"a\xc3\xa9", 3, 7, 8},
    {"same", 4, 3, 9},
    {"samf", 4, 3, 9},
    {"sam", 3, 3, 9},
    {"big", 3, UINT64_MAX, 1},
    {"bigv", 4, 1, UINT64_MAX},
    /* The sort compares the first 16 key bytes as two integers, then the
     * rest: ties up to and past each of them. */
    {"abcdefgh", 8, 4, 1},
    {"abcdefgh ", 9, 4, 1},
    {"abcdefgh\x01", 9, 4, 2},
    {"abcdefgi", 8, 4, 1},
    {"abcdefghijklmnop", 16, 4, 1},
    {"abcdefghijklmnoo", 16, 4, 1},
    {"abcdefghijklmnopq", 17, 4, 1},
    {"abcdefghijklmnop\xff", 17, 4, 1},
    {"abcdefghijklmnopa", 17, 4, 3},
};

/* Leaves no room in the pool: no fresh memory, no freed blocks. */
static void ngc_t_exhaust(ngc_counters_t *c)
{
    c->bump = c->size;
    c->free_blocks = 0;
    c->free_block_bytes = 0;
}

static void ngc_t_sort_case_in(ngc_count_t order, ngc_sort_t sort, uint64_t min_count,
                               bool full_pool)
{
    ngc_shm_t *shm = ngc_t_shm(64 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    size_t nset = NGC_NELEMS(ngc_t_sort_set);
    /* Many more keys, so partitions hold hundreds of entries, in groups
     * of one count larger than the radix sort hands to comparisons: some
     * share their first 8 or 16 bytes (the radix words), some hold a NUL
     * where a shorter key's prefix is padded with zeros. */
    const char **keys;
    uint32_t *lens;
    enum { NMORE = NGC_T_SORT_KEYS };
    char *block = ngc_t_radix_keys(NMORE, &keys, &lens);
    size_t n = nset + NMORE;
    ngc_t_item_t *ref = malloc(n * sizeof(*ref));
    assert_non_null(ref);
    memcpy(ref, ngc_t_sort_set, sizeof(ngc_t_sort_set));
    for (size_t i = 0; i < NMORE; i++)
        ref[nset + i] = (ngc_t_item_t){keys[i], lens[i], i % 5 == 0 ? i % 17 : i % 2, i % 3};
    assert_int_equal(ngc_t_merge(c, ref, n, 64), NGC_OK);
    size_t distinct = ngc_t_reduce(ref, n);
    if (full_pool)
        ngc_t_exhaust(c);
    size_t ngot;
    ngc_t_item_t *got = ngc_t_collect(c, order, sort, min_count, &ngot);
    /* Copied in output order, each partition reads front to back (a new
     * block now and then breaks the run); with no room for the copy, the
     * sort reads the entries where they are, in the order they came. */
    if (min_count <= 1)
        assert_true(ngc_t_pairs > 1000);
    if (ngc_t_pairs > 1000)
        assert_true(full_pool ? ngc_t_adjacent < ngc_t_pairs / 2
                              : ngc_t_adjacent >= ngc_t_pairs - ngc_t_pairs / 20);
    size_t kept = 0;
    for (size_t i = 0; i < distinct; i++)
        kept += (order == NGC_COUNT_VOLUME ? ref[i].volume : ref[i].match) >= min_count;
    assert_int_equal(ngot, kept);
    size_t sum = 0;
    for (unsigned k = 0; k < NGC_COUNTERS_PARTS; k++)
        sum += ngc_counters_sorted_count(c, k);
    assert_int_equal(sum, kept);
    /* Sorting again is harmless. */
    for (unsigned k = 0; k < NGC_COUNTERS_PARTS; k++)
        assert_int_equal(ngc_counters_sort(c, k, (ngc_order_t){order, sort}, min_count, 0, 1),
                         NGC_OK);
    ngc_t_same(got, ngot, ref, distinct, order, min_count);
    free(got);
    free(ref);
    ngc_t_keys_free(block, keys, lens);
    ngc_t_shm_free(shm);
}

static void ngc_t_sort_case(ngc_count_t order, ngc_sort_t sort, uint64_t min_count)
{
    ngc_t_sort_case_in(order, sort, min_count, false);
}

/* A pool with no room left for the sorted copies: the same results. */
static void test_sort_full_pool(void **state)
{
    (void)state;
    ngc_t_sort_case_in(NGC_COUNT_MATCH, NGC_SORT_COUNT, 0, true);
    ngc_t_sort_case_in(NGC_COUNT_BOTH, NGC_SORT_NGRAM, 1, true);
}

static void test_sort_match(void **state)
{
    (void)state;
    ngc_t_sort_case(NGC_COUNT_MATCH, NGC_SORT_COUNT, 0);
    ngc_t_sort_case(NGC_COUNT_MATCH, NGC_SORT_COUNT, 1);
    ngc_t_sort_case(NGC_COUNT_MATCH, NGC_SORT_COUNT, 5);
    ngc_t_sort_case(NGC_COUNT_MATCH, NGC_SORT_COUNT, 51);
    ngc_t_sort_case(NGC_COUNT_MATCH, NGC_SORT_COUNT, UINT64_MAX);
}

static void test_sort_volume(void **state)
{
    (void)state;
    ngc_t_sort_case(NGC_COUNT_VOLUME, NGC_SORT_COUNT, 0);
    ngc_t_sort_case(NGC_COUNT_VOLUME, NGC_SORT_COUNT, 3);
    ngc_t_sort_case(NGC_COUNT_VOLUME, NGC_SORT_COUNT, 100);
}

static void test_sort_both(void **state)
{
    (void)state;
    ngc_t_sort_case(NGC_COUNT_BOTH, NGC_SORT_COUNT, 0);
    ngc_t_sort_case(NGC_COUNT_BOTH, NGC_SORT_COUNT, 5);
}

/* ngc_counters_compare on hand-made entries: the expected sign is written out. */
static void test_compare(void **state)
{
    (void)state;
    const struct {
        ngc_entry_t a, b;
        ngc_count_t order;
        int sign;
    } cases[] = {
        {{"a", 1, 5, 0, 0}, {"b", 1, 5, 0, 0}, NGC_COUNT_MATCH, -1},
        {{"b", 1, 5, 0, 0}, {"a", 1, 5, 0, 0}, NGC_COUNT_MATCH, 1},
        {{"z", 1, 6, 0, 0}, {"a", 1, 5, 0, 0}, NGC_COUNT_MATCH, -1},    /* count first */
        {{"ab", 2, 5, 0, 0}, {"abc", 3, 5, 0, 0}, NGC_COUNT_MATCH, -1}, /* prefix first */
        {{"abc", 3, 5, 0, 0}, {"ab", 2, 5, 0, 0}, NGC_COUNT_MATCH, 1},
        {{"\xff", 1, 5, 0, 0}, {"a", 1, 5, 0, 0}, NGC_COUNT_MATCH, 1}, /* unsigned bytes */
        {{"A", 1, 5, 0, 0}, {"a", 1, 5, 0, 0}, NGC_COUNT_MATCH, -1},
        {{"a\0b", 3, 5, 0, 0}, {"a\0c", 3, 5, 0, 0}, NGC_COUNT_MATCH, -1}, /* past a NUL */
        {{"same", 4, 5, 1, 0}, {"same", 4, 5, 1, 0}, NGC_COUNT_MATCH, 0},
        {{"a", 1, 1, 9, 0}, {"b", 1, 9, 1, 0}, NGC_COUNT_VOLUME, -1},
        {{"a", 1, 9, 1, 0}, {"b", 1, 1, 1, 0}, NGC_COUNT_VOLUME, -1}, /* volume tie: key */
        {{"b", 1, 9, 1, 0}, {"a", 1, 1, 1, 0}, NGC_COUNT_VOLUME, 1},
        {{"a", 1, 1, 9, 0}, {"b", 1, 9, 1, 0}, NGC_COUNT_BOTH, 1}, /* both: match first */
        {{"a", 1, 3, 3, 0}, {"b", 1, 3, 3, 0}, NGC_COUNT_BOTH, -1},
        {{"x", 1, UINT64_MAX, 0, 0}, {"y", 1, 0, 0, 0}, NGC_COUNT_MATCH, -1},
    };
    for (size_t i = 0; i < NGC_NELEMS(cases); i++) {
        int r = ngc_counters_compare(&cases[i].a, &cases[i].b,
                                     (ngc_order_t){cases[i].order, NGC_SORT_COUNT});
        int sign = (r > 0) - (r < 0);
        if (sign != cases[i].sign)
            fail_msg("case %zu: sign %d, expected %d", i, sign, cases[i].sign);
    }
}

/*
 * ngc_counters_merge of a zero-length key into a partition that holds no
 * key yet: its arena is still at offset 0, so the stored reference
 * (offset << 24 | length) is 0, which means "empty slot", and the merge
 * returns NGC_FULL on a 64 MB table with nothing in it.
 */
static void test_regress_counters_empty_key_first(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm(64 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    ngc_t_item_t e = {"", 0, 3, 4};
    assert_int_equal(ngc_t_merge(c, &e, 1, 1), NGC_OK);
    assert_int_equal(ngc_t_merge(c, &e, 1, 1), NGC_OK);
    size_t n;
    ngc_t_item_t *all = ngc_t_collect(c, NGC_COUNT_MATCH, NGC_SORT_COUNT, 0, &n);
    assert_int_equal(n, 1);
    assert_int_equal(all[0].len, 0);
    assert_int_equal(all[0].match, 6);
    assert_int_equal(all[0].volume, 8);
    free(all);
    ngc_t_shm_free(shm);
}

/* Once a partition holds a key, the empty key is stored like any other. */
static void test_empty_key_after_others(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm(64 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    const char **keys;
    uint32_t *lens;
    char *block = ngc_t_keys("fill", 2000, &keys, &lens); /* every partition gets keys */
    ngc_t_item_t *it = malloc(2001 * sizeof(*it));
    assert_non_null(it);
    for (size_t i = 0; i < 2000; i++)
        it[i] = (ngc_t_item_t){keys[i], lens[i], 1, 1};
    it[2000] = (ngc_t_item_t){"", 0, 3, 4};
    assert_int_equal(ngc_t_merge(c, it, 2001, 2001), NGC_OK);
    assert_int_equal(ngc_t_merge(c, it + 2000, 1, 1), NGC_OK);
    size_t n;
    ngc_t_item_t *all = ngc_t_collect(c, NGC_COUNT_MATCH, NGC_SORT_COUNT, 0, &n);
    assert_int_equal(n, 2001);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        if (all[i].len == 0) {
            found++;
            assert_int_equal(all[i].match, 6);
        }
    assert_int_equal(found, 1);
    free(all);
    free(it);
    ngc_t_keys_free(block, keys, lens);
    ngc_t_shm_free(shm);
}

/*
 * A worker that dies in the middle of a merge, holding its partition's
 * lock: the key it merges sits in a page made unreadable, so the copy of
 * its bytes faults with the lock held. The next merge into that partition
 * sees the dead owner and fails (engine/README.md, lock rule 7); the lock
 * is usable again after that, and other partitions never noticed.
 */
static void ngc_t_die(int sig)
{
    (void)sig;
    _exit(42);
}

/*
 * Merges kv[0..n) into part as task in a child that dies holding the
 * partition's lock: kv[n - 1] is the key "doomed", whose bytes the child
 * makes unreadable, so copying them into the arena faults.
 */
static void ngc_t_merge_and_die(ngc_counters_t *c, unsigned part, uint32_t task, ngc_kv_t *kv,
                                size_t n)
{
    long page = sysconf(_SC_PAGESIZE);
    char *trap = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                      0);
    assert_true(trap != MAP_FAILED);
    assert_true(kv[n - 1].len == 6 && memcmp(kv[n - 1].key, "doomed", 6) == 0);
    memcpy(trap, "doomed", 6);
    const char *key = kv[n - 1].key;
    kv[n - 1].key = trap;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = ngc_t_die;
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        mprotect(trap, (size_t)page, PROT_NONE);
        const ngc_kv_t *bad;
        ngc_counters_merge(c, part, task, 1, 1, kv, n, &bad);
        _exit(0); /* the merge did not touch the key: the test is broken */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 42);
    munmap(trap, (size_t)page);
    kv[n - 1].key = key;
}

static void test_owner_dead_mid_merge(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm(64 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    ngc_kv_t kv = ngc_t_kv("doomed", 1, 1);
    ngc_t_merge_and_die(c, kv.part, ngc_t_task(), &kv, 1);

    /* Another partition is fine. */
    unsigned other = (kv.part + 1) % NGC_COUNTERS_PARTS;
    char name[32];
    ngc_kv_t o;
    for (unsigned i = 0;; i++) {
        snprintf(name, sizeof(name), "other%u", i);
        o = ngc_t_kv(name, 1, 1);
        if (o.part == other)
            break;
    }
    const ngc_kv_t *bad = NULL;
    assert_int_equal(ngc_counters_merge(c, o.part, ngc_t_task(), 1, 1, &o, 1, &bad), NGC_OK);
    /* The dead owner's partition: repaired by the next locker, then usable;
     * the dead merge left nothing behind. */
    ngc_kv_t ok = ngc_t_kv("doomed", 5, 5);
    assert_int_equal(ngc_counters_merge(c, ok.part, ngc_t_task(), 1, 1, &ok, 1, &bad), NGC_OK);
    assert_int_equal(ngc_counters_merge(c, ok.part, ngc_t_task(), 1, 1, &ok, 1, &bad), NGC_OK);
    assert_true(ngc_counters_distinct(c) == 2);
    ngc_t_shm_free(shm);
}

/*
 * A worker dies in a batch after it moved a key to a wide entry (the next
 * key's bytes fault, as above): the repair puts the narrow entry back, live
 * and with its old totals, and the wide one is gone. With retry the batch
 * runs again and moves it again; without, another task's merge repairs.
 */
static void ngc_t_widening_death(bool retry)
{
    ngc_shm_t *shm = ngc_t_shm_count(64 * NGC_T_MB, NGC_COUNT_BOTH);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    ngc_kv_t doomed = ngc_t_kv("doomed", 1, 1);
    char name[32];
    ngc_kv_t k;
    for (unsigned i = 0;; i++) {
        snprintf(name, sizeof(name), "grows%u", i);
        k = ngc_t_kv(name, 7, 3);
        if (k.part == doomed.part)
            break;
    }
    const ngc_kv_t *bad = NULL;
    assert_int_equal(ngc_counters_merge(c, k.part, ngc_t_task(), 1, 1, &k, 1, &bad), NGC_OK);
    ngc_kv_t batch[2] = {k, doomed};
    batch[0].match = 1ull << 32;
    uint32_t task = ngc_t_task();
    ngc_t_merge_and_die(c, k.part, task, batch, 2);
    if (retry) /* repaired by its lock, then applied once */
        assert_int_equal(ngc_counters_merge(c, k.part, task, 1, 1, batch, 2, &bad), NGC_OK);
    else
        assert_int_equal(ngc_counters_merge(c, k.part, ngc_t_task(), 1, 1, &batch[1], 1, &bad),
                         NGC_OK);
    assert_true(ngc_counters_repairs(c) == 1);
    ngc_t_item_t want[] = {
        {name, (uint32_t)strlen(name), retry ? (1ull << 32) + 7 : 7, retry ? 6 : 3},
        {"doomed", 6, 1, 1}};
    qsort(want, 2, sizeof(*want), ngc_t_item_cmp);
    ngc_t_expect(c, NGC_COUNT_BOTH, want, 2);
    ngc_t_shm_free(shm);
}

static void test_owner_dead_after_widening(void **state)
{
    (void)state;
    ngc_t_widening_death(true);
    ngc_t_widening_death(false);
}

/*
 * Four processes merge overlapping key sets into one table at the same
 * time (released together by closing a pipe), each in three rounds with
 * different batch sizes; the totals must be exact.
 */
enum { NGC_T_NPROC = 4, NGC_T_SPAN = 6000, NGC_T_STEP = 3000, NGC_T_ROUNDS = 3 };

static int ngc_t_child(ngc_counters_t *c, unsigned id, const char **keys, const uint32_t *lens,
                       int gate)
{
    char b;
    if (read(gate, &b, 1) != 0)
        return 2;
    ngc_t_next_task = id * (NGC_T_TASKS / NGC_T_NPROC); /* task ids of its own */
    static const size_t batches[NGC_T_ROUNDS] = {1, 7, 1000};
    ngc_t_item_t *it = malloc(NGC_T_SPAN * sizeof(*it));
    if (it == NULL)
        return 3;
    for (unsigned r = 0; r < NGC_T_ROUNDS; r++) {
        for (size_t i = 0; i < NGC_T_SPAN; i++) {
            size_t k = id * NGC_T_STEP + i;
            it[i] = (ngc_t_item_t){keys[k], lens[k], k + 1 + r, id + 1};
        }
        int rc = ngc_t_merge(c, it, NGC_T_SPAN, batches[r]);
        if (rc != NGC_OK)
            return 10 - rc;
    }
    free(it);
    return 0;
}

static void test_multiprocess_merge(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm(64 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    size_t nkeys = (NGC_T_NPROC - 1) * NGC_T_STEP + NGC_T_SPAN;
    const char **keys;
    uint32_t *lens;
    char *block = ngc_t_keys("shared-", nkeys, &keys, &lens);
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    pid_t pids[NGC_T_NPROC];
    for (unsigned id = 0; id < NGC_T_NPROC; id++) {
        fflush(NULL);
        pids[id] = fork();
        assert_true(pids[id] >= 0);
        if (pids[id] == 0) {
            close(gate[1]);
            _exit(ngc_t_child(c, id, keys, lens, gate[0]));
        }
    }
    close(gate[0]);
    close(gate[1]); /* go */
    for (unsigned id = 0; id < NGC_T_NPROC; id++) {
        int status;
        assert_int_equal(waitpid(pids[id], &status, 0), pids[id]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("child %u: status 0x%x", id, status);
    }
    /* The reference: the same sums, computed here. */
    ngc_t_item_t *ref = calloc(nkeys, sizeof(*ref));
    assert_non_null(ref);
    for (size_t k = 0; k < nkeys; k++)
        ref[k] = (ngc_t_item_t){keys[k], lens[k], 0, 0};
    for (unsigned id = 0; id < NGC_T_NPROC; id++)
        for (unsigned r = 0; r < NGC_T_ROUNDS; r++)
            for (size_t i = 0; i < NGC_T_SPAN; i++) {
                size_t k = id * NGC_T_STEP + i;
                ref[k].match += k + 1 + r;
                ref[k].volume += id + 1;
            }
    qsort(ref, nkeys, sizeof(*ref), ngc_t_item_cmp);
    assert_true(ngc_counters_distinct(c) == nkeys);
    ngc_t_expect(c, NGC_COUNT_MATCH, ref, nkeys);
    free(ref);
    ngc_t_keys_free(block, keys, lens);
    ngc_t_shm_free(shm);
}

/* --- numbered batches, --sort ngram ---------------------------------------- */

/* Keys "<prefix><i>" that fall into partition part, n of them, in names. */
static void ngc_t_keys_in(unsigned part, const char *prefix, char names[][32], size_t n)
{
    size_t found = 0;
    for (unsigned i = 0; found < n; i++) {
        int len = snprintf(names[found], 32, "%s%u", prefix, i);
        if (ngc_counters_partition(ngc_counters_hash(names[found], (size_t)len)) == part)
            found++;
    }
}

static int ngc_t_merge_batch(ngc_counters_t *c, unsigned part, uint32_t task, uint32_t batch,
                             uint32_t attempt, const ngc_kv_t *kv, size_t n)
{
    const ngc_kv_t *bad = NULL;
    return ngc_counters_merge(c, part, task, batch, attempt, kv, n, &bad);
}

/*
 * A task that spilled merges its partitions in numbered batches 1, 2, ...;
 * a retry cuts its input into the same batches, so the batches the failed
 * attempt committed in a partition (batch <= the last committed there) are
 * skipped and the later ones applied. Each batch counts exactly once.
 */
static void test_batches_retry(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm(64 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    unsigned p = 5, q = 6;
    char k[4][32], o[2][32];
    ngc_t_keys_in(p, "batch/", k, 4);
    ngc_t_keys_in(q, "other/", o, 2);
    uint32_t task = ngc_t_task(), task2 = ngc_t_task();
    /* Batches of the task in partition p; counts are distinct powers of
     * two, so any batch applied twice or lost shows in the totals. */
    ngc_kv_t b1[2] = {ngc_t_kv(k[0], 1, 1), ngc_t_kv(k[1], 2, 1)};
    ngc_kv_t b2[2] = {ngc_t_kv(k[1], 4, 1), ngc_t_kv(k[2], 8, 1)};
    ngc_kv_t b3[2] = {ngc_t_kv(k[0], 16, 1), ngc_t_kv(k[3], 32, 1)};
    assert_false(ngc_counters_committed(c, p, task, 1));
    assert_int_equal(ngc_t_merge_batch(c, p, task, 1, 1, b1, 2), NGC_OK);
    assert_true(ngc_counters_committed(c, p, task, 1));
    assert_false(ngc_counters_committed(c, p, task, 2));
    assert_int_equal(ngc_t_merge_batch(c, p, task, 2, 1, b2, 2), NGC_OK);
    assert_true(ngc_counters_committed(c, p, task, 1));
    assert_true(ngc_counters_committed(c, p, task, 2));
    assert_false(ngc_counters_committed(c, p, task, 3));
    /* Commits are per task and per partition. */
    assert_false(ngc_counters_committed(c, q, task, 1));
    assert_false(ngc_counters_committed(c, p, task2, 1));
    assert_true(ngc_counters_distinct(c) == 3);
    /* The attempt died here. The retry: batches 1 and 2 are skipped, 3 is
     * applied. */
    assert_int_equal(ngc_t_merge_batch(c, p, task, 1, 2, b1, 2), NGC_OK);
    assert_int_equal(ngc_t_merge_batch(c, p, task, 2, 2, b2, 2), NGC_OK);
    assert_true(ngc_counters_distinct(c) == 3);
    assert_int_equal(ngc_t_merge_batch(c, p, task, 3, 2, b3, 2), NGC_OK);
    assert_true(ngc_counters_committed(c, p, task, 3));
    assert_true(ngc_counters_distinct(c) == 4);
    /* A third attempt changes nothing at all. */
    assert_int_equal(ngc_t_merge_batch(c, p, task, 1, 3, b1, 2), NGC_OK);
    assert_int_equal(ngc_t_merge_batch(c, p, task, 2, 3, b2, 2), NGC_OK);
    assert_int_equal(ngc_t_merge_batch(c, p, task, 3, 3, b3, 2), NGC_OK);
    /* The same task's batch 1 in another partition, and another task's
     * batch 1 in p, are their own. */
    ngc_kv_t ob1[1] = {ngc_t_kv(o[0], 64, 1)};
    ngc_kv_t ob2[2] = {ngc_t_kv(o[0], 128, 1), ngc_t_kv(o[1], 256, 1)};
    assert_int_equal(ngc_t_merge_batch(c, q, task, 1, 3, ob1, 1), NGC_OK);
    assert_int_equal(ngc_t_merge_batch(c, q, task, 2, 3, ob2, 2), NGC_OK);
    ngc_kv_t t2[1] = {ngc_t_kv(k[2], 512, 1)};
    assert_int_equal(ngc_t_merge_batch(c, p, task2, 1, 1, t2, 1), NGC_OK);
    assert_int_equal(ngc_t_merge_batch(c, p, task2, 1, 2, t2, 1), NGC_OK); /* its retry */
    ngc_t_item_t ref[] = {
        {k[0], (uint32_t)strlen(k[0]), 1 + 16, 2},   {k[1], (uint32_t)strlen(k[1]), 2 + 4, 2},
        {k[2], (uint32_t)strlen(k[2]), 8 + 512, 2},  {k[3], (uint32_t)strlen(k[3]), 32, 1},
        {o[0], (uint32_t)strlen(o[0]), 64 + 128, 2}, {o[1], (uint32_t)strlen(o[1]), 256, 1},
    };
    size_t nref = ngc_t_reduce(ref, NGC_NELEMS(ref));
    assert_true(ngc_counters_distinct(c) == nref);
    ngc_t_expect(c, NGC_COUNT_MATCH, ref, nref);
    ngc_t_shm_free(shm);
}

/* A first attempt that committed only batch 1 of three: the retry skips
 * batch 1 and applies 2 and 3, so every key counts once. */
static void test_batches_retry_after_partial(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm(64 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    unsigned p = 40;
    char k[3][32];
    ngc_t_keys_in(p, "partial/", k, 3);
    uint32_t task = ngc_t_task();
    ngc_kv_t b[3][1] = {{ngc_t_kv(k[0], 1, 10)}, {ngc_t_kv(k[1], 2, 20)}, {ngc_t_kv(k[0], 4, 40)}};
    assert_int_equal(ngc_t_merge_batch(c, p, task, 1, 1, b[0], 1), NGC_OK);
    for (uint32_t batch = 1; batch <= 3; batch++)
        assert_int_equal(ngc_t_merge_batch(c, p, task, batch, 2, b[batch - 1], 1), NGC_OK);
    ngc_t_item_t ref[] = {
        {k[0], (uint32_t)strlen(k[0]), 5, 50},
        {k[1], (uint32_t)strlen(k[1]), 2, 20},
    };
    size_t nref = ngc_t_reduce(ref, NGC_NELEMS(ref));
    ngc_t_expect(c, NGC_COUNT_MATCH, ref, nref);
    ngc_t_shm_free(shm);
}

/* A batch that fails (a total past 2^64-1) is not committed: the table is
 * unchanged, and the same batch number can be merged again. */
static void test_batches_failed_not_committed(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm(64 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    unsigned p = 17;
    char k[2][32];
    ngc_t_keys_in(p, "fail/", k, 2);
    uint32_t task = ngc_t_task(), other = ngc_t_task();
    ngc_kv_t full[1] = {ngc_t_kv(k[0], UINT64_MAX, 0)};
    assert_int_equal(ngc_t_merge_batch(c, p, other, 1, 1, full, 1), NGC_OK);
    ngc_kv_t b2[2] = {ngc_t_kv(k[1], 3, 3), ngc_t_kv(k[0], 1, 0)};
    assert_int_equal(ngc_t_merge_batch(c, p, task, 1, 1, b2, 1), NGC_OK);
    assert_int_equal(ngc_t_merge_batch(c, p, task, 2, 1, b2, 2), NGC_ERROR);
    assert_false(ngc_counters_committed(c, p, task, 2));
    assert_true(ngc_counters_committed(c, p, task, 1));
    ngc_kv_t fix[1] = {ngc_t_kv(k[1], 5, 5)};
    assert_int_equal(ngc_t_merge_batch(c, p, task, 2, 2, fix, 1), NGC_OK);
    ngc_t_item_t ref[] = {
        {k[0], (uint32_t)strlen(k[0]), UINT64_MAX, 0},
        {k[1], (uint32_t)strlen(k[1]), 8, 8},
    };
    size_t nref = ngc_t_reduce(ref, NGC_NELEMS(ref));
    ngc_t_expect(c, NGC_COUNT_MATCH, ref, nref);
    ngc_t_shm_free(shm);
}

/* The first 8 bytes of a key, big-endian, zero-padded (ngc_entry_t.prefix). */
static uint64_t ngc_t_prefix(const char *key, size_t len)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++)
        v = v << 8 | (i < len ? (unsigned char)key[i] : 0u);
    return v;
}

/* --sort ngram: key bytes only, whatever the counts; the expected sign is
 * written out. Each case runs with prefixes 0 and with real prefixes. */
static void test_compare_sort_ngram(void **state)
{
    (void)state;
    const struct {
        const char *ka;
        uint32_t la;
        uint64_t ma, va;
        const char *kb;
        uint32_t lb;
        uint64_t mb, vb;
        int sign;
    } cases[] = {
        {"a", 1, 1, 9, "b", 1, 9, 1, -1}, /* the count is ignored */
        {"b", 1, 9, 1, "a", 1, 1, 9, 1},
        {"zz", 2, 0, 0, "a", 1, UINT64_MAX, UINT64_MAX, 1},
        {"ab", 2, 5, 5, "abc", 3, 1, 1, -1}, /* a prefix first */
        {"abc", 3, 1, 1, "ab", 2, 5, 5, 1},
        {"\xff", 1, 5, 5, "a", 1, 5, 5, 1}, /* unsigned bytes */
        {"\x7f", 1, 5, 5, "\x80", 1, 5, 5, -1},
        {"A", 1, 1, 1, "a", 1, 9, 9, -1},
        {"a b", 3, 1, 1, "a", 1, 1, 1, 1},
        {"a b", 3, 1, 1, "a\xc3\xa9", 3, 1, 1, -1},
        {"a\0b", 3, 5, 5, "a\0c", 3, 5, 5, -1}, /* past a NUL */
        {"a", 1, 5, 5, "a\0", 2, 5, 5, -1},     /* same zero-padded prefix */
        {"a\0", 2, 5, 5, "a", 1, 5, 5, 1},
        {"", 0, 1, 1, "\0", 1, 1, 1, -1},
        {"abcdefghij", 10, 9, 9, "abcdefghik", 10, 1, 1, -1}, /* past 8 bytes */
        {"abcdefgh", 8, 1, 1, "abcdefghi", 9, 9, 9, -1},
        {"abcdefgz", 8, 1, 1, "abcdefgha", 9, 9, 9, 1},
        {"same", 4, 5, 1, "same", 4, 7, 2, 0},
    };
    static const ngc_count_t counts[] = {NGC_COUNT_MATCH, NGC_COUNT_VOLUME, NGC_COUNT_BOTH};
    for (size_t i = 0; i < NGC_NELEMS(cases); i++)
        for (size_t k = 0; k < NGC_NELEMS(counts); k++)
            for (int real = 0; real <= 1; real++) {
                ngc_entry_t a = {cases[i].ka, cases[i].la, cases[i].ma, cases[i].va,
                                 real ? ngc_t_prefix(cases[i].ka, cases[i].la) : 0};
                ngc_entry_t b = {cases[i].kb, cases[i].lb, cases[i].mb, cases[i].vb,
                                 real ? ngc_t_prefix(cases[i].kb, cases[i].lb) : 0};
                int r = ngc_counters_compare(&a, &b, (ngc_order_t){counts[k], NGC_SORT_NGRAM});
                int sign = (r > 0) - (r < 0);
                if (sign != cases[i].sign)
                    fail_msg("case %zu count %zu prefixes %d: sign %d, expected %d", i, k, real,
                             sign, cases[i].sign);
            }
    /* ngc_entry_t.prefix as the table computes it. */
    for (size_t i = 0; i < NGC_NELEMS(cases); i++) {
        assert_true(ngc_entry_prefix(cases[i].ka, cases[i].la) ==
                    ngc_t_prefix(cases[i].ka, cases[i].la));
        assert_true(ngc_entry_prefix(cases[i].kb, cases[i].lb) ==
                    ngc_t_prefix(cases[i].kb, cases[i].lb));
    }
    assert_true(ngc_entry_prefix("\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9) ==
                0x0102030405060708ull);
    assert_true(ngc_entry_prefix("\xff", 1) == 0xff00000000000000ull);
    assert_true(ngc_entry_prefix("", 0) == 0);
    /* The same entries by count: the count decides first. */
    ngc_entry_t a = {"a", 1, 1, 9, 0}, b = {"b", 1, 9, 1, 0};
    assert_true(ngc_counters_compare(&a, &b, (ngc_order_t){NGC_COUNT_MATCH, NGC_SORT_COUNT}) > 0);
    assert_true(ngc_counters_compare(&a, &b, (ngc_order_t){NGC_COUNT_VOLUME, NGC_SORT_COUNT}) < 0);
}

/*
 * ngc_counters_sort with --sort ngram: every partition comes out in key
 * byte order (shorter first on a common prefix), and --min-count still
 * filters by the counted total (ngc_t_sort_case, in ngram order).
 */
static void test_sort_ngram(void **state)
{
    (void)state;
    ngc_t_sort_case(NGC_COUNT_MATCH, NGC_SORT_NGRAM, 0);
    ngc_t_sort_case(NGC_COUNT_MATCH, NGC_SORT_NGRAM, 5);
    ngc_t_sort_case(NGC_COUNT_VOLUME, NGC_SORT_NGRAM, 3);
    ngc_t_sort_case(NGC_COUNT_BOTH, NGC_SORT_NGRAM, 0);
    ngc_t_sort_case(NGC_COUNT_BOTH, NGC_SORT_NGRAM, UINT64_MAX);
}

/* --- spilled runs ------------------------------------------------------ */

/* A spill directory in a fresh temporary directory; *dir names the latter. */
static ngc_spill_t *ngc_t_spill(char *dir)
{
    assert_non_null(mkdtemp(dir));
    ngc_spill_t *sp = ngc_spill_new(dir);
    assert_non_null(sp);
    return sp;
}

/* Removes the spill directory; nothing else may be left in dir. */
static void ngc_t_spill_done(ngc_spill_t *sp, const char *dir)
{
    ngc_spill_remove(sp);
    ngc_spill_free(sp);
    assert_int_equal(rmdir(dir), 0);
}

/* Reads sources src[0..n) merged in `order`, checking the order; the
 * items' keys are copies (free them with ngc_t_items_free). */
static ngc_t_item_t *ngc_t_read_sources(ngc_runs_source_t *src, size_t nsrc, ngc_order_t order,
                                        size_t *count)
{
    ngc_runs_source_t **heap = malloc((nsrc ? nsrc : 1) * sizeof(*heap));
    size_t cap = 1024, len = 0, n = 0;
    ngc_t_item_t *all = malloc(cap * sizeof(*all));
    char err[512];
    assert_true(heap && all);
    assert_int_equal(ngc_runs_heap(src, nsrc, order, heap, &n, err, sizeof(err)), NGC_OK);
    while (n > 0) {
        const ngc_entry_t *e = &heap[0]->e;
        char *key = malloc(e->len ? e->len : 1);
        assert_non_null(key);
        memcpy(key, e->key, e->len);
        ngc_t_item_t it = {key, e->len, e->match, e->volume};
        if (len > 0 && ngc_t_order(&all[len - 1], &it, order.count, order.sort) >= 0)
            fail_msg("(%.*s) read after (%.*s)", (int)it.len, it.key, (int)all[len - 1].len,
                     all[len - 1].key);
        if (len == cap) {
            cap *= 2;
            all = realloc(all, cap * sizeof(*all));
            assert_non_null(all);
        }
        all[len++] = it;
        assert_int_equal(ngc_runs_heap_advance(heap, &n, order, err, sizeof(err)), NGC_OK);
    }
    free(heap);
    *count = len;
    return all;
}

static void ngc_t_items_free(ngc_t_item_t *it, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)it[i].key);
    free(it);
}

/*
 * A batch written straight to a run (one that does not fit the table) is
 * published and committed together: an attempt that dies between the two
 * leaves nothing (the next locker unpublishes its run), a retry writes it
 * again, and a third attempt skips it. Every key counts once, in the table
 * or in a run, after the partition is finished from its runs.
 */
static void test_spill_batch_exactly_once(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm(16 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    char dir[] = "/tmp/ngc-test-batch.XXXXXX";
    ngc_spill_t *sp = ngc_t_spill(dir);
    unsigned p = 9;
    char k[6][32];
    ngc_t_keys_in(p, "run/", k, 6);
    char err[512];
    uint64_t bytes;
    /* The table holds something a wrong repair would lose. */
    ngc_kv_t before[1] = {ngc_t_kv(k[0], 1000, 1)};
    assert_int_equal(ngc_t_merge_batch(c, p, ngc_t_task(), 1, 1, before, 1), NGC_OK);
    uint32_t task = ngc_t_task();
    ngc_kv_t b1[3] = {ngc_t_kv(k[2], 1, 1), ngc_t_kv(k[0], 2, 1), ngc_t_kv(k[1], 4, 1)};
    ngc_kv_t b2[3] = {ngc_t_kv(k[1], 8, 1), ngc_t_kv(k[3], 16, 1), ngc_t_kv(k[4], 32, 1)};
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Dies holding the lock, its run published, its batch not committed. */
        char fp[64];
        snprintf(fp, sizeof(fp), "worker.crash_in_merge@task=%u", task);
        setenv("NGC_FAILPOINTS", fp, 1);
        if (ngc_failpoint_init() != NGC_OK)
            _exit(1);
        ngc_counters_spill_batch(c, p, task, 1, 1, b1, 3, sp, &bytes, err, sizeof(err));
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(ngc_counters_runs(c, p), 1);
    assert_false(ngc_counters_committed(c, p, task, 1));
    assert_int_equal(
        ngc_counters_spill_batch(c, p, task, 1, 2, b1, 3, sp, &bytes, err, sizeof(err)), NGC_OK);
    assert_true(ngc_counters_repairs(c) == 1);
    assert_true(ngc_counters_committed(c, p, task, 1));
    assert_int_equal(ngc_counters_runs(c, p), 1);
    assert_true(bytes > 0);
    assert_int_equal(
        ngc_counters_spill_batch(c, p, task, 1, 3, b1, 3, sp, &bytes, err, sizeof(err)), NGC_OK);
    assert_int_equal(ngc_counters_runs(c, p), 1);
    assert_true(bytes == 0);
    /* The task's next batch merges into the table as usual, once. */
    assert_int_equal(ngc_t_merge_batch(c, p, task, 2, 2, b2, 3), NGC_OK);
    assert_int_equal(ngc_t_merge_batch(c, p, task, 2, 3, b2, 3), NGC_OK);
    ngc_kv_t b3[1] = {ngc_t_kv(k[5], 64, 1)};
    assert_int_equal(
        ngc_counters_spill_batch(c, p, ngc_t_task(), 1, 1, b3, 1, sp, &bytes, err, sizeof(err)),
        NGC_OK);
    assert_int_equal(ngc_counters_runs(c, p), 2);
    /* Finished the way the sort phase does it. */
    ngc_order_t order = {NGC_COUNT_MATCH, NGC_SORT_COUNT};
    assert_int_equal(ngc_counters_sort(c, p, order, 0, 0, 1), NGC_AGAIN);
    assert_int_equal(ngc_counters_spill(c, p, sp, &bytes, err, sizeof(err)), NGC_OK);
    assert_int_equal(
        ngc_runs_finish(c, p, sp, order, 0, 0, 1 << 20, 2, 0, 1, &bytes, err, sizeof(err)), NGC_OK);
    ngc_runs_source_t *src;
    size_t nsrc, n;
    assert_int_equal(ngc_runs_sources_open(c, p, 1, sp, &src, &nsrc, err, sizeof(err)), NGC_OK);
    ngc_t_item_t *got = ngc_t_read_sources(src, nsrc, order, &n);
    ngc_runs_sources_free(src, nsrc);
    ngc_t_item_t ref[] = {
        {k[0], (uint32_t)strlen(k[0]), 1002, 2}, {k[1], (uint32_t)strlen(k[1]), 12, 2},
        {k[2], (uint32_t)strlen(k[2]), 1, 1},    {k[3], (uint32_t)strlen(k[3]), 16, 1},
        {k[4], (uint32_t)strlen(k[4]), 32, 1},   {k[5], (uint32_t)strlen(k[5]), 64, 1},
    };
    size_t nref = ngc_t_reduce(ref, NGC_NELEMS(ref));
    ngc_t_same(got, n, ref, nref, NGC_COUNT_MATCH, 0);
    ngc_t_items_free(got, n);
    ngc_t_spill_done(sp, dir);
    ngc_t_shm_free(shm);
}

enum { NGC_T_FAN_KEYS = 300, NGC_T_FAN_RUNS = 37 };

/* Writes NGC_T_FAN_RUNS runs of partition `part`, each holding two keys in
 * five; adds the totals to ref (keys set by the caller). */
static void ngc_t_fan_runs(ngc_counters_t *c, ngc_spill_t *sp, unsigned part, ngc_t_item_t *ref)
{
    ngc_kv_t *kv = malloc(NGC_T_FAN_KEYS * sizeof(*kv));
    assert_non_null(kv);
    char err[512];
    for (unsigned r = 0; r < NGC_T_FAN_RUNS; r++) {
        size_t n = 0;
        for (size_t i = 0; i < NGC_T_FAN_KEYS; i++) {
            if ((i * 7 + r) % 5 >= 2)
                continue;
            kv[n++] = ngc_t_kv(ref[i].key, (i * 13 + r) % 97 + 1, 1);
            ref[i].match += (i * 13 + r) % 97 + 1;
            ref[i].volume++;
        }
        uint64_t bytes;
        assert_int_equal(ngc_counters_spill_batch(c, part, ngc_t_task(), 1, 1, kv, n, sp, &bytes,
                                                  err, sizeof(err)),
                         NGC_OK);
    }
    assert_int_equal(ngc_counters_runs(c, part), NGC_T_FAN_RUNS);
    free(kv);
}

/*
 * More runs than a merge may open: a partition is finished through
 * intermediate passes (fan-in 2 and 3), the output merge of the final runs
 * is bounded the same way, and the totals are exact either way, equal to
 * a merge that opens every run at once.
 */
static void test_runs_fan_in(void **state)
{
    (void)state;
    ngc_shm_t *shm = ngc_t_shm(16 * NGC_T_MB);
    assert_non_null(shm);
    ngc_counters_t *c = ngc_shm_counters(shm);
    char dir[] = "/tmp/ngc-test-fan.XXXXXX";
    ngc_spill_t *sp = ngc_t_spill(dir);
    const unsigned parts[3] = {3, 4, 5};
    const size_t fan_in[3] = {2, 3, 256};
    static char names[3][NGC_T_FAN_KEYS][32];
    ngc_t_item_t *ref = calloc(3 * NGC_T_FAN_KEYS, sizeof(*ref));
    assert_non_null(ref);
    ngc_order_t order = {NGC_COUNT_MATCH, NGC_SORT_COUNT};
    char err[512];
    uint64_t bytes, min_count = 40;
    for (unsigned i = 0; i < 3; i++) {
        ngc_t_keys_in(parts[i], "fan/", names[i], NGC_T_FAN_KEYS);
        for (size_t k = 0; k < NGC_T_FAN_KEYS; k++)
            ref[i * NGC_T_FAN_KEYS + k] = (ngc_t_item_t){names[i][k], (uint32_t)strlen(names[i][k]),
                                                         0, 0};
        ngc_t_fan_runs(c, sp, parts[i], ref + i * NGC_T_FAN_KEYS);
    }
    for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++) {
        int rc = ngc_counters_sort(c, p, order, min_count, 0, 1);
        if (rc == NGC_OK)
            continue;
        assert_int_equal(rc, NGC_AGAIN);
        unsigned i = p == parts[0] ? 0 : p == parts[1] ? 1 : 2;
        /* Final runs of a few hundred bytes: many of them. */
        assert_int_equal(ngc_runs_finish(c, p, sp, order, min_count, 0, 600, fan_in[i], 0, 1,
                                         &bytes, err, sizeof(err)),
                         NGC_OK);
        assert_true(ngc_counters_finals(c, p) > 3);
    }
    /* Each partition alone, its final runs read one after another. */
    ngc_runs_source_t *src;
    size_t nsrc, n, total = 0;
    ngc_t_item_t mine[NGC_T_FAN_KEYS];
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(ngc_runs_sources_open(c, parts[i], 1, sp, &src, &nsrc, err, sizeof(err)),
                         NGC_OK);
        assert_int_equal(nsrc, ngc_counters_finals(c, parts[i]));
        ngc_t_item_t *got = ngc_t_read_sources(src, nsrc, order, &n);
        ngc_runs_sources_free(src, nsrc);
        memcpy(mine, ref + i * NGC_T_FAN_KEYS, sizeof(mine));
        size_t nmine = ngc_t_reduce(mine, NGC_T_FAN_KEYS);
        ngc_t_same(got, n, mine, nmine, NGC_COUNT_MATCH, min_count);
        total += n;
        ngc_t_items_free(got, n);
    }
    size_t nref = ngc_t_reduce(ref, 3 * NGC_T_FAN_KEYS);
    /* All of them, bounded to two runs at once. */
    assert_int_equal(
        ngc_runs_sources_open(c, 0, NGC_COUNTERS_PARTS, sp, &src, &nsrc, err, sizeof(err)), NGC_OK);
    assert_true(nsrc > 2);
    assert_int_equal(ngc_runs_sources_bound(&src, &nsrc, sp, order, 0, 2, err, sizeof(err)),
                     NGC_OK);
    assert_true(nsrc <= 2);
    ngc_t_item_t *got = ngc_t_read_sources(src, nsrc, order, &n);
    ngc_runs_sources_free(src, nsrc);
    assert_int_equal(n, total);
    ngc_t_same(got, n, ref, nref, NGC_COUNT_MATCH, min_count);
    ngc_t_items_free(got, n);
    free(ref);
    ngc_t_spill_done(sp, dir);
    ngc_t_shm_free(shm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_shm_layout, ngc_t_teardown),
        cmocka_unit_test_teardown(test_shm_too_small, ngc_t_teardown),
        cmocka_unit_test_teardown(test_merge_totals, ngc_t_teardown),
        cmocka_unit_test_teardown(test_growth, ngc_t_teardown),
        cmocka_unit_test_teardown(test_growth_by_keys, ngc_t_teardown),
        cmocka_unit_test_teardown(test_growth_hint, ngc_t_teardown),
        cmocka_unit_test_teardown(test_wide_entries, ngc_t_teardown),
        cmocka_unit_test_teardown(test_wide_entries_grown_by_keys, ngc_t_teardown),
        cmocka_unit_test_teardown(test_match_only_table, ngc_t_teardown),
        cmocka_unit_test_teardown(test_binary_and_long_keys, ngc_t_teardown),
        cmocka_unit_test_teardown(test_overflow, ngc_t_teardown),
        cmocka_unit_test_teardown(test_overflow_uncounted, ngc_t_teardown),
        cmocka_unit_test_teardown(test_full, ngc_t_teardown),
        cmocka_unit_test_teardown(test_sort_match, ngc_t_teardown),
        cmocka_unit_test_teardown(test_sort_volume, ngc_t_teardown),
        cmocka_unit_test_teardown(test_sort_both, ngc_t_teardown),
        cmocka_unit_test_teardown(test_sort_full_pool, ngc_t_teardown),
        cmocka_unit_test_teardown(test_compare, ngc_t_teardown),
        cmocka_unit_test_teardown(test_empty_key_after_others, ngc_t_teardown),
        cmocka_unit_test_teardown(test_multiprocess_merge, ngc_t_teardown),
        cmocka_unit_test_teardown(test_owner_dead_mid_merge, ngc_t_teardown),
        cmocka_unit_test_teardown(test_owner_dead_after_widening, ngc_t_teardown),
        cmocka_unit_test_teardown(test_regress_counters_empty_key_first, ngc_t_teardown),
        cmocka_unit_test_teardown(test_batches_retry, ngc_t_teardown),
        cmocka_unit_test_teardown(test_batches_retry_after_partial, ngc_t_teardown),
        cmocka_unit_test_teardown(test_batches_failed_not_committed, ngc_t_teardown),
        cmocka_unit_test_teardown(test_compare_sort_ngram, ngc_t_teardown),
        cmocka_unit_test_teardown(test_sort_ngram, ngc_t_teardown),
        cmocka_unit_test_teardown(test_spill_batch_exactly_once, ngc_t_teardown),
        cmocka_unit_test_teardown(test_runs_fan_in, ngc_t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
