/*
 * test_output.c: the output (engine/reduce/output.c). Numbers, JSON strings (valid
 * UTF-8 kept, every other byte escaped), CSV quoting and the three row
 * layouts, checked against rows written out by hand; a line never outgrows
 * the room reserved for it; -o FILE appears only at the commit, and a run
 * freed before it leaves neither the file nor a temporary.
 */
#include "engine/base/ngc.h"
#include "engine/base/config.h"
#include "engine/reduce/output.h"
#include "engine/base/digits.h"

#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

/* Parses the options in args (NULL-ended); cfg borrows the strings, so
 * they are copied to storage that lives as long as the test. */
static void ngc_t_parse(ngc_config_t *cfg, const char *const *args)
{
    static char strs[64][256];
    static char *ptrs[64];
    static size_t used;
    int argc = 0;
    char **argv = ptrs + used;
    for (; args[argc] != NULL; argc++) {
        assert_true(used < NGC_NELEMS(strs) - 1 && strlen(args[argc]) < sizeof(strs[0]));
        snprintf(strs[used], sizeof(strs[used]), "%s", args[argc]);
        ptrs[used] = strs[used];
        used++;
    }
    ptrs[used++] = NULL;
    memset(cfg, 0, sizeof(*cfg));
    assert_int_equal(ngc_config_parse(cfg, argc, argv), NGC_CONFIG_RUN);
}
#define NGC_T_PARSE(cfg, ...) \
    ngc_t_parse(cfg, (const char *const[]){"ngram-count", __VA_ARGS__, NULL})

static void test_u64(void **state)
{
    (void)state;
    char buf[32];
    const struct {
        uint64_t v;
        const char *s;
    } cases[] = {{0, "0"},
                 {9, "9"},
                 {10, "10"},
                 {4294967296ull, "4294967296"},
                 {UINT64_MAX, "18446744073709551615"}};
    for (size_t i = 0; i < NGC_NELEMS(cases); i++) {
        size_t n = ngc_digits_u64(buf, cases[i].v);
        assert_int_equal(n, strlen(cases[i].s));
        assert_memory_equal(buf, cases[i].s, n);
    }
}

static void test_json_string(void **state)
{
    (void)state;
    const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
        {"a\"b\\c", 5, "\"a\\\"b\\\\c\""},
        {"\x01\t\x7f", 3, "\"\\u0001\\u0009\\u007f\""},
        {"caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},                       /* valid: kept */
        {"\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\""},             /* U+1F600 */
        {"\xff", 1, "\"\\u00ff\""},                                  /* never UTF-8 */
        {"\xc0\xaf", 2, "\"\\u00c0\\u00af\""},                       /* overlong */
        {"\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\""},            /* a surrogate */
        {"\xf4\x90\x80\x80", 4, "\"\\u00f4\\u0090\\u0080\\u0080\""}, /* past U+10FFFF */
        {"\xc3", 1, "\"\\u00c3\""},                                  /* cut short */
        {"a\0b", 3, "\"a\\u0000b\""},
    };
    char buf[64];
    for (size_t i = 0; i < NGC_NELEMS(cases); i++) {
        size_t n = ngc_output_json_string(buf, cases[i].in, cases[i].n);
        assert_true(n <= 6 * cases[i].n + 2);
        buf[n] = '\0';
        assert_string_equal(buf, cases[i].out);
    }
}

/* Formats one row of key with values "5" and "7" (or "5" alone). */
static const char *ngc_t_row(const ngc_line_format_t *lf, const char *key, size_t klen,
                             unsigned nvals)
{
    static char buf[512];
    const char *vals[] = {"5", "7"};
    const size_t lens[] = {1, 1};
    size_t n = ngc_output_row(lf, key, klen, vals, lens, nvals, buf);
    assert_true(n <= ngc_output_room(lf, klen));
    buf[n] = '\0';
    return buf;
}

