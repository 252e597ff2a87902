/*
 * runfile.h: spilled runs, the reduce table's overflow on disk. A run is a
 * binary file of entries (key length, match, volume, key bytes) in one
 * order: by key for a partition's spills, in output order for a spilled
 * partition's final runs. Files live in the job's spill directory
 * (spill.h), opened by short names relative to it, and die with it.
 */
#ifndef NGC_ENGINE_REDUCE_RUNFILE_H
#define NGC_ENGINE_REDUCE_RUNFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/reduce/entry.h"
#include "engine/reduce/spill.h"

typedef enum { NGC_RUN_SPILL = 's', NGC_RUN_FINAL = 'f' } ngc_run_kind_t;

typedef struct ngc_run_writer_s ngc_run_writer_t;
typedef struct ngc_run_reader_s ngc_run_reader_t;

/* Room for any run's name (a shuffle's output file is named by the user). */
#define NGC_RUN_NAME_MAX 256

/* The name of a partition's run in the spill directory: pNN-KIND-IDX. */
void ngc_run_name(char name[NGC_RUN_NAME_MAX], unsigned part, ngc_run_kind_t kind, uint32_t idx);

/* Creates (or truncates) run `name` in the spill directory, making the
 * directory if no process has yet. NULL with err filled. Any thread. */
ngc_run_writer_t *ngc_run_writer_open(ngc_spill_t *sp, const char *name, char *err, size_t cap);
/* Appends one entry. NGC_OK or NGC_ERROR (see ngc_run_writer_error). */
int ngc_run_writer_add(ngc_run_writer_t *w, const char *key, uint32_t len, uint64_t match,
                       uint64_t volume);
/* Flushes and closes: NGC_OK, or NGC_ERROR (a full disk...). Bytes written
 * go to *bytes. */
int ngc_run_writer_close(ngc_run_writer_t *w, uint64_t *bytes);
/* "cannot write spill run 'path': reason". */
const char *ngc_run_writer_error(const ngc_run_writer_t *w);
/* Frees; a run not closed successfully is removed. Accepts NULL. */
void ngc_run_writer_free(ngc_run_writer_t *w);

/* Opens run `name` for reading. NULL with err filled. */
ngc_run_reader_t *ngc_run_reader_open(ngc_spill_t *sp, const char *name, char *err, size_t cap);
/* The next entry (its key valid until the next call; prefix set):
 * NGC_OK, NGC_EOF, or NGC_ERROR for a damaged file (see the error). */
int ngc_run_reader_next(ngc_run_reader_t *r, ngc_entry_t *e);
const char *ngc_run_reader_error(const ngc_run_reader_t *r);
void ngc_run_reader_free(ngc_run_reader_t *r);
/* Removes run `name`, if it is there. */
void ngc_run_remove(ngc_spill_t *sp, const char *name);
/* Copies a run name, which always fits. */
void ngc_run_set_name(char dst[NGC_RUN_NAME_MAX], const char *name);

#endif
