/* tests/integration/test_plan_ux.c — the usability side of the Plan phase (issue 10), through
 * ismsctl against a real ismsd: tables fitted to the terminal width ($COLUMNS) with --wide to
 * show everything, no trailing blanks, unrated scores empty; `<noun> <verb> --help` with an
 * example and every flag explained, the global options and exit statuses only in `help`;
 * credentials found however the server is written, a wrong port "cannot reach"; passwords an
 * admin sets one-time unless --permanent; `risk list --sort/--overdue`; several actions in one
 * `risk treat`; the heat map on each risk's own method version, its appetite line and ids. */
#define _GNU_SOURCE /* memmem */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "isms/v1/auth.pb-c.h"
#include "isms/v1/risk.pb-c.h"
#include "testlib.h"

TestSuite(plan_ux, .init = isms_test_init, .fini = isms_test_fini, .timeout = 280);

#define PW_ALICE "correct-horse-battery-one"
#define PW_DAVE  "copper-kettle-window-31"
#define PW_EVE   "silver-lantern-meadow-58"

static void has(const char *hay, const char *needle)
{
    cr_assert_neq(strstr(hay, needle), NULL, "no \"%s\" in:\n%s", needle, hay);
}

static void hasnt(const char *hay, const char *needle)
{
    cr_assert_null(strstr(hay, needle), "unexpected \"%s\" in:\n%s", needle, hay);
}

/* ismsctl `args` with `env` added, expecting exit status `want`. */
static void ctl_env(struct isms_test_proc *p, int port, int want, const char *const *env,
                    const char *const *args)
{
    isms_test_ismsctl_expect(p, port, want, NULL, env, args);
}

static void ctl(struct isms_test_proc *p, int port, int want, const char *const *args)
{
    static const char *const env[] = {"COLUMNS=", NULL};

    ctl_env(p, port, want, env, args);
}

/* Auth/Login on the wire: whether the password must be changed first. */
static bool must_change(int port, const char *user, const char *password)
{
    Isms__V1__LoginRequest req = ISMS__V1__LOGIN_REQUEST__INIT;
    struct isms_test_reply rep;
    const char *keep = isms_test_token();
    char saved[300] = "";
    bool must;
    int fd = isms_test_connect(port);

    if (keep != NULL)
        snprintf(saved, sizeof(saved), "%s", keep);
    isms_test_set_token(NULL);
    req.user = (char *)user;
    req.password = (char *)password;
    isms_test_unary(fd, "/isms.v1.Auth/Login", &req.base, 0, &isms__v1__login_response__descriptor,
                    &rep);
    isms_test_expect(&rep, 0, NULL, "Auth/Login");
    must = ((Isms__V1__LoginResponse *)rep.body)->must_change_password;
    isms_test_reply_cleanup(&rep);
    close(fd);
    isms_test_set_token(saved[0] != '\0' ? saved : NULL);
    return must;
}

static void login(int port, const char *user, const char *password)
{
    struct isms_test_proc p;
    char input[128];

    snprintf(input, sizeof(input), "%s\n", password);
    isms_test_ismsctl_expect(&p, port, 0, input, NULL,
                             (const char *const[]){"login", "--password-stdin", user, NULL});
    isms_test_proc_cleanup(&p);
}

/* The display width of the longest line (UTF-8: continuation bytes do not count); fails on a
 * line that ends in a blank. */
static size_t widest_line(const char *s)
{
    size_t best = 0, w = 0;

    for (const char *c = s; *c != '\0'; c++) {
        if (*c == '\n') {
            cr_assert(c == s || c[-1] != ' ', "a line ends in a blank:\n%s", s);
            best = w > best ? w : best;
            w = 0;
        } else if (((unsigned char)*c & 0xc0) != 0x80) {
            w++;
        }
    }
    return w > best ? w : best;
}

/* ---- tables -----------------------------------------------------------------------------------
 */

#define LONG_TITLE                                                                                 \
    "Customer records leak through an unpatched reporting server that is reachable from the "      \
    "guest wireless network of the office"

Test(plan_ux, tables_fit_the_terminal_and_wide_shows_all)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    int port, fd;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    fd = isms_test_connect(port);
    isms_test_user_create(fd, "alice", "risk_owner", PW_ALICE);
    close(fd);
    login(port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    ctl(&p, port, 0,
        (const char *const[]){"risk", "create", "--title", LONG_TITLE, "--owner", "alice",
                              "--likelihood", "4", "--impact", "5", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"risk", "create", "--title", "Unrated", "--owner", "alice", NULL});
    isms_test_proc_cleanup(&p);

    /* 80 columns: every line fits, the title is cut with an ellipsis. */
    ctl_env(&p, port, 0, (const char *const[]){"COLUMNS=80", NULL},
            (const char *const[]){"risk", "list", NULL});
    cr_assert_leq(widest_line(p.out), 80, "wider than COLUMNS=80:\n%s", p.out);
    has(p.out, "\xe2\x80\xa6");
    hasnt(p.out, LONG_TITLE);
    has(p.out, "RESIDUAL_SCORE");
    hasnt(p.out, "METHOD_VERSION");
    isms_test_proc_cleanup(&p);
    /* --wide, or a pipe without COLUMNS: nothing is cut. */
    ctl_env(&p, port, 0, (const char *const[]){"COLUMNS=80", NULL},
            (const char *const[]){"--wide", "risk", "list", NULL});
    has(p.out, LONG_TITLE);
    has(p.out, "METHOD_VERSION");
    has(p.out, "ABOVE_APPETITE");
    cr_assert_gt(widest_line(p.out), 80);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"risk", "list", NULL});
    has(p.out, LONG_TITLE);
    /* R-2 is not rated: its scores are empty, not 0, and the line has no trailing blanks. */
    {
        const char *r2 = strstr(p.out, "R-2");
        const char *eol;

        cr_assert_not_null(r2, "%s", p.out);
        eol = strchr(r2, '\n');
        cr_assert_not_null(eol);
        cr_assert_null(memmem(r2, (size_t)(eol - r2), " 0 ", 3), "a 0 score for R-2:\n%s", p.out);
    }
    (void)widest_line(p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"-o", "csv", "risk", "list", NULL});
    has(p.out, "R-2,Unrated,alice,identified,,");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"-o", "json", "risk", "show", "R-2", NULL});
    has(p.out, "\"residual_score\": 0");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"risk", "show", "R-2", NULL});
    (void)widest_line(p.out);
    has(p.out, "\nresidual_score\n");
    isms_test_proc_cleanup(&p);
    /* A tiny terminal still shows every header in full (the table overflows instead). */
    ctl_env(&p, port, 0, (const char *const[]){"COLUMNS=20", NULL},
            (const char *const[]){"risk", "list", NULL});
    has(p.out, "RESIDUAL_SCORE");
    isms_test_proc_cleanup(&p);
    /* A bad COLUMNS is ignored, not fatal. */
    ctl_env(&p, port, 0, (const char *const[]){"COLUMNS=wide", NULL},
            (const char *const[]){"risk", "list", NULL});
    has(p.out, LONG_TITLE);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"--wide=yes", "risk", "list", NULL});
    has(p.err, "ismsctl: usage:");
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

