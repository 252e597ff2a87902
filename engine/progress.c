/*
 * progress.c: progress is bytes consumed over bytes planned (tasks for
 * inputs of unknown size). The rate is taken over the whole run so far, so
 * the ETA does not jump around.
 */
#include "engine/ngc.h"
#include "engine/progress.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct ngc_progress_s {
    const ngc_plan_t *plan;
    const ngc_stats_t *st;
    struct timespec start;
    bool drawn;
};

static double ngc_progress_now(const struct timespec *since)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)(ts.tv_sec - since->tv_sec) + (double)(ts.tv_nsec - since->tv_nsec) / 1e9;
}

ngc_progress_t *ngc_progress_new(const ngc_plan_t *plan, const ngc_stats_t *st)
{
    ngc_progress_t *pg = calloc(1, sizeof(*pg));
    if (pg == NULL)
        return NULL;
    pg->plan = plan;
    pg->st = st;
    clock_gettime(CLOCK_MONOTONIC, &pg->start);
    return pg;
}

void ngc_progress_free(ngc_progress_t *pg)
{
    free(pg);
}

void ngc_progress_bytes(uint64_t n, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double v = (double)n;
    unsigned u = 0;
    while (v >= 1000 && u + 1 < NGC_NELEMS(units)) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%llu B", (unsigned long long)n);
    else
        snprintf(buf, cap, "%.*f %s", v < 10 ? 2 : v < 100 ? 1 : 0, v, units[u]);
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

void ngc_progress_draw(ngc_progress_t *pg, uint32_t tasks_done)
{
    ngc_stats_totals_t t;
    ngc_stats_read(pg->st, -1, &t);
    double secs = ngc_progress_now(&pg->start);
    uint64_t total = pg->plan->total_bytes;
    double frac = total > 0 ? (double)t.bytes / (double)total
                            : pg->plan->ntasks ? (double)tasks_done / pg->plan->ntasks : 0;
    if (frac > 1)
        frac = 1;
    char bar[32];
    unsigned width = 24, full = (unsigned)(frac * width);
    for (unsigned i = 0; i < width; i++)
        bar[i] = i < full ? '#' : '.';
    bar[width] = '\0';
    char done[16], rate[16], eta[32] = "";
    ngc_progress_bytes(t.bytes, done, sizeof(done));
    ngc_progress_bytes(secs > 0 ? (uint64_t)((double)t.bytes / secs) : 0, rate, sizeof(rate));
    if (frac > 0.01 && frac < 1) {
        double left = secs / frac - secs;
        snprintf(eta, sizeof(eta), " ETA %um%02us", (unsigned)(left / 60), (unsigned)left % 60);
    }
    char line[200];
    int n = snprintf(line, sizeof(line), "\r[%s] %3.0f%% %u/%u tasks %s %s/s %llu lines%s\033[K",
                     bar, frac * 100, tasks_done, pg->plan->ntasks, done, rate,
                     (unsigned long long)t.lines, eta);
    if (n > 0)
        ngc_progress_put(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
    pg->drawn = true;
}

void ngc_progress_clear(ngc_progress_t *pg)
{
    if (pg != NULL && pg->drawn) {
        ngc_progress_put("\r\033[K", 4);
        pg->drawn = false;
    }
}
