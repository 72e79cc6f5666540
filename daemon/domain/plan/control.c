/* domain/plan/control.c — isms.v1.Control: the read-only Annex A catalogue, custom controls and
 * the organisation's record of each control. Every mutation is one statement that changes the
 * row and appends its audit record; catalogue columns of Annex A rows are never written. */
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
#include "isms/v1/control.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"
#include "rpc/server.h"

#define PAGE_ROWS        "500"
#define PAGE_ROWS_N      500
#define STREAM_OUT_BELOW (1u << 20)
/* Memory for building one streamed row; released after each row. */
#define ROW_ARENA_BYTES (4u << 20)

#define SEP ISMS_CONTROL_SEP_SQL

/* The columns control_from_row() reads, from table alias `t`. */
#define CONTROL_COLS(t)                                                                            \
    t ".id, " t ".theme, " t ".title, " t ".is_custom, " t ".source, " t                           \
      ".description, array_to_string(" t ".control_type, " SEP "), array_to_string(" t             \
      ".security_properties, " SEP "), array_to_string(" t ".cybersecurity_concepts, " SEP         \
      "), array_to_string(" t ".operational_capabilities, " SEP "), array_to_string(" t            \
      ".security_domains, " SEP "), " t ".applicable, array_to_string(" t ".reasons, " SEP "), " t \
      ".justification, " t ".status, " t ".owner, " t ".implementation, array_to_string(" t        \
      ".evidence, " SEP "), array_to_string(control_linked_risks(" t ".id), " SEP "), " t          \
      ".version, " ISMS_SQL_TS(t ".updated_at") ", " t ".updated_by, " t ".ord, " t                \
                                                ".exclusion_justification, coalesce(to_char(" t    \
                                                ".target_date, 'YYYY-MM-DD'), '')"
#define CONTROL_NCOLS 25
#define COL_ORD       22

/* The record fields the audit trail shows before and after a change. */
#define RECORD_JSON(t)                                                                             \
    "jsonb_build_object('applicable', " t ".applicable, 'reasons', " t ".reasons, "                \
    "'justification', " t ".justification, 'exclusion_justification', " t                          \
    ".exclusion_justification, 'target_date', " t ".target_date, 'status', " t ".status, "         \
    "'owner', " t ".owner, "                                                                       \
    "'implementation', " t ".implementation, 'evidence', " t ".evidence, 'title', " t ".title, "   \
    "'source', " t ".source, 'description', " t ".description)"

static const char SQL_CONTROL_PAGE[] =
    "SELECT " CONTROL_COLS("c") " FROM control c"
                                " WHERE ($1 = '' OR c.theme = $1) AND ($2 = '' OR c.status = $2)"
                                " AND ($3 = '' OR c.applicable = $3) AND (NOT $4::boolean OR "
                                "c.is_custom)"
                                " AND string_to_array($5, " SEP ") <@ control_attr_tokens("
                                "c.control_type, c.security_properties, c.cybersecurity_concepts,"
                                " c.operational_capabilities, c.security_domains)"
                                " AND c.ord > $6 ORDER BY c.ord LIMIT " PAGE_ROWS;

static const char SQL_CONTROL_GET[] =
    "SELECT " CONTROL_COLS("c") " FROM control c WHERE lower(c.id) = lower($1)";
ISMS_STATEMENT(STMT_CONTROL_GET, SQL_CONTROL_GET, "id");
ISMS_STATEMENT(STMT_CONTROL_PAGE, SQL_CONTROL_PAGE, "theme", "status", "applicable", "custom_only",
               "attrs", "after");

/* $1 id, $2 expected version, then (set flag, value) pairs, evidence add/remove lists, $25
 * actor, $26 source, $27 idempotency key, $28-$33 inclusion, exclusion, target date. Evidence:
 * the list (replaced or kept) minus removals, then additions not already present. A catalogue
 * row never takes a title, source or description. `fa` is the applicability after the change:
 * excluding (fa = 'no') clears reasons, inclusion text, target date and sets status
 * not_applicable; anything else clears the exclusion text. The legacy justification ($7/$8)
 * goes to whichever text fits fa. Nothing changes when `conflict` is not '' (inclusion data
 * given for an excluded control or exclusion text for an included one) or the owner named is
 * not an active account; the last columns say which. */
