/*
 * dlib.h: the optional libraries (libpq, libcurl, libarchive, cairo) are
 * opened when a run first needs one, not when the program starts. Linked,
 * they and their sixty dependencies cost every start about 30 ms of
 * mapping and relocation (3 ms without them) although most runs need none
 * of them; the test suite starts the program thousands of times.
 *
 * A user of a library keeps a struct of pointers typed after the library's
 * own declarations (NGC_DLIB_FIELD), and a resolve function that fills it
 * with ngc_dlib_sym; ngc_dlib_load runs both once per process.
 */
#ifndef NGC_ENGINE_BASE_DLIB_H
#define NGC_ENGINE_BASE_DLIB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

typedef struct ngc_dlib_s ngc_dlib_t;

/* Fills the caller's pointers with ngc_dlib_sym: NGC_OK or NGC_ERROR. */
typedef int (*ngc_dlib_resolve_fn)(ngc_dlib_t *lib);

struct ngc_dlib_s {
    const char *soname;  /* "libpq.so.5" */
    const char *feature; /* what needs it, for the message: "--pg" */
    ngc_dlib_resolve_fn resolve;
    pthread_mutex_t lock;
    _Atomic int state; /* 0 untried, 1 loaded, -1 failed */
    void *handle;
    char error[320];
};

#define NGC_DLIB_INIT(soname, feature, resolve)                                \
    {                                                                          \
        (soname), (feature), (resolve), PTHREAD_MUTEX_INITIALIZER, 0, NULL, "" \
    }

/* A struct field that points to the library function fn, typed as it is. */
#define NGC_DLIB_FIELD(fn) __typeof__(fn) *fn;

/* In a resolve function: points table.field at the library's function
 * `name` (a string), or returns NGC_ERROR. */
#define NGC_DLIB_RESOLVE(lib, table, field, name)                                         \
    do {                                                                                  \
        if (ngc_dlib_sym((lib), (name), &(table).field, sizeof((table).field)) != NGC_OK) \
            return NGC_ERROR;                                                             \
    } while (0)

/* Opens the library and resolves its functions, once per process, from any
 * thread; later calls give the first one's result. NGC_ERROR: the library
 * or one of its functions is missing, and ngc_dlib_error says which. */
int ngc_dlib_load(ngc_dlib_t *lib);

/* Stores the address of the library's function `name` in *fn (size bytes,
 * a function pointer's storage). For resolve functions only. */
int ngc_dlib_sym(ngc_dlib_t *lib, const char *name, void *fn, size_t size);

/* Why the library could not be loaded: "--pg needs libpq.so.5: ...". */
const char *ngc_dlib_error(const ngc_dlib_t *lib);

#endif
