/*
 * test_reader.c: workers/reader.h. A file cut into byte-range tasks at any
 * point must come back as its lines, each exactly once and in order, whole
 * (the last one given a '\n'), except lines too long for a buffer, which
 * come back cut to NGC_BUF_CAP bytes. Streamed tasks: plain, gzip,
 * multi-member gzip, standard input; truncated, corrupt and missing input
 * fail with a message naming the file. Temporary files live under /tmp and
 * are removed by the group teardown, even when a test fails.
 */
#include "engine/base/ngc.h"
#include "workers/reader.h"
#include "workers/format.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

/* --- temporary files ------------------------------------------------------ */

static char ngc_t_paths[256][64];
static unsigned ngc_t_npaths;

static const char *ngc_t_tmpname(void)
{
    assert_true(ngc_t_npaths < NGC_NELEMS(ngc_t_paths));
    char *path = ngc_t_paths[ngc_t_npaths++];
    snprintf(path, sizeof(ngc_t_paths[0]), "/tmp/ngc-test-reader-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    return path;
}

static void ngc_t_write_all(int fd, const void *p, size_t len)
{
    const char *s = p;
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        assert_true(n > 0);
        s += n;
        len -= (size_t)n;
    }
}

static const char *ngc_t_file(const void *p, size_t len)
{
    const char *path = ngc_t_tmpname();
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    assert_true(fd >= 0);
    ngc_t_write_all(fd, p, len);
    close(fd);
    return path;
}

static const char *ngc_t_gzfile(const void *p, size_t len)
{
    const char *path = ngc_t_tmpname();
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    if (len > 0)
        assert_int_equal(gzwrite(gz, p, (unsigned)len), (int)len);
    assert_int_equal(gzclose(gz), Z_OK);
    return path;
}

static char *ngc_t_slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    off_t size = lseek(fd, 0, SEEK_END);
    assert_true(size >= 0);
    char *p = malloc((size_t)size + 1);
    assert_non_null(p);
    assert_int_equal(pread(fd, p, (size_t)size, 0), size);
    close(fd);
    *len = (size_t)size;
    return p;
}

static int ngc_t_cleanup(void **state)
{
    (void)state;
    for (unsigned i = 0; i < ngc_t_npaths; i++)
        unlink(ngc_t_paths[i]);
    ngc_t_npaths = 0;
    return 0;
}

/* --- reading ----------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
} ngc_t_bytes_t;

static void ngc_t_append(ngc_t_bytes_t *o, const char *p, size_t len)
{
    if (len == 0)
        return;
    if (o->len + len > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + len)
            cap *= 2;
        o->p = realloc(o->p, cap);
        assert_non_null(o->p);
        o->cap = cap;
    }
    memcpy(o->p + o->len, p, len);
    o->len += len;
}

static ngc_buf_t ngc_t_buf;

static ngc_msg_task_t ngc_t_task(ngc_task_kind_t kind, const char *path, uint64_t off, uint64_t len)
{
    ngc_msg_task_t t;
    memset(&t, 0, sizeof(t));
    t.kind = kind;
    t.offset = off;
    t.length = len;
    t.path_len = (uint32_t)strlen(path);
    memcpy(t.path, path, t.path_len);
    return t;
}

/*
 * Reads task t to its end into out: every buffer non-empty, whole lines
 * ending in '\n'; NGC_EOF stays NGC_EOF. Returns NGC_EOF or NGC_ERROR (with
 * the reader's message copied to err).
 */
/* The gzip engine under test; the gzip tests run once with each. */
static ngc_inflate_kind_t ngc_t_inflater = NGC_INFLATE_AUTO;

static int ngc_t_use_zlib(void **state)
{
    (void)state;
    ngc_t_inflater = NGC_INFLATE_ZLIB;
    return 0;
}

static int ngc_t_use_isal(void **state)
{
    (void)state;
    /* A build without ISA-L has only zlib: the same tests then run twice. */
    ngc_t_inflater = ngc_inflate_have_isal() ? NGC_INFLATE_ISAL : NGC_INFLATE_ZLIB;
    return 0;
}

/* Reads r to its end or error into out, checking every buffer is whole
 * lines; adds progress, copies an error to err. NGC_EOF or NGC_ERROR. */
static int ngc_t_drain(ngc_reader_t *r, ngc_t_bytes_t *out, uint64_t *progress, char *err,
                       size_t errcap)
{
    int rc;
    for (;;) {
        ngc_t_buf.len = 12345;
        rc = ngc_reader_next(r, &ngc_t_buf);
        if (progress)
            *progress += ngc_reader_take_progress(r);
        if (rc != NGC_OK)
            break;
        assert_true(ngc_t_buf.len > 0);
        assert_true(ngc_t_buf.len <= NGC_BUF_CAP + 1);
        assert_int_equal(ngc_t_buf.data[ngc_t_buf.len - 1], '\n');
        ngc_t_append(out, ngc_t_buf.data, ngc_t_buf.len);
    }
    if (rc == NGC_EOF) {
        assert_int_equal(ngc_t_buf.len, 0);
        assert_int_equal(ngc_reader_next(r, &ngc_t_buf), NGC_EOF);
    } else {
        assert_int_equal(rc, NGC_ERROR);
        const char *e = ngc_reader_error(r);
        assert_non_null(e);
        if (err)
            snprintf(err, errcap, "%s", e);
    }
    return rc;
}

