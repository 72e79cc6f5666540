/* db/rows.h — what a handler sees of a statement's result: rows of text cells, read through
 * these functions, never through libpq. A `struct isms_rows` belongs to db/ and is valid only
 * during the callback it is handed to; copy what you keep into the call's arena. */
#ifndef ISMS_DB_ROWS_H
#define ISMS_DB_ROWS_H

#include <stdint.h>

/* Opaque; NULL stands for "no result" (the connection failed) and reads as zero rows. */
struct isms_rows;

/* The number of rows; 0 for NULL. */
int isms_rows_count(const struct isms_rows *rows);

/* The text of cell (`row`, `col`); "" when the cell is SQL NULL, out of range, or `rows` is
 * NULL. The string lives as long as `rows`. */
const char *isms_rows_text(const struct isms_rows *rows, int row, int col);

/* 1 when cell (`row`, `col`) is SQL NULL or out of range, else 0. */
int isms_rows_is_null(const struct isms_rows *rows, int row, int col);

/* The length in bytes of cell (`row`, `col`)'s text; 0 for NULL or out of range. */
int isms_rows_len(const struct isms_rows *rows, int row, int col);

/* The cell parsed as a decimal int64 with a checked strtoll; 0 when NULL, out of range or
 * malformed. */
int64_t isms_rows_int64(const struct isms_rows *rows, int row, int col);

#endif
