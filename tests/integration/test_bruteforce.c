/* tests/integration/test_bruteforce.c — login throttling against a real ismsd: repeated
 * failures lock the user name and the client address (all tests connect from 127.0.0.1),
 * a locked account answers exactly like a wrong password or an unknown user, and the lock
 * ends when locked_until passes. Each test has its own database, so counts start clean. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "testlib.h"

TestSuite(bruteforce, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define PW_BOB       "river-stone-lantern-42"
#define PW_CAROL     "quiet-meadow-orbit-19"
#define LOGIN_FAILED "invalid user name or password"
/* From the 5th failure a key is locked for 2^(n-5) s: 12 failures lock it for 128 s, far
 * longer than the test needs, so no assertion depends on timing. */
#define FAILURES 12

/* Login on a new connection; returns the code and the message (heap) in *msg. */
static int try_login(int port, const char *user, const char *pw, char **msg)
{
    Isms__V1__LoginRequest req = ISMS__V1__LOGIN_REQUEST__INIT;
    struct isms_test_reply rep;
    int fd = isms_test_connect(port);
    int code;

    req.user = (char *)user;
    req.password = (char *)pw;
    code = isms_test_unary(fd, ISMS_M_AUTH_LOGIN, &req.base, 0, NULL, &rep);
    isms_test_close(fd);
    *msg = strdup(rep.message);
    isms_test_reply_cleanup(&rep);
    return code;
}

/* The login must fail with exactly the one message every failure gets. */
static void expect_refused(int port, const char *user, const char *pw, const char *what)
{
    char *msg;
    int code = try_login(port, user, pw, &msg);

    cr_assert_eq(code, 16, "%s: expected UNAUTHENTICATED, got %s: %s", what, isms_code_name(code),
                 msg);
    cr_assert_str_eq(msg, LOGIN_FAILED, "%s: message differs from a plain wrong password", what);
    free(msg);
}

static void expect_login_ok(int port, const char *user, const char *pw, const char *what)
{
    char *msg;
    int code = try_login(port, user, pw, &msg);

    cr_assert_eq(code, 0, "%s: %s: %s", what, isms_code_name(code), msg);
    free(msg);
}

static bool key_locked(PGconn *pg, const char *key)
{
    const char *p[1] = {key};

    return isms_test_pg_scalar(pg,
                               "SELECT count(*) FROM login_throttle WHERE key = $1 AND "
                               "locked_until > now()",
                               1, p) == 1;
}

static void unlock(PGconn *pg, const char *key)
{
    const char *p[1] = {key};

    cr_assert_geq(isms_test_pg_scalar(pg,
                                      "WITH u AS (UPDATE login_throttle SET locked_until = now() "
                                      "- interval '1 s' WHERE key = $1 RETURNING 1) "
                                      "SELECT count(*) FROM u",
                                      1, p),
                  1, "no login_throttle row %s to unlock", key);
}

/* Sets up a database with bob (viewer) and carol (viewer); returns a superuser connection. */
static PGconn *start(struct isms_test_env *env)
{
    int fd;

    isms_test_env_start(env, NULL);
    fd = isms_test_connect(env->srv.port);
    isms_test_user_create(fd, "bob", "viewer", PW_BOB);
    isms_test_user_create(fd, "carol", "viewer", PW_CAROL);
    isms_test_close(fd);
    isms_test_set_token(NULL);
    return isms_test_pg_connect(env->db.conninfo);
}

