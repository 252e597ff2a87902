/*
 * runfile.c: buffered binary runs. A record is a 24-byte header (key length,
 * match, volume: host order, the file never leaves the machine) and the key.
 * The reader keeps whole records contiguous in its buffer, so an entry's key
 * points into it with no copy.
 */
#include "engine/base/ngc.h"
#include "engine/reduce/runfile.h"
#include "engine/base/failpoint.h"

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
    int dir; /* the spill directory (not owned) */
    char name[NGC_RUN_NAME_MAX];
    const ngc_spill_t *sp; /* for messages */
    char *buf;
    size_t len;
    uint64_t bytes;
    bool closed;
    char error[512];
};

struct ngc_run_reader_s {
    int fd;
    char name[NGC_RUN_NAME_MAX];
    const ngc_spill_t *sp;
    char *buf;
    size_t cap, start, end;
    bool eof, started;
    char error[512];
};

void ngc_run_name(char name[NGC_RUN_NAME_MAX], unsigned part, ngc_run_kind_t kind, uint32_t idx)
{
    int n = snprintf(name, NGC_RUN_NAME_MAX, "p%02u-%c-%u", part, (char)kind, idx);
    ngc_assert(n > 0 && n < NGC_RUN_NAME_MAX);
}

void ngc_run_set_name(char dst[NGC_RUN_NAME_MAX], const char *name)
{
    size_t n = strlen(name);
    ngc_assert(n < NGC_RUN_NAME_MAX);
    memcpy(dst, name, n + 1);
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
    snprintf(w->error, sizeof(w->error), "cannot write spill run '%s/%s': %s",
             ngc_spill_show(w->sp), w->name, strerror(errno));
    return NGC_ERROR;
}

ngc_run_writer_t *ngc_run_writer_open(ngc_spill_t *sp, const char *name, char *err, size_t cap)
{
    ngc_run_writer_t *w = calloc(1, sizeof(*w));
    if (w == NULL || (w->buf = malloc(NGC_RUN_BUF)) == NULL) {
        snprintf(err, cap, "out of memory for spill run '%s/%s'", ngc_spill_show(sp), name);
        goto fail;
    }
    ngc_run_set_name(w->name, name);
    w->sp = sp;
    if ((w->dir = ngc_spill_fd(sp, err, cap)) < 0)
        goto fail;
    w->fd = openat(w->dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (w->fd < 0) {
        snprintf(err, cap, "cannot create spill run '%s/%s': %s", ngc_spill_show(sp), name,
                 strerror(errno));
        goto fail;
    }
    memcpy(w->buf, NGC_RUN_MAGIC, 8);
    w->len = 8;
    return w;
fail:
    if (w != NULL) {
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
        return ngc_run_write_all(w, head, NGC_RUN_HEAD) == NGC_OK ? ngc_run_write_all(w, key, len)
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
        snprintf(w->error, sizeof(w->error), "cannot write spill run '%s/%s': %s",
                 ngc_spill_show(w->sp), w->name, strerror(errno));
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
        unlinkat(w->dir, w->name, 0);
    free(w->buf);
    free(w);
}

ngc_run_reader_t *ngc_run_reader_open(ngc_spill_t *sp, const char *name, char *err, size_t cap)
{
    ngc_run_reader_t *r = calloc(1, sizeof(*r));
    if (r == NULL || (r->buf = malloc(NGC_RUN_BUF)) == NULL) {
        snprintf(err, cap, "out of memory for spill run '%s/%s'", ngc_spill_show(sp), name);
        goto fail;
    }
    ngc_run_set_name(r->name, name);
    r->sp = sp;
    r->cap = NGC_RUN_BUF;
    int dir = ngc_spill_fd(sp, err, cap);
    if (dir < 0)
        goto fail;
    r->fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        snprintf(err, cap, "cannot open spill run '%s/%s': %s", ngc_spill_show(sp), name,
                 strerror(errno));
        goto fail;
    }
    return r;
fail:
    if (r != NULL) {
        free(r->buf);
        free(r);
    }
    return NULL;
}

void ngc_run_remove(ngc_spill_t *sp, const char *name)
{
    char err[8];
    int dir = ngc_spill_fd(sp, err, sizeof(err));
    if (dir >= 0)
        unlinkat(dir, name, 0);
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
                snprintf(r->error, sizeof(r->error), "out of memory reading '%s/%s'",
                         ngc_spill_show(r->sp), r->name);
                return false;
            }
            r->buf = nb;
            r->cap = need;
        }
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(r->error, sizeof(r->error), "cannot read spill run '%s/%s': %s",
                     ngc_spill_show(r->sp), r->name, strerror(errno));
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
    e->prefix = ngc_entry_prefix(e->key, e->len);
    r->start += NGC_RUN_HEAD + (size_t)len;
    return NGC_OK;
damaged:
    if (!r->error[0])
        snprintf(r->error, sizeof(r->error), "spill run '%s/%s' is damaged", ngc_spill_show(r->sp),
                 r->name);
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
    free(r->buf);
    free(r);
}
