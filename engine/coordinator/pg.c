/*
 * pg.c: see pg.h. Every statement is checked; errors carry libpq's message.
 * The job's row is written with its own statements outside the final
 * transaction's failure path, so a failed job still leaves a 'failed' row.
 *
 * Rows are written once: with --pg-mode replace the workers COPY into a new
 * table of the target's shape, the primary key is built after the load (one
 * sorted build instead of a btree insert a row), and the final transaction
 * drops the old table and renames the new one into its place. Two advisory
 * locks, held by the coordinator's session: one per job (a 'running' job
 * whose lock is free was abandoned by a killed run, and the next job drops
 * its tables), one per target table (jobs writing the same table wait in
 * turn).
 */
#include "engine/base/ngc.h"
#include "engine/coordinator/pg.h"
#include "engine/base/log.h"

#include "engine/base/failpoint.h"
#include "workers/pq.h"

#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

/* The advisory locks' classes (their first key): "ngjb" and "ngtb" in
 * ASCII, written in decimal for SQL. */
#define NGC_PG_LOCK_JOB "1852271202"
#define NGC_PG_LOCK_TABLE "1852273762"

struct ngc_pg_s {
    const ngc_config_t *cfg;
    PGconn *conn;
    char dsn_shown[512];
    char *target;        /* quoted */
    char stage[40];      /* ngram_stage_<job id>, once created: needs no quotes */
    char job_id[24];     /* decimal, once recorded */
    uint64_t rows;       /* the job's distinct ngrams, to size the key's build */
    bool shares;         /* --normalize: the table has the two share columns */
    ngc_totals_t totals; /* their divisors */
};

/* libpq's reason for refusing a DSN, into buf without what it quotes: its
 * messages quote the whole URI or the token it choked on, either of which
 * may hold the password (and quotes of its own). So from the first quote
 * that is not one of libpq's punctuation marks ("]", "=", ":", "/") to the
 * last quote, all is left out. */
static void ngc_pg_dsn_reason(const char *why, char *buf, size_t cap)
{
    const char *last = strrchr(why, '"');
    size_t len = 0;
    for (const char *p = why; *p != '\0' && *p != '\n' && len + 5 < cap; p++) {
        if (*p == '"' && p[1] != '\0' && strchr("]=:/", p[1]) != NULL && p[2] == '"') {
            memcpy(buf + len, p, 3);
            len += 3;
            p += 2;
        } else if (*p == '"' && p < last) {
            memcpy(buf + len, "\"...\"", 5);
            len += 5;
            p = last;
        } else {
            buf[len++] = *p;
        }
    }
    buf[len] = '\0';
}

/* Where a DSN connects (host, port, user, database: never a password), as
 * key=value pairs into buf, for messages. NGC_ERROR when libpq cannot read
 * the DSN: buf then holds libpq's reason, without the DSN's text. */
static int ngc_pg_describe_dsn(const char *dsn, char *buf, size_t cap)
{
    /* libpq's own parser reads both forms (key=value and URI), so no
     * spelling of a password can slip through: only these keys are shown. */
    static const char *const shown[] = {"host", "hostaddr", "port", "user", "dbname"};
    char *why = NULL;
    PQconninfoOption *opts = ngc_pq.PQconninfoParse(dsn, &why);
    if (opts == NULL) {
        ngc_pg_dsn_reason(why != NULL ? why : "out of memory", buf, cap);
        ngc_pq.PQfreemem(why);
        return NGC_ERROR;
    }
    size_t len = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < sizeof(shown) / sizeof(shown[0]); k++) {
        for (const PQconninfoOption *o = opts; o->keyword != NULL; o++) {
            if (strcmp(o->keyword, shown[k]) != 0 || o->val == NULL || *o->val == '\0')
                continue;
            int n = snprintf(buf + len, cap - len, "%s%s=%s", len ? " " : "", o->keyword, o->val);
            if (n > 0 && (size_t)n < cap - len)
                len += (size_t)n;
        }
    }
    if (len == 0)
        snprintf(buf, cap, "PG* environment");
    ngc_pq.PQconninfoFree(opts);
    return NGC_OK;
}

static void ngc_pg_error(ngc_pg_t *pg, const char *what)
{
    const char *msg = pg->conn ? ngc_pq.PQerrorMessage(pg->conn) : "out of memory";
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    ngc_log_user(0, "PostgreSQL (%s): %s: %.*s", pg->dsn_shown, what, (int)n, msg);
}

/* Runs a statement with text parameters; NULL after a message. */
static PGresult *ngc_pg_exec(ngc_pg_t *pg, const char *what, const char *sql, int nparams,
                             const char *const *params)
{
    PGresult *r = ngc_pq.PQexecParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = ngc_pq.PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        ngc_pg_error(pg, what);
        ngc_pq.PQclear(r);
        return NULL;
    }
    return r;
}

