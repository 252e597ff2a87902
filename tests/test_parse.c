/*
 * test_parse.c: the Google Books Ngram line parsers (workers/parse.h):
 * ngc_parse_line's (v2) and ngc_parse_google_line's (v1, v2, v3) verdict
 * for every kind of malformed line, and ngc_parse_buffer's totals in each
 * layout (runs, years, --pos, --fold-case, overflow, samples, --strict),
 * read back from the map table. Expected values are written out by hand or
 * computed by the small reference code below.
 */
#include "engine/base/ngc.h"
#include "workers/combiner.h"
#include "workers/parse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "combiner_fixture.h"

#define NGC_T_MAX UINT64_MAX
#define NGC_T_MAX_S "18446744073709551615"

static void ngc_t_cfg(ngc_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->from_year = 1;
    cfg->to_year = 9999;
    cfg->count = NGC_COUNT_MATCH;
    cfg->pos = NGC_POS_KEEP;
    cfg->format = NGC_FORMAT_V2;
}

/* --- ngc_parse_line ---------------------------------------------------- */

static ngc_streaming_reason_t ngc_t_line(const char *s, size_t *key_len, uint32_t *year,
                                         uint64_t *m, uint64_t *v)
{
    *key_len = 12345;
    *year = 0;
    *m = *v = 777;
    return ngc_parse_line(s, strlen(s), key_len, year, m, v);
}

static void ngc_t_bad(const char *s, ngc_streaming_reason_t want)
{
    size_t kl;
    uint32_t y;
    uint64_t m, v;
    ngc_streaming_reason_t got = ngc_t_line(s, &kl, &y, &m, &v);
    if (got != want)
        fail_msg("line \"%s\": reason %d, expected %d", s, got, want);
}

static void ngc_t_good(const char *s, size_t key_len, uint32_t year, uint64_t match,
                       uint64_t volume)
{
    size_t kl;
    uint32_t y;
    uint64_t m, v;
    ngc_streaming_reason_t got = ngc_t_line(s, &kl, &y, &m, &v);
    if (got != NGC_STREAMING_REASON_NONE)
        fail_msg("line \"%s\": reason %d, expected well-formed", s, got);
    assert_int_equal(kl, key_len);
    assert_int_equal(y, year);
    assert_true(m == match);
    assert_true(v == volume);
}

static void test_line_well_formed(void **state)
{
    (void)state;
    ngc_t_good("a\t1999\t1\t2", 1, 1999, 1, 2);
    ngc_t_good("the cat sat\t1\t0\t0", 11, 1, 0, 0);
    ngc_t_good("x\t9999\t5\t6", 1, 9999, 5, 6);
    ngc_t_good("caf\xc3\xa9 \xff\xfe\t2000\t3\t1", 8, 2000, 3, 1);
    ngc_t_good("a b_NOUN\t1900\t1\t1", 8, 1900, 1, 1);
}

static void test_line_fields(void **state)
{
    (void)state;
    ngc_t_bad("a\t1999\t1", NGC_STREAMING_REASON_FIELDS);       /* 3 fields */
    ngc_t_bad("a\t1999\t1\t2\t3", NGC_STREAMING_REASON_FIELDS); /* 5 fields */
    ngc_t_bad("a\t1999\t1\t2\t", NGC_STREAMING_REASON_FIELDS);  /* 5, the last empty */
    ngc_t_bad("a\t1999\t1\t2\t\t\t", NGC_STREAMING_REASON_FIELDS);
    ngc_t_bad("a", NGC_STREAMING_REASON_FIELDS);
    ngc_t_bad("", NGC_STREAMING_REASON_FIELDS);
    ngc_t_bad("\r", NGC_STREAMING_REASON_FIELDS);
    ngc_t_bad("a 1999 1 2", NGC_STREAMING_REASON_FIELDS); /* spaces are not TABs */
}

static void test_line_empty_ngram(void **state)
{
    (void)state;
    ngc_t_bad("\t1999\t1\t2", NGC_STREAMING_REASON_EMPTY_NGRAM);
    ngc_t_bad("\t1999\t1\t2\r", NGC_STREAMING_REASON_EMPTY_NGRAM);
}

