/* common/audit_chain.h — the audit trail's hash chain: canonical record encoding and SHA-256
 * links, exactly as schema/003_audit.sql computes them. Pure; shared with ismsctl, which
 * verifies exported chains offline. */
#ifndef ISMS_COMMON_AUDIT_CHAIN_H
#define ISMS_COMMON_AUDIT_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define ISMS_AUDIT_HASH_BYTES 32

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

/* Walks a chain one record at a time. Fields are private; use the functions. */
struct isms_audit_verifier {
    int64_t count;
    int64_t last_seq;
    uint8_t last_hash[ISMS_AUDIT_HASH_BYTES];
    int64_t first_bad_seq; /* 0 while the chain is intact */
    char problem[ISMS_STATUS_MSG_MAX];
};

void isms_audit_verifier_init(struct isms_audit_verifier *v);

/* Checks `rec` follows the previous record: seq is the next number, prev_hash is the previous
 * hash (zeros for seq 1), and hash is recomputed equal. Returns 1 while intact; after the first
 * broken link returns 0 and keeps first_bad_seq and problem. */
int isms_audit_verifier_add(struct isms_audit_verifier *v, const struct isms_audit_record *rec);

/* Hex helpers: 64 hex chars <-> 32 bytes. parse returns 0 on malformed input. */
void isms_hex_encode(const uint8_t *in, size_t n, char *out);
int isms_hex_decode(const char *hex, uint8_t *out, size_t n);

#endif
