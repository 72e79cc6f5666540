/* client/cmd_audit.c — `ismsctl audit ...`: the hash-chained audit trail (isms.v1.Audit). `log`
 * and `export` read server streams; `verify` asks the server to walk the chain, or with --file
 * checks an export offline with the same rule (common/audit_chain.h), so a copy kept elsewhere
 * can prove the trail was not rewritten. A broken chain exits as FAILED_PRECONDITION. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_pins.h"
#include "cli.h"
#include "export_file.h"
#include "common/audit_chain.h"
#include "jsonl.h"

#include "isms/v1/audit.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))
/* The longest export line read back: far above any record the server accepts. */
#define AUDIT_LINE_MAX ISMS_JSONL_LINE_MAX
#define LOG_LIMIT_MAX  100000

static const struct isms_out_col log_cols[] = {
    {"seq", ISMS_OUT_I64},    {"at", ISMS_OUT_STR},      {"actor", ISMS_OUT_STR},
    {"source", ISMS_OUT_STR}, {"method", ISMS_OUT_STR},  {"entity", ISMS_OUT_STR},
    {"result", ISMS_OUT_STR}, {"changes", ISMS_OUT_STR},
};

static const struct isms_out_col verify_cols[] = {
    {"ok", ISMS_OUT_BOOL},
    {"records", ISMS_OUT_I64},
    {"first_bad_seq", ISMS_OUT_I64},
    {"problem", ISMS_OUT_STR},
    {"head_hash", ISMS_OUT_STR},
    {"checkpoints", ISMS_OUT_I64},
    {"checkpoint_seq", ISMS_OUT_I64},
    {"unchecked_records", ISMS_OUT_I64},
    {"public_key", ISMS_OUT_STR},
};

static const struct isms_out_col export_cols[] = {
    {"file", ISMS_OUT_STR},
    {"records", ISMS_OUT_I64},
};

/* --- log --------------------------------------------------------------------------------- */

static enum isms_code add_log_row(void *ud, const ProtobufCMessage *item, struct isms_status *st)
{
    struct isms_out_table *t = ud;
    const Isms__V1__AuditRecord *r = (const Isms__V1__AuditRecord *)item;

    (void)st;
    isms_out_row(t);
    isms_out_i64(t, r->seq);
    isms_out_str(t, r->at);
    isms_out_str(t, r->actor);
    isms_out_str(t, r->source);
    isms_out_str(t, r->method);
    isms_out_str(t, r->entity);
    isms_out_str(t, r->result);
    isms_out_str(t, r->changes);
    return ISMS_OK;
}

static enum isms_code run_log(struct isms_cli *cli, const struct isms_args *a,
                              ProtobufCMessage *req, struct isms_out *out, struct isms_status *st)
{
    struct isms_out_table *t = isms_out_list(out, "audit log", log_cols, NCOLS(log_cols));

    (void)a;
    return isms_cli_stream(cli, "/isms.v1.Audit/Log", req, &isms__v1__audit_record__descriptor,
                           add_log_row, t, st);
}

/* --- verify ------------------------------------------------------------------------------ */

/* What a verify found beyond the chain itself: checkpoints and the key. */
struct trust {
    int64_t checkpoints, checkpoint_seq, unchecked;
    const char *checkpoint_at;
    const char *key_hex;    /* the key checkpoints were checked with ("" unknown) */
    const char *key_source; /* "pinned", "--key", "the export's own (not pinned)" */
};

/* Fills the verify result (the same for the server's walk and an offline file); a broken chain
 * makes main exit as FAILED_PRECONDITION after printing it. */
