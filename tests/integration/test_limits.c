/* tests/integration/test_limits.c — every connection and queue limit (STYLE §9) against a
 * real ismsd: idle timeout, max_conns, the database queue, the output hard limit and
 * call_arena_bytes. Each limit is set low by flag; the test checks what happens at it and that
 * others are served. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>

#include "testlib.h"

TestSuite(limits, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

/* Locks isms_context in a transaction that stays open until the caller commits. */
static PGconn *lock_context(const struct isms_test_db *db)
{
    PGconn *holder = isms_test_pg_connect(db->conninfo);

    isms_test_pg_exec(holder, "BEGIN");
    isms_test_pg_exec(holder, "LOCK TABLE isms_context IN ACCESS EXCLUSIVE MODE");
    return holder;
}

/* Polls until one session in the test database waits on a lock. */
static void wait_for_one_waiter(PGconn *monitor, const struct isms_test_db *db)
{
    const char *params[1] = {db->name};
    int64_t deadline = isms_test_now_ms() + 20000;

    while (isms_test_pg_scalar(monitor,
                               "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
                               "AND wait_event_type = 'Lock'",
                               1, params) < 1) {
        cr_assert(isms_test_now_ms() < deadline, "no ismsd query waits on the lock after 20 s");
        isms_test_sleep_ms(25);
    }
}

