/* domain/context/context.c — isms.v1.Context handlers: clause 4 context of the organisation.
 * Each RPC is one SQL statement (CTEs where it reads back), so each is atomic on its own. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/roles.h"
#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/context/context_edit.h"
#include "domain/context/context_rules.h"
#include "domain/domain.h"
#include "isms/v1/context.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"
#include "rpc/server.h"

/* Rows: kind ('c' context, 'p' party, 'i' issue), then kind-specific text columns, then num,
 * then (parties and issues) version, and (parties) addressed and addressed_note. */
/* clang-format off */
#define SQL_CONTEXT_ROWS(ctx_source)                                                               \
    "SELECT 'c', organization, scope, version::text, " ISMS_SQL_TS("updated_at") ", updated_by,"   \
    " 0::bigint AS num, 0::bigint, '', '' FROM " ctx_source                                        \
    " UNION ALL SELECT 'p', name, kind, requirements, " ISMS_SQL_TS("created_at") ", '', num,"     \
    " version, addressed, addressed_note FROM interested_party"                                   \
    " UNION ALL SELECT 'i', kind, description, '', " ISMS_SQL_TS("created_at") ", '', num,"        \
    " version, '', '' FROM context_issue ORDER BY 1, 7"
/* clang-format on */

static const char SQL_CONTEXT_GET[] = SQL_CONTEXT_ROWS("isms_context");
ISMS_STATEMENT_NO_PARAMS(STMT_CONTEXT_GET, SQL_CONTEXT_GET);

static const char SQL_CONTEXT_UPDATE[] =
    "WITH old AS (SELECT organization, scope FROM isms_context),"
    " u AS (UPDATE isms_context SET"
    " organization = CASE WHEN $1::boolean THEN $2 ELSE organization END,"
    " scope = CASE WHEN $3::boolean THEN $4 ELSE scope END,"
    " version = version + 1, updated_at = now(), updated_by = $6"
    " WHERE $5::bigint = 0 OR version = $5::bigint RETURNING *),"
    " a AS (SELECT audit_append($6, $7, '/isms.v1.Context/Update', 'context',"
    " audit_diff(to_jsonb(old), jsonb_build_object('organization', u.organization,"
    " 'scope', u.scope)), 'OK') AS seq FROM u, old)" ISMS_SQL_IDEM("$8", "a") " " SQL_CONTEXT_ROWS(
        "u CROSS JOIN a");
ISMS_STATEMENT(STMT_CONTEXT_UPDATE, SQL_CONTEXT_UPDATE, "set_organization", "organization",
               "set_scope", "scope", "expected_version", "actor", "source", ISMS_SQL_IDEM_PARAM);

static const char SQL_PARTY_ADD[] =
    "WITH p AS (INSERT INTO interested_party (name, kind, requirements, created_by)"
    " VALUES ($1, $2, $3, $4) RETURNING *),"
    " a AS (SELECT audit_append($4, $5, '/isms.v1.Context/AddParty', 'party:P-' || p.num,"
    " audit_diff(NULL, jsonb_build_object('name', p.name, 'kind', p.kind,"
    " 'requirements', p.requirements)), 'OK') AS seq FROM p)" ISMS_SQL_IDEM(
        "$6", "a") ""
                   " SELECT num, name, kind, requirements, " ISMS_SQL_TS(
                       "created_at") ", version FROM p, a";
ISMS_STATEMENT(STMT_PARTY_ADD, SQL_PARTY_ADD, "name", "kind", "requirements", "actor", "source",
               ISMS_SQL_IDEM_PARAM);

static const char SQL_PARTY_REMOVE[] =
    "WITH d AS (DELETE FROM interested_party"
    " WHERE CASE WHEN $1::bigint IS NOT NULL THEN num = $1::bigint ELSE lower(name) = lower($2)"
    " END RETURNING *),"
    " a AS (SELECT audit_append($3, $4, '/isms.v1.Context/RemoveParty', 'party:P-' || d.num,"
    " audit_diff(jsonb_build_object('name', d.name, 'kind', d.kind,"
    " 'requirements', d.requirements), NULL), 'OK') AS seq FROM d)" ISMS_SQL_IDEM(
        "$5", "a") ""
                   " SELECT num FROM d, a";
ISMS_STATEMENT(STMT_PARTY_REMOVE, SQL_PARTY_REMOVE, "num", "name", "actor", "source",
               ISMS_SQL_IDEM_PARAM);

