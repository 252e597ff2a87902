/*
 * channel.c: the channel does its own socket I/O (recvmsg and sendmsg under
 * a read and a write event; evbuffers hold the bytes) because a bufferevent
 * can neither send nor receive a descriptor: it reads with plain read(2),
 * which closes any descriptor that arrives. ngc_msg_decode cuts the bytes
 * into frames.
 *
 * A descriptor goes out with the first byte of its frame, and later bytes
 * wait for the next sendmsg. The kernel hands it over with the recvmsg that
 * returns that byte (earlier bytes may come with it), and descriptors
 * arrive in order: so the receiver queues every descriptor that arrives,
 * and a frame that says it carries one takes the oldest.
 */
#include "engine/base/ngc.h"
#include "engine/ipc/channel.h"
#include "engine/base/log.h"

#include <errno.h>
#include <event2/buffer.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* Bytes asked of the socket per read. */
#define NGC_CHANNEL_READ (64u << 10)
/* Descriptors received and not yet claimed by their frame. */
#define NGC_CHANNEL_FDS 64
#define NGC_CHANNEL_IOV 16

typedef struct {
    uint64_t at; /* offset in the output stream of its frame's first byte */
    int fd;
} ngc_channel_outfd_t;

typedef union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int) * 8)];
} ngc_channel_cmsg_t;

struct ngc_channel_s {
    int fd;
    struct event *rev, *wev;
    struct evbuffer *in, *out;
    uint64_t sent;               /* bytes of the output stream written so far */
    ngc_channel_outfd_t *outfds; /* to send, in stream order */
    size_t noutfds, outfds_cap;
    int infds[NGC_CHANNEL_FDS]; /* received, oldest first */
    unsigned ninfds;
    int cur_fd; /* the message being delivered's, until taken */
    ngc_channel_msg_fn on_msg;
    ngc_channel_close_fn on_close;
    void *arg;
    unsigned busy; /* our callbacks on the stack */
    bool closed;
    bool freed; /* freed inside a callback: destroyed when it returns */
};

static void ngc_channel_drop_fds(ngc_channel_t *ch)
{
    for (size_t i = 0; i < ch->noutfds; i++)
        close(ch->outfds[i].fd);
    ch->noutfds = 0;
    for (unsigned i = 0; i < ch->ninfds; i++)
        close(ch->infds[i]);
    ch->ninfds = 0;
}

static void ngc_channel_destroy(ngc_channel_t *ch)
{
    ngc_channel_drop_fds(ch);
    if (ch->cur_fd >= 0)
        close(ch->cur_fd);
    event_free(ch->rev);
    event_free(ch->wev);
    evbuffer_free(ch->in);
    evbuffer_free(ch->out);
    close(ch->fd);
    free(ch->outfds);
    free(ch);
}

/* Ends one of our callbacks: destroys a channel freed inside it. */
static void ngc_channel_leave(ngc_channel_t *ch)
{
    if (--ch->busy == 0 && ch->freed)
        ngc_channel_destroy(ch);
}

static void ngc_channel_close(ngc_channel_t *ch, const char *why)
{
    if (ch->closed)
        return;
    ch->closed = true;
    event_del(ch->rev);
    event_del(ch->wev);
    ngc_channel_drop_fds(ch);
    ch->on_close(ch, why, ch->arg);
}

/* Queues the descriptors of one received control message. NULL, or why
 * the stream is broken. */
static const char *ngc_channel_take_cmsgs(ngc_channel_t *ch, struct msghdr *mh)
{
    const char *why = NULL;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
            if (ch->ninfds < NGC_CHANNEL_FDS) {
                ch->infds[ch->ninfds++] = fd;
            } else {
                close(fd);
                why = "too many descriptors sent ahead of their frames";
            }
        }
    }
    if (mh->msg_flags & MSG_CTRUNC)
        why = "a descriptor was lost (control data truncated)";
    return why;
}

/* One recvmsg into the input buffer: NGC_OK, NGC_EOF, NGC_AGAIN, or
 * NGC_ERROR with *why set. */
static int ngc_channel_recv(ngc_channel_t *ch, const char **why)
{
    struct evbuffer_iovec v;
    if (evbuffer_reserve_space(ch->in, NGC_CHANNEL_READ, &v, 1) < 1) {
        *why = "out of memory";
        return NGC_ERROR;
    }
    ngc_channel_cmsg_t cm;
    struct iovec iov = {v.iov_base, v.iov_len < NGC_CHANNEL_READ ? v.iov_len : NGC_CHANNEL_READ};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = cm.buf,
                        .msg_controllen = sizeof(cm.buf)};
    ssize_t n;
    do
        n = recvmsg(ch->fd, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK)
            return NGC_AGAIN;
        /* A peer that died with our messages unread resets the connection:
         * that is its end, like EOF, not a protocol fault. */
        if (err == ECONNRESET)
            return NGC_EOF;
        *why = strerror(err);
        return NGC_ERROR;
    }
    *why = ngc_channel_take_cmsgs(ch, &mh);
    v.iov_len = (size_t)n;
    evbuffer_commit_space(ch->in, &v, 1);
    if (*why != NULL)
        return NGC_ERROR;
    return n == 0 ? NGC_EOF : NGC_OK;
}

