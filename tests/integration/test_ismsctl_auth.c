/* tests/integration/test_ismsctl_auth.c — ismsctl end to end with authentication, in a private
 * HOME: login, whoami, API tokens through ISMS_TOKEN, user administration, the audit commands
 * and logout, with the documented exit statuses and a credentials file only its owner reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "testlib.h"

TestSuite(ismsctl_auth, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define PW_BOB "river-stone-lantern-42"

static void assert_contains(const char *hay, const char *needle, const char *what)
{
    cr_assert_neq(strstr(hay, needle), NULL, "%s does not contain \"%s\":\n%s", what, needle, hay);
}

/* The string value of the first "key": "..." in JSON text (no escapes expected). */
static void json_string(const char *json, const char *key, char *out, size_t len)
{
    char pat[64];
    const char *p, *end;

    snprintf(pat, sizeof(pat), "\"%s\"", key);
    p = strstr(json, pat);
    cr_assert_not_null(p, "no \"%s\" in:\n%s", key, json);
    p += strlen(pat);
    while (*p == ' ' || *p == ':')
        p++;
    cr_assert_eq(*p, '"', "\"%s\" is not a string in:\n%s", key, json);
    p++;
    end = strchr(p, '"');
    cr_assert_not_null(end);
    cr_assert_lt((size_t)(end - p), len);
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void trim(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

Test(ismsctl_auth, login_tokens_users_audit_logout)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    char cred[512], token[256], env_tok[300], saved[256];
    const char *tok_env[2] = {env_tok, NULL};
    struct stat sb;
    char *text;
    int port;

    cr_assert_not_null(isms_test_ismsctl_path(), "ismsctl was not built");
    isms_test_env_start(&env, NULL);
    port = env.srv.port;

    isms_test_ismsctl_expect(
        &p, port, 0, ISMS_TEST_ADMIN_PASSWORD "\n", NULL,
        (const char *const[]){"login", "--password-stdin", ISMS_TEST_ADMIN_USER, NULL});
    cr_assert_null(strstr(p.out, ISMS_TEST_ADMIN_PASSWORD), "login printed the password");
    cr_assert_null(strstr(p.err, ISMS_TEST_ADMIN_PASSWORD), "login printed the password");
    isms_test_proc_cleanup(&p);

    /* The saved session: mode 0600 in a 0700 directory, the token but never the password. */
    snprintf(cred, sizeof(cred), "%s/.config/ismsctl/credentials", isms_test_ismsctl_home());
    cr_assert_eq(stat(cred, &sb), 0, "no credentials file at %s", cred);
    cr_assert_eq(sb.st_mode & 0777, 0600, "credentials file mode %o", sb.st_mode & 0777);
    {
        char dir[520];

        snprintf(dir, sizeof(dir), "%s/.config/ismsctl", isms_test_ismsctl_home());
        cr_assert_eq(stat(dir, &sb), 0);
        cr_assert_eq(sb.st_mode & 0077, 0, "credentials directory mode %o", sb.st_mode & 0777);
    }
    text = isms_test_read_file(cred);
    cr_assert_not_null(text);
    cr_assert_null(strstr(text, ISMS_TEST_ADMIN_PASSWORD), "the password is in the credentials");
    {
        const char *t = strstr(text, "token = ");

        cr_assert_not_null(t, "no token line in the credentials file:\n%s", text);
        snprintf(saved, sizeof(saved), "%.*s", (int)strcspn(t + 8, "\n"), t + 8);
    }
    free(text);

    isms_test_ismsctl_expect(&p, port, 0, NULL, NULL,
                             (const char *const[]){"whoami", "-o", "json", NULL});
    assert_contains(p.out, "\"admin\"", "whoami -o json");
    assert_contains(p.out, "\"session\"", "whoami -o json");
    isms_test_proc_cleanup(&p);

    /* A token's roles are a subset of the owner's: give the admin viewer too, then make a
     * read-only token for automation. */
    isms_test_ismsctl_expect(&p, port, 0, NULL, NULL,
                             (const char *const[]){"user", "update", ISMS_TEST_ADMIN_USER,
                                                   "--roles", "admin,isms_manager,viewer", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(
        &p, port, 0, NULL, NULL,
        (const char *const[]){"token", "create", "ci", "--roles", "viewer", "-o", "json", NULL});
    json_string(p.out, "token", token, sizeof(token));
    isms_test_proc_cleanup(&p);
    snprintf(env_tok, sizeof(env_tok), "ISMS_TOKEN=%s", token);
    isms_test_ismsctl_expect(&p, port, 7, NULL, tok_env,
                             (const char *const[]){"context", "set", "--org", "Token Ltd", NULL});
    cr_assert_eq(strncmp(p.err, "ismsctl: PERMISSION_DENIED:", 27), 0, "stderr:\n%s", p.err);
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, port, 0, NULL, tok_env,
                             (const char *const[]){"context", "show", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, port, 0, NULL, tok_env,
                             (const char *const[]){"whoami", "-o", "json", NULL});
    assert_contains(p.out, "token:ci", "whoami -o json with ISMS_TOKEN");
    isms_test_proc_cleanup(&p);
    {
        const char *junk[] = {"ISMS_TOKEN=isms_not-a-token", NULL};

        isms_test_ismsctl_expect(&p, port, 7, NULL, junk,
                                 (const char *const[]){"context", "show", NULL});
        cr_assert_eq(strncmp(p.err, "ismsctl: UNAUTHENTICATED:", 25), 0, "stderr:\n%s", p.err);
        isms_test_proc_cleanup(&p);
    }

    isms_test_ismsctl_expect(&p, port, 0, PW_BOB "\n", NULL,
                             (const char *const[]){"user", "create", "bob", "--roles", "viewer",
                                                   "--password-stdin", "--permanent", NULL});
    cr_assert_null(strstr(p.out, PW_BOB), "user create printed the password");
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, port, 0, NULL, NULL,
                             (const char *const[]){"user", "list", "-o", "json", NULL});
    assert_contains(p.out, "\"bob\"", "user list -o json");
    assert_contains(p.out, "\"admin\"", "user list -o json");
    trim(p.out);
    cr_assert_eq(p.out[0], '[', "user list -o json is not an array:\n%s", p.out);
    isms_test_proc_cleanup(&p);

    isms_test_ismsctl_expect(
        &p, port, 0, NULL, NULL,
        (const char *const[]){"audit", "log", "--limit", "5", "-o", "json", NULL});
    trim(p.out);
    cr_assert_eq(p.out[0], '[', "audit log -o json does not start an array:\n%s", p.out);
    cr_assert_eq(p.out[strlen(p.out) - 1], ']', "audit log -o json does not end an array:\n%s",
                 p.out);
    cr_assert_eq(count(p.out, "\"seq\""), 5, "audit log --limit 5 gave %zu records:\n%s",
                 count(p.out, "\"seq\""), p.out);
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, port, 0, NULL, NULL,
                             (const char *const[]){"audit", "verify", NULL});
    assert_contains(p.out, "intact", "audit verify");
    isms_test_proc_cleanup(&p);

    /* logout revokes the session on the server and forgets it locally. */
    isms_test_ismsctl_expect(&p, port, 0, NULL, NULL, (const char *const[]){"logout", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, port, 7, NULL, NULL,
                             (const char *const[]){"context", "show", NULL});
    cr_assert_eq(strncmp(p.err, "ismsctl: UNAUTHENTICATED:", 25), 0, "stderr:\n%s", p.err);
    isms_test_proc_cleanup(&p);
    text = isms_test_read_file(cred);
    cr_assert(text == NULL || strstr(text, saved) == NULL,
              "the revoked token is still in the credentials file");
    free(text);
    snprintf(env_tok, sizeof(env_tok), "ISMS_TOKEN=%s", saved);
    isms_test_ismsctl_expect(&p, port, 7, NULL, tok_env,
                             (const char *const[]){"context", "show", NULL});
    assert_contains(p.err, "revoked", "context show with the logged-out session token");
    isms_test_proc_cleanup(&p);
    /* The API token is not a session: logout left it working. */
    snprintf(env_tok, sizeof(env_tok), "ISMS_TOKEN=%s", token);
    isms_test_ismsctl_expect(&p, port, 0, NULL, tok_env,
                             (const char *const[]){"context", "show", NULL});
    isms_test_proc_cleanup(&p);
    cr_assert_eq(isms_test_health(port, NULL, 0), 0);
    isms_test_finish();
}

Test(ismsctl_auth, bob_logs_in_and_is_limited_to_his_role)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    int port;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    isms_test_ismsctl_expect(
        &p, port, 0, ISMS_TEST_ADMIN_PASSWORD "\n", NULL,
        (const char *const[]){"login", "--password-stdin", ISMS_TEST_ADMIN_USER, NULL});
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, port, 0, PW_BOB "\n", NULL,
                             (const char *const[]){"user", "create", "bob", "--roles", "viewer",
                                                   "--password-stdin", "--permanent", NULL});
    isms_test_proc_cleanup(&p);
    /* A wrong password exits 7 with the one login message. */
    isms_test_ismsctl_expect(&p, port, 7, "not-bobs-password-1\n", NULL,
                             (const char *const[]){"login", "--password-stdin", "bob", NULL});
    assert_contains(p.err, "invalid user name or password", "login with a wrong password");
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, port, 0, PW_BOB "\n", NULL,
                             (const char *const[]){"login", "--password-stdin", "bob", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, port, 0, NULL, NULL,
                             (const char *const[]){"context", "show", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, port, 7, NULL, NULL, (const char *const[]){"user", "list", NULL});
    cr_assert_eq(strncmp(p.err, "ismsctl: PERMISSION_DENIED:", 27), 0, "stderr:\n%s", p.err);
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, port, 7, NULL, NULL,
                             (const char *const[]){"audit", "verify", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(
        &p, port, 7, NULL, NULL,
        (const char *const[]){"token", "create", "escalate", "--roles", "admin", NULL});
    assert_contains(p.err, "roles you hold", "token create --roles admin as a viewer");
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}
