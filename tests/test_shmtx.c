/*
 * test_shmtx.c: the robust process-shared mutex (engine/ipc/shmtx.h) in a
 * MAP_SHARED|MAP_ANONYMOUS mapping: an owner that dies holding it is
 * reported to the next locker, who repairs and goes on; a death left
 * unrepaired makes the lock unusable; and it excludes other processes.
 */
#include "engine/base/ngc.h"
#include "engine/ipc/shmtx.h"

#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

typedef struct {
    ngc_shmtx_t mtx;
    volatile uint64_t counter; /* guarded by mtx */
    volatile uint32_t inside;  /* processes inside the critical section */
    volatile uint32_t overlap; /* times two were inside at once */
} ngc_t_shared_t;

static ngc_t_shared_t *ngc_t_map(void)
{
    void *p = mmap(NULL, sizeof(ngc_t_shared_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    assert_true(p != MAP_FAILED);
    ngc_t_shared_t *s = p;
    memset(s, 0, sizeof(*s));
    assert_int_equal(ngc_shmtx_init(&s->mtx), NGC_OK);
    return s;
}

static void ngc_t_unmap(ngc_t_shared_t *s)
{
    ngc_shmtx_fini(&s->mtx);
    munmap(s, sizeof(*s));
}

static void ngc_t_wait_ok(pid_t pid, int want_status)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), want_status);
}

/* A child that takes the lock, marks the state half-written, and dies. */
static pid_t ngc_t_die_holding(ngc_t_shared_t *s)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (ngc_shmtx_lock(&s->mtx) != NGC_OK)
            _exit(1);
        s->counter = 0xdead;
        _exit(7); /* never unlocks */
    }
    return pid;
}

static void test_lock_unlock(void **state)
{
    (void)state;
    ngc_t_shared_t *s = ngc_t_map();
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(ngc_shmtx_lock(&s->mtx), NGC_OK);
        s->counter++;
        ngc_shmtx_unlock(&s->mtx);
    }
    assert_int_equal(s->counter, 1000);
    ngc_t_unmap(s);
}

static void test_owner_dead(void **state)
{
    (void)state;
    ngc_t_shared_t *s = ngc_t_map();
    ngc_t_wait_ok(ngc_t_die_holding(s), 7);
    /* The parent gets the lock, with the news that its owner died. */
    assert_int_equal(ngc_shmtx_lock(&s->mtx), NGC_SHMTX_OWNERDEAD);
    assert_int_equal(s->counter, 0xdead); /* what the dead owner left */
    s->counter = 0;                       /* "repair" */
    ngc_shmtx_consistent(&s->mtx);
    ngc_shmtx_unlock(&s->mtx);
    /* From then on it is an ordinary lock again. */
    assert_int_equal(ngc_shmtx_lock(&s->mtx), NGC_OK);
    ngc_shmtx_unlock(&s->mtx);
    /* Also for another process. */
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int rc = ngc_shmtx_lock(&s->mtx);
        if (rc == NGC_OK)
            ngc_shmtx_unlock(&s->mtx);
        _exit(rc == NGC_OK ? 0 : 1);
    }
    ngc_t_wait_ok(pid, 0);
    ngc_t_unmap(s);
}

static void test_owner_dead_while_waiting(void **state)
{
    (void)state;
    /* The parent is already blocked in lock when the owner dies. */
    ngc_t_shared_t *s = ngc_t_map();
    int go[2];
    assert_int_equal(pipe(go), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(go[0]);
        if (ngc_shmtx_lock(&s->mtx) != NGC_OK)
            _exit(1);
        s->counter = 0xdead;
        if (write(go[1], "x", 1) != 1)
            _exit(2);
        usleep(200 * 1000); /* let the parent block on the lock */
        _exit(7);
    }
    close(go[1]);
    char b;
    assert_int_equal(read(go[0], &b, 1), 1);
    close(go[0]);
    assert_int_equal(ngc_shmtx_lock(&s->mtx), NGC_SHMTX_OWNERDEAD);
    assert_int_equal(s->counter, 0xdead);
    ngc_shmtx_consistent(&s->mtx);
    ngc_shmtx_unlock(&s->mtx);
    ngc_t_wait_ok(pid, 7);
    assert_int_equal(ngc_shmtx_lock(&s->mtx), NGC_OK);
    ngc_shmtx_unlock(&s->mtx);
    ngc_t_unmap(s);
}

static void test_owner_dead_unrepaired(void **state)
{
    (void)state;
    /* Unlocking without ngc_shmtx_consistent leaves the lock unusable. */
    ngc_t_shared_t *s = ngc_t_map();
    ngc_t_wait_ok(ngc_t_die_holding(s), 7);
    assert_int_equal(ngc_shmtx_lock(&s->mtx), NGC_SHMTX_OWNERDEAD);
    ngc_shmtx_unlock(&s->mtx);
    assert_int_equal(ngc_shmtx_lock(&s->mtx), NGC_ERROR);
    ngc_t_unmap(s);
}

static void test_owner_dead_twice(void **state)
{
    (void)state;
    /* Two owners die one after the other; each death is reported once. */
    ngc_t_shared_t *s = ngc_t_map();
    for (int i = 0; i < 2; i++) {
        ngc_t_wait_ok(ngc_t_die_holding(s), 7);
        assert_int_equal(ngc_shmtx_lock(&s->mtx), NGC_SHMTX_OWNERDEAD);
        ngc_shmtx_consistent(&s->mtx);
        ngc_shmtx_unlock(&s->mtx);
        assert_int_equal(ngc_shmtx_lock(&s->mtx), NGC_OK);
        ngc_shmtx_unlock(&s->mtx);
    }
    ngc_t_unmap(s);
}

/*
 * Four processes add to a shared counter with a read, a yield and a write
 * under the lock: any lapse in exclusion loses updates or is seen as an
 * overlap.
 */
enum { NGC_T_NPROC = 4, NGC_T_ITERS = 20000 };

static int ngc_t_contender(ngc_t_shared_t *s, int gate)
{
    char b;
    if (read(gate, &b, 1) != 0)
        return 2;
    for (int i = 0; i < NGC_T_ITERS; i++) {
        if (ngc_shmtx_lock(&s->mtx) != NGC_OK)
            return 1;
        if (s->inside++ != 0)
            s->overlap++;
        uint64_t v = s->counter;
        if (i % 64 == 0)
            sched_yield();
        s->counter = v + 1;
        s->inside--;
        ngc_shmtx_unlock(&s->mtx);
    }
    return 0;
}

static void test_contention(void **state)
{
    (void)state;
    ngc_t_shared_t *s = ngc_t_map();
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    pid_t pids[NGC_T_NPROC];
    for (int i = 0; i < NGC_T_NPROC; i++) {
        fflush(NULL);
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            close(gate[1]);
            _exit(ngc_t_contender(s, gate[0]));
        }
    }
    close(gate[0]);
    close(gate[1]);
    for (int i = 0; i < NGC_T_NPROC; i++)
        ngc_t_wait_ok(pids[i], 0);
    assert_int_equal(s->overlap, 0);
    assert_int_equal(s->inside, 0);
    assert_int_equal(s->counter, (uint64_t)NGC_T_NPROC * NGC_T_ITERS);
    ngc_t_unmap(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_unlock),
        cmocka_unit_test(test_owner_dead),
        cmocka_unit_test(test_owner_dead_while_waiting),
        cmocka_unit_test(test_owner_dead_unrepaired),
        cmocka_unit_test(test_owner_dead_twice),
        cmocka_unit_test(test_contention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
