/*
 * vocab.c: see vocab.h. Ranks come from sort keys drawn with the words,
 * so the vocabulary depends only on the seed and the data options.
 */

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#include "datasets/gen/vocab.h"
#include "datasets/gen/log.h"
#include "datasets/gen/word.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ngc_gen_tags[NGC_GEN_NTAGS] = {
    "NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", "X", "."};

typedef struct {
    const char *word;
    ngc_gen_tag_t tag;
} ngc_gen_fixed_t;

/* the most frequent tokens, most frequent first: function words, punctuation */
static const ngc_gen_fixed_t ngc_gen_fixed[] = {
    {"the", NGC_GEN_TAG_DET},    {",", NGC_GEN_TAG_DOT},
    {".", NGC_GEN_TAG_DOT},      {"of", NGC_GEN_TAG_ADP},
    {"and", NGC_GEN_TAG_CONJ},   {"to", NGC_GEN_TAG_PRT},
    {"in", NGC_GEN_TAG_ADP},     {"a", NGC_GEN_TAG_DET},
    {"is", NGC_GEN_TAG_VERB},    {"that", NGC_GEN_TAG_ADP},
    {"\"", NGC_GEN_TAG_DOT},     {"for", NGC_GEN_TAG_ADP},
    {"it", NGC_GEN_TAG_PRON},    {"as", NGC_GEN_TAG_ADP},
    {"was", NGC_GEN_TAG_VERB},   {"with", NGC_GEN_TAG_ADP},
    {"be", NGC_GEN_TAG_VERB},    {"by", NGC_GEN_TAG_ADP},
    {"on", NGC_GEN_TAG_ADP},     {"not", NGC_GEN_TAG_ADV},
    {"he", NGC_GEN_TAG_PRON},    {"I", NGC_GEN_TAG_PRON},
    {"this", NGC_GEN_TAG_DET},   {"(", NGC_GEN_TAG_DOT},
    {")", NGC_GEN_TAG_DOT},      {"are", NGC_GEN_TAG_VERB},
    {"or", NGC_GEN_TAG_CONJ},    {"his", NGC_GEN_TAG_PRON},
    {"from", NGC_GEN_TAG_ADP},   {"at", NGC_GEN_TAG_ADP},
    {"which", NGC_GEN_TAG_DET},  {"The", NGC_GEN_TAG_DET},
    {";", NGC_GEN_TAG_DOT},      {"but", NGC_GEN_TAG_CONJ},
    {"have", NGC_GEN_TAG_VERB},  {"an", NGC_GEN_TAG_DET},
    {"had", NGC_GEN_TAG_VERB},   {"they", NGC_GEN_TAG_PRON},
    {"you", NGC_GEN_TAG_PRON},   {"were", NGC_GEN_TAG_VERB},
    {"their", NGC_GEN_TAG_PRON}, {":", NGC_GEN_TAG_DOT},
    {"one", NGC_GEN_TAG_NUM},    {"all", NGC_GEN_TAG_DET},
    {"we", NGC_GEN_TAG_PRON},    {"can", NGC_GEN_TAG_VERB},
    {"her", NGC_GEN_TAG_PRON},   {"has", NGC_GEN_TAG_VERB},
    {"there", NGC_GEN_TAG_ADV},  {"been", NGC_GEN_TAG_VERB},
    {"if", NGC_GEN_TAG_ADP},     {"more", NGC_GEN_TAG_ADJ},
    {"'", NGC_GEN_TAG_DOT},      {"when", NGC_GEN_TAG_ADV},
    {"will", NGC_GEN_TAG_VERB},  {"would", NGC_GEN_TAG_VERB},
    {"who", NGC_GEN_TAG_PRON},   {"so", NGC_GEN_TAG_ADV},
    {"no", NGC_GEN_TAG_DET},     {"It", NGC_GEN_TAG_PRON},
    {"In", NGC_GEN_TAG_ADP},     {"?", NGC_GEN_TAG_DOT},
    {"!", NGC_GEN_TAG_DOT},      {"-", NGC_GEN_TAG_DOT},
    {"--", NGC_GEN_TAG_DOT},     {"A", NGC_GEN_TAG_DET},
    {"time", NGC_GEN_TAG_NOUN},  {"people", NGC_GEN_TAG_NOUN},
    {"did", NGC_GEN_TAG_VERB},   {"don't", NGC_GEN_TAG_VERB},
    {"U.S.", NGC_GEN_TAG_NOUN},  {"etc.", NGC_GEN_TAG_X},
    {"Mr.", NGC_GEN_TAG_NOUN},   {"1", NGC_GEN_TAG_NUM},
    {"2", NGC_GEN_TAG_NUM},      {"world", NGC_GEN_TAG_NOUN},
    {"new", NGC_GEN_TAG_ADJ},    {"first", NGC_GEN_TAG_ADJ},
    {"years", NGC_GEN_TAG_NOUN}, {"work", NGC_GEN_TAG_NOUN},
    {"made", NGC_GEN_TAG_VERB},  {"caf\xc3\xa9", NGC_GEN_TAG_NOUN},
};