static const char SQL_CONTROL_SET[] =
    "WITH old AS (SELECT * FROM control WHERE lower(id) = lower($1) FOR UPDATE),"
    " f AS (SELECT CASE WHEN $3::boolean THEN $4 ELSE old.applicable END AS fa FROM old),"
    " chk AS (SELECT CASE"
    "  WHEN f.fa = 'no' AND $5::boolean AND $6 <> '' THEN 'reasons'"
    "  WHEN f.fa = 'no' AND $28::boolean AND $29 <> '' THEN 'inclusion_justification'"
    "  WHEN f.fa = 'no' AND $9::boolean AND $10 <> 'not_applicable' THEN 'status'"
    "  WHEN f.fa = 'no' AND $32::boolean AND $33 <> '' THEN 'target_date'"
    "  WHEN f.fa <> 'no' AND $30::boolean AND $31 <> '' THEN 'exclusion_justification'"
    "  ELSE '' END AS conflict,"
    "  CASE WHEN NOT $11::boolean OR $12 = '' THEN 'active'"
    "  ELSE coalesce((SELECT u.status FROM app_user u WHERE u.name = $12), '') END AS owner_st"
    "  FROM f),"
    " base AS (SELECT CASE WHEN $15::boolean THEN string_to_array($16, " SEP ")"
    "  ELSE old.evidence END AS ev FROM old),"
    " ev AS (SELECT coalesce(array_agg(z.e ORDER BY z.o), '{}') AS evidence FROM ("
    "  SELECT x.e, x.o FROM base, unnest(base.ev) WITH ORDINALITY AS x(e, o)"
    "   WHERE x.e <> ALL (string_to_array($18, " SEP "))"
    "  UNION ALL SELECT y.e, 1000000 + y.o FROM base,"
    "   unnest(string_to_array($17, " SEP ")) WITH ORDINALITY AS y(e, o)"
    "   WHERE y.e <> ALL (base.ev)) z),"
    " u AS (UPDATE control c SET"
    "  applicable = f.fa,"
    "  reasons = CASE WHEN f.fa = 'no' THEN '{}'"
    "  WHEN $5::boolean THEN string_to_array($6, " SEP ") ELSE c.reasons END,"
    "  justification = CASE WHEN f.fa = 'no' THEN '' WHEN $28::boolean THEN $29"
    "  WHEN $7::boolean THEN $8 ELSE c.justification END,"
    "  exclusion_justification = CASE WHEN f.fa <> 'no' THEN '' WHEN $30::boolean THEN $31"
    "  WHEN $7::boolean THEN $8 ELSE c.exclusion_justification END,"
    "  status = CASE WHEN f.fa = 'no' THEN 'not_applicable' WHEN $9::boolean THEN $10"
    "  WHEN old.applicable = 'no' AND c.status = 'not_applicable' THEN 'not_started'"
    "  ELSE c.status END,"
    "  target_date = CASE WHEN f.fa = 'no' THEN NULL"
    "  WHEN $32::boolean THEN nullif($33, '')::date ELSE c.target_date END,"
    "  owner = CASE WHEN $11::boolean THEN $12 ELSE c.owner END,"
    "  implementation = CASE WHEN $13::boolean THEN $14 ELSE c.implementation END,"
    "  evidence = ev.evidence,"
    "  title = CASE WHEN $19::boolean THEN $20 ELSE c.title END,"
    "  source = CASE WHEN $21::boolean THEN $22 ELSE c.source END,"
    "  description = CASE WHEN $23::boolean THEN $24 ELSE c.description END,"
    "  version = c.version + 1, updated_at = now(), updated_by = $25"
    "  FROM old, ev, f, chk WHERE c.id = old.id AND ($2::bigint = 0 OR c.version = $2::bigint)"
    "  AND (old.is_custom OR NOT ($19::boolean OR $21::boolean OR $23::boolean))"
    "  AND chk.conflict = '' AND chk.owner_st = 'active'"
    "  RETURNING c.*),"
    " a AS (SELECT audit_append($25, $26, '/isms.v1.Control/Set', 'control:' || u.id,"
    "  audit_diff(" RECORD_JSON("old") ", " RECORD_JSON(
        "u") "), 'OK') AS seq FROM u, old)" ISMS_SQL_IDEM("$27",
                                                          "a") " SELECT " CONTROL_COLS("u") ", "
                                                                                            "(SELEC"
                                                                                            "T "
                                                                                            "count("
                                                                                            "*) "
                                                                                            "FROM "
                                                                                            "old), "
                                                                                            "(SELEC"
                                                                                            "T "
                                                                                            "old."
                                                                                            "versio"
                                                                                            "n "
                                                                                            "FROM "
                                                                                            "old),"
                                                                                            " ("
                                                                                            "SELECT"
                                                                                            " chk."
                                                                                            "confli"
                                                                                            "ct "
                                                                                            "FROM "
                                                                                            "chk), "
                                                                                            "(SELEC"
                                                                                            "T "
                                                                                            "chk."
                                                                                            "owner_"
                                                                                            "st "
                                                                                            "FROM "
                                                                                            "chk)"
                                                                                            " FROM "
                                                                                            "(SELEC"
                                                                                            "T 1) "
                                                                                            "one "
                                                                                            "LEFT "
                                                                                            "JOIN "
                                                                                            "(u "
                                                                                            "CROSS "
                                                                                            "JOIN "
                                                                                            "a) ON "
                                                                                            "true";
