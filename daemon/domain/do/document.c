/* domain/do/document.c — Document/Create, Get, AddVersion and the version lifecycle (Submit,
 * Approve, Publish, Retire) and Download. Each write is one statement with its audit record;
 * a lifecycle change first reads the version, decides with doc_rules.c, then writes guarded by
 * the state it read (ABORTED when someone moved it meanwhile). A published version's body and
 * hash never change (trigger doc_version_guard, schema/050). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "auth/roles.h"
#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/do/doc_internal.h"
#include "domain/do/doc_rules.h"
#include "domain/do/upload.h"
#include "domain/domain.h"
#include "domain/plan/control_rules.h"
#include "isms/v1/document.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"
#include "rpc/server.h"

#define SEP ISMS_CONTROL_SEP_SQL

/* Document columns (0..13), then version columns (14..25, NULL without versions). */
static const char SQL_DOC_GET[] =
    "SELECT d.num, d.title, d.type, d.is_isms_policy, d.owner, d.classification,"
    " array_to_string(d.serves, " SEP "), d.review_months, coalesce(d.next_review::text, ''),"
    " d.retention, d.version, d.created_by, " ISMS_SQL_TS(
        "d.created_at") ","
                        " coalesce((SELECT n FROM doc_version p WHERE p.doc_num = d.num AND "
                        "p.state = 'published'), 0),"
                        " v.n, v.state, v.author, v.note, v.filename, v.size, encode(v.sha256, "
                        "'hex'), v.external_ref,"
                        " coalesce(v.approved_by, ''), coalesce(" ISMS_SQL_TS(
                            "v.approved_at") ", ''),"
                                             " coalesce(" ISMS_SQL_TS(
                                                 "v.published_at") ", ''), " ISMS_SQL_TS("v."
                                                                                         "created_"
                                                                                         "at") " FR"
                                                                                               "OM "
                                                                                               "doc"
                                                                                               "ume"
                                                                                               "nt "
                                                                                               "d "
                                                                                               "LEF"
                                                                                               "T "
                                                                                               "JOI"
                                                                                               "N "
                                                                                               "doc"
                                                                                               "_ve"
                                                                                               "rsi"
                                                                                               "on "
                                                                                               "v "
                                                                                               "ON "
                                                                                               "v."
                                                                                               "doc"
                                                                                               "_nu"
                                                                                               "m "
                                                                                               "= "
                                                                                               "d."
                                                                                               "num"
                                                                                               " WH"
                                                                                               "ERE"
                                                                                               " d."
                                                                                               "num"
                                                                                               " = "
                                                                                               "$1:"
                                                                                               ":bi"
                                                                                               "gin"
                                                                                               "t"
                                                                                               " OR"
                                                                                               "DER"
                                                                                               " BY"
                                                                                               " v."
                                                                                               "n "
                                                                                               "DES"
                                                                                               "C";
ISMS_STATEMENT(STMT_DOC_GET, SQL_DOC_GET, "num");

/* $1 title .. $9 retention, $10 actor, $11 source. */
static const char SQL_DOC_CREATE[] =
    "WITH own AS (SELECT name FROM app_user WHERE name = $4::text AND status = 'active'),"
    " ins AS (INSERT INTO document (title, type, is_isms_policy, owner, classification, serves,"
    "  review_months, next_review, retention, created_by)"
    "  SELECT $1::text, $2::text, $3::boolean, own.name, $5::text,"
    "  string_to_array($6::text, " SEP "), $7::int, coalesce(nullif($8::text, '')::date,"
    "  (current_date + make_interval(months => $7::int))::date), $9::text, $10::text FROM own"
    "  RETURNING *),"
    " a AS (SELECT audit_append($10::text, $11::text, '/isms.v1.Document/Create',"
    "  'document:DOC-' || ins.num, audit_diff(NULL, jsonb_build_object('title', ins.title,"
    "  'type', ins.type, 'is_isms_policy', ins.is_isms_policy, 'owner', ins.owner,"
    "  'classification', ins.classification, 'serves', to_jsonb(ins.serves),"
    "  'review_months', ins.review_months, 'next_review', ins.next_review,"
    "  'retention', ins.retention)), 'OK') AS seq FROM ins)" ISMS_SQL_IDEM(
        "$12", "a") " SELECT (SELECT count(*) FROM own), (SELECT num FROM ins)";
