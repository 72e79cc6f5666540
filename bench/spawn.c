/* bench/spawn.c — starts ismsd on 127.0.0.1:0, learns its port from the log, drains its stderr
 * on a thread, and stops it with SIGTERM; also runs `ismsd --bootstrap-admin` for a bench user. The
 * child dies with us (PR_SET_PDEATHSIG), so an interrupted benchmark never leaves a daemon behind.
 */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_listening(struct isms_bench_ismsd *d, const char *line);

/* Keeps one complete log line: counts it and remembers it in the tail ring. */
static void keep_line(struct isms_bench_ismsd *d, const char *line, size_t len)
{
    char *slot = d->tail[d->tail_next];

    if (len >= ISMS_BENCH_LINE_MAX)
        len = ISMS_BENCH_LINE_MAX - 1;
    memcpy(slot, line, len);
    slot[len] = '\0';
    d->tail_next = (d->tail_next + 1) % ISMS_BENCH_TAIL_LINES;
    d->lines++;
    if (!d->is_listening)
        d->is_listening = parse_listening(d, slot);
    if (strstr(slot, "level=warn") != NULL || strstr(slot, "level=error") != NULL) {
        if (strstr(slot, "level=error") != NULL)
            d->error_lines++;
        else
            d->warn_lines++;
        if (d->first_problem[0] == '\0')
            memcpy(d->first_problem, slot, len + 1);
    }
}

/* Splits `n` bytes into lines; an over-long line is cut, never lost track of. */
static void feed(struct isms_bench_ismsd *d, const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] == '\n') {
            keep_line(d, d->partial, d->partial_len);
            d->partial_len = 0;
        } else if (d->partial_len < sizeof(d->partial) - 1) {
            d->partial[d->partial_len++] = p[i];
        }
    }
}

