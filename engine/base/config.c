/*
 * config.c: command-line options. Every value is validated here, so the rest
 * of the engine can trust the config; a bad option is exit 2 with usage.
 */
#include "engine/base/ngc.h"
#include "engine/base/config.h"
#include "engine/base/sysmem.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char ngc_config_usage[] =
    "usage: ngram-count [options] FILE...\n"
    "Try 'ngram-count --help' for more information.\n";

static const char ngc_config_help[] =
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
    "Parallelism:\n"
    "  -p, --processes N     worker processes (default: online CPUs)\n"
    "  -t, --threads N       pool threads per worker, for reading, inflating\n"
    "                        and mapping (default: the online CPUs shared\n"
    "                        among the workers that get a map task, 1 to 4:\n"
    "                        1 for a big plain file, 2 for one .gz on 2 CPUs)\n"
    "  -c, --chunk-size SIZE\n"
    "                        bytes of a plain file per map task, at least\n"
    "                        64K (default 8M); a .gz file or standard input\n"
    "                        is always one task\n"
    "      --memory SIZE     size of the shared reduce table, 16M to 1T, or\n"
    "                        N% of the memory available (RAM, or the cgroup's\n"
    "                        limit when lower); default 50%, at most 1T; only\n"
    "                        pages in use are resident; when the ngrams outgrow it,\n"
    "                        partitions spill sorted runs to disk and are\n"
    "                        merged at the end\n"
    "      --tmp-dir DIR     where spilled runs go (default $TMPDIR or /tmp);\n"
    "                        only used if the job spills; removed at the end,\n"
    "                        also on failure or ^C (after a kill -9, by the\n"
    "                        next job)\n"
    "      --max-retries N   rerun a task up to N times when its worker dies\n"
    "                        or stalls (default 3); a replacement worker is\n"
    "                        started each time\n"
    "      --task-timeout S  kill a worker that makes no progress for S\n"
    "                        seconds (default 300)\n"
    "      --inputs FILE     also count the paths and URLs listed in FILE, one\n"
    "                        a line (blank lines and '#' lines skipped)\n"
    "      --stall-timeout S  a download that receives nothing for S seconds\n"
    "                        (default 60) is resumed; http(s) URLs are\n"
    "                        streamed, resumed from the last byte received\n"
    "                        (HTTP Range) after a cut, with backoff, up to\n"
    "                        --max-retries times in a row without progress\n"
    "\n"
    "Input:\n"
    "      --format FORMAT   auto (default: per file, from its first lines),\n"
    "                        v1 (2009: ngram year match pages volume),\n"
    "                        v2 (2012: ngram year match volume),\n"
    "                        v3 (2020: ngram then TAB year,match,volume triples),\n"
    "                        or text; 2- to 5-grams separate tokens by spaces\n"
    "\n"
    "Raw text (SRILM-style counts, 'w1 w2 ... wn TAB count'):\n"
    "      --text            same as --format text: each line is a sentence\n"
    "      --order N         count every 1..N-gram (1..9, default 3)\n"
    "      --only-order      count only the N-grams\n"
    "      --sentence-markers  count '<s> w1 ... wk </s>' per line, as SRILM\n"
    "      --tokenize HOW    space: split on ASCII whitespace (default);\n"
    "                        words: Unicode letters/digits apart from\n"
    "                        punctuation, each punctuation mark a token\n"
    "\n"
    "What to count:\n"
    "      --count WHAT      match (default), volume, or both (prints\n"
    "                        'ngram TAB match TAB volume', sorted by match,\n"
    "                        then volume, then bytes)\n"
    "      --from-year Y     skip lines before year Y\n"
    "      --to-year Y       skip lines after year Y (both inclusive)\n"
    "      --pos MODE        part-of-speech tags such as and_CONJ:\n"
    "                        keep  every string is its own ngram (default)\n"
    "                        drop  skip ngrams with a tagged or tag-only token\n"
    "                        strip count only fully tagged ngrams, tags removed,\n"
    "                              so each word is counted once\n"
    "      --fold-case       Unicode case folding of ngrams (output is folded)\n"
    "      --min-count N     print only totals of at least N\n"
    "      --top K           print only the K most frequent\n"
    "      --sort ORDER      count (default: most frequent first) or ngram\n"
    "                        (byte order, as LC_ALL=C sort)\n"
    "      --normalize FILE  print occurrences per million words (percent of\n"
    "                        books for --count volume) of the years counted,\n"
    "                        using Google's totalcounts FILE (2012, 2020: one\n"
    "                        line of year,match,pages,volume tuples; 2009: a\n"
    "                        '#' line, then year TAB match TAB pages TAB\n"
    "                        volume rows), 17 digits; with --pg also two\n"
    "                        double precision columns\n"
    "\n"
    "Year by year and selections:\n"
    "      --by-year         one row per ngram and year: 'ngram TAB year TAB\n"
    "                        count' (the year as 4 digits: 0850 for 850);\n"
    "                        default --sort ngram (count with --top); --pg\n"
    "                        loads a table with a year column (default\n"
    "                        ngram_year_counts)\n"
    "      --select LIST     count only these ngrams (comma-separated,\n"
    "                        repeatable), matched after --fold-case and --pos\n"
    "                        as the counted ngrams are; a token '*' matches any\n"
    "                        one token ('University of *'), each match counted\n"
    "                        as itself\n"
    "      --select-file FILE  the same, one ngram per line (blank lines\n"
    "                        ignored; an ngram with a comma goes here)\n"
    "                        Lines of other ngrams are skipped unread (not\n"
    "                        checked for malformed fields); nothing matched:\n"
    "                        empty output and a note on standard error\n"
    "\n"
    "Year series, as the Ngram Viewer draws them (--by-year with --select,\n"
    "--select-file, --normalize, --smoothing or --plot): each ngram gets every\n"
    "year from --from-year (or the first year seen) to --to-year (or the last),\n"
    "0 where it has no count; rows 'ngram TAB year TAB value', in ngram order:\n"
    "      --normalize FILE  with --by-year: each year's count in percent of\n"
    "                        that year's total in Google's totalcounts FILE\n"
    "                        (words; books for --count volume), 17 digits;\n"
    "                        a year with a count and no total is an error\n"
    "      --smoothing N     the mean of the years y-N..y+N that lie in the\n"
    "                        range (fewer at its ends), 0..100; 17 digits\n"
    "      --plot FILE       draw the series into FILE.svg or FILE.png (PNG\n"
    "                        when built with cairo): one line per ngram\n"
    "\n"
    "PostgreSQL (libpq):\n"
    "      --pg DSN          load the result into PostgreSQL (a libpq connection\n"
    "                        string or URI; '' uses the PG* environment), in\n"
    "                        parallel from every worker, all or nothing; the\n"
    "                        file output is then written only with -o\n"
    "      --pg-table NAME   target table (default ngram_counts), created\n"
    "                        if missing as (ngram text primary key,\n"
    "                        match_count bigint, volume_count bigint)\n"
    "      --pg-mode MODE    replace (default) or append (adds to the totals)\n"
    "      --pg-jobs         list the jobs recorded in table ngram_jobs\n"
    "      --lookup WORD     print WORD's row (repeatable); exit 1 if none found\n"
    "\n"
    "Hadoop Streaming (one part of a MapReduce job run by Hadoop; reads\n"
    "standard input, writes 'key TAB count' lines to standard output):\n"
    "      --map             the mapper: parse and filter lines (--format and\n"
    "                        the options above apply), combine in memory,\n"
    "                        flush when the table is full\n"
    "      --reduce          the reducer (or combiner): sum the counts of\n"
    "                        consecutive equal keys of key-sorted input\n"
    "                        (--min-count applies: use it in the reducer only)\n"
    "\n"
    "Slurm job arrays (tools/slurm-count runs them; files on shared storage):\n"
    "      --partitions R    a map: count FILEs, then write the totals as R\n"
    "      --partition-dir DIR  key-sorted partition files (by a hash of the\n"
    "                        key) in the new directory DIR, complete or absent;\n"
    "                        --min-count, --top, --sort and output options wait\n"
    "                        for the later steps\n"
    "      --merge-partitions DIR  a reduce: sum partition --partition r of\n"
    "      --partition r     every map directory in DIR (--min-count applies)\n"
    "                        into the run file -o, complete or absent\n"
    "      --merge-totals DIR  the final step: print the reduces' run files\n"
    "                        in DIR as one run over all FILEs would (FILEs,\n"
    "                        if given, are only named in the --plot title);\n"
    "                        --pg loads them (maps and reduces refuse it)\n"
    "\n"
    "Output and reporting:\n"
    "  -o, --output FILE     write to FILE (gzip if it ends in .gz), created\n"
    "                        or replaced only when the run succeeds (through\n"
    "                        symbolic links); a device, FIFO or /dev/stdout\n"
    "                        is written as the result streams; never an input\n"
    "      --output-format F tsv (default), csv (RFC 4180: a header row,\n"
    "                        fields quoted when they hold '\"', ',', CR or LF;\n"
    "                        LF line ends) or jsonl (one JSON object a line,\n"
    "                        typed fields; --map/--reduce stay TSV)\n"
    "      --strict          the first malformed line is an error (with\n"
    "                        --reduce, also a key out of order)\n"
    "      --stats[=json]    print a summary to standard error\n"
    "      --inflate ENGINE  gzip engine: isal (Intel ISA-L, the default when\n"
    "                        built in) or zlib\n"
    "      --progress        show the progress even when standard error is\n"
    "                        not a terminal (then a plain line every few\n"
    "                        seconds); by default only on a terminal\n"
    "      --no-progress     never show the progress\n"
    "  -v, --verbose         log the engine's steps (twice: debug)\n"
    "  -h, --help            this help\n"
    "  -V, --version         the version\n"
    "\n"
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
    "reported as incomplete.\n";