static void test_line_number(void **state)
{
    (void)state;
    ngc_t_bad("a\tx\t1\t1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\tx\t1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\t1\tx", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\t1x\t1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\t1\t1x", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\t1.5\t1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\t1e3\t1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\t+1\t1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\t 1\t1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\t1 \t1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\t-\t1", NGC_STREAMING_REASON_NUMBER); /* a sign alone */
    ngc_t_bad("a\t1999\t-1x\t1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t19x9\t1\t1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\r\t1\t1", NGC_STREAMING_REASON_NUMBER); /* CR only stripped at the end */
    ngc_t_bad("a\t1999\t1\t1\r\r", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\t0x10\t1", NGC_STREAMING_REASON_NUMBER);
}

static void test_line_empty_number(void **state)
{
    (void)state;
    ngc_t_bad("a\t\t1\t1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\t\t1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\t1\t", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t1999\t1\t\r", NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t\t\t", NGC_STREAMING_REASON_NUMBER);
}

static void test_line_negative(void **state)
{
    (void)state;
    ngc_t_bad("a\t1999\t-1\t1", NGC_STREAMING_REASON_NEGATIVE);
    ngc_t_bad("a\t1999\t1\t-5", NGC_STREAMING_REASON_NEGATIVE);
    ngc_t_bad("a\t1999\t-0\t1", NGC_STREAMING_REASON_NEGATIVE);
    ngc_t_bad("a\t1999\t-" NGC_T_MAX_S "0\t1", NGC_STREAMING_REASON_NEGATIVE);
    ngc_t_bad("a\t-1999\t1\t1", NGC_STREAMING_REASON_NEGATIVE);
}

static void test_line_count_range(void **state)
{
    (void)state;
    /* 2^64-1 is the largest count; one more is out of range. */
    ngc_t_good("a\t1999\t" NGC_T_MAX_S "\t1", 1, 1999, NGC_T_MAX, 1);
    ngc_t_good("a\t1999\t1\t" NGC_T_MAX_S, 1, 1999, 1, NGC_T_MAX);
    ngc_t_good("a\t1999\t18446744073709551614\t9999999999999999999", 1, 1999, NGC_T_MAX - 1,
               9999999999999999999ull);
    ngc_t_bad("a\t1999\t18446744073709551616\t1", NGC_STREAMING_REASON_RANGE);
    ngc_t_bad("a\t1999\t1\t18446744073709551616", NGC_STREAMING_REASON_RANGE);
    ngc_t_bad("a\t1999\t18446744073709551620\t1", NGC_STREAMING_REASON_RANGE);
    ngc_t_bad("a\t1999\t99999999999999999999\t1", NGC_STREAMING_REASON_RANGE);
    ngc_t_bad("a\t1999\t184467440737095516150\t1", NGC_STREAMING_REASON_RANGE);
    ngc_t_bad("a\t1999\t1000000000000000000000000000000\t1", NGC_STREAMING_REASON_RANGE);
}

static void test_line_year(void **state)
{
    (void)state;
    ngc_t_good("a\t1\t1\t1", 1, 1, 1, 1);
    ngc_t_good("a\t9999\t1\t1", 1, 9999, 1, 1);
    ngc_t_bad("a\t0\t1\t1", NGC_STREAMING_REASON_YEAR);
    ngc_t_bad("a\t0000\t1\t1", NGC_STREAMING_REASON_YEAR);
    ngc_t_bad("a\t10000\t1\t1", NGC_STREAMING_REASON_YEAR);
    ngc_t_bad("a\t99999\t1\t1", NGC_STREAMING_REASON_YEAR);
    ngc_t_bad("a\t" NGC_T_MAX_S "\t1\t1", NGC_STREAMING_REASON_YEAR);
    ngc_t_bad("a\t18446744073709551616\t1\t1", NGC_STREAMING_REASON_YEAR);
    ngc_t_bad("a\t4294969295\t1\t1", NGC_STREAMING_REASON_YEAR); /* 2^32 + 1999 */
}

static void test_line_leading_zeros(void **state)
{
    (void)state;
    /* Decimal, never octal; leading zeros do not change the value. */
    ngc_t_good("a\t0999\t007\t0010", 1, 999, 7, 10);
    ngc_t_good("a\t00001999\t08\t09", 1, 1999, 8, 9);
    ngc_t_good("a\t0001\t0\t00", 1, 1, 0, 0);
    ngc_t_good("a\t2000\t00" NGC_T_MAX_S "\t1", 1, 2000, NGC_T_MAX, 1);
    ngc_t_bad("a\t00010000\t1\t1", NGC_STREAMING_REASON_YEAR);
    ngc_t_bad("a\t2000\t0018446744073709551616\t1", NGC_STREAMING_REASON_RANGE);
}

static void test_line_crlf(void **state)
{
    (void)state;
    ngc_t_good("a\t2000\t3\t4\r", 1, 2000, 3, 4);
    ngc_t_good("a b\t2000\t3\t" NGC_T_MAX_S "\r", 3, 2000, 3, NGC_T_MAX);
    ngc_t_bad("a\t2000\t3\r", NGC_STREAMING_REASON_FIELDS);
    ngc_t_bad("a\t2000\t3\t-4\r", NGC_STREAMING_REASON_NEGATIVE);
}

static void test_line_long(void **state)
{
    (void)state;
    const char tail[] = "\t2000\t1\t1";
    size_t tl = sizeof(tail) - 1;
    char *s = malloc(NGC_LINE_MAX + 2);
    assert_non_null(s);
    size_t kl;
    uint32_t y;
    uint64_t m, v;
    /* Exactly NGC_LINE_MAX bytes: accepted. */
    memset(s, 'k', NGC_LINE_MAX - tl);
    memcpy(s + NGC_LINE_MAX - tl, tail, tl);
    assert_int_equal(ngc_parse_line(s, NGC_LINE_MAX, &kl, &y, &m, &v), NGC_STREAMING_REASON_NONE);
    assert_int_equal(kl, NGC_LINE_MAX - tl);
    /* One byte more: too long, even though it is otherwise well-formed. */
    memset(s, 'k', NGC_LINE_MAX + 1 - tl);
    memcpy(s + NGC_LINE_MAX + 1 - tl, tail, tl);
    assert_int_equal(ngc_parse_line(s, NGC_LINE_MAX + 1, &kl, &y, &m, &v),
                     NGC_STREAMING_REASON_LONG);
    /* Long garbage is LONG, not FIELDS. */
    memset(s, 'z', NGC_LINE_MAX + 1);
    assert_int_equal(ngc_parse_line(s, NGC_LINE_MAX + 1, &kl, &y, &m, &v),
                     NGC_STREAMING_REASON_LONG);
    free(s);
}

/* --- ngc_parse_buffer -------------------------------------------------- */

static int ngc_t_setup(void **state)
{
    return ngc_t_ctx_setup(state, ngc_t_cfg);
}

static int ngc_t_parse(ngc_t_ctx_t *t, const char *buf, size_t len)
{
    return ngc_parse_buffer(&t->ps, buf, len, t->m);
}

static int ngc_t_parse_s(ngc_t_ctx_t *t, const char *buf)
{
    return ngc_t_parse(t, buf, strlen(buf));
}

/* How many entries hold key (0 or 1 in a correct table); their totals. */
static int ngc_t_find(ngc_combiner_t *m, const char *key, size_t len, uint64_t *match,
                      uint64_t *volume)
{
    size_t start[NGC_COUNTERS_PARTS + 1];
    const ngc_kv_t *kv = ngc_combiner_partitioned(m, start);
    assert_non_null(kv);
    int found = 0;
    for (size_t i = 0; i < start[NGC_COUNTERS_PARTS]; i++)
        if (kv[i].len == len && memcmp(kv[i].key, key, len) == 0) {
            found++;
            *match = kv[i].match;
            *volume = kv[i].volume;
        }
    return found;
}

static void ngc_t_expect(ngc_combiner_t *m, const char *key, uint64_t match, uint64_t volume)
{
    uint64_t mm = 0, vv = 0;
    int n = ngc_t_find(m, key, strlen(key), &mm, &vv);
    if (n != 1)
        fail_msg("key \"%s\" found %d times", key, n);
    if (mm != match || vv != volume)
        fail_msg("key \"%s\": %llu %llu, expected %llu %llu", key, (unsigned long long)mm,
                 (unsigned long long)vv, (unsigned long long)match, (unsigned long long)volume);
}

static void ngc_t_absent(ngc_combiner_t *m, const char *key)
{
    uint64_t mm, vv;
    int n = ngc_t_find(m, key, strlen(key), &mm, &vv);
    if (n != 0)
        fail_msg("key \"%s\" should be absent", key);
}

/* The parse's counters and table against a reference built alongside:
 * keys "k0".."k<nkeys-1>", with totals where seen. */
static void ngc_t_against(const ngc_t_ctx_t *t, uint64_t lines, uint64_t malformed,
                          uint64_t filtered, unsigned nkeys, const uint64_t *ref_m,
                          const uint64_t *ref_v, const bool *seen)
{
    assert_int_equal(t->ps.lines, lines);
    assert_int_equal(t->ps.malformed, malformed);
    assert_int_equal(t->ps.filtered, filtered);
    size_t distinct = 0;
    for (unsigned k = 0; k < nkeys; k++) {
        char name[16];
        snprintf(name, sizeof(name), "k%u", k);
        if (seen[k]) {
            ngc_t_expect(t->m, name, ref_m[k], ref_v[k]);
            distinct++;
        } else {
            ngc_t_absent(t->m, name);
        }
    }
    assert_int_equal(ngc_combiner_count(t->m), distinct);
}

/* A job that reads no volumes (--count match, no --pg): the parser does
 * not convert them on its fast path (lines with 24 bytes after the key),
 * emits every volume as 0 whichever path read the line, and the matches
 * come out the same on both paths. */
static void test_buffer_volumes_unread(void **state)
{
    ngc_t_ctx_t *t = *state;
    assert_false(ngc_config_volumes(&t->cfg));
    t->ps.volumes = ngc_config_volumes(&t->cfg);
    const char *buf = "a\t2000\t1\t2\n"
                      "a\t2001\t3\t4\n"
                      "b\t2000\t10\t20\n"
                      "b\t2001\t12345678\t87654321\n"
                      "c\t2000\t5\t6\n";
    assert_int_equal(ngc_t_parse_s(t, buf), NGC_OK);
    const char *keys[] = {"a", "b", "c"};
    const uint64_t match[] = {4, 12345688, 5};
    for (size_t i = 0; i < NGC_NELEMS(keys); i++) {
        uint64_t m = 0, v = 0;
        assert_int_equal(ngc_t_find(t->m, keys[i], 1, &m, &v), 1);
        assert_int_equal(m, match[i]);
        assert_int_equal(v, 0);
    }
    /* v3: vector triples (a), and a scalar one (b: a 9-digit match, and too
     * near the buffer's end for a vector read). */
    ngc_combiner_reset(t->m);
    t->cfg.format = NGC_FORMAT_V3;
    ngc_parse_reset(&t->ps);
    assert_int_equal(ngc_t_parse_s(t, "a\t2000,1,2\t2001,3,4\nb\t2000,123456789,9\n"), NGC_OK);
    ngc_t_expect(t->m, "a", 4, 0);
    ngc_t_expect(t->m, "b", 123456789, 0);
    t->cfg.count = NGC_COUNT_BOTH;
    assert_true(ngc_config_volumes(&t->cfg));
    t->cfg.count = NGC_COUNT_MATCH;
    t->cfg.pg_dsn = "";
    assert_true(ngc_config_volumes(&t->cfg));
    t->cfg.pg_dsn = NULL;
}

static void test_buffer_runs(void **state)
{
    ngc_t_ctx_t *t = *state;
    const char *buf = "a\t2000\t1\t2\n"
                      "a\t2001\t3\t4\n"
                      "a\t2002\t5\t6\n"
                      "b\t2000\t10\t20\n"
                      "ab\t2000\t100\t200\n"
                      "a\t2003\t7\t8\n"
                      "b\t1999\t1\t1\n"
                      "b\t2001\t1\t1\n";
    assert_int_equal(ngc_t_parse_s(t, buf), NGC_OK);
    ngc_t_expect(t->m, "a", 1 + 3 + 5 + 7, 2 + 4 + 6 + 8);
    ngc_t_expect(t->m, "b", 12, 22);
    ngc_t_expect(t->m, "ab", 100, 200);
    assert_int_equal(ngc_combiner_count(t->m), 3);
    assert_int_equal(t->ps.lines, 8);
    assert_int_equal(t->ps.malformed, 0);
    assert_int_equal(t->ps.filtered, 0);
    /* Maximal runs of one key: a a a | b | ab | a | b b */
    assert_int_equal(t->ps.runs, 5);
}

static void test_buffer_runs_across_buffers(void **state)
{
    ngc_t_ctx_t *t = *state;
    /* A run cut by a buffer boundary still totals correctly. */
    assert_int_equal(ngc_t_parse_s(t, "x\t2000\t1\t1\nx\t2001\t2\t2\n"), NGC_OK);
    assert_int_equal(ngc_t_parse_s(t, "x\t2002\t4\t4\ny\t2000\t8\t8\n"), NGC_OK);
    ngc_t_expect(t->m, "x", 7, 7);
    ngc_t_expect(t->m, "y", 8, 8);
    assert_int_equal(t->ps.lines, 4);
}

static void test_buffer_zero_counts(void **state)
{
    ngc_t_ctx_t *t = *state;
    assert_int_equal(ngc_t_parse_s(t, "z\t2000\t0\t0\n"), NGC_OK);
    ngc_t_expect(t->m, "z", 0, 0);
}

static void test_buffer_years(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.from_year = 1900;
    t->cfg.to_year = 1999;
    const char *buf = "a\t1899\t1\t1\n" /* out */
                      "a\t1900\t2\t2\n" /* in: first year */
                      "a\t1950\t4\t4\n"
                      "a\t1999\t8\t8\n"   /* in: last year */
                      "a\t2000\t16\t16\n" /* out */
                      "b\t0001\t1\t1\n"   /* out */
                      "c\t1950\t5\t6\n"
                      "c\t9999\t1\t1\n"; /* out */
    assert_int_equal(ngc_t_parse_s(t, buf), NGC_OK);
    ngc_t_expect(t->m, "a", 14, 14);
    ngc_t_expect(t->m, "c", 5, 6);
    ngc_t_absent(t->m, "b");
    assert_int_equal(ngc_combiner_count(t->m), 2);
    assert_int_equal(t->ps.filtered, 4);
    assert_int_equal(t->ps.malformed, 0);
}

static void test_buffer_single_year(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.from_year = 1984;
    t->cfg.to_year = 1984;
    assert_int_equal(ngc_t_parse_s(t, "a\t1983\t1\t1\na\t1984\t2\t3\na\t1985\t4\t4\n"), NGC_OK);
    ngc_t_expect(t->m, "a", 2, 3);
    assert_int_equal(t->ps.filtered, 2);
}

static void test_buffer_run_filtered_out(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.from_year = 1900;
    t->cfg.to_year = 2000;
    const char *buf = "gone\t1800\t5\t5\n"
                      "gone\t1801\t5\t5\n"
                      "kept\t1950\t1\t1\n"
                      "late\t2001\t9\t9\n";
    assert_int_equal(ngc_t_parse_s(t, buf), NGC_OK);
    ngc_t_absent(t->m, "gone");
    ngc_t_absent(t->m, "late");
    ngc_t_expect(t->m, "kept", 1, 1);
    assert_int_equal(ngc_combiner_count(t->m), 1);
    assert_int_equal(t->ps.filtered, 3);
}

static void test_buffer_malformed_samples(void **state)
{
    ngc_t_ctx_t *t = *state;
    const char *buf = "a\t2000\t1\t1\n"                    /* 1 */
                      "bad\n"                              /* 2 fields */
                      "a\t2001\t1\t1\n"                    /* 3 */
                      "\t2000\t1\t1\n"                     /* 4 empty ngram */
                      "a\t2002\tx\t1\n"                    /* 5 number */
                      "a\t2003\t-1\t1\n"                   /* 6 negative */
                      "b\t2000\t1\t1\n"                    /* 7 */
                      "b\t2000\t18446744073709551616\t1\n" /* 8 range */
                      "b\t0\t1\t1\n"                       /* 9 year */
                      "\n"                                 /* 10 fields (empty line) */
                      "b\t2001\t1\t1\n";                   /* 11 */
    assert_int_equal(ngc_t_parse_s(t, buf), NGC_OK);
    assert_int_equal(t->ps.lines, 11);
    assert_int_equal(t->ps.malformed, 7);
    assert_int_equal(t->ps.nsamples, NGC_MSG_SAMPLES);
    const ngc_msg_sample_t want[NGC_MSG_SAMPLES] = {{2, NGC_STREAMING_REASON_FIELDS, 0},
                                                    {4, NGC_STREAMING_REASON_EMPTY_NGRAM, 0},
                                                    {5, NGC_STREAMING_REASON_NUMBER, 0},
                                                    {6, NGC_STREAMING_REASON_NEGATIVE, 0},
                                                    {8, NGC_STREAMING_REASON_RANGE, 0}};
    for (int i = 0; i < NGC_MSG_SAMPLES; i++) {
        assert_int_equal(t->ps.samples[i].line, want[i].line);
        assert_int_equal(t->ps.samples[i].reason, want[i].reason);
    }
    /* The good lines around the bad ones all count. */
    ngc_t_expect(t->m, "a", 2, 2);
    ngc_t_expect(t->m, "b", 2, 2);
    assert_int_equal(ngc_combiner_count(t->m), 2);
}

static void test_buffer_sample_lines_continue(void **state)
{
    ngc_t_ctx_t *t = *state;
    /* Line numbers count from the task's first line, across buffers. */
    assert_int_equal(ngc_t_parse_s(t, "a\t2000\t1\t1\na\t2000\t1\t1\nbad\n"), NGC_OK);
    assert_int_equal(ngc_t_parse_s(t, "a\t2000\t1\t1\nworse\t1\n"), NGC_OK);
    assert_int_equal(t->ps.nsamples, 2);
    assert_int_equal(t->ps.samples[0].line, 3);
    assert_int_equal(t->ps.samples[1].line, 5);
    assert_int_equal(t->ps.lines, 5);
    /* A new task starts again at line 1. */
    ngc_parse_reset(&t->ps);
    assert_int_equal(t->ps.lines, 0);
    assert_int_equal(t->ps.nsamples, 0);
    assert_int_equal(t->ps.malformed, 0);
    assert_int_equal(ngc_t_parse_s(t, "nope\n"), NGC_OK);
    assert_int_equal(t->ps.nsamples, 1);
    assert_int_equal(t->ps.samples[0].line, 1);
    assert_int_equal(t->ps.samples[0].reason, NGC_STREAMING_REASON_FIELDS);
}

static void test_buffer_long_line(void **state)
{
    ngc_t_ctx_t *t = *state;
    size_t long_len = NGC_LINE_MAX + 10;
    size_t cap = long_len + 64;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t n = 0;
    memcpy(buf + n, "a\t2000\t1\t1\n", 11);
    n += 11;
    memset(buf + n, 'q', long_len - 9);
    memcpy(buf + n + long_len - 9, "\t2000\t1\t1", 9);
    n += long_len;
    buf[n++] = '\n';
    memcpy(buf + n, "a\t2000\t1\t1\n", 11);
    n += 11;
    assert_int_equal(ngc_t_parse(t, buf, n), NGC_OK);
    assert_int_equal(t->ps.lines, 3);
    assert_int_equal(t->ps.malformed, 1);
    assert_int_equal(t->ps.samples[0].line, 2);
    assert_int_equal(t->ps.samples[0].reason, NGC_STREAMING_REASON_LONG);
    ngc_t_expect(t->m, "a", 2, 2);
    assert_int_equal(ngc_combiner_count(t->m), 1);
    free(buf);
}

static void test_buffer_crlf(void **state)
{
    ngc_t_ctx_t *t = *state;
    assert_int_equal(ngc_t_parse_s(t, "a\t2000\t1\t2\r\na\t2001\t3\t4\r\nb\t2000\t5\t6\r\n"),
                     NGC_OK);
    ngc_t_expect(t->m, "a", 4, 6);
    ngc_t_expect(t->m, "b", 5, 6);
    ngc_t_absent(t->m, "a\r");
    assert_int_equal(t->ps.malformed, 0);
}

static void test_buffer_strict(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.strict = true;
    const char *buf = "a\t2000\t1\t1\n"
                      "a\t2001\t1\t1\n"
                      "a\t2002\t-1\t1\n"
                      "a\t2003\t1\t1\n";
    assert_int_equal(ngc_t_parse_s(t, buf), NGC_ERROR);
    assert_int_equal(t->ps.fail, NGC_FAIL_MALFORMED);
    assert_int_equal(t->ps.fail_line, 3);
    assert_true(strlen(t->ps.fail_text) > 0);
    assert_int_equal(t->ps.malformed, 1);
    assert_int_equal(t->ps.nsamples, 1);
    assert_int_equal(t->ps.samples[0].reason, NGC_STREAMING_REASON_NEGATIVE);
}

static void test_buffer_strict_ok(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.strict = true;
    assert_int_equal(ngc_t_parse_s(t, "a\t2000\t1\t1\nb\t2000\t1\t1\n"), NGC_OK);
    assert_int_equal(t->ps.fail, 0);
    ngc_t_expect(t->m, "b", 1, 1);
}

static void test_buffer_overflow_in_run(void **state)
{
    ngc_t_ctx_t *t = *state;
    assert_int_equal(ngc_t_parse_s(t, "a\t2000\t" NGC_T_MAX_S "\t0\na\t2001\t1\t0\n"), NGC_ERROR);
    assert_int_equal(t->ps.fail, NGC_FAIL_OVERFLOW);
    assert_int_equal(t->ps.fail_line, 2);
    assert_non_null(strstr(t->ps.fail_text, "a"));
}

/* The job counts these totals (the parser and the table alike). */
static void ngc_t_count(ngc_t_ctx_t *t, ngc_count_t count)
{
    t->cfg.count = count;
    ngc_combiner_set_count(t->m, count);
}

/* A volume past 2^64-1 fails only when the volume is counted: under
 * --count match it is never printed, and stays at 2^64-1; in a run, in a
 * v3 line's own sum, and in the table alike. */
static void test_buffer_overflow_volume(void **state)
{
    ngc_t_ctx_t *t = *state;
    const char *run = "v\t2000\t1\t" NGC_T_MAX_S "\nv\t2001\t1\t1\n";
    const char *runs = "v\t2000\t1\t" NGC_T_MAX_S "\nw\t2000\t1\t1\nv\t2001\t1\t1\n";
    const char *v3 = "v\t2000,1," NGC_T_MAX_S "\t2001,2,1\n";
    const char *bufs[] = {run, runs, v3};
    for (size_t i = 0; i < NGC_NELEMS(bufs); i++) {
        t->ps.format = i == 2 ? NGC_FORMAT_V3 : NGC_FORMAT_V2;
        ngc_t_count(t, NGC_COUNT_MATCH);
        ngc_combiner_reset(t->m);
        assert_int_equal(ngc_t_parse_s(t, bufs[i]), NGC_OK);
        uint64_t m = 0, v = 0;
        assert_int_equal(ngc_t_find(t->m, "v", 1, &m, &v), 1);
        assert_true(m == (i == 2 ? 3 : 2) && v == NGC_T_MAX);
        const ngc_count_t strict[] = {NGC_COUNT_VOLUME, NGC_COUNT_BOTH};
        for (size_t k = 0; k < NGC_NELEMS(strict); k++) {
            ngc_t_count(t, strict[k]);
            ngc_combiner_reset(t->m);
            assert_int_equal(ngc_t_parse_s(t, bufs[i]), NGC_ERROR);
            assert_int_equal(t->ps.fail, NGC_FAIL_OVERFLOW);
        }
    }
    /* --count volume: the match is the one that may pass 2^64-1. */
    t->ps.format = NGC_FORMAT_V2;
    ngc_t_count(t, NGC_COUNT_VOLUME);
    ngc_combiner_reset(t->m);
    assert_int_equal(ngc_t_parse_s(t, "m\t2000\t" NGC_T_MAX_S "\t1\nm\t2001\t1\t1\n"), NGC_OK);
    uint64_t m = 0, v = 0;
    assert_int_equal(ngc_t_find(t->m, "m", 1, &m, &v), 1);
    assert_true(m == NGC_T_MAX && v == 2);
    ngc_t_count(t, NGC_COUNT_MATCH);
    ngc_combiner_reset(t->m);
    assert_int_equal(ngc_t_parse_s(t, "m\t2000\t" NGC_T_MAX_S "\t1\nm\t2001\t1\t1\n"), NGC_ERROR);
}

static void test_buffer_overflow_across_runs(void **state)
{
    ngc_t_ctx_t *t = *state;
    /* The two runs of a are each fine; their total is not. */
    const char *buf = "a\t2000\t" NGC_T_MAX_S "\t0\n"
                      "b\t2000\t1\t1\n"
                      "a\t2000\t1\t0\n";
    assert_int_equal(ngc_t_parse_s(t, buf), NGC_ERROR);
    assert_int_equal(t->ps.fail, NGC_FAIL_OVERFLOW);
}

static void test_buffer_overflow_across_buffers(void **state)
{
    ngc_t_ctx_t *t = *state;
    assert_int_equal(ngc_t_parse_s(t, "a\t2000\t18446744073709551610\t0\n"), NGC_OK);
    assert_int_equal(ngc_t_parse_s(t, "a\t2001\t6\t0\n"), NGC_ERROR);
    assert_int_equal(t->ps.fail, NGC_FAIL_OVERFLOW);
}

static void test_buffer_exactly_max(void **state)
{
    ngc_t_ctx_t *t = *state;
    const char *buf = "a\t2000\t18446744073709551614\t9223372036854775808\n"
                      "a\t2001\t1\t9223372036854775807\n"
                      "b\t2000\t1\t1\n"
                      "a\t1800\t1\t1\n"; /* filtered: would overflow otherwise */
    t->cfg.from_year = 1900;
    assert_int_equal(ngc_t_parse_s(t, buf), NGC_OK);
    ngc_t_expect(t->m, "a", NGC_T_MAX, NGC_T_MAX);
}

static void test_buffer_bytes_exact(void **state)
{
    ngc_t_ctx_t *t = *state;
    /* UTF-8, invalid UTF-8, control bytes and spaces pass through untouched. */
    const char buf[] = "caf\xc3\xa9 na\xc3\xafve\t2000\t1\t1\n"
                       "\xff\xfe\x80\xc3\t2000\t2\t2\n"
                       " lead  double \t2000\t3\t3\n"
                       "nul\0byte\t2000\t4\t4\n"
                       "\xe6\x97\xa5\xe6\x9c\xac\t2000\t5\t5\n";
    assert_int_equal(ngc_t_parse(t, buf, sizeof(buf) - 1), NGC_OK);
    ngc_t_expect(t->m, "caf\xc3\xa9 na\xc3\xafve", 1, 1);
    ngc_t_expect(t->m, "\xff\xfe\x80\xc3", 2, 2);
    ngc_t_expect(t->m, " lead  double ", 3, 3);
    ngc_t_expect(t->m, "\xe6\x97\xa5\xe6\x9c\xac", 5, 5);
    uint64_t m, v;
    assert_int_equal(ngc_t_find(t->m, "nul\0byte", 8, &m, &v), 1);
    assert_int_equal(m, 4);
    assert_int_equal(ngc_combiner_count(t->m), 5);
}

static const char *const ngc_t_tags[] = {"NOUN", "VERB", "ADJ",  "ADV", "PRON", "DET",
                                         "ADP",  "NUM",  "CONJ", "PRT", "X",    "."};

static void test_pos_keep(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.pos = NGC_POS_KEEP;
    const char *buf = "and\t2000\t1\t1\n"
                      "and_CONJ\t2000\t2\t2\n"
                      "_NOUN_\t2000\t4\t4\n"
                      "the dog_NOUN\t2000\t8\t8\n";
    assert_int_equal(ngc_t_parse_s(t, buf), NGC_OK);
    ngc_t_expect(t->m, "and", 1, 1);
    ngc_t_expect(t->m, "and_CONJ", 2, 2);
    ngc_t_expect(t->m, "_NOUN_", 4, 4);
    ngc_t_expect(t->m, "the dog_NOUN", 8, 8);
    assert_int_equal(t->ps.filtered, 0);
}

/* Found by fuzz_parse: a run that --pos drops must not fail as an
 * overflow, its sums are never counted (tests/fuzz/crashes/fuzz_parse). */
static void test_regress_pos_dropped_run_overflow(void **state)
{
    ngc_t_ctx_t *t = *state;
    static const char drop[] = "a_NOUN\t2000\t18446744073709551615\t1\n"
                               "a_NOUN\t2001\t1\t1\nb\t2000\t7\t1\n";
    static const char strip[] = "a\t2000\t18446744073709551615\t1\n"
                                "a\t2001\t1\t1\nb_NOUN\t2000\t7\t1\n";
    t->cfg.pos = NGC_POS_DROP;
    assert_int_equal(ngc_t_parse(t, drop, sizeof(drop) - 1), NGC_OK);
    ngc_t_expect(t->m, "b", 7, 1);
    assert_int_equal(ngc_combiner_count(t->m), 1);
    ngc_combiner_reset(t->m);
    ngc_parse_reset(&t->ps);
    t->cfg.pos = NGC_POS_STRIP;
    assert_int_equal(ngc_t_parse(t, strip, sizeof(strip) - 1), NGC_OK);
    ngc_t_expect(t->m, "b", 7, 1);
    assert_int_equal(ngc_combiner_count(t->m), 1);
    /* A kept ngram still overflows. */
    ngc_combiner_reset(t->m);
    ngc_parse_reset(&t->ps);
    t->cfg.pos = NGC_POS_KEEP;
    assert_int_equal(ngc_t_parse(t, drop, sizeof(drop) - 1), NGC_ERROR);
    assert_int_equal(t->ps.fail, NGC_FAIL_OVERFLOW);
}

static void test_pos_drop(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.pos = NGC_POS_DROP;
    char buf[4096];
    size_t n = 0;
    /* Every tag as a suffix and as a tag-only token is dropped. */
    for (size_t i = 0; i < NGC_NELEMS(ngc_t_tags); i++) {
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "w%zu_%s\t2000\t1\t1\n", i, ngc_t_tags[i]);
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "_%s_\t2000\t1\t1\n", ngc_t_tags[i]);
    }
    const char *rest = "_START_ the\t2000\t1\t1\n"
                       "the _END_\t2000\t1\t1\n"
                       "_ROOT_\t2000\t1\t1\n"
                       "the dog_NOUN\t2000\t1\t1\n"
                       "the_DET dog\t2000\t1\t1\n"
                       "the dog\t2000\t3\t3\n"     /* kept */
                       "snake_case\t2000\t5\t5\n"  /* not a tag: kept */
                       "w_noun\t2000\t6\t6\n"      /* tags are upper case: kept */
                       "dog_NOUN_x\t2000\t8\t8\n"; /* the tag is not last: kept */
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", rest);
    assert_int_equal(ngc_t_parse(t, buf, n), NGC_OK);
    ngc_t_expect(t->m, "the dog", 3, 3);
    ngc_t_expect(t->m, "snake_case", 5, 5);
    ngc_t_expect(t->m, "w_noun", 6, 6);
    ngc_t_expect(t->m, "dog_NOUN_x", 8, 8);
    assert_int_equal(ngc_combiner_count(t->m), 4);
    assert_int_equal(t->ps.dropped, 2 * NGC_NELEMS(ngc_t_tags) + 5);
}

