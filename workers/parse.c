/*
 * parse.c: a fast path for well-formed lines and a slow, exact classifier
 * for the rest. The fast path trusts nothing: any surprise sends the line to
 * ngc_parse_line, which decides (and agrees with the fast path on every
 * well-formed line).
 */
#include "engine/base/ngc.h"
#include "workers/parse.h"
#include "workers/scan.h"
#include "workers/select.h"
#include "workers/token.h"

#include <stdbool.h>
#include <stdlib.h>

int ngc_parse_init(ngc_parse_t *ps, const ngc_config_t *cfg)
{
    memset(ps, 0, sizeof(*ps));
    ps->cfg = cfg;
    ps->format = cfg->format;
    ps->map_budget = SIZE_MAX;
    ps->volumes = ngc_config_volumes(cfg);
    /* Only a job that rewrites keys needs the scratch area: a plain count
     * never touches its 6 MiB a thread (under ASan each large block costs
     * its shadow's pages when made and again when freed). */
    bool rewrites = cfg->format == NGC_FORMAT_TEXT || cfg->pos != NGC_POS_KEEP || cfg->fold_case ||
                    cfg->by_year;
    if (rewrites && (ps->scratch = malloc(NGC_PARSE_SCRATCH)) == NULL)
        return NGC_ERROR;
    if (cfg->nselects > 0 && (ps->select = ngc_select_new(cfg)) == NULL) {
        ngc_parse_fini(ps);
        return NGC_ERROR;
    }
    if (cfg->format == NGC_FORMAT_TEXT) {
        ps->tok = malloc(NGC_PARSE_TOKENS_MAX * sizeof(*ps->tok));
        if (ps->tok == NULL) {
            ngc_parse_fini(ps);
            return NGC_ERROR;
        }
    }
    return NGC_OK;
}

void ngc_parse_fini(ngc_parse_t *ps)
{
    free(ps->scratch);
    free(ps->tok);
    ngc_select_free(ps->select);
    ps->scratch = NULL;
    ps->tok = NULL;
    ps->select = NULL;
}

void ngc_parse_reset(ngc_parse_t *ps)
{
    ps->format = ps->cfg->format;
    ps->tokens = 0;
    ps->lines = ps->malformed = ps->filtered = ps->dropped = ps->runs = 0;
    ps->nsamples = 0;
    ps->fail = 0;
    ps->fail_line = 0;
    ps->fail_text[0] = '\0';
}

ngc_streaming_reason_t ngc_parse_number(const char *p, size_t len, bool year, uint64_t *out)
{
    if (len == 0)
        return NGC_STREAMING_REASON_NUMBER;
    if (p[0] == '-') {
        for (size_t i = 1; i < len; i++)
            if (p[i] < '0' || p[i] > '9')
                return NGC_STREAMING_REASON_NUMBER;
        return len > 1 ? NGC_STREAMING_REASON_NEGATIVE : NGC_STREAMING_REASON_NUMBER;
    }
    uint64_t v = 0;
    bool over = false;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return NGC_STREAMING_REASON_NUMBER;
        if (__builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, (uint64_t)(p[i] - '0'), &v))
            over = true;
    }
    if (year)
        return over || v < 1 || v > 9999 ? NGC_STREAMING_REASON_YEAR
                                         : (*out = v, NGC_STREAMING_REASON_NONE);
    if (over)
        return NGC_STREAMING_REASON_RANGE;
    *out = v;
    return NGC_STREAMING_REASON_NONE;
}

/* A line of exactly nf TAB-separated fields: a non-empty key, then a year
 * and nf - 2 counts, into num[0..nf-1). The v1 and v2 layouts. */
static ngc_streaming_reason_t ngc_parse_columns(const char *p, size_t len, size_t nf,
                                                size_t *key_len, uint64_t *num)
{
    const char *s = p, *e = p + len;
    for (size_t i = 0;; i++) {
        const char *tab = memchr(s, '\t', (size_t)(e - s));
        const char *fe = tab ? tab : e;
        if (i == nf || (tab == NULL && i + 1 != nf))
            return NGC_STREAMING_REASON_FIELDS;
        if (i == 0)
            *key_len = (size_t)(fe - s);
        if (tab == NULL)
            break;
        s = tab + 1;
    }
    if (*key_len == 0)
        return NGC_STREAMING_REASON_EMPTY_NGRAM;
    s = p + *key_len + 1;
    for (size_t i = 0; i + 1 < nf; i++) {
        const char *tab = memchr(s, '\t', (size_t)(e - s));
        const char *fe = tab ? tab : e;
        ngc_streaming_reason_t r = ngc_parse_number(s, (size_t)(fe - s), i == 0, &num[i]);
        if (r != NGC_STREAMING_REASON_NONE)
            return r;
        s = fe + 1;
    }
    return NGC_STREAMING_REASON_NONE;
}

