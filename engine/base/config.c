/*
 * config.c: command-line options. Every value is validated here, so the rest
 * of the engine can trust the config; a bad option is exit 2 with usage.
 * Each option is one entry of NGC_CONFIG_OPTIONS; the rules between options
 * are ngc_config_check's, checked once all are read.
 */
#include "engine/base/ngc.h"
#include "engine/base/config.h"
#include "engine/base/sysmem.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char ngc_config_usage[] = "usage: ngram-count [options] FILE...\n"
                                       "Try 'ngram-count --help' for more information.\n";

/* The decimal number s[0..len): NGC_OK, NGC_ERROR (not one) or
 * NGC_CONFIG_RANGE (above 2^64-1: the digits are still all read, so a
 * number too large is told apart from junk). */
static int ngc_config_digits(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    bool over = false;
    if (len == 0)
        return NGC_ERROR;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return NGC_ERROR;
        if (!over && (__builtin_mul_overflow(v, 10, &v) ||
                      __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v)))
            over = true;
    }
    if (over)
        return NGC_CONFIG_RANGE;
    *out = v;
    return NGC_OK;
}

int ngc_config_parse_u64(const char *s, uint64_t *out)
{
    return ngc_config_digits(s, strlen(s), out);
}

/* The size units, powers of 1024 from K. */
static const char ngc_config_units[] = "KMGTPE";

int ngc_config_parse_size(const char *s, uint64_t *out)
{
    size_t len = strlen(s);
    /* An optional B, or iB after a unit ("MiB"). */
    if (len > 0 && (s[len - 1] == 'B' || s[len - 1] == 'b')) {
        len--;
        if (len > 1 && (s[len - 1] == 'i' || s[len - 1] == 'I'))
            len--;
    }
    if (len == 0)
        return NGC_ERROR;
    unsigned shift = 0;
    char c = s[len - 1];
    const char *u = strchr(ngc_config_units, c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    if (u != NULL) {
        shift = 10 * (unsigned)(u - ngc_config_units + 1);
        len--;
    }
    uint64_t v;
    int rc = ngc_config_digits(s, len, &v);
    if (rc != NGC_OK)
        return rc;
    if (shift != 0 && v > (UINT64_MAX >> shift))
        return NGC_CONFIG_RANGE;
    *out = v << shift;
    return NGC_OK;
}

/*
 * A pipe, device or socket named twice (f f, - /dev/stdin, /dev/fd/0 -)
 * would be read by two tasks at once, each counting some of its lines: a
 * usage error. Told by identity (stat follows /dev/stdin and /dev/fd/N to
 * the pipe), before anything is opened, as opening a FIFO waits for its
 * writer. A regular file may be named twice: it is counted twice.
 */
static ngc_config_result_t ngc_config_check_repeats(const ngc_config_t *cfg)
{
    typedef struct {
        dev_t dev;
        ino_t ino;
        unsigned arg;
    } ngc_seen_t;
    ngc_seen_t *seen = malloc(cfg->ninputs * sizeof(*seen));
    if (seen == NULL) {
        fprintf(stderr, "ngram-count: out of memory\n");
        return NGC_CONFIG_USAGE;
    }
    unsigned nseen = 0;
    ngc_config_result_t rc = NGC_CONFIG_RUN;
    for (unsigned i = 0; i < cfg->ninputs && rc == NGC_CONFIG_RUN; i++) {
        const char *path = cfg->inputs[i];
        struct stat st;
        /* One that cannot be looked at fails later, naming its error. */
        if ((strcmp(path, "-") == 0 ? fstat(STDIN_FILENO, &st) : stat(path, &st)) != 0 ||
            S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
            continue;
        for (unsigned k = 0; k < nseen; k++) {
            if (seen[k].dev != st.st_dev || seen[k].ino != st.st_ino)
                continue;
            const char *what = S_ISFIFO(st.st_mode)   ? "pipe"
                               : S_ISSOCK(st.st_mode) ? "socket"
                                                      : "device";
            const char *first = cfg->inputs[seen[k].arg];
            if (strcmp(first, path) == 0)
                fprintf(stderr,
                        "ngram-count: %s: cannot read twice: a %s can be read only "
                        "once\n%s",
                        path, what, ngc_config_usage);
            else
                fprintf(stderr,
                        "ngram-count: %s: cannot read: it is the same %s as '%s', "
                        "which can be read only once\n%s",
                        path, what, first, ngc_config_usage);
            rc = NGC_CONFIG_USAGE;
            break;
        }
        seen[nseen++] = (ngc_seen_t){st.st_dev, st.st_ino, i};
    }
    free(seen);
    return rc;
}

/* --inputs FILE: the arguments, then FILE's lines (issue 13). */
static ngc_config_result_t ngc_config_inputs_file(ngc_config_t *cfg, const char *path, char **args,
                                                  unsigned nargs)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (fp == NULL) {
        fprintf(stderr, "ngram-count: cannot open '%s': %s\n", path, strerror(errno));
        return NGC_CONFIG_USAGE;
    }
    size_t len = 0;
    if (getdelim(&cfg->inputs_text, &len, '\0', fp) < 0 && ferror(fp)) {
        fprintf(stderr, "ngram-count: cannot read '%s': %s\n", path, strerror(errno));
        if (fp != stdin)
            fclose(fp);
        return NGC_CONFIG_USAGE;
    }
    if (fp != stdin)
        fclose(fp);
    static char none[1];
    char *text = cfg->inputs_text != NULL ? cfg->inputs_text : none;
    size_t n = nargs + 1;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    cfg->inputs_owned = calloc(n, sizeof(*cfg->inputs_owned));
    if (cfg->inputs_owned == NULL) {
        fprintf(stderr, "ngram-count: out of memory\n");
        return NGC_CONFIG_USAGE;
    }
    unsigned k = 0;
    for (unsigned i = 0; i < nargs; i++)
        cfg->inputs_owned[k++] = args[i];
    for (char *line = text, *next; line != NULL && *line; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        size_t l = strlen(line);
        while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
            line[--l] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line != '\0' && *line != '#')
            cfg->inputs_owned[k++] = line;
    }
    if (k == 0) {
        fprintf(stderr, "ngram-count: no input files (%s lists none)\n%s", path, ngc_config_usage);
        return NGC_CONFIG_USAGE;
    }
    cfg->inputs = cfg->inputs_owned;
    cfg->ninputs = k;
    return ngc_config_check_repeats(cfg);
}

/* --- year by year and selections (issue 12) --- */

/* Appends the entry p[0..len), its spaces at both ends trimmed; an empty
 * one is a usage error naming opt. */
static int ngc_config_select_add(ngc_config_t *cfg, size_t *cap, const char *opt, const char *p,
                                 size_t len)
{
    while (len > 0 && *p == ' ')
        p++, len--;
    while (len > 0 && p[len - 1] == ' ')
        len--;
    if (len == 0) {
        fprintf(stderr, "ngram-count: %s: an empty ngram selects nothing\n%s", opt,
                ngc_config_usage);
        return NGC_ERROR;
    }
    if (cfg->nselects + 1 >= *cap) {
        size_t n = *cap ? *cap * 2 : 16;
        char **a = realloc(cfg->selects, n * sizeof(*a));
        if (a == NULL)
            goto oom;
        cfg->selects = a;
        *cap = n;
    }
    char *e = strndup(p, len);
    if (e == NULL)
        goto oom;
    cfg->selects[cfg->nselects++] = e;
    cfg->selects[cfg->nselects] = NULL;
    return NGC_OK;
oom:
    fprintf(stderr, "ngram-count: out of memory\n");
    return NGC_ERROR;
}

/* --select LIST: comma-separated ngrams (an ngram with a comma goes in
 * --select-file). */
static int ngc_config_select_list(ngc_config_t *cfg, size_t *cap, const char *list)
{
    for (;;) {
        const char *comma = strchr(list, ',');
        size_t len = comma ? (size_t)(comma - list) : strlen(list);
        if (ngc_config_select_add(cfg, cap, "--select", list, len) != NGC_OK)
            return NGC_ERROR;
        if (comma == NULL)
            return NGC_OK;
        list = comma + 1;
    }
}

/* --select-file FILE: one ngram per line, blank lines ignored. Read here,
 * once, so a missing file is a usage error before any work. */
static int ngc_config_select_file(ngc_config_t *cfg, size_t *cap, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? NULL : fopen(path, "r");
    if (f == NULL) {
        int err = strcmp(path, "-") == 0 ? EINVAL : errno;
        fprintf(stderr, "ngram-count: %s: cannot open (--select-file): %s\n%s", path,
                strcmp(path, "-") == 0 ? "standard input is not read for a selection"
                                       : strerror(err),
                ngc_config_usage);
        return NGC_ERROR;
    }
    char *line = NULL;
    size_t lcap = 0, before = cfg->nselects;
    ssize_t n;
    int rc = NGC_OK;
    while (rc == NGC_OK && (n = getline(&line, &lcap, f)) >= 0) {
        size_t len = (size_t)n;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        size_t i = 0;
        while (i < len && line[i] == ' ')
            i++;
        if (i < len)
            rc = ngc_config_select_add(cfg, cap, "--select-file", line, len);
    }
    if (rc == NGC_OK && ferror(f)) {
        fprintf(stderr, "ngram-count: %s: cannot read (--select-file): %s\n", path,
                strerror(errno));
        rc = NGC_ERROR;
    }
    if (rc == NGC_OK && cfg->nselects == before) {
        fprintf(stderr, "ngram-count: %s: holds no ngram (--select-file)\n%s", path,
                ngc_config_usage);
        rc = NGC_ERROR;
    }
    free(line);
    fclose(f);
    return rc;
}

