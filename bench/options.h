/* bench/options.h — ismsbench's command line as parsed: where ismsd is, which methods at which
 * concurrencies, the window, the credentials and the data-set sizes. Strings point into argv or
 * the environment, so they live as long as the process. */
#ifndef ISMS_BENCH_OPTIONS_H
#define ISMS_BENCH_OPTIONS_H

#include <stddef.h>

#include "bench.h"

#define ISMS_BENCH_MAX_LIST  16 /* methods, and connection counts, one command line names */
#define ISMS_BENCH_MAX_EXTRA 32 /* --ismsd-arg values */

struct isms_bench_options {
    const char *server; /* HOST:PORT */
    char host[256];
    char port[16];
    long pid;
    const char *conninfo;
    const char *spawn;                 /* path to ismsd */
    char *extra[ISMS_BENCH_MAX_EXTRA]; /* --ismsd-arg values, borrowed from argv */
    size_t nextra;
    enum isms_bench_method methods[ISMS_BENCH_MAX_LIST];
    size_t nmethods;
    unsigned conns[ISMS_BENCH_MAX_LIST];
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

/* Parses argv into `o` (defaults first, then $ISMS_TOKEN when no --token). Prints --help to
 * stdout, a usage problem to stderr. Returns -1 to exit 0 (help), 0 to go on, or the exit status
 * (2) of a usage error. */
int isms_bench_parse_args(int argc, char **argv, struct isms_bench_options *o);

/* Whether any chosen method needs a logged-in caller (everything but Health). */
int isms_bench_needs_auth(const struct isms_bench_options *o);

#endif
