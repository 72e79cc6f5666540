/* tests/lib/testlib.h — helpers for integration tests: a fresh database per test, ismsd as a
 * child process, a raw socket client that speaks isms.v1 frames, and a runner for ismsctl.
 * Helpers fail the current Criterion test (cr_assert_fail) on setup errors, so tests stay short;
 * everything a test creates is registered and released by isms_test_fini() (the suite's .fini). */
#ifndef ISMS_TESTS_TESTLIB_H
#define ISMS_TESTS_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>

#include "common/status.h"
#include "isms/v1/auth.pb-c.h"
#include "isms/v1/context.pb-c.h"
#include "isms/v1/envelope.pb-c.h"
#include "isms/v1/system.pb-c.h"

/* Method names (docs/PROTOCOL.md). */
#define ISMS_M_HEALTH        "/isms.v1.System/Health"
#define ISMS_M_INFO          "/isms.v1.System/Info"
#define ISMS_M_CTX_GET       "/isms.v1.Context/Get"
#define ISMS_M_CTX_UPDATE    "/isms.v1.Context/Update"
#define ISMS_M_CTX_ADD_PARTY "/isms.v1.Context/AddParty"
#define ISMS_M_CTX_RM_PARTY  "/isms.v1.Context/RemoveParty"
#define ISMS_M_CTX_ADD_ISSUE "/isms.v1.Context/AddIssue"
#define ISMS_M_CTX_RM_ISSUE  "/isms.v1.Context/RemoveIssue"
#define ISMS_M_AUTH_LOGIN    "/isms.v1.Auth/Login"
#define ISMS_M_AUTH_WHOAMI   "/isms.v1.Auth/WhoAmI"

/* The administrator every isms_test_env gets (ismsd --bootstrap-admin). */
#define ISMS_TEST_ADMIN_USER     "admin"
#define ISMS_TEST_ADMIN_PASSWORD "correct-horse-battery-staple"

/* Default wait for one response; generous because the daemon runs under ASan (and five times
 * that under ISMS_TEST_WRAPPER, e.g. valgrind). */
#define ISMS_TEST_REPLY_TIMEOUT_MS (20000 * isms_test_slowdown())

/* ---- suite plumbing ------------------------------------------------------------------------ */

/* Use as the .init / .fini of every integration TestSuite. init fails the test when
 * ISMS_TEST_CONNINFO is unset; fini releases whatever the test left (servers get SIGTERM,
 * databases are dropped, clusters destroyed) without asserting: Criterion ignores failures
 * raised in .fini, so the checks live in isms_test_finish(). */
void isms_test_init(void);
void isms_test_fini(void);

/* Call at the end of every test body (Criterion ignores failures raised in .fini): closes
 * sockets and SQL connections, stops each ismsd still running and fails the test if one did
 * not exit 0 or logged a sanitizer report, drops databases, destroys clusters, removes temp
 * dirs. */
void isms_test_finish(void);

/* The environment variable `name`, or fails the test naming it and `why`. */
const char *isms_test_require_env(const char *name, const char *why);

/* Milliseconds on a monotonic clock. */
int64_t isms_test_now_ms(void);
void isms_test_sleep_ms(int ms);

/* ISMS_TEST_WRAPPER: words put in front of every ismsd the tests start as a server (not
 * --bootstrap-admin), e.g. "valgrind --error-exitcode=99 -q"; NULL when unset or empty. A
 * wrapper exit status of 99 fails the test, and so does a valgrind "ERROR SUMMARY" with errors
 * in the server's log. */
const char *isms_test_wrapper(void);
/* How much slower the server runs than under ASan: 5 with a wrapper, else 1. Start, stop and
 * reply timeouts are multiplied by it. */
int isms_test_slowdown(void);

/* A fresh directory under /tmp (short path: PostgreSQL sockets live there), removed by
 * isms_test_finish() unless ISMS_TEST_KEEP is set; kept when the test fails before finishing.
 * `out` gets the path. */
void isms_test_tmpdir(char *out, size_t outlen);

