/*
 * output.c: the result in order (a k-way merge of the sorted partitions and
 * spilled runs through runs.c's sources heap), formatted into a large
 * buffer, written with write(2) or through deflate, to standard output, a
 * descriptor, a device or FIFO as it goes, or to a temporary that replaces
 * the regular file -o names at the commit.
 */
#include "engine/base/ngc.h"
#include "engine/reduce/output.h"
#include "engine/base/digits.h"
#include "engine/reduce/normalize.h"
#include "engine/reduce/runs.h"
#include "engine/base/log.h"
#include "engine/base/tmpname.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* The bytes gathered for one write. A longer line (a key reaches 2 MiB
 * after case folding) grows the buffer to fit it, so a run pays only for
 * the lines it has. */
#define NGC_OUT_BUF (256u << 10)
/* A file's bytes are handed to writeback every this many, as they come:
 * the fdatasync before the rename then waits for the last few only (on a
 * 417 MB output it waited 0.31 s for all of them). */
#define NGC_OUT_WRITEBACK ((uint64_t)16 << 20)

struct ngc_output_s {
    const ngc_config_t *cfg;
    int fd;
    bool own_fd;   /* not standard output itself */
    bool streamed; /* stdout, a descriptor, a device or a FIFO: bytes go
                            * out as written and cannot be taken back */
    bool anon;     /* O_TMPFILE: the file has no name until linked */
    bool synced;   /* everything is on disk; only the rename is left */
    bool gzip;
    const char *name; /* for messages: "standard output" or -o as given */
    char *target;     /* the regular file to replace, links followed */
    char *tmp_path;   /* the temporary's name while it has one */
    char *buf;
    size_t len;
    size_t cap; /* of buf and zbuf */
    char *zbuf;
    z_stream zs;
    bool zs_init;
    uint64_t lines;     /* formatted */
    uint64_t lines_out; /* whole lines handed to write(2) */
    uint64_t bytes_out;
    uint64_t written_back; /* bytes handed to writeback (a file's only) */
    volatile sig_atomic_t *stop;
    ngc_output_progress_fn progress;
    void *progress_arg;
    bool members; /* gzip members were written whole: nothing to deflate */
    ngc_line_format_t lf;
};

/* /dev/stdout, /dev/fd/N, /proc/self/fd/N name a descriptor already open:
 * written as it is, the way bash treats these names in a redirection
 * (reopening one would truncate a file or replace it by the rename). */
static int ngc_output_fd_name(const char *path)
{
    if (strcmp(path, "/dev/stdout") == 0)
        return STDOUT_FILENO;
    if (strcmp(path, "/dev/stderr") == 0)
        return STDERR_FILENO;
    const char *p;
    if (strncmp(path, "/dev/fd/", 8) == 0)
        p = path + 8;
    else if (strncmp(path, "/proc/self/fd/", 14) == 0)
        p = path + 14;
    else
        return -1;
    int n = 0;
    if (*p == '\0')
        return -1;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || n > 100000)
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n;
}

/* dir + "/" + base, without a doubled slash after "/". */
static char *ngc_output_join(const char *dir, size_t dlen, const char *base)
{
    size_t blen = strlen(base);
    char *s = malloc(dlen + blen + 2);
    if (s == NULL)
        return NULL;
    memcpy(s, dir, dlen);
    size_t n = dlen;
    if (n == 0 || s[n - 1] != '/')
        s[n++] = '/';
    memcpy(s + n, base, blen + 1);
    return s;
}

/*
 * The file that a path naming nothing yet would create: dangling symbolic
 * links are followed as open(O_CREAT) would, and the directory is made
 * real. Malloc'd; NULL with errno set.
 */
