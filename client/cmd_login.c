/* client/cmd_login.c — `ismsctl login`: exchanges a user name and password for a session token
 * (Auth/Login) and saves it for this server in the credentials file. An account whose password
 * was set by the server must choose a new one at once (Auth/ChangePassword). The token itself
 * is never printed. */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "cli.h"
#include "credentials.h"
#include "secret.h"

#include "isms/v1/auth.pb-c.h"

static const struct isms_out_col login_cols[] = {
    {"server", ISMS_OUT_STR},
    {"user", ISMS_OUT_STR},
    {"roles", ISMS_OUT_STRS},
    {"expires_at", ISMS_OUT_STR},
    {"password_changed", ISMS_OUT_BOOL},
};

/* Asks for a new password and sets it with the new session (must_change_password). */
static enum isms_code change_now(struct isms_cli *cli, bool from_stdin, const char *token,
                                 char *current, struct isms_status *st)
{
    Isms__V1__ChangePasswordRequest req = ISMS__V1__CHANGE_PASSWORD_REQUEST__INIT;
    char fresh[ISMS_SECRET_BUF];
    ProtobufCMessage *msg = NULL;
    size_t n = strlen(token);
    enum isms_code code;

    /* The session just made is the one to use, whatever ISMS_TOKEN says. */
    if (cli->token != NULL)
        isms_secret_wipe(cli->token, strlen(cli->token));
    free(cli->token);
    cli->token = malloc(n + 1);
    if (cli->token == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    memcpy(cli->token, token, n + 1);
    cli->is_token_from_file = true;

    code = isms_secret_read_new(cli, from_stdin, fresh, st);
    if (code != ISMS_OK) {
        struct isms_status why = *st;

        isms_status_set(st, code,
                        "logged in, but a new password must be set first (ismsctl "
                        "passwd): %.180s",
                        why.msg);
        return code;
    }
    req.current_password = current;
    req.new_password = fresh;
    code = isms_cli_call(cli, "/isms.v1.Auth/ChangePassword", &req.base,
                         &isms__v1__change_password_response__descriptor, &msg, st);
    isms_secret_wipe(fresh, sizeof(fresh));
    if (msg != NULL)
        protobuf_c_message_free_unpacked(msg, NULL);
    if (code != ISMS_OK && !cli->is_unreachable) {
        struct isms_status why = *st;

        isms_status_set(st, code, "logged in, but the new password was refused: %.180s", why.msg);
    }
    return code;
}

static enum isms_code run_login(struct isms_cli *cli, const struct isms_args *a,
                                ProtobufCMessage *msg_req, struct isms_out *out,
                                struct isms_status *st)
{
    Isms__V1__LoginRequest *req = (Isms__V1__LoginRequest *)msg_req;
    bool from_stdin = isms_args_has(a, "password-stdin");
    const char *user = isms_args_arg(a, 0);
    char password[ISMS_SECRET_BUF], prompt[400], roles[512];
    ProtobufCMessage *msg = NULL;
    const Isms__V1__LoginResponse *r;
    struct isms_out_table *t;
    bool is_changed = false;
    enum isms_code code;

    if (user == NULL)
        user = getenv("USER");
    if (user == NULL || user[0] == '\0')
        return isms_cli_usage(cli, st, "login needs a USER (and $USER is not set)");
    if (isms_cli_resolve(cli, st) != ISMS_OK)
        return st->code;
    snprintf(prompt, sizeof(prompt), "Password for %.100s at %.200s: ", user, cli->server);
    if (isms_secret_read(cli, from_stdin, prompt, password, st) != ISMS_OK)
        return st->code;

    req->user = (char *)user;
    req->password = password;
    code = isms_cli_call(cli, "/isms.v1.Auth/Login", &req->base,
                         &isms__v1__login_response__descriptor, &msg, st);
    if (code != ISMS_OK)
        goto out;
    r = (const Isms__V1__LoginResponse *)msg;
    if (r->token == NULL || r->token[0] == '\0' || r->user == NULL) {
        code = isms_status_set(st, ISMS_INTERNAL, "the server's login answer has no token");
        goto out;
    }
    code = isms_cred_store(cli->server, r->token, r->user->name, r->expires_at, st);
    if (code != ISMS_OK) {
        cli->is_usage_error = code == ISMS_INVALID_ARGUMENT;
        goto out;
    }
    if (r->must_change_password) {
        code = change_now(cli, from_stdin, r->token, password, st);
        if (code != ISMS_OK)
            goto out;
        is_changed = true;
    }

    t = isms_out_record(out, "login", login_cols, sizeof(login_cols) / sizeof(login_cols[0]));
    isms_out_str(t, cli->server);
    isms_out_str(t, r->user->name);
    isms_out_strs(t, r->user->roles, r->user->n_roles);
    isms_out_str(t, r->expires_at);
    isms_out_bool(t, is_changed);
    isms_out_text(out, "logged in as %s (roles %s) until %s", r->user->name,
                  isms_account_roles_text(r->user->roles, r->user->n_roles, roles, sizeof(roles)),
                  r->expires_at);
    if (is_changed)
        isms_out_text(out, "password changed; other sessions of %s were signed out", r->user->name);
out:
    isms_secret_wipe(password, sizeof(password));
    if (msg != NULL) {
        Isms__V1__LoginResponse *lr = (Isms__V1__LoginResponse *)msg;

        if (lr->token != NULL)
            isms_secret_wipe(lr->token, strlen(lr->token));
        protobuf_c_message_free_unpacked(msg, NULL);
    }
    return code;
}

static const struct isms_arg login_args[] = {
    {.name = "USER", .opts = ISMS_OPT_OPTIONAL},
    {0},
};

static const struct isms_flag login_flags[] = {
    ISMS_F_BOOL("password-stdin", NULL,
                "read the password (and a new one, if it must change) from lines of stdin"),
    {0},
};

static const struct isms_cmd login_cmds[] = {
    {.noun = "login",
     .verb = "",
     .summary =
         "log in (USER defaults to $USER; the password is asked on the terminal, or read as the "
         "first line of stdin) and save the session token for this server in "
         "~/.config/ismsctl/credentials; an account with a one-time password must choose a new one "
         "at once (asked twice, or the second line of stdin)",
     .args = login_args,
     .flags = login_flags,
     .req = &isms__v1__login_request__descriptor,
     .run = run_login},
};

const struct isms_noun isms_noun_login = {
    "login",
    "log in to the server and save the session token",
    login_cmds,
    sizeof(login_cmds) / sizeof(login_cmds[0]),
};
