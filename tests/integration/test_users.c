/* tests/integration/test_users.c — account administration against a real ismsd: one-time
 * passwords that must be changed first, the password policy, duplicate names, the last active
 * admin, and optimistic concurrency (expected_version), including two admins racing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "testlib.h"

TestSuite(users, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define M_USER_CREATE "/isms.v1.User/Create"
#define M_USER_UPDATE "/isms.v1.User/Update"
#define M_USER_GET    "/isms.v1.User/Get"
#define M_USER_RESET  "/isms.v1.User/ResetPassword"
#define M_CHANGE_PW   "/isms.v1.Auth/ChangePassword"
#define PW_ADMIN2     "second-admin-passphrase-5"
#define PW_DAVE       "copper-kettle-window-31"

static int create_user(int fd, const char *name, const char *role, const char *pw,
                       struct isms_test_reply *rep)
{
    Isms__V1__CreateUserRequest u = ISMS__V1__CREATE_USER_REQUEST__INIT;
    char *roles[1] = {(char *)role};

    u.name = (char *)name;
    u.roles = roles;
    u.n_roles = 1;
    u.password = (char *)pw;
    u.permanent = pw != NULL && pw[0] != '\0';
    return isms_test_unary(fd, M_USER_CREATE, &u.base, 0,
                           &isms__v1__create_user_response__descriptor, rep);
}

static int change_pw(int fd, const char *cur, const char *next, struct isms_test_reply *rep)
{
    Isms__V1__ChangePasswordRequest c = ISMS__V1__CHANGE_PASSWORD_REQUEST__INIT;

    c.current_password = (char *)cur;
    c.new_password = (char *)next;
    return isms_test_unary(fd, M_CHANGE_PW, &c.base, 0, NULL, rep);
}

static int ctx_get(int fd, struct isms_test_reply *rep)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;

    return isms_test_unary(fd, ISMS_M_CTX_GET, &get.base, 0, NULL, rep);
}

/* Login on a new connection; returns the response (free it) after checking it is OK. */
static Isms__V1__LoginResponse *login(int port, const char *user, const char *pw)
{
    Isms__V1__LoginRequest req = ISMS__V1__LOGIN_REQUEST__INIT;
    struct isms_test_reply rep;
    Isms__V1__LoginResponse *r;
    const char *saved = isms_test_token();
    char keep[256] = "";
    int fd = isms_test_connect(port);

    if (saved != NULL)
        snprintf(keep, sizeof(keep), "%s", saved);
    isms_test_set_token(NULL);
    req.user = (char *)user;
    req.password = (char *)pw;
    isms_test_unary(fd, ISMS_M_AUTH_LOGIN, &req.base, 0, &isms__v1__login_response__descriptor,
                    &rep);
    isms_test_expect(&rep, 0, NULL, "Login");
    r = (Isms__V1__LoginResponse *)rep.body;
    rep.body = NULL;
    isms_test_reply_cleanup(&rep);
    isms_test_close(fd);
    isms_test_set_token(keep[0] != '\0' ? keep : NULL);
    return r;
}

