/* tests/unit/test_risk_rules.c — the risk register rules (domain/plan/risk_rules.h): names and
 * ids, dates, ratings against the method, treatment (retain above the appetite needs the
 * owner's acceptance, treated needs a control or action), acceptance only by the owner,
 * closing, who may edit, and how a change of owner or score makes an acceptance lapse. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "domain/plan/method_rules.h"
#include "domain/plan/risk_rules.h"

static void assert_code(enum isms_code rc, const struct isms_status *st, enum isms_code want,
                        const char *needle)
{
    cr_assert_eq(rc, want, "code %d, want %d (%s)", rc, want, st->msg);
    cr_assert_eq(st->code, want);
    if (needle != NULL)
        cr_assert_neq(strstr(st->msg, needle), NULL, "\"%s\" does not mention \"%s\"", st->msg,
                      needle);
}

static struct isms_risk_method method(void)
{
    struct isms_risk_method m;
    struct isms_status st;

    isms_method_default(&m);
    m.version = 1;
    cr_assert_eq(isms_method_check(&m, &st), ISMS_OK);
    return m;
}

/* A risk owned by alice, rated (l, i) with the default method (appetite 6). */
static struct isms_risk_state rated(int l, int i)
{
    struct isms_risk_method m = method();
    struct isms_risk_state r;
    struct isms_status st;

    cr_assert_eq(isms_risk_new(&m, "alice", l, i, &r, &st), ISMS_OK, "%s", st.msg);
    r.id = "R-1";
    return r;
}

/* ---- names, ids, dates ------------------------------------------------------------------ */

Test(risk_names, round_trip)
{
    struct isms_status st;
    enum isms_risk_status s;
    enum isms_risk_option o;
    enum isms_action_status a;

    for (int k = ISMS_RISK_IDENTIFIED; k <= ISMS_RISK_CLOSED; k++) {
        cr_assert_eq(isms_risk_status_parse(isms_risk_status_name(k), &s, &st), ISMS_OK);
        cr_assert_eq((int)s, k);
    }
    for (int k = ISMS_RISK_OPTION_NONE; k <= ISMS_RISK_OPTION_SHARE; k++) {
        cr_assert_eq(isms_risk_option_parse(isms_risk_option_name(k), &o, &st), ISMS_OK);
        cr_assert_eq((int)o, k);
    }
    for (int k = ISMS_ACTION_OPEN; k <= ISMS_ACTION_DONE; k++) {
        cr_assert_eq(isms_action_status_parse(isms_action_status_name(k), &a, &st), ISMS_OK);
        cr_assert_eq((int)a, k);
    }
    cr_assert_eq(isms_risk_option_parse("RETAIN", &o, &st), ISMS_OK);
    cr_assert_eq(o, ISMS_RISK_OPTION_RETAIN);
    cr_assert_str_eq(isms_risk_status_name(ISMS_RISK_TREATMENT_PLANNED), "treatment_planned");
}

struct name_case {
    int which; /* 0 status, 1 option, 2 action status */
    const char *value;
    const char *needle;
};

/* Criterion may run each case in a fresh process, so parameters are indices into this
 * table, never pointers. */
static const struct name_case risk_names_unknown_name_is_invalid_cases[] = {
    {0, "open", "status must be one of identified"},
    {0, "", "status must be one of"},
    {0, "treated ", "status must be one of"},
    {1, "mitigate", "treatment option must be one of modify, retain, avoid, share"},
    {1, "transfer", "treatment option"},
    {1, "x'; DROP TABLE risk; --", "got \"x'; DROP TABLE risk; --\""},
    {1, "\xC3\x28", "treatment option is not valid UTF-8"},
    {2, "closed", "action status must be one of open, in_progress, done"},
    {2, "in-progress", "action status"},
};

