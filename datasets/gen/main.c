/*
 * ngram-gen: deterministic (seeded) generator of synthetic Google Books Ngram
 * files, v1 and v2 (one line per ngram and year) or v3 (one line per ngram),
 * plus an optional totals file, or of raw text (one sentence per line), plain
 * or gzip. Invariant: the valid records depend only on --seed and the data
 * options (--size --vocab --order --zipf --pos-share --utf8-share); rendering
 * options (--format --gzip --crlf --no-final-newline --malformed) never change
 * them, so every rendering of one data set has the same per-ngram totals.
 *
 * main.c: opens the output files, runs one pass (ngram.h or text.h), then
 * the totals, and renames the files; the only exit. gen/README.md says what
 * each module does.
 */

#include "datasets/gen/cli.h"
#include "datasets/gen/config.h"
#include "datasets/gen/log.h"
#include "datasets/gen/model.h"
#include "datasets/gen/ngram.h"
#include "datasets/gen/out.h"
#include "datasets/gen/run.h"
#include "datasets/gen/text.h"
#include "datasets/gen/totals.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* a file written under a temporary name and renamed once complete */
typedef struct {
    const char *name; /* final name, from cfg; NULL or "-" is stdout */
    char *tmp;        /* the name written, malloc'ed; NULL = stdout */
    int fd;
    bool direct;  /* a device or FIFO, written in place */
    bool renamed; /* tmp was renamed to name */
} ngc_gen_file_t;

/* opens f->name for writing as "NAME.tmp" (f->tmp, malloc'ed), or in
 * place when it is a device or FIFO */
static int ngc_gen_open_tmp(ngc_gen_file_t *f)
{
    size_t n = strlen(f->name) + 5;
    struct stat st;

    f->tmp = ngc_gen_alloc(n, 1);
    if (f->tmp == NULL) {
        return NGC_GEN_ERROR;
    }
    /* a device or FIFO is written in place: a rename would replace
     * /dev/null with a regular file */
    f->direct = stat(f->name, &st) == 0 && !S_ISREG(st.st_mode);
    snprintf(f->tmp, n, f->direct ? "%s" : "%s.tmp", f->name);
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (f->fd < 0) {
        ngc_gen_log(errno, "cannot open '%s'", f->tmp);
        free(f->tmp);
        f->tmp = NULL;
        return NGC_GEN_ERROR;
    }
    return NGC_GEN_OK;
}

/* writes the data of g to data through o and fills st; o needs
 * ngc_gen_out_fini() whatever this returns */
static int ngc_gen_write_data(ngc_gen_t *g, const ngc_gen_file_t *data, ngc_gen_out_t *o,
                              ngc_gen_stats_t *st)
{
    const ngc_gen_config_t *cfg = g->cfg;
    size_t trim;
    int rc;

    rc = ngc_gen_out_init(o, data->fd, data->tmp, data->name == NULL, cfg->gzip, cfg->gzip_level);
    if (rc == NGC_GEN_OK) {
        rc = cfg->format == NGC_GEN_FMT_TEXT ? ngc_gen_stream_text(g, o, st)
                                             : ngc_gen_stream(g, o, st);
    }
    if (rc != NGC_GEN_OK) {
        return rc;
    }
    if (cfg->no_final_newline) {
        trim = cfg->crlf ? 2 : 1;
        ngc_gen_assert(o->len >= trim && o->buf[o->len - 1] == '\n');
        o->len -= trim;
    }
    return ngc_gen_out_flush(o, true);
}

/* closes f unless it is stdout; returns rc, or NGC_GEN_ERROR after a
 * message if rc was NGC_GEN_OK and close() failed */
static int ngc_gen_close_file(const ngc_gen_file_t *f, int rc)
{
    if (f->tmp != NULL && close(f->fd) != 0 && rc == NGC_GEN_OK) {
        ngc_gen_log(errno, "cannot close '%s'", f->tmp);
        rc = NGC_GEN_ERROR;
    }
    return rc;
}

/* gives f its own name unless it is stdout or written in place;
 * NGC_GEN_OK or NGC_GEN_ERROR after a message */
static int ngc_gen_rename_file(ngc_gen_file_t *f)
{
    if (f->tmp == NULL || f->direct) {
        return NGC_GEN_OK;
    }
    if (rename(f->tmp, f->name) != 0) {
        ngc_gen_log(errno, "cannot rename '%s' to '%s'", f->tmp, f->name);
        return NGC_GEN_ERROR;
    }
    f->renamed = true;
    return NGC_GEN_OK;
}

