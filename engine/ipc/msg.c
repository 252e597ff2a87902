/*
 * msg.c: frame encoding and validation. Everything a peer sends is checked
 * before use: the version, the type, the exact payload length of the type,
 * and every embedded length.
 */
#include "engine/base/ngc.h"
#include "engine/ipc/msg.h"
#include "engine/base/config.h"

typedef struct {
    size_t fixed; /* payload bytes before any trailing text */
    size_t text;  /* most trailing bytes */
} ngc_msg_shape_t;

static ngc_msg_shape_t ngc_msg_shape(uint8_t type)
{
    switch (type) {
    case NGC_MSG_HELLO:
        return (ngc_msg_shape_t){sizeof(ngc_msg_hello_t), 0};
    case NGC_MSG_TASK:
        return (ngc_msg_shape_t){offsetof(ngc_msg_task_t, path), NGC_MSG_PATH_MAX};
    case NGC_MSG_DONE:
        return (ngc_msg_shape_t){sizeof(ngc_msg_done_t), 0};
    case NGC_MSG_FAILED:
        return (ngc_msg_shape_t){offsetof(ngc_msg_failed_t, text), NGC_MSG_TEXT_MAX};
    case NGC_MSG_STOP:
        return (ngc_msg_shape_t){0, 0};
    default:
        return (ngc_msg_shape_t){SIZE_MAX, 0};
    }
}

size_t ngc_msg_encode(const ngc_msg_t *msg, uint8_t *buf)
{
    ngc_msg_shape_t shape = ngc_msg_shape((uint8_t)msg->type);
    ngc_assert(shape.fixed != SIZE_MAX);
    size_t text = 0;
    if (msg->type == NGC_MSG_TASK)
        text = msg->u.task.path_len;
    else if (msg->type == NGC_MSG_FAILED)
        text = msg->u.failed.text_len;
    ngc_assert(text <= shape.text);
    uint32_t len = (uint32_t)(shape.fixed + text);
    memcpy(buf, &len, 4);
    buf[4] = NGC_MSG_VERSION;
    buf[5] = (uint8_t)msg->type;
    buf[6] = 0;
    buf[7] = 0;
    memcpy(buf + NGC_MSG_HEADER, &msg->u, len);
    return NGC_MSG_HEADER + len;
}

