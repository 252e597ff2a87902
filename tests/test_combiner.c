/*
 * test_combiner.c: the map task's combiner table (workers/combiner.h) against a
 * sorted-array reference: totals, growth to many thousands of keys, key
 * copying, zero-length keys, overflow, partitioning and reset.
 */
#include "engine/base/ngc.h"
#include "workers/combiner.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

typedef struct {
    char key[40];
    uint32_t len;
    uint64_t match;
    uint64_t volume;
} ngc_t_ref_t;

static int ngc_t_ref_cmp(const void *x, const void *y)
{
    const ngc_t_ref_t *a = x, *b = y;
    uint32_t n = a->len < b->len ? a->len : b->len;
    int r = memcmp(a->key, b->key, n);
    if (r != 0)
        return r;
    return (a->len > b->len) - (a->len < b->len);
}

static int ngc_t_kv_cmp(const void *x, const void *y)
{
    const ngc_kv_t *a = x, *b = y;
    uint32_t n = a->len < b->len ? a->len : b->len;
    int r = memcmp(a->key, b->key, n);
    if (r != 0)
        return r;
    return (a->len > b->len) - (a->len < b->len);
}

/* Sorts and sums duplicate keys in place; returns the distinct count. */
static size_t ngc_t_ref_reduce(ngc_t_ref_t *r, size_t n)
{
    qsort(r, n, sizeof(*r), ngc_t_ref_cmp);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (out > 0 && ngc_t_ref_cmp(&r[out - 1], &r[i]) == 0) {
            r[out - 1].match += r[i].match;
            r[out - 1].volume += r[i].volume;
        } else {
            r[out++] = r[i];
        }
    }
    return out;
}

/*
 * Checks the partitioned view: partitions are contiguous and ordered, each
 * entry sits in the partition of its hash, its hash is its key's, and the
 * entries (sorted) equal the reference exactly.
 */
static void ngc_t_check(ngc_combiner_t *m, const ngc_t_ref_t *ref, size_t nref)
{
    assert_int_equal(ngc_combiner_count(m), nref);
    size_t start[NGC_COUNTERS_PARTS + 1];
    memset(start, 0xff, sizeof(start));
    const ngc_kv_t *kv = ngc_combiner_partitioned(m, start);
    assert_non_null(kv);
    assert_int_equal(start[0], 0);
    for (unsigned k = 0; k < NGC_COUNTERS_PARTS; k++) {
        assert_true(start[k] <= start[k + 1]);
        for (size_t i = start[k]; i < start[k + 1]; i++) {
            assert_int_equal(kv[i].part, k);
            assert_true(kv[i].hash == ngc_counters_hash(kv[i].key, kv[i].len));
            assert_int_equal(ngc_counters_partition(kv[i].hash), k);
        }
    }
    assert_int_equal(start[NGC_COUNTERS_PARTS], nref);
    ngc_kv_t *copy = malloc((nref ? nref : 1) * sizeof(*copy));
    assert_non_null(copy);
    memcpy(copy, kv, nref * sizeof(*copy));
    qsort(copy, nref, sizeof(*copy), ngc_t_kv_cmp);
    for (size_t i = 0; i < nref; i++) {
        if (copy[i].len != ref[i].len || memcmp(copy[i].key, ref[i].key, ref[i].len) != 0)
            fail_msg("entry %zu: key \"%.*s\", expected \"%.*s\"", i, (int)copy[i].len, copy[i].key,
                     (int)ref[i].len, ref[i].key);
        if (copy[i].match != ref[i].match || copy[i].volume != ref[i].volume)
            fail_msg("key \"%.*s\": %llu %llu, expected %llu %llu", (int)ref[i].len, ref[i].key,
                     (unsigned long long)copy[i].match, (unsigned long long)copy[i].volume,
                     (unsigned long long)ref[i].match, (unsigned long long)ref[i].volume);
    }
    free(copy);
}

