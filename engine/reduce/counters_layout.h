/*
 * counters_layout.h: the reduce table's layout in the shared region, for
 * the three files that implement counters.h and for nothing else:
 * counters.c (the region, its allocator, merges and their crash journal),
 * counters_sort.c (the sort by output order, the sorted entries read back)
 * and counters_spill.c (partitions and batches written to runs); and for
 * their unit test.
 */
#ifndef NGC_ENGINE_REDUCE_COUNTERS_LAYOUT_H
#define NGC_ENGINE_REDUCE_COUNTERS_LAYOUT_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "engine/base/ngc.h"
#include "engine/ipc/shmtx.h"
#include "engine/reduce/counters.h"

/* A slot is fingerprint << 40 | entry offset; 0 is empty. */
#define NGC_REF_BITS 40
#define NGC_REF_MASK ((1ull << NGC_REF_BITS) - 1)
#define NGC_FP_SHIFT 34 /* hash bits 34..57: below the partition's */
#define NGC_FP_MASK 0xffffffull
#define NGC_INITIAL_SLOTS 256u
#define NGC_ARENA_BLOCK (256u << 10) /* at most; a small table takes smaller */
#define NGC_ARENA_FIRST (8u << 10)   /* a chain's first block; then doubling */
#define NGC_ARENA_HEAD 32u           /* next block, size, end of entries, pad */
#define NGC_PART_BITS 6
#define NGC_SIZE_CLASSES 64
#define NGC_PAGE 4096u
#define NGC_UNDO_NEW (1ull << 63)
#define NGC_UNDO_MOVED (1ull << 62)       /* the key moved to a wide entry */
#define NGC_RELEASE_MIN (256u << 10)      /* smallest dead array given back */
#define NGC_FREE_BLOCKS_MAX (32ull << 20) /* most kept as arena blocks, not given back */
#define NGC_PREFETCH 8                    /* keys ahead whose slot is fetched early */
#define NGC_REHASH_AHEAD 16               /* keys ahead whose new slot is fetched in a rehash */

_Static_assert((1u << NGC_PART_BITS) == NGC_COUNTERS_PARTS, "partition bits");
_Static_assert(NGC_FP_SHIFT + 24 <= 64 - NGC_PART_BITS, "fingerprint below the partition bits");
_Static_assert(NGC_MEMORY_MAX <= 1ull << NGC_REF_BITS,
               "--memory's maximum must be addressable by the slots' offsets");
_Static_assert((4ull * NGC_LINE_MAX) << 2 < 1u << 28,
               "key lengths (folding can triple a line) and 2 flags take at most 4 bytes");

/* Keeps the compiler from moving stores across it (see the file comment). */
#define ngc_counters_fence() atomic_signal_fence(memory_order_seq_cst)

typedef struct {
    uint64_t slot;  /* slot index, | NGC_UNDO_NEW when the batch filled it,
                       | NGC_UNDO_MOVED when it moved the key to a wide entry */
    uint64_t match; /* the slot's counts before the batch */
    uint64_t volume;
    uint64_t old; /* NGC_UNDO_MOVED: the slot's value before */
} ngc_undo_t;

_Static_assert(sizeof(ngc_undo_t) == 32, "journal records are a power of two");

typedef struct {
    uint32_t task;        /* task whose batch is being applied */
    uint32_t active;      /* 1 from the first change to the commit */
    uint32_t batch;       /* which of the task's batches */
    uint32_t saved_nruns; /* runs before the batch (one written to a run adds one) */
    uint64_t saved_count; /* partition state before the batch */
    uint64_t saved_arena;
    uint64_t saved_arena_end;
    uint64_t saved_arena_block;
    uint64_t n;       /* undo records written */
    uint64_t cap;     /* records the array holds */
    uint64_t entries; /* offset of the ngc_undo_t array */
} ngc_journal_t;

typedef struct {
    ngc_shmtx_t lock;
    uint64_t table;       /* offset of the slot array | log2 of its slots */
    uint64_t count;       /* used slots: entries in the arena */
    uint64_t arena;       /* offset of the next free entry byte */
    uint64_t arena_end;   /* end of the current arena block */
    uint64_t arena_block; /* the current block: its header is {next, size, end} */
    uint64_t arena_first; /* the first block: a spilled partition reuses them */
    uint32_t nruns;       /* spilled runs published (files pNN-s-0...) */
    uint32_t cleared;     /* runs whose entries are gone from the table */
    uint32_t nfinal;      /* a spilled partition's final runs, once sorted */
    uint32_t pad;
    uint64_t final_distinct; /* its distinct keys */
    uint64_t bytes_seen;     /* input of the tasks whose first batch came here */
    ngc_journal_t journal;
    uint64_t sorted;     /* entries in the sorted array */
    uint64_t sorted_off; /* offset of the sorted array of entry offsets (the slot
                            array, reused); 0 until sorted */
} __attribute__((aligned(64))) ngc_part_t;

