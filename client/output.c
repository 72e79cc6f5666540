/* client/output.c — builds command results and renders them as table, JSON or RFC 4180 CSV.
 * Server strings are untrusted: JSON (every key and value encoded by jansson) replaces invalid
 * UTF-8 with U+FFFD; the table replaces control characters too, so no server text can drive the
 * terminal. */
#include "output.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "csv.h"
#include "json_text.h"
#include "output_internal.h"
#include "table_fit.h"

#define COLUMN_GAP 2
/* A column is never cut narrower than this (nor than its header). */
#define COLUMN_MIN_WIDTH 8

static const char REPLACEMENT_CHAR[] = "\xef\xbf\xbd"; /* U+FFFD */

/* --- building ---------------------------------------------------------------------------- */

static void table_init(struct isms_out_table *t, const char *key, const char *title,
                       const struct isms_out_col *cols, size_t ncols)
{
    memset(t, 0, sizeof(*t));
    t->key = key;
    t->title = title;
    t->cols = cols;
    t->ncols = ncols;
    t->next_col = ncols; /* no row open yet */
}

static void table_cleanup(struct isms_out_table *t)
{
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            if (t->cols[c].type == ISMS_OUT_STR || t->cols[c].type == ISMS_OUT_STRS)
                free(t->cells[r * t->ncols + c].v.s);
        }
    }
    free(t->cells);
    memset(t, 0, sizeof(*t));
}

void isms_out_init(struct isms_out *o)
{
    memset(o, 0, sizeof(*o));
}

/* Drops the tables, keeping text and notices. */
static void tables_reset(struct isms_out *o)
{
    table_cleanup(&o->main);
    for (size_t i = 0; i < o->nsubs; i++)
        table_cleanup(&o->subs[i]);
    o->nsubs = 0;
    o->shape = ISMS_OUT_NOTHING;
}

void isms_out_cleanup(struct isms_out *o)
{
    tables_reset(o);
    free(o->text);
    free(o->notice);
    memset(o, 0, sizeof(*o));
}

