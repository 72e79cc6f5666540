/* domain/users/bootstrap.h — creating the first administrator at startup. */
#ifndef ISMS_DOMAIN_USERS_BOOTSTRAP_H
#define ISMS_DOMAIN_USERS_BOOTSTRAP_H

#include <stddef.h>
#include <stdio.h>

#include "common/status.h"

/* Creates user `name` with roles admin and isms_manager. The password is read as one line
 * from `in` when it is not a terminal; otherwise (or if the line is empty) a one-time password
 * is generated, copied to `generated` (size `n`), and must be changed at first login.
 * Errors: INVALID_ARGUMENT (name, password policy), ALREADY_EXISTS, UNAVAILABLE, INTERNAL. */
ISMS_MUSTCHECK enum isms_code isms_users_bootstrap(const char *conninfo, const char *name, FILE *in,
                                                   char *generated, size_t n,
                                                   struct isms_status *st);

#endif
