/* core/config.c — the settings table and its three text sources (INI via inih, env, flags).
 * Every key is parsed by one function per type, so bounds are checked the same way everywhere. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "core/log.h"

enum opt_type { T_STR, T_U32, T_SIZE, T_LEVEL, T_ADDR, T_BOOL };

struct opt {
    const char *key;
    enum opt_type type;
    size_t off;
    size_t len; /* for strings: buffer size */
    uint64_t min, max;
    const char *def;
    const char *help;
};

#define OFF(f) offsetof(struct isms_config, f)

static const struct opt opts[] = {
    {"listen", T_ADDR, OFF(listen), sizeof(((struct isms_config *)0)->listen), 0, 0,
     "127.0.0.1:7370", "address to listen on, HOST:PORT (port 0 picks a free one)"},
    {"db", T_STR, OFF(db), sizeof(((struct isms_config *)0)->db), 0, 0, "dbname=isms",
     "libpq connection string of the ISMS database, as the runtime role"},
    {"owner_db", T_STR, OFF(owner_db), sizeof(((struct isms_config *)0)->owner_db), 0, 0, "",
     "libpq connection string as the schema's owner role, for migrations (empty: db)"},
    {"audit_key", T_STR, OFF(audit_key), sizeof(((struct isms_config *)0)->audit_key), 0, 0,
     "/var/lib/ismsd/audit.key",
     "Ed25519 key file signing audit checkpoints (mode 0600; created if missing)"},
    {"audit_checkpoint_s", T_U32, OFF(audit_checkpoint_s), 0, 1, 86400, "60",
     "sign the audit chain's head this often, in seconds (and at shutdown)"},
    {"tls_cert", T_STR, OFF(tls_cert), sizeof(((struct isms_config *)0)->tls_cert), 0, 0, "",
     "TLS certificate chain (PEM); reloaded on SIGHUP"},
    {"tls_key", T_STR, OFF(tls_key), sizeof(((struct isms_config *)0)->tls_key), 0, 0, "",
     "TLS private key (PEM); reloaded on SIGHUP"},
    {"plaintext", T_BOOL, OFF(plaintext), 0, 0, 1, "false",
     "serve without TLS; allowed only on a loopback address"},
    {"log_level", T_LEVEL, OFF(log_level), 0, 0, 0, "info", "debug, info, warn or error"},
    {"pool_size", T_U32, OFF(pool_size), 0, 1, 256, "4", "database connections"},
    {"db_queue_max", T_U32, OFF(db_queue_max), 0, 1, 1000000, "4096",
     "statements that may wait for a database connection"},
    {"max_conns", T_U32, OFF(max_conns), 0, 1, 1000000, "1024", "client connections in total"},
    {"max_conns_per_addr", T_U32, OFF(max_conns_per_addr), 0, 0, 1000000, "256",
     "client connections from one address (0 = no limit)"},
    {"login_timeout_s", T_U32, OFF(login_timeout_s), 0, 1, 3600, "10",
     "close a connection that has not authenticated within this many seconds"},
    {"frame_timeout_s", T_U32, OFF(frame_timeout_s), 0, 1, 3600, "10",
     "close a connection whose started frame does not complete within this many seconds"},
    {"preauth_max_frame_bytes", T_SIZE, OFF(preauth_max_frame_bytes), 0, 1024, 64u << 20, "65536",
     "largest frame body accepted before authentication"},
    {"max_inflight_per_conn", T_U32, OFF(max_inflight), 0, 1, 65536, "64",
     "calls in flight per connection before reading pauses"},
    {"idle_timeout_s", T_U32, OFF(idle_timeout_s), 0, 1, 86400 * 7, "300",
     "close a connection idle this many seconds"},
    {"drain_timeout_s", T_U32, OFF(drain_timeout_s), 0, 0, 3600, "10",
     "seconds SIGTERM lets calls in flight finish"},
    {"session_ttl_s", T_U32, OFF(session_ttl_s), 0, 60, 86400 * 30, "43200",
     "lifetime of a login session in seconds"},
    {"max_frame_bytes", T_SIZE, OFF(max_frame_bytes), 0, 1024, 64u << 20, "4194304",
     "largest frame body accepted, bytes (K, M suffixes allowed)"},
    {"output_hard_bytes", T_SIZE, OFF(output_hard_bytes), 0, 65536, 1u << 30, "8388608",
     "pending output that gets a connection closed"},
    {"stream_output_bytes", T_SIZE, OFF(stream_output_bytes), 0, 16384, 1u << 30, "262144",
     "pending output of a connection above which its streams and statements wait (at most half of "
     "output_hard_bytes)"},
    {"write_timeout_s", T_U32, OFF(write_timeout_s), 0, 1, 3600, "30",
     "close a connection whose pending output makes no progress for this many seconds"},
    {"calls_memory_bytes", T_SIZE, OFF(calls_memory_bytes), 0, 1u << 20, 1ull << 40, "67108864",
     "memory of calls in flight and pending output, server-wide, before connections pause"},
    {"statements_per_conn", T_U32, OFF(statements_per_conn), 0, 1, 256, "1",
     "statements one connection's calls run at once; more wait for their turn"},
    {"shutdown_grace_s", T_U32, OFF(shutdown_grace_s), 0, 1, 600, "5",
     "seconds after the drain to wait for connections and the database pool before exiting"},
    {"health_probe_ms", T_U32, OFF(health_probe_ms), 0, 100, 60000, "1000",
     "how often the database is checked (SELECT 1) for System/Health"},
    {"health_stall_ms", T_U32, OFF(health_stall_ms), 0, 100, 600000, "3000",
     "a check unanswered this long makes Health report the database as stalled"},
    {"hash_threads", T_U32, OFF(hash_threads), 0, 1, 64, "2",
     "threads hashing passwords (argon2id, 64 MiB each while it runs)"},
    {"hash_queue_max", T_U32, OFF(hash_queue_max), 0, 1, 1000000, "256",
     "password hashes that may wait for a thread before a call gets RESOURCE_EXHAUSTED"},
    {"call_arena_bytes", T_SIZE, OFF(call_arena_bytes), 0, 65536, 1u << 30, "16777216",
     "memory cap of one call"},
    {"max_document_bytes", T_SIZE, OFF(max_document_bytes), 0, 1, 1ull << 30, "67108864",
     "largest file uploaded as a document version or evidence, bytes"},
    {"schedule_tick_ms", T_U32, OFF(schedule_tick_ms), 0, 0, 3600000, "1000",
     "how often the scheduler claims due schedules (+/- 10 %); 0: no scheduler in this instance"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const struct opt *find_opt(const char *key)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strcmp(opts[i].key, key) == 0)
            return &opts[i];
    /* Short aliases used by flags and env. */
    if (strcmp(key, "max_inflight") == 0)
        return find_opt("max_inflight_per_conn");
    return NULL;
}

