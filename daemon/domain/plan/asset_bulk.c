/* domain/plan/asset_bulk.c — the two Asset RPCs that move many rows: List, a server stream
 * read in keyset pages (bounded memory however large the inventory; a page token stays correct
 * while others insert), and Import, one statement that creates a whole batch with its
 * dependencies and audit records, or nothing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/bind.h"
#include "db/rows.h"
#include "domain/domain.h"
#include "domain/plan/asset.h"
#include "domain/plan/asset_rules.h"
#include "isms/v1/asset.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"

#define PAGE_ROWS        500u
#define STREAM_OUT_BELOW (1u << 20)
#define SCRATCH_BYTES    (8u << 20)

#define COLS_T    ASSET_COLS("t")
#define JSON_S    ASSET_JSON("s")
#define REF_NUM_D REF_NUM("d.ref")

/* $1 the batch as a JSON array (rn = row number), $2 actor, $3 source. Checks what only the
 * database knows (names taken, dependencies naming nothing) and inserts every row with its
 * dependencies, or nothing. Cycles can only run through the batch's own rows (no existing
 * asset depends on a new one), and isms_asset_check_batch() finds those in linear time before
 * the statement runs; a recursive walk here grew with the square of a dependency chain. */
static const char SQL_ASSET_IMPORT[] =
    "WITH src AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r (rn int,"
    "  name text, type text, description text, owner text, custodian text, location text,"
    "  classification text, c int, i int, a int, tags text[], status text, deps text[])),"
    " dup_batch AS (SELECT s2.rn, s1.rn AS first FROM src s1 JOIN src s2"
    "  ON lower(s1.name) = lower(s2.name) AND s1.rn < s2.rn ORDER BY s2.rn LIMIT 1),"
    " dup_db AS (SELECT s.rn, x.num FROM src s JOIN asset x ON lower(x.name) = lower(s.name)"
    "  ORDER BY s.rn LIMIT 1),"
    " refs AS (SELECT s.rn, d.ord, d.ref, t.rn AS to_rn,"
    "  CASE WHEN t.rn IS NULL THEN " REF_NUM_D " END AS to_num"
    "  FROM src s CROSS JOIN LATERAL unnest(s.deps) WITH ORDINALITY AS d (ref, ord)"
    "  LEFT JOIN src t ON lower(t.name) = lower(d.ref)),"
    " missing AS (SELECT rn, ref FROM refs WHERE to_rn IS NULL AND to_num IS NULL"
    "  ORDER BY rn, ord LIMIT 1),"
    " cyc AS (SELECT NULL::int AS rn),"
    " badowner AS (SELECT s.rn, s.owner, coalesce(u.status, '') AS st FROM src s"
    "  LEFT JOIN app_user u ON u.name = lower(s.owner) WHERE u.status IS DISTINCT FROM 'active'"
    "  ORDER BY s.rn LIMIT 1),"
    " ok AS (SELECT NOT EXISTS (SELECT 1 FROM dup_batch) AND NOT EXISTS (SELECT 1 FROM dup_db)"
    "  AND NOT EXISTS (SELECT 1 FROM missing) AND (SELECT rn FROM cyc) IS NULL"
    "  AND NOT EXISTS (SELECT 1 FROM badowner) AS go),"
    " ins AS (INSERT INTO asset (name, type, description, owner, custodian, location,"
    "  classification, confidentiality, integrity, availability, tags, status, created_by,"
    "  updated_by) SELECT s.name, s.type, s.description, s.owner, s.custodian, s.location,"
    "  s.classification, s.c, s.i, s.a, s.tags, s.status, $2, $2 FROM src s, ok WHERE ok.go"
    "  ORDER BY s.rn RETURNING num, name),"
    " insn AS (SELECT s.rn, i.num FROM ins i JOIN src s ON lower(s.name) = lower(i.name)),"
    " deps AS (INSERT INTO asset_dependency (asset_num, depends_on_num, created_by)"
    "  SELECT DISTINCT a.num, coalesce(b.num, r.to_num), $2::text FROM refs r"
    "  JOIN insn a ON a.rn = r.rn LEFT JOIN insn b ON b.rn = r.to_rn RETURNING 1),"
    " au AS (SELECT audit_append($2, $3, '/isms.v1.Asset/Import', 'asset:A-' || q.num,"
    "  audit_diff(NULL, q.j), 'OK') AS seq FROM (SELECT i.num,"
    "  " JSON_S " || jsonb_build_object('depends_on', to_jsonb(s.deps)) AS j"
    "  FROM insn i JOIN (SELECT rn, name, type, description, owner, custodian, location,"
    "  classification, c AS confidentiality, i AS integrity, a AS availability, tags, status,"
    "  deps FROM src) s ON s.rn = i.rn ORDER BY i.rn) q)" ISMS_SQL_IDEM(
        "$4", "au") ""
                    " SELECT (SELECT go FROM ok), (SELECT rn FROM dup_batch), (SELECT first FROM "
                    "dup_batch),"
                    " (SELECT rn FROM dup_db), (SELECT num FROM dup_db), (SELECT rn FROM missing),"
                    " (SELECT ref FROM missing), (SELECT rn FROM cyc), (SELECT count(*) FROM au),"
                    " (SELECT count(*) FROM deps),"
                    " (SELECT coalesce(string_agg('A-' || num, ',' ORDER BY rn), '') FROM insn),"
                    " (SELECT rn FROM badowner), (SELECT owner FROM badowner),"
                    " (SELECT st FROM badowner)";
