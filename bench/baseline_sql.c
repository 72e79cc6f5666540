/* bench/baseline_sql.c — copies of the daemon's statements that the baseline sends, and which
 * of them (with which parameters) one call of a simple method runs. Each block below is copied
 * from the daemon file its comment names, under the daemon's own names, so the two can be
 * compared line by line; bench/check_sql.py checks that every copy preprocesses to the same
 * text as the daemon's. Fragments the daemon shares in headers (ASSET_COLS, ISMS_RISK_COLS,
 * ISMS_METHOD_COLS, ISMS_SQL_TS) are included from those headers, not copied. */
#include "baseline_sql.h"

#include <string.h>

#include <sodium.h>

#include "db/bind.h"
#include "domain/domain.h"
#include "domain/plan/asset.h"
#include "domain/plan/control_rules.h"
#include "domain/plan/method.h"
#include "domain/plan/risk.h"

/* The baseline reads these columns where the daemon's handlers do. */
_Static_assert(ISMS_BENCH_ASSET_NCOLS == ASSET_NCOLS, "ASSET_COLS changed: check the baseline");
_Static_assert(ISMS_BENCH_LOAD_RISK_COL == ISMS_METHOD_NCOLS,
               "ISMS_METHOD_COLS changed: check the baseline");
_Static_assert(ISMS_RISK_NCOLS == 48, "ISMS_RISK_COLS changed: check the baseline");

/* clang-format off */

/* ---- copied from daemon/auth/session.c ---- */

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

/* ---- copied from daemon/db/probe.c ---- */

/* System/Health answers from the probe's last result with no round trip of its own; its
 * baseline is the probe's statement, the cheapest round trip there is. */
static const char SQL_PROBE[] = "SELECT 1";

/* ---- copied from daemon/domain/context/context.c ---- */

#define SQL_CONTEXT_ROWS(ctx_source)                                                               \
    "SELECT 'c', organization, scope, version::text, " ISMS_SQL_TS("updated_at") ", updated_by,"   \
    " 0::bigint AS num, 0::bigint, '', '' FROM " ctx_source                                        \
    " UNION ALL SELECT 'p', name, kind, requirements, " ISMS_SQL_TS("created_at") ", '', num,"     \
    " version, addressed, addressed_note FROM interested_party"                                   \
    " UNION ALL SELECT 'i', kind, description, '', " ISMS_SQL_TS("created_at") ", '', num,"        \
    " version, '', '' FROM context_issue ORDER BY 1, 7"

static const char SQL_CONTEXT_GET[] = SQL_CONTEXT_ROWS("isms_context");

static const char SQL_CONTEXT_UPDATE[] =
    "WITH old AS (SELECT organization, scope FROM isms_context),"
    " u AS (UPDATE isms_context SET"
    " organization = CASE WHEN $1::boolean THEN $2 ELSE organization END,"
    " scope = CASE WHEN $3::boolean THEN $4 ELSE scope END,"
    " version = version + 1, updated_at = now(), updated_by = $6"
    " WHERE $5::bigint = 0 OR version = $5::bigint RETURNING *),"
    " a AS (SELECT audit_append($6, $7, '/isms.v1.Context/Update', 'context',"
    " audit_diff(to_jsonb(old), jsonb_build_object('organization', u.organization,"
    " 'scope', u.scope)), 'OK') AS seq FROM u, old)" ISMS_SQL_IDEM("$8", "a") " " SQL_CONTEXT_ROWS("u CROSS JOIN a");

/* ---- copied from daemon/domain/plan/asset.c ---- */

#define COLS_T    ASSET_COLS("t")

#define COLS_U    ASSET_COLS("u")

#define JSON_OLD  ASSET_JSON("old")

#define JSON_U    ASSET_JSON("u")

#define MATCH_1_2 ASSET_MATCH("t", "$1", "$2")

static const char SQL_ASSET_GET[] = "SELECT " COLS_T " FROM asset t WHERE " MATCH_1_2;

