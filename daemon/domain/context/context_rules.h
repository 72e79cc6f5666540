/* domain/context/context_rules.h — validation of clause 4 context input. Pure: no loop, no
 * database, so unit tests and the fuzzer call it directly. */
#ifndef ISMS_DOMAIN_CONTEXT_RULES_H
#define ISMS_DOMAIN_CONTEXT_RULES_H

#include <stdint.h>

#include "common/status.h"

#define ISMS_CONTEXT_ORG_MAX        200
#define ISMS_CONTEXT_SCOPE_MAX      10000
#define ISMS_CONTEXT_PARTY_NAME_MAX 200
#define ISMS_CONTEXT_TEXT_MAX       4000

/* Update: at least one of set_org / set_scope; texts valid; expected_version >= 0. */
ISMS_MUSTCHECK enum isms_code isms_context_check_update(const char *org, int set_org,
                                                        const char *scope, int set_scope,
                                                        int64_t expected_version,
                                                        struct isms_status *st);

/* Normalises `kind` ("" gives `dflt`; case-insensitive "internal"/"external") into a static
 * string in `*out`. Errors: INVALID_ARGUMENT. */
ISMS_MUSTCHECK enum isms_code isms_context_kind(const char *kind, const char *dflt,
                                                const char **out, struct isms_status *st);

ISMS_MUSTCHECK enum isms_code isms_context_check_party(const char *name, const char *kind,
                                                       const char *requirements,
                                                       const char **kind_out,
                                                       struct isms_status *st);

ISMS_MUSTCHECK enum isms_code isms_context_check_issue(const char *kind, const char *description,
                                                       const char **kind_out,
                                                       struct isms_status *st);

/* Parses "<prefix>-<n>" (prefix case-insensitive, n in 1..2^62) into `*num`. Returns 1 on a
 * match, 0 otherwise. */
int isms_context_parse_id(char prefix, const char *s, int64_t *num);

#endif
