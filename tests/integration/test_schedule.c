/* tests/integration/test_schedule.c — scheduled reviews against real ismsd instances and
 * PostgreSQL: exactly one review per occurrence across three instances; an instance killed
 * with SIGKILL while its claim waits loses and duplicates nothing; occurrences missed while no
 * ismsd ran are caught up as each schedule's policy says; the due decision is the database's
 * clock; completing a risk review writes a dated assessment; every bad input is refused. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "isms/v1/schedule.pb-c.h"
#include "testlib.h"

TestSuite(schedule, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define M_CREATE   "/isms.v1.Schedule/Create"
#define M_PAUSE    "/isms.v1.Schedule/Pause"
#define M_RESUME   "/isms.v1.Schedule/Resume"
#define M_GET      "/isms.v1.Schedule/Get"
#define M_DELETE   "/isms.v1.Schedule/Delete"
#define M_RLIST    "/isms.v1.Review/List"
#define M_RGET     "/isms.v1.Review/Get"
#define M_COMPLETE "/isms.v1.Review/Complete"

/* The audit chain's advisory lock (audit_append, schema/003): holding it stops every write
 * inside its audit_append, after its rows are locked and written but before it commits. */
#define AUDIT_LOCK_SQL   "SELECT pg_advisory_lock(1769172340)"
#define AUDIT_UNLOCK_SQL "SELECT pg_advisory_unlock(1769172340)"

struct sched_spec {
    const char *kind, *ref, *title, *owner, *unit, *start, *catch_up, *tz;
    int every, lead_days, catch_up_max;
};

/* Schedule/Create on `fd`; returns the code, and the schedule number in *num on success. */
static int create_sched(int fd, const struct sched_spec *s, long long *num,
                        struct isms_test_reply *out)
{
    Isms__V1__CreateScheduleRequest req = ISMS__V1__CREATE_SCHEDULE_REQUEST__INIT;
    struct isms_test_reply rep;
    int code;

    req.target_kind = (char *)s->kind;
    req.target_ref = (char *)(s->ref ? s->ref : "");
    req.title = (char *)(s->title ? s->title : "");
    req.owner = (char *)(s->owner ? s->owner : "");
    req.unit = (char *)s->unit;
    req.start = (char *)(s->start ? s->start : "");
    req.catch_up = (char *)(s->catch_up ? s->catch_up : "");
    req.time_zone = (char *)(s->tz ? s->tz : "");
    req.every = s->every;
    req.lead_days = s->lead_days;
    req.catch_up_max = s->catch_up_max;
    code =
        isms_test_unary(fd, M_CREATE, &req.base, 0, &isms__v1__schedule_record__descriptor, &rep);
    if (code == 0 && num != NULL)
        *num = strtoll(((Isms__V1__ScheduleRecord *)rep.body)->id + 2, NULL, 10);
    if (out != NULL)
        *out = rep;
    else
        isms_test_reply_cleanup(&rep);
    return code;
}

static long long scalar1(PGconn *pg, const char *sql, long long v)
{
    char buf[32];
    const char *p[1] = {buf};

    snprintf(buf, sizeof(buf), "%lld", v);
    return isms_test_pg_scalar(pg, sql, 1, p);
}

/* Polls until schedule `num` has at least `want` reviews; fails after timeout_ms. */
static void wait_reviews(PGconn *pg, long long num, long long want, int timeout_ms)
{
    int64_t end = isms_test_now_ms() + timeout_ms;
    long long n = 0;

    while (isms_test_now_ms() < end) {
        n = scalar1(pg, "SELECT count(*) FROM review WHERE schedule_num = $1::bigint", num);
        if (n >= want)
            return;
        isms_test_sleep_ms(100);
    }
    cr_assert_fail("schedule S-%lld has %lld reviews after %d ms, want %lld", num, n, timeout_ms,
                   want);
}

/* Pauses schedule `num` through `fd` (no more reviews after this commits). */
static void pause_sched(int fd, long long num)
{
    Isms__V1__PauseScheduleRequest req = ISMS__V1__PAUSE_SCHEDULE_REQUEST__INIT;
    struct isms_test_reply rep;
    char id[32];

    snprintf(id, sizeof(id), "S-%lld", num);
    req.id = id;
    req.reason = (char *)"test over";
    isms_test_unary(fd, M_PAUSE, &req.base, 0, &isms__v1__schedule_record__descriptor, &rep);
    isms_test_expect(&rep, 0, "", "Pause");
    isms_test_reply_cleanup(&rep);
}