static uint64_t ngc_t_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void test_empty(void **state)
{
    (void)state;
    ngc_combiner_t *m = ngc_combiner_new();
    assert_non_null(m);
    ngc_t_check(m, NULL, 0);
    ngc_combiner_free(m);
    ngc_combiner_free(NULL);
}

static void test_add_and_total(void **state)
{
    (void)state;
    ngc_combiner_t *m = ngc_combiner_new();
    assert_non_null(m);
    assert_int_equal(ngc_combiner_add(m, "dog", 3, 1, 10), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "cat", 3, 2, 20), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "dog", 3, 4, 40), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "do", 2, 8, 80), NGC_OK); /* prefix: distinct */
    assert_int_equal(ngc_combiner_add(m, "dogs", 4, 16, 160), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "dogX", 3, 32, 320), NGC_OK); /* only "dog" */
    assert_int_equal(ngc_combiner_add(m, "Dog", 3, 64, 640), NGC_OK);
    ngc_t_ref_t ref[] = {
        {"Dog", 3, 64, 640}, {"cat", 3, 2, 20},    {"do", 2, 8, 80},
        {"dog", 3, 37, 370}, {"dogs", 4, 16, 160},
    };
    ngc_t_check(m, ref, NGC_NELEMS(ref));
    ngc_combiner_free(m);
}

static void test_key_is_copied(void **state)
{
    (void)state;
    ngc_combiner_t *m = ngc_combiner_new();
    assert_non_null(m);
    char key[16];
    for (int i = 0; i < 100; i++) {
        int n = snprintf(key, sizeof(key), "w%03d", i);
        assert_int_equal(ngc_combiner_add(m, key, (uint32_t)n, 1, 1), NGC_OK);
        memset(key, '#', sizeof(key)); /* the caller's bytes are gone */
    }
    ngc_t_ref_t ref[100];
    for (int i = 0; i < 100; i++) {
        memset(&ref[i], 0, sizeof(ref[i]));
        ref[i].len = (uint32_t)snprintf(ref[i].key, sizeof(ref[i].key), "w%03d", i);
        ref[i].match = ref[i].volume = 1;
    }
    ngc_t_check(m, ref, 100);
    ngc_combiner_free(m);
}

static void test_zero_length_key(void **state)
{
    (void)state;
    ngc_combiner_t *m = ngc_combiner_new();
    assert_non_null(m);
    /* The empty key, first into a fresh table, then again. */
    assert_int_equal(ngc_combiner_add(m, "", 0, 3, 4), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "a", 1, 1, 1), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "xyz", 0, 5, 6), NGC_OK);
    assert_int_equal(ngc_combiner_count(m), 2);
    size_t start[NGC_COUNTERS_PARTS + 1];
    const ngc_kv_t *kv = ngc_combiner_partitioned(m, start);
    assert_non_null(kv);
    int found = 0;
    for (size_t i = 0; i < start[NGC_COUNTERS_PARTS]; i++)
        if (kv[i].len == 0) {
            found++;
            assert_non_null(kv[i].key);
            assert_int_equal(kv[i].match, 8);
            assert_int_equal(kv[i].volume, 10);
            assert_int_equal(kv[i].part, ngc_counters_partition(ngc_counters_hash("", 0)));
        }
    assert_int_equal(found, 1);
    ngc_combiner_free(m);
}

static void test_binary_keys(void **state)
{
    (void)state;
    ngc_combiner_t *m = ngc_combiner_new();
    assert_non_null(m);
    assert_int_equal(ngc_combiner_add(m, "a\0b", 3, 1, 1), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "a\0c", 3, 2, 2), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "a", 1, 4, 4), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "\xff\xfe", 2, 8, 8), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "a\0b", 3, 16, 16), NGC_OK);
    ngc_t_ref_t ref[] = {
        {"a", 1, 4, 4},
        {"a\0b", 3, 17, 17},
        {"a\0c", 3, 2, 2},
        {"\xff\xfe", 2, 8, 8},
    };
    ngc_t_check(m, ref, NGC_NELEMS(ref));
    ngc_combiner_free(m);
}

