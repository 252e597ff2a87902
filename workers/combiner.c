/*
 * combiner.c: the combiner. Slots hold the hash, so growing never rehashes key
 * bytes and the merge into shared memory reuses it.
 *
 * A combiner only pays when keys repeat within a task. In a Google file
 * each ngram's lines are contiguous, and the parser already sums a run of
 * them, so with many distinct keys (2- to 5-grams) nearly every add is a
 * new key and a cache miss in a table that helps nothing. So the table
 * watches its first NGC_COMBINER_SAMPLE adds after a reset; when fewer than one
 * in NGC_COMBINER_HIT_RATIO found its key, it becomes a log: entries are
 * appended in order (the shared merge sums repeats), and the slot array
 * is their sequential store. Holding a log longer saves nothing, so it is
 * merged every NGC_COMBINER_LOG_BATCH entries: a few MB per thread. The choice depends only on the input, so a
 * retried task cuts its batches at the same places.
 */
#include "engine/base/ngc.h"
#include "workers/combiner.h"

#include <stdlib.h>

#define NGC_COMBINER_INITIAL 1024u
#define NGC_COMBINER_BLOCK (1u << 20)
/* Small enough to end within a task: a v3 task of 8 MiB holds about 16,000
 * keys, all distinct, and a 32768-add sample kept it combining throughout. */
#define NGC_COMBINER_SAMPLE 4096u
#define NGC_COMBINER_HIT_RATIO 8u
#define NGC_COMBINER_LOG_BATCH 65536u /* a log is merged when it holds this many */

/* A slot is the entry the merge takes (key NULL when empty; part is set
 * only by ngc_combiner_partitioned), so the table is handed over in place. */
typedef ngc_kv_t ngc_mslot_t;

typedef struct ngc_combiner_block_s {
    struct ngc_combiner_block_s *next;
    size_t cap;
    char data[];
} ngc_combiner_block_t;

struct ngc_combiner_s {
    ngc_mslot_t *slots;
    size_t cap; /* power of two */
    size_t count;
    ngc_combiner_block_t *blocks; /* the one in use first */
    ngc_combiner_block_t *spare;  /* emptied by reset */
    size_t used;                  /* bytes used in blocks */
    size_t block_bytes;           /* bytes of the blocks in use */
    ngc_count_t counted;          /* the totals that may fail on overflow */
    size_t adds, hits;            /* since the reset, while sampling */
    bool log;                     /* appending, not combining (see above) */
    bool always_combine;          /* never a log: the table's output is the result */
    bool handed;                  /* partitioned in place since the last add: a
                                combining table must be rebuilt to add */
};

ngc_combiner_t *ngc_combiner_new(void)
{
    ngc_combiner_t *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->slots = calloc(NGC_COMBINER_INITIAL, sizeof(*m->slots));
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    m->cap = NGC_COMBINER_INITIAL;
    m->counted = NGC_COUNT_BOTH;
    return m;
}

void ngc_combiner_set_count(ngc_combiner_t *m, ngc_count_t count)
{
    m->counted = count;
}

void ngc_combiner_always_combine(ngc_combiner_t *m)
{
    m->always_combine = true;
}

static void ngc_combiner_free_blocks(ngc_combiner_block_t *b)
{
    while (b != NULL) {
        ngc_combiner_block_t *next = b->next;
        free(b);
        b = next;
    }
}

void ngc_combiner_free(ngc_combiner_t *m)
{
    if (m == NULL)
        return;
    ngc_combiner_free_blocks(m->blocks);
    ngc_combiner_free_blocks(m->spare);
    free(m->slots);
    free(m);
}

/* Moves the entries of slots[0..end) into a fresh array of ncap slots. */
static int ngc_combiner_rehash(ngc_combiner_t *m, size_t ncap, size_t end)
{
    ngc_mslot_t *ns = calloc(ncap, sizeof(*ns));
    if (ns == NULL)
        return NGC_FULL;
    size_t mask = ncap - 1;
    for (size_t i = 0; i < end; i++) {
        if (m->slots[i].key == NULL)
            continue;
        size_t j = m->slots[i].hash & mask;
        while (ns[j].key != NULL)
            j = (j + 1) & mask;
        ns[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return NGC_OK;
}

/* Turns the table into a log: its entries to the front, in slot order. */
static void ngc_combiner_to_log(ngc_combiner_t *m)
{
    size_t w = 0;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key == NULL)
            continue;
        if (w != i) {
            m->slots[w] = m->slots[i];
            m->slots[i].key = NULL;
        }
        w++;
    }
    m->log = true;
}

