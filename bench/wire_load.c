/* bench/wire_load.c — drives ismsd over TCP: C connections on one libuv loop, each keeping D
 * calls in flight (a new call goes out as soon as one is answered). A call's latency runs from
 * the moment its frame is queued for writing to the moment its last response (the only one of a
 * unary call, the more = false one of a stream) is decoded; only calls that complete inside the
 * measured window count. The simple methods send the same request every time; plan-mix builds
 * each request from the data set (plan_mix.c). */
#include "bench.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <uv.h>

#include "baseline_sql.h"
#include "isms/v1/context.pb-c.h"
#include "isms/v1/envelope.pb-c.h"
#include "isms/v1/system.pb-c.h"
#include "common/frame.h"
#include "plan_mix.h"

/* call_id = sequence << SLOT_BITS | slot, so a response finds its slot without a search. */
#define SLOT_BITS   16
#define SLOT_MASK   ((1u << SLOT_BITS) - 1)
#define MAX_BODY    (16u * 1024 * 1024)
#define READ_BUF    (64u * 1024)
#define CHECK_EVERY 64u /* decode the body of one OK response in this many */
#define VARINT_MAX  10u

enum phase { PHASE_WARMUP, PHASE_MEASURE, PHASE_DRAIN, PHASE_DONE };

struct slot {
    uint64_t call_id;
    uint64_t sent_ns;
    int is_busy;
    struct isms_bench_op op; /* plan-mix: the call in flight, and what follows it */
};

struct wconn {
    struct wrun *run;
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    struct isms_frame_reader rd;
    struct slot *slots; /* cfg->depth of them; owned */
    uint64_t seq;
    unsigned inflight;
    int is_inited; /* tcp handle initialised: needs uv_close */
    int is_open;   /* connected, not closing */
    int is_closing;
    uint8_t *out; /* frames queued by this callback, written by flush(); owned */
    size_t out_len;
    size_t out_cap;
};

/* One write in progress: the frames live right after the request, freed in on_write. */
struct wwrite {
    uv_write_t req;
    size_t len;
    uint8_t data[];
};

struct wrun {
    const struct isms_bench_cfg *cfg;
    struct isms_bench_result *res;
    uv_loop_t loop;
    uv_timer_t timer;
    struct wconn *conns; /* cfg->conns of them; owned */
    struct isms_bench_samples samples;
    struct isms_bench_kind_samples kinds; /* plan-mix */
    struct isms_bench_cpu cpu;
    uint8_t *tail; /* the packed Request without call_id; owned */
    size_t tail_len;
    int is_mix;       /* plan-mix: each call packs its own request */
    char bearer[512]; /* "Bearer <token>" */
    struct sockaddr_storage addr;
    enum phase phase;
    uint64_t t_start;
    uint64_t t_end;
    unsigned live_conns; /* connections not closing (connected or connecting) */
    uint64_t pending;    /* calls in flight over all connections */
    uint64_t ok_seen;
};

static void finish(struct wrun *run);
static void flush(struct wconn *c);

static const char *method_path(enum isms_bench_method m)
{
    switch (m) {
    case ISMS_BENCH_HEALTH:
        return "/isms.v1.System/Health";
    case ISMS_BENCH_CONTEXT_GET:
        return "/isms.v1.Context/Get";
    case ISMS_BENCH_CONTEXT_UPDATE:
        return "/isms.v1.Context/Update";
    case ISMS_BENCH_PLAN_MIX: /* each call names its own (plan_mix.c) */
    case ISMS_BENCH_SOA_EXPORT:
    case ISMS_BENCH_ASSET_LIST_100K:
        break;
    }
    return "";
}

