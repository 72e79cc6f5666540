/* domain/users/user_rpc.c — isms.v1.User: account administration. Each mutation is one
 * statement that changes the row and appends its audit record; at least one active admin
 * always remains. */
#include <stdio.h>
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

#define USER_JSON(t)                                                                               \
    "jsonb_build_object('display_name', " t ".display_name, 'email', " t ".email, 'roles', " t     \
    ".roles, 'status', " t ".status)"

static const char SQL_USER_CREATE[] =
    "WITH u AS (INSERT INTO app_user (name, display_name, email, roles, password_hash,"
    "  must_change_password) VALUES ($1, $2, $3, $4::text[], $5, $6::boolean) RETURNING *),"
    " a AS (SELECT audit_append($7, $8, '/isms.v1.User/Create', 'user:' || u.name,"
    "  audit_diff(NULL, " USER_JSON("u") "), 'OK') FROM u)" ISMS_SQL_IDEM(
        "$9", "a") ""
                   " SELECT " ISMS_USER_COLS " FROM u, a";
ISMS_STATEMENT(STMT_USER_CREATE, SQL_USER_CREATE, "name", "display_name", "email", "roles",
               "password_hash", "must_change_password", "actor", "source", ISMS_SQL_IDEM_PARAM);

static const char SQL_USER_LIST[] = "SELECT " ISMS_USER_COLS " FROM app_user u ORDER BY u.name";
ISMS_STATEMENT_NO_PARAMS(STMT_USER_LIST, SQL_USER_LIST);

static const char SQL_USER_GET[] = "SELECT " ISMS_USER_COLS " FROM app_user u WHERE u.name = $1";
ISMS_STATEMENT(STMT_USER_GET, SQL_USER_GET, "name");

/* $1 name, $2 expected version, $3..$10 set flags and values, $11 actor, $12 source. The last
 * active admin cannot be disabled or lose the admin role. */
static const char SQL_USER_UPDATE[] =
    "WITH old AS (SELECT * FROM app_user WHERE name = $1 FOR UPDATE),"
    " new AS (SELECT old.name,"
    "  CASE WHEN $3::boolean THEN $4 ELSE old.display_name END AS display_name,"
    "  CASE WHEN $5::boolean THEN $6 ELSE old.email END AS email,"
    "  CASE WHEN $7::boolean THEN $8::text[] ELSE old.roles END AS roles,"
    "  CASE WHEN $9::boolean THEN $10 ELSE old.status END AS status FROM old),"
    /* Locking the other active admins makes two admins disabling each other serialise (or
     * deadlock, one ABORTED): the loser recounts with the winner's change applied. */
    " admins AS (SELECT count(*) AS n FROM (SELECT name FROM app_user WHERE status = 'active'"
    "  AND 'admin' = ANY (roles) AND name <> $1 FOR UPDATE) other),"
    " keeps AS (SELECT (SELECT n FROM admins) + (SELECT count(*) FROM new"
    "  WHERE status = 'active' AND 'admin' = ANY (roles)) > 0 AS ok),"
    " u AS (UPDATE app_user x SET display_name = new.display_name, email = new.email,"
    "  roles = new.roles, status = new.status, version = x.version + 1, updated_at = now()"
    "  FROM new, keeps WHERE x.name = new.name AND keeps.ok"
    "  AND ($2::bigint = 0 OR x.version = $2::bigint) RETURNING x.*),"
    " s AS (UPDATE auth_session SET revoked_at = now() WHERE user_name IN"
    "  (SELECT name FROM u WHERE status = 'disabled') AND revoked_at IS NULL),"
    " t AS (UPDATE api_token SET revoked_at = now() WHERE owner IN"
    "  (SELECT name FROM u WHERE status = 'disabled') AND revoked_at IS NULL),"
    " a AS (SELECT audit_append($11, $12, '/isms.v1.User/Update', 'user:' || u.name,"
    "  audit_diff(" USER_JSON("old") ", " USER_JSON("u") "), 'OK') FROM u, old)" ISMS_SQL_IDEM(
        "$13", "a") ""
                    " SELECT " ISMS_USER_COLS ", (SELECT count(*) FROM old), (SELECT ok FROM keeps)"
                    " FROM (SELECT 1) one LEFT JOIN (u CROSS JOIN a) ON true";
ISMS_STATEMENT(STMT_USER_UPDATE, SQL_USER_UPDATE, "name", "expected_version", "set_display_name",
               "display_name", "set_email", "email", "set_roles", "roles", "set_status", "status",
               "actor", "source", ISMS_SQL_IDEM_PARAM);

