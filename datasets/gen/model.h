/*
 * model.h: the generator's data. ngc_gen_t holds the ranked vocabulary in
 * byte order and the calibration; each ngram's total, line count and lines
 * (years, match, volume) are a pure function of the seed, the data options
 * and its rank, so any ngram can be rendered alone and in any order.
 */

#ifndef NGC_DATASETS_GEN_MODEL_H
#define NGC_DATASETS_GEN_MODEL_H

#include <stdint.h>

#include "datasets/gen/config.h"
#include "datasets/gen/rng.h"
#include "datasets/gen/strset.h"

typedef struct {
    uint64_t total; /* target total match count */
    double x;       /* line-count propensity, >= 0.5 */
    uint64_t state; /* splitmix64 state for this ngram's lines */
} ngc_gen_params_t;

typedef struct {
    uint16_t year[NGC_GEN_NYEARS];
    uint64_t match[NGC_GEN_NYEARS];
    uint64_t vol[NGC_GEN_NYEARS];
    uint64_t page[NGC_GEN_NYEARS]; /* filled only for v1 and --totals */
    uint64_t weight[NGC_GEN_NYEARS];
} ngc_gen_lines_t;

typedef struct {
    const ngc_gen_config_t *cfg;
    uint64_t vocab;                  /* distinct ngrams */
    uint64_t seed_key;               /* base of the per-ngram streams */
    double tmax;                     /* target total of the most frequent ngram */
    double k;                        /* lines = clamp(k * x) */
    ngc_gen_arena_t arena;           /* all ngram strings */
    uint64_t *off;                   /* string offsets in byte order, vocab long */
    uint64_t growth[NGC_GEN_NYEARS]; /* relative book volume of each year */
    uint64_t vcap[NGC_GEN_NYEARS];   /* most volumes in one year */
    uint64_t page_key;               /* keys the page counts of v1 and --totals */
    ngc_gen_lines_t *lines;
    uint8_t *wlen;          /* text: bytes of word i, at arena.p + off[i] */
    ngc_gen_alias_t walias; /* text: Zipf over the words, rank order */
} ngc_gen_t;

/* builds the vocabulary of cfg (kept by pointer) and calibrates the line
 * counts to --size; NGC_GEN_OK, or NGC_GEN_ERROR and the caller still
 * calls ngc_gen_fini() */
int ngc_gen_init(ngc_gen_t *g, const ngc_gen_config_t *cfg);

/* frees what ngc_gen_init() made, also after it failed */
void ngc_gen_fini(ngc_gen_t *g);

/* the total, line propensity and line stream of the ngram of rank `rank` */
void ngc_gen_params(const ngc_gen_t *g, uint32_t rank, ngc_gen_params_t *p);

/* the number of lines of an ngram: k * p->x, within 1..509 and <= total */
static inline uint32_t ngc_gen_nlines(double k, const ngc_gen_params_t *p)
{
    double y = k * p->x;
    uint32_t n = y >= (double)NGC_GEN_NYEARS ? NGC_GEN_NYEARS : (uint32_t)(y + 0.5);

    if (n < 1) {
        n = 1;
    }
    if (n > p->total) {
        n = (uint32_t)p->total;
    }
    return n;
}

/* fills ln with n lines: distinct ascending years, match >= volume >= 1,
 * matches summing to about p->total */
void ngc_gen_years(const ngc_gen_t *g, const ngc_gen_params_t *p, uint32_t n, ngc_gen_lines_t *ln);

#endif