#define NGC_GEN_NFIXED (sizeof(ngc_gen_fixed) / sizeof(ngc_gen_fixed[0]))

/* tag-only tokens: "_NOUN_" .. "_._", then these */
static const char *const ngc_gen_tag_only_extra[] = {"_START_", "_END_"};
#define NGC_GEN_NTAG_ONLY (NGC_GEN_NTAGS + 2)

/* ---- vocabulary */

/* ngc_gen_vocab1() at work: the records so far, kept distinct by set */
typedef struct {
    ngc_gen_rng_t rng;
    ngc_gen_set_t set;
    ngc_gen_arena_t *a; /* the strings, the caller's */
    ngc_gen_rec_t *rec; /* count records: key = sort key, val = string offset */
    uint64_t got;       /* records filled */
    uint64_t count;     /* records wanted */
} ngc_gen_vocab1_build_t;

int ngc_gen_store_ranks(ngc_gen_rec_t *rec, uint64_t count, ngc_gen_arena_t *a)
{
    ngc_gen_rec_t *tmp = ngc_gen_alloc(count, sizeof(*tmp));
    uint64_t k;

    if (tmp == NULL) {
        return NGC_GEN_ERROR;
    }
    ngc_gen_radix(rec, tmp, count);
    free(tmp);
    for (k = 0; k < count; k++) {
        uint32_t rank = (uint32_t)k;
        memcpy(a->p + rec[k].val - 4, &rank, 4);
    }
    return NGC_GEN_OK;
}

/* the tag-only tokens, one per 50 of count up to all of them; their keys
 * put them among the 256 most frequent base words. NGC_GEN_ERROR when the
 * arena cannot grow */
static int ngc_gen_add_tag_only(ngc_gen_vocab1_build_t *v)
{
    char word[NGC_GEN_TOKEN_MAX];
    uint64_t nt = v->count / 50 < NGC_GEN_NTAG_ONLY ? v->count / 50 : NGC_GEN_NTAG_ONLY, k;
    size_t len, off;
    int rc;

    for (k = 0; k < nt; k++) {
        if (k < NGC_GEN_NTAGS) {
            len = (size_t)snprintf(word, sizeof(word), "_%s_", ngc_gen_tags[k]);
        } else {
            len = (size_t)snprintf(word, sizeof(word), "%s",
                                   ngc_gen_tag_only_extra[k - NGC_GEN_NTAGS]);
        }
        rc = ngc_gen_set_add(&v->set, v->a, word, len, 0, &off);
        if (rc < 0) {
            return NGC_GEN_ERROR;
        }
        ngc_gen_assert(rc == 1); /* the first words of an empty set */
        v->rec[v->got].key = (uint64_t)ngc_gen_rand(&v->rng, 256) * 64 + 1;
        v->rec[v->got++].val = off;
    }
    return NGC_GEN_OK;
}

/* base word n into word (*len its bytes): a fixed one while n is below
 * their number, else a generated one. Returns the tag it carries first */
static ngc_gen_tag_t ngc_gen_base_word(ngc_gen_rng_t *rng, uint64_t n, double utf8_share,
                                       char *word, size_t *len)
{
    ngc_gen_cls_t cls;

    if (n < NGC_GEN_NFIXED) {
        *len = strlen(ngc_gen_fixed[n].word);
        memcpy(word, ngc_gen_fixed[n].word, *len + 1);
        return ngc_gen_fixed[n].tag;
    }
    cls = ngc_gen_word(rng, n, utf8_share, word, len);
    return cls == NGC_GEN_CLS_NUM ? NGC_GEN_TAG_NUM : ngc_gen_pick_tag(rng);
}

/* draws tags[j] until it differs from tags[0..j); false if 32 draws do not */
static bool ngc_gen_pick_new_tag(ngc_gen_rng_t *rng, ngc_gen_tag_t *tags, unsigned j)
{
    unsigned tries, i;

    for (tries = 0; tries < 32; tries++) {
        tags[j] = ngc_gen_pick_tag(rng);
        for (i = 0; i < j && tags[i] != tags[j]; i++) {
            /* is it new? */
        }
        if (i == j) {
            return true;
        }
    }
    return false;
}

