/* tests/integration/test_approvals.c — approvals and acceptance against a real ismsd and
 * PostgreSQL (ISO/IEC 27001:2022 5.1, 6.1.3 d-f, 8.3): SoA versions approved by top management
 * itself, once, the latest only; an identical SoA not published again; risk owners who can
 * accept; every residual risk accepted by its owner with a future review date; target versus
 * current residual; treated only when implemented; a lowered own residual confirmed by a second
 * person; an avoided risk closed because the activity ceased. Raw protobuf and ismsctl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "isms/v1/control.pb-c.h"
#include "isms/v1/risk.pb-c.h"
#include "testlib.h"

TestSuite(approvals, .init = isms_test_init, .fini = isms_test_fini, .timeout = 280);

#define PW_BOSS  "correct-horse-battery-one1"
#define PW_ALICE "correct-horse-battery-two2"
#define PW_MIA   "correct-horse-battery-three3"
#define PW_VERA  "correct-horse-battery-four4"

/* ismsd with boss (top_management), alice (risk_owner), mia (isms_manager), vera (viewer) and
 * their tokens; requests go out as the admin unless a test switches. */
struct world {
    struct isms_test_env env;
    int fd;
    PGconn *pg;
    char admin[256], boss[256], alice[256], mia[256], vera[256];
};

static void world_start(struct world *w)
{
    isms_test_env_start(&w->env, NULL);
    snprintf(w->admin, sizeof(w->admin), "%s", isms_test_token());
    w->fd = isms_test_connect(w->env.srv.port);
    isms_test_user_create(w->fd, "boss", "top_management", PW_BOSS);
    isms_test_user_create(w->fd, "alice", "risk_owner", PW_ALICE);
    isms_test_user_create(w->fd, "mia", "isms_manager", PW_MIA);
    isms_test_user_create(w->fd, "vera", "viewer", PW_VERA);
    cr_assert_eq(isms_test_login(w->env.srv.port, "boss", PW_BOSS, w->boss, sizeof(w->boss)), 0);
    cr_assert_eq(isms_test_login(w->env.srv.port, "alice", PW_ALICE, w->alice, sizeof(w->alice)),
                 0);
    cr_assert_eq(isms_test_login(w->env.srv.port, "mia", PW_MIA, w->mia, sizeof(w->mia)), 0);
    cr_assert_eq(isms_test_login(w->env.srv.port, "vera", PW_VERA, w->vera, sizeof(w->vera)), 0);
    isms_test_set_token(w->admin);
    w->pg = isms_test_pg_connect(w->env.db.conninfo);
}

static void as(const char *token)
{
    isms_test_set_token(token);
}

static long long scalar(struct world *w, const char *sql)
{
    return isms_test_pg_scalar(w->pg, sql, 0, NULL);
}

/* Runs ismsctl with `token` and checks its exit status. */
static void ctl(struct isms_test_proc *p, const struct world *w, const char *token, int want,
                const char *const *args)
{
    char tok[300];
    const char *env[2];

    snprintf(tok, sizeof(tok), "ISMS_TOKEN=%s", token);
    env[0] = tok;
    env[1] = NULL;
    isms_test_ismsctl_expect(p, w->env.srv.port, want, NULL, env, args);
}

/* ---- SoA ------------------------------------------------------------------------------------- */

static int publish(int fd, struct isms_test_reply *rep)
{
    Isms__V1__SoaPublishRequest req = ISMS__V1__SOA_PUBLISH_REQUEST__INIT;

    return isms_test_unary(fd, "/isms.v1.Soa/Publish", &req.base, 0,
                           &isms__v1__soa_version__descriptor, rep);
}

static int approve(int fd, int32_t n, struct isms_test_reply *rep)
{
    Isms__V1__SoaApproveRequest req = ISMS__V1__SOA_APPROVE_REQUEST__INIT;

    req.version = n;
    return isms_test_unary(fd, "/isms.v1.Soa/Approve", &req.base, 0,
                           &isms__v1__soa_version__descriptor, rep);
}

