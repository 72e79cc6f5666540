/* domain/users/auth_rpc.c — isms.v1.Auth: login with throttling, logout, whoami, password
 * change (throttled like login), API tokens. Wrong user, wrong password, disabled and
 * locked-out accounts all get the same answer, so the answer never tells which users exist;
 * a locked key is refused before any argon2id runs (domain/users/throttle.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth/password.h"
#include "auth/roles.h"
#include "auth/session.h"
#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/users/throttle.h"
#include "domain/users/users.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"
#include "rpc/server.h"

#define LOGIN_FAILED "invalid user name or password"
#define PW_WRONG     "current password is wrong"

static const char SQL_LOGIN_PREP[] = "SELECT " ISMS_THROTTLE_SQL_LOCKED(
    "$1", "$2") ", u.password_hash, u.status"
                " FROM (SELECT 1) x LEFT JOIN app_user u ON u.name = $1";
ISMS_STATEMENT(STMT_LOGIN_PREP, SQL_LOGIN_PREP, "user", "source");

static const char SQL_LOGIN_OK[] =
    "WITH s AS (INSERT INTO auth_session (token_hash, user_name, expires_at, source)"
    "  VALUES ($1::bytea, $2, now() + make_interval(secs => $3::int), $4) RETURNING expires_at),"
    " u AS (UPDATE app_user SET last_login_at = now() WHERE name = $2 RETURNING *),"
    /* Only the user's counts reset: a valid login must not wipe its address's failures. */
    " t AS (" ISMS_THROTTLE_SQL_CLEAR(
        "$2", "$4") "),"
                    " a AS (SELECT audit_append($2, $4, '/isms.v1.Auth/Login', 'user:' || $2, "
                    "'{}', 'OK'))" ISMS_SQL_IDEM(
                        "$5", "a") ""
                                   " SELECT " ISMS_USER_COLS
                                   ", " ISMS_SQL_TS("s.expires_at") ", u.must_change_password"
                                                                    " FROM s, u, a";
ISMS_STATEMENT(STMT_LOGIN_OK, SQL_LOGIN_OK, "token_hash", "user", "ttl_s", "source",
               ISMS_SQL_IDEM_PARAM);

static const char SQL_LOGOUT[] =
    "WITH s AS (UPDATE auth_session SET revoked_at = now() WHERE token_hash = $1::bytea"
    "  AND revoked_at IS NULL RETURNING token_num),"
    " t AS (UPDATE api_token SET revoked_at = now() WHERE num IN (SELECT token_num FROM s)"
    "  AND revoked_at IS NULL),"
    " a AS (SELECT audit_append($2, $3, '/isms.v1.Auth/Logout', 'user:' || $2, '{}', "
    "'OK'))" ISMS_SQL_IDEM("$4", "a") ""
                                      " SELECT count(*) FROM s, a";
ISMS_STATEMENT(STMT_LOGOUT, SQL_LOGOUT, "token_hash", "actor", "source", ISMS_SQL_IDEM_PARAM);

static const char SQL_WHOAMI[] = "SELECT " ISMS_USER_COLS " FROM app_user u WHERE u.name = $1";
ISMS_STATEMENT(STMT_WHOAMI, SQL_WHOAMI, "user");

static const char SQL_PW_CURRENT[] =
    "SELECT " ISMS_THROTTLE_SQL_LOCKED("$1", "$2") ", password_hash FROM app_user WHERE name = $1";
ISMS_STATEMENT(STMT_PW_CURRENT, SQL_PW_CURRENT, "user", "source");

static const char SQL_PW_SET[] =
    "WITH u AS (UPDATE app_user SET password_hash = $2, must_change_password = false,"
    "  version = version + 1, updated_at = now() WHERE name = $1 RETURNING name),"
    " s AS (UPDATE auth_session SET revoked_at = now() WHERE user_name = $1"
    "  AND token_num IS NULL AND token_hash <> $4::bytea AND revoked_at IS NULL),"
    " t AS (" ISMS_THROTTLE_SQL_CLEAR(
        "$1",
        "$3") "),"
              " a AS (SELECT audit_append($1, $3, '/isms.v1.Auth/ChangePassword', 'user:' || $1,"
              "  '{\"password\":\"changed\"}', 'OK'))" ISMS_SQL_IDEM(
                  "$5", "a") ""
                             " SELECT count(*) FROM u, a";
