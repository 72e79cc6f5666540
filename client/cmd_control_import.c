/* client/cmd_control_import.c — `ismsctl control import FILE`: a whole SoA prepared in a
 * spreadsheet. The file is the CSV of `soa export --format csv`: key,value header lines, a
 * blank line, the column row, then one row per control. Each row becomes one ImportControlRow
 * numbered by its line in the file, and all go to the server in one Control/Import call (the
 * 93 catalogue rows are far below the 4 MiB frame limit), which applies all or none. */
#include "cmd_control_import.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv.h"

#include "isms/v1/control.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))
#define FILE_MAX (4u << 20)
#define ROWS_MAX 1000

/* Columns of the SoA CSV; read-only ones are accepted and ignored. */
enum col {
    C_ID,
    C_APPLICABLE,
    C_REASONS,
    C_INCLUSION,
    C_EXCLUSION,
    C_STATUS,
    C_TARGET,
    C_OWNER,
    C_IMPLEMENTATION,
    C_EVIDENCE,
    C_JUSTIFICATION, /* exports from before the two justifications: by applicability */
    C_IGNORED,
};

static const struct {
    const char *name;
    enum col col;
} COLUMNS[] = {
    {"position", C_IGNORED},
    {"id", C_ID},
    {"theme", C_IGNORED},
    {"title", C_IGNORED},
    {"custom", C_IGNORED},
    {"source", C_IGNORED},
    {"applicable", C_APPLICABLE},
    {"reasons", C_REASONS},
    {"inclusion_justification", C_INCLUSION},
    {"exclusion_justification", C_EXCLUSION},
    {"justification", C_JUSTIFICATION},
    {"status", C_STATUS},
    {"target_date", C_TARGET},
    {"owner", C_OWNER},
    {"implementation", C_IMPLEMENTATION},
    {"evidence", C_EVIDENCE},
    {"linked_risks", C_IGNORED},
};

static const struct isms_out_col change_cols[] = {
    {"control_id", ISMS_OUT_STR}, {"title", ISMS_OUT_STR}, {"field", ISMS_OUT_STR},
    {"before", ISMS_OUT_STR},     {"after", ISMS_OUT_STR},
};

/* Reads a whole file into a heap buffer of at most FILE_MAX bytes. */
static enum isms_code read_file(const char *path, char **data, size_t *len, struct isms_status *st)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    size_t n;

    if (fp == NULL)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not open %s: %s", path,
                               strerror(errno));
    buf = malloc(FILE_MAX + 1);
    if (buf == NULL) {
        fclose(fp);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory reading %s", path);
    }
    n = fread(buf, 1, FILE_MAX + 1, fp);
    if (ferror(fp) || n > FILE_MAX) {
        int is_big = !ferror(fp);

        fclose(fp);
        free(buf);
        return is_big ? isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s is larger than %u MiB", path,
                                        FILE_MAX >> 20)
                      : isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not read %s", path);
    }
    fclose(fp);
    *data = buf;
    *len = n;
    return ISMS_OK;
}

/* Trims white space at both ends, in place; returns s. */
static char *trim(char *s)
{
    size_t n;

    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* Splits `cell` (modified in place) at each `sep` into non-empty trimmed items; the array is
 * heap memory (NULL with *n 0 when there are none), the items point into `cell`. */
static int split(char *cell, char sep, char ***items, size_t *n)
{
    size_t cap = 1;

    *items = NULL;
    *n = 0;
    for (const char *p = cell; *p != '\0'; p++)
        cap += *p == sep;
    *items = calloc(cap, sizeof(**items));
    if (*items == NULL)
        return 0;
    for (char *p = cell;;) {
        char *end = strchr(p, sep);
        char *item;

        if (end != NULL)
            *end = '\0';
        item = trim(p);
        if (item[0] != '\0')
            (*items)[(*n)++] = item;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return 1;
}

/* Everything a parsed file holds; free with import_free(). */
struct import {
    char ***cells; /* per row, the cells (owned) */
    size_t *ncells;
    Isms__V1__ImportControlRow *rows;
    Isms__V1__ImportControlRow **ptrs;
    size_t n;
};

static void import_free(struct import *im)
{
    for (size_t i = 0; i < im->n; i++) {
        isms_csv_free_cells(im->cells[i], im->ncells[i]);
        free(im->rows[i].reasons);
        free(im->rows[i].evidence);
    }
    free(im->cells);
    free(im->ncells);
    free(im->rows);
    free(im->ptrs);
}

/* Maps the column row; map[k] is the column of cell k. */
static enum isms_code read_header(char **cells, size_t n, size_t line, enum col *map,
                                  struct isms_status *st)
{
    int seen[C_IGNORED] = {0};
    static const enum col required[] = {C_ID,     C_APPLICABLE, C_REASONS,        C_STATUS,
                                        C_TARGET, C_OWNER,      C_IMPLEMENTATION, C_EVIDENCE};
    static const char *const required_names[] = {
        "id",          "applicable", "reasons",        "status",
        "target_date", "owner",      "implementation", "evidence"};

    for (size_t k = 0; k < n; k++) {
        size_t c = 0;
        const char *name = trim(cells[k]);

        while (c < NCOLS(COLUMNS) && strcmp(name, COLUMNS[c].name) != 0)
            c++;
        if (c == NCOLS(COLUMNS))
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "line %zu: unknown column \"%.40s\" (the columns are those "
                                   "`soa export --format csv` writes)",
                                   line, name);
        map[k] = COLUMNS[c].col;
        if (map[k] != C_IGNORED && seen[map[k]]++)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "line %zu: column \"%s\" is given twice", line, name);
    }
    for (size_t r = 0; r < NCOLS(required); r++) {
        if (!seen[required[r]])
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "line %zu: column \"%s\" is missing (every row replaces the "
                                   "whole record of its control)",
                                   line, required_names[r]);
    }
    if (!seen[C_JUSTIFICATION] && !(seen[C_INCLUSION] && seen[C_EXCLUSION]))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "line %zu: columns \"inclusion_justification\" and "
                               "\"exclusion_justification\" are missing",
                               line);
    return ISMS_OK;
}

