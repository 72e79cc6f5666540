/* client/file_transfer.c — chunked uploads and checked downloads of document and evidence
 * files; see file_transfer.h. The SHA-256 is computed here with OpenSSL and again by ismsd,
 * which refuses the upload when the two differ. */
#include "file_transfer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"
#include "export_file.h"

#include "isms/v1/document.pb-c.h"

#define CHUNK_BYTES    (1u << 20)
#define PROGRESS_WIDTH 30u
/* A large file may take a while: without --timeout, allow this much per call. */
#define TRANSFER_TIMEOUT_MS (5u * 60 * 1000)

struct progress {
    bool is_shown;
    const char *path;
    uint64_t total;
};

static void progress_show(struct progress *p, uint64_t done, const char *what)
{
    char bar[PROGRESS_WIDTH + 1];
    uint64_t fill = p->total > 0 ? done * PROGRESS_WIDTH / p->total : 0;

    if (!p->is_shown)
        return;
    for (size_t i = 0; i < PROGRESS_WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[PROGRESS_WIDTH] = '\0';
    fprintf(stderr, "\r%s [%s] %3" PRIu64 "%% %" PRIu64 "/%" PRIu64 " KiB %s\033[K", p->path, bar,
            p->total > 0 ? done * 100 / p->total : 100, done / 1024, p->total / 1024, what);
    fflush(stderr);
}

static void progress_end(struct progress *p)
{
    if (!p->is_shown)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
}

static void to_hex(const unsigned char *d, size_t n, char *out)
{
    static const char hexd[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexd[d[i] >> 4];
        out[2 * i + 1] = hexd[d[i] & 15];
    }
    out[2 * n] = '\0';
}

/* SHA-256 and size of the open file, read to its end. */
static enum isms_code hash_file(FILE *fp, const char *path, unsigned char *buf,
                                struct isms_file_info *info, struct isms_status *st)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    size_t n;

    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return isms_status_set(st, ISMS_INTERNAL, "could not start SHA-256");
    }
    info->size = 0;
    while ((n = fread(buf, 1, CHUNK_BYTES, fp)) > 0) {
        EVP_DigestUpdate(md, buf, n);
        info->size += n;
    }
    EVP_DigestFinal_ex(md, digest, &dlen);
    EVP_MD_CTX_free(md);
    if (ferror(fp))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not read %s: %s", path,
                               strerror(errno));
    if (info->size == 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s is empty", path);
    to_hex(digest, dlen, info->sha256);
    return ISMS_OK;
}

static void abort_upload(struct isms_cli *cli, const char *id)
{
    Isms__V1__UploadAbortRequest req = ISMS__V1__UPLOAD_ABORT_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    struct isms_status ignored;

    if (cli->wire.fd < 0 || cli->is_unreachable)
        return;
    req.upload_id = (char *)id;
    if (isms_cli_call(cli, "/isms.v1.Upload/Abort", &req.base,
                      &isms__v1__upload_abort_response__descriptor, &resp, &ignored) == ISMS_OK)
        protobuf_c_message_free_unpacked(resp, NULL);
}

enum isms_code isms_file_upload(struct isms_cli *cli, const char *path, struct isms_file_info *info,
                                struct isms_status *st)
{
    Isms__V1__UploadBeginRequest breq = ISMS__V1__UPLOAD_BEGIN_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    const char *base = strrchr(path, '/');
    struct progress prog = {false, path, 0};
    unsigned char *buf;
    uint64_t sent = 0;
    uint32_t index = 0;
    enum isms_code code;
    FILE *fp;
    size_t n;

