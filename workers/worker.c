/*
 * worker.c: the worker's event loop and its task state machine.
 *
 * DESIGN: the loop thread owns every task's state. A map task is a pipeline
 * of pool jobs: read jobs fill buffers (pread or inflate), parse jobs map
 * them into the task's private table, in order, one at a time, and a final
 * merge job adds the table into shared memory, partition by partition.
 * Reading runs up to NGC_TASK_BUFS buffers ahead of parsing, so even one
 * .gz stream keeps two threads busy. Each job's done callback, on the loop,
 * decides what to post next; no job ever waits for another, so any number
 * of threads works. A worker holds at most `threads` tasks at once.
 */
#include "engine/base/ngc.h"
#include "workers/worker.h"
#include "engine/ipc/channel.h"
#include "engine/base/failpoint.h"
#include "workers/format.h"
#include "engine/base/log.h"
#include "engine/reduce/runs.h"
#include "workers/combiner.h"
#include "workers/lines.h"
#include "workers/parse.h"
#include "workers/pgload.h"
#include "workers/reader.h"
#include "workers/render.h"
#include "workers/tpool.h"

#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NGC_TASK_BUFS 3
#define NGC_COMBINER_BUDGET_MIN (4u << 20)
#define NGC_COMBINER_BUDGET_MAX (16u << 20)
/* glibc's largest: blocks up to it come from the heap and are reused. */
#define NGC_WORKER_MMAP_THRESHOLD (32 << 20)
/* Free memory at a heap's top a worker keeps rather than trims. */
#define NGC_WORKER_TRIM_THRESHOLD (1 << 30)
/* A heap grows by this much more than asked: fewer, larger extensions. */
#define NGC_WORKER_TOP_PAD (64 << 20)

typedef struct ngc_worker_s ngc_worker_t;

typedef struct {
    ngc_worker_t *w;
    bool in_use;
    ngc_msg_task_t msg;
    ngc_reader_t *reader;
    ngc_combiner_t *map;
    ngc_parse_t parse;
    ngc_buf_t bufs[NGC_TASK_BUFS];
    unsigned order[NGC_TASK_BUFS]; /* filled buffers, oldest first */
    unsigned nfilled;
    unsigned nfree;
    unsigned free_bufs[NGC_TASK_BUFS];
    unsigned read_buf, parse_buf;
    int read_rc;
    int parse_rc;
    int merge_rc;
    ngc_fail_t merge_fail; /* why, when merge_rc is not NGC_OK */
    char merge_text[256];
    uint32_t batch; /* merges of this task so far */
    bool reading, parsing, merging, eof, failed;
    ngc_msg_failed_t fail;
    ngc_tpool_job_t read_job, parse_job, merge_job;
    /* sort tasks */
    unsigned sort_pending;
    void *sort_jobs; /* ngc_sort_job_t array */
    /* load tasks */
    ngc_pgload_t *pg; /* this task slot's connection, kept */
    int load_rc;
    ngc_tpool_job_t load_job;
    /* format tasks */
    int fmt_fd; /* the output's memfd, while the task runs */
    int fmt_rc;
    uint64_t fmt_bytes, fmt_lines;
    ngc_tpool_job_t fmt_job;
} ngc_wtask_t;

struct ngc_worker_s {
    unsigned slot;
    const ngc_config_t *cfg;
    const char *pg_stage;
    ngc_spill_t *spill;
    const ngc_line_format_t *line_format;
    const ngc_totals_t *pg_shares;
    pid_t coordinator;
    ngc_stats_t *stats;
    ngc_counters_t *counters;
    struct event_base *base;
    ngc_channel_t *ch;
    ngc_tpool_t *tp;
    ngc_wtask_t *tasks;
    unsigned ntasks;
    bool map_memory_released;
    bool stopping;
    int status;
};

static void ngc_worker_schedule(ngc_wtask_t *t);

static void ngc_worker_send_failed(ngc_wtask_t *t)
{
    ngc_msg_t msg = {.type = NGC_MSG_FAILED};
    msg.u.failed = t->fail;
    msg.u.failed.task_id = t->msg.task_id;
    if (ngc_channel_send(t->w->ch, &msg) != NGC_OK)
        event_base_loopbreak(t->w->base);
}

static void ngc_worker_fail(ngc_wtask_t *t, ngc_fail_t code, uint64_t line, const char *text)
{
    if (t->failed)
        return;
    t->failed = true;
    t->fail.code = code;
    t->fail.line = line;
    size_t n = strlen(text);
    if (n > NGC_MSG_TEXT_MAX)
        n = NGC_MSG_TEXT_MAX;
    memcpy(t->fail.text, text, n);
    t->fail.text[n] = '\0';
    t->fail.text_len = (uint32_t)n;
}

