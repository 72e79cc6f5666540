/* client/cmd_control.c — `ismsctl control ...`: the Annex A catalogue and custom controls, and
 * the organisation's record of each control (isms.v1.Control). List streams; repeatable
 * options (--evidence, --attribute) are taken out of argv before the common option parser. */
#include <string.h>

#include "cli.h"

#include "isms/v1/control.pb-c.h"

#define NCOLS(a)     (sizeof(a) / sizeof((a)[0]))
#define MAX_REPEATED 100

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
    {"justification", ISMS_OUT_STR},
    {"status", ISMS_OUT_STR},
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
    isms_out_str(t, c->justification);
    isms_out_str(t, c->status);
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

/* Fills `out` from a ControlRecord response and frees it. */
static enum isms_code record_from(struct isms_out *out, ProtobufCMessage *msg)
{
    fill_record(out, (const Isms__V1__ControlRecord *)msg);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

/* A repeatable option: every "--name V" / "--name=V" is collected into vals[]. */
struct multi_opt {
    const char *name;
    const char **vals;
    size_t n;
};

/*
 * Takes the repeatable options out of argv (compacting it in place; *argc shrinks), leaving
 * the rest for isms_cli_parse(). Options in `opts` that take a value, and the global ones, keep
 * their value word, so a value that looks like "--evidence" is never taken for the option.
 */
static enum isms_code take_multi(struct isms_cli *cli, int *argc, char **argv,
                                 const struct isms_opt *opts, size_t nopts, struct multi_opt *multi,
                                 size_t nmulti, struct isms_status *st)
{
    int o = 0;
    bool is_done = false;

    for (int i = 0; i < *argc; i++) {
        const char *a = argv[i];
        bool is_taken = false;

        if (is_done || strcmp(a, "--") == 0) {
            is_done = true;
            argv[o++] = argv[i];
            continue;
        }
        for (size_t k = 0; k < nmulti && !is_taken; k++) {
            size_t n = strlen(multi[k].name);

            if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, multi[k].name, n) != 0 ||
                (a[2 + n] != '\0' && a[2 + n] != '='))
                continue;
            if (multi[k].n >= MAX_REPEATED)
                return isms_cli_usage(cli, st, "--%s given more than %d times", multi[k].name,
                                      MAX_REPEATED);
            if (a[2 + n] == '=') {
                multi[k].vals[multi[k].n++] = a + 3 + n;
            } else {
                if (i + 1 >= *argc)
                    return isms_cli_usage(cli, st, "--%s needs a value", multi[k].name);
                multi[k].vals[multi[k].n++] = argv[++i];
            }
            is_taken = true;
        }
        if (is_taken)
            continue;
        argv[o++] = argv[i];
        if (strncmp(a, "--", 2) == 0 && strchr(a, '=') == NULL && i + 1 < *argc) {
            bool has_value = strcmp(a, "--server") == 0 || strcmp(a, "--output") == 0 ||
                             strcmp(a, "--timeout") == 0;

            for (size_t k = 0; k < nopts && !has_value; k++)
                has_value = opts[k].metavar != NULL && strcmp(a + 2, opts[k].name) == 0;
            if (has_value)
                argv[o++] = argv[++i];
        } else if (strcmp(a, "-o") == 0 && i + 1 < *argc) {
            argv[o++] = argv[++i];
        }
    }
    *argc = o;
    return ISMS_OK;
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

static enum isms_code run_list(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                               struct isms_status *st)
{
    Isms__V1__ListControlsRequest req = ISMS__V1__LIST_CONTROLS_REQUEST__INIT;
    const char *theme = NULL, *status = NULL, *applicable = NULL;
    bool is_custom = false;
    const struct isms_opt opts[] = {
        {"theme", "T", &theme, NULL},
        {"status", "S", &status, NULL},
        {"applicable", "yes|no|undecided", &applicable, NULL},
        {"custom", NULL, NULL, &is_custom},
    };
    const char *attrs[MAX_REPEATED];
    struct multi_opt multi[] = {{"attribute", attrs, 0}};
    const char *pos[1];
    size_t npos;
    struct isms_out_table *t;