struct ngc_counters_s {
    uint64_t size;          /* bytes of the whole table */
    ngc_shmtx_t alloc_lock; /* guards bump, free_tables and free_blocks */
    uint64_t bump;          /* next free offset in the pool */
    uint64_t high_water;
    uint64_t free_tables[NGC_SIZE_CLASSES]; /* offset of a freed array, 0 = none */
    uint64_t free_blocks;                   /* freed arrays cut into arena blocks: a list */
    uint64_t free_block_bytes;              /* what that list holds */
    uint32_t ntasks;
    uint32_t tasks_unsized;   /* tasks whose input bytes are not known */
    uint64_t task_bytes;      /* offset of uint64_t[ntasks]: each task's input bytes */
    uint64_t input_bytes;     /* their sum */
    ngc_count_t count;        /* the totals that may fail on overflow */
    uint32_t counts;          /* 2 with a volume column, 1 without */
    uint64_t arena_block;     /* bytes of a key block */
    uint64_t committed;       /* offset of _Atomic uint32_t[ntasks][parts]:
                                               the task's last batch in the partition */
    _Atomic uint64_t repairs; /* batches rolled back after a death */
    ngc_part_t part[NGC_COUNTERS_PARTS];
};

static inline char *ngc_counters_at(const ngc_counters_t *c, uint64_t off)
{
    return (char *)c + off;
}

