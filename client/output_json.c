/* client/output_json.c — renders a struct isms_out as JSON for output.c: the layout (two-space
 * indent, one member per line, lists inline) is written here, every key and value is encoded by
 * jansson, and server strings with invalid UTF-8 get U+FFFD (json_text.c). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "json_text.h"
#include "output.h"
#include "output_internal.h"

/* --- JSON -------------------------------------------------------------------------------- */

/* The layout (two-space indent, one member per line, lists inline) is written here; every key
 * and value is encoded by jansson. Returns false when a value could not be built (out of
 * memory). */

/* Writes `v` (a new reference, consumed) as compact-with-spaces JSON: ["a", "b"]. */
static bool json_put(FILE *fp, json_t *v)
{
    bool ok = v != NULL && json_dumpf(v, fp, JSON_ENCODE_ANY) == 0;

    json_decref(v);
    return ok;
}

/* A JSON value for one cell; NULL when out of memory. */
static json_t *json_cell(const struct isms_out_col *col, const struct isms_out_cell *cell)
{
    switch (col->type) {
    case ISMS_OUT_STR:
        return isms_json_text(cell->v.s);
    case ISMS_OUT_I64:
    case ISMS_OUT_I64_OPT:
        return json_integer(cell->v.i);
    case ISMS_OUT_U64: {
        char tmp[32];

        /* jansson integers are signed 64-bit; a larger counter keeps its exact digits. */
        if (cell->v.u <= INT64_MAX)
            return json_integer((json_int_t)cell->v.u);
        snprintf(tmp, sizeof(tmp), "%" PRIu64, cell->v.u);
        return json_string(tmp);
    }
    case ISMS_OUT_BOOL:
        return json_boolean(cell->v.b);
    case ISMS_OUT_STRS: {
        const char *p = cell->v.s != NULL ? cell->v.s : "";
        json_t *a = json_array();

        while (a != NULL && *p != '\0') {
            const char *comma = strchr(p, ',');
            size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
            char item[256];

            snprintf(item, sizeof(item), "%.*s", (int)n, p);
            if (json_array_append_new(a, isms_json_text(item)) != 0) {
                json_decref(a);
                return NULL;
            }
            p += n;
            if (*p == ',')
                p++;
        }
        return a;
    }
    }
    return NULL;
}

static void json_indent(FILE *fp, int depth)
{
    for (int i = 0; i < depth; i++)
        fputs("  ", fp);
}

/* Writes the fields of row `r` of `t` as object members, one per line, at `depth`.
 * `more` says whether further members follow the last one. */
static bool json_members(FILE *fp, const struct isms_out_table *t, size_t r, int depth, bool more)
{
    for (size_t c = 0; c < t->ncols; c++) {
        json_indent(fp, depth);
        if (!json_put(fp, isms_json_text(t->cols[c].name)))
            return false;
        fputs(": ", fp);
        if (!json_put(fp, json_cell(&t->cols[c], &t->cells[r * t->ncols + c])))
            return false;
        fputs(c + 1 < t->ncols || more ? ",\n" : "\n", fp);
    }
    return true;
}

/* Writes the rows of `t` as an array of objects; the opening bracket goes where the cursor is. */
static bool json_rows(FILE *fp, const struct isms_out_table *t, int depth)
{
    if (t->nrows == 0) {
        fputs("[]", fp);
        return true;
    }
    fputs("[\n", fp);
    for (size_t r = 0; r < t->nrows; r++) {
        json_indent(fp, depth + 1);
        fputs("{\n", fp);
        if (!json_members(fp, t, r, depth + 2, false))
            return false;
        json_indent(fp, depth + 1);
        fputs(r + 1 < t->nrows ? "},\n" : "}\n", fp);
    }
    json_indent(fp, depth);
    fputc(']', fp);
    return true;
}

bool isms_out_render_json(const struct isms_out *o, FILE *fp)
{
    if (o->shape == ISMS_OUT_LIST) {
        if (!json_rows(fp, &o->main, 0))
            return false;
        fputc('\n', fp);
        return true;
    }
    fputs("{\n", fp);
    if (!json_members(fp, &o->main, 0, 1, o->nsubs > 0))
        return false;
    for (size_t i = 0; i < o->nsubs; i++) {
        json_indent(fp, 1);
        if (!json_put(fp, isms_json_text(o->subs[i].key)))
            return false;
        fputs(": ", fp);
        if (!json_rows(fp, &o->subs[i], 1))
            return false;
        fputs(i + 1 < o->nsubs ? ",\n" : "\n", fp);
    }
    fputs("}\n", fp);
    return true;
}
