/* domain/plan/soa_approve.c — Soa/Approve: top management approves the latest published SoA
 * version itself (ISO/IEC 27001:2022 5.1, 6.1.3 d). One statement records the approval (the
 * calling account, now) with its audit record; an approval is made once and never changes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db/bind.h"
#include "db/rows.h"
#include "domain/domain.h"
#include "domain/plan/soa.h"
#include "isms/v1/control.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"

#define VERSION_MAX 1000000000

/* $1 version, $2 actor, $3 source. Columns: version exists, latest version, approved now,
 * earlier approver, earlier approval time, audit records. */
/* clang-format off */
static const char SQL_SOA_APPROVE[] =
    "WITH v AS (SELECT num FROM soa_version WHERE num = $1::int),"
    " latest AS (SELECT max(num) AS n FROM soa_version),"
    " prior AS (SELECT approved_by, approved_at FROM soa_approval WHERE version_num = $1::int),"
    " ins AS (INSERT INTO soa_approval (version_num, approved_by)"
    "  SELECT v.num, $2 FROM v, latest WHERE v.num = latest.n"
    "  AND NOT EXISTS (SELECT 1 FROM prior) ON CONFLICT DO NOTHING RETURNING *),"
    " a AS (SELECT audit_append($2, $3, '/isms.v1.Soa/Approve', 'soa:v' || ins.version_num,"
    "  audit_diff(jsonb_build_object('approved', false),"
    "  jsonb_build_object('approved', true, 'approved_by', ins.approved_by)), 'OK') AS seq"
    "  FROM ins)" ISMS_SQL_IDEM("$4", "a")
    " SELECT (SELECT count(*) FROM v), coalesce((SELECT n FROM latest), 0),"
    " (SELECT count(*) FROM ins), coalesce((SELECT approved_by FROM prior), ''),"
    " coalesce((SELECT " ISMS_SQL_TS("approved_at") " FROM prior), ''), (SELECT count(*) FROM a)";
/* clang-format on */
ISMS_STATEMENT(STMT_SOA_APPROVE, SQL_SOA_APPROVE, "version", "actor", "source",
               ISMS_SQL_IDEM_PARAM);

static void approve_done(struct isms_call *call, const struct isms_rows *res,
                         const struct isms_status *st)
{
    const Isms__V1__SoaShowRequest *show = call->ctx;
    int32_t n = show->version;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_INTERNAL, "SoA approval returned no row");
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "SoA version %" PRId32 " does not exist", n);
        return;
    }
    if (isms_rows_int64(res, 0, 2) == 1) {
        isms_soa_reply_version(call, show);
        return;
    }
    if (isms_rows_text(res, 0, 3)[0] != '\0') {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "6.1.3 d: SoA version %" PRId32 " was already approved by %s at %s", n,
                       isms_rows_text(res, 0, 3), isms_rows_text(res, 0, 4));
        return;
    }
    if (isms_rows_int64(res, 0, 1) != n) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "6.1.3 d: SoA version %" PRId32 " is superseded by version %" PRId64
                       "; approve the latest published version",
                       n, isms_rows_int64(res, 0, 1));
        return;
    }
    isms_call_fail(call, ISMS_ABORTED,
                   "SoA version %" PRId32 " was approved at the same time; "
                   "show it again",
                   n);
}

void isms_soa_approve_handler(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__SoaApproveRequest *in = (const Isms__V1__SoaApproveRequest *)msg;
    Isms__V1__SoaShowRequest *show;
    struct isms_bind b;

    if (in->version < 1 || in->version > VERSION_MAX) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "version must be a published version number, got %" PRId32, in->version);
        return;
    }
    show = isms_arena_calloc(&call->arena, sizeof(*show));
    if (show == NULL) {
        isms_soa_fail_oom(call);
        return;
    }
    isms__v1__soa_show_request__init(show);
    show->version = in->version;
    call->ctx = show;
    isms_bind_init(&b, &STMT_SOA_APPROVE);
    isms_bind_int64(&b, "version", in->version);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, approve_done);
}