static void *drain_main(void *arg)
{
    struct isms_bench_ismsd *d = arg;
    char buf[65536];
    ssize_t n;

    for (;;) {
        n = read(d->err_fd, buf, sizeof(buf));
        if (n > 0) {
            feed(d, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    if (d->partial_len > 0)
        keep_line(d, d->partial, d->partial_len);
    close(d->err_fd);
    d->err_fd = -1;
    return NULL;
}

/* Finds `addr=HOST:PORT` in a `msg="listening"` line. */
static int parse_listening(struct isms_bench_ismsd *d, const char *line)
{
    const char *a, *colon, *end;
    size_t hlen, plen;

    if (strstr(line, "msg=\"listening\"") == NULL)
        return 0;
    a = strstr(line, " addr=");
    if (a == NULL)
        return 0;
    a += strlen(" addr=");
    if (*a == '"')
        a++;
    end = a + strcspn(a, " \"");
    colon = end;
    while (colon > a && colon[-1] != ':')
        colon--;
    if (colon == a)
        return 0;
    hlen = (size_t)(colon - 1 - a);
    plen = (size_t)(end - colon);
    if (hlen == 0 || hlen >= sizeof(d->host) || plen == 0 || plen >= sizeof(d->port))
        return 0;
    memcpy(d->host, a, hlen);
    d->host[hlen] = '\0';
    if (d->host[0] == '[' && d->host[hlen - 1] == ']') {
        memmove(d->host, d->host + 1, hlen - 2);
        d->host[hlen - 2] = '\0';
    }
    memcpy(d->port, colon, plen);
    d->port[plen] = '\0';
    return 1;
}

/* Appends ismsd's last log lines to `err`. */
static void add_tail(struct isms_bench_ismsd *d, char *err, size_t errlen)
{
    unsigned i;

    for (i = 0; i < ISMS_BENCH_TAIL_LINES; i++) {
        const char *line = d->tail[(d->tail_next + i) % ISMS_BENCH_TAIL_LINES];
        size_t used = strlen(err);

        if (line[0] != '\0' && used < errlen)
            snprintf(err + used, errlen - used, "\n  ismsd: %s", line);
    }
}

static void describe_exit(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, len, "stopped");
}

/* Runs in the child: never returns. */
static void exec_ismsd(int err_w, const char *path, const char *conninfo, char *const *extra,
                       size_t nextra)
{
    char **argv = calloc(nextra + 8, sizeof(*argv));
    size_t i, n = 0;

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (dup2(err_w, STDERR_FILENO) < 0 || argv == NULL)
        _exit(127);
    close(err_w);
    /* ismsd signs audit checkpoints with a key file; the default path needs its state dir. */
    if (getenv("ISMSD_AUDIT_KEY") == NULL) {
        char key[64];

        snprintf(key, sizeof(key), "/tmp/ismsbench-%ld-audit.key", (long)getuid());
        setenv("ISMSD_AUDIT_KEY", key, 1);
    }
    argv[n++] = (char *)path;
    argv[n++] = (char *)"--listen";
    argv[n++] = (char *)"127.0.0.1:0";
    argv[n++] = (char *)"--plaintext=true"; /* ismsbench speaks no TLS; loopback allows this */
    argv[n++] = (char *)"--db";
    argv[n++] = (char *)conninfo;
    for (i = 0; i < nextra; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    execv(path, argv);
    dprintf(STDERR_FILENO, "level=error msg=\"could not run ismsd\" path=\"%s\" err=\"%s\"\n", path,
            strerror(errno));
    _exit(127);
}

int isms_bench_ismsd_start(struct isms_bench_ismsd *d, const char *path, const char *conninfo,
                           char *const *extra, size_t nextra, double wait_s, char *err,
                           size_t errlen)
{
    int fds[2];
    char buf[4096];
    double deadline = now_s() + wait_s;
    int found = 0, status, rc;
    char how[64];

    memset(d, 0, sizeof(*d));
    d->err_fd = -1;
    if (pipe(fds) != 0) {
        snprintf(err, errlen, "could not create a pipe: %s", strerror(errno));
        return -1;
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fflush(NULL);
    d->pid = fork();
    if (d->pid < 0) {
        snprintf(err, errlen, "could not fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (d->pid == 0)
        exec_ismsd(fds[1], path, conninfo, extra, nextra);
    close(fds[1]);
    d->err_fd = fds[0];

    /* Read the log line by line until the listening line, EOF or the deadline. */
    while (!found) {
        struct pollfd pfd = {.fd = d->err_fd, .events = POLLIN};
        double left = deadline - now_s();
        ssize_t n;

        if (left <= 0) {
            snprintf(err, errlen, "ismsd did not log \"listening\" within %.0f s", wait_s);
            add_tail(d, err, errlen);
            kill(d->pid, SIGKILL);
            waitpid(d->pid, &status, 0);
            close(d->err_fd);
            return -1;
        }
        rc = poll(&pfd, 1, (int)(left * 1000.0) + 1);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        n = read(d->err_fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        feed(d, buf, (size_t)n);
        found = d->is_listening;
    }
    if (!found) {
        waitpid(d->pid, &status, 0);
        describe_exit(status, how, sizeof(how));
        snprintf(err, errlen, "ismsd %s before it listened", how);
        add_tail(d, err, errlen);
        close(d->err_fd);
        return -1;
    }
    rc = pthread_create(&d->drain, NULL, drain_main, d);
    if (rc != 0) {
        snprintf(err, errlen, "could not start a thread: %s", strerror(rc));
        kill(d->pid, SIGKILL);
        waitpid(d->pid, &status, 0);
        close(d->err_fd);
        return -1;
    }
    d->has_drain = 1;
    return 0;
}

int isms_bench_ismsd_bootstrap(const char *path, const char *conninfo, char *const *extra,
                               size_t nextra, const char *user, const char *password, char *err,
                               size_t errlen)
{
    int in[2], outp[2], status = 0;
    char **argv = calloc(nextra + 6, sizeof(*argv));
    char buf[1024], how[64];
    size_t n = 0, i, used = 0;
    ssize_t r;
    pid_t pid;

    if (argv == NULL || pipe(in) != 0) {
        snprintf(err, errlen, "could not create a pipe: %s", strerror(errno));
        free(argv);
        return -1;
    }
    if (pipe(outp) != 0) {
        snprintf(err, errlen, "could not create a pipe: %s", strerror(errno));
        close(in[0]);
        close(in[1]);
        free(argv);
        return -1;
    }
    argv[n++] = (char *)path;
    argv[n++] = (char *)"--bootstrap-admin";
    argv[n++] = (char *)user;
    argv[n++] = (char *)"--db";
    argv[n++] = (char *)conninfo;
    for (i = 0; i < nextra; i++)
        argv[n++] = extra[i];
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (dup2(in[0], STDIN_FILENO) < 0 || dup2(outp[1], STDOUT_FILENO) < 0 ||
            dup2(outp[1], STDERR_FILENO) < 0)
            _exit(127);
        close(in[0]);
        close(in[1]);
        close(outp[0]);
        close(outp[1]);
        execv(path, argv);
        dprintf(STDERR_FILENO, "could not run %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    free(argv);
    close(in[0]);
    close(outp[1]);
    if (pid < 0) {
        snprintf(err, errlen, "could not fork: %s", strerror(errno));
        close(in[1]);
        close(outp[0]);
        return -1;
    }
    /* A password line is far below the pipe's capacity, so this write cannot block. */
    dprintf(in[1], "%s\n", password);
    close(in[1]);
    /* Keep the last bytes of its output for the error message. */
    while ((r = read(outp[0], buf + used, sizeof(buf) - 1 - used)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        used += (size_t)r;
        if (used == sizeof(buf) - 1) {
            memmove(buf, buf + used / 2, used - used / 2);
            used -= used / 2;
        }
    }
    buf[used] = '\0';
    close(outp[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    describe_exit(status, how, sizeof(how));
    while (used > 0 && (buf[used - 1] == '\n' || buf[used - 1] == '\r'))
        buf[--used] = '\0';
    snprintf(err, errlen, "ismsd --bootstrap-admin %s%s%s", how, used ? "; its output:\n  " : "",
             buf);
    return -1;
}

int isms_bench_ismsd_stop(struct isms_bench_ismsd *d, double wait_s, int *exit_code)
{
    double deadline = now_s() + wait_s;
    struct timespec pause = {0, 20 * 1000 * 1000};
    int status = 0, killed = 0;
    pid_t r;

    kill(d->pid, SIGTERM);
    for (;;) {
        r = waitpid(d->pid, &status, WNOHANG);
        if (r == d->pid || (r < 0 && errno != EINTR))
            break;
        if (now_s() > deadline && !killed) {
            kill(d->pid, SIGKILL);
            killed = 1;
        }
        nanosleep(&pause, NULL);
    }
    if (d->has_drain)
        pthread_join(d->drain, NULL);
    d->has_drain = 0;
    if (WIFEXITED(status))
        *exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        *exit_code = 128 + WTERMSIG(status);
    else
        *exit_code = -1;
    return killed ? -1 : 0;
}
