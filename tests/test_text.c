/*
 * test_text.c: raw text n-gram counting (workers/text.h): both tokenizers,
 * --fold-case, --sentence-markers, --order and --only-order, blank and
 * malformed lines, --strict, the 1 MiB limits and spilling the combiner
 * table. Expected values are written out by hand from the spec (issue 6)
 * or counted by the small reference code below.
 */
#include "engine/base/ngc.h"
#include "workers/combiner.h"
#include "workers/parse.h"
#include "workers/text.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "combiner_fixture.h"

static void ngc_t_text_cfg(ngc_config_t *cfg)
{
    cfg->from_year = 1;
    cfg->to_year = 9999;
    cfg->count = NGC_COUNT_MATCH;
    cfg->pos = NGC_POS_KEEP;
    cfg->format = NGC_FORMAT_TEXT;
    cfg->order = 1;
    cfg->tokenize = NGC_TOKENIZE_SPACE;
}

static int ngc_t_setup(void **state)
{
    return ngc_t_ctx_setup(state, ngc_t_text_cfg);
}

static int ngc_t_text(ngc_t_ctx_t *t, const char *buf, size_t len)
{
    return ngc_text_buffer(&t->ps, buf, len, t->m);
}

static int ngc_t_text_s(ngc_t_ctx_t *t, const char *buf)
{
    return ngc_t_text(t, buf, strlen(buf));
}

/* Starts over: an empty table and fresh counters, the same options. */
static void ngc_t_again(ngc_t_ctx_t *t)
{
    ngc_combiner_reset(t->m);
    ngc_parse_reset(&t->ps);
}

/* How many entries hold key (0 or 1 in a correct table); its count. */
static int ngc_t_find(ngc_combiner_t *m, const char *key, size_t len, uint64_t *count)
{
    size_t start[NGC_COUNTERS_PARTS + 1];
    const ngc_kv_t *kv = ngc_combiner_partitioned(m, start);
    assert_non_null(kv);
    int found = 0;
    for (size_t i = 0; i < start[NGC_COUNTERS_PARTS]; i++)
        if (kv[i].len == len && memcmp(kv[i].key, key, len) == 0) {
            found++;
            *count = kv[i].match;
        }
    return found;
}

static void ngc_t_expect_n(ngc_combiner_t *m, const char *key, size_t len, uint64_t count)
{
    uint64_t got = 0;
    int n = ngc_t_find(m, key, len, &got);
    if (n != 1)
        fail_msg("key \"%.*s\" found %d times", (int)len, key, n);
    if (got != count)
        fail_msg("key \"%.*s\": %llu, expected %llu", (int)len, key, (unsigned long long)got,
                 (unsigned long long)count);
}

static void ngc_t_expect(ngc_combiner_t *m, const char *key, uint64_t count)
{
    ngc_t_expect_n(m, key, strlen(key), count);
}

static void ngc_t_absent(ngc_combiner_t *m, const char *key)
{
    uint64_t got;
    int n = ngc_t_find(m, key, strlen(key), &got);
    if (n != 0)
        fail_msg("key \"%s\" should be absent", key);
}

typedef struct {
    const char *key;
    uint64_t count;
} ngc_t_want_t;

/* The table holds exactly these keys with these counts. */
static void ngc_t_exactly(ngc_combiner_t *m, const ngc_t_want_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ngc_t_expect(m, want[i].key, want[i].count);
    if (ngc_combiner_count(m) != n)
        fail_msg("%zu keys, expected %zu", ngc_combiner_count(m), n);
}

#define NGC_T_EXACTLY(m, ...)                                 \
    do {                                                      \
        static const ngc_t_want_t ngc_t_w_[] = {__VA_ARGS__}; \
        ngc_t_exactly((m), ngc_t_w_, NGC_NELEMS(ngc_t_w_));   \
    } while (0)

/* --- --tokenize space -------------------------------------------------- */

static void test_space_whitespace_runs(void **state)
{
    ngc_t_ctx_t *t = *state;
    /* Runs of space, TAB, VT, FF and CR separate; leading and trailing
     * whitespace makes no empty token; CRLF ends a line. */
    const char *buf = " \t a\v\fb\r\r c  d\t\n"
                      "e f\r\n"
                      "a\r\n";
    assert_int_equal(ngc_t_text_s(t, buf), NGC_OK);
    NGC_T_EXACTLY(t->m, {"a", 2}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}, {"f", 1});
    ngc_t_absent(t->m, "f\r");
    ngc_t_absent(t->m, "");
    assert_int_equal(t->ps.lines, 3);
    assert_int_equal(t->ps.tokens, 7);
    assert_int_equal(t->ps.malformed, 0);
}