    if (take_multi(cli, &argc, argv, opts, NCOLS(opts), multi, NCOLS(multi), st) != ISMS_OK ||
        isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 0, &npos, st) != ISMS_OK)
        return st->code;
    for (size_t i = 0; i < multi[0].n; i++) {
        if (strchr(attrs[i], '=') == NULL)
            return isms_cli_usage(cli, st,
                                  "--attribute needs KEY=VALUE, e.g. concept=Detect (keys: type, "
                                  "property, concept, capability, domain)");
    }
    req.theme = (char *)(theme != NULL ? theme : "");
    req.status = (char *)(status != NULL ? status : "");
    req.applicable = (char *)(applicable != NULL ? applicable : "");
    req.attributes = (char **)attrs;
    req.n_attributes = multi[0].n;
    req.custom_only = is_custom;
    t = isms_out_list(out, "Controls", list_cols, NCOLS(list_cols));
    return isms_cli_stream(cli, "/isms.v1.Control/List", &req.base,
                           &isms__v1__control_record__descriptor, add_list_row, t, st);
}

/* ---- show ----------------------------------------------------------------------------------- */

/* Parses exactly one positional ID (plus the options given). */
static enum isms_code one_id(struct isms_cli *cli, int argc, char **argv,
                             const struct isms_opt *opts, size_t nopts, const char *usage,
                             const char **id, struct isms_status *st)
{
    const char *pos[1];
    size_t npos;

    if (isms_cli_parse(cli, argc, argv, opts, nopts, pos, 1, &npos, st) != ISMS_OK)
        return st->code;
    if (npos != 1)
        return isms_cli_usage(cli, st, "%s", usage);
    *id = pos[0];
    return ISMS_OK;
}

static enum isms_code run_show(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                               struct isms_status *st)
{
    Isms__V1__GetControlRequest req = ISMS__V1__GET_CONTROL_REQUEST__INIT;
    const char *id = NULL;
    ProtobufCMessage *msg = NULL;

    if (one_id(cli, argc, argv, NULL, 0, "control show needs one control ID (e.g. 8.7)", &id, st) !=
        ISMS_OK)
        return st->code;
    req.id = (char *)id;
    if (isms_cli_call(cli, "/isms.v1.Control/Get", &req.base, &isms__v1__control_record__descriptor,
                      &msg, st) != ISMS_OK)
        return st->code;
    return record_from(out, msg);
}

/* ---- set ------------------------------------------------------------------------------------ */

static enum isms_code run_set(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                              struct isms_status *st)
{
    Isms__V1__SetControlRequest req = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    const char *applicable = NULL, *reasons = NULL, *justification = NULL, *status = NULL;
    const char *owner = NULL, *implementation = NULL, *title = NULL, *source = NULL;
    const char *description = NULL, *expect = NULL, *id = NULL;
    bool is_no_evidence = false;
    const struct isms_opt opts[] = {
        {"applicable", "yes|no|undecided", &applicable, NULL},
        {"reason", "R1,R2", &reasons, NULL},
        {"justification", "TEXT", &justification, NULL},
        {"status", "S", &status, NULL},
        {"owner", "NAME", &owner, NULL},
        {"implementation", "TEXT", &implementation, NULL},
        {"no-evidence", NULL, NULL, &is_no_evidence},
        {"title", "T", &title, NULL},
        {"source", "S", &source, NULL},
        {"description", "TEXT", &description, NULL},
        {"expect-version", "N", &expect, NULL},
    };
    const char *ev[MAX_REPEATED], *add[MAX_REPEATED], *rm[MAX_REPEATED];
    struct multi_opt multi[] = {
        {"evidence", ev, 0},
        {"add-evidence", add, 0},
        {"remove-evidence", rm, 0},
    };
    char **reason_list = NULL;
    size_t nreasons = 0;
    int64_t version = 0;
    ProtobufCMessage *msg = NULL;
    enum isms_code code;

