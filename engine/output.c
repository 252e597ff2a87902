/*
 * output.c: a k-way merge of the sorted partitions through a binary heap,
 * formatted into a large buffer, written with write(2) or through deflate.
 */
#include "engine/ngc.h"
#include "engine/output.h"
#include "engine/normalize.h"
#include "engine/runs.h"
#include "engine/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Holds the longest key (2 MiB after case folding) and its counts. */
#define NGC_OUT_BUF (4u << 20)

struct ngc_output_s {
    const ngc_config_t *cfg;
    int fd;
    bool is_stdout;
    bool in_place;         /* -o names a device or FIFO: no temporary file */
    bool gzip;
    char *tmp_path;        /* NULL for stdout */
    char *buf;
    size_t len;
    char *zbuf;
    z_stream zs;
    bool zs_init;
    uint64_t lines;
    bool broken_pipe;
    bool normalize;
    ngc_totals_t totals;   /* --normalize */
};

static const char *ngc_output_name(const ngc_output_t *out)
{
    return out->is_stdout ? "standard output" : out->cfg->output;
}

ngc_output_t *ngc_output_open(const ngc_config_t *cfg)
{
    ngc_output_t *out = calloc(1, sizeof(*out));
    if (out == NULL)
        return NULL;
    out->cfg = cfg;
    out->fd = STDOUT_FILENO;
    /* The totals file is read first: a bad one fails before any work. */
    if (cfg->normalize != NULL) {
        if (ngc_normalize_load(cfg->normalize, cfg->from_year, cfg->to_year, cfg->count,
                               &out->totals) != NGC_OK) {
            free(out);
            return NULL;
        }
        out->normalize = true;
    }
    out->is_stdout = cfg->output == NULL || strcmp(cfg->output, "-") == 0;
    out->buf = malloc(NGC_OUT_BUF);
    if (out->buf == NULL)
        goto fail;
    struct stat st;
    if (!out->is_stdout && lstat(cfg->output, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* A symlink, device or FIFO (-o /dev/null, -o /dev/stdout): written
         * in place, as the shell would; a rename would replace the link or
         * the device node itself. */
        out->fd = open(cfg->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (out->fd < 0) {
            ngc_log_user(errno, "cannot open '%s'", cfg->output);
            goto fail;
        }
        out->in_place = true;
    } else if (!out->is_stdout) {
        size_t n = strlen(cfg->output);
        out->gzip = n > 3 && strcmp(cfg->output + n - 3, ".gz") == 0;
        out->tmp_path = malloc(n + 16);
        if (out->tmp_path == NULL)
            goto fail;
        snprintf(out->tmp_path, n + 16, "%s.tmp-XXXXXX", cfg->output);
        out->fd = mkostemp(out->tmp_path, O_CLOEXEC);
        if (out->fd < 0) {
            ngc_log_user(errno, "cannot create '%s'", cfg->output);
            free(out->tmp_path);
            out->tmp_path = NULL;
            goto fail;
        }
        /* mkstemp makes 0600; a result file gets the usual 0666 & ~umask. */
        mode_t mask = umask(0);
        umask(mask);
        fchmod(out->fd, 0666 & ~mask);
    }
    if (out->gzip) {
        out->zbuf = malloc(NGC_OUT_BUF);
        if (out->zbuf == NULL ||
            deflateInit2(&out->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            goto fail;
        out->zs_init = true;
    }
    return out;

fail:
    ngc_output_free(out);
    return NULL;
}

static int ngc_output_raw(ngc_output_t *out, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(out->fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EPIPE && out->is_stdout) {
                out->broken_pipe = true;
                return NGC_EOF;
            }
            ngc_log_user(errno, "cannot write '%s'", ngc_output_name(out));
            return NGC_ERROR;
        }
        p += w;
        n -= (size_t)w;
    }
    return NGC_OK;
}

static int ngc_output_flush(ngc_output_t *out, bool finish)
{
    if (!out->gzip) {
        int rc = ngc_output_raw(out, out->buf, out->len);
        out->len = 0;
        return rc;
    }
    out->zs.next_in = (unsigned char *)out->buf;
    out->zs.avail_in = (uInt)out->len;
    int zrc;
    do {
        out->zs.next_out = (unsigned char *)out->zbuf;
        out->zs.avail_out = NGC_OUT_BUF;
        zrc = deflate(&out->zs, finish ? Z_FINISH : Z_NO_FLUSH);
        if (zrc == Z_STREAM_ERROR) {
            ngc_log_user(0, "deflate() failed for '%s'", ngc_output_name(out));
            return NGC_ERROR;
        }
        int rc = ngc_output_raw(out, out->zbuf, NGC_OUT_BUF - out->zs.avail_out);
        if (rc != NGC_OK)
            return rc;
    } while (out->zs.avail_out == 0 || (finish && zrc != Z_STREAM_END));
    out->len = 0;
    return NGC_OK;
}

size_t ngc_output_u64(char *dst, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    return n;
}

static int ngc_output_entry(ngc_output_t *out, const ngc_entry_t *e)
{
    size_t need = (size_t)e->len + 2 * NGC_NORMALIZE_MAX + 4;
    if (NGC_OUT_BUF - out->len < need) {
        int rc = ngc_output_flush(out, false);
        if (rc != NGC_OK)
            return rc;
    }
    ngc_assert(need <= NGC_OUT_BUF);
    memcpy(out->buf + out->len, e->key, e->len);
    out->len += e->len;
    char *p = out->buf + out->len;
    *p++ = '\t';
    ngc_count_t mode = out->cfg->count;
    if (out->normalize) {
        /* Per million words; percent of books. */
        if (mode != NGC_COUNT_VOLUME)
            p += ngc_normalize_format(p, e->match, 1000000, out->totals.match);
        if (mode == NGC_COUNT_BOTH)
            *p++ = '\t';
        if (mode != NGC_COUNT_MATCH)
            p += ngc_normalize_format(p, e->volume, 100, out->totals.volume);
    } else {
        p += ngc_output_u64(p, mode == NGC_COUNT_VOLUME ? e->volume : e->match);
        if (mode == NGC_COUNT_BOTH) {
            *p++ = '\t';
            p += ngc_output_u64(p, e->volume);
        }
    }
    *p++ = '\n';
    out->len = (size_t)(p - out->buf);
    out->lines++;
    return NGC_OK;
}

int ngc_output_write(ngc_output_t *out, const ngc_counters_t *c, const char *spill_dir,
                     volatile sig_atomic_t *stop)
{
    ngc_order_t order = ngc_counters_order_of(out->cfg);
    ngc_source_t *src;
    size_t nsrc, n = 0;
    char err[512] = ""; /* set by a source; ngc_output_entry says its own */
    if (ngc_sources_open(c, 0, NGC_COUNTERS_PARTS, spill_dir, &src, &nsrc, err, sizeof(err)) !=
        NGC_OK) {
        ngc_log_user(0, "%s", err);
        return NGC_ERROR;
    }
    ngc_source_t **heap = malloc((nsrc ? nsrc : 1) * sizeof(*heap));
    int rc = heap != NULL ? ngc_sources_heap(src, nsrc, order, heap, &n, err, sizeof(err))
                          : (snprintf(err, sizeof(err), "out of memory"), NGC_ERROR);
    uint64_t limit = out->cfg->top ? out->cfg->top : UINT64_MAX;
    while (rc == NGC_OK && n > 0 && out->lines < limit) {
        rc = ngc_output_entry(out, &heap[0]->e);
        if (rc != NGC_OK || ((out->lines & 0xffff) == 0 && *stop))
            break;
        rc = ngc_sources_advance(heap, &n, order, err, sizeof(err));
    }
    if (rc == NGC_ERROR && err[0])
        ngc_log_user(0, "%s", err);
    free(heap);
    ngc_sources_free(src, nsrc);
    if (rc != NGC_OK)
        return rc;
    return *stop ? NGC_AGAIN : NGC_OK;
}

int ngc_output_commit(ngc_output_t *out)
{
    int rc = ngc_output_flush(out, true);
    if (rc != NGC_OK)
        return rc;
    if (out->is_stdout)
        return NGC_OK;
    if (out->in_place) {
        int fd = out->fd;
        out->fd = -1;
        if (close(fd) != 0) {
            ngc_log_user(errno, "cannot write '%s'", out->cfg->output);
            return NGC_ERROR;
        }
        return NGC_OK;
    }
    if (fdatasync(out->fd) != 0) {
        ngc_log_user(errno, "cannot write '%s'", out->cfg->output);
        return NGC_ERROR;
    }
    int fd = out->fd;
    out->fd = -1;
    if (close(fd) != 0) {
        ngc_log_user(errno, "cannot write '%s'", out->cfg->output);
        return NGC_ERROR;
    }
    if (rename(out->tmp_path, out->cfg->output) != 0) {
        ngc_log_user(errno, "cannot rename '%s' to '%s'", out->tmp_path, out->cfg->output);
        return NGC_ERROR;
    }
    free(out->tmp_path);
    out->tmp_path = NULL;
    return NGC_OK;
}

void ngc_output_free(ngc_output_t *out)
{
    if (out == NULL)
        return;
    if (out->tmp_path != NULL) {
        unlink(out->tmp_path);
        free(out->tmp_path);
    }
    if (!out->is_stdout && out->fd >= 0)
        close(out->fd);
    if (out->zs_init)
        deflateEnd(&out->zs);
    free(out->zbuf);
    free(out->buf);
    free(out);
}

uint64_t ngc_output_lines(const ngc_output_t *out)
{
    return out->lines;
}
