/*
 * config.h: what the command line sets (ngc_gen_config_t) and the limits
 * and constants that every part of the generator shares. Header only.
 */

#ifndef NGC_DATASETS_GEN_CONFIG_H
#define NGC_DATASETS_GEN_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define NGC_GEN_YEAR_MIN 1500
#define NGC_GEN_YEAR_MAX 2008
#define NGC_GEN_NYEARS (NGC_GEN_YEAR_MAX - NGC_GEN_YEAR_MIN + 1)
#define NGC_GEN_LINE_EXP 1.8     /* lines ~ quantile^-1.8, clamped */
#define NGC_GEN_ZIPF_KNEE 8192.0 /* rank where the Zipf tail steepens */
#define NGC_GEN_BYTES_PER 900    /* default --vocab is --size / this */
#define NGC_GEN_DEFAULT_SIZE (10u << 20)
#define NGC_GEN_VOCAB_MAX (1u << 30)
#define NGC_GEN_BAD_MAX 100000000u /* most --malformed lines */
#define NGC_GEN_TOKEN_CPS 40       /* code points in one base token */
#define NGC_GEN_TOKEN_MAX 128      /* bytes of a token, tag, NUL */
#define NGC_GEN_NGRAM_MAX (5 * NGC_GEN_TOKEN_MAX)
#define NGC_GEN_OUT_CAP (4u << 20)           /* output buffer, bytes */
#define NGC_GEN_LONG_LINE ((1u << 20) + 100) /* bytes of a 'long' bad line */
#define NGC_GEN_SAMPLE_MAX (1u << 20)        /* ngrams used to calibrate --size */
#define NGC_GEN_EXACT_MAX (1u << 17)         /* of those, rendered exactly */
/* --format text: default --vocab is --size / BYTES_PER, within MIN..DEF */
#define NGC_GEN_TEXT_BYTES_PER 256
#define NGC_GEN_TEXT_VOCAB_MIN 1000
#define NGC_GEN_TEXT_VOCAB_DEF (1u << 20)
#define NGC_GEN_TEXT_VOCAB_MAX (1u << 24) /* largest --vocab for text */
#define NGC_GEN_TEXT_PLAIN 128            /* text: ranks past function words */

#define NGC_GEN_NELTS(a) (sizeof(a) / sizeof((a)[0]))

typedef enum {
    NGC_GEN_BAD_FIELDS,
    NGC_GEN_BAD_NUMBER,
    NGC_GEN_BAD_NEGATIVE,
    NGC_GEN_BAD_YEAR,
    NGC_GEN_BAD_LONG,
    NGC_GEN_BAD_KINDS
} ngc_gen_bad_t;

/* the values of v1..v3 are their version numbers */
typedef enum {
    NGC_GEN_FMT_V1 = 1,
    NGC_GEN_FMT_V2 = 2,
    NGC_GEN_FMT_V3 = 3,
    NGC_GEN_FMT_TEXT
} ngc_gen_format_t;

typedef struct {
    uint64_t seed;
    uint64_t size;     /* target bytes of the v2 LF rendering */
    uint64_t vocab;    /* distinct ngrams, 0 = derive from size */
    int order;         /* tokens per ngram, 1..5 */
    double zipf;       /* frequency exponent */
    double pos_share;  /* share of base words with tagged variants */
    double utf8_share; /* share of base words that are not ASCII */
    ngc_gen_format_t format;
    const char *totals; /* --totals file, NULL = none, "-" = stdout */
    bool gzip;
    int gzip_level;
    const char *output; /* NULL = stdout */
    bool crlf;
    bool no_final_newline;
    bool stats;
    bool bad_set;       /* --malformed was given */
    uint64_t bad;       /* malformed lines to inject */
    unsigned bad_kinds; /* bit per ngc_gen_bad_t */
} ngc_gen_config_t;

#endif
