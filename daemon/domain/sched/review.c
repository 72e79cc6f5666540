/* domain/sched/review.c — isms.v1.Review handlers: list, show and complete the reviews R-<n>
 * the scheduler (tick.c) creates. Completing one is one statement: the review, the dated risk
 * assessment records (8.2) or the confirmed access list, and its audit record commit together.
 * A review's owner completes it; an ISMS manager or administrator may complete anyone's. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "auth/roles.h"
#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/domain.h"
#include "domain/sched/sched_internal.h"
#include "domain/sched/sched_rules.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"
#include "rpc/server.h"

/* At most this many reviews in one List answer (the earliest due first). */
#define REVIEW_LIST_MAX "500"

static const char SQL_REVIEW_LIST[] =
    "SELECT " ISMS_SQL_REVIEW_COLS " FROM review r"
    " WHERE (NOT $1::boolean OR r.status = 'open')"
    " AND (NOT $2::boolean OR (r.status = 'open' AND r.due_at < now()))"
    " AND (NOT $3::boolean OR r.owner = $4::text)"
    " AND ($5::bigint IS NULL OR r.schedule_num = $5::bigint)"
    " ORDER BY r.due_at, r.num LIMIT " REVIEW_LIST_MAX;
ISMS_STATEMENT(STMT_REVIEW_LIST, SQL_REVIEW_LIST, "due", "overdue", "mine", "actor", "schedule");

static const char SQL_REVIEW_GET[] =
    "SELECT " ISMS_SQL_REVIEW_COLS " FROM review r WHERE r.num = $1::bigint";
ISMS_STATEMENT(STMT_REVIEW_GET, SQL_REVIEW_GET, "num");

/* An access review's accounts: live while it is open, as confirmed once done. Lists are
 * joined with U+001F. */
static const char SQL_REVIEW_ACCOUNTS[] =
    "SELECT u.name, array_to_string(u.roles, E'\\x1f'), u.status,"
    " coalesce(" ISMS_SQL_TS(
        "(SELECT max(s.created_at) FROM auth_session s"
        " WHERE s.user_name = u.name)") ", ''),"
                                        " coalesce((SELECT string_agg(t.name || ' (' || "
                                        "array_to_string(t.roles, ',')"
                                        " || ', expires ' || to_char(t.expires_at AT TIME ZONE "
                                        "'UTC', 'YYYY-MM-DD') || ')',"
                                        " E'\\x1f' ORDER BY t.num) FROM api_token t WHERE t.owner "
                                        "= u.name"
                                        " AND t.revoked_at IS NULL AND t.expires_at > now()), '')"
                                        " FROM app_user u WHERE NOT $2::boolean"
                                        " UNION ALL SELECT e.user_name, array_to_string(e.roles, "
                                        "E'\\x1f'), e.status,"
                                        " coalesce(" ISMS_SQL_TS(
                                            "e.last_login") ", ''), array_to_string(e.tokens, "
                                                            "E'\\x1f')"
                                                            " FROM access_review_entry e WHERE "
                                                            "$2::boolean AND e.review_num = "
                                                            "$1::bigint ORDER BY 1";
ISMS_STATEMENT(STMT_REVIEW_ACCOUNTS, SQL_REVIEW_ACCOUNTS, "num", "done");

/* A risk review's risks: live ratings while open, the assessment records once done. */
static const char SQL_REVIEW_RISKS[] =
    "SELECT k.num, k.title, coalesce(k.residual_level, k.inherent_level, ''),"
    " coalesce(k.residual_score, k.inherent_score, 0), k.status, '' FROM risk k"
    " WHERE NOT $2::boolean AND (($3::text = 'risk' AND k.num::text = substring($4::text FROM 3))"
    " OR ($3::text = 'risk_level' AND coalesce(k.residual_level, k.inherent_level) = $4::text"
    " AND k.status <> 'closed'))"
    " UNION ALL SELECT ra.risk_num, ra.title, coalesce(ra.ratings ->> 'level', ''),"
    " coalesce((ra.ratings ->> 'score')::int, 0), coalesce(ra.ratings ->> 'status', "
    "''), " ISMS_SQL_TS(
        "ra.assessed_at") " FROM risk_assessment ra"
                          " WHERE $2::boolean AND ra.review_num = $1::bigint ORDER BY 1";
