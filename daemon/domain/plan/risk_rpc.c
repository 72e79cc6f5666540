/* domain/plan/risk_rpc.c — the isms.v1.Risk mutation handlers (Create, Update, Assess, Treat,
 * Accept, Close, ConfirmResidual) and the service's registration: each checks its request before
 * any SQL, builds a struct isms_risk_op and hands it to risk.c (LOAD, decide, WRITE). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/roles.h"
#include "core/text.h"
#include "domain/domain.h"
#include "domain/plan/risk.h"
#include "domain/plan/risk_internal.h"
#include "domain/plan/risk_rules.h"
#include "rpc/call.h"
#include "rpc/registry.h"
#include "rpc/server.h"

/* "A.5.15" is taken as "5.15": the catalogue stores Annex A ids without the "A.". */
static const char *control_id(const char *s)
{
    if ((s[0] == 'A' || s[0] == 'a') && s[1] == '.' && s[2] >= '0' && s[2] <= '9')
        return s + 2;
    return s;
}

/* ---- request checks (before any SQL) ---------------------------------------------------- */

static enum isms_code check_text_fields(const char *title, int title_set, const char *description,
                                        const char *threat, const char *vulnerability,
                                        const char *existing, struct isms_status *st)
{
    if ((title_set && isms_text_check("title", title, ISMS_RISK_TITLE_MAX, 1, st) != ISMS_OK) ||
        isms_text_check("description", description, ISMS_RISK_TEXT_MAX, 0, st) != ISMS_OK ||
        isms_text_check("threat", threat, ISMS_RISK_TEXT_MAX, 0, st) != ISMS_OK ||
        isms_text_check("vulnerability", vulnerability, ISMS_RISK_TEXT_MAX, 0, st) != ISMS_OK ||
        isms_text_check("existing controls", existing, ISMS_RISK_TEXT_MAX, 0, st) != ISMS_OK)
        return st->code;
    return ISMS_OK;
}

static enum isms_code check_owner_name(const char *owner, struct isms_status *st)
{
    if (isms_text_check("owner", owner, 64, 1, st) != ISMS_OK)
        return st->code;
    return ISMS_OK;
}

/* Splits asset references into numbers (A-<n>) and names for SQL_RISK_LOAD. */
static enum isms_code take_asset_refs(struct isms_call *call, struct isms_risk_op *o, char **refs,
                                      size_t n, struct isms_status *st)
{
    if (n > ISMS_RISK_LIST_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "at most %d assets per risk, got %zu",
                               ISMS_RISK_LIST_MAX, n);
    o->n_asset_refs = n;
    o->asset_refs = isms_arena_calloc(&call->arena, sizeof(char *) * (n + 1));
    o->asset_ref_nums = isms_arena_calloc(&call->arena, sizeof(int64_t) * (n + 1));
    o->asset_ref_is_name = isms_arena_calloc(&call->arena, n + 1);
    if (o->asset_refs == NULL || o->asset_ref_nums == NULL || o->asset_ref_is_name == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t k = 0; k < n; k++) {
        if (isms_text_check("asset", refs[k], ISMS_RISK_REF_MAX, 1, st) != ISMS_OK)
            return st->code;
        o->asset_refs[k] = refs[k];
        o->asset_ref_is_name[k] = !isms_plan_parse_id("A", refs[k], &o->asset_ref_nums[k]);
    }
    o->set_assets = 1;
    return ISMS_OK;
}

/* Checks and normalises control ids; `what` is "add" or "remove". */
static enum isms_code take_controls(struct isms_call *call, char **ids, size_t n, const char ***out,
                                    struct isms_status *st)
{
    if (n > ISMS_RISK_LIST_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "at most %d controls per request, got %zu", ISMS_RISK_LIST_MAX, n);
    *out = isms_arena_calloc(&call->arena, sizeof(char *) * (n + 1));
    if (*out == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t k = 0; k < n; k++) {
        if (isms_text_check("control id", ids[k], ISMS_RISK_REF_MAX, 1, st) != ISMS_OK)
            return st->code;
        (*out)[k] = control_id(ids[k]);
    }
    return ISMS_OK;
}

/* A new op for risk `id` (NULL for Create). Fails the call and returns NULL on bad input. */
static struct isms_risk_op *op_new(struct isms_call *call, enum isms_risk_op_kind kind,
                                   const char *rpc, const void *in, const char *id,
                                   int64_t expected)
{
    struct isms_risk_op *o = isms_arena_calloc(&call->arena, sizeof(*o));
    struct isms_status st;

    if (o == NULL) {
        isms_risk_fail_oom(call);
        return NULL;
    }
    o->kind = kind;
    o->rpc = rpc;
    o->in = in;
    o->expected = expected;
    o->owner = "";
    o->asset_refs = NULL;
    snprintf(o->id, sizeof(o->id), "%s", "the new risk");
    if (id != NULL) {
        if (isms_plan_check_id("R", "risk", id, &o->num, &st) != ISMS_OK) {
            isms_call_fail_status(call, &st);
            return NULL;
        }
        snprintf(o->id, sizeof(o->id), "R-%" PRId64, o->num);
    }
    if (expected < 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "expected_version must not be negative");
        return NULL;
    }
    if (take_asset_refs(call, o, NULL, 0, &st) != ISMS_OK ||
        take_controls(call, NULL, 0, &o->add_controls, &st) != ISMS_OK ||
        take_controls(call, NULL, 0, &o->remove_controls, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return NULL;
    }
    o->set_assets = 0;
    return o;
}