ISMS_STATEMENT(STMT_DOC_CREATE, SQL_DOC_CREATE, "title", "type", "is_isms_policy", "owner",
               "classification", "serves", "review_months", "next_review", "retention", "actor",
               "source", ISMS_SQL_IDEM_PARAM);

/* $1 doc, $2 upload ('' for a reference), $3 reference, $4 its sha256 hex, $5 note, $6 actor,
 * $7 source. Columns: document exists, its type, upload attached, new version number. */
static const char SQL_DOC_ADD_VERSION[] =
    "WITH d AS (SELECT num, type FROM document WHERE num = $1::bigint FOR UPDATE),"
    " ok AS (SELECT d.num FROM d WHERE $2::text <> '' OR d.type = 'external'),"
    " blob AS (UPDATE file_blob f SET state = 'attached', touched_at = now() FROM ok"
    "  WHERE $2::text <> '' AND f.id = nullif($2::text, '')::uuid AND f.owner = $6::text"
    "  AND f.state = 'complete' AND f.touched_at > now() - " ISMS_UPLOAD_TTL_SQL
    "  RETURNING f.id, f.filename, f.declared_size, f.sha256),"
    " nv AS (SELECT coalesce(max(n), 0) + 1 AS n FROM doc_version WHERE doc_num = $1::bigint),"
    " ins AS (INSERT INTO doc_version (doc_num, n, author, note, blob_id, external_ref,"
    "  filename, size, sha256)"
    "  SELECT ok.num, nv.n, $6::text, $5::text, blob.id, '', blob.filename, blob.declared_size,"
    "  blob.sha256 FROM ok, nv, blob"
    "  UNION ALL SELECT ok.num, nv.n, $6::text, $5::text, NULL, $3::text, '', 0,"
    "  decode($4::text, 'hex') FROM ok, nv WHERE $2::text = ''"
    "  RETURNING doc_num, n, size, sha256, external_ref),"
    " a AS (SELECT audit_append($6::text, $7::text, '/isms.v1.Document/AddVersion',"
    "  'document:DOC-' || ins.doc_num || '/v' || ins.n, audit_diff(NULL,"
    "  jsonb_build_object('state', 'draft', 'size', ins.size, 'sha256',"
    "  encode(ins.sha256, 'hex'), 'external_ref', ins.external_ref)), 'OK') AS seq FROM "
    "ins)" ISMS_SQL_IDEM("$8", "a") " SELECT (SELECT count(*) FROM d), (SELECT type FROM d),"
                                    " (SELECT count(*) FROM blob), (SELECT n FROM ins)";
ISMS_STATEMENT(STMT_DOC_ADD_VERSION, SQL_DOC_ADD_VERSION, "num", "upload_id", "external_ref",
               "sha256", "note", "actor", "source", ISMS_SQL_IDEM_PARAM);

/* $1 doc, $2 version (0: the published one when $3, else the newest), $3 prefer published.
 * Columns: version number, state, author, is 5.2 policy, blob id, external reference,
 * filename, size, sha256 hex, then a last row: whether the document exists. */
static const char SQL_DOC_VERSION_LOAD[] =
    "SELECT v.n, v.state, v.author, d.is_isms_policy, coalesce(v.blob_id::text, ''),"
    " v.external_ref, v.filename, v.size, encode(v.sha256, 'hex'), 1"
    " FROM document d JOIN doc_version v ON v.doc_num = d.num WHERE d.num = $1::bigint"
    " AND v.n = CASE WHEN $2::int <> 0 THEN $2::int WHEN $3::boolean THEN coalesce((SELECT n"
    "  FROM doc_version p WHERE p.doc_num = d.num AND p.state = 'published'),"
    "  (SELECT max(n) FROM doc_version m WHERE m.doc_num = d.num))"
    "  ELSE (SELECT max(n) FROM doc_version m WHERE m.doc_num = d.num) END"
    " UNION ALL SELECT 0, '', '', false, '', '', '', 0, '', count(*) FROM document"
    " WHERE num = $1::bigint";
