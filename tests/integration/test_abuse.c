/* tests/integration/test_abuse.c — limits under abuse against a real ismsd: 2,000 idle
 * connections held at once (ismsd's memory is printed, not asserted), the per-address
 * connection cap, and slowloris clients that trickle a frame byte by byte until the frame
 * timeout closes them, while other clients are served. */
#define _GNU_SOURCE /* MSG_DONTWAIT (not POSIX) */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "common/frame.h"
#include "testlib.h"

TestSuite(abuse, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define IDLE_CONNS 2000

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

static int info_connections(int port)
{
    Isms__V1__InfoRequest req = ISMS__V1__INFO_REQUEST__INIT;
    struct isms_test_reply rep;
    int fd = isms_test_connect(port);
    int n;

    isms_test_set_token(NULL);
    isms_test_unary(fd, ISMS_M_INFO, &req.base, 0, &isms__v1__info_response__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "Info");
    n = (int)((Isms__V1__InfoResponse *)rep.body)->connections;
    isms_test_reply_cleanup(&rep);
    isms_test_close(fd);
    return n;
}

/* A plain connect, not registered with testlib (which tracks only a few dozen fds). */
static int raw_connect(int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        cr_assert_eq(errno, EINTR, "connect: %s", strerror(errno));
    }
    return fd;
}

Test(abuse, two_thousand_idle_connections)
{
    const char *args[] = {"--max-conns",
                          "3000",
                          "--max-conns-per-addr",
                          "3000",
                          "--login-timeout-s",
                          "600",
                          "--idle-timeout-s",
                          "600",
                          NULL};
    struct isms_test_env env;
    struct rlimit rl;
    int *fds = calloc(IDLE_CONNS, sizeof(int));
    long rss0, rss1, hwm1;
    int64_t deadline;
    char status[32];
    int n;

    cr_assert_not_null(fds);
    /* Both ends need the descriptors; ismsd inherits the limit from this process. */
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < IDLE_CONNS + 512) {
        cr_assert_geq(rl.rlim_max, (rlim_t)IDLE_CONNS + 512,
                      "RLIMIT_NOFILE hard limit %llu is too low for %d connections",
                      (unsigned long long)rl.rlim_max, IDLE_CONNS);
        rl.rlim_cur = rl.rlim_max < 8192 ? rl.rlim_max : 8192;
        cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "setrlimit: %s", strerror(errno));
    }
    isms_test_env_start(&env, args);
    rss0 = proc_kb(env.srv.pid, "VmRSS:");

    for (int i = 0; i < IDLE_CONNS; i++)
        fds[i] = raw_connect(env.srv.port);
    /* Accepting is asynchronous: wait until ismsd holds them all. */
    deadline = isms_test_now_ms() + 60000;
    while ((n = info_connections(env.srv.port)) < IDLE_CONNS + 1) {
        cr_assert(isms_test_now_ms() < deadline, "ismsd holds %d of %d connections after 60 s", n,
                  IDLE_CONNS);
        isms_test_sleep_ms(100);
    }
    cr_assert_eq(isms_test_health(env.srv.port, status, sizeof(status)), 0,
                 "Health beside %d idle connections", IDLE_CONNS);
    cr_assert_str_eq(status, "SERVING");
    rss1 = proc_kb(env.srv.pid, "VmRSS:");
    hwm1 = proc_kb(env.srv.pid, "VmHWM:");
    cr_log_info("ismsd with %d idle connections: VmRSS %ld kB (%ld kB before them, %.1f kB per "
                "connection), VmHWM %ld kB",
                IDLE_CONNS, rss1, rss0, (double)(rss1 - rss0) / IDLE_CONNS, hwm1);
    printf("FIGURE idle_conns=%d ismsd_vmrss_kb=%ld ismsd_vmrss_before_kb=%ld "
           "per_conn_kb=%.1f ismsd_vmhwm_kb=%ld (%s)\n",
           IDLE_CONNS, rss1, rss0, (double)(rss1 - rss0) / IDLE_CONNS, hwm1,
           isms_test_ismsd_path());
    fflush(stdout);

    /* Every idle connection is still usable: a sample of them gets a Health answer. */
    for (int i = 0; i < IDLE_CONNS; i += 250) {
        Isms__V1__HealthRequest h = ISMS__V1__HEALTH_REQUEST__INIT;
        Isms__V1__Response *r;
        size_t len;
        uint8_t *f =
            isms_test_frame_request(&len, (uint64_t)i + 1, ISMS_M_HEALTH, 0, &h.base, NULL, 0);

        isms_test_send(fds[i], f, len);
        free(f);
        r = isms_test_read_response(fds[i], ISMS_TEST_REPLY_TIMEOUT_MS, "Health on an idle conn");
        cr_assert_eq(r->code, 0);
        isms__v1__response__free_unpacked(r, NULL);
    }
    for (int i = 0; i < IDLE_CONNS; i++)
        close(fds[i]);
    free(fds);
    deadline = isms_test_now_ms() + 60000;
    while ((n = info_connections(env.srv.port)) > 1) {
        cr_assert(isms_test_now_ms() < deadline, "ismsd still holds %d connections after 60 s", n);
        isms_test_sleep_ms(100);
    }
    isms_test_server_assert_alive(&env.srv, "after 2,000 connections closed");
    isms_test_finish();
}

