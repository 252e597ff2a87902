/*
 * normalize.h: --normalize. Reads Google's totalcounts file (the words and
 * books of each year in the whole corpus) and prints a total as a share of
 * the same years' total: per million words, or percent of books. The share
 * is printed exactly: the rational rounded to 17 significant digits, more
 * than a double holds, in plain positional notation.
 */
#ifndef NGC_ENGINE_REDUCE_NORMALIZE_H
#define NGC_ENGINE_REDUCE_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/config.h"

#define NGC_NORMALIZE_DIGITS 17
/* The longest number ngc_normalize_format writes. */
#define NGC_NORMALIZE_MAX 48

/* The corpus's totals over the counted years. */
typedef struct {
    uint64_t match;
    uint64_t volume;
} ngc_totals_t;

/*
 * Sums the tuples of the totals file at path ("year,match,pages,volume" or
 * "year,match,volume", separated by spaces, TABs, CRs or LFs; or the 2009
 * shape: '#' lines, then "year TAB match TAB pages TAB volume" rows) whose
 * year is in
 * from..to. NGC_OK, or NGC_ERROR after a message naming the file and the
 * tuple. Of the two sums only those that `count` divides by matter: one of
 * them past 2^64-1 or zero (nothing could be divided by it) is an error;
 * the other stays at UINT64_MAX past 2^64-1 (ngc_counters_add).
 */
int ngc_normalize_load(const char *path, uint32_t from, uint32_t to, ngc_count_t count,
                       ngc_totals_t *out);

/* Every year's totals of a totals file, for --by-year series. */
typedef struct {
    bool has[10000]; /* the year has a tuple */
    uint64_t match[10000];
    uint64_t volume[10000];
} ngc_year_totals_t;

/* Reads every tuple of the totals file at path (any release's shape) into a
 * malloc'd table (free()); NULL after a message naming the file: a bad
 * tuple, a year twice, no tuples. */
ngc_year_totals_t *ngc_normalize_load_years(const char *path);

/* Writes count * scale / denom (denom > 0, scale <= 10^6) at dst; returns
 * the bytes written, at most NGC_NORMALIZE_MAX. Pure. */
size_t ngc_normalize_format(char *dst, uint64_t count, uint64_t scale, uint64_t denom);
/* Writes the 17 significant digits with int_digits of them before the
 * decimal point (none or more than 17: zeros fill in), trailing zeros of a
 * fraction and a bare point dropped; returns the length. */
size_t ngc_normalize_place_point(const char *digits, int int_digits, char *dst);

#endif
