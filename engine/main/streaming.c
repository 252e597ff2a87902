/*
 * streaming.c: --map and --reduce, standard input to standard output in one
 * thread. The mapper is the engine's map function (parse.h, text.h) over a
 * combiner table of --memory bytes: whenever it fills, its entries are
 * written out and it starts empty (Hadoop's sort brings the pieces of a key
 * together again). The reducer sums runs of equal keys in one pass, with no
 * allocation per line; only a run still open at a buffer's end is copied.
 * Counters go to Hadoop as increments, so their sums are exact.
 */
#include "engine/base/ngc.h"
#include "engine/main/streaming.h"
#include "workers/format.h"
#include "engine/base/log.h"
#include "engine/base/digits.h"
#include "workers/combiner.h"
#include "workers/lines.h"
#include "workers/parse.h"
#include "workers/reader.h"
#include "workers/scan.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Bytes of the output buffer; a longer entry is written around it. */
#define NGC_STREAM_OUT (4u << 20)
/* Bytes of an entry besides its key: TAB, two counts of 20 digits, TAB, LF. */
#define NGC_STREAM_TAIL 64
/* Longest reducer line: a longer one comes from the reader cut short. */
#define NGC_STREAM_LINE_MAX ((size_t)NGC_BUF_CAP - 1)
/* Time between two status reports. */
#define NGC_STREAM_REPORT_NS (5ull * 1000000000ull)
/* Like a process killed by SIGPIPE, but with its own output flushed. */
#define NGC_STREAM_EXIT_PIPE 141

/* Where a counter applies. */
typedef enum {
    NGC_STREAM_IN_MAP,    /* every --map */
    NGC_STREAM_IN_GOOGLE, /* --map of Google Books lines */
    NGC_STREAM_IN_TEXT,   /* --map --text */
    NGC_STREAM_IN_REDUCE  /* --reduce */
} ngc_stream_scope_t;

/* Hadoop counters of group "ngram-count": name and scope. */
#define NGC_STREAM_COUNTERS(X)        \
    X(LINES, MAP)                     \
    X(MALFORMED, MAP)                 \
    X(FILTERED, GOOGLE)               \
    X(DROPPED, GOOGLE)                \
    X(TOKENS, TEXT)                   \
    X(FLUSHES, MAP)                   \
    X(KEYS_OUT, MAP)                  \
    X(REDUCE_LINES, REDUCE)           \
    X(REDUCE_MALFORMED, REDUCE)       \
    X(REDUCE_KEYS_OUT, REDUCE)        \
    X(REDUCE_BELOW_MIN_COUNT, REDUCE) \
    X(REDUCE_UNSORTED, REDUCE)

typedef enum {
#define NGC_STREAM_ENUM(name, scope) NGC_STREAM_C_##name,
    NGC_STREAM_COUNTERS(NGC_STREAM_ENUM)
#undef NGC_STREAM_ENUM
        NGC_STREAM_C_MAX
} ngc_stream_counter_t;

static const char *const ngc_stream_counter_names[NGC_STREAM_C_MAX] = {
#define NGC_STREAM_NAME(name, scope) #name,
    NGC_STREAM_COUNTERS(NGC_STREAM_NAME)
#undef NGC_STREAM_NAME
};

static const ngc_stream_scope_t ngc_stream_counter_scopes[NGC_STREAM_C_MAX] = {
#define NGC_STREAM_SCOPE(name, scope) NGC_STREAM_IN_##scope,
    NGC_STREAM_COUNTERS(NGC_STREAM_SCOPE)
#undef NGC_STREAM_SCOPE
};

/* Malformed lines named in the closing warning. */
#define NGC_STREAM_SAMPLES NGC_MSG_SAMPLES