/* Health on `fd`: OK, or the connection was closed (EOF) without an answer. */
static enum isms_test_io try_health(int fd, uint64_t id)
{
    Isms__V1__HealthRequest h = ISMS__V1__HEALTH_REQUEST__INIT;
    Isms__V1__Response *r;
    enum isms_test_io io;
    size_t len;
    uint8_t *f = isms_test_frame_request(&len, id, ISMS_M_HEALTH, 0, &h.base, NULL, 0);

    isms_test_try_send(fd, f, len);
    free(f);
    io = isms_test_try_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, &r);
    if (io == ISMS_TEST_IO_OK) {
        cr_assert_eq(r->call_id, id);
        cr_assert_eq(r->code, 0, "Health: %s: %s", isms_code_name(r->code), r->message);
        isms__v1__response__free_unpacked(r, NULL);
    }
    return io;
}

Test(abuse, per_address_cap_closes_the_extra_connection)
{
    const char *args[] = {"--max-conns-per-addr", "3", NULL};
    struct isms_test_env env;
    int c[3], extra;
    int64_t deadline;
    bool served = false;

    isms_test_env_start(&env, args);
    isms_test_set_token(NULL);
    for (int i = 0; i < 3; i++) {
        c[i] = isms_test_connect(env.srv.port);
        cr_assert_eq(try_health(c[i], (uint64_t)i + 1), ISMS_TEST_IO_OK,
                     "connection %d of 3 not served", i + 1);
    }
    extra = isms_test_connect(env.srv.port);
    cr_assert_eq(try_health(extra, 4), ISMS_TEST_IO_EOF,
                 "the 4th connection from 127.0.0.1 was not closed");
    isms_test_close(extra);
    cr_assert(isms_test_server_wait_log(&env.srv, "per-address connection limit reached", 1, 20000),
              "no log line for the per-address limit");
    for (int i = 0; i < 3; i++)
        cr_assert_eq(try_health(c[i], (uint64_t)i + 10), ISMS_TEST_IO_OK,
                     "connection %d stopped being served", i + 1);

    /* Once one closes, a new connection is served again (the close is seen asynchronously). */
    isms_test_close(c[0]);
    deadline = isms_test_now_ms() + 20000;
    while (!served) {
        int fd = isms_test_connect(env.srv.port);

        served = try_health(fd, 20) == ISMS_TEST_IO_OK;
        isms_test_close(fd);
        cr_assert(served || isms_test_now_ms() < deadline,
                  "no new connection served after one of three closed");
        if (!served)
            isms_test_sleep_ms(50);
    }
    isms_test_finish();
}

