/* bench/stats.c — latency samples, percentiles, error notes and ismsd's RSS from /proc.
 * Percentiles are exact (nearest rank over every sample), not estimated from buckets. */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

const char *isms_bench_method_name(enum isms_bench_method m)
{
    switch (m) {
    case ISMS_BENCH_HEALTH:
        return "health";
    case ISMS_BENCH_CONTEXT_GET:
        return "context-get";
    case ISMS_BENCH_CONTEXT_UPDATE:
        return "context-update";
    case ISMS_BENCH_PLAN_MIX:
        return "plan-mix";
    case ISMS_BENCH_SOA_EXPORT:
        return "soa-export";
    case ISMS_BENCH_ASSET_LIST_100K:
        return "asset-list-100k";
    }
    return "?";
}

int isms_bench_method_is_load(enum isms_bench_method m)
{
    return m != ISMS_BENCH_SOA_EXPORT && m != ISMS_BENCH_ASSET_LIST_100K;
}

const char *isms_bench_kind_name(enum isms_bench_kind k)
{
    switch (k) {
    case ISMS_BENCH_ASSET_GET:
        return "asset-get";
    case ISMS_BENCH_RISK_GET:
        return "risk-get";
    case ISMS_BENCH_ASSET_LIST:
        return "asset-list";
    case ISMS_BENCH_RISK_LIST:
        return "risk-list";
    case ISMS_BENCH_ASSET_UPDATE:
        return "asset-update";
    case ISMS_BENCH_RISK_UPDATE:
        return "risk-update";
    }
    return "?";
}

int isms_bench_samples_add(struct isms_bench_samples *s, uint64_t ns)
{
    if (s->len == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 65536;
        uint64_t *nv = realloc(s->ns, ncap * sizeof(*nv));

        if (nv == NULL)
            return -1;
        s->ns = nv;
        s->cap = ncap;
    }
    s->ns[s->len++] = ns;
    return 0;
}

