/* bench/ismsbench.c — the benchmark's command line: runs each load method at each concurrency
 * against ismsd and, right after, the same SQL straight on PostgreSQL, and prints both with their
 * ratio; runs each stream method once against both; seeds what the Plan-phase methods need
 * first. It prints figures and never judges them: no threshold here fails a run. */
#include "bench.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "login.h"
#include "plan_mix.h"
#include "seed.h"
#include "spawn.h"

#define MAX_LIST     16
#define MAX_EXTRA    32
#define START_WAIT_S 60.0
#define STOP_WAIT_S  20.0

struct options {
    const char *server; /* HOST:PORT */
    char host[256];
    char port[16];
    long pid;
    const char *conninfo;
    const char *spawn;      /* path to ismsd */
    char *extra[MAX_EXTRA]; /* --ismsd-arg values, borrowed from argv */
    size_t nextra;
    enum isms_bench_method methods[MAX_LIST];
    size_t nmethods;
    unsigned conns[MAX_LIST];
    size_t nconns;
    unsigned depth;
    double seconds;
    double warmup;
    unsigned long timeout_ms;
    const char *token; /* --token, else $ISMS_TOKEN */
    const char *user;  /* --user; the password comes from $ISMS_PASSWORD */
    int is_baseline;
    int is_json;
    unsigned long mix_assets; /* plan-mix data set */
    unsigned long mix_risks;
    unsigned long list_assets; /* asset-list-100k: inventory size */
    unsigned long repeat;      /* soa-export: streams */
};

struct row {
    enum isms_bench_method method;
    unsigned conns;  /* load methods; 1 for stream methods */
    unsigned repeat; /* stream methods: streams run */
    struct isms_bench_result wire;
    struct isms_bench_result direct;
    int has_direct;
};

/* What was seeded, for the report. */
struct seeds {
    struct isms_bench_seed_report plan;
    struct isms_bench_seed_report inventory;
    int has_plan, has_inventory;
};

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

static int parse_methods(struct options *o, const char *list)
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

        if (o->nmethods == MAX_LIST || parse_method(p, len, &o->methods[o->nmethods]) != 0)
            return -1;
        o->nmethods++;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

static int parse_conns(struct options *o, const char *list)
{
    const char *p = list;
    char item[32];

    o->nconns = 0;
    for (;;) {
        size_t len = strcspn(p, ",");
        unsigned long v;

        if (o->nconns == MAX_LIST || len == 0 || len >= sizeof(item))
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
static int split_server(struct options *o)
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
static int needs_auth(const struct options *o)
{
    size_t i;

    for (i = 0; i < o->nmethods; i++) {
        if (o->methods[i] != ISMS_BENCH_HEALTH)
            return 1;
    }
    return 0;
}

/* Fills `buf` (`n` - 1 characters and a NUL) from the kernel's random source. */
static int random_text(char *buf, size_t n)
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
    unsigned char raw[64];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t i;

    if (f == NULL || n > sizeof(raw) || fread(raw, 1, n, f) != n) {
        if (f != NULL)
            fclose(f);
        return -1;
    }
    fclose(f);
    for (i = 0; i + 1 < n; i++)
        buf[i] = alphabet[raw[i] % (sizeof(alphabet) - 1)];
    buf[n - 1] = '\0';
    return 0;
}

/* Parses argv into `o`; returns -1 to exit 0 (help), 0 to go on, or an exit status > 0. */
static int parse_args(int argc, char **argv, struct options *o)
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
            if (o->nextra == MAX_EXTRA)
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
    if (needs_auth(o) && o->token == NULL && o->user == NULL && o->spawn == NULL)
        return usage_error("every method but health needs credentials: --token TOKEN, "
                           "$ISMS_TOKEN, or --user NAME with $ISMS_PASSWORD");
    if (o->spawn != NULL && o->pid != 0)
        return usage_error("--pid is for --server; a spawned ismsd's pid is known");
    return 0;
}

static double mib(long kib)
{
    return (double)kib / 1024.0;
}

/* ismsd's OK calls/s over the baseline's OK calls/s (rows/s for stream methods); 0 when either
 * run has no figure. */
