/*
 * reader.h: one next-buffer interface over every input a map task reads: a
 * byte range of a plain file (pread), a whole file, pipe or URL streamed
 * (fetch.h), and standard input; gzip (told by its magic bytes,
 * multi-member too) goes through inflate.h (zlib or ISA-L), zip, bzip2, xz
 * and zstd through libarchive when the build has it. Every buffer it returns holds whole lines only, the
 * last one ending in '\n', and only the lines the task owns: those starting
 * inside its range. Blocking: runs on a pool thread, one call at a time.
 */
#ifndef NGC_WORKERS_READER_H
#define NGC_WORKERS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/ipc/msg.h"
#include "workers/inflate.h"
#include "workers/fetch.h"

/* Bytes asked of the source per read. */
#define NGC_READ_BLOCK (1u << 20)
/* A buffer's capacity: a block plus the partial line carried over. */
#define NGC_BUF_CAP (NGC_READ_BLOCK + NGC_LINE_MAX + 1)

typedef struct {
    char *data; /* NGC_BUF_CAP + 1 bytes; NULL: made by the first fill */
    size_t len;
} ngc_buf_t;

typedef struct ngc_reader_s ngc_reader_t;

/* A buffer starts zeroed: ngc_reader_next allocates its data when it
 * first fills it; ngc_buf_fini frees it. */
void ngc_buf_fini(ngc_buf_t *b);

/* Prepares a reader for task t, inflating gzip with the given engine. fd
 * is the task's input when it came with the task (NGC_TASK_FD), taken over
 * (closed by ngc_reader_free, or at once if NULL is returned); or -1: the
 * path is opened at the first read (standard input for NGC_TASK_MAP_STDIN).
 * NULL on ENOMEM. */
ngc_reader_t *ngc_reader_new(const ngc_msg_task_t *t, int fd, ngc_inflate_kind_t inflater);
/*
 * Fills b with the next whole lines: NGC_OK (b->len > 0), NGC_EOF (no more
 * lines) or NGC_ERROR (see ngc_reader_error). A line longer than
 * NGC_LINE_MAX comes back cut to NGC_BUF_CAP bytes, so the parser sees it
 * as too long, and its rest is skipped.
 */
int ngc_reader_next(ngc_reader_t *r, ngc_buf_t *b);
/* Input bytes consumed since the last call (compressed bytes for gzip). */
uint64_t ngc_reader_take_progress(ngc_reader_t *r);
/* The reason of the last NGC_ERROR, naming the file. */
const char *ngc_reader_error(const ngc_reader_t *r);
/* Reads the first cap bytes (or fewer: *whole is then set) of a plain
 * range task's file into buf, through the reader's descriptor (never a
 * second open), once a read has opened it. Any thread, also while
 * ngc_reader_next runs: both only pread. NGC_OK or NGC_ERROR (errno). */
int ngc_reader_head(const ngc_reader_t *r, char *buf, size_t cap, size_t *len, bool *whole);
/* A URL's transfer (workers/fetch.h): the worker's --max-retries,
 * --stall-timeout and the counter that sums Content-Lengths for progress,
 * before its first task; and, after NGC_EOF, what its download took. */
void ngc_reader_fetch_config(unsigned max_retries, unsigned stall, _Atomic uint64_t *length);
void ngc_reader_fetch_stats(ngc_reader_t *r, ngc_fetch_stats_t *st); /* and zeroes them */
/* Closes the input. Accepts NULL. */
void ngc_reader_free(ngc_reader_t *r);

#endif
