/* domain/sched/schedule.c — isms.v1.Schedule handlers: create, list, show, pause, resume and
 * delete schedules S-<n>. A write is one statement with its audit record; its answer is read
 * back by a second statement (Get). The scheduler that turns occurrences into reviews is
 * tick.c; occurrence maths lives in SQL (schedule_at, schedule_last_due: schema/060). */
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

/* Resolves the time zone (given, else the organisation's) and checks what a new schedule
 * refers to: tz, tz known, owner status ('' unknown), target exists, start before today. */
static const char SQL_SCHED_PRECHECK[] =
    "WITH z AS (SELECT coalesce(nullif($1::text, ''), (SELECT time_zone FROM isms_context),"
    " 'UTC') AS tz), k AS (SELECT z.tz, EXISTS (SELECT 1 FROM pg_timezone_names n"
    " WHERE n.name = z.tz) AS ok FROM z)"
    " SELECT k.tz, k.ok::int, coalesce((SELECT status FROM app_user WHERE name = $2::text), ''),"
    " (CASE $3::text WHEN 'risk' THEN EXISTS (SELECT 1 FROM risk WHERE num = $4::bigint)"
    " WHEN 'asset' THEN EXISTS (SELECT 1 FROM asset WHERE num = $4::bigint)"
    " WHEN 'risk_level' THEN $5::text = ANY (coalesce((SELECT level_names FROM risk_method"
    " ORDER BY version DESC LIMIT 1), '{}'::text[])) ELSE true END)::int,"
    " CASE WHEN k.ok AND $6::text <> '' THEN (CASE WHEN $7::boolean"
    " THEN ($6::text::timestamptz AT TIME ZONE k.tz)::date ELSE $6::text::timestamp::date END"
    " < (now() AT TIME ZONE k.tz)::date)::int ELSE 0 END,"
    " CASE WHEN k.ok THEN to_char(now() AT TIME ZONE k.tz, 'YYYY-MM-DD') ELSE '' END FROM k";
ISMS_STATEMENT(STMT_SCHED_PRECHECK, SQL_SCHED_PRECHECK, "time_zone", "owner", "kind", "ref_num",
               "ref", "start", "has_offset");

static const char SQL_SCHED_CREATE[] =
    "WITH v AS (SELECT CASE WHEN $8::text = '' THEN"
    " CASE WHEN $6::text IN ('second', 'minute', 'hour')"
    " THEN date_trunc('second', now()) + schedule_step($5::integer, $6::text)"
    " ELSE (date_trunc('day', now() AT TIME ZONE $7::text) + schedule_step($5::integer,"
    " $6::text)) AT TIME ZONE $7::text END"
    " WHEN $9::boolean THEN $8::text::timestamptz"
    " ELSE $8::text::timestamp AT TIME ZONE $7::text END AS anchor),"
    " s AS (INSERT INTO schedule (title, target_kind, target_ref, owner, every_n, every_unit,"
    " time_zone, anchor, next_due, lead, fire_at, catch_up, catch_up_max, created_by, updated_by)"
    " SELECT coalesce(nullif($1::text, ''), CASE $2::text"
    " WHEN 'risk' THEN 'Review of risk ' || $3::text"
    " WHEN 'risk_level' THEN 'Review of the ' || $3::text || ' risks'"
    " WHEN 'asset' THEN 'Review of asset ' || $3::text"
    " WHEN 'access' THEN 'Access review: accounts and their roles'"
    " WHEN 'soa' THEN 'Review of the Statement of Applicability' ELSE 'Recurring task' END),"
    " $2::text, upper($3::text), $4::text, $5::integer, $6::text, $7::text, v.anchor, v.anchor,"
    " make_interval(days => $10::integer), v.anchor - make_interval(days => $10::integer),"
    " $11::text, $12::integer, $13::text, $13::text FROM v RETURNING *),"
    " a AS (SELECT audit_append($13::text, $14::text, '/isms.v1.Schedule/Create',"
    " 'schedule:S-' || s.num, audit_diff(NULL, jsonb_build_object('title', s.title,"
    " 'target_kind', s.target_kind, 'target_ref', s.target_ref, 'owner', s.owner,"
    " 'every', s.every_n || ' ' || s.every_unit, 'time_zone', s.time_zone, 'start', s.anchor,"
    " 'lead', s.lead::text, 'catch_up', s.catch_up, 'catch_up_max', s.catch_up_max)), 'OK')"
    " AS seq FROM s)" ISMS_SQL_IDEM("$15", "a") " SELECT s.num FROM s, a";
