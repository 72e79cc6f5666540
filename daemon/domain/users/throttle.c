/* domain/users/throttle.c — counting and recording refused password checks, and the admin's
 * view of the counters (User/ListLockouts, User/Unlock). Every refusal of a password check
 * reaches the audit trail through auth_failure_audit(), which bounds the records an address can
 * cause per minute; the refusal's answer never depends on which key was locked. */
#include "domain/users/throttle.h"

#include <stdio.h>
#include <string.h>

#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/users/users.h"
#include "isms/v1/auth.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

/* clang-format off */
/* The bar of a login_throttle row, from what it counts (p: the row's alias and a dot, or ""). */
#define BAR(p)                                                                      \
    "(CASE WHEN " p "source = '' THEN " STR(ISMS_THROTTLE_USER_BAR)                 \
    " WHEN " p "user_name = '' THEN " STR(ISMS_THROTTLE_ADDR_BAR)                   \
    " ELSE " STR(ISMS_THROTTLE_PAIR_BAR) " END)"

/* A checked, wrong password: every key counts it. Rows go in key order, as an index scan
 * takes them, so that two of these statements do not deadlock. Failures older than an hour
 * start counting again; counters idle for a day are forgotten, so guessed user names cannot
 * grow the table without bound. */
static const char SQL_THROTTLE_FAIL[] =
    "WITH f AS (INSERT INTO login_throttle AS t (key, user_name, source, failures, last_failure)"
    "  VALUES ('addr:' || $2, '', $2, 1, now()), ('pair:' || $2 || ' ' || $1, $1, $2, 1, now()),"
    "  ('user:' || $1, $1, '', 1, now())"
    "  ON CONFLICT (key) DO UPDATE SET"
    "  failures = CASE WHEN t.last_failure < now() - interval '1 hour' THEN 1"
    "   ELSE least(t.failures + 1, 1000000) END,"
    "  last_failure = now(),"
    "  locked_until = CASE WHEN t.last_failure >= now() - interval '1 hour'"
    "   AND t.failures + 1 >= " BAR("t.")
    "   THEN now() + make_interval(secs => least(900,"
    "    power(2, least(t.failures + 1 - " BAR("t.") ", 20))))"
    "   ELSE t.locked_until END RETURNING 1),"
    " p AS (DELETE FROM login_throttle WHERE last_failure < now() - interval '1 day'"
    "  AND (locked_until IS NULL OR locked_until < now())"
    "  AND key NOT IN ('user:' || $1, 'addr:' || $2, 'pair:' || $2 || ' ' || $1)),"
    " a AS (SELECT auth_failure_audit($1, $2, $3, 'user:' || $1, $4) AS own)"
    " SELECT (SELECT count(*) FROM f), (SELECT count(*) FROM a)";
ISMS_STATEMENT(STMT_THROTTLE_FAIL, SQL_THROTTLE_FAIL, "user", "source", "method", "result");

/* Refused while locked, without a password check: only the keys locked now count it. */
static const char SQL_THROTTLE_LOCKED[] =
    "WITH f AS (UPDATE login_throttle SET failures = least(failures + 1, 1000000),"
    "  last_failure = now(), locked_until = greatest(locked_until, now() + make_interval(secs =>"
    "  least(900, power(2, least(failures + 1 - " BAR("") ", 20)))))"
    "  WHERE key IN ('user:' || $1, 'addr:' || $2, 'pair:' || $2 || ' ' || $1)"
    "  AND locked_until > now() RETURNING 1),"
    " a AS (SELECT auth_failure_audit($1, $2, $3, 'user:' || $1, $4) AS own)"
    " SELECT (SELECT count(*) FROM f), (SELECT count(*) FROM a)";
/* clang-format on */
ISMS_STATEMENT(STMT_THROTTLE_LOCKED, SQL_THROTTLE_LOCKED, "user", "source", "method", "result");

#define TS(c) ISMS_SQL_TS(c)

static const char SQL_LOCKOUT_LIST[] = "SELECT user_name, source, failures, " TS(
    "last_failure") ","
                    " CASE WHEN locked_until > now() THEN " TS(
                        "locked_until") " ELSE '' END"
                                        " FROM login_throttle WHERE locked_until > now()"
                                        "  OR ($1::boolean AND last_failure > now() - interval '1 "
                                        "hour')"
                                        " ORDER BY coalesce(locked_until > now(), false) DESC, "
                                        "locked_until DESC NULLS LAST, key"
                                        " LIMIT 1000";
ISMS_STATEMENT(STMT_LOCKOUT_LIST, SQL_LOCKOUT_LIST, "include_unlocked");

