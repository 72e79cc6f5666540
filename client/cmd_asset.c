/* client/cmd_asset.c — `ismsctl asset ...`: the asset inventory (ISO/IEC 27001 Annex A 5.9)
 * over /isms.v1.Asset: create, list (filters, sorting, keyset pages), show, update (with
 * --expect-version), delete, dependencies and classification levels; import and export are in
 * cmd_asset_file.c. Output field names are the proto's. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "risk_cia.h"
#include "cmd_asset.h"

#include "isms/v1/asset.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

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

static const struct isms_out_col class_cols[] = {
    {"level", ISMS_OUT_STR},
    {"rank", ISMS_OUT_I64},
    {"asset_count", ISMS_OUT_I64},
};

/* ---- output -------------------------------------------------------------------------------- */

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
/* Every command that answers with one AssetRecord shows it. */
static enum isms_code render_asset(struct isms_cli *cli, const struct isms_args *a,
                                   ProtobufCMessage *msg, struct isms_out *out,
                                   struct isms_status *st)
{
    (void)a;
    (void)st;
    fill_asset(out, (const Isms__V1__AssetRecord *)msg);
    /* Values a method change left above the impact scale are flagged, not silently kept. */
    isms_asset_scale_notice(cli, ((const Isms__V1__AssetRecord *)msg)->id, out);
    return ISMS_OK;
}

static enum isms_code render_deleted(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    const Isms__V1__DeleteAssetResponse *r = (const Isms__V1__DeleteAssetResponse *)msg;
    struct isms_out_table *t = isms_out_record(out, "deleted", ref_cols, NCOLS(ref_cols));

    (void)cli;
    (void)a;
    (void)st;
    isms_out_str(t, r->id);
    isms_out_str(t, r->name);
    isms_out_text(out, "deleted %s \"%s\"", r->id, r->name);
    return ISMS_OK;
}

/* ---- list ---------------------------------------------------------------------------------- */

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

static enum isms_code run_list(struct isms_cli *cli, const struct isms_args *a,
                               ProtobufCMessage *req, struct isms_out *out, struct isms_status *st)
{
    struct list_sink sink = {NULL, NULL};
    enum isms_code code;

    (void)a;
    sink.t = isms_out_list(out, "assets", list_cols, NCOLS(list_cols));
    code = isms_cli_stream(cli, "/isms.v1.Asset/List", req,
                           &isms__v1__list_assets_response__descriptor, add_list_row, &sink, st);
    if (code == ISMS_OK && sink.next_token != NULL)
        isms_out_notice(out, "more assets match; continue with --page-token %s", sink.next_token);
    if (code == ISMS_OK)
        isms_asset_scale_notice(cli, "", out);
    free(sink.next_token);
    return code;
}

/* ---- classification levels ----------------------------------------------------------------- */

static enum isms_code render_classes(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    const Isms__V1__Classifications *c = (const Isms__V1__Classifications *)msg;
    struct isms_out_table *t =
        isms_out_list(out, "classification levels", class_cols, NCOLS(class_cols));

    (void)cli;
    (void)a;
    (void)st;
    for (size_t i = 0; i < c->n_levels; i++) {
        isms_out_row(t);
        isms_out_str(t, c->levels[i]->level);
        isms_out_i64(t, c->levels[i]->rank);
        isms_out_i64(t, c->levels[i]->asset_count);
    }
    return ISMS_OK;
}

/* The levels may be given as words, as "a,b,c", or both. */
static enum isms_code run_classes_set(struct isms_cli *cli, const struct isms_args *a,
                                      ProtobufCMessage *msg, struct isms_out *out,
                                      struct isms_status *st)
{
    Isms__V1__SetClassificationsRequest *req = (Isms__V1__SetClassificationsRequest *)msg;
    char *levels[ISMS_CMD_LIST_MAX + 1];
    size_t n = 0;
    ProtobufCMessage *resp = NULL;
    enum isms_code code = ISMS_OK;

