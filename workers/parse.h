/*
 * parse.h: the map function for Google Books Ngram lines of every release:
 * v2 "ngram TAB year TAB match_count TAB volume_count" (a fast path), v1
 * (a page count before the volume count) and v3 "ngram TAB year,match,volume
 * TAB ..."; raw text goes to text.h. Consecutive lines of one ngram (the
 * files' sort order) are summed before the combiner table is touched.
 * Applies the job's filters: years, --pos, --fold-case. Pure code: buffers
 * in, table out, no syscalls.
 */
#ifndef NGC_WORKERS_PARSE_H
#define NGC_WORKERS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/config.h"
#include "engine/base/ngc.h"
#include "engine/ipc/msg.h"
#include "workers/combiner.h"

/* Bytes of the scratch area: room for a transformed key or a tokenized
 * line (folding can triple a key; tokenizing can double a line). */
#define NGC_PARSE_SCRATCH ((size_t)NGC_LINE_MAX * 6 + 64)

/* Most tokens one text line can hold (ngc_parse_t.tok): one per byte
 * (--tokenize words makes each punctuation mark a token), and the markers. */
#define NGC_PARSE_TOKENS_MAX ((size_t)NGC_LINE_MAX + 4)

typedef struct ngc_parse_s ngc_parse_t;

/* Called when the combiner table outgrows its budget, to empty it into the
 * reduce table; NGC_OK or NGC_ERROR with the parse's fail fields set. */
typedef int (*ngc_parse_spill_fn)(ngc_parse_t *ps, ngc_combiner_t *m, void *arg);

struct ngc_parse_s {
    const ngc_config_t *cfg;
    ngc_format_t format; /* this task's layout; AUTO until decided */
    ngc_parse_spill_fn spill;
    void *spill_arg;
    size_t map_budget; /* bytes of the combiner table before a spill */
    bool volumes;      /* ngc_config_volumes: else every volume emitted is 0 */
    uint64_t tokens;   /* text: tokens read */
    uint64_t lines;    /* lines seen, also the number of the last one */
    uint64_t malformed;
    uint64_t filtered; /* lines outside --from-year/--to-year */
    uint64_t dropped;  /* runs whose ngram --pos drops */
    uint64_t runs;
    uint32_t nsamples;
    ngc_msg_sample_t samples[NGC_MSG_SAMPLES];
    /* Set when ngc_parse_buffer fails. */
    ngc_fail_t fail;
    uint64_t fail_line;
    char fail_text[256];
    char *scratch;               /* NGC_PARSE_SCRATCH bytes for transformed keys (text,
                                    --pos, --fold-case, --by-year); NULL without */
    uint32_t *tok;               /* text: token offsets into scratch */
    struct ngc_select_s *select; /* --select's matcher, NULL without */
};

/* One Google Books line, parsed: its key and the sums of its records (one
 * per line in v1/v2, one per triple in v3) within the job's years. */
typedef struct {
    size_t key_len;
    uint64_t match;
    uint64_t volume;
    uint64_t filtered; /* records outside the years */
    uint32_t year;     /* v1, v2: the line's year */
    bool counted;      /* some record inside the years */
    unsigned overflow; /* NGC_LINE_*_OVERFLOW: the line's own sums that
                               pass 2^64-1 (they stay at UINT64_MAX) */
} ngc_line_t;

#define NGC_LINE_MATCH_OVERFLOW 1u
#define NGC_LINE_VOLUME_OVERFLOW 2u

/* The options that rewrite keys (text, --pos, --fold-case, --by-year) must
 * be set in cfg before: only they get the scratch area. */
int ngc_parse_init(ngc_parse_t *ps, const ngc_config_t *cfg);
void ngc_parse_fini(ngc_parse_t *ps);
/* Forgets the previous task's counters and samples; the format becomes the
 * job's (--format). */
void ngc_parse_reset(ngc_parse_t *ps);

/*
 * Maps the whole lines in p[0..len) (p[len-1] == '\n') into m. NGC_OK, or
 * NGC_ERROR with ps->fail set: NGC_FAIL_MALFORMED (--strict),
 * NGC_FAIL_OVERFLOW or NGC_FAIL_FULL.
 */
int ngc_parse_buffer(ngc_parse_t *ps, const char *p, size_t len, ngc_combiner_t *m);

/* Why v2 line p[0..len) (no newline) is malformed, NGC_STREAMING_REASON_NONE if it is
 * not; on NONE fills the fields. */
ngc_streaming_reason_t ngc_parse_line(const char *p, size_t len, size_t *key_len, uint32_t *year,
                                      uint64_t *match, uint64_t *volume);

/* Why the decimal field p[0..len) is not a count (or, with year, a year
 * 1..9999), or NGC_STREAMING_REASON_NONE with *out set. */
ngc_streaming_reason_t ngc_parse_number(const char *p, size_t len, bool year, uint64_t *out);

/* Why line p[0..len) of layout f (v1, v2 or v3) is malformed, or
 * NGC_STREAMING_REASON_NONE with *out filled, for years from..to. */
ngc_streaming_reason_t ngc_parse_google_line(ngc_format_t f, const char *p, size_t len,
                                             uint32_t from, uint32_t to, ngc_line_t *out);

/* Counts a malformed line (the current one); NGC_ERROR under --strict. */
int ngc_parse_malformed(ngc_parse_t *ps, ngc_streaming_reason_t why);
/* Adds key's counts to m, spilling m first when it is over budget; the
 * volume as 0 when the job reads none (ps->volumes). NGC_OK, or NGC_ERROR
 * with the fail fields set. */
int ngc_parse_emit(ngc_parse_t *ps, ngc_combiner_t *m, const char *key, size_t len, uint64_t match,
                   uint64_t volume);
/* The same with the key's hash (ngc_counters_hash) already known. */
int ngc_parse_emit_hashed(ngc_parse_t *ps, ngc_combiner_t *m, const char *key, size_t len,
                          uint64_t hash, uint64_t match, uint64_t volume);

/* --by-year: writes "TAB YYYY" (year 1..9999, zero-padded) at dst. */
void ngc_parse_year_suffix(char *dst, uint32_t year);

/* Applies --pos and --fold-case to key; returns the key to count in *out
 * (key itself or ps->scratch), or NGC_AGAIN when the ngram is dropped. */
int ngc_parse_transform(ngc_parse_t *ps, const char *key, size_t len, const char **out,
                        size_t *out_len);

#endif
