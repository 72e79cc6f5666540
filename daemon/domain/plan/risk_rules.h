/* domain/plan/risk_rules.h — the rules of the risk register (ISO/IEC 27001:2022 6.1.2, 6.1.3,
 * 8.2, 8.3) as pure functions over a risk's state: ratings, treatment, acceptance, closing,
 * who may change what. No loop, no database: the handlers in risk.c load the state, apply one
 * of these, and write the result back under the risk's version.
 * Invariants every apply function keeps: a retained risk scoring above the appetite carries a
 * valid acceptance by its current owner; residual score <= inherent score; a treated risk names
 * at least one control or action, all its actions done; a closed risk never changes again;
 * status accepted only with a valid acceptance and no open treatment.
 * Three ratings: inherent; target (the residual rating, planned); current (the residual once
 * the treatment is implemented, else the inherent). */
#ifndef ISMS_DOMAIN_PLAN_RISK_RULES_H
#define ISMS_DOMAIN_PLAN_RISK_RULES_H

#include <stdint.h>

#include "common/status.h"
#include "domain/plan/method_rules.h"

#define ISMS_RISK_TITLE_MAX  200  /* characters */
#define ISMS_RISK_TEXT_MAX   4000 /* description, threat, vulnerability, justification, ... */
#define ISMS_RISK_REF_MAX    200  /* an asset reference, a control id, an action owner */
#define ISMS_RISK_ACTION_MAX 2000 /* action description */
#define ISMS_RISK_LIST_MAX   100  /* assets, controls or actions in one request */

enum isms_risk_status {
    ISMS_RISK_IDENTIFIED = 0, /* recorded, not rated yet */
    ISMS_RISK_ASSESSED,       /* inherent rating done, no treatment chosen */
    ISMS_RISK_TREATMENT_PLANNED,
    ISMS_RISK_TREATED,  /* treatment implemented: names a control or action, all done */
    ISMS_RISK_ACCEPTED, /* accepted by its owner, nothing left to implement */
    ISMS_RISK_CLOSED,   /* terminal */
};

enum isms_risk_option {
    ISMS_RISK_OPTION_NONE = 0,
    ISMS_RISK_OPTION_MODIFY,
    ISMS_RISK_OPTION_RETAIN,
    ISMS_RISK_OPTION_AVOID,
    ISMS_RISK_OPTION_SHARE,
};

enum isms_action_status {
    ISMS_ACTION_OPEN = 0,
    ISMS_ACTION_IN_PROGRESS,
    ISMS_ACTION_DONE,
};

/* What an apply function did to the acceptance record. */
enum isms_acceptance_change {
    ISMS_ACCEPTANCE_KEEP = 0,
    ISMS_ACCEPTANCE_SET,   /* recorded now (accepted_at = now) */
    ISMS_ACCEPTANCE_CLEAR, /* no longer valid: the owner or the score changed */
};

struct isms_risk_rating {
    int likelihood, impact; /* 0 = not rated */
    int score;              /* 0 = not rated */
    const char *level;      /* band name; "" when not rated */
};

/* What an apply function did to a lowered residual rating awaiting confirmation. */
enum isms_pending_change {
    ISMS_PENDING_KEEP = 0,
    ISMS_PENDING_SET,   /* the owner lowered their own residual rating: stored, not applied */
    ISMS_PENDING_CLEAR, /* confirmed, rejected, or replaced by another rating */
};

/* The part of a risk the rules look at. Strings are borrowed. */
struct isms_risk_state {
    const char *id; /* "R-7", for messages */
    enum isms_risk_status status;
    enum isms_risk_option option;
    const char *owner;
    int64_t method_version; /* of both ratings; 0 = never assessed */
    int appetite;           /* of method_version */
    struct isms_risk_rating inherent, residual;
    int n_controls, n_actions;
    const char *accepted_by; /* "" = no acceptance recorded */
    int accepted_score;
    const char *justification;
    const char *close_reason;
    enum isms_acceptance_change acceptance; /* set by the apply functions */
    const char *accepted_expires;    /* YYYY-MM-DD review date; "" = none (before schema 031) */
    const char *today;               /* YYYY-MM-DD, UTC, from the database; "" = unknown */
    int n_actions_open;              /* actions not done */
    int n_controls_unimplemented;    /* selected controls not implemented in the SoA */
    struct isms_risk_rating pending; /* lowered residual awaiting confirmation; score 0 = none */
    int64_t pending_method_version;
    const char *pending_by;
    enum isms_pending_change pending_change; /* set by the apply functions */
};