    if (take_multi(cli, &argc, argv, opts, NCOLS(opts), multi, NCOLS(multi), st) != ISMS_OK ||
        one_id(cli, argc, argv, opts, NCOLS(opts), "control set needs one control ID (e.g. 8.7)",
               &id, st) != ISMS_OK)
        return st->code;
    if (applicable != NULL && strcmp(applicable, "yes") != 0 && strcmp(applicable, "no") != 0 &&
        strcmp(applicable, "undecided") != 0)
        return isms_cli_usage(cli, st, "--applicable needs yes, no or undecided, got \"%.40s\"",
                              applicable);
    if (expect != NULL && !isms_cli_parse_i64(expect, 0, INT64_MAX, &version))
        return isms_cli_usage(cli, st,
                              "--expect-version needs a version number (0 = no check), got "
                              "\"%.40s\"",
                              expect);
    if (is_no_evidence && multi[0].n > 0)
        return isms_cli_usage(cli, st, "give --no-evidence or --evidence, not both");
    if (applicable == NULL && reasons == NULL && justification == NULL && status == NULL &&
        owner == NULL && implementation == NULL && !is_no_evidence && multi[0].n == 0 &&
        multi[1].n == 0 && multi[2].n == 0 && title == NULL && source == NULL &&
        description == NULL)
        return isms_cli_usage(cli, st,
                              "control set needs something to change (--applicable, --reason, "
                              "--justification, --status, --owner, --implementation, "
                              "--evidence, ...)");
    if (reasons != NULL && strcmp(reasons, "none") != 0) {
        reason_list = isms_cli_split_list(reasons, &nreasons);
        if (reason_list == NULL)
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    req.id = (char *)id;
    req.expected_version = version;
    req.set_applicable = applicable != NULL;
    req.applicable = (char *)(applicable != NULL ? applicable : "");
    req.set_reasons = reasons != NULL;
    req.reasons = reason_list;
    req.n_reasons = nreasons;
    req.set_justification = justification != NULL;
    req.justification = (char *)(justification != NULL ? justification : "");
    req.set_status = status != NULL;
    req.status = (char *)(status != NULL ? status : "");
    req.set_owner = owner != NULL;
    req.owner = (char *)(owner != NULL ? owner : "");
    req.set_implementation = implementation != NULL;
    req.implementation = (char *)(implementation != NULL ? implementation : "");
    req.set_evidence = is_no_evidence || multi[0].n > 0;
    req.evidence = (char **)ev;
    req.n_evidence = multi[0].n;
    req.add_evidence = (char **)add;
    req.n_add_evidence = multi[1].n;
    req.remove_evidence = (char **)rm;
    req.n_remove_evidence = multi[2].n;
    req.set_title = title != NULL;
    req.title = (char *)(title != NULL ? title : "");
    req.set_source = source != NULL;
    req.source = (char *)(source != NULL ? source : "");
    req.set_description = description != NULL;
    req.description = (char *)(description != NULL ? description : "");
    code = isms_cli_call(cli, "/isms.v1.Control/Set", &req.base,
                         &isms__v1__control_record__descriptor, &msg, st);
    isms_cli_free_list(reason_list);
    if (code != ISMS_OK)
        return code;
    return record_from(out, msg);
}

/* ---- add-custom, delete-custom ------------------------------------------------------------- */

static enum isms_code run_add_custom(struct isms_cli *cli, int argc, char **argv,
                                     struct isms_out *out, struct isms_status *st)
{
    Isms__V1__CreateCustomControlRequest req = ISMS__V1__CREATE_CUSTOM_CONTROL_REQUEST__INIT;
    const char *title = NULL, *source = NULL, *description = NULL, *id = NULL;
    const struct isms_opt opts[] = {
        {"title", "T", &title, NULL},
        {"source", "S", &source, NULL},
        {"description", "TEXT", &description, NULL},
    };
    ProtobufCMessage *msg = NULL;

