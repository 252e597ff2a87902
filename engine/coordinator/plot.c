/*
 * plot.c: see plot.h. One layout (the chart's geometry, ticks, labels) is
 * computed once and drawn by two backends: SVG text, or cairo for PNG.
 * Text from the corpus goes out as valid UTF-8 (a byte that is not, or a
 * control byte, becomes U+FFFD), as XML and cairo both require.
 */
#include "engine/base/ngc.h"
#include "engine/coordinator/plot.h"
#include "engine/base/log.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef NGC_HAVE_CAIRO
#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include "engine/base/dlib.h"
#endif

#define NGC_PLOT_W 1000
#define NGC_PLOT_H 560
#define NGC_PLOT_LEFT 100.0
#define NGC_PLOT_RIGHT 230.0 /* the legend's column */
#define NGC_PLOT_TOP 56.0
#define NGC_PLOT_BOTTOM 64.0
#define NGC_PLOT_TICKS_MAX 24
/* Ngrams named in the legend; the lines beyond are drawn all the same. */
#define NGC_PLOT_LEGEND_MAX 24

/* The Viewer's palette, roughly: distinct on white. */
static const unsigned ngc_plot_colors[] = {0x3366cc, 0xdc3912, 0xff9900, 0x109618, 0x990099,
                                           0x0099c6, 0xdd4477, 0x66aa00, 0xb82e2e, 0x316395};

typedef struct {
    double x0, x1, y0, y1; /* the plot area in pixels */
    uint32_t from, to;
    double ymax;
    double xt[NGC_PLOT_TICKS_MAX], yt[NGC_PLOT_TICKS_MAX];
    unsigned nxt, nyt;
    unsigned ydec; /* decimals of the y labels */
    bool percent;
} ngc_plot_layout_t;

int ngc_plot_check(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            ngc_log_file(EISDIR, path, "cannot write the chart (--plot)");
            return NGC_ERROR;
        }
        if (access(path, W_OK) != 0) {
            ngc_log_file(errno, path, "cannot write the chart (--plot)");
            return NGC_ERROR;
        }
        return NGC_OK;
    }
    if (errno != ENOENT) {
        ngc_log_file(errno, path, "cannot write the chart (--plot)");
        return NGC_ERROR;
    }
    const char *slash = strrchr(path, '/');
    char *dir = slash == path ? strdup("/")
                : slash       ? strndup(path, (size_t)(slash - path))
                              : strdup(".");
    if (dir == NULL)
        return NGC_ERROR;
    int rc = NGC_OK;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0) {
        int err = errno;
        if (err == 0 || (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)))
            err = ENOTDIR;
        ngc_log_file(err, path, "cannot create the chart (--plot): its directory is not writable");
        rc = NGC_ERROR;
    }
    free(dir);
    return rc;
}