static inline uint64_t *ngc_counters_task_bytes(const ngc_counters_t *c)
{
    return (uint64_t *)ngc_counters_at(c, c->task_bytes);
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

/* Slots a table can have and still find every key's home slot from the
 * fingerprint its slot keeps. */
#define NGC_HOME_FROM_FP (NGC_FP_MASK + 1)

/* A key's home slot: the fingerprint's low bits, then (in a table of more
 * than NGC_HOME_FROM_FP slots) the hash's lowest bits. So a table grows by
 * reading its own slots, not every key (see ngc_counters_reserve). */
static inline uint64_t ngc_counters_home(uint64_t hash, uint64_t mask)
{
    return (ngc_counters_fp(hash) | hash << 24) & mask;
}

/* Bytes of the arena block at off (its header's size), header included;
 * 0 for no block (off 0). */
static inline uint64_t ngc_counters_block_bytes(const ngc_counters_t *c, uint64_t off)
{
    return off ? ((const uint64_t *)ngc_counters_at(c, off))[1] : 0;
}

/* The largest table grown from its slots: NGC_HOME_FROM_FP; a unit test
 * lowers it to grow small tables by their keys too. */
extern uint64_t ngc_counters_rehash_slots_max;

/*
 * An entry, at any byte offset of an arena block: a header of 1 to 4 bytes
 * (7 bits each, low first) holding the key's length << 2 | dead << 1 |
 * wide, the key, then match and, in a table that keeps them, volume
 * (unaligned): 4 bytes each, or 8 in a wide entry. Most totals fit in 32
 * bits, and on a table of millions of keys every byte is pages to fault in;
 * a total that outgrows 4 bytes moves its key to a wide entry at the
 * arena's end, and the narrow one is marked dead for the walks to skip
 * (ngc_counters_apply).
 */
#define NGC_ENTRY_WIDE 1u
#define NGC_ENTRY_DEAD 2u
#define NGC_ENTRY_FLAGS 2 /* bits below the length */

typedef struct {
    const char *key;
    uint32_t len;
    uint32_t flags; /* NGC_ENTRY_WIDE, NGC_ENTRY_DEAD */
    char *counts;
} ngc_centry_t;

static inline ngc_centry_t ngc_counters_entry_at(const ngc_counters_t *c, uint64_t ref)
{
    const unsigned char *b = (const unsigned char *)ngc_counters_at(c, ref);
    uint32_t v = b[0] & 0x7fu;
    unsigned h = 1;
    while (b[h - 1] & 0x80u) {
        v |= (uint32_t)(b[h] & 0x7fu) << (7 * h);
        h++;
    }
    uint32_t len = v >> NGC_ENTRY_FLAGS;
    return (ngc_centry_t){(const char *)b + h, len, v & 3u, (char *)b + h + len};
}

/* Bytes of each count: 8 in a wide entry, else 4. */
static inline unsigned ngc_counters_width(uint32_t flags)
{
    return flags & NGC_ENTRY_WIDE ? 8u : 4u;
}

/* The count at p, of width w bytes. */
static inline uint64_t ngc_counters_get(const char *p, unsigned w)
{
    if (w == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline void ngc_counters_put(char *p, unsigned w, uint64_t v)
{
    if (w == 4) {
        uint32_t n = (uint32_t)v;
        memcpy(p, &n, 4);
    } else {
        memcpy(p, &v, 8);
    }
}

static inline uint64_t ngc_counters_match_of(const ngc_centry_t *e)
{
    return ngc_counters_get(e->counts, ngc_counters_width(e->flags));
}

static inline uint64_t ngc_counters_volume_of(const ngc_counters_t *c, const ngc_centry_t *e)
{
    unsigned w = ngc_counters_width(e->flags);
    return c->counts == 2 ? ngc_counters_get(e->counts + w, w) : 0;
}

/* Whether totals m and v need a wide entry. */
static inline bool ngc_counters_wide(uint64_t m, uint64_t v)
{
    return (m | v) > UINT32_MAX;
}

/* Bytes of an entry for a key of len bytes. */
static inline uint64_t ngc_counters_entry_bytes(const ngc_counters_t *c, uint32_t len, bool wide)
{
    uint32_t v = len << NGC_ENTRY_FLAGS;
    return (v < 1u << 7    ? 1u
            : v < 1u << 14 ? 2u
            : v < 1u << 21 ? 3u
                           : 4u) +
           len + (wide ? 8u : 4u) * c->counts;
}

/* The entry's total size, given its view. */
static inline uint64_t ngc_counters_entry_end(const ngc_counters_t *c, uint64_t ref,
                                              const ngc_centry_t *e)
{
    return ref + (uint64_t)(e->counts - ngc_counters_at(c, ref)) +
           ngc_counters_width(e->flags) * c->counts;
}

static inline _Atomic uint32_t *ngc_counters_commit(const ngc_counters_t *c, unsigned part,
                                                    uint32_t task)
{
    return (_Atomic uint32_t *)ngc_counters_at(c, c->committed) +
           (size_t)task * NGC_COUNTERS_PARTS + part;
}

/*
 * Runs the statements after `e` for every entry e (at offset ref) of the
 * partition, in the order they were added: the arena holds the live entries
 * and the dead ones that moved to a wide entry (a rollback or a clear moves
 * its end back). Lock held.
 */
#define NGC_COUNTERS_EACH(c, p, ref, e, ...)                                 \
    for (uint64_t blk_ = (p)->arena_first; blk_ != 0 && (p)->arena != 0;) {  \
        const uint64_t *hdr_ = (const uint64_t *)ngc_counters_at((c), blk_); \
        uint64_t end_ = blk_ == (p)->arena_block ? (p)->arena : hdr_[2];     \
        for (uint64_t ref = blk_ + NGC_ARENA_HEAD; ref < end_;) {            \
            ngc_centry_t e = ngc_counters_entry_at((c), ref);                \
            if (!(e.flags & NGC_ENTRY_DEAD)) {                               \
                __VA_ARGS__;                                                 \
            }                                                                \
            ref = ngc_counters_entry_end((c), ref, &e);                      \
        }                                                                    \
        blk_ = blk_ == (p)->arena_block ? 0 : hdr_[0];                       \
    }

/* What a sort moves: the sort count, the key's first 16 bytes (as two
 * prefixes: keys of 2-grams and up often share the first 8), the entry. */
typedef struct {
    uint64_t count;
    uint64_t prefix;
    uint64_t prefix2;
    uint64_t ref;
} ngc_crec_t;

/* Locks a partition, repairing it if the last holder died; and unlocks it. */
int ngc_counters_lock(ngc_counters_t *c, ngc_part_t *p);
void ngc_counters_unlock(ngc_counters_t *c, ngc_part_t *p);

/* Gives the pages of a dead array back to the system. */
void ngc_counters_release(ngc_counters_t *c, uint64_t off, uint64_t bytes);

/* A fresh arena block with room for an entry of `need` bytes, to follow a
 * block of `prev` bytes in its chain (0: the chain's first): its header
 * says it is the last of its chain and empty. 0 when the pool is full. */
uint64_t ngc_counters_new_block(ngc_counters_t *c, uint64_t need, uint64_t prev);

/* Frees a chain of arena blocks that no partition reaches any more, from
 * `first` to the block whose next is 0. Blocks of the usual size all wait
 * for new entries, whatever NGC_FREE_BLOCKS_MAX says: the sort phase frees
 * a partition's old chain as its sorted copy is made, and the next
 * partition's copy takes them; smaller ones (a chain's first) go on the
 * free lists of their size. Larger ones are given back. */
void ngc_counters_free_chain(ngc_counters_t *c, uint64_t first);

/* Empties a partition whose entries are safe in a published run. Lock held. */
void ngc_counters_clear(ngc_counters_t *c, ngc_part_t *p);

/* Opens p's undo journal for task's batch. Lock held. */
ngc_journal_t *ngc_counters_journal_open(ngc_part_t *p, uint32_t task, uint32_t batch);

/* The partition's entries of at least min_count in a private array sorted
 * in `order` (counters_sort.c); NULL when out of memory. Lock held. */
ngc_crec_t *ngc_counters_sorted_recs(const ngc_counters_t *c, const ngc_part_t *p,
                                     ngc_order_t order, uint64_t min_count, uint64_t *n);

#endif
