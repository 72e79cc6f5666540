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
    {"id", ISMS_OUT_STR},           {"name", ISMS_OUT_STR},           {"kind", ISMS_OUT_STR},
    {"requirements", ISMS_OUT_STR}, {"created_at", ISMS_OUT_STR},     {"version", ISMS_OUT_I64},
    {"addressed", ISMS_OUT_STR},    {"addressed_note", ISMS_OUT_STR},
};

static const struct isms_out_col issue_cols[] = {
    {"id", ISMS_OUT_STR},         {"kind", ISMS_OUT_STR},    {"description", ISMS_OUT_STR},
    {"created_at", ISMS_OUT_STR}, {"version", ISMS_OUT_I64},
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
    isms_out_i64(t, p->version);
    isms_out_str(t, p->addressed);
    isms_out_str(t, p->addressed_note);
}

static void add_issue_row(struct isms_out_table *t, const Isms__V1__ContextIssue *i)
{
    isms_out_str(t, i->id);
    isms_out_str(t, i->kind);
    isms_out_str(t, i->description);
    isms_out_str(t, i->created_at);
    isms_out_i64(t, i->version);
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

static enum isms_code render_context(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    (void)cli;
    (void)a;
    (void)st;
    fill_context(out, (const Isms__V1__IsmsContext *)msg);
    return ISMS_OK;
}

static enum isms_code render_party(struct isms_cli *cli, const struct isms_args *a,
                                   ProtobufCMessage *msg, struct isms_out *out,
                                   struct isms_status *st)
{
    struct isms_out_table *t =
        isms_out_record(out, "interested party", party_cols, NCOLS(party_cols));

    (void)cli;
    (void)a;
    (void)st;
    add_party_row(t, (const Isms__V1__InterestedParty *)msg);
    return ISMS_OK;
}

static enum isms_code render_parties(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    const Isms__V1__IsmsContext *c = (const Isms__V1__IsmsContext *)msg;
    struct isms_out_table *t =
        isms_out_list(out, "Interested parties", party_cols, NCOLS(party_cols));

    (void)cli;
    (void)a;
    (void)st;
    for (size_t i = 0; i < c->n_parties; i++) {
        isms_out_row(t);
        add_party_row(t, c->parties[i]);
    }
    return ISMS_OK;
}

static enum isms_code render_issue(struct isms_cli *cli, const struct isms_args *a,
                                   ProtobufCMessage *msg, struct isms_out *out,
                                   struct isms_status *st)
{
    struct isms_out_table *t = isms_out_record(out, "issue", issue_cols, NCOLS(issue_cols));

    (void)cli;
    (void)a;
    (void)st;
    add_issue_row(t, (const Isms__V1__ContextIssue *)msg);
    return ISMS_OK;
}

static enum isms_code render_issues(struct isms_cli *cli, const struct isms_args *a,
                                    ProtobufCMessage *msg, struct isms_out *out,
                                    struct isms_status *st)
{
    const Isms__V1__IsmsContext *c = (const Isms__V1__IsmsContext *)msg;
    struct isms_out_table *t = isms_out_list(out, "Issues", issue_cols, NCOLS(issue_cols));

    (void)cli;
    (void)a;
    (void)st;
    for (size_t i = 0; i < c->n_issues; i++) {
        isms_out_row(t);
        add_issue_row(t, c->issues[i]);
    }
    return ISMS_OK;
}

/* `party remove` and `issue remove`: the id removed. */
static enum isms_code render_removed(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    struct isms_out_table *t = isms_out_record(out, "removed", removed_cols, NCOLS(removed_cols));

    (void)cli;
    (void)a;
    (void)st;
    isms_out_str(t, ((const Isms__V1__RemoveResponse *)msg)->id);
    return ISMS_OK;
}

#define KINDS "internal|external"

static const struct isms_flag set_flags[] = {
    {.name = "org",
     .kind = ISMS_FLAG_STRING,
     .metavar = "NAME",
     .field = "organization",
     .opts = ISMS_OPT_CHANGE,
     .help = "the organisation's name"},
    {.name = "scope",
     .kind = ISMS_FLAG_STRING,
     .metavar = "TEXT",
     .field = "scope",
     .opts = ISMS_OPT_CHANGE,
     .help = "the scope of the ISMS (clause 4.3)"},
    ISMS_F_EXPECT_VERSION,
    {0},
};

static const struct isms_flag party_add_flags[] = {
    {.name = "name",
     .kind = ISMS_FLAG_STRING,
     .metavar = "NAME",
     .field = "name",
     .opts = ISMS_OPT_REQUIRED,
     .help = "who the party is"},
    {.name = "kind",
     .kind = ISMS_FLAG_ENUM,
     .choices = KINDS,
     .field = "kind",
     .opts = ISMS_OPT_OPEN,
     .help = "default external"},
    ISMS_F_STR("requirements", "TEXT", "requirements", "what the party requires of the ISMS"),
    {0},
};

static const struct isms_arg party_remove_args[] = {{.name = "ID-or-NAME", .field = "id"}, {0}};

static const struct isms_arg issue_add_args[] = {
    {.name = "TEXT", .field = "description", .flag = "description"},
    {0},
};

static const struct isms_flag issue_add_flags[] = {
    {.name = "kind",
     .kind = ISMS_FLAG_ENUM,
     .choices = KINDS,
     .field = "kind",
     .opts = ISMS_OPT_REQUIRED | ISMS_OPT_OPEN,
     .help = "an internal or an external issue"},
    ISMS_F_STR("description", "TEXT", "description", "the issue (or TEXT after the options)"),
    {0},
};

static const struct isms_arg issue_remove_args[] = {{.name = "ID", .field = "id"}, {0}};

static const struct isms_flag party_update_flags[] = {
    {.name = "name",
     .kind = ISMS_FLAG_STRING,
     .metavar = "NAME",
     .field = "name",
     .opts = ISMS_OPT_CHANGE,
     .help = "a new name"},
    {.name = "kind",
     .kind = ISMS_FLAG_ENUM,
     .choices = KINDS,
     .field = "kind",
     .opts = ISMS_OPT_OPEN | ISMS_OPT_CHANGE,
     .help = "internal or external"},
    {.name = "requirements",
     .kind = ISMS_FLAG_STRING,
     .metavar = "TEXT",
     .field = "requirements",
     .opts = ISMS_OPT_CHANGE,
     .help = "what the party requires of the ISMS (4.2 b)"},
    {.name = "addressed",
     .kind = ISMS_FLAG_ENUM,
     .choices = "yes|partly|no",
     .field = "addressed",
     .opts = ISMS_OPT_OPEN | ISMS_OPT_CHANGE,
     .help = "whether the ISMS addresses these requirements (4.2 c); \"\" clears it"},
    {.name = "addressed-note",
     .kind = ISMS_FLAG_STRING,
     .metavar = "TEXT",
     .field = "addressed_note",
     .opts = ISMS_OPT_CHANGE,
     .help = "how the ISMS addresses them, or why not"},
    ISMS_F_EXPECT_VERSION,
    {0},
};

static const struct isms_flag issue_update_flags[] = {
    {.name = "kind",
     .kind = ISMS_FLAG_ENUM,
     .choices = KINDS,
     .field = "kind",
     .opts = ISMS_OPT_OPEN | ISMS_OPT_CHANGE,
     .help = "internal or external"},
    {.name = "description",
     .kind = ISMS_FLAG_STRING,
     .metavar = "TEXT",
     .field = "description",
     .opts = ISMS_OPT_CHANGE,
     .help = "the issue"},
    ISMS_F_EXPECT_VERSION,
    {0},
};

static const struct isms_cmd context_cmds[] = {
    {.noun = "context",
     .verb = "show",
     .summary = "organisation, scope, version, last update, interested parties and issues",
     .req = &isms__v1__get_context_request__descriptor,
     .method = "/isms.v1.Context/Get",
     .resp = &isms__v1__isms_context__descriptor,
     .render = render_context},
    {.noun = "context",
     .verb = "set",
     .summary = "change the organisation name and/or the ISMS scope (at least one); with "
                "--expect-version, only if the context is still at version N (else ABORTED)",
     .flags = set_flags,
     .req = &isms__v1__update_context_request__descriptor,
     .method = "/isms.v1.Context/Update",
     .resp = &isms__v1__isms_context__descriptor,
     .render = render_context},
    {.noun = "context",
     .verb = "party add",
     .summary = "record an interested party and its requirements (kind defaults to external)",
     .flags = party_add_flags,
     .req = &isms__v1__add_party_request__descriptor,
     .method = "/isms.v1.Context/AddParty",
     .resp = &isms__v1__interested_party__descriptor,
     .render = render_party},
    {.noun = "context",
     .verb = "party list",
     .summary = "list the interested parties",
     .req = &isms__v1__get_context_request__descriptor,
     .method = "/isms.v1.Context/Get",
     .resp = &isms__v1__isms_context__descriptor,
     .render = render_parties},
    {.noun = "context",
     .verb = "party remove",
     .summary = "remove an interested party by id (P-<n>) or exact name",
     .args = party_remove_args,
     .req = &isms__v1__remove_party_request__descriptor,
     .method = "/isms.v1.Context/RemoveParty",
     .resp = &isms__v1__remove_response__descriptor,
     .render = render_removed},
    {.noun = "context",
     .verb = "party update",
     .summary = "change an interested party (by P-<n> or exact name): name, kind, requirements, "
                "and whether the ISMS addresses them (4.2 c); with --expect-version, only if it "
                "is still at version N (else ABORTED)",
     .args = party_remove_args,
     .flags = party_update_flags,
     .req = &isms__v1__update_party_request__descriptor,
     .method = "/isms.v1.Context/UpdateParty",
     .resp = &isms__v1__interested_party__descriptor,
     .render = render_party,
     .example = "context party update P-1 --addressed yes --addressed-note \"A.5.34, DPA "
                "signed\"\ncontext party update Customers --requirements \"24/7 support\" "
                "--expect-version 2"},
    {.noun = "context",
     .verb = "issue add",
     .summary = "record an internal or external issue",
     .args = issue_add_args,
     .flags = issue_add_flags,
     .req = &isms__v1__add_issue_request__descriptor,
     .method = "/isms.v1.Context/AddIssue",
     .resp = &isms__v1__context_issue__descriptor,
     .render = render_issue},
    {.noun = "context",
     .verb = "issue list",
     .summary = "list the internal and external issues",
     .req = &isms__v1__get_context_request__descriptor,
     .method = "/isms.v1.Context/Get",
     .resp = &isms__v1__isms_context__descriptor,
     .render = render_issues},
    {.noun = "context",
     .verb = "issue remove",
     .summary = "remove an issue by id (I-<n>)",
     .args = issue_remove_args,
     .req = &isms__v1__remove_issue_request__descriptor,
     .method = "/isms.v1.Context/RemoveIssue",
     .resp = &isms__v1__remove_response__descriptor,
     .render = render_removed},
    {.noun = "context",
     .verb = "issue update",
     .summary = "change an issue's kind or description; with --expect-version, only if it is "
                "still at version N (else ABORTED)",
     .args = issue_remove_args,
     .flags = issue_update_flags,
     .req = &isms__v1__update_issue_request__descriptor,
     .method = "/isms.v1.Context/UpdateIssue",
     .resp = &isms__v1__context_issue__descriptor,
     .render = render_issue,
     .example = "context issue update I-1 --description \"admins now have personal accounts\" "
                "--expect-version 1"},
};

const struct isms_noun isms_noun_context = {
    "context",
    "context of the organisation (ISO/IEC 27001 clause 4): scope, interested parties, issues",
    context_cmds,
    NCOLS(context_cmds),
};
