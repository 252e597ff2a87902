/*
 * malformed.c: see malformed.h. No v1 form has 4 fields: that would read
 * as a valid v2 line.
 */

#include "datasets/gen/malformed.h"
#include "datasets/gen/config.h"
#include "datasets/gen/log.h"
#include "datasets/gen/out.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * Writes line[0..p) and then 7s up to NGC_GEN_LONG_LINE bytes minus the
 * tail bytes the caller adds before the terminator: a count of ~1 MiB
 * digits, over any sane line limit.
 */
static int ngc_gen_put_sevens(ngc_gen_run_t *run, const char *line, const char *p, size_t tail)
{
    size_t pad = NGC_GEN_LONG_LINE - (size_t)(p - line) - tail;

    if (ngc_gen_out_write(run->o, line, (size_t)(p - line)) != NGC_GEN_OK) {
        return NGC_GEN_ERROR;
    }
    while (pad > 0) {
        size_t c = pad < 4096 ? pad : 4096;
        char *d = ngc_gen_out_reserve(run->o, c);
        if (d == NULL) {
            return NGC_GEN_ERROR;
        }
        memset(d, '7', c);
        run->o->len += c;
        pad -= c;
    }
    return NGC_GEN_OK;
}

/* the fields after the ngram of a v2 or v3 malformed line; NULL on error */
static char *ngc_gen_bad_v23(ngc_gen_run_t *run, unsigned kind, uint32_t variant, uint32_t year,
                             uint32_t m, char *line, char *p)
{
    bool v3 = run->g->cfg->format == NGC_GEN_FMT_V3;
    char sep = v3 ? ',' : '\t';
    uint32_t v = 1 + m / 3;

    switch (kind) {
    case NGC_GEN_BAD_FIELDS:
        switch (variant % 4) {
        case 0: /* v2: 3 fields; v3: a 2-element triple */
            p += snprintf(p, 64, "\t%u%c%u", year, sep, m);
            break;
        case 1: /* v2: 5 fields; v3: a 4-element triple */
            p += snprintf(p, 64, "\t%u%c%u%c%u%c%u", year, sep, m, sep, v, sep, v);
            break;
        case 2: /* the ngram alone */
            break;
        default: /* v2: 2 fields; v3: three 1-element triples */
            p += v3 ? snprintf(p, 64, "\t%u\t%u\t%u", year, m, v) : snprintf(p, 64, "\t%u", year);
            break;
        }
        break;
    case NGC_GEN_BAD_NUMBER:
        switch (variant) {
        case 0:
            p += snprintf(p, 64, "\t%u%c%ua%c%u", year, sep, m, sep, v);
            break;
        case 1:
            p += snprintf(p, 64, "\t%u%c%c%u", year, sep, sep, v);
            break;
        case 2:
            p += snprintf(p, 64, "\t%u%c%u%cx%u", year, sep, m, sep, v);
            break;
        case 3:
            p += snprintf(p, 64, "\t%u%c%u.5%c%u", year, sep, m, sep, v);
            break;
        default:
            p += snprintf(p, 64, "\t%u%c%u%c", year, sep, m, sep);
            break;
        }
        break;
    case NGC_GEN_BAD_NEGATIVE:
        switch (variant % 3) {
        case 0:
            p += snprintf(p, 64, "\t%u%c-%u%c%u", year, sep, m, sep, v);
            break;
        case 1:
            p += snprintf(p, 64, "\t%u%c%u%c-%u", year, sep, m, sep, v);
            break;
        default:
            p += snprintf(p, 64, "\t%u%c-%u%c-%u", year, sep, m, sep, v);
            break;
        }
        break;
    case NGC_GEN_BAD_YEAR:
        year = variant % 3 == 0 ? 0 : variant % 3 == 1 ? 10000 : 12345;
        p += snprintf(p, 64, "\t%u%c%u%c%u", year, sep, m, sep, v);
        break;
    default:
        p += snprintf(p, 64, "\t%u%c", year, sep);
        if (ngc_gen_put_sevens(run, line, p, 2) != NGC_GEN_OK) {
            return NULL;
        }
        p = line;
        *p++ = sep;
        *p++ = '1';
        break;
    }
    return p;
}

