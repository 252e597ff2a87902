/*
 * runs.c: see runs.h. Sources read a sorted partition of the reduce table
 * or a run file (runfile.h) through one interface; a binary heap of them
 * merges in any order.
 */
#include "engine/base/ngc.h"
#include "engine/reduce/runs.h"
#include "engine/base/failpoint.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* --- reading finished partitions and runs, in order -------------------- */

int ngc_runs_source_next(ngc_runs_source_t *s)
{
    if (s->sp == NULL) {
        if (s->idx >= s->n)
            return NGC_EOF;
        ngc_counters_entry(s->c, s->part, s->idx++, &s->e);
        return NGC_OK;
    }
    if (s->ended)
        return NGC_EOF;
    if (s->r == NULL &&
        (s->r = ngc_run_reader_open(s->sp, s->name, s->error, sizeof(s->error))) == NULL)
        return NGC_ERROR;
    int rc = ngc_run_reader_next(s->r, &s->e);
    if (rc == NGC_ERROR)
        snprintf(s->error, sizeof(s->error), "%s", ngc_run_reader_error(s->r));
    if (rc == NGC_EOF) {
        /* Its descriptor is free for the next source. */
        ngc_run_reader_free(s->r);
        s->r = NULL;
        s->ended = true;
    }
    return rc;
}

const char *ngc_runs_source_error(const ngc_runs_source_t *s)
{
    return s->error;
}

/* Source s reads run `name`. */
static void ngc_source_run(ngc_runs_source_t *s, const ngc_counters_t *c, ngc_spill_t *sp,
                           unsigned part, const char *name)
{
    memset(s, 0, sizeof(*s));
    s->c = c;
    s->part = part;
    s->sp = sp;
    ngc_run_set_name(s->name, name);
}

int ngc_runs_sources_open(const ngc_counters_t *c, unsigned first, unsigned nparts, ngc_spill_t *sp,
                          ngc_runs_source_t **out, size_t *count, char *err, size_t cap)
{
    size_t n = 0, want = 0;
    for (unsigned p = first; p < first + nparts; p++)
        want += 1 + ngc_counters_finals(c, p);
    ngc_runs_source_t *s = calloc(want ? want : 1, sizeof(*s));
    *out = s;
    *count = 0;
    if (s == NULL) {
        snprintf(err, cap, "out of memory");
        return NGC_ERROR;
    }
    for (unsigned p = first; p < first + nparts; p++) {
        size_t cnt = ngc_counters_sorted_count(c, p);
        if (cnt > 0) {
            s[n] = (ngc_runs_source_t){.c = c, .part = p, .n = cnt};
            n++;
        }
        for (uint32_t f = 0; f < ngc_counters_finals(c, p); f++) {
            char name[NGC_RUN_NAME_MAX];
            ngc_run_name(name, p, NGC_RUN_FINAL, f);
            ngc_source_run(&s[n++], c, sp, p, name);
        }
    }
    *count = n;
    return NGC_OK;
}

void ngc_runs_sources_free(ngc_runs_source_t *s, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++)
        ngc_run_reader_free(s[i].r);
    free(s);
}

/* Moves heap[i] down the min-heap heap[0..n) to its place. Bottom-up: the
 * hole goes down to a leaf through the smaller children (one comparison a
 * level), then the entry climbs back; a source's next entry sorts after its
 * last, so it mostly belongs near the bottom and climbs little. */
