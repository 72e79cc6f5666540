/* client/cmd_user.c — `ismsctl user ...`: staff accounts (isms.v1.User). A password the server
 * generates (create, reset-password) is printed once and must be changed at first login. */
#include <string.h>

#include "account.h"
#include "cli.h"
#include "secret.h"

#include "isms/v1/auth.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const struct isms_out_col created_cols[] = {
    {"name", ISMS_OUT_STR},    {"display_name", ISMS_OUT_STR},     {"email", ISMS_OUT_STR},
    {"roles", ISMS_OUT_STRS},  {"status", ISMS_OUT_STR},           {"created_at", ISMS_OUT_STR},
    {"version", ISMS_OUT_I64}, {"initial_password", ISMS_OUT_STR},
};

static const struct isms_out_col reset_cols[] = {
    {"name", ISMS_OUT_STR},
    {"password", ISMS_OUT_STR},
};

static const struct isms_out_col revoked_cols[] = {
    {"name", ISMS_OUT_STR},
    {"revoked", ISMS_OUT_U64},
};

/* Reads the password from stdin when asked to; `out` is "" otherwise (server generates). */
static enum isms_code maybe_password(struct isms_cli *cli, bool from_stdin, char *out,
                                     struct isms_status *st)
{
    out[0] = '\0';
    if (!from_stdin)
        return ISMS_OK;
    return isms_secret_read(cli, true, "", out, st);
}

