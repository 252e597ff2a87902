/*
 * test_plan.c: the job plan (engine/coordinator/plan.c). A plain file is cut into byte
 * ranges of --chunk-size that cover it exactly; gzip, empty files, standard
 * input and pipes are one streamed task each, and a pipe's descriptor goes
 * to its task once; a missing file or a directory fails the plan; a task's
 * line number becomes the file's, from the earlier tasks' counts or by
 * counting newlines.
 */
#include "engine/base/ngc.h"
#include "engine/base/config.h"
#include "engine/coordinator/plan.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

typedef struct {
    char dir[64];
    char path[8][128];
} ngc_t_dir_t;

static int ngc_t_setup(void **state)
{
    ngc_t_dir_t *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    snprintf(d->dir, sizeof(d->dir), "/tmp/ngc-test-plan.XXXXXX");
    assert_non_null(mkdtemp(d->dir));
    *state = d;
    return 0;
}

static int ngc_t_teardown(void **state)
{
    ngc_t_dir_t *d = *state;
    for (size_t i = 0; i < NGC_NELEMS(d->path); i++)
        if (d->path[i][0])
            unlink(d->path[i]);
    rmdir(d->dir);
    free(d);
    return 0;
}

/* Writes n bytes (a line of 10 every 10 bytes, or `bytes` when given) to
 * file i of the directory; its path. */
static char *ngc_t_file(ngc_t_dir_t *d, unsigned i, const char *name, size_t n,
                        const unsigned char *bytes)
{
    char path[sizeof(d->path[i])];
    snprintf(path, sizeof(path), "%s/%s", d->dir, name);
    memcpy(d->path[i], path, sizeof(path));
    FILE *f = fopen(d->path[i], "wb");
    assert_non_null(f);
    for (size_t k = 0; k < n; k++)
        fputc(bytes ? bytes[k] : k % 10 == 9 ? '\n' : 'a', f);
    assert_int_equal(fclose(f), 0);
    return d->path[i];
}

static ngc_plan_t *ngc_t_plan(ngc_config_t *cfg, char **inputs, unsigned n, uint64_t chunk)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->inputs = inputs;
    cfg->ninputs = n;
    cfg->chunk_size = chunk;
    return ngc_plan_new(cfg);
}

static void test_ranges_cover_the_file(void **state)
{
    ngc_t_dir_t *d = *state;
    char *in[] = {ngc_t_file(d, 0, "plain.tsv", 10000, NULL),
                  ngc_t_file(d, 1, "exact.tsv", 8192, NULL)};
    ngc_config_t cfg;
    ngc_plan_t *p = ngc_t_plan(&cfg, in, 2, 4096);
    assert_non_null(p);
    assert_int_equal(p->ntasks, 3 + 2);
    assert_int_equal(p->total_bytes, 10000 + 8192);
    const uint64_t want_off[] = {0, 4096, 8192, 0, 4096};
    const uint64_t want_len[] = {4096, 4096, 1808, 4096, 4096};
    for (uint32_t i = 0; i < p->ntasks; i++) {
        assert_int_equal(p->tasks[i].kind, NGC_TASK_MAP_PLAIN);
        assert_int_equal(p->tasks[i].file_id, i < 3 ? 0 : 1);
        assert_int_equal(p->tasks[i].offset, want_off[i]);
        assert_int_equal(p->tasks[i].length, want_len[i]);
        assert_true(ngc_plan_retriable(p, i));
    }
    assert_int_equal(p->files[1].first_task, 3);
    char buf[256];
    ngc_plan_describe(p, 2, buf, sizeof(buf));
    char want[256];
    snprintf(want, sizeof(want), "'%s' bytes 8192-9999", in[0]);
    assert_string_equal(buf, want);
    ngc_msg_task_t msg;
    ngc_plan_task_msg(p, 1, 1, &msg);
    assert_true(msg.task_id == 1 && msg.attempt == 1 && msg.offset == 4096 && msg.length == 4096 &&
                msg.flags == 0);
    assert_string_equal(msg.path, in[0]);
    ngc_plan_free(p);
}