    for (size_t i = 0; isms_args_arg(a, i) != NULL && code == ISMS_OK; i++) {
        size_t k;
        char **items = isms_cli_split_list(isms_args_arg(a, i), &k);

        if (items == NULL)
            code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        for (size_t j = 0; items != NULL && j < k; j++) {
            if (n < ISMS_CMD_LIST_MAX)
                levels[n++] = items[j];
            else
                free(items[j]);
        }
        free(items);
    }
    req->levels = levels;
    req->n_levels = n;
    if (code == ISMS_OK)
        code = isms_cli_call(cli, "/isms.v1.Asset/SetClassifications", msg,
                             &isms__v1__classifications__descriptor, &resp, st);
    if (code == ISMS_OK)
        code = render_classes(cli, a, resp, out, st);
    if (resp != NULL)
        protobuf_c_message_free_unpacked(resp, NULL);
    for (size_t i = 0; i < n; i++)
        free(levels[i]);
    req->levels = NULL;
    req->n_levels = 0;
    return code;
}

/* ---- the rows ------------------------------------------------------------------------------ */

#define TYPES    "information|software|hardware|service|people|site|supplier"
#define STATUSES "active|retired"

/* The asset fields, shared by create (opts 0) and update (opts ISMS_OPT_CHANGE). */
#define FIELD_STR(n, mv, fld, o, hlp)                                                              \
    {                                                                                              \
        .name = (n), .kind = ISMS_FLAG_STRING, .metavar = (mv), .field = (fld), .opts = (o),       \
        .help = (hlp)                                                                              \
    }
#define FIELD_CIA(n, fld, o, hlp)                                                                  \
    {                                                                                              \
        .name = (n), .kind = ISMS_FLAG_INT, .metavar = "N", .field = (fld), .opts = (o),           \
        .min = INT32_MIN, .max = INT32_MAX, .help = (hlp)                                          \
    }
#define ASSET_FIELDS(o, name_opts)                                                                 \
    FIELD_STR("name", "NAME", "name", (o) | (name_opts), "the asset's unique name"),               \
        {.name = "type",                                                                           \
         .kind = ISMS_FLAG_ENUM,                                                                   \
         .metavar = "TYPE",                                                                        \
         .choices = TYPES,                                                                         \
         .field = "type",                                                                          \
         .opts = (o) | ISMS_OPT_OPEN,                                                              \
         .help = "one of " TYPES},                                                                 \
        FIELD_STR("owner", "USER", "owner", (o), "the accountable owner: an account"),             \
        FIELD_STR("classification", "LEVEL", "classification", (o),                                \
                  "a level of `asset classifications`"),                                           \
        FIELD_CIA("c", "confidentiality", (o), "confidentiality on the impact scale"),             \
        FIELD_CIA("i", "integrity", (o), "integrity on the impact scale"),                         \
        FIELD_CIA("a", "availability", (o), "availability on the impact scale"),                   \
        FIELD_STR("description", "TEXT", "description", (o), "what it is"),                        \
        FIELD_STR("custodian", "USER", "custodian", (o),                                           \
                  "who looks after it day to day (free text)"),                                    \
        FIELD_STR("location", "TEXT", "location", (o), "where it is"),                             \
    {                                                                                              \
        .name = "status", .kind = ISMS_FLAG_ENUM, .choices = STATUSES, .field = "status",          \
        .opts = (o) | ISMS_OPT_OPEN, .help = "default active"                                      \
    }

static const struct isms_flag create_flags[] = {
    ASSET_FIELDS(0u, ISMS_OPT_REQUIRED),
    {.name = "tag",
     .kind = ISMS_FLAG_LIST,
     .metavar = "TAG",
     .field = "tags",
     .opts = ISMS_OPT_SPLIT,
     .help = "a tag"},
    {.name = "depends-on",
     .kind = ISMS_FLAG_LIST,
     .metavar = "ID-or-NAME",
     .field = "depends_on",
     .help = "an asset this one depends on"},
    {0},
};