static int ratio_of(const struct row *w, double *out)
{
    const struct isms_bench_result *r = &w->wire, *d = &w->direct;

    if (!w->has_direct || r->is_failed || d->is_failed)
        return 0;
    if (!isms_bench_method_is_load(w->method)) {
        if (r->window_s <= 0 || d->window_s <= 0 || d->rows == 0)
            return 0;
        *out = ((double)r->rows / r->window_s) / ((double)d->rows / d->window_s);
        return 1;
    }
    if (d->ok_rate <= 0)
        return 0;
    *out = r->ok_rate / d->ok_rate;
    return 1;
}

static void print_problems(FILE *f, const char *who, const struct isms_bench_result *r, int is_mix)
{
    int code;
    int any = 0;

    for (code = 1; code < ISMS_BENCH_CODE_SLOTS; code++) {
        if (r->codes[code] == 0 || (is_mix && code == ISMS_ABORTED))
            continue;
        if (!any)
            fprintf(f, "    %s: non-OK responses:", who);
        fprintf(f, " %s=%llu", code == ISMS_BENCH_CODE_SLOTS - 1 ? "OTHER" : isms_code_name(code),
                (unsigned long long)r->codes[code]);
        any = 1;
    }
    if (any)
        fprintf(f, "\n");
    if (r->sql_errors)
        fprintf(f, "    %s: SQL errors: %llu\n", who, (unsigned long long)r->sql_errors);
    if (r->transport_errors)
        fprintf(f, "    %s: transport errors: %llu\n", who,
                (unsigned long long)r->transport_errors);
    if (r->bad_bodies)
        fprintf(f, "    %s: bad response bodies: %llu\n", who, (unsigned long long)r->bad_bodies);
    if (r->left_in_flight)
        fprintf(f, "    %s: unanswered at the end: %llu\n", who,
                (unsigned long long)r->left_in_flight);
    if (r->first_error[0] != '\0')
        fprintf(f, "    %s: first error: %s\n", who, r->first_error);
}

/* Calls that were neither OK nor an expected version conflict. */
static uint64_t bad_calls(const struct isms_bench_result *r)
{
    return r->calls - r->ok_calls - r->conflicts + r->transport_errors + r->bad_bodies +
           r->left_in_flight;
}

/* The per-operation lines of a plan-mix run. */
static void print_kinds(const struct row *w)
{
    int k;

    for (k = 0; k < ISMS_BENCH_KINDS; k++) {
        const struct isms_bench_kind_result *a = &w->wire.kinds[k];
        const struct isms_bench_kind_result *b = &w->direct.kinds[k];
        double ws = w->wire.window_s, ds = w->direct.window_s;

        printf("    %-12s ismsd: %6.0f calls/s p50 %7.2f ms p99 %7.2f ms conflicts %llu",
               isms_bench_kind_name((enum isms_bench_kind)k), ws > 0 ? (double)a->calls / ws : 0,
               a->p50_ms, a->p99_ms, (unsigned long long)a->conflicts);
        if (w->has_direct && !w->direct.is_failed)
            printf("  direct: %6.0f calls/s p50 %7.2f ms p99 %7.2f ms conflicts %llu",
                   ds > 0 ? (double)b->calls / ds : 0, b->p50_ms, b->p99_ms,
                   (unsigned long long)b->conflicts);
        printf("\n");
    }
}

