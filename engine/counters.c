/*
 * counters.c: the shared reduce table (see counters.h for the design).
 *
 * A slot is 32 bytes: cached hash, key reference (offset << 24 | length;
 * 0 means empty), match and volume. A partition's slot array doubles at 3/4
 * load; the old array goes to a free list by size class, where another
 * partition growing to the same size picks it up (they grow in step, since
 * the hash spreads keys evenly). Key bytes go to per-partition arena blocks.
 */
#include "engine/ngc.h"
#include "engine/counters.h"
#include "engine/log.h"
#include "engine/shmtx.h"

#include <stdlib.h>
#include <xxhash.h>

#define NGC_KEY_LEN_BITS 24
#define NGC_KEY_LEN_MASK ((1ull << NGC_KEY_LEN_BITS) - 1)
#define NGC_INITIAL_SLOTS 256u
#define NGC_ARENA_BLOCK (256u << 10)
#define NGC_PART_BITS 6
#define NGC_SIZE_CLASSES 64

_Static_assert((1u << NGC_PART_BITS) == NGC_COUNTERS_PARTS, "partition bits");

typedef struct {
    uint64_t hash;
    uint64_t ref;    /* offset << 24 | length, 0 when empty */
    uint64_t match;
    uint64_t volume;
} ngc_cslot_t;

_Static_assert(sizeof(ngc_cslot_t) == 32, "two slots per cache line");

typedef struct {
    ngc_shmtx_t lock;
    uint64_t table;     /* offset of the slot array */
    uint64_t cap;       /* slots, a power of two */
    uint64_t count;     /* used slots */
    uint64_t arena;     /* offset of the next free key byte */
    uint64_t arena_end; /* end of the current arena block */
    uint64_t sorted;    /* entries after ngc_counters_sort, from slot 0 */
    bool is_sorted;
} __attribute__((aligned(64))) ngc_part_t;

struct ngc_counters_s {
    uint64_t size;                          /* bytes of the whole table */
    ngc_shmtx_t alloc_lock;                 /* guards bump and free_tables */
    uint64_t bump;                          /* next free offset in the pool */
    uint64_t high_water;
    uint64_t free_tables[NGC_SIZE_CLASSES]; /* offset of a freed array, 0 = none */
    ngc_part_t part[NGC_COUNTERS_PARTS];
};

size_t ngc_counters_shm_size(uint64_t memory)
{
    return (size_t)memory;
}

static inline char *ngc_counters_at(const ngc_counters_t *c, uint64_t off)
{
    return (char *)c + off;
}

static inline ngc_cslot_t *ngc_counters_slots(const ngc_counters_t *c, const ngc_part_t *p)
{
    return (ngc_cslot_t *)ngc_counters_at(c, p->table);
}

static unsigned ngc_counters_log2(uint64_t n)
{
    return 63u - (unsigned)__builtin_clzll(n);
}

/*
 * Takes alloc_lock. Every change under it is one aligned 64-bit store (the
 * bump pointer, a free-list head), so a holder that died left the pool
 * consistent, at worst leaking one block: mark it so and go on.
 */
static int ngc_counters_alloc_lock(ngc_counters_t *c)
{
    int rc = ngc_shmtx_lock(&c->alloc_lock);
    if (rc == NGC_SHMTX_OWNERDEAD) {
        ngc_shmtx_consistent(&c->alloc_lock);
        rc = NGC_OK;
    }
    return rc;
}

/*
 * Allocates `bytes` (a power of two for slot arrays) from the pool; 0 if
 * full. *zeroed tells whether the memory is known to be zero: fresh pages of
 * the anonymous mapping are, so they need no memset (and no early touch).
 */