static void ngc_plot_append(char *dst, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void ngc_plot_append(char *dst, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < cap ? *len + (size_t)n : cap - 1;
}

void ngc_plot_title(const ngc_config_t *cfg, const ngc_series_t *s, char *dst, size_t cap)
{
    size_t len = 0;
    dst[0] = '\0';
    /* The files as fit on a line (about 110 characters), then the options
     * on a second line. */
    unsigned shown = 0;
    for (unsigned i = 0; i < cfg->ninputs; i++) {
        const char *base = strrchr(cfg->inputs[i], '/');
        base = base ? base + 1 : cfg->inputs[i];
        if (strcmp(base, "-") == 0)
            base = "standard input";
        if (shown > 0 && len + strlen(base) > 96)
            break;
        ngc_plot_append(dst, cap, &len, "%s%s", shown ? ", " : "", base);
        shown++;
    }
    if (shown < cfg->ninputs)
        ngc_plot_append(dst, cap, &len, " and %u more", cfg->ninputs - shown);
    const char *sep = "\n";
    if (ngc_series_count(s) > 0) {
        ngc_plot_append(dst, cap, &len, "%s%u..%u", sep, ngc_series_from(s), ngc_series_to(s));
        sep = "; ";
    }
    if (cfg->normalize != NULL) {
        const char *base = strrchr(cfg->normalize, '/');
        ngc_plot_append(dst, cap, &len, "%snormalized by %s", sep,
                        base ? base + 1 : cfg->normalize);
        sep = "; ";
    }
    if (cfg->smoothing_set) {
        ngc_plot_append(dst, cap, &len, "%ssmoothing %u", sep, cfg->smoothing);
        sep = "; ";
    }
    if (cfg->count == NGC_COUNT_VOLUME) {
        ngc_plot_append(dst, cap, &len, "%svolume counts", sep);
        sep = "; ";
    }
    if (cfg->fold_case) {
        ngc_plot_append(dst, cap, &len, "%scase folded", sep);
        sep = "; ";
    }
    if (cfg->pos == NGC_POS_STRIP)
        ngc_plot_append(dst, cap, &len, "%stags stripped", sep);
}

/* A step of 1, 2 or 5 times a power of ten that cuts span into about n. */
static double ngc_plot_step(double span, unsigned n)
{
    double raw = span / n;
    double mag = pow(10, floor(log10(raw)));
    double r = raw / mag;
    return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
}

static void ngc_plot_layout(ngc_plot_layout_t *L, const ngc_series_t *s)
{
    *L = (ngc_plot_layout_t){.x0 = NGC_PLOT_LEFT,
                             .x1 = NGC_PLOT_W - NGC_PLOT_RIGHT,
                             .y0 = NGC_PLOT_TOP,
                             .y1 = NGC_PLOT_H - NGC_PLOT_BOTTOM,
                             .from = ngc_series_from(s),
                             .to = ngc_series_to(s),
                             .percent = ngc_series_percent(s)};
    if (L->to <= L->from)
        L->to = L->from + 1;
    double max = 0;
    for (size_t i = 0; i < ngc_series_count(s); i++)
        for (uint32_t y = ngc_series_from(s); y <= ngc_series_to(s); y++) {
            double v = ngc_series_value(s, i, y, 0);
            max = v > max ? v : max;
        }
    double ys = max > 0 ? ngc_plot_step(max, 5) : 0.2;
    L->ymax = max > 0 ? ceil(max / ys) * ys : 1;
    for (double t = 0; t <= L->ymax * (1 + 1e-9) && L->nyt < NGC_PLOT_TICKS_MAX; t += ys)
        L->yt[L->nyt++] = t;
    L->ydec = ys >= 1 ? 0 : (unsigned)ceil(-log10(ys) - 1e-9);
    double xs = ngc_plot_step((double)(L->to - L->from), 8);
    if (xs < 1)
        xs = 1;
    for (double t = ceil(L->from / xs) * xs; t <= L->to && L->nxt < NGC_PLOT_TICKS_MAX; t += xs)
        L->xt[L->nxt++] = t;
}

static double ngc_plot_x(const ngc_plot_layout_t *L, double year)
{
    return L->x0 + (year - L->from) / (double)(L->to - L->from) * (L->x1 - L->x0);
}

static double ngc_plot_y(const ngc_plot_layout_t *L, double v)
{
    return L->y1 - v / L->ymax * (L->y1 - L->y0);
}

/* Corpus bytes as valid UTF-8 without controls (U+FFFD instead), and for
 * XML with &, <, >, " escaped; cut at about max bytes. */
static void ngc_plot_text(char *dst, size_t cap, const char *p, size_t n, bool xml)
{
    size_t len = 0;
    char *esc = malloc(6 * n + 2);
    if (esc == NULL) {
        dst[0] = '\0';
        return;
    }
    /* The JSON escaper knows valid UTF-8: what it leaves as a \u00XX or
     * \-escape is replaced here. */
    size_t m = ngc_output_json_string(esc, p, n);
    for (size_t i = 1; i + 1 < m && len + 8 < cap;) {
        if (esc[i] == '\\') {
            char c = esc[i + 1];
            if (c == 'u') {
                ngc_plot_append(dst, cap, &len, "\xef\xbf\xbd");
                i += 6;
                continue;
            }
            i++;
        }
        char c = esc[i++];
        if (xml && c == '&')
            ngc_plot_append(dst, cap, &len, "&amp;");
        else if (xml && c == '<')
            ngc_plot_append(dst, cap, &len, "&lt;");
        else if (xml && c == '>')
            ngc_plot_append(dst, cap, &len, "&gt;");
        else if (xml && c == '"')
            ngc_plot_append(dst, cap, &len, "&quot;");
        else
            dst[len++] = c;
    }
    dst[len < cap ? len : cap - 1] = '\0';
    free(esc);
}

static void ngc_plot_ylabel(const ngc_series_t *s, const ngc_config_t *cfg, char *dst, size_t cap)
{
    bool vol = cfg->count == NGC_COUNT_VOLUME;
    if (ngc_series_percent(s))
        snprintf(dst, cap, "%s (%% of all %s that year)%s", vol ? "books" : "frequency",
                 vol ? "books" : "words",
                 cfg->smoothing_set && cfg->smoothing > 0 ? ", smoothed" : "");
    else
        snprintf(dst, cap, "%s%s", vol ? "volume count" : "match count",
                 cfg->smoothing_set && cfg->smoothing > 0 ? " (moving mean)" : "");
}

static void ngc_plot_tick_label(const ngc_plot_layout_t *L, double v, char *dst, size_t cap)
{
    snprintf(dst, cap, "%.*f%s", (int)L->ydec, v, L->percent && v > 0 ? "%" : "");
}

static int ngc_plot_svg(FILE *f, const ngc_series_t *s, const ngc_config_t *cfg, const char *title)
{
    ngc_plot_layout_t L;
    ngc_plot_layout(&L, s);
    char text[1024], label[64];
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            NGC_PLOT_W, NGC_PLOT_H, NGC_PLOT_W, NGC_PLOT_H);
    const char *nl = strchr(title, '\n');
    size_t l1 = nl ? (size_t)(nl - title) : strlen(title);
    ngc_plot_text(text, sizeof(text), title, l1, true);
    fprintf(f, "<text x=\"%d\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n",
            NGC_PLOT_W / 2, text);
    if (nl != NULL) {
        ngc_plot_text(text, sizeof(text), nl + 1, strlen(nl + 1), true);
        fprintf(f, "<text x=\"%d\" y=\"41\" text-anchor=\"middle\">%s</text>\n", NGC_PLOT_W / 2,
                text);
    }
    /* Grid, ticks and labels. */
    fprintf(f, "<g stroke=\"#dddddd\" stroke-width=\"1\">\n");
    for (unsigned i = 0; i < L.nyt; i++)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", L.x0,
                ngc_plot_y(&L, L.yt[i]), L.x1, ngc_plot_y(&L, L.yt[i]));
    fprintf(f,
            "</g>\n<g stroke=\"#333333\" stroke-width=\"1\">\n"
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
            L.x0, L.y1, L.x1, L.y1, L.x0, L.y0, L.x0, L.y1);
    for (unsigned i = 0; i < L.nxt; i++)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                ngc_plot_x(&L, L.xt[i]), L.y1, ngc_plot_x(&L, L.xt[i]), L.y1 + 5);
    fprintf(f, "</g>\n<g fill=\"#333333\">\n");
    for (unsigned i = 0; i < L.nxt; i++)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n",
                ngc_plot_x(&L, L.xt[i]), L.y1 + 20, L.xt[i]);
    for (unsigned i = 0; i < L.nyt; i++) {
        ngc_plot_tick_label(&L, L.yt[i], label, sizeof(label));
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", L.x0 - 6,
                ngc_plot_y(&L, L.yt[i]) + 4, label);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">year</text>\n",
            (L.x0 + L.x1) / 2, L.y1 + 44);
    ngc_plot_ylabel(s, cfg, text, sizeof(text));
    fprintf(f,
            "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" "
            "transform=\"rotate(-90 18 %.1f)\">%s</text>\n</g>\n",
            (L.y0 + L.y1) / 2, (L.y0 + L.y1) / 2, text);
    /* One path per ngram, then the legend. */
    for (size_t i = 0; i < ngc_series_count(s); i++) {
        unsigned c = ngc_plot_colors[i % NGC_NELEMS(ngc_plot_colors)];
        fprintf(f, "<path fill=\"none\" stroke=\"#%06x\" stroke-width=\"2\" d=\"", c);
        for (uint32_t y = ngc_series_from(s); y <= ngc_series_to(s); y++)
            fprintf(f, "%s%.1f %.1f", y == ngc_series_from(s) ? "M" : " L", ngc_plot_x(&L, y),
                    ngc_plot_y(&L, ngc_series_value(s, i, y, 0)));
        fprintf(f, "\"/>\n");
    }
    for (size_t i = 0; i < ngc_series_count(s) && i < NGC_PLOT_LEGEND_MAX; i++) {
        unsigned c = ngc_plot_colors[i % NGC_NELEMS(ngc_plot_colors)];
        size_t n;
        const char *ng = ngc_series_ngram(s, i, &n);
        ngc_plot_text(text, 160, ng, n, true);
        double ly = L.y0 + 10 + 20.0 * (double)i;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#%06x\" "
                "stroke-width=\"3\"/>\n<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                L.x1 + 16, ly, L.x1 + 40, ly, c, L.x1 + 46, ly + 4, text);
    }
    if (ngc_series_count(s) == 0)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no ngram matched</text>\n",
                (L.x0 + L.x1) / 2, (L.y0 + L.y1) / 2);
    fprintf(f, "</svg>\n");
    return NGC_OK;
}

