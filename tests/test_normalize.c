/*
 * test_normalize.c: --normalize (engine/reduce/normalize.h). ngc_normalize_format
 * against the spec's examples, hand-computed ties and extremes, and a
 * reference written here that divides in decimal digits with 64-bit
 * arithmetic only; ngc_normalize_load on totals files in a temporary
 * directory, good and bad.
 */
#include "engine/base/ngc.h"
#include "engine/reduce/normalize.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#define NGC_T_M UINT64_MAX
#define NGC_T_MILLION 1000000u

/* --- ngc_normalize_format ---------------------------------------------- */

/* Formats into a buffer with a guard after NGC_NORMALIZE_MAX bytes. */
static size_t ngc_t_format(char *out, uint64_t count, uint64_t scale, uint64_t denom)
{
    char buf[NGC_NORMALIZE_MAX + 16];
    memset(buf, 0x5a, sizeof(buf));
    size_t n = ngc_normalize_format(buf, count, scale, denom);
    assert_true(n > 0 && n <= NGC_NORMALIZE_MAX);
    for (size_t i = NGC_NORMALIZE_MAX; i < sizeof(buf); i++)
        if (buf[i] != 0x5a)
            fail_msg("%llu*%llu/%llu wrote past NGC_NORMALIZE_MAX", (unsigned long long)count,
                     (unsigned long long)scale, (unsigned long long)denom);
    memcpy(out, buf, n);
    out[n] = '\0';
    return n;
}

static void ngc_t_fmt(uint64_t count, uint64_t scale, uint64_t denom, const char *want)
{
    char got[NGC_NORMALIZE_MAX + 1];
    ngc_t_format(got, count, scale, denom);
    if (strcmp(got, want) != 0)
        fail_msg("%llu*%llu/%llu: \"%s\", expected \"%s\"", (unsigned long long)count,
                 (unsigned long long)scale, (unsigned long long)denom, got, want);
}

static void test_format_spec_examples(void **state)
{
    (void)state;
    ngc_t_fmt(1, NGC_T_MILLION, 3, "333333.33333333333");
    ngc_t_fmt(5, NGC_T_MILLION, 100000000, "0.05");
    ngc_t_fmt(1, NGC_T_MILLION, 7, "142857.14285714286");
    ngc_t_fmt(0, NGC_T_MILLION, 7, "0");
    ngc_t_fmt(0, 100, 1, "0");
    ngc_t_fmt(0, 100, NGC_T_M, "0");
}

static void test_format_plain(void **state)
{
    (void)state;
    /* No exponent, no trailing zeros, no bare point. */
    ngc_t_fmt(1, 1, 1, "1");
    ngc_t_fmt(1, NGC_T_MILLION, 1, "1000000");
    ngc_t_fmt(2, 100, 4, "50");
    ngc_t_fmt(7, 100, 7, "100");
    ngc_t_fmt(1, 100, 8, "12.5");
    ngc_t_fmt(3, 100, 4, "75");
    ngc_t_fmt(1, 100, 3, "33.333333333333333");
    ngc_t_fmt(2, 100, 3, "66.666666666666667");
    ngc_t_fmt(1, 100, 1000, "0.1");
    ngc_t_fmt(99999999999999999ull, 1, 10, "9999999999999999.9");
    ngc_t_fmt(99999999999999999ull, 1, 1000000000000000000ull, "0.099999999999999999");
}

