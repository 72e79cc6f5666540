/* client/asset_io.c — asset export/import files: an RFC 4180 CSV reader and writer and a small
 * JSON reader and writer, both mapping proto field names to struct isms_asset_row. Readers are
 * strict about structure (unknown columns, duplicate members, fractions are errors) and leave
 * value checks (UTF-8, lengths, scales) to the server, which reports them by row number. */
#include "asset_io.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"

#define JSON_DEPTH_MAX 32

enum field_kind { K_STR, K_INT, K_LIST, K_IGNORE };

/* The columns a file may hold, in export order. */
static const struct field {
    const char *name;
    enum field_kind kind;
    size_t off;   /* char * / int32_t / char ** in struct isms_asset_row */
    size_t n_off; /* K_LIST: the count */
} fields[] = {
    {"id", K_IGNORE, 0, 0},
    {"name", K_STR, offsetof(struct isms_asset_row, name), 0},
    {"type", K_STR, offsetof(struct isms_asset_row, type), 0},
    {"description", K_STR, offsetof(struct isms_asset_row, description), 0},
    {"owner", K_STR, offsetof(struct isms_asset_row, owner), 0},
    {"custodian", K_STR, offsetof(struct isms_asset_row, custodian), 0},
    {"location", K_STR, offsetof(struct isms_asset_row, location), 0},
    {"classification", K_STR, offsetof(struct isms_asset_row, classification), 0},
    {"confidentiality", K_INT, offsetof(struct isms_asset_row, confidentiality), 0},
    {"integrity", K_INT, offsetof(struct isms_asset_row, integrity), 0},
    {"availability", K_INT, offsetof(struct isms_asset_row, availability), 0},
    {"tags", K_LIST, offsetof(struct isms_asset_row, tags), offsetof(struct isms_asset_row, ntags)},
    {"status", K_STR, offsetof(struct isms_asset_row, status), 0},
    {"depends_on", K_LIST, offsetof(struct isms_asset_row, depends_on),
     offsetof(struct isms_asset_row, ndepends_on)},
    {"required_by", K_IGNORE, 0, 0},
    {"created_at", K_IGNORE, 0, 0},
    {"created_by", K_IGNORE, 0, 0},
    {"updated_at", K_IGNORE, 0, 0},
    {"updated_by", K_IGNORE, 0, 0},
    {"version", K_IGNORE, 0, 0},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
#define FIELD_LIST                                                                                 \
    "name, type, description, owner, custodian, location, classification, "                        \
    "confidentiality, integrity, availability, tags, status, depends_on"

static int find_field(const char *name)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (strcmp(fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

static char **str_at(struct isms_asset_row *r, const struct field *f)
{
    return (char **)((char *)r + f->off);
}

static int32_t *int_at(struct isms_asset_row *r, const struct field *f)
{
    return (int32_t *)((char *)r + f->off);
}

static char ***list_at(struct isms_asset_row *r, const struct field *f)
{
    return (char ***)((char *)r + f->off);
}

static size_t *count_at(struct isms_asset_row *r, const struct field *f)
{
    return (size_t *)((char *)r + f->n_off);
}

static void free_list(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

static void row_free(struct isms_asset_row *r)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        if (fields[i].kind == K_STR)
            free(*str_at(r, &fields[i]));
        else if (fields[i].kind == K_LIST)
            free_list(*list_at(r, &fields[i]), *count_at(r, &fields[i]));
    }
}

void isms_asset_file_free(struct isms_asset_file *f)
{
    for (size_t i = 0; i < f->n; i++)
        row_free(&f->rows[i]);
    free(f->rows);
    f->rows = NULL;
    f->n = f->cap = 0;
}

static enum isms_code oom(struct isms_status *st)
{
    return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory reading the file");
}

/* Appends an empty row (every string "") to `f`; NULL when out of memory. */
static struct isms_asset_row *row_add(struct isms_asset_file *f)
{
    struct isms_asset_row *r;

    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        struct isms_asset_row *rows = realloc(f->rows, cap * sizeof(*rows));

        if (rows == NULL)
            return NULL;
        f->rows = rows;
        f->cap = cap;
    }
    r = &f->rows[f->n];
    memset(r, 0, sizeof(*r));
    for (size_t i = 0; i < NFIELDS; i++) {
        if (fields[i].kind == K_STR && (*str_at(r, &fields[i]) = strdup("")) == NULL) {
            row_free(r);
            return NULL;
        }
    }
    f->n++;
    return r;
}

/* A growable byte buffer for decoded text. */
struct buf {
    char *p;
    size_t len, cap;
};

static int buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        char *p;

        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->p, cap);
        if (p == NULL)
            return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 1;
}