static void test_pos_strip(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.pos = NGC_POS_STRIP;
    char buf[4096];
    size_t n = 0;
    /* word_TAG -> word for every tag: 12 runs of "word" summed. */
    for (size_t i = 0; i < NGC_NELEMS(ngc_t_tags); i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "word_%s\t2000\t1\t10\n", ngc_t_tags[i]);
    const char *rest = "and_CONJ\t2000\t2\t2\n"
                       "and\t2000\t1000\t1000\n" /* untagged: dropped */
                       "the_DET dog_NOUN\t2000\t3\t3\n"
                       "the dog_NOUN\t2000\t1000\t1000\n" /* partly tagged: dropped */
                       "the_DET dog\t2000\t1000\t1000\n"
                       "_NOUN_\t2000\t1000\t1000\n" /* tag-only: dropped */
                       "_START_ the_DET\t2000\t1000\t1000\n"
                       "the_DET _END_\t2000\t1000\t1000\n"
                       "snake_case_NOUN\t2000\t4\t4\n"       /* the last '_' splits */
                       "._.\t2000\t5\t5\n"                   /* punctuation tag */
                       "the_DET dog_FOO\t2000\t1000\t1000\n" /* FOO is no tag */
                       "The_DET\t2000\t6\t6\n";
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", rest);
    assert_int_equal(ngc_t_parse(t, buf, n), NGC_OK);
    ngc_t_expect(t->m, "word", 12, 120);
    ngc_t_expect(t->m, "and", 2, 2);
    ngc_t_expect(t->m, "the dog", 3, 3);
    ngc_t_expect(t->m, "snake_case", 4, 4);
    ngc_t_expect(t->m, ".", 5, 5);
    ngc_t_expect(t->m, "The", 6, 6);
    assert_int_equal(ngc_combiner_count(t->m), 6);
    assert_int_equal(t->ps.dropped, 7);
}