/* Packs the method's request message into a fresh buffer; NULL when out of memory. */
static uint8_t *pack_body(enum isms_bench_method m, size_t *len)
{
    Isms__V1__HealthRequest health = ISMS__V1__HEALTH_REQUEST__INIT;
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    Isms__V1__UpdateContextRequest upd = ISMS__V1__UPDATE_CONTEXT_REQUEST__INIT;
    const ProtobufCMessage *msg = &health.base;
    uint8_t *buf;

    if (m == ISMS_BENCH_CONTEXT_GET) {
        msg = &get.base;
    } else if (m == ISMS_BENCH_CONTEXT_UPDATE) {
        /* Same value every time; the row is rewritten (and its version bumped) regardless. */
        upd.organization = (char *)ISMS_BENCH_UPDATE_ORGANIZATION;
        upd.set_organization = 1;
        msg = &upd.base;
    }
    *len = protobuf_c_message_get_packed_size(msg);
    buf = malloc(*len ? *len : 1);
    if (buf != NULL)
        protobuf_c_message_pack(msg, buf);
    return buf;
}

/*
 * Packs the envelope once with call_id 0, which proto3 leaves out; each call then writes its
 * own call_id field in front of these bytes. Protobuf accepts fields in any order, so the
 * result decodes exactly like a Request packed with that call_id.
 */
