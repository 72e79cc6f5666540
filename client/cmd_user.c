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

static enum isms_code run_create(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *msg_req, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__CreateUserRequest *req = (Isms__V1__CreateUserRequest *)msg_req;
    const char *name = isms_args_arg(a, 0), *roles = isms_args_get(a, "roles");
    char password[ISMS_SECRET_BUF], rtext[512];
    ProtobufCMessage *msg = NULL;
    Isms__V1__CreateUserResponse *r;
    const Isms__V1__UserAccount *u;
    struct isms_out_table *t;
    enum isms_code code;

    if (maybe_password(cli, isms_args_has(a, "password-stdin"), password, st) != ISMS_OK)
        return st->code;
    req->password = password;
    code = isms_cli_call(cli, "/isms.v1.User/Create", &req->base,
                         &isms__v1__create_user_response__descriptor, &msg, st);
    isms_secret_wipe(password, sizeof(password));
    req->password = NULL;
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
    isms_out_text(out, "created user %s (roles %s)", u != NULL ? u->name : name,
                  u != NULL ? isms_account_roles_text(u->roles, u->n_roles, rtext, sizeof(rtext))
                            : roles);
    if (r->initial_password != NULL && r->initial_password[0] != '\0') {
        isms_out_text(out, "one-time password: %s", r->initial_password);
        isms_out_notice(out,
                        "the one-time password is shown only this once; %s must change it "
                        "at the first login",
                        name);
        isms_secret_wipe(r->initial_password, strlen(r->initial_password));
    } else if (!isms_args_has(a, "permanent")) {
        isms_out_text(out, "%s must change the password at the first login", name);
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static enum isms_code run_reset_password(struct isms_cli *cli, const struct isms_args *a,
                                         ProtobufCMessage *msg_req, struct isms_out *out,
                                         struct isms_status *st)
{
    Isms__V1__ResetPasswordRequest *req = (Isms__V1__ResetPasswordRequest *)msg_req;
    const char *name = isms_args_arg(a, 0);
    char password[ISMS_SECRET_BUF];
    ProtobufCMessage *msg = NULL;
    Isms__V1__ResetPasswordResponse *r;
    struct isms_out_table *t;
    enum isms_code code;

    if (maybe_password(cli, isms_args_has(a, "password-stdin"), password, st) != ISMS_OK)
        return st->code;
    req->password = password;
    code = isms_cli_call(cli, "/isms.v1.User/ResetPassword", &req->base,
                         &isms__v1__reset_password_response__descriptor, &msg, st);
    isms_secret_wipe(password, sizeof(password));
    req->password = NULL;
    if (code != ISMS_OK)
        return code;
    r = (Isms__V1__ResetPasswordResponse *)msg;
    t = isms_out_record(out, "password reset", reset_cols, NCOLS(reset_cols));
    isms_out_str(t, name);
    isms_out_str(t, r->password);
    if (r->password != NULL && r->password[0] != '\0') {
        isms_out_text(out, "password of %s reset; one-time password: %s", name, r->password);
        isms_out_notice(out,
                        "the one-time password is shown only this once; %s must change it "
                        "at the next login",
                        name);
        isms_secret_wipe(r->password, strlen(r->password));
    } else if (isms_args_has(a, "permanent")) {
        isms_out_text(out, "password of %s set", name);
    } else {
        isms_out_text(out, "password of %s set; %s must change it at the next login", name, name);
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static enum isms_code render_list(struct isms_cli *cli, const struct isms_args *a,
                                  ProtobufCMessage *msg, struct isms_out *out,
                                  struct isms_status *st)
{
    const Isms__V1__ListUsersResponse *r = (const Isms__V1__ListUsersResponse *)msg;

    (void)cli;
    (void)a;
    (void)st;
    isms_account_list(out, r->users, r->n_users);
    return ISMS_OK;
}

/* show, update, disable, enable: the account as it is now. */
static enum isms_code render_account(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    (void)cli;
    (void)a;
    (void)st;
    isms_account_record(out, (const Isms__V1__UserAccount *)msg, false);
    return ISMS_OK;
}

/* `user disable` and `user enable`: Update with the status only. */
static enum isms_code prepare_disable(struct isms_cli *cli, const struct isms_args *a,
                                      ProtobufCMessage *msg, struct isms_out *out,
                                      struct isms_status *st)
{
    Isms__V1__UpdateUserRequest *req = (Isms__V1__UpdateUserRequest *)msg;

    (void)cli;
    (void)a;
    (void)out;
    (void)st;
    req->set_status = true;
    req->status = (char *)"disabled";
    return ISMS_OK;
}

static enum isms_code prepare_enable(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    Isms__V1__UpdateUserRequest *req = (Isms__V1__UpdateUserRequest *)msg;

    (void)cli;
    (void)a;
    (void)out;
    (void)st;
    req->set_status = true;
    req->status = (char *)"active";
    return ISMS_OK;
}

static enum isms_code render_revoked(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    const char *name = isms_args_arg(a, 0);
    uint32_t n = ((const Isms__V1__RevokeSessionsResponse *)msg)->revoked;
    struct isms_out_table *t;

    (void)cli;
    (void)st;
    t = isms_out_record(out, "sessions revoked", revoked_cols, NCOLS(revoked_cols));
    isms_out_str(t, name);
    isms_out_u64(t, n);
    isms_out_text(out, "revoked %u session%s of %s", (unsigned)n, n == 1 ? "" : "s", name);
    return ISMS_OK;
}

static const struct isms_out_col lockout_cols[] = {
    {"user", ISMS_OUT_STR},         {"address", ISMS_OUT_STR},
    {"failures", ISMS_OUT_U64},     {"last_failure_at", ISMS_OUT_STR},
    {"locked_until", ISMS_OUT_STR},
};

static const struct isms_out_col unlock_cols[] = {
    {"user", ISMS_OUT_STR},
    {"address", ISMS_OUT_STR},
    {"cleared", ISMS_OUT_U64},
};

static enum isms_code render_lockouts(struct isms_cli *cli, const struct isms_args *a,
                                      ProtobufCMessage *msg, struct isms_out *out,
                                      struct isms_status *st)
{
    const Isms__V1__ListLockoutsResponse *r = (const Isms__V1__ListLockoutsResponse *)msg;
    struct isms_out_table *t =
        isms_out_list(out, "failed-password counters", lockout_cols, NCOLS(lockout_cols));

    (void)cli;
    (void)a;
    (void)st;
    for (size_t i = 0; i < r->n_lockouts; i++) {
        const Isms__V1__Lockout *l = r->lockouts[i];

        isms_out_row(t);
        isms_out_str(t, l->user);
        isms_out_str(t, l->address);
        isms_out_u64(t, l->failures);
        isms_out_str(t, l->last_failure_at);
        isms_out_str(t, l->locked_until);
    }
    return ISMS_OK;
}

static enum isms_code check_unlock(struct isms_cli *cli, const struct isms_args *a,
                                   ProtobufCMessage *msg, struct isms_out *out,
                                   struct isms_status *st)
{
    (void)msg;
    (void)out;
    if (isms_args_arg(a, 0) == NULL && !isms_args_has(a, "address"))
        return isms_cli_usage(cli, st, "give a user NAME, --address IP, or both");
    return ISMS_OK;
}

static enum isms_code render_unlock(struct isms_cli *cli, const struct isms_args *a,
                                    ProtobufCMessage *msg, struct isms_out *out,
                                    struct isms_status *st)
{
    const char *name = isms_args_arg(a, 0), *addr = isms_args_get(a, "address");
    uint32_t n = ((const Isms__V1__UnlockResponse *)msg)->cleared;
    struct isms_out_table *t;

    (void)cli;
    (void)st;
    t = isms_out_record(out, "unlocked", unlock_cols, NCOLS(unlock_cols));
    isms_out_str(t, name);
    isms_out_str(t, addr);
    isms_out_u64(t, n);
    isms_out_text(out, "cleared %u failed-password counter%s of %s%s%s", (unsigned)n,
                  n == 1 ? "" : "s", name != NULL ? name : "",
                  name != NULL && addr != NULL ? " and " : "", addr != NULL ? addr : "");
    return ISMS_OK;
}

#define ROLES "admin|isms_manager|risk_owner|auditor|contributor|viewer|top_management"

static const struct isms_arg name_args[] = {{.name = "NAME", .field = "name"}, {0}};

static const struct isms_flag create_flags[] = {
    {.name = "roles",
     .kind = ISMS_FLAG_LIST,
     .metavar = "r1,r2",
     .field = "roles",
     .opts = ISMS_OPT_REQUIRED | ISMS_OPT_SPLIT,
     .help = "the account's roles: " ROLES},
    ISMS_F_STR("display-name", "X", "display_name", "the person's name as shown"),
    ISMS_F_STR("email", "E", "email", "e-mail address"),
    ISMS_F_BOOL("password-stdin", NULL,
                "read the password from stdin (first line) instead of a generated one; it is "
                "one-time too: the user changes it at the first login"),
    {.name = "permanent",
     .kind = ISMS_FLAG_BOOL,
     .field = "permanent",
     .with = "password-stdin",
     .help = "the password from stdin need not be changed at the first login (opt-out of "
             "ISO 27002 5.17's one-time rule; for service accounts)"},
    {0},
};

static const struct isms_flag update_flags[] = {
    {.name = "display-name",
     .kind = ISMS_FLAG_STRING,
     .metavar = "X",
     .field = "display_name",
     .opts = ISMS_OPT_CHANGE,
     .help = "the person's name as shown"},
    {.name = "email",
     .kind = ISMS_FLAG_STRING,
     .metavar = "E",
     .field = "email",
     .opts = ISMS_OPT_CHANGE,
     .help = "e-mail address"},
    {.name = "roles",
     .kind = ISMS_FLAG_LIST,
     .metavar = "r1,r2",
     .field = "roles",
     .opts = ISMS_OPT_CHANGE | ISMS_OPT_SPLIT,
     .help = "the new set of roles: " ROLES},
    ISMS_F_EXPECT_VERSION,
    {0},
};

static const struct isms_flag reset_flags[] = {
    ISMS_F_BOOL("password-stdin", NULL,
                "read the new password from stdin (first line) instead of a generated one; it is "
                "one-time too: the user changes it at the next login"),
    {.name = "permanent",
     .kind = ISMS_FLAG_BOOL,
     .field = "permanent",
     .with = "password-stdin",
     .help = "the password from stdin need not be changed at the next login"},
    {0},
};

static const struct isms_flag lockouts_flags[] = {
    ISMS_F_BOOL("all", "include_unlocked",
                "also counters that are not locked now (failures of the last hour)"),
    {0},
};

static const struct isms_arg unlock_args[] = {
    {.name = "NAME", .field = "user", .opts = ISMS_OPT_OPTIONAL}, {0}};
static const struct isms_flag unlock_flags[] = {
    ISMS_F_STR("address", "IP", "address", "clear the counters of this client address"),
    {0},
};

static const struct isms_cmd user_cmds[] = {
    {.noun = "user",
     .verb = "create",
     .summary = "create an account (roles: admin, isms_manager, risk_owner, auditor, contributor, "
                "viewer, top_management); without --password-stdin the server makes a password, "
                "printed once; either is one-time (changed at the first login) unless --permanent",
     .args = name_args,
     .flags = create_flags,
     .example = "user create alice --roles risk_owner\n"
                "user create bob --roles auditor,viewer --display-name \"Bob Stone\" "
                "--password-stdin < pw.txt",
     .req = &isms__v1__create_user_request__descriptor,
     .run = run_create},
    {.noun = "user",
     .verb = "list",
     .summary = "list the accounts",
     .req = &isms__v1__list_users_request__descriptor,
     .method = "/isms.v1.User/List",
     .resp = &isms__v1__list_users_response__descriptor,
     .render = render_list},
    {.noun = "user",
     .verb = "show",
     .summary = "one account",
     .args = name_args,
     .req = &isms__v1__get_user_request__descriptor,
     .method = "/isms.v1.User/Get",
     .resp = &isms__v1__user_account__descriptor,
     .render = render_account},
    {.noun = "user",
     .verb = "update",
     .summary = "change an account's display name, e-mail or roles; with --expect-version, only if "
                "it is still at version N (else ABORTED)",
     .args = name_args,
     .flags = update_flags,
     .req = &isms__v1__update_user_request__descriptor,
     .method = "/isms.v1.User/Update",
     .resp = &isms__v1__user_account__descriptor,
     .render = render_account},
    {.noun = "user",
     .verb = "disable",
     .summary = "disable an account (its sessions and tokens stop working)",
     .args = name_args,
     .req = &isms__v1__update_user_request__descriptor,
     .method = "/isms.v1.User/Update",
     .resp = &isms__v1__user_account__descriptor,
     .prepare = prepare_disable,
     .render = render_account},
    {.noun = "user",
     .verb = "enable",
     .summary = "enable a disabled account",
     .args = name_args,
     .req = &isms__v1__update_user_request__descriptor,
     .method = "/isms.v1.User/Update",
     .resp = &isms__v1__user_account__descriptor,
     .prepare = prepare_enable,
     .render = render_account},
    {.noun = "user",
     .verb = "reset-password",
     .summary = "set a new password (first line of stdin), or have the server make one, printed "
                "once; either is one-time (changed at the next login) unless --permanent",
     .args = name_args,
     .flags = reset_flags,
     .example = "user reset-password alice\n"
                "user reset-password ci-bot --password-stdin --permanent < pw.txt",
     .req = &isms__v1__reset_password_request__descriptor,
     .run = run_reset_password},
    {.noun = "user",
     .verb = "revoke-sessions",
     .summary = "sign out every session of an account",
     .args = name_args,
     .req = &isms__v1__revoke_sessions_request__descriptor,
     .method = "/isms.v1.User/RevokeSessions",
     .resp = &isms__v1__revoke_sessions_response__descriptor,
     .render = render_revoked},
    {.noun = "user",
     .verb = "lockouts",
     .summary = "failed-password counters locked now: per user and address (from 5 failures "
                "within an hour), per user (10), per address (50); --all: also those counting",
     .flags = lockouts_flags,
     .req = &isms__v1__list_lockouts_request__descriptor,
     .method = "/isms.v1.User/ListLockouts",
     .resp = &isms__v1__list_lockouts_response__descriptor,
     .render = render_lockouts},
    {.noun = "user",
     .verb = "unlock",
     .summary = "clear the failed-password counters of an account (NAME), of a client address "
                "(--address), or both, lifting their locks (audited)",
     .args = unlock_args,
     .flags = unlock_flags,
     .req = &isms__v1__unlock_request__descriptor,
     .method = "/isms.v1.User/Unlock",
     .resp = &isms__v1__unlock_response__descriptor,
     .prepare = check_unlock,
     .render = render_unlock},
};

const struct isms_noun isms_noun_user = {
    "user",
    "staff accounts and their roles",
    user_cmds,
    NCOLS(user_cmds),
};
