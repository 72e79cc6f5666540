/* domain/do/doc_list.c — Document/Update (the register entry, guarded by expected_version)
 * and Document/List (a keyset-paged stream by document number, without versions). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/do/doc_internal.h"
#include "domain/do/doc_rules.h"
#include "domain/domain.h"
#include "domain/plan/control_rules.h"
#include "isms/v1/document.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"

#define SEP              ISMS_CONTROL_SEP_SQL
#define PAGE_N           100
#define STR(x)           #x
#define XSTR(x)          STR(x)
#define SCRATCH_BYTES    (64u << 10)
#define STREAM_OUT_BELOW (1u << 20)

/* $1 doc, $2 expected version (0: any), then (set flag, value) pairs, $17 actor, $18 source.
 * Columns: exists, current version, owner ok, updated. */
static const char SQL_DOC_UPDATE[] =
    "WITH d AS (SELECT * FROM document WHERE num = $1::bigint FOR UPDATE),"
    " own AS (SELECT name FROM app_user WHERE $5::boolean AND name = $6::text"
    "  AND status = 'active'),"
    " u AS (UPDATE document x SET"
    "  title = CASE WHEN $3::boolean THEN $4::text ELSE x.title END,"
    "  owner = CASE WHEN $5::boolean THEN (SELECT name FROM own) ELSE x.owner END,"
    "  classification = CASE WHEN $7::boolean THEN $8::text ELSE x.classification END,"
    "  serves = CASE WHEN $9::boolean THEN string_to_array($10::text, " SEP ") ELSE x.serves END,"
    "  review_months = CASE WHEN $11::boolean THEN $12::int ELSE x.review_months END,"
    "  next_review = CASE WHEN $13::boolean THEN nullif($14::text, '')::date"
    "   ELSE x.next_review END,"
    "  retention = CASE WHEN $15::boolean THEN $16::text ELSE x.retention END,"
    "  version = x.version + 1, updated_at = now() FROM d WHERE x.num = d.num"
    "  AND ($2::bigint = 0 OR d.version = $2::bigint)"
    "  AND (NOT $5::boolean OR EXISTS (SELECT 1 FROM own)) RETURNING x.*),"
    " a AS (SELECT audit_append($17::text, $18::text, '/isms.v1.Document/Update',"
    "  'document:DOC-' || u.num, audit_diff(to_jsonb(d) - 'updated_at',"
    "  to_jsonb(u) - 'updated_at'), 'OK') AS seq FROM u, d)" ISMS_SQL_IDEM(
        "$19", "a") " SELECT (SELECT count(*) FROM d), (SELECT version FROM d), (SELECT count(*) "
                    "FROM own),"
                    " (SELECT count(*) FROM u)";
ISMS_STATEMENT(STMT_DOC_UPDATE, SQL_DOC_UPDATE, "num", "expected_version", "set_title", "title",
               "set_owner", "owner", "set_classification", "classification", "set_serves", "serves",
               "set_review_months", "review_months", "set_next_review", "next_review",
               "set_retention", "retention", "actor", "source", ISMS_SQL_IDEM_PARAM);

/* $1 after this number, $2 type, $3 owner, $4 due for review. */
static const char SQL_DOC_LIST[] =
    "SELECT d.num, d.title, d.type, d.is_isms_policy, d.owner, d.classification,"
    " array_to_string(d.serves, " SEP "), d.review_months, coalesce(d.next_review::text, ''),"
    " d.retention, d.version, d.created_by, " ISMS_SQL_TS(
        "d.created_at") ","
                        " coalesce((SELECT n FROM doc_version p WHERE p.doc_num = d.num AND "
                        "p.state = 'published'), 0)"
                        " FROM document d WHERE d.num > $1::bigint AND ($2::text = '' OR d.type = "
                        "$2::text)"
                        " AND ($3::text = '' OR d.owner = $3::text)"
                        " AND (NOT $4::boolean OR d.next_review <= current_date) ORDER BY d.num "
                        "LIMIT " XSTR(PAGE_N);
ISMS_STATEMENT(STMT_DOC_LIST, SQL_DOC_LIST, "after", "type", "owner", "due");

/* ---- Update -------------------------------------------------------------------------------- */

struct update_op {
    const Isms__V1__UpdateDocumentRequest *in;
    int64_t num;
};

static void update_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    struct update_op *op = call->ctx;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "document \"%s\" does not exist", op->in->id);
        return;
    }
    if (op->in->set_owner && isms_rows_int64(res, 0, 2) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "owner \"%s\" is not an active account",
                       op->in->owner);
        return;
    }
    if (isms_rows_int64(res, 0, 3) == 0) {
        isms_call_fail(call, ISMS_ABORTED,
                       "document \"%s\" was changed by someone else: version %" PRId64
                       " is stale (it is now %" PRId64 "); show it again and retry",
                       op->in->id, op->in->expected_version, isms_rows_int64(res, 0, 1));
        return;
    }
    isms_doc_reply(call, op->num, 0);
}

