/* domain/plan/asset_import.c — the chunked asset import: ImportBegin gives an import id,
 * ImportChunk checks rows and stages them (schema/020: asset_import_row) in order,
 * ImportCommit creates every staged row with its dependencies and audit records in ONE
 * statement, or nothing, and ImportAbort drops the staging. Invariant: an import is only ever
 * read or changed by its owner (every statement matches owner = the caller), and nothing
 * staged is visible in the inventory before its commit. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/plan/asset.h"
#include "isms/v1/asset.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"

#define IMPORT_ROWS_MAX  100000u /* rows of one chunked import */
#define CHUNK_ROWS_MAX   10000u  /* rows of one ImportChunk */
#define OPEN_IMPORTS_MAX 8       /* unfinished imports per user */
#define IMPORT_TTL       "interval '1 hour'"
#define STR(x)           #x
#define XSTR(x)          STR(x)

/* $1 the caller. Deletes expired imports (anyone's), then opens one unless the caller has
 * OPEN_IMPORTS_MAX unexpired ones. */
static const char SQL_IMPORT_BEGIN[] =
    "WITH gone AS (DELETE FROM asset_import WHERE touched_at <= now() - " IMPORT_TTL
    "  RETURNING id),"
    " open AS (SELECT count(*) AS n FROM asset_import WHERE owner = $1::text"
    "  AND touched_at > now() - " IMPORT_TTL "),"
    " ins AS (INSERT INTO asset_import (owner) SELECT $1::text FROM open"
    "  WHERE open.n < " XSTR(OPEN_IMPORTS_MAX) " RETURNING id)"
                                               " SELECT (SELECT id::text FROM ins), (SELECT n FROM "
                                               "open), (SELECT count(*) FROM gone)";
ISMS_STATEMENT(STMT_IMPORT_BEGIN, SQL_IMPORT_BEGIN, "actor");

/* $1 import, $2 caller, $3 first row, $4 the rows as JSON (rn from 1), $5 the import's row
 * limit. Stages the rows as first_row.. when the chunk continues the import and fits. */
static const char SQL_IMPORT_CHUNK[] =
    "WITH imp AS (SELECT id, nrows FROM asset_import WHERE id = $1::uuid AND owner = $2::text"
    "  AND touched_at > now() - " IMPORT_TTL " FOR UPDATE),"
    " src AS (SELECT * FROM jsonb_to_recordset($4::jsonb) AS r (rn int,"
    "  name text, type text, description text, owner text, custodian text, location text,"
    "  classification text, c int, i int, a int, tags text[], status text, deps text[])),"
    " ok AS (SELECT imp.id, imp.nrows, imp.nrows + 1 = $3::bigint"
    "  AND imp.nrows + (SELECT count(*) FROM src) <= $5::bigint AS go FROM imp),"
    " ins AS (INSERT INTO asset_import_row (import_id, rn, name, type, description, owner,"
    "  custodian, location, classification, c, i, a, tags, status, deps)"
    "  SELECT ok.id, ok.nrows + s.rn, s.name, s.type, s.description, s.owner, s.custodian,"
    "  s.location, s.classification, s.c, s.i, s.a, s.tags, s.status, s.deps"
    "  FROM src s, ok WHERE ok.go ORDER BY s.rn RETURNING 1),"
    " upd AS (UPDATE asset_import x SET nrows = ok.nrows + (SELECT count(*) FROM src),"
    "  touched_at = now() FROM ok WHERE x.id = ok.id AND ok.go RETURNING x.nrows)"
    " SELECT (SELECT count(*) FROM imp), (SELECT nrows FROM imp), (SELECT nrows FROM upd),"
    " (SELECT count(*) FROM ins)";
ISMS_STATEMENT(STMT_IMPORT_CHUNK, SQL_IMPORT_CHUNK, "import_id", "actor", "first_row", "rows",
               "max_rows");

/* $1 import, $2 caller, $3 expected rows (0: any), $4 source: asset_import_commit()
 * (schema/023: 022's, with the owner check) checks and creates every staged row, its dependencies
 * and their audit records in this one statement, or nothing, and drops the import either way. A
 * commit that created the assets stores the call's idempotency key with them, so a retry after a
 * lost reply is answered from the stored response instead of "import does not exist". */
static const char SQL_IMPORT_COMMIT[] =
    "WITH c AS (SELECT * FROM asset_import_commit($1::uuid, $2::text, $3::bigint, $4::text)),"
    " a AS (SELECT 1 FROM c WHERE c.go)" ISMS_SQL_IDEM("$5", "a") " SELECT * FROM c";
ISMS_STATEMENT(STMT_IMPORT_COMMIT, SQL_IMPORT_COMMIT, "import_id", "actor", "expected_rows",
               "source", ISMS_SQL_IDEM_PARAM);

/* $1 import, $2 caller. */
static const char SQL_IMPORT_ABORT[] =
    "DELETE FROM asset_import WHERE id = $1::uuid AND owner = $2::text RETURNING nrows";
