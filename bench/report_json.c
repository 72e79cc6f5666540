/* bench/report_json.c — ismsbench's --json report: one JSON document on stdout with the
 * settings, what was seeded and every run's figures. Strings (error messages) are escaped, so
 * the document stays valid whatever a server or PostgreSQL said. */
#include "report.h"

#include <stdio.h>

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

void isms_bench_print_json(const struct isms_bench_options *o, const struct isms_bench_row *rows,
                           size_t n, const struct isms_bench_seeds *sd)
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
        const struct isms_bench_row *w = &rows[i];
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
            if (isms_bench_ratio_of(w, &ratio))
                printf(", \"ratio\": %.3f", ratio);
        }
        printf("}%s\n", i + 1 < n ? "," : "");
    }
    printf("]}\n");
    fflush(stdout);
}