static int parse_u64(const char *s, int allow_suffix, uint64_t *out)
{
    char *end;
    unsigned long long v;

    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0' || *s == '-')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s)
        return -1;
    if (allow_suffix && *end != '\0') {
        unsigned long long mul = 0;

        if (*end == 'K' || *end == 'k')
            mul = 1024ull;
        else if (*end == 'M' || *end == 'm')
            mul = 1024ull * 1024;
        else if (*end == 'G' || *end == 'g')
            mul = 1024ull * 1024 * 1024;
        if (mul == 0)
            return -1;
        end++;
        if (*end == 'i' || *end == 'B')
            end++;
        if (*end == 'B')
            end++;
        if (v > UINT64_MAX / mul)
            return -1;
        v *= mul;
    }
    while (isspace((unsigned char)*end))
        end++;
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

enum isms_code isms_config_split_addr(const char *addr, char *host, size_t hostlen, int *port,
                                      struct isms_status *st)
{
    const char *colon = strrchr(addr, ':');
    const char *h = addr;
    size_t hl;
    uint64_t p;

    if (colon == NULL)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "expected HOST:PORT, got \"%s\"", addr);
    hl = (size_t)(colon - addr);
    if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
        h = addr + 1;
        hl -= 2;
    }
    if (hl == 0 || hl >= hostlen)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "expected HOST:PORT, got \"%s\"", addr);
    if (parse_u64(colon + 1, 0, &p) != 0 || p > 65535)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "expected a port between 0 and 65535, got \"%s\"", colon + 1);
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return ISMS_OK;
}

