/*
 * cli.c: see cli.h. A bad option or value is reported with the usage;
 * main() turns that into exit status 2.
 */

#include "datasets/gen/cli.h"
#include "datasets/gen/log.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ngc_gen_bad_names[NGC_GEN_BAD_KINDS] = {"fields", "number", "negative",
                                                                 "year", "long"};

static void ngc_gen_usage(FILE *f)
{
    fputs("usage: ngram-gen [options]\n"
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

static int ngc_gen_parse_u64(const char *s, bool suffix, uint64_t *out)
{
    unsigned long long v;
    uint64_t mul = 1;
    char *end;

    if (*s < '0' || *s > '9') {
        return NGC_GEN_ERROR;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0) {
        return NGC_GEN_ERROR;
    }
    if (suffix && *end != '\0') {
        switch (*end) {
        case 'k':
        case 'K':
            mul = 1ULL << 10;
            break;
        case 'm':
        case 'M':
            mul = 1ULL << 20;
            break;
        case 'g':
        case 'G':
            mul = 1ULL << 30;
            break;
        case 't':
        case 'T':
            mul = 1ULL << 40;
            break;
        default:
            return NGC_GEN_ERROR;
        }
        end++;
    }
    if (*end != '\0' || v > UINT64_MAX / mul) {
        return NGC_GEN_ERROR;
    }
    *out = (uint64_t)v * mul;
    return NGC_GEN_OK;
}

static int ngc_gen_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
        return NGC_GEN_ERROR;
    }
    *out = v;
    return NGC_GEN_OK;
}

static int ngc_gen_parse_kinds(const char *s, unsigned *mask)
{
    *mask = 0;
    for (;;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        unsigned k;
        for (k = 0; k < NGC_GEN_BAD_KINDS; k++) {
            if (strlen(ngc_gen_bad_names[k]) == n && memcmp(ngc_gen_bad_names[k], s, n) == 0) {
                break;
            }
        }
        if (k == NGC_GEN_BAD_KINDS) {
            return NGC_GEN_ERROR;
        }
        *mask |= 1u << k;
        if (e == NULL) {
            return NGC_GEN_OK;
        }
        s = e + 1;
    }
}

enum {
    NGC_GEN_OPT_SEED = 256,
    NGC_GEN_OPT_SIZE,
    NGC_GEN_OPT_VOCAB,
    NGC_GEN_OPT_ORDER,
    NGC_GEN_OPT_ZIPF,
    NGC_GEN_OPT_POS_SHARE,
    NGC_GEN_OPT_UTF8_SHARE,
    NGC_GEN_OPT_FORMAT,
    NGC_GEN_OPT_GZIP,
    NGC_GEN_OPT_GZIP_LEVEL,
    NGC_GEN_OPT_CRLF,
    NGC_GEN_OPT_NO_FINAL_NL,
    NGC_GEN_OPT_MALFORMED,
    NGC_GEN_OPT_MALFORMED_KINDS,
    NGC_GEN_OPT_STATS,
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
    {NULL, 0, NULL, 0}};

