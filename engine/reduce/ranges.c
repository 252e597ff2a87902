/*
 * ranges.c: see ranges.h. Splitters are picked from a sample of every
 * partition (evenly spaced, as many from each as its share of the entries),
 * and every partition is cut at each splitter by binary search: each key
 * lives in one partition and the order is total, so the cut is exact and
 * each range's entry count is known before any worker starts.
 */
#include "engine/base/ngc.h"
#include "engine/reduce/ranges.h"
#include "engine/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define NGC_RANGES_MAGIC 0x73676e61526367ull /* "gcRangs" */
/* Samples per range: enough that ranges come out within a few percent. */
#define NGC_RANGES_SAMPLES 32
/* Windows start on this boundary, so each owns its pages: the hole punched
 * once it is written frees them whole. */
#define NGC_RANGES_ALIGN ((uint64_t)1 << 16)
/* The coordinator reads and writes a window this much at a time. */
#define NGC_RANGES_CHUNK ((uint64_t)1 << 20)

typedef struct {
    uint64_t magic;
    uint64_t n;
} ngc_ranges_head_t;

struct ngc_ranges_s {
    int fd;
    unsigned n;
    uint64_t total;
    ngc_range_t *r;
    uint64_t *bytes; /* each window's length, from its worker's DONE */
    bool *done;
    unsigned written; /* windows written out */
    char *buf;        /* NGC_RANGES_CHUNK bytes: a window read back */
};

static int ngc_ranges_cmp(const void *x, const void *y, void *arg)
{
    return ngc_counters_compare(x, y, *(const ngc_order_t *)arg);
}

