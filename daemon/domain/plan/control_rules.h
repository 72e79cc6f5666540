/* domain/plan/control_rules.h — validation of Annex A / custom control input: ids, the
 * organisation's record (applicability, reasons, status, evidence), attribute filters. Pure: no
 * loop, no database, so unit tests and the fuzzer call it directly. */
#ifndef ISMS_DOMAIN_PLAN_CONTROL_RULES_H
#define ISMS_DOMAIN_PLAN_CONTROL_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "common/status.h"
#include "isms/v1/control.pb-c.h"

#define ISMS_CONTROL_ID_MAX             64
#define ISMS_CONTROL_TITLE_MAX          300
#define ISMS_CONTROL_SOURCE_MAX         300
#define ISMS_CONTROL_OWNER_MAX          200
#define ISMS_CONTROL_TEXT_MAX           4000 /* justification, description */
#define ISMS_CONTROL_IMPLEMENTATION_MAX 10000
#define ISMS_CONTROL_EVIDENCE_MAX       500 /* characters of one evidence reference */
#define ISMS_CONTROL_EVIDENCE_COUNT_MAX 100
#define ISMS_CONTROL_ATTR_FILTERS_MAX   10
/* Lists travel between SQL and C joined by this byte (array_to_string / string_to_array);
 * every list item is checked to hold no control character, so it never appears in one. */
#define ISMS_CONTROL_SEP     '\x1f'
#define ISMS_CONTROL_SEP_SQL "E'\\x1f'"

enum isms_applicable {
    ISMS_APPLICABLE_UNDECIDED = 0,
    ISMS_APPLICABLE_YES,
    ISMS_APPLICABLE_NO,
};

enum isms_impl_status {
    ISMS_IMPL_NOT_STARTED = 0,
    ISMS_IMPL_PLANNED,
    ISMS_IMPL_PARTIALLY_IMPLEMENTED,
    ISMS_IMPL_IMPLEMENTED,
    ISMS_IMPL_NOT_APPLICABLE,
};

/* Reasons for including a control, as bits; canonical order is bit order. */
enum isms_reason {
    ISMS_REASON_LEGAL = 1u << 0,
    ISMS_REASON_CONTRACTUAL = 1u << 1,
    ISMS_REASON_BUSINESS_REQUIREMENT = 1u << 2,
    ISMS_REASON_RISK_TREATMENT = 1u << 3,
    ISMS_REASON_BEST_PRACTICE = 1u << 4,
};
#define ISMS_REASON_COUNT 5

/* "yes", "no", "undecided"; parse is case-insensitive. Parse returns 1 on a match. */
const char *isms_applicable_name(enum isms_applicable a);
int isms_applicable_parse(const char *s, enum isms_applicable *out);

/* "not_started", ..., "not_applicable"; parse accepts any case and '-' or ' ' for '_'. */
const char *isms_impl_status_name(enum isms_impl_status s);
int isms_impl_status_parse(const char *s, enum isms_impl_status *out);

/* Name of reason bit `i` (0..ISMS_REASON_COUNT-1), e.g. "risk_treatment". */
const char *isms_reason_name(unsigned i);

/* Parses reason names (any case, '-' or ' ' for '_'; repeats allowed: it is a set) into a mask.
 * Errors: INVALID_ARGUMENT naming the unknown reason. */
ISMS_MUSTCHECK enum isms_code isms_reasons_parse(char *const *names, size_t n, unsigned *mask,
                                                 struct isms_status *st);

/* Writes the mask's names in canonical order joined by ISMS_CONTROL_SEP ("" for none). */
void isms_reasons_join(unsigned mask, char *out, size_t outlen);

/* Canonical theme name for `s` (any case): Organizational, People, Physical, Technological,
 * Custom. Returns NULL when unknown. */
const char *isms_control_theme(const char *s);

/* 1 when `s` is an Annex A id of the 2022 form: [5-8].<number>. */
int isms_control_is_annex_a_id(const char *s);

/* 1 when `s` looks like any Annex A or ISO clause number (5.1, A.5.1, 9.2.5, A.12.6.2): such
 * ids are refused for custom controls so no one mistakes them for the standard's. */
