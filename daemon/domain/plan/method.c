/* domain/plan/method.c — isms.v1.Method: the risk assessment methodology (6.1.2). Get and
 * History read risk_method; Set validates a complete method (method_rules.c) and inserts it
 * as the next version with its audit record in one statement. Versions are never updated. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/roles.h"
#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/domain.h"
#include "domain/plan/method.h"
#include "domain/plan/method_rules.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"
#include "rpc/server.h"

static const char SQL_METHOD_GET[] =
    "SELECT " ISMS_METHOD_COLS " FROM risk_method m WHERE m.version = CASE WHEN $1::bigint = 0"
    " THEN (SELECT max(version) FROM risk_method) ELSE $1::bigint END";
ISMS_STATEMENT(STMT_METHOD_GET, SQL_METHOD_GET, "version");

static const char SQL_METHOD_HISTORY[] =
    "SELECT " ISMS_METHOD_COLS " FROM risk_method m ORDER BY m.version DESC";
ISMS_STATEMENT_NO_PARAMS(STMT_METHOD_HISTORY, SQL_METHOD_HISTORY);

/* $1 expected version (0 = any), $2-$12 the method, $13 actor, $14 source. Column 0 is the
 * current version before the insert; the method columns are NULL when it was stale. */
static const char SQL_METHOD_SET[] =
    "WITH cur AS (SELECT * FROM risk_method ORDER BY version DESC LIMIT 1),"
    " ins AS (INSERT INTO risk_method (version, likelihood_labels, likelihood_descriptions,"
    "  impact_labels, impact_descriptions, computation, matrix, level_names, level_min,"
    "  level_max, appetite, note, created_by)"
    "  SELECT cur.version + 1, $2::text[], $3::text[], $4::text[], $5::text[], $6,"
    "  $7::integer[], $8::text[], $9::integer[], $10::integer[], $11::integer, $12, $13"
    "  FROM cur WHERE $1::bigint = 0 OR cur.version = $1::bigint RETURNING *),"
    " a AS (SELECT audit_append($13, $14, '/isms.v1.Method/Set', 'method:v' || ins.version,"
    "  audit_diff(risk_method_json(cur::risk_method), risk_method_json(ins::risk_method)), 'OK')"
    "  AS seq FROM ins, cur)" ISMS_SQL_IDEM(
        "$15", "a") ""
                    " SELECT (SELECT version FROM cur), " ISMS_METHOD_COLS
                    " FROM (SELECT 1) one LEFT JOIN (ins m CROSS JOIN a) ON true";
ISMS_STATEMENT(STMT_METHOD_SET, SQL_METHOD_SET, "expected_version", "likelihood_labels",
               "likelihood_descriptions", "impact_labels", "impact_descriptions", "computation",
               "matrix", "level_names", "level_min", "level_max", "appetite", "note", "actor",
               "source", ISMS_SQL_IDEM_PARAM);

static void fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "response exceeds the call's memory limit");
}

static int parse_int(const char *s, int *out)
{
    char *end;
    long v;

    if (s == NULL || s[0] == '\0')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < -1000000 || v > 1000000)
        return -1;
    *out = (int)v;
    return 0;
}

/* Parses an array cell; -1 when malformed. */
static int array_cell(struct isms_arena *a, const struct isms_rows *res, int row, int col,
                      char ***out, size_t *n)
{
    return isms_pg_array_parse(
        a, isms_rows_is_null(res, row, col) ? "" : isms_rows_text(res, row, col), out, n);
}

