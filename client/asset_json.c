/* client/asset_json.c — the JSON form of asset export/import files, through jansson: a reader
 * for an array of asset objects (proto field names; tags and depends_on as arrays of strings, or
 * depends_on as the {id, name} objects Asset/Get returns) and the writer `asset export --format
 * json` uses, one compact object per line. jansson refuses invalid UTF-8, raw control
 * characters, \u0000, lone surrogates and duplicate keys; this file refuses unknown fields and
 * wrong types, naming the row. Values are left for the server to check. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "asset_io.h"
#include "json_text.h"

static enum isms_code row_fail(struct isms_status *st, size_t row, const char *field,
                               const char *what)
{
    return isms_status_set(st, ISMS_INVALID_ARGUMENT, "row %zu: %s %s", row, field, what);
}

/* A copy of a JSON string's value, or NULL when out of memory. */
static char *dup_value(const json_t *v)
{
    size_t n = json_string_length(v);
    char *s = malloc(n + 1);

    if (s != NULL) {
        memcpy(s, json_string_value(v), n);
        s[n] = '\0';
    }
    return s;
}

/* An integer field: a whole number, a string holding one, or null (0). */
static enum isms_code read_int(const json_t *v, size_t row, const char *field, int32_t *out,
                               struct isms_status *st)
{
    if (json_is_null(v)) {
        *out = 0;
        return ISMS_OK;
    }
    if (json_is_string(v)) {
        if (!isms_asset_parse_int32(json_string_value(v), out))
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "row %zu: %s must be a whole number, got \"%.40s\"", row, field,
                                   json_string_value(v));
        return ISMS_OK;
    }
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);

        if (n < INT32_MIN || n > INT32_MAX)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "row %zu: %s must be a whole number, got %" JSON_INTEGER_FORMAT,
                                   row, field, n);
        *out = (int32_t)n;
        return ISMS_OK;
    }
    if (json_is_real(v))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "row %zu: %s must be a whole number, got %g", row, field,
                               json_real_value(v));
    return row_fail(st, row, field, "must be a whole number");
}

/* One list item: a string, or an {"id", "name"} object whose name (else id) is taken. */
static enum isms_code read_item(const json_t *v, size_t row, const char *field, char **item,
                                struct isms_status *st)
{
    const json_t *name, *id;

    if (json_is_string(v)) {
        *item = dup_value(v);
        return *item != NULL ? ISMS_OK : isms_asset_oom(st);
    }
    if (!json_is_object(v))
        return row_fail(st, row, field, "must be an array of strings");
    name = json_object_get(v, "name");
    id = json_object_get(v, "id");
    if ((name != NULL && !json_is_string(name)) || (id != NULL && !json_is_string(id)))
        return row_fail(st, row, field, "objects need \"name\" and \"id\" as strings");
    if (name == NULL && id == NULL)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "row %zu: %s: an object needs a name or an id", row, field);
    *item = dup_value(name != NULL ? name : id);
    return *item != NULL ? ISMS_OK : isms_asset_oom(st);
}

/* A list field: an array of items, or null (empty). */
static enum isms_code read_list(const json_t *v, size_t row, const char *field, char ***items,
                                size_t *n, struct isms_status *st)
{
    size_t i;
    const json_t *it;

    if (json_is_null(v))
        return ISMS_OK;
    if (!json_is_array(v))
        return row_fail(st, row, field, "must be an array of strings");
    json_array_foreach(v, i, it)
    {
        char *item = NULL;

        if (read_item(it, row, field, &item, st) != ISMS_OK)
            return st->code;
        if (!isms_asset_list_push(items, n, item)) {
            free(item);
            return isms_asset_oom(st);
        }
    }
    return ISMS_OK;
}

/* Reads one asset object into `r`. */
static enum isms_code read_asset(const json_t *obj, size_t row, struct isms_asset_row *r,
                                 struct isms_status *st)
{
    const char *key;
    const json_t *v;