#ifdef NGC_HAVE_CAIRO
/* cairo and fontconfig, opened on first use (engine/base/dlib.h). */
#define NGC_PLOT_CAIRO_FUNCTIONS(X)  \
    X(cairo_create)                  \
    X(cairo_debug_reset_static_data) \
    X(cairo_destroy)                 \
    X(cairo_image_surface_create)    \
    X(cairo_line_to)                 \
    X(cairo_move_to)                 \
    X(cairo_paint)                   \
    X(cairo_restore)                 \
    X(cairo_rotate)                  \
    X(cairo_save)                    \
    X(cairo_select_font_face)        \
    X(cairo_set_font_size)           \
    X(cairo_set_line_join)           \
    X(cairo_set_line_width)          \
    X(cairo_set_source_rgb)          \
    X(cairo_show_text)               \
    X(cairo_status_to_string)        \
    X(cairo_stroke)                  \
    X(cairo_surface_destroy)         \
    X(cairo_surface_flush)           \
    X(cairo_surface_write_to_png)    \
    X(cairo_text_extents)            \
    X(cairo_translate)

static struct {
    NGC_PLOT_CAIRO_FUNCTIONS(NGC_DLIB_FIELD)
    NGC_DLIB_FIELD(FcFini)
} ngc_cairo;

