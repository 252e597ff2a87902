/*
 * text.h: the map function for raw text (--text), the way SRILM's and
 * KenLM's counters see it: each line is a sentence, split into tokens
 * (--tokenize space or words), optionally wrapped in <s> ... </s>, and every
 * n-gram of order 1..N (or only N) of the line is counted once. N-grams
 * never cross a line. Pure code, like parse.h, whose state it shares.
 */
#ifndef NGC_WORKERS_TEXT_H
#define NGC_WORKERS_TEXT_H

#include <stddef.h>

#include "workers/combiner.h"
#include "workers/parse.h"

/* Maps the whole lines in p[0..len) (p[len-1] == '\n') into m. NGC_OK, or
 * NGC_ERROR with ps->fail set (--strict, a count overflow, memory). */
int ngc_text_buffer(ngc_parse_t *ps, const char *p, size_t len, ngc_combiner_t *m);

#endif