static int ngc_pg_run(ngc_pg_t *pg, const char *what, const char *sql, int nparams,
                      const char *const *params)
{
    PGresult *r = ngc_pg_exec(pg, what, sql, nparams, params);
    ngc_pq.PQclear(r);
    return r ? NGC_OK : NGC_ERROR;
}

/* Runs a statement built around already quoted identifiers (values never
 * go through here: they are parameters). */
static int ngc_pg_runf(ngc_pg_t *pg, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int ngc_pg_runf(ngc_pg_t *pg, const char *what, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    ngc_assert(n > 0 && (size_t)n < sizeof(sql)); /* identifiers are at most 63 bytes */
    return ngc_pg_run(pg, what, sql, 0, NULL);
}

ngc_pg_t *ngc_pg_connect(const ngc_config_t *cfg)
{
    if (ngc_pq_load() != NGC_OK) {
        ngc_log_user(0, "%s", ngc_pq_error());
        return NULL;
    }
    ngc_pg_t *pg = calloc(1, sizeof(*pg));
    if (pg == NULL)
        return NULL;
    pg->cfg = cfg;
    /* A DSN libpq cannot read is not given to PQconnectdb(): its error
     * message would quote the DSN, password and all. */
    if (ngc_pg_describe_dsn(cfg->pg_dsn, pg->dsn_shown, sizeof(pg->dsn_shown)) != NGC_OK) {
        ngc_log_user(0, "PostgreSQL: cannot read the --pg DSN: %s", pg->dsn_shown);
        ngc_pg_free(pg);
        return NULL;
    }
    pg->conn = ngc_pq.PQconnectdb(cfg->pg_dsn);
    if (pg->conn == NULL || ngc_pq.PQstatus(pg->conn) != CONNECTION_OK) {
        ngc_pg_error(pg, "cannot connect");
        ngc_pg_free(pg);
        return NULL;
    }
    ngc_pq.PQsetNoticeProcessor(pg->conn, NULL, NULL);
    PGresult *r = ngc_pq.PQexec(pg->conn, "SET client_min_messages = warning");
    ngc_pq.PQclear(r);
    pg->target = ngc_pq.PQescapeIdentifier(pg->conn, cfg->pg_table, strlen(cfg->pg_table));
    if (pg->target == NULL) {
        ngc_pg_error(pg, "cannot quote --pg-table");
        ngc_pg_free(pg);
        return NULL;
    }
    /* Both shares go to the table whatever --count prints: both divisors
     * must be there, checked before any work. */
    pg->shares = cfg->normalize != NULL;
    if (pg->shares && ngc_normalize_load(cfg->normalize, cfg->from_year, cfg->to_year,
                                         NGC_COUNT_BOTH, &pg->totals) != NGC_OK) {
        ngc_pg_free(pg);
        return NULL;
    }
    return pg;
}

void ngc_pg_free(ngc_pg_t *pg)
{
    if (pg == NULL)
        return;
    if (pg->target)
        ngc_pq.PQfreemem(pg->target);
    if (pg->conn)
        ngc_pq.PQfinish(pg->conn);
    free(pg);
}

static const char ngc_pg_jobs_ddl[] =
    "CREATE TABLE IF NOT EXISTS ngram_jobs ("
    " id bigserial PRIMARY KEY,"
    " started timestamptz NOT NULL DEFAULT now(),"
    " finished timestamptz,"
    " inputs text NOT NULL,"
    " options text NOT NULL,"
    " target text NOT NULL,"
    " mode text NOT NULL,"
    " lines bigint,"
    " distinct_ngrams bigint,"
    " malformed_lines bigint,"
    " status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),"
    " error text)";

/* --by-year: the year column (between ngram and the counts) and the key. */
#define NGC_PG_YEAR(pg) ((pg)->cfg->by_year ? " year," : "")
#define NGC_PG_KEY(pg) ((pg)->cfg->by_year ? "ngram, year" : "ngram")
/* --normalize: the shares after the counts, as --normalize prints them. */
#define NGC_PG_SHARES_DDL(pg)                                        \
    ((pg)->shares ? ", match_per_million double precision NOT NULL," \
                    " volume_percent double precision NOT NULL"      \
                  : "")
#define NGC_PG_SHARES(pg) ((pg)->shares ? ", match_per_million, volume_percent" : "")

const ngc_totals_t *ngc_pg_totals(const ngc_pg_t *pg)
{
    return pg != NULL && pg->shares ? &pg->totals : NULL;
}

/* The target exists with exactly our shape, or does not exist (created).
 * A new target's ngrams are in byte order (COLLATE "C"), as --sort ngram
 * prints them: the key builds from byte comparisons with abbreviated keys,
 * not the locale's, and a prefix search (LIKE 'abc%') can use it. An
 * existing target keeps its collation: the tables that replace it or add to
 * it are made LIKE it. */
static int ngc_pg_check_target(ngc_pg_t *pg)
{
    bool by_year = pg->cfg->by_year;
    if (ngc_pg_runf(pg, "cannot create the target table",
                    "CREATE TABLE IF NOT EXISTS %s (ngram text COLLATE \"C\" NOT NULL,%s"
                    " match_count bigint NOT NULL, volume_count bigint NOT NULL%s,"
                    " PRIMARY KEY (%s))",
                    pg->target, by_year ? " year integer NOT NULL," : "", NGC_PG_SHARES_DDL(pg),
                    NGC_PG_KEY(pg)) != NGC_OK)
        return NGC_ERROR;
    const char *params[] = {pg->target, by_year ? "2" : "1"};
    PGresult *r = ngc_pg_exec(
        pg, "cannot inspect the target table",
        "SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||"
        " CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum),"
        " (SELECT count(*) FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique"
        "  AND i.indnkeyatts = $2::int AND i.indkey[0] = (SELECT attnum FROM pg_attribute"
        "  WHERE attrelid = $1::regclass AND attname = 'ngram')"
        "  AND ($2::int = 1 OR i.indkey[1] = (SELECT attnum FROM pg_attribute"
        "  WHERE attrelid = $1::regclass AND attname = 'year')))"
        " FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0"
        " AND NOT a.attisdropped",
        2, params);
    if (r == NULL)
        return NGC_ERROR;
    const char *shape = ngc_pq.PQgetvalue(r, 0, 0);
    char want[256];
    snprintf(want, sizeof(want), "%s%s",
             by_year ? "ngram text not null, year integer not null, match_count "
                       "bigint not null, volume_count bigint not null"
                     : "ngram text not null, match_count bigint not null, "
                       "volume_count bigint not null",
             pg->shares ? ", match_per_million double precision not null, volume_percent "
                          "double precision not null"
                        : "");
    int ok = strcmp(shape, want) == 0 && strcmp(ngc_pq.PQgetvalue(r, 0, 1), "0") != 0;
    if (!ok)
        ngc_log_user(0,
                     "PostgreSQL table %s has another shape (%s); it needs (%s) with %s "
                     "unique; choose another --pg-table",
                     pg->target, shape, want, by_year ? "(ngram, year)" : "ngram");
    ngc_pq.PQclear(r);
    return ok ? NGC_OK : NGC_ERROR;
}

/* One value of a one-row query, into buf; NGC_ERROR after a message. */
static int ngc_pg_value(ngc_pg_t *pg, const char *what, const char *sql, int nparams,
                        const char *const *params, char *buf, size_t cap)
{
    PGresult *r = ngc_pg_exec(pg, what, sql, nparams, params);
    if (r == NULL)
        return NGC_ERROR;
    snprintf(buf, cap, "%s", ngc_pq.PQntuples(r) > 0 ? ngc_pq.PQgetvalue(r, 0, 0) : "");
    ngc_pq.PQclear(r);
    return NGC_OK;
}

/* Drops the tables of 'running' jobs whose coordinator is gone (its
 * session's job lock is free) and marks them failed. */
static int ngc_pg_sweep(ngc_pg_t *pg)
{
    PGresult *r = ngc_pg_exec(pg, "cannot list the running jobs",
                              "SELECT id FROM ngram_jobs WHERE status = 'running' ORDER BY id", 0,
                              NULL);
    if (r == NULL)
        return NGC_ERROR;
    int rc = NGC_OK;
    for (int i = 0; i < ngc_pq.PQntuples(r) && rc == NGC_OK; i++) {
        const char *params[] = {ngc_pq.PQgetvalue(r, i, 0)};
        char got[8];
        rc = ngc_pg_value(pg, "cannot check a running job",
                          "SELECT pg_try_advisory_lock(" NGC_PG_LOCK_JOB
                          ", ($1::bigint % 2147483648)::int)",
                          1, params, got, sizeof(got));
        if (rc != NGC_OK || strcmp(got, "t") != 0)
            continue;
        rc = ngc_pg_runf(pg, "cannot drop an abandoned job's tables",
                         "DROP TABLE IF EXISTS ngram_stage_%s, ngram_stage_%s_done,"
                         " ngram_stage_%s_merged",
                         params[0], params[0], params[0]);
        if (rc == NGC_OK)
            rc = ngc_pg_run(pg, "cannot record an abandoned job",
                            "UPDATE ngram_jobs SET status = 'failed', finished = now(),"
                            " error = 'abandoned: its ngram-count process went away'"
                            " WHERE id = $1",
                            1, params);
        if (rc == NGC_OK)
            ngc_log_user(0,
                         "note: PostgreSQL job %s was abandoned by a killed run; its "
                         "staging tables are dropped and the job is marked failed",
                         params[0]);
        ngc_pg_run(pg, "cannot release a job lock",
                   "SELECT pg_advisory_unlock(" NGC_PG_LOCK_JOB ", ($1::bigint % 2147483648)::int)",
                   1, params);
    }
    ngc_pq.PQclear(r);
    return rc;
}

/* Waits until no other job writes the target (the lock is the session's:
 * a killed job's goes with its connection). */
static int ngc_pg_lock_target(ngc_pg_t *pg)
{
    const char *params[] = {pg->cfg->pg_table};
    char got[8];
    if (ngc_pg_value(pg, "cannot lock the target table",
                     "SELECT pg_try_advisory_lock(" NGC_PG_LOCK_TABLE ", hashtext($1))", 1, params,
                     got, sizeof(got)) != NGC_OK)
        return NGC_ERROR;
    if (strcmp(got, "t") == 0)
        return NGC_OK;
    char other[24];
    if (ngc_pg_value(pg, "cannot list the running jobs",
                     "SELECT coalesce(string_agg(id::text, ', ' ORDER BY id), '?') FROM ngram_jobs"
                     " WHERE status = 'running' AND target = $1",
                     1, params, other, sizeof(other)) != NGC_OK)
        return NGC_ERROR;
    ngc_log_user(0, "note: PostgreSQL table %s is being written by job %s; waiting for it",
                 pg->target, other);
    return ngc_pg_run(pg, "cannot lock the target table",
                      "SELECT pg_advisory_lock(" NGC_PG_LOCK_TABLE ", hashtext($1))", 1, params);
}

int ngc_pg_begin_job(ngc_pg_t *pg, const ngc_plan_t *plan, int argc, char **argv, char *stage,
                     size_t cap)
{
    if (ngc_pg_run(pg, "cannot create ngram_jobs", ngc_pg_jobs_ddl, 0, NULL) != NGC_OK ||
        ngc_pg_check_target(pg) != NGC_OK || ngc_pg_sweep(pg) != NGC_OK ||
        ngc_pg_lock_target(pg) != NGC_OK)
        return NGC_ERROR;
    size_t ilen = 1;
    for (unsigned i = 0; i < plan->nfiles; i++)
        ilen += strlen(plan->files[i].path) + 32;
    size_t olen = 1;
    for (int i = 1; i < argc; i++)
        olen += strlen(argv[i]) + 16; /* room for "--pg=(dsn)" */
    char *inputs = malloc(ilen), *options = malloc(olen);
    if (inputs == NULL || options == NULL) {
        free(inputs);
        free(options);
        return NGC_ERROR;
    }
    size_t n = 0;
    inputs[0] = '\0';
    for (unsigned i = 0; i < plan->nfiles; i++)
        n += (size_t)snprintf(inputs + n, ilen - n, "%s%s (%llu bytes)", i ? ", " : "",
                              plan->files[i].path, (unsigned long long)plan->files[i].size);
    n = 0;
    options[0] = '\0';
    for (int i = 1; i < argc; i++) {
        /* The DSN itself is not recorded: it may hold a password. */
        const char *a = argv[i];
        if (i > 1 && strcmp(argv[i - 1], "--pg") == 0)
            a = "(dsn)";
        else if (strncmp(a, "--pg=", 5) == 0)
            a = "--pg=(dsn)";
        int w = snprintf(options + n, olen - n, "%s%s", i > 1 ? " " : "", a);
        n = w > 0 && (size_t)w < olen - n ? n + (size_t)w : olen - 1;
    }
    const char *mode = ngc_config_name_of(ngc_config_pg_mode_names, pg->cfg->pg_append);
    const char *params[] = {inputs, options, pg->cfg->pg_table, mode};
    /* The job's lock is taken before its row is visible: a sweep never
     * takes a live job for an abandoned one. */
    PGresult *r = NULL;
    if (ngc_pg_run(pg, "cannot record the job", "BEGIN", 0, NULL) == NGC_OK)
        r = ngc_pg_exec(pg, "cannot record the job",
                        "INSERT INTO ngram_jobs (inputs, options, target, mode, status)"
                        " VALUES ($1, $2, $3, $4, 'running') RETURNING id",
                        4, params);
    free(inputs);
    free(options);
    if (r == NULL)
        return NGC_ERROR;
    snprintf(pg->job_id, sizeof(pg->job_id), "%s", ngc_pq.PQgetvalue(r, 0, 0));
    ngc_pq.PQclear(r);
    const char *id[] = {pg->job_id};
    if (ngc_pg_run(pg, "cannot lock the job",
                   "SELECT pg_advisory_lock(" NGC_PG_LOCK_JOB ", ($1::bigint % 2147483648)::int)",
                   1, id) != NGC_OK ||
        ngc_pg_run(pg, "cannot record the job", "COMMIT", 0, NULL) != NGC_OK)
        return NGC_ERROR;
    snprintf(pg->stage, sizeof(pg->stage), "ngram_stage_%s", pg->job_id);
    /* replace: the staging table becomes the target, so it is logged and
     * has the target's columns; append reads it once (unlogged). The _done
     * table records each committed load task: a retry skips it. */
    if (ngc_pg_runf(pg, "cannot create the staging table", "CREATE %sTABLE %s (LIKE %s)",
                    pg->cfg->pg_append ? "UNLOGGED " : "", pg->stage, pg->target) != NGC_OK ||
        ngc_pg_runf(pg, "cannot create the staging table",
                    "CREATE UNLOGGED TABLE %s_done (task integer PRIMARY KEY)",
                    pg->stage) != NGC_OK)
        return NGC_ERROR;
    snprintf(stage, cap, "%s", pg->stage);
    return NGC_OK;
}

/* Whether the target is only what ngram-count makes (its columns, the
 * key, no other index, trigger, rule, grant, policy, inheritance or
 * dependent view): then a new table can take its place. */
static int ngc_pg_target_plain(ngc_pg_t *pg, bool *plain)
{
    const char *params[] = {pg->target};
    char got[8];
    if (ngc_pg_value(pg, "cannot inspect the target table",
                     "SELECT c.relkind = 'r' AND c.relacl IS NULL AND NOT c.relrowsecurity"
                     " AND (SELECT count(*) FROM pg_index WHERE indrelid = c.oid) = 1"
                     " AND NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = c.oid)"
                     " AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = c.oid OR"
                     "  inhparent = c.oid)"
                     " AND NOT EXISTS (SELECT 1 FROM pg_depend WHERE refobjid = c.oid AND"
                     "  classid = 'pg_rewrite'::regclass)"
                     " AND NOT EXISTS (SELECT 1 FROM pg_publication_rel WHERE prrelid = c.oid)"
                     " FROM pg_class c WHERE c.oid = $1::regclass",
                     1, params, got, sizeof(got)) != NGC_OK)
        return NGC_ERROR;
    *plain = strcmp(got, "t") == 0;
    return NGC_OK;
}

/* Server memory for sorting or hashing n rows: about 64 bytes a row,
 * 64 MB (the default) to 1 GB. */
static uint64_t ngc_pg_sort_mb(uint64_t n)
{
    uint64_t mb = n / (1u << 14) + 1;
    return mb < 64 ? 64 : mb > 1024 ? 1024 : mb;
}

/* Builds the staging table's primary key: one sorted build, in the
 * server's parallel maintenance workers, with room to sort in memory. */
static int ngc_pg_build_key(ngc_pg_t *pg, const char *table)
{
    uint64_t mb = ngc_pg_sort_mb(pg->rows);
    if (ngc_pg_runf(pg, "cannot size the key's build", "SET maintenance_work_mem = '%lluMB'",
                    (unsigned long long)mb) != NGC_OK)
        return NGC_ERROR;
    char sql[160];
    snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD CONSTRAINT %s_pkey PRIMARY KEY (%s)", table,
             table, NGC_PG_KEY(pg));
    if (ngc_failpoint_armed(NGC_FP_PG_CRASH_IN_KEY, 0, 1)) {
        /* Killed while the server builds the key. */
        if (ngc_pq.PQsendQuery(pg->conn, sql) == 1) {
            struct timespec ts = {0, 200000000L};
            nanosleep(&ts, NULL);
        }
        ngc_failpoint_check(NGC_FP_PG_CRASH_IN_KEY, 0, 1);
    }
    return ngc_pg_run(pg, "cannot build the primary key", sql, 0, NULL);
}

