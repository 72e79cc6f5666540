/* tests/unit/test_sched_rules.c — the pure rules of scheduled reviews (domain/sched/
 * sched_rules.h): ids, schedule input, start formats, outcomes, who may complete a review and
 * the scheduler's jitter. Every refusal is INVALID_ARGUMENT with a message naming the field. */
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "auth/roles.h"
#include "domain/sched/sched_rules.h"

static struct isms_sched_new valid(void)
{
    struct isms_sched_new in = {.title = "",
                                .target_kind = "access",
                                .target_ref = "",
                                .owner = "kim",
                                .unit = "month",
                                .start = "",
                                .time_zone = "",
                                .catch_up = "",
                                .every = 3};
    return in;
}

Test(sched_rules, ids)
{
    int64_t n = 0;

    cr_assert(isms_sched_parse_id('S', "S-12", &n) && n == 12);
    cr_assert(isms_sched_parse_id('R', "r-7", &n) && n == 7);
    cr_assert(!isms_sched_parse_id('S', "R-1", &n));
    cr_assert(!isms_sched_parse_id('S', "S-0", &n));
    cr_assert(!isms_sched_parse_id('S', "S-1x", &n));
    cr_assert(!isms_sched_parse_id('S', "S-", &n));
    cr_assert(!isms_sched_parse_id('S', "S--1", &n));
    cr_assert(!isms_sched_parse_id('S', "S-99999999999999999999", &n));
}