ISMS_STATEMENT(STMT_SCHED_CREATE, SQL_SCHED_CREATE, "title", "kind", "ref", "owner", "every",
               "unit", "time_zone", "start", "has_offset", "lead_days", "catch_up", "catch_up_max",
               "actor", "source", ISMS_SQL_IDEM_PARAM);

static const char SQL_SCHED_GET[] =
    "SELECT " ISMS_SQL_SCHED_COLS " FROM schedule s WHERE s.num = $1::bigint";
ISMS_STATEMENT(STMT_SCHED_GET, SQL_SCHED_GET, "num");

static const char SQL_SCHED_LIST[] = "SELECT " ISMS_SQL_SCHED_COLS " FROM schedule s"
                                     " WHERE $1::boolean OR s.deleted_at IS NULL ORDER BY s.num";
ISMS_STATEMENT(STMT_SCHED_LIST, SQL_SCHED_LIST, "include_deleted");

/* The three state changes share one shape: `o` is the schedule locked, `s` the change (only
 * when o is in the state the change starts from), then the flags the handler decides on:
 * exists, paused, deleted, changed. */
#define SCHED_FLAGS                                                                                \
    " SELECT (SELECT count(*) FROM o), (SELECT (paused_at IS NOT NULL)::int FROM o),"              \
    " (SELECT (deleted_at IS NOT NULL)::int FROM o), (SELECT count(*) FROM a)"

static const char SQL_SCHED_PAUSE[] =
    "WITH o AS (SELECT * FROM schedule WHERE num = $1::bigint FOR UPDATE),"
    " s AS (UPDATE schedule s SET paused_at = now(), paused_by = $3::text,"
    " pause_reason = $2::text, version = s.version + 1, updated_at = now(),"
    " updated_by = $3::text FROM o WHERE s.num = o.num AND o.paused_at IS NULL"
    " AND o.deleted_at IS NULL RETURNING s.*),"
    " a AS (SELECT audit_append($3::text, $4::text, '/isms.v1.Schedule/Pause',"
    " 'schedule:S-' || s.num, audit_diff(jsonb_build_object('paused', false),"
    " jsonb_build_object('paused', true, 'reason', s.pause_reason)), 'OK') AS seq FROM "
    "s)" ISMS_SQL_IDEM("$5", "a") SCHED_FLAGS;
ISMS_STATEMENT(STMT_SCHED_PAUSE, SQL_SCHED_PAUSE, "num", "reason", "actor", "source",
               ISMS_SQL_IDEM_PARAM);

/* Resuming skips the occurrences that fell due while paused: the next one is the first still
 * ahead of now (database time). */
static const char SQL_SCHED_RESUME[] =
    "WITH o AS (SELECT * FROM schedule WHERE num = $1::bigint FOR UPDATE),"
    " n AS (SELECT o.num, greatest(o.occurrence, schedule_last_due(o.anchor, o.time_zone,"
    " o.every_n, o.every_unit, o.lead, now()) + 1) AS k FROM o"
    " WHERE o.paused_at IS NOT NULL AND o.deleted_at IS NULL),"
    " s AS (UPDATE schedule s SET paused_at = NULL, paused_by = '', pause_reason = '',"
    " occurrence = n.k, next_due = schedule_at(s.anchor, s.time_zone, s.every_n, s.every_unit,"
    " n.k), fire_at = schedule_at(s.anchor, s.time_zone, s.every_n, s.every_unit, n.k) - s.lead,"
    " version = s.version + 1, updated_at = now(), updated_by = $2::text FROM n"
    " WHERE s.num = n.num RETURNING s.*),"
    " a AS (SELECT audit_append($2::text, $3::text, '/isms.v1.Schedule/Resume',"
    " 'schedule:S-' || s.num, audit_diff(jsonb_build_object('paused', true),"
    " jsonb_build_object('paused', false, 'next_due', s.next_due)), 'OK') AS seq FROM "
    "s)" ISMS_SQL_IDEM("$4", "a") SCHED_FLAGS;
