/* net/conn.c — connections: reads into the frame reader, writes, deadlines, drain waiters,
 * TLS over memory BIOs (the listener and admission are in net/listener.c).
 * A conn is freed only when both its handles are closed and every frame handed up has been
 * balanced by isms_conn_frame_done(); calls may outlive the socket, never the struct. */
#include "net/conn.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/log.h"
#include "net/conn_internal.h"
#include "net/tls.h"

struct write_req {
    uv_write_t req;
    struct isms_conn *conn;
    uint8_t *buf; /* owned */
    size_t len;
};

/* What a queued write costs beyond its bytes (the request, two allocations' headers): streams
 * send a frame per row, so the budget counts it. */
#define WRITE_OVERHEAD (sizeof(struct write_req) + 32)

static void process(struct isms_conn *c);
static void raw_send(struct isms_conn *c, uint8_t *buf, size_t len);

void isms_net_maybe_done(struct isms_net *net)
{
    if (net->is_closing && net->nconns == 0 && !net->listener_open && net->on_all_closed) {
        void (*done)(struct isms_net *) = net->on_all_closed;

        net->on_all_closed = NULL;
        done(net);
    }
}

int isms_net_is_over_budget(const struct isms_net *net)
{
    return net->out_total + net->calls_bytes > net->limits.calls_memory_bytes;
}

/* Over the budget until memory is back under 7/8 of it (so that a server at the edge does not
 * resume every connection after each write); remembers the state so that going under resumes
 * work. */
static int over_budget(struct isms_net *net)
{
    if (net->is_over_budget)
        return 1;
    if (!isms_net_is_over_budget(net))
        return 0;
    {
        unsigned held;

        net->is_over_budget = 1;
        if (isms_log_limit_allow(&net->log_rejects, uv_now(net->loop), &held))
            isms_log_warn("memory budget of calls reached; pausing connections that hold output "
                          "or calls",
                          "calls_bytes=%zu output_bytes=%zu calls_memory_bytes=%zu suppressed=%u",
                          net->calls_bytes, net->out_total, net->limits.calls_memory_bytes, held);
    }
    return 1;
}

/* Over the budget a connection gets more work only when it holds no output (it reads what it
 * is sent), so memory stays near the budget and clients that read are still served. */
static int turn_ok(struct isms_conn *c)
{
    const struct isms_net_limits *l = &c->net->limits;

    return c->turns < l->turns_per_conn && c->out_bytes <= l->stream_output_bytes &&
           (c->out_bytes == 0 || !over_budget(c->net));
}

int isms_conn_may_take_frame(struct isms_conn *c)
{
    if (c->inflight >= c->net->limits.max_inflight)
        return 0;
    return (c->inflight == 0 && c->out_bytes == 0) || !over_budget(c->net);
}

/* Runs the waiters whose condition is met, oldest first (all of them when the connection is
 * closing, without turns). A callback may send more output or wait again, so the due ones are
 * detached first; turns are counted as they are granted. */
static void wake_waiters(struct isms_conn *c)
{
    struct isms_conn_waiter *due = NULL, *due_tail = NULL, *w = c->waiters;

    while (w != NULL) {
        struct isms_conn_waiter *next = w->next;
        int is_due = c->is_closing;

        if (w->is_turn && !is_due && turn_ok(c)) {
            c->turns++;
            w->is_granted = 1;
            is_due = 1;
        } else if (!is_due && !w->is_turn && c->out_bytes <= w->below) {
            is_due = 1;
        }
        if (is_due) {
            isms_conn_unwait(c, w);
            if (due_tail != NULL)
                due_tail->next = w;
            else
                due = w;
            due_tail = w;
        }
        w = next;
    }
    while (due != NULL) {
        w = due;
        due = w->next;
        w->next = NULL;
        w->cb(w);
    }
}

static void enqueue_waiter(struct isms_conn *c, struct isms_conn_waiter *w)
{
    w->is_waiting = 1;
    w->next = NULL;
    w->prev = c->waiters_tail;
    if (c->waiters_tail != NULL)
        c->waiters_tail->next = w;
    else
        c->waiters = w;
    c->waiters_tail = w;
}

void isms_conn_wait_drain(struct isms_conn *c, struct isms_conn_waiter *w, size_t below,
                          void (*cb)(struct isms_conn_waiter *w))
{
    if (w->is_waiting)
        isms_conn_unwait(c, w);
    w->below = below;
    w->cb = cb;
    w->is_turn = 0;
    enqueue_waiter(c, w);
}