int ngc_msg_decode(const uint8_t *p, size_t avail, ngc_msg_t *out, size_t *used, const char **why)
{
    if (avail < NGC_MSG_HEADER)
        return NGC_AGAIN;
    uint32_t len;
    memcpy(&len, p, 4);
    if (p[4] != NGC_MSG_VERSION) {
        *why = "unsupported protocol version";
        return NGC_ERROR;
    }
    if (p[6] != 0 || p[7] != 0) {
        *why = "reserved header bytes are not zero";
        return NGC_ERROR;
    }
    ngc_msg_shape_t shape = ngc_msg_shape(p[5]);
    if (shape.fixed == SIZE_MAX) {
        *why = "unknown message type";
        return NGC_ERROR;
    }
    if (len < shape.fixed || len > shape.fixed + shape.text) {
        *why = "frame length does not match its type";
        return NGC_ERROR;
    }
    if (avail < NGC_MSG_HEADER + (size_t)len)
        return NGC_AGAIN;
    memset(out, 0, sizeof(*out));
    out->type = (ngc_msg_type_t)p[5];
    memcpy(&out->u, p + NGC_MSG_HEADER, len);
    size_t text = len - shape.fixed;
    switch (out->type) {
    case NGC_MSG_TASK: {
        ngc_msg_task_t *t = &out->u.task;
        if ((t->flags & ~NGC_TASK_FD) != 0 || t->attempt == 0) {
            *why = "bad task attempt or flags";
            return NGC_ERROR;
        }
        if (t->path_len != text) {
            *why = "task path length does not match the frame";
            return NGC_ERROR;
        }
        t->path[t->path_len] = '\0';
        if (memchr(t->path, '\0', t->path_len) != NULL) {
            *why = "task path holds a NUL byte";
            return NGC_ERROR;
        }
        if (t->kind < NGC_TASK_MAP_PLAIN || t->kind > NGC_TASK_KIND_LAST) {
            *why = "unknown task kind";
            return NGC_ERROR;
        }
        if ((t->kind == NGC_TASK_MAP_PLAIN || t->kind == NGC_TASK_MAP_STREAM) && t->path_len == 0) {
            *why = "map task without a path";
            return NGC_ERROR;
        }
        if ((t->flags & NGC_TASK_FD) && t->kind != NGC_TASK_MAP_PLAIN &&
            t->kind != NGC_TASK_MAP_STREAM && t->kind != NGC_TASK_FORMAT) {
            *why = "a descriptor for a task that reads none";
            return NGC_ERROR;
        }
        if (t->kind == NGC_TASK_FORMAT &&
            (!(t->flags & NGC_TASK_FD) || t->offset >= t->length || t->path_len != 0)) {
            *why = "a format task without its descriptor, range or with a path";
            return NGC_ERROR;
        }
        if (t->offset + t->length < t->offset) {
            *why = "task range wraps around";
            return NGC_ERROR;
        }
        break;
    }
    case NGC_MSG_DONE: {
        ngc_msg_done_t *d = &out->u.done;
        if (d->format >= NGC_FORMAT_MAX || d->pad != 0) {
            *why = "bad input format";
            return NGC_ERROR;
        }
        if (d->nsamples > NGC_MSG_SAMPLES || d->nsamples > d->malformed) {
            *why = "bad malformed-line sample count";
            return NGC_ERROR;
        }
        for (uint32_t i = 0; i < d->nsamples; i++)
            if (d->samples[i].reason == NGC_STREAMING_REASON_NONE ||
                d->samples[i].reason >= NGC_STREAMING_REASON_MAX || d->samples[i].line == 0 ||
                d->samples[i].line > d->lines) {
                *why = "bad malformed-line sample";
                return NGC_ERROR;
            }
        break;
    }
    case NGC_MSG_FAILED: {
        ngc_msg_failed_t *f = &out->u.failed;
        if (f->text_len != text) {
            *why = "failure text length does not match the frame";
            return NGC_ERROR;
        }
        f->text[f->text_len] = '\0';
        if (f->code < NGC_FAIL_INPUT || f->code > NGC_FAIL_LAST) {
            *why = "unknown failure code";
            return NGC_ERROR;
        }
        break;
    }
    default:
        break;
    }
    *used = NGC_MSG_HEADER + len;
    return NGC_OK;
}

bool ngc_msg_has_fd(const ngc_msg_t *msg)
{
    return msg->type == NGC_MSG_TASK && (msg->u.task.flags & NGC_TASK_FD) != 0;
}

const char *ngc_msg_reason_text(uint32_t reason)
{
    switch (reason) {
    case NGC_STREAMING_REASON_FIELDS:
        return "wrong number of TAB-separated fields";
    case NGC_STREAMING_REASON_EMPTY_NGRAM:
        return "empty ngram";
    case NGC_STREAMING_REASON_NUMBER:
        return "year or count is not a number";
    case NGC_STREAMING_REASON_NEGATIVE:
        return "negative year or count";
    case NGC_STREAMING_REASON_RANGE:
        return "count larger than 2^64-1";
    case NGC_STREAMING_REASON_YEAR:
        return "year outside 1..9999";
    case NGC_STREAMING_REASON_LONG:
        return "line longer than 1 MiB";
    case NGC_STREAMING_REASON_TRIPLE:
        return "a field is not year,match,volume";
    case NGC_STREAMING_REASON_UTF8:
        return "not valid UTF-8";
    default:
        return "malformed line";
    }
}
