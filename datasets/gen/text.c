/*
 * text.c: see text.h. Words come from one stream, lines from a second,
 * malformed lines from a third, so the valid lines never depend on them.
 */

#include "datasets/gen/text.h"
#include "datasets/gen/config.h"
#include "datasets/gen/log.h"
#include "datasets/gen/word.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NGC_GEN_EM_DASH "\xe2\x80\x94"

/* styles of quotation: straight double (twice as likely), curly, single */
static const char *const ngc_gen_quote_open[4] = {"\"", "\"", "\xe2\x80\x9c", "'"};
static const char *const ngc_gen_quote_close[4] = {"\"", "\"", "\xe2\x80\x9d", "'"};

/*
 * text --malformed: the invalid UTF-8 of the kinds fields (bytes never in
 * UTF-8), number (a lead byte short of its continuation bytes), negative (a
 * continuation byte with no lead) and year (overlong forms, a UTF-16
 * surrogate, a code point past U+10FFFF)
 */
static const char *const ngc_gen_bad_utf8[NGC_GEN_BAD_LONG][4] = {
    {"\xff", "\xfe", "\xff\xfe", "\xc1\xbf"},
    {"\xc3", "\xe2\x80", "\xf0\x9f\x98", "\xe2"},
    {"\x80", "\xa9", "\xbf", "\x80\x80"},
    {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"},
};

/* room for n more bytes in b */
static int ngc_gen_buf_reserve(ngc_gen_buf_t *b, size_t n)
{
    size_t cap;
    char *p;

    if (b->cap - b->len >= n) {
        return NGC_GEN_OK;
    }
    cap = b->cap != 0 ? b->cap : (64u << 10);
    while (cap - b->len < n) {
        cap *= 2;
    }
    p = realloc(b->p, cap);
    if (p == NULL) {
        ngc_gen_log(errno, "realloc() of %zu bytes failed", cap);
        return NGC_GEN_ERROR;
    }
    b->p = p;
    b->cap = cap;
    return NGC_GEN_OK;
}

/* appends s; the caller reserved the room */
static inline void ngc_gen_buf_str(ngc_gen_buf_t *b, const char *s)
{
    size_t n = strlen(s);

    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* appends 1..4 blanks, spaces or TABs, chosen by the low 6 bits of r */
static void ngc_gen_buf_blanks(ngc_gen_buf_t *b, uint64_t r)
{
    unsigned n = 1 + (unsigned)(r & 3), i;

    for (i = 0; i < n; i++) {
        b->p[b->len++] = (r >> (2 + i)) & 1 ? '\t' : ' ';
    }
}

/* capitalises the UTF-8 character at p when its capital has the same size */
static void ngc_gen_capital(char *p)
{
    unsigned char c = (unsigned char)p[0];
    uint32_t cp, up;

    if (c < 0x80) {
        p[0] = (char)ngc_gen_upper(c);
        return;
    }
    if ((c & 0xe0) != 0xc0) {
        return; /* 3-byte letters (CJK) have no case */
    }
    cp = ((uint32_t)(c & 0x1f) << 6) | ((unsigned char)p[1] & 0x3f);
    up = ngc_gen_upper(cp);
    if (up != cp && up >= 0x80 && up < 0x800) {
        p[0] = (char)(0xc0 | (up >> 6));
        p[1] = (char)(0x80 | (up & 0x3f));
    }
}

/* the words of one sentence: 1..60, or 1 in 1024 300..1599 (2..10 KB) */
static uint32_t ngc_gen_text_len(ngc_gen_rng_t *rng)
{
    uint64_t r = ngc_gen_next(rng);
    uint32_t n;

    if ((r & 1023) == 0) {
        return 300 + (uint32_t)((r >> 10) % 1300);
    }
    n = 1 + (uint32_t)((r >> 10) % 20) + (uint32_t)((r >> 20) % 20);
    if (((r >> 30) & 3) == 0) {
        n += (uint32_t)((r >> 32) % 22);
    }
    return n;
}

/* between two words: a space mostly, else a run of spaces, TABs or a
 * dash, chosen by the bits of r */
static void ngc_gen_put_separator(ngc_gen_buf_t *b, uint64_t r)
{
    unsigned sep = (unsigned)(r & 1023);

    if (sep < 1016) {
        b->p[b->len++] = ' ';
    } else if (sep < 1019) {
        unsigned k = 2 + (unsigned)((r >> 60) & 3);
        memset(b->p + b->len, ' ', k);
        b->len += k;
    } else if (sep < 1021) {
        static const char *const tabs[4] = {"\t", " \t", "\t\t", "\t  "};
        ngc_gen_buf_str(b, tabs[(r >> 60) & 3]);
    } else {
        ngc_gen_buf_str(b, (r >> 59) & 1 ? " " NGC_GEN_EM_DASH " " : " -- ");
    }
}

/* before a word, by the bits of r: maybe opens a quotation (*quote gets 1
 * + its style) or a parenthesis, when none is open */
static void ngc_gen_put_open(ngc_gen_buf_t *b, uint64_t r, unsigned *quote, bool *paren)
{
    unsigned open = (unsigned)((r >> 10) & 1023);

    if (open < 5 && *quote == 0) {
        *quote = 1 + (unsigned)((r >> 30) & 3);
        ngc_gen_buf_str(b, ngc_gen_quote_open[*quote - 1]);
    } else if (open < 10 && !*paren) {
        *paren = true;
        b->p[b->len++] = '(';
    }
}

/* word w, capitalised if first, and by the bits of r maybe 's */
static void ngc_gen_put_word(const ngc_gen_t *g, ngc_gen_buf_t *b, uint32_t w, uint64_t r,
                             bool first)
{
    unsigned mid = (unsigned)((r >> 20) & 1023);
    size_t n = g->wlen[w], at = b->len;

    memcpy(b->p + b->len, g->arena.p + g->off[w], n);
    b->len += n;
    if (first) {
        ngc_gen_capital(b->p + at);
    }
    if (mid < 12 && w >= NGC_GEN_TEXT_PLAIN) {
        ngc_gen_buf_str(b, "'s"); /* not on function words */
    }
}

/* after a word that is not the last, by the bits of r: maybe closes the
 * quotation, then maybe , ; : ... or a dash; true if the dash glues the
 * next word on */
static bool ngc_gen_put_inner(ngc_gen_buf_t *b, uint64_t r, unsigned *quote)
{
    unsigned mid = (unsigned)((r >> 20) & 1023);

    if (*quote != 0 && ((r >> 34) & 3) == 0) {
        ngc_gen_buf_str(b, ngc_gen_quote_close[*quote - 1]);
        *quote = 0;
    }
    if (mid >= 12 && mid < 87) {
        b->p[b->len++] = ',';
    } else if (mid >= 87 && mid < 92) {
        b->p[b->len++] = ';';
    } else if (mid >= 92 && mid < 95) {
        b->p[b->len++] = ':';
    } else if (mid >= 95 && mid < 97) {
        ngc_gen_buf_str(b, "...");
    } else if (mid >= 97 && mid < 99) {
        ngc_gen_buf_str(b, NGC_GEN_EM_DASH); /* word—word */
        return true;
    }
    return false;
}

/* after the last word, by the bits of r: . ? ! ... or nothing, inside or
 * outside the open quotation (1 + its style, or 0), then maybe blanks */
static void ngc_gen_put_end(ngc_gen_buf_t *b, uint64_t r, unsigned quote)
{
    unsigned end = (unsigned)((r >> 36) & 255);

    if (quote != 0 && ((r >> 44) & 1)) {
        ngc_gen_buf_str(b, ngc_gen_quote_close[quote - 1]);
        quote = 0;
    }
    ngc_gen_buf_str(b, end < 176   ? "."
                       : end < 206 ? "?"
                       : end < 218 ? "!"
                       : end < 228 ? "..."
                                   : "");
    if (quote != 0) {
        ngc_gen_buf_str(b, ngc_gen_quote_close[quote - 1]);
    }
    if (((r >> 45) & 63) == 0) {
        ngc_gen_buf_blanks(b, r >> 51);
    }
}

/*
 * Writes one sentence into b (no terminator): nwords words, then more until
 * b holds min_bytes. The first word is capitalised; punctuation sticks to
 * the words; a few separators are runs of spaces, TABs or a lone dash.
 * Every random draw comes from rng, one or two per word.
 */
static int ngc_gen_sentence(const ngc_gen_t *g, ngc_gen_rng_t *rng, ngc_gen_buf_t *b,
                            uint32_t nwords, size_t min_bytes)
{
    unsigned quote = 0; /* 1 + style of the open quotation, or 0 */
    bool paren = false, glue = false, last = false;
    uint32_t i;
    uint64_t r;

    b->len = 0;
    r = ngc_gen_next(rng);
    if (ngc_gen_buf_reserve(b, 8) != NGC_GEN_OK) {
        return NGC_GEN_ERROR;
    }
    if ((r & 63) == 0) {
        ngc_gen_buf_blanks(b, r >> 6);
    }
    for (i = 0; !last; i++) {
        uint32_t w = ngc_gen_alias_draw(&g->walias, rng);

        /* this word's choices all come from the bits of one draw; 64 bytes
         * is room for everything around it */
        r = ngc_gen_next(rng);
        if (ngc_gen_buf_reserve(b, g->wlen[w] + 64) != NGC_GEN_OK) {
            return NGC_GEN_ERROR;
        }
        if (i > 0 && !glue) {
            ngc_gen_put_separator(b, r);
        }
        ngc_gen_put_open(b, r, &quote, &paren);
        ngc_gen_put_word(g, b, w, r, i == 0);
        last = i + 1 >= nwords && b->len >= min_bytes;
        if (paren && (last || ((r >> 32) & 3) == 0)) {
            b->p[b->len++] = ')';
            paren = false;
        }
        if (last) {
            ngc_gen_put_end(b, r, quote);
        } else {
            glue = ngc_gen_put_inner(b, r, &quote);
        }
    }
    return NGC_GEN_OK;
}

/* words as a tokenizer splitting on spaces and TABs counts them */
static uint64_t ngc_gen_count_words(const char *p, size_t n)
{
    uint64_t words = 0;
    bool in = false;
    size_t i;

    for (i = 0; i < n; i++) {
        bool blank = p[i] == ' ' || p[i] == '\t';
        if (!blank && !in) {
            words++;
        }
        in = !blank;
    }
    return words;
}

/* writes run->line and its terminator */
static int ngc_gen_text_line(ngc_gen_run_t *run)
{
    ngc_gen_buf_t *b = &run->line;

    if (ngc_gen_buf_reserve(b, 2) != NGC_GEN_OK) {
        return NGC_GEN_ERROR;
    }
    run->st->words += ngc_gen_count_words(b->p, b->len);
    run->st->lines++;
    memcpy(b->p + b->len, run->eol, run->eol_len);
    return ngc_gen_out_write(run->o, b->p, b->len + run->eol_len);
}

/*
 * A malformed text line: a sentence from the malformed stream with invalid
 * UTF-8 put at a character boundary, or for 'long' a sentence of more than
 * NGC_GEN_LONG_LINE bytes.
 */
static int ngc_gen_put_text_bad(ngc_gen_run_t *run, unsigned kind)
{
    ngc_gen_buf_t *b = &run->line;
    uint32_t n = 3 + ngc_gen_rand(&run->rng, 20);
    uint32_t variant = ngc_gen_rand(&run->rng, 4);
    const char *s;
    size_t sl, at;

    if (kind == NGC_GEN_BAD_LONG) {
        if (ngc_gen_sentence(run->g, &run->rng, b, 1, NGC_GEN_LONG_LINE) != NGC_GEN_OK) {
            return NGC_GEN_ERROR;
        }
    } else {
        if (ngc_gen_sentence(run->g, &run->rng, b, n, 0) != NGC_GEN_OK) {
            return NGC_GEN_ERROR;
        }
        s = ngc_gen_bad_utf8[kind][variant];
        sl = strlen(s);
        at = ngc_gen_rand(&run->rng, (uint32_t)b->len + 1);
        while (at < b->len && ((unsigned char)b->p[at] & 0xc0) == 0x80) {
            at--;
        }
        if (ngc_gen_buf_reserve(b, sl) != NGC_GEN_OK) {
            return NGC_GEN_ERROR;
        }
        memmove(b->p + at + sl, b->p + at, b->len - at);
        memcpy(b->p + at, s, sl);
        b->len += sl;
    }
    run->st->bad[kind]++;
    return ngc_gen_text_line(run);
}

/*
 * Writes text lines until the valid ones (LF-terminated) reach --size: a
 * line is empty 1.2% of the time, blanks only 0.4%, else a sentence. The
 * malformed lines go at seeded offsets of the valid text and draw from
 * their own stream, so the valid lines never depend on them.
 */
int ngc_gen_stream_text(ngc_gen_t *g, ngc_gen_out_t *o, ngc_gen_stats_t *st)
{
    const ngc_gen_config_t *cfg = g->cfg;
    ngc_gen_run_t run;
    ngc_gen_rng_t rng;
    ngc_gen_rec_t *bad, *b;
    uint64_t valid = 0, r;
    uint32_t n;
    bool blank = true;
    int rc = NGC_GEN_ERROR;

    ngc_gen_run_init(&run, g, o, st);
    ngc_gen_rng_init(&rng, cfg->seed, NGC_GEN_STREAM_TEXT);
    bad = ngc_gen_plan_bad(&run, cfg->size);
    if (bad == NULL) {
        return NGC_GEN_ERROR;
    }
    b = bad;
    /* end on a line with words, so --no-final-newline cuts after a word */
    while (valid < cfg->size || blank) {
        for (; b->key <= valid; b++) {
            if (ngc_gen_put_text_bad(&run, (unsigned)b->val) != NGC_GEN_OK) {
                goto done;
            }
        }
        r = ngc_gen_next(&rng);
        run.line.len = 0;
        blank = r % 1000 < 16;
        if (blank && r % 1000 >= 12) {
            if (ngc_gen_buf_reserve(&run.line, 4) != NGC_GEN_OK) {
                goto done;
            }
            ngc_gen_buf_blanks(&run.line, r >> 10);
        } else if (!blank) {
            n = ngc_gen_text_len(&rng);
            if (ngc_gen_sentence(g, &rng, &run.line, n, 0) != NGC_GEN_OK) {
                goto done;
            }
        }
        valid += run.line.len + 1;
        if (ngc_gen_text_line(&run) != NGC_GEN_OK) {
            goto done;
        }
    }
    for (; b->key != UINT64_MAX; b++) {
        if (ngc_gen_put_text_bad(&run, (unsigned)b->val) != NGC_GEN_OK) {
            goto done;
        }
    }
    rc = NGC_GEN_OK;
done:
    free(bad);
    free(run.line.p);
    return rc;
}
