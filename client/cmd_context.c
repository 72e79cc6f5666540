/* client/cmd_context.c — `ismsctl context ...`: the context of the organisation (ISO/IEC
 * 27001:2022 clause 4) over /isms.v1.Context: organisation and scope, interested parties,
 * internal and external issues. Field names in the output are the proto's. */
#include "cli.h"

#include "isms/v1/context.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const struct isms_out_col context_cols[] = {
    {"organization", ISMS_OUT_STR}, {"scope", ISMS_OUT_STR},      {"version", ISMS_OUT_I64},
    {"updated_at", ISMS_OUT_STR},   {"updated_by", ISMS_OUT_STR},
};

static const struct isms_out_col party_cols[] = {
    {"id", ISMS_OUT_STR},           {"name", ISMS_OUT_STR},       {"kind", ISMS_OUT_STR},
    {"requirements", ISMS_OUT_STR}, {"created_at", ISMS_OUT_STR},
};

static const struct isms_out_col issue_cols[] = {
    {"id", ISMS_OUT_STR},
    {"kind", ISMS_OUT_STR},
    {"description", ISMS_OUT_STR},
    {"created_at", ISMS_OUT_STR},
};

static const struct isms_out_col removed_cols[] = {
    {"id", ISMS_OUT_STR},
};

static void add_party_row(struct isms_out_table *t, const Isms__V1__InterestedParty *p)
{
    isms_out_str(t, p->id);
    isms_out_str(t, p->name);
    isms_out_str(t, p->kind);
    isms_out_str(t, p->requirements);
    isms_out_str(t, p->created_at);
}

static void add_issue_row(struct isms_out_table *t, const Isms__V1__ContextIssue *i)
{
    isms_out_str(t, i->id);
    isms_out_str(t, i->kind);
    isms_out_str(t, i->description);
    isms_out_str(t, i->created_at);
}

/* Fills `out` with the whole context: its fields, then its parties and issues. */
static void fill_context(struct isms_out *out, const Isms__V1__IsmsContext *c)
{
    struct isms_out_table *t = isms_out_record(out, "context", context_cols, NCOLS(context_cols));
    struct isms_out_table *parties, *issues;

    isms_out_str(t, c->organization);
    isms_out_str(t, c->scope);
    isms_out_i64(t, c->version);
    isms_out_str(t, c->updated_at);
    isms_out_str(t, c->updated_by);
    parties = isms_out_sublist(out, "parties", "Interested parties", party_cols, NCOLS(party_cols));
    issues = isms_out_sublist(out, "issues", "Issues", issue_cols, NCOLS(issue_cols));
    for (size_t i = 0; parties != NULL && i < c->n_parties; i++) {
        isms_out_row(parties);
        add_party_row(parties, c->parties[i]);
    }
    for (size_t i = 0; issues != NULL && i < c->n_issues; i++) {
        isms_out_row(issues);
        add_issue_row(issues, c->issues[i]);
    }
}

/* Calls Context/Get; on OK *ctx is the context (free with protobuf_c_message_free_unpacked). */
static enum isms_code get_context(struct isms_cli *cli, ProtobufCMessage **ctx,
                                  struct isms_status *st)
{
    Isms__V1__GetContextRequest req = ISMS__V1__GET_CONTEXT_REQUEST__INIT;

    return isms_cli_call(cli, "/isms.v1.Context/Get", &req.base,
                         &isms__v1__isms_context__descriptor, ctx, st);
}

/* Parses a command that takes no arguments besides the global options. */
static enum isms_code no_args(struct isms_cli *cli, int argc, char **argv, struct isms_status *st)
{
    const char *pos[1];
    size_t npos;

    return isms_cli_parse(cli, argc, argv, NULL, 0, pos, 0, &npos, st);
}

static enum isms_code run_show(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                               struct isms_status *st)
{
    ProtobufCMessage *msg = NULL;

