/*
 * test_channel.c: framed messages over a real socketpair (engine/ipc/channel.h).
 * A forked peer with its own event_base trades thousands of messages both
 * ways at once; a peer writing one byte at a time is decoded frame by
 * frame; a corrupt frame closes the channel with a reason and nothing after
 * it is delivered; EOF closes it with no reason, exactly once. Descriptors
 * ride on their frames (SCM_RIGHTS): each reaches its own, none leaks.
 */
#include "engine/base/ngc.h"
#include "engine/ipc/channel.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define NGC_T_NTASKS 10000
#define NGC_T_NHELLO 5000

static size_t ngc_t_path_len(uint32_t id)
{
    return id % 1000 == 999 ? NGC_MSG_PATH_MAX : 1 + (id * 37) % 300;
}

static void ngc_t_path(uint32_t id, char *path)
{
    size_t n = ngc_t_path_len(id);
    for (size_t i = 0; i < n; i++)
        path[i] = (char)('a' + (id + i) % 26);
}

static ngc_msg_t ngc_t_task_msg(uint32_t id)
{
    ngc_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = NGC_MSG_TASK;
    m.u.task.task_id = id;
    m.u.task.kind = NGC_TASK_MAP_PLAIN;
    m.u.task.attempt = 1;
    m.u.task.offset = (uint64_t)id << 20;
    m.u.task.length = 1 << 20;
    m.u.task.path_len = (uint32_t)ngc_t_path_len(id);
    ngc_t_path(id, m.u.task.path);
    return m;
}

/* --- the forked peer: answers each TASK with DONE, then says HELLO ---------- */

typedef struct {
    struct event_base *base;
    ngc_channel_t *ch;
    uint32_t next_task;
    bool stop;
    bool closed;
    int errors;
} ngc_t_peer_t;

static void ngc_t_peer_msg(ngc_channel_t *ch, const ngc_msg_t *msg, void *arg)
{
    ngc_t_peer_t *p = arg;
    if (msg->type == NGC_MSG_STOP) {
        p->stop = true;
        event_base_loopbreak(p->base);
        return;
    }
    if (msg->type != NGC_MSG_TASK || msg->u.task.task_id != p->next_task) {
        p->errors++;
        return;
    }
    char want[NGC_MSG_PATH_MAX];
    ngc_t_path(p->next_task, want);
    if (msg->u.task.path_len != ngc_t_path_len(p->next_task) ||
        memcmp(msg->u.task.path, want, msg->u.task.path_len) != 0 ||
        msg->u.task.offset != (uint64_t)p->next_task << 20)
        p->errors++;
    ngc_msg_t done;
    memset(&done, 0, sizeof(done));
    done.type = NGC_MSG_DONE;
    done.u.done.task_id = p->next_task;
    done.u.done.lines = p->next_task;
    if (ngc_channel_send(ch, &done) != NGC_OK)
        p->errors++;
    p->next_task++;
}

static void ngc_t_peer_close(ngc_channel_t *ch, const char *why, void *arg)
{
    (void)ch;
    (void)why;
    ngc_t_peer_t *p = arg;
    p->closed = true;
    event_base_loopbreak(p->base);
}

static int ngc_t_peer(int fd)
{
    ngc_t_peer_t p;
    memset(&p, 0, sizeof(p));
    p.base = event_base_new();
    if (p.base == NULL)
        return 10;
    p.ch = ngc_channel_new(p.base, fd, ngc_t_peer_msg, ngc_t_peer_close, &p);
    if (p.ch == NULL)
        return 11;
    while (!p.stop && !p.closed)
        event_base_loop(p.base, EVLOOP_ONCE);
    if (p.closed)
        return 12;
    if (p.next_task != NGC_T_NTASKS)
        return 13;
    for (uint32_t i = 0; i < NGC_T_NHELLO; i++) {
        ngc_msg_t h;
        memset(&h, 0, sizeof(h));
        h.type = NGC_MSG_HELLO;
        h.u.hello.slot = i;
        h.u.hello.pid = (uint32_t)getpid();
        if (ngc_channel_send(p.ch, &h) != NGC_OK)
            return 14;
    }
    /* Flush everything before closing: the parent must see all of it, then EOF. */
    while (ngc_channel_pending(p.ch) > 0 && !p.closed)
        event_base_loop(p.base, EVLOOP_ONCE);
    ngc_channel_free(p.ch);
    event_base_free(p.base);
    return p.errors ? 15 : 0;
}

