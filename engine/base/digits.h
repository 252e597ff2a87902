/*
 * digits.h: an unsigned integer's decimal digits, written without printf
 * (the output pass, the COPY rows and the streaming reducer print one or
 * two per line, tens of millions of lines).
 */
#ifndef NGC_ENGINE_BASE_DIGITS_H
#define NGC_ENGINE_BASE_DIGITS_H

#include <stddef.h>
#include <stdint.h>

/* Most digits a uint64_t takes. */
#define NGC_DIGITS_U64_MAX 20

/* Writes v's digits at dst (no terminator); returns how many. Inline: the
 * output's line loop calls it once or twice a line. */
static inline size_t ngc_digits_u64(char *dst, uint64_t v)
{
    char tmp[NGC_DIGITS_U64_MAX];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    return n;
}

#endif
