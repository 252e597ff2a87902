/*
 * strset.c: see strset.h. A slot holds a string offset and a 24-bit
 * fingerprint of its hash, so most misses never touch the arena.
 */

#include "datasets/gen/strset.h"
#include "datasets/gen/log.h"
#include "datasets/gen/rng.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* appends s (n bytes) with its rank; *off gets its offset, never 0 */
static int ngc_gen_arena_add(ngc_gen_arena_t *a, const char *s, size_t n, uint32_t rank,
                             size_t *off)
{
    size_t need;

    if (a->len == 0) {
        a->len = 4; /* so that no string sits at offset 0 */
    }
    need = a->len + 4 + n + 1;
    if (need > a->cap) {
        size_t cap = a->cap ? a->cap : (1u << 20);
        char *p;
        while (cap < need) {
            cap += cap / 2;
        }
        p = realloc(a->p, cap);
        if (p == NULL) {
            ngc_gen_log(errno, "realloc() of %zu bytes failed", cap);
            return NGC_GEN_ERROR;
        }
        a->p = p;
        a->cap = cap;
    }
    memcpy(a->p + a->len, &rank, 4);
    memcpy(a->p + a->len + 4, s, n);
    a->p[a->len + 4 + n] = '\0';
    *off = a->len + 4;
    a->len = need;
    return NGC_GEN_OK;
}

uint64_t ngc_gen_hash(const char *s, size_t n)
{
    uint64_t h = 0x243f6a8885a308d3ULL ^ n, w;

    while (n >= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    w = 0;
    memcpy(&w, s, n);
    return ngc_gen_mix64(h ^ w);
}

int ngc_gen_set_init(ngc_gen_set_t *set, uint64_t expect)
{
    size_t cap = 1024;

    while (cap < expect + expect / 3) {
        cap *= 2;
    }
    set->slot = calloc(cap, sizeof(uint64_t));
    if (set->slot == NULL) {
        ngc_gen_log(errno, "calloc() of %zu slots failed", cap);
        return NGC_GEN_ERROR;
    }
    set->mask = cap - 1;
    return NGC_GEN_OK;
}

void ngc_gen_set_fini(ngc_gen_set_t *set)
{
    free(set->slot);
    set->slot = NULL;
}

/*
 * Adds the NUL-terminated string s (n bytes) to the arena unless the set
 * has it already. Returns 1 if added, 0 if present, NGC_GEN_ERROR.
 */
int ngc_gen_set_add(ngc_gen_set_t *set, ngc_gen_arena_t *a, const char *s, size_t n, uint32_t rank,
                    size_t *off)
{
    uint64_t h = ngc_gen_hash(s, n), fp = h >> 40, v;
    size_t i = (size_t)h & set->mask, o;

    for (;;) {
        v = set->slot[i];
        if (v == 0) {
            break;
        }
        if ((v & 0xffffff) == fp && strcmp(a->p + (v >> 24), s) == 0) {
            return 0;
        }
        i = (i + 1) & set->mask;
    }
    if (ngc_gen_arena_add(a, s, n, rank, &o) != NGC_GEN_OK) {
        return NGC_GEN_ERROR;
    }
    ngc_gen_assert((uint64_t)o < (1ULL << 40));
    set->slot[i] = ((uint64_t)o << 24) | fp;
    if (off != NULL) {
        *off = o;
    }
    return 1;
}
