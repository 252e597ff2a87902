/*
 * series.h: --by-year series, as the Ngram Viewer draws them. Takes the
 * final by-year rows (key "ngram TAB YYYY", the counts), groups them by
 * ngram and gives each ngram every year of the range: --from-year or the
 * smallest year seen to --to-year or the largest, years without a row 0.
 * With --normalize, each year's count is divided by that year's total from
 * the totals file, in percent (the Viewer's unit); with --smoothing N, each
 * year is the mean of the years y-N..y+N that lie inside the range (the
 * Viewer's window, cut at the ends of the range). The rows are kept in
 * memory: a series is for chosen ngrams (--select), not a whole table.
 */
#ifndef NGC_ENGINE_COORDINATOR_SERIES_H
#define NGC_ENGINE_COORDINATOR_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/config.h"
#include "engine/reduce/normalize.h"
#include "engine/reduce/output.h"

typedef struct ngc_series_s ngc_series_t;

typedef struct {
    ngc_count_t count;
    uint32_t from, to;               /* the range; 0 where the rows decide */
    const ngc_year_totals_t *totals; /* --normalize (borrowed), NULL without */
    const char *totals_path;         /* for messages */
    bool smooth;                     /* --smoothing given */
    unsigned smoothing;              /* years on each side */
} ngc_series_opts_t;

/* Whether cfg asks for series: --by-year with --select, --select-file,
 * --normalize, --smoothing or --plot. */
bool ngc_series_wanted(const ngc_config_t *cfg);
/* The options of cfg's series (totals borrowed). */
void ngc_series_opts(ngc_series_opts_t *o, const ngc_config_t *cfg,
                     const ngc_year_totals_t *totals);

/* NULL when out of memory. The options are copied. */
ngc_series_t *ngc_series_new(const ngc_series_opts_t *o);
void ngc_series_free(ngc_series_t *s);
/* Adds one row: key "ngram TAB YYYY" (a key without it is an error), its
 * counts. Any order; a (ngram, year) twice adds up. NGC_OK or NGC_ERROR
 * (out of memory, a bad key: err filled). */
int ngc_series_add(ngc_series_t *s, const char *key, size_t klen, uint64_t match, uint64_t volume,
                   char *err, size_t cap);
/*
 * Sorts the ngrams (byte order), fixes the range and computes every value.
 * NGC_OK, or NGC_ERROR with err filled: a year with a count and no total
 * (missing from the totals file, or 0 there), out of memory.
 */
int ngc_series_finish(ngc_series_t *s, char *err, size_t cap);

/* After finish: the ngrams, the range, and value v (0, or 1 with --count
 * both: volume) of ngram i in year y of the range. */
size_t ngc_series_count(const ngc_series_t *s);
const char *ngc_series_ngram(const ngc_series_t *s, size_t i, size_t *len);
uint32_t ngc_series_from(const ngc_series_t *s);
uint32_t ngc_series_to(const ngc_series_t *s);
unsigned ngc_series_values(const ngc_series_t *s);
double ngc_series_value(const ngc_series_t *s, size_t i, uint32_t y, unsigned v);
/* Whether the values are percent (--normalize). */
bool ngc_series_percent(const ngc_series_t *s);

/* The line format of the series' rows: cfg's layout, by year, the value
 * columns named match_count / match_mean (smoothed) / match_percent, the
 * same for volume. */
void ngc_series_line_format(const ngc_series_t *s, const ngc_config_t *cfg, ngc_line_format_t *lf);
/*
 * Formats row (i, y) with lf at dst (room: ngc_output_room(lf, ngram length
 * + 5)): integers when neither normalized nor smoothed, else decimals of 17
 * significant digits in positional notation (exact for a normalized count:
 * the rational rounded; a mean is computed in long double). Returns its length.
 */
size_t ngc_series_row(ngc_series_t *s, const ngc_line_format_t *lf, size_t i, uint32_t y,
                      char *dst);
/* Writes a long double as 17 significant digits, positional notation, no
 * trailing zeros; at most NGC_NORMALIZE_MAX bytes. Pure. */
size_t ngc_series_format(char *dst, long double v);

#endif