static void ngc_worker_task_end(ngc_wtask_t *t)
{
    ngc_reader_free(t->reader);
    t->reader = NULL;
    ngc_combiner_reset(t->map);
    free(t->sort_jobs);
    t->sort_jobs = NULL;
    if (t->fmt_fd >= 0)
        close(t->fmt_fd);
    t->fmt_fd = -1;
    t->in_use = false;
}

/* --- pool jobs: these run on pool threads and touch only their task --- */

static void ngc_worker_read_work(ngc_tpool_job_t *job)
{
    ngc_wtask_t *t = job->arg;
    t->read_rc = ngc_reader_next(t->reader, &t->bufs[t->read_buf]);
    uint64_t progress = ngc_reader_take_progress(t->reader);
    if (progress)
        ngc_stats_add(t->w->stats, t->w->slot, bytes, progress);
    if (t->read_rc != NGC_OK) {
        ngc_fetch_stats_t fs;
        ngc_reader_fetch_stats(t->reader, &fs); /* zeros unless a URL's transfer ended */
        ngc_stats_add(t->w->stats, t->w->slot, url_bytes, fs.bytes);
        ngc_stats_add(t->w->stats, t->w->slot, url_resumes, fs.resumes);
        ngc_stats_add(t->w->stats, t->w->slot, url_retries, fs.retries);
    }
}

/* The task's path for messages. */
static const char *ngc_worker_input_name(const ngc_wtask_t *t)
{
    return t->msg.kind == NGC_TASK_MAP_STDIN ? "standard input" : t->msg.path;
}

/* --format auto: decides the task's layout from the file's first lines.
 * A plain task whose first buffer may not hold them (it starts past 0, or
 * its range is short) reads them again (cheap: page cache), so every task
 * of a file decides alike; a stream decides on its first buffer, which
 * holds them (see ngc_reader_next): a pipe is never read twice. */
static int ngc_worker_detect(ngc_wtask_t *t, const ngc_buf_t *first)
{
    ngc_parse_t *ps = &t->parse;
    if (t->msg.kind == NGC_TASK_MAP_PLAIN && (t->msg.offset > 0 || first->len < NGC_FORMAT_HEAD)) {
        size_t cap = NGC_FORMAT_HEAD;
        for (;;) {
            char *head = malloc(cap);
            size_t n = 0;
            bool whole = false;
            if (head == NULL || ngc_reader_head(t->reader, head, cap, &n, &whole) != NGC_OK) {
                free(head);
                ps->fail = NGC_FAIL_INPUT;
                snprintf(ps->fail_text, sizeof(ps->fail_text), "%s: cannot read its first lines",
                         t->msg.path);
                return NGC_ERROR;
            }
            ps->format = ngc_format_detect(head, n, whole);
            bool has_line = memchr(head, '\n', n) != NULL;
            free(head);
            /* A first line longer than the head: read up to a whole one. */
            if (has_line || whole || cap > NGC_LINE_MAX)
                break;
            cap = NGC_LINE_MAX + 2;
        }
    } else {
        ps->format = ngc_format_detect(first->data, first->len, false);
    }
    if (ps->format != NGC_FORMAT_AUTO)
        return NGC_OK;
    ps->fail = NGC_FAIL_INPUT;
    snprintf(ps->fail_text, sizeof(ps->fail_text), "%.*s: " NGC_FORMAT_UNKNOWN, 150,
             ngc_worker_input_name(t));
    return NGC_ERROR;
}

/* Counts a spilled run in the worker's stats. Any thread. */
static void ngc_worker_count_spill(ngc_worker_t *w, uint64_t bytes)
{
    if (bytes > 0)
        ngc_stats_add(w->stats, w->slot, spills, 1);
    ngc_stats_add(w->stats, w->slot, spill_bytes, bytes);
}

/*
 * Adds the task's combiner table into shared memory as its next batch, and
 * empties it. NGC_OK, or NGC_ERROR with *why and text[0..cap) saying what
 * went wrong (a total over 2^64-1, a spill run that could not be written,
 * no memory). A batch too big for the table even emptied is written to disk
 * as a run. Pool thread.
 */