ISMS_STATEMENT(STMT_IMPORT_ABORT, SQL_IMPORT_ABORT, "import_id", "actor");

/* Answers INVALID_ARGUMENT and returns 0 unless `id` is an import id. */
static int check_id(struct isms_call *call, const char *id)
{
    if (id[0] == '\0') {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "import_id is required");
        return 0;
    }
    if (!isms_uuid_text_ok(id)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "import_id \"%.40s\" is not an import id", id);
        return 0;
    }
    return 1;
}

static void fail_no_import(struct isms_call *call, const char *id)
{
    isms_call_fail(call, ISMS_NOT_FOUND,
                   "import \"%s\" does not exist (never begun by you, committed, aborted or "
                   "expired)",
                   id);
}

/* ---- Begin --------------------------------------------------------------------------------- */

static void begin_done(struct isms_call *call, const struct isms_rows *res,
                       const struct isms_status *st)
{
    Isms__V1__ImportBeginResponse r = ISMS__V1__IMPORT_BEGIN_RESPONSE__INIT;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_is_null(res, 0, 0)) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED,
                       "you have %" PRId64 " unfinished imports (at most %d): commit or abort "
                       "one, or wait an hour for them to expire",
                       isms_rows_int64(res, 0, 1), OPEN_IMPORTS_MAX);
        return;
    }
    r.import_id = (char *)isms_rows_text(res, 0, 0);
    r.max_rows = IMPORT_ROWS_MAX;
    r.max_chunk_rows = CHUNK_ROWS_MAX;
    isms_call_finish(call, &r.base);
}

void isms_asset_import_begin(struct isms_call *call, const ProtobufCMessage *msg)
{
    struct isms_bind b;

    (void)msg;
    isms_bind_init(&b, &STMT_IMPORT_BEGIN);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_call_db_or_fail(call, &b, begin_done);
}

/* ---- Chunk --------------------------------------------------------------------------------- */

static void chunk_done(struct isms_call *call, const struct isms_rows *res,
                       const struct isms_status *st)
{
    struct isms_asset_op *op = call->ctx;
    const Isms__V1__ImportChunkRequest *in = op->in;
    Isms__V1__ImportChunkResponse r = ISMS__V1__IMPORT_CHUNK_RESPONSE__INIT;
    int64_t had;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_int64(res, 0, 0) != 1) {
        fail_no_import(call, in->import_id);
        return;
    }
    had = isms_rows_int64(res, 0, 1);
    if (isms_rows_is_null(res, 0, 2)) {
        if ((uint64_t)had + 1 != in->first_row)
            isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                           "chunk out of order: it starts at row %" PRIu64
                           ", but the import holds %" PRId64 " rows (the next chunk starts at "
                           "row %" PRId64 ")",
                           in->first_row, had, had + 1);
        else
            isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                           "row %" PRIu64 ": an import holds at most %u assets",
                           (uint64_t)IMPORT_ROWS_MAX + 1, IMPORT_ROWS_MAX);
        return;
    }
    r.rows_staged = (uint64_t)isms_rows_int64(res, 0, 2);
    isms_call_finish(call, &r.base);
}

static void chunk_run(struct isms_call *call)
{
    struct isms_asset_op *op = call->ctx;
    const Isms__V1__ImportChunkRequest *in = op->in;
    struct isms_bind b;
    size_t len;
    char *json;

    for (size_t i = 0; i < op->nrows; i++) {
        struct isms_status e;

        if (isms_asset_check(&op->rows[i], ISMS_ASSET_F_ALL, &op->lim, &e) != ISMS_OK) {
            isms_call_fail(call, e.code, "row %" PRIu64 ": %s", in->first_row + i, e.msg);
            return;
        }
    }
    len = isms_asset_import_json(NULL, op->rows, op->nrows);
    json = isms_arena_alloc(&call->arena, len);
    if (json == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    isms_asset_import_json(json, op->rows, op->nrows);
    isms_bind_init(&b, &STMT_IMPORT_CHUNK);
    isms_bind_text(&b, "import_id", in->import_id);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_int64(&b, "first_row", (int64_t)in->first_row);
    isms_bind_text(&b, "rows", json);
    isms_bind_int64(&b, "max_rows", IMPORT_ROWS_MAX);
    isms_call_db_or_fail(call, &b, chunk_done);
}

void isms_asset_import_chunk(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ImportChunkRequest *in = (const Isms__V1__ImportChunkRequest *)msg;
    struct isms_asset_op *op;

    if (!check_id(call, in->import_id))
        return;
    if (in->first_row < 1 || in->first_row > IMPORT_ROWS_MAX) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "first_row must be 1..%u (1, then 1 + the rows sent so far), got %" PRIu64,
                       IMPORT_ROWS_MAX, in->first_row);
        return;
    }
    if (in->n_assets == 0 || in->n_assets > CHUNK_ROWS_MAX) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "a chunk holds 1..%u assets, got %zu",
                       CHUNK_ROWS_MAX, in->n_assets);
        return;
    }
    op = isms_asset_op_new(call, in);
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
    isms_asset_with_limits(call, chunk_run);
}