static const struct isms_flag update_flags[] = {
    ASSET_FIELDS(ISMS_OPT_CHANGE, 0u),
    {.name = "tag",
     .kind = ISMS_FLAG_LIST,
     .metavar = "TAG",
     .field = "tags",
     .opts = ISMS_OPT_SPLIT | ISMS_OPT_CHANGE,
     .without = "clear-tags",
     .help = "the new tags (replace all)"},
    {.name = "clear-tags",
     .kind = ISMS_FLAG_BOOL,
     .field = "set_tags",
     .opts = ISMS_OPT_CHANGE,
     .help = "remove every tag"},
    ISMS_F_EXPECT_VERSION,
    {0},
};

/* The filters of list and export. */
#define FILTERS                                                                                    \
    {.name = "type",                                                                               \
     .kind = ISMS_FLAG_ENUM,                                                                       \
     .metavar = "TYPE",                                                                            \
     .choices = TYPES,                                                                             \
     .field = "type",                                                                              \
     .opts = ISMS_OPT_OPEN,                                                                        \
     .help = "only this type"},                                                                    \
        ISMS_F_STR("owner", "USER", "owner", "only this owner"),                                   \
        ISMS_F_STR("classification", "LEVEL", "classification", "only this level"),                \
        ISMS_F_STR("tag", "TAG", "tag", "only assets with this tag"),                              \
        ISMS_F_STR("search", "TEXT", "text", "name or description contains TEXT"),                 \
    {                                                                                              \
        .name = "status", .kind = ISMS_FLAG_ENUM, .choices = STATUSES, .field = "status",          \
        .opts = ISMS_OPT_OPEN, .help = "only active or retired assets"                             \
    }

static const struct isms_flag list_flags[] = {
    FILTERS,
    {.name = "sort",
     .kind = ISMS_FLAG_ENUM,
     .choices = "id|name|updated_at",
     .field = "sort",
     .opts = ISMS_OPT_OPEN,
     .help = "order (default id)"},
    ISMS_F_BOOL("desc", "descending", "reverse the order"),
    ISMS_F_INT("limit", "limit", 0, UINT32_MAX, "at most N assets (0: all)"),
    ISMS_F_STR("page-token", "TOKEN", "page_token", "continue a limited list"),
    {0},
};

static const struct isms_flag export_flags[] = {
    ISMS_F_ENUM("format", "csv|json", NULL, "default from the file's extension, else csv"),
    ISMS_F_FILE("file", "write to F (renamed into place when complete), not stdout"),
    FILTERS,
    {0},
};

static const struct isms_arg id_args[] = {{.name = "ID-or-NAME", .field = "id"}, {0}};
static const struct isms_flag delete_flags[] = {ISMS_F_EXPECT_VERSION, {0}};
static const struct isms_arg import_args[] = {{.name = "FILE"}, {0}};
static const struct isms_flag import_flags[] = {
    ISMS_F_ENUM("format", "csv|json", NULL, "default from the file's extension"),
    {0},
};
static const struct isms_arg depend_args[] = {
    {.name = "ID-or-NAME", .field = "id"},
    {.name = "OTHER", .field = "depends_on", .flag = "on"},
    {0},
};
static const struct isms_flag depend_flags[] = {
    ISMS_F_STR("on", "ID-or-NAME", "depends_on", "the asset depended on"),
    {0},
};
static const struct isms_arg levels_args[] = {{.name = "LEVEL,LEVEL", .opts = ISMS_OPT_MANY}, {0}};