enum isms_code isms_method_from_row(struct isms_arena *a, const struct isms_rows *res, int row,
                                    int col, struct isms_risk_method *m, struct isms_status *st)
{
    char **ll, **ld, **il, **id, **mx, **bn, **bl, **bh;
    size_t nll, nld, nil, nid, nmx, nbn, nbl, nbh;

    memset(m, 0, sizeof(*m));
    m->version = isms_rows_int64(res, row, col);
    if (isms_method_computation_parse(isms_rows_text(res, row, col + 1), &m->computation, st) !=
            ISMS_OK ||
        parse_int(isms_rows_text(res, row, col + 2), &m->appetite) != 0)
        goto bad;
    m->note = isms_arena_strdup(a, isms_rows_text(res, row, col + 3));
    m->created_at = isms_arena_strdup(a, isms_rows_text(res, row, col + 4));
    m->created_by = isms_arena_strdup(a, isms_rows_text(res, row, col + 5));
    if (m->note == NULL || m->created_at == NULL || m->created_by == NULL)
        goto oom;
    if (array_cell(a, res, row, col + 6, &ll, &nll) != 0 ||
        array_cell(a, res, row, col + 7, &ld, &nld) != 0 ||
        array_cell(a, res, row, col + 8, &il, &nil) != 0 ||
        array_cell(a, res, row, col + 9, &id, &nid) != 0 ||
        array_cell(a, res, row, col + 10, &mx, &nmx) != 0 ||
        array_cell(a, res, row, col + 11, &bn, &nbn) != 0 ||
        array_cell(a, res, row, col + 12, &bl, &nbl) != 0 ||
        array_cell(a, res, row, col + 13, &bh, &nbh) != 0)
        goto bad;
    if (nll != nld || nil != nid || nll > ISMS_METHOD_LEVELS_MAX || nil > ISMS_METHOD_LEVELS_MAX ||
        nbn != nbl || nbn != nbh || nbn > ISMS_METHOD_BANDS_MAX ||
        (m->computation == ISMS_METHOD_MATRIX && nmx != nll * nil))
        goto bad;
    m->n_likelihood = (int)nll;
    m->n_impact = (int)nil;
    for (size_t k = 0; k < nll; k++) {
        m->likelihood[k].label = ll[k] != NULL ? ll[k] : "";
        m->likelihood[k].description = ld[k] != NULL ? ld[k] : "";
    }
    for (size_t k = 0; k < nil; k++) {
        m->impact[k].label = il[k] != NULL ? il[k] : "";
        m->impact[k].description = id[k] != NULL ? id[k] : "";
    }
    if (m->computation == ISMS_METHOD_MATRIX)
        for (size_t k = 0; k < nmx; k++)
            if (parse_int(mx[k], &m->matrix[k / nil][k % nil]) != 0)
                goto bad;
    m->n_bands = (int)nbn;
    for (size_t k = 0; k < nbn; k++) {
        m->bands[k].name = bn[k] != NULL ? bn[k] : "";
        if (parse_int(bl[k], &m->bands[k].min_score) != 0 ||
            parse_int(bh[k], &m->bands[k].max_score) != 0)
            goto bad;
    }
    return ISMS_OK;
bad:
    return isms_status_set(st, ISMS_INTERNAL,
                           "stored risk method version %" PRId64 " does not parse", m->version);
oom:
    return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "response exceeds the call's memory limit");
}

static Isms__V1__ScaleLevel **scale_to_pb(struct isms_arena *a, const struct isms_scale_level *lv,
                                          int n)
{
    Isms__V1__ScaleLevel **out = isms_arena_calloc(a, sizeof(*out) * (size_t)(n + 1));

    if (out == NULL)
        return NULL;
    for (int k = 0; k < n; k++) {
        Isms__V1__ScaleLevel *s = isms_arena_calloc(a, sizeof(*s));

        if (s == NULL)
            return NULL;
        isms__v1__scale_level__init(s);
        s->value = k + 1;
        s->label = (char *)lv[k].label;
        s->description = (char *)lv[k].description;
        out[k] = s;
    }
    return out;
}