typedef struct {
    const ngc_config_t *cfg;
    ngc_reader_t *reader;
    ngc_buf_t in;
    char *out; /* NGC_STREAM_OUT bytes, out_len in use */
    size_t out_len;
    int out_rc; /* NGC_OK; NGC_EOF (EPIPE) or NGC_ERROR (reported) sticks */
    uint64_t count[NGC_STREAM_C_MAX];
    uint64_t reported[NGC_STREAM_C_MAX]; /* the part of count already sent to Hadoop */
    uint64_t next_report;                /* CLOCK_MONOTONIC ns */
    uint32_t nsamples;                   /* --reduce: malformed lines named in the warning */
    ngc_msg_sample_t samples[NGC_STREAM_SAMPLES];
} ngc_stream_t;

/* A reducer's run of equal keys. */
typedef struct {
    const char *key; /* into the input buffer, or the run's own copy */
    size_t len;
    uint64_t a; /* match count (volume with --count volume) */
    uint64_t b; /* volume count, --count both */
    bool open;
} ngc_stream_run_t;

static uint64_t ngc_stream_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* --- standard error: Hadoop's reporter protocol --- */

static bool ngc_stream_counter_applies(const ngc_stream_t *s, ngc_stream_counter_t c)
{
    bool text = s->cfg->format == NGC_FORMAT_TEXT;
    switch (ngc_stream_counter_scopes[c]) {
    case NGC_STREAM_IN_MAP:
        return s->cfg->stream == NGC_STREAM_MAP;
    case NGC_STREAM_IN_GOOGLE:
        return s->cfg->stream == NGC_STREAM_MAP && !text;
    case NGC_STREAM_IN_TEXT:
        return s->cfg->stream == NGC_STREAM_MAP && text;
    case NGC_STREAM_IN_REDUCE:
        return s->cfg->stream == NGC_STREAM_REDUCE;
    }
    return false;
}

/*
 * Sends what the counters gained since the last report, as
 * "reporter:counter:ngram-count,NAME,AMOUNT" lines (Hadoop adds them up),
 * and one "reporter:status:..." line, all in one write(2). The final
 * report names every counter of the part, even at 0.
 */
static void ngc_stream_report(ngc_stream_t *s, bool final)
{
    char buf[2048];
    size_t n = 0;
    for (unsigned c = 0; c < NGC_STREAM_C_MAX; c++) {
        uint64_t delta = s->count[c] - s->reported[c];
        if (!ngc_stream_counter_applies(s, c) || (delta == 0 && !final))
            continue;
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "reporter:counter:ngram-count,%s,%llu\n",
                              ngc_stream_counter_names[c], (unsigned long long)delta);
        s->reported[c] = s->count[c];
    }
    const uint64_t *k = s->count;
    if (s->cfg->stream == NGC_STREAM_MAP)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n,
                              "reporter:status:%s %llu lines, %llu malformed, %llu keys written"
                              " in %llu flushes\n",
                              final ? "map done:" : "mapped",
                              (unsigned long long)k[NGC_STREAM_C_LINES],
                              (unsigned long long)k[NGC_STREAM_C_MALFORMED],
                              (unsigned long long)k[NGC_STREAM_C_KEYS_OUT],
                              (unsigned long long)k[NGC_STREAM_C_FLUSHES]);
    else
        n += (size_t)snprintf(buf + n, sizeof(buf) - n,
                              "reporter:status:%s %llu lines, %llu malformed, %llu keys written\n",
                              final ? "reduce done:" : "reduced",
                              (unsigned long long)k[NGC_STREAM_C_REDUCE_LINES],
                              (unsigned long long)k[NGC_STREAM_C_REDUCE_MALFORMED],
                              (unsigned long long)k[NGC_STREAM_C_REDUCE_KEYS_OUT]);
    ngc_assert(n < sizeof(buf));
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return; /* no one to tell */
        p += w;
        n -= (size_t)w;
    }
}

/* A report every few seconds, between buffers. */
static void ngc_stream_tick(ngc_stream_t *s)
{
    uint64_t now = ngc_stream_now();
    if (now < s->next_report)
        return;
    s->next_report = now + NGC_STREAM_REPORT_NS;
    if (s->cfg->progress != NGC_PROGRESS_OFF)
        ngc_stream_report(s, false);
}

