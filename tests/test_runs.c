/*
 * test_runs.c: the merges over spilled runs (engine/reduce/runs.c). A spilled
 * partition finished from its runs holds each key once with its exact
 * totals, less those below --min-count, in final runs that are each in
 * output order (several under a small budget, one for --sort ngram, each
 * cut at --top); the spilled and intermediate runs are gone once it is
 * published. A total past 2^64-1 and a damaged run are errors that
 * publish nothing and leave the spills for a retry, which then succeeds.
 * The output merge of sorted partitions in memory and final runs reads
 * them in output order, bounded to a fan-in of runs at once.
 */
#include "engine/base/ngc.h"
#include "engine/base/config.h"
#include "engine/reduce/counters.h"
#include "engine/reduce/runfile.h"
#include "engine/reduce/runs.h"
#include "engine/reduce/shm.h"
#include "engine/reduce/spill.h"

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#define NGC_T_MB (1ull << 20)
#define NGC_T_TASKS 1000u
#define NGC_T_KEYS 400u
#define NGC_T_RUNS 9u

static uint32_t ngc_t_next_task;

/* Every batch is its own task: a (task, partition) pair counts once. */
static uint32_t ngc_t_task(void)
{
    ngc_t_next_task = (ngc_t_next_task + 1) % NGC_T_TASKS;
    return ngc_t_next_task;
}

typedef struct {
    char dir[64]; /* holds the spill directory */
    ngc_shm_t *shm;
    ngc_counters_t *c;
    ngc_spill_t *sp;
    char names[NGC_T_KEYS][32];
    uint64_t match[NGC_T_KEYS], volume[NGC_T_KEYS]; /* the totals written */
} ngc_t_fixture_t;