/* ngc_t_drain over a fresh reader of task t. */
static int ngc_t_read(const ngc_msg_task_t *t, ngc_t_bytes_t *out, uint64_t *progress, char *err,
                      size_t errcap)
{
    ngc_reader_t *r = ngc_reader_new(t, -1, ngc_t_inflater);
    assert_non_null(r);
    int rc = ngc_t_drain(r, out, progress, err, errcap);
    ngc_reader_free(r);
    return rc;
}

/* The lines of content as the reader must hand them over. */
static ngc_t_bytes_t ngc_t_expected(const char *p, size_t len)
{
    ngc_t_bytes_t e = {0};
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(p + i, '\n', len - i);
        size_t l = nl ? (size_t)(nl - (p + i)) : len - i;
        ngc_t_append(&e, p + i, l < NGC_BUF_CAP ? l : NGC_BUF_CAP);
        ngc_t_append(&e, "\n", 1);
        i += l + 1;
    }
    return e;
}

static void ngc_t_same(const ngc_t_bytes_t *got, const ngc_t_bytes_t *want, const char *what)
{
    if (got->len != want->len)
        fail_msg("%s: %zu bytes, expected %zu", what, got->len, want->len);
    if (got->len == 0 || memcmp(got->p, want->p, got->len) == 0)
        return;
    size_t i = 0;
    while (got->p[i] == want->p[i])
        i++;
    fail_msg("%s: differs at byte %zu", what, i);
}

/* ngc_t_ranges' buffer, kept from call to call (freed by the teardown). */
static ngc_t_bytes_t ngc_t_got;

/* Reads the plain ranges [cuts[i], cuts[i+1]) of path in order. */
static void ngc_t_ranges(const char *path, const uint64_t *cuts, size_t ncuts,
                         const ngc_t_bytes_t *want, const char *what)
{
    /* One buffer for every call, grown to the largest: a fresh one of
     * megabytes each of hundreds of times, every page of it faulted in
     * again, was most of this test's time under AddressSanitizer. */
    ngc_t_bytes_t *got = &ngc_t_got;
    got->len = 0;
    uint64_t progress = 0;
    for (size_t i = 0; i + 1 < ncuts; i++) {
        ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_PLAIN, path, cuts[i], cuts[i + 1] - cuts[i]);
        if (ngc_t_read(&t, got, &progress, NULL, 0) != NGC_EOF)
            fail_msg("%s: task [%llu, %llu) failed", what, (unsigned long long)cuts[i],
                     (unsigned long long)cuts[i + 1]);
    }
    ngc_t_same(got, want, what);
    /* Every byte of the file is reported consumed exactly once. */
    if (progress != cuts[ncuts - 1] - cuts[0])
        fail_msg("%s: progress %llu, expected %llu", what, (unsigned long long)progress,
                 (unsigned long long)(cuts[ncuts - 1] - cuts[0]));
}

static void ngc_t_chunked(const char *path, size_t len, uint64_t chunk, const ngc_t_bytes_t *want)
{
    size_t n = len / chunk + 2;
    uint64_t *cuts = malloc(n * sizeof(*cuts));
    assert_non_null(cuts);
    size_t k = 0;
    for (uint64_t off = 0; off < len; off += chunk)
        cuts[k++] = off;
    cuts[k++] = len;
    char what[64];
    snprintf(what, sizeof(what), "chunk %llu", (unsigned long long)chunk);
    ngc_t_ranges(path, cuts, k, want, what);
    free(cuts);
}

/* Every chunk size 1..len+1, and every two-way split, empty ranges included. */
static void ngc_t_every_cut(const char *content, size_t len)
{
    const char *path = ngc_t_file(content, len);
    ngc_t_bytes_t want = ngc_t_expected(content, len);
    for (uint64_t chunk = 1; chunk <= len + 1; chunk++)
        ngc_t_chunked(path, len, chunk, &want);
    for (uint64_t s = 0; s <= len; s++) {
        uint64_t cuts[3] = {0, s, len};
        char what[64];
        snprintf(what, sizeof(what), "split at %llu", (unsigned long long)s);
        ngc_t_ranges(path, cuts, 3, &want, what);
    }
    /* The whole file streamed, too. */
    ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_STREAM, path, 0, 0);
    ngc_t_bytes_t got = {0};
    assert_int_equal(ngc_t_read(&t, &got, NULL, NULL, 0), NGC_EOF);
    ngc_t_same(&got, &want, "stream");
    free(got.p);
    free(want.p);
}

static void test_ordinary_lines(void **state)
{
    (void)state;
    const char s[] = "the\t1999\t1\t1\n"
                     "quick brown\t2000\t22\t3\n"
                     "a\t1\t1\t1\n"
                     "jumps over the lazy dog\t1850\t123456\t789\n"
                     "x\n"
                     "caf\xc3\xa9\t2001\t5\t5\n";
    ngc_t_every_cut(s, sizeof(s) - 1);
}

