/* client/jsonl.h — the JSON Lines that `ismsctl audit export` writes and `audit verify --file`
 * reads back: one flat object per line whose members are strings or integers. The reader is
 * strict (exactly that shape, valid UTF-8, no duplicate keys) and bounded (member count, number
 * size); strings are copied byte for byte both ways, so hashes over them still match. Pure. */
#ifndef ISMS_CLIENT_JSONL_H
#define ISMS_CLIENT_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/status.h"

#define ISMS_JSONL_MAX_MEMBERS 16

/* One member of a parsed object. */
struct isms_jsonl_member {
    const char *key;   /* decoded, NUL-terminated, inside the caller's line buffer */
    const char *value; /* the decoded string (in the line buffer), or the integer's digits */
    bool is_string;
    char number[24]; /* an integer's text: -?(0|[1-9][0-9]*), at most 19 digits */
};

/*
 * Parses line[0..len) (without its line end), decoding strings in place, so `line` is
 * modified and must outlive `members`. The line must be exactly one object
 * {"key": "string" | integer, ...} with optional spaces or tabs between tokens. Strings may
 * use the escapes \" \\ \/ \b \f \n \r \t and \uXXXX (a surrogate pair makes one code point);
 * \u0000, lone surrogates, raw control characters and invalid UTF-8 are refused, as are
 * nested values, true/false/null, fractions, exponents, duplicate keys, more than `max`
 * members and anything after the closing brace. Errors: INVALID_ARGUMENT, "column N: what".
 */
ISMS_MUSTCHECK enum isms_code isms_jsonl_parse(char *line, size_t len,
                                               struct isms_jsonl_member *members, size_t max,
                                               size_t *n, struct isms_status *st);

/* Writes `s` to `fp` as a JSON string: escapes '"', '\\' and control characters (U+0000 to
 * U+001F and U+007F); all other bytes are written unchanged. */
void isms_jsonl_write_string(FILE *fp, const char *s);

#endif
