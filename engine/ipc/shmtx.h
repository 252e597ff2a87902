/*
 * shmtx.h: a process-shared robust mutex that lives in the shared region.
 *
 * DESIGN: initialized by the coordinator before the first fork; locked only
 * by workers. When a holder dies, the next locker gets NGC_SHMTX_OWNERDEAD
 * with the lock held: it must repair what the lock protects, then call
 * ngc_shmtx_consistent() before unlocking, or the mutex becomes unusable.
 */
#ifndef NGC_ENGINE_IPC_SHMTX_H
#define NGC_ENGINE_IPC_SHMTX_H

#include <pthread.h>

typedef struct {
    pthread_mutex_t mutex;
} ngc_shmtx_t;

#define NGC_SHMTX_OWNERDEAD 1

/* Caller-provided storage in shm. NGC_OK or NGC_ERROR (logged). */
int ngc_shmtx_init(ngc_shmtx_t *mtx);
void ngc_shmtx_fini(ngc_shmtx_t *mtx);
/* NGC_OK, NGC_SHMTX_OWNERDEAD (held, state needs repair) or NGC_ERROR. */
int ngc_shmtx_lock(ngc_shmtx_t *mtx);
void ngc_shmtx_unlock(ngc_shmtx_t *mtx);
/* Marks the state repaired after NGC_SHMTX_OWNERDEAD; lock held. */
void ngc_shmtx_consistent(ngc_shmtx_t *mtx);

#endif