static void test_space_bytes_as_they_are(void **state)
{
    ngc_t_ctx_t *t = *state;
    /* No UTF-8 check, and non-ASCII spaces are not whitespace here; NUL is
     * an ordinary byte. */
    const char buf[] = "caf\xe9 \xff\xfe x\xc2\xa0y a\xe2\x80\x83z n\0l\n";
    assert_int_equal(ngc_t_text(t, buf, sizeof(buf) - 1), NGC_OK);
    ngc_t_expect(t->m, "caf\xe9", 1);
    ngc_t_expect(t->m, "\xff\xfe", 1);
    ngc_t_expect(t->m, "x\xc2\xa0y", 1);
    ngc_t_expect(t->m, "a\xe2\x80\x83z", 1);
    ngc_t_expect_n(t->m, "n\0l", 3, 1);
    assert_int_equal(ngc_combiner_count(t->m), 5);
    assert_int_equal(t->ps.malformed, 0);
}

static void test_space_joined_by_one_space(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.order = 3;
    assert_int_equal(ngc_t_text_s(t, "a  b\t\tc\n"), NGC_OK);
    NGC_T_EXACTLY(t->m, {"a", 1}, {"b", 1}, {"c", 1}, {"a b", 1}, {"b c", 1}, {"a b c", 1});
}

static void test_lines_across_buffers(void **state)
{
    ngc_t_ctx_t *t = *state;
    /* Each buffer holds whole lines: an n-gram never spans two buffers. */
    t->cfg.order = 2;
    assert_int_equal(ngc_t_text_s(t, "x y\n"), NGC_OK);
    assert_int_equal(ngc_t_text_s(t, "z\n"), NGC_OK);
    NGC_T_EXACTLY(t->m, {"x", 1}, {"y", 1}, {"z", 1}, {"x y", 1});
    assert_int_equal(t->ps.lines, 2);
}

/* --- --tokenize words -------------------------------------------------- */

static void test_words_punctuation(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.tokenize = NGC_TOKENIZE_WORDS;
    t->cfg.order = 2;
    /* The spec's example: Don't stop—now! -> Don ' t stop — now ! */
    assert_int_equal(ngc_t_text_s(t, "Don't stop\xe2\x80\x94now!\n"), NGC_OK);
    NGC_T_EXACTLY(t->m, {"Don", 1}, {"'", 1}, {"t", 1}, {"stop", 1}, {"\xe2\x80\x94", 1},
                  {"now", 1}, {"!", 1}, {"Don '", 1}, {"' t", 1}, {"t stop", 1},
                  {"stop \xe2\x80\x94", 1}, {"\xe2\x80\x94 now", 1}, {"now !", 1});
    assert_int_equal(t->ps.tokens, 7);
}

static void test_words_symbols_each_a_token(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.tokenize = NGC_TOKENIZE_WORDS;
    /* Punctuation, symbols and other controls are tokens by themselves,
     * one per character, even when repeated: 3.14 -> 3 . 14. */
    const char buf[] = "3.14 $5 snake_case (x)... a+b hi\xf0\x9f\x98\x80there "
                       "\xc2\xab\x01\xe2\x80\x8b\n";
    assert_int_equal(ngc_t_text(t, buf, sizeof(buf) - 1), NGC_OK);
    NGC_T_EXACTLY(t->m, {"3", 1}, {".", 4}, {"14", 1}, {"$", 1}, {"5", 1}, {"snake", 1}, {"_", 1},
                  {"case", 1}, {"(", 1}, {"x", 1}, {")", 1}, {"a", 1}, {"+", 1}, {"b", 1},
                  {"hi", 1}, {"\xf0\x9f\x98\x80", 1}, {"there", 1}, {"\xc2\xab", 1}, {"\x01", 1},
                  {"\xe2\x80\x8b", 1});
    /* 3 . 14 | $ 5 | snake _ case | ( x ) . . . | a + b | hi U+1F600 there | U+00AB ^A U+200B */
    assert_int_equal(t->ps.tokens, 3 + 2 + 3 + 6 + 3 + 3 + 3);
}

static void test_words_letters_and_numbers(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.tokenize = NGC_TOKENIZE_WORDS;
    /* Accented Latin, Greek, Cyrillic and CJK letters; No and Nl numbers. */
    const char *buf = "caf\xc3\xa9 na\xc3\xafve \xce\xbb\xcf\x8c\xce\xb3\xce\xbf\xcf\x82 "
                      "\xd1\x81\xd0\xbb\xd0\xbe\xd0\xb2\xd0\xbe "
                      "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e "
                      "1\xc2\xbd \xe2\x85\xab"
                      "a x2y\n";
    assert_int_equal(ngc_t_text_s(t, buf), NGC_OK);
    NGC_T_EXACTLY(t->m, {"caf\xc3\xa9", 1}, {"na\xc3\xafve", 1},
                  {"\xce\xbb\xcf\x8c\xce\xb3\xce\xbf\xcf\x82", 1},
                  {"\xd1\x81\xd0\xbb\xd0\xbe\xd0\xb2\xd0\xbe", 1},
                  {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 1}, {"1\xc2\xbd", 1},
                  {"\xe2\x85\xab"
                   "a",
                   1},
                  {"x2y", 1});
}

static void test_words_combining_marks(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.tokenize = NGC_TOKENIZE_WORDS;
    /* Marks (M*) are word characters: e + U+0301 stays in its word, and a
     * mark after punctuation starts a word of its own. */
    const char *buf = "cafe\xcc\x81 a\xcc\x81\xcc\x88"
                      "b !\xcc\x81 \xcc\x81x\n";
    assert_int_equal(ngc_t_text_s(t, buf), NGC_OK);
    NGC_T_EXACTLY(t->m, {"cafe\xcc\x81", 1},
                  {"a\xcc\x81\xcc\x88"
                   "b",
                   1},
                  {"!", 1}, {"\xcc\x81", 1}, {"\xcc\x81x", 1});
}

