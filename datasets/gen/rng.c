/*
 * rng.c: see rng.h. The alias table is built in doubles but drawn from
 * in integers, so a draw is the same on every machine.
 */

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#include "datasets/gen/rng.h"
#include "datasets/gen/log.h"

#include <math.h>
#include <stdlib.h>

void ngc_gen_rng_init(ngc_gen_rng_t *r, uint64_t seed, uint64_t stream)
{
    uint64_t sm = seed ^ ngc_gen_mix64(stream * 0x5851f42d4c957f2dULL + 1);
    int i;

    for (i = 0; i < 4; i++) {
        r->s[i] = ngc_gen_sm_next(&sm);
    }
}

int ngc_gen_alias_init(ngc_gen_alias_t *al, uint32_t n, double s)
{
    double *p, sum = 0;
    uint32_t *small, *large, ns = 0, nl = 0, k;

    al->prob = ngc_gen_alloc(n, sizeof(uint32_t));
    al->alias = ngc_gen_alloc(n, sizeof(uint32_t));
    p = ngc_gen_alloc(n, sizeof(double));
    small = ngc_gen_alloc(n, sizeof(uint32_t));
    large = ngc_gen_alloc(n, sizeof(uint32_t));
    if (al->prob == NULL || al->alias == NULL || p == NULL || small == NULL || large == NULL) {
        free(al->prob);
        free(al->alias);
        free(p);
        free(small);
        free(large);
        return NGC_GEN_ERROR;
    }
    al->n = n;
    for (k = 0; k < n; k++) {
        p[k] = pow((double)k + 1.0, -s);
        sum += p[k];
    }
    for (k = 0; k < n; k++) {
        p[k] = p[k] / sum * (double)n;
        al->alias[k] = k;
        if (p[k] < 1.0) {
            small[ns++] = k;
        } else {
            large[nl++] = k;
        }
    }
    while (ns > 0 && nl > 0) {
        uint32_t sm = small[--ns], lg = large[--nl];
        al->alias[sm] = lg;
        p[lg] = (p[lg] + p[sm]) - 1.0;
        if (p[lg] < 1.0) {
            small[ns++] = lg;
        } else {
            large[nl++] = lg;
        }
    }
    for (k = 0; k < n; k++) {
        double t = p[k] * 4294967296.0;
        al->prob[k] = t >= 4294967295.0 ? UINT32_MAX : (uint32_t)t;
    }
    /* leftovers are 1 up to rounding */
    while (ns > 0) {
        al->prob[small[--ns]] = UINT32_MAX;
    }
    while (nl > 0) {
        al->prob[large[--nl]] = UINT32_MAX;
    }
    free(p);
    free(small);
    free(large);
    return NGC_GEN_OK;
}

void ngc_gen_alias_fini(ngc_gen_alias_t *al)
{
    free(al->prob);
    free(al->alias);
}
