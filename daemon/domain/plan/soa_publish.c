/* domain/plan/soa_publish.c — Soa/Check and Soa/Publish: the current SoA rows run through the
 * pure checks of soa_rules.c; Publish freezes exactly the rows it checked as a numbered version
 * (a fingerprint per row guards against changes in between), not approved, with its audit
 * record; a SoA identical to the latest version is not published again. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db/bind.h"
#include "db/rows.h"
#include "domain/domain.h"
#include "domain/plan/control_rules.h"
#include "domain/plan/soa.h"
#include "domain/plan/soa_rules.h"
#include "isms/v1/control.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"

#define SEP ISMS_CONTROL_SEP_SQL

/* What the rules need, plus the fingerprint Publish compares: the record version (every Set
 * bumps it) and the linked risks (which change in the risk register). */
static const char SQL_SOA_CHECK_ROWS[] =
    "SELECT c.id, c.applicable, array_to_string(c.reasons, " SEP "), c.justification, c.status,"
    " cardinality(c.evidence), array_to_string(l.risks, ', '),"
    " c.version::text || '/' || array_to_string(l.risks, ','), c.exclusion_justification,"
    " c.owner, EXISTS (SELECT 1 FROM app_user u WHERE u.name = c.owner), c.implementation,"
    " coalesce(to_char(c.target_date, 'YYYY-MM-DD'), ''),"
    " cardinality(c.evidence) - evidence_live_count(c.evidence)"
    " FROM control c, LATERAL (SELECT control_linked_risks(c.id) AS risks) l ORDER BY c.ord";
ISMS_STATEMENT_NO_PARAMS(STMT_SOA_CHECK_ROWS, SQL_SOA_CHECK_ROWS);

/* The content of a SoA row (what an approver reads), for comparing two versions. */
#define ROW_CONTENT                                                                                \
    "control_id, theme, title, is_custom, source, applicable, reasons, justification, status,"     \
    " owner, implementation, evidence, linked_risks"

/* $1 ids and $2 fingerprints of the checked rows, $3 the legacy approver text (''), $4 actor,
 * $5 source. Inserts nothing unless the current rows are exactly the checked ones and differ
 * from the latest published version. Columns as SQL_VERSION_COLS (soa.c; no approval yet),
 * then rows written, rows unchanged since the check, identical to version (0 = no). */
/* clang-format off */
static const char SQL_SOA_PUBLISH[] =
    "WITH cur AS (SELECT s.*, s.control_version::text || '/' ||"
    "  array_to_string(s.linked_risks, ',') AS fp FROM soa_rows_at(0) s),"
    " k AS (SELECT string_to_array($1, " SEP ") AS ids, string_to_array($2, " SEP ") AS fps),"
    " chk AS (SELECT (SELECT count(*) FROM cur) = cardinality(k.ids) AND NOT EXISTS ("
    "  SELECT 1 FROM cur LEFT JOIN unnest(k.ids, k.fps) AS u(id, fp) ON u.id = cur.control_id"
    "  WHERE u.fp IS DISTINCT FROM cur.fp) AS same FROM k),"
    " prev AS (SELECT max(num) AS n FROM soa_version),"
    " dup AS (SELECT CASE WHEN prev.n IS NOT NULL"
    "  AND NOT EXISTS (SELECT " ROW_CONTENT " FROM cur EXCEPT SELECT " ROW_CONTENT
    "  FROM soa_version_row WHERE version_num = prev.n)"
    "  AND NOT EXISTS (SELECT " ROW_CONTENT " FROM soa_version_row WHERE version_num = prev.n"
    "  EXCEPT SELECT " ROW_CONTENT " FROM cur) THEN prev.n ELSE 0 END AS n FROM prev),"
    " v AS (INSERT INTO soa_version (num, approved_by, published_by, row_count)"
    "  SELECT coalesce((SELECT max(num) FROM soa_version), 0) + 1, $3, $4,"
    "  (SELECT count(*) FROM cur) FROM chk, dup WHERE chk.same AND dup.n = 0 RETURNING *),"
    " r AS (INSERT INTO soa_version_row (version_num, pos, control_id, ord, theme, title,"
    "  is_custom, source, applicable, reasons, justification, status, owner, implementation,"
    "  evidence, linked_risks, control_version, exclusion_justification, target_date)"
    "  SELECT v.num, cur.pos, cur.control_id, cur.ord, cur.theme, cur.title, cur.is_custom,"
    "  cur.source, cur.applicable, cur.reasons, cur.justification, cur.status, cur.owner,"
    "  cur.implementation, cur.evidence, cur.linked_risks, cur.control_version,"
    "  cur.exclusion_justification, nullif(cur.target_date, '')::date FROM v, cur"
    "  RETURNING 1),"
    " a AS (SELECT audit_append($4, $5, '/isms.v1.Soa/Publish', 'soa:v' || v.num,"
    "  audit_diff(NULL, jsonb_build_object('number', v.num, 'approved', false,"
    "  'controls', v.row_count)), 'OK') AS seq FROM v)" ISMS_SQL_IDEM("$6", "a")
    " SELECT v.num, v.approved_by, " ISMS_SQL_TS("v.approved_at") ", v.published_by,"
    " v.row_count, (SELECT count(*) FROM cur WHERE applicable = 'yes'),"
    " (SELECT count(*) FROM cur WHERE applicable = 'yes' AND status = 'implemented'), '', '',"
    " (SELECT count(*) FROM r), (SELECT chk.same FROM chk), (SELECT dup.n FROM dup)"
    " FROM (SELECT 1) one LEFT JOIN (v CROSS JOIN a) ON true";