static void test_streamed_inputs(void **state)
{
    ngc_t_dir_t *d = *state;
    const unsigned char gz[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    char dash[] = "-";
    char *in[] = {ngc_t_file(d, 0, "a.gz", sizeof(gz), gz), ngc_t_file(d, 1, "empty.tsv", 0, NULL),
                  dash};
    ngc_config_t cfg;
    ngc_plan_t *p = ngc_t_plan(&cfg, in, 3, 1);
    assert_non_null(p);
    /* A chunk of one byte cuts neither gzip nor an empty file. */
    assert_int_equal(p->ntasks, 3);
    assert_int_equal(p->tasks[0].kind, NGC_TASK_MAP_STREAM);
    assert_int_equal(p->tasks[1].kind, NGC_TASK_MAP_STREAM);
    assert_int_equal(p->tasks[2].kind, NGC_TASK_MAP_STDIN);
    assert_false(ngc_plan_retriable(p, 2));
    char buf[256];
    ngc_plan_describe(p, 2, buf, sizeof(buf));
    assert_string_equal(buf, "standard input");
    ngc_plan_free(p);
}

static void test_pipe_goes_to_its_task_once(void **state)
{
    ngc_t_dir_t *d = *state;
    char fifo[sizeof(d->path[0])];
    snprintf(fifo, sizeof(fifo), "%s/fifo", d->dir);
    memcpy(d->path[0], fifo, sizeof(fifo));
    assert_int_equal(mkfifo(d->path[0], 0600), 0);
    /* Held open for writing (O_RDWR: no wait), so the plan's open returns. */
    int hold = open(d->path[0], O_RDWR | O_CLOEXEC);
    assert_true(hold >= 0);
    char *in[] = {d->path[0]};
    ngc_config_t cfg;
    ngc_plan_t *p = ngc_t_plan(&cfg, in, 1, 4096);
    assert_non_null(p);
    assert_int_equal(p->ntasks, 1);
    assert_int_equal(p->tasks[0].kind, NGC_TASK_MAP_STREAM);
    assert_true(p->files[0].passed);
    assert_false(ngc_plan_retriable(p, 0));
    ngc_msg_task_t msg;
    ngc_plan_task_msg(p, 0, 1, &msg);
    assert_int_equal(msg.flags, NGC_TASK_FD);
    int fd = ngc_plan_task_fd(p, 0);
    assert_true(fd >= 0);
    /* The same pipe: what is written to it reads from the task's descriptor. */
    assert_int_equal(write(hold, "x\n", 2), 2);
    char got[2];
    assert_int_equal(read(fd, got, 2), 2);
    assert_memory_equal(got, "x\n", 2);
    close(fd);
    errno = 0;
    assert_int_equal(ngc_plan_task_fd(p, 0), -1);
    assert_int_equal(errno, EBADF);
    ngc_plan_free(p);
    close(hold);
}

static void test_bad_inputs_fail(void **state)
{
    ngc_t_dir_t *d = *state;
    char missing[160];
    snprintf(missing, sizeof(missing), "%s/no-such-file", d->dir);
    char *in[] = {ngc_t_file(d, 0, "ok.tsv", 100, NULL), missing};
    ngc_config_t cfg;
    assert_null(ngc_t_plan(&cfg, in, 2, 4096));
    char *dir[] = {d->dir};
    assert_null(ngc_t_plan(&cfg, dir, 1, 4096));
}

static void test_file_line(void **state)
{
    ngc_t_dir_t *d = *state;
    /* 10000 bytes, a newline every 10: task 1 starts at byte 4096, in line
     * 410 (409 newlines before it, the last at byte 4089). */
    char *in[] = {ngc_t_file(d, 0, "lines.tsv", 10000, NULL)};
    ngc_config_t cfg;
    ngc_plan_t *p = ngc_t_plan(&cfg, in, 1, 4096);
    assert_non_null(p);
    uint64_t line;
    assert_int_equal(ngc_plan_file_line(p, 0, 5, &line), NGC_OK);
    assert_int_equal(line, 5);
    /* Task 0 not done: counted from the bytes. */
    assert_int_equal(ngc_plan_file_line(p, 1, 1, &line), NGC_OK);
    assert_int_equal(line, 411);
    /* Task 0 done: from its line count, whatever the bytes say. */
    p->tasks[0].counted = true;
    p->tasks[0].lines = 1000;
    assert_int_equal(ngc_plan_file_line(p, 1, 1, &line), NGC_OK);
    assert_int_equal(line, 1001);
    ngc_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ranges_cover_the_file, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_streamed_inputs, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_pipe_goes_to_its_task_once, ngc_t_setup,
                                        ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_bad_inputs_fail, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_file_line, ngc_t_setup, ngc_t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
