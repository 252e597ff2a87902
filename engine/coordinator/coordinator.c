/*
 * coordinator.c: see coordinator.h for the design.
 *
 * Tasks go out in plan order, so when a task fails every earlier task has
 * already been sent: the coordinator then stops dispatching, lets the tasks
 * in flight finish, and reports the earliest failure in input order (the
 * first malformed line under --strict, whatever worker found it first).
 *
 * A worker that dies (EOF on its channel, SIGCHLD), breaks the protocol or
 * stalls (no finished job for --task-timeout seconds) is killed and reaped,
 * its running tasks go back to the queue with one attempt more, and a fresh
 * worker takes its slot. The reduce table counts each (task, partition)
 * once, so a rerun never counts twice (see counters.c). Exact totals for
 * --stats come from DONE messages, one per task.
 * A worker that dies with several tasks in flight can't say which one killed
 * it: all of them are retried, each alone on an idle worker, so only the
 * guilty task fails again and runs into --max-retries.
 *
 * Which task goes where, and when a phase ends, is decided by the scheduler
 * core (sched.h); this file turns channel, signal and timer events into its
 * events and carries out its actions (ngc_coord_act).
 */
#include "engine/base/ngc.h"
#include "engine/coordinator/coordinator.h"
#include "engine/ipc/channel.h"
#include "engine/reduce/counters.h"
#include "workers/format.h"
#include "engine/base/log.h"
#include "engine/coordinator/progress.h"
#include "engine/reduce/ranges.h"
#include "engine/coordinator/sched.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Sort and load tasks cover whole partitions, four at a time. */
#define NGC_PART_TASK_PARTS 4
#define NGC_PART_TASKS (NGC_COUNTERS_PARTS / NGC_PART_TASK_PARTS)
/* Below this many lines the coordinator formats the output alone: the
 * format phase would cost more than it saves. */
#define NGC_FORMAT_MIN_LINES 65536
/* Output ranges per pool thread, and the most of them. Many small ones:
 * a slow range holds up the phase less, and the windows still unwritten
 * when the phase ends (written after it, by one process) are smaller. */
#define NGC_FORMAT_RANGES_PER_THREAD 16
#define NGC_FORMAT_RANGES_MAX 1024

typedef struct {
    ngc_coord_t *co;
    unsigned slot;
    ngc_channel_t *ch;
    uint64_t last_beats; /* the worker's finished-job counter when last seen */
    double last_change;  /* monotonic seconds when it last changed */
} ngc_cworker_t;

typedef struct {
    uint32_t task_id;
    ngc_msg_sample_t s;
} ngc_csample_t;

/* Signals that stop the run cleanly; see ngc_coord_signal_name. */
static const int ngc_coord_stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};

struct ngc_coord_s {
    const ngc_config_t *cfg;
    ngc_plan_t *plan;
    ngc_shm_t *shm;
    ngc_proc_table_t *procs;
    ngc_proc_fn spawn_fn;
    void *spawn_arg;
    struct event_base *base;
    ngc_cworker_t workers[NGC_MAX_WORKERS];
    struct event *sig_stop[NGC_NELEMS(ngc_coord_stop_signals)], *sig_chld, *tick;
    ngc_progress_t *progress;
    ngc_sched_t *sched;      /* every phase's tasks, and what to do next */
    ngc_sched_phase_t phase; /* the phase being timed: the scheduler's */
    ngc_output_t *out;       /* the output, which the workers may format */
    ngc_ranges_t *ranges;    /* the format phase's plan and windows */
    bool formatted;          /* every range is done */
    bool failed;             /* a failure is recorded below: the first is reported */
    bool failure_is_task;    /* failure below comes from a task */
    uint32_t fail_task;      /* earliest failed task */
    ngc_msg_failed_t fail;
    char fail_text[1200]; /* a failure not tied to a task */
    int signo;
    double phase_t0;                   /* when the current phase began; 0 before the run */
    double phase_secs[NGC_SCHED_STOP]; /* each phase's wall time so far */
    ngc_coord_totals_t totals;
    ngc_csample_t *samples;
    size_t nsamples, samples_cap;
};

static double ngc_coord_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *ngc_coord_file_name(const ngc_plan_t *plan, uint32_t file_id)
{
    const char *p = plan->files[file_id].path;
    return strcmp(p, "-") == 0 ? "(standard input)" : p;
}