/* clang-format on */
ISMS_STATEMENT(STMT_SOA_PUBLISH, SQL_SOA_PUBLISH, "ids", "fingerprints", "approved_by", "actor",
               "source", ISMS_SQL_IDEM_PARAM);

/* ---- Check, Publish ----------------------------------------------------------------------- */

struct check_run {
    struct isms_soa_check_row *rows;
    size_t n;
    Isms__V1__SoaCheckResponse *resp; /* Check: findings collected here */
    struct isms_call *call;
    int is_oom;
    char first[ISMS_STATUS_MSG_MAX / 2]; /* Publish: the first finding */
};

/* Reads SQL_SOA_CHECK_ROWS into rule rows (strings borrowed from `res`). 0 when out of memory. */
static int load_check_rows(struct isms_call *call, const struct isms_rows *res, struct check_run *x)
{
    int n = isms_rows_count(res);

    x->rows = isms_arena_calloc(&call->arena, sizeof(*x->rows) * (size_t)(n + 1));
    if (x->rows == NULL)
        return 0;
    for (int r = 0; r < n; r++) {
        struct isms_soa_check_row *row = &x->rows[r];
        char **reasons;
        size_t nreasons;
        unsigned mask = 0;
        struct isms_status ignore;

        row->id = isms_rows_text(res, r, 0);
        if (!isms_applicable_parse(isms_rows_text(res, r, 1), &row->applicable))
            row->applicable = ISMS_APPLICABLE_UNDECIDED;
        if (!isms_control_split(&call->arena, isms_rows_text(res, r, 2), &reasons, &nreasons))
            return 0;
        if (isms_reasons_parse(reasons, nreasons, &mask, &ignore) != ISMS_OK)
            mask = 0;
        row->reasons = mask;
        row->justification = isms_rows_text(res, r, 3);
        if (!isms_impl_status_parse(isms_rows_text(res, r, 4), &row->status))
            row->status = ISMS_IMPL_NOT_STARTED;
        row->n_evidence = (size_t)isms_rows_int64(res, r, 5);
        row->n_evidence_expired = (size_t)isms_rows_int64(res, r, 13);
        row->linked_risks = isms_rows_text(res, r, 6);
        row->exclusion_justification = isms_rows_text(res, r, 8);
        row->owner = isms_rows_text(res, r, 9);
        row->is_owner_account = isms_rows_text(res, r, 10)[0] == 't';
        row->implementation = isms_rows_text(res, r, 11);
        row->target_date = isms_rows_text(res, r, 12);
    }
    x->n = (size_t)n;
    return 1;
}

static int collect_finding(void *ud, const struct isms_soa_finding *f)
{
    struct check_run *x = ud;
    Isms__V1__SoaFinding *m = isms_arena_calloc(&x->call->arena, sizeof(*m));

    if (m == NULL) {
        x->is_oom = 1;
        return 0;
    }
    isms__v1__soa_finding__init(m);
    m->control_id = (char *)x->rows[f->row].id;
    m->rule = (char *)isms_soa_rule_name(f->rule);
    m->message = isms_arena_strdup(&x->call->arena, f->message);
    if (m->message == NULL) {
        x->is_oom = 1;
        return 0;
    }
    x->resp->findings[x->resp->n_findings++] = m;
    return 1;
}

