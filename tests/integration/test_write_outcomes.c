/* tests/integration/test_write_outcomes.c — a reply says exactly what happened to a write.
 * Thousands of Context/AddIssue calls with deadlines of 1-40 ms race their own statements:
 * every write answered OK must be stored once, and every write answered DEADLINE_EXCEEDED
 * without "outcome is unknown" must be absent. Before the fix, a deadline reply went out
 * before the cancel's outcome was known, and some of those writes had committed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "testlib.h"

TestSuite(write_outcomes, .init = isms_test_init, .fini = isms_test_fini, .timeout = 280);

#define N_WRITES 2000
#define WINDOW   8 /* calls kept in flight on the connection */

enum outcome { PENDING, DONE_OK, NOT_DONE, UNKNOWN, OTHER };

Test(write_outcomes, deadline_replies_tell_the_truth_about_writes)
{
    struct isms_test_env env;
    static enum outcome out[N_WRITES + 1];
    unsigned counts[5] = {0};
    char desc[64];
    PGconn *c, *holder;
    int fd, sent = 0, answered = 0;

    srand(20261203);
    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    /* The first writes wait on a lock until their deadlines pass: those running get cancelled,
     * those queued are dropped. The lock goes once 200 have been answered. */
    holder = isms_test_pg_lock_table(&env.db, "context_issue");
    while (answered < N_WRITES) {
        if (holder != NULL && answered >= 200) {
            isms_test_pg_exec(holder, "COMMIT");
            isms_test_pg_close(holder);
            holder = NULL;
        }
        while (sent < N_WRITES && sent - answered < WINDOW) {
            Isms__V1__AddIssueRequest req = ISMS__V1__ADD_ISSUE_REQUEST__INIT;

            sent++;
            snprintf(desc, sizeof(desc), "write %d", sent);
            req.kind = "internal";
            req.description = desc;
            isms_test_send_request(fd, (uint64_t)sent, ISMS_M_CTX_ADD_ISSUE,
                                   (uint32_t)(1 + rand() % 40), &req.base);
        }
        {
            Isms__V1__Response *r = isms_test_read_response(fd, 30000, "an AddIssue reply");
            enum outcome o = OTHER;

            cr_assert(r->call_id >= 1 && r->call_id <= N_WRITES, "call_id %llu",
                      (unsigned long long)r->call_id);
            cr_assert_eq(out[r->call_id], PENDING, "two replies for call %llu",
                         (unsigned long long)r->call_id);
            if (r->code == 0)
                o = DONE_OK;
            else if (r->code == 4 && strstr(r->message, "outcome is unknown") != NULL)
                o = UNKNOWN;
            else if (r->code == 4)
                o = NOT_DONE;
            else
                cr_log_info("call %llu: code %d: %s", (unsigned long long)r->call_id, r->code,
                            r->message);
            out[r->call_id] = o;
            counts[o]++;
            answered++;
            isms__v1__response__free_unpacked(r, NULL);
        }
    }
    cr_log_info("%d writes: %u OK, %u not done, %u outcome unknown, %u other", N_WRITES,
                counts[DONE_OK], counts[NOT_DONE], counts[UNKNOWN], counts[OTHER]);
    cr_expect_gt(counts[DONE_OK], 0, "some writes beat their deadline");
    cr_expect_gt(counts[NOT_DONE], 0, "some writes were cancelled by their deadline");

    c = isms_test_pg_connect(env.db.conninfo);
    for (int i = 1; i <= N_WRITES; i++) {
        const char *p[1];
        long long n;

        snprintf(desc, sizeof(desc), "write %d", i);
        p[0] = desc;
        n = isms_test_pg_scalar(c, "SELECT count(*) FROM context_issue WHERE description = $1", 1,
                                p);
        if (out[i] == DONE_OK)
            cr_expect_eq(n, 1, "write %d was answered OK but is stored %lld times", i, n);
        else if (out[i] == NOT_DONE)
            cr_expect_eq(n, 0, "write %d was answered DEADLINE_EXCEEDED (not made) but is stored",
                         i);
        else
            cr_expect_leq(n, 1, "write %d is stored %lld times", i, n);
    }
    isms_test_pg_close(c);
    isms_test_server_stop(&env.srv);
    isms_test_finish();
}
