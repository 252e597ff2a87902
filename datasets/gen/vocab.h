/*
 * vocab.h: the vocabularies. 1-grams are fixed frequent tokens, generated
 * words, their tagged variants and tag-only tokens (higher orders join them:
 * compose.h); text words are function words, then generated ones.
 * All of them are distinct and ranked, rank 0 the most frequent.
 */

#ifndef NGC_DATASETS_GEN_VOCAB_H
#define NGC_DATASETS_GEN_VOCAB_H

#include <stdint.h>

#include "datasets/gen/config.h"
#include "datasets/gen/rng.h"
#include "datasets/gen/sort.h"
#include "datasets/gen/strset.h"

/* count distinct 1-grams into a, each with its rank before it; *out gets
 * count records (val = string offset) in rank order, which the caller
 * frees. NGC_GEN_OK or NGC_GEN_ERROR */
int ngc_gen_vocab1(const ngc_gen_config_t *cfg, uint64_t count, ngc_gen_arena_t *a,
                   ngc_gen_rec_t **out);

/* Sorts rec[0..count) by key into rank order and stores each record's rank
 * in the 4 bytes before its string in a (ngc_gen_vocab1, ngc_gen_compose).
 * NGC_GEN_OK, or NGC_GEN_ERROR after a message, rec unsorted */
int ngc_gen_store_ranks(ngc_gen_rec_t *rec, uint64_t count, ngc_gen_arena_t *a);

/* the count words of --format text into a, in rank order: *off and *wlen
 * get their offsets and lengths, walias the Zipf table over them. On
 * NGC_GEN_ERROR too the caller frees *off, *wlen and walias */
int ngc_gen_vocab_text(const ngc_gen_config_t *cfg, uint64_t count, ngc_gen_arena_t *a,
                       uint64_t **off, uint8_t **wlen, ngc_gen_alias_t *walias);

#endif
