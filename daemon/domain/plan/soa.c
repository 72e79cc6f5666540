/* domain/plan/soa.c — isms.v1.Soa: the Statement of Applicability (6.1.3 d). Export streams the
 * rows in catalogue order in keyset pages; Publish runs the same pure check as Check and freezes
 * exactly the rows it checked (a fingerprint per row guards against changes in between). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "auth/roles.h"
#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/domain.h"
#include "domain/plan/control_rules.h"
#include "domain/plan/soa_rules.h"
#include "isms/v1/control.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"
#include "rpc/server.h"

#define PAGE_ROWS        "500"
#define PAGE_ROWS_N      500
#define STREAM_OUT_BELOW (1u << 20)
#define ROW_ARENA_BYTES  (4u << 20)
#define APPROVER_MAX     200
#define VERSION_MAX      1000000000

#define SEP ISMS_CONTROL_SEP_SQL

/* SoA row columns (read by row_from_res): pos, id, theme, title, is_custom, source, applicable,
 * reasons, justification, status, owner, implementation, evidence, linked_risks, version, ord. */
static const char SQL_SOA_CURRENT_PAGE[] =
    "SELECT $2::int + (row_number() OVER (ORDER BY c.ord))::int, c.id, c.theme, c.title,"
    " c.is_custom, c.source, c.applicable, array_to_string(c.reasons, " SEP "), c.justification,"
    " c.status, c.owner, c.implementation, array_to_string(c.evidence, " SEP "),"
    " array_to_string(control_linked_risks(c.id), " SEP "), c.version, c.ord"
    " FROM control c WHERE c.ord > $1 ORDER BY c.ord LIMIT " PAGE_ROWS;

static const char SQL_SOA_VERSION_PAGE[] =
    "SELECT r.pos, r.control_id, r.theme, r.title, r.is_custom, r.source, r.applicable,"
    " array_to_string(r.reasons, " SEP "), r.justification, r.status, r.owner, r.implementation,"
    " array_to_string(r.evidence, " SEP "), array_to_string(r.linked_risks, " SEP "),"
    " r.control_version, r.ord"
    " FROM soa_version_row r WHERE r.version_num = $1::int AND r.pos > $2::int"
    " ORDER BY r.pos LIMIT " PAGE_ROWS;

#define SQL_VERSION_COLS                                                                           \
    "v.num, v.approved_by, " ISMS_SQL_TS(                                                          \
        "v.approved_at") ", v.published_by, v.row_count,"                                          \
                         " (SELECT count(*) FROM soa_version_row r WHERE r.version_num = v.num"    \
                         " AND r.applicable = 'yes'),"                                             \
                         " (SELECT count(*) FROM soa_version_row r WHERE r.version_num = v.num"    \
                         " AND r.applicable = 'yes' AND r.status = 'implemented')"

static const char SQL_SOA_VERSIONS[] =
    "SELECT " SQL_VERSION_COLS " FROM soa_version v ORDER BY v.num";
ISMS_STATEMENT_NO_PARAMS(STMT_SOA_VERSIONS, SQL_SOA_VERSIONS);
ISMS_STATEMENT(STMT_SOA_VERSION_PAGE, SQL_SOA_VERSION_PAGE, "version", "pos");
ISMS_STATEMENT(STMT_SOA_CURRENT_PAGE, SQL_SOA_CURRENT_PAGE, "after", "pos");

static const char SQL_SOA_VERSION_GET[] =
    "SELECT " SQL_VERSION_COLS " FROM soa_version v WHERE v.num = $1::int";
ISMS_STATEMENT(STMT_SOA_VERSION_GET, SQL_SOA_VERSION_GET, "version");

/* What the rules need, plus the fingerprint Publish compares: the record version (every Set
 * bumps it) and the linked risks (which change in the risk register). */
static const char SQL_SOA_CHECK_ROWS[] =
    "SELECT c.id, c.applicable, array_to_string(c.reasons, " SEP "), c.justification, c.status,"
    " cardinality(c.evidence), array_to_string(l.risks, ', '),"
    " c.version::text || '/' || array_to_string(l.risks, ',')"
    " FROM control c, LATERAL (SELECT control_linked_risks(c.id) AS risks) l ORDER BY c.ord";
