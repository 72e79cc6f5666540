/* db/oneshot.h — one statement on a connection of its own, blocking: for startup work that runs
 * instead of the event loop (ismsd --bootstrap-admin), never once the loop runs. */
#ifndef ISMS_DB_ONESHOT_H
#define ISMS_DB_ONESHOT_H

#include "common/status.h"

struct isms_rows;

/* Receives the statement's rows (db/rows.h), valid only during the call. */
typedef void isms_db_rows_fn(void *arg, const struct isms_rows *rows);

/* Connects to `conninfo`, runs `sql` with `nparams` text `params` (NULL entries are SQL NULL),
 * hands the rows to `fn` (if not NULL) and disconnects. Blocks. Errors: UNAVAILABLE (could not
 * connect), INTERNAL (the statement failed; the message is the server's, for the operator). */
ISMS_MUSTCHECK enum isms_code isms_db_oneshot(const char *conninfo, const char *sql, int nparams,
                                              const char *const *params, isms_db_rows_fn *fn,
                                              void *arg, struct isms_status *st);

#endif
