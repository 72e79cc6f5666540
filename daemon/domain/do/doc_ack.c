/* domain/do/doc_ack.c — Document/Distribute, Acknowledge, Acks and Pending (7.3, 7.4, 5.2 c):
 * a published version is distributed to roles and named accounts; each person acknowledges
 * that version, the acknowledgement bound to the version's SHA-256. Only the published version
 * is distributed or acknowledged; publishing the next one starts a new round. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "auth/roles.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/do/doc_internal.h"
#include "domain/do/doc_rules.h"
#include "domain/domain.h"
#include "domain/plan/control_rules.h"
#include "isms/v1/document.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"

#define SEP         ISMS_CONTROL_SEP_SQL
#define TARGETS_MAX 200

/* An account in distribution d (alias) of version v. */
#define IN_AUDIENCE(u, d)                                                                          \
    "((" d ".kind = 'user' AND " d ".target = " u ".name) OR (" d ".kind = 'role' AND " d          \
    ".target = ANY (" u ".roles)))"

/* $1 doc, $2 roles, $3 users, $4 actor, $5 source. Columns: published version, first unknown
 * user, targets added, audience after. */
static const char SQL_DOC_DISTRIBUTE[] =
    "WITH v AS (SELECT doc_num, n FROM doc_version WHERE doc_num = $1::bigint"
    "  AND state = 'published'),"
    " t AS (SELECT 'role'::text AS kind, r AS target FROM unnest(string_to_array($2::text, " SEP
    ")) r UNION SELECT 'user', u FROM unnest(string_to_array($3::text, " SEP ")) u),"
    " bad AS (SELECT t.target FROM t WHERE t.kind = 'user' AND NOT EXISTS (SELECT 1 FROM app_user"
    "  WHERE name = t.target) ORDER BY 1 LIMIT 1),"
    " ins AS (INSERT INTO doc_distribution (doc_num, n, kind, target, created_by)"
    "  SELECT v.doc_num, v.n, t.kind, t.target, $4::text FROM v, t"
    "  WHERE NOT EXISTS (SELECT 1 FROM bad) ON CONFLICT DO NOTHING RETURNING kind, target),"
    " a AS (SELECT audit_append($4::text, $5::text, '/isms.v1.Document/Distribute',"
    "  'document:DOC-' || v.doc_num || '/v' || v.n, audit_diff(NULL, jsonb_build_object("
    "  'distributed_to', (SELECT jsonb_agg(kind || ':' || target) FROM ins))), 'OK') AS seq"
    "  FROM v WHERE EXISTS (SELECT 1 FROM ins))" ISMS_SQL_IDEM(
        "$6",
        "a") " SELECT (SELECT n FROM v), (SELECT target FROM bad), (SELECT count(*) FROM ins),"
             " (SELECT count(*) FROM app_user u, v WHERE u.status = 'active' AND (EXISTS (SELECT 1"
             "  FROM doc_distribution d WHERE d.doc_num = v.doc_num AND d.n = v.n"
             "  AND " IN_AUDIENCE("u", "d") ") OR EXISTS (SELECT 1 FROM t d WHERE " IN_AUDIENCE(
                 "u", "d") "))), (SELECT count(*) FROM document WHERE num = $1::bigint)";
ISMS_STATEMENT(STMT_DOC_DISTRIBUTE, SQL_DOC_DISTRIBUTE, "num", "roles", "users", "actor", "source",
               ISMS_SQL_IDEM_PARAM);

/* $1 doc, $2 version (0: the published one), $3 actor, $4 source. Columns: published version,
 * caller in its audience, acknowledged now, earlier acknowledgement time, title, sha256,
 * document exists. */
