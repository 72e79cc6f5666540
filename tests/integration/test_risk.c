/* tests/integration/test_risk.c — isms.v1.Risk (the risk register, treatment and acceptance)
 * against a real ismsd and PostgreSQL: every RPC and each rule an auditor checks (retaining a
 * risk above the appetite needs its owner's recorded acceptance, residual <= inherent, a treated
 * risk names a control or action, closing above the appetite needs acceptance), every error
 * code with its message (NOT_FOUND, INVALID_ARGUMENT for out-of-scale values and invalid UTF-8,
 * ABORTED for a stale version from a second session, PERMISSION_DENIED for a risk owner editing
 * someone else's risk), SQL metacharacters stored verbatim, method versions kept by old risks,
 * keyset streams, the heat map, the treatment plan, the audit trail, and `ismsctl risk`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "isms/v1/risk.pb-c.h"
#include "testlib.h"

TestSuite(risk, .init = isms_test_init, .fini = isms_test_fini, .timeout = 280);

#define M_CREATE   "/isms.v1.Risk/Create"
#define M_GET      "/isms.v1.Risk/Get"
#define M_UPDATE   "/isms.v1.Risk/Update"
#define M_ASSESS   "/isms.v1.Risk/Assess"
#define M_TREAT    "/isms.v1.Risk/Treat"
#define M_ACCEPT   "/isms.v1.Risk/Accept"
#define M_CLOSE    "/isms.v1.Risk/Close"
#define M_LIST     "/isms.v1.Risk/List"
#define M_MATRIX   "/isms.v1.Risk/Matrix"
#define M_PLAN     "/isms.v1.Risk/PlanExport"
#define M_METHOD   "/isms.v1.Method/Set"
#define M_METHOD_G "/isms.v1.Method/Get"

#define PW_ALICE "correct-horse-battery-one"
#define PW_BOB   "correct-horse-battery-two"
#define PW_VERA  "correct-horse-battery-three"

/* A running ismsd with users alice and bob (risk_owner), vera (viewer), their tokens, and two
 * assets; requests go out with the admin's token unless a test switches. */
struct world {
    struct isms_test_env env;
    int fd;
    PGconn *pg;
    char admin[256], alice[256], bob[256], vera[256];
};

static void world_start(struct world *w)
{
    isms_test_env_start(&w->env, NULL);
    snprintf(w->admin, sizeof(w->admin), "%s", isms_test_token());
    w->fd = isms_test_connect(w->env.srv.port);
    isms_test_user_create(w->fd, "alice", "risk_owner", PW_ALICE);
    isms_test_user_create(w->fd, "bob", "risk_owner", PW_BOB);
    isms_test_user_create(w->fd, "vera", "viewer", PW_VERA);
    cr_assert_eq(isms_test_login(w->env.srv.port, "alice", PW_ALICE, w->alice, sizeof(w->alice)),
                 0);
    cr_assert_eq(isms_test_login(w->env.srv.port, "bob", PW_BOB, w->bob, sizeof(w->bob)), 0);
    cr_assert_eq(isms_test_login(w->env.srv.port, "vera", PW_VERA, w->vera, sizeof(w->vera)), 0);
    isms_test_set_token(w->admin);
    w->pg = isms_test_pg_connect(w->env.db.conninfo);
    isms_test_pg_exec(w->pg, "INSERT INTO asset (name, type, owner, classification,"
                             " confidentiality, integrity, availability) VALUES"
                             " ('Customer DB', 'information', 'alice', 'confidential', 5, 4, 3),"
                             " ('Laptop fleet', 'hardware', 'bob', 'internal', 3, 2, 2)");
}

/* Makes the following requests as `token`. */
static void as(const char *token)
{
    isms_test_set_token(token);
}

static long long scalar(struct world *w, const char *sql, const char *p1)
{
    const char *p[1] = {p1};

    return isms_test_pg_scalar(w->pg, sql, p1 != NULL ? 1 : 0, p);
}

static void assert_still_serving(const struct world *w)
{
    char status[32];

    cr_assert_eq(isms_test_health(w->env.srv.port, status, sizeof(status)), 0);
    cr_assert_str_eq(status, "SERVING");
}

/* ---- RPC helpers ------------------------------------------------------------------------------
 */

static Isms__V1__RiskRecord *R(const struct isms_test_reply *rep)
{
    return (Isms__V1__RiskRecord *)rep->body;
}

static int rcall(int fd, const char *method, const ProtobufCMessage *req,
                 struct isms_test_reply *rep)
{
    return isms_test_unary(fd, method, req, 0, &isms__v1__risk_record__descriptor, rep);
}

static int create(int fd, const char *title, const char *owner, int l, int i, const char *asset,
                  struct isms_test_reply *rep)
{
    Isms__V1__CreateRiskRequest r = ISMS__V1__CREATE_RISK_REQUEST__INIT;
    char *assets[1] = {(char *)asset};

    r.title = (char *)title;
    r.owner = (char *)owner;
    r.likelihood = l;
    r.impact = i;
    if (asset != NULL) {
        r.assets = assets;
        r.n_assets = 1;
    }
    return rcall(fd, M_CREATE, &r.base, rep);
}

/* Creates a risk and returns its number. */
static long create_ok(int fd, const char *title, const char *owner, int l, int i)
{
    struct isms_test_reply rep;
    long num;

    create(fd, title, owner, l, i, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, title);
    num = strtol(R(&rep)->id + 2, NULL, 10);
    isms_test_reply_cleanup(&rep);
    return num;
}

static int get(int fd, const char *id, struct isms_test_reply *rep)
{
    Isms__V1__GetRiskRequest r = ISMS__V1__GET_RISK_REQUEST__INIT;

    r.id = (char *)id;
    return rcall(fd, M_GET, &r.base, rep);
}

static Isms__V1__RiskRecord *get_ok(int fd, const char *id, struct isms_test_reply *rep)
{
    get(fd, id, rep);
    isms_test_expect(rep, 0, NULL, id);
    return R(rep);
}

static int update_title(int fd, const char *id, const char *title, int64_t expected,
                        struct isms_test_reply *rep)
{
    Isms__V1__UpdateRiskRequest r = ISMS__V1__UPDATE_RISK_REQUEST__INIT;

    r.id = (char *)id;
    r.set_title = 1;
    r.title = (char *)title;
    r.expected_version = expected;
    return rcall(fd, M_UPDATE, &r.base, rep);
}

static int assess(int fd, const char *id, int il, int ii, int rl, int ri,
                  struct isms_test_reply *rep)
{
    Isms__V1__AssessRiskRequest r = ISMS__V1__ASSESS_RISK_REQUEST__INIT;

    r.id = (char *)id;
    r.inherent_likelihood = il;
    r.inherent_impact = ii;
    r.residual_likelihood = rl;
    r.residual_impact = ri;
    return rcall(fd, M_ASSESS, &r.base, rep);
}

/* Treat with at most one control to add and one action. */
static int treat(int fd, const char *id, const char *option, const char *control,
                 const char *action, int treated, struct isms_test_reply *rep)
{
    Isms__V1__TreatRiskRequest r = ISMS__V1__TREAT_RISK_REQUEST__INIT;
    Isms__V1__RiskActionInput a = ISMS__V1__RISK_ACTION_INPUT__INIT, *ap = &a;
    char *controls[1] = {(char *)control};

    r.id = (char *)id;
    r.option = (char *)(option != NULL ? option : "");
    if (control != NULL) {
        r.add_controls = controls;
        r.n_add_controls = 1;
    }
    if (action != NULL) {
        a.description = (char *)action;
        a.owner = "alice"; /* an action owner is an account */
        a.due = "2027-03-31";
        r.add_actions = &ap;
        r.n_add_actions = 1;
    }
    r.treated = treated;
    return rcall(fd, M_TREAT, &r.base, rep);
}

