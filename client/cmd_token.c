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

static enum isms_code run_create(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__CreateTokenRequest req = ISMS__V1__CREATE_TOKEN_REQUEST__INIT;
    const char *roles = NULL, *days = NULL;
    const struct isms_opt opts[] = {
        {"roles", "r1,r2", &roles, NULL},
        {"expires-days", "N", &days, NULL},
    };
    const char *pos[1];
    size_t npos, nroles = 0;
    int64_t ndays = 0;
    char **list = NULL;
    ProtobufCMessage *msg = NULL;
    Isms__V1__CreateTokenResponse *r;
    struct isms_out_table *t;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 1, &npos, st) != ISMS_OK)
        return st->code;
    if (npos != 1)
        return isms_cli_usage(cli, st, "token create needs a NAME");
    if (days != NULL && !isms_cli_parse_i64(days, 1, 730, &ndays))
        return isms_cli_usage(cli, st, "--expires-days needs a number of days from 1 to 730");
    if (roles != NULL) {
        list = isms_cli_split_list(roles, &nroles);
        if (list == NULL)
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        if (nroles == 0) {
            isms_cli_free_list(list);
            return isms_cli_usage(cli, st, "--roles needs at least one role (r1,r2)");
        }
    }
    req.name = (char *)pos[0];
    req.roles = list;
    req.n_roles = nroles;
    req.expires_in_days = (uint32_t)ndays;
    if (isms_cli_call(cli, "/isms.v1.Auth/CreateToken", &req.base,
                      &isms__v1__create_token_response__descriptor, &msg, st) != ISMS_OK) {
        isms_cli_free_list(list);
        return st->code;
    }
    isms_cli_free_list(list);
    r = (Isms__V1__CreateTokenResponse *)msg;
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
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static enum isms_code run_list(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                               struct isms_status *st)
{
    Isms__V1__ListTokensRequest req = ISMS__V1__LIST_TOKENS_REQUEST__INIT;
    const char *owner = NULL;
    const struct isms_opt opts[] = {
        {"owner", "USER", &owner, NULL},
    };
    const char *pos[1];
    size_t npos;
    ProtobufCMessage *msg = NULL;
    const Isms__V1__ListTokensResponse *r;
    struct isms_out_table *t;

    if (isms_cli_parse(cli, argc, argv, opts, NCOLS(opts), pos, 0, &npos, st) != ISMS_OK)
        return st->code;
    req.owner = (char *)(owner != NULL ? owner : "");
    if (isms_cli_call(cli, "/isms.v1.Auth/ListTokens", &req.base,
                      &isms__v1__list_tokens_response__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    r = (const Isms__V1__ListTokensResponse *)msg;
    t = isms_out_list(out, "API tokens", token_cols, NCOLS(token_cols));
    for (size_t i = 0; i < r->n_tokens; i++) {
        isms_out_row(t);
        add_token_row(t, r->tokens[i]);
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static enum isms_code run_revoke(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__RevokeTokenRequest req = ISMS__V1__REVOKE_TOKEN_REQUEST__INIT;
    const char *pos[1];
    size_t npos;
    ProtobufCMessage *msg = NULL;
    struct isms_out_table *t;

    if (isms_cli_parse(cli, argc, argv, NULL, 0, pos, 1, &npos, st) != ISMS_OK)
        return st->code;
    if (npos != 1)
        return isms_cli_usage(cli, st, "token revoke needs a token id (T-<n>)");
    req.id = (char *)pos[0];
    if (isms_cli_call(cli, "/isms.v1.Auth/RevokeToken", &req.base,
                      &isms__v1__revoke_token_response__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    protobuf_c_message_free_unpacked(msg, NULL);
    t = isms_out_record(out, "revoked", revoked_cols, NCOLS(revoked_cols));
    isms_out_str(t, pos[0]);
    isms_out_bool(t, true);
    isms_out_text(out, "revoked token %s", pos[0]);
    return ISMS_OK;
}

static const struct isms_cmd token_cmds[] = {
    {"token", "create", run_create, "NAME [--roles r1,r2] [--expires-days N]",
     "create an API token for automation, limited to the roles given (a subset of yours; "
     "default all of them), valid N days (1-730, default 90); the token is printed once"},
    {"token", "list", run_list, "[--owner USER]",
     "list your API tokens (an admin may list another user's)"},
    {"token", "revoke", run_revoke, "T-<n>", "revoke an API token by id"},
};

const struct isms_noun isms_noun_token = {
    "token",
    "API tokens for scripts and automation",
    token_cmds,
    NCOLS(token_cmds),
};
