/* rpc/call.c — decode the envelope, dispatch, deadlines, encode and send the response.
 * Exactly one final response per call: every answer goes through respond(), which moves the
 * call out of RUNNING once. */
#include "rpc/call.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "db/pool.h"
#include "isms/v1/envelope.pb-c.h"
#include "net/conn.h"
#include "rpc/registry.h"
#include "rpc/server.h"

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

    if (conn == NULL || isms_conn_is_closing(conn))
        return;
    r.call_id = call_id;
    r.code = (int32_t)code;
    r.message = (char *)(msg != NULL ? msg : "");
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

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_pace_closed(uv_handle_t *h)
{
    free(h);
}

/* Frees the call: its frame is done, its arena gone. Never called twice. */
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
    isms_conn_frame_done(call->conn);
    isms_arena_cleanup(&call->arena);
    if (call->pace != NULL) {
        uv_timer_stop(call->pace);
        uv_close((uv_handle_t *)call->pace, on_pace_closed);
        call->pace = NULL;
    }
    if (call->has_deadline) {
        uv_timer_stop(&call->deadline);
        uv_close((uv_handle_t *)&call->deadline, on_timer_closed);
    } else {
        free(call);
    }
    if (srv->is_draining && srv->calls_in_flight == 0 && srv->on_drained != NULL) {
        void (*done)(struct isms_server *) = srv->on_drained;

        srv->on_drained = NULL;
        done(srv);
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
    send_response(call->conn, call->id, code, msg, body, body_len);
    log_call(call, code);
    if (call->job != NULL) {
        /* Answered before its statement finished (deadline, shutdown): cancel it. */
        isms_db_job_abandon(call->job);
        call->job = NULL;
    }
    if (call->pending_async == 0)
        release(call);
}

void isms_call_hold(struct isms_call *call)
{
    call->pending_async++;
}

int isms_call_unhold(struct isms_call *call)
{
    call->pending_async--;
    if (call->state == ISMS_CALL_RUNNING)
        return 1;
    if (call->pending_async == 0 && call->state == ISMS_CALL_RESPONDED)
        release(call);
    return 0;
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

static void on_pace(uv_timer_t *t)
{
    struct isms_call *call = t->data;

    if (call->state != ISMS_CALL_RUNNING)
        return;
    if (isms_conn_is_closing(call->conn)) {
        isms_call_fail(call, ISMS_UNAVAILABLE, "connection closed");
        return;
    }
    if (isms_conn_pending_output(call->conn) > call->pace_below)
        return; /* the repeating timer checks again */
    uv_timer_stop(t);
    call->pace_cb(call);
}

void isms_call_after_drain(struct isms_call *call, size_t below, isms_call_resume_cb *cb)
{
    if (isms_conn_pending_output(call->conn) <= below) {
        cb(call);
        return;
    }
    if (call->pace == NULL) {
        call->pace = malloc(sizeof(*call->pace));
        if (call->pace == NULL) {
            isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
            return;
        }
        uv_timer_init(call->srv->loop, call->pace);
        call->pace->data = call;
    }
    call->pace_cb = cb;
    call->pace_below = below;
    uv_timer_start(call->pace, on_pace, 5, 5);
}

int isms_call_send_rows(struct isms_call *call, const PGresult *res, size_t row_bytes,
                        isms_row_fill_fn *fill, ProtobufCMessage *msg)
{
    int n = PQntuples(res);

    for (int r = 0; r < n; r++) {
        struct isms_arena scratch;
        struct isms_status err;
        enum isms_code code = ISMS_OK;

        isms_arena_init(&scratch, row_bytes);
        if (!fill(&scratch, res, r, msg))
            code = isms_status_set(&err, ISMS_RESOURCE_EXHAUSTED,
                                   "a row exceeds the call's memory limit");
        else
            code = isms_call_send_more(call, msg, &err);
        isms_arena_cleanup(&scratch);
        if (code != ISMS_OK) {
            isms_call_fail_status(call, &err);
            return 0;
        }
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

static void on_deadline(uv_timer_t *t)
{
    struct isms_call *call = t->data;

    isms_call_fail(call, ISMS_DEADLINE_EXCEEDED, "deadline of %u ms exceeded", call->timeout_ms);
}

static void on_db_result(void *arg, const PGresult *res, const struct isms_status *st)
{
    struct isms_call *call = arg;
    isms_call_db_cb *cb = call->db_cb;

    call->job = NULL;
    call->db_cb = NULL;
    if (call->state != ISMS_CALL_RUNNING)
        return;
    cb(call, res, st);
}

enum isms_code isms_call_db(struct isms_call *call, const char *sql, int nparams,
                            const char *const *params, isms_call_db_cb *cb, struct isms_status *st)
{
    if (call->srv->pool == NULL)
        return isms_status_set(st, ISMS_UNAVAILABLE, "server is shutting down");
    call->db_cb = cb;
    return isms_db_exec(call->srv->pool, sql, nparams, params, on_db_result, call, &call->job, st);
}

void isms_call_db_or_fail(struct isms_call *call, const char *sql, int nparams,
                          const char *const *params, isms_call_db_cb *cb)
{
    struct isms_status st;

    if (isms_call_db(call, sql, nparams, params, cb, &st) != ISMS_OK)
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
    m = isms_registry_find(&srv->reg, req->method != NULL ? req->method : "");
    if (m == NULL) {
        char q[160];

        isms_log_quote(q, sizeof(q), req->method);
        isms_call_fail(call, ISMS_UNIMPLEMENTED, "unknown method %s", q);
        return;
    }
    call->method = m;
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
    if (req->timeout_ms > 0) {
        uv_timer_init(srv->loop, &call->deadline);
        call->deadline.data = call;
        call->has_deadline = 1;
        call->timeout_ms = req->timeout_ms;
        uv_timer_start(&call->deadline, on_deadline, req->timeout_ms, 0);
    }
    if (!(m->flags & ISMS_METHOD_PUBLIC) && srv->authorize != NULL)
        srv->authorize(call, msg);
    else
        m->handler(call, msg);
}

void isms_server_cancel_calls(struct isms_server *srv, enum isms_code code, const char *msg)
{
    while (srv->calls != NULL)
        isms_call_fail(srv->calls, code, "%s", msg);
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
