/*
 * strset.h: string storage and de-duplication. An arena holds the strings
 * (each NUL-terminated, with a 32-bit rank stored just before it); a set of
 * open-addressed slots finds a string already there.
 */

#ifndef NGC_DATASETS_GEN_STRSET_H
#define NGC_DATASETS_GEN_STRSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *p;    /* entries: u32 rank, bytes, NUL */
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
} ngc_gen_arena_t;

typedef struct {
    uint64_t *slot; /* string offset << 24 | 24-bit fingerprint */
    size_t mask;
} ngc_gen_set_t;

/* a 64-bit hash of s[0..n) that is the same on every machine */
uint64_t ngc_gen_hash(const char *s, size_t n);

/* a set for about expect strings; NGC_GEN_OK or NGC_GEN_ERROR */
int ngc_gen_set_init(ngc_gen_set_t *set, uint64_t expect);

/* frees the slots (the arena keeps the strings); twice is fine */
void ngc_gen_set_fini(ngc_gen_set_t *set);

/* adds the NUL-terminated s (n bytes) to the arena unless the set has it:
 * 1 if added (*off, if not NULL, gets its offset), 0 if present, or
 * NGC_GEN_ERROR */
int ngc_gen_set_add(ngc_gen_set_t *set, ngc_gen_arena_t *a, const char *s, size_t n, uint32_t rank,
                    size_t *off);

#endif
