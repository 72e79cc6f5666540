/* tests/integration/test_multi_instance.c — several ismsd instances on one database: a session
 * made on one is valid on the other, and concurrent writes through both leave one audit chain
 * without forks or gaps (the advisory lock on the chain head). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "isms/v1/audit.pb-c.h"
#include "testlib.h"

TestSuite(multi_instance, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define CALLS_PER_INSTANCE 150

/* Pipelines `n` AddIssue calls on `fd` (all sent before any answer is read). */
static void send_issues(int fd, const char *tag, int n, uint64_t first_id)
{
    for (int i = 0; i < n; i++) {
        Isms__V1__AddIssueRequest req = ISMS__V1__ADD_ISSUE_REQUEST__INIT;
        char desc[64];

        snprintf(desc, sizeof(desc), "%s issue %d", tag, i);
        req.kind = (char *)(i % 2 ? "internal" : "external");
        req.description = desc;
        isms_test_send_request(fd, first_id + (uint64_t)i, ISMS_M_CTX_ADD_ISSUE, 0, &req.base);
    }
}

/* Reads `n` responses from `fd` and fails unless every one is OK. */
static void expect_ok(int fd, int n, const char *what)
{
    for (int i = 0; i < n; i++) {
        Isms__V1__Response *r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, what);

        cr_assert_eq(r->code, 0, "%s: call %llu answered %d: %s", what,
                     (unsigned long long)r->call_id, r->code, r->message);
        isms__v1__response__free_unpacked(r, NULL);
    }
}

Test(multi_instance, concurrent_writes_through_two_instances_keep_one_chain)
{
    struct isms_test_env env;
    struct isms_test_server second;
    Isms__V1__AuditVerifyRequest vreq = ISMS__V1__AUDIT_VERIFY_REQUEST__INIT;
    struct isms_test_reply rep;
    const Isms__V1__AuditVerifyResponse *v;
    PGconn *pg;
    int fd1, fd2;
    long long rows, max_seq, issues;

    isms_test_env_start(&env, NULL);
    isms_test_server_start_db(&second, &env.db, NULL);
    fd1 = isms_test_connect(env.srv.port);
    fd2 = isms_test_connect(second.port);

    /* The session token from the first instance's login is honoured by the second. */
    send_issues(fd1, "one", CALLS_PER_INSTANCE, 1);
    send_issues(fd2, "two", CALLS_PER_INSTANCE, 100001);
    expect_ok(fd1, CALLS_PER_INSTANCE, "AddIssue through instance 1");
    expect_ok(fd2, CALLS_PER_INSTANCE, "AddIssue through instance 2");

    pg = isms_test_pg_connect(env.db.conninfo);
    rows = isms_test_pg_scalar(pg, "SELECT count(*) FROM audit_log", 0, NULL);
    max_seq = isms_test_pg_scalar(pg, "SELECT max(seq) FROM audit_log", 0, NULL);
    issues = isms_test_pg_scalar(pg, "SELECT count(*) FROM context_issue", 0, NULL);
    cr_assert_eq(issues, 2 * CALLS_PER_INSTANCE, "expected %d issues, found %lld",
                 2 * CALLS_PER_INSTANCE, issues);
    cr_assert_eq(rows, max_seq, "audit chain has gaps: %lld rows, highest seq %lld", rows, max_seq);
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM audit_log a JOIN audit_log b"
                                     " ON b.seq = a.seq + 1 WHERE b.prev_hash <> a.hash",
                                     0, NULL),
                 0, "a record does not link to its predecessor (forked chain)");

    /* Both instances verify the same intact chain. */
    for (int k = 0; k < 2; k++) {
        isms_test_unary(k == 0 ? fd1 : fd2, "/isms.v1.Audit/Verify", &vreq.base, 0,
                        &isms__v1__audit_verify_response__descriptor, &rep);
        isms_test_expect(&rep, 0, NULL, "Audit/Verify");
        v = (const Isms__V1__AuditVerifyResponse *)rep.body;
        cr_assert(v->ok, "instance %d: chain broken at %lld: %s", k + 1,
                  (long long)v->first_bad_seq, v->problem);
        cr_assert_eq(v->records, rows, "instance %d verified %lld of %lld records", k + 1,
                     (long long)v->records, rows);
        isms_test_reply_cleanup(&rep);
    }
    isms_test_pg_close(pg);
    isms_test_finish();
}
