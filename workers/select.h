/*
 * select.h: --select and --select-file, the set of ngrams a job counts.
 * Entries are prepared as the counted keys are (--pos strip removes the
 * tag of each tagged token, --fold-case folds), so a key matches after its
 * own transformation. A token "*" matches any one token; an entry with
 * another token count never matches. Pure code.
 */
#ifndef NGC_WORKERS_SELECT_H
#define NGC_WORKERS_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/config.h"

typedef struct ngc_select_s ngc_select_t;

/* The matcher of cfg->selects under cfg's --pos and --fold-case, or NULL
 * when out of memory. Any thread; the result is read-only. */
ngc_select_t *ngc_select_new(const ngc_config_t *cfg);
void ngc_select_free(ngc_select_t *s);

/* Whether the transformed key k[0..len) is selected. Cheap for the keys
 * that are not: a byte and a length test settle most of them. Any thread. */
bool ngc_select_match(const ngc_select_t *s, const char *k, size_t len);

/* Entries after preparation (duplicates removed), exact and wildcard. */
size_t ngc_select_count(const ngc_select_t *s);

#endif
