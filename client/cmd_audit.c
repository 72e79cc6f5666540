/* client/cmd_audit.c — `ismsctl audit ...`: the hash-chained audit trail (isms.v1.Audit). `log`
 * and `export` read server streams; `verify` asks the server to walk the chain, or with --file
 * checks an export offline with the same rule (common/audit_chain.h), so a copy kept elsewhere
 * can prove the trail was not rewritten. A broken chain exits as FAILED_PRECONDITION. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    {"ok", ISMS_OUT_BOOL},     {"records", ISMS_OUT_I64},   {"first_bad_seq", ISMS_OUT_I64},
    {"problem", ISMS_OUT_STR}, {"head_hash", ISMS_OUT_STR},
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

/* Fills the verify result (the same for the server's walk and an offline file); a broken chain
 * makes main exit as FAILED_PRECONDITION after printing it. */
static void fill_verify(struct isms_cli *cli, struct isms_out *out, bool ok, int64_t records,
                        int64_t first_bad_seq, const char *problem, const char *head_hash,
                        const char *where, struct isms_status *st)
{
    struct isms_out_table *t = isms_out_record(out, "audit chain", verify_cols, NCOLS(verify_cols));

    isms_out_bool(t, ok);
    isms_out_i64(t, records);
    isms_out_i64(t, first_bad_seq);
    isms_out_str(t, problem);
    isms_out_str(t, head_hash);
    if (ok) {
        if (head_hash != NULL && head_hash[0] != '\0')
            isms_out_text(out,
                          "ok: the audit chain %s is intact (%" PRId64 " records, head hash %s)",
                          where, records, head_hash);
        else
            isms_out_text(out, "ok: the audit chain %s is intact (%" PRId64 " records)", where,
                          records);
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

/* Verifies an export file line by line with the chain rule. A line that is not a well-formed
 * record fails as FAILED_PRECONDITION naming the line; a broken link fills the result. */
static enum isms_code verify_file(struct isms_cli *cli, const char *path, struct isms_out *out,
                                  struct isms_status *st)
{
    struct isms_audit_verifier v;
    char head[2 * ISMS_AUDIT_HASH_BYTES + 1] = "", where[300];
    char *line = NULL;
    size_t cap = 0, len;
    unsigned long lineno = 0;
    bool is_stdin = strcmp(path, "-") == 0;
    enum isms_code code = ISMS_OK;
    FILE *fp = is_stdin ? stdin : fopen(path, "r");

    if (fp == NULL)
        return isms_cli_usage(cli, st, "could not open %.200s: %s", path, strerror(errno));
    isms_audit_verifier_init(&v);
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
        if (!jr.is_hash_ok) {
            /* As the server reports it (domain/audit/audit_rpc.c). */
            v.first_bad_seq = jr.rec.seq;
            snprintf(v.problem, sizeof(v.problem), "hash is not 32 bytes");
            isms_jsonl_record_cleanup(&jr);
            break;
        }
        if (!isms_audit_verifier_add(&v, &jr.rec)) {
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
    fill_verify(cli, out, v.first_bad_seq == 0, v.count, v.first_bad_seq, v.problem, head, where,
                st);
    return ISMS_OK;
}

static enum isms_code run_verify(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *req, struct isms_out *out,
                                 struct isms_status *st)
{
    const char *file = isms_args_get(a, "file");
    ProtobufCMessage *msg = NULL;
    const Isms__V1__AuditVerifyResponse *r;
    char where[300];

    if (file != NULL)
        return verify_file(cli, file, out, st);
    if (isms_cli_call(cli, "/isms.v1.Audit/Verify", req,
                      &isms__v1__audit_verify_response__descriptor, &msg, st) != ISMS_OK)
        return st->code;
    r = (const Isms__V1__AuditVerifyResponse *)msg;
    snprintf(where, sizeof(where), "on %s", cli->server);
    fill_verify(cli, out, r->ok, r->records, r->first_bad_seq, r->problem, r->head_hash, where, st);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

/* --- export ------------------------------------------------------------------------------ */

struct export_sink {
    FILE *fp;
    const char *name; /* for messages */
    int64_t records;
};

/* Writes one record as a JSON Lines object with every AuditRecord field. */
static enum isms_code write_record(void *ud, const ProtobufCMessage *item, struct isms_status *st)
{
    struct export_sink *sink = ud;
    const Isms__V1__AuditRecord *r = (const Isms__V1__AuditRecord *)item;

    if (isms_jsonl_write(sink->fp, r, st) != ISMS_OK) {
        struct isms_status why = *st;

        return isms_status_set(st, why.code, "could not write %s: %s", sink->name, why.msg);
    }
    sink->records++;
    return ISMS_OK;
}

static enum isms_code run_export(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *req, struct isms_out *out,
                                 struct isms_status *st)
{
    const char *file = isms_args_get(a, "file");
    struct export_sink sink = {stdout, "stdout", 0};
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
     .summary = "check the hash chain on the server, or with --file an export offline (no server; "
                "F may be - for stdin); a broken chain names the first bad record and exits 6",
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
