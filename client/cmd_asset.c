/* client/cmd_asset.c — `ismsctl asset ...`: the asset inventory (ISO/IEC 27001 Annex A 5.9)
 * over /isms.v1.Asset: create, list (filters, sorting, keyset pages), show, update (with
 * --expect-version), delete, dependencies, classification levels, and CSV/JSON import and
 * export (client/asset_io.h). Output field names are the proto's. An import is one call, so
 * the server applies all of it or none of it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asset_io.h"
#include "cli.h"
#include "export_file.h"

#include "isms/v1/asset.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))
#define FILE_MAX (64u * 1024 * 1024)
/* An import may take a while (one audit record per asset): without --timeout, wait this long. */
#define IMPORT_TIMEOUT_MS (10u * 60 * 1000)
#define MULTI_MAX         200

static const struct isms_out_col asset_cols[] = {
    {"id", ISMS_OUT_STR},
    {"name", ISMS_OUT_STR},
    {"type", ISMS_OUT_STR},
    {"description", ISMS_OUT_STR},
    {"owner", ISMS_OUT_STR},
    {"custodian", ISMS_OUT_STR},
    {"location", ISMS_OUT_STR},
    {"classification", ISMS_OUT_STR},
    {"confidentiality", ISMS_OUT_I64},
    {"integrity", ISMS_OUT_I64},
    {"availability", ISMS_OUT_I64},
    {"tags", ISMS_OUT_STRS},
    {"status", ISMS_OUT_STR},
    {"created_at", ISMS_OUT_STR},
    {"created_by", ISMS_OUT_STR},
    {"updated_at", ISMS_OUT_STR},
    {"updated_by", ISMS_OUT_STR},
    {"version", ISMS_OUT_I64},
};

static const struct isms_out_col list_cols[] = {
    {"id", ISMS_OUT_STR},
    {"name", ISMS_OUT_STR},
    {"type", ISMS_OUT_STR},
    {"owner", ISMS_OUT_STR},
    {"classification", ISMS_OUT_STR},
    {"confidentiality", ISMS_OUT_I64},
    {"integrity", ISMS_OUT_I64},
    {"availability", ISMS_OUT_I64},
    {"tags", ISMS_OUT_STRS},
    {"status", ISMS_OUT_STR},
    {"version", ISMS_OUT_I64},
    {"updated_at", ISMS_OUT_STR},
};

static const struct isms_out_col ref_cols[] = {
    {"id", ISMS_OUT_STR},
    {"name", ISMS_OUT_STR},
};

static const struct isms_out_col import_cols[] = {
    {"imported", ISMS_OUT_I64},
    {"ids", ISMS_OUT_STRS},
};

static const struct isms_out_col export_cols[] = {
    {"file", ISMS_OUT_STR},
    {"assets", ISMS_OUT_I64},
};

static const struct isms_out_col class_cols[] = {
    {"level", ISMS_OUT_STR},
    {"rank", ISMS_OUT_I64},
    {"asset_count", ISMS_OUT_I64},
};

/* ---- helpers ------------------------------------------------------------------------------- */

/* A heap list of heap strings. */
struct strlist {
    char **v;
    size_t n;
};

static void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static bool strlist_add(struct strlist *l, const char *s, size_t len)
{
    char **v = realloc(l->v, (l->n + 2) * sizeof(*v));

    if (v == NULL)
        return false;
    l->v = v;
    v[l->n] = malloc(len + 1);
    if (v[l->n] == NULL)
        return false;
    memcpy(v[l->n], s, len);
    v[l->n][len] = '\0';
    l->n++;
    v[l->n] = NULL;
    return true;
}

/* Adds the items of "a,b,c" (trimmed, empty ones dropped). */
static bool strlist_add_csv(struct strlist *l, const char *s)
{
    size_t n;
    char **items = isms_cli_split_list(s, &n);
    bool ok = items != NULL;

    for (size_t i = 0; ok && i < n; i++)
        ok = strlist_add(l, items[i], strlen(items[i]));
    if (items != NULL)
        isms_cli_free_list(items);
    return ok;
}

/*
 * Moves every "--NAME VALUE" and "--NAME=VALUE" before "--" out of argv (compacting it) into
 * `out`, splitting values at commas when `split` is set. isms_cli_parse() then sees the rest;
 * this is how an option may be repeated (--tag gdpr --tag crm).
 */
static enum isms_code take_repeated(struct isms_cli *cli, int *argc, char **argv, const char *name,
                                    bool split, struct strlist *out, bool *is_given,
                                    struct isms_status *st)
{
    size_t nl = strlen(name);
    int w = 0, i;

