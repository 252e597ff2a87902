/*
 * tmpname.h: random suffixes for names that must not collide with another
 * job's (the spill directory, the output's temporary). getrandom(2), with
 * the clock and pid as a fallback where it has no entropy to give yet.
 */
#ifndef NGC_ENGINE_BASE_TMPNAME_H
#define NGC_ENGINE_BASE_TMPNAME_H

#include <stddef.h>

/* The characters a suffix is made of. */
#define NGC_TMPNAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/* Writes n random NGC_TMPNAME_CHARS and a NUL at dst (n + 1 bytes). Any thread. */
void ngc_tmpname_suffix(char *dst, size_t n);

#endif
