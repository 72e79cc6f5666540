/* tests/integration/test_auth.c — authentication at the protocol level against a real ismsd:
 * which calls need a token, login failures that do not tell which part was wrong, secrets
 * kept out of the log, and the pre-login limits (login_timeout_s, preauth_max_frame_bytes). */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/audit_chain.h"
#include "common/frame.h"
#include "testlib.h"

TestSuite(auth, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

static int ctx_get(int fd, struct isms_test_reply *rep)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;

    return isms_test_unary(fd, ISMS_M_CTX_GET, &get.base, 0, NULL, rep);
}

static int login(int fd, const char *user, const char *password, struct isms_test_reply *rep)
{
    Isms__V1__LoginRequest req = ISMS__V1__LOGIN_REQUEST__INIT;

    req.user = (char *)user;
    req.password = (char *)password;
    return isms_test_unary(fd, ISMS_M_AUTH_LOGIN, &req.base, 0,
                           &isms__v1__login_response__descriptor, rep);
}

Test(auth, calls_need_a_valid_token)
{
    Isms__V1__HealthRequest health = ISMS__V1__HEALTH_REQUEST__INIT;
    Isms__V1__InfoRequest info = ISMS__V1__INFO_REQUEST__INIT;
    Isms__V1__WhoAmIRequest who = ISMS__V1__WHO_AM_IREQUEST__INIT;
    struct isms_test_env env;
    struct isms_test_reply rep;
    char token[512];
    Isms__V1__UserAccount *me;
    bool is_admin = false;
    int fd;

    isms_test_env_start(&env, NULL);
    snprintf(token, sizeof(token), "%s", isms_test_token());
    fd = isms_test_connect(env.srv.port);

    isms_test_set_token(NULL);
    ctx_get(fd, &rep);
    isms_test_expect(&rep, 16, "not logged in", "Context/Get without a token");
    isms_test_reply_cleanup(&rep);
    /* System methods are allowed before login. */
    isms_test_unary(fd, ISMS_M_HEALTH, &health.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Health without a token");
    isms_test_reply_cleanup(&rep);
    isms_test_unary(fd, ISMS_M_INFO, &info.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Info without a token");
    isms_test_reply_cleanup(&rep);

    isms_test_set_token("not-a-real-token");
    ctx_get(fd, &rep);
    isms_test_expect(&rep, 16, "not valid", "Context/Get with a made-up token");
    isms_test_reply_cleanup(&rep);
    /* A token one character off is just as invalid. */
    {
        char bad[512];

        snprintf(bad, sizeof(bad), "%s", token);
        bad[0] = bad[0] == 'A' ? 'B' : 'A';
        isms_test_set_token(bad);
        ctx_get(fd, &rep);
        isms_test_expect(&rep, 16, NULL, "Context/Get with a corrupted token");
        isms_test_reply_cleanup(&rep);
    }

    /* The real token works, on a connection other than the one that logged in. */
    isms_test_set_token(token);
    ctx_get(fd, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get with the session token");
    isms_test_reply_cleanup(&rep);
    isms_test_unary(fd, ISMS_M_AUTH_WHOAMI, &who.base, 0, &isms__v1__user_account__descriptor,
                    &rep);
    isms_test_expect(&rep, 0, NULL, "WhoAmI");
    me = (Isms__V1__UserAccount *)rep.body;
    cr_assert_str_eq(me->name, ISMS_TEST_ADMIN_USER);
    for (size_t i = 0; i < me->n_roles; i++)
        if (strcmp(me->roles[i], "admin") == 0)
            is_admin = true;
    cr_assert(is_admin, "the bootstrap user lacks the admin role");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(auth, login_failures_do_not_say_which_part_was_wrong)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    char *wrong_pw_msg;
    int fd;

    isms_test_env_start(&env, NULL);
    isms_test_set_token(NULL);
    fd = isms_test_connect(env.srv.port);

    login(fd, ISMS_TEST_ADMIN_USER, "wrong-password-123", &rep);
    isms_test_expect(&rep, 16, "invalid user name or password", "Login with a wrong password");
    wrong_pw_msg = strdup(rep.message);
    isms_test_reply_cleanup(&rep);
    login(fd, "nobody-here", "wrong-password-123", &rep);
    isms_test_expect(&rep, 16, NULL, "Login as an unknown user");
    cr_assert_str_eq(rep.message, wrong_pw_msg, "unknown user and wrong password differ");
    isms_test_reply_cleanup(&rep);
    free(wrong_pw_msg);
    login(fd, "", "", &rep);
    cr_assert(rep.code == 16 || rep.code == 3, "Login with nothing: %s: %s",
              isms_code_name(rep.code), rep.message);
    isms_test_reply_cleanup(&rep);

    login(fd, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD, &rep);
    isms_test_expect(&rep, 0, NULL, "Login with the right password");
    cr_assert_neq(((Isms__V1__LoginResponse *)rep.body)->token[0], '\0');
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(auth, secrets_never_reach_the_log)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    char token[512];
    char *log;
    int fd;

    isms_test_env_start(&env, NULL);
    snprintf(token, sizeof(token), "%s", isms_test_token());
    fd = isms_test_connect(env.srv.port);
    ctx_get(fd, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get");
    isms_test_reply_cleanup(&rep);
    isms_test_set_token(NULL);
    login(fd, ISMS_TEST_ADMIN_USER, "a-wrong-secret-4711", &rep);
    isms_test_reply_cleanup(&rep);
    isms_test_close(fd);
    isms_test_server_stop(&env.srv);

    log = isms_test_read_file(env.srv.log_path);
    cr_assert_not_null(log);
    cr_assert_null(strstr(log, ISMS_TEST_ADMIN_PASSWORD), "the password is in the log");
    cr_assert_null(strstr(log, "a-wrong-secret-4711"), "a wrong password is in the log");
    cr_assert_null(strstr(log, token), "the session token is in the log");
    cr_assert_null(strstr(log, "Bearer"), "authorization metadata is in the log");
    free(log);
    isms_test_finish();
}

Test(auth, login_timeout_closes_unauthenticated_connections)
{
    Isms__V1__HealthRequest health = ISMS__V1__HEALTH_REQUEST__INIT;
    const char *args[] = {"--login-timeout-s", "1", NULL};
    struct isms_test_env env;
    struct isms_test_reply rep;
    char token[512];
    int anon, authed;

    /* Log in on a server without the short timer (argon2id can take longer than 1 s under
     * valgrind or load), then restart with it: sessions live in the database. */
    isms_test_env_start(&env, NULL);
    snprintf(token, sizeof(token), "%s", isms_test_token());
    isms_test_server_stop(&env.srv);
    isms_test_server_start_db(&env.srv, &env.db, args);
    authed = isms_test_connect(env.srv.port);
    ctx_get(authed, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get");
    isms_test_reply_cleanup(&rep);

    isms_test_set_token(NULL);
    anon = isms_test_connect(env.srv.port);
    /* Health is allowed, but does not log the connection in. */
    isms_test_unary(anon, ISMS_M_HEALTH, &health.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Health before login");
    isms_test_reply_cleanup(&rep);
    cr_assert(isms_test_wait_closed(anon, 15000),
              "an unauthenticated connection outlived login_timeout_s=1");

    isms_test_sleep_ms(1500); /* past the login timeout for the other one too */
    isms_test_set_token(token);
    ctx_get(authed, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get on the authenticated connection");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

/* A Health request with `pad` bytes of metadata, plus the current token if any. */
static uint8_t *big_request(size_t *len, uint64_t call_id, size_t pad)
{
    Isms__V1__Request req = ISMS__V1__REQUEST__INIT;
    Isms__V1__Request__MetadataEntry e[2] = {ISMS__V1__REQUEST__METADATA_ENTRY__INIT,
                                             ISMS__V1__REQUEST__METADATA_ENTRY__INIT};
    Isms__V1__Request__MetadataEntry *md[2] = {&e[0], &e[1]};
    char bearer[600];
    char *p = malloc(pad + 1);
    uint8_t *env, *frame;
    size_t n;

    cr_assert_not_null(p);
    memset(p, 'p', pad);
    p[pad] = '\0';
    req.call_id = call_id;
    req.method = ISMS_M_HEALTH;
    e[0].key = "x-pad";
    e[0].value = p;
    req.metadata = md;
    req.n_metadata = 1;
    if (isms_test_token() != NULL) {
        snprintf(bearer, sizeof(bearer), "Bearer %s", isms_test_token());
        e[1].key = "authorization";
        e[1].value = bearer;
        req.n_metadata = 2;
    }
    n = isms__v1__request__get_packed_size(&req);
    env = malloc(n);
    cr_assert_not_null(env);
    isms__v1__request__pack(&req, env);
    frame = isms_test_frame_raw(len, 0, env, n);
    free(env);
    free(p);
    return frame;
}

Test(auth, preauth_frame_limit_lifts_after_login)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    Isms__V1__Response *r;
    char token[512];
    uint8_t *f;
    size_t len;
    int anon, authed;

    isms_test_env_start(&env, NULL);
    snprintf(token, sizeof(token), "%s", isms_test_token());

    /* Before login: 100 KB is over the 64 KiB pre-login limit. */
    isms_test_set_token(NULL);
    anon = isms_test_connect(env.srv.port);
    f = big_request(&len, 1, 100 * 1024);
    isms_test_try_send(anon, f, len);
    free(f);
    r = isms_test_read_response(anon, ISMS_TEST_REPLY_TIMEOUT_MS, "a 100 KB frame before login");
    cr_assert_eq(r->code, 8, "100 KB before login: %s: %s", isms_code_name(r->code), r->message);
    cr_assert_eq(r->call_id, 0);
    isms__v1__response__free_unpacked(r, NULL);
    cr_assert(isms_test_wait_closed(anon, ISMS_TEST_REPLY_TIMEOUT_MS),
              "connection not closed after an oversize pre-login frame");

    /* After an authenticated call the full limit applies. */
    isms_test_set_token(token);
    authed = isms_test_connect(env.srv.port);
    ctx_get(authed, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get");
    isms_test_reply_cleanup(&rep);
    f = big_request(&len, 2, 100 * 1024);
    isms_test_send(authed, f, len);
    free(f);
    r = isms_test_read_response(authed, ISMS_TEST_REPLY_TIMEOUT_MS, "a 100 KB frame after login");
    cr_assert_eq(r->call_id, 2);
    cr_assert_eq(r->code, 0, "100 KB after login: %s: %s", isms_code_name(r->code), r->message);
    isms__v1__response__free_unpacked(r, NULL);
    isms_test_finish();
}

Test(auth, logins_are_audited_in_a_verifiable_chain)
{
    static const char sql[] =
        "SELECT seq, audit_ts(at), actor, source, method, entity, changes, result, "
        "encode(prev_hash, 'hex'), encode(hash, 'hex') FROM audit_log ORDER BY seq";
    struct isms_test_env env;
    struct isms_test_reply rep;
    struct isms_audit_verifier v;
    PGconn *pg;
    PGresult *res;
    int ok_logins = 0, failed_logins = 0;
    int fd;

    isms_test_env_start(&env, NULL); /* one successful login */
    isms_test_set_token(NULL);
    fd = isms_test_connect(env.srv.port);
    login(fd, ISMS_TEST_ADMIN_USER, "wrong-password-123", &rep);
    isms_test_expect(&rep, 16, NULL, "Login with a wrong password");
    isms_test_reply_cleanup(&rep);
    login(fd, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD, &rep);
    isms_test_expect(&rep, 0, NULL, "Login");
    isms_test_reply_cleanup(&rep);

    /* The chain the database wrote must verify with the C code ismsctl uses offline. */
    pg = isms_test_pg_connect(env.db.conninfo);
    res = PQexec(pg, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(res));
    cr_assert_geq(PQntuples(res), 3, "only %d audit records", PQntuples(res));
    isms_audit_verifier_init(&v);
    for (int i = 0; i < PQntuples(res); i++) {
        struct isms_audit_record r;
        char *end;

        memset(&r, 0, sizeof(r));
        r.seq = strtoll(PQgetvalue(res, i, 0), &end, 10);
        r.at = PQgetvalue(res, i, 1);
        r.actor = PQgetvalue(res, i, 2);
        r.source = PQgetvalue(res, i, 3);
        r.method = PQgetvalue(res, i, 4);
        r.entity = PQgetvalue(res, i, 5);
        r.changes = PQgetvalue(res, i, 6);
        r.result = PQgetvalue(res, i, 7);
        cr_assert(isms_hex_decode(PQgetvalue(res, i, 8), r.prev_hash, ISMS_AUDIT_HASH_BYTES));
        cr_assert(isms_hex_decode(PQgetvalue(res, i, 9), r.hash, ISMS_AUDIT_HASH_BYTES));
        cr_assert_eq(isms_audit_verifier_add(&v, &r), 1, "audit record %lld: %s", (long long)r.seq,
                     v.problem);
        cr_assert_null(strstr(r.changes, ISMS_TEST_ADMIN_PASSWORD), "password in the audit log");
        cr_assert_null(strstr(r.changes, "wrong-password-123"), "password in the audit log");
        if (strcmp(r.method, ISMS_M_AUTH_LOGIN) == 0 &&
            strcmp(r.entity, "user:" ISMS_TEST_ADMIN_USER) == 0) {
            if (strcmp(r.result, "OK") == 0)
                ok_logins++;
            else
                failed_logins++;
        }
    }
    PQclear(res);
    cr_assert_eq(ok_logins, 2, "%d successful logins audited, expected 2", ok_logins);
    cr_assert_eq(failed_logins, 1, "%d failed logins audited, expected 1", failed_logins);

    /* History cannot be rewritten, not even by a superuser's UPDATE. */
    res = PQexec(pg, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1");
    cr_assert_neq(PQresultStatus(res), PGRES_COMMAND_OK, "audit_log accepted an UPDATE");
    cr_assert_neq(strstr(PQresultErrorMessage(res), "append-only"), NULL, "%s",
                  PQresultErrorMessage(res));
    PQclear(res);
    res = PQexec(pg, "DELETE FROM audit_log");
    cr_assert_neq(PQresultStatus(res), PGRES_COMMAND_OK, "audit_log accepted a DELETE");
    PQclear(res);
    isms_test_finish();
}
