/* bench/pq_load.c — the baseline: ismsd's SQL issued straight to PostgreSQL by C libpq
 * connections in pipeline mode on one libuv loop, each keeping D calls in flight. Every
 * connection turns JIT off and prepares each statement once before the clock starts, as ismsd's
 * pool does, and then sends only PQsendQueryPrepared. A call is the statements ismsd runs for
 * it, each followed by its own sync, so each commits on its own as in ismsd. Statements that do
 * not depend on each other (the session lookup and the handler's first statement) are
 * pipelined back to back, where ismsd waits for the lookup; a statement that needs an earlier
 * one's result (Risk/Update: load, then write, then read back) waits for it, as in ismsd. A
 * call completes (its latency ends) at its last PGRES_PIPELINE_SYNC. */
#include "pq_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

enum phase { PHASE_WARMUP, PHASE_MEASURE, PHASE_DRAIN, PHASE_DONE };

/* At most this many statements of one call are in flight at once (lookup + first statement). */
#define STMTS_IN_FLIGHT 2

/* One statement sent and not yet synced: whose it is. */
struct sent {
    uint16_t slot;
    uint8_t q;
};

struct isms_bench_pq_conn {
    struct prun *run;
    PGconn *pg; /* owned; PQfinish after the poll handle has closed */
    uv_poll_t poll;
    int is_polling; /* poll handle initialised: needs uv_close */
    int is_closing;
    int events;                       /* what the poll handle watches now */
    struct isms_bench_pq_slot *slots; /* cfg->depth of them; owned */
    struct sent *fifo;                /* ring of statements in flight, in order; owned */
    unsigned fifo_cap;
    unsigned head;
    unsigned count;
    unsigned busy; /* slots with a call in flight */
};

struct prun {
    const struct isms_bench_cfg *cfg;
    struct isms_bench_result *res;
    struct isms_bench_sql q; /* simple methods: the statements of every call */
    int is_mix;
    uv_loop_t loop;
    uv_timer_t timer;
    struct isms_bench_pq_conn *conns; /* cfg->conns of them; owned */
    struct isms_bench_samples samples;
    struct isms_bench_kind_samples kinds;
    struct isms_bench_cpu cpu;
    enum phase phase;
    uint64_t t_start;
    uint64_t t_end;
    unsigned live_conns;
    uint64_t pending; /* calls in flight over all connections */
};

static void finish(struct prun *run);

static void on_close(uv_handle_t *h)
{
    (void)h;
}

/* First line of libpq's message, without the trailing newline. */
static const char *pq_msg(PGconn *pg, char *buf, size_t len)
{
    size_t n;

    snprintf(buf, len, "%s", PQerrorMessage(pg));
    n = strcspn(buf, "\n");
    buf[n] = '\0';
    return buf;
}

static void conn_close(struct isms_bench_pq_conn *c)
{
    struct prun *run = c->run;

    if (c->is_closing || !c->is_polling)
        return;
    c->is_closing = 1;
    run->live_conns--;
    run->pending -= c->busy;
    c->busy = 0;
    uv_poll_stop(&c->poll);
    uv_close((uv_handle_t *)&c->poll, on_close);
}

static void conn_lost(struct isms_bench_pq_conn *c)
{
    struct prun *run = c->run;
    char msg[256];

    if (run->phase == PHASE_DONE)
        return;
    run->res->transport_errors++;
    isms_bench_result_note(run->res, "connection lost: %s", pq_msg(c->pg, msg, sizeof(msg)));
    conn_close(c);
    if (run->live_conns == 0 && run->phase != PHASE_DRAIN)
        isms_bench_result_fail(run->res, "every PostgreSQL connection was lost (%s)", msg);
    if (run->live_conns == 0 || (run->phase == PHASE_DRAIN && run->pending == 0))
        finish(run);
}

int isms_bench_pq_send(struct isms_bench_pq_slot *s, enum isms_bench_q q, const char *const *params)
{
    struct isms_bench_pq_conn *c = s->conn;
    char name[24];
    struct sent *e;

    if (c->count == c->fifo_cap)
        return -1; /* a workload sent more than STMTS_IN_FLIGHT at once: a bug */
    snprintf(name, sizeof(name), "ismsbench_%d", (int)q);
    if (!PQsendQueryPrepared(c->pg, name, isms_bench_q_nparams(q), params, NULL, NULL, 0) ||
        !PQpipelineSync(c->pg))
        return -1;
    e = &c->fifo[(c->head + c->count) % c->fifo_cap];
    e->slot = s->idx;
    e->q = (uint8_t)q;
    c->count++;
    s->outstanding++;
    return 0;
}

