/*
 * run.h: the state of one pass that writes the data (ngc_gen_run_t), the
 * counts it gathers (ngc_gen_stats_t), and the plan of where the malformed
 * lines go. The malformed lines draw from their own stream, so the valid
 * lines never depend on them.
 */

#ifndef NGC_DATASETS_GEN_RUN_H
#define NGC_DATASETS_GEN_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datasets/gen/config.h"
#include "datasets/gen/model.h"
#include "datasets/gen/out.h"
#include "datasets/gen/rng.h"
#include "datasets/gen/sort.h"

typedef struct {
    uint64_t lines; /* physical lines, malformed included */
    uint64_t words; /* text: blank-separated words, all lines */
    uint64_t bad[NGC_GEN_BAD_KINDS];
    uint64_t max_total;
    uint64_t max_index;              /* sorted index of the ngram with max_total */
    uint64_t ymatch[NGC_GEN_NYEARS]; /* --totals: sums of the valid lines */
    uint64_t ypage[NGC_GEN_NYEARS];
    uint64_t yvol[NGC_GEN_NYEARS];
    bool yover; /* a sum passed 2^64 */
} ngc_gen_stats_t;

typedef struct {
    char *p;
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
} ngc_gen_buf_t;

typedef struct {
    ngc_gen_t *g;
    ngc_gen_out_t *o;
    ngc_gen_stats_t *st;
    ngc_gen_rng_t rng; /* malformed line details */
    const char *eol;
    size_t eol_len;
    ngc_gen_buf_t line; /* text: the line being built, owned */
} ngc_gen_run_t;

/* a run of g into o that counts into st (zeroed here) */
void ngc_gen_run_init(ngc_gen_run_t *run, ngc_gen_t *g, ngc_gen_out_t *o, ngc_gen_stats_t *st);

/* cfg->bad + 1 records, sorted by key: where each malformed line goes and
 * its kind, then a UINT64_MAX sentinel. NULL after a message; the caller
 * frees it */
ngc_gen_rec_t *ngc_gen_plan_bad(ngc_gen_run_t *run, uint64_t range);

#endif
