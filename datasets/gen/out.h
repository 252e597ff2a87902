/*
 * out.h: buffered output to a file descriptor, plain or gzip (zlib deflate
 * with a fixed header: mtime 0, OS 3, so the .gz bytes are reproducible).
 * Writers fill the buffer in place through ngc_gen_out_reserve().
 */

#ifndef NGC_DATASETS_GEN_OUT_H
#define NGC_DATASETS_GEN_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#include "datasets/gen/log.h"

typedef struct {
    int fd;
    bool is_stdout;
    const char *name; /* file written, for messages */
    bool gz;
    bool gz_ready;
    z_stream zs;
    gz_header gzh;
    char *buf;
    size_t len;
    size_t cap;
    unsigned char *zbuf;
    size_t zcap;
    uint64_t bytes; /* uncompressed bytes flushed */
} ngc_gen_out_t;

/* writes the buffer out (through deflate with --gzip); finish ends the gzip
 * stream. NGC_GEN_OK or NGC_GEN_ERROR after a message */
int ngc_gen_out_flush(ngc_gen_out_t *o, bool finish);

/* room for n <= cap bytes at the end of the buffer, or NULL */
static inline char *ngc_gen_out_reserve(ngc_gen_out_t *o, size_t n)
{
    if (o->cap - o->len < n && ngc_gen_out_flush(o, false) != NGC_GEN_OK) {
        return NULL;
    }
    return o->buf + o->len;
}

/* copies n bytes; a small write is never split across flushes */
int ngc_gen_out_write(ngc_gen_out_t *o, const char *p, size_t n);

/* o writes to fd (name is for messages; is_stdout words them), plain or
 * gzip at level; NGC_GEN_OK, or NGC_GEN_ERROR and ngc_gen_out_fini() is
 * still due */
int ngc_gen_out_init(ngc_gen_out_t *o, int fd, const char *name, bool is_stdout, bool gz,
                     int level);

/* frees the buffers and the deflate state; does not flush or close fd */
void ngc_gen_out_fini(ngc_gen_out_t *o);

#endif
