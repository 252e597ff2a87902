/*
 * make-seeds.c: writes the seed corpora of the fuzz harnesses,
 * OUT/fuzz_parse, OUT/fuzz_gzip and OUT/fuzz_msg, from the sample dataset
 * and hand-written cases. Byte-for-byte reproducible (gzip headers carry no
 * time). The seeds are committed under tests/fuzz/corpus; run this again
 * only to change them:
 *     make-seeds datasets/sample-1gram.tsv tests/fuzz/corpus
 */
#include "engine/base/ngc.h"
#include "engine/ipc/msg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <zlib.h>

static const char *ngc_seed_dir;
static unsigned ngc_seed_files;
static size_t ngc_seed_bytes;

static void ngc_seed_die(const char *what, const char *name)
{
    fprintf(stderr, "make-seeds: %s '%s': %s\n", what, name, strerror(errno));
    exit(1);
}

static void ngc_seed_write(const char *harness, const char *name, const void *p, size_t len)
{
    char path[4096];
    /* A path cut short would write somewhere else. */
    int n = snprintf(path, sizeof(path), "%s/%s", ngc_seed_dir, harness);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        errno = ENAMETOOLONG;
        ngc_seed_die("cannot create", ngc_seed_dir);
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        ngc_seed_die("cannot create", path);
    n = snprintf(path, sizeof(path), "%s/%s/%s", ngc_seed_dir, harness, name);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        errno = ENAMETOOLONG;
        ngc_seed_die("cannot create", ngc_seed_dir);
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        ngc_seed_die("cannot create", path);
    if ((len > 0 && fwrite(p, 1, len, f) != len) || fclose(f) != 0)
        ngc_seed_die("cannot write", path);
    ngc_seed_files++;
    ngc_seed_bytes += len;
}

/* --- fuzz_parse: an options byte, then v2 text ---------------------------- */

static void ngc_seed_parse(const char *name, uint8_t opt, const char *text, size_t len)
{
    char *p = malloc(len + 1);
    if (p == NULL)
        ngc_seed_die("cannot allocate", name);
    p[0] = (char)opt;
    memcpy(p + 1, text, len);
    ngc_seed_write("fuzz_parse", name, p, len + 1);
    free(p);
}

/* Lines [first, first + n) of the sample. */
static size_t ngc_seed_lines(const char *s, size_t slen, size_t first, size_t n, const char **out)
{
    const char *p = s, *end = s + slen;
    for (size_t i = 0; i < first && p < end; i++)
        p = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
    const char *q = p;
    for (size_t i = 0; i < n && q < end; i++)
        q = (const char *)memchr(q, '\n', (size_t)(end - q)) + 1;
    *out = p;
    return (size_t)(q - p);
}

/* The same text with CRLF line ends. */
static char *ngc_seed_crlf(const char *s, size_t len, size_t *out_len)
{
    char *p = malloc(len * 2 + 1);
    size_t n = 0;
    if (p == NULL)
        ngc_seed_die("cannot allocate", "crlf");
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            p[n++] = '\r';
        p[n++] = s[i];
    }
    *out_len = n;
    return p;
}