/* Starts the next call on slot `s`. */
static int start_call(struct isms_bench_pq_slot *s)
{
    struct prun *run = s->conn->run;
    int i;

    s->is_busy = 1;
    s->is_failed = 0;
    s->code = ISMS_OK;
    s->step = 0;
    s->sent_ns = uv_hrtime();
    s->conn->busy++;
    run->pending++;
    if (run->is_mix)
        return isms_bench_pq_plan_start(s);
    for (i = 0; i < run->q.nstmts; i++) {
        if (isms_bench_pq_send(s, run->q.stmt[i].q, run->q.stmt[i].params) != 0)
            return -1;
    }
    return 0;
}

/* The last statement of slot `s`'s call has synced: count the call, start the next. */
static int complete_call(struct isms_bench_pq_slot *s)
{
    struct prun *run = s->conn->run;
    struct isms_bench_result *res = run->res;
    uint64_t now = uv_hrtime();
    int code = s->is_failed ? ISMS_INTERNAL : s->code;

    if (run->phase == PHASE_MEASURE) {
        res->calls++;
        if (s->is_failed)
            res->sql_errors++;
        else if (code == ISMS_OK)
            res->ok_calls++;
        if (code >= 0 && code < ISMS_BENCH_CODE_SLOTS - 1)
            res->codes[code]++;
        if (isms_bench_samples_add(&run->samples, now - s->sent_ns) != 0)
            isms_bench_result_note(res, "out of memory for latency samples");
        if (run->is_mix)
            isms_bench_kind_add(res, &run->kinds, s->op.kind, code, now - s->sent_ns);
    }
    if (run->is_mix)
        isms_bench_plan_done(&s->op, code);
    s->is_busy = 0;
    s->conn->busy--;
    run->pending--;
    if (run->phase < PHASE_DRAIN)
        return start_call(s);
    return 0;
}

/* One result of the statement at the head of the FIFO. */
static void take_result(struct isms_bench_pq_conn *c, const struct sent *e, const PGresult *r)
{
    struct prun *run = c->run;
    struct isms_bench_result *res = run->res;
    struct isms_bench_pq_slot *s = &c->slots[e->slot];

    switch (PQresultStatus(r)) {
    case PGRES_TUPLES_OK:
        if (PQntuples(r) < 1) {
            if (run->phase == PHASE_MEASURE)
                res->bad_bodies++;
            isms_bench_result_note(res, "baseline statement %d returned no rows", (int)e->q);
        } else if (run->is_mix && !s->is_failed) {
            isms_bench_pq_plan_result(s, (enum isms_bench_q)e->q, r);
        }
        break;
    case PGRES_COMMAND_OK:
        break;
    case PGRES_PIPELINE_ABORTED:
        s->is_failed = 1;
        break;
    default: {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

        s->is_failed = 1;
        isms_bench_result_note(res, "SQLSTATE %s: %s", state ? state : "?",
                               msg ? msg : PQresStatus(PQresultStatus(r)));
        break;
    }
    }
}