static const char SQL_USER_RESET[] =
    "WITH u AS (UPDATE app_user SET password_hash = $2, must_change_password = $3::boolean,"
    "  version = version + 1, updated_at = now() WHERE name = $1 RETURNING name),"
    " s AS (UPDATE auth_session SET revoked_at = now() WHERE user_name IN (SELECT name FROM u)"
    "  AND token_num IS NULL AND revoked_at IS NULL),"
    " a AS (SELECT audit_append($4, $5, '/isms.v1.User/ResetPassword', 'user:' || u.name,"
    "  '{\"password\":\"reset\"}', 'OK') FROM u)" ISMS_SQL_IDEM("$6",
                                                                "a") ""
                                                                     " SELECT count(*) FROM u, a";
ISMS_STATEMENT(STMT_USER_RESET, SQL_USER_RESET, "name", "password_hash", "must_change_password",
               "actor", "source", ISMS_SQL_IDEM_PARAM);

static const char SQL_USER_REVOKE[] =
    "WITH s AS (UPDATE auth_session SET revoked_at = now() WHERE user_name = $1"
    "  AND token_num IS NULL AND revoked_at IS NULL RETURNING 1),"
    " a AS (SELECT audit_append($2, $3, '/isms.v1.User/RevokeSessions', 'user:' || $1,"
    "  jsonb_build_object('sessions_revoked', (SELECT count(*) FROM s))::text, "
    "'OK'))" ISMS_SQL_IDEM("$4", "a") ""
                                      " SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM a),"
                                      " EXISTS (SELECT 1 FROM app_user WHERE name = $1)";
ISMS_STATEMENT(STMT_USER_REVOKE, SQL_USER_REVOKE, "name", "actor", "source", ISMS_SQL_IDEM_PARAM);

static void fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
}

/* Checks the roles list of a request: known names, at least one. */
static enum isms_code parse_roles(char **names, size_t n, unsigned *mask, struct isms_status *st)
{
    if (n == 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "a user needs at least one role");
    return isms_roles_parse((const char *const *)names, n, mask, st);
}

static enum isms_code check_email(const char *email, struct isms_status *st)
{
    if (isms_text_check("email", email, 254, 0, st) != ISMS_OK)
        return st->code;
    if (email != NULL && email[0] != '\0' &&
        (strchr(email, '@') == NULL || strchr(email, ' ') != NULL))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "email \"%s\" is not an address like name@example.org", email);
    return ISMS_OK;
}

/* ---- Create ------------------------------------------------------------------------------- */

struct create_ctx {
    const Isms__V1__CreateUserRequest *in;
    char roles[128];
    char password[ISMS_PASSWORD_MAX + 1]; /* only when generated; in the wiped arena */
    int is_generated;
};

static void create_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    struct create_ctx *x = call->ctx;
    Isms__V1__CreateUserResponse *r;

    if (st->code == ISMS_ALREADY_EXISTS) {
        isms_call_fail(call, ISMS_ALREADY_EXISTS, "user \"%s\" already exists", x->in->name);
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL) {
        fail_oom(call);
        return;
    }
    isms__v1__create_user_response__init(r);
    r->user = isms_user_from_row(&call->arena, res, 0, 0);
    r->initial_password = x->is_generated ? x->password : (char *)"";
    if (r->user == NULL) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &r->base); /* the arena is wiped when the call is freed */
}

static void create_hashed(struct isms_call *call, int ok, const char *hash)
{
    struct create_ctx *x = call->ctx;
    struct isms_bind b;

    if (!ok) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "could not hash the password");
        return;
    }
    isms_bind_init(&b, &STMT_USER_CREATE);
    isms_bind_text(&b, "name", x->in->name);
    isms_bind_text(&b, "display_name", x->in->display_name);
    isms_bind_text(&b, "email", x->in->email);
    isms_bind_text(&b, "roles", x->roles);
    isms_bind_text(&b, "password_hash", hash);
    /* Generated or set by the admin, it is one-time unless the admin said permanent. */
    isms_bind_bool(&b, "must_change_password", x->is_generated || !x->in->permanent);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, create_done);
}

