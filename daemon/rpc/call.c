/* rpc/call.c — decode the envelope, dispatch, deadlines, encode and send the response.
 * Exactly one final response per call: every answer goes through respond(), which moves the
 * call out of RUNNING once. */
#include "rpc/call.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "db/bind.h"
#include "db/pool.h"
#include "db/rows.h"
#include "isms/v1/envelope.pb-c.h"
#include "net/conn.h"
#include "rpc/idempotency.h"
#include "rpc/registry.h"
#include "rpc/server.h"
#include "rpc/wirecheck.h"

/* Packs `r` into a new heap frame and queues it on `conn`. Returns -1 when out of memory. */
static int send_frame(struct isms_conn *conn, const Isms__V1__Response *r)
{
    size_t n = isms__v1__response__get_packed_size(r);
    uint8_t *buf = malloc(ISMS_FRAME_HEADER_BYTES + n);

    if (buf == NULL)
        return -1;
    isms_frame_header(buf, 0, (uint32_t)n);
    isms__v1__response__pack(r, buf + ISMS_FRAME_HEADER_BYTES);
    isms_conn_send(conn, buf, ISMS_FRAME_HEADER_BYTES + n);
    return 0;
}

/* Queues the final Response of a call on `conn` (nothing if the connection is going). */
static void send_response(struct isms_conn *conn, uint64_t call_id, enum isms_code code,
                          const char *msg, const uint8_t *body, size_t body_len)
{
    Isms__V1__Response r = ISMS__V1__RESPONSE__INIT;
    char clean[4 * ISMS_STATUS_MSG_MAX];

    if (conn == NULL || isms_conn_is_closing(conn))
        return;
    r.call_id = call_id;
    r.code = (int32_t)code;
    /* proto3 strings are UTF-8: other clients' decoders reject the whole response otherwise. */
    r.message = (char *)isms_utf8_sanitize(msg != NULL ? msg : "", clean, sizeof(clean));
    r.body.data = (uint8_t *)body;
    r.body.len = body_len;
    if (send_frame(conn, &r) != 0)
        isms_conn_close(conn, 0);
}

static void log_call(struct isms_call *call, enum isms_code code)
{
    char q[300];
    double ms = (double)(uv_hrtime() - call->start_ns) / 1e6;

    if (!isms_log_enabled(ISMS_LOG_INFO))
        return;
    isms_log_info("call finished",
                  "conn=%" PRIu64 " call=%" PRIu64 " method=%s code=%s dur_ms=%.2f",
                  isms_conn_id(call->conn), call->id,
                  isms_log_quote(q, sizeof(q), call->method != NULL ? call->method->name : "?"),
                  isms_code_name(code), ms);
}

/* Frees everything on the free list: no handler is on the stack in the check phase. */
static void on_reap(uv_check_t *h)
{
    struct isms_server *srv = h->data;
    struct isms_call *list = srv->justfree;

    srv->justfree = NULL;
    uv_check_stop(h);
    while (list != NULL) {
        struct isms_call *call = list;

        list = call->free_next;
        isms_arena_cleanup(&call->arena);
        free(call);
    }
    isms_net_budget_changed(&srv->net); /* arenas freed: paused connections may go on */
}

static void defer_free(struct isms_call *call)
{
    struct isms_server *srv = call->srv;

    call->free_next = srv->justfree;
    srv->justfree = call;
    if (srv->has_reaper)
        uv_check_start(&srv->reaper, on_reap);
}

static void on_deadline_closed(uv_handle_t *h)
{
    defer_free(h->data);
}

/* Ends the call's life in the server: unlinked, its frame done, its timers stopped; the
 * memory goes on the free list. Runs once, when the call has answered and no job of its is
 * outstanding. */
static void release(struct isms_call *call)
{
    struct isms_server *srv = call->srv;

    call->state = ISMS_CALL_RELEASED;
    if (call->prev != NULL)
        call->prev->next = call->next;
    else
        srv->calls = call->next;
    if (call->next != NULL)
        call->next->prev = call->prev;
    srv->calls_in_flight--;
    isms_conn_unwait(call->conn, &call->drain);
    isms_conn_frame_done(call->conn);
    if (call->has_deadline) {
        uv_timer_stop(&call->deadline);
        uv_close((uv_handle_t *)&call->deadline, on_deadline_closed);
    } else {
        defer_free(call);
    }
    if (srv->is_draining && srv->calls_in_flight == 0 && srv->on_drained != NULL) {
        void (*done)(struct isms_server *) = srv->on_drained;

        srv->on_drained = NULL;
        done(srv);
    }
}

