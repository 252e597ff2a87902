/*
 * test_sched.c: the scheduler core (engine/coordinator/sched.c) driven through whole
 * jobs without a fork or an event loop. A small simulated coordinator
 * carries out every action as the real one does (a respawned worker says
 * HELLO at once, STOP makes every worker exit) and checks the rules on the
 * way: a task runs on one worker at a time, no task of a phase goes out
 * while one of the phase before runs, a retried task runs alone, every
 * task is done exactly once.
 */
#include "engine/base/ngc.h"
#include "engine/coordinator/sched.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#define NGC_T_MAX_TASKS 64
#define NGC_T_MAX_RUNNING 256

typedef struct {
    ngc_sched_phase_t phase;
    uint32_t task;
    unsigned worker;
    uint32_t attempt;
} ngc_t_run_t;

typedef struct {
    ngc_sched_t *s;
    unsigned nworkers, threads;
    /* The phases after the map phase, in order, and their task counts. */
    ngc_sched_phase_t next_phase[4];
    uint32_t next_ntasks[4];
    unsigned nnext, taken;
    ngc_t_run_t run[NGC_T_MAX_RUNNING]; /* tasks sent and not yet done or lost */
    unsigned nrun;
    unsigned done[NGC_SCHED_STOP][NGC_T_MAX_TASKS]; /* DONEs per task */
    ngc_sched_phase_t phases_done[8];
    unsigned nphases_done;
    unsigned sends, retries, give_ups, respawns, stops;
    ngc_sched_action_t give_up; /* the first GIVE_UP */
    bool finished;
} ngc_t_sim_t;

static unsigned ngc_t_running_on(const ngc_t_sim_t *sim, unsigned w)
{
    unsigned n = 0;
    for (unsigned i = 0; i < sim->nrun; i++)
        n += sim->run[i].worker == w;
    return n;
}

static void ngc_t_on_send(ngc_t_sim_t *sim, const ngc_sched_action_t *a)
{
    assert_true(a->worker < sim->nworkers);
    assert_true(a->phase == ngc_sched_phase(sim->s));
    assert_true(ngc_sched_runs(sim->s, a->worker, a->task));
    for (unsigned i = 0; i < sim->nrun; i++) {
        /* Phases do not overlap; a task runs once at a time. */
        assert_int_equal(sim->run[i].phase, a->phase);
        assert_false(sim->run[i].task == a->task);
        /* A retried task runs alone on its worker. */
        if (sim->run[i].worker == a->worker)
            assert_true(sim->run[i].attempt == 1 && a->attempt == 1);
    }
    assert_true(a->attempt == 1 || ngc_t_running_on(sim, a->worker) == 0);
    assert_true(ngc_t_running_on(sim, a->worker) < sim->threads);
    /* Only a pending task goes out: never one already done. */
    assert_int_equal(sim->done[a->phase][a->task], 0);
    assert_true(sim->nrun < NGC_T_MAX_RUNNING);
    sim->run[sim->nrun++] = (ngc_t_run_t){a->phase, a->task, a->worker, a->attempt};
    sim->sends++;
}

