/*
 * output.h: writes the result, "ngram TAB total" lines in output order, to
 * standard output or to a file (gzip when its name ends in .gz). A regular
 * file, also one reached through symbolic links, is written to a temporary
 * in its directory (nameless with O_TMPFILE) and renamed over it only on
 * success, so a failed, interrupted or killed run leaves the old file as it
 * was and nothing beside it. A device, FIFO or socket, and /dev/stdout,
 * /dev/fd/N, are written in place as the result streams.
 */
#ifndef NGC_ENGINE_OUTPUT_H
#define NGC_ENGINE_OUTPUT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <zlib.h>

#include "engine/config.h"
#include "engine/counters.h"
#include "engine/normalize.h"
#include "engine/spill.h"

typedef struct ngc_output_s ngc_output_t;

/* How a line is formatted: what --count prints, and --normalize's totals.
 * Plain data, so forked workers format exactly as the coordinator. */
typedef struct {
    ngc_count_t count;
    bool normalize;
    ngc_totals_t totals;
} ngc_line_format_t;

/* Room a line takes beyond its key: TAB, two numbers, TAB, newline. */
#define NGC_OUTPUT_LINE_EXTRA (2 * NGC_NORMALIZE_MAX + 4)

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

/* Formats entry e as one output line at dst, which has room for e->len +
 * NGC_OUTPUT_LINE_EXTRA bytes; returns its length. Pure: the one formatter
 * of the serial and the parallel output. */
size_t ngc_output_line(const ngc_line_format_t *lf, const ngc_entry_t *e, char *dst);

/* Deflates in[0..n) (and ends the stream when finish) through zbuf, zcap
 * bytes, handing each compressed piece to sink. NGC_OK; sink's code; or
 * NGC_ERROR with *zfailed set when zlib itself fails (the caller says so).
 * The one deflate loop of the serial output and of the format phase. */
int ngc_output_deflate(z_stream *zs, const char *in, size_t n, bool finish, char *zbuf,
                       size_t zcap, int (*sink)(void *arg, const char *p, size_t n), void *arg,
                       bool *zfailed);

/* Writes the decimal digits of v at dst; returns their count (at most 20). */
size_t ngc_output_u64(char *dst, uint64_t v);

#endif
