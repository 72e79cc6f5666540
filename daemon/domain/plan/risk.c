/* domain/plan/risk.c — how isms.v1.Risk mutations (Create, Update, Assess, Treat, Accept, Close;
 * their handlers are in risk_rpc.c) run. Each runs LOAD (the current method, the risk, and the
 * users, assets, controls it names, in one read), decides with the pure rules in risk_rules.c, then
 * WRITE: one statement that changes the risk and its children and appends the audit record, guarded
 * by the version LOAD saw, so a concurrent change makes it ABORTED and nothing is written. The
 * answer is read afresh. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/roles.h"
#include "auth/session.h"
#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/domain.h"
#include "domain/plan/method.h"
#include "domain/plan/method_rules.h"
#include "domain/plan/risk.h"
#include "domain/plan/risk_internal.h"
#include "domain/plan/risk_rules.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"
#include "rpc/server.h"

/* The audited fields of a risk row `t`. */
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

/* Columns at the end of SQL_RISK_LOAD, after the method and the risk. */
#define LOAD_RISK_COL   ISMS_METHOD_NCOLS
#define LOAD_USER_COL   (ISMS_METHOD_NCOLS + ISMS_RISK_NCOLS)
#define LOAD_ASSETS_COL (LOAD_USER_COL + 1)
#define LOAD_CTRLS_COL  (LOAD_USER_COL + 2)
#define LOAD_ROLES_COL  (LOAD_USER_COL + 3)
#define LOAD_UNIMPL_COL (LOAD_USER_COL + 4)

/* $1 risk num (NULL for a new risk), $2 user name to look up, $3/$4 asset references as
 * numbers / names (NULL where the other applies), $5 control ids. After the control ids: the
 * user's roles, and which of the risk's controls and of $5 are not implemented. */
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
ISMS_STATEMENT(STMT_RISK_LOAD, SQL_RISK_LOAD, "num", "owner", "asset_nums", "asset_names",
               "control_ids");

/* Inserted only while method $7 (when rated) is still the current one. */
static const char SQL_RISK_CREATE[] =
    "WITH r AS (INSERT INTO risk (title, description, threat, vulnerability, owner,"
    "  existing_controls, method_version, inherent_likelihood, inherent_impact, inherent_score,"
    "  inherent_level, status, next_review, created_by, updated_by)"
    "  SELECT $1, $2, $3, $4, $5, $6, $7::bigint, $8::int, $9::int, $10::int, $11, $12,"
    "  to_date(nullif($13, ''), 'YYYY-MM-DD'), $14, $14"
    "  WHERE $7::bigint IS NULL OR $7::bigint = (SELECT max(version) FROM risk_method)"
    "  RETURNING *),"
    " ia AS (INSERT INTO risk_asset (risk_num, asset_num)"
    "  SELECT DISTINCT r.num, x FROM r, unnest($15::bigint[]) AS x),"
    " a AS (SELECT audit_append($14, $16, '/isms.v1.Risk/Create', 'risk:R-' || r.num::text,"
    "  audit_diff(NULL, " RISK_JSON("r") " || jsonb_build_object('assets', " ASSETS_JSON(
        "$15") ")), 'OK') AS seq FROM r)" ISMS_SQL_IDEM("$17", "a") ""
                                                                    " SELECT r.num, (SELECT "
                                                                    "count(*) FROM a) FROM r";
ISMS_STATEMENT(STMT_RISK_CREATE, SQL_RISK_CREATE, "title", "description", "threat", "vulnerability",
               "owner", "existing_controls", "method_version", "inherent_likelihood",
               "inherent_impact", "inherent_score", "inherent_level", "status", "next_review",
               "actor", "asset_nums", "source", ISMS_SQL_IDEM_PARAM);

/* Writes the whole decided state of risk $1 if it is still at version $2 (and, when $38 is not
 * NULL, method $38 is still current), with its assets, controls and actions, and the audit
 * record. Columns: new version (NULL when not written), audit count, the risk's version and
 * the current method version as this statement saw them. */