static int build_tail(struct wrun *run)
{
    const struct isms_bench_cfg *cfg = run->cfg;
    Isms__V1__Request req = ISMS__V1__REQUEST__INIT;
    Isms__V1__Request__MetadataEntry auth = ISMS__V1__REQUEST__METADATA_ENTRY__INIT;
    Isms__V1__Request__MetadataEntry *md[1] = {&auth};
    size_t body_len;
    uint8_t *body;

    if (cfg->token != NULL)
        snprintf(run->bearer, sizeof(run->bearer), "Bearer %s", cfg->token);
    if (run->is_mix)
        return 0;
    body = pack_body(cfg->method, &body_len);
    if (body == NULL)
        return -1;
    req.method = (char *)method_path(cfg->method);
    req.timeout_ms = cfg->timeout_ms;
    req.body.data = body;
    req.body.len = body_len;
    if (cfg->token != NULL) {
        auth.key = (char *)"authorization";
        auth.value = run->bearer;
        req.n_metadata = 1;
        req.metadata = md;
    }
    run->tail_len = isms__v1__request__get_packed_size(&req);
    run->tail = malloc(run->tail_len ? run->tail_len : 1);
    if (run->tail != NULL)
        isms__v1__request__pack(&req, run->tail);
    free(body);
    return run->tail != NULL ? 0 : -1;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;

    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Makes room for `need` more bytes in the connection's output buffer. */
static int reserve(struct wconn *c, size_t need)
{
    if (c->out_cap - c->out_len < need) {
        size_t ncap = c->out_cap ? c->out_cap * 2 : 4096;
        uint8_t *nb;

        while (ncap - c->out_len < need)
            ncap *= 2;
        nb = realloc(c->out, ncap);
        if (nb == NULL)
            return -1;
        c->out = nb;
        c->out_cap = ncap;
    }
    return 0;
}

/* Queues the next plan-mix call of slot `s`, packed whole (the request differs every time). */
static int queue_mix(struct wconn *c, struct slot *s)
{
    struct wrun *run = c->run;
    Isms__V1__Request req = ISMS__V1__REQUEST__INIT;
    Isms__V1__Request__MetadataEntry auth = ISMS__V1__REQUEST__METADATA_ENTRY__INIT;
    Isms__V1__Request__MetadataEntry *md[1] = {&auth};
    const char *method = "";
    size_t body_len, n;
    uint8_t *body;

    isms_bench_plan_next(run->cfg->plan, &s->op);
    body = isms_bench_plan_request(run->cfg->plan, &s->op, &method, &body_len);
    if (body == NULL)
        return -1;
    req.call_id = s->call_id;
    req.method = (char *)method;
    req.timeout_ms = run->cfg->timeout_ms;
    req.body.data = body;
    req.body.len = body_len;
    if (run->cfg->token != NULL) {
        auth.key = (char *)"authorization";
        auth.value = run->bearer;
        req.n_metadata = 1;
        req.metadata = md;
    }
    n = isms__v1__request__get_packed_size(&req);
    if (reserve(c, ISMS_FRAME_HEADER_BYTES + n) != 0) {
        free(body);
        return -1;
    }
    isms__v1__request__pack(&req, c->out + c->out_len + ISMS_FRAME_HEADER_BYTES);
    isms_frame_header(c->out + c->out_len, 0, (uint32_t)n);
    c->out_len += ISMS_FRAME_HEADER_BYTES + n;
    free(body);
    return 0;
}

/* Queues one call on slot `i`; the frame goes out at the next flush(). */
static int queue_call(struct wconn *c, unsigned i)
{
    struct wrun *run = c->run;
    size_t need = ISMS_FRAME_HEADER_BYTES + 1 + VARINT_MAX + run->tail_len;
    struct slot *s = &c->slots[i];
    uint8_t *p;
    size_t n;

    s->call_id = (++c->seq << SLOT_BITS) | i;
    if (run->is_mix) {
        if (queue_mix(c, s) != 0)
            return -1;
        goto queued;
    }
    if (reserve(c, need) != 0)
        return -1;
    p = c->out + c->out_len + ISMS_FRAME_HEADER_BYTES;
    p[0] = 0x08; /* field 1 (call_id), varint */
    n = 1 + put_varint(p + 1, s->call_id);
    memcpy(p + n, run->tail, run->tail_len);
    n += run->tail_len;
    isms_frame_header(c->out + c->out_len, 0, (uint32_t)n);
    c->out_len += ISMS_FRAME_HEADER_BYTES + n;
queued:
    s->is_busy = 1;
    s->sent_ns = uv_hrtime();
    c->inflight++;
    run->pending++;
    return 0;
}

static void on_close(uv_handle_t *h)
{
    (void)h;
}

/* Closes one connection; calls still in flight on it are written off. */
static void conn_close(struct wconn *c)
{
    struct wrun *run = c->run;

    if (c->is_closing || !c->is_inited)
        return;
    c->is_closing = 1;
    c->is_open = 0;
    run->live_conns--;
    run->pending -= c->inflight;
    c->inflight = 0;
    uv_close((uv_handle_t *)&c->tcp, on_close);
}

/* A connection broke while the run still needed it. */
static void conn_lost(struct wconn *c, const char *why)
{
    struct wrun *run = c->run;

    if (run->phase == PHASE_DONE)
        return;
    run->res->transport_errors++;
    isms_bench_result_note(run->res, "connection lost: %s", why);
    conn_close(c);
    if (run->live_conns == 0 && run->phase != PHASE_DRAIN)
        isms_bench_result_fail(run->res, "every connection to ismsd was lost (%s)", why);
    if (run->live_conns == 0 || (run->phase == PHASE_DRAIN && run->pending == 0))
        finish(run);
}

static void on_write(uv_write_t *req, int status)
{
    struct wwrite *w = (struct wwrite *)req;
    struct wconn *c = req->handle->data;

    free(w);
    if (status < 0 && status != UV_ECANCELED)
        conn_lost(c, uv_strerror(status));
}

/* Writes what queue_call() gathered: try the socket at once, hand the rest to uv_write. */
static void flush(struct wconn *c)
{
    uv_buf_t buf = uv_buf_init((char *)c->out, (unsigned)c->out_len);
    struct wwrite *w;
    size_t off = 0;
    int rc;

    if (c->out_len == 0 || !c->is_open)
        return;
    rc = uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
    if (rc >= 0)
        off = (size_t)rc;
    else if (rc != UV_EAGAIN) {
        conn_lost(c, uv_strerror(rc));
        return;
    }
    if (off == c->out_len) {
        c->out_len = 0;
        return;
    }
    w = malloc(sizeof(*w) + (c->out_len - off));
    if (w == NULL) {
        conn_lost(c, "out of memory for a write");
        return;
    }
    w->len = c->out_len - off;
    memcpy(w->data, c->out + off, w->len);
    c->out_len = 0;
    buf = uv_buf_init((char *)w->data, (unsigned)w->len);
    rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write);
    if (rc < 0) {
        free(w);
        conn_lost(c, uv_strerror(rc));
    }
}