static int ngc_combiner_log_grow(ngc_combiner_t *m)
{
    size_t ncap = m->cap * 2;
    ngc_mslot_t *ns = realloc(m->slots, ncap * sizeof(*ns));
    if (ns == NULL)
        return NGC_FULL;
    memset(ns + m->cap, 0, (ncap - m->cap) * sizeof(*ns));
    m->slots = ns;
    m->cap = ncap;
    return NGC_OK;
}

static const char *ngc_combiner_copy_key(ngc_combiner_t *m, const char *key, uint32_t len)
{
    ngc_combiner_block_t *b = m->blocks;
    if (b == NULL || b->cap - m->used < len) {
        size_t cap = len > NGC_COMBINER_BLOCK ? len : NGC_COMBINER_BLOCK;
        if (m->spare != NULL && m->spare->cap >= cap) {
            b = m->spare;
            m->spare = b->next;
        } else {
            b = malloc(sizeof(*b) + cap);
            if (b == NULL)
                return NULL;
            b->cap = cap;
        }
        b->next = m->blocks;
        m->blocks = b;
        m->used = 0;
        m->block_bytes += b->cap;
    }
    char *dst = b->data + m->used;
    memcpy(dst, key, len);
    m->used += len;
    return dst;
}

/* Appends in log mode: unused slots stay zero (key NULL) behind count. */
static int ngc_combiner_append(ngc_combiner_t *m, const char *key, uint32_t len, uint64_t h,
                               uint64_t match, uint64_t volume)
{
    if (m->count == m->cap && ngc_combiner_log_grow(m) != NGC_OK)
        return NGC_FULL;
    const char *copy = ngc_combiner_copy_key(m, key, len);
    if (copy == NULL)
        return NGC_FULL;
    m->slots[m->count++] = (ngc_mslot_t){.key = copy,
                                         .len = len,
                                         .hash = h,
                                         .match = match,
                                         .volume = volume};
    return NGC_OK;
}

void ngc_combiner_prefetch(const ngc_combiner_t *m, uint64_t hash)
{
    if (!m->log)
        __builtin_prefetch(&m->slots[hash & (m->cap - 1)]);
}

int ngc_combiner_add(ngc_combiner_t *m, const char *key, uint32_t len, uint64_t match,
                     uint64_t volume)
{
    return ngc_combiner_add_hashed(m, key, len, ngc_counters_hash(key, len), match, volume);
}

/* Makes a combining table that was handed over (its entries at the front,
 * in partition order) a hash table again. */
static int ngc_combiner_rebuild(ngc_combiner_t *m)
{
    if (ngc_combiner_rehash(m, m->cap, m->count) != NGC_OK)
        return NGC_FULL;
    m->log = m->handed = false;
    return NGC_OK;
}

int ngc_combiner_add_hashed(ngc_combiner_t *m, const char *key, uint32_t len, uint64_t h,
                            uint64_t match, uint64_t volume)
{
    if (NGC_UNLIKELY(m->handed) && ngc_combiner_rebuild(m) != NGC_OK)
        return NGC_FULL;
    if (m->log)
        return ngc_combiner_append(m, key, len, h, match, volume);
    if (NGC_UNLIKELY(++m->adds == NGC_COMBINER_SAMPLE) &&
        m->hits * NGC_COMBINER_HIT_RATIO < m->adds && !m->always_combine) {
        ngc_combiner_to_log(m);
        return ngc_combiner_append(m, key, len, h, match, volume);
    }
    if ((m->count + 1) * 4 > m->cap * 3 && ngc_combiner_rehash(m, m->cap * 2, m->cap) != NGC_OK)
        return NGC_FULL;
    size_t mask = m->cap - 1;
    size_t i = h & mask;
    for (;;) {
        ngc_mslot_t *s = &m->slots[i];
        if (s->key == NULL) {
            /* A zero-length key still needs a non-NULL address. */
            const char *copy = ngc_combiner_copy_key(m, key, len);
            if (copy == NULL)
                return NGC_FULL;
            *s = (ngc_mslot_t){.key = copy,
                               .len = len,
                               .hash = h,
                               .match = match,
                               .volume = volume};
            m->count++;
            return NGC_OK;
        }
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
            m->hits++;
            return ngc_counters_add(m->counted, &s->match, &s->volume, match, volume) ? NGC_OK
                                                                                      : NGC_ERROR;
        }
        i = (i + 1) & mask;
    }
}