ISMS_STATEMENT(STMT_ASSET_IMPORT, SQL_ASSET_IMPORT, "batch", "actor", "source",
               ISMS_SQL_IDEM_PARAM);

/* List: $1 type, $2 owner, $3 classification, $4 tag, $5 text, $6 status, $7 rows, then the
 * cursor (pages after the first): $8 num (id sort), $8 lower-case name (name sort), or $8
 * updated_at in microseconds and $9 num (updated_at sort). The first page has its own statement
 * without a cursor: a "no cursor yet" flag in one statement keeps PostgreSQL's generic plan
 * (used after five executions) off the index, making every page a full scan and sort. */
#define LIST_HEAD                                                                                  \
    "SELECT " COLS_T " FROM asset t WHERE ($1::text = '' OR t.type = $1::text)"                    \
    " AND ($2::text = '' OR lower(t.owner) = lower($2::text))"                                     \
    " AND ($3::text = '' OR t.classification = $3::text)"                                          \
    " AND ($4::text = '' OR t.tags @> ARRAY[$4::text])"                                            \
    " AND ($5::text = '' OR strpos(lower(t.name), lower($5::text)) > 0"                            \
    "  OR strpos(lower(t.description), lower($5::text)) > 0)"                                      \
    " AND ($6::text = '' OR t.status = $6::text)"
#define TS_KEY "(timestamptz 'epoch' + $8::bigint * interval '1 microsecond')"

#define ORDER_ID_ASC    " ORDER BY t.num LIMIT $7::int"
#define ORDER_ID_DESC   " ORDER BY t.num DESC LIMIT $7::int"
#define ORDER_NAME_ASC  " ORDER BY lower(t.name) LIMIT $7::int"
#define ORDER_NAME_DESC " ORDER BY lower(t.name) DESC LIMIT $7::int"
#define ORDER_TIME_ASC  " ORDER BY t.updated_at, t.num LIMIT $7::int"
#define ORDER_TIME_DESC " ORDER BY t.updated_at DESC, t.num DESC LIMIT $7::int"

