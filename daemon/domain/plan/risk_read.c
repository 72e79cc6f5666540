/* domain/plan/risk_read.c — isms.v1.Risk reads: Get, List and PlanExport (server streams paged
 * by keyset, num > last, so any number of risks streams in bounded memory); the heat map is in
 * risk_matrix.c. Also the row parser and wire form shared with the mutations in risk.c. */
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
#include "domain/plan/risk.h"
#include "domain/plan/risk_rules.h"
#include "rpc/call.h"

#define PAGE_ROWS        "200"
#define PAGE_ROWS_N      200
#define STREAM_OUT_BELOW (1u << 20)

static const char SQL_RISK_GET[] = "SELECT " ISMS_RISK_COLS " FROM risk r"
                                   " LEFT JOIN risk_method m ON m.version = r.method_version"
                                   " WHERE r.num = $1::bigint";
ISMS_STATEMENT(STMT_RISK_GET, SQL_RISK_GET, "num");

/* $1 after num, $2 above appetite, $3 owner, $4 level, $5 status, $6 asset num, $7 asset name,
 * $8 exclude closed, $9 page size, $10 overdue only (an open risk whose next review or an
 * action not done is due before today). Appetite and level are those of the current rating. */
/* clang-format off */
static const char SQL_RISK_PAGE[] =
    "SELECT " ISMS_RISK_COLS " FROM risk r"
    " LEFT JOIN risk_method m ON m.version = r.method_version"
    " WHERE r.num > $1::bigint"
    " AND (NOT $2::boolean OR " ISMS_RISK_CURRENT_SQL("score") " > m.appetite)"
    " AND ($3 = '' OR r.owner = $3)"
    " AND ($4 = '' OR lower(" ISMS_RISK_CURRENT_SQL("level") ") = lower($4))"
    " AND ($5 = '' OR r.status = $5)"
    " AND (($6::bigint IS NULL AND $7 = '') OR EXISTS (SELECT 1 FROM risk_asset ra"
    "  JOIN asset ast ON ast.num = ra.asset_num WHERE ra.risk_num = r.num AND CASE WHEN"
    "  $6::bigint IS NOT NULL THEN ast.num = $6::bigint ELSE lower(ast.name) = lower($7) END))"
    " AND (NOT $8::boolean OR r.status <> 'closed')"
    " AND (NOT $10::boolean OR (r.status <> 'closed' AND (r.next_review < current_date"
    "  OR EXISTS (SELECT 1 FROM risk_action rac WHERE rac.risk_num = r.num"
    "  AND rac.status <> 'done' AND rac.due < current_date))))"
    " ORDER BY r.num LIMIT least($9::int, " PAGE_ROWS ")";
/* clang-format on */
ISMS_STATEMENT(STMT_RISK_PAGE, SQL_RISK_PAGE, "after", "above_appetite", "owner", "level", "status",
               "asset_num", "asset_name", "exclude_closed", "limit", "overdue");

static void fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "response exceeds the call's memory limit");
}

/* ---- rows --------------------------------------------------------------------------------- */

static int to_int(const char *s)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0 || v > 1000000)
        return -1;
    return (int)v;
}

static int parse_nums(struct isms_arena *a, char **txt, size_t n, int64_t **out)
{
    *out = isms_arena_calloc(a, sizeof(**out) * (n + 1));
    if (*out == NULL)
        return -1;
    for (size_t k = 0; k < n; k++) {
        char *end;

        if (txt[k] == NULL)
            return -1;
        errno = 0;
        (*out)[k] = strtoll(txt[k], &end, 10);
        if (errno != 0 || *end != '\0')
            return -1;
    }
    return 0;
}

/* Parses one array column into arena strings; -1 when malformed. */
static int array_col(struct isms_arena *a, const struct isms_rows *res, int row, int col,
                     char ***out, size_t *n)
{
    return isms_pg_array_parse(a, isms_rows_text(res, row, col), out, n);
}

