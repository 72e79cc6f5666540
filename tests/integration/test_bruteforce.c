/* tests/integration/test_bruteforce.c — password-guess throttling against a real ismsd:
 * failures count per (user, address) (5), per user (10) and per address (50), so one user's
 * typos lock neither a colleague at the same address nor the user elsewhere; a locked key is
 * refused exactly like a wrong password, without running argon2id (seen in the debug log);
 * failed checks reach the audit trail aggregated per address and minute; Auth/ChangePassword
 * is throttled and audited like Login; admins list and clear counters. Tests act as several
 * client addresses by binding to 127.0.0.x; each test has its own database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "testlib.h"

TestSuite(bruteforce, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define PW_BOB       "river-stone-lantern-42"
#define PW_CAROL     "quiet-meadow-orbit-19"
#define PW_NEW       "amber-falcon-window-63"
#define LOGIN_FAILED "invalid user name or password"
#define PW_WRONG     "current password is wrong"
#define ARGON2_LINE  "msg=\"argon2id ran\""
#define M_CHANGE_PW  "/isms.v1.Auth/ChangePassword"
#define M_LOCKOUTS   "/isms.v1.User/ListLockouts"
#define M_UNLOCK     "/isms.v1.User/Unlock"
/* Failures from one address to one user: the pair locks at 5; these many make the lock 2^7 s
 * (locked attempts count on the locked key only), far longer than a test runs. */
#define FAILURES 12

static const char *const debug_args[] = {"--log-level", "debug", NULL};

/* Login from `src` on a new connection; returns the code and the message (heap) in *msg, and
 * the token in `token` on success (may be NULL). */
static int login_from(int port, const char *src, const char *user, const char *pw, char **msg,
                      char *token, size_t tlen)
{
    Isms__V1__LoginRequest req = ISMS__V1__LOGIN_REQUEST__INIT;
    struct isms_test_reply rep;
    const char *saved = isms_test_token();
    char keep[256] = "";
    int fd, code;

    if (saved != NULL)
        snprintf(keep, sizeof(keep), "%s", saved);
    isms_test_set_token(NULL);
    fd = isms_test_connect_from(port, src);
    req.user = (char *)user;
    req.password = (char *)pw;
    code = isms_test_unary(fd, ISMS_M_AUTH_LOGIN, &req.base, 0,
                           &isms__v1__login_response__descriptor, &rep);
    isms_test_close(fd);
    if (code == 0 && token != NULL)
        snprintf(token, tlen, "%s", ((Isms__V1__LoginResponse *)rep.body)->token);
    *msg = strdup(rep.message);
    isms_test_reply_cleanup(&rep);
    isms_test_set_token(keep[0] != '\0' ? keep : NULL);
    return code;
}

/* The login must fail with exactly the one message every failure gets. */
static void expect_refused(int port, const char *src, const char *user, const char *pw,
                           const char *what)
{
    char *msg;
    int code = login_from(port, src, user, pw, &msg, NULL, 0);

    cr_assert_eq(code, 16, "%s: expected UNAUTHENTICATED, got %s: %s", what, isms_code_name(code),
                 msg);
    cr_assert_str_eq(msg, LOGIN_FAILED, "%s: message differs from a plain wrong password", what);
    free(msg);
}

