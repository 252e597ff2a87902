/*
 * fuzz_parse.c: libFuzzer harness for the v2 line parser (workers/parse.h).
 * The first input byte picks the job's options (--pos, --fold-case,
 * --strict, a year range, how the buffer is cut); the rest is the text,
 * given a final '\n' when it lacks one. ngc_parse_buffer's result (its
 * counters, samples and the map's totals) must equal a reference built
 * line by line from ngc_parse_line, the year filter and
 * ngc_parse_transform, and must not change when the same lines arrive in
 * several buffers. Any disagreement traps.
 */
#include "engine/base/ngc.h"
#include "engine/reduce/counters.h"
#include "workers/combiner.h"
#include "workers/parse.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NGC_FZ_CHECK(cond, ...)                                       \
    do {                                                              \
        if (!(cond)) {                                                \
            fprintf(stderr, "fuzz_parse: check failed: %s: ", #cond); \
            fprintf(stderr, __VA_ARGS__);                             \
            fputc('\n', stderr);                                      \
            __builtin_trap();                                         \
        }                                                             \
    } while (0)

/* Year ranges picked by bits 4..6 of the first byte. */
static const uint32_t ngc_fz_years[8][2] = {
    {1, 9999},    {0, UINT32_MAX}, {1900, 1999}, {2000, 2000},
    {1999, 1900}, {1, 1},          {9999, 9999}, {1800, 1849},
};

typedef struct {
    size_t off; /* key bytes in ngc_fz_ref_t.keys */
    size_t len;
    uint64_t match;
    uint64_t volume;
} ngc_fz_rec_t;

typedef struct {
    char *keys;
    size_t keys_len, keys_cap;
    ngc_fz_rec_t *recs;
    size_t nrecs, recs_cap;
    uint64_t lines;
    uint64_t malformed;
    uint64_t filtered;
    uint32_t nsamples;
    ngc_msg_sample_t samples[NGC_MSG_SAMPLES];
    uint64_t first_bad;       /* line of the first malformed line, 0 if none */
    bool overflow;            /* some total passes 2^64-1 */
    bool overflow_before_bad; /* ... counting only the lines before first_bad */
} ngc_fz_ref_t;

static ngc_config_t ngc_fz_cfg;
static ngc_parse_t ngc_fz_ps;     /* the parser under test */
static ngc_parse_t ngc_fz_ref_ps; /* ngc_parse_transform for the reference */
static bool ngc_fz_ready;

static void *ngc_fz_grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    p = realloc(p, ncap * elem);
    NGC_FZ_CHECK(p != NULL, "out of memory");
    *cap = ncap;
    return p;
}

static void ngc_fz_ref_add(ngc_fz_ref_t *ref, const char *key, size_t len, uint64_t match,
                           uint64_t volume)
{
    ref->keys = ngc_fz_grow(ref->keys, &ref->keys_cap, ref->keys_len + len + 1, 1);
    memcpy(ref->keys + ref->keys_len, key, len);
    ref->recs = ngc_fz_grow(ref->recs, &ref->recs_cap, ref->nrecs + 1, sizeof(*ref->recs));
    ref->recs[ref->nrecs++] = (ngc_fz_rec_t){ref->keys_len, len, match, volume};
    ref->keys_len += len;
}

static const char *ngc_fz_sort_keys; /* qsort has no argument; one thread */