/* ---- help -------------------------------------------------------------------------------------
 */

Test(plan_ux, every_command_help_has_an_example_and_explains_each_flag)
{
    struct isms_test_proc p, h;
    char *script, *line, *save = NULL;
    size_t ncmds = 0;

    ctl(&p, 1, 0, (const char *const[]){"help", NULL});
    has(p.out, "exit status");
    has(p.out, "--wide");
    cr_assert_null(strstr(strstr(p.out, "exit status") + 1, "exit status ("),
                   "the exit status table twice:\n%s", p.out);
    isms_test_proc_cleanup(&p);

    /* Every command, as the completion script lists them. */
    ctl(&p, 1, 0, (const char *const[]){"completion", "bash", NULL});
    script = strdup(strstr(p.out, "_ismsctl_cmds=(") + strlen("_ismsctl_cmds=("));
    *strstr(script, ")") = '\0';
    isms_test_proc_cleanup(&p);
    for (line = strtok_r(script, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char words[6][32];
        const char *args[10];
        size_t n = 0;
        char *q = strchr(line, '"'), *w, *ws = NULL;

        if (q == NULL)
            continue;
        *strrchr(line, '"') = '\0';
        for (w = strtok_r(q + 1, " ", &ws); w != NULL && n < 6; w = strtok_r(NULL, " ", &ws))
            snprintf(words[n], sizeof(words[n]), "%s", w), args[n] = words[n], n++;
        args[n++] = "--help";
        args[n] = NULL;
        ctl(&h, 1, 0, args);
        has(h.out, "usage: ismsctl [options] ");
        cr_assert(strstr(h.out, "\nexample:\n  ismsctl ") != NULL ||
                      strstr(h.out, "\nexamples:\n  ismsctl ") != NULL,
                  "no example in:\n%s", h.out);
        hasnt(h.out, "exit status (");
        has(h.out, "ismsctl help");
        /* Each flag line of the flags section says something after the flag. */
        if (strstr(h.out, "\nflags:\n") != NULL) {
            const char *end = strstr(h.out, "\nexample");

            for (const char *f = strstr(strstr(h.out, "\nflags:\n"), "\n  --");
                 f != NULL && f < end; f = strstr(f + 1, "\n  --")) {
                const char *eol = strchr(f + 1, '\n');
                const char *gap = strstr(f + 3, "  ");

                cr_assert_not_null(eol);
                if (gap == NULL || gap > eol) /* help continues on the next line */
                    cr_assert(strncmp(eol + 1, "                            ", 28) == 0 &&
                                  eol[29] != ' ',
                              "a flag without help in:\n%s", h.out);
            }
        }
        isms_test_proc_cleanup(&h);
        ncmds++;
    }
    free(script);
    cr_assert_gt(ncmds, 60, "only %zu commands found", ncmds);

    ctl(&p, 1, 0, (const char *const[]){"risk", "list", "--help", NULL});
    has(p.out, "--sort score|due");
    has(p.out, "--overdue");
    has(p.out, "ismsctl risk list --above-appetite --sort score");
    isms_test_proc_cleanup(&p);
    ctl(&p, 1, 0, (const char *const[]){"user", "create", "--help", NULL});
    has(p.out, "--permanent");
    has(p.out, "one-time");
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

/* ---- credentials and reaching the server ------------------------------------------------------
 */

Test(plan_ux, credentials_are_found_however_the_server_is_written)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    char as_localhost[64], as_loopback[64], wrong[64], padded[64];
    int port;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    snprintf(as_localhost, sizeof(as_localhost), "ISMS_SERVER=LocalHost:%d", port);
    snprintf(as_loopback, sizeof(as_loopback), "ISMS_SERVER=127.0.0.1:%d", port);
    snprintf(padded, sizeof(padded), "ISMS_SERVER=127.0.0.1:0%d", port);
    /* A port nothing listens on: the test server's port was taken from a free range. */
    snprintf(wrong, sizeof(wrong), "ISMS_SERVER=127.0.0.1:1");

    isms_test_ismsctl_expect(
        &p, port, 0, ISMS_TEST_ADMIN_PASSWORD "\n", (const char *const[]){as_localhost, NULL},
        (const char *const[]){"login", "--password-stdin", ISMS_TEST_ADMIN_USER, NULL});
    isms_test_proc_cleanup(&p);
    ctl_env(&p, port, 0, (const char *const[]){as_loopback, NULL},
            (const char *const[]){"whoami", NULL});
    has(p.out, "admin");
    isms_test_proc_cleanup(&p);
    ctl_env(&p, port, 0, (const char *const[]){padded, NULL},
            (const char *const[]){"whoami", NULL});
    isms_test_proc_cleanup(&p);
    /* The file has one section for the server, in the normal form. */
    {
        char path[512];
        char *text, want[64];

        snprintf(path, sizeof(path), "%s/.config/ismsctl/credentials", isms_test_ismsctl_home());
        text = isms_test_read_file(path);
        cr_assert_not_null(text);
        snprintf(want, sizeof(want), "[127.0.0.1:%d]", port);
        has(text, want);
        hasnt(text, "LocalHost");
        free(text);
    }
    /* Logging in again under another spelling replaces that section, not adds one. */
    isms_test_ismsctl_expect(
        &p, port, 0, ISMS_TEST_ADMIN_PASSWORD "\n", (const char *const[]){as_loopback, NULL},
        (const char *const[]){"login", "--password-stdin", ISMS_TEST_ADMIN_USER, NULL});
    isms_test_proc_cleanup(&p);
    {
        char path[512];
        char *text, want[64];

        snprintf(path, sizeof(path), "%s/.config/ismsctl/credentials", isms_test_ismsctl_home());
        text = isms_test_read_file(path);
        snprintf(want, sizeof(want), "[127.0.0.1:%d]", port);
        cr_assert_null(strstr(strstr(text, want) + 1, want), "two sections:\n%s", text);
        free(text);
    }
    /* The wrong port is "cannot reach" (exit 9), not "not logged in" (exit 7). */
    ctl_env(&p, port, 9, (const char *const[]){wrong, NULL},
            (const char *const[]){"context", "show", NULL});
    has(p.err, "cannot reach ismsd at 127.0.0.1:1");
    hasnt(p.err, "not logged in");
    isms_test_proc_cleanup(&p);
    /* A server that is up but never logged in to still says so. */
    ctl_env(&p, port, 0, (const char *const[]){as_loopback, NULL},
            (const char *const[]){"logout", NULL});
    isms_test_proc_cleanup(&p);
    ctl_env(&p, port, 7, (const char *const[]){as_localhost, NULL},
            (const char *const[]){"context", "show", NULL});
    has(p.err, "not logged in");
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

/* ---- one-time passwords -----------------------------------------------------------------------
 */

Test(plan_ux, passwords_an_admin_sets_are_one_time_unless_permanent)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    struct isms_test_reply rep;
    int port, fd;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    login(port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    isms_test_ismsctl_expect(&p, port, 0, PW_DAVE "\n", NULL,
                             (const char *const[]){"user", "create", "dave", "--roles", "viewer",
                                                   "--password-stdin", NULL});
    has(p.out, "dave must change the password at the first login");
    hasnt(p.out, PW_DAVE);
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, port, 0, PW_EVE "\n", NULL,
                             (const char *const[]){"user", "create", "eve", "--roles", "viewer",
                                                   "--password-stdin", "--permanent", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2,
        (const char *const[]){"user", "create", "frank", "--roles", "viewer", "--permanent", NULL});
    has(p.err, "ismsctl: usage:");
    has(p.err, "--password-stdin");
    isms_test_proc_cleanup(&p);

    /* dave's password must be changed at the first login; eve's need not. */
    cr_assert(must_change(port, "dave", PW_DAVE), "an admin-set password is not one-time");
    cr_assert(!must_change(port, "eve", PW_EVE), "--permanent did not keep the password");
    login(port, "eve", PW_EVE);
    ctl(&p, port, 0, (const char *const[]){"context", "show", NULL});
    isms_test_proc_cleanup(&p);

    /* reset-password: the same default and opt-out. */
    login(port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    isms_test_ismsctl_expect(
        &p, port, 0, PW_DAVE "\n", NULL,
        (const char *const[]){"user", "reset-password", "eve", "--password-stdin", NULL});
    has(p.out, "eve must change it at the next login");
    isms_test_proc_cleanup(&p);
    cr_assert(must_change(port, "eve", PW_DAVE), "a reset password is not one-time");
    isms_test_ismsctl_expect(&p, port, 0, PW_EVE "\n", NULL,
                             (const char *const[]){"user", "reset-password", "eve",
                                                   "--password-stdin", "--permanent", NULL});
    has(p.out, "password of eve set\n");
    isms_test_proc_cleanup(&p);
    cr_assert(!must_change(port, "eve", PW_EVE), "reset --permanent is one-time");

    /* On the wire: permanent without a password is refused, naming the field. */
    fd = isms_test_connect(port);
    {
        Isms__V1__CreateUserRequest u = ISMS__V1__CREATE_USER_REQUEST__INIT;
        Isms__V1__ResetPasswordRequest r = ISMS__V1__RESET_PASSWORD_REQUEST__INIT;
        char *roles[1] = {"viewer"};

        u.name = "gina";
        u.roles = roles;
        u.n_roles = 1;
        u.permanent = 1;
        isms_test_unary(fd, "/isms.v1.User/Create", &u.base, 0, NULL, &rep);
        isms_test_expect(&rep, 3, "permanent", "User/Create permanent without a password");
        isms_test_reply_cleanup(&rep);
        r.name = "eve";
        r.permanent = 1;
        isms_test_unary(fd, "/isms.v1.User/ResetPassword", &r.base, 0, NULL, &rep);
        isms_test_expect(&rep, 3, "permanent", "ResetPassword permanent without a password");
        isms_test_reply_cleanup(&rep);
    }
    close(fd);
    isms_test_finish();
}

/* ---- risk list and treat ----------------------------------------------------------------------
 */

static void risk_create(int port, const char *title, const char *l, const char *i)
{
    struct isms_test_proc p;

    if (l != NULL)
        ctl(&p, port, 0,
            (const char *const[]){"risk", "create", "--title", title, "--owner", "alice",
                                  "--likelihood", l, "--impact", i, NULL});
    else
        ctl(&p, port, 0,
            (const char *const[]){"risk", "create", "--title", title, "--owner", "alice", NULL});
    isms_test_proc_cleanup(&p);
}

/* The ids in a CSV listing, in order: "R-3 R-1 R-2". */
static void ids_of(const char *csv, char *out, size_t size)
{
    size_t o = 0;

    out[0] = '\0';
    for (const char *s = strstr(csv, "\r\nR-"); s != NULL; s = strstr(s + 2, "\r\nR-")) {
        const char *comma = strchr(s + 2, ',');

        o += (size_t)snprintf(out + o, size - o, "%s%.*s", o > 0 ? " " : "", (int)(comma - s - 2),
                              s + 2);
    }
}

Test(plan_ux, risk_list_sorts_and_finds_overdue_and_treat_plans_several_actions)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    PGconn *pg;
    char ids[256];
    int port, fd;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    fd = isms_test_connect(port);
    isms_test_user_create(fd, "alice", "risk_owner", PW_ALICE);
    isms_test_user_create(fd, "bob", "risk_owner", PW_DAVE);
    close(fd);
    login(port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    risk_create(port, "low one", "1", "2");   /* R-1, 2 */
    risk_create(port, "high one", "4", "5");  /* R-2, 20 */
    risk_create(port, "unrated", NULL, NULL); /* */
    risk_create(port, "middle", "3", "3");    /* R-4, 9 */

    /* Two actions at once, an owner each, one due date for both. */
    ctl(&p, port, 0,
        (const char *const[]){"-o", "json", "risk", "treat", "R-4", "--option", "modify",
                              "--action", "patch the server", "--action", "segment the network",
                              "--action-owner", "alice", "--action-owner", "bob", "--action-due",
                              "2020-01-31", NULL});
    has(p.out, "\"RA-1\"");
    has(p.out, "\"RA-2\"");
    has(p.out, "\"segment the network\"");
    has(p.out, "\"owner\": \"bob\"");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2,
        (const char *const[]){"risk", "treat", "R-1", "--action", "a", "--action", "b", "--action",
                              "c", "--action-owner", "alice", "--action-owner", "bob", NULL});
    has(p.err, "3 --action but 2 --action-owner");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2,
        (const char *const[]){"risk", "treat", "R-1", "--action", "a", "--action", "b",
                              "--action-owner", "alice", "--action-due", "2027-01-01",
                              "--action-due", "2027-01-02", "--action-due", "2027-01-03", NULL});
    has(p.err, "2 --action but 3 --action-due");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3,
        (const char *const[]){"risk", "treat", "R-1", "--option", "modify", "--action", "a",
                              "--action-owner", "alice", "--action-due", "soon", NULL});
    has(p.err, "INVALID_ARGUMENT");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"risk", "treat", "R-1", "--option", "modify", "--action", "a",
                              "--action", "b", "--action-owner", "alice", "--action-due",
                              "2099-01-01", NULL});
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0, (const char *const[]){"-o", "csv", "risk", "list", "--sort", "score", NULL});
    ids_of(p.out, ids, sizeof(ids));
    cr_assert_str_eq(ids, "R-2 R-4 R-1 R-3", "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"-o", "csv", "risk", "list", "--sort", "score", "--limit", "2",
                              NULL});
    ids_of(p.out, ids, sizeof(ids));
    cr_assert_str_eq(ids, "R-2 R-4", "the limit applies after sorting:\n%s", p.out);
    isms_test_proc_cleanup(&p);

    /* Due: R-4's actions (2020-01-31), R-3's review (2021-03-01), R-2's review (2030-06-01),
     * R-1's actions (2099-01-01). */
    pg = isms_test_pg_connect(env.db.conninfo);
    isms_test_pg_exec(pg, "UPDATE risk SET next_review = '2030-06-01' WHERE num = 2");
    isms_test_pg_exec(pg, "UPDATE risk SET next_review = '2021-03-01' WHERE num = 3");
    ctl(&p, port, 0, (const char *const[]){"-o", "csv", "risk", "list", "--sort", "due", NULL});
    ids_of(p.out, ids, sizeof(ids));
    cr_assert_str_eq(ids, "R-4 R-3 R-2 R-1", "%s", p.out);
    has(p.out, "2020-01-31");
    isms_test_proc_cleanup(&p);

    /* Overdue: R-3's review and R-4's open actions are past; once both actions of R-4 are
     * done it is not overdue any more. */
    ctl(&p, port, 0, (const char *const[]){"-o", "csv", "risk", "list", "--overdue", NULL});
    ids_of(p.out, ids, sizeof(ids));
    cr_assert_str_eq(ids, "R-3 R-4", "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"risk", "treat", "R-4", "--action-status", "RA-1=done",
                              "--action-status", "RA-2=done", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"-o", "csv", "risk", "list", "--overdue", NULL});
    ids_of(p.out, ids, sizeof(ids));
    cr_assert_str_eq(ids, "R-3", "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"risk", "close", "R-3", "--reason", "gone", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"-o", "csv", "risk", "list", "--overdue", NULL});
    ids_of(p.out, ids, sizeof(ids));
    cr_assert_str_eq(ids, "", "a closed risk is never overdue:\n%s", p.out);
    isms_test_proc_cleanup(&p);
    isms_test_pg_close(pg);

    ctl(&p, port, 2, (const char *const[]){"risk", "list", "--sort", "title", NULL});
    has(p.err, "--sort needs one of score|due");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2,
        (const char *const[]){"risk", "list", "--sort", "score", "--after", "R-1", NULL});
    has(p.err, "ismsctl: usage:");
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

