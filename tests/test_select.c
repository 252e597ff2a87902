/*
 * test_select.c: the --select matcher (workers/select.h): exact entries,
 * "*" tokens, token counts, entries prepared under --pos strip and
 * --fold-case, duplicates, long keys; and through ngc_parse_buffer, that
 * lines of other ngrams are skipped (counted as lines, never malformed)
 * while selected ones are counted, with and without --by-year, whose runs
 * never merge two years.
 */
#include "engine/base/ngc.h"
#include "workers/select.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "combiner_fixture.h"

static char *ngc_t_entries[16];

static void ngc_t_cfg(ngc_config_t *cfg, const char *const *entries)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->from_year = 1;
    cfg->to_year = 9999;
    cfg->count = NGC_COUNT_MATCH;
    cfg->pos = NGC_POS_KEEP;
    cfg->format = NGC_FORMAT_V2;
    size_t n = 0;
    while (entries[n] != NULL) {
        ngc_t_entries[n] = (char *)entries[n];
        n++;
    }
    ngc_t_entries[n] = NULL;
    cfg->selects = ngc_t_entries;
    cfg->nselects = n;
}

static bool ngc_t_match(const ngc_select_t *s, const char *k)
{
    return ngc_select_match(s, k, strlen(k));
}

static void test_exact(void **state)
{
    (void)state;
    ngc_config_t cfg;
    ngc_t_cfg(&cfg, (const char *const[]){"Sherlock Holmes", "Frankenstein", "a", "a", NULL});
    ngc_select_t *s = ngc_select_new(&cfg);
    assert_non_null(s);
    assert_int_equal(ngc_select_count(s), 3); /* "a" twice is one entry */
    assert_true(ngc_t_match(s, "Sherlock Holmes"));
    assert_true(ngc_t_match(s, "Frankenstein"));
    assert_true(ngc_t_match(s, "a"));
    assert_false(ngc_t_match(s, "Sherlock"));
    assert_false(ngc_t_match(s, "Sherlock Holmes "));
    assert_false(ngc_t_match(s, "sherlock holmes")); /* no --fold-case */
    assert_false(ngc_t_match(s, "Frankensteim"));    /* same length, same first byte */
    assert_false(ngc_t_match(s, "b"));
    assert_false(ngc_select_match(s, "", 0));
    /* Bytes past len are not part of the key. */
    assert_true(ngc_select_match(s, "ab", 1));
    ngc_select_free(s);
}

static void test_wildcards(void **state)
{
    (void)state;
    ngc_config_t cfg;
    ngc_t_cfg(&cfg, (const char *const[]){"University of *", "* Holmes", "x*", NULL});
    ngc_select_t *s = ngc_select_new(&cfg);
    assert_non_null(s);
    assert_true(ngc_t_match(s, "University of Oxford"));
    assert_true(ngc_t_match(s, "University of *"));
    assert_true(ngc_t_match(s, "Sherlock Holmes"));
    assert_true(ngc_t_match(s, "Mycroft Holmes"));
    /* One token for each "*", no more, no fewer. */
    assert_false(ngc_t_match(s, "University of"));
    assert_false(ngc_t_match(s, "University of New York"));
    assert_false(ngc_t_match(s, "Holmes"));
    assert_false(ngc_t_match(s, "Sherlock Holmes said"));
    assert_false(ngc_t_match(s, "Universities of Oxford"));
    /* "*" inside a token is a literal star. */
    assert_true(ngc_t_match(s, "x*"));
    assert_false(ngc_t_match(s, "xy"));
    ngc_select_free(s);
}

static void test_prepared(void **state)
{
    (void)state;
    ngc_config_t cfg;
    ngc_t_cfg(&cfg, (const char *const[]){"For_ADP EVER", "Straße", "_NOUN_ *", NULL});
    cfg.pos = NGC_POS_STRIP;
    cfg.fold_case = true;
    ngc_select_t *s = ngc_select_new(&cfg);
    assert_non_null(s);
    /* Keys arrive stripped and folded; so were the entries. */
    assert_true(ngc_t_match(s, "for ever"));
    assert_false(ngc_t_match(s, "For ever"));
    assert_false(ngc_t_match(s, "for_adp ever"));
    assert_true(ngc_t_match(s, "strasse"));
    /* A tag-only token stays (such keys are dropped by --pos strip). */
    assert_true(ngc_t_match(s, "_noun_ x"));
    ngc_select_free(s);

    ngc_t_cfg(&cfg, (const char *const[]){"For_ADP EVER", NULL});
    ngc_select_t *k = ngc_select_new(&cfg);
    assert_non_null(k);
    assert_true(ngc_t_match(k, "For_ADP EVER"));
    assert_false(ngc_t_match(k, "For EVER"));
    ngc_select_free(k);
}

