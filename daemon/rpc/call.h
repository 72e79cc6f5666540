/* rpc/call.h — one request from decode to response. A call owns an arena for everything it
 * allocates and answers exactly once (respond() in call.c is the only place its state moves
 * forward). Its memory is never freed while code may still hold it: a released call goes on
 * the server's free list and is freed from the loop's check phase, after the callback that
 * answered it has returned, and only once no database job or worker job of its is left. */
#ifndef ISMS_RPC_CALL_H
#define ISMS_RPC_CALL_H

#include <stdint.h>

#include <protobuf-c/protobuf-c.h>
#include <uv.h>

#include "core/arena.h"
#include "common/status.h"
#include "net/conn.h"
#include "rpc/workers.h"

struct isms_server;
struct isms_conn;
struct isms_method;
struct isms_db_job;
struct isms_bind;
struct isms_call;
struct isms_rows;

/* Result of a statement run for a call; same contract as isms_db_result_cb (read `rows`
 * through db/rows.h, only during the callback). Not invoked when the call has already been
 * answered (deadline passed). */
typedef void isms_call_db_cb(struct isms_call *call, const struct isms_rows *rows,
                             const struct isms_status *st);

/* Who made the call, once auth/ has checked the credentials. */
struct isms_principal {
    char user[72];
    unsigned roles;    /* effective: the user's roles, narrowed by an API token's */
    int64_t token_num; /* API token number, 0 for an interactive session */
    char token_name[72];
    int is_authenticated;
};

/* Where a call stands with its idempotency key (rpc/idempotency.c). */
enum isms_idem_state {
    ISMS_IDEM_NONE = 0,      /* no key, or not looked up yet */
    ISMS_IDEM_LOOKUP = 1,    /* the stored response is being looked up */
    ISMS_IDEM_ACTIVE = 2,    /* none stored: the handler runs, its writes carry the key */
    ISMS_IDEM_COMMITTED = 3, /* a write with the key committed: the answer is to be recorded */
    ISMS_IDEM_RECORDING = 4, /* answered; the answer is being recorded, then sent */
};

/* RUNNING -> RESPONDED (answered; waiting for outstanding work) -> RELEASED (on the free
 * list; freed from the loop's check phase). */
enum isms_call_state {
    ISMS_CALL_RUNNING = 0,
    ISMS_CALL_RESPONDED = 1,
    ISMS_CALL_RELEASED = 2,
};

struct isms_call {
    struct isms_call *prev, *next; /* srv->calls */
    struct isms_server *srv;
    struct isms_conn *conn; /* holds one frame reference until release */
    uint64_t id;            /* client's call_id */
    const struct isms_method *method;
    const ProtobufCMessage *envelope; /* the decoded isms.v1.Request, in the arena */
    struct isms_arena arena;
    uv_timer_t deadline;
    int has_deadline;
    uint32_t timeout_ms;
    enum isms_call_state state;
    struct isms_db_job *job; /* the statement in progress, if any */
    int is_job_write;        /* that statement changes data (it stores an idempotency key) */
    int is_past_deadline;    /* a write outlived the deadline: its outcome decides the answer */
    isms_call_db_cb *db_cb;
    uint64_t start_ns;
    void *ctx;                     /* handler state, in the arena */
    unsigned pending_async;        /* worker jobs in flight (isms_call_work) */
    struct isms_work *work;        /* the queued or running worker job, if any */
    struct isms_conn_waiter drain; /* a paused stream waiting for output to drain, or a
                                      statement waiting for its connection's turn */
    int has_turn;                  /* holds one of its connection's turns (net/conn.h) */
    struct call_held_stmt *held;   /* a statement waiting for a turn, in the arena */
    void (*pace_cb)(struct isms_call *call);
    struct isms_call *free_next; /* srv->justfree once released */
    struct isms_principal principal;
    /* idempotency-key (rpc/idempotency.c) */
    const char *idem_key;             /* the request's key, in the arena; NULL: none */
    uint8_t idem_hash[32];            /* SHA-256 of the request body */
    const char *idem_param;           /* bound as ISMS_SQL_IDEM_PARAM by writes; NULL: none */
    enum isms_idem_state idem_state;  /* see above */
    int is_idem_retaken;              /* a write found the key taken and looked it up again */
    const ProtobufCMessage *idem_msg; /* the request, while its key is looked up */
    struct isms_db_job *idem_job;     /* recording the answer */
    void *idem_record;                /* the answer being recorded (idempotency.c) */
};

/* Turns one frame into a call and dispatches it (or answers it at once when it cannot be
 * decoded, names an unknown method, or the server is draining). */
void isms_call_from_frame(struct isms_server *srv, struct isms_conn *conn, uint8_t flags,
                          const uint8_t *body, size_t len);

/* Answers the call: `code` OK with `resp` (may be NULL for an empty body), or an error with a
 * printf-style message. Frees the call unless a database job is still outstanding. A second
 * finish of the same call is ignored. */
void isms_call_finish(struct isms_call *call, const ProtobufCMessage *resp);
void isms_call_fail(struct isms_call *call, enum isms_code code, const char *fmt, ...)
    ISMS_PRINTF(3, 4);