Test(bruteforce, repeated_wrong_passwords_lock_the_user)
{
    struct isms_test_env env;
    PGconn *pg = start(&env);
    char pw[64];

    for (int i = 1; i <= FAILURES; i++) {
        char what[64];

        snprintf(pw, sizeof(pw), "wrong-password-number-%d", i);
        snprintf(what, sizeof(what), "wrong password %d for bob", i);
        expect_refused(env.srv.port, "bob", pw, what);
    }
    cr_assert(key_locked(pg, "user:bob"), "%d failures did not lock user:bob", FAILURES);
    /* The right password is refused with the same words while locked. */
    expect_refused(env.srv.port, "bob", PW_BOB, "bob's right password while locked");
    /* The lock is per user as well as per address: freeing the address is not enough. */
    unlock(pg, "addr:127.0.0.1");
    expect_refused(env.srv.port, "bob", PW_BOB, "bob's right password with the address freed");
    /* Unknown users get the same answer. */
    expect_refused(env.srv.port, "nobody-at-all", "whatever-password-1", "an unknown user");

    /* Past locked_until (forced here instead of waiting), the right password works again. */
    cr_assert_gt(isms_test_pg_scalar(pg,
                                     "WITH u AS (UPDATE login_throttle SET locked_until = now() - "
                                     "interval '1 s' RETURNING 1) SELECT count(*) FROM u",
                                     0, NULL),
                 0);
    expect_login_ok(env.srv.port, "bob", PW_BOB, "bob after the lock ran out");
    /* A successful login clears the user's count. */
    {
        const char *p[1] = {"user:bob"};

        cr_assert_eq(
            isms_test_pg_scalar(pg, "SELECT count(*) FROM login_throttle WHERE key = $1", 1, p), 0,
            "a successful login left user:bob in login_throttle");
    }
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    isms_test_finish();
}

Test(bruteforce, failures_across_many_users_lock_the_address)
{
    struct isms_test_env env;
    PGconn *pg = start(&env);

    /* One failure each for many user names: no user key reaches the threshold. */
    for (int i = 1; i <= FAILURES; i++) {
        char user[32], what[64];

        snprintf(user, sizeof(user), "ghost-%d", i);
        snprintf(what, sizeof(what), "login as %s", user);
        expect_refused(env.srv.port, user, "guessed-password-123", what);
    }
    cr_assert(key_locked(pg, "addr:127.0.0.1"), "%d failures from 127.0.0.1 did not lock it",
              FAILURES);
    cr_assert(!key_locked(pg, "user:ghost-1"), "one failure locked user:ghost-1");
    /* Carol never failed, but her address is locked. */
    expect_refused(env.srv.port, "carol", PW_CAROL, "carol's right password, address locked");
    expect_refused(env.srv.port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD,
                   "the admin's right password, address locked");
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0, "Health while the address is locked");

    unlock(pg, "addr:127.0.0.1");
    expect_login_ok(env.srv.port, "carol", PW_CAROL, "carol after the address lock ran out");
    isms_test_finish();
}

Test(bruteforce, every_refusal_looks_the_same)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    PGconn *pg = start(&env);
    char admin[256];
    int fd;

    /* Wrong password, unknown user, disabled user: identical answers, before any lock. */
    expect_refused(env.srv.port, "bob", "not-bobs-password-1", "bob, wrong password");
    expect_refused(env.srv.port, "no-such-user", PW_BOB, "unknown user");
    cr_assert_eq(isms_test_login(env.srv.port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD,
                                 admin, sizeof(admin)),
                 0);
    isms_test_set_token(admin);
    fd = isms_test_connect(env.srv.port);
    {
        Isms__V1__UpdateUserRequest up = ISMS__V1__UPDATE_USER_REQUEST__INIT;

        up.name = "carol";
        up.set_status = 1;
        up.status = "disabled";
        isms_test_unary(fd, "/isms.v1.User/Update", &up.base, 0, NULL, &rep);
        isms_test_expect(&rep, 0, NULL, "disable carol");
        isms_test_reply_cleanup(&rep);
    }
    isms_test_set_token(NULL);
    expect_refused(env.srv.port, "carol", PW_CAROL, "disabled carol, right password");
    /* All failures are in the audit trail as UNAUTHENTICATED logins. */
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM audit_log WHERE method = "
                                     "'/isms.v1.Auth/Login' AND result = 'UNAUTHENTICATED'",
                                     0, NULL),
                 3);
    isms_test_finish();
}