void ngc_config_fini(ngc_config_t *cfg)
{
    free(cfg->inputs_owned);
    free(cfg->inputs_text);
    cfg->inputs_owned = NULL;
    cfg->inputs_text = NULL;
    free(cfg->lookups);
    cfg->lookups = NULL;
    for (size_t i = 0; i < cfg->nselects; i++)
        free(cfg->selects[i]);
    free(cfg->selects);
    cfg->selects = NULL;
    cfg->nselects = 0;
}

/* Edit distance of a and b, a swap of two neighbours counting one (so
 * "tpo" is 1 from "top"). */
static size_t ngc_config_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return SIZE_MAX;
    size_t d[41][41];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

static int ngc_config_bad(const char *opt, const char *arg, const char *why)
{
    fprintf(stderr, "ngram-count: invalid value '%s' for %s: %s\n%s", arg, opt, why,
            ngc_config_usage);
    return NGC_ERROR;
}

static int ngc_config_number(const char *opt, const char *arg, uint64_t lo, uint64_t hi,
                             uint64_t *out)
{
    int rc = ngc_config_parse_u64(arg, out);
    if (rc == NGC_ERROR)
        return ngc_config_bad(opt, arg, "not a non-negative integer");
    if (rc != NGC_OK || *out < lo || *out > hi) {
        char why[96];
        snprintf(why, sizeof(why), "must be between %llu and %llu", (unsigned long long)lo,
                 (unsigned long long)hi);
        return ngc_config_bad(opt, arg, why);
    }
    return NGC_OK;
}

/* Writes n in the largest unit that divides it ("64K", "1T"). */
static void ngc_config_size_text(uint64_t n, char *buf, size_t cap)
{
    unsigned k = 0;
    while (k < 6 && n != 0 && n % 1024 == 0) {
        n /= 1024;
        k++;
    }
    if (k == 0)
        snprintf(buf, cap, "%llu", (unsigned long long)n);
    else
        snprintf(buf, cap, "%llu%c", (unsigned long long)n, ngc_config_units[k - 1]);
}

/* A SIZE option: lo..hi bytes. */
static int ngc_config_size(const char *opt, const char *arg, uint64_t lo, uint64_t hi,
                           uint64_t *out)
{
    char why[96], edge[24];
    uint64_t v;
    int rc = ngc_config_parse_size(arg, &v);
    if (rc == NGC_ERROR)
        return ngc_config_bad(opt, arg,
                              "not a size: a number of bytes, or one with K, M, "
                              "G, T, P or E (powers of 1024) such as 8M");
    if (rc == NGC_OK && v < lo) {
        ngc_config_size_text(lo, edge, sizeof(edge));
        snprintf(why, sizeof(why), "must be at least %s", edge);
        return ngc_config_bad(opt, arg, why);
    }
    if (rc != NGC_OK || v > hi) {
        ngc_config_size_text(hi, edge, sizeof(edge));
        snprintf(why, sizeof(why), "too large: at most %s", edge);
        return ngc_config_bad(opt, arg, why);
    }
    *out = v;
    return NGC_OK;
}

/* The smallest --chunk-size; NGC_TEST_SMALL_CHUNKS=1 lowers it to 1 byte
 * for the tests that put task boundaries at every byte of small files. */
static uint64_t ngc_config_chunk_min(void)
{
    const char *t = getenv("NGC_TEST_SMALL_CHUNKS");
    return t != NULL && strcmp(t, "1") == 0 ? 1 : NGC_CHUNK_MIN;
}

static const char *ngc_config_default_tmp(void)
{
    const char *t = getenv("TMPDIR");
    return t != NULL && *t != '\0' ? t : "/tmp";
}

/* pct percent of the memory this process may use (RAM, or its cgroup's
 * limit when lower), at most 1T. */
static uint64_t ngc_config_share_memory(unsigned pct)
{
    ngc_sysmem_t m;
    ngc_sysmem_read(&m);
    if (m.available == 0)
        return 1ull << 30;
    uint64_t v = m.available / 100 * pct + m.available % 100 * pct / 100;
    return v < NGC_MEMORY_MAX ? v : NGC_MEMORY_MAX;
}

/* Half, as sort -S does; at least the table's smallest size, so a small
 * cgroup still runs (and spills). */
static uint64_t ngc_config_default_memory(void)
{
    uint64_t v = ngc_config_share_memory(50);
    return v > NGC_MEMORY_MIN ? v : NGC_MEMORY_MIN;
}

/* --memory N%: 1 to 100 percent of what the default takes half of. */
static int ngc_config_memory(const char *arg, uint64_t *out)
{
    size_t len = strlen(arg);
    if (len == 0 || arg[len - 1] != '%')
        return ngc_config_size("--memory", arg, NGC_MEMORY_MIN, NGC_MEMORY_MAX, out);
    char digits[8];
    uint64_t pct = 0;
    if (len - 1 < sizeof(digits)) {
        memcpy(digits, arg, len - 1);
        digits[len - 1] = '\0';
        if (ngc_config_parse_u64(digits, &pct) != NGC_OK)
            pct = 0;
    }
    if (pct < 1 || pct > 100)
        return ngc_config_bad("--memory", arg, "a percentage must be 1% to 100%");
    uint64_t v = ngc_config_share_memory((unsigned)pct);
    if (v < NGC_MEMORY_MIN) {
        char why[96], got[24];
        ngc_config_size_text(v, got, sizeof(got));
        snprintf(why, sizeof(why), "that is %s here, less than the least (16M)", got);
        return ngc_config_bad("--memory", arg, why);
    }
    *out = v;
    return NGC_OK;
}

/* --- the values of the options that take a name ------------------------- */

const ngc_config_name_t ngc_config_format_names[] = {
    {"auto", NGC_FORMAT_AUTO}, {"v1", NGC_FORMAT_V1},     {"v2", NGC_FORMAT_V2},
    {"v3", NGC_FORMAT_V3},     {"text", NGC_FORMAT_TEXT}, {NULL, 0}};
const ngc_config_name_t ngc_config_count_names[] = {
    {"match", NGC_COUNT_MATCH}, {"volume", NGC_COUNT_VOLUME}, {"both", NGC_COUNT_BOTH}, {NULL, 0}};
const ngc_config_name_t ngc_config_pos_names[] = {
    {"keep", NGC_POS_KEEP}, {"drop", NGC_POS_DROP}, {"strip", NGC_POS_STRIP}, {NULL, 0}};
const ngc_config_name_t ngc_config_tokenize_names[] = {
    {"space", NGC_TOKENIZE_SPACE}, {"words", NGC_TOKENIZE_WORDS}, {NULL, 0}};
const ngc_config_name_t ngc_config_sort_names[] = {
    {"count", NGC_SORT_COUNT}, {"ngram", NGC_SORT_NGRAM}, {NULL, 0}};
const ngc_config_name_t ngc_config_pg_mode_names[] = {
    {"replace", false}, {"append", true}, {NULL, 0}};
static const ngc_config_name_t ngc_config_outfmt_names[] = {
    {"tsv", NGC_OUTFMT_TSV}, {"csv", NGC_OUTFMT_CSV}, {"jsonl", NGC_OUTFMT_JSONL}, {NULL, 0}};
static const ngc_config_name_t ngc_config_stats_names[] = {
    {"text", NGC_STATS_TEXT}, {"json", NGC_STATS_JSON}, {NULL, 0}};
const ngc_config_name_t ngc_config_inflate_names[] = {
    {"isal", NGC_INFLATE_ISAL}, {"zlib", NGC_INFLATE_ZLIB}, {NULL, 0}};

int ngc_config_name_value(const ngc_config_name_t *names, const char *s, int *value)
{
    for (const ngc_config_name_t *n = names; n->name != NULL; n++) {
        if (strcmp(n->name, s) == 0) {
            *value = n->value;
            return NGC_OK;
        }
    }
    return NGC_ERROR;
}

const char *ngc_config_name_of(const ngc_config_name_t *names, int value)
{
    for (const ngc_config_name_t *n = names; n->name != NULL; n++)
        if (n->value == value)
            return n->name;
    return NULL;
}

/* "expected a, b or c": what a bad value of a named option is told. */
static void ngc_config_name_expected(const ngc_config_name_t *names, char *buf, size_t cap)
{
    size_t len = (size_t)snprintf(buf, cap, "expected");
    for (const ngc_config_name_t *n = names; n->name != NULL && len < cap; n++) {
        const char *sep = n == names ? " " : n[1].name == NULL ? " or " : ", ";
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", sep, n->name);
    }
}

/* --- the options -------------------------------------------------------- */