/* Adds nadds random keys from a space of nkeys and checks against the reference. */
static void ngc_t_random(ngc_combiner_t *m, uint64_t seed, size_t nkeys, size_t nadds)
{
    ngc_t_ref_t *ref = calloc(nadds, sizeof(*ref));
    assert_non_null(ref);
    uint64_t x = seed;
    for (size_t i = 0; i < nadds; i++) {
        uint64_t r = ngc_t_rand(&x);
        uint64_t id = r % nkeys;
        /* Varying lengths, so some keys are prefixes of others. */
        int n = snprintf(ref[i].key, sizeof(ref[i].key), "%llu/%.*s", (unsigned long long)id,
                         (int)(id % 13), "abcdefghijklm");
        ref[i].len = (uint32_t)n;
        ref[i].match = (r >> 20) % 1000;
        ref[i].volume = (r >> 40) % 7;
        assert_int_equal(ngc_combiner_add(m, ref[i].key, ref[i].len, ref[i].match, ref[i].volume),
                         NGC_OK);
    }
    size_t distinct = ngc_t_ref_reduce(ref, nadds);
    ngc_t_check(m, ref, distinct);
    free(ref);
}

static void test_growth(void **state)
{
    (void)state;
    ngc_combiner_t *m = ngc_combiner_new();
    assert_non_null(m);
    /* Its first adds find few repeats: the table must not become a log. */
    ngc_combiner_always_combine(m);
    /* Far past the initial size: 100,000 distinct keys, 300,000 adds. */
    ngc_t_random(m, 0x9e3779b97f4a7c15ull, 100000, 300000);
    ngc_combiner_free(m);
}

static void test_all_distinct(void **state)
{
    (void)state;
    ngc_combiner_t *m = ngc_combiner_new();
    assert_non_null(m);
    enum { N = 50000 };
    ngc_t_ref_t *ref = calloc(N, sizeof(*ref));
    assert_non_null(ref);
    for (size_t i = 0; i < N; i++) {
        ref[i].len = (uint32_t)snprintf(ref[i].key, sizeof(ref[i].key), "key-%zu", i);
        ref[i].match = i;
        ref[i].volume = N - i;
        assert_int_equal(ngc_combiner_add(m, ref[i].key, ref[i].len, i, N - i), NGC_OK);
        if (i % 997 == 0)
            assert_int_equal(ngc_combiner_count(m), i + 1);
    }
    qsort(ref, N, sizeof(*ref), ngc_t_ref_cmp);
    ngc_t_check(m, ref, N);
    free(ref);
    ngc_combiner_free(m);
}

/* Sums the partitioned entries of m by key into a sorted array; its size. */
static size_t ngc_t_summed(ngc_combiner_t *m, ngc_t_ref_t **out)
{
    size_t start[NGC_COUNTERS_PARTS + 1];
    const ngc_kv_t *kv = ngc_combiner_partitioned(m, start);
    assert_non_null(kv);
    size_t n = start[NGC_COUNTERS_PARTS];
    ngc_t_ref_t *r = calloc(n ? n : 1, sizeof(*r));
    assert_non_null(r);
    for (size_t i = 0; i < n; i++) {
        assert_true(kv[i].len < sizeof(r[i].key));
        r[i] = (ngc_t_ref_t){.len = kv[i].len, .match = kv[i].match, .volume = kv[i].volume};
        memcpy(r[i].key, kv[i].key, kv[i].len);
    }
    *out = r;
    return ngc_t_ref_reduce(r, n);
}

/* Nearly all keys new (a 2-gram file): past its sample the table becomes a
 * log that keeps repeats as separate entries, whose sums are still exact;
 * a reset makes it a combining table again. */
