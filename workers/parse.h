/*
 * parse.h: the map function for Google Books Ngram v2 lines,
 * "ngram TAB year TAB match_count TAB volume_count". Consecutive lines of
 * one ngram (the files' sort order) are summed before the combiner table is
 * touched. Applies the job's filters: years, --pos, --fold-case. Pure code:
 * buffers in, table out, no syscalls.
 */
#ifndef NGC_WORKERS_PARSE_H
#define NGC_WORKERS_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/config.h"
#include "engine/msg.h"
#include "workers/map.h"

typedef struct {
    const ngc_config_t *cfg;
    uint64_t lines;         /* lines seen, also the number of the last one */
    uint64_t malformed;
    uint64_t filtered;      /* lines outside --from-year/--to-year */
    uint64_t dropped;       /* runs whose ngram --pos drops */
    uint64_t runs;
    uint32_t nsamples;
    ngc_msg_sample_t samples[NGC_MSG_SAMPLES];
    /* Set when ngc_parse_buffer fails. */
    ngc_fail_t fail;
    uint64_t fail_line;
    char fail_text[256];
    char *scratch;          /* NGC_LINE_MAX * 3 bytes for transformed keys */
} ngc_parse_t;

int ngc_parse_init(ngc_parse_t *ps, const ngc_config_t *cfg);
void ngc_parse_fini(ngc_parse_t *ps);
/* Forgets the previous task's counters and samples. */
void ngc_parse_reset(ngc_parse_t *ps);

/*
 * Maps the whole lines in p[0..len) (p[len-1] == '\n') into m. NGC_OK, or
 * NGC_ERROR with ps->fail set: NGC_FAIL_MALFORMED (--strict),
 * NGC_FAIL_OVERFLOW or NGC_FAIL_FULL.
 */
int ngc_parse_buffer(ngc_parse_t *ps, const char *p, size_t len, ngc_map_t *m);

/* Why line p[0..len) (no newline) is malformed, NGC_REASON_NONE if it is not;
 * on NONE fills the fields. */
ngc_reason_t ngc_parse_line(const char *p, size_t len, size_t *key_len, uint32_t *year,
                            uint64_t *match, uint64_t *volume);

/* Applies --pos and --fold-case to key; returns the key to count in *out
 * (key itself or ps->scratch), or NGC_AGAIN when the ngram is dropped. */
int ngc_parse_transform(ngc_parse_t *ps, const char *key, size_t len, const char **out,
                        size_t *out_len);

#endif