static int ngc_worker_merge_map(ngc_wtask_t *t, ngc_fail_t *why, char *text, size_t cap)
{
    size_t start[NGC_COUNTERS_PARTS + 1];
    if (ngc_combiner_count(t->map) == 0)
        return NGC_OK;
    const ngc_kv_t *kv = ngc_combiner_partitioned(t->map, start);
    if (kv == NULL) {
        *why = NGC_FAIL_INTERNAL;
        snprintf(text, cap, "out of memory for the combiner's batch");
        return NGC_ERROR;
    }
    uint32_t batch = ++t->batch;
    for (unsigned part = 0; part < NGC_COUNTERS_PARTS; part++) {
        size_t n = start[part + 1] - start[part];
        if (n == 0)
            continue;
        const ngc_kv_t *bad = NULL;
        int rc;
        /* A partition out of memory spills to disk and takes the batch
         * again. (Spilling others would not help: an emptied partition
         * keeps its memory for itself.) */
        for (int round = 0;; round++) {
            rc = ngc_counters_merge(t->w->counters, part, t->msg.task_id, batch, t->msg.attempt,
                                    kv + start[part], n, &bad);
            if (rc != NGC_FULL || round == 1)
                break;
            uint64_t bytes;
            if (ngc_counters_spill(t->w->counters, part, t->w->spill, &bytes, text, cap) !=
                NGC_OK) {
                *why = NGC_FAIL_SPILL;
                return NGC_ERROR;
            }
            ngc_worker_count_spill(t->w, bytes);
        }
        if (rc == NGC_FULL) {
            /* The batch alone does not fit (big keys, or a partition
             * whose memory is small): it goes to disk as a run of its
             * own, committed like a merge. */
            uint64_t bytes;
            if (ngc_counters_spill_batch(t->w->counters, part, t->msg.task_id, batch,
                                         t->msg.attempt, kv + start[part], n, t->w->spill, &bytes,
                                         text, cap) != NGC_OK) {
                *why = NGC_FAIL_SPILL;
                return NGC_ERROR;
            }
            ngc_worker_count_spill(t->w, bytes);
            rc = NGC_OK;
        }
        if (rc != NGC_OK) {
            *why = bad != NULL ? NGC_FAIL_OVERFLOW : NGC_FAIL_INTERNAL;
            if (bad != NULL)
                snprintf(text, cap, "the total of '%.*s' passes 2^64-1",
                         (int)(bad->len < 200 ? bad->len : 200), bad->key);
            else
                snprintf(text, cap, "cannot merge into the reduce table");
            return NGC_ERROR;
        }
    }
    ngc_stats_add(t->w->stats, t->w->slot, merged, ngc_combiner_count(t->map));
    ngc_combiner_reset(t->map);
    return NGC_OK;
}

/* The parser's callback when the combiner table is over its budget. */
static int ngc_worker_spill(ngc_parse_t *ps, ngc_combiner_t *m, void *arg)
{
    (void)m;
    if (ngc_worker_merge_map(arg, &ps->fail, ps->fail_text, sizeof(ps->fail_text)) == NGC_OK)
        return NGC_OK;
    /* A line of the input has nothing to do with a disk's trouble. */
    ps->fail_line = ps->fail == NGC_FAIL_SPILL ? 0 : ps->lines;
    return NGC_ERROR;
}

static void ngc_worker_parse_work(ngc_tpool_job_t *job)
{
    ngc_wtask_t *t = job->arg;
    ngc_parse_t *ps = &t->parse;
    uint64_t lines = ps->lines, malformed = ps->malformed, filtered = ps->filtered,
             dropped = ps->dropped, runs = ps->runs;
    const ngc_buf_t *b = &t->bufs[t->parse_buf];
    if (NGC_UNLIKELY(ngc_failpoint_armed(NGC_FP_STALL, t->msg.task_id, t->msg.attempt)))
        for (;;)
            pause(); /* a stuck thread: only --task-timeout ends this */
    if (ps->format == NGC_FORMAT_AUTO && ngc_worker_detect(t, b) != NGC_OK)
        t->parse_rc = NGC_ERROR;
    else
        t->parse_rc = ngc_lines_map(ps, b->data, b->len, t->map);
    ngc_failpoint_check(NGC_FP_CRASH_IN_MAP, t->msg.task_id, t->msg.attempt);
    ngc_stats_t *st = t->w->stats;
    unsigned slot = t->w->slot;
    ngc_stats_add(st, slot, lines, ps->lines - lines);
    ngc_stats_add(st, slot, malformed, ps->malformed - malformed);
    ngc_stats_add(st, slot, filtered, ps->filtered - filtered);
    ngc_stats_add(st, slot, dropped, ps->dropped - dropped);
    ngc_stats_add(st, slot, runs, ps->runs - runs);
}

