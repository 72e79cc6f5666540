/* bench/plan_mix.h — the plan-mix workload: a data set of seeded assets and risks with the
 * version of each the client last saw, and the choice of the next operation. 80% reads
 * (Asset/Get, Risk/Get, Asset/List and Risk/List first pages of 50, 20% each) and 20% writes
 * (Asset/Update and Risk/Update of the description with expected_version, 10% each), on items
 * drawn uniformly. A write that finds its version stale (ABORTED) is counted as a conflict and
 * retried the way a client would: Get the item for its current version, then Update again.
 * The wire runner (wire_load.c) and the baseline (pq_plan.c) share one data set, so versions
 * carry over from run to run. */
#ifndef ISMS_BENCH_PLAN_MIX_H
#define ISMS_BENCH_PLAN_MIX_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "bench.h"

#define ISMS_BENCH_LIST_PAGE 50 /* Asset/List and Risk/List ask for this many */

struct isms_bench_plan {
    int64_t *asset_num; /* seeded assets: A-<num> */
    int64_t *asset_ver; /* the highest version seen of each */
    size_t nassets;
    int64_t *risk_num; /* seeded risks: R-<num> */
    int64_t *risk_ver;
    size_t nrisks;
    uint64_t rng;   /* xorshift64 state, never 0 */
    uint64_t edits; /* numbers the descriptions updates write */
};

/* One call of the workload, and what follows it on the same slot. */
struct isms_bench_op {
    enum isms_bench_kind kind;
    size_t idx;       /* into asset_* or risk_* */
    int64_t expected; /* updates: the expected_version sent */
    uint64_t edit;    /* updates: the edit number in the new description */
    int next;         /* what the slot does next: NEXT_RANDOM, NEXT_REFRESH, NEXT_RETRY */
};

/* Initialises an empty data set; `seed` seeds the choice of operations (0 picks one). */
void isms_bench_plan_init(struct isms_bench_plan *p, uint64_t seed);
void isms_bench_plan_free(struct isms_bench_plan *p);

/* Adds one seeded item with the version it was created at. Returns 0, or -1 (no memory). */
int isms_bench_plan_add_asset(struct isms_bench_plan *p, int64_t num, int64_t version);
int isms_bench_plan_add_risk(struct isms_bench_plan *p, int64_t num, int64_t version);

/* A number in [0, n) from the data set's generator. */
uint64_t isms_bench_plan_rand(struct isms_bench_plan *p, uint64_t n);

/* Sets `op` to the next call of its slot: a random one, or after a conflict the Get that
 * refreshes the version and then the retried update. `op` starts zeroed. */
void isms_bench_plan_next(struct isms_bench_plan *p, struct isms_bench_op *op);

/* Records how `op` ended (gRPC code) so the slot's next call retries a conflicted update. */
void isms_bench_plan_done(struct isms_bench_op *op, int code);

/* Records that the client saw asset (is_risk 0) or risk `idx` at `version`. */
void isms_bench_plan_seen(struct isms_bench_plan *p, int is_risk, size_t idx, int64_t version);

/* The RPC of `op` and its request packed into a fresh buffer (free it); NULL when out of
 * memory. */
uint8_t *isms_bench_plan_request(struct isms_bench_plan *p, const struct isms_bench_op *op,
                                 const char **method, size_t *len);

/* The description an update writes: "ismsbench edit <n>". */
void isms_bench_plan_description(const struct isms_bench_op *op, char *buf, size_t len);

/* Reads the version out of the OK answer to `op` (Get and Update answer with the record) into
 * the data set. Returns 0, or -1 when the body does not decode. */
int isms_bench_plan_answer(struct isms_bench_plan *p, const struct isms_bench_op *op,
                           const ProtobufCBinaryData *body);

#endif
