/*
 * runs.c: buffered binary runs. A record is a 24-byte header (key length,
 * match, volume: host order, the file never leaves the machine) and the key.
 * The reader keeps whole records contiguous in its buffer, so an entry's key
 * points into it with no copy.
 */
#include "engine/ngc.h"
#include "engine/runs.h"
#include "engine/failpoint.h"
#include "engine/msg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NGC_RUN_BUF (64u << 10)
#define NGC_RUN_HEAD 24
#define NGC_RUN_MAGIC "NGCRUN1\n"
#define NGC_RUN_KEY_MAX (16u << 20)

struct ngc_run_writer_s {
    int fd;
    char *path;
    char *buf;
    size_t len;
    uint64_t bytes;
    bool closed;
    char error[512];
};

struct ngc_run_reader_s {
    int fd;
    char *path;
    char *buf;
    size_t cap, start, end;
    bool eof, started;
    char error[512];
};

void ngc_run_path(char *buf, size_t cap, const char *dir, unsigned part, ngc_run_kind_t kind,
                  uint32_t idx)
{
    snprintf(buf, cap, "%s/p%02u-%c-%u", dir, part, (char)kind, idx);
}

static int ngc_run_write_all(ngc_run_writer_t *w, const char *p, size_t n)
{
    if (ngc_failpoint_armed(NGC_FP_SPILL_ENOSPC, 0, 1)) {
        errno = ENOSPC;
        goto fail;
    }
    while (n > 0) {
        ssize_t r = write(w->fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto fail;
        p += r;
        n -= (size_t)r;
        w->bytes += (uint64_t)r;
    }
    return NGC_OK;
fail:
    snprintf(w->error, sizeof(w->error), "cannot write spill run '%s': %s", w->path,
             strerror(errno));
    return NGC_ERROR;
}

ngc_run_writer_t *ngc_run_writer_open(const char *path, char *err, size_t cap)
{
    ngc_run_writer_t *w = calloc(1, sizeof(*w));
    if (w == NULL || (w->path = strdup(path)) == NULL || (w->buf = malloc(NGC_RUN_BUF)) == NULL) {
        snprintf(err, cap, "out of memory for spill run '%s'", path);
        goto fail;
    }
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (w->fd < 0) {
        snprintf(err, cap, "cannot create spill run '%s': %s", path, strerror(errno));
        goto fail;
    }
    memcpy(w->buf, NGC_RUN_MAGIC, 8);
    w->len = 8;
    return w;
fail:
    if (w != NULL) {
        free(w->path);
        free(w->buf);
        free(w);
    }
    return NULL;
}

int ngc_run_writer_add(ngc_run_writer_t *w, const char *key, uint32_t len, uint64_t match,
                       uint64_t volume)
{
    if (NGC_RUN_BUF - w->len < NGC_RUN_HEAD + (size_t)len) {
        if (ngc_run_write_all(w, w->buf, w->len) != NGC_OK)
            return NGC_ERROR;
        w->len = 0;
    }
    if (NGC_RUN_BUF < NGC_RUN_HEAD + (size_t)len) {
        /* A key longer than the buffer goes straight out. */
        char head[NGC_RUN_HEAD];
        uint64_t l = len;
        memcpy(head, &l, 8);
        memcpy(head + 8, &match, 8);
        memcpy(head + 16, &volume, 8);
        return ngc_run_write_all(w, head, NGC_RUN_HEAD) == NGC_OK
                   ? ngc_run_write_all(w, key, len)
                   : NGC_ERROR;
    }
    char *p = w->buf + w->len;
    uint64_t l = len;
    memcpy(p, &l, 8);
    memcpy(p + 8, &match, 8);
    memcpy(p + 16, &volume, 8);
    memcpy(p + NGC_RUN_HEAD, key, len);
    w->len += NGC_RUN_HEAD + (size_t)len;
    return NGC_OK;
}

int ngc_run_writer_close(ngc_run_writer_t *w, uint64_t *bytes)
{
    if (w->len > 0 && ngc_run_write_all(w, w->buf, w->len) != NGC_OK)
        return NGC_ERROR;
    w->len = 0;
    int rc = close(w->fd);
    w->fd = -1;
    if (rc != 0) {
        snprintf(w->error, sizeof(w->error), "cannot write spill run '%s': %s", w->path,
                 strerror(errno));
        return NGC_ERROR;
    }
    w->closed = true;
    *bytes = w->bytes;
    return NGC_OK;
}

const char *ngc_run_writer_error(const ngc_run_writer_t *w)
{
    return w->error;
}

void ngc_run_writer_free(ngc_run_writer_t *w)
{
    if (w == NULL)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (!w->closed)
        unlink(w->path);
    free(w->path);
    free(w->buf);
    free(w);
}

ngc_run_reader_t *ngc_run_reader_open(const char *path, char *err, size_t cap)
{
    ngc_run_reader_t *r = calloc(1, sizeof(*r));
    if (r == NULL || (r->path = strdup(path)) == NULL ||
        (r->buf = malloc(NGC_RUN_BUF)) == NULL) {
        snprintf(err, cap, "out of memory for spill run '%s'", path);
        goto fail;
    }
    r->cap = NGC_RUN_BUF;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        snprintf(err, cap, "cannot open spill run '%s': %s", path, strerror(errno));
        goto fail;
    }
    return r;
fail:
    if (r != NULL) {
        free(r->path);
        free(r->buf);
        free(r);
    }
    return NULL;
}