/* --- the parent's side ------------------------------------------------------ */

typedef struct {
    struct event_base *base;
    uint32_t next_done;
    uint32_t next_hello;
    unsigned closes;
    bool why_null;
    char why[128];
    unsigned msgs;
    ngc_msg_t last;
    int errors;
} ngc_t_side_t;

static void ngc_t_side_msg(ngc_channel_t *ch, const ngc_msg_t *msg, void *arg)
{
    (void)ch;
    ngc_t_side_t *s = arg;
    s->msgs++;
    s->last = *msg;
    if (msg->type == NGC_MSG_DONE) {
        if (msg->u.done.task_id != s->next_done || msg->u.done.lines != s->next_done ||
            s->next_hello != 0)
            s->errors++;
        s->next_done++;
    } else if (msg->type == NGC_MSG_HELLO) {
        if (msg->u.hello.slot != s->next_hello || s->next_done != NGC_T_NTASKS)
            s->errors++;
        s->next_hello++;
    }
}

static void ngc_t_side_close(ngc_channel_t *ch, const char *why, void *arg)
{
    (void)ch;
    ngc_t_side_t *s = arg;
    s->closes++;
    s->why_null = why == NULL;
    snprintf(s->why, sizeof(s->why), "%s", why ? why : "");
    if (s->base)
        event_base_loopbreak(s->base);
}

/* Forks `peer` on one end of a socketpair and opens a channel on the other,
 * reporting to *s. */
static ngc_channel_t *ngc_t_fork_peer(int (*peer)(int), ngc_t_side_t *s, pid_t *pid)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    fflush(NULL);
    *pid = fork();
    assert_true(*pid >= 0);
    if (*pid == 0) {
        close(sv[0]);
        _exit(peer(sv[1]));
    }
    close(sv[1]);
    memset(s, 0, sizeof(*s));
    s->base = event_base_new();
    assert_non_null(s->base);
    ngc_channel_t *ch = ngc_channel_new(s->base, sv[0], ngc_t_side_msg, ngc_t_side_close, s);
    assert_non_null(ch);
    return ch;
}

/* Queues STOP (kept in *stop; with queued, checks it waits unsent), runs the
 * loop until the peer closes, and expects the peer to exit 0. */
static void ngc_t_stop_peer(ngc_channel_t *ch, ngc_t_side_t *s, pid_t pid, ngc_msg_t *stop,
                            bool queued)
{
    memset(stop, 0, sizeof(*stop));
    stop->type = NGC_MSG_STOP;
    assert_int_equal(ngc_channel_send(ch, stop), NGC_OK);
    if (queued)
        assert_true(ngc_channel_pending(ch) > 0);
    while (s->closes == 0)
        assert_int_equal(event_base_loop(s->base, EVLOOP_ONCE), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("peer: status 0x%x", status);
}

static void test_many_messages_both_ways(void **state)
{
    (void)state;
    ngc_t_side_t s;
    pid_t pid;
    ngc_channel_t *ch = ngc_t_fork_peer(ngc_t_peer, &s, &pid);
    for (uint32_t i = 0; i < NGC_T_NTASKS; i++) {
        ngc_msg_t m = ngc_t_task_msg(i);
        assert_int_equal(ngc_channel_send(ch, &m), NGC_OK);
    }
    ngc_msg_t stop;
    ngc_t_stop_peer(ch, &s, pid, &stop, true);
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.next_done, NGC_T_NTASKS);
    assert_int_equal(s.next_hello, NGC_T_NHELLO);
    assert_int_equal(s.closes, 1);
    assert_true(s.why_null);
    assert_int_equal(ngc_channel_pending(ch), 0);
    /* A closed channel refuses to send. */
    assert_int_equal(ngc_channel_send(ch, &stop), NGC_ERROR);
    ngc_channel_free(ch);
    event_base_free(s.base);
}