ISMS_STATEMENT_NO_PARAMS(STMT_SOA_CHECK_ROWS, SQL_SOA_CHECK_ROWS);

/* $1 ids and $2 fingerprints of the checked rows, $3 approver, $4 actor, $5 source. Inserts
 * nothing unless the current rows are exactly the checked ones. */
static const char SQL_SOA_PUBLISH[] =
    "WITH cur AS (SELECT s.*, s.control_version::text || '/' ||"
    "  array_to_string(s.linked_risks, ',') AS fp FROM soa_rows_at(0) s),"
    " k AS (SELECT string_to_array($1, " SEP ") AS ids, string_to_array($2, " SEP ") AS fps),"
    " chk AS (SELECT (SELECT count(*) FROM cur) = cardinality(k.ids) AND NOT EXISTS ("
    "  SELECT 1 FROM cur LEFT JOIN unnest(k.ids, k.fps) AS u(id, fp) ON u.id = cur.control_id"
    "  WHERE u.fp IS DISTINCT FROM cur.fp) AS same FROM k),"
    " v AS (INSERT INTO soa_version (num, approved_by, published_by, row_count)"
    "  SELECT coalesce((SELECT max(num) FROM soa_version), 0) + 1, $3, $4,"
    "  (SELECT count(*) FROM cur) FROM chk WHERE chk.same RETURNING *),"
    " r AS (INSERT INTO soa_version_row (version_num, pos, control_id, ord, theme, title,"
    "  is_custom, source, applicable, reasons, justification, status, owner, implementation,"
    "  evidence, linked_risks, control_version)"
    "  SELECT v.num, cur.pos, cur.control_id, cur.ord, cur.theme, cur.title, cur.is_custom,"
    "  cur.source, cur.applicable, cur.reasons, cur.justification, cur.status, cur.owner,"
    "  cur.implementation, cur.evidence, cur.linked_risks, cur.control_version FROM v, cur"
    "  RETURNING 1),"
    " a AS (SELECT audit_append($4, $5, '/isms.v1.Soa/Publish', 'soa:v' || v.num,"
    "  audit_diff(NULL, jsonb_build_object('number', v.num, 'approved_by', v.approved_by,"
    "  'controls', v.row_count)), 'OK') AS seq FROM v)"
    " SELECT v.num, v.approved_by, " ISMS_SQL_TS(
        "v.approved_at") ", v.published_by, v.row_count,"
                         " (SELECT count(*) FROM cur WHERE applicable = 'yes'),"
                         " (SELECT count(*) FROM cur WHERE applicable = 'yes'"
                         " AND status = 'implemented'),"
                         " (SELECT count(*) FROM r), (SELECT chk.same FROM chk)"
                         " FROM (SELECT 1) one LEFT JOIN (v CROSS JOIN a) ON true";
ISMS_STATEMENT(STMT_SOA_PUBLISH, SQL_SOA_PUBLISH, "ids", "fingerprints", "approved_by", "actor",
               "source");

static const char SQL_SOA_VERSIONS_EXIST[] =
    "SELECT $1::int = 0 OR EXISTS (SELECT 1 FROM soa_version WHERE num = $1::int),"
    " $2::int = 0 OR EXISTS (SELECT 1 FROM soa_version WHERE num = $2::int)";
ISMS_STATEMENT(STMT_SOA_VERSIONS_EXIST, SQL_SOA_VERSIONS_EXIST, "from_version", "to_version");

/* Columns: id, in a, in b, title, then the diff fields of a, then those of b. */
#define DIFF_FIELDS(t)                                                                             \
    t ".theme, " t ".title, " t ".source, " t ".applicable, array_to_string(" t ".reasons, " SEP   \
      "), " t ".justification, " t ".status, " t ".owner, " t                                      \
      ".implementation, array_to_string(" t ".evidence, " SEP "), array_to_string(" t              \
      ".linked_risks, " SEP ")"

static const char SQL_SOA_DIFF[] =
    "SELECT coalesce(b.control_id, a.control_id), a.control_id IS NOT NULL,"
    " b.control_id IS NOT NULL, coalesce(b.title, a.title), " DIFF_FIELDS("a") ", " DIFF_FIELDS(
        "b") " FROM soa_rows_at($1::int) a FULL JOIN soa_rows_at($2::int) b"
             " ON a.control_id = b.control_id ORDER BY coalesce(b.ord, a.ord)";