/* "skipped N malformed lines: standard input:L (reason), ...". */
static void ngc_stream_warn_malformed(uint64_t malformed, const ngc_msg_sample_t *samples,
                                      uint32_t nsamples, bool reduce, bool two)
{
    if (malformed == 0)
        return;
    char buf[1024];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "skipped %llu malformed line%s",
                                (unsigned long long)malformed, malformed == 1 ? "" : "s");
    for (uint32_t i = 0; i < nsamples && n < sizeof(buf); i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sstandard input:%llu (%s)",
                              i ? ", " : ": ", (unsigned long long)samples[i].line,
                              reduce ? ngc_streaming_reason_text(samples[i].reason, two)
                                     : ngc_msg_reason_text(samples[i].reason));
    if (n < sizeof(buf) && malformed > nsamples)
        snprintf(buf + n, sizeof(buf) - n, ", ...");
    ngc_log_user(0, "%s", buf);
}

/* --- standard output --- */

static int ngc_stream_write(ngc_stream_t *s, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, p, n);
        if (w < 0) {
            int err = errno;
            if (err == EINTR)
                continue;
            if (err == EPIPE)
                return s->out_rc = NGC_EOF; /* quiet: the reader chose to stop */
            ngc_log_user(err, "cannot write standard output");
            return s->out_rc = NGC_ERROR;
        }
        p += w;
        n -= (size_t)w;
    }
    return NGC_OK;
}

static int ngc_stream_flush(ngc_stream_t *s)
{
    if (s->out_rc != NGC_OK)
        return s->out_rc;
    size_t n = s->out_len;
    s->out_len = 0;
    return ngc_stream_write(s, s->out, n);
}

/* Appends "key TAB a LF", or "key TAB a TAB b LF" when two. NGC_OK, NGC_EOF
 * or NGC_ERROR (reported). */
static inline int ngc_stream_put(ngc_stream_t *s, const char *key, size_t len, uint64_t a,
                                 uint64_t b, bool two)
{
    if (NGC_UNLIKELY(NGC_STREAM_OUT - s->out_len < len + NGC_STREAM_TAIL)) {
        if (ngc_stream_flush(s) != NGC_OK)
            return s->out_rc;
        if (len + NGC_STREAM_TAIL > NGC_STREAM_OUT) {
            /* A key (a folded or tokenized line) larger than the buffer. */
            if (ngc_stream_write(s, key, len) != NGC_OK)
                return s->out_rc;
            len = 0;
        }
    }
    char *p = s->out + s->out_len;
    memcpy(p, key, len);
    p += len;
    *p++ = '\t';
    p += ngc_digits_u64(p, a);
    if (two) {
        *p++ = '\t';
        p += ngc_digits_u64(p, b);
    }
    *p++ = '\n';
    s->out_len = (size_t)(p - s->out);
    return NGC_OK;
}

/* --- the mapper --- */

typedef struct {
    ngc_stream_t *s;
    int rc; /* the last flush's result */
} ngc_stream_spill_t;

/* Writes the combiner table's entries and empties it: one flush. NGC_OK,
 * NGC_EOF, or NGC_ERROR after a message. */
static int ngc_stream_map_flush(ngc_stream_t *s, ngc_combiner_t *m)
{
    size_t n = ngc_combiner_count(m);
    if (n == 0)
        return NGC_OK;
    size_t start[NGC_COUNTERS_PARTS + 1];
    const ngc_kv_t *kv = ngc_combiner_partitioned(m, start);
    if (kv == NULL) {
        ngc_log_user(ENOMEM, "cannot write out the combiner table");
        return NGC_ERROR;
    }
    ngc_count_t mode = s->cfg->count;
    for (size_t i = 0; i < n; i++) {
        uint64_t a = mode == NGC_COUNT_VOLUME ? kv[i].volume : kv[i].match;
        if (ngc_stream_put(s, kv[i].key, kv[i].len, a, kv[i].volume, mode == NGC_COUNT_BOTH) !=
            NGC_OK)
            return s->out_rc;
    }
    s->count[NGC_STREAM_C_KEYS_OUT] += n;
    s->count[NGC_STREAM_C_FLUSHES]++;
    ngc_combiner_reset(m);
    return NGC_OK;
}

