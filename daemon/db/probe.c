/* db/probe.c — one SELECT 1 at a time through the pool's ordinary queue, so a probe sees what
 * calls see: a stalled server, a full queue, no connection. */
#include "db/probe.h"

#include <stdio.h>
#include <string.h>

#include "db/pool.h"

static const char SQL_PROBE[] = "SELECT 1";

static void on_probe_result(void *arg, const struct isms_rows *res, const struct isms_status *st)
{
    struct isms_db_probe *p = arg;
    uint64_t now = uv_now(p->timer.loop);

    (void)res;
    p->job = NULL;
    if (st->code == ISMS_OK) {
        p->last_ok_ms = now;
        p->last_rtt_us = (uv_hrtime() - p->started_ns) / 1000;
        isms_status_clear(&p->last_error);
    } else {
        p->last_error = *st;
    }
}

static void on_tick(uv_timer_t *t)
{
    struct isms_db_probe *p = t->data;
    struct isms_status st;

    if (p->job != NULL)
        return; /* still waiting: isms_db_probe_health reports the stall */
    p->started_ms = uv_now(t->loop);
    p->started_ns = uv_hrtime();
    if (isms_db_exec_uncapped(p->pool, SQL_PROBE, 0, NULL, on_probe_result, p, &p->job, &st) !=
        ISMS_OK) {
        p->job = NULL;
        p->last_error = st;
    }
}

void isms_db_probe_start(struct isms_db_probe *p, uv_loop_t *loop, struct isms_db_pool *pool,
                         uint64_t interval_ms, uint64_t stall_ms)
{
    memset(p, 0, sizeof(*p));
    p->pool = pool;
    p->interval_ms = interval_ms;
    p->stall_ms = stall_ms;
    /* Startup has just run the migrations on this database: that counts as the first check. */
    isms_status_clear(&p->last_error);
    p->last_ok_ms = uv_now(loop);
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    uv_unref((uv_handle_t *)&p->timer);
    uv_timer_start(&p->timer, on_tick, 0, interval_ms);
    p->is_started = 1;
}

void isms_db_probe_stop(struct isms_db_probe *p)
{
    if (!p->is_started)
        return;
    p->is_started = 0;
    if (p->job != NULL) {
        isms_db_job_abandon(p->job);
        p->job = NULL;
    }
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, NULL);
}

void isms_db_probe_health(const struct isms_db_probe *p, uint64_t now_ms,
                          struct isms_db_health *out)
{
    uint64_t waiting = p->job != NULL ? now_ms - p->started_ms : 0;

    memset(out, 0, sizeof(*out));
    out->age_ms = p->last_ok_ms != 0 ? now_ms - p->last_ok_ms : UINT64_MAX;
    out->rtt_us = p->last_rtt_us;
    if (!p->is_started) {
        snprintf(out->message, sizeof(out->message), "database is not being checked");
        return;
    }
    if (waiting > p->stall_ms) {
        snprintf(out->message, sizeof(out->message),
                 "database has not answered a check for %llu ms (stalled or overloaded)",
                 (unsigned long long)waiting);
        return;
    }
    if (p->last_error.code != ISMS_OK) {
        snprintf(out->message, sizeof(out->message), "%s", p->last_error.msg);
        return;
    }
    out->is_ok = 1;
}
