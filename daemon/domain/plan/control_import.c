/* domain/plan/control_import.c — Control/Import: many control records (the SoA CSV of `soa
 * export`) applied in one statement, every row or none. Rows are checked here first; the
 * statement checks what only the database knows (the control exists, owners are active
 * accounts, no control twice) and with dry_run changes nothing but still reports the diff. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db/bind.h"
#include "db/rows.h"
#include "domain/domain.h"
#include "domain/plan/control_rules.h"
#include "domain/plan/method_rules.h"
#include "domain/plan/soa.h"
#include "isms/v1/control.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"

#define SEP ISMS_CONTROL_SEP_SQL

/* The fields an import compares and sets, in this order (SoaRow field names). */
static const char *const FIELDS[] = {
    "applicable",  "reasons", "inclusion_justification", "exclusion_justification",
    "status",      "owner",   "implementation",          "evidence",
    "target_date",
};
#define NFIELDS 9

/* Display texts of the fields before (b0..b8, from control c) and after (a0..a8, from n). */
#define SHOW_FIELDS                                                                                \
    "c.applicable AS b0, array_to_string(c.reasons, '; ') AS b1, c.justification AS b2,"           \
    " c.exclusion_justification AS b3, c.status AS b4, c.owner AS b5, c.implementation AS b6,"     \
    " array_to_string(c.evidence, '; ') AS b7,"                                                    \
    " coalesce(to_char(c.target_date, 'YYYY-MM-DD'), '') AS b8,"                                   \
    " n.app AS a0, array_to_string(n.reasons, '; ') AS a1, n.incl AS a2, n.excl AS a3,"            \
    " n.status AS a4, n.owner AS a5, n.impl AS a6, array_to_string(n.ev, '; ') AS a7,"             \
    " coalesce(to_char(n.td, 'YYYY-MM-DD'), '') AS a8"

/* $1 row numbers, $2-$11 the columns (lists joined by SEP), $12 dry run, $13 actor, $14
 * source. Changes nothing unless every row names a control, no control twice and every owner
 * is an active account. One result row per changed control (or one row of NULLs), each with
 * the refusal columns first. */
static const char SQL_CONTROL_IMPORT[] =
    "WITH src AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[],"
    "  $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])"
    "  AS s(rn, id, app, reasons, incl, excl, status, owner, impl, ev, target)),"
    " j AS (SELECT s.*, c.id AS cid FROM src s LEFT JOIN control c ON lower(c.id) = lower(s.id)),"
    " missing AS (SELECT rn, id FROM j WHERE cid IS NULL ORDER BY rn LIMIT 1),"
    " dup AS (SELECT b.rn, a.rn AS first FROM j a JOIN j b ON a.cid = b.cid AND a.rn < b.rn"
    "  ORDER BY b.rn LIMIT 1),"
    " badowner AS (SELECT j.rn, j.owner, coalesce(u.status, '') AS st FROM j"
    "  LEFT JOIN app_user u ON u.name = j.owner"
    "  WHERE j.owner <> '' AND coalesce(u.status, '') <> 'active' ORDER BY j.rn LIMIT 1),"
    " ok AS (SELECT NOT EXISTS (SELECT 1 FROM missing) AND NOT EXISTS (SELECT 1 FROM dup)"
    "  AND NOT EXISTS (SELECT 1 FROM badowner) AS go),"
    " n AS (SELECT j.rn, j.cid, j.app, string_to_array(j.reasons, " SEP ") AS reasons, j.incl,"
    "  j.excl, j.status, j.owner, j.impl, string_to_array(j.ev, " SEP ") AS ev,"
    "  nullif(j.target, '')::date AS td FROM j WHERE j.cid IS NOT NULL),"
    " d AS (SELECT n.*, c.ord, c.title, " SHOW_FIELDS ","
    "  jsonb_build_object('applicable', c.applicable, 'reasons', c.reasons, 'justification',"
    "  c.justification, 'exclusion_justification', c.exclusion_justification, 'status', c.status,"
    "  'owner', c.owner, 'implementation', c.implementation, 'evidence', c.evidence,"
    "  'target_date', c.target_date) AS before,"
    "  jsonb_build_object('applicable', n.app, 'reasons', n.reasons, 'justification', n.incl,"
    "  'exclusion_justification', n.excl, 'status', n.status, 'owner', n.owner,"
    "  'implementation', n.impl, 'evidence', n.ev, 'target_date', n.td) AS after"
    "  FROM n JOIN control c ON c.id = n.cid, ok WHERE ok.go AND"
    "  (c.applicable, c.reasons, c.justification, c.exclusion_justification, c.status, c.owner,"
    "  c.implementation, c.evidence, c.target_date) IS DISTINCT FROM"
    "  (n.app, n.reasons, n.incl, n.excl, n.status, n.owner, n.impl, n.ev, n.td)),"
    " u AS (UPDATE control c SET applicable = d.app, reasons = d.reasons,"
    "  justification = d.incl, exclusion_justification = d.excl, status = d.status,"
    "  owner = d.owner, implementation = d.impl, evidence = d.ev, target_date = d.td,"
    "  version = c.version + 1, updated_at = now(), updated_by = $13"
    "  FROM d WHERE c.id = d.cid AND NOT $12::boolean RETURNING c.id),"
    " a AS (SELECT audit_append($13, $14, '/isms.v1.Control/Import', 'control:' || u.id,"
    "  audit_diff(d.before, d.after), 'OK') AS seq FROM u JOIN d ON d.cid = u.id)" ISMS_SQL_IDEM(
        "$15", "a") " SELECT (SELECT go FROM ok), (SELECT rn FROM missing),"
                    " (SELECT id FROM missing), (SELECT rn FROM dup), (SELECT first FROM dup),"
                    " (SELECT rn FROM badowner), (SELECT owner FROM badowner),"
                    " (SELECT st FROM badowner), (SELECT count(*) FROM a),"
                    " d.cid, d.title, d.b0, d.b1, d.b2, d.b3, d.b4, d.b5, d.b6, d.b7, d.b8,"
                    " d.a0, d.a1, d.a2, d.a3, d.a4, d.a5, d.a6, d.a7, d.a8"
                    " FROM (SELECT 1) one LEFT JOIN d ON true ORDER BY d.ord";
