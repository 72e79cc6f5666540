/* main.c — startup order, signals, shutdown order; nothing else.
 * Startup: config, log, migrations (blocking, before the loop), pool, listener, READY=1.
 * Shutdown: stop accepting, drain calls (bounded), close connections, close the pool, exit 0;
 * shutdown_grace_s after the drain, exit 0 without waiting for cancels a frozen database blocks. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>
#ifdef ISMS_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "core/config.h"
#include "core/log.h"
#include "db/migrate.h"
#include "db/pool.h"
#include "auth/password.h"
#include "auth/session.h"
#include "domain/audit/audit_roles.h"
#include "domain/audit/audit_signer.h"
#include "domain/domain.h"
#include "domain/sched/tick.h"
#include "domain/users/bootstrap.h"
#include "net/conn.h"
#include "net/tls.h"
#include "rpc/server.h"

extern char **environ;

#define FORCE_CLOSE_MS       2000
#define AUDIT_FINAL_GRACE_MS 3000

struct daemon_state {
    struct isms_server srv;
    struct isms_config cfg;
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t drain_timer;
    uv_timer_t grace_timer; /* bounds the wait for connections and the pool after the drain */
    uv_timer_t watchdog;
    int has_watchdog;
    int signals_seen;
    const char *bootstrap_admin; /* --bootstrap-admin NAME: create the user and exit */
    struct isms_tls *tls;        /* NULL when plaintext */
    struct isms_audit_signer audit;
    struct isms_sched_tick sched; /* scheduled reviews */
};

static struct daemon_state D;

static void notify(const char *state)
{
#ifdef ISMS_HAVE_SYSTEMD
    sd_notify(0, state);
#else
    (void)state;
#endif
}

static void on_pool_closed(struct isms_db_pool *pool)
{
    (void)pool;
    uv_timer_stop(&D.grace_timer);
    uv_close((uv_handle_t *)&D.grace_timer, NULL);
    D.srv.pool = NULL;
    isms_log_info("database pool closed", "%s", "");
    isms_server_calls_stop(&D.srv);
    uv_close((uv_handle_t *)&D.sigterm, NULL);
    uv_close((uv_handle_t *)&D.sigint, NULL);
}

/* The shutdown checkpoint is signed (or given up on): the pool may go. */
static void on_audit_signed(struct isms_audit_signer *s)
{
    (void)s;
    if (D.srv.pool != NULL)
        isms_db_pool_close(D.srv.pool, on_pool_closed);
}

static void on_net_closed(struct isms_net *net)
{
    (void)net;
    uv_timer_stop(&D.drain_timer);
    if (!uv_is_closing((uv_handle_t *)&D.drain_timer))
        uv_close((uv_handle_t *)&D.drain_timer, NULL);
    isms_db_probe_stop(&D.srv.probe);
    isms_sched_tick_stop(&D.sched);
    if (D.audit.is_started)
        isms_audit_signer_finish(&D.audit, AUDIT_FINAL_GRACE_MS, on_audit_signed);
    else if (D.srv.pool != NULL)
        isms_db_pool_close(D.srv.pool, on_pool_closed);
}

static void on_force_close(uv_timer_t *t)
{
    (void)t;
    isms_log_warn("connections did not flush in time; closing them", "%s", "");
    isms_net_abort(&D.srv.net);
}

/* The pool did not close within shutdown_grace_s of the drain: a PQcancel to a frozen
 * PostgreSQL blocks a threadpool thread without limit. Every call has been answered and every
 * connection closed or abandoned, so this is still a clean stop: exit 0 at once (exit() would
 * join libuv's threadpool and wait for the blocked cancels). */
static void on_grace_over(uv_timer_t *t)
{
    struct isms_db_stats ds = {0};

    (void)t;
    if (D.srv.pool != NULL)
        isms_db_pool_stats(D.srv.pool, &ds);
    isms_log_warn("shutdown grace is over; exiting without waiting for the database",
                  "shutdown_grace_s=%u cancels_blocked=%u conns_open=%u", D.cfg.shutdown_grace_s,
                  ds.cancels, D.srv.net.nconns);
    isms_log_info("stopped", "calls_total=%llu", (unsigned long long)D.srv.calls_total);
    fflush(stdout);
    fflush(stderr);
    _exit(0);
}

