/*
 * test_series.c: --by-year series (engine/coordinator/series.h) on synthetic rows:
 * filling the range with zeros, grouping in any row order, normalizing by
 * each year's total (and the years a missing total does not matter for),
 * smoothing with hand-worked means at the range's ends, the row layout in
 * every output format; the totals files of every release
 * (ngc_normalize_load_years), and the output's row and JSON escaping.
 */
#include "engine/base/ngc.h"
#include "engine/coordinator/series.h"
#include "engine/reduce/output.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

static void ngc_t_add(ngc_series_t *s, const char *key, uint64_t m, uint64_t v)
{
    char err[256];
    assert_int_equal(ngc_series_add(s, key, strlen(key), m, v, err, sizeof(err)), NGC_OK);
}

/* The rows of s, as TSV, in one string (static buffer). */
static const char *ngc_t_rows(ngc_series_t *s, ngc_outfmt_t fmt, ngc_count_t count)
{
    static char out[1 << 16];
    ngc_config_t cfg = {.count = count, .out_format = fmt, .by_year = true};
    ngc_line_format_t lf;
    ngc_series_line_format(s, &cfg, &lf);
    size_t n = ngc_output_header(&lf, out);
    for (size_t i = 0; i < ngc_series_count(s); i++)
        for (uint32_t y = ngc_series_from(s); y <= ngc_series_to(s); y++)
            n += ngc_series_row(s, &lf, i, y, out + n);
    out[n] = '\0';
    return out;
}

static ngc_series_t *ngc_t_series(uint32_t from, uint32_t to, bool smooth, unsigned n,
                                  const ngc_year_totals_t *totals)
{
    ngc_series_opts_t o = {.count = NGC_COUNT_MATCH,
                           .from = from,
                           .to = to,
                           .smooth = smooth,
                           .smoothing = n,
                           .totals = totals,
                           .totals_path = "T"};
    ngc_series_t *s = ngc_series_new(&o);
    assert_non_null(s);
    /* x: 10 in 2000, 20 in 2002, 40 in 2004; rows out of order. */
    ngc_t_add(s, "x\t2004", 40, 4);
    ngc_t_add(s, "w y\t2001", 7, 1);
    ngc_t_add(s, "x\t2000", 10, 1);
    ngc_t_add(s, "x\t2002", 20, 2);
    return s;
}

static void test_fill(void **state)
{
    (void)state;
    char err[256];
    ngc_series_t *s = ngc_t_series(0, 0, false, 0, NULL);
    assert_int_equal(ngc_series_finish(s, err, sizeof(err)), NGC_OK);
    assert_int_equal(ngc_series_count(s), 2);
    assert_int_equal(ngc_series_from(s), 2000);
    assert_int_equal(ngc_series_to(s), 2004);
    assert_string_equal(ngc_t_rows(s, NGC_OUTFMT_TSV, NGC_COUNT_MATCH),
                        "w y\t2000\t0\nw y\t2001\t7\nw y\t2002\t0\nw y\t2003\t0\nw y\t2004\t0\n"
                        "x\t2000\t10\nx\t2001\t0\nx\t2002\t20\nx\t2003\t0\nx\t2004\t40\n");
    ngc_series_free(s);
    /* A given range, past the rows at both ends. */
    s = ngc_t_series(1999, 2001, false, 0, NULL);
    assert_int_equal(ngc_series_finish(s, err, sizeof(err)), NGC_OK);
    assert_string_equal(ngc_t_rows(s, NGC_OUTFMT_CSV, NGC_COUNT_MATCH),
                        "ngram,year,match_count\nw y,1999,0\nw y,2000,0\nw y,2001,7\n"
                        "x,1999,0\nx,2000,10\nx,2001,0\n");
    ngc_series_free(s);
    /* No rows: nothing, whatever the bounds. */
    ngc_series_opts_t o = {.count = NGC_COUNT_MATCH};
    s = ngc_series_new(&o);
    assert_int_equal(ngc_series_finish(s, err, sizeof(err)), NGC_OK);
    assert_int_equal(ngc_series_count(s), 0);
    ngc_series_free(s);
    /* A key without its year. */
    s = ngc_series_new(&o);
    assert_int_equal(ngc_series_add(s, "x\t20", 4, 1, 1, err, sizeof(err)), NGC_ERROR);
    assert_non_null(strstr(err, "without its year"));
    ngc_series_free(s);
}

