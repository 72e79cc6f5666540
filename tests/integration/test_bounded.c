/* tests/integration/test_bounded.c — ismsd's memory and shutdown stay bounded whatever
 * clients and PostgreSQL do: clients that pipeline Asset/List streams and never read leave
 * ismsd's RSS bounded and control calls answered, and are closed by the write-progress
 * timeout; a SIGTERM with PostgreSQL frozen exits within drain + grace, though PQcancel blocks.
 * Figures (RSS growth, control latency) are printed; the bounds asserted are generous. */
#define _GNU_SOURCE /* setenv */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "isms/v1/asset.pb-c.h"
#include "testlib.h"

TestSuite(bounded, .init = isms_test_init, .fini = isms_test_fini, .timeout = 280);

#define STUCK_CLIENTS   100
#define STUCK_PIPELINE  64
#define SEEDED_ASSETS   3000 /* the INSERT below */
#define WRITE_TIMEOUT_S 8

/* "VmRSS:  1234 kB" from /proc/PID/status, in kB; -1 if absent. */
static long proc_kb(pid_t pid, const char *field)
{
    char path[64];
    char *text;
    const char *p;
    long kb = -1;

    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    text = isms_test_read_file(path);
    if (text == NULL)
        return -1;
    p = strstr(text, field);
    if (p != NULL)
        kb = strtol(p + strlen(field) + 1, NULL, 10);
    free(text);
    return kb;
}

/* A client that reads nothing: a tiny receive buffer, so ismsd's output backs up at once. */
static int connect_stuck(int port)
{
    struct sockaddr_in sa;
    int rcvbuf = 4096;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect: %s", strerror(errno));
    return fd;
}

/* Whether ismsd has closed (reset) the connection, seen without reading from it. */
static bool is_reset(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);

    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return true;
    return ti.tcpi_state == TCP_CLOSE || ti.tcpi_state == TCP_CLOSE_WAIT;
}

static int64_t timed_health(int fd)
{
    Isms__V1__HealthRequest req = ISMS__V1__HEALTH_REQUEST__INIT;
    struct isms_test_reply rep;
    int64_t t0 = isms_test_now_ms();

    isms_test_unary(fd, ISMS_M_HEALTH, &req.base, 0, &isms__v1__health_response__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "Health while stuck clients hold output");
    isms_test_reply_cleanup(&rep);
    return isms_test_now_ms() - t0;
}

