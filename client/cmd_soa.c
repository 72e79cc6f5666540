/* client/cmd_soa.c — `ismsctl soa ...`: the Statement of Applicability (isms.v1.Soa). The
 * server streams structured rows; `export` renders them through soa_export.c (CSV, Markdown,
 * JSON or HTML, one row at a time, so memory stays bounded) under a document header with the
 * organisation and scope (Context/Get) and the version's approval. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "export_file.h"
#include "soa_export.h"

#include "isms/v1/context.pb-c.h"
#include "isms/v1/control.pb-c.h"

#define NCOLS(a)    (sizeof(a) / sizeof((a)[0]))
#define VERSION_MAX 1000000000

static const struct isms_out_col finding_cols[] = {
    {"control_id", ISMS_OUT_STR},
    {"rule", ISMS_OUT_STR},
    {"message", ISMS_OUT_STR},
};

static const struct isms_out_col version_cols[] = {
    {"number", ISMS_OUT_I64},       {"approval", ISMS_OUT_STR},
    {"approved_by", ISMS_OUT_STR},  {"approved_at", ISMS_OUT_STR},
    {"published_by", ISMS_OUT_STR}, {"published_at", ISMS_OUT_STR},
    {"controls", ISMS_OUT_I64},     {"applicable", ISMS_OUT_I64},
    {"implemented", ISMS_OUT_I64},  {"legacy_approved_by", ISMS_OUT_STR},
};

static const struct isms_out_col version_row_cols[] = {
    {"position", ISMS_OUT_I64}, {"id", ISMS_OUT_STR},         {"theme", ISMS_OUT_STR},
    {"title", ISMS_OUT_STR},    {"applicable", ISMS_OUT_STR}, {"status", ISMS_OUT_STR},
    {"owner", ISMS_OUT_STR},
};

static const struct isms_out_col diff_cols[] = {
    {"control_id", ISMS_OUT_STR}, {"change", ISMS_OUT_STR}, {"title", ISMS_OUT_STR},
    {"field", ISMS_OUT_STR},      {"before", ISMS_OUT_STR}, {"after", ISMS_OUT_STR},
};

static const struct isms_out_col summary_cols[] = {
    {"theme", ISMS_OUT_STR},
    {"total", ISMS_OUT_I64},
    {"applicable", ISMS_OUT_I64},
    {"excluded", ISMS_OUT_I64},
    {"undecided", ISMS_OUT_I64},
    {"implemented", ISMS_OUT_I64},
    {"planned", ISMS_OUT_I64},
    {"percent_implemented", ISMS_OUT_STR},
    {"percent_of_applicable", ISMS_OUT_STR},
};

static const struct isms_out_col export_cols[] = {
    {"file", ISMS_OUT_STR},
    {"rows", ISMS_OUT_I64},
};

/* Parses a version number; 0 (the current state) only when `allow_current`. */
static bool parse_version(const char *s, bool allow_current, int32_t *out)
{
    int64_t v;

    if (allow_current && strcmp(s, "current") == 0) {
        *out = 0;
        return true;
    }
    if (!isms_cli_parse_i64(s, allow_current ? 0 : 1, VERSION_MAX, &v))
        return false;
    *out = (int32_t)v;
    return true;
}

/* Parses a --version or argument value into *out, or fails as a usage error. */
static enum isms_code version_arg(struct isms_cli *cli, const char *s, bool allow_current,
                                  int32_t *out, struct isms_status *st)
{
    if (s == NULL || parse_version(s, allow_current, out))
        return ISMS_OK;
    return isms_cli_usage(cli, st, "--version needs a published version number, got \"%.40s\"", s);
}

/* The current UTC time in RFC 3339 (seconds). */
static void now_utc(char *out, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, len, "unknown");
}

