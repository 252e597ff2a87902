/*
 * ngram-gen: deterministic (seeded) generator of synthetic Google Books Ngram
 * files, v1 and v2 (one line per ngram and year) or v3 (one line per ngram),
 * plus an optional totals file, or of raw text (one sentence per line), plain
 * or gzip. Invariant: the valid records depend only on --seed and the data
 * options (--size --vocab --order --zipf --pos-share --utf8-share); rendering
 * options (--format --gzip --crlf --no-final-newline --malformed) never change
 * them, so every rendering of one data set has the same per-ngram totals.
 */

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#define NGC_OK     0
#define NGC_ERROR -1

#define NGC_GEN_YEAR_MIN    1500
#define NGC_GEN_YEAR_MAX    2008
#define NGC_GEN_NYEARS      (NGC_GEN_YEAR_MAX - NGC_GEN_YEAR_MIN + 1)
#define NGC_GEN_LINE_EXP    1.8          /* lines ~ quantile^-1.8, clamped */
#define NGC_GEN_ZIPF_KNEE   8192.0       /* rank where the Zipf tail steepens */
#define NGC_GEN_BYTES_PER   900          /* default --vocab is --size / this */
#define NGC_GEN_DEFAULT_SIZE (10u << 20)
#define NGC_GEN_VOCAB_MAX   (1u << 30)
#define NGC_GEN_BAD_MAX     100000000u   /* most --malformed lines */
#define NGC_GEN_TOKEN_CPS   40           /* code points in one base token */
#define NGC_GEN_TOKEN_MAX   128          /* bytes of a token, tag, NUL */
#define NGC_GEN_NGRAM_MAX   (5 * NGC_GEN_TOKEN_MAX)
#define NGC_GEN_OUT_CAP     (4u << 20)   /* output buffer, bytes */
#define NGC_GEN_LONG_LINE   ((1u << 20) + 100) /* bytes of a 'long' bad line */
#define NGC_GEN_SAMPLE_MAX  (1u << 20)   /* ngrams used to calibrate --size */
#define NGC_GEN_EXACT_MAX   (1u << 17)   /* of those, rendered exactly */
/* --format text: default --vocab is --size / BYTES_PER, within MIN..DEF */
#define NGC_GEN_TEXT_BYTES_PER 256
#define NGC_GEN_TEXT_VOCAB_MIN 1000
#define NGC_GEN_TEXT_VOCAB_DEF (1u << 20)
#define NGC_GEN_TEXT_VOCAB_MAX (1u << 24) /* largest --vocab for text */
#define NGC_GEN_TEXT_PLAIN     128        /* text: ranks past function words */

#define NGC_GEN_STREAM_VOCAB   1
#define NGC_GEN_STREAM_COMPOSE 2
#define NGC_GEN_STREAM_PARAMS  3
#define NGC_GEN_STREAM_BAD     4
#define NGC_GEN_STREAM_TMAX    5
#define NGC_GEN_STREAM_PAGE    6
#define NGC_GEN_STREAM_WORDS   7
#define NGC_GEN_STREAM_TEXT    8

#define ngc_gen_assert(c)                                                     \
    do {                                                                      \
        if (!(c)) {                                                           \
            ngc_gen_log(0, "assertion '%s' failed at %s:%d", #c, __FILE__,    \
                        __LINE__);                                            \
            abort();                                                          \
        }                                                                     \
    } while (0)

typedef enum {
    NGC_GEN_BAD_FIELDS,
    NGC_GEN_BAD_NUMBER,
    NGC_GEN_BAD_NEGATIVE,
    NGC_GEN_BAD_YEAR,
    NGC_GEN_BAD_LONG,
    NGC_GEN_BAD_KINDS
} ngc_gen_bad_t;

static const char *const ngc_gen_bad_names[NGC_GEN_BAD_KINDS] = {
    "fields", "number", "negative", "year", "long"
};

/* the values of v1..v3 are their version numbers */
typedef enum {
    NGC_GEN_FMT_V1 = 1,
    NGC_GEN_FMT_V2 = 2,
    NGC_GEN_FMT_V3 = 3,
    NGC_GEN_FMT_TEXT
} ngc_gen_format_t;

typedef enum {
    NGC_GEN_TAG_NOUN, NGC_GEN_TAG_VERB, NGC_GEN_TAG_ADJ, NGC_GEN_TAG_ADV,
    NGC_GEN_TAG_PRON, NGC_GEN_TAG_DET, NGC_GEN_TAG_ADP, NGC_GEN_TAG_NUM,
    NGC_GEN_TAG_CONJ, NGC_GEN_TAG_PRT, NGC_GEN_TAG_X, NGC_GEN_TAG_DOT,
    NGC_GEN_NTAGS
} ngc_gen_tag_t;

static const char *const ngc_gen_tags[NGC_GEN_NTAGS] = {
    "NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT",
    "X", "."
};

/* per mille: how often a generated word carries each tag */
static const uint16_t ngc_gen_tag_weight[NGC_GEN_NTAGS] = {
    450, 220, 180, 80, 5, 5, 10, 5, 5, 10, 30, 0
};

typedef struct {
    const char *word;
    ngc_gen_tag_t tag;
} ngc_gen_fixed_t;

/* the most frequent tokens, most frequent first: function words, punctuation */
static const ngc_gen_fixed_t ngc_gen_fixed[] = {
    {"the", NGC_GEN_TAG_DET}, {",", NGC_GEN_TAG_DOT}, {".", NGC_GEN_TAG_DOT},
    {"of", NGC_GEN_TAG_ADP}, {"and", NGC_GEN_TAG_CONJ},
    {"to", NGC_GEN_TAG_PRT}, {"in", NGC_GEN_TAG_ADP}, {"a", NGC_GEN_TAG_DET},
    {"is", NGC_GEN_TAG_VERB}, {"that", NGC_GEN_TAG_ADP},
    {"\"", NGC_GEN_TAG_DOT}, {"for", NGC_GEN_TAG_ADP},
    {"it", NGC_GEN_TAG_PRON}, {"as", NGC_GEN_TAG_ADP},
    {"was", NGC_GEN_TAG_VERB}, {"with", NGC_GEN_TAG_ADP},
    {"be", NGC_GEN_TAG_VERB}, {"by", NGC_GEN_TAG_ADP},
    {"on", NGC_GEN_TAG_ADP}, {"not", NGC_GEN_TAG_ADV},
    {"he", NGC_GEN_TAG_PRON}, {"I", NGC_GEN_TAG_PRON},
    {"this", NGC_GEN_TAG_DET}, {"(", NGC_GEN_TAG_DOT}, {")", NGC_GEN_TAG_DOT},
    {"are", NGC_GEN_TAG_VERB}, {"or", NGC_GEN_TAG_CONJ},
    {"his", NGC_GEN_TAG_PRON}, {"from", NGC_GEN_TAG_ADP},
    {"at", NGC_GEN_TAG_ADP}, {"which", NGC_GEN_TAG_DET},
    {"The", NGC_GEN_TAG_DET}, {";", NGC_GEN_TAG_DOT},
    {"but", NGC_GEN_TAG_CONJ}, {"have", NGC_GEN_TAG_VERB},
    {"an", NGC_GEN_TAG_DET}, {"had", NGC_GEN_TAG_VERB},
    {"they", NGC_GEN_TAG_PRON}, {"you", NGC_GEN_TAG_PRON},
    {"were", NGC_GEN_TAG_VERB}, {"their", NGC_GEN_TAG_PRON},
    {":", NGC_GEN_TAG_DOT}, {"one", NGC_GEN_TAG_NUM},
    {"all", NGC_GEN_TAG_DET}, {"we", NGC_GEN_TAG_PRON},
    {"can", NGC_GEN_TAG_VERB}, {"her", NGC_GEN_TAG_PRON},
    {"has", NGC_GEN_TAG_VERB}, {"there", NGC_GEN_TAG_ADV},
    {"been", NGC_GEN_TAG_VERB}, {"if", NGC_GEN_TAG_ADP},
    {"more", NGC_GEN_TAG_ADJ}, {"'", NGC_GEN_TAG_DOT},
    {"when", NGC_GEN_TAG_ADV}, {"will", NGC_GEN_TAG_VERB},
    {"would", NGC_GEN_TAG_VERB}, {"who", NGC_GEN_TAG_PRON},
    {"so", NGC_GEN_TAG_ADV}, {"no", NGC_GEN_TAG_DET},
    {"It", NGC_GEN_TAG_PRON}, {"In", NGC_GEN_TAG_ADP},
    {"?", NGC_GEN_TAG_DOT}, {"!", NGC_GEN_TAG_DOT}, {"-", NGC_GEN_TAG_DOT},
    {"--", NGC_GEN_TAG_DOT}, {"A", NGC_GEN_TAG_DET},
    {"time", NGC_GEN_TAG_NOUN}, {"people", NGC_GEN_TAG_NOUN},
    {"did", NGC_GEN_TAG_VERB}, {"don't", NGC_GEN_TAG_VERB},
    {"U.S.", NGC_GEN_TAG_NOUN}, {"etc.", NGC_GEN_TAG_X},
    {"Mr.", NGC_GEN_TAG_NOUN}, {"1", NGC_GEN_TAG_NUM},
    {"2", NGC_GEN_TAG_NUM}, {"world", NGC_GEN_TAG_NOUN},
    {"new", NGC_GEN_TAG_ADJ}, {"first", NGC_GEN_TAG_ADJ},
    {"years", NGC_GEN_TAG_NOUN}, {"work", NGC_GEN_TAG_NOUN},
    {"made", NGC_GEN_TAG_VERB}, {"caf\xc3\xa9", NGC_GEN_TAG_NOUN},
};

#define NGC_GEN_NFIXED (sizeof(ngc_gen_fixed) / sizeof(ngc_gen_fixed[0]))

/* tag-only tokens: "_NOUN_" .. "_._", then these */
static const char *const ngc_gen_tag_only_extra[] = {"_START_", "_END_"};
#define NGC_GEN_NTAG_ONLY (NGC_GEN_NTAGS + 2)

static const char *const ngc_gen_onsets[] = {
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t",
    "v", "w", "y", "z", "bl", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gl",
    "gr", "pl", "pr", "sc", "sh", "sk", "sl", "sm", "sn", "sp", "st", "str",
    "sw", "th", "tr", "wh", "qu", "", "", ""
};
static const char *const ngc_gen_vowels[] = {
    "a", "e", "i", "o", "u", "a", "e", "i", "o", "ea", "ee", "ai", "ou", "oo",
    "io", "ie", "y"
};
static const char *const ngc_gen_codas[] = {
    "", "", "", "n", "r", "s", "t", "l", "m", "d", "nd", "nt", "st", "ng",
    "rt", "ck", "ll", "ss", "x", "rd", "ld", "sh", "ch", "th"
};
static const char *const ngc_gen_suffixes[] = {
    "ing", "ed", "s", "es", "ly", "er", "tion", "ment", "ness", "able", "ous",
    "ive", "al", "ity", "ism", "ist"
};

#define NGC_GEN_NELTS(a) (sizeof(a) / sizeof((a)[0]))

static const char ngc_gen_digits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536"
    "37383940414243444546474849505152535455565758596061626364656667686970717273"
    "7475767778798081828384858687888990919293949596979899";

typedef struct {
    uint64_t seed;
    uint64_t size;             /* target bytes of the v2 LF rendering */
    uint64_t vocab;            /* distinct ngrams, 0 = derive from size */
    int order;                 /* tokens per ngram, 1..5 */
    double zipf;               /* frequency exponent */
    double pos_share;          /* share of base words with tagged variants */
    double utf8_share;         /* share of base words that are not ASCII */
    ngc_gen_format_t format;
    const char *totals;        /* --totals file, NULL = none, "-" = stdout */
    bool gzip;
    int gzip_level;
    const char *output;        /* NULL = stdout */
    bool crlf;
    bool no_final_newline;
    bool stats;
    bool bad_set;              /* --malformed was given */
    uint64_t bad;              /* malformed lines to inject */
    unsigned bad_kinds;        /* bit per ngc_gen_bad_t */
} ngc_gen_config_t;

typedef struct {
    uint64_t s[4];
} ngc_gen_rng_t;

typedef struct {
    uint64_t key;
    uint64_t val;
} ngc_gen_rec_t;

typedef struct {
    char *p;                   /* entries: u32 rank, bytes, NUL */
    size_t len;                /* bytes used */
    size_t cap;                /* bytes allocated */
} ngc_gen_arena_t;

typedef struct {
    uint64_t *slot;            /* string offset << 24 | 24-bit fingerprint */
    size_t mask;
} ngc_gen_set_t;

typedef struct {
    uint32_t *prob;            /* keep threshold, scaled to 2^32 */
    uint32_t *alias;
    uint32_t n;
} ngc_gen_alias_t;

typedef struct {
    uint64_t total;            /* target total match count */
    double x;                  /* line-count propensity, >= 0.5 */
    uint64_t state;            /* splitmix64 state for this ngram's lines */
} ngc_gen_params_t;

typedef struct {
    uint16_t year[NGC_GEN_NYEARS];
    uint64_t match[NGC_GEN_NYEARS];
    uint64_t vol[NGC_GEN_NYEARS];
    uint64_t page[NGC_GEN_NYEARS]; /* filled only for v1 and --totals */
    uint64_t weight[NGC_GEN_NYEARS];
} ngc_gen_lines_t;

typedef struct {
    const ngc_gen_config_t *cfg;
    uint64_t vocab;            /* distinct ngrams */
    uint64_t seed_key;         /* base of the per-ngram streams */
    double tmax;               /* target total of the most frequent ngram */
    double k;                  /* lines = clamp(k * x) */
    ngc_gen_arena_t arena;     /* all ngram strings */
    uint64_t *off;             /* string offsets in byte order, vocab long */
    uint64_t growth[NGC_GEN_NYEARS]; /* relative book volume of each year */
    uint64_t vcap[NGC_GEN_NYEARS];   /* most volumes in one year */
    uint64_t page_key;         /* keys the page counts of v1 and --totals */
    ngc_gen_lines_t *lines;
    uint8_t *wlen;             /* text: bytes of word i, at arena.p + off[i] */
    ngc_gen_alias_t walias;    /* text: Zipf over the words, rank order */
} ngc_gen_t;

typedef struct {
    int fd;
    bool is_stdout;
    const char *name;          /* file written, for messages */
    bool gz;
    bool gz_ready;
    z_stream zs;
    gz_header gzh;
    char *buf;
    size_t len;
    size_t cap;
    unsigned char *zbuf;
    size_t zcap;
    uint64_t bytes;            /* uncompressed bytes flushed */
} ngc_gen_out_t;

typedef struct {
    uint64_t lines;            /* physical lines, malformed included */
    uint64_t words;            /* text: blank-separated words, all lines */
    uint64_t bad[NGC_GEN_BAD_KINDS];
    uint64_t max_total;
    uint64_t max_index;        /* sorted index of the ngram with max_total */
    uint64_t ymatch[NGC_GEN_NYEARS]; /* --totals: sums of the valid lines */
    uint64_t ypage[NGC_GEN_NYEARS];
    uint64_t yvol[NGC_GEN_NYEARS];
    bool yover;                /* a sum passed 2^64 */
} ngc_gen_stats_t;