typedef struct {
    ngc_config_t *cfg;
    int argc;          /* --lookup's array has room for argc words */
    size_t select_cap; /* room in cfg->selects */
} ngc_config_parser_t;

/* An option that sets its field itself: NGC_CONFIG_RUN to go on. */
typedef ngc_config_result_t (*ngc_config_call_fn)(ngc_config_parser_t *p, char *arg);

typedef enum {
    NGC_CONFIG_FLAG,   /* takes no value: stores .lo */
    NGC_CONFIG_NUMBER, /* a decimal number, .lo to .hi */
    NGC_CONFIG_NAME,   /* one of .names, stores its value */
    NGC_CONFIG_PATH,   /* a file or directory name; .why when it is empty */
    NGC_CONFIG_STRING, /* any string, even empty */
    NGC_CONFIG_CALL    /* .call reads the value */
} ngc_config_kind_t;

typedef struct {
    const char *name;    /* long name, without "--" */
    char letter;         /* short option, 0 for none */
    const char *metavar; /* the value in --help ("N", "[=json]"), NULL for none */
    int arg;             /* getopt_long's no_/required_/optional_argument */
    ngc_config_kind_t kind;
    size_t off, size;               /* the field set, in ngc_config_t */
    uint64_t lo, hi;                /* NUMBER: the range; FLAG: the value stored */
    const ngc_config_name_t *names; /* NAME */
    const char *why;                /* PATH */
    ngc_config_call_fn call;        /* CALL */
    const char *help;               /* --help's text, lines split by '\n' */
} ngc_config_option_t;

/* How an entry of NGC_CONFIG_OPTIONS sets its field (f, in ngc_config_t). */
#define NGC_CONFIG_FIELD(f) .off = offsetof(ngc_config_t, f), .size = sizeof(((ngc_config_t *)0)->f)
#define NGC_SETS_FLAG(f, v) \
    .arg = no_argument, .kind = NGC_CONFIG_FLAG, NGC_CONFIG_FIELD(f), .lo = (v)
#define NGC_SETS_NUMBER(f, min, max)                                                       \
    .arg = required_argument, .kind = NGC_CONFIG_NUMBER, NGC_CONFIG_FIELD(f), .lo = (min), \
    .hi = (max)
#define NGC_SETS_NAME(f, n) \
    .arg = required_argument, .kind = NGC_CONFIG_NAME, NGC_CONFIG_FIELD(f), .names = (n)
#define NGC_SETS_FILE(f) \
    .arg = required_argument, .kind = NGC_CONFIG_PATH, NGC_CONFIG_FIELD(f), .why = "empty file name"
#define NGC_SETS_DIR(f)                                                     \
    .arg = required_argument, .kind = NGC_CONFIG_PATH, NGC_CONFIG_FIELD(f), \
    .why = "empty directory name"
#define NGC_SETS_STRING(f) .arg = required_argument, .kind = NGC_CONFIG_STRING, NGC_CONFIG_FIELD(f)
#define NGC_CALLS(fn, a) .arg = (a), .kind = NGC_CONFIG_CALL, .call = (fn)

static ngc_config_result_t ngc_config_opt_chunk_size(ngc_config_parser_t *p, char *arg)
{
    if (ngc_config_size("--chunk-size", arg, ngc_config_chunk_min(), NGC_CHUNK_MAX,
                        &p->cfg->chunk_size))
        return NGC_CONFIG_USAGE;
    return NGC_CONFIG_RUN;
}

static ngc_config_result_t ngc_config_opt_memory(ngc_config_parser_t *p, char *arg)
{
    return ngc_config_memory(arg, &p->cfg->memory) ? NGC_CONFIG_USAGE : NGC_CONFIG_RUN;
}

/* --stats alone is text. */
static ngc_config_result_t ngc_config_opt_stats(ngc_config_parser_t *p, char *arg)
{
    int v = NGC_STATS_TEXT;
    if (arg != NULL && ngc_config_name_value(ngc_config_stats_names, arg, &v) != NGC_OK) {
        ngc_config_bad("--stats", arg, "expected --stats or --stats=json");
        return NGC_CONFIG_USAGE;
    }
    p->cfg->stats = (ngc_stats_mode_t)v;
    return NGC_CONFIG_RUN;
}

static ngc_config_result_t ngc_config_opt_inflate(ngc_config_parser_t *p, char *arg)
{
    int v;
    char why[96];
    if (ngc_config_name_value(ngc_config_inflate_names, arg, &v) != NGC_OK) {
        ngc_config_name_expected(ngc_config_inflate_names, why, sizeof(why));
        ngc_config_bad("--inflate", arg, why);
        return NGC_CONFIG_USAGE;
    }
#ifndef NGC_HAVE_ISAL
    if (v == NGC_INFLATE_ISAL) {
        ngc_config_bad("--inflate", arg, "this build has no ISA-L; use zlib");
        return NGC_CONFIG_USAGE;
    }
#endif
    p->cfg->inflate = (ngc_inflate_kind_t)v;
    return NGC_CONFIG_RUN;
}

static ngc_config_result_t ngc_config_opt_pg_table(ngc_config_parser_t *p, char *arg)
{
    if (*arg == '\0' || strlen(arg) > 63) {
        ngc_config_bad("--pg-table", arg, "expected a name of 1 to 63 bytes");
        return NGC_CONFIG_USAGE;
    }
    p->cfg->pg_table = arg;
    return NGC_CONFIG_RUN;
}

static ngc_config_result_t ngc_config_opt_lookup(ngc_config_parser_t *p, char *arg)
{
    ngc_config_t *cfg = p->cfg;
    if (cfg->nlookups == 0) {
        cfg->lookups = calloc((size_t)p->argc, sizeof(*cfg->lookups));
        if (cfg->lookups == NULL)
            return NGC_CONFIG_USAGE;
    }
    cfg->lookups[cfg->nlookups++] = arg;
    return NGC_CONFIG_RUN;
}

static ngc_config_result_t ngc_config_opt_select(ngc_config_parser_t *p, char *arg)
{
    if (ngc_config_select_list(p->cfg, &p->select_cap, arg) != NGC_OK)
        return NGC_CONFIG_USAGE;
    return NGC_CONFIG_RUN;
}

static ngc_config_result_t ngc_config_opt_select_file(ngc_config_parser_t *p, char *arg)
{
    if (ngc_config_select_file(p->cfg, &p->select_cap, arg) != NGC_OK)
        return NGC_CONFIG_USAGE;
    return NGC_CONFIG_RUN;
}

static ngc_config_result_t ngc_config_opt_plot(ngc_config_parser_t *p, char *arg)
{
    size_t n = strlen(arg);
    if (n < 5 || (strcmp(arg + n - 4, ".svg") != 0 && strcmp(arg + n - 4, ".png") != 0)) {
        ngc_config_bad("--plot", arg, "expected a file name ending in .svg or .png");
        return NGC_CONFIG_USAGE;
    }
#ifndef NGC_HAVE_CAIRO
    if (strcmp(arg + n - 4, ".png") == 0) {
        ngc_config_bad("--plot", arg,
                       "--plot .png needs cairo, which this build "
                       "does not have (install libcairo2-dev and "
                       "rebuild); .svg works without it");
        return NGC_CONFIG_USAGE;
    }
#endif
    p->cfg->plot = arg;
    return NGC_CONFIG_RUN;
}

static ngc_config_result_t ngc_config_opt_verbose(ngc_config_parser_t *p, char *arg)
{
    (void)arg;
    p->cfg->verbose++;
    return NGC_CONFIG_RUN;
}

static void ngc_config_help_print(FILE *f);

static ngc_config_result_t ngc_config_opt_help(ngc_config_parser_t *p, char *arg)
{
    (void)p, (void)arg;
    ngc_config_help_print(stdout);
    return NGC_CONFIG_EXIT_OK;
}

static ngc_config_result_t ngc_config_opt_version(ngc_config_parser_t *p, char *arg)
{
    (void)p, (void)arg;
    printf("ngram-count %s\n", NGC_VERSION);
    return NGC_CONFIG_EXIT_OK;
}

/*
 * Every option, once: X(ID, long name, short letter or 0, the value's name
 * in --help or NULL, how it sets its field, its --help text). The parser,
 * the getopt_long tables, the messages and --help (through help2man, the
 * man page) are all made from it. The order is the one getopt_long gets,
 * and the one "ambiguous" and "did you mean" messages list options in;
 * where each goes in --help is ngc_config_help below (one order cannot do
 * both: '--pop' suggests '--top' or '--pos', while --help tells of --pos
 * first). A new option: an entry here, a place there.
 */
