/* tests/integration/test_lifecycle.c — deadlines and graceful shutdown against a real ismsd
 * and PostgreSQL. Table locks taken over a direct libpq connection hold
 * calls in flight for as long as a test needs; nothing here asserts on timing. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "testlib.h"

TestSuite(lifecycle, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

/* Backends of ismsd waiting for a lock in the test database (seen from a monitor session). */
static long long lock_waiters(PGconn *monitor, const struct isms_test_db *db, PGconn *holder)
{
    char holder_pid[32];
    const char *params[2] = {db->name, holder_pid};

    snprintf(holder_pid, sizeof(holder_pid), "%d", PQbackendPID(holder));
    return isms_test_pg_scalar(monitor,
                               "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
                               "AND pid <> $2::int AND pid <> pg_backend_pid() "
                               "AND wait_event_type = 'Lock'",
                               2, params);
}

/* Locks isms_context in a transaction that stays open until the caller commits. */
static PGconn *lock_context(const struct isms_test_db *db)
{
    PGconn *holder = isms_test_pg_connect(db->conninfo);

    isms_test_pg_exec(holder, "BEGIN");
    isms_test_pg_exec(holder, "LOCK TABLE isms_context IN ACCESS EXCLUSIVE MODE");
    return holder;
}

/* Polls until `want` ismsd backends wait on the lock, or fails after timeout_ms. */
static void wait_for_waiters(PGconn *monitor, const struct isms_test_db *db, PGconn *holder,
                             long long want, int timeout_ms)
{
    int64_t deadline = isms_test_now_ms() + timeout_ms;
    long long n;

    while ((n = lock_waiters(monitor, db, holder)) != want) {
        cr_assert(isms_test_now_ms() < deadline,
                  "%lld ismsd backends wait on the lock, expected %lld (waited %d ms)", n, want,
                  timeout_ms);
        isms_test_sleep_ms(25);
    }
}

/* The one ismsd backend of `db` waiting for a lock: its pid, or 0 if none waits. */
static int lock_waiter_pid(PGconn *monitor, const struct isms_test_db *db, PGconn *holder)
{
    char holder_pid[32];
    const char *params[2] = {db->name, holder_pid};

    snprintf(holder_pid, sizeof(holder_pid), "%d", PQbackendPID(holder));
    return (int)isms_test_pg_scalar(monitor,
                                    "SELECT coalesce(min(pid), 0) FROM pg_stat_activity "
                                    "WHERE datname = $1 AND pid <> $2::int "
                                    "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'",
                                    2, params);
}

/* The deadline's answer comes first; then the statement itself must stop: the backend that ran
 * it is still connected (the connection was not simply dropped) but no longer active, while the
 * lock it waited for is still held. Only a cancel ends a lock wait like that. */
