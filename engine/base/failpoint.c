/*
 * failpoint.c: the armed failpoints, parsed once before fork and read-only
 * afterwards (so any thread of any process may consult them).
 */
#include "engine/base/ngc.h"
#include "engine/base/failpoint.h"
#include "engine/base/log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef enum { NGC_FP_KILL, NGC_FP_SEGV, NGC_FP_ABORT, NGC_FP_EXIT } ngc_fp_action_t;

typedef struct {
    bool armed;
    bool any_task;
    uint32_t task;
    uint32_t attempt; /* 0: every attempt */
    ngc_fp_action_t action;
} ngc_fp_state_t;

static const char *const ngc_failpoint_names[NGC_FP_COUNT] = {
    "worker.crash_in_map",     "worker.crash_in_merge", "worker.crash_in_sort",
    "worker.crash_after_send", "worker.stall",          "worker.corrupt_frame",
    "worker.crash_in_load",    "worker.drop_in_load",   "worker.stall_in_load",
    "worker.spill_enospc",     "worker.crash_in_grow",  "worker.crash_in_format",
    "worker.crash_after_load", "coord.crash_in_pg_key", "coord.crash_in_pg_swap",
    "reduce.crash_in_merge"};

static ngc_fp_state_t ngc_failpoints[NGC_FP_COUNT];

static int ngc_failpoint_parse_one(const char *s, size_t len)
{
    char item[128];
    if (len >= sizeof(item))
        return NGC_ERROR;
    memcpy(item, s, len);
    item[len] = '\0';
    ngc_fp_state_t st = {.armed = true, .any_task = true, .attempt = 1, .action = NGC_FP_KILL};
    char *action = strchr(item, ':');
    if (action != NULL) {
        *action++ = '\0';
        if (strcmp(action, "kill") == 0)
            st.action = NGC_FP_KILL;
        else if (strcmp(action, "segv") == 0)
            st.action = NGC_FP_SEGV;
        else if (strcmp(action, "abort") == 0)
            st.action = NGC_FP_ABORT;
        else if (strcmp(action, "exit") == 0)
            st.action = NGC_FP_EXIT;
        else
            return NGC_ERROR;
    }
    char *at = strchr(item, '@');
    char *rest = at;
    if (at != NULL)
        *at = '\0';
    while (rest != NULL) {
        char *param = rest + 1;
        rest = strchr(param, '@');
        if (rest != NULL)
            *rest = '\0';
        char *end;
        if (strncmp(param, "task=", 5) == 0) {
            st.task = (uint32_t)strtoul(param + 5, &end, 10);
            st.any_task = false;
        } else if (strncmp(param, "attempt=", 8) == 0) {
            st.attempt = (uint32_t)strtoul(param + 8, &end, 10);
        } else {
            return NGC_ERROR;
        }
        if (*end != '\0' || end == param)
            return NGC_ERROR;
    }
    for (int i = 0; i < NGC_FP_COUNT; i++) {
        if (strcmp(item, ngc_failpoint_names[i]) == 0) {
            ngc_failpoints[i] = st;
            return NGC_OK;
        }
    }
    return NGC_ERROR;
}

static unsigned ngc_failpoint_delay_ms;

void ngc_failpoint_delay(void)
{
    if (NGC_LIKELY(ngc_failpoint_delay_ms == 0))
        return;
    struct timespec ts = {ngc_failpoint_delay_ms / 1000,
                          (long)(ngc_failpoint_delay_ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        continue;
}

int ngc_failpoint_init(void)
{
    const char *delay = getenv("NGC_TEST_DELAY_MS");
    if (delay != NULL)
        ngc_failpoint_delay_ms = (unsigned)strtoul(delay, NULL, 10);
    const char *env = getenv("NGC_FAILPOINTS");
    if (env == NULL || *env == '\0')
        return NGC_OK;
    for (const char *s = env; *s;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len > 0 && ngc_failpoint_parse_one(s, len) != NGC_OK) {
            ngc_log_user(0, "NGC_FAILPOINTS: cannot use '%.*s' (see engine/base/failpoint.h)",
                         (int)len, s);
            return NGC_ERROR;
        }
        s += len + (comma != NULL);
    }
    return NGC_OK;
}

bool ngc_failpoint_armed(ngc_failpoint_t fp, uint32_t task, uint32_t attempt)
{
    const ngc_fp_state_t *st = &ngc_failpoints[fp];
    return st->armed && (st->any_task || st->task == task) &&
           (st->attempt == 0 || st->attempt == attempt);
}

void ngc_failpoint_check(ngc_failpoint_t fp, uint32_t task, uint32_t attempt)
{
    if (NGC_LIKELY(!ngc_failpoint_armed(fp, task, attempt)))
        return;
    ngc_log_info("failpoint %s fires in task %u, attempt %u", ngc_failpoint_names[fp], task,
                 attempt);
    switch (ngc_failpoints[fp].action) {
    case NGC_FP_KILL:
        raise(SIGKILL);
        break;
    case NGC_FP_SEGV: {
        /* Pool threads block signals: let this one through. */
        sigset_t segv;
        sigemptyset(&segv);
        sigaddset(&segv, SIGSEGV);
        pthread_sigmask(SIG_UNBLOCK, &segv, NULL);
        raise(SIGSEGV);
        break;
    }
    case NGC_FP_ABORT:
        abort();
    case NGC_FP_EXIT:
        _exit(3);
    }
    _exit(3);
}