    for (i = 0; i < *argc; i++) {
        char *a = argv[i];
        const char *v;
        bool ok;

        if (strcmp(a, "--") == 0)
            break;
        if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, nl) != 0 ||
            (a[2 + nl] != '\0' && a[2 + nl] != '=')) {
            argv[w++] = a;
            continue;
        }
        if (a[2 + nl] == '=') {
            v = a + 3 + nl;
        } else {
            if (i + 1 >= *argc)
                return isms_cli_usage(cli, st, "--%s needs a value", name);
            v = argv[++i];
        }
        if (out->n >= MULTI_MAX)
            return isms_cli_usage(cli, st, "--%s given more than %d times", name, MULTI_MAX);
        ok = split ? strlist_add_csv(out, v) : strlist_add(out, v, strlen(v));
        if (!ok)
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        *is_given = true;
    }
    for (; i < *argc; i++)
        argv[w++] = argv[i];
    *argc = w;
    return ISMS_OK;
}

/* Parses an optional integer option into *out (unchanged when `s` is NULL). */
static enum isms_code int_opt(struct isms_cli *cli, const char *name, const char *s, int64_t min,
                              int64_t max, int64_t *out, struct isms_status *st)
{
    if (s != NULL && !isms_cli_parse_i64(s, min, max, out))
        return isms_cli_usage(cli, st, "--%s needs a whole number, got \"%.40s\"", name, s);
    return ISMS_OK;
}

static void add_refs(struct isms_out *out, const char *key, const char *title,
                     Isms__V1__AssetRef *const *refs, size_t n)
{
    struct isms_out_table *t = isms_out_sublist(out, key, title, ref_cols, NCOLS(ref_cols));

    for (size_t i = 0; t != NULL && i < n; i++) {
        isms_out_row(t);
        isms_out_str(t, refs[i]->id);
        isms_out_str(t, refs[i]->name);
    }
}

/* Fills `out` with one asset: its fields, then what it depends on and what depends on it. */
static void fill_asset(struct isms_out *out, const Isms__V1__AssetRecord *a)
{
    struct isms_out_table *t = isms_out_record(out, "asset", asset_cols, NCOLS(asset_cols));

    isms_out_str(t, a->id);
    isms_out_str(t, a->name);
    isms_out_str(t, a->type);
    isms_out_str(t, a->description);
    isms_out_str(t, a->owner);
    isms_out_str(t, a->custodian);
    isms_out_str(t, a->location);
    isms_out_str(t, a->classification);
    isms_out_i64(t, a->confidentiality);
    isms_out_i64(t, a->integrity);
    isms_out_i64(t, a->availability);
    isms_out_strs(t, a->tags, a->n_tags);
    isms_out_str(t, a->status);
    isms_out_str(t, a->created_at);
    isms_out_str(t, a->created_by);
    isms_out_str(t, a->updated_at);
    isms_out_str(t, a->updated_by);
    isms_out_i64(t, a->version);
    add_refs(out, "depends_on", "Depends on", a->depends_on, a->n_depends_on);
    add_refs(out, "required_by", "Required by", a->required_by, a->n_required_by);
}

/* Makes one unary call whose answer is an AssetRecord and shows it. */
static enum isms_code call_show(struct isms_cli *cli, const char *method,
                                const ProtobufCMessage *req, struct isms_out *out,
                                struct isms_status *st)
{
    ProtobufCMessage *msg = NULL;

