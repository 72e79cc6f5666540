/* tests/integration/test_roles.c — least privilege for every method ismsd serves. The method
 * table is built here exactly as ismsd builds it (isms_domain_register_all), so a new method is
 * covered the day it is registered: a user holding one role (or two) calls each method with an
 * empty body, and gets PERMISSION_DENIED exactly when the method's role mask leaves that role
 * out; every refusal is in the audit trail with the caller as actor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>

#include "auth/roles.h"
#include "domain/domain.h"
#include "isms/v1/audit.pb-c.h"
#include "rpc/registry.h"
#include "rpc/server.h"
#include "testlib.h"

TestSuite(roles, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define ROLE_PASSWORD          "granite-violet-sunrise-88"
#define CODE_PERMISSION_DENIED 7
#define CODE_UNIMPLEMENTED     12
#define CODE_UNAUTHENTICATED   16

/* The registry ismsd serves, built the way daemon/main.c builds it. Only `reg` is used. */
static struct isms_server *registry_new(void)
{
    struct isms_server *srv = calloc(1, sizeof(*srv));
    struct isms_status st;

    cr_assert_not_null(srv);
    isms_registry_init(&srv->reg);
    cr_assert_eq(isms_domain_register_all(srv, &st), ISMS_OK, "registering methods: %s", st.msg);
    isms_registry_seal(&srv->reg);
    cr_assert_gt(isms_registry_count(&srv->reg), 0);
    return srv;
}

static void registry_free(struct isms_server *srv)
{
    isms_registry_cleanup(&srv->reg);
    free(srv);
}

/* Calls `m` with an empty body on `fd` (as the current token). Server streams and unary calls
 * alike end with one `more = false` message, whose code and message land in `rep`. */
static int call_empty(int fd, const struct isms_method *m, struct isms_test_reply *rep)
{
    ProtobufCMessage *body = calloc(1, m->input->sizeof_message);
    int code;

    cr_assert_not_null(body);
    protobuf_c_message_init(m->input, body);
    code = isms_test_stream(fd, m->name, body, NULL, NULL, NULL, NULL, rep);
    free(body);
    return code;
}

/* True unless WhoAmI says the current token no longer works (an allowed Auth/Logout or
 * User/RevokeSessions with an empty body ends the caller's own session). */
static bool session_alive(int fd)
{
    Isms__V1__WhoAmIRequest who = ISMS__V1__WHO_AM_IREQUEST__INIT;
    struct isms_test_reply rep;
    int code = isms_test_unary(fd, ISMS_M_AUTH_WHOAMI, &who.base, 0, NULL, &rep);

    cr_assert(code == 0 || code == CODE_UNAUTHENTICATED, "WhoAmI: %s: %s", isms_code_name(code),
              rep.message);
    isms_test_reply_cleanup(&rep);
    return code == 0;
}

static void login_as(int port, const char *user, const char *password)
{
    char token[256];
    int code = isms_test_login(port, user, password, token, sizeof(token));

    cr_assert_eq(code, 0, "login as %s: %s", user, isms_code_name(code));
    isms_test_set_token(token);
}

static long long count_audit(PGconn *pg, const char *actor, const char *method, const char *result)
{
    const char *p[3] = {actor, method, result};

    return isms_test_pg_scalar(pg,
                               "SELECT count(*) FROM audit_log WHERE actor = $1 AND method = $2 "
                               "AND result = $3 AND source LIKE '127.0.0.1:%'",
                               3, p);
}

struct role_case {
    char user[32];
    unsigned mask; /* ISMS_ROLE_* bits */
};