/* Makes at least `need` bytes available from r->start; false at EOF or on
 * an error (r->error set). */
static bool ngc_run_fill(ngc_run_reader_t *r, size_t need)
{
    while (r->end - r->start < need) {
        if (r->eof)
            return false;
        if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->start = 0;
        }
        if (need > r->cap) {
            char *nb = realloc(r->buf, need);
            if (nb == NULL) {
                snprintf(r->error, sizeof(r->error), "out of memory reading '%s'", r->path);
                return false;
            }
            r->buf = nb;
            r->cap = need;
        }
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(r->error, sizeof(r->error), "cannot read spill run '%s': %s", r->path,
                     strerror(errno));
            return false;
        }
        if (n == 0)
            r->eof = true;
        r->end += (size_t)n;
    }
    return true;
}

int ngc_run_reader_next(ngc_run_reader_t *r, ngc_entry_t *e)
{
    if (r->error[0])
        return NGC_ERROR;
    if (!r->started) {
        if (!ngc_run_fill(r, 8) || memcmp(r->buf, NGC_RUN_MAGIC, 8) != 0)
            goto damaged;
        r->start = 8;
        r->started = true;
    }
    if (!ngc_run_fill(r, NGC_RUN_HEAD)) {
        if (r->error[0])
            return NGC_ERROR;
        if (r->end == r->start)
            return NGC_EOF;
        goto damaged;
    }
    uint64_t len;
    memcpy(&len, r->buf + r->start, 8);
    if (len > NGC_RUN_KEY_MAX || !ngc_run_fill(r, NGC_RUN_HEAD + (size_t)len))
        goto damaged;
    const char *p = r->buf + r->start;
    memcpy(&e->match, p + 8, 8);
    memcpy(&e->volume, p + 16, 8);
    e->key = p + NGC_RUN_HEAD;
    e->len = (uint32_t)len;
    e->prefix = ngc_counters_key_prefix(e->key, e->len);
    r->start += NGC_RUN_HEAD + (size_t)len;
    return NGC_OK;
damaged:
    if (!r->error[0])
        snprintf(r->error, sizeof(r->error), "spill run '%s' is damaged", r->path);
    return NGC_ERROR;
}

const char *ngc_run_reader_error(const ngc_run_reader_t *r)
{
    return r->error;
}

void ngc_run_reader_free(ngc_run_reader_t *r)
{
    if (r == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->path);
    free(r->buf);
    free(r);
}

void ngc_runs_remove_dir(const char *dir)
{
    if (dir == NULL)
        return;
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
    }
    rmdir(dir);
}