ISMS_STATEMENT(STMT_SCHED_RESUME, SQL_SCHED_RESUME, "num", "actor", "source", ISMS_SQL_IDEM_PARAM);

static const char SQL_SCHED_DELETE[] =
    "WITH o AS (SELECT * FROM schedule WHERE num = $1::bigint FOR UPDATE),"
    " s AS (UPDATE schedule s SET deleted_at = now(), version = s.version + 1,"
    " updated_at = now(), updated_by = $2::text FROM o WHERE s.num = o.num"
    " AND o.deleted_at IS NULL RETURNING s.*),"
    " a AS (SELECT audit_append($2::text, $3::text, '/isms.v1.Schedule/Delete',"
    " 'schedule:S-' || s.num, audit_diff(jsonb_build_object('title', s.title, 'owner', s.owner),"
    " NULL), 'OK') AS seq FROM s)" ISMS_SQL_IDEM("$4", "a") SCHED_FLAGS;
ISMS_STATEMENT(STMT_SCHED_DELETE, SQL_SCHED_DELETE, "num", "actor", "source", ISMS_SQL_IDEM_PARAM);

/* What a handler keeps between its statements, in the arena. */
struct sched_op {
    int64_t num;
    const char *id;
    struct isms_sched_new in;
    char tz[72];
};

void isms_sched_fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "response exceeds the call's memory limit");
}

static char *cell(struct isms_call *call, const struct isms_rows *res, int row, int col)
{
    return isms_arena_strdup(&call->arena, isms_rows_text(res, row, col));
}

Isms__V1__ScheduleRecord *isms_sched_from_row(struct isms_call *call, const struct isms_rows *res,
                                              int row, int f)
{
    Isms__V1__ScheduleRecord *s = isms_arena_calloc(&call->arena, sizeof(*s));

    if (s == NULL)
        return NULL;
    isms__v1__schedule_record__init(s);
    s->id = isms_arena_printf(&call->arena, "S-%" PRId64, isms_rows_int64(res, row, f));
    s->title = cell(call, res, row, f + 1);
    s->target_kind = cell(call, res, row, f + 2);
    s->target_ref = cell(call, res, row, f + 3);
    s->owner = cell(call, res, row, f + 4);
    s->every = (int32_t)isms_rows_int64(res, row, f + 5);
    s->unit = cell(call, res, row, f + 6);
    s->time_zone = cell(call, res, row, f + 7);
    s->start = cell(call, res, row, f + 8);
    s->next_due = cell(call, res, row, f + 9);
    s->lead_days = (int32_t)isms_rows_int64(res, row, f + 10);
    s->catch_up = cell(call, res, row, f + 11);
    s->catch_up_max = (int32_t)isms_rows_int64(res, row, f + 12);
    s->paused = isms_rows_int64(res, row, f + 13) != 0;
    s->pause_reason = cell(call, res, row, f + 14);
    s->paused_at = cell(call, res, row, f + 15);
    s->paused_by = cell(call, res, row, f + 16);
    s->version = isms_rows_int64(res, row, f + 17);
    s->created_at = cell(call, res, row, f + 18);
    s->created_by = cell(call, res, row, f + 19);
    s->open_reviews = isms_rows_int64(res, row, f + 20);
    s->deleted = isms_rows_int64(res, row, f + 21) != 0;
    if (!s->id || !s->title || !s->target_kind || !s->target_ref || !s->owner || !s->unit ||
        !s->time_zone || !s->start || !s->next_due || !s->catch_up || !s->pause_reason ||
        !s->paused_at || !s->paused_by || !s->created_at || !s->created_by)
        return NULL;
    return s;
}

static void get_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    const struct sched_op *op = call->ctx;
    Isms__V1__ScheduleRecord *s;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "schedule \"%s\" does not exist", op->id);
        return;
    }
    s = isms_sched_from_row(call, res, 0, 0);
    if (s == NULL) {
        isms_sched_fail_oom(call);
        return;
    }
    isms_call_finish(call, &s->base);
}