static const char SQL_LIST_ID_ASC_FIRST[] = LIST_HEAD ORDER_ID_ASC;
static const char SQL_LIST_ID_DESC_FIRST[] = LIST_HEAD ORDER_ID_DESC;
static const char SQL_LIST_NAME_ASC_FIRST[] = LIST_HEAD ORDER_NAME_ASC;
static const char SQL_LIST_NAME_DESC_FIRST[] = LIST_HEAD ORDER_NAME_DESC;
static const char SQL_LIST_TIME_ASC_FIRST[] = LIST_HEAD ORDER_TIME_ASC;
static const char SQL_LIST_TIME_DESC_FIRST[] = LIST_HEAD ORDER_TIME_DESC;
static const char SQL_LIST_ID_ASC[] = LIST_HEAD " AND t.num > $8::bigint" ORDER_ID_ASC;
static const char SQL_LIST_ID_DESC[] = LIST_HEAD " AND t.num < $8::bigint" ORDER_ID_DESC;
static const char SQL_LIST_NAME_ASC[] = LIST_HEAD " AND lower(t.name) > $8::text" ORDER_NAME_ASC;
static const char SQL_LIST_NAME_DESC[] = LIST_HEAD " AND lower(t.name) < $8::text" ORDER_NAME_DESC;
static const char SQL_LIST_TIME_ASC[] =
    LIST_HEAD " AND (t.updated_at, t.num) > (" TS_KEY ", $9::bigint)" ORDER_TIME_ASC;
static const char SQL_LIST_TIME_DESC[] =
    LIST_HEAD " AND (t.updated_at, t.num) < (" TS_KEY ", $9::bigint)" ORDER_TIME_DESC;

#define LIST_PARAMS "type", "owner", "classification", "tag", "text", "status", "limit"
ISMS_STATEMENT(STMT_LIST_ID_ASC_FIRST, SQL_LIST_ID_ASC_FIRST, LIST_PARAMS);
ISMS_STATEMENT(STMT_LIST_ID_DESC_FIRST, SQL_LIST_ID_DESC_FIRST, LIST_PARAMS);
ISMS_STATEMENT(STMT_LIST_NAME_ASC_FIRST, SQL_LIST_NAME_ASC_FIRST, LIST_PARAMS);
ISMS_STATEMENT(STMT_LIST_NAME_DESC_FIRST, SQL_LIST_NAME_DESC_FIRST, LIST_PARAMS);
ISMS_STATEMENT(STMT_LIST_TIME_ASC_FIRST, SQL_LIST_TIME_ASC_FIRST, LIST_PARAMS);
ISMS_STATEMENT(STMT_LIST_TIME_DESC_FIRST, SQL_LIST_TIME_DESC_FIRST, LIST_PARAMS);
ISMS_STATEMENT(STMT_LIST_ID_ASC, SQL_LIST_ID_ASC, LIST_PARAMS, "after_num");
ISMS_STATEMENT(STMT_LIST_ID_DESC, SQL_LIST_ID_DESC, LIST_PARAMS, "after_num");
ISMS_STATEMENT(STMT_LIST_NAME_ASC, SQL_LIST_NAME_ASC, LIST_PARAMS, "after_name");
ISMS_STATEMENT(STMT_LIST_NAME_DESC, SQL_LIST_NAME_DESC, LIST_PARAMS, "after_name");
ISMS_STATEMENT(STMT_LIST_TIME_ASC, SQL_LIST_TIME_ASC, LIST_PARAMS, "after_time_us", "after_num");
ISMS_STATEMENT(STMT_LIST_TIME_DESC, SQL_LIST_TIME_DESC, LIST_PARAMS, "after_time_us", "after_num");

/* ---- List ---------------------------------------------------------------------------------- */

struct list_walk {
    enum isms_asset_sort sort;
    int is_descending;
    const char *filter[6]; /* type, owner, classification, tag, text, status */
    int has_limit;
    uint32_t remaining;
    uint32_t page; /* rows asked for in the page in flight (one more is fetched) */
    int has_cursor;
    struct isms_asset_cursor cur;
    int is_more;                          /* the page in flight has a row after it */
    char token[ISMS_ASSET_TOKEN_MAX + 1]; /* next_page_token once the limit is reached */
};

static void list_next_page(struct isms_call *call);

static const struct isms_sql *list_stmt(const struct list_walk *w)
{
    switch (w->sort) {
    case ISMS_ASSET_SORT_NAME:
        if (!w->has_cursor)
            return w->is_descending ? &STMT_LIST_NAME_DESC_FIRST : &STMT_LIST_NAME_ASC_FIRST;
        return w->is_descending ? &STMT_LIST_NAME_DESC : &STMT_LIST_NAME_ASC;
    case ISMS_ASSET_SORT_UPDATED:
        if (!w->has_cursor)
            return w->is_descending ? &STMT_LIST_TIME_DESC_FIRST : &STMT_LIST_TIME_ASC_FIRST;
        return w->is_descending ? &STMT_LIST_TIME_DESC : &STMT_LIST_TIME_ASC;
    case ISMS_ASSET_SORT_ID:
    default:
        if (!w->has_cursor)
            return w->is_descending ? &STMT_LIST_ID_DESC_FIRST : &STMT_LIST_ID_ASC_FIRST;
        return w->is_descending ? &STMT_LIST_ID_DESC : &STMT_LIST_ID_ASC;
    }
}

