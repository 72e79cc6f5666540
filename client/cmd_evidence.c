/* client/cmd_evidence.c — `ismsctl evidence ...`: the evidence store (Annex A controls, 9.1,
 * 9.2): add a file (chunked upload, client/file_transfer.c) or a URL with what it shows, when
 * and by whom it was collected, until when it is valid and the controls and risks it backs. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "file_transfer.h"
#include "output.h"

#include "isms/v1/evidence.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const struct isms_out_col ev_cols[] = {
    {"id", ISMS_OUT_STR},          {"title", ISMS_OUT_STR},        {"shows", ISMS_OUT_STR},
    {"url", ISMS_OUT_STR},         {"filename", ISMS_OUT_STR},     {"size", ISMS_OUT_U64},
    {"sha256", ISMS_OUT_STR},      {"collected_at", ISMS_OUT_STR}, {"collected_by", ISMS_OUT_STR},
    {"valid_until", ISMS_OUT_STR}, {"is_expired", ISMS_OUT_BOOL},  {"controls", ISMS_OUT_STRS},
    {"risks", ISMS_OUT_STRS},      {"version", ISMS_OUT_I64},      {"created_by", ISMS_OUT_STR},
    {"created_at", ISMS_OUT_STR},
};

static const struct isms_out_col download_cols[] = {
    {"file", ISMS_OUT_STR},
    {"size", ISMS_OUT_U64},
    {"sha256", ISMS_OUT_STR},
};

static enum isms_code render_evidence(struct isms_cli *cli, const struct isms_args *a,
                                      ProtobufCMessage *msg, struct isms_out *out,
                                      struct isms_status *st)
{
    const Isms__V1__EvidenceRecord *e = (const Isms__V1__EvidenceRecord *)msg;
    struct isms_out_table *t = isms_out_record(out, "evidence", ev_cols, NCOLS(ev_cols));

    (void)cli;
    (void)a;
    (void)st;
    isms_out_str(t, e->id);
    isms_out_str(t, e->title);
    isms_out_str(t, e->shows);
    isms_out_str(t, e->url);
    isms_out_str(t, e->filename);
    isms_out_u64(t, e->size);
    isms_out_str(t, e->sha256);
    isms_out_str(t, e->collected_at);
    isms_out_str(t, e->collected_by);
    isms_out_str(t, e->valid_until);
    isms_out_bool(t, e->is_expired);
    isms_out_strs(t, e->controls, e->n_controls);
    isms_out_strs(t, e->risks, e->n_risks);
    isms_out_i64(t, e->version);
    isms_out_str(t, e->created_by);
    isms_out_str(t, e->created_at);
    return ISMS_OK;
}

/* add: with --file, the upload first; then Evidence/Create. */
static enum isms_code run_add(struct isms_cli *cli, const struct isms_args *a,
                              ProtobufCMessage *msg, struct isms_out *out, struct isms_status *st)
{
    Isms__V1__CreateEvidenceRequest *req = (Isms__V1__CreateEvidenceRequest *)msg;
    const char *file = isms_args_get(a, "file");
    struct isms_file_info info;
    ProtobufCMessage *resp = NULL;
    enum isms_code code;

    if ((file == NULL) == (req->url[0] == '\0'))
        return isms_cli_usage(cli, st, "evidence add needs either --file F or --url URL");
    if (file != NULL) {
        code = isms_file_upload(cli, file, &info, st);
        if (code != ISMS_OK)
            return code;
        req->upload_id = info.upload_id;
    }
    code = isms_cli_call(cli, "/isms.v1.Evidence/Create", &req->base,
                         &isms__v1__evidence_record__descriptor, &resp, st);
    if (code != ISMS_OK)
        return code;
    code = render_evidence(cli, a, resp, out, st);
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

    if (isms_file_download(cli, "/isms.v1.Evidence/Download", msg, file, &info, st) != ISMS_OK)
        return st->code;
    if (file == NULL || strcmp(file, "-") == 0)
        return ISMS_OK;
    t = isms_out_record(out, "evidence download", download_cols, NCOLS(download_cols));
    isms_out_str(t, file);
    isms_out_u64(t, info.size);
    isms_out_str(t, info.sha256);
    return ISMS_OK;
}

static const struct isms_arg id_args[] = {{.name = "EV-<n>", .field = "id"}, {0}};
static const struct isms_arg title_args[] = {{.name = "TITLE", .field = "title"}, {0}};

static const struct isms_flag add_flags[] = {
    ISMS_F_FILE("file", "the evidence file (uploaded in chunks; its SHA-256 checked)"),
    {.name = "url",
     .kind = ISMS_FLAG_STRING,
     .metavar = "URL",
     .field = "url",
     .without = "file",
     .help = "or where the evidence is (http or https)"},
    ISMS_F_STR("shows", "TEXT", "shows", "what it demonstrates"),
    {.name = "collected-at",
     .kind = ISMS_FLAG_DATE,
     .metavar = "DATE",
     .field = "collected_at",
     .help = "when it was collected (default today)"},
    ISMS_F_STR("collected-by", "ACCOUNT", "collected_by", "who collected it (default you)"),
    {.name = "valid-until",
     .kind = ISMS_FLAG_DATE,
     .metavar = "DATE",
     .field = "valid_until",
     .help = "after this date it no longer counts (`soa check` reports it)"},
    {.name = "control",
     .kind = ISMS_FLAG_LIST,
     .metavar = "ID",
     .field = "controls",
     .opts = ISMS_OPT_SPLIT,
     .help = "a control it backs (5.15 or A.5.15)"},
    {.name = "risk",
     .kind = ISMS_FLAG_LIST,
     .metavar = "R-<n>",
     .field = "risks",
     .opts = ISMS_OPT_SPLIT,
     .help = "a risk it relates to"},
    {0},
};

static const struct isms_flag download_flags[] = {
    ISMS_F_FILE("file", "write here (renamed into place when complete; default stdout)"),
    {0},
};

static const struct isms_cmd evidence_cmds[] = {
    {.noun = "evidence",
     .verb = "add",
     .summary = "store evidence EV-n: a file or a URL, what it shows, collected at and by, valid "
                "until, the controls and risks it backs; refer to it as EV-n in `control set "
                "--evidence`",
     .args = title_args,
     .flags = add_flags,
     .req = &isms__v1__create_evidence_request__descriptor,
     .run = run_add},
    {.noun = "evidence",
     .verb = "show",
     .summary = "one evidence record",
     .args = id_args,
     .req = &isms__v1__get_evidence_request__descriptor,
     .method = "/isms.v1.Evidence/Get",
     .resp = &isms__v1__evidence_record__descriptor,
     .render = render_evidence},
    {.noun = "evidence",
     .verb = "download",
     .summary = "write an evidence file back byte for byte, its SHA-256 checked",
     .args = id_args,
     .flags = download_flags,
     .req = &isms__v1__get_evidence_request__descriptor,
     .run = run_download},
};

const struct isms_noun isms_noun_evidence = {
    "evidence",
    "the evidence store (Annex A, 9.1, 9.2): files and URLs with validity, linked to controls "
    "and risks",
    evidence_cmds,
    NCOLS(evidence_cmds),
};
