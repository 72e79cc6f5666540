/* tests/integration/test_pgdown.c — PostgreSQL stopped and restarted under a running ismsd.
 * This test makes its own cluster with tests/lib/pgcluster (the shared one must stay up):
 * calls fail UNAVAILABLE while it is down, Health says NOT_SERVING, ismsd stays up, and
 * service comes back by itself once PostgreSQL does. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "testlib.h"

TestSuite(pgdown, .init = isms_test_init, .fini = isms_test_fini, .timeout = 280);

static int ctx_get(int fd, uint32_t timeout_ms, struct isms_test_reply *rep)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;

    return isms_test_unary(fd, ISMS_M_CTX_GET, &get.base, timeout_ms, NULL, rep);
}

static Isms__V1__HealthResponse *health(int fd, struct isms_test_reply *rep)
{
    Isms__V1__HealthRequest req = ISMS__V1__HEALTH_REQUEST__INIT;

    isms_test_unary(fd, ISMS_M_HEALTH, &req.base, 0, &isms__v1__health_response__descriptor, rep);
    isms_test_expect(rep, 0, NULL, "Health (always OK)");
    return (Isms__V1__HealthResponse *)rep->body;
}

Test(pgdown, database_stopped_and_restarted_in_service)
{
    const char *args[] = {"--pool-size", "2", NULL};
    char tmp[256], dir[300], conninfo[1024];
    struct isms_test_env env;
    struct isms_test_server *srv = &env.srv;
    struct isms_test_reply rep;
    Isms__V1__HealthResponse *h;
    int64_t deadline;
    bool ok = false;
    int fd;

    isms_test_tmpdir(tmp, sizeof(tmp));
    snprintf(dir, sizeof(dir), "%s/pg", tmp);
    isms_test_pgcluster_create(dir, conninfo, sizeof(conninfo));
    isms_test_env_start_on(&env, conninfo, args);

    fd = isms_test_connect(srv->port);
    h = health(fd, &rep);
    cr_assert_str_eq(h->status, "SERVING", "%s", h->database_message);
    isms_test_reply_cleanup(&rep);
    ctx_get(fd, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get with the database up");
    isms_test_reply_cleanup(&rep);

    isms_test_pgcluster("stop", dir);

    /* Calls fail fast with UNAVAILABLE (no deadline given: they must not hang). */
    for (int i = 0; i < 3; i++) {
        ctx_get(fd, 0, &rep);
        isms_test_expect(&rep, 14, "unavailable", "Context/Get with the database stopped");
        isms_test_reply_cleanup(&rep);
    }
    h = health(fd, &rep);
    cr_assert_str_eq(h->status, "NOT_SERVING");
    cr_assert(!h->database_ok);
    cr_assert_neq(h->database_message[0], '\0', "NOT_SERVING without a database_message");
    isms_test_reply_cleanup(&rep);
    isms_test_server_assert_alive(srv, "when PostgreSQL stopped");
    /* New connections are still accepted while the database is down. */
    {
        int fd2 = isms_test_connect(srv->port);

        h = health(fd2, &rep);
        cr_assert_str_eq(h->status, "NOT_SERVING");
        isms_test_reply_cleanup(&rep);
        isms_test_close(fd2);
    }

    isms_test_pgcluster("start", dir);

    /* ismsd reconnects by itself. */
    deadline = isms_test_now_ms() + 30000;
    while (!ok) {
        int code = ctx_get(fd, 5000, &rep);

        cr_assert(code == 0 || code == 14 || code == 4,
                  "Context/Get while PostgreSQL restarts: %s: %s", isms_code_name(code),
                  rep.message);
        isms_test_reply_cleanup(&rep);
        ok = code == 0;
        cr_assert(ok || isms_test_now_ms() < deadline,
                  "Context/Get still fails 30 s after PostgreSQL came back");
        if (!ok)
            isms_test_sleep_ms(200);
    }
    deadline = isms_test_now_ms() + 30000;
    for (;;) {
        bool serving;

        h = health(fd, &rep);
        serving = strcmp(h->status, "SERVING") == 0;
        isms_test_reply_cleanup(&rep);
        if (serving)
            break;
        cr_assert(isms_test_now_ms() < deadline, "Health not SERVING 30 s after restart");
        isms_test_sleep_ms(200);
    }
    /* libpq's FATAL about the terminated sessions went through the logger, not raw to stderr. */
    cr_expect_eq(isms_test_server_log_count(srv, "\nFATAL:"), 0, "a raw libpq line in the log");
    cr_expect_geq(isms_test_server_log_count(srv, "msg=\"database notice\""), 1,
                  "the server's FATAL notice is logged as a logfmt line");
    isms_test_server_stop(srv);
    isms_test_finish();
}

Test(pgdown, start_fails_cleanly_without_a_database)
{
    struct isms_test_proc p;
    char tmp[256], dir[300], conninfo[1024], bad[1200];
    const char *argv[] = {isms_test_ismsd_path(), "--listen", "127.0.0.1:0", "--db", bad, NULL};

    /* A stopped cluster: ismsd must exit non-zero with a message, not hang or crash. */
    isms_test_tmpdir(tmp, sizeof(tmp));
    snprintf(dir, sizeof(dir), "%s/pg", tmp);
    isms_test_pgcluster_create(dir, conninfo, sizeof(conninfo));
    isms_test_pgcluster("stop", dir);
    snprintf(bad, sizeof(bad), "%s connect_timeout=5", conninfo);
    isms_test_run(&p, argv, NULL, 60000);
    cr_assert_neq(p.exit_code, 0, "ismsd started without a database");
    cr_assert_lt(p.exit_code, 128, "ismsd died of signal %d:\n%s", p.exit_code - 128, p.err);
    cr_assert_null(strstr(p.err, "AddressSanitizer"), "%s", p.err);
    cr_assert_null(strstr(p.err, "runtime error:"), "%s", p.err);
    cr_assert_null(strstr(p.err, "LeakSanitizer"), "%s", p.err);
    cr_assert_neq(p.err[0], '\0', "ismsd failed without saying why");
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}
