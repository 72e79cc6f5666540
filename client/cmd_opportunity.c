/* client/cmd_opportunity.c — `ismsctl opportunity ...`: opportunities (ISO/IEC 27001:2022
 * 6.1.1) with owner, action and status, and the sources of risks and opportunities (context
 * issues 4.1, interested parties 4.2) over /isms.v1.Opportunity. */
#include "cli.h"

#include "isms/v1/opportunity.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))
#define STATUSES "identified|planned|in_progress|realised|dropped"

static const struct isms_out_col opp_cols[] = {
    {"id", ISMS_OUT_STR},         {"title", ISMS_OUT_STR},      {"description", ISMS_OUT_STR},
    {"owner", ISMS_OUT_STR},      {"action", ISMS_OUT_STR},     {"status", ISMS_OUT_STR},
    {"version", ISMS_OUT_I64},    {"created_at", ISMS_OUT_STR}, {"created_by", ISMS_OUT_STR},
    {"updated_at", ISMS_OUT_STR}, {"updated_by", ISMS_OUT_STR},
};

static const struct isms_out_col list_cols[] = {
    {"id", ISMS_OUT_STR},      {"title", ISMS_OUT_STR},  {"owner", ISMS_OUT_STR},
    {"status", ISMS_OUT_STR},  {"action", ISMS_OUT_STR}, {"sources", ISMS_OUT_STRS},
    {"version", ISMS_OUT_I64},
};

static const struct isms_out_col source_cols[] = {{"id", ISMS_OUT_STR}, {"text", ISMS_OUT_STR}};

static void fill_sources(struct isms_out_table *t, Isms__V1__PlanSource *const *s, size_t n)
{
    for (size_t k = 0; t != NULL && k < n; k++) {
        isms_out_row(t);
        isms_out_str(t, s[k]->id);
        isms_out_str(t, s[k]->text);
    }
}

static enum isms_code render_opp(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *msg, struct isms_out *out,
                                 struct isms_status *st)
{
    const Isms__V1__OpportunityRecord *o = (const Isms__V1__OpportunityRecord *)msg;
    struct isms_out_table *t = isms_out_record(out, "opportunity", opp_cols, NCOLS(opp_cols));

    (void)cli;
    (void)a;
    (void)st;
    isms_out_str(t, o->id);
    isms_out_str(t, o->title);
    isms_out_str(t, o->description);
    isms_out_str(t, o->owner);
    isms_out_str(t, o->action);
    isms_out_str(t, o->status);
    isms_out_i64(t, o->version);
    isms_out_str(t, o->created_at);
    isms_out_str(t, o->created_by);
    isms_out_str(t, o->updated_at);
    isms_out_str(t, o->updated_by);
    fill_sources(isms_out_sublist(out, "sources", "Sources (4.1 issues, 4.2 parties)", source_cols,
                                  NCOLS(source_cols)),
                 o->sources, o->n_sources);
    return ISMS_OK;
}

static enum isms_code render_list(struct isms_cli *cli, const struct isms_args *a,
                                  ProtobufCMessage *msg, struct isms_out *out,
                                  struct isms_status *st)
{
    const Isms__V1__ListOpportunitiesResponse *r = (const Isms__V1__ListOpportunitiesResponse *)msg;
    struct isms_out_table *t = isms_out_list(out, "opportunities", list_cols, NCOLS(list_cols));

    (void)cli;
    (void)a;
    (void)st;
    for (size_t k = 0; k < r->n_opportunities; k++) {
        const Isms__V1__OpportunityRecord *o = r->opportunities[k];
        char *ids[100];
        size_t n = o->n_sources < 100 ? o->n_sources : 100;

        for (size_t j = 0; j < n; j++)
            ids[j] = o->sources[j]->id;
        isms_out_row(t);
        isms_out_str(t, o->id);
        isms_out_str(t, o->title);
        isms_out_str(t, o->owner);
        isms_out_str(t, o->status);
        isms_out_str(t, o->action);
        isms_out_strs(t, ids, n);
        isms_out_i64(t, o->version);
    }
    return ISMS_OK;
}

static enum isms_code render_sources(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    const Isms__V1__PlanSources *r = (const Isms__V1__PlanSources *)msg;
    struct isms_out_table *t = isms_out_list(out, "sources", source_cols, NCOLS(source_cols));

    (void)cli;
    (void)a;
    (void)st;
    fill_sources(t, r->sources, r->n_sources);
    if (r->n_sources == 0)
        isms_out_text(out, "%s has no sources", r->entity);
    return ISMS_OK;
}

static const struct isms_arg id_args[] = {{.name = "OPP-<n>", .field = "id"}, {0}};
static const struct isms_arg entity_args[] = {{.name = "R-<n>|OPP-<n>", .field = "entity"}, {0}};