static const char SQL_ASSET_UPDATE[] =
    "WITH old AS (SELECT * FROM asset t WHERE " MATCH_1_2 " FOR UPDATE),"
    " ow AS (SELECT CASE WHEN ($4::int & 8) = 0 THEN 'active' ELSE " OWNER_STATUS(
        "$8") " END"
              "  AS st),"
              " u AS (UPDATE asset x SET"
              "  name = CASE WHEN ($4::int & 1) <> 0 THEN $5 ELSE x.name END,"
              "  type = CASE WHEN ($4::int & 2) <> 0 THEN $6 ELSE x.type END,"
              "  description = CASE WHEN ($4::int & 4) <> 0 THEN $7 ELSE x.description END,"
              "  owner = CASE WHEN ($4::int & 8) <> 0 THEN $8 ELSE x.owner END,"
              "  custodian = CASE WHEN ($4::int & 16) <> 0 THEN $9 ELSE x.custodian END,"
              "  location = CASE WHEN ($4::int & 32) <> 0 THEN $10 ELSE x.location END,"
              "  classification = CASE WHEN ($4::int & 64) <> 0 THEN $11 ELSE x.classification END,"
              "  confidentiality = CASE WHEN ($4::int & 128) <> 0 THEN $12::int"
              "   ELSE x.confidentiality END,"
              "  integrity = CASE WHEN ($4::int & 256) <> 0 THEN $13::int ELSE x.integrity END,"
              "  availability = CASE WHEN ($4::int & 512) <> 0 THEN $14::int ELSE x.availability "
              "END,"
              "  tags = CASE WHEN ($4::int & 1024) <> 0 THEN $15::text[] ELSE x.tags END,"
              "  status = CASE WHEN ($4::int & 2048) <> 0 THEN $16 ELSE x.status END,"
              "  version = x.version + 1, updated_at = now(), updated_by = $17"
              "  FROM old WHERE x.num = old.num AND ($3::bigint = 0 OR x.version = $3::bigint)"
              "  AND (SELECT st FROM ow) = 'active' RETURNING x.*),"
              " a AS (SELECT audit_append($17, $18, '/isms.v1.Asset/Update', 'asset:A-' || u.num,"
              "  audit_diff(" JSON_OLD ", " JSON_U "), 'OK') AS seq FROM u, old)" ISMS_SQL_IDEM(
                  "$19", "a") ""
                              " SELECT (SELECT count(*) FROM old), (SELECT version FROM old),"
                              " (SELECT st FROM ow), " COLS_U
                              " FROM (SELECT 1) one LEFT JOIN (u CROSS JOIN a) ON true";

/* ---- copied from daemon/domain/plan/asset_bulk.c ---- */

#define LIST_HEAD                                                                                  \
    "SELECT " COLS_T " FROM asset t WHERE ($1::text = '' OR t.type = $1::text)"                    \
    " AND ($2::text = '' OR lower(t.owner) = lower($2::text))"                                     \
    " AND ($3::text = '' OR t.classification = $3::text)"                                          \
    " AND ($4::text = '' OR t.tags @> ARRAY[$4::text])"                                            \
    " AND ($5::text = '' OR strpos(lower(t.name), lower($5::text)) > 0"                            \
    "  OR strpos(lower(t.description), lower($5::text)) > 0)"                                      \
    " AND ($6::text = '' OR t.status = $6::text)"

#define ORDER_ID_ASC " ORDER BY t.num LIMIT $7::int"

static const char SQL_LIST_ID_ASC_FIRST[] = LIST_HEAD ORDER_ID_ASC;
static const char SQL_LIST_ID_ASC[] = LIST_HEAD " AND t.num > $8::bigint" ORDER_ID_ASC;

/* ---- copied from daemon/domain/plan/risk.c ---- */

#define RISK_JSON(t)                                                                               \
    "jsonb_build_object('title', " t ".title, 'description', " t ".description,"                   \
    " 'threat', " t ".threat, 'vulnerability', " t ".vulnerability, 'owner', " t ".owner,"         \
    " 'existing_controls', " t ".existing_controls, 'method_version', " t ".method_version,"       \
    " 'inherent_likelihood', " t ".inherent_likelihood, 'inherent_impact', " t                     \
    ".inherent_impact, 'inherent_score', " t ".inherent_score, 'inherent_level', " t               \
    ".inherent_level, 'residual_likelihood', " t ".residual_likelihood, 'residual_impact', " t     \
    ".residual_impact, 'residual_score', " t ".residual_score, 'residual_level', " t               \
    ".residual_level, 'treatment', " t ".treatment, 'status', " t ".status, 'next_review', " t     \
    ".next_review, 'accepted_by', " t ".accepted_by, 'accepted_at', " t ".accepted_at,"            \
    " 'acceptance_justification', " t ".acceptance_justification, 'accepted_score', " t            \
    ".accepted_score, 'close_reason', " t ".close_reason, 'acceptance_expires', " t                \
    ".acceptance_expires, 'pending_residual_score', " t ".pending_residual_score,"                 \
    " 'pending_residual_level', " t ".pending_residual_level, 'pending_by', " t ".pending_by)"

