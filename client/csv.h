/* client/csv.h — spreadsheet formula injection, for every CSV ismsctl writes: a cell that
 * starts with = + - @, a tab or a CR is written with a leading apostrophe (OWASP's advice), so
 * a spreadsheet shows it as text instead of running it; a cell that starts with an apostrophe
 * gets one more, so `asset import` can take exactly one off and read its own exports back
 * verbatim. Pure. */
#ifndef ISMS_CLIENT_CSV_H
#define ISMS_CLIENT_CSV_H

#include <stdbool.h>

/* True when `s` must be written with a leading apostrophe. */
bool isms_csv_needs_guard(const char *s);

/* Turns a cell read back into its value, in place: takes off the one guard apostrophe a
 * guarded cell carries. */
void isms_csv_unguard(char *s);

#endif