static void test_smoothing(void **state)
{
    (void)state;
    char err[256];
    /* --smoothing 1 over 1999..2005: the ends average the years inside. */
    ngc_series_t *s = ngc_t_series(1999, 2005, true, 1, NULL);
    assert_int_equal(ngc_series_finish(s, err, sizeof(err)), NGC_OK);
    const double want[] = {5, 10.0 / 3, 10, 20.0 / 3, 20, 40.0 / 3, 20};
    for (uint32_t y = 1999; y <= 2005; y++)
        assert_float_equal(ngc_series_value(s, 1, y, 0), want[y - 1999], 1e-12);
    const char *rows = ngc_t_rows(s, NGC_OUTFMT_TSV, NGC_COUNT_MATCH);
    assert_non_null(strstr(rows, "x\t1999\t5\nx\t2000\t3.3333333333333333\nx\t2001\t10\n"
                                 "x\t2002\t6.6666666666666667\nx\t2003\t20\n"
                                 "x\t2004\t13.333333333333333\nx\t2005\t20\n"));
    /* w y: 7 in 2001 only; 1999 sees 1999..2000, 2000 sees 1999..2001. */
    assert_non_null(strstr(rows, "w y\t1999\t0\nw y\t2000\t2.3333333333333333\n"));
    ngc_series_free(s);
    /* A window wider than the range: every year is the mean of all. */
    s = ngc_t_series(0, 0, true, 10, NULL);
    assert_int_equal(ngc_series_finish(s, err, sizeof(err)), NGC_OK);
    for (uint32_t y = 2000; y <= 2004; y++)
        assert_float_equal(ngc_series_value(s, 1, y, 0), 14, 1e-12);
    ngc_config_t cfg = {.count = NGC_COUNT_MATCH, .out_format = NGC_OUTFMT_JSONL};
    ngc_line_format_t lf;
    ngc_series_line_format(s, &cfg, &lf);
    assert_string_equal(lf.col[0], "match_mean");
    ngc_series_free(s);
    /* --smoothing 0 is the raw series: integers. */
    s = ngc_t_series(0, 0, true, 0, NULL);
    assert_int_equal(ngc_series_finish(s, err, sizeof(err)), NGC_OK);
    assert_non_null(strstr(ngc_t_rows(s, NGC_OUTFMT_JSONL, NGC_COUNT_MATCH),
                           "{\"ngram\":\"x\",\"year\":2002,\"match_count\":20}\n"));
    ngc_series_free(s);
}

static void test_normalize(void **state)
{
    (void)state;
    char err[512];
    ngc_year_totals_t *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    /* 2001 and 2003 have no total: no ngram has a count there. */
    uint32_t years[] = {2000, 2002, 2004};
    uint64_t totals[] = {1000, 4000, 800};
    for (int i = 0; i < 3; i++) {
        t->has[years[i]] = true;
        t->match[years[i]] = totals[i];
        t->volume[years[i]] = 10;
    }
    ngc_series_t *s = ngc_t_series(0, 0, false, 0, t);
    t->has[2001] = true;
    t->match[2001] = 70;
    assert_int_equal(ngc_series_finish(s, err, sizeof(err)), NGC_OK);
    assert_non_null(strstr(ngc_t_rows(s, NGC_OUTFMT_TSV, NGC_COUNT_MATCH),
                           "x\t2000\t1\nx\t2001\t0\nx\t2002\t0.5\nx\t2003\t0\nx\t2004\t5\n"));
    assert_true(ngc_series_percent(s));
    ngc_series_free(s);
    /* Smoothed: 1, 0, 0.5, 0, 5 with --smoothing 1. */
    s = ngc_t_series(0, 0, true, 1, t);
    assert_int_equal(ngc_series_finish(s, err, sizeof(err)), NGC_OK);
    const double want[] = {0.5, 0.5, 0.5 / 3, 5.5 / 3, 2.5};
    for (uint32_t y = 2000; y <= 2004; y++)
        assert_float_equal(ngc_series_value(s, 1, y, 0), want[y - 2000], 1e-12);
    ngc_series_free(s);
    /* A year with a count and no total, or a total of 0: named. */
    t->has[2001] = false;
    s = ngc_t_series(0, 0, false, 0, t);
    assert_int_equal(ngc_series_finish(s, err, sizeof(err)), NGC_ERROR);
    assert_non_null(strstr(err, "T: has no total for year 2001, which 'w y' has"));
    ngc_series_free(s);
    t->has[2001] = true;
    t->match[2001] = 0;
    s = ngc_t_series(0, 0, false, 0, t);
    assert_int_equal(ngc_series_finish(s, err, sizeof(err)), NGC_ERROR);
    assert_non_null(strstr(err, "has a total of 0 for year 2001"));
    ngc_series_free(s);
    free(t);
}