/* The parser's callback when the table is over --memory. */
static int ngc_stream_spill(ngc_parse_t *ps, ngc_combiner_t *m, void *arg)
{
    ngc_stream_spill_t *sp = arg;
    sp->rc = ngc_stream_map_flush(sp->s, m);
    if (sp->rc == NGC_OK)
        return NGC_OK;
    ps->fail = NGC_FAIL_INTERNAL;
    ps->fail_line = ps->lines;
    ps->fail_text[0] = '\0'; /* reported by the flush */
    return NGC_ERROR;
}

/* --format auto: the layout of the first buffer's lines, read the way the
 * engine reads standard input. */
static int ngc_stream_detect(ngc_parse_t *ps, const ngc_buf_t *first)
{
    ps->format = ngc_format_detect(first->data, first->len, false);
    if (ps->format != NGC_FORMAT_AUTO)
        return NGC_OK;
    ngc_log_user(0, "standard input: " NGC_FORMAT_UNKNOWN);
    return NGC_ERROR;
}

static void ngc_stream_map_counts(ngc_stream_t *s, const ngc_parse_t *ps)
{
    s->count[NGC_STREAM_C_LINES] = ps->lines;
    s->count[NGC_STREAM_C_MALFORMED] = ps->malformed;
    s->count[NGC_STREAM_C_FILTERED] = ps->filtered;
    s->count[NGC_STREAM_C_DROPPED] = ps->dropped;
    s->count[NGC_STREAM_C_TOKENS] = ps->tokens;
}

static int ngc_stream_map(ngc_stream_t *s)
{
    int rc = NGC_ERROR;
    ngc_parse_t ps;
    ngc_combiner_t *m = ngc_combiner_new();
    if (m == NULL) {
        ngc_log_user(ENOMEM, "cannot set up the combiner table");
        return NGC_ERROR;
    }
    ngc_combiner_set_count(m, s->cfg->count);
    ngc_combiner_always_combine(m);
    if (ngc_parse_init(&ps, s->cfg) != NGC_OK) {
        ngc_log_user(ENOMEM, "cannot set up the parser");
        goto fail_map;
    }
    ngc_stream_spill_t sp = {s, NGC_OK};
    ps.spill = ngc_stream_spill;
    ps.spill_arg = &sp;
    ps.map_budget = (size_t)s->cfg->memory;
    for (;;) {
        rc = ngc_reader_next(s->reader, &s->in);
        if (rc == NGC_EOF)
            break;
        if (rc != NGC_OK) {
            ngc_log_user(0, "%s", ngc_reader_error(s->reader));
            goto fail_parse;
        }
        if (ps.format == NGC_FORMAT_AUTO && (rc = ngc_stream_detect(&ps, &s->in)) != NGC_OK)
            goto fail_parse;
        rc = ngc_lines_map(&ps, s->in.data, s->in.len, m);
        ngc_stream_map_counts(s, &ps);
        if (rc != NGC_OK) {
            if (sp.rc != NGC_OK) {
                rc = sp.rc;
            } else {
                ngc_log_user(0, "standard input:%llu: %s", (unsigned long long)ps.fail_line,
                             ps.fail_text);
                rc = NGC_ERROR;
            }
            goto fail_parse;
        }
        ngc_stream_tick(s);
    }
    rc = ngc_stream_map_flush(s, m);
    if (rc == NGC_OK)
        rc = ngc_stream_flush(s);
    if (rc == NGC_OK) {
        ngc_stream_warn_malformed(ps.malformed, ps.samples, ps.nsamples, false, false);
        ngc_stream_report(s, true);
    }

fail_parse:
    ngc_parse_fini(&ps);
fail_map:
    ngc_combiner_free(m);
    return rc;
}

