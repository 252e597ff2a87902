/*
 * reader.c: sources (pread range, streamed fd, gzip over either) under one
 * line-cutting loop. The range rule: a task starting at offset > 0 reads
 * from offset - 1 and skips through the first newline, so a line starting
 * exactly at offset is its own; it stops after the first newline at or past
 * end - 1, the end of the last line starting inside the range.
 */
#include "engine/base/ngc.h"
#include "workers/reader.h"
#include "workers/format.h"
#include "workers/inflate.h"
#include "workers/fetch.h"

#include <errno.h>
#include <fcntl.h>
#ifdef NGC_HAVE_ARCHIVE
#include <archive.h>
#include <archive_entry.h>

#include "engine/base/dlib.h"
#endif
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#define NGC_GZ_IN (256u << 10)

struct ngc_reader_s {
    ngc_msg_task_t task;
    int fd;
    bool own_fd; /* ours to close: not standard input */
    bool opened;
    bool started;      /* a buffer was asked for */
    bool done;         /* no more lines to return */
    bool skipping;     /* discarding through the next newline */
    uint64_t pos;      /* position of the next byte the source yields */
    uint64_t end;      /* first byte not ours to start a line at; UINT64_MAX: none */
    uint64_t progress; /* bytes consumed, not yet reported */
    char *carry;       /* partial last line of the previous buffer (made at its first use:
                          a small task never needs it) */
    size_t carry_len;
    /* streamed input */
    bool sniffed;
    bool gzip;
    ngc_pack_t pack; /* a container other than gzip: read through libarchive */
#ifdef NGC_HAVE_ARCHIVE
    struct archive *ar;
    bool ar_member; /* a zip member is open */
    bool ar_nl;     /* the last byte returned ended a line (or none yet) */
#endif
    ngc_inflate_kind_t inflater;
    ngc_inflate_t *zs;
    unsigned char *in;
    size_t in_pos, in_len;
    bool in_eof;
    ngc_fetch_t *fetch; /* a URL's transfer, feeding fd, until it ended */
    ngc_fetch_stats_t fetched;
    char err[NGC_MSG_TEXT_MAX];
};

static unsigned ngc_reader_fetch_retries = 3, ngc_reader_fetch_stall = 60;
static _Atomic uint64_t *ngc_reader_fetch_length;

void ngc_reader_fetch_config(unsigned max_retries, unsigned stall, _Atomic uint64_t *length)
{
    ngc_reader_fetch_retries = max_retries;
    ngc_reader_fetch_stall = stall;
    ngc_reader_fetch_length = length;
}

void ngc_reader_fetch_stats(ngc_reader_t *r, ngc_fetch_stats_t *st)
{
    *st = r->fetched;
    memset(&r->fetched, 0, sizeof(r->fetched));
}

/* read(2) of a stream; at a URL's end, whether its whole body came. */
static ssize_t ngc_reader_read(ngc_reader_t *r, void *buf, size_t cap)
{
    ssize_t n = read(r->fd, buf, cap);
    if (n == 0 && r->fetch != NULL) {
        int rc = ngc_fetch_finish(r->fetch, &r->fetched, r->err, sizeof(r->err));
        r->fetch = NULL;
        if (rc != NGC_OK) {
            errno = 0;
            return -2; /* r->err says why */
        }
    }
    return n;
}

static int ngc_buf_alloc(ngc_buf_t *b)
{
    b->data = malloc(NGC_BUF_CAP + 1);
    b->len = 0;
    return b->data ? NGC_OK : NGC_ERROR;
}

void ngc_buf_fini(ngc_buf_t *b)
{
    free(b->data);
    b->data = NULL;
}

static const char *ngc_reader_name(const ngc_reader_t *r)
{
    return r->task.kind == NGC_TASK_MAP_STDIN ? "standard input" : r->task.path;
}

static int ngc_reader_fail(ngc_reader_t *r, int err, const char *what)
{
    if (err != 0)
        snprintf(r->err, sizeof(r->err), "%s: %s: %s", ngc_reader_name(r), what, strerror(err));
    else
        snprintf(r->err, sizeof(r->err), "%s: %s", ngc_reader_name(r), what);
    return NGC_ERROR;
}

ngc_reader_t *ngc_reader_new(const ngc_msg_task_t *t, int fd, ngc_inflate_kind_t inflater)
{
    ngc_reader_t *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    r->task = *t;
    r->inflater = inflater;
    r->fd = fd;
    r->own_fd = fd >= 0;
    r->end = UINT64_MAX;
    if (t->kind == NGC_TASK_MAP_PLAIN) {
        r->end = t->offset + t->length;
        r->pos = t->offset > 0 ? t->offset - 1 : 0;
        r->skipping = t->offset > 0;
        if (t->length == 0)
            r->done = true;
    }
    return r;
}