static void ngc_gen_log(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
ngc_gen_log(int err, const char *fmt, ...)
{
    char buf[1024];
    size_t n = 0, off = 0;
    int r;
    va_list ap;

    memcpy(buf, "ngram-gen: ", 11);
    n = 11;
    va_start(ap, fmt);
    r = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
    va_end(ap);
    if (r > 0) {
        n += (size_t) r;
    }
    if (n > sizeof(buf) - 2) {
        n = sizeof(buf) - 2;
    }
    if (err != 0) {
        r = snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(err));
        if (r > 0) {
            n += (size_t) r;
        }
        if (n > sizeof(buf) - 2) {
            n = sizeof(buf) - 2;
        }
    }
    buf[n++] = '\n';

    /* one write(2) per line; nothing sensible is left to do if stderr fails */
    while (off < n) {
        ssize_t w = write(STDERR_FILENO, buf + off, n - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            break;
        }
        off += (size_t) w;
    }
}

static void *
ngc_gen_alloc(size_t n, size_t size)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size) {
        ngc_gen_log(0, "out of memory (%zu x %zu bytes)", n, size);
        return NULL;
    }
    p = malloc(n * size == 0 ? 1 : n * size);
    if (p == NULL) {
        ngc_gen_log(errno, "malloc() of %zu bytes failed", n * size);
    }
    return p;
}

/* ---- random numbers: splitmix64 for seeding and per-ngram streams,
 * xoshiro256** for the long streams; integer only, so portable */

static inline uint64_t
ngc_gen_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t
ngc_gen_sm_next(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ULL;
    return ngc_gen_mix64(*s);
}

static inline uint64_t
ngc_gen_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static void
ngc_gen_rng_init(ngc_gen_rng_t *r, uint64_t seed, uint64_t stream)
{
    uint64_t sm = seed ^ ngc_gen_mix64(stream * 0x5851f42d4c957f2dULL + 1);
    int i;

    for (i = 0; i < 4; i++) {
        r->s[i] = ngc_gen_sm_next(&sm);
    }
}

static inline uint64_t
ngc_gen_next(ngc_gen_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t res = ngc_gen_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ngc_gen_rotl(s[3], 45);
    return res;
}

/* a number in [0, n) from the high 32 bits of r */
static inline uint32_t
ngc_gen_below(uint64_t r, uint32_t n)
{
    return (uint32_t) (((r >> 32) * (uint64_t) n) >> 32);
}

static inline uint32_t
ngc_gen_rand(ngc_gen_rng_t *r, uint32_t n)
{
    return ngc_gen_below(ngc_gen_next(r), n);
}

/* true with probability share (53-bit resolution) */
static inline bool
ngc_gen_chance(uint64_t r, double share)
{
    return (double) (r >> 11) * 0x1p-53 < share;
}

static inline unsigned
ngc_gen_bitlen(uint64_t v)
{
    unsigned n = 0;

    while (v != 0) {
        n++;
        v >>= 1;
    }
    return n;
}

static inline unsigned
ngc_gen_ndigits(uint64_t v)
{
    unsigned n = 1;

    while (v >= 10000) {
        v /= 10000;
        n += 4;
    }
    if (v >= 1000) {
        return n + 3;
    }
    if (v >= 100) {
        return n + 2;
    }
    return v >= 10 ? n + 1 : n;
}

static inline char *
ngc_gen_put_u64(char *p, uint64_t v)
{
    unsigned n = ngc_gen_ndigits(v);
    char *e = p + n;

    while (v >= 100) {
        unsigned d = (unsigned) (v % 100) * 2;
        v /= 100;
        *--e = ngc_gen_digits2[d + 1];
        *--e = ngc_gen_digits2[d];
    }
    if (v >= 10) {
        unsigned d = (unsigned) v * 2;
        *--e = ngc_gen_digits2[d + 1];
        *--e = ngc_gen_digits2[d];
    } else {
        *--e = (char) ('0' + v);
    }
    return p + n;
}

static inline char *
ngc_gen_put_year(char *p, unsigned y)
{
    unsigned hi = (y / 100) * 2, lo = (y % 100) * 2;

    p[0] = ngc_gen_digits2[hi];
    p[1] = ngc_gen_digits2[hi + 1];
    p[2] = ngc_gen_digits2[lo];
    p[3] = ngc_gen_digits2[lo + 1];
    return p + 4;
}

/* ---- sorting: stable LSD radix sort on 64-bit keys */

static void
ngc_gen_radix(ngc_gen_rec_t *r, ngc_gen_rec_t *tmp, size_t n)
{
    size_t cnt[8][256];
    ngc_gen_rec_t *src = r, *dst = tmp, *sw;
    size_t i, sum;
    unsigned b, c;

    if (n < 2) {
        return;
    }
    memset(cnt, 0, sizeof(cnt));
    for (i = 0; i < n; i++) {
        uint64_t k = r[i].key;
        for (b = 0; b < 8; b++) {
            cnt[b][(k >> (8 * b)) & 0xff]++;
        }
    }
    for (b = 0; b < 8; b++) {
        unsigned shift = 8 * b;
        if (cnt[b][(src[0].key >> shift) & 0xff] == n) {
            continue;
        }
        sum = 0;
        for (c = 0; c < 256; c++) {
            size_t t = cnt[b][c];
            cnt[b][c] = sum;
            sum += t;
        }
        for (i = 0; i < n; i++) {
            dst[cnt[b][(src[i].key >> shift) & 0xff]++] = src[i];
        }
        sw = src;
        src = dst;
        dst = sw;
    }
    if (src != r) {
        memcpy(r, src, n * sizeof(*r));
    }
}

/* the 8 bytes at s, big-endian, zero padded after the NUL */
static inline uint64_t
ngc_gen_prefix(const char *s)
{
    uint64_t k = 0;
    unsigned b;

    for (b = 0; b < 8 && s[b] != '\0'; b++) {
        k = (k << 8) | (unsigned char) s[b];
    }
    if (b > 0 && b < 8) {
        k <<= 8 * (8 - b);
    }
    return k;
}

/*
 * Sorts records (val = offset into base) by their strings in byte order.
 * All strings share their first depth bytes and are distinct.
 */
static void
ngc_gen_sort_strings(ngc_gen_rec_t *r, ngc_gen_rec_t *tmp, size_t n,
    const char *base, size_t depth)
{
    size_t i, j;

    if (n < 48) {
        for (i = 1; i < n; i++) {
            ngc_gen_rec_t t = r[i];
            const char *s = base + t.val + depth;
            for (j = i; j > 0 && strcmp(base + r[j - 1].val + depth, s) > 0;
                 j--)
            {
                r[j] = r[j - 1];
            }
            r[j] = t;
        }
        return;
    }
    for (i = 0; i < n; i++) {
        r[i].key = ngc_gen_prefix(base + r[i].val + depth);
    }
    ngc_gen_radix(r, tmp, n);
    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && r[j].key == r[i].key; j++) {
            /* find the run of equal prefixes */
        }
        if (j - i > 1) {
            /* a NUL inside equal prefixes would mean equal strings */
            ngc_gen_assert((r[i].key & 0xff) != 0);
            ngc_gen_sort_strings(r + i, tmp + i, j - i, base, depth + 8);
        }
    }
}

/* ---- string storage and de-duplication */

static int
ngc_gen_arena_add(ngc_gen_arena_t *a, const char *s, size_t n, uint32_t rank,
    size_t *off)
{
    size_t need;

    if (a->len == 0) {
        a->len = 4;            /* so that no string sits at offset 0 */
    }
    need = a->len + 4 + n + 1;
    if (need > a->cap) {
        size_t cap = a->cap ? a->cap : (1u << 20);
        char *p;
        while (cap < need) {
            cap += cap / 2;
        }
        p = realloc(a->p, cap);
        if (p == NULL) {
            ngc_gen_log(errno, "realloc() of %zu bytes failed", cap);
            return NGC_ERROR;
        }
        a->p = p;
        a->cap = cap;
    }
    memcpy(a->p + a->len, &rank, 4);
    memcpy(a->p + a->len + 4, s, n);
    a->p[a->len + 4 + n] = '\0';
    *off = a->len + 4;
    a->len = need;
    return NGC_OK;
}