ISMS_STATEMENT(STMT_CONTROL_IMPORT, SQL_CONTROL_IMPORT, "rows", "ids", "applicable", "reasons",
               "inclusion", "exclusion", "status", "owner", "implementation", "evidence",
               "target_date", "dry_run", "actor", "source", ISMS_SQL_IDEM_PARAM);

#define COL_ID  9
#define COL_CUR 11

static void import_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    const Isms__V1__ImportControlsRequest *in = call->ctx;
    struct isms_arena *ar = &call->arena;
    Isms__V1__ImportControlsResponse *r;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    if (n < 1) {
        isms_call_fail(call, ISMS_INTERNAL, "control import returned no rows");
        return;
    }
    if (!isms_rows_is_null(res, 0, 1)) {
        isms_call_fail(call, ISMS_NOT_FOUND,
                       "row %s: control \"%.64s\" does not exist (Annex A ids look like 5.15; "
                       "create custom controls first)",
                       isms_rows_text(res, 0, 1), isms_rows_text(res, 0, 2));
        return;
    }
    if (!isms_rows_is_null(res, 0, 3)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "row %s: the control of row %s is given again",
                       isms_rows_text(res, 0, 3), isms_rows_text(res, 0, 4));
        return;
    }
    if (!isms_rows_is_null(res, 0, 5)) {
        const char *ust = isms_rows_text(res, 0, 7);

        if (ust[0] == '\0')
            isms_call_fail(call, ISMS_NOT_FOUND,
                           "row %s: user \"%.64s\" does not exist: a control owner must be an "
                           "account (ismsctl user list)",
                           isms_rows_text(res, 0, 5), isms_rows_text(res, 0, 6));
        else
            isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                           "row %s: user \"%.64s\" is %s: a control owner must be an active user",
                           isms_rows_text(res, 0, 5), isms_rows_text(res, 0, 6), ust);
        return;
    }
    r = isms_arena_calloc(ar, sizeof(*r));
    if (r == NULL)
        goto oom;
    isms__v1__import_controls_response__init(r);
    r->rows = (int32_t)in->n_rows;
    r->dry_run = in->dry_run;
    r->changes = isms_arena_calloc(ar, sizeof(*r->changes) * (size_t)(n + 1));
    if (r->changes == NULL)
        goto oom;
    for (int i = 0; i < n; i++) {
        Isms__V1__SoaRowChange *c;

        if (isms_rows_is_null(res, i, COL_ID))
            continue;
        c = isms_arena_calloc(ar, sizeof(*c));
        if (c == NULL)
            goto oom;
        isms__v1__soa_row_change__init(c);
        c->control_id = isms_arena_strdup(ar, isms_rows_text(res, i, COL_ID));
        c->title = isms_arena_strdup(ar, isms_rows_text(res, i, COL_ID + 1));
        c->change = (char *)"changed";
        c->fields = isms_arena_calloc(ar, sizeof(*c->fields) * NFIELDS);
        if (c->control_id == NULL || c->title == NULL || c->fields == NULL)
            goto oom;
        for (int f = 0; f < NFIELDS; f++) {
            const char *before = isms_rows_text(res, i, COL_CUR + f);
            const char *after = isms_rows_text(res, i, COL_CUR + NFIELDS + f);
            Isms__V1__SoaFieldChange *fc;

            if (strcmp(before, after) == 0)
                continue;
            fc = isms_arena_calloc(ar, sizeof(*fc));
            if (fc == NULL)
                goto oom;
            isms__v1__soa_field_change__init(fc);
            fc->field = (char *)FIELDS[f];
            fc->before = isms_arena_strdup(ar, before);
            fc->after = isms_arena_strdup(ar, after);
            if (fc->before == NULL || fc->after == NULL)
                goto oom;
            c->fields[c->n_fields++] = fc;
        }
        r->changes[r->n_changes++] = c;
    }
    r->changed = (int32_t)r->n_changes;
    isms_call_finish(call, &r->base);
    return;
