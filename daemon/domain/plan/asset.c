/* domain/plan/asset.c — isms.v1.Asset: the asset inventory (Annex A 5.9) with classification
 * levels and dependencies. Every mutation is ONE statement whose CTEs change the rows and append
 * the audit record, so a change and its audit entry commit together; input is checked by
 * asset_rules.c first, against the C/I/A scale and levels read just before (the database's
 * constraints stay the backstop for a change racing in between). */
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
#define MATCH_3_4 ASSET_MATCH("t", "$3", "$4")
#define REF_NUM_D REF_NUM("d.ref")
#define DEPS_OF_X DEP_NAMES_JSON("x.num")
#define DEPS_OF_D DEP_NAMES_JSON("d.num")

static const char SQL_ASSET_LIMITS[] =
    "SELECT asset_cia_scale(),"
    " coalesce((SELECT string_agg(level, ',' ORDER BY rank) FROM asset_classification), '')";
ISMS_STATEMENT_NO_PARAMS(STMT_ASSET_LIMITS, SQL_ASSET_LIMITS);

static const char SQL_ASSET_GET[] = "SELECT " COLS_T " FROM asset t WHERE " MATCH_1_2;

/* $1..$7 fields, $8..$10 C/I/A, $11 tags, $12 depends_on refs, $13 status, $14 actor,
 * $15 source. Nothing is inserted when a dependency names no asset. */
static const char SQL_ASSET_CREATE[] =
    "WITH want AS (SELECT d.ord, d.ref, " REF_NUM_D " AS num"
    "  FROM unnest($12::text[]) WITH ORDINALITY AS d (ref, ord)),"
    " missing AS (SELECT ref FROM want WHERE num IS NULL ORDER BY ord LIMIT 1),"
    " ins AS (INSERT INTO asset (name, type, description, owner, custodian, location,"
    "  classification, confidentiality, integrity, availability, tags, status, created_by,"
    "  updated_by) SELECT $1, $2, $3, $4, $5, $6, $7, $8::int, $9::int, $10::int,"
    "  $11::text[], $13, $14, $14 WHERE NOT EXISTS (SELECT 1 FROM missing) RETURNING *),"
    " deps AS (INSERT INTO asset_dependency (asset_num, depends_on_num, created_by)"
    "  SELECT DISTINCT ins.num, want.num, $14::text FROM ins, want RETURNING 1),"
    " a AS (SELECT audit_append($14, $15, '/isms.v1.Asset/Create', 'asset:A-' || ins.num,"
    "  audit_diff(NULL, " JSON_INS " || jsonb_build_object('depends_on',"
    "  (SELECT coalesce(jsonb_agg(DISTINCT y.name), '[]'::jsonb) FROM want"
    "  JOIN asset y ON y.num = want.num))), 'OK') AS seq FROM ins)"
    " SELECT (SELECT ref FROM missing), (SELECT num FROM ins), (SELECT count(*) FROM a),"
    " (SELECT count(*) FROM deps)";
ISMS_STATEMENT(STMT_ASSET_CREATE, SQL_ASSET_CREATE, "name", "type", "description", "owner",
               "custodian", "location", "classification", "confidentiality", "integrity",
               "availability", "tags", "depends_on", "status", "actor", "source");
ISMS_STATEMENT(STMT_ASSET_GET, SQL_ASSET_GET, "num", "name");

/* $1/$2 the asset, $3 expected version, $4 mask of ISMS_ASSET_F_* bits, $5..$16 values,
 * $17 actor, $18 source. Columns: rows matched, their version, then the record (NULL when the
 * version was stale). */
static const char SQL_ASSET_UPDATE[] =
    "WITH old AS (SELECT * FROM asset t WHERE " MATCH_1_2 " FOR UPDATE),"
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
    "  availability = CASE WHEN ($4::int & 512) <> 0 THEN $14::int ELSE x.availability END,"
    "  tags = CASE WHEN ($4::int & 1024) <> 0 THEN $15::text[] ELSE x.tags END,"
    "  status = CASE WHEN ($4::int & 2048) <> 0 THEN $16 ELSE x.status END,"
    "  version = x.version + 1, updated_at = now(), updated_by = $17"
    "  FROM old WHERE x.num = old.num AND ($3::bigint = 0 OR x.version = $3::bigint)"
    "  RETURNING x.*),"
    " a AS (SELECT audit_append($17, $18, '/isms.v1.Asset/Update', 'asset:A-' || u.num,"
    "  audit_diff(" JSON_OLD ", " JSON_U "), 'OK') AS seq FROM u, old)"
    " SELECT (SELECT count(*) FROM old), (SELECT version FROM old), " COLS_U
    " FROM (SELECT 1) one LEFT JOIN (u CROSS JOIN a) ON true";