/* clang-format off */
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
/* clang-format on */
ISMS_STATEMENT(STMT_RISK_WRITE, SQL_RISK_WRITE, "num", "version", "title", "description", "threat",
               "vulnerability", "existing_controls", "owner", "method_version",
               "inherent_likelihood", "inherent_impact", "inherent_score", "inherent_level",
               "residual_likelihood", "residual_impact", "residual_score", "residual_level",
               "treatment", "status", "next_review", "accepted_by", "acceptance", "justification",
               "accepted_score", "close_reason", "set_assets", "asset_nums", "add_controls",
               "remove_controls", "action_descriptions", "action_owners", "action_dues",
               "update_action_nums", "update_action_statuses", "actor", "source", "rpc",
               "method_guard", ISMS_SQL_IDEM_PARAM, "acceptance_expires", "pending_likelihood",
               "pending_impact", "pending_score", "pending_level", "pending_method_version",
               "pending_by", "pending");

void isms_risk_fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "request exceeds the call's memory limit");
}

static const char *entity(struct isms_call *call, const struct isms_risk_op *o)
{
    const char *e = isms_arena_printf(&call->arena, "risk:%s", o->id);

    return e != NULL ? e : "risk";
}

static int same_text(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

/* ---- WRITE ------------------------------------------------------------------------------- */

static void write_done(struct isms_call *call, const struct isms_rows *res,
                       const struct isms_status *st)
{
    struct isms_risk_op *o = call->ctx;

    /* A foreign key failing here means a row vanished meanwhile; an action owner that is no
     * active account (schema/036) is answered as db/sqlstate.c words it. */
    if (st->code == ISMS_FAILED_PRECONDITION && strstr(st->msg, "an action owner") == NULL) {
        isms_call_fail(call, ISMS_ABORTED,
                       "an asset, control or user named by %s was removed meanwhile; show it "
                       "again and retry",
                       o->id);
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (o->kind == ISMS_RISK_OP_CREATE) {
        if (isms_rows_count(res) != 1) {
            isms_call_fail(call, ISMS_ABORTED,
                           "the risk method changed while the risk was being rated; retry");
            return;
        }
        isms_risk_reply(call, isms_rows_int64(res, 0, 0));
        return;
    }
    if (isms_rows_is_null(res, 0, 0)) {
        if (o->method_guard != 0 && isms_rows_int64(res, 0, 3) != o->method_guard) {
            isms_call_fail(call, ISMS_ABORTED,
                           "the risk method changed to version %" PRId64
                           " while %s was being rated; retry",
                           isms_rows_int64(res, 0, 3), o->id);
            return;
        }
        isms_call_fail(call, ISMS_ABORTED,
                       "%s was changed by someone else meanwhile (now version %" PRId64
                       "); show it again and retry",
                       o->id, isms_rows_int64(res, 0, 2));
        return;
    }
    isms_risk_reply(call, o->num);
}

static void submit_create(struct isms_call *call, struct isms_risk_op *o)
{
    const Isms__V1__CreateRiskRequest *in = o->in;
    const struct isms_risk_state *n = &o->next;
    const char *assets = isms_pg_array_int(&call->arena, o->asset_nums, NULL, o->n_asset_refs);
    struct isms_bind b;

    if (assets == NULL) {
        isms_risk_fail_oom(call);
        return;
    }
    isms_bind_init(&b, &STMT_RISK_CREATE);
    isms_bind_text(&b, "title", in->title);
    isms_bind_text(&b, "description", in->description);
    isms_bind_text(&b, "threat", in->threat);
    isms_bind_text(&b, "vulnerability", in->vulnerability);
    isms_bind_text(&b, "owner", in->owner);
    isms_bind_text(&b, "existing_controls", in->existing_controls);
    isms_bind_int64_or_null(&b, "method_version", n->method_version);
    isms_bind_int64_or_null(&b, "inherent_likelihood", n->inherent.likelihood);
    isms_bind_int64_or_null(&b, "inherent_impact", n->inherent.impact);
    isms_bind_int64_or_null(&b, "inherent_score", n->inherent.score);
    isms_bind_text_or_null(&b, "inherent_level", n->inherent.level);
    isms_bind_text(&b, "status", isms_risk_status_name(n->status));
    isms_bind_text(&b, "next_review", in->next_review);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "asset_nums", assets);
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, write_done);
}