/* --- in-process: raw bytes written by the test into the peer socket ------- */

typedef struct {
    struct event_base *base;
    ngc_channel_t *ch;
    int raw;
    ngc_t_side_t s;
} ngc_t_raw_t;

static void ngc_t_raw_open(ngc_t_raw_t *r)
{
    int sv[2];
    memset(r, 0, sizeof(*r));
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    r->base = event_base_new();
    assert_non_null(r->base);
    r->ch = ngc_channel_new(r->base, sv[0], ngc_t_side_msg, ngc_t_side_close, &r->s);
    assert_non_null(r->ch);
    r->raw = sv[1];
}

static void ngc_t_raw_close(ngc_t_raw_t *r)
{
    if (r->raw >= 0)
        close(r->raw);
    ngc_channel_free(r->ch);
    event_base_free(r->base);
}

static void ngc_t_raw_write(ngc_t_raw_t *r, const void *p, size_t len)
{
    const char *s = p;
    while (len > 0) {
        ssize_t n = write(r->raw, s, len);
        assert_true(n > 0);
        s += n;
        len -= (size_t)n;
    }
}

/* Runs the loop until nothing more is ready (1: no events left to wait for). */
static void ngc_t_raw_settle(ngc_t_raw_t *r)
{
    for (int i = 0; i < 4; i++)
        assert_true(event_base_loop(r->base, EVLOOP_NONBLOCK) >= 0);
}

static void test_one_byte_at_a_time(void **state)
{
    (void)state;
    ngc_t_raw_t r;
    ngc_t_raw_open(&r);
    /* TASK, DONE, HELLO, FAILED, STOP back to back. */
    ngc_msg_t m[5];
    m[0] = ngc_t_task_msg(7);
    memset(&m[1], 0, sizeof(m[1]));
    m[1].type = NGC_MSG_DONE;
    m[1].u.done.task_id = 0;
    m[1].u.done.lines = 0;
    memset(&m[2], 0, sizeof(m[2]));
    m[2].type = NGC_MSG_HELLO;
    m[2].u.hello.slot = 0;
    memset(&m[3], 0, sizeof(m[3]));
    m[3].type = NGC_MSG_FAILED;
    m[3].u.failed.code = NGC_FAIL_INPUT;
    m[3].u.failed.text_len = 5;
    memcpy(m[3].u.failed.text, "oops!", 5);
    memset(&m[4], 0, sizeof(m[4]));
    m[4].type = NGC_MSG_STOP;
    static uint8_t bytes[6 * NGC_MSG_FRAME_MAX];
    size_t ends[5], total = 0;
    for (int i = 0; i < 5; i++) {
        total += ngc_msg_encode(&m[i], bytes + total);
        ends[i] = total;
    }
    r.s.next_done = 0;
    unsigned complete = 0;
    for (size_t i = 0; i < total; i++) {
        ngc_t_raw_write(&r, bytes + i, 1);
        ngc_t_raw_settle(&r);
        while (complete < 5 && ends[complete] <= i + 1)
            complete++;
        if (r.s.msgs != complete)
            fail_msg("after %zu of %zu bytes: %u messages, expected %u", i + 1, total, r.s.msgs,
                     complete);
        if (complete > 0)
            assert_int_equal(r.s.last.type, m[complete - 1].type);
    }
    assert_int_equal(r.s.msgs, 5);
    assert_int_equal(r.s.last.type, NGC_MSG_STOP);
    assert_int_equal(r.s.closes, 0);
    /* Then the peer goes away: EOF, no reason, once. */
    close(r.raw);
    r.raw = -1;
    ngc_t_raw_settle(&r);
    assert_int_equal(r.s.closes, 1);
    assert_true(r.s.why_null);
    ngc_t_raw_settle(&r);
    assert_int_equal(r.s.closes, 1);
    ngc_t_raw_close(&r);
}