static void expect_login_ok(int port, const char *src, const char *user, const char *pw,
                            char *token, size_t tlen, const char *what)
{
    char *msg;
    int code = login_from(port, src, user, pw, &msg, token, tlen);

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

static long long key_failures(PGconn *pg, const char *key)
{
    const char *p[1] = {key};

    return isms_test_pg_scalar(pg,
                               "SELECT coalesce((SELECT failures FROM login_throttle WHERE "
                               "key = $1), 0)",
                               1, p);
}

/* Audit records of refused password checks by `method`: those with their own record, and the
 * failures counted only in summaries (after the windows are forced over and one more failure
 * flushed them). */
static long long audit_own(PGconn *pg, const char *method, const char *result)
{
    const char *p[2] = {method, result};

    return isms_test_pg_scalar(pg,
                               "SELECT count(*) FROM audit_log WHERE method = $1 AND result = $2 "
                               "AND changes = '{}'",
                               2, p);
}

static long long audit_summarised(PGconn *pg, const char *method, const char *result)
{
    const char *p[2] = {method, result};

    return isms_test_pg_scalar(pg,
                               "SELECT coalesce(sum((changes::jsonb ->> 'unrecorded_failures')"
                               "::bigint), 0) FROM audit_log WHERE method = $1 AND result = $2 "
                               "AND changes::jsonb ? 'unrecorded_failures'",
                               2, p);
}

/* Ends every audit window now, so the next failure appends their summaries. */
static void end_audit_windows(PGconn *pg)
{
    isms_test_pg_exec(pg, "UPDATE auth_failure_window SET window_start = window_start - "
                          "interval '2 minutes'");
}

/* Sets up a database with bob and carol (viewers); returns a superuser connection. */
static PGconn *start(struct isms_test_env *env, const char *const *args)
{
    int fd;

    isms_test_env_start(env, args);
    fd = isms_test_connect(env->srv.port);
    isms_test_user_create(fd, "bob", "viewer", PW_BOB);
    isms_test_user_create(fd, "carol", "viewer", PW_CAROL);
    isms_test_close(fd);
    return isms_test_pg_connect(env->db.conninfo);
}

Test(bruteforce, one_users_typos_lock_only_that_user_at_that_address)
{
    struct isms_test_env env;
    PGconn *pg = start(&env, NULL);
    int port = env.srv.port;
    char pw[64];

    for (int i = 1; i <= FAILURES; i++) {
        char what[64];

        snprintf(pw, sizeof(pw), "wrong-password-number-%d", i);
        snprintf(what, sizeof(what), "wrong password %d for bob", i);
        expect_refused(port, "127.0.0.1", "bob", pw, what);
    }
    cr_assert(key_locked(pg, "pair:127.0.0.1 bob"), "%d failures did not lock bob at 127.0.0.1",
              FAILURES);
    /* The right password is refused with the same words while locked. */
    expect_refused(port, "127.0.0.1", "bob", PW_BOB, "bob's right password while locked");
    /* Carol at the same address (an office behind NAT, quickstart's 127.0.0.1) is not locked. */
    cr_assert(!key_locked(pg, "addr:127.0.0.1"), "bob's typos locked the whole address");
    expect_login_ok(port, "127.0.0.1", "carol", PW_CAROL, NULL, 0,
                    "carol at the address where bob is locked");
    /* Bob at another address is not locked either: his per-user count is under its bar. */
    cr_assert(!key_locked(pg, "user:bob"), "bob's typos at one address locked him everywhere");
    expect_login_ok(port, "127.0.0.2", "bob", PW_BOB, NULL, 0, "bob from 127.0.0.2");
    /* Which cleared bob's per-user count, and his count at 127.0.0.2, but not the lock at .1. */
    cr_assert_eq(key_failures(pg, "user:bob"), 0, "a good login left bob's per-user count");
    expect_refused(port, "127.0.0.1", "bob", PW_BOB, "bob at 127.0.0.1 after a login elsewhere");
    cr_assert_eq(isms_test_health(port, NULL, 0), 0);
    isms_test_finish();
}

Test(bruteforce, failures_from_several_addresses_lock_the_user)
{
    struct isms_test_env env;
    PGconn *pg = start(&env, NULL);
    int port = env.srv.port;

    /* 4 + 4 + 2 guesses from three addresses: no pair reaches 5, the user reaches 10. */
    for (int i = 0; i < 10; i++) {
        const char *src = i < 4 ? "127.0.0.11" : i < 8 ? "127.0.0.12" : "127.0.0.13";

        expect_refused(port, src, "bob", "distributed-guess-1", "distributed guess");
    }
    cr_assert(!key_locked(pg, "pair:127.0.0.11 bob"));
    cr_assert(key_locked(pg, "user:bob"), "10 failures for bob did not lock user:bob");
    expect_refused(port, "127.0.0.14", "bob", PW_BOB, "bob's right password from a new address");
    expect_login_ok(port, "127.0.0.14", "carol", PW_CAROL, NULL, 0, "carol while bob is locked");
    isms_test_finish();
}

Test(bruteforce, random_user_flood_locks_the_address_and_then_costs_no_argon2)
{
    struct isms_test_env env;
    PGconn *pg = start(&env, debug_args);
    int port = env.srv.port;
    const char *src = "127.0.0.21";
    int before, after_bar, after_flood;
    long long own;

    before = isms_test_server_log_count(&env.srv, ARGON2_LINE);
    /* 49 failures for 49 made-up names: the address is still open (its bar is 50). */
    for (int i = 1; i <= 49; i++) {
        char user[32];

        snprintf(user, sizeof(user), "ghost-%d", i);
        expect_refused(port, src, user, "guessed-password-123", user);
    }
    cr_assert(!key_locked(pg, "addr:127.0.0.21"), "49 failures locked the address");
    expect_login_ok(port, src, "carol", PW_CAROL, NULL, 0, "carol after 49 failures");
    expect_refused(port, src, "ghost-50", "guessed-password-123", "ghost-50");
    cr_assert(key_locked(pg, "addr:127.0.0.21"), "50 failures did not lock the address");
    after_bar = isms_test_server_log_count(&env.srv, ARGON2_LINE);
    /* Each checked password ran argon2id once: the observable works. */
    cr_assert_geq(after_bar - before, 51, "only %d argon2id runs logged for 51 logins",
                  after_bar - before);

    /* The flood goes on with fresh names and real users: same answer, no argon2id at all. */
    for (int i = 51; i <= 250; i++) {
        char user[32];

        snprintf(user, sizeof(user), "ghost-%d", i);
        expect_refused(port, src, i % 50 == 0 ? "carol" : user,
                       i % 50 == 0 ? PW_CAROL : "guessed-password-123", user);
    }
    after_flood = isms_test_server_log_count(&env.srv, ARGON2_LINE);
    cr_assert_eq(after_flood, after_bar, "%d argon2id runs for 200 logins on a locked address",
                 after_flood - after_bar);
    /* No counters were made for the flood's new names. */
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM login_throttle WHERE key = "
                                     "'user:ghost-200'",
                                     0, NULL),
                 0, "a refused name on a locked address got a counter");
    /* Audit: at most 5 own records per window of a minute; every failure is accounted for. */
    own = audit_own(pg, "/isms.v1.Auth/Login", "UNAUTHENTICATED");
    cr_log_info("250 failed logins: %lld own audit records", own);
    cr_assert_leq(own, 15, "%lld audit records for 250 failures from one address", own);
    end_audit_windows(pg);
    expect_refused(port, src, "ghost-251", "guessed-password-123", "ghost-251");
    cr_assert_eq(audit_own(pg, "/isms.v1.Auth/Login", "UNAUTHENTICATED") +
                     audit_summarised(pg, "/isms.v1.Auth/Login", "UNAUTHENTICATED"),
                 251, "own records plus summarised failures do not add up to 251");
    /* Other addresses are unaffected. */
    expect_login_ok(port, "127.0.0.22", "carol", PW_CAROL, NULL, 0, "carol from another address");
    cr_assert_eq(isms_test_health(port, NULL, 0), 0);
    isms_test_finish();
}

