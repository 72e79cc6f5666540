/* domain/plan/asset_deps.c — Asset/AddDependency and Asset/RemoveDependency: one statement
 * each that changes asset_dependency, bumps the dependent asset's version, appends the audit
 * record and returns the record the call answers with; a dependency that would close a cycle
 * is refused (asset_dependency_cycle()). */
#include <string.h>

#include "db/bind.h"
#include "db/rows.h"
#include "domain/plan/asset.h"
#include "isms/v1/asset.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"

/* ---- SQL ----------------------------------------------------------------------------------- */

/* Object-like spellings of the SQL fragment macros of asset.h. */
#define MATCH_1_2 ASSET_MATCH("t", "$1", "$2")
#define MATCH_3_4 ASSET_MATCH("t", "$3", "$4")
#define DEPS_OF_X DEP_NAMES_JSON("x.num")
/* The dependent asset as the statement leaves it: what it depends on after the change (the
 * statement's own insert or delete is not visible to its other parts). */
#define DEPS_AFTER(change)                                                                         \
    "(SELECT coalesce(string_agg(z.num || E'\\x1f' || z.name, E'\\x1e'"                            \
    "  ORDER BY lower(z.name)), '') FROM asset z WHERE z.num IN (SELECT dd.depends_on_num"         \
    "  FROM asset_dependency dd WHERE dd.asset_num = cur.num) " change ")"
#define COLS_ADDED                                                                                 \
    ASSET_COLS_WITH("cur", DEPS_AFTER("OR z.num IN (SELECT y.num FROM y, ins)"),                   \
                    ASSET_REQUIRED_BY_OF("cur"))
#define COLS_REMOVED                                                                               \
    ASSET_COLS_WITH("cur", DEPS_AFTER("AND z.num NOT IN (SELECT y.num FROM y, d)"),                \
                    ASSET_REQUIRED_BY_OF("cur"))
/* The dependent asset's row after the change: bumped by `u`, or unchanged. */
#define CUR_ROW                                                                                    \
    " cur AS (SELECT * FROM u UNION ALL SELECT t.* FROM asset t, x WHERE t.num = x.num"            \
    "  AND NOT EXISTS (SELECT 1 FROM u)),"

/* $1/$2 the dependent asset, $3/$4 the one it depends on, $5 actor, $6 source. Columns: x num,
 * x name, y num, y name, cycle?, rows inserted, audit records, then the dependent asset's
 * record as the statement leaves it (the answer is part of the write, never read after it). */
static const char SQL_ASSET_DEPEND[] =
    "WITH x AS (SELECT t.num, t.name FROM asset t WHERE " MATCH_1_2 "),"
    " y AS (SELECT t.num, t.name FROM asset t WHERE " MATCH_3_4 "),"
    " c AS (SELECT asset_dependency_cycle(x.num, y.num) AS cyc FROM x, y),"
    " old AS (SELECT " DEPS_OF_X " AS names FROM x),"
    " ins AS (INSERT INTO asset_dependency (asset_num, depends_on_num, created_by)"
    "  SELECT x.num, y.num, $5 FROM x, y, c WHERE NOT c.cyc ON CONFLICT DO NOTHING"
    "  RETURNING asset_num),"
    " u AS (UPDATE asset SET version = version + 1, updated_at = now(), updated_by = $5"
    "  WHERE num IN (SELECT asset_num FROM ins) RETURNING *)," CUR_ROW
    " a AS (SELECT audit_append($5, $6, '/isms.v1.Asset/AddDependency', 'asset:A-' || x.num,"
    "  jsonb_build_object('depends_on', jsonb_build_object('before', old.names,"
    "  'after', old.names || to_jsonb(y.name)))::text, 'OK') AS seq FROM x, y, old, "
    "u)" ISMS_SQL_IDEM(
        "$7", "a") ""
                   " SELECT (SELECT num FROM x), (SELECT name FROM x), (SELECT num FROM y),"
                   " (SELECT name FROM y), (SELECT cyc FROM c), (SELECT count(*) FROM ins),"
                   " (SELECT count(*) FROM a), " COLS_ADDED
                   " FROM (SELECT 1) one LEFT JOIN cur ON true";
ISMS_STATEMENT(STMT_ASSET_DEPEND, SQL_ASSET_DEPEND, "num", "name", "dep_num", "dep_name", "actor",
               "source", ISMS_SQL_IDEM_PARAM);

