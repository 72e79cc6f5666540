/* rpc/idempotency.h — the `idempotency-key` request metadata: a write made with a key is made
 * at most once per (user, key) within 24 hours, and a repeat gets the first call's answer.
 * The key row commits in the write's own statement (db/bind.h ISMS_SQL_IDEM); this module
 * reads the key, looks it up before the handler runs, and records the answer afterwards. */
#ifndef ISMS_RPC_IDEMPOTENCY_H
#define ISMS_RPC_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

struct isms_call;

/* The metadata key, and the longest key accepted (printable ASCII). */
#define ISMS_IDEM_METADATA "idempotency-key"
#define ISMS_IDEM_KEY_MAX  128

/* Takes the key from the call's envelope and hashes the request body `body`. Ignored (the call
 * has no key) for methods marked ISMS_METHOD_SECRET, whose answers are never stored. Errors:
 * INVALID_ARGUMENT (not 1..128 printable ASCII characters, or given twice). */
ISMS_MUSTCHECK enum isms_code isms_idem_take(struct isms_call *call, const uint8_t *body,
                                             size_t len, struct isms_status *st);

/* Checks a key's text: 1..ISMS_IDEM_KEY_MAX printable ASCII characters. Errors:
 * INVALID_ARGUMENT. Pure. */
ISMS_MUSTCHECK enum isms_code isms_idem_check_key(const char *key, struct isms_status *st);

/* For rpc/call.c: the result of a write statement that carried the key. Returns 1 when this
 * module has taken over the call (the key was stored meanwhile: it is looked up again and the
 * call answered from it), 0 when the handler's callback should run. */
int isms_idem_after_write(struct isms_call *call, const struct isms_status *st);

/* For rpc/call.c respond(): records the answer of a call whose keyed write committed, then
 * calls `sent(call)`; the call's pending_async counts the recording meanwhile. Returns 0 when
 * nothing is recorded (the caller sends the answer now). `msg` is copied; `body` must be in
 * the call's arena. */
typedef void isms_idem_sent_cb(struct isms_call *call, enum isms_code code, const char *msg,
                               const uint8_t *body, size_t body_len);
int isms_idem_record(struct isms_call *call, enum isms_code code, const char *msg,
                     const uint8_t *body, size_t body_len, isms_idem_sent_cb *sent);

/* Stops waiting for a recording in progress (shutdown): its `sent` callback runs now. */
void isms_idem_abandon(struct isms_call *call);

#endif