enum isms_code isms_risk_row_parse(struct isms_arena *a, const struct isms_rows *res, int row,
                                   int col, struct isms_risk_row *out, struct isms_status *st)
{
    const char *txt[ISMS_RISK_NCOLS];
    char **asset_nums, **action_nums;
    size_t n2, n4, n5, n6, n7;
    int ints[12];
    static const int int_cols[12] = {8, 9, 10, 13, 14, 15, 17, 23, 39, 40, 41, 46};
    struct isms_risk_state *s = &out->s;

    memset(out, 0, sizeof(*out));
    for (int k = 0; k < ISMS_RISK_NCOLS; k++) {
        txt[k] = isms_arena_strdup(a, isms_rows_text(res, row, col + k));
        if (txt[k] == NULL)
            goto oom;
    }
    out->num = isms_rows_int64(res, row, col);
    out->version = isms_rows_int64(res, row, col + 25);
    snprintf(out->id, sizeof(out->id), "R-%" PRId64, out->num);
    out->title = txt[1];
    out->description = txt[2];
    out->threat = txt[3];
    out->vulnerability = txt[4];
    out->existing_controls = txt[6];
    out->next_review = txt[19];
    out->accepted_at = txt[21];
    out->created_at = txt[26];
    out->created_by = txt[27];
    out->updated_at = txt[28];
    out->updated_by = txt[29];
    for (int k = 0; k < 12; k++)
        if ((ints[k] = to_int(txt[int_cols[k]])) < 0)
            goto bad;
    s->id = out->id;
    s->owner = txt[5];
    s->method_version = isms_rows_int64(res, row, col + 7);
    s->inherent.likelihood = ints[0];
    s->inherent.impact = ints[1];
    s->inherent.score = ints[2];
    s->inherent.level = txt[11];
    s->residual.likelihood = ints[3];
    s->residual.impact = ints[4];
    s->residual.score = ints[5];
    s->residual.level = txt[16];
    s->appetite = ints[6];
    s->accepted_score = ints[7];
    s->accepted_by = txt[20];
    s->justification = txt[22];
    s->close_reason = txt[24];
    s->accepted_expires = txt[38];
    s->pending.likelihood = ints[8];
    s->pending.impact = ints[9];
    s->pending.score = ints[10];
    s->pending.level = txt[42];
    s->pending_method_version = isms_rows_int64(res, row, col + 43);
    s->pending_by = txt[44];
    out->pending_at = txt[45];
    s->n_controls_unimplemented = ints[11];
    s->today = txt[47];
    if (isms_risk_option_parse(txt[12], &s->option, st) != ISMS_OK ||
        isms_risk_status_parse(txt[18], &s->status, st) != ISMS_OK)
        goto bad;
    if (array_col(a, res, row, col + 30, &asset_nums, &out->n_assets) != 0 ||
        array_col(a, res, row, col + 31, &out->asset_names, &n2) != 0 ||
        array_col(a, res, row, col + 32, &out->controls, &out->n_controls) != 0 ||
        array_col(a, res, row, col + 33, &action_nums, &out->n_actions) != 0 ||
        array_col(a, res, row, col + 34, &out->action_desc, &n4) != 0 ||
        array_col(a, res, row, col + 35, &out->action_owner, &n5) != 0 ||
        array_col(a, res, row, col + 36, &out->action_due, &n6) != 0 ||
        array_col(a, res, row, col + 37, &out->action_status, &n7) != 0)
        goto bad;
    if (n2 != out->n_assets || n4 != out->n_actions || n5 != out->n_actions ||
        n6 != out->n_actions || n7 != out->n_actions ||
        parse_nums(a, asset_nums, out->n_assets, &out->asset_nums) != 0 ||
        parse_nums(a, action_nums, out->n_actions, &out->action_nums) != 0)
        goto bad;
    s->n_controls = (int)out->n_controls;
    s->n_actions = (int)out->n_actions;
    s->n_actions_open = 0;
    for (size_t k = 0; k < out->n_actions; k++)
        if (out->action_status[k] == NULL || strcmp(out->action_status[k], "done") != 0)
            s->n_actions_open++;
    return ISMS_OK;
bad:
    if (a->is_exhausted)
        goto oom;
    return isms_status_set(st, ISMS_INTERNAL, "stored risk %s does not parse", out->id);
oom:
    return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "response exceeds the call's memory limit");
}

