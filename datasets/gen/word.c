/*
 * word.c: see word.h. Each statement makes at most one random draw:
 * the order in which C evaluates arguments is unspecified.
 */

#include "datasets/gen/word.h"
#include "datasets/gen/config.h"
#include "datasets/gen/digits.h"

#include <stdbool.h>
#include <stdio.h>

/* per mille: how often a generated word carries each tag */
static const uint16_t ngc_gen_tag_weight[NGC_GEN_NTAGS] = {450, 220, 180, 80, 5,  5,
                                                           10,  5,   5,   10, 30, 0};

static const char *const ngc_gen_onsets[] = {
    "b",  "c",  "d",  "f",  "g",  "h",  "j",  "k",   "l",  "m",  "n",  "p",  "r",  "s",  "t",  "v",
    "w",  "y",  "z",  "bl", "br", "ch", "cl", "cr",  "dr", "fl", "fr", "gl", "gr", "pl", "pr", "sc",
    "sh", "sk", "sl", "sm", "sn", "sp", "st", "str", "sw", "th", "tr", "wh", "qu", "",   "",   ""};
static const char *const ngc_gen_vowels[] = {"a",  "e",  "i",  "o",  "u",  "a",  "e",  "i", "o",
                                             "ea", "ee", "ai", "ou", "oo", "io", "ie", "y"};
static const char *const ngc_gen_codas[] = {"",   "",   "",   "n",  "r",  "s",  "t",  "l",
                                            "m",  "d",  "nd", "nt", "st", "ng", "rt", "ck",
                                            "ll", "ss", "x",  "rd", "ld", "sh", "ch", "th"};
static const char *const ngc_gen_suffixes[] = {"ing",  "ed",   "s",    "es",   "ly",  "er",
                                               "tion", "ment", "ness", "able", "ous", "ive",
                                               "al",   "ity",  "ism",  "ist"};

typedef struct {
    uint32_t cp[NGC_GEN_TOKEN_CPS];
    size_t n;
} ngc_gen_cps_t;

static void ngc_gen_cps_put(ngc_gen_cps_t *w, uint32_t c)
{
    if (w->n < NGC_GEN_TOKEN_CPS) {
        w->cp[w->n++] = c;
    }
}

static void ngc_gen_cps_str(ngc_gen_cps_t *w, const char *s)
{
    while (*s != '\0') {
        ngc_gen_cps_put(w, (unsigned char)*s++);
    }
}

