/* domain/users/users.c — user rows to messages, name rules, the caller's address. */
#include "domain/users/users.h"

#include <string.h>

#include "auth/roles.h"
#include "core/arena.h"
#include "db/rows.h"
#include "rpc/call.h"

int isms_roles_to_repeated(struct isms_arena *a, unsigned mask, char ***out, size_t *n)
{
    size_t k = 0;
    char **v = isms_arena_calloc(a, sizeof(char *) * 8);

    if (v == NULL)
        return 0;
    for (unsigned bit = 1; bit <= ISMS_ROLE_TOP_MANAGEMENT; bit <<= 1)
        if (mask & bit)
            v[k++] = (char *)isms_role_name(bit);
    *out = v;
    *n = k;
    return 1;
}

Isms__V1__UserAccount *isms_user_from_row(struct isms_arena *a, const struct isms_rows *res,
                                          int row, int c)
{
    Isms__V1__UserAccount *u = isms_arena_calloc(a, sizeof(*u));

    if (u == NULL)
        return NULL;
    isms__v1__user_account__init(u);
    u->name = isms_arena_strdup(a, isms_rows_text(res, row, c));
    u->display_name = isms_arena_strdup(a, isms_rows_text(res, row, c + 1));
    u->email = isms_arena_strdup(a, isms_rows_text(res, row, c + 2));
    u->status = isms_arena_strdup(a, isms_rows_text(res, row, c + 4));
    u->created_at = isms_arena_strdup(a, isms_rows_text(res, row, c + 5));
    u->last_login_at = isms_arena_strdup(a, isms_rows_text(res, row, c + 6));
    u->version = isms_rows_int64(res, row, c + 7);
    if (!u->name || !u->display_name || !u->email || !u->status || !u->created_at ||
        !u->last_login_at ||
        !isms_roles_to_repeated(a, isms_roles_from_pg_array(isms_rows_text(res, row, c + 3)),
                                &u->roles, &u->n_roles))
        return NULL;
    return u;
}

enum isms_code isms_user_name_check(const char *name, struct isms_status *st)
{
    size_t n = name != NULL ? strlen(name) : 0;

    if (n < 2 || n > 64)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "user name must be 2 to 64 characters, got %zu", n);
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                 (i > 0 && (ch == '.' || ch == '_' || ch == '-'));

        if (!ok)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "user name may hold only a-z, 0-9, '.', '_' and '-' "
                                   "(starting with a letter or digit)");
    }
    return ISMS_OK;
}