#define ACTION_JSON(t)                                                                             \
    "jsonb_build_object('description', " t ".description, 'owner', " t ".owner, 'due', " t         \
    ".due, 'status', " t ".status)"

#define ASSETS_JSON(p)                                                                             \
    "(SELECT coalesce(jsonb_agg('A-' || x::text ORDER BY x), '[]'::jsonb)"                         \
    " FROM (SELECT DISTINCT unnest(" p "::bigint[]) AS x) s)"

static const char SQL_RISK_LOAD[] =
    "SELECT cm.*, " ISMS_RISK_COLS ", coalesce(u.status, ''),"
    " ARRAY(SELECT ast.num FROM unnest($3::bigint[], $4::text[]) WITH ORDINALITY AS q(n, name, o)"
    "  LEFT JOIN asset ast ON CASE WHEN q.n IS NOT NULL THEN ast.num = q.n"
    "  ELSE lower(ast.name) = lower(q.name) END ORDER BY q.o),"
    " ARRAY(SELECT c.id FROM unnest($5::text[]) WITH ORDINALITY AS q(ref, o)"
    "  LEFT JOIN control c ON c.id = q.ref ORDER BY q.o),"
    " coalesce(u.roles::text, '{}'),"
    " ARRAY(SELECT c.id FROM control c WHERE c.status <> 'implemented' AND (c.id = ANY($5::text[])"
    "  OR c.id IN (SELECT rc.control_id FROM risk_control rc WHERE rc.risk_num = $1::bigint)))"
    " FROM (SELECT " ISMS_METHOD_COLS " FROM risk_method m ORDER BY m.version DESC LIMIT 1) cm"
    " LEFT JOIN risk r ON r.num = $1::bigint"
    " LEFT JOIN risk_method m ON m.version = r.method_version"
    " LEFT JOIN app_user u ON u.name = $2";

static const char SQL_RISK_WRITE[] =
    "WITH old AS (SELECT * FROM risk WHERE num = $1::bigint AND version = $2::bigint"
    "  AND ($38::bigint IS NULL OR $38::bigint = (SELECT max(version) FROM risk_method))"
    "  FOR UPDATE),"
    " oa AS (SELECT coalesce(jsonb_agg('A-' || asset_num::text ORDER BY asset_num),"
    "  '[]'::jsonb) AS j FROM risk_asset WHERE risk_num = $1::bigint),"
    " oc AS (SELECT coalesce(jsonb_agg(control_id ORDER BY control_id), '[]'::jsonb) AS j"
    "  FROM risk_control WHERE risk_num = $1::bigint),"
    " ox AS (SELECT coalesce(jsonb_object_agg('RA-' || x.num::text, "
    ACTION_JSON("x")
    "), '{}'::jsonb) AS j FROM risk_action x WHERE x.risk_num = $1::bigint),"
    " u AS (UPDATE risk r SET title = $3, description = $4, threat = $5,"
    "  vulnerability = $6, existing_controls = $7, owner = $8,"
    "  method_version = $9::bigint, inherent_likelihood = $10::int,"
    "  inherent_impact = $11::int, inherent_score = $12::int, inherent_level = $13,"
    "  residual_likelihood = $14::int, residual_impact = $15::int,"
    "  residual_score = $16::int, residual_level = $17, treatment = $18, status = $19,"
    "  next_review = to_date(nullif($20, ''), 'YYYY-MM-DD'), accepted_by = $21,"
    "  accepted_at = CASE $22 WHEN 'set' THEN now() WHEN 'clear' THEN NULL"
    "  ELSE r.accepted_at END, acceptance_justification = $23,"
    "  accepted_score = $24::int, close_reason = $25, version = r.version + 1,"
    "  updated_at = now(), updated_by = $35,"
    "  acceptance_expires = to_date(nullif($40, ''), 'YYYY-MM-DD'),"
    "  pending_residual_likelihood = $41::int, pending_residual_impact = $42::int,"
    "  pending_residual_score = $43::int, pending_residual_level = $44,"
    "  pending_method_version = $45::bigint, pending_by = $46,"
    "  pending_at = CASE $47 WHEN 'set' THEN now() WHEN 'clear' THEN NULL ELSE r.pending_at END"
    "  FROM old WHERE r.num = old.num RETURNING r.*),"
    " da AS (DELETE FROM risk_asset WHERE $26::boolean"
    "  AND risk_num IN (SELECT num FROM u) AND asset_num <> ALL ($27::bigint[])),"
    " ia AS (INSERT INTO risk_asset (risk_num, asset_num) SELECT DISTINCT u.num, x"
    "  FROM u, unnest($27::bigint[]) AS x WHERE $26::boolean ON CONFLICT DO NOTHING),"
    " dc AS (DELETE FROM risk_control WHERE risk_num IN (SELECT num FROM u)"
    "  AND control_id = ANY ($29::text[])),"
    " ic AS (INSERT INTO risk_control (risk_num, control_id) SELECT u.num, q.x"
    "  FROM u, unnest($28::text[]) WITH ORDINALITY AS q(x, o) ORDER BY q.o"
    "  ON CONFLICT DO NOTHING),"
    " ux AS (UPDATE risk_action x SET status = q.s, updated_at = now()"
    "  FROM u, unnest($33::bigint[], $34::text[]) AS q(n, s)"
    "  WHERE x.num = q.n AND x.risk_num = u.num RETURNING x.*),"
    " ix AS (INSERT INTO risk_action (risk_num, description, owner, due)"
    "  SELECT u.num, q.d, q.o, to_date(nullif(q.due, ''), 'YYYY-MM-DD')"
    "  FROM u, unnest($30::text[], $31::text[], $32::text[])"
    "  WITH ORDINALITY AS q(d, o, due, ord) ORDER BY q.ord RETURNING *),"
    " a AS (SELECT audit_append($35, $36, $37, 'risk:R-' || u.num::text, "
    "audit_diff("
    RISK_JSON("old")
    " || jsonb_build_object('assets', oa.j, 'controls', oc.j, 'actions',"
    " ox.j), "
    RISK_JSON("u")
    " || jsonb_build_object('assets', CASE WHEN $26::boolean"
    " THEN "
    ASSETS_JSON("$27")
    " ELSE oa.j END, 'controls',"
    " (SELECT coalesce(jsonb_agg(c ORDER BY c),"
    " '[]'::jsonb) FROM (SELECT control_id AS c"
    " FROM risk_control WHERE risk_num = $1::bigint"
    " AND control_id <> ALL ($29::text[])"
    " UNION SELECT unnest($28::text[])) s),"
    " 'actions', ox.j || (SELECT coalesce("
    "jsonb_object_agg('RA-' || x.num::text, "
    ACTION_JSON("x")
    "), '{}'::jsonb) FROM ux x) || (SELECT"
    " coalesce(jsonb_object_agg('RA-' ||"
    " x.num::text, "
    ACTION_JSON("x")
    "), '{}'::jsonb) FROM ix x))),"
    " 'OK') AS seq"
    " FROM u, old, oa, oc, ox)" ISMS_SQL_IDEM("$39", "a") ""
    " SELECT (SELECT version FROM u),"
    " (SELECT count(*) FROM a),"
    " (SELECT version FROM risk"
    " WHERE num = $1::bigint),"
    " (SELECT max(version)"
    " FROM risk_method)";