static void print_load_run(const struct options *o, const struct row *w)
{
    const struct isms_bench_result *r = &w->wire;
    int is_mix = w->method == ISMS_BENCH_PLAN_MIX;
    double ratio;

    printf("method=%s conns=%u depth=%u secs=%g  ismsd: ", isms_bench_method_name(w->method),
           w->conns, o->depth, o->seconds);
    if (r->is_failed)
        printf("FAILED (%s)", r->err);
    else
        printf("%.0f calls/s%s p50 %.2f ms p99 %.2f ms max %.2f ms", r->rate,
               bad_calls(r) == 0 ? "" : " (not all OK)", r->p50_ms, r->p99_ms, r->max_ms);
    if (is_mix && !r->is_failed)
        printf(" conflicts %llu", (unsigned long long)r->conflicts);
    if (r->rss_kib >= 0)
        printf(" rss %.1f MiB (peak %.1f)", mib(r->rss_kib), mib(r->hwm_kib));
    if (r->ismsd_cpu_pct >= 0)
        printf(" cpu %.0f%%", r->ismsd_cpu_pct);
    if (r->client_cpu_pct >= 0)
        printf(" client-cpu %.0f%%", r->client_cpu_pct);
    if (r->box_cpu_pct >= 0)
        printf(" box-cpu %.0f%%", r->box_cpu_pct);
    if (r->load1 >= 0)
        printf(" load %.2f", r->load1);
    if (w->has_direct) {
        const struct isms_bench_result *d = &w->direct;

        if (d->is_failed)
            printf("  direct: FAILED (%s)", d->err);
        else {
            if (is_mix && d->calls > 0)
                printf("  direct: %.0f calls/s (%.2f statements each)", d->rate,
                       (double)d->statements / (double)d->calls);
            else if (d->stmts_per_call > 1)
                printf("  direct: %.0f calls/s (%d statements each)", d->rate, d->stmts_per_call);
            else
                printf("  direct: %.0f q/s", d->rate);
            printf(" p50 %.2f ms p99 %.2f ms max %.2f ms", d->p50_ms, d->p99_ms, d->max_ms);
            if (is_mix)
                printf(" conflicts %llu", (unsigned long long)d->conflicts);
        }
        if (d->client_cpu_pct >= 0)
            printf(" client-cpu %.0f%%", d->client_cpu_pct);
        if (d->box_cpu_pct >= 0)
            printf(" box-cpu %.0f%%", d->box_cpu_pct);
        if (d->load1 >= 0)
            printf(" load %.2f", d->load1);
        if (ratio_of(w, &ratio))
            printf(" ratio %.2f", ratio);
    }
    printf("\n");
    if (is_mix && !r->is_failed)
        print_kinds(w);
    print_problems(stdout, "ismsd", r, is_mix);
    if (w->has_direct)
        print_problems(stdout, "direct", &w->direct, is_mix);
    fflush(stdout);
}

static void print_stream_run(const struct row *w)
{
    const struct isms_bench_result *r = &w->wire;
    double ratio;

    printf("method=%s streams=%u  ismsd: ", isms_bench_method_name(w->method), w->repeat);
    if (r->is_failed)
        printf("FAILED (%s)", r->err);
    else
        printf("%llu rows in %.3f s: %.0f rows/s, %.1f streams/s, p50 %.2f ms p99 %.2f ms%s",
               (unsigned long long)r->rows, r->window_s,
               r->window_s > 0 ? (double)r->rows / r->window_s : 0, r->rate, r->p50_ms, r->p99_ms,
               r->ok_calls == r->calls ? "" : " (not all OK)");
    if (r->hwm_before_kib >= 0)
        printf("; rss before %.1f MiB, peak before %.1f MiB%s, peak after %.1f MiB, max sampled "
               "%.1f MiB",
               mib(r->rss_before_kib), mib(r->hwm_before_kib),
               r->hwm_reset ? " (reset)" : " (not reset)", mib(r->hwm_kib), mib(r->rss_max_kib));
    if (r->ismsd_cpu_pct >= 0)
        printf(" cpu %.0f%%", r->ismsd_cpu_pct);
    if (r->client_cpu_pct >= 0)
        printf(" client-cpu %.0f%%", r->client_cpu_pct);
    if (r->load1 >= 0)
        printf(" load %.2f", r->load1);
    if (w->has_direct) {
        const struct isms_bench_result *d = &w->direct;

        if (d->is_failed)
            printf("  direct: FAILED (%s)", d->err);
        else
            printf("  direct: %llu rows in %.3f s: %.0f rows/s (%llu statements) p50 %.2f ms "
                   "p99 %.2f ms",
                   (unsigned long long)d->rows, d->window_s,
                   d->window_s > 0 ? (double)d->rows / d->window_s : 0,
                   (unsigned long long)d->statements, d->p50_ms, d->p99_ms);
        if (d->load1 >= 0)
            printf(" load %.2f", d->load1);
        if (ratio_of(w, &ratio))
            printf(" ratio %.2f", ratio);
    }
    printf("\n");
    print_problems(stdout, "ismsd", r, 0);
    if (w->has_direct)
        print_problems(stdout, "direct", &w->direct, 0);
    fflush(stdout);
}