ISMS_STATEMENT(STMT_SOA_DIFF, SQL_SOA_DIFF, "from_version", "to_version");

static const char SQL_SOA_SUMMARY[] =
    "WITH ok AS (SELECT $1::int = 0 OR EXISTS (SELECT 1 FROM soa_version WHERE num = $1::int)"
    "  AS found),"
    " s AS (SELECT theme, min(ord) AS o, count(*) AS total,"
    "  count(*) FILTER (WHERE applicable = 'yes') AS applicable,"
    "  count(*) FILTER (WHERE applicable = 'no') AS excluded,"
    "  count(*) FILTER (WHERE applicable = 'undecided') AS undecided,"
    "  count(*) FILTER (WHERE applicable = 'yes' AND status = 'implemented') AS implemented,"
    "  count(*) FILTER (WHERE applicable = 'yes' AND status IN ('not_started', 'planned',"
    "  'partially_implemented')) AS planned"
    "  FROM soa_rows_at($1::int) GROUP BY theme)"
    " SELECT ok.found, s.theme, s.total, s.applicable, s.excluded, s.undecided, s.implemented,"
    " s.planned FROM ok LEFT JOIN s ON true ORDER BY s.o";
ISMS_STATEMENT(STMT_SOA_SUMMARY, SQL_SOA_SUMMARY, "version");

static void fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "response exceeds the call's memory limit");
}

/* Checks a version number in a request; 0 (the current state) is allowed when `allow_current`. */
static int version_ok(struct isms_call *call, int32_t v, int allow_current)
{
    if (v < 0 || v > VERSION_MAX || (!allow_current && v == 0)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       allow_current ? "version must be 0 (current) or a published version "
                                       "number, got %" PRId32
                                     : "version must be a published version number, got %" PRId32,
                       v);
        return 0;
    }
    return 1;
}

/* ---- Export ------------------------------------------------------------------------------- */

struct export_walk {
    int32_t version;
    int32_t last_pos;
    char after[ISMS_CONTROL_ID_MAX * 4 + 8]; /* ord of the last row sent (current state) */
};

static void export_page(struct isms_call *call);

static int row_from_res(struct isms_arena *a, const struct isms_rows *res, int r,
                        Isms__V1__SoaRow *out)
{
    isms__v1__soa_row__init(out);
    out->position = (int32_t)isms_rows_int64(res, r, 0);
    out->id = (char *)isms_rows_text(res, r, 1);
    out->theme = (char *)isms_rows_text(res, r, 2);
    out->title = (char *)isms_rows_text(res, r, 3);
    out->custom = isms_rows_text(res, r, 4)[0] == 't';
    out->source = (char *)isms_rows_text(res, r, 5);
    out->applicable = (char *)isms_rows_text(res, r, 6);
    out->justification = (char *)isms_rows_text(res, r, 8);
    out->status = (char *)isms_rows_text(res, r, 9);
    out->owner = (char *)isms_rows_text(res, r, 10);
    out->implementation = (char *)isms_rows_text(res, r, 11);
    out->control_version = isms_rows_int64(res, r, 14);
    return isms_control_split(a, isms_rows_text(res, r, 7), &out->reasons, &out->n_reasons) &&
           isms_control_split(a, isms_rows_text(res, r, 12), &out->evidence, &out->n_evidence) &&
           isms_control_split(a, isms_rows_text(res, r, 13), &out->linked_risks,
                              &out->n_linked_risks);
}

static enum isms_row_fill fill_row(void *ctx, struct isms_arena *a, const struct isms_rows *res,
                                   int r, ProtobufCMessage *m, struct isms_status *st)
{
    (void)ctx;
    (void)st;
    return row_from_res(a, res, r, (Isms__V1__SoaRow *)m) ? ISMS_ROW_SEND : ISMS_ROW_FAIL;
}

