/* client/cmd_control.c — `ismsctl control ...`: the Annex A catalogue and custom controls, and
 * the organisation's record of each control (isms.v1.Control). List streams; every other
 * command is one call whose request the flags fill (cmd.h). */
#include <string.h>

#include "cli.h"
#include "cmd_control_import.h"

#include "isms/v1/control.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const struct isms_out_col list_cols[] = {
    {"id", ISMS_OUT_STR},
    {"theme", ISMS_OUT_STR},
    {"title", ISMS_OUT_STR},
    {"applicable", ISMS_OUT_STR},
    {"status", ISMS_OUT_STR},
    {"owner", ISMS_OUT_STR},
    {"linked_risks", ISMS_OUT_STRS},
    {"version", ISMS_OUT_I64},
};

static const struct isms_out_col record_cols[] = {
    {"id", ISMS_OUT_STR},
    {"theme", ISMS_OUT_STR},
    {"title", ISMS_OUT_STR},
    {"custom", ISMS_OUT_BOOL},
    {"source", ISMS_OUT_STR},
    {"description", ISMS_OUT_STR},
    {"control_type", ISMS_OUT_STRS},
    {"security_properties", ISMS_OUT_STRS},
    {"cybersecurity_concepts", ISMS_OUT_STRS},
    {"operational_capabilities", ISMS_OUT_STRS},
    {"security_domains", ISMS_OUT_STRS},
    {"applicable", ISMS_OUT_STR},
    {"reasons", ISMS_OUT_STRS},
    {"inclusion_justification", ISMS_OUT_STR},
    {"exclusion_justification", ISMS_OUT_STR},
    {"status", ISMS_OUT_STR},
    {"target_date", ISMS_OUT_STR},
    {"owner", ISMS_OUT_STR},
    {"implementation", ISMS_OUT_STR},
    {"linked_risks", ISMS_OUT_STRS},
    {"version", ISMS_OUT_I64},
    {"updated_at", ISMS_OUT_STR},
    {"updated_by", ISMS_OUT_STR},
};

/* Evidence references may hold commas, so they are a nested list rather than a word list. */
static const struct isms_out_col evidence_cols[] = {
    {"reference", ISMS_OUT_STR},
};

static const struct isms_out_col deleted_cols[] = {
    {"id", ISMS_OUT_STR},
};

/* Fills `out` with one control: its fields, then its evidence references. */
static void fill_record(struct isms_out *out, const Isms__V1__ControlRecord *c)
{
    struct isms_out_table *t = isms_out_record(out, "control", record_cols, NCOLS(record_cols));
    struct isms_out_table *ev;

    isms_out_str(t, c->id);
    isms_out_str(t, c->theme);
    isms_out_str(t, c->title);
    isms_out_bool(t, c->custom);
    isms_out_str(t, c->source);
    isms_out_str(t, c->description);
    isms_out_strs(t, c->control_type, c->n_control_type);
    isms_out_strs(t, c->security_properties, c->n_security_properties);
    isms_out_strs(t, c->cybersecurity_concepts, c->n_cybersecurity_concepts);
    isms_out_strs(t, c->operational_capabilities, c->n_operational_capabilities);
    isms_out_strs(t, c->security_domains, c->n_security_domains);
    isms_out_str(t, c->applicable);
    isms_out_strs(t, c->reasons, c->n_reasons);
    isms_out_str(t, c->inclusion_justification);
    isms_out_str(t, c->exclusion_justification);
    isms_out_str(t, c->status);
    isms_out_str(t, c->target_date);
    isms_out_str(t, c->owner);
    isms_out_str(t, c->implementation);
    isms_out_strs(t, c->linked_risks, c->n_linked_risks);
    isms_out_i64(t, c->version);
    isms_out_str(t, c->updated_at);
    isms_out_str(t, c->updated_by);
    ev = isms_out_sublist(out, "evidence", "Evidence", evidence_cols, NCOLS(evidence_cols));
    for (size_t i = 0; ev != NULL && i < c->n_evidence; i++) {
        isms_out_row(ev);
        isms_out_str(ev, c->evidence[i]);
    }
}
/* ---- list ----------------------------------------------------------------------------------- */

