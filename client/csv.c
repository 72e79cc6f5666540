/* client/csv.c — the guard against spreadsheet formulas in exported cells, and a small RFC 4180
 * record reader (for `control import`). */
#include "csv.h"

#include <stdlib.h>
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

void isms_csv_free_cells(char **cells, size_t n)
{
    for (size_t i = 0; cells != NULL && i < n; i++)
        free(cells[i]);
    free(cells);
}

/* Appends cell text[0..len) to *cells; 0 when out of memory. */
static int push_cell(char ***cells, size_t *n, const char *text, size_t len)
{
    char **grown = realloc(*cells, sizeof(**cells) * (*n + 1));
    char *cell;

    if (grown == NULL)
        return 0;
    *cells = grown;
    cell = malloc(len + 1);
    if (cell == NULL)
        return 0;
    if (len > 0)
        memcpy(cell, text, len);
    cell[len] = '\0';
    (*cells)[(*n)++] = cell;
    return 1;
}

static int at_eol(const struct isms_csv_reader *r)
{
    return r->p < r->end &&
           (*r->p == '\n' || (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n'));
}

int isms_csv_next(struct isms_csv_reader *r, char ***cells, size_t *n, size_t *line,
                  struct isms_status *st)
{
    char *buf = NULL;
    size_t cap = 0;

    *cells = NULL;
    *n = 0;
    if (r->line == 0)
        r->line = 1;
    *line = r->line;
    if (r->p >= r->end)
        return 0;
    for (;;) {
        size_t len = 0;

        if (*r->p == '"') {
            size_t start = r->line;

            r->p++;
            for (;;) {
                char c;

                if (r->p >= r->end) {
                    isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                    "line %zu: a quoted field is not closed", start);
                    goto fail;
                }
                c = *r->p++;
                if (c == '"') {
                    if (r->p < r->end && *r->p == '"')
                        r->p++;
                    else
                        break;
                }
                if (c == '\n')
                    r->line++;
                if (len + 1 > cap) {
                    char *g = realloc(buf, cap = cap * 2 + 64);

                    if (g == NULL)
                        goto nomem;
                    buf = g;
                }
                buf[len++] = c;
            }
            if (r->p < r->end && *r->p != ',' && !at_eol(r)) {
                isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                "line %zu: unexpected character after a quoted field", r->line);
                goto fail;
            }
            if (!push_cell(cells, n, buf, len))
                goto nomem;
        } else {
            const char *s = r->p;

            while (r->p < r->end && *r->p != ',' && !at_eol(r))
                r->p++;
            if (!push_cell(cells, n, s, (size_t)(r->p - s)))
                goto nomem;
        }
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            if (r->p >= r->end && !push_cell(cells, n, "", 0))
                goto nomem;
            if (r->p >= r->end)
                break;
            continue;
        }
        if (r->p < r->end) {
            r->p += *r->p == '\r' ? 2 : 1;
            r->line++;
        }
        break;
    }
    free(buf);
    return 1;
nomem:
    isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
fail:
    free(buf);
    isms_csv_free_cells(*cells, *n);
    *cells = NULL;
    *n = 0;
    return -1;
}
