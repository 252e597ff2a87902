/*
 * token.h: what --pos and --fold-case do to an ngram's key: Google's
 * part-of-speech tags (suffixes "_NOUN", tokens "_NOUN_") dropped or
 * stripped, Unicode full case folding. Pure code, shared by the Google
 * formats (parse.h), raw text (text.h) and the selections (select.h).
 */
#ifndef NGC_WORKERS_TOKEN_H
#define NGC_WORKERS_TOKEN_H

#include <stddef.h>

#include "engine/base/config.h"

/* --pos drop or strip on key: NGC_OK with the key to count in out (strip;
 * len bytes of room) and its length in *out_len (len for drop, key kept),
 * or NGC_AGAIN when the ngram is not counted (drop: a tagged token; strip:
 * an untagged token or a tag alone). */
int ngc_token_pos(ngc_pos_t mode, const char *key, size_t len, char *out, size_t *out_len);

/* Removes the part-of-speech suffix of each tagged token of key into out
 * (len bytes): the form --pos strip counts; other tokens are kept. Returns
 * out's length. For selections, which may name untagged words. */
size_t ngc_token_strip_tags(const char *key, size_t len, char *out);

/* Unicode full case folding of key (at most NGC_LINE_MAX bytes) into out
 * (3 * NGC_LINE_MAX bytes: folding at most triples a key); invalid
 * UTF-8 is copied unchanged. Returns out's length. */
size_t ngc_token_fold(const char *key, size_t len, char *out);

#endif
