/* client/jsonl.c — strict flat-object JSON Lines: the writer escapes only what JSON requires,
 * the reader accepts only what the writer could produce (plus the standard escapes), and never
 * allocates: strings are decoded in place, never longer than their escaped form. */
#include "jsonl.h"

#include <stdint.h>
#include <string.h>

void isms_jsonl_write_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", fp);
            break;
        case '\\':
            fputs("\\\\", fp);
            break;
        case '\n':
            fputs("\\n", fp);
            break;
        case '\r':
            fputs("\\r", fp);
            break;
        case '\t':
            fputs("\\t", fp);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(fp, "\\u%04x", (unsigned)*p);
            else
                fputc(*p, fp);
        }
    }
    fputc('"', fp);
}

/* The parser's position. */
struct cursor {
    char *s;
    size_t len;
    size_t pos;
    struct isms_status *st;
};

static enum isms_code fail(struct cursor *c, const char *what)
{
    return isms_status_set(c->st, ISMS_INVALID_ARGUMENT, "column %zu: %s", c->pos + 1, what);
}

static void skip_blanks(struct cursor *c)
{
    while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t'))
        c->pos++;
}

static int hex4(const char *p)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        char h = p[i];
        int d = h >= '0' && h <= '9'   ? h - '0'
                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                       : -1;

        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Length of the valid UTF-8 sequence at p[0..left), or 0 if invalid (overlong, surrogate,
 * beyond U+10FFFF, truncated). p[0] >= 0x80. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
    size_t n;
    uint32_t cp, min;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        cp = p[0] & 0x1f;
        min = 0x80;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        cp = p[0] & 0x0f;
        min = 0x800;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        cp = p[0] & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Writes code point `cp` as UTF-8 at out; returns the bytes written. */
static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Parses the string starting at the opening quote; decodes it in place and terminates it.
 * *out points at the decoded text. */
static enum isms_code parse_string(struct cursor *c, const char **out)
{
    size_t w;

    if (c->pos >= c->len || c->s[c->pos] != '"')
        return fail(c, "expected a string");
    c->pos++;
    w = c->pos; /* the decoded text is written from here on, never ahead of the reading */
    *out = c->s + w;
    for (;;) {
        unsigned char ch;

        if (c->pos >= c->len)
            return fail(c, "unterminated string");
        ch = (unsigned char)c->s[c->pos];
        if (ch == '"') {
            c->s[w] = '\0';
            c->pos++;
            return ISMS_OK;
        }
        if (ch < 0x20)
            return fail(c, "control character in a string (must be escaped)");
        if (ch >= 0x80) {
            size_t n = utf8_len((const unsigned char *)c->s + c->pos, c->len - c->pos);

            if (n == 0)
                return fail(c, "invalid UTF-8");
            memmove(c->s + w, c->s + c->pos, n);
            w += n;
            c->pos += n;
            continue;
        }
        if (ch != '\\') {
            c->s[w++] = (char)ch;
            c->pos++;
            continue;
        }
        if (c->pos + 1 >= c->len)
            return fail(c, "unterminated escape");
        switch (c->s[c->pos + 1]) {
        case '"':
        case '\\':
        case '/':
            c->s[w++] = c->s[c->pos + 1];
            c->pos += 2;
            continue;
        case 'b':
            c->s[w++] = '\b';
            c->pos += 2;
            continue;
        case 'f':
            c->s[w++] = '\f';
            c->pos += 2;
            continue;
        case 'n':
            c->s[w++] = '\n';
            c->pos += 2;
            continue;
        case 'r':
            c->s[w++] = '\r';
            c->pos += 2;
            continue;
        case 't':
            c->s[w++] = '\t';
            c->pos += 2;
            continue;
        case 'u':
            break;
        default:
            return fail(c, "unknown escape");
        }
        {
            int hi, lo;
            uint32_t cp;

            if (c->len - c->pos < 6 || (hi = hex4(c->s + c->pos + 2)) < 0)
                return fail(c, "\\u needs four hex digits");
            cp = (uint32_t)hi;
            if (cp == 0)
                return fail(c, "\\u0000 is not allowed");
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return fail(c, "lone low surrogate");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (c->len - c->pos < 12 || c->s[c->pos + 6] != '\\' || c->s[c->pos + 7] != 'u' ||
                    (lo = hex4(c->s + c->pos + 8)) < 0 || lo < 0xdc00 || lo > 0xdfff)
                    return fail(c, "high surrogate without a low surrogate");
                cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
                c->pos += 12;
            } else {
                c->pos += 6;
            }
            /* 6 escaped bytes give at most 3, 12 give 4: w stays behind pos. */
            w += put_utf8(c->s + w, cp);
        }
    }
}