/* ---- Commit -------------------------------------------------------------------------------- */

static void commit_done(struct isms_call *call, const struct isms_rows *res,
                        const struct isms_status *st)
{
    const Isms__V1__ImportCommitRequest *in = call->ctx;
    Isms__V1__ImportAssetsResponse *r;
    int64_t staged;
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
    if (isms_rows_int64(res, 0, 0) != 1) {
        fail_no_import(call, in->import_id);
        return;
    }
    staged = isms_rows_int64(res, 0, 1);
    if (staged != isms_rows_int64(res, 0, 2)) {
        isms_call_fail(call, ISMS_ABORTED,
                       "import \"%s\" lost staged rows (the database restarted): %" PRId64
                       " of %" PRId64 " are left; nothing was imported, start again",
                       in->import_id, staged, isms_rows_int64(res, 0, 2));
        return;
    }
    if (staged == 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "nothing to import: no assets given");
        return;
    }
    if (in->expected_rows != 0 && (uint64_t)staged != in->expected_rows) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "import \"%s\" holds %" PRId64 " rows, not the %" PRIu64
                       " expected; nothing was imported",
                       in->import_id, staged, in->expected_rows);
        return;
    }
    if (!isms_rows_is_null(res, 0, 4)) {
        isms_call_fail(call, ISMS_ALREADY_EXISTS,
                       "row %" PRId64 ": name \"%s\" is already used by row %" PRId64,
                       isms_rows_int64(res, 0, 4), isms_rows_text(res, 0, 6),
                       isms_rows_int64(res, 0, 5));
        return;
    }
    if (!isms_rows_is_null(res, 0, 7)) {
        isms_call_fail(
            call, ISMS_ALREADY_EXISTS, "row %" PRId64 ": name: asset \"%s\" already exists (A-%s)",
            isms_rows_int64(res, 0, 7), isms_rows_text(res, 0, 9), isms_rows_text(res, 0, 8));
        return;
    }
    if (!isms_rows_is_null(res, 0, 10)) {
        isms_call_fail(call, ISMS_NOT_FOUND,
                       "row %" PRId64 ": depends_on \"%s\" names no asset in the import or "
                       "the inventory",
                       isms_rows_int64(res, 0, 10), isms_rows_text(res, 0, 11));
        return;
    }
    if (!isms_rows_is_null(res, 0, 12)) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "row %" PRId64 ": depends_on makes a dependency cycle",
                       isms_rows_int64(res, 0, 12));
        return;
    }
    if (!isms_rows_is_null(res, 0, 17)) {
        char prefix[32];

        snprintf(prefix, sizeof(prefix), "row %" PRId64 ": ", isms_rows_int64(res, 0, 17));
        isms_asset_fail_owner(call, prefix, isms_rows_text(res, 0, 18), isms_rows_text(res, 0, 19));
        return;
    }
    r = isms_arena_calloc(&call->arena, sizeof(*r));
    if (r == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    isms__v1__import_assets_response__init(r);
    r->ids = isms_asset_split(&call->arena, isms_rows_text(res, 0, 15), ',', &n);
    if (r->ids == NULL) {
        isms_asset_fail_oom(call);
        return;
    }
    r->n_ids = n;
    isms_call_finish(call, &r->base);
}

void isms_asset_import_commit(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ImportCommitRequest *in = (const Isms__V1__ImportCommitRequest *)msg;
    struct isms_bind b;

    if (!check_id(call, in->import_id))
        return;
    call->ctx = (void *)in;
    isms_bind_init(&b, &STMT_IMPORT_COMMIT);
    isms_bind_text(&b, "import_id", in->import_id);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_int64(&b, "expected_rows", (int64_t)in->expected_rows);
    isms_bind_text(&b, "source", isms_call_source(call));
    isms_call_db_or_fail(call, &b, commit_done);
}

/* ---- Abort --------------------------------------------------------------------------------- */

static void abort_done(struct isms_call *call, const struct isms_rows *res,
                       const struct isms_status *st)
{
    const Isms__V1__ImportAbortRequest *in = call->ctx;
    Isms__V1__ImportAbortResponse r = ISMS__V1__IMPORT_ABORT_RESPONSE__INIT;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        fail_no_import(call, in->import_id);
        return;
    }
    r.rows_dropped = (uint64_t)isms_rows_int64(res, 0, 0);
    isms_call_finish(call, &r.base);
}

void isms_asset_import_abort(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__ImportAbortRequest *in = (const Isms__V1__ImportAbortRequest *)msg;
    struct isms_bind b;

    if (!check_id(call, in->import_id))
        return;
    call->ctx = (void *)in;
    isms_bind_init(&b, &STMT_IMPORT_ABORT);
    isms_bind_text(&b, "import_id", in->import_id);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_call_db_or_fail(call, &b, abort_done);
}
