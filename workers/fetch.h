/*
 * fetch.h: an http(s) input streamed into a pipe by a thread of its own
 * (libcurl), so the reader reads it like any other stream and inflates or
 * unpacks it the same way: nothing is stored on disk. A cut connection is
 * resumed from the last byte received (HTTP Range); a server that ignores
 * Range sends the whole body again, whose bytes already passed on are
 * dropped, so every byte reaches the pipe exactly once, in order.
 */
#ifndef NGC_WORKERS_FETCH_H
#define NGC_WORKERS_FETCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ngc_fetch_s ngc_fetch_t;

typedef struct {
    uint64_t bytes;    /* bytes received, also any sent again */
    uint64_t resumes;  /* transfers continued with a Range request */
    uint64_t retries;  /* attempts after a failure (cut, stall, 5xx) */
    uint64_t restarts; /* servers that ignored Range and sent it all again */
} ngc_fetch_stats_t;

/* Starts fetching url; *fd is the pipe's read end, the caller's to close
 * (closing it early stops the transfer). Up to max_retries failed attempts
 * in a row (backoff between them); an attempt that receives nothing for
 * stall seconds fails. The body's length, once a response gives it, is
 * added to *length (progress; may be NULL). NULL with a reason in err. */
ngc_fetch_t *ngc_fetch_start(const char *url, unsigned max_retries, unsigned stall,
                             _Atomic uint64_t *length, int *fd, char *err, size_t cap);
/* Waits for the transfer's end (call after the pipe reached EOF, or after
 * closing it); NGC_OK when the whole body arrived, else NGC_ERROR with the
 * reason in err. Frees f. stats may be NULL. */
int ngc_fetch_finish(ngc_fetch_t *f, ngc_fetch_stats_t *stats, char *err, size_t cap);
/* Whether this build can fetch URLs. */
int ngc_fetch_available(void);

#endif