Test(bruteforce, every_refusal_looks_the_same)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    PGconn *pg = start(&env, NULL);
    int fd;

    /* Wrong password, unknown user, disabled user: identical answers, before any lock. */
    expect_refused(env.srv.port, "127.0.0.1", "bob", "not-bobs-password-1", "bob, wrong password");
    expect_refused(env.srv.port, "127.0.0.1", "no-such-user", PW_BOB, "unknown user");
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
    expect_refused(env.srv.port, "127.0.0.1", "carol", PW_CAROL, "disabled carol, right password");
    /* All failures are in the audit trail as UNAUTHENTICATED logins. */
    cr_assert_eq(audit_own(pg, "/isms.v1.Auth/Login", "UNAUTHENTICATED"), 3);
    isms_test_finish();
}

/* ChangePassword with `token` from 127.0.0.1; returns the code, the message in *msg (heap). */
static int change_pw(int port, const char *token, const char *current, const char *next, char **msg)
{
    Isms__V1__ChangePasswordRequest req = ISMS__V1__CHANGE_PASSWORD_REQUEST__INIT;
    struct isms_test_reply rep;
    int fd = isms_test_connect(port);
    int code;

    isms_test_set_token(token);
    req.current_password = (char *)current;
    req.new_password = (char *)next;
    code = isms_test_unary(fd, M_CHANGE_PW, &req.base, 0, NULL, &rep);
    isms_test_close(fd);
    *msg = strdup(rep.message);
    isms_test_reply_cleanup(&rep);
    return code;
}