static const Isms__V1__SoaVersion *V(const struct isms_test_reply *rep)
{
    return (const Isms__V1__SoaVersion *)rep->body;
}

Test(approvals, soa_versions_are_approved_by_top_management_itself)
{
    struct world w;
    struct isms_test_reply rep;
    struct isms_test_proc p;

    world_start(&w);
    /* a consistent SoA: every Annex A control applicable and planned */
    isms_test_pg_exec(w.pg, "UPDATE control SET applicable = 'yes', reasons = '{best_practice}',"
                            " status = 'planned', target_date = '2027-06-30' WHERE NOT is_custom");
    cr_assert_eq(publish(w.fd, &rep), 0, "%s", rep.message);
    cr_assert_eq(V(&rep)->number, 1);
    cr_assert(!V(&rep)->approved, "publishing is not approving");
    cr_assert_str_eq(V(&rep)->approved_by, "");
    isms_test_reply_cleanup(&rep);
    publish(w.fd, &rep);
    isms_test_expect(&rep, 9, "6.1.3 d: the SoA is identical to published version 1",
                     "republish unchanged");
    isms_test_reply_cleanup(&rep);

    /* the isms_manager who published it cannot approve it, nor can a viewer */
    approve(w.fd, 1, &rep);
    isms_test_expect(&rep, 7, "top_management", "approve by the admin");
    isms_test_reply_cleanup(&rep);
    as(w.vera);
    approve(w.fd, 1, &rep);
    isms_test_expect(&rep, 7, NULL, "approve by a viewer");
    isms_test_reply_cleanup(&rep);

    as(w.boss);
    approve(w.fd, 0, &rep);
    isms_test_expect(&rep, 3, "version must be a published version number", "approve 0");
    isms_test_reply_cleanup(&rep);
    approve(w.fd, 9, &rep);
    isms_test_expect(&rep, 5, "SoA version 9 does not exist", "approve 9");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(approve(w.fd, 1, &rep), 0, "%s", rep.message);
    cr_assert(V(&rep)->approved);
    cr_assert_str_eq(V(&rep)->approved_by, "boss");
    cr_assert_eq(strlen(V(&rep)->approved_at), 20, "%s", V(&rep)->approved_at);
    cr_assert_str_eq(V(&rep)->published_by, ISMS_TEST_ADMIN_USER);
    isms_test_reply_cleanup(&rep);
    approve(w.fd, 1, &rep);
    isms_test_expect(&rep, 9, "6.1.3 d: SoA version 1 was already approved by boss", "twice");
    isms_test_reply_cleanup(&rep);

    /* two more versions: only the latest can be approved */
    as(w.admin);
    isms_test_pg_exec(w.pg, "UPDATE control SET implementation = 'IAM policy' WHERE id = '5.15'");
    cr_assert_eq(publish(w.fd, &rep), 0, "%s", rep.message);
    cr_assert_eq(V(&rep)->number, 2);
    isms_test_reply_cleanup(&rep);
    isms_test_pg_exec(w.pg, "UPDATE control SET implementation = 'MFA' WHERE id = '8.5'");
    cr_assert_eq(publish(w.fd, &rep), 0, "%s", rep.message);
    cr_assert_eq(V(&rep)->number, 3);
    isms_test_reply_cleanup(&rep);
    as(w.boss);
    approve(w.fd, 2, &rep);
    isms_test_expect(&rep, 9, "SoA version 2 is superseded by version 3", "approve old");
    isms_test_reply_cleanup(&rep);

    cr_assert_eq(scalar(&w, "SELECT count(*) FROM audit_log WHERE method = '/isms.v1.Soa/Approve'"
                            " AND result = 'OK' AND actor = 'boss' AND entity = 'soa:v1'"),
                 1);
    {
        PGresult *res = PQexec(w.pg, "UPDATE soa_approval SET approved_by = 'admin'");

        cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "an approval was changed");
        PQclear(res);
    }

    if (isms_test_ismsctl_path() != NULL) {
        ctl(&p, &w, w.admin, 7, (const char *const[]){"soa", "approve", "3", NULL});
        isms_test_proc_cleanup(&p);
        ctl(&p, &w, w.boss, 2, (const char *const[]){"soa", "approve", "x", NULL});
        isms_test_proc_cleanup(&p);
        ctl(&p, &w, w.boss, 0, (const char *const[]){"soa", "approve", "3", NULL});
        cr_assert_neq(strstr(p.out, "boss"), NULL, "%s", p.out);
        isms_test_proc_cleanup(&p);
        ctl(&p, &w, w.vera, 0, (const char *const[]){"-o", "csv", "soa", "versions", NULL});
        cr_assert_neq(strstr(p.out, "1,approved,boss,"), NULL, "%s", p.out);
        cr_assert_neq(strstr(p.out, "2,not approved,,,admin,"), NULL, "%s", p.out);
        cr_assert_neq(strstr(p.out, "3,approved,boss,"), NULL, "%s", p.out);
        isms_test_proc_cleanup(&p);
        ctl(&p, &w, w.vera, 0,
            (const char *const[]){"soa", "export", "--format", "html", "--version", "2", NULL});
        cr_assert_neq(strstr(p.out, "<tr><th>Approval</th><td>published by admin at 20"), NULL,
                      "%s", p.out);
        cr_assert_neq(strstr(p.out, ", not approved</td></tr>"), NULL, "%s", p.out);
        isms_test_proc_cleanup(&p);
        ctl(&p, &w, w.vera, 0,
            (const char *const[]){"soa", "export", "--format", "md", "--version", "3", NULL});
        cr_assert_neq(strstr(p.out, "| Approval | approved by boss at 20"), NULL, "%s", p.out);
        isms_test_proc_cleanup(&p);
        ctl(&p, &w, w.admin, 6, (const char *const[]){"soa", "publish", NULL});
        cr_assert_neq(strstr(p.err, "identical to published version 3"), NULL, "%s", p.err);
        isms_test_proc_cleanup(&p);
        /* the seventh role through ismsctl */
        {
            char tok[300];

            snprintf(tok, sizeof(tok), "ISMS_TOKEN=%s", w.admin);
            isms_test_ismsctl_expect(
                &p, w.env.srv.port, 0, PW_BOSS "2\n", (const char *const[]){tok, NULL},
                (const char *const[]){"user", "create", "carol", "--roles", "top_management",
                                      "--password-stdin", NULL});
            isms_test_proc_cleanup(&p);
        }
        cr_assert_eq(scalar(&w, "SELECT count(*) FROM app_user WHERE name = 'carol'"
                                " AND roles = '{top_management}'"),
                     1);
        ctl(&p, &w, w.admin, 3,
            (const char *const[]){"user", "create", "dave", "--roles", "ceo", NULL});
        cr_assert_neq(strstr(p.err, "top_management"), NULL, "%s", p.err);
        isms_test_proc_cleanup(&p);
        ctl(&p, &w, w.vera, 0, (const char *const[]){"help", NULL});
        cr_assert_neq(strstr(p.out, "soa approve"), NULL, "%s", p.out);
        cr_assert_neq(strstr(p.out, "risk confirm"), NULL, "%s", p.out);
        isms_test_proc_cleanup(&p);
    }
    isms_test_finish();
}