/* Carries out every action, as ngc_coord_act does. */
static void ngc_t_pump(ngc_t_sim_t *sim)
{
    ngc_sched_action_t a;
    while (ngc_sched_next(sim->s, &a)) {
        assert_false(sim->finished);
        switch (a.type) {
        case NGC_SCHED_SEND:
            ngc_t_on_send(sim, &a);
            break;
        case NGC_SCHED_RETRY:
            sim->retries++;
            break;
        case NGC_SCHED_GIVE_UP:
            if (sim->give_ups++ == 0)
                sim->give_up = a;
            break;
        case NGC_SCHED_RESPAWN:
            sim->respawns++;
            ngc_sched_worker_started(sim->s, a.worker);
            ngc_sched_worker_ready(sim->s, a.worker);
            break;
        case NGC_SCHED_PHASE_DONE:
            assert_true(sim->nphases_done < NGC_NELEMS(sim->phases_done));
            assert_int_equal(sim->nrun, 0);
            sim->phases_done[sim->nphases_done++] = a.phase;
            if (sim->taken < sim->nnext) {
                assert_int_equal(ngc_sched_begin(sim->s, sim->next_phase[sim->taken],
                                                 sim->next_ntasks[sim->taken]),
                                 NGC_OK);
                sim->taken++;
            } else {
                assert_int_equal(ngc_sched_begin(sim->s, NGC_SCHED_STOP, 0), NGC_OK);
            }
            break;
        case NGC_SCHED_STOP_WORKERS:
            /* Every worker reads STOP, closes its channel and exits. */
            sim->stops++;
            for (unsigned w = 0; w < sim->nworkers; w++) {
                ngc_sched_worker_closed(sim->s, w);
                ngc_sched_worker_exited(sim->s, w);
            }
            sim->nrun = 0;
            break;
        case NGC_SCHED_FINISH:
            sim->finished = true;
            break;
        }
    }
}

static void ngc_t_start(ngc_t_sim_t *sim, unsigned workers, unsigned threads, unsigned max_retries,
                        uint32_t map_tasks)
{
    memset(sim, 0, sizeof(*sim));
    sim->nworkers = workers;
    sim->threads = threads;
    sim->s = ngc_sched_new(workers, threads, max_retries);
    assert_non_null(sim->s);
    assert_int_equal(ngc_sched_begin(sim->s, NGC_SCHED_MAP, map_tasks), NGC_OK);
    for (unsigned w = 0; w < workers; w++)
        ngc_sched_worker_started(sim->s, w);
}

static void ngc_t_then(ngc_t_sim_t *sim, ngc_sched_phase_t phase, uint32_t ntasks)
{
    sim->next_phase[sim->nnext] = phase;
    sim->next_ntasks[sim->nnext++] = ntasks;
}

/* Every worker says HELLO. */
static void ngc_t_hello(ngc_t_sim_t *sim)
{
    for (unsigned w = 0; w < sim->nworkers; w++)
        ngc_sched_worker_ready(sim->s, w);
    ngc_t_pump(sim);
}

/* The worker of sim->run[i] reports it done. */
static void ngc_t_complete(ngc_t_sim_t *sim, unsigned i)
{
    ngc_t_run_t r = sim->run[i];
    sim->run[i] = sim->run[--sim->nrun];
    assert_true(ngc_sched_runs(sim->s, r.worker, r.task));
    ngc_sched_task_done(sim->s, r.worker, r.task);
    sim->done[r.phase][r.task]++;
    ngc_t_pump(sim);
}

/* Worker w dies; returns the tasks it ran. */
static unsigned ngc_t_kill(ngc_t_sim_t *sim, unsigned w, unsigned *retried)
{
    for (unsigned i = 0; i < sim->nrun;)
        if (sim->run[i].worker == w)
            sim->run[i] = sim->run[--sim->nrun];
        else
            i++;
    unsigned lost;
    ngc_sched_worker_exited(sim->s, w);
    ngc_sched_worker_lost(sim->s, w, &lost, retried);
    ngc_t_pump(sim);
    return lost;
}

/* Completes tasks, oldest first, until the job ends. */
static void ngc_t_finish(ngc_t_sim_t *sim)
{
    while (sim->nrun > 0)
        ngc_t_complete(sim, 0);
    assert_true(sim->finished);
}

static void ngc_t_assert_done_once(const ngc_t_sim_t *sim, ngc_sched_phase_t phase, uint32_t n)
{
    for (uint32_t t = 0; t < n; t++)
        assert_int_equal(sim->done[phase][t], 1);
}