enum isms_code isms_config_set(struct isms_config *cfg, const char *key, const char *value,
                               const char *where, struct isms_status *st)
{
    const struct opt *o = find_opt(key);
    char *base = (char *)cfg;
    uint64_t v;

    if (o == NULL)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s: unknown key \"%s\"", where, key);
    switch (o->type) {
    case T_ADDR: {
        char host[256];
        int port;
        struct isms_status sub;

        if (isms_config_split_addr(value, host, sizeof(host), &port, &sub) != ISMS_OK)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s: %s: %s", where, o->key, sub.msg);
    }
        /* fall through */
    case T_STR:
        if (strlen(value) >= o->len)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "%s: %s: value is too long (at most %zu bytes)", where, o->key,
                                   o->len - 1);
        memcpy(base + o->off, value, strlen(value) + 1);
        return ISMS_OK;
    case T_BOOL:
        if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "on") == 0 ||
            strcmp(value, "1") == 0)
            *(int *)(base + o->off) = 1;
        else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
                 strcmp(value, "off") == 0 || strcmp(value, "0") == 0)
            *(int *)(base + o->off) = 0;
        else
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "%s: %s: expected true or false, got \"%s\"", where, o->key,
                                   value);
        return ISMS_OK;
    case T_LEVEL: {
        int lvl = isms_log_level_parse(value);

        if (lvl < 0)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "%s: %s: expected debug, info, warn or error, got \"%s\"", where,
                                   o->key, value);
        *(int *)(base + o->off) = lvl;
        return ISMS_OK;
    }
    case T_U32:
    case T_SIZE:
        if (parse_u64(value, o->type == T_SIZE, &v) != 0 || v < o->min || v > o->max)
            return isms_status_set(
                st, ISMS_INVALID_ARGUMENT,
                "%s: %s: expected %s between %" PRIu64 " and %" PRIu64 ", got \"%s\"", where,
                o->key, o->type == T_SIZE ? "a size" : "a number", o->min, o->max, value);
        if (o->type == T_U32)
            *(uint32_t *)(base + o->off) = (uint32_t)v;
        else
            *(uint64_t *)(base + o->off) = v;
        return ISMS_OK;
    }
    return isms_status_set(st, ISMS_INTERNAL, "%s: %s: bad option type", where, o->key);
}

void isms_config_defaults(struct isms_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < NOPTS; i++) {
        enum isms_code rc = isms_config_set(cfg, opts[i].key, opts[i].def, "default", NULL);

        (void)rc;
    }
}

struct ini_ctx {
    struct isms_config *cfg;
    const char *path;
    struct isms_status *st;
    int failed;
    const char *bad_section;
};

static int on_ini_pair(void *user, const char *section, const char *name, const char *value)
{
    struct ini_ctx *c = user;

    if (c->failed)
        return 0;
    if (section[0] != '\0' && strcmp(section, "ismsd") != 0) {
        c->failed = 1;
        isms_status_set(c->st, ISMS_INVALID_ARGUMENT, "unknown section [%s]", section);
        return 0;
    }
    if (isms_config_set(c->cfg, name, value, "", c->st) != ISMS_OK) {
        c->failed = 1;
        return 0;
    }
    return 1;
}

enum isms_code isms_config_parse_file(struct isms_config *cfg, const char *path,
                                      struct isms_status *st)
{
    struct isms_status sub;
    struct ini_ctx c = {cfg, path, &sub, 0, NULL};
    FILE *f = fopen(path, "r");
    int line;

    if (f == NULL)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not open config file \"%s\": %s",
                               path, strerror(errno));
    line = ini_parse_file(f, on_ini_pair, &c);
    fclose(f);
    if (line < 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not read config file \"%s\"",
                               path);
    if (line > 0) {
        /* Messages from isms_config_set start with ": " because `where` was empty. */
        const char *m = c.failed ? sub.msg : ": syntax error";

        if (m[0] == ':' && m[1] == ' ')
            m += 2;
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s:%d: %s", path, line, m);
    }
    snprintf(cfg->config_path, sizeof(cfg->config_path), "%s", path);
    return ISMS_OK;
}

static int flag_to_key(const char *flag, char *key, size_t n)
{
    size_t i = 0;

    if (strncmp(flag, "--", 2) != 0)
        return -1;
    for (flag += 2; *flag != '\0' && *flag != '=' && i + 1 < n; flag++)
        key[i++] = *flag == '-' ? '_' : *flag;
    key[i] = '\0';
    return 0;
}

enum isms_code isms_config_load(struct isms_config *cfg, int argc, char **argv, char **env,
                                isms_config_flag_cb *extra_flag, void *ud,
                                enum isms_config_action *action, struct isms_status *st)
{
    const char *path = NULL;
    int explicit_path = 0;