/* A rating request: a pair left at 0, 0 is unchanged. */
struct isms_risk_assessment {
    int inherent_likelihood, inherent_impact;
    int residual_likelihood, residual_impact;
    int by_owner; /* the caller is the risk's owner: a lower residual awaits confirmation */
};

struct isms_risk_treatment {
    enum isms_risk_option option;             /* NONE = keep the current one */
    int n_controls, n_actions;                /* after this change */
    int residual_likelihood, residual_impact; /* 0, 0 = unchanged */
    int mark_treated;                         /* the treatment is implemented */
    int by_owner;                             /* as in struct isms_risk_assessment */
    int plan_changed;             /* option, controls or actions added/removed: acceptance lapses */
    int n_actions_open;           /* after this change */
    int n_controls_unimplemented; /* after this change */
};

/* Names and parsers (parsers take exactly the names returned, case-insensitive; "" for the
 * option means none). Parsers fail with INVALID_ARGUMENT listing the accepted names. */
const char *isms_risk_status_name(enum isms_risk_status s);
const char *isms_risk_option_name(enum isms_risk_option o);
const char *isms_action_status_name(enum isms_action_status s);
ISMS_MUSTCHECK enum isms_code isms_risk_status_parse(const char *s, enum isms_risk_status *out,
                                                     struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_risk_option_parse(const char *s, enum isms_risk_option *out,
                                                     struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_action_status_parse(const char *s, enum isms_action_status *out,
                                                       struct isms_status *st);

/* Parses "<prefix>-<n>" (prefix "R", "RA" or "A", case-insensitive; n in 1..2^62). Returns 1
 * on a match, 0 otherwise. */
int isms_plan_parse_id(const char *prefix, const char *s, int64_t *num);

/* Like isms_plan_parse_id, failing with INVALID_ARGUMENT ("risk id must look like R-<n>"). */
ISMS_MUSTCHECK enum isms_code isms_plan_check_id(const char *prefix, const char *what,
                                                 const char *s, int64_t *num,
                                                 struct isms_status *st);

/* "" or a calendar date YYYY-MM-DD (years 1900-9999). Errors: INVALID_ARGUMENT. */
ISMS_MUSTCHECK enum isms_code isms_plan_date_check(const char *field, const char *s,
                                                   struct isms_status *st);

/* A likelihood/impact pair: both 0 (not given) or both >= 1. Errors: INVALID_ARGUMENT. The
 * scale itself is checked against the method by the apply functions. */
ISMS_MUSTCHECK enum isms_code isms_risk_check_pair(const char *what, int likelihood, int impact,
                                                   struct isms_status *st);

/* The target rating (planned residual): residual when rated, else inherent. */
const struct isms_risk_rating *isms_risk_target(const struct isms_risk_state *r);

/* 1 when the treatment is implemented: retain (nothing to do), or modify/avoid/share marked
 * treated with every action done and every selected control implemented (8.3). */
int isms_risk_implemented(const struct isms_risk_state *r);

/* The current (achieved) rating: the residual when rated and the treatment is implemented,
 * else the inherent. */
const struct isms_risk_rating *isms_risk_current(const struct isms_risk_state *r);

/* 1 when the risk carries an acceptance by its current owner of its target score whose review
 * date has not passed (6.1.3 f). */
int isms_risk_acceptance_valid(const struct isms_risk_state *r);

/* 1 when the current score is above the appetite of the method version used. */
int isms_risk_above_appetite(const struct isms_risk_state *r);

/* Who may change a risk: an isms_manager, or its owner (who may not hand it to someone else).
 * Errors: PERMISSION_DENIED. */
ISMS_MUSTCHECK enum isms_code isms_risk_may_edit(const char *caller, int is_manager,
                                                 const struct isms_risk_state *r, int changes_owner,
                                                 struct isms_status *st);

/* Only the risk's owner may accept it, whatever the caller's roles (6.1.3 f, 8.3).
 * Errors: PERMISSION_DENIED. */
ISMS_MUSTCHECK enum isms_code
isms_risk_may_accept(const char *caller, const struct isms_risk_state *r, struct isms_status *st);

/* A risk that may still change. Errors: FAILED_PRECONDITION when it is closed. */
ISMS_MUSTCHECK enum isms_code isms_risk_check_open(const struct isms_risk_state *r,
                                                   const char *doing, struct isms_status *st);

/* Rates (likelihood, impact) with `m` into `out`. Errors: INVALID_ARGUMENT (outside the
 * scale). */
ISMS_MUSTCHECK enum isms_code isms_risk_rate(const struct isms_risk_method *m, const char *what,
                                             int likelihood, int impact,
                                             struct isms_risk_rating *out, struct isms_status *st);

/* A new risk owned by `owner`: identified, or assessed with `m` when rated (l, i non-zero).
 * Errors: INVALID_ARGUMENT. */
ISMS_MUSTCHECK enum isms_code isms_risk_new(const struct isms_risk_method *m, const char *owner,
                                            int likelihood, int impact, struct isms_risk_state *r,
                                            struct isms_status *st);

/* Re-rates inherent and/or residual risk with the current method `m`. Both ratings always use
 * one method version: rating only the residual needs the inherent to be on `m` already, and
 * re-rating the inherent with a new version needs the residual again too.
 * Errors: INVALID_ARGUMENT (nothing given, outside the scale), FAILED_PRECONDITION (closed,
 * residual before inherent, mixed method versions, residual above inherent). */
ISMS_MUSTCHECK enum isms_code isms_risk_apply_assessment(const struct isms_risk_method *m,
                                                         struct isms_risk_state *r,
                                                         const struct isms_risk_assessment *a,
                                                         struct isms_status *st);

/* Chooses/changes the treatment. retain: refused above the appetite without a valid
 * acceptance, status accepted. modify/avoid/share: treatment_planned, or treated when
 * `mark_treated` (needs a control or action). Errors: INVALID_ARGUMENT, FAILED_PRECONDITION. */
ISMS_MUSTCHECK enum isms_code isms_risk_apply_treatment(const struct isms_risk_method *m,
                                                        struct isms_risk_state *r,
                                                        const struct isms_risk_treatment *t,
                                                        struct isms_status *st);

/* The owner approves the treatment plan as it stands and accepts the risk at its target score
 * until `expires` (YYYY-MM-DD, after r->today). Strings are borrowed. Errors:
 * PERMISSION_DENIED (not the owner), INVALID_ARGUMENT (no justification, no or bad or past
 * review date), FAILED_PRECONDITION (closed, not assessed, lowered residual unconfirmed). */
ISMS_MUSTCHECK enum isms_code
isms_risk_apply_acceptance(struct isms_risk_state *r, const char *caller, const char *justification,
                           const char *expires, struct isms_status *st);

/* Closes the risk. Refused while its current score is above the appetite and no valid
 * acceptance is recorded, unless `activity_ceased` (only for an avoided risk: no residual
 * rating or acceptance needed). Errors: INVALID_ARGUMENT (no reason), FAILED_PRECONDITION. */
ISMS_MUSTCHECK enum isms_code isms_risk_apply_close(struct isms_risk_state *r, const char *reason,
                                                    int activity_ceased, struct isms_status *st);

/* An isms_manager `caller` (not the owner and not who proposed it) confirms (or, with `reject`,
 * drops) the lowered residual rating awaiting confirmation, rated with method `m`.
 * Errors: PERMISSION_DENIED (the owner or proposer), FAILED_PRECONDITION (nothing pending,
 * method changed since, closed). */
ISMS_MUSTCHECK enum isms_code isms_risk_apply_confirm(const struct isms_risk_method *m,
                                                      struct isms_risk_state *r, const char *caller,
                                                      int reject, struct isms_status *st);

/* Gives the risk a new owner (the caller checked it is an active user). An acceptance by the
 * previous owner no longer counts. */
void isms_risk_apply_owner(struct isms_risk_state *r, const char *owner);

/* Restores the invariants after any change: drops an acceptance that no longer matches the
 * owner or score, un-retains a risk above the appetite without one, and moves an accepted
 * risk whose acceptance lapsed back to treatment_planned or assessed. Closed risks are left
 * alone. */
void isms_risk_settle(struct isms_risk_state *r);

#endif
