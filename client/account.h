/* client/account.h — how a user account (isms.v1.UserAccount) is shown, shared by `user ...`
 * and `whoami`: the same columns everywhere, roles as a list. */
#ifndef ISMS_CLIENT_ACCOUNT_H
#define ISMS_CLIENT_ACCOUNT_H

#include <stdbool.h>

#include "output.h"

#include "isms/v1/auth.pb-c.h"

/* Makes `out` one account record; with `with_auth_kind` it ends with auth_kind (WhoAmI). */
void isms_account_record(struct isms_out *out, const Isms__V1__UserAccount *u, bool with_auth_kind);

/* Makes `out` a list of accounts. */
void isms_account_list(struct isms_out *out, Isms__V1__UserAccount *const *users, size_t n);

/* "admin, isms_manager" (or "none") into buf, for sentences. */
const char *isms_account_roles_text(char *const *roles, size_t n, char *buf, size_t size);

#endif