static void test_log_mode(void **state)
{
    (void)state;
    ngc_combiner_t *m = ngc_combiner_new();
    assert_non_null(m);
    enum { N = 40000, AGAIN = 10000 };
    ngc_t_ref_t *ref = calloc(N, sizeof(*ref));
    assert_non_null(ref);
    for (size_t i = 0; i < N; i++) {
        ref[i].len = (uint32_t)snprintf(ref[i].key, sizeof(ref[i].key), "k%zu", i);
        ref[i].match = ref[i].volume = 1;
        assert_int_equal(ngc_combiner_add(m, ref[i].key, ref[i].len, 1, 1), NGC_OK);
    }
    for (size_t i = 0; i < AGAIN; i++) {
        assert_int_equal(ngc_combiner_add(m, ref[i].key, ref[i].len, 2, 3), NGC_OK);
        ref[i].match += 2;
        ref[i].volume += 3;
    }
    /* A log: every add is an entry. */
    assert_int_equal(ngc_combiner_count(m), N + AGAIN);
    ngc_t_ref_t *got;
    size_t n = ngc_t_summed(m, &got);
    qsort(ref, N, sizeof(*ref), ngc_t_ref_cmp);
    assert_int_equal(n, N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(got[i].len, ref[i].len);
        assert_memory_equal(got[i].key, ref[i].key, ref[i].len);
        assert_true(got[i].match == ref[i].match && got[i].volume == ref[i].volume);
    }
    free(got);
    /* A log asks to be merged once it holds 65536 entries, not before. */
    assert_false(ngc_combiner_wants_merge(m));
    char key[32];
    for (size_t i = N + AGAIN; i < 65536; i++) {
        assert_false(ngc_combiner_wants_merge(m));
        int len = snprintf(key, sizeof(key), "more%zu", i);
        assert_int_equal(ngc_combiner_add(m, key, (uint32_t)len, 1, 1), NGC_OK);
    }
    assert_true(ngc_combiner_wants_merge(m));
    ngc_combiner_reset(m);
    assert_false(ngc_combiner_wants_merge(m));
    assert_int_equal(ngc_combiner_add(m, "x", 1, 1, 1), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "x", 1, 1, 1), NGC_OK);
    assert_int_equal(ngc_combiner_count(m), 1);
    free(ref);
    ngc_combiner_free(m);
}

static void test_long_key(void **state)
{
    (void)state;
    ngc_combiner_t *m = ngc_combiner_new();
    assert_non_null(m);
    /* Longer than an arena block of any sensible size. */
    size_t len = 3u << 20;
    char *k = malloc(len);
    assert_non_null(k);
    for (size_t i = 0; i < len; i++)
        k[i] = (char)(i * 131 % 251);
    assert_int_equal(ngc_combiner_add(m, "small", 5, 1, 1), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, k, (uint32_t)len, 2, 3), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, k, (uint32_t)len, 2, 3), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "small2", 6, 1, 1), NGC_OK);
    size_t start[NGC_COUNTERS_PARTS + 1];
    const ngc_kv_t *kv = ngc_combiner_partitioned(m, start);
    assert_non_null(kv);
    int found = 0;
    for (size_t i = 0; i < start[NGC_COUNTERS_PARTS]; i++)
        if (kv[i].len == len) {
            found++;
            assert_memory_equal(kv[i].key, k, len);
            assert_int_equal(kv[i].match, 4);
            assert_int_equal(kv[i].volume, 6);
        }
    assert_int_equal(found, 1);
    assert_int_equal(ngc_combiner_count(m), 3);
    free(k);
    ngc_combiner_free(m);
}