/* The answer of a keyed write has been recorded (or given up on): send it now. */
static void answer_recorded(struct isms_call *call, enum isms_code code, const char *msg,
                            const uint8_t *body, size_t body_len)
{
    send_response(call->conn, call->id, code, msg, body, body_len);
    log_call(call, code);
    if (--call->pending_async == 0 && call->state == ISMS_CALL_RESPONDED)
        release(call);
}

/* Gives the call's turn back (its statement is done or abandoned); may start other calls'. */
static void end_turn(struct isms_call *call)
{
    if (call->has_turn) {
        call->has_turn = 0;
        isms_conn_turn_end(call->conn);
    }
}

/* The single place a call is answered. */
static void respond(struct isms_call *call, enum isms_code code, const char *msg,
                    const uint8_t *body, size_t body_len)
{
    if (call->state != ISMS_CALL_RUNNING)
        return;
    call->state = ISMS_CALL_RESPONDED;
    if (call->has_deadline)
        uv_timer_stop(&call->deadline);
    /* A keyed write's answer is stored before it is sent, so a repeat finds it. */
    if (call->idem_state != ISMS_IDEM_COMMITTED ||
        !isms_idem_record(call, code, msg, body, body_len, answer_recorded)) {
        send_response(call->conn, call->id, code, msg, body, body_len);
        log_call(call, code);
    }
    if (call->job != NULL) {
        /* Answered before its statement finished (deadline, shutdown): cancel it. */
        isms_db_job_abandon(call->job);
        call->job = NULL;
    }
    if (call->work != NULL)
        isms_workers_cancel(call->srv->workers, call->work); /* if not started yet */
    end_turn(call);
    if (call->pending_async == 0)
        release(call);
}

struct call_work {
    struct isms_call *call;
    isms_work_run_fn *run;
    isms_call_work_cb *done;
    void (*free_data)(void *data);
    void *data;
};

static void work_run(void *arg)
{
    struct call_work *cw = arg;

    cw->run(cw->data);
}

static void work_done(void *arg, int is_cancelled)
{
    struct call_work *cw = arg;
    struct isms_call *call = cw->call;

    call->work = NULL;
    if (!is_cancelled && call->state == ISMS_CALL_RUNNING)
        cw->done(call, cw->data);
    if (cw->free_data != NULL)
        cw->free_data(cw->data);
    free(cw);
    if (--call->pending_async == 0 && call->state == ISMS_CALL_RESPONDED)
        release(call);
}

enum isms_code isms_call_work(struct isms_call *call, isms_work_run_fn *run,
                              isms_call_work_cb *done, void (*free_data)(void *data), void *data,
                              struct isms_status *st)
{
    struct call_work *cw;

    if (call->srv->workers == NULL)
        return isms_status_set(st, ISMS_UNAVAILABLE, "server is shutting down");
    if (call->work != NULL)
        return isms_status_set(st, ISMS_INTERNAL, "a worker job is already running for the call");
    cw = malloc(sizeof(*cw));
    if (cw == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    cw->call = call;
    cw->run = run;
    cw->done = done;
    cw->free_data = free_data;
    cw->data = data;
    if (isms_workers_submit(call->srv->workers, work_run, work_done, cw, &call->work, st) !=
        ISMS_OK) {
        free(cw);
        return st->code;
    }
    call->pending_async++;
    return ISMS_OK;
}

enum isms_code isms_call_send_more(struct isms_call *call, const ProtobufCMessage *msg,
                                   struct isms_status *st)
{
    Isms__V1__Response r = ISMS__V1__RESPONSE__INIT;
    size_t n = protobuf_c_message_get_packed_size(msg);
    int rc;