static void test_format_half_even(void **state)
{
    (void)state;
    /* Exact ties at the 18th significant digit: to the even 17th. */
    ngc_t_fmt(123456789012345675ull, 1, 1000000000000000000ull, "0.12345678901234568");
    ngc_t_fmt(123456789012345665ull, 1, 1000000000000000000ull, "0.12345678901234566");
    ngc_t_fmt(12345678901234567500ull, 1, 1, "12345678901234568000");
    ngc_t_fmt(12345678901234566500ull, 1, 1, "12345678901234566000");
    /* 24691357802469135 * 10^6 / (2 * 10^18) = 12345.6789012345675 */
    ngc_t_fmt(24691357802469135ull, NGC_T_MILLION, 2000000000000000000ull, "12345.678901234568");
    ngc_t_fmt(24691357802469133ull, NGC_T_MILLION, 2000000000000000000ull, "12345.678901234566");
    /* Just off a tie: the remainder decides. */
    ngc_t_fmt(1234567890123456650ull, 1, 10000000000000000000ull, "0.12345678901234566");
    ngc_t_fmt(1234567890123456651ull, 1, 10000000000000000000ull, "0.12345678901234567");
    ngc_t_fmt(1234567890123456749ull, 1, 10000000000000000000ull, "0.12345678901234567");
    /* A tie that carries into a new digit: 99999999999999999.5 * 10^3. */
    ngc_t_fmt(999999999999999995ull, 100, 1, "100000000000000000000");
    ngc_t_fmt(9999999999999999999ull, 1, 10000000000000000000ull, "1");
    ngc_t_fmt(999999999999999999ull, 1, 10000000000000000000ull, "0.1");
}

static void test_format_extremes(void **state)
{
    (void)state;
    /* 10^17 and more: an integer, rounded, with trailing zeros. */
    ngc_t_fmt(100000000000000000ull, 1, 1, "100000000000000000");
    ngc_t_fmt(123456789012345678ull, 1, 1, "123456789012345680");
    ngc_t_fmt(NGC_T_M, NGC_T_MILLION, 1, "18446744073709552000000000");
    ngc_t_fmt(NGC_T_M, 100, 3, "614891469123651720000");
    ngc_t_fmt(NGC_T_M, 1, 1, "18446744073709552000");
    /* Denominators of 2^64-1. */
    ngc_t_fmt(NGC_T_M, NGC_T_MILLION, NGC_T_M, "1000000");
    ngc_t_fmt(NGC_T_M, 1, NGC_T_M, "1");
    ngc_t_fmt(NGC_T_M, 1, NGC_T_M - 1, "1");
    ngc_t_fmt(NGC_T_M - 1, 1, NGC_T_M, "1");
    /* Very small: 1 / (2^64-1) = 5.42101086242752217003...e-20 */
    ngc_t_fmt(1, 1, NGC_T_M, "0.000000000000000000054210108624275222");
    ngc_t_fmt(1, NGC_T_MILLION, NGC_T_M, "0.000000000000054210108624275222");
    ngc_t_fmt(3, NGC_T_MILLION, NGC_T_M, "0.00000000000016263032587282567");
    ngc_t_fmt(1, 100, 10000000000000000000ull, "0.00000000000000001");
}

/*
 * The reference: count * scale in decimal digits by schoolbook
 * multiplication, then long division one digit at a time, the remainder
 * kept below the divisor with 64-bit additions only, then rounding on the
 * digit string.
 */

/* (*r * 10 + digit) / den, leaving the remainder in *r; *r < den. */
static unsigned ngc_t_div_step(uint64_t *r, unsigned digit, uint64_t den)
{
    uint64_t acc = 0;
    unsigned q = 0;
    for (int i = 0; i < 10; i++) {
        if (acc >= den - *r) {
            acc -= den - *r;
            q++;
        } else {
            acc += *r;
        }
    }
    for (unsigned i = 0; i < digit; i++) {
        if (acc == den - 1) {
            acc = 0;
            q++;
        } else {
            acc++;
        }
    }
    *r = acc;
    return q;
}

