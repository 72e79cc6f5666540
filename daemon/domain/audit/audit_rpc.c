/* domain/audit/audit_rpc.c — isms.v1.Audit: read, verify and export the hash-chained trail.
 * All three walk the chain in keyset pages (seq > last), so memory stays bounded however long
 * the trail; streams wait for the connection's output to drain between pages. Verify and
 * Export also carry the signed checkpoints (each page joins them by seq; a last query finds
 * those beyond the chain's end, which mean its tail was cut). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "auth/roles.h"
#include "common/audit_chain.h"
#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/audit/audit_signer.h"
#include "domain/domain.h"
#include "isms/v1/audit.pb-c.h"
#include "rpc/call.h"
#include "rpc/registry.h"
#include "rpc/server.h"

#define PAGE_ROWS        "1000"
#define PAGE_ROWS_N      1000
#define LOG_LIMIT_MAX    100000
#define STREAM_OUT_BELOW (1u << 20)
#define ROW_ARENA_BYTES  (64u * 1024) /* records point into the result; a checkpoint is small */

static const char SQL_AUDIT_PAGE[] =
    "SELECT a.seq, audit_ts(a.at), a.actor, a.source, a.method, a.entity, a.changes, a.result,"
    " encode(a.prev_hash, 'hex'), encode(a.hash, 'hex'),"
    " c.seq, encode(c.hash, 'hex'), audit_ts(c.signed_at), c.key_id, encode(c.signature, 'hex')"
    " FROM audit_log a LEFT JOIN audit_checkpoint c ON c.seq = a.seq"
    " WHERE a.seq > $1::bigint"
    " AND ($2 = '' OR a.entity = $2 OR (right($2, 1) = ':' AND starts_with(a.entity, $2)))"
    " AND ($3 = '' OR a.actor = $3)"
    " AND ($4 = '' OR a.at >= $4::timestamptz)"
    " ORDER BY a.seq LIMIT least($5::int, " PAGE_ROWS ")";
ISMS_STATEMENT(STMT_AUDIT_PAGE, SQL_AUDIT_PAGE, "after", "entity", "actor", "since", "limit");

static const char SQL_AUDIT_HEAD[] =
    "SELECT seq, encode(hash, 'hex'), audit_ts(date_trunc('microseconds', clock_timestamp()))"
    " FROM audit_log ORDER BY seq DESC LIMIT 1";
ISMS_STATEMENT_NO_PARAMS(STMT_AUDIT_HEAD, SQL_AUDIT_HEAD);

/* Checkpoints beyond the last record read: any at all means records were cut from the end. */
static const char SQL_AUDIT_CP_TAIL[] =
    "SELECT seq, encode(hash, 'hex'), audit_ts(signed_at), key_id, encode(signature, 'hex')"
    " FROM audit_checkpoint WHERE seq > $1::bigint ORDER BY seq LIMIT " PAGE_ROWS;
ISMS_STATEMENT(STMT_AUDIT_CP_TAIL, SQL_AUDIT_CP_TAIL, "after");

enum walk_kind { WALK_LOG, WALK_EXPORT, WALK_VERIFY };

struct walk {
    enum walk_kind kind;
    int64_t after;
    uint32_t remaining;
    const char *entity, *actor, *since;
    int64_t tail_after; /* checkpoints beyond the chain: the last one seen */
    struct isms_audit_verifier v;
    char last_good_hex[2 * ISMS_AUDIT_HASH_BYTES + 1];
};

static void next_page(struct isms_call *call);
static void tail_checkpoints(struct isms_call *call);

/* Row `r`'s checkpoint columns from `col` on (seq, hash, signed_at, key_id, signature) into
 * `out`; 0 when they are NULL (no checkpoint) or malformed (*bad then set). */
static int row_checkpoint(const struct isms_rows *res, int r, int col,
                          struct isms_audit_checkpoint *out, int *bad)
{
    memset(out, 0, sizeof(*out));
    *bad = 0;
    if (isms_rows_is_null(res, r, col))
        return 0;
    out->seq = isms_rows_int64(res, r, col);
    snprintf(out->signed_at, sizeof(out->signed_at), "%s", isms_rows_text(res, r, col + 2));
    snprintf(out->key_id, sizeof(out->key_id), "%s", isms_rows_text(res, r, col + 3));
    if (!isms_hex_decode(isms_rows_text(res, r, col + 1), out->hash, ISMS_AUDIT_HASH_BYTES) ||
        !isms_hex_decode(isms_rows_text(res, r, col + 4), out->signature, ISMS_AUDIT_SIG_BYTES)) {
        *bad = 1;
        return 0;
    }
    return 1;
}