/* Fills `r` from one data row (cells unguarded, then taken as the field values). */
static enum isms_code read_row(char **cells, size_t n, const enum col *map, size_t line,
                               Isms__V1__ImportControlRow *r, struct isms_status *st)
{
    const char *justification = NULL;

    isms__v1__import_control_row__init(r);
    r->row = (int32_t)line;
    for (size_t k = 0; k < n; k++) {
        char *v;

        isms_csv_unguard(cells[k]);
        v = cells[k];
        switch (map[k]) {
        case C_ID:
            r->id = trim(v);
            break;
        case C_APPLICABLE:
            r->applicable = trim(v);
            break;
        case C_REASONS:
            if (!split(v, ';', &r->reasons, &r->n_reasons))
                return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
            break;
        case C_INCLUSION:
            r->inclusion_justification = v;
            break;
        case C_EXCLUSION:
            r->exclusion_justification = v;
            break;
        case C_JUSTIFICATION:
            justification = v;
            break;
        case C_STATUS:
            r->status = trim(v);
            break;
        case C_TARGET:
            r->target_date = trim(v);
            break;
        case C_OWNER:
            r->owner = trim(v);
            break;
        case C_IMPLEMENTATION:
            r->implementation = v;
            break;
        case C_EVIDENCE:
            if (!split(v, '\n', &r->evidence, &r->n_evidence))
                return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
            break;
        case C_IGNORED:
            break;
        }
    }
    if (r->id[0] == '\0')
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "row %zu: the id is empty", line);
    if (justification != NULL && justification[0] != '\0') {
        if (strcmp(r->applicable, "no") == 0)
            r->exclusion_justification = (char *)justification;
        else
            r->inclusion_justification = (char *)justification;
    }
    return ISMS_OK;
}