/* Every call has answered: close connections (after their output), then the pool. */
static void on_drained(struct isms_server *srv)
{
    isms_log_info("calls drained; closing connections", "%s", "");
    uv_timer_start(&D.grace_timer, on_grace_over, (uint64_t)D.cfg.shutdown_grace_s * 1000, 0);
    uv_timer_stop(&D.drain_timer);
    uv_timer_start(&D.drain_timer, on_force_close, FORCE_CLOSE_MS, 0);
    if (D.has_watchdog) {
        uv_timer_stop(&D.watchdog);
        uv_close((uv_handle_t *)&D.watchdog, NULL);
        D.has_watchdog = 0;
    }
    /* SIGTERM/SIGINT stay armed until the pool is closed: a second one still exits with 1. */
    uv_close((uv_handle_t *)&D.sighup, NULL);
    if (srv->workers != NULL) {
        isms_workers_close(srv->workers); /* no call is left to wait for it */
        srv->workers = NULL;
    }
    isms_net_close(&srv->net, on_net_closed);
}

static void on_drain_timeout(uv_timer_t *t)
{
    (void)t;
    isms_log_warn("drain time is up; cancelling calls in flight", "calls=%u",
                  D.srv.calls_in_flight);
    isms_server_cancel_calls(&D.srv, ISMS_UNAVAILABLE, "server is shutting down");
}

static void on_stop_signal(uv_signal_t *h, int signum)
{
    struct isms_server *srv = &D.srv;

    (void)h;
    if (++D.signals_seen > 1) {
        isms_log_warn("second signal; exiting at once", "signal=%d", signum);
        _exit(1);
    }
    isms_log_info("shutting down", "signal=%s calls_in_flight=%u drain_timeout_s=%u",
                  signum == SIGTERM ? "SIGTERM" : "SIGINT", srv->calls_in_flight,
                  D.cfg.drain_timeout_s);
    notify("STOPPING=1");
    srv->is_draining = 1;
    isms_net_stop_listening(&srv->net);
    if (srv->calls_in_flight == 0) {
        on_drained(srv);
        return;
    }
    srv->on_drained = on_drained;
    uv_timer_start(&D.drain_timer, on_drain_timeout, (uint64_t)D.cfg.drain_timeout_s * 1000, 0);
}

static void on_sighup(uv_signal_t *h, int signum)
{
    struct isms_status st;
    char q[300];

    (void)h;
    (void)signum;
    if (D.tls == NULL) {
        isms_log_info("SIGHUP received; plaintext mode has nothing to reload", "%s", "");
        return;
    }
    notify("RELOADING=1");
    if (isms_tls_reload(D.tls, &st) != ISMS_OK)
        isms_log_error("TLS reload failed; keeping the previous certificate", "error=%s",
                       isms_log_quote(q, sizeof(q), st.msg));
    else
        isms_log_info("TLS certificate reloaded", "cert=%s", D.cfg.tls_cert);
    notify("READY=1");
}

/* TLS unless plaintext is configured, and plaintext only on loopback. */
static int setup_tls(const char *host)
{
    struct isms_status st;
    char q[300];
    unsigned char a[16];
    int loopback = (inet_pton(AF_INET, host, a) == 1 && a[0] == 127) ||
                   (inet_pton(AF_INET6, host, a) == 1 && memcmp(a, &in6addr_loopback, 16) == 0);

    if (D.cfg.plaintext) {
        if (!loopback) {
            isms_log_error("plaintext is allowed only on a loopback address; configure "
                           "tls_cert and tls_key",
                           "listen=%s", D.cfg.listen);
            return -1;
        }
        isms_log_warn("serving plaintext on loopback (plaintext = true)", "%s", "");
        return 0;
    }
    if (D.cfg.tls_cert[0] == '\0' || D.cfg.tls_key[0] == '\0') {
        isms_log_error("TLS needs tls_cert and tls_key (or plaintext = true on a loopback "
                       "address)",
                       "%s", "");
        return -1;
    }
    if (isms_tls_new(D.cfg.tls_cert, D.cfg.tls_key, &D.tls, &st) != ISMS_OK) {
        isms_log_error("could not set up TLS", "error=%s", isms_log_quote(q, sizeof(q), st.msg));
        return -1;
    }
    return 0;
}

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    notify("WATCHDOG=1");
}

static void start_watchdog(uv_loop_t *loop)
{
#ifdef ISMS_HAVE_SYSTEMD
    uint64_t usec = 0;

    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        uv_timer_init(loop, &D.watchdog);
        uv_timer_start(&D.watchdog, on_watchdog, usec / 2000, usec / 2000);
        D.has_watchdog = 1;
    }
#else
    (void)loop;
#endif
}

/* Flags that are actions rather than settings. */
static int extra_flag(void *ud, int argc, char **argv, int i, struct isms_status *st)
{
    (void)ud;
    if (strcmp(argv[i], "--bootstrap-admin") == 0) {
        if (i + 1 >= argc) {
            isms_status_set(st, ISMS_INVALID_ARGUMENT, "--bootstrap-admin needs a user name");
            return -1;
        }
        D.bootstrap_admin = argv[i + 1];
        return 2;
    }
    return 0;
}

