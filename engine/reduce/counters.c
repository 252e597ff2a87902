/*
 * counters.c: the shared reduce table (see counters.h for the design).
 *
 * A slot is 8 bytes: a 24-bit fingerprint of the hash and the 40-bit offset
 * of the key's entry (0 means empty). Entries (length, key bytes, match and,
 * when anything reads it, volume) are packed in per-partition arena blocks,
 * in the order they came: about 30 bytes for a 2-gram, where a 32-byte slot
 * of hash and totals plus the key took twice that. A partition's slot array
 * doubles at 3/4 load, rehashing the keys as it walks the arena (slots keep
 * no full hash); the old array's pages go back to the system. Sorting walks
 * the arena too, and writes the sorted entry offsets over the slot array,
 * which nothing reads after the merges.
 *
 * Crash safety (a worker may die at any instruction, holding a lock):
 * - A batch (one task's entries for one partition) is applied under the
 *   partition lock with an undo journal in shared memory: each slot's old
 *   state is journaled before the slot changes. The task's commit record for
 *   the partition (the number of its last batch there: a task whose
 *   combiner outgrew its budget merges in several numbered batches) is set
 *   in the same critical section, last. The next locker of
 *   a lock whose owner died rolls an uncommitted batch back, so a task's
 *   contribution lands exactly once however often it is retried.
 * - The table grows before a batch starts, never during one, and switches to
 *   the new array with one 64-bit store (offset and size share a word).
 * - Sorting reads only the arena, which it never changes, and publishes the
 *   sorted array with one store: a sort cut short just runs again.
 * Stores the repair depends on are ordered with compiler fences: a killed
 * process's executed stores stay in memory, in program order on one CPU.
 */
#include "engine/base/ngc.h"
#include "engine/reduce/counters.h"
#include "engine/base/failpoint.h"
#include "engine/base/log.h"
#include "engine/reduce/runfile.h"
#include "engine/ipc/shmtx.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <xxhash.h>

/* A slot is fingerprint << 40 | entry offset; 0 is empty. */
#define NGC_REF_BITS 40
#define NGC_REF_MASK ((1ull << NGC_REF_BITS) - 1)
#define NGC_FP_SHIFT 34 /* hash bits 34..57: below the partition's, above any slot index's */
#define NGC_FP_MASK 0xffffffull
#define NGC_INITIAL_SLOTS 256u
#define NGC_ARENA_BLOCK (256u << 10) /* at most; a small table takes smaller */
#define NGC_ARENA_HEAD 32u           /* next block, size, end of entries, pad */
#define NGC_PART_BITS 6
#define NGC_SIZE_CLASSES 64
#define NGC_PAGE 4096u
#define NGC_UNDO_NEW (1ull << 63)
#define NGC_RELEASE_MIN (256u << 10) /* smallest dead array given back */
#define NGC_PREFETCH 8               /* keys ahead whose slot is fetched early */
#define NGC_REHASH_AHEAD 16          /* keys ahead whose new slot is fetched in a rehash */

_Static_assert((1u << NGC_PART_BITS) == NGC_COUNTERS_PARTS, "partition bits");
_Static_assert(NGC_FP_SHIFT + 24 <= 64 - NGC_PART_BITS, "fingerprint below the partition bits");
_Static_assert(NGC_MEMORY_MAX <= 1ull << NGC_REF_BITS,
               "--memory's maximum must be addressable by the slots' offsets");
_Static_assert(4ull * NGC_LINE_MAX < 1u << 28, "key lengths (folding can triple a line) take at most 4 bytes");

/*
 * ThreadSanitizer sees one process. Memory moves between partitions only
 * through the allocator, and often through another worker process (a table
 * one partition outgrew there becomes another's here), ordered by shared
 * locks it cannot see across processes. So: a block handed out is new
 * memory, and every partition critical section of this process is ordered
 * after the previous one (an edge through the table's address); races
 * within one partition, and with code outside the locks, are still caught.
 */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
void AnnotateNewMemory(const char *file, int line, uintptr_t mem, size_t size);
#define ngc_counters_new_memory(p, n) AnnotateNewMemory(__FILE__, __LINE__, (uintptr_t)(p), (n))
#define ngc_counters_tsan_acquire(c) __tsan_acquire((void *)(c))
#define ngc_counters_tsan_release(c) __tsan_release((void *)(c))
#else
#define ngc_counters_new_memory(p, n) ((void)0)
#define ngc_counters_tsan_acquire(c) ((void)(c))
#define ngc_counters_tsan_release(c) ((void)(c))
#endif

/* Keeps the compiler from moving stores across it (see the file comment). */
#define ngc_counters_fence() atomic_signal_fence(memory_order_seq_cst)

typedef struct {
    uint64_t slot;   /* slot index, | NGC_UNDO_NEW when the batch filled it */
    uint64_t match;  /* the slot's counts before the batch */
    uint64_t volume;
    uint64_t pad;    /* a power-of-two size: journals share the free lists */
} ngc_undo_t;

_Static_assert(sizeof(ngc_undo_t) == 32, "journal records are a power of two");

typedef struct {
    uint32_t task;          /* task whose batch is being applied */
    uint32_t active;        /* 1 from the first change to the commit */
    uint32_t batch;         /* which of the task's batches */
    uint32_t saved_nruns;   /* runs before the batch (one written to a run adds one) */
    uint64_t saved_count;   /* partition state before the batch */
    uint64_t saved_arena;
    uint64_t saved_arena_end;
    uint64_t saved_arena_block;
    uint64_t n;             /* undo records written */
    uint64_t cap;           /* records the array holds */
    uint64_t entries;       /* offset of the ngc_undo_t array */
} ngc_journal_t;

