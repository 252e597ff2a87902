/*
 * text.c: a line is tokenized once into the scratch area as "t1 t2 ... tk"
 * (single spaces, markers included), with each token's start noted; every
 * n-gram is then a substring of it, so counting copies nothing.
 */
#include "engine/base/ngc.h"
#include "workers/text.h"
#include "workers/token.h"

#include <stdbool.h>
#include <utf8proc.h>

typedef enum { NGC_CH_WORD, NGC_CH_SPACE, NGC_CH_MARK } ngc_char_class_t;

static ngc_char_class_t ngc_text_class(utf8proc_int32_t cp)
{
    if (cp == '\t' || cp == '\n' || cp == '\v' || cp == '\f' || cp == '\r' || cp == 0x85)
        return NGC_CH_SPACE;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return NGC_CH_WORD;
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
        return NGC_CH_SPACE;
    default:
        return NGC_CH_MARK;
    }
}

/* The line being tokenized: scratch text and token starts. */
typedef struct {
    char *out;
    size_t n; /* bytes in out */
    size_t cap;
    uint32_t *tok; /* start of each token in out */
    size_t ntok;
    bool fold;
    char *fold_buf; /* 3 * NGC_LINE_MAX bytes */
} ngc_line_toks_t;

/* Appends one token as it is; false when the scratch area is full. */
static bool ngc_text_append(ngc_line_toks_t *lt, const char *tok, size_t len)
{
    size_t need = len + (lt->ntok > 0);
    if (lt->n + need > lt->cap || lt->ntok + 2 > NGC_PARSE_TOKENS_MAX)
        return false;
    if (lt->ntok > 0)
        lt->out[lt->n++] = ' ';
    lt->tok[lt->ntok++] = (uint32_t)lt->n;
    memcpy(lt->out + lt->n, tok, len);
    lt->n += len;
    return true;
}

/* Appends a token of the line, case-folded with --fold-case. */
static bool ngc_text_push(ngc_line_toks_t *lt, const char *tok, size_t len)
{
    if (lt->fold) {
        len = ngc_token_fold(tok, len, lt->fold_buf);
        tok = lt->fold_buf;
    }
    return ngc_text_append(lt, tok, len);
}

static inline bool ngc_text_ascii_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static ngc_streaming_reason_t ngc_text_split_space(ngc_line_toks_t *lt, const char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && ngc_text_ascii_space((unsigned char)p[i]))
            i++;
        size_t s = i;
        while (i < len && !ngc_text_ascii_space((unsigned char)p[i]))
            i++;
        if (i > s && !ngc_text_push(lt, p + s, i - s))
            return NGC_STREAMING_REASON_LONG;
    }
    return NGC_STREAMING_REASON_NONE;
}

static ngc_streaming_reason_t ngc_text_split_words(ngc_line_toks_t *lt, const char *p, size_t len)
{
    const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)p;
    size_t i = 0, word = SIZE_MAX; /* start of the word being read */
    while (i < len) {
        utf8proc_int32_t cp;
        size_t n;
        ngc_char_class_t cls;
        if (u[i] < 0x80) {
            cp = u[i];
            n = 1;
            unsigned char c = u[i];
            cls = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                      ? NGC_CH_WORD
                  : c == ' ' || ngc_text_ascii_space(c) ? NGC_CH_SPACE
                                                        : NGC_CH_MARK;
        } else {
            utf8proc_ssize_t r = utf8proc_iterate(u + i, (utf8proc_ssize_t)(len - i), &cp);
            if (r < 0)
                return NGC_STREAMING_REASON_UTF8;
            n = (size_t)r;
            cls = ngc_text_class(cp);
        }
        if (cls != NGC_CH_WORD && word != SIZE_MAX) {
            if (!ngc_text_push(lt, p + word, i - word))
                return NGC_STREAMING_REASON_LONG;
            word = SIZE_MAX;
        }
        if (cls == NGC_CH_WORD && word == SIZE_MAX)
            word = i;
        else if (cls == NGC_CH_MARK && !ngc_text_push(lt, p + i, n))
            return NGC_STREAMING_REASON_LONG;
        i += n;
    }
    if (word != SIZE_MAX && !ngc_text_push(lt, p + word, len - word))
        return NGC_STREAMING_REASON_LONG;
    return NGC_STREAMING_REASON_NONE;
}

