/* bench/bench.h — shared types of ismsbench: what one run measures, what it found, and the
 * latency samples behind the percentiles. A run is one method at one concurrency, against either
 * ismsd (over the wire) or PostgreSQL directly (the baseline). */
#ifndef ISMS_BENCH_BENCH_H
#define ISMS_BENCH_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/status.h"

enum isms_bench_method {
    ISMS_BENCH_HEALTH = 0,
    ISMS_BENCH_CONTEXT_GET = 1,
    ISMS_BENCH_CONTEXT_UPDATE = 2,
};
#define ISMS_BENCH_METHODS 3

/* Slots 0..16 are gRPC codes; the last one counts codes outside that range. */
#define ISMS_BENCH_CODE_SLOTS 18

/* What one run does. Strings are borrowed from the caller for the duration of the run. */
struct isms_bench_cfg {
    enum isms_bench_method method;
    const char *host; /* ismsd address (wire runs) */
    const char *port;
    const char *conninfo; /* libpq conninfo (baseline runs) */
    const char *token;    /* sent as "authorization: Bearer <token>" when not NULL */
    const char *user;     /* whom the token belongs to (the baseline's updated_by) */
    const char *source;   /* the address ismsd sees us at (the baseline's audit source) */
    pid_t ismsd_pid;      /* 0: RSS unknown */
    unsigned conns;
    unsigned depth; /* calls in flight per connection */
    double warmup_s;
    double seconds;
    uint32_t timeout_ms; /* Request.timeout_ms; 0 = no deadline */
};

/* Latency samples in nanoseconds; every completed call in the window adds one.
 * Fields are private; use the functions. */
struct isms_bench_samples {
    uint64_t *ns;
    size_t len;
    size_t cap;
};

/* What one run found. Zeroed by the runner before it starts. */
struct isms_bench_result {
    int is_failed; /* the run could not be carried out; `err` says why */
    char err[256];
    uint64_t calls;                        /* calls completed inside the window, any outcome */
    uint64_t ok_calls;                     /* of those, OK (wire) or without SQL error (baseline) */
    uint64_t codes[ISMS_BENCH_CODE_SLOTS]; /* wire: calls by response code */
    int stmts_per_call;                    /* baseline: statements one call runs */
    uint64_t sql_errors;                   /* baseline: statements that failed */
    uint64_t transport_errors;             /* lost connections, bad frames, unmatched call ids */
    uint64_t bad_bodies;     /* OK responses whose body was wrong (e.g. Health NOT_SERVING) */
    uint64_t left_in_flight; /* calls still unanswered when the drain timed out */
    char first_error[256];   /* the first error message seen, for the report */
    double window_s;         /* measured window, actual */
    double rate;             /* calls per second over the window, any outcome */
    double ok_rate;          /* OK calls per second: what the ratio compares */
    double p50_ms, p99_ms, max_ms;
    long rss_kib;          /* ismsd VmRSS at the end of the window; -1 unknown */
    long hwm_kib;          /* ismsd VmHWM (peak RSS since it started); -1 unknown */
    double client_cpu_pct; /* ismsbench's CPU time over the window, % of one core */
    double ismsd_cpu_pct;  /* ismsd's CPU time over the window, % of one core; -1 unknown */
    double box_cpu_pct;    /* the whole machine's busy time, % of all cores; -1 unknown */
};

const char *isms_bench_method_name(enum isms_bench_method m);

/* Appends one sample; returns 0, or -1 when memory ran out (the sample is lost). */
int isms_bench_samples_add(struct isms_bench_samples *s, uint64_t ns);
void isms_bench_samples_free(struct isms_bench_samples *s);

/* Sorts the samples and fills p50/p99/max and the rate in `res` from `res->calls` and
 * `res->window_s`. */
void isms_bench_result_finish(struct isms_bench_result *res, struct isms_bench_samples *s);

/* Records the first error message of a run (later ones are only counted). */
void isms_bench_result_note(struct isms_bench_result *res, const char *fmt, ...) ISMS_PRINTF(2, 3);

/* Marks the run failed with a message. */
void isms_bench_result_fail(struct isms_bench_result *res, const char *fmt, ...) ISMS_PRINTF(2, 3);

/* Reads VmRSS and VmHWM of `pid` from /proc/PID/status, in KiB; -1 each when unknown. */
void isms_bench_read_rss(pid_t pid, long *rss_kib, long *hwm_kib);

/* CPU time (user + system) used so far by this process, in seconds. */
double isms_bench_cpu_self_s(void);

/* CPU time used so far by `pid` (from /proc/PID/stat), in seconds; -1 when unknown. */
double isms_bench_cpu_pid_s(pid_t pid);

/* Where a runner keeps the CPU clocks it reads at the start and end of the window. */
struct isms_bench_cpu {
    double self_s;
    double pid_s;
    unsigned long long box_busy; /* /proc/stat jiffies, all cores */
    unsigned long long box_total;
};

/* Reads both clocks at the start of the window. */
void isms_bench_cpu_start(struct isms_bench_cpu *c, pid_t pid);

/* Reads them again at the end and fills client_cpu_pct, ismsd_cpu_pct and box_cpu_pct over
 * `window_s`. */
void isms_bench_cpu_stop(const struct isms_bench_cpu *c, pid_t pid, double window_s,
                         struct isms_bench_result *res);

/* Runs `cfg` against ismsd over TCP (bench/wire_load.c). */
void isms_bench_run_wire(const struct isms_bench_cfg *cfg, struct isms_bench_result *res);

/* Runs the same SQL straight on PostgreSQL with libpq pipeline mode (bench/pq_load.c). */
void isms_bench_run_pq(const struct isms_bench_cfg *cfg, struct isms_bench_result *res);

/* How long a run waits for its last calls after the window closes. */
#define ISMS_BENCH_DRAIN_S 10.0

#endif