    memset(info, 0, sizeof(*info));
    fp = fopen(path, "rb");
    if (fp == NULL)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not open %s: %s", path,
                               strerror(errno));
    buf = malloc(CHUNK_BYTES);
    if (buf == NULL) {
        fclose(fp);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    code = hash_file(fp, path, buf, info, st);
    if (code != ISMS_OK)
        goto out;
    if (!cli->is_timeout_set)
        cli->timeout_ms = TRANSFER_TIMEOUT_MS;
    breq.size = info->size;
    breq.sha256 = info->sha256;
    breq.filename = (char *)(base != NULL ? base + 1 : path);
    code = isms_cli_call(cli, "/isms.v1.Upload/Begin", &breq.base,
                         &isms__v1__upload_begin_response__descriptor, &resp, st);
    if (code != ISMS_OK)
        goto out;
    snprintf(info->upload_id, sizeof(info->upload_id), "%s",
             ((const Isms__V1__UploadBeginResponse *)resp)->upload_id);
    protobuf_c_message_free_unpacked(resp, NULL);
    rewind(fp);
    prog.total = info->size;
    prog.is_shown = isatty(STDERR_FILENO) == 1;
    while (code == ISMS_OK && (n = fread(buf, 1, CHUNK_BYTES, fp)) > 0) {
        Isms__V1__UploadChunkRequest req = ISMS__V1__UPLOAD_CHUNK_REQUEST__INIT;

        req.upload_id = info->upload_id;
        req.index = index++;
        req.data.data = buf;
        req.data.len = n;
        progress_show(&prog, sent, "sent");
        code = isms_cli_call(cli, "/isms.v1.Upload/Chunk", &req.base,
                             &isms__v1__upload_chunk_response__descriptor, &resp, st);
        if (code == ISMS_OK)
            protobuf_c_message_free_unpacked(resp, NULL);
        sent += n;
    }
    if (code == ISMS_OK && (ferror(fp) || sent != info->size))
        code =
            isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s changed while it was being sent", path);
    progress_end(&prog);
    if (code != ISMS_OK)
        abort_upload(cli, info->upload_id);
out:
    free(buf);
    fclose(fp);
    return code;
}

/* ---- download ------------------------------------------------------------------------------ */

struct sink {
    FILE *fp;
    const char *name;
    EVP_MD_CTX *md;
    struct isms_file_info *info;
    uint64_t got;
    char declared[65];
    bool has_meta;
    struct progress prog;
};

static enum isms_code write_chunk(void *ud, const ProtobufCMessage *item, struct isms_status *st)
{
    struct sink *s = ud;
    const Isms__V1__FileChunk *c = (const Isms__V1__FileChunk *)item;

    if (!s->has_meta) {
        s->has_meta = true;
        s->info->size = c->size;
        s->info->version = c->version;
        snprintf(s->declared, sizeof(s->declared), "%s", c->sha256);
        s->prog.total = c->size;
    }
    if (c->offset != s->got)
        return isms_status_set(st, ISMS_DATA_LOSS,
                               "the server sent bytes at %" PRIu64 " after %" PRIu64 " bytes",
                               c->offset, s->got);
    if (c->data.len == 0)
        return ISMS_OK;
    if (fwrite(c->data.data, 1, c->data.len, s->fp) != c->data.len)
        return isms_status_set(st, ISMS_INTERNAL, "could not write %s: %s", s->name,
                               strerror(errno));
    EVP_DigestUpdate(s->md, c->data.data, c->data.len);
    s->got += c->data.len;
    progress_show(&s->prog, s->got, "received");
    return ISMS_OK;
}

enum isms_code isms_file_download(struct isms_cli *cli, const char *method,
                                  const ProtobufCMessage *req, const char *path,
                                  struct isms_file_info *info, struct isms_status *st)
{
    struct isms_export_file ef;
    struct sink s;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    enum isms_code code;

    memset(info, 0, sizeof(*info));
    memset(&s, 0, sizeof(s));
    s.md = EVP_MD_CTX_new();
    if (s.md == NULL || EVP_DigestInit_ex(s.md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(s.md);
        return isms_status_set(st, ISMS_INTERNAL, "could not start SHA-256");
    }
    if (isms_export_open(cli, &ef, path, st) != ISMS_OK) {
        EVP_MD_CTX_free(s.md);
        return st->code;
    }
    if (!cli->is_timeout_set)
        cli->timeout_ms = TRANSFER_TIMEOUT_MS;
    s.fp = ef.fp;
    s.name = ef.name;
    s.info = info;
    s.prog.path = ef.name;
    s.prog.is_shown = ef.path != NULL && isatty(STDERR_FILENO) == 1;
    code =
        isms_cli_stream(cli, method, req, &isms__v1__file_chunk__descriptor, write_chunk, &s, st);
    progress_end(&s.prog);
    EVP_DigestFinal_ex(s.md, digest, &dlen);
    EVP_MD_CTX_free(s.md);
    to_hex(digest, dlen, info->sha256);
    if (code == ISMS_OK && (!s.has_meta || s.got != info->size))
        code = isms_status_set(st, ISMS_DATA_LOSS,
                               "received %" PRIu64 " bytes, but the file is %" PRIu64 " bytes",
                               s.got, info->size);
    else if (code == ISMS_OK && strcmp(info->sha256, s.declared) != 0)
        code = isms_status_set(st, ISMS_DATA_LOSS,
                               "the received bytes hash to %s, not the stored sha256 %s",
                               info->sha256, s.declared);
    return isms_export_finish(&ef, code, st);
}
