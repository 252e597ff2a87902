/*
 * test_runfile.c: spilled run files (engine/reduce/runfile.c). Entries written are
 * read back byte for byte (keys of every length up to past the reader's
 * buffer, any bytes, counts up to 2^64-1, the prefix set); a file cut short
 * or with its header damaged is an error naming the run, never an entry;
 * a writer freed before it closed leaves no file.
 */
#include "engine/base/ngc.h"
#include "engine/reduce/runfile.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#define NGC_T_ENTRIES 3000u
#define NGC_T_LONG (300u << 10) /* past the reader's 64 KiB buffer */

typedef struct {
    char dir[64];
    ngc_spill_t *sp;
    char *keys; /* the i-th key at keys + off[i] */
    size_t *off;
    uint32_t *len;
} ngc_t_fixture_t;

static uint64_t ngc_t_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int ngc_t_setup(void **state)
{
    ngc_t_fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/ngc-test-runfile.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->sp = ngc_spill_new(f->dir);
    assert_non_null(f->sp);
    f->off = calloc(NGC_T_ENTRIES, sizeof(*f->off));
    f->len = calloc(NGC_T_ENTRIES, sizeof(*f->len));
    f->keys = malloc((size_t)NGC_T_ENTRIES * 300 + NGC_T_LONG);
    assert_true(f->off && f->len && f->keys);
    uint64_t s = 0x9e3779b97f4a7c15ull;
    size_t at = 0;
    for (uint32_t i = 0; i < NGC_T_ENTRIES; i++) {
        /* Lengths 0..299, and one key longer than the reader's buffer. */
        f->len[i] = i == NGC_T_ENTRIES / 2 ? NGC_T_LONG : (uint32_t)(ngc_t_rand(&s) % 300);
        f->off[i] = at;
        for (uint32_t k = 0; k < f->len[i]; k++)
            f->keys[at + k] = (char)(ngc_t_rand(&s) & 0xff); /* NUL, TAB, '\n' too */
        at += f->len[i];
    }
    *state = f;
    return 0;
}

static int ngc_t_teardown(void **state)
{
    ngc_t_fixture_t *f = *state;
    ngc_spill_remove(f->sp);
    ngc_spill_free(f->sp);
    rmdir(f->dir);
    free(f->keys);
    free(f->off);
    free(f->len);
    free(f);
    return 0;
}

static uint64_t ngc_t_match(uint32_t i)
{
    return i == 7 ? UINT64_MAX : (uint64_t)i * 1000003u;
}

static uint64_t ngc_t_volume(uint32_t i)
{
    return i == 8 ? UINT64_MAX : (uint64_t)i;
}

/* Writes the fixture's entries as run `name`; its size in bytes. */
static uint64_t ngc_t_write(ngc_t_fixture_t *f, const char *name)
{
    char err[512];
    ngc_run_writer_t *w = ngc_run_writer_open(f->sp, name, err, sizeof(err));
    assert_non_null(w);
    for (uint32_t i = 0; i < NGC_T_ENTRIES; i++)
        assert_int_equal(
            ngc_run_writer_add(w, f->keys + f->off[i], f->len[i], ngc_t_match(i), ngc_t_volume(i)),
            NGC_OK);
    uint64_t bytes = 0;
    assert_int_equal(ngc_run_writer_close(w, &bytes), NGC_OK);
    ngc_run_writer_free(w);
    return bytes;
}

/* The size of run `name` on disk, or -1 when it is not there. */
static off_t ngc_t_size(ngc_t_fixture_t *f, const char *name)
{
    char err[512];
    int dir = ngc_spill_fd(f->sp, err, sizeof(err));
    assert_true(dir >= 0);
    struct stat st;
    return fstatat(dir, name, &st, 0) == 0 ? st.st_size : -1;
}

