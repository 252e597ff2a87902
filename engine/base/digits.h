/*
 * digits.h: an unsigned integer's decimal digits, written without printf
 * (the output pass, the COPY rows and the streaming reducer print one or
 * two per line, tens of millions of lines).
 */
#ifndef NGC_ENGINE_BASE_DIGITS_H
#define NGC_ENGINE_BASE_DIGITS_H

#include <stddef.h>
#include <stdint.h>

/* Most digits a uint64_t takes. */
#define NGC_DIGITS_U64_MAX 20

/* Writes v's digits at dst (no terminator); returns how many. */
size_t ngc_digits_u64(char *dst, uint64_t v);

#endif