/* The children changes of a Treat, as SQL arrays. */
struct children {
    const char *add_controls, *remove_controls;
    const char *act_desc, *act_owner, *act_due;
    const char *upd_nums, *upd_status;
};

static int treat_children(struct isms_call *call, const struct isms_risk_op *o, struct children *c)
{
    const Isms__V1__TreatRiskRequest *in = o->in;
    size_t na = in->n_add_actions, nu = in->n_update_actions;
    const char **d = isms_arena_calloc(&call->arena, sizeof(char *) * (na + 1));
    const char **w = isms_arena_calloc(&call->arena, sizeof(char *) * (na + 1));
    const char **due = isms_arena_calloc(&call->arena, sizeof(char *) * (na + 1));
    const char **us = isms_arena_calloc(&call->arena, sizeof(char *) * (nu + 1));

    if (d == NULL || w == NULL || due == NULL || us == NULL)
        return -1;
    for (size_t k = 0; k < na; k++) {
        d[k] = in->add_actions[k]->description;
        w[k] = in->add_actions[k]->owner;
        due[k] = in->add_actions[k]->due;
    }
    for (size_t k = 0; k < nu; k++) {
        enum isms_action_status s = ISMS_ACTION_OPEN;
        struct isms_status ignored;

        /* Already validated; normalise the case. */
        if (isms_action_status_parse(in->update_actions[k]->status, &s, &ignored) != ISMS_OK)
            return -1;
        us[k] = isms_action_status_name(s);
    }
    c->add_controls = isms_pg_array_text(&call->arena, o->add_controls, o->n_add_controls);
    c->remove_controls = isms_pg_array_text(&call->arena, o->remove_controls, o->n_remove_controls);
    c->act_desc = isms_pg_array_text(&call->arena, d, na);
    c->act_owner = isms_pg_array_text(&call->arena, w, na);
    c->act_due = isms_pg_array_text(&call->arena, due, na);
    c->upd_nums = isms_pg_array_int(&call->arena, o->update_action_nums, NULL, nu);
    c->upd_status = isms_pg_array_text(&call->arena, us, nu);
    return c->add_controls && c->remove_controls && c->act_desc && c->act_owner && c->act_due &&
                   c->upd_nums && c->upd_status
               ? 0
               : -1;
}