static char *ngc_output_resolve_new(const char *path)
{
    char *p = strdup(path);
    for (unsigned hops = 0; p != NULL; hops++) {
        struct stat st;
        if (lstat(p, &st) != 0) {
            if (errno != ENOENT)
                goto fail;
            break;
        }
        if (!S_ISLNK(st.st_mode) || hops == 40) {
            /* It appeared meanwhile, or the links loop. */
            errno = S_ISLNK(st.st_mode) ? ELOOP : EEXIST;
            goto fail;
        }
        char link[PATH_MAX];
        ssize_t n = readlink(p, link, sizeof(link) - 1);
        if (n < 0)
            goto fail;
        link[n] = '\0';
        char *slash = strrchr(p, '/');
        char *next = link[0] == '/' || slash == NULL
                         ? strdup(link)
                         : ngc_output_join(p, (size_t)(slash - p + 1), link);
        free(p);
        p = next;
    }
    if (p == NULL)
        return NULL;
    char *slash = strrchr(p, '/');
    const char *base = slash ? slash + 1 : p;
    if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        errno = EISDIR;
        goto fail;
    }
    char *dir = slash == p ? strdup("/") : slash ? strndup(p, (size_t)(slash - p)) : strdup(".");
    char *real = dir ? realpath(dir, NULL) : NULL;
    int err = errno;
    char *out = real ? ngc_output_join(real, strlen(real), base) : NULL;
    if (real == NULL)
        errno = err;
    free(real);
    free(dir);
    free(p);
    return out;

fail:
    free(p);
    return NULL;
}

/* A result that replaces one of the inputs would destroy it. */
static int ngc_output_check_inputs(const ngc_config_t *cfg, const struct stat *out)
{
    for (unsigned i = 0; i < cfg->ninputs; i++) {
        const char *in = cfg->inputs[i];
        struct stat st;
        int rc = strcmp(in, "-") == 0 ? fstat(STDIN_FILENO, &st) : stat(in, &st);
        if (rc == 0 && S_ISREG(st.st_mode) && st.st_dev == out->st_dev &&
            st.st_ino == out->st_ino) {
            if (strcmp(in, "-") == 0)
                ngc_log_file(0, cfg->output,
                             "cannot write: it is the input (standard input);"
                             " choose another -o");
            else
                ngc_log_file(0, cfg->output,
                             "cannot write: it is the input '%s'; choose"
                             " another -o",
                             in);
            return NGC_ERROR;
        }
    }
    return NGC_OK;
}

/* A fresh name beside the target: target.tmp-XXXXXX. */
static void ngc_output_tmp_name(const ngc_output_t *out, char *dst, size_t cap)
{
    char suffix[7];
    ngc_tmpname_suffix(suffix, 6);
    snprintf(dst, cap, "%s.tmp-%s", out->target, suffix);
}

/*
 * The temporary the result is written to, in the target's directory (the
 * rename must not cross file systems). O_TMPFILE gives it no name until the
 * commit, so even a SIGKILL leaves nothing; where the file system has no
 * O_TMPFILE it is a named target.tmp-XXXXXX.
 */
static int ngc_output_temp(ngc_output_t *out)
{
    char *slash = strrchr(out->target, '/');
    char *dir = slash == out->target ? strdup("/")
                                     : strndup(out->target, (size_t)(slash - out->target));
    if (dir == NULL)
        return NGC_ERROR;
    int err;
    out->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (out->fd >= 0) {
        /* The commit links it through /proc to target.tmp-XXXXXX: without
         * /proc, or when that name would be too long, a name from the start
         * (which then fails now, not after the work). */
        char proc[64];
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", out->fd);
        if (access(proc, F_OK) == 0 && strlen(slash + 1) + 11 <= NAME_MAX) {
            out->anon = true;
            free(dir);
            return NGC_OK;
        }
        close(out->fd);
    } else if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
        err = errno;
        goto fail;
    }
    size_t n = strlen(out->target) + 16;
    out->tmp_path = malloc(n);
    if (out->tmp_path == NULL) {
        err = ENOMEM;
        goto fail;
    }
    snprintf(out->tmp_path, n, "%s.tmp-XXXXXX", out->target);
    out->fd = mkostemp(out->tmp_path, O_CLOEXEC);
    if (out->fd < 0) {
        err = errno;
        free(out->tmp_path);
        out->tmp_path = NULL;
        goto fail;
    }
    /* mkstemp makes 0600; a result file gets the usual 0666 & ~umask. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(out->fd, 0666 & ~mask);
    free(dir);
    return NGC_OK;

fail:
    out->fd = -1;
    /* The directory exists (it was just resolved): ENOENT is a file system
     * that takes no new files, such as /proc. */
    ngc_log_file(0, out->name, "cannot create a temporary file in '%s': %s%s", dir,
                 err == ENOENT ? "the file system does not allow new files" : strerror(err),
                 err == ENOENT   ? ""
                 : err == ENOSPC ? " (free some space, or write elsewhere)"
                                 : "");
    free(dir);
    return NGC_ERROR;
}