static void check_done(struct isms_call *call, const struct isms_rows *res,
                       const struct isms_status *st)
{
    struct check_run x;
    Isms__V1__SoaCheckResponse *r;
    size_t total;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    memset(&x, 0, sizeof(x));
    x.call = call;
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL || !load_check_rows(call, res, &x)) {
        isms_soa_fail_oom(call);
        return;
    }
    isms__v1__soa_check_response__init(r);
    total = isms_soa_check(x.rows, x.n, NULL, NULL);
    r->findings = isms_arena_calloc(&call->arena, sizeof(*r->findings) * (total + 1));
    if (r->findings == NULL) {
        isms_soa_fail_oom(call);
        return;
    }
    x.resp = r;
    isms_soa_check(x.rows, x.n, collect_finding, &x);
    if (x.is_oom) {
        isms_soa_fail_oom(call);
        return;
    }
    r->ok = total == 0;
    r->controls = (int32_t)x.n;
    isms_call_finish(call, &r->base);
}

void isms_soa_check_handler(struct isms_call *call, const ProtobufCMessage *msg)
{
    struct isms_bind b;

    (void)msg;
    isms_bind_init(&b, &STMT_SOA_CHECK_ROWS);
    isms_call_db_or_fail(call, &b, check_done);
}

static void publish_done(struct isms_call *call, const struct isms_rows *res,
                         const struct isms_status *st)
{
    Isms__V1__SoaVersion *v;

    if (st->code == ISMS_ALREADY_EXISTS) {
        isms_call_fail(call, ISMS_ABORTED,
                       "another SoA version was published at the same time; retry");
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) == 1 && isms_rows_is_null(res, 0, 0) &&
        isms_rows_int64(res, 0, 11) > 0) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "6.1.3 d: the SoA is identical to published version %" PRId64
                       "; nothing to publish (approve that version with `soa approve %" PRId64
                       "`, or change the SoA first)",
                       isms_rows_int64(res, 0, 11), isms_rows_int64(res, 0, 11));
        return;
    }
    if (isms_rows_count(res) != 1 || isms_rows_is_null(res, 0, 0)) {
        isms_call_fail(call, ISMS_ABORTED,
                       "controls changed while the SoA was being published; run the check again "
                       "and retry");
        return;
    }
    v = isms_soa_version_from_row(&call->arena, res, 0);
    if (v == NULL || !isms_soa_version_own(&call->arena, v)) {
        isms_soa_fail_oom(call);
        return;
    }
    isms_call_finish(call, &v->base);
}

static int first_finding(void *ud, const struct isms_soa_finding *f)
{
    struct check_run *x = ud;

    snprintf(x->first, sizeof(x->first), "%.120s", f->message);
    return 0;
}

static void publish_checked(struct isms_call *call, const struct isms_rows *res,
                            const struct isms_status *st)
{
    struct check_run *x = call->ctx;
    size_t total;
    char **ids, **fps;
    char *idj, *fpj;
    struct isms_bind b;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (!load_check_rows(call, res, x)) {
        isms_soa_fail_oom(call);
        return;
    }
    total = isms_soa_check(x->rows, x->n, NULL, NULL);
    if (total > 0) {
        isms_soa_check(x->rows, x->n, first_finding, x);
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "the SoA has %zu inconsistenc%s (first: %s); run `soa check` and fix them "
                       "before publishing",
                       total, total == 1 ? "y" : "ies", x->first);
        return;
    }
    ids = isms_arena_calloc(&call->arena, sizeof(*ids) * (x->n + 1));
    fps = isms_arena_calloc(&call->arena, sizeof(*fps) * (x->n + 1));
    if (ids == NULL || fps == NULL) {
        isms_soa_fail_oom(call);
        return;
    }
    for (size_t i = 0; i < x->n; i++) {
        ids[i] = (char *)isms_rows_text(res, (int)i, 0);
        fps[i] = (char *)isms_rows_text(res, (int)i, 7);
    }
    idj = isms_control_join(&call->arena, ids, x->n);
    fpj = isms_control_join(&call->arena, fps, x->n);
    if (idj == NULL || fpj == NULL) {
        isms_soa_fail_oom(call);
        return;
    }
    isms_bind_init(&b, &STMT_SOA_PUBLISH);
    isms_bind_text(&b, "ids", idj);
    isms_bind_text(&b, "fingerprints", fpj);
    isms_bind_text(&b, "approved_by", "");
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, publish_done);
}

void isms_soa_publish_handler(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__SoaPublishRequest *in = (const Isms__V1__SoaPublishRequest *)msg;
    struct check_run *x;
    struct isms_bind b;

    if (in->approved_by != NULL && in->approved_by[0] != '\0') {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "approved_by is no longer taken at publish: publish the version, then a "
                       "top_management account approves it itself (ismsctl soa approve N)");
        return;
    }
    x = isms_arena_calloc(&call->arena, sizeof(*x));
    if (x == NULL) {
        isms_soa_fail_oom(call);
        return;
    }
    x->call = call;
    call->ctx = x;
    isms_bind_init(&b, &STMT_SOA_CHECK_ROWS);
    isms_call_db_or_fail(call, &b, publish_checked);
}
