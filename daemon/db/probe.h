/* db/probe.h — the database's health as last seen, kept by a short periodic probe, so that
 * System/Health answers at once from memory, with no round trip of its own, and still answers
 * (NOT_SERVING, saying why) while PostgreSQL stalls or is gone. */
#ifndef ISMS_DB_PROBE_H
#define ISMS_DB_PROBE_H

#include <stdint.h>

#include <uv.h>

#include "common/status.h"

struct isms_db_pool;

/* Fields are private; use the functions. */
struct isms_db_probe {
    uv_timer_t timer;
    struct isms_db_pool *pool; /* borrowed */
    struct isms_db_job *job;   /* the probe in flight, if any */
    uint64_t interval_ms, stall_ms;
    uint64_t started_ms;  /* when the probe in flight was sent (loop time) */
    uint64_t started_ns;  /* the same, for the round trip */
    uint64_t last_ok_ms;  /* when a probe last succeeded (0: never) */
    uint64_t last_rtt_us; /* its round trip */
    struct isms_status last_error;
    int is_started;
};

/* What Health reports. */
struct isms_db_health {
    int is_ok;         /* the last probe succeeded and none has been waiting over stall_ms */
    char message[256]; /* why not, when !is_ok */
    uint64_t age_ms;   /* since the last successful probe (UINT64_MAX: never) */
    uint64_t rtt_us;   /* round trip of that probe */
};

/* Starts probing `pool` every `interval_ms` (SELECT 1); a probe unanswered after `stall_ms`
 * makes the database count as stalled until one is answered. The first probe goes at once;
 * until it returns, the database counts as healthy (the caller has just migrated it). */
void isms_db_probe_start(struct isms_db_probe *p, uv_loop_t *loop, struct isms_db_pool *pool,
                         uint64_t interval_ms, uint64_t stall_ms);
/* Stops the timer and abandons a probe in flight; the timer handle closes asynchronously (it is
 * embedded: keep `p` until the loop has run once more). */
void isms_db_probe_stop(struct isms_db_probe *p);

void isms_db_probe_health(const struct isms_db_probe *p, uint64_t now_ms,
                          struct isms_db_health *out);

#endif
