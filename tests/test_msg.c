/*
 * test_msg.c: the wire codec of engine/ipc/msg.h. Every type round-trips; every
 * prefix of a frame asks for more bytes; every way a peer can lie (version,
 * type, reserved bytes, lengths, embedded lengths, codes) is rejected.
 */
#include "engine/base/ngc.h"
#include "engine/ipc/msg.h"
#include "engine/base/config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

/* Payload bytes of a TASK before its path. */
#define NGC_T_TASK_FIXED offsetof(ngc_msg_task_t, path)

static uint8_t ngc_t_buf[2 * NGC_MSG_FRAME_MAX + 64];

/* Writes a header by hand, as the protocol document describes it. */
static void ngc_t_header(uint8_t *p, uint32_t len, uint8_t version, uint8_t type)
{
    memcpy(p, &len, 4);
    p[4] = version;
    p[5] = type;
    p[6] = 0;
    p[7] = 0;
}

static int ngc_t_decode(const uint8_t *p, size_t avail, ngc_msg_t *out, size_t *used,
                        const char **why)
{
    *used = 0;
    *why = NULL;
    return ngc_msg_decode(p, avail, out, used, why);
}

static void ngc_t_expect_error(const uint8_t *p, size_t avail)
{
    ngc_msg_t out;
    size_t used;
    const char *why;
    assert_int_equal(ngc_t_decode(p, avail, &out, &used, &why), NGC_ERROR);
    assert_non_null(why);
    assert_true(strlen(why) > 0);
}

static ngc_msg_t ngc_t_task(uint32_t kind, const char *path, size_t path_len)
{
    ngc_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = NGC_MSG_TASK;
    m.u.task.task_id = 77;
    m.u.task.kind = kind;
    m.u.task.attempt = 1;
    m.u.task.offset = 0x0102030405060708ull;
    m.u.task.length = 1u << 23;
    m.u.task.file_id = 3;
    m.u.task.path_len = (uint32_t)path_len;
    memcpy(m.u.task.path, path, path_len);
    return m;
}

static ngc_msg_t ngc_t_done(uint32_t nsamples)
{
    ngc_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = NGC_MSG_DONE;
    m.u.done.task_id = 9;
    m.u.done.lines = 1000;
    m.u.done.malformed = 40;
    m.u.done.nsamples = nsamples;
    for (uint32_t i = 0; i < nsamples; i++) {
        m.u.done.samples[i].line = 1 + i * 100;
        m.u.done.samples[i].reason = NGC_STREAMING_REASON_FIELDS +
                                     i % (NGC_STREAMING_REASON_MAX - 1);
    }
    return m;
}

static ngc_msg_t ngc_t_failed(uint32_t code, const char *text, size_t text_len)
{
    ngc_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = NGC_MSG_FAILED;
    m.u.failed.task_id = 5;
    m.u.failed.code = code;
    m.u.failed.line = 12345;
    m.u.failed.text_len = (uint32_t)text_len;
    memcpy(m.u.failed.text, text, text_len);
    return m;
}

/* Encodes, checks the header bytes, decodes and returns the frame length. */
static size_t ngc_t_roundtrip(const ngc_msg_t *in, ngc_msg_t *out, size_t payload)
{
    memset(ngc_t_buf, 0xa5, sizeof(ngc_t_buf));
    size_t n = ngc_msg_encode(in, ngc_t_buf);
    assert_int_equal(n, NGC_MSG_HEADER + payload);
    assert_true(n <= NGC_MSG_FRAME_MAX);
    uint32_t len;
    memcpy(&len, ngc_t_buf, 4);
    assert_int_equal(len, payload);
    assert_int_equal(ngc_t_buf[4], NGC_MSG_VERSION);
    assert_int_equal(ngc_t_buf[5], (uint8_t)in->type);
    assert_int_equal(ngc_t_buf[6], 0);
    assert_int_equal(ngc_t_buf[7], 0);
    size_t used;
    const char *why;
    /* Bytes after the frame (0xa5 filler) must not be consumed. */
    assert_int_equal(ngc_t_decode(ngc_t_buf, n + 16, out, &used, &why), NGC_OK);
    assert_int_equal(used, n);
    assert_int_equal(out->type, in->type);
    return n;
}