    if (call->conn == NULL || isms_conn_is_closing(call->conn))
        return isms_status_set(st, ISMS_UNAVAILABLE, "connection closed");
    r.call_id = call->id;
    r.more = 1;
    r.body.len = n;
    /* Heap, not the arena: a long stream must not grow the call's memory. */
    r.body.data = malloc(n ? n : 1);
    if (r.body.data == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    protobuf_c_message_pack(msg, r.body.data);
    rc = send_frame(call->conn, &r);
    free(r.body.data);
    if (rc != 0)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    return ISMS_OK;
}

static void on_output_drained(struct isms_conn_waiter *w)
{
    struct isms_call *call = (struct isms_call *)((char *)w - offsetof(struct isms_call, drain));

    if (call->state != ISMS_CALL_RUNNING)
        return;
    if (isms_conn_is_closing(call->conn)) {
        isms_call_fail(call, ISMS_UNAVAILABLE, "connection closed");
        return;
    }
    call->pace_cb(call);
}

void isms_call_after_drain(struct isms_call *call, size_t below, isms_call_resume_cb *cb)
{
    /* Every stream of a connection together stays within stream_output_bytes. */
    if (below > call->srv->net.limits.stream_output_bytes)
        below = call->srv->net.limits.stream_output_bytes;
    end_turn(call); /* the next page queues behind the connection's other calls */
    if (isms_conn_is_closing(call->conn)) {
        isms_call_fail(call, ISMS_UNAVAILABLE, "connection closed");
        return;
    }
    if (isms_conn_pending_output(call->conn) <= below) {
        cb(call);
        return;
    }
    call->pace_cb = cb;
    isms_conn_wait_drain(call->conn, &call->drain, below, on_output_drained);
}

int isms_call_send_rows(struct isms_call *call, const struct isms_rows *res, size_t row_bytes,
                        isms_row_fill_fn *fill, void *ctx, ProtobufCMessage *msg)
{
    int n = isms_rows_count(res);

    for (int r = 0; r < n; r++) {
        struct isms_arena scratch;
        struct isms_status err;
        enum isms_row_fill what;
        enum isms_code code = ISMS_OK;

        isms_arena_init(&scratch, row_bytes);
        err.code = ISMS_OK;
        what = fill(ctx, &scratch, res, r, msg, &err);
        if (what == ISMS_ROW_FAIL)
            code = err.code != ISMS_OK ? err.code
                                       : isms_status_set(&err, ISMS_RESOURCE_EXHAUSTED,
                                                         "a row exceeds the call's memory limit");
        else if (what == ISMS_ROW_SEND)
            code = isms_call_send_more(call, msg, &err);
        isms_arena_cleanup(&scratch);
        if (code != ISMS_OK) {
            isms_call_fail_status(call, &err);
            return 0;
        }
        if (what == ISMS_ROW_STOP)
            break;
    }
    return 1;
}

size_t isms_call_pending_output(const struct isms_call *call)
{
    return isms_conn_pending_output(call->conn);
}

void isms_call_finish(struct isms_call *call, const ProtobufCMessage *resp)
{
    uint8_t *body = NULL;
    size_t n = 0;

    if (call->state != ISMS_CALL_RUNNING)
        return;
    if (resp != NULL) {
        n = protobuf_c_message_get_packed_size(resp);
        body = isms_arena_alloc(&call->arena, n ? n : 1);
        if (body == NULL) {
            isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED,
                           "response of %zu bytes exceeds the call's memory limit", n);
            return;
        }
        protobuf_c_message_pack(resp, body);
    }
    respond(call, ISMS_OK, "", body, n);
}

void isms_call_answer_stored(struct isms_call *call, enum isms_code code, const char *msg,
                             const uint8_t *body, size_t body_len)
{
    respond(call, code, msg, body, body_len);
}

void isms_call_fail_status(struct isms_call *call, const struct isms_status *st)
{
    if (call->state != ISMS_CALL_RUNNING)
        return;
    if (st->code == ISMS_INTERNAL) {
        char q[300];
        char msg[128];

        isms_log_error("internal error", "conn=%" PRIu64 " call=%" PRIu64 " error=%s",
                       isms_conn_id(call->conn), call->id, isms_log_quote(q, sizeof(q), st->msg));
        snprintf(msg, sizeof(msg), "internal error (call %" PRIu64 ":%" PRIu64 "; see server log)",
                 isms_conn_id(call->conn), call->id);
        respond(call, ISMS_INTERNAL, msg, NULL, 0);
        return;
    }
    respond(call, st->code, st->msg, NULL, 0);
}

void isms_call_fail(struct isms_call *call, enum isms_code code, const char *fmt, ...)
{
    struct isms_status st;
    va_list ap;

    va_start(ap, fmt);
    isms_status_vset(&st, code, fmt, ap);
    va_end(ap);
    isms_call_fail_status(call, &st);
}

/* How long a write past its deadline may take to report whether the cancel beat it. */
#define WRITE_OUTCOME_GRACE_MS 5000

static void on_deadline(uv_timer_t *t)
{
    struct isms_call *call = t->data;

    if (call->state != ISMS_CALL_RUNNING)
        return;
    if (call->is_past_deadline) {
        isms_call_fail(call, ISMS_DEADLINE_EXCEEDED,
                       "deadline of %u ms exceeded; the change was still running and its outcome "
                       "is unknown",
                       call->timeout_ms);
        return;
    }
    if (call->job != NULL && call->is_job_write) {
        /* Never answer "failed" for a change that may commit: learn what the cancel did. */
        if (isms_db_job_interrupt(call->job)) {
            call->is_past_deadline = 1;
            uv_timer_start(&call->deadline, on_deadline, WRITE_OUTCOME_GRACE_MS, 0);
            return;
        }
        call->job = NULL; /* dropped before it was sent */
    }
    isms_call_fail(call, ISMS_DEADLINE_EXCEEDED, "deadline of %u ms exceeded", call->timeout_ms);
}

static void on_db_result(void *arg, const struct isms_rows *rows, const struct isms_status *st)
{
    struct isms_call *call = arg;
    isms_call_db_cb *cb = call->db_cb;

    call->job = NULL;
    call->db_cb = NULL;
    if (call->state != ISMS_CALL_RUNNING) {
        end_turn(call);
        return;
    }
    if (call->is_past_deadline && st->code == ISMS_DEADLINE_EXCEEDED) {
        isms_call_fail(call, ISMS_DEADLINE_EXCEEDED,
                       "deadline of %u ms exceeded; the change was cancelled and not made",
                       call->timeout_ms);
        return;
    }
    /* Otherwise the statement's own outcome stands, late or not: it committed, or failed. */
    if (call->is_past_deadline)
        uv_timer_stop(&call->deadline);
    if (call->is_job_write && call->idem_state == ISMS_IDEM_ACTIVE &&
        isms_idem_after_write(call, st))
        return;
    cb(call, rows, st);
    /* The page or answer is queued now; a statement the callback chained keeps the turn. */
    if (call->job == NULL)
        end_turn(call);
}

/* A statement waiting for its connection's turn: its values copied into the arena. */
struct call_held_stmt {
    const struct isms_sql *sql;
    const char **values;
};

static enum isms_code submit(struct isms_call *call, const struct isms_sql *sql,
                             const char *const *values, struct isms_status *st)
{
    if (call->srv->pool == NULL)
        return isms_status_set(st, ISMS_UNAVAILABLE, "server is shutting down");
    return isms_db_exec_lane(call->srv->pool,
                             (call->method->flags & ISMS_METHOD_STREAM) ? ISMS_DB_LANE_BULK
                                                                        : ISMS_DB_LANE_INTERACTIVE,
                             sql->text, sql->nparams, values, on_db_result, call, &call->job, st);
}

static void on_turn(struct isms_conn_waiter *w)
{
    struct isms_call *call = (struct isms_call *)((char *)w - offsetof(struct isms_call, drain));
    struct call_held_stmt *h = call->held;
    struct isms_status st;

    call->held = NULL;
    call->has_turn = w->is_granted;
    if (call->state != ISMS_CALL_RUNNING) {
        end_turn(call);
        return;
    }
    if (!call->has_turn) {
        /* The connection closed first: nothing was started, nobody is left to answer. */
        isms_call_fail(call, ISMS_UNAVAILABLE, "connection closed");
        return;
    }
    if (submit(call, h->sql, h->values, &st) != ISMS_OK) {
        end_turn(call);
        isms_call_fail_status(call, &st);
    }
}

enum isms_code isms_call_db(struct isms_call *call, const struct isms_bind *b, isms_call_db_cb *cb,
                            struct isms_status *st)
{
    const char *const *values;
    struct isms_bind keyed;
    struct call_held_stmt *h;