static const char SQL_UNLOCK[] =
    "WITH d AS (DELETE FROM login_throttle WHERE ($1::text <> '' AND user_name = $1::text)"
    "  OR ($2::text <> '' AND source = $2::text) RETURNING 1),"
    " a AS (SELECT audit_append($3, $4, '/isms.v1.User/Unlock',"
    "  CASE WHEN $1::text <> '' THEN 'user:' || $1::text ELSE 'addr:' || $2::text END,"
    "  jsonb_build_object('user', $1::text, 'address', $2::text,"
    "   'cleared', (SELECT count(*) FROM d))::text, 'OK'))" ISMS_SQL_IDEM(
        "$5", "a") ""
                   " SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM a)";
ISMS_STATEMENT(STMT_UNLOCK, SQL_UNLOCK, "user", "address", "actor", "source", ISMS_SQL_IDEM_PARAM);

/* ---- refusals ----------------------------------------------------------------------------- */

static void refuse_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    const struct isms_status *answer = call->ctx;

    (void)res;
    if (st->code != ISMS_OK)
        isms_call_fail_status(call, st);
    else
        isms_call_fail_status(call, answer);
}

void isms_throttle_refuse(struct isms_call *call, const char *user, int is_locked,
                          enum isms_code code, const char *msg)
{
    struct isms_status *answer = isms_arena_alloc(&call->arena, sizeof(*answer));
    struct isms_bind b;

    if (answer == NULL) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    isms_status_set(answer, code, "%s", msg);
    call->ctx = answer;
    isms_bind_init(&b, is_locked ? &STMT_THROTTLE_LOCKED : &STMT_THROTTLE_FAIL);
    isms_bind_text(&b, "user", user);
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_bind_text(&b, "method", call->method->name);
    isms_bind_text(&b, "result", isms_code_name(code));
    isms_call_db_or_fail(call, &b, refuse_done);
}

/* ---- User/ListLockouts -------------------------------------------------------------------- */

static void list_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    struct isms_arena *a = &call->arena;
    Isms__V1__ListLockoutsResponse *r;
    int n;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    r = isms_arena_calloc(a, sizeof(*r));
    if (r == NULL || (isms__v1__list_lockouts_response__init(r), 0) ||
        (r->lockouts = isms_arena_calloc(a, sizeof(*r->lockouts) * (size_t)(n + 1))) == NULL) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        Isms__V1__Lockout *l = isms_arena_calloc(a, sizeof(*l));

        if (l == NULL) {
            isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
            return;
        }
        isms__v1__lockout__init(l);
        l->user = isms_arena_strdup(a, isms_rows_text(res, i, 0));
        l->address = isms_arena_strdup(a, isms_rows_text(res, i, 1));
        l->failures = (uint32_t)isms_rows_int64(res, i, 2);
        l->last_failure_at = isms_arena_strdup(a, isms_rows_text(res, i, 3));
        l->locked_until = isms_arena_strdup(a, isms_rows_text(res, i, 4));
        if (!l->user || !l->address || !l->last_failure_at || !l->locked_until) {
            isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
            return;
        }
        r->lockouts[i] = l;
    }
    r->n_lockouts = (size_t)n;
    isms_call_finish(call, &r->base);
}

void isms_user_list_lockouts(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ListLockoutsRequest *in = (const Isms__V1__ListLockoutsRequest *)msg;
    struct isms_bind b;

    isms_bind_init(&b, &STMT_LOCKOUT_LIST);
    isms_bind_bool(&b, "include_unlocked", in->include_unlocked);
    isms_call_db_or_fail(call, &b, list_done);
}

/* ---- User/Unlock -------------------------------------------------------------------------- */

static void unlock_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    Isms__V1__UnlockResponse r = ISMS__V1__UNLOCK_RESPONSE__INIT;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    r.cleared = (uint32_t)isms_rows_int64(res, 0, 0);
    isms_call_finish(call, &r.base);
}

void isms_user_unlock(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__UnlockRequest *in = (const Isms__V1__UnlockRequest *)msg;
    const char *user = in->user != NULL ? in->user : "";
    const char *addr = in->address != NULL ? in->address : "";
    struct isms_status st;
    struct isms_bind b;

    if (isms_text_check("user", user, 64, 0, &st) != ISMS_OK ||
        isms_text_check("address", addr, 64, 0, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (user[0] == '\0' && addr[0] == '\0') {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "give a user, an address or both to unlock");
        return;
    }
    isms_bind_init(&b, &STMT_UNLOCK);
    isms_bind_text(&b, "user", user);
    isms_bind_text(&b, "address", addr);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, unlock_done);
}