/* Hands every complete frame in the input to on_msg. */
static void ngc_channel_deliver(ngc_channel_t *ch)
{
    while (!ch->closed && !ch->freed) {
        size_t avail = evbuffer_get_length(ch->in);
        if (avail < NGC_MSG_HEADER)
            return;
        size_t want = avail < NGC_MSG_FRAME_MAX ? avail : NGC_MSG_FRAME_MAX;
        const uint8_t *p = evbuffer_pullup(ch->in, (ev_ssize_t)want);
        ngc_msg_t msg;
        size_t used = 0;
        const char *why = NULL;
        int rc = ngc_msg_decode(p, want, &msg, &used, &why);
        if (rc == NGC_AGAIN)
            return;
        if (rc == NGC_OK && ngc_msg_has_fd(&msg)) {
            if (ch->ninfds == 0) {
                rc = NGC_ERROR;
                why = "a frame came without its descriptor";
            } else {
                ch->cur_fd = ch->infds[0];
                memmove(ch->infds, ch->infds + 1, --ch->ninfds * sizeof(ch->infds[0]));
            }
        }
        if (rc == NGC_ERROR) {
            ngc_channel_close(ch, why);
            return;
        }
        evbuffer_drain(ch->in, used);
        ch->on_msg(ch, &msg, ch->arg);
        if (ch->cur_fd >= 0) {
            close(ch->cur_fd);
            ch->cur_fd = -1;
        }
    }
}

static void ngc_channel_read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ngc_channel_t *ch = arg;
    ch->busy++;
    const char *why = NULL;
    int rc = ngc_channel_recv(ch, &why);
    if (rc == NGC_OK)
        ngc_channel_deliver(ch);
    if (!ch->freed && rc == NGC_EOF) {
        bool torn = evbuffer_get_length(ch->in) > 0;
        ngc_channel_close(ch, torn ? "connection closed in the middle of a frame" : NULL);
    } else if (!ch->freed && rc == NGC_ERROR) {
        ngc_channel_close(ch, why);
    }
    ngc_channel_leave(ch);
}

/* Writes queued bytes: NGC_OK when all are out, NGC_AGAIN when the socket
 * is full, NGC_ERROR (*err) when it failed. */
static int ngc_channel_write_out(ngc_channel_t *ch, int *err)
{
    for (;;) {
        size_t len = evbuffer_get_length(ch->out);
        if (len == 0)
            return NGC_OK;
        /* Up to the next descriptor's frame; a descriptor goes with the
         * first byte of its own. */
        int pass = -1;
        if (ch->noutfds > 0) {
            const ngc_channel_outfd_t *o = ch->outfds;
            if (o[0].at == ch->sent) {
                pass = o[0].fd;
                if (ch->noutfds > 1 && o[1].at - ch->sent < len)
                    len = (size_t)(o[1].at - ch->sent);
            } else if (o[0].at - ch->sent < len) {
                len = (size_t)(o[0].at - ch->sent);
            }
        }
        struct evbuffer_iovec vec[NGC_CHANNEL_IOV];
        int nvec = evbuffer_peek(ch->out, (ev_ssize_t)len, NULL, vec, NGC_CHANNEL_IOV);
        struct iovec iov[NGC_CHANNEL_IOV];
        size_t total = 0;
        int k = 0;
        for (; k < nvec && k < NGC_CHANNEL_IOV && total < len; k++) {
            size_t n = vec[k].iov_len < len - total ? vec[k].iov_len : len - total;
            iov[k] = (struct iovec){vec[k].iov_base, n};
            total += n;
        }
        ngc_channel_cmsg_t cm;
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)k};
        if (pass >= 0) {
            memset(&cm, 0, sizeof(cm));
            mh.msg_control = cm.buf;
            mh.msg_controllen = CMSG_SPACE(sizeof(int));
            struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &pass, sizeof(int));
        }
        ssize_t n = sendmsg(ch->fd, &mh, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return NGC_AGAIN;
            *err = errno;
            return NGC_ERROR;
        }
        evbuffer_drain(ch->out, (size_t)n);
        ch->sent += (uint64_t)n;
        if (pass >= 0 && n > 0) {
            /* In flight now: the kernel holds it until the peer reads it. */
            close(pass);
            memmove(ch->outfds, ch->outfds + 1, --ch->noutfds * sizeof(ch->outfds[0]));
        }
    }
}