/* Enters phase p, timing the one that ends (--stats=json). */
static void ngc_coord_enter(ngc_coord_t *co, ngc_sched_phase_t p)
{
    double now = ngc_coord_now();
    if (co->phase != NGC_SCHED_STOP && co->phase_t0 > 0)
        co->phase_secs[co->phase] += now - co->phase_t0;
    co->phase = p;
    co->phase_t0 = now;
}

void ngc_coord_timings(const ngc_coord_t *co, double secs[4])
{
    for (int i = 0; i < 4; i++)
        secs[i] = co->phase_secs[i];
    /* A phase cut short by a failure or signal: up to now. */
    if (co->phase != NGC_SCHED_STOP && co->phase_t0 > 0)
        secs[co->phase] += ngc_coord_now() - co->phase_t0;
}

static void ngc_coord_stop_workers(ngc_coord_t *co)
{
    ngc_coord_enter(co, NGC_SCHED_STOP);
    ngc_msg_t stop = {.type = NGC_MSG_STOP};
    for (unsigned i = 0; i < co->cfg->processes; i++)
        if (co->workers[i].ch != NULL)
            ngc_channel_send(co->workers[i].ch, &stop);
}

static void ngc_coord_fail_general(ngc_coord_t *co, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void ngc_coord_fail_general(ngc_coord_t *co, const char *fmt, ...)
{
    /* The first failure is the one reported. */
    if (!co->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(co->fail_text, sizeof(co->fail_text), fmt, ap);
        va_end(ap);
        co->failure_is_task = false;
    }
    co->failed = true;
    ngc_sched_fail(co->sched);
}

static void ngc_coord_on_msg(ngc_channel_t *ch, const ngc_msg_t *msg, void *arg);
static void ngc_coord_on_close(ngc_channel_t *ch, const char *why, void *arg);
static void ngc_coord_act(ngc_coord_t *co, const char *how);

/* Gives slot a channel to its (new) process. */
static int ngc_coord_attach(ngc_coord_t *co, unsigned slot)
{
    ngc_cworker_t *w = &co->workers[slot];
    w->co = co;
    w->slot = slot;
    w->last_change = ngc_coord_now();
    int fd = ngc_proc_take_fd(co->procs, slot);
    w->ch = ngc_channel_new(co->base, fd, ngc_coord_on_msg, ngc_coord_on_close, w);
    if (w->ch == NULL) {
        close(fd); /* the worker sees EOF and exits */
        return NGC_ERROR;
    }
    return NGC_OK;
}

/* The scheduler's processes are the table's: a reaped child is gone. */
static void ngc_coord_reaped(ngc_coord_t *co)
{
    for (unsigned i = 0; i < co->cfg->processes; i++)
        if (ngc_proc_exited(co->procs, i))
            ngc_sched_worker_exited(co->sched, i);
}

/* What a task is called in messages: "task 3 ('f' bytes 0-1023)" for the map
 * phase, "sort task 3" for the others (the map phase's also with -v). */
static const char *ngc_coord_phase_name(ngc_sched_phase_t phase)
{
    return phase == NGC_SCHED_LOAD ? "load" : phase == NGC_SCHED_FORMAT ? "format" : "sort";
}

/* A lost task went back to the queue (RETRY) or made the job fail
 * (GIVE_UP); how says what happened to its worker. The task's own line is
 * for -v; ngc_coord_lose says it in one line without. */
static void ngc_coord_requeued(ngc_coord_t *co, const ngc_sched_action_t *a, const char *how)
{
    ngc_assert(how != NULL); /* only ngc_coord_lose's events requeue */
    unsigned max = co->cfg->max_retries;
    if (a->phase != NGC_SCHED_MAP) {
        const char *kind = ngc_coord_phase_name(a->phase);
        if (a->type == NGC_SCHED_GIVE_UP)
            ngc_coord_fail_general(co, "%s task %u failed %u times; last: %s", kind, a->task,
                                   a->attempt, how);
        else if (ngc_log_enabled(NGC_LOG_INFO))
            ngc_log_warn(0, "%s; retrying %s task %u", how, kind, a->task);
        return;
    }
    char what[NGC_MSG_PATH_MAX + 64];
    ngc_plan_describe(co->plan, a->task, what, sizeof(what));
    if (a->type == NGC_SCHED_GIVE_UP && a->once)
        ngc_coord_fail_general(co, "task %u (%s) cannot be retried, its input is consumed: %s",
                               a->task, what, how);
    else if (a->type == NGC_SCHED_GIVE_UP)
        ngc_coord_fail_general(co, "task %u (%s) failed %u times (--max-retries %u); last: %s",
                               a->task, what, a->attempt, max, how);
    else if (ngc_log_enabled(NGC_LOG_INFO))
        ngc_log_warn(0, "%s; retrying task %u (%s), attempt %u of %u", how, a->task, what,
                     a->attempt, max + 1);
}

/*
 * Slot's worker is gone or must go: kill and reap it, requeue its tasks and
 * start a replacement. why says what happened; the exit status is added.
 */
static void ngc_coord_lose(ngc_coord_t *co, unsigned slot, const char *why)
{
    ngc_cworker_t *w = &co->workers[slot];
    ngc_channel_free(w->ch);
    w->ch = NULL;
    ngc_proc_kill(co->procs, slot);
    ngc_sched_worker_exited(co->sched, slot);
    if (ngc_sched_stopping(co->sched) || co->signo) {
        ngc_sched_worker_closed(co->sched, slot);
        return;
    }
    char how[256], status_text[96];
    ngc_proc_describe(ngc_proc_status(co->procs, slot), status_text, sizeof(status_text));
    snprintf(how, sizeof(how), "worker %u (pid %ld) %s%s%s", slot,
             (long)ngc_proc_pid(co->procs, slot), why, *why ? ", " : "", status_text);
    unsigned lost, retried;
    ngc_sched_worker_lost(co->sched, slot, &lost, &retried);
    /* The retries' lines (-v), a give-up, the replacement, what comes next. */
    ngc_coord_act(co, how);
    bool failing = ngc_sched_failing(co->sched);
    if (retried > 0 && !failing && !ngc_log_enabled(NGC_LOG_INFO)) {
        if (co->progress)
            ngc_progress_clear(co->progress);
        ngc_log_user(0, "worker %u %s%s%s; its %u task%s retried (-v tells more)", slot, why,
                     *why ? ", " : "", status_text, retried, retried == 1 ? " was" : "s were");
    }
    if (lost == 0 && !failing)
        ngc_log_warn(0, "%s while idle; replacing it", how);
}

static void ngc_coord_respawn(ngc_coord_t *co, unsigned slot)
{
    if (ngc_proc_spawn(co->procs, slot, co->spawn_fn, co->spawn_arg) != NGC_OK) {
        ngc_coord_fail_general(co, "cannot start a replacement for worker %u", slot);
        return;
    }
    ngc_sched_worker_started(co->sched, slot);
    if (ngc_coord_attach(co, slot) != NGC_OK) {
        ngc_sched_worker_closed(co->sched, slot);
        ngc_coord_fail_general(co, "cannot start a replacement for worker %u", slot);
    }
}

/* The TASK message of a SEND. */
static void ngc_coord_task_msg(ngc_coord_t *co, const ngc_sched_action_t *a, ngc_msg_task_t *t)
{
    if (a->phase == NGC_SCHED_MAP) {
        ngc_plan_task_msg(co->plan, a->task, a->attempt, t);
        return;
    }
    memset(t, 0, offsetof(ngc_msg_task_t, path));
    t->task_id = a->task;
    t->attempt = a->attempt;
    if (a->phase == NGC_SCHED_FORMAT) {
        /* Range k; the plan and the windows are in the memfd. */
        t->kind = NGC_TASK_FORMAT;
        t->offset = a->task;
        t->length = ngc_sched_ntasks(co->sched);
        t->flags = NGC_TASK_FD;
    } else {
        t->kind = a->phase == NGC_SCHED_LOAD ? NGC_TASK_LOAD : NGC_TASK_SORT;
        t->offset = (uint64_t)a->task * NGC_PART_TASK_PARTS;
        t->length = NGC_PART_TASK_PARTS;
    }
    t->path[0] = '\0';
}

static void ngc_coord_send_task(ngc_coord_t *co, const ngc_sched_action_t *a)
{
    ngc_cworker_t *w = &co->workers[a->worker];
    ngc_msg_t msg = {.type = NGC_MSG_TASK};
    ngc_msg_task_t *t = &msg.u.task;
    ngc_coord_task_msg(co, a, t);
    int rc;
    if (t->flags & NGC_TASK_FD) {
        /* The input itself goes with the task; the channel closes our copy
         * once it is sent. */
        int fd = t->kind == NGC_TASK_FORMAT ? ngc_ranges_dup_fd(co->ranges)
                                            : ngc_plan_task_fd(co->plan, t->task_id);
        if (fd < 0) {
            int err = errno;
            char what[NGC_MSG_PATH_MAX + 64] = "the output's ranges";
            if (t->kind != NGC_TASK_FORMAT)
                ngc_plan_describe(co->plan, t->task_id, what, sizeof(what));
            ngc_coord_fail_general(co, "cannot pass %s to worker %u: %s", what, w->slot,
                                   strerror(err));
            ngc_sched_send_failed(co->sched, a->worker, a->task);
            return;
        }
        rc = ngc_channel_send_fd(w->ch, &msg, fd);
    } else {
        rc = ngc_channel_send(w->ch, &msg);
    }
    if (rc != NGC_OK) {
        ngc_coord_fail_general(co, "cannot send a task to worker %u", w->slot);
        ngc_sched_send_failed(co->sched, a->worker, a->task);
    }
}

/*
 * Once every partition is sorted (no worker changes the table any more):
 * when the output is worth it, cuts it into ranges for the format phase,
 * which the workers merge and format into windows that go out in order
 * (ngc_coord_write_ready, then main). A spilled partition's result is on disk, in runs that only the
 * serial output reads. NGC_TEST_OUTPUT=serial keeps every output on the
 * serial path, =parallel takes any output that can go parallel however
 * small: for tests comparing the two. Returns the number of ranges, 0 for
 * none.
 */
static uint32_t ngc_coord_plan_format(ngc_coord_t *co)
{
    const char *force = getenv("NGC_TEST_OUTPUT");
    if (co->out == NULL || (force != NULL && strcmp(force, "serial") == 0))
        return 0;
    const ngc_counters_t *c = ngc_shm_counters(co->shm);
    uint64_t total = 0;
    for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++)
        if (ngc_counters_finals(c, p) > 0)
            return 0;
    for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++)
        total += ngc_counters_sorted_count(c, p);
    uint64_t top = co->cfg->top, lines = top > 0 && top < total ? top : total;
    bool forced = force != NULL && strcmp(force, "parallel") == 0;
    if (lines == 0 || (lines < NGC_FORMAT_MIN_LINES && !forced))
        return 0;
    /* --top keeps the first ranges only: cut finer, so enough are left. */
    uint64_t k = (uint64_t)NGC_FORMAT_RANGES_PER_THREAD * co->cfg->processes * co->cfg->threads;
    k *= (total + lines - 1) / lines;
    if (k > NGC_FORMAT_RANGES_MAX)
        k = NGC_FORMAT_RANGES_MAX;
    char err[256];
    co->ranges = ngc_ranges_new(c, ngc_counters_order_of(co->cfg), top, (unsigned)k,
                                ngc_output_gzip(co->out), ngc_output_line_format(co->out), err,
                                sizeof(err));
    if (co->ranges == NULL ||
        ngc_sched_begin(co->sched, NGC_SCHED_FORMAT, ngc_ranges_count(co->ranges)) != NGC_OK) {
        ngc_log_warn(0, "%s; formatting the output in one process",
                     co->ranges != NULL ? "out of memory" : err);
        ngc_ranges_free(co->ranges);
        co->ranges = NULL;
        return 0;
    }
    return ngc_ranges_count(co->ranges);
}

