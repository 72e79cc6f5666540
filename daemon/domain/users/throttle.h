/* domain/users/throttle.h — failed password checks (Auth/Login, Auth/ChangePassword): counted
 * per (user, address), per user and per address in login_throttle, each with its own bar, and
 * recorded in the audit trail aggregated per address, method and minute; and the admin's
 * User/ListLockouts and User/Unlock. A locked key is refused without running argon2id. */
#ifndef ISMS_DOMAIN_USERS_THROTTLE_H
#define ISMS_DOMAIN_USERS_THROTTLE_H

#include <protobuf-c/protobuf-c.h>

#include "common/status.h"

struct isms_call;

/* Failures within an hour from which a key is locked, for 2^(n - bar) s (at most 15 min). */
#define ISMS_THROTTLE_PAIR_BAR 5  /* one user from one address */
#define ISMS_THROTTLE_USER_BAR 10 /* one user from any address */
#define ISMS_THROTTLE_ADDR_BAR 50 /* any user from one address (offices behind NAT) */

/* SQL: true when a key of user `u` at address `s` (two SQL expressions) is locked now. */
#define ISMS_THROTTLE_SQL_LOCKED(u, s)                                                             \
    "coalesce((SELECT max(locked_until) > now() FROM login_throttle WHERE key IN ('user:' || " u   \
    ", 'addr:' || " s ", 'pair:' || " s " || ' ' || " u ")), false)"

/* SQL: forgets the per-user and per-(user, address) counts of user `u` at address `s` after a
 * password of theirs was verified (the address's count stays). */
#define ISMS_THROTTLE_SQL_CLEAR(u, s)                                                              \
    "DELETE FROM login_throttle WHERE key IN ('user:' || " u ", 'pair:' || " s " || ' ' || " u ")"

/*
 * Answers `call` with `code` and `msg` (the same words whatever the reason) after recording a
 * refused password check of `user` from the call's address. When `is_locked` is 0 the password
 * was checked and was wrong: all three counters of the user and address count it. When a key
 * was already locked (no password was checked), only the locked keys count it, so hammering a
 * lock prolongs that lock and nothing else. Either way the audit trail gets it through
 * auth_failure_audit() (schema/018). A database error answers with that error instead.
 */
void isms_throttle_refuse(struct isms_call *call, const char *user, int is_locked,
                          enum isms_code code, const char *msg);

/* User/ListLockouts and User/Unlock handlers (admin; registered in user_rpc.c). */
void isms_user_list_lockouts(struct isms_call *call, const ProtobufCMessage *msg);
void isms_user_unlock(struct isms_call *call, const ProtobufCMessage *msg);

#endif
