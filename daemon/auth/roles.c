/* auth/roles.c — role names and masks. */
#include "auth/roles.h"

#include <stdio.h>
#include <string.h>

static const char *const names[] = {"admin",       "isms_manager", "risk_owner",    "auditor",
                                    "contributor", "viewer",       "top_management"};

#define NROLES (sizeof(names) / sizeof(names[0]))

const char *isms_role_name(unsigned role)
{
    for (size_t i = 0; i < NROLES; i++)
        if (role == 1u << i)
            return names[i];
    return NULL;
}

unsigned isms_role_parse(const char *name)
{
    for (size_t i = 0; i < NROLES; i++)
        if (strcmp(name, names[i]) == 0)
            return 1u << i;
    return 0;
}

enum isms_code isms_roles_parse(const char *const *list, size_t n, unsigned *mask,
                                struct isms_status *st)
{
    unsigned m = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned r = isms_role_parse(list[i]);

        if (r == 0)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "unknown role \"%.64s\" (roles: admin, isms_manager, "
                                   "risk_owner, auditor, contributor, viewer, top_management)",
                                   list[i]);
        m |= r;
    }
    *mask = m;
    return ISMS_OK;
}

void isms_roles_pg_array(unsigned mask, char *out, size_t n)
{
    size_t o = 0;

    if (n < 3)
        return;
    out[o++] = '{';
    for (size_t i = 0; i < NROLES; i++) {
        if (!(mask & (1u << i)))
            continue;
        int w = snprintf(out + o, n - o, "%s%s", o > 1 ? "," : "", names[i]);

        if (w < 0 || (size_t)w >= n - o - 1)
            break;
        o += (size_t)w;
    }
    out[o++] = '}';
    out[o] = '\0';
}

unsigned isms_roles_from_pg_array(const char *s)
{
    unsigned m = 0;
    char word[32];
    size_t w = 0;

    for (; *s != '\0'; s++) {
        if (*s == '{' || *s == '"')
            continue;
        if (*s == ',' || *s == '}') {
            word[w] = '\0';
            m |= isms_role_parse(word);
            w = 0;
            continue;
        }
        if (w + 1 < sizeof(word))
            word[w++] = *s;
    }
    return m;
}

unsigned isms_roles_grantable(unsigned user_roles)
{
    return user_roles != 0 ? user_roles | ISMS_ROLE_VIEWER : 0;
}

unsigned isms_roles_effective(unsigned user_roles, unsigned token_roles)
{
    return isms_roles_grantable(user_roles) & token_roles;
}
