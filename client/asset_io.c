/* client/asset_io.c — asset export/import files: the proto field table both formats share,
 * rows and buffers, the RFC 4180 CSV reader and writer, and the entry points that pick CSV or
 * JSON (asset_json.c). Readers are strict about structure (unknown columns, duplicate members,
 * fractions are errors) and leave value checks (UTF-8, lengths, scales) to the server, which
 * reports them by row number. */
#include "asset_io.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* The columns a file may hold, in export order. */
const struct isms_asset_field isms_asset_fields[] = {
    {"id", ISMS_ASSET_K_IGNORE, 0, 0},
    {"name", ISMS_ASSET_K_STR, offsetof(struct isms_asset_row, name), 0},
    {"type", ISMS_ASSET_K_STR, offsetof(struct isms_asset_row, type), 0},
    {"description", ISMS_ASSET_K_STR, offsetof(struct isms_asset_row, description), 0},
    {"owner", ISMS_ASSET_K_STR, offsetof(struct isms_asset_row, owner), 0},
    {"custodian", ISMS_ASSET_K_STR, offsetof(struct isms_asset_row, custodian), 0},
    {"location", ISMS_ASSET_K_STR, offsetof(struct isms_asset_row, location), 0},
    {"classification", ISMS_ASSET_K_STR, offsetof(struct isms_asset_row, classification), 0},
    {"confidentiality", ISMS_ASSET_K_INT, offsetof(struct isms_asset_row, confidentiality), 0},
    {"integrity", ISMS_ASSET_K_INT, offsetof(struct isms_asset_row, integrity), 0},
    {"availability", ISMS_ASSET_K_INT, offsetof(struct isms_asset_row, availability), 0},
    {"tags", ISMS_ASSET_K_LIST, offsetof(struct isms_asset_row, tags),
     offsetof(struct isms_asset_row, ntags)},
    {"status", ISMS_ASSET_K_STR, offsetof(struct isms_asset_row, status), 0},
    {"depends_on", ISMS_ASSET_K_LIST, offsetof(struct isms_asset_row, depends_on),
     offsetof(struct isms_asset_row, ndepends_on)},
    {"required_by", ISMS_ASSET_K_IGNORE, 0, 0},
    {"created_at", ISMS_ASSET_K_IGNORE, 0, 0},
    {"created_by", ISMS_ASSET_K_IGNORE, 0, 0},
    {"updated_at", ISMS_ASSET_K_IGNORE, 0, 0},
    {"updated_by", ISMS_ASSET_K_IGNORE, 0, 0},
    {"version", ISMS_ASSET_K_IGNORE, 0, 0},
};

