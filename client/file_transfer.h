/* client/file_transfer.h — files to and from ismsd for documents and evidence: the chunked
 * upload (Upload/Begin, Chunk..., with a progress bar on a terminal) and the download of a
 * FileChunk stream into a file that appears only when complete and its SHA-256 checked. */
#ifndef ISMS_CLIENT_FILE_TRANSFER_H
#define ISMS_CLIENT_FILE_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/status.h"

struct isms_cli;

/* What an upload or download moved. */
struct isms_file_info {
    char upload_id[40]; /* upload: the id to attach */
    char sha256[65];    /* hex */
    uint64_t size;
    int32_t version; /* download: the version the server sent */
};

/* Reads `path` twice (hash and size, then the chunks), so memory stays one chunk whatever the
 * file's size; uploads it in order and leaves it complete on the server, to be attached by
 * the caller within the hour. On a failure after Begin the upload is aborted (best effort).
 * Errors: INVALID_ARGUMENT (unreadable or empty file), and those of the calls. */
ISMS_MUSTCHECK enum isms_code isms_file_upload(struct isms_cli *cli, const char *path,
                                               struct isms_file_info *info, struct isms_status *st);

/* Streams `method` (request `req`) into `path` ("-": stdout), checking the bytes against the
 * size and SHA-256 the first message declares; a file is renamed into place only when they
 * match. Errors: DATA_LOSS on a mismatch, and those of the stream. */
ISMS_MUSTCHECK enum isms_code isms_file_download(struct isms_cli *cli, const char *method,
                                                 const ProtobufCMessage *req, const char *path,
                                                 struct isms_file_info *info,
                                                 struct isms_status *st);

#endif