/* ---- heat map ---------------------------------------------------------------------------------
 */

/* Saves a 3 x 3 product method: low 1-2, medium 3-4, high 5-9, appetite 3. */
static void set_3x3(int fd)
{
    Isms__V1__SetMethodRequest s = ISMS__V1__SET_METHOD_REQUEST__INIT;
    Isms__V1__RiskMethod m = ISMS__V1__RISK_METHOD__INIT;
    Isms__V1__ScaleLevel lv[6], *lp[3], *ip[3];
    Isms__V1__RiskLevelBand b[3], *bp[3];
    static const char *const names[3] = {"low", "medium", "high"};
    static const char *const labels[3] = {"Rare", "Possible", "Likely"};
    static const int lo[3] = {1, 3, 5}, hi[3] = {2, 4, 9};
    struct isms_test_reply rep;

    for (int k = 0; k < 3; k++) {
        isms__v1__scale_level__init(&lv[k]);
        isms__v1__scale_level__init(&lv[k + 3]);
        lv[k].label = lv[k + 3].label = (char *)labels[k];
        lv[k].description = lv[k + 3].description = "as the name says";
        lp[k] = &lv[k];
        ip[k] = &lv[k + 3];
        isms__v1__risk_level_band__init(&b[k]);
        b[k].name = (char *)names[k];
        b[k].min_score = lo[k];
        b[k].max_score = hi[k];
        bp[k] = &b[k];
    }
    m.likelihood = lp;
    m.n_likelihood = 3;
    m.impact = ip;
    m.n_impact = 3;
    m.computation = "product";
    m.levels = bp;
    m.n_levels = 3;
    m.appetite = 3;
    m.note = "smaller scale";
    s.method = &m;
    isms_test_unary(fd, "/isms.v1.Method/Set", &s.base, 0, &isms__v1__risk_method__descriptor,
                    &rep);
    isms_test_expect(&rep, 0, NULL, "Method/Set 3 x 3");
    isms_test_reply_cleanup(&rep);
}

