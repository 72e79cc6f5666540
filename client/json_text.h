/* client/json_text.h — the few helpers every jansson user in the client shares: JSON strings
 * from untrusted text (invalid UTF-8 becomes U+FFFD rather than failing), and one message
 * format for a jansson decode error. Pure. */
#ifndef ISMS_CLIENT_JSON_TEXT_H
#define ISMS_CLIENT_JSON_TEXT_H

#include <stddef.h>

#include <jansson.h>

/* Flags every client reader passes to json_loadb(): a duplicate key is an error. */
#define ISMS_JSON_LOAD_FLAGS JSON_REJECT_DUPLICATES

/* A new JSON string holding `s` (NULL is ""), with each invalid UTF-8 byte replaced by U+FFFD.
 * Returns a new reference, or NULL when out of memory. */
json_t *isms_json_text(const char *s);

/* Like isms_json_text() but NULL when `s` is not valid UTF-8 (for data that is hashed, where
 * replacing a byte would be a silent change). */
json_t *isms_json_text_exact(const char *s);

/* Writes jansson's error as "line L, column C: text" (or "column C: text" when `is_one_line`)
 * to out[0..size). jansson counts columns in characters from 1. */
void isms_json_error_text(const json_error_t *err, int is_one_line, char *out, size_t size);

#endif
