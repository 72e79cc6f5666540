/* client/wire.h — one connection to ismsd, TLS (OpenSSL, 1.2 minimum, server certificate and
 * host name verified) or plaintext, making unary calls and reading server streams. Every wait
 * is bounded (connect timeout, per-call deadline, per-message wait of a stream) and every frame
 * read is capped at ISMS_WIRE_MAX_FRAME_BYTES, so an odd or hostile server can delay ismsctl
 * but not hang it. */
#ifndef ISMS_CLIENT_WIRE_H
#define ISMS_CLIENT_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/status.h"
#include "common/frame.h"

#define ISMS_WIRE_MAX_FRAME_BYTES (64u * 1024 * 1024)
/* How much longer than the server's deadline ismsctl waits for the server to report it. */
#define ISMS_WIRE_GRACE_MS 2000u

struct ssl_ctx_st;
struct ssl_st;

/* A connection. Fields are private; use the functions. */
struct isms_wire {
    int fd;                     /* -1 when closed */
    struct ssl_ctx_st *tls_ctx; /* NULL: plaintext */
    struct ssl_st *tls;         /* the TLS session of the open connection */
    uint64_t next_call_id;
    struct isms_frame_reader reader;
    bool has_reader;
    bool has_received;           /* a byte arrived on this connection */
    bool is_unreachable;         /* the last failure was the transport, not the server */
    const char *idempotency_key; /* sent with the next calls when not NULL (borrowed) */
};

/* Prepares `w` (not connected, plaintext). Never fails. */
void isms_wire_init(struct isms_wire *w);

/* Closes the connection, if any, and frees its buffers and TLS context. */
void isms_wire_cleanup(struct isms_wire *w);

/*
 * Makes later connections use TLS 1.2 or newer, trusting the PEM certificates in `ca_file`, or
 * the system's default store when `ca_file` is NULL or "". Errors: INVALID_ARGUMENT (the CA
 * file cannot be loaded; the message names it and OpenSSL's reason).
 */
ISMS_MUSTCHECK enum isms_code isms_wire_use_tls(struct isms_wire *w, const char *ca_file,
                                                struct isms_status *st);

/*
 * Resolves `host` and connects to `port` (a decimal string), trying each address in turn, then
 * (with TLS) completes the handshake, sending `host` as SNI and checking the certificate names
 * it (a DNS name, or an IP address literal against the IP SANs); all within
 * `connect_timeout_ms` (0 = the system's own timeout). On failure returns ISMS_UNAVAILABLE with
 * the reason in `st` ("connection refused", "TLS: certificate verify failed (...)") and sets
 * is_unreachable.
 */
ISMS_MUSTCHECK enum isms_code isms_wire_connect(struct isms_wire *w, const char *host,
                                                const char *port, uint32_t connect_timeout_ms,
                                                struct isms_status *st);

/*
 * Makes one unary call: packs `req` into an isms.v1.Request for `method` with `timeout_ms`
 * (0 = no deadline) and, if `token` is not NULL, metadata "authorization: Bearer <token>";
 * sends it, and waits for the Response with the same call_id (at most timeout_ms +
 * ISMS_WIRE_GRACE_MS). On OK, *resp is the body unpacked as `resp_desc`; free it with
 * protobuf_c_message_free_unpacked(*resp, NULL). Otherwise *resp is NULL and:
 *  - the server's code and message are in `st` when the server answered with an error;
 *  - ISMS_UNAVAILABLE with is_unreachable set when the connection failed or was closed;
 *  - ISMS_DEADLINE_EXCEEDED when no answer came in time (the connection is then closed);
 *  - ISMS_INTERNAL when the server's answer could not be decoded.
 */
ISMS_MUSTCHECK enum isms_code isms_wire_call(struct isms_wire *w, const char *method,
                                             const char *token, const ProtobufCMessage *req,
                                             const ProtobufCMessageDescriptor *resp_desc,
                                             uint32_t timeout_ms, ProtobufCMessage **resp,
                                             struct isms_status *st);

/* Receives one message of a server stream; `item` is valid only during the call. A code other
 * than ISMS_OK (with `st` filled) stops the stream. */
typedef enum isms_code isms_wire_item_cb(void *ud, const ProtobufCMessage *item,
                                         struct isms_status *st);

/*
 * Makes one server-streaming call: sends as isms_wire_call(), then hands each `more = true`
 * Response body, unpacked as `item_desc`, to `cb` in order, until the final `more = false`
 * Response. The whole call is bounded by timeout_ms (+ grace) when it is not 0, and each wait
 * for the next message by `idle_ms` when that is not 0. Errors as isms_wire_call(), or the
 * callback's; a stream stopped early (callback error, bad message) closes the connection.
 */
ISMS_MUSTCHECK enum isms_code isms_wire_stream(struct isms_wire *w, const char *method,
                                               const char *token, const ProtobufCMessage *req,
                                               const ProtobufCMessageDescriptor *item_desc,
                                               uint32_t timeout_ms, uint32_t idle_ms,
                                               isms_wire_item_cb *cb, void *ud,
                                               struct isms_status *st);

#endif