/* The checkpoint message for Export, pointing into the result (valid for the row). */
static Isms__V1__AuditCheckpoint *checkpoint_msg(struct isms_arena *scratch,
                                                 const struct isms_rows *res, int r, int col)
{
    Isms__V1__AuditCheckpoint *c;

    if (isms_rows_is_null(res, r, col))
        return NULL;
    c = isms_arena_calloc(scratch, sizeof(*c));
    if (c == NULL)
        return NULL;
    isms__v1__audit_checkpoint__init(c);
    c->seq = isms_rows_int64(res, r, col);
    c->hash = (char *)isms_rows_text(res, r, col + 1);
    c->signed_at = (char *)isms_rows_text(res, r, col + 2);
    c->key_id = (char *)isms_rows_text(res, r, col + 3);
    c->signature = (char *)isms_rows_text(res, r, col + 4);
    return c;
}

static void check_checkpoint(struct walk *w, const struct isms_rows *res, int r, int col)
{
    struct isms_audit_checkpoint cp;
    int bad;

    if (row_checkpoint(res, r, col, &cp, &bad))
        (void)isms_audit_verifier_checkpoint(&w->v, &cp);
    else if (bad && w->v.first_bad_seq == 0) {
        w->v.first_bad_seq = isms_rows_int64(res, r, col);
        snprintf(w->v.problem, sizeof(w->v.problem), "checkpoint hash or signature malformed");
    }
}

static void row_to_record(const struct isms_rows *res, int r, Isms__V1__AuditRecord *out)
{
    isms__v1__audit_record__init(out);
    out->seq = isms_rows_int64(res, r, 0);
    out->at = (char *)isms_rows_text(res, r, 1);
    out->actor = (char *)isms_rows_text(res, r, 2);
    out->source = (char *)isms_rows_text(res, r, 3);
    out->method = (char *)isms_rows_text(res, r, 4);
    out->entity = (char *)isms_rows_text(res, r, 5);
    out->changes = (char *)isms_rows_text(res, r, 6);
    out->result = (char *)isms_rows_text(res, r, 7);
    out->prev_hash = (char *)isms_rows_text(res, r, 8);
    out->hash = (char *)isms_rows_text(res, r, 9);
}

static void verify_row(struct walk *w, const Isms__V1__AuditRecord *m)
{
    struct isms_audit_record rec;

    memset(&rec, 0, sizeof(rec));
    rec.seq = m->seq;
    rec.at = m->at;
    rec.actor = m->actor;
    rec.source = m->source;
    rec.method = m->method;
    rec.entity = m->entity;
    rec.changes = m->changes;
    rec.result = m->result;
    if (!isms_hex_decode(m->prev_hash, rec.prev_hash, ISMS_AUDIT_HASH_BYTES) ||
        !isms_hex_decode(m->hash, rec.hash, ISMS_AUDIT_HASH_BYTES)) {
        w->v.first_bad_seq = m->seq;
        snprintf(w->v.problem, sizeof(w->v.problem), "hash is not 32 bytes");
        return;
    }
    if (isms_audit_verifier_add(&w->v, &rec))
        snprintf(w->last_good_hex, sizeof(w->last_good_hex), "%s", m->hash);
}

static void on_tail(struct isms_call *call, const struct isms_rows *res,
                    const struct isms_status *st);

static void finish_verify(struct isms_call *call, struct walk *w)
{
    Isms__V1__AuditVerifyResponse r = ISMS__V1__AUDIT_VERIFY_RESPONSE__INIT;

    r.ok = w->v.first_bad_seq == 0;
    r.records = w->v.count;
    r.first_bad_seq = w->v.first_bad_seq;
    r.problem = w->v.problem;
    r.head_hash = w->last_good_hex;
    r.head_seq = w->v.last_seq;
    r.checkpoints = w->v.checkpoints;
    r.checkpoint_seq = w->v.checkpoint_seq;
    r.checkpoint_at = w->v.checkpoint_at;
    r.unchecked_records = w->v.last_seq - w->v.checkpoint_seq;
    r.public_key = (char *)call->srv->audit->key.pk_hex;
    isms_call_finish(call, &r.base);
}

/* One record of a page: sent by Log and Export, only verified by Verify (which stops at the
 * first bad record). */
static enum isms_row_fill fill_record(void *ctx, struct isms_arena *scratch,
                                      const struct isms_rows *res, int r, ProtobufCMessage *msg,
                                      struct isms_status *st)
{
    struct walk *w = ctx;
    Isms__V1__AuditRecord *m = (Isms__V1__AuditRecord *)msg;

