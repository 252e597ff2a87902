/*
 * pq.h: libpq, opened on first use (engine/base/dlib.h says why), for the
 * coordinator's job (coordinator/pg.c) and the workers' COPY (pgload.c).
 * Call libpq through ngc_pq after ngc_pq_load() has succeeded.
 */
#ifndef NGC_WORKERS_PQ_H
#define NGC_WORKERS_PQ_H

#include <libpq-fe.h>

#include "engine/base/dlib.h"

/* The libpq functions ngram-count calls. */
#define NGC_PQ_FUNCTIONS(X) \
    X(PQclear)              \
    X(PQconnectdb)          \
    X(PQconninfoFree)       \
    X(PQconninfoParse)      \
    X(PQerrorMessage)       \
    X(PQescapeIdentifier)   \
    X(PQexec)               \
    X(PQexecParams)         \
    X(PQfinish)             \
    X(PQfreemem)            \
    X(PQgetResult)          \
    X(PQgetvalue)           \
    X(PQnfields)            \
    X(PQntuples)            \
    X(PQputCopyData)        \
    X(PQputCopyEnd)         \
    X(PQreset)              \
    X(PQresultErrorMessage) \
    X(PQresultStatus)       \
    X(PQsendQuery)          \
    X(PQsetNoticeProcessor) \
    X(PQsocket)             \
    X(PQstatus)

typedef struct {
    NGC_PQ_FUNCTIONS(NGC_DLIB_FIELD)
} ngc_pq_t;

extern ngc_pq_t ngc_pq;

/* Opens libpq once per process (any thread): NGC_OK, or NGC_ERROR and
 * ngc_pq_error() says why. */
int ngc_pq_load(void);
const char *ngc_pq_error(void);

#endif