static void ngc_t_reference(uint64_t count, uint64_t scale, uint64_t den, char *out)
{
    if (count == 0) {
        memcpy(out, "0", 2);
        return;
    }
    /* count's digits, least significant first, times scale. */
    unsigned char prod[48];
    size_t np = 0;
    uint64_t carry = 0;
    for (uint64_t c = count; c > 0; c /= 10) {
        uint64_t v = (c % 10) * scale + carry;
        prod[np++] = (unsigned char)(v % 10);
        carry = v / 10;
    }
    for (; carry > 0; carry /= 10)
        prod[np++] = (unsigned char)(carry % 10);
    /* The numerator, most significant first, after one leading zero so a
     * carry out of the first digit has somewhere to go. */
    unsigned char num[50];
    size_t nn = 0;
    num[nn++] = 0;
    while (np > 0)
        num[nn++] = prod[--np];
    unsigned char q[200];
    size_t nq = 0, first = SIZE_MAX;
    uint64_t r = 0;
    while (nq < nn || first == SIZE_MAX || nq < first + 18) {
        assert_true(nq < sizeof(q));
        q[nq] = (unsigned char)ngc_t_div_step(&r, nq < nn ? num[nq] : 0, den);
        if (first == SIZE_MAX && q[nq] != 0)
            first = nq;
        nq++;
    }
    size_t last = first + 16; /* the 17th significant digit */
    bool sticky = r != 0;
    for (size_t i = last + 2; i < nq; i++)
        sticky |= q[i] != 0;
    unsigned next = q[last + 1];
    if (next > 5 || (next == 5 && (sticky || q[last] % 2 == 1))) {
        size_t i = last;
        while (q[i] == 9)
            q[i--] = 0;
        q[i]++;
    }
    for (size_t i = last + 1; i < nq; i++)
        q[i] = 0;
    char *p = out;
    size_t i = 0;
    while (i + 1 < nn && q[i] == 0)
        i++;
    for (; i < nn; i++)
        *p++ = (char)('0' + q[i]);
    size_t end = nq;
    while (end > nn && q[end - 1] == 0)
        end--;
    if (end > nn) {
        *p++ = '.';
        for (i = nn; i < end; i++)
            *p++ = (char)('0' + q[i]);
    }
    *p = '\0';
}

static uint64_t ngc_t_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void ngc_t_cross(uint64_t count, uint64_t scale, uint64_t denom)
{
    char want[128], got[NGC_NORMALIZE_MAX + 1];
    ngc_t_reference(count, scale, denom, want);
    ngc_t_format(got, count, scale, denom);
    if (strcmp(got, want) != 0)
        fail_msg("%llu*%llu/%llu: \"%s\", reference \"%s\"", (unsigned long long)count,
                 (unsigned long long)scale, (unsigned long long)denom, got, want);
}

/* The reference itself, on the hand-computed values above. */
static void test_reference_agrees_with_hand(void **state)
{
    (void)state;
    char s[128];
    ngc_t_reference(1, NGC_T_MILLION, 7, s);
    assert_string_equal(s, "142857.14285714286");
    ngc_t_reference(5, NGC_T_MILLION, 100000000, s);
    assert_string_equal(s, "0.05");
    ngc_t_reference(999999999999999995ull, 100, 1, s);
    assert_string_equal(s, "100000000000000000000");
    ngc_t_reference(123456789012345665ull, 1, 1000000000000000000ull, s);
    assert_string_equal(s, "0.12345678901234566");
    ngc_t_reference(1, 1, NGC_T_M, s);
    assert_string_equal(s, "0.000000000000000000054210108624275222");
    ngc_t_reference(NGC_T_M, NGC_T_MILLION, 1, s);
    assert_string_equal(s, "18446744073709552000000000");
}

static void test_format_random(void **state)
{
    (void)state;
    static const uint64_t scales[] = {NGC_T_MILLION, 100, 1, 10, 999999};
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (int i = 0; i < 60000; i++) {
        uint64_t r = ngc_t_rand(&x);
        uint64_t count = ngc_t_rand(&x) >> (r % 64);
        uint64_t denom = ngc_t_rand(&x) >> ((r >> 8) % 64);
        if (denom == 0)
            denom = 1;
        uint64_t scale = (r >> 16) % 6 == 5 ? (r >> 24) % NGC_T_MILLION + 1
                                            : scales[(r >> 16) % 6 % NGC_NELEMS(scales)];
        ngc_t_cross(count, scale, denom);
    }
}