static int ngc_reader_open(ngc_reader_t *r)
{
    r->opened = true;
    if (r->fd >= 0) {
        /* Came with the task: never opened again by path. */
    } else if (r->task.kind == NGC_TASK_MAP_STDIN) {
        r->fd = STDIN_FILENO;
    } else if (ngc_format_url(r->task.path)) {
        r->fetch = ngc_fetch_start(r->task.path, ngc_reader_fetch_retries, ngc_reader_fetch_stall,
                                   ngc_reader_fetch_length, &r->fd, r->err, sizeof(r->err));
        if (r->fetch == NULL)
            return NGC_ERROR;
        r->own_fd = true;
    } else {
        r->fd = open(r->task.path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0)
            return ngc_reader_fail(r, errno, "cannot open");
        r->own_fd = true;
    }
    if (r->task.kind == NGC_TASK_MAP_PLAIN)
        posix_fadvise(r->fd, (off_t)r->task.offset, (off_t)r->task.length, POSIX_FADV_SEQUENTIAL);
    if (r->task.kind != NGC_TASK_MAP_PLAIN) {
        r->in = malloc(NGC_GZ_IN);
        if (r->in == NULL)
            return ngc_reader_fail(r, ENOMEM, "cannot read");
    }
    return NGC_OK;
}

/* Plain range source: pread at pos. */
static ssize_t ngc_reader_pread(ngc_reader_t *r, char *dst, size_t want)
{
    for (;;) {
        ssize_t n = pread(r->fd, dst, want, (off_t)r->pos);
        if (n == 0 && r->pos < r->end) {
            /* The plan saw more bytes: counting less would be a wrong total. */
            snprintf(r->err, sizeof(r->err),
                     "%s: cannot read: it shrank to %llu bytes "
                     "while being counted; count a copy that nothing writes to",
                     ngc_reader_name(r), (unsigned long long)r->pos);
            return NGC_ERROR;
        }
        if (n >= 0) {
            uint64_t lo = r->pos < r->task.offset ? r->task.offset : r->pos;
            uint64_t hi = r->pos + (uint64_t)n < r->end ? r->pos + (uint64_t)n : r->end;
            if (hi > lo)
                r->progress += hi - lo;
            return n;
        }
        if (errno != EINTR)
            return ngc_reader_fail(r, errno, "cannot read");
    }
}

static int ngc_reader_fill_in(ngc_reader_t *r)
{
    if (r->in_pos < r->in_len || r->in_eof)
        return NGC_OK;
    for (;;) {
        ssize_t n = ngc_reader_read(r, r->in, NGC_GZ_IN);
        if (n == -2)
            return NGC_ERROR;
        if (n >= 0) {
            r->in_pos = 0;
            r->in_len = (size_t)n;
            r->in_eof = n == 0;
            r->progress += (uint64_t)n;
            return NGC_OK;
        }
        if (errno != EINTR)
            return ngc_reader_fail(r, errno, "cannot read");
    }
}

static ssize_t ngc_reader_inflate(ngc_reader_t *r, char *dst, size_t want)
{
    for (;;) {
        if (ngc_reader_fill_in(r) != NGC_OK)
            return NGC_ERROR;
        if (r->in_pos == r->in_len && r->in_eof) {
            if (ngc_inflate_in_member(r->zs))
                return ngc_reader_fail(r, 0,
                                       "truncated gzip data: the file is incomplete"
                                       " (fetch it again; gzip -t checks a file)");
            return 0;
        }
        const unsigned char *in = r->in + r->in_pos;
        size_t in_len = r->in_len - r->in_pos;
        bool member_end;
        long n = ngc_inflate_run(r->zs, &in, &in_len, dst, want, &member_end);
        r->in_pos = r->in_len - in_len;
        if (n == NGC_INFLATE_GARBAGE) {
            snprintf(r->err, sizeof(r->err), "%s: trailing garbage after gzip data",
                     ngc_reader_name(r));
            return NGC_ERROR;
        }
        if (n < 0) {
            snprintf(r->err, sizeof(r->err), "%s: corrupt gzip data: %s (gzip -t checks a file)",
                     ngc_reader_name(r), ngc_inflate_error(r->zs));
            return NGC_ERROR;
        }
        if (n > 0)
            return n;
    }
}