/* -o PATH: a device, FIFO or socket is written in place; a regular file
 * (through any links) is replaced by a temporary renamed over it. */
static int ngc_output_open_path(ngc_output_t *out)
{
    const ngc_config_t *cfg = out->cfg;
    struct stat st;
    if (stat(cfg->output, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            ngc_log_file(EISDIR, cfg->output, "cannot write");
            return NGC_ERROR;
        }
        if (!S_ISREG(st.st_mode)) {
            do
                out->fd = open(cfg->output, O_WRONLY | O_CLOEXEC);
            while (out->fd < 0 && errno == EINTR && !*out->stop);
            if (out->fd < 0) {
                /* A FIFO with no reader waits in open(); a signal ends it. */
                if (errno != EINTR)
                    ngc_log_file(errno, cfg->output, "cannot open");
                return NGC_ERROR;
            }
            out->own_fd = true;
            out->streamed = true;
            return NGC_OK;
        }
        if (ngc_output_check_inputs(cfg, &st) != NGC_OK)
            return NGC_ERROR;
        out->target = realpath(cfg->output, NULL);
    } else if (errno == ENOENT) {
        out->target = ngc_output_resolve_new(cfg->output);
    } else {
        ngc_log_file(errno, cfg->output, "cannot write");
        return NGC_ERROR;
    }
    if (out->target == NULL) {
        ngc_log_file(errno, cfg->output, "cannot create");
        return NGC_ERROR;
    }
    if (ngc_output_temp(out) != NGC_OK)
        return NGC_ERROR;
    out->own_fd = true;
    return NGC_OK;
}

ngc_output_t *ngc_output_open(const ngc_config_t *cfg, volatile sig_atomic_t *stop)
{
    ngc_output_t *out = calloc(1, sizeof(*out));
    if (out == NULL)
        return NULL;
    out->cfg = cfg;
    out->fd = STDOUT_FILENO;
    out->stop = stop;
    /* The totals file is read first: a bad one fails before any work. */
    ngc_output_format_init(&out->lf, cfg);
    if (cfg->normalize != NULL && !cfg->by_year) {
        if (ngc_normalize_load(cfg->normalize, cfg->from_year, cfg->to_year, cfg->count,
                               &out->lf.totals) != NGC_OK) {
            free(out);
            return NULL;
        }
        out->lf.normalize = true;
    }
    out->cap = NGC_OUT_BUF;
    out->buf = malloc(out->cap);
    if (out->buf == NULL)
        goto fail;
    /* The CSV header goes first, once, whichever path writes the lines. */
    out->len = ngc_output_header(&out->lf, out->buf);
    bool is_stdout = cfg->output == NULL || strcmp(cfg->output, "-") == 0;
    int fdn = is_stdout ? STDOUT_FILENO : ngc_output_fd_name(cfg->output);
    out->name = fdn == STDOUT_FILENO ? "standard output" : cfg->output;
    if (is_stdout) {
        out->streamed = true;
    } else if (fdn >= 0) {
        out->fd = fcntl(fdn, F_DUPFD_CLOEXEC, 3);
        if (out->fd < 0) {
            ngc_log_file(errno, cfg->output, "cannot write");
            goto fail;
        }
        out->own_fd = true;
        out->streamed = true;
    } else {
        if (ngc_output_open_path(out) != NGC_OK)
            goto fail;
        size_t n = strlen(cfg->output);
        out->gzip = n > 3 && strcmp(cfg->output + n - 3, ".gz") == 0;
    }
    if (out->gzip) {
        out->zbuf = malloc(NGC_OUT_BUF);
        if (out->zbuf == NULL || deflateInit2(&out->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16,
                                              8, Z_DEFAULT_STRATEGY) != Z_OK)
            goto fail;
        out->zs_init = true;
    }
    return out;

fail:
    ngc_output_free(out);
    return NULL;
}

