/* domain/plan/risk_rules.c — ratings, treatment, acceptance and closing of risks, and who may
 * do them. Pure; every refusal names the risk, the numbers involved and what to do instead. */
#include "domain/plan/risk_rules.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/text.h"

static const char *const status_names[] = {
    "identified", "assessed", "treatment_planned", "treated", "accepted", "closed",
};

static const char *const option_names[] = {"", "modify", "retain", "avoid", "share"};

static const char *const action_status_names[] = {"open", "in_progress", "done"};

#define NNAMES(a) ((int)(sizeof(a) / sizeof((a)[0])))

const char *isms_risk_status_name(enum isms_risk_status s)
{
    return (int)s >= 0 && (int)s < NNAMES(status_names) ? status_names[s] : "identified";
}

const char *isms_risk_option_name(enum isms_risk_option o)
{
    return (int)o >= 0 && (int)o < NNAMES(option_names) ? option_names[o] : "";
}

const char *isms_action_status_name(enum isms_action_status s)
{
    return (int)s >= 0 && (int)s < NNAMES(action_status_names) ? action_status_names[s] : "open";
}

/* Finds `s` in `names` (case-insensitive); -1 when absent. */
static int find_name(const char *const *names, int n, const char *s)
{
    for (int k = 0; k < n; k++)
        if (strcasecmp(names[k], s) == 0)
            return k;
    return -1;
}

/* The INVALID_ARGUMENT for an unknown name, after making sure the value is printable text. */
static enum isms_code bad_name(const char *field, const char *s, const char *allowed,
                               struct isms_status *st)
{
    if (isms_text_check(field, s, 40, 0, st) != ISMS_OK)
        return st->code;
    return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s must be one of %s, got \"%s\"", field,
                           allowed, s);
}

enum isms_code isms_risk_status_parse(const char *s, enum isms_risk_status *out,
                                      struct isms_status *st)
{
    int k = s == NULL ? -1 : find_name(status_names, NNAMES(status_names), s);

    if (k < 0)
        return bad_name("status", s == NULL ? "" : s,
                        "identified, assessed, treatment_planned, treated, accepted, closed", st);
    *out = (enum isms_risk_status)k;
    return ISMS_OK;
}

enum isms_code isms_risk_option_parse(const char *s, enum isms_risk_option *out,
                                      struct isms_status *st)
{
    int k = s == NULL ? 0 : find_name(option_names, NNAMES(option_names), s);

    if (k < 0)
        return bad_name("treatment option", s, "modify, retain, avoid, share", st);
    *out = (enum isms_risk_option)k;
    return ISMS_OK;
}

enum isms_code isms_action_status_parse(const char *s, enum isms_action_status *out,
                                        struct isms_status *st)
{
    int k = s == NULL ? -1 : find_name(action_status_names, NNAMES(action_status_names), s);

    if (k < 0)
        return bad_name("action status", s == NULL ? "" : s, "open, in_progress, done", st);
    *out = (enum isms_action_status)k;
    return ISMS_OK;
}

int isms_plan_parse_id(const char *prefix, const char *s, int64_t *num)
{
    size_t n = strlen(prefix);
    char *end;
    long long v;

    if (s == NULL || strncasecmp(s, prefix, n) != 0 || s[n] != '-' ||
        !isdigit((unsigned char)s[n + 1]))
        return 0;
    errno = 0;
    v = strtoll(s + n + 1, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > (1LL << 62))
        return 0;
    *num = v;
    return 1;
}

enum isms_code isms_plan_check_id(const char *prefix, const char *what, const char *s, int64_t *num,
                                  struct isms_status *st)
{
    char field[48];

    snprintf(field, sizeof(field), "%s id", what);
    if (isms_text_check(field, s, ISMS_RISK_REF_MAX, 1, st) != ISMS_OK)
        return st->code;
    if (!isms_plan_parse_id(prefix, s, num))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s id must look like %s-<n>, got \"%s\"",
                               what, prefix, s);
    return ISMS_OK;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

