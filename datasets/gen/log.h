/*
 * log.h: ngram-gen's messages on stderr ("ngram-gen: ..."), one write(2)
 * per line, and the return codes, allocation and assertion that report
 * through them. The generator does not link the engine library, so its
 * return codes carry its own prefix rather than engine/base/ngc.h's NGC_OK.
 */

#ifndef NGC_DATASETS_GEN_LOG_H
#define NGC_DATASETS_GEN_LOG_H

#include <stddef.h>
#include <stdlib.h>

#define NGC_GEN_OK 0
#define NGC_GEN_ERROR (-1)

/* invariants only, never input or I/O errors; on in every build */
#define ngc_gen_assert(c)                                                             \
    do {                                                                              \
        if (!(c)) {                                                                   \
            ngc_gen_log(0, "assertion '%s' failed at %s:%d", #c, __FILE__, __LINE__); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

/* "ngram-gen: MESSAGE[: strerror(err)]" to stderr; any thread, never fails */
void ngc_gen_log(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* malloc() of n * size bytes (at least 1), checked for overflow; NULL
 * after a message. The caller frees it. */
void *ngc_gen_alloc(size_t n, size_t size);

#endif
