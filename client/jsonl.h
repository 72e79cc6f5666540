/* client/jsonl.h — the JSON Lines that `ismsctl audit export` writes and `audit verify --file`
 * reads back: one flat object per line holding exactly the ten AuditRecord fields, "seq" an
 * integer and the rest strings. Since checkpoints, the first line is a header
 * {"export":{"version":2,"server":S,"public_key":HEX,"head":CP}} and each signed checkpoint
 * is a line {"checkpoint":CP} after the record it signs (or after the last record, when it is
 * beyond it), CP being {"seq":N,"hash":HEX,"signed_at":T,"key_id":HEX,"signature":HEX}. Both
 * directions use jansson; the reader is strict (valid UTF-8, no duplicate keys, no other members,
 * no other types, bounded length) and strings come back byte for byte, so hashes over them still
 * match. Pure. */
#ifndef ISMS_CLIENT_JSONL_H
#define ISMS_CLIENT_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/audit_chain.h"
#include "common/status.h"
#include "isms/v1/audit.pb-c.h"

/* The longest export line read back: far above any record the server accepts. */
#define ISMS_JSONL_LINE_MAX (16u * 1024 * 1024)
#define ISMS_JSONL_NKEYS    10

/* The members of a record line, in the order they are written and hashed. */
extern const char *const isms_jsonl_record_keys[ISMS_JSONL_NKEYS];

struct json_t;

enum isms_jsonl_kind {
    ISMS_JSONL_RECORD = 0,
    ISMS_JSONL_CHECKPOINT = 1, /* `cp` */
    ISMS_JSONL_HEADER = 2,     /* `public_key`, `server`, and `cp` when has_cp (the head) */
};

/* One line read. Fields other than `kind`, `rec`, `hash_hex`, `is_hash_ok`, `cp`, `has_cp`,
 * `public_key` and `server` are private; release it with isms_jsonl_record_cleanup(). */
struct isms_jsonl_record {
    enum isms_jsonl_kind kind;
    struct isms_audit_record rec; /* strings borrowed from the record; hashes decoded */
    const char *hash_hex;         /* "hash" as written */
    bool is_hash_ok;              /* prev_hash and hash are both 64 hex digits */
    struct isms_audit_checkpoint cp;
    bool has_cp;
    uint8_t public_key[ISMS_AUDIT_KEY_BYTES];
    const char *server; /* borrowed; "" when absent */
    struct json_t *doc;
};

/*
 * Parses one line (without its '\n'; line[0..len) need not be NUL-terminated) into `out`: a
 * header or checkpoint line (their members checked strictly: hex lengths, key id, no others),
 * or a record line. A record line must be one JSON object with exactly the members of
 * isms_jsonl_record_keys, "seq" an integer and the others strings; anything after the object, a
 * carriage return, duplicate keys, invalid UTF-8, \u0000 and lines over ISMS_JSONL_LINE_MAX are
 * refused. Hashes that are not 64 hex digits are not an error: is_hash_ok is false (the chain
 * breaks there). On success `out` must be cleaned up; on failure it needs nothing. Errors:
 * INVALID_ARGUMENT "column N: what" or naming the member; RESOURCE_EXHAUSTED.
 */
ISMS_MUSTCHECK enum isms_code isms_jsonl_read(const char *line, size_t len,
                                              struct isms_jsonl_record *out,
                                              struct isms_status *st);
void isms_jsonl_record_cleanup(struct isms_jsonl_record *r);

/*
 * Writes `r` to `fp` as one compact JSON line ending in '\n', members in isms_jsonl_record_keys
 * order (NULL strings as ""). Errors: INVALID_ARGUMENT (a string is not valid UTF-8: it would not
 * read back byte for byte), RESOURCE_EXHAUSTED, INTERNAL (writing failed; errno is kept).
 */
ISMS_MUSTCHECK enum isms_code isms_jsonl_write(FILE *fp, const Isms__V1__AuditRecord *r,
                                               struct isms_status *st);

/* Writes the header line: `public_key` (hex), `server` as dialled, and `head` (may be NULL).
 * Errors as isms_jsonl_write. */
ISMS_MUSTCHECK enum isms_code isms_jsonl_write_header(FILE *fp, const char *public_key,
                                                      const char *server,
                                                      const Isms__V1__AuditCheckpoint *head,
                                                      struct isms_status *st);

/* Writes one checkpoint line. Errors as isms_jsonl_write. */
ISMS_MUSTCHECK enum isms_code
isms_jsonl_write_checkpoint(FILE *fp, const Isms__V1__AuditCheckpoint *cp, struct isms_status *st);

#endif
