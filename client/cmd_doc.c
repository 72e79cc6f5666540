/* client/cmd_doc.c — `ismsctl doc ...`: the document register (7.5; policies 5.2, Annex A 5.1,
 * 5.37): create and show documents, upload and download version bodies (client/
 * file_transfer.c), the version lifecycle, distribution and acknowledgements. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "file_transfer.h"
#include "output.h"

#include "isms/v1/document.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

#define DOC_TYPES "policy|topic_policy|procedure|standard|plan|record|external"

static const struct isms_out_col doc_cols[] = {
    {"id", ISMS_OUT_STR},
    {"title", ISMS_OUT_STR},
    {"type", ISMS_OUT_STR},
    {"is_isms_policy", ISMS_OUT_BOOL},
    {"owner", ISMS_OUT_STR},
    {"classification", ISMS_OUT_STR},
    {"serves", ISMS_OUT_STRS},
    {"review_months", ISMS_OUT_I64},
    {"next_review", ISMS_OUT_STR},
    {"retention", ISMS_OUT_STR},
    {"published_version", ISMS_OUT_I64},
    {"version", ISMS_OUT_I64},
    {"created_by", ISMS_OUT_STR},
    {"created_at", ISMS_OUT_STR},
};

static const struct isms_out_col version_cols[] = {
    {"id", ISMS_OUT_STR},          {"version", ISMS_OUT_I64},      {"state", ISMS_OUT_STR},
    {"author", ISMS_OUT_STR},      {"filename", ISMS_OUT_STR},     {"size", ISMS_OUT_U64},
    {"sha256", ISMS_OUT_STR},      {"external_ref", ISMS_OUT_STR}, {"approved_by", ISMS_OUT_STR},
    {"approved_at", ISMS_OUT_STR}, {"published_at", ISMS_OUT_STR}, {"note", ISMS_OUT_STR},
};

static const struct isms_out_col ack_cols[] = {
    {"id", ISMS_OUT_STR},     {"version", ISMS_OUT_I64},       {"title", ISMS_OUT_STR},
    {"user", ISMS_OUT_STR},   {"acknowledged", ISMS_OUT_BOOL}, {"acked_at", ISMS_OUT_STR},
    {"sha256", ISMS_OUT_STR},
};

static const struct isms_out_col dist_cols[] = {
    {"id", ISMS_OUT_STR},
    {"version", ISMS_OUT_I64},
    {"added", ISMS_OUT_I64},
    {"audience", ISMS_OUT_I64},
};

static const struct isms_out_col download_cols[] = {
    {"file", ISMS_OUT_STR},
    {"version", ISMS_OUT_I64},
    {"size", ISMS_OUT_U64},
    {"sha256", ISMS_OUT_STR},
};

static void version_row(struct isms_out_table *t, const Isms__V1__DocVersion *v)
{
    isms_out_row(t);
    isms_out_str(t, v->id);
    isms_out_i64(t, v->version);
    isms_out_str(t, v->state);
    isms_out_str(t, v->author);
    isms_out_str(t, v->filename);
    isms_out_u64(t, v->size);
    isms_out_str(t, v->sha256);
    isms_out_str(t, v->external_ref);
    isms_out_str(t, v->approved_by);
    isms_out_str(t, v->approved_at);
    isms_out_str(t, v->published_at);
    isms_out_str(t, v->note);
}

static enum isms_code render_doc(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *msg, struct isms_out *out,
                                 struct isms_status *st)
{
    const Isms__V1__DocumentRecord *d = (const Isms__V1__DocumentRecord *)msg;
    struct isms_out_table *t = isms_out_record(out, "document", doc_cols, NCOLS(doc_cols));
    struct isms_out_table *v;

    (void)cli;
    (void)a;
    (void)st;
    isms_out_str(t, d->id);
    isms_out_str(t, d->title);
    isms_out_str(t, d->type);
    isms_out_bool(t, d->is_isms_policy);
    isms_out_str(t, d->owner);
    isms_out_str(t, d->classification);
    isms_out_strs(t, d->serves, d->n_serves);
    isms_out_i64(t, d->review_months);
    isms_out_str(t, d->next_review);
    isms_out_str(t, d->retention);
    isms_out_i64(t, d->published_version);
    isms_out_i64(t, d->version);
    isms_out_str(t, d->created_by);
    isms_out_str(t, d->created_at);
    v = isms_out_sublist(out, "versions", "Versions", version_cols, NCOLS(version_cols));
    for (size_t i = 0; i < d->n_versions; i++)
        version_row(v, d->versions[i]);
    return ISMS_OK;
}

static enum isms_code render_version(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    const Isms__V1__DocVersion *v = (const Isms__V1__DocVersion *)msg;
    struct isms_out_table *t =
        isms_out_record(out, "document version", version_cols, NCOLS(version_cols));

    (void)cli;
    (void)a;
    (void)st;
    isms_out_str(t, v->id);
    isms_out_i64(t, v->version);
    isms_out_str(t, v->state);
    isms_out_str(t, v->author);
    isms_out_str(t, v->filename);
    isms_out_u64(t, v->size);
    isms_out_str(t, v->sha256);
    isms_out_str(t, v->external_ref);
    isms_out_str(t, v->approved_by);
    isms_out_str(t, v->approved_at);
    isms_out_str(t, v->published_at);
    isms_out_str(t, v->note);
    return ISMS_OK;
}

static enum isms_code render_acks(struct isms_cli *cli, const struct isms_args *a,
                                  ProtobufCMessage *msg, struct isms_out *out,
                                  struct isms_status *st)
{
    const Isms__V1__DocAcksResponse *r = (const Isms__V1__DocAcksResponse *)msg;
    struct isms_out_table *t = isms_out_list(out, "Acknowledgements", ack_cols, NCOLS(ack_cols));
    size_t done = 0;

    (void)cli;
    (void)st;
    for (size_t i = 0; i < r->n_acks; i++) {
        const Isms__V1__DocAck *k = r->acks[i];

        isms_out_row(t);
        isms_out_str(t, k->id);
        isms_out_i64(t, k->version);
        isms_out_str(t, k->title);
        isms_out_str(t, k->user);
        isms_out_bool(t, k->acknowledged);
        isms_out_str(t, k->acked_at);
        isms_out_str(t, k->sha256);
        done += k->acknowledged;
    }
    if (strcmp(a->cmd->verb, "pending") == 0)
        isms_out_notice(out, "%zu document%s to read and acknowledge", r->n_acks,
                        r->n_acks == 1 ? "" : "s");
    else
        isms_out_notice(out, "%zu of %zu have acknowledged", done, r->n_acks);
    return ISMS_OK;
}

static enum isms_code render_ack(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *msg, struct isms_out *out,
                                 struct isms_status *st)
{
    const Isms__V1__DocAck *k = (const Isms__V1__DocAck *)msg;
    struct isms_out_table *t = isms_out_record(out, "acknowledgement", ack_cols, NCOLS(ack_cols));

    (void)cli;
    (void)a;
    (void)st;
    isms_out_str(t, k->id);
    isms_out_i64(t, k->version);
    isms_out_str(t, k->title);
    isms_out_str(t, k->user);
    isms_out_bool(t, k->acknowledged);
    isms_out_str(t, k->acked_at);
    isms_out_str(t, k->sha256);
    return ISMS_OK;
}

static enum isms_code render_distributed(struct isms_cli *cli, const struct isms_args *a,
                                         ProtobufCMessage *msg, struct isms_out *out,
                                         struct isms_status *st)
{
    const Isms__V1__DistributeDocResponse *r = (const Isms__V1__DistributeDocResponse *)msg;
    struct isms_out_table *t = isms_out_record(out, "distribution", dist_cols, NCOLS(dist_cols));

    (void)cli;
    (void)a;
    (void)st;
    isms_out_str(t, r->id);
    isms_out_i64(t, r->version);
    isms_out_i64(t, r->added);
    isms_out_i64(t, r->audience);
    return ISMS_OK;
}

/* upload: Upload/Begin, Chunk..., then Document/AddVersion with the upload. */
static enum isms_code run_upload(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *msg, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__AddDocVersionRequest *req = (Isms__V1__AddDocVersionRequest *)msg;
    struct isms_file_info info;
    ProtobufCMessage *resp = NULL;
    enum isms_code code;

    code = isms_file_upload(cli, isms_args_get(a, "file"), &info, st);
    if (code != ISMS_OK)
        return code;
    req->upload_id = info.upload_id;
    code = isms_cli_call(cli, "/isms.v1.Document/AddVersion", &req->base,
                         &isms__v1__doc_version__descriptor, &resp, st);
    if (code != ISMS_OK)
        return code;
    code = render_version(cli, a, resp, out, st);
    protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

static enum isms_code run_download(struct isms_cli *cli, const struct isms_args *a,
                                   ProtobufCMessage *msg, struct isms_out *out,
                                   struct isms_status *st)
{
    const char *file = isms_args_get(a, "file");
    struct isms_file_info info;
    struct isms_out_table *t;

    if (isms_file_download(cli, "/isms.v1.Document/Download", msg, file, &info, st) != ISMS_OK)
        return st->code;
    if (file == NULL || strcmp(file, "-") == 0)
        return ISMS_OK;
    t = isms_out_record(out, "document download", download_cols, NCOLS(download_cols));
    isms_out_str(t, file);
    isms_out_i64(t, info.version);
    isms_out_u64(t, info.size);
    isms_out_str(t, info.sha256);
    isms_out_text(out, "wrote version %" PRId32 " (%" PRIu64 " bytes, sha256 %s) to %s",
                  info.version, info.size, info.sha256, file);
    return ISMS_OK;
}

static const struct isms_out_col list_cols[] = {
    {"id", ISMS_OUT_STR},
    {"title", ISMS_OUT_STR},
    {"type", ISMS_OUT_STR},
    {"owner", ISMS_OUT_STR},
    {"classification", ISMS_OUT_STR},
    {"next_review", ISMS_OUT_STR},
    {"published_version", ISMS_OUT_I64},
    {"version", ISMS_OUT_I64},
};

static enum isms_code add_list_row(void *ud, const ProtobufCMessage *item, struct isms_status *st)
{
    const Isms__V1__DocumentRecord *d = (const Isms__V1__DocumentRecord *)item;
    struct isms_out_table *t = ud;

    (void)st;
    isms_out_row(t);
    isms_out_str(t, d->id);
    isms_out_str(t, d->title);
    isms_out_str(t, d->type);
    isms_out_str(t, d->owner);
    isms_out_str(t, d->classification);
    isms_out_str(t, d->next_review);
    isms_out_i64(t, d->published_version);
    isms_out_i64(t, d->version);
    return ISMS_OK;
}

static enum isms_code run_list(struct isms_cli *cli, const struct isms_args *a,
                               ProtobufCMessage *msg, struct isms_out *out, struct isms_status *st)
{
    struct isms_out_table *t = isms_out_list(out, "Documents", list_cols, NCOLS(list_cols));

    (void)a;
    return isms_cli_stream(cli, "/isms.v1.Document/List", msg,
                           &isms__v1__document_record__descriptor, add_list_row, t, st);
}

static const struct isms_arg id_args[] = {{.name = "DOC-<n>", .field = "id"}, {0}};
static const struct isms_arg title_args[] = {{.name = "TITLE", .field = "title"}, {0}};

static const struct isms_flag create_flags[] = {
    {.name = "type",
     .kind = ISMS_FLAG_ENUM,
     .choices = DOC_TYPES,
     .field = "type",
     .opts = ISMS_OPT_REQUIRED,
     .help = "the kind of documented information"},
    ISMS_F_BOOL("isms-policy", "is_isms_policy",
                "this is the information security policy of 5.2 (type policy; top management "
                "approves its versions)"),
    {.name = "owner",
     .kind = ISMS_FLAG_STRING,
     .metavar = "ACCOUNT",
     .field = "owner",
     .opts = ISMS_OPT_REQUIRED,
     .help = "the account that owns it"},
    ISMS_F_STR("classification", "LEVEL", "classification", "default internal"),
    {.name = "serves",
     .kind = ISMS_FLAG_LIST,
     .metavar = "CLAUSE",
     .field = "serves",
     .opts = ISMS_OPT_SPLIT,
     .help = "a clause or control it serves (5.2, A.5.1)"},
    ISMS_F_INT("review-months", "review_months", 1, 120, "review interval (default 12)"),
    {.name = "next-review",
     .kind = ISMS_FLAG_DATE,
     .metavar = "DATE",
     .field = "next_review",
     .help = "next review date (default today + the interval)"},
    ISMS_F_STR("retention", "TEXT", "retention", "how long it is kept"),
    {0},
};

static const struct isms_flag update_flags[] = {
    {.name = "title",
     .kind = ISMS_FLAG_STRING,
     .metavar = "TEXT",
     .field = "title",
     .opts = ISMS_OPT_CHANGE,
     .help = "the new title"},
    {.name = "owner",
     .kind = ISMS_FLAG_STRING,
     .metavar = "ACCOUNT",
     .field = "owner",
     .opts = ISMS_OPT_CHANGE,
     .help = "the new owner (an account)"},
    {.name = "classification",
     .kind = ISMS_FLAG_STRING,
     .metavar = "LEVEL",
     .field = "classification",
     .opts = ISMS_OPT_CHANGE,
     .help = "the new classification"},
    {.name = "serves",
     .kind = ISMS_FLAG_LIST,
     .metavar = "CLAUSE",
     .field = "serves",
     .opts = ISMS_OPT_SPLIT | ISMS_OPT_CHANGE,
     .help = "the clauses and controls (replace all)"},
    {.name = "review-months",
     .kind = ISMS_FLAG_INT,
     .metavar = "N",
     .field = "review_months",
     .min = 1,
     .max = 120,
     .opts = ISMS_OPT_CHANGE,
     .help = "review interval"},
    {.name = "next-review",
     .kind = ISMS_FLAG_DATE,
     .metavar = "DATE",
     .field = "next_review",
     .opts = ISMS_OPT_CHANGE,
     .help = "next review date"},
    {.name = "retention",
     .kind = ISMS_FLAG_STRING,
     .metavar = "TEXT",
     .field = "retention",
     .opts = ISMS_OPT_CHANGE,
     .help = "how long it is kept"},
    ISMS_F_EXPECT_VERSION,
    {0},
};

static const struct isms_flag list_flags[] = {
    {.name = "type",
     .kind = ISMS_FLAG_ENUM,
     .choices = DOC_TYPES,
     .field = "type",
     .help = "only this type"},
    ISMS_F_STR("owner", "ACCOUNT", "owner", "only documents this account owns"),
    ISMS_F_BOOL("due", "due_for_review", "only documents due for review (7.5.2)"),
    {0},
};

static const struct isms_flag upload_flags[] = {
    {.name = "file",
     .kind = ISMS_FLAG_FILE,
     .metavar = "F",
     .opts = ISMS_OPT_REQUIRED,
     .help = "the file (any kind, up to the server's max_document_bytes)"},
    ISMS_F_STR("note", "TEXT", "note", "what changed in this version"),
    {0},
};

static const struct isms_flag reference_flags[] = {
    {.name = "ref",
     .kind = ISMS_FLAG_STRING,
     .metavar = "REF",
     .field = "external_ref",
     .opts = ISMS_OPT_REQUIRED,
     .help = "where the external document is (URL, publisher reference)"},
    {.name = "sha256",
     .kind = ISMS_FLAG_STRING,
     .metavar = "HEX",
     .field = "sha256",
     .opts = ISMS_OPT_REQUIRED,
     .help = "the SHA-256 of the external document"},
    ISMS_F_STR("note", "TEXT", "note", "what changed in this version"),
    {0},
};

static const struct isms_flag version_flags[] = {
    ISMS_F_INT("version", "version", 1, INT32_MAX, "the version (default: the newest)"),
    {0},
};

static const struct isms_flag download_flags[] = {
    ISMS_F_INT("version", "version", 1, INT32_MAX,
               "the version (default: the published one, else the newest)"),
    ISMS_F_FILE("file", "write here (renamed into place when complete; default stdout)"),
    {0},
};

static const struct isms_flag distribute_flags[] = {
    {.name = "role",
     .kind = ISMS_FLAG_LIST,
     .metavar = "ROLE",
     .field = "roles",
     .opts = ISMS_OPT_SPLIT,
     .help = "everyone holding this role"},
    {.name = "user",
     .kind = ISMS_FLAG_LIST,
     .metavar = "ACCOUNT",
     .field = "users",
     .opts = ISMS_OPT_SPLIT,
     .help = "a named account"},
    {0},
};

#define LIFECYCLE(v, m, s)                                                                         \
    {                                                                                              \
        .noun = "doc", .verb = (v), .summary = (s), .args = id_args, .flags = version_flags,       \
        .req = &isms__v1__doc_version_ref__descriptor, .method = "/isms.v1.Document/" m,           \
        .resp = &isms__v1__doc_version__descriptor, .render = render_version                       \
    }

static const struct isms_cmd doc_cmds[] = {
    {.noun = "doc",
     .verb = "create",
     .summary = "register a document (7.5): title, type, owner, classification, the clauses and "
                "controls it serves, review interval and next review, retention",
     .args = title_args,
     .flags = create_flags,
     .req = &isms__v1__create_document_request__descriptor,
     .method = "/isms.v1.Document/Create",
     .resp = &isms__v1__document_record__descriptor,
     .render = render_doc},
    {.noun = "doc",
     .verb = "show",
     .summary = "a document and every version, newest first",
     .args = id_args,
     .req = &isms__v1__get_document_request__descriptor,
     .method = "/isms.v1.Document/Get",
     .resp = &isms__v1__document_record__descriptor,
     .render = render_doc},
    {.noun = "doc",
     .verb = "update",
     .summary = "change the register entry: title, owner, classification, what it serves, review "
                "interval and date, retention",
     .args = id_args,
     .flags = update_flags,
     .req = &isms__v1__update_document_request__descriptor,
     .method = "/isms.v1.Document/Update",
     .resp = &isms__v1__document_record__descriptor,
     .render = render_doc},
    {.noun = "doc",
     .verb = "list",
     .summary = "the document register by id, with the published version of each",
     .flags = list_flags,
     .req = &isms__v1__list_documents_request__descriptor,
     .run = run_list},
    {.noun = "doc",
     .verb = "upload",
     .summary = "add a draft version whose body is file F, sent in chunks (progress on a "
                "terminal); ismsd checks its SHA-256",
     .args = id_args,
     .flags = upload_flags,
     .req = &isms__v1__add_doc_version_request__descriptor,
     .run = run_upload},
    {.noun = "doc",
     .verb = "reference",
     .summary = "add a draft version of a document of external origin: where it is and its "
                "SHA-256",
     .args = id_args,
     .flags = reference_flags,
     .req = &isms__v1__add_doc_version_request__descriptor,
     .method = "/isms.v1.Document/AddVersion",
     .resp = &isms__v1__doc_version__descriptor,
     .render = render_version},
    LIFECYCLE("submit", "Submit", "send a draft version for review"),
    LIFECYCLE("approve", "Approve",
              "approve a version in review; not its author; the 5.2 policy needs top_management"),
    LIFECYCLE("publish", "Publish",
              "publish an approved version; the published one becomes superseded"),
    LIFECYCLE("retire", "Retire", "withdraw a version"),
    {.noun = "doc",
     .verb = "download",
     .summary = "write a version's body back byte for byte, its SHA-256 checked",
     .args = id_args,
     .flags = download_flags,
     .req = &isms__v1__doc_version_ref__descriptor,
     .run = run_download},
    {.noun = "doc",
     .verb = "distribute",
     .summary = "distribute the published version to roles and named accounts",
     .args = id_args,
     .flags = distribute_flags,
     .req = &isms__v1__distribute_doc_request__descriptor,
     .method = "/isms.v1.Document/Distribute",
     .resp = &isms__v1__distribute_doc_response__descriptor,
     .render = render_distributed},
    {.noun = "doc",
     .verb = "ack",
     .summary = "acknowledge that you have read the published version (bound to its SHA-256)",
     .args = id_args,
     .req = &isms__v1__doc_version_ref__descriptor,
     .method = "/isms.v1.Document/Acknowledge",
     .resp = &isms__v1__doc_ack__descriptor,
     .render = render_ack},
    {.noun = "doc",
     .verb = "acks",
     .summary = "who has and who has not acknowledged the published version",
     .args = id_args,
     .req = &isms__v1__doc_version_ref__descriptor,
     .method = "/isms.v1.Document/Acks",
     .resp = &isms__v1__doc_acks_response__descriptor,
     .render = render_acks},
    {.noun = "doc",
     .verb = "pending",
     .summary = "the published documents you must still read and acknowledge",
     .req = &isms__v1__doc_pending_request__descriptor,
     .method = "/isms.v1.Document/Pending",
     .resp = &isms__v1__doc_acks_response__descriptor,
     .render = render_acks},
};

const struct isms_noun isms_noun_doc = {
    "doc",
    "documented information (7.5) and policies (5.2): register, versions, upload, download, "
    "review and approval, publication, distribution and acknowledgements",
    doc_cmds,
    NCOLS(doc_cmds),
};