/* Moves the cursor to row `r`. Returns 0 if its key does not fit (never for valid data). */
static int cursor_at(struct list_walk *w, const struct isms_rows *res, int r)
{
    const char *key = "";

    if (w->sort == ISMS_ASSET_SORT_NAME)
        key = isms_rows_text(res, r, COL_SORT_NAME);
    else if (w->sort == ISMS_ASSET_SORT_UPDATED)
        key = isms_rows_text(res, r, COL_SORT_TIME);
    if (strlen(key) > ISMS_ASSET_KEY_MAX)
        return 0;
    w->cur.sort = w->sort;
    w->cur.is_descending = w->is_descending;
    w->cur.num = isms_rows_int64(res, r, 0);
    memcpy(w->cur.key, key, strlen(key) + 1);
    w->has_cursor = 1;
    return 1;
}

/* One asset of a page; the extra row fetched past the page only says there is more. When the
 * client's limit ends the stream early, its last asset carries the next page token. */
static enum isms_row_fill fill_asset(void *ctx, struct isms_arena *scratch,
                                     const struct isms_rows *res, int r, ProtobufCMessage *msg,
                                     struct isms_status *st)
{
    struct list_walk *w = ctx;
    Isms__V1__ListAssetsResponse *item = (Isms__V1__ListAssetsResponse *)msg;

    if (r >= (int)w->page)
        return ISMS_ROW_STOP;
    isms__v1__list_assets_response__init(item);
    item->asset = isms_asset_record_from_row(scratch, res, r, 0);
    if (item->asset == NULL || !cursor_at(w, res, r)) {
        isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "response exceeds the call's memory limit");
        return ISMS_ROW_FAIL;
    }
    if (w->has_limit && --w->remaining == 0 && w->is_more) {
        if (!isms_asset_token_make(&w->cur, w->token, sizeof(w->token))) {
            isms_status_set(st, ISMS_INTERNAL, "page token does not fit");
            return ISMS_ROW_FAIL;
        }
        item->next_page_token = w->token;
    }
    return ISMS_ROW_SEND;
}

static void list_page_done(struct isms_call *call, const struct isms_rows *res,
                           const struct isms_status *st)
{
    struct list_walk *w = call->ctx;
    Isms__V1__ListAssetsResponse item, last = ISMS__V1__LIST_ASSETS_RESPONSE__INIT;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    w->is_more = isms_rows_count(res) > (int)w->page;
    w->token[0] = '\0';
    if (!isms_call_send_rows(call, res, SCRATCH_BYTES, fill_asset, w, &item.base))
        return;
    if (!w->is_more || (w->has_limit && w->remaining == 0)) {
        last.next_page_token = w->token;
        isms_call_finish(call, &last.base);
        return;
    }
    isms_call_after_drain(call, STREAM_OUT_BELOW, list_next_page);
}

static void list_next_page(struct isms_call *call)
{
    struct list_walk *w = call->ctx;
    struct isms_bind b;

    w->page = w->has_limit && w->remaining < PAGE_ROWS ? w->remaining : PAGE_ROWS;
    isms_bind_init(&b, list_stmt(w));
    isms_bind_text(&b, "type", w->filter[0]);
    isms_bind_text(&b, "owner", w->filter[1]);
    isms_bind_text(&b, "classification", w->filter[2]);
    isms_bind_text(&b, "tag", w->filter[3]);
    isms_bind_text(&b, "text", w->filter[4]);
    isms_bind_text(&b, "status", w->filter[5]);
    isms_bind_int64(&b, "limit", (int64_t)w->page + 1);
    if (w->has_cursor) {
        switch (w->sort) {
        case ISMS_ASSET_SORT_NAME:
            isms_bind_text(&b, "after_name", w->cur.key);
            break;
        case ISMS_ASSET_SORT_UPDATED:
            isms_bind_text(&b, "after_time_us", w->cur.key);
            isms_bind_int64(&b, "after_num", w->cur.num);
            break;
        case ISMS_ASSET_SORT_ID:
        default:
            isms_bind_int64(&b, "after_num", w->cur.num);
            break;
        }
    }
    isms_call_db_or_fail(call, &b, list_page_done);
}