static void test_crlf_lines(void **state)
{
    (void)state;
    /* Ranges ending between a CR and its LF included. */
    const char s[] = "one\t1999\t1\t1\r\n"
                     "two\t2000\t2\t2\r\n"
                     "\r\n"
                     "three\t2001\t3\t3\r\n"
                     "\r\r\n";
    ngc_t_every_cut(s, sizeof(s) - 1);
}

static void test_last_line_without_newline(void **state)
{
    (void)state;
    const char s[] = "a\nbb\nccc\ndddd";
    ngc_t_every_cut(s, sizeof(s) - 1);
    ngc_t_every_cut("x", 1);
    ngc_t_every_cut("ab\r", 3);
}

static void test_empty_file(void **state)
{
    (void)state;
    const char *path = ngc_t_file("", 0);
    ngc_t_bytes_t got = {0};
    uint64_t progress = 0;
    /* An empty range, and a stream. (A range past the end is a file that
     * shrank: see test_file_shrank.) */
    ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_PLAIN, path, 0, 0);
    assert_int_equal(ngc_t_read(&t, &got, &progress, NULL, 0), NGC_EOF);
    t = ngc_t_task(NGC_TASK_MAP_STREAM, path, 0, 0);
    assert_int_equal(ngc_t_read(&t, &got, &progress, NULL, 0), NGC_EOF);
    assert_int_equal(got.len, 0);
    assert_true(progress == 0);
    /* An empty gzip member is an empty file too. */
    const char *gz = ngc_t_gzfile("", 0);
    t = ngc_t_task(NGC_TASK_MAP_STREAM, gz, 0, 0);
    assert_int_equal(ngc_t_read(&t, &got, NULL, NULL, 0), NGC_EOF);
    assert_int_equal(got.len, 0);
    free(got.p);
}

static void test_single_newline(void **state)
{
    (void)state;
    ngc_t_every_cut("\n", 1);
}

static void test_empty_lines(void **state)
{
    (void)state;
    const char s[] = "\n\n\na\n\n\nbc\n\n";
    ngc_t_every_cut(s, sizeof(s) - 1);
}

static void test_one_long_line(void **state)
{
    (void)state;
    enum { L = 300 };
    char *s = malloc(L + 1);
    assert_non_null(s);
    for (size_t i = 0; i < L; i++)
        s[i] = (char)('a' + i % 26);
    ngc_t_every_cut(s, L); /* no newline at all */
    s[L] = '\n';
    ngc_t_every_cut(s, L + 1);
    free(s);
}

static void test_line_starts(void **state)
{
    (void)state;
    /* Ranges starting exactly at each line start, and one byte either side. */
    const char s[] = "aa\nbbbb\ncccccc\nd\neeeeeeeeee\n";
    size_t len = sizeof(s) - 1;
    const char *path = ngc_t_file(s, len);
    ngc_t_bytes_t want = ngc_t_expected(s, len);
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && s[i - 1] != '\n')
            continue;
        uint64_t starts[] = {i, i + 1, i > 0 ? i - 1 : 0};
        for (size_t j = 0; j < NGC_NELEMS(starts); j++) {
            /* [0, start) then [start, len), and [start, next line start). */
            uint64_t cuts[] = {0, starts[j], len};
            ngc_t_ranges(path, cuts, 3, &want, "line start");
        }
        /* The range of exactly one line owns exactly that line. */
        const char *nl = memchr(s + i, '\n', len - i);
        size_t end = (size_t)(nl - s) + 1;
        ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_PLAIN, path, i, end - i);
        ngc_t_bytes_t got = {0};
        assert_int_equal(ngc_t_read(&t, &got, NULL, NULL, 0), NGC_EOF);
        assert_int_equal(got.len, end - i);
        assert_memory_equal(got.p, s + i, end - i);
        free(got.p);
    }
    free(want.p);
}

/*
 * Lines longer than NGC_LINE_MAX: those that fit in a buffer come back
 * whole (the parser rejects them); longer ones come back as their first
 * NGC_BUF_CAP bytes and a '\n', and the rest is skipped. The lines after
 * them must still come through exactly once, whatever the cuts.
 */