static void test_fold_case(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.fold_case = true;
    const char *buf = "HELLO World\t2000\t1\t1\n"
                      "hello world\t2000\t2\t2\n"
                      "Hello WORLD\t2000\t4\t4\n"
                      "\xc3\x84RGER\t2000\t5\t5\n" /* ÄRGER */
                      "\xc3\xa4rger\t2000\t6\t6\n" /* ärger */
                      "Stra\xc3\x9f"
                      "e\t2000\t7\t7\n" /* Straße */
                      "STRASSE\t2000\t8\t8\n"
                      "\xce\x91\xce\x92\xce\x93\t2000\t9\t9\n" /* ΑΒΓ */
                      "\xff\xfe"
                      "abc\t2000\t10\t10\n"     /* invalid UTF-8 */
                      "caf\xe9\t2000\t11\t11\n" /* Latin-1, invalid UTF-8 */
                      "123 _.,;\t2000\t12\t12\n";
    assert_int_equal(ngc_t_parse_s(t, buf), NGC_OK);
    ngc_t_expect(t->m, "hello world", 7, 7);
    ngc_t_expect(t->m, "\xc3\xa4rger", 11, 11);
    ngc_t_expect(t->m, "strasse", 15, 15);
    ngc_t_expect(t->m, "\xce\xb1\xce\xb2\xce\xb3", 9, 9);
    ngc_t_expect(t->m,
                 "\xff\xfe"
                 "abc",
                 10, 10);
    ngc_t_expect(t->m, "caf\xe9", 11, 11);
    ngc_t_expect(t->m, "123 _.,;", 12, 12);
    ngc_t_absent(t->m, "HELLO World");
    ngc_t_absent(t->m, "\xc3\x84RGER");
    assert_int_equal(ngc_combiner_count(t->m), 7);
}