static void ngc_worker_merge_work(ngc_tpool_job_t *job)
{
    ngc_wtask_t *t = job->arg;
    t->merge_rc = ngc_worker_merge_map(t, &t->merge_fail, t->merge_text, sizeof(t->merge_text));
}

typedef struct {
    ngc_tpool_job_t job;
    ngc_wtask_t *task;
    unsigned part;
    ngc_fail_t fail; /* 0, or why the partition could not be sorted */
    char err[512];
} ngc_sort_job_t;

static uint64_t ngc_worker_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void ngc_worker_sort_work(ngc_tpool_job_t *job)
{
    ngc_sort_job_t *sj = job->arg;
    ngc_worker_t *w = sj->task->w;
    const ngc_config_t *cfg = w->cfg;
    ngc_order_t order = ngc_counters_order_of(cfg);
    int rc = ngc_counters_sort(w->counters, sj->part, order, cfg->min_count, sj->task->msg.task_id,
                               sj->task->msg.attempt);
    if (rc == NGC_ERROR) {
        sj->fail = NGC_FAIL_INTERNAL;
        snprintf(sj->err, sizeof(sj->err), "cannot sort partition %u", sj->part);
    }
    if (rc != NGC_AGAIN)
        return;
    /* Spilled: the rest of the partition goes to disk too, and its runs
     * are merged into final runs. */
    uint64_t t0 = ngc_worker_now_ns(), bytes = 0;
    rc = ngc_counters_spill(w->counters, sj->part, w->spill, &bytes, sj->err, sizeof(sj->err));
    if (rc == NGC_OK) {
        ngc_worker_count_spill(w, bytes);
        /* A partition's share of --memory bounds each in-memory sort; the
         * descriptors bound how many runs each of the pool's threads
         * merges at once. */
        size_t budget = (size_t)(cfg->memory / NGC_COUNTERS_PARTS);
        rc = ngc_runs_finish(w->counters, sj->part, w->spill, order, cfg->min_count, cfg->top,
                             budget, ngc_spill_fan_in(cfg->threads), sj->task->msg.task_id,
                             sj->task->msg.attempt, &bytes, sj->err, sizeof(sj->err));
        ngc_stats_add(w->stats, w->slot, spill_bytes, bytes);
    }
    if (rc != NGC_OK)
        sj->fail = NGC_FAIL_SPILL;
    ngc_stats_add(w->stats, w->slot, run_merge_ns, ngc_worker_now_ns() - t0);
}

static void ngc_worker_load_work(ngc_tpool_job_t *job)
{
    ngc_wtask_t *t = job->arg;
    uint32_t id = t->msg.task_id, attempt = t->msg.attempt;
    if (NGC_UNLIKELY(ngc_failpoint_armed(NGC_FP_STALL, id, attempt)))
        for (;;)
            pause();
    t->load_rc = ngc_pgload_partitions(t->pg, t->w->counters, t->w->spill, (unsigned)t->msg.offset,
                                       (unsigned)t->msg.length, id, attempt, t->fail.text,
                                       sizeof(t->fail.text));
}

static void ngc_worker_format_work(ngc_tpool_job_t *job)
{
    ngc_wtask_t *t = job->arg;
    ngc_worker_t *w = t->w;
    ngc_range_t g = {.take = 0};
    char *err = t->fail.text;
    size_t cap = sizeof(t->fail.text);
    t->fmt_rc = ngc_ranges_read(t->fmt_fd, t->msg.offset, w->counters, &g, err, cap);
    if (t->fmt_rc == NGC_OK)
        t->fmt_rc = ngc_render_range(w->counters, ngc_counters_order_of(w->cfg), w->line_format,
                                     t->fmt_fd, &g, t->msg.task_id, t->msg.attempt, &t->fmt_bytes,
                                     err, cap);
    t->fmt_lines = g.take;
}

/* --- done callbacks: loop thread --- */

static void ngc_worker_beat(ngc_worker_t *w)
{
    ngc_stats_add(w->stats, w->slot, beats, 1);
}

static void ngc_worker_read_done(ngc_tpool_job_t *job)
{
    ngc_wtask_t *t = job->arg;
    ngc_worker_beat(t->w);
    t->reading = false;
    if (t->read_rc == NGC_OK) {
        t->order[t->nfilled++] = t->read_buf;
    } else {
        t->free_bufs[t->nfree++] = t->read_buf;
        t->eof = true;
        if (t->read_rc == NGC_ERROR)
            ngc_worker_fail(t, NGC_FAIL_INPUT, 0, ngc_reader_error(t->reader));
    }
    ngc_worker_schedule(t);
}