#ifdef NGC_HAVE_ARCHIVE
/* libarchive, opened on first use (engine/base/dlib.h). */
#define NGC_READER_ARCHIVE_FUNCTIONS(X)           \
    X(archive_entry_filetype)                     \
    X(archive_error_string)                       \
    X(archive_read_data)                          \
    X(archive_read_free)                          \
    X(archive_read_new)                           \
    X(archive_read_next_header)                   \
    X(archive_read_open)                          \
    X(archive_read_support_filter_bzip2)          \
    X(archive_read_support_filter_xz)             \
    X(archive_read_support_filter_zstd)           \
    X(archive_read_support_format_empty)          \
    X(archive_read_support_format_raw)            \
    X(archive_read_support_format_zip_streamable) \
    X(archive_set_error)

static struct {
    NGC_READER_ARCHIVE_FUNCTIONS(NGC_DLIB_FIELD)
} ngc_archive;

static int ngc_reader_ar_resolve(ngc_dlib_t *lib)
{
#define NGC_READER_RESOLVE(fn) NGC_DLIB_RESOLVE(lib, ngc_archive, fn, #fn);
    NGC_READER_ARCHIVE_FUNCTIONS(NGC_READER_RESOLVE)
#undef NGC_READER_RESOLVE
    return NGC_OK;
}

static ngc_dlib_t ngc_reader_libarchive = NGC_DLIB_INIT(
    NGC_SONAME_ARCHIVE, "reading zip, bzip2, xz or zstd", ngc_reader_ar_resolve);

/* libarchive's source: what the sniff read first, then the descriptor. */
static la_ssize_t ngc_reader_ar_read(struct archive *a, void *arg, const void **buf)
{
    (void)a;
    ngc_reader_t *r = arg;
    if (ngc_reader_fill_in(r) != NGC_OK) {
        ngc_archive.archive_set_error(a, EIO, "%s", r->err);
        return -1;
    }
    *buf = r->in + r->in_pos;
    size_t n = r->in_len - r->in_pos;
    r->in_pos = r->in_len;
    return (la_ssize_t)n;
}

static int ngc_reader_ar_fail(ngc_reader_t *r)
{
    const char *why = ngc_archive.archive_error_string(r->ar);
    if (why == NULL || *why == '\0')
        why = "it ends early: the file is incomplete";
    snprintf(r->err, sizeof(r->err), "%s: corrupt %s data: %.*s", ngc_reader_name(r),
             ngc_format_pack_name(r->pack), (int)strcspn(why, "\n"), why);
    return NGC_ERROR;
}

static int ngc_reader_ar_open(ngc_reader_t *r)
{
    if (ngc_dlib_load(&ngc_reader_libarchive) != NGC_OK) {
        snprintf(r->err, sizeof(r->err), "%s: cannot read %s data: %s", ngc_reader_name(r),
                 ngc_format_pack_name(r->pack), ngc_dlib_error(&ngc_reader_libarchive));
        return NGC_ERROR;
    }
    r->ar = ngc_archive.archive_read_new();
    if (r->ar == NULL)
        return ngc_reader_fail(r, ENOMEM, "cannot read");
    /* Each container by its own filter: never an external program. */
    if (r->pack == NGC_PACK_ZIP) {
        ngc_archive.archive_read_support_format_zip_streamable(r->ar);
    } else {
        ngc_archive.archive_read_support_filter_bzip2(r->ar);
        ngc_archive.archive_read_support_filter_xz(r->ar);
        ngc_archive.archive_read_support_filter_zstd(r->ar);
        ngc_archive.archive_read_support_format_raw(r->ar);
        ngc_archive.archive_read_support_format_empty(r->ar); /* an empty file, compressed */
    }
    r->ar_nl = true;
    if (ngc_archive.archive_read_open(r->ar, r, NULL, ngc_reader_ar_read, NULL) != ARCHIVE_OK)
        return ngc_reader_ar_fail(r);
    return NGC_OK;
}

/* Each zip member in order, as unzip -p prints them; a member whose last
 * line has no newline gets one, so it does not run into the next. */