static void test_roundtrip_hello(void **state)
{
    (void)state;
    ngc_msg_t in, out;
    memset(&in, 0, sizeof(in));
    in.type = NGC_MSG_HELLO;
    in.u.hello.slot = 255;
    in.u.hello.pid = 4000000;
    ngc_t_roundtrip(&in, &out, 8);
    assert_int_equal(out.u.hello.slot, 255);
    assert_int_equal(out.u.hello.pid, 4000000);
}

static void test_roundtrip_stop(void **state)
{
    (void)state;
    ngc_msg_t in, out;
    memset(&in, 0, sizeof(in));
    in.type = NGC_MSG_STOP;
    ngc_t_roundtrip(&in, &out, 0);
}

static void test_roundtrip_task(void **state)
{
    (void)state;
    static char path[NGC_MSG_PATH_MAX];
    for (size_t i = 0; i < sizeof(path); i++)
        path[i] = (char)('a' + i % 26);
    const size_t lens[] = {1, 2, 17, 255, 4095, NGC_MSG_PATH_MAX};
    const uint32_t kinds[] = {NGC_TASK_MAP_PLAIN, NGC_TASK_MAP_STREAM, NGC_TASK_MAP_STDIN,
                              NGC_TASK_SORT, NGC_TASK_LOAD};
    for (size_t k = 0; k < NGC_NELEMS(kinds); k++)
        for (size_t i = 0; i < NGC_NELEMS(lens); i++) {
            ngc_msg_t in = ngc_t_task(kinds[k], path, lens[i]), out;
            ngc_t_roundtrip(&in, &out, NGC_T_TASK_FIXED + lens[i]);
            assert_int_equal(out.u.task.task_id, 77);
            assert_int_equal(out.u.task.kind, kinds[k]);
            assert_true(out.u.task.offset == 0x0102030405060708ull);
            assert_true(out.u.task.length == 1u << 23);
            assert_int_equal(out.u.task.file_id, 3);
            assert_int_equal(out.u.task.path_len, lens[i]);
            assert_memory_equal(out.u.task.path, path, lens[i]);
            assert_int_equal(out.u.task.path[lens[i]], '\0'); /* usable as a C string */
        }
    /* A sort task and a stdin task need no path. */
    ngc_msg_t in = ngc_t_task(NGC_TASK_SORT, "", 0), out;
    in.u.task.offset = 4;
    in.u.task.length = 4;
    ngc_t_roundtrip(&in, &out, NGC_T_TASK_FIXED);
    assert_int_equal(out.u.task.path_len, 0);
    assert_int_equal(out.u.task.path[0], '\0');
    in = ngc_t_task(NGC_TASK_MAP_STDIN, "", 0);
    ngc_t_roundtrip(&in, &out, NGC_T_TASK_FIXED);
}

static void test_roundtrip_done(void **state)
{
    (void)state;
    for (uint32_t ns = 0; ns <= NGC_MSG_SAMPLES; ns++) {
        ngc_msg_t in = ngc_t_done(ns), out;
        ngc_t_roundtrip(&in, &out, sizeof(ngc_msg_done_t));
        assert_int_equal(out.u.done.task_id, 9);
        assert_int_equal(out.u.done.lines, 1000);
        assert_int_equal(out.u.done.malformed, 40);
        assert_int_equal(out.u.done.nsamples, ns);
        for (uint32_t i = 0; i < ns; i++) {
            assert_int_equal(out.u.done.samples[i].line, 1 + i * 100);
            assert_int_equal(out.u.done.samples[i].reason, in.u.done.samples[i].reason);
        }
    }
    /* The last line of the task is a valid sample line. */
    ngc_msg_t in = ngc_t_done(1), out;
    in.u.done.samples[0].line = in.u.done.lines;
    ngc_t_roundtrip(&in, &out, sizeof(ngc_msg_done_t));
    assert_int_equal(out.u.done.samples[0].line, 1000);
    /* A format task's DONE: its window's bytes. */
    in = ngc_t_done(0);
    in.u.done.bytes = 0x0a0b0c0d0e0f1011ull;
    ngc_t_roundtrip(&in, &out, sizeof(ngc_msg_done_t));
    assert_true(out.u.done.bytes == 0x0a0b0c0d0e0f1011ull);
}

/* A format task names range `offset` of `length`, has no path, and always
 * carries the output's memfd. */