/* --- the reducer --- */

const char *ngc_streaming_reason_text(ngc_streaming_reason_t why, bool two)
{
    switch (why) {
    case NGC_STREAMING_REASON_FIELDS:
        return two ? "not 'key TAB match TAB volume'" : "not 'key TAB count'";
    case NGC_STREAMING_REASON_EMPTY_NGRAM:
        return "empty key";
    case NGC_STREAMING_REASON_NUMBER:
        return "count is not a number";
    case NGC_STREAMING_REASON_NEGATIVE:
        return "negative count";
    case NGC_STREAMING_REASON_LONG:
        return "line longer than 2 MiB";
    default:
        return ngc_msg_reason_text(why);
    }
}

ngc_streaming_reason_t ngc_streaming_reduce_line(const char *p, size_t len, bool two,
                                                 size_t *key_len, uint64_t *a, uint64_t *b)
{
    if (len > NGC_STREAM_LINE_MAX)
        return NGC_STREAMING_REASON_LONG;
    if (len > 0 && p[len - 1] == '\r')
        len--;
    const char *e = p + len;
    const char *t1 = memchr(p, '\t', len);
    if (t1 == NULL)
        return NGC_STREAMING_REASON_FIELDS;
    const char *t2 = memchr(t1 + 1, '\t', (size_t)(e - t1 - 1));
    if ((t2 != NULL) != two)
        return NGC_STREAMING_REASON_FIELDS;
    if (two && memchr(t2 + 1, '\t', (size_t)(e - t2 - 1)) != NULL)
        return NGC_STREAMING_REASON_FIELDS;
    if (t1 == p)
        return NGC_STREAMING_REASON_EMPTY_NGRAM;
    const char *ae = two ? t2 : e;
    ngc_streaming_reason_t r = ngc_parse_number(t1 + 1, (size_t)(ae - t1 - 1), false, a);
    if (r != NGC_STREAMING_REASON_NONE)
        return r;
    *b = 0;
    if (two &&
        (r = ngc_parse_number(t2 + 1, (size_t)(e - t2 - 1), false, b)) != NGC_STREAMING_REASON_NONE)
        return r;
    *key_len = (size_t)(t1 - p);
    return NGC_STREAMING_REASON_NONE;
}

/*
 * The count at *q: one to 19 digits (no overflow possible). true with *q
 * past it; false for anything else (the classifier then decides).
 */
static inline bool ngc_stream_digits(const char **q, const char *end, uint64_t *out)
{
    size_t n;
    *out = ngc_scan_digits(q, &n, end);
    return n - 1 < 19;
}

/* Writes a finished run, or counts it as below --min-count. */
static inline int ngc_stream_emit(ngc_stream_t *s, const ngc_stream_run_t *run, bool two)
{
    if (run->a < s->cfg->min_count) {
        s->count[NGC_STREAM_C_REDUCE_BELOW_MIN_COUNT]++;
        return NGC_OK;
    }
    s->count[NGC_STREAM_C_REDUCE_KEYS_OUT]++;
    return ngc_stream_put(s, run->key, run->len, run->a, run->b, two);
}

static int ngc_stream_malformed(ngc_stream_t *s, ngc_streaming_reason_t why, bool two)
{
    uint64_t line = s->count[NGC_STREAM_C_REDUCE_LINES];
    s->count[NGC_STREAM_C_REDUCE_MALFORMED]++;
    if (s->nsamples < NGC_STREAM_SAMPLES)
        s->samples[s->nsamples++] = (ngc_msg_sample_t){line, why, 0};
    if (!s->cfg->strict)
        return NGC_OK;
    ngc_log_user(0, "standard input:%llu: %s", (unsigned long long)line,
                 ngc_streaming_reason_text(why, two));
    return NGC_ERROR;
}

/* Sums the whole lines of buf[0..len) into runs, writing each run that
 * ends. NGC_OK, NGC_EOF, or NGC_ERROR after a message. */
