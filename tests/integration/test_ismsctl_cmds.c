/* tests/integration/test_ismsctl_cmds.c — the ismsctl commands no other test ran (user show,
 * disable, enable, reset-password, revoke-sessions; passwd; token list, revoke; context issue
 * remove), each against a real ismsd with its output and at least one bad input (usage error or
 * server code); and what the command table generates: help and the bash completion script. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "testlib.h"

TestSuite(ismsctl_cmds, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define PW_BOB "river-stone-lantern-42"
#define PW_NEW "quiet-harbour-compass-77"

static void ctl(struct isms_test_proc *p, int port, int want, const char *const *args)
{
    isms_test_ismsctl_expect(p, port, want, NULL, NULL, args);
}

static void ctl_in(struct isms_test_proc *p, int port, int want, const char *input,
                   const char *const *args)
{
    isms_test_ismsctl_expect(p, port, want, input, NULL, args);
}

static void has(const char *hay, const char *needle)
{
    cr_assert_neq(strstr(hay, needle), NULL, "no \"%s\" in:\n%s", needle, hay);
}

/* The one error line starts with `prefix` (e.g. "ismsctl: usage:"). */
static void error_line(const struct isms_test_proc *p, const char *prefix, const char *needle)
{
    cr_assert_eq(strncmp(p->err, prefix, strlen(prefix)), 0, "stderr does not start with %s:\n%s",
                 prefix, p->err);
    if (needle != NULL)
        has(p->err, needle);
}

static void login(int port, const char *user, const char *password)
{
    struct isms_test_proc p;
    char input[128];

    snprintf(input, sizeof(input), "%s\n", password);
    ctl_in(&p, port, 0, input, (const char *const[]){"login", "--password-stdin", user, NULL});
    isms_test_proc_cleanup(&p);
}

/* ---- generated from the table: help and completion ------------------------------------------ */

