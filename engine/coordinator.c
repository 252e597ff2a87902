/*
 * coordinator.c: see coordinator.h for the design.
 *
 * Tasks go out in plan order, so when a task fails every earlier task has
 * already been sent: the coordinator then stops dispatching, lets the tasks
 * in flight finish, and reports the earliest failure in input order (the
 * first malformed line under --strict, whatever worker found it first).
 */
#include "engine/ngc.h"
#include "engine/coordinator.h"
#include "engine/channel.h"
#include "engine/counters.h"
#include "engine/log.h"
#include "engine/progress.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define NGC_SORT_PARTS_PER_TASK 4

typedef struct {
    ngc_coord_t *co;
    unsigned slot;
    ngc_channel_t *ch;
    bool ready;       /* HELLO received */
    bool closed;      /* channel closed */
    unsigned inflight;
} ngc_cworker_t;

typedef struct {
    uint32_t task_id;
    ngc_msg_sample_t s;
} ngc_csample_t;

typedef enum { NGC_PHASE_MAP, NGC_PHASE_SORT, NGC_PHASE_STOP } ngc_phase_t;

struct ngc_coord_s {
    const ngc_config_t *cfg;
    ngc_plan_t *plan;
    ngc_shm_t *shm;
    ngc_proc_table_t *procs;
    struct event_base *base;
    ngc_cworker_t workers[NGC_MAX_WORKERS];
    struct event *sig_int, *sig_term, *sig_chld, *tick;
    ngc_progress_t *progress;
    ngc_phase_t phase;
    uint32_t next_task;        /* next map task to send */
    uint32_t map_done;
    uint32_t sort_next, sort_total, sort_done;
    bool failing;              /* stop dispatching; drain, then stop */
    bool failure_is_task;      /* failure below comes from a task */
    uint32_t fail_task;        /* earliest failed task */
    ngc_msg_failed_t fail;
    char fail_text[1200];      /* a failure not tied to a task */
    int signo;
    ngc_csample_t *samples;
    size_t nsamples, samples_cap;
};

const char *ngc_coord_file_name(const ngc_plan_t *plan, uint32_t file_id)
{
    const char *p = plan->files[file_id].path;
    return strcmp(p, "-") == 0 ? "(standard input)" : p;
}

static unsigned ngc_coord_alive(const ngc_coord_t *co)
{
    unsigned n = 0;
    for (unsigned i = 0; i < co->procs->n; i++)
        n += co->procs->proc[i].pid > 0 && !co->procs->proc[i].exited;
    return n;
}

static void ngc_coord_stop_workers(ngc_coord_t *co)
{
    co->phase = NGC_PHASE_STOP;
    ngc_msg_t stop = {.type = NGC_MSG_STOP};
    for (unsigned i = 0; i < co->cfg->processes; i++) {
        ngc_cworker_t *w = &co->workers[i];
        if (w->ch != NULL && !w->closed)
            ngc_channel_send(w->ch, &stop);
    }
}

static void ngc_coord_fail_general(ngc_coord_t *co, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void ngc_coord_fail_general(ngc_coord_t *co, const char *fmt, ...)
{
    /* The first failure is the one reported. */
    if (!co->failing) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(co->fail_text, sizeof(co->fail_text), fmt, ap);
        va_end(ap);
        co->failure_is_task = false;
    }
    co->failing = true;
}

static unsigned ngc_coord_inflight(const ngc_coord_t *co)
{
    unsigned n = 0;
    for (unsigned i = 0; i < co->cfg->processes; i++)
        n += co->workers[i].inflight;
    return n;
}

static void ngc_coord_send_task(ngc_coord_t *co, ngc_cworker_t *w, const ngc_msg_task_t *t)
{
    ngc_msg_t msg = {.type = NGC_MSG_TASK};
    msg.u.task = *t;
    if (ngc_channel_send(w->ch, &msg) != NGC_OK) {
        ngc_coord_fail_general(co, "cannot send a task to worker %u", w->slot);
        return;
    }
    w->inflight++;
}

