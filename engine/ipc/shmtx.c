/*
 * shmtx.c: pthread's robust process-shared mutex, with its error codes
 * folded into ours. ENOTRECOVERABLE means an earlier owner's death was never
 * repaired: a bug, so it is an error, never a silent retry.
 */
#include "engine/base/ngc.h"
#include "engine/ipc/shmtx.h"
#include "engine/base/log.h"

#include <errno.h>

int ngc_shmtx_init(ngc_shmtx_t *mtx)
{
    pthread_mutexattr_t attr;
    int err = pthread_mutexattr_init(&attr);
    if (err != 0) {
        ngc_log_error(err, "pthread_mutexattr_init() failed");
        return NGC_ERROR;
    }
    if ((err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) != 0 ||
        (err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST)) != 0 ||
        (err = pthread_mutex_init(&mtx->mutex, &attr)) != 0) {
        ngc_log_error(err, "cannot make a process-shared robust mutex");
        pthread_mutexattr_destroy(&attr);
        return NGC_ERROR;
    }
    pthread_mutexattr_destroy(&attr);
    return NGC_OK;
}

void ngc_shmtx_fini(ngc_shmtx_t *mtx)
{
    pthread_mutex_destroy(&mtx->mutex);
}

int ngc_shmtx_lock(ngc_shmtx_t *mtx)
{
    int err = pthread_mutex_lock(&mtx->mutex);
    if (err == 0)
        return NGC_OK;
    if (err == EOWNERDEAD)
        return NGC_SHMTX_OWNERDEAD;
    ngc_log_error(err, "pthread_mutex_lock() failed on a shared lock");
    return NGC_ERROR;
}

void ngc_shmtx_unlock(ngc_shmtx_t *mtx)
{
    int err = pthread_mutex_unlock(&mtx->mutex);
    ngc_assert(err == 0);
}

void ngc_shmtx_consistent(ngc_shmtx_t *mtx)
{
    int err = pthread_mutex_consistent(&mtx->mutex);
    ngc_assert(err == 0);
}