static void fill_verify(struct isms_cli *cli, struct isms_out *out, bool ok, int64_t records,
                        int64_t first_bad_seq, const char *problem, const char *head_hash,
                        const char *where, const struct trust *tr, struct isms_status *st)
{
    struct isms_out_table *t = isms_out_record(out, "audit chain", verify_cols, NCOLS(verify_cols));

    isms_out_bool(t, ok);
    isms_out_i64(t, records);
    isms_out_i64(t, first_bad_seq);
    isms_out_str(t, problem);
    isms_out_str(t, head_hash);
    isms_out_i64(t, tr->checkpoints);
    isms_out_i64(t, tr->checkpoint_seq);
    isms_out_i64(t, tr->unchecked);
    isms_out_str(t, tr->key_hex);
    if (ok) {
        if (head_hash != NULL && head_hash[0] != '\0')
            isms_out_text(out,
                          "ok: the audit chain %s is intact (%" PRId64 " records, head hash %s)",
                          where, records, head_hash);
        else
            isms_out_text(out, "ok: the audit chain %s is intact (%" PRId64 " records)", where,
                          records);
        if (tr->checkpoint_seq > 0)
            isms_out_text(out,
                          "%" PRId64
                          " signed checkpoints; the newest vouches for records 1-%" PRId64
                          " (signed %s); %" PRId64 " records after it are not yet checkpointed",
                          tr->checkpoints, tr->checkpoint_seq,
                          tr->checkpoint_at != NULL ? tr->checkpoint_at : "", tr->unchecked);
        else
            isms_out_text(out,
                          "no signed checkpoint yet: %" PRId64 " records are not yet checkpointed",
                          tr->unchecked);
        if (tr->key_hex[0] != '\0')
            isms_out_text(out, "audit key %s (%s)", tr->key_hex, tr->key_source);
        return;
    }
    isms_out_text(out, "BROKEN: the audit chain %s breaks at record %" PRId64 ": %s", where,
                  first_bad_seq, problem != NULL ? problem : "");
    if (head_hash != NULL && head_hash[0] != '\0')
        isms_out_text(out, "records before it are intact; last good hash %s", head_hash);
    isms_status_set(st, ISMS_FAILED_PRECONDITION, "audit chain broken at record %" PRId64 ": %s",
                    first_bad_seq, problem != NULL ? problem : "");
    cli->exit_after_output = ISMS_FAILED_PRECONDITION;
}

/* Reads one line (without '\n') into *buf, growing it up to AUDIT_LINE_MAX. Returns 1 for a
 * line, 0 at the end of the file, -1 for a line too long or holding NUL, -2 on a read error. */
static int read_line(FILE *fp, char **buf, size_t *cap, size_t *len)
{
    int c;

    *len = 0;
    while ((c = getc(fp)) != EOF && c != '\n') {
        if (c == '\0' || *len >= AUDIT_LINE_MAX)
            return -1;
        if (*len + 1 >= *cap) {
            size_t ncap = *cap == 0 ? 4096 : *cap * 2;
            char *nb = realloc(*buf, ncap);

            if (nb == NULL)
                return -2;
            *buf = nb;
            *cap = ncap;
        }
        (*buf)[(*len)++] = (char)c;
    }
    if (ferror(fp))
        return -2;
    if (c == EOF && *len == 0)
        return 0;
    if (*buf != NULL)
        (*buf)[*len] = '\0';
    return 1;
}

/* `--key HEX`, checked: 64 hex digits. */
static enum isms_code key_flag(struct isms_cli *cli, const struct isms_args *a, const char **key,
                               struct isms_status *st)
{
    uint8_t tmp[ISMS_AUDIT_KEY_BYTES];

    *key = isms_args_get(a, "key");
    if (*key != NULL && !isms_hex_decode(*key, tmp, sizeof(tmp)))
        return isms_cli_usage(cli, st, "--key must be 64 hex digits (the audit public key)");
    return ISMS_OK;
}

static int broken_at(struct isms_audit_verifier *v, int64_t seq, const char *fmt, ...)
    ISMS_PRINTF(3, 4);
static int broken_at(struct isms_audit_verifier *v, int64_t seq, const char *fmt, ...)
{
    va_list ap;

    if (v->first_bad_seq != 0)
        return 0;
    v->first_bad_seq = seq;
    va_start(ap, fmt);
    vsnprintf(v->problem, sizeof(v->problem), fmt, ap);
    va_end(ap);
    return 0;
}

/* State of an offline walk beyond the chain: header, pins, the export's signed head. */
struct file_walk {
    struct isms_audit_verifier v;
    const char *want_key; /* --key or the pinned key, else NULL */
    const char *key_source;
    char key_hex[2 * ISMS_AUDIT_KEY_BYTES + 1];
    bool has_header;
    struct isms_audit_checkpoint head; /* the export's signed head */
    bool has_head;
    uint8_t head_rec_hash[ISMS_AUDIT_HASH_BYTES]; /* the file's record at head.seq */
    struct isms_audit_pin pin;
    bool has_pin;
    char server[256];
};