ISMS_STATEMENT(STMT_REVIEW_RISKS, SQL_REVIEW_RISKS, "num", "done", "kind", "ref");

static const char SQL_REVIEW_COMPLETE[] =
    "WITH r0 AS (SELECT * FROM review WHERE num = $1::bigint FOR UPDATE),"
    " u AS (UPDATE review r SET status = 'done', completed_at = now(), completed_by = $4::text,"
    " outcome = $2::text, evidence = $3::text FROM r0 WHERE r.num = r0.num"
    " AND r0.status = 'open' AND (r0.owner = $4::text OR $5::boolean) RETURNING r.*),"
    " ra AS (INSERT INTO risk_assessment (risk_num, review_num, assessed_at, assessed_by,"
    " outcome, evidence, title, ratings)"
    " SELECT k.num, u.num, u.completed_at, u.completed_by, u.outcome, u.evidence, k.title,"
    " jsonb_build_object('method_version', k.method_version,"
    " 'inherent_likelihood', k.inherent_likelihood, 'inherent_impact', k.inherent_impact,"
    " 'inherent_score', k.inherent_score, 'inherent_level', k.inherent_level,"
    " 'residual_likelihood', k.residual_likelihood, 'residual_impact', k.residual_impact,"
    " 'residual_score', k.residual_score, 'residual_level', k.residual_level,"
    " 'level', coalesce(k.residual_level, k.inherent_level),"
    " 'score', coalesce(k.residual_score, k.inherent_score), 'treatment', k.treatment,"
    " 'status', k.status, 'owner', k.owner, 'version', k.version)"
    " FROM u JOIN risk k ON (u.target_kind = 'risk'"
    " AND k.num::text = substring(u.target_ref FROM 3))"
    " OR (u.target_kind = 'risk_level' AND coalesce(k.residual_level, k.inherent_level)"
    " = u.target_ref AND k.status <> 'closed') RETURNING 1),"
    " ae AS (INSERT INTO access_review_entry (review_num, user_name, roles, status, last_login,"
    " tokens) SELECT u.num, au.name, au.roles, au.status,"
    " (SELECT max(s.created_at) FROM auth_session s WHERE s.user_name = au.name),"
    " coalesce((SELECT array_agg(t.name || ' (' || array_to_string(t.roles, ',')"
    " || ', expires ' || to_char(t.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ')'"
    " ORDER BY t.num) FROM api_token t WHERE t.owner = au.name AND t.revoked_at IS NULL"
    " AND t.expires_at > now()), '{}'::text[])"
    " FROM u, app_user au WHERE u.target_kind = 'access' RETURNING 1),"
    " a AS (SELECT audit_append($4::text, $6::text, '/isms.v1.Review/Complete',"
    " 'review:R-' || u.num, audit_diff(jsonb_build_object('status', 'open'),"
    " jsonb_build_object('status', 'done', 'outcome', u.outcome, 'evidence', u.evidence,"
    " 'risk_assessments', (SELECT count(*) FROM ra), 'accounts', (SELECT count(*) FROM ae))),"
    " 'OK') AS seq FROM u)" ISMS_SQL_IDEM(
        "$7",
        "a") " SELECT (SELECT count(*) FROM r0), (SELECT status FROM r0), (SELECT owner FROM r0),"
             " (SELECT count(*) FROM a)";
ISMS_STATEMENT(STMT_REVIEW_COMPLETE, SQL_REVIEW_COMPLETE, "num", "outcome", "evidence", "actor",
               "may_any", "source", ISMS_SQL_IDEM_PARAM);