static void test_task_format(void **state)
{
    (void)state;
    ngc_msg_t out;
    size_t used;
    const char *why;
    ngc_msg_t m = ngc_t_task(NGC_TASK_FORMAT, "", 0);
    m.u.task.flags = NGC_TASK_FD;
    m.u.task.offset = 0;
    m.u.task.length = 1;
    size_t n = ngc_msg_encode(&m, ngc_t_buf);
    assert_int_equal(ngc_t_decode(ngc_t_buf, n, &out, &used, &why), NGC_OK);
    assert_true(ngc_msg_has_fd(&out));
    assert_int_equal(out.u.task.kind, NGC_TASK_FORMAT);
    m.u.task.offset = 1023;
    m.u.task.length = 1024;
    n = ngc_msg_encode(&m, ngc_t_buf);
    assert_int_equal(ngc_t_decode(ngc_t_buf, n, &out, &used, &why), NGC_OK);
    assert_true(out.u.task.offset == 1023 && out.u.task.length == 1024);
    /* Without the descriptor. */
    m.u.task.flags = 0;
    n = ngc_msg_encode(&m, ngc_t_buf);
    ngc_t_expect_error(ngc_t_buf, n);
    /* A range past the last, or of none. */
    m.u.task.flags = NGC_TASK_FD;
    const uint64_t bad[][2] = {{1024, 1024}, {0, 0}, {UINT64_MAX, 5}};
    for (size_t i = 0; i < NGC_NELEMS(bad); i++) {
        m.u.task.offset = bad[i][0];
        m.u.task.length = bad[i][1];
        n = ngc_msg_encode(&m, ngc_t_buf);
        ngc_t_expect_error(ngc_t_buf, n);
    }
    /* With a path. */
    m = ngc_t_task(NGC_TASK_FORMAT, "/tmp/f", 6);
    m.u.task.flags = NGC_TASK_FD;
    m.u.task.offset = 0;
    m.u.task.length = 1;
    n = ngc_msg_encode(&m, ngc_t_buf);
    ngc_t_expect_error(ngc_t_buf, n);
}

static void test_roundtrip_failed(void **state)
{
    (void)state;
    static char text[NGC_MSG_TEXT_MAX];
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = (char)(' ' + i % 90);
    const size_t lens[] = {0, 1, 100, NGC_MSG_TEXT_MAX};
    for (uint32_t code = NGC_FAIL_INPUT; code <= NGC_FAIL_LAST; code++)
        for (size_t i = 0; i < NGC_NELEMS(lens); i++) {
            ngc_msg_t in = ngc_t_failed(code, text, lens[i]), out;
            ngc_t_roundtrip(&in, &out, 24 + lens[i]);
            assert_int_equal(out.u.failed.task_id, 5);
            assert_int_equal(out.u.failed.code, code);
            assert_int_equal(out.u.failed.line, 12345);
            assert_int_equal(out.u.failed.text_len, lens[i]);
            assert_memory_equal(out.u.failed.text, text, lens[i]);
            assert_int_equal(out.u.failed.text[lens[i]], '\0');
        }
}

/* Every proper prefix of a valid frame is incomplete, never an error. */
static void ngc_t_prefixes(const ngc_msg_t *in)
{
    uint8_t frame[NGC_MSG_FRAME_MAX];
    size_t n = ngc_msg_encode(in, frame);
    for (size_t k = 0; k < n; k++) {
        /* A copy of exactly k bytes, so ASan catches any read past them. */
        uint8_t *p = malloc(k ? k : 1);
        assert_non_null(p);
        memcpy(p, frame, k);
        ngc_msg_t out;
        size_t used;
        const char *why;
        int rc = ngc_t_decode(p, k, &out, &used, &why);
        free(p);
        if (rc != NGC_AGAIN)
            fail_msg("type %d: prefix of %zu of %zu bytes gave %d", in->type, k, n, rc);
    }
    ngc_msg_t out;
    size_t used;
    const char *why;
    assert_int_equal(ngc_t_decode(frame, n, &out, &used, &why), NGC_OK);
    assert_int_equal(used, n);
}