ISMS_STATEMENT(STMT_CONTROL_SET, SQL_CONTROL_SET, "id", "expected_version", "set_applicable",
               "applicable", "set_reasons", "reasons", "set_justification", "justification",
               "set_status", "status", "set_owner", "owner", "set_implementation", "implementation",
               "set_evidence", "evidence", "add_evidence", "remove_evidence", "set_title", "title",
               "set_control_source", "control_source", "set_description", "description", "actor",
               "source", ISMS_SQL_IDEM_PARAM, "set_inclusion", "inclusion", "set_exclusion",
               "exclusion", "set_target_date", "target_date");

static const char SQL_CONTROL_CREATE[] =
    "WITH c AS (INSERT INTO control (id, is_custom, theme, title, source, description,"
    "  created_by, updated_by) VALUES ($1, true, 'Custom', $2, $3, $4, $5, $5) RETURNING *),"
    " a AS (SELECT audit_append($5, $6, '/isms.v1.Control/CreateCustom', 'control:' || c.id,"
    "  audit_diff(NULL, jsonb_build_object('title', c.title, 'source', c.source,"
    "  'description', c.description)), 'OK') AS seq FROM c)" ISMS_SQL_IDEM(
        "$7", "a") ""
                   " SELECT " CONTROL_COLS("c") " FROM c, a";
ISMS_STATEMENT(STMT_CONTROL_CREATE, SQL_CONTROL_CREATE, "id", "title", "control_source",
               "description", "actor", "source", ISMS_SQL_IDEM_PARAM);

/* Refused (nothing deleted) for a catalogue row, a stale version, or a control that a risk's
 * treatment still selects; the result says which. */
static const char SQL_CONTROL_DELETE[] =
    "WITH t AS (SELECT * FROM control WHERE lower(id) = lower($1) FOR UPDATE),"
    " r AS (SELECT array_to_string(control_linked_risks(t.id), ', ') AS risks FROM t),"
    " d AS (DELETE FROM control c USING t, r WHERE c.id = t.id AND t.is_custom AND r.risks = ''"
    "  AND ($2::bigint = 0 OR c.version = $2::bigint) RETURNING c.*),"
    " a AS (SELECT audit_append($3, $4, '/isms.v1.Control/DeleteCustom', 'control:' || d.id,"
    "  audit_diff(jsonb_build_object('title', d.title, 'source', d.source,"
    "  'description', d.description), NULL), 'OK') AS seq FROM d)" ISMS_SQL_IDEM(
        "$5",
        "a") ""
             " SELECT (SELECT count(*) FROM t), (SELECT t.id FROM t), (SELECT t.is_custom FROM t),"
             " (SELECT t.version FROM t), (SELECT r.risks FROM r), (SELECT count(*) FROM a)";
