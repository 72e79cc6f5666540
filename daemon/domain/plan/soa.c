/* domain/plan/soa.c — isms.v1.Soa: the Statement of Applicability (6.1.3 d). Export streams the
 * rows in catalogue order in keyset pages; Versions, Show, Diff and Summary read published
 * versions; Check and Publish are in soa_publish.c. This file registers the service. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "auth/roles.h"
#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/domain.h"
#include "domain/plan/control_rules.h"
#include "domain/plan/soa.h"
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
#define VERSION_MAX      1000000000

#define SEP ISMS_CONTROL_SEP_SQL

/* SoA row columns (read by row_from_res): pos, id, theme, title, is_custom, source, applicable,
 * reasons, inclusion justification, status, owner, implementation, evidence, linked_risks,
 * version, ord, exclusion justification, target date. */
static const char SQL_SOA_CURRENT_PAGE[] =
    "SELECT $2::int + (row_number() OVER (ORDER BY c.ord))::int, c.id, c.theme, c.title,"
    " c.is_custom, c.source, c.applicable, array_to_string(c.reasons, " SEP "), c.justification,"
    " c.status, c.owner, c.implementation, array_to_string(c.evidence, " SEP "),"
    " array_to_string(control_linked_risks(c.id), " SEP "), c.version, c.ord,"
    " c.exclusion_justification, coalesce(to_char(c.target_date, 'YYYY-MM-DD'), '')"
    " FROM control c WHERE c.ord > $1 ORDER BY c.ord LIMIT " PAGE_ROWS;

/* Through soa_rows_at(), which reads rows published before 035 (one justification) right. */
static const char SQL_SOA_VERSION_PAGE[] =
    "SELECT r.pos, r.control_id, r.theme, r.title, r.is_custom, r.source, r.applicable,"
    " array_to_string(r.reasons, " SEP "), r.justification, r.status, r.owner, r.implementation,"
    " array_to_string(r.evidence, " SEP "), array_to_string(r.linked_risks, " SEP "),"
    " r.control_version, r.ord, r.exclusion_justification, r.target_date"
    " FROM soa_rows_at($1::int) r WHERE r.pos > $2::int"
    " ORDER BY r.pos LIMIT " PAGE_ROWS;

/* Columns: number, legacy approver text, publish time, publisher, counts (3), then the
 * approval (schema/030): approver account ('' = none) and time. */
#define SQL_VERSION_COLS                                                                           \
    "v.num, v.approved_by, " ISMS_SQL_TS(                                                          \
        "v.approved_at") ", v.published_by, v.row_count,"                                          \
                         " (SELECT count(*) FROM soa_version_row r WHERE r.version_num = v.num"    \
                         " AND r.applicable = 'yes'),"                                             \
                         " (SELECT count(*) FROM soa_version_row r WHERE r.version_num = v.num"    \
                         " AND r.applicable = 'yes' AND r.status = 'implemented'),"                \
                         " coalesce(ap.approved_by, ''), coalesce(" ISMS_SQL_TS(                   \
                             "ap.approved_at") ", '')"
#define SQL_VERSION_FROM " FROM soa_version v LEFT JOIN soa_approval ap ON ap.version_num = v.num"

static const char SQL_SOA_VERSIONS[] =
    "SELECT " SQL_VERSION_COLS SQL_VERSION_FROM " ORDER BY v.num";
ISMS_STATEMENT_NO_PARAMS(STMT_SOA_VERSIONS, SQL_SOA_VERSIONS);
ISMS_STATEMENT(STMT_SOA_VERSION_PAGE, SQL_SOA_VERSION_PAGE, "version", "pos");
ISMS_STATEMENT(STMT_SOA_CURRENT_PAGE, SQL_SOA_CURRENT_PAGE, "after", "pos");

static const char SQL_SOA_VERSION_GET[] =
    "SELECT " SQL_VERSION_COLS SQL_VERSION_FROM " WHERE v.num = $1::int";
ISMS_STATEMENT(STMT_SOA_VERSION_GET, SQL_SOA_VERSION_GET, "version");

static const char SQL_SOA_VERSIONS_EXIST[] =
    "SELECT $1::int = 0 OR EXISTS (SELECT 1 FROM soa_version WHERE num = $1::int),"
    " $2::int = 0 OR EXISTS (SELECT 1 FROM soa_version WHERE num = $2::int)";
ISMS_STATEMENT(STMT_SOA_VERSIONS_EXIST, SQL_SOA_VERSIONS_EXIST, "from_version", "to_version");

/* Columns: id, in a, in b, title, then the diff fields of a, then those of b. */
#define DIFF_FIELDS(t)                                                                             \
    t ".theme, " t ".title, " t ".source, " t ".applicable, array_to_string(" t ".reasons, " SEP   \
      "), " t ".justification, " t ".status, " t ".owner, " t                                      \
      ".implementation, array_to_string(" t ".evidence, " SEP "), array_to_string(" t              \
      ".linked_risks, " SEP "), " t ".exclusion_justification, " t ".target_date"

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