/* Takes the buffer's text as a heap string (empty when nothing was put). */
static char *buf_take(struct buf *b)
{
    char *s = b->p != NULL ? b->p : strdup("");

    b->p = NULL;
    b->len = b->cap = 0;
    return s;
}

static int list_push(char ***items, size_t *n, char *s)
{
    char **p = realloc(*items, (*n + 2) * sizeof(**items));

    if (p == NULL)
        return 0;
    *items = p;
    p[(*n)++] = s;
    p[*n] = NULL;
    return 1;
}

/* Parses a whole decimal int32 (surrounding spaces allowed, "" is 0). */
static int parse_int32(const char *s, int32_t *out)
{
    char *end;
    long v;

    while (*s == ' ')
        s++;
    if (*s == '\0') {
        *out = 0;
        return 1;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    while (*end == ' ')
        end++;
    if (errno != 0 || *end != '\0' || end == s || v < INT32_MIN || v > INT32_MAX)
        return 0;
    *out = (int32_t)v;
    return 1;
}

/* ---- CSV ----------------------------------------------------------------------------------- */

/* Splits one list cell at unescaped ';' (items trimmed, empty items dropped); "\;" and "\\"
 * stand for ';' and '\'. */
static int split_cell(const char *cell, char ***items, size_t *n)
{
    struct buf b = {NULL, 0, 0};
    const char *p = cell;

    for (;;) {
        if (*p == '\\' && (p[1] == ';' || p[1] == '\\')) {
            if (!buf_put(&b, p + 1, 1))
                goto fail;
            p += 2;
            continue;
        }
        if (*p == ';' || *p == '\0') {
            size_t start = 0, end = b.len;

            while (start < end && b.p[start] == ' ')
                start++;
            while (end > start && b.p[end - 1] == ' ')
                end--;
            if (end > start) {
                char *item = malloc(end - start + 1);

                if (item == NULL)
                    goto fail;
                memcpy(item, b.p + start, end - start);
                item[end - start] = '\0';
                if (!list_push(items, n, item)) {
                    free(item);
                    goto fail;
                }
            }
            b.len = 0;
            if (*p == '\0')
                break;
            p++;
            continue;
        }
        if (!buf_put(&b, p, 1))
            goto fail;
        p++;
    }
    free(b.p);
    return 1;
fail:
    free(b.p);
    return 0;
}

struct csv {
    const char *p, *end;
    size_t line; /* line of p */
};

/* Reads one record into *cells (heap strings, count *n). Returns 1 for a record, 0 at the end,
 * -1 on a syntax error (in st), -2 when out of memory. */
static int csv_record(struct csv *c, char ***cells, size_t *n, struct isms_status *st)
{
    struct buf b = {NULL, 0, 0};

    *cells = NULL;
    *n = 0;
    if (c->p >= c->end)
        return 0;
    for (;;) {
        char *cell;

        if (c->p < c->end && *c->p == '"') {
            size_t start_line = c->line;

            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                    "line %zu: a quoted field is not closed", start_line);
                    goto error;
                }
                if (*c->p == '"') {
                    if (c->p + 1 < c->end && c->p[1] == '"') {
                        if (!buf_put(&b, "\"", 1))
                            goto nomem;
                        c->p += 2;
                        continue;
                    }
                    c->p++;
                    break;
                }
                if (*c->p == '\n')
                    c->line++;
                if (!buf_put(&b, c->p, 1))
                    goto nomem;
                c->p++;
            }
            if (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
                !(*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
                isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                "line %zu: unexpected character after a quoted field", c->line);
                goto error;
            }
        } else {
            while (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
                   !(*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
                if (!buf_put(&b, c->p, 1))
                    goto nomem;
                c->p++;
            }
        }
        cell = buf_take(&b);
        if (cell == NULL || !list_push(cells, n, cell)) {
            free(cell);
            goto nomem;
        }
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end) {
            c->p += *c->p == '\r' ? 2 : 1;
            c->line++;
        }
        return 1;
    }
