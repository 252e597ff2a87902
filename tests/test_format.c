/*
 * test_format.c: --format auto (workers/format.h): each line of a file's
 * head votes v1, v2, v3 or none, and the Google layout most lines follow
 * wins; a line cut by the head's end does not vote unless the head is the
 * whole input. Expected answers come from the spec (issue 6).
 */
#include "engine/base/ngc.h"
#include "workers/format.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

static ngc_format_t ngc_t_detect(const char *head, bool whole)
{
    return ngc_format_detect(head, strlen(head), whole);
}

/* The same answer whether or not the head is the whole input (it ends in
 * a newline, so no line is cut). */
static void ngc_t_both(const char *head, ngc_format_t want)
{
    ngc_format_t a = ngc_t_detect(head, false), b = ngc_t_detect(head, true);
    if (a != want || b != want)
        fail_msg("head \"%s\": %s/%s, expected %s", head, ngc_format_name(a), ngc_format_name(b),
                 ngc_format_name(want));
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(ngc_format_name(NGC_FORMAT_AUTO), "auto");
    assert_string_equal(ngc_format_name(NGC_FORMAT_V1), "v1");
    assert_string_equal(ngc_format_name(NGC_FORMAT_V2), "v2");
    assert_string_equal(ngc_format_name(NGC_FORMAT_V3), "v3");
    assert_string_equal(ngc_format_name(NGC_FORMAT_TEXT), "text");
    assert_non_null(ngc_format_name(NGC_FORMAT_MAX));
}

static void test_each_layout(void **state)
{
    (void)state;
    /* v1: ngram year match pages volume. */
    ngc_t_both("circumvallate\t1978\t313\t215\t85\n", NGC_FORMAT_V1);
    ngc_t_both("a b c\t2000\t1\t1\t1\nd\t1999\t0\t0\t0\n", NGC_FORMAT_V1);
    /* v2: ngram year match volume. */
    ngc_t_both("circumvallate\t1978\t335\t91\n", NGC_FORMAT_V2);
    ngc_t_both("the cat\t2000\t12\t7\nthe dog\t2001\t1\t1\n", NGC_FORMAT_V2);
    /* v3: ngram, then one or more year,match,volume triples. */
    ngc_t_both("Breakfast\t1788,1,1\t1800,3,2\t2019,1234,567\n", NGC_FORMAT_V3);
    ngc_t_both("one\t2000,5,3\n", NGC_FORMAT_V3);
    ngc_t_both("caf\xc3\xa9 na\xc3\xafve_NOUN\t1999,1,1\t2000,2,2\n", NGC_FORMAT_V3);
}

static void test_crlf(void **state)
{
    (void)state;
    ngc_t_both("a\t2000\t1\t2\r\nb\t2000\t3\t4\r\n", NGC_FORMAT_V2);
    ngc_t_both("a\t2000\t1\t2\t3\r\n", NGC_FORMAT_V1);
    ngc_t_both("a\t2000,1,2\t2001,3,4\r\n", NGC_FORMAT_V3);
    /* The last line of a whole input, without LF but with CR. */
    assert_int_equal(ngc_t_detect("a\t2000,1,2\r", true), NGC_FORMAT_V3);
}

static void test_majority(void **state)
{
    (void)state;
    /* Malformed lines of any kind vote for nothing: the layout of most of
     * the well-formed lines wins, even when the first line is bad. */
    ngc_t_both("header line\n"
               "a\t2000\t1\t1\n"
               "b\t2000\t1\n"
               "c\t2000\t1\t1\n"
               "d\t2000,1,1\n"
               "\n"
               "e\t2000\tx\t1\n"
               "f\t2000\t2\t2\n",
               NGC_FORMAT_V2);
    ngc_t_both("a\t2000\t1\t1\n"
               "x\t1999,1,1\t2000,2,2\n"
               "y\t1999,1,1\n"
               "z\t1,2,3\t4,5,6\t7,8,9\n",
               NGC_FORMAT_V3);
    ngc_t_both("garbage\n"
               "more garbage\n"
               "and more\n"
               "x\t2000\t1\t2\t3\n",
               NGC_FORMAT_V1);
    ngc_t_both("v1\t2000\t1\t1\t1\n"
               "v1\t2001\t1\t1\t1\n"
               "v2\t2000\t1\t1\n"
               "v3\t2000,1,1\n"
               "v1\t2002\t1\t1\t1\n"
               "v2\t2000\t1\t1\n",
               NGC_FORMAT_V1);
}

