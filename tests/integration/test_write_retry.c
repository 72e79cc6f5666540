/* tests/integration/test_write_retry.c — writes retried with their idempotency key are made
 * exactly once. (1) A load of keyed writes with random deadlines across a PostgreSQL restart:
 * every write answered OK is stored once, every write answered as not done (DEADLINE_EXCEEDED
 * or UNAVAILABLE without "outcome is unknown") is absent, and
 * retrying every write that was not answered OK, with its key, leaves each stored exactly
 * once. (2) ismsctl, whose reply is lost after the server made the write (the connection
 * drops), connects again and repeats the call with the same key: one change, exit 0. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "testlib.h"

TestSuite(write_retry, .init = isms_test_init, .fini = isms_test_fini, .timeout = 280);

#define MAX_WRITES   20000
#define WINDOW       8   /* calls kept in flight on the connection */
#define RESTART_AT   300 /* answers before PostgreSQL is restarted */
#define AFTER_RETURN 300 /* answers needed after PostgreSQL is back */

enum outcome { PENDING, DONE_OK, NOT_DONE, UNKNOWN, UNAVAIL, OTHER };

/* Sends Context/AddIssue "write N" with idempotency-key "k-N" and the given deadline. */
static void send_keyed(int fd, uint64_t call_id, int n, uint32_t timeout_ms)
{
    Isms__V1__AddIssueRequest body = ISMS__V1__ADD_ISSUE_REQUEST__INIT;
    char desc[64], key[32];

    snprintf(desc, sizeof(desc), "write %d", n);
    snprintf(key, sizeof(key), "k-%d", n);
    body.kind = "internal";
    body.description = desc;
    isms_test_send_keyed(fd, call_id, ISMS_M_CTX_ADD_ISSUE, timeout_ms, &body.base, key);
}

static enum outcome outcome_of(const Isms__V1__Response *r)
{
    if (r->code == 0)
        return DONE_OK;
    if ((r->code == 4 || r->code == 14) && strstr(r->message, "outcome is unknown") != NULL)
        return UNKNOWN;
    if (r->code == 4)
        return NOT_DONE;
    if (r->code == 14)
        return UNAVAIL;
    return OTHER;
}

/* `pgcluster stop DIR`, a short pause, `pgcluster start DIR`, in a child process so the load
 * goes on meanwhile. */