static void ngc_coord_draw(ngc_coord_t *co);

/* Every task of phase is done: starts the next phase, or stops. */
static void ngc_coord_phase_done(ngc_coord_t *co, ngc_sched_phase_t phase)
{
    ngc_sched_phase_t next = NGC_SCHED_STOP;
    if (phase == NGC_SCHED_MAP) {
        ngc_log_info("map phase done: %u tasks", co->plan->ntasks);
        next = NGC_SCHED_SORT;
    } else if (phase == NGC_SCHED_SORT) {
        ngc_log_info("sort phase done: %u partitions", NGC_COUNTERS_PARTS);
        /* With --pg the same partitions again, now COPYed to PostgreSQL. */
        if (co->cfg->pg_dsn != NULL)
            next = NGC_SCHED_LOAD;
        else if (ngc_coord_plan_format(co) > 0)
            next = NGC_SCHED_FORMAT; /* begun by ngc_coord_plan_format */
    } else if (phase == NGC_SCHED_LOAD) {
        ngc_log_info("load phase done");
    } else if (phase == NGC_SCHED_FORMAT) {
        ngc_log_info("format phase done: %u ranges", ngc_sched_ntasks(co->sched));
        co->formatted = true;
    }
    if ((next == NGC_SCHED_SORT || next == NGC_SCHED_LOAD) &&
        ngc_sched_begin(co->sched, next, NGC_PART_TASKS) != NGC_OK) {
        ngc_coord_fail_general(co, "cannot set up the %s phase", ngc_coord_phase_name(next));
        return;
    }
    if (next == NGC_SCHED_STOP) {
        ngc_sched_begin(co->sched, NGC_SCHED_STOP, 0);
        return;
    }
    ngc_coord_enter(co, next);
    ngc_coord_draw(co); /* a new phase shows at once, however short */
}