static void test_format_special_denominators(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    uint64_t dens[200];
    size_t nd = 0;
    for (uint64_t p = 1, k = 0; k < 64; k++, p <<= 1)
        dens[nd++] = p; /* 2^k */
    for (uint64_t p = 1, k = 0; k < 20; k++, p *= 10)
        dens[nd++] = p; /* 10^k */
    for (uint64_t p = 5, k = 1; k < 28; k++, p *= 5)
        dens[nd++] = p; /* 5^k */
    for (uint64_t p = 2, k = 0; k < 19; k++, p *= 10)
        dens[nd++] = p; /* 2 * 10^k */
    dens[nd++] = 3;
    dens[nd++] = 7;
    dens[nd++] = NGC_T_M;
    dens[nd++] = NGC_T_M - 1;
    dens[nd++] = 1ull << 63 | 1;
    static const uint64_t scales[] = {NGC_T_MILLION, 100, 1};
    for (size_t d = 0; d < nd; d++)
        for (size_t s = 0; s < NGC_NELEMS(scales); s++)
            for (int i = 0; i < 40; i++) {
                uint64_t count = ngc_t_rand(&x) >> (ngc_t_rand(&x) % 64);
                ngc_t_cross(count, scales[s], dens[d]);
                ngc_t_cross(NGC_T_M - (uint64_t)i, scales[s], dens[d]);
                ngc_t_cross((uint64_t)i + 1, scales[s], dens[d]);
            }
}

/* Exact ties made on purpose: (10m + 5) * scale / 10^k, with m of 17
 * digits, sits halfway between two 17-digit neighbours; so does
 * (20m + 10) * scale / (2 * 10^k). */
static void test_format_constructed_ties(void **state)
{
    (void)state;
    uint64_t x = 0xd1b54a32d192ed03ull;
    static const uint64_t scales[] = {1, 100, NGC_T_MILLION};
    for (int i = 0; i < 3000; i++) {
        uint64_t m = 10000000000000000ull + ngc_t_rand(&x) % 90000000000000000ull;
        uint64_t p = 1;
        for (unsigned k = 0; k < 20; k++, p *= 10)
            for (size_t s = 0; s < NGC_NELEMS(scales); s++) {
                ngc_t_cross(10 * m + 5, scales[s], p);
                if (k < 19)
                    ngc_t_cross(20 * m + 10, scales[s], 2 * p);
            }
    }
}

/* --- ngc_normalize_load ------------------------------------------------ */

static char ngc_t_dir[64];

static int ngc_t_setup(void **state)
{
    (void)state;
    memcpy(ngc_t_dir, "/tmp/ngc-normalize-XXXXXX", sizeof("/tmp/ngc-normalize-XXXXXX"));
    return mkdtemp(ngc_t_dir) == NULL ? -1 : 0;
}

static int ngc_t_teardown(void **state)
{
    (void)state;
    char path[128];
    static const char *const names[] = {"totals", "other"};
    for (size_t i = 0; i < NGC_NELEMS(names); i++) {
        snprintf(path, sizeof(path), "%s/%s", ngc_t_dir, names[i]);
        unlink(path);
    }
    rmdir(ngc_t_dir);
    return 0;
}

static const char *ngc_t_file(const char *name, const char *text, size_t len)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/%s", ngc_t_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Loads the totals file at path for years from..to; what stderr got in *msg,
 * with the temporary directory's name cut out of it. */
/* The --count the loads are for; both sums matter with NGC_COUNT_BOTH. */
static ngc_count_t ngc_t_count = NGC_COUNT_BOTH;