/* In the final transaction: table (a staging table with its key) takes
 * the target's place. NGC_AGAIN, rolled back to where it started, when the
 * server refuses (a dependent object appeared, another owner). */
static int ngc_pg_swap(ngc_pg_t *pg, const char *table)
{
    if (ngc_pg_run(pg, "cannot replace the target table", "SAVEPOINT ngc_swap", 0, NULL) != NGC_OK)
        return NGC_ERROR;
    char *name = ngc_pq.PQescapeIdentifier(pg->conn, pg->cfg->pg_table, strlen(pg->cfg->pg_table));
    size_t klen = strlen(pg->cfg->pg_table) + 6;
    char *key = malloc(klen), *qkey = NULL;
    if (key != NULL) {
        snprintf(key, klen, "%s_pkey", pg->cfg->pg_table);
        qkey = ngc_pq.PQescapeIdentifier(pg->conn, key, strlen(key));
    }
    int rc = name == NULL || qkey == NULL ? NGC_ERROR : NGC_OK;
    if (rc == NGC_OK) {
        char sql[1024];
        snprintf(sql, sizeof(sql),
                 "DROP TABLE %s; ALTER TABLE %s RENAME TO %s;"
                 " ALTER INDEX %s_pkey RENAME TO %s",
                 pg->target, table, name, table, qkey);
        PGresult *r = ngc_pq.PQexec(pg->conn, sql);
        if (ngc_pq.PQresultStatus(r) != PGRES_COMMAND_OK) {
            ngc_log_info("cannot swap the new table in (%s); copying the rows instead",
                         ngc_pq.PQresultErrorMessage(r));
            rc = NGC_AGAIN;
        }
        ngc_pq.PQclear(r);
    }
    if (name)
        ngc_pq.PQfreemem(name);
    if (qkey)
        ngc_pq.PQfreemem(qkey);
    free(key);
    if (rc == NGC_AGAIN && ngc_pg_run(pg, "cannot replace the target table",
                                      "ROLLBACK TO SAVEPOINT ngc_swap", 0, NULL) != NGC_OK)
        rc = NGC_ERROR;
    return rc;
}

