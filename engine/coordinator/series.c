/*
 * series.c: see series.h. Rows go into one array (the ngram bytes into an
 * arena, shared by consecutive rows of one ngram), sorted and grouped at the
 * end; each ngram then gets a dense array of counts over the range, and the
 * values (normalized, smoothed) are computed from those.
 */
#include "engine/base/ngc.h"
#include "engine/coordinator/series.h"
#include "engine/base/digits.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
    size_t off; /* the ngram's bytes in the arena */
    size_t len;
    uint32_t year;
    uint64_t c[2]; /* match, volume */
} ngc_series_row_t;

typedef struct {
    size_t off, len;
    uint64_t *c;      /* [year - from][v] */
    long double *val; /* [year - from][v] */
} ngc_series_ngram_t;

struct ngc_series_s {
    ngc_series_opts_t o;
    char *arena;
    size_t alen, acap;
    ngc_series_row_t *rows;
    size_t nrows, rcap;
    ngc_series_ngram_t *ng;
    size_t nng;
    uint32_t from, to;
    unsigned nv;   /* values per year: 2 with --count both */
    bool smoothed; /* --smoothing N with N > 0 */
    char *key;     /* "ngram TAB YYYY" of a row being written */
};

bool ngc_series_wanted(const ngc_config_t *cfg)
{
    return cfg->by_year &&
           (cfg->nselects > 0 || cfg->normalize != NULL || cfg->smoothing_set || cfg->plot != NULL);
}

void ngc_series_opts(ngc_series_opts_t *o, const ngc_config_t *cfg, const ngc_year_totals_t *totals)
{
    /* 1 and 9999 are the defaults: no bound given. */
    *o = (ngc_series_opts_t){.count = cfg->count,
                             .from = cfg->from_year > 1 ? cfg->from_year : 0,
                             .to = cfg->to_year < 9999 ? cfg->to_year : 0,
                             .totals = totals,
                             .totals_path = cfg->normalize,
                             .smooth = cfg->smoothing_set,
                             .smoothing = cfg->smoothing};
}

ngc_series_t *ngc_series_new(const ngc_series_opts_t *o)
{
    ngc_series_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->o = *o;
    s->nv = o->count == NGC_COUNT_BOTH ? 2 : 1;
    s->smoothed = o->smooth && o->smoothing > 0;
    return s;
}

void ngc_series_free(ngc_series_t *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nng; i++) {
        free(s->ng[i].c);
        free(s->ng[i].val);
    }
    free(s->ng);
    free(s->rows);
    free(s->arena);
    free(s->key);
    free(s);
}

static bool ngc_series_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (q == NULL)
        return false;
    *p = q;
    *cap = n;
    return true;
}

int ngc_series_add(ngc_series_t *s, const char *key, size_t klen, uint64_t match, uint64_t volume,
                   char *err, size_t cap)
{
    const char *tab = memrchr(key, '\t', klen);
    uint32_t year = 0;
    bool ok = tab != NULL && key + klen - tab - 1 == 4;
    for (const char *p = tab ? tab + 1 : key; ok && p < key + klen; p++) {
        ok = *p >= '0' && *p <= '9';
        year = year * 10 + (uint32_t)(*p - '0');
    }
    if (!ok || year == 0) {
        snprintf(err, cap, "a by-year row without its year: '%.*s'", (int)(klen < 80 ? klen : 80),
                 key);
        return NGC_ERROR;
    }
    size_t len = (size_t)(tab - key);
    size_t off;
    const ngc_series_row_t *last = s->nrows > 0 ? &s->rows[s->nrows - 1] : NULL;
    if (last != NULL && last->len == len && memcmp(s->arena + last->off, key, len) == 0) {
        off = last->off;
    } else {
        if (!ngc_series_grow((void **)&s->arena, &s->acap, s->alen + len + 1, 1))
            goto nomem;
        off = s->alen;
        memcpy(s->arena + off, key, len);
        s->alen += len;
    }
    if (!ngc_series_grow((void **)&s->rows, &s->rcap, s->nrows + 1, sizeof(*s->rows)))
        goto nomem;
    s->rows[s->nrows++] = (ngc_series_row_t){off, len, year, {match, volume}};
    return NGC_OK;

nomem:
    snprintf(err, cap, "out of memory for the series");
    return NGC_ERROR;
}

static int ngc_series_cmp(const void *x, const void *y, void *arg)
{
    const ngc_series_row_t *a = x, *b = y;
    const char *arena = arg;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(arena + a->off, arena + b->off, n);
    if (c != 0)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return a->year < b->year ? -1 : a->year > b->year;
}

