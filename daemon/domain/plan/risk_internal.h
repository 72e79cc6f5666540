/* domain/plan/risk_internal.h — what risk.c (LOAD, decide, WRITE) and risk_rpc.c (the
 * mutation handlers and their request checks) share: one mutation's state and the entry point
 * that starts it. Internal to domain/plan/risk*.c. */
#ifndef ISMS_DOMAIN_PLAN_RISK_INTERNAL_H
#define ISMS_DOMAIN_PLAN_RISK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "domain/plan/method.h"
#include "domain/plan/risk.h"
#include "domain/plan/risk_rules.h"

struct isms_call;

enum isms_risk_op_kind {
    ISMS_RISK_OP_CREATE,
    ISMS_RISK_OP_UPDATE,
    ISMS_RISK_OP_ASSESS,
    ISMS_RISK_OP_TREAT,
    ISMS_RISK_OP_ACCEPT,
    ISMS_RISK_OP_CLOSE,
    ISMS_RISK_OP_CONFIRM,
};

/* One mutation in flight; lives in the call's arena. */
struct isms_risk_op {
    enum isms_risk_op_kind kind;
    const char *rpc; /* "/isms.v1.Risk/Update" */
    const void *in;  /* the decoded request */
    int64_t num;     /* 0 for Create */
    char id[24];
    int64_t expected; /* 0 = no version check */
    int set_owner;
    const char *owner; /* new owner to look up, or "" */
    int set_assets;
    size_t n_asset_refs;
    const char **asset_refs; /* as given, for messages */
    int64_t *asset_ref_nums;
    unsigned char *asset_ref_is_name;
    size_t n_add_controls, n_remove_controls;
    const char **add_controls, **remove_controls; /* normalised ids */
    int64_t *update_action_nums;                  /* Treat: action ids, parsed */
    struct isms_risk_method method;               /* the current method */
    struct isms_risk_row cur;                     /* as loaded */
    struct isms_risk_state next;                  /* as decided */
    int64_t *asset_nums;                          /* resolved, n_asset_refs of them */
    int64_t method_guard;                         /* rated with this version; 0 = none */
    const char *caller;                           /* the acting user (borrowed) */
};

/* Answers RESOURCE_EXHAUSTED: the call's memory ran out. */
void isms_risk_fail_oom(struct isms_call *call);

/* Starts operation `o` (the call's ctx from now on): LOAD, then decide and WRITE; the call is
 * answered in every case. */
void isms_risk_submit_load(struct isms_call *call, struct isms_risk_op *o);

#endif