static const char SQL_DOC_ACK[] =
    "WITH v AS (SELECT doc_num, n, sha256 FROM doc_version WHERE doc_num = $1::bigint"
    "  AND state = 'published'),"
    " aud AS (SELECT 1 FROM v, app_user u WHERE u.name = $3::text AND EXISTS (SELECT 1"
    "  FROM doc_distribution d WHERE d.doc_num = v.doc_num AND d.n = v.n"
    "  AND " IN_AUDIENCE(
        "u",
        "d") ")),"
             " prior AS (SELECT k.acked_at FROM doc_ack k, v WHERE k.doc_num = v.doc_num AND k.n = "
             "v.n"
             "  AND k.user_name = $3::text),"
             " ins AS (INSERT INTO doc_ack (doc_num, n, user_name, sha256) SELECT v.doc_num, v.n,"
             "  $3::text, v.sha256 FROM v WHERE EXISTS (SELECT 1 FROM aud)"
             "  AND ($2::int = 0 OR v.n = $2::int) ON CONFLICT DO NOTHING RETURNING doc_num, n, "
             "sha256),"
             " a AS (SELECT audit_append($3::text, $4::text, '/isms.v1.Document/Acknowledge',"
             "  'document:DOC-' || ins.doc_num || '/v' || ins.n, audit_diff(NULL,"
             "  jsonb_build_object('acknowledged_by', $3::text, 'sha256', encode(ins.sha256, "
             "'hex'))),"
             "  'OK') AS seq FROM ins)" ISMS_SQL_IDEM(
                 "$5",
                 "a") " SELECT (SELECT n FROM v), (SELECT count(*) FROM aud), (SELECT count(*) "
                      "FROM ins),"
                      " coalesce((SELECT " ISMS_SQL_TS(
                          "acked_at") " FROM prior), ''),"
                                      " (SELECT title FROM document WHERE num = $1::bigint), "
                                      "(SELECT encode(sha256, 'hex') FROM v),"
                                      " (SELECT count(*) FROM document WHERE num = $1::bigint)";
ISMS_STATEMENT(STMT_DOC_ACK, SQL_DOC_ACK, "num", "version", "actor", "source", ISMS_SQL_IDEM_PARAM);

/* $1 doc. Every person the published version reaches (or who acknowledged it), by name.
 * Columns: doc, version, title, user, acknowledged, when, sha256; a last row flags (in its
 * version column) whether the document exists (-1: no) or has no published version (0). */
static const char SQL_DOC_ACKS[] =
    "WITH v AS (SELECT v.doc_num, v.n, v.sha256, d.title FROM doc_version v JOIN document d"
    "  ON d.num = v.doc_num WHERE v.doc_num = $1::bigint AND v.state = 'published'),"
    " who AS (SELECT u.name FROM app_user u, v WHERE u.status = 'active' AND EXISTS (SELECT 1"
    "  FROM doc_distribution d WHERE d.doc_num = v.doc_num AND d.n = v.n"
    "  AND " IN_AUDIENCE("u",
                         "d") ") UNION SELECT k.user_name FROM doc_ack k, v"
                              "  WHERE k.doc_num = v.doc_num AND k.n = v.n)"
                              " SELECT v.doc_num, v.n, v.title, w.name, k.user_name IS NOT NULL,"
                              " coalesce(" ISMS_SQL_TS(
                                  "k.acked_at") ", ''), encode(coalesce(k.sha256, v.sha256), 'hex')"
                                                " FROM v CROSS JOIN who w LEFT JOIN doc_ack k ON "
                                                "k.doc_num = v.doc_num AND k.n = v.n"
                                                " AND k.user_name = w.name"
                                                " UNION ALL SELECT 0, CASE WHEN NOT EXISTS (SELECT "
                                                "1 FROM document WHERE num = $1::bigint)"
                                                " THEN -1 ELSE coalesce((SELECT n FROM v), 0) END, "
                                                "'', '~', false, '', '' ORDER BY 4";
ISMS_STATEMENT(STMT_DOC_ACKS, SQL_DOC_ACKS, "num");

/* $1 the caller. Published versions distributed to them and not acknowledged. */
static const char SQL_DOC_PENDING[] =
    "SELECT v.doc_num, v.n, d.title, u.name, false, '', encode(v.sha256, 'hex')"
    " FROM doc_version v JOIN document d ON d.num = v.doc_num, app_user u"
    " WHERE u.name = $1::text AND v.state = 'published' AND EXISTS (SELECT 1"
    "  FROM doc_distribution x WHERE x.doc_num = v.doc_num AND x.n = v.n"
    "  AND " IN_AUDIENCE(
        "u", "x") ") AND NOT EXISTS (SELECT 1 FROM doc_ack k"
                  "  WHERE k.doc_num = v.doc_num AND k.n = v.n AND k.user_name = u.name)"
                  " ORDER BY v.doc_num";
ISMS_STATEMENT(STMT_DOC_PENDING, SQL_DOC_PENDING, "actor");