static void test_partial_frames(void **state)
{
    (void)state;
    ngc_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = NGC_MSG_HELLO;
    m.u.hello.slot = 1;
    ngc_t_prefixes(&m);
    memset(&m, 0, sizeof(m));
    m.type = NGC_MSG_STOP;
    ngc_t_prefixes(&m);
    m = ngc_t_task(NGC_TASK_MAP_PLAIN, "/data/googlebooks-eng-all-1gram-a", 33);
    ngc_t_prefixes(&m);
    m = ngc_t_done(NGC_MSG_SAMPLES);
    ngc_t_prefixes(&m);
    m = ngc_t_failed(NGC_FAIL_INPUT, "cannot open 'x'", 15);
    ngc_t_prefixes(&m);
}

static void test_back_to_back(void **state)
{
    (void)state;
    ngc_msg_t a = ngc_t_task(NGC_TASK_MAP_STREAM, "/tmp/a.gz", 9);
    ngc_msg_t b = ngc_t_done(2);
    ngc_msg_t c;
    memset(&c, 0, sizeof(c));
    c.type = NGC_MSG_STOP;
    size_t na = ngc_msg_encode(&a, ngc_t_buf);
    size_t nb = ngc_msg_encode(&b, ngc_t_buf + na);
    size_t nc = ngc_msg_encode(&c, ngc_t_buf + na + nb);
    size_t total = na + nb + nc;

    ngc_msg_t out;
    size_t used;
    const char *why;
    size_t off = 0;
    assert_int_equal(ngc_t_decode(ngc_t_buf, total, &out, &used, &why), NGC_OK);
    assert_int_equal(used, na);
    assert_int_equal(out.type, NGC_MSG_TASK);
    assert_memory_equal(out.u.task.path, "/tmp/a.gz", 10);
    off += used;
    assert_int_equal(ngc_t_decode(ngc_t_buf + off, total - off, &out, &used, &why), NGC_OK);
    assert_int_equal(used, nb);
    assert_int_equal(out.type, NGC_MSG_DONE);
    assert_int_equal(out.u.done.nsamples, 2);
    off += used;
    /* The third frame, first cut short, then whole. */
    assert_int_equal(ngc_t_decode(ngc_t_buf + off, nc - 1, &out, &used, &why), NGC_AGAIN);
    assert_int_equal(ngc_t_decode(ngc_t_buf + off, total - off, &out, &used, &why), NGC_OK);
    assert_int_equal(used, nc);
    assert_int_equal(out.type, NGC_MSG_STOP);
    assert_int_equal(off + used, total);
}

static void test_bad_header(void **state)
{
    (void)state;
    ngc_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = NGC_MSG_HELLO;
    size_t n = ngc_msg_encode(&m, ngc_t_buf);

    const uint8_t versions[] = {0, NGC_MSG_VERSION - 1, NGC_MSG_VERSION + 1, 255};
    for (size_t i = 0; i < NGC_NELEMS(versions); i++) {
        ngc_msg_encode(&m, ngc_t_buf);
        ngc_t_buf[4] = versions[i];
        ngc_t_expect_error(ngc_t_buf, n);
        /* The header alone is enough to know. */
        ngc_t_expect_error(ngc_t_buf, NGC_MSG_HEADER);
    }
    const uint8_t types[] = {0, 6, 7, 128, 255};
    for (size_t i = 0; i < NGC_NELEMS(types); i++) {
        ngc_msg_encode(&m, ngc_t_buf);
        ngc_t_buf[5] = types[i];
        ngc_t_expect_error(ngc_t_buf, n);
        ngc_t_expect_error(ngc_t_buf, NGC_MSG_HEADER);
    }
    for (int b = 6; b <= 7; b++) {
        const uint8_t vals[] = {1, 0x80, 0xff};
        for (size_t i = 0; i < NGC_NELEMS(vals); i++) {
            ngc_msg_encode(&m, ngc_t_buf);
            ngc_t_buf[b] = vals[i];
            ngc_t_expect_error(ngc_t_buf, n);
        }
    }
}