Test(plan_ux, heat_map_plots_each_risk_on_its_own_method_version)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    struct isms_test_reply rep;
    Isms__V1__RiskMatrixRequest mr = ISMS__V1__RISK_MATRIX_REQUEST__INIT;
    Isms__V1__RiskMatrix *x;
    int port, fd;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    fd = isms_test_connect(port);
    isms_test_user_create(fd, "alice", "risk_owner", PW_ALICE);
    login(port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    risk_create(port, "on the 5 x 5 grid", "4", "5"); /* R-1, version 1 */
    set_3x3(fd);
    risk_create(port, "on the 3 x 3 grid", "3", "3"); /* R-2, version 2 */
    risk_create(port, "low on 3 x 3", "1", "2");      /* R-3, version 2 */

    /* The current grid holds only its own risks; R-1's 4 x 5 is not squeezed onto it. */
    mr.include_ids = 1;
    isms_test_unary(fd, "/isms.v1.Risk/Matrix", &mr.base, 0, &isms__v1__risk_matrix__descriptor,
                    &rep);
    isms_test_expect(&rep, 0, NULL, "Matrix");
    x = (Isms__V1__RiskMatrix *)rep.body;
    cr_assert_eq(x->method->version, 2);
    cr_assert_eq(x->n_cells, 9);
    cr_assert_eq(x->assessed, 2);
    cr_assert_eq(x->other_version, 1);
    cr_assert_eq(x->n_other_versions, 1);
    cr_assert_eq(x->other_versions[0], 1);
    cr_assert_eq(x->cells[8]->inherent, 1);
    cr_assert_eq(x->cells[8]->n_inherent_ids, 1);
    cr_assert_str_eq(x->cells[8]->inherent_ids[0], "R-2");
    cr_assert_eq(x->cells[1]->n_residual_ids, 1);
    cr_assert_str_eq(x->cells[1]->residual_ids[0], "R-3");
    isms_test_reply_cleanup(&rep);
    /* Without include_ids, no ids. */
    mr.include_ids = 0;
    isms_test_unary(fd, "/isms.v1.Risk/Matrix", &mr.base, 0, &isms__v1__risk_matrix__descriptor,
                    &rep);
    x = (Isms__V1__RiskMatrix *)rep.body;
    cr_assert_eq(x->cells[8]->n_inherent_ids, 0);
    isms_test_reply_cleanup(&rep);
    /* Version 1's grid holds R-1 alone. */
    mr.method_version = 1;
    mr.include_ids = 1;
    isms_test_unary(fd, "/isms.v1.Risk/Matrix", &mr.base, 0, &isms__v1__risk_matrix__descriptor,
                    &rep);
    x = (Isms__V1__RiskMatrix *)rep.body;
    cr_assert_eq(x->n_cells, 25);
    cr_assert_eq(x->assessed, 1);
    cr_assert_eq(x->other_version, 2);
    cr_assert_str_eq(x->cells[3 * 5 + 4]->inherent_ids[0], "R-1");
    isms_test_reply_cleanup(&rep);
    mr.method_version = -1;
    isms_test_unary(fd, "/isms.v1.Risk/Matrix", &mr.base, 0, NULL, &rep);
    isms_test_expect(&rep, 3, "method version", "Matrix version -1");
    isms_test_reply_cleanup(&rep);
    close(fd);

    /* ismsctl: the note about version 1, the appetite line and the ids per cell. */
    ctl(&p, port, 0, (const char *const[]){"risk", "matrix", "--ids", NULL});
    has(p.out, "method version 2 (3 x 3, appetite 3)");
    has(p.out, "1 risk assessed with method version 1 (not on this grid: risk matrix --version 1)");
    has(p.out, "| appetite line");
    /* Appetite 3: the line runs left of the first cell scoring more (rows 3 and 2: scores
     * 3, 6, 9 and 2, 4, 6); row 1 (1, 2, 3) has none. */
    has(p.out, "3 Likely              . M|  . H   1 H       . M|  . H   1 H\n");
    has(p.out, "2 Possible            . L|  . M   . H");
    has(p.out, "1 Rare                . L   1 L   . M       . L   1 L   . M\n");
    (void)widest_line(p.out);
    has(p.out, "3 x 3 (9 high): inherent R-2; residual R-2");
    has(p.out, "1 x 2 (2 low): inherent R-3; residual R-3");
    hasnt(p.out, "R-1");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"risk", "matrix", "--version", "1", "--ids", "-o", "json", NULL});
    has(p.out, "\"other_versions\": [\"2\"]");
    has(p.out, "\"inherent_ids\": [\"R-1\"]");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"risk", "matrix", "-o", "csv", NULL});
    has(p.out, "likelihood,impact,score,level,inherent,residual,above_appetite,inherent_ids,"
               "residual_ids");
    has(p.out, "3,3,9,high,1,1,true,,");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 4, (const char *const[]){"risk", "matrix", "--version", "7", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"risk", "matrix", "--ids=yes", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

/* ---- C/I/A -------------------------------------------------------------------------------------
 */

Test(plan_ux, risks_record_cia_impact_defaults_from_assets_and_out_of_scale_assets_are_flagged)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    PGconn *pg;
    int port, fd;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    fd = isms_test_connect(port);
    isms_test_user_create(fd, "alice", "risk_owner", PW_ALICE);
    isms_test_user_create(fd, "bob", "risk_owner", PW_DAVE);
    pg = isms_test_pg_connect(env.db.conninfo);
    isms_test_pg_exec(pg, "INSERT INTO asset (name, type, owner, classification,"
                          " confidentiality, integrity, availability) VALUES"
                          " ('Customer DB', 'information', 'alice', 'confidential', 5, 4, 3),"
                          " ('Laptop fleet', 'hardware', 'bob', 'internal', 3, 2, 2)");
    login(port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    ctl(&p, port, 0,
        (const char *const[]){"risk", "create", "--title", "Leak", "--owner", "alice", "--asset",
                              "A-1", "--asset", "A-2", NULL});
    isms_test_proc_cleanup(&p);
    risk_create(port, "No assets", NULL, NULL); /* */

    /* Not said yet: the suggestion takes all three values, the highest is 5. */
    ctl(&p, port, 0, (const char *const[]){"-o", "json", "risk", "cia", "R-1", NULL});
    has(p.out, "\"affects\": \"\"");
    has(p.out, "\"suggested_impact\": 5");
    has(p.out, "\"impact_scale\": 5");
    isms_test_proc_cleanup(&p);

    /* The owner says integrity and availability (any order, any case): 4 from Customer DB. */
    login(port, "alice", PW_ALICE);
    ctl(&p, port, 0,
        (const char *const[]){"-o", "json", "risk", "cia", "R-1", "--affects", "a,i", NULL});
    has(p.out, "\"affects\": \"IA\"");
    has(p.out, "\"suggested_impact\": 4");
    has(p.out, "\"updated_by\": \"alice\"");
    isms_test_proc_cleanup(&p);
    /* ... and rates the inherent risk with it. */
    ctl(&p, port, 0,
        (const char *const[]){"-o", "json", "risk", "cia", "R-1", "--likelihood", "2", NULL});
    has(p.out, "\"inherent_impact\": 4");
    has(p.out, "\"inherent_score\": 8");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"-o", "json", "risk", "show", "R-1", NULL});
    has(p.out, "\"inherent_impact\": 4");
    isms_test_proc_cleanup(&p);
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM audit_log WHERE method ="
                                     " '/isms.v1.RiskCia/Set' AND entity = 'risk:R-1'"
                                     " AND actor = 'alice'",
                                     0, NULL),
                 1, "RiskCia/Set is not audited");

    /* Bad input, someone else's risk, no assets, no such risk. */
    ctl(&p, port, 3, (const char *const[]){"risk", "cia", "R-1", "--affects", "CX", NULL});
    has(p.err, "INVALID_ARGUMENT: affects must be letters of C, I, A");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3, (const char *const[]){"risk", "cia", "R-1", "--affects", "cic", NULL});
    has(p.err, "affects names C twice");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3, (const char *const[]){"risk", "cia", "R-1", "--affects", "", NULL});
    has(p.err, "at least one of C, I, A");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3, (const char *const[]){"risk", "cia", "risk-1", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 4, (const char *const[]){"risk", "cia", "R-99", NULL});
    has(p.err, "risk R-99 does not exist");
    isms_test_proc_cleanup(&p);
    login(port, "bob", PW_DAVE);
    ctl(&p, port, 7, (const char *const[]){"risk", "cia", "R-2", "--affects", "C", NULL});
    has(p.err, "PERMISSION_DENIED: only an isms_manager or the risk's owner (alice)");
    isms_test_proc_cleanup(&p);
    login(port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    ctl(&p, port, 6, (const char *const[]){"risk", "cia", "R-2", "--likelihood", "2", NULL});
    has(p.err, "6.1.2 d: R-2 has no linked asset");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"risk", "cia", "R-2", "--affects", "C", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"risk", "cia", "R-2", "--likelihood", "0", NULL});
    isms_test_proc_cleanup(&p);

    /* Every asset is within the 5-level scale. */
    ctl(&p, port, 0, (const char *const[]){"asset", "check", NULL});
    has(p.out, "within the impact scale 1-5");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"asset", "show", "A-1", NULL});
    hasnt(p.err, "above the impact scale");
    isms_test_proc_cleanup(&p);

    /* A 3-level method leaves Customer DB (5, 4, 3) above it: flagged everywhere. */
    set_3x3(fd);
    ctl(&p, port, 0, (const char *const[]){"-o", "csv", "asset", "check", NULL});
    has(p.out, "A-1,Customer DB,5,4,3");
    hasnt(p.out, "A-2");
    has(p.err, "1 asset with a C/I/A value above the impact scale 1-3 of method version 2");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"asset", "show", "A-1", NULL});
    has(p.err, "A-1 has a C/I/A value above the impact scale 1-3");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"asset", "show", "A-2", NULL});
    hasnt(p.err, "above the impact scale");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"asset", "list", NULL});
    has(p.err, "1 asset has a C/I/A value above the impact scale 1-3");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"-o", "json", "risk", "cia", "R-1", NULL});
    has(p.out, "\"assets_out_of_scale\": [\"A-1\"]");
    has(p.out, "\"suggested_impact\": 3");
    has(p.err, "above the impact scale 1-3");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3, (const char *const[]){"asset", "check", "--asset", "Customer DB", NULL});
    has(p.err, "asset must look like A-<n>");
    isms_test_proc_cleanup(&p);
    /* Re-rated, the flag goes. */
    ctl(&p, port, 0,
        (const char *const[]){"asset", "update", "A-1", "--c", "3", "--i", "3", "--a", "2", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"asset", "check", NULL});
    has(p.out, "within the impact scale 1-3 (method version 2)");
    isms_test_proc_cleanup(&p);
    isms_test_pg_close(pg);
    close(fd);
    isms_test_finish();
}