static const char SQL_ISSUE_ADD[] =
    "WITH i AS (INSERT INTO context_issue (kind, description, created_by) VALUES ($1, $2, $3)"
    " RETURNING *),"
    " a AS (SELECT audit_append($3, $4, '/isms.v1.Context/AddIssue', 'issue:I-' || i.num,"
    " audit_diff(NULL, jsonb_build_object('kind', i.kind, 'description', i.description)),"
    " 'OK') AS seq FROM i)" ISMS_SQL_IDEM("$5", "a") ""
                                                     " SELECT num, kind, description, " ISMS_SQL_TS(
                                                         "created_at") ", version FROM i, a";
ISMS_STATEMENT(STMT_ISSUE_ADD, SQL_ISSUE_ADD, "kind", "description", "actor", "source",
               ISMS_SQL_IDEM_PARAM);

static const char SQL_ISSUE_REMOVE[] =
    "WITH d AS (DELETE FROM context_issue WHERE num = $1::bigint RETURNING *),"
    " a AS (SELECT audit_append($2, $3, '/isms.v1.Context/RemoveIssue', 'issue:I-' || d.num,"
    " audit_diff(jsonb_build_object('kind', d.kind, 'description', d.description), NULL),"
    " 'OK') AS seq FROM d)" ISMS_SQL_IDEM("$4", "a") ""
                                                     " SELECT num FROM d, a";
ISMS_STATEMENT(STMT_ISSUE_REMOVE, SQL_ISSUE_REMOVE, "num", "actor", "source", ISMS_SQL_IDEM_PARAM);

/* Copies a result cell into the call's arena; NULL only when memory ran out. */
static char *cell(struct isms_call *call, const struct isms_rows *res, int row, int col)
{
    return isms_arena_strdup(&call->arena, isms_rows_text(res, row, col));
}

static void fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "response exceeds the call's memory limit");
}

/* Builds an IsmsContext from SQL_CONTEXT_ROWS output. Returns NULL when there is no context
 * row (the update matched nothing) or memory ran out (`*oom` set). */
static Isms__V1__IsmsContext *context_from_rows(struct isms_call *call, const struct isms_rows *res,
                                                int *oom)
{
    int n = isms_rows_count(res);
    int np = 0, ni = 0, has_ctx = 0;
    Isms__V1__IsmsContext *c = isms_arena_calloc(&call->arena, sizeof(*c));

    *oom = 0;
    if (c == NULL)
        goto oom;
    isms__v1__isms_context__init(c);
    for (int r = 0; r < n; r++) {
        char k = isms_rows_text(res, r, 0)[0];

        np += k == 'p';
        ni += k == 'i';
    }
    c->parties = isms_arena_calloc(&call->arena, sizeof(*c->parties) * (size_t)(np + 1));
    c->issues = isms_arena_calloc(&call->arena, sizeof(*c->issues) * (size_t)(ni + 1));
    if (c->parties == NULL || c->issues == NULL)
        goto oom;
    for (int r = 0; r < n; r++) {
        char k = isms_rows_text(res, r, 0)[0];

        if (k == 'c') {
            has_ctx = 1;
            c->organization = cell(call, res, r, 1);
            c->scope = cell(call, res, r, 2);
            c->version = isms_rows_int64(res, r, 3);
            c->updated_at = cell(call, res, r, 4);
            c->updated_by = cell(call, res, r, 5);
            if (!c->organization || !c->scope || !c->updated_at || !c->updated_by)
                goto oom;
        } else if (k == 'p') {
            Isms__V1__InterestedParty *p = isms_arena_calloc(&call->arena, sizeof(*p));

            if (p == NULL)
                goto oom;
            isms__v1__interested_party__init(p);
            p->id = isms_arena_printf(&call->arena, "P-%" PRId64, isms_rows_int64(res, r, 6));
            p->name = cell(call, res, r, 1);
            p->kind = cell(call, res, r, 2);
            p->requirements = cell(call, res, r, 3);
            p->created_at = cell(call, res, r, 4);
            p->version = isms_rows_int64(res, r, 7);
            p->addressed = cell(call, res, r, 8);
            p->addressed_note = cell(call, res, r, 9);
            if (!p->id || !p->name || !p->kind || !p->requirements || !p->created_at ||
                !p->addressed || !p->addressed_note)
                goto oom;
            c->parties[c->n_parties++] = p;
        } else if (k == 'i') {
            Isms__V1__ContextIssue *i = isms_arena_calloc(&call->arena, sizeof(*i));

            if (i == NULL)
                goto oom;
            isms__v1__context_issue__init(i);
            i->id = isms_arena_printf(&call->arena, "I-%" PRId64, isms_rows_int64(res, r, 6));
            i->kind = cell(call, res, r, 1);
            i->description = cell(call, res, r, 2);
            i->created_at = cell(call, res, r, 4);
            i->version = isms_rows_int64(res, r, 7);
            if (!i->id || !i->kind || !i->description || !i->created_at)
                goto oom;
            c->issues[c->n_issues++] = i;
        }
    }
    return has_ctx ? c : NULL;
oom:
    *oom = 1;
    return NULL;
}

