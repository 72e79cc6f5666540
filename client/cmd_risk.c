/* client/cmd_risk.c — `ismsctl risk ...`: the risk register, treatment and acceptance (ISO/IEC
 * 27001:2022 6.1.2, 6.1.3, 8.2, 8.3) over /isms.v1.Risk. Scores and levels always come from
 * ismsd. Two outputs bypass output.c on purpose (rendered by risk_view.c): `risk matrix` in
 * table format (its ANSI colours would be neutralised there) and `risk plan export` (streamed
 * to stdout or a file in csv, json or md, in bounded memory). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "export_file.h"
#include "risk_cia.h"
#include "risk_list.h"
#include "risk_view.h"

#include "isms/v1/risk.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))
#define LIST_MAX 100000

static const struct isms_out_col risk_cols[] = {
    {"id", ISMS_OUT_STR},
    {"title", ISMS_OUT_STR},
    {"description", ISMS_OUT_STR},
    {"threat", ISMS_OUT_STR},
    {"vulnerability", ISMS_OUT_STR},
    {"owner", ISMS_OUT_STR},
    {"existing_controls", ISMS_OUT_STR},
    {"status", ISMS_OUT_STR},
    {"score", ISMS_OUT_SCORE},
    {"level", ISMS_OUT_STR},
    {"appetite", ISMS_OUT_I64},
    {"above_appetite", ISMS_OUT_BOOL},
    {"method_version", ISMS_OUT_I64},
    {"inherent_likelihood", ISMS_OUT_SCORE},
    {"inherent_impact", ISMS_OUT_SCORE},
    {"inherent_score", ISMS_OUT_SCORE},
    {"inherent_level", ISMS_OUT_STR},
    {"treatment", ISMS_OUT_STR},
    {"residual_likelihood", ISMS_OUT_SCORE},
    {"residual_impact", ISMS_OUT_SCORE},
    {"residual_score", ISMS_OUT_SCORE},
    {"residual_level", ISMS_OUT_STR},
    {"target_score", ISMS_OUT_SCORE},
    {"target_level", ISMS_OUT_STR},
    {"treatment_implemented", ISMS_OUT_BOOL},
    {"actions_open", ISMS_OUT_I64},
    {"controls_unimplemented", ISMS_OUT_I64},
    {"pending_residual_likelihood", ISMS_OUT_SCORE},
    {"pending_residual_impact", ISMS_OUT_SCORE},
    {"pending_residual_score", ISMS_OUT_SCORE},
    {"pending_residual_level", ISMS_OUT_STR},
    {"pending_by", ISMS_OUT_STR},
    {"pending_at", ISMS_OUT_STR},
    {"next_review", ISMS_OUT_STR},
    {"accepted_by", ISMS_OUT_STR},
    {"accepted_at", ISMS_OUT_STR},
    {"acceptance_justification", ISMS_OUT_STR},
    {"accepted_score", ISMS_OUT_SCORE},
    {"acceptance_expires", ISMS_OUT_STR},
    {"acceptance_valid", ISMS_OUT_BOOL},
    {"close_reason", ISMS_OUT_STR},
    {"version", ISMS_OUT_I64},
    {"created_at", ISMS_OUT_STR},
    {"created_by", ISMS_OUT_STR},
    {"updated_at", ISMS_OUT_STR},
    {"updated_by", ISMS_OUT_STR},
};

static const struct isms_out_col asset_cols[] = {{"id", ISMS_OUT_STR}, {"name", ISMS_OUT_STR}};
static const struct isms_out_col control_cols[] = {{"id", ISMS_OUT_STR}};
static const struct isms_out_col action_cols[] = {
    {"id", ISMS_OUT_STR},  {"description", ISMS_OUT_STR}, {"owner", ISMS_OUT_STR},
    {"due", ISMS_OUT_STR}, {"status", ISMS_OUT_STR},
};

static const struct isms_out_col matrix_cols[] = {
    {"method_version", ISMS_OUT_I64}, {"appetite", ISMS_OUT_I64},        {"assessed", ISMS_OUT_I64},
    {"other_version", ISMS_OUT_I64},  {"other_versions", ISMS_OUT_STRS}, {"outside", ISMS_OUT_I64},
};

static const struct isms_out_col cell_cols[] = {
    {"likelihood", ISMS_OUT_I64},      {"impact", ISMS_OUT_I64},
    {"score", ISMS_OUT_I64},           {"level", ISMS_OUT_STR},
    {"inherent", ISMS_OUT_I64},        {"residual", ISMS_OUT_I64},
    {"above_appetite", ISMS_OUT_BOOL}, {"inherent_ids", ISMS_OUT_STRS},
    {"residual_ids", ISMS_OUT_STRS},
};

static const struct isms_out_col export_cols[] = {
    {"file", ISMS_OUT_STR},
    {"risks", ISMS_OUT_I64},
};

/* ---- output of one risk ------------------------------------------------------------------- */

