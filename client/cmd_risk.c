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
#include "risk_view.h"

#include "isms/v1/risk.pb-c.h"

#define NCOLS(a)   (sizeof(a) / sizeof((a)[0]))
#define ID_MAX     (INT64_C(1) << 62)
#define LIST_MAX   100000
#define LABEL_COLS 16 /* row labels of the heat map */
#define CELL_COLS  6  /* "%3s %c ": count, level mark */

static const struct isms_out_col risk_cols[] = {
    {"id", ISMS_OUT_STR},
    {"title", ISMS_OUT_STR},
    {"description", ISMS_OUT_STR},
    {"threat", ISMS_OUT_STR},
    {"vulnerability", ISMS_OUT_STR},
    {"owner", ISMS_OUT_STR},
    {"existing_controls", ISMS_OUT_STR},
    {"status", ISMS_OUT_STR},
    {"score", ISMS_OUT_I64},
    {"level", ISMS_OUT_STR},
    {"appetite", ISMS_OUT_I64},
    {"above_appetite", ISMS_OUT_BOOL},
    {"method_version", ISMS_OUT_I64},
    {"inherent_likelihood", ISMS_OUT_I64},
    {"inherent_impact", ISMS_OUT_I64},
    {"inherent_score", ISMS_OUT_I64},
    {"inherent_level", ISMS_OUT_STR},
    {"treatment", ISMS_OUT_STR},
    {"residual_likelihood", ISMS_OUT_I64},
    {"residual_impact", ISMS_OUT_I64},
    {"residual_score", ISMS_OUT_I64},
    {"residual_level", ISMS_OUT_STR},
    {"next_review", ISMS_OUT_STR},
    {"accepted_by", ISMS_OUT_STR},
    {"accepted_at", ISMS_OUT_STR},
    {"acceptance_justification", ISMS_OUT_STR},
    {"accepted_score", ISMS_OUT_I64},
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

static const struct isms_out_col list_cols[] = {
    {"id", ISMS_OUT_STR},
    {"title", ISMS_OUT_STR},
    {"owner", ISMS_OUT_STR},
    {"status", ISMS_OUT_STR},
    {"score", ISMS_OUT_I64},
    {"level", ISMS_OUT_STR},
    {"above_appetite", ISMS_OUT_BOOL},
    {"treatment", ISMS_OUT_STR},
    {"inherent_score", ISMS_OUT_I64},
    {"residual_score", ISMS_OUT_I64},
    {"next_review", ISMS_OUT_STR},
    {"method_version", ISMS_OUT_I64},
    {"version", ISMS_OUT_I64},
};

static const struct isms_out_col matrix_cols[] = {
    {"method_version", ISMS_OUT_I64}, {"appetite", ISMS_OUT_I64}, {"assessed", ISMS_OUT_I64},
    {"other_version", ISMS_OUT_I64},  {"outside", ISMS_OUT_I64},
};

static const struct isms_out_col cell_cols[] = {
    {"likelihood", ISMS_OUT_I64}, {"impact", ISMS_OUT_I64},   {"score", ISMS_OUT_I64},
    {"level", ISMS_OUT_STR},      {"inherent", ISMS_OUT_I64}, {"residual", ISMS_OUT_I64},
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
    isms_out_i64(t, r->score);
    isms_out_str(t, r->level);
    isms_out_i64(t, r->appetite);
    isms_out_bool(t, r->above_appetite);
    isms_out_i64(t, r->method_version);
    isms_out_i64(t, r->inherent_likelihood);
    isms_out_i64(t, r->inherent_impact);
    isms_out_i64(t, r->inherent_score);
    isms_out_str(t, r->inherent_level);
    isms_out_str(t, r->treatment);
    isms_out_i64(t, r->residual_likelihood);
    isms_out_i64(t, r->residual_impact);
    isms_out_i64(t, r->residual_score);
    isms_out_str(t, r->residual_level);
    isms_out_str(t, r->next_review);
    isms_out_str(t, r->accepted_by);
    isms_out_str(t, r->accepted_at);
    isms_out_str(t, r->acceptance_justification);
    isms_out_i64(t, r->accepted_score);
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
static enum isms_code call_risk(struct isms_cli *cli, const char *method,
                                const ProtobufCMessage *req, struct isms_out *out,
                                struct isms_status *st)
{
    ProtobufCMessage *msg = NULL;

    if (isms_cli_call(cli, method, req, &isms__v1__risk_record__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    fill_risk(out, (const Isms__V1__RiskRecord *)msg);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

/* ---- arguments ---------------------------------------------------------------------------- */

/* An option that may be given several times (--asset A --asset B). */
struct multi {
    const char *name;
    const char **vals; /* borrowed from argv; heap array */
    size_t n;
};

/* The words of argv without the repeatable options, which are collected into `m`. */
struct args {
    int argc;
    char **argv; /* heap array of borrowed words */
};

static void args_free(struct args *a, struct multi *m, size_t nm)
{
    free(a->argv);
    for (size_t k = 0; k < nm; k++)
        free(m[k].vals);
}

static enum isms_code take_multi(struct isms_cli *cli, int argc, char **argv, struct multi *m,
                                 size_t nm, struct args *a, struct isms_status *st)
{
    a->argc = 0;
    a->argv = calloc((size_t)argc + 1, sizeof(char *));
    for (size_t k = 0; k < nm; k++) {
        m[k].n = 0;
        m[k].vals = calloc((size_t)argc + 1, sizeof(char *));
        if (m[k].vals == NULL)
            a->argv = NULL;
    }
    if (a->argv == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        bool taken = false;

        if (strcmp(w, "--") == 0) {
            while (i < argc)
                a->argv[a->argc++] = argv[i++];
            break;
        }
        for (size_t k = 0; k < nm && !taken && w[0] == '-' && w[1] == '-'; k++) {
            size_t len = strlen(m[k].name);

            if (strncmp(w + 2, m[k].name, len) != 0)
                continue;
            if (w[2 + len] == '=') {
                m[k].vals[m[k].n++] = w + 3 + len;
                taken = true;
            } else if (w[2 + len] == '\0') {
                if (i + 1 >= argc)
                    return isms_cli_usage(cli, st, "--%s needs a value", m[k].name);
                m[k].vals[m[k].n++] = argv[++i];
                taken = true;
            }
        }
        if (!taken)
            a->argv[a->argc++] = argv[i];
    }
    return ISMS_OK;
}

/* Parses a likelihood or impact value given on the command line. */
static enum isms_code parse_rating(struct isms_cli *cli, const char *flag, const char *s,
                                   int32_t *out, struct isms_status *st)
{
    int64_t v;

    *out = 0;
    if (s == NULL)
        return ISMS_OK;
    if (!isms_cli_parse_i64(s, 1, 1000, &v))
        return isms_cli_usage(cli, st, "--%s needs a level number (1, 2, ...), got \"%.40s\"", flag,
                              s);
    *out = (int32_t)v;
    return ISMS_OK;
}

static enum isms_code parse_expect(struct isms_cli *cli, const char *s, int64_t *out,
                                   struct isms_status *st)
{
    *out = 0;
    if (s != NULL && !isms_cli_parse_i64(s, 0, INT64_MAX, out))
        return isms_cli_usage(cli, st,
                              "--expect-version needs a version number (0 = no check), got "
                              "\"%.40s\"",
                              s);
    return ISMS_OK;
}

/* One positional risk id. */
static enum isms_code one_id(struct isms_cli *cli, size_t npos, const char *what,
                             struct isms_status *st)
{
    if (npos != 1)
        return isms_cli_usage(cli, st, "risk %s needs one risk id (R-<n>)", what);
    return ISMS_OK;
}

/* ---- create, show, update ------------------------------------------------------------------ */

static enum isms_code run_create(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__CreateRiskRequest req = ISMS__V1__CREATE_RISK_REQUEST__INIT;
    const char *title = NULL, *desc = NULL, *threat = NULL, *vuln = NULL, *owner = NULL;
    const char *existing = NULL, *lik = NULL, *imp = NULL, *review = NULL;
    const struct isms_opt opts[] = {
        {"title", "TEXT", &title, NULL},
        {"description", "TEXT", &desc, NULL},
        {"threat", "TEXT", &threat, NULL},
        {"vulnerability", "TEXT", &vuln, NULL},
        {"owner", "USER", &owner, NULL},
        {"existing-controls", "TEXT", &existing, NULL},
        {"likelihood", "N", &lik, NULL},
        {"impact", "N", &imp, NULL},
        {"next-review", "YYYY-MM-DD", &review, NULL},
    };
    struct multi m[] = {{"asset", NULL, 0}};
    struct args a;
    const char *pos[1];
    size_t npos;
    enum isms_code code;

    code = take_multi(cli, argc, argv, m, NCOLS(m), &a, st);
    if (code == ISMS_OK)
        code = isms_cli_parse(cli, a.argc, a.argv, opts, NCOLS(opts), pos, 0, &npos, st);
    if (code == ISMS_OK && (title == NULL || owner == NULL))
        code = isms_cli_usage(cli, st, "risk create needs --title TEXT and --owner USER");
    if (code == ISMS_OK && (lik == NULL) != (imp == NULL))
        code = isms_cli_usage(cli, st, "give both --likelihood and --impact, or neither");
    if (code == ISMS_OK)
        code = parse_rating(cli, "likelihood", lik, &req.likelihood, st);
    if (code == ISMS_OK)
        code = parse_rating(cli, "impact", imp, &req.impact, st);
    if (code == ISMS_OK) {
        req.title = (char *)title;
        req.description = (char *)(desc != NULL ? desc : "");
        req.threat = (char *)(threat != NULL ? threat : "");
        req.vulnerability = (char *)(vuln != NULL ? vuln : "");
        req.owner = (char *)owner;
        req.existing_controls = (char *)(existing != NULL ? existing : "");
        req.next_review = (char *)(review != NULL ? review : "");
        req.assets = (char **)m[0].vals;
        req.n_assets = m[0].n;
        code = call_risk(cli, "/isms.v1.Risk/Create", &req.base, out, st);
    }
    args_free(&a, m, NCOLS(m));
    return code;
}

static enum isms_code run_show(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                               struct isms_status *st)
{
    Isms__V1__GetRiskRequest req = ISMS__V1__GET_RISK_REQUEST__INIT;
    const char *pos[1];
    size_t npos;

    if (isms_cli_parse(cli, argc, argv, NULL, 0, pos, 1, &npos, st) != ISMS_OK ||
        one_id(cli, npos, "show", st) != ISMS_OK)
        return st->code;
    req.id = (char *)pos[0];
    return call_risk(cli, "/isms.v1.Risk/Get", &req.base, out, st);
}

static enum isms_code run_update(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__UpdateRiskRequest req = ISMS__V1__UPDATE_RISK_REQUEST__INIT;
    const char *title = NULL, *desc = NULL, *threat = NULL, *vuln = NULL, *owner = NULL;
    const char *existing = NULL, *review = NULL, *expect = NULL;
    bool no_assets = false;
    const struct isms_opt opts[] = {
        {"title", "TEXT", &title, NULL},
        {"description", "TEXT", &desc, NULL},
        {"threat", "TEXT", &threat, NULL},
        {"vulnerability", "TEXT", &vuln, NULL},
        {"owner", "USER", &owner, NULL},
        {"existing-controls", "TEXT", &existing, NULL},
        {"next-review", "YYYY-MM-DD", &review, NULL},
        {"no-assets", NULL, NULL, &no_assets},
        {"expect-version", "N", &expect, NULL},
    };
    struct multi m[] = {{"asset", NULL, 0}};
    struct args a;
    const char *pos[1];
    size_t npos;
    enum isms_code code;

    code = take_multi(cli, argc, argv, m, NCOLS(m), &a, st);
    if (code == ISMS_OK)
        code = isms_cli_parse(cli, a.argc, a.argv, opts, NCOLS(opts), pos, 1, &npos, st);
    if (code == ISMS_OK)
        code = one_id(cli, npos, "update", st);
    if (code == ISMS_OK && no_assets && m[0].n > 0)
        code = isms_cli_usage(cli, st, "give --asset or --no-assets, not both");
    if (code == ISMS_OK)
        code = parse_expect(cli, expect, &req.expected_version, st);
    if (code == ISMS_OK) {
        req.id = (char *)pos[0];
        req.set_title = title != NULL;
        req.title = (char *)(title != NULL ? title : "");
        req.set_description = desc != NULL;
        req.description = (char *)(desc != NULL ? desc : "");
        req.set_threat = threat != NULL;
        req.threat = (char *)(threat != NULL ? threat : "");
        req.set_vulnerability = vuln != NULL;
        req.vulnerability = (char *)(vuln != NULL ? vuln : "");
        req.set_owner = owner != NULL;
        req.owner = (char *)(owner != NULL ? owner : "");
        req.set_existing_controls = existing != NULL;
        req.existing_controls = (char *)(existing != NULL ? existing : "");
        req.set_next_review = review != NULL;
        req.next_review = (char *)(review != NULL ? review : "");
        req.set_assets = no_assets || m[0].n > 0;
        req.assets = (char **)m[0].vals;
        req.n_assets = m[0].n;
        code = call_risk(cli, "/isms.v1.Risk/Update", &req.base, out, st);
    }
    args_free(&a, m, NCOLS(m));
    return code;
}

/* ---- assess, treat, accept, close ------------------------------------------------------------ */

static enum isms_code run_assess(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__AssessRiskRequest req = ISMS__V1__ASSESS_RISK_REQUEST__INIT;
    const char *il = NULL, *ii = NULL, *rl = NULL, *ri = NULL, *expect = NULL;
    const struct isms_opt opts[] = {
        {"likelihood", "N", &il, NULL},          {"impact", "N", &ii, NULL},
        {"residual-likelihood", "N", &rl, NULL}, {"residual-impact", "N", &ri, NULL},
        {"expect-version", "N", &expect, NULL},
    };
    const char *pos[1];
    size_t npos;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 1, &npos, st) != ISMS_OK ||
        one_id(cli, npos, "assess", st) != ISMS_OK)
        return st->code;
    if ((il == NULL) != (ii == NULL) || (rl == NULL) != (ri == NULL))
        return isms_cli_usage(cli, st,
                              "give likelihood and impact together: --likelihood N --impact N "
                              "and/or --residual-likelihood N --residual-impact N");
    if (il == NULL && rl == NULL)
        return isms_cli_usage(cli, st,
                              "risk assess needs --likelihood N --impact N and/or "
                              "--residual-likelihood N --residual-impact N");
    if (parse_rating(cli, "likelihood", il, &req.inherent_likelihood, st) != ISMS_OK ||
        parse_rating(cli, "impact", ii, &req.inherent_impact, st) != ISMS_OK ||
        parse_rating(cli, "residual-likelihood", rl, &req.residual_likelihood, st) != ISMS_OK ||
        parse_rating(cli, "residual-impact", ri, &req.residual_impact, st) != ISMS_OK ||
        parse_expect(cli, expect, &req.expected_version, st) != ISMS_OK)
        return st->code;
    req.id = (char *)pos[0];
    return call_risk(cli, "/isms.v1.Risk/Assess", &req.base, out, st);
}

static enum isms_code run_treat(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                struct isms_status *st)
{
    Isms__V1__TreatRiskRequest req = ISMS__V1__TREAT_RISK_REQUEST__INIT;
    Isms__V1__RiskActionInput action = ISMS__V1__RISK_ACTION_INPUT__INIT, *ap = &action;
    Isms__V1__RiskActionUpdate *upd = NULL, **updp = NULL;
    const char *option = NULL, *act = NULL, *act_owner = NULL, *act_due = NULL;
    const char *rl = NULL, *ri = NULL, *expect = NULL;
    bool treated = false;
    const struct isms_opt opts[] = {
        {"option", "modify|retain|avoid|share", &option, NULL},
        {"action", "TEXT", &act, NULL},
        {"action-owner", "NAME", &act_owner, NULL},
        {"action-due", "YYYY-MM-DD", &act_due, NULL},
        {"residual-likelihood", "N", &rl, NULL},
        {"residual-impact", "N", &ri, NULL},
        {"treated", NULL, NULL, &treated},
        {"expect-version", "N", &expect, NULL},
    };
    struct multi m[] = {
        {"control", NULL, 0}, {"remove-control", NULL, 0}, {"action-status", NULL, 0}};
    struct args a;
    const char *pos[1];
    size_t npos;
    enum isms_code code;

    code = take_multi(cli, argc, argv, m, NCOLS(m), &a, st);
    if (code == ISMS_OK)
        code = isms_cli_parse(cli, a.argc, a.argv, opts, NCOLS(opts), pos, 1, &npos, st);
    if (code == ISMS_OK)
        code = one_id(cli, npos, "treat", st);
    if (code == ISMS_OK && (rl == NULL) != (ri == NULL))
        code = isms_cli_usage(cli, st,
                              "give both --residual-likelihood and --residual-impact, or neither");
    if (code == ISMS_OK && act == NULL && (act_owner != NULL || act_due != NULL))
        code = isms_cli_usage(cli, st, "--action-owner and --action-due describe an --action");
    if (code == ISMS_OK && act != NULL && act_owner == NULL)
        code = isms_cli_usage(cli, st, "--action needs --action-owner NAME (who carries it out)");
    if (code == ISMS_OK)
        code = parse_rating(cli, "residual-likelihood", rl, &req.residual_likelihood, st);
    if (code == ISMS_OK)
        code = parse_rating(cli, "residual-impact", ri, &req.residual_impact, st);
    if (code == ISMS_OK)
        code = parse_expect(cli, expect, &req.expected_version, st);
    if (code == ISMS_OK && m[2].n > 0) {
        upd = calloc(m[2].n, sizeof(*upd));
        updp = calloc(m[2].n, sizeof(*updp));
        if (upd == NULL || updp == NULL)
            code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        for (size_t k = 0; code == ISMS_OK && k < m[2].n; k++) {
            const char *eq = strchr(m[2].vals[k], '=');

            if (eq == NULL || eq == m[2].vals[k] || eq[1] == '\0') {
                code = isms_cli_usage(cli, st,
                                      "--action-status needs RA-<n>=open|in_progress|done, got "
                                      "\"%.60s\"",
                                      m[2].vals[k]);
                break;
            }
            isms__v1__risk_action_update__init(&upd[k]);
            /* The id ends at '=': it is copied below with the status split off. */
            upd[k].id = strndup(m[2].vals[k], (size_t)(eq - m[2].vals[k]));
            upd[k].status = (char *)(eq + 1);
            if (upd[k].id == NULL)
                code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
            updp[k] = &upd[k];
        }
    }
    if (code == ISMS_OK) {
        req.id = (char *)pos[0];
        req.option = (char *)(option != NULL ? option : "");
        req.add_controls = (char **)m[0].vals;
        req.n_add_controls = m[0].n;
        req.remove_controls = (char **)m[1].vals;
        req.n_remove_controls = m[1].n;
        if (act != NULL) {
            action.description = (char *)act;
            action.owner = (char *)act_owner;
            action.due = (char *)(act_due != NULL ? act_due : "");
            req.add_actions = &ap;
            req.n_add_actions = 1;
        }
        req.update_actions = updp;
        req.n_update_actions = m[2].n;
        req.treated = treated;
        code = call_risk(cli, "/isms.v1.Risk/Treat", &req.base, out, st);
    }
    for (size_t k = 0; upd != NULL && k < m[2].n; k++)
        free(upd[k].id);
    free(upd);
    free(updp);
    args_free(&a, m, NCOLS(m));
    return code;
}

static enum isms_code run_accept(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__AcceptRiskRequest req = ISMS__V1__ACCEPT_RISK_REQUEST__INIT;
    const char *why = NULL, *expect = NULL;
    const struct isms_opt opts[] = {
        {"justification", "TEXT", &why, NULL},
        {"expect-version", "N", &expect, NULL},
    };
    const char *pos[1];
    size_t npos;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 1, &npos, st) != ISMS_OK ||
        one_id(cli, npos, "accept", st) != ISMS_OK ||
        parse_expect(cli, expect, &req.expected_version, st) != ISMS_OK)
        return st->code;
    if (why == NULL)
        return isms_cli_usage(cli, st, "risk accept needs --justification TEXT");
    req.id = (char *)pos[0];
    req.justification = (char *)why;
    return call_risk(cli, "/isms.v1.Risk/Accept", &req.base, out, st);
}

static enum isms_code run_close(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                struct isms_status *st)
{
    Isms__V1__CloseRiskRequest req = ISMS__V1__CLOSE_RISK_REQUEST__INIT;
    const char *reason = NULL, *expect = NULL;
    const struct isms_opt opts[] = {
        {"reason", "TEXT", &reason, NULL},
        {"expect-version", "N", &expect, NULL},
    };
    const char *pos[1];
    size_t npos;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 1, &npos, st) != ISMS_OK ||
        one_id(cli, npos, "close", st) != ISMS_OK ||
        parse_expect(cli, expect, &req.expected_version, st) != ISMS_OK)
        return st->code;
    if (reason == NULL)
        return isms_cli_usage(cli, st, "risk close needs --reason TEXT");
    req.id = (char *)pos[0];
    req.reason = (char *)reason;
    return call_risk(cli, "/isms.v1.Risk/Close", &req.base, out, st);
}

