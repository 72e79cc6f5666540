/* tests/integration/test_tokens.c — sessions and API tokens against a real ismsd: expiry,
 * logout, role scoping of API tokens, who may revoke what, revoking and disabling users, and
 * last_used_at. Every refused credential is checked for its exact code and message, and the
 * server is checked to serve other clients afterwards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "testlib.h"

TestSuite(tokens, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define PW_BOB   "river-stone-lantern-42"
#define PW_ALICE "maple-cloud-harbor-77"
#define PW_CAROL "quiet-meadow-orbit-19"

#define M_LOGOUT          "/isms.v1.Auth/Logout"
#define M_CREATE_TOKEN    "/isms.v1.Auth/CreateToken"
#define M_LIST_TOKENS     "/isms.v1.Auth/ListTokens"
#define M_REVOKE_TOKEN    "/isms.v1.Auth/RevokeToken"
#define M_USER_UPDATE     "/isms.v1.User/Update"
#define M_REVOKE_SESSIONS "/isms.v1.User/RevokeSessions"

static int ctx_get(int fd, struct isms_test_reply *rep)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;

    return isms_test_unary(fd, ISMS_M_CTX_GET, &get.base, 0, NULL, rep);
}

static int ctx_set_org(int fd, const char *org, struct isms_test_reply *rep)
{
    Isms__V1__UpdateContextRequest upd = ISMS__V1__UPDATE_CONTEXT_REQUEST__INIT;

    upd.organization = (char *)org;
    upd.set_organization = 1;
    return isms_test_unary(fd, ISMS_M_CTX_UPDATE, &upd.base, 0, NULL, rep);
}

/* Context/Get with `token` on a new connection must give `code` with `needle`. */
static void expect_get(int port, const char *token, int code, const char *needle, const char *what)
{
    struct isms_test_reply rep;
    int fd = isms_test_connect(port);

    isms_test_set_token(token);
    ctx_get(fd, &rep);
    isms_test_expect(&rep, code, needle, what);
    isms_test_reply_cleanup(&rep);
    isms_test_close(fd);
}

static void login_ok(int port, const char *user, const char *pw, char *token, size_t len)
{
    int code = isms_test_login(port, user, pw, token, len);

    cr_assert_eq(code, 0, "login as %s: %s", user, isms_code_name(code));
}

/* After a refusal: Health and a fresh admin login on other connections still work. */
static void still_serving(int port)
{
    char status[32];
    char token[256];

    cr_assert_eq(isms_test_health(port, status, sizeof(status)), 0);
    cr_assert_str_eq(status, "SERVING");
    login_ok(port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD, token, sizeof(token));
    expect_get(port, token, 0, NULL, "Context/Get with a fresh admin session");
}

/* CreateToken with `roles` (n may be 0) as the current token; returns the code, and the
 * token text and id on OK. */
static int create_token(int fd, const char *name, const char *const *roles, size_t n, char *token,
                        size_t tlen, char *id, size_t idlen, struct isms_test_reply *rep)
{
    Isms__V1__CreateTokenRequest req = ISMS__V1__CREATE_TOKEN_REQUEST__INIT;
    int code;

    req.name = (char *)name;
    req.roles = (char **)roles;
    req.n_roles = n;
    code = isms_test_unary(fd, M_CREATE_TOKEN, &req.base, 0,
                           &isms__v1__create_token_response__descriptor, rep);
    if (code == 0) {
        const Isms__V1__CreateTokenResponse *r = (const Isms__V1__CreateTokenResponse *)rep->body;

        if (token != NULL)
            snprintf(token, tlen, "%s", r->token);
        if (id != NULL)
            snprintf(id, idlen, "%s", r->info->id);
    }
    return code;
}

static long long count_denials(PGconn *pg, const char *actor, const char *method)
{
    const char *p[2] = {actor, method};

    return isms_test_pg_scalar(pg,
                               "SELECT count(*) FROM audit_log WHERE actor = $1 AND method = $2 "
                               "AND result = 'PERMISSION_DENIED'",
                               2, p);
}