static void test_lines_longer_than_max(void **state)
{
    (void)state;
    const size_t cap = NGC_BUF_CAP;
    const size_t lens[] = {cap + 1000, NGC_LINE_MAX + 5, cap, cap - 1, cap + 1};
    ngc_t_bytes_t c = {0};
    uint64_t starts[16];
    size_t nstarts = 0;
    ngc_t_append(&c, "first\t1999\t1\t1\n", 15);
    char *fill = malloc(2 * cap + 64);
    assert_non_null(fill);
    for (size_t k = 0; k < NGC_NELEMS(lens); k++) {
        for (size_t i = 0; i < lens[k]; i++)
            fill[i] = (char)('A' + (i + k) % 23);
        starts[nstarts++] = c.len;
        ngc_t_append(&c, fill, lens[k]);
        ngc_t_append(&c, "\n", 1);
        starts[nstarts++] = c.len;
        ngc_t_append(&c, "after\t2000\t2\t2\n", 15);
    }
    /* And a final long line without a newline. */
    starts[nstarts++] = c.len;
    for (size_t i = 0; i < 2 * cap + 7; i++)
        fill[i] = (char)('a' + i % 19);
    ngc_t_append(&c, fill, 2 * cap + 7);
    free(fill);

    const char *path = ngc_t_file(c.p, c.len);
    ngc_t_bytes_t want = ngc_t_expected(c.p, c.len);
    /* The cut really happens: the expected output is shorter than the file. */
    assert_true(want.len < c.len);

    uint64_t one[] = {0, c.len};
    ngc_t_ranges(path, one, 2, &want, "whole file");
    const uint64_t chunks[] = {
        NGC_READ_BLOCK - 1, NGC_READ_BLOCK, NGC_READ_BLOCK + 1, NGC_LINE_MAX, cap - 1, cap, cap + 1,
        65536 + 3,          c.len - 1};
    for (size_t i = 0; i < NGC_NELEMS(chunks); i++)
        ngc_t_chunked(path, c.len, chunks[i], &want);
    /* Two-way splits at and around every line start and buffer-size offset. */
    const int64_t deltas[] = {-1, 0, 1};
    for (size_t i = 0; i < nstarts; i++)
        for (size_t d = 0; d < NGC_NELEMS(deltas); d++) {
            const uint64_t bases[] = {starts[i], starts[i] + NGC_READ_BLOCK, starts[i] + cap};
            for (size_t b = 0; b < NGC_NELEMS(bases); b++) {
                int64_t s = (int64_t)bases[b] + deltas[d];
                if (s < 0 || (uint64_t)s > c.len)
                    continue;
                uint64_t cuts[] = {0, (uint64_t)s, c.len};
                char what[64];
                snprintf(what, sizeof(what), "long lines, split at %lld", (long long)s);
                ngc_t_ranges(path, cuts, 3, &want, what);
            }
        }
    /* Streamed, plain and gzip. */
    ngc_t_bytes_t got = {0};
    ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_STREAM, path, 0, 0);
    assert_int_equal(ngc_t_read(&t, &got, NULL, NULL, 0), NGC_EOF);
    ngc_t_same(&got, &want, "long lines, stream");
    got.len = 0;
    const char *gz = ngc_t_gzfile(c.p, c.len);
    t = ngc_t_task(NGC_TASK_MAP_STREAM, gz, 0, 0);
    assert_int_equal(ngc_t_read(&t, &got, NULL, NULL, 0), NGC_EOF);
    ngc_t_same(&got, &want, "long lines, gzip");
    free(got.p);
    free(want.p);
    free(c.p);
}

/* --- streams and gzip --------------------------------------------------- */

static ngc_t_bytes_t ngc_t_corpus(size_t nlines, uint64_t seed)
{
    static const char words[] = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz";
    ngc_t_bytes_t c = {0};
    uint64_t x = seed;
    char line[128];
    for (size_t i = 0; i < nlines; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int n = snprintf(line, sizeof(line), "w%llu %.*s\t%u\t%llu\t%u\n",
                         (unsigned long long)(x % 5000), (int)(x >> 58), words,
                         1500 + (unsigned)(x >> 20) % 500, (unsigned long long)(x >> 30) % 100000,
                         (unsigned)(x >> 44) % 100);
        ngc_t_append(&c, line, (size_t)n);
    }
    return c;
}

static void test_gzip_stream(void **state)
{
    (void)state;
    /* Several inflate buffers and read blocks worth of lines. */
    ngc_t_bytes_t c = ngc_t_corpus(150000, 7);
    assert_true(c.len > 3 * NGC_READ_BLOCK);
    const char *gz = ngc_t_gzfile(c.p, c.len);
    ngc_t_bytes_t want = ngc_t_expected(c.p, c.len);
    ngc_t_bytes_t got = {0};
    uint64_t progress = 0;
    ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_STREAM, gz, 0, 0);
    assert_int_equal(ngc_t_read(&t, &got, &progress, NULL, 0), NGC_EOF);
    ngc_t_same(&got, &want, "gzip");
    /* Progress counts the compressed bytes. */
    size_t gzlen;
    free(ngc_t_slurp(gz, &gzlen));
    assert_true(progress == gzlen);
    /* The same content as a plain file, streamed and in ranges. */
    const char *plain = ngc_t_file(c.p, c.len);
    got.len = 0;
    t = ngc_t_task(NGC_TASK_MAP_STREAM, plain, 0, 0);
    assert_int_equal(ngc_t_read(&t, &got, NULL, NULL, 0), NGC_EOF);
    ngc_t_same(&got, &want, "plain stream");
    ngc_t_chunked(plain, c.len, 1000003, &want);
    ngc_t_chunked(plain, c.len, 8 << 20, &want);
    free(got.p);
    free(want.p);
    free(c.p);
}

