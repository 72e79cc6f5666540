/* domain/audit/audit_signer.c — the checkpoint job: HEAD (read the head and the newest
 * checkpoint's seq, with the database's clock), sign on the loop (one Ed25519 signature, some
 * tens of microseconds), ADD (audit_checkpoint_add). A failure is logged and retried at the
 * next tick; nothing waits for it but shutdown, which is bounded by the guard timer. */
#include "domain/audit/audit_signer.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "db/bind.h"
#include "db/pool.h"
#include "db/rows.h"

static const char SQL_CP_HEAD[] = "SELECT a.seq, encode(a.hash, 'hex'),"
                                  " audit_ts(date_trunc('microseconds', clock_timestamp())),"
                                  " coalesce((SELECT max(c.seq) FROM audit_checkpoint c), 0)"
                                  " FROM audit_log a ORDER BY a.seq DESC LIMIT 1";
ISMS_STATEMENT_NO_PARAMS(STMT_CP_HEAD, SQL_CP_HEAD);
static const char SQL_CP_ADD[] = "SELECT audit_checkpoint_add($1::bigint, decode($2, 'hex'),"
                                 " $3::timestamptz, $4, decode($5, 'hex'))::text";
ISMS_STATEMENT(STMT_CP_ADD, SQL_CP_ADD, "seq", "hash", "signed_at", "key_id", "signature");

static void tick(uv_timer_t *t);

static void log_failure(const char *what, const struct isms_status *st)
{
    char q[300];

    isms_log_warn("could not sign the audit chain head", "step=%s error=%s", what,
                  isms_log_quote(q, sizeof(q), st->msg));
}

static void on_closed(uv_handle_t *h)
{
    struct isms_audit_signer *s = h->data;

    if (--s->pending_handles == 0 && s->on_done != NULL)
        s->on_done(s);
}

/* The final checkpoint is over (done, failed or timed out): close both timers. */
static void final_over(struct isms_audit_signer *s)
{
    if (s->job != NULL) {
        isms_db_job_abandon(s->job);
        s->job = NULL;
    }
    uv_timer_stop(&s->guard);
    s->pending_handles = 2;
    uv_close((uv_handle_t *)&s->timer, on_closed);
    uv_close((uv_handle_t *)&s->guard, on_closed);
}

static void run_once(struct isms_audit_signer *s);

/* A checkpoint attempt ended. At shutdown, one that started before the drain ended is
 * followed by a last one, so the final head is signed. */
static void step_done(struct isms_audit_signer *s)
{
    s->job = NULL;
    if (!s->is_final)
        return;
    if (!s->is_final_sent) {
        s->is_final_sent = 1;
        run_once(s);
        return;
    }
    final_over(s);
}

static void on_added(void *arg, const struct isms_rows *rows, const struct isms_status *st)
{
    struct isms_audit_signer *s = arg;

    if (st->code != ISMS_OK) {
        log_failure("add", st);
    } else if (isms_rows_count(rows) == 1 && strcmp(isms_rows_text(rows, 0, 0), "true") == 0) {
        s->signed_seq = s->cp.seq;
        s->checkpoints_added++;
        isms_log_debug("audit chain head signed", "seq=%" PRId64 " key_id=%s", s->cp.seq,
                       s->cp.key_id);
    }
    step_done(s);
}

static void on_head(void *arg, const struct isms_rows *rows, const struct isms_status *st)
{
    struct isms_audit_signer *s = arg;
    char sig_hex[2 * ISMS_AUDIT_SIG_BYTES + 1];
    const char *hash_hex;
    const char *const *values;
    struct isms_status bst;
    struct isms_bind b;
    int64_t newest;

    s->job = NULL;
    if (st->code != ISMS_OK) {
        log_failure("head", st);
        step_done(s);
        return;
    }
    if (isms_rows_count(rows) != 1) { /* an empty trail has nothing to sign */
        step_done(s);
        return;
    }
    memset(&s->cp, 0, sizeof(s->cp));
    s->cp.seq = isms_rows_int64(rows, 0, 0);
    hash_hex = isms_rows_text(rows, 0, 1);
    newest = isms_rows_int64(rows, 0, 3);
    if (newest > s->signed_seq)
        s->signed_seq = newest;
    if (s->cp.seq <= newest || !isms_hex_decode(hash_hex, s->cp.hash, ISMS_AUDIT_HASH_BYTES)) {
        step_done(s);
        return;
    }
    snprintf(s->cp.signed_at, sizeof(s->cp.signed_at), "%s", isms_rows_text(rows, 0, 2));
    isms_audit_key_sign(&s->key, &s->cp);
    isms_hex_encode(s->cp.signature, ISMS_AUDIT_SIG_BYTES, sig_hex);
    isms_bind_init(&b, &STMT_CP_ADD);
    isms_bind_int64(&b, "seq", s->cp.seq);
    isms_bind_text(&b, "hash", hash_hex);
    isms_bind_text(&b, "signed_at", s->cp.signed_at);
    isms_bind_text(&b, "key_id", s->cp.key_id);
    isms_bind_text(&b, "signature", sig_hex);
    if (isms_bind_finish(&b, &values, &bst) != ISMS_OK ||
        isms_db_exec(s->pool, STMT_CP_ADD.text, STMT_CP_ADD.nparams, values, on_added, s, &s->job,
                     &bst) != ISMS_OK) {
        log_failure("add", &bst);
        s->job = NULL;
        step_done(s);
    }
}

/* Sends HEAD unless a checkpoint is already in flight. */
static void run_once(struct isms_audit_signer *s)
{
    struct isms_status st;

    if (s->job != NULL)
        return;
    if (isms_db_exec(s->pool, STMT_CP_HEAD.text, 0, NULL, on_head, s, &s->job, &st) != ISMS_OK) {
        s->job = NULL;
        log_failure("head", &st);
        if (s->is_final)
            final_over(s);
    }
}

static void tick(uv_timer_t *t)
{
    run_once(t->data);
}

static void on_guard(uv_timer_t *t)
{
    struct isms_audit_signer *s = t->data;

    isms_log_warn("the database did not take the shutdown checkpoint in time", "%s", "");
    final_over(s);
}

void isms_audit_signer_start(struct isms_audit_signer *s, uv_loop_t *loop,
                             struct isms_db_pool *pool, uint64_t interval_ms)
{
    s->pool = pool;
    s->interval_ms = interval_ms;
    s->job = NULL;
    s->is_final = 0;
    s->is_final_sent = 0;
    uv_timer_init(loop, &s->timer);
    uv_timer_init(loop, &s->guard);
    s->timer.data = s;
    s->guard.data = s;
    uv_timer_start(&s->timer, tick, interval_ms, interval_ms);
    s->is_started = 1;
}

void isms_audit_signer_finish(struct isms_audit_signer *s, uint64_t grace_ms,
                              isms_audit_signer_done_cb *done)
{
    s->on_done = done;
    s->is_final = 1;
    uv_timer_stop(&s->timer);
    uv_timer_start(&s->guard, on_guard, grace_ms, 0);
    /* A periodic checkpoint in flight finishes first; its completion ends the final one. */
    if (s->job == NULL) {
        s->is_final_sent = 1;
        run_once(s);
    }
}
