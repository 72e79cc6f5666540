/* domain/audit/audit_signer.h — signed checkpoints of the audit chain's head: every
 * audit_checkpoint_s seconds (when the head moved) and once more at shutdown, ismsd reads the
 * head, signs (seq, hash, time) with the audit key and appends it through
 * audit_checkpoint_add() (schema/016). At most one checkpoint is in flight. */
#ifndef ISMS_DOMAIN_AUDIT_AUDIT_SIGNER_H
#define ISMS_DOMAIN_AUDIT_AUDIT_SIGNER_H

#include <stdint.h>

#include <uv.h>

#include "common/audit_chain.h"
#include "domain/audit/audit_key.h"

struct isms_db_pool;
struct isms_db_job;
struct isms_audit_signer;

typedef void isms_audit_signer_done_cb(struct isms_audit_signer *s);

/* Fields are private but `key`; use the functions. */
struct isms_audit_signer {
    struct isms_audit_key key; /* loaded by the owner before _start */
    uv_timer_t timer;          /* periodic */
    uv_timer_t guard;          /* bounds the shutdown checkpoint */
    struct isms_db_pool *pool; /* borrowed */
    struct isms_db_job *job;   /* the statement in flight, if any */
    struct isms_audit_checkpoint cp;
    uint64_t interval_ms;
    int64_t signed_seq; /* the newest checkpoint this process saw */
    int pending_handles;
    int is_started;
    int is_final;
    int is_final_sent; /* the shutdown checkpoint's HEAD has been sent */
    isms_audit_signer_done_cb *on_done;
    uint64_t checkpoints_added; /* by this process */
};

/* Starts the periodic checkpoint on `loop` over `pool` (borrowed until _finish completes).
 * The first checkpoint is attempted after one interval. */
void isms_audit_signer_start(struct isms_audit_signer *s, uv_loop_t *loop,
                             struct isms_db_pool *pool, uint64_t interval_ms);

/* Stops the timer, signs the head once more (bounded by `grace_ms`; a database that does not
 * answer in time is given up on), closes the timers, and then calls `done` on the loop. */
void isms_audit_signer_finish(struct isms_audit_signer *s, uint64_t grace_ms,
                              isms_audit_signer_done_cb *done);

#endif
