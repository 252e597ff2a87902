/*
 * progress.h: the progress line on standard error. On a terminal, one line
 * redrawn in place that fits the terminal's width (asked again after a
 * SIGWINCH), without escape codes when TERM=dumb; elsewhere (--progress
 * with stderr a file or pipe) a plain line every few seconds and at each
 * new phase. Each phase shows its own progress, and an ETA from a recent
 * rate (an exponential moving average over about 5 s), never 100% before
 * it ends. No colour is used, so NO_COLOR has nothing to turn off.
 */
#ifndef NGC_ENGINE_COORDINATOR_PROGRESS_H
#define NGC_ENGINE_COORDINATOR_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ngc_progress_s ngc_progress_t;

/* Where a phase stands: `done` of `total` units (bytes when `bytes`, so a
 * rate in B/s is shown); `parts` of `nparts` `part_name` (tasks, ranges)
 * when nparts > 0; `lines` read so far when not 0. total 0: unknown. */
typedef struct {
    const char *phase;
    uint64_t done, total;
    bool bytes;
    uint32_t parts, nparts;
    const char *part_name;
    uint64_t lines;
} ngc_progress_state_t;

/* tty: standard error is a terminal (redrawn line) or not (plain lines). */
ngc_progress_t *ngc_progress_new(bool tty);
void ngc_progress_free(ngc_progress_t *pg);
/* Shows s when due (a few times a second on a terminal, every 5 s or at a
 * new phase otherwise). Coordinator only. */
void ngc_progress_update(ngc_progress_t *pg, const ngc_progress_state_t *s);
/* Erases the line, if drawn; the next update draws it again. */
void ngc_progress_clear(ngc_progress_t *pg);

/* Formats one line of at most width - 1 columns (so the terminal never
 * wraps it): "phase  45% [####....] 12/30 tasks 1.2 GiB/s ETA 0m12s".
 * rate is done's units per second (0: unknown), eta in seconds (< 0:
 * unknown). Returns its length. For the tests. */
size_t ngc_progress_format(const ngc_progress_state_t *s, double rate, double eta, unsigned width,
                           char *buf, size_t cap);

/* "1.50 GiB", "812 MiB", "42.0 KiB", "17 B" (powers of 1024, as --memory). */
void ngc_progress_bytes(uint64_t n, char *buf, size_t cap);

#endif