    *action = ISMS_CONFIG_RUN;
    isms_config_defaults(cfg);
    /* First pass: --config, --help, --version decide what else happens. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            *action = ISMS_CONFIG_HELP;
            return ISMS_OK;
        }
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
            *action = ISMS_CONFIG_VERSION;
            return ISMS_OK;
        }
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc)
                return isms_status_set(st, ISMS_INVALID_ARGUMENT, "--config needs a file");
            path = argv[++i];
            explicit_path = 1;
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            path = argv[i] + 9;
            explicit_path = 1;
        }
    }
    for (char **e = env; !explicit_path && e != NULL && *e != NULL; e++)
        if (strncmp(*e, "ISMSD_CONFIG=", 13) == 0) {
            path = *e + 13;
            explicit_path = 1;
        }
    if (path == NULL && access(ISMS_CONFIG_DEFAULT_PATH, F_OK) == 0)
        path = ISMS_CONFIG_DEFAULT_PATH;
    if (path != NULL && isms_config_parse_file(cfg, path, st) != ISMS_OK)
        return st->code;

    for (char **e = env; e != NULL && *e != NULL; e++) {
        char key[64];
        const char *eq;
        size_t kl;

        if (strncmp(*e, "ISMSD_", 6) != 0 || strncmp(*e, "ISMSD_CONFIG=", 13) == 0)
            continue;
        eq = strchr(*e, '=');
        if (eq == NULL)
            continue;
        kl = (size_t)(eq - (*e + 6));
        if (kl >= sizeof(key))
            continue;
        for (size_t k = 0; k < kl; k++)
            key[k] = (char)tolower((unsigned char)(*e)[6 + k]);
        key[kl] = '\0';
        if (find_opt(key) == NULL)
            continue; /* other ISMSD_* variables are not ours to reject */
        {
            char where[96];

            snprintf(where, sizeof(where), "environment ISMSD_%.*s", (int)kl, *e + 6);
            if (isms_config_set(cfg, key, eq + 1, where, st) != ISMS_OK)
                return st->code;
        }
    }

    for (int i = 1; i < argc; i++) {
        char key[64];
        const char *value;
        char where[96];

        if (strcmp(argv[i], "--config") == 0) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--config=", 9) == 0)
            continue;
        if (flag_to_key(argv[i], key, sizeof(key)) != 0 || find_opt(key) == NULL) {
            if (extra_flag != NULL) {
                int used = extra_flag(ud, argc, argv, i, st);

                if (used < 0)
                    return st->code;
                if (used > 0) {
                    i += used - 1;
                    continue;
                }
            }
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "unknown option \"%s\" (see ismsd --help)", argv[i]);
        }
        value = strchr(argv[i], '=');
        if (value != NULL) {
            value++;
        } else if (find_opt(key)->type == T_BOOL) {
            value = "true"; /* a bare boolean flag switches it on */
        } else {
            if (i + 1 >= argc)
                return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s needs a value", argv[i]);
            value = argv[++i];
        }
        snprintf(where, sizeof(where), "option --%s", key);
        for (char *p = where; *p != '\0'; p++)
            if (*p == '_')
                *p = '-';
        if (isms_config_set(cfg, key, value, where, st) != ISMS_OK)
            return st->code;
    }
    if (explicit_path && path != NULL && cfg->config_path[0] == '\0')
        snprintf(cfg->config_path, sizeof(cfg->config_path), "%s", path);
    return ISMS_OK;
}

void isms_config_usage(char *buf, size_t n)
{
    size_t o = 0;
    int w;

    w = snprintf(buf, n,
                 "usage: ismsd [options]\n\n"
                 "ismsd serves the isms.v1 protocol (docs/PROTOCOL.md) and stores the ISMS in\n"
                 "PostgreSQL. Settings come from built-in defaults, then the config file, then\n"
                 "ISMSD_<KEY> environment variables, then these options.\n\n"
                 "  --config FILE            INI config file (default %s if it exists)\n"
                 "  --bootstrap-admin NAME   create the first admin (roles admin, isms_manager)\n"
                 "                           and exit; the password is read from stdin, or a\n"
                 "                           one-time password is printed\n"
                 "  --help                   this text\n"
                 "  --version                print the version\n",
                 ISMS_CONFIG_DEFAULT_PATH);
    if (w < 0 || (size_t)w >= n)
        return;
    o = (size_t)w;
    for (size_t i = 0; i < NOPTS && o < n; i++) {
        char flag[64];

        snprintf(flag, sizeof(flag), "--%s", opts[i].key);
        for (char *p = flag; *p != '\0'; p++)
            if (*p == '_')
                *p = '-';
        w = snprintf(buf + o, n - o, "  %-24s %s (default %s)\n", flag, opts[i].help, opts[i].def);
        if (w < 0)
            return;
        o += (size_t)w;
    }
}
