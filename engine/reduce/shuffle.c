/*
 * shuffle.c: a cluster job's map output, reduce and final input (see
 * shuffle.h). Everything here runs in one process: the map's counting is
 * the engine's own run, and a reduce is a k-way merge of sorted files.
 */
#include "engine/base/ngc.h"
#include "engine/reduce/shuffle.h"
#include "engine/base/failpoint.h"
#include "engine/base/log.h"
#include "engine/reduce/runs.h"
#include "engine/base/tmpname.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Keys compare by their bytes alone in partition and total files. */
static const ngc_order_t ngc_shuffle_key_order = {NGC_COUNT_MATCH, NGC_SORT_NGRAM};

unsigned ngc_shuffle_partition(const char *key, size_t len, unsigned nparts)
{
    return (unsigned)(ngc_counters_hash(key, len) % nparts);
}

/* Splits path into its directory and last name, trailing slashes ignored:
 * "a/b/" -> "a", "b"; "b" -> ".", "b". NGC_ERROR for "/" or a name too long. */
static int ngc_shuffle_split(const char *path, char parent[PATH_MAX], char base[256])
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t slash = n;
    while (slash > 0 && path[slash - 1] != '/')
        slash--;
    size_t blen = n - slash;
    if (blen == 0 || blen > 200 || n >= PATH_MAX)
        return NGC_ERROR;
    memcpy(base, path + slash, blen);
    base[blen] = '\0';
    if (slash == 0)
        memcpy(parent, ".", 2);
    else if (slash == 1)
        memcpy(parent, ".", 2);
    else {
        memcpy(parent, path, slash - 1);
        parent[slash - 1] = '\0';
    }
    return NGC_OK;
}

/* Syncs file `name` in directory dfd (and the directory when name is NULL). */
static int ngc_shuffle_sync(int dfd, const char *name)
{
    int fd = name != NULL ? openat(dfd, name, O_RDONLY | O_CLOEXEC) : dfd;
    if (fd < 0)
        return NGC_ERROR;
    int rc = fsync(fd) == 0 ? NGC_OK : NGC_ERROR;
    if (name != NULL)
        close(fd);
    return rc;
}

static int ngc_shuffle_sync_path(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return NGC_ERROR;
    int rc = ngc_shuffle_sync(fd, NULL);
    close(fd);
    return rc;
}

/* Whether `path` is there: 1 yes, 0 no, -1 on an error (said). */
static int ngc_shuffle_exists(const char *path, bool want_dir)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        ngc_log_user(errno, "cannot check '%s'", path);
        return -1;
    }
    if (S_ISDIR(st.st_mode) != want_dir) {
        ngc_log_user(0, "cannot write '%s': it exists and is not a %s", path,
                     want_dir ? "directory" : "file");
        return -1;
    }
    return 1;
}

/* Says that a step's output is already there (not a failure). */
static void ngc_shuffle_complete(const char *path)
{
    ngc_log_user(0, "'%s' is already complete: nothing to do", path);
    ngc_log_forget_user();
}

/* This attempt's temporary name for `base`: ".BASE.partial.PID.XXXXXX".
 * Its own, so a second copy of the task (a requeue while the first still
 * runs) never writes into it. */
static void ngc_shuffle_partial(char partial[256], const char *base)
{
    char suffix[7];
    ngc_tmpname_suffix(suffix, 6);
    snprintf(partial, 256, ".%s.partial.%ld.%s", base, (long)getpid(), suffix);
}

/* Once `base` is published, every attempt's leftovers beside it are
 * useless: removes them (a copy still running then fails to publish, which
 * changes nothing). */
static void ngc_shuffle_sweep(const char *parent, const char *base)
{
    char prefix[256];
    int n = snprintf(prefix, sizeof(prefix), ".%s.partial.", base);
    DIR *d = opendir(parent);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, prefix, (size_t)n) != 0)
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0 || errno != EISDIR)
            continue;
        ngc_spill_t *sp = ngc_spill_at(parent, de->d_name);
        ngc_spill_remove(sp);
        ngc_spill_free(sp);
    }
    closedir(d);
}

