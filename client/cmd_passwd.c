/* client/cmd_passwd.c — `ismsctl passwd`: changes the caller's own password
 * (Auth/ChangePassword); the server signs out the caller's other sessions. */
#include "cli.h"
#include "secret.h"

#include "isms/v1/auth.pb-c.h"

static const struct isms_out_col passwd_cols[] = {
    {"password_changed", ISMS_OUT_BOOL},
};

static enum isms_code run_passwd(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *unused, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__ChangePasswordRequest req = ISMS__V1__CHANGE_PASSWORD_REQUEST__INIT;
    bool from_stdin = isms_args_has(a, "password-stdin");
    char current[ISMS_SECRET_BUF], fresh[ISMS_SECRET_BUF];
    ProtobufCMessage *msg = NULL;
    const char *token;
    struct isms_out_table *t;
    enum isms_code code;

    (void)unused;
    if (isms_cli_token(cli, &token, st) != ISMS_OK)
        return st->code;
    if (isms_secret_read(cli, from_stdin, "Current password: ", current, st) != ISMS_OK)
        return st->code;
    code = isms_secret_read_new(cli, from_stdin, fresh, st);
    if (code == ISMS_OK) {
        req.current_password = current;
        req.new_password = fresh;
        code = isms_cli_call(cli, "/isms.v1.Auth/ChangePassword", &req.base,
                             &isms__v1__change_password_response__descriptor, &msg, st);
    }
    isms_secret_wipe(current, sizeof(current));
    isms_secret_wipe(fresh, sizeof(fresh));
    if (msg != NULL)
        protobuf_c_message_free_unpacked(msg, NULL);
    if (code != ISMS_OK)
        return code;
    t = isms_out_record(out, "passwd", passwd_cols, 1);
    isms_out_bool(t, true);
    isms_out_text(out, "password changed; your other sessions were signed out");
    return ISMS_OK;
}

static const struct isms_flag passwd_flags[] = {
    ISMS_F_BOOL("password-stdin", NULL, "read the current and the new password from stdin"),
    {0},
};

static const struct isms_cmd passwd_cmds[] = {
    {.noun = "passwd",
     .verb = "",
     .summary = "change your password: asks for the current one and the new one twice, or reads "
                "two lines of stdin (current, new); your other sessions are signed out",
     .flags = passwd_flags,
     .run = run_passwd},
};

const struct isms_noun isms_noun_passwd = {
    "passwd",
    "change your own password",
    passwd_cmds,
    sizeof(passwd_cmds) / sizeof(passwd_cmds[0]),
};
