/* domain/sched/sched_rules.h — pure checks and decisions of scheduled reviews: ids, schedule
 * input (target, recurrence, start, catch-up), review outcomes, who may complete a review, and
 * the scheduler's jittered tick. No loop, no database: unit-tested directly. */
#ifndef ISMS_DOMAIN_SCHED_SCHED_RULES_H
#define ISMS_DOMAIN_SCHED_SCHED_RULES_H

#include <stdint.h>

#include "common/status.h"

/* Parses "<prefix>-<n>" (prefix case-insensitive, n >= 1) into *num; 0 when it does not match. */
int isms_sched_parse_id(char prefix, const char *s, int64_t *num);

/* A schedule to create, as received; the check fills the normalised fields. */
struct isms_sched_new {
    const char *title, *target_kind, *target_ref, *owner, *unit, *start, *time_zone, *catch_up;
    int32_t every, lead_days, catch_up_max;
    /* set by isms_sched_check_new: */
    int64_t ref_num;        /* risk or asset number; 0 otherwise */
    int start_has_offset;   /* start ends in Z or +HH:MM: an absolute time */
    int start_is_date;      /* start is YYYY-MM-DD */
    const char *catch_up_n; /* "one" (default) or "each" */
    int32_t catch_up_max_n; /* default 10 */
};

/* Validates `in` and fills its normalised fields. Errors: INVALID_ARGUMENT naming the field
 * and the value (kind, ref for the kind, unit, every 1..1000, lead 0..366 days, start format,
 * time zone characters, catch_up, catch_up_max 1..1000, text lengths). */
ISMS_MUSTCHECK enum isms_code isms_sched_check_new(struct isms_sched_new *in,
                                                   struct isms_status *st);

/* Validates a start: YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS] optionally followed by Z or
 * +HH:MM/-HH:MM, with a real calendar date. Sets *has_offset and *is_date. */
ISMS_MUSTCHECK enum isms_code isms_sched_check_start(const char *s, int *has_offset, int *is_date,
                                                     struct isms_status *st);

/* Validates a review outcome: confirmed, changed or action_required. */
ISMS_MUSTCHECK enum isms_code isms_sched_check_outcome(const char *outcome, const char *evidence,
                                                       struct isms_status *st);

/* Whether a caller with `roles` (auth/roles.h bits) who is `actor` may complete a review owned
 * by `owner`: its owner, an ISMS manager or an administrator. */
int isms_sched_may_complete(unsigned roles, const char *actor, const char *owner);

/* The delay before the next scheduler tick: interval_ms +/- 10 %, from `r` (any 32-bit random
 * value), at least 1 ms. Spreads instances that started together. */
uint64_t isms_sched_jitter_ms(uint64_t interval_ms, uint32_t r);

#endif