    /* Every change stores its idempotency key in its own statement (db/bind.h): that is what
     * marks a write, whichever audit function it calls. Writes carry the call's key (NULL
     * without one); handlers never bind it. */
    call->is_job_write = isms_sql_has_param(b->sql, ISMS_SQL_IDEM_PARAM);
    if (call->is_job_write) {
        keyed = *b;
        if (call->idem_param != NULL && call->idem_state == ISMS_IDEM_ACTIVE)
            isms_bind_text(&keyed, ISMS_SQL_IDEM_PARAM, call->idem_param);
        else
            isms_bind_null(&keyed, ISMS_SQL_IDEM_PARAM);
        b = &keyed;
    }
    if (isms_bind_finish(b, &values, st) != ISMS_OK)
        return st->code;
    if (call->srv->pool == NULL)
        return isms_status_set(st, ISMS_UNAVAILABLE, "server is shutting down");
    call->db_cb = cb;
    if (!call->has_turn && isms_conn_turn_take(call->conn, &call->drain, on_turn))
        call->has_turn = 1;
    if (call->has_turn) {
        if (submit(call, b->sql, values, st) != ISMS_OK) {
            end_turn(call);
            return st->code;
        }
        return ISMS_OK;
    }
    /* Waiting for a turn: the values are the handler's until we return, so copy them. */
    h = isms_arena_alloc(&call->arena, sizeof(*h));
    if (h != NULL) {
        h->sql = b->sql;
        h->values = isms_arena_calloc(&call->arena, sizeof(char *) * (size_t)(b->sql->nparams + 1));
    }
    for (int i = 0; h != NULL && h->values != NULL && i < b->sql->nparams; i++)
        if (values[i] != NULL &&
            (h->values[i] = isms_arena_strdup(&call->arena, values[i])) == NULL)
            h = NULL;
    if (h == NULL || h->values == NULL) {
        isms_conn_unwait(call->conn, &call->drain);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED,
                               "statement does not fit the call's memory limit");
    }
    call->held = h;
    return ISMS_OK;
}

