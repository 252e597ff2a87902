/*
 * ngram.h: writing the ngram formats: v2 (ngram TAB year TAB match TAB
 * volume), v1 (a page count before the volume) and v3 (one line per
 * ngram), in byte order of the ngrams, with the malformed lines between
 * runs and the per-year sums for --totals.
 */

#ifndef NGC_DATASETS_GEN_NGRAM_H
#define NGC_DATASETS_GEN_NGRAM_H

#include "datasets/gen/model.h"
#include "datasets/gen/out.h"
#include "datasets/gen/run.h"

/* writes every ngram of g to o in cfg->format and fills st; NGC_GEN_OK or
 * NGC_GEN_ERROR after a message */
int ngc_gen_stream(ngc_gen_t *g, ngc_gen_out_t *o, ngc_gen_stats_t *st);

#endif