static enum isms_code run_export(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *msg, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__SoaExportRequest *req = (Isms__V1__SoaExportRequest *)msg;
    const char *format = isms_args_get(a, "format"), *file = isms_args_get(a, "file");
    static const char *const names[] = {"csv", "md", "json", "html"};
    struct isms_soa_sink sink = {stdout, "stdout", ISMS_SOA_CSV, 0};
    Isms__V1__GetContextRequest creq = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    ProtobufCMessage *vmsg = NULL, *cmsg = NULL;
    const Isms__V1__IsmsContext *ctx;
    struct isms_export_file ef;
    struct isms_out_table *t;
    struct isms_soa_doc doc;
    char now[32];
    enum isms_code code;

    for (size_t i = 0; format != NULL && i < NCOLS(names); i++) {
        if (strcmp(format, names[i]) == 0 || (i == 1 && strcmp(format, "markdown") == 0))
            sink.format = (enum isms_soa_format)i;
    }
    if (version_arg(cli, isms_args_get(a, "version"), true, &req->version, st) != ISMS_OK)
        return st->code;
    if (req->version > 0) {
        Isms__V1__SoaShowRequest show = ISMS__V1__SOA_SHOW_REQUEST__INIT;

        show.version = req->version;
        if (isms_cli_call(cli, "/isms.v1.Soa/Show", &show.base, &isms__v1__soa_version__descriptor,
                          &vmsg, st) != ISMS_OK)
            return st->code;
    }
    /* The organisation and scope (4.3) head the document. */
    if (isms_cli_call(cli, "/isms.v1.Context/Get", &creq.base, &isms__v1__isms_context__descriptor,
                      &cmsg, st) != ISMS_OK) {
        protobuf_c_message_free_unpacked(vmsg, NULL);
        return st->code;
    }
    if (isms_export_open(cli, &ef, file, st) != ISMS_OK) {
        protobuf_c_message_free_unpacked(vmsg, NULL);
        protobuf_c_message_free_unpacked(cmsg, NULL);
        return st->code;
    }
    sink.fp = ef.fp;
    sink.name = ef.name;
    ctx = (const Isms__V1__IsmsContext *)cmsg;
    now_utc(now, sizeof(now));
    isms_soa_doc_init(&doc, ctx->organization, ctx->scope, (const Isms__V1__SoaVersion *)vmsg, now);
    isms_soa_write_head(&sink, &doc);
    protobuf_c_message_free_unpacked(vmsg, NULL);
    protobuf_c_message_free_unpacked(cmsg, NULL);
    code = isms_cli_stream(cli, "/isms.v1.Soa/Export", msg, &isms__v1__soa_row__descriptor,
                           isms_soa_write_row, &sink, st);
    if (code == ISMS_OK)
        isms_soa_write_tail(&sink);
    code = isms_export_finish(&ef, code, st);
    if (code != ISMS_OK || ef.path == NULL)
        return code;
    t = isms_out_record(out, "soa export", export_cols, NCOLS(export_cols));
    isms_out_str(t, file);
    isms_out_i64(t, sink.rows);
    isms_out_text(out, "exported %" PRId64 " SoA rows to %s", sink.rows, file);
    return ISMS_OK;
}

/* ---- check, publish ------------------------------------------------------------------------- */

static enum isms_code render_check(struct isms_cli *cli, const struct isms_args *a,
                                   ProtobufCMessage *msg, struct isms_out *out,
                                   struct isms_status *st)
{
    const Isms__V1__SoaCheckResponse *r = (const Isms__V1__SoaCheckResponse *)msg;
    struct isms_out_table *t;

    (void)a;
    t = isms_out_list(out, "Inconsistencies", finding_cols, NCOLS(finding_cols));
    for (size_t i = 0; i < r->n_findings; i++) {
        isms_out_row(t);
        isms_out_str(t, r->findings[i]->control_id);
        isms_out_str(t, r->findings[i]->rule);
        isms_out_str(t, r->findings[i]->message);
    }
    if (r->n_findings == 0) {
        isms_out_text(out, "ok: the SoA is consistent (%" PRId32 " controls checked)", r->controls);
    } else {
        isms_status_set(st, ISMS_FAILED_PRECONDITION,
                        "the SoA has %zu inconsistenc%s in %" PRId32 " controls", r->n_findings,
                        r->n_findings == 1 ? "y" : "ies", r->controls);
        cli->exit_after_output = ISMS_FAILED_PRECONDITION;
    }
    return ISMS_OK;
}

static void add_version_row(struct isms_out_table *t, const Isms__V1__SoaVersion *v)
{
    isms_out_i64(t, v->number);
    isms_out_str(t, v->approved ? "approved" : "not approved");
    isms_out_str(t, v->approved_by);
    isms_out_str(t, v->approved_at);
    isms_out_str(t, v->published_by);
    isms_out_str(t, v->published_at);
    isms_out_i64(t, v->controls);
    isms_out_i64(t, v->applicable);
    isms_out_i64(t, v->implemented);
    isms_out_str(t, v->legacy_approved_by);
}

