/* auth/session.h — who is calling and may they: the bearer token in the call's metadata is
 * looked up (by its SHA-256; the token itself is never stored or logged), the user's roles are
 * checked against the method's, and only then does the handler run. */
#ifndef ISMS_AUTH_SESSION_H
#define ISMS_AUTH_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/status.h"

struct isms_call;
struct isms_server;

#define ISMS_TOKEN_PREFIX     "isms_"
#define ISMS_TOKEN_RAW_BYTES  32
#define ISMS_TOKEN_TEXT_BYTES (sizeof(ISMS_TOKEN_PREFIX) - 1 + 2 * ISMS_TOKEN_RAW_BYTES)

/* Installs the authorisation step in front of every non-public method. */
void isms_auth_attach(struct isms_server *srv);

/* Makes a new random token ("isms_" + 64 hex, NUL-terminated in `text`, which must hold
 * ISMS_TOKEN_TEXT_BYTES + 1) and its hash as a bytea literal ("\x..." in `hash_lit`, 67 bytes). */
void isms_token_new(char *text, char *hash_lit);

/* The bytea literal of SHA-256(token). `hash_lit` must hold 67 bytes. */
void isms_token_hash_lit(const char *token, char *hash_lit);

/* Extracts the token from the call's "authorization: Bearer <token>" metadata; NULL if absent
 * or malformed. The pointer lives as long as the call. */
const char *isms_call_bearer(const struct isms_call *call);

/* Appends an audit record for `call` in its own statement, then answers the call with `st`
 * (used for refusals that change nothing, e.g. PERMISSION_DENIED). */
void isms_auth_deny(struct isms_call *call, const struct isms_status *st, const char *entity);

#endif