static void fill_risk(struct isms_out *out, const Isms__V1__RiskRecord *r)
{
    struct isms_out_table *t = isms_out_record(out, "risk", risk_cols, NCOLS(risk_cols));
    struct isms_out_table *a, *c, *x;

    isms_out_str(t, r->id);
    isms_out_str(t, r->title);
    isms_out_str(t, r->description);
    isms_out_str(t, r->threat);
    isms_out_str(t, r->vulnerability);
    isms_out_str(t, r->owner);
    isms_out_str(t, r->existing_controls);
    isms_out_str(t, r->status);
    isms_out_score(t, r->score);
    isms_out_str(t, r->level);
    isms_out_i64(t, r->appetite);
    isms_out_bool(t, r->above_appetite);
    isms_out_i64(t, r->method_version);
    isms_out_score(t, r->inherent_likelihood);
    isms_out_score(t, r->inherent_impact);
    isms_out_score(t, r->inherent_score);
    isms_out_str(t, r->inherent_level);
    isms_out_str(t, r->treatment);
    isms_out_score(t, r->residual_likelihood);
    isms_out_score(t, r->residual_impact);
    isms_out_score(t, r->residual_score);
    isms_out_str(t, r->residual_level);
    isms_out_score(t, r->target_score);
    isms_out_str(t, r->target_level);
    isms_out_bool(t, r->treatment_implemented);
    isms_out_i64(t, r->actions_open);
    isms_out_i64(t, r->controls_unimplemented);
    isms_out_score(t, r->pending_residual_likelihood);
    isms_out_score(t, r->pending_residual_impact);
    isms_out_score(t, r->pending_residual_score);
    isms_out_str(t, r->pending_residual_level);
    isms_out_str(t, r->pending_by);
    isms_out_str(t, r->pending_at);
    isms_out_str(t, r->next_review);
    isms_out_str(t, r->accepted_by);
    isms_out_str(t, r->accepted_at);
    isms_out_str(t, r->acceptance_justification);
    isms_out_score(t, r->accepted_score);
    isms_out_str(t, r->acceptance_expires);
    isms_out_bool(t, r->acceptance_valid);
    isms_out_str(t, r->close_reason);
    isms_out_i64(t, r->version);
    isms_out_str(t, r->created_at);
    isms_out_str(t, r->created_by);
    isms_out_str(t, r->updated_at);
    isms_out_str(t, r->updated_by);
    a = isms_out_sublist(out, "assets", "Assets", asset_cols, NCOLS(asset_cols));
    for (size_t k = 0; a != NULL && k < r->n_assets; k++) {
        isms_out_row(a);
        isms_out_str(a, r->assets[k]->id);
        isms_out_str(a, r->assets[k]->name);
    }
    c = isms_out_sublist(out, "controls", "Controls", control_cols, NCOLS(control_cols));
    for (size_t k = 0; c != NULL && k < r->n_controls; k++) {
        isms_out_row(c);
        isms_out_str(c, r->controls[k]);
    }
    x = isms_out_sublist(out, "actions", "Actions", action_cols, NCOLS(action_cols));
    for (size_t k = 0; x != NULL && k < r->n_actions; k++) {
        isms_out_row(x);
        isms_out_str(x, r->actions[k]->id);
        isms_out_str(x, r->actions[k]->description);
        isms_out_str(x, r->actions[k]->owner);
        isms_out_str(x, r->actions[k]->due);
        isms_out_str(x, r->actions[k]->status);
    }
}