static void test_every_phase_runs_in_order(void **state)
{
    (void)state;
    ngc_t_sim_t sim;
    ngc_t_start(&sim, 3, 2, 3, 10);
    ngc_t_then(&sim, NGC_SCHED_SORT, 16);
    ngc_t_then(&sim, NGC_SCHED_LOAD, 16);
    ngc_t_then(&sim, NGC_SCHED_FORMAT, 7);
    /* Nothing goes to a worker before its HELLO. */
    ngc_t_pump(&sim);
    assert_int_equal(sim.sends, 0);
    ngc_t_hello(&sim);
    assert_int_equal(sim.sends, 6); /* 3 workers x 2 threads */
    assert_int_equal(sim.nrun, 6);
    ngc_t_finish(&sim);
    ngc_t_assert_done_once(&sim, NGC_SCHED_MAP, 10);
    ngc_t_assert_done_once(&sim, NGC_SCHED_SORT, 16);
    ngc_t_assert_done_once(&sim, NGC_SCHED_LOAD, 16);
    ngc_t_assert_done_once(&sim, NGC_SCHED_FORMAT, 7);
    assert_int_equal(sim.sends, 10 + 16 + 16 + 7);
    assert_int_equal(sim.nphases_done, 4);
    assert_int_equal(sim.phases_done[0], NGC_SCHED_MAP);
    assert_int_equal(sim.phases_done[1], NGC_SCHED_SORT);
    assert_int_equal(sim.phases_done[2], NGC_SCHED_LOAD);
    assert_int_equal(sim.phases_done[3], NGC_SCHED_FORMAT);
    assert_int_equal(sim.stops, 1);
    assert_int_equal(sim.retries + sim.respawns + sim.give_ups, 0);
    assert_false(ngc_sched_failing(sim.s));
    assert_int_equal(ngc_sched_phase(sim.s), NGC_SCHED_STOP);
    ngc_sched_free(sim.s);
}

static void test_no_sort_task_before_the_map_phase_ends(void **state)
{
    (void)state;
    ngc_t_sim_t sim;
    ngc_t_start(&sim, 2, 4, 3, 5);
    ngc_t_then(&sim, NGC_SCHED_SORT, 16);
    ngc_t_hello(&sim);
    /* Newest first: the last map task to finish is the first sent. */
    while (sim.nrun > 1) {
        ngc_t_complete(&sim, sim.nrun - 1);
        assert_int_equal(ngc_sched_phase(sim.s), NGC_SCHED_MAP);
        assert_int_equal(sim.nphases_done, 0);
    }
    unsigned before = sim.sends;
    ngc_t_complete(&sim, 0);
    assert_int_equal(sim.nphases_done, 1);
    assert_int_equal(ngc_sched_phase(sim.s), NGC_SCHED_SORT);
    assert_int_equal(sim.sends - before, 8); /* the sort phase fills both workers */
    ngc_t_finish(&sim);
    ngc_t_assert_done_once(&sim, NGC_SCHED_SORT, 16);
    ngc_sched_free(sim.s);
}

static void test_no_map_task_is_an_empty_phase(void **state)
{
    (void)state;
    ngc_t_sim_t sim;
    ngc_t_start(&sim, 2, 2, 3, 0);
    ngc_t_then(&sim, NGC_SCHED_SORT, 16);
    ngc_t_hello(&sim);
    assert_int_equal(sim.phases_done[0], NGC_SCHED_MAP);
    assert_int_equal(sim.nrun, 4);
    ngc_t_finish(&sim);
    assert_int_equal(sim.sends, 16);
    ngc_sched_free(sim.s);
}

static void test_more_workers_than_tasks(void **state)
{
    (void)state;
    ngc_t_sim_t sim;
    ngc_t_start(&sim, 8, 4, 3, 2);
    ngc_t_then(&sim, NGC_SCHED_FORMAT, 3);
    ngc_t_hello(&sim);
    assert_int_equal(sim.sends, 2);
    /* Lowest slot first: the first worker takes what it can. */
    assert_int_equal(sim.run[0].worker, 0);
    assert_int_equal(sim.run[1].worker, 0);
    ngc_t_complete(&sim, 0);
    assert_int_equal(sim.sends, 2);
    ngc_t_finish(&sim);
    ngc_t_assert_done_once(&sim, NGC_SCHED_MAP, 2);
    ngc_t_assert_done_once(&sim, NGC_SCHED_FORMAT, 3);
    assert_int_equal(sim.sends, 5);
    ngc_sched_free(sim.s);
}

