/* domain/plan/risk_matrix.c — Risk/Matrix, the heat map: one method version's grid with, per
 * likelihood x impact cell, the risks assessed with that version (inherent rating, and current
 * rating: residual when rated, else inherent), optionally their ids; risks assessed with other
 * versions are counted and their versions named, never drawn on a grid that is not theirs. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "db/bind.h"
#include "db/rows.h"
#include "domain/plan/method.h"
#include "domain/plan/risk.h"
#include "rpc/call.h"

/* $1 method version (0 = current), $2 include closed risks, $3 with ids. Method columns, then
 * inherent and current counts per cell (likelihood-major), risks plotted, risks of other
 * versions, 0 (outside: none, each risk is on its own grid), those other versions, and per
 * cell the ids (comma-separated; '' without $3). */
static const char SQL_RISK_MATRIX[] =
    "WITH mm AS (SELECT * FROM risk_method WHERE version = CASE WHEN $1::bigint = 0"
    "  THEN (SELECT max(version) FROM risk_method) ELSE $1::bigint END),"
    " ra AS (SELECT r.num, r.inherent_likelihood AS il, r.inherent_impact AS ii,"
    "  " ISMS_RISK_CURRENT_SQL(
        "likelihood") " AS cl,"
                      "  " ISMS_RISK_CURRENT_SQL(
                          "impact") " AS ci, r.method_version FROM risk r"
                                    "  WHERE r.inherent_score IS NOT NULL AND ($2::boolean OR "
                                    "r.status <> 'closed')),"
                                    " rr AS (SELECT ra.* FROM ra, mm WHERE ra.method_version = "
                                    "mm.version),"
                                    " g AS (SELECT l, i FROM mm, generate_series(1, "
                                    "cardinality(mm.likelihood_labels)) l,"
                                    "  generate_series(1, cardinality(mm.impact_labels)) i),"
                                    " ic AS (SELECT il AS l, ii AS i, count(*) AS n,"
                                    "  string_agg('R-' || num, ',' ORDER BY num) AS ids FROM rr "
                                    "GROUP BY 1, 2),"
                                    " cc AS (SELECT cl AS l, ci AS i, count(*) AS n,"
                                    "  string_agg('R-' || num, ',' ORDER BY num) AS ids FROM rr "
                                    "GROUP BY 1, 2)"
                                    " SELECT " ISMS_METHOD_COLS ","
                                    " ARRAY(SELECT coalesce(ic.n, 0) FROM g LEFT JOIN ic USING (l, "
                                    "i) ORDER BY g.l, g.i),"
                                    " ARRAY(SELECT coalesce(cc.n, 0) FROM g LEFT JOIN cc USING (l, "
                                    "i) ORDER BY g.l, g.i),"
                                    " (SELECT count(*) FROM rr),"
                                    " (SELECT count(*) FROM ra WHERE ra.method_version <> "
                                    "m.version),"
                                    " 0::bigint,"
                                    " ARRAY(SELECT DISTINCT ra.method_version FROM ra WHERE "
                                    "ra.method_version <> m.version"
                                    "  ORDER BY 1),"
                                    " ARRAY(SELECT CASE WHEN $3::boolean THEN coalesce(ic.ids, '') "
                                    "ELSE '' END"
                                    "  FROM g LEFT JOIN ic USING (l, i) ORDER BY g.l, g.i),"
                                    " ARRAY(SELECT CASE WHEN $3::boolean THEN coalesce(cc.ids, '') "
                                    "ELSE '' END"
                                    "  FROM g LEFT JOIN cc USING (l, i) ORDER BY g.l, g.i)"
                                    " FROM mm m";
ISMS_STATEMENT(STMT_RISK_MATRIX, SQL_RISK_MATRIX, "method_version", "include_closed",
               "include_ids");

static void fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "response exceeds the call's memory limit");
}

/* Splits "R-1,R-4" into arena strings; *n = 0 for "". -1 when out of memory. */
static int split_ids(struct isms_arena *a, const char *s, char ***out, size_t *n)
{
    size_t cap = 1;
    char *copy;

    *n = 0;
    *out = NULL;
    if (s == NULL || s[0] == '\0')
        return 0;
    for (const char *p = s; *p != '\0'; p++)
        cap += *p == ',';
    *out = isms_arena_calloc(a, sizeof(**out) * cap);
    copy = isms_arena_strdup(a, s);
    if (*out == NULL || copy == NULL)
        return -1;
    for (char *p = copy; p != NULL;) {
        char *comma = strchr(p, ',');

        if (comma != NULL)
            *comma = '\0';
        (*out)[(*n)++] = p;
        p = comma != NULL ? comma + 1 : NULL;
    }
    return 0;
}