/* --- reading finished partitions and runs, in order -------------------- */

int ngc_source_next(ngc_source_t *s)
{
    if (s->r != NULL)
        return ngc_run_reader_next(s->r, &s->e);
    if (s->idx >= s->n)
        return NGC_EOF;
    ngc_counters_entry(s->c, s->part, s->idx++, &s->e);
    return NGC_OK;
}

const char *ngc_source_error(const ngc_source_t *s)
{
    return s->r != NULL ? ngc_run_reader_error(s->r) : "";
}

/* Opens run `idx` of `kind` of partition `part` as source *s. */
static int ngc_source_open_run(ngc_source_t *s, const ngc_counters_t *c, const char *dir,
                               unsigned part, ngc_run_kind_t kind, uint32_t idx, char *err,
                               size_t cap)
{
    char path[NGC_MSG_PATH_MAX];
    ngc_run_path(path, sizeof(path), dir, part, kind, idx);
    *s = (ngc_source_t){.c = c, .part = part};
    s->r = ngc_run_reader_open(path, err, cap);
    return s->r != NULL ? NGC_OK : NGC_ERROR;
}

int ngc_sources_open(const ngc_counters_t *c, unsigned first, unsigned nparts, const char *dir,
                     ngc_source_t **out, size_t *count, char *err, size_t cap)
{
    size_t n = 0, want = 0;
    for (unsigned p = first; p < first + nparts; p++)
        want += 1 + ngc_counters_finals(c, p);
    ngc_source_t *s = calloc(want ? want : 1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, cap, "out of memory");
        return NGC_ERROR;
    }
    int rc = NGC_OK;
    for (unsigned p = first; p < first + nparts && rc == NGC_OK; p++) {
        size_t cnt = ngc_counters_sorted(c, p);
        if (cnt > 0)
            s[n++] = (ngc_source_t){.c = c, .part = p, .n = cnt};
        for (uint32_t f = 0; f < ngc_counters_finals(c, p) && rc == NGC_OK; f++)
            if ((rc = ngc_source_open_run(&s[n], c, dir, p, NGC_RUN_FINAL, f, err, cap)) == NGC_OK)
                n++;
    }
    *out = s;
    *count = n;
    if (rc != NGC_OK) {
        ngc_sources_free(s, n);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

void ngc_sources_free(ngc_source_t *s, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++)
        ngc_run_reader_free(s[i].r);
    free(s);
}

/* Moves heap[i] down the min-heap heap[0..n) to its place. */
static void ngc_sources_sift(ngc_source_t **h, size_t n, size_t i, ngc_order_t order)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && ngc_counters_compare(&h[l]->e, &h[m]->e, order) < 0)
            m = l;
        if (l + 1 < n && ngc_counters_compare(&h[l + 1]->e, &h[m]->e, order) < 0)
            m = l + 1;
        if (m == i)
            return;
        ngc_source_t *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

int ngc_sources_heap(ngc_source_t *src, size_t nsrc, ngc_order_t order, ngc_source_t **heap,
                     size_t *n, char *err, size_t cap)
{
    *n = 0;
    for (size_t i = 0; i < nsrc; i++) {
        int rc = ngc_source_next(&src[i]);
        if (rc == NGC_ERROR) {
            snprintf(err, cap, "%s", ngc_source_error(&src[i]));
            return NGC_ERROR;
        }
        if (rc == NGC_OK)
            heap[(*n)++] = &src[i];
    }
    for (size_t i = *n / 2; i-- > 0;)
        ngc_sources_sift(heap, *n, i, order);
    return NGC_OK;
}

int ngc_sources_advance(ngc_source_t **heap, size_t *n, ngc_order_t order, char *err,
                        size_t cap)
{
    int rc = ngc_source_next(heap[0]);
    if (rc == NGC_ERROR) {
        snprintf(err, cap, "%s", ngc_source_error(heap[0]));
        return NGC_ERROR;
    }
    if (rc == NGC_EOF)
        heap[0] = heap[--*n];
    ngc_sources_sift(heap, *n, 0, order);
    return NGC_OK;
}