/* ---- list ---------------------------------------------------------------------------------- */

static enum isms_code add_list_row(void *ud, const ProtobufCMessage *item, struct isms_status *st)
{
    struct isms_out_table *t = ud;
    const Isms__V1__RiskRecord *r = (const Isms__V1__RiskRecord *)item;

    (void)st;
    isms_out_row(t);
    isms_out_str(t, r->id);
    isms_out_str(t, r->title);
    isms_out_str(t, r->owner);
    isms_out_str(t, r->status);
    isms_out_i64(t, r->score);
    isms_out_str(t, r->level);
    isms_out_bool(t, r->above_appetite);
    isms_out_str(t, r->treatment);
    isms_out_i64(t, r->inherent_score);
    isms_out_i64(t, r->residual_score);
    isms_out_str(t, r->next_review);
    isms_out_i64(t, r->method_version);
    isms_out_i64(t, r->version);
    return ISMS_OK;
}

static enum isms_code run_list(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                               struct isms_status *st)
{
    Isms__V1__ListRisksRequest req = ISMS__V1__LIST_RISKS_REQUEST__INIT;
    const char *owner = NULL, *level = NULL, *status = NULL, *asset = NULL, *limit = NULL;
    const char *after = NULL;
    bool above = false;
    const struct isms_opt opts[] = {
        {"above-appetite", NULL, NULL, &above}, {"owner", "USER", &owner, NULL},
        {"level", "LEVEL", &level, NULL},       {"status", "STATUS", &status, NULL},
        {"asset", "A-<n>|NAME", &asset, NULL},  {"limit", "N", &limit, NULL},
        {"after", "R-<n>", &after, NULL},
    };
    const char *pos[1];
    size_t npos;
    int64_t n = 0;
    struct isms_out_table *t;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 0, &npos, st) != ISMS_OK)
        return st->code;
    if (limit != NULL && !isms_cli_parse_i64(limit, 1, LIST_MAX, &n))
        return isms_cli_usage(cli, st, "--limit needs a number from 1 to %d", LIST_MAX);
    req.above_appetite = above;
    req.owner = (char *)(owner != NULL ? owner : "");
    req.level = (char *)(level != NULL ? level : "");
    req.status = (char *)(status != NULL ? status : "");
    req.asset = (char *)(asset != NULL ? asset : "");
    req.after_id = (char *)(after != NULL ? after : "");
    req.limit = (uint32_t)n;
    t = isms_out_list(out, "risks", list_cols, NCOLS(list_cols));
    return isms_cli_stream(cli, "/isms.v1.Risk/List", &req.base, &isms__v1__risk_record__descriptor,
                           add_list_row, t, st);
}