Isms__V1__RiskRecord *isms_risk_row_to_pb(struct isms_arena *a, const struct isms_risk_row *r)
{
    Isms__V1__RiskRecord *p = isms_arena_calloc(a, sizeof(*p));
    const struct isms_risk_state *s = &r->s;
    const struct isms_risk_rating *cur = isms_risk_current(s);
    struct isms_risk_state now = *s;

    if (p == NULL)
        return NULL;
    /* the status as the rules see it today: an expired acceptance or a control no longer
     * implemented shows at once, not at the risk's next change */
    isms_risk_settle(&now);
    isms__v1__risk_record__init(p);
    p->id = isms_arena_strdup(a, r->id);
    p->title = (char *)r->title;
    p->description = (char *)r->description;
    p->threat = (char *)r->threat;
    p->vulnerability = (char *)r->vulnerability;
    p->owner = (char *)s->owner;
    p->existing_controls = (char *)r->existing_controls;
    p->method_version = s->method_version;
    p->inherent_likelihood = s->inherent.likelihood;
    p->inherent_impact = s->inherent.impact;
    p->inherent_score = s->inherent.score;
    p->inherent_level = (char *)s->inherent.level;
    p->treatment = (char *)isms_risk_option_name(s->option);
    p->residual_likelihood = s->residual.likelihood;
    p->residual_impact = s->residual.impact;
    p->residual_score = s->residual.score;
    p->residual_level = (char *)s->residual.level;
    p->score = cur->score;
    p->level = (char *)cur->level;
    p->appetite = s->appetite;
    p->above_appetite = isms_risk_above_appetite(s);
    p->status = (char *)isms_risk_status_name(now.status);
    p->next_review = (char *)r->next_review;
    p->accepted_by = (char *)s->accepted_by;
    p->accepted_at = (char *)r->accepted_at;
    p->acceptance_justification = (char *)s->justification;
    p->accepted_score = s->accepted_score;
    p->close_reason = (char *)s->close_reason;
    p->acceptance_expires = (char *)s->accepted_expires;
    p->acceptance_valid = isms_risk_acceptance_valid(s);
    p->target_score = isms_risk_target(s)->score;
    p->target_level = (char *)isms_risk_target(s)->level;
    p->treatment_implemented =
        s->inherent.score > 0 && s->option != ISMS_RISK_OPTION_NONE && isms_risk_implemented(s);
    p->actions_open = s->n_actions_open;
    p->controls_unimplemented = s->n_controls_unimplemented;
    p->pending_residual_likelihood = s->pending.likelihood;
    p->pending_residual_impact = s->pending.impact;
    p->pending_residual_score = s->pending.score;
    p->pending_residual_level = (char *)s->pending.level;
    p->pending_by = (char *)s->pending_by;
    p->pending_at = (char *)r->pending_at;
    p->version = r->version;
    p->created_at = (char *)r->created_at;
    p->created_by = (char *)r->created_by;
    p->updated_at = (char *)r->updated_at;
    p->updated_by = (char *)r->updated_by;
    p->assets = isms_arena_calloc(a, sizeof(*p->assets) * (r->n_assets + 1));
    p->actions = isms_arena_calloc(a, sizeof(*p->actions) * (r->n_actions + 1));
    if (p->id == NULL || p->assets == NULL || p->actions == NULL)
        return NULL;
    for (size_t k = 0; k < r->n_assets; k++) {
        Isms__V1__RiskAsset *x = isms_arena_calloc(a, sizeof(*x));

        if (x == NULL)
            return NULL;
        isms__v1__risk_asset__init(x);
        x->id = isms_arena_printf(a, "A-%" PRId64, r->asset_nums[k]);
        x->name = r->asset_names[k] != NULL ? r->asset_names[k] : (char *)"";
        if (x->id == NULL)
            return NULL;
        p->assets[k] = x;
    }
    p->n_assets = r->n_assets;
    p->controls = r->controls;
    p->n_controls = r->n_controls;
    for (size_t k = 0; k < r->n_actions; k++) {
        Isms__V1__RiskAction *x = isms_arena_calloc(a, sizeof(*x));

        if (x == NULL)
            return NULL;
        isms__v1__risk_action__init(x);
        x->id = isms_arena_printf(a, "RA-%" PRId64, r->action_nums[k]);
        x->description = r->action_desc[k] != NULL ? r->action_desc[k] : (char *)"";
        x->owner = r->action_owner[k] != NULL ? r->action_owner[k] : (char *)"";
        x->due = r->action_due[k] != NULL ? r->action_due[k] : (char *)"";
        x->status = r->action_status[k] != NULL ? r->action_status[k] : (char *)"";
        if (x->id == NULL)
            return NULL;
        p->actions[k] = x;
    }
    p->n_actions = r->n_actions;
    return p;
}

