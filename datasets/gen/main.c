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

/* opens "NAME.tmp" for writing; *tmp gets that name, malloc'ed */
static int ngc_gen_open_tmp(const char *name, char **tmp, int *fd, bool *direct)
{
    size_t n = strlen(name) + 5;
    struct stat st;

    *tmp = ngc_gen_alloc(n, 1);
    if (*tmp == NULL) {
        return NGC_GEN_ERROR;
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
        return NGC_GEN_ERROR;
    }
    return NGC_GEN_OK;
}

int main(int argc, char **argv)
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
    if (rc != NGC_GEN_OK) {
        return rc == 1 ? 0 : 2;
    }
    text = cfg.format == NGC_GEN_FMT_TEXT;
    if (ngc_gen_init(&g, &cfg) != NGC_GEN_OK) {
        ngc_gen_fini(&g);
        return 1;
    }

    /* both files are opened first, so a bad path fails before the work */
    if (cfg.totals != NULL && strcmp(cfg.totals, "-") != 0 &&
        ngc_gen_open_tmp(cfg.totals, &ttmp, &tfd, &tdirect) != NGC_GEN_OK) {
        ngc_gen_fini(&g);
        return 1;
    }
    if (cfg.output != NULL && ngc_gen_open_tmp(cfg.output, &tmp, &fd, &direct) != NGC_GEN_OK) {
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

    rc = ngc_gen_out_init(&o, fd, tmp, cfg.output == NULL, cfg.gzip, cfg.gzip_level);
    if (rc == NGC_GEN_OK) {
        rc = text ? ngc_gen_stream_text(&g, &o, &st) : ngc_gen_stream(&g, &o, &st);
    }
    if (rc == NGC_GEN_OK) {
        if (cfg.no_final_newline) {
            trim = cfg.crlf ? 2 : 1;
            ngc_gen_assert(o.len >= trim && o.buf[o.len - 1] == '\n');
            o.len -= trim;
        }
        rc = ngc_gen_out_flush(&o, true);
    }
    if (cfg.output != NULL && close(fd) != 0 && rc == NGC_GEN_OK) {
        ngc_gen_log(errno, "cannot close '%s'", tmp);
        rc = NGC_GEN_ERROR;
    }
    /* the totals only after the data is complete, renamed before it */
    if (rc == NGC_GEN_OK && cfg.totals != NULL) {
        rc = ngc_gen_totals(&g, &st, tfd, ttmp);
    }
    if (ttmp != NULL && close(tfd) != 0 && rc == NGC_GEN_OK) {
        ngc_gen_log(errno, "cannot close '%s'", ttmp);
        rc = NGC_GEN_ERROR;
    }
    if (rc == NGC_GEN_OK && ttmp != NULL && !tdirect) {
        if (rename(ttmp, cfg.totals) != 0) {
            ngc_gen_log(errno, "cannot rename '%s' to '%s'", ttmp, cfg.totals);
            rc = NGC_GEN_ERROR;
        } else {
            trenamed = true;
        }
    }
    if (rc == NGC_GEN_OK && cfg.output != NULL && !direct && rename(tmp, cfg.output) != 0) {
        ngc_gen_log(errno, "cannot rename '%s' to '%s'", tmp, cfg.output);
        rc = NGC_GEN_ERROR;
    }
    if (rc != NGC_GEN_OK) {
        if (tmp != NULL && !direct) {
            unlink(tmp);
        }
        if (ttmp != NULL && !tdirect) {
            unlink(trenamed ? cfg.totals : ttmp);
        }
    }

    if (rc == NGC_GEN_OK && cfg.bad_set) {
        ngc_gen_log(0,
                    "injected %llu malformed lines: fields=%llu number=%llu"
                    " negative=%llu year=%llu long=%llu",
                    (unsigned long long)cfg.bad, (unsigned long long)st.bad[NGC_GEN_BAD_FIELDS],
                    (unsigned long long)st.bad[NGC_GEN_BAD_NUMBER],
                    (unsigned long long)st.bad[NGC_GEN_BAD_NEGATIVE],
                    (unsigned long long)st.bad[NGC_GEN_BAD_YEAR],
                    (unsigned long long)st.bad[NGC_GEN_BAD_LONG]);
    }
    if (rc == NGC_GEN_OK && cfg.stats && text) {
        ngc_gen_log(0,
                    "%llu lines, %llu words, %llu bytes, vocabulary %llu "
                    "words",
                    (unsigned long long)st.lines, (unsigned long long)st.words,
                    (unsigned long long)o.bytes, (unsigned long long)g.vocab);
    } else if (rc == NGC_GEN_OK && cfg.stats) {
        ngc_gen_log(0,
                    "%llu lines, %llu ngrams, %llu bytes, max total %llu "
                    "(%s)",
                    (unsigned long long)st.lines, (unsigned long long)g.vocab,
                    (unsigned long long)o.bytes, (unsigned long long)st.max_total,
                    g.arena.p + g.off[st.max_index]);
    }
    ngc_gen_out_fini(&o);
    free(tmp);
    free(ttmp);
    ngc_gen_fini(&g);
    return rc == NGC_GEN_OK ? 0 : 1;
}