/*
 * Carries out the scheduler's actions until it has none; called after every
 * event. how describes a lost worker, for the retries its loss queued.
 */
static void ngc_coord_act(ngc_coord_t *co, const char *how)
{
    ngc_sched_action_t a;
    while (ngc_sched_next(co->sched, &a)) {
        switch (a.type) {
        case NGC_SCHED_SEND:
            ngc_coord_send_task(co, &a);
            break;
        case NGC_SCHED_RETRY:
        case NGC_SCHED_GIVE_UP:
            ngc_coord_requeued(co, &a, how);
            break;
        case NGC_SCHED_RESPAWN:
            ngc_coord_respawn(co, a.worker);
            break;
        case NGC_SCHED_PHASE_DONE:
            ngc_coord_phase_done(co, a.phase);
            break;
        case NGC_SCHED_STOP_WORKERS:
            ngc_coord_stop_workers(co);
            break;
        case NGC_SCHED_FINISH:
            event_base_loopbreak(co->base);
            break;
        }
    }
}

static void ngc_coord_step(ngc_coord_t *co)
{
    ngc_coord_act(co, NULL);
}

static void ngc_coord_add_samples(ngc_coord_t *co, const ngc_msg_done_t *d)
{
    for (uint32_t i = 0; i < d->nsamples; i++) {
        if (co->nsamples == co->samples_cap) {
            size_t cap = co->samples_cap ? co->samples_cap * 2 : 16;
            ngc_csample_t *s = realloc(co->samples, cap * sizeof(*s));
            if (s == NULL)
                return; /* samples are a courtesy; the counts stay exact */
            co->samples = s;
            co->samples_cap = cap;
        }
        co->samples[co->nsamples++] = (ngc_csample_t){d->task_id, d->samples[i]};
    }
}