Isms__V1__RiskMethod *isms_method_to_pb(struct isms_arena *a, const struct isms_risk_method *m)
{
    Isms__V1__RiskMethod *r = isms_arena_calloc(a, sizeof(*r));

    if (r == NULL)
        return NULL;
    isms__v1__risk_method__init(r);
    r->version = m->version;
    r->likelihood = scale_to_pb(a, m->likelihood, m->n_likelihood);
    r->n_likelihood = (size_t)m->n_likelihood;
    r->impact = scale_to_pb(a, m->impact, m->n_impact);
    r->n_impact = (size_t)m->n_impact;
    r->computation = (char *)isms_method_computation_name(m->computation);
    if (m->computation == ISMS_METHOD_MATRIX) {
        r->n_matrix = (size_t)(m->n_likelihood * m->n_impact);
        r->matrix = isms_arena_calloc(a, sizeof(*r->matrix) * (r->n_matrix + 1));
        if (r->matrix == NULL)
            return NULL;
        for (int l = 0; l < m->n_likelihood; l++)
            for (int i = 0; i < m->n_impact; i++)
                r->matrix[l * m->n_impact + i] = m->matrix[l][i];
    }
    r->levels = isms_arena_calloc(a, sizeof(*r->levels) * (size_t)(m->n_bands + 1));
    if (r->likelihood == NULL || r->impact == NULL || r->levels == NULL)
        return NULL;
    for (int k = 0; k < m->n_bands; k++) {
        Isms__V1__RiskLevelBand *b = isms_arena_calloc(a, sizeof(*b));

        if (b == NULL)
            return NULL;
        isms__v1__risk_level_band__init(b);
        b->name = (char *)m->bands[k].name;
        b->min_score = m->bands[k].min_score;
        b->max_score = m->bands[k].max_score;
        r->levels[k] = b;
    }
    r->n_levels = (size_t)m->n_bands;
    r->appetite = m->appetite;
    r->note = (char *)(m->note != NULL ? m->note : "");
    r->created_at = (char *)(m->created_at != NULL ? m->created_at : "");
    r->created_by = (char *)(m->created_by != NULL ? m->created_by : "");
    r->max_score = m->n_likelihood > 0 ? isms_method_max_score(m) : 0;
    return r;
}

/* Answers with the method in row 0 starting at `col`. */
static void finish_with_method(struct isms_call *call, const struct isms_rows *res, int col)
{
    struct isms_risk_method m;
    struct isms_status st;
    Isms__V1__RiskMethod *r;

    if (isms_method_from_row(&call->arena, res, 0, col, &m, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    r = isms_method_to_pb(&call->arena, &m);
    if (r == NULL) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &r->base);
}

/* ---- Get, History ------------------------------------------------------------------------ */

static void get_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    const Isms__V1__GetMethodRequest *in = call->ctx;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_NOT_FOUND, "risk method version %" PRId64 " does not exist",
                       in->version);
        return;
    }
    finish_with_method(call, res, 0);
}

static void method_get(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__GetMethodRequest *in = (const Isms__V1__GetMethodRequest *)msg;
    struct isms_bind b;

    if (in->version < 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "method version must be positive (0 = current), got %" PRId64, in->version);
        return;
    }
    isms_bind_init(&b, &STMT_METHOD_GET);
    isms_bind_int64(&b, "version", in->version);
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, get_done);
}

static void history_done(struct isms_call *call, const struct isms_rows *res,
                         const struct isms_status *st)
{
    Isms__V1__MethodHistoryResponse *r;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL) {
        fail_oom(call);
        return;
    }
    isms__v1__method_history_response__init(r);
    r->methods = isms_arena_calloc(&call->arena, sizeof(*r->methods) * (size_t)(n + 1));
    if (r->methods == NULL) {
        fail_oom(call);
        return;
    }
    for (int i = 0; i < n; i++) {
        struct isms_risk_method m;
        struct isms_status err;

        if (isms_method_from_row(&call->arena, res, i, 0, &m, &err) != ISMS_OK) {
            isms_call_fail_status(call, &err);
            return;
        }
        r->methods[i] = isms_method_to_pb(&call->arena, &m);
        if (r->methods[i] == NULL) {
            fail_oom(call);
            return;
        }
    }
    r->n_methods = (size_t)n;
    isms_call_finish(call, &r->base);
}

static void method_history(struct isms_call *call, const ProtobufCMessage *msg)
{
    struct isms_bind b;

    (void)msg;
    isms_bind_init(&b, &STMT_METHOD_HISTORY);
    isms_call_db_or_fail(call, &b, history_done);
}

/* ---- Set --------------------------------------------------------------------------------- */

