/* domain/users/users.h — shared by the Auth and User services: the user row format and its
 * conversion to isms.v1.User, and the user-name rule. */
#ifndef ISMS_DOMAIN_USERS_H
#define ISMS_DOMAIN_USERS_H

#include "common/status.h"
#include "domain/domain.h"
#include "isms/v1/auth.pb-c.h"

struct isms_call;
struct isms_arena;
struct isms_rows;

/* Columns every user query returns first, in this order (8 columns). */
#define ISMS_USER_COLS                                                                             \
    "u.name, u.display_name, u.email, u.roles::text, u.status, " ISMS_SQL_TS(                      \
        "u.created_at") ", coalesce(" ISMS_SQL_TS("u.last_login_at") ", ''), u.version"
#define ISMS_USER_NCOLS 8

/* Builds a User from the ISMS_USER_COLS at `col0` of `row`; NULL when memory ran out. */
Isms__V1__UserAccount *isms_user_from_row(struct isms_arena *a, const struct isms_rows *res,
                                          int row, int col0);

/* Fills `msg->roles` from a role mask; returns 0 when memory ran out. */
int isms_roles_to_repeated(struct isms_arena *a, unsigned mask, char ***out, size_t *n);

/* A login name: 2-64 of [a-z0-9._-], starting with a letter or digit. INVALID_ARGUMENT. */
ISMS_MUSTCHECK enum isms_code isms_user_name_check(const char *name, struct isms_status *st);

#endif
