/*
 * render.h: a worker's part of the parallel output. Merges one range of the
 * sorted partitions (ranges.h) in output order and formats its lines, with
 * the serial output's own formatter, into the range's window of the
 * output's memfd; for a .gz output, as one whole gzip member (members
 * concatenated are one gzip stream). Rerunning it writes the same bytes.
 */
#ifndef NGC_WORKERS_RENDER_H
#define NGC_WORKERS_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/reduce/counters.h"
#include "engine/reduce/output.h"
#include "engine/reduce/ranges.h"

/* Renders range g into its window of fd: NGC_OK (*bytes written), or
 * NGC_ERROR with err filled. task/attempt only arm failpoints. Any thread;
 * the table must not change meanwhile. */
int ngc_render_range(const ngc_counters_t *c, ngc_order_t order, const ngc_line_format_t *lf,
                     int fd, const ngc_range_t *g, uint32_t task, uint32_t attempt, uint64_t *bytes,
                     char *err, size_t cap);

#endif