static void ngc_seed_parse_all(const char *sample, size_t slen)
{
    const char *p;
    size_t n;
    /* The sample's head, middle (words with and without tags) and tail,
     * under each option. */
    n = ngc_seed_lines(sample, slen, 0, 24, &p);
    ngc_seed_parse("sample-head", 0x00, p, n);
    ngc_seed_parse("sample-head-fold", 0x04, p, n);
    ngc_seed_parse("sample-head-years", 0x20, p, n);
    ngc_seed_parse("sample-head-each-line", 0x80, p, n);
    size_t crlf_len;
    char *crlf = ngc_seed_crlf(p, n, &crlf_len);
    ngc_seed_parse("sample-head-crlf", 0x00, crlf, crlf_len);
    ngc_seed_parse("sample-head-crlf-no-final-newline", 0x08, crlf, crlf_len - 2);
    free(crlf);
    ngc_seed_parse("sample-head-no-final-newline", 0x00, p, n - 1);
    n = ngc_seed_lines(sample, slen, 5000, 40, &p);
    ngc_seed_parse("sample-middle", 0x00, p, n);
    ngc_seed_parse("sample-middle-strip", 0x02, p, n);
    ngc_seed_parse("sample-middle-drop-fold", 0x05, p, n);
    n = ngc_seed_lines(sample, slen, 27516 - 30, 30, &p);
    ngc_seed_parse("sample-tail-strip", 0x02, p, n);
    ngc_seed_parse("sample-tail-drop", 0x01, p, n);
    ngc_seed_parse("sample-tail-strict-years", 0x38, p, n);

    /* Malformed lines of every kind, between good ones of one run. */
    static const char bad[] = "a\t1999\t1\t2\n"
                              "a\t1999\t1\n"       /* 3 fields */
                              "a\t1999\t1\t2\t3\n" /* 5 fields */
                              "a\t1999\t1\t2\t\n"
                              "\n"
                              "\r\n"
                              "a 1999 1 2\n"
                              "\t1999\t1\t2\n" /* empty ngram */
                              "a\tx\t1\t1\n"   /* not numbers */
                              "a\t1999\t1x\t1\n"
                              "a\t1999\t1.5\t1\n"
                              "a\t1999\t+1\t1\n"
                              "a\t1999\t\t1\n"
                              "a\t1999\t1\t\n"
                              "a\t1999\r\t1\t1\n"
                              "a\t1999\t1\t1\r\r\n"
                              "a\t1999\t-\t1\n"
                              "a\t1999\t-1\t1\n" /* negative */
                              "a\t-1999\t1\t1\n"
                              "a\t1999\t-0\t1\n"
                              "a\t1999\t18446744073709551616\t1\n" /* over 2^64-1 */
                              "a\t1999\t1\t99999999999999999999\n"
                              "a\t0\t1\t1\n" /* year */
                              "a\t10000\t1\t1\n"
                              "a\t00010000\t1\t1\n"
                              "a\t4294969295\t1\t1\n"
                              "a\t2000\t3\t4\n";
    ngc_seed_parse("malformed", 0x00, bad, sizeof(bad) - 1);
    ngc_seed_parse("malformed-strict", 0x08, bad, sizeof(bad) - 1);
    ngc_seed_parse("malformed-each-line", 0x80, bad, sizeof(bad) - 1);

    static const char numbers[] = "n\t0999\t007\t0010\n"
                                  "n\t00001999\t08\t09\n"
                                  "n\t1\t0\t0\n"
                                  "n\t9999\t18446744073709551615\t1\n"
                                  "o\t2000\t0018446744073709551615\t18446744073709551615\n"
                                  "p\t2000\t9999999\t99999999\n"
                                  "p\t2001\t12345678\t1234567\r\n"
                                  "p\t2002\t1234567890123456789\t9999999999999999999\n"
                                  "q\t2000\t1\t1";
    ngc_seed_parse("numbers", 0x00, numbers, sizeof(numbers) - 1);
    static const char overflow[] = "big\t1999\t18446744073709551615\t1\n"
                                   "big\t2000\t1\t1\n";
    ngc_seed_parse("overflow-run", 0x00, overflow, sizeof(overflow) - 1);
    static const char overflow_map[] = "big\t1999\t18446744073709551615\t1\n"
                                       "other\t2000\t1\t1\n"
                                       "big\t2000\t1\t1\n";
    ngc_seed_parse("overflow-map", 0x00, overflow_map, sizeof(overflow_map) - 1);
    ngc_seed_parse("overflow-map-strict", 0x08, overflow_map, sizeof(overflow_map) - 1);

    static const char pos[] = "run_VERB\t2000\t5\t3\n"
                              "run_VERB\t2001\t1\t1\n"
                              "run_NOUN\t2000\t2\t2\n"
                              "run\t2000\t7\t7\n"
                              "_NOUN_\t2000\t1\t1\n"
                              "_START_ the_DET\t1900\t4\t4\n"
                              "the_DET cat_NOUN\t1950\t3\t2\n"
                              "the cat_NOUN\t1950\t3\t2\n"
                              "_ROOT_\t1950\t1\t1\n"
                              "a_X b_.\t1950\t1\t1\n"
                              "_NOUN\t1950\t1\t1\n"
                              "x__NOUN\t1950\t1\t1\n"
                              "a  b_ADJ\t1950\t1\t1\n"
                              "a_b_ADV\t1950\t1\t1\n"
                              "END_\t1950\t1\t1\n";
    ngc_seed_parse("pos-keep", 0x00, pos, sizeof(pos) - 1);
    ngc_seed_parse("pos-drop", 0x01, pos, sizeof(pos) - 1);
    ngc_seed_parse("pos-strip", 0x02, pos, sizeof(pos) - 1);
    ngc_seed_parse("pos-strip-fold", 0x06, pos, sizeof(pos) - 1);

    static const char fold[] = "The\t2000\t1\t1\n"
                               "THE\t2000\t2\t1\n"
                               "the\t2000\t3\t1\n"
                               "Stra\xc3\x9f"
                               "e\t2000\t1\t1\n"
                               "STRASSE\t2000\t1\t1\n"
                               "\xc3\x89"
                               "COLE\t2000\t1\t1\n"
                               "\xc3\xa9"
                               "cole\t2000\t1\t1\n"
                               "\xc4\xb0stanbul\t2000\t1\t1\n"
                               "\xce\xa3\xce\x99\xce\xa3\t2000\t1\t1\n"
                               "caf\xc3\xa9 \xff\xfe\t2000\t3\t1\n"
                               "\xed\xa0\x80\t2000\t1\t1\n"
                               "\xef\xac\x80_NOUN\t2000\t1\t1\n"
                               "\xe9\xab\x98\t1999\t22039626\t195565\n"
                               "\xe9\xab\x98_NUM\t1953\t19278553\t78648\n";
    ngc_seed_parse("fold", 0x04, fold, sizeof(fold) - 1);
    ngc_seed_parse("fold-strip", 0x06, fold, sizeof(fold) - 1);
    ngc_seed_parse("fold-keep", 0x00, fold, sizeof(fold) - 1);

    /* Lines whose fields straddle the 16- and 24-byte vector steps. */
    static const char vec[] = "abcdefghijklmno\t2000\t1\t1\n"
                              "abcdefghijklmno\t2000\t12345678\t87654321\n"
                              "abcdefghijklmnop\t2000\t1\t1\n"
                              "abcdefghijklmnopq\t2000\t1\t1\n"
                              "k\t1\t1\t1\nk\t22\t22\t22\nk\t333\t333\t333\nk\t4444\t4444\t4444\n"
                              "k\t1999\t123456789\t1\n"
                              "k\t1999\t1\t123456789\n"
                              "k\t12345\t1\t1\n"
                              "k\t1999\t1\t1\t\n"
                              "k\t1999\t1\t1\n";
    ngc_seed_parse("vector-steps", 0x00, vec, sizeof(vec) - 1);
    ngc_seed_parse("vector-steps-each-line", 0x80, vec, sizeof(vec) - 1);
    ngc_seed_parse("nul-bytes", 0x00, "a\0b\t2000\t1\t1\n\0\t1\t1\t1\n", 24);
    ngc_seed_parse("one-newline", 0x00, "\n", 1);
}