void isms_call_db_or_fail(struct isms_call *call, const struct isms_bind *b, isms_call_db_cb *cb)
{
    struct isms_status st;

    if (isms_call_db(call, b, cb, &st) != ISMS_OK)
        isms_call_fail_status(call, &st);
}

void isms_call_from_frame(struct isms_server *srv, struct isms_conn *conn, uint8_t flags,
                          const uint8_t *body, size_t len)
{
    struct isms_call *call;
    Isms__V1__Request *req;
    const struct isms_method *m;
    ProtobufCMessage *msg;

    if (flags & ISMS_FRAME_FLAG_COMPRESSED) {
        send_response(conn, 0, ISMS_UNIMPLEMENTED, "compressed frames are not supported", NULL, 0);
        isms_conn_frame_done(conn);
        return;
    }
    call = calloc(1, sizeof(*call));
    if (call == NULL) {
        send_response(conn, 0, ISMS_RESOURCE_EXHAUSTED, "out of memory", NULL, 0);
        isms_conn_frame_done(conn);
        return;
    }
    call->srv = srv;
    call->conn = conn;
    call->start_ns = uv_hrtime();
    isms_arena_init(&call->arena, srv->cfg->call_arena_bytes);
    isms_arena_set_meter(&call->arena, &srv->net.calls_bytes);
    call->next = srv->calls;
    if (srv->calls != NULL)
        srv->calls->prev = call;
    srv->calls = call;
    srv->calls_in_flight++;
    srv->calls_total++;

    req = isms__v1__request__unpack(isms_arena_pb(&call->arena), len, body);
    if (req == NULL) {
        if (call->arena.is_exhausted)
            isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED,
                           "request does not fit the call's memory limit");
        else
            isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                           "request envelope is not a valid isms.v1.Request message");
        return;
    }
    call->id = req->call_id;
    call->envelope = &req->base;
    {
        struct isms_status bad;

        if (isms_wire_check_strings(&isms__v1__request__descriptor, body, len, 1, &bad) !=
            ISMS_OK) {
            isms_call_fail_status(call, &bad);
            return;
        }
    }
    m = isms_registry_find(&srv->reg, req->method != NULL ? req->method : "");
    if (m == NULL) {
        char q[160];

        isms_log_quote(q, sizeof(q), req->method);
        isms_call_fail(call, ISMS_UNIMPLEMENTED, "unknown method %s", q);
        return;
    }
    call->method = m;
    if (m->flags & ISMS_METHOD_SECRET)
        isms_arena_set_sensitive(&call->arena);
    if (srv->is_draining) {
        isms_call_fail(call, ISMS_UNAVAILABLE, "server is shutting down");
        return;
    }
    msg = protobuf_c_message_unpack(m->input, isms_arena_pb(&call->arena), req->body.len,
                                    req->body.data);
    if (msg == NULL) {
        if (call->arena.is_exhausted)
            isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED,
                           "request body does not fit the call's memory limit");
        else
            isms_call_fail(call, ISMS_INVALID_ARGUMENT, "request body is not a valid %s message",
                           m->input->name);
        return;
    }
    {
        struct isms_status bad;

        if (isms_wire_check_strings(m->input, req->body.data, req->body.len, 0, &bad) != ISMS_OK) {
            isms_call_fail_status(call, &bad);
            return;
        }
    }
    if (req->timeout_ms > 0) {
        uv_timer_init(srv->loop, &call->deadline);
        call->deadline.data = call;
        call->has_deadline = 1;
        call->timeout_ms = req->timeout_ms;
        uv_timer_start(&call->deadline, on_deadline, req->timeout_ms, 0);
    }
    {
        struct isms_status bad;

        if (isms_idem_take(call, req->body.data, req->body.len, &bad) != ISMS_OK) {
            isms_call_fail_status(call, &bad);
            return;
        }
    }
    if (!(m->flags & ISMS_METHOD_PUBLIC) && srv->authorize != NULL)
        srv->authorize(call, msg);
    else
        isms_call_dispatch(call, msg);
}