    if (isms_cli_call(cli, method, req, &isms__v1__asset_record__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    fill_asset(out, (const Isms__V1__AssetRecord *)msg);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

/* ---- create, show, update, delete ---------------------------------------------------------- */

/* The field options shared by create and update. */
struct field_opts {
    const char *name, *type, *description, *owner, *custodian, *location, *classification;
    const char *c, *i, *a, *status;
    bool has[11];
};

#define FIELD_OPTS(f)                                                                              \
    {"name", "NAME", &(f).name, &(f).has[0]}, {"type", "TYPE", &(f).type, &(f).has[1]},            \
        {"description", "TEXT", &(f).description, &(f).has[2]},                                    \
        {"owner", "USER", &(f).owner, &(f).has[3]},                                                \
        {"custodian", "USER", &(f).custodian, &(f).has[4]},                                        \
        {"location", "TEXT", &(f).location, &(f).has[5]},                                          \
        {"classification", "LEVEL", &(f).classification, &(f).has[6]},                             \
        {"c", "N", &(f).c, &(f).has[7]}, {"i", "N", &(f).i, &(f).has[8]},                          \
        {"a", "N", &(f).a, &(f).has[9]},                                                           \
    {                                                                                              \
        "status", "active|retired", &(f).status, &(f).has[10]                                      \
    }

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static enum isms_code parse_cia(struct isms_cli *cli, const struct field_opts *f, int32_t *c,
                                int32_t *i, int32_t *a, struct isms_status *st)
{
    int64_t vc = 0, vi = 0, va = 0;

    if (int_opt(cli, "c", f->c, INT32_MIN, INT32_MAX, &vc, st) != ISMS_OK ||
        int_opt(cli, "i", f->i, INT32_MIN, INT32_MAX, &vi, st) != ISMS_OK ||
        int_opt(cli, "a", f->a, INT32_MIN, INT32_MAX, &va, st) != ISMS_OK)
        return st->code;
    *c = (int32_t)vc;
    *i = (int32_t)vi;
    *a = (int32_t)va;
    return ISMS_OK;
}

static enum isms_code run_create(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__CreateAssetRequest req = ISMS__V1__CREATE_ASSET_REQUEST__INIT;
    struct field_opts f = {0};
    const struct isms_opt opts[] = {FIELD_OPTS(f)};
    struct strlist tags = {NULL, 0}, deps = {NULL, 0};
    bool has_tags = false, has_deps = false;
    const char *pos[1];
    size_t npos;
    enum isms_code code;

    if ((code = take_repeated(cli, &argc, argv, "tag", true, &tags, &has_tags, st)) != ISMS_OK ||
        (code = take_repeated(cli, &argc, argv, "depends-on", false, &deps, &has_deps, st)) !=
            ISMS_OK ||
        (code = isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 0, &npos, st)) != ISMS_OK ||
        (code = parse_cia(cli, &f, &req.confidentiality, &req.integrity, &req.availability, st)) !=
            ISMS_OK)
        goto out;
    if (f.name == NULL) {
        code = isms_cli_usage(cli, st, "asset create needs --name NAME");
        goto out;
    }
    req.name = (char *)f.name;
    req.type = (char *)or_empty(f.type);
    req.description = (char *)or_empty(f.description);
    req.owner = (char *)or_empty(f.owner);
    req.custodian = (char *)or_empty(f.custodian);
    req.location = (char *)or_empty(f.location);
    req.classification = (char *)or_empty(f.classification);
    req.status = (char *)or_empty(f.status);
    req.tags = tags.v;
    req.n_tags = tags.n;
    req.depends_on = deps.v;
    req.n_depends_on = deps.n;
    code = call_show(cli, "/isms.v1.Asset/Create", &req.base, out, st);
out:
    strlist_free(&tags);
    strlist_free(&deps);
    return code;
}

static enum isms_code run_show(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                               struct isms_status *st)
{
    Isms__V1__GetAssetRequest req = ISMS__V1__GET_ASSET_REQUEST__INIT;
    const char *pos[1];
    size_t npos;

    if (isms_cli_parse(cli, argc, argv, NULL, 0, pos, 1, &npos, st) != ISMS_OK)
        return st->code;
    if (npos != 1)
        return isms_cli_usage(cli, st, "asset show needs one ID (A-<n>) or NAME");
    req.id = (char *)pos[0];
    return call_show(cli, "/isms.v1.Asset/Get", &req.base, out, st);
}

static enum isms_code run_update(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__UpdateAssetRequest req = ISMS__V1__UPDATE_ASSET_REQUEST__INIT;
    struct field_opts f = {0};
    const char *expect = NULL;
    bool clear_tags = false;
    const struct isms_opt opts[] = {
        FIELD_OPTS(f),
        {"expect-version", "N", &expect, NULL},
        {"clear-tags", NULL, NULL, &clear_tags},
    };
    struct strlist tags = {NULL, 0};
    bool has_tags = false, any = false;
    const char *pos[1];
    size_t npos;
    enum isms_code code;

    if ((code = take_repeated(cli, &argc, argv, "tag", true, &tags, &has_tags, st)) != ISMS_OK ||
        (code = isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 1, &npos, st)) != ISMS_OK ||
        (code = parse_cia(cli, &f, &req.confidentiality, &req.integrity, &req.availability, st)) !=
            ISMS_OK ||
        (code = int_opt(cli, "expect-version", expect, 0, INT64_MAX, &req.expected_version, st)) !=
            ISMS_OK)
        goto out;
    if (npos != 1) {
        code = isms_cli_usage(cli, st, "asset update needs one ID (A-<n>) or NAME");
        goto out;
    }
    if (has_tags && clear_tags) {
        code = isms_cli_usage(cli, st, "give --tag or --clear-tags, not both");
        goto out;
    }
    for (size_t k = 0; k < NCOLS(f.has); k++)
        any = any || f.has[k];
    if (!any && !has_tags && !clear_tags) {
        code = isms_cli_usage(cli, st,
                              "asset update needs a field to change (--name, --owner, --c, "
                              "--tag, ...; see 'ismsctl asset update --help')");
        goto out;
    }
    req.id = (char *)pos[0];
    req.name = (char *)or_empty(f.name);
    req.type = (char *)or_empty(f.type);
    req.description = (char *)or_empty(f.description);
    req.owner = (char *)or_empty(f.owner);
    req.custodian = (char *)or_empty(f.custodian);
    req.location = (char *)or_empty(f.location);
    req.classification = (char *)or_empty(f.classification);
    req.status = (char *)or_empty(f.status);
    req.set_name = f.has[0];
    req.set_type = f.has[1];
    req.set_description = f.has[2];
    req.set_owner = f.has[3];
    req.set_custodian = f.has[4];
    req.set_location = f.has[5];
    req.set_classification = f.has[6];
    req.set_confidentiality = f.has[7];
    req.set_integrity = f.has[8];
    req.set_availability = f.has[9];
    req.set_status = f.has[10];
    req.set_tags = has_tags || clear_tags;
    req.tags = tags.v;
    req.n_tags = tags.n;
    code = call_show(cli, "/isms.v1.Asset/Update", &req.base, out, st);
out:
    strlist_free(&tags);
    return code;
}

static enum isms_code run_delete(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__DeleteAssetRequest req = ISMS__V1__DELETE_ASSET_REQUEST__INIT;
    const char *expect = NULL;
    const struct isms_opt opts[] = {
        {"expect-version", "N", &expect, NULL},
    };
    const char *pos[1];
    size_t npos;
    ProtobufCMessage *msg = NULL;
    const Isms__V1__DeleteAssetResponse *r;
    struct isms_out_table *t;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 1, &npos, st) != ISMS_OK ||
        int_opt(cli, "expect-version", expect, 0, INT64_MAX, &req.expected_version, st) != ISMS_OK)
        return st->code;
    if (npos != 1)
        return isms_cli_usage(cli, st, "asset delete needs one ID (A-<n>) or NAME");
    req.id = (char *)pos[0];
    if (isms_cli_call(cli, "/isms.v1.Asset/Delete", &req.base,
                      &isms__v1__delete_asset_response__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    r = (const Isms__V1__DeleteAssetResponse *)msg;
    t = isms_out_record(out, "deleted", ref_cols, NCOLS(ref_cols));
    isms_out_str(t, r->id);
    isms_out_str(t, r->name);
    isms_out_text(out, "deleted %s \"%s\"", r->id, r->name);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

/* ---- dependencies -------------------------------------------------------------------------- */

static enum isms_code dependency(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 const char *verb, const char *method, struct isms_status *st)
{
    Isms__V1__AssetDependencyRequest req = ISMS__V1__ASSET_DEPENDENCY_REQUEST__INIT;
    const char *on = NULL;
    const struct isms_opt opts[] = {
        {"on", "ID-or-NAME", &on, NULL},
    };
    const char *pos[2];
    size_t npos;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 2, &npos, st) != ISMS_OK)
        return st->code;
    if (npos == 2 && on == NULL)
        on = pos[1];
    else if (npos != 1 || on == NULL)
        return isms_cli_usage(cli, st, "asset %s needs ID --on OTHER (each an id or a name)", verb);
    req.id = (char *)pos[0];
    req.depends_on = (char *)on;
    return call_show(cli, method, &req.base, out, st);
}