Test(ismsctl_cmds, help_comes_from_the_command_rows)
{
    struct isms_test_proc p;

    ctl(&p, 1, 0, (const char *const[]){"help", NULL});
    has(p.out, "completion bash");
    has(p.out, "completion zsh");
    has(p.out, "context issue remove ID");
    has(p.out, "user create NAME --roles r1,r2");
    isms_test_proc_cleanup(&p);

    /* One command: its synopsis, and one line per flag with what the row says about it. */
    ctl(&p, 1, 0, (const char *const[]){"risk", "treat", "--help", NULL});
    has(p.out, "usage: ismsctl [options] risk treat R-<n>");
    has(p.out, "--action-owner NAME");
    has(p.out, "(with --action)");
    has(p.out, "--control ID ...");
    isms_test_proc_cleanup(&p);

    ctl(&p, 1, 0, (const char *const[]){"user", "--help", NULL});
    has(p.out, "user revoke-sessions NAME");
    cr_assert_null(strstr(p.out, "risk treat"), "noun help shows another noun:\n%s", p.out);
    isms_test_proc_cleanup(&p);

    ctl(&p, 1, 2, (const char *const[]){"completion", "fish", NULL});
    error_line(&p, "ismsctl: usage:", "unknown command \"fish\"");
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

/* Runs bash with the completion script loaded and `words` as the command line being completed
 * (the last word is the one under the cursor); returns COMPREPLY, space-separated, in p->out. */
static void complete(struct isms_test_proc *p, const char *script, const char *words)
{
    char cmd[1024];
    const char *bash = isms_test_find_program("bash");

    cr_assert_not_null(bash, "bash is not installed");
    snprintf(cmd, sizeof(cmd),
             "source '%s' && COMP_WORDS=(%s) && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && "
             "_ismsctl && echo \"${COMPREPLY[*]}\"",
             script, words);
    isms_test_run(p, (const char *const[]){bash, "--norc", "-c", cmd, NULL}, NULL, 20000);
    cr_assert_eq(p->exit_code, 0, "bash exited %d for %s\n%s", p->exit_code, words, p->err);
}

Test(ismsctl_cmds, bash_completion_knows_nouns_verbs_flags_and_values)
{
    struct isms_test_proc p;
    char script[256];
    const char *bash = isms_test_find_program("bash");
    FILE *fp;

    ctl(&p, 1, 0, (const char *const[]){"completion", "bash", NULL});
    has(p.out, "complete -F _ismsctl ismsctl");
    has(p.out, "\"context party add\"");
    has(p.out, "\"risk treat|--option\") echo \"enum:modify retain avoid share\"");
    snprintf(script, sizeof(script), "%s/ismsctl.bash", isms_test_ismsctl_home());
    fp = fopen(script, "w");
    cr_assert_not_null(fp);
    fputs(p.out, fp);
    fclose(fp);
    isms_test_proc_cleanup(&p);

    cr_assert_not_null(bash, "bash is not installed");
    isms_test_run(&p, (const char *const[]){bash, "-n", script, NULL}, NULL, 20000);
    cr_assert_eq(p.exit_code, 0, "bash -n refuses the script:\n%s", p.err);
    isms_test_proc_cleanup(&p);

    complete(&p, script, "ismsctl con");
    cr_assert_str_eq(p.out, "context control\n");
    isms_test_proc_cleanup(&p);
    complete(&p, script, "ismsctl --plaintext context party ''");
    cr_assert_str_eq(p.out, "add list remove update\n");
    isms_test_proc_cleanup(&p);
    complete(&p, script, "ismsctl risk treat R-1 --option ''");
    cr_assert_str_eq(p.out, "modify retain avoid share\n");
    isms_test_proc_cleanup(&p);
    /* A flag's value is skipped: "--title x" does not end the command words. */
    complete(&p, script, "ismsctl user create bob --roles viewer --pa");
    cr_assert_str_eq(p.out, "--password-stdin\n");
    isms_test_proc_cleanup(&p);
    complete(&p, script, "ismsctl -o ''");
    cr_assert_str_eq(p.out, "table json csv\n");
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

/* ---- user show, disable, enable, reset-password, revoke-sessions ---------------------------- */

Test(ismsctl_cmds, user_administration)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    int port;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    login(port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    ctl_in(&p, port, 0, PW_BOB "\n",
           (const char *const[]){"user", "create", "bob", "--roles", "viewer,auditor",
                                 "--display-name", "Bob B", "--password-stdin", "--permanent",
                                 NULL});
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0, (const char *const[]){"-o", "json", "user", "show", "bob", NULL});
    has(p.out, "\"name\": \"bob\"");
    has(p.out, "\"display_name\": \"Bob B\"");
    has(p.out, "\"auditor\"");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 4, (const char *const[]){"user", "show", "nobody", NULL});
    error_line(&p, "ismsctl: NOT_FOUND:", "nobody");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"user", "show", NULL});
    error_line(&p, "ismsctl: usage:", "user show needs NAME");
    isms_test_proc_cleanup(&p);

    /* disable: bob can no longer log in; enable: he can again. */
    ctl(&p, port, 0, (const char *const[]){"-o", "json", "user", "disable", "bob", NULL});
    has(p.out, "\"status\": \"disabled\"");
    isms_test_proc_cleanup(&p);
    ctl_in(&p, port, 7, PW_BOB "\n",
           (const char *const[]){"login", "--password-stdin", "bob", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"user", "disable", "bob", "carol", NULL});
    error_line(&p, "ismsctl: usage:", "unexpected argument \"carol\"");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 4, (const char *const[]){"user", "enable", "ghost", NULL});
    error_line(&p, "ismsctl: NOT_FOUND:", NULL);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"-o", "json", "user", "enable", "bob", NULL});
    has(p.out, "\"status\": \"active\"");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"user", "enable", "--bogus", "bob", NULL});
    error_line(&p, "ismsctl: usage:", "unknown option \"--bogus\"");
    isms_test_proc_cleanup(&p);

    /* revoke-sessions: a session of bob's is signed out. */
    {
        char token[256];
        int fd;
        struct isms_test_reply rep;
        Isms__V1__WhoAmIRequest req = ISMS__V1__WHO_AM_IREQUEST__INIT;

        cr_assert_eq(isms_test_login(port, "bob", PW_BOB, token, sizeof(token)), 0);
        ctl(&p, port, 0, (const char *const[]){"user", "revoke-sessions", "bob", NULL});
        has(p.out, "revoked 1 session of bob");
        isms_test_proc_cleanup(&p);
        fd = isms_test_connect(port);
        isms_test_set_token(token);
        isms_test_unary(fd, "/isms.v1.Auth/WhoAmI", &req.base, 0,
                        &isms__v1__user_account__descriptor, &rep);
        isms_test_expect(&rep, ISMS_UNAUTHENTICATED, NULL, "WhoAmI after revoke-sessions");
        isms_test_reply_cleanup(&rep);
        close(fd);
    }
    ctl(&p, port, 4, (const char *const[]){"user", "revoke-sessions", "ghost", NULL});
    error_line(&p, "ismsctl: NOT_FOUND:", NULL);
    isms_test_proc_cleanup(&p);

    /* reset-password: a one-time password from the server, or one from stdin. */
    ctl(&p, port, 0, (const char *const[]){"user", "reset-password", "bob", NULL});
    has(p.out, "one-time password: ");
    has(p.err, "shown only this once");
    isms_test_proc_cleanup(&p);
    ctl_in(&p, port, 0, PW_NEW "\n",
           (const char *const[]){"user", "reset-password", "bob", "--password-stdin", NULL});
    has(p.out, "password of bob set");
    cr_assert_null(strstr(p.out, PW_NEW), "the password was printed:\n%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"user", "reset-password", NULL});
    error_line(&p, "ismsctl: usage:", "user reset-password needs NAME");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 4, (const char *const[]){"user", "reset-password", "ghost", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

/* ---- passwd, token list, token revoke -------------------------------------------------------- */

Test(ismsctl_cmds, passwd_and_api_tokens)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    char id[64];
    const char *s, *e;
    int port, fd;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    fd = isms_test_connect(port);
    isms_test_user_create(fd, "bob", "risk_owner", PW_BOB);
    close(fd);
    login(port, "bob", PW_BOB);

    ctl_in(&p, port, 7, "not-my-password\n" PW_NEW "\n",
           (const char *const[]){"passwd", "--password-stdin", NULL});
    error_line(&p, "ismsctl: PERMISSION_DENIED:", "current password is wrong");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"passwd", "now", NULL});
    error_line(&p, "ismsctl: usage:", "unexpected argument \"now\"");
    isms_test_proc_cleanup(&p);
    ctl_in(&p, port, 0, PW_BOB "\n" PW_NEW "\n",
           (const char *const[]){"passwd", "--password-stdin", NULL});
    has(p.out, "password changed");
    isms_test_proc_cleanup(&p);
    {
        char token[256];

        cr_assert_neq(isms_test_login(port, "bob", PW_BOB, token, sizeof(token)), 0,
                      "the old password still works");
        cr_assert_eq(isms_test_login(port, "bob", PW_NEW, token, sizeof(token)), 0);
    }
    login(port, "bob", PW_NEW);

    ctl(&p, port, 0,
        (const char *const[]){"-o", "json", "token", "create", "ci", "--roles", "risk_owner",
                              NULL});
    s = strstr(p.out, "\"id\": \"");
    cr_assert_not_null(s, "%s", p.out);
    s += strlen("\"id\": \"");
    e = strchr(s, '"');
    cr_assert_lt((size_t)(e - s), sizeof(id));
    memcpy(id, s, (size_t)(e - s));
    id[e - s] = '\0';
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"token", "create", "ci2", "--roles", ",", NULL});
    error_line(&p, "ismsctl: usage:", "--roles needs at least one role");
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0, (const char *const[]){"-o", "json", "token", "list", NULL});
    has(p.out, id);
    has(p.out, "\"name\": \"ci\"");
    has(p.out, "\"revoked\": false");
    isms_test_proc_cleanup(&p);
    /* Another user's tokens are for admins only. */
    ctl(&p, port, 7, (const char *const[]){"token", "list", "--owner", "admin", NULL});
    error_line(&p, "ismsctl: PERMISSION_DENIED:", NULL);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"token", "list", "--owner", NULL});
    error_line(&p, "ismsctl: usage:", "--owner needs a value");
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0, (const char *const[]){"token", "revoke", id, NULL});
    has(p.out, "revoked token");
    has(p.out, id);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"-o", "json", "token", "list", NULL});
    has(p.out, "\"revoked\": true");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 4, (const char *const[]){"token", "revoke", "T-9999", NULL});
    error_line(&p, "ismsctl: NOT_FOUND:", NULL);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"token", "revoke", NULL});
    error_line(&p, "ismsctl: usage:", "token revoke needs T-<n>");
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

