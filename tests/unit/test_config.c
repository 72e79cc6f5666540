/* tests/unit/test_config.c — ismsd settings (core/config.h): defaults, the INI file, ISMSD_*
 * variables and flags in that order, and bad values whose messages name the source, the line
 * and the key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "core/config.h"

/* Writes `text` to a fresh temp file; path into `path` (unlink it when done). */
static void write_conf(char *path, size_t len, const char *text)
{
    int fd;
    FILE *f;

    snprintf(path, len, "/tmp/isms-conf.XXXXXX");
    fd = mkstemp(path);
    cr_assert_geq(fd, 0, "mkstemp failed");
    f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static void assert_contains(const char *hay, const char *needle)
{
    cr_assert_neq(strstr(hay, needle), NULL, "\"%s\" does not contain \"%s\"", hay, needle);
}

Test(config, defaults)
{
    struct isms_config c;

    isms_config_defaults(&c);
    cr_assert_str_eq(c.listen, "127.0.0.1:7370");
    cr_assert_eq(c.pool_size, 4);
    cr_assert_eq(c.max_conns, 1024);
    cr_assert_eq(c.max_inflight, 64);
    cr_assert_eq(c.idle_timeout_s, 300);
    cr_assert_eq(c.drain_timeout_s, 10);
    cr_assert_eq(c.max_frame_bytes, 4u * 1024 * 1024);
    cr_assert_eq(c.output_hard_bytes, 8u * 1024 * 1024);
    cr_assert_str_eq(c.config_path, "");
}

Test(config, file_sets_keys_with_and_without_section)
{
    struct isms_config c;
    struct isms_status st;
    char path[64];

    write_conf(path, sizeof(path),
               "; comment\n"
               "listen = 0.0.0.0:7999\n"
               "\n"
               "[ismsd]\n"
               "db = host=/tmp dbname=isms user=x\n"
               "log_level = debug\n"
               "pool_size = 8\n"
               "max_conns = 3\n"
               "idle_timeout_s = 5\n"
               "max_frame_bytes = 64K\n");
    isms_config_defaults(&c);
    cr_assert_eq(isms_config_parse_file(&c, path, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(c.listen, "0.0.0.0:7999");
    cr_assert_str_eq(c.db, "host=/tmp dbname=isms user=x");
    cr_assert_eq(c.pool_size, 8);
    cr_assert_eq(c.max_conns, 3);
    cr_assert_eq(c.idle_timeout_s, 5);
    cr_assert_eq(c.max_frame_bytes, 65536);
    cr_assert_str_eq(c.config_path, path);
    unlink(path);
}

struct size_case {
    char text[24];
    unsigned long long bytes;
};

ParameterizedTestParameters(config, size_suffixes)
{
    static struct size_case cases[] = {
        {"1024", 1024},    {"64K", 65536},   {"64k", 65536},       {"1M", 1048576},
        {"1MiB", 1048576}, {"1MB", 1048576}, {"4194304", 4194304}, {"64M", 64ull << 20},
    };

    return cr_make_param_array(struct size_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct size_case *tc, config, size_suffixes)
{
    struct isms_config c;
    struct isms_status st;

    isms_config_defaults(&c);
    cr_assert_eq(isms_config_set(&c, "max_frame_bytes", tc->text, "test", &st), ISMS_OK,
                 "\"%s\": %s", tc->text, st.msg);
    cr_assert_eq(c.max_frame_bytes, tc->bytes, "\"%s\" gave %llu", tc->text,
                 (unsigned long long)c.max_frame_bytes);
}

/* A bad line in a file: the message must name the file, the line and the key (or section). */
struct bad_file_case {
    char text[160];
    int line;
    char key[32];    /* must appear in the message */
    char detail[40]; /* and so must this */
};

ParameterizedTestParameters(config, bad_file_values)
{
    static struct bad_file_case cases[] = {
        {"pool_size = 0\n", 1, "pool_size", "between 1 and 256"},
        {"# c\n\npool_size = 257\n", 3, "pool_size", "\"257\""},
        {"pool_size = -1\n", 1, "pool_size", "\"-1\""},
        {"pool_size = 4x\n", 1, "pool_size", "\"4x\""},
        {"max_conns = 99999999999999999999999\n", 1, "max_conns", "99999999999999999999999"},
        {"listen = 127.0.0.1:7370\nmax_frame_bytes = lots\n", 2, "max_frame_bytes", "\"lots\""},
        {"max_frame_bytes = 1\n", 1, "max_frame_bytes", "between"},
        {"max_frame_bytes = 12Q\n", 1, "max_frame_bytes", "\"12Q\""},
        {"log_level = loud\n", 1, "log_level", "\"loud\""},
        {"[ismsd]\nlisten = nohost\n", 2, "listen", "nohost"},
        {"listen = 127.0.0.1:65536\n", 1, "listen", "65536"},
        {"idle_timeout_s = 0\n", 1, "idle_timeout_s", "\"0\""},
        {"pool_size = 4\nno_such_key = 1\n", 2, "no_such_key", "unknown key"},
        {"[other]\npool_size = 4\n", 2, "other", "unknown section"},
        {"pool_size\n", 1, "", "syntax"},
    };

    return cr_make_param_array(struct bad_file_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_file_case *tc, config, bad_file_values)
{
    struct isms_config c;
    struct isms_status st = {0};
    char path[64];
    char where[96];

    write_conf(path, sizeof(path), tc->text);
    isms_config_defaults(&c);
    cr_assert_eq(isms_config_parse_file(&c, path, &st), ISMS_INVALID_ARGUMENT, "file:\n%s",
                 tc->text);
    snprintf(where, sizeof(where), "%s:%d: ", path, tc->line);
    cr_assert_eq(strncmp(st.msg, where, strlen(where)), 0,
                 "message \"%s\" does not start with \"%s\"", st.msg, where);
    assert_contains(st.msg, tc->key);
    assert_contains(st.msg, tc->detail);
    unlink(path);
}

Test(config, missing_file_is_an_error)
{
    struct isms_config c;
    struct isms_status st = {0};

    isms_config_defaults(&c);
    cr_assert_eq(isms_config_parse_file(&c, "/nonexistent/ismsd.conf", &st), ISMS_INVALID_ARGUMENT);
    assert_contains(st.msg, "/nonexistent/ismsd.conf");
}

Test(config, set_names_where_and_key)
{
    struct isms_config c;
    struct isms_status st = {0};

    isms_config_defaults(&c);
    cr_assert_eq(isms_config_set(&c, "pool_size", "0", "option --pool-size", &st),
                 ISMS_INVALID_ARGUMENT);
    cr_assert_eq(strncmp(st.msg, "option --pool-size: pool_size: ", 31), 0, "%s", st.msg);
    assert_contains(st.msg, "\"0\"");
    cr_assert_eq(c.pool_size, 4, "a rejected value must not be stored");
}

Test(config, too_long_string_is_rejected)
{
    struct isms_config c;
    struct isms_status st = {0};
    char *big = malloc(sizeof(c.db) + 10);

    cr_assert_not_null(big);
    memset(big, 'd', sizeof(c.db) + 9);
    big[sizeof(c.db) + 9] = '\0';
    isms_config_defaults(&c);
    cr_assert_eq(isms_config_set(&c, "db", big, "test", &st), ISMS_INVALID_ARGUMENT);
    assert_contains(st.msg, "db");
    assert_contains(st.msg, "too long");
    free(big);
}

/* ---- load: file, then env, then flags -------------------------------------------------- */

static enum isms_code load(struct isms_config *c, char **argv, char **env,
                           enum isms_config_action *action, struct isms_status *st)
{
    int argc = 0;

    while (argv[argc] != NULL)
        argc++;
    return isms_config_load(c, argc, argv, env, NULL, NULL, action, st);
}

Test(config, later_sources_win)
{
    struct isms_config c;
    struct isms_status st = {0};
    enum isms_config_action action;
    char path[64];
    char *env_none[] = {NULL};
    char *env[] = {"ISMSD_POOL_SIZE=7", "ISMSD_MAX_CONNS=11", "ISMSD_UNRELATED_THING=x",
                   "PATH=/usr/bin", NULL};

    write_conf(path, sizeof(path), "pool_size = 5\nmax_conns = 6\nidle_timeout_s = 42\n");
    {
        char *argv[] = {"ismsd", "--config", path, NULL};

        cr_assert_eq(load(&c, argv, env_none, &action, &st), ISMS_OK, "%s", st.msg);
        cr_assert_eq(action, ISMS_CONFIG_RUN);
        cr_assert_eq(c.pool_size, 5);
        cr_assert_eq(c.max_conns, 6);
        cr_assert_eq(c.idle_timeout_s, 42);
    }
    {
        char *argv[] = {"ismsd", "--config", path, NULL};

        cr_assert_eq(load(&c, argv, env, &action, &st), ISMS_OK, "%s", st.msg);
        cr_assert_eq(c.pool_size, 7);
        cr_assert_eq(c.max_conns, 11);
        cr_assert_eq(c.idle_timeout_s, 42);
    }
    {
        char *argv[] = {"ismsd", "--pool-size", "9", NULL}; /* no file this time */

        cr_assert_eq(load(&c, argv, env, &action, &st), ISMS_OK, "%s", st.msg);
        cr_assert_eq(c.pool_size, 9);
        cr_assert_eq(c.max_conns, 11);
    }
    {
        char *argv[] = {"ismsd", "--config",       path, "--max-conns=2", "--idle-timeout-s",
                        "1",     "--max-inflight", "3",  "--listen",      "127.0.0.1:0",
                        NULL};

        cr_assert_eq(load(&c, argv, env, &action, &st), ISMS_OK, "%s", st.msg);
        cr_assert_eq(c.pool_size, 7);
        cr_assert_eq(c.max_conns, 2);
        cr_assert_eq(c.idle_timeout_s, 1);
        cr_assert_eq(c.max_inflight, 3);
        cr_assert_str_eq(c.listen, "127.0.0.1:0");
    }
    unlink(path);
}

Test(config, help_and_version)
{
    struct isms_config c;
    struct isms_status st = {0};
    enum isms_config_action action;
    char *env[] = {NULL};
    char *help[] = {"ismsd", "--pool-size", "3", "--help", NULL};
    char *version[] = {"ismsd", "--version", NULL};
    char usage[8192];

    cr_assert_eq(load(&c, help, env, &action, &st), ISMS_OK);
    cr_assert_eq(action, ISMS_CONFIG_HELP);
    cr_assert_eq(load(&c, version, env, &action, &st), ISMS_OK);
    cr_assert_eq(action, ISMS_CONFIG_VERSION);
    isms_config_usage(usage, sizeof(usage));
    assert_contains(usage, "--pool-size");
    assert_contains(usage, "--max-conns");
    assert_contains(usage, "--idle-timeout-s");
    assert_contains(usage, "--config");
}

struct bad_args_case {
    char args[4][40];
    char env[40];
    char detail[48];
};

ParameterizedTestParameters(config, bad_flags_and_env)
{
    static struct bad_args_case cases[] = {
        {{"--bogus"}, "", "unknown option \"--bogus\""},
        {{"--pool-size"}, "", "--pool-size needs a value"},
        {{"--pool-size", "0"}, "", "option --pool-size: pool_size"},
        {{"--max-frame-bytes=lots"}, "", "max_frame_bytes"},
        {{"--log-level", "loud"}, "", "log_level"},
        {{"--config"}, "", "--config needs a file"},
        {{"--config", "/nonexistent/x.conf"}, "", "/nonexistent/x.conf"},
        {{""}, "ISMSD_POOL_SIZE=zero", "ISMSD_POOL_SIZE"},
        {{""}, "ISMSD_MAX_FRAME_BYTES=1", "max_frame_bytes"},
    };

    return cr_make_param_array(struct bad_args_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_args_case *tc, config, bad_flags_and_env)
{
    struct isms_config c;
    struct isms_status st = {0};
    enum isms_config_action action;
    char *argv[6] = {"ismsd"};
    char *env[2] = {NULL, NULL};
    int argc = 1;

    for (int i = 0; i < 4 && tc->args[i][0] != '\0'; i++)
        argv[argc++] = tc->args[i];
    argv[argc] = NULL;
    if (tc->env[0] != '\0')
        env[0] = tc->env;
    cr_assert_eq(isms_config_load(&c, argc, argv, env, NULL, NULL, &action, &st),
                 ISMS_INVALID_ARGUMENT, "%s %s", tc->args[0], tc->env);
    assert_contains(st.msg, tc->detail);
}

/* ---- HOST:PORT ------------------------------------------------------------------------- */

Test(config, split_addr_accepts_v4_names_and_v6)
{
    char host[64];
    int port;
    struct isms_status st;

    cr_assert_eq(isms_config_split_addr("127.0.0.1:7370", host, sizeof(host), &port, &st), ISMS_OK);
    cr_assert_str_eq(host, "127.0.0.1");
    cr_assert_eq(port, 7370);
    cr_assert_eq(isms_config_split_addr("localhost:0", host, sizeof(host), &port, &st), ISMS_OK);
    cr_assert_str_eq(host, "localhost");
    cr_assert_eq(port, 0);
    cr_assert_eq(isms_config_split_addr("[::1]:65535", host, sizeof(host), &port, &st), ISMS_OK);
    cr_assert_str_eq(host, "::1");
    cr_assert_eq(port, 65535);
}

struct bad_addr_case {
    char addr[48];
};

ParameterizedTestParameters(config, split_addr_rejects)
{
    static struct bad_addr_case cases[] = {
        {"nocolon"}, {":7370"},    {"host:"}, {"host:65536"},
        {"host:-1"}, {"host:12x"}, {"[]:80"}, {""},
    };

    return cr_make_param_array(struct bad_addr_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_addr_case *tc, config, split_addr_rejects)
{
    char host[64];
    int port;
    struct isms_status st = {0};

    cr_assert_eq(isms_config_split_addr(tc->addr, host, sizeof(host), &port, &st),
                 ISMS_INVALID_ARGUMENT, "\"%s\" accepted", tc->addr);
    cr_assert_neq(st.msg[0], '\0');
}