int isms_conn_turn_take(struct isms_conn *c, struct isms_conn_waiter *w,
                        void (*cb)(struct isms_conn_waiter *w))
{
    int is_queue_empty = 1;

    if (w->is_waiting)
        isms_conn_unwait(c, w);
    for (const struct isms_conn_waiter *o = c->waiters; o != NULL; o = o->next)
        if (o->is_turn)
            is_queue_empty = 0;
    if (c->is_closing || c->is_close_requested || (is_queue_empty && turn_ok(c))) {
        c->turns++;
        return 1;
    }
    w->below = 0;
    w->cb = cb;
    w->is_turn = 1;
    w->is_granted = 0;
    enqueue_waiter(c, w);
    return 0;
}

void isms_conn_turn_end(struct isms_conn *c)
{
    if (c->turns > 0)
        c->turns--;
    if (c->waiters != NULL && !c->is_closing)
        wake_waiters(c);
}

void isms_net_budget_changed(struct isms_net *net)
{
    size_t budget = net->limits.calls_memory_bytes;

    if (!net->is_over_budget || net->out_total + net->calls_bytes > budget - budget / 8)
        return;
    net->is_over_budget = 0;
    for (struct isms_conn *c = net->conns; c != NULL; c = c->next) {
        /* A conn is freed only from its close callback, never under this loop. */
        if (!c->is_closing && c->waiters != NULL)
            wake_waiters(c);
        if (!c->is_closing && !c->in_process && isms_conn_may_take_frame(c))
            process(c);
    }
}

void isms_conn_unwait(struct isms_conn *c, struct isms_conn_waiter *w)
{
    if (!w->is_waiting)
        return;
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        c->waiters = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    else
        c->waiters_tail = w->prev;
    w->prev = w->next = NULL;
    w->is_waiting = 0;
}

static void conn_unref(struct isms_conn *c)
{
    if (--c->refs == 0)
        free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct isms_conn *c = h->data;
    struct isms_net *net = c->net;

    if (--c->pending_closes > 0)
        return;
    isms_frame_reader_cleanup(&c->rd);
    SSL_free(c->ssl);
    free(c->tls_in);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        net->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    net->nconns--;
    isms_log_debug("connection closed", "conn=%llu peer=%s", (unsigned long long)c->id, c->peer);
    c->refs++; /* a waiter's callback may finish the last call of this connection */
    wake_waiters(c);
    c->refs--;
    conn_unref(c);
    isms_net_maybe_done(net);
}

void isms_conn_do_close(struct isms_conn *c)
{
    if (c->is_closing)
        return;
    c->is_closing = 1;
    c->is_reading = 0;
    uv_read_stop((uv_stream_t *)&c->tcp);
    uv_timer_stop(&c->idle_timer);
    c->pending_closes = 2;
    /* A reset drops what the peer never read at once, in the kernel too. */
    if (!c->is_reset || uv_tcp_close_reset(&c->tcp, on_handle_closed) != 0)
        uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->idle_timer, on_handle_closed);
}