ISMS_STATEMENT(STMT_ASSET_UPDATE, SQL_ASSET_UPDATE, "num", "name", "expected_version", "fields",
               "new_name", "type", "description", "owner", "custodian", "location",
               "classification", "confidentiality", "integrity", "availability", "tags", "status",
               "actor", "source");

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
    "  AS seq FROM d)"
    " SELECT t.num, t.name, t.version, (SELECT n FROM users), (SELECT names FROM users),"
    " (SELECT refs FROM risks), (SELECT count(*) FROM d), (SELECT count(*) FROM a)"
    " FROM (SELECT 1) one LEFT JOIN t ON true";
ISMS_STATEMENT(STMT_ASSET_DELETE, SQL_ASSET_DELETE, "num", "name", "expected_version", "actor",
               "source");

/* $1/$2 the dependent asset, $3/$4 the one it depends on, $5 actor, $6 source. Columns: x num,
 * x name, y num, y name, cycle?, rows inserted, audit records. */
static const char SQL_ASSET_DEPEND[] =
    "WITH x AS (SELECT t.num, t.name FROM asset t WHERE " MATCH_1_2 "),"
    " y AS (SELECT t.num, t.name FROM asset t WHERE " MATCH_3_4 "),"
    " c AS (SELECT asset_dependency_cycle(x.num, y.num) AS cyc FROM x, y),"
    " old AS (SELECT " DEPS_OF_X " AS names FROM x),"
    " ins AS (INSERT INTO asset_dependency (asset_num, depends_on_num, created_by)"
    "  SELECT x.num, y.num, $5 FROM x, y, c WHERE NOT c.cyc ON CONFLICT DO NOTHING"
    "  RETURNING asset_num),"
    " u AS (UPDATE asset SET version = version + 1, updated_at = now(), updated_by = $5"
    "  WHERE num IN (SELECT asset_num FROM ins) RETURNING num),"
    " a AS (SELECT audit_append($5, $6, '/isms.v1.Asset/AddDependency', 'asset:A-' || x.num,"
    "  jsonb_build_object('depends_on', jsonb_build_object('before', old.names,"
    "  'after', old.names || to_jsonb(y.name)))::text, 'OK') AS seq FROM x, y, old, u)"
    " SELECT (SELECT num FROM x), (SELECT name FROM x), (SELECT num FROM y),"
    " (SELECT name FROM y), (SELECT cyc FROM c), (SELECT count(*) FROM ins),"
    " (SELECT count(*) FROM a)";
ISMS_STATEMENT(STMT_ASSET_DEPEND, SQL_ASSET_DEPEND, "num", "name", "dep_num", "dep_name", "actor",
               "source");

static const char SQL_ASSET_UNDEPEND[] =
    "WITH x AS (SELECT t.num, t.name FROM asset t WHERE " MATCH_1_2 "),"
    " y AS (SELECT t.num, t.name FROM asset t WHERE " MATCH_3_4 "),"
    " old AS (SELECT " DEPS_OF_X " AS names FROM x),"
    " d AS (DELETE FROM asset_dependency dd USING x, y WHERE dd.asset_num = x.num"
    "  AND dd.depends_on_num = y.num RETURNING dd.asset_num),"
    " u AS (UPDATE asset SET version = version + 1, updated_at = now(), updated_by = $5"
    "  WHERE num IN (SELECT asset_num FROM d) RETURNING num),"
    " a AS (SELECT audit_append($5, $6, '/isms.v1.Asset/RemoveDependency', 'asset:A-' || x.num,"
    "  jsonb_build_object('depends_on', jsonb_build_object('before', old.names, 'after',"
    "  (SELECT coalesce(jsonb_agg(e), '[]'::jsonb) FROM jsonb_array_elements(old.names) AS e"
    "  WHERE e <> to_jsonb(y.name))))::text, 'OK') AS seq FROM x, y, old, u)"
    " SELECT (SELECT num FROM x), (SELECT name FROM x), (SELECT num FROM y),"
    " (SELECT name FROM y), false, (SELECT count(*) FROM d), (SELECT count(*) FROM a)";