static void ngc_coord_on_done(ngc_coord_t *co, ngc_cworker_t *w, const ngc_msg_done_t *d)
{
    ngc_sched_phase_t phase = ngc_sched_phase(co->sched);
    if (!ngc_sched_runs(co->sched, w->slot, d->task_id)) {
        ngc_coord_lose(co, w->slot,
                       phase == NGC_SCHED_MAP ? "reported a task it was not running"
                                              : "reported a task of this phase it was not running");
        return;
    }
    if (phase == NGC_SCHED_FORMAT && !ngc_ranges_done(co->ranges, d->task_id, d->bytes, d->lines)) {
        ngc_coord_lose(co, w->slot, "reported an output range it cannot have written");
        return;
    }
    ngc_sched_task_done(co->sched, w->slot, d->task_id);
    if (phase != NGC_SCHED_MAP)
        return;
    ngc_task_t *t = &co->plan->tasks[d->task_id];
    t->counted = true;
    t->lines = d->lines;
    co->totals.lines += d->lines;
    co->totals.malformed += d->malformed;
    co->totals.filtered += d->filtered;
    co->totals.dropped += d->dropped;
    co->totals.tokens += d->tokens;
    ngc_file_t *f = &co->plan->files[t->file_id];
    if (f->format == NGC_FORMAT_AUTO)
        f->format = (ngc_format_t)d->format;
    ngc_coord_add_samples(co, d);
    f->tasks_done++;
    f->lines += d->lines;
    f->malformed += d->malformed;
    /* Not one line read: the wrong --format or a container we do not
     * open. An empty output would pass for a count. */
    if (f->tasks_done == f->ntasks && f->lines > 0 && f->malformed == f->lines)
        ngc_coord_fail_general(co, "%s: no line could be read as %s",
                               strcmp(f->path, "-") == 0 ? "standard input" : f->path,
                               ngc_format_name(f->format));
}

/*
 * A regular file (the temporary, or standard output redirected to a file)
 * takes the windows of the ranges done so far, in order, while the workers
 * format the next ones: the write overlaps the phase and frees each window
 * early. Such a write does not block for long, so the loop may do it; a
 * pipe or a terminal, which can stall, is written after the loop, where a
 * stop signal interrupts a blocked write.
 */
