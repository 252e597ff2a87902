/*
 * pg.h: the coordinator's side of PostgreSQL output (libpq): it connects
 * first (so a bad DSN fails before any input is read), checks or creates
 * the target table and the job log, creates the job's staging table that
 * the workers COPY into, and at the end makes the staging table the target
 * (replace: keyed, then renamed into its place) or adds its rows (append),
 * in one transaction, or drops it. Identifiers go through
 * PQescapeIdentifier, values through parameters; messages show where a
 * DSN connects, never its password.
 */
#ifndef NGC_ENGINE_COORDINATOR_PG_H
#define NGC_ENGINE_COORDINATOR_PG_H

#include <stdint.h>

#include "engine/base/config.h"
#include "engine/reduce/normalize.h"
#include "engine/coordinator/plan.h"

typedef struct ngc_pg_s ngc_pg_t;

/* The counts of a finished job, for its ngram_jobs row. */
typedef struct {
    uint64_t lines;
    uint64_t distinct;
    uint64_t malformed;
} ngc_pg_counts_t;

/* Connects with cfg->pg_dsn; NULL after a message (where it connects,
 * never the password). Coordinator. */
ngc_pg_t *ngc_pg_connect(const ngc_config_t *cfg);
void ngc_pg_free(ngc_pg_t *pg);
/*
 * Creates ngram_jobs and the target table if missing, checks the target's
 * shape, drops the tables of jobs abandoned by killed runs, waits for any
 * other job writing the target, records the job as running (holding its
 * lock) and creates its staging tables, whose name (no quotes needed) it
 * stores in stage (cap bytes) for the workers. NGC_OK or NGC_ERROR after a
 * message.
 */
int ngc_pg_begin_job(ngc_pg_t *pg, const ngc_plan_t *plan, int argc, char **argv, char *stage,
                     size_t cap);
/* Makes the staging table the target (replace) or adds its rows (append),
 * marks the job succeeded and drops what is left, in one transaction. */
int ngc_pg_commit_job(ngc_pg_t *pg, const ngc_pg_counts_t *counts);
/* Drops the staging table and marks the job failed with why (reconnecting
 * once if the connection was lost). The target stays as it was. */
void ngc_pg_fail_job(ngc_pg_t *pg, const char *why);
/* --lookup: prints each word's row; returns how many were found. */
int ngc_pg_lookup(ngc_pg_t *pg, char **words, unsigned nwords, unsigned *found);
/* --pg-jobs: prints the job log. */
int ngc_pg_list_jobs(ngc_pg_t *pg);
/* --normalize: the divisors of the table's match_per_million and
 * volume_percent columns, which the workers write; NULL without it. */
const ngc_totals_t *ngc_pg_totals(const ngc_pg_t *pg);

#endif