static void test_worker_dies_mid_task(void **state)
{
    (void)state;
    ngc_t_sim_t sim;
    ngc_t_start(&sim, 2, 2, 3, 6);
    ngc_t_then(&sim, NGC_SCHED_SORT, 16);
    ngc_t_hello(&sim);
    /* Worker 0 runs tasks 0 and 1, worker 1 tasks 2 and 3. One of worker
     * 1's is done, then worker 0 dies with both of its. */
    ngc_t_complete(&sim, 2);
    unsigned retried;
    unsigned lost = ngc_t_kill(&sim, 0, &retried);
    assert_int_equal(lost, 2);
    assert_int_equal(retried, 2);
    assert_int_equal(sim.retries, 2);
    assert_int_equal(sim.respawns, 1);
    assert_int_equal(ngc_sched_attempts(sim.s, 0), 1);
    assert_int_equal(ngc_sched_attempts(sim.s, 1), 1);
    assert_false(ngc_sched_failing(sim.s));
    /* The fresh worker 0 is idle: it takes one retried task, alone. */
    unsigned on0 = ngc_t_running_on(&sim, 0);
    assert_int_equal(on0, 1);
    for (unsigned i = 0; i < sim.nrun; i++)
        if (sim.run[i].worker == 0)
            assert_int_equal(sim.run[i].attempt, 2);
    ngc_t_finish(&sim);
    ngc_t_assert_done_once(&sim, NGC_SCHED_MAP, 6);
    ngc_t_assert_done_once(&sim, NGC_SCHED_SORT, 16);
    assert_int_equal(ngc_sched_retries(sim.s, NGC_SCHED_MAP), 2);
    assert_int_equal(ngc_sched_retries(sim.s, NGC_SCHED_SORT), 0);
    assert_int_equal(sim.stops, 1);
    ngc_sched_free(sim.s);
}

static void test_worker_dies_in_the_sort_phase(void **state)
{
    (void)state;
    ngc_t_sim_t sim;
    ngc_t_start(&sim, 2, 2, 3, 1);
    ngc_t_then(&sim, NGC_SCHED_SORT, 16);
    ngc_t_hello(&sim);
    ngc_t_complete(&sim, 0);
    assert_int_equal(ngc_sched_phase(sim.s), NGC_SCHED_SORT);
    unsigned retried;
    assert_int_equal(ngc_t_kill(&sim, 1, &retried), 2);
    assert_int_equal(retried, 2);
    ngc_t_finish(&sim);
    ngc_t_assert_done_once(&sim, NGC_SCHED_SORT, 16);
    assert_int_equal(ngc_sched_retries(sim.s, NGC_SCHED_SORT), 2);
    ngc_sched_free(sim.s);
}

static void test_idle_worker_dies(void **state)
{
    (void)state;
    ngc_t_sim_t sim;
    ngc_t_start(&sim, 3, 1, 3, 1);
    ngc_t_hello(&sim);
    unsigned retried;
    assert_int_equal(ngc_t_kill(&sim, 2, &retried), 0);
    assert_int_equal(retried, 0);
    assert_int_equal(sim.respawns, 1);
    ngc_t_finish(&sim);
    ngc_t_assert_done_once(&sim, NGC_SCHED_MAP, 1);
    ngc_sched_free(sim.s);
}

/* A task that kills every worker it runs on: max_retries + 1 attempts,
 * then the job fails naming it, once the other tasks in flight are done. */