Test(limits, idle_connection_is_closed)
{
    Isms__V1__HealthRequest health = ISMS__V1__HEALTH_REQUEST__INIT;
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    const char *args[] = {"--idle-timeout-s", "1", NULL};
    struct isms_test_env env;
    struct isms_test_reply rep;
    PGconn *holder;
    Isms__V1__Response *r;
    int silent, used, busy;

    isms_test_env_start(&env, args);
    silent = isms_test_connect(env.srv.port);
    used = isms_test_connect(env.srv.port);
    isms_test_unary(used, ISMS_M_HEALTH, &health.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Health");
    isms_test_reply_cleanup(&rep);

    /* A connection with a call in flight is not idle, however long the call takes. */
    holder = lock_context(&env.db);
    busy = isms_test_connect(env.srv.port);
    isms_test_send_request(busy, 5, ISMS_M_CTX_GET, 0, &get.base);

    cr_assert(isms_test_wait_closed(silent, 15000),
              "a connection that never sent anything was not closed (idle_timeout_s=1)");
    cr_assert(isms_test_wait_closed(used, 15000),
              "an idle connection was not closed (idle_timeout_s=1)");
    isms_test_sleep_ms(1500); /* well past the idle timeout while the call is in flight */
    isms_test_pg_exec(holder, "COMMIT");
    r = isms_test_read_response(busy, ISMS_TEST_REPLY_TIMEOUT_MS,
                                "a call held past the idle timeout");
    cr_assert_eq(r->call_id, 5);
    cr_assert_eq(r->code, 0, "%s: %s", isms_code_name(r->code), r->message);
    isms__v1__response__free_unpacked(r, NULL);
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    isms_test_finish();
}

Test(limits, max_conns_closes_the_extra_connection)
{
    Isms__V1__HealthRequest health = ISMS__V1__HEALTH_REQUEST__INIT;
    Isms__V1__WhoAmIRequest whoami = ISMS__V1__WHO_AM_IREQUEST__INIT;
    const char *args[] = {"--max-conns", "2", NULL};
    struct isms_test_env env;
    struct isms_test_reply rep;
    Isms__V1__Response *r;
    int c1, c2, c3;
    int64_t deadline;
    bool served = false;

    isms_test_env_start(&env, args);
    /* Both log in (an authenticated call): a full table of unauthenticated connections would
     * instead make room by closing the oldest (test_abuse.c). */
    c1 = isms_test_connect(env.srv.port);
    isms_test_unary(c1, ISMS_M_AUTH_WHOAMI, &whoami.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "WhoAmI on connection 1");
    isms_test_reply_cleanup(&rep);
    c2 = isms_test_connect(env.srv.port);
    isms_test_unary(c2, ISMS_M_AUTH_WHOAMI, &whoami.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "WhoAmI on connection 2");
    isms_test_reply_cleanup(&rep);

    /* The third is accepted and closed at once: it gets no answer. */
    c3 = isms_test_try_connect(env.srv.port);
    if (c3 >= 0) {
        size_t len;
        uint8_t *f = isms_test_frame_request(&len, 3, ISMS_M_HEALTH, 0, &health.base, NULL, 0);
        enum isms_test_io io;

        isms_test_try_send(c3, f, len);
        free(f);
        io = isms_test_try_read_response(c3, ISMS_TEST_REPLY_TIMEOUT_MS, &r);
        if (io == ISMS_TEST_IO_OK) {
            cr_assert_fail("connection 3 of max_conns=2 was served: %s: %s",
                           isms_code_name(r->code), r->message);
        }
        cr_assert_eq(io, ISMS_TEST_IO_EOF, "connection 3 was neither closed nor served");
        isms_test_close(c3);
    }

    /* The first two are still served. */
    isms_test_unary(c1, ISMS_M_HEALTH, &health.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Health on connection 1 again");
    isms_test_reply_cleanup(&rep);
    isms_test_unary(c2, ISMS_M_HEALTH, &health.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Health on connection 2 again");
    isms_test_reply_cleanup(&rep);

    /* Once one closes, a new connection is served again (the close is seen asynchronously). */
    isms_test_close(c1);
    deadline = isms_test_now_ms() + 20000;
    while (!served) {
        int c = isms_test_connect(env.srv.port);
        size_t len;
        uint8_t *f = isms_test_frame_request(&len, 4, ISMS_M_HEALTH, 0, &health.base, NULL, 0);
        enum isms_test_io io;

        isms_test_try_send(c, f, len);
        free(f);
        io = isms_test_try_read_response(c, 10000, &r);
        if (io == ISMS_TEST_IO_OK) {
            cr_assert_eq(r->code, 0);
            isms__v1__response__free_unpacked(r, NULL);
            served = true;
        }
        isms_test_close(c);
        cr_assert(served || isms_test_now_ms() < deadline,
                  "no new connection served after one of two closed");
        if (!served)
            isms_test_sleep_ms(50);
    }
    isms_test_finish();
}

Test(limits, full_database_queue_is_resource_exhausted)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    /* One connection fills the pool's queue only if its statements are not paced. */
    const char *args[] = {"--pool-size", "1", "--db-queue-max", "1", "--statements-per-conn",
                          "8",           NULL};
    struct isms_test_env env;
    struct isms_test_reply rep;
    PGconn *holder, *monitor;
    unsigned char seen[7] = {0};
    int fd;

    isms_test_env_start(&env, args);
    fd = isms_test_connect(env.srv.port);
    isms_test_unary(fd, ISMS_M_CTX_GET, &get.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get before the lock");
    isms_test_reply_cleanup(&rep);

    /* Call 1 holds the only connection (blocked on the lock); then call 2's next statement
     * takes the one queue slot and calls 3-6 find the queue full. */
    holder = lock_context(&env.db);
    monitor = isms_test_pg_connect(env.db.admin_conninfo);
    isms_test_send_request(fd, 1, ISMS_M_CTX_GET, 0, &get.base);
    wait_for_one_waiter(monitor, &env.db);
    for (uint64_t id = 2; id <= 6; id++)
        isms_test_send_request(fd, id, ISMS_M_CTX_GET, 0, &get.base);
    for (int i = 0; i < 4; i++) {
        Isms__V1__Response *r =
            isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, "a call beyond db_queue_max");

        cr_assert(r->call_id >= 3 && r->call_id <= 6,
                  "call %llu: %s: %s (expected calls 3-6 "
                  "to find the queue full)",
                  (unsigned long long)r->call_id, isms_code_name(r->code), r->message);
        cr_assert_eq(r->code, 8, "call %llu: %s: %s", (unsigned long long)r->call_id,
                     isms_code_name(r->code), r->message);
        cr_assert_neq(strstr(r->message, "queue"), NULL, "message \"%s\"", r->message);
        seen[r->call_id] = 1;
        isms__v1__response__free_unpacked(r, NULL);
    }
    isms_test_pg_exec(holder, "COMMIT");
    for (int i = 0; i < 2; i++) {
        Isms__V1__Response *r =
            isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, "a waiting call");

        cr_assert_eq(seen[r->call_id], 0, "call %llu answered twice",
                     (unsigned long long)r->call_id);
        cr_assert_eq(r->code, 0, "call %llu: %s: %s", (unsigned long long)r->call_id,
                     isms_code_name(r->code), r->message);
        isms__v1__response__free_unpacked(r, NULL);
    }
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    isms_test_finish();
}

Test(limits, output_hard_limit_drops_a_reader_that_never_reads)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    Isms__V1__UpdateContextRequest upd = ISMS__V1__UPDATE_CONTEXT_REQUEST__INIT;
    const char *args[] = {"--output-hard-bytes", "65536", NULL};
    const size_t calls = 2000;
    struct isms_test_env env;
    struct isms_test_reply rep;
    char *scope = malloc(10001);
    uint8_t *all = NULL;
    size_t all_len = 0, answered = 0;
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

    /* ~20 MB of responses to a client with a tiny receive buffer that reads nothing. */
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
    isms_test_try_send(slow, all, all_len);
    free(all);

    /* Meanwhile another client is served. */
    isms_test_unary(fd, ISMS_M_CTX_GET, &get.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get on another connection");
    isms_test_reply_cleanup(&rep);

    /* Now read: the connection must end before all responses arrive. */
    for (;;) {
        Isms__V1__Response *r;
        enum isms_test_io io = isms_test_try_read_response(slow, ISMS_TEST_REPLY_TIMEOUT_MS, &r);

        if (io == ISMS_TEST_IO_EOF)
            break;
        cr_assert_eq(io, ISMS_TEST_IO_OK, "reader neither served nor dropped (%zu answers)",
                     answered);
        isms__v1__response__free_unpacked(r, NULL);
        answered++;
        cr_assert_lt(answered, calls,
                     "all %zu responses delivered: output_hard_bytes=65536 never applied", calls);
    }
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    isms_test_finish();
}

/* call_arena_bytes caps one call's memory: a request whose envelope, or whose decoded body, does
 * not fit is RESOURCE_EXHAUSTED with a message naming the limit, nothing is stored, and the same
 * connection goes on serving calls that fit. */
Test(limits, call_arena_bytes_refuses_a_request_that_does_not_fit)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    Isms__V1__UpdateContextRequest upd = ISMS__V1__UPDATE_CONTEXT_REQUEST__INIT;
    const char *args[] = {"--call-arena-bytes", "65536", NULL};
    struct isms_test_env env;
    struct isms_test_reply rep;
    char *scope = malloc(100001);
    Isms__V1__Response *r;
    PGconn *pg;
    int fd;

    cr_assert_not_null(scope);
    isms_test_env_start(&env, args);
    pg = isms_test_pg_connect(env.db.conninfo);
    fd = isms_test_connect(env.srv.port);
    /* An authenticated call first: it lifts the connection's 64 KiB pre-login frame limit. */
    isms_test_unary(fd, ISMS_M_CTX_GET, &get.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get");
    isms_test_reply_cleanup(&rep);

    upd.set_scope = 1;
    upd.scope = scope;
    /* 100 kB: the envelope itself does not fit, so its call_id is unknown (answered as 0, like
     * any envelope that cannot be decoded). */
    memset(scope, 'x', 100000);
    scope[100000] = '\0';
    isms_test_send_request(fd, 71, ISMS_M_CTX_UPDATE, 0, &upd.base);
    r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, "a 100 kB Context/Update");
    cr_assert_eq(r->call_id, 0, "call_id %llu", (unsigned long long)r->call_id);
    cr_assert_eq(r->code, 8, "a 100 kB request: %s: %s", isms_code_name(r->code), r->message);
    cr_assert_neq(strstr(r->message, "memory limit"), NULL, "message \"%s\"", r->message);
    isms__v1__response__free_unpacked(r, NULL);
    /* 40 kB: the envelope fits, the body decoded next to it does not. */
    scope[40000] = '\0';
    isms_test_unary(fd, ISMS_M_CTX_UPDATE, &upd.base, 0, NULL, &rep);
    isms_test_expect(&rep, 8, "memory limit", "a 40 kB Context/Update");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(isms_test_pg_scalar(pg, "SELECT count(*) FROM isms_context WHERE scope LIKE 'xx%'",
                                     0, NULL),
                 0, "a refused request was stored");

    /* The same connection still serves, and a call that fits is stored. */
    memset(scope, 'x', 1000);
    scope[1000] = '\0';
    isms_test_unary(fd, ISMS_M_CTX_UPDATE, &upd.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Update with a 1 kB scope");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(isms_test_pg_scalar(pg, "SELECT length(scope) FROM isms_context", 0, NULL), 1000);
    isms_test_unary(fd, ISMS_M_CTX_GET, &get.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get after the refusals");
    isms_test_reply_cleanup(&rep);
    free(scope);
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    isms_test_finish();
}