/* Writes p[0..n); *done says how much went out, whatever the result. */
static int ngc_output_raw(ngc_output_t *out, const char *p, size_t n, size_t *done)
{
    *done = 0;
    while (n > 0) {
        /* A stop signal ends a write blocked on a stalled reader: EINTR, or
         * a short count when part of the buffer went out. */
        if (*out->stop)
            return NGC_AGAIN;
        ssize_t w = write(out->fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EPIPE && out->streamed)
                return NGC_EOF;
            ngc_log_file(errno, out->name, "cannot write");
            return NGC_ERROR;
        }
        p += w;
        n -= (size_t)w;
        *done += (size_t)w;
        out->bytes_out += (uint64_t)w;
    }
    /* Only a hint: an old kernel or a file system without it just leaves
     * all of the writeback to the fdatasync. */
    if (!out->streamed && out->bytes_out - out->written_back >= NGC_OUT_WRITEBACK) {
        (void)sync_file_range(out->fd, (off_t)out->written_back,
                              (off_t)(out->bytes_out - out->written_back), SYNC_FILE_RANGE_WRITE);
        out->written_back = out->bytes_out;
    }
    return NGC_OK;
}

uint64_t ngc_output_newlines(const char *p, size_t n)
{
    uint64_t k = 0;
    for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        k++;
    return k;
}

int ngc_output_deflate(z_stream *zs, const char *in, size_t n, bool finish, char *zbuf, size_t zcap,
                       int (*sink)(void *arg, const char *p, size_t n), void *arg, bool *zfailed)
{
    zs->next_in = (unsigned char *)in;
    zs->avail_in = (uInt)n;
    int zrc;
    do {
        zs->next_out = (unsigned char *)zbuf;
        zs->avail_out = (uInt)zcap;
        zrc = deflate(zs, finish ? Z_FINISH : Z_NO_FLUSH);
        if (zrc == Z_STREAM_ERROR) {
            *zfailed = true;
            return NGC_ERROR;
        }
        int rc = sink(arg, zbuf, zcap - zs->avail_out);
        if (rc != NGC_OK)
            return rc;
    } while (zs->avail_out == 0 || (finish && zrc != Z_STREAM_END));
    return NGC_OK;
}

/* The sink of the gzip output: raw bytes to the destination. */
static int ngc_output_sink(void *arg, const char *p, size_t n)
{
    size_t done;
    return ngc_output_raw(arg, p, n, &done);
}

static int ngc_output_flush(ngc_output_t *out, bool finish)
{
    size_t done;
    if (!out->gzip) {
        int rc = ngc_output_raw(out, out->buf, out->len, &done);
        /* Whole lines only: a stop mid-buffer reports what really went out. */
        out->lines_out = rc == NGC_OK ? out->lines
                                      : out->lines_out + ngc_output_newlines(out->buf, done);
        out->len = 0;
        return rc;
    }
    if (out->members) {
        ngc_assert(out->len == 0);
        return NGC_OK;
    }
    bool zfailed = false;
    int rc = ngc_output_deflate(&out->zs, out->buf, out->len, finish, out->zbuf, NGC_OUT_BUF,
                                ngc_output_sink, out, &zfailed);
    if (zfailed)
        ngc_log_file(0, out->name, "deflate() failed");
    if (rc != NGC_OK)
        return rc;
    out->len = 0;
    out->lines_out = out->lines;
    return NGC_OK;
}