nomem:
    free(b.p);
    free_list(*cells, *n);
    *cells = NULL;
    return -2;
error:
    free(b.p);
    free_list(*cells, *n);
    *cells = NULL;
    return -1;
}

static enum isms_code set_cell(struct isms_asset_row *r, const struct field *f, char *cell,
                               size_t row, struct isms_status *st)
{
    switch (f->kind) {
    case K_STR:
        free(*str_at(r, f));
        *str_at(r, f) = cell;
        return ISMS_OK;
    case K_INT:
        if (!parse_int32(cell, int_at(r, f))) {
            isms_status_set(st, ISMS_INVALID_ARGUMENT,
                            "row %zu: %s must be a whole number, got "
                            "\"%.40s\"",
                            row, f->name, cell);
            free(cell);
            return ISMS_INVALID_ARGUMENT;
        }
        break;
    case K_LIST:
        if (!split_cell(cell, list_at(r, f), count_at(r, f))) {
            free(cell);
            return oom(st);
        }
        break;
    case K_IGNORE:
        break;
    }
    free(cell);
    return ISMS_OK;
}

static enum isms_code parse_csv(const char *data, size_t len, struct isms_asset_file *out,
                                struct isms_status *st)
{
    struct csv c = {data, data + len, 1};
    int map[NFIELDS];
    char **cells;
    size_t n, ncols, row = 0;
    int rc;
    enum isms_code code = ISMS_OK;
    bool has_name = false;

    rc = csv_record(&c, &cells, &n, st);
    if (rc == 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "the file is empty: it needs a header "
                               "row (" FIELD_LIST ")");
    if (rc < 0)
        return rc == -2 ? oom(st) : st->code;
    ncols = n;
    if (ncols > NFIELDS) {
        free_list(cells, n);
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "line 1: the header has %zu columns; at most %zu are known", ncols,
                               NFIELDS);
    }
    for (size_t i = 0; i < ncols; i++) {
        map[i] = find_field(cells[i]);
        if (map[i] < 0) {
            code = isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "line 1: unknown column \"%.60s\"; columns are " FIELD_LIST,
                                   cells[i]);
            break;
        }
        for (size_t k = 0; k < i; k++)
            if (map[k] == map[i])
                code = isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                       "line 1: column \"%s\" appears twice", cells[i]);
        has_name = has_name || strcmp(cells[i], "name") == 0;
    }
    free_list(cells, n);
    if (code != ISMS_OK)
        return code;
    if (!has_name)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "line 1: the header has no name column");
    for (;;) {
        size_t line = c.line;
        struct isms_asset_row *r;

        rc = csv_record(&c, &cells, &n, st);
        if (rc == 0)
            break;
        if (rc < 0)
            return rc == -2 ? oom(st) : st->code;
        if (n == 1 && cells[0][0] == '\0') { /* a blank line */
            free_list(cells, n);
            continue;
        }
        row++;
        if (n != ncols) {
            free_list(cells, n);
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "row %zu (line %zu): %zu fields, but the header has %zu", row,
                                   line, n, ncols);
        }
        r = row_add(out);
        if (r == NULL) {
            free_list(cells, n);
            return oom(st);
        }
        for (size_t i = 0; i < n; i++) {
            if (code == ISMS_OK)
                code = set_cell(r, &fields[map[i]], cells[i], row, st);
            else
                free(cells[i]);
        }
        free(cells);
        if (code != ISMS_OK)
            return code;
    }
    return ISMS_OK;
}