Test(tokens, expired_session_is_unauthenticated)
{
    struct isms_test_env env;
    char token[256];
    const char *p[1];
    PGconn *pg;

    isms_test_env_start(&env, NULL);
    snprintf(token, sizeof(token), "%s", isms_test_token());
    expect_get(env.srv.port, token, 0, NULL, "Context/Get before expiry");

    pg = isms_test_pg_connect(env.db.conninfo);
    p[0] = token;
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "WITH u AS (UPDATE auth_session SET expires_at = now() - "
                                     "interval '1 s' WHERE token_hash = sha256(convert_to($1, "
                                     "'UTF8')) RETURNING 1) SELECT count(*) FROM u",
                                     1, p),
                 1, "the session row of the token was not found by its SHA-256");
    expect_get(env.srv.port, token, 16, "expired", "Context/Get with an expired session");
    /* WhoAmI and Logout need a live credential too. */
    {
        Isms__V1__WhoAmIRequest who = ISMS__V1__WHO_AM_IREQUEST__INIT;
        struct isms_test_reply rep;
        int fd = isms_test_connect(env.srv.port);

        isms_test_unary(fd, ISMS_M_AUTH_WHOAMI, &who.base, 0, NULL, &rep);
        isms_test_expect(&rep, 16, "expired", "WhoAmI with an expired session");
        isms_test_reply_cleanup(&rep);
    }
    still_serving(env.srv.port);
    isms_test_finish();
}

