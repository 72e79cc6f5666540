/* bench/seed.h — the data the Plan-phase methods need, created through ismsd's own RPCs (so it
 * obeys every rule the daemon enforces and leaves the audit records real use would): risk
 * owners with User/Create, assets with Asset/Import in batches of ISMS_BENCH_IMPORT_BATCH, risks
 * with Risk/Create (pipelined). Names carry a random tag, so runs never collide; each run adds
 * its data to the database, so give the benchmark a throwaway one. */
#ifndef ISMS_BENCH_SEED_H
#define ISMS_BENCH_SEED_H

#include <stddef.h>

#include "plan_mix.h"

#define ISMS_BENCH_IMPORT_BATCH 1000 /* rows per Asset/Import: about 160 KB, well within 4 MiB */
#define ISMS_BENCH_OWNERS       8    /* risk owners created for the plan-mix risks */

/* What a seeding step did, for the report. */
struct isms_bench_seed_report {
    size_t users, assets, risks; /* created */
    size_t assets_before;        /* in the inventory before (inventory top-up) */
    double users_s, assets_s, risks_s;
    double analyze_s; /* VACUUM ANALYZE afterwards; -1 not run */
};

/* Creates ISMS_BENCH_OWNERS risk owners (active users with role risk_owner), `nassets` assets
 * and `nrisks` risks, each risk owned by one of the owners and naming 1 to 3 of the new assets,
 * rated on likelihood and impact 1..3, and adds them to `plan`. Needs an admin token. Returns 0,
 * or -1 with `err`. */
int isms_bench_seed_plan(const char *host, const char *port, const char *token, size_t nassets,
                         size_t nrisks, struct isms_bench_plan *plan,
                         struct isms_bench_seed_report *rep, char *err, size_t errlen);

/* Imports assets until the inventory holds at least `total`. Returns 0, or -1 with `err`. */
int isms_bench_seed_inventory(const char *host, const char *port, const char *token, size_t total,
                              struct isms_bench_seed_report *rep, char *err, size_t errlen);

/* Runs VACUUM ANALYZE on the database `conninfo` names, so the planner's statistics describe
 * the seeded data whatever autovacuum has done yet, and runs are repeatable. Sets
 * rep->analyze_s. Returns 0, or -1 with `err`. */
int isms_bench_seed_analyze(const char *conninfo, struct isms_bench_seed_report *rep, char *err,
                            size_t errlen);

#endif
