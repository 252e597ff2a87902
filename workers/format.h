/*
 * format.h: the input layouts' names, and telling them apart from a file's
 * first lines (--format auto). Pure code.
 */
#ifndef NGC_WORKERS_FORMAT_H
#define NGC_WORKERS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/base/config.h"

/* Bytes of a file's head that auto detection looks at (more only when its
 * first line is longer). */
#define NGC_FORMAT_HEAD (64u << 10)
/* What to say of an input whose format cannot be told, after its name. */
#define NGC_FORMAT_UNKNOWN                                                              \
    "cannot tell the format: its first lines are not Google Books Ngram v1, v2 or v3; " \
    "name it with --format, or count raw text with --text"

/* "v1", "v2", "v3", "text" or "auto". */
const char *ngc_format_name(ngc_format_t f);

/*
 * The Google Books layout (v1, v2 or v3) that most of the whole lines in
 * head[0..len) follow (whole: head is the entire input, so its last
 * line counts even without a newline; lines past the detection window
 * are not looked at, so a buffer and a head read of one file agree), or NGC_FORMAT_AUTO when none of them follows any.
 * Raw text is never guessed: a file of prose must be asked for with --text.
 */
ngc_format_t ngc_format_detect(const char *head, size_t len, bool whole);

/* A compressed container, told by its first bytes (never by its name). */
typedef enum {
    NGC_PACK_NONE,
    NGC_PACK_GZIP,
    NGC_PACK_ZIP,
    NGC_PACK_BZIP2,
    NGC_PACK_XZ,
    NGC_PACK_ZSTD,
} ngc_pack_t;
/* Bytes that ngc_format_pack needs to tell every container. */
#define NGC_PACK_MAGIC 6
/* The container whose magic head[0..len) starts with; NONE for plain. */
ngc_pack_t ngc_format_pack(const unsigned char *head, size_t len);
/* Whether an input names an http or https URL (streamed with libcurl). */
bool ngc_format_url(const char *path);
/* "gzip", "zip", "bzip2", "xz", "zstd" or "plain". */
const char *ngc_format_pack_name(ngc_pack_t p);

#endif
