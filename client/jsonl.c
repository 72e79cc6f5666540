/* client/jsonl.c — audit export lines through jansson. The writer emits compact objects in hash
 * order; the reader takes the same shape (any standard escapes, as earlier exports used) and
 * refuses everything else, so a line either is a whole record or names what is wrong with it. */
#include "jsonl.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <jansson.h>

#include "json_text.h"

const char *const isms_jsonl_record_keys[ISMS_JSONL_NKEYS] = {
    "seq", "at", "actor", "source", "method", "entity", "changes", "result", "prev_hash", "hash"};

void isms_jsonl_record_cleanup(struct isms_jsonl_record *r)
{
    json_decref(r->doc);
    memset(r, 0, sizeof(*r));
}

/* Maps the object's members onto r->rec; `values[k]` is the string for key k (k >= 1). */
static enum isms_code take_members(json_t *doc, struct isms_jsonl_record *r, struct isms_status *st)
{
    const char *values[ISMS_JSONL_NKEYS] = {NULL};
    const char *key;
    json_t *v;

    json_object_foreach(doc, key, v)
    {
        size_t k = 0;

        while (k < ISMS_JSONL_NKEYS && strcmp(key, isms_jsonl_record_keys[k]) != 0)
            k++;
        if (k == ISMS_JSONL_NKEYS)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "unknown member \"%.40s\"", key);
        if (k == 0) {
            if (!json_is_integer(v))
                return isms_status_set(st, ISMS_INVALID_ARGUMENT, "\"seq\" must be an integer");
            r->rec.seq = (int64_t)json_integer_value(v);
            values[0] = "";
            continue;
        }
        if (!json_is_string(v))
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "\"%s\" must be a string",
                                   isms_jsonl_record_keys[k]);
        values[k] = json_string_value(v);
    }
    for (size_t k = 0; k < ISMS_JSONL_NKEYS; k++) {
        if (values[k] == NULL)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "member \"%s\" is missing",
                                   isms_jsonl_record_keys[k]);
    }
    r->rec.at = values[1];
    r->rec.actor = values[2];
    r->rec.source = values[3];
    r->rec.method = values[4];
    r->rec.entity = values[5];
    r->rec.changes = values[6];
    r->rec.result = values[7];
    r->hash_hex = values[9];
    /* Exactly 64 hex digits each: a string with a NUL inside cannot get here (\u0000 is
     * refused), so strlen is the whole value. */
    r->is_hash_ok = strlen(values[8]) == 2 * ISMS_AUDIT_HASH_BYTES &&
                    strlen(values[9]) == 2 * ISMS_AUDIT_HASH_BYTES &&
                    isms_hex_decode(values[8], r->rec.prev_hash, ISMS_AUDIT_HASH_BYTES) &&
                    isms_hex_decode(values[9], r->rec.hash, ISMS_AUDIT_HASH_BYTES);
    return ISMS_OK;
}

/* CP object -> out->cp. */
static enum isms_code take_checkpoint(json_t *o, struct isms_audit_checkpoint *cp,
                                      struct isms_status *st)
{
    json_t *seq = json_object_get(o, "seq"), *hash = json_object_get(o, "hash");
    json_t *at = json_object_get(o, "signed_at"), *kid = json_object_get(o, "key_id");
    json_t *sig = json_object_get(o, "signature");

    if (!json_is_object(o) || json_object_size(o) != 5 || !json_is_integer(seq) ||
        !json_is_string(hash) || !json_is_string(at) || !json_is_string(kid) ||
        !json_is_string(sig))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "a checkpoint must have exactly seq (integer), hash, signed_at, "
                               "key_id and signature (strings)");
    memset(cp, 0, sizeof(*cp));
    cp->seq = (int64_t)json_integer_value(seq);
    if (json_string_length(at) >= sizeof(cp->signed_at) ||
        json_string_length(kid) != ISMS_AUDIT_KEY_ID_HEX ||
        !isms_hex_decode(json_string_value(hash), cp->hash, ISMS_AUDIT_HASH_BYTES) ||
        !isms_hex_decode(json_string_value(sig), cp->signature, ISMS_AUDIT_SIG_BYTES))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "checkpoint %" PRId64 ": malformed hash, time, key_id or signature",
                               cp->seq);
    memcpy(cp->signed_at, json_string_value(at), json_string_length(at) + 1);
    memcpy(cp->key_id, json_string_value(kid), ISMS_AUDIT_KEY_ID_HEX + 1);
    return ISMS_OK;
}

static enum isms_code take_header(json_t *h, struct isms_jsonl_record *r, struct isms_status *st)
{
    json_t *ver = json_object_get(h, "version"), *pk = json_object_get(h, "public_key");
    json_t *srv = json_object_get(h, "server"), *head = json_object_get(h, "head");
    size_t want = 3 + (head != NULL);

    if (!json_is_object(h) || json_object_size(h) != want || !json_is_integer(ver) ||
        json_integer_value(ver) != 2 || !json_is_string(pk) || !json_is_string(srv))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "the export header must have version 2, server, public_key and "
                               "optionally head");
    if (!isms_hex_decode(json_string_value(pk), r->public_key, ISMS_AUDIT_KEY_BYTES))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "the export header's public_key is not 64 hex digits");
    r->server = json_string_value(srv);
    r->kind = ISMS_JSONL_HEADER;
    if (head != NULL) {
        if (take_checkpoint(head, &r->cp, st) != ISMS_OK)
            return st->code;
        r->has_cp = true;
    }
    return ISMS_OK;
}