/* Parses an integer into m->number. */
static enum isms_code parse_integer(struct cursor *c, struct isms_jsonl_member *m)
{
    size_t start = c->pos, digits = 0;

    if (c->pos < c->len && c->s[c->pos] == '-')
        c->pos++;
    if (c->pos >= c->len || c->s[c->pos] < '0' || c->s[c->pos] > '9')
        return fail(c, "expected a string or an integer");
    if (c->s[c->pos] == '0' && c->pos + 1 < c->len && c->s[c->pos + 1] >= '0' &&
        c->s[c->pos + 1] <= '9')
        return fail(c, "leading zero in a number");
    while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
        c->pos++;
        if (++digits > 19)
            return fail(c, "number too long");
    }
    if (c->pos < c->len && (c->s[c->pos] == '.' || c->s[c->pos] == 'e' || c->s[c->pos] == 'E'))
        return fail(c, "only integers are expected");
    memcpy(m->number, c->s + start, c->pos - start);
    m->number[c->pos - start] = '\0';
    m->value = m->number;
    m->is_string = false;
    return ISMS_OK;
}

enum isms_code isms_jsonl_parse(char *line, size_t len, struct isms_jsonl_member *members,
                                size_t max, size_t *n, struct isms_status *st)
{
    struct cursor c = {line, len, 0, st};

    *n = 0;
    skip_blanks(&c);
    if (c.pos >= c.len || c.s[c.pos] != '{')
        return fail(&c, "expected '{'");
    c.pos++;
    skip_blanks(&c);
    if (c.pos < c.len && c.s[c.pos] == '}') {
        c.pos++;
        goto end;
    }
    for (;;) {
        struct isms_jsonl_member *m;

        if (*n >= max)
            return fail(&c, "too many members");
        m = &members[*n];
        memset(m, 0, sizeof(*m));
        skip_blanks(&c);
        /* Keys are decoded before the duplicate check, so "a" and "\u0061" collide. */
        if (parse_string(&c, &m->key) != ISMS_OK)
            return st->code;
        for (size_t k = 0; k < *n; k++) {
            if (strcmp(members[k].key, m->key) == 0)
                return fail(&c, "duplicate key");
        }
        skip_blanks(&c);
        if (c.pos >= c.len || c.s[c.pos] != ':')
            return fail(&c, "expected ':'");
        c.pos++;
        skip_blanks(&c);
        if (c.pos < c.len && c.s[c.pos] == '"') {
            if (parse_string(&c, &m->value) != ISMS_OK)
                return st->code;
            m->is_string = true;
        } else if (parse_integer(&c, m) != ISMS_OK) {
            return st->code;
        }
        (*n)++;
        skip_blanks(&c);
        if (c.pos < c.len && c.s[c.pos] == ',') {
            c.pos++;
            continue;
        }
        if (c.pos < c.len && c.s[c.pos] == '}') {
            c.pos++;
            break;
        }
        return fail(&c, "expected ',' or '}'");
    }
end:
    skip_blanks(&c);
    if (c.pos < c.len)
        return fail(&c, "unexpected text after the object");
    return ISMS_OK;
}