static uint64_t ngc_counters_alloc(ngc_counters_t *c, uint64_t bytes, bool table, bool *zeroed)
{
    if (ngc_counters_alloc_lock(c) != NGC_OK)
        return 0;
    uint64_t off = 0;
    unsigned cls = ngc_counters_log2(bytes);
    *zeroed = false;
    if (table && c->free_tables[cls] != 0) {
        off = c->free_tables[cls];
        c->free_tables[cls] = *(uint64_t *)ngc_counters_at(c, off);
    } else {
        *zeroed = true;
        uint64_t start = (c->bump + 63) & ~(uint64_t)63;
        if (start + bytes <= c->size) {
            off = start;
            c->bump = start + bytes;
            if (c->bump > c->high_water)
                c->high_water = c->bump;
        }
    }
    ngc_shmtx_unlock(&c->alloc_lock);
    return off;
}

static void ngc_counters_free_table(ngc_counters_t *c, uint64_t off, uint64_t bytes)
{
    if (ngc_counters_alloc_lock(c) != NGC_OK)
        return; /* leaked, not corrupted */
    unsigned cls = ngc_counters_log2(bytes);
    *(uint64_t *)ngc_counters_at(c, off) = c->free_tables[cls];
    c->free_tables[cls] = off;
    ngc_shmtx_unlock(&c->alloc_lock);
}

ngc_counters_t *ngc_counters_shm_init(void *at, size_t size)
{
    ngc_counters_t *c = at;
    memset(c, 0, sizeof(*c));
    c->size = size;
    c->bump = sizeof(*c);
    c->high_water = c->bump;
    if (size > (1ull << (64 - NGC_KEY_LEN_BITS))) {
        ngc_log_error(0, "reduce table of %zu bytes is larger than offsets can address", size);
        return NULL;
    }
    if (ngc_shmtx_init(&c->alloc_lock) != NGC_OK)
        return NULL;
    for (unsigned i = 0; i < NGC_COUNTERS_PARTS; i++) {
        ngc_part_t *p = &c->part[i];
        if (ngc_shmtx_init(&p->lock) != NGC_OK)
            return NULL;
        uint64_t bytes = NGC_INITIAL_SLOTS * sizeof(ngc_cslot_t);
        bool zeroed;
        p->table = ngc_counters_alloc(c, bytes, true, &zeroed);
        if (p->table == 0) {
            ngc_log_error(0, "reduce table of %zu bytes is too small for its partitions", size);
            return NULL;
        }
        p->cap = NGC_INITIAL_SLOTS;
    }
    return c;
}

uint64_t ngc_counters_hash(const char *key, size_t len)
{
    return XXH3_64bits(key, len);
}

unsigned ngc_counters_partition(uint64_t hash)
{
    /* Top bits pick the partition, low bits the slot: independent. */
    return (unsigned)(hash >> (64 - NGC_PART_BITS));
}

static int ngc_counters_grow(ngc_counters_t *c, ngc_part_t *p)
{
    uint64_t ncap = p->cap * 2;
    bool zeroed;
    uint64_t noff = ngc_counters_alloc(c, ncap * sizeof(ngc_cslot_t), true, &zeroed);
    if (noff == 0)
        return NGC_FULL;
    ngc_cslot_t *ns = (ngc_cslot_t *)ngc_counters_at(c, noff);
    if (!zeroed)
        memset(ns, 0, ncap * sizeof(ngc_cslot_t));
    ngc_cslot_t *os = ngc_counters_slots(c, p);
    uint64_t mask = ncap - 1;
    for (uint64_t i = 0; i < p->cap; i++) {
        if (os[i].ref == 0)
            continue;
        uint64_t j = os[i].hash & mask;
        while (ns[j].ref != 0)
            j = (j + 1) & mask;
        ns[j] = os[i];
    }
    uint64_t ooff = p->table, obytes = p->cap * sizeof(ngc_cslot_t);
    p->table = noff;
    p->cap = ncap;
    ngc_counters_free_table(c, ooff, obytes);
    return NGC_OK;
}

