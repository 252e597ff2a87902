/*
 * test_ranges.c: the output's ranges (engine/reduce/ranges.c) and their rendering
 * (workers/render.c). A table of keys with many tied counts is sorted, cut
 * into ranges for many k and --top, and each range's entries, in order,
 * must be the next slice of the whole output order; the windows rendered
 * one by one, read back in order, must be the serial formatter's bytes
 * (inflated, for gzip members).
 */
#include "engine/base/ngc.h"
#include "engine/base/config.h"
#include "engine/reduce/counters.h"
#include "engine/reduce/output.h"
#include "engine/reduce/ranges.h"
#include "engine/reduce/shm.h"
#include "workers/render.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#define NGC_T_KEYS 5000u

typedef struct {
    ngc_shm_t *shm;
    ngc_counters_t *c;
    ngc_entry_t *all; /* the whole output order */
    size_t n;
    char *keys;
} ngc_t_table_t;

static int ngc_t_cmp(const void *x, const void *y, void *arg)
{
    return ngc_counters_compare(x, y, *(const ngc_order_t *)arg);
}

/* NGC_T_KEYS keys of few distinct counts (ties everywhere), sorted in order. */
static void ngc_t_table(ngc_t_table_t *t, ngc_order_t order)
{
    ngc_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.count = order.count;
    cfg.processes = 1;
    cfg.threads = 1;
    cfg.chunk_size = 8u << 20;
    cfg.memory = 16u << 20;
    cfg.from_year = 1;
    cfg.to_year = 9999;
    t->shm = ngc_shm_new(&cfg, 64, NULL);
    assert_non_null(t->shm);
    t->c = ngc_shm_counters(t->shm);
    t->keys = malloc((size_t)NGC_T_KEYS * 16);
    ngc_kv_t *kv = calloc(NGC_T_KEYS, sizeof(*kv));
    assert_true(t->keys != NULL && kv != NULL);
    uint64_t x = 7;
    for (uint32_t i = 0; i < NGC_T_KEYS; i++) {
        char *k = t->keys + (size_t)i * 16;
        /* Keys of different lengths sharing prefixes. */
        int len = snprintf(k, 16, "w%u", (i * 2654435761u) % 1000000u);
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        kv[i] = (ngc_kv_t){k,
                           (uint32_t)len,
                           0,
                           ngc_counters_hash(k, (size_t)len),
                           1 + (x >> 60),
                           1 + ((x >> 20) & 3)};
        kv[i].part = ngc_counters_partition(kv[i].hash);
    }
    for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++) {
        ngc_kv_t *b = calloc(NGC_T_KEYS, sizeof(*b));
        size_t nb = 0;
        for (uint32_t i = 0; i < NGC_T_KEYS; i++)
            if (kv[i].part == p)
                b[nb++] = kv[i];
        const ngc_kv_t *bad;
        assert_int_equal(ngc_counters_merge(t->c, p, 0, 1, 1, b, nb, &bad), NGC_OK);
        assert_int_equal(ngc_counters_sort(t->c, p, order, 0, 0, 1), NGC_OK);
        free(b);
    }
    free(kv);
    t->n = 0;
    for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++)
        t->n += ngc_counters_sorted_count(t->c, p);
    t->all = calloc(t->n, sizeof(*t->all));
    size_t j = 0;
    for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++)
        for (size_t i = 0; i < ngc_counters_sorted_count(t->c, p); i++)
            ngc_counters_entry(t->c, p, i, &t->all[j++]);
    qsort_r(t->all, t->n, sizeof(*t->all), ngc_t_cmp, &order);
}

static void ngc_t_table_free(ngc_t_table_t *t)
{
    free(t->all);
    free(t->keys);
    ngc_shm_free(t->shm);
}

static bool ngc_t_same(const ngc_entry_t *a, const ngc_entry_t *b)
{
    return a->len == b->len && memcmp(a->key, b->key, a->len) == 0 && a->match == b->match &&
           a->volume == b->volume;
}

