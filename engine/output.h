/*
 * output.h: writes the result, "ngram TAB total" lines in output order, to
 * standard output or to a file (gzip when its name ends in .gz). A file is
 * written under a temporary name beside it and renamed into place only on
 * success, so a failed or interrupted run never leaves a partial result.
 */
#ifndef NGC_ENGINE_OUTPUT_H
#define NGC_ENGINE_OUTPUT_H

#include <signal.h>
#include <stdint.h>

#include "engine/config.h"
#include "engine/counters.h"
#include "engine/spill.h"

typedef struct ngc_output_s ngc_output_t;

/* Creates the temporary file (or takes stdout) so an unwritable place fails
 * before any work; NULL after a message. Coordinator only. */
ngc_output_t *ngc_output_open(const ngc_config_t *cfg);
/*
 * Merges the sorted partitions of c (and the final runs of spilled ones in
 * the spill directory, first merged down to as many as the descriptors
 * allow) into the output, honouring --top.
 * NGC_OK; NGC_ERROR after a message; NGC_EOF when the reader of a pipe went
 * away (SIGPIPE: quiet); NGC_AGAIN when *stop became non-zero.
 */
int ngc_output_write(ngc_output_t *out, const ngc_counters_t *c, ngc_spill_t *sp,
                     volatile sig_atomic_t *stop);
/* Flushes, syncs and renames into place. NGC_OK or NGC_ERROR (message). */
int ngc_output_commit(ngc_output_t *out);
/* Frees; a temporary file not yet committed is removed. Accepts NULL. */
void ngc_output_free(ngc_output_t *out);
uint64_t ngc_output_lines(const ngc_output_t *out);

/* Writes the decimal digits of v at dst; returns their count (at most 20). */
size_t ngc_output_u64(char *dst, uint64_t v);

#endif