/* Makes the call and, on OK, fills `out` with the risk it returns. */
static enum isms_code render_risk(struct isms_cli *cli, const struct isms_args *a,
                                  ProtobufCMessage *msg, struct isms_out *out,
                                  struct isms_status *st)
{
    (void)cli;
    (void)a;
    (void)st;
    fill_risk(out, (const Isms__V1__RiskRecord *)msg);
    return ISMS_OK;
}

/* ---- treat ---------------------------------------------------------------------------------- */

/* Pairs the --action values with their owners and due dates: each of --action-owner and
 * --action-due is given once for every action, in the same order, or once for all of them.
 * Fills acts[0..n) (borrowing the argument strings). */
static enum isms_code plan_actions(struct isms_cli *cli, const struct isms_args *a,
                                   Isms__V1__RiskActionInput *acts, size_t n,
                                   struct isms_status *st)
{
    size_t nown = 0, ndue = 0;
    const char *const *desc = isms_args_list(a, "action", &n);
    const char *const *own = isms_args_list(a, "action-owner", &nown);
    const char *const *due = isms_args_list(a, "action-due", &ndue);

    if (nown != n && nown != 1)
        return isms_cli_usage(cli, st,
                              "%zu --action but %zu --action-owner: give one owner for all, or "
                              "one per action in the same order",
                              n, nown);
    if (ndue != 0 && ndue != n && ndue != 1)
        return isms_cli_usage(cli, st,
                              "%zu --action but %zu --action-due: give none, one for all, or "
                              "one per action in the same order",
                              n, ndue);
    for (size_t k = 0; k < n; k++) {
        isms__v1__risk_action_input__init(&acts[k]);
        acts[k].description = (char *)desc[k];
        acts[k].owner = (char *)own[nown == 1 ? 0 : k];
        acts[k].due = (char *)(ndue == 0 ? "" : due[ndue == 1 ? 0 : k]);
    }
    return ISMS_OK;
}

/* The planned actions (--action, may repeat) and the status changes (--action-status
 * RA-<n>=STATUS) are not plain fields; the rest of the request is filled from the flags. */