static enum isms_code run_depend(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    return dependency(cli, argc, argv, out, "depend", "/isms.v1.Asset/AddDependency", st);
}

static enum isms_code run_undepend(struct isms_cli *cli, int argc, char **argv,
                                   struct isms_out *out, struct isms_status *st)
{
    return dependency(cli, argc, argv, out, "undepend", "/isms.v1.Asset/RemoveDependency", st);
}

/* ---- list and export ----------------------------------------------------------------------- */

/* The filter options shared by list and export. */
struct filter_opts {
    const char *type, *owner, *classification, *tag, *search, *status;
};

#define FILTER_OPTS(f)                                                                             \
    {"type", "TYPE", &(f).type, NULL}, {"owner", "USER", &(f).owner, NULL},                        \
        {"classification", "LEVEL", &(f).classification, NULL}, {"tag", "TAG", &(f).tag, NULL},    \
        {"search", "TEXT", &(f).search, NULL},                                                     \
    {                                                                                              \
        "status", "active|retired", &(f).status, NULL                                              \
    }

static void set_filters(Isms__V1__ListAssetsRequest *req, const struct filter_opts *f)
{
    req->type = (char *)or_empty(f->type);
    req->owner = (char *)or_empty(f->owner);
    req->classification = (char *)or_empty(f->classification);
    req->tag = (char *)or_empty(f->tag);
    req->text = (char *)or_empty(f->search);
    req->status = (char *)or_empty(f->status);
}

