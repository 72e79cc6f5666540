/* rpc/wirecheck.h — what protobuf-c does not check in a message: string fields must be valid
 * UTF-8 without NUL bytes. protobuf-c hands strings to C NUL-terminated, so "a\0b" would reach
 * a handler (and PostgreSQL) as "a"; the wire bytes are checked before anything uses them. */
#ifndef ISMS_RPC_WIRECHECK_H
#define ISMS_RPC_WIRECHECK_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/status.h"

/* Walks the encoded message `data` of type `desc` (and every nested message) and refuses a
 * string field that holds a NUL byte, or, with `check_utf8`, is not valid UTF-8. Pure. Errors:
 * INVALID_ARGUMENT naming the field by its path ("assets[4].name holds a NUL byte"). Bytes it
 * cannot parse are left to the protobuf-c decoder, which has already accepted them. Handlers
 * check UTF-8 themselves with messages in their own terms, so bodies are walked without it. */
ISMS_MUSTCHECK enum isms_code isms_wire_check_strings(const ProtobufCMessageDescriptor *desc,
                                                      const uint8_t *data, size_t len,
                                                      int check_utf8, struct isms_status *st);

/* Copies `msg` into `out` (at most `outlen` bytes with the NUL) as valid UTF-8: each byte that
 * is not part of a valid sequence becomes "\xNN", and the text is cut only between characters.
 * Returns `out`. */
const char *isms_utf8_sanitize(const char *msg, char *out, size_t outlen);

#endif