oom:
    isms_soa_fail_oom(call);
}

/* Column arrays of the statement, filled row by row. */
struct import_cols {
    const char **ids, **app, **reasons, **incl, **excl, **status, **owner, **impl, **ev, **td;
    int64_t *rn;
};

static int cols_alloc(struct isms_arena *a, struct import_cols *c, size_t n)
{
    const char ***all[] = {&c->ids,    &c->app,   &c->reasons, &c->incl, &c->excl,
                           &c->status, &c->owner, &c->impl,    &c->ev,   &c->td};

    for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
        *all[k] = isms_arena_calloc(a, sizeof(char *) * (n + 1));
        if (*all[k] == NULL)
            return 0;
    }
    c->rn = isms_arena_calloc(a, sizeof(*c->rn) * (n + 1));
    return c->rn != NULL;
}

void isms_control_import_handler(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ImportControlsRequest *in = (const Isms__V1__ImportControlsRequest *)msg;
    struct isms_arena *ar = &call->arena;
    struct import_cols c;
    struct isms_status st;
    struct isms_bind b;
    const char *arr[11];

    if (in->n_rows == 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "rows: nothing to import");
        return;
    }
    if (in->n_rows > ISMS_CONTROL_IMPORT_ROWS_MAX) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "rows: at most %d rows, got %zu",
                       ISMS_CONTROL_IMPORT_ROWS_MAX, in->n_rows);
        return;
    }
    if (!cols_alloc(ar, &c, in->n_rows)) {
        isms_soa_fail_oom(call);
        return;
    }
    for (size_t i = 0; i < in->n_rows; i++) {
        const Isms__V1__ImportControlRow *row = in->rows[i];
        struct isms_control_import_norm norm;
        char reasons[128];

        if (isms_control_check_import_row(row, &norm, &st) != ISMS_OK) {
            isms_call_fail_status(call, &st);
            return;
        }
        isms_reasons_join(norm.reasons, reasons, sizeof(reasons));
        c.rn[i] = row->row;
        c.ids[i] = norm.id;
        c.app[i] = norm.applicable;
        c.reasons[i] = isms_arena_strdup(ar, reasons);
        c.incl[i] = row->inclusion_justification;
        c.excl[i] = row->exclusion_justification;
        c.status[i] = norm.status;
        c.owner[i] = row->owner;
        c.impl[i] = row->implementation;
        c.ev[i] = isms_control_join(ar, row->evidence, row->n_evidence);
        c.td[i] = row->target_date;
        if (c.reasons[i] == NULL || c.ev[i] == NULL) {
            isms_soa_fail_oom(call);
            return;
        }
    }
    arr[0] = isms_pg_array_int(ar, c.rn, NULL, in->n_rows);
    arr[1] = isms_pg_array_text(ar, c.ids, in->n_rows);
    arr[2] = isms_pg_array_text(ar, c.app, in->n_rows);
    arr[3] = isms_pg_array_text(ar, c.reasons, in->n_rows);
    arr[4] = isms_pg_array_text(ar, c.incl, in->n_rows);
    arr[5] = isms_pg_array_text(ar, c.excl, in->n_rows);
    arr[6] = isms_pg_array_text(ar, c.status, in->n_rows);
    arr[7] = isms_pg_array_text(ar, c.owner, in->n_rows);
    arr[8] = isms_pg_array_text(ar, c.impl, in->n_rows);
    arr[9] = isms_pg_array_text(ar, c.ev, in->n_rows);
    arr[10] = isms_pg_array_text(ar, c.td, in->n_rows);
    for (size_t k = 0; k < 11; k++) {
        if (arr[k] == NULL) {
            isms_soa_fail_oom(call);
            return;
        }
    }
    isms_bind_init(&b, &STMT_CONTROL_IMPORT);
    isms_bind_text(&b, "rows", arr[0]);
    isms_bind_text(&b, "ids", arr[1]);
    isms_bind_text(&b, "applicable", arr[2]);
    isms_bind_text(&b, "reasons", arr[3]);
    isms_bind_text(&b, "inclusion", arr[4]);
    isms_bind_text(&b, "exclusion", arr[5]);
    isms_bind_text(&b, "status", arr[6]);
    isms_bind_text(&b, "owner", arr[7]);
    isms_bind_text(&b, "implementation", arr[8]);
    isms_bind_text(&b, "evidence", arr[9]);
    isms_bind_text(&b, "target_date", arr[10]);
    isms_bind_bool(&b, "dry_run", in->dry_run);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, import_done);
}
