/*
 * pgload.c: COPY ... FROM STDIN in binary format, rows built in a large
 * buffer and handed to libpq in 256 KiB pieces. Binary rows spare the
 * server parsing (splitting fields, unescaping the key, reading digits):
 * the key goes as its bytes, the counts as 8-byte integers.
 */
#include "engine/base/ngc.h"
#include "workers/pgload.h"
#include "engine/base/config.h"
#include "engine/reduce/runs.h"
#include "engine/base/failpoint.h"
#include "engine/base/log.h"
#include "engine/base/digits.h"
#include "workers/pq.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NGC_PGLOAD_BUF (256u << 10)
#define NGC_PGLOAD_TRIES 4

struct ngc_pgload_s {
    char *dsn;
    char *stage;
    bool by_year;        /* keys "ngram TAB YYYY" go to (ngram, year) */
    bool shares;         /* --normalize: two share columns end a row */
    ngc_totals_t totals; /* their divisors */
    PGconn *conn;
    char *buf;
    size_t len;
};

ngc_pgload_t *ngc_pgload_new(const char *dsn, const char *stage, bool by_year,
                             const ngc_totals_t *shares)
{
    ngc_pgload_t *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->by_year = by_year;
    l->shares = shares != NULL;
    if (shares != NULL)
        l->totals = *shares;
    l->dsn = strdup(dsn);
    l->stage = strdup(stage);
    l->buf = malloc(NGC_PGLOAD_BUF + 2 * NGC_LINE_MAX * 2 + 128 + 2 * NGC_NORMALIZE_MAX);
    if (l->dsn == NULL || l->stage == NULL || l->buf == NULL) {
        ngc_pgload_free(l);
        return NULL;
    }
    return l;
}

void ngc_pgload_free(ngc_pgload_t *l)
{
    if (l == NULL)
        return;
    if (l->conn)
        ngc_pq.PQfinish(l->conn);
    free(l->dsn);
    free(l->stage);
    free(l->buf);
    free(l);
}

static int ngc_pgload_fail(ngc_pgload_t *l, char *err, size_t cap, const char *what)
{
    const char *msg = l->conn ? ngc_pq.PQerrorMessage(l->conn) : "out of memory";
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        n--;
    snprintf(err, cap, "PostgreSQL load: %s: %.*s", what, (int)n, msg);
    return NGC_ERROR;
}

static int ngc_pgload_exec(ngc_pgload_t *l, const char *sql, char *err, size_t cap)
{
    PGresult *r = ngc_pq.PQexec(l->conn, sql);
    int ok = ngc_pq.PQresultStatus(r) == PGRES_COMMAND_OK;
    ngc_pq.PQclear(r);
    return ok ? NGC_OK : ngc_pgload_fail(l, err, cap, sql);
}

static int ngc_pgload_flush(ngc_pgload_t *l, char *err, size_t cap)
{
    if (l->len > 0 && ngc_pq.PQputCopyData(l->conn, l->buf, (int)l->len) != 1)
        return ngc_pgload_fail(l, err, cap, "COPY failed");
    l->len = 0;
    return NGC_OK;
}

/* COPY's binary framing: the signature, flags and header extension
 * length; the trailer (a field count of -1). */
static const char ngc_pgload_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
static const char ngc_pgload_trailer[2] = "\377\377";

static char *ngc_pgload_be(char *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (char)(v >> (8 * (bytes - 1 - i)));
    return p + bytes;
}

/* A double precision column: the double the decimal --normalize prints
 * reads as (strtod rounds as the server's float8in does). */
static char *ngc_pgload_share(char *p, uint64_t count, uint64_t scale, uint64_t denom)
{
    char text[NGC_NORMALIZE_MAX + 1];
    text[ngc_normalize_format(text, count, scale, denom)] = '\0';
    double d = strtod(text, NULL);
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    p = ngc_pgload_be(p, 8, 4);
    return ngc_pgload_be(p, bits, 8);
}

