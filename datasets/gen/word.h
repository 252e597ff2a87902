/*
 * word.h: generated tokens. A word is built as code points (syllables,
 * capitals, accents, numbers, Greek, Cyrillic, CJK) and stored as UTF-8;
 * frequent words (small n) are short. Every choice is a draw from the
 * caller's stream, so a stream and n give the same word everywhere.
 */

#ifndef NGC_DATASETS_GEN_WORD_H
#define NGC_DATASETS_GEN_WORD_H

#include <stddef.h>
#include <stdint.h>

#include "datasets/gen/rng.h"

typedef enum {
    NGC_GEN_TAG_NOUN,
    NGC_GEN_TAG_VERB,
    NGC_GEN_TAG_ADJ,
    NGC_GEN_TAG_ADV,
    NGC_GEN_TAG_PRON,
    NGC_GEN_TAG_DET,
    NGC_GEN_TAG_ADP,
    NGC_GEN_TAG_NUM,
    NGC_GEN_TAG_CONJ,
    NGC_GEN_TAG_PRT,
    NGC_GEN_TAG_X,
    NGC_GEN_TAG_DOT,
    NGC_GEN_NTAGS
} ngc_gen_tag_t;

typedef enum { NGC_GEN_CLS_WORD, NGC_GEN_CLS_NUM } ngc_gen_cls_t;

/* the capital of code point c (Latin-1, Greek, Cyrillic), or c itself */
uint32_t ngc_gen_upper(uint32_t c);

/* writes one base token of frequency order n, never with '_', space, TAB
 * or newline, to out (NGC_GEN_TOKEN_MAX bytes, NUL-terminated; *len its
 * bytes); NGC_GEN_CLS_NUM for a number */
ngc_gen_cls_t ngc_gen_word(ngc_gen_rng_t *rng, uint64_t n, double utf8_share, char *out,
                           size_t *len);

/* a part-of-speech tag by how often words carry each */
ngc_gen_tag_t ngc_gen_pick_tag(ngc_gen_rng_t *rng);

#endif