struct ack_op {
    const char *id;
    int64_t num;
};

static struct ack_op *op_new(struct isms_call *call, const char *id)
{
    struct ack_op *op = isms_arena_calloc(&call->arena, sizeof(*op));
    struct isms_status st;

    if (op == NULL) {
        isms_doc_fail_oom(call);
        return NULL;
    }
    if (isms_doc_ref_parse("id", "DOC", id, &op->num, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return NULL;
    }
    op->id = id;
    call->ctx = op;
    return op;
}

/* ---- Distribute ---------------------------------------------------------------------------- */

static void distribute_done(struct isms_call *call, const struct isms_rows *res,
                            const struct isms_status *st)
{
    struct ack_op *op = call->ctx;
    Isms__V1__DistributeDocResponse r = ISMS__V1__DISTRIBUTE_DOC_RESPONSE__INIT;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 4) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "document \"%s\" does not exist", op->id);
        return;
    }
    if (isms_rows_is_null(res, 0, 0)) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "7.5.3: %s has no published version to distribute; publish one first",
                       op->id);
        return;
    }
    if (!isms_rows_is_null(res, 0, 1)) {
        isms_call_fail(call, ISMS_NOT_FOUND, "account \"%s\" does not exist",
                       isms_rows_text(res, 0, 1));
        return;
    }
    r.id = (char *)op->id;
    r.version = (int32_t)isms_rows_int64(res, 0, 0);
    r.added = (uint32_t)isms_rows_int64(res, 0, 2);
    r.audience = (uint32_t)isms_rows_int64(res, 0, 3);
    isms_call_finish(call, &r.base);
}

void isms_doc_distribute(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__DistributeDocRequest *in = (const Isms__V1__DistributeDocRequest *)msg;
    struct ack_op *op;
    struct isms_bind b;
    char *roles, *users;

    if ((op = op_new(call, in->id)) == NULL)
        return;
    if (in->n_roles + in->n_users == 0 || in->n_roles + in->n_users > TARGETS_MAX) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "give 1..%d roles and accounts to distribute to, got %zu", TARGETS_MAX,
                       in->n_roles + in->n_users);
        return;
    }
    for (size_t i = 0; i < in->n_roles; i++) {
        if (isms_role_parse(in->roles[i]) == 0) {
            isms_call_fail(call, ISMS_INVALID_ARGUMENT, "role \"%.40s\" does not exist",
                           in->roles[i]);
            return;
        }
    }
    for (size_t i = 0; i < in->n_users; i++) {
        if (in->users[i][0] == '\0' || strlen(in->users[i]) > 64) {
            isms_call_fail(call, ISMS_INVALID_ARGUMENT, "account \"%.64s\" is not an account name",
                           in->users[i]);
            return;
        }
    }
    roles = isms_control_join(&call->arena, in->roles, in->n_roles);
    users = isms_control_join(&call->arena, in->users, in->n_users);
    if (roles == NULL || users == NULL) {
        isms_doc_fail_oom(call);
        return;
    }
    isms_bind_init(&b, &STMT_DOC_DISTRIBUTE);
    isms_bind_int64(&b, "num", op->num);
    isms_bind_text(&b, "roles", roles);
    isms_bind_text(&b, "users", users);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, distribute_done);
}

/* ---- Acknowledge --------------------------------------------------------------------------- */

static void ack_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    struct ack_op *op = call->ctx;
    Isms__V1__DocAck r = ISMS__V1__DOC_ACK__INIT;
    int32_t n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 6) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "document \"%s\" does not exist", op->id);
        return;
    }
    if (isms_rows_is_null(res, 0, 0)) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "7.5.3: %s has no published version to acknowledge", op->id);
        return;
    }
    n = (int32_t)isms_rows_int64(res, 0, 0);
    if (isms_rows_int64(res, 0, 1) == 0) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "7.3: %s version %" PRId32 " is not distributed to you", op->id, n);
        return;
    }
    r.id = (char *)op->id;
    r.version = n;
    r.title = (char *)isms_rows_text(res, 0, 4);
    r.user = (char *)isms_call_actor(call);
    r.acknowledged = 1;
    r.acked_at = (char *)isms_rows_text(res, 0, 3);
    r.sha256 = (char *)isms_rows_text(res, 0, 5);
    if (isms_rows_int64(res, 0, 2) == 0 && r.acked_at[0] == '\0') {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "7.5.3: %s version %" PRId32 " is not the published version", op->id, n);
        return;
    }
    isms_call_finish(call, &r.base);
}

