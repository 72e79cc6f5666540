/* tests/integration/test_soa_record.c — the SoA an auditor is handed (issue 10, 6.1.3 d), against
 * a real ismsd and PostgreSQL: the document header of every export format, labels and codes;
 * separate inclusion and exclusion justifications and what excluding or including clears;
 * the newer `soa check` rules (risk treatment without an open risk, target dates, owners,
 * short justifications, closed risks); an honest summary; `control import` of the SoA CSV
 * (round trip, dry run, all-or-nothing, every refusal with its row); owners as accounts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "isms/v1/control.pb-c.h"
#include "isms/v1/risk.pb-c.h"
#include "testlib.h"

TestSuite(soa_record, .init = isms_test_init, .fini = isms_test_fini, .timeout = 280);

#define M_SET     "/isms.v1.Control/Set"
#define M_GET     "/isms.v1.Control/Get"
#define M_CHECK   "/isms.v1.Soa/Check"
#define M_SUMMARY "/isms.v1.Soa/Summary"
#define M_PUBLISH "/isms.v1.Soa/Publish"

#define JUST "needed to meet the customer contract"

/* ---- helpers -------------------------------------------------------------------------------- */

static const int SECTION_SIZES[4] = {37, 8, 14, 34};

static void annex_id(int k, char *out, size_t len)
{
    int s = 0;

    while (k >= SECTION_SIZES[s]) {
        k -= SECTION_SIZES[s];
        s++;
    }
    snprintf(out, len, "%d.%d", 5 + s, k + 1);
}

static int set(int fd, const Isms__V1__SetControlRequest *s, struct isms_test_reply *rep)
{
    return isms_test_unary(fd, M_SET, &s->base, 0, &isms__v1__control_record__descriptor, rep);
}

static const Isms__V1__ControlRecord *record(const struct isms_test_reply *rep)
{
    return (const Isms__V1__ControlRecord *)rep->body;
}

/* Applicable yes with one reason and an inclusion justification, status `status`. */
static void include(int fd, const char *id, const char *reason, const char *status)
{
    Isms__V1__SetControlRequest s = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    struct isms_test_reply rep;
    char *reasons[1] = {(char *)reason};

    s.id = (char *)id;
    s.set_applicable = 1;
    s.applicable = "yes";
    s.set_reasons = 1;
    s.reasons = reasons;
    s.n_reasons = 1;
    s.set_inclusion_justification = 1;
    s.inclusion_justification = JUST;
    s.set_status = 1;
    s.status = (char *)status;
    cr_assert_eq(set(fd, &s, &rep), 0, "include %s: %s", id, rep.message);
    isms_test_reply_cleanup(&rep);
}

/* Makes every Annex A control applicable for best practice, not started. */
static void make_consistent(int fd)
{
    for (int k = 0; k < 93; k++) {
        char id[8];

        annex_id(k, id, sizeof(id));
        include(fd, id, "best_practice", "not_started");
    }
}

static int check(int fd, struct isms_test_reply *rep)
{
    Isms__V1__SoaCheckRequest req = ISMS__V1__SOA_CHECK_REQUEST__INIT;

    return isms_test_unary(fd, M_CHECK, &req.base, 0, &isms__v1__soa_check_response__descriptor,
                           rep);
}

static int has_finding(const struct isms_test_reply *rep, const char *id, const char *rule)
{
    const Isms__V1__SoaCheckResponse *r = (const Isms__V1__SoaCheckResponse *)rep->body;

    for (size_t i = 0; i < r->n_findings; i++) {
        if (strcmp(r->findings[i]->control_id, id) == 0 && strcmp(r->findings[i]->rule, rule) == 0)
            return 1;
    }
    return 0;
}

static void ctl_login(int port)
{
    struct isms_test_proc p;

    isms_test_ismsctl_input(
        &p, port, (const char *const[]){"login", ISMS_TEST_ADMIN_USER, "--password-stdin", NULL},
        ISMS_TEST_ADMIN_PASSWORD "\n");
    cr_assert_eq(p.exit_code, 0, "ismsctl login exited %d\n%s", p.exit_code, p.err);
    isms_test_proc_cleanup(&p);
}

static void ctl(struct isms_test_proc *p, int port, int want, const char *const *args)
{
    isms_test_ismsctl_expect(p, port, want, NULL, NULL, args);
}

/* A risk owned by admin selecting control `id`; returns its number. */
static long long risk_selecting(const struct isms_test_env *env, const char *id)
{
    PGconn *pg = isms_test_pg_connect(env->db.conninfo);
    const char *p[1] = {id};
    long long num = isms_test_pg_scalar(pg,
                                        "WITH r AS (INSERT INTO risk (title, owner) VALUES "
                                        "('selected', 'admin') RETURNING num), "
                                        "rc AS (INSERT INTO risk_control (risk_num, control_id) "
                                        "SELECT num, $1 FROM r) SELECT num FROM r",
                                        1, p);

    isms_test_pg_close(pg);
    return num;
}

static void sql(const struct isms_test_env *env, const char *stmt)
{
    PGconn *pg = isms_test_pg_connect(env->db.conninfo);

    isms_test_pg_exec(pg, stmt);
    isms_test_pg_close(pg);
}

