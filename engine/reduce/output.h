/*
 * output.h: writes the result, "ngram TAB total" lines in output order, to
 * standard output or to a file (gzip when its name ends in .gz). A regular
 * file, also one reached through symbolic links, is written to a temporary
 * in its directory (nameless with O_TMPFILE) and renamed over it only on
 * success, so a failed, interrupted or killed run leaves the old file as it
 * was and nothing beside it. A device, FIFO or socket, and /dev/stdout,
 * /dev/fd/N, are written in place as the result streams.
 */
#ifndef NGC_ENGINE_REDUCE_OUTPUT_H
#define NGC_ENGINE_REDUCE_OUTPUT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <zlib.h>

#include "engine/base/config.h"
#include "engine/reduce/counters.h"
#include "engine/reduce/normalize.h"
#include "engine/reduce/spill.h"

typedef struct ngc_output_s ngc_output_t;

/* How a line is formatted: what --count prints, --normalize's totals, and
 * --output-format's layout. Plain data, so forked workers format exactly as
 * the coordinator. */
typedef struct {
    ngc_count_t count;
    bool normalize;
    ngc_totals_t totals;
    ngc_outfmt_t fmt;
    bool by_year;    /* keys are "ngram TAB YYYY": CSV and JSON split off the year */
    unsigned ncols;  /* value columns, 1 or 2 */
    char col[2][24]; /* their names: the CSV header, the JSON keys */
} ngc_line_format_t;

/* Room a line takes beyond its key (grown as below): the separators, two
 * numbers, a year, the JSON names. */
#define NGC_OUTPUT_LINE_EXTRA (2 * NGC_NORMALIZE_MAX + 128)
/* A key's bytes at most grow this much: JSON writes a control or invalid
 * byte as \u00XX (CSV at most doubles them, plus two quotes). */
#define NGC_OUTPUT_KEY_GROWTH 6

/* The line format of cfg's output (counts or --normalize's shares). */
void ngc_output_format_init(ngc_line_format_t *lf, const ngc_config_t *cfg);
/* The most bytes a line with a key of keylen bytes can take. */
size_t ngc_output_room(const ngc_line_format_t *lf, size_t keylen);
/* Writes the CSV header line ("ngram[,year],col..." and LF) at dst, or
 * nothing for TSV and JSON Lines; returns its length (< 128). Pure. */
size_t ngc_output_header(const ngc_line_format_t *lf, char *dst);
/*
 * Writes one row: key (with by_year, "ngram TAB YYYY") and nvals (1 or 2,
 * named lf->col) values already written as decimal numbers, at dst (room:
 * ngc_output_room); returns its length. Pure: the one layout of counts,
 * shares and series.
 */
size_t ngc_output_row(const ngc_line_format_t *lf, const char *key, size_t klen,
                      const char *const vals[], const size_t vlens[], unsigned nvals, char *dst);
/* Writes p[0..n) as a JSON string, quotes included: valid UTF-8 copied,
 * '"', '\\' and control bytes escaped, a byte that is not valid UTF-8 as
 * \u00XX (its Latin-1 reading). At most 6 * n + 2 bytes. Pure. */
size_t ngc_output_json_string(char *dst, const char *p, size_t n);

/* Creates the temporary file (or takes stdout, opens a device) so an
 * unwritable place, or an output that is one of the inputs, fails before
 * any work; NULL after a message, or quietly when *stop became non-zero in
 * a blocking open (a FIFO without a reader). stop is borrowed: a signal
 * flag, also read while writing. Coordinator only. */
ngc_output_t *ngc_output_open(const ngc_config_t *cfg, volatile sig_atomic_t *stop);
/*
 * Merges the sorted partitions of c (and the final runs of spilled ones in
 * the spill directory, first merged down to as many as the descriptors
 * allow) into the output, honouring --top.
 * NGC_OK; NGC_ERROR after a message; NGC_EOF when the reader of a pipe went
 * away (EPIPE on stdout, a descriptor or a FIFO: quiet); NGC_AGAIN when *stop
 * became non-zero.
 */