void ngc_output_format_init(ngc_line_format_t *lf, const ngc_config_t *cfg)
{
    *lf = (ngc_line_format_t){.count = cfg->count, .fmt = cfg->out_format, .by_year = cfg->by_year};
    /* Per million words; percent of books. */
    const char *m = cfg->normalize ? "match_per_million" : "match_count";
    const char *v = cfg->normalize ? "volume_percent" : "volume_count";
    lf->ncols = cfg->count == NGC_COUNT_BOTH ? 2 : 1;
    snprintf(lf->col[0], sizeof(lf->col[0]), "%s", cfg->count == NGC_COUNT_VOLUME ? v : m);
    snprintf(lf->col[1], sizeof(lf->col[1]), "%s", v);
}

size_t ngc_output_room(const ngc_line_format_t *lf, size_t keylen)
{
    size_t grow = lf->fmt == NGC_OUTFMT_JSONL ? NGC_OUTPUT_KEY_GROWTH
                  : lf->fmt == NGC_OUTFMT_CSV ? 2
                                              : 1;
    return keylen * grow + NGC_OUTPUT_LINE_EXTRA;
}

size_t ngc_output_header(const ngc_line_format_t *lf, char *dst)
{
    if (lf->fmt != NGC_OUTFMT_CSV)
        return 0;
    int n = snprintf(dst, 128, "ngram%s,%s%s%s\n", lf->by_year ? ",year" : "", lf->col[0],
                     lf->ncols > 1 ? "," : "", lf->ncols > 1 ? lf->col[1] : "");
    return (size_t)n;
}

/* Bytes of the valid UTF-8 sequence at p[0..n), or 0 when p does not start
 * one (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF). */
static size_t ngc_output_utf8_len(const unsigned char *p, size_t n)
{
    size_t k;
    unsigned char lo = 0x80, hi = 0xbf;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        k = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        k = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        k = 4;
    else
        return 0;
    if (k > n)
        return 0;
    if (p[0] == 0xe0)
        lo = 0xa0;
    else if (p[0] == 0xed)
        hi = 0x9f;
    else if (p[0] == 0xf0)
        lo = 0x90;
    else if (p[0] == 0xf4)
        hi = 0x8f;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < k; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return k;
}

size_t ngc_output_json_string(char *dst, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    char *d = dst;
    *d++ = '"';
    while (p < e) {
        size_t k = ngc_output_utf8_len(p, (size_t)(e - p));
        if (*p == '"' || *p == '\\') {
            *d++ = '\\';
            *d++ = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f || k == 0) {
            memcpy(d, "\\u00", 4);
            d[4] = hex[*p >> 4];
            d[5] = hex[*p & 15];
            d += 6;
        } else {
            memcpy(d, p, k);
            d += k;
        }
        p += k ? k : 1;
    }
    *d++ = '"';
    return (size_t)(d - dst);
}

/* An RFC 4180 field: quoted (quotes doubled) only when it holds a quote, a
 * comma, a CR or an LF. */
static size_t ngc_output_csv_field(char *dst, const char *p, size_t n)
{
    bool quote = false;
    for (size_t i = 0; i < n && !quote; i++)
        quote = p[i] == '"' || p[i] == ',' || p[i] == '\r' || p[i] == '\n';
    if (!quote) {
        memcpy(dst, p, n);
        return n;
    }
    char *d = dst;
    *d++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"')
            *d++ = '"';
        *d++ = p[i];
    }
    *d++ = '"';
    return (size_t)(d - dst);
}