static enum isms_code add_list_row(void *ud, const ProtobufCMessage *item, struct isms_status *st)
{
    struct isms_out_table *t = ud;
    const Isms__V1__ControlRecord *c = (const Isms__V1__ControlRecord *)item;

    (void)st;
    isms_out_row(t);
    isms_out_str(t, c->id);
    isms_out_str(t, c->theme);
    isms_out_str(t, c->title);
    isms_out_str(t, c->applicable);
    isms_out_str(t, c->status);
    isms_out_str(t, c->owner);
    isms_out_strs(t, c->linked_risks, c->n_linked_risks);
    isms_out_i64(t, c->version);
    return ISMS_OK;
}

static enum isms_code render_record(struct isms_cli *cli, const struct isms_args *a,
                                    ProtobufCMessage *msg, struct isms_out *out,
                                    struct isms_status *st)
{
    (void)cli;
    (void)a;
    (void)st;
    fill_record(out, (const Isms__V1__ControlRecord *)msg);
    return ISMS_OK;
}

static enum isms_code run_list(struct isms_cli *cli, const struct isms_args *a,
                               ProtobufCMessage *msg, struct isms_out *out, struct isms_status *st)
{
    const Isms__V1__ListControlsRequest *req = (const Isms__V1__ListControlsRequest *)msg;
    struct isms_out_table *t;

    (void)a;
    for (size_t i = 0; i < req->n_attributes; i++) {
        if (strchr(req->attributes[i], '=') == NULL)
            return isms_cli_usage(cli, st,
                                  "--attribute needs KEY=VALUE, e.g. concept=Detect (keys: type, "
                                  "property, concept, capability, domain)");
    }
    t = isms_out_list(out, "Controls", list_cols, NCOLS(list_cols));
    return isms_cli_stream(cli, "/isms.v1.Control/List", msg, &isms__v1__control_record__descriptor,
                           add_list_row, t, st);
}

/* --reason none: the reasons are set to an empty list. */
static enum isms_code prepare_set(struct isms_cli *cli, const struct isms_args *a,
                                  ProtobufCMessage *msg, struct isms_out *out,
                                  struct isms_status *st)
{
    Isms__V1__SetControlRequest *req = (Isms__V1__SetControlRequest *)msg;

    (void)cli;
    (void)a;
    (void)out;
    (void)st;
    if (req->n_reasons == 1 && strcmp(req->reasons[0], "none") == 0)
        req->n_reasons = 0;
    return ISMS_OK;
}

static enum isms_code render_deleted(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    struct isms_out_table *t = isms_out_record(out, "deleted", deleted_cols, NCOLS(deleted_cols));

    (void)cli;
    (void)a;
    (void)st;
    isms_out_str(t, ((const Isms__V1__DeleteCustomControlResponse *)msg)->id);
    return ISMS_OK;
}

#define THEMES   "Organizational|People|Physical|Technological|Custom"
#define STATUSES "not_started|planned|partially_implemented|implemented|not_applicable"

/* A field of `control set`: any of them is a change. */
#define CHANGE_STR(n, mv, fld, hlp)                                                                \
    {                                                                                              \
        .name = (n), .kind = ISMS_FLAG_STRING, .metavar = (mv), .field = (fld),                    \
        .opts = ISMS_OPT_CHANGE, .help = (hlp)                                                     \
    }
#define CHANGE_LIST(n, fld, hlp, other)                                                            \
    {                                                                                              \
        .name = (n), .kind = ISMS_FLAG_LIST, .metavar = "E", .field = (fld),                       \
        .opts = ISMS_OPT_CHANGE, .without = (other), .help = (hlp)                                 \
    }

