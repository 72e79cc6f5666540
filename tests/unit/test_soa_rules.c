/* tests/unit/test_soa_rules.c — the pure rules of the Annex A catalogue and the Statement of
 * Applicability (domain/plan/control_rules.h, soa_rules.h): ids, evidence formats, attribute
 * filters, Set validation, and every SoA consistency rule as a function over an array of rows.
 * Every rejection is INVALID_ARGUMENT with a message naming what was wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "domain/plan/control_rules.h"
#include "domain/plan/soa_rules.h"

static void assert_invalid(enum isms_code rc, const struct isms_status *st, const char *needle)
{
    cr_assert_eq(rc, ISMS_INVALID_ARGUMENT, "code %d (%s)", rc, st->msg);
    cr_assert_eq(st->code, ISMS_INVALID_ARGUMENT);
    cr_assert_neq(strstr(st->msg, needle), NULL, "\"%s\" does not mention \"%s\"", st->msg, needle);
}

/* ---- ids ------------------------------------------------------------------------------------ */

Test(control_rules, annex_a_ids)
{
    cr_assert(isms_control_is_annex_a_id("5.1"));
    cr_assert(isms_control_is_annex_a_id("8.34"));
    cr_assert_not(isms_control_is_annex_a_id("4.1"));
    cr_assert_not(isms_control_is_annex_a_id("9.1"));
    cr_assert_not(isms_control_is_annex_a_id("5."));
    cr_assert_not(isms_control_is_annex_a_id("5.1a"));
    cr_assert_not(isms_control_is_annex_a_id("A.5.1"));
    cr_assert_not(isms_control_is_annex_a_id(""));
}

Test(control_rules, lookup_strips_a_prefix_of_annex_ids_only)
{
    struct isms_status st;
    const char *id;

    cr_assert_eq(isms_control_lookup_id("A.8.7", &id, &st), ISMS_OK);
    cr_assert_str_eq(id, "8.7");
    cr_assert_eq(isms_control_lookup_id("a.5.10", &id, &st), ISMS_OK);
    cr_assert_str_eq(id, "5.10");
    cr_assert_eq(isms_control_lookup_id("ACME-1", &id, &st), ISMS_OK);
    cr_assert_str_eq(id, "ACME-1");
    assert_invalid(isms_control_lookup_id("", &id, &st), &st, "control id");
}

Test(control_rules, custom_ids_accepted)
{
    static const char *const ok[] = {"CUST-1", "PCI-3.4", "acme:msa/4", "GDPR_32", "X", "7a.1"};
    struct isms_status st;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        cr_assert_eq(isms_control_check_custom_id(ok[i], &st), ISMS_OK, "%s: %s", ok[i], st.msg);
}

/* Strings inline: Criterion copies parameters into the test worker, where pointers into this
 * process's memory are not valid. */
struct bad_id {
    char id[128];
    char needle[80];
};