static void test_bad_length(void **state)
{
    (void)state;
    /* Shortest and longest payload of each type. */
    const struct {
        uint8_t type;
        size_t lo, hi;
    } shapes[] = {
        {NGC_MSG_HELLO, 8, 8},
        {NGC_MSG_TASK, NGC_T_TASK_FIXED, NGC_T_TASK_FIXED + NGC_MSG_PATH_MAX},
        {NGC_MSG_DONE, sizeof(ngc_msg_done_t), sizeof(ngc_msg_done_t)},
        {NGC_MSG_FAILED, 24, 24 + NGC_MSG_TEXT_MAX},
        {NGC_MSG_STOP, 0, 0},
    };
    for (size_t i = 0; i < NGC_NELEMS(shapes); i++) {
        memset(ngc_t_buf, 0, sizeof(ngc_t_buf));
        if (shapes[i].lo > 0) {
            ngc_t_header(ngc_t_buf, (uint32_t)shapes[i].lo - 1, NGC_MSG_VERSION, shapes[i].type);
            /* Rejected on the header alone, and with the bytes present. */
            ngc_t_expect_error(ngc_t_buf, NGC_MSG_HEADER);
            ngc_t_expect_error(ngc_t_buf, NGC_MSG_HEADER + shapes[i].lo - 1);
        }
        ngc_t_header(ngc_t_buf, (uint32_t)shapes[i].hi + 1, NGC_MSG_VERSION, shapes[i].type);
        ngc_t_expect_error(ngc_t_buf, NGC_MSG_HEADER);
        ngc_t_expect_error(ngc_t_buf, NGC_MSG_HEADER + shapes[i].hi + 1);
    }
}

static void test_oversized_frame(void **state)
{
    (void)state;
    /* A peer announcing a huge frame must be cut off at once, not waited for. */
    const uint32_t lens[] = {NGC_MSG_FRAME_MAX, 1u << 20, UINT32_MAX};
    const uint8_t types[] = {NGC_MSG_HELLO, NGC_MSG_TASK, NGC_MSG_DONE, NGC_MSG_FAILED,
                             NGC_MSG_STOP};
    for (size_t t = 0; t < NGC_NELEMS(types); t++)
        for (size_t i = 0; i < NGC_NELEMS(lens); i++) {
            uint8_t hdr[NGC_MSG_HEADER];
            ngc_t_header(hdr, lens[i], NGC_MSG_VERSION, types[t]);
            ngc_t_expect_error(hdr, sizeof(hdr));
        }
}

static void test_task_path_len_mismatch(void **state)
{
    (void)state;
    ngc_msg_t m = ngc_t_task(NGC_TASK_MAP_PLAIN, "/tmp/abc", 8);
    size_t n = ngc_msg_encode(&m, ngc_t_buf);
    size_t at = NGC_MSG_HEADER + offsetof(ngc_msg_task_t, path_len);
    const uint32_t wrong[] = {0, 7, 9, NGC_MSG_PATH_MAX, UINT32_MAX};
    for (size_t i = 0; i < NGC_NELEMS(wrong); i++) {
        ngc_msg_encode(&m, ngc_t_buf);
        memcpy(ngc_t_buf + at, &wrong[i], 4);
        ngc_t_expect_error(ngc_t_buf, n);
    }
    /* Frame length one longer than the stated path. */
    ngc_msg_encode(&m, ngc_t_buf);
    uint32_t len = NGC_T_TASK_FIXED + 9;
    memcpy(ngc_t_buf, &len, 4);
    ngc_t_buf[n] = 'x';
    ngc_t_expect_error(ngc_t_buf, n + 1);
}

static void test_task_nul_in_path(void **state)
{
    (void)state;
    const char *paths[] = {"a\0b", "\0ab", "ab\0"};
    for (size_t i = 0; i < NGC_NELEMS(paths); i++) {
        ngc_msg_t m = ngc_t_task(NGC_TASK_MAP_PLAIN, paths[i], 3);
        size_t n = ngc_msg_encode(&m, ngc_t_buf);
        ngc_t_expect_error(ngc_t_buf, n);
    }
}

static void test_task_bad_kind(void **state)
{
    (void)state;
    const uint32_t kinds[] = {0, NGC_TASK_FORMAT + 1, 100, UINT32_MAX};
    for (size_t i = 0; i < NGC_NELEMS(kinds); i++) {
        ngc_msg_t m = ngc_t_task(kinds[i], "/tmp/f", 6);
        size_t n = ngc_msg_encode(&m, ngc_t_buf);
        ngc_t_expect_error(ngc_t_buf, n);
    }
}

static void test_task_map_without_path(void **state)
{
    (void)state;
    const uint32_t kinds[] = {NGC_TASK_MAP_PLAIN, NGC_TASK_MAP_STREAM};
    for (size_t i = 0; i < NGC_NELEMS(kinds); i++) {
        ngc_msg_t m = ngc_t_task(kinds[i], "", 0);
        size_t n = ngc_msg_encode(&m, ngc_t_buf);
        ngc_t_expect_error(ngc_t_buf, n);
    }
}