#define NGC_PLOT_RESOLVE(fn) NGC_DLIB_RESOLVE(lib, ngc_cairo, fn, #fn);

static int ngc_plot_cairo_resolve(ngc_dlib_t *lib)
{
    NGC_PLOT_CAIRO_FUNCTIONS(NGC_PLOT_RESOLVE)
    return NGC_OK;
}

static int ngc_plot_fontconfig_resolve(ngc_dlib_t *lib)
{
    NGC_PLOT_RESOLVE(FcFini)
    return NGC_OK;
}
#undef NGC_PLOT_RESOLVE

static ngc_dlib_t ngc_plot_libcairo = NGC_DLIB_INIT(NGC_SONAME_CAIRO, "--plot FILE.png",
                                                    ngc_plot_cairo_resolve);
static ngc_dlib_t ngc_plot_libfontconfig = NGC_DLIB_INIT(NGC_SONAME_FONTCONFIG, "--plot FILE.png",
                                                         ngc_plot_fontconfig_resolve);

static void ngc_plot_cairo_rgb(cairo_t *cr, unsigned c)
{
    ngc_cairo.cairo_set_source_rgb(cr, (c >> 16) / 255.0, ((c >> 8) & 255) / 255.0,
                                   (c & 255) / 255.0);
}

/* Shows text with its anchor: 0 start, 1 middle, 2 end. */
static void ngc_plot_cairo_text(cairo_t *cr, double x, double y, const char *t, int anchor)
{
    cairo_text_extents_t ext;
    ngc_cairo.cairo_text_extents(cr, t, &ext);
    ngc_cairo.cairo_move_to(cr,
                            x - (anchor == 1   ? ext.x_advance / 2
                                 : anchor == 2 ? ext.x_advance
                                               : 0),
                            y);
    ngc_cairo.cairo_show_text(cr, t);
}

