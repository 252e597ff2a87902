/*
 * counters.c: the shared reduce table (see counters.h for the design): the
 * region and its allocator, merges and their crash journal. The sort is in
 * counters_sort.c, spilling to runs in counters_spill.c, the layout they
 * share in counters_layout.h.
 *
 * A slot is 8 bytes: a 24-bit fingerprint of the hash and the 40-bit offset
 * of the key's entry (0 means empty). Entries (length, key bytes, match and,
 * when anything reads it, volume; 4-byte counts until a total outgrows
 * them, see counters_layout.h) are packed in per-partition arena blocks,
 * in the order they came: about 20 bytes for a 2-gram, where a 32-byte slot
 * of hash and totals plus the key took three times that. A partition's slot array
 * doubles at 3/4 load, rehashing the keys as it walks the arena (slots keep
 * no full hash); the old array is cut into arena blocks for new keys. Sorting walks
 * the arena too, copies the entries in output order into a new chain of
 * blocks (the old chain's blocks take the next partition's copy), and
 * writes their offsets over the slot array, which nothing reads after the
 * merges.
 *
 * Crash safety (a worker may die at any instruction, holding a lock):
 * - A batch (one task's entries for one partition) is applied under the
 *   partition lock with an undo journal in shared memory: each slot's old
 *   state is journaled before the slot changes (a key moved to a wide
 *   entry journals the slot's old value: the narrow entry is still whole).
 *   The task's commit record for the partition (the number of its last
 *   batch there: a task whose combiner outgrew its budget merges in several
 *   numbered batches) is set in the same critical section, last. The next
 *   locker of a lock whose owner died rolls an uncommitted batch back, so a
 *   task's contribution lands exactly once however often it is retried.
 * - The table grows before a batch starts, never during one, and switches to
 *   the new array with one 64-bit store (offset and size share a word).
 * - Sorting reads the arena and writes its copy to blocks no walk reaches
 *   until the copy is whole; then arena_first switches to it with one store
 *   (a walk ends each block where its header says, so the other arena
 *   fields may lag), and the sorted array is published with one more. A
 *   sort cut short just runs again, from whichever chain is the arena.
 * Stores the repair depends on are ordered with compiler fences: a killed
 * process's executed stores stay in memory, in program order on one CPU.
 */
#include "engine/base/ngc.h"
#include "engine/reduce/counters.h"
#include "engine/reduce/counters_layout.h"
#include "engine/base/failpoint.h"
#include "engine/base/log.h"
#include "engine/reduce/runfile.h"
#include "engine/ipc/shmtx.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <xxhash.h>

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

