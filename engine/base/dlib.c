/*
 * dlib.c: see dlib.h. RTLD_LOCAL keeps each library's symbols to the
 * pointers resolved from it; RTLD_NOW finds a missing dependency at the
 * load, where the message can name the feature, not at the first call.
 * Libraries are never closed: their pointers live as long as the process.
 */
#include "engine/base/ngc.h"
#include "engine/base/dlib.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ngc_dlib_sym(ngc_dlib_t *lib, const char *name, void *fn, size_t size)
{
    dlerror();
    void *p = dlsym(lib->handle, name);
    if (p == NULL || size != sizeof(p)) {
        const char *why = dlerror();
        snprintf(lib->error, sizeof(lib->error), "%s needs %s, whose function %s is missing%s%s",
                 lib->feature, lib->soname, name, why ? ": " : "", why ? why : "");
        return NGC_ERROR;
    }
    /* POSIX lets a dlsym result become a function pointer; memcpy is
     * how C says so without a cast between object and function pointers. */
    memcpy(fn, &p, sizeof(p));
    return NGC_OK;
}

int ngc_dlib_load(ngc_dlib_t *lib)
{
    int state = atomic_load_explicit(&lib->state, memory_order_acquire);
    if (state != 0)
        return state > 0 ? NGC_OK : NGC_ERROR;
    pthread_mutex_lock(&lib->lock);
    state = atomic_load_explicit(&lib->state, memory_order_relaxed);
    if (state == 0) {
        /* The tests' way to see the message of a machine without it. */
        const char *missing = getenv("NGC_TEST_MISSING_LIB");
        bool forced = missing != NULL && strcmp(missing, lib->soname) == 0;
        if (!forced)
            lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        if (lib->handle == NULL) {
            const char *why = forced ? "removed by NGC_TEST_MISSING_LIB" : dlerror();
            snprintf(lib->error, sizeof(lib->error), "%s needs %s, which cannot be loaded: %s",
                     lib->feature, lib->soname, why ? why : "unknown error");
            state = -1;
        } else {
            state = lib->resolve(lib) == NGC_OK ? 1 : -1;
        }
        atomic_store_explicit(&lib->state, state, memory_order_release);
    }
    pthread_mutex_unlock(&lib->lock);
    return state > 0 ? NGC_OK : NGC_ERROR;
}

const char *ngc_dlib_error(const ngc_dlib_t *lib)
{
    return lib->error;
}
