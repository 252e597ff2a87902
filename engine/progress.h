/*
 * progress.h: the one-line progress bar on standard error, drawn by the
 * coordinator from the shared counters: tasks, bytes, rate and ETA.
 */
#ifndef NGC_ENGINE_PROGRESS_H
#define NGC_ENGINE_PROGRESS_H

#include <stdint.h>

#include "engine/plan.h"
#include "engine/stats.h"

typedef struct ngc_progress_s ngc_progress_t;

ngc_progress_t *ngc_progress_new(const ngc_plan_t *plan, const ngc_stats_t *st);
void ngc_progress_free(ngc_progress_t *pg);
/* Redraws the line. Coordinator only. */
void ngc_progress_draw(ngc_progress_t *pg, uint32_t tasks_done);
/* Erases the line, if drawn. */
void ngc_progress_clear(ngc_progress_t *pg);

/* "1.5 GB", "812 MB", "42 kB", "17 B" (powers of 1000, as rates are read). */
void ngc_progress_bytes(uint64_t n, char *buf, size_t cap);

#endif