static enum isms_code render_published(struct isms_cli *cli, const struct isms_args *a,
                                       ProtobufCMessage *msg, struct isms_out *out,
                                       struct isms_status *st)
{
    struct isms_out_table *t =
        isms_out_record(out, "published SoA version", version_cols, NCOLS(version_cols));

    (void)cli;
    (void)a;
    (void)st;
    add_version_row(t, (const Isms__V1__SoaVersion *)msg);
    return ISMS_OK;
}

static enum isms_code prepare_approve(struct isms_cli *cli, const struct isms_args *a,
                                      ProtobufCMessage *msg, struct isms_out *out,
                                      struct isms_status *st)
{
    Isms__V1__SoaApproveRequest *req = (Isms__V1__SoaApproveRequest *)msg;

    (void)out;
    if (!parse_version(isms_args_arg(a, 0), false, &req->version))
        return isms_cli_usage(cli, st, "soa approve needs a published version number N");
    return ISMS_OK;
}

static enum isms_code render_approved(struct isms_cli *cli, const struct isms_args *a,
                                      ProtobufCMessage *msg, struct isms_out *out,
                                      struct isms_status *st)
{
    struct isms_out_table *t =
        isms_out_record(out, "approved SoA version", version_cols, NCOLS(version_cols));

    (void)cli;
    (void)a;
    (void)st;
    add_version_row(t, (const Isms__V1__SoaVersion *)msg);
    return ISMS_OK;
}

/* ---- versions, show ------------------------------------------------------------------------- */

static enum isms_code render_versions(struct isms_cli *cli, const struct isms_args *a,
                                      ProtobufCMessage *msg, struct isms_out *out,
                                      struct isms_status *st)
{
    const Isms__V1__SoaVersionsResponse *r = (const Isms__V1__SoaVersionsResponse *)msg;
    struct isms_out_table *t =
        isms_out_list(out, "SoA versions", version_cols, NCOLS(version_cols));

    (void)cli;
    (void)a;
    (void)st;
    for (size_t i = 0; i < r->n_versions; i++) {
        isms_out_row(t);
        add_version_row(t, r->versions[i]);
    }
    return ISMS_OK;
}

static enum isms_code add_version_rows(void *ud, const ProtobufCMessage *item,
                                       struct isms_status *st)
{
    struct isms_out_table *t = ud;
    const Isms__V1__SoaRow *r = (const Isms__V1__SoaRow *)item;

    (void)st;
    isms_out_row(t);
    isms_out_i64(t, r->position);
    isms_out_str(t, r->id);
    isms_out_str(t, r->theme);
    isms_out_str(t, r->title);
    isms_out_str(t, r->applicable);
    isms_out_str(t, r->status);
    isms_out_str(t, r->owner);
    return ISMS_OK;
}

static enum isms_code run_show(struct isms_cli *cli, const struct isms_args *a,
                               ProtobufCMessage *unused, struct isms_out *out,
                               struct isms_status *st)
{
    Isms__V1__SoaShowRequest req = ISMS__V1__SOA_SHOW_REQUEST__INIT;
    Isms__V1__SoaExportRequest ex = ISMS__V1__SOA_EXPORT_REQUEST__INIT;
    ProtobufCMessage *msg = NULL;
    struct isms_out_table *t, *rows;

    (void)unused;
    if (!parse_version(isms_args_arg(a, 0), false, &req.version))
        return isms_cli_usage(cli, st, "soa show needs --version N (a published version)");
    if (isms_cli_call(cli, "/isms.v1.Soa/Show", &req.base, &isms__v1__soa_version__descriptor, &msg,
                      st) != ISMS_OK)
        return st->code;
    t = isms_out_record(out, "SoA version", version_cols, NCOLS(version_cols));
    add_version_row(t, (const Isms__V1__SoaVersion *)msg);
    protobuf_c_message_free_unpacked(msg, NULL);
    rows = isms_out_sublist(out, "rows", "Rows", version_row_cols, NCOLS(version_row_cols));
    if (rows == NULL)
        return isms_status_set(st, ISMS_INTERNAL, "no room for the rows");
    ex.version = req.version;
    return isms_cli_stream(cli, "/isms.v1.Soa/Export", &ex.base, &isms__v1__soa_row__descriptor,
                           add_version_rows, rows, st);
}

/* ---- diff, summary -------------------------------------------------------------------------- */

static enum isms_code prepare_diff(struct isms_cli *cli, const struct isms_args *a,
                                   ProtobufCMessage *msg, struct isms_out *out,
                                   struct isms_status *st)
{
    Isms__V1__SoaDiffRequest *req = (Isms__V1__SoaDiffRequest *)msg;