static enum isms_code run_create(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__CreateUserRequest req = ISMS__V1__CREATE_USER_REQUEST__INIT;
    const char *roles = NULL, *display = NULL, *email = NULL;
    bool from_stdin = false;
    const struct isms_opt opts[] = {
        {"roles", "r1,r2", &roles, NULL},
        {"display-name", "X", &display, NULL},
        {"email", "E", &email, NULL},
        {"password-stdin", NULL, NULL, &from_stdin},
    };
    const char *pos[1];
    size_t npos, nroles = 0;
    char **list = NULL, password[ISMS_SECRET_BUF], rtext[512];
    ProtobufCMessage *msg = NULL;
    Isms__V1__CreateUserResponse *r;
    const Isms__V1__UserAccount *u;
    struct isms_out_table *t;
    enum isms_code code;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 1, &npos, st) != ISMS_OK)
        return st->code;
    if (npos != 1)
        return isms_cli_usage(cli, st, "user create needs a NAME");
    if (roles == NULL)
        return isms_cli_usage(cli, st, "user create needs --roles r1,r2");
    list = isms_cli_split_list(roles, &nroles);
    if (list == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    if (maybe_password(cli, from_stdin, password, st) != ISMS_OK) {
        isms_cli_free_list(list);
        return st->code;
    }
    req.name = (char *)pos[0];
    req.display_name = (char *)(display != NULL ? display : "");
    req.email = (char *)(email != NULL ? email : "");
    req.roles = list;
    req.n_roles = nroles;
    req.password = password;
    code = isms_cli_call(cli, "/isms.v1.User/Create", &req.base,
                         &isms__v1__create_user_response__descriptor, &msg, st);
    isms_secret_wipe(password, sizeof(password));
    isms_cli_free_list(list);
    if (code != ISMS_OK)
        return code;
    r = (Isms__V1__CreateUserResponse *)msg;
    u = r->user;
    t = isms_out_record(out, "user", created_cols, NCOLS(created_cols));
    if (u != NULL) {
        isms_out_str(t, u->name);
        isms_out_str(t, u->display_name);
        isms_out_str(t, u->email);
        isms_out_strs(t, u->roles, u->n_roles);
        isms_out_str(t, u->status);
        isms_out_str(t, u->created_at);
        isms_out_i64(t, u->version);
    }
    isms_out_str(t, r->initial_password);
    isms_out_text(out, "created user %s (roles %s)", u != NULL ? u->name : pos[0],
                  u != NULL ? isms_account_roles_text(u->roles, u->n_roles, rtext, sizeof(rtext))
                            : roles);
    if (r->initial_password != NULL && r->initial_password[0] != '\0') {
        isms_out_text(out, "one-time password: %s", r->initial_password);
        isms_out_notice(out,
                        "the one-time password is shown only this once; %s must change it "
                        "at the first login",
                        pos[0]);
        isms_secret_wipe(r->initial_password, strlen(r->initial_password));
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static enum isms_code run_list(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                               struct isms_status *st)
{
    Isms__V1__ListUsersRequest req = ISMS__V1__LIST_USERS_REQUEST__INIT;
    const char *pos[1];
    size_t npos;
    ProtobufCMessage *msg = NULL;
    const Isms__V1__ListUsersResponse *r;

    if (isms_cli_parse(cli, argc, argv, NULL, 0, pos, 0, &npos, st) != ISMS_OK ||
        isms_cli_call(cli, "/isms.v1.User/List", &req.base,
                      &isms__v1__list_users_response__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    r = (const Isms__V1__ListUsersResponse *)msg;
    isms_account_list(out, r->users, r->n_users);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

/* Parses exactly one NAME and no options. */
static enum isms_code one_name(struct isms_cli *cli, int argc, char **argv, const char *what,
                               const char **name, struct isms_status *st)
{
    const char *pos[1];
    size_t npos;

    if (isms_cli_parse(cli, argc, argv, NULL, 0, pos, 1, &npos, st) != ISMS_OK)
        return st->code;
    if (npos != 1)
        return isms_cli_usage(cli, st, "user %s needs a NAME", what);
    *name = pos[0];
    return ISMS_OK;
}

static enum isms_code run_show(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                               struct isms_status *st)
{
    Isms__V1__GetUserRequest req = ISMS__V1__GET_USER_REQUEST__INIT;
    ProtobufCMessage *msg = NULL;
    const char *name = NULL;

    if (one_name(cli, argc, argv, "show", &name, st) != ISMS_OK)
        return st->code;
    req.name = (char *)name;
    if (isms_cli_call(cli, "/isms.v1.User/Get", &req.base, &isms__v1__user_account__descriptor,
                      &msg, st) != ISMS_OK)
        return st->code;
    isms_account_record(out, (const Isms__V1__UserAccount *)msg, false);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

/* Calls User/Update with `req` and shows the account it returns. */
static enum isms_code update(struct isms_cli *cli, Isms__V1__UpdateUserRequest *req,
                             struct isms_out *out, struct isms_status *st)
{
    ProtobufCMessage *msg = NULL;

    if (isms_cli_call(cli, "/isms.v1.User/Update", &req->base, &isms__v1__user_account__descriptor,
                      &msg, st) != ISMS_OK)
        return st->code;
    isms_account_record(out, (const Isms__V1__UserAccount *)msg, false);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static enum isms_code run_update(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__UpdateUserRequest req = ISMS__V1__UPDATE_USER_REQUEST__INIT;
    const char *display = NULL, *email = NULL, *roles = NULL, *expect = NULL;
    bool has_display = false, has_email = false, has_roles = false;
    const struct isms_opt opts[] = {
        {"display-name", "X", &display, &has_display},
        {"email", "E", &email, &has_email},
        {"roles", "r1,r2", &roles, &has_roles},
        {"expect-version", "N", &expect, NULL},
    };
    const char *pos[1];
    size_t npos, nroles = 0;
    int64_t version = 0;
    char **list = NULL;
    enum isms_code code;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 1, &npos, st) != ISMS_OK)
        return st->code;
    if (npos != 1)
        return isms_cli_usage(cli, st, "user update needs a NAME");
    if (!has_display && !has_email && !has_roles)
        return isms_cli_usage(cli, st, "user update needs --display-name, --email and/or --roles");
    if (expect != NULL && !isms_cli_parse_i64(expect, 0, INT64_MAX, &version))
        return isms_cli_usage(cli, st,
                              "--expect-version needs a version number (0 = no check), "
                              "got \"%.40s\"",
                              expect);
    if (has_roles) {
        list = isms_cli_split_list(roles, &nroles);
        if (list == NULL)
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    req.name = (char *)pos[0];
    req.expected_version = version;
    req.set_display_name = has_display;
    req.display_name = (char *)(has_display ? display : "");
    req.set_email = has_email;
    req.email = (char *)(has_email ? email : "");
    req.set_roles = has_roles;
    req.roles = list;
    req.n_roles = nroles;
    code = update(cli, &req, out, st);
    isms_cli_free_list(list);
    return code;
}

/* `user disable` and `user enable`: Update with set_status. */
static enum isms_code set_status(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 const char *verb, const char *status, struct isms_status *st)
{
    Isms__V1__UpdateUserRequest req = ISMS__V1__UPDATE_USER_REQUEST__INIT;
    const char *name = NULL;

    if (one_name(cli, argc, argv, verb, &name, st) != ISMS_OK)
        return st->code;
    req.name = (char *)name;
    req.set_status = true;
    req.status = (char *)status;
    return update(cli, &req, out, st);
}

static enum isms_code run_disable(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                  struct isms_status *st)
{
    return set_status(cli, argc, argv, out, "disable", "disabled", st);
}

static enum isms_code run_enable(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    return set_status(cli, argc, argv, out, "enable", "active", st);
}

static enum isms_code run_reset_password(struct isms_cli *cli, int argc, char **argv,
                                         struct isms_out *out, struct isms_status *st)
{
    Isms__V1__ResetPasswordRequest req = ISMS__V1__RESET_PASSWORD_REQUEST__INIT;
    bool from_stdin = false;
    const struct isms_opt opts[] = {
        {"password-stdin", NULL, NULL, &from_stdin},
    };
    const char *pos[1];
    size_t npos;
    char password[ISMS_SECRET_BUF];
    ProtobufCMessage *msg = NULL;
    Isms__V1__ResetPasswordResponse *r;
    struct isms_out_table *t;
    enum isms_code code;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 1, &npos, st) != ISMS_OK)
        return st->code;
    if (npos != 1)
        return isms_cli_usage(cli, st, "user reset-password needs a NAME");
    if (maybe_password(cli, from_stdin, password, st) != ISMS_OK)
        return st->code;
    req.name = (char *)pos[0];
    req.password = password;
    code = isms_cli_call(cli, "/isms.v1.User/ResetPassword", &req.base,
                         &isms__v1__reset_password_response__descriptor, &msg, st);
    isms_secret_wipe(password, sizeof(password));
    if (code != ISMS_OK)
        return code;
    r = (Isms__V1__ResetPasswordResponse *)msg;
    t = isms_out_record(out, "password reset", reset_cols, NCOLS(reset_cols));
    isms_out_str(t, pos[0]);
    isms_out_str(t, r->password);
    if (r->password != NULL && r->password[0] != '\0') {
        isms_out_text(out, "password of %s reset; one-time password: %s", pos[0], r->password);
        isms_out_notice(out,
                        "the one-time password is shown only this once; %s must change it "
                        "at the next login",
                        pos[0]);
        isms_secret_wipe(r->password, strlen(r->password));
    } else {
        isms_out_text(out, "password of %s set", pos[0]);
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static enum isms_code run_revoke_sessions(struct isms_cli *cli, int argc, char **argv,
                                          struct isms_out *out, struct isms_status *st)
{
    Isms__V1__RevokeSessionsRequest req = ISMS__V1__REVOKE_SESSIONS_REQUEST__INIT;
    ProtobufCMessage *msg = NULL;
    const char *name = NULL;
    struct isms_out_table *t;
    uint32_t n;

    if (one_name(cli, argc, argv, "revoke-sessions", &name, st) != ISMS_OK)
        return st->code;
    req.name = (char *)name;
    if (isms_cli_call(cli, "/isms.v1.User/RevokeSessions", &req.base,
                      &isms__v1__revoke_sessions_response__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    n = ((const Isms__V1__RevokeSessionsResponse *)msg)->revoked;
    protobuf_c_message_free_unpacked(msg, NULL);
    t = isms_out_record(out, "sessions revoked", revoked_cols, NCOLS(revoked_cols));
    isms_out_str(t, name);
    isms_out_u64(t, n);
    isms_out_text(out, "revoked %u session%s of %s", (unsigned)n, n == 1 ? "" : "s", name);
    return ISMS_OK;
}

static const struct isms_cmd user_cmds[] = {
    {"user", "create", run_create,
     "NAME --roles r1,r2 [--display-name X] [--email E] [--password-stdin]",
     "create an account (roles: admin, isms_manager, risk_owner, auditor, contributor, viewer); "
     "without --password-stdin the server makes a one-time password, printed once"},
    {"user", "list", run_list, "", "list the accounts"},
    {"user", "show", run_show, "NAME", "one account"},
    {"user", "update", run_update,
     "NAME [--display-name X] [--email E] [--roles r1,r2] [--expect-version N]",
     "change an account's display name, e-mail or roles; with --expect-version, only if it is "
     "still at version N (else ABORTED)"},
    {"user", "disable", run_disable, "NAME",
     "disable an account (its sessions and tokens stop working)"},
    {"user", "enable", run_enable, "NAME", "enable a disabled account"},
    {"user", "reset-password", run_reset_password, "NAME [--password-stdin]",
     "set a new password (first line of stdin), or have the server make a one-time password, "
     "printed once"},
    {"user", "revoke-sessions", run_revoke_sessions, "NAME",
     "sign out every session of an account"},
};

const struct isms_noun isms_noun_user = {
    "user",
    "staff accounts and their roles",
    user_cmds,
    NCOLS(user_cmds),
};