static void export_page_done(struct isms_call *call, const struct isms_rows *res,
                             const struct isms_status *st)
{
    struct export_walk *w = call->ctx;
    Isms__V1__SoaRow m;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    if (!isms_call_send_rows(call, res, ROW_ARENA_BYTES, fill_row, NULL, &m.base))
        return;
    if (n > 0) {
        w->last_pos = m.position;
        snprintf(w->after, sizeof(w->after), "%s", isms_rows_text(res, n - 1, 15));
    }
    if (n < PAGE_ROWS_N) {
        isms_call_finish(call, NULL);
        return;
    }
    isms_call_after_drain(call, STREAM_OUT_BELOW, export_page);
}

static void export_page(struct isms_call *call)
{
    struct export_walk *w = call->ctx;
    struct isms_bind b;

    if (w->version == 0) {
        isms_bind_init(&b, &STMT_SOA_CURRENT_PAGE);
        isms_bind_text(&b, "after", w->after);
    } else {
        isms_bind_init(&b, &STMT_SOA_VERSION_PAGE);
        isms_bind_int64(&b, "version", w->version);
    }
    isms_bind_int64(&b, "pos", w->last_pos);
    isms_call_db_or_fail(call, &b, export_page_done);
}

static void export_version_checked(struct isms_call *call, const struct isms_rows *res,
                                   const struct isms_status *st)
{
    struct export_walk *w = call->ctx;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_NOT_FOUND, "SoA version %" PRId32 " does not exist", w->version);
        return;
    }
    export_page(call);
}

static void soa_export(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__SoaExportRequest *in = (const Isms__V1__SoaExportRequest *)msg;
    struct export_walk *w;
    struct isms_bind b;

    if (!version_ok(call, in->version, 1))
        return;
    w = isms_arena_calloc(&call->arena, sizeof(*w));
    if (w == NULL) {
        fail_oom(call);
        return;
    }
    w->version = in->version;
    call->ctx = w;
    if (w->version == 0) {
        export_page(call);
        return;
    }
    isms_bind_init(&b, &STMT_SOA_VERSION_GET);
    isms_bind_int64(&b, "version", w->version);
    isms_call_db_or_fail(call, &b, export_version_checked);
}

/* ---- Check, Publish ----------------------------------------------------------------------- */

struct check_run {
    struct isms_soa_check_row *rows;
    size_t n;
    Isms__V1__SoaCheckResponse *resp; /* Check: findings collected here */
    struct isms_call *call;
    int is_oom;
    const char *approved_by;             /* Publish */
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
        row->linked_risks = isms_rows_text(res, r, 6);
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
        fail_oom(call);
        return;
    }
    isms__v1__soa_check_response__init(r);
    total = isms_soa_check(x.rows, x.n, NULL, NULL);
    r->findings = isms_arena_calloc(&call->arena, sizeof(*r->findings) * (total + 1));
    if (r->findings == NULL) {
        fail_oom(call);
        return;
    }
    x.resp = r;
    isms_soa_check(x.rows, x.n, collect_finding, &x);
    if (x.is_oom) {
        fail_oom(call);
        return;
    }
    r->ok = total == 0;
    r->controls = (int32_t)x.n;
    isms_call_finish(call, &r->base);
}

static void soa_check(struct isms_call *call, const ProtobufCMessage *msg)
{
    struct isms_bind b;

    (void)msg;
    isms_bind_init(&b, &STMT_SOA_CHECK_ROWS);
    isms_call_db_or_fail(call, &b, check_done);
}

/* Fills a SoaVersion from columns c0.. of SQL_VERSION_COLS (or the Publish result). */
static Isms__V1__SoaVersion *version_from_row(struct isms_arena *a, const struct isms_rows *res,
                                              int r)
{
    Isms__V1__SoaVersion *v = isms_arena_calloc(a, sizeof(*v));

    if (v == NULL)
        return NULL;
    isms__v1__soa_version__init(v);
    v->number = (int32_t)isms_rows_int64(res, r, 0);
    v->approved_by = (char *)isms_rows_text(res, r, 1);
    v->approved_at = (char *)isms_rows_text(res, r, 2);
    v->published_by = (char *)isms_rows_text(res, r, 3);
    v->controls = (int32_t)isms_rows_int64(res, r, 4);
    v->applicable = (int32_t)isms_rows_int64(res, r, 5);
    v->implemented = (int32_t)isms_rows_int64(res, r, 6);
    return v;
}