    if (!json_is_object(obj))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "row %zu: expected an object (one asset)",
                               row);
    /* jansson refused duplicate keys while parsing, so each field comes once. */
    json_object_foreach((json_t *)obj, key, v)
    {
        int f = isms_asset_field_find(key);
        const struct isms_asset_field *fd;

        if (f < 0)
            return isms_status_set(
                st, ISMS_INVALID_ARGUMENT,
                "row %zu: unknown field \"%.60s\"; fields are " ISMS_ASSET_FIELD_LIST, row, key);
        fd = &isms_asset_fields[f];
        switch (fd->kind) {
        case ISMS_ASSET_K_STR: {
            char *s;

            if (json_is_null(v))
                break;
            if (!json_is_string(v))
                return row_fail(st, row, fd->name, "must be a string");
            if ((s = dup_value(v)) == NULL)
                return isms_asset_oom(st);
            free(*isms_asset_field_str(r, fd));
            *isms_asset_field_str(r, fd) = s;
            break;
        }
        case ISMS_ASSET_K_INT:
            if (read_int(v, row, fd->name, isms_asset_field_int(r, fd), st) != ISMS_OK)
                return st->code;
            break;
        case ISMS_ASSET_K_LIST:
            if (read_list(v, row, fd->name, isms_asset_field_list(r, fd),
                          isms_asset_field_count(r, fd), st) != ISMS_OK)
                return st->code;
            break;
        case ISMS_ASSET_K_IGNORE:
            break;
        }
    }
    return ISMS_OK;
}

enum isms_code isms_asset_json_parse(const char *data, size_t len, struct isms_asset_file *out,
                                     struct isms_status *st)
{
    json_error_t err;
    json_t *doc = json_loadb(data, len, ISMS_JSON_LOAD_FLAGS, &err);
    enum isms_code code = ISMS_OK;
    const json_t *it;
    size_t i;

    if (doc == NULL) {
        char why[ISMS_STATUS_MSG_MAX];

        if (json_error_code(&err) == json_error_out_of_memory)
            return isms_asset_oom(st);
        isms_json_error_text(&err, 0, why, sizeof(why));
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s", why);
    }
    if (!json_is_array(doc)) {
        json_decref(doc);
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "expected '[': the file must be a JSON array of assets");
    }
    json_array_foreach(doc, i, it)
    {
        struct isms_asset_row *r = isms_asset_row_add(out);

        if (r == NULL) {
            code = isms_asset_oom(st);
            break;
        }
        if ((code = read_asset(it, i + 1, r, st)) != ISMS_OK)
            break;
    }
    json_decref(doc);
    return code;
}

/* ---- writing ------------------------------------------------------------------------------- */

/* A JSON array of the strings items[0..n); NULL when out of memory. */
static json_t *str_array(char *const *items, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < n; i++) {
        if (json_array_append_new(a, isms_json_text(items[i])) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

bool isms_asset_json_begin(FILE *fp)
{
    fputc('[', fp);
    return !ferror(fp);
}

bool isms_asset_json_row(FILE *fp, const Isms__V1__AssetRecord *a, bool is_first)
{
    char **deps = calloc(a->n_depends_on + 1, sizeof(*deps));
    json_t *o = json_object();
    const struct {
        const char *key;
        json_t *value;
    } members[] = {
        {"id", isms_json_text(a->id)},
        {"name", isms_json_text(a->name)},
        {"type", isms_json_text(a->type)},
        {"description", isms_json_text(a->description)},
        {"owner", isms_json_text(a->owner)},
        {"custodian", isms_json_text(a->custodian)},
        {"location", isms_json_text(a->location)},
        {"classification", isms_json_text(a->classification)},
        {"confidentiality", json_integer(a->confidentiality)},
        {"integrity", json_integer(a->integrity)},
        {"availability", json_integer(a->availability)},
        {"tags", str_array(a->tags, a->n_tags)},
        {"status", isms_json_text(a->status)},
        {"depends_on", NULL},
        {"created_at", isms_json_text(a->created_at)},
        {"created_by", isms_json_text(a->created_by)},
        {"updated_at", isms_json_text(a->updated_at)},
        {"updated_by", isms_json_text(a->updated_by)},
        {"version", json_integer(a->version)},
    };
    bool ok = deps != NULL && o != NULL;

    for (size_t i = 0; deps != NULL && i < a->n_depends_on; i++)
        deps[i] = a->depends_on[i]->name;
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        json_t *v = members[i].value;

        if (strcmp(members[i].key, "depends_on") == 0 && deps != NULL)
            v = str_array(deps, a->n_depends_on);
        /* set_new takes the reference even when it fails. */
        if (o == NULL || json_object_set_new(o, members[i].key, v) != 0) {
            ok = false;
            if (o == NULL)
                json_decref(v);
        }
    }
    if (ok) {
        fputs(is_first ? "\n" : ",\n", fp);
        ok = json_dumpf(o, fp, JSON_COMPACT) == 0;
    }
    json_decref(o);
    free(deps);
    return ok && !ferror(fp);
}

bool isms_asset_json_end(FILE *fp, bool is_empty)
{
    fputs(is_empty ? "]\n" : "\n]\n", fp);
    return !ferror(fp);
}
