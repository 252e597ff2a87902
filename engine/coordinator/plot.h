/*
 * plot.h: --plot FILE.svg|FILE.png, the Viewer's chart of a series: one
 * line per ngram, years on x, the values on y (percent when normalized,
 * else counts), axes with ticks and labels, a legend, a title naming the
 * corpus files and the options. SVG is written as text here; PNG is drawn
 * with cairo (real anti-aliased lines and fonts), in builds that have it.
 */
#ifndef NGC_ENGINE_COORDINATOR_PLOT_H
#define NGC_ENGINE_COORDINATOR_PLOT_H

#include <stddef.h>

#include "engine/base/config.h"
#include "engine/coordinator/series.h"

/* Whether the chart can be written to path: its directory exists and is
 * writable, and path is not a directory or a read-only file. NGC_OK, or
 * NGC_ERROR after a message. Coordinator, before any work. */
int ngc_plot_check(const char *path);
/* The chart's title: the corpus files (as many by name as fit a line),
 * then after a newline the years of s (finished) and the options that
 * shaped it. */
void ngc_plot_title(const ngc_config_t *cfg, const ngc_series_t *s, char *dst, size_t cap);
/* Draws the first value of every ngram of s (finished) into path, SVG or
 * PNG by its suffix, replacing it. NGC_OK or NGC_ERROR after a message. */
int ngc_plot_write(const char *path, const ngc_series_t *s, const ngc_config_t *cfg,
                   const char *title);

#endif
