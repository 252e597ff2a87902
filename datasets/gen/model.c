/*
 * model.c: see model.h. Floating point is limited to correctly rounded
 * IEEE operations and libm pow(), with FMA contraction off, so the data is
 * the same on every machine.
 */

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#include "datasets/gen/model.h"
#include "datasets/gen/compose.h"
#include "datasets/gen/digits.h"
#include "datasets/gen/log.h"
#include "datasets/gen/sort.h"
#include "datasets/gen/vocab.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- per-ngram data: a pure function of (seed, data options, rank) */

void ngc_gen_params(const ngc_gen_t *g, uint32_t rank, ngc_gen_params_t *p)
{
    uint64_t st = g->seed_key ^ ((uint64_t)rank * 0xd1b54a32d192ed03ULL);
    uint64_t r = ngc_gen_sm_next(&st);
    double jitter, t, q;

    /*
     * A jitter in [0.5, 2) computed exactly: no exp2(), which compilers
     * substitute for pow(2, x) and which rounds differently between libms.
     */
    jitter = (1.0 + (double)(r >> 12) * 0x1p-52) * ((r & 1) ? 0.5 : 1.0);
    /* two-regime Zipf: exponent s for the head, 2s past NGC_GEN_ZIPF_KNEE */
    t = g->tmax * pow((double)rank + 1.0, -g->cfg->zipf);
    if (rank + 1.0 > NGC_GEN_ZIPF_KNEE) {
        t = t * pow((rank + 1.0) / NGC_GEN_ZIPF_KNEE, -g->cfg->zipf);
    }
    p->total = t < 1.0 ? 1 : (uint64_t)t;
    q = ((double)rank + 1.0) / (double)g->vocab;
    p->x = pow(q, -NGC_GEN_LINE_EXP) * jitter;
    p->state = st;
}

/*
 * Fills ln with n lines: distinct ascending years, match >= volume >= 1,
 * matches summing to about p->total, weighted toward recent years.
 */
void ngc_gen_years(const ngc_gen_t *g, const ngc_gen_params_t *p, uint32_t n, ngc_gen_lines_t *ln)
{
    uint64_t st = p->state, bits[8] = {0, 0, 0, 0, 0, 0, 0, 0}, r, wsum = 0;
    uint32_t end = NGC_GEN_YEAR_MAX, avail, span, start, j, k;
    double total = (double)p->total;

    r = ngc_gen_sm_next(&st);
    if (n < 300 && (r & 15) < 4) {
        end -= ngc_gen_below(r, 150);
    }
    avail = end - NGC_GEN_YEAR_MIN + 1;
    span = n + ngc_gen_below(ngc_gen_sm_next(&st), 2 * n + 60);
    if (span > avail) {
        span = avail;
    }
    start = end - span + 1;

    if (n == span) {
        for (j = 0; j < span; j++) {
            bits[j >> 6] |= 1ULL << (j & 63);
        }
    } else {
        /* Floyd's sampling of n distinct offsets in [0, span) */
        for (j = span - n; j < span; j++) {
            uint32_t t = ngc_gen_below(ngc_gen_sm_next(&st), j + 1);
            if (bits[t >> 6] & (1ULL << (t & 63))) {
                t = j;
            }
            bits[t >> 6] |= 1ULL << (t & 63);
        }
    }
    k = 0;
    for (j = 0; j < 8; j++) {
        uint64_t b = bits[j];
        while (b != 0) {
            uint32_t y = start + j * 64 + (uint32_t)__builtin_ctzll(b);
            uint64_t w = g->growth[y - NGC_GEN_YEAR_MIN] * (512 + (ngc_gen_sm_next(&st) & 1023));
            b &= b - 1;
            ln->year[k] = (uint16_t)y;
            ln->weight[k++] = w;
            wsum += w;
        }
    }
    ngc_gen_assert(k == n);

    for (k = 0; k < n; k++) {
        uint64_t m = (uint64_t)(total * ((double)ln->weight[k] / (double)wsum));
        uint64_t v, d;
        if (m < 1) {
            m = 1;
        }
        d = 1 + ngc_gen_below(ngc_gen_sm_next(&st), 1 + ngc_gen_bitlen(m));
        v = m / d;
        if (v < 1) {
            v = 1;
        }
        if (v > g->vcap[ln->year[k] - NGC_GEN_YEAR_MIN]) {
            v = g->vcap[ln->year[k] - NGC_GEN_YEAR_MIN];
        }
        ln->match[k] = m;
        ln->vol[k] = v;
    }
}