ISMS_STATEMENT(STMT_ASSET_UNDEPEND, SQL_ASSET_UNDEPEND, "num", "name", "dep_num", "dep_name",
               "actor", "source");

static const char SQL_CLASS_LIST[] =
    "SELECT c.level, c.rank, (SELECT count(*) FROM asset a WHERE a.classification = c.level)"
    " FROM asset_classification c ORDER BY c.rank";
ISMS_STATEMENT_NO_PARAMS(STMT_CLASS_LIST, SQL_CLASS_LIST);

/* $1 the new levels (lowest first), $2 actor, $3 source. First column: the levels still in use
 * that the new list leaves out (NULL when the change was made). */
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
    "  AS seq FROM old WHERE NOT EXISTS (SELECT 1 FROM used))"
    " SELECT (SELECT string_agg(format('\"%s\" (%s assets)', level, n), ', ' ORDER BY level)"
    "  FROM used), (SELECT count(*) FROM a), (SELECT count(*) FROM del),"
    " (SELECT count(*) FROM up)";
ISMS_STATEMENT(STMT_CLASS_SET, SQL_CLASS_SET, "levels", "actor", "source");

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

/* Splits a reference into (number, name) query parameters: an "A-<n>" id gives the number and
 * the name parameter is unused. */
static const char *ref_number(const char *ref, char *buf, size_t len)
{
    int64_t num;

    if (!isms_asset_parse_id(ref, &num))
        return NULL;
    snprintf(buf, len, "%" PRId64, num);
    return buf;
}

/* Binds a reference split by ref_number(): its number (NULL for a name) and its text. */
static void bind_ref(struct isms_bind *b, const char *num_param, const char *num,
                     const char *name_param, const char *ref)
{
    if (num != NULL)
        isms_bind_text(b, num_param, num);
    else
        isms_bind_null(b, num_param);
    isms_bind_text(b, name_param, ref);
}

/* Counts the bytes a PostgreSQL text[] literal of items needs (with out == NULL) or writes it. */
static size_t pg_array_put(char *out, char *const *items, size_t n)
{
    size_t len = 0;

#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (out != NULL)                                                                           \
            out[len] = (c);                                                                        \
        len++;                                                                                     \
    } while (0)
    PUT('{');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            PUT(',');
        PUT('"');
        for (const char *p = items[i]; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\')
                PUT('\\');
            PUT(*p);
        }
        PUT('"');
    }
    PUT('}');
    PUT('\0');
#undef PUT
    return len;
}

static char *pg_array(struct isms_arena *a, char *const *items, size_t n)
{
    char *s = isms_arena_alloc(a, pg_array_put(NULL, items, n));

    if (s != NULL)
        pg_array_put(s, items, n);
    return s;
}

/* Splits a copy of `s` at `sep` into an arena array; "" gives no items. NULL on no memory. */
char **isms_asset_split(struct isms_arena *a, const char *s, char sep, size_t *n)
{
    size_t cnt = s[0] == '\0' ? 0 : 1;
    char *copy, **items;

    for (const char *p = s; *p != '\0'; p++)
        cnt += *p == sep;
    items = isms_arena_calloc(a, sizeof(*items) * (cnt + 1));
    copy = isms_arena_strdup(a, s);
    if (items == NULL || copy == NULL)
        return NULL;
    *n = 0;
    if (cnt == 0)
        return items;
    items[(*n)++] = copy;
    for (char *p = copy; *p != '\0'; p++) {
        if (*p == sep) {
            *p = '\0';
            items[(*n)++] = p + 1;
        }
    }
    return items;
}