Test(lifecycle, deadline_exceeded_cancels_the_sql)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    struct isms_test_env env;
    struct isms_test_reply rep;
    PGconn *holder, *monitor;
    Isms__V1__Response *r = NULL;
    char pid_text[32];
    const char *params[1] = {pid_text};
    int waiter = 0;
    int64_t answered_at, deadline;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    /* Warm up: the pool is connected and the call path works. */
    isms_test_unary(fd, ISMS_M_CTX_GET, &get.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get before the lock");
    isms_test_reply_cleanup(&rep);

    holder = lock_context(&env.db);
    monitor = isms_test_pg_connect(env.db.admin_conninfo);
    isms_test_send_request(fd, 4242, ISMS_M_CTX_GET, 2000, &get.base);
    /* The statement must be seen blocked before its deadline, or there is nothing to cancel. */
    for (;;) {
        enum isms_test_io io;

        if (waiter == 0)
            waiter = lock_waiter_pid(monitor, &env.db, holder);
        io = isms_test_try_read_response(fd, 20, &r);
        if (io == ISMS_TEST_IO_OK)
            break;
        cr_assert_eq(io, ISMS_TEST_IO_TIMEOUT, "connection lost waiting for the deadline");
    }
    answered_at = isms_test_now_ms();
    cr_assert_eq(r->call_id, 4242);
    cr_assert_eq(r->code, 4, "Context/Get under a lock with timeout_ms=2000: %s: %s",
                 isms_code_name(r->code), r->message);
    cr_assert_neq(strstr(r->message, "deadline"), NULL, "message \"%s\"", r->message);
    isms__v1__response__free_unpacked(r, NULL);
    cr_assert_neq(waiter, 0, "the statement never waited on the lock within its 2 s deadline");

    /* With the lock still held, the backend must stop waiting: cancelled, not disconnected. */
    snprintf(pid_text, sizeof(pid_text), "%d", waiter);
    deadline = answered_at + 10000;
    for (;;) {
        long long connected = isms_test_pg_scalar(
            monitor, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", 1, params);
        long long active = isms_test_pg_scalar(monitor,
                                               "SELECT count(*) FROM pg_stat_activity WHERE "
                                               "pid = $1::int AND state = 'active'",
                                               1, params);

        cr_assert_eq(connected, 1,
                     "ismsd's backend %d went away instead of having its statement cancelled",
                     waiter);
        if (active == 0)
            break;
        cr_assert(isms_test_now_ms() < deadline,
                  "backend %d still runs the statement 10 s after DEADLINE_EXCEEDED: no cancel",
                  waiter);
        isms_test_sleep_ms(25);
    }
    wait_for_waiters(monitor, &env.db, holder, 0, 1000);
    cr_assert_eq(PQtransactionStatus(holder), PQTRANS_INTRANS, "the lock holder lost its lock");

    isms_test_pg_exec(holder, "COMMIT");
    isms_test_unary(fd, ISMS_M_CTX_GET, &get.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get after the lock is released");
    isms_test_reply_cleanup(&rep);
    /* A later call with a generous deadline succeeds too. */
    isms_test_unary(fd, ISMS_M_CTX_GET, &get.base, 10000, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get with a deadline after the lock");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(lifecycle, deadline_on_many_calls_leaves_the_pool_usable)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    const char *args[] = {"--pool-size", "2", NULL};
    struct isms_test_env env;
    struct isms_test_reply rep;
    PGconn *holder, *monitor;
    int fd;

    /* More deadlines than pool connections: queued calls time out too, and every connection
     * comes back to the pool afterwards. */
    isms_test_env_start(&env, args);
    fd = isms_test_connect(env.srv.port);
    holder = lock_context(&env.db);
    monitor = isms_test_pg_connect(env.db.admin_conninfo);
    for (uint64_t id = 1; id <= 6; id++)
        isms_test_send_request(fd, id, ISMS_M_CTX_GET, 200, &get.base);
    for (int i = 0; i < 6; i++) {
        Isms__V1__Response *r =
            isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, "a call under a lock");

        cr_assert_eq(r->code, 4, "call %llu: %s: %s", (unsigned long long)r->call_id,
                     isms_code_name(r->code), r->message);
        isms__v1__response__free_unpacked(r, NULL);
    }
    wait_for_waiters(monitor, &env.db, holder, 0, 10000);
    isms_test_pg_exec(holder, "COMMIT");
    for (int i = 0; i < 4; i++) {
        isms_test_unary(fd, ISMS_M_CTX_GET, &get.base, 0, NULL, &rep);
        isms_test_expect(&rep, 0, NULL, "Context/Get after the deadlines");
        isms_test_reply_cleanup(&rep);
    }
    isms_test_finish();
}

Test(lifecycle, sigterm_drains_calls_in_flight)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    Isms__V1__HealthRequest health = ISMS__V1__HEALTH_REQUEST__INIT;
    /* Several statements of one connection at once (statements_per_conn). */
    const char *args[] = {"--pool-size", "8", "--drain-timeout-s", "60", "--statements-per-conn",
                          "8",           NULL};
    struct isms_test_env env;
    PGconn *holder, *monitor;
    unsigned char seen[6] = {0};
    bool refused = false;
    int64_t deadline;
    Isms__V1__Response *r;
    int fd;

    isms_test_env_start(&env, args);
    fd = isms_test_connect(env.srv.port);
    holder = lock_context(&env.db);
    monitor = isms_test_pg_connect(env.db.admin_conninfo);
    for (uint64_t id = 1; id <= 5; id++)
        isms_test_send_request(fd, id, ISMS_M_CTX_GET, 0, &get.base);
    wait_for_waiters(monitor, &env.db, holder, 5, 20000);

    cr_assert_eq(kill(env.srv.pid, SIGTERM), 0);

    /* New connections are refused (or closed at once, or told the server is shutting down).
     * Until ismsd has handled the signal they may still be served: poll. */
    deadline = isms_test_now_ms() + 20000;
    while (!refused) {
        int c = isms_test_try_connect(env.srv.port);

        cr_assert(isms_test_now_ms() < deadline, "ismsd still accepts and serves new "
                                                 "connections 20 s after SIGTERM");
        if (c < 0) {
            refused = true;
            break;
        }
        {
            size_t len;
            uint8_t *f = isms_test_frame_request(&len, 1, ISMS_M_HEALTH, 0, &health.base, NULL, 0);
            enum isms_test_io io;

            isms_test_try_send(c, f, len);
            free(f);
            io = isms_test_try_read_response(c, 10000, &r);
            if (io == ISMS_TEST_IO_EOF) {
                refused = true;
            } else {
                cr_assert_eq(io, ISMS_TEST_IO_OK, "no answer on a new connection after SIGTERM");
                if (r->code == 14) {
                    cr_assert_neq(strstr(r->message, "shutting down"), NULL, "message \"%s\"",
                                  r->message);
                    refused = true;
                } else {
                    cr_assert_eq(r->code, 0, "new call after SIGTERM: %s: %s",
                                 isms_code_name(r->code), r->message);
                }
                isms__v1__response__free_unpacked(r, NULL);
            }
        }
        isms_test_close(c);
        if (!refused)
            isms_test_sleep_ms(50);
    }

    /* A new call on the old connection is refused with UNAVAILABLE. */
    isms_test_send_request(fd, 99, ISMS_M_HEALTH, 0, &health.base);
    r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, "a new call while draining");
    cr_assert_eq(r->call_id, 99, "got call %llu before the lock was released",
                 (unsigned long long)r->call_id);
    cr_assert_eq(r->code, 14, "new call while draining: %s: %s", isms_code_name(r->code),
                 r->message);
    cr_assert_neq(strstr(r->message, "shutting down"), NULL, "message \"%s\"", r->message);
    isms__v1__response__free_unpacked(r, NULL);
    isms_test_server_assert_alive(&env.srv, "with calls in flight after SIGTERM");

    /* Release the lock: all five calls in flight finish with OK. */
    isms_test_pg_exec(holder, "COMMIT");
    for (int i = 0; i < 5; i++) {
        r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, "a drained call");
        cr_assert(r->call_id >= 1 && r->call_id <= 5, "unexpected call_id %llu",
                  (unsigned long long)r->call_id);
        cr_assert_eq(seen[r->call_id], 0, "call %llu answered twice",
                     (unsigned long long)r->call_id);
        seen[r->call_id] = 1;
        cr_assert_eq(r->code, 0, "drained call %llu: %s: %s", (unsigned long long)r->call_id,
                     isms_code_name(r->code), r->message);
        isms__v1__response__free_unpacked(r, NULL);
    }
    isms_test_server_wait_exit(&env.srv, 30000);
    isms_test_finish();
}