static const struct isms_flag create_flags[] = {
    {.name = "title",
     .kind = ISMS_FLAG_STRING,
     .metavar = "TEXT",
     .field = "title",
     .opts = ISMS_OPT_REQUIRED,
     .help = "a short name for the opportunity"},
    {.name = "owner",
     .kind = ISMS_FLAG_STRING,
     .metavar = "USER",
     .field = "owner",
     .opts = ISMS_OPT_REQUIRED,
     .help = "the account that owns it"},
    ISMS_F_STR("description", "TEXT", "description", "what the opportunity is"),
    ISMS_F_STR("action", "TEXT", "action", "what will be done to realise it"),
    {.name = "status",
     .kind = ISMS_FLAG_ENUM,
     .choices = STATUSES,
     .field = "status",
     .opts = ISMS_OPT_OPEN,
     .help = "default identified"},
    {0},
};

static const struct isms_flag list_flags[] = {
    {.name = "status",
     .kind = ISMS_FLAG_ENUM,
     .choices = STATUSES,
     .field = "status",
     .opts = ISMS_OPT_OPEN,
     .help = "only opportunities in this status"},
    ISMS_F_STR("owner", "USER", "owner", "only this owner's opportunities"),
    {0},
};

#define CHANGE(n, mv, fld, hlp)                                                                    \
    {                                                                                              \
        .name = (n), .kind = ISMS_FLAG_STRING, .metavar = (mv), .field = (fld),                    \
        .opts = ISMS_OPT_CHANGE, .help = (hlp)                                                     \
    }

static const struct isms_flag update_flags[] = {
    CHANGE("title", "TEXT", "title", "a short name"),
    CHANGE("description", "TEXT", "description", "what the opportunity is"),
    CHANGE("owner", "USER", "owner", "a new owner (an active account)"),
    CHANGE("action", "TEXT", "action", "what will be done to realise it"),
    {.name = "status",
     .kind = ISMS_FLAG_ENUM,
     .choices = STATUSES,
     .field = "status",
     .opts = ISMS_OPT_OPEN | ISMS_OPT_CHANGE,
     .help = "its progress"},
    ISMS_F_EXPECT_VERSION,
    {0},
};

static const struct isms_flag link_flags[] = {
    {.name = "add",
     .kind = ISMS_FLAG_LIST,
     .metavar = "I-<n>|P-<n>",
     .field = "add",
     .opts = ISMS_OPT_SPLIT,
     .help = "a context issue (4.1) or interested party (4.2) it comes from"},
    {.name = "remove",
     .kind = ISMS_FLAG_LIST,
     .metavar = "I-<n>|P-<n>",
     .field = "remove",
     .opts = ISMS_OPT_SPLIT,
     .help = "a source to drop"},
    {0},
};

static const struct isms_cmd opp_cmds[] = {
    {.noun = "opportunity",
     .verb = "create",
     .summary = "record an opportunity (6.1.1, isms_manager): owner, action, status",
     .flags = create_flags,
     .req = &isms__v1__create_opportunity_request__descriptor,
     .method = "/isms.v1.Opportunity/Create",
     .resp = &isms__v1__opportunity_record__descriptor,
     .render = render_opp,
     .example = "opportunity create --title \"ISO 27001 certificate wins tenders\" --owner alice "
                "--action \"certify by Q3\""},
    {.noun = "opportunity",
     .verb = "list",
     .summary = "opportunities in id order (at most 1,000), with their sources",
     .flags = list_flags,
     .req = &isms__v1__list_opportunities_request__descriptor,
     .method = "/isms.v1.Opportunity/List",
     .resp = &isms__v1__list_opportunities_response__descriptor,
     .render = render_list,
     .example = "opportunity list --status planned"},
    {.noun = "opportunity",
     .verb = "show",
     .summary = "one opportunity with its sources",
     .args = id_args,
     .req = &isms__v1__get_opportunity_request__descriptor,
     .method = "/isms.v1.Opportunity/Get",
     .resp = &isms__v1__opportunity_record__descriptor,
     .render = render_opp,
     .example = "opportunity show OPP-1"},
    {.noun = "opportunity",
     .verb = "update",
     .summary = "change an opportunity (isms_manager, or its owner); with --expect-version, "
                "only if it is still at version N (else ABORTED)",
     .args = id_args,
     .flags = update_flags,
     .req = &isms__v1__update_opportunity_request__descriptor,
     .method = "/isms.v1.Opportunity/Update",
     .resp = &isms__v1__opportunity_record__descriptor,
     .render = render_opp,
     .example = "opportunity update OPP-1 --status in_progress --expect-version 1"},
    {.noun = "opportunity",
     .verb = "link",
     .summary = "the sources of a risk or an opportunity: the context issues (4.1) and "
                "interested parties' requirements (4.2) it comes from; --add and --remove "
                "change them (isms_manager, or the owner), without them it lists them",
     .args = entity_args,
     .flags = link_flags,
     .req = &isms__v1__link_sources_request__descriptor,
     .method = "/isms.v1.Opportunity/Link",
     .resp = &isms__v1__plan_sources__descriptor,
     .render = render_sources,
     .example = "opportunity link R-1 --add I-1 --add P-2\nopportunity link OPP-1 --add P-1"},
};

const struct isms_noun isms_noun_opportunity = {
    "opportunity",
    "opportunities (ISO/IEC 27001 6.1.1) and the sources of risks and opportunities (4.1, 4.2)",
    opp_cmds,
    NCOLS(opp_cmds),
};
