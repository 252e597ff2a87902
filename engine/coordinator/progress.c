/*
 * progress.c: each phase is timed on its own: the rate is an exponential
 * moving average of the recent rate (a time constant of 5 s), so the ETA
 * follows a phase that speeds up or slows down instead of the average since
 * the start. The line is cut to the terminal's width minus one, as a line
 * that reaches the last column wraps on some terminals.
 */
#include "engine/base/ngc.h"
#include "engine/coordinator/progress.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Seconds between redraws on a terminal, and between plain lines. */
#define NGC_PROGRESS_TTY_EVERY 0.2
#define NGC_PROGRESS_LINE_EVERY 5.0
/* The moving average's time constant, in seconds. */
#define NGC_PROGRESS_TAU 5.0

static volatile sig_atomic_t ngc_progress_winch;

struct ngc_progress_s {
    bool tty, dumb, drawn;
    unsigned width;
    size_t drawn_len;
    char phase[32];
    uint64_t total; /* the phase's total: a new one restarts the rate */
    double last_draw, last_t, rate;
    uint64_t last_done;
    bool have_rate;
};

static double ngc_progress_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void ngc_progress_on_winch(int sig)
{
    (void)sig;
    ngc_progress_winch = 1;
}

static unsigned ngc_progress_columns(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    long n = c != NULL ? strtol(c, NULL, 10) : 0;
    return n > 0 && n < 10000 ? (unsigned)n : 80;
}

ngc_progress_t *ngc_progress_new(bool tty)
{
    ngc_progress_t *pg = calloc(1, sizeof(*pg));
    if (pg == NULL)
        return NULL;
    pg->tty = tty;
    const char *term = getenv("TERM");
    pg->dumb = term == NULL || *term == '\0' || strcmp(term, "dumb") == 0;
    pg->last_draw = -1e9;
    if (tty) {
        pg->width = ngc_progress_columns();
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = ngc_progress_on_winch;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGWINCH, &sa, NULL);
    } else {
        pg->width = 100;
    }
    return pg;
}

void ngc_progress_free(ngc_progress_t *pg)
{
    free(pg);
}

void ngc_progress_bytes(uint64_t n, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)n;
    unsigned u = 0;
    while (v >= 1024 && u + 1 < NGC_NELEMS(units)) {
        v /= 1024;
        u++;
    }
    /* A whole number of its unit as such: --memory 32M is "32 MiB". */
    if (u == 0 || n % (1ull << (10 * u)) == 0)
        snprintf(buf, cap, "%llu %s", (unsigned long long)(n >> (10 * u)), units[u]);
    else
        snprintf(buf, cap, "%.*f %s", v < 10 ? 2 : v < 100 ? 1 : 0, v, units[u]);
}

/* "12.3M", "4.5K", "812" */
static void ngc_progress_count(uint64_t n, char *buf, size_t cap)
{
    if (n >= 1000000000)
        snprintf(buf, cap, "%.1fG", (double)n / 1e9);
    else if (n >= 1000000)
        snprintf(buf, cap, "%.1fM", (double)n / 1e6);
    else if (n >= 10000)
        snprintf(buf, cap, "%.1fK", (double)n / 1e3);
    else
        snprintf(buf, cap, "%llu", (unsigned long long)n);
}

static void ngc_progress_eta(double eta, char *buf, size_t cap)
{
    /* Rounded up: "0m00s" only once nothing is left, which is never shown. */
    double s = eta < 1 ? 1 : eta + 0.999;
    if (s >= 100 * 3600)
        snprintf(buf, cap, "ETA >99h");
    else if (s >= 3600)
        snprintf(buf, cap, "ETA %uh%02um", (unsigned)(s / 3600), (unsigned)(s / 60) % 60);
    else
        snprintf(buf, cap, "ETA %um%02us", (unsigned)(s / 60), (unsigned)s % 60);
}