static int ngc_fz_rec_cmp(const void *a, const void *b)
{
    const ngc_fz_rec_t *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(ngc_fz_sort_keys + x->off, ngc_fz_sort_keys + y->off, n);
    if (c != 0)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Sorts the records by key and sums equal keys; returns the distinct count
 * and sets *overflow when a counted total passes 2^64-1 (one that is not
 * counted stays at 2^64-1, as ngc_counters_add). */
static size_t ngc_fz_ref_sum(ngc_fz_ref_t *ref, size_t nrecs, bool *overflow)
{
    size_t n = 0;
    *overflow = false;
    if (nrecs == 0)
        return 0;
    ngc_fz_sort_keys = ref->keys;
    qsort(ref->recs, nrecs, sizeof(*ref->recs), ngc_fz_rec_cmp);
    for (size_t i = 0; i < nrecs; i++) {
        if (n > 0 && ngc_fz_rec_cmp(&ref->recs[n - 1], &ref->recs[i]) == 0) {
            ngc_fz_rec_t *r = &ref->recs[n - 1];
            if (!ngc_counters_add(ngc_fz_cfg.count, &r->match, &r->volume, ref->recs[i].match,
                                  ref->recs[i].volume))
                *overflow = true;
        } else {
            ref->recs[n++] = ref->recs[i];
        }
    }
    return n;
}

/*
 * The reference: every line through the slow classifier, the year filter
 * and the transform, in input order. Records added before the first
 * malformed line are summed separately for the --strict verdict.
 */
static size_t ngc_fz_reference(ngc_fz_ref_t *ref, const char *buf, size_t len)
{
    size_t before_bad = SIZE_MAX;
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        ref->lines++;
        size_t key_len;
        uint32_t year;
        uint64_t match, volume;
        ngc_streaming_reason_t why = ngc_parse_line(p, (size_t)(nl - p), &key_len, &year, &match,
                                                    &volume);
        if (why != NGC_STREAMING_REASON_NONE) {
            NGC_FZ_CHECK(why < NGC_STREAMING_REASON_MAX, "reason %d", (int)why);
            ref->malformed++;
            if (ref->nsamples < NGC_MSG_SAMPLES)
                ref->samples[ref->nsamples++] = (ngc_msg_sample_t){ref->lines, why, 0};
            if (ref->first_bad == 0) {
                ref->first_bad = ref->lines;
                before_bad = ref->nrecs;
            }
        } else if (year < ngc_fz_cfg.from_year || year > ngc_fz_cfg.to_year) {
            NGC_FZ_CHECK(key_len > 0 && key_len < (size_t)(nl - p), "key_len %zu", key_len);
            ref->filtered++;
        } else {
            NGC_FZ_CHECK(key_len > 0 && key_len < (size_t)(nl - p), "key_len %zu", key_len);
            const char *k;
            size_t klen;
            if (ngc_parse_transform(&ngc_fz_ref_ps, p, key_len, &k, &klen) == NGC_OK)
                ngc_fz_ref_add(ref, k, klen, match, volume);
        }
        p = nl + 1;
    }
    if (before_bad != SIZE_MAX) {
        /* Sum the prefix first: the full sum below reorders the records. */
        bool ov;
        ngc_fz_ref_t pre = *ref;
        pre.recs = malloc((before_bad + 1) * sizeof(*pre.recs));
        NGC_FZ_CHECK(pre.recs != NULL, "out of memory");
        if (before_bad > 0)
            memcpy(pre.recs, ref->recs, before_bad * sizeof(*pre.recs));
        ngc_fz_ref_sum(&pre, before_bad, &ov);
        ref->overflow_before_bad = ov;
        free(pre.recs);
    }
    return ngc_fz_ref_sum(ref, ref->nrecs, &ref->overflow);
}