enum {
    NGC_OPT_MEMORY = 256,
    NGC_OPT_FROM_YEAR,
    NGC_OPT_TO_YEAR,
    NGC_OPT_MIN_COUNT,
    NGC_OPT_TOP,
    NGC_OPT_COUNT,
    NGC_OPT_FOLD_CASE,
    NGC_OPT_POS,
    NGC_OPT_STRICT,
    NGC_OPT_STATS,
    NGC_OPT_PROGRESS,
    NGC_OPT_NO_PROGRESS,
    NGC_OPT_INFLATE,
    NGC_OPT_MAX_RETRIES,
    NGC_OPT_TASK_TIMEOUT,
    NGC_OPT_INPUTS,
    NGC_OPT_STALL_TIMEOUT,
    NGC_OPT_PG,
    NGC_OPT_PG_TABLE,
    NGC_OPT_PG_MODE,
    NGC_OPT_PG_JOBS,
    NGC_OPT_LOOKUP,
    NGC_OPT_FORMAT,
    NGC_OPT_TEXT,
    NGC_OPT_ORDER,
    NGC_OPT_ONLY_ORDER,
    NGC_OPT_MARKERS,
    NGC_OPT_TOKENIZE,
    NGC_OPT_SORT,
    NGC_OPT_NORMALIZE,
    NGC_OPT_TMP_DIR,
    NGC_OPT_MAP,
    NGC_OPT_REDUCE,
    NGC_OPT_BY_YEAR,
    NGC_OPT_SELECT,
    NGC_OPT_SELECT_FILE,
    /* Output formats and year series. */
    NGC_OPT_OUTPUT_FORMAT,
    NGC_OPT_SMOOTHING,
    NGC_OPT_PLOT,
    /* Slurm job arrays. */
    NGC_OPT_PARTITIONS,
    NGC_OPT_PARTITION_DIR,
    NGC_OPT_MERGE_PARTITIONS,
    NGC_OPT_PARTITION,
    NGC_OPT_MERGE_TOTALS
};