static void test_one_byte_at_a_time_from_child(void **state)
{
    (void)state;
    /* The same, from another process, with pauses between bytes. */
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    static uint8_t bytes[3 * NGC_MSG_FRAME_MAX];
    size_t total = 0;
    for (uint32_t i = 0; i < 3; i++) {
        ngc_msg_t m = ngc_t_task_msg(i + 1);
        total += ngc_msg_encode(&m, bytes + total);
    }
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        for (size_t i = 0; i < total; i++) {
            if (write(sv[1], bytes + i, 1) != 1)
                _exit(1);
            usleep(200);
        }
        _exit(0);
    }
    close(sv[1]);
    evutil_make_socket_nonblocking(sv[0]);
    ngc_t_side_t s;
    memset(&s, 0, sizeof(s));
    s.base = event_base_new();
    assert_non_null(s.base);
    ngc_channel_t *ch = ngc_channel_new(s.base, sv[0], ngc_t_side_msg, ngc_t_side_close, &s);
    assert_non_null(ch);
    while (s.closes == 0)
        assert_int_equal(event_base_loop(s.base, EVLOOP_ONCE), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(s.msgs, 3);
    assert_int_equal(s.last.type, NGC_MSG_TASK);
    assert_int_equal(s.last.u.task.task_id, 3);
    char want[NGC_MSG_PATH_MAX];
    ngc_t_path(3, want);
    assert_memory_equal(s.last.u.task.path, want, ngc_t_path_len(3));
    assert_int_equal(s.closes, 1);
    assert_true(s.why_null);
    ngc_channel_free(ch);
    event_base_free(s.base);
}

/* A good frame, then a corrupt one, then a good one, in one write. */
static void ngc_t_corrupt_case(void (*spoil)(uint8_t *frame), size_t cut)
{
    ngc_t_raw_t r;
    ngc_t_raw_open(&r);
    static uint8_t bytes[3 * NGC_MSG_FRAME_MAX];
    ngc_msg_t h;
    memset(&h, 0, sizeof(h));
    h.type = NGC_MSG_HELLO;
    size_t n = ngc_msg_encode(&h, bytes);
    ngc_msg_t t = ngc_t_task_msg(1);
    size_t bad = ngc_msg_encode(&t, bytes + n);
    spoil(bytes + n);
    /* A frame that claims a huge length is cut at its header. */
    if (cut)
        bad = cut;
    size_t total = n + bad;
    total += ngc_msg_encode(&h, bytes + total);
    ngc_t_raw_write(&r, bytes, total);
    ngc_t_raw_settle(&r);
    assert_int_equal(r.s.msgs, 1);
    assert_int_equal(r.s.last.type, NGC_MSG_HELLO);
    assert_int_equal(r.s.closes, 1);
    assert_false(r.s.why_null);
    assert_true(strlen(r.s.why) > 0);
    /* Nothing more is delivered, and EOF does not close it a second time. */
    ngc_t_raw_write(&r, bytes, n);
    close(r.raw);
    r.raw = -1;
    ngc_t_raw_settle(&r);
    assert_int_equal(r.s.msgs, 1);
    assert_int_equal(r.s.closes, 1);
    ngc_msg_t stop;
    memset(&stop, 0, sizeof(stop));
    stop.type = NGC_MSG_STOP;
    assert_int_equal(ngc_channel_send(r.ch, &stop), NGC_ERROR);
    ngc_t_raw_close(&r);
}

static void ngc_t_spoil_version(uint8_t *f)
{
    f[4] = NGC_MSG_VERSION + 1;
}

static void ngc_t_spoil_type(uint8_t *f)
{
    f[5] = 99;
}

static void ngc_t_spoil_reserved(uint8_t *f)
{
    f[7] = 1;
}

