/* db/rows_pg.h — struct isms_rows over a libpq result. Included only inside db/ (the layer
 * check refuses it elsewhere, since it pulls in <libpq-fe.h>). */
#ifndef ISMS_DB_ROWS_PG_H
#define ISMS_DB_ROWS_PG_H

#include <libpq-fe.h>

#include "db/rows.h"

/* Fields are private to db/. A wrapper lives on the stack of whoever hands it out, for as
 * long as `res` does. */
struct isms_rows {
    const PGresult *res;
};

#endif
