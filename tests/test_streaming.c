/*
 * test_streaming.c: the reducer's line grammar (engine/main/streaming.h):
 * ngc_streaming_reduce_line's verdict on well-formed and malformed
 * "key TAB count" and "key TAB match TAB volume" lines, counts at the edge
 * of 2^64-1, keys of any bytes but TAB and LF, and the reducer's wording of
 * each reason. Expected values are written out by hand.
 */
#include "engine/base/ngc.h"
#include "workers/reader.h"
#include "engine/main/streaming.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#define NGC_T_MAX_S "18446744073709551615"

static ngc_streaming_reason_t ngc_t_line(const char *s, size_t len, bool two, size_t *key_len,
                                         uint64_t *a, uint64_t *b)
{
    *key_len = 12345;
    *a = *b = 777;
    return ngc_streaming_reduce_line(s, len, two, key_len, a, b);
}

static void ngc_t_bad(const char *s, bool two, ngc_streaming_reason_t want)
{
    size_t kl;
    uint64_t a, b;
    ngc_streaming_reason_t got = ngc_t_line(s, strlen(s), two, &kl, &a, &b);
    if (got != want)
        fail_msg("line \"%s\" (two %d): reason %d, expected %d", s, two, got, want);
}

static void ngc_t_good(const char *s, size_t len, bool two, size_t key_len, uint64_t a, uint64_t b)
{
    size_t kl;
    uint64_t ga, gb;
    ngc_streaming_reason_t got = ngc_t_line(s, len, two, &kl, &ga, &gb);
    if (got != NGC_STREAMING_REASON_NONE)
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
    ngc_t_bad("the\t42", true, NGC_STREAMING_REASON_FIELDS);
    ngc_t_bad("the\t42\t7", false, NGC_STREAMING_REASON_FIELDS);
    ngc_t_bad("the\t42\t7\t1", true, NGC_STREAMING_REASON_FIELDS);
    ngc_t_bad("the\t42\t", true, NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("the\t\t7", true, NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("the\t4\t-7", true, NGC_STREAMING_REASON_NEGATIVE);
    ngc_t_bad("the\t4\t" NGC_T_MAX_S "0", true, NGC_STREAMING_REASON_RANGE);
}

static void test_malformed(void **state)
{
    (void)state;
    ngc_t_bad("", false, NGC_STREAMING_REASON_FIELDS);
    ngc_t_bad("no tab here", false, NGC_STREAMING_REASON_FIELDS);
    ngc_t_bad("a\t1\t2", false, NGC_STREAMING_REASON_FIELDS);
    ngc_t_bad("\t5", false, NGC_STREAMING_REASON_EMPTY_NGRAM);
    ngc_t_bad("a\t", false, NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t\r", false, NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t 5", false, NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t5 ", false, NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t+5", false, NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t5x", false, NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t-", false, NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t-5", false, NGC_STREAMING_REASON_NEGATIVE);
    ngc_t_bad("a\t1.5", false, NGC_STREAMING_REASON_NUMBER);
    ngc_t_bad("a\t5\r\r", false, NGC_STREAMING_REASON_NUMBER);
}

static void test_count_range(void **state)
{
    (void)state;
    const char *max = "k\t" NGC_T_MAX_S;
    ngc_t_good(max, strlen(max), false, 1, UINT64_MAX, 0);
    const char *zeros = "k\t000000000000000000000000000001";
    ngc_t_good(zeros, strlen(zeros), false, 1, 1, 0);
    ngc_t_bad("k\t18446744073709551616", false, NGC_STREAMING_REASON_RANGE);
    ngc_t_bad("k\t99999999999999999999", false, NGC_STREAMING_REASON_RANGE);
    ngc_t_bad("k\t100000000000000000000", false, NGC_STREAMING_REASON_RANGE);
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
    assert_int_equal(ngc_t_line(s, NGC_BUF_CAP, false, &kl, &a, &b), NGC_STREAMING_REASON_LONG);
    memcpy(s + NGC_BUF_CAP - 4, "\t42", 3);
    assert_int_equal(ngc_t_line(s, NGC_BUF_CAP - 1, false, &kl, &a, &b), NGC_STREAMING_REASON_NONE);
    assert_int_equal(kl, NGC_BUF_CAP - 4);
    assert_true(a == 42);
    free(s);
}

static void test_reason_text(void **state)
{
    (void)state;
    assert_string_equal(ngc_streaming_reason_text(NGC_STREAMING_REASON_FIELDS, false),
                        "not 'key TAB count'");
    assert_string_equal(ngc_streaming_reason_text(NGC_STREAMING_REASON_FIELDS, true),
                        "not 'key TAB match TAB volume'");
    assert_string_equal(ngc_streaming_reason_text(NGC_STREAMING_REASON_EMPTY_NGRAM, false),
                        "empty key");
    assert_string_equal(ngc_streaming_reason_text(NGC_STREAMING_REASON_RANGE, false),
                        "count larger than 2^64-1");
}

/* --- the reducer on standard input ------------------------------------- */

/*
 * Runs --reduce (with strict) on `in` as standard input; returns its exit
 * status, with what it wrote to standard output and standard error in out
 * and err (cut to cap bytes).
 */
static int ngc_t_reduce(const char *in, bool strict, char *out, char *err, size_t cap)
{
    char path[3][32];
    int fd[3], saved[3];
    for (int i = 0; i < 3; i++) {
        snprintf(path[i], sizeof(path[i]), "/tmp/ngc-test-stream-XXXXXX");
        fd[i] = mkstemp(path[i]);
        assert_true(fd[i] >= 0);
        unlink(path[i]);
    }
    assert_true(write(fd[0], in, strlen(in)) == (ssize_t)strlen(in));
    assert_true(lseek(fd[0], 0, SEEK_SET) == 0);
    fflush(stdout);
    fflush(stderr);
    for (int i = 0; i < 3; i++) {
        saved[i] = dup(i);
        assert_true(saved[i] >= 0 && dup2(fd[i], i) == i);
    }
    ngc_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.stream = NGC_STREAM_REDUCE;
    cfg.count = NGC_COUNT_MATCH;
    cfg.from_year = 1;
    cfg.to_year = 9999;
    cfg.strict = strict;
    cfg.progress = NGC_PROGRESS_OFF;
    int rc = ngc_streaming_main(&cfg);
    for (int i = 0; i < 3; i++) {
        dup2(saved[i], i);
        close(saved[i]);
    }
    char *bufs[3] = {NULL, out, err};
    for (int i = 1; i < 3; i++) {
        ssize_t n = pread(fd[i], bufs[i], cap - 1, 0);
        bufs[i][n > 0 ? n : 0] = '\0';
    }
    for (int i = 0; i < 3; i++)
        close(fd[i]);
    return rc;
}

/*
 * --strict makes unsorted input fatal, as it does a malformed line: a key
 * after a greater one would have its total split in two. It was only
 * counted and warned about, with exit 0 and the key printed twice.
 */
static void test_regress_reduce_strict_unsorted(void **state)
{
    (void)state;
    char out[4096], err[4096];
    assert_int_equal(ngc_t_reduce("b\t1\na\t1\nb\t1\n", false, out, err, sizeof(out)), 0);
    assert_string_equal(out, "b\t1\na\t1\nb\t1\n");
    assert_non_null(strstr(err, "not sorted by key"));
    assert_int_equal(ngc_t_reduce("b\t1\na\t1\nb\t1\n", true, out, err, sizeof(out)), 1);
    if (strstr(err, "standard input:2: key 'a' comes after 'b'") == NULL)
        fail_msg("message: %s", err);
    /* A key that is a prefix of the one before it is smaller too. */
    assert_int_equal(ngc_t_reduce("ab\t1\na\t2\n", true, out, err, sizeof(out)), 1);
    assert_non_null(strstr(err, "standard input:2: key 'a' comes after 'ab'"));
    /* Sorted input passes, equal keys summed. */
    assert_int_equal(ngc_t_reduce("a\t1\na\t2\nab\t1\nb\t4\n", true, out, err, sizeof(out)), 0);
    assert_string_equal(out, "a\t3\nab\t1\nb\t4\n");
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
        cmocka_unit_test(test_regress_reduce_strict_unsorted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
