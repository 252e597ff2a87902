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

/* --- finishing a spilled partition ------------------------------------ */

typedef struct {
    ngc_run_reader_t *r;
    ngc_entry_t e;
} ngc_run_cursor_t;

static int ngc_runs_key_cmp(const ngc_entry_t *a, const ngc_entry_t *b)
{
    return ngc_counters_compare(a, b, (ngc_order_t){NGC_COUNT_MATCH, NGC_SORT_NGRAM});
}

static void ngc_runs_sift(ngc_run_cursor_t **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && ngc_runs_key_cmp(&h[l]->e, &h[m]->e) < 0)
            m = l;
        if (l + 1 < n && ngc_runs_key_cmp(&h[l + 1]->e, &h[m]->e) < 0)
            m = l + 1;
        if (m == i)
            return;
        ngc_run_cursor_t *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

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

typedef struct {
    const char *dir;
    unsigned part;
    ngc_order_t order;
    uint64_t top;
    uint32_t nfinal;
    uint64_t bytes;
    char *err;
    size_t cap;
} ngc_runs_out_t;

/* Writes entries e[0..n) (at most `top` of them) as the next final run. */
static int ngc_runs_write_final(ngc_runs_out_t *o, const ngc_entry_t *e, size_t n)
{
    char path[NGC_MSG_PATH_MAX];
    ngc_run_path(path, sizeof(path), o->dir, o->part, NGC_RUN_FINAL, o->nfinal);
    ngc_run_writer_t *w = ngc_run_writer_open(path, o->err, o->cap);
    if (w == NULL)
        return NGC_ERROR;
    if (o->top != 0 && n > o->top)
        n = (size_t)o->top; /* --top: no later entry of this run can be printed */
    int rc = NGC_OK;
    for (size_t i = 0; i < n && rc == NGC_OK; i++)
        rc = ngc_run_writer_add(w, e[i].key, e[i].len, e[i].match, e[i].volume);
    uint64_t bytes = 0;
    if (rc == NGC_OK)
        rc = ngc_run_writer_close(w, &bytes);
    if (rc != NGC_OK)
        snprintf(o->err, o->cap, "%s", ngc_run_writer_error(w));
    ngc_run_writer_free(w);
    o->bytes += bytes;
    o->nfinal += rc == NGC_OK;
    return rc;
}

static int ngc_runs_flush_batch(ngc_runs_out_t *o, ngc_runs_batch_t *b)
{
    if (b->n == 0)
        return NGC_OK;
    for (size_t i = 0; i < b->n; i++) /* offsets become pointers now keys stay put */
        b->e[i].key = b->keys + (uintptr_t)b->e[i].key;
    qsort_r(b->e, b->n, sizeof(*b->e), ngc_runs_batch_cmp, &o->order);
    int rc = ngc_runs_write_final(o, b->e, b->n);
    b->n = b->used = 0;
    return rc;
}