void isms_conn_close(struct isms_conn *c, int flush)
{
    if (c->is_closing)
        return;
    if (flush && c->out_bytes > 0) {
        c->is_close_requested = 1;
        c->is_reading = 0;
        uv_read_stop((uv_stream_t *)&c->tcp);
        return;
    }
    isms_conn_do_close(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct isms_conn *c = h->data;
    struct isms_status st;
    uint8_t *p = NULL;
    size_t n = 0;

    (void)suggested;
    if (c->ssl != NULL) {
        buf->base = (char *)c->tls_in;
        buf->len = TLS_IN_BYTES;
        return;
    }
    if (isms_frame_reader_space(&c->rd, &p, &n, &st) != ISMS_OK) {
        p = NULL;
        n = 0;
    }
    buf->base = (char *)p;
    buf->len = n;
}

/* Sends whatever ciphertext OpenSSL has produced. */
static void tls_flush(struct isms_conn *c)
{
    BIO *wbio = SSL_get_wbio(c->ssl);
    size_t n = BIO_ctrl_pending(wbio);
    uint8_t *out;

    if (n == 0)
        return;
    out = malloc(n);
    if (out == NULL) {
        isms_conn_do_close(c);
        return;
    }
    if (BIO_read(wbio, out, (int)n) != (int)n) {
        free(out);
        isms_conn_do_close(c);
        return;
    }
    raw_send(c, out, n);
}

static void tls_fail(struct isms_conn *c, const char *what)
{
    char why[200];
    unsigned long e = ERR_get_error();

    if (e != 0)
        ERR_error_string_n(e, why, sizeof(why));
    else
        snprintf(why, sizeof(why), "%s", what);
    ERR_clear_error();
    isms_log_info("TLS failure, closing", "conn=%llu peer=%s error=\"%s\"",
                  (unsigned long long)c->id, c->peer, why);
    tls_flush(c); /* deliver the alert, if any */
    isms_conn_close(c, 1);
}

/* Moves decrypted bytes into the frame reader; returns how many, 0 if none, -1 on error. */
static int tls_pull(struct isms_conn *c)
{
    struct isms_status st;
    uint8_t *p;
    size_t n;
    int r;

    if (isms_frame_reader_space(&c->rd, &p, &n, &st) != ISMS_OK || n == 0)
        return 0;
    r = SSL_read(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
    if (r > 0) {
        isms_frame_reader_commit(&c->rd, (size_t)r);
        return r;
    }
    switch (SSL_get_error(c->ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return 0;
    case SSL_ERROR_ZERO_RETURN:
        c->is_eof = 1;
        return 0;
    default:
        tls_fail(c, "TLS read failed");
        return -1;
    }
}

static void tls_input(struct isms_conn *c, const uint8_t *data, size_t n)
{
    if (BIO_write(SSL_get_rbio(c->ssl), data, (int)n) != (int)n) {
        isms_conn_do_close(c);
        return;
    }
    if (!c->is_handshaken) {
        int r = SSL_do_handshake(c->ssl);

        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);

            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                tls_flush(c);
            else
                tls_fail(c, "TLS handshake failed");
            return;
        }
        c->is_handshaken = 1;
        isms_log_debug("TLS established", "conn=%llu version=%s cipher=%s",
                       (unsigned long long)c->id, SSL_get_version(c->ssl),
                       SSL_get_cipher_name(c->ssl));
        tls_flush(c);
    }
    process(c);
    if (!c->is_closing) {
        tls_flush(c);
        if (c->is_eof && c->inflight == 0)
            isms_conn_close(c, 1);
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct isms_conn *c = s->data;

    if (nread > 0 && c->ssl != NULL) {
        c->last_activity_ms = uv_now(c->net->loop);
        tls_input(c, (const uint8_t *)buf->base, (size_t)nread);
        return;
    }
    if (nread > 0) {
        isms_frame_reader_commit(&c->rd, (size_t)nread);
        c->last_activity_ms = uv_now(c->net->loop);
        process(c);
        return;
    }
    if (nread == 0)
        return;
    if (nread == UV_ENOBUFS) {
        isms_log_warn("out of memory for read buffer", "conn=%llu", (unsigned long long)c->id);
        isms_conn_do_close(c);
        return;
    }
    /* EOF or reset: calls in flight may still answer if the peer only half-closed. */
    c->is_eof = 1;
    c->is_reading = 0;
    uv_read_stop(s);
    if (nread != UV_EOF || c->inflight == 0)
        isms_conn_do_close(c);
}

void isms_conn_set_reading(struct isms_conn *c, int on)
{
    if (on == c->is_reading || c->is_closing || c->is_close_requested || c->is_eof)
        return;
    if (on) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
            isms_conn_do_close(c);
            return;
        }
    } else {
        uv_read_stop((uv_stream_t *)&c->tcp);
    }
    c->is_reading = on;
}

/* Hands buffered frames up until none is complete or the in-flight bound is reached. */
static void process(struct isms_conn *c)
{
    struct isms_net *net = c->net;

    if (c->in_process)
        return;
    c->in_process = 1;
    c->refs++; /* the callbacks below may close the conn */
    while (!c->is_closing && !c->is_close_requested && isms_conn_may_take_frame(c)) {
        struct isms_frame f;
        struct isms_status st;
        enum isms_frame_result r = isms_frame_reader_next(&c->rd, &f, &st);

        /* Under TLS, plaintext may still wait inside OpenSSL: pull it before giving up. */
        if (r == ISMS_FRAME_NEED_MORE && c->ssl != NULL && c->is_handshaken && tls_pull(c) > 0)
            continue;
        if (r == ISMS_FRAME_NEED_MORE)
            break;
        if (r == ISMS_FRAME_ERROR) {
            char q[300];

            isms_log_warn("protocol error", "conn=%llu peer=%s error=%s", (unsigned long long)c->id,
                          c->peer, isms_log_quote(q, sizeof(q), st.msg));
            isms_conn_set_reading(c, 0);
            net->on_error(c, &st);
            isms_conn_close(c, 1);
            break;
        }
        c->inflight++;
        c->refs++;
        c->partial_since_ms = 0;
        net->on_frame(c, &f);
    }
    c->in_process = 0;
    if (!c->is_closing) {
        /* A frame left incomplete starts the frame clock (slowloris defence). */
        if (isms_frame_reader_pending(&c->rd) == 0) {
            c->partial_since_ms = 0;
        } else if (c->partial_since_ms == 0 && isms_conn_may_take_frame(c)) {
            c->partial_since_ms = uv_now(net->loop);
            isms_conn_arm_timer(c);
        }
        isms_conn_set_reading(c, isms_conn_may_take_frame(c));
    }
    conn_unref(c);
}

