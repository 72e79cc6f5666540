/* client/asset_io.h — the files `ismsctl asset export` writes and `asset import` reads: CSV
 * (RFC 4180, a header row of proto field names; asset_io.c) and JSON (an array of objects with
 * proto field names; asset_json.c). Both are round-trip safe: every field an asset is created
 * from survives, tags and depends_on (by name) included. In CSV those two lists are one cell
 * each, items separated by ';', with '\;' and '\\' standing for a literal ';' and '\' inside an
 * item. Pure: bytes in, rows out, and rows to a FILE. */
#ifndef ISMS_CLIENT_ASSET_IO_H
#define ISMS_CLIENT_ASSET_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/status.h"
#include "isms/v1/asset.pb-c.h"

enum isms_asset_format {
    ISMS_ASSET_FORMAT_CSV,
    ISMS_ASSET_FORMAT_JSON,
};

/* One asset read from a file; every string is owned (heap) and never NULL. */
struct isms_asset_row {
    char *name, *type, *description, *owner, *custodian, *location, *classification, *status;
    int32_t confidentiality, integrity, availability;
    char **tags;
    size_t ntags;
    char **depends_on;
    size_t ndepends_on;
};

/* The rows of a file. Zero-initialise it; free it with isms_asset_file_free(). */
struct isms_asset_file {
    struct isms_asset_row *rows;
    size_t n, cap;
};

/* Parses data[0..len) (a UTF-8 byte order mark is skipped) and appends its assets to `out`.
 * Columns or members other than the writable fields and the read-only ones an export adds (id,
 * required_by, created_at, created_by, updated_at, updated_by, version) are refused, so a typo
 * is not silently dropped. Errors: INVALID_ARGUMENT, "row N: what" (N counts assets from 1, as
 * the server's import errors do) or "line N: what" for CSV syntax; RESOURCE_EXHAUSTED. */
ISMS_MUSTCHECK enum isms_code isms_asset_file_parse(const char *data, size_t len,
                                                    enum isms_asset_format fmt,
                                                    struct isms_asset_file *out,
                                                    struct isms_status *st);
void isms_asset_file_free(struct isms_asset_file *f);

/* Writing an export: begin, one call per asset, end. Returns false when writing failed. */
bool isms_asset_write_begin(FILE *fp, enum isms_asset_format fmt);
bool isms_asset_write_row(FILE *fp, enum isms_asset_format fmt, const Isms__V1__AssetRecord *a,
                          bool is_first);
bool isms_asset_write_end(FILE *fp, enum isms_asset_format fmt, bool is_empty);

/* ---- shared by asset_io.c and asset_json.c ------------------------------------------------ */

enum isms_asset_field_kind {
    ISMS_ASSET_K_STR,    /* char * */
    ISMS_ASSET_K_INT,    /* int32_t */
    ISMS_ASSET_K_LIST,   /* char ** with a size_t count */
    ISMS_ASSET_K_IGNORE, /* read-only: written by export, skipped by import */
};

/* One column / member of a file and where it lives in struct isms_asset_row. */
struct isms_asset_field {
    const char *name;
    enum isms_asset_field_kind kind;
    size_t off;   /* of the value */
    size_t n_off; /* ISMS_ASSET_K_LIST: of the count */
};

#define ISMS_ASSET_NFIELDS ((size_t)20)
/* Every field, in export order. */
extern const struct isms_asset_field isms_asset_fields[ISMS_ASSET_NFIELDS];
#define ISMS_ASSET_FIELD_LIST                                                                      \
    "name, type, description, owner, custodian, location, classification, "                        \
    "confidentiality, integrity, availability, tags, status, depends_on"

/* Index in isms_asset_fields of `name`, or -1. */
int isms_asset_field_find(const char *name);
char **isms_asset_field_str(struct isms_asset_row *r, const struct isms_asset_field *f);
int32_t *isms_asset_field_int(struct isms_asset_row *r, const struct isms_asset_field *f);
char ***isms_asset_field_list(struct isms_asset_row *r, const struct isms_asset_field *f);
size_t *isms_asset_field_count(struct isms_asset_row *r, const struct isms_asset_field *f);

/* Appends a row whose strings are all "" to `f`; NULL when out of memory. */
struct isms_asset_row *isms_asset_row_add(struct isms_asset_file *f);
/* RESOURCE_EXHAUSTED, "out of memory reading the file". */
enum isms_code isms_asset_oom(struct isms_status *st);

/* A growable byte buffer, always NUL-terminated once something was put. */
struct isms_asset_buf {
    char *p;
    size_t len, cap;
};
/* Returns 0 when out of memory. */
int isms_asset_buf_put(struct isms_asset_buf *b, const char *s, size_t n);
/* Takes the text as a heap string ("" when nothing was put) and empties the buffer; NULL when
 * out of memory. */
char *isms_asset_buf_take(struct isms_asset_buf *b);
/* Appends `s` (taking ownership on success) to a NULL-terminated heap list; 0 when out of
 * memory. */
int isms_asset_list_push(char ***items, size_t *n, char *s);
/* Parses a whole decimal int32, spaces around allowed, "" is 0; 0 when it is not one. */
int isms_asset_parse_int32(const char *s, int32_t *out);

/* The JSON half (asset_json.c), called through the functions above. */
ISMS_MUSTCHECK enum isms_code isms_asset_json_parse(const char *data, size_t len,
                                                    struct isms_asset_file *out,
                                                    struct isms_status *st);
bool isms_asset_json_begin(FILE *fp);
bool isms_asset_json_row(FILE *fp, const Isms__V1__AssetRecord *a, bool is_first);
bool isms_asset_json_end(FILE *fp, bool is_empty);

#endif