static int ngc_fz_kv_cmp(const void *a, const void *b)
{
    const ngc_kv_t *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    if (c != 0)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* The map's entries must be the reference's totals, each once, with the
 * right hash and partition. */
static void ngc_fz_check_map(ngc_combiner_t *m, const ngc_fz_ref_t *ref, size_t distinct)
{
    size_t start[NGC_COUNTERS_PARTS + 1];
    NGC_FZ_CHECK(ngc_combiner_count(m) == distinct, "map holds %zu keys, reference %zu",
                 ngc_combiner_count(m), distinct);
    const ngc_kv_t *kv = ngc_combiner_partitioned(m, start);
    NGC_FZ_CHECK(kv != NULL, "ngc_combiner_partitioned() returned NULL");
    NGC_FZ_CHECK(start[0] == 0 && start[NGC_COUNTERS_PARTS] == distinct, "partition bounds 0..%zu",
                 start[NGC_COUNTERS_PARTS]);
    ngc_kv_t *sorted = malloc((distinct + 1) * sizeof(*sorted));
    NGC_FZ_CHECK(sorted != NULL, "out of memory");
    for (unsigned k = 0; k < NGC_COUNTERS_PARTS; k++) {
        NGC_FZ_CHECK(start[k] <= start[k + 1], "partition %u bounds", k);
        for (size_t i = start[k]; i < start[k + 1]; i++) {
            uint64_t h = ngc_counters_hash(kv[i].key, kv[i].len);
            NGC_FZ_CHECK(kv[i].hash == h, "entry %zu: cached hash", i);
            NGC_FZ_CHECK(kv[i].part == k && ngc_counters_partition(h) == k,
                         "entry %zu: partition %u, listed under %u", i, kv[i].part, k);
        }
    }
    if (distinct > 0) {
        memcpy(sorted, kv, distinct * sizeof(*sorted));
        qsort(sorted, distinct, sizeof(*sorted), ngc_fz_kv_cmp);
    }
    for (size_t i = 0; i < distinct; i++) {
        const ngc_fz_rec_t *r = &ref->recs[i];
        NGC_FZ_CHECK(sorted[i].len == r->len &&
                         memcmp(sorted[i].key, ref->keys + r->off, r->len) == 0,
                     "key %zu: map '%.*s', reference '%.*s'", i, (int)sorted[i].len, sorted[i].key,
                     (int)r->len, ref->keys + r->off);
        NGC_FZ_CHECK(sorted[i].match == r->match && sorted[i].volume == r->volume,
                     "totals of '%.*s': map %llu %llu, reference %llu %llu", (int)r->len,
                     ref->keys + r->off, (unsigned long long)sorted[i].match,
                     (unsigned long long)sorted[i].volume, (unsigned long long)r->match,
                     (unsigned long long)r->volume);
    }
    free(sorted);
}

static void ngc_fz_check_counters(const ngc_parse_t *ps, const ngc_fz_ref_t *ref)
{
    NGC_FZ_CHECK(ps->lines == ref->lines, "lines %llu, reference %llu",
                 (unsigned long long)ps->lines, (unsigned long long)ref->lines);
    NGC_FZ_CHECK(ps->malformed == ref->malformed, "malformed %llu, reference %llu",
                 (unsigned long long)ps->malformed, (unsigned long long)ref->malformed);
    NGC_FZ_CHECK(ps->filtered == ref->filtered, "filtered %llu, reference %llu",
                 (unsigned long long)ps->filtered, (unsigned long long)ref->filtered);
    NGC_FZ_CHECK(ps->nsamples == ref->nsamples, "samples %u, reference %u", ps->nsamples,
                 ref->nsamples);
    for (uint32_t i = 0; i < ref->nsamples; i++)
        NGC_FZ_CHECK(ps->samples[i].line == ref->samples[i].line &&
                         ps->samples[i].reason == ref->samples[i].reason,
                     "sample %u: line %llu reason %u, reference line %llu reason %u", i,
                     (unsigned long long)ps->samples[i].line, ps->samples[i].reason,
                     (unsigned long long)ref->samples[i].line, ref->samples[i].reason);
}

/* Parses buf[0..len) as pieces cut at line ends, each in a buffer of its own
 * exact size (so a read past a piece is caught): every line alone when
 * `each_line`, else two halves. */
static int ngc_fz_parse_pieces(ngc_parse_t *ps, const char *buf, size_t len, bool each_line,
                               ngc_combiner_t *m)
{
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *cut;
        if (each_line) {
            cut = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
        } else {
            const char *mid = p + (size_t)(end - p) / 2;
            cut = (const char *)memchr(mid, '\n', (size_t)(end - mid)) + 1;
        }
        size_t n = (size_t)(cut - p);
        char *piece = malloc(n);
        NGC_FZ_CHECK(piece != NULL, "out of memory");
        memcpy(piece, p, n);
        int rc = ngc_parse_buffer(ps, piece, n, m);
        free(piece);
        if (rc != NGC_OK)
            return rc;
        p = cut;
    }
    return NGC_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!ngc_fz_ready) {
        /* Made for options that rewrite keys (the scratch area), as some
         * inputs ask for below. */
        ngc_fz_cfg.fold_case = true;
        NGC_FZ_CHECK(ngc_parse_init(&ngc_fz_ps, &ngc_fz_cfg) == NGC_OK, "parse init");
        NGC_FZ_CHECK(ngc_parse_init(&ngc_fz_ref_ps, &ngc_fz_cfg) == NGC_OK, "parse init");
        ngc_fz_ps.volumes = true; /* volume sums are compared too */
        ngc_fz_ready = true;
    }
    uint8_t opt = data[0];
    memset(&ngc_fz_cfg, 0, sizeof(ngc_fz_cfg));
    static const ngc_pos_t pos[4] = {NGC_POS_KEEP, NGC_POS_DROP, NGC_POS_STRIP, NGC_POS_KEEP};
    ngc_fz_cfg.pos = pos[opt & 3];
    ngc_fz_cfg.fold_case = (opt & 4) != 0;
    ngc_fz_cfg.strict = (opt & 8) != 0;
    ngc_fz_cfg.format = NGC_FORMAT_V2;
    ngc_fz_cfg.from_year = ngc_fz_years[(opt >> 4) & 7][0];
    ngc_fz_cfg.to_year = ngc_fz_years[(opt >> 4) & 7][1];
    bool each_line = (opt & 0x80) != 0;
    data++;
    size--;
    if (size == 0)
        return 0; /* ngc_parse_buffer takes at least one line */

    /* The text in a buffer of its exact size, ending in '\n'. */
    size_t len = size + (data[size - 1] != '\n');
    char *buf = malloc(len);
    NGC_FZ_CHECK(buf != NULL, "out of memory");
    memcpy(buf, data, size);
    buf[len - 1] = '\n';

    ngc_fz_ref_t ref;
    memset(&ref, 0, sizeof(ref));
    size_t distinct = ngc_fz_reference(&ref, buf, len);

    ngc_combiner_t *m = ngc_combiner_new();
    NGC_FZ_CHECK(m != NULL, "out of memory");
    ngc_combiner_set_count(m, ngc_fz_cfg.count);
    ngc_parse_reset(&ngc_fz_ps);
    int rc = ngc_parse_buffer(&ngc_fz_ps, buf, len, m);
    const ngc_parse_t *ps = &ngc_fz_ps;
    if (ngc_fz_cfg.strict && ref.first_bad != 0) {
        NGC_FZ_CHECK(rc == NGC_ERROR, "--strict: malformed line %llu accepted",
                     (unsigned long long)ref.first_bad);
        if (ref.overflow_before_bad) {
            NGC_FZ_CHECK(ps->fail == NGC_FAIL_MALFORMED || ps->fail == NGC_FAIL_OVERFLOW,
                         "--strict: fail %d", (int)ps->fail);
        } else {
            NGC_FZ_CHECK(ps->fail == NGC_FAIL_MALFORMED, "--strict: fail %d (%s)", (int)ps->fail,
                         ps->fail_text);
            NGC_FZ_CHECK(ps->fail_line == ref.first_bad && ps->lines == ref.first_bad,
                         "--strict: failed at line %llu after %llu lines, first bad %llu",
                         (unsigned long long)ps->fail_line, (unsigned long long)ps->lines,
                         (unsigned long long)ref.first_bad);
            NGC_FZ_CHECK(ps->malformed == 1 && ps->nsamples == 1 &&
                             ps->samples[0].line == ref.samples[0].line &&
                             ps->samples[0].reason == ref.samples[0].reason,
                         "--strict: malformed %llu, sample reason %u, reference %u",
                         (unsigned long long)ps->malformed, ps->samples[0].reason,
                         ref.samples[0].reason);
        }
    } else if (ref.overflow) {
        NGC_FZ_CHECK(rc == NGC_ERROR && ps->fail == NGC_FAIL_OVERFLOW,
                     "a total passes 2^64-1: rc %d fail %d", rc, (int)ps->fail);
        NGC_FZ_CHECK(ps->fail_line >= 1 && ps->fail_line <= ref.lines, "fail line %llu",
                     (unsigned long long)ps->fail_line);
    } else {
        NGC_FZ_CHECK(rc == NGC_OK, "rc %d fail %d (%s) at line %llu", rc, (int)ps->fail,
                     ps->fail_text, (unsigned long long)ps->fail_line);
        ngc_fz_check_counters(ps, &ref);
        ngc_fz_check_map(m, &ref, distinct);

        /* The same lines in several buffers: same counters, same totals. */
        ngc_combiner_reset(m);
        ngc_parse_reset(&ngc_fz_ps);
        rc = ngc_fz_parse_pieces(&ngc_fz_ps, buf, len, each_line, m);
        NGC_FZ_CHECK(rc == NGC_OK, "in pieces: rc %d fail %d (%s)", rc, (int)ps->fail,
                     ps->fail_text);
        ngc_fz_check_counters(ps, &ref);
        ngc_fz_check_map(m, &ref, distinct);
    }

    ngc_combiner_free(m);
    free(ref.keys);
    free(ref.recs);
    free(buf);
    return 0;
}