static void test_fold_case_off(void **state)
{
    ngc_t_ctx_t *t = *state;
    assert_int_equal(ngc_t_parse_s(t, "\xc3\x84RGER\t2000\t1\t1\nHello\t2000\t1\t1\n"), NGC_OK);
    ngc_t_expect(t->m, "\xc3\x84RGER", 1, 1);
    ngc_t_expect(t->m, "Hello", 1, 1);
    ngc_t_absent(t->m, "hello");
}

static void test_fold_and_strip(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.fold_case = true;
    t->cfg.pos = NGC_POS_STRIP;
    const char *buf = "The_DET\t2000\t1\t1\n"
                      "the_DET\t2000\t2\t2\n"
                      "\xc3\x84RGER_NOUN\t2000\t4\t4\n"
                      "THE\t2000\t1000\t1000\n";
    assert_int_equal(ngc_t_parse_s(t, buf), NGC_OK);
    ngc_t_expect(t->m, "the", 3, 3);
    ngc_t_expect(t->m, "\xc3\xa4rger", 4, 4);
    assert_int_equal(ngc_combiner_count(t->m), 2);
}

/*
 * The fast path of ngc_parse_buffer must agree with ngc_parse_line on every
 * line: built from pieces that sit on its edges (digit counts, signs, CRs,
 * empty fields, the 2^64 boundary), one line per buffer.
 */
static void test_buffer_agrees_with_line(void **state)
{
    ngc_t_ctx_t *t = *state;
    static const char *const keys[] = {"a", "", "b c", "x\r", "\xc3\xa9"};
    static const char *const nums[] = {"0",
                                       "1",
                                       "0999",
                                       "1999",
                                       "9999",
                                       "10000",
                                       "00000",
                                       "-1",
                                       "-",
                                       "",
                                       NGC_T_MAX_S,
                                       "18446744073709551616",
                                       "00" NGC_T_MAX_S,
                                       "9999999999999999999",
                                       "1x",
                                       "\r1",
                                       "1\r",
                                       " 1",
                                       "12345678901234567890"};
    static const char *const ends[] = {"", "\r", "\t", "\r\r", "\t1"};
    size_t nn = NGC_NELEMS(nums);
    char line[256];
    unsigned long checked = 0;
    for (size_t k = 0; k < NGC_NELEMS(keys); k++)
        for (size_t y = 0; y < nn; y++)
            for (size_t m = 0; m < nn; m++)
                for (size_t v = 0; v < nn; v++) {
                    size_t e = (y * 7 + m * 3 + v + k) % NGC_NELEMS(ends);
                    int len = snprintf(line, sizeof(line), "%s\t%s\t%s\t%s%s", keys[k], nums[y],
                                       nums[m], nums[v], ends[e]);
                    size_t kl = 0;
                    uint32_t yr = 0;
                    uint64_t mm = 0, vv = 0;
                    ngc_streaming_reason_t why = ngc_parse_line(line, (size_t)len, &kl, &yr, &mm,
                                                                &vv);
                    line[len] = '\n';
                    ngc_parse_reset(&t->ps);
                    ngc_combiner_reset(t->m);
                    if (ngc_t_parse(t, line, (size_t)len + 1) != NGC_OK)
                        fail_msg("line %zu/%zu/%zu/%zu: parse_buffer failed", k, y, m, v);
                    if (why != NGC_STREAMING_REASON_NONE) {
                        if (t->ps.malformed != 1 || t->ps.samples[0].reason != why ||
                            t->ps.samples[0].line != 1 || ngc_combiner_count(t->m) != 0)
                            fail_msg("line %zu/%zu/%zu/%zu: buffer disagrees with reason %d", k, y,
                                     m, v, why);
                    } else {
                        uint64_t gm = 0, gv = 0;
                        if (t->ps.malformed != 0 || ngc_combiner_count(t->m) != 1 ||
                            ngc_t_find(t->m, line, kl, &gm, &gv) != 1 || gm != mm || gv != vv)
                            fail_msg("line %zu/%zu/%zu/%zu: buffer disagrees with a good line", k,
                                     y, m, v);
                    }
                    checked++;
                }
    assert_true(checked == NGC_NELEMS(keys) * nn * nn * nn);
}

/* Many lines in one buffer against a reference built from ngc_parse_line. */
static void test_buffer_reference(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.from_year = 1800;
    t->cfg.to_year = 2000;
    enum { NKEYS = 50, NLINES = 20000 };
    uint64_t ref_m[NKEYS] = {0}, ref_v[NKEYS] = {0};
    bool seen[NKEYS] = {false};
    size_t cap = (size_t)NLINES * 48;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t n = 0;
    uint64_t x = 88172645463325252ull;
    unsigned key = 0, malformed = 0, filtered = 0;
    for (int i = 0; i < NLINES; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (x % 4 == 0) /* a new run, often of a key seen before */
            key = (unsigned)(x >> 8) % NKEYS;
        unsigned year = 1700 + (unsigned)(x >> 20) % 400;
        uint64_t m = (x >> 32) % 100000, v = (x >> 40) % 1000;
        const char *cr = (x >> 50) % 5 == 0 ? "\r" : "";
        int len;
        if ((x >> 53) % 50 == 0) {
            len = snprintf(buf + n, cap - n, "k%u\t%u\t%llu\n", key, year, (unsigned long long)m);
            malformed++;
        } else {
            len = snprintf(buf + n, cap - n, "k%u\t%04u\t%llu\t%llu%s\n", key, year,
                           (unsigned long long)m, (unsigned long long)v, cr);
            if (year >= 1800 && year <= 2000) {
                ref_m[key] += m;
                ref_v[key] += v;
                seen[key] = true;
            } else {
                filtered++;
            }
        }
        n += (size_t)len;
    }
    assert_int_equal(ngc_t_parse(t, buf, n), NGC_OK);
    ngc_t_against(t, NLINES, malformed, filtered, NKEYS, ref_m, ref_v, seen);
    free(buf);
}

/* --- ngc_parse_google_line: v1, v2, v3 ---------------------------------- */

static ngc_streaming_reason_t ngc_t_gline(ngc_format_t f, const char *s, uint32_t from, uint32_t to,
                                          ngc_line_t *l)
{
    memset(l, 0x5a, sizeof(*l));
    return ngc_parse_google_line(f, s, strlen(s), from, to, l);
}

static void ngc_t_gbad(ngc_format_t f, const char *s, ngc_streaming_reason_t want)
{
    ngc_line_t l;
    ngc_streaming_reason_t got = ngc_t_gline(f, s, 1, 9999, &l);
    if (want == NGC_STREAMING_REASON_MAX ? got == NGC_STREAMING_REASON_NONE : got != want)
        fail_msg("v%d line \"%s\": reason %d, expected %d", (int)f, s, got, want);
}

/* A well-formed line: its key length, and the sums of its records in
 * from..to (counted when any record is), filtered records. */
static void ngc_t_ggood(ngc_format_t f, const char *s, uint32_t from, uint32_t to, size_t key_len,
                        uint64_t match, uint64_t volume, uint64_t filtered)
{
    ngc_line_t l;
    ngc_streaming_reason_t got = ngc_t_gline(f, s, from, to, &l);
    if (got != NGC_STREAMING_REASON_NONE)
        fail_msg("v%d line \"%s\": reason %d, expected well-formed", (int)f, s, got);
    assert_int_equal(l.key_len, key_len);
    assert_int_equal(l.filtered, filtered);
    if (filtered == 0)
        assert_true(l.counted);
    assert_false(l.overflow);
    if (l.counted && (l.match != match || l.volume != volume))
        fail_msg("v%d line \"%s\": %llu %llu, expected %llu %llu", (int)f, s,
                 (unsigned long long)l.match, (unsigned long long)l.volume,
                 (unsigned long long)match, (unsigned long long)volume);
}