/* Reads a whole file into a NUL-terminated heap string (free it); NULL if it cannot be read. */
char *isms_test_read_file(const char *path);

/* ---- PostgreSQL ---------------------------------------------------------------------------- */

struct isms_test_db {
    char name[64];
    char admin_conninfo[1024]; /* connection used to create and drop it */
    char conninfo[1024];       /* the admin conninfo with dbname replaced by `name` */
    bool is_created;
};

/* Creates database isms_t_<pid>_<n>_<random> through `admin_conninfo` (NULL: ISMS_TEST_CONNINFO)
 * and registers it to be dropped WITH (FORCE) by fini. */
void isms_test_db_create(struct isms_test_db *db, const char *admin_conninfo);
/* Drops it now (idempotent). */
void isms_test_db_drop(struct isms_test_db *db);

/* `conninfo` with its dbname replaced, as a keyword=value string. Fails the test if
 * `conninfo` cannot be parsed. */
void isms_test_conninfo_with_db(char *out, size_t outlen, const char *conninfo, const char *db);

/* A blocking libpq connection (fails the test if it cannot connect). PQfinish it when done;
 * fini closes any left open. */
PGconn *isms_test_pg_connect(const char *conninfo);
void isms_test_pg_close(PGconn *c);
/* Runs `sql` and fails the test unless it succeeds. */
void isms_test_pg_exec(PGconn *c, const char *sql);
/* Runs `sql` with up to 3 text parameters and returns the first column of the first row as
 * a number (fails the test on error or on no rows). */
long long isms_test_pg_scalar(PGconn *c, const char *sql, int nparams, const char *const *params);

/* A connection to `db` holding `LOCK TABLE table IN ACCESS EXCLUSIVE MODE` in a transaction
 * left open: every ismsd statement that touches the table waits until the caller runs COMMIT
 * on it. `table` is a trusted identifier. */
PGconn *isms_test_pg_lock_table(const struct isms_test_db *db, const char *table);
/* How many backends of `db`, other than `holder` and `monitor` itself, wait for a lock now. */
long long isms_test_pg_lock_waiters(PGconn *monitor, const struct isms_test_db *db, PGconn *holder);
/* Polls isms_test_pg_lock_waiters until it is `want`; fails the test after timeout_ms. */
void isms_test_pg_wait_lock_waiters(PGconn *monitor, const struct isms_test_db *db, PGconn *holder,
                                    long long want, int timeout_ms);

/* ---- ismsd --------------------------------------------------------------------------------- */

struct isms_test_server {
    pid_t pid; /* 0 when not running */
    int port;
    char dir[256]; /* temp dir holding the log */
    char log_path[300];
    int exit_status; /* waitpid status once it has exited */
    bool has_exited;
};

/* Path of the ismsd binary under test (ISMS_TEST_ISMSD, else the build tree's). */
const char *isms_test_ismsd_path(void);

/* Starts ismsd --listen 127.0.0.1:0 --plaintext=true --db `db_conninfo` plus `extra_args`
 * (NULL-terminated, may be NULL), stderr and stdout to a log file, and waits up to 20 s for its
 * `msg="listening" addr=127.0.0.1:PORT` line. Fails the test with the log tail on error. */
void isms_test_server_start(struct isms_test_server *srv, const char *db_conninfo,
                            const char *const *extra_args);
/* Convenience: start a server on `db`. */
void isms_test_server_start_db(struct isms_test_server *srv, const struct isms_test_db *db,
                               const char *const *extra_args);
/* Sends SIGTERM, waits up to 30 s, and fails the test unless it exited 0 with a clean log. */
void isms_test_server_stop(struct isms_test_server *srv);
/* Waits for an already signalled server to exit (up to timeout_ms) and checks it as stop
 * does. */
void isms_test_server_wait_exit(struct isms_test_server *srv, int timeout_ms);
/* Same, but the exit status must be `want` (e.g. 1 after a second signal). On a timeout the
 * server is killed and the test fails. */