static void test_format(void **state)
{
    (void)state;
    char b[64];
    const struct {
        long double v;
        const char *want;
    } cases[] = {{0, "0"},
                 {1, "1"},
                 {0.5L, "0.5"},
                 {10.0L / 3, "3.3333333333333333"},
                 {1e-9L / 3, "0.00000000033333333333333333"},
                 {123456789012345678.0L, "123456789012345680"},
                 {2.5e20L, "250000000000000000000"},
                 {20, "20"}};
    for (size_t i = 0; i < NGC_NELEMS(cases); i++) {
        size_t n = ngc_series_format(b, cases[i].v);
        assert_true(n <= NGC_NORMALIZE_MAX);
        b[n] = '\0';
        assert_string_equal(b, cases[i].want);
    }
}

static void test_rows(void **state)
{
    (void)state;
    char out[256];
    const char *vals[2] = {"12", "3"};
    size_t vl[2] = {2, 1};
    ngc_line_format_t lf = {.fmt = NGC_OUTFMT_CSV,
                            .by_year = true,
                            .ncols = 2,
                            .col = {"match_count", "volume_count"}};
    size_t n = ngc_output_row(&lf, "a \"b\",c\t0850", 12, vals, vl, 2, out);
    assert_true(n < ngc_output_room(&lf, 12));
    out[n] = '\0';
    assert_string_equal(out, "\"a \"\"b\"\",c\",850,12,3\n");
    lf.fmt = NGC_OUTFMT_JSONL;
    n = ngc_output_row(&lf, "\xc3\xa9\xff\x01\\\t1850", 10, vals, vl, 2, out);
    out[n] = '\0';
    assert_string_equal(out, "{\"ngram\":\"\xc3\xa9\\u00ff\\u0001\\\\\",\"year\":1850,"
                             "\"match_count\":12,\"volume_count\":3}\n");
    lf.fmt = NGC_OUTFMT_TSV;
    n = ngc_output_row(&lf, "k\t1850", 6, vals, vl, 1, out);
    out[n] = '\0';
    assert_string_equal(out, "k\t1850\t12\n");
    assert_int_equal(ngc_output_header(&lf, out), 0);
    /* A truncated UTF-8 sequence at the end of the key is bytes. */
    n = ngc_output_json_string(out, "a\xe2\x82", 3);
    out[n] = '\0';
    assert_string_equal(out, "\"a\\u00e2\\u0082\"");
}

/* Writes text to a fresh temporary file; returns its path (static). */
static const char *ngc_t_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/ngc-test-series-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_totals_files(void **state)
{
    (void)state;
    /* 2009: a '#' header, a TAB row per year. */
    const char *p = ngc_t_file("#Total counts of 1grams\n1520\t51191\t112\t1\n"
                               "1900\t1194673434\t3534512\t11021\n");
    ngc_year_totals_t *t = ngc_normalize_load_years(p);
    unlink(p);
    assert_non_null(t);
    assert_true(t->has[1520] && t->has[1900] && !t->has[1521]);
    assert_true(t->match[1900] == 1194673434 && t->volume[1900] == 11021);
    free(t);
    /* 2012 and 2020: " \t" first, TAB-separated tuples, no final newline. */
    p = ngc_t_file(" \t1505,32059,231,1\t1507,49586,477,1\t");
    t = ngc_normalize_load_years(p);
    unlink(p);
    assert_non_null(t);
    assert_true(t->match[1507] == 49586 && t->volume[1505] == 1);
    free(t);
    /* The totals mode reads the 2009 shape too. */
    p = ngc_t_file("#h\n1900\t100\t5\t7\n1901\t50\t5\t3\n");
    ngc_totals_t sum;
    assert_int_equal(ngc_normalize_load(p, 1900, 1901, NGC_COUNT_BOTH, &sum), NGC_OK);
    assert_true(sum.match == 150 && sum.volume == 10);
    unlink(p);
    /* Bad: a year twice, a short row, no tuples. */
    const char *bad[] = {"1900,1,1,1 1900,2,2,2", "#h\n1900\t1\n", "#only a header\n", ""};
    for (size_t i = 0; i < NGC_NELEMS(bad); i++) {
        p = ngc_t_file(bad[i]);
        assert_null(ngc_normalize_load_years(p));
        unlink(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill),      cmocka_unit_test(test_smoothing),
        cmocka_unit_test(test_normalize), cmocka_unit_test(test_format),
        cmocka_unit_test(test_rows),      cmocka_unit_test(test_totals_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