int ngc_output_write(ngc_output_t *out, const ngc_counters_t *c, ngc_spill_t *sp);
/* Called with each entry in output order instead of printing it: NGC_OK to
 * go on, any other code stops the merge and is returned. */
typedef int (*ngc_output_entry_fn)(const ngc_entry_t *e, void *arg);
/* The merge of ngc_output_write, each entry handed to fn (NULL: printed).
 * Codes as ngc_output_write, or fn's. */
int ngc_output_each(ngc_output_t *out, const ngc_counters_t *c, ngc_spill_t *sp,
                    ngc_output_entry_fn fn, void *arg);
/* Lines formatted by the caller (a series): *dst gets room for need bytes
 * (a line longer than the buffer grows it), where one line is written and then
 * ngc_output_advance(out, its length) called. Codes as ngc_output_write. */
int ngc_output_reserve(ngc_output_t *out, size_t need, char **dst);
void ngc_output_advance(ngc_output_t *out, size_t n);
/* Called with the lines written so far, every 4096 lines of
 * ngc_output_write and after each ngc_output_put: main's progress. */
typedef void (*ngc_output_progress_fn)(void *arg, uint64_t lines);
void ngc_output_set_progress(ngc_output_t *out, ngc_output_progress_fn fn, void *arg);
/*
 * Writes n bytes formatted elsewhere (ngc_output_line's lines, `lines` of
 * them; for a .gz output, one whole gzip member holding them), instead of
 * ngc_output_write, in order, as many times as needed. Codes as
 * ngc_output_write.
 */
int ngc_output_put(ngc_output_t *out, const char *p, size_t n, uint64_t lines);
/* The LFs in p[0..n): lines of formatted output. */
uint64_t ngc_output_newlines(const char *p, size_t n);
/* Replaces the line format (and the CSV header) before any line: a series'
 * columns. */
void ngc_output_set_format(ngc_output_t *out, const ngc_line_format_t *lf);
/* The line format, valid while out lives. */
const ngc_line_format_t *ngc_output_line_format(const ngc_output_t *out);
/* Whether the output is gzip (-o NAME.gz). */
bool ngc_output_gzip(const ngc_output_t *out);
/* Whether a write can block for long: a pipe, FIFO, terminal, socket or
 * device (standard output or -o), not a regular file (a temporary, or
 * standard output redirected to a file). */
bool ngc_output_may_stall(const ngc_output_t *out);

/* Flushes, syncs and closes a temporary (and names it): after NGC_OK only the
 * rename is left, which a full disk cannot fail. Codes as ngc_output_write. */
int ngc_output_sync(ngc_output_t *out);
/* Syncs if not yet done, then renames into place. NGC_OK or NGC_ERROR
 * (message). */
int ngc_output_commit(ngc_output_t *out);
/* Frees; a temporary file not yet committed is removed. Accepts NULL. */
void ngc_output_free(ngc_output_t *out);
uint64_t ngc_output_lines(const ngc_output_t *out);
/* Whether bytes already went where they cannot be taken back (standard
 * output, a descriptor, a device, a FIFO): *lines whole lines did, and
 * *complete says whether that was all of the output. */
bool ngc_output_sent(const ngc_output_t *out, uint64_t *lines, bool *complete);
/* "standard output" or the path given to -o, for messages. */
const char *ngc_output_name(const ngc_output_t *out);

/* Formats entry e as one output line at dst, which has room for
 * ngc_output_room(lf, e->len) bytes; returns its length. Pure: the one formatter
 * of the serial and the parallel output. */
size_t ngc_output_line(const ngc_line_format_t *lf, const ngc_entry_t *e, char *dst);

/* Deflates in[0..n) (and ends the stream when finish) through zbuf, zcap
 * bytes, handing each compressed piece to sink. NGC_OK; sink's code; or
 * NGC_ERROR with *zfailed set when zlib itself fails (the caller says so).
 * The one deflate loop of the serial output and of the format phase. */
int ngc_output_deflate(z_stream *zs, const char *in, size_t n, bool finish, char *zbuf, size_t zcap,
                       int (*sink)(void *arg, const char *p, size_t n), void *arg, bool *zfailed);

#endif