static void ngc_sources_sift(ngc_runs_source_t **h, size_t n, size_t i, ngc_order_t order)
{
    ngc_runs_source_t *x = h[i];
    size_t top = i, j;
    while ((j = 2 * i + 1) < n) {
        if (j + 1 < n && ngc_counters_compare(&h[j + 1]->e, &h[j]->e, order) < 0)
            j++;
        h[i] = h[j];
        i = j;
    }
    while (i > top) {
        size_t parent = (i - 1) / 2;
        if (ngc_counters_compare(&x->e, &h[parent]->e, order) >= 0)
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = x;
}

int ngc_runs_heap(ngc_runs_source_t *src, size_t nsrc, ngc_order_t order, ngc_runs_source_t **heap,
                  size_t *n, char *err, size_t cap)
{
    *n = 0;
    for (size_t i = 0; i < nsrc; i++) {
        int rc = ngc_runs_source_next(&src[i]);
        if (rc == NGC_ERROR) {
            snprintf(err, cap, "%s", ngc_runs_source_error(&src[i]));
            return NGC_ERROR;
        }
        if (rc == NGC_OK)
            heap[(*n)++] = &src[i];
    }
    for (size_t i = *n / 2; i-- > 0;)
        ngc_sources_sift(heap, *n, i, order);
    return NGC_OK;
}

int ngc_runs_heap_advance(ngc_runs_source_t **heap, size_t *n, ngc_order_t order, char *err,
                          size_t cap)
{
    int rc = ngc_runs_source_next(heap[0]);
    if (rc == NGC_ERROR) {
        snprintf(err, cap, "%s", ngc_runs_source_error(heap[0]));
        return NGC_ERROR;
    }
    if (rc == NGC_EOF)
        heap[0] = heap[--*n];
    ngc_sources_sift(heap, *n, 0, order);
    return NGC_OK;
}

/* --- merging runs into runs -------------------------------------------- */

static const ngc_order_t ngc_runs_by_key = {NGC_COUNT_MATCH, NGC_SORT_NGRAM};

/* A key summed over every source of a by-key heap that holds it. */
typedef struct {
    ngc_entry_t e;
    char *key; /* e.key points here */
    size_t cap;
} ngc_runs_sum_t;

/* Takes the smallest key off the by-key heap, summed over every source
 * that holds it, into *sum. NGC_OK, or NGC_ERROR with err filled (a total
 * past 2^64-1, a damaged run, no memory). The heap is not empty. */
static int ngc_runs_next_sum(ngc_runs_source_t **heap, size_t *n, ngc_count_t count,
                             ngc_runs_sum_t *sum, char *err, size_t cap)
{
    const ngc_entry_t *e = &heap[0]->e;
    if (sum->cap < e->len) {
        size_t ncap = (size_t)e->len * 2 + 64;
        char *nk = realloc(sum->key, ncap);
        if (nk == NULL) {
            snprintf(err, cap, "out of memory merging spilled runs");
            return NGC_ERROR;
        }
        sum->key = nk;
        sum->cap = ncap;
    }
    memcpy(sum->key, e->key, e->len);
    sum->e = (ngc_entry_t){sum->key, e->len, 0, 0, e->prefix};
    while (*n > 0 && ngc_counters_compare(&heap[0]->e, &sum->e, ngc_runs_by_key) == 0) {
        if (!ngc_counters_add(count, &sum->e.match, &sum->e.volume, heap[0]->e.match,
                              heap[0]->e.volume)) {
            snprintf(err, cap, "the total of '%.*s' passes 2^64-1",
                     (int)(sum->e.len < 200 ? sum->e.len : 200), sum->key);
            return NGC_ERROR;
        }
        if (ngc_runs_heap_advance(heap, n, ngc_runs_by_key, err, cap) != NGC_OK)
            return NGC_ERROR;
    }
    return NGC_OK;
}

/*
 * Merges src[0..n) into run `name`: by key, summing equal keys, when `sum`;
 * else in `order`, keeping the first `top` entries when top > 0. Adds the
 * bytes written to *bytes. NGC_OK, or NGC_ERROR with err filled.
 */
static int ngc_runs_merge_to(ngc_spill_t *sp, ngc_runs_source_t *src, size_t n, ngc_order_t order,
                             bool sum, uint64_t top, const char *name, uint64_t *bytes, char *err,
                             size_t cap)
{
    ngc_runs_source_t **heap = malloc((n ? n : 1) * sizeof(*heap));
    ngc_run_writer_t *w = NULL;
    ngc_runs_sum_t s = {0};
    size_t live = 0;
    uint64_t written = 0, wrote = 0;
    int rc = NGC_ERROR;
    if (heap == NULL) {
        snprintf(err, cap, "out of memory merging spilled runs");
        goto out;
    }
    if ((w = ngc_run_writer_open(sp, name, err, cap)) == NULL ||
        ngc_runs_heap(src, n, sum ? ngc_runs_by_key : order, heap, &live, err, cap) != NGC_OK)
        goto out;
    rc = NGC_OK;
    while (rc == NGC_OK && live > 0 && (top == 0 || written < top)) {
        const ngc_entry_t *e = &heap[0]->e;
        if (sum) {
            if ((rc = ngc_runs_next_sum(heap, &live, order.count, &s, err, cap)) != NGC_OK)
                break;
            e = &s.e;
        }
        if (ngc_run_writer_add(w, e->key, e->len, e->match, e->volume) != NGC_OK) {
            snprintf(err, cap, "%s", ngc_run_writer_error(w));
            rc = NGC_ERROR;
            break;
        }
        written++;
        if (!sum)
            rc = ngc_runs_heap_advance(heap, &live, order, err, cap);
    }
    if (rc == NGC_OK && ngc_run_writer_close(w, &wrote) != NGC_OK) {
        snprintf(err, cap, "%s", ngc_run_writer_error(w));
        rc = NGC_ERROR;
    }
    *bytes += wrote;
out:
    ngc_run_writer_free(w);
    /* Free the group's descriptors now, whatever was left unread. */
    for (size_t i = 0; i < n; i++) {
        ngc_run_reader_free(src[i].r);
        src[i].r = NULL;
        src[i].ended = true;
    }
    free(heap);
    free(s.key);
    return rc;
}

/* Group g of `groups` groups of n items: [*lo, *hi), sizes within one. */
static void ngc_runs_group(size_t n, size_t groups, size_t g, size_t *lo, size_t *hi)
{
    *lo = n / groups * g + (g < n % groups ? g : n % groups);
    *hi = *lo + n / groups + (g < n % groups);
}

int ngc_runs_sources_bound(ngc_runs_source_t **srcp, size_t *count, ngc_spill_t *sp,
                           ngc_order_t order, uint64_t top, size_t fan_in, char *err, size_t cap)
{
    ngc_assert(fan_in >= 2);
    ngc_runs_source_t *src = *srcp;
    size_t n = *count;
    for (uint32_t pass = 1;; pass++) {
        /* Partitions in memory first, then the runs: one slice to group. */
        size_t mem = 0;
        for (size_t i = 0; i < n; i++)
            if (src[i].sp == NULL) {
                ngc_runs_source_t t = src[mem];
                src[mem++] = src[i];
                src[i] = t;
            }
        size_t runs = n - mem;
        if (runs <= fan_in)
            break;
        size_t groups = (runs + fan_in - 1) / fan_in;
        ngc_runs_source_t *next = calloc(mem + groups, sizeof(*next));
        if (next == NULL) {
            snprintf(err, cap, "out of memory merging spilled runs");
            return NGC_ERROR;
        }
        memcpy(next, src, mem * sizeof(*src));
        int rc = NGC_OK;
        uint64_t bytes = 0;
        for (size_t g = 0; g < groups && rc == NGC_OK; g++) {
            size_t lo, hi;
            ngc_runs_group(runs, groups, g, &lo, &hi);
            char name[NGC_RUN_NAME_MAX];
            int len = snprintf(name, sizeof(name), "o%u-%zu", pass, g);
            ngc_assert(len > 0 && (size_t)len < sizeof(name));
            rc = ngc_runs_merge_to(sp, src + mem + lo, hi - lo, order, false, top, name, &bytes,
                                   err, cap);
            /* The coordinator is their last reader. */
            for (size_t i = lo; i < hi; i++)
                ngc_run_remove(sp, src[mem + i].name);
            ngc_source_run(&next[mem + g], NULL, sp, 0, name);
        }
        if (rc != NGC_OK) {
            free(next);
            return rc;
        }
        ngc_runs_sources_free(src, n);
        *srcp = src = next;
        *count = n = mem + groups;
    }
    return NGC_OK;
}

/* --- finishing a spilled partition ------------------------------------ */

/* The entries of a count-ordered final run being gathered in memory. */
typedef struct {
    ngc_entry_t *e;
    size_t n, cap;
    char *keys;
    size_t used, keys_cap;
} ngc_runs_batch_t;

static int ngc_runs_batch_cmp(const void *x, const void *y, void *arg)
{
    return ngc_counters_compare(x, y, *(const ngc_order_t *)arg);
}

/* The final runs of the partition being finished, written one at a time. */
typedef struct {
    ngc_spill_t *sp;
    unsigned part;
    ngc_order_t order;
    uint64_t top;
    uint32_t nfinal; /* runs written whole */
    uint64_t bytes;
    ngc_run_writer_t *w; /* the run being written */
    char *err;
    size_t cap;
} ngc_runs_out_t;

static int ngc_runs_final_begin(ngc_runs_out_t *o)
{
    char name[NGC_RUN_NAME_MAX];
    ngc_run_name(name, o->part, NGC_RUN_FINAL, o->nfinal);
    o->w = ngc_run_writer_open(o->sp, name, o->err, o->cap);
    return o->w != NULL ? NGC_OK : NGC_ERROR;
}

static int ngc_runs_final_add(ngc_runs_out_t *o, const ngc_entry_t *e)
{
    if (ngc_run_writer_add(o->w, e->key, e->len, e->match, e->volume) == NGC_OK)
        return NGC_OK;
    snprintf(o->err, o->cap, "%s", ngc_run_writer_error(o->w));
    return NGC_ERROR;
}

static int ngc_runs_final_end(ngc_runs_out_t *o)
{
    uint64_t bytes = 0;
    int rc = ngc_run_writer_close(o->w, &bytes);
    if (rc != NGC_OK)
        snprintf(o->err, o->cap, "%s", ngc_run_writer_error(o->w));
    ngc_run_writer_free(o->w);
    o->w = NULL;
    o->bytes += bytes;
    o->nfinal += rc == NGC_OK;
    return rc;
}

/* Sorts the gathered entries into output order and writes them (at most
 * `top`: no later entry of this run could be printed) as the next run. */
static int ngc_runs_flush_batch(ngc_runs_out_t *o, ngc_runs_batch_t *b)
{
    if (b->n == 0)
        return NGC_OK;
    for (size_t i = 0; i < b->n; i++) /* offsets become pointers now keys stay put */
        b->e[i].key = b->keys + (uintptr_t)b->e[i].key;
    qsort_r(b->e, b->n, sizeof(*b->e), ngc_runs_batch_cmp, &o->order);
    size_t n = o->top != 0 && b->n > o->top ? (size_t)o->top : b->n;
    int rc = ngc_runs_final_begin(o);
    for (size_t i = 0; i < n && rc == NGC_OK; i++)
        rc = ngc_runs_final_add(o, &b->e[i]);
    if (rc == NGC_OK)
        rc = ngc_runs_final_end(o);
    b->n = b->used = 0;
    return rc;
}

static int ngc_runs_batch_add(ngc_runs_out_t *o, ngc_runs_batch_t *b, const ngc_entry_t *e,
                              size_t budget)
{
    if (b->n > 0 && (b->n + 1) * sizeof(*b->e) + b->used + e->len > budget &&
        ngc_runs_flush_batch(o, b) != NGC_OK)
        return NGC_ERROR;
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 4096;
        ngc_entry_t *ne = realloc(b->e, ncap * sizeof(*ne));
        if (ne == NULL)
            goto oom;
        b->e = ne;
        b->cap = ncap;
    }
    if (b->keys_cap - b->used < e->len) {
        size_t ncap = b->keys_cap ? b->keys_cap * 2 : (1u << 20);
        while (ncap - b->used < e->len)
            ncap *= 2;
        char *nk = realloc(b->keys, ncap);
        if (nk == NULL)
            goto oom;
        b->keys = nk;
        b->keys_cap = ncap;
    }
    memcpy(b->keys + b->used, e->key, e->len);
    b->e[b->n] = *e;
    b->e[b->n++].key = (const char *)(uintptr_t)b->used;
    b->used += e->len;
    return NGC_OK;
oom:
    snprintf(o->err, o->cap, "out of memory finishing partition %u", o->part);
    return NGC_ERROR;
}

