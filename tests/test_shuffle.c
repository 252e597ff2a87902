/*
 * test_shuffle.c: a cluster job's partition files (engine/reduce/shuffle.c). The
 * partition of a key must never change (maps on different machines and
 * releases must agree); a reduce sums each key over every map's file,
 * exactly, drops totals under --min-count, writes them by key, and fails
 * on a total past 2^64-1 leaving nothing.
 */
#include "engine/base/ngc.h"
#include "engine/base/config.h"
#include "engine/reduce/runs.h"
#include "engine/reduce/shuffle.h"
#include "engine/reduce/spill.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

typedef struct {
    const char *key;
    uint64_t match, volume;
} ngc_t_kv_t;

static void ngc_t_partition_stable(void **state)
{
    (void)state;
    /* XXH3 of the key, modulo: fixed by the algorithm, not the machine. */
    assert_int_equal(ngc_shuffle_partition("the", 3, 1000), 813);
    assert_int_equal(ngc_shuffle_partition("of the", 6, 32), 3);
    assert_int_equal(ngc_shuffle_partition("", 0, 7), 4);
    for (unsigned i = 0; i < 1000; i++) {
        char k[16];
        int n = snprintf(k, sizeof(k), "k%u", i);
        assert_true(ngc_shuffle_partition(k, (size_t)n, 5) < 5);
    }
}

/* Writes run `name` of directory `sub` in `dir`. */
static void ngc_t_write(const char *dir, const char *sub, const char *name, const ngc_t_kv_t *kv,
                        size_t n)
{
    char err[512];
    uint64_t bytes;
    ngc_spill_t *sp = ngc_spill_at(dir, sub);
    assert_non_null(sp);
    ngc_run_writer_t *w = ngc_run_writer_open(sp, name, err, sizeof(err));
    assert_non_null(w);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ngc_run_writer_add(w, kv[i].key, (uint32_t)strlen(kv[i].key), kv[i].match,
                                            kv[i].volume),
                         NGC_OK);
    assert_int_equal(ngc_run_writer_close(w, &bytes), NGC_OK);
    ngc_run_writer_free(w);
    ngc_spill_free(sp);
}

/* Reads run `name` in `dir` and checks it is exactly kv[0..n). */
static void ngc_t_expect(const char *dir, const char *name, const ngc_t_kv_t *kv, size_t n)
{
    char err[512];
    ngc_spill_t *sp = ngc_spill_at(dir, ".");
    ngc_run_reader_t *r = ngc_run_reader_open(sp, name, err, sizeof(err));
    assert_non_null(r);
    ngc_entry_t e;
    size_t i = 0;
    while (ngc_run_reader_next(r, &e) == NGC_OK) {
        assert_true(i < n);
        assert_int_equal(e.len, strlen(kv[i].key));
        assert_memory_equal(e.key, kv[i].key, e.len);
        assert_int_equal(e.match, kv[i].match);
        assert_int_equal(e.volume, kv[i].volume);
        i++;
    }
    assert_int_equal(i, n);
    ngc_run_reader_free(r);
    ngc_spill_free(sp);
}

static void ngc_t_run(const char *cmd)
{
    assert_int_equal(system(cmd), 0);
}

static void ngc_t_reduce(void **state)
{
    (void)state;
    char dir[] = "/tmp/ngc-shuffle.XXXXXX", maps[64], out[64], cmd[128];
    assert_non_null(mkdtemp(dir));
    snprintf(maps, sizeof(maps), "%s/maps", dir);
    ngc_t_kv_t a[] = {{"a", 1, 1}, {"ab", 7, 2}, {"x", 1, 1}, {"y", 2, 2}};
    ngc_t_kv_t b[] = {{"ab", 3, 1}, {"b", 1, 1}, {"x", 3, 3}, {"z", 5, 4}};
    ngc_t_write(dir, "maps", ".keep", NULL, 0);
    ngc_t_write(maps, "m0", "part-00001", a, 4);
    ngc_t_write(maps, "m1", "part-00001", b, 4);
    ngc_t_write(maps, "m2", "part-00001", NULL, 0);       /* a map with no key there */
    ngc_t_write(maps, ".m3.partial", "part-00001", a, 4); /* a killed map's: not read */
    ngc_config_t cfg = {.count = NGC_COUNT_BOTH,
                        .min_count = 2,
                        .partition = 1,
                        .merge_partitions = maps,
                        .output = out};
    volatile sig_atomic_t stop = 0;
    snprintf(out, sizeof(out), "%s/r1", dir);
    assert_int_equal(ngc_shuffle_reduce(&cfg, &stop), NGC_EXIT_OK);
    ngc_t_kv_t want[] = {{"ab", 10, 3}, {"x", 4, 4}, {"y", 2, 2}, {"z", 5, 4}};
    ngc_t_expect(dir, "r1", want, 4);
    /* Complete output: a rerun leaves it alone. */
    cfg.min_count = 0;
    assert_int_equal(ngc_shuffle_reduce(&cfg, &stop), NGC_EXIT_OK);
    ngc_t_expect(dir, "r1", want, 4);
    /* --count volume sums and filters by volume. */
    cfg.count = NGC_COUNT_VOLUME;
    cfg.min_count = 3;
    snprintf(out, sizeof(out), "%s/r1v", dir);
    assert_int_equal(ngc_shuffle_reduce(&cfg, &stop), NGC_EXIT_OK);
    ngc_t_kv_t wantv[] = {{"ab", 10, 3}, {"x", 4, 4}, {"z", 5, 4}};
    ngc_t_expect(dir, "r1v", wantv, 3);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ngc_t_run(cmd);
}

static void ngc_t_overflow(void **state)
{
    (void)state;
    char dir[] = "/tmp/ngc-shuffle.XXXXXX", maps[64], out[64], cmd[160];
    assert_non_null(mkdtemp(dir));
    snprintf(maps, sizeof(maps), "%s/maps", dir);
    ngc_t_kv_t a[] = {{"w", UINT64_MAX, 1}};
    ngc_t_kv_t b[] = {{"w", 1, 1}};
    ngc_t_write(dir, "maps", ".keep", NULL, 0);
    ngc_t_write(maps, "m0", "part-00000", a, 1);
    ngc_t_write(maps, "m1", "part-00000", b, 1);
    snprintf(out, sizeof(out), "%s/r0", dir);
    ngc_config_t cfg = {.count = NGC_COUNT_MATCH,
                        .partition = 0,
                        .merge_partitions = maps,
                        .output = out};
    volatile sig_atomic_t stop = 0;
    assert_int_equal(ngc_shuffle_reduce(&cfg, &stop), NGC_EXIT_FAILURE);
    /* Nothing published, nothing half-written left. */
    snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s' | grep -v maps)\"", dir);
    ngc_t_run(cmd);
    /* A volume past 2^64-1 that --count match does not count stays at the top. */
    ngc_t_kv_t c[] = {{"w", 1, UINT64_MAX}};
    ngc_t_kv_t d[] = {{"w", 1, 1}};
    ngc_t_write(maps, "m0", "part-00001", c, 1);
    ngc_t_write(maps, "m1", "part-00001", d, 1);
    cfg.partition = 1;
    assert_int_equal(ngc_shuffle_reduce(&cfg, &stop), NGC_EXIT_OK);
    ngc_t_kv_t want[] = {{"w", 2, UINT64_MAX}};
    ngc_t_expect(dir, "r0", want, 1);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ngc_t_run(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ngc_t_partition_stable),
        cmocka_unit_test(ngc_t_reduce),
        cmocka_unit_test(ngc_t_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