/* Copies one scale of the request into `lv`. Errors: INVALID_ARGUMENT (count, numbering). */
static enum isms_code scale_from_pb(const char *axis, Isms__V1__ScaleLevel **in, size_t n,
                                    struct isms_scale_level *lv, int *count, struct isms_status *st)
{
    if (n < ISMS_METHOD_LEVELS_MIN || n > ISMS_METHOD_LEVELS_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "the %s scale must have %d to %d levels, got %zu", axis,
                               ISMS_METHOD_LEVELS_MIN, ISMS_METHOD_LEVELS_MAX, n);
    for (size_t k = 0; k < n; k++) {
        if (in[k]->value != 0 && in[k]->value != (int32_t)k + 1)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "%s level %zu has value %d: levels are numbered by position, "
                                   "1 to %zu, lowest first",
                                   axis, k + 1, in[k]->value, n);
        lv[k].label = in[k]->label;
        lv[k].description = in[k]->description;
    }
    *count = (int)n;
    return ISMS_OK;
}

/* Turns the request's method into a struct and validates it. */
static enum isms_code method_from_request(const Isms__V1__RiskMethod *in,
                                          struct isms_risk_method *m, struct isms_status *st)
{
    memset(m, 0, sizeof(*m));
    if (in == NULL)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "the method to save is missing");
    if (scale_from_pb("likelihood", in->likelihood, in->n_likelihood, m->likelihood,
                      &m->n_likelihood, st) != ISMS_OK ||
        scale_from_pb("impact", in->impact, in->n_impact, m->impact, &m->n_impact, st) != ISMS_OK)
        return st->code;
    if (in->computation == NULL || in->computation[0] == '\0')
        m->computation = in->n_matrix > 0 ? ISMS_METHOD_MATRIX : ISMS_METHOD_PRODUCT;
    else if (isms_method_computation_parse(in->computation, &m->computation, st) != ISMS_OK)
        return st->code;
    if (m->computation == ISMS_METHOD_PRODUCT && in->n_matrix != 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "a matrix is used only with computation matrix; computation is "
                               "product (likelihood x impact)");
    if (m->computation == ISMS_METHOD_MATRIX) {
        size_t want = (size_t)(m->n_likelihood * m->n_impact);

        if (in->n_matrix != want)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "the matrix needs %zu scores (%d likelihood x %d impact "
                                   "levels), got %zu",
                                   want, m->n_likelihood, m->n_impact, in->n_matrix);
        for (size_t k = 0; k < want; k++)
            m->matrix[k / (size_t)m->n_impact][k % (size_t)m->n_impact] = in->matrix[k];
    }
    if (in->n_levels < 1 || in->n_levels > ISMS_METHOD_BANDS_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "a method needs 1 to %d risk levels, got %zu", ISMS_METHOD_BANDS_MAX,
                               in->n_levels);
    for (size_t k = 0; k < in->n_levels; k++) {
        m->bands[k].name = in->levels[k]->name;
        m->bands[k].min_score = in->levels[k]->min_score;
        m->bands[k].max_score = in->levels[k]->max_score;
    }
    m->n_bands = (int)in->n_levels;
    m->appetite = in->appetite;
    m->note = in->note;
    return isms_method_check(m, st);
}

struct set_ctx {
    const Isms__V1__SetMethodRequest *in;
};

static void set_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    struct set_ctx *x = call->ctx;

    if (st->code == ISMS_ALREADY_EXISTS) {
        isms_call_fail(call, ISMS_ABORTED,
                       "another change to the risk method was saved at the same time; show it "
                       "again and retry");
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1 || isms_rows_is_null(res, 0, 1)) {
        isms_call_fail(call, ISMS_ABORTED,
                       "the risk method was changed by someone else: version %" PRId64
                       " is stale, the current version is %" PRId64 "; show it again and retry",
                       x->in->expected_version, isms_rows_int64(res, 0, 0));
        return;
    }
    finish_with_method(call, res, 1);
}