    (void)out;
    if (!parse_version(isms_args_arg(a, 0), true, &req->from_version) ||
        !parse_version(isms_args_arg(a, 1), true, &req->to_version))
        return isms_cli_usage(cli, st,
                              "soa diff needs two versions N M (a published number, or 0 or "
                              "\"current\" for the current state)");
    return ISMS_OK;
}

static enum isms_code render_diff(struct isms_cli *cli, const struct isms_args *a,
                                  ProtobufCMessage *msg, struct isms_out *out,
                                  struct isms_status *st)
{
    const Isms__V1__SoaDiffResponse *r = (const Isms__V1__SoaDiffResponse *)msg;
    struct isms_out_table *t = isms_out_list(out, "SoA changes", diff_cols, NCOLS(diff_cols));

    (void)cli;
    (void)st;
    for (size_t i = 0; i < r->n_changes; i++) {
        const Isms__V1__SoaRowChange *c = r->changes[i];

        for (size_t k = 0; k < (c->n_fields > 0 ? c->n_fields : 1); k++) {
            isms_out_row(t);
            isms_out_str(t, c->control_id);
            isms_out_str(t, c->change);
            isms_out_str(t, c->title);
            isms_out_str(t, c->n_fields > 0 ? c->fields[k]->field : "");
            isms_out_str(t, c->n_fields > 0 ? c->fields[k]->before : "");
            isms_out_str(t, c->n_fields > 0 ? c->fields[k]->after : "");
        }
    }
    if (r->n_changes == 0)
        isms_out_notice(out, "no differences between %s and %s", isms_args_arg(a, 0),
                        isms_args_arg(a, 1));
    return ISMS_OK;
}

static void add_summary_row(struct isms_out_table *t, const Isms__V1__SoaThemeSummary *s)
{
    char pct[32], pct_app[32];

    /* Of every control not excluded: an undecided control is not an implemented one. */
    snprintf(pct, sizeof(pct), "%.1f", s->percent_implemented_of_in_scope);
    if (s->undecided > 0)
        snprintf(pct_app, sizeof(pct_app), "n/a (%d undecided)", (int)s->undecided);
    else
        snprintf(pct_app, sizeof(pct_app), "%.1f", s->percent_implemented);
    isms_out_row(t);
    isms_out_str(t, s->theme);
    isms_out_i64(t, s->total);
    isms_out_i64(t, s->applicable);
    isms_out_i64(t, s->excluded);
    isms_out_i64(t, s->undecided);
    isms_out_i64(t, s->implemented);
    isms_out_i64(t, s->planned);
    isms_out_str(t, pct);
    isms_out_str(t, pct_app);
}

static enum isms_code prepare_summary(struct isms_cli *cli, const struct isms_args *a,
                                      ProtobufCMessage *msg, struct isms_out *out,
                                      struct isms_status *st)
{
    (void)out;
    return version_arg(cli, isms_args_get(a, "version"), true,
                       &((Isms__V1__SoaSummaryRequest *)msg)->version, st);
}

static enum isms_code render_summary(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    const Isms__V1__SoaSummaryResponse *r = (const Isms__V1__SoaSummaryResponse *)msg;
    struct isms_out_table *t;

    (void)cli;
    (void)a;
    (void)st;
    t = isms_out_list(out,
                      "Compliance summary (percent_implemented: of all controls not excluded, "
                      "undecided ones counting as not implemented)",
                      summary_cols, NCOLS(summary_cols));
    for (size_t i = 0; i < r->n_themes; i++)
        add_summary_row(t, r->themes[i]);
    if (r->total != NULL)
        add_summary_row(t, r->total);
    if (r->total != NULL && r->total->undecided > 0)
        isms_out_notice(out,
                        "%d of %d controls are still undecided: the SoA is not complete and the "
                        "figures are provisional",
                        (int)r->total->undecided, (int)r->total->total);
    return ISMS_OK;
}

static const struct isms_flag export_flags[] = {
    {.name = "format",
     .kind = ISMS_FLAG_ENUM,
     .choices = "csv|md|markdown|json|html",
     .help = "default csv"},
    ISMS_F_FILE("file", "write to F (renamed into place when complete), not stdout"),
    ISMS_F_STR("version", "N", NULL, "a published version instead of the current state"),
    {0},
};

static const struct isms_arg approve_args[] = {{.name = "N"}, {0}};