/*
 * The fields after the ngram of a v1 malformed line; NULL on error. There is
 * no 4-field form: "ng TAB year TAB match TAB page" would read as valid v2.
 */
static char *ngc_gen_bad_v1(ngc_gen_run_t *run, unsigned kind, uint32_t variant, uint32_t year,
                            uint32_t m, char *line, char *p)
{
    uint32_t v = 1 + m / 3, pg = (m + v) / 2;

    switch (kind) {
    case NGC_GEN_BAD_FIELDS:
        switch (variant % 4) {
        case 0: /* 3 fields */
            p += snprintf(p, 64, "\t%u\t%u", year, m);
            break;
        case 1: /* 6 fields */
            p += snprintf(p, 64, "\t%u\t%u\t%u\t%u\t%u", year, m, pg, v, v);
            break;
        case 2: /* the ngram alone */
            break;
        default: /* 2 fields */
            p += snprintf(p, 64, "\t%u", year);
            break;
        }
        break;
    case NGC_GEN_BAD_NUMBER:
        switch (variant) {
        case 0:
            p += snprintf(p, 64, "\t%u\t%ua\t%u\t%u", year, m, pg, v);
            break;
        case 1:
            p += snprintf(p, 64, "\t%u\t\t%u\t%u", year, pg, v);
            break;
        case 2:
            p += snprintf(p, 64, "\t%u\t%u\tx%u\t%u", year, m, pg, v);
            break;
        case 3:
            p += snprintf(p, 64, "\t%u\t%u.5\t%u\t%u", year, m, pg, v);
            break;
        default:
            p += snprintf(p, 64, "\t%u\t%u\t%u\t", year, m, pg);
            break;
        }
        break;
    case NGC_GEN_BAD_NEGATIVE:
        switch (variant % 3) {
        case 0:
            p += snprintf(p, 64, "\t%u\t-%u\t%u\t%u", year, m, pg, v);
            break;
        case 1:
            p += snprintf(p, 64, "\t%u\t%u\t%u\t-%u", year, m, pg, v);
            break;
        default:
            p += snprintf(p, 64, "\t%u\t-%u\t-%u\t-%u", year, m, pg, v);
            break;
        }
        break;
    case NGC_GEN_BAD_YEAR:
        year = variant % 3 == 0 ? 0 : variant % 3 == 1 ? 10000 : 12345;
        p += snprintf(p, 64, "\t%u\t%u\t%u\t%u", year, m, pg, v);
        break;
    default:
        p += snprintf(p, 64, "\t%u\t", year);
        if (ngc_gen_put_sevens(run, line, p, 4) != NGC_GEN_OK) {
            return NULL;
        }
        p = line;
        memcpy(p, "\t1\t1", 4);
        p += 4;
        break;
    }
    return p;
}

int ngc_gen_put_bad(ngc_gen_run_t *run, unsigned kind, const char *ng, size_t len)
{
    char line[NGC_GEN_NGRAM_MAX + 128], *p = line;
    uint32_t year = 1800 + ngc_gen_rand(&run->rng, 200);
    uint32_t m = 1 + ngc_gen_rand(&run->rng, 999);
    uint32_t variant = ngc_gen_rand(&run->rng, 5);

    memcpy(p, ng, len);
    p += len;
    if (run->g->cfg->format == NGC_GEN_FMT_V1) {
        p = ngc_gen_bad_v1(run, kind, variant, year, m, line, p);
    } else {
        p = ngc_gen_bad_v23(run, kind, variant, year, m, line, p);
    }
    if (p == NULL) {
        return NGC_GEN_ERROR;
    }
    memcpy(p, run->eol, run->eol_len);
    p += run->eol_len;
    run->st->bad[kind]++;
    run->st->lines++;
    return ngc_gen_out_write(run->o, line, (size_t)(p - line));
}