/* Appends one row; NGC_ERROR for what the table cannot hold. */
static int ngc_pgload_row(ngc_pgload_t *l, const ngc_entry_t *e, char *err, size_t cap)
{
    if (e->match > INT64_MAX || e->volume > INT64_MAX) {
        snprintf(err, cap, "the total of '%.*s' is past PostgreSQL's bigint range",
                 (int)(e->len < 200 ? e->len : 200), e->key);
        return NGC_ERROR;
    }
    /* A by-year key ends in TAB and 4 digits: the ngram before the TAB,
     * the year to its column. */
    uint32_t klen = l->by_year && e->len > NGC_YEAR_SUFFIX ? e->len - NGC_YEAR_SUFFIX : e->len;
    if (memchr(e->key, 0, klen) != NULL) {
        snprintf(err, cap, "an ngram holds a NUL byte, which PostgreSQL text cannot");
        return NGC_ERROR;
    }
    char *p = l->buf + l->len;
    p = ngc_pgload_be(p, 3u + (klen != e->len) + 2u * l->shares, 2);
    p = ngc_pgload_be(p, klen, 4);
    memcpy(p, e->key, klen);
    p += klen;
    if (klen != e->len) {
        uint32_t year = 0;
        for (unsigned i = 1; i < NGC_YEAR_SUFFIX; i++)
            year = year * 10 + (uint32_t)(e->key[klen + i] - '0');
        p = ngc_pgload_be(p, 4, 4);
        p = ngc_pgload_be(p, year, 4);
    }
    p = ngc_pgload_be(p, 8, 4);
    p = ngc_pgload_be(p, e->match, 8);
    p = ngc_pgload_be(p, 8, 4);
    p = ngc_pgload_be(p, e->volume, 8);
    if (l->shares) {
        p = ngc_pgload_share(p, e->match, 1000000, l->totals.match);
        p = ngc_pgload_share(p, e->volume, 100, l->totals.volume);
    }
    l->len = (size_t)(p - l->buf);
    return l->len >= NGC_PGLOAD_BUF ? ngc_pgload_flush(l, err, cap) : NGC_OK;
}

/* One attempt: a transaction that claims the task in the stage's _done
 * table, then copies its rows. The claim waits for an earlier attempt's
 * transaction still open on the server, and finds a committed one: such a
 * task is not loaded again. */