static void take_header(struct isms_cli *cli, struct file_walk *fw,
                        const struct isms_jsonl_record *jr)
{
    struct isms_status pst;
    bool found = false;

    (void)cli;
    fw->has_header = true;
    snprintf(fw->server, sizeof(fw->server), "%s", jr->server);
    isms_hex_encode(jr->public_key, ISMS_AUDIT_KEY_BYTES, fw->key_hex);
    if (fw->want_key == NULL && fw->server[0] != '\0' &&
        isms_pin_load(fw->server, &fw->pin, &found, &pst) == ISMS_OK && found) {
        fw->has_pin = true;
        fw->want_key = fw->pin.key_hex;
        fw->key_source = "pinned for the export's server";
    }
    if (fw->want_key != NULL && strcmp(fw->want_key, fw->key_hex) != 0) {
        broken_at(&fw->v, 1,
                  "the export is signed by key %.16s..., not by the expected key %.16s... (%s)",
                  fw->key_hex, fw->want_key, fw->key_source);
        return;
    }
    if (fw->want_key == NULL)
        fw->key_source = "the export's own key, not pinned: pass --key to check who signed";
    if (!isms_audit_verifier_set_key(&fw->v, jr->public_key))
        broken_at(&fw->v, 1, "could not compute the key id");
    if (jr->has_cp) {
        fw->head = jr->cp;
        fw->has_head = true;
    }
}

/* After the last line: the chain must reach the export's signed head, and the pinned head
 * must not be forked from (shorter is fine offline: the export may be older). */
static void finish_file(struct file_walk *fw)
{
    if (fw->v.first_bad_seq != 0)
        return;
    if (!fw->has_header) {
        if (fw->want_key != NULL)
            broken_at(&fw->v, 1,
                      "the export has no signed header (made before checkpoints, or "
                      "stripped) but --key was given");
        return;
    }
    if (!fw->has_head) {
        if (fw->v.last_seq > 0)
            broken_at(&fw->v, 1, "the export's header has no signed head");
        return;
    }
    if (strcmp(fw->head.key_id, fw->v.key_id) != 0 ||
        !isms_audit_checkpoint_signature_ok(fw->v.key, &fw->head)) {
        broken_at(&fw->v, fw->head.seq,
                  "the export's head (record %" PRId64 ") has no valid signature by the audit key",
                  fw->head.seq);
        return;
    }
    if (fw->v.last_seq < fw->head.seq) {
        broken_at(&fw->v, fw->v.last_seq + 1,
                  "the export ends at record %" PRId64 " but its signed head is record %" PRId64
                  " (records cut from the end)",
                  fw->v.last_seq, fw->head.seq);
        return;
    }
    if (memcmp(fw->head_rec_hash, fw->head.hash, ISMS_AUDIT_HASH_BYTES) != 0)
        broken_at(&fw->v, fw->head.seq,
                  "record %" PRId64 " is not the one the export's signed head vouches for",
                  fw->head.seq);
}

/* Verifies an export file line by line with the chain rule. A line that is not a well-formed
 * record fails as FAILED_PRECONDITION naming the line; a broken link fills the result. */
static enum isms_code verify_file(struct isms_cli *cli, const char *path, const char *key,
                                  struct isms_out *out, struct isms_status *st)
{
    struct file_walk fw;
    struct trust tr;
    char head[2 * ISMS_AUDIT_HASH_BYTES + 1] = "", where[300];
    char *line = NULL;
    size_t cap = 0, len;
    unsigned long lineno = 0;
    bool is_stdin = strcmp(path, "-") == 0;
    enum isms_code code = ISMS_OK;
    FILE *fp = is_stdin ? stdin : fopen(path, "r");