void isms_conn_frame_done(struct isms_conn *c)
{
    c->inflight--;
    c->last_activity_ms = uv_now(c->net->loop);
    if (!c->is_closing) {
        if (c->is_eof && c->inflight == 0)
            isms_conn_close(c, 1);
        else if (!c->in_process)
            process(c);
    }
    conn_unref(c);
}

static void on_write(uv_write_t *req, int status)
{
    struct write_req *w = req->data;
    struct isms_conn *c = w->conn;

    c->out_bytes -= w->len;
    c->net->out_total -= w->len + WRITE_OVERHEAD;
    c->write_progress_ms = uv_now(c->net->loop);
    free(w->buf);
    free(w);
    if (c->net->is_over_budget)
        isms_net_budget_changed(c->net);
    if (status < 0 && !c->is_closing) {
        isms_conn_do_close(c);
        return;
    }
    if (c->is_close_requested && c->out_bytes == 0) {
        isms_conn_do_close(c);
        return;
    }
    if (c->waiters != NULL && !c->is_closing)
        wake_waiters(c);
}

void isms_conn_send(struct isms_conn *c, uint8_t *buf, size_t len)
{
    int r;

    if (c->ssl == NULL) {
        raw_send(c, buf, len);
        return;
    }
    if (c->is_closing || c->is_close_requested) {
        free(buf);
        return;
    }
    r = SSL_write(c->ssl, buf, (int)len);
    free(buf);
    if (r <= 0) {
        tls_fail(c, "TLS write failed");
        return;
    }
    tls_flush(c);
}

/* Writes bytes as they are (ciphertext under TLS); takes ownership of `buf`. */
static void raw_send(struct isms_conn *c, uint8_t *buf, size_t len)
{
    struct write_req *w;
    uv_buf_t b;
    size_t off = 0;

    if (c->is_closing || c->is_close_requested) {
        free(buf);
        return;
    }
    c->last_activity_ms = uv_now(c->net->loop);
    if (c->out_bytes == 0) {
        /* Nothing queued: try the write now and queue only the rest (Redis does the same). */
        int n;

        b = uv_buf_init((char *)buf, (unsigned int)len);
        n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (n > 0)
            off = (size_t)n;
        else if (n < 0 && n != UV_EAGAIN) {
            free(buf);
            isms_conn_do_close(c);
            return;
        }
        if (off == len) {
            free(buf);
            return;
        }
    }
    if (c->out_bytes + (len - off) > c->net->limits.output_hard_bytes) {
        isms_log_warn("output limit reached, closing", "conn=%llu peer=%s pending_bytes=%zu",
                      (unsigned long long)c->id, c->peer, c->out_bytes + len - off);
        free(buf);
        isms_conn_do_close(c);
        return;
    }
    w = malloc(sizeof(*w));
    if (w == NULL) {
        free(buf);
        isms_conn_do_close(c);
        return;
    }
    w->conn = c;
    w->buf = buf;
    w->len = len - off;
    w->req.data = w;
    b = uv_buf_init((char *)buf + off, (unsigned int)(len - off));
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
        free(buf);
        free(w);
        isms_conn_do_close(c);
        return;
    }
    if (c->out_bytes == 0) {
        /* The write-progress clock starts with the first byte the socket did not take. */
        c->write_progress_ms = uv_now(c->net->loop);
        c->out_bytes = w->len;
        isms_conn_arm_timer(c);
    } else {
        c->out_bytes += w->len;
    }
    c->net->out_total += w->len + WRITE_OVERHEAD;
    c->write_queue_seen = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
}

