/* client/table_fit.h — pure arithmetic for fitting table columns into a terminal's width, and
 * the one place that decides how wide the terminal is (COLUMNS, else the tty's size). */
#ifndef ISMS_CLIENT_TABLE_FIT_H
#define ISMS_CLIENT_TABLE_FIT_H

#include <stddef.h>

/*
 * Chooses a width for each of `n` columns so that the widths plus a `gap` between neighbours
 * fit in `total` display columns. natural[i] is the widest cell of column i, minimum[i] the
 * narrowest it may become (taken as natural[i] when larger). Columns that fit keep their
 * natural width; the widest are cut down to a common cap first, so short columns are never
 * touched while a long one can give way. When even the minima do not fit, out[] holds the
 * minima (the table overflows rather than losing its headers). total 0 means no limit.
 * Returns the resulting line width.
 */
size_t isms_table_fit(const size_t *natural, const size_t *minimum, size_t n, size_t gap,
                      size_t total, size_t *out);

/*
 * The width to fit tables into: $COLUMNS when it is a whole number from 20 to 10000, else the
 * width of the terminal on file descriptor `fd` (TIOCGWINSZ), else 0 (no limit: output to a
 * pipe or file is never cut).
 */
size_t isms_table_term_width(int fd);

#endif
