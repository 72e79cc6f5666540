/* bench/baseline_sql.c — which of the daemon's statements one call runs, with its parameters.
 * A call to a non-public method runs the session lookup first, then the handler's statement. */
#include "baseline_sql.h"

#include <string.h>

#include <sodium.h>

static void stmt_set(struct isms_bench_stmt *s, const char *sql, int nparams)
{
    memset(s, 0, sizeof(*s));
    s->sql = sql;
    s->nparams = nparams;
}

/* The bytea literal daemon/auth/session.c isms_token_hash_lit() makes: "\x" + hex SHA-256. */
static void token_hash_lit(const char *token, char out[2 + 64 + 1])
{
    unsigned char h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    out[0] = '\\';
    out[1] = 'x';
    sodium_bin2hex(out + 2, 64 + 1, h, sizeof(h));
}

void isms_bench_sql_for(enum isms_bench_method m, const char *user, const char *token,
                        const char *source, struct isms_bench_sql *q)
{
    struct isms_bench_stmt *s;

    memset(q, 0, sizeof(*q));
    if (m == ISMS_BENCH_HEALTH) {
        stmt_set(&q->stmt[0], ISMS_BENCH_SQL_HEALTH, 0);
        q->nstmts = 1;
        return;
    }
    token_hash_lit(token != NULL ? token : "", q->token_hash);
    stmt_set(&q->stmt[0], ISMS_BENCH_SQL_AUTH_LOOKUP, 1);
    q->stmt[0].params[0] = q->token_hash;
    s = &q->stmt[1];
    q->nstmts = 2;
    if (m == ISMS_BENCH_CONTEXT_GET) {
        stmt_set(s, ISMS_BENCH_SQL_CONTEXT_GET, 0);
        return;
    }
    stmt_set(s, ISMS_BENCH_SQL_CONTEXT_UPDATE, 7);
    s->params[0] = "true";
    s->params[1] = ISMS_BENCH_UPDATE_ORGANIZATION;
    s->params[2] = "false";
    s->params[3] = "";
    s->params[4] = "0";
    s->params[5] = user;
    s->params[6] = source;
}
