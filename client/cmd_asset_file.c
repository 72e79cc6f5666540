/* client/cmd_asset_file.c — `ismsctl asset import` and `asset export`: the asset inventory to
 * and from CSV or JSON files (client/asset_io.h). An import is a chunked import (ImportBegin,
 * ImportChunk..., ImportCommit) on one logged-in connection, so the server applies all of it
 * or none of it whatever its size; an export streams, so memory stays bounded. */
#include "cmd_asset.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asset_io.h"
#include "cli.h"
#include "export_file.h"

#include "isms/v1/asset.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))
#define FILE_MAX (64u * 1024 * 1024)
/* An import may take a while (one audit record per asset): without --timeout, wait this long. */
#define IMPORT_TIMEOUT_MS (10u * 60 * 1000)
/* A chunk of a chunked import: well under the server's 4 MiB frame limit. */
#define CHUNK_BYTES    (1u << 20)
#define CHUNK_ROWS     5000u
#define PROGRESS_WIDTH 30u

static const struct isms_out_col import_cols[] = {
    {"imported", ISMS_OUT_I64},
    {"ids", ISMS_OUT_STRS},
};

static const struct isms_out_col export_cols[] = {
    {"file", ISMS_OUT_STR},
    {"assets", ISMS_OUT_I64},
};

/* Format from --format, else from the file name's extension; `dflt` when neither says. */
static enum isms_code pick_format(struct isms_cli *cli, const char *format, const char *file,
                                  int dflt, enum isms_asset_format *out, struct isms_status *st)
{
    const char *dot = file != NULL ? strrchr(file, '.') : NULL;

    if (format != NULL) {
        if (strcmp(format, "csv") == 0)
            *out = ISMS_ASSET_FORMAT_CSV;
        else if (strcmp(format, "json") == 0)
            *out = ISMS_ASSET_FORMAT_JSON;
        else
            return isms_cli_usage(cli, st, "--format must be csv or json, got \"%.40s\"", format);
        return ISMS_OK;
    }
    if (dot != NULL && strcmp(dot, ".csv") == 0) {
        *out = ISMS_ASSET_FORMAT_CSV;
        return ISMS_OK;
    }
    if (dot != NULL && strcmp(dot, ".json") == 0) {
        *out = ISMS_ASSET_FORMAT_JSON;
        return ISMS_OK;
    }
    if (dflt < 0)
        return isms_cli_usage(cli, st,
                              "cannot tell the format of \"%.200s\" from its name: use --format "
                              "csv|json",
                              file);
    *out = (enum isms_asset_format)dflt;
    return ISMS_OK;
}

struct export_sink {
    FILE *fp;
    const char *name;
    enum isms_asset_format fmt;
    int64_t assets;
};

static enum isms_code write_asset(void *ud, const ProtobufCMessage *item, struct isms_status *st)
{
    struct export_sink *sink = ud;
    const Isms__V1__ListAssetsResponse *m = (const Isms__V1__ListAssetsResponse *)item;

    if (m->asset == NULL)
        return ISMS_OK;
    if (!isms_asset_write_row(sink->fp, sink->fmt, m->asset, sink->assets == 0))
        return isms_status_set(st, ISMS_INTERNAL, "could not write %s: %s", sink->name,
                               strerror(errno));
    sink->assets++;
    return ISMS_OK;
}