/* The earliest of the connection's deadlines (idle, login, frame, write), in loop time. */
static uint64_t next_deadline(const struct isms_conn *c, uint64_t now)
{
    const struct isms_net_limits *l = &c->net->limits;
    uint64_t d = c->last_activity_ms + (uint64_t)l->idle_timeout_s * 1000;

    /* A connection with work in flight is not idle: look again a full period later (a past
     * deadline here would re-fire the timer at once, forever). */
    if (c->inflight > 0 || c->out_bytes > 0)
        d = now + (uint64_t)l->idle_timeout_s * 1000;

    if (!c->is_authenticated && l->login_timeout_s > 0 &&
        c->opened_ms + (uint64_t)l->login_timeout_s * 1000 < d)
        d = c->opened_ms + (uint64_t)l->login_timeout_s * 1000;
    if (c->partial_since_ms != 0 && c->partial_since_ms + (uint64_t)l->frame_timeout_s * 1000 < d)
        d = c->partial_since_ms + (uint64_t)l->frame_timeout_s * 1000;
    if (c->out_bytes > 0 && c->write_progress_ms + (uint64_t)l->write_timeout_s * 1000 < d)
        d = c->write_progress_ms + (uint64_t)l->write_timeout_s * 1000;
    return d;
}

static void on_timer(uv_timer_t *t);

void isms_conn_arm_timer(struct isms_conn *c)
{
    uint64_t now = uv_now(c->net->loop);
    uint64_t d = next_deadline(c, now);

    if (!c->is_closing)
        uv_timer_start(&c->idle_timer, on_timer, d > now ? d - now : 0, 0);
}

static void on_timer(uv_timer_t *t)
{
    struct isms_conn *c = t->data;
    const struct isms_net_limits *l = &c->net->limits;
    uint64_t now = uv_now(c->net->loop);
    const char *why = NULL;

    if (c->out_bytes > 0) {
        /* A big buffer completes only when all of it is written: smaller unwritten bytes in
         * libuv's queue are progress too. */
        size_t q = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);

        if (q < c->write_queue_seen)
            c->write_progress_ms = now;
        c->write_queue_seen = q;
    }
    if (c->out_bytes > 0 && now - c->write_progress_ms >= (uint64_t)l->write_timeout_s * 1000) {
        unsigned held;

        c->net->write_timeouts_total++;
        if (isms_log_limit_allow(&c->net->log_rejects, now, &held))
            isms_log_info("closing connection",
                          "conn=%llu peer=%s reason=\"output not drained within write_timeout_s\" "
                          "pending_bytes=%zu calls_in_flight=%u suppressed=%u",
                          (unsigned long long)c->id, c->peer, c->out_bytes, c->inflight, held);
        c->is_reset = 1;
        isms_conn_do_close(c);
        return;
    }
    if (!c->is_authenticated && l->login_timeout_s > 0 &&
        now - c->opened_ms >= (uint64_t)l->login_timeout_s * 1000)
        why = "not logged in within login_timeout_s";
    else if (c->partial_since_ms != 0 &&
             now - c->partial_since_ms >= (uint64_t)l->frame_timeout_s * 1000)
        why = "frame not completed within frame_timeout_s";
    else if (c->inflight == 0 && c->out_bytes == 0 &&
             now - c->last_activity_ms >= (uint64_t)l->idle_timeout_s * 1000)
        why = "idle for idle_timeout_s";
    if (why != NULL) {
        /* Idle closes are routine; a missed login or frame deadline is worth a (rate-limited) line.
         */
        unsigned held;

        if (strncmp(why, "idle", 4) == 0)
            isms_log_debug("closing connection", "conn=%llu peer=%s reason=\"%s\"",
                           (unsigned long long)c->id, c->peer, why);
        else if (isms_log_limit_allow(&c->net->log_rejects, now, &held))
            isms_log_info("closing connection", "conn=%llu peer=%s reason=\"%s\" suppressed=%u",
                          (unsigned long long)c->id, c->peer, why, held);
        isms_conn_do_close(c);
        return;
    }
    isms_conn_arm_timer(c);
}

void isms_conn_set_authenticated(struct isms_conn *c)
{
    if (c->is_authenticated)
        return;
    c->is_authenticated = 1;
    isms_frame_reader_set_max(&c->rd, c->net->limits.max_frame_bytes);
}

size_t isms_conn_pending_output(const struct isms_conn *c)
{
    return c->out_bytes;
}

int isms_conn_is_closing(const struct isms_conn *c)
{
    return c->is_closing || c->is_close_requested;
}

uint64_t isms_conn_id(const struct isms_conn *c)
{
    return c->id;
}

const char *isms_conn_peer(const struct isms_conn *c)
{
    return c->peer;
}

const char *isms_conn_ip(const struct isms_conn *c)
{
    return c->ip;
}

struct isms_net *isms_conn_net(const struct isms_conn *c)
{
    return c->net;
}