static uint64_t ngc_counters_store_key(ngc_counters_t *c, ngc_part_t *p,
                                       const char *key, uint32_t len)
{
    /* arena == 0: no block yet (a zero-length key must not get offset 0). */
    if (p->arena == 0 || p->arena_end - p->arena < len) {
        uint64_t bytes = len > NGC_ARENA_BLOCK ? len : NGC_ARENA_BLOCK;
        bool zeroed;
        uint64_t off = ngc_counters_alloc(c, bytes, false, &zeroed);
        if (off == 0)
            return 0;
        p->arena = off;
        p->arena_end = off + bytes;
    }
    uint64_t off = p->arena;
    memcpy(ngc_counters_at(c, off), key, len);
    p->arena += len;
    return off << NGC_KEY_LEN_BITS | len;
}

static int ngc_counters_merge_locked(ngc_counters_t *c, ngc_part_t *p,
                                     const ngc_kv_t *kv, size_t n, const ngc_kv_t **bad)
{
    for (size_t k = 0; k < n; k++) {
        const ngc_kv_t *e = &kv[k];
        ngc_assert(e->len <= NGC_KEY_LEN_MASK); /* keys are bounded by NGC_LINE_MAX */
        if ((p->count + 1) * 4 > p->cap * 3) {
            int rc = ngc_counters_grow(c, p);
            if (rc != NGC_OK)
                return rc;
        }
        ngc_cslot_t *s = ngc_counters_slots(c, p);
        uint64_t mask = p->cap - 1;
        uint64_t i = e->hash & mask;
        for (;;) {
            ngc_cslot_t *slot = &s[i];
            if (slot->ref == 0) {
                uint64_t ref = ngc_counters_store_key(c, p, e->key, e->len);
                if (ref == 0)
                    return NGC_FULL;
                slot->hash = e->hash;
                slot->match = e->match;
                slot->volume = e->volume;
                slot->ref = ref;
                p->count++;
                break;
            }
            if (slot->hash == e->hash && (slot->ref & NGC_KEY_LEN_MASK) == e->len &&
                memcmp(ngc_counters_at(c, slot->ref >> NGC_KEY_LEN_BITS), e->key, e->len) == 0) {
                uint64_t m, v;
                if (__builtin_add_overflow(slot->match, e->match, &m) ||
                    __builtin_add_overflow(slot->volume, e->volume, &v)) {
                    *bad = e;
                    return NGC_ERROR;
                }
                slot->match = m;
                slot->volume = v;
                break;
            }
            i = (i + 1) & mask;
        }
    }
    return NGC_OK;
}

int ngc_counters_merge(ngc_counters_t *c, unsigned part, const ngc_kv_t *kv,
                       size_t n, const ngc_kv_t **bad)
{
    ngc_assert(part < NGC_COUNTERS_PARTS);
    ngc_part_t *p = &c->part[part];
    int rc = ngc_shmtx_lock(&p->lock);
    if (rc == NGC_SHMTX_OWNERDEAD) {
        /* A worker died mid-merge: the partition cannot be trusted. */
        ngc_shmtx_consistent(&p->lock);
        ngc_shmtx_unlock(&p->lock);
        ngc_log_error(0, "a worker died while merging into partition %u", part);
        return NGC_ERROR;
    }
    if (rc != NGC_OK)
        return NGC_ERROR;
    ngc_assert(!p->is_sorted);
    rc = ngc_counters_merge_locked(c, p, kv, n, bad);
    ngc_shmtx_unlock(&p->lock);
    return rc;
}

/* After ngc_counters_sort, a slot's hash field holds its key's prefix. */
static inline void ngc_counters_to_entry(const ngc_counters_t *c, const ngc_cslot_t *s,
                                         ngc_entry_t *out)
{
    out->key = ngc_counters_at(c, s->ref >> NGC_KEY_LEN_BITS);
    out->len = (uint32_t)(s->ref & NGC_KEY_LEN_MASK);
    out->match = s->match;
    out->volume = s->volume;
    out->prefix = s->hash;
}

static inline uint64_t ngc_counters_prefix(const char *key, size_t len)
{
    unsigned char b[8] = {0};
    memcpy(b, key, len < 8 ? len : 8);
    uint64_t v;
    memcpy(&v, b, 8);
    return __builtin_bswap64(v);
}