/* The first `take` entries of range g, merged by a plain scan of minima. */
static void ngc_t_check_range(const ngc_t_table_t *t, const ngc_range_t *g, ngc_order_t order,
                              size_t *at)
{
    uint64_t idx[NGC_COUNTERS_PARTS];
    memcpy(idx, g->lo, sizeof(idx));
    for (uint64_t k = 0; k < g->take; k++) {
        int best = -1;
        ngc_entry_t e, be = {0};
        for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++) {
            if (idx[p] >= g->hi[p])
                continue;
            ngc_counters_entry(t->c, p, (size_t)idx[p], &e);
            if (best < 0 || ngc_counters_compare(&e, &be, order) < 0) {
                best = (int)p;
                be = e;
            }
        }
        assert_true(best >= 0);
        idx[best]++;
        assert_true(*at < t->n);
        assert_true(ngc_t_same(&be, &t->all[(*at)++]));
    }
}

static const ngc_line_format_t ngc_t_tsv = {.count = NGC_COUNT_MATCH};

static void test_plan(void **state)
{
    (void)state;
    const ngc_order_t orders[] = {{NGC_COUNT_MATCH, NGC_SORT_COUNT},
                                  {NGC_COUNT_BOTH, NGC_SORT_COUNT},
                                  {NGC_COUNT_VOLUME, NGC_SORT_NGRAM}};
    for (size_t o = 0; o < NGC_NELEMS(orders); o++) {
        ngc_t_table_t t;
        ngc_t_table(&t, orders[o]);
        const unsigned ks[] = {1, 2, 7, 64, 1000};
        const uint64_t tops[] = {0, 1, 37, t.n - 1, t.n, t.n + 5};
        for (size_t i = 0; i < NGC_NELEMS(ks); i++)
            for (size_t j = 0; j < NGC_NELEMS(tops); j++) {
                char err[256] = "";
                ngc_ranges_t *r = ngc_ranges_new(t.c, orders[o], tops[j], ks[i], false, &ngc_t_tsv,
                                                 err, sizeof(err));
                assert_non_null(r);
                uint64_t want = tops[j] > 0 && tops[j] < t.n ? tops[j] : t.n;
                assert_true(ngc_ranges_total(r) == want);
                assert_true(ngc_ranges_count(r) <= ks[i]);
                assert_true(ngc_ranges_count(r) >= 1);
                size_t at = 0;
                uint64_t end = 0;
                for (unsigned g = 0; g < ngc_ranges_count(r); g++) {
                    const ngc_range_t *rg = ngc_ranges_get(r, g);
                    assert_true(rg->take > 0 && rg->off >= end);
                    end = rg->off + rg->cap;
                    /* Ranges follow one another in every partition. */
                    if (g > 0)
                        assert_memory_equal(rg->lo, ngc_ranges_get(r, g - 1)->hi, sizeof(rg->lo));
                    ngc_t_check_range(&t, rg, orders[o], &at);
                    /* The worker's copy, from the memfd, is the same. */
                    int fd = ngc_ranges_dup_fd(r);
                    ngc_range_t back;
                    assert_int_equal(ngc_ranges_read(fd, g, t.c, &back, err, sizeof(err)), NGC_OK);
                    assert_memory_equal(&back, rg, sizeof(back));
                    close(fd);
                }
                assert_true(at == want);
                /* With no --top, about equal: none more than twice its share. */
                if (tops[j] == 0 && ks[i] <= 64)
                    for (unsigned g = 0; g < ngc_ranges_count(r); g++)
                        assert_true(ngc_ranges_get(r, g)->take <= 2 * t.n / ks[i] + 64);
                int fd = ngc_ranges_dup_fd(r);
                ngc_range_t back;
                assert_int_equal(
                    ngc_ranges_read(fd, ngc_ranges_count(r), t.c, &back, err, sizeof(err)),
                    NGC_ERROR);
                close(fd);
                ngc_ranges_free(r);
            }
        /* More ranges asked than entries: one entry each at most. */
        char err[256];
        ngc_ranges_t *r = ngc_ranges_new(t.c, orders[o], 0, (unsigned)t.n + 10, false, &ngc_t_tsv,
                                         err, sizeof(err));
        assert_non_null(r);
        assert_true(ngc_ranges_count(r) <= t.n && ngc_ranges_total(r) == t.n);
        ngc_ranges_free(r);
        ngc_t_table_free(&t);
    }
}