static const struct isms_flag list_flags[] = {
    {.name = "theme",
     .kind = ISMS_FLAG_ENUM,
     .metavar = "T",
     .choices = THEMES,
     .field = "theme",
     .opts = ISMS_OPT_OPEN,
     .help = "one theme: " THEMES},
    {.name = "status",
     .kind = ISMS_FLAG_ENUM,
     .metavar = "S",
     .choices = STATUSES,
     .field = "status",
     .opts = ISMS_OPT_OPEN,
     .help = "implementation status"},
    {.name = "applicable",
     .kind = ISMS_FLAG_ENUM,
     .choices = "yes|no|undecided",
     .field = "applicable",
     .opts = ISMS_OPT_OPEN,
     .help = "applicability"},
    {.name = "attribute",
     .kind = ISMS_FLAG_LIST,
     .metavar = "KEY=VALUE",
     .field = "attributes",
     .help = "an ISO/IEC 27002 attribute (type, property, concept, capability, domain); all "
             "must match"},
    ISMS_F_BOOL("custom", "custom_only", "custom controls only"),
    {0},
};

static const struct isms_arg id_args[] = {{.name = "ID", .field = "id"}, {0}};

static const struct isms_flag set_flags[] = {
    {.name = "applicable",
     .kind = ISMS_FLAG_ENUM,
     .choices = "yes|no|undecided",
     .field = "applicable",
     .opts = ISMS_OPT_CHANGE,
     .help = "whether the control applies"},
    {.name = "reason",
     .kind = ISMS_FLAG_LIST,
     .metavar = "R1,R2",
     .field = "reasons",
     .opts = ISMS_OPT_CHANGE | ISMS_OPT_SPLIT,
     .help = "why: legal, contractual, business_requirement, risk_treatment, best_practice, "
             "or none"},
    CHANGE_STR("justification", "TEXT", "justification",
               "why it is included, or excluded when it ends up excluded (older form of the two "
               "below)"),
    CHANGE_STR("inclusion-justification", "TEXT", "inclusion_justification",
               "why it is included (at least 20 characters for `soa check`)"),
    CHANGE_STR("exclusion-justification", "TEXT", "exclusion_justification",
               "why it is excluded (with --applicable no; at least 20 characters)"),
    CHANGE_STR("target-date", "YYYY-MM-DD", "target_date",
               "when a planned or partially implemented control is due (\"\" clears)"),
    {.name = "status",
     .kind = ISMS_FLAG_ENUM,
     .metavar = "S",
     .choices = STATUSES,
     .field = "status",
     .opts = ISMS_OPT_CHANGE | ISMS_OPT_OPEN,
     .help = "implementation status: " STATUSES},
    CHANGE_STR("owner", "USER", "owner", "the account responsible for the control"),
    CHANGE_STR("implementation", "TEXT", "implementation", "how it is implemented"),
    CHANGE_LIST("evidence", "evidence",
                "replaces the evidence list (document ids, http(s) URLs, sha256:<hex>)",
                "no-evidence"),
    CHANGE_LIST("add-evidence", "add_evidence", "adds one evidence reference", NULL),
    CHANGE_LIST("remove-evidence", "remove_evidence", "removes one evidence reference", NULL),
    {.name = "no-evidence",
     .kind = ISMS_FLAG_BOOL,
     .field = "set_evidence",
     .opts = ISMS_OPT_CHANGE,
     .help = "empties the evidence list"},
    CHANGE_STR("title", "T", "title", "custom controls only"),
    CHANGE_STR("source", "S", "source", "custom controls only"),
    CHANGE_STR("description", "TEXT", "description", "custom controls only"),
    ISMS_F_EXPECT_VERSION,
    {0},
};

static const struct isms_flag add_custom_flags[] = {
    {.name = "title",
     .kind = ISMS_FLAG_STRING,
     .metavar = "T",
     .field = "title",
     .opts = ISMS_OPT_REQUIRED,
     .help = "the control's title"},
    {.name = "source",
     .kind = ISMS_FLAG_STRING,
     .metavar = "S",
     .field = "source",
     .opts = ISMS_OPT_REQUIRED,
     .help = "where it comes from (a contract, a customer requirement)"},
    ISMS_F_STR("description", "TEXT", "description", "what the control requires"),
    {0},
};

