/* domain/plan/opportunity.c — isms.v1.Opportunity: opportunities (6.1.1) with an owner account,
 * an action and a status, and the sources of risks and opportunities (context issues, 4.1;
 * interested parties' requirements, 4.2). Each write is one statement with its audit record,
 * then the record is read back. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/roles.h"
#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/context/context_rules.h"
#include "domain/domain.h"
#include "domain/plan/method_rules.h"
#include "domain/plan/risk_rules.h"
#include "isms/v1/opportunity.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"
#include "rpc/server.h"

#define TITLE_MAX   200
#define TEXT_MAX    4000
#define LIST_MAX    1000
#define SOURCES_MAX 100

/* The sources of subject `col` = `num` (col: risk_num or opportunity_num): ids, then texts. */
/* clang-format off */
#define SOURCES_COLS(col, num)                                                                     \
    " ARRAY(SELECT id FROM (SELECT 'I-' || i.num AS id, 0 AS k, i.num FROM plan_source s"         \
    "  JOIN context_issue i ON i.num = s.issue_num WHERE s." col " = " num                        \
    "  UNION ALL SELECT 'P-' || p.num, 1, p.num FROM plan_source s"                                \
    "  JOIN interested_party p ON p.num = s.party_num WHERE s." col " = " num ") x"                \
    "  ORDER BY k, num),"                                                                          \
    " ARRAY(SELECT t FROM (SELECT i.description AS t, 0 AS k, i.num FROM plan_source s"           \
    "  JOIN context_issue i ON i.num = s.issue_num WHERE s." col " = " num                        \
    "  UNION ALL SELECT p.name || ': ' || p.requirements, 1, p.num FROM plan_source s"             \
    "  JOIN interested_party p ON p.num = s.party_num WHERE s." col " = " num ") x"                \
    "  ORDER BY k, num)"
#define OPP_COLS                                                                                   \
    "o.num, o.title, o.description, o.owner, o.action, o.status, o.version, "                     \
    ISMS_SQL_TS("o.created_at") ", o.created_by, " ISMS_SQL_TS("o.updated_at") ", o.updated_by,"   \
    SOURCES_COLS("opportunity_num", "o.num")
/* clang-format on */

static const char SQL_OPP_GET[] = "SELECT " OPP_COLS " FROM opportunity o WHERE o.num = $1::bigint";
ISMS_STATEMENT(STMT_OPP_GET, SQL_OPP_GET, "num");

static const char SQL_OPP_LIST[] = "SELECT " OPP_COLS " FROM opportunity o"
                                   " WHERE ($1 = '' OR o.status = $1) AND ($2 = '' OR o.owner = $2)"
                                   " ORDER BY o.num LIMIT 1000";
ISMS_STATEMENT(STMT_OPP_LIST, SQL_OPP_LIST, "status", "owner");

/* Users named $3 (0/1), whether active, then the new num (NULL unless created). */
static const char SQL_OPP_CREATE[] =
    "WITH u AS (SELECT name FROM app_user WHERE name = $3 AND status = 'active'),"
    " o AS (INSERT INTO opportunity (title, description, owner, action, status, created_by,"
    "  updated_by) SELECT $1, $2, u.name, $4, $5, $6, $6 FROM u RETURNING *),"
    " a AS (SELECT audit_append($6, $7, '/isms.v1.Opportunity/Create', 'opportunity:OPP-' ||"
    "  o.num, audit_diff(NULL, jsonb_build_object('title', o.title, 'description',"
    "  o.description, 'owner', o.owner, 'action', o.action, 'status', o.status)), 'OK') AS seq"
    "  FROM o)" ISMS_SQL_IDEM(
        "$8",
        "a") ""
             " SELECT (SELECT count(*) FROM app_user WHERE name = $3), (SELECT count(*) FROM u),"
             " (SELECT num FROM o), (SELECT count(*) FROM a)";
ISMS_STATEMENT(STMT_OPP_CREATE, SQL_OPP_CREATE, "title", "description", "owner", "action", "status",
               "actor", "source", ISMS_SQL_IDEM_PARAM);