void isms_doc_acknowledge(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__DocVersionRef *in = (const Isms__V1__DocVersionRef *)msg;
    struct ack_op *op;
    struct isms_bind b;

    if ((op = op_new(call, in->id)) == NULL)
        return;
    isms_bind_init(&b, &STMT_DOC_ACK);
    isms_bind_int64(&b, "num", op->num);
    isms_bind_int64(&b, "version", in->version < 0 ? -1 : in->version);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, ack_done);
}

/* ---- Acks, Pending ------------------------------------------------------------------------- */

/* Answers with the rows of SQL_DOC_ACKS / SQL_DOC_PENDING (skipping the flag row). */
static void reply_acks(struct isms_call *call, const struct isms_rows *res)
{
    Isms__V1__DocAcksResponse *r = isms_arena_calloc(&call->arena, sizeof(*r));
    int n = isms_rows_count(res);
    size_t k = 0;

    if (r == NULL) {
        isms_doc_fail_oom(call);
        return;
    }
    isms__v1__doc_acks_response__init(r);
    r->acks = isms_arena_calloc(&call->arena, sizeof(*r->acks) * (size_t)(n + 1));
    if (r->acks == NULL) {
        isms_doc_fail_oom(call);
        return;
    }
    for (int i = 0; i < n; i++) {
        Isms__V1__DocAck *a;

        if (isms_rows_int64(res, i, 0) == 0)
            continue;
        a = isms_arena_calloc(&call->arena, sizeof(*a));
        if (a == NULL) {
            isms_doc_fail_oom(call);
            return;
        }
        isms__v1__doc_ack__init(a);
        a->id = isms_arena_printf(&call->arena, "DOC-%" PRId64, isms_rows_int64(res, i, 0));
        a->version = (int32_t)isms_rows_int64(res, i, 1);
        a->title = isms_arena_strdup(&call->arena, isms_rows_text(res, i, 2));
        a->user = isms_arena_strdup(&call->arena, isms_rows_text(res, i, 3));
        a->acknowledged = strcmp(isms_rows_text(res, i, 4), "t") == 0;
        a->acked_at = isms_arena_strdup(&call->arena, isms_rows_text(res, i, 5));
        a->sha256 = isms_arena_strdup(&call->arena, isms_rows_text(res, i, 6));
        if (a->id == NULL || a->title == NULL || a->user == NULL || a->acked_at == NULL ||
            a->sha256 == NULL) {
            isms_doc_fail_oom(call);
            return;
        }
        r->acks[k++] = a;
    }
    r->n_acks = k;
    isms_call_finish(call, &r->base);
}

static void acks_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    struct ack_op *op = call->ctx;
    int n = isms_rows_count(res);

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    for (int i = 0; i < n; i++) {
        if (isms_rows_int64(res, i, 0) != 0)
            continue;
        if (isms_rows_int64(res, i, 1) < 0) {
            isms_call_fail(call, ISMS_NOT_FOUND, "document \"%s\" does not exist", op->id);
            return;
        }
        if (isms_rows_int64(res, i, 1) == 0) {
            isms_call_fail(call, ISMS_FAILED_PRECONDITION, "7.5.3: %s has no published version",
                           op->id);
            return;
        }
    }
    reply_acks(call, res);
}

void isms_doc_acks(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__DocVersionRef *in = (const Isms__V1__DocVersionRef *)msg;
    struct ack_op *op;
    struct isms_bind b;

    if ((op = op_new(call, in->id)) == NULL)
        return;
    isms_bind_init(&b, &STMT_DOC_ACKS);
    isms_bind_int64(&b, "num", op->num);
    isms_call_db_or_fail(call, &b, acks_done);
}

static void pending_done(struct isms_call *call, const struct isms_rows *res,
                         const struct isms_status *st)
{
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    reply_acks(call, res);
}

void isms_doc_pending(struct isms_call *call, const ProtobufCMessage *msg)
{
    struct isms_bind b;

    (void)msg;
    isms_bind_init(&b, &STMT_DOC_PENDING);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_call_db_or_fail(call, &b, pending_done);
}
