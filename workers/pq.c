/*
 * pq.c: see pq.h.
 */
#include "engine/base/ngc.h"
#include "workers/pq.h"

ngc_pq_t ngc_pq;

static int ngc_pq_resolve(ngc_dlib_t *lib)
{
#define NGC_PQ_RESOLVE(fn) NGC_DLIB_RESOLVE(lib, ngc_pq, fn, #fn);
    NGC_PQ_FUNCTIONS(NGC_PQ_RESOLVE)
#undef NGC_PQ_RESOLVE
    return NGC_OK;
}

static ngc_dlib_t ngc_pq_lib = NGC_DLIB_INIT(
    NGC_SONAME_PQ, "PostgreSQL (--pg, --lookup, --pg-jobs)", ngc_pq_resolve);

int ngc_pq_load(void)
{
    return ngc_dlib_load(&ngc_pq_lib);
}

const char *ngc_pq_error(void)
{
    return ngc_dlib_error(&ngc_pq_lib);
}
