/* client/asset_json.c — the JSON form of asset export/import files: a reader for an array of
 * asset objects (proto field names; tags and depends_on as arrays of strings, or depends_on as
 * the {id, name} objects Asset/Get returns) and the writer `asset export --format json` uses,
 * one object per line. Strings are decoded strictly (escapes, surrogate pairs, no raw control
 * characters, no \u0000); values are left for the server to check. */
#include <stdlib.h>
#include <string.h>

#include "asset_io.h"
#include "jsonl.h"

#define JSON_DEPTH_MAX 32

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

static int put_utf8(struct isms_asset_buf *b, unsigned cp)
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
    return isms_asset_buf_put(b, u, n);
}

/* Reads a string value into a heap string (*out, NULL when `out` is NULL: skipped). */
static enum isms_code json_string(struct json *j, char **out)
{
    struct isms_asset_buf b = {NULL, 0, 0};

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
            if (!isms_asset_buf_put(&b, j->p, 1))
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
            if (!isms_asset_buf_put(&b, j->p, 1))
                goto nomem;
            break;
        case 'b':
            if (!isms_asset_buf_put(&b, "\b", 1))
                goto nomem;
            break;
        case 'f':
            if (!isms_asset_buf_put(&b, "\f", 1))
                goto nomem;
            break;
        case 'n':
            if (!isms_asset_buf_put(&b, "\n", 1))
                goto nomem;
            break;
        case 'r':
            if (!isms_asset_buf_put(&b, "\r", 1))
                goto nomem;
            break;
        case 't':
            if (!isms_asset_buf_put(&b, "\t", 1))
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
    *out = isms_asset_buf_take(&b);
    return *out != NULL ? ISMS_OK : isms_asset_oom(j->st);
nomem:
    free(b.p);
    return isms_asset_oom(j->st);
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
        int ok = code == ISMS_OK && isms_asset_parse_int32(s, out);

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
        num[0] == '+' || !isms_asset_parse_int32(num, out))
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
        if (!isms_asset_list_push(items, n, item)) {
            free(item);
            return isms_asset_oom(j->st);
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
    bool is_seen[ISMS_ASSET_NFIELDS] = {false};
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
        f = isms_asset_field_find(key);
        if (f < 0) {
            code = isms_status_set(
                j->st, ISMS_INVALID_ARGUMENT,
                "row %zu: unknown field \"%.60s\"; fields are " ISMS_ASSET_FIELD_LIST, j->row, key);
            free(key);
            return code;
        }
        free(key);
        if (is_seen[f])
            return isms_status_set(j->st, ISMS_INVALID_ARGUMENT, "row %zu: %s appears twice",
                                   j->row, isms_asset_fields[f].name);
        is_seen[f] = true;
        if (!json_eat(j, ':'))
            return json_fail(j, "expected ':'");
        switch (isms_asset_fields[f].kind) {
        case ISMS_ASSET_K_STR: {
            char *s = NULL;

            if (json_literal(j, "null"))
                break;
            if ((code = json_string(j, &s)) != ISMS_OK)
                return code;
            free(*isms_asset_field_str(r, &isms_asset_fields[f]));
            *isms_asset_field_str(r, &isms_asset_fields[f]) = s;
            break;
        }
        case ISMS_ASSET_K_INT:
            if ((code = json_int(j, isms_asset_fields[f].name,
                                 isms_asset_field_int(r, &isms_asset_fields[f]))) != ISMS_OK)
                return code;
            break;
        case ISMS_ASSET_K_LIST:
            code = json_list(j, isms_asset_fields[f].name,
                             isms_asset_field_list(r, &isms_asset_fields[f]),
                             isms_asset_field_count(r, &isms_asset_fields[f]));
            if (code != ISMS_OK)
                return code;
            break;
        case ISMS_ASSET_K_IGNORE:
            if ((code = json_skip(j, 1)) != ISMS_OK)
                return code;
            break;
        }
    } while (json_eat(j, ','));
    if (!json_eat(j, '}'))
        return json_fail(j, "expected ',' or '}'");
    return ISMS_OK;
}

enum isms_code isms_asset_json_parse(const char *data, size_t len, struct isms_asset_file *out,
                                     struct isms_status *st)
{
    struct json j = {data, data, data + len, 0, st};
    enum isms_code code;

    if (!json_eat(&j, '['))
        return json_fail(&j, "expected '[': the file must be a JSON array of assets");
    if (!json_eat(&j, ']')) {
        do {
            struct isms_asset_row *r = isms_asset_row_add(out);

            if (r == NULL)
                return isms_asset_oom(st);
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

/* ---- writing ------------------------------------------------------------------------------- */

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

bool isms_asset_json_begin(FILE *fp)
{
    fputc('[', fp);
    return !ferror(fp);
}

bool isms_asset_json_row(FILE *fp, const Isms__V1__AssetRecord *a, bool is_first)
{
    char **deps = calloc(a->n_depends_on + 1, sizeof(*deps));

    if (deps == NULL)
        return false;
    for (size_t i = 0; i < a->n_depends_on; i++)
        deps[i] = a->depends_on[i]->name;
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
    free(deps);
    return !ferror(fp);
}

bool isms_asset_json_end(FILE *fp, bool is_empty)
{
    fputs(is_empty ? "]\n" : "\n]\n", fp);
    return !ferror(fp);
}