/* The value of count c in year y before smoothing: the count, or its
 * percent of the year's total. */
static long double ngc_series_base(const ngc_series_t *s, uint64_t c, uint32_t y, unsigned v)
{
    if (s->o.totals == NULL)
        return (long double)c;
    if (c == 0)
        return 0;
    uint64_t t = v == 0 && s->o.count != NGC_COUNT_VOLUME ? s->o.totals->match[y]
                                                          : s->o.totals->volume[y];
    return (long double)c * 100.0L / (long double)t;
}

/* The total that count v of year y is divided by. */
static uint64_t ngc_series_total(const ngc_series_t *s, uint32_t y, unsigned v)
{
    return v == 0 && s->o.count != NGC_COUNT_VOLUME ? s->o.totals->match[y]
                                                    : s->o.totals->volume[y];
}

int ngc_series_finish(ngc_series_t *s, char *err, size_t cap)
{
    if (s->nrows > 1)
        qsort_r(s->rows, s->nrows, sizeof(*s->rows), ngc_series_cmp, s->arena);
    uint32_t lo = 9999, hi = 1;
    size_t groups = 0;
    for (size_t i = 0; i < s->nrows; i++) {
        const ngc_series_row_t *r = &s->rows[i];
        lo = r->year < lo ? r->year : lo;
        hi = r->year > hi ? r->year : hi;
        groups += i == 0 || s->rows[i - 1].len != r->len ||
                  memcmp(s->arena + s->rows[i - 1].off, s->arena + r->off, r->len) != 0;
    }
    s->from = s->o.from ? s->o.from : lo;
    s->to = s->o.to ? s->o.to : hi;
    if (s->nrows == 0 && (s->o.from == 0 || s->o.to == 0))
        s->from = s->to = 0;
    if (groups == 0)
        return NGC_OK;
    size_t ny = (size_t)(s->to - s->from + 1), longest = 0;
    for (size_t i = 0; i < s->nrows; i++)
        longest = s->rows[i].len > longest ? s->rows[i].len : longest;
    s->ng = calloc(groups, sizeof(*s->ng));
    s->key = malloc(longest + 6);
    if (s->ng == NULL || s->key == NULL)
        goto nomem;
    for (size_t i = 0; i < s->nrows; i++) {
        const ngc_series_row_t *r = &s->rows[i];
        if (s->nng == 0 || s->ng[s->nng - 1].len != r->len ||
            memcmp(s->arena + s->ng[s->nng - 1].off, s->arena + r->off, r->len) != 0) {
            ngc_series_ngram_t *g = &s->ng[s->nng++];
            g->off = r->off;
            g->len = r->len;
            g->c = calloc(ny * s->nv, sizeof(*g->c));
            g->val = calloc(ny * s->nv, sizeof(*g->val));
            if (g->c == NULL || g->val == NULL)
                goto nomem;
        }
        /* Rows outside a given range were filtered when counting. */
        if (r->year < s->from || r->year > s->to)
            continue;
        ngc_series_ngram_t *g = &s->ng[s->nng - 1];
        uint64_t *c = &g->c[(r->year - s->from) * s->nv];
        for (unsigned v = 0; v < s->nv; v++) {
            uint64_t x = r->c[v == 0 && s->o.count != NGC_COUNT_VOLUME ? 0 : 1];
            c[v] = __builtin_add_overflow(c[v], x, &c[v]) ? UINT64_MAX : c[v];
        }
    }
    free(s->rows);
    s->rows = NULL;
    s->nrows = 0;
    for (size_t i = 0; i < s->nng; i++) {
        ngc_series_ngram_t *g = &s->ng[i];
        for (size_t k = 0; k < ny; k++)
            for (unsigned v = 0; v < s->nv; v++) {
                uint64_t c = g->c[k * s->nv + v];
                uint32_t y = s->from + (uint32_t)k;
                /* A year with a count and nothing to divide it by: the
                 * totals file is not this corpus's. A year without a count
                 * is 0 whatever its total (the 2020 file lacks years). */
                if (s->o.totals != NULL && c > 0 &&
                    (!s->o.totals->has[y] || ngc_series_total(s, y, v) == 0)) {
                    snprintf(err, cap, "%s: %s year %u, which '%.*s' has (%s %llu) (--normalize)",
                             s->o.totals_path,
                             s->o.totals->has[y] ? "has a total of 0 for" : "has no total for", y,
                             (int)(g->len < 80 ? g->len : 80), s->arena + g->off,
                             v == 0 && s->o.count != NGC_COUNT_VOLUME ? "match count"
                                                                      : "volume count",
                             (unsigned long long)c);
                    return NGC_ERROR;
                }
                g->val[k * s->nv + v] = ngc_series_base(s, c, y, v);
            }
        if (!s->smoothed)
            continue;
        /* The centred mean over the window's years inside the range. */
        long double *m = malloc(ny * s->nv * sizeof(*m));
        if (m == NULL)
            goto nomem;
        size_t w = s->o.smoothing;
        for (size_t k = 0; k < ny; k++)
            for (unsigned v = 0; v < s->nv; v++) {
                size_t a = k > w ? k - w : 0, b = k + w < ny - 1 ? k + w : ny - 1;
                long double sum = 0;
                for (size_t j = a; j <= b; j++)
                    sum += g->val[j * s->nv + v];
                m[k * s->nv + v] = sum / (long double)(b - a + 1);
            }
        free(g->val);
        g->val = m;
    }
    return NGC_OK;

nomem:
    snprintf(err, cap, "out of memory for the series");
    return NGC_ERROR;
}

