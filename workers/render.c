/*
 * render.c: see render.h. A heap over the range's partition intervals (at
 * most one source per partition, all in memory), lines gathered in a large
 * buffer and written to the window with pwrite, or through deflate first.
 */
#include "engine/base/ngc.h"
#include "workers/render.h"
#include "engine/base/failpoint.h"
#include "engine/reduce/runs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

/* Holds the longest line, as the serial output's buffer. */
#define NGC_RENDER_BUF (4u << 20)

typedef struct {
    int fd;
    const ngc_range_t *g;
    uint64_t pos; /* bytes written to the window */
    z_stream zs;
    bool zs_init;
    char *zbuf;
    size_t zcap;
    char *err;
    size_t cap;
} ngc_render_t;

static int ngc_render_out(ngc_render_t *rd, const char *p, size_t n)
{
    if (n > rd->g->cap - rd->pos) {
        snprintf(rd->err, rd->cap, "the formatted output outgrows its window");
        return NGC_ERROR;
    }
    while (n > 0) {
        ssize_t w = pwrite(rd->fd, p, n, (off_t)(rd->g->off + rd->pos));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(rd->err, rd->cap, "cannot write the formatted output: %s",
                     w < 0 ? strerror(errno) : "no room");
            return NGC_ERROR;
        }
        p += w;
        n -= (size_t)w;
        rd->pos += (uint64_t)w;
    }
    return NGC_OK;
}

static int ngc_render_sink(void *arg, const char *p, size_t n)
{
    return ngc_render_out(arg, p, n);
}

static int ngc_render_flush(ngc_render_t *rd, const char *buf, size_t len, bool finish)
{
    if (!rd->zs_init)
        return ngc_render_out(rd, buf, len);
    bool zfailed = false;
    int rc = ngc_output_deflate(&rd->zs, buf, len, finish, rd->zbuf, rd->zcap, ngc_render_sink, rd,
                                &zfailed);
    if (zfailed)
        snprintf(rd->err, rd->cap, "deflate() failed on the formatted output");
    return rc;
}

int ngc_render_range(const ngc_counters_t *c, ngc_order_t order, const ngc_line_format_t *lf,
                     int fd, const ngc_range_t *g, uint32_t task, uint32_t attempt, uint64_t *bytes,
                     char *err, size_t cap)
{
    ngc_render_t rd = {.fd = fd, .g = g, .err = err, .cap = cap};
    ngc_runs_source_t *src = calloc(NGC_COUNTERS_PARTS, sizeof(*src));
    ngc_runs_source_t **heap = calloc(NGC_COUNTERS_PARTS, sizeof(*heap));
    /* The longest line in the output format. */
    size_t bufcap = ngc_output_room(lf, NGC_RENDER_BUF / 2) + NGC_RENDER_BUF / 2;
    char *buf = malloc(bufcap);
    int rc = NGC_ERROR;
    if (src == NULL || heap == NULL || buf == NULL)
        goto nomem;
    if (g->gzip) {
        rd.zbuf = malloc(bufcap);
        rd.zcap = bufcap;
        if (rd.zbuf == NULL || deflateInit2(&rd.zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                                            Z_DEFAULT_STRATEGY) != Z_OK)
            goto nomem;
        rd.zs_init = true;
    }
    /* Each interval is a source of its partition's sorted array, cut. */
    size_t nsrc = 0, n = 0, len = 0;
    for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++)
        if (g->hi[p] > g->lo[p])
            src[nsrc++] = (ngc_runs_source_t){.c = c,
                                              .part = p,
                                              .idx = (size_t)g->lo[p],
                                              .n = (size_t)g->hi[p]};
    if (ngc_runs_heap(src, nsrc, order, heap, &n, err, cap) != NGC_OK)
        goto done;
    for (uint64_t lines = 0; lines < g->take; lines++) {
        ngc_assert(n > 0);
        const ngc_entry_t *e = &heap[0]->e;
        if (bufcap - len < ngc_output_room(lf, e->len)) {
            if (ngc_render_flush(&rd, buf, len, false) != NGC_OK)
                goto done;
            len = 0;
        }
        len += ngc_output_line(lf, e, buf + len);
        if (NGC_UNLIKELY(lines == g->take / 2) &&
            ngc_failpoint_armed(NGC_FP_CRASH_IN_FORMAT, task, attempt)) {
            /* Half of the window written: a retry must write it again. */
            if (ngc_render_flush(&rd, buf, len, false) != NGC_OK)
                goto done;
            len = 0;
            ngc_failpoint_check(NGC_FP_CRASH_IN_FORMAT, task, attempt);
        }
        if (ngc_runs_heap_advance(heap, &n, order, err, cap) != NGC_OK)
            goto done;
    }
    if (ngc_render_flush(&rd, buf, len, true) != NGC_OK)
        goto done;
    *bytes = rd.pos;
    rc = NGC_OK;
    goto done;

nomem:
    snprintf(err, cap, "out of memory for the formatted output");
done:
    if (rd.zs_init)
        deflateEnd(&rd.zs);
    free(rd.zbuf);
    free(buf);
    free(heap);
    free(src);
    return rc;
}