ngc_streaming_reason_t ngc_parse_line(const char *p, size_t len, size_t *key_len, uint32_t *year,
                                      uint64_t *match, uint64_t *volume)
{
    if (len > NGC_LINE_MAX)
        return NGC_STREAMING_REASON_LONG;
    if (len > 0 && p[len - 1] == '\r')
        len--;
    uint64_t num[3] = {0};
    ngc_streaming_reason_t r = ngc_parse_columns(p, len, 4, key_len, num);
    if (r != NGC_STREAMING_REASON_NONE)
        return r;
    *year = (uint32_t)num[0];
    *match = num[1];
    *volume = num[2];
    return NGC_STREAMING_REASON_NONE;
}

/* Adds a record's counts to its line's sums, which stick at UINT64_MAX;
 * returns the NGC_LINE_*_OVERFLOW bits of the sums that passed 2^64-1. */
static inline unsigned ngc_parse_line_add(ngc_line_t *out, uint64_t m, uint64_t v)
{
    unsigned over = 0;
    if (__builtin_add_overflow(out->match, m, &out->match)) {
        out->match = UINT64_MAX;
        over |= NGC_LINE_MATCH_OVERFLOW;
    }
    if (__builtin_add_overflow(out->volume, v, &out->volume)) {
        out->volume = UINT64_MAX;
        over |= NGC_LINE_VOLUME_OVERFLOW;
    }
    return over;
}

/* Whether the overflow bits of a line name a total that --count counts. */
static inline bool ngc_parse_counted_overflow(ngc_count_t count, unsigned overflow)
{
    return ((overflow & NGC_LINE_MATCH_OVERFLOW) && count != NGC_COUNT_VOLUME) ||
           ((overflow & NGC_LINE_VOLUME_OVERFLOW) && count != NGC_COUNT_MATCH);
}

/* v3: the key, then one or more TAB-separated year,match,volume triples. */
static ngc_streaming_reason_t ngc_parse_line_v3(const char *p, size_t len, uint32_t from,
                                                uint32_t to, ngc_line_t *out)
{
    const char *e = p + len;
    const char *tab = memchr(p, '\t', len);
    if (tab == NULL)
        return NGC_STREAMING_REASON_FIELDS;
    if (tab == p)
        return NGC_STREAMING_REASON_EMPTY_NGRAM;
    out->key_len = (size_t)(tab - p);
    const char *s = tab + 1;
    for (;;) {
        const char *t = memchr(s, '\t', (size_t)(e - s));
        const char *fe = t ? t : e;
        const char *c1 = memchr(s, ',', (size_t)(fe - s));
        const char *c2 = c1 ? memchr(c1 + 1, ',', (size_t)(fe - c1 - 1)) : NULL;
        if (c2 == NULL || memchr(c2 + 1, ',', (size_t)(fe - c2 - 1)) != NULL)
            return NGC_STREAMING_REASON_TRIPLE;
        uint64_t y = 0, m = 0, v = 0;
        ngc_streaming_reason_t r;
        if ((r = ngc_parse_number(s, (size_t)(c1 - s), true, &y)) != NGC_STREAMING_REASON_NONE ||
            (r = ngc_parse_number(c1 + 1, (size_t)(c2 - c1 - 1), false, &m)) !=
                NGC_STREAMING_REASON_NONE ||
            (r = ngc_parse_number(c2 + 1, (size_t)(fe - c2 - 1), false, &v)) !=
                NGC_STREAMING_REASON_NONE)
            return r;
        if (y < from || y > to) {
            out->filtered++;
        } else {
            out->counted = true;
            out->overflow |= ngc_parse_line_add(out, m, v);
        }
        if (t == NULL)
            return NGC_STREAMING_REASON_NONE;
        s = t + 1;
    }
}

