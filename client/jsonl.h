/* client/jsonl.h — the JSON Lines that `ismsctl audit export` writes and `audit verify --file`
 * reads back: one flat object per line holding exactly the ten AuditRecord fields, "seq" an
 * integer and the rest strings. Both directions use jansson; the reader is strict (valid UTF-8,
 * no duplicate keys, no other members, no other types, bounded length) and strings come back
 * byte for byte, so hashes over them still match. Pure. */
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

/* One record read from a line. Fields other than `rec`, `hash_hex` and `is_hash_ok` are
 * private; release it with isms_jsonl_record_cleanup(). */
struct isms_jsonl_record {
    struct isms_audit_record rec; /* strings borrowed from the record; hashes decoded */
    const char *hash_hex;         /* "hash" as written */
    bool is_hash_ok;              /* prev_hash and hash are both 64 hex digits */
    struct json_t *doc;
};

/*
 * Parses one line (without its '\n'; line[0..len) need not be NUL-terminated) into `out`. The
 * line must be one JSON object with exactly the members of isms_jsonl_record_keys, "seq" an
 * integer and the others strings; anything after the object, a carriage return, duplicate keys,
 * invalid UTF-8, \u0000 and lines over ISMS_JSONL_LINE_MAX are refused. Hashes that are not 64
 * hex digits are not an error: is_hash_ok is false (the chain breaks there). On success `out`
 * must be cleaned up; on failure it needs nothing. Errors: INVALID_ARGUMENT "column N: what" or
 * naming the member; RESOURCE_EXHAUSTED.
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

#endif