static void ngc_t_spoil_length(uint8_t *f)
{
    uint32_t len = 1u << 30;
    memcpy(f, &len, 4);
}

static void ngc_t_spoil_kind(uint8_t *f)
{
    uint32_t kind = 42;
    memcpy(f + NGC_MSG_HEADER + offsetof(ngc_msg_task_t, kind), &kind, 4);
}

static void test_corrupt_frame(void **state)
{
    (void)state;
    ngc_t_corrupt_case(ngc_t_spoil_version, 0);
    ngc_t_corrupt_case(ngc_t_spoil_type, 0);
    ngc_t_corrupt_case(ngc_t_spoil_reserved, 0);
    ngc_t_corrupt_case(ngc_t_spoil_kind, 0);
    /* The channel must not wait for a gigabyte that will never come. */
    ngc_t_corrupt_case(ngc_t_spoil_length, NGC_MSG_HEADER);
}

static void test_eof_immediately(void **state)
{
    (void)state;
    ngc_t_raw_t r;
    ngc_t_raw_open(&r);
    close(r.raw);
    r.raw = -1;
    ngc_t_raw_settle(&r);
    assert_int_equal(r.s.closes, 1);
    assert_true(r.s.why_null);
    assert_int_equal(r.s.msgs, 0);
    ngc_t_raw_close(&r);
}

static void test_eof_after_messages(void **state)
{
    (void)state;
    /* Frames written just before the close are all delivered before EOF. */
    ngc_t_raw_t r;
    ngc_t_raw_open(&r);
    static uint8_t bytes[200 * 16];
    size_t total = 0;
    for (uint32_t i = 0; i < 200; i++) {
        ngc_msg_t h;
        memset(&h, 0, sizeof(h));
        h.type = NGC_MSG_HELLO;
        h.u.hello.slot = i;
        total += ngc_msg_encode(&h, bytes + total);
    }
    ngc_t_raw_write(&r, bytes, total);
    close(r.raw);
    r.raw = -1;
    r.s.next_done = NGC_T_NTASKS; /* HELLOs are expected in order from 0 */
    ngc_t_raw_settle(&r);
    assert_int_equal(r.s.msgs, 200);
    assert_int_equal(r.s.next_hello, 200);
    assert_int_equal(r.s.errors, 0);
    assert_int_equal(r.s.closes, 1);
    assert_true(r.s.why_null);
    ngc_t_raw_close(&r);
}

static void test_free_null(void **state)
{
    (void)state;
    ngc_channel_free(NULL);
}

/* --- descriptors riding on frames ------------------------------------------ */

#define NGC_T_NFDS 300

static ngc_msg_t ngc_t_fd_task(uint32_t id)
{
    ngc_msg_t m = ngc_t_task_msg(id);
    m.u.task.kind = NGC_TASK_MAP_STREAM;
    m.u.task.flags = NGC_TASK_FD;
    return m;
}