Test(lifecycle, sigterm_when_idle_exits_zero)
{
    struct isms_test_env env;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port); /* an idle client must not hold up shutdown */
    (void)fd;
    isms_test_server_stop(&env.srv);
    isms_test_finish();
}

/* Reads answers to calls 1..n (each at most once) until the connection closes or `n` arrive;
 * each must be OK or UNAVAILABLE "shutting down". Returns how many were UNAVAILABLE. */
static size_t read_until_closed(int fd, size_t n, int timeout_ms)
{
    unsigned char *seen = calloc(n + 1, 1);
    size_t got = 0, unavailable = 0;

    cr_assert_not_null(seen);
    while (got < n) {
        Isms__V1__Response *r;
        enum isms_test_io io = isms_test_try_read_response(fd, timeout_ms, &r);

        if (io == ISMS_TEST_IO_EOF)
            break;
        cr_assert_eq(io, ISMS_TEST_IO_OK, "no answer and no close within %d ms", timeout_ms);
        cr_assert(r->call_id >= 1 && r->call_id <= n, "unexpected call_id %llu",
                  (unsigned long long)r->call_id);
        cr_assert_eq(seen[r->call_id], 0, "call %llu answered twice",
                     (unsigned long long)r->call_id);
        seen[r->call_id] = 1;
        got++;
        if (r->code == 14) {
            cr_assert_neq(strstr(r->message, "shutting down"), NULL, "message \"%s\"", r->message);
            unavailable++;
        } else {
            cr_assert_eq(r->code, 0, "call %llu: %s: %s", (unsigned long long)r->call_id,
                         isms_code_name(r->code), r->message);
        }
        isms__v1__response__free_unpacked(r, NULL);
    }
    free(seen);
    return unavailable;
}