static int ngc_t_setup(void **state)
{
    ngc_t_fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    ngc_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.count = NGC_COUNT_MATCH;
    cfg.pg_dsn = ""; /* keep volumes */
    cfg.processes = 2;
    cfg.threads = 1;
    cfg.chunk_size = NGC_T_MB;
    cfg.memory = 16 * NGC_T_MB;
    cfg.from_year = 1;
    cfg.to_year = 9999;
    f->shm = ngc_shm_new(&cfg, NGC_T_TASKS, NULL);
    assert_non_null(f->shm);
    f->c = ngc_shm_counters(f->shm);
    snprintf(f->dir, sizeof(f->dir), "/tmp/ngc-test-runs.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->sp = ngc_spill_new(f->dir);
    assert_non_null(f->sp);
    *state = f;
    return 0;
}

static int ngc_t_teardown(void **state)
{
    ngc_t_fixture_t *f = *state;
    ngc_spill_remove(f->sp);
    ngc_spill_free(f->sp);
    rmdir(f->dir);
    ngc_shm_free(f->shm);
    free(f);
    return 0;
}

/* Keys "<prefix><i>" of partition part, NGC_T_KEYS of them, in f->names. */
static void ngc_t_keys_in(ngc_t_fixture_t *f, unsigned part, const char *prefix)
{
    size_t found = 0;
    for (unsigned i = 0; found < NGC_T_KEYS; i++) {
        int len = snprintf(f->names[found], 32, "%s%u", prefix, i);
        if (ngc_counters_partition(ngc_counters_hash(f->names[found], (size_t)len)) == part)
            found++;
    }
    memset(f->match, 0, sizeof(f->match));
    memset(f->volume, 0, sizeof(f->volume));
}

static ngc_kv_t ngc_t_kv(const char *key, uint64_t match, uint64_t volume)
{
    uint32_t len = (uint32_t)strlen(key);
    uint64_t h = ngc_counters_hash(key, len);
    return (ngc_kv_t){key, len, ngc_counters_partition(h), h, match, volume};
}

/* Spills NGC_T_RUNS runs of partition part, run r holding the keys with
 * (i + r) % 3 == 0, so most keys are in several runs; ties in the match
 * totals (i / 4) test the order's key tiebreak. */
static void ngc_t_spill_runs(ngc_t_fixture_t *f, unsigned part)
{
    ngc_kv_t kv[NGC_T_KEYS];
    char err[512];
    for (unsigned r = 0; r < NGC_T_RUNS; r++) {
        size_t n = 0;
        for (size_t i = 0; i < NGC_T_KEYS; i++) {
            if ((i + r) % 3 != 0)
                continue;
            uint64_t m = i / 4 + 1, v = r + 1;
            kv[n++] = ngc_t_kv(f->names[i], m, v);
            f->match[i] += m;
            f->volume[i] += v;
        }
        uint64_t bytes = 0;
        assert_int_equal(ngc_counters_spill_batch(f->c, part, ngc_t_task(), 1, 1, kv, n, f->sp,
                                                  &bytes, err, sizeof(err)),
                         NGC_OK);
        assert_true(bytes > 0);
    }
    assert_int_equal(ngc_counters_runs(f->c, part), NGC_T_RUNS);
}

/* The index of key (len bytes) in f->names; fails when it is not one. */
static size_t ngc_t_index(const ngc_t_fixture_t *f, const char *key, uint32_t len)
{
    for (size_t i = 0; i < NGC_T_KEYS; i++)
        if (strlen(f->names[i]) == len && memcmp(f->names[i], key, len) == 0)
            return i;
    fail_msg("unknown key \"%.*s\"", (int)len, key);
    return 0;
}

/* Whether entry a comes before b in `order`, as documented: the counted
 * total descending then the key's bytes (--sort ngram: the bytes alone). */
static bool ngc_t_before(const ngc_entry_t *a, const ngc_entry_t *b, ngc_order_t order)
{
    if (order.sort == NGC_SORT_COUNT) {
        uint64_t x = order.count == NGC_COUNT_VOLUME ? a->volume : a->match;
        uint64_t y = order.count == NGC_COUNT_VOLUME ? b->volume : b->match;
        if (x != y)
            return x > y;
    }
    uint32_t n = a->len < b->len ? a->len : b->len;
    int r = memcmp(a->key, b->key, n);
    return r < 0 || (r == 0 && a->len < b->len);
}

/* Counts the files of the spill directory whose names start with prefix
 * ("" for all). */
static size_t ngc_t_files(ngc_t_fixture_t *f, const char *prefix)
{
    char err[512];
    int fd = ngc_spill_fd(f->sp, err, sizeof(err));
    assert_true(fd >= 0);
    DIR *d = fdopendir(dup(fd));
    assert_non_null(d);
    rewinddir(d); /* the copy shares its offset with the last listing's */
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' && strncmp(de->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

/*
 * Reads partition part's final runs one at a time: each in output order
 * and at most `top` long (when top > 0); every key read at most once, with
 * its exact totals; returns how many were read. seen[i] marks key i.
 */
static size_t ngc_t_read_finals(ngc_t_fixture_t *f, unsigned part, ngc_order_t order, uint64_t top,
                                bool *seen)
{
    ngc_runs_source_t *src;
    size_t nsrc, total = 0;
    char err[512];
    assert_int_equal(ngc_runs_sources_open(f->c, part, 1, f->sp, &src, &nsrc, err, sizeof(err)),
                     NGC_OK);
    assert_int_equal(nsrc, ngc_counters_finals(f->c, part));
    for (size_t s = 0; s < nsrc; s++) {
        ngc_entry_t prev = {0};
        char prev_key[32];
        size_t n = 0;
        int rc;
        while ((rc = ngc_runs_source_next(&src[s])) == NGC_OK) {
            const ngc_entry_t *e = &src[s].e;
            size_t i = ngc_t_index(f, e->key, e->len);
            assert_false(seen[i]);
            seen[i] = true;
            assert_true(e->match == f->match[i] && e->volume == f->volume[i]);
            if (n > 0 && !ngc_t_before(&prev, e, order))
                fail_msg("run %zu: \"%.*s\" after \"%.*s\"", s, (int)e->len, e->key, (int)prev.len,
                         prev.key);
            memcpy(prev_key, e->key, e->len);
            prev = *e;
            prev.key = prev_key;
            n++;
        }
        assert_int_equal(rc, NGC_EOF);
        assert_true(n > 0);
        if (top > 0)
            assert_true(n <= top);
        total += n;
    }
    ngc_runs_sources_free(src, nsrc);
    return total;
}

/* The final runs hold exactly the keys whose count (match or volume, as
 * `counts` is) reaches min_count, some but not all of them. */
static void ngc_t_read_filtered(ngc_t_fixture_t *f, unsigned part, ngc_order_t order,
                                uint64_t min_count, const uint64_t *counts)
{
    bool seen[NGC_T_KEYS] = {false};
    size_t n = ngc_t_read_finals(f, part, order, 0, seen), want = 0;
    for (size_t i = 0; i < NGC_T_KEYS; i++) {
        want += counts[i] >= min_count;
        assert_int_equal(seen[i], counts[i] >= min_count);
    }
    assert_true(want > 0 && want < NGC_T_KEYS);
    assert_int_equal(n, want);
}

/* Finishes partition part; asserts success. */
static void ngc_t_finish(ngc_t_fixture_t *f, unsigned part, ngc_order_t order, uint64_t min_count,
                         uint64_t top, size_t budget, size_t fan_in)
{
    char err[512];
    uint64_t bytes = 0;
    assert_int_equal(ngc_counters_sort(f->c, part, order, min_count, 0, 1), NGC_AGAIN);
    int rc = ngc_runs_finish(f->c, part, f->sp, order, min_count, top, budget, fan_in, 0, 1, &bytes,
                             err, sizeof(err));
    if (rc != NGC_OK)
        fail_msg("ngc_runs_finish: %s", err);
    assert_true(bytes > 0);
}

/* Count order, a budget of a few hundred bytes (many final runs), fan-in
 * 2 (intermediate passes) and --min-count: every key at or above it, once;
 * nothing but the final runs left in the directory. */
static void test_finish_by_count(void **state)
{
    ngc_t_fixture_t *f = *state;
    const unsigned part = 11;
    const uint64_t min_count = 39; /* a total of 3 * 13: a key at it is kept */
    ngc_order_t order = {NGC_COUNT_MATCH, NGC_SORT_COUNT};
    ngc_t_keys_in(f, part, "count/");
    ngc_t_spill_runs(f, part);
    ngc_t_finish(f, part, order, min_count, 0, 700, 2);
    assert_true(ngc_counters_finals(f->c, part) > 3);
    assert_int_equal(ngc_t_files(f, ""), ngc_counters_finals(f->c, part));
    ngc_t_read_filtered(f, part, order, min_count, f->match);
}

/* --count volume orders and filters by the volume totals. */
static void test_finish_by_volume(void **state)
{
    ngc_t_fixture_t *f = *state;
    const unsigned part = 12;
    const uint64_t min_count = 15; /* the volume of a third of the keys */
    ngc_order_t order = {NGC_COUNT_VOLUME, NGC_SORT_COUNT};
    ngc_t_keys_in(f, part, "volume/");
    ngc_t_spill_runs(f, part);
    ngc_t_finish(f, part, order, min_count, 0, 1 << 20, 256);
    assert_int_equal(ngc_counters_finals(f->c, part), 1);
    ngc_t_read_filtered(f, part, order, min_count, f->volume);
}

/* --sort ngram streams the key order straight to one final run, whatever
 * the budget. */
static void test_finish_sort_ngram(void **state)
{
    ngc_t_fixture_t *f = *state;
    const unsigned part = 13;
    ngc_order_t order = {NGC_COUNT_MATCH, NGC_SORT_NGRAM};
    ngc_t_keys_in(f, part, "ngram/");
    ngc_t_spill_runs(f, part);
    ngc_t_finish(f, part, order, 0, 0, 100, 3);
    assert_int_equal(ngc_counters_finals(f->c, part), 1);
    assert_int_equal(ngc_t_files(f, ""), 1);
    bool seen[NGC_T_KEYS] = {false};
    assert_int_equal(ngc_t_read_finals(f, part, order, 0, seen), NGC_T_KEYS);
}

/* --top cuts each final run at top entries: no later one could print. */
static void test_finish_top(void **state)
{
    ngc_t_fixture_t *f = *state;
    const unsigned part = 14;
    const uint64_t top = 7;
    ngc_order_t order = {NGC_COUNT_MATCH, NGC_SORT_COUNT};
    ngc_t_keys_in(f, part, "top/");
    ngc_t_spill_runs(f, part);
    ngc_t_finish(f, part, order, 0, top, 1500, 4);
    uint32_t finals = ngc_counters_finals(f->c, part);
    assert_true(finals > 1);
    bool seen[NGC_T_KEYS] = {false};
    /* Every run but the last (the keys left over) holds more than top. */
    size_t n = ngc_t_read_finals(f, part, order, top, seen);
    assert_true(n > (finals - 1) * top && n <= finals * top);
    /* The largest total of all is among them. */
    size_t best = 0;
    for (size_t i = 1; i < NGC_T_KEYS; i++)
        if (f->match[i] > f->match[best])
            best = i;
    assert_true(seen[best]);
}

/* A counted total past 2^64-1 fails naming the key; an uncounted one
 * stays at 2^64-1. Nothing is published and the spills stay. */
static void test_finish_overflow(void **state)
{
    ngc_t_fixture_t *f = *state;
    const unsigned part = 15;
    ngc_t_keys_in(f, part, "big/");
    char err[512];
    uint64_t bytes;
    for (int r = 0; r < 2; r++) {
        ngc_kv_t kv[2] = {ngc_t_kv(f->names[0], UINT64_MAX - 1, UINT64_MAX),
                          ngc_t_kv(f->names[1], 1, 1)};
        assert_int_equal(ngc_counters_spill_batch(f->c, part, ngc_t_task(), 1, 1, kv, 2, f->sp,
                                                  &bytes, err, sizeof(err)),
                         NGC_OK);
    }
    ngc_order_t order = {NGC_COUNT_MATCH, NGC_SORT_COUNT};
    assert_int_equal(ngc_counters_sort(f->c, part, order, 0, 0, 1), NGC_AGAIN);
    assert_int_equal(
        ngc_runs_finish(f->c, part, f->sp, order, 0, 0, 1 << 20, 8, 0, 1, &bytes, err, sizeof(err)),
        NGC_ERROR);
    assert_non_null(strstr(err, "the total of 'big/"));
    assert_non_null(strstr(err, "passes 2^64-1"));
    assert_int_equal(ngc_counters_finals(f->c, part), 0);
    assert_int_equal(ngc_t_files(f, "p15-s-"), 2);
    /* By volume: the volumes pass it too. */
    order.count = NGC_COUNT_VOLUME;
    assert_int_equal(
        ngc_runs_finish(f->c, part, f->sp, order, 0, 0, 1 << 20, 8, 0, 1, &bytes, err, sizeof(err)),
        NGC_ERROR);
    assert_non_null(strstr(err, "passes 2^64-1"));
    assert_int_equal(ngc_counters_finals(f->c, part), 0);
}

/* An uncounted total past 2^64-1 saturates and the merge goes on. */
static void test_finish_uncounted_saturates(void **state)
{
    ngc_t_fixture_t *f = *state;
    const unsigned part = 16;
    ngc_t_keys_in(f, part, "sat/");
    char err[512];
    uint64_t bytes;
    for (int r = 0; r < 2; r++) {
        ngc_kv_t kv[1] = {ngc_t_kv(f->names[0], 3, UINT64_MAX - 1)};
        assert_int_equal(ngc_counters_spill_batch(f->c, part, ngc_t_task(), 1, 1, kv, 1, f->sp,
                                                  &bytes, err, sizeof(err)),
                         NGC_OK);
    }
    f->match[0] = 6;
    f->volume[0] = UINT64_MAX;
    ngc_t_finish(f, part, (ngc_order_t){NGC_COUNT_MATCH, NGC_SORT_COUNT}, 0, 0, 1 << 20, 8);
    bool seen[NGC_T_KEYS] = {false};
    assert_int_equal(
        ngc_t_read_finals(f, part, (ngc_order_t){NGC_COUNT_MATCH, NGC_SORT_COUNT}, 0, seen), 1);
}

/* A damaged spilled run: an error naming it, nothing published, the other
 * spills kept. The same run written again whole, a retry finishes the
 * partition (its intermediate runs from the failed attempt rewritten). */
static void test_finish_damaged_then_retry(void **state)
{
    ngc_t_fixture_t *f = *state;
    const unsigned part = 17;
    ngc_order_t order = {NGC_COUNT_MATCH, NGC_SORT_COUNT};
    ngc_t_keys_in(f, part, "damaged/");
    ngc_t_spill_runs(f, part);
    char name[NGC_RUN_NAME_MAX], err[512];
    ngc_run_name(name, part, NGC_RUN_SPILL, NGC_T_RUNS - 1);
    /* Its entries, sorted by key, as the spill wrote them. */
    ngc_run_reader_t *r = ngc_run_reader_open(f->sp, name, err, sizeof(err));
    assert_non_null(r);
    static char keys[NGC_T_KEYS][32];
    uint32_t lens[NGC_T_KEYS];
    uint64_t m[NGC_T_KEYS], v[NGC_T_KEYS];
    size_t n = 0;
    ngc_entry_t e;
    while (ngc_run_reader_next(r, &e) == NGC_OK) {
        assert_true(n < NGC_T_KEYS && e.len < 32);
        memcpy(keys[n], e.key, e.len);
        lens[n] = e.len;
        m[n] = e.match;
        v[n++] = e.volume;
    }
    ngc_run_reader_free(r);
    assert_true(n > 2);
    int dir = ngc_spill_fd(f->sp, err, sizeof(err));
    assert_true(dir >= 0);
    int fd = openat(dir, name, O_WRONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(ftruncate(fd, st.st_size - 3), 0);
    close(fd);
    assert_int_equal(ngc_counters_sort(f->c, part, order, 0, 0, 1), NGC_AGAIN);
    uint64_t bytes;
    assert_int_equal(
        ngc_runs_finish(f->c, part, f->sp, order, 0, 0, 1 << 20, 2, 0, 1, &bytes, err, sizeof(err)),
        NGC_ERROR);
    assert_non_null(strstr(err, name));
    assert_int_equal(ngc_counters_finals(f->c, part), 0);
    assert_int_equal(ngc_t_files(f, "p17-s-"), NGC_T_RUNS);
    ngc_run_writer_t *w = ngc_run_writer_open(f->sp, name, err, sizeof(err));
    assert_non_null(w);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ngc_run_writer_add(w, keys[i], lens[i], m[i], v[i]), NGC_OK);
    assert_int_equal(ngc_run_writer_close(w, &bytes), NGC_OK);
    ngc_run_writer_free(w);
    ngc_t_finish(f, part, order, 0, 0, 1 << 20, 2);
    assert_int_equal(ngc_t_files(f, ""), ngc_counters_finals(f->c, part));
    bool seen[NGC_T_KEYS] = {false};
    assert_int_equal(ngc_t_read_finals(f, part, order, 0, seen), NGC_T_KEYS);
}

/*
 * The output merge: a partition sorted in memory beside two spilled ones
 * finished into several final runs each. Bounded to two runs at once (the
 * partition in memory is never merged into a run), then cut at --top,
 * the heap reads every entry in output order, the same as unbounded.
 */
static void test_sources_bound(void **state)
{
    ngc_t_fixture_t *f = *state;
    ngc_order_t order = {NGC_COUNT_MATCH, NGC_SORT_COUNT};
    const unsigned parts[2] = {20, 21};
    const unsigned mem_part = 22;
    char err[512];
    /* The keys of the spilled partitions, in one array for the check. */
    static char all[3 * NGC_T_KEYS][32];
    static uint64_t all_m[3 * NGC_T_KEYS];
    size_t nall = 0;
    for (unsigned p = 0; p < 2; p++) {
        ngc_t_keys_in(f, parts[p], p == 0 ? "a/" : "b/");
        ngc_t_spill_runs(f, parts[p]);
        ngc_t_finish(f, parts[p], order, 0, 0, 2000, 256);
        assert_true(ngc_counters_finals(f->c, parts[p]) > 2);
        for (size_t i = 0; i < NGC_T_KEYS; i++) {
            memcpy(all[nall], f->names[i], 32);
            all_m[nall++] = f->match[i];
        }
    }
    ngc_t_keys_in(f, mem_part, "m/");
    ngc_kv_t kv[NGC_T_KEYS];
    for (size_t i = 0; i < NGC_T_KEYS; i++) {
        kv[i] = ngc_t_kv(f->names[i], i % 50 + 1, 1);
        memcpy(all[nall], f->names[i], 32);
        all_m[nall++] = i % 50 + 1;
    }
    const ngc_kv_t *bad = NULL;
    assert_int_equal(ngc_counters_merge(f->c, mem_part, ngc_t_task(), 1, 1, kv, NGC_T_KEYS, &bad),
                     NGC_OK);
    assert_int_equal(ngc_counters_sort(f->c, mem_part, order, 0, 0, 1), NGC_OK);
    const uint64_t tops[2] = {0, 25};
    for (int t = 0; t < 2; t++) {
        ngc_runs_source_t *src;
        size_t nsrc;
        assert_int_equal(ngc_runs_sources_open(f->c, parts[0], mem_part - parts[0] + 1, f->sp, &src,
                                               &nsrc, err, sizeof(err)),
                         NGC_OK);
        size_t runs = nsrc - 1;
        assert_true(runs > 4);
        if (t == 0) {
            /* Unbounded: reads the runs in place; nothing merged. */
            assert_int_equal(
                ngc_runs_sources_bound(&src, &nsrc, f->sp, order, 0, 256, err, sizeof(err)),
                NGC_OK);
            assert_int_equal(nsrc, runs + 1);
        } else {
            assert_int_equal(
                ngc_runs_sources_bound(&src, &nsrc, f->sp, order, tops[t], 2, err, sizeof(err)),
                NGC_OK);
            size_t mem = 0;
            for (size_t i = 0; i < nsrc; i++)
                mem += src[i].sp == NULL;
            assert_int_equal(mem, 1);
            assert_true(nsrc - mem <= 2);
            /* The merged runs are gone, the new ones in their place. */
            assert_int_equal(ngc_t_files(f, "p"), 0);
            assert_int_equal(ngc_t_files(f, ""), nsrc - mem);
        }
        ngc_runs_source_t **heap = calloc(nsrc, sizeof(*heap));
        assert_non_null(heap);
        size_t live, n = 0;
        assert_int_equal(ngc_runs_heap(src, nsrc, order, heap, &live, err, sizeof(err)), NGC_OK);
        ngc_entry_t prev = {0};
        char prev_key[32];
        bool seen[3 * NGC_T_KEYS] = {false};
        while (live > 0 && (tops[t] == 0 || n < tops[t])) {
            const ngc_entry_t *e = &heap[0]->e;
            size_t i = 0;
            while (i < nall && !(strlen(all[i]) == e->len && memcmp(all[i], e->key, e->len) == 0))
                i++;
            assert_true(i < nall);
            assert_false(seen[i]);
            seen[i] = true;
            assert_true(e->match == all_m[i]);
            if (n > 0 && !ngc_t_before(&prev, e, order))
                fail_msg("\"%.*s\" after \"%.*s\"", (int)e->len, e->key, (int)prev.len, prev.key);
            memcpy(prev_key, e->key, e->len);
            prev = *e;
            prev.key = prev_key;
            n++;
            assert_int_equal(ngc_runs_heap_advance(heap, &live, order, err, sizeof(err)), NGC_OK);
        }
        assert_int_equal(n, tops[t] ? tops[t] : nall);
        /* Nothing before the last one read was left out. */
        for (size_t i = 0; i < nall; i++)
            if (!seen[i])
                assert_true(all_m[i] <= prev.match);
        free(heap);
        ngc_runs_sources_free(src, nsrc);
    }
}

/* A final run that cannot be read: the heap says which. */
static void test_sources_damaged(void **state)
{
    ngc_t_fixture_t *f = *state;
    const unsigned part = 30;
    ngc_order_t order = {NGC_COUNT_MATCH, NGC_SORT_COUNT};
    ngc_t_keys_in(f, part, "gone/");
    ngc_t_spill_runs(f, part);
    ngc_t_finish(f, part, order, 0, 0, 1 << 20, 256);
    char name[NGC_RUN_NAME_MAX], err[512];
    ngc_run_name(name, part, NGC_RUN_FINAL, 0);
    ngc_run_remove(f->sp, name);
    ngc_runs_source_t *src, *heap[4];
    size_t nsrc, live;
    assert_int_equal(ngc_runs_sources_open(f->c, part, 1, f->sp, &src, &nsrc, err, sizeof(err)),
                     NGC_OK);
    assert_int_equal(nsrc, 1);
    assert_int_equal(ngc_runs_heap(src, nsrc, order, heap, &live, err, sizeof(err)), NGC_ERROR);
    assert_non_null(strstr(err, name));
    ngc_runs_sources_free(src, nsrc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_finish_by_count, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_finish_by_volume, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_finish_sort_ngram, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_finish_top, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_finish_overflow, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_finish_uncounted_saturates, ngc_t_setup,
                                        ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_finish_damaged_then_retry, ngc_t_setup,
                                        ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_sources_bound, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_sources_damaged, ngc_t_setup, ngc_t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