ngc_streaming_reason_t ngc_parse_google_line(ngc_format_t f, const char *p, size_t len,
                                             uint32_t from, uint32_t to, ngc_line_t *out)
{
    *out = (ngc_line_t){0};
    if (len > NGC_LINE_MAX)
        return NGC_STREAMING_REASON_LONG;
    if (len > 0 && p[len - 1] == '\r')
        len--;
    uint32_t year = 0;
    ngc_streaming_reason_t r;
    uint64_t num[4] = {0};
    switch (f) {
    case NGC_FORMAT_V3:
        return ngc_parse_line_v3(p, len, from, to, out);
    case NGC_FORMAT_V1:
        /* year, match, pages (checked, not counted), volume */
        r = ngc_parse_columns(p, len, 5, &out->key_len, num);
        year = (uint32_t)num[0];
        out->year = year;
        out->match = num[1];
        out->volume = num[3];
        break;
    default:
        r = ngc_parse_line(p, len, &out->key_len, &year, &out->match, &out->volume);
        out->year = year;
        break;
    }
    if (r == NGC_STREAMING_REASON_NONE && (year < from || year > to)) {
        out->filtered = 1;
        out->match = out->volume = 0;
    } else {
        out->counted = r == NGC_STREAMING_REASON_NONE;
    }
    return r;
}

int ngc_parse_transform(ngc_parse_t *ps, const char *key, size_t len, const char **out,
                        size_t *out_len)
{
    const ngc_config_t *cfg = ps->cfg;
    *out = key;
    *out_len = len;
    if (cfg->pos != NGC_POS_KEEP) {
        if (ngc_token_pos(cfg->pos, key, len, ps->scratch, out_len) != NGC_OK)
            return NGC_AGAIN;
        if (cfg->pos == NGC_POS_STRIP)
            *out = ps->scratch;
    }
    if (cfg->fold_case) {
        /* scratch holds up to 3 * NGC_LINE_MAX: folding may grow a key. */
        char *dst = *out == ps->scratch ? ps->scratch + NGC_LINE_MAX : ps->scratch;
        *out_len = ngc_token_fold(*out, *out_len, dst);
        *out = dst;
    }
    return NGC_OK;
}

int ngc_parse_malformed(ngc_parse_t *ps, ngc_streaming_reason_t why)
{
    ps->malformed++;
    if (ps->nsamples < NGC_MSG_SAMPLES)
        ps->samples[ps->nsamples++] = (ngc_msg_sample_t){ps->lines, why, 0};
    if (ps->cfg->strict) {
        ps->fail = NGC_FAIL_MALFORMED;
        ps->fail_line = ps->lines;
        snprintf(ps->fail_text, sizeof(ps->fail_text), "%s", ngc_msg_reason_text(why));
        return NGC_ERROR;
    }
    return NGC_OK;
}

int ngc_parse_emit(ngc_parse_t *ps, ngc_combiner_t *m, const char *k, size_t klen, uint64_t match,
                   uint64_t volume)
{
    return ngc_parse_emit_hashed(ps, m, k, klen, ngc_counters_hash(k, klen), match, volume);
}

int ngc_parse_emit_hashed(ngc_parse_t *ps, ngc_combiner_t *m, const char *k, size_t klen,
                          uint64_t hash, uint64_t match, uint64_t volume)
{
    int rc = ngc_combiner_add_hashed(m, k, (uint32_t)klen, hash, match, ps->volumes ? volume : 0);
    if (NGC_LIKELY(rc == NGC_OK)) {
        if (NGC_UNLIKELY(ngc_combiner_bytes(m) > ps->map_budget || ngc_combiner_wants_merge(m)) &&
            ps->spill != NULL)
            return ps->spill(ps, m, ps->spill_arg);
        return NGC_OK;
    }
    ps->fail = rc == NGC_FULL ? NGC_FAIL_FULL : NGC_FAIL_OVERFLOW;
    ps->fail_line = ps->lines;
    snprintf(ps->fail_text, sizeof(ps->fail_text),
             rc == NGC_FULL ? "out of memory in the map table at '%.*s'"
                            : "the total of '%.*s' passes 2^64-1",
             (int)(klen < 200 ? klen : 200), k);
    return NGC_ERROR;
}