Test(bruteforce, change_password_guesses_are_throttled_and_audited)
{
    struct isms_test_env env;
    PGconn *pg = start(&env, debug_args);
    char admin[256], bob[256], *msg;
    int port = env.srv.port, runs;
    const char *p[1] = {M_CHANGE_PW};

    snprintf(admin, sizeof(admin), "%s", isms_test_token());
    expect_login_ok(port, "127.0.0.1", "bob", PW_BOB, bob, sizeof(bob), "bob's login");
    /* A stolen session guessing bob's password: 40 guesses, every answer the same. */
    for (int i = 1; i <= 40; i++) {
        char guess[64];
        int code;

        snprintf(guess, sizeof(guess), "guess-number-%d-xyz", i);
        code = change_pw(port, bob, guess, PW_NEW, &msg);
        cr_assert_eq(code, 7, "guess %d: %s: %s", i, isms_code_name(code), msg);
        cr_assert_str_eq(msg, PW_WRONG, "guess %d", i);
        free(msg);
    }
    cr_assert(key_locked(pg, "pair:127.0.0.1 bob"), "40 wrong current passwords locked nothing");
    /* Once locked, the right password gets the same refusal, without argon2id. */
    runs = isms_test_server_log_count(&env.srv, ARGON2_LINE);
    cr_assert_eq(change_pw(port, bob, PW_BOB, PW_NEW, &msg), 7,
                 "bob's right current password while locked: %s", msg);
    cr_assert_str_eq(msg, PW_WRONG);
    free(msg);
    cr_assert_eq(isms_test_server_log_count(&env.srv, ARGON2_LINE), runs,
                 "a locked ChangePassword ran argon2id");
    /* The same lock holds for logins from that address. */
    expect_refused(port, "127.0.0.1", "bob", PW_BOB, "bob's login while ChangePassword-locked");

    /* Every refusal is in the audit trail: bounded own records, the rest summarised. */
    cr_assert_geq(audit_own(pg, M_CHANGE_PW, "PERMISSION_DENIED"), 1,
                  "no refused ChangePassword is in the audit trail");
    cr_assert_leq(audit_own(pg, M_CHANGE_PW, "PERMISSION_DENIED"), 15);
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM audit_log WHERE method = $1 AND "
                                     "result = 'PERMISSION_DENIED' AND changes = '{}' AND "
                                     "actor <> 'bob'",
                                     1, p),
                 0, "a ChangePassword refusal is recorded under another actor");
    end_audit_windows(pg);
    cr_assert_eq(change_pw(port, bob, "guess-number-42-xyz", PW_NEW, &msg), 7);
    free(msg);
    cr_assert_eq(audit_own(pg, M_CHANGE_PW, "PERMISSION_DENIED") +
                     audit_summarised(pg, M_CHANGE_PW, "PERMISSION_DENIED"),
                 42, "own records plus summarised refusals do not add up to 42");

    /* An admin clears bob's counters; then the right password changes it. */
    {
        Isms__V1__UnlockRequest un = ISMS__V1__UNLOCK_REQUEST__INIT;
        struct isms_test_reply rep;
        int fd = isms_test_connect(port);

        isms_test_set_token(admin);
        un.user = "bob";
        isms_test_unary(fd, M_UNLOCK, &un.base, 0, &isms__v1__unlock_response__descriptor, &rep);
        isms_test_expect(&rep, 0, NULL, "User/Unlock bob");
        cr_assert_geq(((Isms__V1__UnlockResponse *)rep.body)->cleared, 2);
        isms_test_reply_cleanup(&rep);
        isms_test_close(fd);
    }
    cr_assert_eq(change_pw(port, bob, PW_BOB, PW_NEW, &msg), 0, "ChangePassword after unlock: %s",
                 msg);
    free(msg);
    isms_test_finish();
}

/* Runs ismsctl as the session `token`; returns its exit code, output in *p (cleanup it). */
static int ctl(struct isms_test_proc *p, int port, const char *token, const char *const *args)
{
    char env_tok[300];
    const char *env[] = {env_tok, NULL};

    snprintf(env_tok, sizeof(env_tok), "ISMS_TOKEN=%s", token);
    isms_test_ismsctl_env(p, port, args, NULL, env);
    return p->exit_code;
}

