/* client/json_text.c — JSON strings from untrusted text and jansson error messages. jansson
 * refuses to hold invalid UTF-8, so server text is repaired here, byte by byte, before it is
 * encoded; text that is hashed is never repaired (isms_json_text_exact). */
#include "json_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p[0..left), or 0 if it is not one (overlong,
 * surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_valid_len(const unsigned char *p, size_t left)
{
    size_t n;
    uint32_t cp, min;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        cp = p[0] & 0x1fu;
        min = 0x80;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        cp = p[0] & 0x0fu;
        min = 0x800;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        cp = p[0] & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

json_t *isms_json_text(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    size_t len = strlen((const char *)p), out_len = 0;
    char *fixed;
    json_t *j;

    j = json_stringn((const char *)p, len);
    if (j != NULL || len == 0)
        return j;
    /* Invalid UTF-8 (or out of memory): each bad byte becomes the 3-byte U+FFFD. */
    if (len > (SIZE_MAX - 1) / 3)
        return NULL;
    fixed = malloc(len * 3 + 1);
    if (fixed == NULL)
        return NULL;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_valid_len(p + i, len - i);

        if (n == 0) {
            memcpy(fixed + out_len, "\xef\xbf\xbd", 3);
            out_len += 3;
            i++;
        } else {
            memcpy(fixed + out_len, p + i, n);
            out_len += n;
            i += n;
        }
    }
    j = json_stringn(fixed, out_len);
    free(fixed);
    return j;
}

json_t *isms_json_text_exact(const char *s)
{
    return json_string(s != NULL ? s : "");
}

void isms_json_error_text(const json_error_t *err, int is_one_line, char *out, size_t size)
{
    static const char flag_hint[] = " without JSON_ALLOW_NUL";
    char text[sizeof(err->text)];
    char *hint;

    /* People read these: jansson's NUL message names a flag of its API; drop that part. */
    snprintf(text, sizeof(text), "%s", err->text);
    if ((hint = strstr(text, flag_hint)) != NULL)
        memmove(hint, hint + strlen(flag_hint), strlen(hint + strlen(flag_hint)) + 1);
    /* At the end of the input jansson may say column 0; people count from 1. */
    if (is_one_line)
        snprintf(out, size, "column %d: %s", err->column > 0 ? err->column : 1, text);
    else
        snprintf(out, size, "line %d, column %d: %s", err->line > 0 ? err->line : 1,
                 err->column > 0 ? err->column : 1, text);
}
