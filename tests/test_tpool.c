/*
 * test_tpool.c: the worker's thread pool (workers/tpool.h) on a real
 * event_base: 10,000 jobs on 1, 2 and 4 threads, each done callback run
 * exactly once, on the loop thread, after its work ran exactly once on a
 * pool thread with async signals blocked; jobs posted from done callbacks;
 * ngc_tpool_busy; all threads really running; free with jobs still queued.
 */
#include "engine/base/ngc.h"
#include "workers/tpool.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

typedef struct ngc_t_ctx_s ngc_t_ctx_t;

typedef struct {
    ngc_tpool_job_t job;
    ngc_t_ctx_t *ctx;
    uint32_t index;
    uint32_t rounds; /* times to run before the job is finished */
    atomic_uint work_runs;
    unsigned done_runs;    /* loop thread only */
    pthread_t work_thread; /* set by work, read by done */
    bool signals_blocked;
    uint64_t result;
} ngc_t_job_t;

struct ngc_t_ctx_s {
    struct event_base *base;
    ngc_tpool_t *tp;
    pthread_t loop;
    unsigned posted;   /* total posts */
    unsigned done;     /* done callbacks run */
    unsigned finished; /* jobs whose last round is done */
    unsigned total;    /* jobs to finish before stopping */
    unsigned errors;
    unsigned usleep_us; /* work duration, 0 for none */
    atomic_uint work_total;
};

static uint64_t ngc_t_expected(uint32_t index, uint32_t round)
{
    uint64_t h = (uint64_t)index * 0x9e3779b97f4a7c15ull + round;
    for (int i = 0; i < 100; i++)
        h = h * 6364136223846793005ull + 1442695040888963407ull;
    return h;
}

static void ngc_t_work(ngc_tpool_job_t *job)
{
    ngc_t_job_t *j = job->arg;
    unsigned round = atomic_fetch_add(&j->work_runs, 1);
    j->work_thread = pthread_self();
    sigset_t set;
    pthread_sigmask(SIG_BLOCK, NULL, &set);
    j->signals_blocked = sigismember(&set, SIGINT) == 1 && sigismember(&set, SIGTERM) == 1 &&
                         sigismember(&set, SIGCHLD) == 1 && sigismember(&set, SIGUSR1) == 1 &&
                         sigismember(&set, SIGHUP) == 1;
    j->result = ngc_t_expected(j->index, round);
    if (j->ctx->usleep_us)
        usleep(j->ctx->usleep_us);
    atomic_fetch_add(&j->ctx->work_total, 1);
}

static void ngc_t_done(ngc_tpool_job_t *job)
{
    ngc_t_job_t *j = job->arg;
    ngc_t_ctx_t *c = j->ctx;
    c->done++;
    unsigned runs = atomic_load(&j->work_runs);
    if (!pthread_equal(pthread_self(), c->loop))
        c->errors++; /* done must run on the loop thread */
    if (pthread_equal(j->work_thread, c->loop))
        c->errors++; /* work must not */
    if (!j->signals_blocked)
        c->errors++;
    if (runs != j->done_runs + 1)
        c->errors++; /* one work per done, work first */
    if (j->result != ngc_t_expected(j->index, j->done_runs))
        c->errors++;
    j->done_runs++;
    /* Jobs posted and not yet done: this one may count either way. */
    unsigned busy = ngc_tpool_busy(c->tp), left = c->posted - c->done;
    if (busy != left && busy != left + 1)
        c->errors++;
    if (j->done_runs < j->rounds) {
        c->posted++;
        ngc_tpool_post(c->tp, &j->job); /* again, from its own done callback */
        return;
    }
    if (++c->finished == c->total)
        event_base_loopbreak(c->base);
}

static ngc_t_job_t *ngc_t_jobs(ngc_t_ctx_t *c, unsigned n, unsigned rounds)
{
    ngc_t_job_t *jobs = calloc(n, sizeof(*jobs));
    assert_non_null(jobs);
    for (unsigned i = 0; i < n; i++) {
        jobs[i].job.work = ngc_t_work;
        jobs[i].job.done = ngc_t_done;
        jobs[i].job.arg = &jobs[i];
        jobs[i].ctx = c;
        jobs[i].index = i;
        jobs[i].rounds = rounds;
        atomic_init(&jobs[i].work_runs, 0);
    }
    return jobs;
}

static void ngc_t_ctx(ngc_t_ctx_t *c, unsigned nthreads)
{
    memset(c, 0, sizeof(*c));
    atomic_init(&c->work_total, 0);
    c->loop = pthread_self();
    c->base = event_base_new();
    assert_non_null(c->base);
    c->tp = ngc_tpool_new(c->base, nthreads);
    assert_non_null(c->tp);
}