Test(users, generated_password_must_be_changed_first)
{
    Isms__V1__WhoAmIRequest who = ISMS__V1__WHO_AM_IREQUEST__INIT;
    Isms__V1__ResetPasswordRequest rp = ISMS__V1__RESET_PASSWORD_REQUEST__INIT;
    struct isms_test_env env;
    struct isms_test_reply rep;
    Isms__V1__LoginResponse *lr;
    char admin[256], initial[128], carol[256], again[128];
    int fd;

    isms_test_env_start(&env, NULL);
    snprintf(admin, sizeof(admin), "%s", isms_test_token());
    fd = isms_test_connect(env.srv.port);
    create_user(fd, "carol", "isms_manager", "", &rep);
    isms_test_expect(&rep, 0, NULL, "User/Create carol without a password");
    snprintf(initial, sizeof(initial), "%s",
             ((Isms__V1__CreateUserResponse *)rep.body)->initial_password);
    isms_test_reply_cleanup(&rep);
    cr_assert_geq(strlen(initial), 12, "generated password \"%s\" is short", initial);

    lr = login(env.srv.port, "carol", initial);
    cr_assert(lr->must_change_password, "a generated password does not need changing");
    snprintf(carol, sizeof(carol), "%s", lr->token);
    isms__v1__login_response__free_unpacked(lr, NULL);

    isms_test_set_token(carol);
    ctx_get(fd, &rep);
    isms_test_expect(&rep, 9, "must be changed first", "Context/Get before ChangePassword");
    isms_test_reply_cleanup(&rep);
    {
        Isms__V1__UpdateContextRequest upd = ISMS__V1__UPDATE_CONTEXT_REQUEST__INIT;

        upd.organization = "Not Yet Ltd";
        upd.set_organization = 1;
        isms_test_unary(fd, ISMS_M_CTX_UPDATE, &upd.base, 0, NULL, &rep);
        isms_test_expect(&rep, 9, "must be changed first", "Context/Update before ChangePassword");
        isms_test_reply_cleanup(&rep);
    }
    /* WhoAmI is allowed meanwhile, as every Auth method is. */
    isms_test_unary(fd, ISMS_M_AUTH_WHOAMI, &who.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "WhoAmI before ChangePassword");
    isms_test_reply_cleanup(&rep);

    change_pw(fd, "not-the-initial-one", "fresh-tulip-engine-64", &rep);
    isms_test_expect(&rep, 7, "current password is wrong", "ChangePassword, wrong current");
    isms_test_reply_cleanup(&rep);
    change_pw(fd, initial, "short", &rep);
    isms_test_expect(&rep, 3, "too short", "ChangePassword to a short password");
    isms_test_reply_cleanup(&rep);
    change_pw(fd, initial, "my-name-is-Carol-ok", &rep);
    isms_test_expect(&rep, 3, "user name", "ChangePassword to one with the user name");
    isms_test_reply_cleanup(&rep);
    change_pw(fd, initial, initial, &rep);
    isms_test_expect(&rep, 3, "differ", "ChangePassword to the same password");
    isms_test_reply_cleanup(&rep);
    ctx_get(fd, &rep);
    isms_test_expect(&rep, 9, "must be changed first", "Context/Get after failed changes");
    isms_test_reply_cleanup(&rep);

    change_pw(fd, initial, "fresh-tulip-engine-64", &rep);
    isms_test_expect(&rep, 0, NULL, "ChangePassword");
    isms_test_reply_cleanup(&rep);
    ctx_get(fd, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get after ChangePassword, same session");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(isms_test_login(env.srv.port, "carol", initial, NULL, 0), 16,
                 "the one-time password still works after the change");
    lr = login(env.srv.port, "carol", "fresh-tulip-engine-64");
    cr_assert(!lr->must_change_password);
    isms__v1__login_response__free_unpacked(lr, NULL);

    /* An admin reset without a password makes it one-time again. */
    isms_test_set_token(admin);
    rp.name = "carol";
    isms_test_unary(fd, M_USER_RESET, &rp.base, 0, &isms__v1__reset_password_response__descriptor,
                    &rep);
    isms_test_expect(&rep, 0, NULL, "ResetPassword carol");
    snprintf(again, sizeof(again), "%s", ((Isms__V1__ResetPasswordResponse *)rep.body)->password);
    isms_test_reply_cleanup(&rep);
    cr_assert_neq(again[0], '\0', "ResetPassword without a password returned none");
    isms_test_set_token(carol);
    ctx_get(fd, &rep);
    isms_test_expect(&rep, 16, "revoked", "carol's session after the admin reset her password");
    isms_test_reply_cleanup(&rep);
    lr = login(env.srv.port, "carol", again);
    cr_assert(lr->must_change_password, "a reset password does not need changing");
    isms_test_set_token(lr->token);
    isms__v1__login_response__free_unpacked(lr, NULL);
    ctx_get(fd, &rep);
    isms_test_expect(&rep, 9, "must be changed first", "Context/Get after a reset");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    isms_test_finish();
}

struct bad_password {
    const char *user;
    const char *password;
    const char *needle;
};

