/* domain/do/upload.c — Upload/Begin, Chunk, Abort and the FileChunk download stream.
 * ismsd computes each upload's SHA-256 itself: the running hash state (libsodium's
 * crypto_hash_sha256_state, plain bytes) is kept on the upload's row between chunks, so any
 * instance may take the next chunk. Invariant: an upload is only read or changed by its owner,
 * chunks are accepted strictly in order, and one is 'complete' only when every declared byte
 * arrived and the computed hash equals the declared one. */
#include "domain/do/upload.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "auth/roles.h"
#include "core/text.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/domain.h"
#include "isms/v1/document.pb-c.h"
#include "rpc/call.h"
#include "rpc/principal.h"
#include "rpc/registry.h"
#include "rpc/server.h"

#define OPEN_UPLOADS_MAX   8 /* unattached uploads per user */
#define FILENAME_MAX_CHARS 255
#define STREAM_OUT_BELOW   (2u << 20)
#define PAGE_CHUNKS        "2"
#define STR(x)             #x
#define XSTR(x)            STR(x)

/* $1 owner, $2 filename, $3 size, $4 sha256 hex. Drops expired unattached uploads first. */
static const char SQL_UPLOAD_BEGIN[] =
    "WITH gone AS (DELETE FROM file_blob WHERE state <> 'attached'"
    "  AND touched_at <= now() - " ISMS_UPLOAD_TTL_SQL " RETURNING 1),"
    " open AS (SELECT count(*) AS n FROM file_blob WHERE owner = $1::text AND state <> 'attached'"
    "  AND touched_at > now() - " ISMS_UPLOAD_TTL_SQL "),"
    " ins AS (INSERT INTO file_blob (owner, filename, declared_size, declared_sha256)"
    "  SELECT $1::text, $2::text, $3::bigint, decode($4::text, 'hex') FROM open"
    "  WHERE open.n < " XSTR(OPEN_UPLOADS_MAX) " RETURNING id)"
                                               " SELECT (SELECT id::text FROM ins), (SELECT n FROM "
                                               "open), (SELECT count(*) FROM gone)";
ISMS_STATEMENT(STMT_UPLOAD_BEGIN, SQL_UPLOAD_BEGIN, "actor", "filename", "size", "sha256");

/* $1 upload, $2 owner. */
static const char SQL_UPLOAD_LOAD[] =
    "SELECT declared_size, encode(declared_sha256, 'hex'), received, next_chunk,"
    " coalesce(encode(hash_state, 'hex'), ''), state FROM file_blob"
    " WHERE id = $1::uuid AND owner = $2::text AND state <> 'attached'"
    " AND touched_at > now() - " ISMS_UPLOAD_TTL_SQL;
ISMS_STATEMENT(STMT_UPLOAD_LOAD, SQL_UPLOAD_LOAD, "upload_id", "actor");

/* $1 upload, $2 owner, $3 chunk bytes, $4 hash state hex, $5 final sha256 hex ('' while
 * incomplete), $6 chunk index, $7 data hex. Guarded by next_chunk: a concurrent chunk with
 * the same index makes this one change nothing. */
static const char SQL_UPLOAD_CHUNK[] =
    "WITH b AS (UPDATE file_blob SET received = received + $3::bigint,"
    "  next_chunk = next_chunk + 1, hash_state = decode($4::text, 'hex'),"
    "  sha256 = CASE WHEN $5::text = '' THEN NULL ELSE decode($5::text, 'hex') END,"
    "  state = CASE WHEN $5::text = '' THEN 'uploading' ELSE 'complete' END,"
    "  touched_at = now() WHERE id = $1::uuid AND owner = $2::text AND state = 'uploading'"
    "  AND next_chunk = $6::int RETURNING id, received),"
    " ins AS (INSERT INTO file_chunk (blob_id, n, data) SELECT b.id, $6::int,"
    "  decode($7::text, 'hex') FROM b RETURNING 1)"
    " SELECT (SELECT received FROM b), (SELECT count(*) FROM ins)";