/* Found, current version, current owner, new owner active (or not asked), updated. */
static const char SQL_OPP_UPDATE[] =
    "WITH cur AS (SELECT * FROM opportunity WHERE num = $1::bigint),"
    " ow AS (SELECT name FROM app_user WHERE name = $8 AND status = 'active'),"
    " u AS (UPDATE opportunity x SET"
    "  title = CASE WHEN $3::boolean THEN $4 ELSE x.title END,"
    "  description = CASE WHEN $5::boolean THEN $6 ELSE x.description END,"
    "  owner = CASE WHEN $7::boolean THEN (SELECT name FROM ow) ELSE x.owner END,"
    "  action = CASE WHEN $9::boolean THEN $10 ELSE x.action END,"
    "  status = CASE WHEN $11::boolean THEN $12 ELSE x.status END,"
    "  version = x.version + 1, updated_at = now(), updated_by = $13"
    "  FROM cur WHERE x.num = cur.num AND ($2::bigint = 0 OR x.version = $2::bigint)"
    "  AND (NOT $7::boolean OR EXISTS (SELECT 1 FROM ow))"
    "  AND ($15::boolean OR cur.owner = $13) RETURNING x.*),"
    " a AS (SELECT audit_append($13, $14, '/isms.v1.Opportunity/Update', 'opportunity:OPP-' ||"
    "  u.num, audit_diff(jsonb_build_object('title', cur.title, 'description', cur.description,"
    "  'owner', cur.owner, 'action', cur.action, 'status', cur.status),"
    "  jsonb_build_object('title', u.title, 'description', u.description, 'owner', u.owner,"
    "  'action', u.action, 'status', u.status)), 'OK') AS seq FROM u, cur)" ISMS_SQL_IDEM(
        "$16", "a") ""
                    " SELECT (SELECT count(*) FROM cur), coalesce((SELECT version FROM cur), 0),"
                    " coalesce((SELECT owner FROM cur), ''), (NOT $7::boolean OR EXISTS (SELECT 1 "
                    "FROM ow)),"
                    " (SELECT count(*) FROM u), (SELECT count(*) FROM a)";
ISMS_STATEMENT(STMT_OPP_UPDATE, SQL_OPP_UPDATE, "num", "expected_version", "set_title", "title",
               "set_description", "description", "set_owner", "owner", "set_action", "action",
               "set_status", "status", "actor", "source", "may_edit_any", ISMS_SQL_IDEM_PARAM);

/* $1 'R' or 'O', $6 subject num; $2/$3 issues/parties to add, $4/$5 to remove. Subject found,
 * its owner, allowed, sources that do not exist ("I-3", "P-4"), changed. */
static const char SQL_LINK[] =
    "WITH subj AS (SELECT num, owner FROM risk WHERE $1 = 'R' AND num = $6::bigint"
    "  UNION ALL SELECT num, owner FROM opportunity WHERE $1 = 'O' AND num = $6::bigint),"
    " ok AS (SELECT * FROM subj WHERE $9::boolean OR owner = $7),"
    " missing AS (SELECT 'I-' || x AS id FROM unnest($2::bigint[]) x"
    "  WHERE NOT EXISTS (SELECT 1 FROM context_issue WHERE num = x)"
    "  UNION ALL SELECT 'P-' || x FROM unnest($3::bigint[]) x"
    "  WHERE NOT EXISTS (SELECT 1 FROM interested_party WHERE num = x)),"
    " go AS (SELECT ok.num FROM ok WHERE NOT EXISTS (SELECT 1 FROM missing)),"
    " del AS (DELETE FROM plan_source s USING go WHERE (CASE WHEN $1 = 'R'"
    "  THEN s.risk_num = go.num ELSE s.opportunity_num = go.num END)"
    "  AND (s.issue_num = ANY ($4::bigint[]) OR s.party_num = ANY ($5::bigint[])) RETURNING s.*),"
    " ins AS (INSERT INTO plan_source (risk_num, opportunity_num, issue_num, party_num)"
    "  SELECT CASE WHEN $1 = 'R' THEN go.num END, CASE WHEN $1 = 'O' THEN go.num END, x.i, x.p"
    "  FROM go, (SELECT unnest($2::bigint[]) AS i, NULL::bigint AS p"
    "  UNION ALL SELECT NULL::bigint, unnest($3::bigint[])) x ON CONFLICT DO NOTHING"
    "  RETURNING *),"
    " a AS (SELECT audit_append($7, $8, '/isms.v1.Opportunity/Link', $10,"
    "  jsonb_build_object('sources', jsonb_build_object("
    "  'added', (SELECT jsonb_agg(coalesce('I-' || issue_num, 'P-' || party_num)) FROM ins),"
    "  'removed', (SELECT jsonb_agg(coalesce('I-' || issue_num, 'P-' || party_num)) FROM del)"
    "  ))::text, 'OK') AS seq FROM go"
    "  WHERE EXISTS (SELECT 1 FROM ins) OR EXISTS (SELECT 1 FROM del))" ISMS_SQL_IDEM(
        "$11",
        "a") ""
             " SELECT (SELECT count(*) FROM subj), coalesce((SELECT owner FROM subj), ''),"
             " (SELECT count(*) FROM ok), ARRAY(SELECT id FROM missing), (SELECT count(*) FROM a)";