/* Decodes the body of an OK response and says whether it is what the method should return. */
static int body_is_good(struct wrun *run, const ProtobufCBinaryData *body)
{
    if (run->cfg->method == ISMS_BENCH_HEALTH) {
        Isms__V1__HealthResponse *h =
            isms__v1__health_response__unpack(NULL, body->len, body->data);
        int good;

        if (h == NULL) {
            isms_bench_result_note(run->res, "undecodable HealthResponse");
            return 0;
        }
        good = h->database_ok && strcmp(h->status, "SERVING") == 0;
        if (!good)
            isms_bench_result_note(run->res, "health: %s: %s", h->status, h->database_message);
        isms__v1__health_response__free_unpacked(h, NULL);
        return good;
    } else {
        Isms__V1__IsmsContext *ctx = isms__v1__isms_context__unpack(NULL, body->len, body->data);

        if (ctx == NULL) {
            isms_bench_result_note(run->res, "undecodable IsmsContext");
            return 0;
        }
        isms__v1__isms_context__free_unpacked(ctx, NULL);
        return 1;
    }
}

static void on_response(struct wconn *c, const struct isms_frame *f)
{
    struct wrun *run = c->run;
    struct isms_bench_result *res = run->res;
    Isms__V1__Response *rsp;
    struct slot *s;
    unsigned i;
    uint64_t now;

    if (f->flags & ISMS_FRAME_FLAG_COMPRESSED) {
        res->transport_errors++;
        isms_bench_result_note(res, "compressed frame from ismsd");
        return;
    }
    rsp = isms__v1__response__unpack(NULL, f->body_len, f->body);
    if (rsp == NULL) {
        res->transport_errors++;
        isms_bench_result_note(res, "undecodable Response (%u bytes)", f->body_len);
        return;
    }
    i = (unsigned)(rsp->call_id & SLOT_MASK);
    if (i >= run->cfg->depth || !c->slots[i].is_busy || c->slots[i].call_id != rsp->call_id) {
        res->transport_errors++;
        isms_bench_result_note(res, "response to unknown call_id %llu: %s: %s",
                               (unsigned long long)rsp->call_id, isms_code_name(rsp->code),
                               rsp->message);
        isms__v1__response__free_unpacked(rsp, NULL);
        return;
    }
    s = &c->slots[i];
    if (rsp->more) {
        /* One message of a stream; the call goes on until the more = false one. */
        if (run->phase == PHASE_MEASURE)
            res->rows++;
        isms__v1__response__free_unpacked(rsp, NULL);
        return;
    }
    now = uv_hrtime();
    if (rsp->code != ISMS_OK && !(run->is_mix && rsp->code == ISMS_ABORTED))
        isms_bench_result_note(res, "%s: %s", isms_code_name(rsp->code), rsp->message);
    if (run->is_mix) {
        if (rsp->code == ISMS_OK &&
            isms_bench_plan_answer(run->cfg->plan, &s->op, &rsp->body) != 0) {
            if (run->phase == PHASE_MEASURE)
                res->bad_bodies++;
            isms_bench_result_note(res, "%s: undecodable answer", isms_bench_kind_name(s->op.kind));
        }
        if (run->phase == PHASE_MEASURE)
            isms_bench_kind_add(res, &run->kinds, s->op.kind, rsp->code, now - s->sent_ns);
        isms_bench_plan_done(&s->op, rsp->code);
    }
    if (run->phase == PHASE_MEASURE) {
        res->calls++;
        if (rsp->code >= 0 && rsp->code < ISMS_BENCH_CODE_SLOTS - 1)
            res->codes[rsp->code]++;
        else
            res->codes[ISMS_BENCH_CODE_SLOTS - 1]++;
        if (rsp->code == ISMS_OK) {
            res->ok_calls++;
            if (!run->is_mix && run->ok_seen++ % CHECK_EVERY == 0 && !body_is_good(run, &rsp->body))
                res->bad_bodies++;
        }
        if (isms_bench_samples_add(&run->samples, now - s->sent_ns) != 0)
            isms_bench_result_note(res, "out of memory for latency samples");
    }
    isms__v1__response__free_unpacked(rsp, NULL);
    s->is_busy = 0;
    c->inflight--;
    run->pending--;
    if (run->phase < PHASE_DRAIN && queue_call(c, i) != 0)
        isms_bench_result_note(res, "out of memory for a request");
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct wconn *c = h->data;
    struct isms_status st;
    uint8_t *p;
    size_t n;

    (void)suggested;
    if (isms_frame_reader_space(&c->rd, &p, &n, &st) != ISMS_OK) {
        *buf = uv_buf_init(NULL, 0); /* the read callback gets UV_ENOBUFS */
        return;
    }
    *buf = uv_buf_init((char *)p, (unsigned)n);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct wconn *c = stream->data;
    struct wrun *run = c->run;
    struct isms_status st;
    struct isms_frame f;
    enum isms_frame_result fr;

    (void)buf;
    if (nread < 0) {
        conn_lost(c, nread == UV_EOF ? "ismsd closed the connection" : uv_strerror((int)nread));
        return;
    }
    isms_frame_reader_commit(&c->rd, (size_t)nread);
    while ((fr = isms_frame_reader_next(&c->rd, &f, &st)) == ISMS_FRAME_READY) {
        on_response(c, &f);
        if (c->is_closing)
            return;
    }
    if (fr == ISMS_FRAME_ERROR) {
        conn_lost(c, st.msg);
        return;
    }
    flush(c);
    if (run->phase == PHASE_DRAIN && run->pending == 0)
        finish(run);
}

