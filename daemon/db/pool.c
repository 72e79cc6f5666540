/* db/pool.c — non-blocking libpq connections on uv_poll handles, reconnect with backoff and
 * jitter, and running the FIFO queue's jobs (submitting and cancelling them: pool_job.c).
 * A connection takes its next job only when its previous one is fully drained and no cancel
 * aimed at it is still in flight, so a cancel can never hit the wrong statement. */
#include "db/pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/log.h"
#include "db/notice.h"
#include "db/pool_internal.h"
#include "db/resolve.h"
#include "db/rows_pg.h"
#include "db/sqlstate.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

static const char SQL_SESSION_INIT[] =
    "SELECT set_config('jit', 'off', false), set_config('application_name', 'ismsd', false)";

static void conn_connect(struct isms_db_conn *c);
static void conn_start_job(struct isms_db_conn *c, struct isms_db_job *job);
static struct isms_db_job *init_job(struct isms_db_pool *pool);
static void conn_fail(struct isms_db_conn *c, const char *why);
static void on_poll(uv_poll_t *h, int status, int events);

/* ---- helpers ------------------------------------------------------------------------------ */

void isms_db_pool_release_pending(struct isms_db_pool *pool)
{
    pool->pending_closes--;
    if (pool->is_closing && pool->pending_closes == 0 && pool->closed_cb != NULL) {
        isms_db_closed_cb *cb = pool->closed_cb;

        pool->closed_cb = NULL;
        cb(pool);
        free(pool->conns);
        free(pool->conninfo);
        isms_db_target_free(pool->target);
        free(pool);
    }
}

static void poll_closed(uv_handle_t *h)
{
    struct isms_db_pool *pool = h->data;

    free(h);
    isms_db_pool_release_pending(pool);
}

static void timer_closed(uv_handle_t *h)
{
    struct isms_db_conn *c = h->data;

    isms_db_pool_release_pending(c->pool);
}

static void poll_stop(struct isms_db_conn *c)
{
    if (c->poll != NULL) {
        uv_poll_stop(c->poll);
        c->poll->data = c->pool;
        c->pool->pending_closes++;
        uv_close((uv_handle_t *)c->poll, poll_closed);
        c->poll = NULL;
        c->poll_fd = -1;
        c->poll_events = 0;
    }
}

/* Watches the connection's current socket for `events`, re-creating the handle if the fd
 * changed (libpq may switch sockets during connect). */
static int poll_watch(struct isms_db_conn *c, int events)
{
    int fd = PQsocket(c->pg);
    int rc;

    if (fd < 0)
        return -1;
    if (c->poll != NULL && c->poll_fd != fd)
        poll_stop(c);
    if (c->poll == NULL) {
        c->poll = malloc(sizeof(*c->poll));
        if (c->poll == NULL)
            return -1;
        rc = uv_poll_init(c->pool->loop, c->poll, fd);
        if (rc != 0) {
            free(c->poll);
            c->poll = NULL;
            return -1;
        }
        c->poll->data = c;
        c->poll_fd = fd;
        c->poll_events = 0;
    }
    if (c->poll_events != events) {
        if (uv_poll_start(c->poll, events, on_poll) != 0)
            return -1;
        c->poll_events = events;
    }
    return 0;
}

static unsigned jitter(unsigned ms)
{
    /* +-25%: spreads reconnects of many instances; uv_hrtime low bits are random enough. */
    unsigned span = ms / 2 + 1;

    return ms - ms / 4 + (unsigned)(uv_hrtime() % span);
}

static uint32_t count_state(const struct isms_db_pool *pool, enum isms_db_conn_state s)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < pool->size; i++)
        if (pool->conns[i].state == s)
            n++;
    return n;
}

int isms_db_pool_any_usable(const struct isms_db_pool *pool)
{
    for (uint32_t i = 0; i < pool->size; i++) {
        enum isms_db_conn_state s = pool->conns[i].state;

        if (s == ISMS_DB_CONN_IDLE || s == ISMS_DB_CONN_BUSY ||
            (s == ISMS_DB_CONN_CONNECTING && !pool->conns[i].has_logged_down))
            return 1;
    }
    return 0;
}

void isms_db_job_free(struct isms_db_job *job)
{
    free(job);
}