ISMS_STATEMENT(STMT_UPLOAD_CHUNK, SQL_UPLOAD_CHUNK, "upload_id", "actor", "bytes", "hash_state",
               "sha256", "chunk", "data");

/* $1 upload, $2 owner. */
static const char SQL_UPLOAD_ABORT[] =
    "DELETE FROM file_blob WHERE id = $1::uuid AND owner = $2::text AND state <> 'attached'"
    " RETURNING received";
ISMS_STATEMENT(STMT_UPLOAD_ABORT, SQL_UPLOAD_ABORT, "upload_id", "actor");

/* $1 blob, $2 first chunk. One page of a download. */
static const char SQL_FILE_PAGE[] = "SELECT n, encode(data, 'hex') FROM file_chunk"
                                    " WHERE blob_id = $1::uuid AND n >= $2::int ORDER BY n"
                                    " LIMIT " PAGE_CHUNKS;
ISMS_STATEMENT(STMT_FILE_PAGE, SQL_FILE_PAGE, "blob_id", "first");

int isms_sha256_hex_ok(const char *s)
{
    size_t i;

    for (i = 0; s[i] != '\0'; i++) {
        char c = s[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return i == 64;
}

static void fail_oom(struct isms_call *call)
{
    isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory for this request");
}

static int check_upload_id(struct isms_call *call, const char *id)
{
    if (id[0] == '\0') {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "upload_id is required");
        return 0;
    }
    if (!isms_uuid_text_ok(id)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "upload_id \"%.40s\" is not an upload id", id);
        return 0;
    }
    return 1;
}

static void fail_no_upload(struct isms_call *call, const char *id)
{
    isms_call_fail(call, ISMS_NOT_FOUND,
                   "upload \"%s\" does not exist (never begun by you, attached, aborted or "
                   "expired)",
                   id);
}

/* ---- Begin --------------------------------------------------------------------------------- */

static void begin_done(struct isms_call *call, const struct isms_rows *res,
                       const struct isms_status *st)
{
    Isms__V1__UploadBeginResponse r = ISMS__V1__UPLOAD_BEGIN_RESPONSE__INIT;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_is_null(res, 0, 0)) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED,
                       "you have %" PRId64 " unfinished uploads (at most %d): attach or abort "
                       "one, or wait an hour for them to expire",
                       isms_rows_int64(res, 0, 1), OPEN_UPLOADS_MAX);
        return;
    }
    r.upload_id = (char *)isms_rows_text(res, 0, 0);
    r.max_chunk_bytes = ISMS_UPLOAD_CHUNK_MAX;
    r.max_bytes = call->srv->cfg->max_document_bytes;
    isms_call_finish(call, &r.base);
}

static void upload_begin(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__UploadBeginRequest *in = (const Isms__V1__UploadBeginRequest *)msg;
    uint64_t cap = call->srv->cfg->max_document_bytes;
    struct isms_status st;
    struct isms_bind b;

    if (in->size == 0) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "size must be at least 1 byte");
        return;
    }
    if (in->size > cap) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "file of %" PRIu64 " bytes is over the limit of %" PRIu64
                       " bytes (max_document_bytes)",
                       in->size, cap);
        return;
    }
    if (!isms_sha256_hex_ok(in->sha256)) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "sha256 \"%.70s\" is not 64 hex digits",
                       in->sha256);
        return;
    }
    if (isms_text_check("filename", in->filename, FILENAME_MAX_CHARS, 0, &st) != ISMS_OK) {
        isms_call_fail_status(call, &st);
        return;
    }
    if (strchr(in->filename, '/') != NULL) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT, "filename \"%.60s\" holds a '/'", in->filename);
        return;
    }
    isms_bind_init(&b, &STMT_UPLOAD_BEGIN);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_text(&b, "filename", in->filename);
    isms_bind_int64(&b, "size", (int64_t)in->size);
    isms_bind_text(&b, "sha256", in->sha256);
    isms_call_db_or_fail(call, &b, begin_done);
}

/* ---- Chunk --------------------------------------------------------------------------------- */

