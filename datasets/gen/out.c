/*
 * out.c: see out.h.
 */

#include "datasets/gen/out.h"
#include "datasets/gen/config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static int ngc_gen_write_all(ngc_gen_out_t *o, const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t w = write(o->fd, p, n);
        if (w < 0) {
            int err = errno;
            if (err == EINTR) {
                continue;
            }
            if (o->is_stdout) {
                ngc_gen_log(err, "cannot write to standard output");
            } else {
                ngc_gen_log(err, "cannot write '%s'", o->name);
            }
            return NGC_GEN_ERROR;
        }
        p += w;
        n -= (size_t)w;
    }
    return NGC_GEN_OK;
}

int ngc_gen_out_flush(ngc_gen_out_t *o, bool finish)
{
    int ret;

    o->bytes += o->len;
    if (!o->gz) {
        size_t n = o->len;
        o->len = 0;
        return ngc_gen_write_all(o, o->buf, n);
    }
    o->zs.next_in = (Bytef *)o->buf;
    o->zs.avail_in = (uInt)o->len;
    o->len = 0;
    for (;;) {
        o->zs.next_out = o->zbuf;
        o->zs.avail_out = (uInt)o->zcap;
        ret = deflate(&o->zs, finish ? Z_FINISH : Z_NO_FLUSH);
        if (ret == Z_STREAM_ERROR) {
            ngc_gen_log(0, "deflate() failed for '%s'", o->name);
            return NGC_GEN_ERROR;
        }
        if (ngc_gen_write_all(o, o->zbuf, o->zcap - o->zs.avail_out) != NGC_GEN_OK) {
            return NGC_GEN_ERROR;
        }
        if (finish ? ret == Z_STREAM_END : o->zs.avail_out != 0) {
            break;
        }
    }
    return NGC_GEN_OK;
}

int ngc_gen_out_write(ngc_gen_out_t *o, const char *p, size_t n)
{
    while (n > 0) {
        size_t c = n < o->cap ? n : o->cap;
        char *d = ngc_gen_out_reserve(o, c);
        if (d == NULL) {
            return NGC_GEN_ERROR;
        }
        memcpy(d, p, c);
        o->len += c;
        p += c;
        n -= c;
    }
    return NGC_GEN_OK;
}

int ngc_gen_out_init(ngc_gen_out_t *o, int fd, const char *name, bool is_stdout, bool gz, int level)
{
    memset(o, 0, sizeof(*o));
    o->fd = fd;
    o->name = name;
    o->is_stdout = is_stdout;
    o->gz = gz;
    o->cap = NGC_GEN_OUT_CAP;
    o->buf = ngc_gen_alloc(o->cap, 1);
    if (o->buf == NULL) {
        return NGC_GEN_ERROR;
    }
    if (!gz) {
        return NGC_GEN_OK;
    }
    o->zcap = NGC_GEN_OUT_CAP;
    o->zbuf = ngc_gen_alloc(o->zcap, 1);
    if (o->zbuf == NULL) {
        return NGC_GEN_ERROR;
    }
    if (deflateInit2(&o->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        ngc_gen_log(0, "deflateInit2() failed");
        return NGC_GEN_ERROR;
    }
    o->gz_ready = true;
    /* a fixed gzip header (no time, os unix) keeps .gz output reproducible */
    o->gzh.os = 3;
    if (deflateSetHeader(&o->zs, &o->gzh) != Z_OK) {
        ngc_gen_log(0, "deflateSetHeader() failed");
        return NGC_GEN_ERROR;
    }
    return NGC_GEN_OK;
}

void ngc_gen_out_fini(ngc_gen_out_t *o)
{
    if (o->gz_ready) {
        deflateEnd(&o->zs);
    }
    free(o->buf);
    free(o->zbuf);
}
