/* tests/integration/test_audit_log.c — Audit/Log's filters against a real ismsd: entity (exact,
 * and a prefix only when it ends in ':'), actor, since (a date or an RFC 3339 time), limit
 * (default 100) and after_seq paging, alone and combined, over a trail of thousands of records
 * (more than one of the daemon's 1000-row pages). Each answer is compared with the seqs an
 * independent SQL query over audit_log selects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "isms/v1/audit.pb-c.h"
#include "testlib.h"

TestSuite(audit_log, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define M_LOG "/isms.v1.Audit/Log"

/* Seeds n records straight into the chain (audit_append, as every mutation does), with
 * entities cycling user:uK / risk:R-1 / risk:R-10 / user, actors alice (2 in 3) and bob, and
 * `method`. */
static void seed(PGconn *pg, int n, const char *method)
{
    char sql[1024];

    snprintf(sql, sizeof(sql),
             "DO $$ BEGIN FOR i IN 1..%d LOOP PERFORM audit_append("
             "CASE WHEN i %% 3 = 0 THEN 'bob' ELSE 'alice' END, '127.0.0.1:1', '%s',"
             " CASE i %% 4 WHEN 0 THEN 'user:u' || (i %% 7) WHEN 1 THEN 'risk:R-1'"
             " WHEN 2 THEN 'risk:R-10' ELSE 'user' END, '{}', 'OK'); END LOOP; END $$",
             n, method);
    isms_test_pg_exec(pg, sql);
}

/* The seqs a SQL condition selects, in order, joined by ',' (heap string). */
static char *sql_seqs(PGconn *pg, const char *where, const char *limit)
{
    char sql[512];
    PGresult *r;
    char *out;

    snprintf(sql, sizeof(sql),
             "SELECT coalesce(string_agg(seq::text, ',' ORDER BY seq), '') FROM "
             "(SELECT seq FROM audit_log WHERE %s ORDER BY seq LIMIT %s) s",
             where, limit);
    r = PQexec(pg, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(r));
    out = strdup(PQgetvalue(r, 0, 0));
    cr_assert_not_null(out);
    PQclear(r);
    return out;
}

struct collected {
    char *seqs; /* joined by ',' */
    size_t len, cap, n;
    long long last;
    bool is_ordered;
};

static void on_record(const ProtobufCMessage *item, void *ud)
{
    const Isms__V1__AuditRecord *rec = (const Isms__V1__AuditRecord *)item;
    struct collected *c = ud;
    char num[32];
    int k = snprintf(num, sizeof(num), "%s%lld", c->n > 0 ? "," : "", (long long)rec->seq);

    if (c->len + (size_t)k + 1 > c->cap) {
        c->cap = (c->cap + (size_t)k + 1) * 2;
        c->seqs = realloc(c->seqs, c->cap);
        cr_assert_not_null(c->seqs);
    }
    memcpy(c->seqs + c->len, num, (size_t)k + 1);
    c->len += (size_t)k;
    if (c->n > 0 && rec->seq <= c->last)
        c->is_ordered = false;
    c->last = rec->seq;
    c->n++;
    cr_assert(rec->hash != NULL && strlen(rec->hash) == 64, "record %lld without its hash",
              (long long)rec->seq);
}

/* Runs Audit/Log and returns the seqs it streamed (free c->seqs); fails unless it ends OK. */
static void run_log(int fd, const Isms__V1__AuditLogRequest *req, struct collected *c)
{
    struct isms_test_reply rep;

    memset(c, 0, sizeof(*c));
    c->is_ordered = true;
    c->seqs = strdup("");
    c->cap = 1;
    isms_test_stream(fd, M_LOG, &req->base, &isms__v1__audit_record__descriptor, on_record, c, NULL,
                     &rep);
    isms_test_expect(&rep, 0, NULL, "Audit/Log");
    isms_test_reply_cleanup(&rep);
    cr_assert(c->is_ordered, "Audit/Log records are not in increasing seq order");
}

/* Audit/Log with `req` must return exactly the seqs that `where` (with `limit`) selects. */
static void expect_log(int fd, PGconn *pg, const Isms__V1__AuditLogRequest *req, const char *where,
                       const char *limit, size_t min_n, const char *what)
{
    struct collected c;
    char *want = sql_seqs(pg, where, limit);

    run_log(fd, req, &c);
    cr_assert_geq(c.n, min_n, "%s: %zu records, expected at least %zu", what, c.n, min_n);
    cr_assert(strcmp(c.seqs, want) == 0, "%s: got %zu records that differ from SQL's (%s)", what,
              c.n, where);
    cr_log_info("%s: %zu records", what, c.n);
    free(want);
    free(c.seqs);
}

