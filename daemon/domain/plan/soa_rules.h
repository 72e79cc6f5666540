/* domain/plan/soa_rules.h — the Statement of Applicability's consistency rules and comparisons,
 * as pure functions over arrays of rows: no loop, no database. `soa check` and `soa publish`
 * both run isms_soa_check(), so publishing is refused exactly when the check finds something. */
#ifndef ISMS_DOMAIN_PLAN_SOA_RULES_H
#define ISMS_DOMAIN_PLAN_SOA_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "domain/plan/control_rules.h"

/* A justification shorter than this many characters (not counting spaces at either end) says
 * nothing an auditor can check ("n/a", "see policy"): `soa check` reports it. 20 characters is
 * about four words, e.g. "no outsourced development". */
#define ISMS_SOA_JUSTIFICATION_MIN 20

/* What the rules need of one SoA row. Strings are borrowed. */
struct isms_soa_check_row {
    const char *id;
    enum isms_applicable applicable;
    unsigned reasons;                    /* ISMS_REASON_* bits */
    const char *justification;           /* for inclusion */
    const char *exclusion_justification; /* NULL is "" */
    enum isms_impl_status status;
    size_t n_evidence;
    const char *linked_risks;   /* "R-1, R-4" or "" when no open risk's treatment selects it */
    const char *owner;          /* NULL is "" */
    int is_owner_account;       /* the owner names an account */
    const char *implementation; /* NULL is "" */
    const char *target_date;    /* "YYYY-MM-DD", "" or NULL */
    size_t n_evidence_expired;  /* of n_evidence, EV-n records whose valid_until has passed */
};

/* The rules, in the order they are reported for one control. */
enum isms_soa_rule {
    ISMS_SOA_UNDECIDED = 0,                    /* applicability not decided */
    ISMS_SOA_APPLICABLE_WITHOUT_JUSTIFICATION, /* yes, with no reason and no text */
    ISMS_SOA_EXCLUDED_WITHOUT_JUSTIFICATION,   /* no, with no text */
    ISMS_SOA_RISK_SELECTED_BUT_EXCLUDED,       /* a risk treatment selects it; no/not_applicable */
    ISMS_SOA_IMPLEMENTED_WITHOUT_EVIDENCE,     /* status implemented, no evidence */
    ISMS_SOA_APPLICABLE_MARKED_NOT_APPLICABLE, /* yes, status not_applicable */
    ISMS_SOA_EXCLUDED_BUT_IMPLEMENTED,         /* no, status planned/partially/implemented */
    ISMS_SOA_RISK_TREATMENT_WITHOUT_RISK,      /* reason risk_treatment, no open risk selects it */
    ISMS_SOA_RISK_SELECTED_WITHOUT_REASON,     /* an open risk selects it, reason missing */
    ISMS_SOA_IMPLEMENTED_WITHOUT_OWNER,        /* implemented, no owner */
    ISMS_SOA_IMPLEMENTED_WITHOUT_DESCRIPTION,  /* implemented, no implementation text */
    ISMS_SOA_PLANNED_WITHOUT_TARGET_DATE,      /* planned/partially_implemented, no date */
    ISMS_SOA_JUSTIFICATION_TOO_SHORT,          /* under ISMS_SOA_JUSTIFICATION_MIN characters */
    ISMS_SOA_OWNER_NOT_AN_ACCOUNT,             /* owner text that names no account */
    ISMS_SOA_EVIDENCE_EXPIRED,                 /* implemented, every evidence record expired */
    ISMS_SOA_RULE_COUNT,
};

/* "undecided", "applicable_without_justification", ... (the wire names). */
const char *isms_soa_rule_name(enum isms_soa_rule r);

struct isms_soa_finding {
    size_t row; /* index into the rows given */
    enum isms_soa_rule rule;
    char message[200];
};

/* Receives one finding; returns 0 to stop the check (e.g. out of memory), else 1. */
typedef int isms_soa_finding_cb(void *ud, const struct isms_soa_finding *f);

/* Runs every rule on every row, reporting findings in row order, then rule order. Returns the
 * number of findings reported. `cb` may be NULL (count only). */
size_t isms_soa_check(const struct isms_soa_check_row *rows, size_t n, isms_soa_finding_cb *cb,
                      void *ud);

/* 1 when `s` is NULL, empty or only white space. */
int isms_soa_is_blank(const char *s);

/* Characters (UTF-8 code points) of `s` without the white space at either end; 0 for NULL. */
size_t isms_soa_text_len(const char *s);

/* The SoA row fields a diff compares, in this order (SoaRow field names). */
#define ISMS_SOA_DIFF_NFIELDS 13
extern const char *const isms_soa_diff_fields[ISMS_SOA_DIFF_NFIELDS];

/* Compares two rows' field texts (`a[i]` and `b[i]` for isms_soa_diff_fields[i]) and writes
 * the indexes of the fields that differ to `changed` (room for ISMS_SOA_DIFF_NFIELDS). Returns
 * how many differ. */
size_t isms_soa_diff_row(const char *const *a, const char *const *b, size_t *changed);

/* `part` / `whole` as a percentage rounded half up to one decimal (0 when `whole` is 0). */
double isms_soa_percent(int64_t part, int64_t whole);

#endif
