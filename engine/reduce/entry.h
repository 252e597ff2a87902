/*
 * entry.h: one result entry (a key and its totals) as the reduce table, the
 * spilled runs and the output pass it around, and the key prefix that
 * orders entries before their bytes are compared.
 */
#ifndef NGC_ENGINE_REDUCE_ENTRY_H
#define NGC_ENGINE_REDUCE_ENTRY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A sorted result entry; key points into shm or a run reader's buffer,
 * valid while that lives. */
typedef struct {
    const char *key;
    uint32_t len;
    uint64_t match;
    uint64_t volume;
    uint64_t prefix; /* the key's first 8 bytes, big-endian, zero-padded; or 0
                          in both entries compared, which then compare keys in full */
} ngc_entry_t;

/* The key's first 8 bytes, big-endian, zero-padded: as integers, prefixes
 * order as the bytes do. */
static inline uint64_t ngc_entry_prefix(const char *key, size_t len)
{
    unsigned char b[8] = {0};
    memcpy(b, key, len < 8 ? len : 8);
    uint64_t v;
    memcpy(&v, b, 8);
    return __builtin_bswap64(v);
}

#endif
