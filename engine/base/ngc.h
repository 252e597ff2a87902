/*
 * ngc.h: included first by every file of ngram-count. Return codes, the
 * always-on assertion and the functions the build refuses to compile.
 */
#ifndef NGC_ENGINE_BASE_NGC_H
#define NGC_ENGINE_BASE_NGC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NGC_OK 0
#define NGC_ERROR (-1)
#define NGC_AGAIN (-2) /* would block, or needs more bytes */
#define NGC_EOF (-3)   /* reader finished */
#define NGC_FULL (-4)  /* the shared reduce table is out of memory */

#define NGC_VERSION "0.1.0"

/* Longest input line accepted; longer ones are malformed (counted, skipped). */
#define NGC_LINE_MAX (1u << 20)
/* Most worker processes one job may run. */
#define NGC_MAX_WORKERS 256
/* Most threads one worker may run. */
#define NGC_MAX_THREADS 64

#define NGC_LIKELY(x) __builtin_expect(!!(x), 1)
#define NGC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define NGC_NELEMS(a) (sizeof(a) / sizeof((a)[0]))

void ngc_assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));

/* Invariants only, never input or I/O errors; on in every build. */
#define ngc_assert(e) (NGC_LIKELY(e) ? (void)0 : ngc_assert_fail(#e, __FILE__, __LINE__))

/* Unsafe string functions: using one fails the build. */
#ifndef NGC_ALLOW_BANNED
int sprintf(char *, const char *, ...) __attribute__((deprecated("use snprintf")));
char *strcpy(char *, const char *) __attribute__((deprecated("use memcpy with a length")));
char *strcat(char *, const char *) __attribute__((deprecated("use memcpy with a length")));
char *strtok(char *, const char *) __attribute__((deprecated("use memchr")));
int atoi(const char *) __attribute__((deprecated("use ngc_config_parse_u64 or strtoull")));
#endif

#endif
