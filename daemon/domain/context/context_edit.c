/* domain/context/context_edit.c — editing the context's parts in place (clause 4): an
 * interested party's name, kind, requirements and whether the ISMS addresses them (4.2 c), an
 * issue's kind and description (4.1). One statement each: the row is changed only while it is
 * at the expected version, with its audit record (old and new values). */
#include "domain/context/context_edit.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <strings.h>

#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/context/context_rules.h"
#include "domain/domain.h"
#include "isms/v1/context.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"

/* $1 num (NULL: by name $2), $3.. set flags and values, $13 expected version, $14 actor,
 * $15 source. Found, its version, then the updated party (NULLs when the version was stale). */
static const char SQL_PARTY_UPDATE[] =
    "WITH cur AS (SELECT * FROM interested_party WHERE CASE WHEN $1::bigint IS NOT NULL"
    "  THEN num = $1::bigint ELSE lower(name) = lower($2) END),"
    " u AS (UPDATE interested_party p SET"
    "  name = CASE WHEN $3::boolean THEN $4 ELSE p.name END,"
    "  kind = CASE WHEN $5::boolean THEN $6 ELSE p.kind END,"
    "  requirements = CASE WHEN $7::boolean THEN $8 ELSE p.requirements END,"
    "  addressed = CASE WHEN $9::boolean THEN $10 ELSE p.addressed END,"
    "  addressed_note = CASE WHEN $11::boolean THEN $12 ELSE p.addressed_note END,"
    "  version = p.version + 1, updated_at = now(), updated_by = $14"
    "  FROM cur WHERE p.num = cur.num AND ($13::bigint = 0 OR p.version = $13::bigint)"
    "  RETURNING p.*),"
    " a AS (SELECT audit_append($14, $15, '/isms.v1.Context/UpdateParty', 'party:P-' || u.num,"
    "  audit_diff(jsonb_build_object('name', cur.name, 'kind', cur.kind, 'requirements',"
    "  cur.requirements, 'addressed', cur.addressed, 'addressed_note', cur.addressed_note),"
    "  jsonb_build_object('name', u.name, 'kind', u.kind, 'requirements', u.requirements,"
    "  'addressed', u.addressed, 'addressed_note', u.addressed_note)), 'OK') AS seq"
    "  FROM u, cur)" ISMS_SQL_IDEM(
        "$16", "a") ""
                    " SELECT (SELECT count(*) FROM cur), coalesce((SELECT version FROM cur), 0),"
                    " u.num, u.name, u.kind, u.requirements, " ISMS_SQL_TS(
                        "u.created_at") ", u.version,"
                                        " u.addressed, u.addressed_note, (SELECT count(*) FROM a)"
                                        " FROM (SELECT 1) one LEFT JOIN u ON true";
ISMS_STATEMENT(STMT_PARTY_UPDATE, SQL_PARTY_UPDATE, "num", "name_ref", "set_name", "name",
               "set_kind", "kind", "set_requirements", "requirements", "set_addressed", "addressed",
               "set_addressed_note", "addressed_note", "expected_version", "actor", "source",
               ISMS_SQL_IDEM_PARAM);

/* $1 num, $2.. set flags and values, $6 expected version, $7 actor, $8 source. */
static const char SQL_ISSUE_UPDATE[] =
    "WITH cur AS (SELECT * FROM context_issue WHERE num = $1::bigint),"
    " u AS (UPDATE context_issue i SET"
    "  kind = CASE WHEN $2::boolean THEN $3 ELSE i.kind END,"
    "  description = CASE WHEN $4::boolean THEN $5 ELSE i.description END,"
    "  version = i.version + 1, updated_at = now(), updated_by = $7"
    "  FROM cur WHERE i.num = cur.num AND ($6::bigint = 0 OR i.version = $6::bigint)"
    "  RETURNING i.*),"
    " a AS (SELECT audit_append($7, $8, '/isms.v1.Context/UpdateIssue', 'issue:I-' || u.num,"
    "  audit_diff(jsonb_build_object('kind', cur.kind, 'description', cur.description),"
    "  jsonb_build_object('kind', u.kind, 'description', u.description)), 'OK') AS seq"
    "  FROM u, cur)" ISMS_SQL_IDEM(
        "$9", "a") ""
                   " SELECT (SELECT count(*) FROM cur), coalesce((SELECT version FROM cur), 0),"
                   " u.num, u.kind, u.description, " ISMS_SQL_TS(
                       "u.created_at") ", u.version,"
                                       " (SELECT count(*) FROM a)"
                                       " FROM (SELECT 1) one LEFT JOIN u ON true";
