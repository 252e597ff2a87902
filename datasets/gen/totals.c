/*
 * totals.c: see totals.h. The extras are hashes of the seed and the year,
 * not draws, so the totals are the same for v1, v2 and v3.
 */

#include "datasets/gen/totals.h"
#include "datasets/gen/config.h"
#include "datasets/gen/digits.h"
#include "datasets/gen/log.h"
#include "datasets/gen/out.h"

#include <stdbool.h>

/*
 * Writes the --totals file in the shape Google published for the release
 * of the data's format, one "year,match,pages,volume" per year with data,
 * ascending. v2 (2012) and v3 (2020): one line, " \t" first, then each
 * tuple followed by a TAB, no newline. v1 (2009): a '#' header line, then
 * "year\tmatch\tpages\tvolume\n" rows. Each count is 3 times the year's
 * sum over the valid lines plus a seeded extra, ordered so that match >=
 * page >= volume: the totals of a corpus larger than the file, as
 * Google's are.
 */
static int ngc_gen_put_totals(const ngc_gen_t *g, const ngc_gen_stats_t *st, ngc_gen_out_t *o)
{
    static const char head09[] =
        "#Total counts of 1grams for the synthetic corpus (ngram-gen). The "
        "fields, separated by tabs, correspond to the year, the number of "
        "1grams, the number of pages, the number of books.\n";
    bool rows = g->cfg->format == NGC_GEN_FMT_V1;
    char sep = rows ? '\t' : ',', end = rows ? '\n' : '\t';
    uint64_t r, ev, ep, em;
    unsigned y;
    char *p;

    if (rows ? ngc_gen_out_write(o, head09, sizeof(head09) - 1) != NGC_GEN_OK
             : ngc_gen_out_write(o, " \t", 2) != NGC_GEN_OK) {
        return NGC_GEN_ERROR;
    }
    for (y = 0; y < NGC_GEN_NYEARS; y++) {
        if (st->yvol[y] == 0) {
            continue;
        }
        r = ngc_gen_mix64(g->page_key ^ ((NGC_GEN_YEAR_MIN + y) * 0xd1b54a32d192ed03ULL));
        ev = 1 + (r & 1023);
        ep = ev + ((r >> 10) & 0xffff);
        em = ep + ((r >> 26) & 0xfffff);
        /* the match sum is the largest, so it alone can overflow */
        if (st->yover || st->ymatch[y] > (UINT64_MAX - em) / 3) {
            ngc_gen_log(0,
                        "cannot write totals: the count of year %u "
                        "exceeds 2^64",
                        NGC_GEN_YEAR_MIN + y);
            return NGC_GEN_ERROR;
        }
        p = ngc_gen_out_reserve(o, 80);
        if (p == NULL) {
            return NGC_GEN_ERROR;
        }
        p = ngc_gen_put_year(p, NGC_GEN_YEAR_MIN + y);
        *p++ = sep;
        p = ngc_gen_put_u64(p, 3 * st->ymatch[y] + em);
        *p++ = sep;
        p = ngc_gen_put_u64(p, 3 * st->ypage[y] + ep);
        *p++ = sep;
        p = ngc_gen_put_u64(p, 3 * st->yvol[y] + ev);
        *p++ = end;
        o->len = (size_t)(p - o->buf);
    }
    return NGC_GEN_OK;
}

/* writes the totals to fd, the file tmp or stdout if tmp is NULL */
int ngc_gen_totals(const ngc_gen_t *g, const ngc_gen_stats_t *st, int fd, const char *tmp)
{
    ngc_gen_out_t o;
    int rc;

    rc = ngc_gen_out_init(&o, fd, tmp, tmp == NULL, false, 0);
    if (rc == NGC_GEN_OK) {
        rc = ngc_gen_put_totals(g, st, &o);
    }
    if (rc == NGC_GEN_OK) {
        rc = ngc_gen_out_flush(&o, true);
    }
    ngc_gen_out_fini(&o);
    return rc;
}