/* Appends a formatted line to *lines ("a\nb"). */
static void add_line(char **lines, bool *is_oom, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void add_line(char **lines, bool *is_oom, const char *fmt, va_list ap)
{
    char buf[1024];
    size_t old = *lines != NULL ? strlen(*lines) : 0, n;
    char *p;

    vsnprintf(buf, sizeof(buf), fmt, ap);
    n = strlen(buf);
    p = realloc(*lines, old + n + 2);
    if (p == NULL) {
        *is_oom = true;
        return;
    }
    if (old > 0)
        p[old++] = '\n';
    memcpy(p + old, buf, n + 1);
    *lines = p;
}

void isms_out_text(struct isms_out *o, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    add_line(&o->text, &o->is_oom, fmt, ap);
    va_end(ap);
}

void isms_out_notice(struct isms_out *o, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    add_line(&o->notice, &o->is_oom, fmt, ap);
    va_end(ap);
}

struct isms_out_table *isms_out_record(struct isms_out *o, const char *title,
                                       const struct isms_out_col *cols, size_t ncols)
{
    tables_reset(o);
    o->shape = ISMS_OUT_RECORD;
    table_init(&o->main, NULL, title, cols, ncols);
    isms_out_row(&o->main);
    return &o->main;
}

struct isms_out_table *isms_out_list(struct isms_out *o, const char *title,
                                     const struct isms_out_col *cols, size_t ncols)
{
    tables_reset(o);
    o->shape = ISMS_OUT_LIST;
    table_init(&o->main, NULL, title, cols, ncols);
    return &o->main;
}

struct isms_out_table *isms_out_sublist(struct isms_out *o, const char *key, const char *title,
                                        const struct isms_out_col *cols, size_t ncols)
{
    struct isms_out_table *t;

    if (o->shape != ISMS_OUT_RECORD || o->nsubs >= ISMS_OUT_MAX_SUBLISTS)
        return NULL;
    t = &o->subs[o->nsubs++];
    table_init(t, key, title, cols, ncols);
    return t;
}

void isms_out_wide_only(struct isms_out_table *t, uint64_t mask)
{
    t->wide_only = mask;
}

void isms_out_row(struct isms_out_table *t)
{
    struct isms_out_cell *cells;
    size_t cap;

    if (t->is_oom)
        return;
    /* Columns a caller left unfilled in the previous row render as empty. */
    while (t->next_col < t->ncols) {
        if (t->cols[t->next_col].type == ISMS_OUT_STR)
            isms_out_str(t, "");
        else if (t->cols[t->next_col].type == ISMS_OUT_STRS)
            isms_out_strs(t, NULL, 0);
        else
            t->next_col++;
    }
    if (t->is_oom)
        return;
    if (t->nrows == t->cap_rows) {
        cap = t->cap_rows == 0 ? 8 : t->cap_rows * 2;
        if (t->ncols != 0 && cap > SIZE_MAX / sizeof(*cells) / t->ncols) {
            t->is_oom = true;
            return;
        }
        /* A table without columns still needs a non-NULL block to count rows against. */
        cells = realloc(t->cells, t->ncols > 0 ? cap * t->ncols * sizeof(*cells) : 1);
        if (cells == NULL) {
            t->is_oom = true;
            return;
        }
        t->cells = cells;
        t->cap_rows = cap;
    }
    memset(&t->cells[t->nrows * t->ncols], 0, t->ncols * sizeof(*t->cells));
    t->nrows++;
    t->next_col = 0;
}

/* Returns the next cell of the current row, or NULL after an allocation failure. */
static struct isms_out_cell *next_cell(struct isms_out_table *t, enum isms_out_type type)
{
    struct isms_out_cell *cell;

    if (t->is_oom)
        return NULL;
    assert(t->nrows > 0 && t->next_col < t->ncols);
    assert(t->cols[t->next_col].type == type);
    if (t->nrows == 0 || t->next_col >= t->ncols || t->cols[t->next_col].type != type) {
        t->is_oom = true; /* a programming error; fail the render rather than write garbage */
        return NULL;
    }
    cell = &t->cells[(t->nrows - 1) * t->ncols + t->next_col];
    t->next_col++;
    return cell;
}

void isms_out_str(struct isms_out_table *t, const char *s)
{
    struct isms_out_cell *cell = next_cell(t, ISMS_OUT_STR);
    size_t len;

    if (cell == NULL)
        return;
    if (s == NULL)
        s = "";
    len = strlen(s);
    cell->v.s = malloc(len + 1);
    if (cell->v.s == NULL) {
        t->is_oom = true;
        return;
    }
    memcpy(cell->v.s, s, len + 1);
}

void isms_out_strs(struct isms_out_table *t, char *const *items, size_t n)
{
    struct isms_out_cell *cell = next_cell(t, ISMS_OUT_STRS);
    size_t len = 1;

    if (cell == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + 1;
    cell->v.s = malloc(len);
    if (cell->v.s == NULL) {
        t->is_oom = true;
        return;
    }
    cell->v.s[0] = '\0';
    len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(items[i]);

        assert(strchr(items[i], ',') == NULL);
        if (i > 0)
            cell->v.s[len++] = ',';
        memcpy(cell->v.s + len, items[i], k + 1);
        len += k;
    }
}

void isms_out_i64(struct isms_out_table *t, int64_t v)
{
    bool is_opt = t->next_col < t->ncols && t->cols[t->next_col].type == ISMS_OUT_I64_OPT;
    struct isms_out_cell *cell = next_cell(t, is_opt ? ISMS_OUT_I64_OPT : ISMS_OUT_I64);

    if (cell != NULL)
        cell->v.i = v;
}

void isms_out_score(struct isms_out_table *t, int64_t v)
{
    struct isms_out_cell *cell = next_cell(t, ISMS_OUT_SCORE);

    if (cell != NULL)
        cell->v.i = v;
}

void isms_out_u64(struct isms_out_table *t, uint64_t v)
{
    struct isms_out_cell *cell = next_cell(t, ISMS_OUT_U64);

    if (cell != NULL)
        cell->v.u = v;
}

void isms_out_bool(struct isms_out_table *t, bool v)
{
    struct isms_out_cell *cell = next_cell(t, ISMS_OUT_BOOL);

    if (cell != NULL)
        cell->v.b = v;
}

bool isms_out_parse_format(const char *s, enum isms_out_format *fmt)
{
    if (strcmp(s, "table") == 0)
        *fmt = ISMS_OUT_TABLE;
    else if (strcmp(s, "json") == 0)
        *fmt = ISMS_OUT_JSON;
    else if (strcmp(s, "csv") == 0)
        *fmt = ISMS_OUT_CSV;
    else
        return false;
    return true;
}

/* --- UTF-8 ------------------------------------------------------------------------------- */

/* Decodes one code point at s[0..len), len >= 1. Returns the bytes it spans; sets *cp, or
 * *is_valid = false (and spans one byte) for a malformed, overlong or surrogate sequence. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp, bool *is_valid)
{
    unsigned char b = s[0];
    size_t n;
    uint32_t c, min;

    *is_valid = true;
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xc2 && b <= 0xdf) {
        n = 2;
        c = b & 0x1f;
        min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
        n = 3;
        c = b & 0x0f;
        min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 4;
        c = b & 0x07;
        min = 0x10000;
    } else {
        goto invalid;
    }
    if (len < n)
        goto invalid;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            goto invalid;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        goto invalid;
    *cp = c;
    return n;
invalid:
    *is_valid = false;
    *cp = 0xfffd;
    return 1;
}

static unsigned cp_width(uint32_t c)
{
    /* Combining marks and zero-width characters. */
    if ((c >= 0x0300 && c <= 0x036f) || (c >= 0x1ab0 && c <= 0x1aff) ||
        (c >= 0x1dc0 && c <= 0x1dff) || (c >= 0x200b && c <= 0x200f) ||
        (c >= 0x20d0 && c <= 0x20ff) || (c >= 0xfe00 && c <= 0xfe0f) ||
        (c >= 0xfe20 && c <= 0xfe2f))
        return 0;
    /* East Asian wide and fullwidth ranges, and the common emoji blocks. */
    if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
        (c >= 0x3041 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
        (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) ||
        (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ||
        (c >= 0x1f300 && c <= 0x1f64f) || (c >= 0x1f900 && c <= 0x1f9ff) ||
        (c >= 0x20000 && c <= 0x3fffd))
        return 2;
    return 1;
}

size_t isms_out_width(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0, i = 0;

    while (i < len) {
        uint32_t cp;
        bool is_valid;

        i += utf8_next(p + i, len - i, &cp, &is_valid);
        w += cp_width(cp);
    }
    return w;
}

/* --- text buffers ------------------------------------------------------------------------- */

/* A growable string; is_oom sticks after a failed allocation. */
struct sbuf {
    char *p;
    size_t len;
    size_t cap;
    bool is_oom;
};

static void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->is_oom)
        return;
    if (b->p == NULL || b->len + n + 1 > b->cap) {
        size_t cap = b->cap == 0 ? 64 : b->cap;
        char *np;

        while (cap < b->len + n + 1)
            cap *= 2;
        np = realloc(b->p, cap);
        if (np == NULL) {
            b->is_oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Appends `s` made safe for a terminal: control characters (C0, DEL, C1) become spaces and
 * invalid UTF-8 becomes U+FFFD. Stops before exceeding `max_width` columns (0 = no limit),
 * ending the text with an ellipsis instead. Returns the display width appended. */
static size_t sbuf_add_safe(struct sbuf *b, const char *s, size_t len, size_t max_width)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, w = 0;

    if (max_width != 0 && isms_out_width(s, len) <= max_width)
        max_width = 0;
    while (i < len) {
        uint32_t cp;
        bool is_valid;
        size_t n = utf8_next(p + i, len - i, &cp, &is_valid);
        unsigned cw = cp_width(cp);

        /* Leave room for the one-column ellipsis. */
        if (max_width != 0 && w + cw > max_width - 1) {
            sbuf_add(b, "\xe2\x80\xa6", 3);
            return w + 1;
        }
        if (!is_valid)
            sbuf_add(b, REPLACEMENT_CHAR, 3);
        else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
            sbuf_add(b, " ", 1);
        else
            sbuf_add(b, s + i, n);
        w += cw;
        i += n;
    }
    return w;
}

/* Formats a cell's value as plain text (no quoting). Numbers go into `tmp`. */
static const char *cell_text(const struct isms_out_col *col, const struct isms_out_cell *cell,
                             char *tmp, size_t tmp_size)
{
    switch (col->type) {
    case ISMS_OUT_STR:
    case ISMS_OUT_STRS:
        return cell->v.s != NULL ? cell->v.s : "";
    case ISMS_OUT_I64:
        snprintf(tmp, tmp_size, "%" PRId64, cell->v.i);
        return tmp;
    case ISMS_OUT_I64_OPT:
        if (cell->v.i == 0)
            return "";
        snprintf(tmp, tmp_size, "%" PRId64, cell->v.i);
        return tmp;
    case ISMS_OUT_U64:
        snprintf(tmp, tmp_size, "%" PRIu64, cell->v.u);
        return tmp;
    case ISMS_OUT_BOOL:
        return cell->v.b ? "true" : "false";
    }
    return "";
}

/* --- CSV --------------------------------------------------------------------------------- */

/* One RFC 4180 field: quoted when it holds a comma, quote, CR or LF; quotes doubled; a formula
 * guarded (csv.h). Invalid UTF-8 becomes U+FFFD so the file stays valid UTF-8. */
static void csv_field(FILE *fp, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), i = 0;
    bool is_quoted = strpbrk(s, ",\"\r\n") != NULL;

    if (is_quoted)
        fputc('"', fp);
    if (isms_csv_needs_guard(s))
        fputc('\'', fp);
    while (i < len) {
        uint32_t cp;
        bool is_valid;
        size_t n = utf8_next(p + i, len - i, &cp, &is_valid);

        if (!is_valid)
            fputs(REPLACEMENT_CHAR, fp);
        else if (cp == '"')
            fputs("\"\"", fp);
        else
            fwrite(s + i, 1, n, fp);
        i += n;
    }
    if (is_quoted)
        fputc('"', fp);
}

