/*
 * normalize.c: the totals file's parser, and exact decimal division in
 * 128-bit integers (count * 10^6 < 2^84, so nothing overflows).
 */
#include "engine/base/ngc.h"
#include "engine/reduce/normalize.h"
#include "engine/reduce/counters.h"
#include "engine/base/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

typedef unsigned __int128 ngc_u128_t;

#define NGC_TOTALS_FILE_MAX (64u << 20)

static bool ngc_normalize_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Splits "a,b,c[,d]" into numbers (a lone number is one); the count of
 * them, or 0 if malformed. */
static unsigned ngc_normalize_tuple(const char *s, const char *e, uint64_t v[4])
{
    unsigned n = 0;
    for (;;) {
        if (n == 4)
            return 0;
        const char *c = memchr(s, ',', (size_t)(e - s));
        const char *fe = c ? c : e;
        if (fe == s)
            return 0;
        uint64_t x = 0;
        for (const char *p = s; p < fe; p++) {
            if (*p < '0' || *p > '9' || __builtin_mul_overflow(x, 10, &x) ||
                __builtin_add_overflow(x, (uint64_t)(*p - '0'), &x))
                return 0;
        }
        v[n++] = x;
        if (c == NULL)
            return n;
        s = c + 1;
    }
}

/* Reads the totals file at path (at most 64 MiB) into a malloc'd buffer. */
static char *ngc_normalize_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        ngc_log_file(errno, path, "cannot open (--normalize)");
        return NULL;
    }
    char *buf = malloc(NGC_TOTALS_FILE_MAX + 1);
    *len = buf ? fread(buf, 1, NGC_TOTALS_FILE_MAX + 1, f) : 0;
    bool read_error = buf == NULL || ferror(f);
    fclose(f);
    if (read_error || *len > NGC_TOTALS_FILE_MAX) {
        ngc_log_file(0, path, "cannot read (--normalize)%s",
                     *len > NGC_TOTALS_FILE_MAX ? ": larger than 64 MiB, not a totals file" : "");
        free(buf);
        return NULL;
    }
    return buf;
}

typedef int (*ngc_normalize_tuple_fn)(const char *path, const uint64_t v[4], unsigned n, void *arg);

/*
 * Walks the tuples of a totals file: the 2012 and 2020 shape (tuples
 * "year,match[,pages],volume" separated by spaces, TABs, CRs or LFs) and the
 * 2009 shape (a '#' header line, then one "year TAB match TAB pages TAB
 * volume" row per line). Calls fn for each; *count gets their number.
 */
static int ngc_normalize_walk(const char *path, const char *buf, size_t len,
                              ngc_normalize_tuple_fn fn, void *arg, unsigned *count)
{
    const char *p = buf, *end = buf + len;
    unsigned arity = 0, index = 0;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        const char *s = p;
        while (s < eol && ngc_normalize_space(*s))
            s++;
        if (s < eol && *s == '#') {
            p = eol + (eol < end);
            continue;
        }
        /* A line without commas is one row of numbers (2009). */
        bool row = s < eol && memchr(s, ',', (size_t)(eol - s)) == NULL;
        while (s < eol) {
            const char *t = s;
            uint64_t v[4];
            unsigned n = 0;
            if (row) {
                while (t < eol && n < 5) {
                    const char *f = t;
                    while (t < eol && !ngc_normalize_space(*t))
                        t++;
                    n = n < 4 && ngc_normalize_tuple(f, t, v + n) == 1 ? n + 1 : 5;
                    while (t < eol && ngc_normalize_space(*t))
                        t++;
                }
                if (n == 5)
                    n = 0;
            } else {
                while (t < eol && !ngc_normalize_space(*t))
                    t++;
                n = ngc_normalize_tuple(s, t, v);
            }
            index++;
            if ((n != 3 && n != 4) || (arity != 0 && n != arity) || v[0] < 1 || v[0] > 9999) {
                ngc_log_file(0, path,
                             "tuple %u ('%.*s') is not year,match,pages,volume or "
                             "year,match,volume like the others: is it Google's "
                             "totalcounts file? (--normalize)",
                             index, (int)(t - s < 60 ? t - s : 60), s);
                return NGC_ERROR;
            }
            arity = n;
            if (fn(path, v, n, arg) != NGC_OK)
                return NGC_ERROR;
            s = t;
            while (s < eol && ngc_normalize_space(*s))
                s++;
        }
        p = eol + (eol < end);
    }
    *count = index;
    return NGC_OK;
}

typedef struct {
    uint32_t from, to;
    ngc_count_t count;
    ngc_totals_t *out;
} ngc_normalize_sum_t;

static int ngc_normalize_sum(const char *path, const uint64_t v[4], unsigned n, void *arg)
{
    ngc_normalize_sum_t *sum = arg;
    if (v[0] < sum->from || v[0] > sum->to)
        return NGC_OK;
    if (!ngc_counters_add(sum->count, &sum->out->match, &sum->out->volume, v[1], v[n - 1])) {
        ngc_log_file(0, path, "the totals pass 2^64-1 (--normalize)");
        return NGC_ERROR;
    }
    return NGC_OK;
}

