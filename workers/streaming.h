/*
 * streaming.h: ngram-count as one part of a Hadoop Streaming job (--map,
 * --reduce). Hadoop runs many copies on a cluster, feeds each a split on
 * standard input and sorts by key between the parts; here there is no
 * coordinator and no worker: one process, standard input to standard
 * output, counters and status for Hadoop on standard error.
 */
#ifndef NGC_WORKERS_STREAMING_H
#define NGC_WORKERS_STREAMING_H

#include "engine/config.h"

/* Runs cfg->stream's part; returns the exit status. */
int ngc_streaming_main(const ngc_config_t *cfg);

#endif
