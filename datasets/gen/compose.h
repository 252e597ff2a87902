/*
 * compose.h: the vocabulary of orders 2 to 5: distinct ngrams joined from
 * Zipf-drawn 1-grams (vocab.h), ranked so that ngrams of frequent tokens
 * are frequent.
 */

#ifndef NGC_DATASETS_GEN_COMPOSE_H
#define NGC_DATASETS_GEN_COMPOSE_H

#include <stdint.h>

#include "datasets/gen/config.h"
#include "datasets/gen/sort.h"
#include "datasets/gen/strset.h"

/* count distinct ngrams of cfg->order tokens into a, each with its rank
 * before it; *out gets count records (val = string offset) in rank order,
 * which the caller frees. NGC_GEN_OK or NGC_GEN_ERROR */
int ngc_gen_compose(const ngc_gen_config_t *cfg, uint64_t count, ngc_gen_arena_t *a,
                    ngc_gen_rec_t **out);

#endif
