/*
 * ranges.h: the parallel output's plan. After the sort phase, the final
 * order (every sorted partition merged) is cut into ranges of about equal
 * entry count: a range is a [lo, hi) interval of each partition, cut at the
 * same splitter entry in all of them, so the ranges follow one another in
 * the output order and each is merged and formatted by one worker. Each
 * range has a window in one sparse memfd: the workers write the range's
 * finished bytes there, the coordinator writes the windows to the output in
 * order and frees each as it goes.
 *
 * DESIGN: the plan itself is in the memfd (a header of fixed-layout
 * records), so a worker forked long before reads its range with one pread;
 * the task frame only names the range and carries the descriptor.
 */
#ifndef NGC_ENGINE_REDUCE_RANGES_H
#define NGC_ENGINE_REDUCE_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/reduce/counters.h"
#include "engine/reduce/output.h"

/* One range as the memfd holds it. */
typedef struct {
    uint64_t lo[NGC_COUNTERS_PARTS]; /* first sorted index of each partition */
    uint64_t hi[NGC_COUNTERS_PARTS]; /* one past the last */
    uint64_t take;                   /* entries to format: all, or fewer at --top */
    uint64_t off, cap;               /* its window in the memfd */
    uint32_t gzip;                   /* write one whole gzip member */
    uint32_t pad;
} ngc_range_t;

typedef struct ngc_ranges_s ngc_ranges_t;

/*
 * Cuts the sorted partitions of c (none spilled) in `order` into at most k
 * ranges, dropping empty ones and those past `top` entries (0: all), and
 * writes them (windows sized for lf's lines) into a new memfd with a window for each. NULL with err
 * filled. Coordinator, once every partition is sorted and none changes.
 */
ngc_ranges_t *ngc_ranges_new(const ngc_counters_t *c, ngc_order_t order, uint64_t top, unsigned k,
                             bool gzip, const ngc_line_format_t *lf, char *err, size_t cap);
void ngc_ranges_free(ngc_ranges_t *r);
unsigned ngc_ranges_count(const ngc_ranges_t *r);
/* Entries of all ranges: the output's lines. */
uint64_t ngc_ranges_total(const ngc_ranges_t *r);
const ngc_range_t *ngc_ranges_get(const ngc_ranges_t *r, unsigned i);
/* A new descriptor of the memfd (for a task frame); -1 with errno set. */
int ngc_ranges_dup_fd(const ngc_ranges_t *r);
/* Records range i's result as its worker reported it: false when it cannot
 * be right (reported before, other than take lines, or past its window). */
bool ngc_ranges_done(ngc_ranges_t *r, unsigned i, uint64_t bytes, uint64_t lines);
/* Writes to out, in order, the windows of the ranges done that follow the
 * ones already written, freeing each as it goes: called as ranges finish,
 * and once more when all have. Codes as ngc_output_put; after a failure,
 * not to be called again. */
int ngc_ranges_write(ngc_ranges_t *r, ngc_output_t *out);
/* Whether every window has been written. */
bool ngc_ranges_finished(const ngc_ranges_t *r);

/* Worker side: reads range i of the memfd fd, checked against c. NGC_OK, or
 * NGC_ERROR with err filled. */
int ngc_ranges_read(int fd, uint64_t i, const ngc_counters_t *c, ngc_range_t *out, char *err,
                    size_t cap);

#endif