Test(audit_log, every_filter_alone_combined_and_paged)
{
    Isms__V1__AuditLogRequest req = ISMS__V1__AUDIT_LOG_REQUEST__INIT;
    struct isms_test_env env;
    struct collected c;
    char since_b[64], where[256];
    long long first_b;
    PGconn *pg;
    PGresult *r;
    size_t pages = 0, total = 0;
    char *want, *got;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    pg = isms_test_pg_connect(env.db.conninfo);
    seed(pg, 1500, "/isms.v1.Test/SeedA");
    isms_test_sleep_ms(20); /* batch B starts strictly later */
    seed(pg, 1300, "/isms.v1.Test/SeedB");
    first_b = isms_test_pg_scalar(
        pg, "SELECT min(seq) FROM audit_log WHERE method = '/isms.v1.Test/SeedB'", 0, NULL);
    r = PQexec(pg, "SELECT audit_ts(at) FROM audit_log WHERE method = '/isms.v1.Test/SeedB' "
                   "ORDER BY seq LIMIT 1");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    snprintf(since_b, sizeof(since_b), "%s", PQgetvalue(r, 0, 0));
    PQclear(r);

    /* No filter: the default limit is 100, oldest first. */
    expect_log(fd, pg, &req, "true", "100", 100, "no filter, default limit");
    /* Everything, across several of the daemon's 1000-row pages. */
    req.limit = 100000;
    expect_log(fd, pg, &req, "true", "ALL", 2800, "no filter, limit 100000");

    /* entity: exact match, so "risk:R-1" is not "risk:R-10" */
    req.entity = "risk:R-1";
    expect_log(fd, pg, &req, "entity = 'risk:R-1'", "ALL", 700, "entity risk:R-1");
    /* ... and a prefix only when it ends in ':' ("user" itself is not under "user:") */
    req.entity = "user:";
    expect_log(fd, pg, &req, "entity LIKE 'user:%'", "ALL", 700, "entity prefix user:");
    req.entity = "user";
    expect_log(fd, pg, &req, "entity = 'user'", "ALL", 700, "entity user (exact)");
    req.entity = "risk:R-";
    expect_log(fd, pg, &req, "false", "ALL", 0, "entity risk:R- (no such entity)");
    req.entity = "";

    /* actor: more than a page of alice's */
    req.actor = "alice";
    expect_log(fd, pg, &req, "actor = 'alice'", "ALL", 1800, "actor alice");
    req.actor = "nobody";
    expect_log(fd, pg, &req, "false", "ALL", 0, "actor nobody");
    req.actor = "";

    /* since: a date, and an RFC 3339 time (the first record of batch B, included) */
    req.since = "2000-01-01";
    expect_log(fd, pg, &req, "true", "ALL", 2800, "since 2000-01-01");
    req.since = "2999-01-01";
    expect_log(fd, pg, &req, "false", "ALL", 0, "since 2999-01-01");
    req.since = since_b;
    snprintf(where, sizeof(where), "seq >= %lld", first_b);
    expect_log(fd, pg, &req, where, "ALL", 1300, "since batch B's first record");

    /* All of them at once, with a limit. */
    req.entity = "user:";
    req.actor = "bob";
    req.limit = 7;
    snprintf(where, sizeof(where), "seq >= %lld AND entity LIKE 'user:%%' AND actor = 'bob'",
             first_b);
    expect_log(fd, pg, &req, where, "7", 7, "entity user: + actor bob + since B, limit 7");
    req.limit = 100000;
    expect_log(fd, pg, &req, where, "ALL", 100, "entity user: + actor bob + since B");
    req.actor = "alice";
    snprintf(where, sizeof(where), "seq >= %lld AND entity LIKE 'user:%%' AND actor = 'alice'",
             first_b);
    expect_log(fd, pg, &req, where, "ALL", 200, "entity user: + actor alice + since B");

    /* Paging: after_seq = the last seq seen, 50 at a time, gives the same list with no gaps or
     * repeats, and ends with a short (or empty) page. */
    want = sql_seqs(pg, where, "ALL");
    got = strdup("");
    cr_assert_not_null(got);
    req.limit = 50;
    req.after_seq = 0;
    for (;;) {
        size_t glen = strlen(got);
        char *ng;

        run_log(fd, &req, &c);
        pages++;
        total += c.n;
        ng = realloc(got, glen + c.len + 2);
        cr_assert_not_null(ng);
        got = ng;
        snprintf(got + glen, c.len + 2, "%s%s", glen > 0 && c.n > 0 ? "," : "", c.seqs);
        free(c.seqs);
        cr_assert_leq(c.n, 50, "a page of limit 50 had %zu records", c.n);
        if (c.n < 50)
            break;
        req.after_seq = c.last;
        cr_assert_lt(pages, 1000, "paging does not end");
    }
    cr_assert(strcmp(got, want) == 0,
              "paging by after_seq gave %zu records that differ from "
              "one unpaged answer",
              total);
    cr_log_info("paged %zu records in %zu pages", total, pages);
    free(got);
    free(want);
    /* after_seq alone: only later records. */
    req.entity = req.actor = req.since = "";
    req.limit = 100000;
    req.after_seq = first_b - 1;
    snprintf(where, sizeof(where), "seq > %lld", first_b - 1);
    expect_log(fd, pg, &req, where, "ALL", 1300, "after_seq alone");
    isms_test_finish();
}

Test(audit_log, bad_filters_are_invalid_argument)
{
    static const struct {
        const char *since;
        uint32_t limit;
        int64_t after_seq;
        const char *needle;
    } cases[] = {
        {"yesterday", 0, 0, "since \"yesterday\" is not a date"},
        {"2024-13-45", 0, 0, "since \"2024-13-45\" is not a date"},
        {"2024-01-01Tnoon", 0, 0, "is not a date"},
        {"", 100001, 0, "limit must be at most 100000"},
        {"", 0, -1, "after_seq not negative"},
    };
    Isms__V1__AuditLogRequest req = ISMS__V1__AUDIT_LOG_REQUEST__INIT;
    struct isms_test_env env;
    struct isms_test_reply rep;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char what[96];

        req.since = (char *)cases[i].since;
        req.limit = cases[i].limit;
        req.after_seq = cases[i].after_seq;
        snprintf(what, sizeof(what), "Audit/Log case %zu", i);
        isms_test_stream(fd, M_LOG, &req.base, NULL, NULL, NULL, NULL, &rep);
        isms_test_expect(&rep, 3, cases[i].needle, what);
        isms_test_reply_cleanup(&rep);
    }
    /* The connection still serves. */
    req.since = "";
    req.limit = 1;
    req.after_seq = 0;
    isms_test_stream(fd, M_LOG, &req.base, NULL, NULL, NULL, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Audit/Log after bad filters");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}