Test(users, password_policy_is_invalid_argument)
{
    static const struct bad_password bad[] = {
        {"dave", "short", "too short"},
        {"dave", "elevenchars", "too short"}, /* 11 */
        {"dave", "xx-dave-xx-long-enough", "must not contain the user name"},
        {"dave", "xx-DaVe-xx-long-enough", "must not contain the user name"},
        {"dave", "\xC3\x28-invalid-utf8-long", "not valid UTF-8"},
    };
    struct isms_test_env env;
    struct isms_test_reply rep;
    char *huge = malloc(1026);
    int fd;

    cr_assert_not_null(huge);
    memset(huge, 'h', 1025);
    huge[1025] = '\0';
    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char what[128];

        snprintf(what, sizeof(what), "User/Create %s with password #%zu", bad[i].user, i);
        create_user(fd, bad[i].user, "viewer", bad[i].password, &rep);
        isms_test_expect(&rep, 3, bad[i].needle, what);
        isms_test_reply_cleanup(&rep);
    }
    create_user(fd, "dave", "viewer", huge, &rep);
    isms_test_expect(&rep, 3, "too long", "User/Create with a 1025-byte password");
    isms_test_reply_cleanup(&rep);
    free(huge);
    cr_assert_eq(
        isms_test_login(env.srv.port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD, NULL, 0), 0,
        "the server stopped serving after bad passwords");
    /* Exactly 12 characters is enough. */
    create_user(fd, "dave", "viewer", "twelve-chars", &rep);
    isms_test_expect(&rep, 0, NULL, "User/Create with a 12-character password");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(isms_test_login(env.srv.port, "dave", "twelve-chars", NULL, 0), 0);
    isms_test_finish();
}

Test(users, duplicate_and_malformed_names)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    create_user(fd, "erin", "viewer", PW_DAVE, &rep);
    isms_test_expect(&rep, 0, NULL, "User/Create erin");
    isms_test_reply_cleanup(&rep);
    create_user(fd, "erin", "auditor", "another-passphrase-99", &rep);
    isms_test_expect(&rep, 6, "user \"erin\" already exists", "User/Create erin again");
    isms_test_reply_cleanup(&rep);
    create_user(fd, "Erin Smith", "viewer", PW_DAVE, &rep);
    isms_test_expect(&rep, 3, "user name may hold only", "User/Create with a space");
    isms_test_reply_cleanup(&rep);
    create_user(fd, "x", "viewer", PW_DAVE, &rep);
    isms_test_expect(&rep, 3, "2 to 64", "User/Create with a 1-character name");
    isms_test_reply_cleanup(&rep);
    create_user(fd, "frank", "superuser", PW_DAVE, &rep);
    isms_test_expect(&rep, 3, "unknown role", "User/Create with an unknown role");
    isms_test_reply_cleanup(&rep);
    {
        Isms__V1__CreateUserRequest u = ISMS__V1__CREATE_USER_REQUEST__INIT;

        u.name = "frank";
        u.password = PW_DAVE;
        isms_test_unary(fd, M_USER_CREATE, &u.base, 0, NULL, &rep);
        isms_test_expect(&rep, 3, "at least one role", "User/Create without roles");
        isms_test_reply_cleanup(&rep);
    }
    /* erin kept her first role; the refused ones left nothing behind. */
    {
        Isms__V1__GetUserRequest g = ISMS__V1__GET_USER_REQUEST__INIT;

        g.name = "erin";
        isms_test_unary(fd, M_USER_GET, &g.base, 0, &isms__v1__user_account__descriptor, &rep);
        isms_test_expect(&rep, 0, NULL, "User/Get erin");
        cr_assert_eq(((Isms__V1__UserAccount *)rep.body)->n_roles, 1);
        cr_assert_str_eq(((Isms__V1__UserAccount *)rep.body)->roles[0], "viewer");
        isms_test_reply_cleanup(&rep);
        g.name = "frank";
        isms_test_unary(fd, M_USER_GET, &g.base, 0, NULL, &rep);
        isms_test_expect(&rep, 5, "does not exist", "User/Get frank");
        isms_test_reply_cleanup(&rep);
    }
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    isms_test_finish();
}

static int update_user(int fd, const char *name, int64_t expected, const char *status,
                       const char *const *roles, size_t n_roles, const char *display,
                       struct isms_test_reply *rep)
{
    Isms__V1__UpdateUserRequest up = ISMS__V1__UPDATE_USER_REQUEST__INIT;

    up.name = (char *)name;
    up.expected_version = expected;
    if (status != NULL) {
        up.set_status = 1;
        up.status = (char *)status;
    }
    if (roles != NULL) {
        up.set_roles = 1;
        up.roles = (char **)roles;
        up.n_roles = n_roles;
    }
    if (display != NULL) {
        up.set_display_name = 1;
        up.display_name = (char *)display;
    }
    return isms_test_unary(fd, M_USER_UPDATE, &up.base, 0, &isms__v1__user_account__descriptor,
                           rep);
}