int ngc_shuffle_map_begin(const ngc_config_t *cfg, bool *done)
{
    char parent[PATH_MAX], base[256];
    *done = false;
    if (ngc_shuffle_split(cfg->partition_dir, parent, base) != NGC_OK) {
        ngc_log_user(0, "cannot write partitions to '%s': not a usable directory name",
                     cfg->partition_dir);
        return NGC_ERROR;
    }
    int there = ngc_shuffle_exists(cfg->partition_dir, true);
    if (there < 0)
        return NGC_ERROR;
    if (there > 0) {
        ngc_shuffle_complete(cfg->partition_dir);
        *done = true;
        return NGC_OK;
    }
    if (ngc_shuffle_exists(parent, true) <= 0) {
        ngc_log_user(ENOENT, "cannot write partitions to '%s'", cfg->partition_dir);
        return NGC_ERROR;
    }
    return NGC_OK;
}

/* The map's partition writers, written through and then published. */
static int ngc_shuffle_map_fill(const ngc_config_t *cfg, const ngc_counters_t *c, ngc_spill_t *sp,
                                ngc_spill_t *dst, ngc_run_writer_t **w, volatile sig_atomic_t *stop,
                                char *err, size_t cap)
{
    unsigned nparts = cfg->partitions;
    for (unsigned i = 0; i < nparts; i++) {
        char name[32];
        snprintf(name, sizeof(name), "part-%05u", i);
        if ((w[i] = ngc_run_writer_open(dst, name, err, cap)) == NULL)
            return NGC_ERROR;
    }
    ngc_runs_source_t *src = NULL, **heap = NULL;
    size_t nsrc = 0, n = 0;
    int rc = ngc_runs_sources_open(c, 0, NGC_COUNTERS_PARTS, sp, &src, &nsrc, err, cap);
    if (rc == NGC_OK)
        rc = ngc_runs_sources_bound(&src, &nsrc, sp, ngc_shuffle_key_order, 0, ngc_spill_fan_in(1),
                                    err, cap);
    if (rc == NGC_OK && (heap = malloc((nsrc ? nsrc : 1) * sizeof(*heap))) == NULL) {
        snprintf(err, cap, "out of memory");
        rc = NGC_ERROR;
    }
    if (rc == NGC_OK)
        rc = ngc_runs_heap(src, nsrc, ngc_shuffle_key_order, heap, &n, err, cap);
    for (uint64_t i = 0; rc == NGC_OK && n > 0; i++) {
        const ngc_entry_t *e = &heap[0]->e;
        ngc_run_writer_t *out = w[ngc_shuffle_partition(e->key, e->len, nparts)];
        if (ngc_run_writer_add(out, e->key, e->len, e->match, e->volume) != NGC_OK) {
            snprintf(err, cap, "%s", ngc_run_writer_error(out));
            rc = NGC_ERROR;
        } else if ((i & 0xffff) == 0xffff && *stop)
            rc = NGC_AGAIN;
        else
            rc = ngc_runs_heap_advance(heap, &n, ngc_shuffle_key_order, err, cap);
    }
    free(heap);
    ngc_runs_sources_free(src, nsrc);
    int dfd = rc == NGC_OK ? ngc_spill_fd(dst, err, cap) : -1;
    for (unsigned i = 0; rc == NGC_OK && i < nparts; i++) {
        uint64_t bytes;
        char name[32];
        snprintf(name, sizeof(name), "part-%05u", i);
        if (ngc_run_writer_close(w[i], &bytes) != NGC_OK) {
            snprintf(err, cap, "%s", ngc_run_writer_error(w[i]));
            rc = NGC_ERROR;
        } else if (ngc_shuffle_sync(dfd, name) != NGC_OK) {
            snprintf(err, cap, "cannot sync '%s/%s': %s", cfg->partition_dir, name,
                     strerror(errno));
            rc = NGC_ERROR;
        }
    }
    if (rc == NGC_OK && ngc_shuffle_sync(dfd, NULL) != NGC_OK) {
        snprintf(err, cap, "cannot sync '%s': %s", cfg->partition_dir, strerror(errno));
        rc = NGC_ERROR;
    }
    return rc;
}

