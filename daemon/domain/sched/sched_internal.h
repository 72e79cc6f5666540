/* domain/sched/sched_internal.h — what schedule.c and review.c share: the schedule and review
 * columns every read returns, and the helpers that turn those rows into messages. */
#ifndef ISMS_DOMAIN_SCHED_SCHED_INTERNAL_H
#define ISMS_DOMAIN_SCHED_SCHED_INTERNAL_H

#include "domain/domain.h"
#include "isms/v1/schedule.pb-c.h"

struct isms_call;
struct isms_rows;

/* Columns of a schedule `s` (22 of them), in the order isms_sched_from_row reads them. */
#define ISMS_SQL_SCHED_COLS                                                                        \
    "s.num, s.title, s.target_kind, s.target_ref, s.owner, s.every_n, s.every_unit,"               \
    " s.time_zone, " ISMS_SQL_TS("s.anchor") ", " ISMS_SQL_TS(                                     \
        "s.next_due") ", extract(day FROM s.lead)::int, s.catch_up, "                              \
                      "s.catch_up_max,"                                                            \
                      " (s.paused_at IS NOT NULL)::int, "                                          \
                      "s.pause_reason, " ISMS_SQL_TS("s.paused_at") ", s.paused_by, "              \
                                                                    "s.version, " ISMS_SQL_TS(     \
                                                                        "s.created_at") ", "       \
                                                                                        "s."       \
                                                                                        "created_" \
                                                                                        "by,"      \
                                                                                        " ("       \
                                                                                        "SELECT "  \
                                                                                        "count(*)" \
                                                                                        " FROM "   \
                                                                                        "review "  \
                                                                                        "r WHERE " \
                                                                                        "r."       \
                                                                                        "schedule" \
                                                                                        "_num"     \
                                                                                        " = "      \
                                                                                        "s.num "   \
                                                                                        "AND "     \
                                                                                        "r."       \
                                                                                        "status "  \
                                                                                        "= "       \
                                                                                        "'open')," \
                                                                                        " (s."     \
                                                                                        "deleted_" \
                                                                                        "at IS "   \
                                                                                        "NOT "     \
                                                                                        "NULL)::"  \
                                                                                        "int"

/* Columns of a review `r` (15), in the order isms_review_from_row reads them, from column
 * `first`. */
#define ISMS_SQL_REVIEW_COLS                                                                       \
    "r.num, r.schedule_num, r.title, r.target_kind, r.target_ref, r.owner, " ISMS_SQL_TS(          \
        "r.due_at") ", " ISMS_SQL_TS("r.created_at") ","                                           \
                                                     " CASE WHEN r.status = 'done' THEN 'done'"    \
                                                     " WHEN r.due_at < now() THEN 'overdue'"       \
                                                     " ELSE 'open' END, r.occurrences,"            \
                                                     " r.skipped, " ISMS_SQL_TS(                   \
                                                         "r.completed_at") ", r.completed_by,"     \
                                                                           " r.outcome,"           \
                                                                           " r.evidence"

/* A ScheduleRecord from row `row` of ISMS_SQL_SCHED_COLS starting at column `first`, in the
 * call's arena; NULL when memory ran out. */
Isms__V1__ScheduleRecord *isms_sched_from_row(struct isms_call *call, const struct isms_rows *res,
                                              int row, int first);

/* A ReviewRecord from row `row` of ISMS_SQL_REVIEW_COLS starting at column `first`; NULL when
 * memory ran out. */
Isms__V1__ReviewRecord *isms_review_from_row(struct isms_call *call, const struct isms_rows *res,
                                             int row, int first);

/* Answers RESOURCE_EXHAUSTED: the response does not fit the call's arena. */
void isms_sched_fail_oom(struct isms_call *call);

#endif
