/* tests/integration/test_ismsctl.c — ismsctl end to end against a real ismsd: login, commands,
 * JSON output, and the documented exit status and one-line error for each failure class. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "testlib.h"

TestSuite(ismsctl, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

/* Runs ismsctl and fails unless it exits `want`; returns the captured output in p. */
static void ctl(struct isms_test_proc *p, int port, int want, const char *const *args)
{
    isms_test_ismsctl_expect(p, port, want, NULL, NULL, args);
}

/* `ismsctl login --password-stdin admin`: later commands use the session it stores. */
static void ctl_login(int port)
{
    struct isms_test_proc p;

    isms_test_ismsctl_input(
        &p, port, (const char *const[]){"login", "--password-stdin", ISMS_TEST_ADMIN_USER, NULL},
        ISMS_TEST_ADMIN_PASSWORD "\n");
    cr_assert_eq(p.exit_code, 0, "ismsctl login %s exited %d\nstdout:\n%s\nstderr:\n%s",
                 ISMS_TEST_ADMIN_USER, p.exit_code, p.out, p.err);
    cr_assert_null(strstr(p.out, ISMS_TEST_ADMIN_PASSWORD), "login echoed the password");
    isms_test_proc_cleanup(&p);
}

static void assert_contains(const char *hay, const char *needle, const char *what)
{
    cr_assert_neq(strstr(hay, needle), NULL, "%s does not contain \"%s\":\n%s", what, needle, hay);
}

static void assert_error_line(const struct isms_test_proc *p, const char *prefix)
{
    cr_assert_eq(strncmp(p->err, prefix, strlen(prefix)), 0,
                 "stderr does not start with \"%s\":\n%s", prefix, p->err);
}

Test(ismsctl, status_and_context_round_trip)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    int port;

    cr_assert_not_null(isms_test_ismsctl_path(), "ismsctl was not built");
    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    ctl_login(port);

    ctl(&p, port, 0, (const char *const[]){"status", NULL});
    assert_contains(p.out, "SERVING", "ismsctl status");
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0, (const char *const[]){"-o", "json", "status", NULL});
    assert_contains(p.out, "\"status\"", "ismsctl -o json status");
    assert_contains(p.out, ISMS_VERSION, "ismsctl -o json status");
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0,
        (const char *const[]){"context", "set", "--org", "Acme \"Secure\" Ltd", "--scope",
                              "HQ and cloud", NULL});
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0, (const char *const[]){"-o", "json", "context", "show", NULL});
    assert_contains(p.out, "\"organization\"", "context show JSON");
    assert_contains(p.out, "Acme \\\"Secure\\\" Ltd", "context show JSON (escaped quotes)");
    assert_contains(p.out, "HQ and cloud", "context show JSON");
    isms_test_proc_cleanup(&p);

    /* The daemon really stored it. */
    {
        Isms__V1__GetContextRequest req = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
        struct isms_test_reply rep;
        int fd = isms_test_connect(port);

        isms_test_unary(fd, ISMS_M_CTX_GET, &req.base, 0, &isms__v1__isms_context__descriptor,
                        &rep);
        isms_test_expect(&rep, 0, NULL, "Context/Get");
        cr_assert_str_eq(((Isms__V1__IsmsContext *)rep.body)->organization, "Acme \"Secure\" Ltd");
        isms_test_reply_cleanup(&rep);
    }
    isms_test_finish();
}

Test(ismsctl, parties_and_issues)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    int port;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    ctl_login(port);

    ctl(&p, port, 0,
        (const char *const[]){"context", "party", "add", "--name", "National Regulator", "--kind",
                              "external", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"context", "party", "add", "--name", "Staff", "--kind", "internal",
                              "--requirements", "training", NULL});
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0, (const char *const[]){"context", "party", "list", "-o", "json", NULL});
    assert_contains(p.out, "National Regulator", "party list JSON");
    assert_contains(p.out, "\"P-", "party list JSON");
    assert_contains(p.out, "\"internal\"", "party list JSON");
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0, (const char *const[]){"context", "party", "remove", "Staff", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"context", "party", "list", "-o", "json", NULL});
    cr_assert_null(strstr(p.out, "Staff"), "removed party still listed:\n%s", p.out);
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0,
        (const char *const[]){"context", "issue", "add", "--kind", "external", "--description",
                              "new regulation", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"-o", "json", "context", "issue", "list", NULL});
    assert_contains(p.out, "new regulation", "issue list JSON");
    assert_contains(p.out, "\"I-", "issue list JSON");
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

Test(ismsctl, errors_have_documented_exit_codes)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    int port;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    ctl_login(port);

    ctl(&p, port, 4, (const char *const[]){"context", "party", "remove", "P-999", NULL});
    assert_error_line(&p, "ismsctl: NOT_FOUND:");
    assert_contains(p.err, "P-999", "NOT_FOUND line");
    cr_assert_eq(strchr(p.err, '\n'), p.err + strlen(p.err) - 1, "more than one error line:\n%s",
                 p.err);
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0, (const char *const[]){"context", "party", "add", "--name", "Dup", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 5, (const char *const[]){"context", "party", "add", "--name", "Dup", NULL});
    assert_error_line(&p, "ismsctl: ALREADY_EXISTS:");
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 3,
        (const char *const[]){"context", "party", "add", "--name", "X", "--kind", "bogus", NULL});
    assert_error_line(&p, "ismsctl: INVALID_ARGUMENT:");
    assert_contains(p.err, "kind", "INVALID_ARGUMENT line");
    isms_test_proc_cleanup(&p);

    /* Stale version: ABORTED. */
    ctl(&p, port, 0, (const char *const[]){"context", "set", "--org", "One", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"context", "set", "--org", "Two", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 5,
        (const char *const[]){"context", "set", "--org", "Three", "--expect-version", "1", NULL});
    assert_error_line(&p, "ismsctl: ABORTED:");
    isms_test_proc_cleanup(&p);

    /* Usage errors. */
    ctl(&p, port, 2, (const char *const[]){"context", "frobnicate", NULL});
    assert_error_line(&p, "ismsctl: usage:");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"--bogus-flag", "status", NULL});
    assert_error_line(&p, "ismsctl: usage:");
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

Test(ismsctl, server_down_exits_9)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    int port;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    ctl_login(port);
    isms_test_server_stop(&env.srv);
    ctl(&p, port, 9, (const char *const[]){"status", NULL});
    assert_error_line(&p, "ismsctl: ");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 9, (const char *const[]){"context", "show", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

Test(ismsctl, not_logged_in_exits_7)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    int port;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    /* status needs no login; context does. */
    ctl(&p, port, 0, (const char *const[]){"status", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 7, (const char *const[]){"context", "show", NULL});
    assert_error_line(&p, "ismsctl: UNAUTHENTICATED:");
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}