/* ---- context: editing parties and issues, 4.2 c ------------------------------------------------
 */

Test(plan_ux, parties_and_issues_are_edited_with_expect_version_and_record_4_2_c)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    PGconn *pg;
    int port;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    login(port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    ctl(&p, port, 0,
        (const char *const[]){"context", "party", "add", "--name", "Customers", "--requirements",
                              "keep their data confidential", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"context", "party", "add", "--name", "Regulator", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"context", "issue", "add", "--kind", "internal",
                              "two admins share one account", NULL});
    isms_test_proc_cleanup(&p);

    /* 4.2 c on the party, by name; the version goes 1 -> 2. */
    ctl(&p, port, 0,
        (const char *const[]){"-o", "json", "context", "party", "update", "customers",
                              "--addressed", "YES", "--addressed-note", "A.5.34 and the DPA",
                              "--expect-version", "1", NULL});
    has(p.out, "\"id\": \"P-1\"");
    has(p.out, "\"addressed\": \"yes\"");
    has(p.out, "\"addressed_note\": \"A.5.34 and the DPA\"");
    has(p.out, "\"version\": 2");
    has(p.out, "\"requirements\": \"keep their data confidential\"");
    isms_test_proc_cleanup(&p);
    /* A second editor with the old version is refused; nothing changes. */
    ctl(&p, port, 5,
        (const char *const[]){"context", "party", "update", "P-1", "--requirements", "other",
                              "--expect-version", "1", NULL});
    has(p.err, "ABORTED: interested party P-1 was changed by someone else: it is at version 2");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"-o", "csv", "context", "party", "list", NULL});
    has(p.out, "P-1,Customers,external,keep their data confidential,");
    has(p.out, ",2,yes,A.5.34 and the DPA\r\n");
    has(p.out, ",1,,\r\n");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"context", "party", "update", "P-2", "--name",
                              "Data protection "
                              "authority",
                              "--kind", "external", "--addressed", "partly", NULL});
    isms_test_proc_cleanup(&p);

    /* Bad input and missing parties. */
    ctl(&p, port, 5,
        (const char *const[]){"context", "party", "update", "P-2", "--name", "customers", NULL});
    has(p.err, "ALREADY_EXISTS");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3,
        (const char *const[]){"context", "party", "update", "P-1", "--addressed", "maybe", NULL});
    has(p.err, "INVALID_ARGUMENT: addressed (4.2 c) must be yes, partly, no or empty");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3,
        (const char *const[]){"context", "party", "update", "P-1", "--kind", "partner", NULL});
    has(p.err, "INVALID_ARGUMENT");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"context", "party", "update", "P-1", NULL});
    has(p.err, "ismsctl: usage:");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 4,
        (const char *const[]){"context", "party", "update", "P-9", "--addressed", "no", NULL});
    has(p.err, "interested party \"P-9\" does not exist");
    isms_test_proc_cleanup(&p);

    /* Issues. */
    ctl(&p, port, 0,
        (const char *const[]){"-o", "json", "context", "issue", "update", "I-1", "--description",
                              "admins now have personal accounts", "--expect-version", "1", NULL});
    has(p.out, "\"description\": \"admins now have personal accounts\"");
    has(p.out, "\"version\": 2");
    has(p.out, "\"kind\": \"internal\"");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 5,
        (const char *const[]){"context", "issue", "update", "I-1", "--kind", "external",
                              "--expect-version", "1", NULL});
    has(p.err, "ABORTED");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3,
        (const char *const[]){"context", "issue", "update", "P-1", "--kind", "external", NULL});
    has(p.err, "issue id must look like I-<n>");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3,
        (const char *const[]){"context", "issue", "update", "I-1", "--description", "", NULL});
    has(p.err, "description");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 4,
        (const char *const[]){"context", "issue", "update", "I-7", "--kind", "external", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"context", "show", NULL});
    has(p.out, "admins now have personal accounts");
    (void)widest_line(p.out);
    isms_test_proc_cleanup(&p);

    /* Each change is in the audit trail with before and after. */
    pg = isms_test_pg_connect(env.db.conninfo);
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM audit_log WHERE method ="
                                     " '/isms.v1.Context/UpdateParty' AND entity = 'party:P-1'"
                                     " AND changes LIKE '%addressed%'",
                                     0, NULL),
                 1);
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM audit_log WHERE method ="
                                     " '/isms.v1.Context/UpdateIssue' AND entity = 'issue:I-1'",
                                     0, NULL),
                 1);
    isms_test_pg_close(pg);
    isms_test_finish();
}