    if (one_id(cli, argc, argv, opts, NCOLS(opts),
               "control add-custom needs one ID of your own (e.g. CUST-1)", &id, st) != ISMS_OK)
        return st->code;
    if (title == NULL || source == NULL)
        return isms_cli_usage(cli, st, "control add-custom needs --title T and --source S");
    req.id = (char *)id;
    req.title = (char *)title;
    req.source = (char *)source;
    req.description = (char *)(description != NULL ? description : "");
    if (isms_cli_call(cli, "/isms.v1.Control/CreateCustom", &req.base,
                      &isms__v1__control_record__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    return record_from(out, msg);
}

static enum isms_code run_delete_custom(struct isms_cli *cli, int argc, char **argv,
                                        struct isms_out *out, struct isms_status *st)
{
    Isms__V1__DeleteCustomControlRequest req = ISMS__V1__DELETE_CUSTOM_CONTROL_REQUEST__INIT;
    const char *expect = NULL, *id = NULL;
    const struct isms_opt opts[] = {
        {"expect-version", "N", &expect, NULL},
    };
    int64_t version = 0;
    ProtobufCMessage *msg = NULL;
    struct isms_out_table *t;

    if (one_id(cli, argc, argv, opts, NCOLS(opts), "control delete-custom needs one ID", &id, st) !=
        ISMS_OK)
        return st->code;
    if (expect != NULL && !isms_cli_parse_i64(expect, 0, INT64_MAX, &version))
        return isms_cli_usage(cli, st, "--expect-version needs a version number, got \"%.40s\"",
                              expect);
    req.id = (char *)id;
    req.expected_version = version;
    if (isms_cli_call(cli, "/isms.v1.Control/DeleteCustom", &req.base,
                      &isms__v1__delete_custom_control_response__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    t = isms_out_record(out, "deleted", deleted_cols, NCOLS(deleted_cols));
    isms_out_str(t, ((const Isms__V1__DeleteCustomControlResponse *)msg)->id);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static const struct isms_cmd control_cmds[] = {
    {"control", "list", run_list,
     "[--theme T] [--status S] [--applicable yes|no|undecided] [--attribute KEY=VALUE]... "
     "[--custom]",
     "Annex A controls in catalogue order, then custom controls; --theme Organizational, "
     "People, Physical, Technological or Custom; --attribute filters on the ISO/IEC 27002 "
     "attributes (keys type, property, concept, capability, domain; e.g. concept=Detect), "
     "repeatable (all must match)"},
    {"control", "show", run_show, "ID",
     "one control (8.7, A.8.7 or a custom id): catalogue text, attributes and the "
     "organisation's record with evidence and the risks whose treatment selects it"},
    {"control", "set", run_set,
     "ID [--applicable yes|no|undecided] [--reason R1,R2] [--justification TEXT] "
     "[--status S] [--owner NAME] [--implementation TEXT] [--evidence E]... "
     "[--add-evidence E]... [--remove-evidence E]... [--no-evidence] [--title T] [--source S] "
     "[--description TEXT] [--expect-version N]",
     "record applicability and why (reasons: legal, contractual, business_requirement, "
     "risk_treatment, best_practice, or none; an exclusion needs --justification), status "
     "(not_started, planned, partially_implemented, implemented, not_applicable), owner, how "
     "it is implemented and evidence (document ids, http(s) URLs, sha256:<hex>; --evidence "
     "replaces the list); --title, --source, --description only for custom controls"},
    {"control", "add-custom", run_add_custom, "ID --title T --source S [--description TEXT]",
     "add a control of your own (e.g. a customer requirement); its id must not look like an "
     "Annex A id"},
    {"control", "delete-custom", run_delete_custom, "ID [--expect-version N]",
     "delete a custom control no risk treatment selects"},
};

const struct isms_noun isms_noun_control = {
    "control",
    "the ISO/IEC 27001:2022 Annex A catalogue, custom controls and the record of each control",
    control_cmds,
    NCOLS(control_cmds),
};