ISMS_STATEMENT(STMT_DOC_VERSION_LOAD, SQL_DOC_VERSION_LOAD, "num", "version", "published");

/* $1 doc, $2 version, $3 state read, $4 new state, $5 actor, $6 source, $7 method. Publishing
 * supersedes the published version first (sup runs before v: v reads it). */
static const char SQL_DOC_TRANSITION[] =
    "WITH cur AS (SELECT n FROM doc_version WHERE doc_num = $1::bigint AND n = $2::int"
    "  AND state = $3::text FOR UPDATE),"
    " sup AS (UPDATE doc_version o SET state = 'superseded', ended_at = now() FROM cur"
    "  WHERE $4::text = 'published' AND o.doc_num = $1::bigint AND o.state = 'published'"
    "  AND o.n <> cur.n RETURNING o.n),"
    " v AS (UPDATE doc_version x SET state = $4::text,"
    "  approved_by = CASE WHEN $4::text = 'approved' THEN $5::text ELSE x.approved_by END,"
    "  approved_at = CASE WHEN $4::text = 'approved' THEN now() ELSE x.approved_at END,"
    "  published_at = CASE WHEN $4::text = 'published' THEN now() ELSE x.published_at END,"
    "  ended_at = CASE WHEN $4::text = 'retired' THEN now() ELSE x.ended_at END"
    "  FROM cur WHERE x.doc_num = $1::bigint AND x.n = cur.n"
    "  AND (SELECT count(*) FROM sup) >= 0 RETURNING x.n),"
    " a AS (SELECT audit_append($5::text, $6::text, $7::text,"
    "  'document:DOC-' || $1::bigint || '/v' || v.n, audit_diff(jsonb_build_object('state',"
    "  $3::text), jsonb_build_object('state', $4::text, 'superseded',"
    "  (SELECT to_jsonb(array_agg(n)) FROM sup))), 'OK') AS seq FROM v)" ISMS_SQL_IDEM(
        "$8", "a") " SELECT (SELECT count(*) FROM v), (SELECT count(*) FROM sup)";
ISMS_STATEMENT(STMT_DOC_TRANSITION, SQL_DOC_TRANSITION, "num", "version", "state", "next", "actor",
               "source", "method", ISMS_SQL_IDEM_PARAM);

void isms_doc_fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory for this request");
}

/* ---- Get ----------------------------------------------------------------------------------- */

static char *cell(struct isms_call *call, const struct isms_rows *res, int r, int c)
{
    return isms_arena_strdup(&call->arena, isms_rows_text(res, r, c));
}

static Isms__V1__DocVersion *version_from_row(struct isms_call *call, const struct isms_rows *res,
                                              int r, int64_t num)
{
    Isms__V1__DocVersion *v = isms_arena_calloc(&call->arena, sizeof(*v));

    if (v == NULL)
        return NULL;
    isms__v1__doc_version__init(v);
    v->id = isms_arena_printf(&call->arena, "DOC-%" PRId64, num);
    v->version = (int32_t)isms_rows_int64(res, r, 14);
    v->state = cell(call, res, r, 15);
    v->author = cell(call, res, r, 16);
    v->note = cell(call, res, r, 17);
    v->filename = cell(call, res, r, 18);
    v->size = (uint64_t)isms_rows_int64(res, r, 19);
    v->sha256 = cell(call, res, r, 20);
    v->external_ref = cell(call, res, r, 21);
    v->approved_by = cell(call, res, r, 22);
    v->approved_at = cell(call, res, r, 23);
    v->published_at = cell(call, res, r, 24);
    v->created_at = cell(call, res, r, 25);
    if (v->id == NULL || v->state == NULL || v->author == NULL || v->note == NULL ||
        v->filename == NULL || v->sha256 == NULL || v->external_ref == NULL ||
        v->approved_by == NULL || v->approved_at == NULL || v->published_at == NULL ||
        v->created_at == NULL)
        return NULL;
    return v;
}