ISMS_STATEMENT(STMT_LINK, SQL_LINK, "kind", "add_issues", "add_parties", "remove_issues",
               "remove_parties", "num", "actor", "source", "may_edit_any", "entity",
               ISMS_SQL_IDEM_PARAM);

static const char SQL_SOURCES[] = "SELECT" SOURCES_COLS("risk_num", "$1::bigint") "," SOURCES_COLS(
    "opportunity_num", "$2::bigint");
ISMS_STATEMENT(STMT_SOURCES, SQL_SOURCES, "risk_num", "opportunity_num");

static const char *const STATUSES[] = {"identified", "planned", "in_progress", "realised",
                                       "dropped"};

struct opp_ctx {
    char entity[40]; /* "OPP-3" or "R-2" */
    char kind;       /* 'O' or 'R' */
    int64_t num;
    const void *in;
};

static void fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "response exceeds the call's memory limit");
}

static enum isms_code check_status(const char *s, bool empty_ok, struct isms_status *st)
{
    if (empty_ok && s[0] == '\0')
        return ISMS_OK;
    for (size_t k = 0; k < sizeof(STATUSES) / sizeof(STATUSES[0]); k++)
        if (strcmp(s, STATUSES[k]) == 0)
            return ISMS_OK;
    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                           "status must be identified, planned, in_progress, realised or "
                           "dropped, got \"%s\"",
                           s);
}

/* The sources at columns col (ids) and col + 1 (texts) of row r. */
static int sources_from(struct isms_call *call, const struct isms_rows *res, int r, int col,
                        Isms__V1__PlanSource ***out, size_t *n)
{
    char **ids, **texts;
    size_t nids, ntexts;

    if (isms_pg_array_parse(&call->arena, isms_rows_text(res, r, col), &ids, &nids) != 0 ||
        isms_pg_array_parse(&call->arena, isms_rows_text(res, r, col + 1), &texts, &ntexts) != 0 ||
        nids != ntexts)
        return -1;
    *out = isms_arena_calloc(&call->arena, sizeof(**out) * (nids + 1));
    if (*out == NULL)
        return -1;
    for (size_t k = 0; k < nids; k++) {
        Isms__V1__PlanSource *s = isms_arena_calloc(&call->arena, sizeof(*s));

        if (s == NULL)
            return -1;
        isms__v1__plan_source__init(s);
        s->id = ids[k];
        s->text = texts[k];
        (*out)[k] = s;
    }
    *n = nids;
    return 0;
}

static Isms__V1__OpportunityRecord *opp_from_row(struct isms_call *call,
                                                 const struct isms_rows *res, int r)
{
    Isms__V1__OpportunityRecord *o = isms_arena_calloc(&call->arena, sizeof(*o));
    char *t[11];

    if (o == NULL)
        return NULL;
    isms__v1__opportunity_record__init(o);
    for (int k = 1; k < 11; k++) {
        t[k] = isms_arena_strdup(&call->arena, isms_rows_text(res, r, k));
        if (t[k] == NULL)
            return NULL;
    }
    o->id = isms_arena_printf(&call->arena, "OPP-%" PRId64, isms_rows_int64(res, r, 0));
    o->title = t[1];
    o->description = t[2];
    o->owner = t[3];
    o->action = t[4];
    o->status = t[5];
    o->version = isms_rows_int64(res, r, 6);
    o->created_at = t[7];
    o->created_by = t[8];
    o->updated_at = t[9];
    o->updated_by = t[10];
    if (o->id == NULL || sources_from(call, res, r, 11, &o->sources, &o->n_sources) != 0)
        return NULL;
    return o;
}

/* ---- Get, List ------------------------------------------------------------------------------ */

static void get_done(struct isms_call *call, const struct isms_rows *res,
                     const struct isms_status *st)
{
    struct opp_ctx *x = call->ctx;
    Isms__V1__OpportunityRecord *o;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        isms_call_fail(call, ISMS_NOT_FOUND, "opportunity %s does not exist", x->entity);
        return;
    }
    o = opp_from_row(call, res, 0);
    if (o == NULL) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &o->base);
}

