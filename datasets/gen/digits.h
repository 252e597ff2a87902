/*
 * digits.h: integers as decimal text, two digits per table look-up, and
 * their sizes; inline because the writers call them for every number of
 * every line. Header only.
 */

#ifndef NGC_DATASETS_GEN_DIGITS_H
#define NGC_DATASETS_GEN_DIGITS_H

#include <stdint.h>

static const char ngc_gen_digits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536"
    "37383940414243444546474849505152535455565758596061626364656667686970717273"
    "7475767778798081828384858687888990919293949596979899";

static inline unsigned ngc_gen_bitlen(uint64_t v)
{
    unsigned n = 0;

    while (v != 0) {
        n++;
        v >>= 1;
    }
    return n;
}

static inline unsigned ngc_gen_ndigits(uint64_t v)
{
    unsigned n = 1;

    while (v >= 10000) {
        v /= 10000;
        n += 4;
    }
    if (v >= 1000) {
        return n + 3;
    }
    if (v >= 100) {
        return n + 2;
    }
    return v >= 10 ? n + 1 : n;
}

/* writes v at p (ngc_gen_ndigits(v) bytes, no NUL); returns the end */
static inline char *ngc_gen_put_u64(char *p, uint64_t v)
{
    unsigned n = ngc_gen_ndigits(v);
    char *e = p + n;

    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--e = ngc_gen_digits2[d + 1];
        *--e = ngc_gen_digits2[d];
    }
    if (v >= 10) {
        unsigned d = (unsigned)v * 2;
        *--e = ngc_gen_digits2[d + 1];
        *--e = ngc_gen_digits2[d];
    } else {
        *--e = (char)('0' + v);
    }
    return p + n;
}

/* writes the 4-digit year y at p; returns the end */
static inline char *ngc_gen_put_year(char *p, unsigned y)
{
    unsigned hi = (y / 100) * 2, lo = (y % 100) * 2;

    p[0] = ngc_gen_digits2[hi];
    p[1] = ngc_gen_digits2[hi + 1];
    p[2] = ngc_gen_digits2[lo];
    p[3] = ngc_gen_digits2[lo + 1];
    return p + 4;
}

#endif