Test(users, last_active_admin_cannot_be_disabled_or_lose_admin)
{
    const char *mgr_only[] = {"isms_manager"};
    const char *admin_roles[] = {"admin", "isms_manager"};
    struct isms_test_env env;
    struct isms_test_reply rep;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    update_user(fd, ISMS_TEST_ADMIN_USER, 0, "disabled", NULL, 0, NULL, &rep);
    isms_test_expect(&rep, 9, "at least one active admin", "disable the only admin");
    isms_test_reply_cleanup(&rep);
    update_user(fd, ISMS_TEST_ADMIN_USER, 0, NULL, mgr_only, 1, NULL, &rep);
    isms_test_expect(&rep, 9, "at least one active admin", "drop admin from the only admin");
    isms_test_reply_cleanup(&rep);

    /* A second admin who is disabled does not count. */
    create_user(fd, "admin2", "admin", PW_ADMIN2, &rep);
    isms_test_expect(&rep, 0, NULL, "User/Create admin2");
    isms_test_reply_cleanup(&rep);
    update_user(fd, "admin2", 0, "disabled", NULL, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "disable admin2");
    isms_test_reply_cleanup(&rep);
    update_user(fd, ISMS_TEST_ADMIN_USER, 0, "disabled", NULL, 0, NULL, &rep);
    isms_test_expect(&rep, 9, "at least one active admin",
                     "disable admin beside a disabled admin2");
    isms_test_reply_cleanup(&rep);
    /* The admin is still an admin, and still works. */
    update_user(fd, ISMS_TEST_ADMIN_USER, 0, NULL, NULL, 0, "Still Here", &rep);
    isms_test_expect(&rep, 0, NULL, "rename the admin");
    cr_assert_str_eq(((Isms__V1__UserAccount *)rep.body)->status, "active");
    cr_assert_eq(((Isms__V1__UserAccount *)rep.body)->n_roles, 2);
    isms_test_reply_cleanup(&rep);

    /* With admin2 active again, the first admin may step down. */
    update_user(fd, "admin2", 0, "active", NULL, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "enable admin2");
    isms_test_reply_cleanup(&rep);
    update_user(fd, ISMS_TEST_ADMIN_USER, 0, NULL, mgr_only, 1, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "admin drops the admin role beside an active admin2");
    isms_test_reply_cleanup(&rep);
    /* ...and at once loses admin rights (roles are read on every call). */
    update_user(fd, "admin2", 0, NULL, admin_roles, 2, NULL, &rep);
    isms_test_expect(&rep, 7, "may not call", "User/Update by the former admin");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    isms_test_finish();
}