/* ---- matrix -------------------------------------------------------------------------------- */
static enum isms_code run_matrix(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__RiskMatrixRequest req = ISMS__V1__RISK_MATRIX_REQUEST__INIT;
    const char *version = NULL;
    bool closed = false;
    const struct isms_opt opts[] = {
        {"version", "N", &version, NULL},
        {"include-closed", NULL, NULL, &closed},
    };
    const char *pos[1];
    size_t npos;
    ProtobufCMessage *msg = NULL;
    const Isms__V1__RiskMatrix *x;
    struct isms_out_table *t;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 0, &npos, st) != ISMS_OK)
        return st->code;
    if (version != NULL && !isms_cli_parse_i64(version, 1, INT64_MAX, &req.method_version))
        return isms_cli_usage(cli, st, "--version needs a method version number, got \"%.40s\"",
                              version);
    req.include_closed = closed;
    if (isms_cli_call(cli, "/isms.v1.Risk/Matrix", &req.base, &isms__v1__risk_matrix__descriptor,
                      &msg, st) != ISMS_OK)
        return st->code;
    x = (const Isms__V1__RiskMatrix *)msg;
    if (x->method == NULL || x->n_cells != x->method->n_likelihood * x->method->n_impact) {
        protobuf_c_message_free_unpacked(msg, NULL);
        return isms_status_set(st, ISMS_INTERNAL, "the server sent a malformed heat map");
    }
    if (cli->format == ISMS_OUT_TABLE) {
        const char *no_colour = getenv("NO_COLOR");

        isms_risk_print_matrix(stdout, x, isatty(STDOUT_FILENO) && no_colour == NULL);
        protobuf_c_message_free_unpacked(msg, NULL);
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
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

/* ---- plan export --------------------------------------------------------------------------- */
static enum isms_code run_plan_export(struct isms_cli *cli, int argc, char **argv,
                                      struct isms_out *out, struct isms_status *st)
{
    Isms__V1__PlanExportRequest req = ISMS__V1__PLAN_EXPORT_REQUEST__INIT;
    const char *format = NULL, *file = NULL;
    bool exclude_closed = false;
    const struct isms_opt opts[] = {
        {"format", "csv|json|md", &format, NULL},
        {"file", "F", &file, NULL},
        {"exclude-closed", NULL, NULL, &exclude_closed},
    };
    const char *pos[1];
    size_t npos;
    struct isms_plan_sink sink = {stdout, "stdout", ISMS_PLAN_CSV, 0};
    struct isms_export_file ef;
    struct isms_out_table *t;
    enum isms_code code;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 0, &npos, st) != ISMS_OK)
        return st->code;
    if (format == NULL || strcmp(format, "csv") == 0)
        sink.format = ISMS_PLAN_CSV;
    else if (strcmp(format, "json") == 0)
        sink.format = ISMS_PLAN_JSON;
    else if (strcmp(format, "md") == 0 || strcmp(format, "markdown") == 0)
        sink.format = ISMS_PLAN_MD;
    else
        return isms_cli_usage(cli, st, "--format needs csv, json or md, got \"%.40s\"", format);
    req.exclude_closed = exclude_closed;
    if (isms_export_open(cli, &ef, file, st) != ISMS_OK)
        return st->code;
    sink.fp = ef.fp;
    sink.name = ef.name;
    isms_plan_write_head(&sink);
    code = isms_cli_stream(cli, "/isms.v1.Risk/PlanExport", &req.base,
                           &isms__v1__risk_record__descriptor, isms_plan_write_risk, &sink, st);
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