static void print_seeds(const struct seeds *sd)
{
    if (sd->has_plan)
        printf("seed plan-mix: %zu risk owners in %.1f s, %zu assets by Asset/Import in %.1f s "
               "(%.0f rows/s), %zu risks by Risk/Create in %.1f s (%.0f/s)\n",
               sd->plan.users, sd->plan.users_s, sd->plan.assets, sd->plan.assets_s,
               sd->plan.assets_s > 0 ? (double)sd->plan.assets / sd->plan.assets_s : 0,
               sd->plan.risks, sd->plan.risks_s,
               sd->plan.risks_s > 0 ? (double)sd->plan.risks / sd->plan.risks_s : 0);
    if (sd->has_plan && sd->plan.analyze_s >= 0)
        printf("  then VACUUM ANALYZE in %.1f s\n", sd->plan.analyze_s);
    if (sd->has_inventory)
        printf("seed asset-list-100k: inventory had %zu assets; %zu imported by Asset/Import in "
               "%.1f s (%.0f rows/s)\n",
               sd->inventory.assets_before, sd->inventory.assets, sd->inventory.assets_s,
               sd->inventory.assets_s > 0 ? (double)sd->inventory.assets / sd->inventory.assets_s
                                          : 0);
    if (sd->has_inventory && sd->inventory.analyze_s >= 0)
        printf("  then VACUUM ANALYZE in %.1f s\n", sd->inventory.analyze_s);
}

