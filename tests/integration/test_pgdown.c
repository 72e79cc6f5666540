/* tests/integration/test_pgdown.c — PostgreSQL stopped and restarted under a running ismsd.
 * This test makes its own cluster with tests/lib/pgcluster (the shared one must stay up):
 * calls fail UNAVAILABLE while it is down, Health says NOT_SERVING, ismsd stays up, and
 * service comes back by itself once PostgreSQL does. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Sends `sig` to the postmaster whose data directory is DIR/data and to all its children. */
static void signal_cluster(const char *dir, int sig)
{
    char path[400];
    char *pidfile;
    long pm;
    DIR *proc;
    struct dirent *e;

    snprintf(path, sizeof(path), "%s/data/postmaster.pid", dir);
    pidfile = isms_test_read_file(path);
    cr_assert_not_null(pidfile, "no %s", path);
    pm = strtol(pidfile, NULL, 10);
    free(pidfile);
    cr_assert_gt(pm, 1);
    proc = opendir("/proc");
    cr_assert_not_null(proc);
    while ((e = readdir(proc)) != NULL) {
        char stat_path[300], buf[512];
        FILE *f;
        long pid = strtol(e->d_name, NULL, 10), ppid = 0;
        char *close_paren;

        if (pid <= 0)
            continue;
        snprintf(stat_path, sizeof(stat_path), "/proc/%ld/stat", pid);
        f = fopen(stat_path, "r");
        if (f == NULL)
            continue;
        if (fgets(buf, sizeof(buf), f) != NULL && (close_paren = strrchr(buf, ')')) != NULL)
            sscanf(close_paren + 2, "%*c %ld", &ppid);
        fclose(f);
        if (ppid == pm)
            kill((pid_t)pid, sig);
    }
    closedir(proc);
    kill((pid_t)pm, sig);
}

/* PostgreSQL frozen (SIGSTOP), not stopped: connections stay open and nothing answers. Health
 * must still answer at once, NOT_SERVING, saying the database stalled; then SERVING again. */
Test(pgdown, health_answers_while_the_database_is_frozen)
{
    const char *args[] = {"--pool-size", "2", "--health-probe-ms", "200", "--health-stall-ms",
                          "600",         NULL};
    char tmp[256], dir[300], conninfo[1024];
    struct isms_test_env env;
    struct isms_test_reply rep;
    Isms__V1__HealthResponse *h;
    int64_t t0, deadline;
    bool stalled_seen = false, serving_again = false;
    int fd;

    isms_test_tmpdir(tmp, sizeof(tmp));
    snprintf(dir, sizeof(dir), "%s/pg", tmp);
    isms_test_pgcluster_create(dir, conninfo, sizeof(conninfo));
    isms_test_env_start_on(&env, conninfo, args);
    fd = isms_test_connect(env.srv.port);
    isms_test_sleep_ms(500); /* a few probes */
    h = health(fd, &rep);
    cr_assert_str_eq(h->status, "SERVING", "%s", h->database_message);
    cr_expect_gt(h->database_rtt_us, 0, "the probe's round trip is reported");
    isms_test_reply_cleanup(&rep);

    signal_cluster(dir, SIGSTOP);
    /* From here on nothing may abort before SIGCONT: cr_expect only. */
    deadline = isms_test_now_ms() + 10000;
    while (!stalled_seen && isms_test_now_ms() < deadline) {
        Isms__V1__HealthRequest req = ISMS__V1__HEALTH_REQUEST__INIT;
        int code;

        t0 = isms_test_now_ms();
        code = isms_test_unary(fd, ISMS_M_HEALTH, &req.base, 0,
                               &isms__v1__health_response__descriptor, &rep);
        cr_expect_lt(isms_test_now_ms() - t0, 1000, "Health took %lld ms with the database frozen",
                     (long long)(isms_test_now_ms() - t0));
        if (code == 0) {
            h = (Isms__V1__HealthResponse *)rep.body;
            stalled_seen = strcmp(h->status, "NOT_SERVING") == 0 &&
                           strstr(h->database_message, "has not answered") != NULL;
        }
        isms_test_reply_cleanup(&rep);
        if (!stalled_seen)
            isms_test_sleep_ms(100);
    }
    signal_cluster(dir, SIGCONT);
    cr_expect(stalled_seen, "Health never reported the stalled database");

    deadline = isms_test_now_ms() + 20000;
    while (!serving_again && isms_test_now_ms() < deadline) {
        h = health(fd, &rep);
        serving_again = strcmp(h->status, "SERVING") == 0;
        isms_test_reply_cleanup(&rep);
        if (!serving_again)
            isms_test_sleep_ms(100);
    }
    cr_assert(serving_again, "Health not SERVING again after the database thawed");
    isms_test_server_stop(&env.srv);
    isms_test_finish();
}