static pid_t restart_in_background(const char *dir)
{
    pid_t pid = fork();

    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        char cmd[1200];
        int fd = open("/dev/null", O_WRONLY);

        if (fd >= 0) {
            dup2(fd, 1);
            close(fd);
        }
        snprintf(cmd, sizeof(cmd), "'%s' stop '%s' && sleep 0.5 && '%s' start '%s'",
                 isms_test_pgcluster_path(), dir, isms_test_pgcluster_path(), dir);
        execl("/bin/bash", "bash", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

Test(write_retry, keyed_writes_across_a_database_restart_are_made_once)
{
    const char *args[] = {"--pool-size", "2", NULL};
    static enum outcome out[MAX_WRITES + 1];
    unsigned counts[6] = {0};
    char tmp[256], dir[300], conninfo[1024], desc[64];
    struct isms_test_env env;
    int fd, sent = 0, answered = 0, back_at = -1, status, retried = 0, n_writes;
    pid_t restarter = -1;
    PGconn *c;

    srand(20261203);
    isms_test_tmpdir(tmp, sizeof(tmp));
    snprintf(dir, sizeof(dir), "%s/pg", tmp);
    isms_test_pgcluster_create(dir, conninfo, sizeof(conninfo));
    isms_test_env_start_on(&env, conninfo, args);
    fd = isms_test_connect(env.srv.port);

    /* Load until PostgreSQL has been restarted and AFTER_RETURN more writes were answered. */
    while (back_at < 0 || answered < back_at + AFTER_RETURN) {
        Isms__V1__Response *r;

        if (restarter < 0 && answered >= RESTART_AT)
            restarter = restart_in_background(dir);
        if (restarter > 0 && back_at < 0 && waitpid(restarter, &status, WNOHANG) == restarter) {
            cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "pgcluster restart failed");
            back_at = answered;
            restarter = 0;
        }
        cr_assert(sent < MAX_WRITES || sent > answered, "%d writes and PostgreSQL is not back",
                  MAX_WRITES);
        while (sent < MAX_WRITES && sent - answered < WINDOW) {
            sent++;
            send_keyed(fd, (uint64_t)sent, sent, (uint32_t)(1 + rand() % 200));
        }
        r = isms_test_read_response(fd, 30000, "an AddIssue reply");
        cr_assert(r->call_id >= 1 && r->call_id <= (uint64_t)sent, "call_id %llu",
                  (unsigned long long)r->call_id);
        cr_assert_eq(out[r->call_id], PENDING, "two replies for call %llu",
                     (unsigned long long)r->call_id);
        out[r->call_id] = outcome_of(r);
        if (out[r->call_id] == OTHER)
            cr_log_info("call %llu: code %d: %s", (unsigned long long)r->call_id, r->code,
                        r->message);
        counts[out[r->call_id]]++;
        answered++;
        /* The server may answer UNAVAILABLE while it reconnects; pace the load a little then. */
        if (out[r->call_id] == UNAVAIL)
            isms_test_sleep_ms(1);
        isms__v1__response__free_unpacked(r, NULL);
    }
    /* Drain what is still in flight. */
    while (answered < sent) {
        Isms__V1__Response *r = isms_test_read_response(fd, 30000, "an AddIssue reply");

        cr_assert_eq(out[r->call_id], PENDING);
        out[r->call_id] = outcome_of(r);
        counts[out[r->call_id]]++;
        answered++;
        isms__v1__response__free_unpacked(r, NULL);
    }
    n_writes = sent;
    fprintf(
        stderr,
        "write_retry: %d keyed writes across a restart: %u OK, %u not done, %u outcome unknown, "
        "%u unavailable, %u other\n",
        n_writes, counts[DONE_OK], counts[NOT_DONE], counts[UNKNOWN], counts[UNAVAIL],
        counts[OTHER]);
    cr_expect_gt(counts[DONE_OK], 0, "some writes were made");
    cr_expect_gt(counts[UNAVAIL] + counts[UNKNOWN], 0, "the restart was seen by some writes");

    /* What each reply said is true. */
    c = isms_test_pg_connect(env.db.conninfo);
    for (int i = 1; i <= n_writes; i++) {
        const char *p[1] = {desc};
        long long n;

        snprintf(desc, sizeof(desc), "write %d", i);
        n = isms_test_pg_scalar(c, "SELECT count(*) FROM context_issue WHERE description = $1", 1,
                                p);
        if (out[i] == DONE_OK)
            cr_expect_eq(n, 1, "write %d was answered OK but is stored %lld times", i, n);
        else if (out[i] == NOT_DONE || out[i] == UNAVAIL)
            cr_expect_eq(n, 0, "write %d was answered %s (not made) but is stored", i,
                         out[i] == NOT_DONE ? "DEADLINE_EXCEEDED" : "UNAVAILABLE");
        else
            cr_expect_leq(n, 1, "write %d is stored %lld times", i, n);
    }

    /* Retry every write not answered OK with its key, as a client would, until it is. */
    for (int i = 1; i <= n_writes; i++) {
        int64_t give_up = isms_test_now_ms() + 30000;

        if (out[i] == DONE_OK)
            continue;
        for (;;) {
            Isms__V1__Response *r;
            enum outcome o;

            send_keyed(fd, (uint64_t)(MAX_WRITES + i), i, 10000);
            r = isms_test_read_response(fd, 30000, "a retried AddIssue reply");
            o = outcome_of(r);
            cr_assert(o == DONE_OK || o == UNAVAIL, "retry of write %d: code %d: %s", i, r->code,
                      r->message);
            isms__v1__response__free_unpacked(r, NULL);
            if (o == DONE_OK)
                break;
            cr_assert(isms_test_now_ms() < give_up, "write %d still UNAVAILABLE after 30 s", i);
            isms_test_sleep_ms(100);
        }
        retried++;
    }
    fprintf(stderr, "write_retry: %d writes retried with their keys\n", retried);
    cr_expect_eq(isms_test_pg_scalar(c,
                                     "SELECT count(*) FROM context_issue WHERE description"
                                     " LIKE 'write %'",
                                     0, NULL),
                 n_writes, "every write is stored once after the retries");
    cr_expect_eq(isms_test_pg_scalar(c,
                                     "SELECT count(*) FROM (SELECT description FROM context_issue"
                                     " GROUP BY description HAVING count(*) > 1) d",
                                     0, NULL),
                 0, "no write is stored twice");
    isms_test_pg_close(c);
    isms_test_close(fd);
    isms_test_server_stop(&env.srv);
    isms_test_finish();
}

/* ---- a reply lost on the way to ismsctl --------------------------------------------------- */

/* A TCP relay between ismsctl and ismsd that, on its first connection, passes the request on
 * and then closes both sides as soon as the server starts to answer: the write is made, its
 * reply never arrives. Later connections are relayed whole. */
struct relay {
    int listen_fd;
    int port;
    int target_port;
    int connections;
    int dropped_replies;
    pthread_t thread;
};

static void relay_pair(struct relay *rl, int client, int drop_reply)
{
    int server = isms_test_connect(rl->target_port);
    struct pollfd p[2] = {{.fd = client, .events = POLLIN}, {.fd = server, .events = POLLIN}};
    char buf[65536];

    for (;;) {
        if (poll(p, 2, 20000) <= 0)
            break;
        if (p[0].revents != 0) {
            ssize_t n = recv(client, buf, sizeof(buf), 0);

            if (n <= 0 || send(server, buf, (size_t)n, MSG_NOSIGNAL) != n)
                break;
        }
        if (p[1].revents != 0) {
            ssize_t n = recv(server, buf, sizeof(buf), 0);

            if (n <= 0)
                break;
            if (drop_reply) {
                rl->dropped_replies++;
                break;
            }
            if (send(client, buf, (size_t)n, MSG_NOSIGNAL) != n)
                break;
        }
    }
    close(server);
    close(client);
}

static void *relay_main(void *arg)
{
    struct relay *rl = arg;

    for (;;) {
        int client = accept(rl->listen_fd, NULL, NULL);

        if (client < 0)
            return NULL;
        rl->connections++;
        relay_pair(rl, client, rl->connections == 1);
    }
}

static void relay_start(struct relay *rl, int target_port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);

    memset(rl, 0, sizeof(*rl));
    rl->target_port = target_port;
    rl->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(rl->listen_fd, 0);
    cr_assert_eq(bind(rl->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(listen(rl->listen_fd, 8), 0);
    cr_assert_eq(getsockname(rl->listen_fd, (struct sockaddr *)&a, &alen), 0);
    rl->port = ntohs(a.sin_port);
    cr_assert_eq(pthread_create(&rl->thread, NULL, relay_main, rl), 0);
}

static void relay_stop(struct relay *rl)
{
    shutdown(rl->listen_fd, SHUT_RDWR);
    close(rl->listen_fd);
    pthread_join(rl->thread, NULL);
}

Test(write_retry, ismsctl_repeats_a_write_whose_reply_was_lost_with_the_same_key)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    struct relay rl;
    char token_env[600];
    PGconn *c;

    isms_test_env_start(&env, NULL);
    relay_start(&rl, env.srv.port);
    snprintf(token_env, sizeof(token_env), "ISMS_TOKEN=%s", isms_test_token());
    isms_test_ismsctl_expect(&p, rl.port, 0, NULL, (const char *const[]){token_env, NULL},
                             (const char *const[]){"context", "issue", "add", "--kind", "internal",
                                                   "--description",
                                                   "made once though its reply was lost", NULL});
    isms_test_proc_cleanup(&p);
    relay_stop(&rl);
    cr_expect_eq(rl.dropped_replies, 1, "the first reply was dropped");
    cr_expect_eq(rl.connections, 2, "ismsctl connected again for its retry");

    c = isms_test_pg_connect(env.db.conninfo);
    cr_expect_eq(isms_test_pg_scalar(c,
                                     "SELECT count(*) FROM context_issue WHERE description ="
                                     " 'made once though its reply was lost'",
                                     0, NULL),
                 1, "the retry was answered from the stored response, not made again");
    cr_expect_eq(isms_test_pg_scalar(c,
                                     "SELECT count(*) FROM audit_log WHERE method ="
                                     " '/isms.v1.Context/AddIssue'",
                                     0, NULL),
                 1, "one audit record");
    isms_test_pg_close(c);
    isms_test_server_stop(&env.srv);
    isms_test_finish();
}