struct get_op {
    int64_t num;
    int32_t only_version; /* answer with this version (a DocVersion), 0: the document */
};

static void get_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    struct get_op *op = call->ctx;
    Isms__V1__DocumentRecord *d;
    int n = isms_rows_count(res);
    size_t nv = 0;
    char **serves;
    size_t nserves;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (n == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "document \"DOC-%" PRId64 "\" does not exist",
                       op->num);
        return;
    }
    if (op->only_version != 0) {
        for (int r = 0; r < n; r++) {
            if (!isms_rows_is_null(res, r, 14) && isms_rows_int64(res, r, 14) == op->only_version) {
                Isms__V1__DocVersion *v = version_from_row(call, res, r, op->num);

                if (v == NULL)
                    isms_doc_fail_oom(call);
                else
                    isms_call_finish(call, &v->base);
                return;
            }
        }
        isms_call_fail(call, ISMS_NOT_FOUND, "DOC-%" PRId64 " has no version %" PRId32, op->num,
                       op->only_version);
        return;
    }
    d = isms_arena_calloc(&call->arena, sizeof(*d));
    if (d == NULL) {
        isms_doc_fail_oom(call);
        return;
    }
    isms__v1__document_record__init(d);
    d->id = isms_arena_printf(&call->arena, "DOC-%" PRId64, op->num);
    d->title = cell(call, res, 0, 1);
    d->type = cell(call, res, 0, 2);
    d->is_isms_policy = strcmp(isms_rows_text(res, 0, 3), "t") == 0;
    d->owner = cell(call, res, 0, 4);
    d->classification = cell(call, res, 0, 5);
    if (!isms_control_split(&call->arena, isms_rows_text(res, 0, 6), &serves, &nserves)) {
        isms_doc_fail_oom(call);
        return;
    }
    d->serves = serves;
    d->n_serves = nserves;
    d->review_months = (int32_t)isms_rows_int64(res, 0, 7);
    d->next_review = cell(call, res, 0, 8);
    d->retention = cell(call, res, 0, 9);
    d->version = isms_rows_int64(res, 0, 10);
    d->created_by = cell(call, res, 0, 11);
    d->created_at = cell(call, res, 0, 12);
    d->published_version = (int32_t)isms_rows_int64(res, 0, 13);
    d->versions = isms_arena_calloc(&call->arena, sizeof(*d->versions) * (size_t)(n + 1));
    if (d->versions == NULL) {
        isms_doc_fail_oom(call);
        return;
    }
    for (int r = 0; r < n; r++) {
        if (isms_rows_is_null(res, r, 14))
            continue;
        d->versions[nv] = version_from_row(call, res, r, op->num);
        if (d->versions[nv] == NULL) {
            isms_doc_fail_oom(call);
            return;
        }
        nv++;
    }
    d->n_versions = nv;
    if (d->id == NULL || d->title == NULL || d->type == NULL || d->owner == NULL ||
        d->classification == NULL || d->next_review == NULL || d->retention == NULL ||
        d->created_by == NULL || d->created_at == NULL) {
        isms_doc_fail_oom(call);
        return;
    }
    isms_call_finish(call, &d->base);
}

void isms_doc_reply(struct isms_call *call, int64_t num, int32_t only_version)
{
    struct get_op *op = isms_arena_calloc(&call->arena, sizeof(*op));
    struct isms_bind b;

    if (op == NULL) {
        isms_doc_fail_oom(call);
        return;
    }
    op->num = num;
    op->only_version = only_version;
    call->ctx = op;
    isms_bind_init(&b, &STMT_DOC_GET);
    isms_bind_int64(&b, "num", num);
    isms_call_db_or_fail(call, &b, get_done);
}