/* The name of the run partition `part` reads at `pass` (0: its spills). */
static void ngc_runs_pass_name(char name[NGC_RUN_NAME_MAX], unsigned part, uint32_t pass,
                               size_t idx)
{
    if (pass == 0) {
        ngc_run_name(name, part, NGC_RUN_SPILL, (uint32_t)idx);
        return;
    }
    int n = snprintf(name, NGC_RUN_NAME_MAX, "p%02u-m%u-%zu", part, pass, idx);
    ngc_assert(n > 0 && n < NGC_RUN_NAME_MAX);
}

/* Removes the runs of `pass` (its n of them). */
static void ngc_runs_remove_pass(ngc_spill_t *sp, unsigned part, uint32_t pass, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char name[NGC_RUN_NAME_MAX];
        ngc_runs_pass_name(name, part, pass, i);
        ngc_run_remove(sp, name);
    }
}

/*
 * Merges the partition's spilled runs by key, fan_in at a time, into
 * intermediate runs until at most fan_in are left. Names are a function of
 * the run count and fan_in, so a retry after a death rewrites the same
 * files from the spills, which stay until the partition is published.
 * *pass and *n say what is left. NGC_OK, or NGC_ERROR with err filled.
 */
static int ngc_runs_reduce_fan_in(ngc_counters_t *c, unsigned part, ngc_spill_t *sp, size_t fan_in,
                                  uint32_t *pass, size_t *n, uint64_t *bytes, char *err, size_t cap)
{
    while (*n > fan_in) {
        size_t groups = (*n + fan_in - 1) / fan_in;
        ngc_runs_source_t *src = calloc(*n, sizeof(*src));
        if (src == NULL) {
            snprintf(err, cap, "out of memory finishing partition %u", part);
            return NGC_ERROR;
        }
        for (size_t i = 0; i < *n; i++) {
            char name[NGC_RUN_NAME_MAX];
            ngc_runs_pass_name(name, part, *pass, i);
            ngc_source_run(&src[i], c, sp, part, name);
        }
        int rc = NGC_OK;
        for (size_t g = 0; g < groups && rc == NGC_OK; g++) {
            size_t lo, hi;
            ngc_runs_group(*n, groups, g, &lo, &hi);
            char name[NGC_RUN_NAME_MAX];
            ngc_runs_pass_name(name, part, *pass + 1, g);
            rc = ngc_runs_merge_to(sp, src + lo, hi - lo, ngc_runs_by_key, true, 0, name, bytes,
                                   err, cap);
        }
        ngc_runs_sources_free(src, *n);
        if (rc != NGC_OK)
            return rc;
        if (*pass > 0) /* an intermediate pass's runs: made again by a retry */
            ngc_runs_remove_pass(sp, part, *pass, *n);
        (*pass)++;
        *n = groups;
    }
    return NGC_OK;
}