struct list_sink {
    struct isms_out_table *t;
    char *next_token; /* heap, from the limit-th asset */
};

static enum isms_code add_list_row(void *ud, const ProtobufCMessage *item, struct isms_status *st)
{
    struct list_sink *sink = ud;
    const Isms__V1__ListAssetsResponse *m = (const Isms__V1__ListAssetsResponse *)item;
    const Isms__V1__AssetRecord *a = m->asset;

    if (m->next_page_token != NULL && m->next_page_token[0] != '\0') {
        free(sink->next_token);
        sink->next_token = strdup(m->next_page_token);
        if (sink->next_token == NULL)
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (a == NULL)
        return ISMS_OK;
    isms_out_row(sink->t);
    isms_out_str(sink->t, a->id);
    isms_out_str(sink->t, a->name);
    isms_out_str(sink->t, a->type);
    isms_out_str(sink->t, a->owner);
    isms_out_str(sink->t, a->classification);
    isms_out_i64(sink->t, a->confidentiality);
    isms_out_i64(sink->t, a->integrity);
    isms_out_i64(sink->t, a->availability);
    isms_out_strs(sink->t, a->tags, a->n_tags);
    isms_out_str(sink->t, a->status);
    isms_out_i64(sink->t, a->version);
    isms_out_str(sink->t, a->updated_at);
    return ISMS_OK;
}

static enum isms_code run_list(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                               struct isms_status *st)
{
    Isms__V1__ListAssetsRequest req = ISMS__V1__LIST_ASSETS_REQUEST__INIT;
    struct filter_opts f = {0};
    const char *sort = NULL, *limit = NULL, *token = NULL;
    bool desc = false;
    const struct isms_opt opts[] = {
        FILTER_OPTS(f),
        {"sort", "id|name|updated_at", &sort, NULL},
        {"desc", NULL, NULL, &desc},
        {"limit", "N", &limit, NULL},
        {"page-token", "TOKEN", &token, NULL},
    };
    const char *pos[1];
    size_t npos;
    int64_t n = 0;
    struct list_sink sink = {NULL, NULL};
    enum isms_code code;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 0, &npos, st) != ISMS_OK ||
        int_opt(cli, "limit", limit, 0, UINT32_MAX, &n, st) != ISMS_OK)
        return st->code;
    set_filters(&req, &f);
    req.sort = (char *)or_empty(sort);
    req.descending = desc;
    req.limit = (uint32_t)n;
    req.page_token = (char *)or_empty(token);
    sink.t = isms_out_list(out, "assets", list_cols, NCOLS(list_cols));
    code = isms_cli_stream(cli, "/isms.v1.Asset/List", &req.base,
                           &isms__v1__list_assets_response__descriptor, add_list_row, &sink, st);
    if (code == ISMS_OK && sink.next_token != NULL)
        isms_out_notice(out, "more assets match; continue with --page-token %s", sink.next_token);
    free(sink.next_token);
    return code;
}

/* Format from --format, else from the file name's extension; `dflt` when neither says. */
static enum isms_code pick_format(struct isms_cli *cli, const char *format, const char *file,
                                  int dflt, enum isms_asset_format *out, struct isms_status *st)
{
    const char *dot = file != NULL ? strrchr(file, '.') : NULL;

    if (format != NULL) {
        if (strcmp(format, "csv") == 0)
            *out = ISMS_ASSET_FORMAT_CSV;
        else if (strcmp(format, "json") == 0)
            *out = ISMS_ASSET_FORMAT_JSON;
        else
            return isms_cli_usage(cli, st, "--format must be csv or json, got \"%.40s\"", format);
        return ISMS_OK;
    }
    if (dot != NULL && strcmp(dot, ".csv") == 0) {
        *out = ISMS_ASSET_FORMAT_CSV;
        return ISMS_OK;
    }
    if (dot != NULL && strcmp(dot, ".json") == 0) {
        *out = ISMS_ASSET_FORMAT_JSON;
        return ISMS_OK;
    }
    if (dflt < 0)
        return isms_cli_usage(cli, st,
                              "cannot tell the format of \"%.200s\" from its name: use --format "
                              "csv|json",
                              file);
    *out = (enum isms_asset_format)dflt;
    return ISMS_OK;
}

