/*
 * text.h: --format text, one sentence of Zipf-drawn words a line, with
 * punctuation, quotations and odd blanks, and the malformed lines of text
 * (invalid UTF-8, or a line over 1 MiB).
 */

#ifndef NGC_DATASETS_GEN_TEXT_H
#define NGC_DATASETS_GEN_TEXT_H

#include "datasets/gen/model.h"
#include "datasets/gen/out.h"
#include "datasets/gen/run.h"

/* writes lines until the valid ones reach --size and fills st; NGC_GEN_OK
 * or NGC_GEN_ERROR after a message */
int ngc_gen_stream_text(ngc_gen_t *g, ngc_gen_out_t *o, ngc_gen_stats_t *st);

#endif