enum isms_code isms_plan_date_check(const char *field, const char *s, struct isms_status *st)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d;

    if (s == NULL || s[0] == '\0')
        return ISMS_OK;
    if (isms_text_check(field, s, 40, 0, st) != ISMS_OK)
        return st->code;
    for (int i = 0; i < 10; i++)
        if ((i == 4 || i == 7) ? s[i] != '-' : !isdigit((unsigned char)s[i]))
            goto bad;
    if (s[10] != '\0')
        goto bad;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    mo = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1900 || mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1] + (mo == 2 && is_leap(y) ? 1 : 0))
        goto bad;
    return ISMS_OK;
bad:
    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                           "%s must be a date YYYY-MM-DD (year 1900 or later), got \"%s\"", field,
                           s);
}

enum isms_code isms_risk_check_pair(const char *what, int likelihood, int impact,
                                    struct isms_status *st)
{
    if (likelihood < 0 || impact < 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "%s likelihood and impact must be positive, got %d and %d", what,
                               likelihood, impact);
    if ((likelihood == 0) != (impact == 0))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "give both the %s likelihood and the %s impact, or neither", what,
                               what);
    return ISMS_OK;
}

const struct isms_risk_rating *isms_risk_target(const struct isms_risk_state *r)
{
    return r->residual.score > 0 ? &r->residual : &r->inherent;
}

int isms_risk_implemented(const struct isms_risk_state *r)
{
    switch (r->option) {
    case ISMS_RISK_OPTION_RETAIN:
        return 1;
    case ISMS_RISK_OPTION_MODIFY:
    case ISMS_RISK_OPTION_AVOID:
    case ISMS_RISK_OPTION_SHARE:
        return (r->status == ISMS_RISK_TREATED || r->status == ISMS_RISK_ACCEPTED ||
                r->status == ISMS_RISK_CLOSED) &&
               r->n_actions_open == 0 && r->n_controls_unimplemented == 0 &&
               r->n_controls + r->n_actions > 0;
    default:
        return 0;
    }
}

const struct isms_risk_rating *isms_risk_current(const struct isms_risk_state *r)
{
    return r->residual.score > 0 && isms_risk_implemented(r) ? &r->residual : &r->inherent;
}

/* 1 when the acceptance's review date has passed. */
static int acceptance_expired(const struct isms_risk_state *r)
{
    return r->accepted_expires != NULL && r->accepted_expires[0] != '\0' && r->today != NULL &&
           r->today[0] != '\0' && strcmp(r->accepted_expires, r->today) <= 0;
}

int isms_risk_acceptance_valid(const struct isms_risk_state *r)
{
    return r->accepted_by != NULL && r->accepted_by[0] != '\0' && r->owner != NULL &&
           strcmp(r->accepted_by, r->owner) == 0 &&
           r->accepted_score == isms_risk_target(r)->score && !acceptance_expired(r);
}

int isms_risk_above_appetite(const struct isms_risk_state *r)
{
    const struct isms_risk_rating *c = isms_risk_current(r);

    return c->score > 0 && c->score > r->appetite;
}

enum isms_code isms_risk_may_edit(const char *caller, int is_manager,
                                  const struct isms_risk_state *r, int changes_owner,
                                  struct isms_status *st)
{
    if (is_manager)
        return ISMS_OK;
    if (caller == NULL || r->owner == NULL || strcmp(caller, r->owner) != 0)
        return isms_status_set(st, ISMS_PERMISSION_DENIED,
                               "only an isms_manager or the risk owner (%s) may change %s",
                               r->owner == NULL ? "" : r->owner, r->id);
    if (changes_owner)
        return isms_status_set(st, ISMS_PERMISSION_DENIED,
                               "only an isms_manager may give %s another owner", r->id);
    return ISMS_OK;
}

enum isms_code isms_risk_may_accept(const char *caller, const struct isms_risk_state *r,
                                    struct isms_status *st)
{
    if (caller == NULL || r->owner == NULL || strcmp(caller, r->owner) != 0)
        return isms_status_set(st, ISMS_PERMISSION_DENIED,
                               "only the risk owner %s may accept %s (ISO/IEC 27001 6.1.3 f); "
                               "ask them to run: ismsctl risk accept %s --justification ...",
                               r->owner == NULL ? "" : r->owner, r->id, r->id);
    return ISMS_OK;
}