/* ---- risks ----------------------------------------------------------------------------------- */

static Isms__V1__RiskRecord *R(const struct isms_test_reply *rep)
{
    return (Isms__V1__RiskRecord *)rep->body;
}

static int rcall(int fd, const char *m, const ProtobufCMessage *req, struct isms_test_reply *rep)
{
    return isms_test_unary(fd, m, req, 0, &isms__v1__risk_record__descriptor, rep);
}

static int create(int fd, const char *owner, int l, int i, struct isms_test_reply *rep)
{
    Isms__V1__CreateRiskRequest r = ISMS__V1__CREATE_RISK_REQUEST__INIT;

    r.title = "a risk";
    r.owner = (char *)owner;
    r.likelihood = l;
    r.impact = i;
    return rcall(fd, "/isms.v1.Risk/Create", &r.base, rep);
}

static void create_ok(int fd, const char *owner, int l, int i)
{
    struct isms_test_reply rep;

    create(fd, owner, l, i, &rep);
    isms_test_expect(&rep, 0, NULL, "Create");
    isms_test_reply_cleanup(&rep);
}

static int get(int fd, const char *id, struct isms_test_reply *rep)
{
    Isms__V1__GetRiskRequest r = ISMS__V1__GET_RISK_REQUEST__INIT;

    r.id = (char *)id;
    return rcall(fd, "/isms.v1.Risk/Get", &r.base, rep);
}

