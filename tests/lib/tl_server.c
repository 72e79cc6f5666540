/* tests/lib/tl_server.c — ismsd as a child process: start on 127.0.0.1:0, read the port from
 * its `msg="listening"` log line, stop with SIGTERM, and check its exit status and its log for
 * sanitizer and valgrind reports. Every started ismsd is registered so none outlives its test.
 * ISMS_TEST_WRAPPER (e.g. "valgrind --error-exitcode=99") is put in front of the server's argv. */
#define _GNU_SOURCE /* prctl(PR_SET_PDEATHSIG) */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "tl_internal.h"

#define MAX_SERVERS      16
#define START_TIMEOUT_MS (20000 * isms_test_slowdown())
#define STOP_TIMEOUT_MS  (30000 * isms_test_slowdown())
#define LOG_TAIL_BYTES   4000
#define MAX_WRAPPER_ARGS 16

struct srv_entry {
    pid_t pid;
    char log_path[300];
    bool is_reaped;
    bool is_checked;
    int status;
};

static struct srv_entry servers[MAX_SERVERS];
static size_t n_servers;

static const char *const sanitizer_marks[] = {"AddressSanitizer",
                                              "runtime error:", "LeakSanitizer"};

const char *isms_test_ismsd_path(void)
{
    const char *e = getenv("ISMS_TEST_ISMSD");

    if (e != NULL && e[0] != '\0')
        return e;
    return ISMS_TEST_ISMSD_PATH;
}

static struct srv_entry *find_entry(pid_t pid)
{
    for (size_t i = 0; i < n_servers; i++)
        if (servers[i].pid == pid)
            return &servers[i];
    return NULL;
}

/* Waits up to timeout_ms for the child to exit; true once it is reaped. */
static bool reap(struct srv_entry *e, int timeout_ms)
{
    int64_t deadline = isms_test_now_ms() + timeout_ms;

    while (!e->is_reaped) {
        pid_t w = waitpid(e->pid, &e->status, WNOHANG);

        if (w == e->pid) {
            e->is_reaped = true;
            break;
        }
        if (w < 0 && errno != EINTR) {
            /* Not our child any more: treat as gone with an unknown status. */
            e->is_reaped = true;
            e->status = -1;
            break;
        }
        if (isms_test_now_ms() >= deadline)
            return false;
        isms_test_sleep_ms(10);
    }
    return true;
}

static char *log_tail(const char *path, size_t max)
{
    char *all = isms_test_read_file(path);
    size_t len;
    char *tail;

    if (all == NULL)
        return strdup("(no log)");
    len = strlen(all);
    if (len <= max)
        return all;
    tail = strdup(all + len - max);
    free(all);
    return tail;
}

char *isms_test_server_log_tail(const struct isms_test_server *srv, size_t max)
{
    return log_tail(srv->log_path, max);
}

/* True if `log` holds a valgrind "ERROR SUMMARY: N errors" line with N > 0. */
static bool has_valgrind_errors(const char *log)
{
    static const char mark[] = "ERROR SUMMARY: ";

    for (const char *p = strstr(log, mark); p != NULL; p = strstr(p + 1, mark))
        if (p[sizeof(mark) - 1] >= '1' && p[sizeof(mark) - 1] <= '9')
            return true;
    return false;
}

/* NULL if the log is clean, else the sanitizer (or valgrind) marker found. */
static const char *log_sanitizer_mark(const char *path)
{
    char *all = isms_test_read_file(path);
    const char *found = NULL;

    if (all == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(sanitizer_marks) / sizeof(sanitizer_marks[0]); i++) {
        if (strstr(all, sanitizer_marks[i]) != NULL) {
            found = sanitizer_marks[i];
            break;
        }
    }
    if (found == NULL && has_valgrind_errors(all))
        found = "ERROR SUMMARY: (valgrind errors)";
    free(all);
    return found;
}

/* Describes an exit other than with status `want`, or an unclean log, into msg; false if all
 * is well. */
