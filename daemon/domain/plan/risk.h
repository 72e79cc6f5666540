/* domain/plan/risk.h — what the Risk service's two halves share: risk.c and risk_rpc.c (mutations)
 * and risk_read.c (Get, List, Matrix, PlanExport). A risk is read as one row of ISMS_RISK_NCOLS
 * columns (its children as arrays) and parsed into struct isms_risk_row in the call's arena. */
#ifndef ISMS_DOMAIN_PLAN_RISK_H
#define ISMS_DOMAIN_PLAN_RISK_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "core/arena.h"
#include "common/status.h"
#include "domain/domain.h"
#include "domain/plan/risk_rules.h"
#include "isms/v1/risk.pb-c.h"

struct isms_call;
struct isms_rows;

/* One risk `r` with the method version it was rated with `m` (LEFT JOINed on
 * m.version = r.method_version), in the order isms_risk_row_parse reads. */
/* Left unformatted: clang-format would cut these SQL fragments into four-character pieces. */
/* clang-format off */
#define ISMS_RISK_ACTION_ARRAY(expr)                                                            \
    " ARRAY(SELECT " expr " FROM risk_action x WHERE x.risk_num = r.num ORDER BY x.num)"
#define ISMS_RISK_COLS                                                                          \
    "r.num, r.title, r.description, r.threat, r.vulnerability, r.owner, r.existing_controls,"   \
    " coalesce(r.method_version, 0), coalesce(r.inherent_likelihood, 0),"                       \
    " coalesce(r.inherent_impact, 0), coalesce(r.inherent_score, 0),"                           \
    " coalesce(r.inherent_level, ''), r.treatment, coalesce(r.residual_likelihood, 0),"         \
    " coalesce(r.residual_impact, 0), coalesce(r.residual_score, 0),"                           \
    " coalesce(r.residual_level, ''), coalesce(m.appetite, 0), r.status,"                       \
    " coalesce(to_char(r.next_review, 'YYYY-MM-DD'), ''), r.accepted_by, "                      \
    ISMS_SQL_TS("r.accepted_at") ", r.acceptance_justification,"                                \
    " coalesce(r.accepted_score, 0), r.close_reason, r.version, "                               \
    ISMS_SQL_TS("r.created_at") ", r.created_by, " ISMS_SQL_TS("r.updated_at") ", r.updated_by," \
    " ARRAY(SELECT ra.asset_num FROM risk_asset ra WHERE ra.risk_num = r.num"                   \
    " ORDER BY ra.asset_num),"                                                                  \
    " ARRAY(SELECT ast.name FROM risk_asset ra JOIN asset ast ON ast.num = ra.asset_num"        \
    " WHERE ra.risk_num = r.num ORDER BY ra.asset_num),"                                        \
    " ARRAY(SELECT rc.control_id FROM risk_control rc WHERE rc.risk_num = r.num"                \
    " ORDER BY rc.added_at, rc.control_id),"                                                    \
    ISMS_RISK_ACTION_ARRAY("x.num") ","                                                          \
    ISMS_RISK_ACTION_ARRAY("x.description") ","                                                  \
    ISMS_RISK_ACTION_ARRAY("x.owner") ","                                                        \
    ISMS_RISK_ACTION_ARRAY("coalesce(to_char(x.due, 'YYYY-MM-DD'), '')") ","                     \
    ISMS_RISK_ACTION_ARRAY("x.status") ","                                                       \
    " coalesce(to_char(r.acceptance_expires, 'YYYY-MM-DD'), ''),"                               \
    " coalesce(r.pending_residual_likelihood, 0), coalesce(r.pending_residual_impact, 0),"      \
    " coalesce(r.pending_residual_score, 0), coalesce(r.pending_residual_level, ''),"           \
    " coalesce(r.pending_method_version, 0), r.pending_by,"                                     \
    " coalesce(" ISMS_SQL_TS("r.pending_at") ", ''),"                                            \
    " (SELECT count(*) FROM risk_control rc JOIN control c ON c.id = rc.control_id"             \
    " WHERE rc.risk_num = r.num AND c.status <> 'implemented'),"                                \
    " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
/* clang-format on */
#define ISMS_RISK_NCOLS 48

/* The current rating of risk `r` in SQL, as isms_risk_current() decides it: the residual once
 * the treatment is implemented (retain; or marked treated with every action done and every
 * selected control implemented), else the inherent. `c` is score or level. */
/* clang-format off */
#define ISMS_RISK_CURRENT_SQL(c)                                                                \
    "CASE WHEN r.residual_score IS NOT NULL AND (r.treatment = 'retain'"                        \
    " OR (r.treatment IN ('modify', 'avoid', 'share')"                                          \
    " AND r.status IN ('treated', 'accepted', 'closed')"                                        \
    " AND NOT EXISTS (SELECT 1 FROM risk_action x WHERE x.risk_num = r.num"                     \
    " AND x.status <> 'done')"                                                                  \
    " AND NOT EXISTS (SELECT 1 FROM risk_control rc JOIN control c ON c.id = rc.control_id"     \
    " WHERE rc.risk_num = r.num AND c.status <> 'implemented')"                                 \
    " AND (EXISTS (SELECT 1 FROM risk_control rc WHERE rc.risk_num = r.num)"                    \
    " OR EXISTS (SELECT 1 FROM risk_action x WHERE x.risk_num = r.num))))"                      \
    " THEN r.residual_" c " ELSE r.inherent_" c " END"
/* clang-format on */

/* A risk as stored. Strings are arena memory (never NULL); `s` holds what the rules need. */
struct isms_risk_row {
    int64_t num, version;
    char id[24]; /* "R-<num>" */
    const char *title, *description, *threat, *vulnerability, *existing_controls;
    const char *next_review, *accepted_at, *pending_at;
    const char *created_at, *created_by, *updated_at, *updated_by;
    size_t n_assets;
    int64_t *asset_nums;
    char **asset_names;
    size_t n_controls;
    char **controls;
    size_t n_actions;
    int64_t *action_nums;
    char **action_desc, **action_owner, **action_due, **action_status;
    struct isms_risk_state s;
};

/* Parses the ISMS_RISK_NCOLS columns of `row` from `col`. Level strings are copied too.
 * Errors: INTERNAL (does not parse), RESOURCE_EXHAUSTED. */
ISMS_MUSTCHECK enum isms_code isms_risk_row_parse(struct isms_arena *a, const struct isms_rows *res,
                                                  int row, int col, struct isms_risk_row *out,
                                                  struct isms_status *st);

/* The wire form of a parsed risk; NULL when memory runs out. */
Isms__V1__RiskRecord *isms_risk_row_to_pb(struct isms_arena *a, const struct isms_risk_row *r);

/* Reads risk `num` as it is now and answers the call with it. */
void isms_risk_reply(struct isms_call *call, int64_t num);

/* Read handlers (risk_read.c), registered by isms_risk_register in risk_rpc.c. */
void isms_risk_get(struct isms_call *call, const ProtobufCMessage *msg);
void isms_risk_list(struct isms_call *call, const ProtobufCMessage *msg);
void isms_risk_matrix(struct isms_call *call, const ProtobufCMessage *msg);
void isms_risk_plan_export(struct isms_call *call, const ProtobufCMessage *msg);

#endif