struct export_sink {
    FILE *fp;
    const char *name;
    enum isms_asset_format fmt;
    int64_t assets;
};

static enum isms_code write_asset(void *ud, const ProtobufCMessage *item, struct isms_status *st)
{
    struct export_sink *sink = ud;
    const Isms__V1__ListAssetsResponse *m = (const Isms__V1__ListAssetsResponse *)item;

    if (m->asset == NULL)
        return ISMS_OK;
    if (!isms_asset_write_row(sink->fp, sink->fmt, m->asset, sink->assets == 0))
        return isms_status_set(st, ISMS_INTERNAL, "could not write %s: %s", sink->name,
                               strerror(errno));
    sink->assets++;
    return ISMS_OK;
}

static enum isms_code run_export(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__ListAssetsRequest req = ISMS__V1__LIST_ASSETS_REQUEST__INIT;
    struct filter_opts f = {0};
    const char *file = NULL, *format = NULL;
    const struct isms_opt opts[] = {
        FILTER_OPTS(f),
        {"file", "F", &file, NULL},
        {"format", "csv|json", &format, NULL},
    };
    const char *pos[1];
    size_t npos;
    struct export_sink sink = {stdout, "stdout", ISMS_ASSET_FORMAT_CSV, 0};
    struct isms_export_file ef;
    struct isms_out_table *t;
    enum isms_code code;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 0, &npos, st) != ISMS_OK ||
        pick_format(cli, format, file, ISMS_ASSET_FORMAT_CSV, &sink.fmt, st) != ISMS_OK)
        return st->code;
    set_filters(&req, &f);
    req.sort = (char *)"name";
    if (isms_export_open(cli, &ef, file, st) != ISMS_OK)
        return st->code;
    sink.fp = ef.fp;
    sink.name = ef.name;
    if (!isms_asset_write_begin(sink.fp, sink.fmt))
        code = isms_status_set(st, ISMS_INTERNAL, "could not write %s", sink.name);
    else
        code = isms_cli_stream(cli, "/isms.v1.Asset/List", &req.base,
                               &isms__v1__list_assets_response__descriptor, write_asset, &sink, st);
    if (code == ISMS_OK && !isms_asset_write_end(sink.fp, sink.fmt, sink.assets == 0))
        code = isms_status_set(st, ISMS_INTERNAL, "could not write %s", sink.name);
    code = isms_export_finish(&ef, code, st);
    if (code != ISMS_OK || ef.path == NULL)
        return code;
    t = isms_out_record(out, "asset export", export_cols, NCOLS(export_cols));
    isms_out_str(t, file);
    isms_out_i64(t, sink.assets);
    isms_out_text(out, "exported %" PRId64 " assets to %s", sink.assets, file);
    return ISMS_OK;
}

/* ---- import -------------------------------------------------------------------------------- */

/* Reads a whole file (or stdin for "-") into a heap buffer of at most FILE_MAX bytes. */
static enum isms_code read_all(const char *path, char **data, size_t *len, struct isms_status *st)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t cap = 1 << 16, n = 0;
    char *buf;

    if (fp == NULL)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not open %s: %s", path,
                               strerror(errno));
    buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n, fp);

        n += got;
        if (n < cap)
            break;
        if (cap >= FILE_MAX) {
            free(buf);
            if (fp != stdin)
                fclose(fp);
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s is larger than %u MiB; split it",
                                   path, FILE_MAX >> 20);
        }
        cap *= 2;
        char *p = realloc(buf, cap);

        if (p == NULL)
            free(buf);
        buf = p;
    }
    if (buf == NULL) {
        if (fp != stdin)
            fclose(fp);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory reading %s", path);
    }
    if (ferror(fp)) {
        free(buf);
        if (fp != stdin)
            fclose(fp);
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not read %s", path);
    }
    if (fp != stdin)
        fclose(fp);
    *data = buf;
    *len = n;
    return ISMS_OK;
}

/* Prefixes st's message with the file name: "assets.csv: row 7: ...". */
static void name_file(const char *file, struct isms_status *st)
{
    char msg[ISMS_STATUS_MSG_MAX];

    snprintf(msg, sizeof(msg), "%s", st->msg);
    isms_status_set(st, st->code, "%s: %s", file, msg);
}

