/* db/rows.c — the row accessor over a PGresult. Every read is bounds-checked, so a handler
 * reading a column its statement does not return gets "" rather than a crash. */
#include "db/rows.h"

#include <errno.h>
#include <stdlib.h>

#include <libpq-fe.h>

#include "db/rows_pg.h"

static int in_range(const struct isms_rows *rows, int row, int col)
{
    return rows != NULL && rows->res != NULL && row >= 0 && col >= 0 &&
           row < PQntuples(rows->res) && col < PQnfields(rows->res);
}

int isms_rows_count(const struct isms_rows *rows)
{
    return rows != NULL && rows->res != NULL ? PQntuples(rows->res) : 0;
}

int isms_rows_is_null(const struct isms_rows *rows, int row, int col)
{
    return !in_range(rows, row, col) || PQgetisnull(rows->res, row, col);
}

const char *isms_rows_text(const struct isms_rows *rows, int row, int col)
{
    if (isms_rows_is_null(rows, row, col))
        return "";
    return PQgetvalue(rows->res, row, col);
}

int isms_rows_len(const struct isms_rows *rows, int row, int col)
{
    if (isms_rows_is_null(rows, row, col))
        return 0;
    return PQgetlength(rows->res, row, col);
}

int64_t isms_rows_int64(const struct isms_rows *rows, int row, int col)
{
    const char *s = isms_rows_text(rows, row, col);
    char *end;
    long long v;

    if (*s == '\0')
        return 0;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return 0;
    return (int64_t)v;
}
