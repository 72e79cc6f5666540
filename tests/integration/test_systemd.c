/* tests/integration/test_systemd.c — ismsd as a systemd service. The unit in deploy/ passes
 * `systemd-analyze verify` and keeps its `systemd-analyze security` exposure at 1.4 or below
 * (both offline, no running systemd needed); and ismsd speaks the notify protocol as
 * Type=notify with WatchdogSec expects: READY=1 once it serves, WATCHDOG=1 at half the
 * watchdog interval, STOPPING=1 on SIGTERM, read here from a NOTIFY_SOCKET the test owns. */
#define _GNU_SOURCE /* setenv */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "testlib.h"

TestSuite(systemd, .init = isms_test_init, .fini = isms_test_fini, .timeout = 120);

/* deploy/ismsd.service with ExecStart pointing at the ismsd under test (verify checks that the
 * program exists), written to DIR/ismsd.service; returns that path (static). */
static const char *unit_under_test(const char *dir)
{
    static char path[512];
    char src[512];
    char *text, *at;
    FILE *f;

    snprintf(src, sizeof(src), "%s/deploy/ismsd.service",
             isms_test_require_env("ISMS_SOURCE_DIR", "to read deploy/"));
    text = isms_test_read_file(src);
    cr_assert_not_null(text, "cannot read %s", src);
    snprintf(path, sizeof(path), "%s/ismsd.service", dir);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    at = strstr(text, "ExecStart=/usr/local/sbin/ismsd");
    cr_assert_not_null(at, "the unit no longer starts /usr/local/sbin/ismsd");
    fwrite(text, 1, (size_t)(at - text), f);
    fprintf(f, "ExecStart=%s", isms_test_ismsd_path());
    fputs(at + strlen("ExecStart=/usr/local/sbin/ismsd"), f);
    fclose(f);
    free(text);
    return path;
}

Test(systemd, the_unit_verifies_and_keeps_its_security_exposure)
{
    const char *analyze = isms_test_find_program("systemd-analyze");
    char dir[256];
    struct isms_test_proc p;
    const char *unit;
    const char *at;
    double exposure;

    cr_assert_not_null(analyze, "systemd-analyze is not installed (package systemd)");
    isms_test_tmpdir(dir, sizeof(dir));
    unit = unit_under_test(dir);
    isms_test_run(&p, (const char *const[]){analyze, "verify", unit, NULL}, NULL, 60000);
    cr_expect_eq(p.exit_code, 0, "systemd-analyze verify: %s%s", p.out, p.err);
    cr_expect_eq(p.err[0], '\0', "systemd-analyze verify warned: %s", p.err);
    isms_test_proc_cleanup(&p);

    isms_test_run(
        &p, (const char *const[]){analyze, "security", "--offline=true", "--no-pager", unit, NULL},
        NULL, 60000);
    at = strstr(p.out, "Overall exposure level for ismsd.service: ");
    cr_assert_not_null(at, "no exposure level in: %s%s", p.out, p.err);
    exposure = strtod(at + strlen("Overall exposure level for ismsd.service: "), NULL);
    cr_expect_leq(exposure, 1.4, "exposure %.1f (keep it at 1.4 or below)", exposure);
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

/* Waits up to timeout_ms for a datagram containing `want` (each datagram may hold several
 * newline-separated assignments); counts every datagram holding `count_also` on the way. */
static bool wait_notify(int fd, const char *want, int timeout_ms, const char *count_also,
                        int *counted)
{
    int64_t end = isms_test_now_ms() + timeout_ms;

    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int64_t left = end - isms_test_now_ms();
        char buf[4096];
        ssize_t n;

        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            return false;
        n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n < 0)
            continue;
        buf[n] = '\0';
        if (count_also != NULL && counted != NULL && strstr(buf, count_also) != NULL)
            (*counted)++;
        if (strstr(buf, want) != NULL)
            return true;
    }
}

Test(systemd, ismsd_notifies_ready_watchdog_and_stopping)
{
    struct isms_test_env env;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char dir[256];
    int fd, pings = 0;
    int64_t t0;

    isms_test_tmpdir(dir, sizeof(dir));
    cr_assert_lt(strlen(dir) + sizeof("/notify"), sizeof(sa.sun_path), "%s is too long", dir);
    memcpy(sa.sun_path, dir, strlen(dir));
    memcpy(sa.sun_path + strlen(dir), "/notify", sizeof("/notify"));
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind %s: %s", sa.sun_path,
                 strerror(errno));
    setenv("NOTIFY_SOCKET", sa.sun_path, 1);
    setenv("WATCHDOG_USEC", "400000", 1); /* 0.4 s: ismsd must ping every 0.2 s */
    isms_test_env_start(&env, NULL);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");

    cr_assert(wait_notify(fd, "READY=1", 20000, NULL, NULL), "no READY=1");
    t0 = isms_test_now_ms();
    while (isms_test_now_ms() - t0 < 2000)
        if (!wait_notify(fd, "WATCHDOG=1", 2000, NULL, NULL))
            break;
        else
            pings++;
    /* Two seconds at one ping per 0.2 s: about 10; under load at least half of them. */
    cr_expect_geq(pings, 5, "%d WATCHDOG=1 in 2 s with WatchdogSec=0.4s", pings);
    kill(env.srv.pid, SIGTERM);
    cr_expect(wait_notify(fd, "STOPPING=1", 10000, NULL, NULL), "no STOPPING=1 after SIGTERM");
    isms_test_server_wait_exit(&env.srv, 30000);
    close(fd);
    isms_test_finish();
}
