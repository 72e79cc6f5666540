/* domain/plan/asset.c — isms.v1.Asset: the asset inventory (Annex A 5.9): Create, Get, Update,
 * Delete and the service's registration (dependencies: asset_deps.c, classification levels:
 * asset_class.c, List and Import: asset_bulk.c). Every mutation is ONE statement whose CTEs
 * change the rows and append the audit record, so a change and its audit entry commit together;
 * input is checked by asset_rules.c first, against the C/I/A scale and levels read just before
 * (the database's constraints stay the backstop for a change racing in between). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/roles.h"
#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/domain.h"
#include "domain/plan/asset.h"
#include "domain/plan/asset_rules.h"
#include "isms/v1/asset.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"
#include "rpc/server.h"

/* ---- SQL ----------------------------------------------------------------------------------- */

/* Object-like spellings of the SQL fragment macros of asset.h, so the statements below read
 * (and format) as plain string concatenations. */
#define COLS_T    ASSET_COLS("t")
#define COLS_U    ASSET_COLS("u")
#define JSON_INS  ASSET_JSON("ins")
#define JSON_OLD  ASSET_JSON("old")
#define JSON_U    ASSET_JSON("u")
#define JSON_D    ASSET_JSON("d")
#define MATCH_1_2 ASSET_MATCH("t", "$1", "$2")
#define REF_NUM_D REF_NUM("d.ref")
#define DEPS_OF_D DEP_NAMES_JSON("d.num")
/* A new asset depends on what `want` names and nothing depends on it yet. */
#define COLS_INS                                                                                   \
    ASSET_COLS_WITH("ins",                                                                         \
                    "(SELECT coalesce(string_agg(y.num || E'\\x1f' || y.name, E'\\x1e'"            \
                    "  ORDER BY lower(y.name)), '') FROM asset y"                                  \
                    "  WHERE y.num IN (SELECT num FROM want))",                                    \
                    "''")

static const char SQL_ASSET_LIMITS[] =
    "SELECT asset_cia_scale(),"
    " coalesce((SELECT string_agg(level, ',' ORDER BY rank) FROM asset_classification), '')";
ISMS_STATEMENT_NO_PARAMS(STMT_ASSET_LIMITS, SQL_ASSET_LIMITS);

static const char SQL_ASSET_GET[] = "SELECT " COLS_T " FROM asset t WHERE " MATCH_1_2;

/* $1..$7 fields, $8..$10 C/I/A, $11 tags, $12 depends_on refs, $13 status, $14 actor,
 * $15 source. Nothing is inserted when a dependency names no asset. Columns: the first
 * reference that names no asset, audit records, dependencies inserted, then the new record
 * (built from the inserted row: the answer is part of the write, never read after it). */
static const char SQL_ASSET_CREATE[] =
    "WITH want AS (SELECT d.ord, d.ref, " REF_NUM_D " AS num"
    "  FROM unnest($12::text[]) WITH ORDINALITY AS d (ref, ord)),"
    " missing AS (SELECT ref FROM want WHERE num IS NULL ORDER BY ord LIMIT 1),"
    " ow AS (SELECT " OWNER_STATUS(
        "$4") " AS st),"
              " ins AS (INSERT INTO asset (name, type, description, owner, custodian, location,"
              "  classification, confidentiality, integrity, availability, tags, status, "
              "created_by,"
              "  updated_by) SELECT $1, $2, $3, $4, $5, $6, $7, $8::int, $9::int, $10::int,"
              "  $11::text[], $13, $14, $14 WHERE NOT EXISTS (SELECT 1 FROM missing)"
              "  AND (SELECT st FROM ow) = 'active' RETURNING *),"
              " deps AS (INSERT INTO asset_dependency (asset_num, depends_on_num, created_by)"
              "  SELECT DISTINCT ins.num, want.num, $14::text FROM ins, want RETURNING 1),"
              " a AS (SELECT audit_append($14, $15, '/isms.v1.Asset/Create', 'asset:A-' || ins.num,"
              "  audit_diff(NULL, " JSON_INS " || jsonb_build_object('depends_on',"
              "  (SELECT coalesce(jsonb_agg(DISTINCT y.name), '[]'::jsonb) FROM want"
              "  JOIN asset y ON y.num = want.num))), 'OK') AS seq FROM ins)" ISMS_SQL_IDEM(
                  "$16", "a") ""
                              " SELECT (SELECT ref FROM missing), (SELECT count(*) FROM a), "
                              "(SELECT count(*) "
                              "FROM deps), (SELECT st FROM ow),"
                              " " COLS_INS " FROM (SELECT 1) one LEFT JOIN ins ON true";