static int ngc_runs_batch_add(ngc_runs_out_t *o, ngc_runs_batch_t *b, const char *key,
                              uint32_t len, uint64_t match, uint64_t volume, size_t budget)
{
    if (b->n > 0 && (b->n + 1) * sizeof(*b->e) + b->used + len > budget &&
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
    if (b->keys_cap - b->used < len) {
        size_t ncap = b->keys_cap ? b->keys_cap * 2 : (1u << 20);
        while (ncap - b->used < len)
            ncap *= 2;
        char *nk = realloc(b->keys, ncap);
        if (nk == NULL)
            goto oom;
        b->keys = nk;
        b->keys_cap = ncap;
    }
    memcpy(b->keys + b->used, key, len);
    b->e[b->n++] = (ngc_entry_t){(const char *)(uintptr_t)b->used, len, match, volume,
                                 ngc_counters_key_prefix(key, len)};
    b->used += len;
    return NGC_OK;
oom:
    snprintf(o->err, o->cap, "out of memory finishing partition %u", o->part);
    return NGC_ERROR;
}

int ngc_runs_finish(ngc_counters_t *c, unsigned part, const char *dir, ngc_order_t order,
                    uint64_t min_count, uint64_t top, size_t budget, uint64_t *bytes,
                    char *err, size_t cap)
{
    uint32_t nr = ngc_counters_runs(c, part);
    ngc_runs_out_t o = {dir, part, order, top, 0, 0, err, cap};
    ngc_runs_batch_t batch = {0};
    ngc_run_cursor_t *cur = calloc(nr ? nr : 1, sizeof(*cur));
    ngc_run_cursor_t **heap = calloc(nr ? nr : 1, sizeof(*heap));
    char *key = NULL;
    size_t key_cap = 0;
    ngc_run_writer_t *w = NULL;
    int rc = NGC_OK;
    size_t n = 0;
    uint64_t distinct = 0;
    if (cur == NULL || heap == NULL) {
        snprintf(err, cap, "out of memory finishing partition %u", part);
        rc = NGC_ERROR;
        goto out;
    }
    for (uint32_t i = 0; i < nr && rc == NGC_OK; i++) {
        char path[NGC_MSG_PATH_MAX];
        ngc_run_path(path, sizeof(path), dir, part, NGC_RUN_SPILL, i);
        if ((cur[i].r = ngc_run_reader_open(path, err, cap)) == NULL) {
            rc = NGC_ERROR;
            break;
        }
        int r = ngc_run_reader_next(cur[i].r, &cur[i].e);
        if (r == NGC_OK)
            heap[n++] = &cur[i];
        else if (r == NGC_ERROR) {
            snprintf(err, cap, "%s", ngc_run_reader_error(cur[i].r));
            rc = NGC_ERROR;
        }
    }
    if (rc == NGC_OK && order.sort == NGC_SORT_NGRAM) {
        /* Key order is the runs' own order: stream straight to one run. */
        char path[NGC_MSG_PATH_MAX];
        ngc_run_path(path, sizeof(path), dir, part, NGC_RUN_FINAL, 0);
        if ((w = ngc_run_writer_open(path, err, cap)) == NULL)
            rc = NGC_ERROR;
    }
    for (size_t i = n / 2; i-- > 0;)
        ngc_runs_sift(heap, n, i);
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
        uint32_t len = e->len;
        memcpy(key, e->key, len);
        ngc_entry_t sum = {key, len, 0, 0, e->prefix};
        while (n > 0 && ngc_runs_key_cmp(&heap[0]->e, &sum) == 0) {
            if (__builtin_add_overflow(sum.match, heap[0]->e.match, &sum.match) ||
                __builtin_add_overflow(sum.volume, heap[0]->e.volume, &sum.volume)) {
                snprintf(err, cap, "the total of '%.*s' passes 2^64-1",
                         (int)(len < 200 ? len : 200), key);
                rc = NGC_ERROR;
                break;
            }
            int r = ngc_run_reader_next(heap[0]->r, &heap[0]->e);
            if (r == NGC_ERROR) {
                snprintf(err, cap, "%s", ngc_run_reader_error(heap[0]->r));
                rc = NGC_ERROR;
                break;
            }
            if (r == NGC_EOF)
                heap[0] = heap[--n];
            ngc_runs_sift(heap, n, 0);
        }
        if (rc != NGC_OK)
            break;
        distinct++;
        uint64_t v = order.count == NGC_COUNT_VOLUME ? sum.volume : sum.match;
        if (v < min_count)
            continue;
        if (w != NULL) {
            if (ngc_run_writer_add(w, key, len, sum.match, sum.volume) != NGC_OK) {
                snprintf(err, cap, "%s", ngc_run_writer_error(w));
                rc = NGC_ERROR;
            }
        } else {
            rc = ngc_runs_batch_add(&o, &batch, key, len, sum.match, sum.volume, budget);
        }
    }
    if (rc == NGC_OK && w != NULL) {
        uint64_t b = 0;
        rc = ngc_run_writer_close(w, &b);
        if (rc != NGC_OK)
            snprintf(err, cap, "%s", ngc_run_writer_error(w));
        o.bytes += b;
        o.nfinal = rc == NGC_OK;
    } else if (rc == NGC_OK) {
        rc = ngc_runs_flush_batch(&o, &batch);
    }
    if (rc == NGC_OK)
        ngc_counters_publish_final(c, part, o.nfinal, distinct);
out:
    *bytes = o.bytes;
    ngc_run_writer_free(w);
    for (uint32_t i = 0; cur != NULL && i < nr; i++)
        ngc_run_reader_free(cur[i].r);
    free(cur);
    free(heap);
    free(key);
    free(batch.e);
    free(batch.keys);
    return rc;
}

/* --- reading finished partitions -------------------------------------- */

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
        for (uint32_t f = 0; f < ngc_counters_finals(c, p) && rc == NGC_OK; f++) {
            char path[NGC_MSG_PATH_MAX];
            ngc_run_path(path, sizeof(path), dir, p, NGC_RUN_FINAL, f);
            s[n] = (ngc_source_t){.c = c, .part = p};
            if ((s[n].r = ngc_run_reader_open(path, err, cap)) == NULL)
                rc = NGC_ERROR;
            else
                n++;
        }
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