/* What Get and Complete keep between statements, in the arena. */
struct review_op {
    int64_t num;
    const char *id;
    Isms__V1__ReviewRecord *rec;
};

static char *cell(struct isms_call *call, const struct isms_rows *res, int row, int col)
{
    return isms_arena_strdup(&call->arena, isms_rows_text(res, row, col));
}

Isms__V1__ReviewRecord *isms_review_from_row(struct isms_call *call, const struct isms_rows *res,
                                             int row, int f)
{
    Isms__V1__ReviewRecord *r = isms_arena_calloc(&call->arena, sizeof(*r));

    if (r == NULL)
        return NULL;
    isms__v1__review_record__init(r);
    r->id = isms_arena_printf(&call->arena, "R-%" PRId64, isms_rows_int64(res, row, f));
    r->schedule_id =
        isms_arena_printf(&call->arena, "S-%" PRId64, isms_rows_int64(res, row, f + 1));
    r->title = cell(call, res, row, f + 2);
    r->target_kind = cell(call, res, row, f + 3);
    r->target_ref = cell(call, res, row, f + 4);
    r->owner = cell(call, res, row, f + 5);
    r->due_at = cell(call, res, row, f + 6);
    r->created_at = cell(call, res, row, f + 7);
    r->state = cell(call, res, row, f + 8);
    r->occurrences = (int32_t)isms_rows_int64(res, row, f + 9);
    r->skipped = (int32_t)isms_rows_int64(res, row, f + 10);
    r->completed_at = cell(call, res, row, f + 11);
    r->completed_by = cell(call, res, row, f + 12);
    r->outcome = cell(call, res, row, f + 13);
    r->evidence = cell(call, res, row, f + 14);
    if (!r->id || !r->schedule_id || !r->title || !r->target_kind || !r->target_ref || !r->owner ||
        !r->due_at || !r->created_at || !r->state || !r->completed_at || !r->completed_by ||
        !r->outcome || !r->evidence)
        return NULL;
    return r;
}

/* Splits `s` at U+001F into an arena array; *n gets the count. NULL only when memory ran
 * out (an empty `s` gives a valid empty array). */
static char **split_us(struct isms_call *call, const char *s, size_t *n)
{
    size_t cap = 1, k = 0;
    char **v;
    char *copy;

    for (const char *p = s; *p != '\0'; p++)
        cap += *p == '\x1f';
    v = isms_arena_calloc(&call->arena, sizeof(*v) * (cap + 1));
    copy = isms_arena_strdup(&call->arena, s);
    if (v == NULL || copy == NULL)
        return NULL;
    *n = 0;
    if (*copy == '\0')
        return v;
    v[k++] = copy;
    for (char *p = copy; *p != '\0'; p++) {
        if (*p == '\x1f') {
            *p = '\0';
            v[k++] = p + 1;
        }
    }
    *n = k;
    return v;
}

static void accounts_done(struct isms_call *call, const struct isms_rows *res,
                          const struct isms_status *st)
{
    struct review_op *op = call->ctx;
    Isms__V1__ReviewRecord *r = op->rec;
    int n = isms_rows_count(res);

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    r->accounts = isms_arena_calloc(&call->arena, sizeof(*r->accounts) * (size_t)(n + 1));
    if (r->accounts == NULL)
        goto oom;
    for (int i = 0; i < n; i++) {
        Isms__V1__AccessEntry *e = isms_arena_calloc(&call->arena, sizeof(*e));

        if (e == NULL)
            goto oom;
        isms__v1__access_entry__init(e);
        e->user = cell(call, res, i, 0);
        e->roles = split_us(call, isms_rows_text(res, i, 1), &e->n_roles);
        e->status = cell(call, res, i, 2);
        e->last_login = cell(call, res, i, 3);
        e->tokens = split_us(call, isms_rows_text(res, i, 4), &e->n_tokens);
        if (!e->user || !e->roles || !e->status || !e->last_login || !e->tokens)
            goto oom;
        r->accounts[r->n_accounts++] = e;
    }
    isms_call_finish(call, &r->base);
    return;
oom:
    isms_sched_fail_oom(call);
}