#define NGC_CONFIG_OPTIONS(X)                                                                     \
    X(PROCESSES, "processes", 'p', "N", NGC_SETS_NUMBER(processes, 1, NGC_MAX_WORKERS),           \
      "worker processes (default: the online CPUs\n"                                              \
      "over the threads a worker runs, rounded up;\n"                                             \
      "one when the inputs are files of 32M or less)")                                            \
    X(THREADS, "threads", 't', "N", NGC_SETS_NUMBER(threads, 1, NGC_MAX_THREADS),                 \
      "pool threads per worker, for reading, inflating\n"                                         \
      "and mapping (default: the online CPUs shared\n"                                            \
      "among the workers that get a map task, 1 to 4:\n"                                          \
      "2 unless -p names as many workers as CPUs)")                                               \
    X(CHUNK_SIZE, "chunk-size", 'c', "SIZE",                                                      \
      NGC_CALLS(ngc_config_opt_chunk_size, required_argument),                                    \
      "bytes of a plain file per map task, at least\n"                                            \
      "64K (default 8M); a .gz file or standard input\n"                                          \
      "is always one task")                                                                       \
    X(OUTPUT, "output", 'o', "FILE", NGC_SETS_FILE(output),                                       \
      "write to FILE (gzip if it ends in .gz), created\n"                                         \
      "or replaced only when the run succeeds (through\n"                                         \
      "symbolic links); a device, FIFO or /dev/stdout\n"                                          \
      "is written as the result streams; never an input")                                         \
    X(MEMORY, "memory", 0, "SIZE", NGC_CALLS(ngc_config_opt_memory, required_argument),           \
      "size of the shared reduce table, 16M to 1T, or\n"                                          \
      "N% of the memory available (RAM, or the cgroup's\n"                                        \
      "limit when lower); default 50%, at most 1T; only\n"                                        \
      "pages in use are resident; when the ngrams outgrow it,\n"                                  \
      "partitions spill sorted runs to disk and are\n"                                            \
      "merged at the end")                                                                        \
    X(FROM_YEAR, "from-year", 0, "Y", NGC_SETS_NUMBER(from_year, 1, 9999),                        \
      "skip lines before year Y")                                                                 \
    X(TO_YEAR, "to-year", 0, "Y", NGC_SETS_NUMBER(to_year, 1, 9999),                              \
      "skip lines after year Y (both inclusive)")                                                 \
    X(MIN_COUNT, "min-count", 0, "N", NGC_SETS_NUMBER(min_count, 0, UINT64_MAX),                  \
      "print only totals of at least N")                                                          \
    X(TOP, "top", 0, "K", NGC_SETS_NUMBER(top, 1, UINT64_MAX), "print only the K most frequent")  \
    X(COUNT, "count", 0, "WHAT", NGC_SETS_NAME(count, ngc_config_count_names),                    \
      "match (default), volume, or both (prints\n"                                                \
      "'ngram TAB match TAB volume', sorted by match,\n"                                          \
      "then volume, then bytes)")                                                                 \
    X(FOLD_CASE, "fold-case", 0, NULL, NGC_SETS_FLAG(fold_case, true),                            \
      "Unicode case folding of ngrams (output is folded)")                                        \
    X(POS, "pos", 0, "MODE", NGC_SETS_NAME(pos, ngc_config_pos_names),                            \
      "part-of-speech tags such as and_CONJ:\n"                                                   \
      "keep  every string is its own ngram (default)\n"                                           \
      "drop  skip ngrams with a tagged or tag-only token\n"                                       \
      "strip count only fully tagged ngrams, tags removed,\n"                                     \
      "      so each word is counted once")                                                       \
    X(STRICT, "strict", 0, NULL, NGC_SETS_FLAG(strict, true),                                     \
      "the first malformed line is an error (with\n"                                              \
      "--reduce, also a key out of order)")                                                       \
    X(STATS, "stats", 0, "[=json]", NGC_CALLS(ngc_config_opt_stats, optional_argument),           \
      "print a summary to standard error")                                                        \
    X(PROGRESS, "progress", 0, NULL, NGC_SETS_FLAG(progress, NGC_PROGRESS_ON),                    \
      "show the progress even when standard error is\n"                                           \
      "not a terminal (then a plain line every few\n"                                             \
      "seconds); by default only on a terminal")                                                  \
    X(NO_PROGRESS, "no-progress", 0, NULL, NGC_SETS_FLAG(progress, NGC_PROGRESS_OFF),             \
      "never show the progress")                                                                  \
    X(INFLATE, "inflate", 0, "ENGINE", NGC_CALLS(ngc_config_opt_inflate, required_argument),      \
      "gzip engine: isal (Intel ISA-L, the default when\n"                                        \
      "built in) or zlib")                                                                        \
    X(MAX_RETRIES, "max-retries", 0, "N", NGC_SETS_NUMBER(max_retries, 0, 1000),                  \
      "rerun a task up to N times when its worker dies\n"                                         \
      "or stalls (default 3); a replacement worker is\n"                                          \
      "started each time")                                                                        \
    X(TASK_TIMEOUT, "task-timeout", 0, "S", NGC_SETS_NUMBER(task_timeout, 1, 86400 * 7),          \
      "kill a worker that makes no progress for S\n"                                              \
      "seconds (default 300)")                                                                    \
    X(INPUTS, "inputs", 0, "FILE", NGC_SETS_STRING(inputs_file),                                  \
      "also count the paths and URLs listed in FILE, one\n"                                       \
      "a line (blank lines and '#' lines skipped)")                                               \
    X(STALL_TIMEOUT, "stall-timeout", 0, "S", NGC_SETS_NUMBER(stall_timeout, 1, 86400),           \
      "a download that receives nothing for S seconds\n"                                          \
      "(default 60) is resumed; http(s) URLs are\n"                                               \
      "streamed, resumed from the last byte received\n"                                           \
      "(HTTP Range) after a cut, with backoff, up to\n"                                           \
      "--max-retries times in a row without progress")                                            \
    X(PG, "pg", 0, "DSN", NGC_SETS_STRING(pg_dsn),                                                \
      "load the result into PostgreSQL (a libpq connection\n"                                     \
      "string or URI; '' uses the PG* environment), in\n"                                         \
      "parallel from every worker, all or nothing; the\n"                                         \
      "file output is then written only with -o")                                                 \
    X(PG_TABLE, "pg-table", 0, "NAME", NGC_CALLS(ngc_config_opt_pg_table, required_argument),     \
      "target table (default ngram_counts), created\n"                                            \
      "if missing as (ngram text primary key,\n"                                                  \
      "match_count bigint, volume_count bigint)")                                                 \
    X(PG_MODE, "pg-mode", 0, "MODE", NGC_SETS_NAME(pg_append, ngc_config_pg_mode_names),          \
      "replace (default) or append (adds to the totals)")                                         \
    X(PG_JOBS, "pg-jobs", 0, NULL, NGC_SETS_FLAG(pg_jobs, true),                                  \
      "list the jobs recorded in table ngram_jobs")                                               \
    X(LOOKUP, "lookup", 0, "WORD", NGC_CALLS(ngc_config_opt_lookup, required_argument),           \
      "print WORD's row (repeatable); exit 1 if none found")                                      \
    X(FORMAT, "format", 0, "FORMAT", NGC_SETS_NAME(format, ngc_config_format_names),              \
      "auto (default: per file, from its first lines),\n"                                         \
      "v1 (2009: ngram year match pages volume),\n"                                               \
      "v2 (2012: ngram year match volume),\n"                                                     \
      "v3 (2020: ngram then TAB year,match,volume triples),\n"                                    \
      "or text; 2- to 5-grams separate tokens by spaces")                                         \
    X(TEXT, "text", 0, NULL, NGC_SETS_FLAG(format, NGC_FORMAT_TEXT),                              \
      "same as --format text: each line is a sentence")                                           \
    X(ORDER, "order", 0, "N", NGC_SETS_NUMBER(order, 1, NGC_ORDER_MAX),                           \
      "count every 1..N-gram (1..9, default 3)")                                                  \
    X(ONLY_ORDER, "only-order", 0, NULL, NGC_SETS_FLAG(only_order, true),                         \
      "count only the N-grams")                                                                   \
    X(SENTENCE_MARKERS, "sentence-markers", 0, NULL, NGC_SETS_FLAG(sentence_markers, true),       \
      "count '<s> w1 ... wk </s>' per line, as SRILM")                                            \
    X(TOKENIZE, "tokenize", 0, "HOW", NGC_SETS_NAME(tokenize, ngc_config_tokenize_names),         \
      "space: split on ASCII whitespace (default);\n"                                             \
      "words: Unicode letters/digits apart from\n"                                                \
      "punctuation, each punctuation mark a token")                                               \
    X(SORT, "sort", 0, "ORDER", NGC_SETS_NAME(sort, ngc_config_sort_names),                       \
      "count (default: most frequent first) or ngram\n"                                           \
      "(byte order, as LC_ALL=C sort)")                                                           \
    X(NORMALIZE, "normalize", 0, "FILE", NGC_SETS_FILE(normalize),                                \
      "print occurrences per million words (percent of\n"                                         \
      "books for --count volume) of the years counted,\n"                                         \
      "using Google's totalcounts FILE (2012, 2020: one\n"                                        \
      "line of year,match,pages,volume tuples; 2009: a\n"                                         \
      "'#' line, then year TAB match TAB pages TAB\n"                                             \
      "volume rows), 17 digits; with --pg also two\n"                                             \
      "double precision columns")                                                                 \
    X(TMP_DIR, "tmp-dir", 0, "DIR", NGC_SETS_DIR(tmp_dir),                                        \
      "where spilled runs go (default $TMPDIR or /tmp);\n"                                        \
      "only used if the job spills; removed at the end,\n"                                        \
      "also on failure or ^C (after a kill -9, by the\n"                                          \
      "next job)")                                                                                \
    X(MAP, "map", 0, NULL, NGC_SETS_FLAG(stream, NGC_STREAM_MAP),                                 \
      "the mapper: parse and filter lines (--format and\n"                                        \
      "the options above apply), combine in memory,\n"                                            \
      "flush when the table is full")                                                             \
    X(REDUCE, "reduce", 0, NULL, NGC_SETS_FLAG(stream, NGC_STREAM_REDUCE),                        \
      "the reducer (or combiner): sum the counts of\n"                                            \
      "consecutive equal keys of key-sorted input\n"                                              \
      "(--min-count applies: use it in the reducer only)")                                        \
    X(BY_YEAR, "by-year", 0, NULL, NGC_SETS_FLAG(by_year, true),                                  \
      "one row per ngram and year: 'ngram TAB year TAB\n"                                         \
      "count' (the year as 4 digits: 0850 for 850);\n"                                            \
      "default --sort ngram (count with --top); --pg\n"                                           \
      "loads a table with a year column (default\n"                                               \
      "ngram_year_counts)")                                                                       \
    X(SELECT, "select", 0, "LIST", NGC_CALLS(ngc_config_opt_select, required_argument),           \
      "count only these ngrams (comma-separated,\n"                                               \
      "repeatable), matched after --fold-case and --pos\n"                                        \
      "as the counted ngrams are; a token '*' matches any\n"                                      \
      "one token ('University of *'), each match counted\n"                                       \
      "as itself")                                                                                \
    X(SELECT_FILE, "select-file", 0, "FILE",                                                      \
      NGC_CALLS(ngc_config_opt_select_file, required_argument),                                   \
      "the same, one ngram per line (blank lines\n"                                               \
      "ignored; an ngram with a comma goes here)\n"                                               \
      "Lines of other ngrams are skipped unread (not\n"                                           \
      "checked for malformed fields); nothing matched:\n"                                         \
      "empty output and a note on standard error")                                                \
    X(OUTPUT_FORMAT, "output-format", 0, "F", NGC_SETS_NAME(out_format, ngc_config_outfmt_names), \
      "tsv (default), csv (RFC 4180: a header row,\n"                                             \
      "fields quoted when they hold '\"', ',', CR or LF;\n"                                       \
      "LF line ends) or jsonl (one JSON object a line,\n"                                         \
      "typed fields; --map/--reduce stay TSV)")                                                   \
    X(SMOOTHING, "smoothing", 0, "N", NGC_SETS_NUMBER(smoothing, 0, NGC_SMOOTHING_MAX),           \
      "the mean of the years y-N..y+N that lie in the\n"                                          \
      "range (fewer at its ends), 0..100; 17 digits")                                             \
    X(PLOT, "plot", 0, "FILE", NGC_CALLS(ngc_config_opt_plot, required_argument),                 \
      "draw the series into FILE.svg or FILE.png (PNG\n"                                          \
      "when built with cairo): one line per ngram")                                               \
    X(PARTITIONS, "partitions", 0, "R", NGC_SETS_NUMBER(partitions, 1, NGC_PARTITIONS_MAX),       \
      "a map: count FILEs, then write the totals as R")                                           \
    X(PARTITION_DIR, "partition-dir", 0, "DIR", NGC_SETS_DIR(partition_dir),                      \
      "key-sorted partition files (by a hash of the\n"                                            \
      "key) in the new directory DIR, complete or absent;\n"                                      \
      "--min-count, --top, --sort and output options wait\n"                                      \
      "for the later steps")                                                                      \
    X(MERGE_PARTITIONS, "merge-partitions", 0, "DIR", NGC_SETS_DIR(merge_partitions),             \
      "a reduce: sum partition --partition r of")                                                 \
    X(PARTITION, "partition", 0, "r", NGC_SETS_NUMBER(partition, 0, NGC_PARTITIONS_MAX - 1),      \
      "every map directory in DIR (--min-count applies)\n"                                        \
      "into the run file -o, complete or absent")                                                 \
    X(MERGE_TOTALS, "merge-totals", 0, "DIR", NGC_SETS_DIR(merge_totals),                         \
      "the final step: print the reduces' run files\n"                                            \
      "in DIR as one run over all FILEs would (FILEs,\n"                                          \
      "if given, are only named in the --plot title);\n"                                          \
      "--pg loads them (maps and reduces refuse it)")                                             \
    X(VERBOSE, "verbose", 'v', NULL, NGC_CALLS(ngc_config_opt_verbose, no_argument),              \
      "log the engine's steps (twice: debug)")                                                    \
    X(HELP, "help", 'h', NULL, NGC_CALLS(ngc_config_opt_help, no_argument), "this help")          \
    X(VERSION, "version", 'V', NULL, NGC_CALLS(ngc_config_opt_version, no_argument), "the version")

