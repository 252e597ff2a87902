/*
 * tpool.h: a worker's thread pool for blocking calls (pread, inflate,
 * parsing a buffer, merging into shared memory), libuv's work-queue shape.
 *
 * DESIGN: the loop thread posts jobs to a mutex+condvar FIFO; a pool thread
 * runs job->work; the finished job goes to a locked done queue and one
 * eventfd write wakes the worker's event_base, whose callback runs
 * job->done for every finished job, on the loop thread. So only the loop
 * thread touches libevent objects and task state; pool threads touch only
 * what their job owns. Pool threads block all async signals.
 */
#ifndef NGC_WORKERS_TPOOL_H
#define NGC_WORKERS_TPOOL_H

#include <event2/event.h>

typedef struct ngc_tpool_s ngc_tpool_t;
typedef struct ngc_tpool_job_s ngc_tpool_job_t;

/* Runs on a pool thread. */
typedef void (*ngc_tpool_work_fn)(ngc_tpool_job_t *job);
/* Runs on the loop thread after work; may post new jobs or free the job. */
typedef void (*ngc_tpool_done_fn)(ngc_tpool_job_t *job);

/* Caller-provided storage, which must live until done runs. */
struct ngc_tpool_job_s {
    ngc_tpool_work_fn work;
    ngc_tpool_done_fn done;
    void *arg;
    ngc_tpool_job_t *next; /* owned by the pool while posted */
};

/* Starts nthreads threads; completions arrive on base. Loop thread. */
ngc_tpool_t *ngc_tpool_new(struct event_base *base, unsigned nthreads);
/* Queues a job. Loop thread. */
void ngc_tpool_post(ngc_tpool_t *tp, ngc_tpool_job_t *job);
/* Jobs posted and not yet done. Loop thread. */
unsigned ngc_tpool_busy(const ngc_tpool_t *tp);
/* Waits for running and queued jobs, joins the threads; done callbacks of
 * finished jobs are not run. Accepts NULL. Loop thread. */
void ngc_tpool_free(ngc_tpool_t *tp);

#endif
