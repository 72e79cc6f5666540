/* fuzz/fuzz_client_json.c — libFuzzer target for ismsctl's JSON readers (jansson underneath):
 * the first byte picks the audit export line reader (client/jsonl.c), the asset file reader
 * (client/asset_json.c) or the method file reader (client/method_json.c); the rest is the input.
 * Anything must be read or refused with a message; an accepted audit line or asset file must be
 * written back and read again unchanged (so an export always verifies and re-imports). */
#define _GNU_SOURCE /* open_memstream */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asset_io.h"
#include "fuzz_client_rows.h"
#include "jsonl.h"
#include "method_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void refused(enum isms_code code, const struct isms_status *st)
{
    if ((code != ISMS_INVALID_ARGUMENT && code != ISMS_RESOURCE_EXHAUSTED) || st->msg[0] == '\0')
        abort();
}

static void same(const char *field, const char *a, const char *b)
{
    if (strcmp(a, b) != 0) {
        fprintf(stderr, "audit line: %s differs after a round trip\n", field);
        abort();
    }
}

static void audit_line(const char *text, size_t len)
{
    struct isms_jsonl_record a, b;
    struct isms_status st = {0};
    Isms__V1__AuditRecord r = ISMS__V1__AUDIT_RECORD__INIT;
    char prev_hex[2 * ISMS_AUDIT_HASH_BYTES + 1], *out = NULL;
    size_t out_len = 0;
    enum isms_code code = isms_jsonl_read(text, len, &a, &st);
    FILE *fp;

    if (code != ISMS_OK) {
        refused(code, &st);
        return;
    }
    if (!a.is_hash_ok) {
        isms_jsonl_record_cleanup(&a);
        return;
    }
    isms_hex_encode(a.rec.prev_hash, ISMS_AUDIT_HASH_BYTES, prev_hex);
    r.seq = a.rec.seq;
    r.at = (char *)a.rec.at;
    r.actor = (char *)a.rec.actor;
    r.source = (char *)a.rec.source;
    r.method = (char *)a.rec.method;
    r.entity = (char *)a.rec.entity;
    r.changes = (char *)a.rec.changes;
    r.result = (char *)a.rec.result;
    r.prev_hash = prev_hex;
    r.hash = (char *)a.hash_hex;
    fp = open_memstream(&out, &out_len);
    if (fp == NULL || isms_jsonl_write(fp, &r, &st) != ISMS_OK || fclose(fp) != 0)
        abort();
    if (out_len == 0 || out[out_len - 1] != '\n' || memchr(out, '\n', out_len - 1) != NULL ||
        isms_jsonl_read(out, out_len - 1, &b, &st) != ISMS_OK) {
        fprintf(stderr, "audit line does not read back: %s\n", st.msg);
        abort();
    }
    if (a.rec.seq != b.rec.seq || !b.is_hash_ok ||
        memcmp(a.rec.hash, b.rec.hash, ISMS_AUDIT_HASH_BYTES) != 0 ||
        memcmp(a.rec.prev_hash, b.rec.prev_hash, ISMS_AUDIT_HASH_BYTES) != 0)
        abort();
    same("at", a.rec.at, b.rec.at);
    same("actor", a.rec.actor, b.rec.actor);
    same("source", a.rec.source, b.rec.source);
    same("method", a.rec.method, b.rec.method);
    same("entity", a.rec.entity, b.rec.entity);
    same("changes", a.rec.changes, b.rec.changes);
    same("result", a.rec.result, b.rec.result);
    isms_jsonl_record_cleanup(&a);
    isms_jsonl_record_cleanup(&b);
    free(out);
}

static void asset_file(const char *text, size_t len)
{
    struct isms_asset_file f = {0}, g = {0};
    struct isms_status st = {0};
    enum isms_code code = isms_asset_file_parse(text, len, ISMS_ASSET_FORMAT_JSON, &f, &st);
    char *out = NULL;
    size_t out_len = 0;

    if (code != ISMS_OK) {
        refused(code, &st);
        isms_asset_file_free(&f);
        return;
    }
    isms_fuzz_rows_write(&f, ISMS_ASSET_FORMAT_JSON, &out, &out_len);
    if (isms_asset_file_parse(out, out_len, ISMS_ASSET_FORMAT_JSON, &g, &st) != ISMS_OK) {
        fprintf(stderr, "an export does not read back: %s\n", st.msg);
        abort();
    }
    isms_fuzz_rows_same(&f, &g);
    isms_asset_file_free(&f);
    isms_asset_file_free(&g);
    free(out);
}

static void method_file(const char *text, size_t len)
{
    struct isms_method_def d;
    struct isms_status st = {0};
    struct json_t *doc = NULL;
    enum isms_code code = isms_method_json_parse(text, len, &doc, &st);

    if (code != ISMS_OK) {
        refused(code, &st);
        return;
    }
    /* The default 5 x 5 method, as the server starts with. */
    memset(&d, 0, sizeof(d));
    d.nl = d.ni = 5;
    for (size_t k = 0; k < 5; k++) {
        d.l_label[k] = d.i_label[k] = "x";
        d.l_desc[k] = d.i_desc[k] = "";
    }
    d.computation = "product";
    d.note = "";
    code = isms_method_json_apply(doc, &d, &st);
    if (code != ISMS_OK)
        refused(code, &st);
    else if (d.nl > ISMS_METHOD_LEVELS_MAX || d.ni > ISMS_METHOD_LEVELS_MAX ||
             d.nb > ISMS_METHOD_BANDS_MAX || d.nm > sizeof(d.matrix) / sizeof(d.matrix[0]))
        abort();
    isms_method_json_free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data + 1;

    if (size == 0)
        return 0;
    switch (data[0] % 3) {
    case 0:
        audit_line(text, size - 1);
        break;
    case 1:
        asset_file(text, size - 1);
        break;
    default:
        method_file(text, size - 1);
        break;
    }
    return 0;
}
