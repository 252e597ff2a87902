/*
 * channel.c: a bufferevent carries the bytes (partial reads and writes, write
 * buffering); this file cuts them into frames with ngc_msg_decode.
 */
#include "engine/ngc.h"
#include "engine/channel.h"
#include "engine/log.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

struct ngc_channel_s {
    struct bufferevent *bev;
    ngc_channel_msg_fn on_msg;
    ngc_channel_close_fn on_close;
    void *arg;
    int closed;
};

static void ngc_channel_close(ngc_channel_t *ch, const char *why)
{
    if (ch->closed)
        return;
    ch->closed = 1;
    bufferevent_disable(ch->bev, EV_READ | EV_WRITE);
    ch->on_close(ch, why, ch->arg);
}

static void ngc_channel_read_cb(struct bufferevent *bev, void *arg)
{
    ngc_channel_t *ch = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    while (!ch->closed) {
        size_t avail = evbuffer_get_length(in);
        if (avail < NGC_MSG_HEADER)
            return;
        size_t want = avail < NGC_MSG_FRAME_MAX ? avail : NGC_MSG_FRAME_MAX;
        const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)want);
        ngc_msg_t msg;
        size_t used = 0;
        const char *why = NULL;
        int rc = ngc_msg_decode(p, want, &msg, &used, &why);
        if (rc == NGC_AGAIN)
            return;
        if (rc == NGC_ERROR) {
            ngc_channel_close(ch, why);
            return;
        }
        evbuffer_drain(in, used);
        ch->on_msg(ch, &msg, ch->arg);
    }
}

static void ngc_channel_event_cb(struct bufferevent *bev, short what, void *arg)
{
    ngc_channel_t *ch = arg;
    if (what & BEV_EVENT_EOF) {
        bool torn = evbuffer_get_length(bufferevent_get_input(bev)) > 0;
        ngc_channel_close(ch, torn ? "connection closed in the middle of a frame" : NULL);
    } else if (what & BEV_EVENT_ERROR) {
        int err = EVUTIL_SOCKET_ERROR();
        /* A peer that died with our messages unread resets the connection:
         * that is its end, like EOF, not a protocol fault. */
        if (err == ECONNRESET || err == EPIPE)
            ngc_channel_close(ch, NULL);
        else
            ngc_channel_close(ch, evutil_socket_error_to_string(err));
    }
}

ngc_channel_t *ngc_channel_new(struct event_base *base, int fd, ngc_channel_msg_fn on_msg,
                               ngc_channel_close_fn on_close, void *arg)
{
    ngc_channel_t *ch = calloc(1, sizeof(*ch));
    if (ch == NULL)
        return NULL;
    ch->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (ch->bev == NULL) {
        ngc_log_error(0, "bufferevent_socket_new() failed");
        free(ch);
        return NULL;
    }
    ch->on_msg = on_msg;
    ch->on_close = on_close;
    ch->arg = arg;
    bufferevent_setcb(ch->bev, ngc_channel_read_cb, NULL, ngc_channel_event_cb, ch);
    if (bufferevent_enable(ch->bev, EV_READ | EV_WRITE) != 0) {
        ngc_log_error(0, "bufferevent_enable() failed");
        bufferevent_free(ch->bev);
        free(ch);
        return NULL;
    }
    return ch;
}

int ngc_channel_send(ngc_channel_t *ch, const ngc_msg_t *msg)
{
    if (ch->closed)
        return NGC_ERROR;
    uint8_t buf[NGC_MSG_FRAME_MAX];
    size_t n = ngc_msg_encode(msg, buf);
    if (bufferevent_write(ch->bev, buf, n) != 0) {
        ngc_log_error(0, "bufferevent_write() failed");
        return NGC_ERROR;
    }
    return NGC_OK;
}

int ngc_channel_send_raw(ngc_channel_t *ch, const void *p, size_t n)
{
    if (ch->closed || bufferevent_write(ch->bev, p, n) != 0)
        return NGC_ERROR;
    return NGC_OK;
}

void ngc_channel_flush(ngc_channel_t *ch)
{
    /* The bufferevent owns its output (its start is frozen, so the buffer
     * API won't drain it): peek at the queued bytes and write them
     * ourselves. Only for a process about to exit: the queue stays as is. */
    struct evbuffer *out = bufferevent_get_output(ch->bev);
    int fd = (int)bufferevent_getfd(ch->bev);
    struct evbuffer_iovec vec[8];
    int nvec = evbuffer_peek(out, -1, NULL, vec, 8);
    for (int i = 0; i < nvec && i < 8; i++) {
        const char *p = vec[i].iov_base;
        for (size_t done = 0; done < vec[i].iov_len;) {
            ssize_t w = write(fd, p + done, vec[i].iov_len - done);
            if (w > 0)
                done += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR)
                return;
        }
    }
}

size_t ngc_channel_pending(const ngc_channel_t *ch)
{
    return evbuffer_get_length(bufferevent_get_output(ch->bev));
}

void ngc_channel_free(ngc_channel_t *ch)
{
    if (ch == NULL)
        return;
    bufferevent_free(ch->bev);
    free(ch);
}