static void test_retry_limit_fails_the_job(void **state)
{
    (void)state;
    ngc_t_sim_t sim;
    ngc_t_start(&sim, 2, 2, 2, 8);
    ngc_t_then(&sim, NGC_SCHED_SORT, 16);
    ngc_t_hello(&sim);
    const uint32_t guilty = 1;
    unsigned kills = 0;
    while (sim.give_ups == 0) {
        unsigned w = sim.nworkers;
        for (unsigned i = 0; i < sim.nrun; i++)
            if (sim.run[i].task == guilty)
                w = sim.run[i].worker;
        if (w == sim.nworkers) {
            ngc_t_complete(&sim, 0); /* not sent yet: let the others run */
            continue;
        }
        unsigned retried;
        ngc_t_kill(&sim, w, &retried);
        kills++;
    }
    assert_int_equal(kills, 3);
    assert_int_equal(sim.give_up.type, NGC_SCHED_GIVE_UP);
    assert_int_equal(sim.give_up.phase, NGC_SCHED_MAP);
    assert_int_equal(sim.give_up.task, guilty);
    assert_int_equal(sim.give_up.attempt, 3);
    assert_false(sim.give_up.once);
    assert_true(ngc_sched_failing(sim.s));
    /* No replacement for the last worker, nothing more sent, and the stop
     * waits for the tasks still in flight. */
    unsigned sends = sim.sends;
    assert_int_equal(sim.respawns, 2);
    if (sim.nrun > 0) {
        assert_int_equal(sim.stops, 0);
        while (sim.nrun > 1) {
            ngc_t_complete(&sim, 0);
            assert_int_equal(sim.stops, 0);
        }
        ngc_t_complete(&sim, 0);
    }
    assert_int_equal(sim.stops, 1);
    assert_int_equal(sim.sends, sends);
    assert_int_equal(sim.nphases_done, 0);
    /* The survivor exited on STOP; the loop ends. */
    assert_true(sim.finished);
    ngc_sched_free(sim.s);
}

static void test_consumed_input_is_not_retried(void **state)
{
    (void)state;
    ngc_t_sim_t sim;
    ngc_t_start(&sim, 1, 1, 3, 2);
    ngc_sched_set_once(sim.s, 0);
    ngc_t_hello(&sim);
    unsigned retried;
    assert_int_equal(ngc_t_kill(&sim, 0, &retried), 1);
    assert_int_equal(retried, 0);
    assert_int_equal(sim.give_ups, 1);
    assert_true(sim.give_up.once);
    assert_int_equal(sim.give_up.task, 0);
    assert_int_equal(sim.give_up.attempt, 1);
    assert_int_equal(sim.respawns, 0);
    assert_int_equal(sim.stops, 1);
    assert_true(sim.finished);
    ngc_sched_free(sim.s);
}

/* A task a worker reports failed is not retried: the job fails after the
 * tasks in flight. */
static void test_failed_task_drains_then_stops(void **state)
{
    (void)state;
    ngc_t_sim_t sim;
    ngc_t_start(&sim, 2, 2, 3, 10);
    ngc_t_hello(&sim);
    ngc_t_run_t r = sim.run[1];
    sim.run[1] = sim.run[--sim.nrun];
    ngc_sched_task_failed(sim.s, r.worker, r.task);
    ngc_t_pump(&sim);
    assert_true(ngc_sched_failing(sim.s));
    assert_int_equal(sim.sends, 4);
    assert_int_equal(sim.stops, 0);
    assert_false(ngc_sched_runs(sim.s, r.worker, r.task));
    ngc_t_finish(&sim);
    assert_int_equal(sim.sends, 4);
    assert_int_equal(sim.stops, 1);
    assert_int_equal(sim.nphases_done, 0);
    ngc_sched_free(sim.s);
}

static void test_failure_while_idle_stops_at_once(void **state)
{
    (void)state;
    ngc_t_sim_t sim;
    ngc_t_start(&sim, 2, 2, 3, 3);
    ngc_t_pump(&sim); /* no HELLO yet */
    ngc_sched_fail(sim.s);
    ngc_t_pump(&sim);
    assert_int_equal(sim.stops, 1);
    assert_true(sim.finished);
    assert_int_equal(sim.sends, 0);
    ngc_sched_free(sim.s);
}