static void user_create(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__CreateUserRequest *in = (const Isms__V1__CreateUserRequest *)msg;
    struct create_ctx *x = isms_arena_calloc(&call->arena, sizeof(*x));
    struct isms_status st;
    unsigned roles;
    const char *pw = in->password;

    if (x == NULL) {
        fail_oom(call);
        return;
    }
    if (isms_user_name_check(in->name, &st) != ISMS_OK ||
        isms_text_check("display name", in->display_name, 200, 0, &st) != ISMS_OK ||
        check_email(in->email, &st) != ISMS_OK ||
        parse_roles(in->roles, in->n_roles, &roles, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if ((pw == NULL || pw[0] == '\0') && in->permanent) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "permanent: only for a password you set (a generated one is one-time)");
        return;
    }
    if (pw == NULL || pw[0] == '\0') {
        isms_password_generate(x->password);
        x->is_generated = 1;
        pw = x->password;
    } else if (isms_password_check(in->name, pw, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_roles_pg_array(roles, x->roles, sizeof(x->roles));
    x->in = in;
    call->ctx = x;
    if (isms_password_hash(call, pw, create_hashed, &st) != ISMS_OK)
        isms_call_fail_status(call, &st);
}

/* ---- List, Get ---------------------------------------------------------------------------- */

static void list_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    Isms__V1__ListUsersResponse *r;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL) {
        fail_oom(call);
        return;
    }
    isms__v1__list_users_response__init(r);
    r->users = isms_arena_calloc(&call->arena, sizeof(*r->users) * (size_t)(n + 1));
    if (r->users == NULL) {
        fail_oom(call);
        return;
    }
    for (int i = 0; i < n; i++)
        if ((r->users[i] = isms_user_from_row(&call->arena, res, i, 0)) == NULL) {
            fail_oom(call);
            return;
        }
    r->n_users = (size_t)n;
    isms_call_finish(call, &r->base);
}

static void user_list(struct isms_call *call, const ProtobufCMessage *msg)
{
    struct isms_bind b;

    (void)msg;
    isms_bind_init(&b, &STMT_USER_LIST);
    isms_call_db_or_fail(call, &b, list_done);
}

static void get_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    Isms__V1__UserAccount *u;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_NOT_FOUND, "user \"%s\" does not exist", (const char *)call->ctx);
        return;
    }
    u = isms_user_from_row(&call->arena, res, 0, 0);
    if (u == NULL) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &u->base);
}

static int may_read_users(const struct isms_call *call)
{
    return (call->principal.roles & (ISMS_ROLE_ADMIN | ISMS_ROLE_MANAGER | ISMS_ROLE_AUDITOR)) != 0;
}

static void user_get(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__GetUserRequest *in = (const Isms__V1__GetUserRequest *)msg;
    struct isms_status st;
    const char *name = in->name;
    struct isms_bind b;

    if (isms_text_check("name", name, 64, 1, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (strcmp(name, call->principal.user) != 0 && !may_read_users(call)) {
        isms_status_set(&st, ISMS_PERMISSION_DENIED,
                        "only admin, isms_manager and auditor may read other users");
        isms_auth_deny(call, &st, "");
        return;
    }
    isms_bind_init(&b, &STMT_USER_GET);
    isms_bind_text(&b, "name", name);
    call->ctx = (void *)name;
    isms_call_db_or_fail(call, &b, get_done);
}

/* ---- Update ------------------------------------------------------------------------------- */

static void update_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    const Isms__V1__UpdateUserRequest *in = call->ctx;
    Isms__V1__UserAccount *u;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, ISMS_USER_NCOLS) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "user \"%s\" does not exist", in->name);
        return;
    }
    if (strcmp(isms_rows_text(res, 0, ISMS_USER_NCOLS + 1), "t") != 0) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "at least one active admin must remain; grant admin to someone else "
                       "first");
        return;
    }
    if (isms_rows_is_null(res, 0, 0)) {
        isms_call_fail(call, ISMS_ABORTED,
                       "user \"%s\" was changed by someone else: version %lld is stale; show "
                       "it again and retry",
                       in->name, (long long)in->expected_version);
        return;
    }
    u = isms_user_from_row(&call->arena, res, 0, 0);
    if (u == NULL) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &u->base);
}

static void user_update(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__UpdateUserRequest *in = (const Isms__V1__UpdateUserRequest *)msg;
    struct isms_status st;
    unsigned roles = 0;
    char roles_lit[128] = "{}";
    struct isms_bind b;

    if (isms_text_check("name", in->name, 64, 1, &st) != ISMS_OK ||
        (in->set_display_name &&
         isms_text_check("display name", in->display_name, 200, 0, &st) != ISMS_OK) ||
        (in->set_email && check_email(in->email, &st) != ISMS_OK) ||
        (in->set_roles && parse_roles(in->roles, in->n_roles, &roles, &st) != ISMS_OK)) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (!in->set_display_name && !in->set_email && !in->set_roles && !in->set_status) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "nothing to update: set display name, email, roles or status");
        return;
    }
    if (in->set_status && strcmp(in->status, "active") != 0 &&
        strcmp(in->status, "disabled") != 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "status must be active or disabled");
        return;
    }
    if (in->expected_version < 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "expected_version must not be negative");
        return;
    }
    isms_roles_pg_array(roles, roles_lit, sizeof(roles_lit));
    isms_bind_init(&b, &STMT_USER_UPDATE);
    isms_bind_text(&b, "name", in->name);
    isms_bind_int64(&b, "expected_version", in->expected_version);
    isms_bind_bool(&b, "set_display_name", in->set_display_name);
    isms_bind_text(&b, "display_name", in->display_name);
    isms_bind_bool(&b, "set_email", in->set_email);
    isms_bind_text(&b, "email", in->email);
    isms_bind_bool(&b, "set_roles", in->set_roles);
    isms_bind_text(&b, "roles", roles_lit);
    isms_bind_bool(&b, "set_status", in->set_status);
    isms_bind_text(&b, "status", in->status);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, update_done);
}