static const struct isms_cmd risk_cmds[] = {
    {"risk", "create", run_create,
     "--title TEXT --owner USER [--asset A-<n>|NAME]... [--description TEXT] [--threat TEXT] "
     "[--vulnerability TEXT] [--existing-controls TEXT] [--likelihood N --impact N] "
     "[--next-review YYYY-MM-DD]",
     "record a risk (isms_manager); with --likelihood and --impact it is assessed at once with "
     "the current method (the output carries id, score and level)"},
    {"risk", "list", run_list,
     "[--above-appetite] [--owner USER] [--level LEVEL] [--status STATUS] [--asset A-<n>|NAME] "
     "[--limit N] [--after R-<n>]",
     "risks in id order, streamed; --level and --above-appetite use the current score (residual "
     "when rated, else inherent)"},
    {"risk", "show", run_show, "R-<n>",
     "one risk with its assets, controls, actions, ratings and acceptance"},
    {"risk", "update", run_update,
     "R-<n> [--title TEXT] [--description TEXT] [--threat TEXT] [--vulnerability TEXT] "
     "[--owner USER] [--existing-controls TEXT] [--asset A-<n>|NAME]... [--no-assets] "
     "[--next-review YYYY-MM-DD] [--expect-version N]",
     "change a risk's description; --asset replaces the asset list; only an isms_manager may "
     "change the owner; with --expect-version, only if it is still at version N (else ABORTED)"},
    {"risk", "assess", run_assess,
     "R-<n> [--likelihood N --impact N] [--residual-likelihood N --residual-impact N] "
     "[--expect-version N]",
     "rate the inherent and/or residual risk with the current method; the residual score may "
     "not exceed the inherent one"},
    {"risk", "treat", run_treat,
     "R-<n> [--option modify|retain|avoid|share] [--control ID]... [--remove-control ID]... "
     "[--action TEXT --action-owner NAME [--action-due YYYY-MM-DD]] "
     "[--action-status RA-<n>=open|in_progress|done]... [--residual-likelihood N "
     "--residual-impact N] [--treated] [--expect-version N]",
     "choose the treatment and plan it; retain is refused above the appetite until the owner "
     "has accepted the risk (risk accept); --treated needs at least one control or action"},
    {"risk", "accept", run_accept, "R-<n> --justification TEXT [--expect-version N]",
     "the risk owner (only they) accepts the risk at its current score (6.1.3 f); recorded with "
     "who, when and why"},
    {"risk", "close", run_close, "R-<n> --reason TEXT [--expect-version N]",
     "close a risk (isms_manager); refused while it scores above the appetite without the "
     "owner's acceptance"},
    {"risk", "matrix", run_matrix, "[--version N] [--include-closed]",
     "heat map: risks per likelihood x impact cell, inherent and residual side by side, "
     "coloured by level on a terminal (not with NO_COLOR); -o json|csv give the cells"},
    {"risk", "plan export", run_plan_export, "[--format csv|json|md] [--file F] [--exclude-closed]",
     "the risk treatment plan (6.1.3 e): every risk with option, controls, actions (owner, due "
     "date, status), residual rating and acceptance; csv has one row per action"},
};

const struct isms_noun isms_noun_risk = {
    "risk",
    "risk register, treatment and acceptance (ISO/IEC 27001 6.1.2, 6.1.3, 8.2, 8.3)",
    risk_cmds,
    NCOLS(risk_cmds),
};
