/*
 * counters_spill.c: partitions and batches that do not fit the reduce
 * table written to runs on disk (see counters.h): a full partition from a
 * private sorted copy, published and then cleared; a batch that does not
 * fit even an emptied partition, published and committed in one journaled
 * step.
 */
#include "engine/base/ngc.h"
#include "engine/reduce/counters_layout.h"
#include "engine/base/failpoint.h"
#include "engine/reduce/runfile.h"

#include <stdio.h>
#include <stdlib.h>

int ngc_counters_spill(ngc_counters_t *c, unsigned part, ngc_spill_t *sp, uint64_t *bytes,
                       char *err, size_t cap)
{
    ngc_assert(part < NGC_COUNTERS_PARTS);
    ngc_part_t *p = &c->part[part];
    *bytes = 0;
    if (ngc_counters_lock(c, p) != NGC_OK) {
        snprintf(err, cap, "cannot lock partition %u", part);
        return NGC_ERROR;
    }
    int rc = NGC_OK;
    uint64_t n = 0;
    ngc_crec_t *sorted = NULL;
    ngc_run_writer_t *w = NULL;
    if (p->count == 0 || p->sorted_off != 0)
        goto out;
    /* The run is written from a private sorted copy; the table stays whole
     * until the run is published, so a worker dying here loses nothing. */
    ngc_order_t by_key = {NGC_COUNT_MATCH, NGC_SORT_NGRAM};
    if ((sorted = ngc_counters_sorted_recs(c, p, by_key, 0, &n)) == NULL) {
        snprintf(err, cap, "out of memory spilling partition %u", part);
        rc = NGC_ERROR;
        goto out;
    }
    ngc_assert(n == p->count);
    char name[NGC_RUN_NAME_MAX];
    ngc_run_name(name, part, NGC_RUN_SPILL, p->nruns);
    if ((w = ngc_run_writer_open(sp, name, err, cap)) == NULL) {
        rc = NGC_ERROR;
        goto out;
    }
    for (uint64_t i = 0; i < n && rc == NGC_OK; i++) {
        ngc_centry_t e = ngc_counters_entry_at(c, sorted[i].ref);
        rc = ngc_run_writer_add(w, e.key, e.len, ngc_counters_match_of(&e),
                                ngc_counters_volume_of(c, &e));
    }
    if (rc == NGC_OK)
        rc = ngc_run_writer_close(w, bytes);
    if (rc != NGC_OK) {
        snprintf(err, cap, "%s", ngc_run_writer_error(w));
        goto out;
    }
    /* Published, then cleared: a repair finishes a clear cut short. */
    p->nruns++;
    ngc_counters_fence();
    ngc_counters_clear(c, p);
out:
    ngc_run_writer_free(w);
    free(sorted);
    ngc_counters_unlock(c, p);
    return rc;
}

/* By key, as a run is ordered. */
static int ngc_counters_kv_cmp(const void *x, const void *y)
{
    const ngc_kv_t *a = *(const ngc_kv_t *const *)x, *b = *(const ngc_kv_t *const *)y;
    ngc_entry_t ea = {a->key, a->len, 0, 0, ngc_entry_prefix(a->key, a->len)};
    ngc_entry_t eb = {b->key, b->len, 0, 0, ngc_entry_prefix(b->key, b->len)};
    return ngc_counters_compare(&ea, &eb, (ngc_order_t){NGC_COUNT_MATCH, NGC_SORT_NGRAM});
}

int ngc_counters_spill_batch(ngc_counters_t *c, unsigned part, uint32_t task, uint32_t batch,
                             uint32_t attempt, const ngc_kv_t *kv, size_t n, ngc_spill_t *sp,
                             uint64_t *bytes, char *err, size_t cap)
{
    ngc_assert(part < NGC_COUNTERS_PARTS && task < c->ntasks && batch > 0);
    ngc_part_t *p = &c->part[part];
    *bytes = 0;
    /* Sorted before taking the lock: only the write and the commit need it. */
    const ngc_kv_t **sorted = malloc((n ? n : 1) * sizeof(*sorted));
    if (sorted == NULL) {
        snprintf(err, cap, "out of memory spilling partition %u", part);
        return NGC_ERROR;
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = &kv[i];
    qsort(sorted, n, sizeof(*sorted), ngc_counters_kv_cmp);
    if (ngc_counters_lock(c, p) != NGC_OK) {
        free(sorted);
        snprintf(err, cap, "cannot lock partition %u", part);
        return NGC_ERROR;
    }
    ngc_assert(p->sorted_off == 0);
    int rc = NGC_OK;
    ngc_run_writer_t *w = NULL;
    if (ngc_counters_committed(c, part, task, batch))
        goto out;
    char name[NGC_RUN_NAME_MAX];
    ngc_run_name(name, part, NGC_RUN_SPILL, p->nruns);
    if ((w = ngc_run_writer_open(sp, name, err, cap)) == NULL) {
        rc = NGC_ERROR;
        goto out;
    }
    for (size_t i = 0; i < n && rc == NGC_OK; i++)
        rc = ngc_run_writer_add(w, sorted[i]->key, sorted[i]->len, sorted[i]->match,
                                sorted[i]->volume);
    if (rc == NGC_OK)
        rc = ngc_run_writer_close(w, bytes);
    if (rc != NGC_OK) {
        snprintf(err, cap, "%s", ngc_run_writer_error(w));
        goto out;
    }
    /* Published and committed in one journaled step: a death before the
     * commit rolls the publication back, so a retry writes the batch
     * again, and one after it leaves both. */
    ngc_journal_t *j = ngc_counters_journal_open(p, task, batch);
    p->nruns++;
    ngc_counters_fence();
    p->cleared = p->nruns; /* the table holds none of the run's entries */
    ngc_failpoint_check(NGC_FP_CRASH_IN_MERGE, task, attempt);
    atomic_store_explicit(ngc_counters_commit(c, part, task), batch, memory_order_release);
    ngc_counters_fence();
    j->active = 0;
out:
    ngc_run_writer_free(w);
    ngc_counters_unlock(c, p);
    free(sorted);
    return rc;
}

uint32_t ngc_counters_runs(const ngc_counters_t *c, unsigned part)
{
    return c->part[part].nruns;
}

void ngc_counters_publish_final(ngc_counters_t *c, unsigned part, uint32_t nfinal,
                                uint64_t distinct)
{
    ngc_part_t *p = &c->part[part];
    if (ngc_counters_lock(c, p) != NGC_OK)
        return;
    if (p->sorted_off == 0) {
        p->nfinal = nfinal;
        p->final_distinct = distinct;
        p->sorted = 0;
        ngc_counters_fence();
        p->sorted_off = p->table & ~(uint64_t)63;
    }
    ngc_counters_unlock(c, p);
}

uint32_t ngc_counters_finals(const ngc_counters_t *c, unsigned part)
{
    return c->part[part].nfinal;
}