static void read_opp(struct isms_call *call)
{
    struct opp_ctx *x = call->ctx;
    struct isms_bind b;

    isms_bind_init(&b, &STMT_OPP_GET);
    isms_bind_int64(&b, "num", x->num);
    isms_call_db_or_fail(call, &b, get_done);
}

/* A context for subject `id` ("OPP-<n>", or with `risk_too` also "R-<n>"); NULL after
 * answering the call. */
static struct opp_ctx *ctx_new(struct isms_call *call, const char *id, bool risk_too)
{
    struct opp_ctx *x = isms_arena_calloc(&call->arena, sizeof(*x));

    if (x == NULL) {
        fail_oom(call);
        return NULL;
    }
    if (isms_plan_parse_id("OPP", id, &x->num)) {
        x->kind = 'O';
        snprintf(x->entity, sizeof(x->entity), "OPP-%" PRId64, x->num);
    } else if (risk_too && isms_plan_parse_id("R", id, &x->num)) {
        x->kind = 'R';
        snprintf(x->entity, sizeof(x->entity), "R-%" PRId64, x->num);
    } else {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "%s must look like %s, got \"%s\"",
                       risk_too ? "entity" : "opportunity id",
                       risk_too ? "R-<n> or OPP-<n>" : "OPP-<n>", id);
        return NULL;
    }
    call->ctx = x;
    return x;
}

static void opp_get(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__GetOpportunityRequest *in = (const Isms__V1__GetOpportunityRequest *)msg;

    if (ctx_new(call, in->id, false) != NULL)
        read_opp(call);
}

static void list_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    Isms__V1__ListOpportunitiesResponse *r;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL) {
        fail_oom(call);
        return;
    }
    isms__v1__list_opportunities_response__init(r);
    r->opportunities = isms_arena_calloc(&call->arena, sizeof(*r->opportunities) * (size_t)(n + 1));
    if (r->opportunities == NULL) {
        fail_oom(call);
        return;
    }
    for (int k = 0; k < n; k++) {
        r->opportunities[k] = opp_from_row(call, res, k);
        if (r->opportunities[k] == NULL) {
            fail_oom(call);
            return;
        }
    }
    r->n_opportunities = (size_t)n;
    isms_call_finish(call, &r->base);
}

static void opp_list(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ListOpportunitiesRequest *in = (const Isms__V1__ListOpportunitiesRequest *)msg;
    struct isms_status st;
    struct isms_bind b;

    if (check_status(in->status, true, &st) != ISMS_OK ||
        isms_text_check("owner", in->owner, 64, 0, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, &STMT_OPP_LIST);
    isms_bind_text(&b, "status", in->status);
    isms_bind_text(&b, "owner", in->owner);
    isms_call_db_or_fail(call, &b, list_done);
}

/* ---- Create, Update ------------------------------------------------------------------------- */

static void create_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    struct opp_ctx *x = call->ctx;
    const Isms__V1__CreateOpportunityRequest *in = x->in;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "owner \"%s\" is not a user", in->owner);
        return;
    }
    if (isms_rows_int64(res, 0, 1) == 0) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "6.1.1: owner \"%s\" is disabled; an opportunity needs an active owner",
                       in->owner);
        return;
    }
    x->num = isms_rows_int64(res, 0, 2);
    snprintf(x->entity, sizeof(x->entity), "OPP-%" PRId64, x->num);
    read_opp(call);
}

static enum isms_code check_texts(const char *title, bool set_title, const char *description,
                                  const char *action, struct isms_status *st)
{
    if ((set_title && isms_text_check("title", title, TITLE_MAX, 1, st) != ISMS_OK) ||
        isms_text_check("description", description, TEXT_MAX, 0, st) != ISMS_OK ||
        isms_text_check("action", action, TEXT_MAX, 0, st) != ISMS_OK)
        return st->code;
    return ISMS_OK;
}

