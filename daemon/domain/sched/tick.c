/* domain/sched/tick.c — the scheduler's timer and its one statement (see tick.h). Everything
 * the tick decides (what is due, which occurrences, the next due time) is decided in SQL with
 * now(), so a host clock that jumps changes nothing; the timer only says how often to ask. */
#include "domain/sched/tick.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/log.h"
#include "db/bind.h"
#include "db/pool.h"
#include "db/rows.h"
#include "domain/sched/sched_rules.h"

/* Schedules claimed per statement; a full batch is followed by another at once. */
#define TICK_BATCH     100
#define TICK_BATCH_STR "100"
#define WARN_EVERY_MS  60000

/* c: due schedules, locked (others skip them); k: the last due occurrence of each (k1);
 * o: the occurrences that get a review (policy 'one': k1 alone, standing for k0..k1; 'each':
 * the latest catch_up_max of k0..k1); ins: the reviews (a duplicate is impossible: unique
 * (schedule_num, due_at)); u: the schedules advanced past k1; a: one audit record per review
 * and per schedule advanced. */
static const char SQL_SCHED_TICK[] =
    "WITH c AS (SELECT s.num, s.occurrence AS k0, s.anchor, s.time_zone, s.every_n,"
    " s.every_unit, s.lead, s.catch_up, s.catch_up_max, s.owner, s.title, s.target_kind,"
    " s.target_ref, s.next_due FROM schedule s WHERE s.fire_at <= now()"
    " AND s.paused_at IS NULL AND s.deleted_at IS NULL ORDER BY s.fire_at LIMIT $1::integer"
    " FOR UPDATE SKIP LOCKED),"
    " k AS (SELECT c.*, greatest(c.k0, schedule_last_due(c.anchor, c.time_zone, c.every_n,"
    " c.every_unit, c.lead, now())) AS k1 FROM c),"
    " o AS (SELECT k.*, g.j, k.k1 - k.k0 + 1 AS due_count,"
    " CASE WHEN k.catch_up = 'one' THEN k.k1 ELSE greatest(k.k0, k.k1 - k.catch_up_max + 1)"
    " END AS first FROM k, LATERAL generate_series(CASE WHEN k.catch_up = 'one' THEN k.k1"
    " ELSE greatest(k.k0, k.k1 - k.catch_up_max + 1) END, k.k1) AS g(j)),"
    " ins AS (INSERT INTO review (schedule_num, due_at, occurrences, skipped, owner, title,"
    " target_kind, target_ref, created_by)"
    " SELECT o.num, schedule_at(o.anchor, o.time_zone, o.every_n, o.every_unit, o.j),"
    " CASE WHEN o.catch_up = 'one' THEN o.due_count ELSE 1 END,"
    " CASE WHEN o.catch_up = 'each' AND o.j = o.first THEN o.first - o.k0 ELSE 0 END,"
    " o.owner, o.title, o.target_kind, o.target_ref, $2::text FROM o"
    " ON CONFLICT (schedule_num, due_at) DO NOTHING RETURNING *),"
    " u AS (UPDATE schedule s SET occurrence = k.k1 + 1,"
    " next_due = schedule_at(k.anchor, k.time_zone, k.every_n, k.every_unit, k.k1 + 1),"
    " fire_at = schedule_at(k.anchor, k.time_zone, k.every_n, k.every_unit, k.k1 + 1) - k.lead,"
    " last_run_at = now() FROM k WHERE s.num = k.num"
    " RETURNING s.num, s.next_due, k.next_due AS old_due, k.k1 - k.k0 + 1 AS due_count),"
    " a AS (SELECT audit_append($2::text, $3::text, 'scheduler', 'review:R-' || ins.num,"
    " audit_diff(NULL, jsonb_build_object('schedule', 'S-' || ins.schedule_num,"
    " 'due_at', ins.due_at, 'owner', ins.owner, 'occurrences', ins.occurrences,"
    " 'skipped', ins.skipped)), 'OK') AS seq FROM ins"
    " UNION ALL SELECT audit_append($2::text, $3::text, 'scheduler', 'schedule:S-' || u.num,"
    " audit_diff(jsonb_build_object('next_due', u.old_due), jsonb_build_object('next_due',"
    " u.next_due, 'occurrences_due', u.due_count)), 'OK') FROM u)" ISMS_SQL_IDEM(
        "$4", "a") " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM u), (SELECT count(*) "
                   "FROM a)";