#define NGC_CONFIG_ID(id, ...) NGC_OPT_##id,
enum { NGC_CONFIG_OPTIONS(NGC_CONFIG_ID) NGC_CONFIG_NOPTS };
_Static_assert(NGC_CONFIG_NOPTS <= 64, "ngc_config_t.given has one bit per option");

#define NGC_CONFIG_ENTRY(id, long_name, short_letter, value_name, sets, text) \
    [NGC_OPT_##id] = {.name = (long_name),                                    \
                      .letter = (short_letter),                               \
                      .metavar = (value_name),                                \
                      sets,                                                   \
                      .help = (text)},
static const ngc_config_option_t ngc_config_options[] = {NGC_CONFIG_OPTIONS(NGC_CONFIG_ENTRY)};

static bool ngc_config_given(const ngc_config_t *cfg, unsigned id)
{
    return (cfg->given >> id) & 1;
}

void ngc_config_resolve_workers(ngc_config_t *cfg, unsigned ntasks, uint64_t input_bytes)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (!ngc_config_given(cfg, NGC_OPT_PROCESSES)) {
        /* A worker's threads share its page tables, so a page of the
         * shared table costs one fault per worker that touches it, not one
         * per thread: each worker runs NGC_DEFAULT_THREADS (2 CPUs, 20 M
         * keys: 6.36 -> 5.66 s; raw text 9.67 -> 8.29 s). One worker's
         * threads map, sort and write a small job as fast as two workers
         * do (measured up to 64 MiB), and each worker is a process to
         * start and stop. */
        unsigned per = cfg->threads != 0 ? cfg->threads : NGC_DEFAULT_THREADS;
        unsigned long want = cpus > 0 ? ((unsigned long)cpus + per - 1) / per : 1;
        cfg->processes = input_bytes <= NGC_SMALL_JOB ? 1
                         : want > NGC_MAX_WORKERS     ? NGC_MAX_WORKERS
                                                      : (unsigned)want;
    }
    if (cfg->threads != 0)
        return;
    /* More threads than cores only trade cache for context switches; a
     * worker with a lone .gz stream uses two (inflate, parse). */
    unsigned busy = ntasks < cfg->processes ? ntasks : cfg->processes;
    unsigned t = cpus > 0 && busy > 0 ? (unsigned)(((unsigned long)cpus + busy - 1) / busy) : 1;
    cfg->threads = t < 1 ? 1 : t > 4 ? 4 : t;
}

/* --- --help ------------------------------------------------------------- */

/* One piece of --help: text, or an option's entry (with other text than its
 * own where an option is told of twice). */
typedef struct {
    const char *text; /* printed as it is, NULL for an option */
    int opt;          /* NGC_OPT_*, -1 for text */
    const char *help; /* the option's text here, NULL for the table's */
} ngc_config_help_t;

#define NGC_HELP_TEXT(s) \
    {                    \
        (s), -1, NULL    \
    }
#define NGC_HELP_OPTION(id)      \
    {                            \
        NULL, NGC_OPT_##id, NULL \
    }
#define NGC_HELP_AGAIN(id, s)   \
    {                           \
        NULL, NGC_OPT_##id, (s) \
    }