/* ---- opportunities and sources (6.1.1, 4.1, 4.2) ------------------------------------------------
 */

Test(plan_ux, opportunities_have_owner_action_status_and_sources)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    PGconn *pg;
    int port, fd;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    fd = isms_test_connect(port);
    isms_test_user_create(fd, "alice", "risk_owner", PW_ALICE);
    isms_test_user_create(fd, "bob", "risk_owner", PW_DAVE);
    close(fd);
    pg = isms_test_pg_connect(env.db.conninfo);
    isms_test_pg_exec(pg, "UPDATE app_user SET status = 'disabled' WHERE name = 'bob'");
    login(port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    ctl(&p, port, 0,
        (const char *const[]){"context", "party", "add", "--name", "Customers", "--requirements",
                              "certified suppliers only", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"context", "issue", "add", "--kind", "external",
                              "tenders ask for ISO 27001", NULL});
    isms_test_proc_cleanup(&p);
    risk_create(port, "Lost tenders", NULL, NULL); /* R-1, alice's */

    ctl(&p, port, 0,
        (const char *const[]){"-o", "json", "opportunity", "create", "--title",
                              "Certificate wins tenders", "--owner", "alice", "--action",
                              "certify by Q3", NULL});
    has(p.out, "\"id\": \"OPP-1\"");
    has(p.out, "\"status\": \"identified\"");
    has(p.out, "\"owner\": \"alice\"");
    has(p.out, "\"version\": 1");
    isms_test_proc_cleanup(&p);
    /* The owner is an account, and an active one. */
    ctl(&p, port, 4,
        (const char *const[]){"opportunity", "create", "--title", "x", "--owner", "nobody", NULL});
    has(p.err, "owner \"nobody\" is not a user");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 6,
        (const char *const[]){"opportunity", "create", "--title", "x", "--owner", "bob", NULL});
    has(p.err, "FAILED_PRECONDITION: 6.1.1: owner \"bob\" is disabled");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3,
        (const char *const[]){"opportunity", "create", "--title", "x", "--owner", "alice",
                              "--status", "done", NULL});
    has(p.err, "status must be identified, planned");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3,
        (const char *const[]){"opportunity", "create", "--title", "", "--owner", "alice", NULL});
    has(p.err, "title");
    isms_test_proc_cleanup(&p);

    /* Sources: the issue and the party's requirements, on the opportunity and on a risk. */
    ctl(&p, port, 0,
        (const char *const[]){"-o", "json", "opportunity", "link", "OPP-1", "--add", "I-1,P-1",
                              NULL});
    has(p.out, "\"id\": \"I-1\"");
    has(p.out, "\"text\": \"tenders ask for ISO 27001\"");
    has(p.out, "\"text\": \"Customers: certified suppliers only\"");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"opportunity", "link", "R-1", "--add", "P-1", NULL});
    has(p.out, "P-1");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"-o", "csv", "opportunity", "list", NULL});
    has(p.out, "OPP-1,Certificate wins tenders,alice,identified,certify by Q3,\"I-1,P-1\",1");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 4, (const char *const[]){"opportunity", "link", "OPP-1", "--add", "I-9", NULL});
    has(p.err, "context issue I-9 does not exist");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3, (const char *const[]){"opportunity", "link", "OPP-1", "--add", "A-1", NULL});
    has(p.err, "a source must be a context issue I-<n> (4.1) or an interested party P-<n>");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3, (const char *const[]){"opportunity", "link", "X-1", "--add", "I-1", NULL});
    has(p.err, "entity must look like R-<n> or OPP-<n>");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 4, (const char *const[]){"opportunity", "link", "R-7", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3,
        (const char *const[]){"opportunity", "link", "OPP-1", "--add", "I-1", "--remove", "I-1",
                              NULL});
    has(p.err, "both added and removed");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"-o", "json", "opportunity", "link", "OPP-1", "--remove", "I-1",
                              NULL});
    hasnt(p.out, "I-1");
    has(p.out, "P-1");
    isms_test_proc_cleanup(&p);
    /* A removed issue takes its links with it. */
    ctl(&p, port, 0, (const char *const[]){"context", "party", "remove", "P-1", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"opportunity", "link", "R-1", NULL});
    has(p.out, "R-1 has no sources");
    isms_test_proc_cleanup(&p);

    /* Status moves on; the owner may update, someone else may not; versions protect edits. */
    login(port, "alice", PW_ALICE);
    ctl(&p, port, 0,
        (const char *const[]){"-o", "json", "opportunity", "update", "OPP-1", "--status",
                              "in_progress", "--expect-version", "1", NULL});
    has(p.out, "\"status\": \"in_progress\"");
    has(p.out, "\"version\": 2");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 5,
        (const char *const[]){"opportunity", "update", "OPP-1", "--status", "realised",
                              "--expect-version", "1", NULL});
    has(p.err, "ABORTED");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 6,
        (const char *const[]){"opportunity", "update", "OPP-1", "--owner", "bob", NULL});
    has(p.err, "owner \"bob\" is not an active user");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3,
        (const char *const[]){"opportunity", "update", "OPP-1", "--status", "won", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"opportunity", "update", "OPP-1", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 7,
        (const char *const[]){"opportunity", "create", "--title", "x", "--owner", "alice", NULL});
    isms_test_proc_cleanup(&p);
    login(port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    ctl(&p, port, 0,
        (const char *const[]){"opportunity", "create", "--title", "Admin's own", "--owner", "admin",
                              NULL});
    isms_test_proc_cleanup(&p);
    isms_test_pg_exec(pg, "UPDATE app_user SET status = 'active' WHERE name = 'bob'");
    {
        struct isms_test_proc q;

        isms_test_ismsctl_expect(&q, port, 0, PW_DAVE "\n", NULL,
                                 (const char *const[]){"login", "--password-stdin", "bob", NULL});
        isms_test_proc_cleanup(&q);
    }
    ctl(&p, port, 7,
        (const char *const[]){"opportunity", "update", "OPP-2", "--action", "mine now", NULL});
    has(p.err, "PERMISSION_DENIED: only an isms_manager or the owner (admin)");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 7, (const char *const[]){"opportunity", "link", "R-1", "--add", "I-1", NULL});
    has(p.err, "PERMISSION_DENIED");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"opportunity", "show", "OPP-1", NULL});
    has(p.out, "in_progress");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 4, (const char *const[]){"opportunity", "show", "OPP-9", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"-o", "csv", "opportunity", "list", "--owner", "admin", NULL});
    has(p.out, "OPP-2,Admin's own");
    hasnt(p.out, "OPP-1");
    isms_test_proc_cleanup(&p);
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM audit_log WHERE entity IN"
                                     " ('opportunity:OPP-1', 'risk:R-1') AND method LIKE"
                                     " '/isms.v1.Opportunity/%'",
                                     0, NULL),
                 5, "OPP-1: create, link, unlink, update; R-1: link");
    isms_test_pg_close(pg);
    isms_test_finish();
}
