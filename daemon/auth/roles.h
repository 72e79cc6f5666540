/* auth/roles.h — the seven roles as bits, and their names. Pure.
 * Least privilege: a method lists the roles that may call it; ismsd checks every call. */
#ifndef ISMS_AUTH_ROLES_H
#define ISMS_AUTH_ROLES_H

#include <stddef.h>

#include "common/status.h"

enum isms_role {
    ISMS_ROLE_ADMIN = 1u << 0,       /* users, configuration */
    ISMS_ROLE_MANAGER = 1u << 1,     /* isms_manager: everything in the ISMS */
    ISMS_ROLE_RISK_OWNER = 1u << 2,  /* edits and accepts the risks they own */
    ISMS_ROLE_AUDITOR = 1u << 3,     /* reads everything, writes audits and findings */
    ISMS_ROLE_CONTRIBUTOR = 1u << 4, /* updates tasks, KPIs, evidence assigned to them */
    ISMS_ROLE_VIEWER = 1u << 5,      /* read only */
    /* top_management (5.1): approves SoA versions, owns and accepts risks; acts itself */
    ISMS_ROLE_TOP_MANAGEMENT = 1u << 6,
};

#define ISMS_ROLES_ALL 0x7Fu
/* Who may own and accept a risk (6.1.2 c, 6.1.3 f). */
#define ISMS_ROLES_RISK_ACCEPT (ISMS_ROLE_RISK_OWNER | ISMS_ROLE_TOP_MANAGEMENT | ISMS_ROLE_MANAGER)
/* Everyone who may read ISMS content. */
#define ISMS_ROLES_READ ISMS_ROLES_ALL

/* "isms_manager" for ISMS_ROLE_MANAGER; NULL for anything but a single role bit. */
const char *isms_role_name(unsigned role);

/* Parses one role name; 0 when unknown. */
unsigned isms_role_parse(const char *name);

/* Parses a list of names into a mask. Errors: INVALID_ARGUMENT naming the unknown role. */
ISMS_MUSTCHECK enum isms_code isms_roles_parse(const char *const *names, size_t n, unsigned *mask,
                                               struct isms_status *st);

/* Writes the mask as a PostgreSQL text[] literal, e.g. {admin,viewer}. */
void isms_roles_pg_array(unsigned mask, char *out, size_t n);

/* Parses a PostgreSQL text[] literal of role names (unknown names are ignored). */
unsigned isms_roles_from_pg_array(const char *s);

/* The roles a user may hand to an API token: their own, and viewer for anyone holding a role
 * (every role may read). */
unsigned isms_roles_grantable(unsigned user_roles);

/* The effective roles of a call made with an API token: what the token carries, within what its
 * owner may grant now (so a role the owner loses leaves the token too). */
unsigned isms_roles_effective(unsigned user_roles, unsigned token_roles);

#endif
