/* core/text.h — checks on client-supplied text: UTF-8 validity and length in code points.
 * Pure; used by every *_rules.c before a string reaches SQL or a log line. */
#ifndef ISMS_CORE_TEXT_H
#define ISMS_CORE_TEXT_H

#include <stddef.h>

#include "common/status.h"

/* Returns 1 when `s[0..n)` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF) and
 * has no NUL byte, else 0. */
int isms_utf8_valid(const char *s, size_t n);

/* Number of code points in valid UTF-8 `s`. */
size_t isms_utf8_len(const char *s);

/* Validates one text field: valid UTF-8, at most `max_chars` code points and, when `required`,
 * not empty or blank. Errors: INVALID_ARGUMENT naming `field`. */
ISMS_MUSTCHECK enum isms_code isms_text_check(const char *field, const char *value,
                                              size_t max_chars, int required,
                                              struct isms_status *st);

/* Returns 1 when `s` is a UUID as PostgreSQL prints one (8-4-4-4-12 hex digits with dashes),
 * else 0: ids checked here never reach PostgreSQL's uuid parser, whose error is not the
 * client's business. */
int isms_uuid_text_ok(const char *s);

#endif
