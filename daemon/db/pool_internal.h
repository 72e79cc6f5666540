/* db/pool_internal.h — what pool.c (connections, running statements) and pool_job.c (submitting
 * and abandoning jobs, PQcancel on the threadpool) share: the pool, its connections and jobs.
 * Internal to db/pool*.c; everything else sees only db/pool.h. */
#ifndef ISMS_DB_POOL_INTERNAL_H
#define ISMS_DB_POOL_INTERNAL_H

#include <stdint.h>

#include <libpq-fe.h>
#include <uv.h>

#include "db/pool.h"

#define ISMS_DB_MAX_STMTS 512 /* distinct SQL constants prepared per connection */
/* While both lanes wait, one bulk job starts after this many interactive ones: streams that
 * fill the queue cannot hold up a short call, and are never starved by them. */
#define ISMS_DB_BULK_EVERY 4

enum isms_db_conn_state {
    ISMS_DB_CONN_DOWN,       /* waiting for the retry timer */
    ISMS_DB_CONN_CONNECTING, /* PQconnectPoll in progress */
    ISMS_DB_CONN_IDLE,
    ISMS_DB_CONN_BUSY, /* a job's statement is running or draining */
    ISMS_DB_CONN_CLOSED,
};

struct isms_db_conn;

struct isms_db_job {
    struct isms_db_job *next; /* queue link */
    struct isms_db_pool *pool;
    struct isms_db_conn *conn; /* while running */
    const char *sql;           /* static */
    int nparams;
    char **params; /* owned, in the same allocation as the job */
    isms_db_result_cb *cb;
    void *arg;
    int is_abandoned;
    int is_uncapped;  /* not counted against db_queue_max (the health probe) */
    int lane;         /* ISMS_DB_LANE_*: which queue it waits in */
    int stmt;         /* index in pool->stmts, -1: sent unnamed */
    int is_preparing; /* waiting for the PREPARE of `stmt` */
};

struct isms_db_conn {
    struct isms_db_pool *pool;
    unsigned idx;
    enum isms_db_conn_state state;
    PGconn *pg;
    uv_poll_t *poll; /* heap: freed in its close callback, so a new fd can get a new handle */
    int poll_fd;
    int poll_events;
    uv_timer_t retry_timer;
    unsigned backoff_ms;
    struct isms_db_job *job;
    PGresult *res; /* last result of the running statement */
    unsigned cancels_pending;
    int has_logged_down;
    uint8_t prepared[ISMS_DB_MAX_STMTS]; /* statements prepared in this session */
    int has_stale_plans;
};

struct isms_db_pool {
    uv_loop_t *loop;
    char *conninfo;
    struct isms_db_target *target; /* parsed conninfo; host names resolved off the loop */
    uint32_t size;
    uint32_t queue_max;
    uint32_t queued;
    uint32_t queued_uncapped; /* of `queued`, jobs outside the cap */
    struct isms_db_job *qhead[ISMS_DB_LANES], *qtail[ISMS_DB_LANES];
    unsigned interactive_streak; /* interactive jobs started since the last bulk one */
    struct isms_db_conn *conns;
    int is_closing;
    unsigned pending_closes;              /* timers, polls and cancels not yet released */
    const char *stmts[ISMS_DB_MAX_STMTS]; /* static SQL texts seen, by pointer; index = name */
    unsigned nstmts;
    isms_db_closed_cb *closed_cb;
};

/* Drops one of pool->pending_closes; the last one, once the pool is closing, calls its closed
 * callback and frees the pool. */
void isms_db_pool_release_pending(struct isms_db_pool *pool);

/* Whether any connection is up, or connecting and not yet reported down. */
int isms_db_pool_any_usable(const struct isms_db_pool *pool);

/* Frees a job that no callback will be called for. */
void isms_db_job_free(struct isms_db_job *job);

/* Hands queued jobs to idle connections. */
void isms_db_pool_dispatch(struct isms_db_pool *pool);

#endif