static void context_get_done(struct isms_call *call, const struct isms_rows *res,
                             const struct isms_status *st)
{
    Isms__V1__IsmsContext *c;
    int oom;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    c = context_from_rows(call, res, &oom);
    if (oom) {
        fail_oom(call);
        return;
    }
    if (c == NULL) {
        isms_call_fail(call, ISMS_INTERNAL, "context row is missing");
        return;
    }
    isms_call_finish(call, &c->base);
}

static void context_get(struct isms_call *call, const ProtobufCMessage *req)
{
    struct isms_bind b;

    (void)req;
    isms_bind_init(&b, &STMT_CONTEXT_GET);
    isms_call_db_or_fail(call, &b, context_get_done);
}

static void context_update_done(struct isms_call *call, const struct isms_rows *res,
                                const struct isms_status *st)
{
    const Isms__V1__UpdateContextRequest *in = call->ctx;
    Isms__V1__IsmsContext *c;
    int oom;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    c = context_from_rows(call, res, &oom);
    if (oom) {
        fail_oom(call);
        return;
    }
    if (c == NULL) {
        isms_call_fail(call, ISMS_ABORTED,
                       "context was changed by someone else: version %" PRId64
                       " is stale; show it again and retry",
                       in->expected_version);
        return;
    }
    isms_call_finish(call, &c->base);
}

static void context_update(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__UpdateContextRequest *in = (const Isms__V1__UpdateContextRequest *)msg;
    struct isms_status st;
    struct isms_bind b;

    if (isms_context_check_update(in->organization, in->set_organization, in->scope, in->set_scope,
                                  in->expected_version, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, &STMT_CONTEXT_UPDATE);
    isms_bind_bool(&b, "set_organization", in->set_organization);
    isms_bind_text(&b, "organization", in->organization);
    isms_bind_bool(&b, "set_scope", in->set_scope);
    isms_bind_text(&b, "scope", in->scope);
    isms_bind_int64(&b, "expected_version", in->expected_version);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, context_update_done);
}

static void party_add_done(struct isms_call *call, const struct isms_rows *res,
                           const struct isms_status *st)
{
    const Isms__V1__AddPartyRequest *in = call->ctx;
    Isms__V1__InterestedParty *p;

    if (st->code == ISMS_ALREADY_EXISTS) {
        isms_call_fail(call, ISMS_ALREADY_EXISTS, "interested party \"%s\" already exists",
                       in->name);
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    p = isms_arena_calloc(&call->arena, sizeof(*p));
    if (p == NULL) {
        fail_oom(call);
        return;
    }
    isms__v1__interested_party__init(p);
    p->id = isms_arena_printf(&call->arena, "P-%" PRId64, isms_rows_int64(res, 0, 0));
    p->name = cell(call, res, 0, 1);
    p->kind = cell(call, res, 0, 2);
    p->requirements = cell(call, res, 0, 3);
    p->created_at = cell(call, res, 0, 4);
    p->version = isms_rows_int64(res, 0, 5);
    if (!p->id || !p->name || !p->kind || !p->requirements || !p->created_at) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &p->base);
}

static void party_add(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__AddPartyRequest *in = (const Isms__V1__AddPartyRequest *)msg;
    struct isms_status st;
    const char *kind;
    struct isms_bind b;

    if (isms_context_check_party(in->name, in->kind, in->requirements, &kind, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, &STMT_PARTY_ADD);
    isms_bind_text(&b, "name", in->name);
    isms_bind_text(&b, "kind", kind);
    isms_bind_text(&b, "requirements", in->requirements);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, party_add_done);
}