static void ngc_coord_write_ready(ngc_coord_t *co)
{
    if (ngc_sched_phase(co->sched) != NGC_SCHED_FORMAT || ngc_sched_failing(co->sched) ||
        co->signo || ngc_output_may_stall(co->out))
        return;
    if (ngc_ranges_write(co->ranges, co->out) != NGC_OK) {
        ngc_coord_fail_general(co, "%s", ""); /* output.c said why */
        ngc_coord_step(co);
    }
}

static void ngc_coord_on_msg(ngc_channel_t *ch, const ngc_msg_t *msg, void *arg)
{
    (void)ch;
    ngc_cworker_t *w = arg;
    ngc_coord_t *co = w->co;
    switch (msg->type) {
    case NGC_MSG_HELLO:
        if (msg->u.hello.slot != w->slot) {
            ngc_coord_lose(co, w->slot, "introduced itself with another slot");
            break;
        }
        ngc_sched_worker_ready(co->sched, w->slot);
        break;
    case NGC_MSG_DONE:
        ngc_coord_on_done(co, w, &msg->u.done);
        break;
    case NGC_MSG_FAILED: {
        const ngc_msg_failed_t *f = &msg->u.failed;
        bool map = ngc_sched_phase(co->sched) == NGC_SCHED_MAP;
        ngc_sched_task_failed(co->sched, w->slot, f->task_id); /* not to be retried */
        if (!map) {
            ngc_coord_fail_general(co, "worker %u: %s", w->slot, f->text);
            break;
        }
        if (!co->failed || (co->failure_is_task && f->task_id < co->fail_task)) {
            co->failed = true;
            co->failure_is_task = true;
            co->fail_task = f->task_id;
            co->fail = *f;
        }
        break;
    }
    default:
        ngc_coord_lose(co, w->slot, "sent an unexpected message");
        break;
    }
    ngc_coord_step(co);
    ngc_coord_write_ready(co);
}

static void ngc_coord_on_close(ngc_channel_t *ch, const char *why, void *arg)
{
    (void)ch;
    ngc_cworker_t *w = arg;
    ngc_coord_t *co = w->co;
    char text[160];
    if (why != NULL)
        snprintf(text, sizeof(text), "broke the protocol (%s)", why);
    else
        snprintf(text, sizeof(text), "died");
    if (ngc_sched_stopping(co->sched) || co->signo) {
        ngc_channel_free(w->ch); /* a stopping worker closes its end */
        w->ch = NULL;
        ngc_sched_worker_closed(co->sched, w->slot);
    } else {
        ngc_coord_lose(co, w->slot, text);
    }
    ngc_coord_step(co);
}

static void ngc_coord_on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    ngc_coord_t *co = arg;
    if (sig == SIGCHLD) {
        /* Reaping records how a worker ended; its loss is handled at the EOF
         * that follows on its channel, after any message it sent last. */
        ngc_proc_reap(co->procs);
        ngc_coord_reaped(co);
    } else if (co->signo && sig == SIGINT) {
        /* A second ^C: stop now. */
        ngc_proc_kill_all(co->procs);
        ngc_coord_reaped(co);
    } else {
        co->signo = (int)sig;
        ngc_sched_interrupt(co->sched);
        if (co->progress)
            ngc_progress_clear(co->progress);
    }
    ngc_coord_step(co);
}

/* The phase's progress: map tasks by bytes read (tasks for inputs of
 * unknown size), the later phases by their tasks. */
static void ngc_coord_draw(ngc_coord_t *co)
{
    if (co->progress == NULL || co->phase == NGC_SCHED_STOP)
        return;
    ngc_progress_state_t s = {.part_name = "tasks"};
    if (co->phase == NGC_SCHED_MAP) {
        ngc_stats_totals_t t;
        ngc_stats_read(ngc_shm_stats(co->shm), -1, &t);
        s.phase = "read/map";
        /* URLs add their Content-Length as their downloads begin. */
        uint64_t total = co->plan->total_bytes + t.url_length;
        s.bytes = total > 0;
        s.done = s.bytes ? t.bytes : ngc_sched_done(co->sched);
        s.total = s.bytes ? total : co->plan->ntasks;
        s.parts = ngc_sched_done(co->sched);
        s.nparts = co->plan->ntasks;
        s.lines = t.lines;
    } else {
        s.phase = co->phase == NGC_SCHED_SORT   ? "sort"
                  : co->phase == NGC_SCHED_LOAD ? "PostgreSQL load"
                                                : "output";
        if (co->phase == NGC_SCHED_FORMAT)
            s.part_name = "ranges";
        s.done = s.parts = ngc_sched_done(co->sched);
        s.total = s.nparts = ngc_sched_ntasks(co->sched);
        if (co->phase == NGC_SCHED_FORMAT && co->out != NULL)
            s.lines = ngc_output_lines(co->out);
    }
    ngc_progress_update(co->progress, &s);
}