static void test_rows(void **state)
{
    (void)state;
    ngc_config_t cfg;
    NGC_T_PARSE(&cfg, "--count", "both", "in.tsv");
    ngc_line_format_t lf;
    ngc_output_format_init(&lf, &cfg);
    char head[128];
    assert_int_equal(ngc_output_header(&lf, head), 0);
    assert_string_equal(ngc_t_row(&lf, "a b", 3, 2), "a b\t5\t7\n");

    NGC_T_PARSE(&cfg, "--count", "both", "--output-format", "csv", "--by-year", "in.tsv");
    ngc_output_format_init(&lf, &cfg);
    size_t n = ngc_output_header(&lf, head);
    head[n] = '\0';
    assert_string_equal(head, "ngram,year,match_count,volume_count\n");
    assert_string_equal(ngc_t_row(&lf, "a,b\t0850", 8, 2), "\"a,b\",850,5,7\n");
    assert_string_equal(ngc_t_row(&lf, "say \"hi\"\t1900", 13, 2), "\"say \"\"hi\"\"\",1900,5,7\n");
    assert_string_equal(ngc_t_row(&lf, "plain\t2000", 10, 2), "plain,2000,5,7\n");

    NGC_T_PARSE(&cfg, "--output-format", "jsonl", "--by-year", "in.tsv");
    ngc_output_format_init(&lf, &cfg);
    assert_int_equal(ngc_output_header(&lf, head), 0);
    assert_string_equal(ngc_t_row(&lf, "a\"b\t0001", 8, 1),
                        "{\"ngram\":\"a\\\"b\",\"year\":1,\"match_count\":5}\n");
}

static void test_room_holds_the_worst_key(void **state)
{
    (void)state;
    ngc_config_t cfg;
    NGC_T_PARSE(&cfg, "--output-format", "jsonl", "--count", "both", "in.tsv");
    ngc_line_format_t lf;
    ngc_output_format_init(&lf, &cfg);
    /* Every byte escaped as \u00XX: the most a key can grow. */
    size_t klen = 4096;
    char *key = malloc(klen);
    assert_non_null(key);
    memset(key, 0xff, klen);
    size_t room = ngc_output_room(&lf, klen);
    char *buf = malloc(room);
    assert_non_null(buf);
    const char *vals[] = {"18446744073709551615", "18446744073709551615"};
    const size_t lens[] = {20, 20};
    assert_true(ngc_output_row(&lf, key, klen, vals, lens, 2, buf) <= room);
    free(buf);
    free(key);
}

/* Entries of dir other than . and .. */
static unsigned ngc_t_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    unsigned n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void test_file_appears_at_the_commit(void **state)
{
    (void)state;
    char dir[] = "/tmp/ngc-test-output.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/out.tsv", dir);
    ngc_config_t cfg;
    NGC_T_PARSE(&cfg, "-o", path, "in.tsv");
    volatile sig_atomic_t stop = 0;
    struct stat st;

    ngc_output_t *out = ngc_output_open(&cfg, &stop);
    assert_non_null(out);
    assert_int_equal(ngc_output_put(out, "a\t2\nb\t1\n", 8, 2), NGC_OK);
    assert_int_equal(stat(path, &st), -1); /* only the temporary so far */
    assert_int_equal(ngc_output_commit(out), NGC_OK);
    assert_int_equal(ngc_output_lines(out), 2);
    ngc_output_free(out);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char got[16] = {0};
    assert_int_equal(fread(got, 1, sizeof(got), f), 8);
    fclose(f);
    assert_string_equal(got, "a\t2\nb\t1\n");
    assert_int_equal(ngc_t_entries(dir), 1);

    /* A run that ends before its commit leaves the old file as it was and
     * no temporary. */
    out = ngc_output_open(&cfg, &stop);
    assert_non_null(out);
    assert_int_equal(ngc_output_put(out, "c\t9\n", 4, 1), NGC_OK);
    ngc_output_free(out);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 8);
    assert_int_equal(ngc_t_entries(dir), 1);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64),
        cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_room_holds_the_worst_key),
        cmocka_unit_test(test_file_appears_at_the_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