size_t ngc_output_row(const ngc_line_format_t *lf, const char *key, size_t klen,
                      const char *const vals[], const size_t vlens[], unsigned nvals, char *dst)
{
    char *p = dst;
    if (lf->fmt == NGC_OUTFMT_TSV) {
        memcpy(p, key, klen);
        p += klen;
        for (unsigned i = 0; i < nvals; i++) {
            *p++ = '\t';
            memcpy(p, vals[i], vlens[i]);
            p += vlens[i];
        }
        *p++ = '\n';
        return (size_t)(p - dst);
    }
    /* The year: the digits after the key's last TAB, without leading zeros
     * (a typed number). */
    size_t nlen = klen;
    const char *year = NULL;
    size_t ylen = 0;
    if (lf->by_year) {
        const char *tab = memrchr(key, '\t', klen);
        if (tab != NULL) {
            nlen = (size_t)(tab - key);
            year = tab + 1;
            ylen = klen - nlen - 1;
            while (ylen > 1 && *year == '0') {
                year++;
                ylen--;
            }
        }
    }
    if (lf->fmt == NGC_OUTFMT_CSV) {
        p += ngc_output_csv_field(p, key, nlen);
        if (year != NULL) {
            *p++ = ',';
            memcpy(p, year, ylen);
            p += ylen;
        }
        for (unsigned i = 0; i < nvals; i++) {
            *p++ = ',';
            memcpy(p, vals[i], vlens[i]);
            p += vlens[i];
        }
        *p++ = '\n';
        return (size_t)(p - dst);
    }
    memcpy(p, "{\"ngram\":", 9);
    p += 9;
    p += ngc_output_json_string(p, key, nlen);
    if (year != NULL) {
        memcpy(p, ",\"year\":", 8);
        p += 8;
        memcpy(p, year, ylen);
        p += ylen;
    }
    for (unsigned i = 0; i < nvals; i++) {
        size_t n = strlen(lf->col[i]);
        *p++ = ',';
        *p++ = '"';
        memcpy(p, lf->col[i], n);
        p += n;
        *p++ = '"';
        *p++ = ':';
        memcpy(p, vals[i], vlens[i]);
        p += vlens[i];
    }
    *p++ = '}';
    *p++ = '\n';
    return (size_t)(p - dst);
}

size_t ngc_output_line(const ngc_line_format_t *lf, const ngc_entry_t *e, char *dst)
{
    char num[2][NGC_NORMALIZE_MAX];
    size_t n[2] = {0, 0};
    ngc_count_t mode = lf->count;
    if (lf->normalize) {
        /* Per million words; percent of books. */
        unsigned i = 0;
        if (mode != NGC_COUNT_VOLUME)
            n[i++] = ngc_normalize_format(num[0], e->match, 1000000, lf->totals.match);
        if (mode != NGC_COUNT_MATCH) {
            n[i] = ngc_normalize_format(num[i], e->volume, 100, lf->totals.volume);
            i++;
        }
    } else {
        n[0] = ngc_digits_u64(num[0], mode == NGC_COUNT_VOLUME ? e->volume : e->match);
        if (mode == NGC_COUNT_BOTH)
            n[1] = ngc_digits_u64(num[1], e->volume);
    }
    const char *vals[2] = {num[0], num[1]};
    return ngc_output_row(lf, e->key, e->len, vals, n, mode == NGC_COUNT_BOTH ? 2 : 1, dst);
}

/* Room for need more bytes in the buffer: what it holds goes out first,
 * and a line longer than the buffer grows it. */
static int ngc_output_room_for(ngc_output_t *out, size_t need)
{
    if (out->cap - out->len >= need)
        return NGC_OK;
    int rc = ngc_output_flush(out, false);
    if (rc != NGC_OK || need <= out->cap)
        return rc;
    char *buf = realloc(out->buf, need);
    if (buf == NULL) {
        ngc_log_error(ENOMEM, "cannot hold an output line of %zu bytes", need);
        return NGC_ERROR;
    }
    out->buf = buf;
    out->cap = need;
    return NGC_OK;
}

