/* client/table_fit.c — column widths for a terminal: a common cap on the widest columns found
 * by bisection, the columns' own minima respected; and the terminal's width from $COLUMNS or
 * TIOCGWINSZ. */
#include "table_fit.h"

#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The width of column i under cap c: its natural width, cut to c, never below its minimum. */
static size_t capped(const size_t *natural, const size_t *minimum, size_t i, size_t c)
{
    size_t lo = minimum[i] < natural[i] ? minimum[i] : natural[i];
    size_t w = natural[i] < c ? natural[i] : c;

    return w > lo ? w : lo;
}

static size_t line_width(const size_t *natural, const size_t *minimum, size_t n, size_t gap,
                         size_t c)
{
    size_t sum = n > 0 ? gap * (n - 1) : 0;

    for (size_t i = 0; i < n; i++)
        sum += capped(natural, minimum, i, c);
    return sum;
}

size_t isms_table_fit(const size_t *natural, const size_t *minimum, size_t n, size_t gap,
                      size_t total, size_t *out)
{
    size_t widest = 0, lo = 0, hi, used;

    for (size_t i = 0; i < n; i++) {
        out[i] = natural[i];
        if (natural[i] > widest)
            widest = natural[i];
    }
    used = line_width(natural, minimum, n, gap, widest);
    if (total == 0 || used <= total)
        return used;
    /* The largest cap that fits: line_width() grows with the cap, lo fits (or is 0). */
    hi = widest;
    while (lo + 1 < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (line_width(natural, minimum, n, gap, mid) <= total)
            lo = mid;
        else
            hi = mid;
    }
    used = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = capped(natural, minimum, i, lo);
        used += out[i];
    }
    used += n > 0 ? gap * (n - 1) : 0;
    /* Hand the columns still left to the cut columns, one each, left to right. */
    for (size_t i = 0; i < n && used < total; i++) {
        if (out[i] < natural[i]) {
            out[i]++;
            used++;
        }
    }
    return used;
}

size_t isms_table_term_width(int fd)
{
    const char *env = getenv("COLUMNS");
    struct winsize ws;

    if (env != NULL && env[0] != '\0') {
        char *end;
        long v = strtol(env, &end, 10);

        if (*end == '\0' && v >= 20 && v <= 10000)
            return (size_t)v;
    }
    if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 0;
}