    if (no_args(cli, argc, argv, st) != ISMS_OK || get_context(cli, &msg, st) != ISMS_OK)
        return st->code;
    fill_context(out, (const Isms__V1__IsmsContext *)msg);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static enum isms_code run_set(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                              struct isms_status *st)
{
    Isms__V1__UpdateContextRequest req = ISMS__V1__UPDATE_CONTEXT_REQUEST__INIT;
    const char *org = NULL, *scope = NULL, *expect = NULL;
    bool has_org = false, has_scope = false;
    const struct isms_opt opts[] = {
        {"org", "NAME", &org, &has_org},
        {"scope", "TEXT", &scope, &has_scope},
        {"expect-version", "N", &expect, NULL},
    };
    const char *pos[1];
    size_t npos;
    int64_t version = 0;
    ProtobufCMessage *msg = NULL;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 0, &npos, st) != ISMS_OK)
        return st->code;
    if (!has_org && !has_scope)
        return isms_cli_usage(cli, st, "context set needs --org NAME and/or --scope TEXT");
    if (expect != NULL && !isms_cli_parse_i64(expect, 0, INT64_MAX, &version))
        return isms_cli_usage(cli, st,
                              "--expect-version needs a version number (0 = no check), "
                              "got \"%.40s\"",
                              expect);
    req.set_organization = has_org;
    req.organization = (char *)(has_org ? org : "");
    req.set_scope = has_scope;
    req.scope = (char *)(has_scope ? scope : "");
    req.expected_version = version;
    if (isms_cli_call(cli, "/isms.v1.Context/Update", &req.base,
                      &isms__v1__isms_context__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    fill_context(out, (const Isms__V1__IsmsContext *)msg);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static enum isms_code run_party_add(struct isms_cli *cli, int argc, char **argv,
                                    struct isms_out *out, struct isms_status *st)
{
    Isms__V1__AddPartyRequest req = ISMS__V1__ADD_PARTY_REQUEST__INIT;
    const char *name = NULL, *kind = NULL, *requirements = NULL;
    const struct isms_opt opts[] = {
        {"name", "NAME", &name, NULL},
        {"kind", "internal|external", &kind, NULL},
        {"requirements", "TEXT", &requirements, NULL},
    };
    const char *pos[1];
    size_t npos;
    ProtobufCMessage *msg = NULL;
    struct isms_out_table *t;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 0, &npos, st) != ISMS_OK)
        return st->code;
    if (name == NULL)
        return isms_cli_usage(cli, st, "context party add needs --name NAME");
    req.name = (char *)name;
    req.kind = (char *)(kind != NULL ? kind : "");
    req.requirements = (char *)(requirements != NULL ? requirements : "");
    if (isms_cli_call(cli, "/isms.v1.Context/AddParty", &req.base,
                      &isms__v1__interested_party__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    t = isms_out_record(out, "interested party", party_cols, NCOLS(party_cols));
    add_party_row(t, (const Isms__V1__InterestedParty *)msg);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static enum isms_code run_party_list(struct isms_cli *cli, int argc, char **argv,
                                     struct isms_out *out, struct isms_status *st)
{
    ProtobufCMessage *msg = NULL;
    const Isms__V1__IsmsContext *c;
    struct isms_out_table *t;

    if (no_args(cli, argc, argv, st) != ISMS_OK || get_context(cli, &msg, st) != ISMS_OK)
        return st->code;
    c = (const Isms__V1__IsmsContext *)msg;
    t = isms_out_list(out, "Interested parties", party_cols, NCOLS(party_cols));
    for (size_t i = 0; i < c->n_parties; i++) {
        isms_out_row(t);
        add_party_row(t, c->parties[i]);
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

/* Shared by `party remove` and `issue remove`: one positional id, one call, prints the id. */
static enum isms_code remove_one(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 const char *usage, const char *method, ProtobufCMessage *req,
                                 char **req_id, struct isms_status *st)
{
    const char *pos[1];
    size_t npos;
    ProtobufCMessage *msg = NULL;
    struct isms_out_table *t;

    if (isms_cli_parse(cli, argc, argv, NULL, 0, pos, 1, &npos, st) != ISMS_OK)
        return st->code;
    if (npos != 1)
        return isms_cli_usage(cli, st, "%s", usage);
    *req_id = (char *)pos[0];
    if (isms_cli_call(cli, method, req, &isms__v1__remove_response__descriptor, &msg, st) !=
        ISMS_OK)
        return st->code;
    t = isms_out_record(out, "removed", removed_cols, NCOLS(removed_cols));
    isms_out_str(t, ((const Isms__V1__RemoveResponse *)msg)->id);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static enum isms_code run_party_remove(struct isms_cli *cli, int argc, char **argv,
                                       struct isms_out *out, struct isms_status *st)
{
    Isms__V1__RemovePartyRequest req = ISMS__V1__REMOVE_PARTY_REQUEST__INIT;

    return remove_one(cli, argc, argv, out, "context party remove needs one ID-or-NAME",
                      "/isms.v1.Context/RemoveParty", &req.base, &req.id, st);
}

static enum isms_code run_issue_add(struct isms_cli *cli, int argc, char **argv,
                                    struct isms_out *out, struct isms_status *st)
{
    Isms__V1__AddIssueRequest req = ISMS__V1__ADD_ISSUE_REQUEST__INIT;
    const char *kind = NULL, *description = NULL;
    const struct isms_opt opts[] = {
        {"kind", "internal|external", &kind, NULL},
        {"description", "TEXT", &description, NULL},
    };
    const char *pos[1];
    size_t npos;
    ProtobufCMessage *msg = NULL;
    struct isms_out_table *t;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 1, &npos, st) != ISMS_OK)
        return st->code;
    if (kind == NULL)
        return isms_cli_usage(cli, st, "context issue add needs --kind internal|external");
    if (npos == 1 && description != NULL)
        return isms_cli_usage(cli, st, "give the description once: --description TEXT or TEXT");
    if (npos == 1)
        description = pos[0];
    if (description == NULL)
        return isms_cli_usage(cli, st,
                              "context issue add needs a description (--description "
                              "TEXT, or TEXT after the options)");
    req.kind = (char *)kind;
    req.description = (char *)description;
    if (isms_cli_call(cli, "/isms.v1.Context/AddIssue", &req.base,
                      &isms__v1__context_issue__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    t = isms_out_record(out, "issue", issue_cols, NCOLS(issue_cols));
    add_issue_row(t, (const Isms__V1__ContextIssue *)msg);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static enum isms_code run_issue_list(struct isms_cli *cli, int argc, char **argv,
                                     struct isms_out *out, struct isms_status *st)
{
    ProtobufCMessage *msg = NULL;
    const Isms__V1__IsmsContext *c;
    struct isms_out_table *t;

    if (no_args(cli, argc, argv, st) != ISMS_OK || get_context(cli, &msg, st) != ISMS_OK)
        return st->code;
    c = (const Isms__V1__IsmsContext *)msg;
    t = isms_out_list(out, "Issues", issue_cols, NCOLS(issue_cols));
    for (size_t i = 0; i < c->n_issues; i++) {
        isms_out_row(t);
        add_issue_row(t, c->issues[i]);
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static enum isms_code run_issue_remove(struct isms_cli *cli, int argc, char **argv,
                                       struct isms_out *out, struct isms_status *st)
{
    Isms__V1__RemoveIssueRequest req = ISMS__V1__REMOVE_ISSUE_REQUEST__INIT;

    return remove_one(cli, argc, argv, out, "context issue remove needs one ID",
                      "/isms.v1.Context/RemoveIssue", &req.base, &req.id, st);
}

static const struct isms_cmd context_cmds[] = {
    {"context", "show", run_show, "",
     "organisation, scope, version, last update, interested parties and issues"},
    {"context", "set", run_set, "[--org NAME] [--scope TEXT] [--expect-version N]",
     "change the organisation name and/or the ISMS scope (at least one); with "
     "--expect-version, only if the context is still at version N (else ABORTED)"},
    {"context", "party add", run_party_add,
     "--name NAME [--kind internal|external] [--requirements TEXT]",
     "record an interested party and its requirements (kind defaults to external)"},
    {"context", "party list", run_party_list, "", "list the interested parties"},
    {"context", "party remove", run_party_remove, "ID-or-NAME",
     "remove an interested party by id (P-<n>) or exact name"},
    {"context", "issue add", run_issue_add, "--kind internal|external (--description TEXT | TEXT)",
     "record an internal or external issue"},
    {"context", "issue list", run_issue_list, "", "list the internal and external issues"},
    {"context", "issue remove", run_issue_remove, "ID", "remove an issue by id (I-<n>)"},
};

const struct isms_noun isms_noun_context = {
    "context",
    "context of the organisation (ISO/IEC 27001 clause 4): scope, interested parties, issues",
    context_cmds,
    NCOLS(context_cmds),
};