static const struct option ngc_config_options[] = {
    {"processes", required_argument, NULL, 'p'},
    {"threads", required_argument, NULL, 't'},
    {"chunk-size", required_argument, NULL, 'c'},
    {"output", required_argument, NULL, 'o'},
    {"memory", required_argument, NULL, NGC_OPT_MEMORY},
    {"from-year", required_argument, NULL, NGC_OPT_FROM_YEAR},
    {"to-year", required_argument, NULL, NGC_OPT_TO_YEAR},
    {"min-count", required_argument, NULL, NGC_OPT_MIN_COUNT},
    {"top", required_argument, NULL, NGC_OPT_TOP},
    {"count", required_argument, NULL, NGC_OPT_COUNT},
    {"fold-case", no_argument, NULL, NGC_OPT_FOLD_CASE},
    {"pos", required_argument, NULL, NGC_OPT_POS},
    {"strict", no_argument, NULL, NGC_OPT_STRICT},
    {"stats", optional_argument, NULL, NGC_OPT_STATS},
    {"progress", no_argument, NULL, NGC_OPT_PROGRESS},
    {"no-progress", no_argument, NULL, NGC_OPT_NO_PROGRESS},
    {"inflate", required_argument, NULL, NGC_OPT_INFLATE},
    {"max-retries", required_argument, NULL, NGC_OPT_MAX_RETRIES},
    {"task-timeout", required_argument, NULL, NGC_OPT_TASK_TIMEOUT},
    {"inputs", required_argument, NULL, NGC_OPT_INPUTS},
    {"stall-timeout", required_argument, NULL, NGC_OPT_STALL_TIMEOUT},
    {"pg", required_argument, NULL, NGC_OPT_PG},
    {"pg-table", required_argument, NULL, NGC_OPT_PG_TABLE},
    {"pg-mode", required_argument, NULL, NGC_OPT_PG_MODE},
    {"pg-jobs", no_argument, NULL, NGC_OPT_PG_JOBS},
    {"lookup", required_argument, NULL, NGC_OPT_LOOKUP},
    {"format", required_argument, NULL, NGC_OPT_FORMAT},
    {"text", no_argument, NULL, NGC_OPT_TEXT},
    {"order", required_argument, NULL, NGC_OPT_ORDER},
    {"only-order", no_argument, NULL, NGC_OPT_ONLY_ORDER},
    {"sentence-markers", no_argument, NULL, NGC_OPT_MARKERS},
    {"tokenize", required_argument, NULL, NGC_OPT_TOKENIZE},
    {"sort", required_argument, NULL, NGC_OPT_SORT},
    {"normalize", required_argument, NULL, NGC_OPT_NORMALIZE},
    {"tmp-dir", required_argument, NULL, NGC_OPT_TMP_DIR},
    {"map", no_argument, NULL, NGC_OPT_MAP},
    {"reduce", no_argument, NULL, NGC_OPT_REDUCE},
    {"by-year", no_argument, NULL, NGC_OPT_BY_YEAR},
    {"select", required_argument, NULL, NGC_OPT_SELECT},
    {"select-file", required_argument, NULL, NGC_OPT_SELECT_FILE},
    {"output-format", required_argument, NULL, NGC_OPT_OUTPUT_FORMAT},
    {"smoothing", required_argument, NULL, NGC_OPT_SMOOTHING},
    {"plot", required_argument, NULL, NGC_OPT_PLOT},
    {"partitions", required_argument, NULL, NGC_OPT_PARTITIONS},
    {"partition-dir", required_argument, NULL, NGC_OPT_PARTITION_DIR},
    {"merge-partitions", required_argument, NULL, NGC_OPT_MERGE_PARTITIONS},
    {"partition", required_argument, NULL, NGC_OPT_PARTITION},
    {"merge-totals", required_argument, NULL, NGC_OPT_MERGE_TOTALS},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

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
            const char *what = S_ISFIFO(st.st_mode) ? "pipe" : S_ISSOCK(st.st_mode) ? "socket"
                                                                                    : "device";
            const char *first = cfg->inputs[seen[k].arg];
            if (strcmp(first, path) == 0)
                fprintf(stderr, "ngram-count: %s: cannot read twice: a %s can be read only "
                                "once\n%s", path, what, ngc_config_usage);
            else
                fprintf(stderr, "ngram-count: %s: cannot read: it is the same %s as '%s', "
                                "which can be read only once\n%s", path, what, first,
                        ngc_config_usage);
            rc = NGC_CONFIG_USAGE;
            break;
        }
        seen[nseen++] = (ngc_seen_t){st.st_dev, st.st_ino, i};
    }
    free(seen);
    return rc;
}