static void test_interrupt_stops_without_draining(void **state)
{
    (void)state;
    ngc_t_sim_t sim;
    ngc_t_start(&sim, 2, 2, 3, 10);
    ngc_t_hello(&sim);
    assert_int_equal(sim.nrun, 4);
    ngc_sched_interrupt(sim.s);
    assert_true(ngc_sched_stopping(sim.s));
    /* A worker lost now is not replaced, its tasks not retried. */
    unsigned lost, retried;
    ngc_sched_worker_lost(sim.s, 0, &lost, &retried);
    assert_int_equal(lost + retried, 0);
    ngc_t_pump(&sim);
    assert_int_equal(sim.stops, 1);
    assert_int_equal(sim.respawns + sim.retries, 0);
    assert_true(sim.finished);
    ngc_sched_free(sim.s);
}

/* A send the coordinator could not carry out fails the job. */
static void test_send_failure_fails_the_job(void **state)
{
    (void)state;
    ngc_t_sim_t sim;
    ngc_t_start(&sim, 1, 2, 3, 4);
    ngc_sched_worker_ready(sim.s, 0);
    ngc_sched_action_t a;
    assert_true(ngc_sched_next(sim.s, &a));
    assert_int_equal(a.type, NGC_SCHED_SEND);
    ngc_sched_send_failed(sim.s, a.worker, a.task);
    assert_int_equal(ngc_sched_inflight(sim.s, 0), 0);
    assert_true(ngc_sched_failing(sim.s));
    ngc_t_pump(&sim);
    assert_int_equal(sim.sends, 0);
    assert_int_equal(sim.stops, 1);
    ngc_sched_free(sim.s);
}

/* The workers' exit, not the STOP, ends the loop. */
static void test_finish_waits_for_every_exit(void **state)
{
    (void)state;
    ngc_sched_t *s = ngc_sched_new(2, 1, 3);
    assert_non_null(s);
    assert_int_equal(ngc_sched_begin(s, NGC_SCHED_MAP, 0), NGC_OK);
    ngc_sched_worker_started(s, 0);
    ngc_sched_worker_started(s, 1);
    ngc_sched_action_t a;
    assert_true(ngc_sched_next(s, &a));
    assert_int_equal(a.type, NGC_SCHED_PHASE_DONE);
    assert_false(ngc_sched_next(s, &a));
    assert_int_equal(ngc_sched_begin(s, NGC_SCHED_STOP, 0), NGC_OK);
    assert_true(ngc_sched_next(s, &a));
    assert_int_equal(a.type, NGC_SCHED_STOP_WORKERS);
    assert_false(ngc_sched_next(s, &a));
    ngc_sched_worker_closed(s, 0);
    ngc_sched_worker_exited(s, 0);
    assert_false(ngc_sched_next(s, &a));
    ngc_sched_worker_exited(s, 1);
    assert_true(ngc_sched_next(s, &a));
    assert_int_equal(a.type, NGC_SCHED_FINISH);
    assert_false(ngc_sched_next(s, &a));
    ngc_sched_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_phase_runs_in_order),
        cmocka_unit_test(test_no_sort_task_before_the_map_phase_ends),
        cmocka_unit_test(test_no_map_task_is_an_empty_phase),
        cmocka_unit_test(test_more_workers_than_tasks),
        cmocka_unit_test(test_worker_dies_mid_task),
        cmocka_unit_test(test_worker_dies_in_the_sort_phase),
        cmocka_unit_test(test_idle_worker_dies),
        cmocka_unit_test(test_retry_limit_fails_the_job),
        cmocka_unit_test(test_consumed_input_is_not_retried),
        cmocka_unit_test(test_failed_task_drains_then_stops),
        cmocka_unit_test(test_failure_while_idle_stops_at_once),
        cmocka_unit_test(test_interrupt_stops_without_draining),
        cmocka_unit_test(test_send_failure_fails_the_job),
        cmocka_unit_test(test_finish_waits_for_every_exit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
