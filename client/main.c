/* client/main.c — ismsctl: parses the global flags, finds `<noun> <verb>` in the command table,
 * parses and runs it (cmd.c), renders its output, and turns a failure into one stderr line and an
 * exit status. The exit status of every failure class comes from exit_classes[] and nowhere else.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "output.h"
#include "table_fit.h"

/* The nouns, in help order. A new noun is one more line here (and a cmd_<noun>.c). */
const struct isms_noun *const isms_nouns[] = {
    &isms_noun_status,  &isms_noun_login,      &isms_noun_logout,
    &isms_noun_whoami,  &isms_noun_passwd,     &isms_noun_context,
    &isms_noun_user,    &isms_noun_token,      &isms_noun_audit,
    &isms_noun_control, &isms_noun_soa,        &isms_noun_asset,
    &isms_noun_method,  &isms_noun_risk,       &isms_noun_opportunity,
    &isms_noun_doc,     &isms_noun_evidence,   &isms_noun_schedule,
    &isms_noun_review,  &isms_noun_completion, NULL,
};

enum exit_kind {
    EXIT_SUCCESS_KIND = 0, /* the command did what was asked */
    EXIT_BY_CODE,          /* chosen by the server's (or our local) status code */
    EXIT_USAGE,            /* bad flags or arguments */
    EXIT_UNREACHABLE,      /* could not connect, or lost the connection */
};

#define EXIT_OTHER 1 /* for any code no row lists */

/* The one mapping from failure class to exit status; also printed by `ismsctl help`.
 * `codes` ends at the first ISMS_OK (zero), which never names a failure. */
static const struct exit_class {
    int status;
    enum exit_kind kind;
    const char *meaning;
    enum isms_code codes[4];
} exit_classes[] = {
    {0, EXIT_SUCCESS_KIND, "success", {ISMS_OK}},
    {1,
     EXIT_BY_CODE,
     "server error (see the server log), or any other failure",
     {ISMS_INTERNAL, ISMS_UNKNOWN, ISMS_DATA_LOSS}},
    {2,
     EXIT_USAGE,
     "bad flags or arguments, bad server address, config, CA or credentials file",
     {ISMS_OK}},
    {3, EXIT_BY_CODE, "the server rejected a value", {ISMS_INVALID_ARGUMENT, ISMS_OUT_OF_RANGE}},
    {4, EXIT_BY_CODE, "no such record", {ISMS_NOT_FOUND}},
    {5,
     EXIT_BY_CODE,
     "conflict: name taken, or changed by someone else (stale --expect-version)",
     {ISMS_ALREADY_EXISTS, ISMS_ABORTED}},
    {6,
     EXIT_BY_CODE,
     "an ISMS rule is not met (also: a one-time password not yet changed, a broken audit chain)",
     {ISMS_FAILED_PRECONDITION}},
    {7,
     EXIT_BY_CODE,
     "not logged in (no, expired or revoked token), or your roles do not allow it",
     {ISMS_UNAUTHENTICATED, ISMS_PERMISSION_DENIED}},
    {8,
     EXIT_BY_CODE,
     "server busy, shutting down, database down or too slow: try later; also `status` on a "
     "NOT_SERVING server",
     {ISMS_UNAVAILABLE, ISMS_DEADLINE_EXCEEDED, ISMS_RESOURCE_EXHAUSTED}},
    {9,
     EXIT_UNREACHABLE,
     "connection refused or timed out, connection lost, TLS failure (certificate not trusted, "
     "wrong host name, TLS on one side only)",
     {ISMS_OK}},
    {10, EXIT_BY_CODE, "the server does not know this call (too old)", {ISMS_UNIMPLEMENTED}},
};
#define NEXIT     (sizeof(exit_classes) / sizeof(exit_classes[0]))
#define NEXITCODE (sizeof(exit_classes[0].codes) / sizeof(exit_classes[0].codes[0]))

static int exit_status_for(enum exit_kind kind, int code)
{
    for (size_t i = 0; i < NEXIT; i++) {
        const struct exit_class *e = &exit_classes[i];

        if (e->kind != kind)
            continue;
        if (kind != EXIT_BY_CODE)
            return e->status;
        for (size_t k = 0; k < NEXITCODE && e->codes[k] != ISMS_OK; k++) {
            if ((int)e->codes[k] == code)
                return e->status;
        }
    }
    return EXIT_OTHER;
}

/* --- help -------------------------------------------------------------------------------- */

/* Help for everything (noun NULL), one noun, or one command of it: the commands from their
 * rows (help.c); the global options, credentials and the exit status table only once, in
 * `ismsctl help`, and a pointer to them elsewhere. */
