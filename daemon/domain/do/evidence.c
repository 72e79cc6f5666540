/* domain/do/evidence.c — Evidence/Create, Get, Download: the evidence store (Annex A
 * controls, 9.1, 9.2). A record is a completed upload (attached in the same statement that
 * creates it, with its audit record) or a URL; the controls and risks it names must exist. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "auth/roles.h"
#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/do/doc_rules.h"
#include "domain/do/upload.h"
#include "domain/domain.h"
#include "domain/plan/control_rules.h"
#include "isms/v1/evidence.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"
#include "rpc/server.h"

#define SEP       ISMS_CONTROL_SEP_SQL
#define LINKS_MAX 100

static const char SQL_EVIDENCE_GET[] =
    "SELECT num, title, shows, url, filename, size, coalesce(encode(sha256, 'hex'), ''),"
    " collected_at::text, collected_by, coalesce(valid_until::text, ''),"
    " coalesce(valid_until < current_date, false), array_to_string(controls, " SEP "),"
    " array_to_string(risks, " SEP "), version, created_by, " ISMS_SQL_TS(
        "created_at") ","
                      " coalesce(blob_id::text, '') FROM evidence WHERE num = $1::bigint";
ISMS_STATEMENT(STMT_EVIDENCE_GET, SQL_EVIDENCE_GET, "num");

/* $1 title, $2 shows, $3 url, $4 upload, $5 collected_at, $6 collected_by, $7 valid_until,
 * $8 controls, $9 risks, $10 actor, $11 source. Columns: collector exists, first unknown
 * control, first unknown risk, upload attached, new number. */
static const char SQL_EVIDENCE_CREATE[] =
    "WITH who AS (SELECT name FROM app_user WHERE name = $6::text),"
    " ctl AS (SELECT c, regexp_replace(c, '^[Aa]\\.', '') AS id, o"
    "  FROM unnest(string_to_array($8::text, " SEP ")) WITH ORDINALITY AS x (c, o)),"
    " badc AS (SELECT c FROM ctl WHERE NOT EXISTS (SELECT 1 FROM control WHERE id = ctl.id)"
    "  ORDER BY o LIMIT 1),"
    " rsk AS (SELECT r, o FROM unnest(string_to_array($9::text, " SEP ")) WITH ORDINALITY"
    "  AS x (r, o)),"
    " badr AS (SELECT r FROM rsk WHERE NOT EXISTS (SELECT 1 FROM risk WHERE 'R-' || num ="
    "  upper(rsk.r)) ORDER BY o LIMIT 1),"
    " go AS (SELECT 1 FROM who WHERE NOT EXISTS (SELECT 1 FROM badc)"
    "  AND NOT EXISTS (SELECT 1 FROM badr)),"
    " blob AS (UPDATE file_blob f SET state = 'attached', touched_at = now() FROM go"
    "  WHERE $4::text <> '' AND f.id = nullif($4::text, '')::uuid AND f.owner = $10::text"
    "  AND f.state = 'complete' AND f.touched_at > now() - " ISMS_UPLOAD_TTL_SQL
    "  RETURNING f.id, f.filename, f.declared_size, f.sha256),"
    " ins AS (INSERT INTO evidence (title, shows, url, blob_id, filename, size, sha256,"
    "  collected_at, collected_by, valid_until, controls, risks, created_by)"
    "  SELECT $1::text, $2::text, $3::text, blob.id, coalesce(blob.filename, ''),"
    "  coalesce(blob.declared_size, 0), blob.sha256,"
    "  coalesce(nullif($5::text, '')::date, current_date), $6::text,"
    "  nullif($7::text, '')::date, coalesce((SELECT array_agg(id ORDER BY o) FROM ctl), '{}'),"
    "  coalesce((SELECT array_agg(upper(r) ORDER BY o) FROM rsk), '{}'), $10::text"
    "  FROM go LEFT JOIN blob ON true WHERE $4::text = '' OR blob.id IS NOT NULL RETURNING *),"
    " a AS (SELECT audit_append($10::text, $11::text, '/isms.v1.Evidence/Create',"
    "  'evidence:EV-' || ins.num, audit_diff(NULL, jsonb_build_object('title', ins.title,"
    "  'shows', ins.shows, 'url', ins.url, 'sha256', encode(ins.sha256, 'hex'), 'size', ins.size,"
    "  'collected_at', ins.collected_at, 'collected_by', ins.collected_by,"
    "  'valid_until', ins.valid_until, 'controls', to_jsonb(ins.controls),"
    "  'risks', to_jsonb(ins.risks))), 'OK') AS seq FROM ins)" ISMS_SQL_IDEM(
        "$12",
        "a") " SELECT (SELECT count(*) FROM who), (SELECT c FROM badc), (SELECT r FROM badr),"
             " (SELECT count(*) FROM blob), (SELECT num FROM ins)";
