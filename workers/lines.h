/*
 * lines.h: a task's buffer of whole lines into its combiner, by the format
 * the task reads: the Google formats (parse.h) or raw text (text.h). Pure
 * code; the one entry the worker and the streaming mode call.
 */
#ifndef NGC_WORKERS_LINES_H
#define NGC_WORKERS_LINES_H

#include <stddef.h>

#include "workers/combiner.h"
#include "workers/parse.h"

/* Maps the whole lines in p[0..len) (p[len-1] == '\n') into m. NGC_OK, or
 * NGC_ERROR with ps->fail set (--strict, a count overflow, memory). */
int ngc_lines_map(ngc_parse_t *ps, const char *p, size_t len, ngc_combiner_t *m);

#endif