#define NGC_TEXT_WINDOW 32 /* n-grams hashed, and their slots fetched, ahead */

/* Counts the n-grams of one tokenized line: a window of them is hashed
 * and their combiner slots prefetched before any is added, so the cache
 * misses of a table of millions of n-grams overlap. */
static int ngc_text_count(ngc_parse_t *ps, ngc_combiner_t *m, const ngc_line_toks_t *lt)
{
    const ngc_config_t *cfg = ps->cfg;
    size_t k = lt->ntok;
    unsigned lo = cfg->only_order ? cfg->order : 1;
    struct {
        size_t off, len;
        uint64_t hash;
    } w[NGC_TEXT_WINDOW];
    size_t nw = 0;
    for (size_t i = 0; i < k; i++) {
        for (unsigned n = lo; n <= cfg->order && i + n <= k; n++) {
            size_t j = i + n - 1; /* last token */
            size_t end = j + 1 < k ? lt->tok[j + 1] - 1 : lt->n;
            size_t off = lt->tok[i], len = end - off;
            w[nw].off = off;
            w[nw].len = len;
            w[nw].hash = ngc_counters_hash(lt->out + off, len);
            ngc_combiner_prefetch(m, w[nw].hash);
            if (++nw < NGC_TEXT_WINDOW)
                continue;
            for (size_t x = 0; x < nw; x++)
                if (ngc_parse_emit_hashed(ps, m, lt->out + w[x].off, w[x].len, w[x].hash, 1, 0) !=
                    NGC_OK)
                    return NGC_ERROR;
            nw = 0;
        }
    }
    for (size_t x = 0; x < nw; x++)
        if (ngc_parse_emit_hashed(ps, m, lt->out + w[x].off, w[x].len, w[x].hash, 1, 0) != NGC_OK)
            return NGC_ERROR;
    return NGC_OK;
}

int ngc_text_buffer(ngc_parse_t *ps, const char *buf, size_t len, ngc_combiner_t *m)
{
    ngc_assert(len > 0 && buf[len - 1] == '\n');
    const ngc_config_t *cfg = ps->cfg;
    /* scratch: the tokenized line in its first half, folded tokens after. */
    ngc_line_toks_t lt = {
        .out = ps->scratch,
        .cap = (size_t)NGC_LINE_MAX * 3 + 16,
        .tok = ps->tok,
        .fold = cfg->fold_case,
        .fold_buf = ps->scratch + (size_t)NGC_LINE_MAX * 3 + 16,
    };
    const char *p = buf, *end = buf + len;
    while (p < end) {
        ps->lines++;
        const char *line = p;
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        p = nl + 1;
        size_t n = (size_t)(nl - line);
        ngc_streaming_reason_t why = NGC_STREAMING_REASON_NONE;
        if (n > NGC_LINE_MAX)
            why = NGC_STREAMING_REASON_LONG;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        lt.n = lt.ntok = 0;
        if (why == NGC_STREAMING_REASON_NONE && cfg->sentence_markers)
            ngc_text_append(&lt, "<s>", 3); /* markers are never folded */
        size_t before = lt.ntok;
        if (why == NGC_STREAMING_REASON_NONE)
            why = cfg->tokenize == NGC_TOKENIZE_WORDS ? ngc_text_split_words(&lt, line, n)
                                                      : ngc_text_split_space(&lt, line, n);
        if (why != NGC_STREAMING_REASON_NONE) {
            if (ngc_parse_malformed(ps, why) != NGC_OK)
                return NGC_ERROR;
            continue;
        }
        size_t words = lt.ntok - before;
        if (words == 0)
            continue; /* a blank line is no sentence */
        ps->tokens += words;
        if (cfg->sentence_markers && !ngc_text_append(&lt, "</s>", 4)) {
            if (ngc_parse_malformed(ps, NGC_STREAMING_REASON_LONG) != NGC_OK)
                return NGC_ERROR;
            continue;
        }
        if (ngc_text_count(ps, m, &lt) != NGC_OK)
            return NGC_ERROR;
    }
    return NGC_OK;
}
