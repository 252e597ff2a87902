/*
 * config.h: the options of one job, parsed from the command line and
 * validated before anything is opened. Filled once by main, then read-only:
 * workers inherit it through fork.
 */
#ifndef NGC_ENGINE_BASE_CONFIG_H
#define NGC_ENGINE_BASE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { NGC_COUNT_MATCH, NGC_COUNT_VOLUME, NGC_COUNT_BOTH } ngc_count_t;
typedef enum { NGC_POS_KEEP, NGC_POS_DROP, NGC_POS_STRIP } ngc_pos_t;
typedef enum { NGC_STATS_NONE, NGC_STATS_TEXT, NGC_STATS_JSON } ngc_stats_mode_t;
typedef enum { NGC_PROGRESS_AUTO, NGC_PROGRESS_ON, NGC_PROGRESS_OFF } ngc_progress_mode_t;
/* The gzip engine: ISA-L when the build has it, or zlib. */
typedef enum { NGC_INFLATE_AUTO, NGC_INFLATE_ZLIB, NGC_INFLATE_ISAL } ngc_inflate_kind_t;
/* Input layouts; AUTO is decided per file from its first lines. */
typedef enum {
    NGC_FORMAT_AUTO = 0,
    NGC_FORMAT_V1,   /* ngram TAB year TAB match TAB pages TAB volume */
    NGC_FORMAT_V2,   /* ngram TAB year TAB match TAB volume */
    NGC_FORMAT_V3,   /* ngram (TAB year,match,volume)... */
    NGC_FORMAT_TEXT, /* raw text, one sentence per line */
    NGC_FORMAT_MAX
} ngc_format_t;
typedef enum { NGC_TOKENIZE_SPACE, NGC_TOKENIZE_WORDS } ngc_tokenize_t;
typedef enum { NGC_SORT_COUNT, NGC_SORT_NGRAM } ngc_sort_t;
typedef enum { NGC_STREAM_NONE, NGC_STREAM_MAP, NGC_STREAM_REDUCE } ngc_stream_role_t;
/* --output-format: the layout of the result's lines. */
typedef enum { NGC_OUTFMT_TSV, NGC_OUTFMT_CSV, NGC_OUTFMT_JSONL } ngc_outfmt_t;
/* --smoothing: years on each side of the centred moving average. */
#define NGC_SMOOTHING_MAX 100

#define NGC_ORDER_MAX 9
/* --map's combiner budget without --memory. */
#define NGC_STREAM_MAP_MEMORY (256ull << 20)
/* --memory: the reduce table needs 16M to start, and addresses at most 1T
 * (offsets of 40 bits in its slots). */
#define NGC_MEMORY_MIN (16ull << 20)
#define NGC_MEMORY_MAX (1ull << 40)
/* --chunk-size: a task costs about 0.1 ms besides its bytes, so smaller
 * chunks are mostly overhead; any chunk past the file is one task. */
#define NGC_CHUNK_MIN (64ull << 10)
#define NGC_CHUNK_MAX UINT64_MAX

typedef struct {
    unsigned processes;  /* worker processes */
    unsigned threads;    /* pool threads per worker; 0 (not given) until
                               ngc_config_resolve_workers() */
    uint64_t chunk_size; /* bytes per map task of a plain file */
    uint64_t memory;     /* bytes of the shared region */
    const char *output;  /* -o path, NULL for standard output */
    uint32_t from_year;  /* inclusive */
    uint32_t to_year;    /* inclusive */
    uint64_t min_count;  /* drop totals below this */
    uint64_t top;        /* print at most this many, 0 for all */
    ngc_count_t count;
    ngc_pos_t pos;
    bool fold_case;
    ngc_format_t format;
    unsigned order;        /* --text: longest n-gram counted */
    bool only_order;       /* --text: only n-grams of length `order` */
    bool sentence_markers; /* --text: <s> ... </s> around each line */
    ngc_tokenize_t tokenize;
    ngc_sort_t sort;
    const char *normalize;    /* --normalize totals file, NULL without */
    const char *tmp_dir;      /* --tmp-dir for spilled runs */
    ngc_stream_role_t stream; /* --map / --reduce: a Hadoop Streaming part */
    ngc_inflate_kind_t inflate;
    const char *pg_dsn;   /* --pg, NULL without; "" uses the PG* variables */
    const char *pg_table; /* --pg-table */
    bool pg_append;       /* --pg-mode append (default replace) */
    bool pg_jobs;         /* --pg-jobs */
    char **lookups;       /* --lookup words (borrowed from argv) */
    unsigned nlookups;
    /* Year by year and selections (issue 12). */
    bool by_year;          /* --by-year: keys are "ngram TAB YYYY" */
    char **selects;        /* --select/--select-file entries, owned, NULL-ended */
    size_t nselects;       /* 0: every ngram is counted */
    unsigned max_retries;  /* reruns of one task after worker failures */
    unsigned task_timeout; /* seconds without progress before a worker is killed */
    bool strict;
    ngc_stats_mode_t stats;
    ngc_progress_mode_t progress;
    int verbose;   /* -v: 1 info, 2 debug */
    char **inputs; /* borrowed from argv (and inputs_owned) */
    unsigned ninputs;
    /* Inputs from --inputs FILE and http(s) URLs (issue 13). */
    char **inputs_owned;     /* argv's inputs, then the file's lines (owned) */
    char *inputs_text;       /* the file's bytes, which inputs_owned points into */
    const char *inputs_file; /* --inputs FILE, NULL without */
    unsigned stall_timeout;  /* --stall-timeout: seconds a download may stall */
    /* Output formats and year series (engine/coordinator/series.h). */
    ngc_outfmt_t out_format; /* --output-format */
    unsigned smoothing;      /* --smoothing N: 2N+1 years */
    bool smoothing_set;
    const char *plot; /* --plot FILE.svg|FILE.png, NULL without */
    /* Slurm job arrays: a map, a reduce or the final step (engine/reduce/shuffle.h). */
    unsigned partitions;          /* --partitions R (map), 0 without */
    const char *partition_dir;    /* --partition-dir DIR (map) */
    const char *merge_partitions; /* --merge-partitions DIR (reduce) */
    int partition;                /* --partition r (reduce), -1 without */
    const char *merge_totals;     /* --merge-totals DIR (final step) */
    uint64_t given;               /* a bit per option given, by its place in config.c's table */
} ngc_config_t;