static void print_help(FILE *fp, const struct isms_noun *noun, const struct isms_cmd *cmd)
{
    isms_help_print(fp, noun, cmd);
    if (noun != NULL || cmd != NULL) {
        fputs("\nglobal options (--server, --ca, --plaintext, -o, --wide, --timeout), credentials "
              "and exit\nstatuses: ismsctl help\n",
              fp);
        return;
    }
    fputs("\nglobal options (before or after the command):\n"
          "  --server HOST:PORT   the ismsd to use ([IPv6]:PORT too); if not given, $ISMS_SERVER,\n"
          "                       then \"server = HOST:PORT\" in ~/.config/ismsctl/config\n"
          "                       ($XDG_CONFIG_HOME/ismsctl/config; # starts a comment),\n"
          "                       then " ISMS_CLI_DEFAULT_SERVER "\n"
          "  --ca FILE            PEM CA certificate(s) to verify the server with; if not given,\n"
          "                       $ISMS_CA, then \"ca = FILE\" in the config file, then the\n"
          "                       system's trust store. TLS 1.2+ always checks the certificate\n"
          "                       and that it names the host (or IP address) of --server\n"
          "  --plaintext          no TLS, for a loopback test server (ismsd --plaintext); also\n"
          "                       ISMS_PLAINTEXT=1 or \"plaintext = true\" in the config file\n"
          "  -o, --output FORMAT  table (default; for people, cells cut with ... to fit the\n"
          "                       terminal or $COLUMNS; never when piped),\n"
          "                       json (stable: proto field names, a record is an object with\n"
          "                       an \"id\", a list is an array) or csv (RFC 4180, header row;\n"
          "                       for `context show` only the context's own fields)\n",
          fp);
    fputs("  --wide               table cells in full, never cut to the terminal's width\n", fp);
    fprintf(fp,
            "  --timeout MS         deadline of each call in milliseconds, 0 = none (default %u)\n",
            (unsigned)ISMS_CLI_DEFAULT_TIMEOUT_MS);
    fputs("  -h, --help           help for everything, `<noun> --help` for one noun,\n"
          "                       `<noun> <verb> --help` for one command and its flags\n"
          "  --version            print the version\n",
          fp);
    fputs("\ncredentials: every command but status and login sends a token: $ISMS_TOKEN if set,\n"
          "  else the one `ismsctl login` saved for the server in ~/.config/ismsctl/credentials\n"
          "  ($XDG_CONFIG_HOME/ismsctl/credentials; mode 0600, one \"[HOST:PORT]\" section per\n"
          "  server with user, expires_at and token lines). `logout` revokes and removes it.\n",
          fp);
    fputs("\nexit status (a failure prints one line on stderr, \"ismsctl: CODE_NAME: message\"):\n",
          fp);
    for (size_t i = 0; i < NEXIT; i++) {
        const struct exit_class *e = &exit_classes[i];
        char line[512];
        size_t len = 0;

        for (size_t k = 0; k < NEXITCODE && e->codes[k] != ISMS_OK; k++)
            len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s", k > 0 ? ", " : "",
                                    isms_code_name((int)e->codes[k]));
        if (e->kind == EXIT_USAGE)
            len += (size_t)snprintf(line + len, sizeof(line) - len, "\"ismsctl: usage: ...\"");
        if (e->kind == EXIT_UNREACHABLE)
            len += (size_t)snprintf(line + len, sizeof(line) - len,
                                    "\"ismsctl: cannot reach ismsd at HOST:PORT: reason\"");
        snprintf(line + len, sizeof(line) - len, "%s%s", len > 0 ? ": " : "", e->meaning);
        fprintf(fp, "  %-3d ", e->status);
        isms_help_wrap(fp, line, 6, 6);
    }
}

/* --- errors ------------------------------------------------------------------------------ */

/* Writes `s` with control characters turned into spaces, so the error stays one line. */
static void put_one_line(FILE *fp, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, fp);
}

/* Prints the one error line for `st` and returns the exit status. */
static int report(const struct isms_cli *cli, const struct isms_status *st)
{
    enum exit_kind kind = cli->is_usage_error   ? EXIT_USAGE
                          : cli->is_unreachable ? EXIT_UNREACHABLE
                                                : EXIT_BY_CODE;

    fputs("ismsctl: ", stderr);
    if (kind == EXIT_USAGE) {
        fputs("usage: ", stderr);
    } else if (kind == EXIT_UNREACHABLE) {
        fputs("cannot reach ismsd at ", stderr);
        put_one_line(stderr, cli->server);
        fputs(": ", stderr);
    } else {
        fprintf(stderr, "%s: ", isms_code_name((int)st->code));
        if ((int)st->code < ISMS_OK || (int)st->code > ISMS_UNAUTHENTICATED)
            fprintf(stderr, "(code %d) ", (int)st->code);
    }
    put_one_line(stderr, st->msg);
    fputc('\n', stderr);
    return exit_status_for(kind, (int)st->code);
}

/* Prints the command's notices on stderr, one "ismsctl: note: ..." line each. */
static void print_notices(const struct isms_out *out)
{
    const char *s = out->notice;

    while (s != NULL && *s != '\0') {
        const char *nl = strchr(s, '\n');
        size_t n = nl != NULL ? (size_t)(nl - s) : strlen(s);

        fprintf(stderr, "ismsctl: note: %.*s\n", (int)n, s);
        s = nl != NULL ? nl + 1 : NULL;
    }
}