/* Shared by both removals: zero rows is NOT_FOUND, one row answers with the id. */
static void remove_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st, const char *what, char prefix)
{
    Isms__V1__RemoveResponse *r;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "%s \"%s\" does not exist", what,
                       (const char *)call->ctx);
        return;
    }
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL) {
        fail_oom(call);
        return;
    }
    isms__v1__remove_response__init(r);
    r->id = isms_arena_printf(&call->arena, "%c-%" PRId64, prefix, isms_rows_int64(res, 0, 0));
    if (r->id == NULL) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &r->base);
}

static void party_remove_done(struct isms_call *call, const struct isms_rows *res,
                              const struct isms_status *st)
{
    remove_done(call, res, st, "interested party", 'P');
}

static void party_remove(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__RemovePartyRequest *in = (const Isms__V1__RemovePartyRequest *)msg;
    struct isms_status st;
    int64_t num;
    struct isms_bind b;

    if (isms_text_check("id", in->id, 200, 1, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, &STMT_PARTY_REMOVE);
    if (isms_context_parse_id('P', in->id, &num))
        isms_bind_int64(&b, "num", num);
    else
        isms_bind_null(&b, "num");
    isms_bind_text(&b, "name", in->id);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    call->ctx = in->id;
    isms_call_db_or_fail(call, &b, party_remove_done);
}

static void issue_add_done(struct isms_call *call, const struct isms_rows *res,
                           const struct isms_status *st)
{
    Isms__V1__ContextIssue *i;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    i = isms_arena_calloc(&call->arena, sizeof(*i));
    if (i == NULL) {
        fail_oom(call);
        return;
    }
    isms__v1__context_issue__init(i);
    i->id = isms_arena_printf(&call->arena, "I-%" PRId64, isms_rows_int64(res, 0, 0));
    i->kind = cell(call, res, 0, 1);
    i->description = cell(call, res, 0, 2);
    i->created_at = cell(call, res, 0, 3);
    i->version = isms_rows_int64(res, 0, 4);
    if (!i->id || !i->kind || !i->description || !i->created_at) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &i->base);
}

static void issue_add(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__AddIssueRequest *in = (const Isms__V1__AddIssueRequest *)msg;
    struct isms_status st;
    const char *kind;
    struct isms_bind b;

    if (isms_context_check_issue(in->kind, in->description, &kind, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    isms_bind_init(&b, &STMT_ISSUE_ADD);
    isms_bind_text(&b, "kind", kind);
    isms_bind_text(&b, "description", in->description);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, issue_add_done);
}

static void issue_remove_done(struct isms_call *call, const struct isms_rows *res,
                              const struct isms_status *st)
{
    remove_done(call, res, st, "issue", 'I');
}

static void issue_remove(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__RemoveIssueRequest *in = (const Isms__V1__RemoveIssueRequest *)msg;
    struct isms_status st;
    int64_t num;
    struct isms_bind b;

    if (isms_text_check("id", in->id, 200, 1, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (!isms_context_parse_id('I', in->id, &num)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "issue id must look like I-<n>, got \"%s\"",
                       in->id);
        return;
    }
    isms_bind_init(&b, &STMT_ISSUE_REMOVE);
    isms_bind_int64(&b, "num", num);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    call->ctx = in->id;
    isms_call_db_or_fail(call, &b, issue_remove_done);
}

enum isms_code isms_context_register(struct isms_server *srv, struct isms_status *st)
{
    /* Order follows the service declaration in proto/isms/v1/context.proto. */
    static const struct isms_method_spec specs[] = {
        {"Get", context_get, 0, ISMS_ROLES_READ},
        {"Update", context_update, 0, ISMS_ROLE_MANAGER},
        {"AddParty", party_add, 0, ISMS_ROLE_MANAGER},
        {"RemoveParty", party_remove, 0, ISMS_ROLE_MANAGER},
        {"AddIssue", issue_add, 0, ISMS_ROLE_MANAGER},
        {"RemoveIssue", issue_remove, 0, ISMS_ROLE_MANAGER},
        {"UpdateParty", isms_context_update_party, 0, ISMS_ROLE_MANAGER},
        {"UpdateIssue", isms_context_update_issue, 0, ISMS_ROLE_MANAGER},
    };

    return isms_registry_add(&srv->reg, &isms__v1__context__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