void isms_asset_list(struct isms_call *call, const ProtobufCMessage *msg)
{
    Isms__V1__ListAssetsRequest *in = (Isms__V1__ListAssetsRequest *)msg;
    struct list_walk *w = isms_arena_calloc(&call->arena, sizeof(*w));
    struct isms_status st;
    const char *type = in->type, *status = in->status;

    if (w == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    if (isms_asset_check_filters(&type, in->owner, in->classification, in->tag, in->text, &status,
                                 &st) != ISMS_OK ||
        isms_asset_sort_parse(in->sort, &w->sort, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    w->is_descending = in->descending != 0;
    if (in->page_token[0] != '\0') {
        if (isms_asset_token_parse(in->page_token, w->sort, w->is_descending, &w->cur, &st) !=
            ISMS_OK) {
            isms_call_fail_status(call, &st);
            return;
        }
        w->has_cursor = 1;
    }
    w->filter[0] = type;
    w->filter[1] = in->owner;
    w->filter[2] = in->classification;
    w->filter[3] = in->tag;
    w->filter[4] = in->text;
    w->filter[5] = status;
    w->has_limit = in->limit > 0;
    w->remaining = in->limit;
    call->ctx = w;
    list_next_page(call);
}

/* ---- Import -------------------------------------------------------------------------------- */

/* Appends `s` as a JSON string (with out == NULL only counts). Input is valid UTF-8. */
static void json_str(char *out, size_t *len, const char *s)
{
    static const char hex[] = "0123456789abcdef";

#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (out != NULL)                                                                           \
            out[*len] = (c);                                                                       \
        (*len)++;                                                                                  \
    } while (0)
    PUT('"');
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            PUT('\\');
            PUT((char)*p);
        } else if (*p < 0x20) {
            PUT('\\');
            PUT('u');
            PUT('0');
            PUT('0');
            PUT(hex[*p >> 4]);
            PUT(hex[*p & 15]);
        } else {
            PUT((char)*p);
        }
    }
    PUT('"');
}

static void json_raw(char *out, size_t *len, const char *s)
{
    for (; *s != '\0'; s++)
        PUT(*s);
}

static void json_list(char *out, size_t *len, char *const *items, size_t n)
{
    PUT('[');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            PUT(',');
        json_str(out, len, items[i]);
    }
    PUT(']');
}

size_t isms_asset_import_json(char *out, const struct isms_asset_input *rows, size_t n)
{
    size_t used = 0, *len = &used;
    char num[80];

    PUT('[');
    for (size_t i = 0; i < n; i++) {
        const struct isms_asset_input *r = &rows[i];

        snprintf(num, sizeof(num), "%s{\"rn\":%zu,\"c\":%d,\"i\":%d,\"a\":%d", i > 0 ? "," : "",
                 i + 1, (int)r->confidentiality, (int)r->integrity, (int)r->availability);
        json_raw(out, len, num);
        json_raw(out, len, ",\"name\":");
        json_str(out, len, r->name);
        json_raw(out, len, ",\"type\":");
        json_str(out, len, r->type);
        json_raw(out, len, ",\"description\":");
        json_str(out, len, r->description);
        json_raw(out, len, ",\"owner\":");
        json_str(out, len, r->owner);
        json_raw(out, len, ",\"custodian\":");
        json_str(out, len, r->custodian);
        json_raw(out, len, ",\"location\":");
        json_str(out, len, r->location);
        json_raw(out, len, ",\"classification\":");
        json_str(out, len, r->classification);
        json_raw(out, len, ",\"status\":");
        json_str(out, len, r->status);
        json_raw(out, len, ",\"tags\":");
        json_list(out, len, r->tags, r->ntags);
        json_raw(out, len, ",\"deps\":");
        json_list(out, len, r->depends_on, r->ndepends_on);
        PUT('}');
    }
    PUT(']');
    PUT('\0');
    return used;
}
#undef PUT

