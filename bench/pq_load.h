/* bench/pq_load.h — the baseline engine (pq_load.c) as its workloads see it. A run keeps
 * `depth` call slots busy on each libpq connection, in pipeline mode. A slot's call sends one or
 * more prepared statements, each followed by its own sync (so each commits on its own, as in
 * ismsd); the engine hands every result and every sync back to the slot's workload, which may
 * send the call's next statement, and completes the call when no statement of it is left. */
#ifndef ISMS_BENCH_PQ_LOAD_H
#define ISMS_BENCH_PQ_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "baseline_sql.h"
#include "bench.h"
#include "plan_mix.h"

struct isms_bench_pq_conn;

/* One call slot. The workload owns `op`, `step`, `code` and the scratch buffer. */
struct isms_bench_pq_slot {
    struct isms_bench_pq_conn *conn;
    const struct isms_bench_cfg *cfg;
    const char *token_hash; /* the session lookup's parameter */
    uint16_t idx;
    int is_busy;
    uint64_t sent_ns;
    int outstanding; /* statements sent whose sync has not come back */
    int is_failed;   /* a statement failed (SQL error or aborted pipeline) */
    int code;        /* the call's outcome as ismsd would answer it: ISMS_OK, ISMS_ABORTED, ... */
    struct isms_bench_op op;
    int step;
    char *buf; /* scratch: values a later statement of the call sends; owned */
    size_t cap;
};

/* Queues statement `q` with `params` (isms_bench_q_nparams(q) of them; copied by libpq) and its
 * sync on the slot's connection. Returns 0, or -1 when libpq refuses (connection broken). */
int isms_bench_pq_send(struct isms_bench_pq_slot *s, enum isms_bench_q q,
                       const char *const *params);

/* Turns JIT off and prepares every baseline statement on `pg` as "ismsbench_<n>", as ismsd's
 * pool does on each of its connections. Blocking. Returns 0, or -1 with `err`. */
int isms_bench_pq_prepare(PGconn *pg, char *err, size_t errlen);

/* The plan-mix workload (pq_plan.c): starts the slot's next call, takes a result of statement
 * `q` of it, and takes the sync that ends `q` (sending what comes next). Each returns 0, or -1
 * when a statement could not be sent. */
int isms_bench_pq_plan_start(struct isms_bench_pq_slot *s);
void isms_bench_pq_plan_result(struct isms_bench_pq_slot *s, enum isms_bench_q q,
                               const PGresult *res);
int isms_bench_pq_plan_sync(struct isms_bench_pq_slot *s, enum isms_bench_q q);

#endif