struct chunk_op {
    const Isms__V1__UploadChunkRequest *in;
    uint64_t received;
    int is_complete;
    char sha256[65];
};

static void chunk_written(struct isms_call *call, const struct isms_rows *res,
                          const struct isms_status *st)
{
    struct chunk_op *op = call->ctx;
    Isms__V1__UploadChunkResponse r = ISMS__V1__UPLOAD_CHUNK_RESPONSE__INIT;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_is_null(res, 0, 0)) {
        isms_call_fail(call, ISMS_ABORTED,
                       "chunk %" PRIu32 " of upload \"%s\" was taken by another request meanwhile",
                       op->in->index, op->in->upload_id);
        return;
    }
    r.received = (uint64_t)isms_rows_int64(res, 0, 0);
    r.complete = op->is_complete;
    r.sha256 = op->is_complete ? op->sha256 : (char *)"";
    isms_call_finish(call, &r.base);
}

static void mismatch_dropped(struct isms_call *call, const struct isms_rows *res,
                             const struct isms_status *st)
{
    struct chunk_op *op = call->ctx;

    (void)res;
    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                   "sha256 mismatch: the %" PRIu64 " bytes received hash to %s, not the declared "
                   "hash; upload \"%s\" is dropped, start again",
                   op->received, op->sha256, op->in->upload_id);
}

static void chunk_loaded(struct isms_call *call, const struct isms_rows *res,
                         const struct isms_status *st)
{
    struct chunk_op *op = call->ctx;
    const Isms__V1__UploadChunkRequest *in = op->in;
    crypto_hash_sha256_state hs;
    uint8_t digest[crypto_hash_sha256_BYTES];
    int64_t declared, received, next;
    const char *state_hex, *declared_hex;
    char *hs_hex, *data_hex;
    struct isms_bind b;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        fail_no_upload(call, in->upload_id);
        return;
    }
    declared = isms_rows_int64(res, 0, 0);
    declared_hex = isms_rows_text(res, 0, 1);
    received = isms_rows_int64(res, 0, 2);
    next = isms_rows_int64(res, 0, 3);
    state_hex = isms_rows_text(res, 0, 4);
    if (strcmp(isms_rows_text(res, 0, 5), "uploading") != 0) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "upload \"%s\" is already complete (%" PRId64 " bytes); chunk %" PRIu32
                       " is one too many",
                       in->upload_id, received, in->index);
        return;
    }
    if ((int64_t)in->index != next) {
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "chunk %" PRIu32 " out of order: upload \"%s\" expects chunk %" PRId64
                       " next (%" PRId64 " bytes received)",
                       in->index, in->upload_id, next, received);
        return;
    }
    if ((uint64_t)received + in->data.len > (uint64_t)declared) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "chunk %" PRIu32 " brings upload \"%s\" to %" PRIu64
                       " bytes, over its declared size of %" PRId64 " bytes",
                       in->index, in->upload_id, (uint64_t)received + in->data.len, declared);
        return;
    }
    if (state_hex[0] == '\0') {
        crypto_hash_sha256_init(&hs);
    } else if (strlen(state_hex) != 2 * sizeof(hs) ||
               sodium_hex2bin((unsigned char *)&hs, sizeof(hs), state_hex, strlen(state_hex), NULL,
                              NULL, NULL) != 0) {
        isms_call_fail(call, ISMS_INTERNAL, "upload hash state of %s is damaged", in->upload_id);
        return;
    }
    crypto_hash_sha256_update(&hs, in->data.data, in->data.len);
    op->received = (uint64_t)received + in->data.len;
    hs_hex = isms_arena_alloc(&call->arena, 2 * sizeof(hs) + 1);
    data_hex = isms_arena_alloc(&call->arena, 2 * in->data.len + 1);
    if (hs_hex == NULL || data_hex == NULL) {
        fail_oom(call);
        return;
    }
    sodium_bin2hex(hs_hex, 2 * sizeof(hs) + 1, (const unsigned char *)&hs, sizeof(hs));
    if (op->received == (uint64_t)declared) {
        crypto_hash_sha256_state fin = hs;

        crypto_hash_sha256_final(&fin, digest);
        sodium_bin2hex(op->sha256, sizeof(op->sha256), digest, sizeof(digest));
        op->is_complete = 1;
        if (strcasecmp(op->sha256, declared_hex) != 0) {
            isms_bind_init(&b, &STMT_UPLOAD_ABORT);
            isms_bind_text(&b, "upload_id", in->upload_id);
            isms_bind_text(&b, "actor", isms_call_actor(call));
            isms_call_db_or_fail(call, &b, mismatch_dropped);
            return;
        }
    }
    sodium_bin2hex(data_hex, 2 * in->data.len + 1, in->data.data, in->data.len);
    isms_bind_init(&b, &STMT_UPLOAD_CHUNK);
    isms_bind_text(&b, "upload_id", in->upload_id);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_bind_int64(&b, "bytes", (int64_t)in->data.len);
    isms_bind_text(&b, "hash_state", hs_hex);
    isms_bind_text(&b, "sha256", op->is_complete ? op->sha256 : "");
    isms_bind_int64(&b, "chunk", (int64_t)in->index);
    isms_bind_text(&b, "data", data_hex);
    isms_call_db_or_fail(call, &b, chunk_written);
}