/* Copies a SoaVersion's strings into the arena (the rows die with the callback). */
static int version_own(struct isms_arena *a, Isms__V1__SoaVersion *v)
{
    return (v->approved_by = isms_arena_strdup(a, v->approved_by)) != NULL &&
           (v->approved_at = isms_arena_strdup(a, v->approved_at)) != NULL &&
           (v->published_by = isms_arena_strdup(a, v->published_by)) != NULL;
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
    if (isms_rows_count(res) != 1 || isms_rows_is_null(res, 0, 0)) {
        isms_call_fail(call, ISMS_ABORTED,
                       "controls changed while the SoA was being published; run the check again "
                       "and retry");
        return;
    }
    v = version_from_row(&call->arena, res, 0);
    if (v == NULL || !version_own(&call->arena, v)) {
        fail_oom(call);
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
        fail_oom(call);
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
        fail_oom(call);
        return;
    }
    for (size_t i = 0; i < x->n; i++) {
        ids[i] = (char *)isms_rows_text(res, (int)i, 0);
        fps[i] = (char *)isms_rows_text(res, (int)i, 7);
    }
    idj = isms_control_join(&call->arena, ids, x->n);
    fpj = isms_control_join(&call->arena, fps, x->n);
    if (idj == NULL || fpj == NULL) {
        fail_oom(call);
        return;
    }
    isms_bind_init(&b, &STMT_SOA_PUBLISH);
    isms_bind_text(&b, "ids", idj);
    isms_bind_text(&b, "fingerprints", fpj);
    isms_bind_text(&b, "approved_by", x->approved_by);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, publish_done);
}

static void soa_publish(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__SoaPublishRequest *in = (const Isms__V1__SoaPublishRequest *)msg;
    struct check_run *x;
    struct isms_status st;
    struct isms_bind b;

    if (isms_text_check("approved_by", in->approved_by, APPROVER_MAX, 1, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    x = isms_arena_calloc(&call->arena, sizeof(*x));
    if (x == NULL) {
        fail_oom(call);
        return;
    }
    x->call = call;
    x->approved_by = in->approved_by;
    call->ctx = x;
    isms_bind_init(&b, &STMT_SOA_CHECK_ROWS);
    isms_call_db_or_fail(call, &b, publish_checked);
}

/* ---- Versions, Show ----------------------------------------------------------------------- */

static void versions_done(struct isms_call *call, const struct isms_rows *res,
                          const struct isms_status *st)
{
    Isms__V1__SoaVersionsResponse *r;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL)
        goto oom;
    isms__v1__soa_versions_response__init(r);
    r->versions = isms_arena_calloc(&call->arena, sizeof(*r->versions) * (size_t)(n + 1));
    if (r->versions == NULL)
        goto oom;
    for (int i = 0; i < n; i++) {
        r->versions[i] = version_from_row(&call->arena, res, i);
        if (r->versions[i] == NULL || !version_own(&call->arena, r->versions[i]))
            goto oom;
    }
    r->n_versions = (size_t)n;
    isms_call_finish(call, &r->base);
    return;
oom:
    fail_oom(call);
}

static void soa_versions(struct isms_call *call, const ProtobufCMessage *msg)
{
    struct isms_bind b;

    (void)msg;
    isms_bind_init(&b, &STMT_SOA_VERSIONS);
    isms_call_db_or_fail(call, &b, versions_done);
}

static void show_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    const Isms__V1__SoaShowRequest *in = call->ctx;
    Isms__V1__SoaVersion *v;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_NOT_FOUND, "SoA version %" PRId32 " does not exist", in->version);
        return;
    }
    v = version_from_row(&call->arena, res, 0);
    if (v == NULL || !version_own(&call->arena, v)) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &v->base);
}

static void soa_show(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__SoaShowRequest *in = (const Isms__V1__SoaShowRequest *)msg;
    struct isms_bind b;

    if (!version_ok(call, in->version, 0))
        return;
    isms_bind_init(&b, &STMT_SOA_VERSION_GET);
    isms_bind_int64(&b, "version", in->version);
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, show_done);
}

/* ---- Diff --------------------------------------------------------------------------------- */