/* ---- ResetPassword, RevokeSessions -------------------------------------------------------- */

struct reset_ctx {
    const Isms__V1__ResetPasswordRequest *in;
    char password[ISMS_PASSWORD_MAX + 1];
    int is_generated;
};

static void reset_done(struct isms_call *call, const struct isms_rows *res,
                       const struct isms_status *st)
{
    struct reset_ctx *x = call->ctx;
    Isms__V1__ResetPasswordResponse r = ISMS__V1__RESET_PASSWORD_RESPONSE__INIT;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "user \"%s\" does not exist", x->in->name);
        return;
    }
    r.password = x->is_generated ? x->password : (char *)"";
    isms_call_finish(call, &r.base); /* the arena is wiped when the call is freed */
}

static void reset_hashed(struct isms_call *call, int ok, const char *hash)
{
    struct reset_ctx *x = call->ctx;
    struct isms_bind b;

    if (!ok) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "could not hash the password");
        return;
    }
    isms_bind_init(&b, &STMT_USER_RESET);
    isms_bind_text(&b, "name", x->in->name);
    isms_bind_text(&b, "password_hash", hash);
    isms_bind_bool(&b, "must_change_password", x->is_generated || !x->in->permanent);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, reset_done);
}

static void user_reset_password(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ResetPasswordRequest *in = (const Isms__V1__ResetPasswordRequest *)msg;
    struct reset_ctx *x = isms_arena_calloc(&call->arena, sizeof(*x));
    struct isms_status st;
    const char *pw = in->password;

    if (x == NULL) {
        fail_oom(call);
        return;
    }
    if (isms_text_check("name", in->name, 64, 1, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if ((pw == NULL || pw[0] == '\0') && in->permanent) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "permanent: only for a password you set (a generated one is one-time)");
        return;
    }
    if (pw == NULL || pw[0] == '\0') {
        isms_password_generate(x->password);
        x->is_generated = 1;
        pw = x->password;
    } else if (isms_password_check(in->name, pw, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    x->in = in;
    call->ctx = x;
    if (isms_password_hash(call, pw, reset_hashed, &st) != ISMS_OK)
        isms_call_fail_status(call, &st);
}

static void revoke_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    Isms__V1__RevokeSessionsResponse r = ISMS__V1__REVOKE_SESSIONS_RESPONSE__INIT;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (strcmp(isms_rows_text(res, 0, 2), "t") != 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "user \"%s\" does not exist", (const char *)call->ctx);
        return;
    }
    r.revoked = (uint32_t)isms_rows_int64(res, 0, 0);
    isms_call_finish(call, &r.base);
}

static void user_revoke_sessions(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__RevokeSessionsRequest *in = (const Isms__V1__RevokeSessionsRequest *)msg;
    struct isms_status st;
    struct isms_bind b;

    if (isms_text_check("name", in->name, 64, 1, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (strcmp(in->name, call->principal.user) != 0 && !(call->principal.roles & ISMS_ROLE_ADMIN)) {
        isms_status_set(&st, ISMS_PERMISSION_DENIED,
                        "only an admin may revoke another user's sessions");
        isms_auth_deny(call, &st, "");
        return;
    }
    isms_bind_init(&b, &STMT_USER_REVOKE);
    isms_bind_text(&b, "name", in->name);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    call->ctx = in->name;
    isms_call_db_or_fail(call, &b, revoke_done);
}

enum isms_code isms_user_register(struct isms_server *srv, struct isms_status *st)
{
    /* Order follows the service declaration in proto/isms/v1/auth.proto. */
    static const struct isms_method_spec specs[] = {
        {"Create", user_create, ISMS_METHOD_SECRET, ISMS_ROLE_ADMIN},
        {"List", user_list, 0, ISMS_ROLE_ADMIN | ISMS_ROLE_MANAGER | ISMS_ROLE_AUDITOR},
        {"Get", user_get, ISMS_METHOD_ANY_ROLE, 0},
        {"Update", user_update, 0, ISMS_ROLE_ADMIN},
        {"ResetPassword", user_reset_password, ISMS_METHOD_SECRET, ISMS_ROLE_ADMIN},
        {"RevokeSessions", user_revoke_sessions, ISMS_METHOD_ANY_ROLE, 0},
        {"ListLockouts", isms_user_list_lockouts, 0, ISMS_ROLE_ADMIN},
        {"Unlock", isms_user_unlock, 0, ISMS_ROLE_ADMIN},
    };

    return isms_registry_add(&srv->reg, &isms__v1__user__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