/* Whether anything reads volume totals: --count volume or both prints
 * them, --pg stores them. Without, the table keeps none and the parser
 * does not convert them. */
static inline bool ngc_config_volumes(const ngc_config_t *cfg)
{
    return cfg->count != NGC_COUNT_MATCH || cfg->pg_dsn != NULL;
}

/* --partitions: each map keeps this many files open while it writes. */
#define NGC_PARTITIONS_MAX 4096

/* Exit codes, documented in --help and the README. */
#define NGC_EXIT_OK 0
#define NGC_EXIT_FAILURE 1
#define NGC_EXIT_USAGE 2
#define NGC_EXIT_SIGHUP 129
#define NGC_EXIT_SIGINT 130
#define NGC_EXIT_SIGPIPE 141
#define NGC_EXIT_SIGTERM 143
/* A run stopped cleanly by a signal exits as the shell reports a process
 * the signal killed. */
#define NGC_EXIT_SIGNAL(sig) (128 + (sig))

typedef enum { NGC_CONFIG_RUN, NGC_CONFIG_EXIT_OK, NGC_CONFIG_USAGE } ngc_config_result_t;

/* Parses argv into cfg. Prints --help/--version to stdout (EXIT_OK) or the
 * error and a usage hint to stderr (USAGE). Main thread, before any fork. */
ngc_config_result_t ngc_config_parse(ngc_config_t *cfg, int argc, char **argv);

/* Inputs (regular files, all told) small enough for one worker. */
#define NGC_SMALL_JOB (32ull << 20)

/* Threads a worker runs when neither -p nor -t says otherwise. */
#define NGC_DEFAULT_THREADS 2u

/* Once the job is planned: when -p was not given, one worker when the
 * inputs are regular files of at most NGC_SMALL_JOB bytes in all
 * (input_bytes; UINT64_MAX when not known), else the online CPUs divided
 * by the threads a worker runs (-t, or NGC_DEFAULT_THREADS), rounded up;
 * and when --threads was not given, the online CPUs shared among the
 * workers that get one of the plan's ntasks map tasks, 1 to 4. */
void ngc_config_resolve_workers(ngc_config_t *cfg, unsigned ntasks, uint64_t input_bytes);

/* A well-formed number above 2^64-1, from the parsers below. */
#define NGC_CONFIG_RANGE (-5)

/* Parses "8M", "1G", "4096", "2TiB", "8MB" (K, M, G, T, P, E: powers of
 * 1024). NGC_OK, NGC_ERROR (not a size) or NGC_CONFIG_RANGE (past 2^64-1). */
int ngc_config_parse_size(const char *s, uint64_t *out);
/* Parses a decimal unsigned 64-bit number with no sign and no junk: NGC_OK,
 * NGC_ERROR or NGC_CONFIG_RANGE. */
int ngc_config_parse_u64(const char *s, uint64_t *out);

/* The names an option's values go by on the command line ("match" for
 * NGC_COUNT_MATCH), ended by a NULL name. Printed back with the same names. */
typedef struct {
    const char *name;
    int value;
} ngc_config_name_t;

extern const ngc_config_name_t ngc_config_format_names[];   /* --format */
extern const ngc_config_name_t ngc_config_count_names[];    /* --count */
extern const ngc_config_name_t ngc_config_pos_names[];      /* --pos */
extern const ngc_config_name_t ngc_config_tokenize_names[]; /* --tokenize */
extern const ngc_config_name_t ngc_config_sort_names[];     /* --sort */
extern const ngc_config_name_t ngc_config_pg_mode_names[];  /* --pg-mode: pg_append */
extern const ngc_config_name_t ngc_config_inflate_names[];  /* --inflate (not "auto") */

/* The value named s: NGC_OK, or NGC_ERROR when names has no s. */
int ngc_config_name_value(const ngc_config_name_t *names, const char *s, int *value);
/* The name of value, or NULL when it has none. */
const char *ngc_config_name_of(const ngc_config_name_t *names, int value);

/* Frees what ngc_config_parse allocated (the lookups and selections). */
void ngc_config_fini(ngc_config_t *cfg);

/* A by-year key: the ngram, TAB, then the year as exactly 4 digits. */
#define NGC_YEAR_SUFFIX 5

#endif