/* True once the peer has closed `fd` (reads EOF or a reset without blocking). */
static bool peer_closed(int fd)
{
    char b[64];
    ssize_t r = recv(fd, b, sizeof(b), MSG_DONTWAIT);

    return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* On `fd`, sends the first `initial` bytes of a frame announcing a 100-byte body, then one
 * more byte every 300 ms, until the server closes the connection (true) or 20 s pass (false).
 * A second client is served in the middle. */
static bool trickle(int port, int fd, size_t initial, int *bytes_sent, int64_t *closed_after_ms)
{
    uint8_t frame[ISMS_FRAME_HEADER_BYTES + 100];
    int64_t start = isms_test_now_ms();
    bool checked_other = false;
    size_t sent = initial;

    isms_frame_header(frame, 0, 100);
    memset(frame + ISMS_FRAME_HEADER_BYTES, 0x08, 100);
    isms_test_send(fd, frame, initial);
    while (isms_test_now_ms() - start < 20000) {
        isms_test_sleep_ms(300);
        if (peer_closed(fd))
            break;
        cr_assert_lt(sent + 1, sizeof(frame), "the trickled frame was about to complete");
        if (!isms_test_try_send(fd, frame + sent, 1))
            break;
        sent++;
        if (!checked_other && isms_test_now_ms() - start > 600) {
            char status[32];

            cr_assert_eq(isms_test_health(port, status, sizeof(status)), 0,
                         "Health on another connection during the slowloris");
            checked_other = true;
        }
    }
    *bytes_sent = (int)sent;
    *closed_after_ms = isms_test_now_ms() - start;
    return isms_test_wait_closed(fd, 1000);
}

static const char *const slow_args[] = {
    "--frame-timeout-s", "2", "--login-timeout-s", "600", "--idle-timeout-s", "600", NULL};

Test(abuse, slowloris_body_is_closed_by_the_frame_timeout)
{
    struct isms_test_env env;
    int sent;
    int64_t ms;

    isms_test_env_start(&env, slow_args);
    cr_assert(
        trickle(env.srv.port, isms_test_connect(env.srv.port), ISMS_FRAME_HEADER_BYTES, &sent, &ms),
        "a client trickling one byte per 300 ms was not closed within 20 s "
        "(frame_timeout_s=2)");
    cr_log_info("slowloris (header sent, body trickled): closed after %lld ms and %d bytes",
                (long long)ms, sent);
    cr_assert(
        isms_test_server_wait_log(&env.srv, "frame not completed within frame_timeout_s", 1, 20000),
        "ismsd did not say why it closed the connection");
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    isms_test_finish();
}

Test(abuse, slowloris_header_is_closed_by_the_frame_timeout)
{
    struct isms_test_env env;
    int sent;
    int64_t ms;

    isms_test_env_start(&env, slow_args);
    cr_assert(trickle(env.srv.port, isms_test_connect(env.srv.port), 1, &sent, &ms),
              "a client trickling a frame header was not closed within 20 s");
    cr_log_info("slowloris (header trickled): closed after %lld ms and %d bytes", (long long)ms,
                sent);
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    isms_test_finish();
}

Test(abuse, slowloris_after_login_is_closed_too)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    int sent, fd;
    int64_t ms;

    /* An authenticated connection gets no more patience than an anonymous one. */
    isms_test_env_start(&env, slow_args);
    fd = isms_test_connect(env.srv.port);
    isms_test_unary(fd, ISMS_M_CTX_GET, &get.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Get before the slowloris");
    isms_test_reply_cleanup(&rep);
    cr_assert(trickle(env.srv.port, fd, ISMS_FRAME_HEADER_BYTES, &sent, &ms),
              "a logged-in client trickling a frame was not closed within 20 s");
    cr_log_info("slowloris (logged in): closed after %lld ms and %d bytes", (long long)ms, sent);
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    isms_test_finish();
}

static bool peer_closed_within(int fd, int timeout_ms)
{
    int64_t deadline = isms_test_now_ms() + timeout_ms;

    while (!peer_closed(fd)) {
        if (isms_test_now_ms() > deadline)
            return false;
        isms_test_sleep_ms(20);
    }
    return true;
}

/* A full table of idle connections that never log in must not keep a real client out until
 * their login timeout: the oldest unauthenticated one makes room at once. */
Test(abuse, full_table_of_unauthenticated_idle_connections_makes_room)
{
    const char *args[] = {"--max-conns", "20", "--login-timeout-s", "600", NULL};
    struct isms_test_env env;
    int idle[20], fd;
    char token[128];
    int64_t t0;

    isms_test_env_start(&env, args);
    isms_test_set_token(NULL);
    for (int i = 0; i < 20; i++) {
        idle[i] = isms_test_connect(env.srv.port);
        cr_assert_eq(try_health(idle[i], (uint64_t)i + 1), ISMS_TEST_IO_OK,
                     "idle connection %d not served", i + 1);
    }
    t0 = isms_test_now_ms();
    fd = isms_test_connect(env.srv.port);
    cr_assert_eq(try_health(fd, 100), ISMS_TEST_IO_OK,
                 "a new client is served while 20 idle unauthenticated connections fill the table");
    cr_expect(isms_test_now_ms() - t0 < 1000, "served within a second");
    cr_assert(isms_test_server_wait_log(&env.srv, "closing the oldest unauthenticated", 1, 5000));
    cr_expect(peer_closed_within(idle[0], 5000), "the oldest idle connection was the one closed");
    for (int i = 1; i < 20; i++)
        cr_expect(!peer_closed(idle[i]), "idle connection %d was closed too", i + 1);
    /* And the new client can log in and work. */
    cr_assert_eq(isms_test_login(env.srv.port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD,
                                 token, sizeof(token)),
                 0);
    isms_test_finish();
}

/* Refused connections log a bounded number of lines however many arrive. */
Test(abuse, refused_connections_are_logged_at_a_bounded_rate)
{
    const char *args[] = {"--max-conns-per-addr", "2", NULL};
    struct isms_test_env env;
    int keep[2];
    int64_t t0 = isms_test_now_ms(), secs;
    int lines;

    isms_test_env_start(&env, args);
    isms_test_set_token(NULL);
    keep[0] = isms_test_connect(env.srv.port);
    keep[1] = isms_test_connect(env.srv.port);
    for (int i = 0; i < 500; i++) {
        int fd = isms_test_try_connect(env.srv.port);

        if (fd >= 0)
            isms_test_close(fd);
    }
    isms_test_sleep_ms(300);
    secs = (isms_test_now_ms() - t0) / 1000 + 1;
    lines = isms_test_server_log_count(&env.srv, "per-address connection limit reached");
    cr_expect(lines >= 1, "at least one line says what happened");
    cr_expect(lines <= 10 * (secs + 1), "%d lines in about %lld s for 498 refusals", lines,
              (long long)secs);
    cr_expect_eq(isms_test_server_log_count(&env.srv, "connection opened"), 0,
                 "per-connection lines are at debug level");
    (void)keep;
    isms_test_finish();
}