static int ngc_pgload_once(ngc_pgload_t *l, const ngc_counters_t *c, ngc_spill_t *sp,
                           unsigned first, unsigned n, uint32_t task, uint32_t attempt,
                           bool first_try, char *err, size_t cap, bool *retriable)
{
    *retriable = true;
    if (ngc_pq_load() != NGC_OK) {
        *retriable = false;
        snprintf(err, cap, "%s", ngc_pq_error());
        return NGC_ERROR;
    }
    if (l->conn == NULL || ngc_pq.PQstatus(l->conn) != CONNECTION_OK) {
        if (l->conn == NULL)
            l->conn = ngc_pq.PQconnectdb(l->dsn);
        else
            ngc_pq.PQreset(l->conn);
        if (l->conn == NULL || ngc_pq.PQstatus(l->conn) != CONNECTION_OK)
            return ngc_pgload_fail(l, err, cap, "cannot connect");
        ngc_pq.PQsetNoticeProcessor(l->conn, NULL, NULL);
        PGresult *r = ngc_pq.PQexec(l->conn, "SET application_name = 'ngram-count worker'");
        ngc_pq.PQclear(r);
    }
    if (NGC_UNLIKELY(ngc_failpoint_armed(NGC_FP_STALL_IN_LOAD, task, attempt)))
        for (;;)
            pause();
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO %s_done VALUES (%u) ON CONFLICT DO NOTHING RETURNING task", l->stage,
             first);
    if (ngc_pgload_exec(l, "BEGIN", err, cap) != NGC_OK)
        goto fail;
    PGresult *r = ngc_pq.PQexec(l->conn, sql);
    if (ngc_pq.PQresultStatus(r) != PGRES_TUPLES_OK) {
        ngc_pq.PQclear(r);
        ngc_pgload_fail(l, err, cap, "cannot claim the load task");
        goto fail;
    }
    bool loaded = ngc_pq.PQntuples(r) == 0;
    ngc_pq.PQclear(r);
    if (loaded)
        return ngc_pgload_exec(l, "COMMIT", err, cap) == NGC_OK ? NGC_OK : NGC_ERROR;
    snprintf(sql, sizeof(sql),
             "COPY %s (ngram,%s match_count, volume_count%s) FROM STDIN (FORMAT binary)", l->stage,
             l->by_year ? " year," : "", l->shares ? ", match_per_million, volume_percent" : "");
    r = ngc_pq.PQexec(l->conn, sql);
    if (ngc_pq.PQresultStatus(r) != PGRES_COPY_IN) {
        ngc_pq.PQclear(r);
        ngc_pgload_fail(l, err, cap, "cannot start COPY");
        goto fail;
    }
    ngc_pq.PQclear(r);
    memcpy(l->buf, ngc_pgload_header, sizeof(ngc_pgload_header));
    l->len = sizeof(ngc_pgload_header);
    int rc = NGC_OK;
    size_t half = ngc_counters_sorted_count(c, first) / 2;
    for (unsigned part = first; part < first + n && rc == NGC_OK; part++) {
        /* A partition sorted in memory, or spilled and finished in runs. */
        ngc_runs_source_t *src;
        size_t nsrc, i = 0;
        if (ngc_runs_sources_open(c, part, 1, sp, &src, &nsrc, err, cap) != NGC_OK) {
            *retriable = false;
            rc = NGC_ERROR;
            break;
        }
        for (size_t k = 0; k < nsrc && rc == NGC_OK; k++) {
            int next;
            while (rc == NGC_OK && (next = ngc_runs_source_next(&src[k])) == NGC_OK) {
                rc = ngc_pgload_row(l, &src[k].e, err, cap);
                if (i++ == half && part == first) {
                    ngc_failpoint_check(NGC_FP_CRASH_IN_LOAD, task, attempt);
                    if (first_try && ngc_failpoint_armed(NGC_FP_DROP_IN_LOAD, task, attempt))
                        shutdown(ngc_pq.PQsocket(l->conn), SHUT_RDWR);
                }
            }
            if (rc == NGC_OK && next == NGC_ERROR) {
                snprintf(err, cap, "%s", ngc_runs_source_error(&src[k]));
                rc = NGC_ERROR;
            }
        }
        ngc_runs_sources_free(src, nsrc);
    }
    if (rc == NGC_OK) {
        memcpy(l->buf + l->len, ngc_pgload_trailer, sizeof(ngc_pgload_trailer));
        l->len += sizeof(ngc_pgload_trailer);
        rc = ngc_pgload_flush(l, err, cap);
    }
    if (rc != NGC_OK) {
        *retriable = ngc_pq.PQstatus(l->conn) != CONNECTION_OK;
        ngc_pq.PQputCopyEnd(l->conn, "ngram-count: load abandoned");
        while ((r = ngc_pq.PQgetResult(l->conn)) != NULL)
            ngc_pq.PQclear(r);
        goto fail;
    }
    if (ngc_pq.PQputCopyEnd(l->conn, NULL) != 1) {
        ngc_pgload_fail(l, err, cap, "cannot end COPY");
        goto fail;
    }
    bool ok = true;
    while ((r = ngc_pq.PQgetResult(l->conn)) != NULL) {
        if (ngc_pq.PQresultStatus(r) != PGRES_COMMAND_OK) {
            ok = false;
            ngc_pgload_fail(l, err, cap, "COPY failed");
        }
        ngc_pq.PQclear(r);
    }
    if (!ok || ngc_pgload_exec(l, "COMMIT", err, cap) != NGC_OK)
        goto fail;
    ngc_failpoint_check(NGC_FP_CRASH_AFTER_LOAD, task, attempt);
    return NGC_OK;

fail:
    /* A server error (bad data, a full disk) is final; a lost link is not. */
    if (ngc_pq.PQstatus(l->conn) == CONNECTION_OK) {
        *retriable = false;
        r = ngc_pq.PQexec(l->conn, "ROLLBACK");
        ngc_pq.PQclear(r);
    }
    return NGC_ERROR;
}

int ngc_pgload_partitions(ngc_pgload_t *l, const ngc_counters_t *c, ngc_spill_t *sp, unsigned first,
                          unsigned n, uint32_t task, uint32_t attempt, char *err, size_t cap)
{
    for (int i = 0; i < NGC_PGLOAD_TRIES; i++) {
        bool retriable;
        if (ngc_pgload_once(l, c, sp, first, n, task, attempt, i == 0, err, cap, &retriable) ==
            NGC_OK)
            return NGC_OK;
        if (!retriable || i + 1 == NGC_PGLOAD_TRIES)
            break;
        /* The connection dropped: back off 0.25 s, 0.5 s, 1 s and retry. */
        struct timespec ts = {0, 250000000L << i};
        if (i == 2)
            ts = (struct timespec){1, 0};
        ngc_log_warn(0, "%s; retrying in %ld ms", err,
                     (long)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000));
        nanosleep(&ts, NULL);
    }
    return NGC_ERROR;
}
