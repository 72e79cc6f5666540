/* auth/session.c — per-call authentication and role checks. One statement per call resolves
 * the token to its user, roles, expiry and revocation, and touches last_used_at at most once a
 * minute. Every refusal says why in plain words, never which secret was wrong. */
#include "auth/session.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "auth/roles.h"
#include "common/audit_chain.h"
#include "core/log.h"
#include "db/bind.h"
#include "db/pool.h"
#include "db/rows.h"
#include "isms/v1/envelope.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"
#include "rpc/server.h"

static const char SQL_AUTH_LOOKUP[] =
    "WITH s AS (SELECT s.user_name, s.token_num, s.expires_at <= now() AS expired,"
    "  s.revoked_at IS NOT NULL OR t.revoked_at IS NOT NULL AS revoked, u.roles::text AS roles,"
    "  u.status, coalesce(t.roles::text, '') AS token_roles, coalesce(t.name, '') AS token_name,"
    "  u.must_change_password"
    "  FROM auth_session s JOIN app_user u ON u.name = s.user_name"
    "  LEFT JOIN api_token t ON t.num = s.token_num WHERE s.token_hash = $1::bytea),"
    " touch AS (UPDATE auth_session SET last_used_at = now() WHERE token_hash = $1::bytea"
    "  AND last_used_at < now() - interval '60 seconds' AND revoked_at IS NULL"
    "  AND expires_at > now() RETURNING token_num),"
    " ttouch AS (UPDATE api_token SET last_used_at = now()"
    "  WHERE num IN (SELECT token_num FROM touch WHERE token_num IS NOT NULL))"
    " SELECT user_name, coalesce(token_num, 0), expired, revoked, roles, status, token_roles,"
    " token_name, must_change_password, (SELECT count(*) FROM touch) FROM s";
ISMS_STATEMENT(STMT_AUTH_LOOKUP, SQL_AUTH_LOOKUP, "token_hash");

static const char SQL_AUDIT_DENY[] =
    "WITH a AS (SELECT audit_append($1, $2, $3, $4, '{}', $5) AS seq)" ISMS_SQL_IDEM(
        "$6", "a") " SELECT seq FROM a";
ISMS_STATEMENT(STMT_AUDIT_DENY, SQL_AUDIT_DENY, "actor", "source", "method", "entity", "result",
               ISMS_SQL_IDEM_PARAM);

void isms_token_hash_lit(const char *token, char *hash_lit)
{
    uint8_t h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    hash_lit[0] = '\\';
    hash_lit[1] = 'x';
    isms_hex_encode(h, sizeof(h), hash_lit + 2);
    sodium_memzero(h, sizeof(h));
}

void isms_token_new(char *text, char *hash_lit)
{
    uint8_t raw[ISMS_TOKEN_RAW_BYTES];
    size_t plen = sizeof(ISMS_TOKEN_PREFIX) - 1;

    randombytes_buf(raw, sizeof(raw));
    memcpy(text, ISMS_TOKEN_PREFIX, plen);
    isms_hex_encode(raw, sizeof(raw), text + plen);
    sodium_memzero(raw, sizeof(raw));
    isms_token_hash_lit(text, hash_lit);
}

const char *isms_call_bearer(const struct isms_call *call)
{
    const Isms__V1__Request *req = (const Isms__V1__Request *)call->envelope;

    for (size_t i = 0; req != NULL && i < req->n_metadata; i++) {
        const char *k = req->metadata[i]->key;
        const char *v = req->metadata[i]->value;

        if (k == NULL || v == NULL || strcasecmp(k, "authorization") != 0)
            continue;
        if (strncasecmp(v, "Bearer ", 7) != 0)
            return NULL;
        v += 7;
        while (*v == ' ')
            v++;
        return *v != '\0' ? v : NULL;
    }
    return NULL;
}

static void deny_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    struct isms_status *orig = call->ctx;

    (void)res;
    if (st->code != ISMS_OK)
        isms_log_warn("could not record refusal in the audit trail", "call=%llu code=%s",
                      (unsigned long long)call->id, isms_code_name(st->code));
    isms_call_fail_status(call, orig);
}