int ngc_shuffle_map_write(const ngc_config_t *cfg, const ngc_counters_t *c, ngc_spill_t *sp,
                          volatile sig_atomic_t *stop)
{
    char parent[PATH_MAX], base[256], partial[256], err[1024] = "";
    /* map_begin checked the name. */
    ngc_shuffle_split(cfg->partition_dir, parent, base);
    ngc_shuffle_partial(partial, base);
    ngc_spill_t *dst = ngc_spill_at(parent, partial);
    ngc_run_writer_t **w = calloc(cfg->partitions, sizeof(*w));
    if (dst == NULL || w == NULL) {
        ngc_spill_free(dst);
        free(w);
        ngc_log_user(ENOMEM, "cannot write partitions to '%s'", cfg->partition_dir);
        return NGC_ERROR;
    }
    int rc = ngc_shuffle_map_fill(cfg, c, sp, dst, w, stop, err, sizeof(err));
    for (unsigned i = 0; i < cfg->partitions; i++)
        ngc_run_writer_free(w[i]);
    free(w);
    if (rc == NGC_OK && *stop)
        rc = NGC_AGAIN;
    if (rc == NGC_OK) {
        char from[PATH_MAX + 256];
        snprintf(from, sizeof(from), "%s/%s", parent, partial);
        /* The directory appears whole, with every file synced, or not at all. */
        if (rename(from, cfg->partition_dir) == 0)
            ngc_shuffle_sync_path(parent);
        else if ((errno == ENOTEMPTY || errno == EEXIST) &&
                 ngc_shuffle_exists(cfg->partition_dir, true) > 0)
            ngc_shuffle_complete(cfg->partition_dir); /* another copy was first */
        else {
            snprintf(err, sizeof(err), "cannot rename '%s' to '%s': %s", from, cfg->partition_dir,
                     strerror(errno));
            rc = NGC_ERROR;
        }
    }
    ngc_spill_remove(dst); /* when not renamed */
    ngc_spill_free(dst);
    if (rc == NGC_OK)
        ngc_shuffle_sweep(parent, base);
    if (rc == NGC_ERROR)
        ngc_log_user(0, "%s", err);
    return rc;
}

/* The names in dir that do not start with '.', of directories (want_dir)
 * or regular files, sorted; NULL-ended, in *names. NGC_OK or NGC_ERROR
 * after a message. */
static int ngc_shuffle_list(const char *dir, bool want_dir, char ***names, size_t *count)
{
    *names = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        ngc_log_user(errno, "cannot open '%s'", dir);
        return NGC_ERROR;
    }
    size_t cap = 0;
    struct dirent *de;
    int rc = NGC_OK;
    while (rc == NGC_OK && (de = readdir(d)) != NULL) {
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, 0) != 0) {
            ngc_log_user(errno, "cannot check '%s/%s'", dir, de->d_name);
            rc = NGC_ERROR;
            break;
        }
        if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
            continue;
        if (*count + 1 >= cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(*names, cap * sizeof(*nn));
            if (nn == NULL) {
                rc = NGC_ERROR;
                break;
            }
            *names = nn;
        }
        if (((*names)[*count] = strdup(de->d_name)) == NULL) {
            rc = NGC_ERROR;
            break;
        }
        (*count)++;
    }
    closedir(d);
    if (rc == NGC_OK && *count == 0) {
        ngc_log_user(0, "cannot merge '%s': it holds no %s", dir,
                     want_dir ? "map directories" : "total files");
        rc = NGC_ERROR;
    }
    if (rc != NGC_OK) {
        if (errno == ENOMEM)
            ngc_log_user(ENOMEM, "cannot list '%s'", dir);
        for (size_t i = 0; i < *count; i++)
            free((*names)[i]);
        free(*names);
        *names = NULL;
        *count = 0;
        return NGC_ERROR;
    }
    for (size_t i = 1; i < *count; i++)
        for (size_t j = i; j > 0 && strcmp((*names)[j - 1], (*names)[j]) > 0; j--) {
            char *t = (*names)[j];
            (*names)[j] = (*names)[j - 1];
            (*names)[j - 1] = t;
        }
    return NGC_OK;
}

static void ngc_shuffle_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* One map's partition file in a reduce's merge. */
typedef struct {
    ngc_spill_t *dir;
    ngc_run_reader_t *r;
    ngc_entry_t e;
} ngc_shuffle_in_t;