size_t ngc_combiner_count(const ngc_combiner_t *m)
{
    return m->count;
}

bool ngc_combiner_wants_merge(const ngc_combiner_t *m)
{
    return m->log && m->count >= NGC_COMBINER_LOG_BATCH;
}

size_t ngc_combiner_bytes(const ngc_combiner_t *m)
{
    /* Slots at the table's lowest load (it doubles at 3/4), the keys, and
     * a margin of one more entry each (the copy the merge once made; kept,
     * so a task's batches stay small): a function of what was added, not
     * of the capacity a reset keeps. */
    return m->count * (sizeof(ngc_mslot_t) * 8 / 3 + sizeof(ngc_kv_t)) + m->block_bytes;
}

const ngc_kv_t *ngc_combiner_partitioned(ngc_combiner_t *m, size_t start[NGC_COUNTERS_PARTS + 1])
{
    /* The entries to the front (a log already has them there), then
     * permuted into partition order in place: no copy of the batch. */
    if (!m->log) {
        ngc_combiner_to_log(m);
        m->handed = true;
    }
    ngc_kv_t *s = m->slots;
    size_t count[NGC_COUNTERS_PARTS] = {0};
    for (size_t i = 0; i < m->count; i++)
        count[ngc_counters_partition(s[i].hash)]++;
    start[0] = 0;
    for (unsigned k = 0; k < NGC_COUNTERS_PARTS; k++)
        start[k + 1] = start[k] + count[k];
    size_t next[NGC_COUNTERS_PARTS];
    memcpy(next, start, sizeof(next));
    for (unsigned k = 0; k < NGC_COUNTERS_PARTS; k++) {
        while (next[k] < start[k + 1]) {
            /* Carry the entry at next[k] to its partition's next place,
             * and the one found there on, until one belongs in k. */
            ngc_kv_t v = s[next[k]];
            unsigned part = ngc_counters_partition(v.hash);
            while (part != k) {
                ngc_kv_t t = s[next[part]];
                v.part = part;
                s[next[part]++] = v;
                v = t;
                part = ngc_counters_partition(v.hash);
            }
            v.part = k;
            s[next[k]++] = v;
        }
    }
    return s;
}

void ngc_combiner_reset(ngc_combiner_t *m)
{
    memset(m->slots, 0, (m->log ? m->count : m->cap) * sizeof(*m->slots));
    m->count = 0;
    if (m->blocks != NULL) {
        ngc_combiner_block_t *last = m->blocks;
        while (last->next != NULL)
            last = last->next;
        last->next = m->spare;
        m->spare = m->blocks;
        m->blocks = NULL;
    }
    m->used = 0;
    m->block_bytes = 0;
    m->adds = m->hits = 0;
    m->log = m->handed = false;
}

void ngc_combiner_release(ngc_combiner_t *m)
{
    ngc_mslot_t *small = m->cap > NGC_COMBINER_INITIAL
                             ? calloc(NGC_COMBINER_INITIAL, sizeof(*small))
                             : NULL;
    if (small != NULL) { /* else the large one stays, cleared by the reset */
        free(m->slots);
        m->slots = small;
        m->cap = NGC_COMBINER_INITIAL;
        m->count = 0; /* the new array is clear already */
    }
    ngc_combiner_reset(m);
    ngc_combiner_free_blocks(m->spare);
    m->spare = NULL;
}
