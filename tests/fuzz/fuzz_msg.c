/*
 * fuzz_msg.c: libFuzzer harness for the frame decoder (engine/ipc/msg.h). The
 * input is read as a stream of frames. Each frame must decode (and then
 * satisfy the documented rules, re-encode to the same bytes and decode to
 * the same message), need more bytes, or fail with a reason; every shorter
 * prefix of it must give a consistent answer. The bytes past each prefix
 * are poisoned, so AddressSanitizer reports any read beyond what the
 * decoder was given. Any disagreement traps.
 */
#include "engine/base/ngc.h"
#include "engine/ipc/msg.h"
#include "engine/base/config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__) /* gcc */
#define NGC_FZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NGC_FZ_ASAN 1
#endif
#endif
#ifdef NGC_FZ_ASAN
#include <sanitizer/asan_interface.h>
#define NGC_FZ_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define NGC_FZ_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#endif
#ifndef NGC_FZ_POISON
#define NGC_FZ_POISON(p, n) ((void)(p), (void)(n))
#define NGC_FZ_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NGC_FZ_CHECK(cond, ...)                                     \
    do {                                                            \
        if (!(cond)) {                                              \
            fprintf(stderr, "fuzz_msg: check failed: %s: ", #cond); \
            fprintf(stderr, __VA_ARGS__);                           \
            fputc('\n', stderr);                                    \
            __builtin_trap();                                       \
        }                                                           \
    } while (0)

/* The last task kind of engine/ipc/msg.h (it once lagged one behind: a
 * FORMAT task looked like a decoder bug). */
#define NGC_FZ_TASK_LAST NGC_TASK_KIND_LAST

/* Frames examined prefix by prefix per input; the rest are decoded once. */
#define NGC_FZ_PREFIX_FRAMES 16
/* Bytes after a prefix that are poisoned: more than any frame. */
#define NGC_FZ_WINDOW (NGC_MSG_FRAME_MAX + 64)

static ngc_msg_t ngc_fz_msg, ngc_fz_again;
static uint8_t ngc_fz_frame[NGC_MSG_FRAME_MAX];

/* The rules engine/README.md gives for a frame that decodes. */
static void ngc_fz_check_rules(const uint8_t *p, size_t used, const ngc_msg_t *m)
{
    uint32_t len;
    memcpy(&len, p, 4);
    NGC_FZ_CHECK(used == NGC_MSG_HEADER + (size_t)len && used <= NGC_MSG_FRAME_MAX,
                 "used %zu for a payload of %u", used, len);
    NGC_FZ_CHECK(p[4] == NGC_MSG_VERSION && p[6] == 0 && p[7] == 0, "header %02x %02x %02x", p[4],
                 p[6], p[7]);
    NGC_FZ_CHECK(m->type == p[5], "type %d from byte %u", (int)m->type, p[5]);
    switch (m->type) {
    case NGC_MSG_HELLO:
        NGC_FZ_CHECK(len == sizeof(ngc_msg_hello_t), "HELLO of %u bytes", len);
        break;
    case NGC_MSG_STOP:
        NGC_FZ_CHECK(len == 0, "STOP of %u bytes", len);
        break;
    case NGC_MSG_TASK: {
        const ngc_msg_task_t *t = &m->u.task;
        NGC_FZ_CHECK(t->path_len <= NGC_MSG_PATH_MAX &&
                         len == offsetof(ngc_msg_task_t, path) + t->path_len,
                     "TASK of %u bytes, path_len %u", len, t->path_len);
        NGC_FZ_CHECK(t->path[t->path_len] == '\0' && strlen(t->path) == t->path_len,
                     "TASK path not terminated or holding a NUL");
        NGC_FZ_CHECK(t->kind >= NGC_TASK_MAP_PLAIN && t->kind <= NGC_FZ_TASK_LAST, "kind %u",
                     t->kind);
        NGC_FZ_CHECK(t->path_len > 0 ||
                         (t->kind != NGC_TASK_MAP_PLAIN && t->kind != NGC_TASK_MAP_STREAM),
                     "map task of kind %u without a path", t->kind);
        NGC_FZ_CHECK(t->offset + t->length >= t->offset, "range wraps");
        break;
    }
    case NGC_MSG_DONE: {
        const ngc_msg_done_t *d = &m->u.done;
        NGC_FZ_CHECK(len == sizeof(ngc_msg_done_t), "DONE of %u bytes", len);
        NGC_FZ_CHECK(d->format < NGC_FORMAT_MAX && d->pad == 0, "DONE format %u", d->format);
        NGC_FZ_CHECK(d->nsamples <= NGC_MSG_SAMPLES && d->nsamples <= d->malformed,
                     "DONE with %u samples", d->nsamples);
        for (uint32_t i = 0; i < d->nsamples; i++)
            NGC_FZ_CHECK(d->samples[i].reason > NGC_STREAMING_REASON_NONE &&
                             d->samples[i].reason < NGC_STREAMING_REASON_MAX &&
                             d->samples[i].line >= 1 && d->samples[i].line <= d->lines,
                         "DONE sample %u", i);
        break;
    }
    case NGC_MSG_FAILED: {
        const ngc_msg_failed_t *f = &m->u.failed;
        NGC_FZ_CHECK(f->text_len <= NGC_MSG_TEXT_MAX &&
                         len == offsetof(ngc_msg_failed_t, text) + f->text_len,
                     "FAILED of %u bytes, text_len %u", len, f->text_len);
        NGC_FZ_CHECK(f->text[f->text_len] == '\0', "FAILED text not terminated");
        NGC_FZ_CHECK(f->code >= NGC_FAIL_INPUT && f->code <= NGC_FAIL_LAST, "code %u", f->code);
        break;
    }
    default:
        NGC_FZ_CHECK(false, "decoded unknown type %d", (int)m->type);
    }
}

/* Decodes the first n bytes at p with the bytes after them poisoned (up to
 * p + limit, the end of the buffer, or NGC_FZ_WINDOW bytes on). */
static int ngc_fz_decode(const uint8_t *p, size_t n, size_t limit, ngc_msg_t *m, size_t *used,
                         const char **why)
{
    size_t w = limit - n < NGC_FZ_WINDOW ? limit - n : NGC_FZ_WINDOW;
    NGC_FZ_POISON(p + n, w);
    *used = SIZE_MAX;
    *why = NULL;
    int rc = ngc_msg_decode(p, n, m, used, why);
    NGC_FZ_UNPOISON(p + n, w);
    NGC_FZ_CHECK(rc == NGC_OK || rc == NGC_AGAIN || rc == NGC_ERROR, "rc %d", rc);
    if (rc == NGC_ERROR)
        NGC_FZ_CHECK(*why != NULL && (*why)[0] != '\0', "an error without a reason");
    if (rc == NGC_OK)
        NGC_FZ_CHECK(*used >= NGC_MSG_HEADER && *used <= n, "used %zu of %zu", *used, n);
    return rc;
}

/*
 * Checks the frame at p (avail bytes, buffer ending at p + limit): returns
 * the bytes it used, or 0 when the stream stops here (AGAIN or ERROR).
 */
static size_t ngc_fz_one(const uint8_t *p, size_t avail, size_t limit, bool prefixes)
{
    size_t used;
    const char *why;
    int rc = ngc_fz_decode(p, avail, limit, &ngc_fz_msg, &used, &why);
    if (avail < NGC_MSG_HEADER)
        NGC_FZ_CHECK(rc == NGC_AGAIN, "rc %d on %zu header bytes", rc, avail);
    if (rc == NGC_OK) {
        ngc_fz_check_rules(p, used, &ngc_fz_msg);
        size_t n = ngc_msg_encode(&ngc_fz_msg, ngc_fz_frame);
        NGC_FZ_CHECK(n == used && memcmp(ngc_fz_frame, p, n) == 0,
                     "re-encoded %zu bytes differ from the %zu decoded", n, used);
        size_t used2;
        const char *why2;
        int rc2 = ngc_fz_decode(ngc_fz_frame, n, n, &ngc_fz_again, &used2, &why2);
        NGC_FZ_CHECK(rc2 == NGC_OK && used2 == n, "re-encoded frame: rc %d (%s)", rc2,
                     why2 ? why2 : "");
        NGC_FZ_CHECK(memcmp(&ngc_fz_msg, &ngc_fz_again, sizeof(ngc_fz_msg)) == 0,
                     "decoding the re-encoded frame gives another message");
    }
    if (prefixes) {
        /* Shorter prefixes: AGAIN while the frame is incomplete; a corrupt
         * frame may fail as soon as its header is in, and then for good,
         * with the same reason. No frame is longer than NGC_MSG_FRAME_MAX. */
        size_t stop = rc == NGC_OK ? used : avail;
        if (stop > NGC_MSG_FRAME_MAX + 1)
            stop = NGC_MSG_FRAME_MAX + 1;
        bool failed = false;
        for (size_t k = 0; k < stop; k++) {
            size_t u;
            const char *w;
            int r = ngc_fz_decode(p, k, limit, &ngc_fz_again, &u, &w);
            if (k < NGC_MSG_HEADER || rc == NGC_OK || rc == NGC_AGAIN) {
                NGC_FZ_CHECK(r == NGC_AGAIN, "prefix %zu of %zu: rc %d, whole: rc %d", k, avail, r,
                             rc);
            } else if (r == NGC_ERROR) {
                NGC_FZ_CHECK(strcmp(w, why) == 0, "prefix %zu: '%s', whole frame: '%s'", k, w, why);
                failed = true;
            } else {
                NGC_FZ_CHECK(r == NGC_AGAIN && !failed,
                             "prefix %zu of a corrupt frame: rc %d after an error", k, r);
            }
        }
    }
    return rc == NGC_OK ? used : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An odd address: the decoder must not assume any alignment. */
    uint8_t *buf = malloc(size + 1);
    NGC_FZ_CHECK(buf != NULL, "out of memory");
    if (size > 0)
        memcpy(buf + 1, data, size);
    const uint8_t *p = buf + 1;
    size_t off = 0;
    for (unsigned i = 0;; i++) {
        size_t used = ngc_fz_one(p + off, size - off, size - off, i < NGC_FZ_PREFIX_FRAMES);
        if (used == 0)
            break;
        off += used;
    }
    free(buf);
    return 0;
}