static ssize_t ngc_reader_archive(ngc_reader_t *r, char *dst, size_t want)
{
    for (;;) {
        if (!r->ar_member) {
            struct archive_entry *e;
            int rc = ngc_archive.archive_read_next_header(r->ar, &e);
            if (rc == ARCHIVE_EOF)
                return 0;
            if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
                break;
            if (ngc_archive.archive_entry_filetype(e) == AE_IFDIR)
                continue;
            r->ar_member = true;
        }
        la_ssize_t n = ngc_archive.archive_read_data(r->ar, dst, want);
        if (n < 0)
            break;
        if (n > 0) {
            r->ar_nl = dst[n - 1] == '\n';
            return (ssize_t)n;
        }
        r->ar_member = false;
        if (!r->ar_nl && want > 0) {
            r->ar_nl = true;
            dst[0] = '\n';
            return 1;
        }
    }
    return ngc_reader_ar_fail(r);
}
#endif

/* Streamed source: sniffs gzip on the first bytes, then inflates or copies. */
static ssize_t ngc_reader_stream(ngc_reader_t *r, char *dst, size_t want)
{
    if (!r->sniffed) {
        /* The first bytes decide; a short first read is topped up. */
        while (!r->in_eof && r->in_len < NGC_PACK_MAGIC) {
            ssize_t n = ngc_reader_read(r, r->in + r->in_len, NGC_GZ_IN - r->in_len);
            if (n == -2)
                return NGC_ERROR;
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return ngc_reader_fail(r, errno, "cannot read");
            r->in_len += (size_t)n;
            r->in_eof = n == 0;
            r->progress += (uint64_t)n;
        }
        r->sniffed = true;
        r->pack = ngc_format_pack(r->in, r->in_len);
        r->gzip = r->pack == NGC_PACK_GZIP;
        if (r->gzip) {
            r->pack = NGC_PACK_NONE;
            r->zs = ngc_inflate_new(r->inflater);
            if (r->zs == NULL)
                return ngc_reader_fail(r, ENOMEM, "cannot inflate");
        }
#ifdef NGC_HAVE_ARCHIVE
        if (r->pack != NGC_PACK_NONE && ngc_reader_ar_open(r) != NGC_OK)
            return NGC_ERROR;
#else
        if (r->pack != NGC_PACK_NONE) {
            snprintf(r->err, sizeof(r->err),
                     "%s: cannot read %s data: this build has no "
                     "libarchive (decompress it first, or pipe it in: <(%s -dc FILE))",
                     ngc_reader_name(r), ngc_format_pack_name(r->pack),
                     r->pack == NGC_PACK_ZIP ? "unzip -p" : ngc_format_pack_name(r->pack));
            return NGC_ERROR;
        }
#endif
    }
    if (r->gzip)
        return ngc_reader_inflate(r, dst, want);
#ifdef NGC_HAVE_ARCHIVE
    if (r->pack != NGC_PACK_NONE)
        return ngc_reader_archive(r, dst, want);
#endif
    if (ngc_reader_fill_in(r) != NGC_OK)
        return NGC_ERROR;
    size_t n = r->in_len - r->in_pos < want ? r->in_len - r->in_pos : want;
    memcpy(dst, r->in + r->in_pos, n);
    r->in_pos += n;
    return (ssize_t)n;
}

static ssize_t ngc_reader_source(ngc_reader_t *r, char *dst, size_t want)
{
    ssize_t n = r->task.kind == NGC_TASK_MAP_PLAIN ? ngc_reader_pread(r, dst, want)
                                                   : ngc_reader_stream(r, dst, want);
    if (n > 0)
        r->pos += (uint64_t)n;
    return n;
}

/* Discards through the next newline; keeps what follows it in b. */
static int ngc_reader_skip(ngc_reader_t *r, ngc_buf_t *b)
{
    while (r->skipping) {
        ssize_t n = ngc_reader_source(r, b->data, NGC_READ_BLOCK);
        if (n < 0)
            return NGC_ERROR;
        if (n == 0) {
            r->done = true;
            return NGC_OK;
        }
        char *nl = memchr(b->data, '\n', (size_t)n);
        if (nl == NULL)
            continue;
        r->skipping = false;
        uint64_t nl_pos = r->pos - (uint64_t)n + (uint64_t)(nl - b->data);
        if (r->end != UINT64_MAX && nl_pos + 1 >= r->end) {
            r->done = true; /* the next line starts past the range */
            return NGC_OK;
        }
        b->len = (size_t)(b->data + n - (nl + 1));
        memmove(b->data, nl + 1, b->len);
    }
    return NGC_OK;
}

