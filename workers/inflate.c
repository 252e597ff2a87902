/*
 * inflate.c: the two engines. A member starts lazily, on the first byte of
 * input after the previous one ended, so trailing input decides whether
 * another member follows.
 */
#include "engine/base/ngc.h"
#include "workers/inflate.h"

#include <stdlib.h>
#include <zlib.h>
#ifdef NGC_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

struct ngc_inflate_s {
    ngc_inflate_kind_t kind;
    bool in_member;
    bool ended;       /* a member has ended: what follows may be padding */
    bool padding;     /* in the zero bytes after the last member */
    unsigned magic_n; /* bytes of the member's magic checked so far */
    z_stream zs;
    bool zs_init;
#ifdef NGC_HAVE_ISAL
    struct inflate_state isal;
    unsigned char hdr[4]; /* a member's first bytes, to check its flags */
    unsigned hdr_n;
#endif
    char err[128];
};

bool ngc_inflate_have_isal(void)
{
#ifdef NGC_HAVE_ISAL
    return true;
#else
    return false;
#endif
}

ngc_inflate_t *ngc_inflate_new(ngc_inflate_kind_t kind)
{
    if (kind == NGC_INFLATE_AUTO)
        kind = ngc_inflate_have_isal() ? NGC_INFLATE_ISAL : NGC_INFLATE_ZLIB;
    if (kind == NGC_INFLATE_ISAL && !ngc_inflate_have_isal())
        return NULL;
    ngc_inflate_t *z = calloc(1, sizeof(*z));
    if (z == NULL)
        return NULL;
    z->kind = kind;
    if (kind == NGC_INFLATE_ZLIB) {
        if (inflateInit2(&z->zs, 15 + 16) != Z_OK) {
            free(z);
            return NULL;
        }
        z->zs_init = true;
    }
    return z;
}

void ngc_inflate_free(ngc_inflate_t *z)
{
    if (z == NULL)
        return;
    if (z->zs_init)
        inflateEnd(&z->zs);
    free(z);
}

bool ngc_inflate_in_member(const ngc_inflate_t *z)
{
    return z->in_member;
}

const char *ngc_inflate_error(const ngc_inflate_t *z)
{
    return z->err;
}

static long ngc_inflate_zlib(ngc_inflate_t *z, const unsigned char **in, size_t *in_len, char *out,
                             size_t cap, bool *member_end)
{
    if (!z->in_member) {
        if (inflateReset(&z->zs) != Z_OK) {
            snprintf(z->err, sizeof(z->err), "inflateReset() failed");
            return -1;
        }
        z->in_member = true;
    }
    z->zs.next_in = (unsigned char *)*in;
    z->zs.avail_in = (uInt)(*in_len > UINT32_MAX ? UINT32_MAX : *in_len);
    z->zs.next_out = (unsigned char *)out;
    z->zs.avail_out = (uInt)cap;
    int rc = inflate(&z->zs, Z_NO_FLUSH);
    size_t used = (size_t)(z->zs.next_in - *in);
    *in += used;
    *in_len -= used;
    if (rc == Z_STREAM_END) {
        z->in_member = false;
        *member_end = true;
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        snprintf(z->err, sizeof(z->err), "%s", z->zs.msg ? z->zs.msg : "inflate() failed");
        return -1;
    }
    return (long)(cap - z->zs.avail_out);
}

#ifdef NGC_HAVE_ISAL
static const char *ngc_inflate_isal_text(int rc)
{
    switch (rc) {
    case ISAL_INVALID_BLOCK:
        return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
        return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
        return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER:
        return "incorrect header check";
    case ISAL_UNSUPPORTED_METHOD:
        return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM:
        return "incorrect data check";
    default:
        return "isal_inflate() failed";
    }
}