/* A joined list as people read it: items separated by "; ". NULL when out of memory. */
static char *display_list(struct isms_arena *a, const char *s)
{
    size_t n = strlen(s), seps = 0;
    char *out, *p;

    for (size_t i = 0; i < n; i++)
        seps += s[i] == ISMS_CONTROL_SEP;
    out = isms_arena_alloc(a, n + seps + 1);
    if (out == NULL)
        return NULL;
    p = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ISMS_CONTROL_SEP) {
            *p++ = ';';
            *p++ = ' ';
        } else {
            *p++ = s[i];
        }
    }
    *p = '\0';
    return out;
}

static void diff_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    const Isms__V1__SoaDiffRequest *in = call->ctx;
    struct isms_arena *ar = &call->arena;
    Isms__V1__SoaDiffResponse *r;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    r = isms_arena_calloc(ar, sizeof(*r));
    if (r == NULL)
        goto oom;
    isms__v1__soa_diff_response__init(r);
    r->from_version = in->from_version;
    r->to_version = in->to_version;
    r->changes = isms_arena_calloc(ar, sizeof(*r->changes) * (size_t)(n + 1));
    if (r->changes == NULL)
        goto oom;
    for (int i = 0; i < n; i++) {
        int in_a = isms_rows_text(res, i, 1)[0] == 't', in_b = isms_rows_text(res, i, 2)[0] == 't';
        const char *fa[ISMS_SOA_DIFF_NFIELDS], *fb[ISMS_SOA_DIFF_NFIELDS];
        size_t changed[ISMS_SOA_DIFF_NFIELDS], nchanged = 0;
        Isms__V1__SoaRowChange *c;

        for (int f = 0; f < ISMS_SOA_DIFF_NFIELDS; f++) {
            fa[f] = isms_rows_text(res, i, 4 + f);
            fb[f] = isms_rows_text(res, i, 4 + ISMS_SOA_DIFF_NFIELDS + f);
        }
        if (in_a && in_b) {
            nchanged = isms_soa_diff_row(fa, fb, changed);
            if (nchanged == 0)
                continue;
        }
        c = isms_arena_calloc(ar, sizeof(*c));
        if (c == NULL)
            goto oom;
        isms__v1__soa_row_change__init(c);
        c->control_id = isms_arena_strdup(ar, isms_rows_text(res, i, 0));
        c->title = isms_arena_strdup(ar, isms_rows_text(res, i, 3));
        c->change = (char *)(!in_a ? "added" : !in_b ? "removed" : "changed");
        c->fields = isms_arena_calloc(ar, sizeof(*c->fields) * (nchanged + 1));
        if (c->control_id == NULL || c->title == NULL || c->fields == NULL)
            goto oom;
        for (size_t k = 0; k < nchanged; k++) {
            Isms__V1__SoaFieldChange *fc = isms_arena_calloc(ar, sizeof(*fc));

            if (fc == NULL)
                goto oom;
            isms__v1__soa_field_change__init(fc);
            fc->field = (char *)isms_soa_diff_fields[changed[k]];
            fc->before = display_list(ar, fa[changed[k]]);
            fc->after = display_list(ar, fb[changed[k]]);
            if (fc->before == NULL || fc->after == NULL)
                goto oom;
            c->fields[c->n_fields++] = fc;
        }
        r->added += !in_a;
        r->removed += !in_b;
        r->changed += in_a && in_b;
        r->changes[r->n_changes++] = c;
    }
    isms_call_finish(call, &r->base);
    return;
oom:
    fail_oom(call);
}

static void diff_checked(struct isms_call *call, const struct isms_rows *res,
                         const struct isms_status *st)
{
    const Isms__V1__SoaDiffRequest *in = call->ctx;
    struct isms_bind b;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    for (int k = 0; k < 2; k++) {
        if (isms_rows_text(res, 0, k)[0] != 't') {
            isms_call_fail(call, ISMS_NOT_FOUND, "SoA version %" PRId32 " does not exist",
                           k == 0 ? in->from_version : in->to_version);
            return;
        }
    }
    isms_bind_init(&b, &STMT_SOA_DIFF);
    isms_bind_int64(&b, "from_version", in->from_version);
    isms_bind_int64(&b, "to_version", in->to_version);
    isms_call_db_or_fail(call, &b, diff_done);
}