static void upload_chunk(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__UploadChunkRequest *in = (const Isms__V1__UploadChunkRequest *)msg;
    struct chunk_op *op;
    struct isms_bind b;

    if (!check_upload_id(call, in->upload_id))
        return;
    if (in->data.len == 0 || in->data.len > ISMS_UPLOAD_CHUNK_MAX) {
        isms_call_fail(call, ISMS_INVALID_ARGUMENT,
                       "a chunk holds 1..%u bytes, got %zu (chunk %" PRIu32 ")",
                       ISMS_UPLOAD_CHUNK_MAX, in->data.len, in->index);
        return;
    }
    op = isms_arena_calloc(&call->arena, sizeof(*op));
    if (op == NULL) {
        fail_oom(call);
        return;
    }
    op->in = in;
    call->ctx = op;
    isms_bind_init(&b, &STMT_UPLOAD_LOAD);
    isms_bind_text(&b, "upload_id", in->upload_id);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_call_db_or_fail(call, &b, chunk_loaded);
}

/* ---- Abort --------------------------------------------------------------------------------- */

static void abort_done(struct isms_call *call, const struct isms_rows *res,
                       const struct isms_status *st)
{
    const Isms__V1__UploadAbortRequest *in = call->ctx;
    Isms__V1__UploadAbortResponse r = ISMS__V1__UPLOAD_ABORT_RESPONSE__INIT;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) != 1) {
        fail_no_upload(call, in->upload_id);
        return;
    }
    r.received = (uint64_t)isms_rows_int64(res, 0, 0);
    isms_call_finish(call, &r.base);
}

static void upload_abort(struct isms_call *call, const ProtobufCMessage *msg)
{
    const Isms__V1__UploadAbortRequest *in = (const Isms__V1__UploadAbortRequest *)msg;
    struct isms_bind b;

    if (!check_upload_id(call, in->upload_id))
        return;
    call->ctx = (void *)in;
    isms_bind_init(&b, &STMT_UPLOAD_ABORT);
    isms_bind_text(&b, "upload_id", in->upload_id);
    isms_bind_text(&b, "actor", isms_call_actor(call));
    isms_call_db_or_fail(call, &b, abort_done);
}

/* ---- Download ------------------------------------------------------------------------------ */

struct download {
    char blob_id[40];
    int64_t next;     /* next chunk row */
    uint64_t offset;  /* bytes sent */
    uint64_t size;    /* of the whole file */
    int is_meta_sent; /* the first message went out */
    const char *sha256, *filename;
    int32_t version;
};

static void download_page(struct isms_call *call);

