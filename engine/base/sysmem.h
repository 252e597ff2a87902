/*
 * sysmem.h: how much memory this process may use: physical RAM, or its
 * cgroup's limit (v2 memory.max, v1 memory.limit_in_bytes, the lowest on
 * the way to the root) when that is lower, so a job in a 4 GB container
 * spills instead of being killed.
 */
#ifndef NGC_ENGINE_BASE_SYSMEM_H
#define NGC_ENGINE_BASE_SYSMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t physical;     /* RAM; 0 if unknown */
    uint64_t cgroup;       /* the cgroup limit, 0 if none or unknown */
    uint64_t available;    /* the lower of the two that are known; 0 if neither */
    char cgroup_file[512]; /* the file the limit came from */
} ngc_sysmem_t;

/* Fills m. NGC_TEST_CGROUP_ROOT=DIR reads DIR instead of /sys/fs/cgroup
 * (DIR/<path>/memory.max, DIR/memory/<path>/memory.limit_in_bytes) and, if
 * present, DIR/self-cgroup instead of /proc/self/cgroup: for the tests. */
void ngc_sysmem_read(ngc_sysmem_t *m);

#endif