/* The target's rows, estimated from the catalog (never counted: it may
 * be huge); a table never analyzed is guessed from its size. */
static int ngc_pg_target_rows(ngc_pg_t *pg, uint64_t *rows)
{
    const char *params[] = {pg->target};
    char got[32];
    if (ngc_pg_value(pg, "cannot inspect the target table",
                     "SELECT CASE WHEN reltuples >= 0 THEN reltuples::bigint"
                     " ELSE pg_relation_size(oid) / 48 END FROM pg_class"
                     " WHERE oid = $1::regclass",
                     1, params, got, sizeof(got)) != NGC_OK)
        return NGC_ERROR;
    *rows = strtoull(got, NULL, 10);
    return NGC_OK;
}

/* append, when the new rows are many against the target's: a new table of
 * the summed rows, keyed in one build and swapped in, costs less than an
 * upsert a row (each one a new row version and a new key entry). In the
 * final transaction; the target takes no writes meanwhile. NGC_AGAIN when
 * the swap is refused (the caller upserts). */
static int ngc_pg_append_by_swap(ngc_pg_t *pg, uint64_t rows)
{
    char merged[64];
    snprintf(merged, sizeof(merged), "%s_merged", pg->stage);
    const char *y = NGC_PG_YEAR(pg);
    int rc = ngc_pg_runf(pg, "cannot lock the target table", "LOCK TABLE %s IN EXCLUSIVE MODE",
                         pg->target);
    if (rc == NGC_OK)
        rc = ngc_pg_runf(pg, "cannot create the merged table", "CREATE TABLE %s (LIKE %s)", merged,
                         pg->target);
    /* The sums are one hash aggregate: give it the memory the key's build
     * gets, or it spills to disk in batches. */
    uint64_t mb = ngc_pg_sort_mb(rows);
    if (rc == NGC_OK)
        rc = ngc_pg_runf(pg, "cannot size the sums", "SET LOCAL work_mem = '%lluMB'",
                         (unsigned long long)mb);
    if (rc == NGC_OK)
        rc = ngc_pg_runf(pg, "cannot add the result to the target's totals",
                         "INSERT INTO %s SELECT ngram,%s sum(match_count), sum(volume_count)"
                         " FROM (SELECT ngram,%s match_count, volume_count FROM %s UNION ALL"
                         " SELECT ngram,%s match_count, volume_count FROM %s) u GROUP BY %s",
                         merged, y, y, pg->target, y, pg->stage, NGC_PG_KEY(pg));
    pg->rows = rows;
    if (rc == NGC_OK)
        rc = ngc_pg_build_key(pg, merged);
    if (rc == NGC_OK)
        rc = ngc_pg_runf(pg, "cannot lock the target table",
                         "LOCK TABLE %s IN ACCESS EXCLUSIVE MODE", pg->target);
    if (rc == NGC_OK)
        rc = ngc_pg_swap(pg, merged);
    if (rc == NGC_AGAIN &&
        ngc_pg_runf(pg, "cannot drop the merged table", "DROP TABLE %s", merged) != NGC_OK)
        rc = NGC_ERROR;
    return rc;
}