int isms_control_looks_like_annex_a(const char *s);

/* Checks an id naming an existing control and returns the id to look up: "A.8.7" gives "8.7"
 * (a pointer into `id`). Errors: INVALID_ARGUMENT (empty, too long, not UTF-8). */
ISMS_MUSTCHECK enum isms_code isms_control_lookup_id(const char *id, const char **out,
                                                     struct isms_status *st);

/* A new custom control's id: 1..64 ASCII letters, digits and . _ - : / starting with a letter
 * or digit, not looking like an Annex A id. Errors: INVALID_ARGUMENT. */
ISMS_MUSTCHECK enum isms_code isms_control_check_custom_id(const char *id, struct isms_status *st);

/* One evidence reference: a document id (any text without control characters), an http(s) URL
 * with a host and no spaces, or sha256:<64 hex digits>. Errors: INVALID_ARGUMENT. */
ISMS_MUSTCHECK enum isms_code isms_control_check_evidence(const char *e, struct isms_status *st);

/* A list of evidence references: each valid, none repeated, at most
 * ISMS_CONTROL_EVIDENCE_COUNT_MAX. `field` names the list in messages. */
ISMS_MUSTCHECK enum isms_code isms_control_check_evidence_list(char *const *items, size_t n,
                                                               const char *field,
                                                               struct isms_status *st);

/* Parses an attribute filter "key=value" (key: type, property, concept, capability, domain,
 * their plurals or the field names; value: an ISO/IEC 27002 attribute value, any case, '#'
 * optional, ' ' or '-' for '_') into the token "field=Value" that control_attr_tokens() in
 * schema/011_controls.sql produces. Errors: INVALID_ARGUMENT listing what is allowed. */
ISMS_MUSTCHECK enum isms_code isms_control_attr_filter(const char *in, char *out, size_t outlen,
                                                       struct isms_status *st);

/* The normalised values of a valid SetControlRequest. */
struct isms_control_set_norm {
    const char *applicable; /* static name, when set_applicable */
    const char *status;     /* static name, when set_status */
    unsigned reasons;       /* when set_reasons */
};

/* Checks a Set request: a valid id, expected_version >= 0, something to change, every flagged
 * field valid, evidence either replaced or added/removed (not both). */
ISMS_MUSTCHECK enum isms_code isms_control_check_set(const Isms__V1__SetControlRequest *in,
                                                     struct isms_control_set_norm *out,
                                                     struct isms_status *st);

/* Checks a CreateCustom request: custom id, title (required), source (required), description. */
ISMS_MUSTCHECK enum isms_code
isms_control_check_create(const Isms__V1__CreateCustomControlRequest *in, struct isms_status *st);

/* Rows one ImportControlsRequest may carry (the catalogue has 93; room for custom controls). */
#define ISMS_CONTROL_IMPORT_ROWS_MAX 1000

/* The normalised values of one valid import row. */
struct isms_control_import_norm {
    const char *id;         /* "A.8.7" gives "8.7" (points into the row) */
    const char *applicable; /* static name */
    const char *status;     /* static name; "" in the row gives not_applicable when excluded,
                               else not_started */
    unsigned reasons;
};

/* Checks one import row, the whole record of one control: every field as Set checks it, and
 * consistent with its applicability (an excluded control has no reasons, inclusion text, target
 * date or status but not_applicable; an included one no exclusion text). Messages start
 * "row N: " with the row's `row`. Errors: INVALID_ARGUMENT (a bad field), FAILED_PRECONDITION
 * naming 6.1.3 d (fields contradicting applicability). */
ISMS_MUSTCHECK enum isms_code isms_control_check_import_row(const Isms__V1__ImportControlRow *in,
                                                            struct isms_control_import_norm *out,
                                                            struct isms_status *st);

/* Joins `items` with ISMS_CONTROL_SEP into arena memory. NULL when memory ran out. */
char *isms_control_join(struct isms_arena *a, char *const *items, size_t n);

/* Splits `s` at ISMS_CONTROL_SEP into arena copies ("" gives no items). Returns 0 when memory
 * ran out, else 1. */
int isms_control_split(struct isms_arena *a, const char *s, char ***items, size_t *n);

#endif