Test(tokens, logout_revokes_only_that_session)
{
    Isms__V1__LogoutRequest out = ISMS__V1__LOGOUT_REQUEST__INIT;
    struct isms_test_env env;
    struct isms_test_reply rep;
    char first[256], second[256];
    int fd;

    isms_test_env_start(&env, NULL);
    snprintf(first, sizeof(first), "%s", isms_test_token());
    login_ok(env.srv.port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD, second, sizeof(second));

    fd = isms_test_connect(env.srv.port);
    isms_test_set_token(first);
    isms_test_unary(fd, M_LOGOUT, &out.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Logout");
    isms_test_reply_cleanup(&rep);
    /* The same connection, then a new one: the token is dead everywhere. */
    ctx_get(fd, &rep);
    isms_test_expect(&rep, 16, "revoked", "Context/Get after Logout, same connection");
    isms_test_reply_cleanup(&rep);
    expect_get(env.srv.port, first, 16, "revoked", "Context/Get after Logout, new connection");
    /* Logging out twice is refused the same way. */
    isms_test_set_token(first);
    isms_test_unary(fd, M_LOGOUT, &out.base, 0, NULL, &rep);
    isms_test_expect(&rep, 16, "revoked", "second Logout");
    isms_test_reply_cleanup(&rep);

    expect_get(env.srv.port, second, 0, NULL, "the other session after Logout");
    still_serving(env.srv.port);
    isms_test_finish();
}

Test(tokens, viewer_scoped_token_reads_but_cannot_write)
{
    Isms__V1__WhoAmIRequest who = ISMS__V1__WHO_AM_IREQUEST__INIT;
    const char *viewer[] = {"viewer"};
    struct isms_test_env env;
    struct isms_test_reply rep;
    char carol[256], ro[256], full[256];
    const Isms__V1__UserAccount *me;
    PGconn *pg;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    /* A token's roles are a subset of its owner's: carol holds isms_manager and viewer. */
    {
        Isms__V1__CreateUserRequest u = ISMS__V1__CREATE_USER_REQUEST__INIT;
        char *roles[2] = {"isms_manager", "viewer"};

        u.name = "carol";
        u.roles = roles;
        u.n_roles = 2;
        u.password = PW_CAROL;
        u.permanent = 1;
        isms_test_unary(fd, "/isms.v1.User/Create", &u.base, 0, NULL, &rep);
        isms_test_expect(&rep, 0, NULL, "User/Create carol");
        isms_test_reply_cleanup(&rep);
    }
    login_ok(env.srv.port, "carol", PW_CAROL, carol, sizeof(carol));
    isms_test_set_token(carol);
    create_token(fd, "ci-read", viewer, 1, ro, sizeof(ro), NULL, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "CreateToken ci-read --roles viewer");
    isms_test_reply_cleanup(&rep);
    create_token(fd, "ci-full", NULL, 0, full, sizeof(full), NULL, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "CreateToken ci-full (all roles)");
    isms_test_reply_cleanup(&rep);
    cr_assert_str_neq(ro, full);

    isms_test_set_token(ro);
    isms_test_unary(fd, ISMS_M_AUTH_WHOAMI, &who.base, 0, &isms__v1__user_account__descriptor,
                    &rep);
    isms_test_expect(&rep, 0, NULL, "WhoAmI with the viewer token");
    me = (const Isms__V1__UserAccount *)rep.body;
    cr_assert_str_eq(me->name, "carol");
    cr_assert_str_eq(me->auth_kind, "token:ci-read");
    cr_assert_eq(me->n_roles, 1, "the viewer token carries %zu roles", me->n_roles);
    cr_assert_str_eq(me->roles[0], "viewer");
    isms_test_reply_cleanup(&rep);
    ctx_get(fd, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get with the viewer token");
    isms_test_reply_cleanup(&rep);
    ctx_set_org(fd, "Scoped Ltd", &rep);
    isms_test_expect(&rep, 7, "may not call /isms.v1.Context/Update",
                     "Context/Update with the viewer token");
    isms_test_reply_cleanup(&rep);
    /* A token cannot mint a token with more than it carries, though its owner could. */
    {
        const char *mgr[] = {"isms_manager"};

        create_token(fd, "escalate", mgr, 1, NULL, 0, NULL, 0, &rep);
        isms_test_expect(&rep, 7, "roles you hold", "CreateToken isms_manager from a viewer token");
        isms_test_reply_cleanup(&rep);
    }
    pg = isms_test_pg_connect(env.db.conninfo);
    cr_assert_geq(count_denials(pg, "carol", ISMS_M_CTX_UPDATE), 1,
                  "the refused Context/Update is not in the audit trail");

    /* The unscoped token has the owner's roles and writes. */
    isms_test_set_token(full);
    ctx_set_org(fd, "Scoped Ltd", &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Update with the full token");
    isms_test_reply_cleanup(&rep);
    still_serving(env.srv.port);
    isms_test_finish();
}

Test(tokens, token_cannot_carry_roles_its_owner_lacks)
{
    const char *admin_role[] = {"admin"};
    const char *viewer[] = {"viewer"};
    const char *bogus[] = {"superuser"};
    struct isms_test_env env;
    struct isms_test_reply rep;
    char bob[256], tok[256];
    PGconn *pg;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    isms_test_user_create(fd, "bob", "viewer", PW_BOB);
    login_ok(env.srv.port, "bob", PW_BOB, bob, sizeof(bob));

    isms_test_set_token(bob);
    create_token(fd, "mine", admin_role, 1, NULL, 0, NULL, 0, &rep);
    isms_test_expect(&rep, 7, "may only carry roles you hold",
                     "viewer's CreateToken --roles admin");
    isms_test_reply_cleanup(&rep);
    /* The escalation attempt is in the audit trail, like every other refusal. */
    pg = isms_test_pg_connect(env.db.conninfo);
    cr_assert_eq(count_denials(pg, "bob", M_CREATE_TOKEN), 1,
                 "bob's CreateToken --roles admin is not in the audit trail");
    create_token(fd, "mine", bogus, 1, NULL, 0, NULL, 0, &rep);
    isms_test_expect(&rep, 3, "unknown role", "CreateToken with an unknown role");
    isms_test_reply_cleanup(&rep);
    create_token(fd, "mine", viewer, 1, tok, sizeof(tok), NULL, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "viewer's CreateToken --roles viewer");
    isms_test_reply_cleanup(&rep);
    create_token(fd, "mine", viewer, 1, NULL, 0, NULL, 0, &rep);
    isms_test_expect(&rep, 6, "already have a token named", "a second token named mine");
    isms_test_reply_cleanup(&rep);
    expect_get(env.srv.port, tok, 0, NULL, "Context/Get with bob's token");
    still_serving(env.srv.port);
    isms_test_finish();
}

/* Every role may read, so CreateToken lets anyone make a viewer token; such a token must read
 * for an owner who does not hold the viewer role itself. */
Test(tokens, viewer_token_from_every_role_reads)
{
    static const char *const roles[] = {"admin",       "isms_manager", "risk_owner",    "auditor",
                                        "contributor", "viewer",       "top_management"};
    const char *viewer[] = {"viewer"};
    Isms__V1__WhoAmIRequest who = ISMS__V1__WHO_AM_IREQUEST__INIT;
    struct isms_test_env env;
    struct isms_test_reply rep;
    char admin[256], session[256], tok[256];
    int fd;

    isms_test_env_start(&env, NULL);
    snprintf(admin, sizeof(admin), "%s", isms_test_token());
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        const Isms__V1__UserAccount *me;
        char user[32], what[96];

        snprintf(user, sizeof(user), "u-%s", roles[i]);
        isms_test_set_token(admin);
        fd = isms_test_connect(env.srv.port);
        isms_test_user_create(fd, user, roles[i], PW_ALICE);
        login_ok(env.srv.port, user, PW_ALICE, session, sizeof(session));
        isms_test_set_token(session);
        snprintf(what, sizeof(what), "%s's CreateToken --roles viewer", roles[i]);
        create_token(fd, "read-only", viewer, 1, tok, sizeof(tok), NULL, 0, &rep);
        isms_test_expect(&rep, 0, NULL, what);
        isms_test_reply_cleanup(&rep);

        isms_test_set_token(tok);
        isms_test_unary(fd, ISMS_M_AUTH_WHOAMI, &who.base, 0, &isms__v1__user_account__descriptor,
                        &rep);
        snprintf(what, sizeof(what), "WhoAmI with %s's viewer token", roles[i]);
        isms_test_expect(&rep, 0, NULL, what);
        me = (const Isms__V1__UserAccount *)rep.body;
        cr_assert_eq(me->n_roles, 1, "%s: %s's viewer token carries %zu roles", what, roles[i],
                     me->n_roles);
        cr_assert_str_eq(me->roles[0], "viewer", "%s", what);
        isms_test_reply_cleanup(&rep);
        isms_test_close(fd);
        snprintf(what, sizeof(what), "Context/Get with %s's viewer token", roles[i]);
        expect_get(env.srv.port, tok, 0, NULL, what);
        /* Read-only: a write is refused even for an owner who may write. */
        fd = isms_test_connect(env.srv.port);
        isms_test_set_token(tok);
        ctx_set_org(fd, "Read Only Ltd", &rep);
        snprintf(what, sizeof(what), "Context/Update with %s's viewer token", roles[i]);
        isms_test_expect(&rep, 7, "may not call", what);
        isms_test_reply_cleanup(&rep);
        isms_test_close(fd);
    }
    still_serving(env.srv.port);
    isms_test_finish();
}

Test(tokens, only_the_owner_or_an_admin_revokes_a_token)
{
    Isms__V1__RevokeTokenRequest rv = ISMS__V1__REVOKE_TOKEN_REQUEST__INIT;
    Isms__V1__ListTokensRequest lt = ISMS__V1__LIST_TOKENS_REQUEST__INIT;
    struct isms_test_env env;
    struct isms_test_reply rep;
    char admin[256], alice[256], bob[256], tok[256], id[32];
    PGconn *pg;
    int fd;

    isms_test_env_start(&env, NULL);
    snprintf(admin, sizeof(admin), "%s", isms_test_token());
    fd = isms_test_connect(env.srv.port);
    isms_test_user_create(fd, "alice", "isms_manager", PW_ALICE);
    isms_test_user_create(fd, "bob", "contributor", PW_BOB);
    login_ok(env.srv.port, "alice", PW_ALICE, alice, sizeof(alice));
    login_ok(env.srv.port, "bob", PW_BOB, bob, sizeof(bob));

    isms_test_set_token(alice);
    create_token(fd, "deploy", NULL, 0, tok, sizeof(tok), id, sizeof(id), &rep);
    isms_test_expect(&rep, 0, NULL, "alice's CreateToken");
    isms_test_reply_cleanup(&rep);

    /* Bob may neither revoke nor list alice's tokens. */
    isms_test_set_token(bob);
    rv.id = id;
    isms_test_unary(fd, M_REVOKE_TOKEN, &rv.base, 0, NULL, &rep);
    isms_test_expect(&rep, 7, "belongs to another user", "bob's RevokeToken of alice's token");
    isms_test_reply_cleanup(&rep);
    lt.owner = "alice";
    isms_test_unary(fd, M_LIST_TOKENS, &lt.base, 0, NULL, &rep);
    isms_test_expect(&rep, 7, "only an admin", "bob's ListTokens --owner alice");
    isms_test_reply_cleanup(&rep);
    rv.id = "T-999999";
    isms_test_unary(fd, M_REVOKE_TOKEN, &rv.base, 0, NULL, &rep);
    isms_test_expect(&rep, 5, "does not exist", "RevokeToken of an unknown id");
    isms_test_reply_cleanup(&rep);
    rv.id = "mallory";
    isms_test_unary(fd, M_REVOKE_TOKEN, &rv.base, 0, NULL, &rep);
    isms_test_expect(&rep, 3, "T-<n>", "RevokeToken with a malformed id");
    isms_test_reply_cleanup(&rep);
    pg = isms_test_pg_connect(env.db.conninfo);
    cr_assert_geq(count_denials(pg, "bob", M_REVOKE_TOKEN), 1,
                  "bob's refused RevokeToken is not in the audit trail");
    cr_assert_geq(count_denials(pg, "bob", M_LIST_TOKENS), 1,
                  "bob's refused ListTokens is not in the audit trail");
    expect_get(env.srv.port, tok, 0, NULL, "alice's token after bob's attempt");

    /* An admin may list and revoke it; then it is refused as revoked. */
    isms_test_set_token(admin);
    lt.owner = "alice";
    isms_test_unary(fd, M_LIST_TOKENS, &lt.base, 0, &isms__v1__list_tokens_response__descriptor,
                    &rep);
    isms_test_expect(&rep, 0, NULL, "admin's ListTokens --owner alice");
    cr_assert_eq(((Isms__V1__ListTokensResponse *)rep.body)->n_tokens, 1);
    isms_test_reply_cleanup(&rep);
    rv.id = id;
    isms_test_unary(fd, M_REVOKE_TOKEN, &rv.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "admin's RevokeToken of alice's token");
    isms_test_reply_cleanup(&rep);
    expect_get(env.srv.port, tok, 16, "revoked", "alice's token after the admin revoked it");
    /* Alice's interactive session is untouched. */
    expect_get(env.srv.port, alice, 0, NULL, "alice's session after her token was revoked");
    still_serving(env.srv.port);
    isms_test_finish();
}

Test(tokens, admin_revokes_all_sessions_of_a_user)
{
    Isms__V1__RevokeSessionsRequest rs = ISMS__V1__REVOKE_SESSIONS_REQUEST__INIT;
    struct isms_test_env env;
    struct isms_test_reply rep;
    char admin[256], bob1[256], bob2[256], alice[256];
    PGconn *pg;
    int fd;

    isms_test_env_start(&env, NULL);
    snprintf(admin, sizeof(admin), "%s", isms_test_token());
    fd = isms_test_connect(env.srv.port);
    isms_test_user_create(fd, "bob", "viewer", PW_BOB);
    isms_test_user_create(fd, "alice", "viewer", PW_ALICE);
    login_ok(env.srv.port, "bob", PW_BOB, bob1, sizeof(bob1));
    login_ok(env.srv.port, "bob", PW_BOB, bob2, sizeof(bob2));
    login_ok(env.srv.port, "alice", PW_ALICE, alice, sizeof(alice));

    /* A non-admin may not sign out someone else. */
    isms_test_set_token(alice);
    rs.name = "bob";
    isms_test_unary(fd, M_REVOKE_SESSIONS, &rs.base, 0, NULL, &rep);
    isms_test_expect(&rep, 7, "only an admin", "alice's RevokeSessions bob");
    isms_test_reply_cleanup(&rep);
    pg = isms_test_pg_connect(env.db.conninfo);
    cr_assert_geq(count_denials(pg, "alice", M_REVOKE_SESSIONS), 1,
                  "alice's refused RevokeSessions is not in the audit trail");
    expect_get(env.srv.port, bob1, 0, NULL, "bob's session after alice's attempt");

    isms_test_set_token(admin);
    rs.name = "bob";
    isms_test_unary(fd, M_REVOKE_SESSIONS, &rs.base, 0,
                    &isms__v1__revoke_sessions_response__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "admin's RevokeSessions bob");
    cr_assert_eq(((Isms__V1__RevokeSessionsResponse *)rep.body)->revoked, 2,
                 "RevokeSessions reports %u sessions, bob had 2",
                 ((Isms__V1__RevokeSessionsResponse *)rep.body)->revoked);
    isms_test_reply_cleanup(&rep);
    expect_get(env.srv.port, bob1, 16, "revoked", "bob's first session after RevokeSessions");
    expect_get(env.srv.port, bob2, 16, "revoked", "bob's second session after RevokeSessions");
    expect_get(env.srv.port, alice, 0, NULL, "alice's session after bob's were revoked");
    isms_test_set_token(admin);
    rs.name = "nobody";
    isms_test_unary(fd, M_REVOKE_SESSIONS, &rs.base, 0, NULL, &rep);
    isms_test_expect(&rep, 5, "does not exist", "RevokeSessions of an unknown user");
    isms_test_reply_cleanup(&rep);

    /* Anyone may sign out their own sessions. */
    isms_test_set_token(alice);
    rs.name = "alice";
    isms_test_unary(fd, M_REVOKE_SESSIONS, &rs.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "alice's RevokeSessions alice");
    isms_test_reply_cleanup(&rep);
    expect_get(env.srv.port, alice, 16, "revoked", "alice's session after revoking her own");
    /* bob can log in again. */
    login_ok(env.srv.port, "bob", PW_BOB, bob1, sizeof(bob1));
    expect_get(env.srv.port, bob1, 0, NULL, "bob's new session");
    still_serving(env.srv.port);
    isms_test_finish();
}

static int set_status(int fd, const char *user, const char *status, struct isms_test_reply *rep)
{
    Isms__V1__UpdateUserRequest up = ISMS__V1__UPDATE_USER_REQUEST__INIT;

    up.name = (char *)user;
    up.set_status = 1;
    up.status = (char *)status;
    return isms_test_unary(fd, M_USER_UPDATE, &up.base, 0, NULL, rep);
}

Test(tokens, disabling_a_user_revokes_sessions_and_tokens)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    char admin[256], bob[256], tok[256], again[256];
    const char *p[1] = {"bob"};
    PGconn *pg;
    int fd;

    isms_test_env_start(&env, NULL);
    snprintf(admin, sizeof(admin), "%s", isms_test_token());
    fd = isms_test_connect(env.srv.port);
    isms_test_user_create(fd, "bob", "viewer", PW_BOB);
    login_ok(env.srv.port, "bob", PW_BOB, bob, sizeof(bob));
    isms_test_set_token(bob);
    create_token(fd, "bobs-ci", NULL, 0, tok, sizeof(tok), NULL, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "bob's CreateToken");
    isms_test_reply_cleanup(&rep);
    expect_get(env.srv.port, tok, 0, NULL, "bob's token before disabling");

    isms_test_set_token(admin);
    set_status(fd, "bob", "disabled", &rep);
    isms_test_expect(&rep, 0, NULL, "User/Update bob status=disabled");
    isms_test_reply_cleanup(&rep);
    expect_get(env.srv.port, bob, 16, NULL, "bob's session after he was disabled");
    expect_get(env.srv.port, tok, 16, NULL, "bob's API token after he was disabled");
    cr_assert_eq(isms_test_login(env.srv.port, "bob", PW_BOB, NULL, 0), 16,
                 "a disabled user could log in");
    pg = isms_test_pg_connect(env.db.conninfo);
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM auth_session WHERE user_name = $1 "
                                     "AND revoked_at IS NULL",
                                     1, p),
                 0, "disabling bob left live sessions in auth_session");

    /* Enabling him again does not bring the old credentials back. */
    isms_test_set_token(admin);
    set_status(fd, "bob", "active", &rep);
    isms_test_expect(&rep, 0, NULL, "User/Update bob status=active");
    isms_test_reply_cleanup(&rep);
    expect_get(env.srv.port, bob, 16, "revoked", "bob's old session after re-enabling");
    expect_get(env.srv.port, tok, 16, "revoked", "bob's old token after re-enabling");
    login_ok(env.srv.port, "bob", PW_BOB, again, sizeof(again));
    expect_get(env.srv.port, again, 0, NULL, "bob's new session after re-enabling");
    isms_test_set_token(admin);
    set_status(fd, "bob", "asleep", &rep);
    isms_test_expect(&rep, 3, "active or disabled", "User/Update with a bad status");
    isms_test_reply_cleanup(&rep);
    still_serving(env.srv.port);
    isms_test_finish();
}