/* Decides what happens next; called after every event. */
static void ngc_coord_step(ngc_coord_t *co)
{
    if (co->phase == NGC_PHASE_STOP) {
        if (ngc_coord_alive(co) == 0)
            event_base_loopbreak(co->base);
        return;
    }
    if (co->failing || co->signo) {
        /* On failure, drain the tasks in flight first: see the file comment. */
        if (co->signo || ngc_coord_inflight(co) == 0) {
            ngc_coord_stop_workers(co);
            ngc_coord_step(co);
        }
        return;
    }
    if (co->phase == NGC_PHASE_MAP && co->map_done == co->plan->ntasks) {
        co->phase = NGC_PHASE_SORT;
        co->sort_total = NGC_COUNTERS_PARTS / NGC_SORT_PARTS_PER_TASK;
        ngc_log_info("map phase done: %u tasks", co->plan->ntasks);
    }
    if (co->phase == NGC_PHASE_SORT && co->sort_done == co->sort_total) {
        ngc_log_info("sort phase done: %u partitions", NGC_COUNTERS_PARTS);
        ngc_coord_stop_workers(co);
        ngc_coord_step(co);
        return;
    }
    for (unsigned i = 0; i < co->cfg->processes; i++) {
        ngc_cworker_t *w = &co->workers[i];
        while (w->ready && !w->closed && w->inflight < co->cfg->threads) {
            ngc_msg_task_t t;
            if (co->phase == NGC_PHASE_MAP && co->next_task < co->plan->ntasks) {
                ngc_plan_task_msg(co->plan, co->next_task, &t);
                co->plan->tasks[co->next_task].state = NGC_TASK_RUNNING;
                co->next_task++;
            } else if (co->phase == NGC_PHASE_SORT && co->sort_next < co->sort_total) {
                memset(&t, 0, sizeof(t));
                t.task_id = co->sort_next;
                t.kind = NGC_TASK_SORT;
                t.offset = (uint64_t)co->sort_next * NGC_SORT_PARTS_PER_TASK;
                t.length = NGC_SORT_PARTS_PER_TASK;
                co->sort_next++;
            } else {
                return;
            }
            ngc_coord_send_task(co, w, &t);
        }
    }
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

static void ngc_coord_on_msg(ngc_channel_t *ch, const ngc_msg_t *msg, void *arg)
{
    (void)ch;
    ngc_cworker_t *w = arg;
    ngc_coord_t *co = w->co;
    switch (msg->type) {
    case NGC_MSG_HELLO:
        if (msg->u.hello.slot != w->slot) {
            ngc_coord_fail_general(co, "worker %u introduced itself as %u", w->slot,
                                   msg->u.hello.slot);
            break;
        }
        w->ready = true;
        break;
    case NGC_MSG_DONE: {
        const ngc_msg_done_t *d = &msg->u.done;
        if (w->inflight == 0) {
            ngc_coord_fail_general(co, "worker %u reported a task it was not given", w->slot);
            break;
        }
        w->inflight--;
        if (co->phase == NGC_PHASE_SORT) {
            co->sort_done++;
            break;
        }
        if (d->task_id >= co->plan->ntasks ||
            co->plan->tasks[d->task_id].state != NGC_TASK_RUNNING) {
            ngc_coord_fail_general(co, "worker %u reported task %u twice", w->slot,
                                   d->task_id);
            break;
        }
        ngc_task_t *t = &co->plan->tasks[d->task_id];
        t->state = NGC_TASK_DONE;
        t->lines = d->lines;
        co->map_done++;
        ngc_coord_add_samples(co, d);
        break;
    }
    case NGC_MSG_FAILED: {
        const ngc_msg_failed_t *f = &msg->u.failed;
        if (w->inflight > 0)
            w->inflight--;
        if (co->phase != NGC_PHASE_MAP) {
            ngc_coord_fail_general(co, "worker %u: %s", w->slot, f->text);
            break;
        }
        if (!co->failing || (co->failure_is_task && f->task_id < co->fail_task)) {
            co->failing = true;
            co->failure_is_task = true;
            co->fail_task = f->task_id;
            co->fail = *f;
        }
        break;
    }
    default:
        ngc_coord_fail_general(co, "worker %u sent unexpected message type %d", w->slot,
                               (int)msg->type);
        break;
    }
    ngc_coord_step(co);
}

static void ngc_coord_on_close(ngc_channel_t *ch, const char *why, void *arg)
{
    (void)ch;
    ngc_cworker_t *w = arg;
    ngc_coord_t *co = w->co;
    w->closed = true;
    if (co->phase != NGC_PHASE_STOP && !co->signo) {
        ngc_proc_t *p = &co->procs->proc[w->slot];
        if (why != NULL)
            ngc_coord_fail_general(co, "channel to worker %u (pid %ld) broke: %s", w->slot,
                                   (long)p->pid, why);
        else
            ngc_coord_fail_general(co, "worker %u (pid %ld) died", w->slot, (long)p->pid);
        /* Its tasks will never report: don't wait for them. */
        w->inflight = 0;
        if (why != NULL)
            kill(p->pid, SIGKILL);
    }
    ngc_coord_step(co);
}

static void ngc_coord_on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    ngc_coord_t *co = arg;
    if (sig == SIGCHLD) {
        ngc_proc_reap(co->procs);
        for (unsigned i = 0; i < co->procs->n; i++) {
            ngc_proc_t *p = &co->procs->proc[i];
            ngc_cworker_t *w = &co->workers[i];
            if (p->exited && !w->closed && co->phase != NGC_PHASE_STOP && !co->signo) {
                char how[96];
                ngc_proc_describe(p->status, how, sizeof(how));
                ngc_coord_fail_general(co, "worker %u (pid %ld) %s", i, (long)p->pid, how);
                w->inflight = 0;
            } else if (p->exited && co->failing && strstr(co->fail_text, " died") &&
                       !co->failure_is_task) {
                /* The channel saw the death first; add how it died. */
                char how[96];
                ngc_proc_describe(p->status, how, sizeof(how));
                snprintf(co->fail_text, sizeof(co->fail_text), "worker %u (pid %ld) %s", i,
                         (long)p->pid, how);
            }
        }
    } else if (co->signo && sig == SIGINT) {
        /* A second ^C: stop now. */
        ngc_proc_kill_all(co->procs);
    } else {
        co->signo = (int)sig;
        if (co->progress)
            ngc_progress_clear(co->progress);
    }
    ngc_coord_step(co);
}