ParameterizedTestParameters(roles, every_method_for_each_role)
{
    static struct role_case cases[] = {
        {"r-admin", ISMS_ROLE_ADMIN},
        {"r-manager", ISMS_ROLE_MANAGER},
        {"r-riskowner", ISMS_ROLE_RISK_OWNER},
        {"r-auditor", ISMS_ROLE_AUDITOR},
        {"r-contributor", ISMS_ROLE_CONTRIBUTOR},
        {"r-viewer", ISMS_ROLE_VIEWER},
        {"r-topmgmt", ISMS_ROLE_TOP_MANAGEMENT},
        /* Two roles: the union of what each may do. */
        {"r-two", ISMS_ROLE_RISK_OWNER | ISMS_ROLE_AUDITOR},
    };

    return cr_make_param_array(struct role_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct role_case *rc, roles, every_method_for_each_role)
{
    Isms__V1__CreateUserRequest u = ISMS__V1__CREATE_USER_REQUEST__INIT;
    Isms__V1__WhoAmIRequest who = ISMS__V1__WHO_AM_IREQUEST__INIT;
    struct isms_server *reg = registry_new();
    struct isms_test_env env;
    struct isms_test_reply rep;
    char *roles[7];
    char names[128] = "";
    unsigned denied = 0, allowed = 0, relogins = 0;
    PGconn *pg;
    int fd;

    for (unsigned b = 0; b < 7; b++) {
        if (rc->mask & (1u << b)) {
            roles[u.n_roles++] = (char *)isms_role_name(1u << b);
            snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                     u.n_roles > 1 ? "," : "", isms_role_name(1u << b));
        }
    }
    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    u.name = rc->user;
    u.roles = roles;
    u.password = ROLE_PASSWORD;
    u.permanent = 1;
    isms_test_unary(fd, "/isms.v1.User/Create", &u.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "User/Create");
    isms_test_reply_cleanup(&rep);
    login_as(env.srv.port, rc->user, ROLE_PASSWORD);

    /* WhoAmI reports exactly the roles given. */
    isms_test_unary(fd, ISMS_M_AUTH_WHOAMI, &who.base, 0, &isms__v1__user_account__descriptor,
                    &rep);
    isms_test_expect(&rep, 0, NULL, "WhoAmI");
    {
        const Isms__V1__UserAccount *me = (const Isms__V1__UserAccount *)rep.body;
        unsigned got = 0;

        for (size_t i = 0; i < me->n_roles; i++)
            got |= isms_role_parse(me->roles[i]);
        cr_assert_eq(got, rc->mask, "WhoAmI roles mask 0x%x, expected 0x%x", got, rc->mask);
    }
    isms_test_reply_cleanup(&rep);

    pg = isms_test_pg_connect(env.db.conninfo);
    for (size_t i = 0; i < isms_registry_count(&reg->reg); i++) {
        const struct isms_method *m = isms_registry_at(&reg->reg, i);
        bool may = (m->flags & ISMS_METHOD_PUBLIC) || m->roles == 0 || (m->roles & rc->mask) != 0;
        char what[320];

        snprintf(what, sizeof(what), "%s as %s (%s)", m->name, rc->user, names);
        call_empty(fd, m, &rep);
        cr_assert_neq(rep.code, CODE_UNIMPLEMENTED, "%s: registered here, unknown to ismsd: %s",
                      what, rep.message);
        cr_assert_neq(rep.code, CODE_UNAUTHENTICATED, "%s: UNAUTHENTICATED with a valid token: %s",
                      what, rep.message);
        if (!may) {
            char needle[160];

            snprintf(needle, sizeof(needle), "may not call %s", m->name);
            isms_test_expect(&rep, CODE_PERMISSION_DENIED, needle, what);
            cr_assert_eq(count_audit(pg, rc->user, m->name, "PERMISSION_DENIED"), 1,
                         "%s: the refusal is not in audit_log exactly once with actor %s", what,
                         rc->user);
            denied++;
        } else {
            cr_assert_neq(rep.code, CODE_PERMISSION_DENIED,
                          "%s: refused, but the method's roles (0x%x) allow it: %s", what, m->roles,
                          rep.message);
            cr_assert_eq(count_audit(pg, rc->user, m->name, "PERMISSION_DENIED"), 0,
                         "%s: an allowed call is audited as refused", what);
            allowed++;
            if (!session_alive(fd)) {
                login_as(env.srv.port, rc->user, ROLE_PASSWORD);
                relogins++;
            }
        }
        isms_test_reply_cleanup(&rep);
    }
    cr_log_info("%s (%s): %zu methods, %u allowed, %u denied, %u logins again", rc->user, names,
                isms_registry_count(&reg->reg), allowed, denied, relogins);

    /* The trail with the refusals in it still verifies. */
    {
        Isms__V1__AuditVerifyRequest v = ISMS__V1__AUDIT_VERIFY_REQUEST__INIT;
        const Isms__V1__AuditVerifyResponse *vr;

        login_as(env.srv.port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
        isms_test_unary(fd, "/isms.v1.Audit/Verify", &v.base, 0,
                        &isms__v1__audit_verify_response__descriptor, &rep);
        isms_test_expect(&rep, 0, NULL, "Audit/Verify as admin");
        vr = (const Isms__V1__AuditVerifyResponse *)rep.body;
        cr_assert(vr->ok, "the chain is broken at %lld: %s", (long long)vr->first_bad_seq,
                  vr->problem);
        isms_test_reply_cleanup(&rep);
    }
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    registry_free(reg);
    isms_test_finish();
}

/* Without credentials, public methods run and every other one is UNAUTHENTICATED. */
Test(roles, every_method_without_credentials)
{
    struct isms_server *reg = registry_new();
    struct isms_test_env env;
    struct isms_test_reply rep;
    unsigned public_n = 0;
    int fd;

    isms_test_env_start(&env, NULL);
    isms_test_set_token(NULL);
    fd = isms_test_connect(env.srv.port);
    for (size_t i = 0; i < isms_registry_count(&reg->reg); i++) {
        const struct isms_method *m = isms_registry_at(&reg->reg, i);

        call_empty(fd, m, &rep);
        cr_assert_neq(rep.code, CODE_UNIMPLEMENTED, "%s: registered here, unknown to ismsd: %s",
                      m->name, rep.message);
        if (m->flags & ISMS_METHOD_PUBLIC) {
            cr_assert(rep.code != CODE_UNAUTHENTICATED && rep.code != CODE_PERMISSION_DENIED,
                      "public %s without credentials: %s: %s", m->name, isms_code_name(rep.code),
                      rep.message);
            public_n++;
        } else {
            isms_test_expect(&rep, CODE_UNAUTHENTICATED, NULL, m->name);
        }
        isms_test_reply_cleanup(&rep);
    }
    cr_assert_geq(public_n, 3, "expected at least Health, Info and Login to be public");
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    registry_free(reg);
    isms_test_finish();
}
