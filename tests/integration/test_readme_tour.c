/* tests/integration/test_readme_tour.c — the README's command blocks run as written against a
 * real ismsd: the "Try it" commands after deploy/quickstart, then "A first Plan-phase session",
 * one after another on one server (so the tour cannot, say, create a user the first block
 * already made). Every `ismsctl` line must succeed, except those whose comment says "refused",
 * which must fail, and those whose comment says "exits N", which must exit N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "testlib.h"

TestSuite(readme_tour, .init = isms_test_init, .fini = isms_test_fini, .timeout = 280);

/* Appends the ismsctl commands of the ```sh block at or after `heading` in `readme` to the
 * script `out` (joining "\" continuations), each checked for success or, with "refused" in
 * its comment, for failure. Returns the number of commands. */
static int add_block(const char *readme, const char *heading, FILE *out)
{
    const char *h = strstr(readme, heading), *p, *end;
    int n = 0;

    cr_assert_not_null(h, "README has no \"%s\"", heading);
    p = strstr(h, "```sh\n");
    cr_assert_not_null(p, "no sh block after \"%s\"", heading);
    p += 6;
    end = strstr(p, "```");
    cr_assert_not_null(end);
    while (p < end) {
        char line[2048];
        size_t len = 0;
        const char *cmd, *hash;
        bool is_refused;
        int exits;

        /* One logical line: physical lines ending in '\' are joined. */
        for (;;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t k = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

            cr_assert_lt(len + k, sizeof(line) - 1);
            memcpy(line + len, p, k);
            len += k;
            p += k + (nl != NULL ? 1 : 0);
            if (len > 0 && line[len - 1] == '\\' && p < end) {
                line[--len] = ' ';
                continue;
            }
            break;
        }
        line[len] = '\0';
        cmd = line;
        while (*cmd == ' ')
            cmd++;
        if (strncmp(cmd, "build/client/ismsctl ", 21) == 0)
            cmd += 13;
        if (strncmp(cmd, "ismsctl ", 8) != 0)
            continue; /* `. var/ismsctl.env`, `deploy/quickstart stop`, comments */
        hash = strstr(cmd, " #");
        is_refused = hash != NULL && strstr(hash, "refused") != NULL;
        /* "(exits N ...)" in the comment: that exit status is what the line documents. */
        exits = hash != NULL && strstr(hash, "exits ") != NULL
                    ? (int)strtol(strstr(hash, "exits ") + 6, NULL, 10)
                    : 0;
        len = (size_t)(hash != NULL ? hash - cmd : (long)strlen(cmd));
        fprintf(out, "\"$ISMSCTL\" %.*s; rc=$?\n", (int)(len - 8), cmd + 8);
        if (is_refused)
            fputs("[ $rc != 0 ]", out);
        else
            fprintf(out, "[ $rc = %d ]", exits);
        fprintf(out, " || { cat >&2 <<'CMD'\nREADME: %s (exit $rc): %.*s\nCMD\nexit 1; }\n",
                is_refused ? "this should have been refused" : "unexpected exit status", (int)len,
                cmd);
        n++;
    }
    return n;
}

Test(readme_tour, try_it_then_the_plan_tour_run_clean)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    char readme_path[1024], dir[256], script[512], server[64], ctl[300], home[300], xdg[320];
    const char *src = getenv("ISMS_SOURCE_DIR");
    const char *bash = isms_test_find_program("bash");
    char *readme;
    FILE *fp;
    int n;

    cr_assert_not_null(src, "ISMS_SOURCE_DIR is not set");
    cr_assert_not_null(bash, "bash is not installed");
    cr_assert_not_null(isms_test_ismsctl_path(), "ismsctl was not built");
    snprintf(readme_path, sizeof(readme_path), "%s/README.md", src);
    readme = isms_test_read_file(readme_path);
    cr_assert_not_null(readme, "cannot read %s", readme_path);

    isms_test_env_start(&env, NULL);
    isms_test_tmpdir(dir, sizeof(dir));
    /* What quickstart leaves in var/: the first admin's password. */
    snprintf(script, sizeof(script), "%s/var", dir);
    cr_assert_eq(mkdir(script, 0700), 0);
    snprintf(script, sizeof(script), "%s/var/admin-password", dir);
    fp = fopen(script, "w");
    cr_assert_not_null(fp);
    fprintf(fp, "%s\n", ISMS_TEST_ADMIN_PASSWORD);
    fclose(fp);

    snprintf(script, sizeof(script), "%s/tour.sh", dir);
    fp = fopen(script, "w");
    cr_assert_not_null(fp);
    fprintf(fp, "cd '%s' || exit 1\n", dir);
    /* "Try it": the block after quickstart, the one that loads var/ismsctl.env. */
    n = add_block(readme, "```sh\n. var/ismsctl.env", fp);
    n += add_block(readme, "\n## A first Plan-phase session\n", fp);
    fclose(fp);
    cr_assert_gt(n, 20, "only %d ismsctl lines found in the README", n);

    snprintf(server, sizeof(server), "ISMS_SERVER=127.0.0.1:%d", env.srv.port);
    snprintf(ctl, sizeof(ctl), "ISMSCTL=%s", isms_test_ismsctl_path());
    snprintf(home, sizeof(home), "HOME=%s", dir);
    snprintf(xdg, sizeof(xdg), "XDG_CONFIG_HOME=%s/.config", dir);
    isms_test_run(&p, (const char *const[]){bash, "--norc", script, NULL},
                  (const char *const[]){server, "ISMS_PLAINTEXT=1", ctl, home, xdg, NULL}, 240000);
    cr_assert_eq(p.exit_code, 0, "the README tour failed (exit %d):\n%s\nstderr:\n%s", p.exit_code,
                 p.out, p.err);
    isms_test_proc_cleanup(&p);
    free(readme);
    isms_test_finish();
}
