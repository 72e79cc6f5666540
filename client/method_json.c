/* client/method_json.c — a small strict JSON reader for `method set --file`: whole numbers only,
 * depth at most JSON_DEPTH_MAX, UTF-8 from \u escapes with surrogate pairs checked. Every value
 * below the root is heap memory owned by its parent and freed by isms_jv_free(). */
#include "method_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_DEPTH_MAX 8

struct jparser {
    const char *p, *end;
    int depth;
    char err[160];
};

void isms_jv_free(struct isms_jv *v)
{
    if (v == NULL)
        return;
    for (size_t k = 0; k < v->n; k++) {
        isms_jv_free(&v->items[k]);
        if (v->keys != NULL)
            free(v->keys[k]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    memset(v, 0, sizeof(*v));
}

/* Records the first error; isms_jv_parse() adds where it happened. */
static int jp_fail(struct jparser *jp, const char *what)
{
    if (jp->err[0] == '\0')
        snprintf(jp->err, sizeof(jp->err), "%s", what);
    return -1;
}

static void jp_ws(struct jparser *jp)
{
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
        jp->p++;
}

/* Appends code point `cp` as UTF-8. */
static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int hex4(const char *p, uint32_t *out)
{
    uint32_t v = 0;

    for (int k = 0; k < 4; k++) {
        char c = p[k];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Parses a string at jp->p (on the opening quote) into a heap copy. */
static int jp_string(struct jparser *jp, char **out)
{
    const char *s = ++jp->p;
    size_t len = 0;
    char *o;

    while (s < jp->end && *s != '"') {
        if (*s == '\\')
            s++;
        s++;
        len++;
    }
    if (s >= jp->end)
        return jp_fail(jp, "unterminated string");
    o = malloc(len * 4 + 1); /* \uXXXX gives at most 4 bytes per escape */
    if (o == NULL)
        return jp_fail(jp, "out of memory");
    len = 0;
    while (*jp->p != '"') {
        unsigned char c = (unsigned char)*jp->p++;

        if (c < 0x20) {
            free(o);
            return jp_fail(jp, "control character in a string");
        }
        if (c != '\\') {
            o[len++] = (char)c;
            continue;
        }
        c = (unsigned char)*jp->p++;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            o[len++] = (char)c;
            break;
        case 'b':
            o[len++] = '\b';
            break;
        case 'f':
            o[len++] = '\f';
            break;
        case 'n':
            o[len++] = '\n';
            break;
        case 'r':
            o[len++] = '\r';
            break;
        case 't':
            o[len++] = '\t';
            break;
        case 'u': {
            uint32_t cp, lo;

            if (jp->end - jp->p < 4 || hex4(jp->p, &cp) != 0 || cp == 0) {
                free(o);
                return jp_fail(jp, "bad \\u escape");
            }
            jp->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (jp->end - jp->p < 6 || jp->p[0] != '\\' || jp->p[1] != 'u' ||
                    hex4(jp->p + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                    free(o);
                    return jp_fail(jp, "lone surrogate in a \\u escape");
                }
                jp->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                free(o);
                return jp_fail(jp, "lone surrogate in a \\u escape");
            }
            len += put_utf8(o + len, cp);
            break;
        }
        default:
            free(o);
            return jp_fail(jp, "bad escape in a string");
        }
    }
    jp->p++;
    o[len] = '\0';
    *out = o;
    return 0;
}

static int jp_value(struct jparser *jp, struct isms_jv *v);

/* Parses the items of an array or object after its opening bracket. */
static int jp_items(struct jparser *jp, struct isms_jv *v, char close)
{
    size_t cap = 0;

    jp_ws(jp);
    if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
        return 0;
    }
    for (;;) {
        char *key = NULL;

        if (v->n == cap) {
            size_t ncap = cap == 0 ? 8 : cap * 2;
            struct isms_jv *items = realloc(v->items, ncap * sizeof(*items));
            char **keys;

            if (items == NULL)
                return jp_fail(jp, "out of memory");
            v->items = items;
            if (close == '}') {
                keys = realloc(v->keys, ncap * sizeof(*keys));
                if (keys == NULL)
                    return jp_fail(jp, "out of memory");
                v->keys = keys;
            }
            cap = ncap;
        }
        jp_ws(jp);
        if (close == '}') {
            if (jp->p >= jp->end || *jp->p != '"')
                return jp_fail(jp, "expected a key in quotes");
            if (jp_string(jp, &key) != 0)
                return -1;
            jp_ws(jp);
            if (jp->p >= jp->end || *jp->p != ':') {
                free(key);
                return jp_fail(jp, "expected ':' after a key");
            }
            jp->p++;
        }
        memset(&v->items[v->n], 0, sizeof(v->items[v->n]));
        if (close == '}')
            v->keys[v->n] = key;
        v->n++;
        if (jp_value(jp, &v->items[v->n - 1]) != 0)
            return -1;
        jp_ws(jp);
        if (jp->p < jp->end && *jp->p == ',') {
            jp->p++;
            continue;
        }
        if (jp->p < jp->end && *jp->p == close) {
            jp->p++;
            return 0;
        }
        return jp_fail(jp, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int jp_value(struct jparser *jp, struct isms_jv *v)
{
    jp_ws(jp);
    if (jp->p >= jp->end)
        return jp_fail(jp, "unexpected end of file");
    switch (*jp->p) {
    case '{':
    case '[': {
        char close = *jp->p == '{' ? '}' : ']';
        int rc;

        if (++jp->depth > JSON_DEPTH_MAX)
            return jp_fail(jp, "nested too deeply");
        v->type = close == '}' ? ISMS_JV_OBJ : ISMS_JV_ARR;
        jp->p++;
        rc = jp_items(jp, v, close);
        jp->depth--;
        return rc;
    }
    case '"':
        v->type = ISMS_JV_STR;
        return jp_string(jp, &v->str);
    default:
        break;
    }
    if (jp->end - jp->p >= 4 && memcmp(jp->p, "null", 4) == 0) {
        v->type = ISMS_JV_NULL;
        jp->p += 4;
        return 0;
    }
    if (jp->end - jp->p >= 4 && memcmp(jp->p, "true", 4) == 0) {
        v->type = ISMS_JV_BOOL;
        v->num = 1;
        jp->p += 4;
        return 0;
    }
    if (jp->end - jp->p >= 5 && memcmp(jp->p, "false", 5) == 0) {
        v->type = ISMS_JV_BOOL;
        jp->p += 5;
        return 0;
    }
    if (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9')) {
        char buf[32];
        size_t n = 0;
        char *end;

        while (jp->p < jp->end && n < sizeof(buf) - 1 &&
               (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9')))
            buf[n++] = *jp->p++;
        buf[n] = '\0';
        if (jp->p < jp->end && (*jp->p == '.' || *jp->p == 'e' || *jp->p == 'E'))
            return jp_fail(jp, "only whole numbers are used here");
        errno = 0;
        v->num = strtoll(buf, &end, 10);
        if (errno != 0 || *end != '\0' || n == 0)
            return jp_fail(jp, "bad number");
        v->type = ISMS_JV_NUM;
        return 0;
    }
    return jp_fail(jp, "unexpected character");
}

int isms_jv_parse(const char *text, size_t len, struct isms_jv *root, char *err, size_t errlen)
{
    struct jparser jp = {text, text + len, 0, ""};
    int rc;

    memset(root, 0, sizeof(*root));
    rc = jp_value(&jp, root);
    if (rc == 0) {
        jp_ws(&jp);
        if (jp.p != jp.end)
            rc = jp_fail(&jp, "text after the end of the document");
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s at byte %zu", jp.err, (size_t)(jp.p - text));
        isms_jv_free(root);
    }
    return rc;
}

const struct isms_jv *isms_jv_get(const struct isms_jv *o, const char *key)
{
    for (size_t k = 0; o->type == ISMS_JV_OBJ && k < o->n; k++)
        if (strcmp(o->keys[k], key) == 0)
            return &o->items[k];
    return NULL;
}
