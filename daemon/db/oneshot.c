/* db/oneshot.c — a blocking connect, one statement, disconnect. Startup only: the loop is not
 * running, so blocking here delays nothing. */
#include "db/oneshot.h"

#include <string.h>

#include <libpq-fe.h>

#include "db/rows_pg.h"

enum isms_code isms_db_oneshot(const char *conninfo, const char *sql, int nparams,
                               const char *const *params, isms_db_rows_fn *fn, void *arg,
                               struct isms_status *st)
{
    PGconn *pg = PQconnectdb(conninfo);
    PGresult *r;
    enum isms_code rc = ISMS_OK;

    if (PQstatus(pg) != CONNECTION_OK) {
        PQfinish(pg);
        return isms_status_set(st, ISMS_UNAVAILABLE, "could not connect to the database");
    }
    r = PQexecParams(pg, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
        const char *msg = PQresultErrorMessage(r);

        rc = isms_status_set(st, ISMS_INTERNAL, "%.*s", (int)strcspn(msg, "\n"), msg);
    } else if (fn != NULL) {
        struct isms_rows rows = {r};

        fn(arg, &rows);
    }
    PQclear(r);
    PQfinish(pg);
    return rc;
}