/* --inputs FILE: the arguments, then FILE's lines (issue 13). */
static ngc_config_result_t ngc_config_inputs_file(ngc_config_t *cfg, const char *path,
                                                  char **args, unsigned nargs)
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
        fprintf(stderr, "ngram-count: no input files (%s lists none)\n%s", path,
                ngc_config_usage);
        return NGC_CONFIG_USAGE;
    }
    cfg->inputs = cfg->inputs_owned;
    cfg->ninputs = k;
    return ngc_config_check_repeats(cfg);
}

/* --- year by year and selections (issue 12) --- */

/* Appends the entry p[0..len), its spaces at both ends trimmed; an empty
 * one is a usage error naming opt. */
static int ngc_config_select_add(ngc_config_t *cfg, size_t *cap, const char *opt,
                                 const char *p, size_t len)
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

/* What --by-year and --select cannot be combined with, or NULL. */
static const char *ngc_config_year_clash(const ngc_config_t *cfg)
{
    if (cfg->by_year && cfg->format == NGC_FORMAT_TEXT)
        return "--by-year needs Google Books files: --text has no years";
    if (cfg->nselects > 0 && cfg->format == NGC_FORMAT_TEXT)
        return "--select and --select-file pick ngrams of Google Books files, not of --text";
    if (cfg->nselects > 0 && cfg->stream == NGC_STREAM_REDUCE)
        return "--select and --select-file apply to the mapper (--map), not to --reduce";
    return NULL;
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
    const struct option *o;
    char list[512] = "";
    size_t nl = 0;
    unsigned prefixed = 0;
    for (o = ngc_config_options; o->name != NULL; o++) {
        if (strncmp(o->name, name, len - 2) == 0) {
            prefixed++;
            nl += (size_t)snprintf(list + nl, nl < sizeof(list) ? sizeof(list) - nl : 0,
                                   " '--%s'", o->name);
        }
    }
    if (prefixed > 1 && nl < sizeof(list)) {
        fprintf(stderr, "ngram-count: option '--%s' is ambiguous; possibilities:%s\n%s", name,
                list, ngc_config_usage);
        return;
    }
    size_t best = SIZE_MAX;
    for (o = ngc_config_options; o->name != NULL; o++) {
        size_t d = ngc_config_distance(name, o->name);
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
    for (o = ngc_config_options; o->name != NULL && n < 3; o++) {
        if (ngc_config_distance(name, o->name) != best)
            continue;
        nl += (size_t)snprintf(list + nl, nl < sizeof(list) ? sizeof(list) - nl : 0, "%s'--%s'",
                               n == 0 ? "" : " or ", o->name);
        n++;
    }
    fprintf(stderr, "ngram-count: unknown option '--%s'; did you mean %s?\n%s", name, list,
            ngc_config_usage);
}

/* What the Slurm steps' options do not allow, or NULL. */
static const char *ngc_config_shuffle_clash(const ngc_config_t *cfg, bool files)
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
    if (cfg->merge_partitions != NULL && files)
        return "--merge-partitions reads its directory: no input files";
    return NULL;
}

static int ngc_config_bad(const char *opt, const char *arg, const char *why)
{
    fprintf(stderr, "ngram-count: invalid value '%s' for %s: %s\n%s", arg, opt,
            why, ngc_config_usage);
    return NGC_ERROR;
}