ParameterizedTestParameters(control_rules, custom_id_rejected)
{
    static struct bad_id cases[] = {
        {"5.1", "looks like an Annex A id"},
        {"8.34", "looks like an Annex A id"},
        {"5.99", "looks like an Annex A id"},
        {"A.5.1", "looks like an Annex A id"},
        {"a.8.7", "looks like an Annex A id"},
        {"9.2.5", "looks like an Annex A id"},
        {"A.12.6.2", "looks like an Annex A id"},
        {"", "custom control id"},
        {"   ", "custom control id"},
        {"-X", "start with a letter or digit"},
        {"CUST 1", "only letters"},
        {"CUST;1", "only letters"},
        {"x'); DROP TABLE control;--", "only letters"},
        {"K\xC3\xB6ln", "only letters"},
        {"bad\xC3\x28", "UTF-8"},
        {"0123456789012345678901234567890123456789012345678901234567890123456789", "64"},
    };

    return cr_make_param_array(struct bad_id, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_id *tc, control_rules, custom_id_rejected)
{
    struct isms_status st;

    assert_invalid(isms_control_check_custom_id(tc->id, &st), &st, tc->needle);
}

/* ---- enums ---------------------------------------------------------------------------------- */

Test(control_rules, enums_parse_loosely_and_name_canonically)
{
    enum isms_applicable a;
    enum isms_impl_status s;

    cr_assert(isms_applicable_parse("YES", &a));
    cr_assert_eq(a, ISMS_APPLICABLE_YES);
    cr_assert_str_eq(isms_applicable_name(a), "yes");
    cr_assert_not(isms_applicable_parse("maybe", &a));
    cr_assert(isms_impl_status_parse("Partially implemented", &s));
    cr_assert_eq(s, ISMS_IMPL_PARTIALLY_IMPLEMENTED);
    cr_assert(isms_impl_status_parse("not-applicable", &s));
    cr_assert_str_eq(isms_impl_status_name(s), "not_applicable");
    cr_assert_not(isms_impl_status_parse("done", &s));
    cr_assert_str_eq(isms_control_theme("technological"), "Technological");
    cr_assert_null(isms_control_theme("Legal"));
}

Test(control_rules, reasons_are_a_set_in_canonical_order)
{
    char *names[] = {"risk_treatment", "Legal", "best practice", "legal"};
    struct isms_status st;
    unsigned mask;
    char joined[128];

    cr_assert_eq(isms_reasons_parse(names, 4, &mask, &st), ISMS_OK, "%s", st.msg);
    isms_reasons_join(mask, joined, sizeof(joined));
    cr_assert_str_eq(joined, "legal\x1frisk_treatment\x1f"
                             "best_practice");
    isms_reasons_join(0, joined, sizeof(joined));
    cr_assert_str_eq(joined, "");
    {
        char *bad[] = {"legal", "convenience"};

        assert_invalid(isms_reasons_parse(bad, 2, &mask, &st), &st, "convenience");
    }
}

/* ---- evidence ------------------------------------------------------------------------------- */

Test(control_rules, evidence_accepted)
{
    static const char *const ok[] = {
        "DOC-12",
        "ISMS policy v3, §4",
        "https://intranet.example.org/policies/backup.pdf",
        "http://10.0.0.1:8080/x?y=1#z",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "SHA256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        "x'); DROP TABLE control;--",
    };
    struct isms_status st;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        cr_assert_eq(isms_control_check_evidence(ok[i], &st), ISMS_OK, "%s: %s", ok[i], st.msg);
}

ParameterizedTestParameters(control_rules, evidence_rejected)
{
    static struct bad_id cases[] = {
        {"", "evidence"},
        {"  ", "evidence"},
        {" DOC-1", "space"},
        {"DOC-1\n", "control character"},
        {"a\x1f"
         "b",
         "control character"},
        {"sha256:abc", "sha256:<64 hex digits>"},
        {"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g", "sha256"},
        {"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855aa", "sha256"},
        {"ftp://example.org/x", "http or https"},
        {"javascript://alert(1)", "http or https"},
        {"https://", "no host"},
        {"https:///path", "no host"},
        {"https://example.org/a b", "space"},
        {"https://example.org/<script>", "angle bracket"},
        {"\xff\xfe", "UTF-8"},
    };

    return cr_make_param_array(struct bad_id, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_id *tc, control_rules, evidence_rejected)
{
    struct isms_status st;

    assert_invalid(isms_control_check_evidence(tc->id, &st), &st, tc->needle);
}

Test(control_rules, evidence_list_refuses_repeats_and_overflow)
{
    char *twice[] = {"DOC-1", "DOC-2", "DOC-1"};
    char *many[ISMS_CONTROL_EVIDENCE_COUNT_MAX + 1];
    char buf[ISMS_CONTROL_EVIDENCE_COUNT_MAX + 1][16];
    struct isms_status st;

    assert_invalid(isms_control_check_evidence_list(twice, 3, "evidence", &st), &st, "twice");
    for (size_t i = 0; i <= ISMS_CONTROL_EVIDENCE_COUNT_MAX; i++) {
        snprintf(buf[i], sizeof(buf[i]), "DOC-%zu", i);
        many[i] = buf[i];
    }
    cr_assert_eq(
        isms_control_check_evidence_list(many, ISMS_CONTROL_EVIDENCE_COUNT_MAX, "evidence", &st),
        ISMS_OK);
    assert_invalid(isms_control_check_evidence_list(many, ISMS_CONTROL_EVIDENCE_COUNT_MAX + 1,
                                                    "evidence", &st),
                   &st, "at most 100");
}

/* ---- attribute filters ---------------------------------------------------------------------- */

struct attr_case {
    char in[80];
    char token[80];
};

ParameterizedTestParameters(control_rules, attribute_filter_normalised)
{
    static struct attr_case cases[] = {
        {"concept=Detect", "cybersecurity_concepts=Detect"},
        {"concept=detect", "cybersecurity_concepts=Detect"},
        {"cybersecurity_concepts=#Detect", "cybersecurity_concepts=Detect"},
        {"type=preventive", "control_type=Preventive"},
        {"property=Availability", "security_properties=Availability"},
        {"capability=identity and access management",
         "operational_capabilities=Identity_and_access_management"},
        {"capabilities=Threat-and-vulnerability-management",
         "operational_capabilities=Threat_and_vulnerability_management"},
        {"domain=Governance_and_Ecosystem", "security_domains=Governance_and_Ecosystem"},
        {"Domains=defence", "security_domains=Defence"},
    };

    return cr_make_param_array(struct attr_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct attr_case *tc, control_rules, attribute_filter_normalised)
{
    struct isms_status st;
    char tok[128];

    cr_assert_eq(isms_control_attr_filter(tc->in, tok, sizeof(tok), &st), ISMS_OK, "%s: %s", tc->in,
                 st.msg);
    cr_assert_str_eq(tok, tc->token);
}

ParameterizedTestParameters(control_rules, attribute_filter_rejected)
{
    static struct bad_id cases[] = {
        {"Detect", "key=value"},
        {"colour=Detect", "not one of type, property"},
        {"concept=Detected", "Identify, Protect, Detect, Respond, Recover"},
        {"concept=", "is not one of"},
        {"domain=Governance", "Governance_and_Ecosystem"},
        {"=Detect", "not one of type"},
        {"concept=\xc3", "UTF-8"},
        {"concept=Detect'; --", "is not one of"},
    };

    return cr_make_param_array(struct bad_id, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_id *tc, control_rules, attribute_filter_rejected)
{
    struct isms_status st;
    char tok[128];

    assert_invalid(isms_control_attr_filter(tc->id, tok, sizeof(tok), &st), &st, tc->needle);
}

/* ---- Set ------------------------------------------------------------------------------------ */

Test(control_rules, set_normalises_values)
{
    Isms__V1__SetControlRequest in = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    struct isms_control_set_norm norm;
    struct isms_status st;
    char *reasons[] = {"legal", "risk_treatment"};

    in.id = "8.7";
    in.set_applicable = 1;
    in.applicable = "Yes";
    in.set_status = 1;
    in.status = "implemented";
    in.set_reasons = 1;
    in.reasons = reasons;
    in.n_reasons = 2;
    cr_assert_eq(isms_control_check_set(&in, &norm, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(norm.applicable, "yes");
    cr_assert_str_eq(norm.status, "implemented");
    cr_assert_eq(norm.reasons, ISMS_REASON_LEGAL | ISMS_REASON_RISK_TREATMENT);
}

/* Each case changes one thing of an otherwise valid request. */
struct set_case {
    int which;
    char needle[80];
};

static char long_text[ISMS_CONTROL_IMPLEMENTATION_MAX + 2];

ParameterizedTestParameters(control_rules, set_rejected)
{
    static struct set_case cases[] = {
        {0, "nothing to change"}, {1, "applicable must be yes, no or undecided"},
        {2, "status must be"},    {3, "reason \"because\""},
        {4, "expected_version"},  {5, "implementation"},
        {6, "either the whole"},  {7, "control id"},
        {8, "justification"},     {9, "title"},
        {10, "evidence"},         {11, "owner"},
        {12, "remove_evidence"},  {13, "add_evidence: evidence \"DOC-1\" is given twice"},
    };

    return cr_make_param_array(struct set_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct set_case *tc, control_rules, set_rejected)
{
    Isms__V1__SetControlRequest in = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    struct isms_control_set_norm norm;
    struct isms_status st;
    char *bad_reason[] = {"because"};
    char *ev[] = {"DOC-1"};
    char *twice[] = {"DOC-1", "DOC-1"};
    char *empty[] = {""};

    memset(long_text, 'x', sizeof(long_text) - 1);
    in.id = "5.1";
    in.set_owner = 1;
    in.owner = "alice";
    switch (tc->which) {
    case 0:
        in.set_owner = 0;
        break;
    case 1:
        in.set_applicable = 1;
        in.applicable = "maybe";
        break;
    case 2:
        in.set_status = 1;
        in.status = "finished";
        break;
    case 3:
        in.set_reasons = 1;
        in.reasons = bad_reason;
        in.n_reasons = 1;
        break;
    case 4:
        in.expected_version = -1;
        break;
    case 5:
        in.set_implementation = 1;
        in.implementation = long_text;
        break;
    case 6:
        in.set_evidence = 1;
        in.evidence = ev;
        in.n_evidence = 1;
        in.add_evidence = ev;
        in.n_add_evidence = 1;
        break;
    case 7:
        in.id = "";
        break;
    case 8:
        in.set_justification = 1;
        in.justification = "bad \xc3\x28 bytes";
        break;
    case 9:
        in.set_title = 1;
        in.title = " ";
        break;
    case 10:
        in.set_evidence = 1;
        in.evidence = empty;
        in.n_evidence = 1;
        break;
    case 11:
        in.owner = "\xed\xa0\x80";
        break;
    case 12:
        in.remove_evidence = empty;
        in.n_remove_evidence = 1;
        break;
    case 13:
        in.add_evidence = twice;
        in.n_add_evidence = 2;
        break;
    }
    assert_invalid(isms_control_check_set(&in, &norm, &st), &st, tc->needle);
}

Test(control_rules, create_requires_title_and_source)
{
    Isms__V1__CreateCustomControlRequest in = ISMS__V1__CREATE_CUSTOM_CONTROL_REQUEST__INIT;
    struct isms_status st;

    in.id = "CUST-1";
    in.title = "Customer data segregation";
    in.source = "customer requirement ACME MSA \xc2\xa7"
                "4";
    cr_assert_eq(isms_control_check_create(&in, &st), ISMS_OK, "%s", st.msg);
    in.source = "";
    assert_invalid(isms_control_check_create(&in, &st), &st, "source");
    in.source = "x";
    in.title = "";
    assert_invalid(isms_control_check_create(&in, &st), &st, "title");
}

Test(control_rules, join_and_split_round_trip)
{
    struct isms_arena a;
    char *items[] = {"DOC-1", "https://x.example/a;b", "sha256:00"};
    char **out;
    size_t n;
    char *joined;

    isms_arena_init(&a, 1 << 16);
    joined = isms_control_join(&a, items, 3);
    cr_assert_not_null(joined);
    cr_assert(isms_control_split(&a, joined, &out, &n));
    cr_assert_eq(n, 3);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(out[i], items[i]);
    joined = isms_control_join(&a, items, 0);
    cr_assert_str_eq(joined, "");
    cr_assert(isms_control_split(&a, joined, &out, &n));
    cr_assert_eq(n, 0);
    isms_arena_cleanup(&a);
}

/* ---- SoA check ------------------------------------------------------------------------------ */

struct collected {
    size_t n;
    size_t rows[32];
    enum isms_soa_rule rules[32];
    char messages[32][200];
};

static int collect(void *ud, const struct isms_soa_finding *f)
{
    struct collected *c = ud;

    cr_assert_lt(c->n, 32);
    c->rows[c->n] = f->row;
    c->rules[c->n] = f->rule;
    memcpy(c->messages[c->n], f->message, sizeof(c->messages[0]));
    c->n++;
    return 1;
}

/* A row that passes every rule: applicable, justified, implemented by an account's owner, with
 * evidence. */
static struct isms_soa_check_row good_row(const char *id)
{
    struct isms_soa_check_row r = {
        .id = id,
        .applicable = ISMS_APPLICABLE_YES,
        .reasons = ISMS_REASON_LEGAL,
        .justification = "",
        .exclusion_justification = "",
        .status = ISMS_IMPL_IMPLEMENTED,
        .n_evidence = 1,
        .linked_risks = "",
        .owner = "bob",
        .is_owner_account = 1,
        .implementation = "EDR on every endpoint",
        .target_date = "",
    };

    return r;
}

Test(soa_rules, consistent_rows_have_no_findings)
{
    struct isms_soa_check_row rows[3] = {good_row("5.1"), good_row("5.2"), good_row("CUST-1")};
    struct collected c = {0};

    rows[1].applicable = ISMS_APPLICABLE_NO;
    rows[1].reasons = 0;
    rows[1].exclusion_justification = "no development in scope";
    rows[1].status = ISMS_IMPL_NOT_APPLICABLE;
    rows[1].n_evidence = 0;
    rows[2].reasons = ISMS_REASON_RISK_TREATMENT;
    rows[2].justification = "required by the customer contract";
    rows[2].status = ISMS_IMPL_PLANNED;
    rows[2].target_date = "2027-01-31";
    rows[2].n_evidence = 0;
    rows[2].linked_risks = "R-1";
    cr_assert_eq(isms_soa_check(rows, 3, collect, &c), 0);
    cr_assert_eq(c.n, 0);
}

struct rule_case {
    int which;
    enum isms_soa_rule rule;
    char needle[80];
};

ParameterizedTestParameters(soa_rules, each_rule_fires)
{
    static struct rule_case cases[] = {
        {0, ISMS_SOA_UNDECIDED, "not decided"},
        {1, ISMS_SOA_APPLICABLE_WITHOUT_JUSTIFICATION, "no justification"},
        {2, ISMS_SOA_APPLICABLE_WITHOUT_JUSTIFICATION, "no justification"},
        {3, ISMS_SOA_EXCLUDED_WITHOUT_JUSTIFICATION, "excluded without"},
        {4, ISMS_SOA_RISK_SELECTED_BUT_EXCLUDED, "treatment of R-3, R-9"},
        {5, ISMS_SOA_RISK_SELECTED_BUT_EXCLUDED, "marked not applicable"},
        {6, ISMS_SOA_IMPLEMENTED_WITHOUT_EVIDENCE, "no evidence"},
        {7, ISMS_SOA_APPLICABLE_MARKED_NOT_APPLICABLE, "status is not_applicable"},
        {8, ISMS_SOA_EXCLUDED_BUT_IMPLEMENTED, "status is partially_implemented"},
        {9, ISMS_SOA_RISK_TREATMENT_WITHOUT_RISK, "no open risk"},
        {10, ISMS_SOA_RISK_SELECTED_WITHOUT_REASON, "risk_treatment is not among"},
        {11, ISMS_SOA_IMPLEMENTED_WITHOUT_OWNER, "has no owner"},
        {12, ISMS_SOA_IMPLEMENTED_WITHOUT_DESCRIPTION, "does not say how"},
        {13, ISMS_SOA_PLANNED_WITHOUT_TARGET_DATE, "planned but has no target date"},
        {14, ISMS_SOA_PLANNED_WITHOUT_TARGET_DATE, "partially_implemented but has no target"},
        {15, ISMS_SOA_JUSTIFICATION_TOO_SHORT, "inclusion justification has fewer than 20"},
        {16, ISMS_SOA_JUSTIFICATION_TOO_SHORT, "exclusion justification has fewer than 20"},
        {17, ISMS_SOA_OWNER_NOT_AN_ACCOUNT, "owner \"bob\" is not an account"},
    };

    return cr_make_param_array(struct rule_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct rule_case *tc, soa_rules, each_rule_fires)
{
    struct isms_soa_check_row rows[3] = {good_row("5.1"), good_row("8.7"), good_row("8.8")};
    struct isms_soa_check_row *r = &rows[1];
    struct collected c = {0};

    switch (tc->which) {
    case 0:
        r->applicable = ISMS_APPLICABLE_UNDECIDED;
        break;
    case 1:
        r->reasons = 0;
        break;
    case 2:
        r->reasons = 0;
        r->justification = " \t\n";
        break;
    case 3:
        r->applicable = ISMS_APPLICABLE_NO;
        r->reasons = 0;
        r->status = ISMS_IMPL_NOT_APPLICABLE;
        break;
    case 4:
        r->applicable = ISMS_APPLICABLE_NO;
        r->exclusion_justification = "not needed for our services";
        r->status = ISMS_IMPL_NOT_APPLICABLE;
        r->linked_risks = "R-3, R-9";
        break;
    case 5:
        /* applicable yes but status not_applicable: both rules name it */
        r->status = ISMS_IMPL_NOT_APPLICABLE;
        r->linked_risks = "R-1";
        break;
    case 6:
        r->n_evidence = 0;
        break;
    case 7:
        r->status = ISMS_IMPL_NOT_APPLICABLE;
        break;
    case 8:
        r->applicable = ISMS_APPLICABLE_NO;
        r->exclusion_justification = "out of scope of the ISMS";
        r->status = ISMS_IMPL_PARTIALLY_IMPLEMENTED;
        break;
    case 9:
        r->reasons |= ISMS_REASON_RISK_TREATMENT;
        break;
    case 10:
        r->linked_risks = "R-4";
        break;
    case 11:
        r->owner = " ";
        break;
    case 12:
        r->implementation = "";
        break;
    case 13:
        r->status = ISMS_IMPL_PLANNED;
        break;
    case 14:
        r->status = ISMS_IMPL_PARTIALLY_IMPLEMENTED;
        break;
    case 15:
        r->justification = "  n/a  ";
        break;
    case 16:
        r->applicable = ISMS_APPLICABLE_NO;
        r->reasons = 0;
        r->exclusion_justification = "see policy";
        r->status = ISMS_IMPL_NOT_APPLICABLE;
        break;
    case 17:
        r->is_owner_account = 0;
        break;
    }
    isms_soa_check(rows, 3, collect, &c);
    cr_assert_geq(c.n, 1);
    cr_assert_eq(c.rows[0], 1, "finding on row %zu", c.rows[0]);
    cr_assert_eq(c.rules[0], tc->rule, "rule %s, expected %s", isms_soa_rule_name(c.rules[0]),
                 isms_soa_rule_name(tc->rule));
    cr_assert_neq(strstr(c.messages[0], "8.7"), NULL, "%s", c.messages[0]);
    cr_assert_neq(strstr(c.messages[0], tc->needle), NULL, "%s", c.messages[0]);
    for (size_t i = 0; i < c.n; i++)
        cr_assert_eq(c.rows[i], 1);
}

Test(soa_rules, findings_in_row_then_rule_order_and_counted_without_callback)
{
    struct isms_soa_check_row rows[2] = {good_row("5.1"), good_row("5.2")};
    struct collected c = {0};

    rows[0].applicable = ISMS_APPLICABLE_NO;
    rows[0].reasons = 0;
    rows[0].linked_risks = "R-2";
    rows[0].status = ISMS_IMPL_IMPLEMENTED;
    rows[0].n_evidence = 0;
    rows[1].applicable = ISMS_APPLICABLE_UNDECIDED;
    cr_assert_eq(isms_soa_check(rows, 2, collect, &c), 5);
    cr_assert_eq(isms_soa_check(rows, 2, NULL, NULL), 5);
    cr_assert_eq(c.rules[0], ISMS_SOA_EXCLUDED_WITHOUT_JUSTIFICATION);
    cr_assert_eq(c.rules[1], ISMS_SOA_RISK_SELECTED_BUT_EXCLUDED);
    cr_assert_eq(c.rules[2], ISMS_SOA_IMPLEMENTED_WITHOUT_EVIDENCE);
    cr_assert_eq(c.rules[3], ISMS_SOA_EXCLUDED_BUT_IMPLEMENTED);
    cr_assert_eq(c.rules[4], ISMS_SOA_UNDECIDED);
    cr_assert_eq(c.rows[4], 1);
}

static int stop_at_first(void *ud, const struct isms_soa_finding *f)
{
    (void)f;
    (*(int *)ud)++;
    return 0;
}

Test(soa_rules, callback_can_stop_the_check)
{
    struct isms_soa_check_row rows[2] = {good_row("5.1"), good_row("5.2")};
    int calls = 0;

    rows[0].applicable = ISMS_APPLICABLE_UNDECIDED;
    rows[1].applicable = ISMS_APPLICABLE_UNDECIDED;
    isms_soa_check(rows, 2, stop_at_first, &calls);
    cr_assert_eq(calls, 1);
}

Test(soa_rules, rule_names_are_the_wire_names)
{
    cr_assert_str_eq(isms_soa_rule_name(ISMS_SOA_UNDECIDED), "undecided");
    cr_assert_str_eq(isms_soa_rule_name(ISMS_SOA_RISK_SELECTED_BUT_EXCLUDED),
                     "risk_selected_but_excluded");
    cr_assert_str_eq(isms_soa_rule_name(ISMS_SOA_RULE_COUNT), "unknown");
}

Test(soa_rules, diff_names_changed_fields)
{
    const char *a[ISMS_SOA_DIFF_NFIELDS] = {"Technological", "T",   "S", "yes", "legal", "",
                                            "planned",       "bob", "",  "",    ""};
    const char *b[ISMS_SOA_DIFF_NFIELDS] = {"Technological", "T",   "S", "yes",   "legal", "",
                                            "implemented",   "bob", "",  "DOC-1", NULL};
    size_t changed[ISMS_SOA_DIFF_NFIELDS];

    cr_assert_eq(isms_soa_diff_row(a, b, changed), 2);
    cr_assert_str_eq(isms_soa_diff_fields[changed[0]], "status");
    cr_assert_str_eq(isms_soa_diff_fields[changed[1]], "evidence");
    cr_assert_eq(isms_soa_diff_row(a, a, changed), 0);
}

Test(soa_rules, percent_rounds_half_up_to_one_decimal)
{
    cr_assert_float_eq(isms_soa_percent(0, 0), 0.0, 1e-9);
    cr_assert_float_eq(isms_soa_percent(5, 0), 0.0, 1e-9);
    cr_assert_float_eq(isms_soa_percent(1, 3), 33.3, 1e-9);
    cr_assert_float_eq(isms_soa_percent(2, 3), 66.7, 1e-9);
    cr_assert_float_eq(isms_soa_percent(1, 8), 12.5, 1e-9);
    cr_assert_float_eq(isms_soa_percent(37, 37), 100.0, 1e-9);
    cr_assert_float_eq(isms_soa_percent(1, 2000), 0.1, 1e-9);
}

Test(soa_rules, text_len_counts_characters_without_outer_space)
{
    cr_assert_eq(isms_soa_text_len(NULL), 0);
    cr_assert_eq(isms_soa_text_len(" \t\n"), 0);
    cr_assert_eq(isms_soa_text_len("  n/a "), 3);
    cr_assert_eq(isms_soa_text_len("caf\xc3\xa9 au lait"), 12);
    /* exactly the minimum passes */
    {
        struct isms_soa_check_row r = good_row("5.1");

        r.justification = "12345678901234567890";
        cr_assert_eq(isms_soa_check(&r, 1, NULL, NULL), 0);
        r.justification = "1234567890123456789";
        cr_assert_eq(isms_soa_check(&r, 1, NULL, NULL), 1);
    }
}

/* One import row: every field checked as Set checks it, and consistent with applicability. */
Test(control_rules, import_row_checks_fields_and_applicability)
{
    Isms__V1__ImportControlRow in = ISMS__V1__IMPORT_CONTROL_ROW__INIT;
    struct isms_control_import_norm norm;
    struct isms_status st;
    char *legal[] = {"legal"};
    char *luck[] = {"luck"};

    in.row = 7;
    in.id = "A.8.7";
    in.applicable = "YES";
    in.reasons = legal;
    in.n_reasons = 1;
    cr_assert_eq(isms_control_check_import_row(&in, &norm, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(norm.id, "8.7");
    cr_assert_str_eq(norm.applicable, "yes");
    cr_assert_str_eq(norm.status, "not_started");
    cr_assert_eq(norm.reasons, ISMS_REASON_LEGAL);

    in.applicable = "no";
    in.n_reasons = 0;
    in.exclusion_justification = "not in scope";
    cr_assert_eq(isms_control_check_import_row(&in, &norm, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(norm.status, "not_applicable");

    in.reasons = legal;
    in.n_reasons = 1;
    cr_assert_eq(isms_control_check_import_row(&in, &norm, &st), ISMS_FAILED_PRECONDITION);
    cr_assert_str_eq(st.msg, "row 7: 6.1.3 d: control 8.7 is excluded, so it takes no reasons "
                             "for inclusion");
    in.n_reasons = 0;
    in.target_date = "2027-01-01";
    cr_assert_eq(isms_control_check_import_row(&in, &norm, &st), ISMS_FAILED_PRECONDITION);
    in.target_date = "";
    in.status = "implemented";
    cr_assert_eq(isms_control_check_import_row(&in, &norm, &st), ISMS_FAILED_PRECONDITION);
    in.status = "";
    in.applicable = "yes";
    cr_assert_eq(isms_control_check_import_row(&in, &norm, &st), ISMS_FAILED_PRECONDITION);
    cr_assert_neq(strstr(st.msg, "is not excluded"), NULL, "%s", st.msg);
    in.exclusion_justification = "";

    in.applicable = "maybe";
    cr_assert_eq(isms_control_check_import_row(&in, &norm, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_neq(strstr(st.msg, "row 7: control 8.7: applicable must be"), NULL, "%s", st.msg);
    in.applicable = "yes";
    in.status = "done";
    cr_assert_eq(isms_control_check_import_row(&in, &norm, &st), ISMS_INVALID_ARGUMENT);
    in.status = "";
    in.reasons = luck;
    in.n_reasons = 1;
    cr_assert_eq(isms_control_check_import_row(&in, &norm, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_neq(strstr(st.msg, "row 7: reason \"luck\""), NULL, "%s", st.msg);
    in.n_reasons = 0;
    in.target_date = "2027-13-01";
    cr_assert_eq(isms_control_check_import_row(&in, &norm, &st), ISMS_INVALID_ARGUMENT);
    in.target_date = "";
    in.id = "";
    cr_assert_eq(isms_control_check_import_row(&in, &norm, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_neq(strstr(st.msg, "row 7: "), NULL, "%s", st.msg);
}

/* An implemented control whose every evidence reference is an expired EV-n is reported; one
 * live reference beside the expired ones is enough. */
Test(soa_rules, implemented_with_only_expired_evidence)
{
    struct isms_soa_check_row rows[2] = {good_row("8.8"), good_row("8.13")};
    struct collected c = {0};

    rows[0].n_evidence = 2;
    rows[0].n_evidence_expired = 2;
    rows[1].n_evidence = 2;
    rows[1].n_evidence_expired = 1;
    cr_assert_eq(isms_soa_check(rows, 2, collect, &c), 1);
    cr_assert_eq(c.rules[0], ISMS_SOA_EVIDENCE_EXPIRED);
    cr_assert_eq(c.rows[0], 0);
    cr_assert_str_eq(isms_soa_rule_name(ISMS_SOA_EVIDENCE_EXPIRED), "evidence_expired");
    rows[0].status = ISMS_IMPL_PARTIALLY_IMPLEMENTED;
    rows[0].target_date = "2027-01-01";
    cr_assert_eq(isms_soa_check(rows, 2, NULL, NULL), 0);
}