ISMS_STATEMENT(STMT_CONTROL_DELETE, SQL_CONTROL_DELETE, "id", "expected_version", "actor", "source",
               ISMS_SQL_IDEM_PARAM);

static void fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "response exceeds the call's memory limit");
}

/* Splits a joined list cell into a repeated field; 0 when memory ran out. */
static int list_cell(struct isms_arena *a, const struct isms_rows *res, int r, int c, size_t *n,
                     char ***items)
{
    return isms_control_split(a, isms_rows_text(res, r, c), items, n);
}

/* Fills `out` from row `r` (columns of CONTROL_COLS); strings point into `a` or `res`, so
 * `out` lives as long as both. Returns 0 when memory ran out. */
static int control_from_row(struct isms_arena *a, const struct isms_rows *res, int r,
                            Isms__V1__ControlRecord *out)
{
    isms__v1__control_record__init(out);
    out->id = (char *)isms_rows_text(res, r, 0);
    out->theme = (char *)isms_rows_text(res, r, 1);
    out->title = (char *)isms_rows_text(res, r, 2);
    out->custom = isms_rows_text(res, r, 3)[0] == 't';
    out->source = (char *)isms_rows_text(res, r, 4);
    out->description = (char *)isms_rows_text(res, r, 5);
    out->applicable = (char *)isms_rows_text(res, r, 11);
    out->inclusion_justification = (char *)isms_rows_text(res, r, 13);
    out->exclusion_justification = (char *)isms_rows_text(res, r, 23);
    out->target_date = (char *)isms_rows_text(res, r, 24);
    out->justification = strcmp(out->applicable, "no") == 0 ? out->exclusion_justification
                                                            : out->inclusion_justification;
    out->status = (char *)isms_rows_text(res, r, 14);
    out->owner = (char *)isms_rows_text(res, r, 15);
    out->implementation = (char *)isms_rows_text(res, r, 16);
    out->version = isms_rows_int64(res, r, 19);
    out->updated_at = (char *)isms_rows_text(res, r, 20);
    out->updated_by = (char *)isms_rows_text(res, r, 21);
    return list_cell(a, res, r, 6, &out->n_control_type, &out->control_type) &&
           list_cell(a, res, r, 7, &out->n_security_properties, &out->security_properties) &&
           list_cell(a, res, r, 8, &out->n_cybersecurity_concepts, &out->cybersecurity_concepts) &&
           list_cell(a, res, r, 9, &out->n_operational_capabilities,
                     &out->operational_capabilities) &&
           list_cell(a, res, r, 10, &out->n_security_domains, &out->security_domains) &&
           list_cell(a, res, r, 12, &out->n_reasons, &out->reasons) &&
           list_cell(a, res, r, 17, &out->n_evidence, &out->evidence) &&
           list_cell(a, res, r, 18, &out->n_linked_risks, &out->linked_risks);
}

/* Answers a unary call with row 0 of `res` as a ControlRecord. */
static void finish_with_row(struct isms_call *call, const struct isms_rows *res)
{
    Isms__V1__ControlRecord *c = isms_arena_calloc(&call->arena, sizeof(*c));

    if (c == NULL || !control_from_row(&call->arena, res, 0, c)) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &c->base);
}

/* ---- List --------------------------------------------------------------------------------- */

struct list_walk {
    const char *theme, *status, *applicable;
    int is_custom_only;
    char *attrs; /* joined "field=Value" tokens */
    char after[ISMS_CONTROL_ID_MAX * 4 + 8];
};

static void list_page(struct isms_call *call);

static enum isms_row_fill fill_control(void *ctx, struct isms_arena *a, const struct isms_rows *res,
                                       int r, ProtobufCMessage *m, struct isms_status *st)
{
    (void)ctx;
    (void)st;
    return control_from_row(a, res, r, (Isms__V1__ControlRecord *)m) ? ISMS_ROW_SEND
                                                                     : ISMS_ROW_FAIL;
}