static void test_google_line_v1(void **state)
{
    (void)state;
    /* ngram year match pages volume: the pages are not counted. */
    ngc_t_ggood(NGC_FORMAT_V1, "a b\t2000\t3\t99\t4", 1, 9999, 3, 3, 4, 0);
    ngc_t_ggood(NGC_FORMAT_V1, "a\t2000\t3\t99\t4\r", 1, 9999, 1, 3, 4, 0);
    ngc_t_ggood(NGC_FORMAT_V1, "a\t2000\t" NGC_T_MAX_S "\t" NGC_T_MAX_S "\t" NGC_T_MAX_S, 1, 9999,
                1, NGC_T_MAX, NGC_T_MAX, 0);
    ngc_t_ggood(NGC_FORMAT_V1, "a\t0999\t0\t0\t0", 1, 9999, 1, 0, 0, 0);
    /* Outside the years: one filtered record, nothing counted. */
    ngc_line_t l;
    assert_int_equal(ngc_t_gline(NGC_FORMAT_V1, "a\t2000\t3\t99\t4", 2001, 9999, &l),
                     NGC_STREAMING_REASON_NONE);
    assert_false(l.counted);
    assert_int_equal(l.filtered, 1);
    assert_int_equal(ngc_t_gline(NGC_FORMAT_V1, "a\t2000\t3\t99\t4", 1, 1999, &l),
                     NGC_STREAMING_REASON_NONE);
    assert_false(l.counted);
    assert_int_equal(ngc_t_gline(NGC_FORMAT_V1, "a\t2000\t3\t99\t4", 2000, 2000, &l),
                     NGC_STREAMING_REASON_NONE);
    assert_true(l.counted);
    assert_int_equal(l.filtered, 0);

    ngc_t_gbad(NGC_FORMAT_V1, "a\t2000\t3\t4", NGC_STREAMING_REASON_FIELDS); /* a v2 line */
    ngc_t_gbad(NGC_FORMAT_V1, "a\t2000\t1\t2\t3\t4", NGC_STREAMING_REASON_FIELDS);
    ngc_t_gbad(NGC_FORMAT_V1, "a\t2000,1,1", NGC_STREAMING_REASON_FIELDS); /* a v3 line */
    ngc_t_gbad(NGC_FORMAT_V1, "a", NGC_STREAMING_REASON_FIELDS);
    ngc_t_gbad(NGC_FORMAT_V1, "", NGC_STREAMING_REASON_FIELDS);
    ngc_t_gbad(NGC_FORMAT_V1, "\t2000\t1\t1\t1", NGC_STREAMING_REASON_EMPTY_NGRAM);
    ngc_t_gbad(NGC_FORMAT_V1, "a\t2000\tx\t1\t1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_gbad(NGC_FORMAT_V1, "a\t2000\t1\tx\t1", NGC_STREAMING_REASON_NUMBER); /* pages too */
    ngc_t_gbad(NGC_FORMAT_V1, "a\t2000\t1\t\t1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_gbad(NGC_FORMAT_V1, "a\t2000\t1\t1\t", NGC_STREAMING_REASON_NUMBER);
    ngc_t_gbad(NGC_FORMAT_V1, "a\t2000\t1\t1\t1x", NGC_STREAMING_REASON_NUMBER);
    ngc_t_gbad(NGC_FORMAT_V1, "a\t2000\t-1\t1\t1", NGC_STREAMING_REASON_NEGATIVE);
    ngc_t_gbad(NGC_FORMAT_V1, "a\t2000\t1\t1\t-1", NGC_STREAMING_REASON_NEGATIVE);
    ngc_t_gbad(NGC_FORMAT_V1, "a\t2000\t18446744073709551616\t1\t1", NGC_STREAMING_REASON_RANGE);
    ngc_t_gbad(NGC_FORMAT_V1, "a\t2000\t1\t1\t18446744073709551616", NGC_STREAMING_REASON_RANGE);
    ngc_t_gbad(NGC_FORMAT_V1, "a\t0\t1\t1\t1", NGC_STREAMING_REASON_YEAR);
    ngc_t_gbad(NGC_FORMAT_V1, "a\t10000\t1\t1\t1", NGC_STREAMING_REASON_YEAR);
}

static void test_google_line_v2(void **state)
{
    (void)state;
    ngc_t_ggood(NGC_FORMAT_V2, "a b\t2000\t3\t4", 1, 9999, 3, 3, 4, 0);
    ngc_t_ggood(NGC_FORMAT_V2, "a\t2000\t3\t4\r", 1, 9999, 1, 3, 4, 0);
    ngc_line_t l;
    assert_int_equal(ngc_t_gline(NGC_FORMAT_V2, "a\t1800\t3\t4", 1900, 2000, &l),
                     NGC_STREAMING_REASON_NONE);
    assert_false(l.counted);
    assert_int_equal(l.filtered, 1);
    ngc_t_gbad(NGC_FORMAT_V2, "a\t2000\t3\t99\t4", NGC_STREAMING_REASON_FIELDS); /* a v1 line */
    ngc_t_gbad(NGC_FORMAT_V2, "a\t2000,1,1", NGC_STREAMING_REASON_FIELDS);
    ngc_t_gbad(NGC_FORMAT_V2, "a\t2000\t-3\t4", NGC_STREAMING_REASON_NEGATIVE);
}

static void test_google_line_v3(void **state)
{
    (void)state;
    ngc_t_ggood(NGC_FORMAT_V3, "a\t2000,1,2", 1, 9999, 1, 1, 2, 0);
    ngc_t_ggood(NGC_FORMAT_V3, "a b\t1999,1,2\t2000,3,4\t2001,5,6", 1, 9999, 3, 9, 12, 0);
    ngc_t_ggood(NGC_FORMAT_V3, "a\t2000,1,2\r", 1, 9999, 1, 1, 2, 0);
    ngc_t_ggood(NGC_FORMAT_V3, "a\t0999,0010,007", 1, 9999, 1, 10, 7, 0);
    ngc_t_ggood(NGC_FORMAT_V3, "a\t1," NGC_T_MAX_S "," NGC_T_MAX_S, 1, 9999, 1, NGC_T_MAX,
                NGC_T_MAX, 0);
    /* Each triple is a record of its own for the years. */
    ngc_line_t l;
    const char *s = "a b\t1999,1,2\t2000,3,4\t2001,5,6";
    assert_int_equal(ngc_t_gline(NGC_FORMAT_V3, s, 2000, 2000, &l), NGC_STREAMING_REASON_NONE);
    assert_true(l.counted);
    assert_int_equal(l.filtered, 2);
    assert_true(l.match == 3 && l.volume == 4);
    assert_int_equal(ngc_t_gline(NGC_FORMAT_V3, s, 2000, 9999, &l), NGC_STREAMING_REASON_NONE);
    assert_true(l.counted);
    assert_int_equal(l.filtered, 1);
    assert_true(l.match == 8 && l.volume == 10);
    assert_int_equal(ngc_t_gline(NGC_FORMAT_V3, s, 2002, 9999, &l), NGC_STREAMING_REASON_NONE);
    assert_false(l.counted);
    assert_int_equal(l.filtered, 3);
    /* A record of zero counts in the years is still counted. */
    assert_int_equal(ngc_t_gline(NGC_FORMAT_V3, "z\t2000,0,0", 1, 9999, &l),
                     NGC_STREAMING_REASON_NONE);
    assert_true(l.counted);
    assert_true(l.match == 0 && l.volume == 0);
    /* The line's own sums passing 2^64-1: flagged, not malformed. */
    assert_int_equal(ngc_t_gline(NGC_FORMAT_V3, "a\t2000," NGC_T_MAX_S ",0\t2001,1,0", 1, 9999, &l),
                     NGC_STREAMING_REASON_NONE);
    assert_true(l.overflow);
    assert_int_equal(ngc_t_gline(NGC_FORMAT_V3, "a\t2000,0," NGC_T_MAX_S "\t2001,0,1", 1, 9999, &l),
                     NGC_STREAMING_REASON_NONE);
    assert_true(l.overflow);
    /* ... unless the record that passes it is outside the years. */
    assert_int_equal(
        ngc_t_gline(NGC_FORMAT_V3, "a\t2000," NGC_T_MAX_S ",0\t1800,1,0", 1900, 9999, &l),
        NGC_STREAMING_REASON_NONE);
    assert_false(l.overflow);
    assert_true(l.match == NGC_T_MAX);
    assert_int_equal(ngc_t_gline(NGC_FORMAT_V3,
                                 "a\t2000,18446744073709551614,1\t2001,1,"
                                 "18446744073709551614",
                                 1, 9999, &l),
                     NGC_STREAMING_REASON_NONE);
    assert_false(l.overflow);
    assert_true(l.match == NGC_T_MAX && l.volume == NGC_T_MAX);

    /* Malformed: any bad triple makes the whole line bad. */
    ngc_t_gbad(NGC_FORMAT_V3, "a", NGC_STREAMING_REASON_FIELDS);
    ngc_t_gbad(NGC_FORMAT_V3, "", NGC_STREAMING_REASON_FIELDS);
    ngc_t_gbad(NGC_FORMAT_V3, "\t2000,1,1", NGC_STREAMING_REASON_EMPTY_NGRAM);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000,1", NGC_STREAMING_REASON_TRIPLE);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000", NGC_STREAMING_REASON_TRIPLE);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000,1,1,1", NGC_STREAMING_REASON_TRIPLE);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t", NGC_STREAMING_REASON_TRIPLE);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000,1,1\t", NGC_STREAMING_REASON_TRIPLE);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000,1,1\t\t2001,1,1", NGC_STREAMING_REASON_TRIPLE);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000,1,1\t2001,1", NGC_STREAMING_REASON_TRIPLE);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000\t1\t1", NGC_STREAMING_REASON_TRIPLE); /* a v2 line */
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000,x,1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000,,1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000,1,", NGC_STREAMING_REASON_NUMBER);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000,1,1 ", NGC_STREAMING_REASON_NUMBER);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000, 1,1", NGC_STREAMING_REASON_NUMBER);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000,1,1\t2001,1,1x", NGC_STREAMING_REASON_NUMBER);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000,-1,1", NGC_STREAMING_REASON_NEGATIVE);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000,1,18446744073709551616", NGC_STREAMING_REASON_RANGE);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t0,1,1", NGC_STREAMING_REASON_YEAR);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000,1,1\t10000,1,1", NGC_STREAMING_REASON_YEAR);
    ngc_t_gbad(NGC_FORMAT_V3, "a\t2000,1,1\r\r", NGC_STREAMING_REASON_NUMBER);
}