    if (fp == NULL)
        return isms_cli_usage(cli, st, "could not open %.200s: %s", path, strerror(errno));
    memset(&fw, 0, sizeof(fw));
    isms_audit_verifier_init(&fw.v);
    fw.want_key = key;
    fw.key_source = "--key";
    snprintf(where, sizeof(where), "in %s", is_stdin ? "stdin" : path);
    for (;;) {
        struct isms_jsonl_record jr;
        int rl = read_line(fp, &line, &cap, &len);

        if (rl == 0)
            break;
        lineno++;
        if (rl == -2) {
            code = isms_status_set(st, ISMS_INTERNAL, "could not read %.200s: %s", path,
                                   errno != 0 ? strerror(errno) : "out of memory");
            break;
        }
        if (rl == -1) {
            code = isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                   "%.200s:%lu: not an audit record (NUL byte or longer than "
                                   "%u MiB)",
                                   path, lineno, AUDIT_LINE_MAX / (1024 * 1024));
            break;
        }
        if (isms_jsonl_read(line, len, &jr, st) != ISMS_OK) {
            struct isms_status why = *st;

            code = isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                   "%.200s:%lu: not an audit record: %s", path, lineno, why.msg);
            break;
        }
        if (jr.kind == ISMS_JSONL_HEADER) {
            if (lineno != 1) {
                isms_jsonl_record_cleanup(&jr);
                code = isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                       "%.200s:%lu: the export header must be the first line", path,
                                       lineno);
                break;
            }
            take_header(cli, &fw, &jr);
            isms_jsonl_record_cleanup(&jr);
            if (fw.v.first_bad_seq != 0)
                break;
            continue;
        }
        if (jr.kind == ISMS_JSONL_CHECKPOINT) {
            int ok = fw.has_header
                         ? isms_audit_verifier_checkpoint(&fw.v, &jr.cp)
                         : broken_at(&fw.v, jr.cp.seq, "checkpoint without the export header");

            isms_jsonl_record_cleanup(&jr);
            if (!ok)
                break;
            continue;
        }
        if (!jr.is_hash_ok) {
            /* As the server reports it (domain/audit/audit_rpc.c). */
            fw.v.first_bad_seq = jr.rec.seq;
            snprintf(fw.v.problem, sizeof(fw.v.problem), "hash is not 32 bytes");
            isms_jsonl_record_cleanup(&jr);
            break;
        }
        if (!isms_audit_verifier_add(&fw.v, &jr.rec)) {
            isms_jsonl_record_cleanup(&jr);
            break;
        }
        if (fw.has_head && jr.rec.seq == fw.head.seq)
            memcpy(fw.head_rec_hash, jr.rec.hash, ISMS_AUDIT_HASH_BYTES);
        if (fw.has_pin && jr.rec.seq == fw.pin.seq && strcmp(jr.hash_hex, fw.pin.hash_hex) != 0) {
            broken_at(&fw.v, jr.rec.seq,
                      "the chain forks from the head verified before on %s: record %" PRId64
                      " had hash %.16s...",
                      fw.server, fw.pin.seq, fw.pin.hash_hex);
            isms_jsonl_record_cleanup(&jr);
            break;
        }
        snprintf(head, sizeof(head), "%s", jr.hash_hex);
        isms_jsonl_record_cleanup(&jr);
    }
    free(line);
    if (!is_stdin)
        fclose(fp);
    if (code != ISMS_OK)
        return code;
    finish_file(&fw);
    memset(&tr, 0, sizeof(tr));
    tr.checkpoints = fw.v.checkpoints;
    tr.checkpoint_seq = fw.v.checkpoint_seq;
    tr.checkpoint_at = fw.v.checkpoint_at;
    tr.unchecked = fw.v.last_seq - fw.v.checkpoint_seq;
    tr.key_hex = fw.has_header ? fw.key_hex : "";
    tr.key_source = fw.key_source;
    if (!fw.has_header && fw.v.first_bad_seq == 0)
        isms_out_text(out, "note: this export has no signed checkpoints (made before they "
                           "existed); only the hash chain was checked");
    fill_verify(cli, out, fw.v.first_bad_seq == 0, fw.v.count, fw.v.first_bad_seq, fw.v.problem,
                head, where, &tr, st);
    return ISMS_OK;
}

/* The hash the server now has at `seq` (Audit/Log after seq - 1, one record). */
static enum isms_code hash_at(struct isms_cli *cli, int64_t seq, char *out, size_t outlen,
                              struct isms_status *st);

struct one_hash {
    char *out;
    size_t outlen;
    int64_t seq;
};

static enum isms_code take_hash(void *ud, const ProtobufCMessage *item, struct isms_status *st)
{
    struct one_hash *h = ud;
    const Isms__V1__AuditRecord *r = (const Isms__V1__AuditRecord *)item;

    (void)st;
    if (r->seq == h->seq)
        snprintf(h->out, h->outlen, "%s", r->hash);
    return ISMS_OK;
}

static enum isms_code hash_at(struct isms_cli *cli, int64_t seq, char *out, size_t outlen,
                              struct isms_status *st)
{
    Isms__V1__AuditLogRequest req = ISMS__V1__AUDIT_LOG_REQUEST__INIT;
    struct one_hash h = {out, outlen, seq};

    out[0] = '\0';
    req.after_seq = seq - 1;
    req.limit = 1;
    return isms_cli_stream(cli, "/isms.v1.Audit/Log", &req.base,
                           &isms__v1__audit_record__descriptor, take_hash, &h, st);
}

