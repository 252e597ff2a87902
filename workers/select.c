/*
 * select.c: exact entries in a small open-addressing set; wildcard entries
 * as token lists tried one by one. In front of both, two bitmaps reject
 * most keys with two loads: the first bytes and the lengths an entry can
 * have (a wildcard entry admits every length from its shortest up).
 */
#include "engine/base/ngc.h"
#include "workers/select.h"
#include "engine/reduce/counters.h"
#include "workers/token.h"

#include <stdlib.h>

typedef struct {
    const char *p;
    size_t len;
    uint64_t hash;
} ngc_select_entry_t;

/* A wildcard entry: its tokens, NULL for "*". */
typedef struct {
    const char **tok;
    size_t *tlen;
    size_t ntok;
} ngc_select_pattern_t;

/* Lengths up to this are in the bitmap; a longer exact entry sets `longer`. */
#define NGC_SELECT_LENS 1024

struct ngc_select_s {
    uint64_t first[4];                   /* first bytes that may match */
    uint64_t lens[NGC_SELECT_LENS / 64]; /* exact entry lengths */
    bool longer;                         /* an exact entry is longer */
    size_t wild_min;                     /* shortest wildcard match, or SIZE_MAX */
    ngc_select_entry_t *set;             /* exact entries, open addressing */
    size_t mask;
    size_t nexact;
    ngc_select_pattern_t *pats;
    size_t npats;
    char **owned; /* prepared entry bytes */
    size_t nowned;
};

static void ngc_select_bit(uint64_t *bits, size_t i)
{
    bits[i / 64] |= 1ull << (i % 64);
}

static bool ngc_select_has(const uint64_t *bits, size_t i)
{
    return (bits[i / 64] >> (i % 64)) & 1u;
}

