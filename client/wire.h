/* client/wire.h — one blocking TCP connection to ismsd that makes unary calls.
 * Every wait is bounded (connect timeout, per-call deadline) and every frame read is capped at
 * ISMS_WIRE_MAX_FRAME_BYTES, so an odd or hostile server can delay ismsctl but not hang it. */
#ifndef ISMS_CLIENT_WIRE_H
#define ISMS_CLIENT_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "core/status.h"
#include "net/frame.h"

#define ISMS_WIRE_MAX_FRAME_BYTES (64u * 1024 * 1024)
/* How much longer than the server's deadline ismsctl waits for the server to report it. */
#define ISMS_WIRE_GRACE_MS 2000u

/* A connection. Fields are private; use the functions. */
struct isms_wire {
    int fd; /* -1 when closed */
    uint64_t next_call_id;
    struct isms_frame_reader reader;
    bool has_reader;
    bool is_unreachable; /* the last failure was the transport, not the server */
};

/* Prepares `w` (not connected). Never fails. */
void isms_wire_init(struct isms_wire *w);

/* Closes the connection, if any, and frees its buffers. `w` may be connected again. */
void isms_wire_cleanup(struct isms_wire *w);

/*
 * Resolves `host` and connects to `port` (a decimal string), trying each address in turn
 * within `connect_timeout_ms` (0 = the system's own timeout). On failure returns ISMS_UNAVAILABLE
 * with the reason in `st` ("connection refused", "connection timed out after 5000 ms", ...)
 * and sets is_unreachable.
 */
ISMS_MUSTCHECK enum isms_code isms_wire_connect(struct isms_wire *w, const char *host,
                                                const char *port, uint32_t connect_timeout_ms,
                                                struct isms_status *st);

/*
 * Makes one unary call: packs `req` into an isms.v1.Request for `method` with `timeout_ms`
 * (0 = no deadline), sends it, and waits for the Response with the same call_id (at most
 * timeout_ms + ISMS_WIRE_GRACE_MS). On OK, *resp is the body unpacked as `resp_desc`; free it
 * with protobuf_c_message_free_unpacked(*resp, NULL). Otherwise *resp is NULL and:
 *  - the server's code and message are in `st` when the server answered with an error;
 *  - ISMS_UNAVAILABLE with is_unreachable set when the connection failed or was closed;
 *  - ISMS_DEADLINE_EXCEEDED when no answer came in time (the connection is then closed);
 *  - ISMS_INTERNAL when the server's answer could not be decoded.
 */
ISMS_MUSTCHECK enum isms_code isms_wire_call(struct isms_wire *w, const char *method,
                                             const ProtobufCMessage *req,
                                             const ProtobufCMessageDescriptor *resp_desc,
                                             uint32_t timeout_ms, ProtobufCMessage **resp,
                                             struct isms_status *st);

#endif