/* --- fuzz_gzip: gzip and plain files -------------------------------------- */

typedef struct {
    unsigned char *p;
    size_t len, cap;
} ngc_seed_buf_t;

static void ngc_seed_put(ngc_seed_buf_t *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (b->p == NULL)
            ngc_seed_die("cannot allocate", "gzip");
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* Appends one gzip member of text; header fields when `fancy`. */
static void ngc_seed_gzip(ngc_seed_buf_t *out, const void *text, size_t len, int level, bool fancy)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        ngc_seed_die("deflateInit2() failed for", "gzip");
    gz_header h;
    memset(&h, 0, sizeof(h));
    h.os = 3;
    if (fancy) {
        static unsigned char extra[] = "BC\002\000\000\000";
        h.text = 1;
        h.extra = extra;
        h.extra_len = 6;
        h.name = (unsigned char *)"1gram.tsv";
        h.comment = (unsigned char *)"seed";
        h.hcrc = 1;
    }
    deflateSetHeader(&zs, &h);
    unsigned char chunk[65536];
    zs.next_in = (unsigned char *)text;
    zs.avail_in = (uInt)len;
    int rc;
    do {
        zs.next_out = chunk;
        zs.avail_out = sizeof(chunk);
        rc = deflate(&zs, Z_FINISH);
        ngc_seed_put(out, chunk, sizeof(chunk) - zs.avail_out);
    } while (rc == Z_OK);
    deflateEnd(&zs);
}

