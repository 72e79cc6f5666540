/* db/sqlstate.h — maps a failed libpq result to a gRPC status by SQLSTATE, never by text. */
#ifndef ISMS_DB_SQLSTATE_H
#define ISMS_DB_SQLSTATE_H

#include <libpq-fe.h>

#include "common/status.h"

/* Maps `sqlstate` (may be NULL: connection-level failure) to a code. */
enum isms_code isms_sqlstate_code(const char *sqlstate);

/* Fills `st` with the mapped code and a client-safe message (no SQL text, no internals) for a
 * result that is not PGRES_COMMAND_OK / PGRES_TUPLES_OK, or NULL for a dead connection. */
enum isms_code isms_sqlstate_status(const PGresult *res, struct isms_status *st);

#endif