static void submit_write(struct isms_call *call, struct isms_risk_op *o, const char *title,
                         const char *description, const char *threat, const char *vulnerability,
                         const char *existing, const char *next_review)
{
    const struct isms_risk_state *n = &o->next;
    struct children c = {"{}", "{}", "{}", "{}", "{}", "{}", "{}"};
    const char *assets = "{}";
    struct isms_bind b;

    if (o->set_assets)
        assets = isms_pg_array_int(&call->arena, o->asset_nums, NULL, o->n_asset_refs);
    if ((o->kind == ISMS_RISK_OP_TREAT && treat_children(call, o, &c) != 0) || assets == NULL) {
        isms_risk_fail_oom(call);
        return;
    }
    isms_bind_init(&b, &STMT_RISK_WRITE);
    isms_bind_int64(&b, "num", o->num);
    isms_bind_int64(&b, "version", o->cur.version);
    isms_bind_text(&b, "title", title);
    isms_bind_text(&b, "description", description);
    isms_bind_text(&b, "threat", threat);
    isms_bind_text(&b, "vulnerability", vulnerability);
    isms_bind_text(&b, "existing_controls", existing);
    isms_bind_text(&b, "owner", n->owner);
    isms_bind_int64_or_null(&b, "method_version", n->method_version);
    isms_bind_int64_or_null(&b, "inherent_likelihood", n->inherent.likelihood);
    isms_bind_int64_or_null(&b, "inherent_impact", n->inherent.impact);
    isms_bind_int64_or_null(&b, "inherent_score", n->inherent.score);
    isms_bind_text_or_null(&b, "inherent_level", n->inherent.level);
    isms_bind_int64_or_null(&b, "residual_likelihood", n->residual.likelihood);
    isms_bind_int64_or_null(&b, "residual_impact", n->residual.impact);
    isms_bind_int64_or_null(&b, "residual_score", n->residual.score);
    isms_bind_text_or_null(&b, "residual_level", n->residual.level);
    isms_bind_text(&b, "treatment", isms_risk_option_name(n->option));
    isms_bind_text(&b, "status", isms_risk_status_name(n->status));
    isms_bind_text(&b, "next_review", next_review);
    isms_bind_text(&b, "accepted_by", n->accepted_by);
    isms_bind_text(&b, "acceptance",
                   n->acceptance == ISMS_ACCEPTANCE_SET     ? "set"
                   : n->acceptance == ISMS_ACCEPTANCE_CLEAR ? "clear"
                                                            : "keep");
    isms_bind_text(&b, "justification", n->justification);
    isms_bind_int64_or_null(&b, "accepted_score", n->accepted_score);
    isms_bind_text(&b, "close_reason", n->close_reason);
    isms_bind_bool(&b, "set_assets", o->set_assets);
    isms_bind_text(&b, "asset_nums", assets);
    isms_bind_text(&b, "add_controls", c.add_controls);
    isms_bind_text(&b, "remove_controls", c.remove_controls);
    isms_bind_text(&b, "action_descriptions", c.act_desc);
    isms_bind_text(&b, "action_owners", c.act_owner);
    isms_bind_text(&b, "action_dues", c.act_due);
    isms_bind_text(&b, "update_action_nums", c.upd_nums);
    isms_bind_text(&b, "update_action_statuses", c.upd_status);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_bind_text(&b, "rpc", o->rpc);
    isms_bind_int64_or_null(&b, "method_guard", o->method_guard);
    isms_bind_text(&b, "acceptance_expires", n->accepted_expires);
    isms_bind_int64_or_null(&b, "pending_likelihood", n->pending.likelihood);
    isms_bind_int64_or_null(&b, "pending_impact", n->pending.impact);
    isms_bind_int64_or_null(&b, "pending_score", n->pending.score);
    isms_bind_text_or_null(&b, "pending_level", n->pending.score > 0 ? n->pending.level : "");
    isms_bind_int64_or_null(&b, "pending_method_version", n->pending_method_version);
    isms_bind_text(&b, "pending_by", n->pending_by);
    isms_bind_text(&b, "pending",
                   n->pending_change == ISMS_PENDING_SET     ? "set"
                   : n->pending_change == ISMS_PENDING_CLEAR ? "clear"
                                                             : "keep");
    isms_call_db_or_fail(call, &b, write_done);
}

/* ---- decisions after LOAD ---------------------------------------------------------------- */

/* Resolves the assets named by the request; NOT_FOUND names the first unknown one. */
static enum isms_code resolve_assets(struct isms_call *call, struct isms_risk_op *o,
                                     const struct isms_rows *res, struct isms_status *st)
{
    char **nums;
    size_t n;

    if (isms_pg_array_parse(&call->arena, isms_rows_text(res, 0, LOAD_ASSETS_COL), &nums, &n) !=
            0 ||
        n != o->n_asset_refs)
        return isms_status_set(st, ISMS_INTERNAL, "asset lookup did not parse");
    o->asset_nums = isms_arena_calloc(&call->arena, sizeof(int64_t) * (n + 1));
    if (o->asset_nums == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t k = 0; k < n; k++) {
        if (nums[k] == NULL)
            return isms_status_set(st, ISMS_NOT_FOUND, "asset \"%s\" does not exist",
                                   o->asset_refs[k]);
        o->asset_nums[k] = strtoll(nums[k], NULL, 10);
    }
    return ISMS_OK;
}

static enum isms_code resolve_controls(struct isms_call *call, const struct isms_risk_op *o,
                                       const struct isms_rows *res, struct isms_status *st)
{
    char **ids;
    size_t n;

    if (isms_pg_array_parse(&call->arena, isms_rows_text(res, 0, LOAD_CTRLS_COL), &ids, &n) != 0 ||
        n != o->n_add_controls)
        return isms_status_set(st, ISMS_INTERNAL, "control lookup did not parse");
    for (size_t k = 0; k < n; k++)
        if (ids[k] == NULL)
            return isms_status_set(st, ISMS_NOT_FOUND,
                                   "control \"%s\" does not exist: Annex A ids look like 5.15; "
                                   "custom controls must be created first",
                                   o->add_controls[k]);
    return ISMS_OK;
}