ISMS_STATEMENT(STMT_ISSUE_UPDATE, SQL_ISSUE_UPDATE, "num", "set_kind", "kind", "set_description",
               "description", "expected_version", "actor", "source", ISMS_SQL_IDEM_PARAM);

enum isms_code isms_context_addressed(const char *in, const char **out, struct isms_status *st)
{
    static const char *const answers[] = {"", "yes", "partly", "no"};

    for (size_t k = 0; in != NULL && k < sizeof(answers) / sizeof(answers[0]); k++) {
        if (strcasecmp(in, answers[k]) == 0) {
            *out = answers[k];
            return ISMS_OK;
        }
    }
    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                           "addressed (4.2 c) must be yes, partly, no or empty, got \"%s\"",
                           in != NULL ? in : "");
}

static void fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "response exceeds the call's memory limit");
}

static char *cell(struct isms_call *call, const struct isms_rows *res, int col)
{
    return isms_arena_strdup(&call->arena, isms_rows_text(res, 0, col));
}

/* NOT_FOUND, or ABORTED for a stale version; false when the row was updated. */
static bool refused(struct isms_call *call, const struct isms_rows *res, const char *what,
                    const char *id, int64_t expected)
{
    if (isms_rows_int64(res, 0, 0) == 0) {
        isms_call_fail(call, ISMS_NOT_FOUND, "%s \"%s\" does not exist", what, id);
        return true;
    }
    if (isms_rows_is_null(res, 0, 2)) {
        isms_call_fail(call, ISMS_ABORTED,
                       "%s %s was changed by someone else: it is at version %" PRId64
                       ", not %" PRId64 "; show it again and retry",
                       what, id, isms_rows_int64(res, 0, 1), expected);
        return true;
    }
    return false;
}

static void party_update_done(struct isms_call *call, const struct isms_rows *res,
                              const struct isms_status *st)
{
    const Isms__V1__UpdatePartyRequest *in = call->ctx;
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
    if (refused(call, res, "interested party", in->id, in->expected_version))
        return;
    p = isms_arena_calloc(&call->arena, sizeof(*p));
    if (p == NULL) {
        fail_oom(call);
        return;
    }
    isms__v1__interested_party__init(p);
    p->id = isms_arena_printf(&call->arena, "P-%" PRId64, isms_rows_int64(res, 0, 2));
    p->name = cell(call, res, 3);
    p->kind = cell(call, res, 4);
    p->requirements = cell(call, res, 5);
    p->created_at = cell(call, res, 6);
    p->version = isms_rows_int64(res, 0, 7);
    p->addressed = cell(call, res, 8);
    p->addressed_note = cell(call, res, 9);
    if (!p->id || !p->name || !p->kind || !p->requirements || !p->created_at || !p->addressed ||
        !p->addressed_note) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &p->base);
}