/* "num<US>name<RS>..." into AssetRefs. */
static Isms__V1__AssetRef **refs_from(struct isms_arena *a, const char *s, size_t *n)
{
    char **items = isms_asset_split(a, s, '\x1e', n);
    Isms__V1__AssetRef **refs;

    if (items == NULL)
        return NULL;
    refs = isms_arena_calloc(a, sizeof(*refs) * (*n + 1));
    if (refs == NULL)
        return NULL;
    for (size_t i = 0; i < *n; i++) {
        char *us = strchr(items[i], '\x1f');
        Isms__V1__AssetRef *r = isms_arena_calloc(a, sizeof(*r));

        if (r == NULL || us == NULL)
            return NULL;
        isms__v1__asset_ref__init(r);
        *us = '\0';
        r->id = isms_arena_printf(a, "A-%s", items[i]);
        r->name = us + 1;
        if (r->id == NULL)
            return NULL;
        refs[i] = r;
    }
    return refs;
}

/* Builds an AssetRecord from the ASSET_COLS at `c0` of row `r`. Text cells are borrowed from
 * `res` (pack the record before the callback returns); arrays live in `a`. NULL: no memory. */
Isms__V1__AssetRecord *isms_asset_record_from_row(struct isms_arena *a, const struct isms_rows *res,
                                                  int r, int c0)
{
    Isms__V1__AssetRecord *m = isms_arena_calloc(a, sizeof(*m));

#define V(c) ((char *)isms_rows_text(res, r, c0 + (c)))
    if (m == NULL)
        return NULL;
    isms__v1__asset_record__init(m);
    m->id = isms_arena_printf(a, "A-%s", V(0));
    m->name = V(1);
    m->type = V(2);
    m->description = V(3);
    m->owner = V(4);
    m->custodian = V(5);
    m->location = V(6);
    m->classification = V(7);
    m->confidentiality = (int32_t)isms_rows_int64(res, r, c0 + 8);
    m->integrity = (int32_t)isms_rows_int64(res, r, c0 + 9);
    m->availability = (int32_t)isms_rows_int64(res, r, c0 + 10);
    m->tags = isms_asset_split(a, V(11), ',', &m->n_tags);
    m->status = V(12);
    m->created_at = V(13);
    m->created_by = V(14);
    m->updated_at = V(15);
    m->updated_by = V(16);
    m->version = isms_rows_int64(res, r, c0 + 17);
    m->depends_on = refs_from(a, V(18), &m->n_depends_on);
    m->required_by = refs_from(a, V(19), &m->n_required_by);
#undef V
    if (m->id == NULL || m->tags == NULL || m->depends_on == NULL || m->required_by == NULL)
        return NULL;
    return m;
}

/* Answers with the record at `c0` of row 0. */
static void finish_record(struct isms_call *call, const struct isms_rows *res, int c0)
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

/* ---- Get and read-back --------------------------------------------------------------------- */

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
    finish_record(call, res, 0);
}

