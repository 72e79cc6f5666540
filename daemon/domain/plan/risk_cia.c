/* domain/plan/risk_cia.c — isms.v1.RiskCia: which of C, I, A a risk affects (6.1.2 c 1), the
 * impact its linked assets suggest (the highest affected value, capped at the impact scale),
 * and the assets whose C/I/A values a method change left above the impact scale. Get and
 * OutOfScale are one read each; Set is one write with its audit record, then the Get read. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/roles.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/domain.h"
#include "domain/plan/method_rules.h"
#include "domain/plan/risk_cia_rules.h"
#include "domain/plan/risk_rules.h"
#include "isms/v1/risk_cia.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"
#include "rpc/server.h"

#define OUT_OF_SCALE_MAX 1000

/* $1 risk num. Risk num (NULL: no such risk), affects, suggested impact, scale, assets out of
 * scale (text[]), updated at, updated by. */
static const char SQL_CIA_GET[] =
    "WITH sc AS (SELECT asset_cia_scale() AS n),"
    " r AS (SELECT r.num, coalesce(c.affects, '') AS aff, c.updated_at, c.updated_by"
    "  FROM risk r LEFT JOIN risk_cia c ON c.risk_num = r.num WHERE r.num = $1::bigint),"
    " la AS (SELECT a.* FROM risk_asset ra JOIN asset a ON a.num = ra.asset_num"
    "  WHERE ra.risk_num = $1::bigint)"
    " SELECT r.num, r.aff,"
    " least(coalesce((SELECT max(greatest("
    "  CASE WHEN r.aff = '' OR strpos(r.aff, 'C') > 0 THEN la.confidentiality ELSE 0 END,"
    "  CASE WHEN r.aff = '' OR strpos(r.aff, 'I') > 0 THEN la.integrity ELSE 0 END,"
    "  CASE WHEN r.aff = '' OR strpos(r.aff, 'A') > 0 THEN la.availability ELSE 0 END))"
    "  FROM la), 0), sc.n),"
    " sc.n,"
    " ARRAY(SELECT 'A-' || la.num FROM la"
    "  WHERE greatest(la.confidentiality, la.integrity, la.availability) > sc.n ORDER BY la.num),"
    " coalesce(" ISMS_SQL_TS("r.updated_at") ", ''), coalesce(r.updated_by, '')"
                                             " FROM r CROSS JOIN sc";
ISMS_STATEMENT(STMT_CIA_GET, SQL_CIA_GET, "num");

/* $1 risk num, $2 affects, $3 actor, $4 source, $5 may edit any risk, $6 idempotency key.
 * Whether the risk exists, whether it is closed, its owner, and whether the row was written. */
static const char SQL_CIA_SET[] =
    "WITH r AS (SELECT num, owner, status FROM risk WHERE num = $1::bigint),"
    " old AS (SELECT affects FROM risk_cia WHERE risk_num = $1::bigint),"
    " up AS (INSERT INTO risk_cia (risk_num, affects, updated_by)"
    "  SELECT num, $2, $3 FROM r WHERE r.status <> 'closed' AND ($5::boolean OR r.owner = $3)"
    "  ON CONFLICT (risk_num) DO UPDATE SET affects = EXCLUDED.affects, updated_at = now(),"
    "  updated_by = EXCLUDED.updated_by RETURNING *),"
    " a AS (SELECT audit_append($3, $4, '/isms.v1.RiskCia/Set', 'risk:R-' || up.risk_num,"
    "  audit_diff((SELECT to_jsonb(old) FROM old), jsonb_build_object('affects', up.affects)),"
    "  'OK') AS seq FROM up)" ISMS_SQL_IDEM(
        "$6", "a") ""
                   " SELECT (SELECT count(*) FROM r), coalesce((SELECT status FROM r), ''),"
                   " coalesce((SELECT owner FROM r), ''), (SELECT count(*) FROM a)";
