/*
 * sort.c: see sort.h.
 */

#include "datasets/gen/sort.h"
#include "datasets/gen/log.h"

#include <string.h>

void ngc_gen_radix(ngc_gen_rec_t *r, ngc_gen_rec_t *tmp, size_t n)
{
    size_t cnt[8][256];
    ngc_gen_rec_t *src = r, *dst = tmp, *sw;
    size_t i, sum;
    unsigned b, c;

    if (n < 2) {
        return;
    }
    memset(cnt, 0, sizeof(cnt));
    for (i = 0; i < n; i++) {
        uint64_t k = r[i].key;
        for (b = 0; b < 8; b++) {
            cnt[b][(k >> (8 * b)) & 0xff]++;
        }
    }
    for (b = 0; b < 8; b++) {
        unsigned shift = 8 * b;
        if (cnt[b][(src[0].key >> shift) & 0xff] == n) {
            continue;
        }
        sum = 0;
        for (c = 0; c < 256; c++) {
            size_t t = cnt[b][c];
            cnt[b][c] = sum;
            sum += t;
        }
        for (i = 0; i < n; i++) {
            dst[cnt[b][(src[i].key >> shift) & 0xff]++] = src[i];
        }
        sw = src;
        src = dst;
        dst = sw;
    }
    if (src != r) {
        memcpy(r, src, n * sizeof(*r));
    }
}

/* the 8 bytes at s, big-endian, zero padded after the NUL */
static inline uint64_t ngc_gen_prefix(const char *s)
{
    uint64_t k = 0;
    unsigned b;

    for (b = 0; b < 8 && s[b] != '\0'; b++) {
        k = (k << 8) | (unsigned char)s[b];
    }
    if (b > 0 && b < 8) {
        k <<= 8 * (8 - b);
    }
    return k;
}

/*
 * Sorts records (val = offset into base) by their strings in byte order.
 * All strings share their first depth bytes and are distinct.
 */
void ngc_gen_sort_strings(ngc_gen_rec_t *r, ngc_gen_rec_t *tmp, size_t n, const char *base,
                          size_t depth)
{
    size_t i, j;

    if (n < 48) {
        for (i = 1; i < n; i++) {
            ngc_gen_rec_t t = r[i];
            const char *s = base + t.val + depth;
            for (j = i; j > 0 && strcmp(base + r[j - 1].val + depth, s) > 0; j--) {
                r[j] = r[j - 1];
            }
            r[j] = t;
        }
        return;
    }
    for (i = 0; i < n; i++) {
        r[i].key = ngc_gen_prefix(base + r[i].val + depth);
    }
    ngc_gen_radix(r, tmp, n);
    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && r[j].key == r[i].key; j++) {
            /* find the run of equal prefixes */
        }
        if (j - i > 1) {
            /* a NUL inside equal prefixes would mean equal strings */
            ngc_gen_assert((r[i].key & 0xff) != 0);
            ngc_gen_sort_strings(r + i, tmp + i, j - i, base, depth + 8);
        }
    }
}