enum isms_code isms_risk_check_open(const struct isms_risk_state *r, const char *doing,
                                    struct isms_status *st)
{
    if (r->status == ISMS_RISK_CLOSED)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION, "%s is closed and can no longer be %s",
                               r->id, doing);
    return ISMS_OK;
}

enum isms_code isms_risk_rate(const struct isms_risk_method *m, const char *what, int likelihood,
                              int impact, struct isms_risk_rating *out, struct isms_status *st)
{
    int score;
    const char *level;

    if (isms_method_score(m, what, likelihood, impact, &score, st) != ISMS_OK)
        return st->code;
    level = isms_method_level(m, score);
    if (level == NULL) /* a checked method has a band for every score */
        return isms_status_set(st, ISMS_INTERNAL, "method version %lld has no level for score %d",
                               (long long)m->version, score);
    out->likelihood = likelihood;
    out->impact = impact;
    out->score = score;
    out->level = level;
    return ISMS_OK;
}

static const struct isms_risk_rating no_rating = {0, 0, 0, ""};

enum isms_code isms_risk_new(const struct isms_risk_method *m, const char *owner, int likelihood,
                             int impact, struct isms_risk_state *r, struct isms_status *st)
{
    memset(r, 0, sizeof(*r));
    r->id = "the new risk";
    r->owner = owner;
    r->inherent = no_rating;
    r->residual = no_rating;
    r->accepted_by = "";
    r->justification = "";
    r->close_reason = "";
    r->accepted_expires = "";
    r->today = "";
    r->pending = no_rating;
    r->pending_by = "";
    r->status = ISMS_RISK_IDENTIFIED;
    if (isms_risk_check_pair("inherent", likelihood, impact, st) != ISMS_OK)
        return st->code;
    if (likelihood == 0)
        return ISMS_OK;
    if (isms_risk_rate(m, "inherent", likelihood, impact, &r->inherent, st) != ISMS_OK)
        return st->code;
    r->method_version = m->version;
    r->appetite = m->appetite;
    r->status = ISMS_RISK_ASSESSED;
    return ISMS_OK;
}

/* Drops an acceptance that no longer matches the owner or the current score. */
static void settle_acceptance(struct isms_risk_state *r)
{
    if (r->accepted_by != NULL && r->accepted_by[0] != '\0' && !isms_risk_acceptance_valid(r)) {
        r->accepted_by = "";
        r->justification = "";
        r->accepted_score = 0;
        r->accepted_expires = "";
        r->acceptance = ISMS_ACCEPTANCE_CLEAR;
    }
}

/* Drops a lowered residual awaiting confirmation. */
static void clear_pending(struct isms_risk_state *r)
{
    if (r->pending.score > 0 || r->pending_change == ISMS_PENDING_SET) {
        r->pending = no_rating;
        r->pending_method_version = 0;
        r->pending_by = "";
        r->pending_change = ISMS_PENDING_CLEAR;
    }
}

void isms_risk_settle(struct isms_risk_state *r)
{
    int valid, within;

    if (r->status == ISMS_RISK_CLOSED)
        return;
    settle_acceptance(r);
    valid = isms_risk_acceptance_valid(r);
    within = !isms_risk_above_appetite(r);
    if (r->option == ISMS_RISK_OPTION_RETAIN && !within && !valid)
        r->option = ISMS_RISK_OPTION_NONE;
    if (r->inherent.score == 0) {
        r->status = ISMS_RISK_IDENTIFIED;
        return;
    }
    switch (r->option) {
    case ISMS_RISK_OPTION_NONE:
        /* accepted as it is, without choosing a treatment */
        r->status = valid ? ISMS_RISK_ACCEPTED : ISMS_RISK_ASSESSED;
        break;
    case ISMS_RISK_OPTION_RETAIN:
        /* every residual risk is accepted by its owner, within the appetite too (6.1.3 f) */
        r->status = valid ? ISMS_RISK_ACCEPTED : ISMS_RISK_TREATMENT_PLANNED;
        break;
    default:
        /* accepted never hides open treatment (8.3) */
        if (!isms_risk_implemented(r))
            r->status = ISMS_RISK_TREATMENT_PLANNED;
        else
            r->status = valid ? ISMS_RISK_ACCEPTED : ISMS_RISK_TREATED;
        break;
    }
}

