/* client/cli.h — what every ismsctl command sees: the invocation (server, output format,
 * timeout), global options, usage errors and the one way to call the server. The command rows
 * are in cmd.h. To add a noun: write client/cmd_<noun>.c defining `isms_noun_<noun>`, declare
 * it at the end of this file, and list it in isms_nouns[] in client/main.c. */
#ifndef ISMS_CLIENT_CLI_H
#define ISMS_CLIENT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "cmd.h"
#include "config.h"
#include "common/status.h"
#include "output.h"
#include "wire.h"

#define ISMS_CLI_DEFAULT_SERVER     "127.0.0.1:7370"
#define ISMS_CLI_DEFAULT_TIMEOUT_MS 10000u
#define ISMS_CLI_MAX_TIMEOUT_MS     (24u * 60 * 60 * 1000)
/* Connecting never waits longer than this, whatever --timeout says. */
#define ISMS_CLI_CONNECT_TIMEOUT_MS 5000u

/* One invocation of ismsctl. */
struct isms_cli {
    struct isms_client_flags flags; /* --server, --ca, --plaintext (borrowed from argv) */
    struct isms_client_conf conf;   /* resolved by isms_cli_resolve() */
    bool is_resolved;
    char server[256]; /* HOST:PORT dialled (set by isms_cli_resolve) */
    enum isms_out_format format;
    bool is_wide;            /* --wide: table cells are never cut to the terminal's width */
    uint32_t timeout_ms;     /* per call; 0 = no deadline */
    bool is_timeout_set;     /* --timeout was given */
    char *token;             /* bearer token once looked up (wiped and freed at cleanup) */
    bool is_token_from_file; /* it came from the credentials file, not ISMS_TOKEN */
    bool is_stdin_unbuffered;
    bool is_usage_error; /* the failure in the status is a usage error */
    bool is_unreachable; /* the failure in the status is the transport */
    bool is_connected;
    /* Set by a command that succeeded and filled its output but must still fail (status on a
     * NOT_SERVING server): main prints the output, then the status line, and exits as for
     * this code. ISMS_OK otherwise. */
    enum isms_code exit_after_output;
    struct isms_wire wire;
};

void isms_cli_init(struct isms_cli *cli);
void isms_cli_cleanup(struct isms_cli *cli);

/* Records a usage error: sets is_usage_error and `st` (code INVALID_ARGUMENT), and returns
 * ISMS_INVALID_ARGUMENT. The message is printed as "ismsctl: usage: <message>". */
enum isms_code isms_cli_usage(struct isms_cli *cli, struct isms_status *st, const char *fmt, ...)
    ISMS_PRINTF(3, 4);

/*
 * Applies one global option at argv[*i] (--server, --ca, --plaintext, -o/--output, --timeout,
 * --wide, in the forms
 * "--opt VALUE", "--opt=VALUE" and "-oVALUE") and advances *i past its value. Returns 1 if it
 * was one, 0 if argv[*i] is not a global option, -1 after a usage error (in `st`).
 */
int isms_cli_global_opt(struct isms_cli *cli, int argc, char **argv, int *i,
                        struct isms_status *st);

/* Parses a whole decimal integer in [min, max]. Returns false for anything else. */
bool isms_cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Resolves the server address, TLS mode and CA file (config.h) into cli->conf and
 * cli->server, once. A bad address, config file or setting is a usage error. */
ISMS_MUSTCHECK enum isms_code isms_cli_resolve(struct isms_cli *cli, struct isms_status *st);

/*
 * Looks up the bearer token for cli->server: $ISMS_TOKEN if set, else the credentials file
 * (credentials.h). On OK *token is borrowed from `cli`. Errors: UNAUTHENTICATED when there is
 * none ("not logged in to HOST:PORT ..."); a usage error for an unreadable credentials file.
 */
ISMS_MUSTCHECK enum isms_code isms_cli_token(struct isms_cli *cli, const char **token,
                                             struct isms_status *st);

/*
 * Calls `method` on the server, connecting on first use (TLS unless plaintext is configured)
 * and sending the bearer token (isms_cli_token) to every method but System/Health,
 * System/Info and Auth/Login. Contract as isms_wire_call(); on a transport or TLS failure it
 * also sets is_unreachable; a bad address, config file or CA file is a usage error.
 */
ISMS_MUSTCHECK enum isms_code isms_cli_call(struct isms_cli *cli, const char *method,
                                            const ProtobufCMessage *req,
                                            const ProtobufCMessageDescriptor *resp_desc,
                                            ProtobufCMessage **resp, struct isms_status *st);

/*
 * Calls a server-streaming `method`, handing each message to `cb` (see isms_wire_stream()).
 * The whole stream is bounded by --timeout only when it was given; otherwise there is no
 * overall deadline and each wait for the next message is bounded by the default timeout.
 */
ISMS_MUSTCHECK enum isms_code isms_cli_stream(struct isms_cli *cli, const char *method,
                                              const ProtobufCMessage *req,
                                              const ProtobufCMessageDescriptor *item_desc,
                                              isms_wire_item_cb *cb, void *ud,
                                              struct isms_status *st);

/* Splits "a,b,c" into a NULL-terminated heap array of heap strings (empty items dropped);
 * free it with isms_cli_free_list(). Returns NULL when out of memory. */
char **isms_cli_split_list(const char *s, size_t *n);
void isms_cli_free_list(char **list);

/* The nouns, one per client/cmd_<noun>.c. */
extern const struct isms_noun isms_noun_status;
extern const struct isms_noun isms_noun_context;
extern const struct isms_noun isms_noun_login;
extern const struct isms_noun isms_noun_logout;
extern const struct isms_noun isms_noun_whoami;
extern const struct isms_noun isms_noun_passwd;
extern const struct isms_noun isms_noun_token;
extern const struct isms_noun isms_noun_user;
extern const struct isms_noun isms_noun_audit;
extern const struct isms_noun isms_noun_control, isms_noun_soa;
extern const struct isms_noun isms_noun_asset;
extern const struct isms_noun isms_noun_method, isms_noun_risk;
extern const struct isms_noun isms_noun_opportunity;
extern const struct isms_noun isms_noun_doc, isms_noun_evidence;
extern const struct isms_noun isms_noun_completion;
extern const struct isms_noun isms_noun_schedule, isms_noun_review;

#endif
