/* bench/options.c — ismsbench's command line: the usage text, the value parsers and the
 * checks that options fit together. Every problem with the command line ends in exit status 2
 * with one message on stderr; nothing here connects anywhere. */
#include "options.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char USAGE[] =
    "usage: ismsbench (--server HOST:PORT [--pid PID] | --spawn ISMSD_PATH) [options]\n"
    "\n"
    "Load methods (health, context-get, context-update, plan-mix): opens C connections to\n"
    "ismsd, keeps D calls in flight on each for S seconds, and prints calls/s, p50/p99/max\n"
    "latency and ismsd's RSS; then runs the same SQL directly with libpq (C connections in\n"
    "pipeline mode, D calls in flight each, prepared statements) and prints ismsd/direct.\n"
    "Stream methods (soa-export, asset-list-100k): streams one after another on one\n"
    "connection, timed end to end, with ismsd's peak RSS before and after; then the same SQL\n"
    "directly. plan-mix and asset-list-100k seed their data through ismsd's RPCs first.\n"
    "\n"
    "  --server HOST:PORT   an ismsd already running\n"
    "  --pid PID            that ismsd's pid, to read VmRSS/VmHWM from /proc/PID/status\n"
    "  --spawn PATH         start PATH --listen 127.0.0.1:0 --plaintext=true --db CONNINFO,\n"
    "                       stop it at the end\n"
    "  --ismsd-arg ARG      extra argument for the spawned ismsd (repeatable),\n"
    "                       e.g. --ismsd-arg --pool-size=8\n"
    "  --db CONNINFO        libpq conninfo of ismsd's database (baseline; required by --spawn)\n"
    "  --method LIST        health, context-get, context-update, plan-mix, soa-export,\n"
    "                       asset-list-100k, or all (comma-separated; default health)\n"
    "  --conns LIST         connection counts, comma-separated (default 1,8,64)\n"
    "  --depth D            calls in flight per connection (default 16)\n"
    "  --seconds S          measured window per run (default 5)\n"
    "  --warmup S           unmeasured time before the window (default 1)\n"
    "  --timeout-ms N       Request.timeout_ms sent with each call (default 0: none)\n"
    "  --mix-assets N       plan-mix: assets to seed (default 10000)\n"
    "  --mix-risks N        plan-mix: risks to seed, each naming 1-3 of them (default 5000)\n"
    "  --list-assets N      asset-list-100k: inventory size to reach and list (default 100000)\n"
    "  --repeat N           soa-export: exports, one after another (default 1000)\n"
    "  --token TOKEN        bearer token for the methods that need a login (default:\n"
    "                       $ISMS_TOKEN); plan-mix seeding needs an admin\n"
    "  --user NAME          log in as NAME (password from $ISMS_PASSWORD) instead;\n"
    "                       with --spawn and neither, a throwaway admin is bootstrapped\n"
    "  --no-baseline        skip the direct libpq runs\n"
    "  --json               print one JSON document instead of tables\n"
    "  --help               this text\n";

static int usage_error(const char *fmt, ...) ISMS_PRINTF(1, 2);

/* Prints one usage problem and returns the exit status for it. */
static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "ismsbench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry \"ismsbench --help\".\n");
    return 2;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    unsigned long long v;

    if (*s == '-' || *s == '\0')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (unsigned long)v;
    return 0;
}

static int parse_method(const char *s, size_t len, enum isms_bench_method *out)
{
    int m;

    for (m = 0; m < ISMS_BENCH_METHODS; m++) {
        const char *name = isms_bench_method_name((enum isms_bench_method)m);

        if (strlen(name) == len && memcmp(name, s, len) == 0) {
            *out = (enum isms_bench_method)m;
            return 0;
        }
    }
    return -1;
}