static void method_set(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__SetMethodRequest *in = (const Isms__V1__SetMethodRequest *)msg;
    struct set_ctx *x = isms_arena_calloc(&call->arena, sizeof(*x));
    struct isms_risk_method m;
    struct isms_status st;
    const char *ll[ISMS_METHOD_LEVELS_MAX], *ld[ISMS_METHOD_LEVELS_MAX];
    const char *il[ISMS_METHOD_LEVELS_MAX], *id[ISMS_METHOD_LEVELS_MAX];
    const char *bn[ISMS_METHOD_BANDS_MAX];
    int64_t bl[ISMS_METHOD_BANDS_MAX], bh[ISMS_METHOD_BANDS_MAX];
    int64_t mx[ISMS_METHOD_LEVELS_MAX * ISMS_METHOD_LEVELS_MAX];
    const char *ll_lit, *ld_lit, *il_lit, *id_lit, *mx_lit, *bn_lit, *bl_lit, *bh_lit;
    struct isms_bind b;

    if (x == NULL) {
        fail_oom(call);
        return;
    }
    if (in->expected_version < 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "expected_version must not be negative");
        return;
    }
    if (method_from_request(in->method, &m, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    for (int k = 0; k < m.n_likelihood; k++) {
        ll[k] = m.likelihood[k].label;
        ld[k] = m.likelihood[k].description;
    }
    for (int k = 0; k < m.n_impact; k++) {
        il[k] = m.impact[k].label;
        id[k] = m.impact[k].description;
    }
    for (int k = 0; k < m.n_bands; k++) {
        bn[k] = m.bands[k].name;
        bl[k] = m.bands[k].min_score;
        bh[k] = m.bands[k].max_score;
    }
    for (int l = 0; l < m.n_likelihood; l++)
        for (int i = 0; i < m.n_impact; i++)
            mx[l * m.n_impact + i] = m.matrix[l][i];
    ll_lit = isms_pg_array_text(&call->arena, ll, (size_t)m.n_likelihood);
    ld_lit = isms_pg_array_text(&call->arena, ld, (size_t)m.n_likelihood);
    il_lit = isms_pg_array_text(&call->arena, il, (size_t)m.n_impact);
    id_lit = isms_pg_array_text(&call->arena, id, (size_t)m.n_impact);
    mx_lit = m.computation == ISMS_METHOD_MATRIX
                 ? isms_pg_array_int(&call->arena, mx, NULL, (size_t)(m.n_likelihood * m.n_impact))
                 : "";
    bn_lit = isms_pg_array_text(&call->arena, bn, (size_t)m.n_bands);
    bl_lit = isms_pg_array_int(&call->arena, bl, NULL, (size_t)m.n_bands);
    bh_lit = isms_pg_array_int(&call->arena, bh, NULL, (size_t)m.n_bands);
    if (!ll_lit || !ld_lit || !il_lit || !id_lit || !mx_lit || !bn_lit || !bl_lit || !bh_lit) {
        fail_oom(call);
        return;
    }
    isms_bind_init(&b, &STMT_METHOD_SET);
    isms_bind_int64(&b, "expected_version", in->expected_version);
    isms_bind_text(&b, "likelihood_labels", ll_lit);
    isms_bind_text(&b, "likelihood_descriptions", ld_lit);
    isms_bind_text(&b, "impact_labels", il_lit);
    isms_bind_text(&b, "impact_descriptions", id_lit);
    isms_bind_text(&b, "computation", isms_method_computation_name(m.computation));
    isms_bind_text_or_null(&b, "matrix", mx_lit);
    isms_bind_text(&b, "level_names", bn_lit);
    isms_bind_text(&b, "level_min", bl_lit);
    isms_bind_text(&b, "level_max", bh_lit);
    isms_bind_int64(&b, "appetite", m.appetite);
    isms_bind_text(&b, "note", m.note != NULL ? m.note : "");
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    x->in = in;
    call->ctx = x;
    isms_call_db_or_fail(call, &b, set_done);
}

enum isms_code isms_method_register(struct isms_server *srv, struct isms_status *st)
{
    /* Order follows the service declaration in proto/isms/v1/risk.proto. */
    static const struct isms_method_spec specs[] = {
        {"Get", method_get, 0, ISMS_ROLES_READ},
        {"Set", method_set, 0, ISMS_ROLE_MANAGER},
        {"History", method_history, 0, ISMS_ROLES_READ},
    };

    return isms_registry_add(&srv->reg, &isms__v1__method__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
