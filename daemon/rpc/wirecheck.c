/* rpc/wirecheck.c — a small protobuf wire walker: tags, varints and length-delimited fields,
 * recursing into nested messages up to a fixed depth. */
#include "rpc/wirecheck.h"

#include <stdio.h>
#include <string.h>

#include "core/text.h"

#define MAX_DEPTH 32

/* Reads a varint; returns bytes used, 0 when malformed or truncated. */
static size_t read_varint(const uint8_t *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n && i < 10; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if ((p[i] & 0x80) == 0) {
            *out = v;
            return i + 1;
        }
    }
    return 0;
}

/* Occurrences of each repeated field seen so far in one message, for "items[3].name". */
struct seen {
    unsigned number[32];
    unsigned count[32];
    unsigned n;
};

static unsigned occurrence(struct seen *s, unsigned number)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->number[i] == number)
            return s->count[i]++;
    if (s->n < 32) {
        s->number[s->n] = number;
        s->count[s->n++] = 1;
    }
    return 0;
}

static enum isms_code walk(const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t n,
                           int depth, const char *prefix, int utf8, struct isms_status *st)
{
    struct seen seen = {.n = 0};
    size_t off = 0;

    while (off < n) {
        uint64_t key, len;
        size_t k = read_varint(p + off, n - off, &key);
        const ProtobufCFieldDescriptor *f;
        char path[160];

        if (k == 0)
            return ISMS_OK;
        off += k;
        switch (key & 7) {
        case 0: /* varint */
            k = read_varint(p + off, n - off, &len);
            if (k == 0)
                return ISMS_OK;
            off += k;
            continue;
        case 1: /* 64-bit */
            off += 8;
            continue;
        case 5: /* 32-bit */
            off += 4;
            continue;
        case 2:
            break;
        default: /* groups: not in proto3, and protobuf-c decides about them */
            return ISMS_OK;
        }
        k = read_varint(p + off, n - off, &len);
        if (k == 0 || len > n - off - k)
            return ISMS_OK;
        off += k;
        f = key >> 3 <= UINT32_MAX
                ? protobuf_c_message_descriptor_get_field(desc, (unsigned)(key >> 3))
                : NULL;
        if (f == NULL) {
            off += (size_t)len;
            continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
            snprintf(path, sizeof(path), "%s%s[%u]", prefix, f->name, occurrence(&seen, f->id));
        else
            snprintf(path, sizeof(path), "%s%s", prefix, f->name);
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            if (memchr(p + off, '\0', (size_t)len) != NULL)
                return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s holds a NUL byte", path);
            if (utf8 && !isms_utf8_valid((const char *)p + off, (size_t)len))
                return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s is not valid UTF-8", path);
        } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            char sub[170];

            if (depth >= MAX_DEPTH)
                return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                       "messages nest deeper than %d levels", MAX_DEPTH);
            snprintf(sub, sizeof(sub), "%s.", path);
            if (walk(f->descriptor, p + off, (size_t)len, depth + 1, sub, utf8, st) != ISMS_OK)
                return st->code;
        }
        off += (size_t)len;
    }
    return ISMS_OK;
}

enum isms_code isms_wire_check_strings(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                                       size_t len, int check_utf8, struct isms_status *st)
{
    return walk(desc, data, len, 0, "", check_utf8, st);
}

/* Length of the valid UTF-8 sequence at `s` (0 if none starts there). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t need;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        need = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        need = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        need = 4;
    else
        return 0;
    if (need > n)
        return 0;
    for (size_t i = 1; i < need; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* overlongs, surrogates and values past U+10FFFF */
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
        return 0;
    return need;
}

const char *isms_utf8_sanitize(const char *msg, char *out, size_t outlen)
{
    const unsigned char *s = (const unsigned char *)msg;
    size_t n = strlen(msg), o = 0;

    if (outlen == 0)
        return out;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(s + i, n - i);

        if (k == 0) {
            if (o + 4 >= outlen)
                break;
            snprintf(out + o, outlen - o, "\\x%02x", s[i]);
            o += 4;
            i++;
            continue;
        }
        if (o + k >= outlen)
            break;
        memcpy(out + o, s + i, k);
        o += k;
        i += k;
    }
    out[o] = '\0';
    return out;
}
