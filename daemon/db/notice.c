/* db/notice.c — the notice processor; the connection number rides in the callback's pointer. */
#include "db/notice.h"

#include <stdint.h>
#include <string.h>

#include "core/log.h"

static void on_notice(void *arg, const char *message)
{
    int db_conn = (int)(intptr_t)arg;
    char q[512];
    char line[400];
    size_t n = strcspn(message, "\n");
    int is_minor = strncmp(message, "NOTICE:", 7) == 0 || strncmp(message, "INFO:", 5) == 0 ||
                   strncmp(message, "DEBUG:", 6) == 0 || strncmp(message, "LOG:", 4) == 0;

    if (n >= sizeof(line))
        n = sizeof(line) - 1;
    memcpy(line, message, n);
    line[n] = '\0';
    if (is_minor && !isms_log_enabled(ISMS_LOG_DEBUG))
        return;
    isms_log(is_minor ? ISMS_LOG_DEBUG : ISMS_LOG_WARN, "database notice", "db_conn=%d text=%s",
             db_conn, isms_log_quote(q, sizeof(q), line));
}

void isms_db_route_notices(PGconn *pg, int db_conn)
{
    PQsetNoticeProcessor(pg, on_notice, (void *)(intptr_t)db_conn);
}