Test(tokens, last_used_at_is_set_when_a_token_is_used)
{
    Isms__V1__ListTokensRequest lt = ISMS__V1__LIST_TOKENS_REQUEST__INIT;
    struct isms_test_env env;
    struct isms_test_reply rep;
    char admin[256], tok[256];
    const Isms__V1__ListTokensResponse *l;
    int fd;

    isms_test_env_start(&env, NULL);
    snprintf(admin, sizeof(admin), "%s", isms_test_token());
    fd = isms_test_connect(env.srv.port);
    create_token(fd, "nightly", NULL, 0, tok, sizeof(tok), NULL, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "CreateToken nightly");
    isms_test_reply_cleanup(&rep);
    isms_test_unary(fd, M_LIST_TOKENS, &lt.base, 0, &isms__v1__list_tokens_response__descriptor,
                    &rep);
    isms_test_expect(&rep, 0, NULL, "ListTokens before use");
    l = (const Isms__V1__ListTokensResponse *)rep.body;
    cr_assert_eq(l->n_tokens, 1);
    cr_assert_str_eq(l->tokens[0]->last_used_at, "", "an unused token has last_used_at %s",
                     l->tokens[0]->last_used_at);
    isms_test_reply_cleanup(&rep);

    expect_get(env.srv.port, tok, 0, NULL, "Context/Get with the token");

    isms_test_set_token(admin);
    isms_test_unary(fd, M_LIST_TOKENS, &lt.base, 0, &isms__v1__list_tokens_response__descriptor,
                    &rep);
    isms_test_expect(&rep, 0, NULL, "ListTokens after use");
    l = (const Isms__V1__ListTokensResponse *)rep.body;
    cr_assert_eq(l->n_tokens, 1);
    cr_log_info("token nightly: created_at=%s last_used_at=\"%s\"", l->tokens[0]->created_at,
                l->tokens[0]->last_used_at);
    cr_assert_str_neq(l->tokens[0]->last_used_at, "",
                      "ListTokens still shows last_used_at empty after the token was used");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}