static void job_finish(struct isms_db_job *job, const PGresult *res, const struct isms_status *st)
{
    struct isms_rows rows = {res};

    if (!job->is_abandoned)
        job->cb(job->arg, res != NULL ? &rows : NULL, st);
    isms_db_job_free(job);
}

static void fail_queue(struct isms_db_pool *pool, const char *msg)
{
    struct isms_status st;

    isms_status_set(&st, ISMS_UNAVAILABLE, "%s", msg);
    for (int lane = 0; lane < ISMS_DB_LANES; lane++)
        while (pool->qhead[lane] != NULL) {
            struct isms_db_job *job = pool->qhead[lane];

            pool->qhead[lane] = job->next;
            if (pool->qhead[lane] == NULL)
                pool->qtail[lane] = NULL;
            pool->queued--;
            pool->queued_uncapped -= (uint32_t)job->is_uncapped;
            job_finish(job, NULL, &st);
        }
}

/* ---- connection lifecycle ----------------------------------------------------------------- */

static void on_retry(uv_timer_t *t)
{
    conn_connect(t->data);
}

static void conn_schedule_retry(struct isms_db_conn *c)
{
    c->state = ISMS_DB_CONN_DOWN;
    if (c->pool->is_closing)
        return;
    uv_timer_start(&c->retry_timer, on_retry, jitter(c->backoff_ms), 0);
    c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

/* Tears down a broken connection: its job fails with UNAVAILABLE, a retry is scheduled, and
 * when no connection is left the queue fails too. */
static void conn_fail(struct isms_db_conn *c, const char *why)
{
    struct isms_db_pool *pool = c->pool;
    struct isms_db_job *job = c->job;
    int was_up = c->state == ISMS_DB_CONN_IDLE || c->state == ISMS_DB_CONN_BUSY;

    if (!c->has_logged_down || was_up) {
        char q[300];
        char first[200];
        size_t n = strcspn(why, "\n");

        /* libpq's messages run over several lines; the first says what happened. */
        if (n >= sizeof(first))
            n = sizeof(first) - 1;
        memcpy(first, why, n);
        first[n] = '\0';
        isms_log_warn("database connection lost", "db_conn=%u reason=%s retry_ms=%u", c->idx,
                      isms_log_quote(q, sizeof(q), first), c->backoff_ms);
    }
    c->has_logged_down = 1;
    poll_stop(c);
    if (c->res != NULL) {
        PQclear(c->res);
        c->res = NULL;
    }
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    c->job = NULL;
    memset(c->prepared, 0, sizeof(c->prepared)); /* the next session starts with none */
    conn_schedule_retry(c);
    if (job != NULL) {
        struct isms_status st;

        /* It was sent: it may have committed before the connection went. */
        isms_status_set(&st, ISMS_UNAVAILABLE,
                        "database connection lost while the statement ran; its outcome is "
                        "unknown");
        job_finish(job, NULL, &st);
    }
    if (!isms_db_pool_any_usable(pool))
        fail_queue(pool, "database is unavailable");
    else
        isms_db_pool_dispatch(pool);
}

static void conn_ready(struct isms_db_conn *c)
{
    if (PQsetnonblocking(c->pg, 1) != 0) {
        conn_fail(c, "could not set non-blocking mode");
        return;
    }
    if (c->has_logged_down)
        isms_log_info("database connection restored", "db_conn=%u", c->idx);
    else
        isms_log_debug("database connection up", "db_conn=%u", c->idx);
    c->has_logged_down = 0;
    c->backoff_ms = BACKOFF_MIN_MS;
    c->state = ISMS_DB_CONN_IDLE;
    if (poll_watch(c, UV_READABLE) != 0) {
        conn_fail(c, "could not watch socket");
        return;
    }
    conn_start_job(c, init_job(c->pool));
}

static void init_done(void *arg, const struct isms_rows *rows, const struct isms_status *st)
{
    struct isms_db_conn *c = arg;

    (void)rows;
    if (st->code != ISMS_OK)
        isms_log_warn("could not apply session settings", "db_conn=%u error=\"%s\"", c->idx,
                      st->msg);
}

/* The first statement on every new connection: session settings for short OLTP statements.
 * JIT compilation costs more than such a statement ever runs (measured: 8 updates/s with it). */
static struct isms_db_job *init_job(struct isms_db_pool *pool)
{
    struct isms_db_job *job = calloc(1, sizeof(*job));

    if (job == NULL)
        return NULL;
    job->pool = pool;
    job->sql = SQL_SESSION_INIT;
    job->cb = init_done;
    return job;
}

static void connect_step(struct isms_db_conn *c)
{
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_OK:
        conn_ready(c);
        return;
    case PGRES_POLLING_READING:
        if (poll_watch(c, UV_READABLE) != 0)
            conn_fail(c, "could not watch socket");
        return;
    case PGRES_POLLING_WRITING:
        if (poll_watch(c, UV_WRITABLE) != 0)
            conn_fail(c, "could not watch socket");
        return;
    default:
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
}

/* Starts libpq's non-blocking connect; `hostaddr` as isms_db_target_connect takes it. */
static void conn_start(struct isms_db_conn *c, const char *hostaddr)
{
    c->pg = isms_db_target_connect(c->pool->target, hostaddr);
    if (c->pg != NULL)
        isms_db_route_notices(c->pg, (int)c->idx);
    if (c->pg == NULL) {
        conn_fail(c, "out of memory");
        return;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_fail(c, "invalid connection string or unreachable server");
        return;
    }
    connect_step(c);
}

static void on_resolved(void *arg, const char *hostaddr, const char *err)
{
    struct isms_db_conn *c = arg;
    struct isms_db_pool *pool = c->pool;

    if (pool->is_closing) {
        isms_db_pool_release_pending(pool); /* may free the pool */
        return;
    }
    pool->pending_closes--;
    if (hostaddr == NULL) {
        conn_fail(c, err);
        return;
    }
    if (isms_log_enabled(ISMS_LOG_DEBUG)) {
        char q[300];

        isms_log_debug("database host resolved", "db_conn=%u hostaddr=%s", c->idx,
                       isms_log_quote(q, sizeof(q), hostaddr));
    }
    conn_start(c, hostaddr);
}

static void conn_connect(struct isms_db_conn *c)
{
    struct isms_status st;

    if (c->pool->is_closing)
        return;
    c->state = ISMS_DB_CONN_CONNECTING;
    if (!isms_db_target_needs_resolve(c->pool->target)) {
        conn_start(c, NULL);
        return;
    }
    /* The lookup holds the pool open like a pending close until it calls back. */
    if (isms_db_resolve(c->pool->loop, c->pool->target, on_resolved, c, &st) != ISMS_OK) {
        conn_fail(c, st.msg);
        return;
    }
    c->pool->pending_closes++;
}

/* ---- running statements ------------------------------------------------------------------- */

/* The statement number of a static SQL text (its pointer is its identity), or -1 when the
 * table is full and the statement goes unnamed. */
static int stmt_index(struct isms_db_pool *pool, const char *sql)
{
    for (unsigned i = 0; i < pool->nstmts; i++)
        if (pool->stmts[i] == sql)
            return (int)i;
    if (pool->nstmts == ISMS_DB_MAX_STMTS)
        return -1;
    pool->stmts[pool->nstmts] = sql;
    return (int)pool->nstmts++;
}

/* Sends the job's statement: prepared when this session has it, else PREPARE first (named
 * statements skip parsing and planning on every later use), else unnamed. */
static int send_job(struct isms_db_conn *c, struct isms_db_job *job)
{
    char name[16];

    if (job->stmt < 0)
        return PQsendQueryParams(c->pg, job->sql, job->nparams, NULL,
                                 (const char *const *)job->params, NULL, NULL, 0);
    snprintf(name, sizeof(name), "isms_%d", job->stmt);
    if (c->prepared[job->stmt]) {
        job->is_preparing = 0;
        return PQsendQueryPrepared(c->pg, name, job->nparams, (const char *const *)job->params,
                                   NULL, NULL, 0);
    }
    job->is_preparing = 1;
    return PQsendPrepare(c->pg, name, job->sql, job->nparams, NULL);
}

static void flush_and_watch(struct isms_db_conn *c)
{
    int flush = PQflush(c->pg);

    if (flush < 0) {
        conn_fail(c, "could not send statement");
        return;
    }
    if (poll_watch(c, flush == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE) != 0)
        conn_fail(c, "could not watch socket");
}

static void conn_start_job(struct isms_db_conn *c, struct isms_db_job *job)
{
    if (job == NULL) {
        conn_fail(c, "out of memory");
        return;
    }
    if (job->cb == init_done)
        job->arg = c;

    c->state = ISMS_DB_CONN_BUSY;
    c->job = job;
    job->conn = c;
    job->stmt = stmt_index(c->pool, job->sql);
    if (!send_job(c, job)) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    flush_and_watch(c);
}

/* The lane whose head starts next (-1: nothing waits). */
static int next_lane(struct isms_db_pool *pool)
{
    int has_i = pool->qhead[ISMS_DB_LANE_INTERACTIVE] != NULL;
    int has_b = pool->qhead[ISMS_DB_LANE_BULK] != NULL;

    if (has_i && (!has_b || pool->interactive_streak < ISMS_DB_BULK_EVERY)) {
        pool->interactive_streak++;
        return ISMS_DB_LANE_INTERACTIVE;
    }
    if (has_b) {
        pool->interactive_streak = 0;
        return ISMS_DB_LANE_BULK;
    }
    return -1;
}

void isms_db_pool_dispatch(struct isms_db_pool *pool)
{
    for (uint32_t i = 0; i < pool->size && pool->queued > 0; i++) {
        struct isms_db_conn *c = &pool->conns[i];
        struct isms_db_job *job;
        int lane;

        if (c->state != ISMS_DB_CONN_IDLE || c->cancels_pending > 0)
            continue;
        lane = next_lane(pool);
        if (lane < 0)
            break;
        job = pool->qhead[lane];
        pool->qhead[lane] = job->next;
        if (pool->qhead[lane] == NULL)
            pool->qtail[lane] = NULL;
        pool->queued--;
        pool->queued_uncapped -= (uint32_t)job->is_uncapped;
        job->next = NULL;
        conn_start_job(c, job);
    }
}

/* The statement has produced its last result: hand it over, then reuse the connection. */
static void conn_job_done(struct isms_db_conn *c)
{
    struct isms_db_job *job = c->job;
    PGresult *res = c->res;
    struct isms_status st;
    ExecStatusType es = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;

    c->job = NULL;
    c->res = NULL;
    c->state = ISMS_DB_CONN_IDLE;
    if (es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK) {
        isms_status_clear(&st);
    } else {
        isms_sqlstate_status(res, &st);
        if (!job->is_abandoned && st.code == ISMS_INTERNAL) {
            char q[512];

            isms_log_error("statement failed", "db_conn=%u error=%s", c->idx,
                           isms_log_quote(q, sizeof(q), PQresultErrorMessage(res)));
        }
    }
    {
        const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

        /* A schema change invalidated a prepared plan's result type: start a fresh session. */
        if (state != NULL && strcmp(state, "0A000") == 0 && job->stmt >= 0)
            c->has_stale_plans = 1;
    }
    job_finish(job, res, &st);
    PQclear(res);
    if (c->state == ISMS_DB_CONN_IDLE && c->has_stale_plans) {
        c->has_stale_plans = 0;
        conn_fail(c, "prepared statements invalidated by a schema change");
        return;
    }
    if (c->state == ISMS_DB_CONN_IDLE && PQstatus(c->pg) == CONNECTION_BAD) {
        conn_fail(c, "connection closed by the server");
        return;
    }
    isms_db_pool_dispatch(c->pool);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct isms_db_conn *c = h->data;

    if (c->state == ISMS_DB_CONN_CONNECTING) {
        connect_step(c);
        return;
    }
    if (status < 0) {
        conn_fail(c, uv_strerror(status));
        return;
    }
    if (events & UV_WRITABLE) {
        int flush = PQflush(c->pg);

        if (flush < 0) {
            conn_fail(c, "could not send statement");
            return;
        }
        if (flush == 0 && poll_watch(c, UV_READABLE) != 0) {
            conn_fail(c, "could not watch socket");
            return;
        }
    }
    if (!(events & UV_READABLE))
        return;
    if (!PQconsumeInput(c->pg)) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    if (c->state != ISMS_DB_CONN_BUSY) {
        /* Idle: readable means a notice or the server closing on us. */
        if (PQstatus(c->pg) == CONNECTION_BAD)
            conn_fail(c, "connection closed by the server");
        else {
            PGnotify *n;

            while ((n = PQnotifies(c->pg)) != NULL)
                PQfreemem(n);
        }
        return;
    }
    while (!PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);

        if (r == NULL) {
            struct isms_db_job *job = c->job;

            if (job->is_preparing && c->res != NULL && PQresultStatus(c->res) == PGRES_COMMAND_OK) {
                c->prepared[job->stmt] = 1;
                PQclear(c->res);
                c->res = NULL;
                if (!job->is_abandoned) {
                    if (!send_job(c, job)) {
                        conn_fail(c, PQerrorMessage(c->pg));
                        return;
                    }
                    flush_and_watch(c);
                    return;
                }
            }
            conn_job_done(c);
            return;
        }
        if (c->res != NULL)
            PQclear(c->res);
        c->res = r;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD)
        conn_fail(c, "connection closed by the server");
}