static void test_gzip_small_and_unterminated(void **state)
{
    (void)state;
    const char s[] = "a\t1\t1\t1\r\nbb\n\nlast line without newline";
    const char *gz = ngc_t_gzfile(s, sizeof(s) - 1);
    ngc_t_bytes_t want = ngc_t_expected(s, sizeof(s) - 1);
    ngc_t_bytes_t got = {0};
    ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_STREAM, gz, 0, 0);
    assert_int_equal(ngc_t_read(&t, &got, NULL, NULL, 0), NGC_EOF);
    ngc_t_same(&got, &want, "small gzip");
    free(got.p);
    free(want.p);
}

static void test_gzip_two_members(void **state)
{
    (void)state;
    /* cat a.gz b.gz: the content is a's bytes then b's, even mid-line. */
    const char *parts[][3] = {
        {"one\t1\t1\t1\ntwo\t2\t2\t2\n", "three\t3\t3\t3\n", NULL},
        {"no newline at the end of a ", "member\nnext\n", NULL},
        {"x\n", "", "y\n"}, /* an empty member in the middle */
    };
    for (size_t i = 0; i < NGC_NELEMS(parts); i++) {
        ngc_t_bytes_t plain = {0}, gzcat = {0};
        for (size_t j = 0; j < 3 && parts[i][j] != NULL; j++) {
            size_t len = strlen(parts[i][j]);
            ngc_t_append(&plain, parts[i][j], len);
            const char *gz = ngc_t_gzfile(parts[i][j], len);
            size_t gzlen;
            char *bytes = ngc_t_slurp(gz, &gzlen);
            ngc_t_append(&gzcat, bytes, gzlen);
            free(bytes);
        }
        const char *path = ngc_t_file(gzcat.p, gzcat.len);
        ngc_t_bytes_t want = ngc_t_expected(plain.p, plain.len);
        ngc_t_bytes_t got = {0};
        ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_STREAM, path, 0, 0);
        assert_int_equal(ngc_t_read(&t, &got, NULL, NULL, 0), NGC_EOF);
        ngc_t_same(&got, &want, "two members");
        free(got.p);
        free(want.p);
        free(plain.p);
        free(gzcat.p);
    }
    /* Two large members, each spanning several input reads. */
    ngc_t_bytes_t a = ngc_t_corpus(40000, 11), b = ngc_t_corpus(40000, 12);
    const char *ga = ngc_t_gzfile(a.p, a.len), *gb = ngc_t_gzfile(b.p, b.len);
    size_t la, lb;
    char *ba = ngc_t_slurp(ga, &la), *bb = ngc_t_slurp(gb, &lb);
    ngc_t_bytes_t cat = {0}, plain = {0};
    ngc_t_append(&cat, ba, la);
    ngc_t_append(&cat, bb, lb);
    ngc_t_append(&plain, a.p, a.len);
    ngc_t_append(&plain, b.p, b.len);
    const char *path = ngc_t_file(cat.p, cat.len);
    ngc_t_bytes_t want = ngc_t_expected(plain.p, plain.len), got = {0};
    ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_STREAM, path, 0, 0);
    assert_int_equal(ngc_t_read(&t, &got, NULL, NULL, 0), NGC_EOF);
    ngc_t_same(&got, &want, "two large members");
    free(got.p);
    free(want.p);
    free(plain.p);
    free(cat.p);
    free(ba);
    free(bb);
    free(a.p);
    free(b.p);
}

static void ngc_t_expect_fail(const char *path, const char *what)
{
    ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_STREAM, path, 0, 0);
    ngc_t_bytes_t got = {0};
    char err[NGC_MSG_TEXT_MAX];
    int rc = ngc_t_read(&t, &got, NULL, err, sizeof(err));
    if (rc != NGC_ERROR)
        fail_msg("%s: read to the end without an error", what);
    if (strstr(err, path) == NULL)
        fail_msg("%s: message \"%s\" does not name '%s'", what, err, path);
    free(got.p);
}

static void test_gzip_truncated(void **state)
{
    (void)state;
    ngc_t_bytes_t c = ngc_t_corpus(30000, 3);
    const char *gz = ngc_t_gzfile(c.p, c.len);
    size_t gzlen;
    char *bytes = ngc_t_slurp(gz, &gzlen);
    /* Inside the header, the deflate data, and the 8-byte trailer. */
    const size_t cuts[] = {2,         5,         10,        11,        gzlen / 3,
                           gzlen / 2, gzlen - 9, gzlen - 8, gzlen - 4, gzlen - 1};
    for (size_t i = 0; i < NGC_NELEMS(cuts); i++) {
        const char *path = ngc_t_file(bytes, cuts[i]);
        char what[64];
        snprintf(what, sizeof(what), "gzip cut to %zu of %zu bytes", cuts[i], gzlen);
        ngc_t_expect_fail(path, what);
    }
    /* A complete member followed by a cut one. */
    ngc_t_bytes_t two = {0};
    ngc_t_append(&two, bytes, gzlen);
    ngc_t_append(&two, bytes, gzlen / 2);
    ngc_t_expect_fail(ngc_t_file(two.p, two.len), "second member cut");
    free(two.p);
    free(bytes);
    free(c.p);
}