static void render_csv(const struct isms_out *o, FILE *fp)
{
    const struct isms_out_table *t = &o->main;
    char tmp[32];

    for (size_t c = 0; c < t->ncols; c++) {
        if (c > 0)
            fputc(',', fp);
        csv_field(fp, t->cols[c].name);
    }
    fputs("\r\n", fp);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            if (c > 0)
                fputc(',', fp);
            csv_field(fp, cell_text(&t->cols[c], &t->cells[r * t->ncols + c], tmp, sizeof(tmp)));
        }
        fputs("\r\n", fp);
    }
}

/* --- table ------------------------------------------------------------------------------- */

static void put_spaces(FILE *fp, size_t n)
{
    while (n-- > 0)
        fputc(' ', fp);
}

static bool is_wide_only(const struct isms_out_table *t, size_t c)
{
    return c < 64 && (t->wide_only & ((uint64_t)1 << c)) != 0;
}

/* Writes line[0..len) without its trailing blanks, then a newline. */
static void put_line(FILE *fp, const char *line, size_t len)
{
    while (len > 0 && line[len - 1] == ' ')
        len--;
    fwrite(line, 1, len, fp);
    fputc('\n', fp);
}

/* Aligned columns with an upper-case header row, fitted into `width` display columns (0: no
 * limit) by cutting the widest cells with an ellipsis; columns marked is_wide_only only when
 * `is_wide`; no trailing blanks. Returns false if memory ran out. */