static int bootstrap(void)
{
    struct isms_status st;
    char pw[64];
    char q[300];

    if (isms_users_bootstrap(D.cfg.db, D.bootstrap_admin, stdin, pw, sizeof(pw), &st) != ISMS_OK) {
        isms_log_error("could not create the first admin", "error=%s",
                       isms_log_quote(q, sizeof(q), st.msg));
        fprintf(stderr, "ismsd: %s\n", st.msg);
        return 1;
    }
    isms_log_info("first admin created", "user=%s", D.bootstrap_admin);
    if (pw[0] != '\0') {
        printf("created admin \"%s\" with one-time password: %s\n"
               "log in with: ismsctl login %s   (you will be asked to choose a new password)\n",
               D.bootstrap_admin, pw, D.bootstrap_admin);
        sodium_memzero(pw, sizeof(pw));
    } else {
        printf("created admin \"%s\" with the password read from stdin\n", D.bootstrap_admin);
    }
    return 0;
}

/* The runtime role gets its rights from the owner (owner_db), or is warned about. */
static int prepare_audit_roles(void)
{
    struct isms_status st;
    char role[128], q[300];
    int is_protected;

    if (isms_audit_roles_prepare(D.cfg.owner_db, D.cfg.db, role, sizeof(role), &is_protected,
                                 &st) != ISMS_OK) {
        isms_log_error("could not set up the database roles", "error=%s",
                       isms_log_quote(q, sizeof(q), st.msg));
        return -1;
    }
    if (!is_protected)
        isms_log_warn("ismsd's database role owns the audit trail and could rewrite it; "
                      "set owner_db to a separate owner role",
                      "role=%s", isms_log_quote(q, sizeof(q), role));
    return 0;
}

static int load_audit_key(void)
{
    struct isms_status st;
    char q[300];
    int created;

    if (isms_audit_key_load(D.cfg.audit_key, &D.audit.key, &created, &st) != ISMS_OK) {
        isms_log_error("could not load the audit key", "error=%s",
                       isms_log_quote(q, sizeof(q), st.msg));
        return -1;
    }
    isms_log_info(created ? "audit key created" : "audit key loaded",
                  "file=%s key_id=%s public_key=%s", isms_log_quote(q, sizeof(q), D.cfg.audit_key),
                  D.audit.key.key_id, D.audit.key.pk_hex);
    D.srv.audit = &D.audit;
    return 0;
}

