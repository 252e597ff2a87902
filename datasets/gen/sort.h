/*
 * sort.h: sorting (key, value) records: a stable LSD radix sort on the
 * 64-bit keys, and strings in byte order by an MSD radix sort of their
 * 8-byte prefixes.
 */

#ifndef NGC_DATASETS_GEN_SORT_H
#define NGC_DATASETS_GEN_SORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t key;
    uint64_t val;
} ngc_gen_rec_t;

/* sorts r[0..n) by key, stably; tmp is scratch of n records */
void ngc_gen_radix(ngc_gen_rec_t *r, ngc_gen_rec_t *tmp, size_t n);

/* sorts r[0..n) (val = offset of a NUL-terminated string in base) by the
 * strings in byte order; the strings are distinct and share their first
 * depth bytes (0 from outside). key is overwritten; tmp is scratch */
void ngc_gen_sort_strings(ngc_gen_rec_t *r, ngc_gen_rec_t *tmp, size_t n, const char *base,
                          size_t depth);

#endif