void ngc_parse_year_suffix(char *dst, uint32_t year)
{
    dst[0] = '\t';
    dst[1] = (char)('0' + year / 1000 % 10);
    dst[2] = (char)('0' + year / 100 % 10);
    dst[3] = (char)('0' + year / 10 % 10);
    dst[4] = (char)('0' + year % 10);
}

/* --by-year: the transformed key k[0..klen) in scratch, with room for the
 * year after it (scratch holds 6 * NGC_LINE_MAX; a key at most 4). */
static char *ngc_parse_year_key(ngc_parse_t *ps, const char *k, size_t klen)
{
    if (k >= ps->scratch && k < ps->scratch + NGC_PARSE_SCRATCH)
        return (char *)k;
    memcpy(ps->scratch, k, klen);
    return ps->scratch;
}

/* Emits a run: its ngram transformed, and with --by-year its year added. */
static int ngc_parse_flush(ngc_parse_t *ps, ngc_combiner_t *m, const char *key, size_t len,
                           uint32_t year, uint64_t match, uint64_t volume)
{
    const char *k;
    size_t klen;
    ps->runs++;
    if (ngc_parse_transform(ps, key, len, &k, &klen) != NGC_OK) {
        ps->dropped++;
        return NGC_OK;
    }
    if (ps->cfg->by_year) {
        char *yk = ngc_parse_year_key(ps, k, klen);
        ngc_parse_year_suffix(yk + klen, year);
        return ngc_parse_emit(ps, m, yk, klen + NGC_YEAR_SUFFIX, match, volume);
    }
    return ngc_parse_emit(ps, m, k, klen, match, volume);
}

/* --by-year of a v3 line that parsed well: one key per triple within the
 * years, from q (the TAB after the key) to e (the line's end, before any
 * CR). */
static int ngc_parse_v3_years(ngc_parse_t *ps, ngc_combiner_t *m, const char *key, size_t len,
                              const char *q, const char *e)
{
    const ngc_config_t *cfg = ps->cfg;
    const char *k;
    size_t klen;
    ps->runs++;
    if (ngc_parse_transform(ps, key, len, &k, &klen) != NGC_OK) {
        ps->dropped++;
        return NGC_OK;
    }
    char *yk = ngc_parse_year_key(ps, k, klen);
    while (q < e) {
        uint64_t f[3] = {0, 0, 0};
        q++; /* the TAB */
        for (unsigned i = 0; i < 3; i++, q++)
            while (q < e && *q != ',' && *q != '\t')
                f[i] = f[i] * 10 + (uint64_t)(*q++ - '0');
        q--; /* back on the TAB or the end */
        if (f[0] < cfg->from_year || f[0] > cfg->to_year)
            continue;
        ngc_parse_year_suffix(yk + klen, (uint32_t)f[0]);
        if (ngc_parse_emit(ps, m, yk, klen + NGC_YEAR_SUFFIX, f[1], f[2]) != NGC_OK)
            return NGC_ERROR;
    }
    return NGC_OK;
}

/* A counted sum that passed 2^64-1 (ngc_parse_add_run). Only an ngram that
 * is counted can overflow: --pos may drop it (the flush drops it again,
 * whatever its sums are). */
static __attribute__((noinline, cold)) int ngc_parse_run_overflow(ngc_parse_t *ps, const char *key,
                                                                  size_t key_len)
{
    const char *k;
    size_t kl;
    if (ngc_parse_transform(ps, key, key_len, &k, &kl) == NGC_AGAIN)
        return NGC_AGAIN;
    ps->fail = NGC_FAIL_OVERFLOW;
    ps->fail_line = ps->lines;
    snprintf(ps->fail_text, sizeof(ps->fail_text), "the total of '%.*s' passes 2^64-1",
             (int)(key_len < 200 ? key_len : 200), key);
    return NGC_ERROR;
}

/* Adds a line's counts to its run's (overflow: the line's own, as
 * ngc_line_t). NGC_OK; NGC_AGAIN when a counted sum passes 2^64-1 but --pos
 * drops the ngram anyway; NGC_ERROR (fail set) when not. Inline: it runs
 * for every line, and the call showed in the 1-gram profile (5%). */