static void on_connect(uv_connect_t *req, int status)
{
    struct wconn *c = req->data;
    struct wrun *run = c->run;
    unsigned i;
    int rc;

    if (c->is_closing || run->phase == PHASE_DONE)
        return;
    if (status < 0) {
        isms_bench_result_fail(run->res, "could not connect to %s:%s: %s", run->cfg->host,
                               run->cfg->port, uv_strerror(status));
        finish(run);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->is_open = 1;
    rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc < 0) {
        conn_lost(c, uv_strerror(rc));
        return;
    }
    if (run->phase >= PHASE_DRAIN)
        return;
    for (i = 0; i < run->cfg->depth; i++) {
        if (queue_call(c, i) != 0) {
            conn_lost(c, "out of memory for a request");
            return;
        }
    }
    flush(c);
}

/* Closes the measured window: its end time, ismsd's RSS and both CPU clocks. */
static void end_window(struct wrun *run)
{
    run->t_end = uv_hrtime();
    isms_bench_read_rss(run->cfg->ismsd_pid, &run->res->rss_kib, &run->res->hwm_kib);
    isms_bench_cpu_stop(&run->cpu, run->cfg->ismsd_pid, (double)(run->t_end - run->t_start) / 1e9,
                        run->res);
}

static void on_timer(uv_timer_t *t)
{
    struct wrun *run = t->data;
    const struct isms_bench_cfg *cfg = run->cfg;

    if (run->phase == PHASE_WARMUP) {
        run->phase = PHASE_MEASURE;
        run->t_start = uv_hrtime();
        isms_bench_cpu_start(&run->cpu, run->cfg->ismsd_pid);
        uv_timer_start(&run->timer, on_timer, (uint64_t)(cfg->seconds * 1000.0), 0);
    } else if (run->phase == PHASE_MEASURE) {
        end_window(run);
        run->phase = PHASE_DRAIN;
        if (run->pending == 0) {
            finish(run);
            return;
        }
        uv_timer_start(&run->timer, on_timer, (uint64_t)(ISMS_BENCH_DRAIN_S * 1000.0), 0);
    } else if (run->phase == PHASE_DRAIN) {
        run->res->left_in_flight = run->pending;
        isms_bench_result_note(run->res, "%llu calls unanswered %.0f s after the window",
                               (unsigned long long)run->pending, ISMS_BENCH_DRAIN_S);
        finish(run);
    }
}

/* Ends the run: closes every handle; uv_run returns once their close callbacks ran. */
static void finish(struct wrun *run)
{
    unsigned i;

    if (run->phase == PHASE_DONE)
        return;
    if (run->t_start != 0 && run->t_end == 0)
        end_window(run);
    run->phase = PHASE_DONE;
    uv_timer_stop(&run->timer);
    if (!uv_is_closing((uv_handle_t *)&run->timer))
        uv_close((uv_handle_t *)&run->timer, on_close);
    for (i = 0; i < run->cfg->conns; i++)
        conn_close(&run->conns[i]);
}