/* ---- context issue remove, and usage errors the rows declare --------------------------------- */

Test(ismsctl_cmds, issue_remove_and_declared_rules)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    int port;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    login(port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);

    ctl(&p, port, 0,
        (const char *const[]){"context", "issue", "add", "--kind", "internal", "staff turnover",
                              NULL});
    has(p.out, "I-1");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2,
        (const char *const[]){"context", "issue", "add", "--kind", "internal", "--description", "a",
                              "b", NULL});
    error_line(&p, "ismsctl: usage:", "give the TEXT once");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"-o", "json", "context", "issue", "remove", "I-1", NULL});
    has(p.out, "\"I-1\"");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"context", "issue", "list", NULL});
    cr_assert_null(strstr(p.out, "staff turnover"), "removed issue still listed:\n%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 4, (const char *const[]){"context", "issue", "remove", "I-1", NULL});
    error_line(&p, "ismsctl: NOT_FOUND:", "I-1");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"context", "issue", "remove", NULL});
    error_line(&p, "ismsctl: usage:", "context issue remove needs ID");
    isms_test_proc_cleanup(&p);

    /* Rules declared in the rows, refused before any call. */
    ctl(&p, port, 2, (const char *const[]){"context", "set", NULL});
    error_line(&p, "ismsctl: usage:", "needs something to change: --org, --scope");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2,
        (const char *const[]){"context", "set", "--org", "A", "--expect-version", "x", NULL});
    error_line(&p, "ismsctl: usage:", "--expect-version needs a whole number");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"context", "set", "--org", "A", "--org", "B", NULL});
    error_line(&p, "ismsctl: usage:", "--org given more than once");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2,
        (const char *const[]){"risk", "create", "--title", "t", "--owner", "admin", "--likelihood",
                              "2", NULL});
    error_line(&p, "ismsctl: usage:", "--likelihood needs --impact too");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2,
        (const char *const[]){"risk", "create", "--title", "t", "--owner", "admin", "--next-review",
                              "soon", NULL});
    error_line(&p, "ismsctl: usage:", "--next-review needs a date YYYY-MM-DD");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2,
        (const char *const[]){"risk", "update", "R-1", "--asset", "A-1", "--no-assets", NULL});
    error_line(&p, "ismsctl: usage:", "not both");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"asset", "classifications", "set", NULL});
    error_line(&p, "ismsctl: usage:", "needs one or more LEVEL,LEVEL");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"asset", "depend", "A-1", NULL});
    error_line(&p, "ismsctl: usage:", "asset depend needs OTHER (or --on)");
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"asset", "list", "--desc=yes", NULL});
    error_line(&p, "ismsctl: usage:", "--desc takes no value");
    isms_test_proc_cleanup(&p);
    /* The server still answers after all that. */
    ctl(&p, port, 0, (const char *const[]){"context", "show", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}