/* The owner named by the request exists and is active. */
static enum isms_code check_owner_account(const struct isms_risk_op *o, const struct isms_rows *res,
                                          struct isms_status *st)
{
    const char *status = isms_rows_text(res, 0, LOAD_USER_COL);

    if (status[0] == '\0')
        return isms_status_set(st, ISMS_NOT_FOUND, "user \"%s\" does not exist", o->owner);
    if (strcmp(status, "active") != 0)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "user \"%s\" is %s: a risk owner must be an active user", o->owner,
                               status);
    if ((isms_roles_from_pg_array(isms_rows_text(res, 0, LOAD_ROLES_COL)) &
         ISMS_ROLES_RISK_ACCEPT) == 0)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "6.1.2 c: user \"%s\" cannot own a risk: a risk owner must be able "
                               "to accept it (role risk_owner, top_management or isms_manager)",
                               o->owner);
    return ISMS_OK;
}

/* 1 when control `id` is in the LOAD's list of controls that are not implemented. */
static int is_unimplemented(char **ids, size_t n, const char *id)
{
    for (size_t k = 0; k < n; k++)
        if (ids[k] != NULL && strcmp(ids[k], id) == 0)
            return 1;
    return 0;
}

static int has_control(const struct isms_risk_row *r, const char *id)
{
    for (size_t k = 0; k < r->n_controls; k++)
        if (r->controls[k] != NULL && strcmp(r->controls[k], id) == 0)
            return 1;
    return 0;
}

/* 1 when control `id` is removed by the Treat request. */
static int is_removed(const struct isms_risk_op *o, const char *id)
{
    for (size_t k = 0; k < o->n_remove_controls; k++)
        if (strcmp(o->remove_controls[k], id) == 0)
            return 1;
    return 0;
}

/* Treat: checks the children changes against the risk and applies the rules. */
static enum isms_code decide_treat(struct isms_call *call, struct isms_risk_op *o,
                                   const struct isms_rows *res, struct isms_status *st)
{
    const Isms__V1__TreatRiskRequest *in = o->in;
    struct isms_risk_treatment t;
    int n_controls = (int)o->cur.n_controls;
    char **unimpl;
    size_t n_unimpl;

    memset(&t, 0, sizeof(t));
    if (isms_pg_array_parse(&call->arena, isms_rows_text(res, 0, LOAD_UNIMPL_COL), &unimpl,
                            &n_unimpl) != 0)
        return isms_status_set(st, ISMS_INTERNAL, "control lookup did not parse");
    for (size_t k = 0; k < o->n_remove_controls; k++) {
        if (!has_control(&o->cur, o->remove_controls[k]))
            return isms_status_set(st, ISMS_NOT_FOUND, "control \"%s\" is not selected for %s",
                                   o->remove_controls[k], o->id);
        n_controls--;
    }
    for (size_t k = 0; k < o->cur.n_controls; k++)
        if (o->cur.controls[k] != NULL && !is_removed(o, o->cur.controls[k]) &&
            is_unimplemented(unimpl, n_unimpl, o->cur.controls[k]))
            t.n_controls_unimplemented++;
    for (size_t k = 0; k < o->n_add_controls; k++) {
        int dup = has_control(&o->cur, o->add_controls[k]);

        for (size_t j = 0; j < k && !dup; j++)
            dup = strcmp(o->add_controls[j], o->add_controls[k]) == 0;
        n_controls += !dup;
        if (!dup && is_unimplemented(unimpl, n_unimpl, o->add_controls[k]))
            t.n_controls_unimplemented++;
    }
    for (size_t k = 0; k < in->n_update_actions; k++) {
        int found = 0;

        for (size_t j = 0; j < o->cur.n_actions && !found; j++)
            found = o->cur.action_nums[j] == o->update_action_nums[k];
        if (!found)
            return isms_status_set(st, ISMS_NOT_FOUND, "action \"%s\" does not belong to %s",
                                   in->update_actions[k]->id, o->id);
    }
    /* open actions after the request: updated ones take their new status, added ones are open */
    t.n_actions_open = (int)in->n_add_actions;
    for (size_t j = 0; j < o->cur.n_actions; j++) {
        const char *status = o->cur.action_status[j] != NULL ? o->cur.action_status[j] : "";

        for (size_t k = 0; k < in->n_update_actions; k++)
            if (o->cur.action_nums[j] == o->update_action_nums[k])
                status = in->update_actions[k]->status;
        t.n_actions_open += strcasecmp(status, "done") != 0;
    }
    if (isms_risk_option_parse(in->option, &t.option, st) != ISMS_OK)
        return st->code;
    t.n_controls = n_controls;
    t.n_actions = (int)(o->cur.n_actions + in->n_add_actions);
    t.residual_likelihood = in->residual_likelihood;
    t.residual_impact = in->residual_impact;
    t.mark_treated = in->treated;
    t.by_owner = same_text(o->caller, o->cur.s.owner);
    /* retaining a risk accepted as it is does not change what the owner approved */
    t.plan_changed =
        (t.option != ISMS_RISK_OPTION_NONE && t.option != o->cur.s.option &&
         !(t.option == ISMS_RISK_OPTION_RETAIN && o->cur.s.option == ISMS_RISK_OPTION_NONE)) ||
        o->n_add_controls > 0 || o->n_remove_controls > 0 || in->n_add_actions > 0;
    if (t.residual_likelihood != 0)
        o->method_guard = o->method.version;
    return isms_risk_apply_treatment(&o->method, &o->next, &t, st);
}