/* --size and --vocab of --format text when not given */
static void ngc_gen_text_defaults(ngc_gen_config_t *cfg)
{
    if (cfg->size == 0) {
        cfg->size = cfg->vocab != 0 ? cfg->vocab * NGC_GEN_TEXT_BYTES_PER : NGC_GEN_DEFAULT_SIZE;
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

/* The defaults, before any option. */
static void ngc_gen_defaults(ngc_gen_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->seed = 1;
    cfg->order = 1;
    cfg->zipf = 1.0;
    cfg->pos_share = 0.5;
    cfg->utf8_share = 0.05;
    cfg->format = NGC_GEN_FMT_V2;
    cfg->gzip_level = 6;
    cfg->bad_kinds = (1u << NGC_GEN_BAD_KINDS) - 1;
}

/* --format's value a into *format; NGC_GEN_OK or NGC_GEN_ERROR */
static int ngc_gen_parse_format(const char *a, ngc_gen_format_t *format)
{
    if (strcmp(a, "v1") == 0) {
        *format = NGC_GEN_FMT_V1;
    } else if (strcmp(a, "v2") == 0) {
        *format = NGC_GEN_FMT_V2;
    } else if (strcmp(a, "v3") == 0) {
        *format = NGC_GEN_FMT_V3;
    } else if (strcmp(a, "text") == 0) {
        *format = NGC_GEN_FMT_TEXT;
    } else {
        return NGC_GEN_ERROR;
    }
    return NGC_GEN_OK;
}

/* ngc_gen_apply() for the data options, the ones that decide the valid
 * records */
static const char *ngc_gen_apply_data(ngc_gen_config_t *cfg, int c, const char *a)
{
    const char *bad = NULL;
    uint64_t u = 0;

    switch (c) {
    case NGC_GEN_OPT_SEED:
        if (ngc_gen_parse_u64(a, false, &cfg->seed) != NGC_GEN_OK) {
            bad = "--seed";
        }
        break;
    case NGC_GEN_OPT_SIZE:
        if (ngc_gen_parse_u64(a, true, &cfg->size) != NGC_GEN_OK || cfg->size == 0 ||
            cfg->size > (1ULL << 50)) {
            bad = "--size";
        }
        break;
    case NGC_GEN_OPT_VOCAB:
        if (ngc_gen_parse_u64(a, true, &cfg->vocab) != NGC_GEN_OK || cfg->vocab == 0 ||
            cfg->vocab > NGC_GEN_VOCAB_MAX) {
            bad = "--vocab";
        }
        break;
    case NGC_GEN_OPT_ORDER:
        if (ngc_gen_parse_u64(a, false, &u) != NGC_GEN_OK || u < 1 || u > 5) {
            bad = "--order";
        }
        cfg->order = (int)u;
        break;
    case NGC_GEN_OPT_ZIPF:
        if (ngc_gen_parse_double(a, 0.0, 10.0, &cfg->zipf) != NGC_GEN_OK) {
            bad = "--zipf";
        }
        break;
    case NGC_GEN_OPT_POS_SHARE:
        if (ngc_gen_parse_double(a, 0.0, 1.0, &cfg->pos_share) != NGC_GEN_OK) {
            bad = "--pos-share";
        }
        break;
    case NGC_GEN_OPT_UTF8_SHARE:
        if (ngc_gen_parse_double(a, 0.0, 1.0, &cfg->utf8_share) != NGC_GEN_OK) {
            bad = "--utf8-share";
        }
        break;
    default:
        ngc_gen_assert(!"an option ngc_gen_apply() does not send here");
    }
    return bad;
}

/* ngc_gen_apply() for the rendering and output options */
static const char *ngc_gen_apply_output(ngc_gen_config_t *cfg, int c, const char *a)
{
    const char *bad = NULL;
    uint64_t u = 0;

    switch (c) {
    case NGC_GEN_OPT_FORMAT:
        if (ngc_gen_parse_format(a, &cfg->format) != NGC_GEN_OK) {
            bad = "--format";
        }
        break;
    case NGC_GEN_OPT_GZIP:
        cfg->gzip = true;
        break;
    case NGC_GEN_OPT_GZIP_LEVEL:
        if (ngc_gen_parse_u64(a, false, &u) != NGC_GEN_OK || u > 9) {
            bad = "--gzip-level";
        }
        cfg->gzip_level = (int)u;
        break;
    case NGC_GEN_OPT_CRLF:
        cfg->crlf = true;
        break;
    case NGC_GEN_OPT_NO_FINAL_NL:
        cfg->no_final_newline = true;
        break;
    case NGC_GEN_OPT_MALFORMED:
        if (ngc_gen_parse_u64(a, true, &cfg->bad) != NGC_GEN_OK || cfg->bad > NGC_GEN_BAD_MAX) {
            bad = "--malformed";
        }
        cfg->bad_set = true;
        break;
    case NGC_GEN_OPT_MALFORMED_KINDS:
        if (ngc_gen_parse_kinds(a, &cfg->bad_kinds) != NGC_GEN_OK) {
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
    default:
        ngc_gen_assert(!"an option the table names but this switch does not");
    }
    return bad;
}

/* Sets option c's field from its value a: NULL, or the option's name when
 * the value is invalid. */
static const char *ngc_gen_apply(ngc_gen_config_t *cfg, int c, const char *a)
{
    switch (c) {
    case NGC_GEN_OPT_SEED:
    case NGC_GEN_OPT_SIZE:
    case NGC_GEN_OPT_VOCAB:
    case NGC_GEN_OPT_ORDER:
    case NGC_GEN_OPT_ZIPF:
    case NGC_GEN_OPT_POS_SHARE:
    case NGC_GEN_OPT_UTF8_SHARE:
        return ngc_gen_apply_data(cfg, c, a);
    default:
        return ngc_gen_apply_output(cfg, c, a);
    }
}

/* The rules between options: NULL, or what is wrong. */
static const char *ngc_gen_check(const ngc_gen_config_t *cfg)
{
    if (cfg->totals != NULL && cfg->format == NGC_GEN_FMT_TEXT)
        return "--totals needs an ngram format (v1, v2 or v3), not text";
    if (cfg->totals != NULL && strcmp(cfg->totals, "-") == 0 && cfg->output == NULL)
        return "--totals - needs -o FILE for the data";
    if (cfg->totals != NULL && cfg->output != NULL && strcmp(cfg->totals, cfg->output) == 0)
        return "--totals and -o name the same file";
    if (cfg->format == NGC_GEN_FMT_TEXT && cfg->vocab > NGC_GEN_TEXT_VOCAB_MAX)
        return "--vocab is at most 16777216 with --format text";
    return NULL;
}

/* The defaults that follow from other options. */
static void ngc_gen_finish(ngc_gen_config_t *cfg)
{
    if (cfg->format == NGC_GEN_FMT_TEXT) {
        ngc_gen_text_defaults(cfg);
    }
    if (cfg->size == 0) {
        cfg->size = cfg->vocab != 0 ? cfg->vocab * NGC_GEN_BYTES_PER : NGC_GEN_DEFAULT_SIZE;
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
}

int ngc_gen_parse(ngc_gen_config_t *cfg, int argc, char **argv)
{
    int c;

    ngc_gen_defaults(cfg);
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
        case ':':
            ngc_gen_log(0, "option '%s' requires a value", argv[optind - 1]);
            ngc_gen_usage(stderr);
            return NGC_GEN_ERROR;
        case '?':
            ngc_gen_log(0, "unknown option '%s'", argv[optind - 1]);
            ngc_gen_usage(stderr);
            return NGC_GEN_ERROR;
        default:
            bad = ngc_gen_apply(cfg, c, a);
            break;
        }
        if (bad != NULL) {
            ngc_gen_log(0, "invalid value for %s: '%s'", bad, a);
            ngc_gen_usage(stderr);
            return NGC_GEN_ERROR;
        }
    }
    if (optind < argc) {
        ngc_gen_log(0, "unexpected argument '%s'", argv[optind]);
        ngc_gen_usage(stderr);
        return NGC_GEN_ERROR;
    }
    const char *why = ngc_gen_check(cfg);
    if (why != NULL) {
        ngc_gen_log(0, "%s", why);
        ngc_gen_usage(stderr);
        return NGC_GEN_ERROR;
    }
    ngc_gen_finish(cfg);
    return NGC_GEN_OK;
}
