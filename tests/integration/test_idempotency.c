/* tests/integration/test_idempotency.c — `idempotency-key` metadata on writes: a repeat of the
 * same request gets the stored answer and no second write; the key reused for another request,
 * or malformed, is refused; keys are per user. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "testlib.h"

TestSuite(idempotency, .init = isms_test_init, .fini = isms_test_fini, .timeout = 120);

/* One Context/AddIssue with `key` as idempotency-key (NULL: none); returns the response. */
static Isms__V1__Response *add_issue(int fd, uint64_t id, const char *key, const char *desc)
{
    Isms__V1__AddIssueRequest body = ISMS__V1__ADD_ISSUE_REQUEST__INIT;

    body.kind = "internal";
    body.description = (char *)desc;
    isms_test_send_keyed(fd, id, ISMS_M_CTX_ADD_ISSUE, 0, &body.base, key);
    return isms_test_read_response(fd, 10000, "AddIssue");
}

static long long issues_with(PGconn *c, const char *desc)
{
    const char *p[1] = {desc};

    return isms_test_pg_scalar(c, "SELECT count(*) FROM context_issue WHERE description = $1", 1,
                               p);
}

Test(idempotency, a_repeat_gets_the_stored_answer_and_no_second_write)
{
    struct isms_test_env env;
    Isms__V1__Response *r1, *r2, *r3;
    PGconn *c;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    r1 = add_issue(fd, 1, "key-0001", "idempotent issue");
    cr_assert_eq(r1->code, 0, "%s", r1->message);
    r2 = add_issue(fd, 2, "key-0001", "idempotent issue");
    cr_assert_eq(r2->code, 0, "the repeat is answered OK: %d %s", r2->code, r2->message);
    cr_expect_eq(r2->call_id, 2);
    cr_expect_eq(r1->body.len, r2->body.len);
    cr_expect(r1->body.len == r2->body.len &&
                  memcmp(r1->body.data, r2->body.data, r1->body.len) == 0,
              "the repeat gets the stored answer (same issue)");
    c = isms_test_pg_connect(env.db.conninfo);
    cr_expect_eq(issues_with(c, "idempotent issue"), 1, "one write, not two");
    /* The same key for another request is refused; nothing is written. */
    r3 = add_issue(fd, 3, "key-0001", "another issue");
    cr_expect_eq(r3->code, 9, "FAILED_PRECONDITION, got %d: %s", r3->code, r3->message);
    cr_expect(strstr(r3->message, "reused") != NULL, "%s", r3->message);
    cr_expect_eq(issues_with(c, "another issue"), 0);
    /* Without a key, the same body is a new write. */
    isms__v1__response__free_unpacked(r3, NULL);
    r3 = add_issue(fd, 4, NULL, "idempotent issue");
    cr_expect_eq(r3->code, 0, "%s", r3->message);
    cr_expect_eq(issues_with(c, "idempotent issue"), 2);
    isms__v1__response__free_unpacked(r1, NULL);
    isms__v1__response__free_unpacked(r2, NULL);
    isms__v1__response__free_unpacked(r3, NULL);
    isms_test_pg_close(c);
    isms_test_finish();
}

Test(idempotency, malformed_keys_are_invalid_argument)
{
    struct isms_test_env env;
    char long_key[200];
    const char *bad[] = {"", long_key, "tab\there", "caf\xc3\xa9"};
    PGconn *c;
    int fd;

    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        Isms__V1__Response *r = add_issue(fd, 10 + i, bad[i], "never written");

        cr_expect_eq(r->code, 3, "key %zu: INVALID_ARGUMENT, got %d: %s", i, r->code, r->message);
        isms__v1__response__free_unpacked(r, NULL);
    }
    c = isms_test_pg_connect(env.db.conninfo);
    cr_expect_eq(issues_with(c, "never written"), 0);
    isms_test_pg_close(c);
    isms_test_finish();
}

/* ismsctl sends a fresh key with every call: a change it makes is recorded with its key. */
Test(idempotency, ismsctl_sends_a_key_with_each_change)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    PGconn *c;

    isms_test_env_start(&env, NULL);
    isms_test_ismsctl_input(
        &p, env.srv.port,
        (const char *const[]){"login", "--password-stdin", ISMS_TEST_ADMIN_USER, NULL},
        ISMS_TEST_ADMIN_PASSWORD "\n");
    cr_assert_eq(p.exit_code, 0, "login: %s", p.err);
    isms_test_proc_cleanup(&p);
    for (int i = 0; i < 2; i++) {
        isms_test_ismsctl_expect(&p, env.srv.port, 0, NULL, NULL,
                                 (const char *const[]){"context", "issue", "add", "--kind",
                                                       "internal", "--description",
                                                       "the same words twice", NULL});
        isms_test_proc_cleanup(&p);
    }
    c = isms_test_pg_connect(env.db.conninfo);
    cr_expect_eq(
        isms_test_pg_scalar(c,
                            "SELECT count(DISTINCT key) FROM idempotency_key WHERE"
                            " method = '/isms.v1.Context/AddIssue' AND user_name = 'admin'",
                            0, NULL),
        2, "two commands, two keys");
    cr_expect_eq(issues_with(c, "the same words twice"), 2,
                 "two commands are two changes: keys are per call, not per body");
    isms_test_pg_close(c);
    isms_test_finish();
}