static void ngc_t_ctx_fini(ngc_t_ctx_t *c)
{
    ngc_tpool_free(c->tp);
    event_base_free(c->base);
}

static void ngc_t_run(ngc_t_ctx_t *c)
{
    /* A safety net: a lost wakeup fails the test instead of hanging it. */
    struct timeval limit = {60, 0};
    event_base_loopexit(c->base, &limit);
    assert_true(event_base_dispatch(c->base) >= 0);
}

static void ngc_t_many(unsigned nthreads)
{
    enum { N = 10000 };
    ngc_t_ctx_t c;
    ngc_t_ctx(&c, nthreads);
    ngc_t_job_t *jobs = ngc_t_jobs(&c, N, 1);
    c.total = N;
    for (unsigned i = 0; i < N; i++) {
        c.posted++;
        ngc_tpool_post(c.tp, &jobs[i].job);
    }
    assert_int_equal(ngc_tpool_busy(c.tp), N);
    ngc_t_run(&c);
    assert_int_equal(c.errors, 0);
    assert_int_equal(c.finished, N);
    assert_int_equal(c.done, N);
    assert_int_equal(ngc_tpool_busy(c.tp), 0);
    assert_int_equal(atomic_load(&c.work_total), N);
    for (unsigned i = 0; i < N; i++) {
        assert_int_equal(atomic_load(&jobs[i].work_runs), 1);
        assert_int_equal(jobs[i].done_runs, 1);
    }
    ngc_t_ctx_fini(&c);
    free(jobs);
}

static void test_many_jobs_1(void **state)
{
    (void)state;
    ngc_t_many(1);
}

static void test_many_jobs_2(void **state)
{
    (void)state;
    ngc_t_many(2);
}

static void test_many_jobs_4(void **state)
{
    (void)state;
    ngc_t_many(4);
}

/* 100 jobs, each posted again from its done callback until it ran 100 times. */
static void ngc_t_chained(unsigned nthreads)
{
    enum { N = 100, ROUNDS = 100 };
    ngc_t_ctx_t c;
    ngc_t_ctx(&c, nthreads);
    ngc_t_job_t *jobs = ngc_t_jobs(&c, N, ROUNDS);
    c.total = N;
    for (unsigned i = 0; i < N; i++) {
        c.posted++;
        ngc_tpool_post(c.tp, &jobs[i].job);
    }
    ngc_t_run(&c);
    assert_int_equal(c.errors, 0);
    assert_int_equal(c.finished, N);
    assert_int_equal(c.done, N * ROUNDS);
    assert_int_equal(c.posted, N * ROUNDS);
    assert_int_equal(ngc_tpool_busy(c.tp), 0);
    for (unsigned i = 0; i < N; i++) {
        assert_int_equal(atomic_load(&jobs[i].work_runs), ROUNDS);
        assert_int_equal(jobs[i].done_runs, ROUNDS);
    }
    ngc_t_ctx_fini(&c);
    free(jobs);
}

static void test_post_from_done(void **state)
{
    (void)state;
    ngc_t_chained(1);
    ngc_t_chained(2);
    ngc_t_chained(4);
}

/* A single job, one at a time: the loop sleeps between them, so each
 * completion must wake it. */
static void test_one_at_a_time(void **state)
{
    (void)state;
    ngc_t_ctx_t c;
    ngc_t_ctx(&c, 2);
    ngc_t_job_t *jobs = ngc_t_jobs(&c, 1, 2000);
    c.total = 1;
    c.posted = 1;
    ngc_tpool_post(c.tp, &jobs[0].job);
    ngc_t_run(&c);
    assert_int_equal(c.errors, 0);
    assert_int_equal(c.finished, 1);
    assert_int_equal(jobs[0].done_runs, 2000);
    ngc_t_ctx_fini(&c);
    free(jobs);
}

/*
 * Every one of nthreads threads is really running: nthreads jobs wait for
 * each other, which only ends if they all run at once.
 */
typedef struct {
    ngc_tpool_job_t job;
    atomic_uint *arrived;
    unsigned need;
    bool met; /* this job saw all the others arrive while it waited */
    unsigned *done;
} ngc_t_meet_t;

static void ngc_t_meet_work(ngc_tpool_job_t *job)
{
    ngc_t_meet_t *m = job->arg;
    atomic_fetch_add(m->arrived, 1);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (atomic_load(m->arrived) >= m->need) {
            m->met = true;
            return;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 10)
            return; /* never met: the test fails, without hanging */
        usleep(100);
    }
}