static void ngc_worker_parse_done(ngc_tpool_job_t *job)
{
    ngc_wtask_t *t = job->arg;
    ngc_worker_beat(t->w);
    t->parsing = false;
    t->free_bufs[t->nfree++] = t->parse_buf;
    if (t->parse_rc != NGC_OK) {
        ngc_parse_t *ps = &t->parse;
        ngc_worker_fail(t, ps->fail, ps->fail_line, ps->fail_text);
    }
    ngc_worker_schedule(t);
}

static void ngc_worker_send_done(ngc_wtask_t *t)
{
    ngc_msg_t msg = {.type = NGC_MSG_DONE};
    ngc_msg_done_t *d = &msg.u.done;
    d->task_id = t->msg.task_id;
    d->lines = t->parse.lines;
    d->malformed = t->parse.malformed;
    d->filtered = t->parse.filtered;
    d->dropped = t->parse.dropped;
    d->tokens = t->parse.tokens;
    d->format = t->parse.format;
    d->nsamples = t->parse.nsamples;
    memcpy(d->samples, t->parse.samples, sizeof(d->samples));
    if (t->msg.kind == NGC_TASK_FORMAT) {
        d->lines = t->fmt_lines;
        d->bytes = t->fmt_bytes;
    }
    uint32_t id = t->msg.task_id, attempt = t->msg.attempt;
    if (ngc_failpoint_armed(NGC_FP_CORRUPT_FRAME, id, attempt)) {
        uint8_t junk[NGC_MSG_HEADER] = {8, 0, 0, 0, NGC_MSG_VERSION + 7, NGC_MSG_DONE, 0, 0};
        ngc_channel_send_raw(t->w->ch, junk, sizeof(junk));
        return;
    }
    if (ngc_channel_send(t->w->ch, &msg) != NGC_OK)
        event_base_loopbreak(t->w->base);
    if (ngc_failpoint_armed(NGC_FP_CRASH_AFTER_SEND, id, attempt)) {
        ngc_channel_flush(t->w->ch);
        ngc_failpoint_check(NGC_FP_CRASH_AFTER_SEND, id, attempt);
    }
}

static void ngc_worker_merge_done(ngc_tpool_job_t *job)
{
    ngc_wtask_t *t = job->arg;
    ngc_worker_beat(t->w);
    t->merging = false;
    if (t->merge_rc != NGC_OK) {
        ngc_worker_fail(t, t->merge_fail, 0, t->merge_text);
    } else {
        ngc_stats_add(t->w->stats, t->w->slot, tasks, 1);
        ngc_worker_send_done(t);
    }
    if (t->failed)
        ngc_worker_send_failed(t);
    ngc_worker_task_end(t);
}

/* Ends a task this worker cannot run at all (an internal error). */
static void ngc_worker_reject(ngc_wtask_t *t, const char *text)
{
    ngc_worker_fail(t, NGC_FAIL_INTERNAL, 0, text);
    ngc_worker_send_failed(t);
    ngc_worker_task_end(t);
}

/* Ends a load or format task: DONE, or FAILED with the job's text. */
static void ngc_worker_phase_done(ngc_wtask_t *t, int rc, ngc_fail_t why)
{
    ngc_worker_beat(t->w);
    if (rc == NGC_OK) {
        ngc_worker_send_done(t);
    } else {
        char text[sizeof(t->fail.text)];
        memcpy(text, t->fail.text, sizeof(text));
        ngc_worker_fail(t, why, 0, text);
        ngc_worker_send_failed(t);
    }
    ngc_worker_task_end(t);
}

static void ngc_worker_load_done(ngc_tpool_job_t *job)
{
    ngc_wtask_t *t = job->arg;
    ngc_worker_phase_done(t, t->load_rc, NGC_FAIL_DATABASE);
}

static void ngc_worker_format_done(ngc_tpool_job_t *job)
{
    ngc_wtask_t *t = job->arg;
    ngc_worker_phase_done(t, t->fmt_rc, NGC_FAIL_INTERNAL);
}

static void ngc_worker_sort_done(ngc_tpool_job_t *job)
{
    ngc_sort_job_t *sj = job->arg;
    ngc_wtask_t *t = sj->task;
    ngc_worker_beat(t->w);
    if (sj->fail != 0)
        ngc_worker_fail(t, sj->fail, 0, sj->err);
    if (--t->sort_pending > 0)
        return;
    if (t->failed)
        ngc_worker_send_failed(t);
    else
        ngc_worker_send_done(t);
    ngc_worker_task_end(t);
}

