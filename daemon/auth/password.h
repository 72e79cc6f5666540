/* auth/password.h — argon2id password hashing (libsodium crypto_pwhash_str) on the server's
 * worker threads, so the ~100 ms of work never blocks the loop; and the password policy (pure).
 */
#ifndef ISMS_AUTH_PASSWORD_H
#define ISMS_AUTH_PASSWORD_H

#include <stddef.h>

#include "common/status.h"

struct isms_call;

#define ISMS_PASSWORD_MIN      12
#define ISMS_PASSWORD_MAX      1024
#define ISMS_PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */

/* Policy: at least ISMS_PASSWORD_MIN characters, at most ISMS_PASSWORD_MAX bytes, valid UTF-8,
 * and not containing the user's own name (case-insensitive). Errors: INVALID_ARGUMENT. */
ISMS_MUSTCHECK enum isms_code isms_password_check(const char *user, const char *password,
                                                  struct isms_status *st);

/* Makes a random password of 20 characters from an unambiguous alphabet; `out` holds 21. */
void isms_password_generate(char *out);

/* Initialises libsodium; call once at startup. Errors: INTERNAL. */
ISMS_MUSTCHECK enum isms_code isms_password_init(struct isms_status *st);

/* Hash synchronously (startup only: --bootstrap-admin). `out` holds ISMS_PASSWORD_HASH_MAX. */
ISMS_MUSTCHECK enum isms_code isms_password_hash_now(const char *password, char *out,
                                                     struct isms_status *st);

/* Result of the asynchronous operations: for hash, `hash` holds the new hash string; for
 * verify, `ok` says whether the password matched. Runs on the loop thread, and only while the
 * call still waits for its answer (a deadline or shutdown that answers it first skips it). */
typedef void isms_password_cb(struct isms_call *call, int ok, const char *hash);

/* Hashes `password` for `call` off the loop; copies it first and wipes the copy afterwards.
 * Errors (callback never runs): RESOURCE_EXHAUSTED (too many waiting), INVALID_ARGUMENT,
 * UNAVAILABLE (shutting down). */
ISMS_MUSTCHECK enum isms_code isms_password_hash(struct isms_call *call, const char *password,
                                                 isms_password_cb *cb, struct isms_status *st);

/* Verifies `password` against `hash` off the loop. An empty or malformed `hash` verifies
 * against a fixed dummy hash so unknown users cost the same time, and fails. */
ISMS_MUSTCHECK enum isms_code isms_password_verify(struct isms_call *call, const char *password,
                                                   const char *hash, isms_password_cb *cb,
                                                   struct isms_status *st);

#endif