/* Exactly one review per occurrence of schedule `num` (policy each), none lost, none
 * duplicated, one audit record each; returns how many there are. */
static long long check_exactly_once(PGconn *pg, long long num)
{
    long long occ = scalar1(pg, "SELECT occurrence FROM schedule WHERE num = $1::bigint", num);
    long long n = scalar1(pg, "SELECT count(*) FROM review WHERE schedule_num = $1::bigint", num);
    long long distinct = scalar1(
        pg, "SELECT count(DISTINCT due_at) FROM review WHERE schedule_num = $1::bigint", num);
    long long missing =
        scalar1(pg,
                "SELECT count(*) FROM schedule s, generate_series(0, s.occurrence - 1) k"
                " WHERE s.num = $1::bigint AND NOT EXISTS (SELECT 1 FROM review r"
                " WHERE r.schedule_num = s.num"
                " AND r.due_at = schedule_at(s.anchor, s.time_zone, s.every_n, s.every_unit, k))",
                num);
    long long unaudited = scalar1(pg,
                                  "SELECT count(*) FROM review r WHERE r.schedule_num = $1::bigint"
                                  " AND (SELECT count(*) FROM audit_log a"
                                  " WHERE a.entity = 'review:R-' || r.num) <> 1",
                                  num);

    cr_assert_eq(missing, 0, "%lld of %lld occurrences have no review", missing, occ);
    cr_assert_eq(n, occ, "%lld reviews for %lld occurrences", n, occ);
    cr_assert_eq(distinct, n, "%lld reviews but only %lld due times: duplicates", n, distinct);
    cr_assert_eq(unaudited, 0, "%lld reviews without exactly one audit record", unaudited);
    return n;
}

Test(schedule, three_instances_make_exactly_one_review_per_occurrence)
{
    struct isms_test_env env;
    struct isms_test_server b, c;
    const char *fast[] = {"--schedule-tick-ms=300", NULL};
    struct sched_spec s = {.kind = "task",
                           .title = "every second",
                           .unit = "second",
                           .every = 1,
                           .catch_up = "each",
                           .catch_up_max = 1000};
    PGconn *pg;
    long long num = 0, n, instances;
    int fd;

    isms_test_env_start(&env, fast);
    isms_test_server_start_db(&b, &env.db, fast);
    isms_test_server_start_db(&c, &env.db, NULL); /* the default tick, 1 s */
    fd = isms_test_connect(env.srv.port);
    pg = isms_test_pg_connect(env.db.conninfo);
    cr_assert_eq(create_sched(fd, &s, &num, NULL), 0);
    isms_test_sleep_ms(20000);
    pause_sched(fd, num);
    n = check_exactly_once(pg, num);
    cr_assert_geq(n, 15, "only %lld reviews in 20 s of a schedule due every second", n);
    instances = isms_test_pg_scalar(pg,
                                    "SELECT count(DISTINCT source) FROM audit_log"
                                    " WHERE actor = 'ismsd:scheduler'",
                                    0, NULL);
    cr_log_info("%lld reviews, created by %lld instances", n, instances);
    isms_test_pg_exec(pg, "SELECT 1");
    isms_test_server_stop(&b);
    isms_test_server_stop(&c);
    isms_test_finish();
}

