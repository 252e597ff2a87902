/*
 * digits.c: decimal digits (see digits.h).
 */
#include "engine/base/ngc.h"
#include "engine/base/digits.h"

size_t ngc_digits_u64(char *dst, uint64_t v)
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
