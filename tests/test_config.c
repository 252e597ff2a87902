/*
 * test_config.c: option parsing (engine/base/config.h): sizes and numbers, the
 * defaults, every option, and every way to get a usage error. Bad options
 * print to stderr and --help/--version to stdout; that noise is expected.
 */
#include "engine/base/ngc.h"
#include "engine/base/config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

/*
 * getopt keeps pointers into the argv strings of the previous call, so the
 * strings and arrays handed to ngc_config_parse live in append-only static
 * storage for the whole run: never freed, never overwritten.
 */
static char ngc_t_chars[1 << 16];
static size_t ngc_t_nchars;
static char *ngc_t_ptrs[4096];
static size_t ngc_t_nptrs;

static char *ngc_t_str(const char *s)
{
    size_t n = strlen(s) + 1;
    assert_true(ngc_t_nchars + n <= sizeof(ngc_t_chars));
    char *p = ngc_t_chars + ngc_t_nchars;
    memcpy(p, s, n);
    ngc_t_nchars += n;
    return p;
}

static ngc_config_result_t ngc_t_parse(ngc_config_t *cfg, const char *const *args)
{
    size_t n = 0;
    while (args[n] != NULL)
        n++;
    assert_true(ngc_t_nptrs + n + 2 <= NGC_NELEMS(ngc_t_ptrs));
    char **argv = ngc_t_ptrs + ngc_t_nptrs;
    ngc_t_nptrs += n + 2;
    argv[0] = ngc_t_str("ngram-count");
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = ngc_t_str(args[i]);
    argv[n + 1] = NULL;
    memset(cfg, 0xa5, sizeof(*cfg)); /* no field may be left unset */
    /* --help and --version print to stdout: keep the test's report readable. */
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    assert_true(saved >= 0 && null >= 0);
    dup2(null, STDOUT_FILENO);
    close(null);
    ngc_config_result_t rc = ngc_config_parse(cfg, (int)n + 1, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    return rc;
}

#define NGC_T_PARSE(cfg, ...) ngc_t_parse(cfg, (const char *const[]){__VA_ARGS__, NULL})
#define NGC_T_USAGE(...)                                                   \
    do {                                                                   \
        ngc_config_t c_;                                                   \
        assert_int_equal(NGC_T_PARSE(&c_, __VA_ARGS__), NGC_CONFIG_USAGE); \
    } while (0)

/* --- sizes and numbers -------------------------------------------------- */

static void ngc_t_size_ok(const char *s, uint64_t want)
{
    uint64_t v = 12345;
    if (ngc_config_parse_size(s, &v) != NGC_OK)
        fail_msg("size \"%s\" rejected", s);
    if (v != want)
        fail_msg("size \"%s\" = %llu, expected %llu", s, (unsigned long long)v,
                 (unsigned long long)want);
}

static void ngc_t_size_bad(const char *s)
{
    uint64_t v = 12345;
    if (ngc_config_parse_size(s, &v) != NGC_ERROR)
        fail_msg("size \"%s\" accepted as %llu", s, (unsigned long long)v);
}

/* A well-formed size past 2^64-1: told apart from junk. */
static void ngc_t_size_huge(const char *s)
{
    uint64_t v = 12345;
    if (ngc_config_parse_size(s, &v) != NGC_CONFIG_RANGE)
        fail_msg("size \"%s\" not refused as too large (%llu)", s, (unsigned long long)v);
}

static void test_size_units(void **state)
{
    (void)state;
    ngc_t_size_ok("0", 0);
    ngc_t_size_ok("4096", 4096);
    ngc_t_size_ok("1K", 1024);
    ngc_t_size_ok("8k", 8 * 1024);
    ngc_t_size_ok("8M", 8ull * 1024 * 1024);
    ngc_t_size_ok("8m", 8ull * 1024 * 1024);
    ngc_t_size_ok("1G", 1024ull * 1024 * 1024);
    ngc_t_size_ok("3g", 3ull * 1024 * 1024 * 1024);
    ngc_t_size_ok("8MiB", 8ull * 1024 * 1024);
    ngc_t_size_ok("64KiB", 64ull * 1024);
    ngc_t_size_ok("2GiB", 2ull * 1024 * 1024 * 1024);
    ngc_t_size_ok("0M", 0);
    ngc_t_size_ok("007K", 7 * 1024);
    ngc_t_size_ok("1T", 1ull << 40);
    ngc_t_size_ok("2TiB", 2ull << 40);
    ngc_t_size_ok("1P", 1ull << 50);
    ngc_t_size_ok("3p", 3ull << 50);
    ngc_t_size_ok("1E", 1ull << 60);
    ngc_t_size_ok("15EiB", 15ull << 60);
    ngc_t_size_ok("8MB", 8ull << 20);
    ngc_t_size_ok("8mb", 8ull << 20);
    ngc_t_size_ok("100B", 100);
    ngc_t_size_ok("8iB", 8);
}

static void test_size_overflow(void **state)
{
    (void)state;
    ngc_t_size_ok("18446744073709551615", UINT64_MAX);
    ngc_t_size_huge("18446744073709551616");
    ngc_t_size_huge("99999999999999999999");
    /* 2^34 - 1 G fits; 2^34 G is 2^64. */
    ngc_t_size_ok("17179869183G", (17179869183ull) << 30);
    ngc_t_size_huge("17179869184G");
    ngc_t_size_ok("17592186044415M", (17592186044415ull) << 20);
    ngc_t_size_huge("17592186044416M");
    ngc_t_size_ok("18014398509481983K", (18014398509481983ull) << 10);
    ngc_t_size_huge("18014398509481984K");
    ngc_t_size_huge("18446744073709551615K");
    ngc_t_size_ok("16383P", 16383ull << 50);
    ngc_t_size_huge("16384P");
    ngc_t_size_ok("15E", 15ull << 60);
    ngc_t_size_huge("16E");
    ngc_t_size_huge("16EiB");
    /* Longer than any buffer, and still a number (leading zeros too). */
    ngc_t_size_huge("1000000000000000000000000000000000000000000000000000000000000000000000");
    ngc_t_size_ok("0000000000000000000000000000000000000000000000000000000000000000000001K", 1024);
    ngc_t_size_bad("100000000000000000000000000000000000000000000000000000000000000000000x");
}

static void test_size_junk(void **state)
{
    (void)state;
    const char *junk[] = {"",    "M",    "K",
                          "G",   "MiB",  "KiB",
                          "8X",  "8 M",  " 8M",
                          "8M ", "-1",   "-8M",
                          "+8",  "1.5G", "8MM",
                          "8GM", "0x10", "8Mi",
                          "M8",  "8,5M", "eight",
                          "B",   "iB",   "E",
                          "PB",  "1e3",  "8Z",
                          "8Y",  "\t8",  "8\n",
                          "8BB", "8iBB", "18446744073709551616x"};
    for (size_t i = 0; i < NGC_NELEMS(junk); i++)
        ngc_t_size_bad(junk[i]);
}

/*
 * ngc_config_parse_size("iB"): stripping the "iB" leaves an empty string,
 * and the suffix is then read from num[len - 1] with len == 0, one byte
 * before the buffer. The result must be NGC_ERROR, and an ASan build must
 * see no stack-buffer-underflow.
 */
static void test_regress_parse_size_bare_ib(void **state)
{
    (void)state;
    ngc_t_size_bad("iB");
    ngc_t_size_bad("ib");
    ngc_t_size_bad("IB");
}

static void test_parse_u64(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(ngc_config_parse_u64("0", &v), NGC_OK);
    assert_true(v == 0);
    assert_int_equal(ngc_config_parse_u64("42", &v), NGC_OK);
    assert_true(v == 42);
    assert_int_equal(ngc_config_parse_u64("18446744073709551615", &v), NGC_OK);
    assert_true(v == UINT64_MAX);
    const char *bad[] = {"",   "-1", "+1",  "1 ",   " 1",
                         "1K", "x",  "1e3", "0x10", "18446744073709551616x"};
    for (size_t i = 0; i < NGC_NELEMS(bad); i++)
        if (ngc_config_parse_u64(bad[i], &v) != NGC_ERROR)
            fail_msg("u64 \"%s\" accepted", bad[i]);
    const char *huge[] = {"18446744073709551616", "99999999999999999999",
                          "340282366920938463463374607431768211456"};
    for (size_t i = 0; i < NGC_NELEMS(huge); i++)
        if (ngc_config_parse_u64(huge[i], &v) != NGC_CONFIG_RANGE)
            fail_msg("u64 \"%s\" not refused as too large", huge[i]);
}

/* --- the memory default and cgroups (NGC_TEST_CGROUP_ROOT) -------------- */

static char ngc_t_cgroot[64];

static void ngc_t_file(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", ngc_t_cgroot, rel);
    /* mkdir -p of the directories on the way */
    for (char *p = path + strlen(ngc_t_cgroot) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A fake cgroup tree per case: self-cgroup stands for /proc/self/cgroup. */
static void ngc_t_cgroup_tree(void)
{
    snprintf(ngc_t_cgroot, sizeof(ngc_t_cgroot), "/tmp/ngc-test-cgroup.XXXXXX");
    assert_non_null(mkdtemp(ngc_t_cgroot));
    setenv("NGC_TEST_CGROUP_ROOT", ngc_t_cgroot, 1);
}

static void ngc_t_cgroup_done(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ngc_t_cgroot);
    assert_int_equal(system(cmd), 0);
    unsetenv("NGC_TEST_CGROUP_ROOT");
}

static uint64_t ngc_t_ram(void)
{
    return (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t ngc_t_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static void test_memory_cgroup(void **state)
{
    (void)state;
    ngc_config_t cfg;
    uint64_t ram = ngc_t_ram(), g = 1ull << 30;

    /* v2: the leaf says max, its parent 4G: the lower one on the way up. */
    ngc_t_cgroup_tree();
    ngc_t_file("self-cgroup", "0::/jobs/job1\n");
    ngc_t_file("jobs/job1/memory.max", "max\n");
    ngc_t_file("jobs/memory.max", "4294967296\n");
    ngc_t_file("memory.max", "max\n");
    assert_int_equal(NGC_T_PARSE(&cfg, "f"), NGC_CONFIG_RUN);
    assert_true(cfg.memory == ngc_t_min(ram, 4 * g) / 2);
    assert_int_equal(NGC_T_PARSE(&cfg, "--memory", "60%", "f"), NGC_CONFIG_RUN);
    uint64_t avail = ngc_t_min(ram, 4 * g);
    assert_true(cfg.memory == avail / 100 * 60 + avail % 100 * 60 / 100);
    assert_int_equal(NGC_T_PARSE(&cfg, "--memory", "100%", "f"), NGC_CONFIG_RUN);
    assert_true(cfg.memory == avail);
    ngc_t_cgroup_done();

    /* v1: memory.limit_in_bytes of the memory controller's group. */
    ngc_t_cgroup_tree();
    ngc_t_file("self-cgroup", "5:cpu:/other\n4:memory:/docker/abc\n0::/\n");
    ngc_t_file("memory/docker/abc/memory.limit_in_bytes", "2147483648\n");
    ngc_t_file("memory/memory.limit_in_bytes", "9223372036854771712\n");
    assert_int_equal(NGC_T_PARSE(&cfg, "f"), NGC_CONFIG_RUN);
    assert_true(cfg.memory == ngc_t_min(ram, 2 * g) / 2);
    ngc_t_cgroup_done();

    /* A namespaced group (its path not under the mount) is the mount's root;
     * the hybrid layout keeps v2 under unified/. */
    ngc_t_cgroup_tree();
    ngc_t_file("self-cgroup", "0::/not/here\n");
    ngc_t_file("unified/memory.max", "3221225472\n");
    assert_int_equal(NGC_T_PARSE(&cfg, "f"), NGC_CONFIG_RUN);
    assert_true(cfg.memory == ngc_t_min(ram, 3 * g) / 2);
    ngc_t_cgroup_done();

    /* No limit anywhere: half of RAM, at most 1T. */
    ngc_t_cgroup_tree();
    ngc_t_file("self-cgroup", "0::/\n");
    ngc_t_file("memory.max", "max\n");
    assert_int_equal(NGC_T_PARSE(&cfg, "f"), NGC_CONFIG_RUN);
    assert_true(cfg.memory == ngc_t_min(ram / 2, NGC_MEMORY_MAX));
    ngc_t_cgroup_done();

    /* A tiny group: the default is still the least table (and spills), a
     * percentage under it is a usage error. */
    ngc_t_cgroup_tree();
    ngc_t_file("self-cgroup", "0::/\n");
    ngc_t_file("memory.max", "20971520\n");
    assert_int_equal(NGC_T_PARSE(&cfg, "f"), NGC_CONFIG_RUN);
    assert_true(cfg.memory == NGC_MEMORY_MIN);
    NGC_T_USAGE("--memory", "50%", "f");
    assert_int_equal(NGC_T_PARSE(&cfg, "--memory", "100%", "f"), NGC_CONFIG_RUN);
    assert_true(cfg.memory == 20u << 20);
    ngc_t_cgroup_done();

    NGC_T_USAGE("--memory", "0%", "f");
    NGC_T_USAGE("--memory", "101%", "f");
    NGC_T_USAGE("--memory", "%", "f");
    NGC_T_USAGE("--memory", "1.5%", "f");
    NGC_T_USAGE("--memory", "-5%", "f");
    NGC_T_USAGE("--memory", "100000000%", "f");
}

/* --- ngc_config_parse ---------------------------------------------------- */

/* The default thread count shares the CPUs among the workers with a map
 * task; a count given on the command line stays. */
static void test_resolve_threads(void **state)
{
    (void)state;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = cpus < 1 ? 1 : (unsigned)cpus;
    char p_n[16], p_4n[16];
    snprintf(p_n, sizeof(p_n), "%u", n);
    snprintf(p_4n, sizeof(p_4n), "%u", 4 * n);
    ngc_config_t cfg;
    assert_int_equal(NGC_T_PARSE(&cfg, "-p", p_n, "in.txt"), NGC_CONFIG_RUN);
    ngc_config_resolve_workers(&cfg, 1000, UINT64_MAX);
    assert_int_equal(cfg.threads, 1);
    assert_int_equal(NGC_T_PARSE(&cfg, "-p", p_n, "in.txt"), NGC_CONFIG_RUN);
    ngc_config_resolve_workers(&cfg, 1, UINT64_MAX);
    assert_int_equal(cfg.threads, n < 4 ? n : 4);
    assert_int_equal(NGC_T_PARSE(&cfg, "-p", p_4n, "in.txt"), NGC_CONFIG_RUN);
    ngc_config_resolve_workers(&cfg, 1000, UINT64_MAX);
    assert_int_equal(cfg.threads, 1);
    assert_int_equal(NGC_T_PARSE(&cfg, "-p", "1", "in.txt"), NGC_CONFIG_RUN);
    ngc_config_resolve_workers(&cfg, 0, UINT64_MAX);
    assert_int_equal(cfg.threads, 1);
    assert_int_equal(NGC_T_PARSE(&cfg, "-p", "1", "-t", "3", "in.txt"), NGC_CONFIG_RUN);
    ngc_config_resolve_workers(&cfg, 1000, UINT64_MAX);
    assert_int_equal(cfg.threads, 3);
    assert_int_equal(cfg.processes, 1);
}

/* A small job gets one worker unless -p says otherwise; a large one, or one
 * whose size is not known, keeps the default. */
static void test_resolve_workers(void **state)
{
    (void)state;
    ngc_config_t cfg;
    assert_int_equal(NGC_T_PARSE(&cfg, "in.txt"), NGC_CONFIG_RUN);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned cpus = online < 1 ? 1 : (unsigned)online;
    ngc_config_resolve_workers(&cfg, 1, NGC_SMALL_JOB);
    assert_int_equal(cfg.processes, 1);
    /* A large job: a worker for each NGC_DEFAULT_THREADS CPUs, each of
     * them with that many threads (when there is a task for each). */
    assert_int_equal(NGC_T_PARSE(&cfg, "in.txt"), NGC_CONFIG_RUN);
    ngc_config_resolve_workers(&cfg, 1000, NGC_SMALL_JOB + 1);
    assert_int_equal(cfg.processes, (cpus + NGC_DEFAULT_THREADS - 1) / NGC_DEFAULT_THREADS);
    assert_int_equal(cfg.threads, cpus == 1 ? 1 : NGC_DEFAULT_THREADS);
    assert_int_equal(NGC_T_PARSE(&cfg, "in.txt"), NGC_CONFIG_RUN);
    ngc_config_resolve_workers(&cfg, 1, UINT64_MAX);
    assert_int_equal(cfg.processes, (cpus + NGC_DEFAULT_THREADS - 1) / NGC_DEFAULT_THREADS);
    /* -t alone: as many workers as it takes to give each CPU a thread. */
    assert_int_equal(NGC_T_PARSE(&cfg, "-t", "1", "in.txt"), NGC_CONFIG_RUN);
    ngc_config_resolve_workers(&cfg, 1000, UINT64_MAX);
    assert_int_equal(cfg.processes, cpus);
    assert_int_equal(cfg.threads, 1);
    assert_int_equal(NGC_T_PARSE(&cfg, "-p", "3", "in.txt"), NGC_CONFIG_RUN);
    ngc_config_resolve_workers(&cfg, 1, 1000);
    assert_int_equal(cfg.processes, 3);
}

static void test_defaults(void **state)
{
    (void)state;
    ngc_config_t cfg;
    assert_int_equal(NGC_T_PARSE(&cfg, "in.txt"), NGC_CONFIG_RUN);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned want_p = cpus < 1 ? 1 : cpus > NGC_MAX_WORKERS ? NGC_MAX_WORKERS : (unsigned)cpus;
    assert_int_equal(cfg.processes, want_p);
    assert_int_equal(cfg.threads, 0);
    assert_true(cfg.chunk_size == 8ull << 20);
    /* Half of RAM, at most 1T (this machine's cgroup may lower it: the
     * cgroup cases are in test_memory_cgroup). */
    uint64_t ram = ngc_t_ram();
    assert_true(cfg.memory <= (ram / 2 < NGC_MEMORY_MAX ? ram / 2 : NGC_MEMORY_MAX));
    assert_true(cfg.memory >= NGC_MEMORY_MIN);
    assert_null(cfg.output);
    assert_int_equal(cfg.from_year, 1);
    assert_int_equal(cfg.to_year, 9999);
    assert_true(cfg.min_count == 0);
    assert_true(cfg.top == 0);
    assert_int_equal(cfg.count, NGC_COUNT_MATCH);
    assert_int_equal(cfg.pos, NGC_POS_KEEP);
    assert_false(cfg.fold_case);
    assert_false(cfg.strict);
    assert_int_equal(cfg.stats, NGC_STATS_NONE);
    assert_int_equal(cfg.progress, NGC_PROGRESS_AUTO);
    assert_int_equal(cfg.verbose, 0);
    assert_int_equal(cfg.ninputs, 1);
    assert_string_equal(cfg.inputs[0], "in.txt");
}

static void test_each_option(void **state)
{
    (void)state;
    ngc_config_t cfg;
    assert_int_equal(NGC_T_PARSE(&cfg, "-p", "4", "-t", "8", "-c", "64K", "-o", "out.tsv",
                                 "--memory", "1G", "--from-year", "1900", "--to-year", "1999",
                                 "--min-count", "5", "--top", "10", "--count", "volume",
                                 "--fold-case", "--pos", "strip", "--strict", "--stats",
                                 "--no-progress", "-v", "a.txt", "b.gz"),
                     NGC_CONFIG_RUN);
    assert_int_equal(cfg.processes, 4);
    assert_int_equal(cfg.threads, 8);
    assert_true(cfg.chunk_size == 64 * 1024);
    assert_string_equal(cfg.output, "out.tsv");
    assert_true(cfg.memory == 1ull << 30);
    assert_int_equal(cfg.from_year, 1900);
    assert_int_equal(cfg.to_year, 1999);
    assert_true(cfg.min_count == 5);
    assert_true(cfg.top == 10);
    assert_int_equal(cfg.count, NGC_COUNT_VOLUME);
    assert_true(cfg.fold_case);
    assert_int_equal(cfg.pos, NGC_POS_STRIP);
    assert_true(cfg.strict);
    assert_int_equal(cfg.stats, NGC_STATS_TEXT);
    assert_int_equal(cfg.progress, NGC_PROGRESS_OFF);
    assert_int_equal(cfg.verbose, 1);
    assert_int_equal(cfg.ninputs, 2);
    assert_string_equal(cfg.inputs[0], "a.txt");
    assert_string_equal(cfg.inputs[1], "b.gz");
}

static void test_long_forms(void **state)
{
    (void)state;
    ngc_config_t cfg;
    assert_int_equal(NGC_T_PARSE(&cfg, "--processes", "256", "--threads=64", "--chunk-size=1M",
                                 "--output=r.gz", "--memory=16M", "--count=both", "--pos=drop",
                                 "--stats=json", "--progress", "-vv", "-"),
                     NGC_CONFIG_RUN);
    assert_int_equal(cfg.processes, 256);
    assert_int_equal(cfg.threads, 64);
    assert_true(cfg.chunk_size == 1 << 20);
    assert_string_equal(cfg.output, "r.gz");
    assert_true(cfg.memory == 16u << 20);
    assert_int_equal(cfg.count, NGC_COUNT_BOTH);
    assert_int_equal(cfg.pos, NGC_POS_DROP);
    assert_int_equal(cfg.stats, NGC_STATS_JSON);
    assert_int_equal(cfg.progress, NGC_PROGRESS_ON);
    assert_int_equal(cfg.verbose, 2);
    assert_false(cfg.fold_case);
    assert_false(cfg.strict);
    assert_int_equal(cfg.ninputs, 1);
    assert_string_equal(cfg.inputs[0], "-");

    assert_int_equal(NGC_T_PARSE(&cfg, "--count", "match", "--pos", "keep", "--stats=text", "-p",
                                 "1", "-t", "1", "-c", "64K", "x"),
                     NGC_CONFIG_RUN);
    assert_int_equal(cfg.count, NGC_COUNT_MATCH);
    assert_int_equal(cfg.pos, NGC_POS_KEEP);
    assert_int_equal(cfg.stats, NGC_STATS_TEXT);
    assert_int_equal(cfg.processes, 1);
    assert_int_equal(cfg.threads, 1);
    assert_true(cfg.chunk_size == 64 * 1024);
}

static void test_inputs_order(void **state)
{
    (void)state;
    ngc_config_t cfg;
    /* Options may follow files; "--" ends the options. */
    assert_int_equal(NGC_T_PARSE(&cfg, "a.txt", "-p", "3", "b.txt", "--", "-c", "-"),
                     NGC_CONFIG_RUN);
    assert_int_equal(cfg.processes, 3);
    assert_true(cfg.chunk_size == 8ull << 20);
    assert_int_equal(cfg.ninputs, 4);
    assert_string_equal(cfg.inputs[0], "a.txt");
    assert_string_equal(cfg.inputs[1], "b.txt");
    assert_string_equal(cfg.inputs[2], "-c");
    assert_string_equal(cfg.inputs[3], "-");
}

static void test_years(void **state)
{
    (void)state;
    ngc_config_t cfg;
    assert_int_equal(NGC_T_PARSE(&cfg, "--from-year", "1984", "--to-year", "1984", "f"),
                     NGC_CONFIG_RUN);
    assert_int_equal(cfg.from_year, 1984);
    assert_int_equal(cfg.to_year, 1984);
    assert_int_equal(NGC_T_PARSE(&cfg, "--from-year", "1", "--to-year", "9999", "f"),
                     NGC_CONFIG_RUN);
    assert_int_equal(NGC_T_PARSE(&cfg, "--from-year", "2000", "f"), NGC_CONFIG_RUN);
    assert_int_equal(cfg.from_year, 2000);
    assert_int_equal(cfg.to_year, 9999);
    NGC_T_USAGE("--from-year", "2000", "--to-year", "1999", "f");
    NGC_T_USAGE("--to-year", "1999", "--from-year", "2000", "f");
    NGC_T_USAGE("--to-year", "5", "--from-year", "6", "f");
}

static void test_help_version(void **state)
{
    (void)state;
    ngc_config_t cfg;
    assert_int_equal(NGC_T_PARSE(&cfg, "-h"), NGC_CONFIG_EXIT_OK);
    assert_int_equal(NGC_T_PARSE(&cfg, "--help"), NGC_CONFIG_EXIT_OK);
    assert_int_equal(NGC_T_PARSE(&cfg, "-V"), NGC_CONFIG_EXIT_OK);
    assert_int_equal(NGC_T_PARSE(&cfg, "--version"), NGC_CONFIG_EXIT_OK);
    /* Even with files or bad company after it. */
    assert_int_equal(NGC_T_PARSE(&cfg, "--help", "f"), NGC_CONFIG_EXIT_OK);
}

static void test_bad_values(void **state)
{
    (void)state;
    NGC_T_USAGE("-p", "0", "f");
    NGC_T_USAGE("-p", "257", "f");
    NGC_T_USAGE("-p", "x", "f");
    NGC_T_USAGE("-p", "", "f");
    NGC_T_USAGE("-p", "-1", "f");
    NGC_T_USAGE("-p", "2x", "f");
    NGC_T_USAGE("--processes=18446744073709551617", "f");
    NGC_T_USAGE("-t", "0", "f");
    NGC_T_USAGE("-t", "65", "f");
    NGC_T_USAGE("-c", "0", "f");
    NGC_T_USAGE("-c", "0M", "f");
    NGC_T_USAGE("-c", "8Q", "f");
    NGC_T_USAGE("-c", "1", "f");
    NGC_T_USAGE("-c", "65535", "f");
    NGC_T_USAGE("-c", "63K", "f");
    NGC_T_USAGE("-c", "16E", "f");
    NGC_T_USAGE("--memory", "15M", "f");
    NGC_T_USAGE("--memory", "16777215", "f");
    NGC_T_USAGE("--memory", "lots", "f");
    NGC_T_USAGE("--memory", "1025G", "f");
    NGC_T_USAGE("--memory", "100T", "f");
    NGC_T_USAGE("--memory", "1P", "f");
    NGC_T_USAGE("--memory", "8E", "f");
    NGC_T_USAGE("--memory", "18446744073709547520", "f");
    NGC_T_USAGE("--memory", "18446744073709551615", "f");
    NGC_T_USAGE("--memory", "18446744073709551616", "f");
    NGC_T_USAGE("--from-year", "0", "f");
    NGC_T_USAGE("--from-year", "10000", "f");
    NGC_T_USAGE("--from-year", "-5", "f");
    NGC_T_USAGE("--to-year", "0", "f");
    NGC_T_USAGE("--to-year", "10000", "f");
    NGC_T_USAGE("--min-count", "-1", "f");
    NGC_T_USAGE("--min-count", "x", "f");
    NGC_T_USAGE("--top", "0", "f");
    NGC_T_USAGE("--top", "ten", "f");
    NGC_T_USAGE("--count", "words", "f");
    NGC_T_USAGE("--count", "", "f");
    NGC_T_USAGE("--pos", "tag", "f");
    NGC_T_USAGE("--stats=xml", "f");
    NGC_T_USAGE("-o", "", "f");
    NGC_T_USAGE("--frobnicate", "f");
    NGC_T_USAGE("-Z", "f");
    NGC_T_USAGE("--fold-case=yes", "f");
    /* An option missing its value at the end. */
    NGC_T_USAGE("f", "-p");
    NGC_T_USAGE("f", "--memory");
    NGC_T_USAGE("f", "--count");
    /* The edges that are fine. */
    ngc_config_t cfg;
    assert_int_equal(NGC_T_PARSE(&cfg, "--memory", "16M", "--min-count", "0", "--top",
                                 "18446744073709551615", "f"),
                     NGC_CONFIG_RUN);
    assert_true(cfg.top == UINT64_MAX);
    assert_true(cfg.min_count == 0);
    assert_int_equal(NGC_T_PARSE(&cfg, "--memory", "1T", "-c", "65536", "f"), NGC_CONFIG_RUN);
    assert_true(cfg.memory == 1ull << 40);
    assert_true(cfg.chunk_size == 1ull << 16);
    assert_int_equal(NGC_T_PARSE(&cfg, "--memory", "1099511627776", "-c", "1E", "f"),
                     NGC_CONFIG_RUN);
    assert_true(cfg.memory == 1ull << 40);
    assert_true(cfg.chunk_size == 1ull << 60);
}

static void test_stdin_twice(void **state)
{
    (void)state;
    ngc_config_t cfg;
    NGC_T_USAGE("-", "-");
    NGC_T_USAGE("-", "a.txt", "-");
    assert_int_equal(NGC_T_PARSE(&cfg, "a.txt", "-", "b.txt"), NGC_CONFIG_RUN);
    assert_int_equal(cfg.ninputs, 3);
    /* The same file twice is not the same as standard input twice. */
    assert_int_equal(NGC_T_PARSE(&cfg, "a.txt", "a.txt"), NGC_CONFIG_RUN);
    assert_int_equal(cfg.ninputs, 2);
}

static void test_no_inputs(void **state)
{
    (void)state;
    ngc_config_t cfg;
    assert_int_equal(ngc_t_parse(&cfg, (const char *const[]){NULL}), NGC_CONFIG_USAGE);
    NGC_T_USAGE("-p", "2");
    NGC_T_USAGE("--strict", "--fold-case");
    NGC_T_USAGE("--");
}

/* Runs ngc_config_parse with stderr captured into buf. */
static ngc_config_result_t ngc_t_parse_stderr(const char *const *args, char *buf, size_t cap)
{
    char path[] = "/tmp/ngc-test-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    dup2(fd, STDERR_FILENO);
    ngc_config_t cfg;
    ngc_config_result_t rc = ngc_t_parse(&cfg, args);
    ngc_config_fini(&cfg);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ssize_t n = pread(fd, buf, cap - 1, 0);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return rc;
}

/* A pipe or device named twice, under any names, is refused before it is
 * opened (a FIFO's open would wait for its writer); a regular file may be
 * named twice. stat(2) looks through /dev/stdin and symlinks. */
static void test_pipe_named_twice(void **state)
{
    (void)state;
    char dir[] = "/tmp/ngc-test-config-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char f1[64], f2[64], link[64], reg[64];
    snprintf(f1, sizeof(f1), "%s/f1", dir);
    snprintf(f2, sizeof(f2), "%s/f2", dir);
    snprintf(link, sizeof(link), "%s/link", dir);
    snprintf(reg, sizeof(reg), "%s/reg", dir);
    assert_int_equal(mkfifo(f1, 0600), 0);
    assert_int_equal(mkfifo(f2, 0600), 0);
    assert_int_equal(symlink(f1, link), 0);
    int fd = open(reg, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    close(fd);
    char err[512];
    assert_int_equal(ngc_t_parse_stderr((const char *const[]){f1, reg, f1, NULL}, err, sizeof(err)),
                     NGC_CONFIG_USAGE);
    assert_non_null(strstr(err, ": cannot read"));
    assert_non_null(strstr(err, "/f1: cannot read twice: a pipe can be read only once"));
    assert_int_equal(ngc_t_parse_stderr((const char *const[]){f1, link, NULL}, err, sizeof(err)),
                     NGC_CONFIG_USAGE);
    assert_non_null(strstr(err, "/link: cannot read: it is the same pipe as '"));
    NGC_T_USAGE("/dev/null", "/dev/null");
    ngc_config_t cfg;
    assert_int_equal(NGC_T_PARSE(&cfg, f1, f2, reg, reg, "/dev/null"), NGC_CONFIG_RUN);
    assert_int_equal(cfg.ninputs, 5);
    /* Standard input a pipe: '-' and /dev/stdin are one pipe. */
    int saved = dup(STDIN_FILENO);
    int pfd[2];
    assert_true(saved >= 0 && pipe(pfd) == 0);
    dup2(pfd[0], STDIN_FILENO);
    ngc_config_result_t both = NGC_T_PARSE(&cfg, "-", reg, "/dev/stdin");
    ngc_config_result_t fd0 = NGC_T_PARSE(&cfg, "/dev/fd/0", "-");
    ngc_config_result_t alone = NGC_T_PARSE(&cfg, "-", reg);
    /* Standard input a regular file: counted twice, like any file. */
    int rfd = open(reg, O_RDONLY | O_CLOEXEC);
    assert_true(rfd >= 0);
    dup2(rfd, STDIN_FILENO);
    ngc_config_result_t file = NGC_T_PARSE(&cfg, "-", "/dev/stdin");
    dup2(saved, STDIN_FILENO);
    close(saved);
    close(rfd);
    close(pfd[0]);
    close(pfd[1]);
    assert_int_equal(both, NGC_CONFIG_USAGE);
    assert_int_equal(fd0, NGC_CONFIG_USAGE);
    assert_int_equal(alone, NGC_CONFIG_RUN);
    assert_int_equal(file, NGC_CONFIG_RUN);
    unlink(f1);
    unlink(f2);
    unlink(link);
    unlink(reg);
    rmdir(dir);
}

static void test_error_messages(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(
        ngc_t_parse_stderr((const char *const[]){"-p", "0", "f", NULL}, err, sizeof(err)),
        NGC_CONFIG_USAGE);
    assert_non_null(strstr(err, "--processes"));
    assert_non_null(strstr(err, "usage:"));
    assert_int_equal(
        ngc_t_parse_stderr((const char *const[]){"--frobnicate", "f", NULL}, err, sizeof(err)),
        NGC_CONFIG_USAGE);
    assert_non_null(strstr(err, "--frobnicate"));
    assert_int_equal(ngc_t_parse_stderr((const char *const[]){"-Z", "f", NULL}, err, sizeof(err)),
                     NGC_CONFIG_USAGE);
    assert_non_null(strstr(err, "-Z"));
    assert_int_equal(
        ngc_t_parse_stderr((const char *const[]){"f", "--memory", NULL}, err, sizeof(err)),
        NGC_CONFIG_USAGE);
    assert_non_null(strstr(err, "--memory"));
}

/*
 * Sizes at and around their limits, with messages that say which limit:
 * "1P" and "8E" were refused as "expected a size of at least 16M", and
 * "-c 1" was accepted (a task per byte).
 */
static void test_size_limits(void **state)
{
    (void)state;
    static const struct {
        const char *opt, *arg, *says;
    } cases[] = {
        {"--memory", "1P", "too large: at most 1T"},
        {"--memory", "8E", "too large: at most 1T"},
        {"--memory", "16E", "too large: at most 1T"},
        {"--memory", "100T", "too large: at most 1T"},
        {"--memory", "18446744073709551615", "too large: at most 1T"},
        {"--memory", "99999999999999999999999", "too large: at most 1T"},
        {"--memory", "15M", "must be at least 16M"},
        {"--memory", "0", "must be at least 16M"},
        {"--memory", "1e3", "not a size"},
        {"--memory", "", "not a size"},
        {"--chunk-size", "1", "must be at least 64K"},
        {"--chunk-size", "4K", "must be at least 64K"},
        {"--chunk-size", "16E", "too large: at most 18446744073709551615"},
        {"--chunk-size", "18446744073709551616", "too large: at most 18446744073709551615"},
        {"--chunk-size", "-1", "not a size"},
        {"--top", "18446744073709551616", "must be between 1 and 18446744073709551615"},
        {"--min-count", "99999999999999999999", "must be between 0 and 18446744073709551615"},
        {"--processes", "4294967297", "must be between 1 and 256"},
        {"--from-year", "18446744073709551617", "must be between 1 and 9999"},
    };
    for (size_t i = 0; i < NGC_NELEMS(cases); i++) {
        char opt[64], err[1024];
        snprintf(opt, sizeof(opt), "%s=%s", cases[i].opt, cases[i].arg);
        assert_int_equal(
            ngc_t_parse_stderr((const char *const[]){opt, "f", NULL}, err, sizeof(err)),
            NGC_CONFIG_USAGE);
        if (strstr(err, cases[i].says) == NULL || strstr(err, cases[i].opt) == NULL)
            fail_msg("%s: expected \"%s\", got: %s", opt, cases[i].says, err);
    }
    /* The tests' own way to cut small files at every byte. */
    ngc_config_t cfg;
    setenv("NGC_TEST_SMALL_CHUNKS", "1", 1);
    ngc_config_result_t rc = NGC_T_PARSE(&cfg, "-c", "1", "f");
    unsetenv("NGC_TEST_SMALL_CHUNKS");
    assert_int_equal(rc, NGC_CONFIG_RUN);
    assert_true(cfg.chunk_size == 1);
    NGC_T_USAGE("-c", "1", "f");
}

/*
 * A flag given a value ("--fold-case=yes") is refused, but the message is
 * built from optopt, which getopt_long sets to the option's val (a number
 * above 255 here), printed with %c: "unknown option '-\006'". It should
 * name the option the user typed.
 */
static void test_regress_flag_with_value_message(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(
        ngc_t_parse_stderr((const char *const[]){"--fold-case=yes", "f", NULL}, err, sizeof(err)),
        NGC_CONFIG_USAGE);
    if (strstr(err, "--fold-case") == NULL)
        fail_msg("message does not name --fold-case: %s", err);
}

/*
 * ngc_config_parse must give the same answer however often it is called:
 * it resets getopt with optind = 1, but glibc only forgets a half-read
 * option cluster ("-Vv": it stops at V) when optind is set to 0. The next
 * call then starts inside the old cluster.
 */
static void test_regress_config_parse_twice(void **state)
{
    (void)state;
    ngc_config_t cfg;
    assert_int_equal(NGC_T_PARSE(&cfg, "-Vv"), NGC_CONFIG_EXIT_OK);
    assert_int_equal(NGC_T_PARSE(&cfg, "-p", "2", "in.txt"), NGC_CONFIG_RUN);
    assert_int_equal(cfg.verbose, 0);
    assert_int_equal(cfg.processes, 2);
    assert_int_equal(cfg.ninputs, 1);
}

/* --- --by-year and --select (issue 12) ---------------------------------- */

static void test_by_year_select(void **state)
{
    (void)state;
    ngc_config_t cfg;
    assert_int_equal(NGC_T_PARSE(&cfg, "--by-year", "f"), NGC_CONFIG_RUN);
    assert_true(cfg.by_year);
    assert_int_equal(cfg.sort, NGC_SORT_NGRAM); /* series read in ngram order */
    assert_string_equal(cfg.pg_table, "ngram_year_counts");
    ngc_config_fini(&cfg);
    assert_int_equal(NGC_T_PARSE(&cfg, "--by-year", "--top", "5", "f"), NGC_CONFIG_RUN);
    assert_int_equal(cfg.sort, NGC_SORT_COUNT);
    ngc_config_fini(&cfg);
    assert_int_equal(NGC_T_PARSE(&cfg, "--by-year", "--sort", "count", "f"), NGC_CONFIG_RUN);
    assert_int_equal(cfg.sort, NGC_SORT_COUNT);
    ngc_config_fini(&cfg);

    /* Lists split at commas, ends trimmed, repeatable. */
    assert_int_equal(NGC_T_PARSE(&cfg, "--select", "Sherlock Holmes, Frankenstein", "--select",
                                 "University of *", "f"),
                     NGC_CONFIG_RUN);
    assert_int_equal(cfg.nselects, 3);
    assert_string_equal(cfg.selects[0], "Sherlock Holmes");
    assert_string_equal(cfg.selects[1], "Frankenstein");
    assert_string_equal(cfg.selects[2], "University of *");
    assert_null(cfg.selects[3]);
    ngc_config_fini(&cfg);

    static const char *const bad[][4] = {
        {"--select", "", "f", NULL},        {"--select", "a,,b", "f", NULL},
        {"--select", " , ", "f", NULL},     {"--select-file", "/no/such/file", "f", NULL},
        {"--by-year", "--text", "f", NULL}, {"--select", "a", "--text", "f"},
    };
    for (size_t i = 0; i < NGC_NELEMS(bad); i++) {
        size_t n = bad[i][3] != NULL ? 4 : 3;
        ngc_config_result_t rc = n == 4
                                     ? NGC_T_PARSE(&cfg, bad[i][0], bad[i][1], bad[i][2], bad[i][3])
                                     : NGC_T_PARSE(&cfg, bad[i][0], bad[i][1], bad[i][2]);
        if (rc != NGC_CONFIG_USAGE)
            fail_msg("%s %s: expected a usage error", bad[i][0], bad[i][1]);
        ngc_config_fini(&cfg);
    }
}

/* --- the rules between options (ngc_config_check), one test each --------- */

#define NGC_T_HINT \
    "usage: ngram-count [options] FILE...\nTry 'ngram-count --help' for more information.\n"

/* args is a usage error that prints exactly "ngram-count: " msg, then the
 * usage hint. */
static void ngc_t_rule(const char *const *args, const char *msg)
{
    char err[1024], want[1024];
    assert_int_equal(ngc_t_parse_stderr(args, err, sizeof(err)), NGC_CONFIG_USAGE);
    snprintf(want, sizeof(want), "ngram-count: %s\n" NGC_T_HINT, msg);
    assert_string_equal(err, want);
}

#define NGC_T_RULE(msg, ...) ngc_t_rule((const char *const[]){__VA_ARGS__, NULL}, msg)

static void test_rule_map_and_reduce(void **state)
{
    (void)state;
    NGC_T_RULE("--map and --reduce are two different parts; give one", "--map", "--reduce");
    NGC_T_RULE("--map and --reduce are two different parts; give one", "--reduce", "--map");
}

static void test_rule_from_year_after_to_year(void **state)
{
    (void)state;
    NGC_T_RULE("--from-year 2000 is after --to-year 1999", "--from-year", "2000", "--to-year",
               "1999", "f");
    NGC_T_RULE("--from-year 6 is after --to-year 5", "--to-year", "5", "--from-year", "6", "f");
}

static void test_rule_text_no_years(void **state)
{
    (void)state;
    const char *msg = "--text has no years: --from-year and --to-year do not apply";
    NGC_T_RULE(msg, "--text", "--from-year", "1900", "f");
    NGC_T_RULE(msg, "--to-year", "9999", "--format", "text", "f");
}

static void test_rule_text_no_pos(void **state)
{
    (void)state;
    NGC_T_RULE("--text has no part-of-speech tags: --pos does not apply", "--text", "--pos", "keep",
               "f");
}

static void test_rule_text_count_match(void **state)
{
    (void)state;
    const char *msg = "--text counts occurrences only: --count volume/both do not apply";
    NGC_T_RULE(msg, "--text", "--count", "volume", "f");
    NGC_T_RULE(msg, "--text", "--count", "both", "f");
}

static void test_rule_text_no_normalize(void **state)
{
    (void)state;
    NGC_T_RULE("--normalize needs Google's per-year totals, which --text does not have", "--text",
               "--normalize", "totals", "f");
}

static void test_rule_order_needs_text(void **state)
{
    (void)state;
    const char *msg = "--order, --only-order, --sentence-markers and --tokenize need --text";
    NGC_T_RULE(msg, "--order", "2", "f");
    NGC_T_RULE(msg, "--only-order", "f");
    NGC_T_RULE(msg, "--sentence-markers", "f");
    NGC_T_RULE(msg, "--tokenize", "space", "--format", "v2", "f");
}

static void test_rule_by_year_not_text(void **state)
{
    (void)state;
    NGC_T_RULE("--by-year needs Google Books files: --text has no years", "--by-year", "--text",
               "f");
}

static void test_rule_select_not_text(void **state)
{
    (void)state;
    NGC_T_RULE("--select and --select-file pick ngrams of Google Books files, not of --text",
               "--select", "a", "--text", "f");
}

static void test_rule_select_not_reduce(void **state)
{
    (void)state;
    NGC_T_RULE("--select and --select-file apply to the mapper (--map), not to --reduce",
               "--select", "a", "--reduce");
}

static void test_rule_top_not_sort_ngram(void **state)
{
    (void)state;
    NGC_T_RULE("--top picks the most frequent: it cannot be used with --sort ngram", "--top", "5",
               "--sort", "ngram", "f");
}

static void test_rule_stream_key_order(void **state)
{
    (void)state;
    const char *msg = "--map and --reduce read standard input and write standard output, in key"
                      " order: --pg, --normalize, --top, --sort and -o do not apply";
    NGC_T_RULE(msg, "--map", "--top", "5");
    NGC_T_RULE(msg, "--reduce", "-o", "out");
    NGC_T_RULE(msg, "--map", "--sort", "ngram");
    NGC_T_RULE(msg, "--map", "--normalize", "totals");
    NGC_T_RULE(msg, "--reduce", "--pg", "");
}

static void test_rule_stream_tsv_only(void **state)
{
    (void)state;
    NGC_T_RULE("--map and --reduce speak Hadoop Streaming's 'key TAB value' lines: "
               "--output-format csv and jsonl do not apply",
               "--map", "--output-format", "csv");
}

static void test_rule_series_need_by_year(void **state)
{
    (void)state;
    const char *msg = "--smoothing and --plot draw year-by-year series: they need --by-year";
    NGC_T_RULE(msg, "--smoothing", "0", "f");
    NGC_T_RULE(msg, "--plot", "x.svg", "f");
}

static void test_rule_series_not_pg(void **state)
{
    (void)state;
    NGC_T_RULE("--smoothing and --plot make a series of the output: they cannot be used with "
               "--pg",
               "--by-year", "--smoothing", "3", "--pg", "", "f");
}

static void test_rule_normalize_not_pg_append(void **state)
{
    (void)state;
    NGC_T_RULE("--normalize with --pg-mode append would mix the totals of several jobs in one "
               "table: load with --pg-mode replace, or divide in SQL",
               "--normalize", "totals", "--pg", "", "--pg-mode", "append", "f");
}

static void test_rule_normalize_by_year_not_pg(void **state)
{
    (void)state;
    NGC_T_RULE("--normalize with --by-year makes a series, which --pg does not load: load the "
               "counts and divide by each year's total in SQL",
               "--normalize", "totals", "--pg", "", "--by-year", "f");
}

static void test_rule_one_step(void **state)
{
    (void)state;
    const char *msg = "--partitions, --merge-partitions, --merge-totals, --map and --reduce are"
                      " different steps: give one";
    NGC_T_RULE(msg, "--partitions", "2", "--partition-dir", "d", "--map");
    NGC_T_RULE(msg, "--merge-totals", "d", "--merge-partitions", "e", "--partition", "0");
}

static void test_rule_partitions_with_dir(void **state)
{
    (void)state;
    const char *msg = "--partitions and --partition-dir go together (a map)";
    NGC_T_RULE(msg, "--partitions", "2", "f");
    NGC_T_RULE(msg, "--partition-dir", "d", "f");
}

static void test_rule_merge_partitions_with_partition(void **state)
{
    (void)state;
    const char *msg = "--merge-partitions and --partition go together (a reduce)";
    NGC_T_RULE(msg, "--merge-partitions", "d", "-o", "run");
    NGC_T_RULE(msg, "--partition", "0", "-o", "run");
}

static void test_rule_pg_final_step_only(void **state)
{
    (void)state;
    const char *msg = "--pg loads the final step's result: give it to --merge-totals, not to a"
                      " map or a reduce";
    NGC_T_RULE(msg, "--partitions", "2", "--partition-dir", "d", "--pg", "", "f");
    NGC_T_RULE(msg, "--merge-partitions", "d", "--partition", "1", "--pg", "", "-o", "run");
}

static void test_rule_map_step_no_output(void **state)
{
    (void)state;
    NGC_T_RULE("a map (--partitions) writes --partition-dir: -o does not apply", "--partitions",
               "2", "--partition-dir", "d", "-o", "out", "f");
}

static void test_rule_reduce_step_needs_output(void **state)
{
    (void)state;
    NGC_T_RULE("a reduce (--merge-partitions) needs -o FILE for its run file", "--merge-partitions",
               "d", "--partition", "0");
}

static void test_rule_reduce_step_no_files(void **state)
{
    (void)state;
    NGC_T_RULE("--merge-partitions reads its directory: no input files", "--merge-partitions", "d",
               "--partition", "0", "-o", "run", "f");
}

/* Told without the usage hint: the command line is right, the build is not. */
static void test_rule_pg_built_in(void **state)
{
    (void)state;
#ifdef NGC_HAVE_PG
    ngc_config_t cfg;
    assert_int_equal(NGC_T_PARSE(&cfg, "--pg", "", "--pg-table", "t", "f"), NGC_CONFIG_RUN);
    assert_string_equal(cfg.pg_table, "t");
#else
    char err[1024];
    assert_int_equal(
        ngc_t_parse_stderr((const char *const[]){"--pg", "", "f", NULL}, err, sizeof(err)),
        NGC_CONFIG_USAGE);
    assert_string_equal(err, "ngram-count: --pg, --pg-table, --pg-mode, --pg-jobs and --lookup:"
                             " this ngram-count was built without PostgreSQL support (rebuild"
                             " with libpq installed and -DNGC_WITH_PG=ON)\n");
#endif
}

static void test_rule_pg_options_need_pg(void **state)
{
    (void)state;
#ifdef NGC_HAVE_PG
    const char *msg = "--pg-table, --pg-mode, --pg-jobs and --lookup need --pg DSN ('' for the"
                      " PG* environment)";
    NGC_T_RULE(msg, "--pg-table", "t", "f");
    NGC_T_RULE(msg, "--pg-mode", "append", "f");
    NGC_T_RULE(msg, "--pg-jobs");
    NGC_T_RULE(msg, "--lookup", "word");
#else
    skip();
#endif
}

static void test_rule_query_no_files(void **state)
{
    (void)state;
#ifdef NGC_HAVE_PG
    NGC_T_RULE("--lookup and --pg-jobs take no input files", "--pg", "", "--lookup", "w", "f");
    NGC_T_RULE("--lookup and --pg-jobs take no input files", "--pg", "", "--pg-jobs", "f");
#else
    skip();
#endif
}

static void test_rule_stream_no_files(void **state)
{
    (void)state;
    NGC_T_RULE("--map and --reduce read standard input, not files", "--map", "f");
    NGC_T_RULE("--map and --reduce read standard input, not files", "--reduce", "-");
}

static void test_rule_input_files(void **state)
{
    (void)state;
    NGC_T_RULE("no input files", "-p", "2");
    NGC_T_RULE("no input files", "--");
}

static void test_rule_stdin_once(void **state)
{
    (void)state;
    NGC_T_RULE("standard input ('-') given more than once", "-", "f", "-");
}

/* Several rules broken: the first of ngc_config_check's is told. */
static void test_rule_first_told(void **state)
{
    (void)state;
    NGC_T_RULE("--map and --reduce are two different parts; give one", "--map", "--reduce",
               "--from-year", "3", "--to-year", "2", "f");
    NGC_T_RULE("--from-year 3 is after --to-year 2", "--text", "--from-year", "3", "--to-year",
               "2");
    NGC_T_RULE("--text has no years: --from-year and --to-year do not apply", "--text",
               "--from-year", "3", "--pos", "drop");
}

/* The named values: looked up and printed back from one table, and a bad
 * one told the names it could have been. */
static void test_option_names(void **state)
{
    (void)state;
    static const struct {
        const ngc_config_name_t *names;
        const char *name;
        int value;
    } known[] = {
        {ngc_config_format_names, "auto", NGC_FORMAT_AUTO},
        {ngc_config_format_names, "v1", NGC_FORMAT_V1},
        {ngc_config_format_names, "text", NGC_FORMAT_TEXT},
        {ngc_config_count_names, "both", NGC_COUNT_BOTH},
        {ngc_config_pos_names, "strip", NGC_POS_STRIP},
        {ngc_config_tokenize_names, "words", NGC_TOKENIZE_WORDS},
        {ngc_config_sort_names, "ngram", NGC_SORT_NGRAM},
        {ngc_config_pg_mode_names, "append", 1},
        {ngc_config_pg_mode_names, "replace", 0},
    };
    for (size_t i = 0; i < NGC_NELEMS(known); i++) {
        int v = -1;
        assert_int_equal(ngc_config_name_value(known[i].names, known[i].name, &v), NGC_OK);
        assert_int_equal(v, known[i].value);
        assert_string_equal(ngc_config_name_of(known[i].names, v), known[i].name);
    }
    int v = 7;
    assert_int_equal(ngc_config_name_value(ngc_config_count_names, "Match", &v), NGC_ERROR);
    assert_int_equal(v, 7);
    assert_null(ngc_config_name_of(ngc_config_sort_names, 9));

    static const struct {
        const char *opt, *says;
    } bad[] = {
        {"--format=v4", "'v4' for --format: expected auto, v1, v2, v3 or text"},
        {"--count=x", "'x' for --count: expected match, volume or both"},
        {"--pos=x", "'x' for --pos: expected keep, drop or strip"},
        {"--tokenize=x", "'x' for --tokenize: expected space or words"},
        {"--sort=x", "'x' for --sort: expected count or ngram"},
        {"--output-format=x", "'x' for --output-format: expected tsv, csv or jsonl"},
        {"--pg-mode=x", "'x' for --pg-mode: expected replace or append"},
        {"--inflate=x", "'x' for --inflate: expected isal or zlib"},
        {"--stats=x", "'x' for --stats: expected --stats or --stats=json"},
    };
    for (size_t i = 0; i < NGC_NELEMS(bad); i++) {
        char err[1024], want[1024];
        assert_int_equal(
            ngc_t_parse_stderr((const char *const[]){bad[i].opt, "f", NULL}, err, sizeof(err)),
            NGC_CONFIG_USAGE);
        snprintf(want, sizeof(want), "ngram-count: invalid value %s\n" NGC_T_HINT, bad[i].says);
        assert_string_equal(err, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_units),
        cmocka_unit_test(test_size_overflow),
        cmocka_unit_test(test_size_junk),
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_resolve_threads),
        cmocka_unit_test(test_resolve_workers),
        cmocka_unit_test(test_each_option),
        cmocka_unit_test(test_long_forms),
        cmocka_unit_test(test_inputs_order),
        cmocka_unit_test(test_years),
        cmocka_unit_test(test_help_version),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_stdin_twice),
        cmocka_unit_test(test_no_inputs),
        cmocka_unit_test(test_pipe_named_twice),
        cmocka_unit_test(test_error_messages),
        cmocka_unit_test(test_memory_cgroup),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_regress_flag_with_value_message),
        /* Known bugs last: the first can corrupt getopt state for later calls. */
        cmocka_unit_test(test_regress_config_parse_twice),
        cmocka_unit_test(test_regress_parse_size_bare_ib),
        cmocka_unit_test(test_by_year_select),
        cmocka_unit_test(test_rule_map_and_reduce),
        cmocka_unit_test(test_rule_from_year_after_to_year),
        cmocka_unit_test(test_rule_text_no_years),
        cmocka_unit_test(test_rule_text_no_pos),
        cmocka_unit_test(test_rule_text_count_match),
        cmocka_unit_test(test_rule_text_no_normalize),
        cmocka_unit_test(test_rule_order_needs_text),
        cmocka_unit_test(test_rule_by_year_not_text),
        cmocka_unit_test(test_rule_select_not_text),
        cmocka_unit_test(test_rule_select_not_reduce),
        cmocka_unit_test(test_rule_top_not_sort_ngram),
        cmocka_unit_test(test_rule_stream_key_order),
        cmocka_unit_test(test_rule_stream_tsv_only),
        cmocka_unit_test(test_rule_series_need_by_year),
        cmocka_unit_test(test_rule_series_not_pg),
        cmocka_unit_test(test_rule_normalize_not_pg_append),
        cmocka_unit_test(test_rule_normalize_by_year_not_pg),
        cmocka_unit_test(test_rule_one_step),
        cmocka_unit_test(test_rule_partitions_with_dir),
        cmocka_unit_test(test_rule_merge_partitions_with_partition),
        cmocka_unit_test(test_rule_pg_final_step_only),
        cmocka_unit_test(test_rule_map_step_no_output),
        cmocka_unit_test(test_rule_reduce_step_needs_output),
        cmocka_unit_test(test_rule_reduce_step_no_files),
        cmocka_unit_test(test_rule_pg_built_in),
        cmocka_unit_test(test_rule_pg_options_need_pg),
        cmocka_unit_test(test_rule_query_no_files),
        cmocka_unit_test(test_rule_stream_no_files),
        cmocka_unit_test(test_rule_input_files),
        cmocka_unit_test(test_rule_stdin_once),
        cmocka_unit_test(test_rule_first_told),
        cmocka_unit_test(test_option_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