/* Takes every result libpq has parsed; returns how many calls completed, or -1. */
static int drain_results(struct isms_bench_pq_conn *c)
{
    struct prun *run = c->run;
    int done = 0;
    int nulls = 0;

    while (c->count > 0 && !PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        struct sent e;
        struct isms_bench_pq_slot *s;

        if (r == NULL) {
            /* One NULL ends each statement's results; two in a row: nothing is left. */
            if (++nulls >= 2)
                break;
            continue;
        }
        nulls = 0;
        e = c->fifo[c->head];
        s = &c->slots[e.slot];
        if (PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
            take_result(c, &e, r);
            PQclear(r);
            continue;
        }
        PQclear(r);
        c->head = (c->head + 1) % c->fifo_cap;
        c->count--;
        s->outstanding--;
        if (run->phase == PHASE_MEASURE)
            run->res->statements++;
        if (run->is_mix && !s->is_failed && isms_bench_pq_plan_sync(s, (enum isms_bench_q)e.q) != 0)
            return -1;
        if (s->outstanding == 0) {
            if (complete_call(s) != 0)
                return -1;
            done++;
        }
    }
    if (PQstatus(c->pg) == CONNECTION_BAD)
        return -1;
    return done;
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Reads, sends and re-arms until no call completes without new input. */
static void pump(struct isms_bench_pq_conn *c, int readable)
{
    struct prun *run = c->run;
    int flushed, done, want;
    int idle_rounds = 0;

    if (readable && !PQconsumeInput(c->pg)) {
        conn_lost(c);
        return;
    }
    for (;;) {
        done = drain_results(c);
        if (done < 0) {
            conn_lost(c);
            return;
        }
        flushed = PQflush(c->pg);
        if (flushed < 0) {
            conn_lost(c);
            return;
        }
        if (done > 0) {
            idle_rounds = 0;
            continue;
        }
        /* A flush that would block reads input into libpq's buffer: parse it before polling,
         * as the socket may never turn readable for bytes libpq already holds. */
        if (++idle_rounds >= 2 || c->count == 0 || PQisBusy(c->pg))
            break;
    }
    if (run->phase == PHASE_DRAIN && run->pending == 0) {
        finish(run);
        return;
    }
    want = UV_READABLE | (flushed == 1 ? UV_WRITABLE : 0);
    if (want != c->events) {
        c->events = want;
        uv_poll_start(&c->poll, want, on_poll);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct isms_bench_pq_conn *c = h->data;

    if (c->is_closing)
        return;
    if (status < 0) {
        conn_lost(c);
        return;
    }
    pump(c, (events & UV_READABLE) != 0);
}

/* Closes the measured window: its end time and the client's CPU clock. */
static void end_window(struct prun *run)
{
    run->t_end = uv_hrtime();
    isms_bench_cpu_stop(&run->cpu, 0, (double)(run->t_end - run->t_start) / 1e9, run->res);
}

static void on_timer(uv_timer_t *t)
{
    struct prun *run = t->data;

    if (run->phase == PHASE_WARMUP) {
        run->phase = PHASE_MEASURE;
        run->t_start = uv_hrtime();
        isms_bench_cpu_start(&run->cpu, 0);
        uv_timer_start(&run->timer, on_timer, (uint64_t)(run->cfg->seconds * 1000.0), 0);
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

static void finish(struct prun *run)
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

/* Turns JIT off and prepares every statement, as ismsd's pool does for its connections
 * (db/pool.c: SQL_SESSION_INIT, then PQsendPrepare once per statement). Blocking: this is
 * before the clock starts. */
int isms_bench_pq_prepare(PGconn *pg, char *err, size_t errlen)
{
    PGresult *r = PQexec(pg, "SELECT set_config('jit', 'off', false)");
    char name[24];
    int q;

    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "could not turn JIT off: %s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    PQclear(r);
    for (q = 0; q < ISMS_BENCH_Q_COUNT; q++) {
        snprintf(name, sizeof(name), "ismsbench_%d", q);
        r = PQprepare(pg, name, isms_bench_q_sql((enum isms_bench_q)q),
                      isms_bench_q_nparams((enum isms_bench_q)q), NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            snprintf(err, errlen, "could not prepare statement %d: %s", q, PQresultErrorMessage(r));
            PQclear(r);
            return -1;
        }
        PQclear(r);
    }
    return 0;
}

/* Connects every connection (blocking: this is before the clock starts), prepares the
 * statements and enters pipeline mode. */
static int connect_all(struct prun *run)
{
    const struct isms_bench_cfg *cfg = run->cfg;
    char msg[512];
    unsigned i, j;
    int rc;

    for (i = 0; i < cfg->conns; i++) {
        struct isms_bench_pq_conn *c = &run->conns[i];

        c->run = run;
        c->fifo_cap = cfg->depth * STMTS_IN_FLIGHT;
        c->slots = calloc(cfg->depth, sizeof(*c->slots));
        c->fifo = calloc(c->fifo_cap, sizeof(*c->fifo));
        if (c->slots == NULL || c->fifo == NULL) {
            isms_bench_result_fail(run->res, "out of memory for %u connections", cfg->conns);
            return -1;
        }
        for (j = 0; j < cfg->depth; j++) {
            c->slots[j].conn = c;
            c->slots[j].cfg = cfg;
            c->slots[j].token_hash = run->q.token_hash;
            c->slots[j].idx = (uint16_t)j;
        }
        c->pg = PQconnectdb(cfg->conninfo);
        if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
            isms_bench_result_fail(run->res, "could not connect to PostgreSQL (connection %u): %s",
                                   i + 1, c->pg ? pq_msg(c->pg, msg, sizeof(msg)) : "no memory");
            return -1;
        }
        if (isms_bench_pq_prepare(c->pg, msg, sizeof(msg)) != 0) {
            isms_bench_result_fail(run->res, "%s", msg);
            return -1;
        }
        if (PQsetnonblocking(c->pg, 1) != 0 || !PQenterPipelineMode(c->pg)) {
            isms_bench_result_fail(run->res, "could not enter pipeline mode: %s",
                                   pq_msg(c->pg, msg, sizeof(msg)));
            return -1;
        }
        rc = uv_poll_init_socket(&run->loop, &c->poll, PQsocket(c->pg));
        if (rc < 0) {
            isms_bench_result_fail(run->res, "could not poll a PostgreSQL socket: %s",
                                   uv_strerror(rc));
            return -1;
        }
        c->poll.data = c;
        c->is_polling = 1;
        run->live_conns++;
    }
    return 0;
}

/* Fills every slot of every connection with a call. */
static void start_all(struct prun *run)
{
    unsigned i, j;

    for (i = 0; i < run->cfg->conns && run->phase != PHASE_DONE; i++) {
        struct isms_bench_pq_conn *c = &run->conns[i];

        for (j = 0; j < run->cfg->depth && !c->is_closing; j++) {
            if (start_call(&c->slots[j]) != 0)
                conn_lost(c);
        }
        if (!c->is_closing)
            pump(c, 0);
    }
}

void isms_bench_run_pq(const struct isms_bench_cfg *cfg, struct isms_bench_result *res)
{
    struct prun run;
    unsigned i, j;

    memset(res, 0, sizeof(*res));
    res->rss_kib = res->hwm_kib = -1;
    res->client_cpu_pct = res->ismsd_cpu_pct = res->box_cpu_pct = res->load1 = -1;
    memset(&run, 0, sizeof(run));
    run.cfg = cfg;
    run.res = res;
    run.is_mix = cfg->method == ISMS_BENCH_PLAN_MIX;
    if (run.is_mix) {
        isms_bench_token_hash_lit(cfg->token != NULL ? cfg->token : "", run.q.token_hash);
        if (cfg->plan == NULL || cfg->plan->nassets == 0 || cfg->plan->nrisks == 0) {
            isms_bench_result_fail(res, "plan-mix needs seeded assets and risks");
            return;
        }
    } else {
        isms_bench_sql_for(cfg->method, cfg->user, cfg->token, cfg->source, &run.q);
        res->stmts_per_call = run.q.nstmts;
    }
    if (cfg->depth == 0 || cfg->depth > UINT16_MAX) {
        isms_bench_result_fail(res, "depth must be between 1 and %u", (unsigned)UINT16_MAX);
        return;
    }
    run.conns = calloc(cfg->conns, sizeof(*run.conns));
    if (run.conns == NULL || uv_loop_init(&run.loop) != 0) {
        isms_bench_result_fail(res, "could not set up the event loop");
        free(run.conns);
        return;
    }
    uv_timer_init(&run.loop, &run.timer);
    run.timer.data = &run;
    if (connect_all(&run) == 0) {
        uv_timer_start(&run.timer, on_timer, (uint64_t)(cfg->warmup_s * 1000.0), 0);
        start_all(&run);
    } else {
        finish(&run);
    }
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
        struct isms_bench_pq_conn *c = &run.conns[i];

        if (c->pg != NULL)
            PQfinish(c->pg);
        for (j = 0; c->slots != NULL && j < cfg->depth; j++)
            free(c->slots[j].buf);
        free(c->slots);
        free(c->fifo);
    }
    free(run.conns);
}
