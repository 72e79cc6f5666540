/* bench/pq_load.c — the baseline: ismsd's SQL issued straight to PostgreSQL, C libpq
 * connections in pipeline mode, each keeping D calls in flight on one libuv loop. A call is the
 * statements ismsd runs for it (the session lookup, then the handler's), each followed by its
 * own sync, so each commits on its own as in ismsd; but they are pipelined back to back, where
 * ismsd waits for the lookup. A call completes (its latency ends) at its last
 * PGRES_PIPELINE_SYNC. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <uv.h>

#include "baseline_sql.h"

enum phase { PHASE_WARMUP, PHASE_MEASURE, PHASE_DRAIN, PHASE_DONE };

struct pconn {
    struct prun *run;
    PGconn *pg; /* owned; PQfinish after the poll handle has closed */
    uv_poll_t poll;
    int is_polling; /* poll handle initialised: needs uv_close */
    int is_closing;
    int events;        /* what the poll handle watches now */
    uint64_t *sent_ns; /* FIFO ring of send times, cfg->depth long; owned */
    unsigned head;
    unsigned count;
    int head_failed; /* a statement of the call at the head of the FIFO failed */
    int head_syncs;  /* syncs received so far for the call at the head */
};

struct prun {
    const struct isms_bench_cfg *cfg;
    struct isms_bench_result *res;
    struct isms_bench_sql q;
    uv_loop_t loop;
    uv_timer_t timer;
    struct pconn *conns; /* cfg->conns of them; owned */
    struct isms_bench_samples samples;
    struct isms_bench_cpu cpu;
    enum phase phase;
    uint64_t t_start;
    uint64_t t_end;
    unsigned live_conns;
    uint64_t pending;
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

static void conn_close(struct pconn *c)
{
    struct prun *run = c->run;

    if (c->is_closing || !c->is_polling)
        return;
    c->is_closing = 1;
    run->live_conns--;
    run->pending -= c->count;
    c->count = 0;
    uv_poll_stop(&c->poll);
    uv_close((uv_handle_t *)&c->poll, on_close);
}

static void conn_lost(struct pconn *c)
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

/* Queues one call's statements, each with its sync; they leave at the next PQflush. */
static int send_one(struct pconn *c)
{
    struct prun *run = c->run;
    int i;

    for (i = 0; i < run->q.nstmts; i++) {
        const struct isms_bench_stmt *st = &run->q.stmt[i];

        if (!PQsendQueryParams(c->pg, st->sql, st->nparams, NULL, st->params, NULL, NULL, 0) ||
            !PQpipelineSync(c->pg))
            return -1;
    }
    c->sent_ns[(c->head + c->count) % run->cfg->depth] = uv_hrtime();
    c->count++;
    run->pending++;
    return 0;
}

/* The call at the head of the FIFO is done (its last sync arrived). */
static void complete_head(struct pconn *c)
{
    struct prun *run = c->run;
    struct isms_bench_result *res = run->res;
    uint64_t now = uv_hrtime();

    if (run->phase == PHASE_MEASURE) {
        res->calls++;
        if (c->head_failed)
            res->sql_errors++;
        else
            res->ok_calls++;
        if (isms_bench_samples_add(&run->samples, now - c->sent_ns[c->head]) != 0)
            isms_bench_result_note(res, "out of memory for latency samples");
    }
    c->head = (c->head + 1) % run->cfg->depth;
    c->count--;
    run->pending--;
    c->head_failed = 0;
    c->head_syncs = 0;
}

/* Takes every result libpq has parsed; returns how many calls completed, or -1. */
static int drain_results(struct pconn *c)
{
    struct isms_bench_result *res = c->run->res;
    int done = 0;
    int nulls = 0;

    while (c->count > 0 && !PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);

        if (r == NULL) {
            /* One NULL ends each statement's results; two in a row: nothing is left. */
            if (++nulls >= 2)
                break;
            continue;
        }
        nulls = 0;
        switch (PQresultStatus(r)) {
        case PGRES_PIPELINE_SYNC:
            if (++c->head_syncs == c->run->q.nstmts) {
                complete_head(c);
                done++;
            }
            break;
        case PGRES_TUPLES_OK:
            if (PQntuples(r) < 1) {
                res->bad_bodies++;
                isms_bench_result_note(res, "baseline statement returned no rows");
            }
            break;
        case PGRES_COMMAND_OK:
            break;
        case PGRES_PIPELINE_ABORTED:
            c->head_failed = 1;
            break;
        default: {
            const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

            c->head_failed = 1;
            isms_bench_result_note(res, "SQLSTATE %s: %s", state ? state : "?",
                                   msg ? msg : PQresStatus(PQresultStatus(r)));
            break;
        }
        }
        PQclear(r);
    }
    if (PQstatus(c->pg) == CONNECTION_BAD)
        return -1;
    return done;
}

/* Keeps D statements in flight while the run still sends. */
static int refill(struct pconn *c)
{
    struct prun *run = c->run;

    while (run->phase < PHASE_DRAIN && c->count < run->cfg->depth) {
        if (send_one(c) != 0)
            return -1;
    }
    return 0;
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Sends, reads and re-arms until no statement completes without new input. */
static void pump(struct pconn *c, int readable)
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
        if (done < 0 || refill(c) != 0) {
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
    struct pconn *c = h->data;

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
        isms_bench_result_note(run->res, "%llu statements unanswered %.0f s after the window",
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

/* Connects every connection (blocking: this is before the clock starts) and enters pipeline
 * mode. */
static int connect_all(struct prun *run)
{
    const struct isms_bench_cfg *cfg = run->cfg;
    char msg[256];
    unsigned i;
    int rc;

    for (i = 0; i < cfg->conns; i++) {
        struct pconn *c = &run->conns[i];

        c->run = run;
        c->sent_ns = calloc(cfg->depth, sizeof(*c->sent_ns));
        if (c->sent_ns == NULL) {
            isms_bench_result_fail(run->res, "out of memory for %u connections", cfg->conns);
            return -1;
        }
        c->pg = PQconnectdb(cfg->conninfo);
        if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
            isms_bench_result_fail(run->res, "could not connect to PostgreSQL (connection %u): %s",
                                   i + 1, c->pg ? pq_msg(c->pg, msg, sizeof(msg)) : "no memory");
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

void isms_bench_run_pq(const struct isms_bench_cfg *cfg, struct isms_bench_result *res)
{
    struct prun run;
    unsigned i;

    memset(res, 0, sizeof(*res));
    res->rss_kib = res->hwm_kib = -1;
    res->client_cpu_pct = res->ismsd_cpu_pct = res->box_cpu_pct = -1;
    memset(&run, 0, sizeof(run));
    run.cfg = cfg;
    run.res = res;
    isms_bench_sql_for(cfg->method, cfg->user, cfg->token, cfg->source, &run.q);
    res->stmts_per_call = run.q.nstmts;
    if (cfg->depth == 0) {
        isms_bench_result_fail(res, "depth must be at least 1");
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
        for (i = 0; i < cfg->conns && run.phase != PHASE_DONE; i++)
            pump(&run.conns[i], 0);
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
    for (i = 0; i < cfg->conns; i++) {
        if (run.conns[i].pg != NULL)
            PQfinish(run.conns[i].pg);
        free(run.conns[i].sent_ns);
    }
    free(run.conns);
}
