/* bench/bench.h — shared types of ismsbench: what one run measures, what it found, and the
 * latency samples behind the percentiles. A run is one method at one concurrency, against either
 * ismsd (over the wire) or PostgreSQL directly (the baseline). */
#ifndef ISMS_BENCH_BENCH_H
#define ISMS_BENCH_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/status.h"

enum isms_bench_method {
    ISMS_BENCH_HEALTH = 0,
    ISMS_BENCH_CONTEXT_GET = 1,
    ISMS_BENCH_CONTEXT_UPDATE = 2,
    ISMS_BENCH_PLAN_MIX = 3,        /* Plan-phase reads and writes, 80/20 (plan_mix.c) */
    ISMS_BENCH_SOA_EXPORT = 4,      /* Soa/Export streams, one after another (stream.c) */
    ISMS_BENCH_ASSET_LIST_100K = 5, /* one Asset/List stream of the whole inventory (stream.c) */
};
#define ISMS_BENCH_METHODS 6

/* Whether `m` is a load method (C connections x D calls in flight for S seconds) rather than
 * a stream method (one connection, one stream at a time, timed end to end). */
int isms_bench_method_is_load(enum isms_bench_method m);

/* The operations of the plan-mix workload. Reads first, then writes. */
enum isms_bench_kind {
    ISMS_BENCH_ASSET_GET = 0,
    ISMS_BENCH_RISK_GET = 1,
    ISMS_BENCH_ASSET_LIST = 2, /* Asset/List, first page of 50 */
    ISMS_BENCH_RISK_LIST = 3,  /* Risk/List, first page of 50 */
    ISMS_BENCH_ASSET_UPDATE = 4,
    ISMS_BENCH_RISK_UPDATE = 5,
};
#define ISMS_BENCH_KINDS 6

const char *isms_bench_kind_name(enum isms_bench_kind k);

/* Slots 0..16 are gRPC codes; the last one counts codes outside that range. */
#define ISMS_BENCH_CODE_SLOTS 18

struct isms_bench_plan;

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
    uint32_t timeout_ms;          /* Request.timeout_ms; 0 = no deadline */
    struct isms_bench_plan *plan; /* plan-mix: the seeded data set (plan_mix.h) */
};

/* Latency samples in nanoseconds; every completed call in the window adds one.
 * Fields are private; use the functions. */
struct isms_bench_samples {
    uint64_t *ns;
    size_t len;
    size_t cap;
};

/* What one operation kind of a mixed run found. */
struct isms_bench_kind_result {
    uint64_t calls;     /* completed inside the window, any outcome */
    uint64_t ok_calls;  /* OK */
    uint64_t conflicts; /* ABORTED: a stale expected_version (writes only; retried) */
    double p50_ms, p99_ms;
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
    double load1;          /* the 1-minute load average at the end of the window; -1 unknown */
    uint64_t rows;         /* stream messages (more = true) received inside the window */
    uint64_t statements;   /* baseline: statements that completed inside the window */
    /* Stream methods: ismsd's RSS and peak RSS when the streams began (the peak reset to the
     * RSS just before, when the kernel allows: hwm_reset), and the highest RSS sampled while
     * they ran. */
    long rss_before_kib, hwm_before_kib, rss_max_kib;
    int hwm_reset;
    uint64_t conflicts; /* plan-mix: ABORTED updates (counted in `calls`, retried) */
    int has_kinds;      /* plan-mix: `kinds` is filled */
    struct isms_bench_kind_result kinds[ISMS_BENCH_KINDS];
};

/* Per-kind latency samples of a mixed run. */
struct isms_bench_kind_samples {
    struct isms_bench_samples s[ISMS_BENCH_KINDS];
};

const char *isms_bench_method_name(enum isms_bench_method m);

/* Appends one sample; returns 0, or -1 when memory ran out (the sample is lost). */
int isms_bench_samples_add(struct isms_bench_samples *s, uint64_t ns);
void isms_bench_samples_free(struct isms_bench_samples *s);

/* Sorts the samples and fills p50/p99/max and the rate in `res` from `res->calls` and
 * `res->window_s`. */
void isms_bench_result_finish(struct isms_bench_result *res, struct isms_bench_samples *s);

/* Adds one completed call of kind `k` to `res->kinds` and its latency to `ks`. `code` is the
 * gRPC code (ISMS_OK, ISMS_ABORTED for a version conflict, anything else an error). */
void isms_bench_kind_add(struct isms_bench_result *res, struct isms_bench_kind_samples *ks,
                         enum isms_bench_kind k, int code, uint64_t ns);

/* Fills the per-kind percentiles from `ks` and frees the samples. */
void isms_bench_kinds_finish(struct isms_bench_result *res, struct isms_bench_kind_samples *ks);

/* Records the first error message of a run (later ones are only counted). */
void isms_bench_result_note(struct isms_bench_result *res, const char *fmt, ...) ISMS_PRINTF(2, 3);

/* Marks the run failed with a message. */
void isms_bench_result_fail(struct isms_bench_result *res, const char *fmt, ...) ISMS_PRINTF(2, 3);

/* Reads VmRSS and VmHWM of `pid` from /proc/PID/status, in KiB; -1 each when unknown. */
void isms_bench_read_rss(pid_t pid, long *rss_kib, long *hwm_kib);

/* Resets the peak RSS (VmHWM) of `pid` to its current RSS (/proc/PID/clear_refs, "5").
 * Returns 0, or -1 when the kernel or permissions do not allow it. */
int isms_bench_reset_hwm(pid_t pid);

/* The 1-minute load average (/proc/loadavg); -1 when unknown. */
double isms_bench_load1(void);

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

/* Stream methods (bench/stream.c): `repeat` streams one after another on one connection to
 * ismsd, timed end to end; `calls` counts streams, `rows` their messages, and the RSS fields
 * say whether ismsd's memory stayed bounded. */
void isms_bench_run_stream_wire(const struct isms_bench_cfg *cfg, unsigned repeat,
                                struct isms_bench_result *res);

/* The same SQL the daemon runs for those streams (page by page), on one libpq connection. */
void isms_bench_run_stream_pq(const struct isms_bench_cfg *cfg, unsigned repeat,
                              struct isms_bench_result *res);

/* How long a run waits for its last calls after the window closes. */
#define ISMS_BENCH_DRAIN_S 10.0

#endif