enum isms_code isms_risk_apply_assessment(const struct isms_risk_method *m,
                                          struct isms_risk_state *r,
                                          const struct isms_risk_assessment *a,
                                          struct isms_status *st)
{
    struct isms_risk_rating inh = r->inherent, res = r->residual;
    int has_inh = a->inherent_likelihood != 0 || a->inherent_impact != 0;
    int has_res = a->residual_likelihood != 0 || a->residual_impact != 0;

    if (isms_risk_check_pair("inherent", a->inherent_likelihood, a->inherent_impact, st) !=
            ISMS_OK ||
        isms_risk_check_pair("residual", a->residual_likelihood, a->residual_impact, st) != ISMS_OK)
        return st->code;
    if (!has_inh && !has_res)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "nothing to assess: give the inherent and/or the residual "
                               "likelihood and impact");
    if (has_inh && isms_risk_rate(m, "inherent", a->inherent_likelihood, a->inherent_impact, &inh,
                                  st) != ISMS_OK)
        return st->code;
    if (has_res && isms_risk_rate(m, "residual", a->residual_likelihood, a->residual_impact, &res,
                                  st) != ISMS_OK)
        return st->code;
    if (isms_risk_check_open(r, "assessed", st) != ISMS_OK)
        return st->code;
    if (!has_inh && r->inherent.score == 0)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "assess the inherent risk of %s before its residual risk", r->id);
    if (!has_inh && r->method_version != m->version)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "%s was rated with method version %lld but version %lld is "
                               "current: give the inherent likelihood and impact too, so both "
                               "ratings use version %lld",
                               r->id, (long long)r->method_version, (long long)m->version,
                               (long long)m->version);
    if (has_inh && !has_res && r->residual.score > 0 && r->method_version != m->version)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "%s has a residual rating made with method version %lld: give the "
                               "residual likelihood and impact too, so both ratings use version "
                               "%lld",
                               r->id, (long long)r->method_version, (long long)m->version);
    if (res.score > inh.score)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "the residual score of %s would be %d (likelihood %d, impact %d), "
                               "above its inherent score %d: treatment cannot make a risk worse",
                               r->id, res.score, res.likelihood, res.impact, inh.score);
    if (has_res)
        clear_pending(r);
    if (has_res && a->by_owner &&
        res.score < (r->residual.score > 0 && r->method_version == m->version ? r->residual.score
                                                                              : inh.score)) {
        /* the owner lowering their own rating: it counts once a second person confirms (8.3) */
        r->pending = res;
        r->pending_method_version = m->version;
        r->pending_by = r->owner;
        r->pending_change = ISMS_PENDING_SET;
        res = r->residual;
        if (res.score > inh.score || r->method_version != m->version)
            res = no_rating;
    }
    r->inherent = inh;
    r->residual = res;
    r->method_version = m->version;
    r->appetite = m->appetite;
    if (r->status == ISMS_RISK_IDENTIFIED)
        r->status = ISMS_RISK_ASSESSED;
    isms_risk_settle(r);
    return ISMS_OK;
}

enum isms_code isms_risk_apply_treatment(const struct isms_risk_method *m,
                                         struct isms_risk_state *r,
                                         const struct isms_risk_treatment *t,
                                         struct isms_status *st)
{
    enum isms_risk_option opt = t->option != ISMS_RISK_OPTION_NONE ? t->option : r->option;
    const struct isms_risk_rating *cur;
    int n = t->n_controls + t->n_actions;

