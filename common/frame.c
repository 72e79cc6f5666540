/* common/frame.c — the frame reader and header codec.
 * Invariant: cap never exceeds max(initial_cap, HEADER + max_body). */
#include "common/frame.h"

#include <stdlib.h>
#include <string.h>

enum isms_code isms_frame_reader_init(struct isms_frame_reader *r, size_t initial_cap,
                                      size_t max_body, struct isms_status *st)
{
    memset(r, 0, sizeof(*r));
    if (initial_cap < ISMS_FRAME_HEADER_BYTES)
        initial_cap = ISMS_FRAME_HEADER_BYTES;
    r->buf = malloc(initial_cap);
    if (r->buf == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory for read buffer");
    r->cap = initial_cap;
    r->initial_cap = initial_cap;
    r->max_body = max_body;
    return ISMS_OK;
}

void isms_frame_reader_cleanup(struct isms_frame_reader *r)
{
    free(r->buf);
    memset(r, 0, sizeof(*r));
}

void isms_frame_reader_set_max(struct isms_frame_reader *r, size_t max_body)
{
    r->max_body = max_body;
}

void isms_frame_header(uint8_t out[ISMS_FRAME_HEADER_BYTES], uint8_t flags, uint32_t body_len)
{
    out[0] = flags;
    out[1] = (uint8_t)(body_len >> 24);
    out[2] = (uint8_t)(body_len >> 16);
    out[3] = (uint8_t)(body_len >> 8);
    out[4] = (uint8_t)body_len;
}

void isms_frame_parse_header(const uint8_t in[ISMS_FRAME_HEADER_BYTES], uint8_t *flags,
                             uint32_t *body_len)
{
    *flags = in[0];
    *body_len = ((uint32_t)in[1] << 24) | ((uint32_t)in[2] << 16) | ((uint32_t)in[3] << 8) |
                (uint32_t)in[4];
}

enum isms_code isms_frame_reader_space(struct isms_frame_reader *r, uint8_t **p, size_t *n,
                                       struct isms_status *st)
{
    size_t want = r->initial_cap;

    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->len >= ISMS_FRAME_HEADER_BYTES) {
        uint8_t flags;
        uint32_t body_len;

        isms_frame_parse_header(r->buf, &flags, &body_len);
        /* Only a length within the limit may grow the buffer; next() reports the rest. */
        if (body_len <= r->max_body && ISMS_FRAME_HEADER_BYTES + (size_t)body_len > want)
            want = ISMS_FRAME_HEADER_BYTES + (size_t)body_len;
    }
    if (want < r->len)
        want = r->len;
    if (want != r->cap && (want > r->cap || r->len == 0)) {
        uint8_t *nb = realloc(r->buf, want);

        if (nb == NULL)
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED,
                                   "out of memory for a %zu-byte frame", want);
        r->buf = nb;
        r->cap = want;
    }
    *p = r->buf + r->len;
    *n = r->cap - r->len;
    return ISMS_OK;
}

void isms_frame_reader_commit(struct isms_frame_reader *r, size_t n)
{
    r->len += n;
}

enum isms_frame_result isms_frame_reader_next(struct isms_frame_reader *r, struct isms_frame *f,
                                              struct isms_status *st)
{
    size_t avail = r->len - r->pos;
    uint8_t flags;
    uint32_t body_len;

    if (avail < ISMS_FRAME_HEADER_BYTES)
        return ISMS_FRAME_NEED_MORE;
    isms_frame_parse_header(r->buf + r->pos, &flags, &body_len);
    if (body_len > r->max_body) {
        isms_status_set(st, ISMS_RESOURCE_EXHAUSTED,
                        "frame length %u exceeds the limit of %zu bytes", body_len, r->max_body);
        return ISMS_FRAME_ERROR;
    }
    if (avail - ISMS_FRAME_HEADER_BYTES < body_len)
        return ISMS_FRAME_NEED_MORE;
    f->flags = flags;
    f->body_len = body_len;
    f->body = r->buf + r->pos + ISMS_FRAME_HEADER_BYTES;
    r->pos += ISMS_FRAME_HEADER_BYTES + (size_t)body_len;
    return ISMS_FRAME_READY;
}

size_t isms_frame_reader_pending(const struct isms_frame_reader *r)
{
    return r->len - r->pos;
}