static void ngc_t_meet_done(ngc_tpool_job_t *job)
{
    ngc_t_meet_t *m = job->arg;
    (*m->done)++;
}

static void test_threads_run_at_once(void **state)
{
    (void)state;
    const unsigned counts[] = {1, 2, 4, 8};
    for (size_t k = 0; k < NGC_NELEMS(counts); k++) {
        unsigned n = counts[k];
        struct event_base *base = event_base_new();
        assert_non_null(base);
        ngc_tpool_t *tp = ngc_tpool_new(base, n);
        assert_non_null(tp);
        atomic_uint arrived;
        atomic_init(&arrived, 0);
        unsigned done = 0;
        ngc_t_meet_t m[8];
        for (unsigned i = 0; i < n; i++) {
            m[i] = (ngc_t_meet_t){{ngc_t_meet_work, ngc_t_meet_done, &m[i], NULL},
                                  &arrived,
                                  n,
                                  false,
                                  &done};
            ngc_tpool_post(tp, &m[i].job);
        }
        struct timeval limit = {30, 0};
        event_base_loopexit(base, &limit);
        while (done < n && event_base_loop(base, EVLOOP_ONCE) == 0)
            ;
        assert_int_equal(done, n);
        for (unsigned i = 0; i < n; i++)
            if (!m[i].met)
                fail_msg("%u jobs on %u threads never all ran at the same time", n, n);
        ngc_tpool_free(tp);
        event_base_free(base);
    }
}

/* Free with jobs still queued: all of their work runs, none of their done. */
static void ngc_t_free_queued(unsigned nthreads)
{
    enum { N = 200 };
    ngc_t_ctx_t c;
    ngc_t_ctx(&c, nthreads);
    c.usleep_us = 500;
    ngc_t_job_t *jobs = ngc_t_jobs(&c, N, 1);
    for (unsigned i = 0; i < N; i++) {
        c.posted++;
        ngc_tpool_post(c.tp, &jobs[i].job);
    }
    ngc_tpool_free(c.tp);
    c.tp = NULL;
    assert_int_equal(atomic_load(&c.work_total), N);
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(atomic_load(&jobs[i].work_runs), 1);
    /* The pool is gone: the loop runs no done callback of it. */
    assert_true(event_base_loop(c.base, EVLOOP_NONBLOCK) >= 0);
    assert_int_equal(c.done, 0);
    event_base_free(c.base);
    free(jobs);
}

static void test_free_with_queued_jobs(void **state)
{
    (void)state;
    ngc_t_free_queued(1);
    ngc_t_free_queued(4);
}

static void test_free_after_some_done(void **state)
{
    (void)state;
    /* Half the jobs completed through the loop, the rest still queued. */
    enum { N = 400 };
    ngc_t_ctx_t c;
    ngc_t_ctx(&c, 2);
    ngc_t_job_t *jobs = ngc_t_jobs(&c, N, 1);
    c.total = N / 2;
    for (unsigned i = 0; i < N / 2; i++) {
        c.posted++;
        ngc_tpool_post(c.tp, &jobs[i].job);
    }
    ngc_t_run(&c);
    assert_int_equal(c.errors, 0);
    assert_int_equal(c.done, N / 2);
    c.usleep_us = 200;
    for (unsigned i = N / 2; i < N; i++) {
        c.posted++;
        ngc_tpool_post(c.tp, &jobs[i].job);
    }
    assert_int_equal(ngc_tpool_busy(c.tp), N / 2);
    ngc_tpool_free(c.tp);
    c.tp = NULL;
    assert_int_equal(atomic_load(&c.work_total), N);
    assert_int_equal(c.done, N / 2);
    event_base_free(c.base);
    free(jobs);
}

static void test_free_idle_and_null(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    assert_non_null(base);
    for (unsigned n = 1; n <= 8; n *= 2) {
        ngc_tpool_t *tp = ngc_tpool_new(base, n);
        assert_non_null(tp);
        assert_int_equal(ngc_tpool_busy(tp), 0);
        ngc_tpool_free(tp);
    }
    ngc_tpool_free(NULL);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_jobs_1),           cmocka_unit_test(test_many_jobs_2),
        cmocka_unit_test(test_many_jobs_4),           cmocka_unit_test(test_post_from_done),
        cmocka_unit_test(test_one_at_a_time),         cmocka_unit_test(test_threads_run_at_once),
        cmocka_unit_test(test_free_with_queued_jobs), cmocka_unit_test(test_free_after_some_done),
        cmocka_unit_test(test_free_idle_and_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