static void test_not_google(void **state)
{
    (void)state;
    /* Prose, TAB-separated words, empty input, blank lines: undecided. */
    ngc_t_both("", NGC_FORMAT_AUTO);
    ngc_t_both("\n\n\n", NGC_FORMAT_AUTO);
    ngc_t_both("It was the best of times, it was the worst of times.\n"
               "It was the age of wisdom.\n",
               NGC_FORMAT_AUTO);
    ngc_t_both("name\tage\tcity\nbob\t42\tparis\n", NGC_FORMAT_AUTO);
    ngc_t_both("a\t2000\t1\t1\t1\t1\n", NGC_FORMAT_AUTO); /* 6 fields */
    ngc_t_both("a\t2000\t1\n", NGC_FORMAT_AUTO);          /* 3 fields */
    ngc_t_both("\t2000\t1\t1\n", NGC_FORMAT_AUTO);        /* no ngram */
    ngc_t_both("a\t2000\t-1\t1\n", NGC_FORMAT_AUTO);      /* a sign */
    ngc_t_both("a\t2000\t1.5\t1\n", NGC_FORMAT_AUTO);
    ngc_t_both("a\t2000\t\t1\n", NGC_FORMAT_AUTO);        /* an empty number */
    ngc_t_both("a\t2000,1\n", NGC_FORMAT_AUTO);           /* a pair */
    ngc_t_both("a\t2000,1,1,1\n", NGC_FORMAT_AUTO);       /* four numbers */
    ngc_t_both("a\t2000,1,1\t2001,1\n", NGC_FORMAT_AUTO); /* one bad triple */
    ngc_t_both("a\t2000,,1\n", NGC_FORMAT_AUTO);
    ngc_t_both("a\t2000,1,1\t\n", NGC_FORMAT_AUTO); /* an empty field */
    ngc_t_both("a\t\n", NGC_FORMAT_AUTO);
    ngc_t_both("a 2000 1 1\n", NGC_FORMAT_AUTO); /* spaces, not TABs */
}

static void test_cut_last_line(void **state)
{
    (void)state;
    /* A head without LF: its only line is cut, unless it is all the
     * input, when it is a whole last line. */
    assert_int_equal(ngc_t_detect("a\t2000,1,1", false), NGC_FORMAT_AUTO);
    assert_int_equal(ngc_t_detect("a\t2000,1,1", true), NGC_FORMAT_V3);
    assert_int_equal(ngc_t_detect("a\t2000\t1\t1", true), NGC_FORMAT_V2);
    assert_int_equal(ngc_t_detect("a\t2000\t1\t1\t1", true), NGC_FORMAT_V1);
    assert_int_equal(ngc_t_detect("junk\na\t2000,1,1", false), NGC_FORMAT_AUTO);
    assert_int_equal(ngc_t_detect("junk\na\t2000,1,1", true), NGC_FORMAT_V3);
    /* A v1 line cut after its match count looks like v2: it must not
     * vote when more of the file follows. */
    assert_int_equal(ngc_t_detect("w\t2000\t1\t2\t3\nx\t2000\t1\t2", false), NGC_FORMAT_V1);
    assert_int_equal(ngc_t_detect("w\t2000\t1\t2\t3\nx\t2000\t1\t2\t3\ny\t2000\t1\t2", false),
                     NGC_FORMAT_V1);
    assert_int_equal(ngc_t_detect("w\t2000\t1\t2\t3\nx\t2000\t1\t2\t3\ny\t2000\t1\t2", true),
                     NGC_FORMAT_V1);
}