static bool entry_problem_want(const struct srv_entry *e, int want, char *msg, size_t len)
{
    const char *mark = log_sanitizer_mark(e->log_path);

    if (e->status == -1)
        snprintf(msg, len, "ismsd (pid %ld) exit status unknown", (long)e->pid);
    else if (WIFSIGNALED(e->status))
        snprintf(msg, len, "ismsd (pid %ld) was killed by signal %d", (long)e->pid,
                 WTERMSIG(e->status));
    else if (WIFEXITED(e->status) && WEXITSTATUS(e->status) == 99 && isms_test_wrapper() != NULL)
        snprintf(msg, len, "ismsd (pid %ld) exited with status 99: the wrapper (%s) found errors",
                 (long)e->pid, isms_test_wrapper());
    else if (WIFEXITED(e->status) && WEXITSTATUS(e->status) != want)
        snprintf(msg, len, "ismsd (pid %ld) exited with status %d, expected %d", (long)e->pid,
                 WEXITSTATUS(e->status), want);
    else if (mark != NULL)
        snprintf(msg, len, "ismsd (pid %ld) log contains \"%s\"", (long)e->pid, mark);
    else
        return false;
    return true;
}

static bool entry_problem(const struct srv_entry *e, char *msg, size_t len)
{
    return entry_problem_want(e, 0, msg, len);
}

/* The start of the line holding valgrind's first error report ("==PID== Invalid write ..."),
 * or NULL: the header lines and blank "==PID== " lines are skipped. */
static const char *valgrind_first_error(const char *log)
{
    static const char *const kinds[] = {"Invalid ",  "Conditional ",       "Use of uninit",
                                        "Syscall ",  "Mismatched ",        "Source and destination",
                                        "Argument ", "Process terminating"};

    for (const char *p = strstr(log, "=="); p != NULL; p = strstr(p + 2, "==")) {
        const char *q = p + 2;

        if (p != log && p[-1] != '\n')
            continue;
        while (*q >= '0' && *q <= '9')
            q++;
        if (q == p + 2 || strncmp(q, "== ", 3) != 0)
            continue;
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
            if (strncmp(q + 3, kinds[i], strlen(kinds[i])) == 0)
                return p;
    }
    return NULL;
}

static void fail_with_log(const char *path, const char *what)
{
    char *all = isms_test_read_file(path);
    const char *first = all != NULL ? valgrind_first_error(all) : NULL;
    char buf[LOG_TAIL_BYTES + 1024];

    if (first != NULL) {
        snprintf(buf, sizeof(buf), "%s; valgrind's first error in %s:\n%.*s", what, path,
                 LOG_TAIL_BYTES, first);
    } else {
        char *tail = log_tail(path, LOG_TAIL_BYTES);

        snprintf(buf, sizeof(buf), "%s; log %s ends with:\n%s", what, path, tail);
        free(tail);
    }
    free(all);
    cr_assert_fail("%s", buf);
}

/* Starts argv (argv[0] the ismsd binary) with its output in srv's log and waits for its
 * "listening" line; shared by isms_test_server_start and isms_test_server_start_raw. */
/* Every ismsd a test starts signs audit checkpoints with one key kept for the whole test
 * (ISMSD_AUDIT_KEY; ismsd creates it on first start), so restarted servers keep the key. A
 * test that sets ISMSD_AUDIT_KEY itself keeps its own. */
