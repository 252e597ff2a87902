/*
 * pgload_none.c: pgload.h for a build without PostgreSQL. No job has a
 * staging table then (config.c refuses --pg), so no task loads.
 */
#include "engine/base/ngc.h"
#include "workers/pgload.h"

ngc_pgload_t *ngc_pgload_new(const char *dsn, const char *stage, bool by_year,
                             const ngc_totals_t *shares)
{
    (void)dsn, (void)stage, (void)by_year, (void)shares;
    return NULL;
}

void ngc_pgload_free(ngc_pgload_t *l)
{
    (void)l;
}

int ngc_pgload_partitions(ngc_pgload_t *l, const ngc_counters_t *c, ngc_spill_t *sp, unsigned first,
                          unsigned n, uint32_t task, uint32_t attempt, char *err, size_t cap)
{
    (void)l, (void)c, (void)sp, (void)first, (void)n, (void)task, (void)attempt;
    snprintf(err, cap, "this ngram-count was built without PostgreSQL support");
    return NGC_ERROR;
}
