/* common/audit_chain.h — the audit trail's hash chain: canonical record encoding and SHA-256
 * links, exactly as schema/003_audit.sql computes them, and the Ed25519-signed checkpoints of
 * its head (schema/016_audit_trust.sql). Pure; shared with ismsctl, which verifies exported
 * chains offline. A chain is trusted up to its newest valid checkpoint: it must reach it. */
#ifndef ISMS_COMMON_AUDIT_CHAIN_H
#define ISMS_COMMON_AUDIT_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define ISMS_AUDIT_HASH_BYTES 32
#define ISMS_AUDIT_KEY_BYTES  32 /* Ed25519 public key */
#define ISMS_AUDIT_SIG_BYTES  64 /* Ed25519 signature */
#define ISMS_AUDIT_KEY_ID_HEX 16 /* hex of the first 8 bytes of SHA-256(public key) */
#define ISMS_AUDIT_TIME_MAX   40 /* "2026-11-25T14:40:35.738792Z" and then some */
/* The longest checkpoint message isms_audit_checkpoint_message() writes. */
#define ISMS_AUDIT_CP_MSG_MAX 192

struct isms_audit_record {
    int64_t seq;
    const char *at; /* RFC 3339 UTC with microseconds, as audit_ts() renders it */
    const char *actor;
    const char *source;
    const char *method;
    const char *entity;
    const char *changes;
    const char *result;
    uint8_t prev_hash[ISMS_AUDIT_HASH_BYTES];
    uint8_t hash[ISMS_AUDIT_HASH_BYTES];
};

/* hash = SHA-256(prev || canonical(rec)). Errors: INTERNAL (digest failure). */
ISMS_MUSTCHECK enum isms_code isms_audit_hash(const uint8_t prev[ISMS_AUDIT_HASH_BYTES],
                                              const struct isms_audit_record *rec,
                                              uint8_t out[ISMS_AUDIT_HASH_BYTES],
                                              struct isms_status *st);

/* A signed checkpoint: the chain's record `seq` had hash `hash` at `signed_at`. */
struct isms_audit_checkpoint {
    int64_t seq;
    uint8_t hash[ISMS_AUDIT_HASH_BYTES];
    char signed_at[ISMS_AUDIT_TIME_MAX]; /* RFC 3339 UTC with microseconds, as signed */
    char key_id[ISMS_AUDIT_KEY_ID_HEX + 1];
    uint8_t signature[ISMS_AUDIT_SIG_BYTES];
};

/* The bytes an audit key signs for `cp`: "isms-audit-checkpoint/1\n<seq>\n<hash hex>\n
 * <signed_at>\n" (no spaces). Writes at most ISMS_AUDIT_CP_MSG_MAX bytes to `out` and returns
 * the length (0 if `signed_at` is too long). */
size_t isms_audit_checkpoint_message(const struct isms_audit_checkpoint *cp,
                                     char out[ISMS_AUDIT_CP_MSG_MAX]);

/* `out` gets the key id of `pk`: hex of the first 8 bytes of its SHA-256. Returns 0 if the
 * digest failed. */
int isms_audit_key_id(const uint8_t pk[ISMS_AUDIT_KEY_BYTES], char out[ISMS_AUDIT_KEY_ID_HEX + 1]);

/* 1 if `cp->signature` is a valid Ed25519 signature by `pk` of its message, else 0. */
int isms_audit_checkpoint_signature_ok(const uint8_t pk[ISMS_AUDIT_KEY_BYTES],
                                       const struct isms_audit_checkpoint *cp);

/* Walks a chain one record at a time. Fields are private; use the functions. */
struct isms_audit_verifier {
    int64_t count;
    int64_t last_seq;
    uint8_t last_hash[ISMS_AUDIT_HASH_BYTES];
    int64_t first_bad_seq; /* 0 while the chain is intact */
    char problem[ISMS_STATUS_MSG_MAX];
    /* checkpoints (isms_audit_verifier_checkpoint) */
    int has_key;
    uint8_t key[ISMS_AUDIT_KEY_BYTES];
    char key_id[ISMS_AUDIT_KEY_ID_HEX + 1];
    int64_t checkpoints;    /* valid checkpoints seen */
    int64_t checkpoint_seq; /* the newest one's seq (0: none) */
    char checkpoint_at[ISMS_AUDIT_TIME_MAX];
};

void isms_audit_verifier_init(struct isms_audit_verifier *v);

/* The key every checkpoint must be signed with. Returns 0 if its id cannot be computed. */
int isms_audit_verifier_set_key(struct isms_audit_verifier *v,
                                const uint8_t pk[ISMS_AUDIT_KEY_BYTES]);

/* Checks one checkpoint, in seq order, right after the record it signs was added (or, for a
 * checkpoint beyond the chain's last record, after the last record): signed by the key set
 * with isms_audit_verifier_set_key (none set: every checkpoint is refused), its seq above the
 * previous checkpoint's, and its hash the record's. A checkpoint beyond the last record means
 * the tail was cut: broken at last seq + 1. Returns 1 while intact, else 0 (as _add). */
int isms_audit_verifier_checkpoint(struct isms_audit_verifier *v,
                                   const struct isms_audit_checkpoint *cp);

/* Checks `rec` follows the previous record: seq is the next number, prev_hash is the previous
 * hash (zeros for seq 1), and hash is recomputed equal. Returns 1 while intact; after the first
 * broken link returns 0 and keeps first_bad_seq and problem. */
int isms_audit_verifier_add(struct isms_audit_verifier *v, const struct isms_audit_record *rec);

/* Hex helpers: 64 hex chars <-> 32 bytes. parse returns 0 on malformed input. */
void isms_hex_encode(const uint8_t *in, size_t n, char *out);
int isms_hex_decode(const char *hex, uint8_t *out, size_t n);

#endif