/* Reads window g back (inflating a gzip member). Malloc'd, *n bytes. */
static char *ngc_t_window(ngc_ranges_t *r, unsigned g, uint64_t bytes, size_t *n)
{
    const ngc_range_t *rg = ngc_ranges_get(r, g);
    int fd = ngc_ranges_dup_fd(r);
    char *raw = malloc(bytes + 1);
    assert_true(pread(fd, raw, bytes, (off_t)rg->off) == (ssize_t)bytes);
    close(fd);
    if (!rg->gzip) {
        *n = bytes;
        return raw;
    }
    size_t cap = 1u << 22;
    char *out = malloc(cap);
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = (unsigned char *)raw;
    zs.avail_in = (uInt)bytes;
    zs.next_out = (unsigned char *)out;
    zs.avail_out = (uInt)cap;
    /* One whole member, nothing after it. */
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    assert_int_equal(zs.avail_in, 0);
    *n = cap - zs.avail_out;
    inflateEnd(&zs);
    free(raw);
    return out;
}

static void test_render(void **state)
{
    (void)state;
    ngc_order_t order = {NGC_COUNT_BOTH, NGC_SORT_COUNT};
    ngc_t_table_t t;
    ngc_t_table(&t, order);
    /* Every output format: the windows fit their lines, which are the
     * serial formatter's. */
    char *want = malloc(t.n * 256);
    for (int f = 0; f < 3; f++) {
        ngc_line_format_t lf = {.count = NGC_COUNT_BOTH,
                                .fmt = (ngc_outfmt_t)f,
                                .ncols = 2,
                                .col = {"match_count", "volume_count"}};
        size_t wn = 0;
        for (size_t i = 0; i < t.n; i++)
            wn += ngc_output_line(&lf, &t.all[i], want + wn);
        for (int gz = 0; gz < 2; gz++) {
            char err[256] = "";
            ngc_ranges_t *r = ngc_ranges_new(t.c, order, 0, 9, gz, &lf, err, sizeof(err));
            assert_non_null(r);
            size_t at = 0;
            for (unsigned g = 0; g < ngc_ranges_count(r); g++) {
                const ngc_range_t *rg = ngc_ranges_get(r, g);
                int fd = ngc_ranges_dup_fd(r);
                uint64_t bytes = 0, again = 0;
                assert_int_equal(
                    ngc_render_range(t.c, order, &lf, fd, rg, g, 1, &bytes, err, sizeof(err)),
                    NGC_OK);
                /* A rerun (a retry after a death) writes the same bytes. */
                assert_int_equal(
                    ngc_render_range(t.c, order, &lf, fd, rg, g, 2, &again, err, sizeof(err)),
                    NGC_OK);
                assert_true(again == bytes);
                close(fd);
                assert_false(ngc_ranges_done(r, g, bytes, rg->take + 1));
                assert_true(ngc_ranges_done(r, g, bytes, rg->take));
                size_t n;
                char *got = ngc_t_window(r, g, bytes, &n);
                assert_true(at + n <= wn);
                assert_memory_equal(got, want + at, n);
                at += n;
                free(got);
            }
            assert_true(at == wn);
            ngc_ranges_free(r);
        }
    }
    free(want);
    ngc_t_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
