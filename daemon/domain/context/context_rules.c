/* domain/context/context_rules.c — checks on clause 4 context input, before any SQL. */
#include "domain/context/context_rules.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/text.h"

enum isms_code isms_context_check_update(const char *org, int set_org, const char *scope,
                                         int set_scope, int64_t expected_version,
                                         struct isms_status *st)
{
    if (!set_org && !set_scope)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "nothing to update: set the organization or the scope");
    if (expected_version < 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "expected_version must not be negative, got %lld",
                               (long long)expected_version);
    if (set_org && isms_text_check("organization", org, ISMS_CONTEXT_ORG_MAX, 1, st) != ISMS_OK)
        return st->code;
    if (set_scope && isms_text_check("scope", scope, ISMS_CONTEXT_SCOPE_MAX, 0, st) != ISMS_OK)
        return st->code;
    return ISMS_OK;
}

enum isms_code isms_context_kind(const char *kind, const char *dflt, const char **out,
                                 struct isms_status *st)
{
    if (kind == NULL || kind[0] == '\0') {
        if (dflt == NULL)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "kind is required: internal or external");
        *out = dflt;
        return ISMS_OK;
    }
    if (strcasecmp(kind, "internal") == 0) {
        *out = "internal";
        return ISMS_OK;
    }
    if (strcasecmp(kind, "external") == 0) {
        *out = "external";
        return ISMS_OK;
    }
    if (isms_text_check("kind", kind, 40, 0, st) != ISMS_OK)
        return st->code;
    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                           "kind must be internal or external, got \"%s\"", kind);
}

enum isms_code isms_context_check_party(const char *name, const char *kind,
                                        const char *requirements, const char **kind_out,
                                        struct isms_status *st)
{
    if (isms_text_check("party name", name, ISMS_CONTEXT_PARTY_NAME_MAX, 1, st) != ISMS_OK)
        return st->code;
    if (isms_text_check("requirements", requirements, ISMS_CONTEXT_TEXT_MAX, 0, st) != ISMS_OK)
        return st->code;
    return isms_context_kind(kind, "external", kind_out, st);
}

enum isms_code isms_context_check_issue(const char *kind, const char *description,
                                        const char **kind_out, struct isms_status *st)
{
    if (isms_text_check("description", description, ISMS_CONTEXT_TEXT_MAX, 1, st) != ISMS_OK)
        return st->code;
    return isms_context_kind(kind, NULL, kind_out, st);
}

int isms_context_parse_id(char prefix, const char *s, int64_t *num)
{
    char *end;
    long long v;

    if (s == NULL || toupper((unsigned char)s[0]) != toupper((unsigned char)prefix) ||
        s[1] != '-' || !isdigit((unsigned char)s[2]))
        return 0;
    errno = 0;
    v = strtoll(s + 2, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > (1LL << 62))
        return 0;
    *num = v;
    return 1;
}