static enum isms_code run_treat(struct isms_cli *cli, const struct isms_args *a,
                                ProtobufCMessage *msg, struct isms_out *out, struct isms_status *st)
{
    Isms__V1__TreatRiskRequest *req = (Isms__V1__TreatRiskRequest *)msg;
    Isms__V1__RiskActionInput *acts = NULL, **actp = NULL;
    Isms__V1__RiskActionUpdate *upd = NULL, **updp = NULL;
    size_t nupd = 0, nact = 0;
    const char *const *status = isms_args_list(a, "action-status", &nupd);
    ProtobufCMessage *resp = NULL;
    enum isms_code code = ISMS_OK;

    (void)isms_args_list(a, "action", &nact);
    if (nupd > 0) {
        upd = calloc(nupd, sizeof(*upd));
        updp = calloc(nupd, sizeof(*updp));
        if (upd == NULL || updp == NULL)
            code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (code == ISMS_OK && nact > 0) {
        acts = calloc(nact, sizeof(*acts));
        actp = calloc(nact, sizeof(*actp));
        if (acts == NULL || actp == NULL)
            code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        else
            code = plan_actions(cli, a, acts, nact, st);
        for (size_t k = 0; code == ISMS_OK && k < nact; k++)
            actp[k] = &acts[k];
    }
    for (size_t k = 0; code == ISMS_OK && k < nupd; k++) {
        const char *eq = strchr(status[k], '=');

        isms__v1__risk_action_update__init(&upd[k]);
        updp[k] = &upd[k];
        if (eq == NULL || eq == status[k] || eq[1] == '\0') {
            code = isms_cli_usage(cli, st,
                                  "--action-status needs RA-<n>=open|in_progress|done, got "
                                  "\"%.60s\"",
                                  status[k]);
            break;
        }
        /* The id ends at '=': it is copied with the status split off. */
        upd[k].id = strndup(status[k], (size_t)(eq - status[k]));
        upd[k].status = (char *)(eq + 1);
        if (upd[k].id == NULL)
            code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (code == ISMS_OK) {
        req->add_actions = actp;
        req->n_add_actions = nact;
        req->update_actions = updp;
        req->n_update_actions = nupd;
        code = isms_cli_call(cli, "/isms.v1.Risk/Treat", msg, &isms__v1__risk_record__descriptor,
                             &resp, st);
        if (code == ISMS_OK)
            code = render_risk(cli, a, resp, out, st);
        if (resp != NULL)
            protobuf_c_message_free_unpacked(resp, NULL);
    }
    req->add_actions = NULL;
    req->n_add_actions = 0;
    req->update_actions = NULL;
    req->n_update_actions = 0;
    for (size_t k = 0; upd != NULL && k < nupd; k++)
        free(upd[k].id);
    free(upd);
    free(updp);
    free(acts);
    free(actp);
    return code;
}

/* ---- matrix -------------------------------------------------------------------------------- */
static enum isms_code render_matrix(struct isms_cli *cli, const struct isms_args *a,
                                    ProtobufCMessage *msg, struct isms_out *out,
                                    struct isms_status *st)
{
    const Isms__V1__RiskMatrix *x = (const Isms__V1__RiskMatrix *)msg;
    struct isms_out_table *t;

    if (x->method == NULL || x->n_cells != x->method->n_likelihood * x->method->n_impact)
        return isms_status_set(st, ISMS_INTERNAL, "the server sent a malformed heat map");
    if (cli->format == ISMS_OUT_TABLE) {
        const char *no_colour = getenv("NO_COLOR");

        isms_risk_print_matrix(stdout, x, isatty(STDOUT_FILENO) && no_colour == NULL,
                               isms_args_has(a, "ids"));
        if (fflush(stdout) != 0)
            return isms_status_set(st, ISMS_INTERNAL, "could not write stdout");
        return ISMS_OK;
    }
    if (cli->format == ISMS_OUT_JSON) {
        t = isms_out_record(out, "risk matrix", matrix_cols, NCOLS(matrix_cols));
        isms_out_i64(t, x->method->version);
        isms_out_i64(t, x->method->appetite);
        isms_out_i64(t, x->assessed);
        isms_out_i64(t, x->other_version);
        {
            char vers[ISMS_CMD_LIST_MAX][24], *vp[ISMS_CMD_LIST_MAX];
            size_t nv =
                x->n_other_versions < ISMS_CMD_LIST_MAX ? x->n_other_versions : ISMS_CMD_LIST_MAX;

            for (size_t k = 0; k < nv; k++) {
                snprintf(vers[k], sizeof(vers[k]), "%" PRId64, x->other_versions[k]);
                vp[k] = vers[k];
            }
            isms_out_strs(t, vp, nv);
        }
        isms_out_i64(t, x->outside);
        t = isms_out_sublist(out, "cells", "Cells", cell_cols, NCOLS(cell_cols));
    } else {
        t = isms_out_list(out, "cells", cell_cols, NCOLS(cell_cols));
    }
    for (size_t k = 0; t != NULL && k < x->n_cells; k++) {
        const Isms__V1__MatrixCell *c = x->cells[k];

        isms_out_row(t);
        isms_out_i64(t, c->likelihood);
        isms_out_i64(t, c->impact);
        isms_out_i64(t, c->score);
        isms_out_str(t, c->level);
        isms_out_i64(t, c->inherent);
        isms_out_i64(t, c->residual);
        isms_out_bool(t, c->score > x->method->appetite);
        isms_out_strs(t, c->inherent_ids, c->n_inherent_ids);
        isms_out_strs(t, c->residual_ids, c->n_residual_ids);
    }
    return ISMS_OK;
}

/* ---- plan export --------------------------------------------------------------------------- */
static enum isms_code run_plan_export(struct isms_cli *cli, const struct isms_args *a,
                                      ProtobufCMessage *req, struct isms_out *out,
                                      struct isms_status *st)
{
    const char *format = isms_args_get(a, "format"), *file = isms_args_get(a, "file");
    struct isms_plan_sink sink = {stdout, "stdout", ISMS_PLAN_CSV, 0};
    struct isms_export_file ef;
    struct isms_out_table *t;
    enum isms_code code;

    if (format != NULL && strcmp(format, "json") == 0)
        sink.format = ISMS_PLAN_JSON;
    else if (format != NULL && (strcmp(format, "md") == 0 || strcmp(format, "markdown") == 0))
        sink.format = ISMS_PLAN_MD;
    if (isms_export_open(cli, &ef, file, st) != ISMS_OK)
        return st->code;
    sink.fp = ef.fp;
    sink.name = ef.name;
    isms_plan_write_head(&sink);
    code = isms_cli_stream(cli, "/isms.v1.Risk/PlanExport", req, &isms__v1__risk_record__descriptor,
                           isms_plan_write_risk, &sink, st);
    if (code == ISMS_OK)
        isms_plan_write_tail(&sink);
    code = isms_export_finish(&ef, code, st);
    if (code != ISMS_OK || ef.path == NULL)
        return code;
    t = isms_out_record(out, "risk plan export", export_cols, NCOLS(export_cols));
    isms_out_str(t, file);
    isms_out_i64(t, sink.risks);
    isms_out_text(out, "exported the treatment plan of %" PRId64 " risks to %s", sink.risks, file);
    return ISMS_OK;
}

/* ---- the rows ------------------------------------------------------------------------------- */

#define TEXT_FIELD(n, mv, fld, o, hlp)                                                             \
    {                                                                                              \
        .name = (n), .kind = ISMS_FLAG_STRING, .metavar = (mv), .field = (fld), .opts = (o),       \
        .help = (hlp)                                                                              \
    }
/* A likelihood or impact level, given with its partner. */
#define RATING(n, fld, o, partner, hlp)                                                            \
    {                                                                                              \
        .name = (n), .kind = ISMS_FLAG_INT, .metavar = "N", .field = (fld), .opts = (o), .min = 1, \
        .max = 1000, .with = (partner), .help = (hlp)                                              \
    }
#define DESCRIPTION_FIELDS(o)                                                                      \
    TEXT_FIELD("description", "TEXT", "description", 0u, "what could happen"),                     \
        TEXT_FIELD("threat", "TEXT", "threat", 0u, "the threat"),                                  \
        TEXT_FIELD("vulnerability", "TEXT", "vulnerability", 0u, "the weakness exploited"),        \
        TEXT_FIELD("existing-controls", "TEXT", "existing_controls", 0u,                           \
                   "controls already in place"),                                                   \
        {.name = "next-review",                                                                    \
         .kind = ISMS_FLAG_DATE,                                                                   \
         .metavar = "YYYY-MM-DD",                                                                  \
         .field = "next_review",                                                                   \
         .help = "when to review the risk next"},                                                  \
    {                                                                                              \
        .name = "asset", .kind = ISMS_FLAG_LIST, .metavar = "A-<n>|NAME", .field = "assets",       \
        .opts = (o), .help = "an asset at risk"                                                    \
    }

static const struct isms_flag create_flags[] = {
    TEXT_FIELD("title", "TEXT", "title", ISMS_OPT_REQUIRED, "a short name for the risk"),
    TEXT_FIELD("owner", "USER", "owner", ISMS_OPT_REQUIRED, "the risk owner (6.1.2 c)"),
    DESCRIPTION_FIELDS(0u),
    RATING("likelihood", "likelihood", 0u, "impact", "assess at once: inherent likelihood"),
    RATING("impact", "impact", 0u, "likelihood", "assess at once: inherent impact"),
    {0},
};

static const struct isms_flag list_flags[] = {
    ISMS_F_BOOL("above-appetite", "above_appetite", "only risks scoring above the appetite"),
    ISMS_F_STR("owner", "USER", "owner", "only this owner's risks"),
    ISMS_F_STR("level", "LEVEL", "level", "only risks at this level"),
    ISMS_F_STR("status", "STATUS", "status", "only risks in this status"),
    ISMS_F_STR("asset", "A-<n>|NAME", "asset", "only risks to this asset"),
    ISMS_F_INT("limit", "limit", 1, LIST_MAX, "at most N risks"),
    {.name = "after",
     .kind = ISMS_FLAG_STRING,
     .metavar = "R-<n>",
     .field = "after_id",
     .without = "sort",
     .help = "continue after this risk (paging in id order)"},
    ISMS_F_ENUM("sort", "score|due", NULL,
                "score: highest current score first; due: earliest next review or open "
                "action due date first (risks with neither last)"),
    ISMS_F_BOOL("overdue", "overdue",
                "only open risks whose next review, or an action not done, is past due"),
    {0},
};

static const struct isms_arg id_args[] = {{.name = "R-<n>", .field = "id"}, {0}};

static const struct isms_flag update_flags[] = {
    TEXT_FIELD("title", "TEXT", "title", 0u, "a short name for the risk"),
    TEXT_FIELD("owner", "USER", "owner", 0u, "the risk owner (isms_manager only)"),
    DESCRIPTION_FIELDS(0u),
    {.name = "no-assets",
     .kind = ISMS_FLAG_BOOL,
     .field = "set_assets",
     .without = "asset",
     .help = "remove every asset"},
    ISMS_F_EXPECT_VERSION,
    {0},
};

static const struct isms_flag assess_flags[] = {
    RATING("likelihood", "inherent_likelihood", ISMS_OPT_CHANGE, "impact", "inherent likelihood"),
    RATING("impact", "inherent_impact", ISMS_OPT_CHANGE, "likelihood", "inherent impact"),
    RATING("residual-likelihood", "residual_likelihood", ISMS_OPT_CHANGE, "residual-impact",
           "likelihood after treatment"),
    RATING("residual-impact", "residual_impact", ISMS_OPT_CHANGE, "residual-likelihood",
           "impact after treatment"),
    ISMS_F_EXPECT_VERSION,
    {0},
};

static const struct isms_flag treat_flags[] = {
    {.name = "option",
     .kind = ISMS_FLAG_ENUM,
     .choices = "modify|retain|avoid|share",
     .field = "option",
     .opts = ISMS_OPT_OPEN,
     .help = "the treatment option (6.1.3 a)"},
    {.name = "control",
     .kind = ISMS_FLAG_LIST,
     .metavar = "ID",
     .field = "add_controls",
     .help = "select a control (8.7 or a custom id)"},
    {.name = "remove-control",
     .kind = ISMS_FLAG_LIST,
     .metavar = "ID",
     .field = "remove_controls",
     .help = "drop a selected control"},
    {.name = "action",
     .kind = ISMS_FLAG_LIST,
     .metavar = "TEXT",
     .with = "action-owner",
     .help = "plan an action; repeat it to plan several at once"},
    {.name = "action-owner",
     .kind = ISMS_FLAG_LIST,
     .metavar = "NAME",
     .with = "action",
     .help = "who carries the action out: once for all actions, or once per --action in order"},
    {.name = "action-due",
     .kind = ISMS_FLAG_LIST,
     .metavar = "YYYY-MM-DD",
     .with = "action",
     .help = "when the action is due: once for all actions, or once per --action in order"},
    {.name = "action-status",
     .kind = ISMS_FLAG_LIST,
     .metavar = "RA-<n>=open|in_progress|done",
     .help = "the progress of a planned action"},
    RATING("residual-likelihood", "residual_likelihood", 0u, "residual-impact",
           "likelihood after treatment"),
    RATING("residual-impact", "residual_impact", 0u, "residual-likelihood",
           "impact after treatment"),
    ISMS_F_BOOL("treated", "treated", "the treatment is in place (needs a control or action)"),
    ISMS_F_EXPECT_VERSION,
    {0},
};

static const struct isms_flag accept_flags[] = {
    TEXT_FIELD("justification", "TEXT", "justification", ISMS_OPT_REQUIRED,
               "why the owner accepts the risk"),
    {.name = "expires",
     .kind = ISMS_FLAG_DATE,
     .metavar = "YYYY-MM-DD",
     .field = "expires",
     .opts = ISMS_OPT_REQUIRED,
     .help = "review date of the acceptance (after today); it lapses then"},
    ISMS_F_EXPECT_VERSION,
    {0},
};

static const struct isms_flag close_flags[] = {
    TEXT_FIELD("reason", "TEXT", "reason", 0u,
               "why the risk is closed (required unless --activity-ceased)"),
    ISMS_F_BOOL("activity-ceased", "activity_ceased",
                "an avoided risk whose activity stopped: no residual rating needed"),
    ISMS_F_EXPECT_VERSION,
    {0},
};

static const struct isms_flag confirm_flags[] = {
    ISMS_F_BOOL("reject", "reject", "drop the lowered rating instead of applying it"),
    ISMS_F_EXPECT_VERSION,
    {0},
};

static const struct isms_flag matrix_flags[] = {
    ISMS_F_INT("version", "method_version", 1, INT64_MAX, "a method version (default current)"),
    ISMS_F_BOOL("include-closed", "include_closed", "count closed risks too"),
    ISMS_F_BOOL("ids", "include_ids", "list the risk ids of each occupied cell"),
    {0},
};

static const struct isms_flag plan_flags[] = {
    ISMS_F_ENUM("format", "csv|json|md|markdown", NULL, "default csv"),
    ISMS_F_FILE("file", "write to F (renamed into place when complete), not stdout"),
    ISMS_F_BOOL("exclude-closed", "exclude_closed", "leave closed risks out"),
    {0},
};

/* A row whose call answers one RiskRecord. */
#define RISK_CALL(m)                                                                               \
    .method = "/isms.v1.Risk/" m, .resp = &isms__v1__risk_record__descriptor, .render = render_risk

static const struct isms_cmd risk_cmds[] = {
    {.noun = "risk",
     .verb = "create",
     .summary = "record a risk (isms_manager); with --likelihood and --impact it is assessed at "
                "once with the current method (the output carries id, score and level)",
     .flags = create_flags,
     .req = &isms__v1__create_risk_request__descriptor,
     RISK_CALL("Create")},
    {.noun = "risk",
     .verb = "list",
     .summary =
         "risks in id order (or --sort), streamed; score is the current rating (the "
         "residual once the treatment is implemented, else the inherent), residual_score the "
         "target; --level and --above-appetite use the current score; DUE is the earliest of "
         "the next review and the open actions' due dates; the table shows the main columns "
         "(--wide: all, as -o json and csv do)",
     .flags = list_flags,
     .req = &isms__v1__list_risks_request__descriptor,
     .run = isms_risk_run_list,
     .example = "risk list --above-appetite --sort score\n"
                "risk list --overdue --owner alice --sort due\n"
                "risk list --limit 50 --after R-50"},
    {.noun = "risk",
     .verb = "show",
     .summary = "one risk with its assets, controls, actions and acceptance; ratings: inherent, "
                "target (planned residual), current (score: the residual once the treatment is "
                "implemented, else the inherent), a lowered residual awaiting confirmation",
     .args = id_args,
     .req = &isms__v1__get_risk_request__descriptor,
     RISK_CALL("Get")},
    {.noun = "risk",
     .verb = "update",
     .summary = "change a risk's description; --asset replaces the asset list; only an "
                "isms_manager may change the owner; with --expect-version, only if it is still at "
                "version N (else ABORTED)",
     .args = id_args,
     .flags = update_flags,
     .req = &isms__v1__update_risk_request__descriptor,
     RISK_CALL("Update")},
    {.noun = "risk",
     .verb = "assess",
     .summary = "rate the inherent and/or residual (target) risk with the current method; the "
                "residual score may not exceed the inherent one; an owner lowering the residual of "
                "their own risk needs an isms_manager's `risk confirm` before it counts",
     .args = id_args,
     .flags = assess_flags,
     .req = &isms__v1__assess_risk_request__descriptor,
     RISK_CALL("Assess")},
    {.noun = "risk",
     .verb = "treat",
     .summary = "choose the treatment and plan it; retain is refused above the appetite until the "
                "owner has accepted the risk (risk accept); --treated needs at least one control "
                "or action, every action done and every selected control implemented in the SoA; "
                "changing the plan makes the owner's acceptance lapse",
     .args = id_args,
     .flags = treat_flags,
     .req = &isms__v1__treat_risk_request__descriptor,
     .run = run_treat,
     .example = "risk treat R-1 --option modify --control 8.24 --control 5.15 --action \"encrypt "
                "backups\" --action \"rotate keys\" --action-owner alice --action-owner bob "
                "--action-due 2027-01-31 --residual-likelihood 2 --residual-impact 3\n"
                "risk treat R-1 --action-status RA-1=done --action-status RA-2=in_progress"},
    {.noun = "risk",
     .verb = "accept",
     .summary = "the risk owner (only they) approves the treatment plan and accepts the risk at "
                "its target score until --expires (6.1.3 f); every residual risk needs it, within "
                "the appetite too; recorded with who, when and why",
     .args = id_args,
     .flags = accept_flags,
     .req = &isms__v1__accept_risk_request__descriptor,
     RISK_CALL("Accept")},
    {.noun = "risk",
     .verb = "close",
     .summary = "close a risk (isms_manager); refused while it scores above the appetite without "
                "the owner's acceptance; an avoided risk closes with --activity-ceased without a "
                "residual rating",
     .args = id_args,
     .flags = close_flags,
     .req = &isms__v1__close_risk_request__descriptor,
     RISK_CALL("Close")},
    {.noun = "risk",
     .verb = "confirm",
     .summary = "confirm (or --reject) the residual rating an owner lowered for their own risk "
                "(8.3); isms_manager, not the owner",
     .args = id_args,
     .flags = confirm_flags,
     .req = &isms__v1__confirm_residual_request__descriptor,
     RISK_CALL("ConfirmResidual")},
    {.noun = "risk",
     .verb = "matrix",
     .summary = "heat map of one method version (default current): the risks assessed with "
                "that version per likelihood x impact cell, inherent and residual side by side, "
                "'|' on the appetite line, coloured by level on a terminal (not with NO_COLOR); "
                "risks of other versions are counted, not drawn; -o json|csv give the cells",
     .flags = matrix_flags,
     .req = &isms__v1__risk_matrix_request__descriptor,
     .method = "/isms.v1.Risk/Matrix",
     .resp = &isms__v1__risk_matrix__descriptor,
     .render = render_matrix,
     .example = "risk matrix --ids\nrisk matrix --version 1 --include-closed -o json"},
    {.noun = "risk",
     .verb = "plan export",
     .summary = "the risk treatment plan (6.1.3 e): every risk with option, controls, actions "
                "(owner, due date, status), residual rating and acceptance; csv has one row per "
                "action",
     .flags = plan_flags,
     .req = &isms__v1__plan_export_request__descriptor,
     .run = run_plan_export},
    {.noun = "risk",
     .verb = "cia",
     .summary = "which of confidentiality, integrity, availability the risk affects (6.1.2 c), "
                "the impact its linked assets suggest (their highest affected value), linked "
                "assets whose values lie outside the impact scale; --affects sets it, "
                "--likelihood also rates the inherent risk with the suggested impact",
     .args = isms_risk_cia_args,
     .flags = isms_risk_cia_flags,
     .req = &isms__v1__get_risk_cia_request__descriptor,
     .run = isms_risk_cia_run,
     .example = "risk cia R-1\nrisk cia R-1 --affects CI --likelihood 4"},
};

const struct isms_noun isms_noun_risk = {
    "risk",
    "risk register, treatment and acceptance (ISO/IEC 27001 6.1.2, 6.1.3, 8.2, 8.3)",
    risk_cmds,
    NCOLS(risk_cmds),
};