void isms_server_cancel_calls(struct isms_server *srv, enum isms_code code, const char *msg)
{
    struct isms_call *call = srv->calls, *next;

    /* A released call stays readable until the check phase, so `next` is safe to follow even
     * when answering one call releases others. */
    for (; call != NULL; call = next) {
        next = call->next;
        if (call->state == ISMS_CALL_RUNNING && call->job != NULL && call->is_job_write)
            isms_call_fail(call, code, "%s; the change was running and its outcome is unknown",
                           msg);
        else if (call->state == ISMS_CALL_RUNNING)
            isms_call_fail(call, code, "%s", msg);
        else if (call->idem_job != NULL)
            isms_idem_abandon(call); /* send the answer unrecorded */
        else if (call->work != NULL)
            isms_workers_cancel(srv->workers, call->work);
    }
}

void isms_server_calls_start(struct isms_server *srv)
{
    uv_check_init(srv->loop, &srv->reaper);
    srv->reaper.data = srv;
    uv_unref((uv_handle_t *)&srv->reaper);
    srv->has_reaper = 1;
}

void isms_server_calls_stop(struct isms_server *srv)
{
    if (!srv->has_reaper)
        return;
    on_reap(&srv->reaper);
    srv->has_reaper = 0;
    uv_close((uv_handle_t *)&srv->reaper, NULL);
}

static void on_frame(struct isms_conn *conn, const struct isms_frame *f)
{
    struct isms_server *srv = isms_conn_net(conn)->ud;

    isms_call_from_frame(srv, conn, f->flags, f->body, f->body_len);
}

static void on_net_error(struct isms_conn *conn, const struct isms_status *st)
{
    send_response(conn, 0, st->code, st->msg, NULL, 0);
}

void isms_server_attach_net(struct isms_server *srv)
{
    srv->net.on_frame = on_frame;
    srv->net.on_error = on_net_error;
    srv->net.ud = srv;
}
