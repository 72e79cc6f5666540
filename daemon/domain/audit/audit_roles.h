/* domain/audit/audit_roles.h — the split between the schema's owner role and ismsd's runtime
 * role, prepared at startup after the migrations (blocking, before the loop). */
#ifndef ISMS_DOMAIN_AUDIT_AUDIT_ROLES_H
#define ISMS_DOMAIN_AUDIT_AUDIT_ROLES_H

#include <stddef.h>

#include "common/status.h"

/*
 * With `owner_conninfo` (the role migrations ran as): finds the role `runtime_conninfo` logs
 * in as and has the owner grant it what ismsd needs through isms_grant_runtime() (schema/016),
 * which refuses the owner itself, a superuser, a CREATEROLE role and a member of the owner.
 * Without it (""): checks only, and sets *is_protected to 0 when the runtime role owns
 * audit_log (it could then rewrite the trail; the caller warns). `runtime_role` gets the role
 * name. Blocking. Errors: UNAVAILABLE (cannot connect), FAILED_PRECONDITION (the grant refused
 * the role; the message says why).
 */
ISMS_MUSTCHECK enum isms_code isms_audit_roles_prepare(const char *owner_conninfo,
                                                       const char *runtime_conninfo,
                                                       char *runtime_role, size_t role_len,
                                                       int *is_protected, struct isms_status *st);

#endif