void isms_test_server_wait_exit_status(struct isms_test_server *srv, int timeout_ms, int want);
/* True while the process has not exited (reaps it if it has). */
bool isms_test_server_alive(struct isms_test_server *srv);
/* Fails the test, with the log tail, unless the process is still running. */
void isms_test_server_assert_alive(struct isms_test_server *srv, const char *when);
/* Kills the server with SIGKILL on purpose (a crash) and reaps it; its exit is not held
 * against the test, but a sanitizer report in its log still fails it. */
void isms_test_server_kill(struct isms_test_server *srv);
/* Fails the test if the log holds a sanitizer report. */
void isms_test_server_check_log(const struct isms_test_server *srv);
/* The last `max` bytes of the log, as a heap string (free it). */
char *isms_test_server_log_tail(const struct isms_test_server *srv, size_t max);
/* Starts ismsd with exactly `args` (NULL-terminated, without argv[0]: no --listen,
 * --plaintext or --db is added), e.g. for TLS; waits for its "listening" line as
 * isms_test_server_start does. */
void isms_test_server_start_raw(struct isms_test_server *srv, const char *const *args);
/* How many times `needle` occurs in the server's log so far. */
int isms_test_server_log_count(const struct isms_test_server *srv, const char *needle);
/* Polls the log until `needle` occurs at least min_count times; false after timeout_ms. */
bool isms_test_server_wait_log(const struct isms_test_server *srv, const char *needle,
                               int min_count, int timeout_ms);

/* A database and an ismsd on it: what most integration tests start with. */
struct isms_test_env {
    struct isms_test_db db;
    struct isms_test_server srv;
};

/* Creates a fresh database, creates the admin ISMS_TEST_ADMIN_USER in it, starts ismsd on it
 * with `extra_args` (may be NULL), logs in and makes that session's token the default for
 * every request this test sends (isms_test_set_token). */
void isms_test_env_start(struct isms_test_env *env, const char *const *extra_args);
/* Same, on a cluster reached through `admin_conninfo` (NULL: ISMS_TEST_CONNINFO). */
void isms_test_env_start_on(struct isms_test_env *env, const char *admin_conninfo,
                            const char *const *extra_args);

/* Runs `ismsd --db CONNINFO --bootstrap-admin USER` with `password` on stdin; fails the test
 * unless it succeeds. */
void isms_test_bootstrap_admin(const char *db_conninfo, const char *user, const char *password);

/* Auth/Login on a new connection; returns the code and copies the token into `token`. */
int isms_test_login(int port, const char *user, const char *password, char *token, size_t len);

/* The bearer token added as metadata "authorization" to every request built from now on
 * (NULL: none). The string is copied. */
void isms_test_set_token(const char *token);
/* The current token, or NULL. */
const char *isms_test_token(void);

/* ---- raw socket client --------------------------------------------------------------------- */

enum isms_test_io {
    ISMS_TEST_IO_OK = 0,
    ISMS_TEST_IO_EOF = 1, /* peer closed (orderly, or reset) */
    ISMS_TEST_IO_TIMEOUT = 2,
    ISMS_TEST_IO_ERROR = 3,
};

/* Connects to 127.0.0.1:port; returns the fd (closed by fini if still open) or fails. */
int isms_test_connect(int port);
/* Same, but returns -1 with errno set instead of failing. */
int isms_test_try_connect(int port);
/* Connects to 127.0.0.1:port from the loopback address `src_ip` (any of 127.0.0.0/8), so one
 * test can act as several client addresses; fails the test on error. */
int isms_test_connect_from(int port, const char *src_ip);
void isms_test_close(int fd);

/* Writes all of `p` (no SIGPIPE). isms_test_send fails the test on error; try_send returns
 * false instead (the peer may already have closed). */
void isms_test_send(int fd, const void *p, size_t n);
bool isms_test_try_send(int fd, const void *p, size_t n);

/* Packs Request{call_id, method, timeout_ms, body} into one frame (header + bytes), with
 * metadata authorization = "Bearer <token>" when a token is set. `body` is packed from `msg`
 * when not NULL, else taken from raw_body/raw_len. Returns a heap buffer
 * (free it) and its length in *len. */
