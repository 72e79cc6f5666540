/* tests/integration/test_roles.c — least privilege, one role at a time: a user per role (and
 * one with two roles) calls a set of RPCs; each is allowed or PERMISSION_DENIED exactly as the
 * role masks of the daemon's method tables say (daemon/domain/x/x.c struct isms_method_spec),
 * and every refusal is in the audit trail with the caller as actor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>

#include "isms/v1/asset.pb-c.h"
#include "isms/v1/audit.pb-c.h"
#include "isms/v1/control.pb-c.h"
#include "isms/v1/risk.pb-c.h"
#include "testlib.h"

TestSuite(roles, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

/* Role bits as in daemon/auth/roles.h. */
enum {
    R_ADMIN = 1 << 0,
    R_MANAGER = 1 << 1,
    R_RISK_OWNER = 1 << 2,
    R_AUDITOR = 1 << 3,
    R_CONTRIBUTOR = 1 << 4,
    R_VIEWER = 1 << 5,
    R_ALL = 0x3F,
};

static const char *const role_names[] = {"admin",   "isms_manager", "risk_owner",
                                         "auditor", "contributor",  "viewer"};

#define ROLE_PASSWORD "granite-violet-sunrise-88"

/* One RPC of the matrix: who may call it, and how to call it as the user `me`. */
struct rpc {
    const char *method;
    unsigned roles;
    int allowed_code;     /* the code when allowed: OK, or INVALID_ARGUMENT for a bad body */
    bool precondition_ok; /* FAILED_PRECONDITION also counts as "allowed" (Soa/Publish) */
    void (*call)(int fd, const char *me, struct isms_test_reply *rep);
};

static void call_unary(int fd, const char *method, const ProtobufCMessage *m,
                       struct isms_test_reply *rep)
{
    isms_test_unary(fd, method, m, 0, NULL, rep);
}

static void call_stream(int fd, const char *method, const ProtobufCMessage *m,
                        struct isms_test_reply *rep)
{
    isms_test_stream(fd, method, m, NULL, NULL, NULL, NULL, rep);
}

static void c_ctx_update(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__UpdateContextRequest m = ISMS__V1__UPDATE_CONTEXT_REQUEST__INIT;

    (void)me;
    m.organization = "Roles Ltd";
    m.set_organization = 1;
    call_unary(fd, ISMS_M_CTX_UPDATE, &m.base, rep);
}

static void c_ctx_get(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__GetContextRequest m = ISMS__V1__GET_CONTEXT_REQUEST__INIT;

    (void)me;
    call_unary(fd, ISMS_M_CTX_GET, &m.base, rep);
}

static void c_user_create(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__CreateUserRequest m = ISMS__V1__CREATE_USER_REQUEST__INIT;
    char *roles[1] = {"viewer"};
    char name[80];

    snprintf(name, sizeof(name), "made-by-%s", me);
    m.name = name;
    m.roles = roles;
    m.n_roles = 1;
    m.password = "made-by-someone-password";
    call_unary(fd, "/isms.v1.User/Create", &m.base, rep);
}

static void c_user_list(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__ListUsersRequest m = ISMS__V1__LIST_USERS_REQUEST__INIT;

    (void)me;
    call_unary(fd, "/isms.v1.User/List", &m.base, rep);
}

static void c_user_update(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__UpdateUserRequest m = ISMS__V1__UPDATE_USER_REQUEST__INIT;

    (void)me;
    m.name = ISMS_TEST_ADMIN_USER;
    m.set_display_name = 1;
    m.display_name = "The Admin";
    call_unary(fd, "/isms.v1.User/Update", &m.base, rep);
}

static void c_audit_verify(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__AuditVerifyRequest m = ISMS__V1__AUDIT_VERIFY_REQUEST__INIT;

    (void)me;
    call_unary(fd, "/isms.v1.Audit/Verify", &m.base, rep);
}

static void c_audit_export(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__AuditExportRequest m = ISMS__V1__AUDIT_EXPORT_REQUEST__INIT;

    (void)me;
    call_stream(fd, "/isms.v1.Audit/Export", &m.base, rep);
}

static void c_audit_log(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__AuditLogRequest m = ISMS__V1__AUDIT_LOG_REQUEST__INIT;

    (void)me;
    m.limit = 5;
    call_stream(fd, "/isms.v1.Audit/Log", &m.base, rep);
}

static void c_asset_create(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__CreateAssetRequest m = ISMS__V1__CREATE_ASSET_REQUEST__INIT;
    char name[80];

    snprintf(name, sizeof(name), "Server of %s", me);
    m.name = name;
    m.type = "hardware";
    m.owner = "ops";
    m.classification = "internal";
    m.confidentiality = 2;
    m.integrity = 2;
    m.availability = 2;
    call_unary(fd, "/isms.v1.Asset/Create", &m.base, rep);
}

static void c_asset_list(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__ListAssetsRequest m = ISMS__V1__LIST_ASSETS_REQUEST__INIT;

    (void)me;
    call_stream(fd, "/isms.v1.Asset/List", &m.base, rep);
}