static int accept(int fd, const char *id, const char *expires, struct isms_test_reply *rep)
{
    Isms__V1__AcceptRiskRequest r = ISMS__V1__ACCEPT_RISK_REQUEST__INIT;

    r.id = (char *)id;
    r.justification = "the owner's decision";
    r.expires = (char *)expires;
    return rcall(fd, "/isms.v1.Risk/Accept", &r.base, rep);
}

static int assess_residual(int fd, const char *id, int l, int i, struct isms_test_reply *rep)
{
    Isms__V1__AssessRiskRequest r = ISMS__V1__ASSESS_RISK_REQUEST__INIT;

    r.id = (char *)id;
    r.residual_likelihood = l;
    r.residual_impact = i;
    return rcall(fd, "/isms.v1.Risk/Assess", &r.base, rep);
}

static int confirm(int fd, const char *id, int reject, struct isms_test_reply *rep)
{
    Isms__V1__ConfirmResidualRequest r = ISMS__V1__CONFIRM_RESIDUAL_REQUEST__INIT;

    r.id = (char *)id;
    r.reject = reject;
    return rcall(fd, "/isms.v1.Risk/ConfirmResidual", &r.base, rep);
}

/* Treat: option (NULL = unchanged), one control and one action to add, one action to mark
 * done, residual rating, treated flag. */
static int treat(int fd, const char *id, const char *option, const char *control,
                 const char *action, const char *done, int rl, int ri, int treated,
                 struct isms_test_reply *rep)
{
    Isms__V1__TreatRiskRequest r = ISMS__V1__TREAT_RISK_REQUEST__INIT;
    Isms__V1__RiskActionInput a = ISMS__V1__RISK_ACTION_INPUT__INIT, *ap = &a;
    Isms__V1__RiskActionUpdate u = ISMS__V1__RISK_ACTION_UPDATE__INIT, *up = &u;
    char *controls[1] = {(char *)control};

    r.id = (char *)id;
    r.option = (char *)(option != NULL ? option : "");
    if (control != NULL) {
        r.add_controls = controls;
        r.n_add_controls = 1;
    }
    if (action != NULL) {
        a.description = (char *)action;
        a.owner = "mia";
        r.add_actions = &ap;
        r.n_add_actions = 1;
    }
    if (done != NULL) {
        u.id = (char *)done;
        u.status = "done";
        r.update_actions = &up;
        r.n_update_actions = 1;
    }
    r.residual_likelihood = rl;
    r.residual_impact = ri;
    r.treated = treated;
    return rcall(fd, "/isms.v1.Risk/Treat", &r.base, rep);
}

static int close_risk(int fd, const char *id, const char *reason, int ceased,
                      struct isms_test_reply *rep)
{
    Isms__V1__CloseRiskRequest r = ISMS__V1__CLOSE_RISK_REQUEST__INIT;

    r.id = (char *)id;
    r.reason = (char *)reason;
    r.activity_ceased = ceased;
    return rcall(fd, "/isms.v1.Risk/Close", &r.base, rep);
}

