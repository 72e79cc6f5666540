/* bench/ismsbench.c — the benchmark's command line: runs each load method at each concurrency
 * against ismsd and, right after, the same SQL straight on PostgreSQL, and prints both with their
 * ratio; runs each stream method once against both; seeds what the Plan-phase methods need
 * first. It prints figures and never judges them: no threshold here fails a run. The command
 * line is parsed in options.c; the report is printed by report.c (text) and report_json.c. */
#include "bench.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "login.h"
#include "options.h"
#include "plan_mix.h"
#include "report.h"
#include "seed.h"
#include "spawn.h"

#define START_WAIT_S 60.0
#define STOP_WAIT_S  20.0

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

/* Seeds what method `m` needs, once per invocation. Returns 0, or -1 (reported). */
static int seed_for(const struct isms_bench_options *o, const struct isms_bench_cfg *cfg,
                    enum isms_bench_method m, struct isms_bench_plan *plan,
                    struct isms_bench_seeds *sd)
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
    struct isms_bench_options o;
    struct isms_bench_ismsd spawned;
    struct isms_bench_cfg cfg;
    struct isms_bench_plan plan;
    struct isms_bench_seeds sd;
    struct isms_bench_row *rows = NULL;
    size_t nrows = 0, mi, ci;
    char err[2048];
    char user[ISMS_BENCH_USER_MAX] = "";
    char boot_user[ISMS_BENCH_USER_MAX] = "";
    char password[64] = "";
    char token[ISMS_BENCH_TOKEN_MAX] = "";
    int rc, status = 0, exit_code = 0, is_session = 0;

    rc = isms_bench_parse_args(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    signal(SIGPIPE, SIG_IGN);
    isms_bench_plan_init(&plan, 0);
    memset(&sd, 0, sizeof(sd));

    memset(&cfg, 0, sizeof(cfg));
    if (isms_bench_needs_auth(&o) && o.token == NULL && o.user == NULL) {
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
    if (isms_bench_needs_auth(&o) && o.user != NULL) {
        rc = isms_bench_login(cfg.host, cfg.port, o.user, password, token, user, err, sizeof(err));
        memset(password, 0, sizeof(password));
        if (rc != 0) {
            fprintf(stderr, "ismsbench: could not log in: %s\n", err);
            status = 1;
            goto out;
        }
        o.token = token;
        is_session = 1;
    } else if (isms_bench_needs_auth(&o)) {
        if (isms_bench_whoami(cfg.host, cfg.port, o.token, user, err, sizeof(err)) != 0) {
            fprintf(stderr, "ismsbench: the token does not work: %s\n", err);
            status = 1;
            goto out;
        }
    }
    cfg.conninfo = o.conninfo;
    cfg.token = isms_bench_needs_auth(&o) ? o.token : NULL;
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
            struct isms_bench_row *w = &rows[nrows++];
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
                isms_bench_print_stream_run(w);
            continue;
        }
        for (ci = 0; ci < o.nconns; ci++) {
            struct isms_bench_row *w = &rows[nrows++];

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
                isms_bench_print_load_run(&o, w);
        }
    }
    if (o.is_json) {
        isms_bench_print_json(&o, rows, nrows, &sd);
    } else {
        printf("\n");
        isms_bench_print_seeds(&sd);
        isms_bench_print_summary(&o, rows, nrows);
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