    (void)st;
    row_to_record(res, r, m);
    w->after = m->seq;
    if (w->kind == WALK_VERIFY) {
        verify_row(w, m);
        check_checkpoint(w, res, r, 10);
        return w->v.first_bad_seq != 0 ? ISMS_ROW_STOP : ISMS_ROW_SKIP;
    }
    if (w->kind == WALK_EXPORT) {
        m->checkpoint = checkpoint_msg(scratch, res, r, 10);
        if (m->checkpoint == NULL && !isms_rows_is_null(res, r, 10))
            return ISMS_ROW_FAIL; /* the row did not fit */
    }
    if (w->remaining > 0)
        w->remaining--;
    return ISMS_ROW_SEND;
}

static void page_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    struct walk *w = call->ctx;
    Isms__V1__AuditRecord m;
    int n;

    if (st->code == ISMS_INVALID_ARGUMENT) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "since \"%s\" is not a date (YYYY-MM-DD) or an RFC 3339 time", w->since);
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    n = isms_rows_count(res);
    if (!isms_call_send_rows(call, res, ROW_ARENA_BYTES, fill_record, w, &m.base))
        return;
    if (w->kind == WALK_VERIFY && w->v.first_bad_seq != 0) {
        finish_verify(call, w);
        return;
    }
    if (w->kind != WALK_LOG && n < PAGE_ROWS_N) {
        tail_checkpoints(call);
        return;
    }
    if (n < PAGE_ROWS_N || (w->kind == WALK_LOG && w->remaining == 0)) {
        isms_call_finish(call, NULL);
        return;
    }
    isms_call_after_drain(call, STREAM_OUT_BELOW, next_page);
}

static void next_page(struct isms_call *call)
{
    struct walk *w = call->ctx;
    struct isms_bind b;

    isms_bind_init(&b, &STMT_AUDIT_PAGE);
    isms_bind_int64(&b, "after", w->after);
    isms_bind_text(&b, "entity", w->entity);
    isms_bind_text(&b, "actor", w->actor);
    isms_bind_text(&b, "since", w->since);
    isms_bind_int64(&b, "limit", w->kind == WALK_LOG ? w->remaining : PAGE_ROWS_N);
    isms_call_db_or_fail(call, &b, page_done);
}

/* A checkpoint beyond the chain: Export sends it alone (seq 0); Verify checks it, which fails
 * (the chain does not reach it), naming whether it is genuine. */
static enum isms_row_fill fill_tail(void *ctx, struct isms_arena *scratch,
                                    const struct isms_rows *res, int r, ProtobufCMessage *msg,
                                    struct isms_status *st)
{
    struct walk *w = ctx;
    Isms__V1__AuditRecord *m = (Isms__V1__AuditRecord *)msg;

    (void)st;
    w->tail_after = isms_rows_int64(res, r, 0);
    if (w->kind == WALK_VERIFY) {
        check_checkpoint(w, res, r, 0);
        return w->v.first_bad_seq != 0 ? ISMS_ROW_STOP : ISMS_ROW_SKIP;
    }
    isms__v1__audit_record__init(m);
    m->checkpoint = checkpoint_msg(scratch, res, r, 0);
    return m->checkpoint != NULL ? ISMS_ROW_SEND : ISMS_ROW_FAIL;
}

static void on_tail(struct isms_call *call, const struct isms_rows *res,
                    const struct isms_status *st)
{
    struct walk *w = call->ctx;
    Isms__V1__AuditRecord m;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (!isms_call_send_rows(call, res, ROW_ARENA_BYTES, fill_tail, w, &m.base))
        return;
    if (w->kind == WALK_VERIFY || isms_rows_count(res) < PAGE_ROWS_N) {
        if (w->kind == WALK_VERIFY)
            finish_verify(call, w);
        else
            isms_call_finish(call, NULL);
        return;
    }
    isms_call_after_drain(call, STREAM_OUT_BELOW, tail_checkpoints);
}

static void tail_checkpoints(struct isms_call *call)
{
    struct walk *w = call->ctx;
    struct isms_bind b;

    if (w->tail_after < w->after)
        w->tail_after = w->after;
    isms_bind_init(&b, &STMT_AUDIT_CP_TAIL);
    isms_bind_int64(&b, "after", w->tail_after);
    isms_call_db_or_fail(call, &b, on_tail);
}

static struct walk *walk_new(struct isms_call *call, enum walk_kind kind)
{
    struct walk *w;

    if (call->srv->audit == NULL) { /* only a server without its key (the fuzzer) */
        isms_call_fail(call, ISMS_UNAVAILABLE, "the audit key is not loaded");
        return NULL;
    }
    w = isms_arena_calloc(&call->arena, sizeof(*w));
    if (w == NULL) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    w->kind = kind;
    w->entity = w->actor = w->since = "";
    isms_audit_verifier_init(&w->v);
    if (!isms_audit_verifier_set_key(&w->v, call->srv->audit->key.pk)) {
        isms_call_fail(call, ISMS_INTERNAL, "could not compute the audit key id");
        return NULL;
    }
    call->ctx = w;
    return w;
}