ngc_progress_t *ngc_coord_progress(ngc_coord_t *co)
{
    return co->progress;
}

/* Every tick (a second, or 0.2 s with progress): progress, and workers that
 * stopped finishing jobs. */
static void ngc_coord_on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ngc_coord_t *co = arg;
    if (ngc_sched_stopping(co->sched) || co->signo)
        return;
    double now = ngc_coord_now();
    const ngc_stats_t *st = ngc_shm_stats(co->shm);
    for (unsigned i = 0; i < co->cfg->processes; i++) {
        ngc_cworker_t *w = &co->workers[i];
        uint64_t beats = atomic_load_explicit(&st->slot[i].beats, memory_order_relaxed);
        if (beats != w->last_beats || ngc_sched_inflight(co->sched, i) == 0) {
            w->last_beats = beats;
            w->last_change = now;
        } else if (w->ch != NULL && now - w->last_change > co->cfg->task_timeout) {
            char why[96];
            snprintf(why, sizeof(why), "made no progress for %u s (--task-timeout)",
                     co->cfg->task_timeout);
            ngc_coord_lose(co, i, why);
        }
    }
    ngc_coord_draw(co);
    ngc_coord_step(co);
}

ngc_coord_t *ngc_coord_new(const ngc_config_t *cfg, ngc_plan_t *plan, ngc_shm_t *shm,
                           ngc_proc_table_t *procs, ngc_proc_fn spawn_fn, void *spawn_arg)
{
    ngc_coord_t *co = calloc(1, sizeof(*co));
    if (co == NULL)
        return NULL;
    co->cfg = cfg;
    co->plan = plan;
    co->shm = shm;
    co->procs = procs;
    co->spawn_fn = spawn_fn;
    co->spawn_arg = spawn_arg;
    co->sched = ngc_sched_new(cfg->processes, cfg->threads, cfg->max_retries);
    co->base = event_base_new();
    if (co->sched == NULL || co->base == NULL ||
        ngc_sched_begin(co->sched, NGC_SCHED_MAP, plan->ntasks) != NGC_OK) {
        ngc_log_error(0, "cannot set up the coordinator");
        goto fail;
    }
    for (uint32_t id = 0; id < plan->ntasks; id++)
        if (!ngc_plan_retriable(plan, id))
            ngc_sched_set_once(co->sched, id);
    for (unsigned i = 0; i < cfg->processes; i++) {
        ngc_sched_worker_started(co->sched, i);
        if (ngc_coord_attach(co, i) != NGC_OK)
            goto fail;
    }
    /* The loop's own: main catches the same signals before and after it. */
    for (size_t i = 0; i < NGC_NELEMS(co->sig_stop); i++) {
        co->sig_stop[i] = evsignal_new(co->base, ngc_coord_stop_signals[i], ngc_coord_on_signal,
                                       co);
        if (co->sig_stop[i] == NULL || evsignal_add(co->sig_stop[i], NULL) != 0) {
            ngc_log_error(0, "cannot watch signals");
            goto fail;
        }
    }
    co->sig_chld = evsignal_new(co->base, SIGCHLD, ngc_coord_on_signal, co);
    if (co->sig_chld == NULL || evsignal_add(co->sig_chld, NULL) != 0) {
        ngc_log_error(0, "cannot watch signals");
        goto fail;
    }
    bool show = cfg->progress == NGC_PROGRESS_ON ||
                (cfg->progress == NGC_PROGRESS_AUTO && isatty(STDERR_FILENO));
    if (show && (co->progress = ngc_progress_new(isatty(STDERR_FILENO))) == NULL)
        goto fail;
    co->tick = event_new(co->base, -1, EV_PERSIST, ngc_coord_on_tick, co);
    struct timeval tv = show ? (struct timeval){0, 200000} : (struct timeval){1, 0};
    if (co->tick == NULL || event_add(co->tick, &tv) != 0)
        goto fail;
    return co;

fail:
    ngc_coord_free(co);
    return NULL;
}