/* Answers with schedule op->num as it is now. */
static void answer_get(struct isms_call *call)
{
    const struct sched_op *op = call->ctx;
    struct isms_bind b;

    isms_bind_init(&b, &STMT_SCHED_GET);
    isms_bind_int64(&b, "num", op->num);
    isms_call_db_or_fail(call, &b, get_done);
}

/* A new op for `id` ("S-<n>"), set as call->ctx; answers the call and returns NULL when `id`
 * is malformed or memory ran out. */
static struct sched_op *op_for(struct isms_call *call, const char *id)
{
    struct sched_op *op = isms_arena_calloc(&call->arena, sizeof(*op));
    struct isms_status st;

    if (op == NULL) {
        isms_sched_fail_oom(call);
        return NULL;
    }
    if (isms_text_check("id", id, 40, 1, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return NULL;
    }
    if (!isms_sched_parse_id('S', id, &op->num)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "schedule id must look like S-<n>, got \"%s\"",
                       id);
        return NULL;
    }
    op->id = id;
    call->ctx = op;
    return op;
}

static void sched_get(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__GetScheduleRequest *in = (const Isms__V1__GetScheduleRequest *)msg;

    if (op_for(call, in->id) != NULL)
        answer_get(call);
}

static void create_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    struct sched_op *op = call->ctx;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    op->num = isms_rows_int64(res, 0, 0);
    op->id = isms_arena_printf(&call->arena, "S-%" PRId64, op->num);
    if (op->id == NULL) {
        isms_sched_fail_oom(call);
        return;
    }
    answer_get(call);
}

static void precheck_done(struct isms_call *call, const struct isms_rows *res,
                          const struct isms_status *st)
{
    struct sched_op *op = call->ctx;
    const char *owner_status;
    struct isms_bind b;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    snprintf(op->tz, sizeof(op->tz), "%s", isms_rows_text(res, 0, 0));
    owner_status = isms_rows_text(res, 0, 2);
    if (isms_rows_int64(res, 0, 1) == 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "time zone \"%s\" is not known", op->tz);
        return;
    }
    if (owner_status[0] == '\0') {
        isms_call_fail(call, ISMS_NOT_FOUND, "owner \"%s\" does not exist", op->in.owner);
        return;
    }
    if (strcmp(owner_status, "active") != 0) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION, "owner \"%s\" is %s", op->in.owner,
                       owner_status);
        return;
    }
    if (isms_rows_int64(res, 0, 3) == 0) {
        if (strcmp(op->in.target_kind, "risk_level") == 0)
            isms_call_fail(call, ISMS_NOT_FOUND,
                           "risk level \"%s\" is not a level of the current method",
                           op->in.target_ref);
        else
            isms_call_fail(call, ISMS_NOT_FOUND, "%s \"%s\" does not exist", op->in.target_kind,
                           op->in.target_ref);
        return;
    }
    if (isms_rows_int64(res, 0, 4) != 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "start %s is in the past (today is %s in %s)",
                       op->in.start, isms_rows_text(res, 0, 5), op->tz);
        return;
    }
    isms_bind_init(&b, &STMT_SCHED_CREATE);
    isms_bind_text(&b, "title", op->in.title);
    isms_bind_text(&b, "kind", op->in.target_kind);
    isms_bind_text(&b, "ref", op->in.target_ref);
    isms_bind_text(&b, "owner", op->in.owner);
    isms_bind_int64(&b, "every", op->in.every);
    isms_bind_text(&b, "unit", op->in.unit);
    isms_bind_text(&b, "time_zone", op->tz);
    isms_bind_text(&b, "start", op->in.start);
    isms_bind_bool(&b, "has_offset", op->in.start_has_offset);
    isms_bind_int64(&b, "lead_days", op->in.lead_days);
    isms_bind_text(&b, "catch_up", op->in.catch_up_n);
    isms_bind_int64(&b, "catch_up_max", op->in.catch_up_max_n);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, create_done);
}