uint8_t *isms_test_frame_request(size_t *len, uint64_t call_id, const char *method,
                                 uint32_t timeout_ms, const ProtobufCMessage *msg,
                                 const uint8_t *raw_body, size_t raw_len);
/* A frame around arbitrary body bytes. */
uint8_t *isms_test_frame_raw(size_t *len, uint8_t flags, const uint8_t *body, size_t body_len);
/* Frames and sends one request with `idem_key` (NULL: none) as its idempotency-key metadata
 * (and the current token, as every request). */
void isms_test_send_keyed(int fd, uint64_t call_id, const char *method, uint32_t timeout_ms,
                          const ProtobufCMessage *msg, const char *idem_key);
/* Frames and sends one request. */
void isms_test_send_request(int fd, uint64_t call_id, const char *method, uint32_t timeout_ms,
                            const ProtobufCMessage *msg);

/* Reads one frame within timeout_ms. On OK *body is a heap buffer (free it). */
enum isms_test_io isms_test_read_frame(int fd, int timeout_ms, uint8_t *flags, uint8_t **body,
                                       uint32_t *body_len);
/* Reads and decodes one Response; on OK *out must be freed with
 * isms__v1__response__free_unpacked(*out, NULL). A frame that is not a Response fails. */
enum isms_test_io isms_test_try_read_response(int fd, int timeout_ms, Isms__V1__Response **out);
/* Same, but fails the test (naming `what`) unless a response arrives. */
Isms__V1__Response *isms_test_read_response(int fd, int timeout_ms, const char *what);
/* Reads until the peer closes (discarding data); true if it closed within timeout_ms. */
bool isms_test_wait_closed(int fd, int timeout_ms);

/* The outcome of a unary call. */
struct isms_test_reply {
    int code;
    char *message;          /* heap, never NULL after a call */
    ProtobufCMessage *body; /* decoded with the given descriptor when code == 0, else NULL */
};

/* Sends one call on `fd` and reads its response (which must carry the same call_id).
 * Returns the code; `rep` may be NULL. `out_desc` may be NULL (body not decoded). A
 * response with code 0 whose body does not decode as out_desc fails the test. */
int isms_test_unary(int fd, const char *method, const ProtobufCMessage *req, uint32_t timeout_ms,
                    const ProtobufCMessageDescriptor *out_desc, struct isms_test_reply *rep);
void isms_test_reply_cleanup(struct isms_test_reply *rep);
/* A fresh call id (process-wide counter starting at 1000). */
uint64_t isms_test_next_call_id(void);

/* Called with each item of a server stream (the item is freed after the call). */
typedef void isms_test_item_fn(const ProtobufCMessage *item, void *ud);
/* Sends one server-streaming call on `fd` and reads every `more = true` message (decoded with
 * item_desc and passed to on_item when it is not NULL) up to the final message. Returns the
 * final code; *n_items (may be NULL) gets the number of items; `rep` (may be NULL) gets the
 * final code and message (its body stays NULL). */
int isms_test_stream(int fd, const char *method, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *item_desc, isms_test_item_fn *on_item,
                     void *ud, size_t *n_items, struct isms_test_reply *rep);

/* User/Create `name` with one role and `password` on `fd` (as the current token); fails the
 * test unless it is OK. */
void isms_test_user_create(int fd, const char *name, const char *role, const char *password);

/* Fails the test unless `rep` has `code` and its message contains `needle` (case-insensitive);
 * `what` names the call in the failure message. */
void isms_test_expect(const struct isms_test_reply *rep, int code, const char *needle,
                      const char *what);

/* Health on a new connection: returns the code (HealthResponse.status into status_out). */
int isms_test_health(int port, char *status_out, size_t status_len);

/* ---- child processes (ismsctl, pgcluster) -------------------------------------------------- */

struct isms_test_proc {
    int exit_code; /* exit status, or 128 + signal */
    char *out;     /* captured stdout (heap, NUL-terminated) */
    char *err;     /* captured stderr */
};