static void list_page_done(struct isms_call *call, const struct isms_rows *res,
                           const struct isms_status *st)
{
    struct list_walk *w = call->ctx;
    Isms__V1__ControlRecord m;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    if (!isms_call_send_rows(call, res, ROW_ARENA_BYTES, fill_control, NULL, &m.base))
        return;
    if (n > 0)
        snprintf(w->after, sizeof(w->after), "%s", isms_rows_text(res, n - 1, COL_ORD));
    if (n < PAGE_ROWS_N) {
        isms_call_finish(call, NULL);
        return;
    }
    isms_call_after_drain(call, STREAM_OUT_BELOW, list_page);
}

static void list_page(struct isms_call *call)
{
    struct list_walk *w = call->ctx;
    struct isms_bind b;

    isms_bind_init(&b, &STMT_CONTROL_PAGE);
    isms_bind_text(&b, "theme", w->theme);
    isms_bind_text(&b, "status", w->status);
    isms_bind_text(&b, "applicable", w->applicable);
    isms_bind_bool(&b, "custom_only", w->is_custom_only);
    isms_bind_text(&b, "attrs", w->attrs);
    isms_bind_text(&b, "after", w->after);
    isms_call_db_or_fail(call, &b, list_page_done);
}

static void control_list(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ListControlsRequest *in = (const Isms__V1__ListControlsRequest *)msg;
    struct list_walk *w = isms_arena_calloc(&call->arena, sizeof(*w));
    char **tokens;
    struct isms_status st;
    enum isms_applicable a;
    enum isms_impl_status s;

    if (w == NULL) {
        fail_oom(call);
        return;
    }
    w->theme = w->status = w->applicable = "";
    if (isms_text_check("theme", in->theme, 40, 0, &st) != ISMS_OK ||
        isms_text_check("status", in->status, 40, 0, &st) != ISMS_OK ||
        isms_text_check("applicable", in->applicable, 40, 0, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (in->theme[0] != '\0' && (w->theme = isms_control_theme(in->theme)) == NULL) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "theme must be Organizational, People, Physical, Technological or "
                       "Custom, got \"%s\"",
                       in->theme);
        return;
    }
    if (in->status[0] != '\0') {
        if (!isms_impl_status_parse(in->status, &s)) {
            isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                           "status must be not_started, planned, partially_implemented, "
                           "implemented or not_applicable, got \"%s\"",
                           in->status);
            return;
        }
        w->status = isms_impl_status_name(s);
    }
    if (in->applicable[0] != '\0') {
        if (!isms_applicable_parse(in->applicable, &a)) {
            isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                           "applicable must be yes, no or undecided, got \"%s\"", in->applicable);
            return;
        }
        w->applicable = isms_applicable_name(a);
    }
    if (in->n_attributes > ISMS_CONTROL_ATTR_FILTERS_MAX) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "at most %d attribute filters",
                       ISMS_CONTROL_ATTR_FILTERS_MAX);
        return;
    }
    tokens = isms_arena_calloc(&call->arena, sizeof(*tokens) * (in->n_attributes + 1));
    if (tokens == NULL) {
        fail_oom(call);
        return;
    }
    for (size_t i = 0; i < in->n_attributes; i++) {
        char tok[128];

        if (isms_control_attr_filter(in->attributes[i], tok, sizeof(tok), &st) != ISMS_OK) {
            isms_call_fail_status(call, &st);
            return;
        }
        if ((tokens[i] = isms_arena_strdup(&call->arena, tok)) == NULL) {
            fail_oom(call);
            return;
        }
    }
    w->attrs = isms_control_join(&call->arena, tokens, in->n_attributes);
    if (w->attrs == NULL) {
        fail_oom(call);
        return;
    }
    w->is_custom_only = in->custom_only;
    call->ctx = w;
    list_page(call);
}

/* ---- Get ---------------------------------------------------------------------------------- */

static void get_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_NOT_FOUND, "control \"%s\" does not exist",
                       (const char *)call->ctx);
        return;
    }
    finish_with_row(call, res);
}

