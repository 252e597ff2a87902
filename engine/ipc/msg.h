/*
 * msg.h: the wire protocol between the coordinator and a worker over their
 * socketpair. A frame is an 8-byte header (payload length, version, type)
 * and a payload of one fixed-layout struct, whose trailing text (a path, an
 * error message) is sent only up to its stated length. Both ends run every
 * frame through ngc_msg_decode, which rejects a wrong version, an unknown
 * type, a length that does not match the type, and oversized frames.
 * Host byte order: both ends are on one machine.
 */
#ifndef NGC_ENGINE_IPC_MSG_H
#define NGC_ENGINE_IPC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NGC_MSG_VERSION 2
#define NGC_MSG_HEADER 8
#define NGC_MSG_PATH_MAX 4096
#define NGC_MSG_TEXT_MAX 1024
#define NGC_MSG_SAMPLES 5

typedef enum {
    NGC_MSG_HELLO = 1,  /* worker -> coordinator: ready */
    NGC_MSG_TASK = 2,   /* coordinator -> worker: run a task */
    NGC_MSG_DONE = 3,   /* worker -> coordinator: task finished */
    NGC_MSG_FAILED = 4, /* worker -> coordinator: task failed, with reason */
    NGC_MSG_STOP = 5    /* coordinator -> worker: exit */
} ngc_msg_type_t;

typedef enum {
    NGC_TASK_MAP_PLAIN = 1,  /* lines starting in [offset, offset+length) */
    NGC_TASK_MAP_STREAM = 2, /* the whole file, gzip or plain, streamed */
    NGC_TASK_MAP_STDIN = 3,  /* standard input, gzip or plain */
    NGC_TASK_SORT = 4,       /* sort partitions [offset, offset+length) */
    NGC_TASK_LOAD = 5,       /* COPY partitions [offset, offset+length) to PostgreSQL */
    NGC_TASK_FORMAT = 6,     /* format output range `offset` of `length` into its window */
    NGC_TASK_KIND_LAST = NGC_TASK_FORMAT /* the decoder and the fuzz harness check against it */
} ngc_task_kind_t;

/* A map task's input descriptor comes with its TASK frame (SCM_RIGHTS, see
 * channel.h): a pipe or device the coordinator opened once, or a /dev/fd
 * path that means nothing in a worker. path then only names it. A format
 * task always has it: the memfd of the output's ranges (ranges.h). */
#define NGC_TASK_FD 1u

/* Why a line is malformed. */
typedef enum {
    NGC_STREAMING_REASON_NONE = 0,
    NGC_STREAMING_REASON_FIELDS, /* not 4 TAB-separated fields */
    NGC_STREAMING_REASON_EMPTY_NGRAM,
    NGC_STREAMING_REASON_NUMBER,   /* a count or year that is not a decimal number */
    NGC_STREAMING_REASON_NEGATIVE, /* a count or year with a minus sign */
    NGC_STREAMING_REASON_RANGE,    /* a count over 2^64-1 */
    NGC_STREAMING_REASON_YEAR,     /* a year outside 1..9999 */
    NGC_STREAMING_REASON_LONG,     /* a line longer than NGC_LINE_MAX */
    NGC_STREAMING_REASON_TRIPLE,   /* v3: a field that is not year,match,volume */
    NGC_STREAMING_REASON_UTF8,     /* text, --tokenize words: not valid UTF-8 */
    NGC_STREAMING_REASON_MAX
} ngc_streaming_reason_t;

/* Why a task failed. */
typedef enum {
    NGC_FAIL_INPUT = 1,     /* unreadable, truncated or corrupt input */
    NGC_FAIL_MALFORMED = 2, /* --strict and a malformed line */
    NGC_FAIL_OVERFLOW = 3,  /* a total would pass 2^64-1 */
    NGC_FAIL_FULL = 4,      /* the reduce table is out of --memory */
    NGC_FAIL_INTERNAL = 5,
    NGC_FAIL_DATABASE = 6, /* PostgreSQL refused the load */
    NGC_FAIL_SPILL = 7,    /* a spilled run could not be written or read */
    NGC_FAIL_LAST = NGC_FAIL_SPILL
} ngc_fail_t;

typedef struct {
    uint32_t slot;
    uint32_t pid;
} ngc_msg_hello_t;

typedef struct {
    uint32_t task_id;
    uint32_t kind; /* ngc_task_kind_t */
    uint64_t offset;
    uint64_t length;
    uint32_t file_id;
    uint32_t attempt;  /* 1 for the first run, 2 for the first retry... */
    uint32_t path_len; /* bytes of path, no NUL sent */
    uint32_t flags;    /* NGC_TASK_FD or 0 */
    char path[NGC_MSG_PATH_MAX + 1];
} ngc_msg_task_t;

typedef struct {
    uint64_t line;   /* 1-based, counted from the task's first line */
    uint32_t reason; /* ngc_streaming_reason_t */
    uint32_t pad;
} ngc_msg_sample_t;

typedef struct {
    uint32_t task_id;
    uint32_t nsamples;
    uint64_t lines; /* lines the task owned */
    uint64_t malformed;
    uint64_t filtered; /* lines outside the years */
    uint64_t dropped;  /* ngrams dropped by --pos */
    uint64_t tokens;   /* --text: tokens counted */
    uint32_t format;   /* ngc_format_t the task read; AUTO if it had no lines */
    uint32_t pad;
    ngc_msg_sample_t samples[NGC_MSG_SAMPLES];
    uint64_t bytes; /* format: bytes written to the window (lines: its lines) */
} ngc_msg_done_t;

typedef struct {
    uint32_t task_id;
    uint32_t code; /* ngc_fail_t */
    uint64_t line; /* 1-based line in the task, 0 when none */
    uint32_t text_len;
    uint32_t pad;
    char text[NGC_MSG_TEXT_MAX + 1];
} ngc_msg_failed_t;

typedef struct {
    ngc_msg_type_t type;
    union {
        ngc_msg_hello_t hello;
        ngc_msg_task_t task;
        ngc_msg_done_t done;
        ngc_msg_failed_t failed;
    } u;
} ngc_msg_t;

#define NGC_MSG_FRAME_MAX (NGC_MSG_HEADER + sizeof(ngc_msg_task_t))

_Static_assert(sizeof(ngc_msg_hello_t) == 8, "wire layout");
_Static_assert(offsetof(ngc_msg_task_t, path) == 40, "wire layout");
_Static_assert(sizeof(ngc_msg_sample_t) == 16, "wire layout");
_Static_assert(sizeof(ngc_msg_done_t) == 64 + 16 * NGC_MSG_SAMPLES, "wire layout");
_Static_assert(offsetof(ngc_msg_failed_t, text) == 24, "wire layout");

/* Writes msg as one frame into buf (at least NGC_MSG_FRAME_MAX bytes);
 * returns the frame's length. Pure. */
size_t ngc_msg_encode(const ngc_msg_t *msg, uint8_t *buf);
/*
 * Decodes one frame from the avail bytes at p: NGC_OK (*used set),
 * NGC_AGAIN (incomplete: need more bytes) or NGC_ERROR (*why set: the
 * stream is corrupt and must be closed). Pure.
 */
int ngc_msg_decode(const uint8_t *p, size_t avail, ngc_msg_t *out, size_t *used, const char **why);

const char *ngc_msg_reason_text(uint32_t reason);
/* Whether msg's frame carries a descriptor (a TASK with NGC_TASK_FD). Pure. */
bool ngc_msg_has_fd(const ngc_msg_t *msg);

#endif
