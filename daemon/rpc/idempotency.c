/* rpc/idempotency.c — idempotency keys (`idempotency-key` metadata). A keyed call is looked
 * up before its handler runs: a stored answer is replayed, a key of another request refused,
 * a key in use by a call still running refused ABORTED. Otherwise the handler runs and each
 * of its write statements carries the key (ISMS_SQL_IDEM inserts the row in the write's own
 * statement, so the key commits exactly when the write does); once answered, the answer is
 * recorded on the row before it is sent. The invariant: a key row exists iff a write made
 * with it committed, so a repeat never writes twice, whatever crashed in between. */
#include "rpc/idempotency.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "db/bind.h"
#include "db/pool.h"
#include "db/rows.h"
#include "isms/v1/envelope.pb-c.h"
#include "rpc/call.h"
#include "rpc/registry.h"
#include "rpc/server.h"

/* $1 user, $2 key. Prunes expired keys (this one, and up to 100 others) on the way. */
static const char SQL_IDEM_LOOKUP[] =
    "WITH prune AS (DELETE FROM idempotency_key WHERE (user_name = $1 AND key = $2"
    "  AND created_at < now() - interval '24 hours') OR ctid IN (SELECT ctid"
    "  FROM idempotency_key WHERE created_at < now() - interval '24 hours' LIMIT 100"
    "  FOR UPDATE SKIP LOCKED))"
    " SELECT method, encode(body_hash, 'hex'), code, message, encode(response, 'hex')"
    " FROM idempotency_key WHERE user_name = $1 AND key = $2"
    " AND created_at >= now() - interval '24 hours'";
ISMS_STATEMENT(STMT_IDEM_LOOKUP, SQL_IDEM_LOOKUP, "user", "key");

/* $1 user, $2 key, $3 code, $4 message, $5 response body (hex). */
static const char SQL_IDEM_RECORD[] =
    "UPDATE idempotency_key SET code = $3::int, message = $4, response = decode($5, 'hex')"
    " WHERE user_name = $1 AND key = $2 AND code IS NULL";
ISMS_STATEMENT(STMT_IDEM_RECORD, SQL_IDEM_RECORD, "user", "key", "code", "message", "response");

/* The answer being recorded, in the call's arena. */
struct idem_record {
    enum isms_code code;
    const char *msg;
    const uint8_t *body;
    size_t body_len;
    isms_idem_sent_cb *sent;
};

enum isms_code isms_idem_check_key(const char *key, struct isms_status *st)
{
    size_t n = strlen(key);

    if (n == 0 || n > ISMS_IDEM_KEY_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "idempotency-key must be 1 to %d characters, got %zu",
                               ISMS_IDEM_KEY_MAX, n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] > 0x7e)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "idempotency-key must be printable ASCII (byte %zu is 0x%02x)",
                                   i + 1, (unsigned char)key[i]);
    return ISMS_OK;
}

enum isms_code isms_idem_take(struct isms_call *call, const uint8_t *body, size_t len,
                              struct isms_status *st)
{
    const Isms__V1__Request *req = (const Isms__V1__Request *)call->envelope;
    const char *key = NULL;

    for (size_t i = 0; i < req->n_metadata; i++) {
        const Isms__V1__Request__MetadataEntry *e = req->metadata[i];

        if (e->key == NULL || strcmp(e->key, ISMS_IDEM_METADATA) != 0)
            continue;
        if (key != NULL)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "idempotency-key is given more than once");
        key = e->value != NULL ? e->value : "";
    }
    if (key == NULL)
        return ISMS_OK;
    if (isms_idem_check_key(key, st) != ISMS_OK)
        return st->code;
    /* Answers carrying passwords or new tokens are never stored. */
    if (call->method->flags & ISMS_METHOD_SECRET)
        return ISMS_OK;
    crypto_hash_sha256(call->idem_hash, body, len);
    call->idem_key = key;
    return ISMS_OK;
}

