/* client/asset_io.h — the files `ismsctl asset export` writes and `asset import` reads: CSV
 * (RFC 4180, a header row of proto field names) and JSON (an array of objects with proto field
 * names). Both are round-trip safe: every field an asset is created from survives, tags and
 * depends_on (by name) included. In CSV those two lists are one cell each, items separated by
 * ';', with '\;' and '\\' standing for a literal ';' and '\' inside an item. Pure: bytes in,
 * rows out, and rows to a FILE. */
#ifndef ISMS_CLIENT_ASSET_IO_H
#define ISMS_CLIENT_ASSET_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"
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

#endif