static void load_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    struct isms_risk_op *o = call->ctx;
    struct isms_status err;
    int is_manager = (call->principal.roles & ISMS_ROLE_MANAGER) != 0;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION, "no risk method is defined");
        return;
    }
    if (isms_method_from_row(&call->arena, res, 0, 0, &o->method, &err) != ISMS_OK)
        goto fail;
    if (o->kind != ISMS_RISK_OP_CREATE) {
        if (isms_rows_is_null(res, 0, LOAD_RISK_COL)) {
            isms_call_fail(call, ISMS_NOT_FOUND, "risk \"%s\" does not exist", o->id);
            return;
        }
        if (isms_risk_row_parse(&call->arena, res, 0, LOAD_RISK_COL, &o->cur, &err) != ISMS_OK)
            goto fail;
        o->next = o->cur.s;
        o->next.acceptance = ISMS_ACCEPTANCE_KEEP;
        o->next.pending_change = ISMS_PENDING_KEEP;
        if (o->kind == ISMS_RISK_OP_ACCEPT) {
            if (isms_risk_may_accept(call->principal.user, &o->cur.s, &err) != ISMS_OK) {
                isms_auth_deny(call, &err, entity(call, o));
                return;
            }
        } else if (o->kind != ISMS_RISK_OP_CLOSE && o->kind != ISMS_RISK_OP_CONFIRM &&
                   isms_risk_may_edit(call->principal.user, is_manager, &o->cur.s,
                                      o->set_owner && !same_text(o->owner, o->cur.s.owner),
                                      &err) != ISMS_OK) {
            isms_auth_deny(call, &err, entity(call, o));
            return;
        }
        if (o->expected != 0 && o->expected != o->cur.version) {
            isms_call_fail(call, ISMS_ABORTED,
                           "%s was changed by someone else: version %" PRId64
                           " is stale, it is now at version %" PRId64 "; show it again and retry",
                           o->id, o->expected, o->cur.version);
            return;
        }
    }
    if (o->owner[0] != '\0' && check_owner_account(o, res, &err) != ISMS_OK)
        goto fail;
    if (resolve_assets(call, o, res, &err) != ISMS_OK ||
        resolve_controls(call, o, res, &err) != ISMS_OK)
        goto fail;

    switch (o->kind) {
    case ISMS_RISK_OP_CREATE: {
        const Isms__V1__CreateRiskRequest *in = o->in;

        if (isms_risk_new(&o->method, in->owner, in->likelihood, in->impact, &o->next, &err) !=
            ISMS_OK)
            goto fail;
        submit_create(call, o);
        return;
    }
    case ISMS_RISK_OP_UPDATE: {
        const Isms__V1__UpdateRiskRequest *in = o->in;
        const struct isms_risk_row *c = &o->cur;

        if (isms_risk_check_open(&o->next, "changed", &err) != ISMS_OK)
            goto fail;
        if (in->set_owner)
            isms_risk_apply_owner(&o->next, in->owner);
        submit_write(call, o, in->set_title ? in->title : c->title,
                     in->set_description ? in->description : c->description,
                     in->set_threat ? in->threat : c->threat,
                     in->set_vulnerability ? in->vulnerability : c->vulnerability,
                     in->set_existing_controls ? in->existing_controls : c->existing_controls,
                     in->set_next_review ? in->next_review : c->next_review);
        return;
    }
    case ISMS_RISK_OP_ASSESS: {
        const Isms__V1__AssessRiskRequest *in = o->in;
        struct isms_risk_assessment a = {in->inherent_likelihood, in->inherent_impact,
                                         in->residual_likelihood, in->residual_impact,
                                         same_text(o->caller, o->cur.s.owner)};

        o->method_guard = o->method.version;
        if (isms_risk_apply_assessment(&o->method, &o->next, &a, &err) != ISMS_OK)
            goto fail;
        break;
    }
    case ISMS_RISK_OP_TREAT:
        if (decide_treat(call, o, res, &err) != ISMS_OK)
            goto fail;
        break;
    case ISMS_RISK_OP_ACCEPT: {
        const Isms__V1__AcceptRiskRequest *in = o->in;

        if (isms_risk_apply_acceptance(&o->next, call->principal.user, in->justification,
                                       in->expires, &err) != ISMS_OK)
            goto fail;
        break;
    }
    case ISMS_RISK_OP_CLOSE: {
        const Isms__V1__CloseRiskRequest *in = o->in;

        if (isms_risk_apply_close(&o->next, in->reason, in->activity_ceased, &err) != ISMS_OK)
            goto fail;
        break;
    }
    case ISMS_RISK_OP_CONFIRM: {
        const Isms__V1__ConfirmResidualRequest *in = o->in;

        o->method_guard = o->method.version;
        if (isms_risk_apply_confirm(&o->method, &o->next, call->principal.user, in->reject, &err) !=
            ISMS_OK) {
            if (err.code == ISMS_PERMISSION_DENIED) {
                isms_auth_deny(call, &err, entity(call, o));
                return;
            }
            goto fail;
        }
        break;
    }
    }
    submit_write(call, o, o->cur.title, o->cur.description, o->cur.threat, o->cur.vulnerability,
                 o->cur.existing_controls, o->cur.next_review);
    return;