/* ---- handlers ---------------------------------------------------------------------------- */

static void risk_create(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__CreateRiskRequest *in = (const Isms__V1__CreateRiskRequest *)msg;
    struct isms_status st;
    struct isms_risk_op *o;

    if (check_text_fields(in->title, 1, in->description, in->threat, in->vulnerability,
                          in->existing_controls, &st) != ISMS_OK ||
        check_owner_name(in->owner, &st) != ISMS_OK ||
        isms_risk_check_pair("inherent", in->likelihood, in->impact, &st) != ISMS_OK ||
        isms_plan_date_check("next review", in->next_review, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    o = op_new(call, ISMS_RISK_OP_CREATE, "/isms.v1.Risk/Create", in, NULL, 0);
    if (o == NULL)
        return;
    if (take_asset_refs(call, o, in->assets, in->n_assets, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    o->owner = in->owner;
    o->set_owner = 1;
    isms_risk_submit_load(call, o);
}

static void risk_update(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__UpdateRiskRequest *in = (const Isms__V1__UpdateRiskRequest *)msg;
    struct isms_status st;
    struct isms_risk_op *o =
        op_new(call, ISMS_RISK_OP_UPDATE, "/isms.v1.Risk/Update", in, in->id, in->expected_version);

    if (o == NULL)
        return;
    if (!in->set_title && !in->set_description && !in->set_threat && !in->set_vulnerability &&
        !in->set_owner && !in->set_existing_controls && !in->set_assets && !in->set_next_review) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "nothing to update: set a title, description, threat, vulnerability, "
                       "owner, existing controls, assets or next review date");
        return;
    }
    if (check_text_fields(in->title, in->set_title, in->description, in->threat, in->vulnerability,
                          in->existing_controls, &st) != ISMS_OK ||
        (in->set_owner && check_owner_name(in->owner, &st) != ISMS_OK) ||
        (in->set_next_review &&
         isms_plan_date_check("next review", in->next_review, &st) != ISMS_OK) ||
        (in->set_assets && take_asset_refs(call, o, in->assets, in->n_assets, &st) != ISMS_OK)) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (in->set_owner) {
        o->owner = in->owner;
        o->set_owner = 1;
    }
    isms_risk_submit_load(call, o);
}

static void risk_assess(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__AssessRiskRequest *in = (const Isms__V1__AssessRiskRequest *)msg;
    struct isms_status st;
    struct isms_risk_op *o;

    if (isms_risk_check_pair("inherent", in->inherent_likelihood, in->inherent_impact, &st) !=
            ISMS_OK ||
        isms_risk_check_pair("residual", in->residual_likelihood, in->residual_impact, &st) !=
            ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (in->inherent_likelihood == 0 && in->residual_likelihood == 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "nothing to assess: give the inherent and/or the residual likelihood and "
                       "impact");
        return;
    }
    o = op_new(call, ISMS_RISK_OP_ASSESS, "/isms.v1.Risk/Assess", in, in->id, in->expected_version);
    if (o != NULL)
        isms_risk_submit_load(call, o);
}

/* Checks the actions of a Treat request. */
static enum isms_code check_actions(struct isms_call *call, struct isms_risk_op *o,
                                    const Isms__V1__TreatRiskRequest *in, struct isms_status *st)
{
    if (in->n_add_actions > ISMS_RISK_LIST_MAX || in->n_update_actions > ISMS_RISK_LIST_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "at most %d actions per request",
                               ISMS_RISK_LIST_MAX);
    for (size_t k = 0; k < in->n_add_actions; k++) {
        const Isms__V1__RiskActionInput *a = in->add_actions[k];

        if (isms_text_check("action description", a->description, ISMS_RISK_ACTION_MAX, 1, st) !=
                ISMS_OK ||
            isms_text_check("action owner", a->owner, ISMS_RISK_REF_MAX, 1, st) != ISMS_OK ||
            isms_plan_date_check("action due date", a->due, st) != ISMS_OK)
            return st->code;
    }
    o->update_action_nums =
        isms_arena_calloc(&call->arena, sizeof(int64_t) * (in->n_update_actions + 1));
    if (o->update_action_nums == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t k = 0; k < in->n_update_actions; k++) {
        const Isms__V1__RiskActionUpdate *u = in->update_actions[k];
        enum isms_action_status s;

        if (isms_plan_check_id("RA", "action", u->id, &o->update_action_nums[k], st) != ISMS_OK ||
            isms_action_status_parse(u->status, &s, st) != ISMS_OK)
            return st->code;
        for (size_t j = 0; j < k; j++)
            if (o->update_action_nums[j] == o->update_action_nums[k])
                return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                       "action %s is updated twice in one request", u->id);
    }
    return ISMS_OK;
}

static void risk_treat(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__TreatRiskRequest *in = (const Isms__V1__TreatRiskRequest *)msg;
    struct isms_status st;
    enum isms_risk_option option;
    struct isms_risk_op *o =
        op_new(call, ISMS_RISK_OP_TREAT, "/isms.v1.Risk/Treat", in, in->id, in->expected_version);

    if (o == NULL)
        return;
    if (isms_risk_option_parse(in->option, &option, &st) != ISMS_OK ||
        isms_risk_check_pair("residual", in->residual_likelihood, in->residual_impact, &st) !=
            ISMS_OK ||
        take_controls(call, in->add_controls, in->n_add_controls, &o->add_controls, &st) !=
            ISMS_OK ||
        take_controls(call, in->remove_controls, in->n_remove_controls, &o->remove_controls, &st) !=
            ISMS_OK ||
        check_actions(call, o, in, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    o->n_add_controls = in->n_add_controls;
    o->n_remove_controls = in->n_remove_controls;
    for (size_t k = 0; k < o->n_add_controls; k++)
        for (size_t j = 0; j < o->n_remove_controls; j++)
            if (strcmp(o->add_controls[k], o->remove_controls[j]) == 0) {
                isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                               "control \"%s\" is both added and removed", o->add_controls[k]);
                return;
            }
    if (option == ISMS_RISK_OPTION_NONE && in->n_add_controls == 0 && in->n_remove_controls == 0 &&
        in->n_add_actions == 0 && in->n_update_actions == 0 && in->residual_likelihood == 0 &&
        !in->treated) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "nothing to change: give a treatment option, controls, actions, a "
                       "residual rating or mark the risk treated");
        return;
    }
    isms_risk_submit_load(call, o);
}