static int accept(int fd, const char *id, const char *why, struct isms_test_reply *rep)
{
    Isms__V1__AcceptRiskRequest r = ISMS__V1__ACCEPT_RISK_REQUEST__INIT;

    r.id = (char *)id;
    r.justification = (char *)why;
    r.expires = "2099-12-31";
    return rcall(fd, M_ACCEPT, &r.base, rep);
}

static int close_risk(int fd, const char *id, const char *reason, struct isms_test_reply *rep)
{
    Isms__V1__CloseRiskRequest r = ISMS__V1__CLOSE_RISK_REQUEST__INIT;

    r.id = (char *)id;
    r.reason = (char *)reason;
    return rcall(fd, M_CLOSE, &r.base, rep);
}

/* The result of one List or PlanExport stream. */
struct listing {
    int code;
    char message[512];
    Isms__V1__RiskRecord **items;
    size_t n;
};

static void stream(int fd, const char *method, const ProtobufCMessage *req, struct listing *l)
{
    uint64_t id = isms_test_next_call_id();

    memset(l, 0, sizeof(*l));
    isms_test_send_request(fd, id, method, 0, req);
    for (;;) {
        Isms__V1__Response *r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, method);

        cr_assert_eq(r->call_id, id, "%s: response for another call", method);
        if (r->more) {
            Isms__V1__RiskRecord *m =
                isms__v1__risk_record__unpack(NULL, r->body.len, r->body.data);

            cr_assert_eq(r->code, 0);
            cr_assert_not_null(m, "%s: item does not decode", method);
            l->items = realloc(l->items, (l->n + 1) * sizeof(*l->items));
            cr_assert_not_null(l->items);
            l->items[l->n++] = m;
            isms__v1__response__free_unpacked(r, NULL);
            continue;
        }
        l->code = r->code;
        snprintf(l->message, sizeof(l->message), "%s", r->message != NULL ? r->message : "");
        isms__v1__response__free_unpacked(r, NULL);
        return;
    }
}