static void ngc_coord_on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ngc_coord_t *co = arg;
    if (co->phase == NGC_PHASE_MAP && !co->signo)
        ngc_progress_draw(co->progress, co->map_done);
}

ngc_coord_t *ngc_coord_new(const ngc_config_t *cfg, ngc_plan_t *plan, ngc_shm_t *shm,
                           ngc_proc_table_t *procs)
{
    ngc_coord_t *co = calloc(1, sizeof(*co));
    if (co == NULL)
        return NULL;
    co->cfg = cfg;
    co->plan = plan;
    co->shm = shm;
    co->procs = procs;
    co->base = event_base_new();
    if (co->base == NULL) {
        ngc_log_error(0, "event_base_new() failed");
        goto fail;
    }
    for (unsigned i = 0; i < cfg->processes; i++) {
        ngc_cworker_t *w = &co->workers[i];
        w->co = co;
        w->slot = i;
        w->ch = ngc_channel_new(co->base, procs->proc[i].fd, ngc_coord_on_msg,
                                ngc_coord_on_close, w);
        if (w->ch == NULL)
            goto fail;
        procs->proc[i].fd = -1; /* the channel owns it now */
    }
    co->sig_int = evsignal_new(co->base, SIGINT, ngc_coord_on_signal, co);
    co->sig_term = evsignal_new(co->base, SIGTERM, ngc_coord_on_signal, co);
    co->sig_chld = evsignal_new(co->base, SIGCHLD, ngc_coord_on_signal, co);
    if (!co->sig_int || !co->sig_term || !co->sig_chld || evsignal_add(co->sig_int, NULL) ||
        evsignal_add(co->sig_term, NULL) || evsignal_add(co->sig_chld, NULL)) {
        ngc_log_error(0, "cannot watch signals");
        goto fail;
    }
    bool show = cfg->progress == NGC_PROGRESS_ON ||
                (cfg->progress == NGC_PROGRESS_AUTO && isatty(STDERR_FILENO));
    if (show) {
        co->progress = ngc_progress_new(plan, ngc_shm_stats(shm));
        co->tick = event_new(co->base, -1, EV_PERSIST, ngc_coord_on_tick, co);
        struct timeval tv = {0, 200000};
        if (co->progress == NULL || co->tick == NULL || event_add(co->tick, &tv) != 0)
            goto fail;
    }
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
    if (co->sig_int)
        event_free(co->sig_int);
    if (co->sig_term)
        event_free(co->sig_term);
    if (co->sig_chld)
        event_free(co->sig_chld);
    if (co->tick)
        event_free(co->tick);
    ngc_progress_free(co->progress);
    if (co->base)
        event_base_free(co->base);
    free(co->samples);
    free(co);
}

static void ngc_coord_report_failure(ngc_coord_t *co)
{
    if (!co->failure_is_task) {
        ngc_log_user(0, "%s", co->fail_text);
        return;
    }
    const ngc_msg_failed_t *f = &co->fail;
    const ngc_task_t *t = &co->plan->tasks[co->fail_task];
    const char *name = ngc_coord_file_name(co->plan, t->file_id);
    uint64_t line;
    if (f->line > 0 && ngc_plan_file_line(co->plan, co->fail_task, f->line, &line) == NGC_OK)
        ngc_log_user(0, "%s:%llu: %s", name, (unsigned long long)line, f->text);
    else
        ngc_log_user(0, "%s", f->text);
    if (f->code == NGC_FAIL_FULL)
        ngc_log_user(0, "rerun with a larger --memory (it was %llu MiB)",
                     (unsigned long long)(co->cfg->memory >> 20));
}

ngc_coord_result_t ngc_coord_run(ngc_coord_t *co)
{
    ngc_coord_step(co);
    event_base_dispatch(co->base);
    /* Anything still running (second ^C, a broken channel) is killed. */
    ngc_proc_kill_all(co->procs);
    if (co->progress)
        ngc_progress_clear(co->progress);
    if (co->signo)
        return NGC_COORD_INTERRUPTED;
    if (co->failing) {
        ngc_coord_report_failure(co);
        return NGC_COORD_FAILED;
    }
    return NGC_COORD_OK;
}

int ngc_coord_signal(const ngc_coord_t *co)
{
    return co->signo;
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