ISMS_STATEMENT(STMT_PW_SET, SQL_PW_SET, "user", "password_hash", "source", "token_hash",
               ISMS_SQL_IDEM_PARAM);

/* clang-format off */
#define TOKEN_COLS                                \
    "t.num, t.owner, t.name, t.roles::text, "     \
    ISMS_SQL_TS("t.created_at")                   \
    ", "                                          \
    ISMS_SQL_TS("t.expires_at")                   \
    ", coalesce("                                 \
    ISMS_SQL_TS("t.last_used_at")                 \
    ", ''), t.revoked_at IS NOT "                 \
    "NULL"
/* clang-format on */

static const char SQL_TOKEN_CREATE[] =
    "WITH t AS (INSERT INTO api_token (owner, name, roles, expires_at)"
    "  VALUES ($1, $2, $3::text[], now() + make_interval(days => $4::int)) RETURNING *),"
    /* last_used_at starts in the past so the first use is recorded at once. */
    " s AS (INSERT INTO auth_session (token_hash, user_name, token_num, expires_at, source,"
    "  last_used_at) SELECT $5::bytea, $1, t.num, t.expires_at, $6, '-infinity' FROM t),"
    " a AS (SELECT audit_append($1, $6, '/isms.v1.Auth/CreateToken', 'token:T-' || t.num,"
    "  jsonb_build_object('name', jsonb_build_object('after', t.name),"
    "   'roles', jsonb_build_object('after', t.roles))::text, 'OK') FROM t)" ISMS_SQL_IDEM(
        "$7", "a") ""
                   " SELECT " TOKEN_COLS " FROM t, a";
ISMS_STATEMENT(STMT_TOKEN_CREATE, SQL_TOKEN_CREATE, "owner", "name", "roles", "days", "token_hash",
               "source", ISMS_SQL_IDEM_PARAM);

static const char SQL_TOKEN_LIST[] =
    "SELECT " TOKEN_COLS " FROM api_token t WHERE t.owner = $1 ORDER BY t.num";
ISMS_STATEMENT(STMT_TOKEN_LIST, SQL_TOKEN_LIST, "owner");

static const char SQL_TOKEN_REVOKE[] =
    "WITH t AS (SELECT num, owner FROM api_token WHERE num = $1::bigint),"
    " ok AS (SELECT num FROM t WHERE owner = $2 OR $3::boolean),"
    " r AS (UPDATE api_token SET revoked_at = coalesce(revoked_at, now())"
    "  WHERE num IN (SELECT num FROM ok) RETURNING num),"
    " s AS (UPDATE auth_session SET revoked_at = coalesce(revoked_at, now())"
    "  WHERE token_num IN (SELECT num FROM r)),"
    " a AS (SELECT audit_append($2, $4, '/isms.v1.Auth/RevokeToken', 'token:T-' || r.num,"
    "  '{\"revoked\":{\"after\":true}}', 'OK') FROM r)" ISMS_SQL_IDEM(
        "$5",
        "a") ""
             " SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM r), (SELECT count(*) FROM a)";
ISMS_STATEMENT(STMT_TOKEN_REVOKE, SQL_TOKEN_REVOKE, "num", "user", "is_admin", "source",
               ISMS_SQL_IDEM_PARAM);

/* ---- Login -------------------------------------------------------------------------------- */

struct login_ctx {
    const Isms__V1__LoginRequest *in;
    char token[ISMS_TOKEN_TEXT_BYTES + 1];
    char hash_lit[68];
};