/* --- finishing a spilled partition ------------------------------------ */

/* The entries of a count-ordered final run being gathered in memory. */
typedef struct {
    ngc_entry_t *e;
    size_t n, cap;
    char *keys;
    size_t used, keys_cap;
} ngc_runs_batch_t;

static int ngc_runs_batch_cmp(const void *x, const void *y, void *arg)
{
    return ngc_counters_compare(x, y, *(const ngc_order_t *)arg);
}

/* The final runs of the partition being finished, written one at a time. */
typedef struct {
    const char *dir;
    unsigned part;
    ngc_order_t order;
    uint64_t top;
    uint32_t nfinal;        /* runs written whole */
    uint64_t bytes;
    ngc_run_writer_t *w;    /* the run being written */
    char *err;
    size_t cap;
} ngc_runs_out_t;

static int ngc_runs_final_begin(ngc_runs_out_t *o)
{
    char path[NGC_MSG_PATH_MAX];
    ngc_run_path(path, sizeof(path), o->dir, o->part, NGC_RUN_FINAL, o->nfinal);
    o->w = ngc_run_writer_open(path, o->err, o->cap);
    return o->w != NULL ? NGC_OK : NGC_ERROR;
}

static int ngc_runs_final_add(ngc_runs_out_t *o, const ngc_entry_t *e)
{
    if (ngc_run_writer_add(o->w, e->key, e->len, e->match, e->volume) == NGC_OK)
        return NGC_OK;
    snprintf(o->err, o->cap, "%s", ngc_run_writer_error(o->w));
    return NGC_ERROR;
}

static int ngc_runs_final_end(ngc_runs_out_t *o)
{
    uint64_t bytes = 0;
    int rc = ngc_run_writer_close(o->w, &bytes);
    if (rc != NGC_OK)
        snprintf(o->err, o->cap, "%s", ngc_run_writer_error(o->w));
    ngc_run_writer_free(o->w);
    o->w = NULL;
    o->bytes += bytes;
    o->nfinal += rc == NGC_OK;
    return rc;
}

/* Sorts the gathered entries into output order and writes them (at most
 * `top`: no later entry of this run could be printed) as the next run. */
static int ngc_runs_flush_batch(ngc_runs_out_t *o, ngc_runs_batch_t *b)
{
    if (b->n == 0)
        return NGC_OK;
    for (size_t i = 0; i < b->n; i++) /* offsets become pointers now keys stay put */
        b->e[i].key = b->keys + (uintptr_t)b->e[i].key;
    qsort_r(b->e, b->n, sizeof(*b->e), ngc_runs_batch_cmp, &o->order);
    size_t n = o->top != 0 && b->n > o->top ? (size_t)o->top : b->n;
    int rc = ngc_runs_final_begin(o);
    for (size_t i = 0; i < n && rc == NGC_OK; i++)
        rc = ngc_runs_final_add(o, &b->e[i]);
    if (rc == NGC_OK)
        rc = ngc_runs_final_end(o);
    b->n = b->used = 0;
    return rc;
}

static int ngc_runs_batch_add(ngc_runs_out_t *o, ngc_runs_batch_t *b, const ngc_entry_t *e,
                              size_t budget)
{
    if (b->n > 0 && (b->n + 1) * sizeof(*b->e) + b->used + e->len > budget &&
        ngc_runs_flush_batch(o, b) != NGC_OK)
        return NGC_ERROR;
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 4096;
        ngc_entry_t *ne = realloc(b->e, ncap * sizeof(*ne));
        if (ne == NULL)
            goto oom;
        b->e = ne;
        b->cap = ncap;
    }
    if (b->keys_cap - b->used < e->len) {
        size_t ncap = b->keys_cap ? b->keys_cap * 2 : (1u << 20);
        while (ncap - b->used < e->len)
            ncap *= 2;
        char *nk = realloc(b->keys, ncap);
        if (nk == NULL)
            goto oom;
        b->keys = nk;
        b->keys_cap = ncap;
    }
    memcpy(b->keys + b->used, e->key, e->len);
    b->e[b->n] = *e;
    b->e[b->n++].key = (const char *)(uintptr_t)b->used;
    b->used += e->len;
    return NGC_OK;