/* Calls still blocked when drain_timeout_s runs out are answered UNAVAILABLE (not before), their
 * statements are cancelled, and ismsd exits 0 soon after, although the lock is never released. */
Test(lifecycle, drain_timeout_answers_blocked_calls_unavailable)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    const char *args[] = {"--pool-size", "4", "--drain-timeout-s", "2", "--statements-per-conn",
                          "8",           NULL};
    struct isms_test_env env;
    PGconn *holder, *monitor;
    unsigned char seen[4] = {0};
    int64_t signalled_at;
    int fd;

    isms_test_env_start(&env, args);
    fd = isms_test_connect(env.srv.port);
    holder = lock_context(&env.db);
    monitor = isms_test_pg_connect(env.db.admin_conninfo);
    for (uint64_t id = 1; id <= 3; id++)
        isms_test_send_request(fd, id, ISMS_M_CTX_GET, 0, &get.base);
    wait_for_waiters(monitor, &env.db, holder, 3, 20000);

    signalled_at = isms_test_now_ms();
    cr_assert_eq(kill(env.srv.pid, SIGTERM), 0);
    for (int i = 0; i < 3; i++) {
        Isms__V1__Response *r =
            isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, "a call past the drain time");
        int64_t after = isms_test_now_ms() - signalled_at;

        cr_assert(r->call_id >= 1 && r->call_id <= 3 && !seen[r->call_id],
                  "unexpected or repeated call_id %llu", (unsigned long long)r->call_id);
        seen[r->call_id] = 1;
        cr_assert_eq(r->code, 14, "call %llu blocked past drain_timeout_s: %s: %s",
                     (unsigned long long)r->call_id, isms_code_name(r->code), r->message);
        cr_assert_neq(strstr(r->message, "shutting down"), NULL, "message \"%s\"", r->message);
        /* A timer cannot fire early; 500 ms of slack for the two clocks. */
        cr_assert_geq(after, 1500, "call %llu answered %lld ms after SIGTERM, drain_timeout_s=2",
                      (unsigned long long)r->call_id, (long long)after);
        isms__v1__response__free_unpacked(r, NULL);
    }
    /* The statements are cancelled, not left waiting for the lock. */
    wait_for_waiters(monitor, &env.db, holder, 0, 10000);
    isms_test_server_wait_exit(&env.srv, 15000);
    cr_assert(isms_test_wait_closed(fd, 5000), "the connection stayed open after ismsd exited");
    isms_test_pg_exec(holder, "COMMIT");
    isms_test_finish();
}

/* Regression: the drain timer fired while calls waited for the threadpool (argon2id of 60
 * pipelined logins on one worker thread), and shutdown then spun at full CPU for ever. ismsd
 * must exit 0 within seconds of drain_timeout_s, answering or dropping what is left. */
Test(lifecycle, drain_timeout_with_logins_queued_on_the_threadpool)
{
    Isms__V1__LoginRequest login = ISMS__V1__LOGIN_REQUEST__INIT;
    const char *args[] = {"--drain-timeout-s", "1", NULL};
    const size_t n = 60;
    struct isms_test_env env;
    uint8_t *all = NULL;
    size_t all_len = 0;
    int64_t signalled_at;
    Isms__V1__Response *r;
    int fd;

    cr_assert_eq(setenv("UV_THREADPOOL_SIZE", "1", 1), 0); /* this test's process and children */
    isms_test_env_start(&env, args);
    login.user = ISMS_TEST_ADMIN_USER;
    login.password = ISMS_TEST_ADMIN_PASSWORD;
    fd = isms_test_connect(env.srv.port);
    for (size_t i = 1; i <= n; i++) {
        size_t len;
        uint8_t *f = isms_test_frame_request(&len, i, ISMS_M_AUTH_LOGIN, 0, &login.base, NULL, 0);
        uint8_t *na = realloc(all, all_len + len);

        cr_assert_not_null(na);
        all = na;
        memcpy(all + all_len, f, len);
        all_len += len;
        free(f);
    }
    isms_test_send(fd, all, all_len);
    free(all);
    /* One login done: the rest are queued behind the single worker thread. */
    r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, "the first pipelined login");
    cr_assert_eq(r->code, 0, "login: %s: %s", isms_code_name(r->code), r->message);
    isms__v1__response__free_unpacked(r, NULL);

    signalled_at = isms_test_now_ms();
    cr_assert_eq(kill(env.srv.pid, SIGTERM), 0);
    /* drain_timeout_s = 1, plus a few seconds for one hash in progress and the close. */
    isms_test_server_wait_exit(&env.srv, 8000);
    cr_log_info("ismsd exited %lld ms after SIGTERM",
                (long long)(isms_test_now_ms() - signalled_at));
    read_until_closed(fd, n, 5000);
    isms_test_finish();
}