enum isms_code isms_jsonl_read(const char *line, size_t len, struct isms_jsonl_record *out,
                               struct isms_status *st)
{
    json_error_t err;
    const char *cr;
    json_t *doc;

    memset(out, 0, sizeof(*out));
    if (len > ISMS_JSONL_LINE_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "line is longer than %u MiB",
                               ISMS_JSONL_LINE_MAX >> 20);
    /* A raw CR can only be outside a string (jansson refuses it inside): export lines end in
     * '\n' alone, so the line was altered. */
    if ((cr = memchr(line, '\r', len)) != NULL)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "column %zu: carriage return",
                               (size_t)(cr - line) + 1);
    doc = json_loadb(line, len, ISMS_JSON_LOAD_FLAGS, &err);
    if (doc == NULL) {
        char why[ISMS_STATUS_MSG_MAX];

        if (json_error_code(&err) == json_error_out_of_memory)
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory reading a line");
        isms_json_error_text(&err, 1, why, sizeof(why));
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s", why);
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "column 1: expected an object");
    }
    out->doc = doc;
    if (json_object_size(doc) == 1 && json_object_get(doc, "checkpoint") != NULL) {
        out->kind = ISMS_JSONL_CHECKPOINT;
        out->has_cp = true;
        if (take_checkpoint(json_object_get(doc, "checkpoint"), &out->cp, st) != ISMS_OK) {
            isms_jsonl_record_cleanup(out);
            return st->code;
        }
        return ISMS_OK;
    }
    if (json_object_size(doc) == 1 && json_object_get(doc, "export") != NULL) {
        if (take_header(json_object_get(doc, "export"), out, st) != ISMS_OK) {
            isms_jsonl_record_cleanup(out);
            return st->code;
        }
        return ISMS_OK;
    }
    if (take_members(doc, out, st) != ISMS_OK) {
        isms_jsonl_record_cleanup(out);
        return st->code;
    }
    return ISMS_OK;
}

enum isms_code isms_jsonl_write(FILE *fp, const Isms__V1__AuditRecord *r, struct isms_status *st)
{
    const char *const values[ISMS_JSONL_NKEYS] = {NULL,         r->at,     r->actor,   r->source,
                                                  r->method,    r->entity, r->changes, r->result,
                                                  r->prev_hash, r->hash};
    json_t *obj = json_object();
    enum isms_code code = ISMS_OK;

    if (obj == NULL || json_object_set_new(obj, "seq", json_integer(r->seq)) != 0) {
        code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory writing a record");
        goto out;
    }
    for (size_t k = 1; k < ISMS_JSONL_NKEYS; k++) {
        json_t *s = isms_json_text_exact(values[k]);

        if (s == NULL) {
            code = isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "audit record %" PRId64 ": \"%s\" is not valid UTF-8", r->seq,
                                   isms_jsonl_record_keys[k]);
            goto out;
        }
        if (json_object_set_new(obj, isms_jsonl_record_keys[k], s) != 0) {
            code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory writing a record");
            goto out;
        }
    }
    if (json_dumpf(obj, fp, JSON_COMPACT) != 0 || fputc('\n', fp) == EOF || ferror(fp))
        code = isms_status_set(st, ISMS_INTERNAL, "%s", strerror(errno != 0 ? errno : EIO));
out:
    json_decref(obj);
    return code;
}

static json_t *checkpoint_obj(const Isms__V1__AuditCheckpoint *cp)
{
    json_t *o = json_object();

    if (o == NULL || json_object_set_new(o, "seq", json_integer(cp->seq)) != 0 ||
        json_object_set_new(o, "hash", json_string(cp->hash)) != 0 ||
        json_object_set_new(o, "signed_at", json_string(cp->signed_at)) != 0 ||
        json_object_set_new(o, "key_id", json_string(cp->key_id)) != 0 ||
        json_object_set_new(o, "signature", json_string(cp->signature)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Writes {name: inner} as one line; takes `inner`. */
static enum isms_code write_wrapped(FILE *fp, const char *name, json_t *inner,
                                    struct isms_status *st)
{
    json_t *obj = inner != NULL ? json_object() : NULL;
    enum isms_code code = ISMS_OK;

    if (obj == NULL || json_object_set_new(obj, name, inner) != 0) {
        if (obj == NULL)
            json_decref(inner);
        json_decref(obj);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory writing a %s", name);
    }
    if (json_dumpf(obj, fp, JSON_COMPACT) != 0 || fputc('\n', fp) == EOF || ferror(fp))
        code = isms_status_set(st, ISMS_INTERNAL, "%s", strerror(errno != 0 ? errno : EIO));
    json_decref(obj);
    return code;
}

enum isms_code isms_jsonl_write_checkpoint(FILE *fp, const Isms__V1__AuditCheckpoint *cp,
                                           struct isms_status *st)
{
    return write_wrapped(fp, "checkpoint", checkpoint_obj(cp), st);
}

enum isms_code isms_jsonl_write_header(FILE *fp, const char *public_key, const char *server,
                                       const Isms__V1__AuditCheckpoint *head,
                                       struct isms_status *st)
{
    json_t *h = json_object();

    if (h == NULL || json_object_set_new(h, "version", json_integer(2)) != 0 ||
        json_object_set_new(h, "server", json_string(server)) != 0 ||
        json_object_set_new(h, "public_key", json_string(public_key)) != 0 ||
        (head != NULL && json_object_set_new(h, "head", checkpoint_obj(head)) != 0)) {
        json_decref(h);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory writing the header");
    }
    return write_wrapped(fp, "export", h, st);
}