/* ---- copied from daemon/domain/plan/risk_read.c ---- */

#define PAGE_ROWS        "200"

static const char SQL_RISK_GET[] = "SELECT " ISMS_RISK_COLS " FROM risk r"
                                   " LEFT JOIN risk_method m ON m.version = r.method_version"
                                   " WHERE r.num = $1::bigint";

static const char SQL_RISK_PAGE[] =
    "SELECT " ISMS_RISK_COLS " FROM risk r"
    " LEFT JOIN risk_method m ON m.version = r.method_version"
    " WHERE r.num > $1::bigint"
    " AND (NOT $2::boolean OR " ISMS_RISK_CURRENT_SQL("score") " > m.appetite)"
    " AND ($3 = '' OR r.owner = $3)"
    " AND ($4 = '' OR lower(" ISMS_RISK_CURRENT_SQL("level") ") = lower($4))"
    " AND ($5 = '' OR r.status = $5)"
    " AND (($6::bigint IS NULL AND $7 = '') OR EXISTS (SELECT 1 FROM risk_asset ra"
    "  JOIN asset ast ON ast.num = ra.asset_num WHERE ra.risk_num = r.num AND CASE WHEN"
    "  $6::bigint IS NOT NULL THEN ast.num = $6::bigint ELSE lower(ast.name) = lower($7) END))"
    " AND (NOT $8::boolean OR r.status <> 'closed')"
    " AND (NOT $10::boolean OR (r.status <> 'closed' AND (r.next_review < current_date"
    "  OR EXISTS (SELECT 1 FROM risk_action rac WHERE rac.risk_num = r.num"
    "  AND rac.status <> 'done' AND rac.due < current_date))))"
    " ORDER BY r.num LIMIT least($9::int, " PAGE_ROWS ")";
#undef PAGE_ROWS

/* ---- copied from daemon/domain/plan/soa.c ---- */