/* Answers with asset number op->readback_num as it is now. */
static void read_back(struct isms_call *call)
{
    struct isms_asset_op *op = call->ctx;
    struct isms_bind b;

    op->ref = isms_arena_printf(&call->arena, "A-%" PRId64, op->readback_num);
    if (op->ref == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    isms_bind_init(&b, &STMT_ASSET_GET);
    isms_bind_int64(&b, "num", op->readback_num);
    isms_bind_null(&b, "name");
    isms_call_db_or_fail(call, &b, get_done);
}

/* Checks a reference and prepares its query parameters in `op`. */
static enum isms_code take_ref(struct isms_asset_op *op, const char *field, const char *ref,
                               int second, struct isms_status *st)
{
    if (isms_asset_check_ref(field, ref, st) != ISMS_OK)
        return st->code;
    if (second) {
        op->ref2 = ref;
        op->ref2_num = ref_number(ref, op->num2_buf, sizeof(op->num2_buf));
    } else {
        op->ref = ref;
        op->ref_num = ref_number(ref, op->num_buf, sizeof(op->num_buf));
    }
    return ISMS_OK;
}

static void asset_get(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__GetAssetRequest *in = (const Isms__V1__GetAssetRequest *)msg;
    struct isms_asset_op *op = isms_asset_op_new(call, in);
    struct isms_status st;
    struct isms_bind b;

    if (op == NULL)
        return;
    if (take_ref(op, "id", in->id, 0, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, &STMT_ASSET_GET);
    bind_ref(&b, "num", op->ref_num, "name", in->id);
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
    op->readback_num = isms_rows_int64(res, 0, 1);
    read_back(call);
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
    tags = pg_array(&call->arena, in->tags, in->ntags);
    deps = pg_array(&call->arena, in->depends_on, in->ndepends_on);
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
    if (isms_rows_is_null(res, 0, 2)) {
        isms_call_fail(call, ISMS_ABORTED,
                       "asset \"%s\" was changed by someone else: version %" PRId64
                       " is stale (it is at version %" PRId64 " now); show it again and retry",
                       op->ref, op->expected_version, isms_rows_int64(res, 0, 1));
        return;
    }
    finish_record(call, res, 2);
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
    tags = pg_array(&call->arena, in->tags, in->ntags);
    if (tags == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    isms_bind_init(&b, &STMT_ASSET_UPDATE);
    bind_ref(&b, "num", op->ref_num, "name", op->ref);
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
    if (take_ref(op, "id", in->id, 0, &st) != ISMS_OK) {
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
    if (take_ref(op, "id", in->id, 0, &st) != ISMS_OK) {
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
    bind_ref(&b, "num", op->ref_num, "name", in->id);
    isms_bind_int64(&b, "expected_version", in->expected_version);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, delete_done);
}

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
    op->readback_num = isms_rows_int64(res, 0, 0);
    read_back(call);
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
    if (take_ref(op, "id", in->id, 0, &st) != ISMS_OK ||
        take_ref(op, "depends_on", in->depends_on, 1, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, is_add ? &STMT_ASSET_DEPEND : &STMT_ASSET_UNDEPEND);
    bind_ref(&b, "num", op->ref_num, "name", in->id);
    bind_ref(&b, "dep_num", op->ref2_num, "dep_name", in->depends_on);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, is_add ? add_dep_done : remove_dep_done);
}

static void asset_add_dependency(struct isms_call *call, const ProtobufCMessage *msg)
{
    dependency_call(call, msg, 1);
}

static void asset_remove_dependency(struct isms_call *call, const ProtobufCMessage *msg)
{
    dependency_call(call, msg, 0);
}

/* ---- classification levels ----------------------------------------------------------------- */

static void class_list_done(struct isms_call *call, const struct isms_rows *res,
                            const struct isms_status *st)
{
    Isms__V1__Classifications *c;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
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
        l->level = (char *)isms_rows_text(res, r, 0);
        l->rank = (int32_t)isms_rows_int64(res, r, 1);
        l->asset_count = isms_rows_int64(res, r, 2);
        c->levels[c->n_levels++] = l;
    }
    isms_call_finish(call, &c->base);
    return;
oom:
    isms_asset_fail_oom(call);
}

static void asset_list_classifications(struct isms_call *call, const ProtobufCMessage *msg)
{
    struct isms_bind b;

    (void)msg;
    isms_bind_init(&b, &STMT_CLASS_LIST);
    isms_call_db_or_fail(call, &b, class_list_done);
}

static void class_set_done(struct isms_call *call, const struct isms_rows *res,
                           const struct isms_status *st)
{
    struct isms_bind b;

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
    isms_bind_init(&b, &STMT_CLASS_LIST);
    isms_call_db_or_fail(call, &b, class_list_done);
}

static void asset_set_classifications(struct isms_call *call, const ProtobufCMessage *msg)
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
    levels = pg_array(&call->arena, in->levels, in->n_levels);
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

enum isms_code isms_asset_register(struct isms_server *srv, struct isms_status *st)
{
    /* Order follows the service declaration in proto/isms/v1/asset.proto. */
    static const struct isms_method_spec specs[] = {
        {"Create", asset_create, 0, ISMS_ROLE_MANAGER},
        {"Get", asset_get, 0, ISMS_ROLES_READ},
        {"Update", asset_update, 0, ISMS_ROLE_MANAGER},
        {"Delete", asset_delete, 0, ISMS_ROLE_MANAGER},
        {"List", isms_asset_list, 0, ISMS_ROLES_READ},
        {"AddDependency", asset_add_dependency, 0, ISMS_ROLE_MANAGER},
        {"RemoveDependency", asset_remove_dependency, 0, ISMS_ROLE_MANAGER},
        {"Import", isms_asset_import, 0, ISMS_ROLE_MANAGER},
        {"ListClassifications", asset_list_classifications, 0, ISMS_ROLES_READ},
        {"SetClassifications", asset_set_classifications, 0, ISMS_ROLE_MANAGER},
    };

    return isms_registry_add(&srv->reg, &isms__v1__asset__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
