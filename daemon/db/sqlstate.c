/* db/sqlstate.c — SQLSTATE classes to gRPC codes (STYLE §13). Messages here reach clients,
 * so they name the condition, never the statement or PostgreSQL's own text. */
#include "db/sqlstate.h"

#include <string.h>

#include "db/bind.h"

enum isms_code isms_sqlstate_code(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return ISMS_UNAVAILABLE;
    if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 ||
        strcmp(s, "57P03") == 0)
        return ISMS_UNAVAILABLE;
    if (strcmp(s, "57014") == 0)
        return ISMS_DEADLINE_EXCEEDED;
    if (strcmp(s, "23505") == 0)
        return ISMS_ALREADY_EXISTS;
    if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0)
        return ISMS_ABORTED;
    if (strncmp(s, "53", 2) == 0)
        return ISMS_RESOURCE_EXHAUSTED;
    if (strcmp(s, "22021") == 0 || strcmp(s, "22P02") == 0 || strcmp(s, "22001") == 0 ||
        strcmp(s, "22003") == 0 || strcmp(s, "23514") == 0 || strcmp(s, "22007") == 0 ||
        strcmp(s, "22008") == 0)
        return ISMS_INVALID_ARGUMENT;
    if (strcmp(s, "23503") == 0)
        return ISMS_FAILED_PRECONDITION;
    return ISMS_INTERNAL;
}

enum isms_code isms_sqlstate_status(const PGresult *res, struct isms_status *st)
{
    const char *s = res == NULL ? NULL : PQresultErrorField(res, PG_DIAG_SQLSTATE);
    enum isms_code code = isms_sqlstate_code(s);
    const char *constraint = res == NULL ? NULL : PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);

    /* Not "already exists": the write is refused only because its key is taken. */
    if (code == ISMS_ALREADY_EXISTS && constraint != NULL &&
        strcmp(constraint, "idempotency_key_pkey") == 0)
        return isms_status_set(st, ISMS_ABORTED, "%s", ISMS_SQL_IDEM_TAKEN);
    /* schema/036: a treatment action's owner must be an active account; the detail is the
     * owner, then (when the account exists) 0x1f and its status. */
    if (code == ISMS_FAILED_PRECONDITION && constraint != NULL &&
        strcmp(constraint, "risk_action_owner_account") == 0) {
        const char *d = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
        const char *sep = d != NULL ? strchr(d, '\x1f') : NULL;

        if (d == NULL)
            d = "";
        if (sep == NULL)
            return isms_status_set(st, ISMS_NOT_FOUND,
                                   "user \"%.64s\" does not exist: an action owner must be an "
                                   "account (ismsctl user list)",
                                   d);
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "user \"%.*s\" is %.20s: an action owner must be an active user",
                               (int)(sep - d > 64 ? 64 : sep - d), d, sep + 1);
    }

    switch (code) {
    case ISMS_UNAVAILABLE:
        return isms_status_set(st, code, "database is unavailable");
    case ISMS_DEADLINE_EXCEEDED:
        return isms_status_set(st, code, "statement was cancelled");
    case ISMS_ALREADY_EXISTS:
        return isms_status_set(st, code, "a record with that name or id already exists");
    case ISMS_ABORTED:
        return isms_status_set(st, code, "concurrent change conflicted; retry");
    case ISMS_RESOURCE_EXHAUSTED:
        return isms_status_set(st, code, "database is out of resources");
    case ISMS_INVALID_ARGUMENT:
        return isms_status_set(st, code, "a value was rejected by the database (SQLSTATE %s)", s);
    case ISMS_FAILED_PRECONDITION:
        return isms_status_set(st, code, "a referenced record does not exist or is still used");
    default:
        return isms_status_set(st, ISMS_INTERNAL, "database error SQLSTATE %s",
                               s == NULL ? "none" : s);
    }
}