static enum isms_code run_import(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__ImportAssetsRequest req = ISMS__V1__IMPORT_ASSETS_REQUEST__INIT;
    const char *format = NULL;
    const struct isms_opt opts[] = {
        {"format", "csv|json", &format, NULL},
    };
    const char *pos[1];
    size_t npos, len = 0;
    enum isms_asset_format fmt;
    struct isms_asset_file file = {NULL, 0, 0};
    Isms__V1__CreateAssetRequest *rows = NULL, **ptrs = NULL;
    ProtobufCMessage *msg = NULL;
    const Isms__V1__ImportAssetsResponse *r;
    struct isms_out_table *t;
    char *data = NULL;
    enum isms_code code;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 1, &npos, st) != ISMS_OK)
        return st->code;
    if (npos != 1)
        return isms_cli_usage(cli, st, "asset import needs a FILE (.csv or .json; - for stdin)");
    if (pick_format(cli, format, pos[0], -1, &fmt, st) != ISMS_OK)
        return st->code;
    if ((code = read_all(pos[0], &data, &len, st)) != ISMS_OK)
        return code;
    code = isms_asset_file_parse(data, len, fmt, &file, st);
    free(data);
    if (code != ISMS_OK) {
        name_file(pos[0], st);
        goto out;
    }
    rows = calloc(file.n + 1, sizeof(*rows));
    ptrs = calloc(file.n + 1, sizeof(*ptrs));
    if (rows == NULL || ptrs == NULL) {
        code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < file.n; i++) {
        const struct isms_asset_row *a = &file.rows[i];

        isms__v1__create_asset_request__init(&rows[i]);
        rows[i].name = a->name;
        rows[i].type = a->type;
        rows[i].description = a->description;
        rows[i].owner = a->owner;
        rows[i].custodian = a->custodian;
        rows[i].location = a->location;
        rows[i].classification = a->classification;
        rows[i].status = a->status;
        rows[i].confidentiality = a->confidentiality;
        rows[i].integrity = a->integrity;
        rows[i].availability = a->availability;
        rows[i].tags = a->tags;
        rows[i].n_tags = a->ntags;
        rows[i].depends_on = a->depends_on;
        rows[i].n_depends_on = a->ndepends_on;
        ptrs[i] = &rows[i];
    }
    req.assets = ptrs;
    req.n_assets = file.n;
    if (!cli->is_timeout_set)
        cli->timeout_ms = IMPORT_TIMEOUT_MS;
    code = isms_cli_call(cli, "/isms.v1.Asset/Import", &req.base,
                         &isms__v1__import_assets_response__descriptor, &msg, st);
    if (code != ISMS_OK) {
        if (!cli->is_unreachable && !cli->is_usage_error)
            name_file(pos[0], st);
        goto out;
    }
    r = (const Isms__V1__ImportAssetsResponse *)msg;
    t = isms_out_record(out, "asset import", import_cols, NCOLS(import_cols));
    isms_out_i64(t, (int64_t)r->n_ids);
    isms_out_strs(t, r->ids, r->n_ids);
    if (r->n_ids > 0)
        isms_out_text(out, "imported %zu assets from %s (%s to %s)", r->n_ids, pos[0], r->ids[0],
                      r->ids[r->n_ids - 1]);
    else
        isms_out_text(out, "imported no assets from %s", pos[0]);
    protobuf_c_message_free_unpacked(msg, NULL);
out:
    free(rows);
    free(ptrs);
    isms_asset_file_free(&file);
    return code;
}

/* ---- classification levels ----------------------------------------------------------------- */

static void fill_classes(struct isms_out *out, const Isms__V1__Classifications *c)
{
    struct isms_out_table *t =
        isms_out_list(out, "classification levels", class_cols, NCOLS(class_cols));

    for (size_t i = 0; i < c->n_levels; i++) {
        isms_out_row(t);
        isms_out_str(t, c->levels[i]->level);
        isms_out_i64(t, c->levels[i]->rank);
        isms_out_i64(t, c->levels[i]->asset_count);
    }
}

static enum isms_code run_classes(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                  struct isms_status *st)
{
    Isms__V1__ListClassificationsRequest req = ISMS__V1__LIST_CLASSIFICATIONS_REQUEST__INIT;
    const char *pos[1];
    size_t npos;
    ProtobufCMessage *msg = NULL;