static void opp_create(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__CreateOpportunityRequest *in = (const Isms__V1__CreateOpportunityRequest *)msg;
    struct opp_ctx *x = isms_arena_calloc(&call->arena, sizeof(*x));
    struct isms_status st;
    struct isms_bind b;

    if (x == NULL) {
        fail_oom(call);
        return;
    }
    if (check_texts(in->title, true, in->description, in->action, &st) != ISMS_OK ||
        isms_text_check("owner", in->owner, 64, 1, &st) != ISMS_OK ||
        check_status(in->status, true, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    x->in = in;
    call->ctx = x;
    isms_bind_init(&b, &STMT_OPP_CREATE);
    isms_bind_text(&b, "title", in->title);
    isms_bind_text(&b, "description", in->description);
    isms_bind_text(&b, "owner", in->owner);
    isms_bind_text(&b, "action", in->action);
    isms_bind_text(&b, "status", in->status[0] != '\0' ? in->status : "identified");
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, create_done);
}

static void update_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    struct opp_ctx *x = call->ctx;
    const Isms__V1__UpdateOpportunityRequest *in = x->in;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "opportunity %s does not exist", x->entity);
        return;
    }
    if (strcmp(isms_rows_text(res, 0, 3), "t") != 0) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION, "6.1.1: owner \"%s\" is not an active user",
                       in->owner);
        return;
    }
    if (isms_rows_int64(res, 0, 4) == 0) {
        if (!(call->principal.roles & ISMS_ROLE_MANAGER) &&
            strcmp(isms_rows_text(res, 0, 2), call->principal.user) != 0)
            isms_call_fail(call, ISMS_PERMISSION_DENIED,
                           "only an isms_manager or the owner (%s) may change %s",
                           isms_rows_text(res, 0, 2), x->entity);
        else
            isms_call_fail(call, ISMS_ABORTED,
                           "opportunity %s was changed by someone else: it is at version "
                           "%" PRId64 ", not %" PRId64 "; show it again and retry",
                           x->entity, isms_rows_int64(res, 0, 1), in->expected_version);
        return;
    }
    read_opp(call);
}

static void opp_update(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__UpdateOpportunityRequest *in = (const Isms__V1__UpdateOpportunityRequest *)msg;
    struct opp_ctx *x = ctx_new(call, in->id, false);
    struct isms_status st;
    struct isms_bind b;

    if (x == NULL)
        return;
    if (!in->set_title && !in->set_description && !in->set_owner && !in->set_action &&
        !in->set_status) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "nothing to change: set title, description, owner, action or status");
        return;
    }
    if (check_texts(in->title, in->set_title, in->description, in->action, &st) != ISMS_OK ||
        (in->set_owner && isms_text_check("owner", in->owner, 64, 1, &st) != ISMS_OK) ||
        (in->set_status && check_status(in->status, false, &st) != ISMS_OK)) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (in->expected_version < 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "expected_version must be >= 0");
        return;
    }
    x->in = in;
    isms_bind_init(&b, &STMT_OPP_UPDATE);
    isms_bind_int64(&b, "num", x->num);
    isms_bind_int64(&b, "expected_version", in->expected_version);
    isms_bind_bool(&b, "set_title", in->set_title);
    isms_bind_text(&b, "title", in->title);
    isms_bind_bool(&b, "set_description", in->set_description);
    isms_bind_text(&b, "description", in->description);
    isms_bind_bool(&b, "set_owner", in->set_owner);
    isms_bind_text(&b, "owner", in->owner);
    isms_bind_bool(&b, "set_action", in->set_action);
    isms_bind_text(&b, "action", in->action);
    isms_bind_bool(&b, "set_status", in->set_status);
    isms_bind_text(&b, "status", in->status);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_bind_bool(&b, "may_edit_any", (call->principal.roles & ISMS_ROLE_MANAGER) != 0);
    isms_call_db_or_fail(call, &b, update_done);
}

/* ---- Link ----------------------------------------------------------------------------------- */

static void sources_done(struct isms_call *call, const struct isms_rows *res,
                         const struct isms_status *st)
{
    struct opp_ctx *x = call->ctx;
    Isms__V1__PlanSources *r;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL) {
        fail_oom(call);
        return;
    }
    isms__v1__plan_sources__init(r);
    r->entity = x->entity;
    if (sources_from(call, res, 0, x->kind == 'R' ? 0 : 2, &r->sources, &r->n_sources) != 0) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &r->base);
}