#define PAGE_ROWS        "500"

#define SEP ISMS_CONTROL_SEP_SQL

static const char SQL_SOA_CURRENT_PAGE[] =
    "SELECT $2::int + (row_number() OVER (ORDER BY c.ord))::int, c.id, c.theme, c.title,"
    " c.is_custom, c.source, c.applicable, array_to_string(c.reasons, " SEP "), c.justification,"
    " c.status, c.owner, c.implementation, array_to_string(c.evidence, " SEP "),"
    " array_to_string(control_linked_risks(c.id), " SEP "), c.version, c.ord,"
    " c.exclusion_justification, coalesce(to_char(c.target_date, 'YYYY-MM-DD'), '')"
    " FROM control c WHERE c.ord > $1 ORDER BY c.ord LIMIT " PAGE_ROWS;
#undef PAGE_ROWS
#undef SEP

/* clang-format on */

static const struct {
    const char *sql;
    int nparams;
} QUERIES[ISMS_BENCH_Q_COUNT] = {
    [ISMS_BENCH_Q_AUTH_LOOKUP] = {SQL_AUTH_LOOKUP, 1},
    [ISMS_BENCH_Q_HEALTH] = {SQL_PROBE, 0},
    [ISMS_BENCH_Q_CONTEXT_GET] = {SQL_CONTEXT_GET, 0},
    [ISMS_BENCH_Q_CONTEXT_UPDATE] = {SQL_CONTEXT_UPDATE, 8},
    [ISMS_BENCH_Q_ASSET_GET] = {SQL_ASSET_GET, 2},
    [ISMS_BENCH_Q_ASSET_UPDATE] = {SQL_ASSET_UPDATE, 19},
    [ISMS_BENCH_Q_ASSET_LIST_FIRST] = {SQL_LIST_ID_ASC_FIRST, 7},
    [ISMS_BENCH_Q_ASSET_LIST] = {SQL_LIST_ID_ASC, 8},
    [ISMS_BENCH_Q_RISK_GET] = {SQL_RISK_GET, 1},
    [ISMS_BENCH_Q_RISK_PAGE] = {SQL_RISK_PAGE, 10},
    [ISMS_BENCH_Q_RISK_LOAD] = {SQL_RISK_LOAD, 5},
    [ISMS_BENCH_Q_RISK_WRITE] = {SQL_RISK_WRITE, 47},
    [ISMS_BENCH_Q_SOA_PAGE] = {SQL_SOA_CURRENT_PAGE, 2},
};

const char *isms_bench_q_sql(enum isms_bench_q q)
{
    return QUERIES[q].sql;
}

int isms_bench_q_nparams(enum isms_bench_q q)
{
    return QUERIES[q].nparams;
}

static void stmt_set(struct isms_bench_stmt *s, enum isms_bench_q q)
{
    memset(s, 0, sizeof(*s));
    s->q = q;
    s->nparams = QUERIES[q].nparams;
}

void isms_bench_token_hash_lit(const char *token, char out[2 + 64 + 1])
{
    unsigned char h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    out[0] = '\\';
    out[1] = 'x';
    sodium_bin2hex(out + 2, 64 + 1, h, sizeof(h));
}

void isms_bench_sql_for(enum isms_bench_method m, const char *user, const char *token,
                        const char *source, struct isms_bench_sql *q)
{
    struct isms_bench_stmt *s;

    memset(q, 0, sizeof(*q));
    if (m == ISMS_BENCH_HEALTH) {
        stmt_set(&q->stmt[0], ISMS_BENCH_Q_HEALTH);
        q->nstmts = 1;
        return;
    }
    isms_bench_token_hash_lit(token != NULL ? token : "", q->token_hash);
    stmt_set(&q->stmt[0], ISMS_BENCH_Q_AUTH_LOOKUP);
    q->stmt[0].params[0] = q->token_hash;
    s = &q->stmt[1];
    q->nstmts = 2;
    if (m == ISMS_BENCH_CONTEXT_GET) {
        stmt_set(s, ISMS_BENCH_Q_CONTEXT_GET);
        return;
    }
    /* context.c context_update(): set_organization, no scope, expected_version 0, then
     * isms_call_actor() and isms_call_source() (daemon/rpc/principal.c) for the audit record. */
    stmt_set(s, ISMS_BENCH_Q_CONTEXT_UPDATE);
    s->params[0] = "true";
    s->params[1] = ISMS_BENCH_UPDATE_ORGANIZATION;
    s->params[2] = "false";
    s->params[3] = "";
    s->params[4] = "0";
    s->params[5] = user;
    s->params[6] = source;
}