ISMS_STATEMENT(STMT_EVIDENCE_CREATE, SQL_EVIDENCE_CREATE, "title", "shows", "url", "upload_id",
               "collected_at", "collected_by", "valid_until", "controls", "risks", "actor",
               "source", ISMS_SQL_IDEM_PARAM);

static void fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory for this request");
}

struct ev_op {
    int64_t num;
    int is_download;
    const Isms__V1__CreateEvidenceRequest *create;
};

static char *cell(struct isms_call *call, const struct isms_rows *res, int c)
{
    return isms_arena_strdup(&call->arena, isms_rows_text(res, 0, c));
}

static void get_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    struct ev_op *op = call->ctx;
    Isms__V1__EvidenceRecord *e;
    char **controls, **risks;
    size_t nc, nr;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_NOT_FOUND, "evidence \"EV-%" PRId64 "\" does not exist", op->num);
        return;
    }
    if (op->is_download) {
        if (isms_rows_text(res, 0, 16)[0] == '\0') {
            isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                           "EV-%" PRId64 " is a URL, not a file: %s", op->num,
                           isms_rows_text(res, 0, 3));
            return;
        }
        isms_file_download(call, isms_rows_text(res, 0, 16), (uint64_t)isms_rows_int64(res, 0, 5),
                           isms_rows_text(res, 0, 6), isms_rows_text(res, 0, 4), 0);
        return;
    }
    e = isms_arena_calloc(&call->arena, sizeof(*e));
    if (e == NULL ||
        !isms_control_split(&call->arena, isms_rows_text(res, 0, 11), &controls, &nc) ||
        !isms_control_split(&call->arena, isms_rows_text(res, 0, 12), &risks, &nr)) {
        fail_oom(call);
        return;
    }
    isms__v1__evidence_record__init(e);
    e->id = isms_arena_printf(&call->arena, "EV-%" PRId64, op->num);
    e->title = cell(call, res, 1);
    e->shows = cell(call, res, 2);
    e->url = cell(call, res, 3);
    e->filename = cell(call, res, 4);
    e->size = (uint64_t)isms_rows_int64(res, 0, 5);
    e->sha256 = cell(call, res, 6);
    e->collected_at = cell(call, res, 7);
    e->collected_by = cell(call, res, 8);
    e->valid_until = cell(call, res, 9);
    e->is_expired = strcmp(isms_rows_text(res, 0, 10), "t") == 0;
    e->controls = controls;
    e->n_controls = nc;
    e->risks = risks;
    e->n_risks = nr;
    e->version = isms_rows_int64(res, 0, 13);
    e->created_by = cell(call, res, 14);
    e->created_at = cell(call, res, 15);
    if (e->id == NULL || e->title == NULL || e->shows == NULL || e->url == NULL ||
        e->filename == NULL || e->sha256 == NULL || e->collected_at == NULL ||
        e->collected_by == NULL || e->valid_until == NULL || e->created_by == NULL ||
        e->created_at == NULL) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &e->base);
}

static void reply(struct isms_call *call, struct ev_op *op)
{
    struct isms_bind b;

    call->ctx = op;
    isms_bind_init(&b, &STMT_EVIDENCE_GET);
    isms_bind_int64(&b, "num", op->num);
    isms_call_db_or_fail(call, &b, get_done);
}

static void start_get(struct isms_call *call, const ProtobufCMessage *msg, int is_download)
{
    const Isms__V1__GetEvidenceRequest *in = (const Isms__V1__GetEvidenceRequest *)msg;
    struct ev_op *op = isms_arena_calloc(&call->arena, sizeof(*op));
    struct isms_status st;

    if (op == NULL) {
        fail_oom(call);
        return;
    }
    if (isms_doc_ref_parse("id", "EV", in->id, &op->num, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    op->is_download = is_download;
    reply(call, op);
}

static void evidence_get(struct isms_call *call, const ProtobufCMessage *msg)
{
    start_get(call, msg, 0);
}

static void evidence_download(struct isms_call *call, const ProtobufCMessage *msg)
{
    start_get(call, msg, 1);
}

static void create_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    struct ev_op *op = call->ctx;
    const Isms__V1__CreateEvidenceRequest *in = op->create;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "collected_by: account \"%s\" does not exist",
                       in->collected_by[0] != '\0' ? in->collected_by : isms_call_actor(call));
        return;
    }
    if (!isms_rows_is_null(res, 0, 1)) {
        isms_call_fail(call, ISMS_NOT_FOUND, "control \"%s\" does not exist",
                       isms_rows_text(res, 0, 1));
        return;
    }
    if (!isms_rows_is_null(res, 0, 2)) {
        isms_call_fail(call, ISMS_NOT_FOUND, "risk \"%s\" does not exist",
                       isms_rows_text(res, 0, 2));
        return;
    }
    if (isms_rows_is_null(res, 0, 4)) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "upload \"%s\" is not a complete upload of yours (unfinished, attached "
                       "already, aborted or expired)",
                       in->upload_id);
        return;
    }
    op->num = isms_rows_int64(res, 0, 4);
    reply(call, op);
}

