/*
 * token.c: see token.h. A token is the bytes up to the next space; its tag,
 * if any, is the part after its last '_' when that names one of Google's
 * tags.
 */
#include "engine/base/ngc.h"
#include "workers/token.h"

#include <stdbool.h>
#include <stdlib.h>
#include <utf8proc.h>

/* Google's part-of-speech tags, as suffixes "_NOUN" and tokens "_NOUN_". */
static bool ngc_token_is_tag(const char *p, size_t len)
{
    static const char *const tags[] = {"NOUN", "VERB", "ADJ",  "ADV", "PRON", "DET",
                                       "ADP",  "NUM",  "CONJ", "PRT", "X",    "."};
    for (size_t i = 0; i < NGC_NELEMS(tags); i++)
        if (strlen(tags[i]) == len && memcmp(tags[i], p, len) == 0)
            return true;
    return false;
}

static bool ngc_token_tag_only(const char *p, size_t len)
{
    if (len < 3 || p[0] != '_' || p[len - 1] != '_')
        return false;
    const char *in = p + 1;
    size_t n = len - 2;
    return ngc_token_is_tag(in, n) || (n == 5 && memcmp(in, "START", 5) == 0) ||
           (n == 3 && memcmp(in, "END", 3) == 0) || (n == 4 && memcmp(in, "ROOT", 4) == 0);
}

/* Length of the word without its tag suffix, or len when untagged. */
static size_t ngc_token_untagged(const char *p, size_t len)
{
    const char *u = NULL;
    for (size_t i = len; i-- > 1;)
        if (p[i] == '_') {
            u = p + i;
            break;
        }
    if (u == NULL)
        return len;
    size_t tag_len = (size_t)(p + len - (u + 1));
    return ngc_token_is_tag(u + 1, tag_len) ? (size_t)(u - p) : len;
}

/* A token of an ngram: the bytes up to the next space (or the end). */
typedef struct {
    size_t len;       /* its bytes */
    size_t word;      /* its bytes without a _TAG (len for a tag alone) */
    bool tag_only;    /* the token is a tag such as _NOUN_ */
    const char *next; /* the next token, NULL after the last */
} ngc_token_t;

static inline ngc_token_t ngc_token_next(const char *s, const char *e)
{
    const char *sp = memchr(s, ' ', (size_t)(e - s));
    size_t len = (size_t)((sp ? sp : e) - s);
    bool tag_only = ngc_token_tag_only(s, len);
    return (ngc_token_t){len, tag_only ? len : ngc_token_untagged(s, len), tag_only,
                         sp ? sp + 1 : NULL};
}

int ngc_token_pos(ngc_pos_t mode, const char *key, size_t len, char *out, size_t *out_len)
{
    const char *e = key + len;
    size_t n = 0;
    for (const char *s = key; s != NULL;) {
        ngc_token_t t = ngc_token_next(s, e);
        bool tagged = t.tag_only || t.word != t.len;
        if (mode == NGC_POS_DROP && tagged)
            return NGC_AGAIN;
        if (mode == NGC_POS_STRIP) {
            if (!tagged || t.tag_only)
                return NGC_AGAIN;
            if (n > 0)
                out[n++] = ' ';
            memcpy(out + n, s, t.word);
            n += t.word;
        }
        s = t.next;
    }
    *out_len = mode == NGC_POS_STRIP ? n : len;
    return NGC_OK;
}

size_t ngc_token_strip_tags(const char *key, size_t len, char *out)
{
    const char *e = key + len;
    size_t n = 0;
    for (const char *s = key;;) {
        ngc_token_t t = ngc_token_next(s, e);
        memmove(out + n, s, t.word);
        n += t.word;
        if (t.next == NULL)
            return n;
        out[n++] = ' ';
        s = t.next;
    }
}

size_t ngc_token_fold(const char *key, size_t len, char *out)
{
    bool ascii = true;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)key[i] >= 0x80) {
            ascii = false;
            break;
        }
    if (ascii) {
        for (size_t i = 0; i < len; i++) {
            char c = key[i];
            out[i] = c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
        }
        return len;
    }
    utf8proc_uint8_t *folded = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)key, (utf8proc_ssize_t)len, &folded,
                                      UTF8PROC_CASEFOLD | UTF8PROC_STABLE);
    if (n < 0 || (size_t)n > (size_t)NGC_LINE_MAX * 3) {
        /* Not valid UTF-8: the bytes pass through unchanged. */
        free(folded);
        memmove(out, key, len);
        return len;
    }
    memcpy(out, folded, (size_t)n);
    free(folded);
    return (size_t)n;
}