static void test_overflow(void **state)
{
    (void)state;
    ngc_combiner_t *m = ngc_combiner_new();
    assert_non_null(m);
    /* Up to 2^64-1 exactly is fine. */
    assert_int_equal(ngc_combiner_add(m, "a", 1, UINT64_MAX - 1, 0), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "a", 1, 1, UINT64_MAX), NGC_OK);
    ngc_t_ref_t ref[] = {{"a", 1, UINT64_MAX, UINT64_MAX}};
    ngc_t_check(m, ref, 1);
    /* One more in either count is not. */
    assert_int_equal(ngc_combiner_add(m, "a", 1, 1, 0), NGC_ERROR);
    ngc_combiner_free(m);

    m = ngc_combiner_new();
    assert_non_null(m);
    assert_int_equal(ngc_combiner_add(m, "v", 1, 0, UINT64_MAX), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "v", 1, 0, 1), NGC_ERROR);
    /* Other keys are unaffected. */
    assert_int_equal(ngc_combiner_add(m, "w", 1, UINT64_MAX, UINT64_MAX), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "x", 1, 5, 5), NGC_OK);
    assert_int_equal(ngc_combiner_count(m), 3);
    ngc_combiner_free(m);

    m = ngc_combiner_new();
    assert_non_null(m);
    assert_int_equal(ngc_combiner_add(m, "h", 1, 1ull << 63, 0), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "h", 1, 1ull << 63, 0), NGC_ERROR);
    ngc_combiner_free(m);
}

/* --count match: a volume past 2^64-1 stays at 2^64-1 instead of failing
 * the job, and the match still fails; --count volume the other way round. */
static void test_overflow_uncounted(void **state)
{
    (void)state;
    ngc_combiner_t *m = ngc_combiner_new();
    assert_non_null(m);
    ngc_combiner_set_count(m, NGC_COUNT_MATCH);
    assert_int_equal(ngc_combiner_add(m, "a", 1, 1, UINT64_MAX), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "a", 1, 2, 5), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "a", 1, 3, UINT64_MAX), NGC_OK);
    ngc_t_ref_t ref[] = {{"a", 1, 6, UINT64_MAX}};
    ngc_t_check(m, ref, 1);
    assert_int_equal(ngc_combiner_add(m, "b", 1, UINT64_MAX, 0), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "b", 1, 1, 0), NGC_ERROR);
    ngc_combiner_free(m);

    m = ngc_combiner_new();
    assert_non_null(m);
    ngc_combiner_set_count(m, NGC_COUNT_VOLUME);
    assert_int_equal(ngc_combiner_add(m, "a", 1, UINT64_MAX, 1), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "a", 1, 7, 2), NGC_OK);
    ngc_t_ref_t vref[] = {{"a", 1, UINT64_MAX, 3}};
    ngc_t_check(m, vref, 1);
    assert_int_equal(ngc_combiner_add(m, "a", 1, 0, UINT64_MAX), NGC_ERROR);
    ngc_combiner_free(m);

    m = ngc_combiner_new();
    assert_non_null(m);
    ngc_combiner_set_count(m, NGC_COUNT_BOTH);
    assert_int_equal(ngc_combiner_add(m, "a", 1, 1, UINT64_MAX), NGC_OK);
    assert_int_equal(ngc_combiner_add(m, "a", 1, 1, 1), NGC_ERROR);
    ngc_combiner_free(m);
}

