/* tests/lib/tl_proc.c — runs a child process (ismsctl, pgcluster) capturing stdout and stderr,
 * with a timeout. The child gets stdin from /dev/null and dies with the test process. */
#define _GNU_SOURCE /* prctl(PR_SET_PDEATHSIG), pipe2 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "tl_internal.h"

extern char **environ;

struct capture {
    int fd;
    char *buf;
    size_t len, cap;
};

static void capture_read(struct capture *c)
{
    char tmp[4096];
    ssize_t r = read(c->fd, tmp, sizeof(tmp));

    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r <= 0) {
        close(c->fd);
        c->fd = -1;
        return;
    }
    if (c->len + (size_t)r + 1 > c->cap) {
        size_t ncap = (c->cap + (size_t)r + 1) * 2;
        char *nb = realloc(c->buf, ncap);

        cr_assert(nb != NULL, "out of memory capturing child output");
        c->buf = nb;
        c->cap = ncap;
    }
    memcpy(c->buf + c->len, tmp, (size_t)r);
    c->len += (size_t)r;
    c->buf[c->len] = '\0';
}

static char *capture_take(struct capture *c)
{
    if (c->buf == NULL)
        return strdup("");
    return c->buf;
}

bool isms_tl_run(struct isms_test_proc *p, const char *const *argv, const char *const *env_extra,
                 const char *input, int timeout_ms)
{
    int out[2], err[2], in[2] = {-1, -1};
    pid_t pid;
    struct capture cap[2];
    int64_t deadline = isms_test_now_ms() + timeout_ms;
    bool timed_out = false;
    int status = 0;

    memset(p, 0, sizeof(*p));
    cr_assert(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0, "pipe: %s",
              strerror(errno));
    if (input != NULL)
        cr_assert(pipe2(in, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    fflush(NULL);
    pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (in[0] >= 0)
            dup2(in[0], 0);
        else if (devnull >= 0)
            dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        for (size_t i = 0; env_extra != NULL && env_extra[i] != NULL; i++)
            putenv((char *)env_extra[i]);
        execve(argv[0], (char *const *)argv, environ);
        dprintf(2, "could not execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    if (input != NULL) {
        /* Small inputs only (a password line): they fit in the pipe buffer. */
        close(in[0]);
        if (write(in[1], input, strlen(input)) < 0)
            cr_log_warn("could not write the child's stdin: %s", strerror(errno));
        close(in[1]);
    }
    memset(cap, 0, sizeof(cap));
    cap[0].fd = out[0];
    cap[1].fd = err[0];
    while (cap[0].fd >= 0 || cap[1].fd >= 0) {
        struct pollfd pfd[2];
        nfds_t n = 0;
        int64_t left = deadline - isms_test_now_ms();
        struct capture *which[2];

        if (left <= 0) {
            timed_out = true;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (cap[i].fd < 0)
                continue;
            pfd[n].fd = cap[i].fd;
            pfd[n].events = POLLIN;
            which[n++] = &cap[i];
        }
        if (poll(pfd, n, (int)left) < 0 && errno != EINTR)
            break;
        for (nfds_t i = 0; i < n; i++)
            if (pfd[i].revents != 0)
                capture_read(which[i]);
    }
    if (timed_out)
        kill(pid, SIGKILL);
    for (int i = 0; i < 2; i++)
        if (cap[i].fd >= 0)
            close(cap[i].fd);
    /* Output is closed; the child may still be exiting (or ignore a closed pipe). */
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);

        if (w == pid || (w < 0 && errno != EINTR))
            break;
        if (isms_test_now_ms() > deadline) {
            timed_out = true;
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        isms_test_sleep_ms(5);
    }
    p->out = capture_take(&cap[0]);
    p->err = capture_take(&cap[1]);
    if (WIFEXITED(status))
        p->exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        p->exit_code = 128 + WTERMSIG(status);
    else
        p->exit_code = -1;
    return !timed_out;
}

void isms_test_run(struct isms_test_proc *p, const char *const *argv, const char *const *env_extra,
                   int timeout_ms)
{
    isms_test_run_input(p, argv, env_extra, NULL, timeout_ms);
}

void isms_test_run_input(struct isms_test_proc *p, const char *const *argv,
                         const char *const *env_extra, const char *input, int timeout_ms)
{
    if (!isms_tl_run(p, argv, env_extra, input, timeout_ms))
        cr_assert_fail("%s %s did not finish within %d ms; stdout:\n%s\nstderr:\n%s", argv[0],
                       argv[1] != NULL ? argv[1] : "", timeout_ms, p->out, p->err);
}

void isms_test_proc_cleanup(struct isms_test_proc *p)
{
    free(p->out);
    free(p->err);
    p->out = NULL;
    p->err = NULL;
}

const char *isms_test_ismsctl_path(void)
{
    const char *e = getenv("ISMS_TEST_ISMSCTL");

    if (e != NULL && e[0] != '\0')
        return e;
#ifdef ISMS_TEST_ISMSCTL_PATH
    return ISMS_TEST_ISMSCTL_PATH;
#else
    return NULL;
#endif
}

/* The private HOME of this test's ismsctl runs, made on first use. */
static char ctl_home[256];

const char *isms_test_ismsctl_home(void)
{
    if (ctl_home[0] == '\0')
        isms_test_tmpdir(ctl_home, sizeof(ctl_home));
    return ctl_home;
}

void isms_test_ismsctl_env(struct isms_test_proc *p, int port, const char *const *args,
                           const char *input, const char *const *env_extra)
{
    const char *argv[64];
    char server[64], home_env[300], xdg_env[320];
    const char *env[24];
    size_t n = 0, ne = 0;
    const char *home;

    argv[n++] = isms_test_ismsctl_path();
    cr_assert(argv[0] != NULL, "ismsctl was not built (no ismsctl target)");
    while (args[n - 1] != NULL) {
        cr_assert(n < 63, "too many ismsctl arguments");
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
    /* A private HOME, kept for the whole test: ismsctl keeps its login there, and must not
     * read or write the developer's own settings. */
    home = isms_test_ismsctl_home();
    snprintf(server, sizeof(server), "ISMS_SERVER=127.0.0.1:%d", port);
    snprintf(home_env, sizeof(home_env), "HOME=%s", home);
    snprintf(xdg_env, sizeof(xdg_env), "XDG_CONFIG_HOME=%s/.config", home);
    env[ne++] = server;
    env[ne++] = "ISMS_PLAINTEXT=1"; /* test servers run --plaintext=true on loopback */
    env[ne++] = home_env;
    env[ne++] = xdg_env;
    for (size_t i = 0; env_extra != NULL && env_extra[i] != NULL; i++) {
        cr_assert(ne < 23, "too many environment variables for ismsctl");
        env[ne++] = env_extra[i];
    }
    env[ne] = NULL;
    isms_test_run_input(p, argv, env, input, 60000);
}

void isms_test_ismsctl_input(struct isms_test_proc *p, int port, const char *const *args,
                             const char *input)
{
    isms_test_ismsctl_env(p, port, args, input, NULL);
}

void isms_test_ismsctl_expect(struct isms_test_proc *p, int port, int want, const char *input,
                              const char *const *env_extra, const char *const *args)
{
    char cmdline[512] = "";
    size_t o = 0;

    for (size_t i = 0; args[i] != NULL && o < sizeof(cmdline); i++)
        o += (size_t)snprintf(cmdline + o, sizeof(cmdline) - o, " %s", args[i]);
    isms_test_ismsctl_env(p, port, args, input, env_extra);
    cr_assert_eq(p->exit_code, want, "ismsctl%s exited %d, expected %d\nstdout:\n%s\nstderr:\n%s",
                 cmdline, p->exit_code, want, p->out, p->err);
}

const char *isms_test_find_program(const char *name)
{
    static char found[1024];
    const char *path = getenv("PATH");
    const char *p;

    if (path == NULL || path[0] == '\0')
        path = "/usr/local/bin:/usr/bin:/bin";
    for (p = path; *p != '\0';) {
        const char *colon = strchr(p, ':');
        size_t len = colon != NULL ? (size_t)(colon - p) : strlen(p);

        if (len > 0 && len + strlen(name) + 2 < sizeof(found)) {
            snprintf(found, sizeof(found), "%.*s/%s", (int)len, p, name);
            if (access(found, X_OK) == 0)
                return found;
        }
        p += len;
        if (*p == ':')
            p++;
    }
    return NULL;
}

void isms_test_ismsctl(struct isms_test_proc *p, int port, const char *const *args)
{
    isms_test_ismsctl_input(p, port, args, NULL);
}

const char *isms_test_pgcluster_path(void)
{
    static char path[1024];
    const char *src = getenv("ISMS_SOURCE_DIR");

    if (src == NULL || src[0] == '\0')
        src = ISMS_TEST_SOURCE_DIR;
    snprintf(path, sizeof(path), "%s/tests/lib/pgcluster", src);
    return path;
}

void isms_test_pgcluster_create(const char *dir, char *conninfo, size_t len)
{
    const char *argv[] = {isms_test_pgcluster_path(), "create", dir, NULL};
    struct isms_test_proc p;
    char *nl;

    cr_assert(access(argv[0], X_OK) == 0, "%s is missing or not executable", argv[0]);
    isms_tl_cluster_register(dir);
    isms_test_run(&p, argv, NULL, 180000);
    cr_assert(p.exit_code == 0, "pgcluster create %s exited %d; stderr:\n%s", dir, p.exit_code,
              p.err);
    /* The conninfo is the last non-empty line of stdout. */
    nl = p.out + strlen(p.out);
    while (nl > p.out && (nl[-1] == '\n' || nl[-1] == '\r'))
        *--nl = '\0';
    nl = strrchr(p.out, '\n');
    snprintf(conninfo, len, "%s", nl != NULL ? nl + 1 : p.out);
    cr_assert(conninfo[0] != '\0', "pgcluster create printed no conninfo");
    isms_test_proc_cleanup(&p);
}

void isms_test_pgcluster(const char *verb, const char *dir)
{
    const char *argv[] = {isms_test_pgcluster_path(), verb, dir, NULL};
    struct isms_test_proc p;

    isms_test_run(&p, argv, NULL, 180000);
    cr_assert(p.exit_code == 0, "pgcluster %s %s exited %d; stdout:\n%s\nstderr:\n%s", verb, dir,
              p.exit_code, p.out, p.err);
    isms_test_proc_cleanup(&p);
}