/* The first index of part whose entry is not before s, in [lo, hi). */
static uint64_t ngc_ranges_bound(const ngc_counters_t *c, unsigned part, uint64_t lo, uint64_t hi,
                                 const ngc_entry_t *s, ngc_order_t order)
{
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        ngc_entry_t e;
        ngc_counters_entry(c, part, (size_t)mid, &e);
        if (ngc_counters_compare(&e, s, order) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Picks up to k-1 splitters into *out (sorted); returns how many. */
static size_t ngc_ranges_splitters(const ngc_counters_t *c, const uint64_t *n, uint64_t total,
                                   ngc_order_t order, unsigned k, ngc_entry_t **out)
{
    size_t want = (size_t)k * NGC_RANGES_SAMPLES, ns = 0;
    ngc_entry_t *s = calloc(want + NGC_COUNTERS_PARTS, sizeof(*s));
    *out = s;
    if (s == NULL)
        return 0;
    for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++) {
        if (n[p] == 0)
            continue;
        uint64_t m = (uint64_t)((unsigned __int128)n[p] * want / total) + 1;
        if (m > n[p])
            m = n[p];
        for (uint64_t j = 0; j < m; j++) {
            uint64_t idx = (uint64_t)((unsigned __int128)(2 * j + 1) * n[p] / (2 * m));
            ngc_counters_entry(c, p, (size_t)idx, &s[ns++]);
        }
    }
    qsort_r(s, ns, sizeof(*s), ngc_ranges_cmp, &order);
    size_t nsplit = 0;
    for (unsigned i = 1; i < k; i++)
        s[nsplit++] = s[(size_t)i * ns / k];
    return nsplit;
}

ngc_ranges_t *ngc_ranges_new(const ngc_counters_t *c, ngc_order_t order, uint64_t top, unsigned k,
                             bool gzip, const ngc_line_format_t *lf, char *err, size_t cap)
{
    ngc_ranges_t *r = calloc(1, sizeof(*r));
    ngc_entry_t *split = NULL;
    if (r == NULL)
        goto nomem;
    r->fd = -1;
    uint64_t n[NGC_COUNTERS_PARTS], total = 0;
    for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++) {
        n[p] = ngc_counters_sorted_count(c, p);
        total += n[p];
    }
    if (k == 0)
        k = 1;
    if (k > total)
        k = total > 0 ? (unsigned)total : 1;
    size_t nsplit = total > 0 ? ngc_ranges_splitters(c, n, total, order, k, &split) : 0;
    if (total > 0 && split == NULL)
        goto nomem;
    r->r = calloc(nsplit + 1, sizeof(*r->r));
    r->bytes = calloc(nsplit + 1, sizeof(*r->bytes));
    r->done = calloc(nsplit + 1, sizeof(*r->done));
    r->buf = malloc(NGC_RANGES_CHUNK);
    if (r->r == NULL || r->bytes == NULL || r->done == NULL || r->buf == NULL)
        goto nomem;
    uint64_t lo[NGC_COUNTERS_PARTS] = {0}, left = top ? top : UINT64_MAX;
    for (size_t i = 0; i <= nsplit && left > 0; i++) {
        ngc_range_t *g = &r->r[r->n];
        uint64_t count = 0;
        for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++) {
            uint64_t hi = i < nsplit ? ngc_ranges_bound(c, p, lo[p], n[p], &split[i], order) : n[p];
            g->lo[p] = lo[p];
            g->hi[p] = hi;
            count += hi - lo[p];
            lo[p] = hi;
        }
        if (count == 0)
            continue; /* two equal splitters */
        g->take = count < left ? count : left;
        g->gzip = gzip;
        left -= g->take;
        r->total += g->take;
        r->n++;
    }
    free(split);
    split = NULL;
    /* Windows: each large enough for its worst case (every key, however
     * long, is in the table; every number at its longest; deflate's
     * overhead), none of it used until written: the memfd is sparse. */
    uint64_t head = sizeof(ngc_ranges_head_t) + (uint64_t)r->n * sizeof(ngc_range_t);
    uint64_t off = (head + NGC_RANGES_ALIGN - 1) & ~(NGC_RANGES_ALIGN - 1);
    uint64_t keys = ngc_counters_capacity(c);
    /* A key's bytes grow by the output format (CSV quoting, JSON escapes). */
    uint64_t grow = (uint64_t)(ngc_output_room(lf, 1) - NGC_OUTPUT_LINE_EXTRA);
    for (unsigned i = 0; i < r->n; i++) {
        ngc_range_t *g = &r->r[i];
        uint64_t w;
        if (__builtin_mul_overflow(g->take, (uint64_t)NGC_OUTPUT_LINE_EXTRA, &w) ||
            __builtin_add_overflow(w, keys * grow, &w) ||
            __builtin_add_overflow(w, w / 1000 + 2 * NGC_RANGES_ALIGN, &w))
            goto toobig;
        g->off = off;
        g->cap = w & ~(NGC_RANGES_ALIGN - 1);
        if (__builtin_add_overflow(off, g->cap, &off) || off > (uint64_t)INT64_MAX)
            goto toobig;
    }
    r->fd = memfd_create("ngram-count-output", MFD_CLOEXEC);
    if (r->fd < 0) {
        snprintf(err, cap, "cannot create the output's memory file: %s", strerror(errno));
        goto fail;
    }
    ngc_ranges_head_t h = {NGC_RANGES_MAGIC, r->n};
    size_t recs = (size_t)r->n * sizeof(ngc_range_t);
    if (ftruncate(r->fd, (off_t)off) != 0 || pwrite(r->fd, &h, sizeof(h), 0) != sizeof(h) ||
        (recs > 0 && pwrite(r->fd, r->r, recs, sizeof(h)) != (ssize_t)recs)) {
        snprintf(err, cap, "cannot write the output's memory file: %s", strerror(errno));
        goto fail;
    }
    return r;

toobig:
    snprintf(err, cap, "the output's windows would be too large");
    goto fail;
nomem:
    snprintf(err, cap, "out of memory for the output's ranges");
fail:
    free(split);
    ngc_ranges_free(r);
    return NULL;
}

void ngc_ranges_free(ngc_ranges_t *r)
{
    if (r == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->r);
    free(r->bytes);
    free(r->done);
    free(r->buf);
    free(r);
}