static void risks_done(struct isms_call *call, const struct isms_rows *res,
                       const struct isms_status *st)
{
    struct review_op *op = call->ctx;
    Isms__V1__ReviewRecord *r = op->rec;
    int n = isms_rows_count(res);

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    r->risks = isms_arena_calloc(&call->arena, sizeof(*r->risks) * (size_t)(n + 1));
    if (r->risks == NULL)
        goto oom;
    for (int i = 0; i < n; i++) {
        Isms__V1__RiskRating *k = isms_arena_calloc(&call->arena, sizeof(*k));

        if (k == NULL)
            goto oom;
        isms__v1__risk_rating__init(k);
        k->risk_id = isms_arena_printf(&call->arena, "R-%" PRId64, isms_rows_int64(res, i, 0));
        k->title = cell(call, res, i, 1);
        k->level = cell(call, res, i, 2);
        k->score = (int32_t)isms_rows_int64(res, i, 3);
        k->status = cell(call, res, i, 4);
        k->assessed_at = cell(call, res, i, 5);
        if (!k->risk_id || !k->title || !k->level || !k->status || !k->assessed_at)
            goto oom;
        r->risks[r->n_risks++] = k;
    }
    isms_call_finish(call, &r->base);
    return;
oom:
    isms_sched_fail_oom(call);
}

static void get_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    struct review_op *op = call->ctx;
    int is_done;
    struct isms_bind b;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "review \"%s\" does not exist", op->id);
        return;
    }
    op->rec = isms_review_from_row(call, res, 0, 0);
    if (op->rec == NULL) {
        isms_sched_fail_oom(call);
        return;
    }
    is_done = strcmp(op->rec->state, "done") == 0;
    if (strcmp(op->rec->target_kind, "access") == 0) {
        isms_bind_init(&b, &STMT_REVIEW_ACCOUNTS);
        isms_bind_int64(&b, "num", op->num);
        isms_bind_bool(&b, "done", is_done);
        isms_call_db_or_fail(call, &b, accounts_done);
    } else if (strcmp(op->rec->target_kind, "risk") == 0 ||
               strcmp(op->rec->target_kind, "risk_level") == 0) {
        isms_bind_init(&b, &STMT_REVIEW_RISKS);
        isms_bind_int64(&b, "num", op->num);
        isms_bind_bool(&b, "done", is_done);
        isms_bind_text(&b, "kind", op->rec->target_kind);
        isms_bind_text(&b, "ref", op->rec->target_ref);
        isms_call_db_or_fail(call, &b, risks_done);
    } else {
        isms_call_finish(call, &op->rec->base);
    }
}

static void answer_get(struct isms_call *call)
{
    const struct review_op *op = call->ctx;
    struct isms_bind b;

    isms_bind_init(&b, &STMT_REVIEW_GET);
    isms_bind_int64(&b, "num", op->num);
    isms_call_db_or_fail(call, &b, get_done);
}

/* A new op for `id` ("R-<n>"), set as call->ctx; answers the call and returns NULL when `id`
 * is malformed or memory ran out. */
static struct review_op *op_for(struct isms_call *call, const char *id)
{
    struct review_op *op = isms_arena_calloc(&call->arena, sizeof(*op));
    struct isms_status st;

    if (op == NULL) {
        isms_sched_fail_oom(call);
        return NULL;
    }
    if (isms_text_check("id", id, 40, 1, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return NULL;
    }
    if (!isms_sched_parse_id('R', id, &op->num)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "review id must look like R-<n>, got \"%s\"",
                       id);
        return NULL;
    }
    op->id = id;
    call->ctx = op;
    return op;
}

static void review_get(struct isms_call *call, const ProtobufCMessage *msg)
{
    if (op_for(call, ((const Isms__V1__GetReviewRequest *)msg)->id) != NULL)
        answer_get(call);
}

