/* domain/sched/sched_rules.c — pure checks of schedules and reviews (see sched_rules.h).
 * Every refusal names the field and the value; nothing here touches the loop or the database. */
#include "domain/sched/sched_rules.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth/roles.h"
#include "core/text.h"

int isms_sched_parse_id(char prefix, const char *s, int64_t *num)
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

static int one_of(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strcmp(s, list[i]) == 0)
            return 1;
    }
    return 0;
}

/* `n` digits at `s` as a number, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

enum isms_code isms_sched_check_start(const char *s, int *has_offset, int *is_date,
                                      struct isms_status *st)
{
    size_t n = strlen(s);
    int y = digits(s, n >= 4 ? 4 : 0), mo, d, p = 10;

    *has_offset = 0;
    *is_date = 0;
    if (n < 10 || y < 1970 || y > 9999 || s[4] != '-' || s[7] != '-')
        goto bad;
    mo = digits(s + 5, 2);
    d = digits(s + 8, 2);
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        goto bad;
    if (n == 10) {
        *is_date = 1;
        return ISMS_OK;
    }
    if ((s[10] != 'T' && s[10] != ' ') || n < 16 || digits(s + 11, 2) < 0 ||
        digits(s + 11, 2) > 23 || s[13] != ':' || digits(s + 14, 2) < 0 || digits(s + 14, 2) > 59)
        goto bad;
    p = 16;
    if (s[p] == ':') {
        if (digits(s + p + 1, 2) < 0 || digits(s + p + 1, 2) > 59)
            goto bad;
        p += 3;
    }
    if (s[p] == '\0')
        return ISMS_OK;
    if ((s[p] == 'Z' || s[p] == 'z') && s[p + 1] == '\0') {
        *has_offset = 1;
        return ISMS_OK;
    }
    if ((s[p] == '+' || s[p] == '-') && strlen(s + p) == 6 && digits(s + p + 1, 2) >= 0 &&
        digits(s + p + 1, 2) <= 14 && s[p + 3] == ':' && digits(s + p + 4, 2) >= 0 &&
        digits(s + p + 4, 2) <= 59) {
        *has_offset = 1;
        return ISMS_OK;
    }
bad:
    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                           "start must be YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] with an optional "
                           "Z or +HH:MM, got \"%.60s\"",
                           s);
}

enum isms_code isms_sched_check_new(struct isms_sched_new *in, struct isms_status *st)
{
    static const char *const kinds[] = {"risk", "risk_level", "asset", "access",
                                        "soa",  "task",       NULL};
    static const char *const units[] = {"second", "minute", "hour", "day",
                                        "week",   "month",  "year", NULL};

    in->ref_num = 0;
    in->start_has_offset = 0;
    in->start_is_date = 0;
    if (isms_text_check("title", in->title, 200, 0, st) != ISMS_OK ||
        isms_text_check("target_ref", in->target_ref, 100, 0, st) != ISMS_OK ||
        isms_text_check("owner", in->owner, 64, 0, st) != ISMS_OK ||
        isms_text_check("time_zone", in->time_zone, 64, 0, st) != ISMS_OK)
        return st->code;
    if (in->target_kind[0] == '\0')
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "target_kind is required: risk, risk_level, asset, access, soa "
                               "or task");
    if (!one_of(in->target_kind, kinds))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "target_kind must be risk, risk_level, asset, access, soa or "
                               "task, got \"%.40s\"",
                               in->target_kind);
    if (strcmp(in->target_kind, "risk") == 0 || strcmp(in->target_kind, "asset") == 0) {
        char p = in->target_kind[0] == 'r' ? 'R' : 'A';

        if (!isms_sched_parse_id(p, in->target_ref, &in->ref_num))
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "target_ref of a %s schedule must look like %c-<n>, got "
                                   "\"%.40s\"",
                                   in->target_kind, p, in->target_ref);
    } else if (strcmp(in->target_kind, "risk_level") == 0) {
        if (in->target_ref[0] == '\0')
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "target_ref of a risk_level schedule must name a level");
    } else if (in->target_ref[0] != '\0') {
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "target_ref must be empty when target_kind is %s, got \"%.40s\"",
                               in->target_kind, in->target_ref);
    }
    if (strcmp(in->target_kind, "task") == 0 && in->title[0] == '\0')
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "title is required for a task schedule (what is to be done)");
    if (in->every < 1 || in->every > 1000)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "every must be between 1 and 1000, got %d", (int)in->every);
    if (in->unit[0] == '\0' || !one_of(in->unit, units))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "unit must be second, minute, hour, day, week, month or year, "
                               "got \"%.40s\"",
                               in->unit);
    if (in->lead_days < 0 || in->lead_days > 366)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "lead_days must be between 0 and 366, got %d", (int)in->lead_days);
    for (const char *c = in->time_zone; *c != '\0'; c++) {
        if (!isalnum((unsigned char)*c) && strchr("/_+-", *c) == NULL)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "time zone \"%.64s\" is not a time zone name", in->time_zone);
    }
    if (in->start[0] != '\0' &&
        isms_sched_check_start(in->start, &in->start_has_offset, &in->start_is_date, st) != ISMS_OK)
        return st->code;
    in->catch_up_n = in->catch_up[0] == '\0' ? "one" : in->catch_up;
    if (strcmp(in->catch_up_n, "one") != 0 && strcmp(in->catch_up_n, "each") != 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "catch_up must be one or each, got \"%.40s\"", in->catch_up);
    if (in->catch_up_max < 0 || in->catch_up_max > 1000)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "catch_up_max must be between 1 and 1000, got %d",
                               (int)in->catch_up_max);
    in->catch_up_max_n = in->catch_up_max == 0 ? 10 : in->catch_up_max;
    return ISMS_OK;
}

enum isms_code isms_sched_check_outcome(const char *outcome, const char *evidence,
                                        struct isms_status *st)
{
    static const char *const outcomes[] = {"confirmed", "changed", "action_required", NULL};

    if (outcome[0] == '\0')
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "outcome is required: confirmed, changed or action_required");
    if (!one_of(outcome, outcomes))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "outcome must be confirmed, changed or action_required, got "
                               "\"%.40s\"",
                               outcome);
    return isms_text_check("evidence", evidence, 4000, 0, st);
}

int isms_sched_may_complete(unsigned roles, const char *actor, const char *owner)
{
    if ((roles & (ISMS_ROLE_MANAGER | ISMS_ROLE_ADMIN)) != 0)
        return 1;
    return strcmp(actor, owner) == 0;
}

uint64_t isms_sched_jitter_ms(uint64_t interval_ms, uint32_t r)
{
    uint64_t span = interval_ms / 5; /* +/- 10 % */
    uint64_t d = interval_ms - interval_ms / 10 + (span > 0 ? (uint64_t)r % (span + 1) : 0);

    return d > 0 ? d : 1;
}