static void control_get(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__GetControlRequest *in = (const Isms__V1__GetControlRequest *)msg;
    struct isms_status st;
    const char *id;
    struct isms_bind b;

    if (isms_control_lookup_id(in->id, &id, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, &STMT_CONTROL_GET);
    isms_bind_text(&b, "id", id);
    call->ctx = in->id;
    isms_call_db_or_fail(call, &b, get_done);
}

/* ---- Set ---------------------------------------------------------------------------------- */

/* What a Set refused for an excluded control, as people say it. */
static const char *conflict_text(const char *conflict)
{
    if (strcmp(conflict, "reasons") == 0)
        return "reasons for inclusion";
    if (strcmp(conflict, "status") == 0)
        return "implementation status but not_applicable";
    if (strcmp(conflict, "target_date") == 0)
        return "target date";
    return "inclusion justification";
}

static void set_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    const Isms__V1__SetControlRequest *in = call->ctx;
    const char *conflict, *owner_st;

    if (st->code == ISMS_INVALID_ARGUMENT) {
        /* Every field was checked before; only the evidence count can overflow after adding. */
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "control \"%s\" would have more than %d evidence references", in->id,
                       ISMS_CONTROL_EVIDENCE_COUNT_MAX);
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_INTERNAL, "control update returned %d rows",
                       isms_rows_count(res));
        return;
    }
    if (!isms_rows_is_null(res, 0, 0)) {
        finish_with_row(call, res);
        return;
    }
    if (isms_rows_int64(res, 0, CONTROL_NCOLS) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "control \"%s\" does not exist", in->id);
        return;
    }
    conflict = isms_rows_text(res, 0, CONTROL_NCOLS + 2);
    if (conflict[0] != '\0') {
        if (strcmp(conflict, "exclusion_justification") == 0)
            isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                           "6.1.3 d: control %s is not excluded, so it takes no exclusion "
                           "justification; set applicable to no with it, or give an inclusion "
                           "justification",
                           in->id);
        else
            isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                           "6.1.3 d: control %s is excluded, so it takes no %s; set applicable "
                           "to yes with it, or leave it out",
                           in->id, conflict_text(conflict));
        return;
    }
    owner_st = isms_rows_text(res, 0, CONTROL_NCOLS + 3);
    if (owner_st[0] == '\0') {
        isms_call_fail(call, ISMS_NOT_FOUND,
                       "user \"%s\" does not exist: a control owner must be an account "
                       "(ismsctl user list)",
                       in->owner);
        return;
    }
    if (strcmp(owner_st, "active") != 0) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "user \"%s\" is %s: a control owner must be an active user", in->owner,
                       owner_st);
        return;
    }
    isms_call_fail(call, ISMS_ABORTED,
                   "control \"%s\" was changed by someone else: version %" PRId64
                   " is stale (it is now %" PRId64 "); show it again and retry",
                   in->id, in->expected_version, isms_rows_int64(res, 0, CONTROL_NCOLS + 1));
}

/* $1 evidence references. The first EV-n or DOC-n among them that names no record. */
static const char SQL_CONTROL_EVIDENCE_REFS[] =
    "SELECT r FROM unnest(string_to_array($1::text, " SEP ")) WITH ORDINALITY AS x (r, o)"
    " WHERE (r ~ '^EV-[0-9]+$' AND NOT EXISTS (SELECT 1 FROM evidence e WHERE 'EV-' || e.num = r))"
    " OR (r ~ '^DOC-[0-9]+$' AND NOT EXISTS (SELECT 1 FROM document d WHERE 'DOC-' || d.num = r))"
    " ORDER BY o LIMIT 1";
ISMS_STATEMENT(STMT_CONTROL_EVIDENCE_REFS, SQL_CONTROL_EVIDENCE_REFS, "refs");

static void set_submit(struct isms_call *call, const Isms__V1__SetControlRequest *in);

/* 1 when `items` hold an evidence store reference (EV-n) or a document id (DOC-n). */
static int has_store_ref(char *const *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strncmp(items[i], "EV-", 3) == 0 || strncmp(items[i], "DOC-", 4) == 0)
            return 1;
    return 0;
}

static void refs_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    const Isms__V1__SetControlRequest *in = call->ctx;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) > 0) {
        const char *r = isms_rows_text(res, 0, 0);

        isms_call_fail(call, ISMS_NOT_FOUND, "evidence: %s \"%s\" does not exist",
                       r[0] == 'E' ? "evidence" : "document", r);
        return;
    }
    set_submit(call, in);
}

