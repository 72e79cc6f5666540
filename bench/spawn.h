/* bench/spawn.h — start an ismsd for the benchmark and stop it afterwards. Its stderr is read
 * until the `msg="listening"` line gives the port, then drained by a thread for the rest of its
 * life, so the daemon never blocks on a full pipe while it logs every call. */
#ifndef ISMS_BENCH_SPAWN_H
#define ISMS_BENCH_SPAWN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ISMS_BENCH_TAIL_LINES 8
#define ISMS_BENCH_LINE_MAX   512

/* A spawned ismsd. Fields other than `pid`, `host` and `port` are private. */
struct isms_bench_ismsd {
    pid_t pid;
    char host[64];
    char port[16];
    int err_fd; /* read end of its stderr; owned by the drain thread once started */
    pthread_t drain;
    int has_drain;
    int is_listening; /* the listening line was seen; host and port are set */
    /* Written by the drain thread; read only after it has been joined. */
    uint64_t lines;
    uint64_t warn_lines;                                   /* level=warn */
    uint64_t error_lines;                                  /* level=error */
    char first_problem[ISMS_BENCH_LINE_MAX];               /* the first warn or error line */
    char tail[ISMS_BENCH_TAIL_LINES][ISMS_BENCH_LINE_MAX]; /* the last lines, a ring */
    unsigned tail_next;
    char partial[ISMS_BENCH_LINE_MAX];
    size_t partial_len;
};

/*
 * Starts `path --listen 127.0.0.1:0 --db CONNINFO [extra...]` and waits (up to `wait_s`) for it
 * to log that it listens. Returns 0, or -1 with `err` saying why (including ismsd's last log
 * lines when it exited early; it has then been reaped).
 */
int isms_bench_ismsd_start(struct isms_bench_ismsd *d, const char *path, const char *conninfo,
                           char *const *extra, size_t nextra, double wait_s, char *err,
                           size_t errlen);

/*
 * Runs `path --bootstrap-admin USER --db CONNINFO [extra...]` with `password` on its standard
 * input, which creates an admin (roles admin, isms_manager) whose password needs no change.
 * Returns 0, or -1 with `err` holding ismsd's last output.
 */
int isms_bench_ismsd_bootstrap(const char *path, const char *conninfo, char *const *extra,
                               size_t nextra, const char *user, const char *password, char *err,
                               size_t errlen);

/*
 * Sends SIGTERM, waits up to `wait_s` for a graceful exit (then SIGKILL), reaps it and joins the
 * drain thread. Sets `*exit_code` to its exit status, or 128 + signal number. Returns 0, or -1
 * when it had to be killed.
 */
int isms_bench_ismsd_stop(struct isms_bench_ismsd *d, double wait_s, int *exit_code);

#endif