static void risk_accept(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__AcceptRiskRequest *in = (const Isms__V1__AcceptRiskRequest *)msg;
    struct isms_status st;
    struct isms_risk_op *o;

    if (isms_text_check("justification", in->justification, ISMS_RISK_TEXT_MAX, 1, &st) !=
            ISMS_OK ||
        isms_plan_date_check("expires", in->expires, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    o = op_new(call, ISMS_RISK_OP_ACCEPT, "/isms.v1.Risk/Accept", in, in->id, in->expected_version);
    if (o != NULL)
        isms_risk_submit_load(call, o);
}

static void risk_close(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__CloseRiskRequest *in = (const Isms__V1__CloseRiskRequest *)msg;
    struct isms_status st;
    struct isms_risk_op *o;

    if (isms_text_check("reason", in->reason, ISMS_RISK_TEXT_MAX, !in->activity_ceased, &st) !=
        ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    o = op_new(call, ISMS_RISK_OP_CLOSE, "/isms.v1.Risk/Close", in, in->id, in->expected_version);
    if (o != NULL)
        isms_risk_submit_load(call, o);
}

static void risk_confirm(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ConfirmResidualRequest *in = (const Isms__V1__ConfirmResidualRequest *)msg;
    struct isms_risk_op *o = op_new(call, ISMS_RISK_OP_CONFIRM, "/isms.v1.Risk/ConfirmResidual", in,
                                    in->id, in->expected_version);

    if (o != NULL)
        isms_risk_submit_load(call, o);
}

enum isms_code isms_risk_register(struct isms_server *srv, struct isms_status *st)
{
    const unsigned editors = ISMS_ROLES_RISK_ACCEPT;
    /* Order follows the service declaration in proto/isms/v1/risk.proto. Update, Assess, Treat
     * and Accept check the risk's owner in the handler (object-level), ConfirmResidual that the
     * caller is not the owner. */
    const struct isms_method_spec specs[] = {
        {"Create", risk_create, 0, ISMS_ROLE_MANAGER},
        {"Get", isms_risk_get, 0, ISMS_ROLES_READ},
        {"Update", risk_update, 0, editors},
        {"Assess", risk_assess, 0, editors},
        {"Treat", risk_treat, 0, editors},
        {"Accept", risk_accept, 0, editors},
        {"Close", risk_close, 0, ISMS_ROLE_MANAGER},
        {"List", isms_risk_list, ISMS_METHOD_STREAM, ISMS_ROLES_READ},
        {"Matrix", isms_risk_matrix, 0, ISMS_ROLES_READ},
        {"PlanExport", isms_risk_plan_export, ISMS_METHOD_STREAM, ISMS_ROLES_READ},
        {"ConfirmResidual", risk_confirm, 0, ISMS_ROLE_MANAGER},
    };

    return isms_registry_add(&srv->reg, &isms__v1__risk__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
