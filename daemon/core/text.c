/* core/text.c — UTF-8 validation (RFC 3629) and text field checks. */
#include "core/text.h"

#include <string.h>

int isms_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        unsigned int cp;

        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

size_t isms_utf8_len(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

enum isms_code isms_text_check(const char *field, const char *value, size_t max_chars, int required,
                               struct isms_status *st)
{
    size_t n = value == NULL ? 0 : strlen(value);
    size_t chars;
    int blank = 1;

    if (!isms_utf8_valid(value == NULL ? "" : value, n))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s is not valid UTF-8", field);
    chars = isms_utf8_len(value == NULL ? "" : value);
    if (chars > max_chars)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "%s is too long: %zu characters, at most %zu allowed", field, chars,
                               max_chars);
    for (size_t i = 0; i < n; i++)
        if (value[i] != ' ' && value[i] != '\t' && value[i] != '\n' && value[i] != '\r')
            blank = 0;
    if (required && blank)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s must not be empty", field);
    return ISMS_OK;
}

int isms_uuid_text_ok(const char *s)
{
    static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (strlen(s) != sizeof(pattern) - 1)
        return 0;
    for (size_t i = 0; pattern[i] != '\0'; i++) {
        char c = s[i];

        if (pattern[i] == '-'
                ? c != '-'
                : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}