static void test_gzip_corrupt(void **state)
{
    (void)state;
    ngc_t_bytes_t c = ngc_t_corpus(30000, 5);
    const char *gz = ngc_t_gzfile(c.p, c.len);
    size_t gzlen;
    char *bytes = ngc_t_slurp(gz, &gzlen);
    /* Flipped bits in the deflate data, the CRC and the length. */
    const size_t at[] = {12, gzlen / 4, gzlen / 2, gzlen - 6, gzlen - 2};
    for (size_t i = 0; i < NGC_NELEMS(at); i++) {
        char *bad = malloc(gzlen);
        assert_non_null(bad);
        memcpy(bad, bytes, gzlen);
        bad[at[i]] ^= 0x5a;
        char what[64];
        snprintf(what, sizeof(what), "gzip with byte %zu of %zu corrupt", at[i], gzlen);
        ngc_t_expect_fail(ngc_t_file(bad, gzlen), what);
        free(bad);
    }
    /* Found by fuzz_gzip: reserved header flags (RFC 1952), which ISA-L
     * alone would accept (tests/fuzz/crashes/fuzz_gzip). */
    const char flags[] = "\x1f\x8b\x08\x20\0\0\0\0\0\x03\x03\0\0\0\0\0\0\0\0\0";
    ngc_t_expect_fail(ngc_t_file(flags, sizeof(flags) - 1), "reserved header flags");
    /* Gzip magic followed by garbage. */
    const char junk[] = "\x1f\x8bthis is not deflate data at all\n";
    ngc_t_expect_fail(ngc_t_file(junk, sizeof(junk) - 1), "gzip magic and junk");
    /* Garbage after a complete member. */
    ngc_t_bytes_t tail = {0};
    ngc_t_append(&tail, bytes, gzlen);
    ngc_t_append(&tail, "garbage\n", 8);
    ngc_t_expect_fail(ngc_t_file(tail.p, tail.len), "junk after a member");
    free(tail.p);
    free(bytes);
    free(c.p);
}

/*
 * After the last member: zero bytes to the end are padding (tape blocks;
 * gzip -t accepts them), read as the end of the file; anything else is
 * trailing garbage, named as such. Padding was refused as "incorrect
 * header check".
 */
static void test_gzip_trailing(void **state)
{
    (void)state;
    ngc_t_bytes_t c = ngc_t_corpus(30000, 9);
    const char *gz = ngc_t_gzfile(c.p, c.len);
    size_t gzlen;
    char *bytes = ngc_t_slurp(gz, &gzlen);
    ngc_t_bytes_t want = ngc_t_expected(c.p, c.len);
    /* 1 byte, a tape block, and more than one read of zeros. */
    const size_t pads[] = {1, 2, 511, 10240, 300000};
    for (size_t i = 0; i < NGC_NELEMS(pads); i++) {
        ngc_t_bytes_t f = {0};
        ngc_t_append(&f, bytes, gzlen);
        char *zeros = calloc(1, pads[i]);
        assert_non_null(zeros);
        ngc_t_append(&f, zeros, pads[i]);
        free(zeros);
        const char *path = ngc_t_file(f.p, f.len);
        ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_STREAM, path, 0, 0);
        ngc_t_bytes_t got = {0};
        char err[NGC_MSG_TEXT_MAX] = "";
        if (ngc_t_read(&t, &got, NULL, err, sizeof(err)) != NGC_EOF)
            fail_msg("%zu zero bytes after the member: %s", pads[i], err);
        ngc_t_same(&got, &want, "zero padding");
        free(got.p);
        free(f.p);
    }
    /* Not zeros: garbage, also after padding, and a second member after
     * padding (gzip itself ignores what follows the zeros). */
    const struct {
        const char *tail;
        size_t len;
    } bad[] = {{"garbage\n", 8},
               {"\0\0\0x", 4},
               {"\x1f\x00", 2},
               {"\x8b", 1},
               {"\0\x1f\x8b\x08", 4}};
    for (size_t i = 0; i < NGC_NELEMS(bad); i++) {
        ngc_t_bytes_t f = {0};
        ngc_t_append(&f, bytes, gzlen);
        ngc_t_append(&f, bad[i].tail, bad[i].len);
        const char *path = ngc_t_file(f.p, f.len);
        ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_STREAM, path, 0, 0);
        ngc_t_bytes_t got = {0};
        char err[NGC_MSG_TEXT_MAX] = "";
        assert_int_equal(ngc_t_read(&t, &got, NULL, err, sizeof(err)), NGC_ERROR);
        char say[NGC_MSG_TEXT_MAX + 64];
        snprintf(say, sizeof(say), "%s: trailing garbage after gzip data", path);
        if (strcmp(err, say) != 0)
            fail_msg("tail %zu: message \"%s\"", i, err);
        free(got.p);
        free(f.p);
    }
    free(want.p);
    free(bytes);
    free(c.p);
}