static void login_ok_done(struct isms_call *call, const struct isms_rows *res,
                          const struct isms_status *st)
{
    struct login_ctx *x = call->ctx;
    Isms__V1__LoginResponse *r;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_UNAUTHENTICATED, LOGIN_FAILED);
        return;
    }
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    isms__v1__login_response__init(r);
    r->user = isms_user_from_row(&call->arena, res, 0, 0);
    r->expires_at = isms_arena_strdup(&call->arena, isms_rows_text(res, 0, ISMS_USER_NCOLS));
    r->token = x->token;
    r->must_change_password = strcmp(isms_rows_text(res, 0, ISMS_USER_NCOLS + 1), "t") == 0;
    if (r->user == NULL || r->expires_at == NULL) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    isms_call_conn_authenticated(call);
    isms_call_finish(call, &r->base);
}

static void login_verified(struct isms_call *call, int ok, const char *hash)
{
    struct login_ctx *x = call->ctx;
    struct isms_bind b;

    (void)hash;
    if (!ok) {
        isms_throttle_refuse(call, x->in->user, 0, ISMS_UNAUTHENTICATED, LOGIN_FAILED);
        return;
    }
    isms_token_new(x->token, x->hash_lit);
    isms_bind_init(&b, &STMT_LOGIN_OK);
    isms_bind_text(&b, "token_hash", x->hash_lit);
    isms_bind_text(&b, "user", x->in->user);
    isms_bind_int64(&b, "ttl_s", call->srv->cfg->session_ttl_s);
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, login_ok_done);
}

static void login_prep_done(struct isms_call *call, const struct isms_rows *res,
                            const struct isms_status *st)
{
    struct login_ctx *x = call->ctx;
    const char *hash;
    struct isms_status err;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    /* A locked key answers at once: no argon2id, so a flood on it costs a statement each. */
    if (strcmp(isms_rows_text(res, 0, 0), "t") == 0) {
        isms_throttle_refuse(call, x->in->user, 1, ISMS_UNAUTHENTICATED, LOGIN_FAILED);
        return;
    }
    hash = isms_rows_text(res, 0, 1);
    /* Disabled and unknown users verify against the dummy hash: same cost, same answer. */
    if (strcmp(isms_rows_text(res, 0, 2), "active") != 0)
        hash = "";
    if (isms_password_verify(call, x->in->password, hash, login_verified, &err) != ISMS_OK)
        isms_call_fail_status(call, &err);
}

static void auth_login(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__LoginRequest *in = (const Isms__V1__LoginRequest *)msg;
    struct login_ctx *x = isms_arena_calloc(&call->arena, sizeof(*x));
    struct isms_status st;
    struct isms_bind b;

    if (x == NULL) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    if (isms_text_check("user", in->user, 64, 1, &st) != ISMS_OK ||
        isms_text_check("password", in->password, ISMS_PASSWORD_MAX, 1, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    x->in = in;
    call->ctx = x;
    isms_bind_init(&b, &STMT_LOGIN_PREP);
    isms_bind_text(&b, "user", in->user);
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, login_prep_done);
}

/* ---- Logout, WhoAmI ----------------------------------------------------------------------- */

static void logout_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    Isms__V1__LogoutResponse r = ISMS__V1__LOGOUT_RESPONSE__INIT;

    (void)res;
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    isms_call_finish(call, &r.base);
}

/* The hash literal of the credentials the call came with; answers UNAUTHENTICATED and returns
 * 0 when there are none (auth/ normally guarantees them; this keeps the handler safe alone). */
static int caller_token_lit(struct isms_call *call, char *lit)
{
    const char *token = isms_call_bearer(call);

    if (token == NULL) {
        isms_call_fail(call, ISMS_UNAUTHENTICATED, "not logged in");
        return 0;
    }
    isms_token_hash_lit(token, lit);
    return 1;
}

static void auth_logout(struct isms_call *call, const ProtobufCMessage *msg)
{
    char lit[68];
    struct isms_bind b;

    (void)msg;
    if (!caller_token_lit(call, lit))
        return;
    isms_bind_init(&b, &STMT_LOGOUT);
    isms_bind_text(&b, "token_hash", lit);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, logout_done);
}