static void test_google_line_long(void **state)
{
    (void)state;
    char *s = malloc(NGC_LINE_MAX + 2);
    assert_non_null(s);
    static const char tail[] = "\t2000,1,1";
    size_t tl = sizeof(tail) - 1;
    ngc_line_t l;
    memset(s, 'k', NGC_LINE_MAX - tl);
    memcpy(s + NGC_LINE_MAX - tl, tail, tl);
    assert_int_equal(ngc_parse_google_line(NGC_FORMAT_V3, s, NGC_LINE_MAX, 1, 9999, &l),
                     NGC_STREAMING_REASON_NONE);
    assert_int_equal(l.key_len, NGC_LINE_MAX - tl);
    memset(s, 'k', NGC_LINE_MAX + 1 - tl);
    memcpy(s + NGC_LINE_MAX + 1 - tl, tail, tl);
    assert_int_equal(ngc_parse_google_line(NGC_FORMAT_V3, s, NGC_LINE_MAX + 1, 1, 9999, &l),
                     NGC_STREAMING_REASON_LONG);
    assert_int_equal(ngc_parse_google_line(NGC_FORMAT_V1, s, NGC_LINE_MAX + 1, 1, 9999, &l),
                     NGC_STREAMING_REASON_LONG);
    free(s);
}

/* --- ngc_parse_buffer: v1 and v3 ---------------------------------------- */

static void ngc_t_format(ngc_t_ctx_t *t, ngc_format_t f)
{
    t->cfg.format = f;
    ngc_parse_reset(&t->ps);
    assert_int_equal(t->ps.format, f);
}

static void test_buffer_v1(void **state)
{
    ngc_t_ctx_t *t = *state;
    ngc_t_format(t, NGC_FORMAT_V1);
    t->cfg.from_year = 1900;
    const char *buf = "a\t2000\t1\t100\t2\n"
                      "a\t2001\t3\t100\t4\n"
                      "b\t2000\t5\t100\t6\r\n"
                      "b\t2000\t7\t8\n"    /* a v2 line: malformed */
                      "c\t1899\t9\t9\t9\n" /* outside the years */
                      "a\t2002\t10\t1\t20\n";
    assert_int_equal(ngc_t_parse_s(t, buf), NGC_OK);
    ngc_t_expect(t->m, "a", 14, 26);
    ngc_t_expect(t->m, "b", 5, 6);
    ngc_t_absent(t->m, "c");
    assert_int_equal(ngc_combiner_count(t->m), 2);
    assert_int_equal(t->ps.lines, 6);
    assert_int_equal(t->ps.malformed, 1);
    assert_int_equal(t->ps.samples[0].line, 4);
    assert_int_equal(t->ps.samples[0].reason, NGC_STREAMING_REASON_FIELDS);
    assert_int_equal(t->ps.filtered, 1);
}

static void test_buffer_v3(void **state)
{
    ngc_t_ctx_t *t = *state;
    ngc_t_format(t, NGC_FORMAT_V3);
    t->cfg.from_year = 2000;
    t->cfg.to_year = 2001;
    const char *buf = "a\t1999,1,1\t2000,2,2\t2001,4,4\t2002,8,8\n" /* 2 in, 2 out */
                      "a\t2000,16,16\n"
                      "b\t1999,1,1\n"           /* no record in the years */
                      "c\t2000,1,1\t2001,x,1\n" /* one bad triple: all skipped */
                      "d\t2000,5,6\r\n"
                      "d\t2000,1,1,1\n" /* malformed */
                      "e\t2001,7,8\t2000,1,1\n";
    assert_int_equal(ngc_t_parse_s(t, buf), NGC_OK);
    ngc_t_expect(t->m, "a", 22, 22);
    ngc_t_expect(t->m, "d", 5, 6);
    ngc_t_expect(t->m, "e", 8, 9);
    ngc_t_absent(t->m, "b");
    ngc_t_absent(t->m, "c");
    assert_int_equal(ngc_combiner_count(t->m), 3);
    assert_int_equal(t->ps.lines, 7);
    assert_int_equal(t->ps.malformed, 2);
    assert_int_equal(t->ps.samples[0].line, 4);
    assert_int_equal(t->ps.samples[0].reason, NGC_STREAMING_REASON_NUMBER);
    assert_int_equal(t->ps.samples[1].line, 6);
    assert_int_equal(t->ps.samples[1].reason, NGC_STREAMING_REASON_TRIPLE);
    /* One per record outside the years: two of a's, b's one. */
    assert_int_equal(t->ps.filtered, 3);
}

static void test_buffer_v3_runs(void **state)
{
    ngc_t_ctx_t *t = *state;
    ngc_t_format(t, NGC_FORMAT_V3);
    t->cfg.from_year = 1900;
    t->cfg.to_year = 2100;
    assert_int_equal(ngc_t_parse_s(t, "x\t2000,1,1\nx\t2001,2,2\ny\t2000,4,4\nx\t2000,8,8\n"),
                     NGC_OK);
    ngc_t_expect(t->m, "x", 11, 11);
    ngc_t_expect(t->m, "y", 4, 4);
    assert_int_equal(t->ps.runs, 3); /* x x | y | x */
    /* A run continued in the next buffer, one that starts outside the
     * years, and a key that is a prefix of the next. */
    assert_int_equal(ngc_t_parse_s(t, "x\t2002,16,16\ng\t1800,5,5\ng\t2000,1,1\n"), NGC_OK);
    assert_int_equal(ngc_t_parse_s(t, "ab\t2000,1,1\nabc\t2000,2,2\nab\t2000,4,4\n"), NGC_OK);
    ngc_t_expect(t->m, "x", 27, 27);
    ngc_t_expect(t->m, "g", 1, 1);
    ngc_t_expect(t->m, "ab", 5, 5);
    ngc_t_expect(t->m, "abc", 2, 2);
    assert_int_equal(ngc_combiner_count(t->m), 5);
}

static void test_buffer_v3_overflow(void **state)
{
    ngc_t_ctx_t *t = *state;
    ngc_t_format(t, NGC_FORMAT_V3);
    /* Within one line. */
    assert_int_equal(ngc_t_parse_s(t, "a\t2000," NGC_T_MAX_S ",0\t2001,1,0\n"), NGC_ERROR);
    assert_int_equal(t->ps.fail, NGC_FAIL_OVERFLOW);
    assert_int_equal(t->ps.fail_line, 1);
    /* Across the lines of a run. */
    ngc_combiner_reset(t->m);
    ngc_parse_reset(&t->ps);
    assert_int_equal(ngc_t_parse_s(t, "b\t2000,1,1\nb\t2000," NGC_T_MAX_S ",0\n"), NGC_ERROR);
    assert_int_equal(t->ps.fail, NGC_FAIL_OVERFLOW);
    assert_int_equal(t->ps.fail_line, 2);
    /* Exactly 2^64-1, and a passing record outside the years: fine. */
    ngc_combiner_reset(t->m);
    ngc_parse_reset(&t->ps);
    t->cfg.from_year = 1900;
    assert_int_equal(ngc_t_parse_s(t, "c\t2000,18446744073709551614,1\t1800,9,9\n"
                                      "c\t2001,1,18446744073709551614\n"),
                     NGC_OK);
    ngc_t_expect(t->m, "c", NGC_T_MAX, NGC_T_MAX);
    /* --pos drops the ngram: its sums do not matter. */
    ngc_combiner_reset(t->m);
    ngc_parse_reset(&t->ps);
    t->cfg.pos = NGC_POS_DROP;
    assert_int_equal(ngc_t_parse_s(t, "a_NOUN\t2000," NGC_T_MAX_S ",1\t2001,1,1\n"
                                      "a_NOUN\t2002,1,1\nb\t2000,7,1\n"),
                     NGC_OK);
    ngc_t_expect(t->m, "b", 7, 1);
    assert_int_equal(ngc_combiner_count(t->m), 1);
}

