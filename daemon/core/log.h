/* core/log.h — one logfmt line per event on stderr: `ts=... level=info msg="..." key=value`.
 * The level and the journald flag are the only mutable globals besides signal state. */
#ifndef ISMS_CORE_LOG_H
#define ISMS_CORE_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

enum isms_log_level {
    ISMS_LOG_DEBUG = 0,
    ISMS_LOG_INFO = 1,
    ISMS_LOG_WARN = 2,
    ISMS_LOG_ERROR = 3,
};

/* Reads JOURNAL_STREAM once: under journald lines start with a syslog priority, no timestamp. */
void isms_log_init(enum isms_log_level min_level);
void isms_log_set_level(enum isms_log_level min_level);
int isms_log_enabled(enum isms_log_level level);

/* Parses "debug", "info", "warn", "error". Returns -1 for anything else. */
int isms_log_level_parse(const char *s);

/* Writes one line: `msg` is quoted; `fmt` formats the remaining key=value pairs verbatim, so any
 * client-supplied value in them must first go through isms_log_quote(). */
void isms_log(enum isms_log_level level, const char *msg, const char *fmt, ...) ISMS_PRINTF(3, 4);

/* Writes `s` into `out` as a logfmt double-quoted value, escaping quotes, backslashes and control
 * bytes, truncated to fit `n` (always NUL-terminated). Returns `out`. */
char *isms_log_quote(char *out, size_t n, const char *s);

/* A budget of lines per window for one kind of event a client can trigger at will (rejected
 * connections, say), so a flood cannot flood the log. Fields are private; zero-initialise. */
struct isms_log_limit {
    uint64_t window_start_ms;
    unsigned burst;      /* lines allowed per window (0 = 10) */
    unsigned used;       /* lines written in the current window */
    unsigned suppressed; /* lines held back since the last one written */
};

/* Returns 1 if a line may be written at `now_ms` (windows of one second). On the first line of
 * a new window, `*suppressed` gets how many were held back in the previous ones (to append as
 * `suppressed=N`), else 0. */
int isms_log_limit_allow(struct isms_log_limit *l, uint64_t now_ms, unsigned *suppressed);

#define isms_log_debug(msg, ...) isms_log(ISMS_LOG_DEBUG, msg, __VA_ARGS__)
#define isms_log_info(msg, ...)  isms_log(ISMS_LOG_INFO, msg, __VA_ARGS__)
#define isms_log_warn(msg, ...)  isms_log(ISMS_LOG_WARN, msg, __VA_ARGS__)
#define isms_log_error(msg, ...) isms_log(ISMS_LOG_ERROR, msg, __VA_ARGS__)

#endif
