/*
 * run.c: see run.h.
 */

#include "datasets/gen/run.h"
#include "datasets/gen/log.h"

#include <stdlib.h>
#include <string.h>

void ngc_gen_run_init(ngc_gen_run_t *run, ngc_gen_t *g, ngc_gen_out_t *o, ngc_gen_stats_t *st)
{
    memset(run, 0, sizeof(*run));
    run->g = g;
    run->o = o;
    run->st = st;
    run->eol = g->cfg->crlf ? "\r\n" : "\n";
    run->eol_len = g->cfg->crlf ? 2 : 1;
    ngc_gen_rng_init(&run->rng, g->cfg->seed, NGC_GEN_STREAM_BAD);
    memset(st, 0, sizeof(*st));
}

/*
 * Plans the malformed lines: bad[j].key is where a line goes, bad[j].val its
 * kind. For the ngram formats the key is the sorted ngram index a line goes
 * before (range - 1 = after the last); for text, a byte offset in the valid
 * text, below range.
 */
ngc_gen_rec_t *ngc_gen_plan_bad(ngc_gen_run_t *run, uint64_t range)
{
    const ngc_gen_config_t *cfg = run->g->cfg;
    ngc_gen_rec_t *bad, *tmp;
    unsigned kinds[NGC_GEN_BAD_KINDS], nk = 0, k;
    uint64_t j;

    for (k = 0; k < NGC_GEN_BAD_KINDS; k++) {
        if (cfg->bad_kinds & (1u << k)) {
            kinds[nk++] = k;
        }
    }
    bad = ngc_gen_alloc(cfg->bad + 1, sizeof(*bad));
    tmp = ngc_gen_alloc(cfg->bad + 1, sizeof(*tmp));
    if (bad == NULL || tmp == NULL) {
        free(bad);
        free(tmp);
        return NULL;
    }
    for (j = 0; j < cfg->bad; j++) {
        if (cfg->format == NGC_GEN_FMT_TEXT) {
            bad[j].key = ngc_gen_next(&run->rng) % range;
        } else {
            bad[j].key = ngc_gen_rand(&run->rng, (uint32_t)range);
        }
        bad[j].val = kinds[ngc_gen_rand(&run->rng, nk)];
    }
    ngc_gen_radix(bad, tmp, cfg->bad);
    free(tmp);
    bad[cfg->bad].key = UINT64_MAX; /* sentinel */
    return bad;
}