static long long sql_scalar(const struct isms_test_env *env, const char *stmt)
{
    PGconn *pg = isms_test_pg_connect(env->db.conninfo);
    long long v = isms_test_pg_scalar(pg, stmt, 0, NULL);

    isms_test_pg_close(pg);
    return v;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");

    cr_assert_not_null(fp, "could not write %s", path);
    fputs(text, fp);
    fclose(fp);
}

/* Replaces the first `from` in heap string *s with `to` (reallocating). */
static void replace(char **s, const char *from, const char *to)
{
    char *at = strstr(*s, from);
    size_t a, f = strlen(from), t = strlen(to), n = strlen(*s);
    char *out;

    cr_assert_not_null(at, "\"%s\" not in the file", from);
    a = (size_t)(at - *s);
    out = malloc(n - f + t + 1);
    cr_assert_not_null(out);
    memcpy(out, *s, a);
    memcpy(out + a, to, t);
    memcpy(out + a + t, at + f, n - a - f + 1);
    free(*s);
    *s = out;
}

/* ---- the document header -------------------------------------------------------------------- */

Test(soa_record, every_export_format_carries_the_document_header)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    struct isms_test_reply rep;
    Isms__V1__SoaPublishRequest pub = ISMS__V1__SOA_PUBLISH_REQUEST__INIT;
    int fd, port;

    cr_assert_not_null(isms_test_ismsctl_path(), "ismsctl was not built");
    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    ctl_login(port);
    fd = isms_test_connect(port);
    ctl(&p, port, 0,
        (const char *const[]){"context", "set", "--org", "Acme <SaaS> GmbH", "--scope",
                              "the SaaS platform & its support", NULL});
    isms_test_proc_cleanup(&p);
    make_consistent(fd);
    include(fd, "8.8", "risk_treatment", "partially_implemented");
    {
        Isms__V1__SetControlRequest s = ISMS__V1__SET_CONTROL_REQUEST__INIT;

        s.id = "8.8";
        s.set_target_date = 1;
        s.target_date = "2027-03-31";
        cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
        cr_assert_str_eq(record(&rep)->target_date, "2027-03-31");
        isms_test_reply_cleanup(&rep);
    }
    /* 8.8 says risk_treatment: a risk must select it */
    risk_selecting(&env, "8.8");
    cr_assert_eq(
        isms_test_unary(fd, M_PUBLISH, &pub.base, 0, &isms__v1__soa_version__descriptor, &rep), 0,
        "%s", rep.message);
    isms_test_reply_cleanup(&rep);
    /* Top management approves version 1 itself (soa approve). */
    {
        Isms__V1__SoaApproveRequest ar = ISMS__V1__SOA_APPROVE_REQUEST__INIT;
        char admin_token[512], ceo_token[512];

        snprintf(admin_token, sizeof(admin_token), "%s", isms_test_token());
        isms_test_user_create(fd, "janedoe", "top_management", "jane-doe-password-long-enough");
        cr_assert_eq(isms_test_login(port, "janedoe", "jane-doe-password-long-enough", ceo_token,
                                     sizeof(ceo_token)),
                     0);
        isms_test_set_token(ceo_token);
        ar.version = 1;
        cr_assert_eq(isms_test_unary(fd, "/isms.v1.Soa/Approve", &ar.base, 0,
                                     &isms__v1__soa_version__descriptor, &rep),
                     0, "%s", rep.message);
        isms_test_reply_cleanup(&rep);
        isms_test_set_token(admin_token);
    }

    /* Current state: not approved, with the generation time. */
    ctl(&p, port, 0, (const char *const[]){"soa", "export", "--format", "csv", NULL});
    cr_assert_neq(strstr(p.out, "document,SOA-current\r\norganisation,Acme <SaaS> GmbH\r\n"
                                "scope,the SaaS platform & its support\r\nversion,current\r\n"
                                "approval,not_approved\r\ngenerated_at,20"),
                  NULL, "%.400s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"soa", "export", "--format", "md", NULL});
    cr_assert_neq(strstr(p.out, "| Approval | current state, not approved (generated 20"), NULL,
                  "%.600s", p.out);
    isms_test_proc_cleanup(&p);

    /* Version 1, in each format. */
    ctl(&p, port, 0,
        (const char *const[]){"soa", "export", "--format", "csv", "--version", "1", NULL});
    cr_assert_neq(strstr(p.out, "document,SOA-v1\r\norganisation,Acme <SaaS> GmbH\r\n"
                                "scope,the SaaS platform & its support\r\nversion,1\r\n"
                                "approval,approved\r\napproved_by,janedoe\r\napproved_at,20"),
                  NULL, "%.400s", p.out);
    cr_assert_null(strstr(p.out, "generated_at"), "%.400s", p.out);
    /* codes, not labels */
    cr_assert_neq(strstr(p.out, ",partially_implemented,2027-03-31,"), NULL, "%s", p.out);
    cr_assert_neq(strstr(p.out, ",risk_treatment,"), NULL);
    cr_assert_null(strstr(p.out, "Partially implemented"));
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0,
        (const char *const[]){"soa", "export", "--format", "json", "--version", "1", NULL});
    cr_assert_neq(strstr(p.out, "\"document\": {\n  \"document\": \"SOA-v1\",\n  \"organisation\": "
                                "\"Acme <SaaS> GmbH\""),
                  NULL, "%.600s", p.out);
    cr_assert_neq(strstr(p.out, "\"version\": 1,"), NULL, "%.600s", p.out);
    cr_assert_neq(strstr(p.out, "\"approval\": \"approved\""), NULL, "%.600s", p.out);
    cr_assert_neq(strstr(p.out, "\"approved_by\": \"janedoe\""), NULL, "%.600s", p.out);
    cr_assert_neq(strstr(p.out, "\"rows\": ["), NULL);
    cr_assert_neq(strstr(p.out, "\"status\": \"partially_implemented\""), NULL);
    cr_assert_neq(strstr(p.out, "\"target_date\": \"2027-03-31\""), NULL);
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0,
        (const char *const[]){"soa", "export", "--format", "md", "--version", "1", NULL});
    cr_assert_neq(strstr(p.out, "| Organisation | Acme &lt;SaaS&gt; GmbH |\n"), NULL, "%.600s",
                  p.out);
    cr_assert_neq(strstr(p.out, "| Scope | the SaaS platform &amp; its support |\n"), NULL);
    cr_assert_neq(strstr(p.out, "| Document | SOA-v1 |\n"), NULL);
    cr_assert_neq(strstr(p.out, "| Approved by | janedoe |\n"), NULL);
    cr_assert_neq(strstr(p.out, "| Approval date | 20"), NULL);
    /* labels, not codes */
    cr_assert_neq(strstr(p.out, "| Partially implemented | 2027-03-31 |"), NULL, "%s", p.out);
    cr_assert_neq(strstr(p.out, "| Yes | Risk treatment | " JUST " |"), NULL, "%s", p.out);
    cr_assert_neq(strstr(p.out, "| Yes | Best practice |"), NULL);
    cr_assert_null(strstr(p.out, "partially_implemented"));
    cr_assert_null(strstr(p.out, "risk_treatment"));
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0,
        (const char *const[]){"soa", "export", "--format", "html", "--version", "1", NULL});
    cr_assert_neq(strstr(p.out, "<tr><th>Organisation</th><td>Acme &lt;SaaS&gt; GmbH</td></tr>"),
                  NULL, "%.800s", p.out);
    cr_assert_neq(strstr(p.out, "<tr><th>Document</th><td>SOA-v1</td></tr>"), NULL);
    cr_assert_neq(strstr(p.out, "<tr><th>Approved by</th><td>janedoe</td></tr>"), NULL);
    cr_assert_neq(strstr(p.out, "<td>Partially implemented</td><td>2027-03-31</td>"), NULL);
    cr_assert_neq(strstr(p.out, "<td>Risk treatment</td>"), NULL);
    cr_assert_null(strstr(p.out, "partially_implemented"));
    isms_test_proc_cleanup(&p);

    /* A published version exports byte for byte the same twice. */
    {
        char *first;

        ctl(&p, port, 0,
            (const char *const[]){"soa", "export", "--format", "html", "--version", "1", NULL});
        first = strdup(p.out);
        isms_test_proc_cleanup(&p);
        ctl(&p, port, 0,
            (const char *const[]){"soa", "export", "--format", "html", "--version", "1", NULL});
        cr_assert_str_eq(p.out, first);
        isms_test_proc_cleanup(&p);
        free(first);
    }
    isms_test_finish();
}