void ngc_coord_free(ngc_coord_t *co)
{
    if (co == NULL)
        return;
    for (unsigned i = 0; i < NGC_MAX_WORKERS; i++)
        ngc_channel_free(co->workers[i].ch);
    for (size_t i = 0; i < NGC_NELEMS(co->sig_stop); i++)
        if (co->sig_stop[i])
            event_free(co->sig_stop[i]);
    if (co->sig_chld)
        event_free(co->sig_chld);
    if (co->tick)
        event_free(co->tick);
    ngc_progress_free(co->progress);
    if (co->base)
        event_base_free(co->base);
    ngc_sched_free(co->sched);
    free(co->samples);
    ngc_ranges_free(co->ranges);
    free(co);
}

void ngc_coord_set_output(ngc_coord_t *co, ngc_output_t *out)
{
    co->out = out;
}

ngc_ranges_t *ngc_coord_ranges(const ngc_coord_t *co)
{
    return co->formatted ? co->ranges : NULL;
}

void ngc_coord_failure(const ngc_coord_t *co, char *buf, size_t cap)
{
    if (co->signo) {
        snprintf(buf, cap, "%s", ngc_coord_signal_name(co->signo));
        return;
    }
    if (!co->failure_is_task) {
        snprintf(buf, cap, "%s", co->fail_text);
        return;
    }
    const ngc_msg_failed_t *f = &co->fail;
    const ngc_task_t *t = &co->plan->tasks[co->fail_task];
    const char *name = ngc_coord_file_name(co->plan, t->file_id);
    uint64_t line;
    if (f->line > 0 && ngc_plan_file_line(co->plan, co->fail_task, f->line, &line) == NGC_OK)
        snprintf(buf, cap, "%s:%llu: %s", name, (unsigned long long)line, f->text);
    else
        snprintf(buf, cap, "%s", f->text);
}

static void ngc_coord_report_failure(ngc_coord_t *co)
{
    char text[NGC_MSG_PATH_MAX + 1400];
    ngc_coord_failure(co, text, sizeof(text));
    if (text[0] == '\0')
        return; /* told already */
    ngc_log_user(0, "%s", text);
    if (co->failure_is_task && co->fail.code == NGC_FAIL_FULL)
        ngc_log_user(0, "rerun with a larger --memory (it was %llu MiB)",
                     (unsigned long long)(co->cfg->memory >> 20));
}

ngc_coord_result_t ngc_coord_run(ngc_coord_t *co)
{
    co->phase_t0 = ngc_coord_now();
    ngc_coord_step(co);
    event_base_dispatch(co->base);
    /* Anything still running (second ^C, a broken channel) is killed. */
    ngc_proc_kill_all(co->procs);
    if (co->progress)
        ngc_progress_clear(co->progress);
    if (co->signo)
        return NGC_COORD_INTERRUPTED;
    if (ngc_sched_failing(co->sched)) {
        ngc_coord_report_failure(co);
        return NGC_COORD_FAILED;
    }
    return NGC_COORD_OK;
}

int ngc_coord_signal(const ngc_coord_t *co)
{
    return co->signo;
}

const char *ngc_coord_signal_name(int sig)
{
    switch (sig) {
    case SIGINT:
        return "interrupted";
    case SIGTERM:
        return "terminated";
    case SIGHUP:
        return "hung up";
    case SIGUSR1:
        return "received SIGUSR1";
    case SIGUSR2:
        return "received SIGUSR2";
    default:
        return "stopped by a signal";
    }
}

void ngc_coord_totals(const ngc_coord_t *co, ngc_coord_totals_t *out)
{
    *out = co->totals;
    /* --stats has always counted the map phase's retries only. */
    out->retries = ngc_sched_retries(co->sched, NGC_SCHED_MAP);
}

static int ngc_coord_sample_cmp(const void *x, const void *y)
{
    const ngc_coord_sample_t *a = x, *b = y;
    if (a->file_id != b->file_id)
        return a->file_id < b->file_id ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

unsigned ngc_coord_samples(ngc_coord_t *co, ngc_coord_sample_t *out, unsigned cap)
{
    ngc_coord_sample_t *all = calloc(co->nsamples ? co->nsamples : 1, sizeof(*all));
    if (all == NULL)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < co->nsamples; i++) {
        const ngc_csample_t *s = &co->samples[i];
        uint64_t line;
        if (ngc_plan_file_line(co->plan, s->task_id, s->s.line, &line) != NGC_OK)
            continue;
        all[n++] = (ngc_coord_sample_t){co->plan->tasks[s->task_id].file_id, line, s->s.reason};
    }
    qsort(all, n, sizeof(*all), ngc_coord_sample_cmp);
    unsigned k = n < cap ? (unsigned)n : cap;
    memcpy(out, all, k * sizeof(*out));
    free(all);
    return k;
}