void isms_auth_deny(struct isms_call *call, const struct isms_status *st, const char *entity)
{
    struct isms_status *copy = isms_arena_alloc(&call->arena, sizeof(*copy));
    struct isms_status err;
    struct isms_bind b;

    if (copy == NULL) {
        isms_call_fail_status(call, st);
        return;
    }
    *copy = *st;
    call->ctx = copy;
    isms_bind_init(&b, &STMT_AUDIT_DENY);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_peer(call));
    isms_bind_text(&b, "method", call->method->name);
    isms_bind_text(&b, "entity", entity);
    isms_bind_text(&b, "result", isms_code_name(st->code));
    if (isms_call_db(call, &b, deny_done, &err) != ISMS_OK) {
        isms_log_warn("could not record refusal in the audit trail", "call=%llu code=%s error=%s",
                      (unsigned long long)call->id, isms_code_name(err.code), err.msg);
        isms_call_fail_status(call, copy);
    }
}

static void lookup_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    const ProtobufCMessage *msg = call->ctx;
    const struct isms_method *m = call->method;
    unsigned roles;
    const char *token_roles;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_UNAUTHENTICATED,
                       "credentials are not valid; log in again (ismsctl login)");
        return;
    }
    if (strcmp(isms_rows_text(res, 0, 3), "t") == 0) {
        isms_call_fail(call, ISMS_UNAUTHENTICATED,
                       "session or token was revoked; log in again (ismsctl login)");
        return;
    }
    if (strcmp(isms_rows_text(res, 0, 2), "t") == 0) {
        isms_call_fail(call, ISMS_UNAUTHENTICATED,
                       "session or token has expired; log in again (ismsctl login)");
        return;
    }
    if (strcmp(isms_rows_text(res, 0, 5), "active") != 0) {
        isms_call_fail(call, ISMS_UNAUTHENTICATED, "account is disabled");
        return;
    }
    snprintf(call->principal.user, sizeof(call->principal.user), "%s", isms_rows_text(res, 0, 0));
    roles = isms_roles_from_pg_array(isms_rows_text(res, 0, 4));
    token_roles = isms_rows_text(res, 0, 6);
    call->principal.token_num = isms_rows_int64(res, 0, 1);
    if (call->principal.token_num != 0) {
        /* Every role may read, so a token may carry viewer whatever its owner's roles are
         * (Auth/CreateToken allows it); the owner's roles narrowed by the token's. */
        roles = isms_roles_effective(roles, isms_roles_from_pg_array(token_roles));
        snprintf(call->principal.token_name, sizeof(call->principal.token_name), "%s",
                 isms_rows_text(res, 0, 7));
    }
    call->principal.roles = roles;
    call->principal.is_authenticated = 1;
    isms_call_conn_authenticated(call);
    if (strcmp(isms_rows_text(res, 0, 8), "t") == 0 && !(m->flags & ISMS_METHOD_ANY_PASSWORD)) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "the one-time password must be changed first (ismsctl passwd)");
        return;
    }
    if (!(m->flags & ISMS_METHOD_ANY_ROLE) && (roles & m->roles) == 0) {
        struct isms_status deny;
        char need[128];

        isms_roles_pg_array(m->roles, need, sizeof(need));
        isms_status_set(&deny, ISMS_PERMISSION_DENIED,
                        "user \"%s\" may not call %s (needs one of %s)", call->principal.user,
                        m->name, need);
        isms_auth_deny(call, &deny, "");
        return;
    }
    call->ctx = NULL;
    isms_call_dispatch(call, msg);
}

static void authorize(struct isms_call *call, const ProtobufCMessage *msg)
{
    const char *token = isms_call_bearer(call);
    char lit[2 + 2 * crypto_hash_sha256_BYTES + 1];
    struct isms_bind b;

    if (token == NULL) {
        isms_call_fail(call, ISMS_UNAUTHENTICATED,
                       "not logged in: send metadata authorization \"Bearer <token>\" "
                       "(ismsctl login)");
        return;
    }
    if (strlen(token) != ISMS_TOKEN_TEXT_BYTES) {
        isms_call_fail(call, ISMS_UNAUTHENTICATED,
                       "credentials are not valid; log in again (ismsctl login)");
        return;
    }
    isms_token_hash_lit(token, lit);
    isms_bind_init(&b, &STMT_AUTH_LOOKUP);
    isms_bind_text(&b, "token_hash", lit);
    call->ctx = (void *)msg;
    isms_call_db_or_fail(call, &b, lookup_done);
}

void isms_auth_attach(struct isms_server *srv)
{
    srv->authorize = authorize;
}