Test(schedule, instance_killed_while_claiming_loses_and_duplicates_nothing)
{
    struct isms_test_env env;
    struct isms_test_server srv[3];
    const char *fast[] = {"--schedule-tick-ms=200", NULL};
    struct sched_spec s = {.kind = "task",
                           .title = "every second",
                           .unit = "second",
                           .every = 1,
                           .catch_up = "each",
                           .catch_up_max = 1000};
    const char *off[] = {"--schedule-tick-ms=0", NULL};
    char conninfo[3][1200], role[3][64], name[64];
    PGconn *pg, *lock, *mon;
    PGresult *res;
    long long num = 0, before_kill, after;
    int fd, victim = -1;

    /* The bootstrap instance has no scheduler; three more share the database, each as its
     * own database role, so pg_stat_activity tells which one's claim is waiting. */
    isms_test_env_start(&env, off);
    fd = isms_test_connect(env.srv.port);
    pg = isms_test_pg_connect(env.db.conninfo);
    mon = isms_test_pg_connect(env.db.conninfo);
    for (int i = 0; i < 3; i++) {
        char sql[200];

        snprintf(role[i], sizeof(role[i]), "sched_%ld_%d", (long)getpid(), i);
        snprintf(sql, sizeof(sql), "DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN SUPERUSER",
                 role[i], role[i]);
        isms_test_pg_exec(pg, sql);
        snprintf(conninfo[i], sizeof(conninfo[i]), "%s user=%s", env.db.conninfo, role[i]);
        isms_test_server_start(&srv[i], conninfo[i], fast);
    }
    cr_assert_eq(create_sched(fd, &s, &num, NULL), 0);
    wait_reviews(pg, num, 3, 20000);

    /* Stop every claim inside audit_append: the one claiming holds the schedule locked, with
     * its reviews written but not committed. Kill that instance. */
    lock = isms_test_pg_connect(env.db.conninfo);
    isms_test_pg_exec(lock, AUDIT_LOCK_SQL);
    for (int64_t end = isms_test_now_ms() + 20000; victim < 0 && isms_test_now_ms() < end;) {
        res = PQexec(mon, "SELECT usename FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                          " AND usename LIKE 'sched\\_%' AND datname = current_database() LIMIT 1");
        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
            snprintf(name, sizeof(name), "%s", PQgetvalue(res, 0, 0));
            for (int i = 0; i < 3; i++) {
                if (strcmp(name, role[i]) == 0)
                    victim = i;
            }
        }
        PQclear(res);
        if (victim < 0)
            isms_test_sleep_ms(50);
    }
    cr_assert(victim >= 0 && victim < 3, "no instance's claim waited for the audit lock");
    before_kill = scalar1(pg, "SELECT count(*) FROM review WHERE schedule_num = $1::bigint", num);
    isms_test_server_kill(&srv[victim]);
    isms_test_sleep_ms(1500); /* more occurrences fall due while the claim is stuck */
    isms_test_pg_exec(lock, AUDIT_UNLOCK_SQL);
    isms_test_pg_close(lock);

    /* The survivors carry on from wherever the killed claim left the schedule. */
    wait_reviews(pg, num, before_kill + 4, 20000);
    pause_sched(fd, num);
    after = check_exactly_once(pg, num);
    cr_log_info("killed instance %d with %lld reviews; %lld after", victim, before_kill, after);
    for (int i = 0; i < 3; i++) {
        if (i != victim)
            isms_test_server_stop(&srv[i]);
    }
    isms_test_finish();
}

Test(schedule, missed_occurrences_are_caught_up_as_the_policy_says)
{
    struct isms_test_env env;
    struct isms_test_server again;
    struct sched_spec one = {.kind = "access", .unit = "day", .every = 1, .catch_up = "one"};
    struct sched_spec each2 = {
        .kind = "soa", .unit = "day", .every = 1, .catch_up = "each", .catch_up_max = 2};
    struct sched_spec each10 = {
        .kind = "soa", .unit = "day", .every = 1, .catch_up = "each", .catch_up_max = 10};
    long long n1 = 0, n2 = 0, n3 = 0;
    PGconn *pg;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    pg = isms_test_pg_connect(env.db.conninfo);
    /* First occurrence tomorrow at 00:00 (UTC): nothing is due yet. */
    cr_assert_eq(create_sched(fd, &one, &n1, NULL), 0);
    cr_assert_eq(create_sched(fd, &each2, &n2, NULL), 0);
    cr_assert_eq(create_sched(fd, &each10, &n3, NULL), 0);
    isms_test_close(fd);
    isms_test_server_stop(&env.srv);

    /* Three days without ismsd: as if the schedules were made three days earlier. Due now:
     * two days ago, yesterday and today at 00:00. */
    isms_test_pg_exec(pg, "UPDATE schedule SET anchor = anchor - interval '3 days',"
                          " next_due = next_due - interval '3 days',"
                          " fire_at = fire_at - interval '3 days'");
    isms_test_server_start_db(&again, &env.db, NULL);
    wait_reviews(pg, n1, 1, 20000);
    wait_reviews(pg, n2, 2, 20000);
    wait_reviews(pg, n3, 3, 20000);
    isms_test_sleep_ms(2500); /* a few more ticks: still nothing more */

    cr_assert_eq(scalar1(pg, "SELECT count(*) FROM review WHERE schedule_num = $1::bigint", n1), 1,
                 "policy one: one review for the three missed occurrences");
    cr_assert_eq(scalar1(pg, "SELECT occurrences FROM review WHERE schedule_num = $1::bigint", n1),
                 3, "the review stands for three occurrences");
    cr_assert_eq(scalar1(pg,
                         "SELECT count(*) FROM review WHERE schedule_num = $1::bigint"
                         " AND due_at = date_trunc('day', now() AT TIME ZONE 'UTC')"
                         " AT TIME ZONE 'UTC'",
                         n1),
                 1, "policy one: the review is for the latest occurrence (today)");
    cr_assert_eq(scalar1(pg, "SELECT count(*) FROM review WHERE schedule_num = $1::bigint", n2), 2,
                 "policy each, at most 2: two reviews");
    cr_assert_eq(scalar1(pg, "SELECT sum(skipped) FROM review WHERE schedule_num = $1::bigint", n2),
                 1, "policy each, at most 2: the oldest occurrence is recorded as skipped");
    cr_assert_eq(scalar1(pg, "SELECT count(*) FROM review WHERE schedule_num = $1::bigint", n3), 3,
                 "policy each, at most 10: one review per missed occurrence");
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM schedule WHERE next_due <>"
                                     " (date_trunc('day', now() AT TIME ZONE 'UTC')"
                                     " + interval '1 day') AT TIME ZONE 'UTC'",
                                     0, NULL),
                 0, "every schedule's next occurrence is tomorrow");
    isms_test_server_stop(&again);
    isms_test_finish();
}

