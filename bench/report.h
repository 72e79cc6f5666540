/* bench/report.h — what ismsbench reports: a row per run (ismsd and, when run, the baseline) and
 * what was seeded, printed as text (report.c) or as one JSON document (report_json.c). Printing
 * goes to stdout; it only reads the rows. */
#ifndef ISMS_BENCH_REPORT_H
#define ISMS_BENCH_REPORT_H

#include <stddef.h>

#include "bench.h"
#include "options.h"
#include "seed.h"

/* One run: a load method at one connection count, or a stream method. */
struct isms_bench_row {
    enum isms_bench_method method;
    unsigned conns;  /* load methods; 1 for stream methods */
    unsigned repeat; /* stream methods: streams run */
    struct isms_bench_result wire;
    struct isms_bench_result direct;
    int has_direct;
};

/* What was seeded, for the report. */
struct isms_bench_seeds {
    struct isms_bench_seed_report plan;
    struct isms_bench_seed_report inventory;
    int has_plan, has_inventory;
};

/* ismsd's OK calls/s over the baseline's OK calls/s (rows/s for stream methods) in `*out`.
 * Returns 1, or 0 (and leaves `*out`) when either run has no figure. */
int isms_bench_ratio_of(const struct isms_bench_row *w, double *out);

/* The line of a finished load run (and plan-mix's line per operation), then its errors. */
void isms_bench_print_load_run(const struct isms_bench_options *o, const struct isms_bench_row *w);

/* The line of a finished stream run, then its errors. */
void isms_bench_print_stream_run(const struct isms_bench_row *w);

/* What was seeded, how fast, and how long VACUUM ANALYZE took after. */
void isms_bench_print_seeds(const struct isms_bench_seeds *sd);

/* The summary tables of the `n` rows: load runs, plan-mix by operation, stream runs. */
void isms_bench_print_summary(const struct isms_bench_options *o, const struct isms_bench_row *rows,
                              size_t n);

/* The whole report as one JSON document (report_json.c), instead of the text. */
void isms_bench_print_json(const struct isms_bench_options *o, const struct isms_bench_row *rows,
                           size_t n, const struct isms_bench_seeds *sd);

#endif
