/* client/cli.c — the invocation shared by all commands: global options, usage errors, and calling
 * the server over one lazily opened connection. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "config.h"
#include "credentials.h"
#include "secret.h"

void isms_cli_init(struct isms_cli *cli)
{
    memset(cli, 0, sizeof(*cli));
    cli->format = ISMS_OUT_TABLE;
    cli->timeout_ms = ISMS_CLI_DEFAULT_TIMEOUT_MS;
    isms_wire_init(&cli->wire);
}

void isms_cli_cleanup(struct isms_cli *cli)
{
    isms_wire_cleanup(&cli->wire);
    cli->is_connected = false;
    if (cli->token != NULL) {
        isms_secret_wipe(cli->token, strlen(cli->token));
        free(cli->token);
        cli->token = NULL;
    }
}

enum isms_code isms_cli_usage(struct isms_cli *cli, struct isms_status *st, const char *fmt, ...)
{
    va_list ap;

    cli->is_usage_error = true;
    va_start(ap, fmt);
    isms_status_vset(st, ISMS_INVALID_ARGUMENT, fmt, ap);
    va_end(ap);
    return ISMS_INVALID_ARGUMENT;
}

bool isms_cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;

    if (s == NULL || s[0] == '\0' || s[0] == ' ' || s[0] == '+')
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = (int64_t)v;
    return true;
}

/* If argv[*i] is "--name" or "--name=VALUE" (or, with a short name, "-s" or "-sVALUE"), sets
 * *value to the option's value, taking the next word if needed. Returns 1 on a match, 0 if
 * argv[*i] is another word, -1 if the value is missing. */
static int match_opt(int argc, char **argv, int *i, const char *name, char short_name,
                     bool takes_value, const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);

    *value = NULL;
    if (a[0] == '-' && a[1] == '-' && strncmp(a + 2, name, n) == 0) {
        const char *rest = a + 2 + n;

        if (*rest == '\0') {
            if (!takes_value)
                return 1;
            if (*i + 1 >= argc)
                return -1;
            *value = argv[++*i];
            return 1;
        }
        if (*rest == '=' && takes_value) {
            *value = rest + 1;
            return 1;
        }
        return 0;
    }
    if (short_name != '\0' && a[0] == '-' && a[1] == short_name) {
        if (a[2] != '\0') {
            *value = a + 2;
            return 1;
        }
        if (*i + 1 >= argc)
            return -1;
        *value = argv[++*i];
        return 1;
    }
    return 0;
}

int isms_cli_global_opt(struct isms_cli *cli, int argc, char **argv, int *i, struct isms_status *st)
{
    const char *v;
    int64_t n;
    int m;

    if ((m = match_opt(argc, argv, i, "server", '\0', true, &v)) != 0) {
        if (m < 0) {
            isms_cli_usage(cli, st, "--server needs a HOST:PORT");
            return -1;
        }
        cli->flags.server = v;
        return 1;
    }
    if ((m = match_opt(argc, argv, i, "ca", '\0', true, &v)) != 0) {
        if (m < 0 || v[0] == '\0') {
            isms_cli_usage(cli, st, "--ca needs a FILE of PEM CA certificates");
            return -1;
        }
        cli->flags.ca_file = v;
        return 1;
    }
    if ((m = match_opt(argc, argv, i, "plaintext", '\0', false, &v)) != 0) {
        cli->flags.is_plaintext = true;
        return 1;
    }
    if ((m = match_opt(argc, argv, i, "wide", '\0', false, &v)) != 0) {
        cli->is_wide = true;
        return 1;
    }
    if ((m = match_opt(argc, argv, i, "output", 'o', true, &v)) != 0) {
        if (m < 0 || !isms_out_parse_format(v, &cli->format)) {
            isms_cli_usage(cli, st, "-o needs one of table, json, csv (got \"%.40s\")",
                           m < 0 ? "" : v);
            return -1;
        }
        return 1;
    }
    if ((m = match_opt(argc, argv, i, "timeout", '\0', true, &v)) != 0) {
        if (m < 0 || !isms_cli_parse_i64(v, 0, ISMS_CLI_MAX_TIMEOUT_MS, &n)) {
            isms_cli_usage(cli, st, "--timeout needs milliseconds from 0 (no deadline) to %u",
                           ISMS_CLI_MAX_TIMEOUT_MS);
            return -1;
        }
        cli->timeout_ms = (uint32_t)n;
        cli->is_timeout_set = true;
        return 1;
    }
    return 0;
}