/* Parses data[0..len) into `im`. Errors: INVALID_ARGUMENT ("line N: ..." / "row N: ..."). */
static enum isms_code parse(const char *data, size_t len, struct import *im, struct isms_status *st)
{
    struct isms_csv_reader rd = {data, data + len, 1};
    enum col *map = NULL;
    size_t nmap = 0, cap = 0;
    enum isms_code code = ISMS_OK;

    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        rd.p += 3;
    for (;;) {
        char **cells;
        size_t n, line;
        int got = isms_csv_next(&rd, &cells, &n, &line, st);

        if (got < 0) {
            code = st->code;
            break;
        }
        if (got == 0)
            break;
        if (n == 1 && cells[0][0] == '\0') { /* a blank line */
            isms_csv_free_cells(cells, n);
            continue;
        }
        if (map == NULL) {
            /* Header lines (document, organisation, ...) come before the column row. */
            isms_csv_unguard(cells[0]);
            if (strcmp(trim(cells[0]), "position") == 0 || strcmp(cells[0], "id") == 0) {
                map = calloc(n, sizeof(*map));
                nmap = n;
                code = map == NULL ? isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory")
                                   : read_header(cells, n, line, map, st);
            }
            isms_csv_free_cells(cells, n);
            if (code != ISMS_OK)
                break;
            continue;
        }
        if (n != nmap) {
            isms_csv_free_cells(cells, n);
            code = isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "row %zu: %zu cells, but the column row has %zu", line, n, nmap);
            break;
        }
        if (im->n == ROWS_MAX) {
            isms_csv_free_cells(cells, n);
            code = isms_status_set(st, ISMS_INVALID_ARGUMENT, "more than %d rows", ROWS_MAX);
            break;
        }
        if (im->n == cap) {
            size_t c2 = cap == 0 ? 128 : cap * 2;
            char ***gc = realloc(im->cells, c2 * sizeof(*gc));
            size_t *gn = gc != NULL ? realloc(im->ncells, c2 * sizeof(*gn)) : NULL;
            Isms__V1__ImportControlRow *gr =
                gn != NULL ? realloc(im->rows, c2 * sizeof(*gr)) : NULL;

            if (gc != NULL)
                im->cells = gc;
            if (gn != NULL)
                im->ncells = gn;
            if (gr == NULL) {
                isms_csv_free_cells(cells, n);
                code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
                break;
            }
            im->rows = gr;
            cap = c2;
        }
        im->cells[im->n] = cells;
        im->ncells[im->n] = n;
        im->n++;
        code = read_row(cells, n, map, line, &im->rows[im->n - 1], st);
        if (code != ISMS_OK)
            break;
    }
    if (code == ISMS_OK && map == NULL)
        code = isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "no column row (position,id,...) found: export one with `ismsctl "
                               "soa export --format csv`");
    if (code == ISMS_OK && im->n == 0)
        code = isms_status_set(st, ISMS_INVALID_ARGUMENT, "no rows to import");
    free(map);
    return code;
}

/* Prefixes st's message with the file name: "soa.csv: row 7: ...". */
static void name_file(const char *file, struct isms_status *st)
{
    char msg[ISMS_STATUS_MSG_MAX];

    snprintf(msg, sizeof(msg), "%s", st->msg);
    isms_status_set(st, st->code, "%s: %s", file, msg);
}

enum isms_code isms_control_import_run(struct isms_cli *cli, const struct isms_args *a,
                                       ProtobufCMessage *unused, struct isms_out *out,
                                       struct isms_status *st)
{
    const char *file = isms_args_arg(a, 0);
    Isms__V1__ImportControlsRequest req = ISMS__V1__IMPORT_CONTROLS_REQUEST__INIT;
    const Isms__V1__ImportControlsResponse *r;
    ProtobufCMessage *resp = NULL;
    struct import im = {0};
    struct isms_out_table *t;
    char *data = NULL;
    size_t len = 0;
    enum isms_code code;

    (void)unused;
    if (file == NULL)
        return isms_cli_usage(cli, st, "control import needs FILE (a SoA CSV)");
    if (read_file(file, &data, &len, st) != ISMS_OK)
        return st->code;
    code = parse(data, len, &im, st);
    if (code != ISMS_OK) {
        name_file(file, st);
        goto done;
    }
    im.ptrs = calloc(im.n, sizeof(*im.ptrs));
    if (im.ptrs == NULL) {
        code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < im.n; i++)
        im.ptrs[i] = &im.rows[i];
    req.rows = im.ptrs;
    req.n_rows = im.n;
    req.dry_run = isms_args_has(a, "dry-run");
    code = isms_cli_call(cli, "/isms.v1.Control/Import", &req.base,
                         &isms__v1__import_controls_response__descriptor, &resp, st);
    if (code != ISMS_OK) {
        name_file(file, st);
        goto done;
    }
    r = (const Isms__V1__ImportControlsResponse *)resp;
    t = isms_out_list(out, r->dry_run ? "Changes (dry run: nothing was changed)" : "Changes",
                      change_cols, NCOLS(change_cols));
    for (size_t i = 0; i < r->n_changes; i++) {
        const Isms__V1__SoaRowChange *c = r->changes[i];

        for (size_t k = 0; k < c->n_fields; k++) {
            isms_out_row(t);
            isms_out_str(t, c->control_id);
            isms_out_str(t, c->title);
            isms_out_str(t, c->fields[k]->field);
            isms_out_str(t, c->fields[k]->before);
            isms_out_str(t, c->fields[k]->after);
        }
    }
    if (r->dry_run)
        isms_out_text(out, "dry run: %d of %d controls would change; nothing was changed",
                      (int)r->changed, (int)r->rows);
    else
        isms_out_text(out, "imported %d rows: %d controls changed", (int)r->rows, (int)r->changed);
done:
    protobuf_c_message_free_unpacked(resp, NULL);
    import_free(&im);
    free(data);
    return code;
}
