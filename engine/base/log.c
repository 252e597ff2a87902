/*
 * log.c: one formatted line, one write(2). The role and level are the only
 * globals: set once by each process before it starts threads.
 */
#include "engine/base/ngc.h"
#include "engine/base/log.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char ngc_log_role[32] = "ngram-count";
static ngc_log_level_t ngc_log_max = NGC_LOG_WARN;

static const char *const ngc_log_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void ngc_log_init(const char *role, ngc_log_level_t level)
{
    snprintf(ngc_log_role, sizeof(ngc_log_role), "%s", role);
    ngc_log_max = level;
}

int ngc_log_enabled(ngc_log_level_t level)
{
    return level <= ngc_log_max;
}

static void ngc_log_write(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* nowhere left to report it */
        }
        buf += n;
        len -= (size_t)n;
    }
}

static size_t ngc_log_tail(char *buf, size_t cap, size_t len, int err, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static size_t ngc_log_tail(char *buf, size_t cap, size_t len, int err, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf + len, cap - len, fmt, ap);
    if (n > 0)
        len = len + (size_t)n < cap ? len + (size_t)n : cap - 1;
    if (err != 0 && len < cap - 1) {
        char ebuf[128];
        /* GNU strerror_r returns the string to use. */
        const char *es = strerror_r(err, ebuf, sizeof(ebuf));
        n = snprintf(buf + len, cap - len, ": %s", es);
        if (n > 0)
            len = len + (size_t)n < cap ? len + (size_t)n : cap - 1;
    }
    if (len >= cap - 1)
        len = cap - 2;
    buf[len++] = '\n';
    return len;
}

/* "ngram-count: " and the message into buf (cap bytes); its length. */
static size_t ngc_log_plain(char *buf, size_t cap, int err, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static size_t ngc_log_plain(char *buf, size_t cap, int err, const char *fmt, va_list ap)
{
    size_t len = sizeof("ngram-count: ") - 1;
    memcpy(buf, "ngram-count: ", len);
    return ngc_log_tail(buf, cap, len, err, fmt, ap);
}

void ngc_log(ngc_log_level_t level, int err, const char *fmt, ...)
{
    if (level > ngc_log_max)
        return;
    char buf[2048];
    if (ngc_log_max < NGC_LOG_INFO) {
        /* Without -v a warning or an error is a plain message: times, roles
         * and pids are for following the engine's steps. */
        va_list ap;
        va_start(ap, fmt);
        size_t len = ngc_log_plain(buf, sizeof(buf), err, fmt, ap);
        va_end(ap);
        ngc_log_write(buf, len);
        return;
    }
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    int n = snprintf(buf, sizeof(buf), "%02d:%02d:%02d.%03ld %s[%ld] %s ", tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, ngc_log_role, (long)getpid(),
                     ngc_log_names[level]);
    size_t len = n > 0 ? (size_t)n : 0;
    va_list ap;
    va_start(ap, fmt);
    len = ngc_log_tail(buf, sizeof(buf), len, err, fmt, ap);
    va_end(ap);
    ngc_log_write(buf, len);
}

/* The first failure told to the user, for --stats=json's "error". */
static char ngc_log_first[1024];

const char *ngc_log_first_user(void)
{
    return ngc_log_first[0] != '\0' ? ngc_log_first : NULL;
}

void ngc_log_forget_user(void)
{
    ngc_log_first[0] = '\0';
}

/* What to do about an error that leaves it open; "" when it is plain. */
static const char *ngc_log_hint(int err)
{
    switch (err) {
    case ENOSPC:
    case EDQUOT:
        return " (free some space, or write elsewhere)";
    case EACCES:
    case EPERM:
        return " (check the permissions of the file and its directory)";
    case EMFILE:
    case ENFILE:
        return " (raise the limit on open files: ulimit -n)";
    default:
        return "";
    }
}

void ngc_log_file(int err, const char *path, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (err != 0) {
        char ebuf[128];
        ngc_log_user(0, "%s: %s: %s%s", path, msg, strerror_r(err, ebuf, sizeof(ebuf)),
                     ngc_log_hint(err));
    } else {
        ngc_log_user(0, "%s: %s", path, msg);
    }
}

void ngc_log_user(int err, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    size_t len = ngc_log_plain(buf, sizeof(buf), err, fmt, ap);
    va_end(ap);
    if (ngc_log_first[0] == '\0' && len > 14) {
        size_t n = len - 14 < sizeof(ngc_log_first) ? len - 14 : sizeof(ngc_log_first) - 1;
        memcpy(ngc_log_first, buf + 13, n); /* without "ngram-count: " and the newline */
        ngc_log_first[n] = '\0';
    }
    ngc_log_write(buf, len);
}

void ngc_assert_fail(const char *expr, const char *file, int line)
{
    ngc_log(NGC_LOG_ERROR, 0, "assertion '%s' failed at %s:%d", expr, file, line);
    abort();
}