/* ---- JSON ---------------------------------------------------------------------------------- */

struct json {
    const char *start, *p, *end;
    size_t row; /* asset being read, 0 before the first */
    struct isms_status *st;
};

static enum isms_code json_fail(struct json *j, const char *what)
{
    size_t line = 1, col = 1;

    for (const char *q = j->start; q < j->p && q < j->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    if (j->row > 0)
        return isms_status_set(j->st, ISMS_INVALID_ARGUMENT, "row %zu: line %zu, column %zu: %s",
                               j->row, line, col, what);
    return isms_status_set(j->st, ISMS_INVALID_ARGUMENT, "line %zu, column %zu: %s", line, col,
                           what);
}

static void json_ws(struct json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int json_eat(struct json *j, char c)
{
    json_ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return 1;
    }
    return 0;
}

static int hex4(const char *p, const char *end)
{
    int v = 0;

    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char h = p[i];
        int d = h >= '0' && h <= '9'   ? h - '0'
                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                       : -1;

        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static int put_utf8(struct buf *b, unsigned cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_put(b, u, n);
}

/* Reads a string value into a heap string (*out, NULL when `out` is NULL: skipped). */
static enum isms_code json_string(struct json *j, char **out)
{
    struct buf b = {NULL, 0, 0};

    json_ws(j);
    if (j->p >= j->end || *j->p != '"')
        return json_fail(j, "expected a string");
    j->p++;
    for (;;) {
        unsigned char c;

        if (j->p >= j->end) {
            free(b.p);
            return json_fail(j, "a string is not closed");
        }
        c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            break;
        }
        if (c < 0x20) {
            free(b.p);
            return json_fail(j, "a raw control character in a string (escape it)");
        }
        if (c != '\\') {
            if (!buf_put(&b, j->p, 1))
                goto nomem;
            j->p++;
            continue;
        }
        if (j->p + 1 >= j->end) {
            free(b.p);
            return json_fail(j, "a string is not closed");
        }
        j->p++;
        switch (*j->p) {
        case '"':
        case '\\':
        case '/':
            if (!buf_put(&b, j->p, 1))
                goto nomem;
            break;
        case 'b':
            if (!buf_put(&b, "\b", 1))
                goto nomem;
            break;
        case 'f':
            if (!buf_put(&b, "\f", 1))
                goto nomem;
            break;
        case 'n':
            if (!buf_put(&b, "\n", 1))
                goto nomem;
            break;
        case 'r':
            if (!buf_put(&b, "\r", 1))
                goto nomem;
            break;
        case 't':
            if (!buf_put(&b, "\t", 1))
                goto nomem;
            break;
        case 'u': {
            int hi = hex4(j->p + 1, j->end);
            unsigned cp;

            if (hi < 0) {
                free(b.p);
                return json_fail(j, "\\u needs four hex digits");
            }
            j->p += 4;
            cp = (unsigned)hi;
            if (hi >= 0xD800 && hi <= 0xDBFF) {
                int lo = j->p + 2 < j->end && j->p[1] == '\\' && j->p[2] == 'u'
                             ? hex4(j->p + 3, j->end)
                             : -1;

                if (lo < 0xDC00 || lo > 0xDFFF) {
                    free(b.p);
                    return json_fail(j, "a lone surrogate in \\u escapes");
                }
                j->p += 6;
                cp = 0x10000 + (((unsigned)hi - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
            } else if (hi >= 0xDC00 && hi <= 0xDFFF) {
                free(b.p);
                return json_fail(j, "a lone surrogate in \\u escapes");
            }
            if (cp == 0) {
                free(b.p);
                return json_fail(j, "\\u0000 is not allowed");
            }
            if (!put_utf8(&b, cp))
                goto nomem;
            break;
        }
        default:
            free(b.p);
            return json_fail(j, "unknown escape in a string");
        }
        j->p++;
    }
    if (out == NULL) {
        free(b.p);
        return ISMS_OK;
    }
    *out = buf_take(&b);
    return *out != NULL ? ISMS_OK : oom(j->st);
nomem:
    free(b.p);
    return oom(j->st);
}

static int json_literal(struct json *j, const char *lit)
{
    size_t n = strlen(lit);

    json_ws(j);
    if ((size_t)(j->end - j->p) >= n && memcmp(j->p, lit, n) == 0) {
        j->p += n;
        return 1;
    }
    return 0;
}

/* Reads an integer value (or a string holding one; null is 0) into *out. */
static enum isms_code json_int(struct json *j, const char *field, int32_t *out)
{
    char num[32];
    size_t n = 0;

    json_ws(j);
    if (json_literal(j, "null")) {
        *out = 0;
        return ISMS_OK;
    }
    if (j->p < j->end && *j->p == '"') {
        char *s = NULL;
        enum isms_code code = json_string(j, &s);
        int ok = code == ISMS_OK && parse_int32(s, out);

        if (code == ISMS_OK && !ok)
            code = isms_status_set(j->st, ISMS_INVALID_ARGUMENT,
                                   "row %zu: %s must be a whole number, got \"%.40s\"", j->row,
                                   field, s);
        free(s);
        return code;
    }
    while (j->p < j->end && n + 1 < sizeof(num) &&
           ((*j->p >= '0' && *j->p <= '9') || *j->p == '-' || *j->p == '+' || *j->p == '.' ||
            *j->p == 'e' || *j->p == 'E'))
        num[n++] = *j->p++;
    num[n] = '\0';
    if (n == 0)
        return json_fail(j, "expected a number");
    if (strchr(num, '.') != NULL || strchr(num, 'e') != NULL || strchr(num, 'E') != NULL ||
        num[0] == '+' || !parse_int32(num, out))
        return isms_status_set(j->st, ISMS_INVALID_ARGUMENT,
                               "row %zu: %s must be a whole number, got %s", j->row, field, num);
    return ISMS_OK;
}

static enum isms_code json_skip(struct json *j, int depth);

/* Reads {"id": ..., "name": ...} (other members skipped) into *item: the name, else the id. */
static enum isms_code json_ref_object(struct json *j, const char *field, char **item)
{
    char *name = NULL, *id = NULL;
    enum isms_code code = ISMS_OK;

    j->p++; /* '{' */
    if (!json_eat(j, '}')) {
        do {
            char *key = NULL;

            if ((code = json_string(j, &key)) != ISMS_OK)
                goto out;
            if (!json_eat(j, ':'))
                code = json_fail(j, "expected ':'");
            else if (strcmp(key, "name") == 0 && name == NULL)
                code = json_string(j, &name);
            else if (strcmp(key, "id") == 0 && id == NULL)
                code = json_string(j, &id);
            else
                code = json_skip(j, 1);
            free(key);
            if (code != ISMS_OK)
                goto out;
        } while (json_eat(j, ','));
        if (!json_eat(j, '}')) {
            code = json_fail(j, "expected ',' or '}'");
            goto out;
        }
    }
    if (name == NULL && id == NULL) {
        code = isms_status_set(j->st, ISMS_INVALID_ARGUMENT,
                               "row %zu: %s: an object needs a name or an id", j->row, field);
        goto out;
    }
    *item = name != NULL ? name : id;
    if (name != NULL)
        free(id);
    return ISMS_OK;
out:
    free(name);
    free(id);
    return code;
}

/* Reads an array of strings, or of objects whose "name" (else "id") is taken; null is empty. */
static enum isms_code json_list(struct json *j, const char *field, char ***items, size_t *n)
{
    if (json_literal(j, "null"))
        return ISMS_OK;
    if (!json_eat(j, '['))
        return json_fail(j, "expected an array of strings");
    if (json_eat(j, ']'))
        return ISMS_OK;
    do {
        char *item = NULL;
        enum isms_code code;

        json_ws(j);
        if (j->p < j->end && *j->p == '{')
            code = json_ref_object(j, field, &item);
        else
            code = json_string(j, &item);
        if (code != ISMS_OK)
            return code;
        if (!list_push(items, n, item)) {
            free(item);
            return oom(j->st);
        }
    } while (json_eat(j, ','));
    if (!json_eat(j, ']'))
        return json_fail(j, "expected ',' or ']'");
    return ISMS_OK;
}

/* Skips any value (read-only members of an export). */
static enum isms_code json_skip(struct json *j, int depth)
{
    enum isms_code code;

    if (depth > JSON_DEPTH_MAX)
        return json_fail(j, "values are nested too deeply");
    json_ws(j);
    if (j->p >= j->end)
        return json_fail(j, "expected a value");
    if (*j->p == '"')
        return json_string(j, NULL);
    if (*j->p == '[' || *j->p == '{') {
        char close = *j->p == '[' ? ']' : '}';
        int is_object = close == '}';

        j->p++;
        if (json_eat(j, close))
            return ISMS_OK;
        do {
            if (is_object) {
                if ((code = json_string(j, NULL)) != ISMS_OK)
                    return code;
                if (!json_eat(j, ':'))
                    return json_fail(j, "expected ':'");
            }
            if ((code = json_skip(j, depth + 1)) != ISMS_OK)
                return code;
        } while (json_eat(j, ','));
        if (!json_eat(j, close))
            return json_fail(j, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
        return ISMS_OK;
    }
    if (json_literal(j, "null") || json_literal(j, "true") || json_literal(j, "false"))
        return ISMS_OK;
    if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
        while (j->p < j->end && ((*j->p >= '0' && *j->p <= '9') || *j->p == '-' || *j->p == '+' ||
                                 *j->p == '.' || *j->p == 'e' || *j->p == 'E'))
            j->p++;
        return ISMS_OK;
    }
    return json_fail(j, "expected a value");
}

/* Reads one asset object. */
static enum isms_code json_object(struct json *j, struct isms_asset_row *r)
{
    bool is_seen[NFIELDS] = {false};
    enum isms_code code;

    if (!json_eat(j, '{'))
        return json_fail(j, "expected an object (one asset)");
    if (json_eat(j, '}'))
        return ISMS_OK;
    do {
        char *key = NULL;
        int f;

        if ((code = json_string(j, &key)) != ISMS_OK)
            return code;
        f = find_field(key);
        if (f < 0) {
            code = isms_status_set(j->st, ISMS_INVALID_ARGUMENT,
                                   "row %zu: unknown field \"%.60s\"; fields are " FIELD_LIST,
                                   j->row, key);
            free(key);
            return code;
        }
        free(key);
        if (is_seen[f])
            return isms_status_set(j->st, ISMS_INVALID_ARGUMENT, "row %zu: %s appears twice",
                                   j->row, fields[f].name);
        is_seen[f] = true;
        if (!json_eat(j, ':'))
            return json_fail(j, "expected ':'");
        switch (fields[f].kind) {
        case K_STR: {
            char *s = NULL;

            if (json_literal(j, "null"))
                break;
            if ((code = json_string(j, &s)) != ISMS_OK)
                return code;
            free(*str_at(r, &fields[f]));
            *str_at(r, &fields[f]) = s;
            break;
        }
        case K_INT:
            if ((code = json_int(j, fields[f].name, int_at(r, &fields[f]))) != ISMS_OK)
                return code;
            break;
        case K_LIST:
            code = json_list(j, fields[f].name, list_at(r, &fields[f]), count_at(r, &fields[f]));
            if (code != ISMS_OK)
                return code;
            break;
        case K_IGNORE:
            if ((code = json_skip(j, 1)) != ISMS_OK)
                return code;
            break;
        }
    } while (json_eat(j, ','));
    if (!json_eat(j, '}'))
        return json_fail(j, "expected ',' or '}'");
    return ISMS_OK;
}

static enum isms_code parse_json(const char *data, size_t len, struct isms_asset_file *out,
                                 struct isms_status *st)
{
    struct json j = {data, data, data + len, 0, st};
    enum isms_code code;

    if (!json_eat(&j, '['))
        return json_fail(&j, "expected '[': the file must be a JSON array of assets");
    if (!json_eat(&j, ']')) {
        do {
            struct isms_asset_row *r = row_add(out);

            if (r == NULL)
                return oom(st);
            j.row++;
            if ((code = json_object(&j, r)) != ISMS_OK)
                return code;
        } while (json_eat(&j, ','));
        j.row = 0;
        if (!json_eat(&j, ']'))
            return json_fail(&j, "expected ',' or ']'");
    }
    json_ws(&j);
    if (j.p != j.end)
        return json_fail(&j, "unexpected text after the array");
    return ISMS_OK;
}

enum isms_code isms_asset_file_parse(const char *data, size_t len, enum isms_asset_format fmt,
                                     struct isms_asset_file *out, struct isms_status *st)
{
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    return fmt == ISMS_ASSET_FORMAT_JSON ? parse_json(data, len, out, st)
                                         : parse_csv(data, len, out, st);
}

/* ---- writing ------------------------------------------------------------------------------- */

/* One CSV cell, quoted when it holds a separator, a quote, a line break or edge spaces. */
static void csv_cell(FILE *fp, const char *s, bool is_last)
{
    size_t n = strlen(s);
    bool quote = strpbrk(s, ",\"\r\n") != NULL || (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));

    if (quote) {
        fputc('"', fp);
        for (; *s != '\0'; s++) {
            if (*s == '"')
                fputc('"', fp);
            fputc(*s, fp);
        }
        fputc('"', fp);
    } else {
        fputs(s, fp);
    }
    fputs(is_last ? "\r\n" : ",", fp);
}

/* A list cell: items joined by ';', with ';' and '\' inside an item escaped by '\'. */
static void csv_list(FILE *fp, char *const *items, size_t n)
{
    struct buf b = {NULL, 0, 0};
    bool ok = true;

    for (size_t i = 0; i < n && ok; i++) {
        if (i > 0)
            ok = buf_put(&b, ";", 1);
        for (const char *p = items[i]; *p != '\0' && ok; p++) {
            if (*p == ';' || *p == '\\')
                ok = buf_put(&b, "\\", 1);
            ok = ok && buf_put(&b, p, 1);
        }
    }
    csv_cell(fp, ok && b.p != NULL ? b.p : "", false);
    free(b.p);
}

static void csv_int(FILE *fp, int64_t v, bool is_last)
{
    fprintf(fp, "%lld%s", (long long)v, is_last ? "\r\n" : ",");
}

bool isms_asset_write_begin(FILE *fp, enum isms_asset_format fmt)
{
    if (fmt == ISMS_ASSET_FORMAT_CSV) {
        for (size_t i = 0; i < NFIELDS; i++) {
            if (strcmp(fields[i].name, "required_by") == 0)
                continue;
            fprintf(fp, "%s%s", fields[i].name, i + 1 < NFIELDS ? "," : "\r\n");
        }
    } else {
        fputc('[', fp);
    }
    return !ferror(fp);
}

static void json_key(FILE *fp, const char *key, bool is_first)
{
    fprintf(fp, "%s\"%s\":", is_first ? "" : ",", key);
}

static void json_strs(FILE *fp, char *const *items, size_t n)
{
    fputc('[', fp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            fputc(',', fp);
        isms_jsonl_write_string(fp, items[i]);
    }
    fputc(']', fp);
}

bool isms_asset_write_row(FILE *fp, enum isms_asset_format fmt, const Isms__V1__AssetRecord *a,
                          bool is_first)
{
    char **deps = calloc(a->n_depends_on + 1, sizeof(*deps));

    if (deps == NULL)
        return false;
    for (size_t i = 0; i < a->n_depends_on; i++)
        deps[i] = a->depends_on[i]->name;
    if (fmt == ISMS_ASSET_FORMAT_CSV) {
        csv_cell(fp, a->id, false);
        csv_cell(fp, a->name, false);
        csv_cell(fp, a->type, false);
        csv_cell(fp, a->description, false);
        csv_cell(fp, a->owner, false);
        csv_cell(fp, a->custodian, false);
        csv_cell(fp, a->location, false);
        csv_cell(fp, a->classification, false);
        csv_int(fp, a->confidentiality, false);
        csv_int(fp, a->integrity, false);
        csv_int(fp, a->availability, false);
        csv_list(fp, a->tags, a->n_tags);
        csv_cell(fp, a->status, false);
        csv_list(fp, deps, a->n_depends_on);
        csv_cell(fp, a->created_at, false);
        csv_cell(fp, a->created_by, false);
        csv_cell(fp, a->updated_at, false);
        csv_cell(fp, a->updated_by, false);
        csv_int(fp, a->version, true);
    } else {
        fputs(is_first ? "\n{" : ",\n{", fp);
        json_key(fp, "id", true);
        isms_jsonl_write_string(fp, a->id);
        json_key(fp, "name", false);
        isms_jsonl_write_string(fp, a->name);
        json_key(fp, "type", false);
        isms_jsonl_write_string(fp, a->type);
        json_key(fp, "description", false);
        isms_jsonl_write_string(fp, a->description);
        json_key(fp, "owner", false);
        isms_jsonl_write_string(fp, a->owner);
        json_key(fp, "custodian", false);
        isms_jsonl_write_string(fp, a->custodian);
        json_key(fp, "location", false);
        isms_jsonl_write_string(fp, a->location);
        json_key(fp, "classification", false);
        isms_jsonl_write_string(fp, a->classification);
        fprintf(fp, ",\"confidentiality\":%d,\"integrity\":%d,\"availability\":%d",
                (int)a->confidentiality, (int)a->integrity, (int)a->availability);
        json_key(fp, "tags", false);
        json_strs(fp, a->tags, a->n_tags);
        json_key(fp, "status", false);
        isms_jsonl_write_string(fp, a->status);
        json_key(fp, "depends_on", false);
        json_strs(fp, deps, a->n_depends_on);
        json_key(fp, "created_at", false);
        isms_jsonl_write_string(fp, a->created_at);
        json_key(fp, "created_by", false);
        isms_jsonl_write_string(fp, a->created_by);
        json_key(fp, "updated_at", false);
        isms_jsonl_write_string(fp, a->updated_at);
        json_key(fp, "updated_by", false);
        isms_jsonl_write_string(fp, a->updated_by);
        fprintf(fp, ",\"version\":%lld}", (long long)a->version);
    }
    free(deps);
    return !ferror(fp);
}

bool isms_asset_write_end(FILE *fp, enum isms_asset_format fmt, bool is_empty)
{
    if (fmt == ISMS_ASSET_FORMAT_JSON)
        fputs(is_empty ? "]\n" : "\n]\n", fp);
    return !ferror(fp);
}
