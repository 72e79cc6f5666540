/* common/frame.h — gRPC-style message framing: 1 flag byte, 4-byte big-endian length, body.
 * Pure (no libuv): the reader checks a declared length against its limit before it reserves a
 * single byte for the body, so an oversize frame is never allocated. */
#ifndef ISMS_COMMON_FRAME_H
#define ISMS_COMMON_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define ISMS_FRAME_HEADER_BYTES    5
#define ISMS_FRAME_FLAG_COMPRESSED 0x01u

/* One complete frame. `body` points into the reader's buffer and stays valid until the next
 * call to isms_frame_reader_space() or isms_frame_reader_cleanup(). */
struct isms_frame {
    uint8_t flags;
    uint32_t body_len;
    const uint8_t *body;
};

enum isms_frame_result {
    ISMS_FRAME_NEED_MORE = 0, /* no complete frame buffered yet */
    ISMS_FRAME_READY = 1,     /* *frame holds the next frame */
    ISMS_FRAME_ERROR = -1,    /* declared length over the limit; st says so; stop reading */
};

/* A bounded read buffer that turns a byte stream into frames.
 * Fields are private; use the functions. */
struct isms_frame_reader {
    uint8_t *buf;
    size_t cap;         /* bytes allocated */
    size_t len;         /* bytes buffered */
    size_t pos;         /* start of the first unconsumed byte */
    size_t initial_cap; /* capacity to shrink back to when empty */
    size_t max_body;    /* largest body accepted */
};

/* Prepares `r` with an initial buffer of `initial_cap` bytes (at least the header size) and a
 * body limit. Returns ISMS_RESOURCE_EXHAUSTED if the buffer cannot be allocated. */
ISMS_MUSTCHECK enum isms_code isms_frame_reader_init(struct isms_frame_reader *r,
                                                     size_t initial_cap, size_t max_body,
                                                     struct isms_status *st);
void isms_frame_reader_cleanup(struct isms_frame_reader *r);

/* Changes the body limit (e.g. after login). Frames already returned are unaffected. */
void isms_frame_reader_set_max(struct isms_frame_reader *r, size_t max_body);

/* Lends the free space where the next read may land. Compacts consumed bytes away and, when a
 * valid header is buffered, grows the buffer to fit exactly that frame (never beyond
 * header + max_body). Returns ISMS_RESOURCE_EXHAUSTED if growing failed. */
ISMS_MUSTCHECK enum isms_code isms_frame_reader_space(struct isms_frame_reader *r, uint8_t **p,
                                                      size_t *n, struct isms_status *st);

/* Records that `n` bytes were written into the space lent by isms_frame_reader_space(). */
void isms_frame_reader_commit(struct isms_frame_reader *r, size_t n);

/* Takes the next complete frame out of the buffer. On ISMS_FRAME_ERROR `st` names the problem
 * (RESOURCE_EXHAUSTED for a length over the limit) and the reader must not be used again. */
enum isms_frame_result isms_frame_reader_next(struct isms_frame_reader *r, struct isms_frame *f,
                                              struct isms_status *st);

/* Bytes buffered but not yet returned as frames (a partial frame, or frames not yet taken). */
size_t isms_frame_reader_pending(const struct isms_frame_reader *r);

/* Writes the 5-byte header for a body of `body_len` bytes. */
void isms_frame_header(uint8_t out[ISMS_FRAME_HEADER_BYTES], uint8_t flags, uint32_t body_len);

/* Parses a 5-byte header. Pure helper for readers that manage their own buffers. */
void isms_frame_parse_header(const uint8_t in[ISMS_FRAME_HEADER_BYTES], uint8_t *flags,
                             uint32_t *body_len);

#endif