static const char SQL_ASSET_UNDEPEND[] =
    "WITH x AS (SELECT t.num, t.name FROM asset t WHERE " MATCH_1_2 "),"
    " y AS (SELECT t.num, t.name FROM asset t WHERE " MATCH_3_4 "),"
    " old AS (SELECT " DEPS_OF_X " AS names FROM x),"
    " d AS (DELETE FROM asset_dependency dd USING x, y WHERE dd.asset_num = x.num"
    "  AND dd.depends_on_num = y.num RETURNING dd.asset_num),"
    " u AS (UPDATE asset SET version = version + 1, updated_at = now(), updated_by = $5"
    "  WHERE num IN (SELECT asset_num FROM d) RETURNING *)," CUR_ROW
    " a AS (SELECT audit_append($5, $6, '/isms.v1.Asset/RemoveDependency', 'asset:A-' || x.num,"
    "  jsonb_build_object('depends_on', jsonb_build_object('before', old.names, 'after',"
    "  (SELECT coalesce(jsonb_agg(e), '[]'::jsonb) FROM jsonb_array_elements(old.names) AS e"
    "  WHERE e <> to_jsonb(y.name))))::text, 'OK') AS seq FROM x, y, old, u)" ISMS_SQL_IDEM(
        "$7", "a") ""
                   " SELECT (SELECT num FROM x), (SELECT name FROM x), (SELECT num FROM y),"
                   " (SELECT name FROM y), false, (SELECT count(*) FROM d), (SELECT count(*) FROM "
                   "a), " COLS_REMOVED " FROM (SELECT 1) one LEFT JOIN cur ON true";
ISMS_STATEMENT(STMT_ASSET_UNDEPEND, SQL_ASSET_UNDEPEND, "num", "name", "dep_num", "dep_name",
               "actor", "source", ISMS_SQL_IDEM_PARAM);

/* ---- AddDependency, RemoveDependency ------------------------------------------------------- */

static void depend_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st, int is_add)
{
    struct isms_asset_op *op = call->ctx;
    const char *xn, *yn, *xname, *yname;

    if (st->code == ISMS_FAILED_PRECONDITION) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "asset \"%s\" or \"%s\" was deleted meanwhile; nothing changed", op->ref,
                       op->ref2);
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_is_null(res, 0, 0)) {
        isms_call_fail(call, ISMS_NOT_FOUND, "asset \"%s\" does not exist", op->ref);
        return;
    }
    if (isms_rows_is_null(res, 0, 2)) {
        isms_call_fail(call, ISMS_NOT_FOUND, "asset \"%s\" (depends_on) does not exist", op->ref2);
        return;
    }
    xn = isms_rows_text(res, 0, 0);
    xname = isms_rows_text(res, 0, 1);
    yn = isms_rows_text(res, 0, 2);
    yname = isms_rows_text(res, 0, 3);
    if (is_add && strcmp(xn, yn) == 0) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION, "asset A-%s \"%s\" cannot depend on itself",
                       xn, xname);
        return;
    }
    if (is_add && strcmp(isms_rows_text(res, 0, 4), "t") == 0) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "A-%s \"%s\" cannot depend on A-%s \"%s\": that would make a dependency "
                       "cycle, because \"%s\" already depends (directly or through others) on "
                       "\"%s\"",
                       xn, xname, yn, yname, yname, xname);
        return;
    }
    if (!is_add && isms_rows_int64(res, 0, 5) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "asset A-%s \"%s\" does not depend on A-%s \"%s\"", xn,
                       xname, yn, yname);
        return;
    }
    isms_asset_finish_record(call, res, 7);
}

static void add_dep_done(struct isms_call *call, const struct isms_rows *res,
                         const struct isms_status *st)
{
    depend_done(call, res, st, 1);
}

static void remove_dep_done(struct isms_call *call, const struct isms_rows *res,
                            const struct isms_status *st)
{
    depend_done(call, res, st, 0);
}

static void dependency_call(struct isms_call *call, const ProtobufCMessage *msg, int is_add)
{
    const Isms__V1__AssetDependencyRequest *in = (const Isms__V1__AssetDependencyRequest *)msg;
    struct isms_asset_op *op = isms_asset_op_new(call, in);
    struct isms_status st;
    struct isms_bind b;

    if (op == NULL)
        return;
    if (isms_asset_take_ref(op, "id", in->id, 0, &st) != ISMS_OK ||
        isms_asset_take_ref(op, "depends_on", in->depends_on, 1, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, is_add ? &STMT_ASSET_DEPEND : &STMT_ASSET_UNDEPEND);
    isms_asset_bind_ref(&b, "num", op->ref_num, "name", in->id);
    isms_asset_bind_ref(&b, "dep_num", op->ref2_num, "dep_name", in->depends_on);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, is_add ? add_dep_done : remove_dep_done);
}

void isms_asset_add_dependency(struct isms_call *call, const ProtobufCMessage *msg)
{
    dependency_call(call, msg, 1);
}

void isms_asset_remove_dependency(struct isms_call *call, const ProtobufCMessage *msg)
{
    dependency_call(call, msg, 0);
}