/* how many tagged variants a base word with first tag tags[0] gets: none
 * for most, else 1..3 (1 for punctuation) with distinct tags[1..) */
static unsigned ngc_gen_pick_tags(ngc_gen_rng_t *rng, double pos_share, ngc_gen_tag_t *tags)
{
    unsigned ntags, j;
    uint32_t r;

    if (!ngc_gen_chance(ngc_gen_next(rng), pos_share)) {
        return 0;
    }
    r = ngc_gen_rand(rng, 10);
    ntags = r < 6 ? 1 : r < 9 ? 2 : 3;
    if (tags[0] == NGC_GEN_TAG_DOT) {
        ntags = 1;
    }
    for (j = 1; j < ntags; j++) {
        if (!ngc_gen_pick_new_tag(rng, tags, j)) {
            ntags = j;
        }
    }
    return ntags;
}

/* adds word_TAG for tags[0..ntags) of base word n while there is room; a
 * variant ranks below its base word, a later tag mostly lower still */
static int ngc_gen_add_tagged(ngc_gen_vocab1_build_t *v, uint64_t n, const char *word, size_t len,
                              const ngc_gen_tag_t *tags, unsigned ntags)
{
    char tagged[NGC_GEN_TOKEN_MAX + 8];
    size_t tl, off;
    unsigned j;
    int rc;

    for (j = 0; j < ntags && v->got < v->count; j++) {
        tl = strlen(ngc_gen_tags[tags[j]]);
        memcpy(tagged, word, len);
        tagged[len] = '_';
        memcpy(tagged + len + 1, ngc_gen_tags[tags[j]], tl + 1);
        rc = ngc_gen_set_add(&v->set, v->a, tagged, len + 1 + tl, 0, &off);
        if (rc < 0) {
            return NGC_GEN_ERROR;
        }
        if (rc == 1) {
            uint64_t mul = 2 + 2 * j + ngc_gen_rand(&v->rng, 3);
            v->rec[v->got].key = (n + 1) * 64 * mul + ngc_gen_rand(&v->rng, 64);
            v->rec[v->got++].val = off;
        }
    }
    return NGC_GEN_OK;
}

/* adds base word n and its tagged variants: 1, 0 if the word is one we
 * have (nothing added), or NGC_GEN_ERROR */
static int ngc_gen_add_word(ngc_gen_vocab1_build_t *v, const ngc_gen_config_t *cfg, uint64_t n)
{
    char word[NGC_GEN_TOKEN_MAX];
    ngc_gen_tag_t tags[3];
    unsigned ntags;
    size_t len, off;
    int rc;

    tags[0] = ngc_gen_base_word(&v->rng, n, cfg->utf8_share, word, &len);
    rc = ngc_gen_set_add(&v->set, v->a, word, len, 0, &off);
    if (rc != 1) {
        return rc;
    }
    v->rec[v->got].key = n * 64 + 32;
    v->rec[v->got++].val = off;
    ntags = ngc_gen_pick_tags(&v->rng, cfg->pos_share, tags);
    if (ngc_gen_add_tagged(v, n, word, len, tags, ntags) != NGC_GEN_OK) {
        return NGC_GEN_ERROR;
    }
    return 1;
}

/*
 * Builds count distinct 1-gram tokens into a: generated base words (the
 * fixed frequent ones first), tagged variants of a pos_share of them, and
 * tag-only tokens. Ranks them by frequency (rank 0 most frequent) and stores
 * each rank before its string. On success *out holds count records whose
 * val is a string offset, in rank order; the caller frees it.
 */
int ngc_gen_vocab1(const ngc_gen_config_t *cfg, uint64_t count, ngc_gen_arena_t *a,
                   ngc_gen_rec_t **out)
{
    ngc_gen_vocab1_build_t v = {.a = a, .count = count};
    uint64_t n = 0;
    int rc;

    ngc_gen_rng_init(&v.rng, cfg->seed, NGC_GEN_STREAM_VOCAB);
    if (ngc_gen_set_init(&v.set, count) != NGC_GEN_OK) {
        return NGC_GEN_ERROR;
    }
    v.rec = ngc_gen_alloc(count, sizeof(*v.rec));
    if (v.rec == NULL) {
        goto fail_set;
    }
    if (ngc_gen_add_tag_only(&v) != NGC_GEN_OK) {
        goto fail_rec;
    }
    while (v.got < count) {
        rc = ngc_gen_add_word(&v, cfg, n);
        if (rc < 0) {
            goto fail_rec;
        }
        /* after a duplicate, a fixed word is skipped; generated word n is drawn again */
        if (rc == 1 || n < NGC_GEN_NFIXED) {
            n++;
        }
    }
    ngc_gen_set_fini(&v.set);
    if (ngc_gen_store_ranks(v.rec, count, a) != NGC_GEN_OK) {
        goto fail_rec;
    }
    *out = v.rec;
    return NGC_GEN_OK;

fail_rec:
    free(v.rec);
fail_set:
    ngc_gen_set_fini(&v.set);
    return NGC_GEN_ERROR;
}

