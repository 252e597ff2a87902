/*
 * compose.c: see compose.h. Each ngram's score is the product of its token
 * ranks times a jitter drawn with it, so the ranking depends only on the
 * seed and the data options.
 */

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#include "datasets/gen/compose.h"
#include "datasets/gen/log.h"
#include "datasets/gen/vocab.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the 1-grams that ngc_gen_compose() joins, by rank */
typedef struct {
    ngc_gen_arena_t ta;  /* their strings */
    uint64_t n;          /* how many */
    uint32_t *off;       /* offset of token t's string in ta */
    uint8_t *len;        /* its bytes */
    uint32_t start, end; /* ranks of _START_ and _END_, UINT32_MAX if absent */
    ngc_gen_alias_t al;  /* Zipf over the ranks */
} ngc_gen_tokens_t;

/*
 * How many 1-grams ngc_gen_compose() draws from: count / 8 up to 2^20, but
 * at least 64 and enough that their order-tuples outnumber count 4 to 1,
 * so new ngrams stay easy to find.
 */
static uint64_t ngc_gen_compose_ntok(uint64_t count, int order)
{
    uint64_t ntok = count / 8 < (1u << 20) ? count / 8 : (1u << 20);
    uint64_t need = (uint64_t)pow(4.0 * (double)count, 1.0 / order), pw;
    int i;

    for (;; need++) {
        pw = 1;
        for (i = 0; i < order && pw < 4 * count; i++) {
            pw *= need;
        }
        if (pw >= 4 * count) {
            break;
        }
    }
    need += 16;
    if (ntok < need) {
        ntok = need;
    }
    if (ntok < 64) {
        ntok = 64;
    }
    return ntok;
}

/* fills tk->off and tk->len from trec (tk->n records in rank order) and
 * finds _START_ and _END_; NGC_GEN_OK or NGC_GEN_ERROR after a message */
static int ngc_gen_tokens_table(ngc_gen_tokens_t *tk, const ngc_gen_rec_t *trec)
{
    uint64_t idx;

    tk->off = ngc_gen_alloc(tk->n, sizeof(*tk->off));
    tk->len = ngc_gen_alloc(tk->n, sizeof(*tk->len));
    if (tk->off == NULL || tk->len == NULL) {
        return NGC_GEN_ERROR;
    }
    for (idx = 0; idx < tk->n; idx++) {
        const char *s = tk->ta.p + trec[idx].val;
        size_t n = strlen(s);
        ngc_gen_assert(trec[idx].val < UINT32_MAX && n < NGC_GEN_TOKEN_MAX);
        tk->off[idx] = (uint32_t)trec[idx].val;
        tk->len[idx] = (uint8_t)n;
        if (strcmp(s, "_START_") == 0) {
            tk->start = (uint32_t)idx;
        } else if (strcmp(s, "_END_") == 0) {
            tk->end = (uint32_t)idx;
        }
    }
    return NGC_GEN_OK;
}

/* the ntok 1-grams of cfg and the Zipf table over them; NGC_GEN_OK, or
 * NGC_GEN_ERROR after a message and the caller still calls
 * ngc_gen_tokens_fini() */
static int ngc_gen_tokens_init(ngc_gen_tokens_t *tk, const ngc_gen_config_t *cfg, uint64_t ntok)
{
    ngc_gen_rec_t *trec = NULL;
    int rc;

    memset(tk, 0, sizeof(*tk));
    tk->n = ntok;
    tk->start = UINT32_MAX;
    tk->end = UINT32_MAX;
    if (ngc_gen_vocab1(cfg, ntok, &tk->ta, &trec) != NGC_GEN_OK) {
        return NGC_GEN_ERROR;
    }
    rc = ngc_gen_tokens_table(tk, trec);
    free(trec);
    if (rc != NGC_GEN_OK) {
        return NGC_GEN_ERROR;
    }
    if (ngc_gen_alias_init(&tk->al, (uint32_t)ntok, cfg->zipf) != NGC_GEN_OK) {
        /* it freed its arrays already; keep ngc_gen_tokens_fini() from doing so */
        memset(&tk->al, 0, sizeof(tk->al));
        return NGC_GEN_ERROR;
    }
    return NGC_GEN_OK;
}

/* frees what ngc_gen_tokens_init() made, also after it failed */
static void ngc_gen_tokens_fini(ngc_gen_tokens_t *tk)
{
    ngc_gen_alias_fini(&tk->al);
    free(tk->off);
    free(tk->len);
    free(tk->ta.p);
}

