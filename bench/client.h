/* bench/client.h — a blocking ismsd client on one TCP connection: calls go out with increasing
 * call ids, several may be in flight, and answers (stream messages included) are read one frame
 * at a time through a buffer. For the untimed work around the runs (seeding data) and for the
 * stream runs, which time one stream end to end. */
#ifndef ISMS_BENCH_CLIENT_H
#define ISMS_BENCH_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "isms/v1/envelope.pb-c.h"

struct isms_bench_client {
    int fd;
    char bearer[300]; /* "Bearer <token>", or "" */
    uint64_t next_id;
    uint8_t *buf; /* read buffer; owned */
    size_t cap, start, end;
    uint64_t bytes_in; /* frame bytes read so far */
};

/* Connects to host:port (socket timeouts of `timeout_s`) and, when `token` is not NULL, makes
 * one small authenticated call (Asset/ListClassifications), after which ismsd lifts its
 * pre-authentication frame limit. Returns 0, or -1 with `err`. */
int isms_bench_client_open(struct isms_bench_client *c, const char *host, const char *port,
                           const char *token, int timeout_s, char *err, size_t errlen);
void isms_bench_client_close(struct isms_bench_client *c);

/* Sends one call; its id goes to `*call_id`. Returns 0, or -1 with `err`. */
int isms_bench_client_send(struct isms_bench_client *c, const char *method,
                           const ProtobufCMessage *req, uint64_t *call_id, char *err,
                           size_t errlen);

/* Reads the next Response frame, of any call (free with isms__v1__response__free_unpacked).
 * Returns 0, or -1 with `err`. */
int isms_bench_client_recv(struct isms_bench_client *c, Isms__V1__Response **rsp, char *err,
                           size_t errlen);

/* A unary call: sends it, waits for its answer and unpacks an OK body as `out_desc` into `*out`
 * (free with protobuf_c_message_free_unpacked). Returns 0, or -1 with `err` holding the code and
 * message of a non-OK answer or the transport problem. Only with no other call in flight. */
int isms_bench_client_call(struct isms_bench_client *c, const char *method,
                           const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out_desc,
                           ProtobufCMessage **out, char *err, size_t errlen);

#endif
