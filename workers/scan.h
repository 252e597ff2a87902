/*
 * scan.h: the lexical steps every line reader shares (the map parsers and
 * the streaming reducer): finding the key's end, and reading a decimal
 * number in a register. Each reads past where it starts, so a caller keeps
 * the buffer's end (with an LF before it) in `end`.
 */
#ifndef NGC_WORKERS_SCAN_H
#define NGC_WORKERS_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/base/ngc.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The value of the n digits (1..8) at s; 8 bytes readable. Bytes past the
 * digits are shifted out, their borrows with them. */
static inline uint64_t ngc_scan_field(const char *s, unsigned n)
{
    uint64_t v;
    memcpy(&v, s, 8);
    uint64_t d = (v - 0x3030303030303030ull) << (8 * (8 - n));
    d = d * 10 + (d >> 8);
    return (((d & 0x000000FF000000FFull) * 0x000F424000000064ull) +
            (((d >> 16) & 0x000000FF000000FFull) * 0x0000271000000001ull)) >>
           32;
}

/* Whether any of the n digits (1..8) at s is not '0': a field's value is
 * not 0, without converting it. 8 bytes readable. */
static inline bool ngc_scan_nonzero(const char *s, unsigned n)
{
    uint64_t v;
    memcpy(&v, s, 8);
    return ((v ^ 0x3030303030303030ull) << (8 * (8 - n))) != 0;
}

/*
 * Reads a run of ASCII digits; *q ends on the first other byte, *ndigits
 * says how many there were. With 8 readable bytes, numbers of up to 7
 * digits are converted in a register (SWAR, as in Lemire's
 * parse_eight_digits): no loop, no branch per digit. Up to 19 digits are
 * exact; the caller rejects more (the slow path decides those).
 */
static inline uint64_t ngc_scan_digits(const char **q, size_t *ndigits, const char *end)
{
    const char *s = *q;
    if (NGC_LIKELY(s + 8 <= end)) {
        uint64_t v;
        memcpy(&v, s, 8);
        uint64_t d = v - 0x3030303030303030ull;
        /* High bit of each byte that is not a digit (no borrow reaches a
         * byte before the first non-digit). */
        uint64_t nondigit = (d | (d + 0x7676767676767676ull)) & 0x8080808080808080ull;
        if (nondigit != 0) {
            unsigned n = (unsigned)__builtin_ctzll(nondigit) >> 3;
            *ndigits = n;
            *q = s + n;
            return n == 0 ? 0 : ngc_scan_field(s, n);
        }
    }
    const char *p = s;
    uint64_t v = 0;
    while ((unsigned)(*p - '0') < 10u) {
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
    }
    *ndigits = (size_t)(p - s);
    *q = p;
    return v;
}

/* Where the first TAB or LF at or after p is (16 bytes at a time). */
static inline const char *ngc_scan_key(const char *p, const char *end)
{
#ifdef __SSE2__
    const __m128i tab = _mm_set1_epi8('\t'), lf = _mm_set1_epi8('\n');
    while (p + 16 <= end) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        unsigned mask = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, tab), _mm_cmpeq_epi8(v, lf)));
        if (mask != 0)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    (void)end;
    while (*p != '\t' && *p != '\n')
        p++;
    return p;
}

#endif
