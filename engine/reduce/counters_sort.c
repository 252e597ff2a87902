/*
 * counters_sort.c: the reduce table in output order (see counters.h). A
 * partition's entries are sorted as records that carry the sort count and
 * the key's first 16 bytes (a radix sort on those, comparisons for small
 * groups), so entries are read only for ties; the sorted
 * entry offsets take over the slot array, which nothing reads after the
 * merges.
 */
#include "engine/base/ngc.h"
#include "engine/reduce/counters_layout.h"
#include "engine/base/failpoint.h"
#include "engine/base/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The key's bytes 8..15, as ngc_entry_prefix orders them. */
static inline uint64_t ngc_counters_prefix2(const char *key, size_t len)
{
    return len > 8 ? ngc_entry_prefix(key + 8, len - 8) : 0;
}

/* Entries are read only for ties the count and the prefix leave. */
static inline bool ngc_counters_before(const ngc_counters_t *c, ngc_order_t order,
                                       const ngc_crec_t *x, const ngc_crec_t *y)
{
    if (order.sort == NGC_SORT_COUNT) {
        if (x->count != y->count)
            return x->count > y->count;
        if (order.count == NGC_COUNT_BOTH) {
            ngc_centry_t ex = ngc_counters_entry_at(c, x->ref);
            ngc_centry_t ey = ngc_counters_entry_at(c, y->ref);
            uint64_t vx = ngc_counters_volume_of(c, &ex), vy = ngc_counters_volume_of(c, &ey);
            if (vx != vy)
                return vx > vy;
        }
    }
    if (x->prefix != y->prefix)
        return x->prefix < y->prefix;
    if (x->prefix2 != y->prefix2)
        return x->prefix2 < y->prefix2;
    ngc_centry_t ex = ngc_counters_entry_at(c, x->ref);
    ngc_centry_t ey = ngc_counters_entry_at(c, y->ref);
    ngc_order_t by_key = {NGC_COUNT_MATCH, NGC_SORT_NGRAM};
    return ngc_counters_order(by_key, 0, 0, 0, ex.key, ex.len, 0, 0, 0, ey.key, ey.len) < 0;
}

static void ngc_counters_insertion(const ngc_counters_t *c, ngc_order_t order, ngc_crec_t *s,
                                   size_t n)
{
    for (size_t i = 1; i < n; i++) {
        ngc_crec_t t = s[i];
        size_t j = i;
        while (j > 0 && ngc_counters_before(c, order, &t, &s[j - 1])) {
            s[j] = s[j - 1];
            j--;
        }
        s[j] = t;
    }
}

/* Moves s[i] down the max-heap s[0..n) to its place. */
static void ngc_counters_sift(const ngc_counters_t *c, ngc_order_t order, ngc_crec_t *s, size_t n,
                              size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && ngc_counters_before(c, order, &s[m], &s[l]))
            m = l;
        if (l + 1 < n && ngc_counters_before(c, order, &s[m], &s[l + 1]))
            m = l + 1;
        if (m == i)
            return;
        ngc_crec_t t = s[i];
        s[i] = s[m];
        s[m] = t;
        i = m;
    }
}

static void ngc_counters_heapsort(const ngc_counters_t *c, ngc_order_t order, ngc_crec_t *s,
                                  size_t n)
{
    for (size_t k = n / 2; k-- > 0;)
        ngc_counters_sift(c, order, s, n, k);
    for (size_t end = n; end-- > 1;) {
        ngc_crec_t t = s[0];
        s[0] = s[end];
        s[end] = t;
        ngc_counters_sift(c, order, s, end, 0);
    }
}

/* Introsort with the comparison inlined (qsort_r's indirect calls cost more
 * than the comparisons here); heapsort past the depth limit. */