static void test_buffer_v3_strict(void **state)
{
    ngc_t_ctx_t *t = *state;
    ngc_t_format(t, NGC_FORMAT_V3);
    t->cfg.strict = true;
    assert_int_equal(ngc_t_parse_s(t, "a\t2000,1,1\nb\t2000,1\nc\t2000,1,1\n"), NGC_ERROR);
    assert_int_equal(t->ps.fail, NGC_FAIL_MALFORMED);
    assert_int_equal(t->ps.fail_line, 2);
    assert_int_equal(t->ps.samples[0].reason, NGC_STREAMING_REASON_TRIPLE);
    ngc_t_absent(t->m, "c");
    ngc_combiner_reset(t->m);
    ngc_t_format(t, NGC_FORMAT_V1);
    assert_int_equal(ngc_t_parse_s(t, "a\t2000\t1\t1\t1\nb\t2000\t1\t1\n"), NGC_ERROR);
    assert_int_equal(t->ps.fail_line, 2);
    assert_int_equal(t->ps.samples[0].reason, NGC_STREAMING_REASON_FIELDS);
}

static void test_buffer_v1_v3_transform(void **state)
{
    ngc_t_ctx_t *t = *state;
    ngc_t_format(t, NGC_FORMAT_V3);
    t->cfg.fold_case = true;
    t->cfg.pos = NGC_POS_STRIP;
    assert_int_equal(ngc_t_parse_s(t, "The_DET\t2000,1,1\nthe_DET\t2000,2,2\t2001,4,4\n"
                                      "THE\t2000,1000,1000\n"
                                      "Stra\xc3\x9f"
                                      "e_NOUN\t2000,8,8\n"),
                     NGC_OK);
    ngc_t_expect(t->m, "the", 7, 7);
    ngc_t_expect(t->m, "strasse", 8, 8);
    assert_int_equal(ngc_combiner_count(t->m), 2);
    assert_int_equal(t->ps.dropped, 1);
    ngc_combiner_reset(t->m);
    ngc_t_format(t, NGC_FORMAT_V1);
    t->cfg.fold_case = false;
    t->cfg.pos = NGC_POS_DROP;
    assert_int_equal(ngc_t_parse_s(t, "dog_NOUN\t2000\t1\t1\t1\ndog\t2000\t2\t9\t2\n"
                                      "_START_ dog\t2000\t4\t4\t4\n"),
                     NGC_OK);
    ngc_t_expect(t->m, "dog", 2, 2);
    assert_int_equal(ngc_combiner_count(t->m), 1);
    assert_int_equal(t->ps.dropped, 2);
}

/*
 * Many v1 and v3 lines against sums built with the lines: runs of keys,
 * records in and out of the years, malformed lines of several kinds.
 */
static const uint64_t ngc_t_pow10[] = {
    1,        10,        100,        1000,        10000,        100000,       1000000,
    10000000, 100000000, 1000000000, 10000000000, 100000000000, 1000000000000};

static void ngc_t_records_reference(ngc_t_ctx_t *t, ngc_format_t f, uint32_t from, uint32_t to)
{
    ngc_t_format(t, f);
    t->cfg.from_year = from;
    t->cfg.to_year = to;
    enum { NKEYS = 40, NLINES = 12000 };
    uint64_t ref_m[NKEYS] = {0}, ref_v[NKEYS] = {0};
    bool seen[NKEYS] = {false};
    size_t cap = (size_t)NLINES * 200;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t n = 0;
    uint64_t x = 0x853c49e6748fea9bull;
    unsigned key = 0, malformed = 0, filtered = 0;
    for (int i = 0; i < NLINES; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (x % 3 == 0)
            key = (unsigned)(x >> 8) % NKEYS;
        n += (size_t)snprintf(buf + n, cap - n, "k%u", key);
        bool bad = (x >> 50) % 40 == 0;
        unsigned nrec = f == NGC_FORMAT_V3 ? 1 + (unsigned)(x >> 44) % 5 : 1;
        uint64_t lm = 0, lv = 0;
        unsigned lf = 0;
        bool in = false;
        uint64_t y = x;
        for (unsigned r = 0; r < nrec; r++) {
            y = y * 6364136223846793005ull + 1442695040888963407ull;
            /* Mostly 1700..2099; one in four of 1..999, whose shorter
             * field leaves a vector parse room for longer numbers. */
            unsigned year = (y >> 62) == 0 ? 1 + (unsigned)(y >> 33) % 999
                                           : 1700 + (unsigned)(y >> 33) % 400;
            /* 1 to 12 digits: both sides of the 8 a vector parse takes. */
            uint64_t m = (y >> 20) % ngc_t_pow10[1 + (y >> 4) % 12],
                     v = (y >> 8) % ngc_t_pow10[1 + (y >> 12) % 10];
            if (f == NGC_FORMAT_V3)
                n += (size_t)snprintf(buf + n, cap - n, "\t%u,%llu,%llu", year,
                                      (unsigned long long)m, (unsigned long long)v);
            else
                n += (size_t)snprintf(buf + n, cap - n, "\t%u\t%llu\t%u\t%llu", year,
                                      (unsigned long long)m, (unsigned)(y % 50),
                                      (unsigned long long)v);
            if (year >= from && year <= to) {
                lm += m;
                lv += v;
                in = true;
            } else {
                lf++;
            }
        }
        /* v3: a fourth number, an empty triple, a space, a short triple, a
         * year past 9999, a year 0; v1: a sixth field */
        static const char *const v3_bad[] = {",1",       "\t",          " ",
                                             "\t2000,1", "\t20001,1,1", "\t0000,5,5"};
        if (bad)
            n += (size_t)snprintf(buf + n, cap - n, "%s",
                                  f == NGC_FORMAT_V3 ? v3_bad[(x >> 40) % 6] : "\t1");
        if ((x >> 56) % 4 == 0)
            buf[n++] = '\r';
        buf[n++] = '\n';
        if (bad) {
            malformed++;
            continue;
        }
        filtered += lf;
        if (in) {
            ref_m[key] += lm;
            ref_v[key] += lv;
            seen[key] = true;
        }
    }
    assert_int_equal(ngc_t_parse(t, buf, n), NGC_OK);
    ngc_t_against(t, NLINES, malformed, filtered, NKEYS, ref_m, ref_v, seen);
    free(buf);
}

static void test_buffer_v1_reference(void **state)
{
    ngc_t_records_reference(*state, NGC_FORMAT_V1, 5, 2000);
}

static void test_buffer_v3_reference(void **state)
{
    ngc_t_records_reference(*state, NGC_FORMAT_V3, 5, 2000);
}

/* Every year in: the fast paths then only check that a year is not 0. */
static void test_buffer_v3_reference_all_years(void **state)
{
    ngc_t_records_reference(*state, NGC_FORMAT_V3, 1, 9999);
}

#define NGC_T(f) cmocka_unit_test_setup_teardown(f, ngc_t_setup, ngc_t_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_well_formed),
        cmocka_unit_test(test_line_fields),
        cmocka_unit_test(test_line_empty_ngram),
        cmocka_unit_test(test_line_number),
        cmocka_unit_test(test_line_empty_number),
        cmocka_unit_test(test_line_negative),
        cmocka_unit_test(test_line_count_range),
        cmocka_unit_test(test_line_year),
        cmocka_unit_test(test_line_leading_zeros),
        cmocka_unit_test(test_line_crlf),
        cmocka_unit_test(test_line_long),
        NGC_T(test_buffer_runs),
        NGC_T(test_buffer_volumes_unread),
        NGC_T(test_buffer_runs_across_buffers),
        NGC_T(test_buffer_zero_counts),
        NGC_T(test_buffer_years),
        NGC_T(test_buffer_single_year),
        NGC_T(test_buffer_run_filtered_out),
        NGC_T(test_buffer_malformed_samples),
        NGC_T(test_buffer_sample_lines_continue),
        NGC_T(test_buffer_long_line),
        NGC_T(test_buffer_crlf),
        NGC_T(test_buffer_strict),
        NGC_T(test_buffer_strict_ok),
        NGC_T(test_buffer_overflow_in_run),
        NGC_T(test_buffer_overflow_volume),
        NGC_T(test_buffer_overflow_across_runs),
        NGC_T(test_buffer_overflow_across_buffers),
        NGC_T(test_buffer_exactly_max),
        NGC_T(test_buffer_bytes_exact),
        NGC_T(test_pos_keep),
        NGC_T(test_regress_pos_dropped_run_overflow),
        NGC_T(test_pos_drop),
        NGC_T(test_pos_strip),
        NGC_T(test_fold_case),
        NGC_T(test_fold_case_off),
        NGC_T(test_fold_and_strip),
        NGC_T(test_buffer_agrees_with_line),
        NGC_T(test_buffer_reference),
        cmocka_unit_test(test_google_line_v1),
        cmocka_unit_test(test_google_line_v2),
        cmocka_unit_test(test_google_line_v3),
        cmocka_unit_test(test_google_line_long),
        NGC_T(test_buffer_v1),
        NGC_T(test_buffer_v3),
        NGC_T(test_buffer_v3_runs),
        NGC_T(test_buffer_v3_overflow),
        NGC_T(test_buffer_v3_strict),
        NGC_T(test_buffer_v1_v3_transform),
        NGC_T(test_buffer_v1_reference),
        NGC_T(test_buffer_v3_reference),
        NGC_T(test_buffer_v3_reference_all_years),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