ISMS_STATEMENT(STMT_SCHED_TICK, SQL_SCHED_TICK, "batch", "actor", "source", ISMS_SQL_IDEM_PARAM);

static void on_timer(uv_timer_t *timer);

static void schedule_next(struct isms_sched_tick *t, int again_now)
{
    uint64_t d = again_now ? 0 : isms_sched_jitter_ms(t->interval_ms, randombytes_random());

    uv_timer_start(&t->timer, on_timer, d, 0);
}

static void warn(struct isms_sched_tick *t, const struct isms_status *st)
{
    uint64_t now = uv_now(t->timer.loop);
    char q[300];

    if (t->last_warn_ms != 0 && now - t->last_warn_ms < WARN_EVERY_MS)
        return;
    t->last_warn_ms = now;
    isms_log_warn("scheduler could not claim due schedules", "error=%s retry_ms=%" PRIu64,
                  isms_log_quote(q, sizeof(q), st->msg), t->interval_ms);
}

static void on_claimed(void *arg, const struct isms_rows *rows, const struct isms_status *st)
{
    struct isms_sched_tick *t = arg;
    int64_t created, advanced;

    t->job = NULL;
    if (st->code != ISMS_OK) {
        warn(t, st);
        schedule_next(t, 0);
        return;
    }
    created = isms_rows_int64(rows, 0, 0);
    advanced = isms_rows_int64(rows, 0, 1);
    t->reviews_created += (uint64_t)created;
    t->claims += (uint64_t)advanced;
    if (advanced > 0)
        isms_log_info("scheduled reviews created", "reviews=%" PRId64 " schedules=%" PRId64,
                      created, advanced);
    schedule_next(t, advanced >= TICK_BATCH);
}

static void on_timer(uv_timer_t *timer)
{
    struct isms_sched_tick *t = timer->data;
    const char *values[4] = {TICK_BATCH_STR, "ismsd:scheduler", t->source, NULL};
    struct isms_status st;
    struct isms_bind b;
    const char *const *v;

    isms_bind_init(&b, &STMT_SCHED_TICK);
    isms_bind_text(&b, "batch", values[0]);
    isms_bind_text(&b, "actor", values[1]);
    isms_bind_text(&b, "source", values[2]);
    isms_bind_null(&b, ISMS_SQL_IDEM_PARAM); /* the scheduler's own write carries no key */
    /* Uncapped, like the health probe: one statement at most, never taking a caller's place
     * in db_queue_max (a full queue must not stop the scheduler, nor the scheduler a call). */
    if (isms_bind_finish(&b, &v, &st) != ISMS_OK ||
        isms_db_exec_uncapped(t->pool, STMT_SCHED_TICK.text, STMT_SCHED_TICK.nparams, v, on_claimed,
                              t, &t->job, &st) != ISMS_OK) {
        t->job = NULL;
        warn(t, &st);
        schedule_next(t, 0);
    }
}

void isms_sched_tick_start(struct isms_sched_tick *t, uv_loop_t *loop, struct isms_db_pool *pool,
                           uint64_t interval_ms)
{
    memset(t, 0, sizeof(*t));
    if (interval_ms == 0)
        return;
    t->pool = pool;
    t->interval_ms = interval_ms;
    snprintf(t->source, sizeof(t->source), "ismsd pid=%ld", (long)getpid());
    uv_timer_init(loop, &t->timer);
    t->timer.data = t;
    t->is_started = 1;
    schedule_next(t, 0);
}

void isms_sched_tick_stop(struct isms_sched_tick *t)
{
    if (!t->is_started)
        return;
    t->is_started = 0;
    if (t->job != NULL) {
        isms_db_job_abandon(t->job);
        t->job = NULL;
    }
    uv_timer_stop(&t->timer);
    uv_close((uv_handle_t *)&t->timer, NULL);
}