static int ngc_output_entry(ngc_output_t *out, const ngc_entry_t *e)
{
    int rc = ngc_output_room_for(out, ngc_output_room(&out->lf, e->len));
    if (rc != NGC_OK)
        return rc;
    out->len += ngc_output_line(&out->lf, e, out->buf + out->len);
    out->lines++;
    return NGC_OK;
}

int ngc_output_each(ngc_output_t *out, const ngc_counters_t *c, ngc_spill_t *sp,
                    ngc_output_entry_fn fn, void *arg)
{
    ngc_order_t order = ngc_counters_order_of(out->cfg);
    ngc_runs_source_t *src;
    size_t nsrc, n = 0;
    char err[512] = ""; /* set by a source; ngc_output_entry says its own */
    if (ngc_runs_sources_open(c, 0, NGC_COUNTERS_PARTS, sp, &src, &nsrc, err, sizeof(err)) !=
            NGC_OK ||
        ngc_runs_sources_bound(&src, &nsrc, sp, order, out->cfg->top, ngc_spill_fan_in(1), err,
                               sizeof(err)) != NGC_OK) {
        ngc_runs_sources_free(src, nsrc);
        ngc_log_user(0, "%s", err);
        return NGC_ERROR;
    }
    ngc_runs_source_t **heap = malloc((nsrc ? nsrc : 1) * sizeof(*heap));
    int rc = heap != NULL ? ngc_runs_heap(src, nsrc, order, heap, &n, err, sizeof(err))
                          : (snprintf(err, sizeof(err), "out of memory"), NGC_ERROR);
    uint64_t limit = out->cfg->top ? out->cfg->top : UINT64_MAX;
    for (uint64_t taken = 0; rc == NGC_OK && n > 0 && taken < limit; taken++) {
        rc = fn != NULL ? fn(&heap[0]->e, arg) : ngc_output_entry(out, &heap[0]->e);
        if (rc == NGC_OK && (taken & 0xfff) == 0xfff && out->progress != NULL)
            out->progress(out->progress_arg, out->lines);
        if (rc != NGC_OK || ((taken & 0xffff) == 0xffff && *out->stop))
            break;
        rc = ngc_runs_heap_advance(heap, &n, order, err, sizeof(err));
    }
    if (rc == NGC_ERROR && err[0])
        ngc_log_user(0, "%s", err);
    free(heap);
    ngc_runs_sources_free(src, nsrc);
    if (rc != NGC_OK)
        return rc;
    return *out->stop ? NGC_AGAIN : NGC_OK;
}

int ngc_output_write(ngc_output_t *out, const ngc_counters_t *c, ngc_spill_t *sp)
{
    return ngc_output_each(out, c, sp, NULL, NULL);
}

int ngc_output_reserve(ngc_output_t *out, size_t need, char **dst)
{
    int rc = ngc_output_room_for(out, need);
    if (rc != NGC_OK)
        return rc;
    *dst = out->buf + out->len;
    return *out->stop ? NGC_AGAIN : NGC_OK;
}

void ngc_output_advance(ngc_output_t *out, size_t n)
{
    ngc_assert(n <= out->cap - out->len);
    out->len += n;
    out->lines++;
}

int ngc_output_put(ngc_output_t *out, const char *p, size_t n, uint64_t lines)
{
    if (out->len > 0 && !out->members) {
        /* The header: for .gz a gzip member of its own, before theirs. */
        int rc = ngc_output_flush(out, true);
        if (rc != NGC_OK)
            return rc;
    }
    ngc_assert(out->len == 0 && (!out->gzip || out->lines == 0 || out->members));
    size_t done;
    int rc = ngc_output_raw(out, p, n, &done);
    out->members = out->gzip;
    out->lines += lines;
    if (rc == NGC_OK)
        out->lines_out = out->lines;
    else if (!out->gzip)
        out->lines_out += ngc_output_newlines(p, done);
    if (rc == NGC_OK && out->progress != NULL)
        out->progress(out->progress_arg, out->lines);
    return rc != NGC_OK ? rc : *out->stop ? NGC_AGAIN : NGC_OK;
}

