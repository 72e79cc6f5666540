/* db/pool.h — a fixed pool of non-blocking libpq connections driven by the libuv loop.
 * Statements run on an idle connection or wait in a FIFO queue. A lost connection fails its
 * statement with UNAVAILABLE and reconnects with backoff; nothing here ever blocks the loop. */
#ifndef ISMS_DB_POOL_H
#define ISMS_DB_POOL_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/status.h"

struct isms_db_pool;
struct isms_db_job;
struct isms_rows;

/* Called exactly once per job on the loop thread unless the job was abandoned first. `rows` is
 * the statement's last result (NULL when the connection failed), read through db/rows.h and
 * valid only during the callback; db/ frees it. `st->code` is OK or the mapped error with a
 * client-safe message. */
typedef void isms_db_result_cb(void *arg, const struct isms_rows *rows,
                               const struct isms_status *st);

/* Called once when the pool has closed every connection and handle. */
typedef void isms_db_closed_cb(struct isms_db_pool *pool);

struct isms_db_stats {
    uint32_t size;      /* configured connections */
    uint32_t connected; /* connections up now */
    uint32_t busy;      /* running a statement */
    uint32_t queued;    /* statements waiting */
    int is_usable;      /* a connection is up, or a first attempt is under way */
    uint32_t cancels;   /* PQcancel requests still running on the threadpool */
};

/* Creates a pool of `size` connections to `conninfo` (copied) and starts connecting them.
 * `queue_max` bounds waiting statements. Errors: RESOURCE_EXHAUSTED (memory). */
ISMS_MUSTCHECK enum isms_code isms_db_pool_new(uv_loop_t *loop, const char *conninfo, uint32_t size,
                                               uint32_t queue_max, struct isms_db_pool **out,
                                               struct isms_status *st);

/* Closes every connection; queued statements get UNAVAILABLE; running ones are cancelled and
 * abandoned. `done` runs once everything (including pending cancels) is released, after which
 * the pool memory is freed. */
void isms_db_pool_close(struct isms_db_pool *pool, isms_db_closed_cb *done);

void isms_db_pool_stats(const struct isms_db_pool *pool, struct isms_db_stats *out);

/* Runs one parameterised statement (`sql` must be a static string; `params` are copied; NULL
 * entries are SQL NULL). On success `*out` (if not NULL) names the job so it can be abandoned.
 * Errors (callback never runs): UNAVAILABLE (no connection up and none connecting),
 * RESOURCE_EXHAUSTED (queue full or no memory). */
ISMS_MUSTCHECK enum isms_code isms_db_exec(struct isms_db_pool *pool, const char *sql, int nparams,
                                           const char *const *params, isms_db_result_cb *cb,
                                           void *arg, struct isms_db_job **out,
                                           struct isms_status *st);

/* The queues a job can wait in. Interactive jobs start first; a bulk job (a page of a server
 * stream) starts after ISMS_DB_BULK_EVERY interactive ones when both wait, so a client that
 * keeps streams queued delays a short call by at most one running statement. */
enum isms_db_lane {
    ISMS_DB_LANE_INTERACTIVE = 0,
    ISMS_DB_LANE_BULK = 1,
};
#define ISMS_DB_LANES 2

/* isms_db_exec in the given lane. */
ISMS_MUSTCHECK enum isms_code isms_db_exec_lane(struct isms_db_pool *pool, enum isms_db_lane lane,
                                                const char *sql, int nparams,
                                                const char *const *params, isms_db_result_cb *cb,
                                                void *arg, struct isms_db_job **out,
                                                struct isms_status *st);

/* isms_db_exec without the db_queue_max check, for the health probe's single statement: it
 * must neither be refused for a full queue nor take a caller's place in it. */
ISMS_MUSTCHECK enum isms_code isms_db_exec_uncapped(struct isms_db_pool *pool, const char *sql,
                                                    int nparams, const char *const *params,
                                                    isms_db_result_cb *cb, void *arg,
                                                    struct isms_db_job **out,
                                                    struct isms_status *st);

/* Gives up on a job: its callback will not run. A queued job is dropped; a running statement is
 * cancelled with PQcancel on the threadpool and its late result thrown away before the
 * connection is reused. */
void isms_db_job_abandon(struct isms_db_job *job);

/* Interrupts a job whose outcome the caller must learn (a write past its deadline). A job still
 * queued is dropped: its callback never runs and this returns 0 (the statement never ran). A
 * running one gets a cancel request and returns 1: its callback still runs, with the result if
 * the statement finished first, or DEADLINE_EXCEEDED (SQLSTATE 57014) if it was cancelled. */
int isms_db_job_interrupt(struct isms_db_job *job);

#endif