static void ngc_channel_write_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ngc_channel_t *ch = arg;
    ch->busy++;
    int err = 0;
    int rc = ngc_channel_write_out(ch, &err);
    if (rc == NGC_OK)
        event_del(ch->wev);
    else if (rc == NGC_ERROR)
        ngc_channel_close(ch, err == EPIPE || err == ECONNRESET ? NULL : strerror(err));
    ngc_channel_leave(ch);
}

ngc_channel_t *ngc_channel_new(struct event_base *base, int fd, ngc_channel_msg_fn on_msg,
                               ngc_channel_close_fn on_close, void *arg)
{
    ngc_channel_t *ch = calloc(1, sizeof(*ch));
    if (ch == NULL)
        return NULL;
    ch->fd = fd;
    ch->cur_fd = -1;
    ch->on_msg = on_msg;
    ch->on_close = on_close;
    ch->arg = arg;
    ch->in = evbuffer_new();
    ch->out = evbuffer_new();
    ch->rev = event_new(base, fd, EV_READ | EV_PERSIST, ngc_channel_read_cb, ch);
    ch->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, ngc_channel_write_cb, ch);
    if (ch->in == NULL || ch->out == NULL || ch->rev == NULL || ch->wev == NULL ||
        event_add(ch->rev, NULL) != 0) {
        ngc_log_error(0, "cannot set up a channel");
        if (ch->rev)
            event_free(ch->rev);
        if (ch->wev)
            event_free(ch->wev);
        if (ch->in)
            evbuffer_free(ch->in);
        if (ch->out)
            evbuffer_free(ch->out);
        free(ch);
        return NULL; /* fd stays the caller's */
    }
    return ch;
}

static int ngc_channel_queue(ngc_channel_t *ch, const void *p, size_t n)
{
    if (evbuffer_add(ch->out, p, n) != 0) {
        ngc_log_error(ENOMEM, "cannot queue a message");
        return NGC_ERROR;
    }
    if (!event_pending(ch->wev, EV_WRITE, NULL) && event_add(ch->wev, NULL) != 0) {
        ngc_log_error(0, "event_add() failed for a channel");
        return NGC_ERROR;
    }
    return NGC_OK;
}

int ngc_channel_send(ngc_channel_t *ch, const ngc_msg_t *msg)
{
    ngc_assert(!ngc_msg_has_fd(msg));
    if (ch->closed)
        return NGC_ERROR;
    uint8_t buf[NGC_MSG_FRAME_MAX];
    size_t n = ngc_msg_encode(msg, buf);
    return ngc_channel_queue(ch, buf, n);
}

int ngc_channel_send_fd(ngc_channel_t *ch, const ngc_msg_t *msg, int fd)
{
    ngc_assert(ngc_msg_has_fd(msg) && fd >= 0);
    if (ch->closed)
        goto fail;
    if (ch->noutfds == ch->outfds_cap) {
        size_t cap = ch->outfds_cap ? ch->outfds_cap * 2 : 8;
        ngc_channel_outfd_t *o = realloc(ch->outfds, cap * sizeof(*o));
        if (o == NULL) {
            ngc_log_error(ENOMEM, "cannot queue a descriptor");
            goto fail;
        }
        ch->outfds = o;
        ch->outfds_cap = cap;
    }
    uint64_t at = ch->sent + evbuffer_get_length(ch->out);
    uint8_t buf[NGC_MSG_FRAME_MAX];
    size_t n = ngc_msg_encode(msg, buf);
    if (ngc_channel_queue(ch, buf, n) != NGC_OK)
        goto fail;
    ch->outfds[ch->noutfds++] = (ngc_channel_outfd_t){at, fd};
    return NGC_OK;

fail:
    close(fd);
    return NGC_ERROR;
}

int ngc_channel_take_fd(ngc_channel_t *ch)
{
    int fd = ch->cur_fd;
    ch->cur_fd = -1;
    return fd;
}

int ngc_channel_send_raw(ngc_channel_t *ch, const void *p, size_t n)
{
    if (ch->closed)
        return NGC_ERROR;
    return ngc_channel_queue(ch, p, n);
}

void ngc_channel_flush(ngc_channel_t *ch)
{
    int err = 0;
    while (ngc_channel_write_out(ch, &err) == NGC_AGAIN) {
        struct pollfd pfd = {.fd = ch->fd, .events = POLLOUT};
        if (poll(&pfd, 1, 1000) == 0)
            return;
    }
}

size_t ngc_channel_pending(const ngc_channel_t *ch)
{
    return evbuffer_get_length(ch->out);
}

void ngc_channel_free(ngc_channel_t *ch)
{
    if (ch == NULL)
        return;
    if (ch->busy > 0) {
        /* Inside one of its callbacks: nothing more is delivered, and the
         * callback destroys it on the way out. */
        ch->freed = true;
        ch->closed = true;
        event_del(ch->rev);
        event_del(ch->wev);
        return;
    }
    ngc_channel_destroy(ch);
}