ISMS_STATEMENT(STMT_ASSET_CREATE, SQL_ASSET_CREATE, "name", "type", "description", "owner",
               "custodian", "location", "classification", "confidentiality", "integrity",
               "availability", "tags", "depends_on", "status", "actor", "source",
               ISMS_SQL_IDEM_PARAM);
ISMS_STATEMENT(STMT_ASSET_GET, SQL_ASSET_GET, "num", "name");

/* $1/$2 the asset, $3 expected version, $4 mask of ISMS_ASSET_F_* bits, $5..$16 values,
 * $17 actor, $18 source. Columns: rows matched, their version, then the record (NULL when the
 * version was stale). */
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
ISMS_STATEMENT(STMT_ASSET_UPDATE, SQL_ASSET_UPDATE, "num", "name", "expected_version", "fields",
               "new_name", "type", "description", "owner", "custodian", "location",
               "classification", "confidentiality", "integrity", "availability", "tags", "status",
               "actor", "source", ISMS_SQL_IDEM_PARAM);

/* $1/$2 the asset, $3 expected version, $4 actor, $5 source. Refused (nothing deleted) while
 * another asset depends on it or a risk names it. */
static const char SQL_ASSET_DELETE[] =
    "WITH t AS (SELECT * FROM asset t WHERE " MATCH_1_2 " FOR UPDATE),"
    " users AS (SELECT count(*) AS n, string_agg(x.name, ', ' ORDER BY lower(x.name)) AS names"
    "  FROM t JOIN asset_dependency d ON d.depends_on_num = t.num"
    "  JOIN asset x ON x.num = d.asset_num),"
    " risks AS (SELECT asset_risk_refs(t.num) AS refs FROM t),"
    " d AS (DELETE FROM asset x USING t, users, risks WHERE x.num = t.num AND users.n = 0"
    "  AND risks.refs = '' AND ($3::bigint = 0 OR x.version = $3::bigint) RETURNING x.*),"
    " a AS (SELECT audit_append($4, $5, '/isms.v1.Asset/Delete', 'asset:A-' || d.num,"
    "  audit_diff(" JSON_D " || jsonb_build_object('depends_on', " DEPS_OF_D "), NULL), 'OK')"
    "  AS seq FROM d)" ISMS_SQL_IDEM(
        "$6",
        "a") ""
             " SELECT t.num, t.name, t.version, (SELECT n FROM users), (SELECT names FROM users),"
             " (SELECT refs FROM risks), (SELECT count(*) FROM d), (SELECT count(*) FROM a)"
             " FROM (SELECT 1) one LEFT JOIN t ON true";
ISMS_STATEMENT(STMT_ASSET_DELETE, SQL_ASSET_DELETE, "num", "name", "expected_version", "actor",
               "source", ISMS_SQL_IDEM_PARAM);

/* ---- shared helpers ------------------------------------------------------------------------ */

void isms_asset_fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "response exceeds the call's memory limit");
}

struct isms_asset_op *isms_asset_op_new(struct isms_call *call, const void *in)
{
    struct isms_asset_op *op = isms_arena_calloc(&call->arena, sizeof(*op));

    if (op == NULL) {
        isms_asset_fail_oom(call);
        return NULL;
    }
    op->in = in;
    call->ctx = op;
    return op;
}

/* Answers with the record at `c0` of row 0. */
void isms_asset_finish_record(struct isms_call *call, const struct isms_rows *res, int c0)
{
    Isms__V1__AssetRecord *m = isms_asset_record_from_row(&call->arena, res, 0, c0);

    if (m == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    isms_call_finish(call, &m->base);
}

/* ---- limits: the C/I/A scale and the classification levels --------------------------------- */

static void limits_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    struct isms_asset_op *op = call->ctx;
    size_t n;
    char **levels;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    levels = isms_asset_split(&call->arena, isms_rows_text(res, 0, 1), ',', &n);
    if (levels == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    op->lim.scale = (int)isms_rows_int64(res, 0, 0);
    op->lim.levels = (const char *const *)levels;
    op->lim.nlevels = n;
    op->after_limits(call);
}

/* Reads the limits, then runs `next`. */
void isms_asset_with_limits(struct isms_call *call, void (*next)(struct isms_call *call))
{
    struct isms_asset_op *op = call->ctx;

    struct isms_bind b;

    op->after_limits = next;
    isms_bind_init(&b, &STMT_ASSET_LIMITS);
    isms_call_db_or_fail(call, &b, limits_done);
}

/* The check of an update's other fields before the limits are known (no level list, so any
 * classification passes; LIMITED_FIELDS are checked once the limits are read). */
static const struct isms_asset_limits shape_limits = {ISMS_ASSET_CIA_LIMIT, NULL, 0};
#define LIMITED_FIELDS                                                                             \
    (ISMS_ASSET_F_CLASSIFICATION | ISMS_ASSET_F_CONFIDENTIALITY | ISMS_ASSET_F_INTEGRITY |         \
     ISMS_ASSET_F_AVAILABILITY)

/* ---- Get --------------------------------------------------------------------------------- */

static void get_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    struct isms_asset_op *op = call->ctx;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_NOT_FOUND, "asset \"%s\" does not exist", op->ref);
        return;
    }
    isms_asset_finish_record(call, res, 0);
}