/* --help, top to bottom: every option of the table has its place here. */
static const ngc_config_help_t ngc_config_help[] = {
    NGC_HELP_TEXT(
        "Usage: ngram-count [options] FILE...\n"
        "  or:  ngram-count --text [--order N] [text options] FILE...\n"
        "\n"
        "Totals the match counts of every ngram in Google Books Ngram files of\n"
        "any release and order, or counts the n-grams of raw text, the MapReduce\n"
        "way: a coordinator splits the files into tasks, worker processes map them\n"
        "with thread pools, and merge their totals in shared memory.\n"
        "FILEs may be plain or compressed (gzip; zip, every member in order; bzip2,\n"
        "xz, zstd: told by content), or http(s) URLs (streamed, resumed after a\n"
        "cut), in any mix; '-' reads standard input.\n"
        "A pipe (FIFO, /dev/stdin, <(...)) is read once: name it only once.\n"
        "Prints 'ngram TAB total' lines, most frequent first, ties in byte order.\n"
        "\n"
        "Examples:\n"
        "  $ ngram-count googlebooks-eng-all-1gram-20120701-a.gz | head\n"
        "  $ ngram-count -p 4 -t 2 --top 100 --pos strip -o top.tsv 1gram-*.gz\n"
        "  $ zcat part.gz | ngram-count --from-year 1900 --to-year 1999 -\n"
        "  $ ngram-count --normalize totalcounts-1 --top 20 1-00000-of-00024.gz\n"
        "  $ ngram-count --by-year --select 'Sherlock Holmes,Frankenstein' --from-year 1800 \\\n"
        "      --normalize totalcounts-1 --smoothing 3 --plot holmes.svg 2-*.gz\n"
        "  $ ngram-count --text --order 3 --sentence-markers corpus.txt > corpus.counts\n"
        "  $ ngram-count --pg 'postgresql://me@localhost/books' 1gram-*.gz\n"
        "  $ ngram-count --pg 'postgresql://me@localhost/books' --lookup aardvark\n"
        "\n"
        "Parallelism:\n"),
    NGC_HELP_OPTION(PROCESSES),
    NGC_HELP_OPTION(THREADS),
    NGC_HELP_OPTION(CHUNK_SIZE),
    NGC_HELP_OPTION(MEMORY),
    NGC_HELP_OPTION(TMP_DIR),
    NGC_HELP_OPTION(MAX_RETRIES),
    NGC_HELP_OPTION(TASK_TIMEOUT),
    NGC_HELP_OPTION(INPUTS),
    NGC_HELP_OPTION(STALL_TIMEOUT),
    NGC_HELP_TEXT("\n"
                  "Input:\n"),
    NGC_HELP_OPTION(FORMAT),
    NGC_HELP_TEXT("\n"
                  "Raw text (SRILM-style counts, 'w1 w2 ... wn TAB count'):\n"),
    NGC_HELP_OPTION(TEXT),
    NGC_HELP_OPTION(ORDER),
    NGC_HELP_OPTION(ONLY_ORDER),
    NGC_HELP_OPTION(SENTENCE_MARKERS),
    NGC_HELP_OPTION(TOKENIZE),
    NGC_HELP_TEXT("\n"
                  "What to count:\n"),
    NGC_HELP_OPTION(COUNT),
    NGC_HELP_OPTION(FROM_YEAR),
    NGC_HELP_OPTION(TO_YEAR),
    NGC_HELP_OPTION(POS),
    NGC_HELP_OPTION(FOLD_CASE),
    NGC_HELP_OPTION(MIN_COUNT),
    NGC_HELP_OPTION(TOP),
    NGC_HELP_OPTION(SORT),
    NGC_HELP_OPTION(NORMALIZE),
    NGC_HELP_TEXT("\n"
                  "Year by year and selections:\n"),
    NGC_HELP_OPTION(BY_YEAR),
    NGC_HELP_OPTION(SELECT),
    NGC_HELP_OPTION(SELECT_FILE),
    NGC_HELP_TEXT("\n"
                  "Year series, as the Ngram Viewer draws them (--by-year with --select,\n"
                  "--select-file, --normalize, --smoothing or --plot): each ngram gets every\n"
                  "year from --from-year (or the first year seen) to --to-year (or the last),\n"
                  "0 where it has no count; rows 'ngram TAB year TAB value', in ngram order:\n"),
    NGC_HELP_AGAIN(NORMALIZE, "with --by-year: each year's count in percent of\n"
                              "that year's total in Google's totalcounts FILE\n"
                              "(words; books for --count volume), 17 digits;\n"
                              "a year with a count and no total is an error"),
    NGC_HELP_OPTION(SMOOTHING),
    NGC_HELP_OPTION(PLOT),
    NGC_HELP_TEXT("\n"
                  "PostgreSQL (libpq):\n"),
    NGC_HELP_OPTION(PG),
    NGC_HELP_OPTION(PG_TABLE),
    NGC_HELP_OPTION(PG_MODE),
    NGC_HELP_OPTION(PG_JOBS),
    NGC_HELP_OPTION(LOOKUP),
    NGC_HELP_TEXT("\n"
                  "Hadoop Streaming (one part of a MapReduce job run by Hadoop; reads\n"
                  "standard input, writes 'key TAB count' lines to standard output):\n"),
    NGC_HELP_OPTION(MAP),
    NGC_HELP_OPTION(REDUCE),
    NGC_HELP_TEXT("\n"
                  "Slurm job arrays (tools/slurm-count runs them; files on shared storage):\n"),
    NGC_HELP_OPTION(PARTITIONS),
    NGC_HELP_OPTION(PARTITION_DIR),
    NGC_HELP_OPTION(MERGE_PARTITIONS),
    NGC_HELP_OPTION(PARTITION),
    NGC_HELP_OPTION(MERGE_TOTALS),
    NGC_HELP_TEXT("\n"
                  "Output and reporting:\n"),
    NGC_HELP_OPTION(OUTPUT),
    NGC_HELP_OPTION(OUTPUT_FORMAT),
    NGC_HELP_OPTION(STRICT),
    NGC_HELP_OPTION(STATS),
    NGC_HELP_OPTION(INFLATE),
    NGC_HELP_OPTION(PROGRESS),
    NGC_HELP_OPTION(NO_PROGRESS),
    NGC_HELP_OPTION(VERBOSE),
    NGC_HELP_OPTION(HELP),
    NGC_HELP_OPTION(VERSION),
    NGC_HELP_TEXT("\n"
                  "SIZE is a number of bytes, or one with K, M, G, T, P or E (powers of\n"
                  "1024), optionally followed by B or iB: 64K, 8MiB, 1T.\n"
                  "Malformed lines (wrong field count, non-numeric or negative count, year\n"
                  "outside 1..9999, longer than 1 MiB; in text, invalid UTF-8 with\n"
                  "--tokenize words) are skipped and counted; --stats names the first few\n"
                  "as FILE:LINE. A non-empty file of which no line could be read is an error.\n"
                  "\n"
                  "Exit status: 0 success; 1 the run failed (unreadable or corrupt input,\n"
                  "a format that cannot be told, a file with no readable line, --strict\n"
                  "and a malformed line, a counted total over 2^64-1, a full disk while\n"
                  "spilling, output not writable, a worker died, -o names an input); 2\n"
                  "bad usage (also a pipe named twice, a --memory that cannot be mapped);\n"
                  "129 hangup (SIGHUP); 130 interrupted (SIGINT); 143 terminated (SIGTERM);\n"
                  "138/140 SIGUSR1/SIGUSR2; 141 the reader of the output went away. A\n"
                  "failed or stopped run writes no output file; output already streamed is\n"
                  "reported as incomplete.\n"),
};

/* The column where the options' text starts; a longer name and value is
 * followed by two spaces, as help2man wants to tell them apart. */
#define NGC_CONFIG_HELP_COLUMN 24

static void ngc_config_help_option(FILE *f, const ngc_config_option_t *o, const char *text)
{
    char label[64];
    int n = o->letter != 0 ? snprintf(label, sizeof(label), "  -%c, --%s", o->letter, o->name)
                           : snprintf(label, sizeof(label), "      --%s", o->name);
    if (o->metavar != NULL)
        n += snprintf(label + n, sizeof(label) - (size_t)n, "%s%s",
                      o->arg == optional_argument ? "" : " ", o->metavar);
    int pad = n + 2 <= NGC_CONFIG_HELP_COLUMN ? NGC_CONFIG_HELP_COLUMN - n : 2;
    fprintf(f, "%s%*s", label, pad, "");
    for (;;) {
        const char *nl = strchr(text, '\n');
        if (nl == NULL)
            break;
        fprintf(f, "%.*s\n%*s", (int)(nl - text), text, NGC_CONFIG_HELP_COLUMN, "");
        text = nl + 1;
    }
    fprintf(f, "%s\n", text);
}

static void ngc_config_help_print(FILE *f)
{
    bool told[NGC_CONFIG_NOPTS] = {false};
    for (size_t i = 0; i < NGC_NELEMS(ngc_config_help); i++) {
        const ngc_config_help_t *h = &ngc_config_help[i];
        if (h->text != NULL) {
            fputs(h->text, f);
            continue;
        }
        const ngc_config_option_t *o = &ngc_config_options[h->opt];
        ngc_config_help_option(f, o, h->help != NULL ? h->help : o->help);
        told[h->opt] = true;
    }
    for (unsigned id = 0; id < NGC_CONFIG_NOPTS; id++)
        ngc_assert(told[id]);
}

/* --- parsing ------------------------------------------------------------ */

/* Stores v in o's field, whatever its width. */
static void ngc_config_store(ngc_config_t *cfg, const ngc_config_option_t *o, uint64_t v)
{
    char *at = (char *)cfg + o->off;
    if (o->size == sizeof(uint8_t)) {
        uint8_t b = (uint8_t)v;
        memcpy(at, &b, sizeof(b));
    } else if (o->size == sizeof(uint32_t)) {
        uint32_t w = (uint32_t)v;
        memcpy(at, &w, sizeof(w));
    } else {
        ngc_assert(o->size == sizeof(uint64_t));
        memcpy(at, &v, sizeof(v));
    }
}

