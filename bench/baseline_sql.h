/* bench/baseline_sql.h — the statements ismsd runs for each benchmarked call, as the baseline
 * sends them straight to PostgreSQL. The texts live in baseline_sql.c, each a copy of the
 * daemon's statement under the same name with a comment naming the daemon file; keep them
 * identical (text, parameters and their values), or the ratio ismsd/direct stops meaning "what
 * ismsd adds". `check_sql.py` compares every copy with the daemon's after preprocessing. */
#ifndef ISMS_BENCH_BASELINE_SQL_H
#define ISMS_BENCH_BASELINE_SQL_H

#include "bench.h"

/* Every statement the baseline sends. Each connection prepares all of them once (as
 * "ismsbench_<n>") before its run, as ismsd's pool prepares each statement once per connection,
 * and then sends only PQsendQueryPrepared. */
enum isms_bench_q {
    ISMS_BENCH_Q_AUTH_LOOKUP = 0,  /* daemon/auth/session.c SQL_AUTH_LOOKUP */
    ISMS_BENCH_Q_HEALTH,           /* daemon/domain/system/system.c SQL_HEALTH */
    ISMS_BENCH_Q_CONTEXT_GET,      /* daemon/domain/context/context.c SQL_CONTEXT_GET */
    ISMS_BENCH_Q_CONTEXT_UPDATE,   /* daemon/domain/context/context.c SQL_CONTEXT_UPDATE */
    ISMS_BENCH_Q_ASSET_GET,        /* daemon/domain/plan/asset.c SQL_ASSET_GET */
    ISMS_BENCH_Q_ASSET_UPDATE,     /* daemon/domain/plan/asset.c SQL_ASSET_UPDATE */
    ISMS_BENCH_Q_ASSET_LIST_FIRST, /* daemon/domain/plan/asset_bulk.c SQL_LIST_ID_ASC_FIRST */
    ISMS_BENCH_Q_ASSET_LIST,       /* daemon/domain/plan/asset_bulk.c SQL_LIST_ID_ASC */
    ISMS_BENCH_Q_RISK_GET,         /* daemon/domain/plan/risk_read.c SQL_RISK_GET */
    ISMS_BENCH_Q_RISK_PAGE,        /* daemon/domain/plan/risk_read.c SQL_RISK_PAGE */
    ISMS_BENCH_Q_RISK_LOAD,        /* daemon/domain/plan/risk.c SQL_RISK_LOAD */
    ISMS_BENCH_Q_RISK_WRITE,       /* daemon/domain/plan/risk.c SQL_RISK_WRITE */
    ISMS_BENCH_Q_SOA_PAGE,         /* daemon/domain/plan/soa.c SQL_SOA_CURRENT_PAGE */
};
#define ISMS_BENCH_Q_COUNT 13

/* Column positions the baseline reads, as the daemon's handlers read them. */
#define ISMS_BENCH_ASSET_VERSION_COL 17 /* in ASSET_COLS (domain/plan/asset.h) */
#define ISMS_BENCH_ASSET_NCOLS       22
#define ISMS_BENCH_RISK_VERSION_COL  25 /* in ISMS_RISK_COLS (domain/plan/risk.h) */
#define ISMS_BENCH_LOAD_RISK_COL     14 /* ISMS_METHOD_NCOLS: the risk's columns in SQL_RISK_LOAD */
#define ISMS_BENCH_ASSET_PAGE_ROWS   500 /* asset_bulk.c PAGE_ROWS: Asset/List reads 501 a page */

/* The text and parameter count of statement `q`. */
const char *isms_bench_q_sql(enum isms_bench_q q);
int isms_bench_q_nparams(enum isms_bench_q q);

/* One statement of a simple call with its parameter values. */
struct isms_bench_stmt {
    enum isms_bench_q q;
    int nparams;
    const char *params[8];
};

/* What one call of a simple method (health, context-get, context-update) makes ismsd run. */
struct isms_bench_sql {
    struct isms_bench_stmt stmt[2];
    int nstmts;
    char token_hash[2 + 64 + 1]; /* "\x" + hex SHA-256 of the bearer token */
};

/* The organisation name the Update benchmark sends (bench/wire_load.c uses the same). */
#define ISMS_BENCH_UPDATE_ORGANIZATION "ismsbench organisation"

/* The bytea literal daemon/auth/session.c isms_token_hash_lit() makes: "\x" + hex SHA-256. */
void isms_bench_token_hash_lit(const char *token, char out[2 + 64 + 1]);

/*
 * Fills `q` with the statements one call of simple method `m` makes ismsd run. `user` is the
 * logged-in user (updated_by and the audit actor), `token` the bearer token (NULL for public
 * methods) and `source` the address ismsd sees us at (the audit source). The strings must
 * outlive `q`.
 */
void isms_bench_sql_for(enum isms_bench_method m, const char *user, const char *token,
                        const char *source, struct isms_bench_sql *q);

#endif