static int ngc_t_load_path(const char *path, uint32_t from, uint32_t to, ngc_totals_t *out,
                           char *msg, size_t cap)
{
    char err_path[128];
    snprintf(err_path, sizeof(err_path), "%s/other", ngc_t_dir);
    int fd = open(err_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    *out = (ngc_totals_t){12345, 67890};
    int rc = ngc_normalize_load(path, from, to, ngc_t_count, out);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ssize_t n = pread(fd, msg, cap - 1, 0);
    msg[n > 0 ? n : 0] = '\0';
    close(fd);
    /* "<dir>" -> "<>": the random name could hold the digits looked for. */
    size_t dl = strlen(ngc_t_dir);
    for (char *d = strstr(msg, ngc_t_dir); d != NULL; d = strstr(d, ngc_t_dir)) {
        memmove(d + 2, d + dl, strlen(d + dl) + 1);
        memcpy(d, "<>", 2);
    }
    return rc;
}

static int ngc_t_load(const char *text, uint32_t from, uint32_t to, ngc_totals_t *out, char *msg,
                      size_t cap)
{
    const char *path = ngc_t_file("totals", text, strlen(text));
    return ngc_t_load_path(path, from, to, out, msg, cap);
}

static void ngc_t_good(const char *text, uint32_t from, uint32_t to, uint64_t match,
                       uint64_t volume)
{
    ngc_totals_t t;
    char msg[1024];
    int rc = ngc_t_load(text, from, to, &t, msg, sizeof(msg));
    if (rc != NGC_OK)
        fail_msg("totals \"%s\" %u..%u: failed (%s)", text, from, to, msg);
    if (t.match != match || t.volume != volume)
        fail_msg("totals \"%s\" %u..%u: %llu %llu, expected %llu %llu", text, from, to,
                 (unsigned long long)t.match, (unsigned long long)t.volume,
                 (unsigned long long)match, (unsigned long long)volume);
}

/* A bad file: an error whose message names the file and holds `says`. */
static void ngc_t_bad(const char *text, uint32_t from, uint32_t to, const char *says)
{
    ngc_totals_t t;
    char msg[1024];
    int rc = ngc_t_load(text, from, to, &t, msg, sizeof(msg));
    if (rc != NGC_ERROR)
        fail_msg("totals \"%s\" %u..%u: accepted", text, from, to);
    if (strstr(msg, "<>/totals") == NULL || (says != NULL && strstr(msg, says) == NULL))
        fail_msg("totals \"%s\": message \"%s\" should name the file and say \"%s\"", text, msg,
                 says ? says : "");
}

static void test_load_four(void **state)
{
    (void)state;
    /* year,match,pages,volume: the volume is the fourth number. */
    const char *f = "1999,10,5,3 2000,20,6,4 2001,40,7,5";
    ngc_t_good(f, 1, 9999, 70, 12);
    ngc_t_good(f, 2000, 2000, 20, 4);
    ngc_t_good(f, 2000, 2001, 60, 9);
    ngc_t_good(f, 1, 1999, 10, 3);
    ngc_t_good(f, 2001, 9999, 40, 5);
}

static void test_load_three(void **state)
{
    (void)state;
    const char *f = "1999,10,3\t2000,20,4\n2001,40,5\n";
    ngc_t_good(f, 1, 9999, 70, 12);
    ngc_t_good(f, 1999, 2000, 30, 7);
}

static void test_load_google_layouts(void **state)
{
    (void)state;
    /* The 2012 file: one line, a leading space, TAB-separated. */
    ngc_t_good(" 1505,32059,231,1\t1507,49586,477,1\t1515,289011,2197,1\t", 1500, 1510, 81645, 2);
    /* The 2020 file: a leading newline, " year,match,volume\t" per year. */
    ngc_t_good("\n 1470,984,10\t 1472,117,1\t 1475,5,1\t\n", 1, 9999, 1106, 12);
    /* CRLF, runs of every kind of whitespace, and no final newline. */
    ngc_t_good("\r\n\t \r\n1800,1,1,1 \t\r\n\n 1801,2,2,2\r\n\r\n1802,4,4,4", 1800, 1801, 3, 3);
    /* Totals up to 2^64-1. */
    ngc_t_good("1,18446744073709551614,1 2,1,18446744073709551614", 1, 2, NGC_T_M, NGC_T_M);
}

static void test_load_bad_tuples(void **state)
{
    (void)state;
    /* The message gives the bad tuple's position (no other digit 2 or 3). */
    ngc_t_bad("1999,1,1,1 1998,1,1", 1, 9999, "2"); /* mixed arity */
    ngc_t_bad("1999,1,1 1998,1,1,1", 1, 9999, "2");
    ngc_t_bad("1999,1,1,1 1998,1,1,1 hello", 1, 9999, "3"); /* junk */
    ngc_t_bad("1999,1", 1, 9999, NULL);                     /* two numbers */
    ngc_t_bad("1999", 1, 9999, NULL);
    ngc_t_bad("1999,1,1,1,1", 1, 9999, NULL); /* five */
    ngc_t_bad("1999,1,1,", 1, 9999, NULL);
    ngc_t_bad(",1999,1,1", 1, 9999, NULL);
    ngc_t_bad("1999,,1,1", 1, 9999, NULL);
    ngc_t_bad("1999,1,x,1", 1, 9999, NULL);
    ngc_t_bad("1999;1;1;1", 1, 9999, NULL);
    ngc_t_bad("1999,-1,1", 1, 9999, NULL);
    ngc_t_bad("1999,+1,1", 1, 9999, NULL);
    ngc_t_bad("1999,1.5,1", 1, 9999, NULL);
    ngc_t_bad("1999,18446744073709551616,1", 1, 9999, NULL); /* past 2^64-1 */
    /* A bad tuple is an error even outside the years. */
    ngc_t_bad("1999,1,1 1800,x,1", 1900, 2100, "2");
}

static void test_load_empty_and_zero(void **state)
{
    (void)state;
    ngc_t_bad("", 1, 9999, NULL);
    ngc_t_bad(" \n\t\r\n", 1, 9999, NULL);
    /* Nothing in the years: zero denominators. */
    ngc_t_bad("1999,10,3 2000,20,4", 2001, 9999, NULL);
    ngc_t_bad("1999,10,1,3 2000,20,1,4", 1, 1998, NULL);
    /* Zero counts. */
    ngc_t_bad("1999,0,0,0 2000,0,0,0", 1, 9999, NULL);
    ngc_t_bad("1999,0,0", 1, 9999, NULL);
}

static void test_load_overflow(void **state)
{
    (void)state;
    /* The sums themselves must fit in 64 bits. */
    ngc_t_bad("1,18446744073709551615,1 2,1,1", 1, 2, NULL);
    ngc_t_bad("1,1,18446744073709551615 2,1,1", 1, 2, NULL);
}

/* Only the sum that --count divides by must fit and be above zero: the
 * other one is not used (it sticks at 2^64-1). */
static void test_load_uncounted_sum(void **state)
{
    (void)state;
    ngc_t_count = NGC_COUNT_MATCH;
    ngc_t_good("1,5,18446744073709551615 2,1,1", 1, 2, 6, NGC_T_M);
    ngc_t_good("1,5,0 2,1,0", 1, 2, 6, 0);
    ngc_t_bad("1,18446744073709551615,1 2,1,1", 1, 2, NULL);
    ngc_t_bad("1,0,5", 1, 2, NULL);
    ngc_t_count = NGC_COUNT_VOLUME;
    ngc_t_good("1,18446744073709551615,5 2,1,1", 1, 2, NGC_T_M, 6);
    ngc_t_good("1,0,5", 1, 2, 0, 5);
    ngc_t_bad("1,1,18446744073709551615 2,1,1", 1, 2, NULL);
    ngc_t_bad("1,5,0", 1, 2, NULL);
    ngc_t_count = NGC_COUNT_BOTH;
    ngc_t_bad("1,5,0", 1, 2, NULL);
    ngc_t_bad("1,0,5", 1, 2, NULL);
}

static void test_load_missing(void **state)
{
    (void)state;
    char path[128], msg[1024];
    ngc_totals_t t;
    snprintf(path, sizeof(path), "%s/no-such-file", ngc_t_dir);
    assert_int_equal(ngc_t_load_path(path, 1, 9999, &t, msg, sizeof(msg)), NGC_ERROR);
    assert_non_null(strstr(msg, "<>/no-such-file"));
    /* A directory is not a totals file. */
    assert_int_equal(ngc_t_load_path(ngc_t_dir, 1, 9999, &t, msg, sizeof(msg)), NGC_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_spec_examples),
        cmocka_unit_test(test_format_plain),
        cmocka_unit_test(test_format_half_even),
        cmocka_unit_test(test_format_extremes),
        cmocka_unit_test(test_reference_agrees_with_hand),
        cmocka_unit_test(test_format_random),
        cmocka_unit_test(test_format_special_denominators),
        cmocka_unit_test(test_format_constructed_ties),
        cmocka_unit_test_setup_teardown(test_load_four, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_load_three, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_load_google_layouts, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_load_bad_tuples, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_load_empty_and_zero, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_load_overflow, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_load_uncounted_sum, ngc_t_setup, ngc_t_teardown),
        cmocka_unit_test_setup_teardown(test_load_missing, ngc_t_setup, ngc_t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
