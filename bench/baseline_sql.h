/* bench/baseline_sql.h — the SQL ismsd runs for each benchmarked method, issued directly by the
 * baseline. Keep each statement identical to the daemon's (text, parameters and their values),
 * or the ratio ismsd/direct stops meaning "what ismsd adds". The daemon file each one mirrors
 * is named above it; when that file changes, change this one. */
#ifndef ISMS_BENCH_BASELINE_SQL_H
#define ISMS_BENCH_BASELINE_SQL_H

#include "bench.h"
#include "domain/domain.h" /* ISMS_SQL_TS, so timestamps render exactly as the daemon's do */

/* One statement: text and parameter values exactly as the daemon sends them. */
struct isms_bench_stmt {
    const char *sql;
    int nparams;
    const char *params[8];
};

/* What one call makes ismsd run, in order. */
struct isms_bench_sql {
    struct isms_bench_stmt stmt[2];
    int nstmts;
    char token_hash[2 + 64 + 1]; /* "\x" + hex SHA-256 of the bearer token */
};

/* The SQL keeps the daemon's layout, so the two can be compared line by line. */
/* clang-format off */

/* daemon/auth/session.c SQL_AUTH_LOOKUP: every call to a non-public method first resolves its
 * bearer token (by SHA-256) to a user and roles. $1 is the hash as a bytea literal. */
#define ISMS_BENCH_SQL_AUTH_LOOKUP                                                                \
    "WITH s AS (SELECT s.user_name, s.token_num, s.expires_at <= now() AS expired,"               \
    "  s.revoked_at IS NOT NULL OR t.revoked_at IS NOT NULL AS revoked, u.roles::text AS roles,"  \
    "  u.status, coalesce(t.roles::text, '') AS token_roles, coalesce(t.name, '') AS token_name," \
    "  u.must_change_password"                                                                    \
    "  FROM auth_session s JOIN app_user u ON u.name = s.user_name"                               \
    "  LEFT JOIN api_token t ON t.num = s.token_num WHERE s.token_hash = $1::bytea),"             \
    " touch AS (UPDATE auth_session SET last_used_at = now() WHERE token_hash = $1::bytea"        \
    "  AND last_used_at < now() - interval '60 seconds' AND revoked_at IS NULL"                   \
    "  AND expires_at > now() RETURNING 1)"                                                       \
    " SELECT user_name, coalesce(token_num, 0), expired, revoked, roles, status, token_roles,"    \
    " token_name, must_change_password, (SELECT count(*) FROM touch) FROM s"

/* daemon/domain/system/system.c SQL_HEALTH: one round trip to prove the database answers. */
#define ISMS_BENCH_SQL_HEALTH "SELECT 1"

/* daemon/domain/context/context.c SQL_CONTEXT_ROWS: the context row, then its parties and
 * issues, one row each. */
#define ISMS_BENCH_SQL_CONTEXT_ROWS(ctx_source)                                                   \
    "SELECT 'c', organization, scope, version::text, " ISMS_SQL_TS("updated_at") ", updated_by, " \
    "0::bigint AS num FROM " ctx_source                                                            \
    " UNION ALL SELECT 'p', name, kind, requirements, " ISMS_SQL_TS("created_at") ", '', num "    \
    "FROM interested_party"                                                                        \
    " UNION ALL SELECT 'i', kind, description, '', " ISMS_SQL_TS("created_at") ", '', num "       \
    "FROM context_issue ORDER BY 1, 7"

/* daemon/domain/context/context.c SQL_CONTEXT_GET. */
#define ISMS_BENCH_SQL_CONTEXT_GET ISMS_BENCH_SQL_CONTEXT_ROWS("isms_context")

/* daemon/domain/context/context.c SQL_CONTEXT_UPDATE, with the parameters context_update()
 * sends for the request ismsbench makes: set_organization, no scope, expected_version 0, then
 * isms_call_actor() and isms_call_source() (daemon/domain/domain.c) for the audit record. */
#define ISMS_BENCH_SQL_CONTEXT_UPDATE                                                             \
    "WITH old AS (SELECT organization, scope FROM isms_context),"                                \
    " u AS (UPDATE isms_context SET"                                                             \
    " organization = CASE WHEN $1::boolean THEN $2 ELSE organization END,"                       \
    " scope = CASE WHEN $3::boolean THEN $4 ELSE scope END,"                                     \
    " version = version + 1, updated_at = now(), updated_by = $6"                                \
    " WHERE $5::bigint = 0 OR version = $5::bigint RETURNING *),"                                \
    " a AS (SELECT audit_append($6, $7, '/isms.v1.Context/Update', 'context',"                   \
    " audit_diff(to_jsonb(old), jsonb_build_object('organization', u.organization,"              \
    " 'scope', u.scope)), 'OK') AS seq FROM u, old) " ISMS_BENCH_SQL_CONTEXT_ROWS("u CROSS JOIN a")

/* clang-format on */

/* The organisation name the Update benchmark sends (bench/wire_load.c uses the same). */
#define ISMS_BENCH_UPDATE_ORGANIZATION "ismsbench organisation"

/*
 * Fills `q` with the statements one call of method `m` makes ismsd run. `user` is the logged-in
 * user (updated_by and the audit actor), `token` the bearer token (NULL for public methods) and
 * `source` the address ismsd sees us at (the audit source). The strings must outlive `q`.
 */
void isms_bench_sql_for(enum isms_bench_method m, const char *user, const char *token,
                        const char *source, struct isms_bench_sql *q);

#endif