static void asset_get(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__GetAssetRequest *in = (const Isms__V1__GetAssetRequest *)msg;
    struct isms_asset_op *op = isms_asset_op_new(call, in);
    struct isms_status st;
    struct isms_bind b;

    if (op == NULL)
        return;
    if (isms_asset_take_ref(op, "id", in->id, 0, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, &STMT_ASSET_GET);
    isms_asset_bind_ref(&b, "num", op->ref_num, "name", in->id);
    isms_call_db_or_fail(call, &b, get_done);
}

/* ---- Create -------------------------------------------------------------------------------- */

static void create_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    struct isms_asset_op *op = call->ctx;

    if (st->code == ISMS_ALREADY_EXISTS) {
        isms_call_fail(call, ISMS_ALREADY_EXISTS, "asset \"%s\" already exists", op->input.name);
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (!isms_rows_is_null(res, 0, 0)) {
        isms_call_fail(call, ISMS_NOT_FOUND, "depends_on \"%s\" names no asset",
                       isms_rows_text(res, 0, 0));
        return;
    }
    if (strcmp(isms_rows_text(res, 0, 3), "active") != 0) {
        isms_asset_fail_owner(call, "", op->input.owner, isms_rows_text(res, 0, 3));
        return;
    }
    isms_asset_finish_record(call, res, 4);
}

static void create_run(struct isms_call *call)
{
    struct isms_asset_op *op = call->ctx;
    struct isms_asset_input *in = &op->input;
    struct isms_status st;
    const char *tags, *deps;
    struct isms_bind b;

    if (isms_asset_check(in, ISMS_ASSET_F_ALL, &op->lim, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    tags = isms_asset_pg_array(&call->arena, in->tags, in->ntags);
    deps = isms_asset_pg_array(&call->arena, in->depends_on, in->ndepends_on);
    if (tags == NULL || deps == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    isms_bind_init(&b, &STMT_ASSET_CREATE);
    isms_bind_text(&b, "name", in->name);
    isms_bind_text(&b, "type", in->type);
    isms_bind_text(&b, "description", in->description);
    isms_bind_text(&b, "owner", in->owner);
    isms_bind_text(&b, "custodian", in->custodian);
    isms_bind_text(&b, "location", in->location);
    isms_bind_text(&b, "classification", in->classification);
    isms_bind_int64(&b, "confidentiality", in->confidentiality);
    isms_bind_int64(&b, "integrity", in->integrity);
    isms_bind_int64(&b, "availability", in->availability);
    isms_bind_text(&b, "tags", tags);
    isms_bind_text(&b, "depends_on", deps);
    isms_bind_text(&b, "status", in->status);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, create_done);
}

void isms_asset_input_from_create(struct isms_asset_input *d,
                                  const Isms__V1__CreateAssetRequest *in)
{
    d->name = in->name;
    d->type = in->type;
    d->description = in->description;
    d->owner = in->owner;
    d->custodian = in->custodian;
    d->location = in->location;
    d->classification = in->classification;
    d->status = in->status;
    d->confidentiality = in->confidentiality;
    d->integrity = in->integrity;
    d->availability = in->availability;
    d->tags = in->tags;
    d->ntags = in->n_tags;
    d->depends_on = in->depends_on;
    d->ndepends_on = in->n_depends_on;
}

static void asset_create(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__CreateAssetRequest *in = (const Isms__V1__CreateAssetRequest *)msg;
    struct isms_asset_op *op = isms_asset_op_new(call, in);

    if (op == NULL)
        return;
    isms_asset_input_from_create(&op->input, in);
    isms_asset_with_limits(call, create_run);
}

/* ---- Update -------------------------------------------------------------------------------- */

static void update_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    struct isms_asset_op *op = call->ctx;

    if (st->code == ISMS_ALREADY_EXISTS) {
        isms_call_fail(call, ISMS_ALREADY_EXISTS, "asset \"%s\" already exists", op->input.name);
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "asset \"%s\" does not exist", op->ref);
        return;
    }
    if (strcmp(isms_rows_text(res, 0, 2), "active") != 0) {
        isms_asset_fail_owner(call, "", op->input.owner, isms_rows_text(res, 0, 2));
        return;
    }
    if (isms_rows_is_null(res, 0, 3)) {
        isms_call_fail(call, ISMS_ABORTED,
                       "asset \"%s\" was changed by someone else: version %" PRId64
                       " is stale (it is at version %" PRId64 " now); show it again and retry",
                       op->ref, op->expected_version, isms_rows_int64(res, 0, 1));
        return;
    }
    isms_asset_finish_record(call, res, 3);
}

static void update_run(struct isms_call *call)
{
    struct isms_asset_op *op = call->ctx;
    struct isms_asset_input *in = &op->input;
    struct isms_status st;
    const char *tags;
    struct isms_bind b;

    if (isms_asset_check(in, op->fields, &op->lim, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    tags = isms_asset_pg_array(&call->arena, in->tags, in->ntags);
    if (tags == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    isms_bind_init(&b, &STMT_ASSET_UPDATE);
    isms_asset_bind_ref(&b, "num", op->ref_num, "name", op->ref);
    isms_bind_int64(&b, "expected_version", op->expected_version);
    isms_bind_int64(&b, "fields", op->fields);
    isms_bind_text(&b, "new_name", in->name);
    isms_bind_text(&b, "type", in->type);
    isms_bind_text(&b, "description", in->description);
    isms_bind_text(&b, "owner", in->owner);
    isms_bind_text(&b, "custodian", in->custodian);
    isms_bind_text(&b, "location", in->location);
    isms_bind_text(&b, "classification", in->classification);
    isms_bind_int64(&b, "confidentiality", in->confidentiality);
    isms_bind_int64(&b, "integrity", in->integrity);
    isms_bind_int64(&b, "availability", in->availability);
    isms_bind_text(&b, "tags", tags);
    isms_bind_text(&b, "status", in->status);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, update_done);
}

static void asset_update(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__UpdateAssetRequest *in = (const Isms__V1__UpdateAssetRequest *)msg;
    struct isms_asset_op *op = isms_asset_op_new(call, in);
    struct isms_asset_input *d;
    struct isms_status st;
    unsigned f = 0;

    if (op == NULL)
        return;
    if (isms_asset_take_ref(op, "id", in->id, 0, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    f |= in->set_name ? ISMS_ASSET_F_NAME : 0;
    f |= in->set_type ? ISMS_ASSET_F_TYPE : 0;
    f |= in->set_description ? ISMS_ASSET_F_DESCRIPTION : 0;
    f |= in->set_owner ? ISMS_ASSET_F_OWNER : 0;
    f |= in->set_custodian ? ISMS_ASSET_F_CUSTODIAN : 0;
    f |= in->set_location ? ISMS_ASSET_F_LOCATION : 0;
    f |= in->set_classification ? ISMS_ASSET_F_CLASSIFICATION : 0;
    f |= in->set_confidentiality ? ISMS_ASSET_F_CONFIDENTIALITY : 0;
    f |= in->set_integrity ? ISMS_ASSET_F_INTEGRITY : 0;
    f |= in->set_availability ? ISMS_ASSET_F_AVAILABILITY : 0;
    f |= in->set_tags ? ISMS_ASSET_F_TAGS : 0;
    f |= in->set_status ? ISMS_ASSET_F_STATUS : 0;
    if (f == 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "nothing to update: flag at least one field with its set_ flag");
        return;
    }
    if (in->expected_version < 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "expected_version must not be negative, got %" PRId64, in->expected_version);
        return;
    }
    op->fields = f;
    op->expected_version = in->expected_version;
    d = &op->input;
    d->name = in->name;
    d->type = in->type;
    d->description = in->description;
    d->owner = in->owner;
    d->custodian = in->custodian;
    d->location = in->location;
    d->classification = in->classification;
    d->status = in->status;
    d->confidentiality = in->confidentiality;
    d->integrity = in->integrity;
    d->availability = in->availability;
    d->tags = in->tags;
    d->ntags = in->n_tags;
    /* Fields that do not depend on the limits are checked before any SQL. */
    if (isms_asset_check(d, f & ~LIMITED_FIELDS, &shape_limits, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (f & LIMITED_FIELDS) {
        isms_asset_with_limits(call, update_run);
        return;
    }
    op->lim = shape_limits;
    update_run(call);
}

/* ---- Delete -------------------------------------------------------------------------------- */

static void delete_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    struct isms_asset_op *op = call->ctx;
    Isms__V1__DeleteAssetResponse *r;
    const char *name;

    if (st->code == ISMS_FAILED_PRECONDITION) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "asset \"%s\" is still used (a dependency or a risk was added meanwhile); "
                       "nothing was deleted",
                       op->ref);
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
    name = isms_rows_text(res, 0, 1);
    if (isms_rows_int64(res, 0, 3) > 0) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "asset A-%s \"%s\" cannot be deleted: %" PRId64
                       " asset(s) depend on it (%s); remove those dependencies first",
                       isms_rows_text(res, 0, 0), name, isms_rows_int64(res, 0, 3),
                       isms_rows_text(res, 0, 4));
        return;
    }
    if (isms_rows_text(res, 0, 5)[0] != '\0') {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "asset A-%s \"%s\" cannot be deleted: risk(s) %s name it; remove it from "
                       "those risks first",
                       isms_rows_text(res, 0, 0), name, isms_rows_text(res, 0, 5));
        return;
    }
    if (isms_rows_int64(res, 0, 6) == 0) {
        isms_call_fail(call, ISMS_ABORTED,
                       "asset \"%s\" was changed by someone else: version %" PRId64
                       " is stale (it is at version %" PRId64 " now); show it again and retry",
                       op->ref, op->expected_version, isms_rows_int64(res, 0, 2));
        return;
    }
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    isms__v1__delete_asset_response__init(r);
    r->id = isms_arena_printf(&call->arena, "A-%s", isms_rows_text(res, 0, 0));
    r->name = (char *)name;
    if (r->id == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    isms_call_finish(call, &r->base);
}

static void asset_delete(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__DeleteAssetRequest *in = (const Isms__V1__DeleteAssetRequest *)msg;
    struct isms_asset_op *op = isms_asset_op_new(call, in);
    struct isms_status st;
    struct isms_bind b;

    if (op == NULL)
        return;
    if (isms_asset_take_ref(op, "id", in->id, 0, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (in->expected_version < 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "expected_version must not be negative, got %" PRId64, in->expected_version);
        return;
    }
    op->expected_version = in->expected_version;
    isms_bind_init(&b, &STMT_ASSET_DELETE);
    isms_asset_bind_ref(&b, "num", op->ref_num, "name", in->id);
    isms_bind_int64(&b, "expected_version", in->expected_version);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, delete_done);
}

enum isms_code isms_asset_register(struct isms_server *srv, struct isms_status *st)
{
    /* Order follows the service declaration in proto/isms/v1/asset.proto. */
    static const struct isms_method_spec specs[] = {
        {"Create", asset_create, 0, ISMS_ROLE_MANAGER},
        {"Get", asset_get, 0, ISMS_ROLES_READ},
        {"Update", asset_update, 0, ISMS_ROLE_MANAGER},
        {"Delete", asset_delete, 0, ISMS_ROLE_MANAGER},
        {"List", isms_asset_list, ISMS_METHOD_STREAM, ISMS_ROLES_READ},
        {"AddDependency", isms_asset_add_dependency, 0, ISMS_ROLE_MANAGER},
        {"RemoveDependency", isms_asset_remove_dependency, 0, ISMS_ROLE_MANAGER},
        {"Import", isms_asset_import, 0, ISMS_ROLE_MANAGER},
        {"ImportBegin", isms_asset_import_begin, 0, ISMS_ROLE_MANAGER},
        {"ImportChunk", isms_asset_import_chunk, 0, ISMS_ROLE_MANAGER},
        {"ImportCommit", isms_asset_import_commit, 0, ISMS_ROLE_MANAGER},
        {"ImportAbort", isms_asset_import_abort, 0, ISMS_ROLE_MANAGER},
        {"ListClassifications", isms_asset_list_classifications, 0, ISMS_ROLES_READ},
        {"SetClassifications", isms_asset_set_classifications, 0, ISMS_ROLE_MANAGER},
    };

    return isms_registry_add(&srv->reg, &isms__v1__asset__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