int ngc_pg_commit_job(ngc_pg_t *pg, const ngc_pg_counts_t *counts)
{
    pg->rows = counts->distinct;
    bool plain = false;
    uint64_t have = 0;
    int rc = ngc_pg_target_plain(pg, &plain);
    if (rc == NGC_OK && plain && pg->cfg->pg_append)
        rc = ngc_pg_target_rows(pg, &have);
    if (rc == NGC_OK && plain && !pg->cfg->pg_append)
        rc = ngc_pg_build_key(pg, pg->stage);
    if (rc != NGC_OK ||
        ngc_pg_run(pg, "cannot begin the final transaction", "BEGIN", 0, NULL) != NGC_OK)
        return NGC_ERROR;
    if (pg->cfg->pg_append) {
        int swapped = NGC_AGAIN;
        if (plain && have <= 4 * counts->distinct)
            swapped = rc = ngc_pg_append_by_swap(pg, have + counts->distinct);
        /* In the key's order, the upserts walk the key's btree from left to
         * right instead of touching a random leaf each. */
        if (swapped == NGC_AGAIN)
            rc = ngc_pg_runf(pg, "cannot append the result",
                             "INSERT INTO %s AS t (ngram,%s match_count, volume_count)"
                             " SELECT ngram,%s match_count, volume_count FROM %s ORDER BY %s"
                             " ON CONFLICT (%s) DO UPDATE SET"
                             " match_count = t.match_count + EXCLUDED.match_count,"
                             " volume_count = t.volume_count + EXCLUDED.volume_count",
                             pg->target, NGC_PG_YEAR(pg), NGC_PG_YEAR(pg), pg->stage,
                             NGC_PG_KEY(pg), NGC_PG_KEY(pg));
    } else {
        /* Readers wait for the commit, then see the new rows. */
        rc = ngc_pg_runf(pg, "cannot lock the target table",
                         "LOCK TABLE %s IN ACCESS EXCLUSIVE MODE", pg->target);
        int swapped = rc == NGC_OK && plain ? ngc_pg_swap(pg, pg->stage) : NGC_AGAIN;
        if (rc == NGC_OK && swapped == NGC_ERROR)
            rc = NGC_ERROR;
        if (rc == NGC_OK && swapped == NGC_AGAIN) {
            rc = ngc_pg_runf(pg, "cannot replace the target table", "TRUNCATE %s", pg->target);
            if (rc == NGC_OK)
                rc = ngc_pg_runf(pg, "cannot fill the target table",
                                 "INSERT INTO %s (ngram,%s match_count, volume_count%s)"
                                 " SELECT ngram,%s match_count, volume_count%s FROM %s",
                                 pg->target, NGC_PG_YEAR(pg), NGC_PG_SHARES(pg), NGC_PG_YEAR(pg),
                                 NGC_PG_SHARES(pg), pg->stage);
            if (rc == NGC_OK)
                rc = ngc_pg_runf(pg, "cannot drop the staging table", "DROP TABLE %s", pg->stage);
        }
    }
    if (rc == NGC_OK && pg->cfg->pg_append)
        rc = ngc_pg_runf(pg, "cannot drop the staging table", "DROP TABLE %s", pg->stage);
    char lines[24], distinct[24], malformed[24];
    snprintf(lines, sizeof(lines), "%llu", (unsigned long long)counts->lines);
    snprintf(distinct, sizeof(distinct), "%llu", (unsigned long long)counts->distinct);
    snprintf(malformed, sizeof(malformed), "%llu", (unsigned long long)counts->malformed);
    const char *params[] = {pg->job_id, lines, distinct, malformed};
    if (rc == NGC_OK)
        rc = ngc_pg_run(pg, "cannot record the job",
                        "UPDATE ngram_jobs SET status = 'succeeded', finished = now(),"
                        " lines = $2, distinct_ngrams = $3, malformed_lines = $4 WHERE id = $1",
                        4, params);
    if (rc == NGC_OK)
        rc = ngc_pg_runf(pg, "cannot drop the staging table", "DROP TABLE %s_done", pg->stage);
    if (rc == NGC_OK)
        ngc_failpoint_check(NGC_FP_PG_CRASH_IN_SWAP, 0, 1);
    if (rc == NGC_OK)
        rc = ngc_pg_run(pg, "cannot commit", "COMMIT", 0, NULL);
    if (rc != NGC_OK) {
        PGresult *r = ngc_pq.PQexec(pg->conn, "ROLLBACK");
        ngc_pq.PQclear(r);
        return rc;
    }
    /* A swapped-in table has no statistics yet: the planner's first
     * queries on it would guess. A sample, so it costs little; the job is
     * done whatever it says. */
    char sql[160];
    snprintf(sql, sizeof(sql), "ANALYZE %s", pg->target);
    PGresult *r = ngc_pq.PQexec(pg->conn, sql);
    if (ngc_pq.PQresultStatus(r) != PGRES_COMMAND_OK)
        ngc_log_info("cannot analyze %s: %s", pg->target, ngc_pq.PQresultErrorMessage(r));
    ngc_pq.PQclear(r);
    return NGC_OK;
}