/* ---- text vocabulary */

/* function words that ngc_gen_fixed lacks, contractions among them */
static const char *const ngc_gen_text_extra[] = {
    "she",   "him",     "me",     "my",   "what",  "do",     "said",   "its",     "our",
    "your",  "them",    "than",   "into", "out",   "up",     "about",  "some",    "only",
    "other", "may",     "these",  "such", "two",   "any",    "could",  "should",  "very",
    "after", "also",    "most",   "must", "over",  "then",   "now",    "where",   "how",
    "why",   "it's",    "can't",  "I'm",  "won't", "isn't",  "didn't", "doesn't", "wasn't",
    "we're", "they're", "you're", "I've", "let's", "o'clock"};

/* true if fixed word k is punctuation or the capitalised twin of another */
static bool ngc_gen_text_skip(size_t k)
{
    const char *w = ngc_gen_fixed[k].word;
    char low[16];
    size_t n = strlen(w), j;

    if (ngc_gen_fixed[k].tag == NGC_GEN_TAG_DOT) {
        return true;
    }
    if (w[0] < 'A' || w[0] > 'Z' || n >= sizeof(low)) {
        return false;
    }
    memcpy(low, w, n + 1);
    low[0] = (char)(w[0] + 32);
    for (j = 0; j < NGC_GEN_NFIXED; j++) {
        if (strcmp(ngc_gen_fixed[j].word, low) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * Builds the count distinct words of --format text in rank order (the
 * most frequent first): the fixed function words, then words from
 * ngc_gen_word(), so frequent words are short.
 */
int ngc_gen_vocab_text(const ngc_gen_config_t *cfg, uint64_t count, ngc_gen_arena_t *a,
                       uint64_t **off, uint8_t **wlen, ngc_gen_alias_t *walias)
{
    ngc_gen_rng_t rng;
    ngc_gen_set_t set;
    char word[NGC_GEN_TOKEN_MAX];
    uint64_t got = 0, n;
    size_t len, o, k;
    int rc;

    ngc_gen_assert(count <= NGC_GEN_TEXT_VOCAB_MAX);
    *off = ngc_gen_alloc(count, sizeof(**off));
    *wlen = ngc_gen_alloc(count, sizeof(**wlen));
    if (*off == NULL || *wlen == NULL) {
        return NGC_GEN_ERROR;
    }
    if (ngc_gen_set_init(&set, count) != NGC_GEN_OK) {
        return NGC_GEN_ERROR;
    }
    ngc_gen_rng_init(&rng, cfg->seed, NGC_GEN_STREAM_WORDS);
    for (n = 0; got < count; n++) {
        const char *w = NULL;
        if (n < NGC_GEN_NFIXED) {
            if (ngc_gen_text_skip((size_t)n)) {
                continue;
            }
            w = ngc_gen_fixed[n].word;
        } else if (n < NGC_GEN_NFIXED + NGC_GEN_NELTS(ngc_gen_text_extra)) {
            w = ngc_gen_text_extra[n - NGC_GEN_NFIXED];
        }
        if (w != NULL) {
            len = strlen(w);
            memcpy(word, w, len + 1);
        } else {
            ngc_gen_word(&rng, n, cfg->utf8_share, word, &len);
        }
        rc = ngc_gen_set_add(&set, a, word, len, (uint32_t)got, &o);
        if (rc < 0) {
            ngc_gen_set_fini(&set);
            return NGC_GEN_ERROR;
        }
        if (rc == 1) {
            ngc_gen_assert(len < NGC_GEN_TOKEN_MAX);
            (*off)[got] = o;
            (*wlen)[got++] = (uint8_t)len;
        }
    }
    ngc_gen_set_fini(&set);
    for (k = 0; k < count; k++) {
        ngc_gen_assert(a->p[(*off)[k]] != '\0');
    }
    if (ngc_gen_alias_init(walias, (uint32_t)count, cfg->zipf) != NGC_GEN_OK) {
        /* it freed its arrays already; keep the caller from doing so */
        memset(walias, 0, sizeof(*walias));
        return NGC_GEN_ERROR;
    }
    return NGC_GEN_OK;
}