    if (isms_risk_check_open(r, "treated", st) != ISMS_OK)
        return st->code;
    if (r->inherent.score == 0)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "assess %s (inherent likelihood and impact) before choosing its "
                               "treatment",
                               r->id);
    if (t->residual_likelihood != 0 || t->residual_impact != 0) {
        struct isms_risk_assessment a = {0, 0, t->residual_likelihood, t->residual_impact,
                                         t->by_owner};

        if (isms_risk_apply_assessment(m, r, &a, st) != ISMS_OK)
            return st->code;
    }
    if (t->plan_changed && r->accepted_by[0] != '\0') {
        /* the owner approved another plan: they approve and accept this one afresh */
        r->accepted_by = "";
        r->justification = "";
        r->accepted_score = 0;
        r->accepted_expires = "";
        r->acceptance = ISMS_ACCEPTANCE_CLEAR;
    }
    settle_acceptance(r);
    r->n_actions_open = t->n_actions_open;
    r->n_controls_unimplemented = t->n_controls_unimplemented;
    if (opt == ISMS_RISK_OPTION_NONE)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "choose a treatment option for %s: modify, retain, avoid or share",
                               r->id);
    cur = isms_risk_target(r);
    if (opt == ISMS_RISK_OPTION_RETAIN) {
        if (t->mark_treated)
            return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                   "%s is retained, not treated: retaining keeps the risk as it "
                                   "is; choose modify, avoid or share to treat it",
                                   r->id);
        if (cur->score > r->appetite && !isms_risk_acceptance_valid(r))
            return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                   "%s scores %d (%s), above the risk appetite %d: it can be "
                                   "retained only after its owner %s accepts it (ismsctl risk "
                                   "accept %s --justification ... --expires YYYY-MM-DD)",
                                   r->id, cur->score, cur->level, r->appetite, r->owner, r->id);
        r->status = ISMS_RISK_TREATMENT_PLANNED;
    } else if (t->mark_treated ||
               ((r->status == ISMS_RISK_TREATED || r->status == ISMS_RISK_ACCEPTED) &&
                opt == r->option)) {
        if (n == 0)
            return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                   "a treated risk must name at least one control or action: "
                                   "add a control or an action to %s",
                                   r->id);
        if (t->mark_treated && t->n_actions_open > 0)
            return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                   "8.3: %s has %d open action%s: the treatment is implemented "
                                   "only when every action is done",
                                   r->id, t->n_actions_open, t->n_actions_open == 1 ? "" : "s");
        if (t->mark_treated && t->n_controls_unimplemented > 0)
            return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                   "8.3: %d control%s selected for %s %s not implemented in the "
                                   "SoA: the treatment is implemented only when they are",
                                   t->n_controls_unimplemented,
                                   t->n_controls_unimplemented == 1 ? "" : "s", r->id,
                                   t->n_controls_unimplemented == 1 ? "is" : "are");
        if (t->mark_treated)
            r->status = ISMS_RISK_TREATED;
    } else {
        r->status = ISMS_RISK_TREATMENT_PLANNED;
    }
    r->option = opt;
    r->n_controls = t->n_controls;
    r->n_actions = t->n_actions;
    isms_risk_settle(r);
    return ISMS_OK;
}

enum isms_code isms_risk_apply_acceptance(struct isms_risk_state *r, const char *caller,
                                          const char *justification, const char *expires,
                                          struct isms_status *st)
{
    if (isms_risk_may_accept(caller, r, st) != ISMS_OK)
        return st->code;
    if (isms_text_check("justification", justification, ISMS_RISK_TEXT_MAX, 1, st) != ISMS_OK)
        return st->code;
    if (expires == NULL || expires[0] == '\0')
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "expires is required: the date by which the acceptance of %s is "
                               "reviewed (6.1.3 f)",
                               r->id);
    if (isms_plan_date_check("expires", expires, st) != ISMS_OK)
        return st->code;
    if (r->today != NULL && r->today[0] != '\0' && strcmp(expires, r->today) <= 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "expires must be after today (%s), got %s: an acceptance is "
                               "reviewed in the future (6.1.3 f)",
                               r->today, expires);
    if (isms_risk_check_open(r, "accepted", st) != ISMS_OK)
        return st->code;
    if (r->inherent.score == 0)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "assess %s before accepting it: an acceptance is of a rated risk",
                               r->id);
    if (r->pending.score > 0)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "8.3: the lowered residual rating of %s (score %d) awaits "
                               "confirmation by an isms_manager (ismsctl risk confirm %s); "
                               "accept once it is confirmed or rejected",
                               r->id, r->pending.score, r->id);
    r->accepted_by = r->owner;
    r->accepted_score = isms_risk_target(r)->score;
    r->justification = justification;
    r->accepted_expires = expires;
    r->acceptance = ISMS_ACCEPTANCE_SET;
    isms_risk_settle(r);
    return ISMS_OK;
}