Test(bruteforce, admins_list_and_clear_lockouts)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    PGconn *pg = start(&env, NULL);
    char admin[256], carol[256];
    int port = env.srv.port;

    snprintf(admin, sizeof(admin), "%s", isms_test_token());
    if (isms_test_ismsctl_path() == NULL)
        cr_skip_test("ismsctl is not built");
    /* FAILURES each: locks of 2^7 s, so nothing below depends on timing. */
    for (int i = 0; i < FAILURES; i++)
        expect_refused(port, "127.0.0.31", "bob", "wrong-password-abc", "bob's typo");
    for (int i = 0; i < FAILURES; i++)
        expect_refused(port, "127.0.0.32", "carol", "wrong-password-abc", "carol's typo");
    cr_assert(key_locked(pg, "pair:127.0.0.31 bob"));
    cr_assert(key_locked(pg, "pair:127.0.0.32 carol"));

    {
        const char *args[] = {"user", "lockouts", "-o", "json", NULL};

        cr_assert_eq(ctl(&p, port, admin, args), 0, "user lockouts: %s", p.err);
        cr_assert(strstr(p.out, "\"127.0.0.31\"") && strstr(p.out, "\"bob\""),
                  "user lockouts does not list bob at 127.0.0.31: %s", p.out);
        cr_assert(strstr(p.out, "\"127.0.0.32\""), "carol's lock is not listed: %s", p.out);
        isms_test_proc_cleanup(&p);
    }
    {
        /* --all adds counters that are not locked: bob's per-user count (5 < 10). */
        const char *args[] = {"user", "lockouts", "--all", "-o", "csv", NULL};

        cr_assert_eq(ctl(&p, port, admin, args), 0, "user lockouts --all: %s", p.err);
        cr_assert(strstr(p.out, "bob,,") != NULL, "no per-user counter of bob: %s", p.out);
        isms_test_proc_cleanup(&p);
    }
    /* Not for non-admins, and the refusal is audited. */
    expect_login_ok(port, "127.0.0.1", "carol", PW_CAROL, carol, sizeof(carol), "carol's login");
    {
        const char *args[] = {"user", "unlock", "carol", NULL};

        cr_assert_eq(ctl(&p, port, carol, args), 7, "carol's user unlock: %s", p.err);
        cr_assert(strstr(p.err, "PERMISSION_DENIED") != NULL, "%s", p.err);
        isms_test_proc_cleanup(&p);
    }
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM audit_log WHERE actor = 'carol' AND "
                                     "method = '/isms.v1.User/Unlock' AND result = "
                                     "'PERMISSION_DENIED'",
                                     0, NULL),
                 1);
    {
        const char *args[] = {"user", "unlock", NULL};

        cr_assert_eq(ctl(&p, port, admin, args), 2, "user unlock without a target: %s", p.err);
        isms_test_proc_cleanup(&p);
    }
    {
        const char *args[] = {"user", "unlock", "bob", NULL};

        cr_assert_eq(ctl(&p, port, admin, args), 0, "user unlock bob: %s", p.err);
        cr_assert(strstr(p.out, "cleared") != NULL, "%s", p.out);
        isms_test_proc_cleanup(&p);
    }
    expect_login_ok(port, "127.0.0.31", "bob", PW_BOB, NULL, 0, "bob after user unlock bob");
    {
        const char *args[] = {"user", "unlock", "--address", "127.0.0.32", NULL};

        cr_assert_eq(ctl(&p, port, admin, args), 0, "user unlock --address: %s", p.err);
        isms_test_proc_cleanup(&p);
    }
    cr_assert(!key_locked(pg, "pair:127.0.0.32 carol"), "unlock --address left carol's pair");
    cr_assert(!key_locked(pg, "addr:127.0.0.32"));
    expect_login_ok(port, "127.0.0.32", "carol", PW_CAROL, NULL, 0, "carol after the unlock");
    /* Both unlocks are in the audit trail, by the admin. */
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM audit_log WHERE actor = 'admin' AND "
                                     "method = '/isms.v1.User/Unlock' AND result = 'OK'",
                                     0, NULL),
                 2);
    /* The RPC itself refuses an empty request. */
    {
        Isms__V1__UnlockRequest un = ISMS__V1__UNLOCK_REQUEST__INIT;
        struct isms_test_reply rep;
        int fd = isms_test_connect(port);

        isms_test_set_token(admin);
        isms_test_unary(fd, M_UNLOCK, &un.base, 0, NULL, &rep);
        isms_test_expect(&rep, 3, "give a user, an address or both", "empty User/Unlock");
        isms_test_reply_cleanup(&rep);
        isms_test_close(fd);
    }
    cr_assert_eq(isms_test_health(port, NULL, 0), 0);
    isms_test_finish();
}