/* The server's answer against what this client verified before (and --key): the key must be
 * the pinned one, the chain no shorter than the pinned head and the same at it. Returns 1
 * when it holds (then the pin moves to the new head), else 0 with `why`. */
static int check_pins(struct isms_cli *cli, const Isms__V1__AuditVerifyResponse *r, const char *key,
                      char *why, size_t wlen, const char **key_source, struct isms_status *st)
{
    struct isms_audit_pin pin, now;
    char hash[2 * ISMS_AUDIT_HASH_BYTES + 1];
    bool found = false;

    if (isms_pin_load(cli->server, &pin, &found, st) != ISMS_OK)
        return -1;
    *key_source = key != NULL ? "--key" : found ? "pinned" : "pinned now (first verify)";
    if (key == NULL && found)
        key = pin.key_hex;
    if (key != NULL && strcmp(key, r->public_key) != 0) {
        snprintf(why, wlen, "the server's audit key %.16s... is not the expected key %.16s... (%s)",
                 r->public_key, key, *key_source);
        return 0;
    }
    if (found && r->head_seq < pin.seq) {
        snprintf(why, wlen,
                 "the chain has %" PRId64 " records, fewer than the %" PRId64
                 " verified before (records deleted from the end)",
                 r->head_seq, pin.seq);
        return 0;
    }
    if (found && pin.seq > 0) {
        if (hash_at(cli, pin.seq, hash, sizeof(hash), st) != ISMS_OK)
            return -1;
        if (strcmp(hash, pin.hash_hex) != 0) {
            snprintf(why, wlen,
                     "the chain forks from the head verified before: record %" PRId64
                     " now has hash %.16s..., was %.16s... (history rewritten)",
                     pin.seq, hash[0] != '\0' ? hash : "(none)", pin.hash_hex);
            return 0;
        }
    }
    memset(&now, 0, sizeof(now));
    snprintf(now.key_hex, sizeof(now.key_hex), "%s", r->public_key);
    now.seq = r->head_seq;
    if (r->head_hash[0] != '\0')
        snprintf(now.hash_hex, sizeof(now.hash_hex), "%s", r->head_hash);
    else
        memset(now.hash_hex, '0', 2 * ISMS_AUDIT_HASH_BYTES);
    if (isms_pin_store(cli->server, &now, st) != ISMS_OK)
        return -1;
    return 1;
}

static enum isms_code run_verify(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *req, struct isms_out *out,
                                 struct isms_status *st)
{
    const char *file = isms_args_get(a, "file");
    const char *key;
    ProtobufCMessage *msg = NULL;
    const Isms__V1__AuditVerifyResponse *r;
    struct trust tr;
    char where[300], why[ISMS_STATUS_MSG_MAX];
    int held = 1;

