/* domain/plan/asset_class.c — Asset/ListClassifications and Asset/SetClassifications: the
 * ordered classification levels assets may carry. A level still given to an asset is never
 * removed; the change and its audit record are one statement. */
#include <stdint.h>

#include "core/arena.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/plan/asset.h"
#include "domain/plan/asset_rules.h"
#include "isms/v1/asset.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"

/* ---- SQL ----------------------------------------------------------------------------------- */

static const char SQL_CLASS_LIST[] =
    "SELECT c.level, c.rank, (SELECT count(*) FROM asset a WHERE a.classification = c.level)"
    " FROM asset_classification c ORDER BY c.rank";
ISMS_STATEMENT_NO_PARAMS(STMT_CLASS_LIST, SQL_CLASS_LIST);

/* $1 the new levels (lowest first), $2 actor, $3 source. First column: the levels still in use
 * that the new list leaves out (NULL when the change was made); then audit records, levels
 * deleted, levels written, and the new list's level, rank and asset count, one row per level
 * (one row with NULL there when nothing changed): the answer comes from the write itself. */
static const char SQL_CLASS_SET[] =
    "WITH new AS (SELECT l AS level, o::int AS rank"
    "  FROM unnest($1::text[]) WITH ORDINALITY AS n (l, o)),"
    " old AS (SELECT coalesce(jsonb_agg(level ORDER BY rank), '[]'::jsonb) AS levels"
    "  FROM asset_classification),"
    " used AS (SELECT a.classification AS level, count(*) AS n FROM asset a"
    "  WHERE a.classification NOT IN (SELECT level FROM new) GROUP BY a.classification),"
    " del AS (DELETE FROM asset_classification c WHERE c.level NOT IN (SELECT level FROM new)"
    "  AND NOT EXISTS (SELECT 1 FROM used) RETURNING level),"
    " up AS (INSERT INTO asset_classification (level, rank) SELECT level, rank FROM new"
    "  WHERE NOT EXISTS (SELECT 1 FROM used)"
    "  ON CONFLICT (level) DO UPDATE SET rank = excluded.rank RETURNING level),"
    " a AS (SELECT audit_append($2, $3, '/isms.v1.Asset/SetClassifications',"
    "  'asset_classification', audit_diff(jsonb_build_object('levels', old.levels),"
    "  jsonb_build_object('levels', (SELECT jsonb_agg(level ORDER BY rank) FROM new))), 'OK')"
    "  AS seq FROM old WHERE NOT EXISTS (SELECT 1 FROM used))" ISMS_SQL_IDEM(
        "$4", "a") ""
                   " SELECT (SELECT string_agg(format('\"%s\" (%s assets)', level, n), ', ' ORDER "
                   "BY level)"
                   "  FROM used), (SELECT count(*) FROM a), (SELECT count(*) FROM del),"
                   " (SELECT count(*) FROM up), n.level, n.rank,"
                   " (SELECT count(*) FROM asset x WHERE x.classification = n.level)"
                   " FROM (SELECT 1) one LEFT JOIN new n ON NOT EXISTS (SELECT 1 FROM used) ORDER "
                   "BY n.rank";
ISMS_STATEMENT(STMT_CLASS_SET, SQL_CLASS_SET, "levels", "actor", "source", ISMS_SQL_IDEM_PARAM);

/* ---- classification levels ----------------------------------------------------------------- */

/* Answers with the levels in columns c0 (level), c0 + 1 (rank), c0 + 2 (asset count). */
static void finish_levels(struct isms_call *call, const struct isms_rows *res, int c0)
{
    Isms__V1__Classifications *c;
    int n = isms_rows_count(res);

    c = isms_arena_calloc(&call->arena, sizeof(*c));
    if (c == NULL)
        goto oom;
    isms__v1__classifications__init(c);
    c->levels = isms_arena_calloc(&call->arena, sizeof(*c->levels) * (size_t)(n + 1));
    if (c->levels == NULL)
        goto oom;
    for (int r = 0; r < n; r++) {
        Isms__V1__Classification *l = isms_arena_calloc(&call->arena, sizeof(*l));

        if (l == NULL)
            goto oom;
        isms__v1__classification__init(l);
        l->level = (char *)isms_rows_text(res, r, c0);
        l->rank = (int32_t)isms_rows_int64(res, r, c0 + 1);
        l->asset_count = isms_rows_int64(res, r, c0 + 2);
        c->levels[c->n_levels++] = l;
    }
    isms_call_finish(call, &c->base);
    return;
oom:
    isms_asset_fail_oom(call);
}

static void class_list_done(struct isms_call *call, const struct isms_rows *res,
                            const struct isms_status *st)
{
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    finish_levels(call, res, 0);
}

void isms_asset_list_classifications(struct isms_call *call, const ProtobufCMessage *msg)
{
    struct isms_bind b;

    (void)msg;
    isms_bind_init(&b, &STMT_CLASS_LIST);
    isms_call_db_or_fail(call, &b, class_list_done);
}

static void class_set_done(struct isms_call *call, const struct isms_rows *res,
                           const struct isms_status *st)
{
    if (st->code == ISMS_FAILED_PRECONDITION) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "a level being removed was given to an asset meanwhile; nothing changed");
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (!isms_rows_is_null(res, 0, 0)) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "cannot remove classification levels still in use: %s; reclassify those "
                       "assets first",
                       isms_rows_text(res, 0, 0));
        return;
    }
    finish_levels(call, res, 4);
}

void isms_asset_set_classifications(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__SetClassificationsRequest *in =
        (const Isms__V1__SetClassificationsRequest *)msg;
    struct isms_status st;
    const char *levels;
    struct isms_bind b;

    if (isms_asset_check_levels(in->levels, in->n_levels, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    levels = isms_asset_pg_array(&call->arena, in->levels, in->n_levels);
    if (levels == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    isms_bind_init(&b, &STMT_CLASS_SET);
    isms_bind_text(&b, "levels", levels);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, class_set_done);
}