/* The output order: the count (match, volume, or match then volume)
 * descending, then the key bytes ascending, a prefix before its extensions. */
static inline int ngc_counters_order(ngc_count_t order, uint64_t ma, uint64_t va, uint64_t pa,
                                     const char *ka, size_t la, uint64_t mb, uint64_t vb,
                                     uint64_t pb, const char *kb, size_t lb)
{
    uint64_t a = order == NGC_COUNT_VOLUME ? va : ma;
    uint64_t b = order == NGC_COUNT_VOLUME ? vb : mb;
    if (a != b)
        return a > b ? -1 : 1;
    if (order == NGC_COUNT_BOTH && va != vb)
        return va > vb ? -1 : 1;
    if (pa != pb)
        return pa < pb ? -1 : 1;
    size_t n = la < lb ? la : lb;
    int r = memcmp(ka, kb, n);
    if (r != 0)
        return r;
    return la < lb ? -1 : la > lb;
}

int ngc_counters_compare(const ngc_entry_t *a, const ngc_entry_t *b, ngc_count_t order)
{
    return ngc_counters_order(order, a->match, a->volume, a->prefix, a->key, a->len, b->match,
                              b->volume, b->prefix, b->key, b->len);
}

static inline bool ngc_counters_before(const ngc_counters_t *c, ngc_count_t order,
                                       const ngc_cslot_t *x, const ngc_cslot_t *y)
{
    return ngc_counters_order(order, x->match, x->volume, x->hash,
                              ngc_counters_at(c, x->ref >> NGC_KEY_LEN_BITS),
                              x->ref & NGC_KEY_LEN_MASK, y->match, y->volume, y->hash,
                              ngc_counters_at(c, y->ref >> NGC_KEY_LEN_BITS),
                              y->ref & NGC_KEY_LEN_MASK) < 0;
}

static void ngc_counters_insertion(const ngc_counters_t *c, ngc_count_t order,
                                   ngc_cslot_t *s, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        ngc_cslot_t t = s[i];
        size_t j = i;
        while (j > 0 && ngc_counters_before(c, order, &t, &s[j - 1])) {
            s[j] = s[j - 1];
            j--;
        }
        s[j] = t;
    }
}

static void ngc_counters_heapsort(const ngc_counters_t *c, ngc_count_t order,
                                  ngc_cslot_t *s, size_t n)
{
    for (size_t k = n; k-- > 0;) {
        for (size_t i = k;;) {
            size_t l = 2 * i + 1, m = i;
            if (l < n && ngc_counters_before(c, order, &s[m], &s[l]))
                m = l;
            if (l + 1 < n && ngc_counters_before(c, order, &s[m], &s[l + 1]))
                m = l + 1;
            if (m == i)
                break;
            ngc_cslot_t t = s[i];
            s[i] = s[m];
            s[m] = t;
            i = m;
        }
    }
    for (size_t end = n; end-- > 1;) {
        ngc_cslot_t t = s[0];
        s[0] = s[end];
        s[end] = t;
        for (size_t i = 0;;) {
            size_t l = 2 * i + 1, m = i;
            if (l < end && ngc_counters_before(c, order, &s[m], &s[l]))
                m = l;
            if (l + 1 < end && ngc_counters_before(c, order, &s[m], &s[l + 1]))
                m = l + 1;
            if (m == i)
                break;
            ngc_cslot_t u = s[i];
            s[i] = s[m];
            s[m] = u;
            i = m;
        }
    }
}

/* Introsort with the comparison inlined (qsort_r's indirect calls cost more
 * than the comparisons here); heapsort past the depth limit. */