static void test_partition_cover(void **state)
{
    (void)state;
    /* Every partition gets keys, and each entry shows up exactly once. */
    ngc_combiner_t *m = ngc_combiner_new();
    assert_non_null(m);
    enum { N = 20000 };
    for (unsigned i = 0; i < N; i++) {
        char k[16];
        int n = snprintf(k, sizeof(k), "p%u", i);
        assert_int_equal(ngc_combiner_add(m, k, (uint32_t)n, i + 1, 1), NGC_OK);
    }
    size_t start[NGC_COUNTERS_PARTS + 1];
    const ngc_kv_t *kv = ngc_combiner_partitioned(m, start);
    assert_non_null(kv);
    assert_int_equal(start[NGC_COUNTERS_PARTS], N);
    unsigned char *seen = calloc(N, 1);
    assert_non_null(seen);
    for (unsigned k = 0; k < NGC_COUNTERS_PARTS; k++) {
        assert_true(start[k + 1] > start[k]); /* 20,000 keys reach all 64 */
        for (size_t i = start[k]; i < start[k + 1]; i++) {
            assert_int_equal(kv[i].part, k);
            /* match is i + 1: it names the key. */
            uint64_t id = kv[i].match - 1;
            assert_true(id < N);
            char want[16];
            int n = snprintf(want, sizeof(want), "p%llu", (unsigned long long)id);
            assert_int_equal(kv[i].len, n);
            assert_memory_equal(kv[i].key, want, (size_t)n);
            assert_int_equal(seen[id], 0);
            seen[id] = 1;
        }
    }
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    free(seen);
    /* Calling it twice gives the same view. */
    size_t start2[NGC_COUNTERS_PARTS + 1];
    const ngc_kv_t *kv2 = ngc_combiner_partitioned(m, start2);
    assert_non_null(kv2);
    assert_memory_equal(start, start2, sizeof(start));
    ngc_combiner_free(m);
}

static void test_reset_reuse(void **state)
{
    (void)state;
    ngc_combiner_t *m = ngc_combiner_new();
    assert_non_null(m);
    ngc_combiner_always_combine(m); /* kept across resets */
    ngc_t_random(m, 1, 30000, 60000);
    ngc_combiner_reset(m);
    ngc_t_check(m, NULL, 0);
    /* The old keys are gone: adding one starts from its new counts. */
    assert_int_equal(ngc_combiner_add(m, "0/", 2, 7, 7), NGC_OK);
    ngc_t_ref_t one[] = {{"0/", 2, 7, 7}};
    ngc_t_check(m, one, 1);
    ngc_combiner_reset(m);
    /* A second, different task on the reused memory. */
    ngc_t_random(m, 2, 40000, 80000);
    ngc_combiner_reset(m);
    ngc_t_random(m, 3, 500, 5000);
    ngc_combiner_reset(m);
    ngc_combiner_reset(m); /* resetting an empty table is harmless */
    ngc_t_check(m, NULL, 0);
    ngc_combiner_free(m);
}

/* A released table (the map phase over) is empty and small, and still
 * works: a log, then a combining table, each released, then refilled. */
static void test_release(void **state)
{
    (void)state;
    ngc_combiner_t *m = ngc_combiner_new();
    assert_non_null(m);
    ngc_combiner_release(m); /* a new table: nothing to give back */
    ngc_t_check(m, NULL, 0);
    for (size_t i = 0; i < 50000; i++) { /* all new: it becomes a log */
        char key[32];
        int n = snprintf(key, sizeof(key), "log-%zu", i);
        assert_int_equal(ngc_combiner_add(m, key, (uint32_t)n, 1, 1), NGC_OK);
    }
    assert_true(ngc_combiner_bytes(m) > 50000);
    ngc_combiner_release(m);
    ngc_t_check(m, NULL, 0);
    assert_true(ngc_combiner_bytes(m) < 50000);
    ngc_combiner_always_combine(m); /* so ngc_t_check sees each key once */
    ngc_t_random(m, 4, 20000, 60000);
    ngc_combiner_release(m);
    ngc_combiner_release(m);
    ngc_t_check(m, NULL, 0);
    ngc_t_random(m, 5, 3000, 9000);
    ngc_combiner_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_add_and_total),
        cmocka_unit_test(test_key_is_copied),
        cmocka_unit_test(test_zero_length_key),
        cmocka_unit_test(test_binary_keys),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_all_distinct),
        cmocka_unit_test(test_log_mode),
        cmocka_unit_test(test_long_key),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_overflow_uncounted),
        cmocka_unit_test(test_partition_cover),
        cmocka_unit_test(test_reset_reuse),
        cmocka_unit_test(test_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