/* ---- calibration of the line counts to --size */

typedef struct {
    ngc_gen_params_t p;
    uint32_t len; /* bytes of the ngram */
} ngc_gen_sample_t;

static double ngc_gen_est(const ngc_gen_sample_t *s, size_t n, size_t step, double k)
{
    uint64_t sum = 0, m, v;
    size_t i;
    uint32_t l;

    for (i = 0; i < n; i += step) {
        l = ngc_gen_nlines(k, &s[i].p);
        m = s[i].p.total / l;
        v = m / 6 + 1 < 20000 ? m / 6 + 1 : 20000;
        sum += (uint64_t)l * (s[i].len + 8 + ngc_gen_ndigits(m / 3 + 1) + ngc_gen_ndigits(v));
    }
    return (double)sum;
}

static double ngc_gen_exact(const ngc_gen_t *g, const ngc_gen_sample_t *s, size_t n, size_t step,
                            double k)
{
    uint64_t sum = 0;
    size_t i;
    uint32_t l, j;

    for (i = 0; i < n; i += step) {
        l = ngc_gen_nlines(k, &s[i].p);
        ngc_gen_years(g, &s[i].p, l, g->lines);
        for (j = 0; j < l; j++) {
            sum += s[i].len + 8 + ngc_gen_ndigits(g->lines->match[j]) +
                   ngc_gen_ndigits(g->lines->vol[j]);
        }
    }
    return (double)sum;
}

