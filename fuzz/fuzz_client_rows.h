/* fuzz/fuzz_client_rows.h — shared by the client fuzz targets: turns asset rows read from a file
 * back into the AssetRecords an export writes, and checks two reads of a file agree. */
#ifndef ISMS_FUZZ_CLIENT_ROWS_H
#define ISMS_FUZZ_CLIENT_ROWS_H

#include <stddef.h>

#include "asset_io.h"

/* Writes `f` in `fmt` into a heap buffer (*out, *len), as `asset export` would; aborts when a
 * writer fails. */
void isms_fuzz_rows_write(const struct isms_asset_file *f, enum isms_asset_format fmt, char **out,
                          size_t *len);

/* Aborts, naming the field, unless `a` and `b` hold the same assets. */
void isms_fuzz_rows_same(const struct isms_asset_file *a, const struct isms_asset_file *b);

#endif
