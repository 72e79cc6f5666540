/* bench/report.c — ismsbench's text report: a line per run as it finishes (with a line per
 * operation for plan-mix, and the errors it had), then what was seeded and the summary tables.
 * It prints figures and never judges them. */
#include "report.h"

#include <stdio.h>

static double mib(long kib)
{
    return (double)kib / 1024.0;
}

/* ismsd's OK calls/s over the baseline's OK calls/s (rows/s for stream methods); 0 when either
 * run has no figure. */
int isms_bench_ratio_of(const struct isms_bench_row *w, double *out)
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
static void print_kinds(const struct isms_bench_row *w)
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

void isms_bench_print_load_run(const struct isms_bench_options *o, const struct isms_bench_row *w)
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
        if (isms_bench_ratio_of(w, &ratio))
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

void isms_bench_print_stream_run(const struct isms_bench_row *w)
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
        if (isms_bench_ratio_of(w, &ratio))
            printf(" ratio %.2f", ratio);
    }
    printf("\n");
    print_problems(stdout, "ismsd", r, 0);
    if (w->has_direct)
        print_problems(stdout, "direct", &w->direct, 0);
    fflush(stdout);
}

void isms_bench_print_seeds(const struct isms_bench_seeds *sd)
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

void isms_bench_print_summary(const struct isms_bench_options *o, const struct isms_bench_row *rows,
                              size_t n)
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
        const struct isms_bench_row *w = &rows[i];
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
        if (isms_bench_ratio_of(w, &rv))
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
        const struct isms_bench_row *w = &rows[i];
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
        const struct isms_bench_row *w = &rows[i];
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
        if (isms_bench_ratio_of(w, &rv))
            snprintf(ratio, sizeof(ratio), "%.2f", rv);
        printf("%10s | %5s | ", direct, ratio);
        if (r->load1 >= 0)
            printf("%5.2f\n", r->load1);
        else
            printf("%5s\n", "-");
    }
    fflush(stdout);
}