static inline int ngc_parse_add_run(ngc_parse_t *ps, const char *key, size_t key_len,
                                    uint64_t *run_match, uint64_t *run_volume, uint64_t match,
                                    uint64_t volume, unsigned overflow)
{
    ngc_count_t count = ps->cfg->count;
    if (NGC_LIKELY(!ngc_parse_counted_overflow(count, overflow) &&
                   ngc_counters_add(count, run_match, run_volume, match, volume)))
        return NGC_OK;
    return ngc_parse_run_overflow(ps, key, key_len);
}

/*
 * Vector helpers. They read 16 or 32 bytes from where they start, so the
 * caller uses them only with that many bytes left before the buffer's end.
 */
#ifdef __SSE2__
#include <emmintrin.h>
#define NGC_PARSE_VEC 1
#else
#define NGC_PARSE_VEC 0
#endif

/* Whether the n bytes at a and b are equal (n <= 32 on the vector path). */
static inline bool ngc_parse_same(const char *a, const char *b, size_t n, const char *end)
{
#if NGC_PARSE_VEC
    if (n <= 16 && b + 16 <= end && a + 16 <= end) {
        __m128i x = _mm_loadu_si128((const __m128i *)a);
        __m128i y = _mm_loadu_si128((const __m128i *)b);
        unsigned eq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
        unsigned want = (1u << n) - 1;
        return (eq & want) == want;
    }
#endif
    return b + n <= end && memcmp(a, b, n) == 0;
}

#if NGC_PARSE_VEC
/* The bytes of the 16 at x that are ASCII digits, one bit each. */
static inline unsigned ngc_parse_digits16(__m128i x)
{
    __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));
}

static inline unsigned ngc_parse_eq16(__m128i x, char c)
{
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(c)));
}

/*
 * "year S match S volume" in bytes from..e-1 of the 16 at q (digits the
 * digit bytes, seps the separator S's bytes): exactly two separators, a
 * year of 1..4 digits and numbers of 1..8, converted. The volume only when
 * the job reads volumes (ngc_parse_emit drops it otherwise: 6% of a 1-gram
 * run); the year only when it reads years (ngc_parse_year_values), else 1
 * for any year but 0. False for anything else.
 */
static inline bool ngc_parse_fields3(const char *q, unsigned digits, unsigned seps, unsigned from,
                                     unsigned e, bool years, bool volumes, uint64_t *year,
                                     uint64_t *match, uint64_t *volume)
{
    unsigned inside = ((1u << e) - 1) & ~((1u << from) - 1);
    unsigned s = seps & inside;
    unsigned rest = s & (s - 1); /* s without its lowest bit: one bit left? */
    if (rest == 0 || (rest & (rest - 1)) != 0 || ((digits | s) & inside) != inside)
        return false;
    unsigned s1 = (unsigned)__builtin_ctz(s), s2 = (unsigned)__builtin_ctz(rest);
    unsigned n1 = s1 - from, n2 = s2 - s1 - 1, n3 = e - s2 - 1;
    if (n1 - 1 > 3 || n2 - 1 > 7 || n3 - 1 > 7)
        return false;
    *year = years ? ngc_scan_field(q + from, n1) : ngc_scan_nonzero(q + from, n1);
    *match = ngc_scan_field(q + s1 + 1, n2);
    *volume = volumes ? ngc_scan_field(q + s2 + 1, n3) : 0;
    return true;
}

/*
 * A v2 line's "year TAB match TAB volume LF" within the 16 bytes at q:
 * returns the bytes through the LF, or 0 for anything else (the generic
 * path then decides). 24 bytes readable at q.
 */
static inline size_t ngc_parse_tail(const char *q, bool years, bool volumes, uint64_t *year,
                                    uint64_t *match, uint64_t *volume)
{
    __m128i x = _mm_loadu_si128((const __m128i *)q);
    unsigned lf = ngc_parse_eq16(x, '\n');
    if (lf == 0)
        return 0;
    unsigned e = (unsigned)__builtin_ctz(lf);
    return ngc_parse_fields3(q, ngc_parse_digits16(x), ngc_parse_eq16(x, '\t'), 0, e, years,
                             volumes, year, match, volume)
               ? e + 1
               : 0;
}

/*
 * One v3 triple, "TAB year,match,volume" up to the next TAB, CR or LF,
 * within the 16 bytes at q: returns where the triple ends (the byte after
 * its volume), or 0 for anything else (the scalar path then decides). 24
 * bytes readable at q.
 */