static void evidence_create(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__CreateEvidenceRequest *in = (const Isms__V1__CreateEvidenceRequest *)msg;
    struct ev_op *op;
    struct isms_status st;
    struct isms_bind b;
    char *controls, *risks;

    if (isms_text_check("title", in->title, 200, 1, &st) != ISMS_OK ||
        isms_text_check("shows", in->shows, 2000, 0, &st) != ISMS_OK ||
        isms_text_check("collected_by", in->collected_by, 64, 0, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if ((in->url[0] != '\0') == (in->upload_id[0] != '\0')) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "give either url or upload_id (a file), not both or neither");
        return;
    }
    if (in->url[0] != '\0' &&
        (strstr(in->url, "://") == NULL || isms_control_check_evidence(in->url, &st) != ISMS_OK)) {
        if (strstr(in->url, "://") == NULL)
            isms_call_fail(call, ISMS_INVALID_ARGUMENT, "url \"%.60s\" is not an http(s) URL",
                           in->url);
        else
            isms_call_fail_status(call, &st);
        return;
    }
    if (in->upload_id[0] != '\0' && !isms_uuid_text_ok(in->upload_id)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "upload_id \"%.40s\" is not an upload id",
                       in->upload_id);
        return;
    }
    if (!isms_doc_date_ok(in->collected_at) || !isms_doc_date_ok(in->valid_until)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "collected_at and valid_until are YYYY-MM-DD dates, got \"%.20s\" and "
                       "\"%.20s\"",
                       in->collected_at, in->valid_until);
        return;
    }
    if (in->n_controls > LINKS_MAX || in->n_risks > LINKS_MAX) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "at most %d controls and %d risks", LINKS_MAX,
                       LINKS_MAX);
        return;
    }
    for (size_t i = 0; i < in->n_controls; i++)
        if (isms_text_check("controls", in->controls[i], 40, 1, &st) != ISMS_OK) {
            isms_call_fail_status(call, &st);
            return;
        }
    for (size_t i = 0; i < in->n_risks; i++)
        if (isms_text_check("risks", in->risks[i], 40, 1, &st) != ISMS_OK) {
            isms_call_fail_status(call, &st);
            return;
        }
    op = isms_arena_calloc(&call->arena, sizeof(*op));
    controls = isms_control_join(&call->arena, in->controls, in->n_controls);
    risks = isms_control_join(&call->arena, in->risks, in->n_risks);
    if (op == NULL || controls == NULL || risks == NULL) {
        fail_oom(call);
        return;
    }
    op->create = in;
    call->ctx = op;
    isms_bind_init(&b, &STMT_EVIDENCE_CREATE);
    isms_bind_text(&b, "title", in->title);
    isms_bind_text(&b, "shows", in->shows);
    isms_bind_text(&b, "url", in->url);
    isms_bind_text(&b, "upload_id", in->upload_id);
    isms_bind_text(&b, "collected_at", in->collected_at);
    isms_bind_text(&b, "collected_by",
                   in->collected_by[0] != '\0' ? in->collected_by : isms_call_actor(call));
    isms_bind_text(&b, "valid_until", in->valid_until);
    isms_bind_text(&b, "controls", controls);
    isms_bind_text(&b, "risks", risks);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, create_done);
}

enum isms_code isms_evidence_register(struct isms_server *srv, struct isms_status *st)
{
    static const struct isms_method_spec specs[] = {
        {"Create", evidence_create, 0, ISMS_ROLE_MANAGER | ISMS_ROLE_CONTRIBUTOR},
        {"Get", evidence_get, 0, ISMS_ROLES_READ},
        {"Download", evidence_download, ISMS_METHOD_STREAM, ISMS_ROLES_READ},
    };

    return isms_registry_add(&srv->reg, &isms__v1__evidence__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