int isms_asset_field_find(const char *name)
{
    for (size_t i = 0; i < ISMS_ASSET_NFIELDS; i++)
        if (strcmp(isms_asset_fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

char **isms_asset_field_str(struct isms_asset_row *r, const struct isms_asset_field *f)
{
    return (char **)((char *)r + f->off);
}

int32_t *isms_asset_field_int(struct isms_asset_row *r, const struct isms_asset_field *f)
{
    return (int32_t *)((char *)r + f->off);
}

char ***isms_asset_field_list(struct isms_asset_row *r, const struct isms_asset_field *f)
{
    return (char ***)((char *)r + f->off);
}

size_t *isms_asset_field_count(struct isms_asset_row *r, const struct isms_asset_field *f)
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
    for (size_t i = 0; i < ISMS_ASSET_NFIELDS; i++) {
        if (isms_asset_fields[i].kind == ISMS_ASSET_K_STR)
            free(*isms_asset_field_str(r, &isms_asset_fields[i]));
        else if (isms_asset_fields[i].kind == ISMS_ASSET_K_LIST)
            free_list(*isms_asset_field_list(r, &isms_asset_fields[i]),
                      *isms_asset_field_count(r, &isms_asset_fields[i]));
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

enum isms_code isms_asset_oom(struct isms_status *st)
{
    return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory reading the file");
}

/* Appends an empty row (every string "") to `f`; NULL when out of memory. */
struct isms_asset_row *isms_asset_row_add(struct isms_asset_file *f)
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
    for (size_t i = 0; i < ISMS_ASSET_NFIELDS; i++) {
        if (isms_asset_fields[i].kind == ISMS_ASSET_K_STR &&
            (*isms_asset_field_str(r, &isms_asset_fields[i]) = strdup("")) == NULL) {
            row_free(r);
            return NULL;
        }
    }
    f->n++;
    return r;
}

int isms_asset_buf_put(struct isms_asset_buf *b, const char *s, size_t n)
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
char *isms_asset_buf_take(struct isms_asset_buf *b)
{
    char *s = b->p != NULL ? b->p : strdup("");

    b->p = NULL;
    b->len = b->cap = 0;
    return s;
}

int isms_asset_list_push(char ***items, size_t *n, char *s)
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
int isms_asset_parse_int32(const char *s, int32_t *out)
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
    struct isms_asset_buf b = {NULL, 0, 0};
    const char *p = cell;

    for (;;) {
        if (*p == '\\' && (p[1] == ';' || p[1] == '\\')) {
            if (!isms_asset_buf_put(&b, p + 1, 1))
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
                if (!isms_asset_list_push(items, n, item)) {
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
        if (!isms_asset_buf_put(&b, p, 1))
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
    struct isms_asset_buf b = {NULL, 0, 0};

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
                        if (!isms_asset_buf_put(&b, "\"", 1))
                            goto nomem;
                        c->p += 2;
                        continue;
                    }
                    c->p++;
                    break;
                }
                if (*c->p == '\n')
                    c->line++;
                if (!isms_asset_buf_put(&b, c->p, 1))
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
                if (!isms_asset_buf_put(&b, c->p, 1))
                    goto nomem;
                c->p++;
            }
        }
        cell = isms_asset_buf_take(&b);
        if (cell == NULL || !isms_asset_list_push(cells, n, cell)) {
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

static enum isms_code set_cell(struct isms_asset_row *r, const struct isms_asset_field *f,
                               char *cell, size_t row, struct isms_status *st)
{
    switch (f->kind) {
    case ISMS_ASSET_K_STR:
        free(*isms_asset_field_str(r, f));
        *isms_asset_field_str(r, f) = cell;
        return ISMS_OK;
    case ISMS_ASSET_K_INT:
        if (!isms_asset_parse_int32(cell, isms_asset_field_int(r, f))) {
            isms_status_set(st, ISMS_INVALID_ARGUMENT,
                            "row %zu: %s must be a whole number, got "
                            "\"%.40s\"",
                            row, f->name, cell);
            free(cell);
            return ISMS_INVALID_ARGUMENT;
        }
        break;
    case ISMS_ASSET_K_LIST:
        if (!split_cell(cell, isms_asset_field_list(r, f), isms_asset_field_count(r, f))) {
            free(cell);
            return isms_asset_oom(st);
        }
        break;
    case ISMS_ASSET_K_IGNORE:
        break;
    }
    free(cell);
    return ISMS_OK;
}

static enum isms_code parse_csv(const char *data, size_t len, struct isms_asset_file *out,
                                struct isms_status *st)
{
    struct csv c = {data, data + len, 1};
    int map[ISMS_ASSET_NFIELDS];
    char **cells;
    size_t n, ncols, row = 0;
    int rc;
    enum isms_code code = ISMS_OK;
    bool has_name = false;

    rc = csv_record(&c, &cells, &n, st);
    if (rc == 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "the file is empty: it needs a header "
                               "row (" ISMS_ASSET_FIELD_LIST ")");
    if (rc < 0)
        return rc == -2 ? isms_asset_oom(st) : st->code;
    ncols = n;
    if (ncols > ISMS_ASSET_NFIELDS) {
        free_list(cells, n);
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "line 1: the header has %zu columns; at most %zu are known", ncols,
                               ISMS_ASSET_NFIELDS);
    }
    for (size_t i = 0; i < ncols; i++) {
        map[i] = isms_asset_field_find(cells[i]);
        if (map[i] < 0) {
            code = isms_status_set(
                st, ISMS_INVALID_ARGUMENT,
                "line 1: unknown column \"%.60s\"; columns are " ISMS_ASSET_FIELD_LIST, cells[i]);
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
            return rc == -2 ? isms_asset_oom(st) : st->code;
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
        r = isms_asset_row_add(out);
        if (r == NULL) {
            free_list(cells, n);
            return isms_asset_oom(st);
        }
        for (size_t i = 0; i < n; i++) {
            if (code == ISMS_OK) {
                isms_csv_unguard(cells[i]);
                code = set_cell(r, &isms_asset_fields[map[i]], cells[i], row, st);
            } else {
                free(cells[i]);
            }
        }
        free(cells);
        if (code != ISMS_OK)
            return code;
    }
    return ISMS_OK;
}

enum isms_code isms_asset_file_parse(const char *data, size_t len, enum isms_asset_format fmt,
                                     struct isms_asset_file *out, struct isms_status *st)
{
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    return fmt == ISMS_ASSET_FORMAT_JSON ? isms_asset_json_parse(data, len, out, st)
                                         : parse_csv(data, len, out, st);
}

/* ---- writing ------------------------------------------------------------------------------- */

/* One CSV cell, quoted when it holds a separator, a quote, a line break or edge spaces. */
static void csv_cell(FILE *fp, const char *s, bool is_last)
{
    size_t n = strlen(s);
    bool quote = strpbrk(s, ",\"\r\n") != NULL || (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));
    bool guard = isms_csv_needs_guard(s);

    if (quote) {
        fputc('"', fp);
        if (guard)
            fputc('\'', fp);
        for (; *s != '\0'; s++) {
            if (*s == '"')
                fputc('"', fp);
            fputc(*s, fp);
        }
        fputc('"', fp);
    } else {
        if (guard)
            fputc('\'', fp);
        fputs(s, fp);
    }
    fputs(is_last ? "\r\n" : ",", fp);
}

/* A list cell: items joined by ';', with ';' and '\' inside an item escaped by '\'. */
static void csv_list(FILE *fp, char *const *items, size_t n)
{
    struct isms_asset_buf b = {NULL, 0, 0};
    bool ok = true;

    for (size_t i = 0; i < n && ok; i++) {
        if (i > 0)
            ok = isms_asset_buf_put(&b, ";", 1);
        for (const char *p = items[i]; *p != '\0' && ok; p++) {
            if (*p == ';' || *p == '\\')
                ok = isms_asset_buf_put(&b, "\\", 1);
            ok = ok && isms_asset_buf_put(&b, p, 1);
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
        for (size_t i = 0; i < ISMS_ASSET_NFIELDS; i++) {
            if (strcmp(isms_asset_fields[i].name, "required_by") == 0)
                continue;
            fprintf(fp, "%s%s", isms_asset_fields[i].name,
                    i + 1 < ISMS_ASSET_NFIELDS ? "," : "\r\n");
        }
        return !ferror(fp);
    }
    return isms_asset_json_begin(fp);
}

bool isms_asset_write_row(FILE *fp, enum isms_asset_format fmt, const Isms__V1__AssetRecord *a,
                          bool is_first)
{
    char **deps;

    if (fmt == ISMS_ASSET_FORMAT_JSON)
        return isms_asset_json_row(fp, a, is_first);
    deps = calloc(a->n_depends_on + 1, sizeof(*deps));
    if (deps == NULL)
        return false;
    for (size_t i = 0; i < a->n_depends_on; i++)
        deps[i] = a->depends_on[i]->name;
    {
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
    }
    free(deps);
    return !ferror(fp);
}

bool isms_asset_write_end(FILE *fp, enum isms_asset_format fmt, bool is_empty)
{
    if (fmt == ISMS_ASSET_FORMAT_JSON)
        return isms_asset_json_end(fp, is_empty);
    return !ferror(fp);
}