static void test_task_range_wraps(void **state)
{
    (void)state;
    ngc_msg_t m = ngc_t_task(NGC_TASK_MAP_PLAIN, "/tmp/f", 6);
    m.u.task.offset = UINT64_MAX - 5;
    m.u.task.length = 6;
    size_t n = ngc_msg_encode(&m, ngc_t_buf);
    ngc_t_expect_error(ngc_t_buf, n);
    /* Up to the last byte is fine. */
    m.u.task.length = 5;
    n = ngc_msg_encode(&m, ngc_t_buf);
    ngc_msg_t out;
    size_t used;
    const char *why;
    assert_int_equal(ngc_t_decode(ngc_t_buf, n, &out, &used, &why), NGC_OK);
}

/* NGC_TASK_FD is the only flag, and only a map task that reads a file or
 * pipe can carry a descriptor. */
static void test_task_flags(void **state)
{
    (void)state;
    ngc_msg_t out;
    size_t used;
    const char *why;
    const uint32_t kinds[] = {NGC_TASK_MAP_PLAIN, NGC_TASK_MAP_STREAM};
    for (size_t i = 0; i < NGC_NELEMS(kinds); i++) {
        ngc_msg_t m = ngc_t_task(kinds[i], "/dev/fd/63", 10);
        m.u.task.flags = NGC_TASK_FD;
        size_t n = ngc_msg_encode(&m, ngc_t_buf);
        assert_int_equal(ngc_t_decode(ngc_t_buf, n, &out, &used, &why), NGC_OK);
        assert_true(ngc_msg_has_fd(&out));
        m.u.task.flags = 0;
        n = ngc_msg_encode(&m, ngc_t_buf);
        assert_int_equal(ngc_t_decode(ngc_t_buf, n, &out, &used, &why), NGC_OK);
        assert_false(ngc_msg_has_fd(&out));
    }
    const uint32_t none[] = {NGC_TASK_MAP_STDIN, NGC_TASK_SORT, NGC_TASK_LOAD};
    for (size_t i = 0; i < NGC_NELEMS(none); i++) {
        ngc_msg_t m = ngc_t_task(none[i], "", 0);
        m.u.task.flags = NGC_TASK_FD;
        size_t n = ngc_msg_encode(&m, ngc_t_buf);
        ngc_t_expect_error(ngc_t_buf, n);
    }
    const uint32_t bad[] = {2, NGC_TASK_FD | 4, 1u << 31};
    for (size_t i = 0; i < NGC_NELEMS(bad); i++) {
        ngc_msg_t m = ngc_t_task(NGC_TASK_MAP_STREAM, "/tmp/f", 6);
        m.u.task.flags = bad[i];
        size_t n = ngc_msg_encode(&m, ngc_t_buf);
        ngc_t_expect_error(ngc_t_buf, n);
    }
    ngc_msg_t h;
    memset(&h, 0, sizeof(h));
    h.type = NGC_MSG_HELLO;
    assert_false(ngc_msg_has_fd(&h));
}

