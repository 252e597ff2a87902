/*
 * spill.h: the job's spill directory, where partitions that outgrow
 * --memory write their runs. The coordinator names it before the first fork,
 * after its own pid (TMP/ngram-count-spill.PID.XXXXXX), and creates nothing:
 * the first process that spills makes it, so a job that never spills never
 * touches --tmp-dir. Runs are opened relative to the directory's descriptor
 * (openat), so their names stay short however long --tmp-dir is.
 *
 * DESIGN: each process opens the directory once (any thread, under the
 * handle's mutex) and holds a shared flock(2) on that descriptor for its
 * life. A directory whose coordinator pid is gone and that nobody holds is
 * a killed job's: the next job's sweep takes the lock exclusively, which
 * also keeps two sweeps apart, and removes it.
 */
#ifndef NGC_ENGINE_REDUCE_SPILL_H
#define NGC_ENGINE_REDUCE_SPILL_H

#include <stddef.h>

typedef struct ngc_spill_s ngc_spill_t;

/* Names the directory in tmp_dir; touches no file. NULL: out of memory.
 * Coordinator, before fork; each forked process then uses its own copy. */
ngc_spill_t *ngc_spill_new(const char *tmp_dir);
/* A handle on directory `name` in `parent`, for a shuffle's partition and
 * total files (engine/reduce/shuffle.h): created on first use if missing, never
 * swept. NULL: out of memory or a name over 200 bytes. */
ngc_spill_t *ngc_spill_at(const char *parent, const char *name);
/* Frees the handle (closing this process's descriptor); accepts NULL. */
void ngc_spill_free(ngc_spill_t *s);

/* The directory's descriptor in this process: opened, and created if no
 * process has yet, on first use. -1 with err filled ("--tmp-dir: cannot
 * create a directory in '...': reason"). Any thread of any process. */
int ngc_spill_fd(ngc_spill_t *s, char *err, size_t cap);
/* The directory's path for messages, shortened to its last 100 bytes or
 * so when longer (the name stays readable). */
const char *ngc_spill_show(const ngc_spill_t *s);

/* Removes the directory and everything in it, if it exists; silent.
 * Any process. */
void ngc_spill_remove(ngc_spill_t *s);

/* Removes the spill directories in tmp_dir left by killed jobs (saying so
 * on stderr); silent when tmp_dir cannot be read. Coordinator. */
void ngc_spill_sweep(const char *tmp_dir);

/* Raises the soft limit on open descriptors to the hard one (merges of
 * many runs need them). Coordinator, before fork: workers inherit it. */
void ngc_spill_raise_fd_limit(void);
/* How many runs one merge may read at once when `merges` merges of this
 * process run at the same time: from the descriptor limit, less a
 * reserve, at least 2 and at most a bound that keeps buffers small. */
size_t ngc_spill_fan_in(unsigned merges);

#endif