int ngc_reader_next(ngc_reader_t *r, ngc_buf_t *b)
{
    if (!r->opened && ngc_reader_open(r) != NGC_OK)
        return NGC_ERROR;
    b->len = 0;
    if (r->done)
        return NGC_EOF;
    /* Buffers are made when first filled: a small task fills one or two of
     * its three, and each costs an mmap (and, under ASan, its shadow). */
    if (b->data == NULL && ngc_buf_alloc(b) != NGC_OK)
        return ngc_reader_fail(r, ENOMEM, "cannot allocate a read buffer");
    /* A stream's first buffer holds the format detection window, or all
     * there is, as a file's first buffer does, however its writer cut it. */
    size_t at_least = r->task.kind != NGC_TASK_MAP_PLAIN && !r->started ? NGC_FORMAT_HEAD : 0;
    r->started = true;
    size_t cut = 0;  /* just past the last newline seen; 0: none yet */
    size_t searched; /* b->data[0..searched) was searched: no newline past cut */
    if (r->skipping) {
        if (ngc_reader_skip(r, b) != NGC_OK)
            return NGC_ERROR;
        if (r->done)
            return NGC_EOF;
        searched = 0;
    } else {
        if (r->carry_len > 0)
            memcpy(b->data, r->carry, r->carry_len);
        b->len = r->carry_len;
        searched = b->len;
        r->carry_len = 0;
    }
    for (;; searched = b->len) {
        size_t room = NGC_BUF_CAP - b->len;
        bool at_eof = false;
        if (room > 0) {
            ssize_t n = ngc_reader_source(r, b->data + b->len,
                                          room < NGC_READ_BLOCK ? room : NGC_READ_BLOCK);
            if (n < 0)
                return NGC_ERROR;
            at_eof = n == 0;
            b->len += (size_t)n;
        }
        uint64_t base = r->pos - b->len; /* file position of b->data[0] */
        if (r->end != UINT64_MAX) {
            /* The first newline at or past end - 1 closes our last line. */
            uint64_t from = r->end - 1 > base ? r->end - 1 - base : 0;
            if (from < searched)
                from = searched;
            if (from < b->len) {
                char *nl = memchr(b->data + from, '\n', b->len - from);
                if (nl != NULL) {
                    b->len = (size_t)(nl + 1 - b->data);
                    r->done = true;
                    return NGC_OK;
                }
            }
        }
        if (at_eof) {
            r->done = true;
            if (b->len == 0)
                return NGC_EOF;
            if (b->data[b->len - 1] != '\n')
                b->data[b->len++] = '\n'; /* last line without newline */
            return NGC_OK;
        }
        char *last = memrchr(b->data + searched, '\n', b->len - searched);
        if (last != NULL)
            cut = (size_t)(last + 1 - b->data);
        if (cut > 0 && b->len >= at_least) {
            if (r->carry == NULL && (r->carry = malloc(NGC_BUF_CAP)) == NULL)
                return ngc_reader_fail(r, ENOMEM, "cannot read");
            r->carry_len = b->len - cut;
            memcpy(r->carry, b->data + cut, r->carry_len);
            b->len = cut;
            return NGC_OK;
        }
        if (b->len == NGC_BUF_CAP) {
            /* A line longer than the buffer: hand over its start, skip the rest. */
            b->data[b->len++] = '\n';
            r->skipping = true;
            return NGC_OK;
        }
    }
}

uint64_t ngc_reader_take_progress(ngc_reader_t *r)
{
    uint64_t n = r->progress;
    r->progress = 0;
    return n;
}

const char *ngc_reader_error(const ngc_reader_t *r)
{
    return r->err;
}

void ngc_reader_free(ngc_reader_t *r)
{
    if (r == NULL)
        return;
    ngc_inflate_free(r->zs);
#ifdef NGC_HAVE_ARCHIVE
    if (r->ar != NULL)
        ngc_archive.archive_read_free(r->ar);
#endif
    if (r->own_fd)
        close(r->fd);
    if (r->fetch != NULL) {
        char err[8];
        ngc_fetch_finish(r->fetch, NULL, err, sizeof(err)); /* stopped by the close */
    }
    free(r->in);
    free(r->carry);
    free(r);
}

int ngc_reader_head(const ngc_reader_t *r, char *buf, size_t cap, size_t *len, bool *whole)
{
    if (r->task.kind != NGC_TASK_MAP_PLAIN || r->fd < 0) {
        errno = EINVAL;
        return NGC_ERROR;
    }
    size_t n = 0;
    while (n < cap) {
        ssize_t got = pread(r->fd, buf + n, cap - n, (off_t)n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return NGC_ERROR;
        if (got == 0)
            break;
        n += (size_t)got;
    }
    *len = n;
    *whole = n < cap;
    return NGC_OK;
}