static void link_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    struct opp_ctx *x = call->ctx;
    struct isms_bind b;
    char **missing;
    size_t nmissing;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "%s %s does not exist",
                       x->kind == 'R' ? "risk" : "opportunity", x->entity);
        return;
    }
    if (isms_rows_int64(res, 0, 2) == 0) {
        isms_call_fail(call, ISMS_PERMISSION_DENIED,
                       "only an isms_manager or the owner (%s) may change the sources of %s",
                       isms_rows_text(res, 0, 1), x->entity);
        return;
    }
    if (isms_pg_array_parse(&call->arena, isms_rows_text(res, 0, 3), &missing, &nmissing) != 0) {
        fail_oom(call);
        return;
    }
    if (nmissing > 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "%s %s does not exist",
                       missing[0][0] == 'I' ? "context issue" : "interested party", missing[0]);
        return;
    }
    isms_bind_init(&b, &STMT_SOURCES);
    isms_bind_int64(&b, "risk_num", x->kind == 'R' ? x->num : 0);
    isms_bind_int64(&b, "opportunity_num", x->kind == 'O' ? x->num : 0);
    isms_call_db_or_fail(call, &b, sources_done);
}

/* Sorts the "I-<n>" / "P-<n>" refs into two PostgreSQL array literals. */
static enum isms_code split_refs(struct isms_arena *a, char *const *refs, size_t n, char **issues,
                                 char **parties, struct isms_status *st)
{
    size_t cap = 3 + n * 22;
    char *ib = isms_arena_calloc(a, cap), *pb = isms_arena_calloc(a, cap);
    size_t il = 1, pl = 1;

    if (ib == NULL || pb == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    ib[0] = pb[0] = '{';
    for (size_t k = 0; k < n; k++) {
        int64_t num;

        if (isms_context_parse_id('I', refs[k], &num))
            il += (size_t)snprintf(ib + il, cap - il, "%s%" PRId64, il > 1 ? "," : "", num);
        else if (isms_context_parse_id('P', refs[k], &num))
            pl += (size_t)snprintf(pb + pl, cap - pl, "%s%" PRId64, pl > 1 ? "," : "", num);
        else
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "a source must be a context issue I-<n> (4.1) or an "
                                   "interested party P-<n> (4.2), got \"%s\"",
                                   refs[k]);
    }
    ib[il] = '}';
    pb[pl] = '}';
    *issues = ib;
    *parties = pb;
    return ISMS_OK;
}

static void opp_link(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__LinkSourcesRequest *in = (const Isms__V1__LinkSourcesRequest *)msg;
    struct opp_ctx *x = ctx_new(call, in->entity, true);
    char *ai, *ap, *ri, *rp;
    struct isms_status st;
    struct isms_bind b;

    if (x == NULL)
        return;
    if (in->n_add > SOURCES_MAX || in->n_remove > SOURCES_MAX) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "at most %d sources to add or remove",
                       SOURCES_MAX);
        return;
    }
    for (size_t k = 0; k < in->n_add; k++) {
        for (size_t j = 0; j < in->n_remove; j++) {
            if (strcasecmp(in->add[k], in->remove[j]) == 0) {
                isms_call_fail(call, ISMS_INVALID_ARGUMENT, "source %s is both added and removed",
                               in->add[k]);
                return;
            }
        }
    }
    if (split_refs(&call->arena, in->add, in->n_add, &ai, &ap, &st) != ISMS_OK ||
        split_refs(&call->arena, in->remove, in->n_remove, &ri, &rp, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, &STMT_LINK);
    isms_bind_text(&b, "kind", x->kind == 'R' ? "R" : "O");
    isms_bind_text(&b, "add_issues", ai);
    isms_bind_text(&b, "add_parties", ap);
    isms_bind_text(&b, "remove_issues", ri);
    isms_bind_text(&b, "remove_parties", rp);
    isms_bind_int64(&b, "num", x->num);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_bind_bool(&b, "may_edit_any", (call->principal.roles & ISMS_ROLE_MANAGER) != 0);
    isms_bind_text(&b, "entity",
                   x->kind == 'R' ? isms_arena_printf(&call->arena, "risk:%s", x->entity)
                                  : isms_arena_printf(&call->arena, "opportunity:%s", x->entity));
    isms_call_db_or_fail(call, &b, link_done);
}

enum isms_code isms_opportunity_register(struct isms_server *srv, struct isms_status *st)
{
    const unsigned editors = ISMS_ROLE_MANAGER | ISMS_ROLE_RISK_OWNER;
    /* Order follows proto/isms/v1/opportunity.proto. Update and Link check the owner. */
    const struct isms_method_spec specs[] = {
        {"Create", opp_create, 0, ISMS_ROLE_MANAGER},
        {"Get", opp_get, 0, ISMS_ROLES_READ},
        {"List", opp_list, 0, ISMS_ROLES_READ},
        {"Update", opp_update, 0, editors},
        {"Link", opp_link, 0, editors},
    };

    return isms_registry_add(&srv->reg, &isms__v1__opportunity__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