/* Posts whatever the task can do next; ends it when nothing is left. */
static void ngc_worker_schedule(ngc_wtask_t *t)
{
    ngc_worker_t *w = t->w;
    if (t->failed) {
        /* Let jobs in flight finish, then report. */
        if (t->reading || t->parsing)
            return;
        ngc_worker_send_failed(t);
        ngc_worker_task_end(t);
        return;
    }
    if (!t->reading && !t->eof && t->nfree > 0) {
        t->read_buf = t->free_bufs[--t->nfree];
        t->reading = true;
        ngc_tpool_post(w->tp, &t->read_job);
    }
    if (!t->parsing && t->nfilled > 0) {
        t->parse_buf = t->order[0];
        memmove(t->order, t->order + 1, (t->nfilled - 1) * sizeof(t->order[0]));
        t->nfilled--;
        t->parsing = true;
        ngc_tpool_post(w->tp, &t->parse_job);
    }
    if (t->eof && !t->reading && !t->parsing && t->nfilled == 0 && !t->merging) {
        t->merging = true;
        ngc_tpool_post(w->tp, &t->merge_job);
    }
}

/*
 * The map phase is over once a sort, load or format task comes (the
 * coordinator starts them when every map task is done): the tasks' read
 * buffers and combiner tables go back to the system, so the sort's arrays
 * are not held on top of them (a job's peak memory is mostly at the start
 * of its sort phase). Measured, peak PSS of the 20 M-key 2-gram job: 817
 * -> 792 MB.
 */
static void ngc_worker_release_map_memory(ngc_worker_t *w)
{
    if (w->map_memory_released)
        return;
    w->map_memory_released = true;
    for (unsigned i = 0; i < w->ntasks; i++) {
        ngc_wtask_t *t = &w->tasks[i];
        if (t->in_use)
            continue;
        ngc_combiner_release(t->map);
        for (unsigned b = 0; b < NGC_TASK_BUFS; b++)
            ngc_buf_fini(&t->bufs[b]);
    }
    (void)malloc_trim(0);
}

/* fd: the input that came with the task, or -1; taken over. */
static void ngc_worker_start_task(ngc_worker_t *w, const ngc_msg_task_t *msg, int fd)
{
    if (msg->kind == NGC_TASK_SORT || msg->kind == NGC_TASK_LOAD || msg->kind == NGC_TASK_FORMAT)
        ngc_worker_release_map_memory(w);
    if (fd >= 0 && msg->kind != NGC_TASK_MAP_PLAIN && msg->kind != NGC_TASK_MAP_STREAM &&
        msg->kind != NGC_TASK_FORMAT) {
        close(fd); /* ngc_msg_decode lets none through */
        fd = -1;
    }
    ngc_wtask_t *t = NULL;
    for (unsigned i = 0; i < w->ntasks; i++)
        if (!w->tasks[i].in_use) {
            t = &w->tasks[i];
            break;
        }
    if (t == NULL) {
        if (fd >= 0)
            close(fd);
        ngc_log_error(0, "coordinator sent more tasks than this worker's %u threads", w->ntasks);
        w->status = 1;
        event_base_loopbreak(w->base);
        return;
    }
    ngc_failpoint_delay();
    t->in_use = true;
    t->msg = *msg;
    t->failed = t->eof = t->reading = t->parsing = t->merging = false;
    t->batch = 0;
    t->fail = (ngc_msg_failed_t){0};
    t->nfilled = 0;
    t->nfree = NGC_TASK_BUFS;
    for (unsigned i = 0; i < NGC_TASK_BUFS; i++)
        t->free_bufs[i] = i;
    ngc_parse_reset(&t->parse);
    if (msg->kind == NGC_TASK_SORT || msg->kind == NGC_TASK_LOAD) {
        unsigned first = (unsigned)msg->offset, n = (unsigned)msg->length;
        if (first >= NGC_COUNTERS_PARTS || n == 0 || n > NGC_COUNTERS_PARTS - first) {
            ngc_worker_reject(t, "task outside the partitions");
            return;
        }
    }
    if (msg->kind == NGC_TASK_FORMAT) {
        t->fmt_fd = fd;
        t->fmt_bytes = t->fmt_lines = 0;
        if (fd < 0 || w->line_format == NULL) {
            ngc_worker_reject(t, "no output set up");
            return;
        }
        ngc_tpool_post(w->tp, &t->fmt_job);
        return;
    }
    if (msg->kind == NGC_TASK_LOAD) {
        if (w->cfg->pg_dsn == NULL || w->pg_stage == NULL ||
            (t->pg == NULL && (t->pg = ngc_pgload_new(w->cfg->pg_dsn, w->pg_stage, w->cfg->by_year,
                                                      w->pg_shares)) == NULL)) {
            ngc_worker_reject(t, "no PostgreSQL load set up");
            return;
        }
        ngc_tpool_post(w->tp, &t->load_job);
        return;
    }
    if (msg->kind == NGC_TASK_SORT) {
        unsigned first = (unsigned)msg->offset, n = (unsigned)msg->length;
        ngc_sort_job_t *jobs = calloc(n, sizeof(*jobs));
        if (jobs == NULL) {
            ngc_worker_reject(t, "out of memory");
            return;
        }
        t->sort_jobs = jobs; /* freed at task end */
        t->sort_pending = n;
        for (unsigned i = 0; i < n; i++) {
            jobs[i] = (ngc_sort_job_t){.task = t, .part = first + i};
            jobs[i].job = (ngc_tpool_job_t){ngc_worker_sort_work, ngc_worker_sort_done, &jobs[i],
                                            NULL};
            ngc_tpool_post(w->tp, &jobs[i].job);
        }
        return;
    }
    t->reader = ngc_reader_new(msg, fd, w->cfg->inflate);
    if (t->reader == NULL) {
        ngc_worker_reject(t, "out of memory");
        return;
    }
    ngc_worker_schedule(t);
}