/* --- dispatch ---------------------------------------------------------------------------- */

static const struct isms_noun *find_noun(const char *name)
{
    for (size_t i = 0; isms_nouns[i] != NULL; i++) {
        if (strcmp(isms_nouns[i]->name, name) == 0)
            return isms_nouns[i];
    }
    return NULL;
}

/* Number of words of `verb` ("party add" is two) that argv[0..argc) starts with, or -1. */
static int match_verb(const char *verb, int argc, char **argv)
{
    int words = 0;
    const char *p = verb;

    while (*p != '\0') {
        const char *sp = strchr(p, ' ');
        size_t n = sp != NULL ? (size_t)(sp - p) : strlen(p);

        if (words >= argc || strlen(argv[words]) != n || memcmp(argv[words], p, n) != 0)
            return -1;
        words++;
        p += n;
        while (*p == ' ')
            p++;
    }
    return words;
}

static bool is_help_word(const char *s)
{
    return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0 || strcmp(s, "help") == 0;
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    struct isms_cli cli;
    struct isms_status st;
    struct isms_out out;
    struct isms_args args;
    const struct isms_noun *noun;
    const struct isms_cmd *cmd = NULL;
    enum isms_code code;
    int i = 1, best = -1, rc = 0;

    /* A server that closes first must give an error, not kill us (OpenSSL writes with write()). */
    signal(SIGPIPE, SIG_IGN);
    isms_cli_init(&cli);
    isms_out_init(&out);
    isms_status_clear(&st);

    for (; i < argc && argv[i][0] == '-'; i++) {
        int g;

        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_help(stdout, NULL, NULL);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("ismsctl %s (protocol isms.v1)\n", ISMS_VERSION);
            return 0;
        }
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        g = isms_cli_global_opt(&cli, argc, argv, &i, &st);
        if (g < 0)
            return report(&cli, &st);
        if (g == 0) {
            isms_cli_usage(&cli, &st, "unknown option \"%.100s\"; try 'ismsctl help'", argv[i]);
            return report(&cli, &st);
        }
    }
    if (i >= argc) {
        isms_cli_usage(&cli, &st, "ismsctl [options] <noun> <verb> [args]; try 'ismsctl help'");
        return report(&cli, &st);
    }
    if (strcmp(argv[i], "help") == 0) {
        noun = i + 1 < argc ? find_noun(argv[i + 1]) : NULL;
        if (i + 1 < argc && noun == NULL) {
            isms_cli_usage(&cli, &st, "no command \"%.100s\"; try 'ismsctl help'", argv[i + 1]);
            return report(&cli, &st);
        }
        print_help(stdout, noun, NULL);
        return 0;
    }
    noun = find_noun(argv[i]);
    if (noun == NULL) {
        isms_cli_usage(&cli, &st, "unknown command \"%.100s\"; try 'ismsctl help'", argv[i]);
        return report(&cli, &st);
    }
    i++;
    if (i < argc && is_help_word(argv[i])) {
        /* A noun that is its own command (`status`) has the command's help. */
        bool is_one = noun->ncmds == 1 && noun->cmds[0].verb[0] == '\0';

        print_help(stdout, noun, is_one ? &noun->cmds[0] : NULL);
        return 0;
    }
    /* The longest verb wins, so "party add" is not taken for a shorter verb plus arguments. */
    for (size_t k = 0; k < noun->ncmds; k++) {
        int m = match_verb(noun->cmds[k].verb, argc - i, argv + i);

        if (m > best) {
            best = m;
            cmd = &noun->cmds[k];
        }
    }
    if (cmd == NULL && wants_help(argc - i, argv + i)) {
        print_help(stdout, noun, NULL);
        return 0;
    }
    if (cmd == NULL) {
        isms_cli_usage(&cli, &st, "%s \"%.100s\"; try 'ismsctl %s help'",
                       i < argc ? "unknown command" : "missing command after",
                       i < argc ? argv[i] : noun->name, noun->name);
        return report(&cli, &st);
    }
    i += best;
    if (wants_help(argc - i, argv + i)) {
        print_help(stdout, noun, cmd);
        return 0;
    }

    code = isms_args_parse(&cli, cmd, argc - i, argv + i, &args, &st);
    if (code == ISMS_OK) {
        /* Tables fit the terminal (or $COLUMNS) unless --wide; pipes are never cut. */
        out.width = cli.is_wide ? 0 : isms_table_term_width(STDOUT_FILENO);
        out.is_wide = cli.is_wide;
        code = isms_cmd_exec(&cli, &args, &out, &st);
    }
    if (code != ISMS_OK) {
        rc = report(&cli, &st);
    } else if (isms_out_render(&out, cli.format, stdout, &st) != ISMS_OK) {
        rc = report(&cli, &st);
    } else {
        print_notices(&out);
        if (cli.exit_after_output != ISMS_OK)
            rc = report(&cli, &st);
    }
    isms_args_cleanup(&args);
    isms_out_cleanup(&out);
    isms_cli_cleanup(&cli);
    return rc;
}