int ngc_runs_finish(ngc_counters_t *c, unsigned part, ngc_spill_t *sp, ngc_order_t order,
                    uint64_t min_count, uint64_t top, size_t budget, size_t fan_in, uint32_t task,
                    uint32_t attempt, uint64_t *bytes, char *err, size_t cap)
{
    uint32_t nr = ngc_counters_runs(c, part), pass = 0;
    size_t nsrc = nr;
    ngc_runs_out_t o = {.sp = sp, .part = part, .order = order, .top = top, .err = err, .cap = cap};
    ngc_runs_batch_t batch = {0};
    ngc_runs_sum_t sum = {0};
    ngc_runs_source_t *src = NULL;
    ngc_runs_source_t **heap = NULL;
    size_t n = 0;
    uint64_t distinct = 0;
    int rc = ngc_runs_reduce_fan_in(c, part, sp, fan_in, &pass, &nsrc, &o.bytes, err, cap);
    if (rc == NGC_OK) {
        src = calloc(nsrc ? nsrc : 1, sizeof(*src));
        heap = calloc(nsrc ? nsrc : 1, sizeof(*heap));
        if (src == NULL || heap == NULL) {
            snprintf(err, cap, "out of memory finishing partition %u", part);
            rc = NGC_ERROR;
        }
    }
    for (size_t i = 0; i < nsrc && rc == NGC_OK; i++) {
        char name[NGC_RUN_NAME_MAX];
        ngc_runs_pass_name(name, part, pass, i);
        ngc_source_run(&src[i], c, sp, part, name);
    }
    if (rc == NGC_OK)
        rc = ngc_runs_heap(src, nsrc, ngc_runs_by_key, heap, &n, err, cap);
    /* Key order is the runs' own order: it streams straight to one run. */
    if (rc == NGC_OK && order.sort == NGC_SORT_NGRAM)
        rc = ngc_runs_final_begin(&o);
    while (rc == NGC_OK && n > 0) {
        if ((rc = ngc_runs_next_sum(heap, &n, order.count, &sum, err, cap)) != NGC_OK)
            break;
        distinct++;
        if ((order.count == NGC_COUNT_VOLUME ? sum.e.volume : sum.e.match) < min_count)
            continue;
        rc = o.w != NULL ? ngc_runs_final_add(&o, &sum.e)
                         : ngc_runs_batch_add(&o, &batch, &sum.e, budget);
    }
    if (rc == NGC_OK)
        rc = o.w != NULL ? ngc_runs_final_end(&o) : ngc_runs_flush_batch(&o, &batch);
    /* The test's crash: the final runs are written, not yet published, and
     * the spilled runs they came from are still there for the retry. */
    if (rc == NGC_OK)
        ngc_failpoint_check(NGC_FP_CRASH_IN_SORT, task, attempt);
    if (rc == NGC_OK)
        ngc_counters_publish_final(c, part, o.nfinal, distinct);
    *bytes = o.bytes;
    ngc_run_writer_free(o.w);
    ngc_runs_sources_free(src, src != NULL ? nsrc : 0);
    if (rc == NGC_OK) {
        /* Published: the spills (and the last intermediate pass) are done with. */
        ngc_runs_remove_pass(sp, part, 0, nr);
        if (pass > 0)
            ngc_runs_remove_pass(sp, part, pass, nsrc);
    }
    free(heap);
    free(sum.key);
    free(batch.e);
    free(batch.keys);
    return rc;
}