/* Runs argv (argv[0] a path) with `env_extra` ("K=V", NULL-terminated, may be NULL) added to
 * the environment, stdin from /dev/null, and captures output; kills it after timeout_ms and
 * fails the test. */
void isms_test_run(struct isms_test_proc *p, const char *const *argv, const char *const *env_extra,
                   int timeout_ms);
/* Same, with `input` (may be NULL) written to the child's stdin. */
void isms_test_run_input(struct isms_test_proc *p, const char *const *argv,
                         const char *const *env_extra, const char *input, int timeout_ms);
void isms_test_proc_cleanup(struct isms_test_proc *p);

/* Path of ismsctl (ISMS_TEST_ISMSCTL, else the build tree's); NULL if not built. */
const char *isms_test_ismsctl_path(void);
/* Runs ismsctl `args` (NULL-terminated, without argv[0]) with ISMS_SERVER=127.0.0.1:port,
 * ISMS_PLAINTEXT=1 and HOME / XDG_CONFIG_HOME in a temp dir kept for the whole test (where
 * `ismsctl login` keeps its session). */
void isms_test_ismsctl(struct isms_test_proc *p, int port, const char *const *args);
/* Same, with `input` (may be NULL) on its stdin. */
void isms_test_ismsctl_input(struct isms_test_proc *p, int port, const char *const *args,
                             const char *input);

/* Same as isms_test_ismsctl_input, with `env_extra` ("K=V", NULL-terminated, may be NULL)
 * added after the test settings (e.g. ISMS_TOKEN=...). */
void isms_test_ismsctl_env(struct isms_test_proc *p, int port, const char *const *args,
                           const char *input, const char *const *env_extra);
/* isms_test_ismsctl_env, then fails the test (with the command line and both outputs) unless
 * ismsctl exited `want`. */
void isms_test_ismsctl_expect(struct isms_test_proc *p, int port, int want, const char *input,
                              const char *const *env_extra, const char *const *args);
/* The private HOME used by this test's ismsctl runs (made on first use). */
const char *isms_test_ismsctl_home(void);

/* The full path of program `name` found on PATH (a static buffer), or NULL. */
const char *isms_test_find_program(const char *name);

/* ---- TLS test certificates (openssl command-line tool) -------------------------------------- */

/* A self-signed CA: DIR/NAME.crt and DIR/NAME.key (EC P-256, 30 days). */
void isms_test_tls_ca(const char *dir, const char *name);
/* A server certificate for DNS:localhost and IP:127.0.0.1 signed by DIR/CA.crt, with serial
 * `serial` (openssl syntax, e.g. "0x1001"): DIR/NAME.crt and DIR/NAME.key. */
void isms_test_tls_cert(const char *dir, const char *ca, const char *name, const char *serial);

/* Path of tests/lib/pgcluster (from ISMS_SOURCE_DIR or the compile-time source dir). */
const char *isms_test_pgcluster_path(void);
/* `pgcluster create DIR`: registers DIR for `pgcluster destroy` in fini and returns the
 * conninfo line it printed in `conninfo`. */
void isms_test_pgcluster_create(const char *dir, char *conninfo, size_t len);
/* `pgcluster stop|start DIR`; fails the test if the script fails. */
void isms_test_pgcluster(const char *verb, const char *dir);

/* ---- CSV ------------------------------------------------------------------------------------ */

#define ISMS_TEST_CSV_ROWS  256
#define ISMS_TEST_CSV_CELLS 16

/* One parsed RFC 4180 text: rows of cells (heap strings; isms_test_csv_free releases them). */
struct isms_test_csv {
    size_t nrows;
    size_t ncells[ISMS_TEST_CSV_ROWS];
    char *cells[ISMS_TEST_CSV_ROWS][ISMS_TEST_CSV_CELLS];
};

/* Parses `s` (quoted cells with "" for a quote); fails the test on malformed input or too many
 * rows or cells. Records end in CRLF, or also in a bare LF unless `require_crlf`. */
void isms_test_csv_parse(struct isms_test_csv *c, const char *s, bool require_crlf);
void isms_test_csv_free(struct isms_test_csv *c);

#endif