static void ngc_worker_on_msg(ngc_channel_t *ch, const ngc_msg_t *msg, void *arg)
{
    ngc_worker_t *w = arg;
    switch (msg->type) {
    case NGC_MSG_TASK:
        ngc_worker_start_task(w, &msg->u.task, ngc_channel_take_fd(ch));
        break;
    case NGC_MSG_STOP:
        w->stopping = true;
        event_base_loopbreak(w->base);
        break;
    default:
        ngc_log_error(0, "unexpected message type %d from the coordinator", (int)msg->type);
        w->status = 1;
        event_base_loopbreak(w->base);
        break;
    }
}

static void ngc_worker_on_close(ngc_channel_t *ch, const char *why, void *arg)
{
    (void)ch;
    ngc_worker_t *w = arg;
    if (why != NULL) {
        ngc_log_error(0, "channel to the coordinator broke: %s", why);
        w->status = 1;
    }
    /* EOF: the coordinator is gone; nobody wants our results. If it died
     * (we were handed to another parent), its spill directory goes too. */
    if (getppid() != w->coordinator)
        ngc_spill_remove(w->spill);
    w->stopping = true;
    event_base_loopbreak(w->base);
}

/* Each task's combiner table is bounded, so a worker's private memory is
 * too, whatever its input: a sixteenth of --memory over all tasks, between
 * 4 and 16 MiB each (a bigger one combined little more on raw text, and
 * its cache misses cost more than the merges it saved). */
static size_t ngc_worker_map_budget(const ngc_config_t *cfg)
{
    uint64_t b = cfg->memory / 16 / ((uint64_t)cfg->processes * cfg->threads);
    if (b < NGC_COMBINER_BUDGET_MIN)
        b = NGC_COMBINER_BUDGET_MIN;
    if (b > NGC_COMBINER_BUDGET_MAX)
        b = NGC_COMBINER_BUDGET_MAX;
    return (size_t)b;
}

static int ngc_worker_init_tasks(ngc_worker_t *w)
{
    w->ntasks = w->cfg->threads;
    w->tasks = calloc(w->ntasks, sizeof(*w->tasks));
    if (w->tasks == NULL)
        return NGC_ERROR;
    for (unsigned i = 0; i < w->ntasks; i++) {
        ngc_wtask_t *t = &w->tasks[i];
        t->w = w;
        t->map = ngc_combiner_new();
        if (t->map == NULL || ngc_parse_init(&t->parse, w->cfg) != NGC_OK)
            return NGC_ERROR;
        ngc_combiner_set_count(t->map, w->cfg->count);
        t->parse.spill = ngc_worker_spill;
        t->parse.spill_arg = t;
        t->parse.map_budget = ngc_worker_map_budget(w->cfg);
        t->read_job = (ngc_tpool_job_t){ngc_worker_read_work, ngc_worker_read_done, t, NULL};
        t->parse_job = (ngc_tpool_job_t){ngc_worker_parse_work, ngc_worker_parse_done, t, NULL};
        t->merge_job = (ngc_tpool_job_t){ngc_worker_merge_work, ngc_worker_merge_done, t, NULL};
        t->load_job = (ngc_tpool_job_t){ngc_worker_load_work, ngc_worker_load_done, t, NULL};
        t->fmt_job = (ngc_tpool_job_t){ngc_worker_format_work, ngc_worker_format_done, t, NULL};
        t->fmt_fd = -1;
    }
    return NGC_OK;
}