    if (key_flag(cli, a, &key, st) != ISMS_OK)
        return st->code;
    if (file != NULL)
        return verify_file(cli, file, key, out, st);
    if (isms_cli_call(cli, "/isms.v1.Audit/Verify", req,
                      &isms__v1__audit_verify_response__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    r = (const Isms__V1__AuditVerifyResponse *)msg;
    snprintf(where, sizeof(where), "on %s", cli->server);
    memset(&tr, 0, sizeof(tr));
    tr.checkpoints = r->checkpoints;
    tr.checkpoint_seq = r->checkpoint_seq;
    tr.checkpoint_at = r->checkpoint_at;
    tr.unchecked = r->unchecked_records;
    tr.key_hex = r->public_key;
    tr.key_source = "";
    why[0] = '\0';
    if (r->ok)
        held = check_pins(cli, r, key, why, sizeof(why), &tr.key_source, st);
    if (held < 0) {
        protobuf_c_message_free_unpacked(msg, NULL);
        return st->code;
    }
    if (held == 0)
        fill_verify(cli, out, false, r->records, r->head_seq, why, NULL, where, &tr, st);
    else
        fill_verify(cli, out, r->ok, r->records, r->first_bad_seq, r->problem, r->head_hash, where,
                    &tr, st);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

/* --- export ------------------------------------------------------------------------------ */

struct export_sink {
    FILE *fp;
    const char *name; /* for messages */
    const char *server;
    int64_t records;
};

/* Writes one record as a JSON Lines object with every AuditRecord field. */
static enum isms_code write_record(void *ud, const ProtobufCMessage *item, struct isms_status *st)
{
    struct export_sink *sink = ud;
    const Isms__V1__AuditRecord *r = (const Isms__V1__AuditRecord *)item;
    enum isms_code code = ISMS_OK;

    if (r->seq == 0 && r->public_key[0] != '\0') /* the first item: the key and signed head */
        code = isms_jsonl_write_header(sink->fp, r->public_key, sink->server, r->checkpoint, st);
    else if (r->seq == 0 && r->checkpoint != NULL) /* beyond the last record */
        code = isms_jsonl_write_checkpoint(sink->fp, r->checkpoint, st);
    else {
        code = isms_jsonl_write(sink->fp, r, st);
        if (code == ISMS_OK && r->checkpoint != NULL)
            code = isms_jsonl_write_checkpoint(sink->fp, r->checkpoint, st);
        if (code == ISMS_OK)
            sink->records++;
    }
    if (code != ISMS_OK) {
        struct isms_status why = *st;

        return isms_status_set(st, why.code, "could not write %s: %s", sink->name, why.msg);
    }
    return ISMS_OK;
}

static enum isms_code run_export(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *req, struct isms_out *out,
                                 struct isms_status *st)
{
    const char *file = isms_args_get(a, "file");
    struct export_sink sink = {stdout, "stdout", cli->server, 0};
    struct isms_export_file ef;
    struct isms_out_table *t;
    enum isms_code code;

    if (isms_export_open(cli, &ef, file, st) != ISMS_OK)
        return st->code;
    sink.fp = ef.fp;
    sink.name = ef.name;
    code = isms_cli_stream(cli, "/isms.v1.Audit/Export", req, &isms__v1__audit_record__descriptor,
                           write_record, &sink, st);
    code = isms_export_finish(&ef, code, st);
    if (code != ISMS_OK || ef.path == NULL)
        return code;
    t = isms_out_record(out, "audit export", export_cols, NCOLS(export_cols));
    isms_out_str(t, file);
    isms_out_i64(t, sink.records);
    isms_out_text(out, "exported %" PRId64 " audit records to %s", sink.records, file);
    return ISMS_OK;
}

static const struct isms_flag log_flags[] = {
    ISMS_F_STR("entity", "ID", "entity",
               "exact (\"party:P-3\") or a prefix ending in ':' (\"user:\")"),
    ISMS_F_STR("actor", "USER", "actor", "records of this user"),
    ISMS_F_STR("since", "TIME", "since", "YYYY-MM-DD or an RFC 3339 time"),
    ISMS_F_INT("limit", "limit", 1, LOG_LIMIT_MAX, "at most N records (default 100)"),
    {0},
};

static const struct isms_flag verify_flags[] = {
    ISMS_F_FILE("file", "check this export offline instead (- for stdin)"),
    {.name = "key",
     .kind = ISMS_FLAG_STRING,
     .metavar = "HEX",
     .help = "the audit public key checkpoints must be signed with (default: the key pinned "
             "for the server)"},
    {0},
};

static const struct isms_flag export_flags[] = {
    ISMS_F_FILE("file", "write to F (mode 0600, renamed into place when complete), not stdout"),
    {0},
};

static const struct isms_cmd audit_cmds[] = {
    {.noun = "audit",
     .verb = "log",
     .summary = "audit records, oldest first: --entity exact (\"party:P-3\") or a prefix ending in "
                "':' (\"user:\"), --since YYYY-MM-DD or an RFC 3339 time, --limit 1-100000 "
                "(default 100)",
     .flags = log_flags,
     .req = &isms__v1__audit_log_request__descriptor,
     .run = run_log},
    {.noun = "audit",
     .verb = "verify",
     .summary = "check the hash chain and its signed checkpoints on the server, or with --file "
                "an export offline (no server; F may be - for stdin); a broken chain, a chain "
                "shorter than or forking from the head verified before, or another signing key "
                "exits 6",
     .flags = verify_flags,
     .req = &isms__v1__audit_verify_request__descriptor,
     .run = run_verify},
    {.noun = "audit",
     .verb = "export",
     .summary = "every record with its hashes as JSON Lines (one object per line, all AuditRecord "
                "fields) to stdout, or to F (written beside it as mode 0600, renamed into place "
                "when complete)",
     .flags = export_flags,
     .req = &isms__v1__audit_export_request__descriptor,
     .run = run_export},
};

const struct isms_noun isms_noun_audit = {
    "audit",
    "the tamper-evident audit trail: read, verify, export",
    audit_cmds,
    NCOLS(audit_cmds),
};