static int run(void)
{
    struct isms_server *srv = &D.srv;
    struct isms_status st;
    struct isms_migrate_result mig;
    struct isms_net_limits limits;
    char host[256];
    int port;
    char q[300];
    uv_loop_t *loop = uv_default_loop();
    int rc;

    if (isms_config_split_addr(D.cfg.listen, host, sizeof(host), &port, &st) != ISMS_OK) {
        isms_log_error("bad listen address", "error=%s", isms_log_quote(q, sizeof(q), st.msg));
        return 1;
    }
    if (D.bootstrap_admin == NULL && setup_tls(host) != 0)
        return 1;
    if (isms_migrate(D.cfg.owner_db[0] != '\0' ? D.cfg.owner_db : D.cfg.db, &mig, &st) != ISMS_OK) {
        isms_log_error("could not prepare the database", "error=%s",
                       isms_log_quote(q, sizeof(q), st.msg));
        return 1;
    }
    isms_log_info("database ready", "schema_version=%d applied=%d database=%s", mig.schema_version,
                  mig.applied, isms_log_quote(q, sizeof(q), mig.db_desc));
    if (prepare_audit_roles() != 0)
        return 1;
    if (isms_password_init(&st) != ISMS_OK) {
        isms_log_error("could not initialise cryptography", "error=%s",
                       isms_log_quote(q, sizeof(q), st.msg));
        return 1;
    }
    if (D.bootstrap_admin != NULL)
        return bootstrap();
    if (load_audit_key() != 0)
        return 1;

    srv->loop = loop;
    srv->cfg = &D.cfg;
    srv->started_ns = uv_hrtime();
    srv->started_at = time(NULL);
    srv->schema_version = mig.schema_version;
    snprintf(srv->db_desc, sizeof(srv->db_desc), "%s", mig.db_desc);
    {
        char hn[64] = "localhost";

        gethostname(hn, sizeof(hn) - 1);
        snprintf(srv->instance_id, sizeof(srv->instance_id), "%s:%ld", hn, (long)getpid());
    }
    isms_registry_init(&srv->reg);
    if (isms_domain_register_all(srv, &st) != ISMS_OK) {
        isms_log_error("could not register methods", "error=%s",
                       isms_log_quote(q, sizeof(q), st.msg));
        return 1;
    }
    isms_registry_seal(&srv->reg);

    limits.max_conns = D.cfg.max_conns;
    limits.max_conns_per_addr = D.cfg.max_conns_per_addr;
    limits.max_inflight = D.cfg.max_inflight;
    limits.idle_timeout_s = D.cfg.idle_timeout_s;
    limits.login_timeout_s = D.cfg.login_timeout_s;
    limits.frame_timeout_s = D.cfg.frame_timeout_s;
    limits.max_frame_bytes = D.cfg.max_frame_bytes;
    limits.preauth_max_frame_bytes = D.cfg.preauth_max_frame_bytes;
    limits.output_hard_bytes = D.cfg.output_hard_bytes;
    limits.write_timeout_s = D.cfg.write_timeout_s;
    /* Streams pause well before the hard limit, so a slow reader is paced, not dropped. */
    limits.stream_output_bytes = D.cfg.stream_output_bytes < D.cfg.output_hard_bytes / 2
                                     ? D.cfg.stream_output_bytes
                                     : D.cfg.output_hard_bytes / 2;
    limits.turns_per_conn = D.cfg.statements_per_conn;
    limits.calls_memory_bytes = D.cfg.calls_memory_bytes;
    if (isms_workers_new(loop, D.cfg.hash_threads, D.cfg.hash_queue_max, &srv->workers, &st) !=
        ISMS_OK) {
        isms_log_error("could not start the password workers", "error=%s",
                       isms_log_quote(q, sizeof(q), st.msg));
        return 1;
    }
    isms_server_calls_start(srv);
    isms_net_init(&srv->net, loop, &limits, NULL, NULL, NULL);
    isms_server_attach_net(srv);
    isms_auth_attach(srv);
    srv->net.tls = D.tls;

    if (isms_db_pool_new(loop, D.cfg.db, D.cfg.pool_size, D.cfg.db_queue_max, &srv->pool, &st) !=
        ISMS_OK) {
        isms_log_error("could not create the database pool", "error=%s",
                       isms_log_quote(q, sizeof(q), st.msg));
        return 1;
    }
    isms_db_probe_start(&srv->probe, loop, srv->pool, D.cfg.health_probe_ms,
                        (uint64_t)D.cfg.health_stall_ms);
    isms_audit_signer_start(&D.audit, loop, srv->pool, (uint64_t)D.cfg.audit_checkpoint_s * 1000);
    isms_sched_tick_start(&D.sched, loop, srv->pool, D.cfg.schedule_tick_ms);
    if (isms_net_listen(&srv->net, host, port, srv->listen_addr, sizeof(srv->listen_addr), &st) !=
        ISMS_OK) {
        isms_log_error("could not listen", "error=%s", isms_log_quote(q, sizeof(q), st.msg));
        return 1;
    }

    uv_signal_init(loop, &D.sigterm);
    uv_signal_init(loop, &D.sigint);
    uv_signal_init(loop, &D.sighup);
    uv_signal_start(&D.sigterm, on_stop_signal, SIGTERM);
    uv_signal_start(&D.sigint, on_stop_signal, SIGINT);
    uv_signal_start(&D.sighup, on_sighup, SIGHUP);
    uv_timer_init(loop, &D.drain_timer);
    uv_timer_init(loop, &D.grace_timer);
    start_watchdog(loop);

    isms_log_info("listening", "addr=%s tls=%s version=%s pool_size=%u pid=%ld", srv->listen_addr,
                  D.tls != NULL ? "on" : "off", ISMS_VERSION, D.cfg.pool_size, (long)getpid());
    notify("READY=1");

    uv_run(loop, UV_RUN_DEFAULT);

    isms_registry_cleanup(&srv->reg);
    isms_tls_free(D.tls);
    isms_audit_key_cleanup(&D.audit.key);
    rc = uv_loop_close(loop);
    if (rc != 0) {
        isms_log_error("event loop still had handles at exit", "error=%s", uv_strerror(rc));
        return 1;
    }
    isms_log_info("stopped", "calls_total=%llu", (unsigned long long)srv->calls_total);
    return 0;
}

int main(int argc, char **argv)
{
    struct isms_status st;
    enum isms_config_action action;

    signal(SIGPIPE, SIG_IGN);
    isms_log_init(ISMS_LOG_INFO);
    if (isms_config_load(&D.cfg, argc, argv, environ, extra_flag, NULL, &action, &st) != ISMS_OK) {
        fprintf(stderr, "ismsd: %s\n", st.msg);
        return 2;
    }
    if (action == ISMS_CONFIG_HELP) {
        char buf[8192];

        isms_config_usage(buf, sizeof(buf));
        fputs(buf, stdout);
        return 0;
    }
    if (action == ISMS_CONFIG_VERSION) {
        printf("ismsd %s\n", ISMS_VERSION);
        return 0;
    }
    isms_log_set_level((enum isms_log_level)D.cfg.log_level);
    return run();
}