/* Control/Set: an EV-n or DOC-n in the evidence must name a record of the evidence store or
 * the document register (checked first), then one statement changes the record. */
static void control_set(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__SetControlRequest *in = (const Isms__V1__SetControlRequest *)msg;
    struct isms_control_set_norm norm;
    struct isms_status st;
    struct isms_bind b;
    char *refs, *ev, *add;

    if (isms_control_check_set(in, &norm, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (!has_store_ref(in->evidence, in->n_evidence) &&
        !has_store_ref(in->add_evidence, in->n_add_evidence)) {
        set_submit(call, in);
        return;
    }
    ev = isms_control_join(&call->arena, in->evidence, in->n_evidence);
    add = isms_control_join(&call->arena, in->add_evidence, in->n_add_evidence);
    refs = ev != NULL && add != NULL
               ? isms_arena_printf(&call->arena, "%s%c%s", ev, ISMS_CONTROL_SEP, add)
               : NULL;
    if (refs == NULL) {
        fail_oom(call);
        return;
    }
    call->ctx = (void *)in;
    isms_bind_init(&b, &STMT_CONTROL_EVIDENCE_REFS);
    isms_bind_text(&b, "refs", refs);
    isms_call_db_or_fail(call, &b, refs_done);
}

static void set_submit(struct isms_call *call, const Isms__V1__SetControlRequest *in)
{
    struct isms_control_set_norm norm;
    struct isms_status st;
    char reasons[128];
    const char *id;
    char *ev, *add, *rm;
    struct isms_bind b;

    if (isms_control_check_set(in, &norm, &st) != ISMS_OK ||
        isms_control_lookup_id(in->id, &id, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (isms_control_is_annex_a_id(id) &&
        (in->set_title || in->set_source || in->set_description)) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "control %s belongs to the read-only Annex A catalogue: its title, source "
                       "and description cannot change",
                       id);
        return;
    }
    ev = isms_control_join(&call->arena, in->evidence, in->n_evidence);
    add = isms_control_join(&call->arena, in->add_evidence, in->n_add_evidence);
    rm = isms_control_join(&call->arena, in->remove_evidence, in->n_remove_evidence);
    if (ev == NULL || add == NULL || rm == NULL) {
        fail_oom(call);
        return;
    }
    isms_reasons_join(norm.reasons, reasons, sizeof(reasons));
    isms_bind_init(&b, &STMT_CONTROL_SET);
    isms_bind_text(&b, "id", id);
    isms_bind_int64(&b, "expected_version", in->expected_version);
    isms_bind_bool(&b, "set_applicable", in->set_applicable);
    isms_bind_text(&b, "applicable", in->set_applicable ? norm.applicable : "");
    isms_bind_bool(&b, "set_reasons", in->set_reasons);
    isms_bind_text(&b, "reasons", reasons);
    isms_bind_bool(&b, "set_justification", in->set_justification);
    isms_bind_text(&b, "justification", in->justification);
    isms_bind_bool(&b, "set_status", in->set_status);
    isms_bind_text(&b, "status", in->set_status ? norm.status : "");
    isms_bind_bool(&b, "set_owner", in->set_owner);
    isms_bind_text(&b, "owner", in->owner);
    isms_bind_bool(&b, "set_implementation", in->set_implementation);
    isms_bind_text(&b, "implementation", in->implementation);
    isms_bind_bool(&b, "set_evidence", in->set_evidence);
    isms_bind_text(&b, "evidence", ev);
    isms_bind_text(&b, "add_evidence", add);
    isms_bind_text(&b, "remove_evidence", rm);
    isms_bind_bool(&b, "set_title", in->set_title);
    isms_bind_text(&b, "title", in->title);
    isms_bind_bool(&b, "set_control_source", in->set_source);
    isms_bind_text(&b, "control_source", in->source);
    isms_bind_bool(&b, "set_description", in->set_description);
    isms_bind_text(&b, "description", in->description);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_bind_bool(&b, "set_inclusion", in->set_inclusion_justification);
    isms_bind_text(&b, "inclusion", in->inclusion_justification);
    isms_bind_bool(&b, "set_exclusion", in->set_exclusion_justification);
    isms_bind_text(&b, "exclusion", in->exclusion_justification);
    isms_bind_bool(&b, "set_target_date", in->set_target_date);
    isms_bind_text(&b, "target_date", in->target_date);
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, set_done);
}

/* ---- CreateCustom, DeleteCustom ---------------------------------------------------------- */

static void create_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    const Isms__V1__CreateCustomControlRequest *in = call->ctx;

    if (st->code == ISMS_ALREADY_EXISTS) {
        isms_call_fail(call, ISMS_ALREADY_EXISTS, "control \"%s\" already exists", in->id);
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    finish_with_row(call, res);
}

static void control_create(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__CreateCustomControlRequest *in =
        (const Isms__V1__CreateCustomControlRequest *)msg;
    struct isms_status st;
    struct isms_bind b;

    if (isms_control_check_create(in, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, &STMT_CONTROL_CREATE);
    isms_bind_text(&b, "id", in->id);
    isms_bind_text(&b, "title", in->title);
    isms_bind_text(&b, "control_source", in->source);
    isms_bind_text(&b, "description", in->description);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, create_done);
}

static void delete_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    const Isms__V1__DeleteCustomControlRequest *in = call->ctx;
    Isms__V1__DeleteCustomControlResponse *r;
    const char *id;

    if (st->code == ISMS_FAILED_PRECONDITION) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "control \"%s\" is still selected by a risk treatment", in->id);
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    id = isms_rows_text(res, 0, 1);
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "control \"%s\" does not exist", in->id);
        return;
    }
    if (isms_rows_text(res, 0, 2)[0] != 't') {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "control %s belongs to the read-only Annex A catalogue and cannot be "
                       "deleted; mark it not applicable instead",
                       id);
        return;
    }
    if (isms_rows_text(res, 0, 4)[0] != '\0') {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "control %s is selected by the treatment of %.120s; remove it from their "
                       "treatment first",
                       id, isms_rows_text(res, 0, 4));
        return;
    }
    if (isms_rows_int64(res, 0, 5) == 0) {
        isms_call_fail(call, ISMS_ABORTED,
                       "control %s was changed by someone else: version %" PRId64
                       " is stale (it is now %" PRId64 "); show it again and retry",
                       id, in->expected_version, isms_rows_int64(res, 0, 3));
        return;
    }
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL || (id = isms_arena_strdup(&call->arena, id)) == NULL) {
        fail_oom(call);
        return;
    }
    isms__v1__delete_custom_control_response__init(r);
    r->id = (char *)id;
    isms_call_finish(call, &r->base);
}

