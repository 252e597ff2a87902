/*
 * malformed.h: the malformed lines of the ngram formats (v1, v2, v3). A
 * line borrows a neighbouring ngram, so byte order holds across all lines;
 * its details come from run->rng alone.
 */

#ifndef NGC_DATASETS_GEN_MALFORMED_H
#define NGC_DATASETS_GEN_MALFORMED_H

#include <stddef.h>

#include "datasets/gen/run.h"

/* writes one malformed line of kind (ngc_gen_bad_t) for the ngram ng (len
 * bytes) and counts it; NGC_GEN_OK or NGC_GEN_ERROR */
int ngc_gen_put_bad(ngc_gen_run_t *run, unsigned kind, const char *ng, size_t len);

#endif