static void test_round_trip(void **state)
{
    ngc_t_fixture_t *f = *state;
    char name[NGC_RUN_NAME_MAX], err[512];
    ngc_run_name(name, 3, NGC_RUN_SPILL, 12);
    assert_string_equal(name, "p03-s-12");
    uint64_t bytes = ngc_t_write(f, name);
    assert_int_equal(ngc_t_size(f, name), (off_t)bytes);
    ngc_run_reader_t *r = ngc_run_reader_open(f->sp, name, err, sizeof(err));
    assert_non_null(r);
    ngc_entry_t e;
    for (uint32_t i = 0; i < NGC_T_ENTRIES; i++) {
        assert_int_equal(ngc_run_reader_next(r, &e), NGC_OK);
        assert_int_equal(e.len, f->len[i]);
        assert_memory_equal(e.key, f->keys + f->off[i], f->len[i]);
        assert_true(e.match == ngc_t_match(i) && e.volume == ngc_t_volume(i));
        assert_true(e.prefix == ngc_entry_prefix(e.key, e.len));
    }
    assert_int_equal(ngc_run_reader_next(r, &e), NGC_EOF);
    assert_int_equal(ngc_run_reader_next(r, &e), NGC_EOF);
    ngc_run_reader_free(r);
    ngc_run_remove(f->sp, name);
    assert_int_equal(ngc_t_size(f, name), -1);
    ngc_run_remove(f->sp, name); /* not there: nothing happens */
}

/* Reads run `name` to its end: NGC_ERROR (with the run's name in the
 * message) after at most NGC_T_ENTRIES good entries, each one exact. */
static void ngc_t_expect_damaged(ngc_t_fixture_t *f, const char *name)
{
    char err[512];
    ngc_run_reader_t *r = ngc_run_reader_open(f->sp, name, err, sizeof(err));
    int rc = NGC_ERROR;
    if (r != NULL) {
        ngc_entry_t e;
        uint32_t i = 0;
        while ((rc = ngc_run_reader_next(r, &e)) == NGC_OK) {
            assert_true(i < NGC_T_ENTRIES);
            assert_int_equal(e.len, f->len[i]);
            assert_memory_equal(e.key, f->keys + f->off[i], f->len[i]);
            i++;
        }
        snprintf(err, sizeof(err), "%s", ngc_run_reader_error(r));
        ngc_run_reader_free(r);
    }
    assert_int_equal(rc, NGC_ERROR);
    assert_non_null(strstr(err, name));
}

static void test_cut_short(void **state)
{
    ngc_t_fixture_t *f = *state;
    char err[512];
    int dir = ngc_spill_fd(f->sp, err, sizeof(err));
    const char *name = "p00-f-0";
    /* Cut inside the last key, inside a record's header, inside the long
     * key, and inside the file's magic: each an error, never a short entry. */
    uint64_t whole = ngc_t_write(f, name);
    const off_t cuts[] = {(off_t)whole - 1, (off_t)whole - f->len[NGC_T_ENTRIES - 1] - 5,
                          (off_t)whole / 2, 3};
    for (size_t k = 0; k < NGC_NELEMS(cuts); k++) {
        ngc_t_write(f, name);
        int fd = openat(dir, name, O_WRONLY);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, cuts[k]), 0);
        close(fd);
        ngc_t_expect_damaged(f, name);
    }
    /* A header claiming a key past any ngram's length. */
    ngc_t_write(f, name);
    int fd = openat(dir, name, O_WRONLY);
    assert_true(fd >= 0);
    uint64_t huge = UINT64_MAX;
    assert_int_equal(pwrite(fd, &huge, sizeof(huge), 8), (ssize_t)sizeof(huge));
    close(fd);
    ngc_t_expect_damaged(f, name);
    ngc_run_remove(f->sp, name);
}

static void test_unclosed_writer_leaves_nothing(void **state)
{
    ngc_t_fixture_t *f = *state;
    char err[512];
    const char *name = "p01-s-0";
    ngc_run_writer_t *w = ngc_run_writer_open(f->sp, name, err, sizeof(err));
    assert_non_null(w);
    for (uint32_t i = 0; i < 100; i++)
        assert_int_equal(ngc_run_writer_add(w, f->keys + f->off[i], f->len[i], 1, 1), NGC_OK);
    assert_true(ngc_t_size(f, name) >= 0);
    ngc_run_writer_free(w);
    assert_int_equal(ngc_t_size(f, name), -1);
    ngc_run_writer_free(NULL);
    ngc_run_reader_free(NULL);
    /* A run that is not there cannot be opened, and says which. */
    assert_null(ngc_run_reader_open(f->sp, name, err, sizeof(err)));
    assert_non_null(strstr(err, name));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_cut_short, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_unclosed_writer_leaves_nothing, ngc_t_setup,
                                        ngc_t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
