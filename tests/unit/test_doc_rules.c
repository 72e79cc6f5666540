/* tests/unit/test_doc_rules.c — the pure rules of the document register (domain/do/
 * doc_rules.h): DOC-n and EV-n ids, types, dates, and every lifecycle transition with who may
 * make it. Each refusal is checked for its code and the clause its message names. */
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "domain/do/doc_rules.h"

Test(doc_rules, ids)
{
    struct isms_status st;
    int64_t n = 0;

    cr_assert_eq(isms_doc_ref_parse("id", "DOC", "DOC-3", &n, &st), ISMS_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(isms_doc_ref_parse("id", "DOC", "doc-12", &n, &st), ISMS_OK);
    cr_assert_eq(n, 12);
    cr_assert_eq(isms_doc_ref_parse("id", "EV", "EV-1", &n, &st), ISMS_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(isms_doc_ref_parse("id", "DOC", "", &n, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_neq(strstr(st.msg, "required"), NULL, "%s", st.msg);
    cr_assert_eq(isms_doc_ref_parse("id", "DOC", "EV-1", &n, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_neq(strstr(st.msg, "DOC-<n>"), NULL, "%s", st.msg);
    cr_assert_eq(isms_doc_ref_parse("id", "DOC", "DOC-0", &n, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_eq(isms_doc_ref_parse("id", "DOC", "DOC-", &n, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_eq(isms_doc_ref_parse("id", "DOC", "DOC-1x", &n, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_eq(isms_doc_ref_parse("id", "DOC", "DOC--1", &n, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_eq(isms_doc_ref_parse("id", "DOC", "DOC-99999999999999999999", &n, &st),
                 ISMS_INVALID_ARGUMENT);
}

Test(doc_rules, types_and_dates)
{
    cr_assert(isms_doc_type_ok("policy"));
    cr_assert(isms_doc_type_ok("topic_policy"));
    cr_assert(isms_doc_type_ok("external"));
    cr_assert_not(isms_doc_type_ok("Policy"));
    cr_assert_not(isms_doc_type_ok(""));
    cr_assert(isms_doc_date_ok(""));
    cr_assert(isms_doc_date_ok("2028-02-29"));
    cr_assert_not(isms_doc_date_ok("2027-02-29"));
    cr_assert_not(isms_doc_date_ok("2027-13-01"));
    cr_assert_not(isms_doc_date_ok("2027-1-01"));
    cr_assert_not(isms_doc_date_ok("27-01-01xx"));
}

struct step {
    enum isms_doc_action action;
    char state[16];
    int is_author, is_policy, is_top;
    char next[16]; /* "" when refused */
    char needle[40];
};

ParameterizedTestParameters(doc_rules, lifecycle)
{
    static struct step steps[] = {
        {ISMS_DOC_SUBMIT, "draft", 1, 0, 0, "in_review", ""},
        {ISMS_DOC_SUBMIT, "approved", 1, 0, 0, "", "only a version that is draft"},
        {ISMS_DOC_APPROVE, "in_review", 0, 0, 0, "approved", ""},
        {ISMS_DOC_APPROVE, "draft", 0, 0, 0, "", "in_review"},
        {ISMS_DOC_APPROVE, "in_review", 1, 0, 1, "", "7.5.2: the author"},
        {ISMS_DOC_APPROVE, "in_review", 0, 1, 0, "", "5.1, 5.2"},
        {ISMS_DOC_APPROVE, "in_review", 0, 1, 1, "approved", ""},
        {ISMS_DOC_PUBLISH, "approved", 1, 1, 0, "published", ""},
        {ISMS_DOC_PUBLISH, "in_review", 0, 0, 0, "", "only a version that is approved"},
        {ISMS_DOC_PUBLISH, "superseded", 0, 0, 0, "", "is superseded"},
        {ISMS_DOC_RETIRE, "published", 0, 0, 0, "retired", ""},
        {ISMS_DOC_RETIRE, "draft", 0, 0, 0, "retired", ""},
        {ISMS_DOC_RETIRE, "retired", 0, 0, 0, "", "already retired"},
        {ISMS_DOC_RETIRE, "superseded", 0, 0, 0, "", "already superseded"},
    };

    return cr_make_param_array(struct step, steps, sizeof(steps) / sizeof(steps[0]));
}

ParameterizedTest(struct step *s, doc_rules, lifecycle)
{
    struct isms_doc_transition t = {s->action,    "DOC-1",      2,        s->state,
                                    s->is_author, s->is_policy, s->is_top};
    struct isms_status st;
    const char *next = NULL;
    enum isms_code rc = isms_doc_decide(&t, &next, &st);

    if (s->next[0] != '\0') {
        cr_assert_eq(rc, ISMS_OK, "%s", st.msg);
        cr_assert_str_eq(next, s->next);
    } else {
        cr_assert_eq(rc, ISMS_FAILED_PRECONDITION);
        cr_assert_neq(strstr(st.msg, s->needle), NULL, "\"%s\" lacks \"%s\"", st.msg, s->needle);
        cr_assert_neq(strstr(st.msg, "DOC-1"), NULL, "%s", st.msg);
    }
}