static void ngc_worker_free_tasks(ngc_worker_t *w)
{
    if (w->tasks == NULL)
        return;
    for (unsigned i = 0; i < w->ntasks; i++) {
        ngc_wtask_t *t = &w->tasks[i];
        ngc_reader_free(t->reader);
        ngc_combiner_free(t->map);
        ngc_parse_fini(&t->parse);
        free(t->sort_jobs);
        ngc_pgload_free(t->pg);
        for (unsigned b = 0; b < NGC_TASK_BUFS; b++)
            ngc_buf_fini(&t->bufs[b]);
    }
    free(w->tasks);
}

/*
 * Large blocks freed by a task (a partition's sort arrays, the read and
 * format buffers) stay in the process for the next one, not given back
 * with munmap or a trim and faulted in anew: where the MMU is virtualized
 * by shadow page tables (the 2-core PVM guest the benchmarks run on), a
 * page a process touches anew traps. Measured there: the 20 M-key 2-gram
 * file's sort phase 1.00 -> 0.85 s, 100 MB of text at order 3 9.5 -> 8.8 s,
 * peak PSS the same within 1%: what a worker keeps is what it held at its
 * peak.
 */
static void ngc_worker_keep_freed_memory(void)
{
    (void)mallopt(M_MMAP_THRESHOLD, NGC_WORKER_MMAP_THRESHOLD);
    (void)mallopt(M_TRIM_THRESHOLD, NGC_WORKER_TRIM_THRESHOLD);
    (void)mallopt(M_TOP_PAD, NGC_WORKER_TOP_PAD);
}

int ngc_worker_main(unsigned slot, int fd, void *arg)
{
    const ngc_worker_args_t *args = arg;
    char role[32];
    snprintf(role, sizeof(role), "worker/%u", slot);
    ngc_log_init(role, args->cfg->verbose >= 2 ? NGC_LOG_DEBUG
                       : args->cfg->verbose    ? NGC_LOG_INFO
                                               : NGC_LOG_WARN);
    ngc_worker_t w = {
        .slot = slot,
        .cfg = args->cfg,
        .pg_stage = args->pg_stage,
        .spill = args->spill,
        .line_format = args->line_format,
        .pg_shares = args->pg_shares,
        .coordinator = getppid(),
        .stats = ngc_shm_stats(args->shm),
        .counters = ngc_shm_counters(args->shm),
    };
    ngc_reader_fetch_config(w.cfg->max_retries, w.cfg->stall_timeout,
                            &w.stats->slot[slot].url_length);
    ngc_worker_keep_freed_memory();
    w.base = event_base_new();
    if (w.base == NULL) {
        ngc_log_error(0, "event_base_new() failed");
        close(fd);
        return 1;
    }
    w.ch = ngc_channel_new(w.base, fd, ngc_worker_on_msg, ngc_worker_on_close, &w);
    if (w.ch == NULL || ngc_worker_init_tasks(&w) != NGC_OK) {
        ngc_log_error(0, "cannot set up worker %u", slot);
        w.status = 1;
        goto done;
    }
    w.tp = ngc_tpool_new(w.base, w.cfg->threads);
    if (w.tp == NULL) {
        w.status = 1;
        goto done;
    }
    ngc_msg_t hello = {.type = NGC_MSG_HELLO};
    hello.u.hello = (ngc_msg_hello_t){slot, (uint32_t)getpid()};
    if (ngc_channel_send(w.ch, &hello) != NGC_OK) {
        w.status = 1;
        goto done;
    }
    ngc_log_debug("worker %u started with %u threads", slot, w.cfg->threads);
    event_base_dispatch(w.base);
    if (ngc_tpool_busy(w.tp) > 0) {
        /* Stopped mid-task (the job is being abandoned): don't wait for it. */
        return w.status;
    }

done:
    ngc_tpool_free(w.tp);
    ngc_worker_free_tasks(&w);
    ngc_channel_free(w.ch);
    event_base_free(w.base);
    return w.status;
}