static int ngc_stream_reduce_buffer(ngc_stream_t *s, ngc_stream_run_t *run, const char *buf,
                                    size_t len)
{
    const bool two = s->cfg->count == NGC_COUNT_BOTH;
    const bool by_year = s->cfg->by_year;
    const char *p = buf, *end = buf + len;
    uint64_t lines = s->count[NGC_STREAM_C_REDUCE_LINES];
    while (p < end) {
        lines++;
        const char *line = p;
        const char *q = ngc_scan_key(line, end);
        /* --by-year: the key is the ngram and its year, two fields. */
        if (by_year && *q == '\t' && q > line)
            q = ngc_scan_key(q + 1, end);
        size_t key_len = (size_t)(q - line);
        uint64_t a, b = 0;
        if (NGC_LIKELY(*q == '\t' && key_len > 0)) {
            q++;
            if (!ngc_stream_digits(&q, end, &a))
                goto slow;
            if (two) {
                if (*q != '\t')
                    goto slow;
                q++;
                if (!ngc_stream_digits(&q, end, &b))
                    goto slow;
            }
            if (*q == '\r')
                q++;
            if (*q != '\n' || (size_t)(q - line) > NGC_STREAM_LINE_MAX)
                goto slow;
            p = q + 1;
        } else {
        slow:;
            const char *nl = memchr(line, '\n', (size_t)(end - line));
            p = nl + 1;
            /* --by-year: the ngram and its TAB, then a line keyed by the year. */
            const char *t0 = by_year ? memchr(line, '\t', (size_t)(nl - line)) : NULL;
            size_t skip = t0 != NULL && t0 > line ? (size_t)(t0 + 1 - line) : 0;
            ngc_streaming_reason_t why = by_year && skip == 0
                                             ? NGC_STREAMING_REASON_FIELDS
                                             : ngc_streaming_reduce_line(line + skip,
                                                                         (size_t)(nl - line) - skip,
                                                                         two, &key_len, &a, &b);
            key_len += skip;
            if (why != NGC_STREAMING_REASON_NONE) {
                s->count[NGC_STREAM_C_REDUCE_LINES] = lines;
                if (ngc_stream_malformed(s, why, two) != NGC_OK)
                    return NGC_ERROR;
                continue;
            }
        }
        if (run->open) {
            size_t n = key_len < run->len ? key_len : run->len;
            int cmp = memcmp(run->key, line, n);
            if (cmp == 0 && key_len == run->len) {
                if (NGC_UNLIKELY(__builtin_add_overflow(run->a, a, &run->a) ||
                                 __builtin_add_overflow(run->b, b, &run->b))) {
                    ngc_log_user(0, "standard input:%llu: the total of '%.*s' passes 2^64-1",
                                 (unsigned long long)lines, (int)(key_len < 200 ? key_len : 200),
                                 line);
                    return NGC_ERROR;
                }
                continue;
            }
            if (cmp > 0 || (cmp == 0 && run->len > key_len)) {
                s->count[NGC_STREAM_C_REDUCE_UNSORTED]++;
                if (s->cfg->strict) {
                    /* Its key's total would be split in two. */
                    ngc_log_user(0,
                                 "standard input:%llu: key '%.*s' comes after '%.*s': the "
                                 "input is not sorted by key in byte order (sort with "
                                 "LC_ALL=C)",
                                 (unsigned long long)lines, (int)(key_len < 200 ? key_len : 200),
                                 line, (int)(run->len < 200 ? run->len : 200), run->key);
                    return NGC_ERROR;
                }
            }
            int rc = ngc_stream_emit(s, run, two);
            if (rc != NGC_OK)
                return rc;
        }
        *run = (ngc_stream_run_t){line, key_len, a, b, true};
    }
    s->count[NGC_STREAM_C_REDUCE_LINES] = lines;
    return NGC_OK;
}