static size_t ngc_gen_cps_utf8(const ngc_gen_cps_t *w, char *out)
{
    size_t i, n = 0;

    for (i = 0; i < w->n; i++) {
        uint32_t c = w->cp[i];
        if (c < 0x80) {
            out[n++] = (char)c;
        } else if (c < 0x800) {
            out[n++] = (char)(0xc0 | (c >> 6));
            out[n++] = (char)(0x80 | (c & 0x3f));
        } else {
            out[n++] = (char)(0xe0 | (c >> 12));
            out[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
            out[n++] = (char)(0x80 | (c & 0x3f));
        }
    }
    out[n] = '\0';
    return n;
}

uint32_t ngc_gen_upper(uint32_t c)
{
    if (c >= 'a' && c <= 'z') {
        return c - 32;
    }
    if (c >= 0xe0 && c <= 0xfe && c != 0xf7) {
        return c - 0x20;
    }
    if (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) {
        return c - 0x20;
    }
    if (c >= 0x430 && c <= 0x44f) {
        return c - 0x20;
    }
    return c;
}

static void ngc_gen_syllables(ngc_gen_rng_t *rng, unsigned nsyl, ngc_gen_cps_t *w)
{
    unsigned s;

    for (s = 0; s < nsyl && w->n < 24; s++) {
        uint64_t r = ngc_gen_next(rng);
        if (s == 0 || (r & 7) != 0) {
            ngc_gen_cps_str(w, ngc_gen_onsets[ngc_gen_below(r, NGC_GEN_NELTS(ngc_gen_onsets))]);
        }
        r = ngc_gen_next(rng);
        ngc_gen_cps_str(w, ngc_gen_vowels[ngc_gen_below(r, NGC_GEN_NELTS(ngc_gen_vowels))]);
        if ((r & 7) < (s + 1 == nsyl ? 5u : 2u)) {
            ngc_gen_cps_str(w, ngc_gen_codas[(r >> 3) % NGC_GEN_NELTS(ngc_gen_codas)]);
        }
    }
}

/* a lowercase word; frequent (small n) words are short */
static void ngc_gen_plain(ngc_gen_rng_t *rng, uint64_t n, ngc_gen_cps_t *w)
{
    unsigned bl = ngc_gen_bitlen(n), maxsyl = 1 + (bl / 6 < 2 ? bl / 6 : 2);
    uint64_t r;

    ngc_gen_syllables(rng, 1 + ngc_gen_rand(rng, maxsyl), w);
    r = ngc_gen_next(rng);
    if (bl >= 8 && (r & 3) == 0) {
        ngc_gen_cps_str(w, ngc_gen_suffixes[ngc_gen_below(r, NGC_GEN_NELTS(ngc_gen_suffixes))]);
    }
}

static void ngc_gen_accent(ngc_gen_rng_t *rng, ngc_gen_cps_t *w)
{
    static const uint32_t a[] = {0xe1, 0xe0, 0xe2, 0xe4, 0xe3, 0xe5};
    static const uint32_t e[] = {0xe9, 0xe8, 0xea, 0xeb};
    static const uint32_t i[] = {0xed, 0xec, 0xee, 0xef};
    static const uint32_t o[] = {0xf3, 0xf2, 0xf4, 0xf6, 0xf5, 0xf8};
    static const uint32_t u[] = {0xfa, 0xf9, 0xfb, 0xfc};
    size_t k;
    bool done = false;

    for (k = 0; k < w->n; k++) {
        uint64_t r = ngc_gen_next(rng);
        uint32_t c = w->cp[k];
        if (r % 3 != 0 && !(k + 1 == w->n && !done)) {
            continue;
        }
        r >>= 8;
        switch (c) {
        case 'a':
            c = a[r % NGC_GEN_NELTS(a)];
            break;
        case 'e':
            c = e[r % NGC_GEN_NELTS(e)];
            break;
        case 'i':
            c = i[r % NGC_GEN_NELTS(i)];
            break;
        case 'o':
            c = o[r % NGC_GEN_NELTS(o)];
            break;
        case 'u':
            c = u[r % NGC_GEN_NELTS(u)];
            break;
        case 'n':
            c = 0xf1;
            break;
        case 'c':
            c = 0xe7;
            break;
        case 's':
            c = k > 0 ? 0xdf : c;
            break;
        default:
            break;
        }
        if (c != w->cp[k]) {
            w->cp[k] = c;
            done = true;
        }
    }
    if (!done) {
        ngc_gen_cps_put(w, 0xe9);
    }
}

static void ngc_gen_number(ngc_gen_rng_t *rng, ngc_gen_cps_t *w)
{
    char b[32];
    uint32_t v, w2, w3;

    /* one random draw per statement: argument order is unspecified */
    switch (ngc_gen_rand(rng, 7)) {
    case 0:
        v = NGC_GEN_YEAR_MIN + ngc_gen_rand(rng, NGC_GEN_NYEARS);
        snprintf(b, sizeof(b), "%u", (unsigned)v);
        break;
    case 1:
        snprintf(b, sizeof(b), "%u", (unsigned)ngc_gen_rand(rng, 1000));
        break;
    case 2:
        snprintf(b, sizeof(b), "%u", (unsigned)ngc_gen_rand(rng, 100000));
        break;
    case 3: {
        const char *sfx;
        v = 1 + ngc_gen_rand(rng, 200);
        if (v % 100 >= 11 && v % 100 <= 13) {
            sfx = "th";
        } else {
            sfx = v % 10 == 1 ? "st" : v % 10 == 2 ? "nd" : v % 10 == 3 ? "rd" : "th";
        }
        snprintf(b, sizeof(b), "%u%s", (unsigned)v, sfx);
        break;
    }
    case 4:
        v = ngc_gen_rand(rng, 100);
        w2 = ngc_gen_rand(rng, 100);
        snprintf(b, sizeof(b), "%u.%02u", (unsigned)v, (unsigned)w2);
        break;
    case 5:
        v = 1 + ngc_gen_rand(rng, 999);
        w2 = ngc_gen_rand(rng, 4) == 0 ? ngc_gen_rand(rng, 1000) : 0;
        snprintf(b, sizeof(b), "%u,%03u", (unsigned)v, (unsigned)w2);
        break;
    default:
        v = ngc_gen_rand(rng, 2);
        w2 = ngc_gen_rand(rng, 26);
        w3 = 1 + ngc_gen_rand(rng, 99);
        snprintf(b, sizeof(b), "%c%s%u", 'A' + (int)w2, v ? "-" : "", (unsigned)w3);
        break;
    }
    ngc_gen_cps_str(w, b);
}

static void ngc_gen_utf8_word(ngc_gen_rng_t *rng, uint64_t n, ngc_gen_cps_t *w)
{
    uint32_t kind = ngc_gen_rand(rng, 100), len, k, c;

    if (kind < 50) {
        ngc_gen_plain(rng, n, w);
        ngc_gen_accent(rng, w);
        if (ngc_gen_rand(rng, 3) == 0) {
            w->cp[0] = ngc_gen_upper(w->cp[0]);
        }
    } else if (kind < 65) {
        len = 2 + ngc_gen_rand(rng, 9);
        for (k = 0; k < len; k++) {
            do {
                c = 0x3b1 + ngc_gen_rand(rng, 25);
            } while (c == 0x3c2);
            ngc_gen_cps_put(w, k == 0 && ngc_gen_rand(rng, 3) == 0 ? ngc_gen_upper(c) : c);
        }
    } else if (kind < 85) {
        len = 2 + ngc_gen_rand(rng, 10);
        for (k = 0; k < len; k++) {
            c = 0x430 + ngc_gen_rand(rng, 32);
            ngc_gen_cps_put(w, k == 0 && ngc_gen_rand(rng, 3) == 0 ? ngc_gen_upper(c) : c);
        }
    } else {
        len = 1 + ngc_gen_rand(rng, 4);
        for (k = 0; k < len; k++) {
            ngc_gen_cps_put(w, 0x4e00 + ngc_gen_rand(rng, 0x51a6));
        }
    }
}

/* a plain word of order n with an apostrophe: A'Aang, o'clock, 'tis, or
 * else 's or n't after it; into the empty w */
static void ngc_gen_apostrophe_word(ngc_gen_rng_t *rng, uint64_t n, ngc_gen_cps_t *w)
{
    ngc_gen_cps_t v;
    size_t k;

    v.n = 0;
    ngc_gen_plain(rng, n, &v);
    switch (ngc_gen_rand(rng, 5)) {
    case 0: /* A'Aang */
        ngc_gen_cps_put(w, 'A' + ngc_gen_rand(rng, 26));
        ngc_gen_cps_put(w, '\'');
        v.cp[0] = ngc_gen_upper(v.cp[0]);
        break;
    case 1: /* o'clock */
        ngc_gen_cps_str(w, ngc_gen_rand(rng, 2) ? "o'" : "d'");
        break;
    case 2: /* 'tis */
        ngc_gen_cps_put(w, '\'');
        break;
    default:
        break;
    }
    for (k = 0; k < v.n; k++) {
        ngc_gen_cps_put(w, v.cp[k]);
    }
    if (w->n == v.n) {
        ngc_gen_cps_str(w, ngc_gen_rand(rng, 2) ? "'s" : "n't");
    }
}

/* an abbreviation with dots: U.S.A., e.g., etc. or Mr.; into the empty w */
static void ngc_gen_dotted_word(ngc_gen_rng_t *rng, ngc_gen_cps_t *w)
{
    uint32_t k;

    switch (ngc_gen_rand(rng, 4)) {
    case 0: /* U.S.A. */
        for (k = 2 + ngc_gen_rand(rng, 3); k > 0; k--) {
            ngc_gen_cps_put(w, 'A' + ngc_gen_rand(rng, 26));
            ngc_gen_cps_put(w, '.');
        }
        break;
    case 1: /* e.g. */
        for (k = 2; k > 0; k--) {
            ngc_gen_cps_put(w, 'a' + ngc_gen_rand(rng, 26));
            ngc_gen_cps_put(w, '.');
        }
        break;
    default: /* etc. Mr. */
        ngc_gen_plain(rng, 1, w);
        if (ngc_gen_rand(rng, 2)) {
            w->cp[0] = ngc_gen_upper(w->cp[0]);
        }
        ngc_gen_cps_put(w, '.');
        break;
    }
}

/*
 * Writes one generated base token (never with '_', space, tab or newline)
 * to out (NGC_GEN_TOKEN_MAX bytes); n is its frequency order.
 */
ngc_gen_cls_t ngc_gen_word(ngc_gen_rng_t *rng, uint64_t n, double utf8_share, char *out,
                           size_t *len)
{
    ngc_gen_cps_t w;
    ngc_gen_cls_t cls = NGC_GEN_CLS_WORD;
    uint32_t kind, k;

    w.n = 0;
    if (ngc_gen_chance(ngc_gen_next(rng), utf8_share)) {
        ngc_gen_utf8_word(rng, n, &w);
        *len = ngc_gen_cps_utf8(&w, out);
        return cls;
    }
    kind = ngc_gen_rand(rng, 1000);
    if (kind < 180) { /* Capitalised */
        ngc_gen_plain(rng, n, &w);
        w.cp[0] = ngc_gen_upper(w.cp[0]);
    } else if (kind < 200) { /* ALL CAPS */
        ngc_gen_plain(rng, n, &w);
        for (k = 0; k < w.n; k++) {
            w.cp[k] = ngc_gen_upper(w.cp[k]);
        }
    } else if (kind < 230) { /* apostrophes */
        ngc_gen_apostrophe_word(rng, n, &w);
    } else if (kind < 250) { /* dots */
        ngc_gen_dotted_word(rng, &w);
    } else if (kind < 290) { /* digits */
        ngc_gen_number(rng, &w);
        cls = NGC_GEN_CLS_NUM;
    } else if (kind < 320) { /* well-known */
        ngc_gen_plain(rng, n >> 4, &w);
        ngc_gen_cps_put(&w, '-');
        ngc_gen_plain(rng, n >> 4, &w);
    } else {
        ngc_gen_plain(rng, n, &w);
    }
    *len = ngc_gen_cps_utf8(&w, out);
    return cls;
}

ngc_gen_tag_t ngc_gen_pick_tag(ngc_gen_rng_t *rng)
{
    uint32_t r = ngc_gen_rand(rng, 1000), sum = 0;
    unsigned t;

    for (t = 0; t < NGC_GEN_NTAGS; t++) {
        sum += ngc_gen_tag_weight[t];
        if (r < sum) {
            return (ngc_gen_tag_t)t;
        }
    }
    return NGC_GEN_TAG_NOUN;
}