    if (isms_cli_parse(cli, argc, argv, NULL, 0, pos, 0, &npos, st) != ISMS_OK)
        return st->code;
    if (isms_cli_call(cli, "/isms.v1.Asset/ListClassifications", &req.base,
                      &isms__v1__classifications__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    fill_classes(out, (const Isms__V1__Classifications *)msg);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static enum isms_code run_classes_set(struct isms_cli *cli, int argc, char **argv,
                                      struct isms_out *out, struct isms_status *st)
{
    Isms__V1__SetClassificationsRequest req = ISMS__V1__SET_CLASSIFICATIONS_REQUEST__INIT;
    const char *pos[16];
    size_t npos;
    struct strlist levels = {NULL, 0};
    ProtobufCMessage *msg = NULL;
    enum isms_code code = ISMS_OK;

    if (isms_cli_parse(cli, argc, argv, NULL, 0, pos, NCOLS(pos), &npos, st) != ISMS_OK)
        return st->code;
    if (npos == 0)
        return isms_cli_usage(cli, st,
                              "asset classifications set needs the levels, lowest first: "
                              "public,internal,confidential,restricted");
    for (size_t i = 0; i < npos; i++)
        if (!strlist_add_csv(&levels, pos[i])) {
            strlist_free(&levels);
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        }
    req.levels = levels.v;
    req.n_levels = levels.n;
    if (isms_cli_call(cli, "/isms.v1.Asset/SetClassifications", &req.base,
                      &isms__v1__classifications__descriptor, &msg, st) != ISMS_OK)
        code = st->code;
    else
        fill_classes(out, (const Isms__V1__Classifications *)msg);
    if (msg != NULL)
        protobuf_c_message_free_unpacked(msg, NULL);
    strlist_free(&levels);
    return code;
}

static const struct isms_cmd asset_cmds[] = {
    {"asset", "create", run_create,
     "--name NAME --type TYPE --owner USER --classification LEVEL --c N --i N --a N "
     "[--description TEXT] [--custodian USER] [--location TEXT] [--tag TAG]... "
     "[--status active|retired] [--depends-on ID-or-NAME]...",
     "add an asset to the inventory; TYPE is information, software, hardware, service, people, "
     "site or supplier; --c/--i/--a are confidentiality, integrity and availability on the risk "
     "methodology's impact scale (1-5 by default); --tag may repeat or list tags a,b"},
    {"asset", "list", run_list,
     "[--type TYPE] [--owner USER] [--classification LEVEL] [--tag TAG] [--search TEXT] "
     "[--status active|retired] [--sort id|name|updated_at] [--desc] [--limit N] "
     "[--page-token TOKEN]",
     "list assets (all, or the first N); --search matches name or description; with --limit a "
     "note on stderr gives the --page-token that continues the list, correct even while others "
     "add assets"},
    {"asset", "show", run_show, "ID-or-NAME",
     "one asset with what it depends on and what depends on it"},
    {"asset", "update", run_update,
     "ID-or-NAME [--name NAME] [--type TYPE] [--owner USER] [--classification LEVEL] [--c N] "
     "[--i N] [--a N] [--description TEXT] [--custodian USER] [--location TEXT] [--tag TAG]... "
     "[--clear-tags] [--status active|retired] [--expect-version N]",
     "change the given fields (--tag replaces all tags); with --expect-version, only if the "
     "asset is still at version N (else ABORTED)"},
    {"asset", "delete", run_delete, "ID-or-NAME [--expect-version N]",
     "delete an asset; refused (FAILED_PRECONDITION) while another asset depends on it or a "
     "risk names it"},
    {"asset", "import", run_import, "FILE [--format csv|json]",
     "create every asset in FILE (CSV with a header row, or a JSON array, as export writes; "
     "format from the extension or --format), with their dependencies, or none: an error names "
     "the row and field"},
    {"asset", "export", run_export,
     "[--format csv|json] [--file F] [--type TYPE] [--owner USER] [--classification LEVEL] "
     "[--tag TAG] [--search TEXT] [--status active|retired]",
     "write assets (all, or those matching) by name to F or stdout: CSV (RFC 4180; tags and "
     "depends_on are ';'-separated, '\\;' for a literal ';') or JSON; import reads it back"},
    {"asset", "depend", run_depend, "ID-or-NAME --on ID-or-NAME",
     "record that an asset depends on another (a service on a server); cycles are refused"},
    {"asset", "undepend", run_undepend, "ID-or-NAME --on ID-or-NAME", "remove a dependency"},
    {"asset", "classifications", run_classes, "",
     "the classification levels, lowest first, with how many assets use each"},
    {"asset", "classifications set", run_classes_set, "LEVEL,LEVEL,...",
     "replace the classification levels (lowest first); a level still in use cannot be "
     "removed"},
};

const struct isms_noun isms_noun_asset = {
    "asset",
    "asset inventory (Annex A 5.9): assets, owners, classification, C/I/A, dependencies",
    asset_cmds,
    NCOLS(asset_cmds),
};