Test(sched_rules, defaults_are_filled)
{
    struct isms_sched_new in = valid();
    struct isms_status st;

    cr_assert_eq(isms_sched_check_new(&in, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(in.catch_up_n, "one");
    cr_assert_eq(in.catch_up_max_n, 10);
    in = valid();
    in.target_kind = "risk";
    in.target_ref = "R-5";
    in.start = "2030-06-01T09:00";
    cr_assert_eq(isms_sched_check_new(&in, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(in.ref_num, 5);
    cr_assert_eq(in.start_has_offset, 0);
    in.start = "2030-06-01T09:00:30+02:00";
    cr_assert_eq(isms_sched_check_new(&in, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(in.start_has_offset, 1);
}

/* Arrays, not pointers: Criterion copies parameters into each test's process. */
struct bad_case {
    char field[8]; /* which field gets `value` or `number` */
    char value[32];
    int number;
    char needle[64];
};

static struct bad_case bad_cases[] = {
    {"kind", "", 0, "target_kind is required"},
    {"kind", "kpi", 0, "target_kind must be"},
    {"every", "", 0, "every must be between 1 and 1000, got 0"},
    {"every", "", -3, "every must be between 1 and 1000, got -3"},
    {"every", "", 1001, "every must be between 1 and 1000"},
    {"unit", "fortnight", 0, "unit must be"},
    {"unit", "", 0, "unit must be"},
    {"lead", "", -1, "lead_days must be between 0 and 366"},
    {"lead", "", 400, "lead_days must be between 0 and 366"},
    {"start", "2030-02-29", 0, "start must be"},
    {"start", "2030-13-01", 0, "start must be"},
    {"start", "2030-01-01T25:00", 0, "start must be"},
    {"start", "2030-01-01T10:00+2", 0, "start must be"},
    {"start", "next week", 0, "start must be"},
    {"tz", "Europe/Berlin; DROP", 0, "is not a time zone name"},
    {"catch", "all", 0, "catch_up must be one or each"},
    {"max", "", 1001, "catch_up_max must be between 1 and 1000"},
    {"max", "", -1, "catch_up_max must be between 1 and 1000"},
    {"risk", "risk seven", 0, "must look like R-<n>"},
    {"asset", "R-1", 0, "must look like A-<n>"},
    {"level", "", 0, "must name a level"},
    {"ref", "A-1", 0, "must be empty when target_kind is access"},
    {"task", "", 0, "title is required for a task"},
};

ParameterizedTestParameters(sched_rules, bad_input_is_refused)
{
    return cr_make_param_array(struct bad_case, bad_cases,
                               sizeof(bad_cases) / sizeof(bad_cases[0]));
}

ParameterizedTest(struct bad_case *c, sched_rules, bad_input_is_refused)
{
    struct isms_sched_new in = valid();
    struct isms_status st = {0};
    enum isms_code rc;

    if (strcmp(c->field, "kind") == 0)
        in.target_kind = c->value;
    else if (strcmp(c->field, "every") == 0)
        in.every = c->number;
    else if (strcmp(c->field, "unit") == 0)
        in.unit = c->value;
    else if (strcmp(c->field, "lead") == 0)
        in.lead_days = c->number;
    else if (strcmp(c->field, "start") == 0)
        in.start = c->value;
    else if (strcmp(c->field, "tz") == 0)
        in.time_zone = c->value;
    else if (strcmp(c->field, "catch") == 0)
        in.catch_up = c->value;
    else if (strcmp(c->field, "max") == 0)
        in.catch_up_max = c->number;
    else if (strcmp(c->field, "risk") == 0) {
        in.target_kind = "risk";
        in.target_ref = c->value;
    } else if (strcmp(c->field, "asset") == 0) {
        in.target_kind = "asset";
        in.target_ref = c->value;
    } else if (strcmp(c->field, "level") == 0) {
        in.target_kind = "risk_level";
        in.target_ref = c->value;
    } else if (strcmp(c->field, "ref") == 0) {
        in.target_ref = c->value;
    } else if (strcmp(c->field, "task") == 0) {
        in.target_kind = "task";
        in.title = c->value;
    }
    rc = isms_sched_check_new(&in, &st);
    cr_assert_eq(rc, ISMS_INVALID_ARGUMENT, "%s=%s: code %d", c->field, c->value, rc);
    cr_assert_neq(strstr(st.msg, c->needle), NULL, "\"%s\" does not mention \"%s\"", st.msg,
                  c->needle);
}

Test(sched_rules, leap_day_and_date_forms)
{
    struct isms_status st;
    int off, date;

    cr_assert_eq(isms_sched_check_start("2028-02-29", &off, &date, &st), ISMS_OK);
    cr_assert(date && !off);
    cr_assert_eq(isms_sched_check_start("2028-02-29T23:59:59Z", &off, &date, &st), ISMS_OK);
    cr_assert(!date && off);
    cr_assert_eq(isms_sched_check_start("2100-02-29", &off, &date, &st), ISMS_INVALID_ARGUMENT);
}

Test(sched_rules, outcomes)
{
    struct isms_status st;

    cr_assert_eq(isms_sched_check_outcome("confirmed", "", &st), ISMS_OK);
    cr_assert_eq(isms_sched_check_outcome("action_required", "https://x", &st), ISMS_OK);
    cr_assert_eq(isms_sched_check_outcome("", "", &st), ISMS_INVALID_ARGUMENT);
    cr_assert_neq(strstr(st.msg, "outcome is required"), NULL);
    cr_assert_eq(isms_sched_check_outcome("ok", "", &st), ISMS_INVALID_ARGUMENT);
    cr_assert_neq(strstr(st.msg, "\"ok\""), NULL);
}

Test(sched_rules, who_may_complete)
{
    cr_assert(isms_sched_may_complete(ISMS_ROLE_CONTRIBUTOR, "kim", "kim"));
    cr_assert(!isms_sched_may_complete(ISMS_ROLE_CONTRIBUTOR, "kim", "lee"));
    cr_assert(!isms_sched_may_complete(ISMS_ROLE_AUDITOR | ISMS_ROLE_RISK_OWNER, "kim", "lee"));
    cr_assert(isms_sched_may_complete(ISMS_ROLE_MANAGER, "kim", "lee"));
    cr_assert(isms_sched_may_complete(ISMS_ROLE_ADMIN, "kim", "lee"));
}

Test(sched_rules, jitter_stays_within_ten_percent)
{
    uint32_t rs[] = {0, 1, 12345, 0x7fffffffu, 0xffffffffu};

    for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
        uint64_t d = isms_sched_jitter_ms(1000, rs[i]);

        cr_assert(d >= 900 && d <= 1100, "r=%u gave %llu", rs[i], (unsigned long long)d);
    }
    cr_assert_eq(isms_sched_jitter_ms(1000, 0), 900);
    cr_assert_eq(isms_sched_jitter_ms(1000, 200), 1100);
    cr_assert_geq(isms_sched_jitter_ms(1, 5), 1);
}