static int ngc_config_number(const char *opt, const char *arg, uint64_t lo,
                             uint64_t hi, uint64_t *out)
{
    int rc = ngc_config_parse_u64(arg, out);
    if (rc == NGC_ERROR)
        return ngc_config_bad(opt, arg, "not a non-negative integer");
    if (rc != NGC_OK || *out < lo || *out > hi) {
        char why[96];
        snprintf(why, sizeof(why), "must be between %llu and %llu",
                 (unsigned long long)lo, (unsigned long long)hi);
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
        return ngc_config_bad(opt, arg, "not a size: a number of bytes, or one with K, M, "
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

/* The smallest --chunk-size; NGRAM_TEST_SMALL_CHUNKS=1 lowers it to 1 byte
 * for the tests that put task boundaries at every byte of small files. */
static uint64_t ngc_config_chunk_min(void)
{
    const char *t = getenv("NGRAM_TEST_SMALL_CHUNKS");
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

void ngc_config_resolve_threads(ngc_config_t *cfg, unsigned ntasks)
{
    if (cfg->threads != 0)
        return;
    /* More threads than cores only trade cache for context switches; a
     * worker with a lone .gz stream uses two (inflate, parse). */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned busy = ntasks < cfg->processes ? ntasks : cfg->processes;
    unsigned t = cpus > 0 && busy > 0 ? (unsigned)(((unsigned long)cpus + busy - 1) / busy) : 1;
    cfg->threads = t < 1 ? 1 : t > 4 ? 4 : t;
}

ngc_config_result_t ngc_config_parse(ngc_config_t *cfg, int argc, char **argv)
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
    bool years = false, order_set = false, memory_set = false, pos_set = false;
    const char *inputs_file = NULL; /* --inputs */
    bool sort_set = false;
    size_t select_cap = 0;
    uint64_t v;
    int c;
    opterr = 0;
    optind = 0; /* 0, not 1: also forgets a half-read "-abc" cluster */
    while ((c = getopt_long(argc, argv, ":p:t:c:o:vhV", ngc_config_options, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (ngc_config_number("--processes", optarg, 1, NGC_MAX_WORKERS, &v))
                return NGC_CONFIG_USAGE;
            cfg->processes = (unsigned)v;
            break;
        case 't':
            if (ngc_config_number("--threads", optarg, 1, NGC_MAX_THREADS, &v))
                return NGC_CONFIG_USAGE;
            cfg->threads = (unsigned)v;
            break;
        case 'c':
            if (ngc_config_size("--chunk-size", optarg, ngc_config_chunk_min(), NGC_CHUNK_MAX,
                                &cfg->chunk_size))
                return NGC_CONFIG_USAGE;
            break;
        case 'o':
            if (*optarg == '\0') {
                ngc_config_bad("--output", optarg, "empty file name");
                return NGC_CONFIG_USAGE;
            }
            cfg->output = optarg;
            break;
        case NGC_OPT_MEMORY:
            if (ngc_config_memory(optarg, &cfg->memory))
                return NGC_CONFIG_USAGE;
            memory_set = true;
            break;
        case NGC_OPT_FROM_YEAR:
            if (ngc_config_number("--from-year", optarg, 1, 9999, &v))
                return NGC_CONFIG_USAGE;
            cfg->from_year = (uint32_t)v;
            years = true;
            break;
        case NGC_OPT_TO_YEAR:
            if (ngc_config_number("--to-year", optarg, 1, 9999, &v))
                return NGC_CONFIG_USAGE;
            cfg->to_year = (uint32_t)v;
            years = true;
            break;
        case NGC_OPT_FORMAT: {
            static const char *const names[] = {"auto", "v1", "v2", "v3", "text"};
            unsigned i = 0;
            while (i < NGC_NELEMS(names) && strcmp(optarg, names[i]) != 0)
                i++;
            if (i == NGC_NELEMS(names)) {
                ngc_config_bad("--format", optarg, "expected auto, v1, v2, v3 or text");
                return NGC_CONFIG_USAGE;
            }
            cfg->format = (ngc_format_t)i;
            break;
        }
        case NGC_OPT_TEXT:
            cfg->format = NGC_FORMAT_TEXT;
            break;
        case NGC_OPT_ORDER:
            if (ngc_config_number("--order", optarg, 1, NGC_ORDER_MAX, &v))
                return NGC_CONFIG_USAGE;
            cfg->order = (unsigned)v;
            order_set = true;
            break;
        case NGC_OPT_ONLY_ORDER:
            cfg->only_order = true;
            order_set = true;
            break;
        case NGC_OPT_MARKERS:
            cfg->sentence_markers = true;
            order_set = true;
            break;
        case NGC_OPT_TOKENIZE:
            if (strcmp(optarg, "space") == 0)
                cfg->tokenize = NGC_TOKENIZE_SPACE;
            else if (strcmp(optarg, "words") == 0)
                cfg->tokenize = NGC_TOKENIZE_WORDS;
            else {
                ngc_config_bad("--tokenize", optarg, "expected space or words");
                return NGC_CONFIG_USAGE;
            }
            order_set = true;
            break;
        case NGC_OPT_SORT:
            sort_set = true;
            if (strcmp(optarg, "count") == 0)
                cfg->sort = NGC_SORT_COUNT;
            else if (strcmp(optarg, "ngram") == 0)
                cfg->sort = NGC_SORT_NGRAM;
            else {
                ngc_config_bad("--sort", optarg, "expected count or ngram");
                return NGC_CONFIG_USAGE;
            }
            break;
        case NGC_OPT_NORMALIZE:
            if (*optarg == '\0') {
                ngc_config_bad("--normalize", optarg, "empty file name");
                return NGC_CONFIG_USAGE;
            }
            cfg->normalize = optarg;
            break;
        case NGC_OPT_TMP_DIR:
            if (*optarg == '\0') {
                ngc_config_bad("--tmp-dir", optarg, "empty directory name");
                return NGC_CONFIG_USAGE;
            }
            cfg->tmp_dir = optarg;
            break;
        case NGC_OPT_BY_YEAR:
            cfg->by_year = true;
            break;
        case NGC_OPT_SELECT:
            if (ngc_config_select_list(cfg, &select_cap, optarg) != NGC_OK)
                return NGC_CONFIG_USAGE;
            break;
        case NGC_OPT_SELECT_FILE:
            if (ngc_config_select_file(cfg, &select_cap, optarg) != NGC_OK)
                return NGC_CONFIG_USAGE;
            break;
        case NGC_OPT_MAP:
        case NGC_OPT_REDUCE: {
            ngc_stream_role_t role = c == NGC_OPT_MAP ? NGC_STREAM_MAP : NGC_STREAM_REDUCE;
            if (cfg->stream != NGC_STREAM_NONE && cfg->stream != role) {
                fprintf(stderr, "ngram-count: --map and --reduce are two different parts; "
                                "give one\n%s", ngc_config_usage);
                return NGC_CONFIG_USAGE;
            }
            cfg->stream = role;
            break;
        }
        case NGC_OPT_OUTPUT_FORMAT:
            if (strcmp(optarg, "tsv") == 0)
                cfg->out_format = NGC_OUTFMT_TSV;
            else if (strcmp(optarg, "csv") == 0)
                cfg->out_format = NGC_OUTFMT_CSV;
            else if (strcmp(optarg, "jsonl") == 0)
                cfg->out_format = NGC_OUTFMT_JSONL;
            else {
                ngc_config_bad("--output-format", optarg, "expected tsv, csv or jsonl");
                return NGC_CONFIG_USAGE;
            }
            break;
        case NGC_OPT_PARTITIONS:
            if (ngc_config_number("--partitions", optarg, 1, NGC_PARTITIONS_MAX, &v))
                return NGC_CONFIG_USAGE;
            cfg->partitions = (unsigned)v;
            break;
        case NGC_OPT_PARTITION:
            if (ngc_config_number("--partition", optarg, 0, NGC_PARTITIONS_MAX - 1, &v))
                return NGC_CONFIG_USAGE;
            cfg->partition = (int)v;
            break;
        case NGC_OPT_PARTITION_DIR:
        case NGC_OPT_MERGE_PARTITIONS:
        case NGC_OPT_MERGE_TOTALS:
            if (*optarg == '\0') {
                ngc_config_bad(c == NGC_OPT_PARTITION_DIR      ? "--partition-dir"
                               : c == NGC_OPT_MERGE_PARTITIONS ? "--merge-partitions"
                                                               : "--merge-totals",
                               optarg, "empty directory name");
                return NGC_CONFIG_USAGE;
            }
            *(c == NGC_OPT_PARTITION_DIR      ? &cfg->partition_dir
              : c == NGC_OPT_MERGE_PARTITIONS ? &cfg->merge_partitions
                                              : &cfg->merge_totals) = optarg;
            break;
        case NGC_OPT_SMOOTHING:
            if (ngc_config_number("--smoothing", optarg, 0, NGC_SMOOTHING_MAX, &v))
                return NGC_CONFIG_USAGE;
            cfg->smoothing = (unsigned)v;
            cfg->smoothing_set = true;
            break;
        case NGC_OPT_PLOT: {
            size_t n = strlen(optarg);
            if (n < 5 || (strcmp(optarg + n - 4, ".svg") != 0 &&
                          strcmp(optarg + n - 4, ".png") != 0)) {
                ngc_config_bad("--plot", optarg, "expected a file name ending in .svg or .png");
                return NGC_CONFIG_USAGE;
            }
#ifndef NGC_HAVE_CAIRO
            if (strcmp(optarg + n - 4, ".png") == 0) {
                ngc_config_bad("--plot", optarg, "--plot .png needs cairo, which this build "
                                                 "does not have (install libcairo2-dev and "
                                                 "rebuild); .svg works without it");
                return NGC_CONFIG_USAGE;
            }
#endif
            cfg->plot = optarg;
            break;
        }
        case NGC_OPT_MIN_COUNT:
            if (ngc_config_number("--min-count", optarg, 0, UINT64_MAX, &cfg->min_count))
                return NGC_CONFIG_USAGE;
            break;
        case NGC_OPT_TOP:
            if (ngc_config_number("--top", optarg, 1, UINT64_MAX, &cfg->top))
                return NGC_CONFIG_USAGE;
            break;
        case NGC_OPT_COUNT:
            if (strcmp(optarg, "match") == 0)
                cfg->count = NGC_COUNT_MATCH;
            else if (strcmp(optarg, "volume") == 0)
                cfg->count = NGC_COUNT_VOLUME;
            else if (strcmp(optarg, "both") == 0)
                cfg->count = NGC_COUNT_BOTH;
            else {
                ngc_config_bad("--count", optarg, "expected match, volume or both");
                return NGC_CONFIG_USAGE;
            }
            break;
        case NGC_OPT_FOLD_CASE:
            cfg->fold_case = true;
            break;
        case NGC_OPT_POS:
            if (strcmp(optarg, "keep") == 0)
                cfg->pos = NGC_POS_KEEP;
            else if (strcmp(optarg, "drop") == 0)
                cfg->pos = NGC_POS_DROP;
            else if (strcmp(optarg, "strip") == 0)
                cfg->pos = NGC_POS_STRIP;
            else {
                ngc_config_bad("--pos", optarg, "expected keep, drop or strip");
                return NGC_CONFIG_USAGE;
            }
            pos_set = true;
            break;
        case NGC_OPT_STRICT:
            cfg->strict = true;
            break;
        case NGC_OPT_STATS:
            if (optarg == NULL || strcmp(optarg, "text") == 0)
                cfg->stats = NGC_STATS_TEXT;
            else if (strcmp(optarg, "json") == 0)
                cfg->stats = NGC_STATS_JSON;
            else {
                ngc_config_bad("--stats", optarg, "expected --stats or --stats=json");
                return NGC_CONFIG_USAGE;
            }
            break;
        case NGC_OPT_PROGRESS:
            cfg->progress = NGC_PROGRESS_ON;
            break;
        case NGC_OPT_NO_PROGRESS:
            cfg->progress = NGC_PROGRESS_OFF;
            break;
        case NGC_OPT_PG:
            cfg->pg_dsn = optarg;
            break;
        case NGC_OPT_PG_TABLE:
            if (*optarg == '\0' || strlen(optarg) > 63) {
                ngc_config_bad("--pg-table", optarg, "expected a name of 1 to 63 bytes");
                return NGC_CONFIG_USAGE;
            }
            cfg->pg_table = optarg;
            break;
        case NGC_OPT_PG_MODE:
            if (strcmp(optarg, "replace") == 0)
                cfg->pg_append = false;
            else if (strcmp(optarg, "append") == 0)
                cfg->pg_append = true;
            else {
                ngc_config_bad("--pg-mode", optarg, "expected replace or append");
                return NGC_CONFIG_USAGE;
            }
            break;
        case NGC_OPT_PG_JOBS:
            cfg->pg_jobs = true;
            break;
        case NGC_OPT_LOOKUP:
            if (cfg->nlookups == 0) {
                cfg->lookups = calloc((size_t)argc, sizeof(*cfg->lookups));
                if (cfg->lookups == NULL)
                    return NGC_CONFIG_USAGE;
            }
            cfg->lookups[cfg->nlookups++] = optarg;
            break;
        case NGC_OPT_MAX_RETRIES:
            if (ngc_config_number("--max-retries", optarg, 0, 1000, &v))
                return NGC_CONFIG_USAGE;
            cfg->max_retries = (unsigned)v;
            break;
        case NGC_OPT_TASK_TIMEOUT:
            if (ngc_config_number("--task-timeout", optarg, 1, 86400 * 7, &v))
                return NGC_CONFIG_USAGE;
            cfg->task_timeout = (unsigned)v;
            break;
        case NGC_OPT_INPUTS:
            inputs_file = optarg;
            break;
        case NGC_OPT_STALL_TIMEOUT:
            if (ngc_config_number("--stall-timeout", optarg, 1, 86400, &v))
                return NGC_CONFIG_USAGE;
            cfg->stall_timeout = (unsigned)v;
            break;
        case NGC_OPT_INFLATE:
            if (strcmp(optarg, "zlib") == 0) {
                cfg->inflate = NGC_INFLATE_ZLIB;
            } else if (strcmp(optarg, "isal") == 0) {
#ifdef NGC_HAVE_ISAL
                cfg->inflate = NGC_INFLATE_ISAL;
#else
                ngc_config_bad("--inflate", optarg, "this build has no ISA-L; use zlib");
                return NGC_CONFIG_USAGE;
#endif
            } else {
                ngc_config_bad("--inflate", optarg, "expected isal or zlib");
                return NGC_CONFIG_USAGE;
            }
            break;
        case 'v':
            cfg->verbose++;
            break;
        case 'h':
            fputs(ngc_config_help, stdout);
            return NGC_CONFIG_EXIT_OK;
        case 'V':
            printf("ngram-count %s\n", NGC_VERSION);
            return NGC_CONFIG_EXIT_OK;
        case ':':
            fprintf(stderr, "ngram-count: option '%s' needs a value\n%s",
                    argv[optind - 1], ngc_config_usage);
            return NGC_CONFIG_USAGE;
        default: {
            const char *arg = argv[optind - 1];
            const char *eq = strchr(arg, '=');
            if (optopt > 0 && optopt < 256 && arg[1] != '-')
                fprintf(stderr, "ngram-count: unknown option '-%c'\n%s", optopt,
                        ngc_config_usage);
            else if (optopt != 0 && eq != NULL)
                fprintf(stderr, "ngram-count: option '%.*s' takes no value\n%s",
                        (int)(eq - arg), arg, ngc_config_usage);
            else
                ngc_config_unknown(arg);
            return NGC_CONFIG_USAGE;
        }
        }
    }
    if (cfg->from_year > cfg->to_year) {
        fprintf(stderr, "ngram-count: --from-year %u is after --to-year %u\n%s",
                cfg->from_year, cfg->to_year, ngc_config_usage);
        return NGC_CONFIG_USAGE;
    }
    const char *clash = NULL;
    if (cfg->format == NGC_FORMAT_TEXT) {
        if (years)
            clash = "--text has no years: --from-year and --to-year do not apply";
        else if (pos_set)
            clash = "--text has no part-of-speech tags: --pos does not apply";
        else if (cfg->count != NGC_COUNT_MATCH)
            clash = "--text counts occurrences only: --count volume/both do not apply";
        else if (cfg->normalize != NULL)
            clash = "--normalize needs Google's per-year totals, which --text does not have";
    } else if (order_set) {
        clash = "--order, --only-order, --sentence-markers and --tokenize need --text";
    }
    if (clash == NULL)
        clash = ngc_config_year_clash(cfg);
    /* Series read best in ngram order; --top still wants the largest. */
    if (cfg->by_year && !sort_set && cfg->top == 0 && cfg->stream == NGC_STREAM_NONE)
        cfg->sort = NGC_SORT_NGRAM;
    if (clash == NULL && cfg->top != 0 && cfg->sort == NGC_SORT_NGRAM)
        clash = "--top picks the most frequent: it cannot be used with --sort ngram";
    if (clash == NULL && cfg->stream != NGC_STREAM_NONE &&
        (cfg->pg_dsn != NULL || cfg->normalize != NULL || cfg->top != 0 ||
         cfg->sort != NGC_SORT_COUNT || cfg->output != NULL))
        clash = "--map and --reduce read standard input and write standard output, in key order:"
                " --pg, --normalize, --top, --sort and -o do not apply";
    if (clash == NULL && cfg->stream != NGC_STREAM_NONE && cfg->out_format != NGC_OUTFMT_TSV)
        clash = "--map and --reduce speak Hadoop Streaming's 'key TAB value' lines: "
                "--output-format csv and jsonl do not apply";
    if (clash == NULL && (cfg->smoothing_set || cfg->plot != NULL) && !cfg->by_year)
        clash = "--smoothing and --plot draw year-by-year series: they need --by-year";
    if (clash == NULL && (cfg->plot != NULL || cfg->smoothing_set) && cfg->pg_dsn != NULL)
        clash = "--smoothing and --plot make a series of the output: they cannot be used with --pg";
    if (clash == NULL && cfg->normalize != NULL && cfg->pg_dsn != NULL && cfg->pg_append)
        clash = "--normalize with --pg-mode append would mix the totals of several jobs in one "
                "table: load with --pg-mode replace, or divide in SQL";
    if (clash == NULL && cfg->normalize != NULL && cfg->pg_dsn != NULL && cfg->by_year)
        clash = "--normalize with --by-year makes a series, which --pg does not load: load the "
                "counts and divide by each year's total in SQL";
    if (clash == NULL)
        clash = ngc_config_shuffle_clash(cfg, optind < argc);
    if (clash != NULL) {
        fprintf(stderr, "ngram-count: %s\n%s", clash, ngc_config_usage);
        return NGC_CONFIG_USAGE;
    }
#ifndef NGC_HAVE_PG
    if (cfg->pg_dsn != NULL || cfg->pg_jobs || cfg->nlookups > 0 || cfg->pg_table ||
        cfg->pg_append) {
        fprintf(stderr, "ngram-count: --pg, --pg-table, --pg-mode, --pg-jobs and --lookup: this"
                        " ngram-count was built without PostgreSQL support (rebuild with libpq"
                        " installed and -DNGC_WITH_PG=ON)\n");
        return NGC_CONFIG_USAGE;
    }
#endif
    bool query = cfg->pg_jobs || cfg->nlookups > 0;
    if ((query || cfg->pg_table || cfg->pg_append) && cfg->pg_dsn == NULL) {
        fprintf(stderr, "ngram-count: --pg-table, --pg-mode, --pg-jobs and --lookup need --pg DSN"
                        " ('' for the PG* environment)\n%s", ngc_config_usage);
        return NGC_CONFIG_USAGE;
    }
    if (cfg->pg_table == NULL)
        cfg->pg_table = cfg->by_year ? "ngram_year_counts" : "ngram_counts";
    if (query) {
        if (optind < argc) {
            fprintf(stderr, "ngram-count: --lookup and --pg-jobs take no input files\n%s",
                    ngc_config_usage);
            return NGC_CONFIG_USAGE;
        }
        cfg->inputs = argv + optind;
        cfg->ninputs = 0;
        return NGC_CONFIG_RUN;
    }
    if (cfg->partitions > 0) {
        /* A map's totals go out whole, in key order: the reduce and the
         * final step filter and order them. */
        cfg->sort = NGC_SORT_NGRAM;
        cfg->min_count = 0;
        cfg->top = 0;
    }
    if (cfg->tmp_dir == NULL && (cfg->merge_partitions != NULL || cfg->merge_totals != NULL))
        cfg->tmp_dir = ngc_config_default_tmp();
    if (cfg->merge_partitions != NULL || cfg->merge_totals != NULL) {
        /* The final step's FILES are the job's: only named (a --plot title). */
        cfg->inputs = argv + optind;
        cfg->ninputs = (unsigned)(argc - optind);
        return NGC_CONFIG_RUN;
    }
    if (cfg->stream != NGC_STREAM_NONE) {
        if (optind < argc) {
            fprintf(stderr, "ngram-count: --map and --reduce read standard input, not files\n%s",
                    ngc_config_usage);
            return NGC_CONFIG_USAGE;
        }
        if (cfg->tmp_dir == NULL)
            cfg->tmp_dir = ngc_config_default_tmp();
        /* A mapper's combiner: --memory, or a size that suits a task slot. */
        if (!memory_set)
            cfg->memory = NGC_STREAM_MAP_MEMORY;
        cfg->inputs = argv + optind;
        cfg->ninputs = 0;
        return NGC_CONFIG_RUN;
    }
    if (cfg->tmp_dir == NULL)
        cfg->tmp_dir = ngc_config_default_tmp();
    if (inputs_file != NULL)
        return ngc_config_inputs_file(cfg, inputs_file, argv + optind, (unsigned)(argc - optind));
    if (optind >= argc) {
        fprintf(stderr, "ngram-count: no input files\n%s", ngc_config_usage);
        return NGC_CONFIG_USAGE;
    }
    unsigned stdin_uses = 0;
    for (int i = optind; i < argc; i++)
        stdin_uses += strcmp(argv[i], "-") == 0;
    if (stdin_uses > 1) {
        fprintf(stderr, "ngram-count: standard input ('-') given more than once\n%s",
                ngc_config_usage);
        return NGC_CONFIG_USAGE;
    }
    cfg->inputs = argv + optind;
    cfg->ninputs = (unsigned)(argc - optind);
    return ngc_config_check_repeats(cfg);
}