int ngc_normalize_load(const char *path, uint32_t from, uint32_t to, ngc_count_t count,
                       ngc_totals_t *out)
{
    size_t len;
    char *buf = ngc_normalize_read(path, &len);
    if (buf == NULL)
        return NGC_ERROR;
    *out = (ngc_totals_t){0};
    ngc_normalize_sum_t sum = {from, to, count, out};
    unsigned index = 0;
    int rc = ngc_normalize_walk(path, buf, len, ngc_normalize_sum, &sum, &index);
    free(buf);
    if (rc == NGC_OK && ((count != NGC_COUNT_VOLUME && out->match == 0) ||
                         (count != NGC_COUNT_MATCH && out->volume == 0))) {
        ngc_log_file(0, path,
                     "has %s for years %u..%u (--normalize): check --from-year and "
                     "--to-year",
                     index == 0 ? "no tuples" : "no words or books", from, to);
        rc = NGC_ERROR;
    }
    return rc;
}

static int ngc_normalize_year(const char *path, const uint64_t v[4], unsigned n, void *arg)
{
    ngc_year_totals_t *yt = arg;
    uint32_t y = (uint32_t)v[0];
    if (yt->has[y]) {
        ngc_log_file(0, path, "has year %u twice (--normalize)", y);
        return NGC_ERROR;
    }
    yt->has[y] = true;
    yt->match[y] = v[1];
    yt->volume[y] = v[n - 1];
    return NGC_OK;
}

ngc_year_totals_t *ngc_normalize_load_years(const char *path)
{
    ngc_year_totals_t *yt = calloc(1, sizeof(*yt));
    size_t len;
    char *buf = yt != NULL ? ngc_normalize_read(path, &len) : NULL;
    unsigned index = 0;
    if (buf == NULL ||
        ngc_normalize_walk(path, buf, len, ngc_normalize_year, yt, &index) != NGC_OK) {
        free(buf);
        free(yt);
        return NULL;
    }
    free(buf);
    if (index == 0) {
        ngc_log_file(0, path, "has no tuples: is it Google's totalcounts file? (--normalize)");
        free(yt);
        return NULL;
    }
    return yt;
}

static unsigned ngc_normalize_digits(ngc_u128_t v)
{
    unsigned n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static ngc_u128_t ngc_normalize_pow10(unsigned k)
{
    ngc_u128_t p = 1;
    while (k-- > 0)
        p *= 10;
    return p;
}

size_t ngc_normalize_place_point(const char *digits, int int_digits, char *dst)
{
    char *p = dst;
    if (int_digits <= 0) {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -int_digits; i++)
            *p++ = '0';
        memcpy(p, digits, NGC_NORMALIZE_DIGITS);
        p += NGC_NORMALIZE_DIGITS;
    } else if (int_digits >= NGC_NORMALIZE_DIGITS) {
        memcpy(p, digits, NGC_NORMALIZE_DIGITS);
        p += NGC_NORMALIZE_DIGITS;
        for (int i = NGC_NORMALIZE_DIGITS; i < int_digits; i++)
            *p++ = '0';
        return (size_t)(p - dst);
    } else {
        memcpy(p, digits, (size_t)int_digits);
        p += int_digits;
        *p++ = '.';
        memcpy(p, digits + int_digits, (size_t)(NGC_NORMALIZE_DIGITS - int_digits));
        p += NGC_NORMALIZE_DIGITS - int_digits;
    }
    /* A fraction: trailing zeros, then a bare point, go. */
    while (p[-1] == '0')
        p--;
    if (p[-1] == '.')
        p--;
    return (size_t)(p - dst);
}

size_t ngc_normalize_format(char *dst, uint64_t count, uint64_t scale, uint64_t denom)
{
    ngc_assert(denom > 0 && scale <= 1000000);
    if (count == 0) {
        dst[0] = '0';
        return 1;
    }
    const ngc_u128_t lo = ngc_normalize_pow10(NGC_NORMALIZE_DIGITS - 1);
    ngc_u128_t num = (ngc_u128_t)count * scale, den = denom;
    /* value = num / den = m * 10^-s with m of exactly 17 digits. */
    int s;
    ngc_u128_t q = num / den;
    if (q > 0) {
        s = NGC_NORMALIZE_DIGITS - (int)ngc_normalize_digits(q);
    } else {
        /* Below 1: num * 10^s / den reaches 10^16 for some s <= 17 + 19 + 20. */
        s = NGC_NORMALIZE_DIGITS;
        while (num * ngc_normalize_pow10((unsigned)s) < den * lo)
            s++;
    }
    if (s >= 0)
        num *= ngc_normalize_pow10((unsigned)s);
    else
        den *= ngc_normalize_pow10((unsigned)-s);
    ngc_u128_t m = num / den, r = num % den;
    /* Round half to even on the exact remainder. */
    if (r * 2 > den || (r * 2 == den && (m & 1)))
        m++;
    if (m == lo * 10) {
        m = lo;
        s--;
    }
    char digits[NGC_NORMALIZE_DIGITS];
    for (int i = NGC_NORMALIZE_DIGITS - 1; i >= 0; i--) {
        digits[i] = (char)('0' + (int)(m % 10));
        m /= 10;
    }
    return ngc_normalize_place_point(digits, NGC_NORMALIZE_DIGITS - s, dst);
}
