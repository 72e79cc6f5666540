/* tests/unit/test_client_config.c — ismsctl's two small files: the config file (client/config.c:
 * "key = value" lines, flag > environment > file > default) and the credentials file
 * (client/credentials.c: [HOST:PORT] sections, 0600 only, atomic rewrite). Each test points
 * XDG_CONFIG_HOME at a fresh directory; Criterion runs each test in its own process. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "config.h"
#include "credentials.h"

static char home[64];

/* A fresh XDG_CONFIG_HOME with ismsctl/ in it; no ISMS_* variables. */
static void fresh_home(void)
{
    char dir[128];

    snprintf(home, sizeof(home), "/tmp/ismsctl-test-XXXXXX");
    cr_assert_not_null(mkdtemp(home));
    setenv("XDG_CONFIG_HOME", home, 1);
    unsetenv("ISMS_SERVER");
    unsetenv("ISMS_CA");
    unsetenv("ISMS_PLAINTEXT");
    snprintf(dir, sizeof(dir), "%s/ismsctl", home);
    cr_assert_eq(mkdir(dir, 0700), 0);
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes the test's directory after each test. */
static void drop_home(void)
{
    if (home[0] != '\0')
        nftw(home, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(client_config, .fini = drop_home);
TestSuite(client_credentials, .fini = drop_home);

static void put_file(const char *name, const char *text, mode_t mode)
{
    char path[160];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/ismsctl/%s", home, name);
    fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs(text, fp);
    fclose(fp);
    cr_assert_eq(chmod(path, mode), 0);
}

Test(client_config, file_then_environment_then_flags)
{
    struct isms_client_flags flags = {0};
    struct isms_client_conf c;
    struct isms_status st = {0};

    fresh_home();
    cr_assert_eq(isms_config_resolve(&flags, &c, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(c.server, "127.0.0.1:7370");
    cr_assert_not(c.is_plaintext);
    put_file("config",
             "# comment\n\n  server = db.example:7443  # trailing comment\r\nca=/etc/ca.pem\n"
             "plaintext = off\n",
             0644);
    cr_assert_eq(isms_config_resolve(&flags, &c, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(c.server, "db.example:7443");
    cr_assert_str_eq(c.ca_file, "/etc/ca.pem");
    setenv("ISMS_SERVER", "env:1", 1);
    setenv("ISMS_PLAINTEXT", "yes", 1);
    cr_assert_eq(isms_config_resolve(&flags, &c, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(c.server, "env:1");
    cr_assert(c.is_plaintext);
    flags.server = "flag:2";
    cr_assert_eq(isms_config_resolve(&flags, &c, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(c.server, "flag:2");
}

struct bad_config {
    char text[80];
    char msg[80];
};

ParameterizedTestParameters(client_config, bad_config_lines_name_file_and_line)
{
    static struct bad_config cases[] = {
        {"server = a:1\nnonsense\n", "/ismsctl/config:2: expected \"key = value\""},
        {"colour = red\n", "/ismsctl/config:1: unknown key \"colour\" (known: server, ca, "},
        {"\nplaintext = maybe\n", "/ismsctl/config:2: plaintext must be true or false, got "},
    };

    return cr_make_param_array(struct bad_config, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_config *tc, client_config, bad_config_lines_name_file_and_line)
{
    struct isms_client_flags flags = {0};
    struct isms_client_conf c;
    struct isms_status st = {0};

    fresh_home();
    put_file("config", tc->text, 0644);
    cr_assert_eq(isms_config_resolve(&flags, &c, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_not_null(strstr(st.msg, tc->msg), "%s", st.msg);
}

Test(client_config, overlong_config_line_is_refused)
{
    struct isms_client_flags flags = {0};
    struct isms_client_conf c;
    struct isms_status st = {0};
    char *text = malloc(5001);

    fresh_home();
    memset(text, 'a', 5000);
    text[5000] = '\0';
    put_file("config", text, 0644);
    cr_assert_eq(isms_config_resolve(&flags, &c, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_not_null(strstr(st.msg, "config:1: line too long"), "%s", st.msg);
    free(text);
}

Test(client_config, bad_environment_plaintext)
{
    struct isms_client_flags flags = {0};
    struct isms_client_conf c;
    struct isms_status st = {0};

    fresh_home();
    setenv("ISMS_PLAINTEXT", "sure", 1);
    cr_assert_eq(isms_config_resolve(&flags, &c, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_str_eq(st.msg, "ISMS_PLAINTEXT must be 1 or 0 (true or false), got \"sure\"");
}

struct addr_case {
    char addr[40];
    int is_ok;
    char host[32];
    char port[8];
};

ParameterizedTestParameters(client_config, server_addresses)
{
    static struct addr_case cases[] = {
        {"127.0.0.1:7370", 1, "127.0.0.1", "7370"},
        {"[::1]:1", 1, "::1", "1"},
        {"db.example:65535", 1, "db.example", "65535"},
        {"db:0", 0, "", ""},
        {"db:65536", 0, "", ""},
        {"db:+1", 0, "", ""},
        {"db: 1", 0, "", ""},
        {"db:1x", 0, "", ""},
        {"::1:7370", 0, "", ""},
        {"[::1]7370", 0, "", ""},
        {":7370", 0, "", ""},
        {"db", 0, "", ""},
    };

    return cr_make_param_array(struct addr_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct addr_case *tc, client_config, server_addresses)
{
    char host[64], port[16];
    struct isms_status st = {0};
    enum isms_code code =
        isms_config_split_addr(tc->addr, host, sizeof(host), port, sizeof(port), &st);

    if (!tc->is_ok) {
        cr_assert_eq(code, ISMS_INVALID_ARGUMENT, "accepted %s", tc->addr);
        cr_assert_not_null(strstr(st.msg, "is not HOST:PORT (port 1-65535)"), "%s", st.msg);
        return;
    }
    cr_assert_eq(code, ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(host, tc->host);
    cr_assert_str_eq(port, tc->port);
}

Test(client_credentials, store_load_replace_remove)
{
    struct isms_status st = {0};
    char *token = NULL, path[160];
    struct stat sb;

    fresh_home();
    cr_assert_eq(isms_cred_load("a:1", &token, &st), ISMS_OK, "%s", st.msg);
    cr_assert_null(token);
    cr_assert_eq(isms_cred_store("a:1", "tok-a", "alice", "2030-01-01T00:00:00Z", &st), ISMS_OK,
                 "%s", st.msg);
    cr_assert_eq(isms_cred_store("b:2", "tok-b", "bob\nuser = x", "", &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(isms_cred_store("a:1", "tok-a2", "alice", "", &st), ISMS_OK, "%s", st.msg);
    snprintf(path, sizeof(path), "%s/ismsctl/credentials", home);
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600);
    cr_assert_eq(isms_cred_load("a:1", &token, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(token, "tok-a2");
    free(token);
    cr_assert_eq(isms_cred_load("b:2", &token, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(token, "tok-b");
    free(token);
    cr_assert_eq(isms_cred_store("b:2", NULL, NULL, NULL, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(isms_cred_load("b:2", &token, &st), ISMS_OK, "%s", st.msg);
    cr_assert_null(token);
    cr_assert_eq(isms_cred_load("a:1", &token, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(token, "tok-a2");
    free(token);
}

struct bad_cred {
    char text[80];
    int mode;
    char msg[80];
};

ParameterizedTestParameters(client_credentials, bad_files_are_refused)
{
    static struct bad_cred cases[] = {
        {"[a:1]\ntoken = t\n", 0644, "may be read by others (mode 644); run chmod 600 on it"},
        {"token = t\n", 0600, "credentials:1: \"key = value\" before any [HOST:PORT] section"},
        {"[a:1]\ntoken t\n", 0600, "credentials:2: expected \"key = value\""},
        {"# x\n[]\n", 0600, "credentials:2: expected [HOST:PORT]"},
        {"[a:1\n", 0600, "credentials:1: expected [HOST:PORT]"},
    };

    return cr_make_param_array(struct bad_cred, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_cred *tc, client_credentials, bad_files_are_refused)
{
    struct isms_status st = {0};
    char *token = NULL;

    fresh_home();
    put_file("credentials", tc->text, (mode_t)tc->mode);
    cr_assert_eq(isms_cred_load("a:1", &token, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_null(token);
    cr_assert_not_null(strstr(st.msg, tc->msg), "%s", st.msg);
}

Test(client_credentials, nul_byte_and_oversize_are_refused)
{
    struct isms_status st = {0};
    char *token = NULL, path[160];
    FILE *fp;

    fresh_home();
    snprintf(path, sizeof(path), "%s/ismsctl/credentials", home);
    fp = fopen(path, "w");
    fwrite("[a:1]\ntok\0en = t\n", 1, 17, fp);
    fclose(fp);
    chmod(path, 0600);
    cr_assert_eq(isms_cred_load("a:1", &token, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_not_null(strstr(st.msg, "credentials:2: not a text line"), "%s", st.msg);
    fp = fopen(path, "w");
    for (size_t i = 0; i < ISMS_CRED_FILE_MAX / 8 + 1; i++)
        fputs("# pad..\n", fp);
    fclose(fp);
    cr_assert_eq(isms_cred_load("a:1", &token, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_not_null(strstr(st.msg, "is larger than 256 KiB"), "%s", st.msg);
}