static void sched_create(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__CreateScheduleRequest *in = (const Isms__V1__CreateScheduleRequest *)msg;
    struct sched_op *op = isms_arena_calloc(&call->arena, sizeof(*op));
    struct isms_status st;
    struct isms_bind b;

    if (op == NULL) {
        isms_sched_fail_oom(call);
        return;
    }
    op->in.title = in->title;
    op->in.target_kind = in->target_kind;
    op->in.target_ref = in->target_ref;
    op->in.owner = in->owner[0] != '\0' ? in->owner : isms_call_actor(call);
    op->in.unit = in->unit;
    op->in.start = in->start;
    op->in.time_zone = in->time_zone;
    op->in.catch_up = in->catch_up;
    op->in.every = in->every;
    op->in.lead_days = in->lead_days;
    op->in.catch_up_max = in->catch_up_max;
    if (isms_sched_check_new(&op->in, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    call->ctx = op;
    isms_bind_init(&b, &STMT_SCHED_PRECHECK);
    isms_bind_text(&b, "time_zone", op->in.time_zone);
    isms_bind_text(&b, "owner", op->in.owner);
    isms_bind_text(&b, "kind", op->in.target_kind);
    isms_bind_int64(&b, "ref_num", op->in.ref_num);
    isms_bind_text(&b, "ref", op->in.target_ref);
    isms_bind_text(&b, "start", op->in.start);
    isms_bind_bool(&b, "has_offset", op->in.start_has_offset);
    isms_call_db_or_fail(call, &b, precheck_done);
}

static void list_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    Isms__V1__ListSchedulesResponse *r;
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
    isms__v1__list_schedules_response__init(r);
    r->schedules = isms_arena_calloc(&call->arena, sizeof(*r->schedules) * (size_t)(n + 1));
    if (r->schedules == NULL) {
        isms_sched_fail_oom(call);
        return;
    }
    for (int i = 0; i < n; i++) {
        r->schedules[i] = isms_sched_from_row(call, res, i, 0);
        if (r->schedules[i] == NULL) {
            isms_sched_fail_oom(call);
            return;
        }
    }
    r->n_schedules = (size_t)n;
    isms_call_finish(call, &r->base);
}

static void sched_list(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ListSchedulesRequest *in = (const Isms__V1__ListSchedulesRequest *)msg;
    struct isms_bind b;

    isms_bind_init(&b, &STMT_SCHED_LIST);
    isms_bind_bool(&b, "include_deleted", in->include_deleted);
    isms_call_db_or_fail(call, &b, list_done);
}

/* The flags of SCHED_FLAGS decide: NOT_FOUND, FAILED_PRECONDITION (wrong state), or the
 * schedule as it now is. `want_paused`: the change starts from a paused schedule (resume),
 * from a running one (pause), or either (-1, delete). */
static void change_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st, int want_paused, const char *verb)
{
    const struct sched_op *op = call->ctx;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0 || isms_rows_int64(res, 0, 2) != 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "schedule \"%s\" does not exist", op->id);
        return;
    }
    if (isms_rows_int64(res, 0, 3) == 0) {
        if (want_paused >= 0 && isms_rows_int64(res, 0, 1) != want_paused)
            isms_call_fail(call, ISMS_FAILED_PRECONDITION, "cannot %s schedule %s: it is %s", verb,
                           op->id, want_paused ? "not paused" : "already paused");
        else
            isms_call_fail(call, ISMS_INTERNAL, "schedule %s did not change", op->id);
        return;
    }
    answer_get(call);
}

static void pause_done(struct isms_call *call, const struct isms_rows *res,
                       const struct isms_status *st)
{
    change_done(call, res, st, 0, "pause");
}

static void resume_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    change_done(call, res, st, 1, "resume");
}

static void delete_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    change_done(call, res, st, -1, "delete");
}

static void sched_pause(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__PauseScheduleRequest *in = (const Isms__V1__PauseScheduleRequest *)msg;
    struct isms_status st;
    struct isms_bind b;

    if (op_for(call, in->id) == NULL)
        return;
    if (isms_text_check("reason", in->reason, 1000, 1, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, &STMT_SCHED_PAUSE);
    isms_bind_int64(&b, "num", ((struct sched_op *)call->ctx)->num);
    isms_bind_text(&b, "reason", in->reason);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, pause_done);
}

static void sched_resume(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ResumeScheduleRequest *in = (const Isms__V1__ResumeScheduleRequest *)msg;
    struct isms_bind b;

    if (op_for(call, in->id) == NULL)
        return;
    isms_bind_init(&b, &STMT_SCHED_RESUME);
    isms_bind_int64(&b, "num", ((struct sched_op *)call->ctx)->num);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, resume_done);
}