void isms_soa_fail_oom(struct isms_call *call)
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
    out->inclusion_justification = (char *)isms_rows_text(res, r, 8);
    out->exclusion_justification = (char *)isms_rows_text(res, r, 16);
    out->target_date = (char *)isms_rows_text(res, r, 17);
    out->justification = strcmp(out->applicable, "no") == 0 ? out->exclusion_justification
                                                            : out->inclusion_justification;
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
        isms_soa_fail_oom(call);
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

/* Fills a SoaVersion from columns c0.. of SQL_VERSION_COLS (or the Publish result). */
Isms__V1__SoaVersion *isms_soa_version_from_row(struct isms_arena *a, const struct isms_rows *res,
                                                int r)
{
    Isms__V1__SoaVersion *v = isms_arena_calloc(a, sizeof(*v));

    if (v == NULL)
        return NULL;
    isms__v1__soa_version__init(v);
    v->number = (int32_t)isms_rows_int64(res, r, 0);
    v->legacy_approved_by = (char *)isms_rows_text(res, r, 1);
    v->published_at = (char *)isms_rows_text(res, r, 2);
    v->published_by = (char *)isms_rows_text(res, r, 3);
    v->controls = (int32_t)isms_rows_int64(res, r, 4);
    v->applicable = (int32_t)isms_rows_int64(res, r, 5);
    v->implemented = (int32_t)isms_rows_int64(res, r, 6);
    v->approved_by = (char *)isms_rows_text(res, r, 7);
    v->approved_at = (char *)isms_rows_text(res, r, 8);
    v->approved = v->approved_by[0] != '\0';
    return v;
}

/* Copies a SoaVersion's strings into the arena (the rows die with the callback). */
int isms_soa_version_own(struct isms_arena *a, Isms__V1__SoaVersion *v)
{
    return (v->approved_by = isms_arena_strdup(a, v->approved_by)) != NULL &&
           (v->approved_at = isms_arena_strdup(a, v->approved_at)) != NULL &&
           (v->published_at = isms_arena_strdup(a, v->published_at)) != NULL &&
           (v->legacy_approved_by = isms_arena_strdup(a, v->legacy_approved_by)) != NULL &&
           (v->published_by = isms_arena_strdup(a, v->published_by)) != NULL;
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
        r->versions[i] = isms_soa_version_from_row(&call->arena, res, i);
        if (r->versions[i] == NULL || !isms_soa_version_own(&call->arena, r->versions[i]))
            goto oom;
    }
    r->n_versions = (size_t)n;
    isms_call_finish(call, &r->base);
    return;
oom:
    isms_soa_fail_oom(call);
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
    v = isms_soa_version_from_row(&call->arena, res, 0);
    if (v == NULL || !isms_soa_version_own(&call->arena, v)) {
        isms_soa_fail_oom(call);
        return;
    }
    isms_call_finish(call, &v->base);
}

void isms_soa_reply_version(struct isms_call *call, const Isms__V1__SoaShowRequest *in)
{
    struct isms_bind b;

    isms_bind_init(&b, &STMT_SOA_VERSION_GET);
    isms_bind_int64(&b, "version", in->version);
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, show_done);
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
    isms_soa_fail_oom(call);
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
        s->percent_implemented_of_in_scope =
            isms_soa_percent(s->implemented, s->total - s->excluded);
        t->total += s->total;
        t->applicable += s->applicable;
        t->excluded += s->excluded;
        t->undecided += s->undecided;
        t->implemented += s->implemented;
        t->planned += s->planned;
        r->themes[r->n_themes++] = s;
    }
    t->percent_implemented = isms_soa_percent(t->implemented, t->applicable);
    t->percent_implemented_of_in_scope = isms_soa_percent(t->implemented, t->total - t->excluded);
    isms_call_finish(call, &r->base);
    return;
oom:
    isms_soa_fail_oom(call);
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
        {"Export", soa_export, ISMS_METHOD_STREAM, ISMS_ROLES_READ},
        {"Check", isms_soa_check_handler, 0, ISMS_ROLES_READ},
        {"Publish", isms_soa_publish_handler, 0, ISMS_ROLE_MANAGER},
        {"Versions", soa_versions, 0, ISMS_ROLES_READ},
        {"Show", soa_show, 0, ISMS_ROLES_READ},
        {"Diff", soa_diff, 0, ISMS_ROLES_READ},
        {"Summary", soa_summary, 0, ISMS_ROLES_READ},
        {"Approve", isms_soa_approve_handler, 0, ISMS_ROLE_TOP_MANAGEMENT},
    };

    return isms_registry_add(&srv->reg, &isms__v1__soa__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