ISMS_STATEMENT(STMT_CIA_SET, SQL_CIA_SET, "num", "affects", "actor", "source", "may_edit_any",
               ISMS_SQL_IDEM_PARAM);

/* $1 asset num (NULL = every asset). Scale, method version, then one row per asset out of
 * scale (num, name, C, I, A) in num order, at most OUT_OF_SCALE_MAX + 1. */
static const char SQL_OUT_OF_SCALE[] =
    "WITH sc AS (SELECT asset_cia_scale() AS n,"
    "  coalesce((SELECT max(version) FROM risk_method), 0) AS v)"
    " SELECT sc.n, sc.v, a.num, a.name, a.confidentiality, a.integrity, a.availability"
    " FROM sc LEFT JOIN asset a ON greatest(a.confidentiality, a.integrity, a.availability) > sc.n"
    "  AND ($1::bigint IS NULL OR a.num = $1::bigint)"
    " ORDER BY a.num LIMIT 1001";
ISMS_STATEMENT(STMT_OUT_OF_SCALE, SQL_OUT_OF_SCALE, "asset_num");

struct cia_ctx {
    int64_t num;
    char id[32];
    char affects[4];
};

static void fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "response exceeds the call's memory limit");
}

/* ---- Get ------------------------------------------------------------------------------------ */

static void get_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    struct cia_ctx *x = call->ctx;
    Isms__V1__RiskCiaRecord *r;
    char **ids;
    size_t nids;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_NOT_FOUND, "risk %s does not exist", x->id);
        return;
    }
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL ||
        isms_pg_array_parse(&call->arena, isms_rows_text(res, 0, 4), &ids, &nids) != 0) {
        fail_oom(call);
        return;
    }
    isms__v1__risk_cia_record__init(r);
    r->id = x->id;
    r->affects = isms_arena_strdup(&call->arena, isms_rows_text(res, 0, 1));
    r->suggested_impact = (int32_t)isms_rows_int64(res, 0, 2);
    r->impact_scale = (int32_t)isms_rows_int64(res, 0, 3);
    r->assets_out_of_scale = ids;
    r->n_assets_out_of_scale = nids;
    r->updated_at = isms_arena_strdup(&call->arena, isms_rows_text(res, 0, 5));
    r->updated_by = isms_arena_strdup(&call->arena, isms_rows_text(res, 0, 6));
    if (r->affects == NULL || r->updated_at == NULL || r->updated_by == NULL) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &r->base);
}

static void read_cia(struct isms_call *call)
{
    struct cia_ctx *x = call->ctx;
    struct isms_bind b;

    isms_bind_init(&b, &STMT_CIA_GET);
    isms_bind_int64(&b, "num", x->num);
    isms_call_db_or_fail(call, &b, get_done);
}

/* A new context for risk id `id`; NULL after answering the call (bad id, no memory). */
static struct cia_ctx *cia_ctx_new(struct isms_call *call, const char *id)
{
    struct cia_ctx *x = isms_arena_calloc(&call->arena, sizeof(*x));
    struct isms_status st;

    if (x == NULL) {
        fail_oom(call);
        return NULL;
    }
    if (isms_plan_check_id("R", "risk", id, &x->num, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return NULL;
    }
    snprintf(x->id, sizeof(x->id), "R-%" PRId64, x->num);
    call->ctx = x;
    return x;
}

static void cia_get(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__GetRiskCiaRequest *in = (const Isms__V1__GetRiskCiaRequest *)msg;

    if (cia_ctx_new(call, in->id) != NULL)
        read_cia(call);
}

/* ---- Set ------------------------------------------------------------------------------------ */

static void set_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    struct cia_ctx *x = call->ctx;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "risk %s does not exist", x->id);
        return;
    }
    if (strcmp(isms_rows_text(res, 0, 1), "closed") == 0) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION, "8.3: risk %s is closed", x->id);
        return;
    }
    if (isms_rows_int64(res, 0, 3) == 0) {
        isms_call_fail(call, ISMS_PERMISSION_DENIED,
                       "only an isms_manager or the risk's owner (%s) may change %s",
                       isms_rows_text(res, 0, 2), x->id);
        return;
    }
    read_cia(call);
}