/* ---- inclusion and exclusion ---------------------------------------------------------------- */

Test(soa_record, excluding_clears_inclusion_and_including_clears_exclusion)
{
    struct isms_test_env env;
    Isms__V1__SetControlRequest s = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    struct isms_test_reply rep;
    char *legal[1] = {"legal"};
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    include(fd, "5.10", "legal", "planned");
    s.id = "5.10";
    s.set_target_date = 1;
    s.target_date = "2027-01-15";
    cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);

    /* exclude: reasons, inclusion text, status and target date are cleared */
    isms__v1__set_control_request__init(&s);
    s.id = "5.10";
    s.set_applicable = 1;
    s.applicable = "no";
    s.set_exclusion_justification = 1;
    s.exclusion_justification = "no information of that kind is processed";
    cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
    cr_assert_str_eq(record(&rep)->applicable, "no");
    cr_assert_eq(record(&rep)->n_reasons, 0);
    cr_assert_str_eq(record(&rep)->inclusion_justification, "");
    cr_assert_str_eq(record(&rep)->exclusion_justification,
                     "no information of that kind is processed");
    cr_assert_str_eq(record(&rep)->justification, "no information of that kind is processed");
    cr_assert_str_eq(record(&rep)->status, "not_applicable");
    cr_assert_str_eq(record(&rep)->target_date, "");
    isms_test_reply_cleanup(&rep);

    /* inclusion data for an excluded control is refused, naming 6.1.3 d */
    isms__v1__set_control_request__init(&s);
    s.id = "5.10";
    s.set_reasons = 1;
    s.reasons = legal;
    s.n_reasons = 1;
    set(fd, &s, &rep);
    isms_test_expect(&rep, 9, "6.1.3 d: control 5.10 is excluded", "reasons on excluded");
    isms_test_reply_cleanup(&rep);
    isms__v1__set_control_request__init(&s);
    s.id = "5.10";
    s.set_status = 1;
    s.status = "planned";
    set(fd, &s, &rep);
    isms_test_expect(&rep, 9, "6.1.3 d", "status on excluded");
    isms_test_reply_cleanup(&rep);
    isms__v1__set_control_request__init(&s);
    s.id = "5.10";
    s.set_inclusion_justification = 1;
    s.inclusion_justification = "we want it";
    set(fd, &s, &rep);
    isms_test_expect(&rep, 9, "inclusion justification", "inclusion text on excluded");
    isms_test_reply_cleanup(&rep);
    isms__v1__set_control_request__init(&s);
    s.id = "5.10";
    s.set_target_date = 1;
    s.target_date = "2027-01-01";
    set(fd, &s, &rep);
    isms_test_expect(&rep, 9, "target date", "target date on excluded");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(sql_scalar(&env, "SELECT version FROM control WHERE id = '5.10'"), 4,
                 "a refused Set changed the record");

    /* the legacy justification field goes to the text that fits */
    isms__v1__set_control_request__init(&s);
    s.id = "5.10";
    s.set_justification = 1;
    s.justification = "still nothing of that kind processed";
    cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
    cr_assert_str_eq(record(&rep)->exclusion_justification, "still nothing of that kind processed");
    isms_test_reply_cleanup(&rep);

    /* include again: the exclusion text is cleared, the status back to not_started */
    isms__v1__set_control_request__init(&s);
    s.id = "5.10";
    s.set_applicable = 1;
    s.applicable = "yes";
    s.set_reasons = 1;
    s.reasons = legal;
    s.n_reasons = 1;
    cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
    cr_assert_str_eq(record(&rep)->exclusion_justification, "");
    cr_assert_str_eq(record(&rep)->justification, "");
    cr_assert_str_eq(record(&rep)->status, "not_started");
    isms_test_reply_cleanup(&rep);
    isms__v1__set_control_request__init(&s);
    s.id = "5.10";
    s.set_exclusion_justification = 1;
    s.exclusion_justification = "not needed after all";
    set(fd, &s, &rep);
    isms_test_expect(&rep, 9, "6.1.3 d: control 5.10 is not excluded", "exclusion on included");
    isms_test_reply_cleanup(&rep);

    /* bad input */
    isms__v1__set_control_request__init(&s);
    s.id = "5.10";
    s.set_target_date = 1;
    s.target_date = "2027-02-30";
    set(fd, &s, &rep);
    isms_test_expect(&rep, 3, "target_date must be a date", "bad date");
    isms_test_reply_cleanup(&rep);
    isms__v1__set_control_request__init(&s);
    s.id = "5.10";
    s.set_justification = 1;
    s.justification = "x";
    s.set_inclusion_justification = 1;
    s.inclusion_justification = "y";
    set(fd, &s, &rep);
    isms_test_expect(&rep, 3, "not both", "legacy and new justification");
    isms_test_reply_cleanup(&rep);

    /* the server still serves */
    cr_assert_eq(check(fd, &rep), 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

/* ---- soa check ------------------------------------------------------------------------------ */

Test(soa_record, check_rules_for_risks_dates_owners_and_short_justifications)
{
    struct isms_test_env env;
    Isms__V1__SetControlRequest s = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    Isms__V1__GetControlRequest get = ISMS__V1__GET_CONTROL_REQUEST__INIT;
    struct isms_test_reply rep;
    struct isms_test_proc p;
    long long risk;
    char q[160];
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    make_consistent(fd);
    cr_assert_eq(check(fd, &rep), 0);
    cr_assert(((const Isms__V1__SoaCheckResponse *)rep.body)->ok);
    isms_test_reply_cleanup(&rep);

    include(fd, "5.15", "risk_treatment", "not_started");  /* no risk selects it */
    risk = risk_selecting(&env, "5.16");                   /* selected, reason missing */
    include(fd, "5.17", "legal", "planned");               /* no target date */
    include(fd, "5.18", "legal", "partially_implemented"); /* no target date */
    s.id = "5.19";
    s.set_inclusion_justification = 1;
    s.inclusion_justification = " n/a ";
    cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);
    isms__v1__set_control_request__init(&s);
    s.id = "5.20";
    s.set_applicable = 1;
    s.applicable = "no";
    s.set_exclusion_justification = 1;
    s.exclusion_justification = "see policy";
    cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);
    /* an owner from before owners were accounts */
    sql(&env, "UPDATE control SET owner = 'IT department' WHERE id = '5.21'");

    cr_assert_eq(check(fd, &rep), 0);
    cr_assert(has_finding(&rep, "5.15", "risk_treatment_without_risk"));
    cr_assert(has_finding(&rep, "5.16", "risk_selected_without_reason"));
    cr_assert(has_finding(&rep, "5.17", "planned_without_target_date"));
    cr_assert(has_finding(&rep, "5.18", "planned_without_target_date"));
    cr_assert(has_finding(&rep, "5.19", "justification_too_short"));
    cr_assert(has_finding(&rep, "5.20", "justification_too_short"));
    cr_assert(has_finding(&rep, "5.21", "owner_not_an_account"));
    cr_assert_eq(((const Isms__V1__SoaCheckResponse *)rep.body)->n_findings, 7);
    isms_test_reply_cleanup(&rep);

    /* fix 5.16 with the reason; a closed risk then no longer selects it */
    include(fd, "5.16", "risk_treatment", "not_started");
    cr_assert_eq(check(fd, &rep), 0);
    cr_assert_not(has_finding(&rep, "5.16", "risk_selected_without_reason"));
    cr_assert_not(has_finding(&rep, "5.16", "risk_treatment_without_risk"));
    isms_test_reply_cleanup(&rep);
    snprintf(q, sizeof(q), "UPDATE risk SET status = 'closed' WHERE num = %lld", risk);
    sql(&env, q);
    cr_assert_eq(check(fd, &rep), 0);
    cr_assert(has_finding(&rep, "5.16", "risk_treatment_without_risk"));
    isms_test_reply_cleanup(&rep);
    get.id = "5.16";
    cr_assert_eq(
        isms_test_unary(fd, M_GET, &get.base, 0, &isms__v1__control_record__descriptor, &rep), 0);
    cr_assert_eq(record(&rep)->n_linked_risks, 0, "a closed risk still selects 5.16");
    isms_test_reply_cleanup(&rep);

    /* the help no longer promises everything an auditor would find */
    if (isms_test_ismsctl_path() != NULL) {
        ctl(&p, env.srv.port, 0, (const char *const[]){"help", NULL});
        cr_assert_null(strstr(p.out, "every inconsistency"), "%s", p.out);
        cr_assert_neq(strstr(p.out, "20 characters"), NULL);
        isms_test_proc_cleanup(&p);
    }
    isms_test_finish();
}