static const struct isms_arg show_args[] = {{.name = "N", .flag = "version"}, {0}};
static const struct isms_flag version_flags[] = {
    ISMS_F_STR("version", "N", NULL, "a published version"),
    {0},
};
static const struct isms_arg diff_args[] = {{.name = "N"}, {.name = "M"}, {0}};

static const struct isms_cmd soa_cmds[] = {
    {.noun = "soa",
     .verb = "export",
     .summary = "the Statement of Applicability as a document: a header (organisation, scope, "
                "document id, version, approver and approval date, or \"current state, not "
                "approved\" with the generation time), then every Annex A control in catalogue "
                "order and custom controls, with applicability, reasons, inclusion and exclusion "
                "justifications, status, target date, owner, implementation, evidence and linked "
                "risks; the current state or published version N; CSV (default, RFC 4180; "
                "`control import` reads it back), Markdown, JSON or a self-contained HTML page "
                "(Markdown and HTML show labels, CSV and JSON codes); to stdout or F (renamed "
                "into place when complete)",
     .flags = export_flags,
     .req = &isms__v1__soa_export_request__descriptor,
     .run = run_export},
    {.noun = "soa",
     .verb = "check",
     .summary = "checks the SoA against its consistency rules (undecided; inclusion or exclusion "
                "not justified, or justified in fewer than 20 characters; reason risk_treatment "
                "without an open risk selecting the control, or selected without that reason; "
                "selected by a risk treatment but excluded; implemented without evidence, owner "
                "or implementation text; planned or partially implemented without a target "
                "date; status contradicting applicability; an owner that is not an account); "
                "passing it does not mean an audit will; exits 6 when it finds anything",
     .req = &isms__v1__soa_check_request__descriptor,
     .method = "/isms.v1.Soa/Check",
     .resp = &isms__v1__soa_check_response__descriptor,
     .render = render_check},
    {.noun = "soa",
     .verb = "publish",
     .summary = "freeze the current SoA as the next numbered version, not approved until top "
                "management runs `soa approve N`; refused while `soa check` finds anything or "
                "when nothing changed since the latest version",
     .req = &isms__v1__soa_publish_request__descriptor,
     .method = "/isms.v1.Soa/Publish",
     .resp = &isms__v1__soa_version__descriptor,
     .render = render_published},
    {.noun = "soa",
     .verb = "approve",
     .summary = "approve published version N as top management (5.1, 6.1.3 d): records your "
                "account and the time; only the latest version, once; role top_management",
     .args = approve_args,
     .req = &isms__v1__soa_approve_request__descriptor,
     .method = "/isms.v1.Soa/Approve",
     .resp = &isms__v1__soa_version__descriptor,
     .prepare = prepare_approve,
     .render = render_approved},
    {.noun = "soa",
     .verb = "versions",
     .summary = "the published SoA versions, oldest first",
     .req = &isms__v1__soa_versions_request__descriptor,
     .method = "/isms.v1.Soa/Versions",
     .resp = &isms__v1__soa_versions_response__descriptor,
     .render = render_versions},
    {.noun = "soa",
     .verb = "show",
     .summary = "a published version: its approval and its rows",
     .args = show_args,
     .flags = version_flags,
     .run = run_show},
    {.noun = "soa",
     .verb = "diff",
     .summary = "rows added, removed and changed (field by field) from version N to M; 0 or "
                "current is the current state",
     .args = diff_args,
     .req = &isms__v1__soa_diff_request__descriptor,
     .method = "/isms.v1.Soa/Diff",
     .resp = &isms__v1__soa_diff_response__descriptor,
     .prepare = prepare_diff,
     .render = render_diff},
    {.noun = "soa",
     .verb = "summary",
     .summary = "compliance per theme: total, applicable, excluded, undecided, implemented and "
                "planned (of the applicable); percent_implemented of every control not excluded "
                "(undecided ones count as not implemented) and, once none is undecided, of the "
                "applicable ones; last row Total",
     .flags = version_flags,
     .req = &isms__v1__soa_summary_request__descriptor,
     .method = "/isms.v1.Soa/Summary",
     .resp = &isms__v1__soa_summary_response__descriptor,
     .prepare = prepare_summary,
     .render = render_summary},
};

const struct isms_noun isms_noun_soa = {
    "soa",
    "the Statement of Applicability: export, check, publish, approve, versions, diff, summary",
    soa_cmds,
    NCOLS(soa_cmds),
};
