/* client/csv.h — spreadsheet formula injection, for every CSV ismsctl writes: a cell that
 * starts with = + - @, a tab or a CR is written with a leading apostrophe (OWASP's advice), so
 * a spreadsheet shows it as text instead of running it; a cell that starts with an apostrophe
 * gets one more, so `asset import` can take exactly one off and read its own exports back
 * verbatim. Pure. */
#ifndef ISMS_CLIENT_CSV_H
#define ISMS_CLIENT_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "common/status.h"

/* True when `s` must be written with a leading apostrophe. */
bool isms_csv_needs_guard(const char *s);

/* Turns a cell read back into its value, in place: takes off the one guard apostrophe a
 * guarded cell carries. */
void isms_csv_unguard(char *s);

/* An RFC 4180 reader over data[0..len): fields separated by ',', records by CRLF or LF, quoted
 * fields may hold commas, quotes ("") and line breaks. Zero-initialise, then set p and end. */
struct isms_csv_reader {
    const char *p, *end;
    size_t line; /* 1-based line where the next record starts; 0 is taken as 1 */
};

/* Reads one record: *cells gets heap strings (free with isms_csv_free_cells), *n their count,
 * *line the record's first line. Returns 1 for a record, 0 at the end, -1 on a syntax error
 * (INVALID_ARGUMENT "line N: ..." in st) or when out of memory (RESOURCE_EXHAUSTED). Cells are
 * returned as written: call isms_csv_unguard on each to undo the formula guard. */
int isms_csv_next(struct isms_csv_reader *r, char ***cells, size_t *n, size_t *line,
                  struct isms_status *st);
void isms_csv_free_cells(char **cells, size_t n);

#endif