void isms_doc_update(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__UpdateDocumentRequest *in = (const Isms__V1__UpdateDocumentRequest *)msg;
    struct update_op *op;
    struct isms_status st;
    struct isms_bind b;
    int64_t num;
    char *serves;

    if (isms_doc_ref_parse("id", "DOC", in->id, &num, &st) != ISMS_OK ||
        (in->set_title && isms_text_check("title", in->title, 200, 1, &st) != ISMS_OK) ||
        (in->set_owner && isms_text_check("owner", in->owner, 64, 1, &st) != ISMS_OK) ||
        (in->set_classification &&
         isms_text_check("classification", in->classification, 64, 1, &st) != ISMS_OK) ||
        (in->set_retention &&
         isms_text_check("retention", in->retention, 200, 0, &st) != ISMS_OK)) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (in->expected_version < 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "expected_version must be >= 0");
        return;
    }
    if (!in->set_title && !in->set_owner && !in->set_classification && !in->set_serves &&
        !in->set_review_months && !in->set_next_review && !in->set_retention) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "nothing to change: give title, owner, classification, serves, "
                       "review_months, next_review or retention");
        return;
    }
    if (in->set_review_months && (in->review_months < 1 || in->review_months > 120)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "review_months must be 1..120, got %" PRId32,
                       in->review_months);
        return;
    }
    if (in->set_next_review && !isms_doc_date_ok(in->next_review)) {
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
    op = isms_arena_calloc(&call->arena, sizeof(*op));
    serves = isms_control_join(&call->arena, in->serves, in->n_serves);
    if (op == NULL || serves == NULL) {
        isms_doc_fail_oom(call);
        return;
    }
    op->in = in;
    op->num = num;
    call->ctx = op;
    isms_bind_init(&b, &STMT_DOC_UPDATE);
    isms_bind_int64(&b, "num", num);
    isms_bind_int64(&b, "expected_version", in->expected_version);
    isms_bind_bool(&b, "set_title", in->set_title);
    isms_bind_text(&b, "title", in->title);
    isms_bind_bool(&b, "set_owner", in->set_owner);
    isms_bind_text(&b, "owner", in->owner);
    isms_bind_bool(&b, "set_classification", in->set_classification);
    isms_bind_text(&b, "classification", in->classification);
    isms_bind_bool(&b, "set_serves", in->set_serves);
    isms_bind_text(&b, "serves", serves);
    isms_bind_bool(&b, "set_review_months", in->set_review_months);
    isms_bind_int64(&b, "review_months", in->review_months);
    isms_bind_bool(&b, "set_next_review", in->set_next_review);
    isms_bind_text(&b, "next_review", in->next_review);
    isms_bind_bool(&b, "set_retention", in->set_retention);
    isms_bind_text(&b, "retention", in->retention);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, update_done);
}

/* ---- List ---------------------------------------------------------------------------------- */

struct list_walk {
    const Isms__V1__ListDocumentsRequest *in;
    int64_t after;
};

static void list_page(struct isms_call *call);

static enum isms_row_fill fill_doc(void *ctx, struct isms_arena *a, const struct isms_rows *res,
                                   int r, ProtobufCMessage *msg, struct isms_status *st)
{
    struct list_walk *w = ctx;
    Isms__V1__DocumentRecord *d = (Isms__V1__DocumentRecord *)msg;
    char **serves;
    size_t n;

    (void)st;
    isms__v1__document_record__init(d);
    w->after = isms_rows_int64(res, r, 0);
    d->id = isms_arena_printf(a, "DOC-%" PRId64, w->after);
    d->title = (char *)isms_rows_text(res, r, 1);
    d->type = (char *)isms_rows_text(res, r, 2);
    d->is_isms_policy = strcmp(isms_rows_text(res, r, 3), "t") == 0;
    d->owner = (char *)isms_rows_text(res, r, 4);
    d->classification = (char *)isms_rows_text(res, r, 5);
    if (d->id == NULL || !isms_control_split(a, isms_rows_text(res, r, 6), &serves, &n))
        return ISMS_ROW_FAIL;
    d->serves = serves;
    d->n_serves = n;
    d->review_months = (int32_t)isms_rows_int64(res, r, 7);
    d->next_review = (char *)isms_rows_text(res, r, 8);
    d->retention = (char *)isms_rows_text(res, r, 9);
    d->version = isms_rows_int64(res, r, 10);
    d->created_by = (char *)isms_rows_text(res, r, 11);
    d->created_at = (char *)isms_rows_text(res, r, 12);
    d->published_version = (int32_t)isms_rows_int64(res, r, 13);
    return ISMS_ROW_SEND;
}

static void list_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    struct list_walk *w = call->ctx;
    Isms__V1__DocumentRecord item, last = ISMS__V1__DOCUMENT_RECORD__INIT;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    if (!isms_call_send_rows(call, res, SCRATCH_BYTES, fill_doc, w, &item.base))
        return;
    if (n < PAGE_N) {
        isms_call_finish(call, &last.base);
        return;
    }
    isms_call_after_drain(call, STREAM_OUT_BELOW, list_page);
}

static void list_page(struct isms_call *call)
{
    struct list_walk *w = call->ctx;
    struct isms_bind b;

    isms_bind_init(&b, &STMT_DOC_LIST);
    isms_bind_int64(&b, "after", w->after);
    isms_bind_text(&b, "type", w->in->type);
    isms_bind_text(&b, "owner", w->in->owner);
    isms_bind_bool(&b, "due", w->in->due_for_review);
    isms_call_db_or_fail(call, &b, list_done);
}

void isms_doc_list(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ListDocumentsRequest *in = (const Isms__V1__ListDocumentsRequest *)msg;
    struct list_walk *w;

    if (in->type[0] != '\0' && !isms_doc_type_ok(in->type)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "type \"%.40s\" is not a document type",
                       in->type);
        return;
    }
    w = isms_arena_calloc(&call->arena, sizeof(*w));
    if (w == NULL) {
        isms_doc_fail_oom(call);
        return;
    }
    w->in = in;
    call->ctx = w;
    list_page(call);
}
