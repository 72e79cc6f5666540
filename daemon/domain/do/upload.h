/* domain/do/upload.h — files for documents and evidence: the chunked upload (Upload/Begin,
 * Chunk, Abort; schema/050 file_blob + file_chunk) with the SHA-256 computed by ismsd, and the
 * download of a stored file as a FileChunk stream, one chunk row at a time. */
#ifndef ISMS_DOMAIN_DO_UPLOAD_H
#define ISMS_DOMAIN_DO_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

struct isms_call;

/* The largest chunk of an upload (well under the default 4 MiB frame). */
#define ISMS_UPLOAD_CHUNK_MAX (1u << 20)
/* How long an upload that is not attached yet lives after its last chunk. */
#define ISMS_UPLOAD_TTL_SQL "interval '1 hour'"

/* 1 when `s` is 64 hex digits, else 0. */
int isms_sha256_hex_ok(const char *s);

/* Streams the file of blob `blob_id` (a uuid text, copied) as FileChunk messages and finishes
 * the call. The first message carries `size`, `sha256`, `filename` and `version`; every
 * message carries the next piece of the file (one chunk row), paced by the connection's
 * output, so the call never holds more than one chunk. */
void isms_file_download(struct isms_call *call, const char *blob_id, uint64_t size,
                        const char *sha256, const char *filename, int32_t version);

#endif