ParameterizedTestParameters(risk_names, unknown_name_is_invalid)
{
    static int idx[sizeof(risk_names_unknown_name_is_invalid_cases) /
                   sizeof(risk_names_unknown_name_is_invalid_cases[0])];

    for (size_t k = 0; k < sizeof(idx) / sizeof(idx[0]); k++)
        idx[k] = (int)k;
    return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(int *param, risk_names, unknown_name_is_invalid)
{
    const struct name_case *tc = &risk_names_unknown_name_is_invalid_cases[*param];
    struct isms_status st;
    enum isms_risk_status s;
    enum isms_risk_option o;
    enum isms_action_status a;
    enum isms_code rc = tc->which == 0   ? isms_risk_status_parse(tc->value, &s, &st)
                        : tc->which == 1 ? isms_risk_option_parse(tc->value, &o, &st)
                                         : isms_action_status_parse(tc->value, &a, &st);

    assert_code(rc, &st, ISMS_INVALID_ARGUMENT, tc->needle);
}

struct id_case {
    const char *prefix, *s;
    int ok;
    long long num;
};

/* Criterion may run each case in a fresh process, so parameters are indices into this
 * table, never pointers. */
static const struct id_case risk_ids_parse_cases[] = {
    {"R", "R-1", 1, 1},
    {"R", "r-42", 1, 42},
    {"RA", "RA-7", 1, 7},
    {"A", "a-3", 1, 3},
    {"R", "R-4611686018427387904", 1, 4611686018427387904LL},
    {"R", "R-4611686018427387905", 0, 0},
    {"R", "R-0", 0, 0},
    {"R", "R-", 0, 0},
    {"R", "R-1x", 0, 0},
    {"R", "R--1", 0, 0},
    {"R", "R-+1", 0, 0},
    {"R", "R1", 0, 0},
    {"R", "RA-1", 0, 0},
    {"RA", "R-1", 0, 0},
    {"R", "", 0, 0},
    {"R", "1", 0, 0},
};

ParameterizedTestParameters(risk_ids, parse)
{
    static int idx[sizeof(risk_ids_parse_cases) / sizeof(risk_ids_parse_cases[0])];

    for (size_t k = 0; k < sizeof(idx) / sizeof(idx[0]); k++)
        idx[k] = (int)k;
    return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(int *param, risk_ids, parse)
{
    const struct id_case *tc = &risk_ids_parse_cases[*param];
    int64_t num = 0;

    cr_assert_eq(isms_plan_parse_id(tc->prefix, tc->s, &num), tc->ok, "%s / %s", tc->prefix, tc->s);
    if (tc->ok)
        cr_assert_eq(num, tc->num);
}

Test(risk_ids, check_names_the_format)
{
    struct isms_status st;
    int64_t num;

    assert_code(isms_plan_check_id("R", "risk", "X-1", &num, &st), &st, ISMS_INVALID_ARGUMENT,
                "risk id must look like R-<n>, got \"X-1\"");
    assert_code(isms_plan_check_id("R", "risk", "", &num, &st), &st, ISMS_INVALID_ARGUMENT,
                "risk id must not be empty");
    assert_code(isms_plan_check_id("R", "risk", "R-\xFF", &num, &st), &st, ISMS_INVALID_ARGUMENT,
                "not valid UTF-8");
}

struct date_case {
    const char *s;
    int ok;
};

/* Criterion may run each case in a fresh process, so parameters are indices into this
 * table, never pointers. */
static const struct date_case risk_dates_check_cases[] = {
    {"", 1},           {"2027-01-31", 1}, {"2024-02-29", 1},           {"2000-02-29", 1},
    {"1900-01-01", 1}, {"2026-02-29", 0}, {"1900-02-29", 0},           {"2026-04-31", 0},
    {"2026-13-01", 0}, {"2026-00-10", 0}, {"2026-01-00", 0},           {"2026-1-01", 0},
    {"1899-12-31", 0}, {"2026/01/01", 0}, {"2026-01-01T00:00:00Z", 0}, {"tomorrow", 0},
    {"abcd-ef-gh", 0},
};

ParameterizedTestParameters(risk_dates, check)
{
    static int idx[sizeof(risk_dates_check_cases) / sizeof(risk_dates_check_cases[0])];

    for (size_t k = 0; k < sizeof(idx) / sizeof(idx[0]); k++)
        idx[k] = (int)k;
    return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(int *param, risk_dates, check)
{
    const struct date_case *tc = &risk_dates_check_cases[*param];
    struct isms_status st;
    enum isms_code rc = isms_plan_date_check("next review", tc->s, &st);

    if (tc->ok)
        cr_assert_eq(rc, ISMS_OK, "%s: %s", tc->s, st.msg);
    else
        assert_code(rc, &st, ISMS_INVALID_ARGUMENT, "next review must be a date YYYY-MM-DD");
}

/* ---- new risks and assessments ------------------------------------------------------------ */

Test(risk_new, unrated_is_identified_rated_is_assessed)
{
    struct isms_risk_method m = method();
    struct isms_risk_state r;
    struct isms_status st;

    cr_assert_eq(isms_risk_new(&m, "alice", 0, 0, &r, &st), ISMS_OK);
    cr_assert_eq(r.status, ISMS_RISK_IDENTIFIED);
    cr_assert_eq(r.method_version, 0);
    cr_assert_eq(isms_risk_current(&r)->score, 0);
    cr_assert_eq(isms_risk_new(&m, "alice", 4, 5, &r, &st), ISMS_OK);
    cr_assert_eq(r.status, ISMS_RISK_ASSESSED);
    cr_assert_eq(r.inherent.score, 20);
    cr_assert_str_eq(r.inherent.level, "critical");
    cr_assert_eq(r.method_version, 1);
    cr_assert_eq(r.appetite, 6);
    cr_assert(isms_risk_above_appetite(&r));
}

struct new_case {
    int l, i;
    const char *needle;
};

/* Criterion may run each case in a fresh process, so parameters are indices into this
 * table, never pointers. */
static const struct new_case risk_new_bad_rating_is_invalid_cases[] = {
    {6, 1, "inherent likelihood 6 is outside the scale 1-5"},
    {1, 6, "inherent impact 6 is outside the scale 1-5"},
    {3, 0, "give both the inherent likelihood and the inherent impact"},
    {0, 2, "give both"},
    {-1, 2, "must be positive"},
};

ParameterizedTestParameters(risk_new, bad_rating_is_invalid)
{
    static int idx[sizeof(risk_new_bad_rating_is_invalid_cases) /
                   sizeof(risk_new_bad_rating_is_invalid_cases[0])];

    for (size_t k = 0; k < sizeof(idx) / sizeof(idx[0]); k++)
        idx[k] = (int)k;
    return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(int *param, risk_new, bad_rating_is_invalid)
{
    const struct new_case *tc = &risk_new_bad_rating_is_invalid_cases[*param];
    struct isms_risk_method m = method();
    struct isms_risk_state r;
    struct isms_status st;

    assert_code(isms_risk_new(&m, "alice", tc->l, tc->i, &r, &st), &st, ISMS_INVALID_ARGUMENT,
                tc->needle);
}

typedef void setup_fn(struct isms_risk_state *r, struct isms_risk_method *m);

static void setup_none(struct isms_risk_state *r, struct isms_risk_method *m)
{
    (void)r;
    (void)m;
}
static void setup_unrated(struct isms_risk_state *r, struct isms_risk_method *m)
{
    struct isms_status st;

    cr_assert_eq(isms_risk_new(m, "alice", 0, 0, r, &st), ISMS_OK);
    r->id = "R-1";
}
static void setup_closed(struct isms_risk_state *r, struct isms_risk_method *m)
{
    (void)m;
    r->status = ISMS_RISK_CLOSED;
}
static void setup_new_method(struct isms_risk_state *r, struct isms_risk_method *m)
{
    (void)r;
    m->version = 2;
}
static void setup_residual_then_new_method(struct isms_risk_state *r, struct isms_risk_method *m)
{
    struct isms_risk_assessment a = {0, 0, 2, 2, 0};
    struct isms_status st;

    cr_assert_eq(isms_risk_apply_assessment(m, r, &a, &st), ISMS_OK, "%s", st.msg);
    m->version = 2;
}
static void setup_residual_3x3(struct isms_risk_state *r, struct isms_risk_method *m)
{
    struct isms_risk_assessment a = {0, 0, 3, 3, 0};
    struct isms_status st;

    cr_assert_eq(isms_risk_apply_assessment(m, r, &a, &st), ISMS_OK, "%s", st.msg);
}

struct assess_case {
    setup_fn *setup;
    struct isms_risk_assessment a;
    enum isms_code code;
    const char *needle;
};

/* Criterion may run each case in a fresh process, so parameters are indices into this
 * table, never pointers. */
static const struct assess_case risk_assess_refused_cases[] = {
    {setup_none, {0, 0, 0, 0, 0}, ISMS_INVALID_ARGUMENT, "nothing to assess"},
    {setup_none, {6, 2, 0, 0, 0}, ISMS_INVALID_ARGUMENT, "inherent likelihood 6 is outside"},
    {setup_none, {0, 0, 2, 9, 0}, ISMS_INVALID_ARGUMENT, "residual impact 9 is outside"},
    {setup_none, {3, 0, 0, 0, 0}, ISMS_INVALID_ARGUMENT, "give both the inherent"},
    {setup_none, {0, 0, 0, 1, 0}, ISMS_INVALID_ARGUMENT, "give both the residual"},
    {setup_none,
     {0, 0, 5, 5, 0},
     ISMS_FAILED_PRECONDITION,
     "residual score of R-1 would be 25 (likelihood 5, impact 5), above its inherent score 20"},
    {setup_none, {2, 2, 3, 3, 0}, ISMS_FAILED_PRECONDITION, "above its inherent score 4"},
    {setup_residual_3x3,
     {2, 2, 0, 0, 0},
     ISMS_FAILED_PRECONDITION,
     "would be 9 (likelihood 3, impact 3), above its inherent score 4"},
    {setup_unrated,
     {0, 0, 1, 1, 0},
     ISMS_FAILED_PRECONDITION,
     "assess the inherent risk of R-1 before its residual risk"},
    {setup_closed,
     {3, 3, 0, 0, 0},
     ISMS_FAILED_PRECONDITION,
     "R-1 is closed and can no longer be assessed"},
    {setup_new_method,
     {0, 0, 1, 1, 0},
     ISMS_FAILED_PRECONDITION,
     "rated with method version 1 but version 2 is current"},
    {setup_residual_then_new_method,
     {4, 4, 0, 0, 0},
     ISMS_FAILED_PRECONDITION,
     "residual rating made with method version 1"},
};

ParameterizedTestParameters(risk_assess, refused)
{
    static int idx[sizeof(risk_assess_refused_cases) / sizeof(risk_assess_refused_cases[0])];

    for (size_t k = 0; k < sizeof(idx) / sizeof(idx[0]); k++)
        idx[k] = (int)k;
    return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(int *param, risk_assess, refused)
{
    const struct assess_case *tc = &risk_assess_refused_cases[*param];
    struct isms_risk_method m = method();
    struct isms_risk_state r = rated(4, 5), before;
    struct isms_status st;

    tc->setup(&r, &m);
    before = r;
    assert_code(isms_risk_apply_assessment(&m, &r, &tc->a, &st), &st, tc->code, tc->needle);
    cr_assert_eq(memcmp(&r, &before, sizeof(r)), 0, "state changed although refused");
}

Test(risk_assess, residual_rating_and_new_version)
{
    struct isms_risk_method m = method();
    struct isms_risk_state r = rated(4, 5);
    struct isms_risk_assessment a = {0, 0, 2, 3, 0}, both = {3, 3, 1, 2, 0};
    struct isms_status st;

    cr_assert_eq(isms_risk_apply_assessment(&m, &r, &a, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(r.residual.score, 6);
    cr_assert_str_eq(r.residual.level, "medium");
    cr_assert_eq(isms_risk_target(&r)->score, 6);
    cr_assert_eq(isms_risk_current(&r)->score, 20, "no treatment implemented: still inherent");
    cr_assert(isms_risk_above_appetite(&r));
    m.version = 2;
    m.appetite = 2;
    cr_assert_eq(isms_risk_apply_assessment(&m, &r, &both, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(r.method_version, 2);
    cr_assert_eq(r.appetite, 2);
    cr_assert_eq(r.inherent.score, 9);
    cr_assert_eq(r.residual.score, 2);
}

/* ---- treatment --------------------------------------------------------------------------- */

static void with_acceptance(struct isms_risk_state *r, struct isms_risk_method *m)
{
    struct isms_status st;

    (void)m;
    cr_assert_eq(isms_risk_apply_acceptance(r, "alice", "cheaper to bear", "2099-12-31", &st),
                 ISMS_OK, "%s", st.msg);
}
static void acceptance_then_new_owner(struct isms_risk_state *r, struct isms_risk_method *m)
{
    with_acceptance(r, m);
    isms_risk_apply_owner(r, "bob");
}
static void accepted_by_former_owner(struct isms_risk_state *r, struct isms_risk_method *m)
{
    (void)m;
    r->accepted_by = "carol";
    r->accepted_score = r->inherent.score;
    r->justification = "x";
}
static void low_risk(struct isms_risk_state *r, struct isms_risk_method *m)
{
    struct isms_status st;

    cr_assert_eq(isms_risk_new(m, "alice", 2, 3, r, &st), ISMS_OK); /* 6 = appetite */
    r->id = "R-1";
}

struct treat_case {
    setup_fn *setup;
    struct isms_risk_treatment t;
    enum isms_code code;
    const char *needle;
    enum isms_risk_status status; /* when OK */
};

/* Criterion may run each case in a fresh process, so parameters are indices into this
 * table, never pointers. */
static const struct treat_case risk_treat_cases_cases[] = {
    /* retain above the appetite without acceptance */
    {setup_none,
     {ISMS_RISK_OPTION_RETAIN, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     ISMS_FAILED_PRECONDITION,
     "R-1 scores 20 (critical), above the risk appetite 6: it can be retained only after its "
     "owner alice accepts it",
     0},
    {acceptance_then_new_owner,
     {ISMS_RISK_OPTION_RETAIN, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     ISMS_FAILED_PRECONDITION,
     "only after its owner bob accepts it",
     0},
    {accepted_by_former_owner,
     {ISMS_RISK_OPTION_RETAIN, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     ISMS_FAILED_PRECONDITION,
     "only after its owner alice accepts it",
     0},
    {with_acceptance,
     {ISMS_RISK_OPTION_RETAIN, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     ISMS_OK,
     NULL,
     ISMS_RISK_ACCEPTED},
    /* every residual risk is accepted by its owner, within the appetite too (6.1.3 f) */
    {low_risk,
     {ISMS_RISK_OPTION_RETAIN, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     ISMS_OK,
     NULL,
     ISMS_RISK_TREATMENT_PLANNED},
    {with_acceptance,
     {ISMS_RISK_OPTION_RETAIN, 1, 0, 0, 0, 1, 0, 0, 0, 0},
     ISMS_FAILED_PRECONDITION,
     "is retained, not treated",
     0},
    /* treated needs a control or an action */
    {setup_none,
     {ISMS_RISK_OPTION_MODIFY, 0, 0, 0, 0, 1, 0, 0, 0, 0},
     ISMS_FAILED_PRECONDITION,
     "a treated risk must name at least one control or action",
     0},
    {setup_none,
     {ISMS_RISK_OPTION_AVOID, 0, 1, 0, 0, 1, 0, 0, 0, 0},
     ISMS_OK,
     NULL,
     ISMS_RISK_TREATED},
    {setup_none,
     {ISMS_RISK_OPTION_SHARE, 1, 0, 2, 2, 1, 0, 0, 0, 0},
     ISMS_OK,
     NULL,
     ISMS_RISK_TREATED},
    {setup_none,
     {ISMS_RISK_OPTION_MODIFY, 2, 1, 0, 0, 0, 0, 0, 0, 0},
     ISMS_OK,
     NULL,
     ISMS_RISK_TREATMENT_PLANNED},
    {setup_none,
     {ISMS_RISK_OPTION_MODIFY, 0, 0, 5, 5, 0, 0, 0, 0, 0},
     ISMS_FAILED_PRECONDITION,
     "above its inherent score 20",
     0},
    {setup_none,
     {ISMS_RISK_OPTION_MODIFY, 0, 0, 0, 7, 0, 0, 0, 0, 0},
     ISMS_INVALID_ARGUMENT,
     "give both the residual likelihood and the residual impact",
     0},
    {setup_none,
     {ISMS_RISK_OPTION_MODIFY, 0, 0, 6, 1, 0, 0, 0, 0, 0},
     ISMS_INVALID_ARGUMENT,
     "residual likelihood 6 is outside",
     0},
    {setup_none,
     {ISMS_RISK_OPTION_NONE, 1, 0, 0, 0, 0, 0, 0, 0, 0},
     ISMS_FAILED_PRECONDITION,
     "choose a treatment option for R-1",
     0},
    {setup_unrated,
     {ISMS_RISK_OPTION_MODIFY, 1, 0, 0, 0, 0, 0, 0, 0, 0},
     ISMS_FAILED_PRECONDITION,
     "assess R-1 (inherent likelihood and impact) before choosing its treatment",
     0},
    {setup_closed,
     {ISMS_RISK_OPTION_MODIFY, 1, 0, 0, 0, 0, 0, 0, 0, 0},
     ISMS_FAILED_PRECONDITION,
     "R-1 is closed and can no longer be treated",
     0},
};

ParameterizedTestParameters(risk_treat, cases)
{
    static int idx[sizeof(risk_treat_cases_cases) / sizeof(risk_treat_cases_cases[0])];

    for (size_t k = 0; k < sizeof(idx) / sizeof(idx[0]); k++)
        idx[k] = (int)k;
    return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(int *param, risk_treat, cases)
{
    const struct treat_case *tc = &risk_treat_cases_cases[*param];
    struct isms_risk_method m = method();
    struct isms_risk_state r = rated(4, 5);
    struct isms_status st;
    enum isms_code rc;

    tc->setup(&r, &m);
    rc = isms_risk_apply_treatment(&m, &r, &tc->t, &st);
    if (tc->code != ISMS_OK) {
        assert_code(rc, &st, tc->code, tc->needle);
        return;
    }
    cr_assert_eq(rc, ISMS_OK, "%s", st.msg);
    cr_assert_eq(r.status, tc->status, "status %s", isms_risk_status_name(r.status));
    cr_assert_eq(r.option, tc->t.option);
}

Test(risk_treat, treated_risk_must_keep_a_control_or_action)
{
    struct isms_risk_method m = method();
    struct isms_risk_state r = rated(4, 5);
    struct isms_risk_treatment done = {ISMS_RISK_OPTION_MODIFY, 1, 0, 2, 2, 1, 0, 0, 0, 0};
    struct isms_risk_treatment drop = {ISMS_RISK_OPTION_NONE, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    struct isms_status st;

    cr_assert_eq(isms_risk_apply_treatment(&m, &r, &done, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(r.status, ISMS_RISK_TREATED);
    assert_code(isms_risk_apply_treatment(&m, &r, &drop, &st), &st, ISMS_FAILED_PRECONDITION,
                "at least one control or action");
}

/* ---- acceptance -------------------------------------------------------------------------- */

Test(risk_accept, only_the_owner_with_a_justification)
{
    struct isms_risk_state r = rated(4, 5), unrated, closed;
    struct isms_risk_method m = method();
    struct isms_status st;

    assert_code(isms_risk_apply_acceptance(&r, "bob", "fine", "2099-12-31", &st), &st,
                ISMS_PERMISSION_DENIED, "only the risk owner alice may accept R-1");
    assert_code(isms_risk_apply_acceptance(&r, "alice", " ", "2099-12-31", &st), &st,
                ISMS_INVALID_ARGUMENT, "justification must not be empty");
    assert_code(isms_risk_apply_acceptance(&r, "alice", "\xC3\x28", "2099-12-31", &st), &st,
                ISMS_INVALID_ARGUMENT, "justification is not valid UTF-8");
    setup_unrated(&unrated, &m);
    assert_code(isms_risk_apply_acceptance(&unrated, "alice", "ok", "2099-12-31", &st), &st,
                ISMS_FAILED_PRECONDITION, "assess R-1 before accepting it");
    closed = r;
    closed.status = ISMS_RISK_CLOSED;
    assert_code(isms_risk_apply_acceptance(&closed, "alice", "ok", "2099-12-31", &st), &st,
                ISMS_FAILED_PRECONDITION, "closed");
    cr_assert_eq(isms_risk_apply_acceptance(&r, "alice", "cheaper to bear", "2099-12-31", &st),
                 ISMS_OK);
    cr_assert_eq(r.status, ISMS_RISK_ACCEPTED);
    cr_assert_str_eq(r.accepted_by, "alice");
    cr_assert_eq(r.accepted_score, 20);
    cr_assert_eq(r.acceptance, ISMS_ACCEPTANCE_SET);
    cr_assert(isms_risk_acceptance_valid(&r));
}

Test(risk_accept, rerating_makes_acceptance_lapse_and_unretains)
{
    struct isms_risk_method m = method();
    struct isms_risk_state r = rated(4, 5);
    struct isms_risk_treatment retain = {ISMS_RISK_OPTION_RETAIN, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    struct isms_risk_assessment worse = {5, 5, 0, 0, 0};
    struct isms_status st;

    with_acceptance(&r, &m);
    cr_assert_eq(isms_risk_apply_treatment(&m, &r, &retain, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(r.status, ISMS_RISK_ACCEPTED);
    cr_assert_eq(isms_risk_apply_assessment(&m, &r, &worse, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(r.acceptance, ISMS_ACCEPTANCE_CLEAR);
    cr_assert_str_eq(r.accepted_by, "");
    cr_assert_eq(r.option, ISMS_RISK_OPTION_NONE,
                 "a retained risk above the appetite lost its "
                 "acceptance and must not stay retained");
    cr_assert_eq(r.status, ISMS_RISK_ASSESSED);
}

Test(risk_accept, new_owner_makes_acceptance_lapse)
{
    struct isms_risk_method m = method();
    struct isms_risk_state r = rated(4, 5);
    struct isms_risk_treatment plan = {ISMS_RISK_OPTION_MODIFY, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    struct isms_status st;

    cr_assert_eq(isms_risk_apply_treatment(&m, &r, &plan, &st), ISMS_OK);
    with_acceptance(&r, &m);
    isms_risk_apply_owner(&r, "bob");
    cr_assert(!isms_risk_acceptance_valid(&r));
    cr_assert_eq(r.acceptance, ISMS_ACCEPTANCE_CLEAR);
    cr_assert_eq(r.status, ISMS_RISK_TREATMENT_PLANNED);
}

Test(risk_accept, within_appetite_retain_still_needs_the_owners_acceptance)
{
    struct isms_risk_method m = method();
    struct isms_risk_state r;
    struct isms_risk_treatment retain = {ISMS_RISK_OPTION_RETAIN, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    struct isms_status st;

    low_risk(&r, &m);
    cr_assert(!isms_risk_above_appetite(&r));
    cr_assert_eq(isms_risk_apply_treatment(&m, &r, &retain, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(r.status, ISMS_RISK_TREATMENT_PLANNED, "no acceptance recorded: not accepted");
    with_acceptance(&r, &m);
    cr_assert_eq(r.status, ISMS_RISK_ACCEPTED);
    isms_risk_apply_owner(&r, "bob");
    cr_assert_eq(r.status, ISMS_RISK_TREATMENT_PLANNED, "bob has not accepted it");
    cr_assert_eq(r.option, ISMS_RISK_OPTION_RETAIN, "within the appetite it stays retained");
}

Test(risk_accept, review_date_is_required_in_the_future_and_expires)
{
    struct isms_risk_method m = method();
    struct isms_risk_state r = rated(4, 5);
    struct isms_status st;

    r.today = "2026-06-01";
    assert_code(isms_risk_apply_acceptance(&r, "alice", "ok", "", &st), &st, ISMS_INVALID_ARGUMENT,
                "expires is required");
    assert_code(isms_risk_apply_acceptance(&r, "alice", "ok", "2026-06-01", &st), &st,
                ISMS_INVALID_ARGUMENT, "expires must be after today (2026-06-01)");
    assert_code(isms_risk_apply_acceptance(&r, "alice", "ok", "2026-13-01", &st), &st,
                ISMS_INVALID_ARGUMENT, "expires must be a date");
    cr_assert_eq(isms_risk_apply_acceptance(&r, "alice", "ok", "2026-06-02", &st), ISMS_OK);
    cr_assert(isms_risk_acceptance_valid(&r));
    r.today = "2026-06-02";
    cr_assert(!isms_risk_acceptance_valid(&r), "an acceptance past its review date lapses");
    isms_risk_settle(&r);
    cr_assert_eq(r.status, ISMS_RISK_ASSESSED);
    (void)m;
}

Test(risk_treat, accepted_never_hides_open_treatment)
{
    struct isms_risk_method m = method();
    struct isms_risk_state r = rated(4, 5);
    /* modify with one action (open) and a target residual of 2 */
    struct isms_risk_treatment plan = {ISMS_RISK_OPTION_MODIFY, 0, 1, 1, 2, 0, 0, 1, 1, 0};
    struct isms_risk_treatment treated_open = {ISMS_RISK_OPTION_NONE, 0, 1, 0, 0, 1, 0, 0, 1, 0};
    struct isms_risk_treatment treated_ctrl = {ISMS_RISK_OPTION_NONE, 1, 1, 0, 0, 1, 0, 0, 0, 1};
    struct isms_risk_treatment treated_done = {ISMS_RISK_OPTION_NONE, 0, 1, 0, 0, 1, 0, 0, 0, 0};
    struct isms_status st;

    cr_assert_eq(isms_risk_apply_treatment(&m, &r, &plan, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(isms_risk_target(&r)->score, 2);
    cr_assert_eq(isms_risk_current(&r)->score, 20, "inherent until implemented");
    with_acceptance(&r, &m);
    cr_assert_eq(r.accepted_score, 2, "the owner accepts the target residual");
    cr_assert_eq(r.status, ISMS_RISK_TREATMENT_PLANNED, "accepted must not hide the open action");
    assert_code(isms_risk_apply_treatment(&m, &r, &treated_open, &st), &st,
                ISMS_FAILED_PRECONDITION, "R-1 has 1 open action");
    assert_code(isms_risk_apply_treatment(&m, &r, &treated_ctrl, &st), &st,
                ISMS_FAILED_PRECONDITION, "1 control selected for R-1 is not implemented");
    cr_assert_eq(isms_risk_apply_treatment(&m, &r, &treated_done, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(r.status, ISMS_RISK_ACCEPTED);
    cr_assert_eq(isms_risk_current(&r)->score, 2);
    r.n_actions_open = 1; /* an action reopened */
    isms_risk_settle(&r);
    cr_assert_eq(r.status, ISMS_RISK_TREATMENT_PLANNED);
    cr_assert_eq(isms_risk_current(&r)->score, 20);
}

Test(risk_assess, owner_lowering_own_residual_awaits_a_second_person)
{
    struct isms_risk_method m = method();
    struct isms_risk_state r = rated(4, 5);
    struct isms_risk_assessment lower = {0, 0, 1, 2, 1}, higher = {0, 0, 2, 5, 1};
    struct isms_status st;

    cr_assert_eq(isms_risk_apply_assessment(&m, &r, &lower, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(r.residual.score, 0, "not applied");
    cr_assert_eq(r.pending.score, 2);
    cr_assert_eq(r.pending_change, ISMS_PENDING_SET);
    assert_code(isms_risk_apply_acceptance(&r, "alice", "ok", "2099-01-01", &st), &st,
                ISMS_FAILED_PRECONDITION, "awaits confirmation");
    assert_code(isms_risk_apply_confirm(&m, &r, "alice", 0, &st), &st, ISMS_PERMISSION_DENIED,
                "second person");
    cr_assert_eq(isms_risk_apply_confirm(&m, &r, "mia", 0, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(r.residual.score, 2);
    cr_assert_eq(r.pending.score, 0);
    cr_assert_eq(r.pending_change, ISMS_PENDING_CLEAR);
    assert_code(isms_risk_apply_confirm(&m, &r, "mia", 0, &st), &st, ISMS_FAILED_PRECONDITION,
                "no lowered residual rating");
    /* raising it counts at once */
    r.pending_change = ISMS_PENDING_KEEP;
    cr_assert_eq(isms_risk_apply_assessment(&m, &r, &higher, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(r.residual.score, 10);
    cr_assert_eq(r.pending.score, 0);
}

Test(risk_close, avoided_risk_closes_when_the_activity_ceased)
{
    struct isms_risk_method m = method();
    struct isms_risk_state r = rated(4, 5), other = rated(4, 5);
    struct isms_risk_treatment avoid = {ISMS_RISK_OPTION_AVOID, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    struct isms_status st;

    assert_code(isms_risk_apply_close(&other, "", 1, &st), &st, ISMS_FAILED_PRECONDITION,
                "only an avoided risk closes because the activity ceased");
    cr_assert_eq(isms_risk_apply_treatment(&m, &r, &avoid, &st), ISMS_OK, "%s", st.msg);
    assert_code(isms_risk_apply_close(&r, "stopped", 0, &st), &st, ISMS_FAILED_PRECONDITION,
                "above the risk appetite");
    cr_assert_eq(isms_risk_apply_close(&r, "", 1, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(r.status, ISMS_RISK_CLOSED);
    cr_assert_str_eq(r.close_reason, "activity ceased");
    cr_assert_eq(r.residual.score, 0, "no residual rating invented");
}

/* ---- closing ----------------------------------------------------------------------------- */

static void treated_but_above(struct isms_risk_state *r, struct isms_risk_method *m)
{
    struct isms_risk_treatment t = {ISMS_RISK_OPTION_MODIFY, 1, 0, 3, 4, 1, 0, 0, 0, 0};
    struct isms_status st;

    cr_assert_eq(isms_risk_apply_treatment(m, r, &t, &st), ISMS_OK, "%s", st.msg);
}
static void treated_within(struct isms_risk_state *r, struct isms_risk_method *m)
{
    struct isms_risk_treatment t = {ISMS_RISK_OPTION_MODIFY, 1, 0, 1, 2, 1, 0, 0, 0, 0};
    struct isms_status st;

    cr_assert_eq(isms_risk_apply_treatment(m, r, &t, &st), ISMS_OK, "%s", st.msg);
}

struct close_case {
    setup_fn *setup;
    const char *reason;
    enum isms_code code;
    const char *needle;
};

/* Criterion may run each case in a fresh process, so parameters are indices into this
 * table, never pointers. */
static const struct close_case risk_close_cases_cases[] = {
    {setup_none, "no longer relevant", ISMS_FAILED_PRECONDITION,
     "R-1 scores 20 (critical), above the risk appetite 6, and its owner alice has not "
     "accepted it"},
    {treated_but_above, "done", ISMS_FAILED_PRECONDITION, "scores 12 (high)"},
    {acceptance_then_new_owner, "done", ISMS_FAILED_PRECONDITION, "its owner bob"},
    {setup_closed, "again", ISMS_FAILED_PRECONDITION, "R-1 is already closed"},
    {setup_none, "", ISMS_INVALID_ARGUMENT, "reason must not be empty"},
    {with_acceptance, "accepted by the owner", ISMS_OK, NULL},
    {treated_within, "treated", ISMS_OK, NULL},
    {low_risk, "small", ISMS_OK, NULL},
    {setup_unrated, "recorded by mistake", ISMS_OK, NULL},
};

ParameterizedTestParameters(risk_close, cases)
{
    static int idx[sizeof(risk_close_cases_cases) / sizeof(risk_close_cases_cases[0])];

    for (size_t k = 0; k < sizeof(idx) / sizeof(idx[0]); k++)
        idx[k] = (int)k;
    return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(int *param, risk_close, cases)
{
    const struct close_case *tc = &risk_close_cases_cases[*param];
    struct isms_risk_method m = method();
    struct isms_risk_state r = rated(4, 5);
    struct isms_status st;
    enum isms_code rc;

    tc->setup(&r, &m);
    rc = isms_risk_apply_close(&r, tc->reason, 0, &st);
    if (tc->code != ISMS_OK) {
        assert_code(rc, &st, tc->code, tc->needle);
        return;
    }
    cr_assert_eq(rc, ISMS_OK, "%s", st.msg);
    cr_assert_eq(r.status, ISMS_RISK_CLOSED);
    cr_assert_str_eq(r.close_reason, tc->reason);
}

Test(risk_close, closed_risk_is_frozen)
{
    struct isms_risk_method m = method();
    struct isms_risk_state r = rated(1, 1);
    struct isms_risk_treatment t = {ISMS_RISK_OPTION_RETAIN, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    struct isms_status st;

    cr_assert_eq(isms_risk_apply_close(&r, "gone", 0, &st), ISMS_OK);
    assert_code(isms_risk_check_open(&r, "changed", &st), &st, ISMS_FAILED_PRECONDITION,
                "R-1 is closed and can no longer be changed");
    assert_code(isms_risk_apply_treatment(&m, &r, &t, &st), &st, ISMS_FAILED_PRECONDITION,
                "closed");
    isms_risk_settle(&r);
    cr_assert_eq(r.status, ISMS_RISK_CLOSED);
}

/* ---- who may edit ------------------------------------------------------------------------ */

struct edit_case {
    const char *caller;
    int is_manager, changes_owner;
    enum isms_code code;
    const char *needle;
};

/* Criterion may run each case in a fresh process, so parameters are indices into this
 * table, never pointers. */
static const struct edit_case risk_edit_permission_cases[] = {
    {"mallory", 1, 1, ISMS_OK, NULL},
    {"alice", 0, 0, ISMS_OK, NULL},
    {"bob", 0, 0, ISMS_PERMISSION_DENIED,
     "only an isms_manager or the risk owner (alice) may change R-1"},
    {"Alice", 0, 0, ISMS_PERMISSION_DENIED, "risk owner (alice)"},
    {"alice", 0, 1, ISMS_PERMISSION_DENIED, "only an isms_manager may give R-1 another owner"},
};

ParameterizedTestParameters(risk_edit, permission)
{
    static int idx[sizeof(risk_edit_permission_cases) / sizeof(risk_edit_permission_cases[0])];

    for (size_t k = 0; k < sizeof(idx) / sizeof(idx[0]); k++)
        idx[k] = (int)k;
    return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(int *param, risk_edit, permission)
{
    const struct edit_case *tc = &risk_edit_permission_cases[*param];
    struct isms_risk_state r = rated(3, 3);
    struct isms_status st;
    enum isms_code rc = isms_risk_may_edit(tc->caller, tc->is_manager, &r, tc->changes_owner, &st);

    if (tc->code == ISMS_OK)
        cr_assert_eq(rc, ISMS_OK, "%s", st.msg);
    else
        assert_code(rc, &st, tc->code, tc->needle);
}

Test(risk_edit, managers_cannot_accept_for_the_owner)
{
    struct isms_risk_state r = rated(3, 3);
    struct isms_status st;

    assert_code(isms_risk_may_accept("admin", &r, &st), &st, ISMS_PERMISSION_DENIED,
                "only the risk owner alice may accept R-1");
    cr_assert_eq(isms_risk_may_accept("alice", &r, &st), ISMS_OK);
}