/* ---- Get ---------------------------------------------------------------------------------- */

struct reply_ctx {
    int64_t num;
};

static void reply_done(struct isms_call *call, const struct isms_rows *res,
                       const struct isms_status *st)
{
    struct reply_ctx *x = call->ctx;
    struct isms_risk_row row;
    struct isms_status err;
    Isms__V1__RiskRecord *p;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_NOT_FOUND, "risk \"R-%" PRId64 "\" does not exist", x->num);
        return;
    }
    if (isms_risk_row_parse(&call->arena, res, 0, 0, &row, &err) != ISMS_OK) {
        isms_call_fail_status(call, &err);
        return;
    }
    p = isms_risk_row_to_pb(&call->arena, &row);
    if (p == NULL) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &p->base);
}

void isms_risk_reply(struct isms_call *call, int64_t num)
{
    struct reply_ctx *x = isms_arena_calloc(&call->arena, sizeof(*x));
    struct isms_bind b;

    if (x == NULL) {
        fail_oom(call);
        return;
    }
    x->num = num;
    call->ctx = x;
    isms_bind_init(&b, &STMT_RISK_GET);
    isms_bind_int64(&b, "num", num);
    isms_call_db_or_fail(call, &b, reply_done);
}

void isms_risk_get(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__GetRiskRequest *in = (const Isms__V1__GetRiskRequest *)msg;
    struct isms_status st;
    int64_t num;

    if (isms_plan_check_id("R", "risk", in->id, &num, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_risk_reply(call, num);
}

/* ---- List, PlanExport ------------------------------------------------------------------- */

struct walk {
    int64_t after;
    uint32_t remaining; /* UINT32_MAX = no limit */
    int above_appetite, exclude_closed, overdue;
    const char *owner, *level, *status, *asset_name;
    char asset_num[24]; /* "" = filter by name (or none) */
};

static void next_page(struct isms_call *call);

/* One risk of a page, built in its own scratch arena so a page never accumulates. */
static enum isms_row_fill fill_risk(void *ctx, struct isms_arena *scratch,
                                    const struct isms_rows *res, int r, ProtobufCMessage *msg,
                                    struct isms_status *st)
{
    struct walk *w = ctx;
    struct isms_risk_row row;
    Isms__V1__RiskRecord *p;

    if (isms_risk_row_parse(scratch, res, r, 0, &row, st) != ISMS_OK)
        return ISMS_ROW_FAIL;
    p = isms_risk_row_to_pb(scratch, &row);
    if (p == NULL)
        return ISMS_ROW_FAIL;
    *(Isms__V1__RiskRecord *)msg = *p;
    w->after = row.num;
    if (w->remaining != UINT32_MAX)
        w->remaining--;
    return ISMS_ROW_SEND;
}

static void page_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    struct walk *w = call->ctx;
    Isms__V1__RiskRecord m;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    if (!isms_call_send_rows(call, res, 4u << 20, fill_risk, w, &m.base))
        return;
    if (n < PAGE_ROWS_N || w->remaining == 0) {
        isms_call_finish(call, NULL);
        return;
    }
    isms_call_after_drain(call, STREAM_OUT_BELOW, next_page);
}

static void next_page(struct isms_call *call)
{
    struct walk *w = call->ctx;
    struct isms_bind b;

    isms_bind_init(&b, &STMT_RISK_PAGE);
    isms_bind_int64(&b, "after", w->after);
    isms_bind_bool(&b, "above_appetite", w->above_appetite);
    isms_bind_text(&b, "owner", w->owner);
    isms_bind_text(&b, "level", w->level);
    isms_bind_text(&b, "status", w->status);
    isms_bind_text_or_null(&b, "asset_num", w->asset_num);
    isms_bind_text(&b, "asset_name", w->asset_name);
    isms_bind_bool(&b, "exclude_closed", w->exclude_closed);
    isms_bind_bool(&b, "overdue", w->overdue);
    isms_bind_int64(&b, "limit",
                    w->remaining < (uint32_t)PAGE_ROWS_N ? w->remaining : (uint32_t)PAGE_ROWS_N);
    isms_call_db_or_fail(call, &b, page_done);
}

static struct walk *walk_new(struct isms_call *call)
{
    struct walk *w = isms_arena_calloc(&call->arena, sizeof(*w));

    if (w == NULL) {
        fail_oom(call);
        return NULL;
    }
    w->remaining = UINT32_MAX;
    w->owner = w->level = w->status = w->asset_name = "";
    call->ctx = w;
    return w;
}

void isms_risk_list(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ListRisksRequest *in = (const Isms__V1__ListRisksRequest *)msg;
    struct isms_status st;
    enum isms_risk_status status;
    struct walk *w;
    int64_t num;

    if (isms_text_check("owner", in->owner, 64, 0, &st) != ISMS_OK ||
        isms_text_check("level", in->level, ISMS_METHOD_LABEL_MAX, 0, &st) != ISMS_OK ||
        isms_text_check("asset", in->asset, ISMS_RISK_REF_MAX, 0, &st) != ISMS_OK ||
        (in->status[0] != '\0' && isms_risk_status_parse(in->status, &status, &st) != ISMS_OK)) {
        isms_call_fail_status(call, &st);
        return;
    }
    w = walk_new(call);
    if (w == NULL)
        return;
    if (in->after_id[0] != '\0') {
        if (isms_plan_check_id("R", "after", in->after_id, &w->after, &st) != ISMS_OK) {
            isms_call_fail_status(call, &st);
            return;
        }
    }
    if (in->limit > 0)
        w->remaining = in->limit;
    w->above_appetite = in->above_appetite;
    w->overdue = in->overdue;
    w->owner = in->owner;
    w->level = in->level;
    w->status = in->status[0] != '\0' ? isms_risk_status_name(status) : "";
    if (isms_plan_parse_id("A", in->asset, &num))
        snprintf(w->asset_num, sizeof(w->asset_num), "%" PRId64, num);
    else
        w->asset_name = in->asset;
    next_page(call);
}

void isms_risk_plan_export(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__PlanExportRequest *in = (const Isms__V1__PlanExportRequest *)msg;
    struct walk *w = walk_new(call);

    if (w == NULL)
        return;
    w->exclude_closed = in->exclude_closed;
    next_page(call);
}