Test(approvals, risk_owners_can_accept_and_accept_every_residual_risk_until_a_review_date)
{
    struct world w;
    struct isms_test_reply rep;
    Isms__V1__UpdateRiskRequest u = ISMS__V1__UPDATE_RISK_REQUEST__INIT;

    world_start(&w);
    /* 6.1.2 c: an owner must be someone who can accept the risk */
    create(w.fd, "vera", 4, 5, &rep);
    isms_test_expect(&rep, 9, "6.1.2 c: user \"vera\" cannot own a risk", "viewer as owner");
    isms_test_reply_cleanup(&rep);
    create_ok(w.fd, "boss", 4, 5);  /* R-1, top management */
    create_ok(w.fd, "alice", 2, 3); /* R-2, within the appetite */
    create_ok(w.fd, "mia", 3, 3);   /* R-3, an isms_manager */
    u.id = "R-1";
    u.set_owner = 1;
    u.owner = "vera";
    rcall(w.fd, "/isms.v1.Risk/Update", &u.base, &rep);
    isms_test_expect(&rep, 9, "cannot own a risk", "Update owner to a viewer");
    isms_test_reply_cleanup(&rep);

    /* retaining within the appetite is not an acceptance */
    treat(w.fd, "R-2", "retain", NULL, NULL, NULL, 0, 0, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "retain within appetite");
    cr_assert_str_eq(R(&rep)->status, "treatment_planned");
    cr_assert(!R(&rep)->acceptance_valid);
    isms_test_reply_cleanup(&rep);

    /* the owner, and only the owner, with a review date in the future */
    accept(w.fd, "R-1", "2099-12-31", &rep);
    isms_test_expect(&rep, 7, "only the risk owner boss may accept R-1", "admin accepts");
    isms_test_reply_cleanup(&rep);
    as(w.boss);
    accept(w.fd, "R-1", "", &rep);
    isms_test_expect(&rep, 3, "expires is required", "no review date");
    isms_test_reply_cleanup(&rep);
    accept(w.fd, "R-1", "2020-01-01", &rep);
    isms_test_expect(&rep, 3, "expires must be after today", "stale review date");
    isms_test_reply_cleanup(&rep);
    accept(w.fd, "R-1", "2099-02-30", &rep);
    isms_test_expect(&rep, 3, "expires must be a date", "impossible date");
    isms_test_reply_cleanup(&rep);
    accept(w.fd, "R-1", "2099-12-31", &rep);
    isms_test_expect(&rep, 0, NULL, "top management accepts its risk");
    cr_assert_str_eq(R(&rep)->status, "accepted");
    cr_assert_str_eq(R(&rep)->accepted_by, "boss");
    cr_assert_str_eq(R(&rep)->acceptance_expires, "2099-12-31");
    cr_assert(R(&rep)->acceptance_valid);
    cr_assert_eq(R(&rep)->accepted_score, 20);
    isms_test_reply_cleanup(&rep);
    as(w.alice);
    accept(w.fd, "R-2", "2099-12-31", &rep);
    isms_test_expect(&rep, 0, NULL, "alice accepts within the appetite");
    cr_assert_str_eq(R(&rep)->status, "accepted");
    isms_test_reply_cleanup(&rep);
    as(w.mia);
    accept(w.fd, "R-3", "2099-12-31", &rep);
    isms_test_expect(&rep, 0, NULL, "an isms_manager accepts the risk it owns");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(scalar(&w, "SELECT count(*) FROM audit_log WHERE method = '/isms.v1.Risk/Accept'"
                            " AND result = 'OK'"
                            " AND changes::jsonb -> 'acceptance_expires' ->> 'after' = "
                            "'2099-12-31'"),
                 3);

    /* past its review date an acceptance no longer counts, at once */
    isms_test_pg_exec(w.pg, "UPDATE risk SET acceptance_expires = '2020-01-01' WHERE num = 1");
    as(w.vera);
    get(w.fd, "R-1", &rep);
    isms_test_expect(&rep, 0, NULL, "Get R-1");
    cr_assert(!R(&rep)->acceptance_valid);
    cr_assert_str_eq(R(&rep)->status, "assessed");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(approvals, current_residual_stays_inherent_until_the_treatment_is_implemented)
{
    struct world w;
    struct isms_test_reply rep;
    struct isms_test_proc p;

    world_start(&w);
    create_ok(w.fd, "alice", 4, 4); /* 16 high */
    treat(w.fd, "R-1", "modify", "8.24", "encrypt backups", NULL, 1, 2, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "plan");
    cr_assert_eq(R(&rep)->inherent_score, 16);
    cr_assert_eq(R(&rep)->residual_score, 2, "the target");
    cr_assert_eq(R(&rep)->target_score, 2);
    cr_assert_eq(R(&rep)->score, 16, "current: inherent while the treatment is open");
    cr_assert(R(&rep)->above_appetite);
    cr_assert(!R(&rep)->treatment_implemented);
    cr_assert_eq(R(&rep)->actions_open, 1);
    cr_assert_eq(R(&rep)->controls_unimplemented, 1);
    isms_test_reply_cleanup(&rep);

    /* the owner approves the plan and accepts the target; open treatment is not hidden */
    as(w.alice);
    accept(w.fd, "R-1", "2099-12-31", &rep);
    isms_test_expect(&rep, 0, NULL, "accept the plan");
    cr_assert_eq(R(&rep)->accepted_score, 2);
    cr_assert(R(&rep)->acceptance_valid);
    cr_assert_str_eq(R(&rep)->status, "treatment_planned");
    isms_test_reply_cleanup(&rep);

    /* 8.3: treated only when every action is done and every control implemented */
    treat(w.fd, "R-1", NULL, NULL, NULL, NULL, 0, 0, 1, &rep);
    isms_test_expect(&rep, 9, "8.3: R-1 has 1 open action", "treated with an open action");
    isms_test_reply_cleanup(&rep);
    treat(w.fd, "R-1", NULL, NULL, NULL, "RA-1", 0, 0, 1, &rep);
    isms_test_expect(&rep, 9, "8.3: 1 control selected for R-1 is not implemented",
                     "treated with a planned control");
    isms_test_reply_cleanup(&rep);
    treat(w.fd, "R-1", NULL, NULL, NULL, "RA-1", 0, 0, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "action done");
    cr_assert_eq(R(&rep)->actions_open, 0);
    cr_assert(R(&rep)->acceptance_valid, "progress is not a plan change");
    isms_test_reply_cleanup(&rep);
    isms_test_pg_exec(w.pg, "UPDATE control SET status = 'implemented' WHERE id = '8.24'");
    treat(w.fd, "R-1", NULL, NULL, NULL, NULL, 0, 0, 1, &rep);
    isms_test_expect(&rep, 0, NULL, "treated");
    cr_assert_str_eq(R(&rep)->status, "accepted");
    cr_assert(R(&rep)->treatment_implemented);
    cr_assert_eq(R(&rep)->score, 2, "achieved");
    cr_assert(!R(&rep)->above_appetite);
    isms_test_reply_cleanup(&rep);

    /* the control is no longer implemented in the SoA: the register says so at once */
    isms_test_pg_exec(w.pg, "UPDATE control SET status = 'partially_implemented' WHERE id = "
                            "'8.24'");
    get(w.fd, "R-1", &rep);
    isms_test_expect(&rep, 0, NULL, "Get");
    cr_assert_eq(R(&rep)->score, 16);
    cr_assert_str_eq(R(&rep)->status, "treatment_planned");
    isms_test_reply_cleanup(&rep);
    isms_test_pg_exec(w.pg, "UPDATE control SET status = 'implemented' WHERE id = '8.24'");

    /* a new action changes the plan: the owner approves and accepts it afresh */
    as(w.admin);
    treat(w.fd, "R-1", NULL, NULL, "test restores", NULL, 0, 0, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "plan change");
    cr_assert_str_eq(R(&rep)->accepted_by, "");
    cr_assert(!R(&rep)->acceptance_valid);
    cr_assert_str_eq(R(&rep)->status, "treatment_planned");
    cr_assert_eq(R(&rep)->score, 16);
    isms_test_reply_cleanup(&rep);

    if (isms_test_ismsctl_path() != NULL) {
        /* an empty residual shows empty, not 0 */
        create_ok(w.fd, "alice", 3, 3); /* */
        ctl(&p, &w, w.vera, 0, (const char *const[]){"-o", "csv", "risk", "list", NULL});
        cr_assert_neq(strstr(p.out, "R-2,a risk,alice,assessed,9,medium,true,,9,,"), NULL, "%s",
                      p.out);
        cr_assert_neq(strstr(p.out, "R-1,a risk,alice,treatment_planned,16,high,true,modify,16,2,"),
                      NULL, "%s", p.out);
        isms_test_proc_cleanup(&p);
        ctl(&p, &w, w.vera, 0,
            (const char *const[]){"-o", "csv", "risk", "list", "--above-appetite", NULL});
        cr_assert_neq(strstr(p.out, "R-1,"), NULL, "planned but open treatment:\n%s", p.out);
        isms_test_proc_cleanup(&p);
        ctl(&p, &w, w.alice, 2,
            (const char *const[]){"risk", "accept", "R-2", "--justification", "fine", NULL});
        isms_test_proc_cleanup(&p);
        ctl(&p, &w, w.alice, 0,
            (const char *const[]){"risk", "accept", "R-2", "--justification", "fine", "--expires",
                                  "2099-06-30", NULL});
        isms_test_proc_cleanup(&p);
    }
    isms_test_finish();
}

Test(approvals, owner_lowering_own_residual_needs_a_second_persons_confirmation)
{
    struct world w;
    struct isms_test_reply rep;

    world_start(&w);
    create_ok(w.fd, "alice", 4, 4); /* */
    create_ok(w.fd, "mia", 4, 4);   /* owned by an isms_manager */
    as(w.alice);
    assess_residual(w.fd, "R-1", 1, 1, &rep);
    isms_test_expect(&rep, 0, NULL, "alice lowers her residual");
    cr_assert_eq(R(&rep)->residual_score, 0, "does not count yet");
    cr_assert_eq(R(&rep)->pending_residual_score, 1);
    cr_assert_str_eq(R(&rep)->pending_by, "alice");
    cr_assert_neq(R(&rep)->pending_at[0], '\0');
    isms_test_reply_cleanup(&rep);
    accept(w.fd, "R-1", "2099-12-31", &rep);
    isms_test_expect(&rep, 9, "awaits confirmation", "accept while pending");
    isms_test_reply_cleanup(&rep);
    confirm(w.fd, "R-1", 0, &rep);
    isms_test_expect(&rep, 7, NULL, "a risk owner confirms");
    isms_test_reply_cleanup(&rep);

    /* an isms_manager owning the risk cannot confirm its own lowering either */
    as(w.mia);
    assess_residual(w.fd, "R-2", 2, 2, &rep);
    isms_test_expect(&rep, 0, NULL, "mia lowers her residual");
    cr_assert_eq(R(&rep)->pending_residual_score, 4);
    isms_test_reply_cleanup(&rep);
    confirm(w.fd, "R-2", 0, &rep);
    isms_test_expect(&rep, 7, "8.3: a lowered residual rating is confirmed by a second person",
                     "self-confirmation");
    isms_test_reply_cleanup(&rep);
    as(w.admin);
    confirm(w.fd, "R-2", 0, &rep);
    isms_test_expect(&rep, 0, NULL, "the admin (isms_manager) confirms");
    cr_assert_eq(R(&rep)->residual_score, 4);
    cr_assert_eq(R(&rep)->pending_residual_score, 0);
    isms_test_reply_cleanup(&rep);
    confirm(w.fd, "R-2", 0, &rep);
    isms_test_expect(&rep, 9, "no lowered residual rating of R-2 awaits", "nothing pending");
    isms_test_reply_cleanup(&rep);
    as(w.mia);
    confirm(w.fd, "R-1", 1, &rep);
    isms_test_expect(&rep, 0, NULL, "mia rejects alice's lowering");
    cr_assert_eq(R(&rep)->residual_score, 0);
    cr_assert_eq(R(&rep)->pending_residual_score, 0);
    isms_test_reply_cleanup(&rep);

    /* a manager rating someone else's risk counts at once; raising needs no confirmation */
    assess_residual(w.fd, "R-1", 2, 2, &rep);
    isms_test_expect(&rep, 0, NULL, "mia rates R-1");
    cr_assert_eq(R(&rep)->residual_score, 4);
    isms_test_reply_cleanup(&rep);
    as(w.alice);
    assess_residual(w.fd, "R-1", 3, 2, &rep);
    isms_test_expect(&rep, 0, NULL, "alice raises her residual");
    cr_assert_eq(R(&rep)->residual_score, 6);
    cr_assert_eq(R(&rep)->pending_residual_score, 0);
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(scalar(&w, "SELECT count(*) FROM audit_log WHERE entity = 'risk:R-2'"
                            " AND method = '/isms.v1.Risk/ConfirmResidual'"
                            " AND result = 'PERMISSION_DENIED' AND actor = 'mia'"),
                 1);
    isms_test_finish();
}

Test(approvals, avoided_risk_closes_when_the_activity_ceased)
{
    struct world w;
    struct isms_test_reply rep;
    struct isms_test_proc p;

    world_start(&w);
    create_ok(w.fd, "alice", 5, 4); /* */
    create_ok(w.fd, "alice", 5, 4); /* */
    create_ok(w.fd, "alice", 5, 4); /* */
    treat(w.fd, "R-1", "avoid", NULL, NULL, NULL, 0, 0, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "avoid");
    isms_test_reply_cleanup(&rep);
    treat(w.fd, "R-2", "modify", "8.1", NULL, NULL, 0, 0, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "modify");
    isms_test_reply_cleanup(&rep);
    close_risk(w.fd, "R-2", "", 1, &rep);
    isms_test_expect(&rep, 9, "only an avoided risk closes because the activity ceased",
                     "modify: activity ceased");
    isms_test_reply_cleanup(&rep);
    close_risk(w.fd, "R-1", "", 0, &rep);
    isms_test_expect(&rep, 3, "reason must not be empty", "no reason, activity continues");
    isms_test_reply_cleanup(&rep);
    close_risk(w.fd, "R-1", "", 1, &rep);
    isms_test_expect(&rep, 0, NULL, "avoided, activity ceased");
    cr_assert_str_eq(R(&rep)->status, "closed");
    cr_assert_str_eq(R(&rep)->close_reason, "activity ceased");
    cr_assert_eq(R(&rep)->residual_score, 0, "no residual rating invented");
    isms_test_reply_cleanup(&rep);
    as(w.alice);
    close_risk(w.fd, "R-3", "", 1, &rep);
    isms_test_expect(&rep, 7, NULL, "a risk owner closes");
    isms_test_reply_cleanup(&rep);
    as(w.admin);
    if (isms_test_ismsctl_path() != NULL) {
        treat(w.fd, "R-3", "avoid", NULL, NULL, NULL, 0, 0, 0, &rep);
        isms_test_reply_cleanup(&rep);
        ctl(&p, &w, w.admin, 0,
            (const char *const[]){"risk", "close", "R-3", "--activity-ceased", "--reason",
                                  "product line discontinued", "-o", "json", NULL});
        cr_assert_neq(strstr(p.out, "\"status\": \"closed\""), NULL, "%s", p.out);
        isms_test_proc_cleanup(&p);
    }
    isms_test_finish();
}