fail:
    isms_call_fail_status(call, &err);
}

/* Starts an operation on an existing risk or a new one: LOAD, then load_done decides. */
void isms_risk_submit_load(struct isms_call *call, struct isms_risk_op *o)
{
    const char **names = isms_arena_calloc(&call->arena, sizeof(char *) * (o->n_asset_refs + 1));
    const char *nums_lit, *names_lit, *controls_lit;
    struct isms_bind b;

    if (names == NULL) {
        isms_risk_fail_oom(call);
        return;
    }
    for (size_t k = 0; k < o->n_asset_refs; k++)
        names[k] = o->asset_ref_is_name[k] ? o->asset_refs[k] : NULL;
    nums_lit =
        isms_pg_array_int(&call->arena, o->asset_ref_nums, o->asset_ref_is_name, o->n_asset_refs);
    names_lit = isms_pg_array_text(&call->arena, names, o->n_asset_refs);
    controls_lit = isms_pg_array_text(&call->arena, o->add_controls, o->n_add_controls);
    if (nums_lit == NULL || names_lit == NULL || controls_lit == NULL) {
        isms_risk_fail_oom(call);
        return;
    }
    isms_bind_init(&b, &STMT_RISK_LOAD);
    isms_bind_int64_or_null(&b, "num", o->num);
    isms_bind_text(&b, "owner", o->owner);
    isms_bind_text(&b, "asset_nums", nums_lit);
    isms_bind_text(&b, "asset_names", names_lit);
    isms_bind_text(&b, "control_ids", controls_lit);
    o->caller = call->principal.user;
    call->ctx = o;
    isms_call_db_or_fail(call, &b, load_done);
}