static void c_control_set(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__SetControlRequest m = ISMS__V1__SET_CONTROL_REQUEST__INIT;

    (void)me;
    m.id = "5.1";
    m.set_owner = 1;
    m.owner = "CISO";
    call_unary(fd, "/isms.v1.Control/Set", &m.base, rep);
}

static void c_control_get(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__GetControlRequest m = ISMS__V1__GET_CONTROL_REQUEST__INIT;

    (void)me;
    m.id = "5.1";
    call_unary(fd, "/isms.v1.Control/Get", &m.base, rep);
}

static void c_soa_publish(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__SoaPublishRequest m = ISMS__V1__SOA_PUBLISH_REQUEST__INIT;

    (void)me;
    m.approved_by = "Board";
    call_unary(fd, "/isms.v1.Soa/Publish", &m.base, rep);
}

static void c_risk_create(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__CreateRiskRequest m = ISMS__V1__CREATE_RISK_REQUEST__INIT;

    m.title = "Ransomware on the file server";
    m.owner = (char *)me;
    call_unary(fd, "/isms.v1.Risk/Create", &m.base, rep);
}

static void c_method_set(int fd, const char *me, struct isms_test_reply *rep)
{
    Isms__V1__SetMethodRequest m = ISMS__V1__SET_METHOD_REQUEST__INIT;

    (void)me;
    /* No method, so invalid: only the role check matters (it comes first). */
    call_unary(fd, "/isms.v1.Method/Set", &m.base, rep);
}

static const struct rpc rpcs[] = {
    {ISMS_M_CTX_UPDATE, R_MANAGER, 0, false, c_ctx_update},
    {ISMS_M_CTX_GET, R_ALL, 0, false, c_ctx_get},
    {"/isms.v1.User/Create", R_ADMIN, 0, false, c_user_create},
    {"/isms.v1.User/List", R_ADMIN | R_MANAGER | R_AUDITOR, 0, false, c_user_list},
    {"/isms.v1.User/Update", R_ADMIN, 0, false, c_user_update},
    {"/isms.v1.Audit/Verify", R_ADMIN | R_MANAGER | R_AUDITOR, 0, false, c_audit_verify},
    {"/isms.v1.Audit/Log", R_ADMIN | R_MANAGER | R_AUDITOR, 0, false, c_audit_log},
    {"/isms.v1.Audit/Export", R_ADMIN | R_AUDITOR, 0, false, c_audit_export},
    {"/isms.v1.Asset/Create", R_MANAGER, 0, false, c_asset_create},
    {"/isms.v1.Asset/List", R_ALL, 0, false, c_asset_list},
    {"/isms.v1.Control/Set", R_MANAGER, 0, false, c_control_set},
    {"/isms.v1.Control/Get", R_ALL, 0, false, c_control_get},
    {"/isms.v1.Soa/Publish", R_MANAGER, 0, true, c_soa_publish},
    {"/isms.v1.Risk/Create", R_MANAGER, 0, false, c_risk_create},
    {"/isms.v1.Method/Set", R_MANAGER, 3, false, c_method_set},
};

#define NRPCS (sizeof(rpcs) / sizeof(rpcs[0]))

struct role_case {
    char user[32];
    char roles[64]; /* role names joined by ',' */
    unsigned mask;
};

ParameterizedTestParameters(roles, each_role_against_each_rpc)
{
    static struct role_case cases[] = {
        {"r-admin", "admin", R_ADMIN},
        {"r-manager", "isms_manager", R_MANAGER},
        {"r-riskowner", "risk_owner", R_RISK_OWNER},
        {"r-auditor", "auditor", R_AUDITOR},
        {"r-contributor", "contributor", R_CONTRIBUTOR},
        {"r-viewer", "viewer", R_VIEWER},
        /* Two roles: the union of what each may do. */
        {"r-two", "risk_owner,auditor", R_RISK_OWNER | R_AUDITOR},
    };

    return cr_make_param_array(struct role_case, cases, sizeof(cases) / sizeof(cases[0]));
}

static long long count_audit(PGconn *pg, const char *actor, const char *method, const char *result)
{
    const char *p[3] = {actor, method, result};

    return isms_test_pg_scalar(pg,
                               "SELECT count(*) FROM audit_log WHERE actor = $1 AND method = $2 "
                               "AND result = $3 AND source LIKE '127.0.0.1:%'",
                               3, p);
}

