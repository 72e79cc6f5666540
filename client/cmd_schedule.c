/* client/cmd_schedule.c — `ismsctl schedule ...`: schedules S-<n> of reviews at planned
 * intervals (isms.v1.Schedule). ismsd turns each occurrence into a review R-<n> (`ismsctl
 * review`). Field names in the output are the proto's. */
#include "cli.h"

#include "isms/v1/schedule.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const struct isms_out_col sched_cols[] = {
    {"id", ISMS_OUT_STR},           {"title", ISMS_OUT_STR},     {"target_kind", ISMS_OUT_STR},
    {"target_ref", ISMS_OUT_STR},   {"owner", ISMS_OUT_STR},     {"every", ISMS_OUT_I64},
    {"unit", ISMS_OUT_STR},         {"time_zone", ISMS_OUT_STR}, {"start", ISMS_OUT_STR},
    {"next_due", ISMS_OUT_STR},     {"lead_days", ISMS_OUT_I64}, {"catch_up", ISMS_OUT_STR},
    {"catch_up_max", ISMS_OUT_I64}, {"paused", ISMS_OUT_BOOL},   {"pause_reason", ISMS_OUT_STR},
    {"paused_at", ISMS_OUT_STR},    {"paused_by", ISMS_OUT_STR}, {"open_reviews", ISMS_OUT_I64},
    {"deleted", ISMS_OUT_BOOL},     {"version", ISMS_OUT_I64},   {"created_at", ISMS_OUT_STR},
    {"created_by", ISMS_OUT_STR},
};

static const struct isms_out_col list_cols[] = {
    {"id", ISMS_OUT_STR},           {"title", ISMS_OUT_STR},    {"target_kind", ISMS_OUT_STR},
    {"target_ref", ISMS_OUT_STR},   {"owner", ISMS_OUT_STR},    {"every", ISMS_OUT_I64},
    {"unit", ISMS_OUT_STR},         {"next_due", ISMS_OUT_STR}, {"paused", ISMS_OUT_BOOL},
    {"open_reviews", ISMS_OUT_I64},
};

static void add_sched(struct isms_out_table *t, const Isms__V1__ScheduleRecord *s)
{
    isms_out_str(t, s->id);
    isms_out_str(t, s->title);
    isms_out_str(t, s->target_kind);
    isms_out_str(t, s->target_ref);
    isms_out_str(t, s->owner);
    isms_out_i64(t, s->every);
    isms_out_str(t, s->unit);
    isms_out_str(t, s->time_zone);
    isms_out_str(t, s->start);
    isms_out_str(t, s->next_due);
    isms_out_i64(t, s->lead_days);
    isms_out_str(t, s->catch_up);
    isms_out_i64(t, s->catch_up_max);
    isms_out_bool(t, s->paused);
    isms_out_str(t, s->pause_reason);
    isms_out_str(t, s->paused_at);
    isms_out_str(t, s->paused_by);
    isms_out_i64(t, s->open_reviews);
    isms_out_bool(t, s->deleted);
    isms_out_i64(t, s->version);
    isms_out_str(t, s->created_at);
    isms_out_str(t, s->created_by);
}

static enum isms_code render_sched(struct isms_cli *cli, const struct isms_args *a,
                                   ProtobufCMessage *msg, struct isms_out *out,
                                   struct isms_status *st)
{
    (void)cli;
    (void)a;
    (void)st;
    add_sched(isms_out_record(out, "schedule", sched_cols, NCOLS(sched_cols)),
              (const Isms__V1__ScheduleRecord *)msg);
    return ISMS_OK;
}

static enum isms_code render_list(struct isms_cli *cli, const struct isms_args *a,
                                  ProtobufCMessage *msg, struct isms_out *out,
                                  struct isms_status *st)
{
    const Isms__V1__ListSchedulesResponse *r = (const Isms__V1__ListSchedulesResponse *)msg;
    struct isms_out_table *t = isms_out_list(out, "Schedules", list_cols, NCOLS(list_cols));

