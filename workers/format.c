/*
 * format.c: a line votes for the layout it parses as (by the map's own line
 * parsers); the majority of the head's lines decides, so one malformed
 * first line cannot mislead it.
 */
#include "engine/base/ngc.h"
#include "workers/format.h"
#include "workers/parse.h"

#include <stdbool.h>
#include <strings.h>

const char *ngc_format_name(ngc_format_t f)
{
    const char *name = ngc_config_name_of(ngc_config_format_names, (int)f);
    return name != NULL ? name : "?";
}

/* The layout that line s..e parses as, by the parsers the map runs. */
static ngc_format_t ngc_format_line(const char *s, const char *e)
{
    static const ngc_format_t layouts[] = {NGC_FORMAT_V2, NGC_FORMAT_V1, NGC_FORMAT_V3};
    for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
        ngc_line_t line;
        if (ngc_parse_google_line(layouts[i], s, (size_t)(e - s), 0, UINT32_MAX, &line) ==
            NGC_STREAMING_REASON_NONE)
            return layouts[i];
    }
    return NGC_FORMAT_AUTO;
}

ngc_format_t ngc_format_detect(const char *head, size_t len, bool whole)
{
    /* Every task of a file must see the same lines: those within the first
     * NGC_FORMAT_HEAD bytes, or the first line alone when it is longer. */
    if (len > NGC_FORMAT_HEAD) {
        size_t window = memchr(head, '\n', NGC_FORMAT_HEAD) ? NGC_FORMAT_HEAD : NGC_LINE_MAX + 2;
        if (len > window) {
            len = window;
            whole = false;
        }
    }
    unsigned votes[NGC_FORMAT_MAX] = {0};
    const char *p = head, *end = head + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL) {
            /* A line cut by the head's end could vote wrong. */
            if (whole)
                votes[ngc_format_line(p, end)]++;
            break;
        }
        votes[ngc_format_line(p, nl)]++;
        p = nl + 1;
    }
    ngc_format_t best = NGC_FORMAT_AUTO;
    for (ngc_format_t f = NGC_FORMAT_V1; f <= NGC_FORMAT_V3; f++)
        if (votes[f] > votes[best] || (best == NGC_FORMAT_AUTO && votes[f] > 0))
            best = f;
    return best;
}

ngc_pack_t ngc_format_pack(const unsigned char *head, size_t len)
{
    static const struct {
        ngc_pack_t pack;
        size_t len;
        const char *magic;
    } magics[] = {
        {NGC_PACK_GZIP, 2, "\x1f\x8b"},
        /* A local file header; an empty zip (only its end record) has
         * nothing to count and reads as a malformed plain file. */
        {NGC_PACK_ZIP, 4, "PK\x03\x04"},
        {NGC_PACK_BZIP2, 3, "BZh"},
        {NGC_PACK_XZ, 6,
         "\xfd"
         "7zXZ\0"},
        {NGC_PACK_ZSTD, 4, "\x28\xb5\x2f\xfd"},
    };
    for (size_t i = 0; i < NGC_NELEMS(magics); i++)
        if (len >= magics[i].len && memcmp(head, magics[i].magic, magics[i].len) == 0)
            return magics[i].pack;
    return NGC_PACK_NONE;
}

const char *ngc_format_pack_name(ngc_pack_t p)
{
    static const char *const names[] = {"plain", "gzip", "zip", "bzip2", "xz", "zstd"};
    return (unsigned)p < NGC_NELEMS(names) ? names[p] : "?";
}

bool ngc_format_url(const char *path)
{
    return strncasecmp(path, "http://", 7) == 0 || strncasecmp(path, "https://", 8) == 0;
}