/* Another call of this user with this key that has not been answered and recorded yet. */
static int is_in_progress(const struct isms_call *call)
{
    for (const struct isms_call *c = call->srv->calls; c != NULL; c = c->next)
        if (c != call && c->state != ISMS_CALL_RELEASED && c->idem_state != ISMS_IDEM_NONE &&
            c->idem_key != NULL && strcmp(c->idem_key, call->idem_key) == 0 &&
            strcmp(c->principal.user, call->principal.user) == 0)
            return 1;
    return 0;
}

/* A PostgreSQL text[] element: double-quoted, `"` and `\` escaped. */
static char *put_element(char *p, const char *s)
{
    *p++ = '"';
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            *p++ = '\\';
        *p++ = *s;
    }
    *p++ = '"';
    return p;
}

/* call->idem_param: {user, key, method, hex hash} as a text[] literal. */
static int make_param(struct isms_call *call)
{
    char hex[2 * sizeof(call->idem_hash) + 1];
    const char *items[4];
    size_t n = 3;
    char *s, *p;

    sodium_bin2hex(hex, sizeof(hex), call->idem_hash, sizeof(call->idem_hash));
    items[0] = call->principal.user;
    items[1] = call->idem_key;
    items[2] = call->method->name;
    items[3] = hex;
    for (int i = 0; i < 4; i++)
        n += 2 * strlen(items[i]) + 3;
    s = isms_arena_alloc(&call->arena, n);
    if (s == NULL)
        return -1;
    p = s;
    *p++ = '{';
    for (int i = 0; i < 4; i++) {
        if (i > 0)
            *p++ = ',';
        p = put_element(p, items[i]);
    }
    *p++ = '}';
    *p = '\0';
    call->idem_param = s;
    return 0;
}

static void run_handler(struct isms_call *call)
{
    const ProtobufCMessage *msg = call->idem_msg;

    call->idem_msg = NULL;
    call->idem_state = ISMS_IDEM_ACTIVE;
    call->method->handler(call, msg);
}

static void lookup_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    char hex[2 * sizeof(call->idem_hash) + 1];
    const char *body_hex;
    uint8_t *body = NULL;
    size_t body_len = 0;
    enum isms_code code;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) == 0) {
        if (call->is_idem_retaken) {
            isms_call_fail(call, ISMS_ABORTED,
                           "a request with this idempotency-key is in progress; retry");
            return;
        }
        run_handler(call);
        return;
    }
    sodium_bin2hex(hex, sizeof(hex), call->idem_hash, sizeof(call->idem_hash));
    if (strcmp(isms_rows_text(res, 0, 0), call->method->name) != 0 ||
        strcmp(isms_rows_text(res, 0, 1), hex) != 0) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "idempotency-key reused for a different request");
        return;
    }
    if (isms_rows_is_null(res, 0, 2)) {
        /* The write committed but its answer was never recorded (crash, lost database, or a
         * deadline answered before the outcome was known): say what is known. */
        isms_call_fail(call, ISMS_ALREADY_EXISTS,
                       "an earlier request with this idempotency-key succeeded, but its response "
                       "was not recorded; read the record to see the result");
        return;
    }
    code = (enum isms_code)isms_rows_int64(res, 0, 2);
    body_hex = isms_rows_text(res, 0, 4);
    if (!isms_rows_is_null(res, 0, 4) && body_hex[0] != '\0') {
        size_t n = strlen(body_hex) / 2;

        body = isms_arena_alloc(&call->arena, n);
        if (body == NULL ||
            sodium_hex2bin(body, n, body_hex, strlen(body_hex), NULL, &body_len, NULL) != 0) {
            isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED,
                           "the stored response exceeds the call's memory limit");
            return;
        }
    }
    isms_log_debug("idempotent repeat answered from the stored response",
                   "call=%" PRIu64 " method=%s user=%s code=%s", call->id, call->method->name,
                   call->principal.user, isms_code_name(code));
    isms_call_answer_stored(call, code, isms_rows_text(res, 0, 3), body, body_len);
}

static void lookup(struct isms_call *call)
{
    struct isms_bind b;

    call->idem_state = ISMS_IDEM_LOOKUP;
    isms_bind_init(&b, &STMT_IDEM_LOOKUP);
    isms_bind_text(&b, "user", call->principal.user);
    isms_bind_text(&b, "key", call->idem_key);
    isms_call_db_or_fail(call, &b, lookup_done);
}