static void whoami_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    Isms__V1__UserAccount *u;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_NOT_FOUND, "user \"%s\" does not exist", call->principal.user);
        return;
    }
    u = isms_user_from_row(&call->arena, res, 0, 0);
    if (u == NULL ||
        !isms_roles_to_repeated(&call->arena, call->principal.roles, &u->roles, &u->n_roles)) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    u->auth_kind = call->principal.token_num != 0
                       ? isms_arena_printf(&call->arena, "token:%s", call->principal.token_name)
                       : (char *)"session";
    if (u->auth_kind == NULL) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    isms_call_finish(call, &u->base);
}

static void auth_whoami(struct isms_call *call, const ProtobufCMessage *msg)
{
    struct isms_bind b;

    (void)msg;
    isms_bind_init(&b, &STMT_WHOAMI);
    isms_bind_text(&b, "user", call->principal.user);
    isms_call_db_or_fail(call, &b, whoami_done);
}

/* ---- ChangePassword ----------------------------------------------------------------------- */

static void pw_set_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    Isms__V1__ChangePasswordResponse r = ISMS__V1__CHANGE_PASSWORD_RESPONSE__INIT;

    (void)res;
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    isms_call_finish(call, &r.base);
}

static void pw_hashed(struct isms_call *call, int ok, const char *hash)
{
    char lit[68];
    struct isms_bind b;

    if (!ok) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "could not hash the new password");
        return;
    }
    if (!caller_token_lit(call, lit))
        return;
    isms_bind_init(&b, &STMT_PW_SET);
    isms_bind_text(&b, "user", call->principal.user);
    isms_bind_text(&b, "password_hash", hash);
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_bind_text(&b, "token_hash", lit);
    isms_call_db_or_fail(call, &b, pw_set_done);
}

static void pw_verified(struct isms_call *call, int ok, const char *hash)
{
    const Isms__V1__ChangePasswordRequest *in = call->ctx;
    struct isms_status st;

    (void)hash;
    if (!ok) {
        isms_throttle_refuse(call, call->principal.user, 0, ISMS_PERMISSION_DENIED, PW_WRONG);
        return;
    }
    if (isms_password_hash(call, in->new_password, pw_hashed, &st) != ISMS_OK)
        isms_call_fail_status(call, &st);
}

static void pw_current_done(struct isms_call *call, const struct isms_rows *res,
                            const struct isms_status *st)
{
    const Isms__V1__ChangePasswordRequest *in = call->ctx;
    struct isms_status err;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_NOT_FOUND, "user \"%s\" does not exist", call->principal.user);
        return;
    }
    /* Locked (by logins or earlier guesses here): the same answer as a wrong password. */
    if (strcmp(isms_rows_text(res, 0, 0), "t") == 0) {
        isms_throttle_refuse(call, call->principal.user, 1, ISMS_PERMISSION_DENIED, PW_WRONG);
        return;
    }
    if (isms_password_verify(call, in->current_password, isms_rows_text(res, 0, 1), pw_verified,
                             &err) != ISMS_OK)
        isms_call_fail_status(call, &err);
}

static void auth_change_password(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ChangePasswordRequest *in = (const Isms__V1__ChangePasswordRequest *)msg;
    struct isms_status st;
    struct isms_bind b;

    if (call->principal.token_num != 0) {
        isms_call_fail(call, ISMS_PERMISSION_DENIED,
                       "an API token cannot change a password; log in as the user");
        return;
    }
    if (isms_password_check(call->principal.user, in->new_password, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (in->current_password != NULL && in->new_password != NULL &&
        strcmp(in->current_password, in->new_password) == 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "new password must differ from the current one");
        return;
    }
    isms_bind_init(&b, &STMT_PW_CURRENT);
    isms_bind_text(&b, "user", call->principal.user);
    isms_bind_text(&b, "source", isms_call_source(call));
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, pw_current_done);
}

/* ---- API tokens --------------------------------------------------------------------------- */