/* Entry e as a key would be counted: tags stripped, then folded. */
static char *ngc_select_prepare(const ngc_config_t *cfg, const char *e, size_t *len)
{
    size_t n = strlen(e);
    if (n > NGC_LINE_MAX)
        n = NGC_LINE_MAX;
    char *buf = malloc(4 * n + 1), *tmp = NULL;
    if (buf == NULL)
        return NULL;
    memcpy(buf, e, n);
    if (cfg->pos == NGC_POS_STRIP)
        n = ngc_token_strip_tags(buf, n, buf);
    if (cfg->fold_case) {
        tmp = malloc(3 * n + 1);
        if (tmp == NULL) {
            free(buf);
            return NULL;
        }
        n = ngc_token_fold(buf, n, tmp);
        memcpy(buf, tmp, n);
        free(tmp);
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static bool ngc_select_is_wild(const char *p, size_t len)
{
    const char *s = p, *e = p + len;
    for (;;) {
        const char *sp = memchr(s, ' ', (size_t)(e - s));
        const char *te = sp ? sp : e;
        if (te - s == 1 && *s == '*')
            return true;
        if (sp == NULL)
            return false;
        s = sp + 1;
    }
}

static int ngc_select_add_pattern(ngc_select_t *s, const char *p, size_t len)
{
    size_t ntok = 1;
    for (size_t i = 0; i < len; i++)
        ntok += p[i] == ' ';
    ngc_select_pattern_t *pt = &s->pats[s->npats];
    pt->tok = malloc(ntok * sizeof(*pt->tok));
    pt->tlen = malloc(ntok * sizeof(*pt->tlen));
    if (pt->tok == NULL || pt->tlen == NULL) {
        free(pt->tok);
        free(pt->tlen);
        return NGC_ERROR;
    }
    s->npats++;
    pt->ntok = ntok;
    const char *t = p, *e = p + len;
    size_t min = ntok - 1; /* the spaces */
    for (size_t i = 0; i < ntok; i++) {
        const char *sp = memchr(t, ' ', (size_t)(e - t));
        const char *te = sp ? sp : e;
        size_t tl = (size_t)(te - t);
        bool star = tl == 1 && *t == '*';
        pt->tok[i] = star ? NULL : t;
        pt->tlen[i] = tl;
        /* "*" matches one token, which a key never has empty... except
         * between two spaces; count it as 0 bytes to stay safe. */
        min += star ? 0 : tl;
        t = te + 1;
    }
    if (min < s->wild_min)
        s->wild_min = min;
    if (pt->tok[0] != NULL && pt->tlen[0] > 0) {
        ngc_select_bit(s->first, (unsigned char)pt->tok[0][0]);
    } else {
        for (size_t i = 0; i < 4; i++)
            s->first[i] = ~0ull;
    }
    return NGC_OK;
}

static bool ngc_select_find(const ngc_select_t *s, const char *k, size_t len, uint64_t h)
{
    for (size_t i = (size_t)h & s->mask;; i = (i + 1) & s->mask) {
        const ngc_select_entry_t *e = &s->set[i];
        if (e->p == NULL)
            return false;
        if (e->hash == h && e->len == len && memcmp(e->p, k, len) == 0)
            return true;
    }
}

ngc_select_t *ngc_select_new(const ngc_config_t *cfg)
{
    size_t n = cfg->nselects;
    ngc_select_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->wild_min = SIZE_MAX;
    size_t cap = 16;
    while (cap < 2 * n + 2)
        cap *= 2;
    s->mask = cap - 1;
    s->set = calloc(cap, sizeof(*s->set));
    s->pats = calloc(n + 1, sizeof(*s->pats));
    s->owned = calloc(n + 1, sizeof(*s->owned));
    if (s->set == NULL || s->pats == NULL || s->owned == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *p = ngc_select_prepare(cfg, cfg->selects[i], &len);
        if (p == NULL)
            goto fail;
        s->owned[s->nowned++] = p;
        if (ngc_select_is_wild(p, len)) {
            if (ngc_select_add_pattern(s, p, len) != NGC_OK)
                goto fail;
            continue;
        }
        uint64_t h = ngc_counters_hash(p, len);
        if (ngc_select_find(s, p, len, h))
            continue;
        size_t j = (size_t)h & s->mask;
        while (s->set[j].p != NULL)
            j = (j + 1) & s->mask;
        s->set[j] = (ngc_select_entry_t){p, len, h};
        s->nexact++;
        if (len > 0)
            ngc_select_bit(s->first, (unsigned char)p[0]);
        if (len < NGC_SELECT_LENS)
            ngc_select_bit(s->lens, len);
        else
            s->longer = true;
    }
    return s;
fail:
    ngc_select_free(s);
    return NULL;
}

void ngc_select_free(ngc_select_t *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->npats; i++) {
        free(s->pats[i].tok);
        free(s->pats[i].tlen);
    }
    for (size_t i = 0; i < s->nowned; i++)
        free(s->owned[i]);
    free(s->owned);
    free(s->pats);
    free(s->set);
    free(s);
}

size_t ngc_select_count(const ngc_select_t *s)
{
    return s->nexact + s->npats;
}

static bool ngc_select_pattern(const ngc_select_pattern_t *pt, const char *k, size_t len)
{
    const char *t = k, *e = k + len;
    for (size_t i = 0; i < pt->ntok; i++) {
        const char *sp = memchr(t, ' ', (size_t)(e - t));
        if ((sp == NULL) != (i + 1 == pt->ntok))
            return false; /* another token count */
        const char *te = sp ? sp : e;
        size_t tl = (size_t)(te - t);
        if (pt->tok[i] != NULL && (tl != pt->tlen[i] || memcmp(pt->tok[i], t, tl) != 0))
            return false;
        t = te + 1;
    }
    return true;
}

bool ngc_select_match(const ngc_select_t *s, const char *k, size_t len)
{
    if (len == 0 || !ngc_select_has(s->first, (unsigned char)k[0]))
        return false;
    bool exact = len < NGC_SELECT_LENS ? ngc_select_has(s->lens, len) : s->longer;
    if (exact && ngc_select_find(s, k, len, ngc_counters_hash(k, len)))
        return true;
    if (len < s->wild_min)
        return false;
    for (size_t i = 0; i < s->npats; i++)
        if (ngc_select_pattern(&s->pats[i], k, len))
            return true;
    return false;
}