/* Descriptors this process has open. */
static unsigned ngc_t_open_fds(void)
{
    unsigned n = 0;
    for (int fd = 0; fd < 4096; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

/* The peer: for each TASK, the descriptor that came with it must be there
 * exactly when the frame says so, and be the pipe that carries its id. */
static void ngc_t_fd_peer_msg(ngc_channel_t *ch, const ngc_msg_t *msg, void *arg)
{
    ngc_t_peer_t *p = arg;
    if (msg->type == NGC_MSG_STOP) {
        p->stop = true;
        event_base_loopbreak(p->base);
        return;
    }
    int fd = ngc_channel_take_fd(ch);
    if (msg->type != NGC_MSG_TASK || msg->u.task.task_id != p->next_task ||
        (fd >= 0) != ngc_msg_has_fd(msg)) {
        p->errors++;
    } else if (fd >= 0) {
        uint32_t id = UINT32_MAX;
        char extra;
        if (read(fd, &id, sizeof(id)) != sizeof(id) || id != p->next_task ||
            read(fd, &extra, 1) != 0) /* the writer's end is closed: EOF */
            p->errors++;
        if (ngc_channel_take_fd(ch) != -1) /* taken once */
            p->errors++;
    }
    if (fd >= 0)
        close(fd);
    p->next_task++;
    ngc_msg_t done;
    memset(&done, 0, sizeof(done));
    done.type = NGC_MSG_DONE;
    done.u.done.task_id = msg->u.task.task_id;
    done.u.done.lines = msg->u.task.task_id;
    if (ngc_channel_send(ch, &done) != NGC_OK)
        p->errors++;
}

static int ngc_t_fd_peer(int fd)
{
    ngc_t_peer_t p;
    memset(&p, 0, sizeof(p));
    p.base = event_base_new();
    p.ch = ngc_channel_new(p.base, fd, ngc_t_fd_peer_msg, ngc_t_peer_close, &p);
    if (p.base == NULL || p.ch == NULL)
        return 10;
    while (!p.stop && !p.closed)
        event_base_loop(p.base, EVLOOP_ONCE);
    while (ngc_channel_pending(p.ch) > 0 && !p.closed)
        event_base_loop(p.base, EVLOOP_ONCE);
    ngc_channel_free(p.ch);
    event_base_free(p.base);
    if (p.closed)
        return 12;
    if (p.next_task != NGC_T_NFDS)
        return 13;
    return p.errors ? 15 : 0;
}

/*
 * Hundreds of frames, two of every three carrying the read end of a pipe
 * that holds the frame's task id, all queued before the loop runs (so
 * several descriptors are in flight at once, and reads return many frames),
 * with long paths so that frames straddle reads. Each reaches the peer with
 * its own frame, and the sender's copies are closed once sent.
 */
static void test_descriptors_with_frames(void **state)
{
    (void)state;
    ngc_t_side_t s;
    pid_t pid;
    ngc_channel_t *ch = ngc_t_fork_peer(ngc_t_fd_peer, &s, &pid);
    unsigned before = ngc_t_open_fds();
    for (uint32_t i = 0; i < NGC_T_NFDS; i++) {
        if (i % 3 == 2) {
            ngc_msg_t m = ngc_t_task_msg(i);
            assert_int_equal(ngc_channel_send(ch, &m), NGC_OK);
            continue;
        }
        int pfd[2];
        assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
        assert_int_equal(write(pfd[1], &i, sizeof(i)), sizeof(i));
        close(pfd[1]);
        ngc_msg_t m = ngc_t_fd_task(i);
        assert_int_equal(ngc_channel_send_fd(ch, &m, pfd[0]), NGC_OK);
    }
    ngc_msg_t stop;
    ngc_t_stop_peer(ch, &s, pid, &stop, false);
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.next_done, NGC_T_NFDS);
    assert_true(s.why_null);
    assert_int_equal(ngc_t_open_fds(), before);
    ngc_channel_free(ch);
    event_base_free(s.base);
}

/* Sends frame bytes from the raw end, with fd (if >= 0) on the first byte. */
static void ngc_t_raw_sendmsg(ngc_t_raw_t *r, const uint8_t *p, size_t len, int fd)
{
    struct iovec iov = {(void *)p, len};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } cm;
    memset(&cm, 0, sizeof(cm));
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        mh.msg_control = cm.buf;
        mh.msg_controllen = sizeof(cm.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    assert_int_equal(sendmsg(r->raw, &mh, 0), (ssize_t)len);
}

/* A frame that says it carries a descriptor but came without one breaks
 * the stream; nothing is delivered from it. */
static void test_frame_without_its_descriptor(void **state)
{
    (void)state;
    ngc_t_raw_t r;
    ngc_t_raw_open(&r);
    static uint8_t bytes[NGC_MSG_FRAME_MAX];
    ngc_msg_t m = ngc_t_fd_task(1);
    size_t n = ngc_msg_encode(&m, bytes);
    ngc_t_raw_sendmsg(&r, bytes, n, -1);
    ngc_t_raw_settle(&r);
    assert_int_equal(r.s.msgs, 0);
    assert_int_equal(r.s.closes, 1);
    assert_non_null(strstr(r.s.why, "descriptor"));
    ngc_t_raw_close(&r);
}

/* A descriptor the handler does not take is closed when it returns: the
 * pipe's writer then sees no reader. */
static void test_descriptor_not_taken_is_closed(void **state)
{
    (void)state;
    ngc_t_raw_t r;
    ngc_t_raw_open(&r);
    int pfd[2];
    assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
    static uint8_t bytes[NGC_MSG_FRAME_MAX];
    ngc_msg_t m = ngc_t_fd_task(1);
    size_t n = ngc_msg_encode(&m, bytes);
    ngc_t_raw_sendmsg(&r, bytes, n, pfd[0]);
    close(pfd[0]);
    ngc_t_raw_settle(&r);
    assert_int_equal(r.s.msgs, 1);
    assert_int_equal(r.s.closes, 0);
    char c = 'x';
    assert_int_equal(write(pfd[1], &c, 1), -1);
    assert_int_equal(errno, EPIPE);
    close(pfd[1]);
    ngc_t_raw_close(&r);
}

/* The coordinator frees a channel from its message handler (a worker that
 * broke the rules): nothing more is delivered, and nothing is touched
 * after the free (ASan checks). */
static void ngc_t_free_on_msg(ngc_channel_t *ch, const ngc_msg_t *msg, void *arg)
{
    ngc_t_side_t *s = arg;
    s->msgs++;
    s->last = *msg;
    ngc_channel_free(ch);
}

static void test_free_inside_handler(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    ngc_t_side_t s;
    memset(&s, 0, sizeof(s));
    struct event_base *base = event_base_new();
    assert_non_null(base);
    ngc_channel_t *ch = ngc_channel_new(base, sv[0], ngc_t_free_on_msg, ngc_t_side_close, &s);
    assert_non_null(ch);
    /* A reply queued, then three frames in one read, the first with a pipe. */
    ngc_msg_t h;
    memset(&h, 0, sizeof(h));
    h.type = NGC_MSG_HELLO;
    assert_int_equal(ngc_channel_send(ch, &h), NGC_OK);
    int pfd[2];
    assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
    ngc_t_raw_t r = {.base = base, .ch = NULL, .raw = sv[1]};
    static uint8_t bytes[3 * NGC_MSG_FRAME_MAX];
    ngc_msg_t m = ngc_t_fd_task(1);
    size_t n = ngc_msg_encode(&m, bytes);
    n += ngc_msg_encode(&h, bytes + n);
    n += ngc_msg_encode(&h, bytes + n);
    ngc_t_raw_sendmsg(&r, bytes, n, pfd[0]);
    close(pfd[0]);
    ngc_t_raw_settle(&r);
    assert_int_equal(s.msgs, 1);
    assert_int_equal(s.last.type, NGC_MSG_TASK);
    assert_int_equal(s.closes, 0);
    /* Its descriptors and its socket are closed. */
    char c = 'x';
    assert_int_equal(write(pfd[1], &c, 1), -1);
    assert_int_equal(errno, EPIPE);
    close(pfd[1]);
    ssize_t got;
    while ((got = recv(sv[1], bytes, sizeof(bytes), 0)) > 0)
        ; /* the HELLO it may have sent first */
    assert_int_equal(got, 0);
    close(sv[1]);
    event_base_free(base);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as the engine's processes do */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_messages_both_ways),
        cmocka_unit_test(test_one_byte_at_a_time),
        cmocka_unit_test(test_one_byte_at_a_time_from_child),
        cmocka_unit_test(test_corrupt_frame),
        cmocka_unit_test(test_eof_immediately),
        cmocka_unit_test(test_eof_after_messages),
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_descriptors_with_frames),
        cmocka_unit_test(test_frame_without_its_descriptor),
        cmocka_unit_test(test_descriptor_not_taken_is_closed),
        cmocka_unit_test(test_free_inside_handler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