static void list_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    Isms__V1__ListReviewsResponse *r;
    int n = isms_rows_count(res);

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL) {
        isms_sched_fail_oom(call);
        return;
    }
    isms__v1__list_reviews_response__init(r);
    r->reviews = isms_arena_calloc(&call->arena, sizeof(*r->reviews) * (size_t)(n + 1));
    if (r->reviews == NULL) {
        isms_sched_fail_oom(call);
        return;
    }
    for (int i = 0; i < n; i++) {
        r->reviews[i] = isms_review_from_row(call, res, i, 0);
        if (r->reviews[i] == NULL) {
            isms_sched_fail_oom(call);
            return;
        }
    }
    r->n_reviews = (size_t)n;
    isms_call_finish(call, &r->base);
}

static void review_list(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ListReviewsRequest *in = (const Isms__V1__ListReviewsRequest *)msg;
    struct isms_bind b;
    int64_t sched = 0;

    if (in->schedule_id[0] != '\0' && !isms_sched_parse_id('S', in->schedule_id, &sched)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "schedule id must look like S-<n>, got \"%.40s\"", in->schedule_id);
        return;
    }
    isms_bind_init(&b, &STMT_REVIEW_LIST);
    isms_bind_bool(&b, "due", in->due);
    isms_bind_bool(&b, "overdue", in->overdue);
    isms_bind_bool(&b, "mine", in->mine);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_int64_or_null(&b, "schedule", sched);
    isms_call_db_or_fail(call, &b, list_done);
}

static void complete_done(struct isms_call *call, const struct isms_rows *res,
                          const struct isms_status *st)
{
    const struct review_op *op = call->ctx;
    const char *owner;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "review \"%s\" does not exist", op->id);
        return;
    }
    if (isms_rows_int64(res, 0, 3) == 0) {
        owner = isms_rows_text(res, 0, 2);
        if (strcmp(isms_rows_text(res, 0, 1), "open") != 0)
            isms_call_fail(call, ISMS_FAILED_PRECONDITION, "review %s is already completed",
                           op->id);
        else if (!isms_sched_may_complete(call->principal.roles, isms_call_actor(call), owner))
            isms_call_fail(call, ISMS_PERMISSION_DENIED,
                           "review %s belongs to \"%s\"; completing someone else's review needs "
                           "the isms_manager or admin role",
                           op->id, owner);
        else
            isms_call_fail(call, ISMS_INTERNAL, "review %s did not change", op->id);
        return;
    }
    answer_get(call);
}

static void review_complete(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__CompleteReviewRequest *in = (const Isms__V1__CompleteReviewRequest *)msg;
    struct isms_status st;
    struct isms_bind b;

    if (op_for(call, in->id) == NULL)
        return;
    if (isms_sched_check_outcome(in->outcome, in->evidence, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, &STMT_REVIEW_COMPLETE);
    isms_bind_int64(&b, "num", ((struct review_op *)call->ctx)->num);
    isms_bind_text(&b, "outcome", in->outcome);
    isms_bind_text(&b, "evidence", in->evidence);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_bool(&b, "may_any",
                   (call->principal.roles & (ISMS_ROLE_MANAGER | ISMS_ROLE_ADMIN)) != 0);
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, complete_done);
}

enum isms_code isms_review_register(struct isms_server *srv, struct isms_status *st)
{
    /* Order follows the service declaration in proto/isms/v1/schedule.proto. A viewer reads;
     * every other role may complete the reviews it owns. */
    static const struct isms_method_spec specs[] = {
        {"List", review_list, 0, ISMS_ROLES_READ},
        {"Get", review_get, 0, ISMS_ROLES_READ},
        {"Complete", review_complete, 0, ISMS_ROLES_ALL & ~ISMS_ROLE_VIEWER},
    };

    return isms_registry_add(&srv->reg, &isms__v1__review__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