enum isms_code isms_cli_resolve(struct isms_cli *cli, struct isms_status *st)
{
    char host[256], port[8];

    if (cli->is_resolved)
        return ISMS_OK;
    if (isms_config_resolve(&cli->flags, &cli->conf, st) != ISMS_OK ||
        isms_config_split_addr(cli->conf.server, host, sizeof(host), port, sizeof(port), st) !=
            ISMS_OK) {
        cli->is_usage_error = true;
        return st->code;
    }
    snprintf(cli->server, sizeof(cli->server), "%s", cli->conf.server);
    cli->is_resolved = true;
    return ISMS_OK;
}

enum isms_code isms_cli_token(struct isms_cli *cli, const char **token, struct isms_status *st)
{
    const char *env = getenv("ISMS_TOKEN");

    *token = NULL;
    if (cli->token != NULL) {
        *token = cli->token;
        return ISMS_OK;
    }
    if (isms_cli_resolve(cli, st) != ISMS_OK)
        return st->code;
    if (env != NULL && env[0] != '\0') {
        size_t n = strlen(env);

        cli->token = malloc(n + 1);
        if (cli->token == NULL)
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        memcpy(cli->token, env, n + 1);
        cli->is_token_from_file = false;
    } else {
        if (isms_cred_load(cli->server, &cli->token, st) != ISMS_OK) {
            cli->is_usage_error = st->code == ISMS_INVALID_ARGUMENT;
            return st->code;
        }
        if (cli->token == NULL)
            return isms_status_set(st, ISMS_UNAUTHENTICATED,
                                   "not logged in to %s; run 'ismsctl login' (or set ISMS_TOKEN)",
                                   cli->server);
        cli->is_token_from_file = true;
    }
    *token = cli->token;
    return ISMS_OK;
}

/* Methods that need no bearer token (docs/PROTOCOL.md, "Authentication"). */
static bool is_public_method(const char *method)
{
    return strcmp(method, "/isms.v1.System/Health") == 0 ||
           strcmp(method, "/isms.v1.System/Info") == 0 ||
           strcmp(method, "/isms.v1.Auth/Login") == 0;
}

/* Connects on first use. */
static enum isms_code ensure_connected(struct isms_cli *cli, struct isms_status *st)
{
    char host[256], port[8];
    uint32_t connect_ms = ISMS_CLI_CONNECT_TIMEOUT_MS;
    enum isms_code code;

    if (cli->is_connected && cli->wire.fd >= 0)
        return ISMS_OK;
    if (isms_cli_resolve(cli, st) != ISMS_OK)
        return st->code;
    if (isms_config_split_addr(cli->server, host, sizeof(host), port, sizeof(port), st) !=
        ISMS_OK) {
        cli->is_usage_error = true;
        return st->code;
    }
    if (!cli->conf.is_plaintext && cli->wire.tls_ctx == NULL &&
        isms_wire_use_tls(&cli->wire, cli->conf.ca_file, st) != ISMS_OK) {
        cli->is_usage_error = st->code == ISMS_INVALID_ARGUMENT;
        return st->code;
    }
    if (cli->timeout_ms != 0 && cli->timeout_ms < connect_ms)
        connect_ms = cli->timeout_ms;
    code = isms_wire_connect(&cli->wire, host, port, connect_ms, st);
    if (code != ISMS_OK) {
        cli->is_unreachable = cli->wire.is_unreachable;
        return code;
    }
    cli->is_connected = true;
    return ISMS_OK;
}

/* The token to send with `method`, or NULL for a public one. */
static enum isms_code token_for(struct isms_cli *cli, const char *method, const char **token,
                                struct isms_status *st)
{
    *token = NULL;
    if (is_public_method(method))
        return ISMS_OK;
    return isms_cli_token(cli, token, st);
}

/* 32 random hex digits. */
static void new_key(char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[16];

    if (RAND_bytes(r, sizeof(r)) != 1)
        memset(r, 0, sizeof(r));
    for (size_t i = 0; i < sizeof(r); i++) {
        out[2 * i] = hex[r[i] >> 4];
        out[2 * i + 1] = hex[r[i] & 15];
    }
    out[32] = '\0';
}