static bool render_columns(const struct isms_out_table *t, size_t width, bool is_wide, FILE *fp)
{
    size_t ncells = t->nrows * t->ncols, nshown = 0, last = 0;
    struct sbuf *text = calloc(ncells + t->ncols + 1, sizeof(*text));
    size_t *widths = calloc(ncells + t->ncols + 1, sizeof(*widths));
    size_t *colw = calloc(t->ncols + 1, sizeof(*colw));
    size_t *minw = calloc(t->ncols + 1, sizeof(*minw));
    size_t *fitw = calloc(t->ncols + 1, sizeof(*fitw));
    size_t *shown = calloc(t->ncols + 1, sizeof(*shown));
    bool is_ok = text != NULL && widths != NULL && colw != NULL && minw != NULL && fitw != NULL &&
                 shown != NULL;
    struct sbuf line = {0}, cut = {0};
    char tmp[32];

    for (size_t c = 0; is_ok && c < t->ncols; c++) {
        if (is_wide || !is_wide_only(t, c)) {
            shown[nshown++] = c;
            last = c;
        }
    }
    /* Slots 0..ncols-1 hold the header, the rest the cells, row-major. */
    for (size_t i = 0; is_ok && t->ncols > 0 && i < ncells + t->ncols; i++) {
        const char *s;

        if (i < t->ncols) {
            for (const char *n = t->cols[i].name; *n != '\0'; n++) {
                char ch = *n >= 'a' && *n <= 'z' ? (char)(*n - 'a' + 'A') : *n;

                sbuf_add(&text[i], &ch, 1);
            }
            widths[i] = text[i].len;
            minw[i] = widths[i] > COLUMN_MIN_WIDTH ? widths[i] : COLUMN_MIN_WIDTH;
        } else {
            size_t c = (i - t->ncols) % t->ncols;

            s = cell_text(&t->cols[c], &t->cells[i - t->ncols], tmp, sizeof(tmp));
            widths[i] = sbuf_add_safe(&text[i], s, strlen(s), 0);
            sbuf_add(&text[i], "", 0);
        }
        if (text[i].is_oom)
            is_ok = false;
        if (widths[i] > colw[i % t->ncols])
            colw[i % t->ncols] = widths[i];
    }
    if (is_ok && nshown > 0) {
        /* Fit the shown columns only: gather their widths, fit, scatter the result. */
        size_t *g = calloc(3 * nshown, sizeof(*g));

        if (g == NULL) {
            is_ok = false;
        } else {
            for (size_t k = 0; k < nshown; k++) {
                g[k] = colw[shown[k]];
                g[nshown + k] = minw[shown[k]];
            }
            isms_table_fit(g, g + nshown, nshown, COLUMN_GAP, width, g + 2 * nshown);
            for (size_t k = 0; k < nshown; k++)
                fitw[shown[k]] = g[2 * nshown + k];
            free(g);
        }
    }
    for (size_t i = 0; is_ok && nshown > 0 && i < ncells + t->ncols; i++) {
        size_t c = i % t->ncols, w = widths[i];
        const char *s = text[i].p != NULL ? text[i].p : "";

        if (!is_wide && is_wide_only(t, c))
            continue;
        if (w > fitw[c]) {
            cut.len = 0;
            w = sbuf_add_safe(&cut, s, text[i].len, fitw[c]);
            sbuf_add(&cut, "", 0);
            s = cut.p != NULL ? cut.p : "";
        }
        sbuf_add(&line, s, strlen(s));
        if (c != last) {
            for (size_t k = w; k < fitw[c] + COLUMN_GAP; k++)
                sbuf_add(&line, " ", 1);
        } else {
            if (line.is_oom || cut.is_oom) {
                is_ok = false;
                break;
            }
            put_line(fp, line.p != NULL ? line.p : "", line.len);
            line.len = 0;
        }
    }
    for (size_t i = 0; text != NULL && i < ncells + t->ncols; i++)
        free(text[i].p);
    free(line.p);
    free(cut.p);
    free(text);
    free(widths);
    free(colw);
    free(minw);
    free(fitw);
    free(shown);
    return is_ok;
}

