/* rpc/workers.h — a small pool of worker threads for CPU-heavy jobs (argon2id), apart from
 * libuv's threadpool, which stays free for PQcancel and name resolution. Jobs are queued FIFO
 * up to a bound; a queued job can be cancelled; every job's `done` runs exactly once, on the
 * loop thread. */
#ifndef ISMS_RPC_WORKERS_H
#define ISMS_RPC_WORKERS_H

#include <stddef.h>

#include <uv.h>

#include "common/status.h"

struct isms_workers;
struct isms_work;

/* Runs on a worker thread; touches only `data`. */
typedef void isms_work_run_fn(void *data);
/* Runs on the loop thread once the job ran (`is_cancelled` 0) or was cancelled before it
 * started (`is_cancelled` 1). Owns `data` from then on. */
typedef void isms_work_done_fn(void *data, int is_cancelled);

/* Starts `threads` workers (at least 1) that take at most `queue_max` waiting jobs.
 * Errors: RESOURCE_EXHAUSTED, INTERNAL (threads could not be started). */
ISMS_MUSTCHECK enum isms_code isms_workers_new(uv_loop_t *loop, unsigned threads, size_t queue_max,
                                               struct isms_workers **out, struct isms_status *st);

/* Queues a job. `*handle` (may be NULL) identifies it for isms_workers_cancel until `done`
 * runs. Errors (done never runs): RESOURCE_EXHAUSTED (queue full or no memory), UNAVAILABLE
 * (the pool is stopping). */
ISMS_MUSTCHECK enum isms_code isms_workers_submit(struct isms_workers *w, isms_work_run_fn *run,
                                                  isms_work_done_fn *done, void *data,
                                                  struct isms_work **handle,
                                                  struct isms_status *st);

/* Cancels a job that has not started: its `done` runs (cancelled) from the loop soon after.
 * A job already running is left to finish. */
void isms_workers_cancel(struct isms_workers *w, struct isms_work *job);

/* Jobs waiting and running now (for status and tests). */
size_t isms_workers_pending(const struct isms_workers *w);

/* Cancels every queued job, waits for running ones (a bounded wait: one job per thread),
 * joins the threads, runs the remaining `done` callbacks, and closes the pool's handle;
 * the pool is freed from that handle's close callback. */
void isms_workers_close(struct isms_workers *w);

#endif