Test(schedule, the_due_decision_is_the_databases_clock)
{
    struct isms_test_env env;
    struct sched_spec s = {.kind = "access", .unit = "day", .every = 1};
    long long soon = 0, later = 0;
    PGconn *pg;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    pg = isms_test_pg_connect(env.db.conninfo);
    cr_assert_eq(create_sched(fd, &s, &soon, NULL), 0);
    cr_assert_eq(create_sched(fd, &s, &later, NULL), 0);
    /* Due times set by the database's clock only: ismsd never compares with its own. */
    isms_test_pg_exec(pg, "UPDATE schedule SET anchor = now() + interval '2 seconds',"
                          " next_due = now() + interval '2 seconds',"
                          " fire_at = now() + interval '2 seconds' WHERE num = 1");
    isms_test_pg_exec(pg, "UPDATE schedule SET anchor = now() + interval '1 hour',"
                          " next_due = now() + interval '1 hour',"
                          " fire_at = now() + interval '1 hour' WHERE num = 2");
    cr_assert_eq(soon, 1);
    cr_assert_eq(later, 2);
    wait_reviews(pg, soon, 1, 20000);
    isms_test_sleep_ms(2500);
    cr_assert_eq(scalar1(pg,
                         "SELECT count(*) FROM review r JOIN schedule s ON s.num = r.schedule_num"
                         " WHERE r.schedule_num = $1::bigint AND r.due_at = s.anchor"
                         " AND r.created_at >= r.due_at",
                         soon),
                 1, "one review, for the due time the database set, made once it had passed");
    cr_assert_eq(scalar1(pg, "SELECT count(*) FROM review WHERE schedule_num = $1::bigint", later),
                 0, "a schedule due in an hour of database time has no review yet");
    isms_test_finish();
}