void ngc_output_set_format(ngc_output_t *out, const ngc_line_format_t *lf)
{
    ngc_assert(out->lines == 0 && out->bytes_out == 0 && !out->members);
    out->lf = *lf;
    out->len = ngc_output_header(&out->lf, out->buf);
}

void ngc_output_set_progress(ngc_output_t *out, ngc_output_progress_fn fn, void *arg)
{
    out->progress = fn;
    out->progress_arg = arg;
}

const ngc_line_format_t *ngc_output_line_format(const ngc_output_t *out)
{
    return &out->lf;
}

bool ngc_output_gzip(const ngc_output_t *out)
{
    return out->gzip;
}

bool ngc_output_may_stall(const ngc_output_t *out)
{
    struct stat st;
    return out->streamed && !(fstat(out->fd, &st) == 0 && S_ISREG(st.st_mode));
}

int ngc_output_sync(ngc_output_t *out)
{
    if (out->synced)
        return NGC_OK;
    int rc = ngc_output_flush(out, true);
    if (rc != NGC_OK)
        return rc;
    if (out->streamed) {
        out->synced = true;
        return NGC_OK;
    }
    /* Everything that a full disk can fail happens before the rename, so
     * the file being replaced stays as it was. */
    if (fdatasync(out->fd) != 0) {
        ngc_log_file(errno, out->name, "cannot write");
        return NGC_ERROR;
    }
    if (out->anon) {
        /* linkat() cannot replace a file: link to a fresh name, rename that. */
        char proc[64];
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", out->fd);
        size_t cap = strlen(out->target) + 16;
        char *name = malloc(cap);
        if (name == NULL)
            return NGC_ERROR;
        int err = EEXIST;
        for (unsigned i = 0; i < 100 && err == EEXIST; i++) {
            ngc_output_tmp_name(out, name, cap);
            err = linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0 ? 0 : errno;
        }
        if (err != 0) {
            ngc_log_file(err, out->target, "cannot link the result into place");
            free(name);
            return NGC_ERROR;
        }
        out->tmp_path = name;
    }
    int fd = out->fd;
    out->fd = -1;
    if (close(fd) != 0) {
        ngc_log_file(errno, out->name, "cannot write");
        return NGC_ERROR;
    }
    out->synced = true;
    return NGC_OK;
}

int ngc_output_commit(ngc_output_t *out)
{
    int rc = ngc_output_sync(out);
    if (rc != NGC_OK)
        return rc;
    if (out->own_fd && out->fd >= 0) {
        /* A device, a FIFO or a descriptor: closing is the last write. */
        int fd = out->fd;
        out->fd = -1;
        if (close(fd) != 0) {
            ngc_log_file(errno, out->name, "cannot write");
            return NGC_ERROR;
        }
    }
    if (out->tmp_path == NULL)
        return NGC_OK;
    if (rename(out->tmp_path, out->target) != 0) {
        ngc_log_file(errno, out->target, "cannot rename '%s' to it", out->tmp_path);
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
    if (out->own_fd && out->fd >= 0)
        close(out->fd);
    if (out->zs_init)
        deflateEnd(&out->zs);
    free(out->target);
    free(out->zbuf);
    free(out->buf);
    free(out);
}

uint64_t ngc_output_lines(const ngc_output_t *out)
{
    return out->lines;
}

bool ngc_output_sent(const ngc_output_t *out, uint64_t *lines, bool *complete)
{
    *lines = out->lines_out;
    *complete = out->synced;
    return out->streamed && out->bytes_out > 0;
}

const char *ngc_output_name(const ngc_output_t *out)
{
    return out->name;
}
