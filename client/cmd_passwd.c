/* client/cmd_passwd.c — `ismsctl passwd`: changes the caller's own password
 * (Auth/ChangePassword); the server signs out the caller's other sessions. */
#include "cli.h"
#include "secret.h"

#include "isms/v1/auth.pb-c.h"

static const struct isms_out_col passwd_cols[] = {
    {"password_changed", ISMS_OUT_BOOL},
};

static enum isms_code run_passwd(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__ChangePasswordRequest req = ISMS__V1__CHANGE_PASSWORD_REQUEST__INIT;
    bool from_stdin = false;
    const struct isms_opt opts[] = {
        {"password-stdin", NULL, NULL, &from_stdin},
    };
    char current[ISMS_SECRET_BUF], fresh[ISMS_SECRET_BUF];
    ProtobufCMessage *msg = NULL;
    const char *pos[1], *token;
    size_t npos;
    struct isms_out_table *t;
    enum isms_code code;

    if (isms_cli_parse(cli, argc, argv, opts, 1, pos, 0, &npos, st) != ISMS_OK ||
        isms_cli_token(cli, &token, st) != ISMS_OK)
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

static const struct isms_cmd passwd_cmds[] = {
    {"passwd", "", run_passwd, "[--password-stdin]",
     "change your password: asks for the current one and the new one twice, or reads two lines "
     "of stdin (current, new); your other sessions are signed out"},
};

const struct isms_noun isms_noun_passwd = {
    "passwd",
    "change your own password",
    passwd_cmds,
    sizeof(passwd_cmds) / sizeof(passwd_cmds[0]),
};
