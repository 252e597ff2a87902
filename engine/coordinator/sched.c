/*
 * sched.c: the scheduler core (see sched.h). Events change state and may
 * queue actions (a lost worker's retries and its replacement); when the
 * queue is empty, ngc_sched_next() works out the one next thing to do from
 * the state alone, so a caller that carries out each action before asking
 * for the next sees every task sent once per attempt.
 */
#include "engine/base/ngc.h"
#include "engine/coordinator/sched.h"

#include <stdlib.h>

typedef enum {
    NGC_SCHED_PENDING,
    NGC_SCHED_RUNNING,
    NGC_SCHED_DONE,
    NGC_SCHED_FAILED /* reported failed: never run again */
} ngc_sched_state_t;

typedef struct {
    ngc_sched_state_t state;
    bool once;         /* cannot run twice: its input is consumed */
    uint32_t attempts; /* attempts lost so far */
    unsigned worker;   /* the slot running it, while running */
} ngc_sched_task_t;

typedef struct {
    bool alive;        /* its process runs (not yet reaped) */
    bool connected;    /* its channel is open */
    bool ready;        /* it introduced itself */
    bool solo;         /* running a retried task: nothing else meanwhile */
    unsigned inflight; /* tasks sent and not yet done or failed */
} ngc_sched_worker_t;

struct ngc_sched_s {
    unsigned nworkers, threads, max_retries;
    ngc_sched_worker_t *workers;
    ngc_sched_phase_t phase;
    ngc_sched_task_t *tasks; /* the current phase's */
    uint32_t ntasks;
    uint32_t next_fresh; /* no task before it is pending for the first time */
    uint32_t done;
    uint32_t nretry;  /* pending tasks with a lost attempt */
    bool phase_told;  /* PHASE_DONE given; waiting for ngc_sched_begin */
    bool failing;     /* stop dispatching; drain, then stop */
    bool interrupted; /* stop now */
    bool finished;    /* FINISH given */
    uint64_t retries[NGC_SCHED_STOP];
    ngc_sched_action_t *queue; /* actions from events, in order */
    size_t qhead, qlen, qcap;
};

ngc_sched_t *ngc_sched_new(unsigned workers, unsigned threads, unsigned max_retries)
{
    ngc_assert(workers > 0 && threads > 0);
    ngc_sched_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->nworkers = workers;
    s->threads = threads;
    s->max_retries = max_retries;
    s->phase = NGC_SCHED_MAP;
    s->workers = calloc(workers, sizeof(*s->workers));
    /* Every event queues at most a lost worker's tasks and a respawn. */
    s->qcap = (size_t)workers * (threads + 1) + 1;
    s->queue = calloc(s->qcap, sizeof(*s->queue));
    if (s->workers == NULL || s->queue == NULL) {
        ngc_sched_free(s);
        return NULL;
    }
    return s;
}

void ngc_sched_free(ngc_sched_t *s)
{
    if (s == NULL)
        return;
    free(s->workers);
    free(s->tasks);
    free(s->queue);
    free(s);
}

static void ngc_sched_push(ngc_sched_t *s, ngc_sched_action_t a)
{
    if (s->qlen == 0)
        s->qhead = 0;
    if (s->qhead + s->qlen == s->qcap) {
        size_t cap = s->qcap * 2;
        ngc_sched_action_t *q = malloc(cap * sizeof(*q));
        ngc_assert(q != NULL); /* a few dozen bytes */
        memcpy(q, s->queue + s->qhead, s->qlen * sizeof(*q));
        free(s->queue);
        s->queue = q;
        s->qcap = cap;
        s->qhead = 0;
    }
    s->queue[s->qhead + s->qlen++] = a;
}

int ngc_sched_begin(ngc_sched_t *s, ngc_sched_phase_t phase, uint32_t ntasks)
{
    if (phase == NGC_SCHED_STOP) {
        ngc_assert(ntasks == 0);
        s->phase = NGC_SCHED_STOP;
        ngc_sched_push(
            s, (ngc_sched_action_t){.type = NGC_SCHED_STOP_WORKERS, .phase = NGC_SCHED_STOP});
        return NGC_OK;
    }
    ngc_sched_task_t *t = calloc(ntasks ? ntasks : 1, sizeof(*t));
    if (t == NULL)
        return NGC_ERROR;
    free(s->tasks);
    s->tasks = t;
    s->ntasks = ntasks;
    s->next_fresh = 0;
    s->done = 0;
    s->nretry = 0;
    s->phase = phase;
    s->phase_told = false;
    return NGC_OK;
}

