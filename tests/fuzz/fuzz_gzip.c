/*
 * fuzz_gzip.c: libFuzzer harness for the task reader (workers/reader.h).
 * The input becomes a file (a memfd, opened again through /proc/self/fd):
 * - streamed (NGC_TASK_MAP_STREAM) with zlib and, when built in, ISA-L: the
 *   buffers must be whole lines ending in '\n', and their bytes must be the
 *   lines of the input (or of its gzip members, inflated here with zlib
 *   directly); both engines must agree on success, and a failed read must
 *   have returned only a prefix of the lines;
 * - cut into byte ranges (NGC_TASK_MAP_PLAIN) at offsets taken from its last
 *   bytes: the tasks' buffers, concatenated, must be the file's lines; a
 *   last range past the end (a file that shrank) must fail.
 * A line of L bytes comes back as min(L, NGC_BUF_CAP) bytes and a '\n'
 * (reader.h). Any disagreement traps.
 */
#include "engine/base/ngc.h"
#include "workers/format.h"
#include "workers/inflate.h"
#include "workers/reader.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NGC_FZ_CHECK(cond, ...)                                      \
    do {                                                             \
        if (!(cond)) {                                               \
            fprintf(stderr, "fuzz_gzip: check failed: %s: ", #cond); \
            fprintf(stderr, __VA_ARGS__);                            \
            fputc('\n', stderr);                                     \
            __builtin_trap();                                        \
        }                                                            \
    } while (0)

/* Inflated inputs larger than this are not read (a 64 KB input inflates to
 * at most about 66 MB); it still spans several reader buffers and holds
 * lines longer than one. */
#define NGC_FZ_OUT_MAX (5u << 20)
/* Most byte ranges one input is cut into. */
#define NGC_FZ_RANGES 6

typedef struct {
    char *p;
    size_t len, cap;
} ngc_fz_bytes_t;

static int ngc_fz_fd = -1;
static char ngc_fz_path[64];
static ngc_buf_t ngc_fz_buf;
/* Kept from one input to the next (emptied, not freed): growing fresh
 * buffers for every input costs more than the reading itself. */
static ngc_fz_bytes_t ngc_fz_text, ngc_fz_want, ngc_fz_got;

static void ngc_fz_append(ngc_fz_bytes_t *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        NGC_FZ_CHECK(b->p != NULL, "out of memory");
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* What the reader must return for the text t: each line cut to
 * NGC_BUF_CAP bytes, each ending in '\n'. Looks at windows of NGC_BUF_CAP
 * bytes, not at every line: no line starting before a window's last '\n'
 * is that long. */
static void ngc_fz_lines(ngc_fz_bytes_t *out, const char *t, size_t len)
{
    if (len == 0)
        return;
    const char *p = t, *end = t + len;
    while (p < end) {
        size_t w = (size_t)(end - p) < NGC_BUF_CAP ? (size_t)(end - p) : NGC_BUF_CAP;
        const char *nl = memrchr(p, '\n', w);
        if (nl != NULL) {
            ngc_fz_append(out, p, (size_t)(nl + 1 - p));
            p = nl + 1;
        } else if (w < NGC_BUF_CAP) {
            ngc_fz_append(out, p, w); /* the last line, without its '\n' */
            ngc_fz_append(out, "\n", 1);
            p += w;
        } else {
            ngc_fz_append(out, p, NGC_BUF_CAP); /* a line cut short */
            ngc_fz_append(out, "\n", 1);
            nl = memchr(p, '\n', (size_t)(end - p));
            p = nl ? nl + 1 : end;
        }
    }
}

/*
 * Inflates every gzip member of data with zlib, as reader.h promises:
 * members follow one another with nothing between them, and nothing after
 * them but zero bytes (padding). Returns NGC_OK, NGC_ERROR (corrupt or
 * truncated, or trailing garbage; out holds what was inflated before) or
 * NGC_AGAIN (more than NGC_FZ_OUT_MAX bytes).
 */
static int ngc_fz_gunzip(const uint8_t *data, size_t size, ngc_fz_bytes_t *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    NGC_FZ_CHECK(inflateInit2(&zs, 15 + 16) == Z_OK, "inflateInit2() failed");
    int rc = NGC_OK;
    size_t pos = 0;
    char chunk[65536];
    while (pos < size && rc == NGC_OK) {
        if (pos > 0 && data[pos] == 0) {
            while (pos < size && data[pos] == 0)
                pos++;
            if (pos < size)
                rc = NGC_ERROR;
            break;
        }
        NGC_FZ_CHECK(inflateReset(&zs) == Z_OK, "inflateReset() failed");
        for (;;) {
            zs.next_in = (unsigned char *)data + pos;
            zs.avail_in = (uInt)(size - pos);
            zs.next_out = (unsigned char *)chunk;
            zs.avail_out = sizeof(chunk);
            int zrc = inflate(&zs, Z_NO_FLUSH);
            pos = size - zs.avail_in;
            ngc_fz_append(out, chunk, sizeof(chunk) - zs.avail_out);
            if (out->len > NGC_FZ_OUT_MAX) {
                rc = NGC_AGAIN;
                break;
            }
            if (zrc == Z_STREAM_END)
                break;
            if (zrc == Z_OK && zs.avail_out == 0)
                continue;
            if (zrc == Z_OK || (zrc == Z_BUF_ERROR && zs.avail_in != 0))
                continue;
            rc = NGC_ERROR; /* corrupt, or input ended inside the member */
            break;
        }
    }
    inflateEnd(&zs);
    return rc;
}

/*
 * Runs task t to its end, appending what it returns to got and checking
 * every buffer. Returns NGC_OK (EOF reached) or NGC_ERROR.
 */
static int ngc_fz_read(const ngc_msg_task_t *t, ngc_inflate_kind_t kind, ngc_fz_bytes_t *got,
                       uint64_t *progress)
{
    ngc_reader_t *r = ngc_reader_new(t, -1, kind);
    NGC_FZ_CHECK(r != NULL, "ngc_reader_new() failed");
    ngc_buf_t *b = &ngc_fz_buf;
    int rc;
    for (;;) {
        rc = ngc_reader_next(r, b);
        *progress += ngc_reader_take_progress(r);
        if (rc != NGC_OK)
            break;
        NGC_FZ_CHECK(b->len > 0 && b->len <= NGC_BUF_CAP + 1, "buffer of %zu bytes", b->len);
        NGC_FZ_CHECK(b->data[b->len - 1] == '\n', "buffer of %zu bytes without a final '\\n'",
                     b->len);
        ngc_fz_append(got, b->data, b->len);
        NGC_FZ_CHECK(got->len <= NGC_FZ_OUT_MAX + NGC_FZ_OUT_MAX / 8, "runaway reader");
    }
    NGC_FZ_CHECK(rc == NGC_EOF || rc == NGC_ERROR, "ngc_reader_next() returned %d", rc);
    if (rc == NGC_ERROR)
        NGC_FZ_CHECK(ngc_reader_error(r)[0] != '\0', "an error without a reason");
    else
        NGC_FZ_CHECK(ngc_reader_next(r, b) == NGC_EOF && b->len == 0, "a read after EOF");
    ngc_reader_free(r);
    return rc == NGC_EOF ? NGC_OK : NGC_ERROR;
}

static void ngc_fz_task(ngc_msg_task_t *t, ngc_task_kind_t kind, uint64_t offset, uint64_t length)
{
    memset(t, 0, sizeof(*t));
    t->task_id = 1;
    t->kind = kind;
    t->offset = offset;
    t->length = length;
    t->path_len = (uint32_t)strlen(ngc_fz_path);
    memcpy(t->path, ngc_fz_path, t->path_len + 1);
}

static void ngc_fz_stream(const uint8_t *data, size_t size)
{
    /* bzip2, xz, zstd and zip go through libarchive: this model (plain or
     * gzip) does not apply; the reader must still neither crash nor leak. */
    ngc_pack_t pack = ngc_format_pack(data, size);
    bool gzip = pack == NGC_PACK_GZIP;
    bool other = pack != NGC_PACK_NONE && !gzip;
    ngc_fz_bytes_t *want = &ngc_fz_want;
    int want_rc = NGC_OK;
    want->len = 0;
    if (gzip) {
        ngc_fz_text.len = 0;
        want_rc = ngc_fz_gunzip(data, size, &ngc_fz_text);
        if (want_rc == NGC_AGAIN)
            return;
        ngc_fz_lines(want, ngc_fz_text.p, ngc_fz_text.len);
    } else {
        ngc_fz_lines(want, (const char *)data, size);
    }

    ngc_msg_task_t t;
    ngc_fz_task(&t, NGC_TASK_MAP_STREAM, 0, 0);
    static const ngc_inflate_kind_t kinds[2] = {NGC_INFLATE_ZLIB, NGC_INFLATE_ISAL};
    unsigned nkinds = gzip && ngc_inflate_have_isal() ? 2 : 1;
    for (unsigned k = 0; k < nkinds; k++) {
        const char *name = kinds[k] == NGC_INFLATE_ZLIB ? "zlib" : "isal";
        ngc_fz_bytes_t *got = &ngc_fz_got;
        uint64_t progress = 0;
        got->len = 0;
        int rc = ngc_fz_read(&t, kinds[k], got, &progress);
        if (other)
            continue;
        NGC_FZ_CHECK(rc == want_rc, "%s: reader %s, zlib itself %s", name,
                     rc == NGC_OK ? "succeeds" : "fails", want_rc == NGC_OK ? "succeeds" : "fails");
        if (rc == NGC_OK) {
            NGC_FZ_CHECK(got->len == want->len &&
                             (want->len == 0 || memcmp(got->p, want->p, want->len) == 0),
                         "%s: %zu bytes read, %zu expected", name, got->len, want->len);
            NGC_FZ_CHECK(progress == size, "%s: progress %llu of %zu bytes", name,
                         (unsigned long long)progress, size);
        } else {
            /* Whole lines only, each one that was inflated before the error. */
            NGC_FZ_CHECK(got->len <= want->len &&
                             (got->len == 0 || memcmp(got->p, want->p, got->len) == 0),
                         "%s: the %zu bytes read before the error are not a prefix of the "
                         "%zu inflated",
                         name, got->len, want->len);
            NGC_FZ_CHECK(progress <= size, "%s: progress %llu of %zu bytes", name,
                         (unsigned long long)progress, size);
        }
    }
}

static void ngc_fz_ranges(const uint8_t *data, size_t size)
{
    /* Cut points from the last bytes: how many, then 16 bits each. */
    uint64_t cut[NGC_FZ_RANGES + 1];
    unsigned ncut = 0;
    unsigned nranges = size > 0 ? 1 + data[size - 1] % NGC_FZ_RANGES : 1;
    cut[ncut++] = 0;
    for (unsigned i = 1; i < nranges; i++) {
        size_t at = size >= 2 * i + 1 ? size - 1 - 2 * i : 0;
        unsigned v = size > 0 ? data[at] | (unsigned)(at + 1 < size ? data[at + 1] : 0) << 8 : 0;
        cut[ncut++] = v % (size + 1);
    }
    /* Insertion sort: a handful of cut points. */
    for (unsigned i = 1; i < ncut; i++)
        for (unsigned j = i; j > 0 && cut[j - 1] > cut[j]; j--) {
            uint64_t x = cut[j];
            cut[j] = cut[j - 1];
            cut[j - 1] = x;
        }
    /* The last range may run past the end of the file, as if the file had
     * shrunk since it was planned: that range must fail. */
    bool past = size > 0 && (data[size - 1] & 0x80) != 0;
    cut[ncut++] = past ? (uint64_t)size + 1 + data[0] : size;

    ngc_fz_bytes_t *want = &ngc_fz_want, *got = &ngc_fz_got;
    want->len = got->len = 0;
    ngc_fz_lines(want, (const char *)data, size);
    uint64_t progress = 0;
    for (unsigned i = 0; i + 1 < ncut; i++) {
        ngc_msg_task_t t;
        ngc_fz_task(&t, NGC_TASK_MAP_PLAIN, cut[i], cut[i + 1] - cut[i]);
        size_t before = got->len;
        int rc = ngc_fz_read(&t, NGC_INFLATE_ZLIB, got, &progress);
        bool shrank = past && i + 2 == ncut;
        NGC_FZ_CHECK(rc == (shrank ? NGC_ERROR : NGC_OK), "range [%llu, %llu) of %zu bytes %s",
                     (unsigned long long)cut[i], (unsigned long long)cut[i + 1], size,
                     shrank ? "past the end read without an error" : "failed");
        NGC_FZ_CHECK(got->len <= want->len &&
                         (got->len == before ||
                          memcmp(got->p + before, want->p + before, got->len - before) == 0),
                     "range %u [%llu, %llu) of %zu bytes: wrong lines at %zu", i,
                     (unsigned long long)cut[i], (unsigned long long)cut[i + 1], size, before);
    }
    if (past)
        return; /* the last range's lines are not all there */
    NGC_FZ_CHECK(got->len == want->len, "%u ranges of %zu bytes: %zu bytes of lines, %zu expected",
                 ncut - 1, size, got->len, want->len);
    NGC_FZ_CHECK(progress == size, "%u ranges: progress %llu of %zu bytes", ncut - 1,
                 (unsigned long long)progress, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ngc_fz_fd < 0) {
        ngc_fz_fd = memfd_create("fuzz_gzip", MFD_CLOEXEC);
        NGC_FZ_CHECK(ngc_fz_fd >= 0, "memfd_create(): %s", strerror(errno));
        snprintf(ngc_fz_path, sizeof(ngc_fz_path), "/proc/self/fd/%d", ngc_fz_fd);
    }
    NGC_FZ_CHECK(ftruncate(ngc_fz_fd, 0) == 0, "ftruncate(): %s", strerror(errno));
    for (size_t done = 0; done < size;) {
        ssize_t n = pwrite(ngc_fz_fd, data + done, size - done, (off_t)done);
        NGC_FZ_CHECK(n > 0 || (n < 0 && errno == EINTR), "pwrite(): %s", strerror(errno));
        if (n > 0)
            done += (size_t)n;
    }
    ngc_fz_stream(data, size);
    ngc_fz_ranges(data, size);
    return 0;
}