void isms_bench_samples_free(struct isms_bench_samples *s)
{
    free(s->ns);
    memset(s, 0, sizeof(*s));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least p of all samples at or below it. */
static double rank_ms(const struct isms_bench_samples *s, double p)
{
    size_t idx;

    if (s->len == 0)
        return 0.0;
    idx = (size_t)(p * (double)s->len + 0.999999);
    if (idx == 0)
        idx = 1;
    if (idx > s->len)
        idx = s->len;
    return (double)s->ns[idx - 1] / 1e6;
}

void isms_bench_result_finish(struct isms_bench_result *res, struct isms_bench_samples *s)
{
    if (s->len > 1)
        qsort(s->ns, s->len, sizeof(*s->ns), cmp_u64);
    res->p50_ms = rank_ms(s, 0.50);
    res->p99_ms = rank_ms(s, 0.99);
    res->max_ms = s->len ? (double)s->ns[s->len - 1] / 1e6 : 0.0;
    res->rate = res->window_s > 0 ? (double)res->calls / res->window_s : 0.0;
    res->ok_rate = res->window_s > 0 ? (double)res->ok_calls / res->window_s : 0.0;
}

void isms_bench_kind_add(struct isms_bench_result *res, struct isms_bench_kind_samples *ks,
                         enum isms_bench_kind k, int code, uint64_t ns)
{
    struct isms_bench_kind_result *r = &res->kinds[k];

    r->calls++;
    if (code == ISMS_OK)
        r->ok_calls++;
    else if (code == ISMS_ABORTED)
        r->conflicts++;
    if (isms_bench_samples_add(&ks->s[k], ns) != 0)
        isms_bench_result_note(res, "out of memory for latency samples");
}

void isms_bench_kinds_finish(struct isms_bench_result *res, struct isms_bench_kind_samples *ks)
{
    int k;

    res->has_kinds = 1;
    for (k = 0; k < ISMS_BENCH_KINDS; k++) {
        struct isms_bench_samples *s = &ks->s[k];

        if (s->len > 1)
            qsort(s->ns, s->len, sizeof(*s->ns), cmp_u64);
        res->kinds[k].p50_ms = rank_ms(s, 0.50);
        res->kinds[k].p99_ms = rank_ms(s, 0.99);
        res->conflicts += res->kinds[k].conflicts;
        isms_bench_samples_free(s);
    }
}

void isms_bench_result_note(struct isms_bench_result *res, const char *fmt, ...)
{
    va_list ap;

    if (res->first_error[0] != '\0')
        return;
    va_start(ap, fmt);
    vsnprintf(res->first_error, sizeof(res->first_error), fmt, ap);
    va_end(ap);
}

void isms_bench_result_fail(struct isms_bench_result *res, const char *fmt, ...)
{
    va_list ap;

    if (res->is_failed)
        return;
    res->is_failed = 1;
    va_start(ap, fmt);
    vsnprintf(res->err, sizeof(res->err), fmt, ap);
    va_end(ap);
}

/* Parses "Key:   1234 kB" lines; returns -1 when the key is missing. */
static long status_kib(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    char *end;
    long v;

    if (p == NULL)
        return -1;
    p += strlen(key);
    v = strtol(p, &end, 10);
    if (end == p || v < 0)
        return -1;
    return v;
}

void isms_bench_read_rss(pid_t pid, long *rss_kib, long *hwm_kib)
{
    char path[64];
    char text[8192];
    size_t n;
    FILE *f;

    *rss_kib = -1;
    *hwm_kib = -1;
    if (pid <= 0)
        return;
    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return;
    n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    *rss_kib = status_kib(text, "\nVmRSS:");
    *hwm_kib = status_kib(text, "\nVmHWM:");
}

int isms_bench_reset_hwm(pid_t pid)
{
    char path[64];
    FILE *f;
    int rc;

    if (pid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%ld/clear_refs", (long)pid);
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    rc = fputs("5", f) < 0 ? -1 : 0;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

double isms_bench_load1(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double v = -1.0;

    if (f == NULL)
        return -1.0;
    if (fscanf(f, "%lf", &v) != 1)
        v = -1.0;
    fclose(f);
    return v;
}

double isms_bench_cpu_self_s(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0.0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

double isms_bench_cpu_pid_s(pid_t pid)
{
    char path[64];
    char text[1024];
    const char *p;
    unsigned long long utime, stime;
    long tck = sysconf(_SC_CLK_TCK);
    size_t n;
    FILE *f;

    if (pid <= 0 || tck <= 0)
        return -1.0;
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1.0;
    n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    /* The command name may hold spaces and parentheses: fields restart after the last ')'.
     * Then come state (3) and ten more before utime (14) and stime (15). */
    p = strrchr(text, ')');
    if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                            &stime) != 2)
        return -1.0;
    return (double)(utime + stime) / (double)tck;
}

/* Reads the machine's busy and total jiffies from the "cpu" line of /proc/stat; 0 each when
 * unknown. Busy is everything but idle and iowait. */
static void read_box(unsigned long long *busy, unsigned long long *total)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    int n;

    *busy = *total = 0;
    if (f == NULL)
        return;
    n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7]);
    fclose(f);
    if (n < 4)
        return;
    *total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    *busy = *total - v[3] - v[4];
}

void isms_bench_cpu_start(struct isms_bench_cpu *c, pid_t pid)
{
    c->self_s = isms_bench_cpu_self_s();
    c->pid_s = isms_bench_cpu_pid_s(pid);
    read_box(&c->box_busy, &c->box_total);
}

void isms_bench_cpu_stop(const struct isms_bench_cpu *c, pid_t pid, double window_s,
                         struct isms_bench_result *res)
{
    double pid_s = isms_bench_cpu_pid_s(pid);

    unsigned long long busy, total;

    res->client_cpu_pct = -1.0;
    res->ismsd_cpu_pct = -1.0;
    res->box_cpu_pct = -1.0;
    res->load1 = isms_bench_load1();
    if (window_s <= 0)
        return;
    read_box(&busy, &total);
    if (total > c->box_total && busy >= c->box_busy)
        res->box_cpu_pct = (double)(busy - c->box_busy) / (double)(total - c->box_total) * 100.0;
    res->client_cpu_pct = (isms_bench_cpu_self_s() - c->self_s) / window_s * 100.0;
    if (pid_s >= 0 && c->pid_s >= 0)
        res->ismsd_cpu_pct = (pid_s - c->pid_s) / window_s * 100.0;
}