static void ensure_audit_key_env(void)
{
    static char path[320];

    if (path[0] == '\0') {
        char dir[256];

        if (getenv("ISMSD_AUDIT_KEY") != NULL)
            return;
        isms_test_tmpdir(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/audit.key", dir);
        cr_assert(setenv("ISMSD_AUDIT_KEY", path, 1) == 0);
    }
}

static void start_argv(struct isms_test_server *srv, const char *const *argv)
{
    pid_t pid;
    struct srv_entry *e;
    int64_t deadline;
    const char *wrapped[MAX_WRAPPER_ARGS + 64];
    char wrapper[512];
    size_t nw = 0;

    cr_assert(access(argv[0], X_OK) == 0, "ismsd binary %s is missing: %s", argv[0],
              strerror(errno));
    ensure_audit_key_env();
    cr_assert(n_servers < MAX_SERVERS, "server table full");
    if (isms_test_wrapper() != NULL) {
        /* Words separated by blanks; no quoting. */
        snprintf(wrapper, sizeof(wrapper), "%s", isms_test_wrapper());
        for (char *w = wrapper; *w != '\0';) {
            while (*w == ' ' || *w == '\t')
                *w++ = '\0';
            if (*w == '\0')
                break;
            cr_assert(nw < MAX_WRAPPER_ARGS, "ISMS_TEST_WRAPPER has more than %d words",
                      MAX_WRAPPER_ARGS);
            wrapped[nw++] = w;
            while (*w != '\0' && *w != ' ' && *w != '\t')
                w++;
        }
        for (size_t i = 0; argv[i] != NULL; i++) {
            cr_assert(nw < sizeof(wrapped) / sizeof(wrapped[0]) - 1, "too many ismsd arguments");
            wrapped[nw++] = argv[i];
        }
        wrapped[nw] = NULL;
        argv = wrapped;
    }

    fflush(NULL);
    pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int logfd = open(srv->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
        int devnull = open("/dev/null", O_RDONLY);

        /* A crashed or timed-out test must not leave its ismsd behind. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (logfd < 0 || devnull < 0)
            _exit(126);
        dup2(devnull, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        if (nw > 0)
            execvp(argv[0], (char *const *)argv);
        else
            execv(argv[0], (char *const *)argv);
        dprintf(2, "could not execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    e = &servers[n_servers++];
    memset(e, 0, sizeof(*e));
    e->pid = pid;
    snprintf(e->log_path, sizeof(e->log_path), "%s", srv->log_path);
    srv->pid = pid;

    deadline = isms_test_now_ms() + START_TIMEOUT_MS;
    for (;;) {
        char *log = isms_test_read_file(srv->log_path);
        const char *line = log != NULL ? strstr(log, "msg=\"listening\"") : NULL;

        if (line != NULL) {
            const char *eol = strchr(line, '\n');
            const char *addr = strstr(line, " addr=");

            if (eol != NULL && addr != NULL && addr < eol) {
                const char *colon = NULL;
                long port;
                char *end;

                for (const char *q = addr; q < eol; q++)
                    if (*q == ':')
                        colon = q;
                port = colon != NULL ? strtol(colon + 1, &end, 10) : 0;
                free(log);
                if (port <= 0 || port > 65535)
                    fail_with_log(srv->log_path, "could not read the port from the "
                                                 "\"listening\" line");
                srv->port = (int)port;
                return;
            }
        }
        free(log);
        if (reap(e, 0)) {
            char what[256];

            e->is_checked = true;
            srv->has_exited = true;
            srv->exit_status = e->status;
            snprintf(what, sizeof(what), "ismsd exited (status 0x%x) before listening",
                     (unsigned)e->status);
            fail_with_log(srv->log_path, what);
        }
        if (isms_test_now_ms() >= deadline) {
            kill(pid, SIGKILL);
            reap(e, STOP_TIMEOUT_MS);
            e->is_checked = true;
            {
                char what[96];

                snprintf(what, sizeof(what), "ismsd did not log msg=\"listening\" within %d s",
                         START_TIMEOUT_MS / 1000);
                fail_with_log(srv->log_path, what);
            }
        }
        isms_test_sleep_ms(20);
    }
}

void isms_test_server_start(struct isms_test_server *srv, const char *db_conninfo,
                            const char *const *extra_args)
{
    const char *argv[64];
    size_t n = 0;

    memset(srv, 0, sizeof(*srv));
    isms_test_tmpdir(srv->dir, sizeof(srv->dir));
    snprintf(srv->log_path, sizeof(srv->log_path), "%s/ismsd.log", srv->dir);

    argv[n++] = isms_test_ismsd_path();
    argv[n++] = "--listen";
    argv[n++] = "127.0.0.1:0";
    argv[n++] = "--plaintext=true"; /* loopback only; TLS has its own tests */
    argv[n++] = "--db";
    argv[n++] = db_conninfo;
    for (size_t i = 0; extra_args != NULL && extra_args[i] != NULL; i++) {
        cr_assert(n < 62, "too many ismsd arguments");
        argv[n++] = extra_args[i];
    }
    argv[n] = NULL;
    start_argv(srv, argv);
}

void isms_test_server_start_raw(struct isms_test_server *srv, const char *const *args)
{
    const char *argv[64];
    size_t n = 0;

    memset(srv, 0, sizeof(*srv));
    isms_test_tmpdir(srv->dir, sizeof(srv->dir));
    snprintf(srv->log_path, sizeof(srv->log_path), "%s/ismsd.log", srv->dir);

    argv[n++] = isms_test_ismsd_path();
    for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
        cr_assert(n < 62, "too many ismsd arguments");
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    start_argv(srv, argv);
}

int isms_test_server_log_count(const struct isms_test_server *srv, const char *needle)
{
    char *log = isms_test_read_file(srv->log_path);
    int n = 0;

    if (log == NULL || needle[0] == '\0') {
        free(log);
        return 0;
    }
    for (const char *p = strstr(log, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    free(log);
    return n;
}

bool isms_test_server_wait_log(const struct isms_test_server *srv, const char *needle,
                               int min_count, int timeout_ms)
{
    int64_t deadline = isms_test_now_ms() + timeout_ms;

    for (;;) {
        if (isms_test_server_log_count(srv, needle) >= min_count)
            return true;
        if (isms_test_now_ms() >= deadline)
            return false;
        isms_test_sleep_ms(20);
    }
}

void isms_test_server_start_db(struct isms_test_server *srv, const struct isms_test_db *db,
                               const char *const *extra_args)
{
    isms_test_server_start(srv, db->conninfo, extra_args);
}

bool isms_test_server_alive(struct isms_test_server *srv)
{
    struct srv_entry *e = find_entry(srv->pid);

    if (e == NULL || srv->pid == 0)
        return false;
    if (reap(e, 0)) {
        srv->has_exited = true;
        srv->exit_status = e->status;
        return false;
    }
    return true;
}

void isms_test_server_assert_alive(struct isms_test_server *srv, const char *when)
{
    char what[256];

    if (isms_test_server_alive(srv))
        return;
    snprintf(what, sizeof(what), "ismsd (pid %ld) died %s (status 0x%x)", (long)srv->pid, when,
             (unsigned)srv->exit_status);
    fail_with_log(srv->log_path, what);
}

void isms_test_server_check_log(const struct isms_test_server *srv)
{
    const char *mark = log_sanitizer_mark(srv->log_path);

    if (mark != NULL) {
        char what[128];

        snprintf(what, sizeof(what), "ismsd log contains \"%s\"", mark);
        fail_with_log(srv->log_path, what);
    }
}

void isms_test_server_wait_exit(struct isms_test_server *srv, int timeout_ms)
{
    isms_test_server_wait_exit_status(srv, timeout_ms, 0);
}

void isms_test_server_wait_exit_status(struct isms_test_server *srv, int timeout_ms, int want)
{
    struct srv_entry *e = find_entry(srv->pid);
    char msg[256];

    cr_assert(e != NULL, "not a server started by this test");
    if (!reap(e, timeout_ms)) {
        kill(e->pid, SIGKILL);
        reap(e, STOP_TIMEOUT_MS);
        e->is_checked = true;
        srv->has_exited = true;
        srv->exit_status = e->status;
        snprintf(msg, sizeof(msg), "ismsd (pid %ld) did not exit within %d ms; killed",
                 (long)e->pid, timeout_ms);
        fail_with_log(e->log_path, msg);
    }
    e->is_checked = true;
    srv->has_exited = true;
    srv->exit_status = e->status;
    if (entry_problem_want(e, want, msg, sizeof(msg)))
        fail_with_log(e->log_path, msg);
}

void isms_test_server_stop(struct isms_test_server *srv)
{
    struct srv_entry *e = find_entry(srv->pid);

    cr_assert(e != NULL, "not a server started by this test");
    if (!e->is_reaped)
        kill(e->pid, SIGTERM);
    isms_test_server_wait_exit(srv, STOP_TIMEOUT_MS);
}

void isms_tl_servers_stop_all(bool check)
{
    char first[512] = "";
    const char *first_log = NULL;

    for (size_t i = 0; i < n_servers; i++) {
        struct srv_entry *e = &servers[i];
        char msg[256];

        if (e->is_checked)
            continue;
        e->is_checked = true;
        if (!e->is_reaped) {
            kill(e->pid, SIGTERM);
            if (!reap(e, STOP_TIMEOUT_MS)) {
                kill(e->pid, SIGKILL);
                reap(e, STOP_TIMEOUT_MS);
                snprintf(msg, sizeof(msg), "ismsd (pid %ld) did not exit within %d s of SIGTERM",
                         (long)e->pid, STOP_TIMEOUT_MS / 1000);
                if (first_log == NULL) {
                    snprintf(first, sizeof(first), "%s", msg);
                    first_log = e->log_path;
                }
                continue;
            }
        }
        if (entry_problem(e, msg, sizeof(msg))) {
            if (!check)
                cr_log_warn("%s (log %s)", msg, e->log_path);
            else if (first_log == NULL) {
                snprintf(first, sizeof(first), "%s", msg);
                first_log = e->log_path;
            }
        }
    }
    if (check && first_log != NULL)
        fail_with_log(first_log, first);
}

void isms_test_bootstrap_admin(const char *db_conninfo, const char *user, const char *password)
{
    const char *argv[] = {isms_test_ismsd_path(), "--db", db_conninfo,
                          "--bootstrap-admin",    user,   NULL};
    struct isms_test_proc p;
    char input[256];

    snprintf(input, sizeof(input), "%s\n", password);
    isms_test_run_input(&p, argv, NULL, input, 60000);
    cr_assert_eq(p.exit_code, 0, "ismsd --bootstrap-admin %s exited %d\nstdout:\n%s\nstderr:\n%s",
                 user, p.exit_code, p.out, p.err);
    for (size_t i = 0; i < sizeof(sanitizer_marks) / sizeof(sanitizer_marks[0]); i++)
        cr_assert_null(strstr(p.err, sanitizer_marks[i]),
                       "ismsd --bootstrap-admin printed \"%s\":\n%s", sanitizer_marks[i], p.err);
    isms_test_proc_cleanup(&p);
}

void isms_test_env_start(struct isms_test_env *env, const char *const *extra_args)
{
    isms_test_env_start_on(env, NULL, extra_args);
}

void isms_test_env_start_on(struct isms_test_env *env, const char *admin_conninfo,
                            const char *const *extra_args)
{
    char token[512];
    int code;

    isms_test_db_create(&env->db, admin_conninfo);
    isms_test_bootstrap_admin(env->db.conninfo, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    isms_test_server_start(&env->srv, env->db.conninfo, extra_args);
    code = isms_test_login(env->srv.port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD, token,
                           sizeof(token));
    cr_assert_eq(code, 0, "could not log in as %s: %s", ISMS_TEST_ADMIN_USER, isms_code_name(code));
    isms_test_set_token(token);
}

void isms_test_server_kill(struct isms_test_server *srv)
{
    struct srv_entry *e = find_entry(srv->pid);
    const char *mark;

    cr_assert(e != NULL, "not a server started by this test");
    if (!e->is_reaped)
        kill(e->pid, SIGKILL);
    reap(e, STOP_TIMEOUT_MS);
    e->is_checked = true;
    srv->has_exited = true;
    srv->exit_status = e->status;
    mark = log_sanitizer_mark(e->log_path);
    if (mark != NULL)
        fail_with_log(e->log_path, "killed ismsd's log holds a sanitizer report");
}