Test(users, stale_expected_version_is_aborted)
{
    Isms__V1__GetUserRequest g = ISMS__V1__GET_USER_REQUEST__INIT;
    struct isms_test_env env;
    struct isms_test_reply rep;
    int64_t v;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    create_user(fd, "dave", "viewer", PW_DAVE, &rep);
    isms_test_expect(&rep, 0, NULL, "User/Create dave");
    v = ((Isms__V1__CreateUserResponse *)rep.body)->user->version;
    isms_test_reply_cleanup(&rep);

    update_user(fd, "dave", v, NULL, NULL, 0, "Dave One", &rep);
    isms_test_expect(&rep, 0, NULL, "update at the current version");
    cr_assert_eq(((Isms__V1__UserAccount *)rep.body)->version, v + 1);
    isms_test_reply_cleanup(&rep);
    update_user(fd, "dave", v, NULL, NULL, 0, "Dave Two", &rep);
    isms_test_expect(&rep, 10, "stale", "update at the old version");
    isms_test_reply_cleanup(&rep);
    update_user(fd, "dave", v + 5, NULL, NULL, 0, "Dave Three", &rep);
    isms_test_expect(&rep, 10, "stale", "update at a future version");
    isms_test_reply_cleanup(&rep);
    update_user(fd, "dave", -1, NULL, NULL, 0, "Dave Four", &rep);
    isms_test_expect(&rep, 3, "negative", "update with a negative version");
    isms_test_reply_cleanup(&rep);
    update_user(fd, "nobody", 0, NULL, NULL, 0, "Nobody", &rep);
    isms_test_expect(&rep, 5, "does not exist", "update an unknown user");
    isms_test_reply_cleanup(&rep);
    {
        Isms__V1__UpdateUserRequest up = ISMS__V1__UPDATE_USER_REQUEST__INIT;

        up.name = "dave";
        isms_test_unary(fd, M_USER_UPDATE, &up.base, 0, NULL, &rep);
        isms_test_expect(&rep, 3, "nothing to update", "update with nothing flagged");
        isms_test_reply_cleanup(&rep);
    }

    g.name = "dave";
    isms_test_unary(fd, M_USER_GET, &g.base, 0, &isms__v1__user_account__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "User/Get dave");
    cr_assert_str_eq(((Isms__V1__UserAccount *)rep.body)->display_name, "Dave One",
                     "a refused update changed the display name");
    cr_assert_eq(((Isms__V1__UserAccount *)rep.body)->version, v + 1);
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

/* Polls until `n` sessions of the test database wait on a lock. */
static void wait_for_lock_waiters(PGconn *monitor, const struct isms_test_db *db, int n)
{
    const char *p[1] = {db->name};
    int64_t deadline = isms_test_now_ms() + 20000;

    while (isms_test_pg_scalar(monitor,
                               "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
                               "AND wait_event_type = 'Lock'",
                               1, p) < n) {
        cr_assert(isms_test_now_ms() < deadline, "fewer than %d ismsd queries wait after 20 s", n);
        isms_test_sleep_ms(25);
    }
}

Test(users, two_admins_disabling_each_other_leave_one_active)
{
    Isms__V1__UpdateUserRequest a = ISMS__V1__UPDATE_USER_REQUEST__INIT;
    Isms__V1__UpdateUserRequest b = ISMS__V1__UPDATE_USER_REQUEST__INIT;
    struct isms_test_env env;
    struct isms_test_reply rep;
    Isms__V1__LoginResponse *lr;
    Isms__V1__Response *r1, *r2;
    char admin[256], admin2[256];
    PGconn *holder, *monitor;
    int fd1, fd2, ok = 0;

    isms_test_env_start(&env, NULL);
    snprintf(admin, sizeof(admin), "%s", isms_test_token());
    fd1 = isms_test_connect(env.srv.port);
    create_user(fd1, "admin2", "admin", PW_ADMIN2, &rep);
    isms_test_expect(&rep, 0, NULL, "User/Create admin2");
    isms_test_reply_cleanup(&rep);
    lr = login(env.srv.port, "admin2", PW_ADMIN2);
    snprintf(admin2, sizeof(admin2), "%s", lr->token);
    isms__v1__login_response__free_unpacked(lr, NULL);
    fd2 = isms_test_connect(env.srv.port);

    /* Hold both rows so the two updates start together, then let them race. */
    holder = isms_test_pg_connect(env.db.conninfo);
    monitor = isms_test_pg_connect(env.db.admin_conninfo);
    isms_test_pg_exec(holder, "BEGIN");
    isms_test_pg_exec(holder, "SELECT 1 FROM app_user WHERE name IN ('admin', 'admin2') FOR "
                              "UPDATE");
    a.name = "admin2";
    a.set_status = 1;
    a.status = "disabled";
    b.name = ISMS_TEST_ADMIN_USER;
    b.set_status = 1;
    b.status = "disabled";
    isms_test_set_token(admin);
    isms_test_send_request(fd1, 1, M_USER_UPDATE, 0, &a.base);
    isms_test_set_token(admin2);
    isms_test_send_request(fd2, 2, M_USER_UPDATE, 0, &b.base);
    wait_for_lock_waiters(monitor, &env.db, 2);
    isms_test_pg_exec(holder, "COMMIT");
    r1 = isms_test_read_response(fd1, ISMS_TEST_REPLY_TIMEOUT_MS, "admin disables admin2");
    r2 = isms_test_read_response(fd2, ISMS_TEST_REPLY_TIMEOUT_MS, "admin2 disables admin");
    cr_log_info("admin disables admin2: %s %s; admin2 disables admin: %s %s",
                isms_code_name(r1->code), r1->message, isms_code_name(r2->code), r2->message);
    ok = (r1->code == 0) + (r2->code == 0);
    cr_assert(r1->code == 0 || r1->code == 9 || r1->code == 10, "%s: %s", isms_code_name(r1->code),
              r1->message);
    cr_assert(r2->code == 0 || r2->code == 9 || r2->code == 10, "%s: %s", isms_code_name(r2->code),
              r2->message);
    isms__v1__response__free_unpacked(r1, NULL);
    isms__v1__response__free_unpacked(r2, NULL);
    cr_assert_eq(isms_test_pg_scalar(holder,
                                     "SELECT count(*) FROM app_user WHERE status = 'active' AND "
                                     "'admin' = ANY (roles)",
                                     0, NULL),
                 1, "%d of the two racing disables succeeded: no active admin is left", ok);
    isms_test_finish();
}
