/*
 * log.h: the logger. Every line is "time role[pid] LEVEL message[: strerror]"
 * and goes to standard error in one write(2), so lines of different processes
 * never interleave. Thread-safe; the role is set once per process.
 */
#ifndef NGC_ENGINE_BASE_LOG_H
#define NGC_ENGINE_BASE_LOG_H

#include <stdarg.h>

typedef enum {
    NGC_LOG_ERROR = 0,
    NGC_LOG_WARN = 1,
    NGC_LOG_INFO = 2,
    NGC_LOG_DEBUG = 3
} ngc_log_level_t;

/* Sets this process's role ("coord", "worker/3") and the highest level printed. */
void ngc_log_init(const char *role, ngc_log_level_t level);
/* Any thread. err is an errno value to append, or 0. */
void ngc_log(ngc_log_level_t level, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints "ngram-count: message" with no prefix: for the user-facing errors of main. */
void ngc_log_user(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "ngram-count: PATH: message[: strerror]", the GNU shape of a
 * failure that concerns one file. */
void ngc_log_file(int err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ngc_log_enabled(ngc_log_level_t level);
/* The first message ngc_log_user printed in this process (without the
 * "ngram-count: " prefix), or NULL. Not thread-safe: main thread only. */
const char *ngc_log_first_user(void);
/* Forgets it: what was printed was a notice, not a failure. */
void ngc_log_forget_user(void);

#define ngc_log_error(err, ...) ngc_log(NGC_LOG_ERROR, err, __VA_ARGS__)
#define ngc_log_warn(err, ...) ngc_log(NGC_LOG_WARN, err, __VA_ARGS__)
#define ngc_log_info(...) ngc_log(NGC_LOG_INFO, 0, __VA_ARGS__)
#define ngc_log_debug(...) \
    (ngc_log_enabled(NGC_LOG_DEBUG) ? ngc_log(NGC_LOG_DEBUG, 0, __VA_ARGS__) : (void)0)

#endif