static void ngc_seed_gzip_all(const char *sample, size_t slen)
{
    const char *p;
    size_t n;
    ngc_seed_buf_t b = {0};
    n = ngc_seed_lines(sample, slen, 0, 40, &p);

    ngc_seed_gzip(&b, p, n, 6, false);
    ngc_seed_write("fuzz_gzip", "member", b.p, b.len);
    size_t one = b.len;
    ngc_seed_write("fuzz_gzip", "truncated-header", b.p, 5);
    ngc_seed_write("fuzz_gzip", "truncated-data", b.p, one / 2);
    ngc_seed_write("fuzz_gzip", "truncated-trailer", b.p, one - 3);
    b.p[one - 6] ^= 0x01; /* the CRC */
    ngc_seed_write("fuzz_gzip", "bad-crc", b.p, b.len);
    b.p[one - 6] ^= 0x01;
    b.p[one - 2] ^= 0x01; /* the length */
    ngc_seed_write("fuzz_gzip", "bad-isize", b.p, b.len);
    b.p[one - 2] ^= 0x01;
    b.p[12] ^= 0x40; /* inside the deflate data */
    ngc_seed_write("fuzz_gzip", "bad-data", b.p, b.len);
    b.p[12] ^= 0x40;
    ngc_seed_put(&b, "junk\n", 5);
    ngc_seed_write("fuzz_gzip", "trailing-junk", b.p, b.len);
    b.len = one;
    ngc_seed_put(&b, "\0\0\0\0", 4);
    ngc_seed_write("fuzz_gzip", "trailing-zeros", b.p, b.len);
    b.len = one;
    ngc_seed_put(&b, "\x1f\x8b", 2);
    ngc_seed_write("fuzz_gzip", "trailing-magic", b.p, b.len);

    /* Members cut in the middle of a line, an empty member between. */
    b.len = 0;
    ngc_seed_gzip(&b, p, n / 2, 9, false);
    ngc_seed_gzip(&b, "", 0, 6, false);
    ngc_seed_gzip(&b, p + n / 2, n - n / 2 - 1, 1, false);
    ngc_seed_write("fuzz_gzip", "multi-member", b.p, b.len);
    b.len = 0;
    ngc_seed_gzip(&b, p, n, 0, true);
    ngc_seed_write("fuzz_gzip", "stored-header-fields", b.p, b.len);
    b.p[b.len - 20] ^= 0xff;
    ngc_seed_write("fuzz_gzip", "stored-corrupt", b.p, b.len);
    b.len = 0;
    ngc_seed_gzip(&b, p, n, 6, true);
    ngc_seed_write("fuzz_gzip", "header-fields", b.p, b.len);
    b.len = 0;
    ngc_seed_gzip(&b, "", 0, 6, false);
    ngc_seed_write("fuzz_gzip", "empty-member", b.p, b.len);
    b.len = 0;
    size_t crlf_len;
    char *crlf = ngc_seed_crlf(p, n, &crlf_len);
    ngc_seed_gzip(&b, crlf, crlf_len - 2, 6, false);
    ngc_seed_write("fuzz_gzip", "crlf-no-final-newline", b.p, b.len);

    /* Several reader buffers of lines, and one line longer than a buffer. */
    size_t big = 3u << 20;
    char *t = malloc(big);
    if (t == NULL)
        ngc_seed_die("cannot allocate", "big");
    for (size_t i = 0; i < big; i++)
        t[i] = "the\t2000\t1\t1\n"[i % 13];
    b.len = 0;
    ngc_seed_gzip(&b, t, big, 9, false);
    ngc_seed_write("fuzz_gzip", "many-buffers", b.p, b.len);
    memset(t, 'a', big);
    t[big - 1] = '\n';
    t[100] = '\n';
    b.len = 0;
    ngc_seed_gzip(&b, t, big, 9, false);
    ngc_seed_write("fuzz_gzip", "long-line", b.p, b.len);
    free(t);

    /* Plain files: the last bytes pick the byte ranges. */
    ngc_seed_write("fuzz_gzip", "plain", p, n);
    ngc_seed_write("fuzz_gzip", "plain-crlf", crlf, crlf_len);
    ngc_seed_write("fuzz_gzip", "plain-no-final-newline", p, n - 1);
    ngc_seed_write("fuzz_gzip", "plain-ranges",
                   "a\t1\t1\t1\nbb\t2\t2\t2\n\nccc\t3\t3\t3\n\x07\x10\x03\x21\x05", 37);
    ngc_seed_write("fuzz_gzip", "plain-ranges-past-end", "x\ny\nz\n\n\n\x02\x01\x04\x00\x85", 11);
    ngc_seed_write("fuzz_gzip", "magic-only", "\x1f\x8b", 2);
    ngc_seed_write("fuzz_gzip", "magic-byte", "\x1f", 1);
    ngc_seed_write("fuzz_gzip", "newlines", "\n\n\n", 3);
    free(crlf);
    free(b.p);
}

