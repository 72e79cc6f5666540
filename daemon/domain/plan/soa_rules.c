/* domain/plan/soa_rules.c — the SoA consistency rules a certification auditor checks: every
 * decision made and justified, risk treatment and applicability agreeing, implementation
 * backed by evidence. */
#include "domain/plan/soa_rules.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const RULE_NAMES[ISMS_SOA_RULE_COUNT] = {
    "undecided",
    "applicable_without_justification",
    "excluded_without_justification",
    "risk_selected_but_excluded",
    "implemented_without_evidence",
    "applicable_marked_not_applicable",
    "excluded_but_implemented",
    "evidence_expired",
};

const char *const isms_soa_diff_fields[ISMS_SOA_DIFF_NFIELDS] = {
    "theme",  "title", "source",         "applicable", "reasons",      "justification",
    "status", "owner", "implementation", "evidence",   "linked_risks",
};

const char *isms_soa_rule_name(enum isms_soa_rule r)
{
    return (unsigned)r < ISMS_SOA_RULE_COUNT ? RULE_NAMES[r] : "unknown";
}

int isms_soa_is_blank(const char *s)
{
    if (s == NULL)
        return 1;
    for (; *s != '\0'; s++) {
        if (!isspace((unsigned char)*s))
            return 0;
    }
    return 1;
}

/* Reports one finding; returns the callback's verdict (1 to go on). */
static int report(isms_soa_finding_cb *cb, void *ud, size_t row, enum isms_soa_rule rule,
                  size_t *count, const char *fmt, ...) ISMS_PRINTF(6, 7);

static int report(isms_soa_finding_cb *cb, void *ud, size_t row, enum isms_soa_rule rule,
                  size_t *count, const char *fmt, ...)
{
    struct isms_soa_finding f;
    va_list ap;

    (*count)++;
    if (cb == NULL)
        return 1;
    f.row = row;
    f.rule = rule;
    va_start(ap, fmt);
    vsnprintf(f.message, sizeof(f.message), fmt, ap);
    va_end(ap);
    return cb(ud, &f);
}

size_t isms_soa_check(const struct isms_soa_check_row *rows, size_t n, isms_soa_finding_cb *cb,
                      void *ud)
{
    size_t count = 0;

    for (size_t i = 0; i < n; i++) {
        const struct isms_soa_check_row *r = &rows[i];
        int yes = r->applicable == ISMS_APPLICABLE_YES, no = r->applicable == ISMS_APPLICABLE_NO;
        int ok = 1;

        if (r->applicable == ISMS_APPLICABLE_UNDECIDED)
            ok = report(cb, ud, i, ISMS_SOA_UNDECIDED, &count,
                        "%.64s: applicability is not decided (set applicable to yes or no)", r->id);
        if (ok && yes && r->reasons == 0 && isms_soa_is_blank(r->justification))
            ok = report(cb, ud, i, ISMS_SOA_APPLICABLE_WITHOUT_JUSTIFICATION, &count,
                        "%.64s: applicable but no justification (give a reason for inclusion "
                        "or a justification)",
                        r->id);
        if (ok && no && isms_soa_is_blank(r->justification))
            ok = report(cb, ud, i, ISMS_SOA_EXCLUDED_WITHOUT_JUSTIFICATION, &count,
                        "%.64s: excluded without a justification for the exclusion", r->id);
        if (ok && r->linked_risks != NULL && r->linked_risks[0] != '\0' &&
            (no || r->status == ISMS_IMPL_NOT_APPLICABLE))
            ok = report(cb, ud, i, ISMS_SOA_RISK_SELECTED_BUT_EXCLUDED, &count,
                        "%.64s: selected by the treatment of %.60s but marked not applicable",
                        r->id, r->linked_risks);
        if (ok && r->status == ISMS_IMPL_IMPLEMENTED && r->n_evidence == 0)
            ok = report(cb, ud, i, ISMS_SOA_IMPLEMENTED_WITHOUT_EVIDENCE, &count,
                        "%.64s: implemented but no evidence is referenced", r->id);
        if (ok && yes && r->status == ISMS_IMPL_NOT_APPLICABLE)
            ok = report(cb, ud, i, ISMS_SOA_APPLICABLE_MARKED_NOT_APPLICABLE, &count,
                        "%.64s: applicable but its status is not_applicable", r->id);
        if (ok && no &&
            (r->status == ISMS_IMPL_PLANNED || r->status == ISMS_IMPL_PARTIALLY_IMPLEMENTED ||
             r->status == ISMS_IMPL_IMPLEMENTED))
            ok = report(cb, ud, i, ISMS_SOA_EXCLUDED_BUT_IMPLEMENTED, &count,
                        "%.64s: excluded but its status is %s", r->id,
                        isms_impl_status_name(r->status));
        if (ok && r->status == ISMS_IMPL_IMPLEMENTED && r->n_evidence > 0 &&
            r->n_evidence_expired >= r->n_evidence)
            ok = report(cb, ud, i, ISMS_SOA_EVIDENCE_EXPIRED, &count,
                        "%.64s: implemented but its only evidence has expired (renew the "
                        "evidence record or add current evidence)",
                        r->id);
        if (!ok)
            break;
    }
    return count;
}

size_t isms_soa_diff_row(const char *const *a, const char *const *b, size_t *changed)
{
    size_t n = 0;

    for (size_t i = 0; i < ISMS_SOA_DIFF_NFIELDS; i++) {
        const char *x = a[i] != NULL ? a[i] : "", *y = b[i] != NULL ? b[i] : "";

        if (strcmp(x, y) != 0)
            changed[n++] = i;
    }
    return n;
}

double isms_soa_percent(int64_t part, int64_t whole)
{
    if (whole <= 0 || part <= 0)
        return 0.0;
    return (double)((part * 1000 + whole / 2) / whole) / 10.0;
}
