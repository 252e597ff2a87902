/*
 * inflate.h: gzip decompression behind one interface, with two engines:
 * Intel ISA-L's igzip (several times faster, used when the build found
 * libisal) and zlib (always there). Members follow one another (pigz,
 * bgzip, cat a.gz b.gz), and zero padding may follow the last; every
 * member's CRC is checked. Pure: buffers in, buffers out.
 */
#ifndef NGC_WORKERS_INFLATE_H
#define NGC_WORKERS_INFLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/base/config.h"

typedef struct ngc_inflate_s ngc_inflate_t;

/* NULL on ENOMEM. AUTO picks ISA-L when built in. */
ngc_inflate_t *ngc_inflate_new(ngc_inflate_kind_t kind);
void ngc_inflate_free(ngc_inflate_t *z);
/* Whether this build has ISA-L. */
bool ngc_inflate_have_isal(void);

/* ngc_inflate_run's result for bytes after the last member that are
 * neither another member nor zero padding. */
#define NGC_INFLATE_GARBAGE (-2)

/*
 * Inflates from *in (*in_len bytes; both advanced) into out (cap bytes).
 * Returns the bytes written (0 when it needs input), -1 on corrupt data or
 * NGC_INFLATE_GARBAGE, with a reason in ngc_inflate_error. *member_end is
 * set when a member ended exactly here; the next call starts a new member.
 * Zero bytes after a member, to the end, are skipped (as gzip does: tape
 * blocks pad files so).
 */
long ngc_inflate_run(ngc_inflate_t *z, const unsigned char **in, size_t *in_len, char *out,
                     size_t cap, bool *member_end);
/* Whether a member is half done (input ending now means truncation). */
bool ngc_inflate_in_member(const ngc_inflate_t *z);
const char *ngc_inflate_error(const ngc_inflate_t *z);

#endif