static void soa_diff(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__SoaDiffRequest *in = (const Isms__V1__SoaDiffRequest *)msg;
    struct isms_bind b;

    if (!version_ok(call, in->from_version, 1) || !version_ok(call, in->to_version, 1))
        return;
    isms_bind_init(&b, &STMT_SOA_VERSIONS_EXIST);
    isms_bind_int64(&b, "from_version", in->from_version);
    isms_bind_int64(&b, "to_version", in->to_version);
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, diff_checked);
}

/* ---- Summary ------------------------------------------------------------------------------ */

static void summary_done(struct isms_call *call, const struct isms_rows *res,
                         const struct isms_status *st)
{
    const Isms__V1__SoaSummaryRequest *in = call->ctx;
    struct isms_arena *ar = &call->arena;
    Isms__V1__SoaSummaryResponse *r;
    Isms__V1__SoaThemeSummary *t;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    if (n < 1 || isms_rows_text(res, 0, 0)[0] != 't') {
        isms_call_fail(call, ISMS_NOT_FOUND, "SoA version %" PRId32 " does not exist", in->version);
        return;
    }
    r = isms_arena_calloc(ar, sizeof(*r));
    t = isms_arena_calloc(ar, sizeof(*t));
    if (r == NULL || t == NULL)
        goto oom;
    isms__v1__soa_summary_response__init(r);
    isms__v1__soa_theme_summary__init(t);
    t->theme = (char *)"Total";
    r->version = in->version;
    r->total = t;
    r->themes = isms_arena_calloc(ar, sizeof(*r->themes) * (size_t)(n + 1));
    if (r->themes == NULL)
        goto oom;
    for (int i = 0; i < n; i++) {
        Isms__V1__SoaThemeSummary *s;

        if (isms_rows_is_null(res, i, 1))
            continue;
        s = isms_arena_calloc(ar, sizeof(*s));
        if (s == NULL)
            goto oom;
        isms__v1__soa_theme_summary__init(s);
        s->theme = isms_arena_strdup(ar, isms_rows_text(res, i, 1));
        if (s->theme == NULL)
            goto oom;
        s->total = (int32_t)isms_rows_int64(res, i, 2);
        s->applicable = (int32_t)isms_rows_int64(res, i, 3);
        s->excluded = (int32_t)isms_rows_int64(res, i, 4);
        s->undecided = (int32_t)isms_rows_int64(res, i, 5);
        s->implemented = (int32_t)isms_rows_int64(res, i, 6);
        s->planned = (int32_t)isms_rows_int64(res, i, 7);
        s->percent_implemented = isms_soa_percent(s->implemented, s->applicable);
        t->total += s->total;
        t->applicable += s->applicable;
        t->excluded += s->excluded;
        t->undecided += s->undecided;
        t->implemented += s->implemented;
        t->planned += s->planned;
        r->themes[r->n_themes++] = s;
    }
    t->percent_implemented = isms_soa_percent(t->implemented, t->applicable);
    isms_call_finish(call, &r->base);
    return;
oom:
    fail_oom(call);
}

static void soa_summary(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__SoaSummaryRequest *in = (const Isms__V1__SoaSummaryRequest *)msg;
    struct isms_bind b;

    if (!version_ok(call, in->version, 1))
        return;
    isms_bind_init(&b, &STMT_SOA_SUMMARY);
    isms_bind_int64(&b, "version", in->version);
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, summary_done);
}

enum isms_code isms_soa_register(struct isms_server *srv, struct isms_status *st)
{
    /* Order follows the service declaration in proto/isms/v1/control.proto. */
    static const struct isms_method_spec specs[] = {
        {"Export", soa_export, 0, ISMS_ROLES_READ},
        {"Check", soa_check, 0, ISMS_ROLES_READ},
        {"Publish", soa_publish, 0, ISMS_ROLE_MANAGER},
        {"Versions", soa_versions, 0, ISMS_ROLES_READ},
        {"Show", soa_show, 0, ISMS_ROLES_READ},
        {"Diff", soa_diff, 0, ISMS_ROLES_READ},
        {"Summary", soa_summary, 0, ISMS_ROLES_READ},
    };

    return isms_registry_add(&srv->reg, &isms__v1__soa__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