void ngc_pg_fail_job(ngc_pg_t *pg, const char *why)
{
    if (pg == NULL || pg->job_id[0] == '\0')
        return;
    /* The connection may have died with the server (which may be back):
     * probe it, and reconnect once to record the failure. */
    PGresult *r = ngc_pq.PQexec(pg->conn, "ROLLBACK");
    ngc_pq.PQclear(r);
    if (ngc_pq.PQstatus(pg->conn) != CONNECTION_OK) {
        ngc_pq.PQreset(pg->conn);
        if (ngc_pq.PQstatus(pg->conn) != CONNECTION_OK) {
            ngc_pg_error(pg, "cannot record the failed job");
            return;
        }
    }
    if (pg->stage[0])
        ngc_pg_runf(pg, "cannot drop the staging table",
                    "DROP TABLE IF EXISTS %s, %s_done, %s_merged", pg->stage, pg->stage, pg->stage);
    const char *params[] = {pg->job_id, why};
    ngc_pg_run(pg, "cannot record the failed job",
               "UPDATE ngram_jobs SET status = 'failed', finished = now(), error = $2"
               " WHERE id = $1",
               2, params);
}

int ngc_pg_lookup(ngc_pg_t *pg, char **words, unsigned nwords, unsigned *found)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT ngram,%s match_count, volume_count FROM %s WHERE ngram = $1 ORDER BY %s",
             pg->cfg->by_year ? " lpad(year::text, 4, '0')," : "", pg->target, NGC_PG_KEY(pg));
    *found = 0;
    for (unsigned i = 0; i < nwords; i++) {
        const char *params[] = {words[i]};
        PGresult *r = ngc_pg_exec(pg, "cannot look up", sql, 1, params);
        if (r == NULL)
            return NGC_ERROR;
        if (ngc_pq.PQntuples(r) == 0) {
            ngc_log_user(0, "'%s' not found in %s", words[i], pg->target);
        } else {
            /* --by-year: a row per year, the year zero-padded as in the output. */
            for (int row = 0; row < ngc_pq.PQntuples(r); row++)
                for (int k = 0; k < ngc_pq.PQnfields(r); k++)
                    printf("%s%c", ngc_pq.PQgetvalue(r, row, k),
                           k + 1 < ngc_pq.PQnfields(r) ? '\t' : '\n');
            (*found)++;
        }
        ngc_pq.PQclear(r);
    }
    return fflush(stdout) == 0 ? NGC_OK : NGC_ERROR;
}