static void ngc_counters_introsort(const ngc_counters_t *c, ngc_count_t order,
                                   ngc_cslot_t *s, size_t n, unsigned depth)
{
    while (n > 24) {
        if (depth-- == 0) {
            ngc_counters_heapsort(c, order, s, n);
            return;
        }
        ngc_cslot_t *a = &s[0], *b = &s[n / 2], *z = &s[n - 1], *med;
        if (ngc_counters_before(c, order, a, b))
            med = ngc_counters_before(c, order, b, z) ? b
                  : ngc_counters_before(c, order, a, z) ? z : a;
        else
            med = ngc_counters_before(c, order, a, z) ? a
                  : ngc_counters_before(c, order, b, z) ? z : b;
        ngc_cslot_t pivot = *med;
        size_t i = 0, j = n - 1;
        for (;;) {
            while (ngc_counters_before(c, order, &s[i], &pivot))
                i++;
            while (ngc_counters_before(c, order, &pivot, &s[j]))
                j--;
            if (i >= j)
                break;
            ngc_cslot_t t = s[i];
            s[i] = s[j];
            s[j] = t;
            i++;
            j--;
        }
        /* Recurse into the smaller side, loop on the larger. */
        size_t left = j + 1;
        if (left < n - left) {
            ngc_counters_introsort(c, order, s, left, depth);
            s += left;
            n -= left;
        } else {
            ngc_counters_introsort(c, order, s + left, n - left, depth);
            n = left;
        }
    }
    ngc_counters_insertion(c, order, s, n);
}

int ngc_counters_sort(ngc_counters_t *c, unsigned part, ngc_count_t order,
                      uint64_t min_count)
{
    ngc_assert(part < NGC_COUNTERS_PARTS);
    ngc_part_t *p = &c->part[part];
    int rc = ngc_shmtx_lock(&p->lock);
    if (rc != NGC_OK) {
        if (rc == NGC_SHMTX_OWNERDEAD) {
            ngc_shmtx_consistent(&p->lock);
            ngc_shmtx_unlock(&p->lock);
            ngc_log_error(0, "a worker died while holding partition %u", part);
        }
        return NGC_ERROR;
    }
    if (!p->is_sorted) {
        ngc_cslot_t *s = ngc_counters_slots(c, p);
        uint64_t n = 0;
        for (uint64_t i = 0; i < p->cap; i++) {
            if (s[i].ref == 0)
                continue;
            uint64_t v = order == NGC_COUNT_VOLUME ? s[i].volume : s[i].match;
            if (v < min_count)
                continue;
            s[n] = s[i];
            /* The hash is done with: keep the key's prefix there for sorting. */
            s[n].hash = ngc_counters_prefix(ngc_counters_at(c, s[n].ref >> NGC_KEY_LEN_BITS),
                                            s[n].ref & NGC_KEY_LEN_MASK);
            n++;
        }
        ngc_counters_introsort(c, order, s, n, 2 * (64 - (unsigned)__builtin_clzll(n | 1)));
        p->sorted = n;
        p->is_sorted = true;
    }
    ngc_shmtx_unlock(&p->lock);
    return NGC_OK;
}

uint64_t ngc_counters_distinct(const ngc_counters_t *c)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < NGC_COUNTERS_PARTS; i++)
        n += c->part[i].count;
    return n;
}

uint64_t ngc_counters_used(const ngc_counters_t *c)
{
    return c->high_water;
}

uint64_t ngc_counters_capacity(const ngc_counters_t *c)
{
    return c->size;
}

size_t ngc_counters_sorted(const ngc_counters_t *c, unsigned part)
{
    ngc_assert(part < NGC_COUNTERS_PARTS && c->part[part].is_sorted);
    return (size_t)c->part[part].sorted;
}

void ngc_counters_entry(const ngc_counters_t *c, unsigned part, size_t idx,
                        ngc_entry_t *out)
{
    const ngc_part_t *p = &c->part[part];
    const ngc_cslot_t *s = ngc_counters_slots(c, p);
    ngc_counters_to_entry(c, &s[idx], out);
    /* Readers walk a partition in order while merging 64 of them: fetch the
     * next key now, so its cache miss overlaps the other partitions' work. */
    if (idx + 1 < p->sorted)
        __builtin_prefetch(ngc_counters_at(c, s[idx + 1].ref >> NGC_KEY_LEN_BITS));
}