static void ngc_shuffle_sift(ngc_shuffle_in_t **h, size_t n, size_t i)
{
    for (;;) {
        size_t m = i, l = 2 * i + 1, r = l + 1;
        if (l < n && ngc_counters_compare(&h[l]->e, &h[m]->e, ngc_shuffle_key_order) < 0)
            m = l;
        if (r < n && ngc_counters_compare(&h[r]->e, &h[m]->e, ngc_shuffle_key_order) < 0)
            m = r;
        if (m == i)
            return;
        ngc_shuffle_in_t *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* The current total of a reduce: a copy of its key and its sums. */
typedef struct {
    char *key;
    size_t cap;
    uint32_t len;
    uint64_t match, volume;
    bool set;
} ngc_shuffle_total_t;

static int ngc_shuffle_emit(const ngc_config_t *cfg, ngc_run_writer_t *w,
                            const ngc_shuffle_total_t *t, char *err, size_t cap)
{
    uint64_t v = cfg->count == NGC_COUNT_VOLUME ? t->volume : t->match;
    if (!t->set || v < cfg->min_count)
        return NGC_OK;
    if (ngc_run_writer_add(w, t->key, t->len, t->match, t->volume) != NGC_OK) {
        snprintf(err, cap, "%s", ngc_run_writer_error(w));
        return NGC_ERROR;
    }
    return NGC_OK;
}

/* Merges the heap h[0..n) into w. NGC_OK, NGC_AGAIN or NGC_ERROR (err). */
static int ngc_shuffle_merge(const ngc_config_t *cfg, ngc_shuffle_in_t **h, size_t n,
                             ngc_run_writer_t *w, volatile sig_atomic_t *stop, char *err,
                             size_t cap)
{
    ngc_shuffle_total_t t = {0};
    uint64_t totals = 0;
    int rc = NGC_OK;
    while (rc == NGC_OK && n > 0) {
        const ngc_entry_t *e = &h[0]->e;
        if (t.set && t.len == e->len && memcmp(t.key, e->key, e->len) == 0) {
            if (!ngc_counters_add(cfg->count, &t.match, &t.volume, e->match, e->volume)) {
                snprintf(err, cap, "the total of '%.*s' passes 2^64-1",
                         (int)(e->len < 200 ? e->len : 200), e->key);
                rc = NGC_ERROR;
                break;
            }
        } else {
            if ((rc = ngc_shuffle_emit(cfg, w, &t, err, cap)) != NGC_OK)
                break;
            if (t.set && ++totals == 1000)
                ngc_failpoint_check(NGC_FP_REDUCE_CRASH_IN_MERGE, (uint32_t)cfg->partition, 1);
            if (e->len > t.cap) {
                char *k = realloc(t.key, e->len);
                if (k == NULL) {
                    snprintf(err, cap, "out of memory");
                    rc = NGC_ERROR;
                    break;
                }
                t.key = k;
                t.cap = e->len;
            }
            memcpy(t.key, e->key, e->len);
            t.len = e->len;
            t.match = e->match;
            t.volume = e->volume;
            t.set = true;
        }
        rc = ngc_run_reader_next(h[0]->r, &h[0]->e);
        if (rc == NGC_EOF) {
            h[0] = h[--n];
            rc = NGC_OK;
        } else if (rc != NGC_OK)
            snprintf(err, cap, "%s", ngc_run_reader_error(h[0]->r));
        if (n > 0)
            ngc_shuffle_sift(h, n, 0);
        if (rc == NGC_OK && (totals & 0xffff) == 0xffff && *stop)
            rc = NGC_AGAIN;
    }
    if (rc == NGC_OK && totals < 1000)
        ngc_failpoint_check(NGC_FP_REDUCE_CRASH_IN_MERGE, (uint32_t)cfg->partition, 1);
    if (rc == NGC_OK)
        rc = ngc_shuffle_emit(cfg, w, &t, err, cap);
    free(t.key);
    return rc;
}

/* Opens every map's file of the partition and merges them into w. */
static int ngc_shuffle_reduce_into(const ngc_config_t *cfg, ngc_run_writer_t *w,
                                   volatile sig_atomic_t *stop, char *err, size_t cap)
{
    char **maps;
    size_t nmaps;
    if (ngc_shuffle_list(cfg->merge_partitions, true, &maps, &nmaps) != NGC_OK)
        return NGC_EOF; /* said */
    ngc_shuffle_in_t *in = calloc(nmaps, sizeof(*in));
    ngc_shuffle_in_t **h = calloc(nmaps, sizeof(*h));
    size_t n = 0;
    int rc = in != NULL && h != NULL ? NGC_OK : NGC_ERROR;
    if (rc != NGC_OK)
        snprintf(err, cap, "out of memory");
    char name[32];
    snprintf(name, sizeof(name), "part-%05d", cfg->partition);
    for (size_t i = 0; rc == NGC_OK && i < nmaps; i++) {
        if ((in[i].dir = ngc_spill_at(cfg->merge_partitions, maps[i])) == NULL) {
            snprintf(err, cap, "out of memory");
            rc = NGC_ERROR;
        } else if ((in[i].r = ngc_run_reader_open(in[i].dir, name, err, cap)) == NULL)
            rc = NGC_ERROR;
        else if ((rc = ngc_run_reader_next(in[i].r, &in[i].e)) == NGC_OK)
            h[n++] = &in[i];
        else if (rc == NGC_EOF)
            rc = NGC_OK;
        else
            snprintf(err, cap, "%s", ngc_run_reader_error(in[i].r));
    }
    for (size_t i = n / 2; rc == NGC_OK && i-- > 0;)
        ngc_shuffle_sift(h, n, i);
    if (rc == NGC_OK)
        rc = ngc_shuffle_merge(cfg, h, n, w, stop, err, cap);
    for (size_t i = 0; in != NULL && i < nmaps; i++) {
        ngc_run_reader_free(in[i].r);
        ngc_spill_free(in[i].dir);
    }
    free(in);
    free(h);
    ngc_shuffle_free_names(maps, nmaps);
    return rc;
}

int ngc_shuffle_reduce(const ngc_config_t *cfg, volatile sig_atomic_t *stop)
{
    char parent[PATH_MAX], base[256], partial[256], err[1024] = "";
    if (ngc_shuffle_split(cfg->output, parent, base) != NGC_OK) {
        ngc_log_user(0, "cannot write '%s': not a usable file name", cfg->output);
        return NGC_EXIT_FAILURE;
    }
    int there = ngc_shuffle_exists(cfg->output, false);
    if (there != 0) {
        if (there > 0)
            ngc_shuffle_complete(cfg->output);
        return there > 0 ? NGC_EXIT_OK : NGC_EXIT_FAILURE;
    }
    ngc_shuffle_partial(partial, base);
    ngc_spill_t *dst = ngc_spill_at(parent, ".");
    if (dst == NULL) {
        ngc_log_user(ENOMEM, "cannot write '%s'", cfg->output);
        return NGC_EXIT_FAILURE;
    }
    ngc_spill_raise_fd_limit();
    int rc = NGC_ERROR;
    ngc_run_writer_t *w = ngc_run_writer_open(dst, partial, err, sizeof(err));
    if (w != NULL)
        rc = ngc_shuffle_reduce_into(cfg, w, stop, err, sizeof(err));
    uint64_t bytes;
    if (rc == NGC_OK && ngc_run_writer_close(w, &bytes) != NGC_OK) {
        snprintf(err, sizeof(err), "%s", ngc_run_writer_error(w));
        rc = NGC_ERROR;
    }
    int dfd = rc == NGC_OK ? ngc_spill_fd(dst, err, sizeof(err)) : -1;
    if (rc == NGC_OK && ngc_shuffle_sync(dfd, partial) != NGC_OK) {
        snprintf(err, sizeof(err), "cannot sync '%s/%s': %s", parent, partial, strerror(errno));
        rc = NGC_ERROR;
    }
    if (rc == NGC_OK && *stop)
        rc = NGC_AGAIN;
    /* The total appears whole, or not at all. */
    if (rc == NGC_OK && renameat(dfd, partial, dfd, base) != 0) {
        snprintf(err, sizeof(err), "cannot rename '%s/%s' to '%s': %s", parent, partial,
                 cfg->output, strerror(errno));
        rc = NGC_ERROR;
    }
    if (rc == NGC_OK)
        ngc_shuffle_sync(dfd, NULL);
    ngc_run_writer_free(w); /* removes the partial file unless it was closed */
    if (rc != NGC_OK && dfd >= 0)
        unlinkat(dfd, partial, 0);
    ngc_spill_free(dst);
    if (rc == NGC_OK)
        ngc_shuffle_sweep(parent, base);
    if (rc == NGC_ERROR && err[0])
        ngc_log_user(0, "%s", err);
    if (rc == NGC_AGAIN)
        return NGC_EXIT_SIGNAL(*stop);
    return rc == NGC_OK ? NGC_EXIT_OK : NGC_EXIT_FAILURE;
}

/* One partition's batch of the final step's load. */
typedef struct {
    ngc_kv_t *kv;
    size_t *off; /* each key's offset in keys (keys may move) */
    size_t n, kv_cap;
    char *keys;
    size_t len, cap;
    uint32_t batch;
} ngc_shuffle_batch_t;

#define NGC_SHUFFLE_BATCH_KEYS 4096
#define NGC_SHUFFLE_BATCH_BYTES (256u << 10)

/* Merges one partition's batch into the table, as a worker's map task does:
 * spilling the partition when the table is full, writing the batch alone
 * as a run when even that is not enough. */
static int ngc_shuffle_flush(ngc_counters_t *c, unsigned part, ngc_shuffle_batch_t *b,
                             ngc_spill_t *sp, char *err, size_t cap)
{
    if (b->n == 0)
        return NGC_OK;
    for (size_t i = 0; i < b->n; i++)
        b->kv[i].key = b->keys + b->off[i];
    b->batch++;
    const ngc_kv_t *bad = NULL;
    int rc = NGC_FULL;
    uint64_t bytes;
    for (int round = 0; rc == NGC_FULL && round < 2; round++) {
        rc = ngc_counters_merge(c, part, 0, b->batch, 1, b->kv, b->n, &bad);
        if (rc == NGC_FULL && round == 0 &&
            ngc_counters_spill(c, part, sp, &bytes, err, cap) != NGC_OK)
            return NGC_ERROR;
    }
    if (rc == NGC_FULL)
        rc = ngc_counters_spill_batch(c, part, 0, b->batch, 1, b->kv, b->n, sp, &bytes, err, cap);
    else if (rc != NGC_OK && bad != NULL)
        snprintf(err, cap, "the total of '%.*s' passes 2^64-1 (a key in two total files?)",
                 (int)(bad->len < 200 ? bad->len : 200), bad->key);
    else if (rc != NGC_OK)
        snprintf(err, cap, "cannot merge into the reduce table");
    b->n = 0;
    b->len = 0;
    return rc;
}

static int ngc_shuffle_add(ngc_counters_t *c, ngc_shuffle_batch_t *batches, const ngc_entry_t *e,
                           ngc_spill_t *sp, char *err, size_t cap)
{
    uint64_t h = ngc_counters_hash(e->key, e->len);
    unsigned part = ngc_counters_partition(h);
    ngc_shuffle_batch_t *b = &batches[part];
    if ((b->n == NGC_SHUFFLE_BATCH_KEYS || b->len + e->len > NGC_SHUFFLE_BATCH_BYTES) &&
        ngc_shuffle_flush(c, part, b, sp, err, cap) != NGC_OK)
        return NGC_ERROR;
    if (b->kv == NULL) {
        b->kv = malloc(NGC_SHUFFLE_BATCH_KEYS * sizeof(*b->kv));
        b->off = malloc(NGC_SHUFFLE_BATCH_KEYS * sizeof(*b->off));
        if (b->kv == NULL || b->off == NULL)
            goto oom;
    }
    if (b->len + e->len > b->cap) {
        size_t ncap = b->len + e->len > NGC_SHUFFLE_BATCH_BYTES ? b->len + e->len
                                                                : NGC_SHUFFLE_BATCH_BYTES;
        char *k = realloc(b->keys, ncap);
        if (k == NULL)
            goto oom;
        b->keys = k;
        b->cap = ncap;
    }
    memcpy(b->keys + b->len, e->key, e->len);
    b->off[b->n] = b->len;
    b->kv[b->n] = (ngc_kv_t){NULL, e->len, part, h, e->match, e->volume};
    b->n++;
    b->len += e->len;
    return NGC_OK;
oom:
    snprintf(err, cap, "out of memory");
    return NGC_ERROR;
}

/* Loads every total file into the table. */
static int ngc_shuffle_load_files(const ngc_config_t *cfg, ngc_counters_t *c, ngc_spill_t *sp,
                                  ngc_shuffle_batch_t *batches, volatile sig_atomic_t *stop,
                                  char *err, size_t cap)
{
    char **files;
    size_t nfiles;
    if (ngc_shuffle_list(cfg->merge_totals, false, &files, &nfiles) != NGC_OK)
        return NGC_EOF; /* said */
    ngc_spill_t *dir = ngc_spill_at(cfg->merge_totals, ".");
    int rc = dir != NULL ? NGC_OK : NGC_ERROR;
    if (dir == NULL)
        snprintf(err, cap, "out of memory");
    for (size_t i = 0; rc == NGC_OK && i < nfiles; i++) {
        ngc_run_reader_t *r = ngc_run_reader_open(dir, files[i], err, cap);
        if (r == NULL) {
            rc = NGC_ERROR;
            break;
        }
        ngc_entry_t e;
        uint64_t k = 0;
        while ((rc = ngc_run_reader_next(r, &e)) == NGC_OK) {
            if ((rc = ngc_shuffle_add(c, batches, &e, sp, err, cap)) != NGC_OK)
                break;
            if ((++k & 0xffff) == 0 && *stop) {
                rc = NGC_AGAIN;
                break;
            }
        }
        if (rc == NGC_EOF)
            rc = NGC_OK;
        else if (rc == NGC_ERROR && !err[0])
            snprintf(err, cap, "%s", ngc_run_reader_error(r));
        ngc_run_reader_free(r);
    }
    for (unsigned p = 0; rc == NGC_OK && p < NGC_COUNTERS_PARTS; p++)
        rc = ngc_shuffle_flush(c, p, &batches[p], sp, err, cap);
    ngc_spill_free(dir);
    ngc_shuffle_free_names(files, nfiles);
    return rc;
}

int ngc_shuffle_load(const ngc_config_t *cfg, ngc_counters_t *c, ngc_spill_t *sp,
                     volatile sig_atomic_t *stop)
{
    char err[1024] = "";
    ngc_shuffle_batch_t *batches = calloc(NGC_COUNTERS_PARTS, sizeof(*batches));
    if (batches == NULL) {
        ngc_log_user(ENOMEM, "cannot load '%s'", cfg->merge_totals);
        return NGC_ERROR;
    }
    int rc = ngc_shuffle_load_files(cfg, c, sp, batches, stop, err, sizeof(err));
    for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++) {
        free(batches[p].kv);
        free(batches[p].off);
        free(batches[p].keys);
    }
    free(batches);
    /* Each partition in output order, as the engine's sort phase does. */
    ngc_order_t order = ngc_counters_order_of(cfg);
    unsigned spilled = 0;
    for (unsigned p = 0; rc == NGC_OK && p < NGC_COUNTERS_PARTS; p++) {
        spilled += ngc_counters_runs(c, p) > 0;
        int s = ngc_counters_sort(c, p, order, cfg->min_count, 0, 1);
        if (s == NGC_ERROR) {
            snprintf(err, sizeof(err), "cannot sort partition %u", p);
            rc = NGC_ERROR;
        } else if (s == NGC_AGAIN) {
            uint64_t bytes;
            rc = ngc_counters_spill(c, p, sp, &bytes, err, sizeof(err));
            if (rc == NGC_OK)
                rc = ngc_runs_finish(c, p, sp, order, cfg->min_count, cfg->top,
                                     (size_t)(cfg->memory / NGC_COUNTERS_PARTS),
                                     ngc_spill_fan_in(1), 0, 1, &bytes, err, sizeof(err));
        }
    }
    if (rc == NGC_OK)
        ngc_log_info("totals loaded: %llu distinct, %u of %u partitions spilled",
                     (unsigned long long)ngc_counters_distinct(c), spilled, NGC_COUNTERS_PARTS);
    if (rc == NGC_EOF)
        return NGC_ERROR; /* said */
    if (rc == NGC_ERROR && err[0])
        ngc_log_user(0, "%s", err);
    return rc;
}
