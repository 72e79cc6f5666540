/* domain/plan/method.h — what method.c shares with risk.c: the SQL columns of a risk_method
 * row, parsing them into a struct isms_risk_method, and building the wire message.
 * Everything returned lives in the given arena (a call's). */
#ifndef ISMS_DOMAIN_PLAN_METHOD_H
#define ISMS_DOMAIN_PLAN_METHOD_H

#include "core/arena.h"
#include "common/status.h"
#include "domain/domain.h"
#include "domain/plan/method_rules.h"
#include "isms/v1/risk.pb-c.h"

struct isms_rows;

/* The columns of one risk_method row aliased `m`, in the order isms_method_from_row reads. */
#define ISMS_METHOD_COLS                                                                           \
    "m.version, m.computation, m.appetite, m.note, " ISMS_SQL_TS(                                  \
        "m.created_at") ", m.created_by, m.likelihood_labels, m.likelihood_descriptions,"          \
                        " m.impact_labels, m.impact_descriptions, m.matrix, m.level_names,"        \
                        " m.level_min, m.level_max"
#define ISMS_METHOD_NCOLS 14

/* Parses the ISMS_METHOD_NCOLS columns of `row` starting at `col` into `m`; strings are copied
 * into `a`. Errors: INTERNAL (a stored method that does not parse), RESOURCE_EXHAUSTED. */
ISMS_MUSTCHECK enum isms_code isms_method_from_row(struct isms_arena *a,
                                                   const struct isms_rows *res, int row, int col,
                                                   struct isms_risk_method *m,
                                                   struct isms_status *st);

/* The wire form of `m`, allocated in `a`; NULL when memory runs out. */
Isms__V1__RiskMethod *isms_method_to_pb(struct isms_arena *a, const struct isms_risk_method *m);

#endif
