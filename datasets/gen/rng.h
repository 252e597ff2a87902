/*
 * rng.h: random numbers and Zipf sampling. splitmix64 seeds the streams and
 * drives the per-ngram ones; xoshiro256** the long ones. Integer only, so
 * every machine draws the same numbers. Each stream is keyed by the seed
 * and a NGC_GEN_STREAM_* id, so one stream's draws never shift another's.
 */

#ifndef NGC_DATASETS_GEN_RNG_H
#define NGC_DATASETS_GEN_RNG_H

#include <stdbool.h>
#include <stdint.h>

#define NGC_GEN_STREAM_VOCAB 1
#define NGC_GEN_STREAM_COMPOSE 2
#define NGC_GEN_STREAM_PARAMS 3
#define NGC_GEN_STREAM_BAD 4
#define NGC_GEN_STREAM_TMAX 5
#define NGC_GEN_STREAM_PAGE 6
#define NGC_GEN_STREAM_WORDS 7
#define NGC_GEN_STREAM_TEXT 8

typedef struct {
    uint64_t s[4];
} ngc_gen_rng_t;

typedef struct {
    uint32_t *prob; /* keep threshold, scaled to 2^32 */
    uint32_t *alias;
    uint32_t n;
} ngc_gen_alias_t;

static inline uint64_t ngc_gen_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t ngc_gen_sm_next(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ULL;
    return ngc_gen_mix64(*s);
}

static inline uint64_t ngc_gen_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* starts r on stream `stream` of `seed` (NGC_GEN_STREAM_*) */
void ngc_gen_rng_init(ngc_gen_rng_t *r, uint64_t seed, uint64_t stream);

static inline uint64_t ngc_gen_next(ngc_gen_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t res = ngc_gen_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ngc_gen_rotl(s[3], 45);
    return res;
}

/* a number in [0, n) from the high 32 bits of r */
static inline uint32_t ngc_gen_below(uint64_t r, uint32_t n)
{
    return (uint32_t)(((r >> 32) * (uint64_t)n) >> 32);
}

static inline uint32_t ngc_gen_rand(ngc_gen_rng_t *r, uint32_t n)
{
    return ngc_gen_below(ngc_gen_next(r), n);
}

/* true with probability share (53-bit resolution) */
static inline bool ngc_gen_chance(uint64_t r, double share)
{
    return (double)(r >> 11) * 0x1p-53 < share;
}

/* a Walker alias table for Zipf(s) over ranks 0..n-1 (rank 0 most likely);
 * NGC_GEN_OK, or NGC_GEN_ERROR with nothing left to free */
int ngc_gen_alias_init(ngc_gen_alias_t *al, uint32_t n, double s);

/* frees the table; a zeroed table is fine */
void ngc_gen_alias_fini(ngc_gen_alias_t *al);

/* a rank drawn from the table, one draw from rng */
static inline uint32_t ngc_gen_alias_draw(const ngc_gen_alias_t *al, ngc_gen_rng_t *rng)
{
    uint64_t r = ngc_gen_next(rng);
    uint32_t k = ngc_gen_below(r, al->n);

    return (uint32_t)r < al->prob[k] ? k : al->alias[k];
}

#endif
