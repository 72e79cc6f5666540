/* client/csv.c — the guard against spreadsheet formulas in exported cells. */
#include "csv.h"

#include <string.h>

bool isms_csv_needs_guard(const char *s)
{
    return s != NULL && s[0] != '\0' && strchr("=+-@\t\r'", s[0]) != NULL;
}

void isms_csv_unguard(char *s)
{
    if (s != NULL && s[0] == '\'')
        memmove(s, s + 1, strlen(s));
}