#define RETRY_DELAY_MS 1000 /* before the one retry after UNAVAILABLE */

/* Whether a call may be sent again after UNAVAILABLE. The server does not keep answers of the
 * calls that carry passwords or new tokens, so those are never repeated. */
static bool may_retry(const char *method)
{
    static const char *const never[] = {
        "/isms.v1.Auth/Login",  "/isms.v1.Auth/ChangePassword", "/isms.v1.Auth/CreateToken",
        "/isms.v1.User/Create", "/isms.v1.User/ResetPassword",
    };

    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
        if (strcmp(method, never[i]) == 0)
            return false;
    return true;
}

enum isms_code isms_cli_call(struct isms_cli *cli, const char *method, const ProtobufCMessage *req,
                             const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
                             struct isms_status *st)
{
    const char *token;
    enum isms_code code;

    char key[33];

    *resp = NULL;
    /* Connect first: a server that cannot be reached says so, not "not logged in". */
    if (ensure_connected(cli, st) != ISMS_OK || token_for(cli, method, &token, st) != ISMS_OK)
        return st->code;
    /* Every call carries a fresh key: a write repeated with it is never made twice (the server
     * answers a repeat from what it stored), and a read ignores it. */
    new_key(key);
    cli->wire.idempotency_key = token != NULL ? key : NULL;
    code = isms_wire_call(&cli->wire, method, token, req, resp_desc, cli->timeout_ms, resp, st);
    if (code == ISMS_UNAVAILABLE && token != NULL && may_retry(method)) {
        /* Once, with the same key: the first try may have been made, or not. The pause lets
         * a restarting server or database come back before the one retry is spent. */
        struct timespec pause = {.tv_sec = RETRY_DELAY_MS / 1000,
                                 .tv_nsec = (RETRY_DELAY_MS % 1000) * 1000000L};

        protobuf_c_message_free_unpacked(*resp, NULL);
        *resp = NULL;
        while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
            ;
        if (cli->wire.fd < 0)
            cli->is_connected = false; /* the transport failed: connect again */
        if (ensure_connected(cli, st) == ISMS_OK)
            code = isms_wire_call(&cli->wire, method, token, req, resp_desc, cli->timeout_ms, resp,
                                  st);
    }
    cli->wire.idempotency_key = NULL;
    cli->is_unreachable = cli->wire.is_unreachable;
    return code;
}

enum isms_code isms_cli_stream(struct isms_cli *cli, const char *method,
                               const ProtobufCMessage *req,
                               const ProtobufCMessageDescriptor *item_desc, isms_wire_item_cb *cb,
                               void *ud, struct isms_status *st)
{
    const char *token;
    uint32_t timeout_ms = cli->is_timeout_set ? cli->timeout_ms : 0;
    uint32_t idle_ms = cli->is_timeout_set ? 0 : ISMS_CLI_DEFAULT_TIMEOUT_MS;
    enum isms_code code;

    /* Connect first: a server that cannot be reached says so, not "not logged in". */
    if (ensure_connected(cli, st) != ISMS_OK || token_for(cli, method, &token, st) != ISMS_OK)
        return st->code;
    code = isms_wire_stream(&cli->wire, method, token, req, item_desc, timeout_ms, idle_ms, cb, ud,
                            st);
    cli->is_unreachable = cli->wire.is_unreachable;
    return code;
}

void isms_cli_free_list(char **list)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++)
        free(list[i]);
    free(list);
}

char **isms_cli_split_list(const char *s, size_t *n)
{
    size_t cap = 1;
    char **list;

    *n = 0;
    for (const char *p = s; *p != '\0'; p++)
        cap += *p == ',';
    list = calloc(cap + 1, sizeof(*list));
    if (list == NULL)
        return NULL;
    while (*s != '\0') {
        const char *comma = strchr(s, ',');
        size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);

        while (len > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        if (len > 0) {
            list[*n] = malloc(len + 1);
            if (list[*n] == NULL) {
                isms_cli_free_list(list);
                return NULL;
            }
            memcpy(list[*n], s, len);
            list[*n][len] = '\0';
            (*n)++;
        }
        s = comma != NULL ? comma + 1 : s + strlen(s);
    }
    return list;
}
