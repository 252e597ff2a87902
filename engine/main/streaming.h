/*
 * streaming.h: ngram-count as one part of a Hadoop Streaming job (--map,
 * --reduce). Hadoop runs many copies on a cluster, feeds each a split on
 * standard input and sorts by key between the parts; here there is no
 * coordinator and no worker: one process, standard input to standard
 * output, counters and status for Hadoop on standard error.
 */
#ifndef NGC_ENGINE_MAIN_STREAMING_H
#define NGC_ENGINE_MAIN_STREAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/config.h"
#include "engine/ipc/msg.h"

/*
 * Runs cfg->stream's part, standard input to standard output, and returns
 * the exit status: 0, 1 (a message was printed), or 141 when the reader of
 * standard output went away. Main thread; ignores SIGPIPE.
 */
int ngc_streaming_main(const ngc_config_t *cfg);

/*
 * Why the reducer's input line p[0..len) (no LF) is malformed, or
 * NGC_STREAMING_REASON_NONE with its fields set. The grammar: a non-empty key with no
 * TAB, TAB, a count of decimal digits up to 2^64-1, with two (TAB, a second
 * count) when `two` (--count both), and an optional CR at the end. *b is 0
 * when not `two`. Pure; any thread.
 */
ngc_streaming_reason_t ngc_streaming_reduce_line(const char *p, size_t len, bool two,
                                                 size_t *key_len, uint64_t *a, uint64_t *b);

/* The reducer's wording for a reason that ngc_streaming_reduce_line returns. */
const char *ngc_streaming_reason_text(ngc_streaming_reason_t why, bool two);

#endif
