/*
 * pg_none.c: pg.h for a build without PostgreSQL (NGC_WITH_PG=OFF). config.c
 * refuses --pg and the query options first, so nothing here is reached with
 * a DSN; ngc_pg_fail_job(NULL, ...) and ngc_pg_free(NULL) are the calls a
 * run without --pg makes.
 */
#include "engine/base/ngc.h"
#include "engine/base/log.h"
#include "engine/coordinator/pg.h"

ngc_pg_t *ngc_pg_connect(const ngc_config_t *cfg)
{
    (void)cfg;
    ngc_log_user(0, "--pg: this ngram-count was built without PostgreSQL support");
    return NULL;
}

void ngc_pg_free(ngc_pg_t *pg)
{
    (void)pg;
}

const ngc_totals_t *ngc_pg_totals(const ngc_pg_t *pg)
{
    (void)pg;
    return NULL;
}

int ngc_pg_begin_job(ngc_pg_t *pg, const ngc_plan_t *plan, int argc, char **argv, char *stage,
                     size_t cap)
{
    (void)pg, (void)plan, (void)argc, (void)argv, (void)stage, (void)cap;
    return NGC_ERROR;
}

int ngc_pg_commit_job(ngc_pg_t *pg, const ngc_pg_counts_t *counts)
{
    (void)pg, (void)counts;
    return NGC_ERROR;
}

void ngc_pg_fail_job(ngc_pg_t *pg, const char *why)
{
    (void)pg, (void)why;
}

int ngc_pg_lookup(ngc_pg_t *pg, char **words, unsigned nwords, unsigned *found)
{
    (void)pg, (void)words, (void)nwords;
    *found = 0;
    return NGC_ERROR;
}

int ngc_pg_list_jobs(ngc_pg_t *pg)
{
    (void)pg;
    return NGC_ERROR;
}