static int64_t timed_context_get(int fd)
{
    Isms__V1__GetContextRequest req = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    struct isms_test_reply rep;
    int64_t t0 = isms_test_now_ms();

    isms_test_unary(fd, ISMS_M_CTX_GET, &req.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get while stuck clients hold output");
    isms_test_reply_cleanup(&rep);
    return isms_test_now_ms() - t0;
}

static void count_item(const ProtobufCMessage *item, void *ud)
{
    (void)item;
    (*(int *)ud)++;
}

static int list_all_assets(int fd)
{
    Isms__V1__ListAssetsRequest req = ISMS__V1__LIST_ASSETS_REQUEST__INIT;
    struct isms_test_reply rep;
    int n = 0;

    isms_test_stream(fd, "/isms.v1.Asset/List", &req.base,
                     &isms__v1__list_assets_response__descriptor, count_item, &n, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Asset/List");
    isms_test_reply_cleanup(&rep);
    return n;
}

/* The test: clients pipeline Asset/List over thousands of assets and never read. */
Test(bounded, stuck_stream_readers_keep_memory_bounded_and_get_closed)
{
    char wt[16];
    const char *args[] = {"--write-timeout-s", wt, "--calls-memory-bytes", "32M", NULL};
    struct isms_test_env env;
    PGconn *pg;
    int ctl, stuck[STUCK_CLIENTS];
    long rss0, rss_peak = 0, hwm;
    int64_t worst_health = 0, worst_ctx = 0, steady_ctx = 0, t_end, t_steady;
    int closed = 0, n;
    char asan[512];
    const char *old = getenv("ASAN_OPTIONS");

    /* ASan keeps freed memory in a quarantine (256 MB by default): that is not ismsd's. */
    snprintf(asan, sizeof(asan), "%s%squarantine_size_mb=16", old != NULL ? old : "",
             old != NULL && old[0] != '\0' ? ":" : "");
    setenv("ASAN_OPTIONS", asan, 1);
    snprintf(wt, sizeof(wt), "%d", WRITE_TIMEOUT_S * isms_test_slowdown());
    isms_test_env_start(&env, args);
    pg = isms_test_pg_connect(env.db.conninfo);
    isms_test_pg_exec(pg, "INSERT INTO asset (name, type, owner, classification, confidentiality,"
                          " integrity, availability, description, tags)"
                          " SELECT 'asset-' || g, 'hardware', 'ops', 'internal', 2, 2, 2,"
                          " repeat('an asset description ', 10), '{alpha,beta}'"
                          " FROM generate_series(1, 3000) g");

    ctl = isms_test_connect(env.srv.port);
    n = list_all_assets(ctl);
    cr_assert_eq(n, SEEDED_ASSETS, "Asset/List returned %d assets", n);
    timed_health(ctl);
    timed_context_get(ctl);
    rss0 = proc_kb(env.srv.pid, "VmRSS:");

    for (int i = 0; i < STUCK_CLIENTS; i++) {
        Isms__V1__ListAssetsRequest req = ISMS__V1__LIST_ASSETS_REQUEST__INIT;

        stuck[i] = connect_stuck(env.srv.port);
        for (int k = 0; k < STUCK_PIPELINE; k++)
            isms_test_send_request(stuck[i], isms_test_next_call_id(), "/isms.v1.Asset/List", 0,
                                   &req.base);
    }

    /* Until every stuck client is closed (or long past the write timeout), watch memory and
     * time control calls. Each client is stuck only once ismsd's socket send buffer (up to
     * 4 MB) is full: on a busy machine making those pages takes a while. */
    t_end = isms_test_now_ms() + (WRITE_TIMEOUT_S + 150) * 1000 * isms_test_slowdown();
    /* First the kernel's socket buffers take megabytes per client: pages are built for them
     * at full speed. Once those are full the stuck clients get nothing more. */
    t_steady = isms_test_now_ms() + WRITE_TIMEOUT_S * 1000 / 2 * isms_test_slowdown();
    while (isms_test_now_ms() < t_end && closed < STUCK_CLIENTS) {
        long rss = proc_kb(env.srv.pid, "VmRSS:");
        int64_t h = timed_health(ctl), c = timed_context_get(ctl);

        if (rss > rss_peak)
            rss_peak = rss;
        if (h > worst_health)
            worst_health = h;
        if (c > worst_ctx)
            worst_ctx = c;
        if (isms_test_now_ms() > t_steady && c > steady_ctx)
            steady_ctx = c;
        closed = 0;
        for (int i = 0; i < STUCK_CLIENTS; i++)
            closed += is_reset(stuck[i]);
        isms_test_sleep_ms(200);
    }
    hwm = proc_kb(env.srv.pid, "VmHWM:");
    cr_log_info("%d clients x %d pipelined Asset/List (%d assets), never reading: ismsd VmRSS "
                "%ld kB before, peak %ld kB (growth %ld kB), VmHWM %ld kB; control calls: "
                "Health worst %lld ms, Context/Get worst %lld ms (%lld ms once the stuck clients' "
                "socket buffers are full); %d of %d closed by the write timeout (%s s)",
                STUCK_CLIENTS, STUCK_PIPELINE, SEEDED_ASSETS, rss0, rss_peak, rss_peak - rss0, hwm,
                (long long)worst_health, (long long)worst_ctx, (long long)steady_ctx, closed,
                STUCK_CLIENTS, wt);
    fprintf(stderr,
            "bounded: rss_before_kb=%ld rss_peak_kb=%ld growth_kb=%ld hwm_kb=%ld "
            "health_worst_ms=%lld ctx_get_worst_ms=%lld ctx_get_steady_worst_ms=%lld "
            "closed=%d/%d\n",
            rss0, rss_peak, rss_peak - rss0, hwm, (long long)worst_health, (long long)worst_ctx,
            (long long)steady_ctx, closed, STUCK_CLIENTS);

    cr_expect_eq(closed, STUCK_CLIENTS, "only %d of %d stuck clients were closed", closed,
                 STUCK_CLIENTS);
    cr_expect_gt(isms_test_server_log_count(&env.srv, "output not drained within write_timeout_s"),
                 0, "no write-timeout close was logged");
    /* A Release ismsd peaks near 75 MB here (bench/README.md, "Stuck clients"); ASan's redzones
     * and quarantine add about half again. */
    cr_expect_lt(rss_peak - rss0, 160 * 1024, "ismsd grew by %ld kB", rss_peak - rss0);
    /* Generous: ASan, a 2-core machine shared with builds (without the bounds it took tens of
     * seconds; with one FIFO queue, 570 ms). The stuck clients' pages wait in the pool's bulk
     * lane, so Context/Get waits for at most one running statement per pool connection; Health
     * does not touch the database. */
    cr_expect_lt(worst_health, 1000 * isms_test_slowdown(), "Health took %lld ms",
                 (long long)worst_health);
    cr_expect_lt(worst_ctx, 1000 * isms_test_slowdown(), "Context/Get took %lld ms",
                 (long long)worst_ctx);

    for (int i = 0; i < STUCK_CLIENTS; i++)
        close(stuck[i]);
    /* The server is whole: a full stream still works. */
    n = list_all_assets(ctl);
    cr_expect_eq(n, SEEDED_ASSETS, "Asset/List after the stuck clients returned %d", n);
    isms_test_server_stop(&env.srv);
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

/* PostgreSQL frozen: the calls' statements never return, and the cancels sent at the end of the
 * drain block in PQcancel. ismsd must still exit 0 within drain + grace (+ 2 s). */
Test(bounded, shutdown_with_the_database_frozen_is_bounded)
{
    const char *args[] = {
        "--drain-timeout-s", "1", "--shutdown-grace-s", "2", "--pool-size", "2", NULL};
    char tmp[256], dir[300], conninfo[1024];
    struct isms_test_env env;
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    int fds[3];
    int64_t t0, took = -1;
    bool exited = false;

    isms_test_tmpdir(tmp, sizeof(tmp));
    snprintf(dir, sizeof(dir), "%s/pg", tmp);
    isms_test_pgcluster_create(dir, conninfo, sizeof(conninfo));
    isms_test_env_start_on(&env, conninfo, args);
    for (int i = 0; i < 3; i++)
        fds[i] = isms_test_connect(env.srv.port);

    signal_cluster(dir, SIGSTOP);
    /* From here on nothing may abort before SIGCONT: cr_expect only. */
    for (int i = 0; i < 3; i++)
        isms_test_send_request(fds[i], isms_test_next_call_id(), ISMS_M_CTX_GET, 0, &get.base);
    isms_test_sleep_ms(500); /* the statements are sent and stuck */
    t0 = isms_test_now_ms();
    kill(env.srv.pid, SIGTERM);
    while (isms_test_now_ms() - t0 < 20000) {
        if (!isms_test_server_alive(&env.srv)) {
            exited = true;
            took = isms_test_now_ms() - t0;
            break;
        }
        isms_test_sleep_ms(50);
    }
    cr_log_info("ismsd exited %lld ms after SIGTERM with the database frozen (drain 1 s, grace "
                "2 s)",
                (long long)took);
    fprintf(stderr, "bounded: shutdown_ms=%lld\n", (long long)took);
    cr_expect(exited, "ismsd did not exit within 20 s of SIGTERM with the database frozen");
    cr_expect_lt(took, (1 + 2 + 2) * 1000 * isms_test_slowdown(),
                 "ismsd took %lld ms to exit (drain 1 s + grace 2 s)", (long long)took);
    cr_expect(isms_test_server_wait_log(&env.srv, "shutdown grace is over", 1, 1000),
              "the exit without the pool is not logged");
    cr_expect(isms_test_server_wait_log(&env.srv, "cancels_blocked=", 1, 1000),
              "the blocked cancels are not counted in the log");
    signal_cluster(dir, SIGCONT);
    if (exited) {
        cr_assert(WIFEXITED(env.srv.exit_status) && WEXITSTATUS(env.srv.exit_status) == 0,
                  "ismsd exited with status %d, not 0", env.srv.exit_status);
    } else {
        isms_test_server_wait_exit_status(&env.srv, 30000, 0);
    }
    isms_test_server_check_log(&env.srv);
    isms_test_finish();
}