/* One option and its value (NULL for none). */
static ngc_config_result_t ngc_config_apply(ngc_config_parser_t *p, unsigned id, char *arg)
{
    const ngc_config_option_t *o = &ngc_config_options[id];
    char opt[32], why[96];
    uint64_t v = o->lo;
    int named;
    snprintf(opt, sizeof(opt), "--%s", o->name);
    p->cfg->given |= 1ull << id;
    switch (o->kind) {
    case NGC_CONFIG_FLAG:
        break;
    case NGC_CONFIG_NUMBER:
        if (ngc_config_number(opt, arg, o->lo, o->hi, &v))
            return NGC_CONFIG_USAGE;
        break;
    case NGC_CONFIG_NAME:
        if (ngc_config_name_value(o->names, arg, &named) != NGC_OK) {
            ngc_config_name_expected(o->names, why, sizeof(why));
            ngc_config_bad(opt, arg, why);
            return NGC_CONFIG_USAGE;
        }
        v = (uint64_t)named;
        break;
    case NGC_CONFIG_PATH:
        if (*arg == '\0') {
            ngc_config_bad(opt, arg, o->why);
            return NGC_CONFIG_USAGE;
        }
        /* fall through */
    case NGC_CONFIG_STRING:
        ngc_assert(o->size == sizeof(arg));
        memcpy((char *)p->cfg + o->off, &arg, sizeof(arg));
        return NGC_CONFIG_RUN;
    case NGC_CONFIG_CALL:
        return o->call(p, arg);
    }
    ngc_config_store(p->cfg, o, v);
    return NGC_CONFIG_RUN;
}

/*
 * getopt_long's tables, from ngc_config_options: a long option returns
 * 256 + its id, a short one its letter. shortopts has room for
 * 2 + 3 * NGC_CONFIG_NOPTS bytes.
 */
static void ngc_config_getopt_tables(struct option *longopts, char *shortopts)
{
    size_t n = 0;
    shortopts[n++] = ':'; /* a missing value returns ':' */
    for (unsigned id = 0; id < NGC_CONFIG_NOPTS; id++) {
        const ngc_config_option_t *o = &ngc_config_options[id];
        longopts[id] = (struct option){o->name, o->arg, NULL, 256 + (int)id};
        if (o->letter == 0)
            continue;
        shortopts[n++] = o->letter;
        for (int k = 0; k < o->arg; k++) /* ':' required, "::" optional */
            shortopts[n++] = ':';
    }
    longopts[NGC_CONFIG_NOPTS] = (struct option){NULL, 0, NULL, 0};
    shortopts[n] = '\0';
}

/* The option getopt_long returned c for, or -1 for none. */
static int ngc_config_id(int c)
{
    if (c >= 256)
        return c - 256;
    for (unsigned id = 0; id < NGC_CONFIG_NOPTS; id++)
        if (ngc_config_options[id].letter == c)
            return (int)id;
    return -1;
}

/*
 * An unknown long option: an abbreviation of several (getopt_long refuses
 * those) lists them; otherwise the closest long options by edit distance,
 * when one is close enough to be a slip, are suggested.
 */
static void ngc_config_unknown(const char *arg)
{
    char name[48];
    const char *eq = strchr(arg, '=');
    size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
    if (len < 3 || arg[0] != '-' || arg[1] != '-' || len - 2 >= sizeof(name)) {
        fprintf(stderr, "ngram-count: unknown option '%s'\n%s", arg, ngc_config_usage);
        return;
    }
    memcpy(name, arg + 2, len - 2);
    name[len - 2] = '\0';
    char list[512] = "";
    size_t nl = 0;
    unsigned prefixed = 0;
    for (unsigned id = 0; id < NGC_CONFIG_NOPTS; id++) {
        const char *o = ngc_config_options[id].name;
        if (strncmp(o, name, len - 2) == 0) {
            prefixed++;
            nl += (size_t)snprintf(list + nl, nl < sizeof(list) ? sizeof(list) - nl : 0, " '--%s'",
                                   o);
        }
    }
    if (prefixed > 1 && nl < sizeof(list)) {
        fprintf(stderr, "ngram-count: option '--%s' is ambiguous; possibilities:%s\n%s", name, list,
                ngc_config_usage);
        return;
    }
    size_t best = SIZE_MAX;
    for (unsigned id = 0; id < NGC_CONFIG_NOPTS; id++) {
        size_t d = ngc_config_distance(name, ngc_config_options[id].name);
        if (d < best)
            best = d;
    }
    /* A slip: 1 edit in a short name, 2 in a longer one. */
    size_t slip = len - 2 <= 4 ? 1 : 2;
    if (best > slip) {
        fprintf(stderr, "ngram-count: unknown option '--%s'\n%s", name, ngc_config_usage);
        return;
    }
    nl = 0;
    list[0] = '\0';
    unsigned n = 0;
    for (unsigned id = 0; id < NGC_CONFIG_NOPTS && n < 3; id++) {
        const char *o = ngc_config_options[id].name;
        if (ngc_config_distance(name, o) != best)
            continue;
        nl += (size_t)snprintf(list + nl, nl < sizeof(list) ? sizeof(list) - nl : 0, "%s'--%s'",
                               n == 0 ? "" : " or ", o);
        n++;
    }
    fprintf(stderr, "ngram-count: unknown option '--%s'; did you mean %s?\n%s", name, list,
            ngc_config_usage);
}

/* What getopt_long refused: arg (the word it stopped at) is an unknown
 * short option, a flag given a value, or an unknown long option. */
static void ngc_config_refuse(const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (optopt > 0 && optopt < 256 && arg[1] != '-')
        fprintf(stderr, "ngram-count: unknown option '-%c'\n%s", optopt, ngc_config_usage);
    else if (optopt != 0 && eq != NULL)
        fprintf(stderr, "ngram-count: option '%.*s' takes no value\n%s", (int)(eq - arg), arg,
                ngc_config_usage);
    else
        ngc_config_unknown(arg);
}

/* --- the rules between options ------------------------------------------ */

/* What --text, --by-year and --select cannot be combined with, or NULL. */
static const char *ngc_config_text_clash(const ngc_config_t *cfg)
{
    if (cfg->format == NGC_FORMAT_TEXT) {
        if (ngc_config_given(cfg, NGC_OPT_FROM_YEAR) || ngc_config_given(cfg, NGC_OPT_TO_YEAR))
            return "--text has no years: --from-year and --to-year do not apply";
        if (ngc_config_given(cfg, NGC_OPT_POS))
            return "--text has no part-of-speech tags: --pos does not apply";
        if (cfg->count != NGC_COUNT_MATCH)
            return "--text counts occurrences only: --count volume/both do not apply";
        if (cfg->normalize != NULL)
            return "--normalize needs Google's per-year totals, which --text does not have";
    } else if (ngc_config_given(cfg, NGC_OPT_ORDER) || ngc_config_given(cfg, NGC_OPT_ONLY_ORDER) ||
               ngc_config_given(cfg, NGC_OPT_SENTENCE_MARKERS) ||
               ngc_config_given(cfg, NGC_OPT_TOKENIZE)) {
        return "--order, --only-order, --sentence-markers and --tokenize need --text";
    }
    if (cfg->by_year && cfg->format == NGC_FORMAT_TEXT)
        return "--by-year needs Google Books files: --text has no years";
    if (cfg->nselects > 0 && cfg->format == NGC_FORMAT_TEXT)
        return "--select and --select-file pick ngrams of Google Books files, not of --text";
    if (cfg->nselects > 0 && cfg->stream == NGC_STREAM_REDUCE)
        return "--select and --select-file apply to the mapper (--map), not to --reduce";
    return NULL;
}

/* What the output's order, Hadoop Streaming, year series and --pg cannot
 * be combined with, or NULL. */
static const char *ngc_config_output_clash(const ngc_config_t *cfg)
{
    bool stream = cfg->stream != NGC_STREAM_NONE;
    bool series = ngc_config_given(cfg, NGC_OPT_SMOOTHING) || cfg->plot != NULL;
    if (cfg->top != 0 && cfg->sort == NGC_SORT_NGRAM)
        return "--top picks the most frequent: it cannot be used with --sort ngram";
    if (stream && (cfg->pg_dsn != NULL || cfg->normalize != NULL || cfg->top != 0 ||
                   cfg->sort != NGC_SORT_COUNT || cfg->output != NULL))
        return "--map and --reduce read standard input and write standard output, in key order:"
               " --pg, --normalize, --top, --sort and -o do not apply";
    if (stream && cfg->out_format != NGC_OUTFMT_TSV)
        return "--map and --reduce speak Hadoop Streaming's 'key TAB value' lines: "
               "--output-format csv and jsonl do not apply";
    if (series && !cfg->by_year)
        return "--smoothing and --plot draw year-by-year series: they need --by-year";
    if (series && cfg->pg_dsn != NULL)
        return "--smoothing and --plot make a series of the output: they cannot be used with --pg";
    if (cfg->normalize != NULL && cfg->pg_dsn != NULL && cfg->pg_append)
        return "--normalize with --pg-mode append would mix the totals of several jobs in one "
               "table: load with --pg-mode replace, or divide in SQL";
    if (cfg->normalize != NULL && cfg->pg_dsn != NULL && cfg->by_year)
        return "--normalize with --by-year makes a series, which --pg does not load: load the "
               "counts and divide by each year's total in SQL";
    return NULL;
}