/* ---- summary -------------------------------------------------------------------------------- */

Test(soa_record, summary_with_92_undecided_is_not_100_percent)
{
    struct isms_test_env env;
    Isms__V1__SoaSummaryRequest req = ISMS__V1__SOA_SUMMARY_REQUEST__INIT;
    Isms__V1__SetControlRequest s = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    const Isms__V1__SoaSummaryResponse *r;
    struct isms_test_reply rep;
    struct isms_test_proc p;
    char *ev[1] = {"POL-1"};
    int fd;

    cr_assert_not_null(isms_test_ismsctl_path(), "ismsctl was not built");
    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    include(fd, "5.1", "legal", "implemented");
    s.id = "5.1";
    s.set_evidence = 1;
    s.evidence = ev;
    s.n_evidence = 1;
    cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);

    cr_assert_eq(isms_test_unary(fd, M_SUMMARY, &req.base, 0,
                                 &isms__v1__soa_summary_response__descriptor, &rep),
                 0);
    r = (const Isms__V1__SoaSummaryResponse *)rep.body;
    cr_assert_eq(r->total->undecided, 92);
    cr_assert_eq(r->total->implemented, 1);
    cr_assert_float_eq(r->total->percent_implemented_of_in_scope, 1.1, 1e-9);
    isms_test_reply_cleanup(&rep);

    ctl_login(env.srv.port);
    ctl(&p, env.srv.port, 0, (const char *const[]){"-o", "csv", "soa", "summary", NULL});
    cr_assert_neq(strstr(p.out, "Total,93,1,0,92,1,0,1.1,n/a (92 undecided)\r\n"), NULL, "%s",
                  p.out);
    cr_assert_null(strstr(p.out, "100.0"), "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, env.srv.port, 0, (const char *const[]){"soa", "summary", NULL});
    cr_assert_neq(strstr(p.err, "92 of 93 controls are still undecided"), NULL, "%s\n%s", p.out,
                  p.err);
    cr_assert_null(strstr(p.out, "100.0"), "%s", p.out);
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

/* ---- control import ------------------------------------------------------------------------- */

Test(soa_record, control_import_round_trips_dry_runs_and_applies_all_or_nothing)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    struct isms_test_reply rep;
    char dir[256], f[320], g[320];
    char *csv, *edited;
    long long audit_before;
    int fd, port;

    cr_assert_not_null(isms_test_ismsctl_path(), "ismsctl was not built");
    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    ctl_login(port);
    fd = isms_test_connect(port);
    isms_test_user_create(fd, "olga", "viewer", "long-enough-passphrase-42");
    make_consistent(fd);
    {
        /* text a spreadsheet would run as a formula, exported with a guard apostrophe */
        Isms__V1__SetControlRequest s = ISMS__V1__SET_CONTROL_REQUEST__INIT;

        s.id = "5.2";
        s.set_applicable = 1;
        s.applicable = "no";
        s.set_exclusion_justification = 1;
        s.exclusion_justification = "=HYPERLINK(\"x\") -- one person company, no roles";
        cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
        isms_test_reply_cleanup(&rep);
    }
    isms_test_tmpdir(dir, sizeof(dir));
    snprintf(f, sizeof(f), "%s/soa.csv", dir);
    snprintf(g, sizeof(g), "%s/edited.csv", dir);
    ctl(&p, port, 0, (const char *const[]){"soa", "export", "--format", "csv", "--file", f, NULL});
    isms_test_proc_cleanup(&p);

    /* its own export reads back verbatim: nothing would change */
    ctl(&p, port, 0, (const char *const[]){"control", "import", f, "--dry-run", NULL});
    cr_assert_neq(strstr(p.out, "dry run: 0 of 93 controls would change"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);

    /* a SoA edited in a spreadsheet */
    csv = isms_test_read_file(f);
    cr_assert_not_null(csv);
    edited = strdup(csv);
    replace(&edited,
            "\r\n1,5.1,Organizational,Policies for information security,false,"
            "ISO/IEC 27001:2022 Annex A,yes,best_practice," JUST ",,not_started,,,,,\r\n",
            "\r\n1,5.1,Organizational,Policies for information security,false,"
            "ISO/IEC 27001:2022 Annex A,yes,legal; contractual,\"" JUST ", and ISO clause 5.2\","
            ",implemented,,olga,\"Policy approved, published\",\"POL-1\nhttps://wiki.example.org/"
            "p\",\r\n");
    replace(&edited,
            "\r\n3,5.3,Organizational,Segregation of duties,false,ISO/IEC 27001:2022 Annex A,yes,"
            "best_practice," JUST ",,not_started,,,,,\r\n",
            "\r\n3,5.3,Organizational,Segregation of duties,false,ISO/IEC 27001:2022 Annex A,no,,,"
            "\"only two admins, no segregation possible\",,,,,,\r\n");
    replace(&edited,
            "\r\n4,5.4,Organizational,Management responsibilities,false,ISO/IEC 27001:2022 "
            "Annex A,yes,best_practice," JUST ",,not_started,,,,,\r\n",
            "\r\n4,5.4,Organizational,Management responsibilities,false,ISO/IEC 27001:2022 "
            "Annex A,yes,best_practice," JUST ",,planned,2027-06-30,,,,\r\n");
    write_file(g, edited);

    audit_before = sql_scalar(&env, "SELECT count(*) FROM audit_log");
    ctl(&p, port, 0, (const char *const[]){"-o", "csv", "control", "import", g, "--dry-run", NULL});
    cr_assert_neq(strstr(p.out, "5.1,Policies for information security,reasons,best_practice,"
                                "legal; contractual\r\n"),
                  NULL, "%s", p.out);
    cr_assert_neq(strstr(p.out, "5.1,Policies for information security,owner,,olga\r\n"), NULL,
                  "%s", p.out);
    cr_assert_neq(strstr(p.out, "5.3,Segregation of duties,applicable,yes,no\r\n"), NULL, "%s",
                  p.out);
    cr_assert_neq(strstr(p.out, "5.4,Management responsibilities,target_date,,2027-06-30\r\n"),
                  NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    cr_assert_eq(sql_scalar(&env, "SELECT count(*) FROM control WHERE version > 2"), 1,
                 "a dry run changed records (only 5.2 was set twice)");
    cr_assert_eq(sql_scalar(&env, "SELECT count(*) FROM audit_log"), audit_before,
                 "a dry run wrote audit records");

    ctl(&p, port, 0, (const char *const[]){"control", "import", g, NULL});
    cr_assert_neq(strstr(p.out, "imported 93 rows: 3 controls changed"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    cr_assert_eq(sql_scalar(&env, "SELECT count(*) FROM audit_log WHERE method = "
                                  "'/isms.v1.Control/Import'"),
                 3);
    cr_assert_eq(sql_scalar(&env, "SELECT count(*) FROM control WHERE id = '5.1' AND owner = "
                                  "'olga' AND status = 'implemented' AND cardinality(evidence) = 2"
                                  " AND reasons = '{legal,contractual}'"),
                 1);
    cr_assert_eq(sql_scalar(&env, "SELECT count(*) FROM control WHERE id = '5.3' AND applicable ="
                                  " 'no' AND status = 'not_applicable' AND justification = '' AND"
                                  " exclusion_justification LIKE 'only two admins, no seg%'"),
                 1);
    cr_assert_eq(sql_scalar(&env, "SELECT count(*) FROM control WHERE id = '5.2' AND "
                                  "exclusion_justification = '=HYPERLINK(\"x\") -- one person "
                                  "company, no roles'"),
                 1, "the formula guard was not read back verbatim");
    /* importing the same file again changes nothing */
    ctl(&p, port, 0, (const char *const[]){"control", "import", g, NULL});
    cr_assert_neq(strstr(p.out, "imported 93 rows: 0 controls changed"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    free(edited);
    free(csv);
    isms_test_finish();
}

/* One bad file: `control import` exits `want`, stderr names `needle`, and nothing changed. */
static void import_refused(const struct isms_test_env *env, const char *dir, const char *name,
                           const char *text, int want, const char *needle)
{
    struct isms_test_proc p;
    char path[400];
    long long before = sql_scalar(env, "SELECT sum(version) FROM control");

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    write_file(path, text);
    isms_test_ismsctl_expect(&p, env->srv.port, want, NULL, NULL,
                             (const char *const[]){"control", "import", path, NULL});
    cr_assert_neq(strstr(p.err, needle), NULL, "%s: want \"%s\" in:\n%s", name, needle, p.err);
    isms_test_proc_cleanup(&p);
    cr_assert_eq(sql_scalar(env, "SELECT sum(version) FROM control"), before,
                 "%s: a refused import changed something", name);
}

#define HEAD                                                                                       \
    "document,SOA-current\r\n\r\nposition,id,theme,title,custom,source,applicable,reasons,"        \
    "inclusion_justification,exclusion_justification,status,target_date,owner,implementation,"     \
    "evidence,linked_risks\r\n"
#define GOOD_ROW "1,5.1,,,,,yes,legal," JUST ",,planned,2027-01-01,,,,\r\n"

Test(soa_record, control_import_refuses_bad_rows_and_bad_csv_with_the_row)
{
    struct isms_test_env env;
    char dir[256];
    int fd;

    cr_assert_not_null(isms_test_ismsctl_path(), "ismsctl was not built");
    isms_test_env_start(&env, NULL);
    ctl_login(env.srv.port);
    fd = isms_test_connect(env.srv.port);
    isms_test_user_create(fd, "gone", "viewer", "long-enough-passphrase-42");
    sql(&env, "UPDATE app_user SET status = 'disabled' WHERE name = 'gone'");
    isms_test_tmpdir(dir, sizeof(dir));

    /* each file has a good first row: all or nothing */
    import_refused(&env, dir, "unknown.csv", HEAD GOOD_ROW "2,9.99,,,,,yes,legal,x,,,,,,,\r\n", 4,
                   "row 5: control \"9.99\" does not exist");
    import_refused(&env, dir, "status.csv", HEAD GOOD_ROW "2,5.2,,,,,yes,legal,x,,done,,,,,\r\n", 3,
                   "row 5: control 5.2: status must be");
    import_refused(&env, dir, "reason.csv", HEAD GOOD_ROW "2,5.2,,,,,yes,luck,x,,,,,,,\r\n", 3,
                   "row 5: reason \"luck\" is not one of");
    import_refused(&env, dir, "excluded.csv",
                   HEAD GOOD_ROW "2,5.2,,,,,no,legal,,not needed at all here,,,,,,\r\n", 6,
                   "row 5: 6.1.3 d: control 5.2 is excluded, so it takes no reasons");
    import_refused(&env, dir, "included.csv",
                   HEAD GOOD_ROW "2,5.2,,,,,yes,legal,x,not needed at all here,,,,,,\r\n", 6,
                   "row 5: 6.1.3 d: control 5.2 is not excluded");
    import_refused(&env, dir, "owner.csv", HEAD GOOD_ROW "2,5.2,,,,,yes,legal,x,,,,bob,,,\r\n", 4,
                   "row 5: user \"bob\" does not exist: a control owner must be an account");
    import_refused(&env, dir, "disabled.csv", HEAD GOOD_ROW "2,5.2,,,,,yes,legal,x,,,,gone,,,\r\n",
                   6, "row 5: user \"gone\" is disabled");
    import_refused(&env, dir, "twice.csv", HEAD GOOD_ROW "2,A.5.1,,,,,yes,legal,x,,,,,,,\r\n", 3,
                   "row 5: the control of row 4 is given again");
    import_refused(&env, dir, "date.csv",
                   HEAD GOOD_ROW "2,5.2,,,,,yes,legal,x,,,31.12.2027,,,,\r\n", 3,
                   "row 5: target_date must be a date");
    import_refused(&env, dir, "evidence.csv",
                   HEAD GOOD_ROW "2,5.2,,,,,yes,legal,x,,,,,,ftp://x/y,\r\n", 3,
                   "row 5: evidence URL \"ftp://x/y\" must use http or https");
    import_refused(&env, dir, "cells.csv", HEAD GOOD_ROW "2,5.2,,,,,yes\r\n", 3,
                   "row 5: 7 cells, but the column row has 16");
    import_refused(&env, dir, "quote.csv", HEAD GOOD_ROW "2,5.2,,,,,yes,legal,\"never closed\r\n",
                   3, "line 5: a quoted field is not closed");
    import_refused(&env, dir, "column.csv",
                   "position,id,colour,applicable,reasons,inclusion_justification,"
                   "exclusion_justification,status,target_date,owner,implementation,evidence\r\n",
                   3, "line 1: unknown column \"colour\"");
    import_refused(
        &env, dir, "missing.csv",
        "position,id,applicable,reasons,inclusion_justification,"
        "exclusion_justification,status,target_date,implementation,evidence\r\n" GOOD_ROW,
        3, "column \"owner\" is missing");
    import_refused(&env, dir, "nothing.csv", "just some text\r\n", 3, "no column row");
    import_refused(&env, dir, "empty.csv", HEAD, 3, "no rows to import");
    {
        struct isms_test_proc p;

        isms_test_ismsctl_expect(
            &p, env.srv.port, 3, NULL, NULL,
            (const char *const[]){"control", "import", "/nonexistent/soa.csv", NULL});
        cr_assert_neq(strstr(p.err, "could not open /nonexistent/soa.csv"), NULL, "%s", p.err);
        isms_test_proc_cleanup(&p);
    }
    /* a viewer may not import */
    {
        struct isms_test_proc p;
        char path[400], token[256];
        Isms__V1__ImportControlsRequest req = ISMS__V1__IMPORT_CONTROLS_REQUEST__INIT;
        Isms__V1__ImportControlRow row = ISMS__V1__IMPORT_CONTROL_ROW__INIT;
        Isms__V1__ImportControlRow *rows[1] = {&row};
        struct isms_test_reply rep;
        int vfd;

        snprintf(path, sizeof(path), "%s/good.csv", dir);
        write_file(path, HEAD GOOD_ROW);
        isms_test_ismsctl_expect(&p, env.srv.port, 0, NULL, NULL,
                                 (const char *const[]){"control", "import", path, NULL});
        cr_assert_neq(strstr(p.out, "imported 1 rows: 1 controls changed"), NULL, "%s", p.out);
        isms_test_proc_cleanup(&p);

        isms_test_user_create(fd, "vic", "viewer", "viewer-password-long-enough");
        cr_assert_eq(isms_test_login(env.srv.port, "vic", "viewer-password-long-enough", token,
                                     sizeof(token)),
                     0);
        isms_test_set_token(token);
        vfd = isms_test_connect(env.srv.port);
        row.row = 1;
        row.id = "5.1";
        row.applicable = "yes";
        req.rows = rows;
        req.n_rows = 1;
        isms_test_unary(vfd, "/isms.v1.Control/Import", &req.base, 0,
                        &isms__v1__import_controls_response__descriptor, &rep);
        isms_test_expect(&rep, 7, NULL, "viewer import");
        isms_test_reply_cleanup(&rep);
    }
    isms_test_finish();
}

/* ---- owners are accounts -------------------------------------------------------------------- */

Test(soa_record, control_owner_must_be_an_active_account)
{
    struct isms_test_env env;
    Isms__V1__SetControlRequest s = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    struct isms_test_reply rep;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    s.id = "5.9";
    s.set_owner = 1;
    s.owner = "bob";
    set(fd, &s, &rep);
    isms_test_expect(&rep, 5, "user \"bob\" does not exist: a control owner must be an account",
                     "unknown owner");
    isms_test_reply_cleanup(&rep);
    isms_test_user_create(fd, "bob", "viewer", "long-enough-passphrase-42");
    cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
    cr_assert_str_eq(record(&rep)->owner, "bob");
    isms_test_reply_cleanup(&rep);
    sql(&env, "UPDATE app_user SET status = 'disabled' WHERE name = 'bob'");
    s.id = "5.10";
    set(fd, &s, &rep);
    isms_test_expect(&rep, 9, "user \"bob\" is disabled", "disabled owner");
    isms_test_reply_cleanup(&rep);
    /* clearing an owner needs no account */
    s.owner = "";
    cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

/* A treatment action's owner is an account too (schema/036); actions stored before keep their
 * free-text owner and their status can still change. */
Test(soa_record, action_owner_must_be_an_active_account)
{
    struct isms_test_env env;
    Isms__V1__CreateRiskRequest cr = ISMS__V1__CREATE_RISK_REQUEST__INIT;
    Isms__V1__TreatRiskRequest tr = ISMS__V1__TREAT_RISK_REQUEST__INIT;
    Isms__V1__RiskActionInput a = ISMS__V1__RISK_ACTION_INPUT__INIT;
    Isms__V1__RiskActionInput *ap = &a;
    Isms__V1__RiskActionUpdate up = ISMS__V1__RISK_ACTION_UPDATE__INIT;
    Isms__V1__RiskActionUpdate *upp = &up;
    struct isms_test_reply rep;
    char ra[32];
    long long legacy;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    isms_test_user_create(fd, "gone", "viewer", "long-enough-passphrase-42");
    sql(&env, "UPDATE app_user SET status = 'disabled' WHERE name = 'gone'");
    cr.title = "Laptop theft";
    cr.owner = ISMS_TEST_ADMIN_USER;
    cr.likelihood = 2;
    cr.impact = 2;
    cr.assets = NULL;
    cr_assert_eq(isms_test_unary(fd, "/isms.v1.Risk/Create", &cr.base, 0,
                                 &isms__v1__risk_record__descriptor, &rep),
                 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);

    tr.id = "R-1";
    tr.option = "modify";
    tr.add_actions = &ap;
    tr.n_add_actions = 1;
    a.description = "encrypt every laptop disk";
    a.owner = "it operations";
    isms_test_unary(fd, "/isms.v1.Risk/Treat", &tr.base, 0, &isms__v1__risk_record__descriptor,
                    &rep);
    isms_test_expect(&rep, 5,
                     "user \"it operations\" does not exist: an action owner must be an account",
                     "action owner not an account");
    isms_test_reply_cleanup(&rep);
    a.owner = "gone";
    isms_test_unary(fd, "/isms.v1.Risk/Treat", &tr.base, 0, &isms__v1__risk_record__descriptor,
                    &rep);
    isms_test_expect(&rep, 9, "user \"gone\" is disabled: an action owner must be an active user",
                     "disabled action owner");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(sql_scalar(&env, "SELECT count(*) FROM risk_action"), 0);
    a.owner = ISMS_TEST_ADMIN_USER;
    cr_assert_eq(isms_test_unary(fd, "/isms.v1.Risk/Treat", &tr.base, 0,
                                 &isms__v1__risk_record__descriptor, &rep),
                 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);

    /* an action from before the rule keeps its owner and can still be updated */
    sql(&env, "ALTER TABLE risk_action DISABLE TRIGGER risk_action_owner_account");
    legacy = sql_scalar(&env, "INSERT INTO risk_action (risk_num, description, owner) VALUES"
                              " (1, 'old action', 'IT department') RETURNING num");
    sql(&env, "ALTER TABLE risk_action ENABLE TRIGGER risk_action_owner_account");
    snprintf(ra, sizeof(ra), "RA-%lld", legacy);
    isms__v1__treat_risk_request__init(&tr);
    tr.id = "R-1";
    up.id = ra;
    up.status = "done";
    tr.update_actions = &upp;
    tr.n_update_actions = 1;
    cr_assert_eq(isms_test_unary(fd, "/isms.v1.Risk/Treat", &tr.base, 0,
                                 &isms__v1__risk_record__descriptor, &rep),
                 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(sql_scalar(&env, "SELECT count(*) FROM risk_action WHERE owner = 'IT department'"
                                  " AND status = 'done'"),
                 1);
    isms_test_finish();
}
