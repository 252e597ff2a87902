/*
 * pgload.h: a worker's share of a PostgreSQL load: whole sorted partitions
 * of the reduce table COPYed into the job's staging table over a connection
 * of its own. Blocking libpq calls: runs on a pool thread. A load of
 * partitions [first, first+n) deletes their earlier rows in the same
 * transaction, so a retried load never duplicates rows; a lost connection
 * is retried with backoff.
 */
#ifndef NGC_WORKERS_PGLOAD_H
#define NGC_WORKERS_PGLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/reduce/counters.h"
#include "engine/reduce/normalize.h"
#include "engine/reduce/spill.h"

typedef struct ngc_pgload_s ngc_pgload_t;

/* Remembers the DSN and the staging table (a name that needs no quotes;
 * its _done table beside it); connects on first use. by_year: rows carry a
 * year column (the key's last field). shares (--normalize, or NULL): rows
 * end in match per million and volume percent of these totals. */
ngc_pgload_t *ngc_pgload_new(const char *dsn, const char *stage, bool by_year,
                             const ngc_totals_t *shares);
void ngc_pgload_free(ngc_pgload_t *l);
/*
 * COPYs the sorted partitions [first, first+n) (with the final runs in
 * the spill directory of those that spilled, read one at a time) into the
 * staging table.
 * NGC_OK, or NGC_ERROR with a reason in err (a count past the bigint range,
 * bytes PostgreSQL text cannot hold, the server's message). task/attempt
 * arm failpoints only. Pool thread.
 */
int ngc_pgload_partitions(ngc_pgload_t *l, const ngc_counters_t *c, ngc_spill_t *sp, unsigned first,
                          unsigned n, uint32_t task, uint32_t attempt, char *err, size_t cap);

#endif