/* What the Slurm steps' options do not allow, or NULL. */
static const char *ngc_config_shuffle_clash(const ngc_config_t *cfg)
{
    int modes = (cfg->partitions > 0 || cfg->partition_dir != NULL) +
                (cfg->merge_partitions != NULL || cfg->partition >= 0) +
                (cfg->merge_totals != NULL) + (cfg->stream != NGC_STREAM_NONE);
    if (modes == 0)
        return NULL;
    if (modes > 1)
        return "--partitions, --merge-partitions, --merge-totals, --map and --reduce are"
               " different steps: give one";
    if ((cfg->partitions > 0) != (cfg->partition_dir != NULL))
        return "--partitions and --partition-dir go together (a map)";
    if ((cfg->merge_partitions != NULL) != (cfg->partition >= 0))
        return "--merge-partitions and --partition go together (a reduce)";
    if (cfg->pg_dsn != NULL && cfg->stream == NGC_STREAM_NONE && cfg->merge_totals == NULL)
        return "--pg loads the final step's result: give it to --merge-totals, not to a map"
               " or a reduce";
    if (cfg->partitions > 0 && cfg->output != NULL)
        return "a map (--partitions) writes --partition-dir: -o does not apply";
    if (cfg->merge_partitions != NULL && cfg->output == NULL)
        return "a reduce (--merge-partitions) needs -o FILE for its run file";
    if (cfg->merge_partitions != NULL && cfg->ninputs > 0)
        return "--merge-partitions reads its directory: no input files";
    return NULL;
}

/* What the --pg queries and the FILE operands (cfg->ninputs of them) need,
 * or NULL. */
static const char *ngc_config_inputs_clash(const ngc_config_t *cfg)
{
    bool query = cfg->pg_jobs || cfg->nlookups > 0;
    if ((query || cfg->pg_table != NULL || cfg->pg_append) && cfg->pg_dsn == NULL)
        return "--pg-table, --pg-mode, --pg-jobs and --lookup need --pg DSN"
               " ('' for the PG* environment)";
    if (query)
        return cfg->ninputs > 0 ? "--lookup and --pg-jobs take no input files" : NULL;
    /* The final step's FILEs are only named (a --plot title), and may be none. */
    if (cfg->merge_partitions != NULL || cfg->merge_totals != NULL)
        return NULL;
    if (cfg->stream != NGC_STREAM_NONE)
        return cfg->ninputs > 0 ? "--map and --reduce read standard input, not files" : NULL;
    if (cfg->inputs_file != NULL)
        return NULL;
    if (cfg->ninputs == 0)
        return "no input files";
    unsigned stdin_uses = 0;
    for (unsigned i = 0; i < cfg->ninputs; i++)
        stdin_uses += strcmp(cfg->inputs[i], "-") == 0;
    if (stdin_uses > 1)
        return "standard input ('-') given more than once";
    return NULL;
}

/* ngc_config_check's answer for options this build does not have: no
 * usage hint follows it. */
#define NGC_CONFIG_UNBUILT (-6)

/*
 * Every rule between options, and between options and the FILE operands
 * (cfg->inputs), on what the command line gave (before the defaults that
 * depend on other options): NGC_OK, or NGC_ERROR with the message in err
 * (the usage hint follows it), or NGC_CONFIG_UNBUILT. When several rules
 * are broken, the first one here is told.
 */
static int ngc_config_check(const ngc_config_t *cfg, char *err, size_t errlen)
{
    const char *why = NULL;
    if (ngc_config_given(cfg, NGC_OPT_MAP) && ngc_config_given(cfg, NGC_OPT_REDUCE))
        why = "--map and --reduce are two different parts; give one";
    if (why == NULL && cfg->from_year > cfg->to_year) {
        snprintf(err, errlen, "--from-year %u is after --to-year %u", cfg->from_year, cfg->to_year);
        return NGC_ERROR;
    }
    if (why == NULL)
        why = ngc_config_text_clash(cfg);
    if (why == NULL)
        why = ngc_config_output_clash(cfg);
    if (why == NULL)
        why = ngc_config_shuffle_clash(cfg);
#ifndef NGC_HAVE_PG
    if (why == NULL && (cfg->pg_dsn != NULL || cfg->pg_jobs || cfg->nlookups > 0 ||
                        cfg->pg_table != NULL || cfg->pg_append)) {
        snprintf(err, errlen,
                 "--pg, --pg-table, --pg-mode, --pg-jobs and --lookup: this"
                 " ngram-count was built without PostgreSQL support (rebuild with"
                 " libpq installed and -DNGC_WITH_PG=ON)");
        return NGC_CONFIG_UNBUILT;
    }
#endif
    if (why == NULL)
        why = ngc_config_inputs_clash(cfg);
    if (why == NULL)
        return NGC_OK;
    snprintf(err, errlen, "%s", why);
    return NGC_ERROR;
}

/*
 * Once the rules hold: the defaults that depend on other options, then the
 * inputs (--inputs FILE read, a pipe named twice refused).
 */
static ngc_config_result_t ngc_config_finish(ngc_config_t *cfg)
{
    /* Series read best in ngram order; --top still wants the largest. */
    if (cfg->by_year && !ngc_config_given(cfg, NGC_OPT_SORT) && cfg->top == 0 &&
        cfg->stream == NGC_STREAM_NONE)
        cfg->sort = NGC_SORT_NGRAM;
    if (cfg->pg_table == NULL)
        cfg->pg_table = cfg->by_year ? "ngram_year_counts" : "ngram_counts";
    if (cfg->pg_jobs || cfg->nlookups > 0)
        return NGC_CONFIG_RUN;
    if (cfg->partitions > 0) {
        /* A map's totals go out whole, in key order: the reduce and the
         * final step filter and order them. */
        cfg->sort = NGC_SORT_NGRAM;
        cfg->min_count = 0;
        cfg->top = 0;
    }
    if (cfg->tmp_dir == NULL)
        cfg->tmp_dir = ngc_config_default_tmp();
    if (cfg->merge_partitions != NULL || cfg->merge_totals != NULL)
        return NGC_CONFIG_RUN;
    if (cfg->stream != NGC_STREAM_NONE) {
        /* A mapper's combiner: --memory, or a size that suits a task slot. */
        if (!ngc_config_given(cfg, NGC_OPT_MEMORY))
            cfg->memory = NGC_STREAM_MAP_MEMORY;
        return NGC_CONFIG_RUN;
    }
    if (cfg->inputs_file != NULL)
        return ngc_config_inputs_file(cfg, cfg->inputs_file, cfg->inputs, cfg->ninputs);
    return ngc_config_check_repeats(cfg);
}

static void ngc_config_defaults(ngc_config_t *cfg)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *cfg = (ngc_config_t){
        .processes = cpus > 0 ? (unsigned)(cpus < NGC_MAX_WORKERS ? cpus : NGC_MAX_WORKERS) : 1,
        .threads = 0,
        .chunk_size = 8u << 20,
        .memory = ngc_config_default_memory(),
        .from_year = 1,
        .to_year = 9999,
        .min_count = 0,
        .count = NGC_COUNT_MATCH,
        .pos = NGC_POS_KEEP,
        .stats = NGC_STATS_NONE,
        .progress = NGC_PROGRESS_AUTO,
        .max_retries = 3,
        .task_timeout = 300,
        .stall_timeout = 60,
        .order = 3,
        .partition = -1,
    };
}

ngc_config_result_t ngc_config_parse(ngc_config_t *cfg, int argc, char **argv)
{
    struct option longopts[NGC_CONFIG_NOPTS + 1];
    char shortopts[2 + 3 * NGC_CONFIG_NOPTS];
    ngc_config_parser_t p = {.cfg = cfg, .argc = argc};
    int c;
    ngc_config_defaults(cfg);
    ngc_config_getopt_tables(longopts, shortopts);
    opterr = 0;
    optind = 0; /* 0, not 1: also forgets a half-read "-abc" cluster */
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == ':') {
            fprintf(stderr, "ngram-count: option '%s' needs a value\n%s", argv[optind - 1],
                    ngc_config_usage);
            return NGC_CONFIG_USAGE;
        }
        int id = ngc_config_id(c);
        if (id < 0) {
            ngc_config_refuse(argv[optind - 1]);
            return NGC_CONFIG_USAGE;
        }
        ngc_config_result_t rc = ngc_config_apply(&p, (unsigned)id, optarg);
        if (rc != NGC_CONFIG_RUN)
            return rc;
    }
    cfg->inputs = argv + optind;
    cfg->ninputs = (unsigned)(argc - optind);
    cfg->smoothing_set = ngc_config_given(cfg, NGC_OPT_SMOOTHING);
    char err[512];
    int rc = ngc_config_check(cfg, err, sizeof(err));
    if (rc != NGC_OK) {
        fprintf(stderr, "ngram-count: %s\n%s", err,
                rc == NGC_CONFIG_UNBUILT ? "" : ngc_config_usage);
        return NGC_CONFIG_USAGE;
    }
    return ngc_config_finish(cfg);
}
