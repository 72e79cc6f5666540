/* core/log.c — logfmt lines to stderr, each written with a single write(2) so lines from
 * one process never interleave. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum isms_log_level log_min = ISMS_LOG_INFO;
static int log_journal;

static const char *const level_names[] = {"debug", "info", "warn", "error"};
static const int level_syslog[] = {7, 6, 4, 3};

void isms_log_init(enum isms_log_level min_level)
{
    const char *js = getenv("JOURNAL_STREAM");
    struct stat sb;

    log_min = min_level;
    log_journal = 0;
    if (js != NULL && fstat(STDERR_FILENO, &sb) == 0) {
        unsigned long long dev, ino;

        if (sscanf(js, "%llu:%llu", &dev, &ino) == 2 && dev == (unsigned long long)sb.st_dev &&
            ino == (unsigned long long)sb.st_ino)
            log_journal = 1;
    }
}

void isms_log_set_level(enum isms_log_level min_level)
{
    log_min = min_level;
}

int isms_log_enabled(enum isms_log_level level)
{
    return level >= log_min;
}

int isms_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    if (strcmp(s, "warning") == 0)
        return ISMS_LOG_WARN;
    return -1;
}

char *isms_log_quote(char *out, size_t n, const char *s)
{
    size_t o = 0;

    if (n < 3) {
        if (n > 0)
            out[0] = '\0';
        return out;
    }
    out[o++] = '"';
    for (; s != NULL && *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        size_t elen;

        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            elen = 2;
        } else if (c == '\n') {
            memcpy(esc, "\\n", 2);
            elen = 2;
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof(esc), "\\x%02x", c);
            elen = 4;
        } else {
            esc[0] = (char)c;
            elen = 1;
        }
        if (o + elen + 2 > n)
            break;
        memcpy(out + o, esc, elen);
        o += elen;
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

void isms_log(enum isms_log_level level, const char *msg, const char *fmt, ...)
{
    char line[2048];
    char qmsg[512];
    size_t o = 0;
    int w;
    va_list ap;

    if (level < log_min)
        return;
    if (log_journal) {
        w = snprintf(line, sizeof(line), "<%d>level=%s msg=%s", level_syslog[level],
                     level_names[level], isms_log_quote(qmsg, sizeof(qmsg), msg));
    } else {
        struct timespec ts;
        struct tm tm;
        char tbuf[32];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
        w = snprintf(line, sizeof(line), "ts=%s.%03ldZ level=%s msg=%s", tbuf, ts.tv_nsec / 1000000,
                     level_names[level], isms_log_quote(qmsg, sizeof(qmsg), msg));
    }
    if (w < 0)
        return;
    o = (size_t)w < sizeof(line) ? (size_t)w : sizeof(line) - 1;
    if (fmt != NULL && fmt[0] != '\0' && o + 2 < sizeof(line)) {
        line[o++] = ' ';
        va_start(ap, fmt);
        w = vsnprintf(line + o, sizeof(line) - o, fmt, ap);
        va_end(ap);
        if (w > 0)
            o += (size_t)w < sizeof(line) - o ? (size_t)w : sizeof(line) - o - 1;
        else
            o--; /* nothing formatted: drop the separator */
    }
    if (o >= sizeof(line) - 1)
        o = sizeof(line) - 2;
    line[o++] = '\n';
    if (write(STDERR_FILENO, line, o) < 0)
        return;
}

int isms_log_limit_allow(struct isms_log_limit *l, uint64_t now_ms, unsigned *suppressed)
{
    unsigned burst = l->burst != 0 ? l->burst : 10;

    *suppressed = 0;
    if (now_ms - l->window_start_ms >= 1000 || l->window_start_ms == 0) {
        l->window_start_ms = now_ms != 0 ? now_ms : 1;
        l->used = 0;
        *suppressed = l->suppressed;
        l->suppressed = 0;
    }
    if (l->used >= burst) {
        l->suppressed++;
        return 0;
    }
    l->used++;
    return 1;
}