static void test_first_line_longer_than_head(void **state)
{
    (void)state;
    /* A 64 KiB head holding part of one long v2 line: nothing to decide
     * from, unless it is the whole input. */
    size_t len = NGC_FORMAT_HEAD;
    char *head = malloc(len);
    assert_non_null(head);
    memset(head, 'k', len);
    const char tail[] = "\t2000\t1\t1";
    memcpy(head + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
    assert_int_equal(ngc_format_detect(head, len, false), NGC_FORMAT_AUTO);
    assert_int_equal(ngc_format_detect(head, len, true), NGC_FORMAT_V2);
    /* A long first line that ends inside the head, then good lines. */
    memset(head, 'k', len);
    head[len / 2] = '\n';
    size_t n = len / 2 + 1;
    for (int i = 0; i < 3; i++) {
        memcpy(head + n, "v\t1,2,3\n", 8);
        n += 8;
    }
    assert_int_equal(ngc_format_detect(head, n, false), NGC_FORMAT_V3);
    assert_int_equal(ngc_format_detect(head, len, false), NGC_FORMAT_V3);
    free(head);
}

static void test_many_lines(void **state)
{
    (void)state;
    /* A full 64 KiB head of v3 lines with every tenth malformed, cut in
     * the middle of a line. */
    size_t len = NGC_FORMAT_HEAD;
    char *head = malloc(len + 64);
    assert_non_null(head);
    size_t n = 0;
    for (unsigned i = 0; n < len; i++) {
        if (i % 10 == 3)
            n += (size_t)snprintf(head + n, len + 64 - n, "bad line %u\n", i);
        else
            n += (size_t)snprintf(head + n, len + 64 - n, "w%u\t1999,1,%u\t2000,2,2\n", i, i);
    }
    assert_int_equal(ngc_format_detect(head, len, false), NGC_FORMAT_V3);
    free(head);
}

/* Containers are told by their first bytes, and only by a whole magic. */
static void test_packs(void **state)
{
    (void)state;
    static const struct {
        const char *head;
        size_t len;
        ngc_pack_t want;
    } cases[] = {
        {"\x1f\x8b\x08", 3, NGC_PACK_GZIP},
        {"PK\x03\x04\x14\x00", 6, NGC_PACK_ZIP},
        {"PK\x05\x06", 4, NGC_PACK_NONE}, /* an empty zip: nothing to read */
        {"BZh91AY", 7, NGC_PACK_BZIP2},
        {"\xfd"
         "7zXZ\0\0",
         7, NGC_PACK_XZ},
        {"\xfd"
         "7zXZ",
         5, NGC_PACK_NONE}, /* cut short */
        {"\x28\xb5\x2f\xfd\x00", 5, NGC_PACK_ZSTD},
        {"the\t1999\t1\t1\n", 15, NGC_PACK_NONE},
        {"BZ", 2, NGC_PACK_NONE},
        {"", 0, NGC_PACK_NONE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(ngc_format_pack((const unsigned char *)cases[i].head, cases[i].len),
                         cases[i].want);
    assert_string_equal(ngc_format_pack_name(NGC_PACK_ZSTD), "zstd");
    assert_true(ngc_format_url("https://storage.googleapis.com/x.gz"));
    assert_true(ngc_format_url("HTTP://h/x"));
    assert_false(ngc_format_url("ftp://h/x"));
    assert_false(ngc_format_url("http:/x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_each_layout),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_majority),
        cmocka_unit_test(test_not_google),
        cmocka_unit_test(test_cut_last_line),
        cmocka_unit_test(test_first_line_longer_than_head),
        cmocka_unit_test(test_many_lines),
        cmocka_unit_test(test_packs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