oom:
    snprintf(o->err, o->cap, "out of memory finishing partition %u", o->part);
    return NGC_ERROR;
}

int ngc_runs_finish(ngc_counters_t *c, unsigned part, const char *dir, ngc_order_t order,
                    uint64_t min_count, uint64_t top, size_t budget, uint64_t *bytes,
                    char *err, size_t cap)
{
    const ngc_order_t by_key = {NGC_COUNT_MATCH, NGC_SORT_NGRAM};
    uint32_t nr = ngc_counters_runs(c, part);
    ngc_runs_out_t o = {.dir = dir, .part = part, .order = order, .top = top, .err = err,
                        .cap = cap};
    ngc_runs_batch_t batch = {0};
    ngc_source_t *src = calloc(nr ? nr : 1, sizeof(*src));
    ngc_source_t **heap = calloc(nr ? nr : 1, sizeof(*heap));
    char *key = NULL;
    size_t key_cap = 0, n = 0, opened = 0;
    uint64_t distinct = 0;
    int rc = src != NULL && heap != NULL ? NGC_OK : NGC_ERROR;
    if (rc != NGC_OK)
        snprintf(err, cap, "out of memory finishing partition %u", part);
    for (; opened < nr && rc == NGC_OK; opened++)
        rc = ngc_source_open_run(&src[opened], c, dir, part, NGC_RUN_SPILL, (uint32_t)opened,
                                 err, cap);
    if (rc == NGC_OK)
        rc = ngc_sources_heap(src, opened, by_key, heap, &n, err, cap);
    /* Key order is the runs' own order: it streams straight to one run. */
    if (rc == NGC_OK && order.sort == NGC_SORT_NGRAM)
        rc = ngc_runs_final_begin(&o);
    while (rc == NGC_OK && n > 0) {
        /* The smallest key, summed over every run that holds it. */
        const ngc_entry_t *e = &heap[0]->e;
        if (key_cap < e->len) {
            key_cap = e->len * 2 + 64;
            char *nk = realloc(key, key_cap);
            if (nk == NULL) {
                snprintf(err, cap, "out of memory finishing partition %u", part);
                rc = NGC_ERROR;
                break;
            }
            key = nk;
        }
        memcpy(key, e->key, e->len);
        ngc_entry_t sum = {key, e->len, 0, 0, e->prefix};
        while (rc == NGC_OK && n > 0 && ngc_counters_compare(&heap[0]->e, &sum, by_key) == 0) {
            if (!ngc_counters_add(order.count, &sum.match, &sum.volume, heap[0]->e.match,
                                  heap[0]->e.volume)) {
                snprintf(err, cap, "the total of '%.*s' passes 2^64-1",
                         (int)(sum.len < 200 ? sum.len : 200), key);
                rc = NGC_ERROR;
                break;
            }
            rc = ngc_sources_advance(heap, &n, by_key, err, cap);
        }
        if (rc != NGC_OK)
            break;
        distinct++;
        if ((order.count == NGC_COUNT_VOLUME ? sum.volume : sum.match) < min_count)
            continue;
        rc = o.w != NULL ? ngc_runs_final_add(&o, &sum)
                         : ngc_runs_batch_add(&o, &batch, &sum, budget);
    }
    if (rc == NGC_OK)
        rc = o.w != NULL ? ngc_runs_final_end(&o) : ngc_runs_flush_batch(&o, &batch);
    if (rc == NGC_OK)
        ngc_counters_publish_final(c, part, o.nfinal, distinct);
    *bytes = o.bytes;
    ngc_run_writer_free(o.w);
    ngc_sources_free(src, opened);
    free(heap);
    free(key);
    free(batch.e);
    free(batch.keys);
    return rc;
}
