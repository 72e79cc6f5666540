/* domain/sched/tick.h — the scheduler: a jittered uv timer (schedule_tick_ms, default 1 s) that
 * runs ONE statement claiming due schedules (FOR UPDATE SKIP LOCKED), creating their reviews
 * (unique per schedule and due time, ON CONFLICT DO NOTHING), advancing them and appending
 * the audit records, all by the database's clock. Any number of instances may tick on one
 * database: each occurrence becomes exactly one review. At most one statement is in flight. */
#ifndef ISMS_DOMAIN_SCHED_TICK_H
#define ISMS_DOMAIN_SCHED_TICK_H

#include <stdint.h>

#include <uv.h>

struct isms_db_pool;
struct isms_db_job;

/* Fields are private; use the functions. */
struct isms_sched_tick {
    uv_timer_t timer;
    struct isms_db_pool *pool; /* borrowed until _stop */
    struct isms_db_job *job;   /* the claim in flight, if any */
    uint64_t interval_ms;
    char source[64]; /* the audit trail's source: "ismsd pid=<pid>" */
    int is_started;
    uint64_t reviews_created; /* by this process */
    uint64_t claims;          /* schedules advanced by this process */
    uint64_t last_warn_ms;    /* failures are logged at most once a minute */
};

/* Starts ticking on `loop` over `pool` (borrowed until _stop) every `interval_ms` +/- 10 %;
 * 0 leaves the scheduler off in this instance. The first tick comes after one interval. */
void isms_sched_tick_start(struct isms_sched_tick *t, uv_loop_t *loop, struct isms_db_pool *pool,
                           uint64_t interval_ms);

/* Stops ticking: a claim in flight is abandoned (it commits or rolls back as a whole in the
 * database) and the timer is closed. Safe when never started. */
void isms_sched_tick_stop(struct isms_sched_tick *t);

#endif