static void test_missing_file(void **state)
{
    (void)state;
    const char *path = ngc_t_tmpname();
    unlink(path);
    ngc_t_expect_fail(path, "missing file, stream");
    ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_PLAIN, path, 0, 100);
    ngc_t_bytes_t got = {0};
    char err[NGC_MSG_TEXT_MAX];
    assert_int_equal(ngc_t_read(&t, &got, NULL, err, sizeof(err)), NGC_ERROR);
    assert_non_null(strstr(err, path));
    t = ngc_t_task(NGC_TASK_MAP_PLAIN, path, 50, 100);
    assert_int_equal(ngc_t_read(&t, &got, NULL, err, sizeof(err)), NGC_ERROR);
    assert_non_null(strstr(err, path));
    assert_int_equal(got.len, 0);
    free(got.p);
    ngc_reader_free(NULL);
}

/* A range the file no longer reaches: the file shrank after the plan
 * sized it, and counting less would be a wrong total. */
static void test_file_shrank(void **state)
{
    (void)state;
    ngc_t_bytes_t c = ngc_t_corpus(100, 5);
    const char *path = ngc_t_file(c.p, c.len);
    const uint64_t ranges[][2] = {{0, c.len + 1}, {c.len / 2, c.len}, {0, 8 << 20}, {10, c.len}};
    for (size_t i = 0; i < NGC_NELEMS(ranges); i++) {
        ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_PLAIN, path, ranges[i][0], ranges[i][1]);
        ngc_t_bytes_t got = {0};
        char err[NGC_MSG_TEXT_MAX];
        assert_int_equal(ngc_t_read(&t, &got, NULL, err, sizeof(err)), NGC_ERROR);
        if (strstr(err, path) == NULL || strstr(err, "shrank") == NULL)
            fail_msg("range %zu: \"%s\"", i, err);
        free(got.p);
    }
    /* Exactly the file: no error. */
    ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_PLAIN, path, 0, c.len);
    ngc_t_bytes_t got = {0};
    assert_int_equal(ngc_t_read(&t, &got, NULL, NULL, 0), NGC_EOF);
    ngc_t_bytes_t want = ngc_t_expected(c.p, c.len);
    ngc_t_same(&got, &want, "whole file");
    free(got.p);
    free(want.p);
    free(c.p);
}

/* A task whose input came with it reads that descriptor and never opens
 * its path (here a name that does not exist); the head of a plain range
 * task's file is read through it too. */
static void test_descriptor_given(void **state)
{
    (void)state;
    ngc_t_bytes_t c = ngc_t_corpus(3000, 9);
    const char *real = ngc_t_file(c.p, c.len);
    const char *gone = "/nonexistent/ngc-test-input";
    ngc_t_bytes_t want = ngc_t_expected(c.p, c.len);
    ngc_task_kind_t kinds[] = {NGC_TASK_MAP_PLAIN, NGC_TASK_MAP_STREAM};
    for (size_t i = 0; i < NGC_NELEMS(kinds); i++) {
        int fd = open(real, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        ngc_msg_task_t t = ngc_t_task(kinds[i], gone, 0,
                                      kinds[i] == NGC_TASK_MAP_PLAIN ? c.len : 0);
        t.flags = NGC_TASK_FD;
        ngc_reader_t *r = ngc_reader_new(&t, fd, ngc_t_inflater);
        assert_non_null(r);
        ngc_t_bytes_t got = {0};
        char err[256] = "";
        if (ngc_t_drain(r, &got, NULL, err, sizeof(err)) != NGC_EOF)
            fail_msg("kind %d: %s", (int)kinds[i], err);
        ngc_t_same(&got, &want, i == 0 ? "given, plain" : "given, stream");
        char head[100];
        size_t n = 0;
        bool whole = true;
        if (kinds[i] == NGC_TASK_MAP_PLAIN) {
            assert_int_equal(ngc_reader_head(r, head, sizeof(head), &n, &whole), NGC_OK);
            assert_int_equal(n, sizeof(head));
            assert_false(whole);
            assert_memory_equal(head, c.p, sizeof(head));
        }
        ngc_reader_free(r);
        /* The reader closed it. */
        assert_true(fcntl(fd, F_GETFD) < 0);
        free(got.p);
    }
    free(want.p);
    free(c.p);
}

/* Through a pipe whose writer pauses after its first line, the first buffer
 * still holds every line of the format detection window (the first
 * NGC_FORMAT_HEAD bytes), as a file's does: a stream's format is told from
 * the same lines. */
static void test_stream_first_buffer(void **state)
{
    (void)state;
    ngc_t_bytes_t c = ngc_t_corpus(20000, 11);
    assert_true(c.len > 2 * NGC_FORMAT_HEAD);
    const char *nl = memchr(c.p, '\n', c.len);
    size_t first = (size_t)(nl + 1 - c.p);
    const char *last = memrchr(c.p, '\n', NGC_FORMAT_HEAD);
    size_t window = (size_t)(last + 1 - c.p);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        if (write(pfd[1], c.p, first) != (ssize_t)first)
            _exit(1);
        usleep(200000); /* the reader has read the first line by now */
        for (size_t done = first; done < c.len;) {
            ssize_t n = write(pfd[1], c.p + done, c.len - done);
            if (n <= 0)
                _exit(1);
            done += (size_t)n;
        }
        _exit(0);
    }
    close(pfd[1]);
    ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_STREAM, "pipe", 0, 0);
    t.flags = NGC_TASK_FD;
    ngc_reader_t *r = ngc_reader_new(&t, pfd[0], ngc_t_inflater);
    assert_non_null(r);
    ngc_t_bytes_t got = {0};
    int rc;
    for (unsigned k = 0; (rc = ngc_reader_next(r, &ngc_t_buf)) == NGC_OK; k++) {
        if (k == 0 && ngc_t_buf.len < window)
            fail_msg("first buffer of %zu bytes, the window's lines end at %zu", ngc_t_buf.len,
                     window);
        ngc_t_append(&got, ngc_t_buf.data, ngc_t_buf.len);
    }
    assert_int_equal(rc, NGC_EOF);
    ngc_reader_free(r);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ngc_t_bytes_t want = ngc_t_expected(c.p, c.len);
    ngc_t_same(&got, &want, "pipe");
    /* Shorter than the window: all of it, at EOF. */
    assert_int_equal(pipe(pfd), 0);
    ngc_t_write_all(pfd[1], c.p, 1000);
    close(pfd[1]);
    r = ngc_reader_new(&t, pfd[0], ngc_t_inflater);
    assert_non_null(r);
    assert_int_equal(ngc_reader_next(r, &ngc_t_buf), NGC_OK);
    assert_true(ngc_t_buf.len >= 1000);
    ngc_reader_free(r);
    free(want.p);
    free(got.p);
    free(c.p);
}