static enum isms_row_fill fill_chunk(void *ctx, struct isms_arena *scratch,
                                     const struct isms_rows *res, int r, ProtobufCMessage *msg,
                                     struct isms_status *st)
{
    struct download *d = ctx;
    Isms__V1__FileChunk *m = (Isms__V1__FileChunk *)msg;
    const char *hex = isms_rows_text(res, r, 1);
    size_t hexlen = strlen(hex), len;
    uint8_t *data;

    isms__v1__file_chunk__init(m);
    data = isms_arena_alloc(scratch, hexlen / 2 + 1);
    if (data == NULL)
        return ISMS_ROW_FAIL;
    if (sodium_hex2bin(data, hexlen / 2 + 1, hex, hexlen, NULL, &len, NULL) != 0) {
        isms_status_set(st, ISMS_INTERNAL, "stored chunk is not hex");
        return ISMS_ROW_FAIL;
    }
    m->data.data = data;
    m->data.len = len;
    m->offset = d->offset;
    if (!d->is_meta_sent) {
        m->size = d->size;
        m->sha256 = (char *)d->sha256;
        m->filename = (char *)d->filename;
        m->version = d->version;
        d->is_meta_sent = 1;
    }
    d->offset += len;
    d->next = isms_rows_int64(res, r, 0) + 1;
    return ISMS_ROW_SEND;
}

static void page_done(struct isms_call *call, const struct isms_rows *res,
                      const struct isms_status *st)
{
    struct download *d = call->ctx;
    Isms__V1__FileChunk item;

    if (st->code != ISMS_OK) {
        isms_call_fail_status(call, st);
        return;
    }
    if (isms_rows_count(res) == 0) {
        Isms__V1__FileChunk last = ISMS__V1__FILE_CHUNK__INIT;

        if (d->offset != d->size) {
            isms_call_fail(call, ISMS_INTERNAL, "stored file is %" PRIu64 " of %" PRIu64 " bytes",
                           d->offset, d->size);
            return;
        }
        last.offset = d->offset;
        isms_call_finish(call, &last.base);
        return;
    }
    if (!isms_call_send_rows(call, res, ISMS_UPLOAD_CHUNK_MAX + 4096, fill_chunk, d, &item.base))
        return;
    isms_call_after_drain(call, STREAM_OUT_BELOW, download_page);
}

static void download_page(struct isms_call *call)
{
    struct download *d = call->ctx;
    struct isms_bind b;

    isms_bind_init(&b, &STMT_FILE_PAGE);
    isms_bind_text(&b, "blob_id", d->blob_id);
    isms_bind_int64(&b, "first", d->next);
    isms_call_db_or_fail(call, &b, page_done);
}

void isms_file_download(struct isms_call *call, const char *blob_id, uint64_t size,
                        const char *sha256, const char *filename, int32_t version)
{
    struct download *d = isms_arena_calloc(&call->arena, sizeof(*d));

    if (d == NULL || strlen(blob_id) >= sizeof(d->blob_id)) {
        fail_oom(call);
        return;
    }
    memcpy(d->blob_id, blob_id, strlen(blob_id) + 1);
    d->size = size;
    d->sha256 = isms_arena_strdup(&call->arena, sha256);
    d->filename = isms_arena_strdup(&call->arena, filename);
    d->version = version;
    if (d->sha256 == NULL || d->filename == NULL) {
        fail_oom(call);
        return;
    }
    call->ctx = d;
    download_page(call);
}

enum isms_code isms_upload_register(struct isms_server *srv, struct isms_status *st)
{
    /* Managers upload document bodies; contributors evidence of their work. */
    static const struct isms_method_spec specs[] = {
        {"Begin", upload_begin, 0, ISMS_ROLE_MANAGER | ISMS_ROLE_CONTRIBUTOR},
        {"Chunk", upload_chunk, 0, ISMS_ROLE_MANAGER | ISMS_ROLE_CONTRIBUTOR},
        {"Abort", upload_abort, 0, ISMS_ROLE_MANAGER | ISMS_ROLE_CONTRIBUTOR},
    };

    return isms_registry_add(&srv->reg, &isms__v1__upload__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
