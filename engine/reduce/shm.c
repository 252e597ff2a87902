/*
 * shm.c: sums the modules' sizes, maps once, runs their inits. Pages are
 * touched only when used (MAP_NORESERVE), so a large --memory costs nothing
 * until the table fills it.
 */
#include "engine/base/ngc.h"
#include "engine/reduce/shm.h"
#include "engine/base/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

struct ngc_shm_s {
    void *base;
    size_t size;
    ngc_stats_t *stats;
    ngc_counters_t *counters;
};

/* n rounded up to whole pages; false when that passes SIZE_MAX. */
static bool ngc_shm_align(size_t n, size_t *out)
{
    if (__builtin_add_overflow(n, (size_t)4095, out))
        return false;
    *out &= ~(size_t)4095;
    return true;
}

ngc_shm_t *ngc_shm_new(const ngc_config_t *cfg, uint32_t ntasks, bool *unmappable)
{
    if (unmappable != NULL)
        *unmappable = false;
    ngc_shm_t *shm = calloc(1, sizeof(*shm));
    if (shm == NULL) {
        ngc_log_error(errno, "calloc() failed");
        return NULL;
    }
    size_t stats_size, counters_size;
    if (cfg->memory > SIZE_MAX ||
        !ngc_shm_align(ngc_stats_shm_size(NGC_MAX_WORKERS), &stats_size) ||
        !ngc_shm_align(ngc_counters_shm_size(cfg->memory), &counters_size) ||
        __builtin_add_overflow(stats_size, counters_size, &shm->size)) {
        ngc_log_user(0, "--memory %llu is too large", (unsigned long long)cfg->memory);
        goto fail_unmappable;
    }
    shm->base = mmap(NULL, shm->size, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (shm->base == MAP_FAILED) {
        int err = errno;
        ngc_log_user(0,
                     "cannot map %llu bytes of shared memory (--memory): %s; give a "
                     "smaller --memory",
                     (unsigned long long)shm->size, strerror(err));
        goto fail_unmappable;
    }
    shm->stats = ngc_stats_shm_init(shm->base, NGC_MAX_WORKERS);
    shm->counters = ngc_counters_shm_init((char *)shm->base + stats_size, counters_size, ntasks,
                                          cfg->count, ngc_config_volumes(cfg));
    if (shm->counters == NULL)
        goto fail_map;
    return shm;

fail_map:
    munmap(shm->base, shm->size);
    free(shm);
    return NULL;

fail_unmappable:
    if (unmappable != NULL)
        *unmappable = true;
    free(shm);
    return NULL;
}

void ngc_shm_free(ngc_shm_t *shm)
{
    if (shm == NULL)
        return;
    munmap(shm->base, shm->size);
    free(shm);
}

ngc_stats_t *ngc_shm_stats(const ngc_shm_t *shm)
{
    return shm->stats;
}

ngc_counters_t *ngc_shm_counters(const ngc_shm_t *shm)
{
    return shm->counters;
}