static void test_long(void **state)
{
    (void)state;
    size_t n = 3000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'q', n);
    big[n] = '\0';
    ngc_config_t cfg;
    ngc_t_cfg(&cfg, (const char *const[]){big, NULL});
    ngc_select_t *s = ngc_select_new(&cfg);
    assert_non_null(s);
    assert_true(ngc_select_match(s, big, n));
    assert_false(ngc_select_match(s, big, n - 1));
    big[n - 1] = 'r';
    assert_false(ngc_select_match(s, big, n));
    ngc_select_free(s);
    free(big);
}

/* --- through the parser ------------------------------------------------ */

static const char *const *ngc_t_sel;
static bool ngc_t_by_year;
static ngc_format_t ngc_t_format = NGC_FORMAT_V2;

static void ngc_t_fill(ngc_config_t *cfg)
{
    ngc_t_cfg(cfg, ngc_t_sel);
    cfg->by_year = ngc_t_by_year;
    cfg->format = ngc_t_format;
}

/* The table's match total of key, or -1 when absent. */
static long long ngc_t_get(ngc_t_ctx_t *t, const char *key)
{
    size_t start[NGC_COUNTERS_PARTS + 1];
    size_t n = ngc_combiner_count(t->m);
    const ngc_kv_t *kv = ngc_combiner_partitioned(t->m, start);
    for (size_t i = 0; i < n; i++)
        if (kv[i].len == strlen(key) && memcmp(kv[i].key, key, kv[i].len) == 0)
            return (long long)kv[i].match;
    return -1;
}

static ngc_t_ctx_t *ngc_t_run(const char *const *sel, bool by_year, ngc_format_t f,
                              const char *data)
{
    ngc_t_sel = sel;
    ngc_t_by_year = by_year;
    ngc_t_format = f;
    void *state = NULL;
    assert_int_equal(ngc_t_ctx_setup(&state, ngc_t_fill), 0);
    ngc_t_ctx_t *t = state;
    assert_int_equal(ngc_parse_buffer(&t->ps, data, strlen(data), t->m), NGC_OK);
    return t;
}

static void test_parse_select(void **state)
{
    (void)state;
    static const char *const sel[] = {"b", "d *", NULL};
    /* Malformed lines of other ngrams are not looked at. */
    const char *data = "a\t1900\t1\t1\na\tjunk\n"
                       "b\t1900\t2\t1\nb\t1901\t3\t1\nb\tjunk\n"
                       "c\t1900\t4\t1\n"
                       "d e\t1900\t5\t1\nd f\t1900\t6\t1\nd e f\t1900\t7\t1\n"
                       "no tab here\n";
    ngc_t_ctx_t *t = ngc_t_run(sel, false, NGC_FORMAT_V2, data);
    assert_int_equal(ngc_combiner_count(t->m), 3);
    assert_int_equal(ngc_t_get(t, "b"), 5);
    assert_int_equal(ngc_t_get(t, "d e"), 5);
    assert_int_equal(ngc_t_get(t, "d f"), 6);
    assert_int_equal(t->ps.lines, 10);
    assert_int_equal(t->ps.malformed, 1); /* b's, at line 5 */
    assert_int_equal(t->ps.samples[0].line, 5);
    ngc_t_teardown((void **)&t);
}

static void test_parse_by_year(void **state)
{
    (void)state;
    static const char *const sel[] = {"b", "x", NULL};
    const char *data = "b\t1900\t2\t1\nb\t1900\t1\t1\nb\t1901\t3\t1\nb\t850\t4\t1\n"
                       "c\t1900\t9\t9\n";
    ngc_t_ctx_t *t = ngc_t_run(sel, true, NGC_FORMAT_V2, data);
    assert_int_equal(ngc_combiner_count(t->m), 3);
    assert_int_equal(ngc_t_get(t, "b\t1900"), 3);
    assert_int_equal(ngc_t_get(t, "b\t1901"), 3);
    assert_int_equal(ngc_t_get(t, "b\t0850"), 4);
    ngc_t_teardown((void **)&t);

    const char *v3 = "x\t1900,1,1\t2000,2,2\t1900,4,4\nx\t2000,8,8\ny\t1900,1,1\n";
    t = ngc_t_run(sel, true, NGC_FORMAT_V3, v3);
    assert_int_equal(ngc_combiner_count(t->m), 2);
    assert_int_equal(ngc_t_get(t, "x\t1900"), 5);
    assert_int_equal(ngc_t_get(t, "x\t2000"), 10);
    ngc_t_teardown((void **)&t);

    const char *v1 = "b\t1900\t2\t0\t1\nb\t1901\t3\t0\t1\n";
    t = ngc_t_run(sel, true, NGC_FORMAT_V1, v1);
    assert_int_equal(ngc_t_get(t, "b\t1900"), 2);
    assert_int_equal(ngc_t_get(t, "b\t1901"), 3);
    ngc_t_teardown((void **)&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact),        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_prepared),     cmocka_unit_test(test_long),
        cmocka_unit_test(test_parse_select), cmocka_unit_test(test_parse_by_year),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