enum isms_code isms_asset_cmd_export(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    Isms__V1__ListAssetsRequest *req = (Isms__V1__ListAssetsRequest *)msg;
    const char *file = isms_args_get(a, "file"), *format = isms_args_get(a, "format");
    struct export_sink sink = {stdout, "stdout", ISMS_ASSET_FORMAT_CSV, 0};
    struct isms_export_file ef;
    struct isms_out_table *t;
    enum isms_code code;

    if (pick_format(cli, format, file, ISMS_ASSET_FORMAT_CSV, &sink.fmt, st) != ISMS_OK)
        return st->code;
    req->sort = (char *)"name";
    if (isms_export_open(cli, &ef, file, st) != ISMS_OK)
        return st->code;
    sink.fp = ef.fp;
    sink.name = ef.name;
    if (!isms_asset_write_begin(sink.fp, sink.fmt))
        code = isms_status_set(st, ISMS_INTERNAL, "could not write %s", sink.name);
    else
        code = isms_cli_stream(cli, "/isms.v1.Asset/List", msg,
                               &isms__v1__list_assets_response__descriptor, write_asset, &sink, st);
    if (code == ISMS_OK && !isms_asset_write_end(sink.fp, sink.fmt, sink.assets == 0))
        code = isms_status_set(st, ISMS_INTERNAL, "could not write %s", sink.name);
    code = isms_export_finish(&ef, code, st);
    if (code != ISMS_OK || ef.path == NULL)
        return code;
    t = isms_out_record(out, "asset export", export_cols, NCOLS(export_cols));
    isms_out_str(t, file);
    isms_out_i64(t, sink.assets);
    isms_out_text(out, "exported %" PRId64 " assets to %s", sink.assets, file);
    return ISMS_OK;
}

/* ---- import -------------------------------------------------------------------------------- */

/* Reads a whole file (or stdin for "-") into a heap buffer of at most FILE_MAX bytes. */
static enum isms_code read_all(const char *path, char **data, size_t *len, struct isms_status *st)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t cap = 1 << 16, n = 0;
    char *buf;

    if (fp == NULL)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not open %s: %s", path,
                               strerror(errno));
    buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n, fp);

        n += got;
        if (n < cap)
            break;
        if (cap >= FILE_MAX) {
            free(buf);
            if (fp != stdin)
                fclose(fp);
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s is larger than %u MiB; split it",
                                   path, FILE_MAX >> 20);
        }
        cap *= 2;
        char *p = realloc(buf, cap);

        if (p == NULL)
            free(buf);
        buf = p;
    }
    if (buf == NULL) {
        if (fp != stdin)
            fclose(fp);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory reading %s", path);
    }
    if (ferror(fp)) {
        free(buf);
        if (fp != stdin)
            fclose(fp);
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not read %s", path);
    }
    if (fp != stdin)
        fclose(fp);
    *data = buf;
    *len = n;
    return ISMS_OK;
}

/* Prefixes st's message with the file name: "assets.csv: row 7: ...". */
static void name_file(const char *file, struct isms_status *st)
{
    char msg[ISMS_STATUS_MSG_MAX];

    snprintf(msg, sizeof(msg), "%s", st->msg);
    isms_status_set(st, st->code, "%s: %s", file, msg);
}

/* The proto rows of a parsed file; they borrow the file's strings. */
static enum isms_code make_rows(const struct isms_asset_file *file,
                                Isms__V1__CreateAssetRequest **rows_out,
                                Isms__V1__CreateAssetRequest ***ptrs_out, struct isms_status *st)
{
    Isms__V1__CreateAssetRequest *rows = calloc(file->n + 1, sizeof(*rows));
    Isms__V1__CreateAssetRequest **ptrs = calloc(file->n + 1, sizeof(*ptrs));

    *rows_out = rows;
    *ptrs_out = ptrs;
    if (rows == NULL || ptrs == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < file->n; i++) {
        const struct isms_asset_row *row = &file->rows[i];

        isms__v1__create_asset_request__init(&rows[i]);
        rows[i].name = row->name;
        rows[i].type = row->type;
        rows[i].description = row->description;
        rows[i].owner = row->owner;
        rows[i].custodian = row->custodian;
        rows[i].location = row->location;
        rows[i].classification = row->classification;
        rows[i].status = row->status;
        rows[i].confidentiality = row->confidentiality;
        rows[i].integrity = row->integrity;
        rows[i].availability = row->availability;
        rows[i].tags = row->tags;
        rows[i].n_tags = row->ntags;
        rows[i].depends_on = row->depends_on;
        rows[i].n_depends_on = row->ndepends_on;
        ptrs[i] = &rows[i];
    }
    return ISMS_OK;
}

/* The progress line on stderr (only on a terminal): rows sent so far of `total`. */
struct progress {
    bool is_shown;
    const char *path;
    size_t total;
};

