/*
 * ngram.c: see ngram.h. The hot loop: each line is formatted in place in
 * the output buffer.
 */

#include "datasets/gen/ngram.h"
#include "datasets/gen/config.h"
#include "datasets/gen/digits.h"
#include "datasets/gen/malformed.h"
#include "datasets/gen/strset.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * Fills ln->page for v1 and --totals: volume <= page <= match, a function
 * of the ngram, the year and the seed alone (no stream is drawn from), so
 * the pages never change the v2/v3 data.
 */
static void ngc_gen_pages(const ngc_gen_t *g, const char *ng, size_t len, ngc_gen_lines_t *ln,
                          uint32_t n)
{
    uint64_t h = ngc_gen_hash(ng, len) ^ g->page_key, r, d, f;
    uint32_t k;

    for (k = 0; k < n; k++) {
        r = ngc_gen_mix64(h + (uint64_t)ln->year[k] * 0x9e3779b97f4a7c15ULL);
        f = 512 + (r >> 55); /* page = volume + (match - volume) * f/1024 */
        d = ln->match[k] - ln->vol[k];
        ln->page[k] = ln->vol[k] + (d >> 10) * f + (((d & 1023) * f) >> 10);
    }
}

/* adds the valid lines of one ngram to the --totals sums */
static void ngc_gen_tally(ngc_gen_stats_t *st, const ngc_gen_lines_t *ln, uint32_t n)
{
    uint32_t k, y;

    for (k = 0; k < n; k++) {
        y = ln->year[k] - NGC_GEN_YEAR_MIN;
        st->ymatch[y] += ln->match[k];
        st->ypage[y] += ln->page[k];
        st->yvol[y] += ln->vol[k];
        if (st->ymatch[y] < ln->match[k] || st->ypage[y] < ln->page[k] ||
            st->yvol[y] < ln->vol[k]) {
            st->yover = true;
        }
    }
}

static int ngc_gen_put_lines(ngc_gen_run_t *run, const char *ng, size_t len,
                             const ngc_gen_lines_t *ln, uint32_t n)
{
    ngc_gen_out_t *o = run->o;
    bool crlf = run->eol_len == 2;
    uint32_t k;
    char *p;

    if (run->g->cfg->format == NGC_GEN_FMT_V3) {
        p = ngc_gen_out_reserve(o, len);
        if (p == NULL) {
            return NGC_GEN_ERROR;
        }
        memcpy(p, ng, len);
        o->len += len;
        for (k = 0; k < n; k++) {
            p = ngc_gen_out_reserve(o, 64);
            if (p == NULL) {
                return NGC_GEN_ERROR;
            }
            *p++ = '\t';
            p = ngc_gen_put_year(p, ln->year[k]);
            *p++ = ',';
            p = ngc_gen_put_u64(p, ln->match[k]);
            *p++ = ',';
            p = ngc_gen_put_u64(p, ln->vol[k]);
            if (k + 1 == n) {
                if (crlf) {
                    *p++ = '\r';
                }
                *p++ = '\n';
            }
            o->len = (size_t)(p - o->buf);
        }
        run->st->lines++;
        return NGC_GEN_OK;
    }
    for (k = 0; k < n; k++) {
        p = ngc_gen_out_reserve(o, len + 96);
        if (p == NULL) {
            return NGC_GEN_ERROR;
        }
        memcpy(p, ng, len);
        p += len;
        *p++ = '\t';
        p = ngc_gen_put_year(p, ln->year[k]);
        *p++ = '\t';
        p = ngc_gen_put_u64(p, ln->match[k]);
        *p++ = '\t';
        if (run->g->cfg->format == NGC_GEN_FMT_V1) {
            p = ngc_gen_put_u64(p, ln->page[k]);
            *p++ = '\t';
        }
        p = ngc_gen_put_u64(p, ln->vol[k]);
        if (crlf) {
            *p++ = '\r';
        }
        *p++ = '\n';
        o->len = (size_t)(p - o->buf);
    }
    run->st->lines += n;
    return NGC_GEN_OK;
}

int ngc_gen_stream(ngc_gen_t *g, ngc_gen_out_t *o, ngc_gen_stats_t *st)
{
    const ngc_gen_config_t *cfg = g->cfg;
    bool pages = cfg->format == NGC_GEN_FMT_V1 || cfg->totals != NULL;
    ngc_gen_run_t run;
    ngc_gen_rec_t *bad = NULL, *b;
    ngc_gen_params_t p;
    uint64_t i, total;
    uint32_t n, k, rank;
    const char *ng = NULL;
    size_t len = 0;
    int rc = NGC_GEN_ERROR;

    ngc_gen_run_init(&run, g, o, st);
    bad = ngc_gen_plan_bad(&run, g->vocab + 1);
    if (bad == NULL) {
        return NGC_GEN_ERROR;
    }
    b = bad;
    for (i = 0; i < g->vocab; i++) {
        ng = g->arena.p + g->off[i];
        len = strlen(ng);
        /* a malformed line borrows a neighbour's ngram, so order holds */
        for (; b->key == i; b++) {
            if (ngc_gen_put_bad(&run, (unsigned)b->val, ng, len) != NGC_GEN_OK) {
                goto done;
            }
        }
        memcpy(&rank, ng - 4, 4);
        ngc_gen_params(g, rank, &p);
        n = ngc_gen_nlines(g->k, &p);
        ngc_gen_years(g, &p, n, g->lines);
        if (pages) {
            ngc_gen_pages(g, ng, len, g->lines, n);
        }
        if (cfg->totals != NULL) {
            ngc_gen_tally(st, g->lines, n);
        }
        for (total = 0, k = 0; k < n; k++) {
            total += g->lines->match[k];
        }
        if (total > st->max_total) {
            st->max_total = total;
            st->max_index = i;
        }
        if (ngc_gen_put_lines(&run, ng, len, g->lines, n) != NGC_GEN_OK) {
            goto done;
        }
    }
    for (; b->key == g->vocab; b++) {
        if (ngc_gen_put_bad(&run, (unsigned)b->val, ng, len) != NGC_GEN_OK) {
            goto done;
        }
    }
    rc = NGC_GEN_OK;
done:
    free(bad);
    return rc;
}