/* after a failure: removes f, under whichever name it has now */
static void ngc_gen_remove_file(const ngc_gen_file_t *f)
{
    if (f->tmp != NULL && !f->direct) {
        unlink(f->renamed ? f->name : f->tmp);
    }
}

/* opens the files of cfg, the totals first: both before the work, so a
 * bad path fails early. No output file is stdout. NGC_GEN_OK, or
 * NGC_GEN_ERROR after a message with nothing left open */
static int ngc_gen_open_files(const ngc_gen_config_t *cfg, ngc_gen_file_t *data,
                              ngc_gen_file_t *totals)
{
    *data = (ngc_gen_file_t){cfg->output, NULL, STDOUT_FILENO, false, false};
    *totals = (ngc_gen_file_t){cfg->totals, NULL, STDOUT_FILENO, false, false};
    if (cfg->totals != NULL && strcmp(cfg->totals, "-") != 0 &&
        ngc_gen_open_tmp(totals) != NGC_GEN_OK) {
        return NGC_GEN_ERROR;
    }
    if (cfg->output != NULL && ngc_gen_open_tmp(data) != NGC_GEN_OK) {
        (void)ngc_gen_close_file(totals, NGC_GEN_ERROR);
        ngc_gen_remove_file(totals);
        free(totals->tmp);
        totals->tmp = NULL;
        return NGC_GEN_ERROR;
    }
    return NGC_GEN_OK;
}

/* the --malformed and --stats summaries of a finished run, to stderr */
static void ngc_gen_report(const ngc_gen_t *g, const ngc_gen_stats_t *st, const ngc_gen_out_t *o)
{
    const ngc_gen_config_t *cfg = g->cfg;

    if (cfg->bad_set) {
        ngc_gen_log(0,
                    "injected %llu malformed lines: fields=%llu number=%llu"
                    " negative=%llu year=%llu long=%llu",
                    (unsigned long long)cfg->bad, (unsigned long long)st->bad[NGC_GEN_BAD_FIELDS],
                    (unsigned long long)st->bad[NGC_GEN_BAD_NUMBER],
                    (unsigned long long)st->bad[NGC_GEN_BAD_NEGATIVE],
                    (unsigned long long)st->bad[NGC_GEN_BAD_YEAR],
                    (unsigned long long)st->bad[NGC_GEN_BAD_LONG]);
    }
    if (cfg->stats && cfg->format == NGC_GEN_FMT_TEXT) {
        ngc_gen_log(0,
                    "%llu lines, %llu words, %llu bytes, vocabulary %llu "
                    "words",
                    (unsigned long long)st->lines, (unsigned long long)st->words,
                    (unsigned long long)o->bytes, (unsigned long long)g->vocab);
    } else if (cfg->stats) {
        ngc_gen_log(0,
                    "%llu lines, %llu ngrams, %llu bytes, max total %llu "
                    "(%s)",
                    (unsigned long long)st->lines, (unsigned long long)g->vocab,
                    (unsigned long long)o->bytes, (unsigned long long)st->max_total,
                    g->arena.p + g->off[st->max_index]);
    }
}

int main(int argc, char **argv)
{
    ngc_gen_config_t cfg;
    ngc_gen_t g;
    ngc_gen_out_t o;
    ngc_gen_stats_t st;
    ngc_gen_file_t data, totals;
    int rc;

    rc = ngc_gen_parse(&cfg, argc, argv);
    if (rc != NGC_GEN_OK) {
        return rc == 1 ? 0 : 2;
    }
    if (ngc_gen_init(&g, &cfg) != NGC_GEN_OK ||
        ngc_gen_open_files(&cfg, &data, &totals) != NGC_GEN_OK) {
        ngc_gen_fini(&g);
        return 1;
    }
    rc = ngc_gen_write_data(&g, &data, &o, &st);
    rc = ngc_gen_close_file(&data, rc);
    /* the totals only after the data is complete, renamed before it */
    if (rc == NGC_GEN_OK && cfg.totals != NULL) {
        rc = ngc_gen_totals(&g, &st, totals.fd, totals.tmp);
    }
    rc = ngc_gen_close_file(&totals, rc);
    if (rc == NGC_GEN_OK) {
        rc = ngc_gen_rename_file(&totals);
    }
    if (rc == NGC_GEN_OK) {
        rc = ngc_gen_rename_file(&data);
    }
    if (rc != NGC_GEN_OK) {
        ngc_gen_remove_file(&data);
        ngc_gen_remove_file(&totals);
    } else {
        ngc_gen_report(&g, &st, &o);
    }
    ngc_gen_out_fini(&o);
    free(data.tmp);
    free(totals.tmp);
    ngc_gen_fini(&g);
    return rc == NGC_GEN_OK ? 0 : 1;
}