static void control_delete(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__DeleteCustomControlRequest *in =
        (const Isms__V1__DeleteCustomControlRequest *)msg;
    struct isms_status st;
    const char *id;
    struct isms_bind b;

    if (isms_control_lookup_id(in->id, &id, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (in->expected_version < 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "expected_version must not be negative");
        return;
    }
    if (isms_control_is_annex_a_id(id)) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "control %s belongs to the read-only Annex A catalogue and cannot be "
                       "deleted; mark it not applicable instead",
                       id);
        return;
    }
    isms_bind_init(&b, &STMT_CONTROL_DELETE);
    isms_bind_text(&b, "id", id);
    isms_bind_int64(&b, "expected_version", in->expected_version);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, delete_done);
}

enum isms_code isms_control_register(struct isms_server *srv, struct isms_status *st)
{
    /* Order follows the service declaration in proto/isms/v1/control.proto. */
    static const struct isms_method_spec specs[] = {
        {"List", control_list, ISMS_METHOD_STREAM, ISMS_ROLES_READ},
        {"Get", control_get, 0, ISMS_ROLES_READ},
        {"Set", control_set, 0, ISMS_ROLE_MANAGER},
        {"CreateCustom", control_create, 0, ISMS_ROLE_MANAGER},
        {"DeleteCustom", control_delete, 0, ISMS_ROLE_MANAGER},
        {"Import", isms_control_import_handler, 0, ISMS_ROLE_MANAGER},
    };

    return isms_registry_add(&srv->reg, &isms__v1__control__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