Test(schedule, completing_a_risk_review_writes_a_dated_assessment)
{
    struct isms_test_env env;
    struct sched_spec s = {.kind = "risk", .ref = "R-1", .unit = "month", .every = 6};
    Isms__V1__CompleteReviewRequest creq = ISMS__V1__COMPLETE_REVIEW_REQUEST__INIT;
    Isms__V1__GetReviewRequest greq = ISMS__V1__GET_REVIEW_REQUEST__INIT;
    const Isms__V1__ReviewRecord *r;
    struct isms_test_reply rep;
    long long num = 0;
    PGconn *pg;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    pg = isms_test_pg_connect(env.db.conninfo);
    isms_test_pg_exec(pg, "INSERT INTO risk (title, owner, method_version, inherent_likelihood,"
                          " inherent_impact, inherent_score, inherent_level, status) VALUES"
                          " ('Ransomware', 'admin', 1, 3, 4, 12, 'high', 'assessed')");
    cr_assert_eq(create_sched(fd, &s, &num, NULL), 0);
    isms_test_pg_exec(pg, "UPDATE schedule SET anchor = now(), next_due = now(), fire_at = now()");
    wait_reviews(pg, num, 1, 20000);

    greq.id = (char *)"R-1";
    isms_test_unary(fd, M_RGET, &greq.base, 0, &isms__v1__review_record__descriptor, &rep);
    isms_test_expect(&rep, 0, "", "Review/Get");
    r = (const Isms__V1__ReviewRecord *)rep.body;
    cr_assert_eq(r->n_risks, 1);
    cr_assert_str_eq(r->risks[0]->risk_id, "R-1");
    cr_assert_str_eq(r->risks[0]->level, "high");
    cr_assert_str_eq(r->risks[0]->assessed_at, "", "open: live ratings, not yet assessed");
    isms_test_reply_cleanup(&rep);

    creq.id = (char *)"R-1";
    creq.outcome = (char *)"confirmed";
    creq.evidence = (char *)"https://wiki.example/risk-review-2026";
    isms_test_unary(fd, M_COMPLETE, &creq.base, 0, &isms__v1__review_record__descriptor, &rep);
    isms_test_expect(&rep, 0, "", "Review/Complete");
    r = (const Isms__V1__ReviewRecord *)rep.body;
    cr_assert_str_eq(r->state, "done");
    cr_assert_str_eq(r->completed_by, "admin");
    cr_assert_str_eq(r->outcome, "confirmed");
    cr_assert_eq(r->n_risks, 1);
    cr_assert_neq(r->risks[0]->assessed_at[0], '\0', "done: the assessment record's date");
    isms_test_reply_cleanup(&rep);

    /* The record keeps the ratings of that day, whatever happens to the risk later. */
    isms_test_pg_exec(pg, "UPDATE risk SET inherent_score = 20, inherent_level = 'critical'");
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM risk_assessment WHERE risk_num = 1"
                                     " AND review_num = 1 AND ratings ->> 'score' = '12'"
                                     " AND ratings ->> 'level' = 'high' AND assessed_by = 'admin'"
                                     " AND outcome = 'confirmed' AND assessed_at IS NOT NULL",
                                     0, NULL),
                 1);
    isms_test_unary(fd, M_RGET, &greq.base, 0, &isms__v1__review_record__descriptor, &rep);
    isms_test_expect(&rep, 0, "", "Review/Get after");
    cr_assert_str_eq(((const Isms__V1__ReviewRecord *)rep.body)->risks[0]->level, "high");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(schedule, bad_inputs_are_refused_with_clear_codes)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    char token[256];
    long long num = 0;
    PGconn *pg;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    pg = isms_test_pg_connect(env.db.conninfo);
    isms_test_user_create(fd, "kim", "contributor", "Tall-Maple-Harbor-42");
    isms_test_user_create(fd, "vic", "viewer", "Quiet-River-Stone-77");

    struct {
        struct sched_spec s;
        int code;
        const char *needle;
    } bad[] = {
        {{.kind = "task", .title = "t", .unit = "day", .every = 0}, 3, "every must be between 1"},
        {{.kind = "task", .title = "t", .unit = "day", .every = -2}, 3, "every must be between 1"},
        {{.kind = "task", .title = "t", .unit = "fortnight", .every = 1}, 3, "unit must be"},
        {{.kind = "planet", .unit = "day", .every = 1}, 3, "target_kind must be"},
        {{.kind = "task", .unit = "day", .every = 1}, 3, "title is required"},
        {{.kind = "access", .unit = "day", .every = 1, .owner = "nobody"},
         5,
         "owner \"nobody\" does not exist"},
        {{.kind = "risk", .ref = "R-42", .unit = "day", .every = 1},
         5,
         "risk \"R-42\" does not exist"},
        {{.kind = "risk", .ref = "ransomware", .unit = "day", .every = 1}, 3, "R-<n>"},
        {{.kind = "asset", .ref = "A-7", .unit = "day", .every = 1}, 5, "asset \"A-7\""},
        {{.kind = "risk_level", .ref = "apocalyptic", .unit = "day", .every = 1}, 5, "not a level"},
        {{.kind = "access", .ref = "A-1", .unit = "day", .every = 1}, 3, "must be empty"},
        {{.kind = "access", .unit = "day", .every = 1, .start = "2020-01-01"}, 3, "is in the past"},
        {{.kind = "access", .unit = "day", .every = 1, .start = "2027-02-30"}, 3, "start must be"},
        {{.kind = "access", .unit = "day", .every = 1, .start = "tomorrow"}, 3, "start must be"},
        {{.kind = "access", .unit = "day", .every = 1, .tz = "Mars/Olympus"},
         3,
         "time zone \"Mars/Olympus\" is not known"},
        {{.kind = "access", .unit = "day", .every = 1, .tz = "'; DROP"}, 3, "is not a time zone"},
        {{.kind = "access", .unit = "day", .every = 1, .lead_days = -1}, 3, "lead_days"},
        {{.kind = "access", .unit = "day", .every = 1, .catch_up = "all"}, 3, "catch_up must"},
        {{.kind = "access", .unit = "day", .every = 1, .catch_up_max = 5000},
         3,
         "catch_up_max must"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char what[64];

        snprintf(what, sizeof(what), "bad schedule %zu", i);
        create_sched(fd, &bad[i].s, NULL, &rep);
        isms_test_expect(&rep, bad[i].code, bad[i].needle, what);
        isms_test_reply_cleanup(&rep);
    }
    cr_assert_eq(isms_test_pg_scalar(pg, "SELECT count(*) FROM schedule", 0, NULL), 0);

    /* A valid one in a real zone, due every second from now; then state changes. */
    struct sched_spec ok = {.kind = "access", .unit = "second", .every = 1, .tz = "Europe/Berlin"};
    cr_assert_eq(create_sched(fd, &ok, &num, NULL), 0);
    wait_reviews(pg, num, 1, 20000);
    {
        Isms__V1__PauseScheduleRequest p = ISMS__V1__PAUSE_SCHEDULE_REQUEST__INIT;
        Isms__V1__ResumeScheduleRequest r = ISMS__V1__RESUME_SCHEDULE_REQUEST__INIT;
        Isms__V1__DeleteScheduleRequest d = ISMS__V1__DELETE_SCHEDULE_REQUEST__INIT;
        Isms__V1__GetScheduleRequest g = ISMS__V1__GET_SCHEDULE_REQUEST__INIT;

        p.id = (char *)"S-1";
        p.reason = (char *)"";
        isms_test_unary(fd, M_PAUSE, &p.base, 0, NULL, &rep);
        isms_test_expect(&rep, 3, "reason", "pause without a reason");
        isms_test_reply_cleanup(&rep);
        p.reason = (char *)"audit week";
        isms_test_unary(fd, M_PAUSE, &p.base, 0, NULL, &rep);
        isms_test_expect(&rep, 0, "", "pause");
        isms_test_reply_cleanup(&rep);
        isms_test_unary(fd, M_PAUSE, &p.base, 0, NULL, &rep);
        isms_test_expect(&rep, 9, "already paused", "pause of a paused schedule");
        isms_test_reply_cleanup(&rep);
        r.id = (char *)"S-1";
        isms_test_unary(fd, M_RESUME, &r.base, 0, NULL, &rep);
        isms_test_expect(&rep, 0, "", "resume");
        isms_test_reply_cleanup(&rep);
        isms_test_unary(fd, M_RESUME, &r.base, 0, NULL, &rep);
        isms_test_expect(&rep, 9, "not paused", "resume of a running schedule");
        isms_test_reply_cleanup(&rep);
        g.id = (char *)"S-99";
        isms_test_unary(fd, M_GET, &g.base, 0, NULL, &rep);
        isms_test_expect(&rep, 5, "schedule \"S-99\" does not exist", "get unknown");
        isms_test_reply_cleanup(&rep);
        g.id = (char *)"schedule one";
        isms_test_unary(fd, M_GET, &g.base, 0, NULL, &rep);
        isms_test_expect(&rep, 3, "S-<n>", "get malformed id");
        isms_test_reply_cleanup(&rep);
        d.id = (char *)"S-1";
        isms_test_unary(fd, M_DELETE, &d.base, 0, NULL, &rep);
        isms_test_expect(&rep, 0, "", "delete");
        isms_test_reply_cleanup(&rep);
        isms_test_unary(fd, M_DELETE, &d.base, 0, NULL, &rep);
        isms_test_expect(&rep, 5, "does not exist", "delete twice");
        isms_test_reply_cleanup(&rep);
        isms_test_unary(fd, M_RESUME, &r.base, 0, NULL, &rep);
        isms_test_expect(&rep, 5, "does not exist", "resume of a deleted schedule");
        isms_test_reply_cleanup(&rep);
    }

    /* Reviews: bad outcome, unknown review, someone else's review without the role. */
    {
        Isms__V1__CompleteReviewRequest c = ISMS__V1__COMPLETE_REVIEW_REQUEST__INIT;
        int kfd;

        c.id = (char *)"R-1";
        c.outcome = (char *)"looks fine";
        isms_test_unary(fd, M_COMPLETE, &c.base, 0, NULL, &rep);
        isms_test_expect(&rep, 3, "outcome must be", "bad outcome");
        isms_test_reply_cleanup(&rep);
        c.outcome = (char *)"";
        isms_test_unary(fd, M_COMPLETE, &c.base, 0, NULL, &rep);
        isms_test_expect(&rep, 3, "outcome is required", "no outcome");
        isms_test_reply_cleanup(&rep);
        c.outcome = (char *)"confirmed";
        c.id = (char *)"R-999";
        isms_test_unary(fd, M_COMPLETE, &c.base, 0, NULL, &rep);
        isms_test_expect(&rep, 5, "review \"R-999\" does not exist", "unknown review");
        isms_test_reply_cleanup(&rep);

        cr_assert_eq(
            isms_test_login(env.srv.port, "kim", "Tall-Maple-Harbor-42", token, sizeof(token)), 0);
        kfd = isms_test_connect(env.srv.port);
        isms_test_set_token(token);
        c.id = (char *)"R-1";
        isms_test_unary(kfd, M_COMPLETE, &c.base, 0, NULL, &rep);
        isms_test_expect(&rep, 7, "belongs to \"admin\"", "someone else's review");
        isms_test_reply_cleanup(&rep);
        create_sched(kfd, &ok, NULL, &rep);
        isms_test_expect(&rep, 7, "", "a contributor creates a schedule");
        isms_test_reply_cleanup(&rep);
        cr_assert_eq(
            isms_test_pg_scalar(pg, "SELECT count(*) FROM review WHERE status = 'done'", 0, NULL),
            0);
        isms_test_close(kfd);

        cr_assert_eq(
            isms_test_login(env.srv.port, "vic", "Quiet-River-Stone-77", token, sizeof(token)), 0);
        kfd = isms_test_connect(env.srv.port);
        isms_test_set_token(token);
        isms_test_unary(kfd, M_COMPLETE, &c.base, 0, NULL, &rep);
        isms_test_expect(&rep, 7, "", "a viewer completes a review");
        isms_test_reply_cleanup(&rep);
        isms_test_close(kfd);
    }

    /* The server still serves. */
    {
        char status[32];

        cr_assert_eq(isms_test_health(env.srv.port, status, sizeof(status)), 0);
    }
    isms_test_finish();
}

