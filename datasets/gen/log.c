/*
 * log.c: see log.h. A line is formatted into one buffer and written with
 * one write(2), so lines never interleave with other output.
 */

#include "datasets/gen/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void ngc_gen_log(int err, const char *fmt, ...)
{
    char buf[1024];
    size_t n = 0, off = 0;
    int r;
    va_list ap;

    memcpy(buf, "ngram-gen: ", 11);
    n = 11;
    va_start(ap, fmt);
    r = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
    va_end(ap);
    if (r > 0) {
        n += (size_t)r;
    }
    if (n > sizeof(buf) - 2) {
        n = sizeof(buf) - 2;
    }
    if (err != 0) {
        r = snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(err));
        if (r > 0) {
            n += (size_t)r;
        }
        if (n > sizeof(buf) - 2) {
            n = sizeof(buf) - 2;
        }
    }
    buf[n++] = '\n';

    /* one write(2) per line; nothing sensible is left to do if stderr fails */
    while (off < n) {
        ssize_t w = write(STDERR_FILENO, buf + off, n - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            break;
        }
        off += (size_t)w;
    }
}

void *ngc_gen_alloc(size_t n, size_t size)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size) {
        ngc_gen_log(0, "out of memory (%zu x %zu bytes)", n, size);
        return NULL;
    }
    p = malloc(n * size == 0 ? 1 : n * size);
    if (p == NULL) {
        ngc_gen_log(errno, "malloc() of %zu bytes failed", n * size);
    }
    return p;
}