/* Resolves host:port once, before the loop starts (blocking is fine there). */
static int resolve(struct wrun *run)
{
    struct addrinfo hints, *ai = NULL;
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(run->cfg->host, run->cfg->port, &hints, &ai);
    if (rc != 0) {
        isms_bench_result_fail(run->res, "could not resolve \"%s\": %s", run->cfg->host,
                               gai_strerror(rc));
        return -1;
    }
    memcpy(&run->addr, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    return 0;
}

static int start_conns(struct wrun *run)
{
    struct isms_status st;
    unsigned i;
    int rc;

    for (i = 0; i < run->cfg->conns; i++) {
        struct wconn *c = &run->conns[i];

        c->run = run;
        c->slots = calloc(run->cfg->depth, sizeof(*c->slots));
        if (c->slots == NULL) {
            isms_bench_result_fail(run->res, "out of memory for %u connections", run->cfg->conns);
            return -1;
        }
        if (isms_frame_reader_init(&c->rd, READ_BUF, MAX_BODY, &st) != ISMS_OK) {
            isms_bench_result_fail(run->res, "%s", st.msg);
            return -1;
        }
        rc = uv_tcp_init(&run->loop, &c->tcp);
        if (rc < 0) {
            isms_bench_result_fail(run->res, "could not create a socket: %s", uv_strerror(rc));
            return -1;
        }
        c->is_inited = 1;
        run->live_conns++;
        c->tcp.data = c;
        c->connect_req.data = c;
        rc = uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&run->addr,
                            on_connect);
        if (rc < 0) {
            isms_bench_result_fail(run->res, "could not connect to %s:%s: %s", run->cfg->host,
                                   run->cfg->port, uv_strerror(rc));
            return -1;
        }
    }
    return 0;
}

void isms_bench_run_wire(const struct isms_bench_cfg *cfg, struct isms_bench_result *res)
{
    struct wrun run;
    unsigned i;

    memset(res, 0, sizeof(*res));
    res->rss_kib = res->hwm_kib = -1;
    res->client_cpu_pct = res->ismsd_cpu_pct = res->box_cpu_pct = res->load1 = -1;
    memset(&run, 0, sizeof(run));
    run.cfg = cfg;
    run.res = res;
    run.is_mix = cfg->method == ISMS_BENCH_PLAN_MIX;
    if (run.is_mix && (cfg->plan == NULL || cfg->plan->nassets == 0 || cfg->plan->nrisks == 0)) {
        isms_bench_result_fail(res, "plan-mix needs seeded assets and risks");
        return;
    }
    if (cfg->depth == 0 || cfg->depth > SLOT_MASK) {
        isms_bench_result_fail(res, "depth must be between 1 and %u", SLOT_MASK);
        return;
    }
    if (resolve(&run) != 0)
        return;
    if (build_tail(&run) != 0) {
        isms_bench_result_fail(res, "out of memory for the request");
        return;
    }
    run.conns = calloc(cfg->conns, sizeof(*run.conns));
    if (run.conns == NULL || uv_loop_init(&run.loop) != 0) {
        isms_bench_result_fail(res, "could not set up the event loop");
        free(run.conns);
        free(run.tail);
        return;
    }
    uv_timer_init(&run.loop, &run.timer);
    run.timer.data = &run;
    if (start_conns(&run) == 0)
        uv_timer_start(&run.timer, on_timer, (uint64_t)(cfg->warmup_s * 1000.0), 0);
    else
        finish(&run);
    uv_run(&run.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&run.loop) != 0)
        isms_bench_result_note(res, "event loop left handles open");

    if (run.t_start != 0 && run.t_end > run.t_start)
        res->window_s = (double)(run.t_end - run.t_start) / 1e9;
    isms_bench_result_finish(res, &run.samples);
    isms_bench_samples_free(&run.samples);
    if (run.is_mix)
        isms_bench_kinds_finish(res, &run.kinds);
    for (i = 0; i < cfg->conns; i++) {
        free(run.conns[i].slots);
        free(run.conns[i].out);
        if (run.conns[i].rd.buf != NULL)
            isms_frame_reader_cleanup(&run.conns[i].rd);
    }
    free(run.conns);
    free(run.tail);
}
