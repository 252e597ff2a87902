/*
 * totals.h: the --totals file, the per-year totals in the shape Google
 * published for the release of the data's format (v1 2009, v2 2012, v3
 * 2020), from the sums of a finished run.
 */

#ifndef NGC_DATASETS_GEN_TOTALS_H
#define NGC_DATASETS_GEN_TOTALS_H

#include "datasets/gen/model.h"
#include "datasets/gen/run.h"

/* writes the totals of st to fd, named tmp, or to stdout if tmp is NULL;
 * always plain text. NGC_GEN_OK or NGC_GEN_ERROR after a message */
int ngc_gen_totals(const ngc_gen_t *g, const ngc_gen_stats_t *st, int fd, const char *tmp);

#endif