static int parse_methods(struct isms_bench_options *o, const char *list)
{
    const char *p = list;

    o->nmethods = 0;
    if (strcmp(list, "all") == 0) {
        for (o->nmethods = 0; o->nmethods < ISMS_BENCH_METHODS; o->nmethods++)
            o->methods[o->nmethods] = (enum isms_bench_method)o->nmethods;
        return 0;
    }
    for (;;) {
        size_t len = strcspn(p, ",");

        if (o->nmethods == ISMS_BENCH_MAX_LIST ||
            parse_method(p, len, &o->methods[o->nmethods]) != 0)
            return -1;
        o->nmethods++;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

static int parse_conns(struct isms_bench_options *o, const char *list)
{
    const char *p = list;
    char item[32];

    o->nconns = 0;
    for (;;) {
        size_t len = strcspn(p, ",");
        unsigned long v;

        if (o->nconns == ISMS_BENCH_MAX_LIST || len == 0 || len >= sizeof(item))
            return -1;
        memcpy(item, p, len);
        item[len] = '\0';
        if (parse_ulong(item, 1, 10000, &v) != 0)
            return -1;
        o->conns[o->nconns++] = (unsigned)v;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

/* Splits HOST:PORT (or [V6]:PORT) at its last colon. */
static int split_server(struct isms_bench_options *o)
{
    const char *colon = strrchr(o->server, ':');
    const char *h = o->server;
    size_t hlen;

    if (colon == NULL || colon[1] == '\0' || strlen(colon + 1) >= sizeof(o->port))
        return -1;
    hlen = (size_t)(colon - h);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= sizeof(o->host))
        return -1;
    memcpy(o->host, h, hlen);
    o->host[hlen] = '\0';
    memcpy(o->port, colon + 1, strlen(colon + 1) + 1);
    return 0;
}

/* Whether any chosen method needs a logged-in caller (everything but Health). */
int isms_bench_needs_auth(const struct isms_bench_options *o)
{
    size_t i;

    for (i = 0; i < o->nmethods; i++) {
        if (o->methods[i] != ISMS_BENCH_HEALTH)
            return 1;
    }
    return 0;
}

/* Parses argv into `o`; returns -1 to exit 0 (help), 0 to go on, or an exit status > 0. */
int isms_bench_parse_args(int argc, char **argv, struct isms_bench_options *o)
{
    int i;

    memset(o, 0, sizeof(*o));
    o->methods[0] = ISMS_BENCH_HEALTH;
    o->nmethods = 1;
    o->conns[0] = 1;
    o->conns[1] = 8;
    o->conns[2] = 64;
    o->nconns = 3;
    o->depth = 16;
    o->seconds = 5;
    o->warmup = 1;
    o->is_baseline = 1;
    o->mix_assets = 10000;
    o->mix_risks = 5000;
    o->list_assets = 100000;
    o->repeat = 1000;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strchr(a, '=');
        char name[32];
        const char *val = NULL;
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        unsigned long ul;

        if (strncmp(a, "--", 2) != 0 || nlen >= sizeof(name))
            return usage_error("unexpected argument \"%s\"", a);
        memcpy(name, a, nlen);
        name[nlen] = '\0';
        if (strcmp(name, "--help") == 0) {
            fputs(USAGE, stdout);
            return -1;
        }
        if (strcmp(name, "--no-baseline") == 0) {
            o->is_baseline = 0;
            continue;
        }
        if (strcmp(name, "--json") == 0) {
            o->is_json = 1;
            continue;
        }
        if (eq != NULL)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return usage_error("%s needs a value", name);

        if (strcmp(name, "--server") == 0) {
            o->server = val;
            if (split_server(o) != 0)
                return usage_error("--server: expected HOST:PORT, got \"%s\"", val);
        } else if (strcmp(name, "--pid") == 0) {
            if (parse_ulong(val, 1, 0x7fffffff, &ul) != 0)
                return usage_error("--pid: expected a process id, got \"%s\"", val);
            o->pid = (long)ul;
        } else if (strcmp(name, "--db") == 0) {
            o->conninfo = val;
        } else if (strcmp(name, "--spawn") == 0) {
            o->spawn = val;
        } else if (strcmp(name, "--ismsd-arg") == 0) {
            if (o->nextra == ISMS_BENCH_MAX_EXTRA)
                return usage_error("too many --ismsd-arg values (at most 32)");
            o->extra[o->nextra++] = (char *)val;
        } else if (strcmp(name, "--method") == 0) {
            if (parse_methods(o, val) != 0)
                return usage_error("--method: expected health, context-get, context-update, "
                                   "plan-mix, soa-export, asset-list-100k or all, got \"%s\"",
                                   val);
        } else if (strcmp(name, "--conns") == 0) {
            if (parse_conns(o, val) != 0)
                return usage_error("--conns: expected a list like 1,8,64 (each 1 to 10000), "
                                   "got \"%s\"",
                                   val);
        } else if (strcmp(name, "--depth") == 0) {
            if (parse_ulong(val, 1, 4096, &ul) != 0)
                return usage_error("--depth: expected 1 to 4096, got \"%s\"", val);
            o->depth = (unsigned)ul;
        } else if (strcmp(name, "--seconds") == 0) {
            if (parse_double(val, 0.1, 3600, &o->seconds) != 0)
                return usage_error("--seconds: expected 0.1 to 3600, got \"%s\"", val);
        } else if (strcmp(name, "--warmup") == 0) {
            if (parse_double(val, 0, 3600, &o->warmup) != 0)
                return usage_error("--warmup: expected 0 to 3600, got \"%s\"", val);
        } else if (strcmp(name, "--timeout-ms") == 0) {
            if (parse_ulong(val, 0, 0xffffffffUL, &o->timeout_ms) != 0)
                return usage_error("--timeout-ms: expected 0 to 4294967295, got \"%s\"", val);
        } else if (strcmp(name, "--mix-assets") == 0) {
            if (parse_ulong(val, 10, 10000000, &o->mix_assets) != 0)
                return usage_error("--mix-assets: expected 10 to 10000000, got \"%s\"", val);
        } else if (strcmp(name, "--mix-risks") == 0) {
            if (parse_ulong(val, 1, 10000000, &o->mix_risks) != 0)
                return usage_error("--mix-risks: expected 1 to 10000000, got \"%s\"", val);
        } else if (strcmp(name, "--list-assets") == 0) {
            if (parse_ulong(val, 1, 100000000, &o->list_assets) != 0)
                return usage_error("--list-assets: expected 1 to 100000000, got \"%s\"", val);
        } else if (strcmp(name, "--repeat") == 0) {
            if (parse_ulong(val, 1, 1000000, &o->repeat) != 0)
                return usage_error("--repeat: expected 1 to 1000000, got \"%s\"", val);
        } else if (strcmp(name, "--token") == 0) {
            o->token = val;
        } else if (strcmp(name, "--user") == 0) {
            o->user = val;
        } else {
            return usage_error("unknown option \"%s\"", name);
        }
    }
    if ((o->server == NULL) == (o->spawn == NULL))
        return usage_error("give exactly one of --server and --spawn");
    if (o->spawn != NULL && o->conninfo == NULL)
        return usage_error("--spawn needs --db CONNINFO (the database ismsd is to use)");
    if (o->is_baseline && o->conninfo == NULL)
        return usage_error("the baseline needs --db CONNINFO (or pass --no-baseline)");
    if (o->token == NULL)
        o->token = getenv("ISMS_TOKEN");
    if (o->token != NULL && o->token[0] == '\0')
        o->token = NULL;
    if (o->user != NULL && o->token != NULL)
        return usage_error("give --user or a token (--token, $ISMS_TOKEN), not both");
    if (o->user != NULL && getenv("ISMS_PASSWORD") == NULL)
        return usage_error("--user needs the password in $ISMS_PASSWORD");
    if (isms_bench_needs_auth(o) && o->token == NULL && o->user == NULL && o->spawn == NULL)
        return usage_error("every method but health needs credentials: --token TOKEN, "
                           "$ISMS_TOKEN, or --user NAME with $ISMS_PASSWORD");
    if (o->spawn != NULL && o->pid != 0)
        return usage_error("--pid is for --server; a spawned ismsd's pid is known");
    return 0;
}
