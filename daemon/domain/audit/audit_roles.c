/* domain/audit/audit_roles.c — startup grants for the runtime role (one statement per
 * connection, through db/oneshot.c). The role name comes from the database, never from a
 * client, and the grant function quotes it (format %I). */
#include "domain/audit/audit_roles.h"

#include <stdio.h>
#include <string.h>

#include "db/bind.h"
#include "db/oneshot.h"
#include "db/rows.h"

static const char SQL_WHO[] =
    "SELECT current_user, coalesce((SELECT pg_get_userbyid(c.relowner) = current_user"
    " FROM pg_class c WHERE c.oid = to_regclass('public.audit_log')), true)::text";
ISMS_STATEMENT_NO_PARAMS(STMT_AUDIT_WHO, SQL_WHO);
static const char SQL_GRANT[] = "SELECT isms_grant_runtime($1)";
ISMS_STATEMENT(STMT_AUDIT_GRANT, SQL_GRANT, "role");

struct who {
    char role[128];
    int owns_audit;
    int has_row;
};

static void on_who(void *arg, const struct isms_rows *rows)
{
    struct who *w = arg;

    if (isms_rows_count(rows) != 1)
        return;
    snprintf(w->role, sizeof(w->role), "%s", isms_rows_text(rows, 0, 0));
    w->owns_audit = strcmp(isms_rows_text(rows, 0, 1), "true") == 0;
    w->has_row = 1;
}

enum isms_code isms_audit_roles_prepare(const char *owner_conninfo, const char *runtime_conninfo,
                                        char *runtime_role, size_t role_len, int *is_protected,
                                        struct isms_status *st)
{
    struct who w;
    const char *params[1];

    memset(&w, 0, sizeof(w));
    *is_protected = 0;
    if (isms_db_oneshot(runtime_conninfo, STMT_AUDIT_WHO.text, 0, NULL, on_who, &w, st) != ISMS_OK)
        return st->code;
    if (!w.has_row)
        return isms_status_set(st, ISMS_INTERNAL, "could not read the runtime role's name");
    snprintf(runtime_role, role_len, "%s", w.role);
    if (owner_conninfo[0] == '\0') {
        *is_protected = !w.owns_audit;
        return ISMS_OK;
    }
    params[0] = w.role;
    if (isms_db_oneshot(owner_conninfo, STMT_AUDIT_GRANT.text, 1, params, NULL, NULL, st) !=
        ISMS_OK) {
        if (st->code == ISMS_INTERNAL) {
            struct isms_status why = *st;

            return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                   "could not grant the runtime role \"%s\" its rights: %s", w.role,
                                   why.msg);
        }
        return st->code;
    }
    /* The schema may still belong to the runtime role (set up before owner_db existed). */
    memset(&w, 0, sizeof(w));
    if (isms_db_oneshot(runtime_conninfo, STMT_AUDIT_WHO.text, 0, NULL, on_who, &w, st) != ISMS_OK)
        return st->code;
    if (w.owns_audit)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "the runtime role \"%s\" owns audit_log: hand the schema to the "
                               "owner role (as a superuser: REASSIGN OWNED BY %s TO <owner>)",
                               w.role, w.role);
    *is_protected = 1;
    return ISMS_OK;
}