/* draws order tokens into buf as one ngram (NUL-terminated, *len its
 * bytes), _START_ only first and _END_ only last; returns the product of
 * their ranks + 1 */
static double ngc_gen_draw_ngram(const ngc_gen_tokens_t *tk, ngc_gen_rng_t *rng, int order,
                                 unsigned attempt, char *buf, size_t *len)
{
    size_t n = 0;
    double prod = 1.0;
    int i;

    for (i = 0; i < order; i++) {
        uint32_t t;
        do {
            /* fall back to uniform tokens when Zipf keeps colliding */
            t = attempt < 8 ? ngc_gen_alias_draw(&tk->al, rng) : ngc_gen_rand(rng, (uint32_t)tk->n);
        } while ((t == tk->start && i != 0) || (t == tk->end && i != order - 1));
        if (i > 0) {
            buf[n++] = ' ';
        }
        memcpy(buf + n, tk->ta.p + tk->off[t], tk->len[t]);
        n += tk->len[t];
        prod = prod * ((double)t + 1.0);
    }
    buf[n] = '\0';
    *len = n;
    return prod;
}

/* draws ngrams until one is new to set, adds it to a and fills *rec: its
 * offset, and as key its score's bits; NGC_GEN_OK or NGC_GEN_ERROR */
static int ngc_gen_add_ngram(const ngc_gen_tokens_t *tk, int order, ngc_gen_rng_t *rng,
                             ngc_gen_set_t *set, ngc_gen_arena_t *a, ngc_gen_rec_t *rec)
{
    char buf[NGC_GEN_NGRAM_MAX];
    unsigned attempt;

    for (attempt = 0;; attempt++) {
        size_t n, off;
        double prod = ngc_gen_draw_ngram(tk, rng, order, attempt, buf, &n);
        int r = ngc_gen_set_add(set, a, buf, n, 0, &off);
        if (r < 0) {
            return NGC_GEN_ERROR;
        }
        if (r == 1) {
            /* jitter in [1, 5); scaling by 2^-51 is exact, so no FMA
             * can change it; positive doubles sort as their bits */
            uint64_t u = ngc_gen_next(rng) >> 11;
            double score = prod * (1.0 + (double)u * 0x1p-51);
            memcpy(&rec->key, &score, 8);
            rec->val = off;
            return NGC_GEN_OK;
        }
    }
}

/*
 * Builds count distinct ngrams of cfg->order tokens into a, each token drawn
 * by Zipf from a 1-gram vocabulary, and ranks them by the product of their
 * token ranks times a jitter, so ngrams of frequent tokens are frequent.
 * On success *out holds count records (val = string offset) in rank order.
 */
int ngc_gen_compose(const ngc_gen_config_t *cfg, uint64_t count, ngc_gen_arena_t *a,
                    ngc_gen_rec_t **out)
{
    ngc_gen_tokens_t tk;
    ngc_gen_rec_t *rec = NULL;
    ngc_gen_set_t set;
    ngc_gen_rng_t rng;
    uint64_t idx;
    int rc = NGC_GEN_ERROR;

    if (ngc_gen_tokens_init(&tk, cfg, ngc_gen_compose_ntok(count, cfg->order)) != NGC_GEN_OK) {
        goto done;
    }
    rec = ngc_gen_alloc(count, sizeof(*rec));
    if (rec == NULL) {
        goto done;
    }
    if (ngc_gen_set_init(&set, count) != NGC_GEN_OK) {
        goto done;
    }
    ngc_gen_rng_init(&rng, cfg->seed, NGC_GEN_STREAM_COMPOSE);
    for (idx = 0; idx < count; idx++) {
        if (ngc_gen_add_ngram(&tk, cfg->order, &rng, &set, a, &rec[idx]) != NGC_GEN_OK) {
            goto done_set;
        }
    }
    ngc_gen_set_fini(&set);
    if (ngc_gen_store_ranks(rec, count, a) != NGC_GEN_OK) {
        goto done;
    }
    *out = rec;
    rec = NULL;
    rc = NGC_GEN_OK;

    /* the success path runs these too; a finished set is already empty */
done_set:
    ngc_gen_set_fini(&set);
done:
    free(rec);
    ngc_gen_tokens_fini(&tk);
    return rc;
}
