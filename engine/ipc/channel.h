/*
 * channel.h: framed messages over one end of a socketpair, driven by a
 * libevent loop. Incoming bytes are decoded frame by frame until more are
 * needed; a corrupt frame or EOF closes the channel through on_close.
 * A frame may carry one descriptor (SCM_RIGHTS, sent with the frame's first
 * byte): a pipe reaches the one worker that reads it without being opened
 * again.
 */
#ifndef NGC_ENGINE_IPC_CHANNEL_H
#define NGC_ENGINE_IPC_CHANNEL_H

#include <event2/event.h>

#include "engine/ipc/msg.h"

typedef struct ngc_channel_s ngc_channel_t;

/* Called once per decoded message; loop thread. May free the channel. */
typedef void (*ngc_channel_msg_fn)(ngc_channel_t *ch, const ngc_msg_t *msg, void *arg);
/* Called once when the peer closed (why NULL) or the stream broke (why set);
 * the callee may free the channel. Loop thread. */
typedef void (*ngc_channel_close_fn)(ngc_channel_t *ch, const char *why, void *arg);

/* Takes ownership of fd (non-blocking). Loop thread of base. */
ngc_channel_t *ngc_channel_new(struct event_base *base, int fd, ngc_channel_msg_fn on_msg,
                               ngc_channel_close_fn on_close, void *arg);
/* Queues one message; NGC_OK or NGC_ERROR. Loop thread. */
int ngc_channel_send(ngc_channel_t *ch, const ngc_msg_t *msg);
/* Queues one message whose frame carries fd (ngc_msg_has_fd(msg) must be
 * true). Takes ownership of fd: it is closed once sent, when the channel is
 * freed, or at once on NGC_ERROR. Loop thread. */
int ngc_channel_send_fd(ngc_channel_t *ch, const ngc_msg_t *msg, int fd);
/* In on_msg only: the descriptor that came with the message being
 * delivered, now the caller's to close; -1 when none. One not taken is
 * closed when on_msg returns. */
int ngc_channel_take_fd(ngc_channel_t *ch);
/* Queues raw bytes, unchecked: for failpoints that corrupt the stream. */
int ngc_channel_send_raw(ngc_channel_t *ch, const void *p, size_t n);
/* Writes what is queued now, blocking-free but without waiting for the
 * loop; for a worker about to exit. */
void ngc_channel_flush(ngc_channel_t *ch);
/* Bytes queued but not yet written. */
size_t ngc_channel_pending(const ngc_channel_t *ch);
/* Closes fd and every descriptor not yet sent or taken. Accepts NULL; may
 * be called from the channel's own callbacks. */
void ngc_channel_free(ngc_channel_t *ch);

#endif
