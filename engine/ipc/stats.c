/*
 * stats.c: size, init and read of the per-worker counter slots.
 */
#include "engine/base/ngc.h"
#include "engine/ipc/stats.h"

size_t ngc_stats_shm_size(unsigned nslots)
{
    return sizeof(ngc_stats_t) + 64 + (size_t)nslots * sizeof(ngc_stats_slot_t);
}

ngc_stats_t *ngc_stats_shm_init(void *at, unsigned nslots)
{
    ngc_stats_t *st = at;
    /* Relaxed atomics must not hide a lock, or a dead worker could hold it. */
    ngc_assert(ATOMIC_LLONG_LOCK_FREE == 2);
    st->nslots = nslots;
    for (unsigned i = 0; i < nslots; i++) {
#define NGC_STATS_INIT_FIELD(name, desc) atomic_init(&st->slot[i].name, 0);
        NGC_STATS_FIELDS(NGC_STATS_INIT_FIELD)
#undef NGC_STATS_INIT_FIELD
    }
    return st;
}

void ngc_stats_read(const ngc_stats_t *st, int slotno, ngc_stats_totals_t *out)
{
    memset(out, 0, sizeof(*out));
    unsigned first = slotno < 0 ? 0 : (unsigned)slotno;
    unsigned last = slotno < 0 ? st->nslots : (unsigned)slotno + 1;
    for (unsigned i = first; i < last; i++) {
#define NGC_STATS_SUM_FIELD(name, desc) \
    out->name += atomic_load_explicit(&st->slot[i].name, memory_order_relaxed);
        NGC_STATS_FIELDS(NGC_STATS_SUM_FIELD)
#undef NGC_STATS_SUM_FIELD
    }
}