static inline size_t ngc_parse_triple(const char *q, bool years, bool volumes, uint64_t *year,
                                      uint64_t *match, uint64_t *volume)
{
    __m128i x = _mm_loadu_si128((const __m128i *)q);
    unsigned ends = (ngc_parse_eq16(x, '\t') | ngc_parse_eq16(x, '\n') | ngc_parse_eq16(x, '\r')) &
                    ~1u;
    if (ends == 0)
        return 0;
    unsigned t = (unsigned)__builtin_ctz(ends);
    return ngc_parse_fields3(q, ngc_parse_digits16(x), ngc_parse_eq16(x, ','), 1, t, years, volumes,
                             year, match, volume)
               ? t
               : 0;
}
#endif

/*
 * A well-formed v3 line's triples, "TAB year,match,volume" each, from q (the
 * TAB just past the key) to the line's LF (a CR before it allowed), which
 * it finds itself: *next is the byte after that LF. False on any surprise:
 * ngc_parse_google_line then decides.
 */
static bool ngc_parse_v3_fast(const char *line, const char *q, const char *end, bool years,
                              bool volumes, uint32_t from, uint32_t to, ngc_line_t *out,
                              const char **next)
{
#if !NGC_PARSE_VEC
    (void)years; /* only the vector path skips conversions */
    (void)volumes;
#endif
    for (;;) {
        uint64_t y, m, v;
#if NGC_PARSE_VEC
        size_t n;
        if (NGC_LIKELY(q + 24 <= end) &&
            (n = ngc_parse_triple(q, years, volumes, &y, &m, &v)) != 0) {
            q += n;
        } else
#endif
        {
            if (*q++ != '\t')
                return false;
            size_t d1, d2, d3;
            y = ngc_scan_digits(&q, &d1, end);
            if (*q++ != ',' || d1 - 1 > 3)
                return false;
            m = ngc_scan_digits(&q, &d2, end);
            if (*q++ != ',' || d2 - 1 > 18)
                return false;
            v = ngc_scan_digits(&q, &d3, end);
            if (d3 - 1 > 18)
                return false;
        }
        if (y == 0)
            return false;
        if (y < from || y > to) {
            out->filtered++;
        } else {
            out->counted = true;
            out->overflow |= ngc_parse_line_add(out, m, v);
        }
        if (*q == '\t')
            continue;
        const char *nl = *q == '\r' ? q + 1 : q;
        if (*nl != '\n' || (size_t)(nl - line) > NGC_LINE_MAX)
            return false;
        *next = nl + 1;
        return true;
    }
}

/*
 * Whether the job needs each year's value: --by-year, or a year range that
 * leaves out some of the years a line may hold (1..9999). Else the fast
 * paths only check that a year is not 0 and give 1 for it: converting it
 * was a tenth of a v3 line's parse.
 */
static inline bool ngc_parse_year_values(const ngc_config_t *cfg)
{
    return cfg->by_year || cfg->from_year > 1 || cfg->to_year < 9999;
}