/* One record as "name  value" lines; a multi-line value continues under its first line. */
static bool render_fields(const struct isms_out_table *t, FILE *fp)
{
    size_t keyw = 0;
    char tmp[32];
    struct sbuf line = {0};

    for (size_t c = 0; c < t->ncols; c++) {
        size_t w = strlen(t->cols[c].name);

        if (w > keyw)
            keyw = w;
    }
    for (size_t c = 0; c < t->ncols; c++) {
        const char *s = cell_text(&t->cols[c], &t->cells[c], tmp, sizeof(tmp));
        bool is_first = true;

        do {
            const char *nl = strchr(s, '\n');
            size_t n = nl != NULL ? (size_t)(nl - s) : strlen(s);

            line.len = 0;
            sbuf_add_safe(&line, s, n, 0);
            sbuf_add(&line, "", 0);
            if (line.is_oom) {
                free(line.p);
                return false;
            }
            while (line.len > 0 && line.p[line.len - 1] == ' ')
                line.p[--line.len] = '\0';
            fputs(is_first ? t->cols[c].name : "", fp);
            if (line.len > 0) {
                put_spaces(fp, keyw - (is_first ? strlen(t->cols[c].name) : 0) + COLUMN_GAP);
                fputs(line.p, fp);
            }
            fputc('\n', fp);
            is_first = false;
            s = nl != NULL ? nl + 1 : NULL;
        } while (s != NULL);
    }
    free(line.p);
    return true;
}