static long ngc_inflate_isal(ngc_inflate_t *z, const unsigned char **in, size_t *in_len, char *out,
                             size_t cap, bool *member_end)
{
    struct inflate_state *s = &z->isal;
    if (!z->in_member) {
        isal_inflate_init(s);
        s->crc_flag = ISAL_GZIP;
        z->in_member = true;
        z->hdr_n = 0;
    }
    /* ISA-L ignores the reserved header flags that RFC 1952 (and zlib)
     * reject: check them ourselves on the member's first four bytes, which
     * are the next bytes of input however they arrive. */
    if (z->hdr_n < 4 && *in_len > 0) {
        size_t take = 4 - z->hdr_n < *in_len ? 4 - z->hdr_n : *in_len;
        memcpy(z->hdr + z->hdr_n, *in, take);
        z->hdr_n += (unsigned)take;
        if (z->hdr_n == 4 && (z->hdr[3] & 0xe0) != 0) {
            snprintf(z->err, sizeof(z->err), "unknown header flags set");
            return -1;
        }
    }
    s->next_in = (uint8_t *)*in;
    s->avail_in = (uint32_t)(*in_len > UINT32_MAX ? UINT32_MAX : *in_len);
    s->next_out = (uint8_t *)out;
    s->avail_out = (uint32_t)cap;
    int rc = isal_inflate(s);
    size_t used = (size_t)(s->next_in - *in);
    *in += used;
    *in_len -= used;
    if (rc < 0) {
        snprintf(z->err, sizeof(z->err), "%s", ngc_inflate_isal_text(rc));
        return -1;
    }
    if (s->block_state == ISAL_BLOCK_FINISH) {
        z->in_member = false;
        *member_end = true;
    }
    return (long)(cap - s->avail_out);
}
#endif

/*
 * What follows a member, before an engine sees it: zero bytes to the end
 * (tape blocks; gzip accepts them) are skipped; anything else must open a
 * member with the gzip magic, or it is trailing garbage. The magic is
 * checked without being consumed: it may come a byte at a time, and the
 * engine reads it again. 1 to go on, or ngc_inflate_run's result.
 */
static long ngc_inflate_between(ngc_inflate_t *z, const unsigned char **in, size_t *in_len)
{
    static const unsigned char magic[2] = {0x1f, 0x8b};
    if (!z->in_member && z->ended && (z->padding || **in == 0)) {
        z->padding = true;
        while (*in_len > 0 && **in == 0) {
            (*in)++;
            (*in_len)--;
        }
        if (*in_len == 0)
            return 0;
        snprintf(z->err, sizeof(z->err), "trailing garbage after gzip data");
        return NGC_INFLATE_GARBAGE;
    }
    if (!z->in_member)
        z->magic_n = 0;
    for (size_t i = 0; z->magic_n + i < 2 && i < *in_len; i++)
        if ((*in)[i] != magic[z->magic_n + i]) {
            if (!z->ended) {
                snprintf(z->err, sizeof(z->err), "not in gzip format");
                return -1;
            }
            snprintf(z->err, sizeof(z->err), "trailing garbage after gzip data");
            return NGC_INFLATE_GARBAGE;
        }
    return 1;
}

long ngc_inflate_run(ngc_inflate_t *z, const unsigned char **in, size_t *in_len, char *out,
                     size_t cap, bool *member_end)
{
    *member_end = false;
    if (*in_len > 0 && (!z->in_member || z->magic_n < 2)) {
        long rc = ngc_inflate_between(z, in, in_len);
        if (rc <= 0)
            return rc;
    }
    size_t before = *in_len;
    long n;
#ifdef NGC_HAVE_ISAL
    if (z->kind == NGC_INFLATE_ISAL)
        n = ngc_inflate_isal(z, in, in_len, out, cap, member_end);
    else
#endif
        n = ngc_inflate_zlib(z, in, in_len, out, cap, member_end);
    size_t used = before - *in_len;
    z->magic_n += used < 2 - z->magic_n ? (unsigned)used : 2 - z->magic_n;
    if (*member_end)
        z->ended = true;
    return n;
}