/* v1 and v3 lines: one generic loop over ngc_parse_google_line. */
static int ngc_parse_records(ngc_parse_t *ps, const char *buf, size_t len, ngc_combiner_t *m)
{
    const ngc_config_t *cfg = ps->cfg;
    const char *p = buf, *end = buf + len;
    const char *run_key = NULL;
    size_t run_len = 0;
    uint32_t run_year = 0;
    uint64_t run_match = 0, run_volume = 0;
    bool run_counted = false;
    const bool by_year = cfg->by_year;
    const bool years = ngc_parse_year_values(cfg);
    while (p < end) {
        ps->lines++;
        const char *line = p;
        ngc_line_t l = {0};
        ngc_streaming_reason_t why = NGC_STREAMING_REASON_NONE;
        const char *tab = NULL;
        if (ps->format == NGC_FORMAT_V3)
            tab = ngc_scan_key(line, end);
        if (tab != NULL && *tab == '\t' && tab != line &&
            ngc_parse_v3_fast(line, tab, end, years, ps->volumes, cfg->from_year, cfg->to_year, &l,
                              &p)) {
            l.key_len = (size_t)(tab - line);
        } else {
            const char *nl = memchr(line, '\n', (size_t)(end - line));
            p = nl + 1;
            why = ngc_parse_google_line(ps->format, line, (size_t)(nl - line), cfg->from_year,
                                        cfg->to_year, &l);
        }
        if (why != NGC_STREAMING_REASON_NONE) {
            if (ngc_parse_malformed(ps, why) != NGC_OK)
                return NGC_ERROR;
            continue;
        }
        ps->filtered += l.filtered;
        if (by_year && ps->format == NGC_FORMAT_V3) {
            /* Each triple is its own key: no run across lines. The line
             * ends before its LF (p - 1), and before a CR there. */
            const char *e = p - 1 > line && p[-2] == '\r' ? p - 2 : p - 1;
            if (l.counted &&
                ngc_parse_v3_years(ps, m, line, l.key_len, line + l.key_len, e) != NGC_OK)
                return NGC_ERROR;
            continue;
        }
        if (run_key == NULL || l.key_len != run_len || memcmp(run_key, line, run_len) != 0 ||
            (by_year && l.year != run_year)) {
            if (run_counted &&
                ngc_parse_flush(ps, m, run_key, run_len, run_year, run_match, run_volume) != NGC_OK)
                return NGC_ERROR;
            run_key = line;
            run_len = l.key_len;
            run_year = l.year;
            run_match = run_volume = 0;
            run_counted = false;
        }
        if (!l.counted)
            continue;
        int rc = ngc_parse_add_run(ps, line, l.key_len, &run_match, &run_volume, l.match, l.volume,
                                   l.overflow);
        if (rc == NGC_ERROR)
            return NGC_ERROR;
        run_counted = true;
    }
    if (run_counted &&
        ngc_parse_flush(ps, m, run_key, run_len, run_year, run_match, run_volume) != NGC_OK)
        return NGC_ERROR;
    return NGC_OK;
}

static int ngc_parse_lines(ngc_parse_t *ps, const char *buf, size_t len, ngc_combiner_t *m);

/* Whether the ngram of raw key k[0..len) is selected, once transformed. */
static bool ngc_parse_selected(ngc_parse_t *ps, const char *k, size_t len)
{
    const char *t;
    size_t tlen;
    if (ngc_parse_transform(ps, k, len, &t, &tlen) != NGC_OK)
        return false; /* --pos drops it anyway */
    return ngc_select_match(ps->select, t, tlen);
}

/*
 * --select: the whole lines of selected ngrams go, in blocks, to the
 * parser; any other line costs finding its key's end and its LF. One
 * decision per ngram: a file's lines of one ngram are adjacent, and the
 * next line's key is compared with the last decided one. Skipped lines
 * are not classified (nor counted as malformed or filtered).
 */
static int ngc_parse_select_buffer(ngc_parse_t *ps, const char *buf, size_t len, ngc_combiner_t *m)
{
    const char *p = buf, *end = buf + len, *block = NULL;
    const char *last = NULL;
    size_t last_len = 0;
    bool last_in = false;
    while (p < end) {
        const char *q;
        /* The key and its TAB (or LF) as the last line's: same ngram. */
        if (last != NULL && ngc_parse_same(last, p, last_len + 1, end)) {
            q = p + last_len;
        } else {
            q = ngc_scan_key(p, end);
            last = p;
            last_len = (size_t)(q - p);
            last_in = ngc_parse_selected(ps, p, last_len);
        }
        const char *nl = *q == '\n' ? q : memchr(q, '\n', (size_t)(end - q));
        if (last_in) {
            if (block == NULL)
                block = p;
        } else {
            if (block != NULL && ngc_parse_lines(ps, block, (size_t)(p - block), m) != NGC_OK)
                return NGC_ERROR;
            block = NULL;
            ps->lines++;
        }
        p = nl + 1;
    }
    if (block != NULL)
        return ngc_parse_lines(ps, block, (size_t)(end - block), m);
    return NGC_OK;
}

int ngc_parse_buffer(ngc_parse_t *ps, const char *buf, size_t len, ngc_combiner_t *m)
{
    ngc_assert(len > 0 && buf[len - 1] == '\n' && ps->format != NGC_FORMAT_TEXT);
    if (ps->select != NULL)
        return ngc_parse_select_buffer(ps, buf, len, m);
    return ngc_parse_lines(ps, buf, len, m);
}