static void matrix_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    const Isms__V1__RiskMatrixRequest *in = call->ctx;
    struct isms_risk_method m;
    struct isms_status err;
    Isms__V1__RiskMatrix *r;
    char **inh, **cur, **vers, **inh_ids, **cur_ids;
    size_t ninh, ncur, nvers, ninh_ids, ncur_ids, ncells;
    const int c = ISMS_METHOD_NCOLS;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_NOT_FOUND, "risk method version %" PRId64 " does not exist",
                       in->method_version);
        return;
    }
    if (isms_method_from_row(&call->arena, res, 0, 0, &m, &err) != ISMS_OK) {
        isms_call_fail_status(call, &err);
        return;
    }
    ncells = (size_t)(m.n_likelihood * m.n_impact);
    if (isms_pg_array_parse(&call->arena, isms_rows_text(res, 0, c), &inh, &ninh) != 0 ||
        isms_pg_array_parse(&call->arena, isms_rows_text(res, 0, c + 1), &cur, &ncur) != 0 ||
        isms_pg_array_parse(&call->arena, isms_rows_text(res, 0, c + 5), &vers, &nvers) != 0 ||
        isms_pg_array_parse(&call->arena, isms_rows_text(res, 0, c + 6), &inh_ids, &ninh_ids) !=
            0 ||
        isms_pg_array_parse(&call->arena, isms_rows_text(res, 0, c + 7), &cur_ids, &ncur_ids) !=
            0 ||
        ninh != ncells || ncur != ncells || ninh_ids != ncells || ncur_ids != ncells) {
        isms_call_fail(call, ISMS_INTERNAL, "risk matrix counts do not parse");
        return;
    }
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL) {
        fail_oom(call);
        return;
    }
    isms__v1__risk_matrix__init(r);
    r->method = isms_method_to_pb(&call->arena, &m);
    r->cells = isms_arena_calloc(&call->arena, sizeof(*r->cells) * (ncells + 1));
    r->other_versions = isms_arena_calloc(&call->arena, sizeof(*r->other_versions) * (nvers + 1));
    if (r->method == NULL || r->cells == NULL || r->other_versions == NULL) {
        fail_oom(call);
        return;
    }
    for (size_t k = 0; k < ncells; k++) {
        Isms__V1__MatrixCell *x = isms_arena_calloc(&call->arena, sizeof(*x));
        int l = (int)(k / (size_t)m.n_impact) + 1, i = (int)(k % (size_t)m.n_impact) + 1, score;
        const char *level;

        if (x == NULL) {
            fail_oom(call);
            return;
        }
        isms__v1__matrix_cell__init(x);
        if (isms_method_score(&m, "cell", l, i, &score, &err) != ISMS_OK) {
            isms_call_fail_status(call, &err);
            return;
        }
        level = isms_method_level(&m, score);
        x->likelihood = l;
        x->impact = i;
        x->score = score;
        x->level = (char *)(level != NULL ? level : "");
        x->inherent = strtoll(inh[k] != NULL ? inh[k] : "0", NULL, 10);
        x->residual = strtoll(cur[k] != NULL ? cur[k] : "0", NULL, 10);
        if (split_ids(&call->arena, inh_ids[k], &x->inherent_ids, &x->n_inherent_ids) != 0 ||
            split_ids(&call->arena, cur_ids[k], &x->residual_ids, &x->n_residual_ids) != 0) {
            fail_oom(call);
            return;
        }
        r->cells[k] = x;
    }
    r->n_cells = ncells;
    for (size_t k = 0; k < nvers; k++)
        r->other_versions[k] = strtoll(vers[k] != NULL ? vers[k] : "0", NULL, 10);
    r->n_other_versions = nvers;
    r->assessed = isms_rows_int64(res, 0, c + 2);
    r->other_version = isms_rows_int64(res, 0, c + 3);
    r->outside = isms_rows_int64(res, 0, c + 4);
    isms_call_finish(call, &r->base);
}

void isms_risk_matrix(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__RiskMatrixRequest *in = (const Isms__V1__RiskMatrixRequest *)msg;
    struct isms_bind b;

    if (in->method_version < 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "method version must be positive (0 = current), got %" PRId64,
                       in->method_version);
        return;
    }
    isms_bind_init(&b, &STMT_RISK_MATRIX);
    isms_bind_int64(&b, "method_version", in->method_version);
    isms_bind_bool(&b, "include_closed", in->include_closed);
    isms_bind_bool(&b, "include_ids", in->include_ids);
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, matrix_done);
}