/* A light shape check; PostgreSQL does the real parse. */
static int looks_like_date(const char *s)
{
    for (int i = 0; i < 10; i++) {
        if (s[i] == '\0')
            return 0;
        if ((i == 4 || i == 7) ? s[i] != '-' : !isdigit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

static void audit_log(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__AuditLogRequest *in = (const Isms__V1__AuditLogRequest *)msg;
    struct isms_status st;
    struct walk *w;

    if (isms_text_check("entity", in->entity, 200, 0, &st) != ISMS_OK ||
        isms_text_check("actor", in->actor, 200, 0, &st) != ISMS_OK ||
        isms_text_check("since", in->since, 64, 0, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (in->since[0] != '\0' && !looks_like_date(in->since)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "since \"%s\" is not a date (YYYY-MM-DD) or an RFC 3339 time", in->since);
        return;
    }
    if (in->limit > LOG_LIMIT_MAX || in->after_seq < 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "limit must be at most %d and after_seq not negative", LOG_LIMIT_MAX);
        return;
    }
    w = walk_new(call, WALK_LOG);
    if (w == NULL)
        return;
    w->after = in->after_seq;
    w->remaining = in->limit ? in->limit : 100;
    w->entity = in->entity;
    w->actor = in->actor;
    w->since = in->since;
    next_page(call);
}

static void audit_verify(struct isms_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    if (walk_new(call, WALK_VERIFY) != NULL)
        next_page(call);
}

/* Export's first item: the public key and the head as of now, signed for this export only
 * (not stored), so an export cut short fails offline even between stored checkpoints. */
static void on_export_head(struct isms_call *call, const struct isms_rows *res,
                           const struct isms_status *st)
{
    Isms__V1__AuditRecord head = ISMS__V1__AUDIT_RECORD__INIT;
    Isms__V1__AuditCheckpoint hc = ISMS__V1__AUDIT_CHECKPOINT__INIT;
    const struct isms_audit_key *key = &call->srv->audit->key;
    struct isms_audit_checkpoint cp;
    char hash_hex[2 * ISMS_AUDIT_HASH_BYTES + 1], sig_hex[2 * ISMS_AUDIT_SIG_BYTES + 1];
    struct isms_status sst;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    head.public_key = (char *)key->pk_hex;
    if (isms_rows_count(res) == 1) {
        memset(&cp, 0, sizeof(cp));
        cp.seq = isms_rows_int64(res, 0, 0);
        snprintf(hash_hex, sizeof(hash_hex), "%s", isms_rows_text(res, 0, 1));
        snprintf(cp.signed_at, sizeof(cp.signed_at), "%s", isms_rows_text(res, 0, 2));
        if (!isms_hex_decode(hash_hex, cp.hash, ISMS_AUDIT_HASH_BYTES)) {
            isms_call_fail(call, ISMS_INTERNAL, "audit head hash is malformed");
            return;
        }
        isms_audit_key_sign(key, &cp);
        isms_hex_encode(cp.signature, ISMS_AUDIT_SIG_BYTES, sig_hex);
        hc.seq = cp.seq;
        hc.hash = hash_hex;
        hc.signed_at = cp.signed_at;
        hc.key_id = cp.key_id;
        hc.signature = sig_hex;
        head.checkpoint = &hc;
    }
    if (isms_call_send_more(call, &head.base, &sst) != ISMS_OK) {
        isms_call_fail_status(call, &sst);
        return;
    }
    next_page(call);
}

static void audit_export(struct isms_call *call, const ProtobufCMessage *msg)
{
    struct isms_bind b;

    (void)msg;
    if (walk_new(call, WALK_EXPORT) == NULL)
        return;
    isms_bind_init(&b, &STMT_AUDIT_HEAD);
    isms_call_db_or_fail(call, &b, on_export_head);
}

enum isms_code isms_audit_register(struct isms_server *srv, struct isms_status *st)
{
    /* Order follows the service declaration in proto/isms/v1/audit.proto. */
    static const struct isms_method_spec specs[] = {
        {"Log", audit_log, ISMS_METHOD_STREAM,
         ISMS_ROLE_ADMIN | ISMS_ROLE_MANAGER | ISMS_ROLE_AUDITOR},
        {"Verify", audit_verify, 0, ISMS_ROLE_ADMIN | ISMS_ROLE_MANAGER | ISMS_ROLE_AUDITOR},
        {"Export", audit_export, ISMS_METHOD_STREAM, ISMS_ROLE_ADMIN | ISMS_ROLE_AUDITOR},
    };

    return isms_registry_add(&srv->reg, &isms__v1__audit__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