/* --- fuzz_msg: frames ------------------------------------------------------ */

static void ngc_seed_frame(const char *name, const ngc_msg_t *m)
{
    uint8_t frame[NGC_MSG_FRAME_MAX];
    size_t n = ngc_msg_encode(m, frame);
    ngc_seed_write("fuzz_msg", name, frame, n);
}

static void ngc_seed_msg_all(void)
{
    ngc_msg_t m;
    uint8_t all[4 * NGC_MSG_FRAME_MAX];
    size_t alen = 0;

    memset(&m, 0, sizeof(m));
    m.type = NGC_MSG_HELLO;
    m.u.hello = (ngc_msg_hello_t){3, 4242};
    ngc_seed_frame("hello", &m);
    alen += ngc_msg_encode(&m, all + alen);

    static const char *const kinds[] = {"",           "task-plain", "task-stream",
                                        "task-stdin", "task-sort",  "task-load"};
    for (uint32_t k = NGC_TASK_MAP_PLAIN; k <= NGC_TASK_LOAD; k++) {
        memset(&m, 0, sizeof(m));
        m.type = NGC_MSG_TASK;
        ngc_msg_task_t *t = &m.u.task;
        t->task_id = 7;
        t->kind = k;
        bool parts = k == NGC_TASK_SORT || k == NGC_TASK_LOAD;
        t->offset = parts ? 4 : 8u << 20;
        t->length = parts ? 4 : 8u << 20;
        t->file_id = 1;
        t->attempt = 1;
        const char *path = k == NGC_TASK_MAP_STDIN || parts
                               ? ""
                               : "/data/googlebooks-eng-all-1gram-20120701-a.gz";
        t->path_len = (uint32_t)strlen(path);
        memcpy(t->path, path, t->path_len);
        ngc_seed_frame(kinds[k], &m);
        if (k == NGC_TASK_MAP_PLAIN)
            alen += ngc_msg_encode(&m, all + alen);
    }
    memset(&m, 0, sizeof(m));
    m.type = NGC_MSG_TASK;
    m.u.task.kind = NGC_TASK_MAP_STREAM;
    m.u.task.attempt = 2;
    m.u.task.path_len = NGC_MSG_PATH_MAX;
    memset(m.u.task.path, 'p', NGC_MSG_PATH_MAX);
    ngc_seed_frame("task-longest-path", &m);

    for (uint32_t s = 0; s <= NGC_MSG_SAMPLES; s += 5) {
        memset(&m, 0, sizeof(m));
        m.type = NGC_MSG_DONE;
        ngc_msg_done_t *d = &m.u.done;
        d->task_id = 7;
        d->lines = 1000;
        d->malformed = 12;
        d->nsamples = s;
        for (uint32_t i = 0; i < s; i++)
            d->samples[i] = (ngc_msg_sample_t){10 * i + 1, 1 + i % (NGC_STREAMING_REASON_MAX - 1),
                                               0};
        ngc_seed_frame(s == 0 ? "done" : "done-samples", &m);
        if (s != 0)
            alen += ngc_msg_encode(&m, all + alen);
    }
    static const char *const codes[] = {"",
                                        "failed-input",
                                        "failed-malformed",
                                        "failed-overflow",
                                        "failed-full",
                                        "failed-internal",
                                        "failed-database"};
    for (uint32_t c = NGC_FAIL_INPUT; c <= NGC_FAIL_DATABASE; c++) {
        memset(&m, 0, sizeof(m));
        m.type = NGC_MSG_FAILED;
        ngc_msg_failed_t *f = &m.u.failed;
        f->task_id = 9;
        f->code = c;
        f->line = c == NGC_FAIL_MALFORMED ? 17 : 0;
        int len = snprintf(f->text, sizeof(f->text), "corrupt gzip data in '%s': %s", "/data/a.gz",
                           "invalid block type");
        f->text_len = c == NGC_FAIL_INTERNAL ? 0 : (uint32_t)len;
        ngc_seed_frame(codes[c], &m);
        if (c == NGC_FAIL_INPUT)
            alen += ngc_msg_encode(&m, all + alen);
    }
    memset(&m, 0, sizeof(m));
    m.type = NGC_MSG_STOP;
    ngc_seed_frame("stop", &m);
    alen += ngc_msg_encode(&m, all + alen);
    ngc_seed_write("fuzz_msg", "stream", all, alen);

    /* Corrupt headers and payloads. */
    static const uint8_t bad_version[] = {8, 0, 0, 0, 2, 1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0};
    static const uint8_t bad_reserved[] = {0, 0, 0, 0, 1, 5, 0, 1};
    static const uint8_t bad_type[] = {0, 0, 0, 0, 1, 6, 0, 0};
    static const uint8_t bad_length[] = {9, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0};
    static const uint8_t huge_length[] = {0xff, 0xff, 0xff, 0xff, 1, 2, 0, 0};
    ngc_seed_write("fuzz_msg", "bad-version", bad_version, sizeof(bad_version));
    ngc_seed_write("fuzz_msg", "bad-reserved", bad_reserved, sizeof(bad_reserved));
    ngc_seed_write("fuzz_msg", "bad-type", bad_type, sizeof(bad_type));
    ngc_seed_write("fuzz_msg", "bad-length", bad_length, sizeof(bad_length));
    ngc_seed_write("fuzz_msg", "huge-length", huge_length, sizeof(huge_length));
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make-seeds SAMPLE OUTDIR\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL)
        ngc_seed_die("cannot open", argv[1]);
    static char sample[1 << 20];
    size_t slen = fread(sample, 1, sizeof(sample), f);
    fclose(f);
    ngc_seed_dir = argv[2];
    if (mkdir(ngc_seed_dir, 0777) != 0 && errno != EEXIST)
        ngc_seed_die("cannot create", ngc_seed_dir);
    ngc_seed_parse_all(sample, slen);
    ngc_seed_gzip_all(sample, slen);
    ngc_seed_msg_all();
    printf("%u seed files, %zu bytes\n", ngc_seed_files, ngc_seed_bytes);
    return 0;
}
