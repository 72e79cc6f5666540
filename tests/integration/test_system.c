/* tests/integration/test_system.c — isms.v1.System against a real ismsd and PostgreSQL:
 * Health says SERVING, Info reports the version and the applied schema, and a second ismsd
 * on an already migrated database starts cleanly. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "testlib.h"

TestSuite(system, .init = isms_test_init, .fini = isms_test_fini, .timeout = 180);

Test(system, health_is_serving)
{
    struct isms_test_env env;
    Isms__V1__HealthRequest req = ISMS__V1__HEALTH_REQUEST__INIT;
    struct isms_test_reply rep;
    Isms__V1__HealthResponse *h;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    isms_test_unary(fd, ISMS_M_HEALTH, &req.base, 0, &isms__v1__health_response__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "Health");
    h = (Isms__V1__HealthResponse *)rep.body;
    cr_assert_str_eq(h->status, "SERVING", "database_message: %s", h->database_message);
    cr_assert(h->database_ok);
    cr_assert_geq(h->pool_size, 1);
    cr_assert_leq(h->pool_connected, h->pool_size);
    isms_test_reply_cleanup(&rep);

    /* A second call on the same connection. */
    isms_test_unary(fd, ISMS_M_HEALTH, &req.base, 0, &isms__v1__health_response__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "second Health");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(system, info_reports_version_and_schema)
{
    struct isms_test_env env;
    Isms__V1__InfoRequest req = ISMS__V1__INFO_REQUEST__INIT;
    struct isms_test_reply rep;
    Isms__V1__InfoResponse *info;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    isms_test_unary(fd, ISMS_M_INFO, &req.base, 0, &isms__v1__info_response__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "Info");
    info = (Isms__V1__InfoResponse *)rep.body;
    cr_assert_str_eq(info->version, ISMS_VERSION);
    cr_assert_geq(info->schema_version, 1);
    cr_assert_geq(info->connections, 1, "connections %u with one open", info->connections);
    cr_assert_geq(info->calls_total, 1);
    cr_assert_neq(info->instance_id[0], '\0');
    cr_assert_neq(info->started_at[0], '\0');
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(system, second_start_on_a_migrated_database)
{
    struct isms_test_env env;
    struct isms_test_server again;
    Isms__V1__InfoRequest req = ISMS__V1__INFO_REQUEST__INIT;
    struct isms_test_reply rep;
    int32_t schema;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    isms_test_unary(fd, ISMS_M_INFO, &req.base, 0, &isms__v1__info_response__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "Info");
    schema = ((Isms__V1__InfoResponse *)rep.body)->schema_version;
    isms_test_reply_cleanup(&rep);
    isms_test_close(fd);
    isms_test_server_stop(&env.srv);

    /* Migrations are already applied: the second start must neither fail nor change them. */
    isms_test_server_start_db(&again, &env.db, NULL);
    fd = isms_test_connect(again.port);
    isms_test_unary(fd, ISMS_M_INFO, &req.base, 0, &isms__v1__info_response__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "Info after restart");
    cr_assert_eq(((Isms__V1__InfoResponse *)rep.body)->schema_version, schema);
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(isms_test_health(again.port, NULL, 0), 0);
    isms_test_finish();
}

Test(system, two_servers_on_one_database)
{
    struct isms_test_env env;
    struct isms_test_server second;
    char status[32];

    /* Migrations run under an advisory lock: a concurrent second start must succeed too. */
    isms_test_env_start(&env, NULL);
    isms_test_server_start_db(&second, &env.db, NULL);
    cr_assert_eq(isms_test_health(env.srv.port, status, sizeof(status)), 0);
    cr_assert_str_eq(status, "SERVING");
    cr_assert_eq(isms_test_health(second.port, status, sizeof(status)), 0);
    cr_assert_str_eq(status, "SERVING");
    isms_test_finish();
}

/* A conninfo naming its host: ismsd resolves it off the loop thread (uv_getaddrinfo) and
 * connects with hostaddr, keeping host for verification; calls are then served as usual. */
Test(system, database_host_name_is_resolved_off_the_loop)
{
    struct isms_test_db db;
    struct isms_test_server srv;
    PQconninfoOption *opts;
    const char *port = NULL;
    char conninfo[512];
    char status[32];
    const char *args[] = {"--log-level", "debug", NULL};

    isms_test_db_create(&db, NULL);
    opts = PQconninfoParse(db.conninfo, NULL);
    cr_assert_not_null(opts);
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
        if (strcmp(o->keyword, "port") == 0)
            port = o->val;
    cr_assert_not_null(port, "the test cluster's conninfo has a port");
    snprintf(conninfo, sizeof(conninfo), "host=localhost port=%s user=postgres dbname=%s", port,
             db.name);
    PQconninfoFree(opts);
    isms_test_server_start(&srv, conninfo, args);
    cr_assert(isms_test_server_wait_log(&srv, "database host resolved", 1, 10000),
              "each pool connection resolves localhost before connecting");
    /* The pool's connections come up right after the lookups. */
    for (int i = 0; i < 50; i++) {
        cr_assert_eq(isms_test_health(srv.port, status, sizeof(status)), 0);
        if (strcmp(status, "SERVING") == 0)
            break;
        isms_test_sleep_ms(100);
    }
    cr_expect_str_eq(status, "SERVING");
    isms_test_server_stop(&srv);
    isms_test_finish();
}