static void doc_get(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__GetDocumentRequest *in = (const Isms__V1__GetDocumentRequest *)msg;
    struct isms_status st;
    int64_t num;

    if (isms_doc_ref_parse("id", "DOC", in->id, &num, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_doc_reply(call, num, 0);
}

/* ---- Create -------------------------------------------------------------------------------- */

static void create_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    const Isms__V1__CreateDocumentRequest *in = call->ctx;

    if (st->code == ISMS_ALREADY_EXISTS) {
        isms_call_fail(call, ISMS_ALREADY_EXISTS,
                       "5.2: the register already holds the information security policy; update "
                       "that document with a new version");
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "owner \"%s\" is not an active account", in->owner);
        return;
    }
    isms_doc_reply(call, isms_rows_int64(res, 0, 1), 0);
}

static void doc_create(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__CreateDocumentRequest *in = (const Isms__V1__CreateDocumentRequest *)msg;
    int32_t months = in->review_months != 0 ? in->review_months : 12;
    struct isms_status st;
    struct isms_bind b;
    char *serves;

    if (isms_text_check("title", in->title, 200, 1, &st) != ISMS_OK ||
        isms_text_check("owner", in->owner, 64, 1, &st) != ISMS_OK ||
        isms_text_check("classification", in->classification, 64, 0, &st) != ISMS_OK ||
        isms_text_check("retention", in->retention, 200, 0, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (!isms_doc_type_ok(in->type)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "type \"%.40s\" is not one of policy, topic_policy, procedure, standard, "
                       "plan, record, external",
                       in->type);
        return;
    }
    if (in->is_isms_policy && strcmp(in->type, "policy") != 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "5.2: only a document of type policy can be the information security "
                       "policy, not %s",
                       in->type);
        return;
    }
    if (months < 1 || months > 120) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "review_months must be 1..120, got %" PRId32,
                       months);
        return;
    }
    if (!isms_doc_date_ok(in->next_review)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "next_review \"%.20s\" is not a YYYY-MM-DD date", in->next_review);
        return;
    }
    if (in->n_serves > 100) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "serves: at most 100 clauses and controls");
        return;
    }
    for (size_t i = 0; i < in->n_serves; i++) {
        if (isms_text_check("serves", in->serves[i], 40, 1, &st) != ISMS_OK) {
            isms_call_fail_status(call, &st);
            return;
        }
    }
    serves = isms_control_join(&call->arena, in->serves, in->n_serves);
    if (serves == NULL) {
        isms_doc_fail_oom(call);
        return;
    }
    call->ctx = (void *)in;
    isms_bind_init(&b, &STMT_DOC_CREATE);
    isms_bind_text(&b, "title", in->title);
    isms_bind_text(&b, "type", in->type);
    isms_bind_bool(&b, "is_isms_policy", in->is_isms_policy);
    isms_bind_text(&b, "owner", in->owner);
    isms_bind_text(&b, "classification",
                   in->classification[0] != '\0' ? in->classification : "internal");
    isms_bind_text(&b, "serves", serves);
    isms_bind_int64(&b, "review_months", months);
    isms_bind_text(&b, "next_review", in->next_review);
    isms_bind_text(&b, "retention", in->retention);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, create_done);
}

/* ---- AddVersion ---------------------------------------------------------------------------- */

struct add_op {
    const Isms__V1__AddDocVersionRequest *in;
    int64_t num;
};

static void add_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    struct add_op *op = call->ctx;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "document \"%s\" does not exist", op->in->id);
        return;
    }
    if (op->in->upload_id[0] == '\0' && strcmp(isms_rows_text(res, 0, 1), "external") != 0) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "7.5.3: %s is not of external origin (type %s); give its body as an "
                       "upload, not a reference",
                       op->in->id, isms_rows_text(res, 0, 1));
        return;
    }
    if (isms_rows_is_null(res, 0, 3)) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "upload \"%s\" is not a complete upload of yours (unfinished, attached "
                       "already, aborted or expired)",
                       op->in->upload_id);
        return;
    }
    isms_doc_reply(call, op->num, (int32_t)isms_rows_int64(res, 0, 3));
}