static const struct isms_cmd asset_cmds[] = {
    {.noun = "asset",
     .verb = "create",
     .summary = "add an asset to the inventory; TYPE is information, software, hardware, service, "
                "people, site or supplier; --c/--i/--a are confidentiality, integrity and "
                "availability on the risk methodology's impact scale (1-5 by default); --tag may "
                "repeat or list tags a,b",
     .flags = create_flags,
     .req = &isms__v1__create_asset_request__descriptor,
     .method = "/isms.v1.Asset/Create",
     .resp = &isms__v1__asset_record__descriptor,
     .render = render_asset},
    {.noun = "asset",
     .verb = "list",
     .summary = "list assets (all, or the first N); --search matches name or description; with "
                "--limit a note on stderr gives the --page-token that continues the list, correct "
                "even while others add assets",
     .flags = list_flags,
     .req = &isms__v1__list_assets_request__descriptor,
     .run = run_list},
    {.noun = "asset",
     .verb = "show",
     .summary = "one asset with what it depends on and what depends on it",
     .args = id_args,
     .req = &isms__v1__get_asset_request__descriptor,
     .method = "/isms.v1.Asset/Get",
     .resp = &isms__v1__asset_record__descriptor,
     .render = render_asset},
    {.noun = "asset",
     .verb = "update",
     .summary = "change the given fields (--tag replaces all tags); with --expect-version, only if "
                "the asset is still at version N (else ABORTED)",
     .args = id_args,
     .flags = update_flags,
     .req = &isms__v1__update_asset_request__descriptor,
     .method = "/isms.v1.Asset/Update",
     .resp = &isms__v1__asset_record__descriptor,
     .render = render_asset},
    {.noun = "asset",
     .verb = "delete",
     .summary = "delete an asset; refused (FAILED_PRECONDITION) while another asset depends on it "
                "or a risk names it",
     .args = id_args,
     .flags = delete_flags,
     .req = &isms__v1__delete_asset_request__descriptor,
     .method = "/isms.v1.Asset/Delete",
     .resp = &isms__v1__delete_asset_response__descriptor,
     .render = render_deleted},
    {.noun = "asset",
     .verb = "import",
     .summary = "create every asset in FILE (CSV with a header row, or a JSON array, as export "
                "writes; format from the extension or --format; - for stdin), with their "
                "dependencies, or none: an error names the row and field",
     .args = import_args,
     .flags = import_flags,
     .run = isms_asset_cmd_import},
    {.noun = "asset",
     .verb = "export",
     .summary = "write assets (all, or those matching) by name to F or stdout: CSV (RFC 4180; tags "
                "and depends_on are ';'-separated, '\\;' for a literal ';') or JSON; import reads "
                "it back",
     .flags = export_flags,
     .req = &isms__v1__list_assets_request__descriptor,
     .run = isms_asset_cmd_export},
    {.noun = "asset",
     .verb = "depend",
     .summary = "record that an asset depends on another (a service on a server); cycles are "
                "refused",
     .args = depend_args,
     .flags = depend_flags,
     .req = &isms__v1__asset_dependency_request__descriptor,
     .method = "/isms.v1.Asset/AddDependency",
     .resp = &isms__v1__asset_record__descriptor,
     .render = render_asset},
    {.noun = "asset",
     .verb = "undepend",
     .summary = "remove a dependency",
     .args = depend_args,
     .flags = depend_flags,
     .req = &isms__v1__asset_dependency_request__descriptor,
     .method = "/isms.v1.Asset/RemoveDependency",
     .resp = &isms__v1__asset_record__descriptor,
     .render = render_asset},
    {.noun = "asset",
     .verb = "classifications",
     .summary = "the classification levels, lowest first, with how many assets use each",
     .req = &isms__v1__list_classifications_request__descriptor,
     .method = "/isms.v1.Asset/ListClassifications",
     .resp = &isms__v1__classifications__descriptor,
     .render = render_classes},
    {.noun = "asset",
     .verb = "classifications set",
     .summary = "replace the classification levels (lowest first); a level still in use cannot be "
                "removed",
     .args = levels_args,
     .req = &isms__v1__set_classifications_request__descriptor,
     .run = run_classes_set},
    {.noun = "asset",
     .verb = "check",
     .summary = "assets whose confidentiality, integrity or availability lies above the current "
                "impact scale (left there by a method change): re-rate them",
     .flags = isms_asset_check_flags,
     .req = &isms__v1__assets_out_of_scale_request__descriptor,
     .run = isms_asset_check_run,
     .example = "asset check\nasset check --asset A-3"},
};

const struct isms_noun isms_noun_asset = {
    "asset",
    "asset inventory (Annex A 5.9): assets, owners, classification, C/I/A, dependencies",
    asset_cmds,
    NCOLS(asset_cmds),
};