/* ---- public ------------------------------------------------------------------------------- */

enum isms_code isms_db_pool_new(uv_loop_t *loop, const char *conninfo, uint32_t size,
                                uint32_t queue_max, struct isms_db_pool **out,
                                struct isms_status *st)
{
    struct isms_db_pool *pool = calloc(1, sizeof(*pool));

    if (pool == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory for the pool");
    pool->loop = loop;
    pool->size = size;
    pool->queue_max = queue_max;
    pool->conninfo = strdup(conninfo);
    pool->conns = calloc(size, sizeof(*pool->conns));
    if (pool->conninfo == NULL || pool->conns == NULL) {
        free(pool->conninfo);
        free(pool->conns);
        free(pool);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory for the pool");
    }
    if (isms_db_target_new(conninfo, &pool->target, st) != ISMS_OK) {
        free(pool->conninfo);
        free(pool->conns);
        free(pool);
        return st->code;
    }
    for (uint32_t i = 0; i < size; i++) {
        struct isms_db_conn *c = &pool->conns[i];

        c->pool = pool;
        c->idx = i;
        c->poll_fd = -1;
        c->backoff_ms = BACKOFF_MIN_MS;
        c->state = ISMS_DB_CONN_DOWN;
        uv_timer_init(loop, &c->retry_timer);
        c->retry_timer.data = c;
    }
    for (uint32_t i = 0; i < size; i++)
        conn_connect(&pool->conns[i]);
    *out = pool;
    return ISMS_OK;
}

void isms_db_pool_stats(const struct isms_db_pool *pool, struct isms_db_stats *out)
{
    out->size = pool->size;
    out->busy = count_state(pool, ISMS_DB_CONN_BUSY);
    out->connected = out->busy + count_state(pool, ISMS_DB_CONN_IDLE);
    out->queued = pool->queued;
    out->is_usable = isms_db_pool_any_usable(pool);
    out->cancels = 0;
    for (uint32_t i = 0; i < pool->size; i++)
        out->cancels += pool->conns[i].cancels_pending;
}

void isms_db_pool_close(struct isms_db_pool *pool, isms_db_closed_cb *done)
{
    pool->is_closing = 1;
    pool->closed_cb = done;
    fail_queue(pool, "server is shutting down");
    for (uint32_t i = 0; i < pool->size; i++) {
        struct isms_db_conn *c = &pool->conns[i];

        if (c->job != NULL) {
            struct isms_status st;

            isms_status_set(&st, ISMS_UNAVAILABLE, "server is shutting down");
            job_finish(c->job, NULL, &st);
            c->job = NULL;
        }
        if (c->res != NULL) {
            PQclear(c->res);
            c->res = NULL;
        }
        poll_stop(c);
        if (c->pg != NULL) {
            PQfinish(c->pg);
            c->pg = NULL;
        }
        c->state = ISMS_DB_CONN_CLOSED;
        uv_timer_stop(&c->retry_timer);
        pool->pending_closes++;
        uv_close((uv_handle_t *)&c->retry_timer, timer_closed);
    }
}