static void print_summary(const struct options *o, const struct row *rows, size_t n)
{
    size_t i;
    int any_load = 0, any_stream = 0;

    for (i = 0; i < n; i++) {
        if (isms_bench_method_is_load(rows[i].method))
            any_load = 1;
        else
            any_stream = 1;
    }
    if (any_load) {
        printf("\nsummary (depth %u, %g s window, %g s warm-up)\n", o->depth, o->seconds,
               o->warmup);
        printf("%-15s %5s | %12s %7s %7s %6s %5s | %10s %7s %7s %6s | %5s | %7s %7s | %5s\n",
               "method", "conns", "ismsd call/s", "p50 ms", "p99 ms", "bad", "cpu%", "direct /s",
               "p50 ms", "p99 ms", "bad", "ratio", "rss MiB", "peak", "load");
    }
    for (i = 0; any_load && i < n; i++) {
        const struct row *w = &rows[i];
        const struct isms_bench_result *r = &w->wire;
        const struct isms_bench_result *d = &w->direct;
        char ratio[16] = "-";
        char cpu[16] = "-";
        char load[16] = "-";
        double rv;

        if (!isms_bench_method_is_load(w->method))
            continue;
        printf("%-15s %5u | ", isms_bench_method_name(w->method), w->conns);
        if (r->ismsd_cpu_pct >= 0)
            snprintf(cpu, sizeof(cpu), "%.0f", r->ismsd_cpu_pct);
        if (r->is_failed)
            printf("%12s %7s %7s %6s %5s | ", "FAILED", "-", "-", "-", "-");
        else
            printf("%12.0f %7.2f %7.2f %6llu %5s | ", r->rate, r->p50_ms, r->p99_ms,
                   (unsigned long long)bad_calls(r), cpu);
        if (!w->has_direct)
            printf("%10s %7s %7s %6s | ", "-", "-", "-", "-");
        else if (d->is_failed)
            printf("%10s %7s %7s %6s | ", "FAILED", "-", "-", "-");
        else
            printf("%10.0f %7.2f %7.2f %6llu | ", d->rate, d->p50_ms, d->p99_ms,
                   (unsigned long long)(d->sql_errors + d->transport_errors + d->bad_bodies +
                                        d->left_in_flight));
        if (ratio_of(w, &rv))
            snprintf(ratio, sizeof(ratio), "%.2f", rv);
        if (r->load1 >= 0)
            snprintf(load, sizeof(load), "%.2f", r->load1);
        printf("%5s | ", ratio);
        if (r->rss_kib >= 0)
            printf("%7.1f %7.1f | %5s\n", mib(r->rss_kib), mib(r->hwm_kib), load);
        else
            printf("%7s %7s | %5s\n", "-", "-", load);
    }
    for (i = 0; i < n; i++) {
        const struct row *w = &rows[i];
        int k;

        if (w->method != ISMS_BENCH_PLAN_MIX || w->wire.is_failed)
            continue;
        printf("\nplan-mix conns=%u by operation (ismsd | direct): calls/s, p50 ms, p99 ms, "
               "conflicts\n",
               w->conns);
        for (k = 0; k < ISMS_BENCH_KINDS; k++) {
            const struct isms_bench_kind_result *a = &w->wire.kinds[k];
            const struct isms_bench_kind_result *b = &w->direct.kinds[k];
            double ws = w->wire.window_s, ds = w->direct.window_s;

            printf("  %-12s | %7.0f %7.2f %7.2f %6llu",
                   isms_bench_kind_name((enum isms_bench_kind)k),
                   ws > 0 ? (double)a->calls / ws : 0, a->p50_ms, a->p99_ms,
                   (unsigned long long)a->conflicts);
            if (w->has_direct && !w->direct.is_failed)
                printf(" | %7.0f %7.2f %7.2f %6llu", ds > 0 ? (double)b->calls / ds : 0, b->p50_ms,
                       b->p99_ms, (unsigned long long)b->conflicts);
            printf("\n");
        }
    }
    if (any_stream) {
        printf("\n%-15s %7s | %9s %8s %10s %9s | %8s %8s %8s %8s | %10s | %5s | %5s\n", "stream",
               "streams", "rows", "seconds", "rows/s", "p50 ms", "rss MiB", "peak<", "peak>", "max",
               "direct r/s", "ratio", "load");
    }
    for (i = 0; any_stream && i < n; i++) {
        const struct row *w = &rows[i];
        const struct isms_bench_result *r = &w->wire;
        char ratio[16] = "-", direct[24] = "-";
        double rv;

        if (isms_bench_method_is_load(w->method))
            continue;
        printf("%-15s %7u | ", isms_bench_method_name(w->method), w->repeat);
        if (r->is_failed) {
            printf("%9s %8s %10s %9s | ", "FAILED", "-", "-", "-");
        } else {
            printf("%9llu %8.3f %10.0f %9.2f | ", (unsigned long long)r->rows, r->window_s,
                   r->window_s > 0 ? (double)r->rows / r->window_s : 0, r->p50_ms);
        }
        if (r->hwm_before_kib >= 0)
            printf("%8.1f %8.1f %8.1f %8.1f | ", mib(r->rss_before_kib), mib(r->hwm_before_kib),
                   mib(r->hwm_kib), mib(r->rss_max_kib));
        else
            printf("%8s %8s %8s %8s | ", "-", "-", "-", "-");
        if (w->has_direct && !w->direct.is_failed && w->direct.window_s > 0)
            snprintf(direct, sizeof(direct), "%.0f", (double)w->direct.rows / w->direct.window_s);
        if (ratio_of(w, &rv))
            snprintf(ratio, sizeof(ratio), "%.2f", rv);
        printf("%10s | %5s | ", direct, ratio);
        if (r->load1 >= 0)
            printf("%5.2f\n", r->load1);
        else
            printf("%5s\n", "-");
    }
    fflush(stdout);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void json_result(FILE *f, const struct isms_bench_result *r, int is_wire,
                        enum isms_bench_method m)
{
    int code, k, any = 0;

    fprintf(f, "{\"failed\": %s, ", r->is_failed ? "true" : "false");
    if (r->is_failed) {
        fprintf(f, "\"error\": ");
        json_str(f, r->err);
        fprintf(f, ", ");
    }
    fprintf(f,
            "\"calls\": %llu, \"ok\": %llu, \"window_s\": %.3f, \"rate\": %.1f, \"ok_rate\": %.1f, "
            "\"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, \"transport_errors\": %llu, "
            "\"bad_bodies\": %llu, \"left_in_flight\": %llu, \"rows\": %llu",
            (unsigned long long)r->calls, (unsigned long long)r->ok_calls, r->window_s, r->rate,
            r->ok_rate, r->p50_ms, r->p99_ms, r->max_ms, (unsigned long long)r->transport_errors,
            (unsigned long long)r->bad_bodies, (unsigned long long)r->left_in_flight,
            (unsigned long long)r->rows);
    if (r->client_cpu_pct >= 0)
        fprintf(f, ", \"client_cpu_pct\": %.1f", r->client_cpu_pct);
    if (r->box_cpu_pct >= 0)
        fprintf(f, ", \"box_cpu_pct\": %.1f", r->box_cpu_pct);
    if (r->load1 >= 0)
        fprintf(f, ", \"load1\": %.2f", r->load1);
    if (is_wire) {
        if (r->ismsd_cpu_pct >= 0)
            fprintf(f, ", \"ismsd_cpu_pct\": %.1f", r->ismsd_cpu_pct);
        fprintf(f, ", \"codes\": {");
        for (code = 0; code < ISMS_BENCH_CODE_SLOTS; code++) {
            if (r->codes[code] == 0)
                continue;
            fprintf(f, "%s\"%s\": %llu", any ? ", " : "",
                    code == ISMS_BENCH_CODE_SLOTS - 1 ? "OTHER" : isms_code_name(code),
                    (unsigned long long)r->codes[code]);
            any = 1;
        }
        fprintf(f, "}");
        if (r->rss_kib >= 0)
            fprintf(f, ", \"rss_kib\": %ld, \"peak_rss_kib\": %ld", r->rss_kib, r->hwm_kib);
        if (!isms_bench_method_is_load(m) && r->hwm_before_kib >= 0)
            fprintf(f,
                    ", \"rss_before_kib\": %ld, \"peak_rss_before_kib\": %ld, "
                    "\"peak_rss_reset\": %s, \"rss_max_sampled_kib\": %ld",
                    r->rss_before_kib, r->hwm_before_kib, r->hwm_reset ? "true" : "false",
                    r->rss_max_kib);
    } else {
        fprintf(f, ", \"statements\": %llu, \"sql_errors\": %llu",
                (unsigned long long)r->statements, (unsigned long long)r->sql_errors);
    }
    if (r->has_kinds) {
        fprintf(f, ", \"conflicts\": %llu, \"operations\": {", (unsigned long long)r->conflicts);
        for (k = 0; k < ISMS_BENCH_KINDS; k++) {
            const struct isms_bench_kind_result *x = &r->kinds[k];

            fprintf(f,
                    "%s\"%s\": {\"calls\": %llu, \"ok\": %llu, \"conflicts\": %llu, "
                    "\"rate\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f}",
                    k ? ", " : "", isms_bench_kind_name((enum isms_bench_kind)k),
                    (unsigned long long)x->calls, (unsigned long long)x->ok_calls,
                    (unsigned long long)x->conflicts,
                    r->window_s > 0 ? (double)x->calls / r->window_s : 0, x->p50_ms, x->p99_ms);
        }
        fprintf(f, "}");
    }
    if (r->first_error[0] != '\0') {
        fprintf(f, ", \"first_error\": ");
        json_str(f, r->first_error);
    }
    fprintf(f, "}");
}

static void json_seed(FILE *f, const char *name, const struct isms_bench_seed_report *s)
{
    fprintf(f,
            "\"%s\": {\"users\": %zu, \"users_s\": %.2f, \"assets_before\": %zu, \"assets\": %zu, "
            "\"assets_s\": %.2f, \"risks\": %zu, \"risks_s\": %.2f, \"analyze_s\": %.2f}",
            name, s->users, s->users_s, s->assets_before, s->assets, s->assets_s, s->risks,
            s->risks_s, s->analyze_s);
}

static void print_json(const struct options *o, const struct row *rows, size_t n,
                       const struct seeds *sd)
{
    size_t i;

    printf("{\"depth\": %u, \"seconds\": %g, \"warmup\": %g, \"seed\": {", o->depth, o->seconds,
           o->warmup);
    if (sd->has_plan)
        json_seed(stdout, "plan_mix", &sd->plan);
    if (sd->has_inventory) {
        printf("%s", sd->has_plan ? ", " : "");
        json_seed(stdout, "inventory", &sd->inventory);
    }
    printf("}, \"runs\": [\n");
    for (i = 0; i < n; i++) {
        const struct row *w = &rows[i];
        double ratio;

        printf("  {\"method\": \"%s\", \"conns\": %u, ", isms_bench_method_name(w->method),
               w->conns);
        if (!isms_bench_method_is_load(w->method))
            printf("\"streams\": %u, ", w->repeat);
        printf("\"ismsd\": ");
        json_result(stdout, &w->wire, 1, w->method);
        if (w->has_direct) {
            printf(", \"direct\": ");
            json_result(stdout, &w->direct, 0, w->method);
            if (ratio_of(w, &ratio))
                printf(", \"ratio\": %.3f", ratio);
        }
        printf("}%s\n", i + 1 < n ? "," : "");
    }
    printf("]}\n");
    fflush(stdout);
}

/* Seeds what method `m` needs, once per invocation. Returns 0, or -1 (reported). */
static int seed_for(const struct options *o, const struct isms_bench_cfg *cfg,
                    enum isms_bench_method m, struct isms_bench_plan *plan, struct seeds *sd)
{
    char err[1024];

    if (m == ISMS_BENCH_PLAN_MIX && !sd->has_plan) {
        fprintf(stderr,
                "ismsbench: seeding plan-mix: %d risk owners, %lu assets, %lu risks through "
                "ismsd...\n",
                ISMS_BENCH_OWNERS, o->mix_assets, o->mix_risks);
        if (isms_bench_seed_plan(cfg->host, cfg->port, cfg->token, o->mix_assets, o->mix_risks,
                                 plan, &sd->plan, err, sizeof(err)) != 0) {
            fprintf(stderr, "ismsbench: could not seed plan-mix: %s\n", err);
            return -1;
        }
        sd->has_plan = 1;
        if (o->conninfo != NULL &&
            isms_bench_seed_analyze(o->conninfo, &sd->plan, err, sizeof(err)) != 0)
            fprintf(stderr, "ismsbench: %s (going on)\n", err);
    } else if (m == ISMS_BENCH_ASSET_LIST_100K && !sd->has_inventory) {
        fprintf(stderr, "ismsbench: seeding asset-list-100k: the inventory to %lu assets...\n",
                o->list_assets);
        if (isms_bench_seed_inventory(cfg->host, cfg->port, cfg->token, o->list_assets,
                                      &sd->inventory, err, sizeof(err)) != 0) {
            fprintf(stderr, "ismsbench: could not seed the inventory: %s\n", err);
            return -1;
        }
        sd->has_inventory = 1;
        if (o->conninfo != NULL &&
            isms_bench_seed_analyze(o->conninfo, &sd->inventory, err, sizeof(err)) != 0)
            fprintf(stderr, "ismsbench: %s (going on)\n", err);
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    struct isms_bench_ismsd spawned;
    struct isms_bench_cfg cfg;
    struct isms_bench_plan plan;
    struct seeds sd;
    struct row *rows = NULL;
    size_t nrows = 0, mi, ci;
    char err[2048];
    char user[ISMS_BENCH_USER_MAX] = "";
    char boot_user[ISMS_BENCH_USER_MAX] = "";
    char password[64] = "";
    char token[ISMS_BENCH_TOKEN_MAX] = "";
    int rc, status = 0, exit_code = 0, is_session = 0;

    rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    signal(SIGPIPE, SIG_IGN);
    isms_bench_plan_init(&plan, 0);
    memset(&sd, 0, sizeof(sd));

    memset(&cfg, 0, sizeof(cfg));
    if (needs_auth(&o) && o.token == NULL && o.user == NULL) {
        /* --spawn without credentials: make a throwaway admin in the benchmark database. */
        char suffix[9];

        if (random_text(suffix, sizeof(suffix)) != 0 || random_text(password, 25) != 0) {
            fprintf(stderr, "ismsbench: could not read /dev/urandom\n");
            return 1;
        }
        snprintf(boot_user, sizeof(boot_user), "ismsbench-%s", suffix);
        if (isms_bench_ismsd_bootstrap(o.spawn, o.conninfo, o.extra, o.nextra, boot_user, password,
                                       err, sizeof(err)) != 0) {
            fprintf(stderr, "ismsbench: could not create a bench user: %s\n", err);
            return 1;
        }
        fprintf(stderr, "ismsbench: created admin \"%s\" in the benchmark database\n", boot_user);
        o.user = boot_user;
    } else if (o.user != NULL) {
        snprintf(password, sizeof(password), "%s", getenv("ISMS_PASSWORD"));
    }
    cfg.host = o.host;
    cfg.port = o.port;
    cfg.ismsd_pid = (pid_t)o.pid;
    if (o.spawn != NULL) {
        if (isms_bench_ismsd_start(&spawned, o.spawn, o.conninfo, o.extra, o.nextra, START_WAIT_S,
                                   err, sizeof(err)) != 0) {
            fprintf(stderr, "ismsbench: could not start %s: %s\n", o.spawn, err);
            return 1;
        }
        cfg.host = spawned.host;
        cfg.port = spawned.port;
        cfg.ismsd_pid = spawned.pid;
        fprintf(stderr, "ismsbench: started %s (pid %ld) on %s:%s\n", o.spawn, (long)spawned.pid,
                spawned.host, spawned.port);
    }
    if (needs_auth(&o) && o.user != NULL) {
        rc = isms_bench_login(cfg.host, cfg.port, o.user, password, token, user, err, sizeof(err));
        memset(password, 0, sizeof(password));
        if (rc != 0) {
            fprintf(stderr, "ismsbench: could not log in: %s\n", err);
            status = 1;
            goto out;
        }
        o.token = token;
        is_session = 1;
    } else if (needs_auth(&o)) {
        if (isms_bench_whoami(cfg.host, cfg.port, o.token, user, err, sizeof(err)) != 0) {
            fprintf(stderr, "ismsbench: the token does not work: %s\n", err);
            status = 1;
            goto out;
        }
    }
    cfg.conninfo = o.conninfo;
    cfg.token = needs_auth(&o) ? o.token : NULL;
    cfg.user = user;
    /* The audit source ismsd records for us; any address costs the same. */
    cfg.source = "127.0.0.1";
    cfg.depth = o.depth;
    cfg.warmup_s = o.warmup;
    cfg.seconds = o.seconds;
    cfg.timeout_ms = (uint32_t)o.timeout_ms;
    cfg.plan = &plan;

    rows = calloc(o.nmethods * o.nconns, sizeof(*rows));
    if (rows == NULL) {
        fprintf(stderr, "ismsbench: out of memory\n");
        status = 1;
        goto out;
    }
    for (mi = 0; mi < o.nmethods; mi++) {
        enum isms_bench_method m = o.methods[mi];

        cfg.method = m;
        if (seed_for(&o, &cfg, m, &plan, &sd) != 0) {
            status = 1;
            continue;
        }
        if (!isms_bench_method_is_load(m)) {
            struct row *w = &rows[nrows++];
            unsigned repeat = m == ISMS_BENCH_SOA_EXPORT ? (unsigned)o.repeat : 1;

            w->method = m;
            w->conns = cfg.conns = 1;
            w->repeat = repeat;
            fprintf(stderr, "ismsbench: %s (%u stream%s): ismsd...\n", isms_bench_method_name(m),
                    repeat, repeat == 1 ? "" : "s");
            isms_bench_run_stream_wire(&cfg, repeat, &w->wire);
            if (o.is_baseline) {
                fprintf(stderr, "ismsbench: %s: direct...\n", isms_bench_method_name(m));
                isms_bench_run_stream_pq(&cfg, repeat, &w->direct);
                w->has_direct = 1;
            }
            if (w->wire.is_failed || (w->has_direct && w->direct.is_failed))
                status = 1;
            if (!o.is_json)
                print_stream_run(w);
            continue;
        }
        for (ci = 0; ci < o.nconns; ci++) {
            struct row *w = &rows[nrows++];

            w->method = m;
            w->conns = cfg.conns = o.conns[ci];
            fprintf(stderr, "ismsbench: %s conns=%u: ismsd...\n", isms_bench_method_name(m),
                    cfg.conns);
            isms_bench_run_wire(&cfg, &w->wire);
            if (o.is_baseline) {
                fprintf(stderr, "ismsbench: %s conns=%u: direct...\n", isms_bench_method_name(m),
                        cfg.conns);
                isms_bench_run_pq(&cfg, &w->direct);
                w->has_direct = 1;
            }
            if (w->wire.is_failed || (w->has_direct && w->direct.is_failed))
                status = 1;
            if (!o.is_json)
                print_load_run(&o, w);
        }
    }
    if (o.is_json) {
        print_json(&o, rows, nrows, &sd);
    } else {
        printf("\n");
        print_seeds(&sd);
        print_summary(&o, rows, nrows);
    }

out:
    if (is_session && isms_bench_logout(cfg.host, cfg.port, token, err, sizeof(err)) != 0)
        fprintf(stderr, "ismsbench: could not log out: %s\n", err);
    if (o.spawn != NULL) {
        if (isms_bench_ismsd_stop(&spawned, STOP_WAIT_S, &exit_code) != 0)
            fprintf(stderr, "ismsbench: ismsd did not stop within %.0f s of SIGTERM; killed it\n",
                    STOP_WAIT_S);
        else if (exit_code != 0)
            fprintf(stderr, "ismsbench: ismsd exited with status %d after SIGTERM\n", exit_code);
        fprintf(stderr, "ismsbench: ismsd logged %llu lines (%llu warn, %llu error)%s%s\n",
                (unsigned long long)spawned.lines, (unsigned long long)spawned.warn_lines,
                (unsigned long long)spawned.error_lines,
                spawned.first_problem[0] ? "; first: " : "", spawned.first_problem);
        if (exit_code != 0)
            status = 1;
    }
    isms_bench_plan_free(&plan);
    free(rows);
    return status;
}
