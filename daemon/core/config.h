/* core/config.h — ismsd's settings: one table gives each key its type, default, bounds, env
 * variable and flag. Sources, later winning: defaults, INI file, ISMSD_* env, command line.
 * The result is a plain struct, read-only after startup. */
#ifndef ISMS_CORE_CONFIG_H
#define ISMS_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define ISMS_CONFIG_DEFAULT_PATH "/etc/ismsd/ismsd.conf"

struct isms_config {
    char listen[256];                 /* HOST:PORT */
    char db[1024];                    /* libpq conninfo (the runtime role) */
    char owner_db[1024];              /* conninfo for migrations as the owner role ("" = db) */
    char audit_key[1024];             /* Ed25519 key file signing audit checkpoints */
    uint32_t audit_checkpoint_s;      /* sign the audit chain head this often */
    int log_level;                    /* enum isms_log_level */
    uint32_t pool_size;               /* database connections */
    uint32_t db_queue_max;            /* statements waiting for a connection */
    uint32_t max_conns;               /* client connections in total */
    uint32_t max_conns_per_addr;      /* client connections from one address */
    uint32_t login_timeout_s;         /* a connection must authenticate within this */
    uint32_t frame_timeout_s;         /* a started frame must complete within this */
    uint32_t session_ttl_s;           /* lifetime of a login session */
    uint64_t preauth_max_frame_bytes; /* frame limit before authentication */
    uint32_t max_inflight;            /* calls in flight per connection before reads pause */
    uint32_t idle_timeout_s;          /* close a connection silent this long with no call */
    uint32_t drain_timeout_s;         /* how long SIGTERM lets calls finish */
    uint64_t max_frame_bytes;         /* largest frame body accepted */
    uint64_t output_hard_bytes;       /* pending output that gets a connection closed */
    uint64_t stream_output_bytes;     /* pending output above which a connection's streams wait */
    uint32_t write_timeout_s;         /* pending output with no write progress this long: close */
    uint64_t calls_memory_bytes;      /* calls' arenas plus pending output, server-wide */
    uint32_t statements_per_conn;     /* statements one connection's calls run at once */
    uint32_t shutdown_grace_s;        /* after the drain: wait this long for the pool, then exit */
    uint64_t call_arena_bytes;        /* memory cap of one call */
    uint64_t max_document_bytes;      /* largest uploaded file (documents, evidence) */
    uint32_t health_probe_ms;         /* database check interval for Health */
    uint32_t health_stall_ms;         /* an unanswered check this old means "stalled" */
    uint32_t hash_threads;            /* password-hashing worker threads */
    uint32_t hash_queue_max;          /* password hashes waiting for a thread */
    uint32_t schedule_tick_ms;        /* scheduler interval; 0: off in this instance */
    char tls_cert[1024];              /* PEM certificate chain */
    char tls_key[1024];               /* PEM private key */
    int plaintext;                    /* serve without TLS (loopback only) */
    char config_path[1024];           /* the file read, or "" */
};

/* What isms_config_load() decided beyond the settings. */
enum isms_config_action {
    ISMS_CONFIG_RUN = 0,
    ISMS_CONFIG_HELP = 1,    /* print isms_config_usage() and exit 0 */
    ISMS_CONFIG_VERSION = 2, /* print the version and exit 0 */
};

/* Fills `cfg` with the built-in defaults. */
void isms_config_defaults(struct isms_config *cfg);

/* Applies the sources in order: defaults, the config file (--config FILE, else ISMSD_CONFIG, else
 * the default path if it exists), `env` (NULL-terminated "KEY=VALUE" strings, normally environ),
 * then `argv`. `extra_flag` (may be NULL) is offered each unknown "--x" flag first; it returns
 * the number of argv entries it consumed (1 or 2), 0 if it does not know the flag, or -1 with
 * `st` set. Errors: INVALID_ARGUMENT with a message naming the file and line or the flag/env,
 * the key and what was expected. */
typedef int isms_config_flag_cb(void *ud, int argc, char **argv, int i, struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_config_load(struct isms_config *cfg, int argc, char **argv,
                                               char **env, isms_config_flag_cb *extra_flag,
                                               void *ud, enum isms_config_action *action,
                                               struct isms_status *st);

/* Parses one INI file into `cfg`. Errors name `path:line: key: ...`. */
ISMS_MUSTCHECK enum isms_code isms_config_parse_file(struct isms_config *cfg, const char *path,
                                                     struct isms_status *st);

/* Sets one key from text; `where` prefixes the error (e.g. "ismsd.conf:12"). */
ISMS_MUSTCHECK enum isms_code isms_config_set(struct isms_config *cfg, const char *key,
                                              const char *value, const char *where,
                                              struct isms_status *st);

/* Splits "HOST:PORT" ("[v6]:PORT" too). Errors: INVALID_ARGUMENT. */
ISMS_MUSTCHECK enum isms_code isms_config_split_addr(const char *addr, char *host, size_t hostlen,
                                                     int *port, struct isms_status *st);

/* Writes --help text (generated from the table) to `buf`. */
void isms_config_usage(char *buf, size_t n);

#endif