unsigned ngc_ranges_count(const ngc_ranges_t *r)
{
    return r->n;
}

uint64_t ngc_ranges_total(const ngc_ranges_t *r)
{
    return r->total;
}

const ngc_range_t *ngc_ranges_get(const ngc_ranges_t *r, unsigned i)
{
    ngc_assert(i < r->n);
    return &r->r[i];
}

int ngc_ranges_dup_fd(const ngc_ranges_t *r)
{
    return fcntl(r->fd, F_DUPFD_CLOEXEC, 3);
}

bool ngc_ranges_done(ngc_ranges_t *r, unsigned i, uint64_t bytes, uint64_t lines)
{
    if (i >= r->n || r->done[i] || lines != r->r[i].take || bytes > r->r[i].cap)
        return false;
    r->bytes[i] = bytes;
    r->done[i] = true;
    return true;
}

bool ngc_ranges_finished(const ngc_ranges_t *r)
{
    return r->written == r->n;
}

/*
 * The windows are read into one buffer, not mapped: where the MMU is
 * virtualized by shadow page tables (as on the 2-core PVM guest the
 * benchmarks run on), each page a process touches first costs a trap, and
 * for a 417 MB output mapping cost the coordinator 0.2 s more CPU than the
 * extra copy of reading.
 */
int ngc_ranges_write(ngc_ranges_t *r, ngc_output_t *out)
{
    for (; r->written < r->n && r->done[r->written]; r->written++) {
        unsigned i = r->written;
        const ngc_range_t *g = &r->r[i];
        uint64_t done = 0; /* lines of the window written */
        for (uint64_t pos = 0; pos < r->bytes[i];) {
            uint64_t want = r->bytes[i] - pos < NGC_RANGES_CHUNK ? r->bytes[i] - pos
                                                                 : NGC_RANGES_CHUNK;
            ssize_t n = pread(r->fd, r->buf, (size_t)want, (off_t)(g->off + pos));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                ngc_log_user(n < 0 ? errno : EIO, "cannot read the formatted output");
                return NGC_ERROR;
            }
            /* The last chunk holds the window's other lines (a gzip
             * member's all count once it is whole). */
            uint64_t lines = pos + (uint64_t)n == r->bytes[i] ? g->take - done
                             : g->gzip                        ? 0
                                       : ngc_output_newlines(r->buf, (size_t)n);
            done += lines;
            int rc = ngc_output_put(out, r->buf, (size_t)n, lines);
            if (rc != NGC_OK)
                return rc;
            /* Written: its memory goes back (the output's pages are in
             * the page cache now, no need for a second copy). */
            fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(g->off + pos),
                      (off_t)n);
            pos += (uint64_t)n;
        }
    }
    return NGC_OK;
}

int ngc_ranges_read(int fd, uint64_t i, const ngc_counters_t *c, ngc_range_t *out, char *err,
                    size_t cap)
{
    ngc_ranges_head_t h;
    if (pread(fd, &h, sizeof(h), 0) != sizeof(h) || h.magic != NGC_RANGES_MAGIC || i >= h.n ||
        pread(fd, out, sizeof(*out), (off_t)(sizeof(h) + i * sizeof(*out))) != sizeof(*out)) {
        snprintf(err, cap, "cannot read output range %llu", (unsigned long long)i);
        return NGC_ERROR;
    }
    uint64_t count = 0;
    for (unsigned p = 0; p < NGC_COUNTERS_PARTS; p++) {
        if (out->lo[p] > out->hi[p] || out->hi[p] > ngc_counters_sorted_count(c, p)) {
            snprintf(err, cap, "output range %llu is outside partition %u", (unsigned long long)i,
                     p);
            return NGC_ERROR;
        }
        count += out->hi[p] - out->lo[p];
    }
    if (out->take > count || out->off % NGC_RANGES_ALIGN != 0 || out->gzip > 1) {
        snprintf(err, cap, "output range %llu is damaged", (unsigned long long)i);
        return NGC_ERROR;
    }
    return NGC_OK;
}