static int ngc_stream_reduce(ngc_stream_t *s)
{
    char *keep = malloc(NGC_BUF_CAP); /* the open run's key between buffers */
    if (keep == NULL) {
        ngc_log_user(ENOMEM, "cannot set up the reducer");
        return NGC_ERROR;
    }
    const bool two = s->cfg->count == NGC_COUNT_BOTH;
    ngc_stream_run_t run = {0};
    int rc;
    for (;;) {
        rc = ngc_reader_next(s->reader, &s->in);
        if (rc == NGC_EOF)
            break;
        if (rc != NGC_OK) {
            ngc_log_user(0, "%s", ngc_reader_error(s->reader));
            goto done;
        }
        rc = ngc_stream_reduce_buffer(s, &run, s->in.data, s->in.len);
        if (rc != NGC_OK)
            goto done;
        /* The next read overwrites the buffer. */
        if (run.open && run.key != keep) {
            memcpy(keep, run.key, run.len);
            run.key = keep;
        }
        ngc_stream_tick(s);
    }
    rc = run.open ? ngc_stream_emit(s, &run, two) : NGC_OK;
    if (rc == NGC_OK)
        rc = ngc_stream_flush(s);
    if (rc != NGC_OK)
        goto done;
    ngc_stream_warn_malformed(s->count[NGC_STREAM_C_REDUCE_MALFORMED], s->samples, s->nsamples,
                              true, two);
    uint64_t unsorted = s->count[NGC_STREAM_C_REDUCE_UNSORTED];
    if (unsorted > 0)
        ngc_log_user(0,
                     "standard input is not sorted by key in byte order: %llu key%s came "
                     "after a greater one, and equal keys that are not adjacent are totalled "
                     "apart (sort with LC_ALL=C)",
                     (unsigned long long)unsorted, unsorted == 1 ? "" : "s");
    ngc_stream_report(s, true);

done:
    free(keep);
    return rc;
}

/* Options a part accepts but that belong to the other part: a warning, not
 * an error, so one option list can be pasted into every part. */
static void ngc_stream_warn_options(const ngc_config_t *cfg)
{
    if (cfg->stream == NGC_STREAM_MAP && cfg->min_count > 0)
        ngc_log_user(0, "warning: --min-count is for the final --reduce (only totals can be "
                        "compared with it); the mapper ignores it");
    if (cfg->stream == NGC_STREAM_REDUCE &&
        (cfg->format != NGC_FORMAT_AUTO || cfg->pos != NGC_POS_KEEP || cfg->fold_case ||
         cfg->from_year != 1 || cfg->to_year != 9999))
        ngc_log_user(0, "warning: --format, --text, --from-year, --to-year, --pos and "
                        "--fold-case are for --map; the reducer ignores them");
}

int ngc_streaming_main(const ngc_config_t *cfg)
{
    /* A vanished reader of stdout is an EPIPE from write(), not a signal. */
    signal(SIGPIPE, SIG_IGN);
    ngc_stream_warn_options(cfg);
    ngc_stream_t s = {.cfg = cfg, .out_rc = NGC_OK};
    s.next_report = ngc_stream_now() + NGC_STREAM_REPORT_NS;
    ngc_msg_task_t task = {.kind = NGC_TASK_MAP_STDIN, .attempt = 1};
    int rc = NGC_ERROR;
    s.out = malloc(NGC_STREAM_OUT);
    if (s.out == NULL) {
        ngc_log_user(ENOMEM, "cannot allocate buffers");
        goto fail_bufs;
    }
    s.reader = ngc_reader_new(&task, -1, cfg->inflate);
    if (s.reader == NULL) {
        ngc_log_user(ENOMEM, "cannot read standard input");
        goto fail_bufs;
    }
    rc = cfg->stream == NGC_STREAM_MAP ? ngc_stream_map(&s) : ngc_stream_reduce(&s);
    ngc_reader_free(s.reader);

fail_bufs:
    ngc_buf_fini(&s.in);
    free(s.out);
    return rc == NGC_OK ? NGC_EXIT_OK : rc == NGC_EOF ? NGC_STREAM_EXIT_PIPE : NGC_EXIT_FAILURE;
}