static uint64_t
ngc_gen_hash(const char *s, size_t n)
{
    uint64_t h = 0x243f6a8885a308d3ULL ^ n, w;

    while (n >= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    w = 0;
    memcpy(&w, s, n);
    return ngc_gen_mix64(h ^ w);
}

static int
ngc_gen_set_init(ngc_gen_set_t *set, uint64_t expect)
{
    size_t cap = 1024;

    while (cap < expect + expect / 3) {
        cap *= 2;
    }
    set->slot = calloc(cap, sizeof(uint64_t));
    if (set->slot == NULL) {
        ngc_gen_log(errno, "calloc() of %zu slots failed", cap);
        return NGC_ERROR;
    }
    set->mask = cap - 1;
    return NGC_OK;
}

static void
ngc_gen_set_fini(ngc_gen_set_t *set)
{
    free(set->slot);
    set->slot = NULL;
}

/*
 * Adds the NUL-terminated string s (n bytes) to the arena unless the set
 * has it already. Returns 1 if added, 0 if present, NGC_ERROR.
 */
static int
ngc_gen_set_add(ngc_gen_set_t *set, ngc_gen_arena_t *a, const char *s,
    size_t n, uint32_t rank, size_t *off)
{
    uint64_t h = ngc_gen_hash(s, n), fp = h >> 40, v;
    size_t i = (size_t) h & set->mask, o;

    for (;;) {
        v = set->slot[i];
        if (v == 0) {
            break;
        }
        if ((v & 0xffffff) == fp && strcmp(a->p + (v >> 24), s) == 0) {
            return 0;
        }
        i = (i + 1) & set->mask;
    }
    if (ngc_gen_arena_add(a, s, n, rank, &o) != NGC_OK) {
        return NGC_ERROR;
    }
    ngc_gen_assert((uint64_t) o < (1ULL << 40));
    set->slot[i] = ((uint64_t) o << 24) | fp;
    if (off != NULL) {
        *off = o;
    }
    return 1;
}

/* ---- tokens, built as code points and stored as UTF-8 */

typedef struct {
    uint32_t cp[NGC_GEN_TOKEN_CPS];
    size_t n;
} ngc_gen_cps_t;

typedef enum {
    NGC_GEN_CLS_WORD,
    NGC_GEN_CLS_NUM
} ngc_gen_cls_t;

static void
ngc_gen_cps_put(ngc_gen_cps_t *w, uint32_t c)
{
    if (w->n < NGC_GEN_TOKEN_CPS) {
        w->cp[w->n++] = c;
    }
}

static void
ngc_gen_cps_str(ngc_gen_cps_t *w, const char *s)
{
    while (*s != '\0') {
        ngc_gen_cps_put(w, (unsigned char) *s++);
    }
}

static size_t
ngc_gen_cps_utf8(const ngc_gen_cps_t *w, char *out)
{
    size_t i, n = 0;

    for (i = 0; i < w->n; i++) {
        uint32_t c = w->cp[i];
        if (c < 0x80) {
            out[n++] = (char) c;
        } else if (c < 0x800) {
            out[n++] = (char) (0xc0 | (c >> 6));
            out[n++] = (char) (0x80 | (c & 0x3f));
        } else {
            out[n++] = (char) (0xe0 | (c >> 12));
            out[n++] = (char) (0x80 | ((c >> 6) & 0x3f));
            out[n++] = (char) (0x80 | (c & 0x3f));
        }
    }
    out[n] = '\0';
    return n;
}

static uint32_t
ngc_gen_upper(uint32_t c)
{
    if (c >= 'a' && c <= 'z') {
        return c - 32;
    }
    if (c >= 0xe0 && c <= 0xfe && c != 0xf7) {
        return c - 0x20;
    }
    if (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) {
        return c - 0x20;
    }
    if (c >= 0x430 && c <= 0x44f) {
        return c - 0x20;
    }
    return c;
}

static void
ngc_gen_syllables(ngc_gen_rng_t *rng, unsigned nsyl, ngc_gen_cps_t *w)
{
    unsigned s;

    for (s = 0; s < nsyl && w->n < 24; s++) {
        uint64_t r = ngc_gen_next(rng);
        if (s == 0 || (r & 7) != 0) {
            ngc_gen_cps_str(w, ngc_gen_onsets[ngc_gen_below(r,
                            NGC_GEN_NELTS(ngc_gen_onsets))]);
        }
        r = ngc_gen_next(rng);
        ngc_gen_cps_str(w, ngc_gen_vowels[ngc_gen_below(r,
                        NGC_GEN_NELTS(ngc_gen_vowels))]);
        if ((r & 7) < (s + 1 == nsyl ? 5u : 2u)) {
            ngc_gen_cps_str(w, ngc_gen_codas[(r >> 3) %
                            NGC_GEN_NELTS(ngc_gen_codas)]);
        }
    }
}

/* a lowercase word; frequent (small n) words are short */
static void
ngc_gen_plain(ngc_gen_rng_t *rng, uint64_t n, ngc_gen_cps_t *w)
{
    unsigned bl = ngc_gen_bitlen(n), maxsyl = 1 + (bl / 6 < 2 ? bl / 6 : 2);
    uint64_t r;

    ngc_gen_syllables(rng, 1 + ngc_gen_rand(rng, maxsyl), w);
    r = ngc_gen_next(rng);
    if (bl >= 8 && (r & 3) == 0) {
        ngc_gen_cps_str(w, ngc_gen_suffixes[ngc_gen_below(r,
                        NGC_GEN_NELTS(ngc_gen_suffixes))]);
    }
}

static void
ngc_gen_accent(ngc_gen_rng_t *rng, ngc_gen_cps_t *w)
{
    static const uint32_t a[] = {0xe1, 0xe0, 0xe2, 0xe4, 0xe3, 0xe5};
    static const uint32_t e[] = {0xe9, 0xe8, 0xea, 0xeb};
    static const uint32_t i[] = {0xed, 0xec, 0xee, 0xef};
    static const uint32_t o[] = {0xf3, 0xf2, 0xf4, 0xf6, 0xf5, 0xf8};
    static const uint32_t u[] = {0xfa, 0xf9, 0xfb, 0xfc};
    size_t k;
    bool done = false;

    for (k = 0; k < w->n; k++) {
        uint64_t r = ngc_gen_next(rng);
        uint32_t c = w->cp[k];
        if (r % 3 != 0 && !(k + 1 == w->n && !done)) {
            continue;
        }
        r >>= 8;
        switch (c) {
        case 'a': c = a[r % NGC_GEN_NELTS(a)]; break;
        case 'e': c = e[r % NGC_GEN_NELTS(e)]; break;
        case 'i': c = i[r % NGC_GEN_NELTS(i)]; break;
        case 'o': c = o[r % NGC_GEN_NELTS(o)]; break;
        case 'u': c = u[r % NGC_GEN_NELTS(u)]; break;
        case 'n': c = 0xf1; break;
        case 'c': c = 0xe7; break;
        case 's': c = k > 0 ? 0xdf : c; break;
        default: break;
        }
        if (c != w->cp[k]) {
            w->cp[k] = c;
            done = true;
        }
    }
    if (!done) {
        ngc_gen_cps_put(w, 0xe9);
    }
}

static void
ngc_gen_number(ngc_gen_rng_t *rng, ngc_gen_cps_t *w)
{
    char b[32];
    uint32_t v, w2, w3;

    /* one random draw per statement: argument order is unspecified */
    switch (ngc_gen_rand(rng, 7)) {
    case 0:
        v = NGC_GEN_YEAR_MIN + ngc_gen_rand(rng, NGC_GEN_NYEARS);
        snprintf(b, sizeof(b), "%u", (unsigned) v);
        break;
    case 1:
        snprintf(b, sizeof(b), "%u", (unsigned) ngc_gen_rand(rng, 1000));
        break;
    case 2:
        snprintf(b, sizeof(b), "%u", (unsigned) ngc_gen_rand(rng, 100000));
        break;
    case 3: {
        const char *sfx;
        v = 1 + ngc_gen_rand(rng, 200);
        if (v % 100 >= 11 && v % 100 <= 13) {
            sfx = "th";
        } else {
            sfx = v % 10 == 1 ? "st" : v % 10 == 2 ? "nd" : v % 10 == 3 ? "rd"
                                                                        : "th";
        }
        snprintf(b, sizeof(b), "%u%s", (unsigned) v, sfx);
        break;
    }
    case 4:
        v = ngc_gen_rand(rng, 100);
        w2 = ngc_gen_rand(rng, 100);
        snprintf(b, sizeof(b), "%u.%02u", (unsigned) v, (unsigned) w2);
        break;
    case 5:
        v = 1 + ngc_gen_rand(rng, 999);
        w2 = ngc_gen_rand(rng, 4) == 0 ? ngc_gen_rand(rng, 1000) : 0;
        snprintf(b, sizeof(b), "%u,%03u", (unsigned) v, (unsigned) w2);
        break;
    default:
        v = ngc_gen_rand(rng, 2);
        w2 = ngc_gen_rand(rng, 26);
        w3 = 1 + ngc_gen_rand(rng, 99);
        snprintf(b, sizeof(b), "%c%s%u", 'A' + (int) w2, v ? "-" : "",
                 (unsigned) w3);
        break;
    }
    ngc_gen_cps_str(w, b);
}

static void
ngc_gen_utf8_word(ngc_gen_rng_t *rng, uint64_t n, ngc_gen_cps_t *w)
{
    uint32_t kind = ngc_gen_rand(rng, 100), len, k, c;

    if (kind < 50) {
        ngc_gen_plain(rng, n, w);
        ngc_gen_accent(rng, w);
        if (ngc_gen_rand(rng, 3) == 0) {
            w->cp[0] = ngc_gen_upper(w->cp[0]);
        }
    } else if (kind < 65) {
        len = 2 + ngc_gen_rand(rng, 9);
        for (k = 0; k < len; k++) {
            do {
                c = 0x3b1 + ngc_gen_rand(rng, 25);
            } while (c == 0x3c2);
            ngc_gen_cps_put(w, k == 0 && ngc_gen_rand(rng, 3) == 0
                            ? ngc_gen_upper(c) : c);
        }
    } else if (kind < 85) {
        len = 2 + ngc_gen_rand(rng, 10);
        for (k = 0; k < len; k++) {
            c = 0x430 + ngc_gen_rand(rng, 32);
            ngc_gen_cps_put(w, k == 0 && ngc_gen_rand(rng, 3) == 0
                            ? ngc_gen_upper(c) : c);
        }
    } else {
        len = 1 + ngc_gen_rand(rng, 4);
        for (k = 0; k < len; k++) {
            ngc_gen_cps_put(w, 0x4e00 + ngc_gen_rand(rng, 0x51a6));
        }
    }
}

/*
 * Writes one generated base token (never with '_', space, tab or newline)
 * to out (NGC_GEN_TOKEN_MAX bytes); n is its frequency order.
 */
static ngc_gen_cls_t
ngc_gen_word(ngc_gen_rng_t *rng, uint64_t n, double utf8_share, char *out,
    size_t *len)
{
    ngc_gen_cps_t w, v;
    ngc_gen_cls_t cls = NGC_GEN_CLS_WORD;
    uint32_t kind, k;

    w.n = 0;
    if (ngc_gen_chance(ngc_gen_next(rng), utf8_share)) {
        ngc_gen_utf8_word(rng, n, &w);
        *len = ngc_gen_cps_utf8(&w, out);
        return cls;
    }
    kind = ngc_gen_rand(rng, 1000);
    if (kind < 180) {                          /* Capitalised */
        ngc_gen_plain(rng, n, &w);
        w.cp[0] = ngc_gen_upper(w.cp[0]);
    } else if (kind < 200) {                   /* ALL CAPS */
        ngc_gen_plain(rng, n, &w);
        for (k = 0; k < w.n; k++) {
            w.cp[k] = ngc_gen_upper(w.cp[k]);
        }
    } else if (kind < 230) {                   /* apostrophes */
        v.n = 0;
        ngc_gen_plain(rng, n, &v);
        switch (ngc_gen_rand(rng, 5)) {
        case 0:                                /* A'Aang */
            ngc_gen_cps_put(&w, 'A' + ngc_gen_rand(rng, 26));
            ngc_gen_cps_put(&w, '\'');
            v.cp[0] = ngc_gen_upper(v.cp[0]);
            break;
        case 1:                                /* o'clock */
            ngc_gen_cps_str(&w, ngc_gen_rand(rng, 2) ? "o'" : "d'");
            break;
        case 2:                                /* 'tis */
            ngc_gen_cps_put(&w, '\'');
            break;
        default:
            break;
        }
        for (k = 0; k < v.n; k++) {
            ngc_gen_cps_put(&w, v.cp[k]);
        }
        if (w.n == v.n) {
            ngc_gen_cps_str(&w, ngc_gen_rand(rng, 2) ? "'s" : "n't");
        }
    } else if (kind < 250) {                   /* dots */
        switch (ngc_gen_rand(rng, 4)) {
        case 0:                                /* U.S.A. */
            for (k = 2 + ngc_gen_rand(rng, 3); k > 0; k--) {
                ngc_gen_cps_put(&w, 'A' + ngc_gen_rand(rng, 26));
                ngc_gen_cps_put(&w, '.');
            }
            break;
        case 1:                                /* e.g. */
            for (k = 2; k > 0; k--) {
                ngc_gen_cps_put(&w, 'a' + ngc_gen_rand(rng, 26));
                ngc_gen_cps_put(&w, '.');
            }
            break;
        default:                               /* etc. Mr. */
            ngc_gen_plain(rng, 1, &w);
            if (ngc_gen_rand(rng, 2)) {
                w.cp[0] = ngc_gen_upper(w.cp[0]);
            }
            ngc_gen_cps_put(&w, '.');
            break;
        }
    } else if (kind < 290) {                   /* digits */
        ngc_gen_number(rng, &w);
        cls = NGC_GEN_CLS_NUM;
    } else if (kind < 320) {                   /* well-known */
        ngc_gen_plain(rng, n >> 4, &w);
        ngc_gen_cps_put(&w, '-');
        ngc_gen_plain(rng, n >> 4, &w);
    } else {
        ngc_gen_plain(rng, n, &w);
    }
    *len = ngc_gen_cps_utf8(&w, out);
    return cls;
}

static ngc_gen_tag_t
ngc_gen_pick_tag(ngc_gen_rng_t *rng)
{
    uint32_t r = ngc_gen_rand(rng, 1000), sum = 0;
    unsigned t;

    for (t = 0; t < NGC_GEN_NTAGS; t++) {
        sum += ngc_gen_tag_weight[t];
        if (r < sum) {
            return (ngc_gen_tag_t) t;
        }
    }
    return NGC_GEN_TAG_NOUN;
}

/* ---- vocabulary */

/*
 * Builds count distinct 1-gram tokens into a: generated base words (the
 * fixed frequent ones first), tagged variants of a pos_share of them, and
 * tag-only tokens. Ranks them by frequency (rank 0 most frequent) and stores
 * each rank before its string. On success *out holds count records whose
 * val is a string offset, in rank order; the caller frees it.
 */
static int
ngc_gen_vocab1(const ngc_gen_config_t *cfg, uint64_t count,
    ngc_gen_arena_t *a, ngc_gen_rec_t **out)
{
    ngc_gen_rng_t rng;
    ngc_gen_set_t set;
    ngc_gen_rec_t *rec = NULL, *tmp = NULL;
    char word[NGC_GEN_TOKEN_MAX], tagged[NGC_GEN_TOKEN_MAX + 8];
    uint64_t nt, got = 0, n = 0, k;
    size_t len, off;
    int rc;

    ngc_gen_rng_init(&rng, cfg->seed, NGC_GEN_STREAM_VOCAB);
    if (ngc_gen_set_init(&set, count) != NGC_OK) {
        return NGC_ERROR;
    }
    rec = ngc_gen_alloc(count, sizeof(*rec));
    if (rec == NULL) {
        goto fail_set;
    }

    nt = count / 50 < NGC_GEN_NTAG_ONLY ? count / 50 : NGC_GEN_NTAG_ONLY;
    for (k = 0; k < nt; k++) {
        if (k < NGC_GEN_NTAGS) {
            len = (size_t) snprintf(word, sizeof(word), "_%s_",
                                    ngc_gen_tags[k]);
        } else {
            len = (size_t) snprintf(word, sizeof(word), "%s",
                                    ngc_gen_tag_only_extra[k - NGC_GEN_NTAGS]);
        }
        rc = ngc_gen_set_add(&set, a, word, len, 0, &off);
        ngc_gen_assert(rc == 1);
        rec[got].key = (uint64_t) ngc_gen_rand(&rng, 256) * 64 + 1;
        rec[got++].val = off;
    }

    while (got < count) {
        ngc_gen_tag_t tags[3];
        unsigned ntags = 0, j;

        if (n < NGC_GEN_NFIXED) {
            len = strlen(ngc_gen_fixed[n].word);
            memcpy(word, ngc_gen_fixed[n].word, len + 1);
            tags[0] = ngc_gen_fixed[n].tag;
        } else {
            ngc_gen_cls_t cls = ngc_gen_word(&rng, n, cfg->utf8_share, word,
                                             &len);
            tags[0] = cls == NGC_GEN_CLS_NUM ? NGC_GEN_TAG_NUM
                                             : ngc_gen_pick_tag(&rng);
        }
        rc = ngc_gen_set_add(&set, a, word, len, 0, &off);
        if (rc < 0) {
            goto fail_rec;
        }
        if (rc == 0) {
            /* generated a word we have: draw again */
            n += n < NGC_GEN_NFIXED ? 1 : 0;
            continue;
        }
        rec[got].key = n * 64 + 32;
        rec[got++].val = off;

        if (ngc_gen_chance(ngc_gen_next(&rng), cfg->pos_share)) {
            uint32_t r = ngc_gen_rand(&rng, 10);
            ntags = r < 6 ? 1 : r < 9 ? 2 : 3;
            if (tags[0] == NGC_GEN_TAG_DOT) {
                ntags = 1;
            }
            for (j = 1; j < ntags; j++) {
                unsigned tries, i;
                for (tries = 0; tries < 32; tries++) {
                    tags[j] = ngc_gen_pick_tag(&rng);
                    for (i = 0; i < j && tags[i] != tags[j]; i++) {
                        /* is it new? */
                    }
                    if (i == j) {
                        break;
                    }
                }
                if (tries == 32) {
                    ntags = j;
                }
            }
        }
        for (j = 0; j < ntags && got < count; j++) {
            size_t tl = strlen(ngc_gen_tags[tags[j]]);
            memcpy(tagged, word, len);
            tagged[len] = '_';
            memcpy(tagged + len + 1, ngc_gen_tags[tags[j]], tl + 1);
            rc = ngc_gen_set_add(&set, a, tagged, len + 1 + tl, 0, &off);
            if (rc < 0) {
                goto fail_rec;
            }
            if (rc == 1) {
                uint64_t mul = 2 + 2 * j + ngc_gen_rand(&rng, 3);
                rec[got].key = (n + 1) * 64 * mul + ngc_gen_rand(&rng, 64);
                rec[got++].val = off;
            }
        }
        n++;
    }
    ngc_gen_set_fini(&set);

    tmp = ngc_gen_alloc(count, sizeof(*tmp));
    if (tmp == NULL) {
        goto fail_rec;
    }
    ngc_gen_radix(rec, tmp, count);
    free(tmp);
    for (k = 0; k < count; k++) {
        uint32_t rank = (uint32_t) k;
        memcpy(a->p + rec[k].val - 4, &rank, 4);
    }
    *out = rec;
    return NGC_OK;

fail_rec:
    free(rec);
fail_set:
    ngc_gen_set_fini(&set);
    return NGC_ERROR;
}

static int
ngc_gen_alias_init(ngc_gen_alias_t *al, uint32_t n, double s)
{
    double *p, sum = 0;
    uint32_t *small, *large, ns = 0, nl = 0, k;

    al->prob = ngc_gen_alloc(n, sizeof(uint32_t));
    al->alias = ngc_gen_alloc(n, sizeof(uint32_t));
    p = ngc_gen_alloc(n, sizeof(double));
    small = ngc_gen_alloc(n, sizeof(uint32_t));
    large = ngc_gen_alloc(n, sizeof(uint32_t));
    if (al->prob == NULL || al->alias == NULL || p == NULL || small == NULL
        || large == NULL)
    {
        free(al->prob);
        free(al->alias);
        free(p);
        free(small);
        free(large);
        return NGC_ERROR;
    }
    al->n = n;
    for (k = 0; k < n; k++) {
        p[k] = pow((double) k + 1.0, -s);
        sum += p[k];
    }
    for (k = 0; k < n; k++) {
        p[k] = p[k] / sum * (double) n;
        al->alias[k] = k;
        if (p[k] < 1.0) {
            small[ns++] = k;
        } else {
            large[nl++] = k;
        }
    }
    while (ns > 0 && nl > 0) {
        uint32_t sm = small[--ns], lg = large[--nl];
        al->alias[sm] = lg;
        p[lg] = (p[lg] + p[sm]) - 1.0;
        if (p[lg] < 1.0) {
            small[ns++] = lg;
        } else {
            large[nl++] = lg;
        }
    }
    for (k = 0; k < n; k++) {
        double t = p[k] * 4294967296.0;
        al->prob[k] = t >= 4294967295.0 ? UINT32_MAX : (uint32_t) t;
    }
    /* leftovers are 1 up to rounding */
    while (ns > 0) {
        al->prob[small[--ns]] = UINT32_MAX;
    }
    while (nl > 0) {
        al->prob[large[--nl]] = UINT32_MAX;
    }
    free(p);
    free(small);
    free(large);
    return NGC_OK;
}

static void
ngc_gen_alias_fini(ngc_gen_alias_t *al)
{
    free(al->prob);
    free(al->alias);
}

static inline uint32_t
ngc_gen_alias_draw(const ngc_gen_alias_t *al, ngc_gen_rng_t *rng)
{
    uint64_t r = ngc_gen_next(rng);
    uint32_t k = ngc_gen_below(r, al->n);

    return (uint32_t) r < al->prob[k] ? k : al->alias[k];
}

/*
 * Builds count distinct ngrams of cfg->order tokens into a, each token drawn
 * by Zipf from a 1-gram vocabulary, and ranks them by the product of their
 * token ranks times a jitter, so ngrams of frequent tokens are frequent.
 * On success *out holds count records (val = string offset) in rank order.
 */
static int
ngc_gen_compose(const ngc_gen_config_t *cfg, uint64_t count,
    ngc_gen_arena_t *a, ngc_gen_rec_t **out)
{
    ngc_gen_rec_t *rec = NULL, *tmp = NULL;
    ngc_gen_arena_t ta = {NULL, 0, 0};
    ngc_gen_rec_t *trec = NULL;
    ngc_gen_alias_t al;
    ngc_gen_set_t set;
    ngc_gen_rng_t rng;
    uint32_t *toff = NULL, start = UINT32_MAX, end = UINT32_MAX;
    uint8_t *tlen = NULL;
    uint64_t ntok, need, pw, idx;
    char buf[NGC_GEN_NGRAM_MAX];
    int order = cfg->order, i, rc = NGC_ERROR;

    ntok = count / 8 < (1u << 20) ? count / 8 : (1u << 20);
    need = (uint64_t) pow(4.0 * (double) count, 1.0 / order);
    for (;; need++) {
        pw = 1;
        for (i = 0; i < order && pw < 4 * count; i++) {
            pw *= need;
        }
        if (pw >= 4 * count) {
            break;
        }
    }
    need += 16;
    if (ntok < need) {
        ntok = need;
    }
    if (ntok < 64) {
        ntok = 64;
    }

    if (ngc_gen_vocab1(cfg, ntok, &ta, &trec) != NGC_OK) {
        goto done;
    }
    toff = ngc_gen_alloc(ntok, sizeof(*toff));
    tlen = ngc_gen_alloc(ntok, sizeof(*tlen));
    if (toff == NULL || tlen == NULL) {
        goto done;
    }
    for (idx = 0; idx < ntok; idx++) {
        const char *s = ta.p + trec[idx].val;
        size_t n = strlen(s);
        ngc_gen_assert(trec[idx].val < UINT32_MAX && n < NGC_GEN_TOKEN_MAX);
        toff[idx] = (uint32_t) trec[idx].val;
        tlen[idx] = (uint8_t) n;
        if (strcmp(s, "_START_") == 0) {
            start = (uint32_t) idx;
        } else if (strcmp(s, "_END_") == 0) {
            end = (uint32_t) idx;
        }
    }
    free(trec);
    trec = NULL;

    if (ngc_gen_alias_init(&al, (uint32_t) ntok, cfg->zipf) != NGC_OK) {
        goto done;
    }
    rec = ngc_gen_alloc(count, sizeof(*rec));
    if (rec == NULL) {
        goto done_alias;
    }
    if (ngc_gen_set_init(&set, count) != NGC_OK) {
        goto done_alias;
    }
    ngc_gen_rng_init(&rng, cfg->seed, NGC_GEN_STREAM_COMPOSE);
    for (idx = 0; idx < count; idx++) {
        unsigned attempt;
        for (attempt = 0;; attempt++) {
            size_t n = 0, off;
            double prod = 1.0;
            int r;
            for (i = 0; i < order; i++) {
                uint32_t t;
                do {
                    /* fall back to uniform tokens when Zipf keeps colliding */
                    t = attempt < 8 ? ngc_gen_alias_draw(&al, &rng)
                                    : ngc_gen_rand(&rng, (uint32_t) ntok);
                } while ((t == start && i != 0)
                         || (t == end && i != order - 1));
                if (i > 0) {
                    buf[n++] = ' ';
                }
                memcpy(buf + n, ta.p + toff[t], tlen[t]);
                n += tlen[t];
                prod = prod * ((double) t + 1.0);
            }
            buf[n] = '\0';
            r = ngc_gen_set_add(&set, a, buf, n, 0, &off);
            if (r < 0) {
                goto done_set;
            }
            if (r == 1) {
                /* jitter in [1, 5); scaling by 2^-51 is exact, so no FMA
                 * can change it; positive doubles sort as their bits */
                uint64_t u = ngc_gen_next(&rng) >> 11;
                double score = prod * (1.0 + (double) u * 0x1p-51);
                memcpy(&rec[idx].key, &score, 8);
                rec[idx].val = off;
                break;
            }
        }
    }
    ngc_gen_set_fini(&set);
    tmp = ngc_gen_alloc(count, sizeof(*tmp));
    if (tmp == NULL) {
        goto done_alias;
    }
    ngc_gen_radix(rec, tmp, count);
    free(tmp);
    for (idx = 0; idx < count; idx++) {
        uint32_t rank = (uint32_t) idx;
        memcpy(a->p + rec[idx].val - 4, &rank, 4);
    }
    *out = rec;
    rec = NULL;
    rc = NGC_OK;

    /* the success path runs these too; a finished set is already empty */
done_set:
    ngc_gen_set_fini(&set);
done_alias:
    ngc_gen_alias_fini(&al);
done:
    free(rec);
    free(trec);
    free(toff);
    free(tlen);
    free(ta.p);
    return rc;
}

/* ---- text vocabulary */

/* function words that ngc_gen_fixed lacks, contractions among them */
static const char *const ngc_gen_text_extra[] = {
    "she", "him", "me", "my", "what", "do", "said", "its", "our", "your",
    "them", "than", "into", "out", "up", "about", "some", "only", "other",
    "may", "these", "such", "two", "any", "could", "should", "very", "after",
    "also", "most", "must", "over", "then", "now", "where", "how", "why",
    "it's", "can't", "I'm", "won't", "isn't", "didn't", "doesn't", "wasn't",
    "we're", "they're", "you're", "I've", "let's", "o'clock"
};

/* true if fixed word k is punctuation or the capitalised twin of another */
static bool
ngc_gen_text_skip(size_t k)
{
    const char *w = ngc_gen_fixed[k].word;
    char low[16];
    size_t n = strlen(w), j;

    if (ngc_gen_fixed[k].tag == NGC_GEN_TAG_DOT) {
        return true;
    }
    if (w[0] < 'A' || w[0] > 'Z' || n >= sizeof(low)) {
        return false;
    }
    memcpy(low, w, n + 1);
    low[0] = (char) (w[0] + 32);
    for (j = 0; j < NGC_GEN_NFIXED; j++) {
        if (strcmp(ngc_gen_fixed[j].word, low) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * Builds the g->vocab distinct words of --format text in rank order (the
 * most frequent first): the fixed function words, then words from
 * ngc_gen_word(), so frequent words are short. Fills g->arena, g->off,
 * g->wlen and the Zipf table g->walias.
 */
static int
ngc_gen_vocab_text(ngc_gen_t *g)
{
    const ngc_gen_config_t *cfg = g->cfg;
    ngc_gen_rng_t rng;
    ngc_gen_set_t set;
    char word[NGC_GEN_TOKEN_MAX];
    uint64_t got = 0, n, count = g->vocab;
    size_t len, off, k;
    int rc;

    ngc_gen_assert(count <= NGC_GEN_TEXT_VOCAB_MAX);
    g->off = ngc_gen_alloc(count, sizeof(*g->off));
    g->wlen = ngc_gen_alloc(count, sizeof(*g->wlen));
    if (g->off == NULL || g->wlen == NULL) {
        return NGC_ERROR;
    }
    if (ngc_gen_set_init(&set, count) != NGC_OK) {
        return NGC_ERROR;
    }
    ngc_gen_rng_init(&rng, cfg->seed, NGC_GEN_STREAM_WORDS);
    for (n = 0; got < count; n++) {
        const char *w = NULL;
        if (n < NGC_GEN_NFIXED) {
            if (ngc_gen_text_skip((size_t) n)) {
                continue;
            }
            w = ngc_gen_fixed[n].word;
        } else if (n < NGC_GEN_NFIXED + NGC_GEN_NELTS(ngc_gen_text_extra)) {
            w = ngc_gen_text_extra[n - NGC_GEN_NFIXED];
        }
        if (w != NULL) {
            len = strlen(w);
            memcpy(word, w, len + 1);
        } else {
            ngc_gen_word(&rng, n, cfg->utf8_share, word, &len);
        }
        rc = ngc_gen_set_add(&set, &g->arena, word, len, (uint32_t) got,
                             &off);
        if (rc < 0) {
            ngc_gen_set_fini(&set);
            return NGC_ERROR;
        }
        if (rc == 1) {
            ngc_gen_assert(len < NGC_GEN_TOKEN_MAX);
            g->off[got] = off;
            g->wlen[got++] = (uint8_t) len;
        }
    }
    ngc_gen_set_fini(&set);
    for (k = 0; k < count; k++) {
        ngc_gen_assert(g->arena.p[g->off[k]] != '\0');
    }
    if (ngc_gen_alias_init(&g->walias, (uint32_t) count, cfg->zipf)
        != NGC_OK)
    {
        /* it freed its arrays already; keep ngc_gen_fini() from doing so */
        memset(&g->walias, 0, sizeof(g->walias));
        return NGC_ERROR;
    }
    return NGC_OK;
}

/* ---- per-ngram data: a pure function of (seed, data options, rank) */

static void
ngc_gen_params(const ngc_gen_t *g, uint32_t rank, ngc_gen_params_t *p)
{
    uint64_t st = g->seed_key ^ ((uint64_t) rank * 0xd1b54a32d192ed03ULL);
    uint64_t r = ngc_gen_sm_next(&st);
    double jitter, t, q;

    /*
     * A jitter in [0.5, 2) computed exactly: no exp2(), which compilers
     * substitute for pow(2, x) and which rounds differently between libms.
     */
    jitter = (1.0 + (double) (r >> 12) * 0x1p-52) * ((r & 1) ? 0.5 : 1.0);
    /* two-regime Zipf: exponent s for the head, 2s past NGC_GEN_ZIPF_KNEE */
    t = g->tmax * pow((double) rank + 1.0, -g->cfg->zipf);
    if (rank + 1.0 > NGC_GEN_ZIPF_KNEE) {
        t = t * pow((rank + 1.0) / NGC_GEN_ZIPF_KNEE, -g->cfg->zipf);
    }
    p->total = t < 1.0 ? 1 : (uint64_t) t;
    q = ((double) rank + 1.0) / (double) g->vocab;
    p->x = pow(q, -NGC_GEN_LINE_EXP) * jitter;
    p->state = st;
}

static uint32_t
ngc_gen_nlines(double k, const ngc_gen_params_t *p)
{
    double y = k * p->x;
    uint32_t n = y >= (double) NGC_GEN_NYEARS ? NGC_GEN_NYEARS
                                              : (uint32_t) (y + 0.5);

    if (n < 1) {
        n = 1;
    }
    if (n > p->total) {
        n = (uint32_t) p->total;
    }
    return n;
}

/*
 * Fills ln with n lines: distinct ascending years, match >= volume >= 1,
 * matches summing to about p->total, weighted toward recent years.
 */
static void
ngc_gen_years(const ngc_gen_t *g, const ngc_gen_params_t *p, uint32_t n,
    ngc_gen_lines_t *ln)
{
    uint64_t st = p->state, bits[8] = {0, 0, 0, 0, 0, 0, 0, 0}, r, wsum = 0;
    uint32_t end = NGC_GEN_YEAR_MAX, avail, span, start, j, k;
    double total = (double) p->total;

    r = ngc_gen_sm_next(&st);
    if (n < 300 && (r & 15) < 4) {
        end -= ngc_gen_below(r, 150);
    }
    avail = end - NGC_GEN_YEAR_MIN + 1;
    span = n + ngc_gen_below(ngc_gen_sm_next(&st), 2 * n + 60);
    if (span > avail) {
        span = avail;
    }
    start = end - span + 1;

    if (n == span) {
        for (j = 0; j < span; j++) {
            bits[j >> 6] |= 1ULL << (j & 63);
        }
    } else {
        /* Floyd's sampling of n distinct offsets in [0, span) */
        for (j = span - n; j < span; j++) {
            uint32_t t = ngc_gen_below(ngc_gen_sm_next(&st), j + 1);
            if (bits[t >> 6] & (1ULL << (t & 63))) {
                t = j;
            }
            bits[t >> 6] |= 1ULL << (t & 63);
        }
    }
    k = 0;
    for (j = 0; j < 8; j++) {
        uint64_t b = bits[j];
        while (b != 0) {
            uint32_t y = start + j * 64 + (uint32_t) __builtin_ctzll(b);
            uint64_t w = g->growth[y - NGC_GEN_YEAR_MIN]
                         * (512 + (ngc_gen_sm_next(&st) & 1023));
            b &= b - 1;
            ln->year[k] = (uint16_t) y;
            ln->weight[k++] = w;
            wsum += w;
        }
    }
    ngc_gen_assert(k == n);

    for (k = 0; k < n; k++) {
        uint64_t m = (uint64_t) (total * ((double) ln->weight[k]
                                          / (double) wsum));
        uint64_t v, d;
        if (m < 1) {
            m = 1;
        }
        d = 1 + ngc_gen_below(ngc_gen_sm_next(&st), 1 + ngc_gen_bitlen(m));
        v = m / d;
        if (v < 1) {
            v = 1;
        }
        if (v > g->vcap[ln->year[k] - NGC_GEN_YEAR_MIN]) {
            v = g->vcap[ln->year[k] - NGC_GEN_YEAR_MIN];
        }
        ln->match[k] = m;
        ln->vol[k] = v;
    }
}

/* ---- calibration of the line counts to --size */

typedef struct {
    ngc_gen_params_t p;
    uint32_t len;              /* bytes of the ngram */
} ngc_gen_sample_t;

static double
ngc_gen_est(const ngc_gen_sample_t *s, size_t n, size_t step, double k)
{
    uint64_t sum = 0, m, v;
    size_t i;
    uint32_t l;

    for (i = 0; i < n; i += step) {
        l = ngc_gen_nlines(k, &s[i].p);
        m = s[i].p.total / l;
        v = m / 6 + 1 < 20000 ? m / 6 + 1 : 20000;
        sum += (uint64_t) l * (s[i].len + 8 + ngc_gen_ndigits(m / 3 + 1)
                               + ngc_gen_ndigits(v));
    }
    return (double) sum;
}

static double
ngc_gen_exact(const ngc_gen_t *g, const ngc_gen_sample_t *s, size_t n,
    size_t step, double k)
{
    uint64_t sum = 0;
    size_t i;
    uint32_t l, j;

    for (i = 0; i < n; i += step) {
        l = ngc_gen_nlines(k, &s[i].p);
        ngc_gen_years(g, &s[i].p, l, g->lines);
        for (j = 0; j < l; j++) {
            sum += s[i].len + 8 + ngc_gen_ndigits(g->lines->match[j])
                   + ngc_gen_ndigits(g->lines->vol[j]);
        }
    }
    return (double) sum;
}

/* the smallest k (on a log scale) whose estimate reaches target */
static double
ngc_gen_solve(const ngc_gen_sample_t *s, size_t n, double target)
{
    double lo = 1e-20, hi = 4096.0, mid;
    int it;

    if (ngc_gen_est(s, n, 1, hi) <= target) {
        return hi;
    }
    if (ngc_gen_est(s, n, 1, lo) >= target) {
        return lo;
    }
    for (it = 0; it < 200 && hi / lo > 1.0 + 1e-9; it++) {
        mid = sqrt(lo * hi);
        if (ngc_gen_est(s, n, 1, mid) < target) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return hi;
}

static int
ngc_gen_calibrate(ngc_gen_t *g)
{
    ngc_gen_sample_t *s;
    size_t n = g->vocab < NGC_GEN_SAMPLE_MAX ? (size_t) g->vocab
                                             : NGC_GEN_SAMPLE_MAX;
    size_t step = n / NGC_GEN_EXACT_MAX + 1, i;
    double scale = (double) g->vocab / (double) n, target, q = 1.0, pred;
    int it;

    s = ngc_gen_alloc(n, sizeof(*s));
    if (s == NULL) {
        return NGC_ERROR;
    }
    for (i = 0; i < n; i++) {
        uint64_t idx = (uint64_t) i * g->vocab / n;
        const char *str = g->arena.p + g->off[idx];
        uint32_t rank;
        memcpy(&rank, str - 4, 4);
        ngc_gen_params(g, rank, &s[i].p);
        s[i].len = (uint32_t) strlen(str);
    }
    target = (double) g->cfg->size / scale;
    for (it = 0; it < 3; it++) {
        double ex, es;
        g->k = ngc_gen_solve(s, n, target / q);
        ex = ngc_gen_exact(g, s, n, step, g->k);
        es = ngc_gen_est(s, n, step, g->k);
        if (es > 0 && ex > 0) {
            q = ex / es;
        }
    }
    g->k = ngc_gen_solve(s, n, target / q);
    pred = ngc_gen_est(s, n, 1, g->k) * q * scale;
    free(s);

    if (pred > (double) g->cfg->size * 1.03) {
        ngc_gen_log(0, "warning: %llu ngrams need about %.0f bytes, more than "
                    "--size %llu", (unsigned long long) g->vocab, pred,
                    (unsigned long long) g->cfg->size);
    } else if (pred < (double) g->cfg->size * 0.97) {
        ngc_gen_log(0, "warning: %llu ngrams fill only about %.0f bytes, less "
                    "than --size %llu", (unsigned long long) g->vocab, pred,
                    (unsigned long long) g->cfg->size);
    }
    return NGC_OK;
}

/* ---- generator setup */

static int
ngc_gen_init(ngc_gen_t *g, const ngc_gen_config_t *cfg)
{
    ngc_gen_rec_t *rec = NULL, *tmp;
    ngc_gen_rng_t rng;
    uint64_t v = 1024, i;
    unsigned y;

    memset(g, 0, sizeof(*g));
    g->cfg = cfg;
    g->vocab = cfg->vocab;
    g->seed_key = ngc_gen_mix64(cfg->seed
                                ^ ngc_gen_mix64(NGC_GEN_STREAM_PARAMS));
    g->page_key = ngc_gen_mix64(cfg->seed
                                ^ ngc_gen_mix64(NGC_GEN_STREAM_PAGE));
    ngc_gen_rng_init(&rng, cfg->seed, NGC_GEN_STREAM_TMAX);
    g->tmax = 3.2e10 / cfg->order
              * (0.75 + (double) (ngc_gen_next(&rng) >> 11) * 0x1p-54);

    /* book volume grows 2% a year: 1500 -> 2008 is a factor ~24000 */
    for (y = 0; y < NGC_GEN_NYEARS; y++) {
        g->growth[y] = v;
        g->vcap[y] = v / 100 + 1;
        v += v / 50;
    }
    g->lines = ngc_gen_alloc(1, sizeof(*g->lines));
    if (g->lines == NULL) {
        return NGC_ERROR;
    }
    if (cfg->format == NGC_GEN_FMT_TEXT) {
        return ngc_gen_vocab_text(g);
    }

    if (cfg->order == 1) {
        if (ngc_gen_vocab1(cfg, g->vocab, &g->arena, &rec) != NGC_OK) {
            return NGC_ERROR;
        }
    } else {
        if (ngc_gen_compose(cfg, g->vocab, &g->arena, &rec) != NGC_OK) {
            return NGC_ERROR;
        }
    }

    tmp = ngc_gen_alloc(g->vocab, sizeof(*tmp));
    if (tmp == NULL) {
        free(rec);
        return NGC_ERROR;
    }
    ngc_gen_sort_strings(rec, tmp, g->vocab, g->arena.p, 0);
    free(tmp);

    /* keep only the offsets: off[i] overwrites rec[i / 2] or later */
    g->off = (uint64_t *) rec;
    for (i = 0; i < g->vocab; i++) {
        g->off[i] = rec[i].val;
    }
    tmp = realloc(rec, g->vocab * sizeof(uint64_t));
    if (tmp != NULL) {
        g->off = (uint64_t *) tmp;
    }
    return ngc_gen_calibrate(g);
}

static void
ngc_gen_fini(ngc_gen_t *g)
{
    free(g->arena.p);
    free(g->off);
    free(g->lines);
    free(g->wlen);
    ngc_gen_alias_fini(&g->walias);
}

/* ---- output: buffered, optionally through deflate */

static int
ngc_gen_write_all(ngc_gen_out_t *o, const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t w = write(o->fd, p, n);
        if (w < 0) {
            int err = errno;
            if (err == EINTR) {
                continue;
            }
            if (o->is_stdout) {
                ngc_gen_log(err, "cannot write to standard output");
            } else {
                ngc_gen_log(err, "cannot write '%s'", o->name);
            }
            return NGC_ERROR;
        }
        p += w;
        n -= (size_t) w;
    }
    return NGC_OK;
}

static int
ngc_gen_out_flush(ngc_gen_out_t *o, bool finish)
{
    int ret;

    o->bytes += o->len;
    if (!o->gz) {
        size_t n = o->len;
        o->len = 0;
        return ngc_gen_write_all(o, o->buf, n);
    }
    o->zs.next_in = (Bytef *) o->buf;
    o->zs.avail_in = (uInt) o->len;
    o->len = 0;
    for (;;) {
        o->zs.next_out = o->zbuf;
        o->zs.avail_out = (uInt) o->zcap;
        ret = deflate(&o->zs, finish ? Z_FINISH : Z_NO_FLUSH);
        if (ret == Z_STREAM_ERROR) {
            ngc_gen_log(0, "deflate() failed for '%s'", o->name);
            return NGC_ERROR;
        }
        if (ngc_gen_write_all(o, o->zbuf, o->zcap - o->zs.avail_out)
            != NGC_OK)
        {
            return NGC_ERROR;
        }
        if (finish ? ret == Z_STREAM_END : o->zs.avail_out != 0) {
            break;
        }
    }
    return NGC_OK;
}

/* room for n <= cap bytes at the end of the buffer, or NULL */
static inline char *
ngc_gen_out_reserve(ngc_gen_out_t *o, size_t n)
{
    if (o->cap - o->len < n && ngc_gen_out_flush(o, false) != NGC_OK) {
        return NULL;
    }
    return o->buf + o->len;
}

/* copies n bytes; a small write is never split across flushes */
static int
ngc_gen_out_write(ngc_gen_out_t *o, const char *p, size_t n)
{
    while (n > 0) {
        size_t c = n < o->cap ? n : o->cap;
        char *d = ngc_gen_out_reserve(o, c);
        if (d == NULL) {
            return NGC_ERROR;
        }
        memcpy(d, p, c);
        o->len += c;
        p += c;
        n -= c;
    }
    return NGC_OK;
}

static int
ngc_gen_out_init(ngc_gen_out_t *o, int fd, const char *name, bool is_stdout,
    bool gz, int level)
{
    memset(o, 0, sizeof(*o));
    o->fd = fd;
    o->name = name;
    o->is_stdout = is_stdout;
    o->gz = gz;
    o->cap = NGC_GEN_OUT_CAP;
    o->buf = ngc_gen_alloc(o->cap, 1);
    if (o->buf == NULL) {
        return NGC_ERROR;
    }
    if (!gz) {
        return NGC_OK;
    }
    o->zcap = NGC_GEN_OUT_CAP;
    o->zbuf = ngc_gen_alloc(o->zcap, 1);
    if (o->zbuf == NULL) {
        return NGC_ERROR;
    }
    if (deflateInit2(&o->zs, level, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
    {
        ngc_gen_log(0, "deflateInit2() failed");
        return NGC_ERROR;
    }
    o->gz_ready = true;
    /* a fixed gzip header (no time, os unix) keeps .gz output reproducible */
    o->gzh.os = 3;
    if (deflateSetHeader(&o->zs, &o->gzh) != Z_OK) {
        ngc_gen_log(0, "deflateSetHeader() failed");
        return NGC_ERROR;
    }
    return NGC_OK;
}

static void
ngc_gen_out_fini(ngc_gen_out_t *o)
{
    if (o->gz_ready) {
        deflateEnd(&o->zs);
    }
    free(o->buf);
    free(o->zbuf);
}

/* ---- streaming */

typedef struct {
    char *p;
    size_t len;                /* bytes used */
    size_t cap;                /* bytes allocated */
} ngc_gen_buf_t;

typedef struct {
    ngc_gen_t *g;
    ngc_gen_out_t *o;
    ngc_gen_stats_t *st;
    ngc_gen_rng_t rng;         /* malformed line details */
    const char *eol;
    size_t eol_len;
    ngc_gen_buf_t line;        /* text: the line being built, owned */
} ngc_gen_run_t;

static void
ngc_gen_run_init(ngc_gen_run_t *run, ngc_gen_t *g, ngc_gen_out_t *o,
    ngc_gen_stats_t *st)
{
    memset(run, 0, sizeof(*run));
    run->g = g;
    run->o = o;
    run->st = st;
    run->eol = g->cfg->crlf ? "\r\n" : "\n";
    run->eol_len = g->cfg->crlf ? 2 : 1;
    ngc_gen_rng_init(&run->rng, g->cfg->seed, NGC_GEN_STREAM_BAD);
    memset(st, 0, sizeof(*st));
}

/*
 * Writes line[0..p) and then 7s up to NGC_GEN_LONG_LINE bytes minus the
 * tail bytes the caller adds before the terminator: a count of ~1 MiB
 * digits, over any sane line limit.
 */
static int
ngc_gen_put_sevens(ngc_gen_run_t *run, const char *line, const char *p,
    size_t tail)
{
    size_t pad = NGC_GEN_LONG_LINE - (size_t) (p - line) - tail;

    if (ngc_gen_out_write(run->o, line, (size_t) (p - line)) != NGC_OK) {
        return NGC_ERROR;
    }
    while (pad > 0) {
        size_t c = pad < 4096 ? pad : 4096;
        char *d = ngc_gen_out_reserve(run->o, c);
        if (d == NULL) {
            return NGC_ERROR;
        }
        memset(d, '7', c);
        run->o->len += c;
        pad -= c;
    }
    return NGC_OK;
}

/* the fields after the ngram of a v2 or v3 malformed line; NULL on error */
static char *
ngc_gen_bad_v23(ngc_gen_run_t *run, unsigned kind, uint32_t variant,
    uint32_t year, uint32_t m, char *line, char *p)
{
    bool v3 = run->g->cfg->format == NGC_GEN_FMT_V3;
    char sep = v3 ? ',' : '\t';
    uint32_t v = 1 + m / 3;

    switch (kind) {
    case NGC_GEN_BAD_FIELDS:
        switch (variant % 4) {
        case 0:                /* v2: 3 fields; v3: a 2-element triple */
            p += snprintf(p, 64, "\t%u%c%u", year, sep, m);
            break;
        case 1:                /* v2: 5 fields; v3: a 4-element triple */
            p += snprintf(p, 64, "\t%u%c%u%c%u%c%u", year, sep, m, sep, v,
                          sep, v);
            break;
        case 2:                /* the ngram alone */
            break;
        default:               /* v2: 2 fields; v3: three 1-element triples */
            p += v3 ? snprintf(p, 64, "\t%u\t%u\t%u", year, m, v)
                    : snprintf(p, 64, "\t%u", year);
            break;
        }
        break;
    case NGC_GEN_BAD_NUMBER:
        switch (variant) {
        case 0:
            p += snprintf(p, 64, "\t%u%c%ua%c%u", year, sep, m, sep, v);
            break;
        case 1:
            p += snprintf(p, 64, "\t%u%c%c%u", year, sep, sep, v);
            break;
        case 2:
            p += snprintf(p, 64, "\t%u%c%u%cx%u", year, sep, m, sep, v);
            break;
        case 3:
            p += snprintf(p, 64, "\t%u%c%u.5%c%u", year, sep, m, sep, v);
            break;
        default:
            p += snprintf(p, 64, "\t%u%c%u%c", year, sep, m, sep);
            break;
        }
        break;
    case NGC_GEN_BAD_NEGATIVE:
        switch (variant % 3) {
        case 0:
            p += snprintf(p, 64, "\t%u%c-%u%c%u", year, sep, m, sep, v);
            break;
        case 1:
            p += snprintf(p, 64, "\t%u%c%u%c-%u", year, sep, m, sep, v);
            break;
        default:
            p += snprintf(p, 64, "\t%u%c-%u%c-%u", year, sep, m, sep, v);
            break;
        }
        break;
    case NGC_GEN_BAD_YEAR:
        year = variant % 3 == 0 ? 0 : variant % 3 == 1 ? 10000 : 12345;
        p += snprintf(p, 64, "\t%u%c%u%c%u", year, sep, m, sep, v);
        break;
    default:
        p += snprintf(p, 64, "\t%u%c", year, sep);
        if (ngc_gen_put_sevens(run, line, p, 2) != NGC_OK) {
            return NULL;
        }
        p = line;
        *p++ = sep;
        *p++ = '1';
        break;
    }
    return p;
}

/*
 * The fields after the ngram of a v1 malformed line; NULL on error. There is
 * no 4-field form: "ng TAB year TAB match TAB page" would read as valid v2.
 */
static char *
ngc_gen_bad_v1(ngc_gen_run_t *run, unsigned kind, uint32_t variant,
    uint32_t year, uint32_t m, char *line, char *p)
{
    uint32_t v = 1 + m / 3, pg = (m + v) / 2;

    switch (kind) {
    case NGC_GEN_BAD_FIELDS:
        switch (variant % 4) {
        case 0:                /* 3 fields */
            p += snprintf(p, 64, "\t%u\t%u", year, m);
            break;
        case 1:                /* 6 fields */
            p += snprintf(p, 64, "\t%u\t%u\t%u\t%u\t%u", year, m, pg, v, v);
            break;
        case 2:                /* the ngram alone */
            break;
        default:               /* 2 fields */
            p += snprintf(p, 64, "\t%u", year);
            break;
        }
        break;
    case NGC_GEN_BAD_NUMBER:
        switch (variant) {
        case 0:
            p += snprintf(p, 64, "\t%u\t%ua\t%u\t%u", year, m, pg, v);
            break;
        case 1:
            p += snprintf(p, 64, "\t%u\t\t%u\t%u", year, pg, v);
            break;
        case 2:
            p += snprintf(p, 64, "\t%u\t%u\tx%u\t%u", year, m, pg, v);
            break;
        case 3:
            p += snprintf(p, 64, "\t%u\t%u.5\t%u\t%u", year, m, pg, v);
            break;
        default:
            p += snprintf(p, 64, "\t%u\t%u\t%u\t", year, m, pg);
            break;
        }
        break;
    case NGC_GEN_BAD_NEGATIVE:
        switch (variant % 3) {
        case 0:
            p += snprintf(p, 64, "\t%u\t-%u\t%u\t%u", year, m, pg, v);
            break;
        case 1:
            p += snprintf(p, 64, "\t%u\t%u\t%u\t-%u", year, m, pg, v);
            break;
        default:
            p += snprintf(p, 64, "\t%u\t-%u\t-%u\t-%u", year, m, pg, v);
            break;
        }
        break;
    case NGC_GEN_BAD_YEAR:
        year = variant % 3 == 0 ? 0 : variant % 3 == 1 ? 10000 : 12345;
        p += snprintf(p, 64, "\t%u\t%u\t%u\t%u", year, m, pg, v);
        break;
    default:
        p += snprintf(p, 64, "\t%u\t", year);
        if (ngc_gen_put_sevens(run, line, p, 4) != NGC_OK) {
            return NULL;
        }
        p = line;
        memcpy(p, "\t1\t1", 4);
        p += 4;
        break;
    }
    return p;
}

static int
ngc_gen_put_bad(ngc_gen_run_t *run, unsigned kind, const char *ng,
    size_t len)
{
    char line[NGC_GEN_NGRAM_MAX + 128], *p = line;
    uint32_t year = 1800 + ngc_gen_rand(&run->rng, 200);
    uint32_t m = 1 + ngc_gen_rand(&run->rng, 999);
    uint32_t variant = ngc_gen_rand(&run->rng, 5);

    memcpy(p, ng, len);
    p += len;
    if (run->g->cfg->format == NGC_GEN_FMT_V1) {
        p = ngc_gen_bad_v1(run, kind, variant, year, m, line, p);
    } else {
        p = ngc_gen_bad_v23(run, kind, variant, year, m, line, p);
    }
    if (p == NULL) {
        return NGC_ERROR;
    }
    memcpy(p, run->eol, run->eol_len);
    p += run->eol_len;
    run->st->bad[kind]++;
    run->st->lines++;
    return ngc_gen_out_write(run->o, line, (size_t) (p - line));
}

/*
 * Fills ln->page for v1 and --totals: volume <= page <= match, a function
 * of the ngram, the year and the seed alone (no stream is drawn from), so
 * the pages never change the v2/v3 data.
 */
static void
ngc_gen_pages(const ngc_gen_t *g, const char *ng, size_t len,
    ngc_gen_lines_t *ln, uint32_t n)
{
    uint64_t h = ngc_gen_hash(ng, len) ^ g->page_key, r, d, f;
    uint32_t k;

    for (k = 0; k < n; k++) {
        r = ngc_gen_mix64(h + (uint64_t) ln->year[k] * 0x9e3779b97f4a7c15ULL);
        f = 512 + (r >> 55);   /* page = volume + (match - volume) * f/1024 */
        d = ln->match[k] - ln->vol[k];
        ln->page[k] = ln->vol[k] + (d >> 10) * f + (((d & 1023) * f) >> 10);
    }
}

/* adds the valid lines of one ngram to the --totals sums */
static void
ngc_gen_tally(ngc_gen_stats_t *st, const ngc_gen_lines_t *ln, uint32_t n)
{
    uint32_t k, y;

    for (k = 0; k < n; k++) {
        y = ln->year[k] - NGC_GEN_YEAR_MIN;
        st->ymatch[y] += ln->match[k];
        st->ypage[y] += ln->page[k];
        st->yvol[y] += ln->vol[k];
        if (st->ymatch[y] < ln->match[k] || st->ypage[y] < ln->page[k]
            || st->yvol[y] < ln->vol[k])
        {
            st->yover = true;
        }
    }
}

static int
ngc_gen_put_lines(ngc_gen_run_t *run, const char *ng, size_t len,
    const ngc_gen_lines_t *ln, uint32_t n)
{
    ngc_gen_out_t *o = run->o;
    bool crlf = run->eol_len == 2;
    uint32_t k;
    char *p;

    if (run->g->cfg->format == NGC_GEN_FMT_V3) {
        p = ngc_gen_out_reserve(o, len);
        if (p == NULL) {
            return NGC_ERROR;
        }
        memcpy(p, ng, len);
        o->len += len;
        for (k = 0; k < n; k++) {
            p = ngc_gen_out_reserve(o, 64);
            if (p == NULL) {
                return NGC_ERROR;
            }
            *p++ = '\t';
            p = ngc_gen_put_year(p, ln->year[k]);
            *p++ = ',';
            p = ngc_gen_put_u64(p, ln->match[k]);
            *p++ = ',';
            p = ngc_gen_put_u64(p, ln->vol[k]);
            if (k + 1 == n) {
                if (crlf) {
                    *p++ = '\r';
                }
                *p++ = '\n';
            }
            o->len = (size_t) (p - o->buf);
        }
        run->st->lines++;
        return NGC_OK;
    }
    for (k = 0; k < n; k++) {
        p = ngc_gen_out_reserve(o, len + 96);
        if (p == NULL) {
            return NGC_ERROR;
        }
        memcpy(p, ng, len);
        p += len;
        *p++ = '\t';
        p = ngc_gen_put_year(p, ln->year[k]);
        *p++ = '\t';
        p = ngc_gen_put_u64(p, ln->match[k]);
        *p++ = '\t';
        if (run->g->cfg->format == NGC_GEN_FMT_V1) {
            p = ngc_gen_put_u64(p, ln->page[k]);
            *p++ = '\t';
        }
        p = ngc_gen_put_u64(p, ln->vol[k]);
        if (crlf) {
            *p++ = '\r';
        }
        *p++ = '\n';
        o->len = (size_t) (p - o->buf);
    }
    run->st->lines += n;
    return NGC_OK;
}

/*
 * Plans the malformed lines: bad[j].key is where a line goes, bad[j].val its
 * kind. For the ngram formats the key is the sorted ngram index a line goes
 * before (range - 1 = after the last); for text, a byte offset in the valid
 * text, below range.
 */
static ngc_gen_rec_t *
ngc_gen_plan_bad(ngc_gen_run_t *run, uint64_t range)
{
    const ngc_gen_config_t *cfg = run->g->cfg;
    ngc_gen_rec_t *bad, *tmp;
    unsigned kinds[NGC_GEN_BAD_KINDS], nk = 0, k;
    uint64_t j;

    for (k = 0; k < NGC_GEN_BAD_KINDS; k++) {
        if (cfg->bad_kinds & (1u << k)) {
            kinds[nk++] = k;
        }
    }
    bad = ngc_gen_alloc(cfg->bad + 1, sizeof(*bad));
    tmp = ngc_gen_alloc(cfg->bad + 1, sizeof(*tmp));
    if (bad == NULL || tmp == NULL) {
        free(bad);
        free(tmp);
        return NULL;
    }
    for (j = 0; j < cfg->bad; j++) {
        if (cfg->format == NGC_GEN_FMT_TEXT) {
            bad[j].key = ngc_gen_next(&run->rng) % range;
        } else {
            bad[j].key = ngc_gen_rand(&run->rng, (uint32_t) range);
        }
        bad[j].val = kinds[ngc_gen_rand(&run->rng, nk)];
    }
    ngc_gen_radix(bad, tmp, cfg->bad);
    free(tmp);
    bad[cfg->bad].key = UINT64_MAX;    /* sentinel */
    return bad;
}

static int
ngc_gen_stream(ngc_gen_t *g, ngc_gen_out_t *o, ngc_gen_stats_t *st)
{
    const ngc_gen_config_t *cfg = g->cfg;
    bool pages = cfg->format == NGC_GEN_FMT_V1 || cfg->totals != NULL;
    ngc_gen_run_t run;
    ngc_gen_rec_t *bad = NULL, *b;
    ngc_gen_params_t p;
    uint64_t i, total;
    uint32_t n, k, rank;
    const char *ng = NULL;
    size_t len = 0;
    int rc = NGC_ERROR;

    ngc_gen_run_init(&run, g, o, st);
    bad = ngc_gen_plan_bad(&run, g->vocab + 1);
    if (bad == NULL) {
        return NGC_ERROR;
    }
    b = bad;
    for (i = 0; i < g->vocab; i++) {
        ng = g->arena.p + g->off[i];
        len = strlen(ng);
        /* a malformed line borrows a neighbour's ngram, so order holds */
        for (; b->key == i; b++) {
            if (ngc_gen_put_bad(&run, (unsigned) b->val, ng, len) != NGC_OK) {
                goto done;
            }
        }
        memcpy(&rank, ng - 4, 4);
        ngc_gen_params(g, rank, &p);
        n = ngc_gen_nlines(g->k, &p);
        ngc_gen_years(g, &p, n, g->lines);
        if (pages) {
            ngc_gen_pages(g, ng, len, g->lines, n);
        }
        if (cfg->totals != NULL) {
            ngc_gen_tally(st, g->lines, n);
        }
        for (total = 0, k = 0; k < n; k++) {
            total += g->lines->match[k];
        }
        if (total > st->max_total) {
            st->max_total = total;
            st->max_index = i;
        }
        if (ngc_gen_put_lines(&run, ng, len, g->lines, n) != NGC_OK) {
            goto done;
        }
    }
    for (; b->key == g->vocab; b++) {
        if (ngc_gen_put_bad(&run, (unsigned) b->val, ng, len) != NGC_OK) {
            goto done;
        }
    }
    rc = NGC_OK;
done:
    free(bad);
    return rc;
}

/*
 * Writes the --totals file in the shape Google published for the release
 * of the data's format, one "year,match,pages,volume" per year with data,
 * ascending. v2 (2012) and v3 (2020): one line, " \t" first, then each
 * tuple followed by a TAB, no newline. v1 (2009): a '#' header line, then
 * "year\tmatch\tpages\tvolume\n" rows. Each count is 3 times the year's
 * sum over the valid lines plus a seeded extra, ordered so that match >=
 * page >= volume: the totals of a corpus larger than the file, as
 * Google's are.
 */
static int
ngc_gen_put_totals(const ngc_gen_t *g, const ngc_gen_stats_t *st,
    ngc_gen_out_t *o)
{
    static const char head09[] =
        "#Total counts of 1grams for the synthetic corpus (ngram-gen). The "
        "fields, separated by tabs, correspond to the year, the number of "
        "1grams, the number of pages, the number of books.\n";
    bool rows = g->cfg->format == NGC_GEN_FMT_V1;
    char sep = rows ? '\t' : ',', end = rows ? '\n' : '\t';
    uint64_t r, ev, ep, em;
    unsigned y;
    char *p;

    if (rows ? ngc_gen_out_write(o, head09, sizeof(head09) - 1) != NGC_OK
             : ngc_gen_out_write(o, " \t", 2) != NGC_OK) {
        return NGC_ERROR;
    }
    for (y = 0; y < NGC_GEN_NYEARS; y++) {
        if (st->yvol[y] == 0) {
            continue;
        }
        r = ngc_gen_mix64(g->page_key
                          ^ ((NGC_GEN_YEAR_MIN + y) * 0xd1b54a32d192ed03ULL));
        ev = 1 + (r & 1023);
        ep = ev + ((r >> 10) & 0xffff);
        em = ep + ((r >> 26) & 0xfffff);
        /* the match sum is the largest, so it alone can overflow */
        if (st->yover || st->ymatch[y] > (UINT64_MAX - em) / 3) {
            ngc_gen_log(0, "cannot write totals: the count of year %u "
                        "exceeds 2^64", NGC_GEN_YEAR_MIN + y);
            return NGC_ERROR;
        }
        p = ngc_gen_out_reserve(o, 80);
        if (p == NULL) {
            return NGC_ERROR;
        }
        p = ngc_gen_put_year(p, NGC_GEN_YEAR_MIN + y);
        *p++ = sep;
        p = ngc_gen_put_u64(p, 3 * st->ymatch[y] + em);
        *p++ = sep;
        p = ngc_gen_put_u64(p, 3 * st->ypage[y] + ep);
        *p++ = sep;
        p = ngc_gen_put_u64(p, 3 * st->yvol[y] + ev);
        *p++ = end;
        o->len = (size_t) (p - o->buf);
    }
    return NGC_OK;
}

/* writes the totals to fd, the file tmp or stdout if tmp is NULL */
static int
ngc_gen_totals(const ngc_gen_t *g, const ngc_gen_stats_t *st, int fd,
    const char *tmp)
{
    ngc_gen_out_t o;
    int rc;

    rc = ngc_gen_out_init(&o, fd, tmp, tmp == NULL, false, 0);
    if (rc == NGC_OK) {
        rc = ngc_gen_put_totals(g, st, &o);
    }
    if (rc == NGC_OK) {
        rc = ngc_gen_out_flush(&o, true);
    }
    ngc_gen_out_fini(&o);
    return rc;
}

/* ---- text: sentences of Zipf-drawn words, built in run->line */

#define NGC_GEN_EM_DASH "\xe2\x80\x94"

/* styles of quotation: straight double (twice as likely), curly, single */
static const char *const ngc_gen_quote_open[4] = {
    "\"", "\"", "\xe2\x80\x9c", "'"
};
static const char *const ngc_gen_quote_close[4] = {
    "\"", "\"", "\xe2\x80\x9d", "'"
};

/*
 * text --malformed: the invalid UTF-8 of the kinds fields (bytes never in
 * UTF-8), number (a lead byte short of its continuation bytes), negative (a
 * continuation byte with no lead) and year (overlong forms, a UTF-16
 * surrogate, a code point past U+10FFFF)
 */
static const char *const ngc_gen_bad_utf8[NGC_GEN_BAD_LONG][4] = {
    {"\xff", "\xfe", "\xff\xfe", "\xc1\xbf"},
    {"\xc3", "\xe2\x80", "\xf0\x9f\x98", "\xe2"},
    {"\x80", "\xa9", "\xbf", "\x80\x80"},
    {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"},
};

/* room for n more bytes in b */
static int
ngc_gen_buf_reserve(ngc_gen_buf_t *b, size_t n)
{
    size_t cap;
    char *p;

    if (b->cap - b->len >= n) {
        return NGC_OK;
    }
    cap = b->cap != 0 ? b->cap : (64u << 10);
    while (cap - b->len < n) {
        cap *= 2;
    }
    p = realloc(b->p, cap);
    if (p == NULL) {
        ngc_gen_log(errno, "realloc() of %zu bytes failed", cap);
        return NGC_ERROR;
    }
    b->p = p;
    b->cap = cap;
    return NGC_OK;
}

/* appends s; the caller reserved the room */
static inline void
ngc_gen_buf_str(ngc_gen_buf_t *b, const char *s)
{
    size_t n = strlen(s);

    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* appends 1..4 blanks, spaces or TABs, chosen by the low 6 bits of r */
static void
ngc_gen_buf_blanks(ngc_gen_buf_t *b, uint64_t r)
{
    unsigned n = 1 + (unsigned) (r & 3), i;

    for (i = 0; i < n; i++) {
        b->p[b->len++] = (r >> (2 + i)) & 1 ? '\t' : ' ';
    }
}

/* capitalises the UTF-8 character at p when its capital has the same size */
static void
ngc_gen_capital(char *p)
{
    unsigned char c = (unsigned char) p[0];
    uint32_t cp, up;

    if (c < 0x80) {
        p[0] = (char) ngc_gen_upper(c);
        return;
    }
    if ((c & 0xe0) != 0xc0) {
        return;                /* 3-byte letters (CJK) have no case */
    }
    cp = ((uint32_t) (c & 0x1f) << 6) | ((unsigned char) p[1] & 0x3f);
    up = ngc_gen_upper(cp);
    if (up != cp && up >= 0x80 && up < 0x800) {
        p[0] = (char) (0xc0 | (up >> 6));
        p[1] = (char) (0x80 | (up & 0x3f));
    }
}

/* the words of one sentence: 1..60, or 1 in 1024 300..1599 (2..10 KB) */
static uint32_t
ngc_gen_text_len(ngc_gen_rng_t *rng)
{
    uint64_t r = ngc_gen_next(rng);
    uint32_t n;

    if ((r & 1023) == 0) {
        return 300 + (uint32_t) ((r >> 10) % 1300);
    }
    n = 1 + (uint32_t) ((r >> 10) % 20) + (uint32_t) ((r >> 20) % 20);
    if (((r >> 30) & 3) == 0) {
        n += (uint32_t) ((r >> 32) % 22);
    }
    return n;
}

/*
 * Writes one sentence into b (no terminator): nwords words, then more until
 * b holds min_bytes. The first word is capitalised; punctuation sticks to
 * the words; a few separators are runs of spaces, TABs or a lone dash.
 * Every random draw comes from rng, one or two per word.
 */
static int
ngc_gen_sentence(const ngc_gen_t *g, ngc_gen_rng_t *rng, ngc_gen_buf_t *b,
    uint32_t nwords, size_t min_bytes)
{
    unsigned quote = 0;        /* 1 + style of the open quotation, or 0 */
    bool paren = false, glue = false, last = false;
    uint32_t i;
    uint64_t r;

    b->len = 0;
    r = ngc_gen_next(rng);
    if (ngc_gen_buf_reserve(b, 8) != NGC_OK) {
        return NGC_ERROR;
    }
    if ((r & 63) == 0) {
        ngc_gen_buf_blanks(b, r >> 6);
    }
    for (i = 0; !last; i++) {
        uint32_t w = ngc_gen_alias_draw(&g->walias, rng);
        size_t n = g->wlen[w], at;
        unsigned sep, open, mid, end;

        /* this word's choices all come from the bits of one draw */
        r = ngc_gen_next(rng);
        if (ngc_gen_buf_reserve(b, n + 64) != NGC_OK) {
            return NGC_ERROR;
        }
        sep = (unsigned) (r & 1023);
        open = (unsigned) ((r >> 10) & 1023);
        mid = (unsigned) ((r >> 20) & 1023);
        if (i > 0 && !glue) {
            if (sep < 1016) {
                b->p[b->len++] = ' ';
            } else if (sep < 1019) {
                unsigned k = 2 + (unsigned) ((r >> 60) & 3);
                memset(b->p + b->len, ' ', k);
                b->len += k;
            } else if (sep < 1021) {
                static const char *const tabs[4] = {
                    "\t", " \t", "\t\t", "\t  "
                };
                ngc_gen_buf_str(b, tabs[(r >> 60) & 3]);
            } else {
                ngc_gen_buf_str(b, (r >> 59) & 1 ? " " NGC_GEN_EM_DASH " "
                                                 : " -- ");
            }
        }
        glue = false;
        if (open < 5 && quote == 0) {
            quote = 1 + (unsigned) ((r >> 30) & 3);
            ngc_gen_buf_str(b, ngc_gen_quote_open[quote - 1]);
        } else if (open < 10 && !paren) {
            paren = true;
            b->p[b->len++] = '(';
        }
        at = b->len;
        memcpy(b->p + b->len, g->arena.p + g->off[w], n);
        b->len += n;
        if (i == 0) {
            ngc_gen_capital(b->p + at);
        }
        if (mid < 12 && w >= NGC_GEN_TEXT_PLAIN) {
            ngc_gen_buf_str(b, "'s");        /* not on function words */
        }
        last = i + 1 >= nwords && b->len >= min_bytes;
        if (paren && (last || ((r >> 32) & 3) == 0)) {
            b->p[b->len++] = ')';
            paren = false;
        }
        if (!last) {
            if (quote != 0 && ((r >> 34) & 3) == 0) {
                ngc_gen_buf_str(b, ngc_gen_quote_close[quote - 1]);
                quote = 0;
            }
            if (mid >= 12 && mid < 87) {
                b->p[b->len++] = ',';
            } else if (mid >= 87 && mid < 92) {
                b->p[b->len++] = ';';
            } else if (mid >= 92 && mid < 95) {
                b->p[b->len++] = ':';
            } else if (mid >= 95 && mid < 97) {
                ngc_gen_buf_str(b, "...");
            } else if (mid >= 97 && mid < 99) {
                ngc_gen_buf_str(b, NGC_GEN_EM_DASH);   /* word—word */
                glue = true;
            }
            continue;
        }
        /* the end: . ? ! ... or nothing, inside or outside the quotation */
        end = (unsigned) ((r >> 36) & 255);
        if (quote != 0 && ((r >> 44) & 1)) {
            ngc_gen_buf_str(b, ngc_gen_quote_close[quote - 1]);
            quote = 0;
        }
        ngc_gen_buf_str(b, end < 176 ? "." : end < 206 ? "?" : end < 218 ? "!"
                           : end < 228 ? "..." : "");
        if (quote != 0) {
            ngc_gen_buf_str(b, ngc_gen_quote_close[quote - 1]);
        }
        if (((r >> 45) & 63) == 0) {
            ngc_gen_buf_blanks(b, r >> 51);
        }
    }
    return NGC_OK;
}

/* words as a tokenizer splitting on spaces and TABs counts them */
static uint64_t
ngc_gen_count_words(const char *p, size_t n)
{
    uint64_t words = 0;
    bool in = false;
    size_t i;

    for (i = 0; i < n; i++) {
        bool blank = p[i] == ' ' || p[i] == '\t';
        if (!blank && !in) {
            words++;
        }
        in = !blank;
    }
    return words;
}

/* writes run->line and its terminator */
static int
ngc_gen_text_line(ngc_gen_run_t *run)
{
    ngc_gen_buf_t *b = &run->line;

    if (ngc_gen_buf_reserve(b, 2) != NGC_OK) {
        return NGC_ERROR;
    }
    run->st->words += ngc_gen_count_words(b->p, b->len);
    run->st->lines++;
    memcpy(b->p + b->len, run->eol, run->eol_len);
    return ngc_gen_out_write(run->o, b->p, b->len + run->eol_len);
}

/*
 * A malformed text line: a sentence from the malformed stream with invalid
 * UTF-8 put at a character boundary, or for 'long' a sentence of more than
 * NGC_GEN_LONG_LINE bytes.
 */
static int
ngc_gen_put_text_bad(ngc_gen_run_t *run, unsigned kind)
{
    ngc_gen_buf_t *b = &run->line;
    uint32_t n = 3 + ngc_gen_rand(&run->rng, 20);
    uint32_t variant = ngc_gen_rand(&run->rng, 4);
    const char *s;
    size_t sl, at;

    if (kind == NGC_GEN_BAD_LONG) {
        if (ngc_gen_sentence(run->g, &run->rng, b, 1, NGC_GEN_LONG_LINE)
            != NGC_OK)
        {
            return NGC_ERROR;
        }
    } else {
        if (ngc_gen_sentence(run->g, &run->rng, b, n, 0) != NGC_OK) {
            return NGC_ERROR;
        }
        s = ngc_gen_bad_utf8[kind][variant];
        sl = strlen(s);
        at = ngc_gen_rand(&run->rng, (uint32_t) b->len + 1);
        while (at < b->len && ((unsigned char) b->p[at] & 0xc0) == 0x80) {
            at--;
        }
        if (ngc_gen_buf_reserve(b, sl) != NGC_OK) {
            return NGC_ERROR;
        }
        memmove(b->p + at + sl, b->p + at, b->len - at);
        memcpy(b->p + at, s, sl);
        b->len += sl;
    }
    run->st->bad[kind]++;
    return ngc_gen_text_line(run);
}

/*
 * Writes text lines until the valid ones (LF-terminated) reach --size: a
 * line is empty 1.2% of the time, blanks only 0.4%, else a sentence. The
 * malformed lines go at seeded offsets of the valid text and draw from
 * their own stream, so the valid lines never depend on them.
 */
static int
ngc_gen_stream_text(ngc_gen_t *g, ngc_gen_out_t *o, ngc_gen_stats_t *st)
{
    const ngc_gen_config_t *cfg = g->cfg;
    ngc_gen_run_t run;
    ngc_gen_rng_t rng;
    ngc_gen_rec_t *bad, *b;
    uint64_t valid = 0, r;
    uint32_t n;
    bool blank = true;
    int rc = NGC_ERROR;

    ngc_gen_run_init(&run, g, o, st);
    ngc_gen_rng_init(&rng, cfg->seed, NGC_GEN_STREAM_TEXT);
    bad = ngc_gen_plan_bad(&run, cfg->size);
    if (bad == NULL) {
        return NGC_ERROR;
    }
    b = bad;
    /* end on a line with words, so --no-final-newline cuts after a word */
    while (valid < cfg->size || blank) {
        for (; b->key <= valid; b++) {
            if (ngc_gen_put_text_bad(&run, (unsigned) b->val) != NGC_OK) {
                goto done;
            }
        }
        r = ngc_gen_next(&rng);
        run.line.len = 0;
        blank = r % 1000 < 16;
        if (blank && r % 1000 >= 12) {
            if (ngc_gen_buf_reserve(&run.line, 4) != NGC_OK) {
                goto done;
            }
            ngc_gen_buf_blanks(&run.line, r >> 10);
        } else if (!blank) {
            n = ngc_gen_text_len(&rng);
            if (ngc_gen_sentence(g, &rng, &run.line, n, 0) != NGC_OK) {
                goto done;
            }
        }
        valid += run.line.len + 1;
        if (ngc_gen_text_line(&run) != NGC_OK) {
            goto done;
        }
    }
    for (; b->key != UINT64_MAX; b++) {
        if (ngc_gen_put_text_bad(&run, (unsigned) b->val) != NGC_OK) {
            goto done;
        }
    }
    rc = NGC_OK;
done:
    free(bad);
    free(run.line.p);
    return rc;
}

/* ---- command line */

static void
ngc_gen_usage(FILE *f)
{
    fputs(
"usage: ngram-gen [options]\n"
"Writes a synthetic Google Books Ngram file (sorted by ngram, then year),\n"
"or with --format text raw text, one sentence per line.\n"
"\n"
"  --seed N              random seed (default 1); same seed and options give\n"
"                        byte-identical output\n"
"  --size SIZE           target uncompressed bytes of the v2 rendering, or of\n"
"                        the text (default 10M; suffixes K M G T are powers\n"
"                        of 1024)\n"
"  --vocab N             distinct ngrams (default SIZE / 900); text: distinct\n"
"                        words (default SIZE / 256, 1000..1048576; at most\n"
"                        16777216)\n"
"  --order N             tokens per ngram, 1..5 (default 1; not for text)\n"
"  --zipf S              Zipf exponent of ngram (text: word) frequencies\n"
"                        (default 1.0)\n"
"  --pos-share F         share of words also listed with _TAG suffixes\n"
"                        (default 0.5; not for text)\n"
"  --utf8-share F        share of non-ASCII words (default 0.05)\n"
"  --format FMT          v2: ngram TAB year TAB match TAB volume (default)\n"
"                        v1: ngram TAB year TAB match TAB pages TAB volume\n"
"                        v3: ngram (TAB year,match,volume)...\n"
"                        text: sentences of words, spaces and punctuation\n"
"  --totals FILE         also write the per-year totals of the data in the\n"
"                        shape Google published for the format's release:\n"
"                        v2 (2012) and v3 (2020) one line of TAB-ended\n"
"                        year,match,pages,volume tuples after ' TAB'; v1\n"
"                        (2009) a '#' line, then year TAB match TAB pages\n"
"                        TAB volume rows; not for text\n"
"  --gzip                write gzip (implied by an output name ending in .gz)\n"
"  --gzip-level N        0..9 (default 6)\n"
"  -o, --output FILE     write FILE (via FILE.tmp and rename; a device or\n"
"                        FIFO in place; default stdout)\n"
"  --crlf                end lines with CR LF\n"
"  --no-final-newline    omit the newline after the last line\n"
"  --malformed N         inject N malformed lines between ngram runs (text:\n"
"                        between lines)\n"
"  --malformed-kinds L   comma list of fields,number,negative,year,long\n"
"                        (default all); with text the first four put invalid\n"
"                        UTF-8 in a sentence and long makes a 1 MiB line\n"
"  --stats               print lines, ngrams, bytes and the largest total\n"
"                        (text: lines, words, bytes)\n"
"  -h, --help            show this help\n",
        f);
}

static int
ngc_gen_parse_u64(const char *s, bool suffix, uint64_t *out)
{
    unsigned long long v;
    uint64_t mul = 1;
    char *end;

    if (*s < '0' || *s > '9') {
        return NGC_ERROR;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0) {
        return NGC_ERROR;
    }
    if (suffix && *end != '\0') {
        switch (*end) {
        case 'k': case 'K': mul = 1ULL << 10; break;
        case 'm': case 'M': mul = 1ULL << 20; break;
        case 'g': case 'G': mul = 1ULL << 30; break;
        case 't': case 'T': mul = 1ULL << 40; break;
        default: return NGC_ERROR;
        }
        end++;
    }
    if (*end != '\0' || v > UINT64_MAX / mul) {
        return NGC_ERROR;
    }
    *out = (uint64_t) v * mul;
    return NGC_OK;
}

static int
ngc_gen_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
        return NGC_ERROR;
    }
    *out = v;
    return NGC_OK;
}

static int
ngc_gen_parse_kinds(const char *s, unsigned *mask)
{
    *mask = 0;
    for (;;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t) (e - s) : strlen(s);
        unsigned k;
        for (k = 0; k < NGC_GEN_BAD_KINDS; k++) {
            if (strlen(ngc_gen_bad_names[k]) == n
                && memcmp(ngc_gen_bad_names[k], s, n) == 0)
            {
                break;
            }
        }
        if (k == NGC_GEN_BAD_KINDS) {
            return NGC_ERROR;
        }
        *mask |= 1u << k;
        if (e == NULL) {
            return NGC_OK;
        }
        s = e + 1;
    }
}

enum {
    NGC_GEN_OPT_SEED = 256, NGC_GEN_OPT_SIZE, NGC_GEN_OPT_VOCAB,
    NGC_GEN_OPT_ORDER, NGC_GEN_OPT_ZIPF, NGC_GEN_OPT_POS_SHARE,
    NGC_GEN_OPT_UTF8_SHARE, NGC_GEN_OPT_FORMAT, NGC_GEN_OPT_GZIP,
    NGC_GEN_OPT_GZIP_LEVEL, NGC_GEN_OPT_CRLF, NGC_GEN_OPT_NO_FINAL_NL,
    NGC_GEN_OPT_MALFORMED, NGC_GEN_OPT_MALFORMED_KINDS, NGC_GEN_OPT_STATS,
    NGC_GEN_OPT_TOTALS
};

static const struct option ngc_gen_options[] = {
    {"seed", required_argument, NULL, NGC_GEN_OPT_SEED},
    {"size", required_argument, NULL, NGC_GEN_OPT_SIZE},
    {"vocab", required_argument, NULL, NGC_GEN_OPT_VOCAB},
    {"order", required_argument, NULL, NGC_GEN_OPT_ORDER},
    {"zipf", required_argument, NULL, NGC_GEN_OPT_ZIPF},
    {"pos-share", required_argument, NULL, NGC_GEN_OPT_POS_SHARE},
    {"utf8-share", required_argument, NULL, NGC_GEN_OPT_UTF8_SHARE},
    {"format", required_argument, NULL, NGC_GEN_OPT_FORMAT},
    {"gzip", no_argument, NULL, NGC_GEN_OPT_GZIP},
    {"gzip-level", required_argument, NULL, NGC_GEN_OPT_GZIP_LEVEL},
    {"output", required_argument, NULL, 'o'},
    {"crlf", no_argument, NULL, NGC_GEN_OPT_CRLF},
    {"no-final-newline", no_argument, NULL, NGC_GEN_OPT_NO_FINAL_NL},
    {"malformed", required_argument, NULL, NGC_GEN_OPT_MALFORMED},
    {"malformed-kinds", required_argument, NULL, NGC_GEN_OPT_MALFORMED_KINDS},
    {"stats", no_argument, NULL, NGC_GEN_OPT_STATS},
    {"totals", required_argument, NULL, NGC_GEN_OPT_TOTALS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}
};

/* --size and --vocab of --format text when not given */
static void
ngc_gen_text_defaults(ngc_gen_config_t *cfg)
{
    if (cfg->size == 0) {
        cfg->size = cfg->vocab != 0 ? cfg->vocab * NGC_GEN_TEXT_BYTES_PER
                                    : NGC_GEN_DEFAULT_SIZE;
    }
    if (cfg->vocab == 0) {
        cfg->vocab = cfg->size / NGC_GEN_TEXT_BYTES_PER;
        if (cfg->vocab < NGC_GEN_TEXT_VOCAB_MIN) {
            cfg->vocab = NGC_GEN_TEXT_VOCAB_MIN;
        }
        if (cfg->vocab > NGC_GEN_TEXT_VOCAB_DEF) {
            cfg->vocab = NGC_GEN_TEXT_VOCAB_DEF;
        }
    }
}

/* returns NGC_OK, 1 after --help, or NGC_ERROR after a usage message */
static int
ngc_gen_parse(ngc_gen_config_t *cfg, int argc, char **argv)
{
    const char *why = NULL;
    uint64_t u;
    int c;

    memset(cfg, 0, sizeof(*cfg));
    cfg->seed = 1;
    cfg->order = 1;
    cfg->zipf = 1.0;
    cfg->pos_share = 0.5;
    cfg->utf8_share = 0.05;
    cfg->format = NGC_GEN_FMT_V2;
    cfg->gzip_level = 6;
    cfg->bad_kinds = (1u << NGC_GEN_BAD_KINDS) - 1;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":ho:", ngc_gen_options, NULL)) != -1) {
        const char *a = optarg;
        const char *bad = NULL;

        switch (c) {
        case 'h':
            ngc_gen_usage(stdout);
            return 1;
        case 'o':
            cfg->output = strcmp(a, "-") == 0 ? NULL : a;
            break;
        case NGC_GEN_OPT_SEED:
            if (ngc_gen_parse_u64(a, false, &cfg->seed) != NGC_OK) {
                bad = "--seed";
            }
            break;
        case NGC_GEN_OPT_SIZE:
            if (ngc_gen_parse_u64(a, true, &cfg->size) != NGC_OK
                || cfg->size == 0 || cfg->size > (1ULL << 50))
            {
                bad = "--size";
            }
            break;
        case NGC_GEN_OPT_VOCAB:
            if (ngc_gen_parse_u64(a, true, &cfg->vocab) != NGC_OK
                || cfg->vocab == 0 || cfg->vocab > NGC_GEN_VOCAB_MAX)
            {
                bad = "--vocab";
            }
            break;
        case NGC_GEN_OPT_ORDER:
            if (ngc_gen_parse_u64(a, false, &u) != NGC_OK || u < 1 || u > 5) {
                bad = "--order";
            }
            cfg->order = (int) u;
            break;
        case NGC_GEN_OPT_ZIPF:
            if (ngc_gen_parse_double(a, 0.0, 10.0, &cfg->zipf) != NGC_OK) {
                bad = "--zipf";
            }
            break;
        case NGC_GEN_OPT_POS_SHARE:
            if (ngc_gen_parse_double(a, 0.0, 1.0, &cfg->pos_share) != NGC_OK) {
                bad = "--pos-share";
            }
            break;
        case NGC_GEN_OPT_UTF8_SHARE:
            if (ngc_gen_parse_double(a, 0.0, 1.0, &cfg->utf8_share)
                != NGC_OK)
            {
                bad = "--utf8-share";
            }
            break;
        case NGC_GEN_OPT_FORMAT:
            if (strcmp(a, "v1") == 0) {
                cfg->format = NGC_GEN_FMT_V1;
            } else if (strcmp(a, "v2") == 0) {
                cfg->format = NGC_GEN_FMT_V2;
            } else if (strcmp(a, "v3") == 0) {
                cfg->format = NGC_GEN_FMT_V3;
            } else if (strcmp(a, "text") == 0) {
                cfg->format = NGC_GEN_FMT_TEXT;
            } else {
                bad = "--format";
            }
            break;
        case NGC_GEN_OPT_GZIP:
            cfg->gzip = true;
            break;
        case NGC_GEN_OPT_GZIP_LEVEL:
            if (ngc_gen_parse_u64(a, false, &u) != NGC_OK || u > 9) {
                bad = "--gzip-level";
            }
            cfg->gzip_level = (int) u;
            break;
        case NGC_GEN_OPT_CRLF:
            cfg->crlf = true;
            break;
        case NGC_GEN_OPT_NO_FINAL_NL:
            cfg->no_final_newline = true;
            break;
        case NGC_GEN_OPT_MALFORMED:
            if (ngc_gen_parse_u64(a, true, &cfg->bad) != NGC_OK
                || cfg->bad > NGC_GEN_BAD_MAX)
            {
                bad = "--malformed";
            }
            cfg->bad_set = true;
            break;
        case NGC_GEN_OPT_MALFORMED_KINDS:
            if (ngc_gen_parse_kinds(a, &cfg->bad_kinds) != NGC_OK) {
                bad = "--malformed-kinds";
            }
            break;
        case NGC_GEN_OPT_STATS:
            cfg->stats = true;
            break;
        case NGC_GEN_OPT_TOTALS:
            if (*a == '\0') {
                bad = "--totals";
            }
            cfg->totals = a;
            break;
        case ':':
            ngc_gen_log(0, "option '%s' requires a value", argv[optind - 1]);
            ngc_gen_usage(stderr);
            return NGC_ERROR;
        default:
            ngc_gen_log(0, "unknown option '%s'", argv[optind - 1]);
            ngc_gen_usage(stderr);
            return NGC_ERROR;
        }
        if (bad != NULL) {
            ngc_gen_log(0, "invalid value for %s: '%s'", bad, a);
            ngc_gen_usage(stderr);
            return NGC_ERROR;
        }
    }
    if (optind < argc) {
        ngc_gen_log(0, "unexpected argument '%s'", argv[optind]);
        ngc_gen_usage(stderr);
        return NGC_ERROR;
    }

    if (cfg->totals != NULL && cfg->format == NGC_GEN_FMT_TEXT) {
        why = "--totals needs an ngram format (v1, v2 or v3), not text";
    } else if (cfg->totals != NULL && strcmp(cfg->totals, "-") == 0
               && cfg->output == NULL)
    {
        why = "--totals - needs -o FILE for the data";
    } else if (cfg->totals != NULL && cfg->output != NULL
               && strcmp(cfg->totals, cfg->output) == 0)
    {
        why = "--totals and -o name the same file";
    } else if (cfg->format == NGC_GEN_FMT_TEXT
               && cfg->vocab > NGC_GEN_TEXT_VOCAB_MAX)
    {
        why = "--vocab is at most 16777216 with --format text";
    }
    if (why != NULL) {
        ngc_gen_log(0, "%s", why);
        ngc_gen_usage(stderr);
        return NGC_ERROR;
    }

    if (cfg->format == NGC_GEN_FMT_TEXT) {
        ngc_gen_text_defaults(cfg);
    }
    if (cfg->size == 0) {
        cfg->size = cfg->vocab != 0 ? cfg->vocab * NGC_GEN_BYTES_PER
                                    : NGC_GEN_DEFAULT_SIZE;
    }
    if (cfg->vocab == 0) {
        cfg->vocab = cfg->size / NGC_GEN_BYTES_PER;
        if (cfg->vocab == 0) {
            cfg->vocab = 1;
        }
        if (cfg->vocab > NGC_GEN_VOCAB_MAX) {
            cfg->vocab = NGC_GEN_VOCAB_MAX;
        }
    }
    if (cfg->output != NULL) {
        size_t n = strlen(cfg->output);
        if (n >= 3 && strcmp(cfg->output + n - 3, ".gz") == 0) {
            cfg->gzip = true;
        }
    }
    return NGC_OK;
}

/* opens "NAME.tmp" for writing; *tmp gets that name, malloc'ed */
static int
ngc_gen_open_tmp(const char *name, char **tmp, int *fd, bool *direct)
{
    size_t n = strlen(name) + 5;
    struct stat st;

    *tmp = ngc_gen_alloc(n, 1);
    if (*tmp == NULL) {
        return NGC_ERROR;
    }
    /* a device or FIFO is written in place: a rename would replace
     * /dev/null with a regular file */
    *direct = stat(name, &st) == 0 && !S_ISREG(st.st_mode);
    snprintf(*tmp, n, *direct ? "%s" : "%s.tmp", name);
    *fd = open(*tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (*fd < 0) {
        ngc_gen_log(errno, "cannot open '%s'", *tmp);
        free(*tmp);
        *tmp = NULL;
        return NGC_ERROR;
    }
    return NGC_OK;
}

int
main(int argc, char **argv)
{
    ngc_gen_config_t cfg;
    ngc_gen_t g;
    ngc_gen_out_t o;
    ngc_gen_stats_t st;
    char *tmp = NULL, *ttmp = NULL;
    size_t trim = 0;
    bool text, trenamed = false, direct = false, tdirect = false;
    int fd = STDOUT_FILENO, tfd = STDOUT_FILENO, rc;

    rc = ngc_gen_parse(&cfg, argc, argv);
    if (rc != NGC_OK) {
        return rc == 1 ? 0 : 2;
    }
    text = cfg.format == NGC_GEN_FMT_TEXT;
    if (ngc_gen_init(&g, &cfg) != NGC_OK) {
        ngc_gen_fini(&g);
        return 1;
    }

    /* both files are opened first, so a bad path fails before the work */
    if (cfg.totals != NULL && strcmp(cfg.totals, "-") != 0
        && ngc_gen_open_tmp(cfg.totals, &ttmp, &tfd, &tdirect) != NGC_OK)
    {
        ngc_gen_fini(&g);
        return 1;
    }
    if (cfg.output != NULL
        && ngc_gen_open_tmp(cfg.output, &tmp, &fd, &direct) != NGC_OK)
    {
        if (ttmp != NULL) {
            close(tfd);
            if (!tdirect) {
                unlink(ttmp);
            }
            free(ttmp);
        }
        ngc_gen_fini(&g);
        return 1;
    }

    rc = ngc_gen_out_init(&o, fd, tmp, cfg.output == NULL, cfg.gzip,
                          cfg.gzip_level);
    if (rc == NGC_OK) {
        rc = text ? ngc_gen_stream_text(&g, &o, &st)
                  : ngc_gen_stream(&g, &o, &st);
    }
    if (rc == NGC_OK) {
        if (cfg.no_final_newline) {
            trim = cfg.crlf ? 2 : 1;
            ngc_gen_assert(o.len >= trim && o.buf[o.len - 1] == '\n');
            o.len -= trim;
        }
        rc = ngc_gen_out_flush(&o, true);
    }
    if (cfg.output != NULL && close(fd) != 0 && rc == NGC_OK) {
        ngc_gen_log(errno, "cannot close '%s'", tmp);
        rc = NGC_ERROR;
    }
    /* the totals only after the data is complete, renamed before it */
    if (rc == NGC_OK && cfg.totals != NULL) {
        rc = ngc_gen_totals(&g, &st, tfd, ttmp);
    }
    if (ttmp != NULL && close(tfd) != 0 && rc == NGC_OK) {
        ngc_gen_log(errno, "cannot close '%s'", ttmp);
        rc = NGC_ERROR;
    }
    if (rc == NGC_OK && ttmp != NULL && !tdirect) {
        if (rename(ttmp, cfg.totals) != 0) {
            ngc_gen_log(errno, "cannot rename '%s' to '%s'", ttmp,
                        cfg.totals);
            rc = NGC_ERROR;
        } else {
            trenamed = true;
        }
    }
    if (rc == NGC_OK && cfg.output != NULL && !direct
        && rename(tmp, cfg.output) != 0) {
        ngc_gen_log(errno, "cannot rename '%s' to '%s'", tmp, cfg.output);
        rc = NGC_ERROR;
    }
    if (rc != NGC_OK) {
        if (tmp != NULL && !direct) {
            unlink(tmp);
        }
        if (ttmp != NULL && !tdirect) {
            unlink(trenamed ? cfg.totals : ttmp);
        }
    }

    if (rc == NGC_OK && cfg.bad_set) {
        ngc_gen_log(0, "injected %llu malformed lines: fields=%llu number=%llu"
                    " negative=%llu year=%llu long=%llu",
                    (unsigned long long) cfg.bad,
                    (unsigned long long) st.bad[NGC_GEN_BAD_FIELDS],
                    (unsigned long long) st.bad[NGC_GEN_BAD_NUMBER],
                    (unsigned long long) st.bad[NGC_GEN_BAD_NEGATIVE],
                    (unsigned long long) st.bad[NGC_GEN_BAD_YEAR],
                    (unsigned long long) st.bad[NGC_GEN_BAD_LONG]);
    }
    if (rc == NGC_OK && cfg.stats && text) {
        ngc_gen_log(0, "%llu lines, %llu words, %llu bytes, vocabulary %llu "
                    "words", (unsigned long long) st.lines,
                    (unsigned long long) st.words,
                    (unsigned long long) o.bytes,
                    (unsigned long long) g.vocab);
    } else if (rc == NGC_OK && cfg.stats) {
        ngc_gen_log(0, "%llu lines, %llu ngrams, %llu bytes, max total %llu "
                    "(%s)", (unsigned long long) st.lines,
                    (unsigned long long) g.vocab,
                    (unsigned long long) o.bytes,
                    (unsigned long long) st.max_total,
                    g.arena.p + g.off[st.max_index]);
    }
    ngc_gen_out_fini(&o);
    free(tmp);
    free(ttmp);
    ngc_gen_fini(&g);
    return rc == NGC_OK ? 0 : 1;
}