static void progress_show(struct progress *p, size_t done, const char *what)
{
    char bar[PROGRESS_WIDTH + 1];
    size_t fill = p->total > 0 ? done * PROGRESS_WIDTH / p->total : 0;

    if (!p->is_shown)
        return;
    for (size_t i = 0; i < PROGRESS_WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[PROGRESS_WIDTH] = '\0';
    fprintf(stderr, "\r%s [%s] %3zu%% %zu/%zu rows %s\033[K", p->path, bar,
            p->total > 0 ? done * 100 / p->total : 100, done, p->total, what);
    fflush(stderr);
}

static void progress_end(struct progress *p)
{
    if (!p->is_shown)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* A frame-size refusal (the request was larger than the server reads) is the data's fault,
 * not the server's load: make it INVALID_ARGUMENT (exit 3), not "try later". */
static void map_frame_refusal(struct isms_status *st)
{
    char msg[ISMS_STATUS_MSG_MAX];

    if (st->code != ISMS_RESOURCE_EXHAUSTED || strstr(st->msg, "frame") == NULL ||
        strstr(st->msg, "exceeds") == NULL)
        return;
    snprintf(msg, sizeof(msg), "%s", st->msg);
    isms_status_set(st, ISMS_INVALID_ARGUMENT,
                    "the server refused a request as too large (%s); a row of the file is too big",
                    msg);
}

/* One Asset/Import call with every row (servers without the chunked import). */
static enum isms_code import_whole(struct isms_cli *cli, Isms__V1__CreateAssetRequest **ptrs,
                                   size_t n, ProtobufCMessage **msg, struct isms_status *st)
{
    Isms__V1__ImportAssetsRequest req = ISMS__V1__IMPORT_ASSETS_REQUEST__INIT;

    req.assets = ptrs;
    req.n_assets = n;
    return isms_cli_call(cli, "/isms.v1.Asset/Import", &req.base,
                         &isms__v1__import_assets_response__descriptor, msg, st);
}

/* ImportBegin, ImportChunk in pieces of at most CHUNK_BYTES and the server's row limit, then
 * ImportCommit; on a failure after Begin, ImportAbort (best effort). The first call is an
 * authenticated one, so the connection is past the server's pre-login frame limit when the
 * first chunk goes out. */
static enum isms_code import_chunked(struct isms_cli *cli, Isms__V1__CreateAssetRequest **ptrs,
                                     size_t n, struct progress *prog, ProtobufCMessage **msg,
                                     struct isms_status *st)
{
    Isms__V1__ImportBeginRequest breq = ISMS__V1__IMPORT_BEGIN_REQUEST__INIT;
    Isms__V1__ImportCommitRequest creq = ISMS__V1__IMPORT_COMMIT_REQUEST__INIT;
    Isms__V1__ImportAbortRequest areq = ISMS__V1__IMPORT_ABORT_REQUEST__INIT;
    ProtobufCMessage *bresp = NULL, *resp = NULL;
    const Isms__V1__ImportBeginResponse *b;
    size_t max_rows, done = 0;
    enum isms_code code;
    char *id;

    code = isms_cli_call(cli, "/isms.v1.Asset/ImportBegin", &breq.base,
                         &isms__v1__import_begin_response__descriptor, &bresp, st);
    if (code == ISMS_UNIMPLEMENTED) {
        progress_end(prog);
        return import_whole(cli, ptrs, n, msg, st);
    }
    if (code != ISMS_OK)
        return code;
    b = (const Isms__V1__ImportBeginResponse *)bresp;
    if (b->max_rows != 0 && n > b->max_rows) {
        code = isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "%zu assets; the server imports at most %u at once: split the file",
                               n, b->max_rows);
        max_rows = 0;
    } else {
        max_rows = b->max_chunk_rows != 0 && b->max_chunk_rows < CHUNK_ROWS ? b->max_chunk_rows
                                                                            : CHUNK_ROWS;
    }
    id = strdup(b->import_id);
    protobuf_c_message_free_unpacked(bresp, NULL);
    if (id == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    while (code == ISMS_OK && done < n) {
        Isms__V1__ImportChunkRequest req = ISMS__V1__IMPORT_CHUNK_REQUEST__INIT;
        size_t k = 0, bytes = 0;

        while (done + k < n && k < max_rows) {
            size_t row = protobuf_c_message_get_packed_size(&ptrs[done + k]->base) + 8;

            if (k > 0 && bytes + row > CHUNK_BYTES)
                break;
            bytes += row;
            k++;
        }
        req.import_id = id;
        req.first_row = done + 1;
        req.assets = &ptrs[done];
        req.n_assets = k;
        progress_show(prog, done, "sent");
        code = isms_cli_call(cli, "/isms.v1.Asset/ImportChunk", &req.base,
                             &isms__v1__import_chunk_response__descriptor, &resp, st);
        if (code == ISMS_OK)
            protobuf_c_message_free_unpacked(resp, NULL);
        done += k;
    }
    if (code == ISMS_OK) {
        progress_show(prog, n, "sent, committing");
        creq.import_id = id;
        creq.expected_rows = n;
        code = isms_cli_call(cli, "/isms.v1.Asset/ImportCommit", &creq.base,
                             &isms__v1__import_assets_response__descriptor, msg, st);
    } else if (cli->wire.fd >= 0 && !cli->is_unreachable) {
        struct isms_status ignored;

        areq.import_id = id;
        resp = NULL;
        if (isms_cli_call(cli, "/isms.v1.Asset/ImportAbort", &areq.base,
                          &isms__v1__import_abort_response__descriptor, &resp, &ignored) == ISMS_OK)
            protobuf_c_message_free_unpacked(resp, NULL);
    }
    free(id);
    return code;
}

enum isms_code isms_asset_cmd_import(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *unused, struct isms_out *out,
                                     struct isms_status *st)
{
    const char *path = isms_args_arg(a, 0);
    size_t len = 0;
    enum isms_asset_format fmt;
    struct isms_asset_file file = {NULL, 0, 0};
    Isms__V1__CreateAssetRequest *rows = NULL, **ptrs = NULL;
    ProtobufCMessage *msg = NULL;
    const Isms__V1__ImportAssetsResponse *r;
    struct isms_out_table *t;
    struct progress prog = {false, path, 0};
    char *data = NULL;
    enum isms_code code;

    (void)unused;
    if (pick_format(cli, isms_args_get(a, "format"), path, -1, &fmt, st) != ISMS_OK)
        return st->code;
    if ((code = read_all(path, &data, &len, st)) != ISMS_OK)
        return code;
    code = isms_asset_file_parse(data, len, fmt, &file, st);
    free(data);
    if (code != ISMS_OK) {
        name_file(path, st);
        goto out;
    }
    if ((code = make_rows(&file, &rows, &ptrs, st)) != ISMS_OK)
        goto out;
    if (file.n == 0) {
        code = isms_status_set(st, ISMS_INVALID_ARGUMENT, "nothing to import: no assets given");
        name_file(path, st);
        goto out;
    }
    if (!cli->is_timeout_set)
        cli->timeout_ms = IMPORT_TIMEOUT_MS;
    prog.total = file.n;
    prog.is_shown = isatty(STDERR_FILENO) == 1;
    code = import_chunked(cli, ptrs, file.n, &prog, &msg, st);
    progress_end(&prog);
    if (code != ISMS_OK) {
        map_frame_refusal(st);
        code = st->code;
        if (!cli->is_unreachable && !cli->is_usage_error)
            name_file(path, st);
        goto out;
    }
    r = (const Isms__V1__ImportAssetsResponse *)msg;
    t = isms_out_record(out, "asset import", import_cols, NCOLS(import_cols));
    isms_out_i64(t, (int64_t)r->n_ids);
    isms_out_strs(t, r->ids, r->n_ids);
    if (r->n_ids > 0)
        isms_out_text(out, "imported %zu assets from %s (%s to %s)", r->n_ids, path, r->ids[0],
                      r->ids[r->n_ids - 1]);
    else
        isms_out_text(out, "imported no assets from %s", path);
    protobuf_c_message_free_unpacked(msg, NULL);
out:
    free(rows);
    free(ptrs);
    isms_asset_file_free(&file);
    return code;
}