static void cia_set(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__SetRiskCiaRequest *in = (const Isms__V1__SetRiskCiaRequest *)msg;
    struct cia_ctx *x = cia_ctx_new(call, in->id);
    struct isms_status st;
    struct isms_bind b;

    if (x == NULL)
        return;
    if (isms_risk_cia_parse(in->affects, x->affects, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, &STMT_CIA_SET);
    isms_bind_int64(&b, "num", x->num);
    isms_bind_text(&b, "affects", x->affects);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_bind_bool(&b, "may_edit_any", (call->principal.roles & ISMS_ROLE_MANAGER) != 0);
    isms_call_db_or_fail(call, &b, set_done);
}

/* ---- OutOfScale ----------------------------------------------------------------------------- */

static void oos_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    Isms__V1__AssetsOutOfScale *r;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL || n < 1) {
        fail_oom(call);
        return;
    }
    isms__v1__assets_out_of_scale__init(r);
    r->impact_scale = (int32_t)isms_rows_int64(res, 0, 0);
    r->method_version = isms_rows_int64(res, 0, 1);
    r->assets = isms_arena_calloc(&call->arena, sizeof(*r->assets) * (size_t)(n + 1));
    if (r->assets == NULL) {
        fail_oom(call);
        return;
    }
    for (int k = 0; k < n && !isms_rows_is_null(res, k, 2); k++) {
        Isms__V1__AssetOutOfScale *a;
        char id[32];

        if (r->n_assets == OUT_OF_SCALE_MAX) {
            r->truncated = 1;
            break;
        }
        a = isms_arena_calloc(&call->arena, sizeof(*a));
        snprintf(id, sizeof(id), "A-%" PRId64, isms_rows_int64(res, k, 2));
        if (a == NULL) {
            fail_oom(call);
            return;
        }
        isms__v1__asset_out_of_scale__init(a);
        a->id = isms_arena_strdup(&call->arena, id);
        a->name = isms_arena_strdup(&call->arena, isms_rows_text(res, k, 3));
        a->confidentiality = (int32_t)isms_rows_int64(res, k, 4);
        a->integrity = (int32_t)isms_rows_int64(res, k, 5);
        a->availability = (int32_t)isms_rows_int64(res, k, 6);
        if (a->id == NULL || a->name == NULL) {
            fail_oom(call);
            return;
        }
        r->assets[r->n_assets++] = a;
    }
    isms_call_finish(call, &r->base);
}

static void cia_out_of_scale(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__AssetsOutOfScaleRequest *in = (const Isms__V1__AssetsOutOfScaleRequest *)msg;
    struct isms_bind b;
    int64_t num = 0;

    if (in->asset[0] != '\0' && !isms_plan_parse_id("A", in->asset, &num)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "asset must look like A-<n>, got \"%s\"",
                       in->asset);
        return;
    }
    isms_bind_init(&b, &STMT_OUT_OF_SCALE);
    if (in->asset[0] != '\0')
        isms_bind_int64(&b, "asset_num", num);
    else
        isms_bind_null(&b, "asset_num");
    isms_call_db_or_fail(call, &b, oos_done);
}

enum isms_code isms_risk_cia_register(struct isms_server *srv, struct isms_status *st)
{
    /* Order follows proto/isms/v1/risk_cia.proto. Set checks the risk's owner (object-level). */
    const struct isms_method_spec specs[] = {
        {"Get", cia_get, 0, ISMS_ROLES_READ},
        {"Set", cia_set, 0, ISMS_ROLE_MANAGER | ISMS_ROLE_RISK_OWNER},
        {"OutOfScale", cia_out_of_scale, 0, ISMS_ROLES_READ},
    };

    return isms_registry_add(&srv->reg, &isms__v1__risk_cia__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