void isms_call_dispatch(struct isms_call *call, const ProtobufCMessage *msg)
{
    if (call->idem_key == NULL || !call->principal.is_authenticated) {
        call->method->handler(call, msg);
        return;
    }
    if (is_in_progress(call)) {
        isms_call_fail(call, ISMS_ABORTED, "a request with this idempotency-key is in progress");
        return;
    }
    if (make_param(call) != 0) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "request exceeds the call's memory limit");
        return;
    }
    call->idem_msg = msg;
    lookup(call);
}

int isms_idem_after_write(struct isms_call *call, const struct isms_status *st)
{
    if (st->code == ISMS_OK) {
        call->idem_state = ISMS_IDEM_COMMITTED;
        return 0;
    }
    if (st->code == ISMS_ABORTED && strcmp(st->msg, ISMS_SQL_IDEM_TAKEN) == 0 &&
        !call->is_idem_retaken) {
        /* Nothing was written: the key committed with another call's write meanwhile. */
        call->is_idem_retaken = 1;
        lookup(call);
        return 1;
    }
    return 0;
}

static void record_done(void *arg, const struct isms_rows *rows, const struct isms_status *st)
{
    struct isms_call *call = arg;
    struct idem_record *r = call->idem_record;

    (void)rows;
    call->idem_job = NULL;
    if (st->code != ISMS_OK)
        isms_log_warn("could not record the answer of an idempotency-key",
                      "call=%" PRIu64 " method=%s code=%s error=%s", call->id, call->method->name,
                      isms_code_name(st->code), st->msg);
    r->sent(call, r->code, r->msg, r->body, r->body_len);
}

int isms_idem_record(struct isms_call *call, enum isms_code code, const char *msg,
                     const uint8_t *body, size_t body_len, isms_idem_sent_cb *sent)
{
    struct idem_record *r = isms_arena_calloc(&call->arena, sizeof(*r));
    char *hex = isms_arena_alloc(&call->arena, 2 * body_len + 1);
    char num[16];
    struct isms_bind b;
    struct isms_status st;
    const char *const *values;

    if (r == NULL || hex == NULL || call->srv->pool == NULL)
        goto skip;
    r->code = code;
    r->msg = isms_arena_strdup(&call->arena, msg != NULL ? msg : "");
    r->body = body;
    r->body_len = body_len;
    r->sent = sent;
    if (r->msg == NULL)
        goto skip;
    sodium_bin2hex(hex, 2 * body_len + 1, body, body_len);
    snprintf(num, sizeof(num), "%d", (int)code);
    isms_bind_init(&b, &STMT_IDEM_RECORD);
    isms_bind_text(&b, "user", call->principal.user);
    isms_bind_text(&b, "key", call->idem_key);
    isms_bind_text(&b, "code", num);
    isms_bind_text(&b, "message", r->msg);
    isms_bind_text(&b, "response", hex);
    if (isms_bind_finish(&b, &values, &st) != ISMS_OK ||
        isms_db_exec(call->srv->pool, STMT_IDEM_RECORD.text, STMT_IDEM_RECORD.nparams, values,
                     record_done, call, &call->idem_job, &st) != ISMS_OK)
        goto skip_logged;
    call->idem_record = r;
    call->idem_state = ISMS_IDEM_RECORDING;
    call->pending_async++;
    return 1;
skip:
    isms_status_set(&st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
skip_logged:
    isms_log_warn("could not record the answer of an idempotency-key",
                  "call=%" PRIu64 " method=%s code=%s error=%s", call->id, call->method->name,
                  isms_code_name(st.code), st.msg);
    return 0;
}

void isms_idem_abandon(struct isms_call *call)
{
    struct idem_record *r = call->idem_record;

    if (call->idem_job == NULL)
        return;
    isms_db_job_abandon(call->idem_job);
    call->idem_job = NULL;
    r->sent(call, r->code, r->msg, r->body, r->body_len);
}
