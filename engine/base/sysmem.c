/*
 * sysmem.c: the memory limit of this process's cgroup, read from the files
 * /proc/self/cgroup names. A cgroup namespace or a v1 container mount shows
 * the group at the mount's root, so a path that is not under the mount is
 * looked up from the root instead.
 */
#include "engine/base/ngc.h"
#include "engine/base/sysmem.h"

#include <stdlib.h>
#include <unistd.h>

/* The number in file path ("max" is no limit): true if it holds one. */
static bool ngc_sysmem_file(const char *path, uint64_t *out)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return false;
    char buf[64];
    bool ok = fgets(buf, sizeof(buf), f) != NULL;
    fclose(f);
    if (!ok || strncmp(buf, "max", 3) == 0)
        return false;
    char *end;
    unsigned long long v = strtoull(buf, &end, 10);
    if (end == buf)
        return false;
    *out = v;
    return true;
}

/* The lowest limit in file `name` from dir/rel up to dir; 0 if none. */
static uint64_t ngc_sysmem_walk(const char *dir, const char *rel, const char *name, char *from,
                                size_t cap)
{
    char path[1024], p[512];
    snprintf(p, sizeof(p), "%s", rel);
    snprintf(path, sizeof(path), "%s%s", dir, p);
    if (access(path, F_OK) != 0)
        p[0] = '\0'; /* namespaced: the mount's root is our group */
    uint64_t low = 0;
    for (;;) {
        uint64_t v;
        snprintf(path, sizeof(path), "%s%s/%s", dir, p, name);
        if (ngc_sysmem_file(path, &v) && v > 0 && (low == 0 || v < low)) {
            low = v;
            snprintf(from, cap, "%s", path);
        }
        char *slash = strrchr(p, '/');
        if (slash == NULL)
            break;
        *slash = '\0';
    }
    return low;
}

void ngc_sysmem_read(ngc_sysmem_t *m)
{
    memset(m, 0, sizeof(*m));
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    if (pages > 0 && psize > 0)
        m->physical = (uint64_t)pages * (uint64_t)psize;

    const char *root = getenv("NGC_TEST_CGROUP_ROOT");
    char self[600] = "/proc/self/cgroup";
    if (root != NULL && *root != '\0') {
        snprintf(self, sizeof(self), "%s/self-cgroup", root);
        if (access(self, R_OK) != 0)
            snprintf(self, sizeof(self), "/proc/self/cgroup");
    } else
        root = "/sys/fs/cgroup";
    FILE *f = fopen(self, "re");
    char line[1024];
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        /* "0::/path" (v2) or "4:memory:/path" (v1) */
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        const char *ctrl = c1 + 1, *rel = c2 + 1;
        if (strcmp(rel, "/") == 0)
            rel = "";
        char dir[700], from[512];
        uint64_t v = 0;
        if (*ctrl == '\0') {
            snprintf(dir, sizeof(dir), "%s", root);
            v = ngc_sysmem_walk(dir, rel, "memory.max", from, sizeof(from));
            if (v == 0) {
                /* hybrid hierarchy: v2 beside the v1 controllers */
                snprintf(dir, sizeof(dir), "%s/unified", root);
                v = ngc_sysmem_walk(dir, rel, "memory.max", from, sizeof(from));
            }
        } else if (strstr(ctrl, "memory") != NULL) {
            snprintf(dir, sizeof(dir), "%s/memory", root);
            v = ngc_sysmem_walk(dir, rel, "memory.limit_in_bytes", from, sizeof(from));
        }
        if (v != 0 && (m->cgroup == 0 || v < m->cgroup)) {
            m->cgroup = v;
            snprintf(m->cgroup_file, sizeof(m->cgroup_file), "%s", from);
        }
    }
    if (f != NULL)
        fclose(f);
    m->available = m->physical;
    if (m->cgroup != 0 && (m->available == 0 || m->cgroup < m->available))
        m->available = m->cgroup;
}