Test(schedule, ismsctl_schedule_and_review_commands)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    PGconn *pg;
    const char *login[] = {"login", ISMS_TEST_ADMIN_USER, "--password-stdin", NULL};
    const char *create[] = {"schedule", "create",     "--kind", "access", "--every", "1", "--unit",
                            "second",   "--catch-up", "one",    "-o",     "json",    NULL};
    const char *bad[] = {"schedule", "create", "--kind", "access", "--every",
                         "0",        "--unit", "day",    NULL};
    const char *list[] = {"review", "list", "--due", "--mine", "-o", "csv", NULL};
    const char *show[] = {"review", "show", "R-1", NULL};
    const char *complete[] = {"review",  "complete",   "R-1",       "--outcome",
                              "changed", "--evidence", "ticket 42", NULL};
    const char *slist[] = {"schedule", "list", NULL};
    const char *help[] = {"schedule", "create", "--help", NULL};

    isms_test_env_start(&env, NULL);
    pg = isms_test_pg_connect(env.db.conninfo);
    isms_test_ismsctl_expect(&p, env.srv.port, 0, ISMS_TEST_ADMIN_PASSWORD "\n", NULL, login);
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, env.srv.port, 0, NULL, NULL, create);
    cr_assert(strstr(p.out, "\"id\": \"S-1\"") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl(&p, env.srv.port, bad);
    cr_assert_neq(p.exit_code, 0);
    cr_assert(strstr(p.err, "INVALID_ARGUMENT: every must be between 1 and 1000, got 0") != NULL,
              "%s", p.err);
    isms_test_proc_cleanup(&p);
    wait_reviews(pg, 1, 1, 20000);
    isms_test_pg_exec(pg, "UPDATE schedule SET paused_at = now()");
    isms_test_ismsctl_expect(&p, env.srv.port, 0, NULL, NULL, list);
    cr_assert(strncmp(p.out, "id,schedule_id,title,owner,due_at,state,occurrences", 51) == 0, "%s",
              p.out);
    cr_assert(strstr(p.out, "R-1,S-1,") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, env.srv.port, 0, NULL, NULL, show);
    cr_assert(strstr(p.out, "Accounts to confirm or change") != NULL, "%s", p.out);
    cr_assert(strstr(p.out, "admin") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, env.srv.port, 0, NULL, NULL, complete);
    cr_assert(strstr(p.out, "ticket 42") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM access_review_entry"
                                     " WHERE review_num = 1 AND user_name = 'admin'",
                                     0, NULL),
                 1, "the completed access review keeps the accounts as confirmed");
    isms_test_ismsctl_expect(&p, env.srv.port, 0, NULL, NULL, slist);
    cr_assert(strstr(p.out, "S-1") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, env.srv.port, 0, NULL, NULL, help);
    cr_assert(strstr(p.out, "--catch-up") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

Test(schedule, organisation_time_zone_and_dst)
{
    struct isms_test_env env;
    Isms__V1__SetTimeZoneRequest req = ISMS__V1__SET_TIME_ZONE_REQUEST__INIT;
    struct sched_spec s = {.kind = "soa", .unit = "day", .every = 1, .start = "2027-03-27T09:00"};
    struct sched_spec m = {.kind = "soa", .unit = "month", .every = 1, .start = "2027-01-31"};
    struct isms_test_reply rep;
    long long num = 0, mnum = 0;
    PGconn *pg;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    pg = isms_test_pg_connect(env.db.conninfo);
    req.time_zone = (char *)"Mars/Olympus";
    isms_test_unary(fd, "/isms.v1.Schedule/SetTimeZone", &req.base, 0, NULL, &rep);
    isms_test_expect(&rep, 3, "time zone \"Mars/Olympus\" is not known", "unknown zone");
    isms_test_reply_cleanup(&rep);
    req.time_zone = (char *)"Europe/Berlin";
    isms_test_unary(fd, "/isms.v1.Schedule/SetTimeZone", &req.base, 0,
                    &isms__v1__time_zone_setting__descriptor, &rep);
    isms_test_expect(&rep, 0, "", "SetTimeZone");
    cr_assert_str_eq(((Isms__V1__TimeZoneSetting *)rep.body)->time_zone, "Europe/Berlin");
    isms_test_reply_cleanup(&rep);

    /* 09:00 in Berlin stays 09:00 across the change to summer time (2027-03-28). */
    cr_assert_eq(create_sched(fd, &s, &num, NULL), 0);
    cr_assert_eq(scalar1(pg,
                         "SELECT count(*) FROM schedule WHERE num = $1::bigint"
                         " AND time_zone = 'Europe/Berlin'"
                         " AND anchor = '2027-03-27 08:00:00+00'"
                         " AND schedule_at(anchor, time_zone, every_n, every_unit, 1)"
                         " = '2027-03-28 07:00:00+00'"
                         " AND schedule_at(anchor, time_zone, every_n, every_unit, 2)"
                         " = '2027-03-29 07:00:00+00'",
                         num),
                 1, "daily occurrences keep the local time across DST");
    /* Monthly from the 31st: the month's last day, never drifting to the 28th. */
    cr_assert_eq(create_sched(fd, &m, &mnum, NULL), 0);
    cr_assert_eq(scalar1(pg,
                         "SELECT count(*) FROM schedule WHERE num = $1::bigint"
                         " AND (schedule_at(anchor, time_zone, every_n, every_unit, 1)"
                         " AT TIME ZONE 'Europe/Berlin')::date = '2027-02-28'"
                         " AND (schedule_at(anchor, time_zone, every_n, every_unit, 2)"
                         " AT TIME ZONE 'Europe/Berlin')::date = '2027-03-31'",
                         mnum),
                 1, "monthly occurrences from the 31st");
    isms_test_finish();
}