static Isms__V1__ApiToken *token_from_row(struct isms_call *call, const struct isms_rows *res,
                                          int r)
{
    struct isms_arena *a = &call->arena;
    Isms__V1__ApiToken *t = isms_arena_calloc(a, sizeof(*t));

    if (t == NULL)
        return NULL;
    isms__v1__api_token__init(t);
    t->id = isms_arena_printf(a, "T-%" PRId64, isms_rows_int64(res, r, 0));
    t->owner = isms_arena_strdup(a, isms_rows_text(res, r, 1));
    t->name = isms_arena_strdup(a, isms_rows_text(res, r, 2));
    t->created_at = isms_arena_strdup(a, isms_rows_text(res, r, 4));
    t->expires_at = isms_arena_strdup(a, isms_rows_text(res, r, 5));
    t->last_used_at = isms_arena_strdup(a, isms_rows_text(res, r, 6));
    t->revoked = strcmp(isms_rows_text(res, r, 7), "t") == 0;
    if (!t->id || !t->owner || !t->name || !t->created_at || !t->expires_at || !t->last_used_at ||
        !isms_roles_to_repeated(a, isms_roles_from_pg_array(isms_rows_text(res, r, 3)), &t->roles,
                                &t->n_roles))
        return NULL;
    return t;
}

struct token_ctx {
    const Isms__V1__CreateTokenRequest *in;
    char token[ISMS_TOKEN_TEXT_BYTES + 1];
    char hash_lit[68];
};

static void token_create_done(struct isms_call *call, const struct isms_rows *res,
                              const struct isms_status *st)
{
    struct token_ctx *x = call->ctx;
    Isms__V1__CreateTokenResponse *r;

    if (st->code == ISMS_ALREADY_EXISTS) {
        isms_call_fail(call, ISMS_ALREADY_EXISTS, "you already have a token named \"%s\"",
                       x->in->name);
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL || (isms__v1__create_token_response__init(r), 0) ||
        (r->info = token_from_row(call, res, 0)) == NULL) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    r->token = x->token;
    isms_call_finish(call, &r->base);
}

static void auth_create_token(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__CreateTokenRequest *in = (const Isms__V1__CreateTokenRequest *)msg;
    struct token_ctx *x = isms_arena_calloc(&call->arena, sizeof(*x));
    struct isms_status st;
    unsigned roles = call->principal.roles;
    char roles_lit[128];
    struct isms_bind b;

    if (x == NULL) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    if (isms_text_check("token name", in->name, 64, 1, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (in->n_roles > 0) {
        if (isms_roles_parse((const char *const *)in->roles, in->n_roles, &roles, &st) != ISMS_OK) {
            isms_call_fail_status(call, &st);
            return;
        }
        /* Every role may read, so any user may hand out a read-only (viewer) token. */
        unsigned allowed = isms_roles_grantable(call->principal.roles);

        if ((roles & ~allowed) != 0) {
            char want[96];

            isms_roles_pg_array(roles & ~allowed, want, sizeof(want));
            isms_status_set(&st, ISMS_PERMISSION_DENIED,
                            "a token may only carry roles you hold yourself (not %s)", want);
            isms_auth_deny(call, &st, "");
            return;
        }
    }
    if (in->expires_in_days > 730) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "expires_in_days must be at most 730, got %u",
                       in->expires_in_days);
        return;
    }
    isms_roles_pg_array(roles, roles_lit, sizeof(roles_lit));
    isms_token_new(x->token, x->hash_lit);
    x->in = in;
    call->ctx = x;
    isms_bind_init(&b, &STMT_TOKEN_CREATE);
    isms_bind_text(&b, "owner", call->principal.user);
    isms_bind_text(&b, "name", in->name);
    isms_bind_text(&b, "roles", roles_lit);
    isms_bind_int64(&b, "days", in->expires_in_days ? in->expires_in_days : 90);
    isms_bind_text(&b, "token_hash", x->hash_lit);
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, token_create_done);
}

