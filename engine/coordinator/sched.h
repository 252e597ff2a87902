/*
 * sched.h: the scheduler core: which task of which phase runs on which
 * worker, and what happens when a task or a worker fails. No fork, no
 * libevent, no I/O: the coordinator turns channel, signal and timer events
 * into calls below and carries out the actions ngc_sched_next() returns.
 *
 * DESIGN: one task model for every phase (map, sort, load, format): a task
 * is pending, running on one worker, done, or failed, and counts the
 * attempts that were lost. Phases run one after another: no task of a phase
 * goes out before every task of the one before is done. A task a lost
 * worker was running goes back to the queue with one attempt more, and runs
 * alone on an idle worker (only the guilty task fails again); past
 * max_retries lost attempts, or at once for a task that cannot be run
 * twice, the job fails. A failure stops dispatching; the tasks in flight
 * finish first, then the workers are stopped. Coordinator only, one thread.
 */
#ifndef NGC_ENGINE_COORDINATOR_SCHED_H
#define NGC_ENGINE_COORDINATOR_SCHED_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ngc_sched_s ngc_sched_t;

typedef enum {
    NGC_SCHED_MAP,    /* read and count the inputs (plan.h's tasks) */
    NGC_SCHED_SORT,   /* sort the table's partitions */
    NGC_SCHED_LOAD,   /* COPY the partitions to PostgreSQL (--pg) */
    NGC_SCHED_FORMAT, /* format the output's ranges (ranges.h) */
    NGC_SCHED_STOP    /* no task any more: the workers are told to exit */
} ngc_sched_phase_t;

typedef enum {
    NGC_SCHED_SEND,         /* send task `task` (attempt `attempt`) to `worker` */
    NGC_SCHED_RETRY,        /* `worker` lost task `task`: queued again, for attempt `attempt` */
    NGC_SCHED_GIVE_UP,      /* `worker` lost task `task`, `attempt` lost so far (or it
                             * cannot run twice: `once`): the job fails */
    NGC_SCHED_RESPAWN,      /* start a new process in `worker`'s slot */
    NGC_SCHED_PHASE_DONE,   /* every task of `phase` is done: call ngc_sched_begin */
    NGC_SCHED_STOP_WORKERS, /* tell every connected worker to exit */
    NGC_SCHED_FINISH        /* every worker has exited: the run is over */
} ngc_sched_act_t;

typedef struct {
    ngc_sched_act_t type;
    ngc_sched_phase_t phase; /* the phase it concerns */
    unsigned worker;
    uint32_t task;    /* index in the phase's tasks */
    uint32_t attempt; /* SEND, RETRY: 1 for the first run; GIVE_UP: attempts lost */
    bool once;        /* GIVE_UP: the task's input cannot be read again */
} ngc_sched_action_t;

/* `workers` slots, each running at most `threads` tasks at once; a task may
 * be lost max_retries times. NULL when out of memory. */
ngc_sched_t *ngc_sched_new(unsigned workers, unsigned threads, unsigned max_retries);
void ngc_sched_free(ngc_sched_t *s);

/* Starts `phase` with ntasks tasks, every one pending; NGC_SCHED_STOP (ntasks
 * 0, never fails) stops the workers. The map phase comes first (ngc_sched_new
 * leaves it with no task); the others follow a PHASE_DONE. NGC_ERROR when out
 * of memory, the phase unchanged. */
int ngc_sched_begin(ngc_sched_t *s, ngc_sched_phase_t phase, uint32_t ntasks);
/* Task `id` of the current phase cannot run twice (its input is consumed). */
void ngc_sched_set_once(ngc_sched_t *s, uint32_t id);

/* Events. A worker's process started (connected, not yet ready). */
void ngc_sched_worker_started(ngc_sched_t *s, unsigned w);
/* It introduced itself: it may take tasks. */
void ngc_sched_worker_ready(ngc_sched_t *s, unsigned w);
/* Whether `w` is running task `id` of the current phase: a DONE naming
 * another task breaks the protocol. */
bool ngc_sched_runs(const ngc_sched_t *s, unsigned w, uint32_t id);
/* `w` finished task `id`, which it runs (ngc_sched_runs). */
void ngc_sched_task_done(ngc_sched_t *s, unsigned w, uint32_t id);
/* `w` reported task `id` failed: the task is not retried, the job fails
 * once the tasks in flight are done. */
void ngc_sched_task_failed(ngc_sched_t *s, unsigned w, uint32_t id);
/* A SEND could not be carried out: the job fails. */
void ngc_sched_send_failed(ngc_sched_t *s, unsigned w, uint32_t id);
/* `w`'s worker is gone (killed and reaped by the caller): its tasks go back
 * to the queue (RETRY or GIVE_UP each) and, unless the job is failing or
 * stopping, a RESPAWN follows. *lost: the tasks it ran; *retried: those
 * queued again. */
void ngc_sched_worker_lost(ngc_sched_t *s, unsigned w, unsigned *lost, unsigned *retried);
/* `w` closed its channel while stopping: nothing to requeue. */
void ngc_sched_worker_closed(ngc_sched_t *s, unsigned w);
/* `w`'s process was reaped. */
void ngc_sched_worker_exited(ngc_sched_t *s, unsigned w);
/* A failure not tied to a task: dispatching stops, the job fails. */
void ngc_sched_fail(ngc_sched_t *s);
/* A stop signal: the workers are stopped now, without draining. */
void ngc_sched_interrupt(ngc_sched_t *s);

/* The next action, in order, into *a; false when there is none until the
 * next event. Call after every event until it returns false. */
bool ngc_sched_next(ngc_sched_t *s, ngc_sched_action_t *a);

/* State, for the caller's messages and progress, and for tests. */
ngc_sched_phase_t ngc_sched_phase(const ngc_sched_t *s);
bool ngc_sched_failing(const ngc_sched_t *s);
bool ngc_sched_stopping(const ngc_sched_t *s);   /* STOP phase or interrupted */
uint32_t ngc_sched_ntasks(const ngc_sched_t *s); /* of the current phase */
uint32_t ngc_sched_done(const ngc_sched_t *s);   /* of the current phase */
unsigned ngc_sched_inflight(const ngc_sched_t *s, unsigned w);
/* Lost attempts that were queued again, in `phase`. */
uint64_t ngc_sched_retries(const ngc_sched_t *s, ngc_sched_phase_t phase);
/* Attempts of task `id` of the current phase lost so far. */
uint32_t ngc_sched_attempts(const ngc_sched_t *s, uint32_t id);

#endif