/* Answers with a response recorded earlier (an idempotent repeat): `code`, `msg` and the
 * packed body `body` (in the call's arena, may be NULL). */
void isms_call_answer_stored(struct isms_call *call, enum isms_code code, const char *msg,
                             const uint8_t *body, size_t body_len);

/* Runs the method's handler for a call that may proceed (authorised, or a public method).
 * With an idempotency key (rpc/idempotency.c) it first looks the key up: a repeat is answered
 * with the stored response and the handler never runs. */
void isms_call_dispatch(struct isms_call *call, const ProtobufCMessage *msg);

/* Answers with a status already filled in (INTERNAL messages are logged and hidden). */
void isms_call_fail_status(struct isms_call *call, const struct isms_status *st);

/* Sends one message of a server stream (`more = true`); the stream ends with
 * isms_call_finish() or isms_call_fail(). Errors: RESOURCE_EXHAUSTED (the message does not
 * fit the call's memory), UNAVAILABLE (the connection is gone; finish the call). */
ISMS_MUSTCHECK enum isms_code
isms_call_send_more(struct isms_call *call, const ProtobufCMessage *msg, struct isms_status *st);

/* What a row filler decided for one row of a page. */
enum isms_row_fill {
    ISMS_ROW_SEND, /* send `msg` as the next stream message */
    ISMS_ROW_SKIP, /* send nothing for this row; go on */
    ISMS_ROW_STOP, /* send nothing for this row and stop the page here */
    ISMS_ROW_FAIL, /* answer the call with `st`; with `st` untouched, the row did not fit */
};

/* Fills `msg` (a message of the stream's item type, owned by the caller) from row `r` of
 * `res`, allocating in `scratch`; `ctx` is what isms_call_send_rows was given (the page
 * loop's state: cursor, remaining limit, page token, verifier). */
typedef enum isms_row_fill isms_row_fill_fn(void *ctx, struct isms_arena *scratch,
                                            const struct isms_rows *res, int r,
                                            ProtobufCMessage *msg, struct isms_status *st);

/* The one page loop of every server stream: runs `fill` on each row of `res` in order and
 * sends the messages it fills, each built in a fresh scratch arena of at most `row_bytes`, so
 * a page never grows the call's memory. Returns 1 when the page is done (every row, or up to
 * ISMS_ROW_STOP); otherwise the call has been answered (the filler's error,
 * RESOURCE_EXHAUSTED, or the connection is gone) and the caller must stop. Afterwards `msg`
 * still holds the last row's scalar fields. */
int isms_call_send_rows(struct isms_call *call, const struct isms_rows *res, size_t row_bytes,
                        isms_row_fill_fn *fill, void *ctx, ProtobufCMessage *msg);

/* Bytes queued on the call's connection and not yet written (streams pace themselves). */
size_t isms_call_pending_output(const struct isms_call *call);

/* Runs `cb` once the connection's pending output is at most `below` bytes (now, if it already
 * is; otherwise from the connection's write callback), so a long stream never outruns its
 * reader. Not run if the call is answered first; a connection that closes meanwhile answers
 * the call UNAVAILABLE. */
typedef void isms_call_resume_cb(struct isms_call *call);
void isms_call_after_drain(struct isms_call *call, size_t below, isms_call_resume_cb *cb);

/* The loop-side end of a worker job run for a call: only invoked while the call still waits
 * for its answer. */
typedef void isms_call_work_cb(struct isms_call *call, void *data);

/* Runs `run(data)` on the server's worker threads (CPU-heavy work such as password hashing).
 * Afterwards, on the loop: `done(call, data)` if the call is still unanswered, then in every
 * case `free_data(data)` (may be NULL), which owns `data`. The call stays allocated meanwhile;
 * answering it first (deadline, shutdown) cancels the job if it has not started. Errors (no
 * callback runs, `data` stays the caller's): RESOURCE_EXHAUSTED (queue full), UNAVAILABLE. */
ISMS_MUSTCHECK enum isms_code isms_call_work(struct isms_call *call, isms_work_run_fn *run,
                                             isms_call_work_cb *done, void (*free_data)(void *data),
                                             void *data, struct isms_status *st);

/* Runs one statement for the call with the values bound in `b` (copied); `cb` gets the
 * result. The statement runs in one of the connection's turns (net/conn.h): when none is free
 * (output not drained, memory budget) it waits, copied into the arena, and runs later (or, if
 * the connection closes first, never: the call is answered UNAVAILABLE). On
 * error the call is NOT answered: the caller decides (normally
 * isms_call_fail_status). Errors: INTERNAL (a binding mistake, see db/bind.h), and those of
 * isms_db_exec. */
ISMS_MUSTCHECK enum isms_code isms_call_db(struct isms_call *call, const struct isms_bind *b,
                                           isms_call_db_cb *cb, struct isms_status *st);

/* Runs a statement and answers the call with its error if it could not even be queued. */
void isms_call_db_or_fail(struct isms_call *call, const struct isms_bind *b, isms_call_db_cb *cb);

#endif
