/*
 * lines.c: see lines.h. Text sits beside the Google formats, not under
 * them: both share the parse state and its emit, so neither calls the other.
 */
#include "engine/base/ngc.h"
#include "workers/lines.h"
#include "workers/text.h"

int ngc_lines_map(ngc_parse_t *ps, const char *p, size_t len, ngc_combiner_t *m)
{
    return ps->format == NGC_FORMAT_TEXT ? ngc_text_buffer(ps, p, len, m)
                                         : ngc_parse_buffer(ps, p, len, m);
}