/* The lines of buf[0..len), whatever --select says. */
static int ngc_parse_lines(ngc_parse_t *ps, const char *buf, size_t len, ngc_combiner_t *m)
{
    switch (ps->format) {
    case NGC_FORMAT_V2:
        break;
    case NGC_FORMAT_V1:
    case NGC_FORMAT_V3:
        return ngc_parse_records(ps, buf, len, m);
    default:
        ngc_assert(!"the task's format is decided before parsing");
    }
    const ngc_config_t *cfg = ps->cfg;
    const char *p = buf, *end = buf + len;
    const char *run_key = NULL;
    size_t run_len = 0;
    uint32_t run_year = 0;
    uint64_t run_match = 0, run_volume = 0;
    bool run_counted = false;
    const bool by_year = cfg->by_year;
    const bool years = ngc_parse_year_values(cfg);
#if !NGC_PARSE_VEC
    (void)years; /* only the vector path skips the conversion */
#endif

    while (p < end) {
        ps->lines++;
        const char *line = p;
        const char *q;
        size_t key_len;
        uint64_t year, match, volume;
        size_t d1, d2, d3;
        bool same = false;
        /* Sorted input: most lines start with the previous line's key and
         * its TAB; checking that skips the scan and the key comparison. */
        if (run_key != NULL && ngc_parse_same(run_key, line, run_len + 1, end)) {
            q = line + run_len;
            key_len = run_len;
            same = true;
        } else {
            q = ngc_scan_key(line, end);
            key_len = (size_t)(q - line);
        }
        if (NGC_LIKELY(*q == '\t' && key_len > 0)) {
            q++;
#if NGC_PARSE_VEC
            size_t n;
            if (NGC_LIKELY(q + 24 <= end) &&
                (n = ngc_parse_tail(q, years, ps->volumes, &year, &match, &volume)) != 0 &&
                year != 0 && (size_t)(q + n - line) <= NGC_LINE_MAX) {
                p = q + n;
                goto parsed;
            }
#endif
            year = ngc_scan_digits(&q, &d1, end);
            if (*q != '\t')
                goto slow;
            q++;
            match = ngc_scan_digits(&q, &d2, end);
            if (*q != '\t')
                goto slow;
            q++;
            volume = ngc_scan_digits(&q, &d3, end);
            if (*q == '\r')
                q++;
            /* 19 digits cannot overflow; longer numbers take the slow path. */
            if (*q != '\n' || d1 - 1 > 3 || year == 0 || d2 - 1 > 18 || d3 - 1 > 18 ||
                (size_t)(q - line) > NGC_LINE_MAX)
                goto slow;
            p = q + 1;
        } else {
        slow:;
            const char *nl = memchr(line, '\n', (size_t)(end - line));
            uint32_t y;
            ngc_streaming_reason_t why = ngc_parse_line(line, (size_t)(nl - line), &key_len, &y,
                                                        &match, &volume);
            p = nl + 1;
            if (why != NGC_STREAMING_REASON_NONE) {
                if (ngc_parse_malformed(ps, why) != NGC_OK)
                    return NGC_ERROR;
                continue;
            }
            year = y;
            same = run_key != NULL && key_len == run_len && memcmp(run_key, line, key_len) == 0;
        }
#if NGC_PARSE_VEC
    parsed:
#endif

        /* --by-year: a run is one ngram's lines of one year. */
        if (!same || (by_year && year != run_year)) {
            if (run_counted &&
                ngc_parse_flush(ps, m, run_key, run_len, run_year, run_match, run_volume) != NGC_OK)
                return NGC_ERROR;
            run_key = line;
            run_len = key_len;
            run_year = (uint32_t)year;
            run_match = run_volume = 0;
            run_counted = false;
        }
        if (year < cfg->from_year || year > cfg->to_year) {
            ps->filtered++;
            continue;
        }
        if (ngc_parse_add_run(ps, line, key_len, &run_match, &run_volume, match, volume, false) ==
            NGC_ERROR)
            return NGC_ERROR;
        run_counted = true;
    }
    if (run_counted &&
        ngc_parse_flush(ps, m, run_key, run_len, run_year, run_match, run_volume) != NGC_OK)
        return NGC_ERROR;
    return NGC_OK;
}