/* the smallest k (on a log scale) whose estimate reaches target */
static double ngc_gen_solve(const ngc_gen_sample_t *s, size_t n, double target)
{
    double lo = 1e-20, hi = 4096.0, mid;
    int it;

    if (ngc_gen_est(s, n, 1, hi) <= target) {
        return hi;
    }
    if (ngc_gen_est(s, n, 1, lo) >= target) {
        return lo;
    }
    for (it = 0; it < 200 && hi / lo > 1.0 + 1e-9; it++) {
        mid = sqrt(lo * hi);
        if (ngc_gen_est(s, n, 1, mid) < target) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return hi;
}

static int ngc_gen_calibrate(ngc_gen_t *g)
{
    ngc_gen_sample_t *s;
    size_t n = g->vocab < NGC_GEN_SAMPLE_MAX ? (size_t)g->vocab : NGC_GEN_SAMPLE_MAX;
    size_t step = n / NGC_GEN_EXACT_MAX + 1, i;
    double scale = (double)g->vocab / (double)n, target, q = 1.0, pred;
    int it;

    s = ngc_gen_alloc(n, sizeof(*s));
    if (s == NULL) {
        return NGC_GEN_ERROR;
    }
    for (i = 0; i < n; i++) {
        uint64_t idx = (uint64_t)i * g->vocab / n;
        const char *str = g->arena.p + g->off[idx];
        uint32_t rank;
        memcpy(&rank, str - 4, 4);
        ngc_gen_params(g, rank, &s[i].p);
        s[i].len = (uint32_t)strlen(str);
    }
    target = (double)g->cfg->size / scale;
    for (it = 0; it < 3; it++) {
        double ex, es;
        g->k = ngc_gen_solve(s, n, target / q);
        ex = ngc_gen_exact(g, s, n, step, g->k);
        es = ngc_gen_est(s, n, step, g->k);
        if (es > 0 && ex > 0) {
            q = ex / es;
        }
    }
    g->k = ngc_gen_solve(s, n, target / q);
    pred = ngc_gen_est(s, n, 1, g->k) * q * scale;
    free(s);

    if (pred > (double)g->cfg->size * 1.03) {
        ngc_gen_log(0,
                    "warning: %llu ngrams need about %.0f bytes, more than "
                    "--size %llu",
                    (unsigned long long)g->vocab, pred, (unsigned long long)g->cfg->size);
    } else if (pred < (double)g->cfg->size * 0.97) {
        ngc_gen_log(0,
                    "warning: %llu ngrams fill only about %.0f bytes, less "
                    "than --size %llu",
                    (unsigned long long)g->vocab, pred, (unsigned long long)g->cfg->size);
    }
    return NGC_GEN_OK;
}

/* ---- generator setup */

int ngc_gen_init(ngc_gen_t *g, const ngc_gen_config_t *cfg)
{
    ngc_gen_rec_t *rec = NULL, *tmp;
    ngc_gen_rng_t rng;
    uint64_t v = 1024, i;
    unsigned y;

    memset(g, 0, sizeof(*g));
    g->cfg = cfg;
    g->vocab = cfg->vocab;
    g->seed_key = ngc_gen_mix64(cfg->seed ^ ngc_gen_mix64(NGC_GEN_STREAM_PARAMS));
    g->page_key = ngc_gen_mix64(cfg->seed ^ ngc_gen_mix64(NGC_GEN_STREAM_PAGE));
    ngc_gen_rng_init(&rng, cfg->seed, NGC_GEN_STREAM_TMAX);
    g->tmax = 3.2e10 / cfg->order * (0.75 + (double)(ngc_gen_next(&rng) >> 11) * 0x1p-54);

    /* book volume grows 2% a year: 1500 -> 2008 is a factor ~24000 */
    for (y = 0; y < NGC_GEN_NYEARS; y++) {
        g->growth[y] = v;
        g->vcap[y] = v / 100 + 1;
        v += v / 50;
    }
    g->lines = ngc_gen_alloc(1, sizeof(*g->lines));
    if (g->lines == NULL) {
        return NGC_GEN_ERROR;
    }
    if (cfg->format == NGC_GEN_FMT_TEXT) {
        return ngc_gen_vocab_text(cfg, g->vocab, &g->arena, &g->off, &g->wlen, &g->walias);
    }

    if (cfg->order == 1) {
        if (ngc_gen_vocab1(cfg, g->vocab, &g->arena, &rec) != NGC_GEN_OK) {
            return NGC_GEN_ERROR;
        }
    } else {
        if (ngc_gen_compose(cfg, g->vocab, &g->arena, &rec) != NGC_GEN_OK) {
            return NGC_GEN_ERROR;
        }
    }

    tmp = ngc_gen_alloc(g->vocab, sizeof(*tmp));
    if (tmp == NULL) {
        free(rec);
        return NGC_GEN_ERROR;
    }
    ngc_gen_sort_strings(rec, tmp, g->vocab, g->arena.p, 0);
    free(tmp);

    /* keep only the offsets: off[i] overwrites rec[i / 2] or later */
    g->off = (uint64_t *)rec;
    for (i = 0; i < g->vocab; i++) {
        g->off[i] = rec[i].val;
    }
    tmp = realloc(rec, g->vocab * sizeof(uint64_t));
    if (tmp != NULL) {
        g->off = (uint64_t *)tmp;
    }
    return ngc_gen_calibrate(g);
}

void ngc_gen_fini(ngc_gen_t *g)
{
    free(g->arena.p);
    free(g->off);
    free(g->lines);
    free(g->wlen);
    ngc_gen_alias_fini(&g->walias);
}