    (void)cli;
    (void)a;
    (void)st;
    for (size_t i = 0; i < r->n_schedules; i++) {
        const Isms__V1__ScheduleRecord *s = r->schedules[i];

        isms_out_row(t);
        isms_out_str(t, s->id);
        isms_out_str(t, s->title);
        isms_out_str(t, s->target_kind);
        isms_out_str(t, s->target_ref);
        isms_out_str(t, s->owner);
        isms_out_i64(t, s->every);
        isms_out_str(t, s->unit);
        isms_out_str(t, s->next_due);
        isms_out_bool(t, s->paused);
        isms_out_i64(t, s->open_reviews);
    }
    return ISMS_OK;
}

static const struct isms_flag create_flags[] = {
    {.name = "kind",
     .kind = ISMS_FLAG_ENUM,
     .choices = "risk|risk_level|asset|access|soa|task",
     .field = "target_kind",
     .opts = ISMS_OPT_REQUIRED | ISMS_OPT_OPEN,
     .help = "what is reviewed: a risk, all risks of a level, an asset, the accounts and their "
             "roles, the SoA, or a recurring task"},
    ISMS_F_STR("ref", "REF", "target_ref",
               "the risk (R-<n>), level name or asset (A-<n>) reviewed; none for the others"),
    ISMS_F_STR("title", "TEXT", "title", "what the review is called (required for a task)"),
    ISMS_F_STR("owner", "USER", "owner", "who does the reviews (default: you)"),
    {.name = "every",
     .kind = ISMS_FLAG_INT,
     .metavar = "N",
     .field = "every",
     .opts = ISMS_OPT_REQUIRED,
     .min = INT32_MIN,
     .max = INT32_MAX,
     .help = "the recurrence: every N units (1..1000)"},
    {.name = "unit",
     .kind = ISMS_FLAG_ENUM,
     .choices = "day|week|month|year|hour|minute|second",
     .field = "unit",
     .opts = ISMS_OPT_REQUIRED | ISMS_OPT_OPEN,
     .help = "the unit of --every; days and longer follow the calendar of the time zone"},
    ISMS_F_STR("start", "WHEN", "start",
               "the first occurrence: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]; not "
               "before today (default: one step from now)"),
    ISMS_F_STR("time-zone", "ZONE", "time_zone",
               "IANA time zone of the recurrence (default: the organisation's, UTC)"),
    {.name = "lead-days",
     .kind = ISMS_FLAG_INT,
     .metavar = "N",
     .field = "lead_days",
     .min = INT32_MIN,
     .max = INT32_MAX,
     .help = "create each review N days before it is due (0..366)"},
    {.name = "catch-up",
     .kind = ISMS_FLAG_ENUM,
     .choices = "one|each",
     .field = "catch_up",
     .opts = ISMS_OPT_OPEN,
     .help = "occurrences missed while no ismsd ran: one review for all (default), or one each"},
    {.name = "catch-up-max",
     .kind = ISMS_FLAG_INT,
     .metavar = "N",
     .field = "catch_up_max",
     .min = INT32_MIN,
     .max = INT32_MAX,
     .help = "with --catch-up each: at most the latest N missed occurrences (1..1000, default 10)"},
    {0},
};

static const struct isms_flag list_flags[] = {
    ISMS_F_BOOL("all", "include_deleted", "include deleted schedules"),
    {0},
};

static const struct isms_arg id_args[] = {{.name = "S-<n>", .field = "id"}, {0}};

static const struct isms_flag pause_flags[] = {
    {.name = "reason",
     .kind = ISMS_FLAG_STRING,
     .metavar = "TEXT",
     .field = "reason",
     .opts = ISMS_OPT_REQUIRED,
     .help = "why the schedule is paused"},
    {0},
};

static const struct isms_out_col tz_cols[] = {
    {"time_zone", ISMS_OUT_STR},
    {"local_now", ISMS_OUT_STR},
};