size_t ngc_counters_shm_size(uint64_t memory)
{
    return (size_t)memory;
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
 * Allocates `bytes` from the pool; 0 if full. `pooled`: a power of two
 * (slot arrays, journals, a chain's first arena blocks), which may come
 * from the free list of its size. *zeroed tells whether the memory is known to be zero: fresh pages of
 * the anonymous mapping are, so they need no memset (and no early touch).
 * Large blocks are page-aligned, so they can be given back (MADV_REMOVE).
 */
static uint64_t ngc_counters_alloc(ngc_counters_t *c, uint64_t bytes, bool pooled, bool *zeroed)
{
    if (ngc_counters_alloc_lock(c) != NGC_OK)
        return 0;
    uint64_t off = 0;
    unsigned cls = ngc_counters_log2(bytes);
    *zeroed = false;
    if (pooled && c->free_tables[cls] != 0) {
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
void ngc_counters_release(ngc_counters_t *c, uint64_t off, uint64_t bytes)
{
    uint64_t lo = (off + NGC_PAGE - 1) & ~(uint64_t)(NGC_PAGE - 1);
    uint64_t hi = (off + bytes) & ~(uint64_t)(NGC_PAGE - 1);
    uintptr_t base = (uintptr_t)c;
    if (base % NGC_PAGE == 0 && hi > lo)
        madvise(ngc_counters_at(c, lo), hi - lo, MADV_REMOVE);
}

/*
 * A freed array of NGC_RELEASE_MIN bytes or more is cut into arena blocks,
 * which new keys fill next (ngc_counters_alloc_block): the workers that
 * merged into it have its pages mapped, where fresh memory is new to each
 * of them, and where the MMU is virtualized by shadow page tables (the
 * PVM guest the benchmarks run on) every page a process touches anew
 * traps. A smaller one goes on its size's free list: partitions grow in
 * step, so an array of a size one has outgrown is seldom taken again, and
 * those below that size come to a few MB.
 */
/* Puts the arena block at off on the free block list. alloc_lock held. */
static void ngc_counters_push_block(ngc_counters_t *c, uint64_t off)
{
    *(uint64_t *)ngc_counters_at(c, off) = c->free_blocks;
    ngc_counters_fence();
    c->free_blocks = off;
    c->free_block_bytes += c->arena_block;
}

static void ngc_counters_free_table(ngc_counters_t *c, uint64_t off, uint64_t bytes)
{
    bool blocks = bytes >= NGC_RELEASE_MIN && bytes % c->arena_block == 0;
    /* A large one not cut (arena blocks of another size) keeps only its
     * link. Pages are given back outside the lock: each release is a TLB
     * shootdown in every worker. */
    if (!blocks && bytes >= NGC_RELEASE_MIN)
        ngc_counters_release(c, off + 8, bytes - 8);
    if (ngc_counters_alloc_lock(c) != NGC_OK)
        return;        /* leaked, not corrupted */
    uint64_t keep = 0; /* bytes cut into blocks */
    if (blocks) {
        /* Up to NGC_FREE_BLOCKS_MAX: the rest is given back, so what no
         * key takes before the merges end adds little to the peak. */
        for (; keep < bytes && c->free_block_bytes + c->arena_block <= NGC_FREE_BLOCKS_MAX;
             keep += c->arena_block)
            ngc_counters_push_block(c, off + keep);
    } else {
        unsigned cls = ngc_counters_log2(bytes);
        *(uint64_t *)ngc_counters_at(c, off) = c->free_tables[cls];
        ngc_counters_fence();
        c->free_tables[cls] = off;
    }
    ngc_shmtx_unlock(&c->alloc_lock);
    if (blocks && keep < bytes)
        ngc_counters_release(c, off + keep, bytes - keep);
}

/* An arena block of c->arena_block bytes, not zeroed: a piece of a freed
 * array when there is one, else fresh memory; 0 when the pool is full. */
static uint64_t ngc_counters_alloc_block(ngc_counters_t *c)
{
    if (ngc_counters_alloc_lock(c) != NGC_OK)
        return 0;
    uint64_t off = c->free_blocks;
    if (off != 0) {
        c->free_blocks = *(uint64_t *)ngc_counters_at(c, off);
        c->free_block_bytes -= c->arena_block;
    }
    ngc_shmtx_unlock(&c->alloc_lock);
    if (off != 0) {
        ngc_counters_new_memory(ngc_counters_at(c, off), c->arena_block);
        return off;
    }
    bool zeroed;
    return ngc_counters_alloc(c, c->arena_block, false, &zeroed);
}

/*
 * A chain's blocks double from NGC_ARENA_FIRST up to c->arena_block, so a
 * small partition maps a few pages, not a whole block: 64 partitions of
 * full blocks were most of a small job's time (each fresh page traps; see
 * ngc_counters_free_table). Smaller blocks are powers of two and share the
 * slot arrays' free lists.
 */
uint64_t ngc_counters_new_block(ngc_counters_t *c, uint64_t need, uint64_t prev)
{
    uint64_t bytes = prev ? prev * 2 : NGC_ARENA_FIRST;
    while (bytes < c->arena_block && bytes < need + NGC_ARENA_HEAD)
        bytes *= 2;
    if (bytes > c->arena_block)
        bytes = c->arena_block;
    if (bytes < need + NGC_ARENA_HEAD)
        bytes = need + NGC_ARENA_HEAD; /* one long key's */
    bool zeroed;
    uint64_t off = bytes == c->arena_block
                       ? ngc_counters_alloc_block(c)
                       : ngc_counters_alloc(c, bytes, bytes < c->arena_block, &zeroed);
    if (off == 0)
        return 0;
    uint64_t *b = (uint64_t *)ngc_counters_at(c, off);
    b[0] = 0;
    b[1] = bytes;
    b[2] = off + NGC_ARENA_HEAD;
    return off;
}

void ngc_counters_free_chain(ngc_counters_t *c, uint64_t first)
{
    for (uint64_t off = first; off != 0;) {
        const uint64_t *b = (const uint64_t *)ngc_counters_at(c, off);
        uint64_t next = b[0], bytes = b[1];
        if (bytes < c->arena_block) {
            ngc_counters_free_table(c, off, bytes); /* a power of two: a free list */
        } else if (bytes != c->arena_block) {
            ngc_counters_release(c, off, bytes); /* one long key's: its pages go back */
        } else if (ngc_counters_alloc_lock(c) == NGC_OK) {
            ngc_counters_push_block(c, off);
            ngc_shmtx_unlock(&c->alloc_lock);
        } /* else leaked, not corrupted */
        off = next;
    }
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
    size_t sizes_bytes = (size_t)(ntasks ? ntasks : 1) * sizeof(uint64_t);
    c->task_bytes = ngc_counters_alloc(c, sizes_bytes, false, &zeroed);
    if (c->task_bytes == 0) {
        ngc_log_user(0, "--memory is too small for the sizes of %u tasks", ntasks);
        return NULL;
    }
    if (!zeroed)
        memset(ngc_counters_task_bytes(c), 0, sizes_bytes);
    c->tasks_unsized = ntasks;
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

bool ngc_counters_committed(const ngc_counters_t *c, unsigned part, uint32_t task, uint32_t batch)
{
    ngc_assert(task < c->ntasks && part < NGC_COUNTERS_PARTS);
    return atomic_load_explicit(ngc_counters_commit(c, part, task), memory_order_acquire) >= batch;
}

uint64_t ngc_counters_repairs(const ngc_counters_t *c)
{
    return atomic_load_explicit(&c->repairs, memory_order_relaxed);
}

/* Puts slot value v, whose key's home is j, in the first free slot of ns. */
static inline void ngc_counters_place(uint64_t *ns, uint64_t mask, uint64_t j, uint64_t v)
{
    while (ns[j] != 0)
        j = (j + 1) & mask;
    ns[j] = v;
}

/* Moves p's slots into ns (ncap slots): each key's new home comes from the
 * fingerprint in its slot. Read in slot order, the old slot i goes to i or
 * i + cap, so both arrays stream through the cache. */
static void ngc_counters_rehash_slots(const ngc_counters_t *c, const ngc_part_t *p, uint64_t *ns,
                                      uint64_t ncap, uint32_t task, uint32_t attempt)
{
    const uint64_t *os = ngc_counters_slots(c, p);
    uint64_t cap = ngc_counters_cap(p), mask = ncap - 1, moved = 0;
    for (uint64_t i = 0; i < cap; i++) {
        uint64_t v = os[i];
        if (v == 0)
            continue;
        if (NGC_UNLIKELY(moved++ == p->count / 2))
            ngc_failpoint_check(NGC_FP_CRASH_IN_GROW, task, attempt);
        ngc_counters_place(ns, mask, (v >> NGC_REF_BITS) & mask, v);
    }
    ngc_assert(moved == p->count);
}

/* The same for a table past NGC_HOME_FROM_FP slots, whose homes need more
 * hash bits than a slot keeps: the keys are hashed again, read in arena
 * order. Each key's new slot is a cache miss: it is placed NGC_REHASH_AHEAD
 * keys after its slot was prefetched, so the misses overlap. */
static void ngc_counters_rehash_keys(const ngc_counters_t *c, const ngc_part_t *p, uint64_t *ns,
                                     uint64_t ncap, uint32_t task, uint32_t attempt)
{
    uint64_t mask = ncap - 1, moved = 0;
    uint64_t ring_home[NGC_REHASH_AHEAD], ring_slot[NGC_REHASH_AHEAD];
    NGC_COUNTERS_EACH(c, p, ref, e, {
        if (NGC_UNLIKELY(moved == p->count / 2))
            ngc_failpoint_check(NGC_FP_CRASH_IN_GROW, task, attempt);
        uint64_t h = ngc_counters_hash(e.key, e.len), home = ngc_counters_home(h, mask);
        __builtin_prefetch(&ns[home], 1);
        unsigned k = (unsigned)(moved % NGC_REHASH_AHEAD);
        if (moved >= NGC_REHASH_AHEAD)
            ngc_counters_place(ns, mask, ring_home[k], ring_slot[k]);
        ring_home[k] = home;
        ring_slot[k] = ngc_counters_fp(h) << NGC_REF_BITS | ref;
        moved++;
    });
    for (uint64_t m = moved > NGC_REHASH_AHEAD ? moved - NGC_REHASH_AHEAD : 0; m < moved; m++)
        ngc_counters_place(ns, mask, ring_home[m % NGC_REHASH_AHEAD],
                           ring_slot[m % NGC_REHASH_AHEAD]);
    ngc_assert(moved == p->count);
}

uint64_t ngc_counters_rehash_slots_max = NGC_HOME_FROM_FP;

/* Slots that hold `need` entries at 3/4 load, from cap up by doubling. */
static uint64_t ngc_counters_slots_for(uint64_t cap, uint64_t need)
{
    while (need * 4 > cap * 3)
        cap *= 2;
    return cap;
}

/*
 * The slots to grow to when the table must hold `need` entries: enough for
 * the keys the whole job will bring, at the rate per input byte the tasks
 * seen so far brought them, when that is more. A Google file's keys are
 * new in every task (each key's lines are contiguous), so the rate holds,
 * and growing once instead of doubling a dozen times saves placing every
 * key again and again (a quarter of the merge's time at 20 M keys). Text
 * repeats keys, so the guess may be high: it is bounded by a share of the
 * pool and by 32 times the doubling (a table is populated when allocated,
 * so a small job must not get a large one). None when some task's size is
 * not known (a pipe).
 */
static uint64_t ngc_counters_slots_hint(const ngc_counters_t *c, const ngc_part_t *p, uint64_t ncap,
                                        uint64_t need)
{
    if (c->tasks_unsized != 0 || p->bytes_seen == 0 || p->bytes_seen >= c->input_bytes)
        return ncap;
    unsigned __int128 guess = (unsigned __int128)need * c->input_bytes / p->bytes_seen;
    uint64_t most = c->size / (4 * NGC_COUNTERS_PARTS * sizeof(uint64_t));
    if (most > ncap * 32)
        most = ncap * 32;
    if (most > (1ull << NGC_FP_SHIFT) / 2)
        most = (1ull << NGC_FP_SHIFT) / 2;
    if (most <= ncap)
        return ncap;
    most = 1ull << (63 - __builtin_clzll(most)); /* a power of two, as slot counts are */
    uint64_t fits = most / 4 * 3;                /* entries `most` slots hold */
    return ngc_counters_slots_for(ncap, guess < fits ? (uint64_t)guess : fits);
}

/* Grows the slot array to hold `need` entries at 3/4 load (more when the
 * job's progress says more will come). Lock held; not inside a batch: the
 * switch is one store, a crash leaves either array. */
static int ngc_counters_reserve(ngc_counters_t *c, ngc_part_t *p, uint64_t need, uint32_t task,
                                uint32_t attempt)
{
    uint64_t cap = ngc_counters_cap(p);
    uint64_t ncap = ngc_counters_slots_for(cap, need);
    if (ncap == cap)
        return NGC_OK;
    uint64_t hint = ngc_counters_slots_hint(c, p, ncap, need);
    bool zeroed;
    uint64_t noff = hint > ncap ? ngc_counters_alloc(c, hint * sizeof(uint64_t), true, &zeroed) : 0;
    if (noff != 0)
        ncap = hint;
    else
        noff = ngc_counters_alloc(c, ncap * sizeof(uint64_t), true, &zeroed);
    if (noff == 0)
        return NGC_FULL;
    ngc_assert(ncap <= 1ull << NGC_FP_SHIFT);
    uint64_t *ns = (uint64_t *)ngc_counters_at(c, noff);
    if (!zeroed)
        memset(ns, 0, ncap * sizeof(uint64_t));
    if (ncap <= ngc_counters_rehash_slots_max)
        ngc_counters_rehash_slots(c, p, ns, ncap, task, attempt);
    else
        ngc_counters_rehash_keys(c, p, ns, ncap, task, attempt);
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

/* Appends an entry for key with counts m and v, wide when they need it;
 * its offset, or 0 when the pool is spent. Lock held. */
static uint64_t ngc_counters_store(ngc_counters_t *c, ngc_part_t *p, const char *key, uint32_t len,
                                   uint64_t m, uint64_t v)
{
    bool wide = ngc_counters_wide(m, v);
    uint64_t need = ngc_counters_entry_bytes(c, len, wide);
    /* arena == 0: no block yet. Blocks form a chain, so a partition
     * emptied by a spill fills the same blocks again. */
    if (p->arena == 0 || p->arena_end - p->arena < need) {
        uint64_t *cur = p->arena_block ? (uint64_t *)ngc_counters_at(c, p->arena_block) : NULL;
        uint64_t next = cur ? cur[0] : 0;
        uint64_t off;
        if (next != 0 && ngc_counters_block_bytes(c, next) - NGC_ARENA_HEAD >= need) {
            off = next;
        } else {
            off = ngc_counters_new_block(c, need, ngc_counters_block_bytes(c, p->arena_block));
            if (off == 0)
                return 0;
            ((uint64_t *)ngc_counters_at(c, off))[0] = next;
            ngc_counters_fence();
            if (cur != NULL)
                cur[0] = off;
            else
                p->arena_first = off;
        }
        /* Where the entries of the block left behind end, for walks. */
        if (cur != NULL)
            cur[2] = p->arena;
        p->arena_end = off + ngc_counters_block_bytes(c, off);
        ngc_counters_fence();
        p->arena_block = off;
        p->arena = off + NGC_ARENA_HEAD;
    }
    uint64_t ref = p->arena;
    unsigned char *d = (unsigned char *)ngc_counters_at(c, ref);
    uint32_t l = len << NGC_ENTRY_FLAGS | (wide ? NGC_ENTRY_WIDE : 0);
    for (; l >= 0x80u; l >>= 7)
        *d++ = (unsigned char)(l | 0x80u);
    *d++ = (unsigned char)l;
    memcpy(d, key, len);
    d += len;
    unsigned w = wide ? 8 : 4;
    ngc_counters_put((char *)d, w, m);
    if (c->counts == 2)
        ngc_counters_put((char *)d + w, w, v);
    p->arena += need;
    return ref;
}

/* Marks the entry at ref dead (moved to a wide entry) or live again: one
 * byte store to its header's first byte, where the flags are. */
static void ngc_counters_mark_dead(ngc_counters_t *c, uint64_t ref, bool dead)
{
    unsigned char *b = (unsigned char *)ngc_counters_at(c, ref);
    *b = dead ? (unsigned char)(*b | NGC_ENTRY_DEAD) : (unsigned char)(*b & ~NGC_ENTRY_DEAD);
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
            uint64_t *slot = &s[u[i].slot & ~(NGC_UNDO_NEW | NGC_UNDO_MOVED)];
            if (u[i].slot & NGC_UNDO_NEW) {
                *slot = 0;
            } else if (u[i].slot & NGC_UNDO_MOVED) {
                /* Back to the narrow entry, whose counts never changed;
                 * the wide one lies past the arena's restored end. */
                *slot = u[i].old;
                ngc_counters_mark_dead(c, u[i].old & NGC_REF_MASK, false);
            } else {
                ngc_centry_t e = ngc_counters_entry_at(c, *slot & NGC_REF_MASK);
                unsigned w = ngc_counters_width(e.flags);
                ngc_counters_put(e.counts, w, u[i].match);
                if (c->counts == 2)
                    ngc_counters_put(e.counts + w, w, u[i].volume);
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
void ngc_counters_clear(ngc_counters_t *c, ngc_part_t *p)
{
    memset(ngc_counters_slots(c, p), 0, ngc_counters_cap(p) * sizeof(uint64_t));
    p->count = 0;
    if (p->arena_first != 0) {
        p->arena_end = p->arena_first + ngc_counters_block_bytes(c, p->arena_first);
        p->arena_block = p->arena_first;
        p->arena = p->arena_first + NGC_ARENA_HEAD;
    }
    ngc_counters_fence();
    p->cleared = p->nruns;
}

void ngc_counters_unlock(ngc_counters_t *c, ngc_part_t *p)
{
    ngc_counters_tsan_release(c);
    ngc_shmtx_unlock(&p->lock);
}

/* Locks a partition, repairing it if the last holder died. */
int ngc_counters_lock(ngc_counters_t *c, ngc_part_t *p)
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
static inline uint64_t ngc_counters_find(const ngc_counters_t *c, const uint64_t *s, uint64_t mask,
                                         const ngc_kv_t *e)
{
    uint64_t fp = ngc_counters_fp(e->hash);
    for (uint64_t i = ngc_counters_home(e->hash, mask);; i = (i + 1) & mask) {
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
ngc_counters_prefetch(const ngc_counters_t *c, const uint64_t *s, uint64_t mask, const ngc_kv_t *kv,
                      size_t k, size_t n, bool copies)
{
    if (k + 2 * NGC_PREFETCH < n)
        __builtin_prefetch(&s[ngc_counters_home(kv[k + 2 * NGC_PREFETCH].hash, mask)]);
    if (k + NGC_PREFETCH < n) {
        /* A new key's bytes are copied into the arena (when the caller
         * inserts): the batch was permuted into partition order, so they are
         * scattered too. */
        if (copies)
            __builtin_prefetch(kv[k + NGC_PREFETCH].key);
        uint64_t h = kv[k + NGC_PREFETCH].hash, slot = s[ngc_counters_home(h, mask)];
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
ngc_journal_t *ngc_counters_journal_open(ngc_part_t *p, uint32_t task, uint32_t batch)
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

/* Appends an undo record: whole before the count that makes a rollback
 * read it, and before the change it undoes. */
static inline void ngc_counters_journal_add(ngc_journal_t *j, ngc_undo_t *u, ngc_undo_t rec)
{
    u[j->n] = rec;
    ngc_counters_fence();
    j->n++;
    ngc_counters_fence();
}

static int ngc_counters_apply(ngc_counters_t *c, ngc_part_t *p, uint32_t task, uint32_t batch,
                              uint32_t attempt, const ngc_kv_t *kv, size_t n, const ngc_kv_t **bad)
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
            ngc_counters_journal_add(j, u, (ngc_undo_t){i | NGC_UNDO_NEW, 0, 0, 0});
            s[i] = ngc_counters_fp(e->hash) << NGC_REF_BITS | ref;
            p->count++;
            continue;
        }
        ngc_centry_t x = ngc_counters_entry_at(c, s[i] & NGC_REF_MASK);
        unsigned w = ngc_counters_width(x.flags);
        uint64_t om = ngc_counters_match_of(&x), ov = ngc_counters_volume_of(c, &x);
        uint64_t m = om, v = ov;
        if (!ngc_counters_add(c->count, &m, &v, e->match, c->counts == 2 ? e->volume : 0)) {
            *bad = e;
            return NGC_ERROR;
        }
        if (NGC_UNLIKELY(w == 4 && ngc_counters_wide(m, v))) {
            /* Outgrown: the key moves to a wide entry. The narrow one is
             * marked dead after the slot names the new one, so a walk
             * never sees the key twice, nor misses it after a rollback. */
            uint64_t ref = ngc_counters_store(c, p, x.key, x.len, m, v), old = s[i];
            if (ref == 0)
                return NGC_FULL;
            ngc_counters_journal_add(j, u, (ngc_undo_t){i | NGC_UNDO_MOVED, om, ov, old});
            s[i] = (old & ~NGC_REF_MASK) | ref;
            ngc_counters_fence();
            ngc_counters_mark_dead(c, old & NGC_REF_MASK, true);
            continue;
        }
        ngc_counters_journal_add(j, u, (ngc_undo_t){i, om, ov, 0});
        ngc_counters_put(x.counts, w, m);
        if (c->counts == 2)
            ngc_counters_put(x.counts + w, w, v);
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
                          ngc_counters_block_bytes(c, block));
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
        /* How far the job is, for sizing the table (a retry counts again:
         * the guess only comes out lower). */
        if (batch == 1)
            p->bytes_seen += ngc_counters_task_bytes(c)[task];
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
            atomic_store_explicit(ngc_counters_commit(c, part, task), batch, memory_order_release);
            ngc_counters_fence();
            p->journal.active = 0;
        } else {
            ngc_counters_rollback(c, p); /* the table stays exact on failure */
        }
    }
    ngc_counters_unlock(c, p);
    return rc;
}

void ngc_counters_set_task_bytes(ngc_counters_t *c, uint32_t task, uint64_t bytes)
{
    ngc_assert(task < c->ntasks);
    uint64_t *b = &ngc_counters_task_bytes(c)[task];
    if (*b == 0 && bytes != 0)
        c->tasks_unsized--;
    else if (*b != 0 && bytes == 0)
        c->tasks_unsized++;
    c->input_bytes += bytes - *b;
    *b = bytes;
}

uint64_t ngc_counters_distinct(const ngc_counters_t *c)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < NGC_COUNTERS_PARTS; i++)
        n += c->part[i].count + c->part[i].final_distinct;
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