ParameterizedTest(struct role_case *rc, roles, each_role_against_each_rpc)
{
    Isms__V1__CreateUserRequest u = ISMS__V1__CREATE_USER_REQUEST__INIT;
    Isms__V1__WhoAmIRequest who = ISMS__V1__WHO_AM_IREQUEST__INIT;
    struct isms_test_env env;
    struct isms_test_reply rep;
    char *roles[6];
    char list[64], token[256];
    unsigned denied = 0, allowed = 0;
    PGconn *pg;
    int fd, code;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    snprintf(list, sizeof(list), "%s", rc->roles);
    for (char *tok = list; tok != NULL && u.n_roles < 6;) {
        char *comma = strchr(tok, ',');

        if (comma != NULL)
            *comma = '\0';
        roles[u.n_roles++] = tok;
        tok = comma != NULL ? comma + 1 : NULL;
    }
    u.name = rc->user;
    u.roles = roles;
    u.password = ROLE_PASSWORD;
    isms_test_unary(fd, "/isms.v1.User/Create", &u.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "User/Create");
    isms_test_reply_cleanup(&rep);
    code = isms_test_login(env.srv.port, rc->user, ROLE_PASSWORD, token, sizeof(token));
    cr_assert_eq(code, 0, "login as %s: %s", rc->user, isms_code_name(code));
    isms_test_set_token(token);
    isms_test_close(fd);
    fd = isms_test_connect(env.srv.port);

    /* WhoAmI reports exactly the roles given. */
    isms_test_unary(fd, ISMS_M_AUTH_WHOAMI, &who.base, 0, &isms__v1__user_account__descriptor,
                    &rep);
    isms_test_expect(&rep, 0, NULL, "WhoAmI");
    {
        const Isms__V1__UserAccount *me = (const Isms__V1__UserAccount *)rep.body;
        unsigned got = 0;

        for (size_t i = 0; i < me->n_roles; i++)
            for (unsigned b = 0; b < 6; b++)
                if (strcmp(me->roles[i], role_names[b]) == 0)
                    got |= 1u << b;
        cr_assert_eq(got, rc->mask, "WhoAmI roles mask 0x%x, expected 0x%x", got, rc->mask);
    }
    isms_test_reply_cleanup(&rep);

    pg = isms_test_pg_connect(env.db.conninfo);
    for (size_t i = 0; i < NRPCS; i++) {
        const struct rpc *r = &rpcs[i];
        bool may = (r->roles & rc->mask) != 0;
        char what[256];

        snprintf(what, sizeof(what), "%s as %s (%s)", r->method, rc->user, rc->roles);
        r->call(fd, rc->user, &rep);
        if (!may) {
            char needle[200];

            snprintf(needle, sizeof(needle), "may not call %s", r->method);
            isms_test_expect(&rep, 7, needle, what);
            cr_assert_eq(count_audit(pg, rc->user, r->method, "PERMISSION_DENIED"), 1,
                         "%s: the refusal is not in audit_log exactly once with actor %s", what,
                         rc->user);
            denied++;
        } else if (r->precondition_ok && rep.code == 9) {
            cr_log_info("%s: FAILED_PRECONDITION (allowed): %s", what, rep.message);
            allowed++;
        } else {
            isms_test_expect(&rep, r->allowed_code, NULL, what);
            cr_assert_eq(count_audit(pg, rc->user, r->method, "PERMISSION_DENIED"), 0,
                         "%s: an allowed call is audited as refused", what);
            allowed++;
        }
        isms_test_reply_cleanup(&rep);
    }
    cr_log_info("%s (%s): %u allowed, %u denied", rc->user, rc->roles, allowed, denied);

    /* What was refused changed nothing. */
    if (!(rc->mask & R_MANAGER)) {
        cr_assert_eq(isms_test_pg_scalar(pg, "SELECT count(*) FROM asset", 0, NULL), 0,
                     "a refused Asset/Create stored an asset");
        cr_assert_eq(isms_test_pg_scalar(pg, "SELECT count(*) FROM risk", 0, NULL), 0,
                     "a refused Risk/Create stored a risk");
        cr_assert_eq(isms_test_pg_scalar(pg,
                                         "SELECT count(*) FROM isms_context WHERE "
                                         "organization = 'Roles Ltd'",
                                         0, NULL),
                     0, "a refused Context/Update changed the context");
    }
    if (!(rc->mask & R_ADMIN))
        cr_assert_eq(isms_test_pg_scalar(pg,
                                         "SELECT count(*) FROM app_user WHERE name LIKE "
                                         "'made-by-%'",
                                         0, NULL),
                     0, "a refused User/Create stored a user");
    /* The trail with the refusals in it still verifies. */
    {
        Isms__V1__AuditVerifyRequest v = ISMS__V1__AUDIT_VERIFY_REQUEST__INIT;
        char admin[256];
        const Isms__V1__AuditVerifyResponse *vr;

        code = isms_test_login(env.srv.port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD, admin,
                               sizeof(admin));
        cr_assert_eq(code, 0);
        isms_test_set_token(admin);
        isms_test_unary(fd, "/isms.v1.Audit/Verify", &v.base, 0,
                        &isms__v1__audit_verify_response__descriptor, &rep);
        isms_test_expect(&rep, 0, NULL, "Audit/Verify as admin");
        vr = (const Isms__V1__AuditVerifyResponse *)rep.body;
        cr_assert(vr->ok, "the chain is broken at %lld: %s", (long long)vr->first_bad_seq,
                  vr->problem);
        isms_test_reply_cleanup(&rep);
    }
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    isms_test_finish();
}