static void doc_add_version(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__AddDocVersionRequest *in = (const Isms__V1__AddDocVersionRequest *)msg;
    struct add_op *op;
    struct isms_status st;
    struct isms_bind b;
    int64_t num;

    if (isms_doc_ref_parse("id", "DOC", in->id, &num, &st) != ISMS_OK ||
        isms_text_check("note", in->note, 1000, 0, &st) != ISMS_OK ||
        isms_text_check("external_ref", in->external_ref, 1000, 0, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if ((in->upload_id[0] != '\0') == (in->external_ref[0] != '\0')) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "give either upload_id (a file) or external_ref (a document of external "
                       "origin), not both or neither");
        return;
    }
    if (in->upload_id[0] != '\0' && !isms_uuid_text_ok(in->upload_id)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "upload_id \"%.40s\" is not an upload id",
                       in->upload_id);
        return;
    }
    if (in->external_ref[0] != '\0' && !isms_sha256_hex_ok(in->sha256)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "an external reference needs sha256: 64 hex digits, got \"%.70s\"",
                       in->sha256);
        return;
    }
    op = isms_arena_calloc(&call->arena, sizeof(*op));
    if (op == NULL) {
        isms_doc_fail_oom(call);
        return;
    }
    op->in = in;
    op->num = num;
    call->ctx = op;
    isms_bind_init(&b, &STMT_DOC_ADD_VERSION);
    isms_bind_int64(&b, "num", num);
    isms_bind_text(&b, "upload_id", in->upload_id);
    isms_bind_text(&b, "external_ref", in->external_ref);
    isms_bind_text(&b, "sha256", in->external_ref[0] != '\0' ? in->sha256 : "");
    isms_bind_text(&b, "note", in->note);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, add_done);
}

/* ---- lifecycle and download ---------------------------------------------------------------- */

struct version_op {
    const Isms__V1__DocVersionRef *in;
    int64_t num;
    int action; /* enum isms_doc_action, or -1: download */
    int32_t version;
};

static void transition_done(struct isms_call *call, const struct isms_rows *res,
                            const struct isms_status *st)
{
    struct version_op *op = call->ctx;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) != 1) {
        isms_call_fail(call, ISMS_ABORTED,
                       "%s version %" PRId32 " was changed by someone else meanwhile; show it "
                       "again and retry",
                       op->in->id, op->version);
        return;
    }
    isms_doc_reply(call, op->num, op->version);
}

static void version_loaded(struct isms_call *call, const struct isms_rows *res,
                           const struct isms_status *st)
{
    static const char *const methods[] = {"/isms.v1.Document/Submit", "/isms.v1.Document/Approve",
                                          "/isms.v1.Document/Publish", "/isms.v1.Document/Retire"};
    struct version_op *op = call->ctx;
    struct isms_doc_transition t;
    struct isms_status e;
    const char *next;
    struct isms_bind b;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 2) {
        if (isms_rows_int64(res, 0, 9) == 0)
            isms_call_fail(call, ISMS_NOT_FOUND, "document \"%s\" does not exist", op->in->id);
        else if (op->in->version != 0)
            isms_call_fail(call, ISMS_NOT_FOUND, "%s has no version %" PRId32, op->in->id,
                           op->in->version);
        else
            isms_call_fail(call, ISMS_NOT_FOUND, "%s has no versions yet", op->in->id);
        return;
    }
    op->version = (int32_t)isms_rows_int64(res, 0, 0);
    if (op->action < 0) {
        if (isms_rows_text(res, 0, 4)[0] == '\0') {
            isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                           "%s version %" PRId32 " is of external origin: its body is at %s "
                           "(sha256 %s)",
                           op->in->id, op->version, isms_rows_text(res, 0, 5),
                           isms_rows_text(res, 0, 8));
            return;
        }
        isms_file_download(call, isms_rows_text(res, 0, 4), (uint64_t)isms_rows_int64(res, 0, 7),
                           isms_rows_text(res, 0, 8), isms_rows_text(res, 0, 6), op->version);
        return;
    }
    t.action = (enum isms_doc_action)op->action;
    t.doc_id = op->in->id;
    t.version = op->version;
    t.state = isms_rows_text(res, 0, 1);
    t.is_author = strcmp(isms_rows_text(res, 0, 2), isms_call_actor(call)) == 0;
    t.is_isms_policy = strcmp(isms_rows_text(res, 0, 3), "t") == 0;
    t.is_top_management = (call->principal.roles & ISMS_ROLE_TOP_MANAGEMENT) != 0;
    if (isms_doc_decide(&t, &next, &e) != ISMS_OK) {
        isms_call_fail_status(call, &e);
        return;
    }
    isms_bind_init(&b, &STMT_DOC_TRANSITION);
    isms_bind_int64(&b, "num", op->num);
    isms_bind_int64(&b, "version", op->version);
    isms_bind_text(&b, "state", t.state);
    isms_bind_text(&b, "next", next);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_bind_text(&b, "method", methods[op->action]);
    isms_call_db_or_fail(call, &b, transition_done);
}