/* A row number the database reported: within the batch? */
static int row_ok(const struct isms_asset_op *op, int64_t row)
{
    return row >= 1 && (uint64_t)row <= op->nrows;
}

static void import_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    struct isms_asset_op *op = call->ctx;
    Isms__V1__ImportAssetsResponse *r;
    size_t n;

    if (st->code == ISMS_ALREADY_EXISTS) {
        isms_call_fail(call, ISMS_ALREADY_EXISTS,
                       "an asset with one of the imported names was created meanwhile; nothing "
                       "was imported");
        return;
    }
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (!isms_rows_is_null(res, 0, 1) && row_ok(op, isms_rows_int64(res, 0, 1))) {
        int64_t row = isms_rows_int64(res, 0, 1);

        isms_call_fail(call, ISMS_ALREADY_EXISTS,
                       "row %" PRId64 ": name \"%s\" is already used by row %" PRId64, row,
                       op->rows[row - 1].name, isms_rows_int64(res, 0, 2));
        return;
    }
    if (!isms_rows_is_null(res, 0, 3) && row_ok(op, isms_rows_int64(res, 0, 3))) {
        int64_t row = isms_rows_int64(res, 0, 3);

        isms_call_fail(call, ISMS_ALREADY_EXISTS,
                       "row %" PRId64 ": name: asset \"%s\" already exists (A-%s)", row,
                       op->rows[row - 1].name, isms_rows_text(res, 0, 4));
        return;
    }
    if (!isms_rows_is_null(res, 0, 5)) {
        isms_call_fail(call, ISMS_NOT_FOUND,
                       "row %" PRId64 ": depends_on \"%s\" names no asset in the import or "
                       "the inventory",
                       isms_rows_int64(res, 0, 5), isms_rows_text(res, 0, 6));
        return;
    }
    if (!isms_rows_is_null(res, 0, 7)) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "row %" PRId64 ": depends_on makes a dependency cycle",
                       isms_rows_int64(res, 0, 7));
        return;
    }
    if (!isms_rows_is_null(res, 0, 11)) {
        char prefix[32];

        snprintf(prefix, sizeof(prefix), "row %" PRId64 ": ", isms_rows_int64(res, 0, 11));
        isms_asset_fail_owner(call, prefix, isms_rows_text(res, 0, 12), isms_rows_text(res, 0, 13));
        return;
    }
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    isms__v1__import_assets_response__init(r);
    r->ids = isms_asset_split(&call->arena, isms_rows_text(res, 0, 10), ',', &n);
    if (r->ids == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    r->n_ids = n;
    isms_call_finish(call, &r->base);
}

static void import_run(struct isms_call *call)
{
    struct isms_asset_op *op = call->ctx;
    struct isms_status st;
    size_t bad, len;
    char *json;
    struct isms_bind b;

    if (isms_asset_check_batch(op->rows, op->nrows, &op->lim, &bad, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    len = isms_asset_import_json(NULL, op->rows, op->nrows);
    json = isms_arena_alloc(&call->arena, len);
    if (json == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    isms_asset_import_json(json, op->rows, op->nrows);
    isms_bind_init(&b, &STMT_ASSET_IMPORT);
    isms_bind_text(&b, "batch", json);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, import_done);
}

void isms_asset_import(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ImportAssetsRequest *in = (const Isms__V1__ImportAssetsRequest *)msg;
    struct isms_asset_op *op = isms_asset_op_new(call, in);

    if (op == NULL)
        return;
    op->nrows = in->n_assets;
    op->rows = isms_arena_calloc(&call->arena, sizeof(*op->rows) * (in->n_assets + 1));
    if (op->rows == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    for (size_t i = 0; i < in->n_assets; i++)
        isms_asset_input_from_create(&op->rows[i], in->assets[i]);
    isms_asset_with_limits(call, import_run);
}