void ngc_sched_set_once(ngc_sched_t *s, uint32_t id)
{
    ngc_assert(id < s->ntasks);
    s->tasks[id].once = true;
}

void ngc_sched_worker_started(ngc_sched_t *s, unsigned w)
{
    ngc_assert(w < s->nworkers);
    s->workers[w] = (ngc_sched_worker_t){.alive = true, .connected = true};
}

void ngc_sched_worker_ready(ngc_sched_t *s, unsigned w)
{
    ngc_assert(w < s->nworkers);
    s->workers[w].ready = true;
}

bool ngc_sched_runs(const ngc_sched_t *s, unsigned w, uint32_t id)
{
    return s->phase != NGC_SCHED_STOP && id < s->ntasks &&
           s->tasks[id].state == NGC_SCHED_RUNNING && s->tasks[id].worker == w;
}

void ngc_sched_task_done(ngc_sched_t *s, unsigned w, uint32_t id)
{
    ngc_assert(ngc_sched_runs(s, w, id));
    s->tasks[id].state = NGC_SCHED_DONE;
    s->workers[w].inflight--;
    s->workers[w].solo = false;
    s->done++;
}

/* Task id, sent or about to be, will not be done. */
static void ngc_sched_drop(ngc_sched_t *s, unsigned w, uint32_t id)
{
    ngc_assert(w < s->nworkers);
    if (id < s->ntasks && s->phase != NGC_SCHED_STOP)
        s->tasks[id].state = NGC_SCHED_FAILED;
    if (s->workers[w].inflight > 0)
        s->workers[w].inflight--;
    s->failing = true;
}

void ngc_sched_task_failed(ngc_sched_t *s, unsigned w, uint32_t id)
{
    ngc_sched_drop(s, w, id);
}

void ngc_sched_send_failed(ngc_sched_t *s, unsigned w, uint32_t id)
{
    ngc_sched_drop(s, w, id);
}

/* The one requeue path, whatever the phase: one attempt more, then back in
 * line, or the job fails. */
static bool ngc_sched_requeue(ngc_sched_t *s, unsigned w, uint32_t id)
{
    ngc_sched_task_t *t = &s->tasks[id];
    t->attempts++;
    t->state = NGC_SCHED_PENDING;
    ngc_sched_action_t a = {.phase = s->phase, .worker = w, .task = id};
    if (t->once || t->attempts > s->max_retries) {
        a.type = NGC_SCHED_GIVE_UP;
        a.attempt = t->attempts;
        a.once = t->once;
        s->failing = true;
    } else {
        a.type = NGC_SCHED_RETRY;
        a.attempt = t->attempts + 1;
        s->nretry++;
        s->retries[s->phase]++;
    }
    ngc_sched_push(s, a);
    return a.type == NGC_SCHED_RETRY;
}

void ngc_sched_worker_lost(ngc_sched_t *s, unsigned w, unsigned *lost, unsigned *retried)
{
    ngc_assert(w < s->nworkers);
    ngc_sched_worker_t *wk = &s->workers[w];
    *lost = *retried = 0;
    wk->connected = false;
    wk->ready = false;
    if (s->phase == NGC_SCHED_STOP || s->interrupted) {
        wk->inflight = 0;
        return;
    }
    for (uint32_t id = 0; id < s->ntasks; id++) {
        if (s->tasks[id].state == NGC_SCHED_RUNNING && s->tasks[id].worker == w) {
            (*lost)++;
            *retried += ngc_sched_requeue(s, w, id);
        }
    }
    wk->inflight = 0;
    wk->solo = false;
    if (!s->failing)
        ngc_sched_push(
            s, (ngc_sched_action_t){.type = NGC_SCHED_RESPAWN, .phase = s->phase, .worker = w});
}

void ngc_sched_worker_closed(ngc_sched_t *s, unsigned w)
{
    ngc_assert(w < s->nworkers);
    s->workers[w].connected = false;
    s->workers[w].ready = false;
}

void ngc_sched_worker_exited(ngc_sched_t *s, unsigned w)
{
    ngc_assert(w < s->nworkers);
    s->workers[w].alive = false;
}

void ngc_sched_fail(ngc_sched_t *s)
{
    s->failing = true;
}

void ngc_sched_interrupt(ngc_sched_t *s)
{
    s->interrupted = true;
}