size_t ngc_progress_format(const ngc_progress_state_t *s, double rate, double eta, unsigned width,
                           char *buf, size_t cap)
{
    /* The pieces in the order shown; kept by priority while they fit. */
    enum { P_PARTS, P_DONE, P_RATE, P_LINES, P_ETA, P_N };
    static const int prio[P_N] = {P_ETA, P_PARTS, P_RATE, P_DONE, P_LINES};
    char piece[P_N][48] = {{0}};
    char a[24], b[24];
    if (s->nparts > 0)
        snprintf(piece[P_PARTS], sizeof(piece[0]), "%u/%u %s", s->parts, s->nparts,
                 s->part_name != NULL ? s->part_name : "tasks");
    if (s->bytes) {
        ngc_progress_bytes(s->done, a, sizeof(a));
        if (s->total > 0) {
            ngc_progress_bytes(s->total, b, sizeof(b));
            snprintf(piece[P_DONE], sizeof(piece[0]), "%s/%s", a, b);
        } else {
            snprintf(piece[P_DONE], sizeof(piece[0]), "%s", a);
        }
        if (rate > 0) {
            ngc_progress_bytes((uint64_t)rate, a, sizeof(a));
            snprintf(piece[P_RATE], sizeof(piece[0]), "%s/s", a);
        }
    }
    if (s->lines > 0) {
        ngc_progress_count(s->lines, a, sizeof(a));
        snprintf(piece[P_LINES], sizeof(piece[0]), "%s lines", a);
    }
    if (eta >= 0)
        ngc_progress_eta(eta, piece[P_ETA], sizeof(piece[0]));

    /* Never 100% while drawn: the phase is over only when the next starts. */
    char pct[8] = " --%";
    if (s->total > 0) {
        uint64_t p = s->done >= s->total ? 99 : s->done * 100 / s->total;
        snprintf(pct, sizeof(pct), "%3u%%", (unsigned)(p > 99 ? 99 : p));
    }
    size_t avail = width > 1 ? width - 1 : 1;
    size_t used = strlen(s->phase) + 1 + strlen(pct);
    bool keep[P_N] = {false};
    /* After the ETA and the task count, a bar of at least 10 cells (" [" and
     * "]" around them), then the rest; the bar grows into what is left, up
     * to 30 cells. */
    size_t bar = 0;
    for (int i = 0; i < P_N; i++) {
        if (i == 2 && s->total > 0 && used + 13 <= avail) {
            bar = 13;
            used += bar;
        }
        size_t n = strlen(piece[prio[i]]);
        if (n > 0 && used + 1 + n <= avail) {
            keep[prio[i]] = true;
            used += 1 + n;
        }
    }
    unsigned cells = 0;
    if (bar > 0)
        cells = (unsigned)(10 + (avail - used < 20 ? avail - used : 20));

    size_t len = 0;
#define NGC_PROGRESS_PUT(...)                                                 \
    do {                                                                      \
        int n_ = snprintf(buf + len, len < cap ? cap - len : 0, __VA_ARGS__); \
        if (n_ > 0)                                                           \
            len = len + (size_t)n_ < cap ? len + (size_t)n_ : cap - 1;        \
    } while (0)
    NGC_PROGRESS_PUT("%s %s", s->phase, pct);
    if (cells > 0) {
        double frac = s->done >= s->total ? 1 : (double)s->done / (double)s->total;
        unsigned full = (unsigned)(frac * cells);
        if (full >= cells)
            full = cells - 1;
        NGC_PROGRESS_PUT(" [");
        for (unsigned i = 0; i < cells; i++)
            NGC_PROGRESS_PUT("%c", i < full ? '#' : '.');
        NGC_PROGRESS_PUT("]");
    }
    for (int i = 0; i < P_N; i++)
        if (keep[i])
            NGC_PROGRESS_PUT(" %s", piece[i]);
#undef NGC_PROGRESS_PUT
    if (len > avail)
        len = avail; /* a phase name longer than a tiny terminal */
    buf[len] = '\0';
    return len;
}

static void ngc_progress_put(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

void ngc_progress_update(ngc_progress_t *pg, const ngc_progress_state_t *s)
{
    if (pg == NULL)
        return;
    double now = ngc_progress_clock();
    bool fresh = strcmp(pg->phase, s->phase) != 0 || pg->total != s->total;
    if (fresh) {
        snprintf(pg->phase, sizeof(pg->phase), "%s", s->phase);
        pg->total = s->total;
        pg->last_t = now;
        pg->last_done = s->done;
        pg->have_rate = false;
        pg->rate = 0;
    } else if (now - pg->last_t >= 0.5) {
        double dt = now - pg->last_t;
        double inst = s->done >= pg->last_done ? (double)(s->done - pg->last_done) / dt : 0;
        /* alpha = dt / (dt + tau): close to 1 - exp(-dt / tau), no libm */
        pg->rate = pg->have_rate ? pg->rate + dt / (dt + NGC_PROGRESS_TAU) * (inst - pg->rate)
                                 : inst;
        pg->have_rate = true;
        pg->last_t = now;
        pg->last_done = s->done;
    }
    bool winch = ngc_progress_winch != 0;
    double every = pg->tty ? NGC_PROGRESS_TTY_EVERY : NGC_PROGRESS_LINE_EVERY;
    if (!fresh && !winch && now - pg->last_draw < every)
        return;
    pg->last_draw = now;
    if (winch) {
        ngc_progress_winch = 0;
        pg->width = ngc_progress_columns();
    }
    double eta = pg->have_rate && pg->rate > 0 && s->total > s->done
                     ? (double)(s->total - s->done) / pg->rate
                     : -1;
    char line[512];
    size_t n = ngc_progress_format(s, s->bytes ? pg->rate : 0, eta, pg->width, line + 1,
                                   sizeof(line) - 2);
    if (!pg->tty) {
        line[1 + n] = '\n';
        ngc_progress_put(line + 1, n + 1);
        return;
    }
    line[0] = '\r';
    char out[1100];
    size_t len = 0;
    if (winch && pg->drawn && !pg->dumb && pg->drawn_len >= pg->width) {
        /* A terminal that reflows (tmux, VTE) wrapped the old line at the
         * new width: go up to its first row and clear from there. */
        unsigned rows = (unsigned)((pg->drawn_len + pg->width - 1) / pg->width);
        int k = rows > 1 ? snprintf(out, 32, "\033[%uA", rows - 1) : 0;
        len = k > 0 ? (size_t)k : 0;
        memcpy(out + len, "\r\033[J", 4);
        len += 4;
    }
    memcpy(out + len, line, n + 1);
    len += n + 1;
    if (pg->dumb) {
        /* No escape codes: spaces over what the last line had more. */
        for (size_t i = n; i < pg->drawn_len && len < sizeof(out); i++)
            out[len++] = ' ';
    } else {
        memcpy(out + len, "\033[K", 3);
        len += 3;
    }
    ngc_progress_put(out, len);
    pg->drawn = true;
    pg->drawn_len = n;
}

void ngc_progress_clear(ngc_progress_t *pg)
{
    if (pg == NULL || !pg->drawn)
        return;
    if (pg->dumb) {
        char out[600];
        size_t len = 0;
        out[len++] = '\r';
        for (size_t i = 0; i < pg->drawn_len && len < sizeof(out) - 1; i++)
            out[len++] = ' ';
        out[len++] = '\r';
        ngc_progress_put(out, len);
    } else {
        ngc_progress_put("\r\033[K", 4);
    }
    pg->drawn = false;
    pg->drawn_len = 0;
}
