/* db/notice.h — libpq's notices and out-of-band errors (NOTICE from a migration, FATAL when the
 * server terminates a session) become logfmt lines instead of raw text on stderr. */
#ifndef ISMS_DB_NOTICE_H
#define ISMS_DB_NOTICE_H

#include <libpq-fe.h>

/* Installs the notice processor on `pg`; `db_conn` names the connection in the lines (-1 for
 * the startup connection). NOTICE and INFO are logged at debug, WARNING and worse at warn. */
void isms_db_route_notices(PGconn *pg, int db_conn);

#endif
