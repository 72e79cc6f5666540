/* client/cmd_logout.c — `ismsctl logout`: revokes the session (or API token) in use
 * (Auth/Logout) and forgets the saved token for this server. */
#include <string.h>

#include "cli.h"
#include "credentials.h"

#include "isms/v1/auth.pb-c.h"

static const struct isms_out_col logout_cols[] = {
    {"server", ISMS_OUT_STR},
    {"revoked", ISMS_OUT_BOOL},
};

static enum isms_code run_logout(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *unused, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__LogoutRequest req = ISMS__V1__LOGOUT_REQUEST__INIT;
    ProtobufCMessage *msg = NULL;
    const char *token;
    struct isms_out_table *t;
    enum isms_code code;
    bool is_revoked;

    (void)a;
    (void)unused;
    if (isms_cli_token(cli, &token, st) != ISMS_OK)
        return st->code;
    code = isms_cli_call(cli, "/isms.v1.Auth/Logout", &req.base,
                         &isms__v1__logout_response__descriptor, &msg, st);
    if (msg != NULL)
        protobuf_c_message_free_unpacked(msg, NULL);
    /* A saved session the server no longer accepts is as good as logged out. */
    is_revoked = code == ISMS_OK;
    if (code != ISMS_OK && !(code == ISMS_UNAUTHENTICATED && cli->is_token_from_file))
        return code;
    if (cli->is_token_from_file && isms_cred_store(cli->server, NULL, NULL, NULL, st) != ISMS_OK) {
        cli->is_usage_error = st->code == ISMS_INVALID_ARGUMENT;
        return st->code;
    }
    t = isms_out_record(out, "logout", logout_cols, sizeof(logout_cols) / sizeof(logout_cols[0]));
    isms_out_str(t, cli->server);
    isms_out_bool(t, is_revoked);
    if (is_revoked)
        isms_out_text(out, "logged out of %s", cli->server);
    else
        isms_out_text(out, "logged out of %s (the saved session had already ended)", cli->server);
    return ISMS_OK;
}

static const struct isms_cmd logout_cmds[] = {
    {.noun = "logout",
     .verb = "",
     .summary = "revoke the session or API token in use and remove the saved token for this server",
     .run = run_logout},
};

const struct isms_noun isms_noun_logout = {
    "logout",
    "end the session",
    logout_cmds,
    sizeof(logout_cmds) / sizeof(logout_cmds[0]),
};
