/* db/pool_job.c — submitting statements to the pool (a FIFO queue bounded by db_queue_max,
 * copied parameters) and abandoning them: a queued job is dropped, a running one is cancelled
 * with PQcancel on libuv's threadpool (libpq 15's cancel blocks); its connection takes no new
 * job until the cancel has completed. */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <uv.h>

#include "core/log.h"
#include "db/pool.h"
#include "db/pool_internal.h"

struct cancel_work {
    uv_work_t req;
    PGcancel *cancel;
    struct isms_db_conn *conn;
    int ok;
    char err[256];
};

/* ---- cancel ------------------------------------------------------------------------------- */

static void cancel_work_run(uv_work_t *req)
{
    struct cancel_work *w = req->data;

    w->ok = PQcancel(w->cancel, w->err, (int)sizeof(w->err));
}

static void cancel_work_done(uv_work_t *req, int status)
{
    struct cancel_work *w = req->data;
    struct isms_db_conn *c = w->conn;
    struct isms_db_pool *pool = c->pool;

    (void)status;
    if (!w->ok)
        isms_log_warn("could not cancel statement", "db_conn=%u", c->idx);
    PQfreeCancel(w->cancel);
    free(w);
    c->cancels_pending--;
    if (!pool->is_closing)
        isms_db_pool_dispatch(pool);
    /* After this the pool may be gone (it was closing and this was its last user). */
    isms_db_pool_release_pending(pool);
}

static void start_cancel(struct isms_db_conn *c)
{
    struct cancel_work *w;
    PGcancel *pc = c->pg != NULL ? PQgetCancel(c->pg) : NULL;

    if (pc == NULL)
        return;
    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        PQfreeCancel(pc);
        return;
    }
    w->cancel = pc;
    w->conn = c;
    w->req.data = w;
    if (uv_queue_work(c->pool->loop, &w->req, cancel_work_run, cancel_work_done) != 0) {
        PQfreeCancel(pc);
        free(w);
        return;
    }
    c->cancels_pending++;
    c->pool->pending_closes++;
}

/* ---- submitting and abandoning jobs -------------------------------------------------------- */

static enum isms_code exec_job(struct isms_db_pool *pool, const char *sql, int nparams,
                               const char *const *params, isms_db_result_cb *cb, void *arg,
                               struct isms_db_job **out, int is_capped, enum isms_db_lane lane,
                               struct isms_status *st)
{
    size_t need = sizeof(struct isms_db_job) + (size_t)nparams * sizeof(char *);
    struct isms_db_job *job;
    char *p;

    if (pool->is_closing)
        return isms_status_set(st, ISMS_UNAVAILABLE, "server is shutting down");
    if (!isms_db_pool_any_usable(pool))
        return isms_status_set(st, ISMS_UNAVAILABLE, "database is unavailable");
    if (is_capped && pool->queued - pool->queued_uncapped >= pool->queue_max)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED,
                               "database queue is full (%u statements waiting)", pool->queued);
    for (int i = 0; i < nparams; i++)
        if (params[i] != NULL)
            need += strlen(params[i]) + 1;
    job = calloc(1, need);
    if (job == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory for a statement");
    job->pool = pool;
    job->sql = sql;
    job->nparams = nparams;
    job->params = (char **)(job + 1);
    p = (char *)(job->params + nparams);
    for (int i = 0; i < nparams; i++) {
        if (params[i] == NULL) {
            job->params[i] = NULL;
            continue;
        }
        size_t n = strlen(params[i]) + 1;

        memcpy(p, params[i], n);
        job->params[i] = p;
        p += n;
    }
    job->cb = cb;
    job->arg = arg;
    job->lane = (int)lane;
    if (pool->qtail[lane] != NULL)
        pool->qtail[lane]->next = job;
    else
        pool->qhead[lane] = job;
    pool->qtail[lane] = job;
    pool->queued++;
    job->is_uncapped = !is_capped;
    pool->queued_uncapped += (uint32_t)job->is_uncapped;
    if (out != NULL)
        *out = job;
    isms_db_pool_dispatch(pool);
    return ISMS_OK;
}

void isms_db_job_abandon(struct isms_db_job *job)
{
    struct isms_db_pool *pool = job->pool;

    if (job->conn == NULL) {
        /* Still queued: unlink and drop. */
        struct isms_db_job **pp = &pool->qhead[job->lane];
        struct isms_db_job *prev = NULL;

        while (*pp != NULL && *pp != job) {
            prev = *pp;
            pp = &(*pp)->next;
        }
        if (*pp == job) {
            *pp = job->next;
            if (pool->qtail[job->lane] == job)
                pool->qtail[job->lane] = prev;
            pool->queued--;
            pool->queued_uncapped -= (uint32_t)job->is_uncapped;
            isms_db_job_free(job);
        }
        return;
    }
    job->is_abandoned = 1;
    start_cancel(job->conn);
}

int isms_db_job_interrupt(struct isms_db_job *job)
{
    if (job->conn == NULL) {
        isms_db_job_abandon(job); /* never sent: it cannot have run */
        return 0;
    }
    start_cancel(job->conn);
    return 1;
}

enum isms_code isms_db_exec(struct isms_db_pool *pool, const char *sql, int nparams,
                            const char *const *params, isms_db_result_cb *cb, void *arg,
                            struct isms_db_job **out, struct isms_status *st)
{
    return exec_job(pool, sql, nparams, params, cb, arg, out, 1, ISMS_DB_LANE_INTERACTIVE, st);
}

enum isms_code isms_db_exec_lane(struct isms_db_pool *pool, enum isms_db_lane lane, const char *sql,
                                 int nparams, const char *const *params, isms_db_result_cb *cb,
                                 void *arg, struct isms_db_job **out, struct isms_status *st)
{
    return exec_job(pool, sql, nparams, params, cb, arg, out, 1, lane, st);
}

enum isms_code isms_db_exec_uncapped(struct isms_db_pool *pool, const char *sql, int nparams,
                                     const char *const *params, isms_db_result_cb *cb, void *arg,
                                     struct isms_db_job **out, struct isms_status *st)
{
    return exec_job(pool, sql, nparams, params, cb, arg, out, 0, ISMS_DB_LANE_INTERACTIVE, st);
}