int ngc_pg_list_jobs(ngc_pg_t *pg)
{
    if (ngc_pg_run(pg, "cannot create ngram_jobs", ngc_pg_jobs_ddl, 0, NULL) != NGC_OK)
        return NGC_ERROR;
    PGresult *r = ngc_pg_exec(
        pg, "cannot list the jobs",
        "SELECT id, status, to_char(started, 'YYYY-MM-DD HH24:MI:SS'),"
        " coalesce(to_char(finished, 'YYYY-MM-DD HH24:MI:SS'), '-'), target, mode,"
        " coalesce(lines::text, '-'), coalesce(distinct_ngrams::text, '-'),"
        " coalesce(malformed_lines::text, '-'), inputs, coalesce(error, '')"
        " FROM ngram_jobs ORDER BY id",
        0, NULL);
    if (r == NULL)
        return NGC_ERROR;
    printf(
        "id\tstatus\tstarted\tfinished\ttarget\tmode\tlines\tdistinct\tmalformed\tinputs\terror\n");
    for (int i = 0; i < ngc_pq.PQntuples(r); i++)
        for (int k = 0; k < ngc_pq.PQnfields(r); k++)
            printf("%s%c", ngc_pq.PQgetvalue(r, i, k), k + 1 < ngc_pq.PQnfields(r) ? '\t' : '\n');
    ngc_pq.PQclear(r);
    return fflush(stdout) == 0 ? NGC_OK : NGC_ERROR;
}