static const struct isms_flag delete_custom_flags[] = {ISMS_F_EXPECT_VERSION, {0}};

static const struct isms_arg import_args[] = {{.name = "FILE"}, {0}};
static const struct isms_flag import_flags[] = {
    {.name = "dry-run", .kind = ISMS_FLAG_BOOL, .help = "show what would change; change nothing"},
    {0},
};

static const struct isms_cmd control_cmds[] = {
    {.noun = "control",
     .verb = "list",
     .summary = "Annex A controls in catalogue order, then custom controls; --theme "
                "Organizational, People, Physical, Technological or Custom; --attribute filters "
                "on the ISO/IEC 27002 attributes (keys type, property, concept, capability, "
                "domain; e.g. concept=Detect), repeatable (all must match)",
     .flags = list_flags,
     .req = &isms__v1__list_controls_request__descriptor,
     .run = run_list},
    {.noun = "control",
     .verb = "show",
     .summary = "one control (8.7, A.8.7 or a custom id): catalogue text, attributes and the "
                "organisation's record with evidence and the risks whose treatment selects it",
     .args = id_args,
     .req = &isms__v1__get_control_request__descriptor,
     .method = "/isms.v1.Control/Get",
     .resp = &isms__v1__control_record__descriptor,
     .render = render_record},
    {.noun = "control",
     .verb = "set",
     .summary = "record applicability and why (reasons: legal, contractual, business_requirement, "
                "risk_treatment, best_practice, or none; --inclusion-justification; an exclusion "
                "needs --exclusion-justification), status (not_started, planned, "
                "partially_implemented, implemented, not_applicable), target date, owner (an "
                "account), how it is implemented and evidence (document ids, http(s) URLs, "
                "sha256:<hex>; --evidence replaces the list); excluding a control clears its "
                "reasons, inclusion justification, target date and status, including it clears "
                "the exclusion justification; --title, --source, --description only for custom "
                "controls",
     .args = id_args,
     .flags = set_flags,
     .req = &isms__v1__set_control_request__descriptor,
     .method = "/isms.v1.Control/Set",
     .resp = &isms__v1__control_record__descriptor,
     .prepare = prepare_set,
     .render = render_record},
    {.noun = "control",
     .verb = "add-custom",
     .summary = "add a control of your own (e.g. a customer requirement); its id must not look "
                "like an Annex A id",
     .args = id_args,
     .flags = add_custom_flags,
     .req = &isms__v1__create_custom_control_request__descriptor,
     .method = "/isms.v1.Control/CreateCustom",
     .resp = &isms__v1__control_record__descriptor,
     .render = render_record},
    {.noun = "control",
     .verb = "delete-custom",
     .summary = "delete a custom control no risk treatment selects",
     .args = id_args,
     .flags = delete_custom_flags,
     .req = &isms__v1__delete_custom_control_request__descriptor,
     .method = "/isms.v1.Control/DeleteCustom",
     .resp = &isms__v1__delete_custom_control_response__descriptor,
     .render = render_deleted},
    {.noun = "control",
     .verb = "import",
     .summary = "apply a whole SoA prepared in a spreadsheet: FILE is CSV as `soa export --format "
                "csv` writes it (header lines before the column row are skipped; position, "
                "theme, title, custom, source and linked_risks are read-only and ignored); every "
                "row replaces the record of its control, all rows or none in one transaction; "
                "--dry-run shows what would change and changes nothing; a bad row is refused "
                "with its line number and the reason",
     .args = import_args,
     .flags = import_flags,
     .run = isms_control_import_run},
};

const struct isms_noun isms_noun_control = {
    "control",
    "the ISO/IEC 27001:2022 Annex A catalogue, custom controls and the record of each control",
    control_cmds,
    NCOLS(control_cmds),
};