enum isms_code isms_risk_apply_close(struct isms_risk_state *r, const char *reason,
                                     int activity_ceased, struct isms_status *st)
{
    const struct isms_risk_rating *cur = isms_risk_current(r);

    if (!activity_ceased && isms_text_check("reason", reason, ISMS_RISK_TEXT_MAX, 1, st) != ISMS_OK)
        return st->code;
    if (activity_ceased && isms_text_check("reason", reason, ISMS_RISK_TEXT_MAX, 0, st) != ISMS_OK)
        return st->code;
    if (r->status == ISMS_RISK_CLOSED)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION, "%s is already closed", r->id);
    if (activity_ceased) {
        if (r->option != ISMS_RISK_OPTION_AVOID)
            return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                   "6.1.3: only an avoided risk closes because the activity "
                                   "ceased; %s has treatment option \"%s\"",
                                   r->id, isms_risk_option_name(r->option));
        r->status = ISMS_RISK_CLOSED;
        r->close_reason = reason != NULL && reason[0] != '\0' ? reason : "activity ceased";
        clear_pending(r);
        return ISMS_OK;
    }
    if (isms_risk_above_appetite(r) && !isms_risk_acceptance_valid(r))
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "%s scores %d (%s), above the risk appetite %d, and its owner %s "
                               "has not accepted it: treat it to within the appetite (rate its "
                               "residual risk) or have the owner accept it before closing",
                               r->id, cur->score, cur->level, r->appetite, r->owner);
    r->status = ISMS_RISK_CLOSED;
    r->close_reason = reason;
    clear_pending(r);
    return ISMS_OK;
}

enum isms_code isms_risk_apply_confirm(const struct isms_risk_method *m, struct isms_risk_state *r,
                                       const char *caller, int reject, struct isms_status *st)
{
    if (caller == NULL || strcmp(caller, r->owner) == 0 ||
        (r->pending_by != NULL && strcmp(caller, r->pending_by) == 0))
        return isms_status_set(st, ISMS_PERMISSION_DENIED,
                               "8.3: a lowered residual rating is confirmed by a second person: "
                               "an isms_manager other than the owner %s of %s",
                               r->owner, r->id);
    if (isms_risk_check_open(r, "confirmed", st) != ISMS_OK)
        return st->code;
    if (r->pending.score == 0)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "8.3: no lowered residual rating of %s awaits confirmation", r->id);
    if (reject) {
        clear_pending(r);
        isms_risk_settle(r);
        return ISMS_OK;
    }
    if (r->pending_method_version != m->version || r->method_version != m->version)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "8.3: the lowered residual rating of %s was made with method "
                               "version %lld but version %lld is current: reject it and have the "
                               "owner rate the risk again",
                               r->id, (long long)r->pending_method_version, (long long)m->version);
    if (r->pending.score > r->inherent.score)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "the residual score of %s would be %d, above its inherent score %d: "
                               "reject it",
                               r->id, r->pending.score, r->inherent.score);
    r->residual = r->pending;
    clear_pending(r);
    isms_risk_settle(r);
    return ISMS_OK;
}

void isms_risk_apply_owner(struct isms_risk_state *r, const char *owner)
{
    r->owner = owner;
    isms_risk_settle(r);
}