static void listing_free(struct listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        isms__v1__risk_record__free_unpacked(l->items[i], NULL);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static void list(int fd, const Isms__V1__ListRisksRequest *req, struct listing *l)
{
    stream(fd, M_LIST, &req->base, l);
}

/* ---- create, get, errors ------------------------------------------------------------------- */

Test(risk, create_computes_score_and_level_from_the_method)
{
    struct world w;
    struct isms_test_reply rep, got;
    Isms__V1__RiskRecord *r;

    world_start(&w);
    create(w.fd, "Customer data leak", "alice", 4, 5, "Customer DB", &rep);
    isms_test_expect(&rep, 0, NULL, "Create");
    r = R(&rep);
    cr_assert_str_eq(r->id, "R-1");
    cr_assert_eq(r->score, 20);
    cr_assert_str_eq(r->level, "critical");
    cr_assert_eq(r->inherent_score, 20);
    cr_assert_str_eq(r->inherent_level, "critical");
    cr_assert_str_eq(r->status, "assessed");
    cr_assert_eq(r->method_version, 1);
    cr_assert_eq(r->appetite, 6);
    cr_assert(r->above_appetite);
    cr_assert_str_eq(r->owner, "alice");
    cr_assert_eq(r->n_assets, 1);
    cr_assert_str_eq(r->assets[0]->id, "A-1");
    cr_assert_str_eq(r->assets[0]->name, "Customer DB");
    cr_assert_eq(r->version, 1);
    cr_assert_str_eq(r->created_by, "admin");
    /* Stored as computed, and found again by id, or the asset by id. */
    cr_assert_eq(scalar(&w, "SELECT inherent_score FROM risk WHERE num = 1", NULL), 20);
    r = get_ok(w.fd, "r-1", &got);
    cr_assert_str_eq(r->title, "Customer data leak");
    isms_test_reply_cleanup(&got);
    isms_test_reply_cleanup(&rep);
    create(w.fd, "Lost laptop", "bob", 0, 0, "a-2", &rep);
    isms_test_expect(&rep, 0, NULL, "Create unrated");
    cr_assert_str_eq(R(&rep)->status, "identified");
    cr_assert_eq(R(&rep)->score, 0);
    cr_assert_eq(R(&rep)->method_version, 0);
    cr_assert_str_eq(R(&rep)->assets[0]->name, "Laptop fleet");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(risk, unknown_ids_are_not_found)
{
    struct world w;
    struct isms_test_reply rep;

    world_start(&w);
    create_ok(w.fd, "Phishing", "alice", 3, 3);
    get(w.fd, "R-99", &rep);
    isms_test_expect(&rep, 5, "risk \"R-99\" does not exist", "Get");
    isms_test_reply_cleanup(&rep);
    update_title(w.fd, "R-99", "x", 0, &rep);
    isms_test_expect(&rep, 5, "R-99", "Update");
    isms_test_reply_cleanup(&rep);
    assess(w.fd, "R-99", 1, 1, 0, 0, &rep);
    isms_test_expect(&rep, 5, "R-99", "Assess");
    isms_test_reply_cleanup(&rep);
    treat(w.fd, "R-99", "modify", NULL, NULL, 0, &rep);
    isms_test_expect(&rep, 5, "R-99", "Treat");
    isms_test_reply_cleanup(&rep);
    accept(w.fd, "R-99", "why", &rep);
    isms_test_expect(&rep, 5, "R-99", "Accept");
    isms_test_reply_cleanup(&rep);
    close_risk(w.fd, "R-99", "why", &rep);
    isms_test_expect(&rep, 5, "R-99", "Close");
    isms_test_reply_cleanup(&rep);
    create(w.fd, "x", "nobody", 1, 1, NULL, &rep);
    isms_test_expect(&rep, 5, "user \"nobody\" does not exist", "Create unknown owner");
    isms_test_reply_cleanup(&rep);
    create(w.fd, "x", "alice", 1, 1, "No such asset", &rep);
    isms_test_expect(&rep, 5, "asset \"No such asset\" does not exist", "Create unknown asset");
    isms_test_reply_cleanup(&rep);
    create(w.fd, "x", "alice", 1, 1, "A-77", &rep);
    isms_test_expect(&rep, 5, "asset \"A-77\" does not exist", "Create unknown asset id");
    isms_test_reply_cleanup(&rep);
    treat(w.fd, "R-1", "modify", "9.99", NULL, 0, &rep);
    isms_test_expect(&rep, 5, "control \"9.99\" does not exist", "Treat unknown control");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(scalar(&w, "SELECT count(*) FROM risk", NULL), 1, "a refused call wrote");
    assert_still_serving(&w);
    isms_test_finish();
}

Test(risk, disabled_owner_is_a_failed_precondition)
{
    struct world w;
    struct isms_test_reply rep;

    world_start(&w);
    isms_test_pg_exec(w.pg, "UPDATE app_user SET status = 'disabled' WHERE name = 'bob'");
    create(w.fd, "Insider", "bob", 2, 2, NULL, &rep);
    isms_test_expect(&rep, 9, "user \"bob\" is disabled", "Create disabled owner");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

struct bad_create {
    const char *title;
    int l, i;
    const char *needle;
};

Test(risk, out_of_scale_and_bad_text_are_invalid)
{
    static const struct bad_create cases[] = {
        {"ok", 6, 1, "inherent likelihood 6 is outside the scale 1-5"},
        {"ok", 1, 6, "inherent impact 6 is outside the scale 1-5"},
        {"ok", -1, 2, "must be positive"},
        {"ok", 3, 0, "give both"},
        {"bad \xC3\x28 utf-8", 1, 1, "title is not valid UTF-8"},
        {"", 1, 1, "title must not be empty"},
    };
    struct world w;
    struct isms_test_reply rep;
    Isms__V1__CreateRiskRequest c = ISMS__V1__CREATE_RISK_REQUEST__INIT;
    Isms__V1__ListRisksRequest lr = ISMS__V1__LIST_RISKS_REQUEST__INIT;
    struct listing l;
    char long_title[300];
    long n;

    world_start(&w);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        create(w.fd, cases[k].title, "alice", cases[k].l, cases[k].i, NULL, &rep);
        isms_test_expect(&rep, 3, cases[k].needle, "Create");
        isms_test_reply_cleanup(&rep);
    }
    memset(long_title, 'x', 201);
    long_title[201] = '\0';
    create(w.fd, long_title, "alice", 1, 1, NULL, &rep);
    isms_test_expect(&rep, 3, "title is too long: 201 characters", "Create long title");
    isms_test_reply_cleanup(&rep);
    c.title = "ok";
    c.owner = "alice";
    c.next_review = "2026-02-30";
    rcall(w.fd, M_CREATE, &c.base, &rep);
    isms_test_expect(&rep, 3, "next review must be a date", "Create bad date");
    isms_test_reply_cleanup(&rep);
    c.next_review = "";
    c.description = "\xED\xA0\x80";
    rcall(w.fd, M_CREATE, &c.base, &rep);
    isms_test_expect(&rep, 3, "description is not valid UTF-8", "Create surrogate");
    isms_test_reply_cleanup(&rep);
    get(w.fd, "X-1", &rep);
    isms_test_expect(&rep, 3, "risk id must look like R-<n>", "Get bad id");
    isms_test_reply_cleanup(&rep);

    n = create_ok(w.fd, "Ransomware", "alice", 3, 4);
    cr_assert_eq(n, 1);
    assess(w.fd, "R-1", 0, 0, 2, 9, &rep);
    isms_test_expect(&rep, 3, "residual impact 9 is outside the scale 1-5", "Assess");
    isms_test_reply_cleanup(&rep);
    assess(w.fd, "R-1", 0, 0, 0, 0, &rep);
    isms_test_expect(&rep, 3, "nothing to assess", "Assess nothing");
    isms_test_reply_cleanup(&rep);
    treat(w.fd, "R-1", "mitigate", NULL, NULL, 0, &rep);
    isms_test_expect(&rep, 3, "treatment option must be one of modify, retain, avoid, share",
                     "Treat bad option");
    isms_test_reply_cleanup(&rep);
    accept(w.fd, "R-1", "\xFF", &rep);
    isms_test_expect(&rep, 3, "justification is not valid UTF-8", "Accept bad UTF-8");
    isms_test_reply_cleanup(&rep);
    lr.status = "open";
    list(w.fd, &lr, &l);
    cr_assert_eq(l.code, 3, "List bad status: %s", l.message);
    cr_assert(strstr(l.message, "status must be one of") != NULL, "%s", l.message);
    listing_free(&l);
    cr_assert_eq(scalar(&w, "SELECT version FROM risk WHERE num = 1", NULL), 1);
    assert_still_serving(&w);
    isms_test_finish();
}

Test(risk, sql_metacharacters_are_stored_verbatim)
{
    static const char title[] = "x'); DROP TABLE risk; -- \"quoted\" \\ %s $1 {a,b} NULL";
    static const char threat[] = "Robert'); DELETE FROM audit_log;-- «Ünïcødé» 東京 🔐";
    struct world w;
    struct isms_test_reply rep;
    Isms__V1__CreateRiskRequest c = ISMS__V1__CREATE_RISK_REQUEST__INIT;
    Isms__V1__RiskRecord *r;
    char *assets[1] = {"Customer DB"};

    world_start(&w);
    isms_test_pg_exec(w.pg, "INSERT INTO asset (name, type, owner, classification,"
                            " confidentiality, integrity, availability) VALUES"
                            " ('a''b\"c{d,e}\\f', 'software', 'x', 'public', 1, 1, 1)");
    c.title = (char *)title;
    c.owner = "alice";
    c.threat = (char *)threat;
    c.vulnerability = "'; SELECT pg_sleep(10); --";
    c.assets = assets;
    c.n_assets = 1;
    c.likelihood = 2;
    c.impact = 2;
    rcall(w.fd, M_CREATE, &c.base, &rep);
    isms_test_expect(&rep, 0, NULL, "Create");
    isms_test_reply_cleanup(&rep);
    r = get_ok(w.fd, "R-1", &rep);
    cr_assert_str_eq(r->title, title);
    cr_assert_str_eq(r->threat, threat);
    cr_assert_str_eq(r->vulnerability, "'; SELECT pg_sleep(10); --");
    isms_test_reply_cleanup(&rep);
    create(w.fd, "asset with odd name", "alice", 1, 1, "a'b\"c{d,e}\\f", &rep);
    isms_test_expect(&rep, 0, NULL, "Create with odd asset name");
    cr_assert_str_eq(R(&rep)->assets[0]->name, "a'b\"c{d,e}\\f");
    isms_test_reply_cleanup(&rep);
    treat(w.fd, "R-1", "modify", NULL, "fix 'it'; \"now\" {x,y} \\", 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Treat with odd action");
    cr_assert_str_eq(R(&rep)->actions[0]->description, "fix 'it'; \"now\" {x,y} \\");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(scalar(&w, "SELECT count(*) FROM risk", NULL), 2);
    cr_assert_eq(scalar(&w, "SELECT count(*) FROM audit_log WHERE entity = 'risk:R-1'", NULL), 2);
    isms_test_finish();
}

/* ---- versions -------------------------------------------------------------------------------- */

Test(risk, stale_version_from_a_second_session_is_aborted)
{
    struct world w;
    struct isms_test_reply a, b, rep;
    int fd2;
    int64_t v;

    world_start(&w);
    create_ok(w.fd, "Shared risk", "alice", 3, 3);
    fd2 = isms_test_connect(w.env.srv.port);
    v = get_ok(w.fd, "R-1", &a)->version;
    cr_assert_eq(get_ok(fd2, "R-1", &b)->version, v);
    isms_test_reply_cleanup(&a);
    isms_test_reply_cleanup(&b);
    update_title(w.fd, "R-1", "First session's title", v, &rep);
    isms_test_expect(&rep, 0, NULL, "first Update");
    cr_assert_eq(R(&rep)->version, v + 1);
    isms_test_reply_cleanup(&rep);
    update_title(fd2, "R-1", "Second session's title", v, &rep);
    isms_test_expect(&rep, 10, "version 1 is stale", "second Update");
    isms_test_reply_cleanup(&rep);
    assess(fd2, "R-1", 5, 5, 0, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Assess without a version check");
    isms_test_reply_cleanup(&rep);
    {
        Isms__V1__AssessRiskRequest r = ISMS__V1__ASSESS_RISK_REQUEST__INIT;

        r.id = "R-1";
        r.inherent_likelihood = 1;
        r.inherent_impact = 1;
        r.expected_version = v + 1;
        rcall(fd2, M_ASSESS, &r.base, &rep);
        isms_test_expect(&rep, 10, "stale", "stale Assess");
        isms_test_reply_cleanup(&rep);
    }
    cr_assert_str_eq(get_ok(w.fd, "R-1", &rep)->title, "First session's title");
    cr_assert_eq(R(&rep)->inherent_score, 25);
    cr_assert_eq(R(&rep)->version, v + 2);
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

/* ---- the rules ------------------------------------------------------------------------------- */

Test(risk, retaining_above_appetite_needs_the_owners_acceptance)
{
    struct world w;
    struct isms_test_reply rep;
    Isms__V1__RiskRecord *r;

    world_start(&w);
    create_ok(w.fd, "Customer data leak", "alice", 4, 5);
    treat(w.fd, "R-1", "retain", NULL, NULL, 0, &rep);
    isms_test_expect(&rep, 9,
                     "R-1 scores 20 (critical), above the risk appetite 6: it can be retained only "
                     "after its owner alice accepts it",
                     "Treat retain before acceptance");
    isms_test_reply_cleanup(&rep);
    /* An isms_manager cannot accept on the owner's behalf, nor can another risk owner. */
    accept(w.fd, "R-1", "management decision", &rep);
    isms_test_expect(&rep, 7, "only the risk owner alice may accept R-1", "Accept by admin");
    isms_test_reply_cleanup(&rep);
    as(w.bob);
    accept(w.fd, "R-1", "not mine", &rep);
    isms_test_expect(&rep, 7, "only the risk owner alice", "Accept by bob");
    isms_test_reply_cleanup(&rep);
    as(w.alice);
    accept(w.fd, "R-1", "", &rep);
    isms_test_expect(&rep, 3, "justification must not be empty", "Accept without why");
    isms_test_reply_cleanup(&rep);
    accept(w.fd, "R-1", "encryption project scheduled for Q3; exposure accepted until then", &rep);
    isms_test_expect(&rep, 0, NULL, "Accept by alice");
    r = R(&rep);
    cr_assert_str_eq(r->status, "accepted");
    cr_assert_str_eq(r->accepted_by, "alice");
    cr_assert_neq(r->accepted_at[0], '\0');
    cr_assert_eq(r->accepted_score, 20);
    cr_assert_str_eq(r->acceptance_justification,
                     "encryption project scheduled for Q3; exposure accepted until then");
    isms_test_reply_cleanup(&rep);
    as(w.admin);
    treat(w.fd, "R-1", "retain", NULL, NULL, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Treat retain after acceptance");
    cr_assert_str_eq(R(&rep)->treatment, "retain");
    cr_assert_str_eq(R(&rep)->status, "accepted");
    isms_test_reply_cleanup(&rep);
    /* The refusals are in the audit trail, the acceptance with who and why. */
    cr_assert_eq(scalar(&w,
                        "SELECT count(*) FROM audit_log WHERE entity = 'risk:R-1'"
                        " AND method = '/isms.v1.Risk/Accept' AND result = 'PERMISSION_DENIED'",
                        NULL),
                 2);
    cr_assert_eq(scalar(&w,
                        "SELECT count(*) FROM audit_log WHERE entity = 'risk:R-1'"
                        " AND method = '/isms.v1.Risk/Accept' AND result = 'OK' AND actor = 'alice'"
                        " AND changes::jsonb -> 'accepted_by' ->> 'after' = 'alice'"
                        " AND changes::jsonb ? 'acceptance_justification'",
                        NULL),
                 1);
    /* A new owner's risk is no longer covered by alice's acceptance: it stops being retained. */
    {
        Isms__V1__UpdateRiskRequest u = ISMS__V1__UPDATE_RISK_REQUEST__INIT;

        u.id = "R-1";
        u.set_owner = 1;
        u.owner = "bob";
        rcall(w.fd, M_UPDATE, &u.base, &rep);
        isms_test_expect(&rep, 0, NULL, "Update owner");
        cr_assert_str_eq(R(&rep)->accepted_by, "");
        cr_assert_str_eq(R(&rep)->treatment, "");
        cr_assert_str_eq(R(&rep)->status, "assessed");
        isms_test_reply_cleanup(&rep);
    }
    isms_test_finish();
}

Test(risk, within_appetite_retained_risk_is_accepted_only_by_its_owner)
{
    struct world w;
    struct isms_test_reply rep;

    world_start(&w);
    create_ok(w.fd, "Coffee spill", "alice", 2, 3);
    treat(w.fd, "R-1", "retain", NULL, NULL, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Treat retain within appetite");
    /* 6.1.3 f: every residual risk is accepted by its owner, within the appetite too */
    cr_assert_str_eq(R(&rep)->status, "treatment_planned");
    cr_assert_str_eq(R(&rep)->accepted_by, "");
    cr_assert(!R(&rep)->acceptance_valid);
    isms_test_reply_cleanup(&rep);
    as(w.alice);
    accept(w.fd, "R-1", "a wet keyboard is cheap", &rep);
    isms_test_expect(&rep, 0, NULL, "Accept within appetite");
    cr_assert_str_eq(R(&rep)->status, "accepted");
    cr_assert_str_eq(R(&rep)->acceptance_expires, "2099-12-31");
    cr_assert(R(&rep)->acceptance_valid);
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(risk, residual_cannot_exceed_inherent)
{
    struct world w;
    struct isms_test_reply rep;
    Isms__V1__TreatRiskRequest t = ISMS__V1__TREAT_RISK_REQUEST__INIT;

    world_start(&w);
    create_ok(w.fd, "DDoS", "alice", 2, 3);
    assess(w.fd, "R-1", 0, 0, 3, 3, &rep);
    isms_test_expect(&rep, 9, "residual score of R-1 would be 9", "Assess residual 9 > 6");
    isms_test_reply_cleanup(&rep);
    t.id = "R-1";
    t.option = "modify";
    t.residual_likelihood = 5;
    t.residual_impact = 2;
    rcall(w.fd, M_TREAT, &t.base, &rep);
    isms_test_expect(&rep, 9, "above its inherent score 6", "Treat residual 10 > 6");
    isms_test_reply_cleanup(&rep);
    assess(w.fd, "R-1", 0, 0, 1, 2, &rep);
    isms_test_expect(&rep, 0, NULL, "Assess residual 2");
    cr_assert_eq(R(&rep)->residual_score, 2);
    cr_assert_str_eq(R(&rep)->residual_level, "low");
    cr_assert_eq(R(&rep)->target_score, 2);
    cr_assert_eq(R(&rep)->score, 6, "no treatment implemented: the current score is inherent");
    isms_test_reply_cleanup(&rep);
    assess(w.fd, "R-1", 1, 1, 0, 0, &rep);
    isms_test_expect(&rep, 9, "above its inherent score 1", "lowering inherent below residual");
    isms_test_reply_cleanup(&rep);
    isms_test_pg_exec(w.pg, "SELECT 1"); /* the database still answers */
    cr_assert_eq(scalar(&w, "SELECT residual_score FROM risk WHERE num = 1", NULL), 2);
    isms_test_finish();
}

Test(risk, treated_risk_names_a_control_or_action)
{
    struct world w;
    struct isms_test_reply rep;
    Isms__V1__TreatRiskRequest t = ISMS__V1__TREAT_RISK_REQUEST__INIT;
    char *remove[1] = {"8.24"};
    Isms__V1__RiskActionUpdate u = ISMS__V1__RISK_ACTION_UPDATE__INIT, *up = &u;

    world_start(&w);
    create_ok(w.fd, "Backup theft", "alice", 4, 4);
    create_ok(w.fd, "Supplier breach", "bob", 3, 4);
    treat(w.fd, "R-1", "modify", NULL, NULL, 1, &rep);
    isms_test_expect(&rep, 9, "a treated risk must name at least one control or action",
                     "Treat treated without control");
    isms_test_reply_cleanup(&rep);
    treat(w.fd, "R-1", "modify", "A.8.24", NULL, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Treat plan");
    cr_assert_str_eq(R(&rep)->status, "treatment_planned");
    cr_assert_eq(R(&rep)->n_controls, 1);
    cr_assert_str_eq(R(&rep)->controls[0], "8.24");
    isms_test_reply_cleanup(&rep);
    treat(w.fd, "R-1", NULL, NULL, NULL, 1, &rep);
    isms_test_expect(&rep, 9, "8.3: 1 control selected for R-1 is not implemented in the SoA",
                     "Treat treated while 8.24 is planned");
    isms_test_reply_cleanup(&rep);
    isms_test_pg_exec(w.pg, "UPDATE control SET status = 'implemented' WHERE id = '8.24'");
    treat(w.fd, "R-1", NULL, NULL, NULL, 1, &rep);
    isms_test_expect(&rep, 0, NULL, "Treat treated");
    cr_assert_str_eq(R(&rep)->status, "treated");
    cr_assert(R(&rep)->treatment_implemented);
    isms_test_reply_cleanup(&rep);
    /* The SoA sees the selected control. */
    cr_assert_eq(scalar(&w, "SELECT count(*) FROM risk_control WHERE control_id = '8.24'", NULL),
                 1);
    t.id = "R-1";
    t.remove_controls = remove;
    t.n_remove_controls = 1;
    rcall(w.fd, M_TREAT, &t.base, &rep);
    isms_test_expect(&rep, 9, "at least one control or action", "removing the last control");
    isms_test_reply_cleanup(&rep);
    /* With an action instead: treated only once the action is done (8.3). */
    treat(w.fd, "R-2", "share", NULL, "cyber insurance policy", 1, &rep);
    isms_test_expect(&rep, 9, "8.3: R-2 has 1 open action", "Treat treated with an open action");
    isms_test_reply_cleanup(&rep);
    treat(w.fd, "R-2", "share", NULL, "cyber insurance policy", 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Treat with an action");
    cr_assert_str_eq(R(&rep)->status, "treatment_planned");
    cr_assert_eq(R(&rep)->actions_open, 1);
    cr_assert_str_eq(R(&rep)->actions[0]->id, "RA-1");
    cr_assert_str_eq(R(&rep)->actions[0]->status, "open");
    cr_assert_str_eq(R(&rep)->actions[0]->due, "2027-03-31");
    isms_test_reply_cleanup(&rep);
    memset(&t, 0, sizeof(t));
    isms__v1__treat_risk_request__init(&t);
    t.id = "R-2";
    u.id = "RA-1";
    u.status = "done";
    t.update_actions = &up;
    t.n_update_actions = 1;
    rcall(w.fd, M_TREAT, &t.base, &rep);
    isms_test_expect(&rep, 0, NULL, "action done");
    cr_assert_str_eq(R(&rep)->actions[0]->status, "done");
    cr_assert_eq(R(&rep)->actions_open, 0);
    isms_test_reply_cleanup(&rep);
    treat(w.fd, "R-2", NULL, NULL, NULL, 1, &rep);
    isms_test_expect(&rep, 0, NULL, "Treat treated once the action is done");
    cr_assert_str_eq(R(&rep)->status, "treated");
    isms_test_reply_cleanup(&rep);
    t.id = "R-1";
    rcall(w.fd, M_TREAT, &t.base, &rep);
    isms_test_expect(&rep, 5, "action \"RA-1\" does not belong to R-1", "foreign action");
    isms_test_reply_cleanup(&rep);
    u.status = "finished";
    t.id = "R-2";
    rcall(w.fd, M_TREAT, &t.base, &rep);
    isms_test_expect(&rep, 3, "action status must be one of open, in_progress, done", "status");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(risk, closing_above_appetite_needs_acceptance_and_closed_is_final)
{
    struct world w;
    struct isms_test_reply rep;

    world_start(&w);
    create_ok(w.fd, "Untreated", "alice", 5, 4);
    create_ok(w.fd, "Typo", "alice", 0, 0);
    close_risk(w.fd, "R-1", "no longer relevant", &rep);
    isms_test_expect(&rep, 9,
                     "R-1 scores 20 (critical), above the risk appetite 6, and its owner "
                     "alice has not accepted it",
                     "Close untreated");
    isms_test_reply_cleanup(&rep);
    close_risk(w.fd, "R-1", "", &rep);
    isms_test_expect(&rep, 3, "reason must not be empty", "Close without reason");
    isms_test_reply_cleanup(&rep);
    as(w.alice);
    accept(w.fd, "R-1", "we will live with it", &rep);
    isms_test_expect(&rep, 0, NULL, "Accept");
    isms_test_reply_cleanup(&rep);
    close_risk(w.fd, "R-1", "accepted by alice", &rep);
    isms_test_expect(&rep, 7, NULL, "Close by a risk owner");
    isms_test_reply_cleanup(&rep);
    as(w.admin);
    close_risk(w.fd, "R-1", "accepted by alice", &rep);
    isms_test_expect(&rep, 0, NULL, "Close after acceptance");
    cr_assert_str_eq(R(&rep)->status, "closed");
    cr_assert_str_eq(R(&rep)->close_reason, "accepted by alice");
    isms_test_reply_cleanup(&rep);
    close_risk(w.fd, "R-2", "recorded by mistake", &rep);
    isms_test_expect(&rep, 0, NULL, "Close unrated");
    isms_test_reply_cleanup(&rep);
    update_title(w.fd, "R-1", "again", 0, &rep);
    isms_test_expect(&rep, 9, "R-1 is closed", "Update closed");
    isms_test_reply_cleanup(&rep);
    assess(w.fd, "R-1", 1, 1, 0, 0, &rep);
    isms_test_expect(&rep, 9, "closed", "Assess closed");
    isms_test_reply_cleanup(&rep);
    close_risk(w.fd, "R-1", "twice", &rep);
    isms_test_expect(&rep, 9, "already closed", "Close twice");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

/* ---- roles ----------------------------------------------------------------------------------- */

Test(risk, risk_owner_edits_only_own_risks)
{
    struct world w;
    struct isms_test_reply rep;
    Isms__V1__UpdateRiskRequest u = ISMS__V1__UPDATE_RISK_REQUEST__INIT;

    world_start(&w);
    create_ok(w.fd, "Alice's risk", "alice", 3, 3);
    as(w.bob);
    update_title(w.fd, "R-1", "taken over", 0, &rep);
    isms_test_expect(&rep, 7, "only an isms_manager or the risk owner (alice) may change R-1",
                     "bob Update");
    isms_test_reply_cleanup(&rep);
    assess(w.fd, "R-1", 1, 1, 0, 0, &rep);
    isms_test_expect(&rep, 7, "risk owner (alice)", "bob Assess");
    isms_test_reply_cleanup(&rep);
    treat(w.fd, "R-1", "avoid", NULL, NULL, 0, &rep);
    isms_test_expect(&rep, 7, "risk owner (alice)", "bob Treat");
    isms_test_reply_cleanup(&rep);
    create(w.fd, "bob's own", "bob", 1, 1, NULL, &rep);
    isms_test_expect(&rep, 7, NULL, "risk_owner Create");
    isms_test_reply_cleanup(&rep);
    cr_assert_str_eq(get_ok(w.fd, "R-1", &rep)->title, "Alice's risk", "reads are for all");
    isms_test_reply_cleanup(&rep);
    as(w.alice);
    update_title(w.fd, "R-1", "Alice's risk, reworded", 0, &rep);
    isms_test_expect(&rep, 0, NULL, "alice Update");
    cr_assert_str_eq(R(&rep)->updated_by, "alice");
    isms_test_reply_cleanup(&rep);
    assess(w.fd, "R-1", 0, 0, 1, 2, &rep);
    isms_test_expect(&rep, 0, NULL, "alice Assess");
    isms_test_reply_cleanup(&rep);
    u.id = "R-1";
    u.set_owner = 1;
    u.owner = "bob";
    rcall(w.fd, M_UPDATE, &u.base, &rep);
    isms_test_expect(&rep, 7, "only an isms_manager may give R-1 another owner",
                     "alice hands it over");
    isms_test_reply_cleanup(&rep);
    as(w.vera);
    update_title(w.fd, "R-1", "viewer", 0, &rep);
    isms_test_expect(&rep, 7, NULL, "viewer Update");
    isms_test_reply_cleanup(&rep);
    cr_assert_str_eq(get_ok(w.fd, "R-1", &rep)->title, "Alice's risk, reworded");
    isms_test_reply_cleanup(&rep);
    as(w.admin);
    cr_assert_eq(scalar(&w,
                        "SELECT count(*) FROM audit_log WHERE entity = 'risk:R-1'"
                        " AND actor = 'bob' AND result = 'PERMISSION_DENIED'",
                        NULL),
                 3);
    isms_test_finish();
}

/* ---- the method's versions ------------------------------------------------------------------ */

/* Saves the current 5 x 5 method again with a new appetite and three bands: low 1-7,
 * medium 8-14, high 15-25. The request borrows the reply's strings but has its own arrays. */
static void set_method(int fd, int appetite)
{
    Isms__V1__GetMethodRequest g = ISMS__V1__GET_METHOD_REQUEST__INIT;
    Isms__V1__SetMethodRequest s = ISMS__V1__SET_METHOD_REQUEST__INIT;
    Isms__V1__RiskLevelBand b[3], *bp[3];
    static const char *const names[3] = {"low", "medium", "high"};
    static const int lo[3] = {1, 8, 15}, hi[3] = {7, 14, 25};
    struct isms_test_reply rep, got;
    Isms__V1__RiskMethod m;

    isms_test_unary(fd, M_METHOD_G, &g.base, 0, &isms__v1__risk_method__descriptor, &got);
    isms_test_expect(&got, 0, NULL, "Method/Get");
    m = *(Isms__V1__RiskMethod *)got.body;
    for (int k = 0; k < 3; k++) {
        isms__v1__risk_level_band__init(&b[k]);
        b[k].name = (char *)names[k];
        b[k].min_score = lo[k];
        b[k].max_score = hi[k];
        bp[k] = &b[k];
    }
    m.levels = bp;
    m.n_levels = 3;
    m.appetite = appetite;
    s.method = &m;
    isms_test_unary(fd, M_METHOD, &s.base, 0, &isms__v1__risk_method__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "Method/Set");
    isms_test_reply_cleanup(&rep);
    isms_test_reply_cleanup(&got);
}

Test(risk, method_change_keeps_old_assessments_on_their_version)
{
    struct world w;
    struct isms_test_reply rep;
    Isms__V1__RiskMatrixRequest mr = ISMS__V1__RISK_MATRIX_REQUEST__INIT;
    Isms__V1__RiskMatrix *x;

    world_start(&w);
    create_ok(w.fd, "Old risk", "alice", 3, 3);
    set_method(w.fd, 10);
    get_ok(w.fd, "R-1", &rep);
    cr_assert_eq(R(&rep)->method_version, 1, "an old assessment keeps its method version");
    cr_assert_str_eq(R(&rep)->level, "medium");
    cr_assert_eq(R(&rep)->appetite, 6);
    cr_assert(R(&rep)->above_appetite);
    isms_test_reply_cleanup(&rep);
    create(w.fd, "New risk", "alice", 3, 3, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Create under version 2");
    cr_assert_eq(R(&rep)->method_version, 2);
    cr_assert_str_eq(R(&rep)->level, "medium");
    cr_assert_eq(R(&rep)->appetite, 10);
    cr_assert(!R(&rep)->above_appetite);
    isms_test_reply_cleanup(&rep);
    assess(w.fd, "R-1", 0, 0, 2, 2, &rep);
    isms_test_expect(&rep, 9, "rated with method version 1 but version 2 is current",
                     "residual only under a new version");
    isms_test_reply_cleanup(&rep);
    x = NULL;
    isms_test_unary(w.fd, M_MATRIX, &mr.base, 0, &isms__v1__risk_matrix__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "Matrix");
    x = (Isms__V1__RiskMatrix *)rep.body;
    cr_assert_eq(x->method->version, 2);
    cr_assert_eq(x->assessed, 1, "only the risk of version 2 is on its grid");
    cr_assert_eq(x->other_version, 1);
    isms_test_reply_cleanup(&rep);
    assess(w.fd, "R-1", 3, 4, 2, 2, &rep);
    isms_test_expect(&rep, 0, NULL, "re-assess under version 2");
    cr_assert_eq(R(&rep)->method_version, 2);
    cr_assert_eq(R(&rep)->inherent_score, 12);
    cr_assert_str_eq(R(&rep)->inherent_level, "medium");
    cr_assert_eq(R(&rep)->appetite, 10);
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(scalar(&w, "SELECT count(*) FROM risk_method", NULL), 2);
    isms_test_finish();
}

/* ---- List, Matrix, PlanExport ------------------------------------------------------------------
 */

Test(risk, list_filters_and_keyset_pages)
{
    struct world w;
    Isms__V1__ListRisksRequest req = ISMS__V1__LIST_RISKS_REQUEST__INIT;
    struct isms_test_reply rep;
    struct listing l;

    world_start(&w);
    create(w.fd, "Customer data leak", "alice", 4, 5, "Customer DB", &rep);
    isms_test_reply_cleanup(&rep);
    create_ok(w.fd, "Laptop theft", "bob", 2, 2);
    create_ok(w.fd, "Phishing", "alice", 3, 3);
    /* 450 more, straight into the table, to cross the 200-row pages. */
    isms_test_pg_exec(w.pg, "INSERT INTO risk (title, owner, method_version, inherent_likelihood,"
                            " inherent_impact, inherent_score, inherent_level, status)"
                            " SELECT 'bulk ' || g, 'bob', 1, 1, 1, 1, 'low', 'assessed'"
                            " FROM generate_series(1, 450) g");
    list(w.fd, &req, &l);
    cr_assert_eq(l.code, 0, "%s", l.message);
    cr_assert_eq(l.n, 453);
    for (size_t k = 1; k < l.n; k++)
        cr_assert_lt(strtol(l.items[k - 1]->id + 2, NULL, 10),
                     strtol(l.items[k]->id + 2, NULL, 10));
    listing_free(&l);
    req.above_appetite = 1;
    list(w.fd, &req, &l);
    cr_assert_eq(l.n, 2, "above appetite: R-1 (20) and R-3 (9)");
    cr_assert_str_eq(l.items[0]->id, "R-1");
    cr_assert_str_eq(l.items[1]->id, "R-3");
    listing_free(&l);
    req.owner = "alice";
    req.level = "CRITICAL";
    list(w.fd, &req, &l);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.items[0]->title, "Customer data leak");
    listing_free(&l);
    isms__v1__list_risks_request__init(&req);
    req.asset = "Customer DB";
    list(w.fd, &req, &l);
    cr_assert_eq(l.n, 1);
    listing_free(&l);
    req.asset = "A-1";
    list(w.fd, &req, &l);
    cr_assert_eq(l.n, 1);
    listing_free(&l);
    isms__v1__list_risks_request__init(&req);
    req.limit = 10;
    req.after_id = "R-2";
    list(w.fd, &req, &l);
    cr_assert_eq(l.n, 10);
    cr_assert_str_eq(l.items[0]->id, "R-3");
    listing_free(&l);
    isms__v1__list_risks_request__init(&req);
    req.status = "identified";
    list(w.fd, &req, &l);
    cr_assert_eq(l.n, 0);
    listing_free(&l);
    isms_test_finish();
}

Test(risk, matrix_counts_inherent_and_residual)
{
    struct world w;
    Isms__V1__RiskMatrixRequest mr = ISMS__V1__RISK_MATRIX_REQUEST__INIT;
    struct isms_test_reply rep;
    Isms__V1__RiskMatrix *x;

    world_start(&w);
    create_ok(w.fd, "a", "alice", 4, 5);
    create_ok(w.fd, "b", "alice", 4, 5);
    create_ok(w.fd, "c", "bob", 1, 1);
    assess(w.fd, "R-2", 0, 0, 2, 2, &rep);
    isms_test_expect(&rep, 0, NULL, "Assess residual");
    isms_test_reply_cleanup(&rep);
    isms_test_unary(w.fd, M_MATRIX, &mr.base, 0, &isms__v1__risk_matrix__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "Matrix");
    x = (Isms__V1__RiskMatrix *)rep.body;
    cr_assert_eq(x->n_cells, 25);
    cr_assert_eq(x->assessed, 3);
    /* cell (l, i) is at (l - 1) * 5 + (i - 1) */
    cr_assert_eq(x->cells[3 * 5 + 4]->likelihood, 4);
    cr_assert_eq(x->cells[3 * 5 + 4]->impact, 5);
    cr_assert_eq(x->cells[3 * 5 + 4]->score, 20);
    cr_assert_str_eq(x->cells[3 * 5 + 4]->level, "critical");
    cr_assert_eq(x->cells[3 * 5 + 4]->inherent, 2);
    /* R-2's residual 2 x 2 is a target: nothing is implemented, so it stays at 4 x 5 */
    cr_assert_eq(x->cells[3 * 5 + 4]->residual, 2);
    cr_assert_eq(x->cells[1 * 5 + 1]->residual, 0);
    cr_assert_eq(x->cells[1 * 5 + 1]->inherent, 0);
    cr_assert_eq(x->cells[0]->inherent, 1);
    isms_test_reply_cleanup(&rep);
    mr.method_version = 9;
    isms_test_unary(w.fd, M_MATRIX, &mr.base, 0, &isms__v1__risk_matrix__descriptor, &rep);
    isms_test_expect(&rep, 5, "risk method version 9 does not exist", "Matrix v9");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(risk, plan_export_streams_every_risk_with_its_treatment)
{
    struct world w;
    Isms__V1__PlanExportRequest req = ISMS__V1__PLAN_EXPORT_REQUEST__INIT;
    struct isms_test_reply rep;
    struct listing l;

    world_start(&w);
    create_ok(w.fd, "Backups unencrypted", "alice", 4, 4);
    create_ok(w.fd, "Old one", "bob", 1, 1);
    treat(w.fd, "R-1", "modify", "8.24", "encrypt the backups", 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Treat");
    isms_test_reply_cleanup(&rep);
    close_risk(w.fd, "R-2", "asset retired", &rep);
    isms_test_expect(&rep, 0, NULL, "Close");
    isms_test_reply_cleanup(&rep);
    stream(w.fd, M_PLAN, &req.base, &l);
    cr_assert_eq(l.code, 0, "%s", l.message);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.items[0]->treatment, "modify");
    cr_assert_str_eq(l.items[0]->controls[0], "8.24");
    cr_assert_str_eq(l.items[0]->actions[0]->description, "encrypt the backups");
    cr_assert_str_eq(l.items[0]->actions[0]->owner, "alice");
    cr_assert_str_eq(l.items[1]->status, "closed");
    listing_free(&l);
    req.exclude_closed = 1;
    stream(w.fd, M_PLAN, &req.base, &l);
    cr_assert_eq(l.n, 1);
    listing_free(&l);
    isms_test_finish();
}

Test(risk, every_mutation_is_audited_with_before_and_after)
{
    struct world w;
    struct isms_test_reply rep;

    world_start(&w);
    create_ok(w.fd, "Audited", "alice", 3, 3);
    update_title(w.fd, "R-1", "Audited, renamed", 0, &rep);
    isms_test_reply_cleanup(&rep);
    assess(w.fd, "R-1", 4, 4, 0, 0, &rep);
    isms_test_reply_cleanup(&rep);
    treat(w.fd, "R-1", "modify", "5.15", "review access", 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Treat");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(scalar(&w, "SELECT count(*) FROM audit_log WHERE entity = 'risk:R-1'", NULL), 4);
    cr_assert_eq(scalar(&w,
                        "SELECT count(*) FROM audit_log WHERE entity = 'risk:R-1'"
                        " AND method = '/isms.v1.Risk/Update'"
                        " AND changes::jsonb -> 'title' ->> 'before' = 'Audited'"
                        " AND changes::jsonb -> 'title' ->> 'after' = 'Audited, renamed'"
                        " AND NOT changes::jsonb ? 'owner'",
                        NULL),
                 1);
    cr_assert_eq(scalar(&w,
                        "SELECT count(*) FROM audit_log WHERE method = '/isms.v1.Risk/Assess'"
                        " AND (changes::jsonb -> 'inherent_score' ->> 'after')::int = 16"
                        " AND (changes::jsonb -> 'inherent_score' ->> 'before')::int = 9",
                        NULL),
                 1);
    cr_assert_eq(scalar(&w,
                        "SELECT count(*) FROM audit_log WHERE method = '/isms.v1.Risk/Treat'"
                        " AND changes::jsonb -> 'controls' -> 'after' ? '5.15'"
                        " AND changes::jsonb -> 'actions' -> 'after' ? 'RA-1'"
                        " AND changes::jsonb -> 'status' ->> 'after' = 'treatment_planned'",
                        NULL),
                 1);
    isms_test_finish();
}

/* ---- ismsctl ----------------------------------------------------------------------------------
 */

/* Runs ismsctl as the holder of `token` and checks its exit status. */
static void ctl(struct isms_test_proc *p, const struct world *w, const char *token, int want,
                const char *const *args)
{
    const char *argv[40];
    char server[64], tok[300], home[300], xdg[320];
    static char dir[256];
    const char *env[6];
    size_t n = 0;
    char cmdline[1024] = "";
    size_t o = 0;

    if (dir[0] == '\0')
        isms_test_tmpdir(dir, sizeof(dir));
    argv[n++] = isms_test_ismsctl_path();
    cr_assert_not_null(argv[0], "ismsctl was not built");
    for (size_t k = 0; args[k] != NULL; k++) {
        cr_assert_lt(n, 39);
        argv[n++] = args[k];
        o += (size_t)snprintf(cmdline + o, o < sizeof(cmdline) ? sizeof(cmdline) - o : 0, " %s",
                              args[k]);
    }
    argv[n] = NULL;
    snprintf(server, sizeof(server), "ISMS_SERVER=127.0.0.1:%d", w->env.srv.port);
    snprintf(tok, sizeof(tok), "ISMS_TOKEN=%s", token);
    snprintf(home, sizeof(home), "HOME=%s", dir);
    snprintf(xdg, sizeof(xdg), "XDG_CONFIG_HOME=%s/.config", dir);
    env[0] = server;
    env[1] = "ISMS_PLAINTEXT=1";
    env[2] = tok;
    env[3] = home;
    env[4] = xdg;
    env[5] = NULL;
    isms_test_run(p, argv, env, 60000);
    cr_assert_eq(p->exit_code, want, "ismsctl%s exited %d, expected %d\nstdout:\n%s\nstderr:\n%s",
                 cmdline, p->exit_code, want, p->out, p->err);
}

Test(risk, ismsctl_risk_commands)
{
    struct world w;
    struct isms_test_proc p;

    world_start(&w);
    ctl(&p, &w, w.admin, 0,
        (const char *const[]){"risk", "create", "--title", "Customer data leak", "--asset",
                              "Customer DB", "--asset", "A-2", "--owner", "alice", "--likelihood",
                              "4", "--impact", "5", "-o", "json", NULL});
    cr_assert(strstr(p.out, "\"id\": \"R-1\"") != NULL, "%s", p.out);
    cr_assert(strstr(p.out, "\"score\": 20") != NULL, "%s", p.out);
    cr_assert(strstr(p.out, "\"level\": \"critical\"") != NULL, "%s", p.out);
    cr_assert(strstr(p.out, "\"Laptop fleet\"") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.admin, 6,
        (const char *const[]){"risk", "treat", "R-1", "--option", "retain", NULL});
    cr_assert(strstr(p.err, "FAILED_PRECONDITION") != NULL, "%s", p.err);
    cr_assert(strstr(p.err, "ismsctl risk accept R-1") != NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.admin, 7,
        (const char *const[]){"risk", "accept", "R-1", "--justification", "on behalf", "--expires",
                              "2099-12-31", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.alice, 0,
        (const char *const[]){"risk", "accept", "R-1", "--justification", "cost exceeds exposure",
                              "--expires", "2099-12-31", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.admin, 0,
        (const char *const[]){"risk", "treat", "R-1", "--option", "retain", "-o", "json", NULL});
    cr_assert(strstr(p.out, "\"treatment\": \"retain\"") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.admin, 0,
        (const char *const[]){"risk", "create", "--title", "Weak passwords", "--owner", "bob",
                              "--likelihood", "3", "--impact", "4", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.admin, 3,
        (const char *const[]){"risk", "assess", "R-2", "--likelihood", "9", "--impact", "1", NULL});
    cr_assert(strstr(p.err, "INVALID_ARGUMENT: inherent likelihood 9 is outside") != NULL, "%s",
              p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.bob, 0, (const char *const[]){"risk",        "treat",
                                                "R-2",         "--option",
                                                "modify",      "--control",
                                                "5.17",        "--control",
                                                "8.5",         "--action",
                                                "enforce MFA", "--action-owner",
                                                "alice",       "--action-due",
                                                "2027-06-30",  "--residual-likelihood",
                                                "1",           "--residual-impact",
                                                "4",           NULL});
    cr_assert(strstr(p.out, "treatment_planned") != NULL, "%s", p.out);
    cr_assert(strstr(p.out, "RA-1") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    /* bob lowered the residual of his own risk: it waits for a second person (8.3) */
    ctl(&p, &w, w.vera, 0, (const char *const[]){"risk", "show", "R-2", "-o", "csv", NULL});
    cr_assert(strstr(p.out, ",modify,,,,,12,high,false,1,2,1,4,4,low,bob,") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.bob, 7, (const char *const[]){"risk", "confirm", "R-2", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.admin, 0, (const char *const[]){"risk", "confirm", "R-2", "-o", "json", NULL});
    cr_assert(strstr(p.out, "\"residual_score\": 4") != NULL, "%s", p.out);
    cr_assert(strstr(p.out, "\"pending_residual_score\": 0") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.bob, 7,
        (const char *const[]){"risk", "update", "R-1", "--title", "mine now", NULL});
    isms_test_proc_cleanup(&p);
    /* Two sessions on one version: the second is refused and the first one's change stays. */
    ctl(&p, &w, w.admin, 0,
        (const char *const[]){"risk", "update", "R-2", "--description", "session A",
                              "--expect-version", "3", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.alice, 7,
        (const char *const[]){"risk", "update", "R-2", "--description", "session B",
                              "--expect-version", "3", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.bob, 5,
        (const char *const[]){"risk", "update", "R-2", "--description", "session B",
                              "--expect-version", "3", NULL});
    cr_assert(strstr(p.err, "ABORTED") != NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.vera, 0, (const char *const[]){"risk", "show", "R-2", "-o", "json", NULL});
    cr_assert(strstr(p.out, "\"description\": \"session A\"") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.vera, 4, (const char *const[]){"risk", "show", "R-42", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.vera, 0,
        (const char *const[]){"risk", "list", "--above-appetite", "--owner", "alice", "--level",
                              "critical", "-o", "csv", NULL});
    cr_assert(strstr(p.out, "R-1,Customer data leak,alice,accepted,20,critical,true,retain") !=
                  NULL,
              "%s", p.out);
    cr_assert(strstr(p.out, "R-2") == NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.vera, 0, (const char *const[]){"risk", "matrix", NULL});
    cr_assert(strstr(p.out, "likelihood \\ impact") != NULL, "%s", p.out);
    cr_assert(strstr(p.out, "\x1b[") == NULL, "colours on a pipe:\n%s", p.out);
    cr_assert(strstr(p.out, "Almost certain") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.vera, 0, (const char *const[]){"risk", "matrix", "-o", "csv", NULL});
    cr_assert(strstr(p.out, "4,5,20,critical,1,1") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.vera, 0, (const char *const[]){"risk", "plan", "export", NULL});
    cr_assert(strstr(p.out, "risk,title,owner,status,treatment") == p.out, "%s", p.out);
    cr_assert(strstr(p.out, "R-2,Weak passwords,bob,treatment_planned,modify,12,high,4,low,12,"
                            "high,true,5.17; 8.5,RA-1,enforce MFA,alice,2027-06-30,"
                            "open") != NULL,
              "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.vera, 0, (const char *const[]){"risk", "plan", "export", "--format", "md", NULL});
    cr_assert(strstr(p.out, "# Risk treatment plan") != NULL, "%s", p.out);
    cr_assert(strstr(p.out, "| R-2 | Weak passwords | bob | treatment_planned | modify |") != NULL,
              "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.vera, 0,
        (const char *const[]){"risk", "plan", "export", "--format", "json", NULL});
    cr_assert(strstr(p.out, "\"controls\": [\"5.17\", \"8.5\"]") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.admin, 0,
        (const char *const[]){"risk", "close", "R-1", "--reason", "accepted and retained", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, &w, w.admin, 2, (const char *const[]){"risk", "treat", "R-2", "--action", "x", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}
