/* domain/audit/audit_key.h — the Ed25519 key that signs audit checkpoints, kept in a file
 * outside the database (`audit_key`): one line "isms-audit-key/1 <64 hex digits of the seed>".
 * The file must be a regular file that only its owner may read (mode 0600 or stricter). */
#ifndef ISMS_DOMAIN_AUDIT_AUDIT_KEY_H
#define ISMS_DOMAIN_AUDIT_AUDIT_KEY_H

#include <stdint.h>

#include "common/audit_chain.h"
#include "common/status.h"

/* Fields are private but for pk_hex and key_id; wipe with isms_audit_key_cleanup(). */
struct isms_audit_key {
    uint8_t pk[ISMS_AUDIT_KEY_BYTES];
    uint8_t sk[64]; /* libsodium's secret key: seed || public key */
    char pk_hex[2 * ISMS_AUDIT_KEY_BYTES + 1];
    char key_id[ISMS_AUDIT_KEY_ID_HEX + 1];
    int is_loaded;
};

/*
 * Loads the key in `path`, or creates it (random seed, mode 0600, never overwriting) when no
 * file is there; *created says which. Blocking: startup only. Errors: FAILED_PRECONDITION (the
 * file is not a regular file, others may read or write it, or it is malformed; the message
 * names it and the fix), UNAVAILABLE (it cannot be read or created), INTERNAL (libsodium).
 */
ISMS_MUSTCHECK enum isms_code isms_audit_key_load(const char *path, struct isms_audit_key *k,
                                                  int *created, struct isms_status *st);

/* Signs `cp` (seq, hash and signed_at filled) with `k`: sets key_id and signature. */
void isms_audit_key_sign(const struct isms_audit_key *k, struct isms_audit_checkpoint *cp);

/* Wipes the secret key. */
void isms_audit_key_cleanup(struct isms_audit_key *k);

#endif