static void version_start(struct isms_call *call, const ProtobufCMessage *msg, int action)
{
    const Isms__V1__DocVersionRef *in = (const Isms__V1__DocVersionRef *)msg;
    struct version_op *op;
    struct isms_status st;
    struct isms_bind b;
    int64_t num;

    if (isms_doc_ref_parse("id", "DOC", in->id, &num, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (in->version < 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "version must be >= 0, got %" PRId32,
                       in->version);
        return;
    }
    op = isms_arena_calloc(&call->arena, sizeof(*op));
    if (op == NULL) {
        isms_doc_fail_oom(call);
        return;
    }
    op->in = in;
    op->num = num;
    op->action = action;
    call->ctx = op;
    isms_bind_init(&b, &STMT_DOC_VERSION_LOAD);
    isms_bind_int64(&b, "num", num);
    isms_bind_int64(&b, "version", in->version);
    isms_bind_bool(&b, "published", action < 0);
    isms_call_db_or_fail(call, &b, version_loaded);
}

static void doc_submit(struct isms_call *call, const ProtobufCMessage *msg)
{
    version_start(call, msg, ISMS_DOC_SUBMIT);
}

static void doc_approve(struct isms_call *call, const ProtobufCMessage *msg)
{
    version_start(call, msg, ISMS_DOC_APPROVE);
}

static void doc_publish(struct isms_call *call, const ProtobufCMessage *msg)
{
    version_start(call, msg, ISMS_DOC_PUBLISH);
}

static void doc_retire(struct isms_call *call, const ProtobufCMessage *msg)
{
    version_start(call, msg, ISMS_DOC_RETIRE);
}

static void doc_download(struct isms_call *call, const ProtobufCMessage *msg)
{
    version_start(call, msg, -1);
}

enum isms_code isms_document_register(struct isms_server *srv, struct isms_status *st)
{
    static const struct isms_method_spec specs[] = {
        {"Create", doc_create, 0, ISMS_ROLE_MANAGER},
        {"Get", doc_get, 0, ISMS_ROLES_READ},
        {"Update", isms_doc_update, 0, ISMS_ROLE_MANAGER},
        {"List", isms_doc_list, ISMS_METHOD_STREAM, ISMS_ROLES_READ},
        {"AddVersion", doc_add_version, 0, ISMS_ROLE_MANAGER},
        {"Submit", doc_submit, 0, ISMS_ROLE_MANAGER},
        {"Approve", doc_approve, 0, ISMS_ROLE_MANAGER | ISMS_ROLE_TOP_MANAGEMENT},
        {"Publish", doc_publish, 0, ISMS_ROLE_MANAGER},
        {"Retire", doc_retire, 0, ISMS_ROLE_MANAGER},
        {"Download", doc_download, ISMS_METHOD_STREAM, ISMS_ROLES_READ},
        {"Distribute", isms_doc_distribute, 0, ISMS_ROLE_MANAGER},
        {"Acknowledge", isms_doc_acknowledge, 0, ISMS_ROLES_READ},
        {"Acks", isms_doc_acks, 0, ISMS_ROLES_READ},
        {"Pending", isms_doc_pending, 0, ISMS_ROLES_READ},
    };

    return isms_registry_add(&srv->reg, &isms__v1__document__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