static enum isms_code render_tz(struct isms_cli *cli, const struct isms_args *a,
                                ProtobufCMessage *msg, struct isms_out *out, struct isms_status *st)
{
    const Isms__V1__TimeZoneSetting *z = (const Isms__V1__TimeZoneSetting *)msg;
    struct isms_out_table *t = isms_out_record(out, "time zone", tz_cols, NCOLS(tz_cols));

    (void)cli;
    (void)a;
    (void)st;
    isms_out_str(t, z->time_zone);
    isms_out_str(t, z->local_now);
    return ISMS_OK;
}

static const struct isms_arg tz_args[] = {{.name = "ZONE", .field = "time_zone"}, {0}};

static const struct isms_cmd schedule_cmds[] = {
    {.noun = "schedule",
     .verb = "create",
     .summary = "schedule reviews at planned intervals: what, who, how often, from when",
     .flags = create_flags,
     .req = &isms__v1__create_schedule_request__descriptor,
     .method = "/isms.v1.Schedule/Create",
     .resp = &isms__v1__schedule_record__descriptor,
     .render = render_sched},
    {.noun = "schedule",
     .verb = "list",
     .summary = "list the schedules with their next due time",
     .flags = list_flags,
     .req = &isms__v1__list_schedules_request__descriptor,
     .method = "/isms.v1.Schedule/List",
     .resp = &isms__v1__list_schedules_response__descriptor,
     .render = render_list},
    {.noun = "schedule",
     .verb = "show",
     .summary = "show one schedule",
     .args = id_args,
     .req = &isms__v1__get_schedule_request__descriptor,
     .method = "/isms.v1.Schedule/Get",
     .resp = &isms__v1__schedule_record__descriptor,
     .render = render_sched},
    {.noun = "schedule",
     .verb = "pause",
     .summary = "pause a schedule (no reviews are created until it is resumed)",
     .args = id_args,
     .flags = pause_flags,
     .req = &isms__v1__pause_schedule_request__descriptor,
     .method = "/isms.v1.Schedule/Pause",
     .resp = &isms__v1__schedule_record__descriptor,
     .render = render_sched},
    {.noun = "schedule",
     .verb = "resume",
     .summary = "resume a paused schedule from its next occurrence after now (those missed "
                "while paused get no review)",
     .args = id_args,
     .req = &isms__v1__resume_schedule_request__descriptor,
     .method = "/isms.v1.Schedule/Resume",
     .resp = &isms__v1__schedule_record__descriptor,
     .render = render_sched},
    {.noun = "schedule",
     .verb = "delete",
     .summary = "delete a schedule; its reviews are kept",
     .args = id_args,
     .req = &isms__v1__delete_schedule_request__descriptor,
     .method = "/isms.v1.Schedule/Delete",
     .resp = &isms__v1__schedule_record__descriptor,
     .render = render_sched},
    {.noun = "schedule",
     .verb = "timezone",
     .summary = "show the organisation's time zone (the default of new schedules) and its time",
     .req = &isms__v1__get_time_zone_request__descriptor,
     .method = "/isms.v1.Schedule/GetTimeZone",
     .resp = &isms__v1__time_zone_setting__descriptor,
     .render = render_tz},
    {.noun = "schedule",
     .verb = "timezone set",
     .summary = "set the organisation's time zone (IANA name); existing schedules keep theirs",
     .args = tz_args,
     .req = &isms__v1__set_time_zone_request__descriptor,
     .method = "/isms.v1.Schedule/SetTimeZone",
     .resp = &isms__v1__time_zone_setting__descriptor,
     .render = render_tz},
};

const struct isms_noun isms_noun_schedule = {
    "schedule",
    "reviews at planned intervals (ISO/IEC 27001 8.2, 9): risks, assets, access, SoA, tasks",
    schedule_cmds,
    NCOLS(schedule_cmds),
};
