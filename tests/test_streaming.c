/*
 * test_streaming.c: the reducer's line grammar (workers/streaming.h):
 * ngc_streaming_reduce_line's verdict on well-formed and malformed
 * "key TAB count" and "key TAB match TAB volume" lines, counts at the edge
 * of 2^64-1, keys of any bytes but TAB and LF, and the reducer's wording of
 * each reason. Expected values are written out by hand.
 */
#include "engine/ngc.h"
#include "workers/reader.h"
#include "workers/streaming.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#define NGC_T_MAX_S "18446744073709551615"

static ngc_reason_t ngc_t_line(const char *s, size_t len, bool two, size_t *key_len,
                               uint64_t *a, uint64_t *b)
{
    *key_len = 12345;
    *a = *b = 777;
    return ngc_streaming_reduce_line(s, len, two, key_len, a, b);
}

static void ngc_t_bad(const char *s, bool two, ngc_reason_t want)
{
    size_t kl;
    uint64_t a, b;
    ngc_reason_t got = ngc_t_line(s, strlen(s), two, &kl, &a, &b);
    if (got != want)
        fail_msg("line \"%s\" (two %d): reason %d, expected %d", s, two, got, want);
}

static void ngc_t_good(const char *s, size_t len, bool two, size_t key_len, uint64_t a,
                       uint64_t b)
{
    size_t kl;
    uint64_t ga, gb;
    ngc_reason_t got = ngc_t_line(s, len, two, &kl, &ga, &gb);
    if (got != NGC_REASON_NONE)
        fail_msg("line \"%s\" (two %d): reason %d, expected none", s, two, got);
    assert_int_equal(kl, key_len);
    assert_true(ga == a);
    assert_true(gb == b);
}

static void test_one_count(void **state)
{
    (void)state;
    ngc_t_good("the\t42", 6, false, 3, 42, 0);
    ngc_t_good("of the\t0", 8, false, 6, 0, 0);
    ngc_t_good("x\t007", 5, false, 1, 7, 0);
    ngc_t_good("x\t12\r", 5, false, 1, 12, 0);
    /* A key holds any byte but TAB and LF: spaces, CR, UTF-8, control bytes. */
    ngc_t_good("caf\xc3\xa9 \r \x01_NOUN\t5", 16, false, 14, 5, 0);
}

static void test_two_counts(void **state)
{
    (void)state;
    ngc_t_good("the\t42\t7", 8, true, 3, 42, 7);
    ngc_t_good("a b\t0\t0\r", 8, true, 3, 0, 0);
    ngc_t_bad("the\t42", true, NGC_REASON_FIELDS);
    ngc_t_bad("the\t42\t7", false, NGC_REASON_FIELDS);
    ngc_t_bad("the\t42\t7\t1", true, NGC_REASON_FIELDS);
    ngc_t_bad("the\t42\t", true, NGC_REASON_NUMBER);
    ngc_t_bad("the\t\t7", true, NGC_REASON_NUMBER);
    ngc_t_bad("the\t4\t-7", true, NGC_REASON_NEGATIVE);
    ngc_t_bad("the\t4\t" NGC_T_MAX_S "0", true, NGC_REASON_RANGE);
}

static void test_malformed(void **state)
{
    (void)state;
    ngc_t_bad("", false, NGC_REASON_FIELDS);
    ngc_t_bad("no tab here", false, NGC_REASON_FIELDS);
    ngc_t_bad("a\t1\t2", false, NGC_REASON_FIELDS);
    ngc_t_bad("\t5", false, NGC_REASON_EMPTY_NGRAM);
    ngc_t_bad("a\t", false, NGC_REASON_NUMBER);
    ngc_t_bad("a\t\r", false, NGC_REASON_NUMBER);
    ngc_t_bad("a\t 5", false, NGC_REASON_NUMBER);
    ngc_t_bad("a\t5 ", false, NGC_REASON_NUMBER);
    ngc_t_bad("a\t+5", false, NGC_REASON_NUMBER);
    ngc_t_bad("a\t5x", false, NGC_REASON_NUMBER);
    ngc_t_bad("a\t-", false, NGC_REASON_NUMBER);
    ngc_t_bad("a\t-5", false, NGC_REASON_NEGATIVE);
    ngc_t_bad("a\t1.5", false, NGC_REASON_NUMBER);
    ngc_t_bad("a\t5\r\r", false, NGC_REASON_NUMBER);
}

static void test_count_range(void **state)
{
    (void)state;
    const char *max = "k\t" NGC_T_MAX_S;
    ngc_t_good(max, strlen(max), false, 1, UINT64_MAX, 0);
    const char *zeros = "k\t000000000000000000000000000001";
    ngc_t_good(zeros, strlen(zeros), false, 1, 1, 0);
    ngc_t_bad("k\t18446744073709551616", false, NGC_REASON_RANGE);
    ngc_t_bad("k\t99999999999999999999", false, NGC_REASON_RANGE);
    ngc_t_bad("k\t100000000000000000000", false, NGC_REASON_RANGE);
}

static void test_long_line(void **state)
{
    (void)state;
    /* The reader hands over a line that does not fit its buffer cut to
     * NGC_BUF_CAP bytes: the longest whole line is one byte shorter. */
    char *s = malloc(NGC_BUF_CAP);
    assert_non_null(s);
    memset(s, 'k', NGC_BUF_CAP);
    memcpy(s + NGC_BUF_CAP - 3, "\t42", 3);
    size_t kl;
    uint64_t a, b;
    assert_int_equal(ngc_t_line(s, NGC_BUF_CAP, false, &kl, &a, &b), NGC_REASON_LONG);
    memcpy(s + NGC_BUF_CAP - 4, "\t42", 3);
    assert_int_equal(ngc_t_line(s, NGC_BUF_CAP - 1, false, &kl, &a, &b), NGC_REASON_NONE);
    assert_int_equal(kl, NGC_BUF_CAP - 4);
    assert_true(a == 42);
    free(s);
}

static void test_reason_text(void **state)
{
    (void)state;
    assert_string_equal(ngc_streaming_reason_text(NGC_REASON_FIELDS, false),
                        "not 'key TAB count'");
    assert_string_equal(ngc_streaming_reason_text(NGC_REASON_FIELDS, true),
                        "not 'key TAB match TAB volume'");
    assert_string_equal(ngc_streaming_reason_text(NGC_REASON_EMPTY_NGRAM, false), "empty key");
    assert_string_equal(ngc_streaming_reason_text(NGC_REASON_RANGE, false),
                        "count larger than 2^64-1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_count),
        cmocka_unit_test(test_two_counts),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_count_range),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_reason_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