size_t ngc_series_count(const ngc_series_t *s)
{
    return s->nng;
}

const char *ngc_series_ngram(const ngc_series_t *s, size_t i, size_t *len)
{
    ngc_assert(i < s->nng);
    *len = s->ng[i].len;
    return s->arena + s->ng[i].off;
}

uint32_t ngc_series_from(const ngc_series_t *s)
{
    return s->from;
}

uint32_t ngc_series_to(const ngc_series_t *s)
{
    return s->to;
}

unsigned ngc_series_values(const ngc_series_t *s)
{
    return s->nv;
}

double ngc_series_value(const ngc_series_t *s, size_t i, uint32_t y, unsigned v)
{
    ngc_assert(i < s->nng && y >= s->from && y <= s->to && v < s->nv);
    return (double)s->ng[i].val[(size_t)(y - s->from) * s->nv + v];
}

bool ngc_series_percent(const ngc_series_t *s)
{
    return s->o.totals != NULL;
}

void ngc_series_line_format(const ngc_series_t *s, const ngc_config_t *cfg, ngc_line_format_t *lf)
{
    *lf = (ngc_line_format_t){.count = cfg->count,
                              .fmt = cfg->out_format,
                              .by_year = true,
                              .ncols = s->nv};
    const char *unit = s->o.totals != NULL ? "percent" : s->smoothed ? "mean" : "count";
    for (unsigned v = 0; v < s->nv; v++)
        snprintf(lf->col[v], sizeof(lf->col[v]), "%s_%s",
                 v == 0 && s->o.count != NGC_COUNT_VOLUME ? "match" : "volume", unit);
}

size_t ngc_series_format(char *dst, long double v)
{
    if (!(v > 0)) {
        dst[0] = '0';
        return 1;
    }
    /* d.dddddddddddddddde+XX: 17 digits and the exponent. */
    char e[64];
    snprintf(e, sizeof(e), "%.16Le", v);
    char digits[NGC_NORMALIZE_DIGITS];
    digits[0] = e[0];
    memcpy(digits + 1, e + 2, NGC_NORMALIZE_DIGITS - 1);
    const char *x = strchr(e, 'e');
    int exp = 0;
    for (const char *q = x + 2; *q >= '0' && *q <= '9'; q++)
        exp = exp * 10 + (*q - '0');
    if (x[1] == '-')
        exp = -exp;
    return ngc_normalize_place_point(digits, exp + 1, dst);
}

size_t ngc_series_row(ngc_series_t *s, const ngc_line_format_t *lf, size_t i, uint32_t y, char *dst)
{
    const ngc_series_ngram_t *g = &s->ng[i];
    size_t k = (size_t)(y - s->from);
    char num[2][NGC_NORMALIZE_MAX];
    size_t n[2];
    for (unsigned v = 0; v < s->nv; v++) {
        uint64_t c = g->c[k * s->nv + v];
        if (s->smoothed)
            n[v] = ngc_series_format(num[v], g->val[k * s->nv + v]);
        else if (s->o.totals != NULL)
            n[v] = c == 0 ? (num[v][0] = '0', 1)
                          : ngc_normalize_format(num[v], c, 100, ngc_series_total(s, y, v));
        else
            n[v] = ngc_digits_u64(num[v], c);
    }
    /* The key as the counting wrote it: "ngram TAB YYYY". */
    memcpy(s->key, s->arena + g->off, g->len);
    snprintf(s->key + g->len, 6, "\t%04u", y);
    const char *vals[2] = {num[0], num[1]};
    return ngc_output_row(lf, s->key, g->len + 5, vals, n, s->nv, dst);
}