static int ngc_plot_png(const char *path, const ngc_series_t *s, const ngc_config_t *cfg,
                        const char *title)
{
    ngc_dlib_t *missing = ngc_dlib_load(&ngc_plot_libcairo) != NGC_OK ? &ngc_plot_libcairo
                          : ngc_dlib_load(&ngc_plot_libfontconfig) != NGC_OK
                              ? &ngc_plot_libfontconfig
                              : NULL;
    if (missing != NULL) {
        ngc_log_user(0, "%s", ngc_dlib_error(missing));
        return NGC_ERROR;
    }
    ngc_plot_layout_t L;
    ngc_plot_layout(&L, s);
    char text[1024], label[64];
    cairo_surface_t *sf = ngc_cairo.cairo_image_surface_create(CAIRO_FORMAT_RGB24, NGC_PLOT_W,
                                                               NGC_PLOT_H);
    cairo_t *cr = ngc_cairo.cairo_create(sf);
    ngc_cairo.cairo_set_source_rgb(cr, 1, 1, 1);
    ngc_cairo.cairo_paint(cr);
    ngc_cairo.cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                                     CAIRO_FONT_WEIGHT_NORMAL);
    ngc_cairo.cairo_set_font_size(cr, 15);
    ngc_plot_cairo_rgb(cr, 0x333333);
    const char *nl = strchr(title, '\n');
    size_t l1 = nl ? (size_t)(nl - title) : strlen(title);
    ngc_plot_text(text, sizeof(text), title, l1, false);
    ngc_plot_cairo_text(cr, NGC_PLOT_W / 2.0, 22, text, 1);
    ngc_cairo.cairo_set_font_size(cr, 13);
    if (nl != NULL) {
        ngc_plot_text(text, sizeof(text), nl + 1, strlen(nl + 1), false);
        ngc_plot_cairo_text(cr, NGC_PLOT_W / 2.0, 41, text, 1);
    }
    ngc_cairo.cairo_set_line_width(cr, 1);
    ngc_plot_cairo_rgb(cr, 0xdddddd);
    for (unsigned i = 0; i < L.nyt; i++) {
        double y = floor(ngc_plot_y(&L, L.yt[i])) + 0.5;
        ngc_cairo.cairo_move_to(cr, L.x0, y);
        ngc_cairo.cairo_line_to(cr, L.x1, y);
    }
    ngc_cairo.cairo_stroke(cr);
    ngc_plot_cairo_rgb(cr, 0x333333);
    ngc_cairo.cairo_move_to(cr, L.x0 + 0.5, L.y0);
    ngc_cairo.cairo_line_to(cr, L.x0 + 0.5, L.y1 + 0.5);
    ngc_cairo.cairo_line_to(cr, L.x1, L.y1 + 0.5);
    for (unsigned i = 0; i < L.nxt; i++) {
        double x = floor(ngc_plot_x(&L, L.xt[i])) + 0.5;
        ngc_cairo.cairo_move_to(cr, x, L.y1);
        ngc_cairo.cairo_line_to(cr, x, L.y1 + 5);
    }
    ngc_cairo.cairo_stroke(cr);
    for (unsigned i = 0; i < L.nxt; i++) {
        snprintf(label, sizeof(label), "%.0f", L.xt[i]);
        ngc_plot_cairo_text(cr, ngc_plot_x(&L, L.xt[i]), L.y1 + 20, label, 1);
    }
    for (unsigned i = 0; i < L.nyt; i++) {
        ngc_plot_tick_label(&L, L.yt[i], label, sizeof(label));
        ngc_plot_cairo_text(cr, L.x0 - 6, ngc_plot_y(&L, L.yt[i]) + 4, label, 2);
    }
    ngc_plot_cairo_text(cr, (L.x0 + L.x1) / 2, L.y1 + 44, "year", 1);
    ngc_plot_ylabel(s, cfg, text, sizeof(text));
    ngc_cairo.cairo_save(cr);
    ngc_cairo.cairo_translate(cr, 22, (L.y0 + L.y1) / 2);
    ngc_cairo.cairo_rotate(cr, -M_PI / 2);
    ngc_plot_cairo_text(cr, 0, 0, text, 1);
    ngc_cairo.cairo_restore(cr);
    ngc_cairo.cairo_set_line_width(cr, 2);
    ngc_cairo.cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (size_t i = 0; i < ngc_series_count(s); i++) {
        ngc_plot_cairo_rgb(cr, ngc_plot_colors[i % NGC_NELEMS(ngc_plot_colors)]);
        for (uint32_t y = ngc_series_from(s); y <= ngc_series_to(s); y++) {
            double px = ngc_plot_x(&L, y), py = ngc_plot_y(&L, ngc_series_value(s, i, y, 0));
            if (y == ngc_series_from(s))
                ngc_cairo.cairo_move_to(cr, px, py);
            else
                ngc_cairo.cairo_line_to(cr, px, py);
        }
        ngc_cairo.cairo_stroke(cr);
    }
    ngc_cairo.cairo_set_line_width(cr, 3);
    for (size_t i = 0; i < ngc_series_count(s) && i < NGC_PLOT_LEGEND_MAX; i++) {
        size_t n;
        const char *ng = ngc_series_ngram(s, i, &n);
        ngc_plot_text(text, 160, ng, n, false);
        double ly = L.y0 + 10 + 20.0 * (double)i;
        ngc_plot_cairo_rgb(cr, ngc_plot_colors[i % NGC_NELEMS(ngc_plot_colors)]);
        ngc_cairo.cairo_move_to(cr, L.x1 + 16, ly);
        ngc_cairo.cairo_line_to(cr, L.x1 + 40, ly);
        ngc_cairo.cairo_stroke(cr);
        ngc_plot_cairo_rgb(cr, 0x333333);
        ngc_plot_cairo_text(cr, L.x1 + 46, ly + 4, text, 0);
    }
    if (ngc_series_count(s) == 0)
        ngc_plot_cairo_text(cr, (L.x0 + L.x1) / 2, (L.y0 + L.y1) / 2, "no ngram matched", 1);
    ngc_cairo.cairo_destroy(cr);
    ngc_cairo.cairo_surface_flush(sf);
    cairo_status_t st = ngc_cairo.cairo_surface_write_to_png(sf, path);
    ngc_cairo.cairo_surface_destroy(sf);
    /* The font caches go too (one chart a run; LeakSanitizer sees them). */
    ngc_cairo.cairo_debug_reset_static_data();
    ngc_cairo.FcFini();
    if (st != CAIRO_STATUS_SUCCESS) {
        ngc_log_file(0, path, "cannot write the chart (--plot): %s",
                     ngc_cairo.cairo_status_to_string(st));
        return NGC_ERROR;
    }
    return NGC_OK;
}
#endif

int ngc_plot_write(const char *path, const ngc_series_t *s, const ngc_config_t *cfg,
                   const char *title)
{
    size_t n = strlen(path);
    if (n > 4 && strcmp(path + n - 4, ".png") == 0) {
#ifdef NGC_HAVE_CAIRO
        return ngc_plot_png(path, s, cfg, title);
#else
        ngc_log_user(0, "--plot .png needs cairo, which this build does not have");
        return NGC_ERROR;
#endif
    }
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        ngc_log_file(errno, path, "cannot write the chart (--plot)");
        return NGC_ERROR;
    }
    ngc_plot_svg(f, s, cfg, title);
    if (ferror(f) | (fclose(f) != 0)) {
        ngc_log_file(errno, path, "cannot write the chart (--plot)");
        unlink(path);
        return NGC_ERROR;
    }
    return NGC_OK;
}