static void sched_delete(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__DeleteScheduleRequest *in = (const Isms__V1__DeleteScheduleRequest *)msg;
    struct isms_bind b;

    if (op_for(call, in->id) == NULL)
        return;
    isms_bind_init(&b, &STMT_SCHED_DELETE);
    isms_bind_int64(&b, "num", ((struct sched_op *)call->ctx)->num);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, delete_done);
}

static const char SQL_TZ_GET[] = "SELECT time_zone, to_char(now() AT TIME ZONE time_zone,"
                                 " 'YYYY-MM-DD HH24:MI:SS') FROM isms_context";
ISMS_STATEMENT_NO_PARAMS(STMT_TZ_GET, SQL_TZ_GET);

/* Sets the organisation's time zone when PostgreSQL knows it; answers (known, changed). */
static const char SQL_TZ_SET[] =
    "WITH ok AS (SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1::text) AS v),"
    " old AS (SELECT time_zone FROM isms_context),"
    " u AS (UPDATE isms_context c SET time_zone = $1::text FROM ok WHERE ok.v"
    " RETURNING c.time_zone),"
    " a AS (SELECT audit_append($2::text, $3::text, '/isms.v1.Schedule/SetTimeZone', 'context',"
    " audit_diff(jsonb_build_object('time_zone', old.time_zone),"
    " jsonb_build_object('time_zone', u.time_zone)), 'OK') AS seq FROM u, old)" ISMS_SQL_IDEM(
        "$4", "a") " SELECT (SELECT v FROM ok)::int, (SELECT count(*) FROM a)";
ISMS_STATEMENT(STMT_TZ_SET, SQL_TZ_SET, "time_zone", "actor", "source", ISMS_SQL_IDEM_PARAM);

static void tz_get_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    Isms__V1__TimeZoneSetting *z;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    z = isms_arena_calloc(&call->arena, sizeof(*z));
    if (z == NULL) {
        isms_sched_fail_oom(call);
        return;
    }
    isms__v1__time_zone_setting__init(z);
    z->time_zone = cell(call, res, 0, 0);
    z->local_now = cell(call, res, 0, 1);
    if (z->time_zone == NULL || z->local_now == NULL) {
        isms_sched_fail_oom(call);
        return;
    }
    isms_call_finish(call, &z->base);
}

static void tz_answer(struct isms_call *call)
{
    struct isms_bind b;

    isms_bind_init(&b, &STMT_TZ_GET);
    isms_call_db_or_fail(call, &b, tz_get_done);
}

static void tz_get(struct isms_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    tz_answer(call);
}

static void tz_set_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "time zone \"%s\" is not known",
                       (const char *)call->ctx);
        return;
    }
    tz_answer(call);
}

static void tz_set(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__SetTimeZoneRequest *in = (const Isms__V1__SetTimeZoneRequest *)msg;
    struct isms_status st;
    struct isms_bind b;

    if (isms_text_check("time_zone", in->time_zone, 64, 1, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, &STMT_TZ_SET);
    isms_bind_text(&b, "time_zone", in->time_zone);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    call->ctx = in->time_zone;
    isms_call_db_or_fail(call, &b, tz_set_done);
}

enum isms_code isms_schedule_register(struct isms_server *srv, struct isms_status *st)
{
    /* Order follows the service declaration in proto/isms/v1/schedule.proto. */
    static const struct isms_method_spec specs[] = {
        {"Create", sched_create, 0, ISMS_ROLE_MANAGER},
        {"List", sched_list, 0, ISMS_ROLES_READ},
        {"Get", sched_get, 0, ISMS_ROLES_READ},
        {"Pause", sched_pause, 0, ISMS_ROLE_MANAGER},
        {"Resume", sched_resume, 0, ISMS_ROLE_MANAGER},
        {"Delete", sched_delete, 0, ISMS_ROLE_MANAGER},
        {"GetTimeZone", tz_get, 0, ISMS_ROLES_READ},
        {"SetTimeZone", tz_set, 0, ISMS_ROLE_MANAGER},
    };

    return isms_registry_add(&srv->reg, &isms__v1__schedule__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