static void test_done_bad_samples(void **state)
{
    (void)state;
    size_t n;
    /* Too many samples. */
    ngc_msg_t m = ngc_t_done(NGC_MSG_SAMPLES);
    m.u.done.nsamples = NGC_MSG_SAMPLES + 1;
    n = ngc_msg_encode(&m, ngc_t_buf);
    ngc_t_expect_error(ngc_t_buf, n);
    m.u.done.nsamples = UINT32_MAX;
    n = ngc_msg_encode(&m, ngc_t_buf);
    ngc_t_expect_error(ngc_t_buf, n);
    /* More samples than malformed lines. */
    m = ngc_t_done(3);
    m.u.done.malformed = 2;
    n = ngc_msg_encode(&m, ngc_t_buf);
    ngc_t_expect_error(ngc_t_buf, n);
    /* Line 0, in the first and in the last sample. */
    for (uint32_t i = 0; i < NGC_MSG_SAMPLES; i += NGC_MSG_SAMPLES - 1) {
        m = ngc_t_done(NGC_MSG_SAMPLES);
        m.u.done.samples[i].line = 0;
        n = ngc_msg_encode(&m, ngc_t_buf);
        ngc_t_expect_error(ngc_t_buf, n);
    }
    /* An unknown input format, and a non-zero pad. */
    m = ngc_t_done(0);
    m.u.done.format = NGC_FORMAT_MAX;
    n = ngc_msg_encode(&m, ngc_t_buf);
    ngc_t_expect_error(ngc_t_buf, n);
    m = ngc_t_done(0);
    m.u.done.pad = 1;
    n = ngc_msg_encode(&m, ngc_t_buf);
    ngc_t_expect_error(ngc_t_buf, n);
    /* A line beyond the task's lines. */
    m = ngc_t_done(2);
    m.u.done.samples[1].line = m.u.done.lines + 1;
    n = ngc_msg_encode(&m, ngc_t_buf);
    ngc_t_expect_error(ngc_t_buf, n);
    /* Reasons outside the enum. */
    const uint32_t reasons[] = {NGC_STREAMING_REASON_NONE, NGC_STREAMING_REASON_MAX, 1000};
    for (size_t i = 0; i < NGC_NELEMS(reasons); i++) {
        m = ngc_t_done(1);
        m.u.done.samples[0].reason = reasons[i];
        n = ngc_msg_encode(&m, ngc_t_buf);
        ngc_t_expect_error(ngc_t_buf, n);
    }
    /* A bad sample beyond nsamples is not looked at. */
    m = ngc_t_done(1);
    m.u.done.samples[3].line = 0;
    n = ngc_msg_encode(&m, ngc_t_buf);
    ngc_msg_t out;
    size_t used;
    const char *why;
    assert_int_equal(ngc_t_decode(ngc_t_buf, n, &out, &used, &why), NGC_OK);
}

static void test_failed_bad(void **state)
{
    (void)state;
    const uint32_t codes[] = {0, NGC_FAIL_LAST + 1, UINT32_MAX};
    for (size_t i = 0; i < NGC_NELEMS(codes); i++) {
        ngc_msg_t m = ngc_t_failed(codes[i], "boom", 4);
        size_t n = ngc_msg_encode(&m, ngc_t_buf);
        ngc_t_expect_error(ngc_t_buf, n);
    }
    /* text_len disagreeing with the frame. */
    ngc_msg_t m = ngc_t_failed(NGC_FAIL_INPUT, "boom", 4);
    size_t n = ngc_msg_encode(&m, ngc_t_buf);
    uint32_t wrong = 5;
    memcpy(ngc_t_buf + NGC_MSG_HEADER + offsetof(ngc_msg_failed_t, text_len), &wrong, 4);
    ngc_t_expect_error(ngc_t_buf, n);
    wrong = NGC_MSG_TEXT_MAX + 1;
    memcpy(ngc_t_buf + NGC_MSG_HEADER + offsetof(ngc_msg_failed_t, text_len), &wrong, 4);
    ngc_t_expect_error(ngc_t_buf, n);
}

static void test_reason_text(void **state)
{
    (void)state;
    for (uint32_t r = NGC_STREAMING_REASON_FIELDS; r < NGC_STREAMING_REASON_MAX; r++) {
        const char *t = ngc_msg_reason_text(r);
        assert_non_null(t);
        assert_true(strlen(t) > 0);
        for (uint32_t s = NGC_STREAMING_REASON_FIELDS; s < r; s++)
            assert_string_not_equal(t, ngc_msg_reason_text(s));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_hello),
        cmocka_unit_test(test_roundtrip_stop),
        cmocka_unit_test(test_roundtrip_task),
        cmocka_unit_test(test_roundtrip_done),
        cmocka_unit_test(test_roundtrip_failed),
        cmocka_unit_test(test_partial_frames),
        cmocka_unit_test(test_back_to_back),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_bad_length),
        cmocka_unit_test(test_oversized_frame),
        cmocka_unit_test(test_task_path_len_mismatch),
        cmocka_unit_test(test_task_nul_in_path),
        cmocka_unit_test(test_task_bad_kind),
        cmocka_unit_test(test_task_map_without_path),
        cmocka_unit_test(test_task_range_wraps),
        cmocka_unit_test(test_task_flags),
        cmocka_unit_test(test_task_format),
        cmocka_unit_test(test_done_bad_samples),
        cmocka_unit_test(test_failed_bad),
        cmocka_unit_test(test_reason_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