static void test_words_unicode_spaces(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.tokenize = NGC_TOKENIZE_WORDS;
    t->cfg.order = 2;
    /* NBSP, EM SPACE, NEL, LINE and PARAGRAPH SEPARATOR, IDEOGRAPHIC SPACE,
     * TAB, VT, FF and CR all separate, and none is a token. */
    const char *buf = "a\xc2\xa0"
                      "b\xe2\x80\x83"
                      "c\xc2\x85"
                      "d\xe2\x80\xa8"
                      "e\xe2\x80\xa9"
                      "f\xe3\x80\x80g\th\vi\fj\rk \xc2\xa0\xe2\x80\x83 \n";
    assert_int_equal(ngc_t_text_s(t, buf), NGC_OK);
    NGC_T_EXACTLY(t->m, {"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}, {"f", 1}, {"g", 1},
                  {"h", 1}, {"i", 1}, {"j", 1}, {"k", 1}, {"a b", 1}, {"b c", 1}, {"c d", 1},
                  {"d e", 1}, {"e f", 1}, {"f g", 1}, {"g h", 1}, {"h i", 1}, {"i j", 1},
                  {"j k", 1});
    assert_int_equal(t->ps.tokens, 11);
}

static void test_words_invalid_utf8(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.tokenize = NGC_TOKENIZE_WORDS;
    const char *buf = "good one\n"               /* 1 */
                      "caf\xe9 latin1\n"         /* 2: a lone lead byte */
                      "\xc0\x80 overlong\n"      /* 3: overlong NUL */
                      "\xed\xa0\x80 surrogate\n" /* 4: U+D800 */
                      "\xf4\x90\x80\x80 big\n"   /* 5: past U+10FFFF */
                      "cut \xe2\x82\n"           /* 6: truncated */
                      "\x80 continuation\n"      /* 7 */
                      "good again\n";            /* 8 */
    assert_int_equal(ngc_t_text_s(t, buf), NGC_OK);
    NGC_T_EXACTLY(t->m, {"good", 2}, {"one", 1}, {"again", 1});
    assert_int_equal(t->ps.lines, 8);
    assert_int_equal(t->ps.malformed, 6);
    assert_int_equal(t->ps.tokens, 4);
    assert_int_equal(t->ps.nsamples, NGC_MSG_SAMPLES);
    for (uint32_t i = 0; i < NGC_MSG_SAMPLES; i++) {
        assert_int_equal(t->ps.samples[i].line, i + 2);
        assert_int_equal(t->ps.samples[i].reason, NGC_STREAMING_REASON_UTF8);
    }
    /* The same bytes under --tokenize space are all counted. */
    ngc_t_again(t);
    t->cfg.tokenize = NGC_TOKENIZE_SPACE;
    assert_int_equal(ngc_t_text_s(t, buf), NGC_OK);
    assert_int_equal(t->ps.malformed, 0);
    ngc_t_expect(t->m, "caf\xe9", 1);
    ngc_t_expect(t->m, "\xe2\x82", 1);
}

/* --- --fold-case ------------------------------------------------------- */

static void test_fold_case_space(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.fold_case = true;
    /* Python's str.casefold(): full folding, final sigma to sigma. */
    const char *buf = "HELLO hello Hello Stra\xc3\x9f"
                      "e STRASSE \xce\xa3\xce\x91\xce\xa3 "
                      "\xef\xac\x81 \xc4\xb0 \xc7\x85 \xe2\x84\xaa \xc3\x89"
                      "COLE "
                      "\xd0\xa1\xd0\x9b\xd0\x9e\xd0\x92\xd0\x9e \xe1\xba\x9e "
                      "\xce\xbb\xcf\x8c\xce\xb3\xce\xbf\xcf\x82 ABC\xff\n";
    assert_int_equal(ngc_t_text_s(t, buf), NGC_OK);
    NGC_T_EXACTLY(t->m, {"hello", 3}, {"strasse", 2}, {"\xcf\x83\xce\xb1\xcf\x83", 1}, {"fi", 1},
                  {"i\xcc\x87", 1}, {"\xc7\x86", 1}, {"k", 1},
                  {"\xc3\xa9"
                   "cole",
                   1},
                  {"\xd1\x81\xd0\xbb\xd0\xbe\xd0\xb2\xd0\xbe", 1}, {"ss", 1},
                  {"\xce\xbb\xcf\x8c\xce\xb3\xce\xbf\xcf\x83", 1},
                  {"ABC\xff", 1}); /* not UTF-8: left as it is */
}

static void test_fold_case_words(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.fold_case = true;
    t->cfg.tokenize = NGC_TOKENIZE_WORDS;
    t->cfg.order = 2;
    assert_int_equal(ngc_t_text_s(t, "Stra\xc3\x9f"
                                     "e, \xce\xa3\xce\x91\xce\xa3! Don't\n"),
                     NGC_OK);
    NGC_T_EXACTLY(t->m, {"strasse", 1}, {",", 1}, {"\xcf\x83\xce\xb1\xcf\x83", 1}, {"!", 1},
                  {"don", 1}, {"'", 1}, {"t", 1}, {"strasse ,", 1},
                  {", \xcf\x83\xce\xb1\xcf\x83", 1}, {"\xcf\x83\xce\xb1\xcf\x83 !", 1},
                  {"! don", 1}, {"don '", 1}, {"' t", 1});
}

/*
 * ngc_token_fold gives up (copies the token unfolded) when the folded text
 * passes 2 MiB, though folding can triple a token and the scratch area has
 * room for that: a 1 MiB line of U+0390 folds to 3 MiB.
 */
static void test_regress_fold_triples_long_token(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.fold_case = true;
    size_t reps = NGC_LINE_MAX / 2; /* U+0390 is 2 bytes: exactly 1 MiB */
    char *buf = malloc(NGC_LINE_MAX + 1);
    char *want = malloc(reps * 6);
    assert_true(buf && want);
    for (size_t i = 0; i < reps; i++) {
        memcpy(buf + 2 * i, "\xce\x90", 2);
        memcpy(want + 6 * i, "\xce\xb9\xcc\x88\xcc\x81", 6); /* U+03B9 U+0308 U+0301 */
    }
    buf[NGC_LINE_MAX] = '\n';
    assert_int_equal(ngc_t_text(t, buf, NGC_LINE_MAX + 1), NGC_OK);
    assert_int_equal(t->ps.malformed, 0);
    assert_int_equal(ngc_combiner_count(t->m), 1);
    uint64_t n = 0;
    if (ngc_t_find(t->m, want, reps * 6, &n) != 1)
        fail_msg("the 1 MiB token of U+0390 was not folded to its 3 MiB folding");
    assert_int_equal(n, 1);
    free(want);
    free(buf);
}

/* --- --sentence-markers ------------------------------------------------ */

static void test_markers(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.sentence_markers = true;
    t->cfg.order = 2;
    assert_int_equal(ngc_t_text_s(t, "a b\n"), NGC_OK);
    NGC_T_EXACTLY(t->m, {"<s>", 1}, {"a", 1}, {"b", 1}, {"</s>", 1}, {"<s> a", 1}, {"a b", 1},
                  {"b </s>", 1});
    assert_int_equal(t->ps.tokens, 2); /* markers are not tokens read */

    ngc_t_again(t);
    t->cfg.order = 3;
    assert_int_equal(ngc_t_text_s(t, "a b\nc\n"), NGC_OK);
    NGC_T_EXACTLY(t->m, {"<s>", 2}, {"</s>", 2}, {"a", 1}, {"b", 1}, {"c", 1}, {"<s> a", 1},
                  {"a b", 1}, {"b </s>", 1}, {"<s> a b", 1}, {"a b </s>", 1}, {"<s> c", 1},
                  {"c </s>", 1}, {"<s> c </s>", 1});
    ngc_t_absent(t->m, "</s> <s>");
    assert_int_equal(t->ps.tokens, 3);
}

static void test_markers_not_folded_or_split(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.sentence_markers = true;
    t->cfg.fold_case = true;
    t->cfg.tokenize = NGC_TOKENIZE_WORDS;
    t->cfg.order = 2;
    /* Under words the markers stay whole, never "<" "s" ">". */
    assert_int_equal(ngc_t_text_s(t, "Hi!\n"), NGC_OK);
    NGC_T_EXACTLY(t->m, {"<s>", 1}, {"hi", 1}, {"!", 1}, {"</s>", 1}, {"<s> hi", 1}, {"hi !", 1},
                  {"! </s>", 1});
}

static void test_blank_lines_make_nothing(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.sentence_markers = true;
    t->cfg.order = 3;
    /* Empty or whitespace-only lines: not even <s> </s>. */
    assert_int_equal(ngc_t_text_s(t, "\n \n\t\r\n\r\n\v\f \n"), NGC_OK);
    assert_int_equal(ngc_combiner_count(t->m), 0);
    assert_int_equal(t->ps.lines, 5);
    assert_int_equal(t->ps.tokens, 0);
    assert_int_equal(t->ps.malformed, 0);
    /* Under words, Unicode spaces alone are blank too. */
    t->cfg.tokenize = NGC_TOKENIZE_WORDS;
    assert_int_equal(ngc_t_text_s(t, "\xc2\xa0\xe2\x80\x83\xc2\x85\r\n"), NGC_OK);
    assert_int_equal(ngc_combiner_count(t->m), 0);
    /* A blank line between two sentences does not join them. */
    assert_int_equal(ngc_t_text_s(t, "x\n\ny\n"), NGC_OK);
    NGC_T_EXACTLY(t->m, {"<s>", 2}, {"</s>", 2}, {"x", 1}, {"y", 1}, {"<s> x", 1}, {"x </s>", 1},
                  {"<s> y", 1}, {"y </s>", 1}, {"<s> x </s>", 1}, {"<s> y </s>", 1});
    assert_int_equal(t->ps.tokens, 2);
}

/* --- --order, --only-order --------------------------------------------- */

static void test_only_order(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.order = 3;
    t->cfg.only_order = true;
    assert_int_equal(ngc_t_text_s(t, "a b c d\nshort line\n"), NGC_OK);
    NGC_T_EXACTLY(t->m, {"a b c", 1}, {"b c d", 1});
    assert_int_equal(t->ps.tokens, 6);

    ngc_t_again(t);
    t->cfg.sentence_markers = true;
    assert_int_equal(ngc_t_text_s(t, "a b c d\nz\n"), NGC_OK);
    NGC_T_EXACTLY(t->m, {"<s> a b", 1}, {"a b c", 1}, {"b c d", 1}, {"c d </s>", 1},
                  {"<s> z </s>", 1});
}

static void test_never_across_lines(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.order = 3;
    assert_int_equal(ngc_t_text_s(t, "a b\nc d\n"), NGC_OK);
    assert_int_equal(ngc_t_text_s(t, "e\n"), NGC_OK);
    NGC_T_EXACTLY(t->m, {"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}, {"a b", 1}, {"c d", 1});
}

/*
 * Every order 1..9, with and without --only-order, on lines of k distinct
 * tokens w0 .. w(k-1), k = 0..12: order n has k-n+1 n-grams (none when
 * k < n), each "wi ... w(i+n-1)" counted once.
 */
static void test_orders_distinct_tokens(void **state)
{
    ngc_t_ctx_t *t = *state;
    char line[256], key[256];
    for (unsigned order = 1; order <= NGC_ORDER_MAX; order++)
        for (int only = 0; only <= 1; only++)
            for (unsigned k = 0; k <= 12; k++) {
                ngc_t_again(t);
                t->cfg.order = order;
                t->cfg.only_order = only;
                size_t len = 0;
                for (unsigned i = 0; i < k; i++)
                    len += (size_t)snprintf(line + len, sizeof(line) - len, "%sw%u", i ? " " : "",
                                            i);
                line[len++] = '\n';
                assert_int_equal(ngc_t_text(t, line, len), NGC_OK);
                size_t want = 0;
                for (unsigned n = only ? order : 1; n <= order; n++)
                    for (unsigned i = 0; i + n <= k; i++) {
                        size_t kl = 0;
                        for (unsigned j = i; j < i + n; j++)
                            kl += (size_t)snprintf(key + kl, sizeof(key) - kl, "%sw%u",
                                                   j > i ? " " : "", j);
                        ngc_t_expect(t->m, key, 1);
                        want++;
                    }
                if (ngc_combiner_count(t->m) != want)
                    fail_msg("order %u only %d k %u: %zu keys, expected %zu", order, only, k,
                             ngc_combiner_count(t->m), want);
                assert_int_equal(t->ps.tokens, k);
            }
}

/* One token repeated k times: the n-gram of n copies counts k-n+1. */
static void test_orders_repeated_token(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.order = 9;
    assert_int_equal(ngc_t_text_s(t, "x x x x x\n"), NGC_OK);
    NGC_T_EXACTLY(t->m, {"x", 5}, {"x x", 4}, {"x x x", 3}, {"x x x x", 2}, {"x x x x x", 1});
    /* Lines add up. */
    assert_int_equal(ngc_t_text_s(t, "x x\n"), NGC_OK);
    NGC_T_EXACTLY(t->m, {"x", 7}, {"x x", 5}, {"x x x", 3}, {"x x x x", 2}, {"x x x x x", 1});
}

/* --- long lines, --strict ---------------------------------------------- */

static void test_long_line(void **state)
{
    ngc_t_ctx_t *t = *state;
    size_t cap = NGC_LINE_MAX + 64;
    char *buf = malloc(cap);
    assert_non_null(buf);
    /* One byte over: malformed, and the lines around it still count. */
    size_t n = 0;
    memcpy(buf, "a\n", 2);
    n += 2;
    memset(buf + n, 'q', NGC_LINE_MAX + 1);
    n += NGC_LINE_MAX + 1;
    buf[n++] = '\n';
    memcpy(buf + n, "a\n", 2);
    n += 2;
    assert_int_equal(ngc_t_text(t, buf, n), NGC_OK);
    assert_int_equal(t->ps.lines, 3);
    assert_int_equal(t->ps.malformed, 1);
    assert_int_equal(t->ps.samples[0].line, 2);
    assert_int_equal(t->ps.samples[0].reason, NGC_STREAMING_REASON_LONG);
    NGC_T_EXACTLY(t->m, {"a", 2});
    /* Exactly 1 MiB: one token of 1 MiB, counted. */
    ngc_t_again(t);
    memset(buf, 'q', NGC_LINE_MAX);
    buf[NGC_LINE_MAX] = '\n';
    assert_int_equal(ngc_t_text(t, buf, NGC_LINE_MAX + 1), NGC_OK);
    assert_int_equal(t->ps.malformed, 0);
    assert_int_equal(ngc_combiner_count(t->m), 1);
    ngc_t_expect_n(t->m, buf, NGC_LINE_MAX, 1);
    free(buf);
}

/* k copies of the one-character token c at order 9 with markers: the
 * n-gram of n copies counts k-n+1, the marked ones once. */
static void ngc_t_expect_copies(ngc_combiner_t *m, char c, size_t k)
{
    char key[64];
    for (size_t n = 1; n <= 9; n++) {
        size_t kl = 0;
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                key[kl++] = ' ';
            key[kl++] = c;
        }
        ngc_t_expect_n(m, key, kl, k - n + 1);
        if (n <= 8) {
            char marked[80];
            int ml = snprintf(marked, sizeof(marked), "<s> %.*s", (int)kl, key);
            ngc_t_expect_n(m, marked, (size_t)ml, 1);
            ml = snprintf(marked, sizeof(marked), "%.*s </s>", (int)kl, key);
            ngc_t_expect_n(m, marked, (size_t)ml, 1);
        }
    }
    ngc_t_expect(m, "<s>", 1);
    ngc_t_expect(m, "</s>", 1);
    assert_int_equal(ngc_combiner_count(m), 9 + 8 + 8 + 2);
}

/* A 1 MiB line of one-byte tokens at order 9 with markers: the most
 * tokens a space-separated line can have. Counted, not malformed. */
static void test_max_tokens_space(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.order = 9;
    t->cfg.sentence_markers = true;
    char *buf = malloc(NGC_LINE_MAX + 1);
    assert_non_null(buf);
    for (size_t i = 0; i < NGC_LINE_MAX; i += 2)
        memcpy(buf + i, "a ", 2);
    buf[NGC_LINE_MAX] = '\n';
    assert_int_equal(ngc_t_text(t, buf, NGC_LINE_MAX + 1), NGC_OK);
    assert_int_equal(t->ps.malformed, 0);
    assert_int_equal(t->ps.tokens, NGC_LINE_MAX / 2);
    ngc_t_expect_copies(t->m, 'a', NGC_LINE_MAX / 2);
    free(buf);
}

/*
 * Under --tokenize words every punctuation character is a token, so a
 * 1 MiB line of '!' has 2^20 tokens: twice NGC_PARSE_TOKENS_MAX. It is
 * neither too long nor invalid UTF-8, so the spec counts it; the scratch
 * space must not make it malformed.
 */
static void test_regress_words_max_tokens_not_malformed(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.order = 9;
    t->cfg.sentence_markers = true;
    t->cfg.tokenize = NGC_TOKENIZE_WORDS;
    char *buf = malloc(NGC_LINE_MAX + 1);
    assert_non_null(buf);
    memset(buf, '!', NGC_LINE_MAX);
    buf[NGC_LINE_MAX] = '\n';
    assert_int_equal(ngc_t_text(t, buf, NGC_LINE_MAX + 1), NGC_OK);
    if (t->ps.malformed != 0)
        fail_msg("a 1 MiB line of '!' is reported malformed (reason %u)", t->ps.samples[0].reason);
    assert_int_equal(t->ps.tokens, NGC_LINE_MAX);
    ngc_t_expect_copies(t->m, '!', NGC_LINE_MAX);
    free(buf);
}

/*
 * The most a 1 MiB line can grow: under words with --fold-case, U+0390
 * (2 bytes, a letter) folds to 6 bytes and a one-byte '!' after it is a
 * token of its own, so "ΐ!ΐ!..." tokenizes to three times its size, plus
 * the markers. Counted, not malformed.
 */
static void test_max_fold_growth_words(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.tokenize = NGC_TOKENIZE_WORDS;
    t->cfg.fold_case = true;
    t->cfg.sentence_markers = true;
    t->cfg.order = 2;
    char *buf = malloc(NGC_LINE_MAX + 1);
    assert_non_null(buf);
    size_t pairs = NGC_LINE_MAX / 3, n = 0; /* 349525 pairs and one '!' */
    for (size_t i = 0; i < pairs; i++, n += 3)
        memcpy(buf + n, "\xce\x90!", 3);
    buf[n++] = '!';
    assert_int_equal(n, NGC_LINE_MAX);
    buf[n++] = '\n';
    assert_int_equal(ngc_t_text(t, buf, n), NGC_OK);
    assert_int_equal(t->ps.malformed, 0);
    assert_int_equal(t->ps.tokens, 2 * pairs + 1);
    NGC_T_EXACTLY(t->m, {"\xce\xb9\xcc\x88\xcc\x81", 349525}, {"!", 349526}, {"<s>", 1},
                  {"</s>", 1}, {"<s> \xce\xb9\xcc\x88\xcc\x81", 1},
                  {"\xce\xb9\xcc\x88\xcc\x81 !", 349525}, {"! \xce\xb9\xcc\x88\xcc\x81", 349524},
                  {"! !", 1}, {"! </s>", 1});
    free(buf);
}

static void test_strict(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.strict = true;
    t->cfg.tokenize = NGC_TOKENIZE_WORDS;
    assert_int_equal(ngc_t_text_s(t, "ok\n\n\xff\nnext\n"), NGC_ERROR);
    assert_int_equal(t->ps.fail, NGC_FAIL_MALFORMED);
    assert_int_equal(t->ps.fail_line, 3);
    assert_true(strlen(t->ps.fail_text) > 0);
    assert_int_equal(t->ps.malformed, 1);
    assert_int_equal(t->ps.samples[0].reason, NGC_STREAMING_REASON_UTF8);
    ngc_t_absent(t->m, "next");
    /* Without a malformed line --strict changes nothing. */
    ngc_t_again(t);
    assert_int_equal(ngc_t_text_s(t, "ok\nnext\n"), NGC_OK);
    assert_int_equal(t->ps.fail, 0);
    NGC_T_EXACTLY(t->m, {"ok", 1}, {"next", 1});
}

static void test_strict_long_line(void **state)
{
    ngc_t_ctx_t *t = *state;
    t->cfg.strict = true;
    char *buf = malloc(NGC_LINE_MAX + 8);
    assert_non_null(buf);
    memcpy(buf, "a\n", 2);
    memset(buf + 2, 'z', NGC_LINE_MAX + 1);
    buf[NGC_LINE_MAX + 3] = '\n';
    assert_int_equal(ngc_t_text(t, buf, NGC_LINE_MAX + 4), NGC_ERROR);
    assert_int_equal(t->ps.fail, NGC_FAIL_MALFORMED);
    assert_int_equal(t->ps.fail_line, 2);
    free(buf);
}

/* --- spilling ---------------------------------------------------------- */

typedef struct {
    ngc_combiner_t *acc; /* the union of the spilled batches */
    unsigned calls;
    size_t most; /* largest batch spilled */
    bool fail;   /* return an error */
} ngc_t_spill_t;

static int ngc_t_spill(ngc_parse_t *ps, ngc_combiner_t *m, void *arg)
{
    ngc_t_spill_t *sp = arg;
    sp->calls++;
    if (sp->fail) {
        ps->fail = NGC_FAIL_FULL;
        return NGC_ERROR;
    }
    size_t start[NGC_COUNTERS_PARTS + 1];
    const ngc_kv_t *kv = ngc_combiner_partitioned(m, start);
    if (kv == NULL)
        return NGC_ERROR;
    if (start[NGC_COUNTERS_PARTS] > sp->most)
        sp->most = start[NGC_COUNTERS_PARTS];
    for (size_t i = 0; i < start[NGC_COUNTERS_PARTS]; i++)
        if (ngc_combiner_add(sp->acc, kv[i].key, kv[i].len, kv[i].match, kv[i].volume) != NGC_OK)
            return NGC_ERROR;
    ngc_combiner_reset(m);
    return NGC_OK;
}

/* Random sentences over a small vocabulary; *len bytes. */
static char *ngc_t_corpus(size_t lines, size_t *len)
{
    static const char *const words[] = {"the", "a",  "cat", "dog", "sat", "on",  "mat", "and",
                                        "ran", "to", "it",  "was", "big", "red", "of",  "in"};
    size_t cap = lines * 200;
    char *buf = malloc(cap);
    assert_non_null(buf);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    size_t n = 0;
    for (size_t l = 0; l < lines; l++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned k = (unsigned)(x % 20);
        for (unsigned i = 0; i < k; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? " " : "",
                                  words[(x >> 11) % NGC_NELEMS(words)]);
        }
        buf[n++] = '\n';
    }
    *len = n;
    return buf;
}

/* Adds all of src into dst. */
static void ngc_t_add_all(ngc_combiner_t *dst, ngc_combiner_t *src)
{
    size_t start[NGC_COUNTERS_PARTS + 1];
    const ngc_kv_t *kv = ngc_combiner_partitioned(src, start);
    assert_non_null(kv);
    for (size_t i = 0; i < start[NGC_COUNTERS_PARTS]; i++)
        assert_int_equal(ngc_combiner_add(dst, kv[i].key, kv[i].len, kv[i].match, kv[i].volume),
                         NGC_OK);
}

static int ngc_t_kv_cmp(const void *x, const void *y)
{
    const ngc_kv_t *a = x, *b = y;
    int r = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
    return r != 0 ? r : (a->len > b->len) - (a->len < b->len);
}

/* A sorted copy of m's entries. */
static ngc_kv_t *ngc_t_sorted(ngc_combiner_t *m)
{
    size_t start[NGC_COUNTERS_PARTS + 1];
    const ngc_kv_t *kv = ngc_combiner_partitioned(m, start);
    assert_non_null(kv);
    size_t n = start[NGC_COUNTERS_PARTS];
    ngc_kv_t *s = malloc((n + 1) * sizeof(*s));
    assert_non_null(s);
    memcpy(s, kv, n * sizeof(*s));
    qsort(s, n, sizeof(*s), ngc_t_kv_cmp);
    return s;
}

/* a and b hold the same keys with the same counts. */
static void ngc_t_same_maps(ngc_combiner_t *a, ngc_combiner_t *b)
{
    size_t n = ngc_combiner_count(a);
    assert_int_equal(n, ngc_combiner_count(b));
    ngc_kv_t *sa = ngc_t_sorted(a), *sb = ngc_t_sorted(b);
    for (size_t i = 0; i < n; i++)
        if (ngc_t_kv_cmp(&sa[i], &sb[i]) != 0 || sa[i].match != sb[i].match)
            fail_msg("key \"%.*s\": %llu, expected \"%.*s\": %llu", (int)sb[i].len, sb[i].key,
                     (unsigned long long)sb[i].match, (int)sa[i].len, sa[i].key,
                     (unsigned long long)sa[i].match);
    free(sa);
    free(sb);
}

static void ngc_t_spill_case(ngc_t_ctx_t *t, size_t lines, size_t budget_extra, bool several)
{
    size_t len;
    char *buf = ngc_t_corpus(lines, &len);
    t->cfg.order = 4;
    t->cfg.sentence_markers = true;
    /* The totals without spilling. */
    ngc_combiner_t *whole = ngc_combiner_new(), *work = ngc_combiner_new();
    assert_true(whole && work);
    ngc_parse_reset(&t->ps);
    t->ps.spill = NULL;
    assert_int_equal(ngc_text_buffer(&t->ps, buf, len, whole), NGC_OK);
    uint64_t tokens = t->ps.tokens;
    /* A budget just over what one key takes in an empty table. */
    assert_int_equal(ngc_combiner_add(work, "x", 1, 1, 0), NGC_OK);
    size_t one = ngc_combiner_bytes(work);
    ngc_combiner_reset(work);
    ngc_parse_reset(&t->ps);
    ngc_t_spill_t sp = {ngc_combiner_new(), 0, 0, false};
    assert_non_null(sp.acc);
    t->ps.spill = ngc_t_spill;
    t->ps.spill_arg = &sp;
    t->ps.map_budget = one + budget_extra;
    /* In three buffers, cut at line ends. */
    size_t cut1 = (size_t)((const char *)memchr(buf + len / 3, '\n', len) - buf) + 1;
    size_t cut2 = (size_t)((const char *)memchr(buf + 2 * len / 3, '\n', len) - buf) + 1;
    assert_int_equal(ngc_text_buffer(&t->ps, buf, cut1, work), NGC_OK);
    assert_int_equal(ngc_text_buffer(&t->ps, buf + cut1, cut2 - cut1, work), NGC_OK);
    assert_int_equal(ngc_text_buffer(&t->ps, buf + cut2, len - cut2, work), NGC_OK);
    assert_true(sp.calls > 1);
    if (several)
        assert_true(sp.most > 1);
    assert_true(ngc_combiner_bytes(work) <= t->ps.map_budget);
    ngc_t_add_all(sp.acc, work);
    ngc_t_same_maps(whole, sp.acc);
    assert_int_equal(t->ps.tokens, tokens);
    t->ps.spill = NULL;
    t->ps.map_budget = SIZE_MAX;
    ngc_combiner_free(sp.acc);
    ngc_combiner_free(work);
    ngc_combiner_free(whole);
    free(buf);
}

static void test_spill_union(void **state)
{
    ngc_t_ctx_t *t = *state;
    ngc_t_spill_case(t, 200, 0, false);        /* a spill after every new key */
    ngc_t_spill_case(t, 3000, 16 << 10, true); /* batches of many keys */
    ngc_t_spill_case(t, 3000, 256 << 10, true);
}

static void test_spill_error(void **state)
{
    ngc_t_ctx_t *t = *state;
    ngc_t_spill_t sp = {NULL, 0, 0, true};
    t->ps.spill = ngc_t_spill;
    t->ps.spill_arg = &sp;
    t->ps.map_budget = 0;
    assert_int_equal(ngc_t_text_s(t, "a b c\nd\n"), NGC_ERROR);
    assert_int_equal(sp.calls, 1);
    assert_int_equal(t->ps.fail, NGC_FAIL_FULL);
}

#define NGC_T(f) cmocka_unit_test_setup_teardown(f, ngc_t_setup, ngc_t_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        NGC_T(test_space_whitespace_runs),
        NGC_T(test_space_bytes_as_they_are),
        NGC_T(test_space_joined_by_one_space),
        NGC_T(test_lines_across_buffers),
        NGC_T(test_words_punctuation),
        NGC_T(test_words_symbols_each_a_token),
        NGC_T(test_words_letters_and_numbers),
        NGC_T(test_words_combining_marks),
        NGC_T(test_words_unicode_spaces),
        NGC_T(test_words_invalid_utf8),
        NGC_T(test_fold_case_space),
        NGC_T(test_fold_case_words),
        NGC_T(test_regress_fold_triples_long_token),
        NGC_T(test_markers),
        NGC_T(test_markers_not_folded_or_split),
        NGC_T(test_blank_lines_make_nothing),
        NGC_T(test_only_order),
        NGC_T(test_never_across_lines),
        NGC_T(test_orders_distinct_tokens),
        NGC_T(test_orders_repeated_token),
        NGC_T(test_long_line),
        NGC_T(test_max_tokens_space),
        NGC_T(test_regress_words_max_tokens_not_malformed),
        NGC_T(test_max_fold_growth_words),
        NGC_T(test_strict),
        NGC_T(test_strict_long_line),
        NGC_T(test_spill_union),
        NGC_T(test_spill_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