typedef struct {
    ngc_shmtx_t lock;
    uint64_t table;     /* offset of the slot array | log2 of its slots */
    uint64_t count;     /* used slots: entries in the arena */
    uint64_t arena;     /* offset of the next free entry byte */
    uint64_t arena_end; /* end of the current arena block */
    uint64_t arena_block; /* the current block: its header is {next, size, end} */
    uint64_t arena_first; /* the first block: a spilled partition reuses them */
    uint32_t nruns;     /* spilled runs published (files pNN-s-0...) */
    uint32_t cleared;   /* runs whose entries are gone from the table */
    uint32_t nfinal;    /* a spilled partition's final runs, once sorted */
    uint32_t pad;
    uint64_t final_distinct; /* its distinct keys */
    ngc_journal_t journal;
    uint64_t sorted;    /* entries in the sorted array */
    uint64_t sorted_off; /* offset of the sorted array of entry offsets (the slot
                            array, reused); 0 until sorted */
} __attribute__((aligned(64))) ngc_part_t;

struct ngc_counters_s {
    uint64_t size;                          /* bytes of the whole table */
    ngc_shmtx_t alloc_lock;                 /* guards bump and free_tables */
    uint64_t bump;                          /* next free offset in the pool */
    uint64_t high_water;
    uint64_t free_tables[NGC_SIZE_CLASSES]; /* offset of a freed array, 0 = none */
    uint32_t ntasks;
    ngc_count_t count;                      /* the totals that may fail on overflow */
    uint32_t counts;                        /* 2 with a volume column, 1 without */
    uint64_t arena_block;                   /* bytes of a key block */
    uint64_t committed;                     /* offset of _Atomic uint32_t[ntasks][parts]:
                                               the task's last batch in the partition */
    _Atomic uint64_t repairs;               /* batches rolled back after a death */
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

static inline uint64_t ngc_counters_cap(const ngc_part_t *p)
{
    return 1ull << (p->table & 63);
}

static inline uint64_t *ngc_counters_slots(const ngc_counters_t *c, const ngc_part_t *p)
{
    return (uint64_t *)ngc_counters_at(c, p->table & ~(uint64_t)63);
}

static inline uint64_t ngc_counters_fp(uint64_t hash)
{
    return (hash >> NGC_FP_SHIFT) & NGC_FP_MASK;
}

/*
 * An entry, at any byte offset of an arena block: the key's length (1 to 4
 * bytes, 7 bits each, low first), the key, then match and, in a table that
 * keeps them, volume (8 bytes each, unaligned).
 */
typedef struct {
    const char *key;
    uint32_t len;
    char *counts;
} ngc_centry_t;

static inline ngc_centry_t ngc_counters_entry_at(const ngc_counters_t *c, uint64_t ref)
{
    const unsigned char *b = (const unsigned char *)ngc_counters_at(c, ref);
    uint32_t len = b[0] & 0x7fu;
    unsigned h = 1;
    while (b[h - 1] & 0x80u) {
        len |= (uint32_t)(b[h] & 0x7fu) << (7 * h);
        h++;
    }
    return (ngc_centry_t){(const char *)b + h, len, (char *)b + h + len};
}

static inline uint64_t ngc_counters_get(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline void ngc_counters_put(char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static inline uint64_t ngc_counters_volume_of(const ngc_counters_t *c, const ngc_centry_t *e)
{
    return c->counts == 2 ? ngc_counters_get(e->counts + 8) : 0;
}

static inline uint64_t ngc_counters_entry_bytes(const ngc_counters_t *c, uint32_t len)
{
    return (len < 1u << 7 ? 1u : len < 1u << 14 ? 2u : len < 1u << 21 ? 3u : 4u) + len +
           8u * c->counts;
}

/* The entry's total size, given its view. */
static inline uint64_t ngc_counters_entry_end(const ngc_counters_t *c, uint64_t ref,
                                              const ngc_centry_t *e)
{
    return ref + (uint64_t)(e->counts - ngc_counters_at(c, ref)) + 8u * c->counts;
}

static inline _Atomic uint32_t *ngc_counters_commit(const ngc_counters_t *c, unsigned part,
                                                     uint32_t task)
{
    return (_Atomic uint32_t *)ngc_counters_at(c, c->committed) +
           (size_t)task * NGC_COUNTERS_PARTS + part;
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
 * Large blocks are page-aligned, so they can be given back (MADV_REMOVE).
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
        uint64_t align = bytes >= 16 * NGC_PAGE ? NGC_PAGE : 64;
        uint64_t start = (c->bump + align - 1) & ~(align - 1);
        if (start + bytes <= c->size) {
            off = start;
            c->bump = start + bytes;
            if (c->bump > c->high_water)
                c->high_water = c->bump;
        }
    }
    ngc_shmtx_unlock(&c->alloc_lock);
    if (off != 0)
        ngc_counters_new_memory(ngc_counters_at(c, off), bytes);
    /* Fresh pages are faulted in one call, not one trap per page (the
     * faults showed in the profile); an old kernel just says EINVAL. */
    if (off != 0 && *zeroed && bytes >= 16 * NGC_PAGE && (uintptr_t)c % NGC_PAGE == 0)
        (void)madvise(ngc_counters_at(c, off), bytes, MADV_POPULATE_WRITE);
    return off;
}

/*
 * Maps bytes at off into this process's page tables in one call. A page
 * that another worker first touched is not in this one's page tables, and
 * a trap for each such page showed in the profile (each costs more in a
 * virtual machine). Only an optimization: an old kernel says EINVAL and
 * the pages fault in as used.
 */
static void ngc_counters_map_in(const ngc_counters_t *c, uint64_t off, uint64_t bytes)
{
    if (off == 0 || bytes == 0 || (uintptr_t)c % NGC_PAGE != 0)
        return;
    /* Outward to whole pages: a page holding part of a live object is
     * never given back (ngc_counters_release rounds inward). */
    uint64_t lo = off & ~(uint64_t)(NGC_PAGE - 1);
    uint64_t hi = (off + bytes + NGC_PAGE - 1) & ~(uint64_t)(NGC_PAGE - 1);
    (void)madvise(ngc_counters_at(c, lo), hi - lo, MADV_POPULATE_WRITE);
}

/* What this process last mapped in for each partition (see
 * ngc_counters_map_in): per process, as page tables are; a stale entry
 * (another table in the same process) only costs the traps again. */
static struct {
    uint64_t table, journal, block; /* under the partition's lock */
} ngc_counters_mapped[NGC_COUNTERS_PARTS];

/* Gives the pages of a dead array back to the system (they read as zero
 * if used again). */
static void ngc_counters_release(ngc_counters_t *c, uint64_t off, uint64_t bytes)
{
    uint64_t lo = (off + NGC_PAGE - 1) & ~(uint64_t)(NGC_PAGE - 1);
    uint64_t hi = (off + bytes) & ~(uint64_t)(NGC_PAGE - 1);
    uintptr_t base = (uintptr_t)c;
    if (base % NGC_PAGE == 0 && hi > lo)
        madvise(ngc_counters_at(c, lo), hi - lo, MADV_REMOVE);
}

/* A freed array keeps its first 8 bytes (the free list's link) and gives
 * the rest of its pages back: partitions grow in step, so an array of a
 * size one has outgrown is seldom taken again, and would only cost memory. */
static void ngc_counters_free_table(ngc_counters_t *c, uint64_t off, uint64_t bytes)
{
    /* Not the small ones: each release is a TLB shootdown in every worker,
     * and all of them below this size come to a few MB. */
    if (bytes >= NGC_RELEASE_MIN)
        ngc_counters_release(c, off + 8, bytes - 8);
    if (ngc_counters_alloc_lock(c) != NGC_OK)
        return; /* leaked, not corrupted */
    unsigned cls = ngc_counters_log2(bytes);
    *(uint64_t *)ngc_counters_at(c, off) = c->free_tables[cls];
    ngc_counters_fence();
    c->free_tables[cls] = off;
    ngc_shmtx_unlock(&c->alloc_lock);
}

ngc_counters_t *ngc_counters_shm_init(void *at, size_t size, uint32_t ntasks, ngc_count_t count,
                                      bool volumes)
{
    ngc_counters_t *c = at;
    memset(c, 0, sizeof(*c));
    atomic_init(&c->repairs, 0);
    c->size = size;
    c->bump = sizeof(*c);
    c->high_water = c->bump;
    c->ntasks = ntasks;
    c->count = count;
    c->counts = volumes ? 2 : 1;
    /* 64 partitions' first blocks must leave most of a small table free. */
    c->arena_block = size / 1024 < NGC_ARENA_BLOCK ? size / 1024 : NGC_ARENA_BLOCK;
    if (c->arena_block < 4096)
        c->arena_block = 4096;
    if (size > (1ull << NGC_REF_BITS)) {
        ngc_log_error(0, "reduce table of %zu bytes is larger than offsets can address", size);
        return NULL;
    }
    if (ngc_shmtx_init(&c->alloc_lock) != NGC_OK)
        return NULL;
    bool zeroed;
    c->committed = ngc_counters_alloc(c, (uint64_t)(ntasks ? ntasks : 1) * 4 * NGC_COUNTERS_PARTS,
                                      false, &zeroed);
    if (c->committed == 0) {
        ngc_log_user(0, "--memory is too small for the commit records of %u tasks", ntasks);
        return NULL;
    }
    for (uint32_t t = 0; t < ntasks; t++)
        for (unsigned k = 0; k < NGC_COUNTERS_PARTS; k++)
            atomic_init(ngc_counters_commit(c, k, t), 0);
    for (unsigned i = 0; i < NGC_COUNTERS_PARTS; i++) {
        ngc_part_t *p = &c->part[i];
        if (ngc_shmtx_init(&p->lock) != NGC_OK)
            return NULL;
        uint64_t bytes = NGC_INITIAL_SLOTS * sizeof(uint64_t);
        uint64_t off = ngc_counters_alloc(c, bytes, true, &zeroed);
        if (off == 0) {
            ngc_log_user(0, "--memory of %zu bytes is too small for the reduce table", size);
            return NULL;
        }
        p->table = off | ngc_counters_log2(NGC_INITIAL_SLOTS);
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

bool ngc_counters_committed(const ngc_counters_t *c, unsigned part, uint32_t task,
                            uint32_t batch)
{
    ngc_assert(task < c->ntasks && part < NGC_COUNTERS_PARTS);
    return atomic_load_explicit(ngc_counters_commit(c, part, task), memory_order_acquire) >=
           batch;
}

uint64_t ngc_counters_repairs(const ngc_counters_t *c)
{
    return atomic_load_explicit(&c->repairs, memory_order_relaxed);
}

/*
 * Runs the statements after `e` for every entry e (at offset ref) of the
 * partition, in the order they were added: the arena holds exactly the live entries (a
 * rollback or a clear moves its end back). Lock held.
 */
#define NGC_COUNTERS_EACH(c, p, ref, e, ...)                                              \
    for (uint64_t blk_ = (p)->arena_first; blk_ != 0 && (p)->arena != 0;) {              \
        const uint64_t *hdr_ = (const uint64_t *)ngc_counters_at((c), blk_);              \
        uint64_t end_ = blk_ == (p)->arena_block ? (p)->arena : hdr_[2];                 \
        for (uint64_t ref = blk_ + NGC_ARENA_HEAD; ref < end_;) {                         \
            ngc_centry_t e = ngc_counters_entry_at((c), ref);                             \
            __VA_ARGS__;                                                                  \
            ref = ngc_counters_entry_end((c), ref, &e);                                   \
        }                                                                                 \
        blk_ = blk_ == (p)->arena_block ? 0 : hdr_[0];                                   \
    }

/* Puts the entry at ref, whose key hashes to h, in the first free slot of ns. */
static inline void ngc_counters_place(uint64_t *ns, uint64_t mask, uint64_t h, uint64_t ref)
{
    uint64_t j = h & mask;
    while (ns[j] != 0)
        j = (j + 1) & mask;
    ns[j] = ngc_counters_fp(h) << NGC_REF_BITS | ref;
}

/* Doubles the slot array until it holds `need` entries at 3/4 load. Lock held;
 * not inside a batch: the switch is one store, a crash leaves either array.
 * Slots keep no hash, so the keys are hashed again, read in arena order. */
static int ngc_counters_reserve(ngc_counters_t *c, ngc_part_t *p, uint64_t need,
                                 uint32_t task, uint32_t attempt)
{
    uint64_t cap = ngc_counters_cap(p);
    uint64_t ncap = cap;
    while (need * 4 > ncap * 3)
        ncap *= 2;
    if (ncap == cap)
        return NGC_OK;
    ngc_assert(ncap <= 1ull << NGC_FP_SHIFT);
    bool zeroed;
    uint64_t noff = ngc_counters_alloc(c, ncap * sizeof(uint64_t), true, &zeroed);
    if (noff == 0)
        return NGC_FULL;
    uint64_t *ns = (uint64_t *)ngc_counters_at(c, noff);
    if (!zeroed)
        memset(ns, 0, ncap * sizeof(uint64_t));
    /* Each key's new slot is a cache miss: it is placed NGC_REHASH_AHEAD keys
     * after its slot was prefetched, so the misses overlap. */
    uint64_t mask = ncap - 1, moved = 0;
    uint64_t ring_hash[NGC_REHASH_AHEAD], ring_ref[NGC_REHASH_AHEAD];
    NGC_COUNTERS_EACH(c, p, ref, e, {
        if (NGC_UNLIKELY(moved == p->count / 2))
            ngc_failpoint_check(NGC_FP_CRASH_IN_GROW, task, attempt);
        uint64_t h = ngc_counters_hash(e.key, e.len);
        __builtin_prefetch(&ns[h & mask], 1);
        unsigned k = (unsigned)(moved % NGC_REHASH_AHEAD);
        if (moved >= NGC_REHASH_AHEAD)
            ngc_counters_place(ns, mask, ring_hash[k], ring_ref[k]);
        ring_hash[k] = h;
        ring_ref[k] = ref;
        moved++;
    });
    for (uint64_t m = moved > NGC_REHASH_AHEAD ? moved - NGC_REHASH_AHEAD : 0; m < moved; m++)
        ngc_counters_place(ns, mask, ring_hash[m % NGC_REHASH_AHEAD], ring_ref[m % NGC_REHASH_AHEAD]);
    ngc_assert(moved == p->count);
    uint64_t ooff = p->table & ~(uint64_t)63;
    ngc_counters_fence();
    p->table = noff | ngc_counters_log2(ncap);
    ngc_counters_fence();
    ngc_counters_free_table(c, ooff, cap * sizeof(uint64_t));
    return NGC_OK;
}

/* Makes the journal hold n records. Lock held, no batch active. */
static int ngc_counters_journal_reserve(ngc_counters_t *c, ngc_part_t *p, uint64_t n)
{
    ngc_journal_t *j = &p->journal;
    if (j->cap >= n)
        return NGC_OK;
    uint64_t cap = 1024;
    while (cap < n)
        cap *= 2;
    bool zeroed;
    uint64_t off = ngc_counters_alloc(c, cap * sizeof(ngc_undo_t), true, &zeroed);
    if (off == 0)
        return NGC_FULL;
    uint64_t old = j->entries, oldcap = j->cap;
    j->entries = off;
    ngc_counters_fence();
    j->cap = cap;
    if (old != 0)
        ngc_counters_free_table(c, old, oldcap * sizeof(ngc_undo_t));
    return NGC_OK;
}

/* Appends an entry for key with counts m and v; its offset, or 0 when the
 * pool is spent. Lock held. */
static uint64_t ngc_counters_store(ngc_counters_t *c, ngc_part_t *p, const char *key,
                                   uint32_t len, uint64_t m, uint64_t v)
{
    uint64_t need = ngc_counters_entry_bytes(c, len);
    /* arena == 0: no block yet. Blocks form a chain, so a partition
     * emptied by a spill fills the same blocks again. */
    if (p->arena == 0 || p->arena_end - p->arena < need) {
        uint64_t *cur = p->arena_block ? (uint64_t *)ngc_counters_at(c, p->arena_block) : NULL;
        uint64_t next = cur ? cur[0] : 0;
        uint64_t off;
        if (next != 0 && ((uint64_t *)ngc_counters_at(c, next))[1] - NGC_ARENA_HEAD >= need) {
            off = next;
        } else {
            uint64_t bytes = need + NGC_ARENA_HEAD > c->arena_block ? need + NGC_ARENA_HEAD
                                                                    : c->arena_block;
            bool zeroed;
            off = ngc_counters_alloc(c, bytes, false, &zeroed);
            if (off == 0)
                return 0;
            uint64_t *b = (uint64_t *)ngc_counters_at(c, off);
            b[0] = next;
            b[1] = bytes;
            ngc_counters_fence();
            if (cur != NULL)
                cur[0] = off;
            else
                p->arena_first = off;
        }
        /* Where the entries of the block left behind end, for walks. */
        if (cur != NULL)
            cur[2] = p->arena;
        uint64_t size = ((uint64_t *)ngc_counters_at(c, off))[1];
        p->arena_end = off + size;
        ngc_counters_fence();
        p->arena_block = off;
        p->arena = off + NGC_ARENA_HEAD;
    }
    uint64_t ref = p->arena;
    unsigned char *d = (unsigned char *)ngc_counters_at(c, ref);
    uint32_t l = len;
    for (; l >= 0x80u; l >>= 7)
        *d++ = (unsigned char)(l | 0x80u);
    *d++ = (unsigned char)l;
    memcpy(d, key, len);
    d += len;
    ngc_counters_put((char *)d, m);
    if (c->counts == 2)
        ngc_counters_put((char *)d + 8, v);
    p->arena += need;
    return ref;
}

/* Undoes the journaled batch unless it committed; lock held. */
static void ngc_counters_rollback(ngc_counters_t *c, ngc_part_t *p)
{
    ngc_journal_t *j = &p->journal;
    if (!j->active)
        return;
    if (!ngc_counters_committed(c, (unsigned)(p - c->part), j->task, j->batch)) {
        uint64_t *s = ngc_counters_slots(c, p);
        const ngc_undo_t *u = (const ngc_undo_t *)ngc_counters_at(c, j->entries);
        for (uint64_t i = j->n; i-- > 0;) {
            uint64_t *slot = &s[u[i].slot & ~NGC_UNDO_NEW];
            if (u[i].slot & NGC_UNDO_NEW) {
                *slot = 0;
            } else {
                ngc_centry_t e = ngc_counters_entry_at(c, *slot & NGC_REF_MASK);
                ngc_counters_put(e.counts, u[i].match);
                if (c->counts == 2)
                    ngc_counters_put(e.counts + 8, u[i].volume);
            }
        }
        p->count = j->saved_count;
        p->arena_end = j->saved_arena_end;
        p->arena_block = j->saved_arena_block;
        p->arena = j->saved_arena;
        /* A run published by the batch is unpublished (its file is
         * overwritten by the next run); the table never held it. */
        p->nruns = j->saved_nruns;
        p->cleared = j->saved_nruns;
    }
    ngc_counters_fence();
    j->active = 0;
}

/* Empties a partition whose entries are safe in a published run: keeps
 * its slot array and arena blocks for what comes next. Lock held;
 * idempotent, so a repair can finish a clear cut short. */
static void ngc_counters_clear(ngc_counters_t *c, ngc_part_t *p)
{
    memset(ngc_counters_slots(c, p), 0, ngc_counters_cap(p) * sizeof(uint64_t));
    p->count = 0;
    if (p->arena_first != 0) {
        p->arena_end = p->arena_first + ((uint64_t *)ngc_counters_at(c, p->arena_first))[1];
        p->arena_block = p->arena_first;
        p->arena = p->arena_first + NGC_ARENA_HEAD;
    }
    ngc_counters_fence();
    p->cleared = p->nruns;
}

static void ngc_counters_unlock(ngc_counters_t *c, ngc_part_t *p)
{
    ngc_counters_tsan_release(c);
    ngc_shmtx_unlock(&p->lock);
}

/* Locks a partition, repairing it if the last holder died. */
static int ngc_counters_lock(ngc_counters_t *c, ngc_part_t *p)
{
    int rc = ngc_shmtx_lock(&p->lock);
    if (rc == NGC_OK || rc == NGC_SHMTX_OWNERDEAD)
        ngc_counters_tsan_acquire(c);
    if (rc == NGC_SHMTX_OWNERDEAD) {
        ngc_log_info("repairing partition %u after a worker died holding it",
                     (unsigned)(p - c->part));
        /* Partitions repair under their own locks: the count is shared. */
        if (p->journal.active &&
            !ngc_counters_committed(c, (unsigned)(p - c->part), p->journal.task, p->journal.batch))
            atomic_fetch_add_explicit(&c->repairs, 1, memory_order_relaxed);
        ngc_counters_rollback(c, p);
        if (p->cleared != p->nruns)
            ngc_counters_clear(c, p);
        ngc_shmtx_consistent(&p->lock);
        rc = NGC_OK;
    }
    return rc;
}

/* The slot holding key e, or the empty slot where it goes. */
static inline uint64_t ngc_counters_find(const ngc_counters_t *c, const uint64_t *s,
                                         uint64_t mask, const ngc_kv_t *e)
{
    uint64_t fp = ngc_counters_fp(e->hash);
    for (uint64_t i = e->hash & mask;; i = (i + 1) & mask) {
        uint64_t slot = s[i];
        if (slot == 0)
            return i;
        if (slot >> NGC_REF_BITS == fp) {
            ngc_centry_t x = ngc_counters_entry_at(c, slot & NGC_REF_MASK);
            if (x.len == e->len && memcmp(x.key, e->key, e->len) == 0)
                return i;
        }
    }
}

/* At millions of keys a slot is a cache miss, and so is the entry of a key
 * found: the batch's misses should overlap. Two stages: the slot of the
 * key 2 * NGC_PREFETCH on, and the entry its home slot names for the key
 * NGC_PREFETCH on (whose slot came in by now), if the fingerprint agrees.
 * Always inlined: as a call, GCC 12 finds it free of side effects (a
 * prefetch is none) and deletes the call: it did, unnoticed until a
 * profile showed the slot loads stalling. */
static inline __attribute__((always_inline)) void
ngc_counters_prefetch(const ngc_counters_t *c, const uint64_t *s, uint64_t mask,
                      const ngc_kv_t *kv, size_t k, size_t n, bool copies)
{
    if (k + 2 * NGC_PREFETCH < n)
        __builtin_prefetch(&s[kv[k + 2 * NGC_PREFETCH].hash & mask]);
    if (k + NGC_PREFETCH < n) {
        /* A new key's bytes are copied into the arena (when the caller
         * inserts): the batch was permuted into partition order, so they are
         * scattered too. */
        if (copies)
            __builtin_prefetch(kv[k + NGC_PREFETCH].key);
        uint64_t h = kv[k + NGC_PREFETCH].hash, slot = s[h & mask];
        if (slot >> NGC_REF_BITS == ngc_counters_fp(h))
            __builtin_prefetch(ngc_counters_at(c, slot & NGC_REF_MASK));
    }
}

/* How many of the n keys the partition lacks (an upper bound: a key twice
 * in the batch counts twice). Lock held; reads only. */
static uint64_t ngc_counters_missing(const ngc_counters_t *c, const ngc_part_t *p,
                                     const ngc_kv_t *kv, size_t n)
{
    const uint64_t *s = ngc_counters_slots(c, p);
    uint64_t mask = ngc_counters_cap(p) - 1, missing = 0;
    for (size_t k = 0; k < n; k++) {
        ngc_counters_prefetch(c, s, mask, kv, k, n, false);
        missing += s[ngc_counters_find(c, s, mask, &kv[k])] == 0;
    }
    return missing;
}

/* Opens p's undo journal for task's batch: what a rollback restores is saved
 * before the journal is marked active. Partition lock held. */
static ngc_journal_t *ngc_counters_journal_open(ngc_part_t *p, uint32_t task, uint32_t batch)
{
    ngc_journal_t *j = &p->journal;
    j->task = task;
    j->batch = batch;
    j->n = 0;
    j->saved_count = p->count;
    j->saved_arena = p->arena;
    j->saved_arena_end = p->arena_end;
    j->saved_arena_block = p->arena_block;
    j->saved_nruns = p->nruns;
    ngc_counters_fence();
    j->active = 1;
    ngc_counters_fence();
    return j;
}

static int ngc_counters_apply(ngc_counters_t *c, ngc_part_t *p, uint32_t task,
                              uint32_t batch, uint32_t attempt, const ngc_kv_t *kv, size_t n,
                              const ngc_kv_t **bad)
{
    ngc_journal_t *j = ngc_counters_journal_open(p, task, batch);
    uint64_t *s = ngc_counters_slots(c, p);
    ngc_undo_t *u = (ngc_undo_t *)ngc_counters_at(c, j->entries);
    uint64_t mask = ngc_counters_cap(p) - 1;
    for (size_t k = 0; k < n; k++) {
        const ngc_kv_t *e = &kv[k];
        ngc_assert(e->len < 1u << 28);
        if (NGC_UNLIKELY(k == n / 2))
            ngc_failpoint_check(NGC_FP_CRASH_IN_MERGE, task, attempt);
        ngc_counters_prefetch(c, s, mask, kv, k, n, true);
        uint64_t i = ngc_counters_find(c, s, mask, e);
        if (s[i] == 0) {
            uint64_t ref = ngc_counters_store(c, p, e->key, e->len, e->match, e->volume);
            if (ref == 0)
                return NGC_FULL;
            u[j->n] = (ngc_undo_t){i | NGC_UNDO_NEW, 0, 0, 0};
            ngc_counters_fence();
            j->n++;
            ngc_counters_fence();
            s[i] = ngc_counters_fp(e->hash) << NGC_REF_BITS | ref;
            p->count++;
            continue;
        }
        ngc_centry_t x = ngc_counters_entry_at(c, s[i] & NGC_REF_MASK);
        uint64_t om = ngc_counters_get(x.counts), ov = ngc_counters_volume_of(c, &x);
        uint64_t m = om, v = ov;
        if (!ngc_counters_add(c->count, &m, &v, e->match, c->counts == 2 ? e->volume : 0)) {
            *bad = e;
            return NGC_ERROR;
        }
        u[j->n] = (ngc_undo_t){i, om, ov, 0};
        ngc_counters_fence();
        j->n++;
        ngc_counters_fence();
        ngc_counters_put(x.counts, m);
        if (c->counts == 2)
            ngc_counters_put(x.counts + 8, v);
    }
    return NGC_OK;
}

/* Maps in bytes at off unless *mapped says this process did last. */
static void ngc_counters_map_once(const ngc_counters_t *c, uint64_t *mapped, uint64_t off,
                                  uint64_t bytes)
{
    if (*mapped == off)
        return;
    ngc_counters_map_in(c, off, bytes);
    *mapped = off;
}

/* Maps in the partition's slot array, journal and current arena block
 * where another worker made them since this process last did. Lock held. */
static void ngc_counters_map_part(const ngc_counters_t *c, const ngc_part_t *p)
{
    unsigned k = (unsigned)(p - c->part);
    uint64_t block = p->arena_block;
    ngc_counters_map_once(c, &ngc_counters_mapped[k].table, p->table & ~(uint64_t)63,
                          ngc_counters_cap(p) * sizeof(uint64_t));
    ngc_counters_map_once(c, &ngc_counters_mapped[k].journal, p->journal.entries,
                          p->journal.cap * sizeof(ngc_undo_t));
    ngc_counters_map_once(c, &ngc_counters_mapped[k].block, block,
                          block ? ((const uint64_t *)ngc_counters_at(c, block))[1] : 0);
}

int ngc_counters_merge(ngc_counters_t *c, unsigned part, uint32_t task, uint32_t batch,
                       uint32_t attempt, const ngc_kv_t *kv, size_t n, const ngc_kv_t **bad)
{
    ngc_assert(part < NGC_COUNTERS_PARTS && task < c->ntasks && batch > 0);
    ngc_part_t *p = &c->part[part];
    if (ngc_counters_lock(c, p) != NGC_OK)
        return NGC_ERROR;
    ngc_assert(p->sorted_off == 0);
    ngc_counters_map_part(c, p);
    int rc = NGC_OK;
    /* A retried task skips the partitions its earlier attempt committed. */
    if (!ngc_counters_committed(c, part, task, batch)) {
        /* Room for every new key before the batch starts (the journal names
         * slots by index, so the table must not move under it). Counting
         * the new keys first keeps re-merged keys from doubling the table;
         * it also brings their slots into the cache for the real pass. */
        uint64_t need = p->count + n;
        if (need * 4 > ngc_counters_cap(p) * 3)
            need = p->count + ngc_counters_missing(c, p, kv, n);
        rc = ngc_counters_reserve(c, p, need, task, attempt);
        if (rc == NGC_OK)
            rc = ngc_counters_journal_reserve(c, p, n);
        if (rc == NGC_OK)
            rc = ngc_counters_apply(c, p, task, batch, attempt, kv, n, bad);
        if (rc == NGC_OK) {
            atomic_store_explicit(ngc_counters_commit(c, part, task), batch,
                                  memory_order_release);
            ngc_counters_fence();
            p->journal.active = 0;
        } else {
            ngc_counters_rollback(c, p); /* the table stays exact on failure */
        }
    }
    ngc_counters_unlock(c, p);
    return rc;
}

/* The output order: the count (match, volume, or match then volume)
 * descending unless --sort ngram, then the key bytes ascending, a prefix
 * before its extensions. */
static inline int ngc_counters_order(ngc_order_t order, uint64_t ma, uint64_t va, uint64_t pa,
                                     const char *ka, size_t la, uint64_t mb, uint64_t vb,
                                     uint64_t pb, const char *kb, size_t lb)
{
    if (order.sort == NGC_SORT_COUNT) {
        uint64_t a = order.count == NGC_COUNT_VOLUME ? va : ma;
        uint64_t b = order.count == NGC_COUNT_VOLUME ? vb : mb;
        if (a != b)
            return a > b ? -1 : 1;
        if (order.count == NGC_COUNT_BOTH && va != vb)
            return va > vb ? -1 : 1;
    }
    if (pa != pb)
        return pa < pb ? -1 : 1;
    size_t n = la < lb ? la : lb;
    int r = memcmp(ka, kb, n);
    if (r != 0)
        return r;
    return la < lb ? -1 : la > lb;
}

int ngc_counters_compare(const ngc_entry_t *a, const ngc_entry_t *b, ngc_order_t order)
{
    return ngc_counters_order(order, a->match, a->volume, a->prefix, a->key, a->len, b->match,
                              b->volume, b->prefix, b->key, b->len);
}

/* What a sort moves: the sort count, the key's first 16 bytes (as two
 * prefixes: keys of 2-grams and up often share the first 8), the entry. */
typedef struct {
    uint64_t count;
    uint64_t prefix;
    uint64_t prefix2;
    uint64_t ref;
} ngc_crec_t;

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

static void ngc_counters_insertion(const ngc_counters_t *c, ngc_order_t order,
                                   ngc_crec_t *s, size_t n)
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
static void ngc_counters_sift(const ngc_counters_t *c, ngc_order_t order, ngc_crec_t *s,
                              size_t n, size_t i)
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

static void ngc_counters_heapsort(const ngc_counters_t *c, ngc_order_t order,
                                  ngc_crec_t *s, size_t n)
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
static void ngc_counters_introsort(const ngc_counters_t *c, ngc_order_t order,
                                   ngc_crec_t *s, size_t n, unsigned depth)
{
    while (n > 24) {
        if (depth-- == 0) {
            ngc_counters_heapsort(c, order, s, n);
            return;
        }
        ngc_crec_t *a = &s[0], *b = &s[n / 2], *z = &s[n - 1], *med;
        if (ngc_counters_before(c, order, a, b))
            med = ngc_counters_before(c, order, b, z) ? b
                  : ngc_counters_before(c, order, a, z) ? z : a;
        else
            med = ngc_counters_before(c, order, a, z) ? a
                  : ngc_counters_before(c, order, b, z) ? z : b;
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

static void ngc_counters_sort_recs(const ngc_counters_t *c, ngc_order_t order, ngc_crec_t *r,
                                   size_t n)
{
    ngc_counters_introsort(c, order, r, n, 2 * (64 - (unsigned)__builtin_clzll(n | 1)));
}

/* The partition's entries of at least min_count (by order.count; all of
 * them by key when order sorts by ngram and min_count is 0), in a private
 * array, sorted in `order`. NULL when out of memory. Lock held. */
static ngc_crec_t *ngc_counters_sorted_recs(const ngc_counters_t *c, const ngc_part_t *p,
                                            ngc_order_t order, uint64_t min_count, uint64_t *n)
{
    ngc_crec_t *r = malloc((p->count ? p->count : 1) * sizeof(*r));
    if (r == NULL)
        return NULL;
    uint64_t k = 0;
    NGC_COUNTERS_EACH(c, p, ref, e, {
        uint64_t v = order.count == NGC_COUNT_VOLUME ? ngc_counters_volume_of(c, &e)
                                                     : ngc_counters_get(e.counts);
        if (v >= min_count)
            r[k++] = (ngc_crec_t){v, ngc_entry_prefix(e.key, e.len),
                                  ngc_counters_prefix2(e.key, e.len), ref};
    });
    ngc_counters_sort_recs(c, order, r, k);
    *n = k;
    return r;
}

int ngc_counters_sort(ngc_counters_t *c, unsigned part, ngc_order_t order,
                      uint64_t min_count, uint32_t task, uint32_t attempt)
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
             * sorted entry offsets. A sort cut short runs again from the
             * arena, which it never changes. (Copying the entries out in
             * order, for the output pass to read them front to back, was
             * measured: the copy cost the sort more than the output pass
             * gained.) */
            uint64_t *d = ngc_counters_slots(c, p), cap = ngc_counters_cap(p);
            ngc_assert(n <= cap);
            for (uint64_t i = 0; i < n / 2; i++)
                d[i] = r[i].ref;
            ngc_failpoint_check(NGC_FP_CRASH_IN_SORT, task, attempt);
            for (uint64_t i = n / 2; i < n; i++)
                d[i] = r[i].ref;
            free(r);
            p->sorted = n;
            ngc_counters_fence();
            p->sorted_off = p->table & ~(uint64_t)63;
            ngc_counters_fence();
            ngc_counters_release(c, p->sorted_off + n * sizeof(uint64_t),
                                 (cap - n) * sizeof(uint64_t));
        }
    }
    ngc_counters_unlock(c, p);
    return rc;
}

uint64_t ngc_counters_distinct(const ngc_counters_t *c)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < NGC_COUNTERS_PARTS; i++)
        n += c->part[i].count + c->part[i].final_distinct;
    return n;
}

int ngc_counters_spill(ngc_counters_t *c, unsigned part, ngc_spill_t *sp, uint64_t *bytes,
                       char *err, size_t cap)
{
    ngc_assert(part < NGC_COUNTERS_PARTS);
    ngc_part_t *p = &c->part[part];
    *bytes = 0;
    if (ngc_counters_lock(c, p) != NGC_OK) {
        snprintf(err, cap, "cannot lock partition %u", part);
        return NGC_ERROR;
    }
    int rc = NGC_OK;
    uint64_t n = 0;
    ngc_crec_t *sorted = NULL;
    ngc_run_writer_t *w = NULL;
    if (p->count == 0 || p->sorted_off != 0)
        goto out;
    /* The run is written from a private sorted copy; the table stays whole
     * until the run is published, so a worker dying here loses nothing. */
    ngc_order_t by_key = {NGC_COUNT_MATCH, NGC_SORT_NGRAM};
    if ((sorted = ngc_counters_sorted_recs(c, p, by_key, 0, &n)) == NULL) {
        snprintf(err, cap, "out of memory spilling partition %u", part);
        rc = NGC_ERROR;
        goto out;
    }
    ngc_assert(n == p->count);
    char name[NGC_RUN_NAME_MAX];
    ngc_run_name(name, part, NGC_RUN_SPILL, p->nruns);
    if ((w = ngc_run_writer_open(sp, name, err, cap)) == NULL) {
        rc = NGC_ERROR;
        goto out;
    }
    for (uint64_t i = 0; i < n && rc == NGC_OK; i++) {
        ngc_centry_t e = ngc_counters_entry_at(c, sorted[i].ref);
        rc = ngc_run_writer_add(w, e.key, e.len, ngc_counters_get(e.counts),
                                ngc_counters_volume_of(c, &e));
    }
    if (rc == NGC_OK)
        rc = ngc_run_writer_close(w, bytes);
    if (rc != NGC_OK) {
        snprintf(err, cap, "%s", ngc_run_writer_error(w));
        goto out;
    }
    /* Published, then cleared: a repair finishes a clear cut short. */
    p->nruns++;
    ngc_counters_fence();
    ngc_counters_clear(c, p);
out:
    ngc_run_writer_free(w);
    free(sorted);
    ngc_counters_unlock(c, p);
    return rc;
}

/* By key, as a run is ordered. */
static int ngc_counters_kv_cmp(const void *x, const void *y)
{
    const ngc_kv_t *a = *(const ngc_kv_t *const *)x, *b = *(const ngc_kv_t *const *)y;
    ngc_entry_t ea = {a->key, a->len, 0, 0, ngc_entry_prefix(a->key, a->len)};
    ngc_entry_t eb = {b->key, b->len, 0, 0, ngc_entry_prefix(b->key, b->len)};
    return ngc_counters_compare(&ea, &eb, (ngc_order_t){NGC_COUNT_MATCH, NGC_SORT_NGRAM});
}

int ngc_counters_spill_batch(ngc_counters_t *c, unsigned part, uint32_t task, uint32_t batch,
                             uint32_t attempt, const ngc_kv_t *kv, size_t n, ngc_spill_t *sp,
                             uint64_t *bytes, char *err, size_t cap)
{
    ngc_assert(part < NGC_COUNTERS_PARTS && task < c->ntasks && batch > 0);
    ngc_part_t *p = &c->part[part];
    *bytes = 0;
    /* Sorted before taking the lock: only the write and the commit need it. */
    const ngc_kv_t **sorted = malloc((n ? n : 1) * sizeof(*sorted));
    if (sorted == NULL) {
        snprintf(err, cap, "out of memory spilling partition %u", part);
        return NGC_ERROR;
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = &kv[i];
    qsort(sorted, n, sizeof(*sorted), ngc_counters_kv_cmp);
    if (ngc_counters_lock(c, p) != NGC_OK) {
        free(sorted);
        snprintf(err, cap, "cannot lock partition %u", part);
        return NGC_ERROR;
    }
    ngc_assert(p->sorted_off == 0);
    int rc = NGC_OK;
    ngc_run_writer_t *w = NULL;
    if (ngc_counters_committed(c, part, task, batch))
        goto out;
    char name[NGC_RUN_NAME_MAX];
    ngc_run_name(name, part, NGC_RUN_SPILL, p->nruns);
    if ((w = ngc_run_writer_open(sp, name, err, cap)) == NULL) {
        rc = NGC_ERROR;
        goto out;
    }
    for (size_t i = 0; i < n && rc == NGC_OK; i++)
        rc = ngc_run_writer_add(w, sorted[i]->key, sorted[i]->len, sorted[i]->match,
                                sorted[i]->volume);
    if (rc == NGC_OK)
        rc = ngc_run_writer_close(w, bytes);
    if (rc != NGC_OK) {
        snprintf(err, cap, "%s", ngc_run_writer_error(w));
        goto out;
    }
    /* Published and committed in one journaled step: a death before the
     * commit rolls the publication back, so a retry writes the batch
     * again, and one after it leaves both. */
    ngc_journal_t *j = ngc_counters_journal_open(p, task, batch);
    p->nruns++;
    ngc_counters_fence();
    p->cleared = p->nruns; /* the table holds none of the run's entries */
    ngc_failpoint_check(NGC_FP_CRASH_IN_MERGE, task, attempt);
    atomic_store_explicit(ngc_counters_commit(c, part, task), batch, memory_order_release);
    ngc_counters_fence();
    j->active = 0;
out:
    ngc_run_writer_free(w);
    ngc_counters_unlock(c, p);
    free(sorted);
    return rc;
}

uint32_t ngc_counters_runs(const ngc_counters_t *c, unsigned part)
{
    return c->part[part].nruns;
}

void ngc_counters_publish_final(ngc_counters_t *c, unsigned part, uint32_t nfinal,
                                uint64_t distinct)
{
    ngc_part_t *p = &c->part[part];
    if (ngc_counters_lock(c, p) != NGC_OK)
        return;
    if (p->sorted_off == 0) {
        p->nfinal = nfinal;
        p->final_distinct = distinct;
        p->sorted = 0;
        ngc_counters_fence();
        p->sorted_off = p->table & ~(uint64_t)63;
    }
    ngc_counters_unlock(c, p);
}

uint32_t ngc_counters_finals(const ngc_counters_t *c, unsigned part)
{
    return c->part[part].nfinal;
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
    ngc_assert(part < NGC_COUNTERS_PARTS && c->part[part].sorted_off != 0);
    return (size_t)c->part[part].sorted;
}

void ngc_counters_entry(const ngc_counters_t *c, unsigned part, size_t idx,
                        ngc_entry_t *out)
{
    const ngc_part_t *p = &c->part[part];
    const uint64_t *refs = (const uint64_t *)ngc_counters_at(c, p->sorted_off);
    ngc_centry_t e = ngc_counters_entry_at(c, refs[idx]);
    out->key = e.key;
    out->len = e.len;
    out->match = ngc_counters_get(e.counts);
    out->volume = ngc_counters_volume_of(c, &e);
    out->prefix = ngc_entry_prefix(e.key, e.len);
    /* Readers walk a partition in order while merging 64 of them: fetch the
     * next entry now, so its cache miss overlaps the other partitions' work. */
    if (idx + 1 < p->sorted)
        __builtin_prefetch(ngc_counters_at(c, refs[idx + 1]));
}