static void token_list_done(struct isms_call *call, const struct isms_rows *res,
                            const struct isms_status *st)
{
    Isms__V1__ListTokensResponse *r;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    isms__v1__list_tokens_response__init(r);
    r->tokens = isms_arena_calloc(&call->arena, sizeof(*r->tokens) * (size_t)(n + 1));
    if (r->tokens == NULL) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        r->tokens[i] = token_from_row(call, res, i);
        if (r->tokens[i] == NULL) {
            isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
            return;
        }
    }
    r->n_tokens = (size_t)n;
    isms_call_finish(call, &r->base);
}

static void auth_list_tokens(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ListTokensRequest *in = (const Isms__V1__ListTokensRequest *)msg;
    const char *owner = call->principal.user;
    struct isms_bind b;

    if (in->owner != NULL && in->owner[0] != '\0' && strcmp(in->owner, owner) != 0) {
        if (!(call->principal.roles & ISMS_ROLE_ADMIN)) {
            struct isms_status deny;

            isms_status_set(&deny, ISMS_PERMISSION_DENIED,
                            "only an admin may list another user's tokens");
            isms_auth_deny(call, &deny, "");
            return;
        }
        owner = in->owner;
    }
    isms_bind_init(&b, &STMT_TOKEN_LIST);
    isms_bind_text(&b, "owner", owner);
    isms_call_db_or_fail(call, &b, token_list_done);
}

static void token_revoke_done(struct isms_call *call, const struct isms_rows *res,
                              const struct isms_status *st)
{
    const char *id = call->ctx;
    Isms__V1__RevokeTokenResponse r = ISMS__V1__REVOKE_TOKEN_RESPONSE__INIT;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "token \"%s\" does not exist", id);
        return;
    }
    if (isms_rows_int64(res, 0, 1) == 0) {
        struct isms_status deny;

        isms_status_set(&deny, ISMS_PERMISSION_DENIED,
                        "token \"%s\" belongs to another user; only its owner or an admin may "
                        "revoke it",
                        id);
        isms_auth_deny(call, &deny, "");
        return;
    }
    isms_call_finish(call, &r.base);
}

static void auth_revoke_token(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__RevokeTokenRequest *in = (const Isms__V1__RevokeTokenRequest *)msg;
    struct isms_bind b;
    long long v;
    char *end;

    if (in->id == NULL || (in->id[0] != 'T' && in->id[0] != 't') || in->id[1] != '-' ||
        (v = strtoll(in->id + 2, &end, 10)) <= 0 || *end != '\0') {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "token id must look like T-<n>");
        return;
    }
    call->ctx = in->id;
    isms_bind_init(&b, &STMT_TOKEN_REVOKE);
    isms_bind_int64(&b, "num", v);
    isms_bind_text(&b, "user", call->principal.user);
    isms_bind_bool(&b, "is_admin", call->principal.roles & ISMS_ROLE_ADMIN);
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, token_revoke_done);
}

enum isms_code isms_auth_register(struct isms_server *srv, struct isms_status *st)
{
    /* Order follows the service declaration in proto/isms/v1/auth.proto. */
    static const struct isms_method_spec specs[] = {
        {"Login", auth_login, ISMS_METHOD_PUBLIC | ISMS_METHOD_SECRET, 0},
        {"Logout", auth_logout, ISMS_METHOD_ANY_PASSWORD | ISMS_METHOD_ANY_ROLE, 0},
        {"WhoAmI", auth_whoami, ISMS_METHOD_ANY_PASSWORD | ISMS_METHOD_ANY_ROLE, 0},
        {"ChangePassword", auth_change_password,
         ISMS_METHOD_ANY_PASSWORD | ISMS_METHOD_ANY_ROLE | ISMS_METHOD_SECRET, 0},
        {"CreateToken", auth_create_token, ISMS_METHOD_ANY_ROLE | ISMS_METHOD_SECRET, 0},
        {"ListTokens", auth_list_tokens, ISMS_METHOD_ANY_ROLE, 0},
        {"RevokeToken", auth_revoke_token, ISMS_METHOD_ANY_ROLE, 0},
    };

    return isms_registry_add(&srv->reg, &isms__v1__auth__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