/* A second SIGTERM while calls are draining exits at once with status 1 (pgbouncer's rule). */
Test(lifecycle, second_signal_during_drain_exits_at_once)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    const char *args[] = {"--drain-timeout-s", "60", NULL};
    struct isms_test_env env;
    PGconn *holder, *monitor;
    int fd;

    isms_test_env_start(&env, args);
    fd = isms_test_connect(env.srv.port);
    holder = lock_context(&env.db);
    monitor = isms_test_pg_connect(env.db.admin_conninfo);
    isms_test_send_request(fd, 1, ISMS_M_CTX_GET, 0, &get.base);
    wait_for_waiters(monitor, &env.db, holder, 1, 20000);

    cr_assert_eq(kill(env.srv.pid, SIGTERM), 0);
    cr_assert(isms_test_server_wait_log(&env.srv, "msg=\"shutting down\"", 1, 20000),
              "ismsd did not log that it is shutting down");
    isms_test_server_assert_alive(&env.srv, "while draining a blocked call");
    cr_assert_eq(kill(env.srv.pid, SIGTERM), 0);
    /* "At once": long before the 60 s drain time, with the call still blocked. */
    isms_test_server_wait_exit_status(&env.srv, 5000, 1);
    isms_test_pg_exec(holder, "COMMIT");
    isms_test_finish();
}

/* The same once the calls have drained and ismsd is closing connections: a client that reads
 * nothing keeps megabytes of output pending, so closing waits (up to its forced-close time);
 * a second SIGTERM then still exits at once with status 1, rather than killing the process. */
Test(lifecycle, second_signal_while_closing_connections_exits_at_once)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    Isms__V1__UpdateContextRequest upd = ISMS__V1__UPDATE_CONTEXT_REQUEST__INIT;
    /* All of the ~10 MB is queued (not paced) so that closing has output to flush. */
    const char *args[] = {"--output-hard-bytes",
                          "67108864",
                          "--stream-output-bytes",
                          "33554432",
                          "--statements-per-conn",
                          "8",
                          NULL};
    const size_t calls = 1000;
    struct isms_test_env env;
    struct isms_test_reply rep;
    char *scope = malloc(10001);
    uint8_t *all = NULL;
    size_t all_len = 0;
    int rcvbuf = 4096;
    int fd, slow;

    cr_assert_not_null(scope);
    memset(scope, 's', 10000);
    scope[10000] = '\0';
    isms_test_env_start(&env, args);
    fd = isms_test_connect(env.srv.port);
    upd.scope = scope;
    upd.set_scope = 1;
    isms_test_unary(fd, ISMS_M_CTX_UPDATE, &upd.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Update with a 10000-character scope");
    isms_test_reply_cleanup(&rep);
    free(scope);

    /* ~10 MB of answers to a client that reads none: more than the kernel buffers hold. */
    slow = isms_test_connect(env.srv.port);
    setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    for (uint64_t id = 1; id <= calls; id++) {
        size_t len;
        uint8_t *f = isms_test_frame_request(&len, id, ISMS_M_CTX_GET, 0, &get.base, NULL, 0);
        uint8_t *na = realloc(all, all_len + len);

        cr_assert_not_null(na);
        all = na;
        memcpy(all + all_len, f, len);
        all_len += len;
        free(f);
    }
    isms_test_send(slow, all, all_len);
    free(all);
    cr_assert(isms_test_server_wait_log(&env.srv, "method=\"/isms.v1.Context/Get\"", (int)calls,
                                        ISMS_TEST_REPLY_TIMEOUT_MS * 3),
              "ismsd did not finish the %zu pipelined calls", calls);

    cr_assert_eq(kill(env.srv.pid, SIGTERM), 0);
    cr_assert(
        isms_test_server_wait_log(&env.srv, "msg=\"calls drained; closing connections\"", 1, 20000),
        "ismsd did not start closing connections after SIGTERM");
    isms_test_server_assert_alive(&env.srv, "while its output is not read");
    cr_assert_eq(kill(env.srv.pid, SIGTERM), 0);
    isms_test_server_wait_exit_status(&env.srv, 5000, 1);
    isms_test_finish();
}