/* The task worker w takes next, if any. Retried tasks go only to idle
 * workers, lowest first, which then take nothing else until done. */
static bool ngc_sched_pick(ngc_sched_t *s, ngc_sched_worker_t *wk, uint32_t *id)
{
    if (wk->solo)
        return false;
    if (s->nretry > 0 && wk->inflight == 0) {
        uint32_t k = 0;
        while (k < s->next_fresh && s->tasks[k].state != NGC_SCHED_PENDING)
            k++;
        ngc_assert(k < s->next_fresh); /* nretry counts the pending retried tasks */
        s->nretry--;
        wk->solo = true;
        *id = k;
        return true;
    }
    if (s->next_fresh < s->ntasks) {
        *id = s->next_fresh++;
        return true;
    }
    return false;
}

static unsigned ngc_sched_total_inflight(const ngc_sched_t *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->nworkers; i++)
        n += s->workers[i].inflight;
    return n;
}

static bool ngc_sched_any_alive(const ngc_sched_t *s)
{
    for (unsigned i = 0; i < s->nworkers; i++)
        if (s->workers[i].alive)
            return true;
    return false;
}

/* The next thing to do, decided from the state alone. */
static bool ngc_sched_decide(ngc_sched_t *s, ngc_sched_action_t *a)
{
    if (s->phase == NGC_SCHED_STOP) {
        if (s->finished || ngc_sched_any_alive(s))
            return false;
        s->finished = true;
        *a = (ngc_sched_action_t){.type = NGC_SCHED_FINISH, .phase = NGC_SCHED_STOP};
        return true;
    }
    if (s->failing || s->interrupted) {
        /* On failure, the tasks in flight finish first: every earlier
         * task's failure is then known. */
        if (!s->interrupted && ngc_sched_total_inflight(s) > 0)
            return false;
        ngc_sched_phase_t was = s->phase;
        s->phase = NGC_SCHED_STOP;
        *a = (ngc_sched_action_t){.type = NGC_SCHED_STOP_WORKERS, .phase = was};
        return true;
    }
    if (s->done == s->ntasks) {
        if (s->phase_told)
            return false;
        s->phase_told = true;
        *a = (ngc_sched_action_t){.type = NGC_SCHED_PHASE_DONE, .phase = s->phase};
        return true;
    }
    for (unsigned i = 0; i < s->nworkers; i++) {
        ngc_sched_worker_t *wk = &s->workers[i];
        uint32_t id;
        if (!wk->connected || !wk->ready || wk->inflight >= s->threads ||
            !ngc_sched_pick(s, wk, &id))
            continue;
        ngc_sched_task_t *t = &s->tasks[id];
        t->state = NGC_SCHED_RUNNING;
        t->worker = i;
        wk->inflight++;
        *a = (ngc_sched_action_t){.type = NGC_SCHED_SEND,
                                  .phase = s->phase,
                                  .worker = i,
                                  .task = id,
                                  .attempt = t->attempts + 1};
        return true;
    }
    return false;
}

bool ngc_sched_next(ngc_sched_t *s, ngc_sched_action_t *a)
{
    if (s->qlen > 0) {
        *a = s->queue[s->qhead++];
        s->qlen--;
        return true;
    }
    return ngc_sched_decide(s, a);
}

ngc_sched_phase_t ngc_sched_phase(const ngc_sched_t *s)
{
    return s->phase;
}

bool ngc_sched_failing(const ngc_sched_t *s)
{
    return s->failing;
}

bool ngc_sched_stopping(const ngc_sched_t *s)
{
    return s->phase == NGC_SCHED_STOP || s->interrupted;
}

uint32_t ngc_sched_ntasks(const ngc_sched_t *s)
{
    return s->ntasks;
}

uint32_t ngc_sched_done(const ngc_sched_t *s)
{
    return s->done;
}

unsigned ngc_sched_inflight(const ngc_sched_t *s, unsigned w)
{
    ngc_assert(w < s->nworkers);
    return s->workers[w].inflight;
}

uint64_t ngc_sched_retries(const ngc_sched_t *s, ngc_sched_phase_t phase)
{
    ngc_assert(phase < NGC_SCHED_STOP);
    return s->retries[phase];
}

uint32_t ngc_sched_attempts(const ngc_sched_t *s, uint32_t id)
{
    ngc_assert(id < s->ntasks);
    return s->tasks[id].attempts;
}
