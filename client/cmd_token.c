/* client/cmd_token.c — `ismsctl token ...`: API tokens for automation (Auth/CreateToken,
 * ListTokens, RevokeToken). A new token's secret is printed once, by `token create`, and never
 * again: the server keeps only its hash. */
#include <string.h>

#include "cli.h"
#include "secret.h"

#include "isms/v1/auth.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const struct isms_out_col token_cols[] = {
    {"id", ISMS_OUT_STR},           {"owner", ISMS_OUT_STR},      {"name", ISMS_OUT_STR},
    {"roles", ISMS_OUT_STRS},       {"created_at", ISMS_OUT_STR}, {"expires_at", ISMS_OUT_STR},
    {"last_used_at", ISMS_OUT_STR}, {"revoked", ISMS_OUT_BOOL},
};

static const struct isms_out_col created_cols[] = {
    {"token", ISMS_OUT_STR},      {"id", ISMS_OUT_STR},     {"owner", ISMS_OUT_STR},
    {"name", ISMS_OUT_STR},       {"roles", ISMS_OUT_STRS}, {"created_at", ISMS_OUT_STR},
    {"expires_at", ISMS_OUT_STR},
};

static const struct isms_out_col revoked_cols[] = {
    {"id", ISMS_OUT_STR},
    {"revoked", ISMS_OUT_BOOL},
};

static void add_token_row(struct isms_out_table *t, const Isms__V1__ApiToken *k)
{
    isms_out_str(t, k->id);
    isms_out_str(t, k->owner);
    isms_out_str(t, k->name);
    isms_out_strs(t, k->roles, k->n_roles);
    isms_out_str(t, k->created_at);
    isms_out_str(t, k->expires_at);
    isms_out_str(t, k->last_used_at);
    isms_out_bool(t, k->revoked);
}

static enum isms_code check_create(struct isms_cli *cli, const struct isms_args *a,
                                   ProtobufCMessage *msg, struct isms_out *out,
                                   struct isms_status *st)
{
    (void)out;
    if (isms_args_has(a, "roles") && ((Isms__V1__CreateTokenRequest *)msg)->n_roles == 0)
        return isms_cli_usage(cli, st, "--roles needs at least one role (r1,r2)");
    return ISMS_OK;
}

static enum isms_code render_create(struct isms_cli *cli, const struct isms_args *a,
                                    ProtobufCMessage *msg, struct isms_out *out,
                                    struct isms_status *st)
{
    Isms__V1__CreateTokenResponse *r = (Isms__V1__CreateTokenResponse *)msg;
    struct isms_out_table *t;

    (void)cli;
    (void)a;
    (void)st;
    t = isms_out_record(out, "API token", created_cols, NCOLS(created_cols));
    isms_out_str(t, r->token);
    if (r->info != NULL) {
        isms_out_str(t, r->info->id);
        isms_out_str(t, r->info->owner);
        isms_out_str(t, r->info->name);
        isms_out_strs(t, r->info->roles, r->info->n_roles);
        isms_out_str(t, r->info->created_at);
        isms_out_str(t, r->info->expires_at);
    }
    isms_out_notice(out, "the token is shown only this once; store it now (send it as "
                         "ISMS_TOKEN or \"authorization: Bearer <token>\")");
    if (r->token != NULL)
        isms_secret_wipe(r->token, strlen(r->token));
    return ISMS_OK;
}

static enum isms_code render_list(struct isms_cli *cli, const struct isms_args *a,
                                  ProtobufCMessage *msg, struct isms_out *out,
                                  struct isms_status *st)
{
    const Isms__V1__ListTokensResponse *r = (const Isms__V1__ListTokensResponse *)msg;
    struct isms_out_table *t = isms_out_list(out, "API tokens", token_cols, NCOLS(token_cols));

    (void)cli;
    (void)a;
    (void)st;
    for (size_t i = 0; i < r->n_tokens; i++) {
        isms_out_row(t);
        add_token_row(t, r->tokens[i]);
    }
    return ISMS_OK;
}

static enum isms_code render_revoke(struct isms_cli *cli, const struct isms_args *a,
                                    ProtobufCMessage *msg, struct isms_out *out,
                                    struct isms_status *st)
{
    struct isms_out_table *t = isms_out_record(out, "revoked", revoked_cols, NCOLS(revoked_cols));

    (void)cli;
    (void)msg;
    (void)st;
    isms_out_str(t, isms_args_arg(a, 0));
    isms_out_bool(t, true);
    isms_out_text(out, "revoked token %s", isms_args_arg(a, 0));
    return ISMS_OK;
}

static const struct isms_arg create_args[] = {{.name = "NAME", .field = "name"}, {0}};
static const struct isms_flag create_flags[] = {
    {.name = "roles",
     .kind = ISMS_FLAG_LIST,
     .metavar = "r1,r2",
     .field = "roles",
     .opts = ISMS_OPT_SPLIT,
     .help = "the token's roles, a subset of yours (default all of them)"},
    ISMS_F_INT("expires-days", "expires_in_days", 1, 730, "days the token is valid (default 90)"),
    {0},
};
static const struct isms_flag list_flags[] = {
    ISMS_F_STR("owner", "USER", "owner", "another user's tokens (admin only)"),
    {0},
};
static const struct isms_arg revoke_args[] = {{.name = "T-<n>", .field = "id"}, {0}};

static const struct isms_cmd token_cmds[] = {
    {.noun = "token",
     .verb = "create",
     .summary = "create an API token for automation, limited to the roles given (a subset of "
                "yours; default all of them), valid N days (1-730, default 90); the token is "
                "printed once",
     .args = create_args,
     .flags = create_flags,
     .req = &isms__v1__create_token_request__descriptor,
     .method = "/isms.v1.Auth/CreateToken",
     .resp = &isms__v1__create_token_response__descriptor,
     .prepare = check_create,
     .render = render_create},
    {.noun = "token",
     .verb = "list",
     .summary = "list your API tokens (an admin may list another user's)",
     .flags = list_flags,
     .req = &isms__v1__list_tokens_request__descriptor,
     .method = "/isms.v1.Auth/ListTokens",
     .resp = &isms__v1__list_tokens_response__descriptor,
     .render = render_list},
    {.noun = "token",
     .verb = "revoke",
     .summary = "revoke an API token by id",
     .args = revoke_args,
     .req = &isms__v1__revoke_token_request__descriptor,
     .method = "/isms.v1.Auth/RevokeToken",
     .resp = &isms__v1__revoke_token_response__descriptor,
     .render = render_revoke},
};

const struct isms_noun isms_noun_token = {
    "token",
    "API tokens for scripts and automation",
    token_cmds,
    NCOLS(token_cmds),
};