static bool render_table(const struct isms_out *o, FILE *fp)
{
    if (o->text != NULL) {
        struct sbuf line = {0};
        const char *s = o->text;

        /* The text may quote server strings: make it as safe as a table cell. */
        while (s != NULL) {
            const char *nl = strchr(s, '\n');
            size_t n = nl != NULL ? (size_t)(nl - s) : strlen(s);

            line.len = 0;
            sbuf_add_safe(&line, s, n, 0);
            sbuf_add(&line, "", 0);
            if (line.is_oom) {
                free(line.p);
                return false;
            }
            put_line(fp, line.p, line.len);
            s = nl != NULL ? nl + 1 : NULL;
        }
        free(line.p);
        return true;
    }
    if (o->shape == ISMS_OUT_LIST)
        return render_columns(&o->main, o->width, o->is_wide, fp);
    if (!render_fields(&o->main, fp))
        return false;
    for (size_t i = 0; i < o->nsubs; i++) {
        const struct isms_out_table *t = &o->subs[i];
        const char *title = t->title != NULL ? t->title : t->key;

        if (t->nrows == 0) {
            fprintf(fp, "\n%s: none\n", title);
            continue;
        }
        fprintf(fp, "\n%s (%zu):\n", title, t->nrows);
        if (!render_columns(t, o->width, o->is_wide, fp))
            return false;
    }
    return true;
}

enum isms_code isms_out_render(const struct isms_out *o, enum isms_out_format fmt, FILE *fp,
                               struct isms_status *st)
{
    bool is_ok = true;

    if (o->is_oom)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory building the output");
    if (o->shape == ISMS_OUT_NOTHING && !(fmt == ISMS_OUT_TABLE && o->text != NULL))
        return ISMS_OK;
    if (o->main.is_oom)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory building the output");
    for (size_t i = 0; i < o->nsubs; i++) {
        if (o->subs[i].is_oom)
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED,
                                   "out of memory building the output");
    }
    switch (fmt) {
    case ISMS_OUT_JSON:
        is_ok = isms_out_render_json(o, fp);
        break;
    case ISMS_OUT_CSV:
        render_csv(o, fp);
        break;
    case ISMS_OUT_TABLE:
        is_ok = render_table(o, fp);
        break;
    }
    if (!is_ok)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory rendering the output");
    if (fflush(fp) != 0 || ferror(fp))
        return isms_status_set(st, ISMS_INTERNAL, "could not write the output");
    return ISMS_OK;
}