void isms_context_update_party(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__UpdatePartyRequest *in = (const Isms__V1__UpdatePartyRequest *)msg;
    const char *kind = "", *addressed = "";
    struct isms_status st;
    struct isms_bind b;
    int64_t num = 0;
    bool by_num = isms_context_parse_id('P', in->id, &num);

    if (!in->set_name && !in->set_kind && !in->set_requirements && !in->set_addressed &&
        !in->set_addressed_note) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "nothing to change: set name, kind, requirements, addressed or "
                       "addressed_note");
        return;
    }
    if (isms_text_check("party", in->id, ISMS_CONTEXT_PARTY_NAME_MAX, 1, &st) != ISMS_OK ||
        (in->set_name &&
         isms_text_check("party name", in->name, ISMS_CONTEXT_PARTY_NAME_MAX, 1, &st) != ISMS_OK) ||
        (in->set_kind && isms_context_kind(in->kind, NULL, &kind, &st) != ISMS_OK) ||
        (in->set_requirements && isms_text_check("requirements", in->requirements,
                                                 ISMS_CONTEXT_TEXT_MAX, 0, &st) != ISMS_OK) ||
        (in->set_addressed && isms_context_addressed(in->addressed, &addressed, &st) != ISMS_OK) ||
        (in->set_addressed_note && isms_text_check("addressed_note", in->addressed_note,
                                                   ISMS_CONTEXT_TEXT_MAX, 0, &st) != ISMS_OK)) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (in->expected_version < 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "expected_version must be >= 0");
        return;
    }
    isms_bind_init(&b, &STMT_PARTY_UPDATE);
    if (by_num)
        isms_bind_int64(&b, "num", num);
    else
        isms_bind_null(&b, "num");
    isms_bind_text(&b, "name_ref", in->id);
    isms_bind_bool(&b, "set_name", in->set_name);
    isms_bind_text(&b, "name", in->name);
    isms_bind_bool(&b, "set_kind", in->set_kind);
    isms_bind_text(&b, "kind", kind);
    isms_bind_bool(&b, "set_requirements", in->set_requirements);
    isms_bind_text(&b, "requirements", in->requirements);
    isms_bind_bool(&b, "set_addressed", in->set_addressed);
    isms_bind_text(&b, "addressed", addressed);
    isms_bind_bool(&b, "set_addressed_note", in->set_addressed_note);
    isms_bind_text(&b, "addressed_note", in->addressed_note);
    isms_bind_int64(&b, "expected_version", in->expected_version);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, party_update_done);
}

static void issue_update_done(struct isms_call *call, const struct isms_rows *res,
                              const struct isms_status *st)
{
    const Isms__V1__UpdateIssueRequest *in = call->ctx;
    Isms__V1__ContextIssue *i;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (refused(call, res, "issue", in->id, in->expected_version))
        return;
    i = isms_arena_calloc(&call->arena, sizeof(*i));
    if (i == NULL) {
        fail_oom(call);
        return;
    }
    isms__v1__context_issue__init(i);
    i->id = isms_arena_printf(&call->arena, "I-%" PRId64, isms_rows_int64(res, 0, 2));
    i->kind = cell(call, res, 3);
    i->description = cell(call, res, 4);
    i->created_at = cell(call, res, 5);
    i->version = isms_rows_int64(res, 0, 6);
    if (!i->id || !i->kind || !i->description || !i->created_at) {
        fail_oom(call);
        return;
    }
    isms_call_finish(call, &i->base);
}

void isms_context_update_issue(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__UpdateIssueRequest *in = (const Isms__V1__UpdateIssueRequest *)msg;
    const char *kind = "";
    struct isms_status st;
    struct isms_bind b;
    int64_t num = 0;

    if (!isms_context_parse_id('I', in->id, &num)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "issue id must look like I-<n>, got \"%s\"",
                       in->id);
        return;
    }
    if (!in->set_kind && !in->set_description) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "nothing to change: set kind or description");
        return;
    }
    if ((in->set_kind && isms_context_kind(in->kind, NULL, &kind, &st) != ISMS_OK) ||
        (in->set_description && isms_text_check("description", in->description,
                                                ISMS_CONTEXT_TEXT_MAX, 1, &st) != ISMS_OK)) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (in->expected_version < 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "expected_version must be >= 0");
        return;
    }
    isms_bind_init(&b, &STMT_ISSUE_UPDATE);
    isms_bind_int64(&b, "num", num);
    isms_bind_bool(&b, "set_kind", in->set_kind);
    isms_bind_text(&b, "kind", kind);
    isms_bind_bool(&b, "set_description", in->set_description);
    isms_bind_text(&b, "description", in->description);
    isms_bind_int64(&b, "expected_version", in->expected_version);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    call->ctx = (void *)in;
    isms_call_db_or_fail(call, &b, issue_update_done);
}
