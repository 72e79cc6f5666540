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
    "risk_treatment_without_risk",
    "risk_selected_without_reason",
    "implemented_without_owner",
    "implemented_without_description",
    "planned_without_target_date",
    "justification_too_short",
    "owner_not_an_account",
    "evidence_expired",
};

const char *const isms_soa_diff_fields[ISMS_SOA_DIFF_NFIELDS] = {
    "theme",       "title",        "source",
    "applicable",  "reasons",      "inclusion_justification",
    "status",      "owner",        "implementation",
    "evidence",    "linked_risks", "exclusion_justification",
    "target_date",
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

size_t isms_soa_text_len(const char *s)
{
    const char *end;
    size_t n = 0;

    if (s == NULL)
        return 0;
    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    for (; s < end; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int is_empty(const char *s)
{
    return s == NULL || s[0] == '\0';
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
        if (ok && no && isms_soa_is_blank(r->exclusion_justification))
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
        if (ok && (r->reasons & ISMS_REASON_RISK_TREATMENT) && is_empty(r->linked_risks))
            ok = report(cb, ud, i, ISMS_SOA_RISK_TREATMENT_WITHOUT_RISK, &count,
                        "%.64s: reason risk_treatment but no open risk's treatment selects it "
                        "(select it in a risk treatment or drop the reason)",
                        r->id);
        if (ok && yes && !is_empty(r->linked_risks) && !(r->reasons & ISMS_REASON_RISK_TREATMENT))
            ok = report(cb, ud, i, ISMS_SOA_RISK_SELECTED_WITHOUT_REASON, &count,
                        "%.64s: selected by the treatment of %.60s but risk_treatment is not "
                        "among its reasons",
                        r->id, r->linked_risks);
        if (ok && r->status == ISMS_IMPL_IMPLEMENTED && isms_soa_is_blank(r->owner))
            ok = report(cb, ud, i, ISMS_SOA_IMPLEMENTED_WITHOUT_OWNER, &count,
                        "%.64s: implemented but has no owner (set --owner to an account)", r->id);
        if (ok && r->status == ISMS_IMPL_IMPLEMENTED && isms_soa_is_blank(r->implementation))
            ok = report(cb, ud, i, ISMS_SOA_IMPLEMENTED_WITHOUT_DESCRIPTION, &count,
                        "%.64s: implemented but does not say how (set --implementation)", r->id);
        if (ok && !no &&
            (r->status == ISMS_IMPL_PLANNED || r->status == ISMS_IMPL_PARTIALLY_IMPLEMENTED) &&
            is_empty(r->target_date))
            ok = report(cb, ud, i, ISMS_SOA_PLANNED_WITHOUT_TARGET_DATE, &count,
                        "%.64s: %s but has no target date (set --target-date)", r->id,
                        isms_impl_status_name(r->status));
        if (ok && yes && !isms_soa_is_blank(r->justification) &&
            isms_soa_text_len(r->justification) < ISMS_SOA_JUSTIFICATION_MIN)
            ok = report(cb, ud, i, ISMS_SOA_JUSTIFICATION_TOO_SHORT, &count,
                        "%.64s: the inclusion justification has fewer than %d characters; say "
                        "why the control is needed",
                        r->id, ISMS_SOA_JUSTIFICATION_MIN);
        if (ok && no && !isms_soa_is_blank(r->exclusion_justification) &&
            isms_soa_text_len(r->exclusion_justification) < ISMS_SOA_JUSTIFICATION_MIN)
            ok = report(cb, ud, i, ISMS_SOA_JUSTIFICATION_TOO_SHORT, &count,
                        "%.64s: the exclusion justification has fewer than %d characters; say "
                        "why the control is not needed",
                        r->id, ISMS_SOA_JUSTIFICATION_MIN);
        if (ok && !isms_soa_is_blank(r->owner) && !r->is_owner_account)
            ok = report(cb, ud, i, ISMS_SOA_OWNER_NOT_AN_ACCOUNT, &count,
                        "%.64s: owner \"%.40s\" is not an account (set --owner to a user)", r->id,
                        r->owner);
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