static void ngc_counters_introsort(const ngc_counters_t *c, ngc_order_t order, ngc_crec_t *s,
                                   size_t n, unsigned depth)
{
    while (n > 24) {
        if (depth-- == 0) {
            ngc_counters_heapsort(c, order, s, n);
            return;
        }
        ngc_crec_t *a = &s[0], *b = &s[n / 2], *z = &s[n - 1], *med;
        if (ngc_counters_before(c, order, a, b))
            med = ngc_counters_before(c, order, b, z)   ? b
                  : ngc_counters_before(c, order, a, z) ? z
                                                        : a;
        else
            med = ngc_counters_before(c, order, a, z)   ? a
                  : ngc_counters_before(c, order, b, z) ? z
                                                        : b;
        ngc_crec_t pivot = *med;
        size_t i = 0, j = n - 1;
        for (;;) {
            while (ngc_counters_before(c, order, &s[i], &pivot))
                i++;
            while (ngc_counters_before(c, order, &pivot, &s[j]))
                j--;
            if (i >= j)
                break;
            ngc_crec_t t = s[i];
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

static void ngc_counters_comparison_sort(const ngc_counters_t *c, ngc_order_t order, ngc_crec_t *s,
                                         size_t n)
{
    ngc_counters_introsort(c, order, s, n, 2 * (64 - (unsigned)__builtin_clzll(n | 1)));
}

/* Radix words of a record, most significant first: the count (descending:
 * its complement ascends), then the two key prefixes. */
#define NGC_RADIX_COUNT 0u
#define NGC_RADIX_PREFIX2 2u
/* Groups this small are sorted by comparisons. */
#define NGC_RADIX_MIN 48u

static inline uint64_t ngc_counters_radix_word(const ngc_crec_t *r, unsigned w)
{
    return w == NGC_RADIX_COUNT ? ~r->count : w == 1 ? r->prefix : r->prefix2;
}

/*
 * Sorts the n records at s by radix words w..last, most significant byte
 * first, each level on the highest byte in which the group still differs
 * (one pass finds it, so the equal leading bytes of small counts cost no
 * pass); what the words leave tied, and small groups, go to the comparison
 * sort, which reads the entries. t holds n records: each level moves the
 * records between s and t, and the result ends at s when `at_s`, else at
 * t. Most entries of a large table share a count (one, mostly) and differ
 * early in the key, so this replaces the comparisons' 18 mispredicted
 * levels with a few sequential passes.
 */
static void ngc_counters_radix(const ngc_counters_t *c, ngc_order_t order, ngc_crec_t *s,
                               ngc_crec_t *t, size_t n, unsigned w, unsigned last, bool at_s)
{
    uint64_t diff = 0;
    while (n > NGC_RADIX_MIN && w <= last) {
        uint64_t first = ngc_counters_radix_word(&s[0], w);
        for (size_t i = 1; i < n; i++)
            diff |= ngc_counters_radix_word(&s[i], w) ^ first;
        if (diff != 0)
            break;
        w++;
    }
    if (diff == 0) {
        ngc_counters_comparison_sort(c, order, s, n);
        if (!at_s)
            memcpy(t, s, n * sizeof(*s));
        return;
    }
    unsigned shift = (63u - (unsigned)__builtin_clzll(diff)) & ~7u;
    size_t start[257] = {0};
    for (size_t i = 0; i < n; i++)
        start[((ngc_counters_radix_word(&s[i], w) >> shift) & 0xffu) + 1]++;
    for (unsigned b = 0; b < 256; b++)
        start[b + 1] += start[b];
    size_t next[256];
    memcpy(next, start, sizeof(next));
    for (size_t i = 0; i < n; i++)
        t[next[(ngc_counters_radix_word(&s[i], w) >> shift) & 0xffu]++] = s[i];
    for (unsigned b = 0; b < 256; b++)
        if (start[b + 1] > start[b])
            ngc_counters_radix(c, order, t + start[b], s + start[b], start[b + 1] - start[b], w,
                               last, !at_s);
}

static void ngc_counters_sort_recs(const ngc_counters_t *c, ngc_order_t order, ngc_crec_t *r,
                                   size_t n)
{
    /* By count then volume (--count both): the radix orders by the
     * first only, the comparisons settle equal counts. */
    unsigned first = order.sort == NGC_SORT_COUNT ? NGC_RADIX_COUNT : NGC_RADIX_COUNT + 1;
    unsigned last = order.sort == NGC_SORT_COUNT && order.count == NGC_COUNT_BOTH
                        ? NGC_RADIX_COUNT
                        : NGC_RADIX_PREFIX2;
    ngc_crec_t *tmp = n > NGC_RADIX_MIN ? malloc(n * sizeof(*tmp)) : NULL;
    if (tmp == NULL) {
        ngc_counters_comparison_sort(c, order, r, n); /* small, or no memory for the radix */
        return;
    }
    ngc_counters_radix(c, order, r, tmp, n, first, last, true);
    free(tmp);
}

/* The partition's entries of at least min_count (by order.count; all of
 * them by key when order sorts by ngram and min_count is 0), in a private
 * array, sorted in `order`. NULL when out of memory. Lock held. */
ngc_crec_t *ngc_counters_sorted_recs(const ngc_counters_t *c, const ngc_part_t *p,
                                     ngc_order_t order, uint64_t min_count, uint64_t *n)
{
    ngc_crec_t *r = malloc((p->count ? p->count : 1) * sizeof(*r));
    if (r == NULL)
        return NULL;
    uint64_t k = 0;
    NGC_COUNTERS_EACH(c, p, ref, e, {
        uint64_t v = order.count == NGC_COUNT_VOLUME ? ngc_counters_volume_of(c, &e)
                                                     : ngc_counters_match_of(&e);
        if (v >= min_count)
            r[k++] = (ngc_crec_t){v, ngc_entry_prefix(e.key, e.len),
                                  ngc_counters_prefix2(e.key, e.len), ref};
    });
    ngc_counters_sort_recs(c, order, r, k);
    *n = k;
    return r;
}

/* Entries ahead whose bytes the sorted copy fetches early. */
#define NGC_COPY_AHEAD 8

/*
 * Copies the sorted entries r[0..n) (n > 0) into a new chain of arena
 * blocks, in that order, and writes each one's new offset to d. The output
 * pass then reads every partition front to back, where it read entries
 * scattered over the whole table: a TLB miss and a cache miss each, which
 * its prefetches hid only in part. The blocks come first from the free
 * list, where each copy leaves its partition's old chain (pages a worker
 * already touched, not fresh ones from the pool). The chain,
 * its last block and that block's end go to *first, *last and *end; false
 * (nothing changed) when the pool is out of memory.
 */
static bool ngc_counters_copy_sorted(ngc_counters_t *c, const ngc_crec_t *r, uint64_t n,
                                     uint64_t *d, uint64_t *first, uint64_t *last, uint64_t *end)
{
    uint64_t blk = 0, at = 0, lim = 0;
    *first = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (i + NGC_COPY_AHEAD < n)
            __builtin_prefetch(ngc_counters_at(c, r[i + NGC_COPY_AHEAD].ref));
        ngc_centry_t e = ngc_counters_entry_at(c, r[i].ref);
        uint64_t bytes = ngc_counters_entry_end(c, r[i].ref, &e) - r[i].ref;
        if (lim - at < bytes) {
            uint64_t nb = ngc_counters_new_block(c, bytes, ngc_counters_block_bytes(c, blk));
            if (nb == 0) {
                ngc_counters_free_chain(c, *first);
                return false;
            }
            if (blk != 0) {
                uint64_t *h = (uint64_t *)ngc_counters_at(c, blk);
                h[2] = at;
                h[0] = nb;
            } else {
                *first = nb;
            }
            blk = nb;
            at = nb + NGC_ARENA_HEAD;
            lim = nb + ngc_counters_block_bytes(c, nb);
        }
        memcpy(ngc_counters_at(c, at), ngc_counters_at(c, r[i].ref), bytes);
        d[i] = at;
        at += bytes;
    }
    ((uint64_t *)ngc_counters_at(c, blk))[2] = at;
    *last = blk;
    *end = at;
    return true;
}

int ngc_counters_sort(ngc_counters_t *c, unsigned part, ngc_order_t order, uint64_t min_count,
                      uint32_t task, uint32_t attempt)
{
    ngc_assert(part < NGC_COUNTERS_PARTS);
    ngc_part_t *p = &c->part[part];
    if (ngc_counters_lock(c, p) != NGC_OK)
        return NGC_ERROR;
    int rc = NGC_OK;
    if (p->sorted_off == 0 && p->nruns > 0) {
        rc = NGC_AGAIN; /* spilled: the partition is finished on disk */
    } else if (p->sorted_off == 0) {
        uint64_t n;
        ngc_crec_t *r = ngc_counters_sorted_recs(c, p, order, min_count, &n);
        if (r == NULL) {
            ngc_log_error(errno, "cannot sort partition %u", part);
            rc = NGC_ERROR;
        } else {
            /* No merge comes after the sort phase: the slot array takes the
             * sorted entry offsets, of the entries copied in order when the
             * pool has room. A sort cut short runs again from the arena,
             * which is the old chain until the new one is whole. */
            uint64_t *d = ngc_counters_slots(c, p), cap = ngc_counters_cap(p);
            ngc_assert(n <= cap);
            uint64_t old = p->arena_first, first, last, end;
            bool copied = n > 0 && ngc_counters_copy_sorted(c, r, n, d, &first, &last, &end);
            if (copied) {
                /* Walks follow the chain from arena_first and end each
                 * block at its header's end, except arena_block's at
                 * arena: whatever store a death cuts short, a walk sees
                 * either the old chain or the whole new one. */
                ngc_counters_fence();
                p->arena_first = first;
                ngc_counters_fence();
                /* The test's crash: the other arena fields still name the
                 * old chain's last block. */
                ngc_failpoint_check(NGC_FP_CRASH_IN_SORT, task, attempt);
                p->arena = end;
                p->arena_end = last + ngc_counters_block_bytes(c, last);
                ngc_counters_fence();
                p->arena_block = last;
            } else {
                for (uint64_t i = 0; i < n / 2; i++)
                    d[i] = r[i].ref;
                ngc_failpoint_check(NGC_FP_CRASH_IN_SORT, task, attempt);
                for (uint64_t i = n / 2; i < n; i++)
                    d[i] = r[i].ref;
            }
            free(r);
            p->sorted = n;
            ngc_counters_fence();
            p->sorted_off = p->table & ~(uint64_t)63;
            ngc_counters_fence();
            ngc_counters_release(c, p->sorted_off + n * sizeof(uint64_t),
                                 (cap - n) * sizeof(uint64_t));
            if (copied)
                ngc_counters_free_chain(c, old);
        }
    }
    ngc_counters_unlock(c, p);
    return rc;
}

size_t ngc_counters_sorted_count(const ngc_counters_t *c, unsigned part)
{
    ngc_assert(part < NGC_COUNTERS_PARTS && c->part[part].sorted_off != 0);
    return (size_t)c->part[part].sorted;
}

void ngc_counters_entry(const ngc_counters_t *c, unsigned part, size_t idx, ngc_entry_t *out)
{
    const ngc_part_t *p = &c->part[part];
    const uint64_t *refs = (const uint64_t *)ngc_counters_at(c, p->sorted_off);
    ngc_centry_t e = ngc_counters_entry_at(c, refs[idx]);
    out->key = e.key;
    out->len = e.len;
    out->match = ngc_counters_match_of(&e);
    out->volume = ngc_counters_volume_of(c, &e);
    out->prefix = ngc_entry_prefix(e.key, e.len);
    /* Readers walk a partition in order while merging 64 of them: fetch the
     * next entry now, so its cache miss overlaps the other partitions' work;
     * and the one after it, where the next one's end lies when it crosses a
     * cache line (the sorted copy packs them one after another). */
    if (idx + 1 < p->sorted)
        __builtin_prefetch(ngc_counters_at(c, refs[idx + 1]));
    if (idx + 2 < p->sorted)
        __builtin_prefetch(ngc_counters_at(c, refs[idx + 2]));
    /* And the offsets a cache line ahead: the entries' prefetches wait for them. */
    if ((idx & 7) == 0 && idx + 16 < p->sorted)
        __builtin_prefetch(&refs[idx + 16]);
}