/* Standard input, plain and gzip: fd 0 is swapped for a file meanwhile. */
static void test_stdin(void **state)
{
    (void)state;
    const char s[] = "from\t1\t1\t1\nstandard input\t2\t2\t2\nno newline";
    const char *paths[] = {ngc_t_file(s, sizeof(s) - 1), ngc_t_gzfile(s, sizeof(s) - 1)};
    ngc_t_bytes_t want = ngc_t_expected(s, sizeof(s) - 1);
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    for (size_t i = 0; i < NGC_NELEMS(paths); i++) {
        int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
        close(fd);
        ngc_msg_task_t t = ngc_t_task(NGC_TASK_MAP_STDIN, "", 0, 0);
        ngc_t_bytes_t got = {0};
        int rc = ngc_t_read(&t, &got, NULL, NULL, 0);
        /* The reader must leave fd 0 open. */
        int still_open = fcntl(STDIN_FILENO, F_GETFD) >= 0;
        dup2(saved, STDIN_FILENO);
        assert_int_equal(rc, NGC_EOF);
        assert_true(still_open);
        ngc_t_same(&got, &want, i == 0 ? "stdin plain" : "stdin gzip");
        free(got.p);
    }
    close(saved);
    free(want.p);
}

static int ngc_t_teardown(void **state)
{
    ngc_buf_fini(&ngc_t_buf);
    free(ngc_t_got.p);
    return ngc_t_cleanup(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordinary_lines),
        cmocka_unit_test(test_crlf_lines),
        cmocka_unit_test(test_last_line_without_newline),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_single_newline),
        cmocka_unit_test(test_empty_lines),
        cmocka_unit_test(test_one_long_line),
        cmocka_unit_test(test_line_starts),
        cmocka_unit_test(test_lines_longer_than_max),
        cmocka_unit_test_setup(test_gzip_stream, ngc_t_use_zlib),
        cmocka_unit_test_setup(test_gzip_small_and_unterminated, ngc_t_use_zlib),
        cmocka_unit_test_setup(test_gzip_two_members, ngc_t_use_zlib),
        cmocka_unit_test_setup(test_gzip_truncated, ngc_t_use_zlib),
        cmocka_unit_test_setup(test_gzip_corrupt, ngc_t_use_zlib),
        cmocka_unit_test_setup(test_gzip_trailing, ngc_t_use_zlib),
        cmocka_unit_test_setup(test_gzip_stream, ngc_t_use_isal),
        cmocka_unit_test_setup(test_gzip_small_and_unterminated, ngc_t_use_isal),
        cmocka_unit_test_setup(test_gzip_two_members, ngc_t_use_isal),
        cmocka_unit_test_setup(test_gzip_truncated, ngc_t_use_isal),
        cmocka_unit_test_setup(test_gzip_corrupt, ngc_t_use_isal),
        cmocka_unit_test_setup(test_gzip_trailing, ngc_t_use_isal),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_file_shrank),
        cmocka_unit_test_setup(test_descriptor_given, ngc_t_use_zlib),
        cmocka_unit_test_setup(test_stream_first_buffer, ngc_t_use_zlib),
        cmocka_unit_test(test_stdin),
    };
    return cmocka_run_group_tests(tests, NULL, ngc_t_teardown);
}
