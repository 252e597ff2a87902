/*
 * tpool.c: see tpool.h for the design. The eventfd counts wakeups, not
 * jobs: the done callback drains the whole done queue on each wakeup.
 */
#include "engine/base/ngc.h"
#include "workers/tpool.h"
#include "engine/base/log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct ngc_tpool_s {
    pthread_mutex_t lock;         /* guards everything below but `threads` */
    pthread_cond_t cond;          /* signals queued jobs or shutdown */
    ngc_tpool_job_t *head, *tail; /* queued jobs */
    ngc_tpool_job_t *done_head, *done_tail;
    bool stopping;
    unsigned busy; /* posted, done not yet run; loop thread only */
    int efd;
    struct event *ev;
    unsigned nthreads;
    pthread_t *threads;
};

static void *ngc_tpool_thread(void *arg)
{
    ngc_tpool_t *tp = arg;
    pthread_mutex_lock(&tp->lock);
    for (;;) {
        while (tp->head == NULL && !tp->stopping)
            pthread_cond_wait(&tp->cond, &tp->lock);
        if (tp->head == NULL)
            break;
        ngc_tpool_job_t *job = tp->head;
        tp->head = job->next;
        if (tp->head == NULL)
            tp->tail = NULL;
        pthread_mutex_unlock(&tp->lock);

        job->work(job);

        pthread_mutex_lock(&tp->lock);
        job->next = NULL;
        bool wake = tp->done_head == NULL;
        if (tp->done_tail)
            tp->done_tail->next = job;
        else
            tp->done_head = job;
        tp->done_tail = job;
        if (wake) {
            uint64_t one = 1;
            ssize_t n;
            do
                n = write(tp->efd, &one, sizeof(one));
            while (n < 0 && errno == EINTR);
            /* EAGAIN: the counter is already non-zero, the loop will wake. */
        }
    }
    pthread_mutex_unlock(&tp->lock);
    return NULL;
}

static void ngc_tpool_wakeup_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    ngc_tpool_t *tp = arg;
    uint64_t n;
    while (read(fd, &n, sizeof(n)) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&tp->lock);
    ngc_tpool_job_t *job = tp->done_head;
    tp->done_head = tp->done_tail = NULL;
    pthread_mutex_unlock(&tp->lock);
    while (job != NULL) {
        ngc_tpool_job_t *next = job->next;
        tp->busy--;
        job->done(job);
        job = next;
    }
}

ngc_tpool_t *ngc_tpool_new(struct event_base *base, unsigned nthreads)
{
    ngc_tpool_t *tp = calloc(1, sizeof(*tp));
    if (tp == NULL)
        return NULL;
    tp->threads = calloc(nthreads, sizeof(*tp->threads));
    if (tp->threads == NULL)
        goto fail_alloc;
    pthread_mutex_init(&tp->lock, NULL);
    pthread_cond_init(&tp->cond, NULL);
    tp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (tp->efd < 0) {
        ngc_log_error(errno, "eventfd() failed");
        goto fail_sync;
    }
    tp->ev = event_new(base, tp->efd, EV_READ | EV_PERSIST, ngc_tpool_wakeup_cb, tp);
    if (tp->ev == NULL || event_add(tp->ev, NULL) != 0) {
        ngc_log_error(0, "cannot watch the thread pool's eventfd");
        goto fail_efd;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (unsigned i = 0; i < nthreads; i++) {
        int err = pthread_create(&tp->threads[i], NULL, ngc_tpool_thread, tp);
        if (err != 0) {
            ngc_log_error(err, "pthread_create() failed");
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            tp->nthreads = i;
            ngc_tpool_free(tp);
            return NULL;
        }
        tp->nthreads = i + 1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return tp;

fail_efd:
    if (tp->ev)
        event_free(tp->ev);
    close(tp->efd);
fail_sync:
    pthread_cond_destroy(&tp->cond);
    pthread_mutex_destroy(&tp->lock);
    free(tp->threads);
fail_alloc:
    free(tp);
    return NULL;
}

void ngc_tpool_post(ngc_tpool_t *tp, ngc_tpool_job_t *job)
{
    job->next = NULL;
    tp->busy++;
    pthread_mutex_lock(&tp->lock);
    if (tp->tail)
        tp->tail->next = job;
    else
        tp->head = job;
    tp->tail = job;
    pthread_cond_signal(&tp->cond);
    pthread_mutex_unlock(&tp->lock);
}

unsigned ngc_tpool_busy(const ngc_tpool_t *tp)
{
    return tp->busy;
}

void ngc_tpool_free(ngc_tpool_t *tp)
{
    if (tp == NULL)
        return;
    pthread_mutex_lock(&tp->lock);
    tp->stopping = true;
    pthread_cond_broadcast(&tp->cond);
    pthread_mutex_unlock(&tp->lock);
    for (unsigned i = 0; i < tp->nthreads; i++)
        pthread_join(tp->threads[i], NULL);
    event_free(tp->ev);
    close(tp->efd);
    pthread_cond_destroy(&tp->cond);
    pthread_mutex_destroy(&tp->lock);
    free(tp->threads);
    free(tp);
}
