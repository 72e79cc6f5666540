/* client/cmd_soa.c — `ismsctl soa ...`: the Statement of Applicability (isms.v1.Soa). The
 * server streams structured rows; `export` renders them as CSV (RFC 4180), Markdown, JSON or
 * HTML one row at a time, so memory stays bounded. Exports hold no timestamp but those in the
 * data, so two exports of the same state are byte-identical. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "csv.h"
#include "export_file.h"
#include "json_text.h"

#include "isms/v1/control.pb-c.h"

#define NCOLS(a)    (sizeof(a) / sizeof((a)[0]))
#define VERSION_MAX 1000000000

static const char REPLACEMENT_CHAR[] = "\xef\xbf\xbd"; /* U+FFFD */

static const struct isms_out_col finding_cols[] = {
    {"control_id", ISMS_OUT_STR},
    {"rule", ISMS_OUT_STR},
    {"message", ISMS_OUT_STR},
};

static const struct isms_out_col version_cols[] = {
    {"number", ISMS_OUT_I64},       {"approval", ISMS_OUT_STR},
    {"approved_by", ISMS_OUT_STR},  {"approved_at", ISMS_OUT_STR},
    {"published_by", ISMS_OUT_STR}, {"published_at", ISMS_OUT_STR},
    {"controls", ISMS_OUT_I64},     {"applicable", ISMS_OUT_I64},
    {"implemented", ISMS_OUT_I64},  {"legacy_approved_by", ISMS_OUT_STR},
};

static const struct isms_out_col version_row_cols[] = {
    {"position", ISMS_OUT_I64}, {"id", ISMS_OUT_STR},         {"theme", ISMS_OUT_STR},
    {"title", ISMS_OUT_STR},    {"applicable", ISMS_OUT_STR}, {"status", ISMS_OUT_STR},
    {"owner", ISMS_OUT_STR},
};

static const struct isms_out_col diff_cols[] = {
    {"control_id", ISMS_OUT_STR}, {"change", ISMS_OUT_STR}, {"title", ISMS_OUT_STR},
    {"field", ISMS_OUT_STR},      {"before", ISMS_OUT_STR}, {"after", ISMS_OUT_STR},
};

static const struct isms_out_col summary_cols[] = {
    {"theme", ISMS_OUT_STR},      {"total", ISMS_OUT_I64},
    {"applicable", ISMS_OUT_I64}, {"excluded", ISMS_OUT_I64},
    {"undecided", ISMS_OUT_I64},  {"implemented", ISMS_OUT_I64},
    {"planned", ISMS_OUT_I64},    {"percent_implemented", ISMS_OUT_STR},
};

static const struct isms_out_col export_cols[] = {
    {"file", ISMS_OUT_STR},
    {"rows", ISMS_OUT_I64},
};

/* Parses a version number; 0 (the current state) only when `allow_current`. */
static bool parse_version(const char *s, bool allow_current, int32_t *out)
{
    int64_t v;

    if (allow_current && strcmp(s, "current") == 0) {
        *out = 0;
        return true;
    }
    if (!isms_cli_parse_i64(s, allow_current ? 0 : 1, VERSION_MAX, &v))
        return false;
    *out = (int32_t)v;
    return true;
}

/* ---- export renderers ----------------------------------------------------------------------- */

enum soa_format { SOA_CSV, SOA_MD, SOA_JSON, SOA_HTML };

struct soa_sink {
    FILE *fp;
    const char *name; /* for messages */
    enum soa_format format;
    int64_t rows;
};

/* Length of the valid UTF-8 sequence at p[0..len), or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *p, size_t len)
{
    size_t n;
    uint32_t cp;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        n = 2, cp = p[0] & 0x1F;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        n = 3, cp = p[0] & 0x0F;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        n = 4, cp = p[0] & 0x07;
    else
        return 0;
    if (n > len)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

/*
 * Writes `s` for Markdown (a table cell) or HTML: '&', '<', '>' (and in HTML '"', '\'') as
 * entities, a line break as <br>, CR and other control characters as a space, invalid UTF-8 as
 * U+FFFD; in Markdown also '|' and '\' escaped with a backslash so a cell never splits.
 */
static void put_escaped(FILE *fp, const char *s, bool is_markdown)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), i = 0;

    while (i < len) {
        unsigned char c = p[i];
        size_t n = utf8_seq(p + i, len - i);

        if (n == 0) {
            fputs(REPLACEMENT_CHAR, fp);
            i++;
            continue;
        }
        if (n > 1) {
            fwrite(p + i, 1, n, fp);
            i += n;
            continue;
        }
        i++;
        switch (c) {
        case '&':
            fputs("&amp;", fp);
            break;
        case '<':
            fputs("&lt;", fp);
            break;
        case '>':
            fputs("&gt;", fp);
            break;
        case '"':
            fputs(is_markdown ? "\"" : "&quot;", fp);
            break;
        case '\'':
            fputs(is_markdown ? "'" : "&#39;", fp);
            break;
        case '|':
            fputs(is_markdown ? "\\|" : "|", fp);
            break;
        case '\\':
            fputs(is_markdown ? "\\\\" : "\\", fp);
            break;
        case '\n':
            fputs("<br>", fp);
            break;
        default:
            fputc(c < 0x20 || c == 0x7f ? ' ' : c, fp);
        }
    }
}

/* Writes one RFC 4180 field: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
static void put_csv(FILE *fp, const char *s)
{
    bool is_quoted = strpbrk(s, ",\"\r\n") != NULL;

    if (is_quoted)
        fputc('"', fp);
    if (isms_csv_needs_guard(s))
        fputc('\'', fp);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    if (is_quoted)
        fputc('"', fp);
}

/* A list as one cell text: items joined by `sep`, into a heap string (NULL: out of memory). */
static char *joined(char *const *items, size_t n, const char *sep)
{
    size_t len = 1, k = strlen(sep);
    char *out, *p;

    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + k;
    out = malloc(len);
    if (out == NULL)
        return NULL;
    p = out;
    for (size_t i = 0; i < n; i++) {
        size_t m = strlen(items[i]);

        if (i > 0) {
            memcpy(p, sep, k);
            p += k;
        }
        memcpy(p, items[i], m);
        p += m;
    }
    *p = '\0';
    return out;
}

static const char *const EXPORT_HEADINGS[] = {
    "ID",     "Theme", "Control",        "Source",   "Applicable",   "Reasons", "Justification",
    "Status", "Owner", "Implementation", "Evidence", "Linked risks",
};

static const char *const CSV_HEADER = "position,id,theme,title,custom,source,applicable,reasons,"
                                      "justification,status,owner,implementation,evidence,"
                                      "linked_risks\r\n";

/* Writes what comes before the rows. `v` describes a published version, or is NULL. */
static void write_head(struct soa_sink *s, const Isms__V1__SoaVersion *v)
{
    FILE *fp = s->fp;

    switch (s->format) {
    case SOA_CSV:
        fputs(CSV_HEADER, fp);
        break;
    case SOA_JSON:
        fputs("[", fp);
        break;
    case SOA_MD:
        fputs("# Statement of Applicability\n\n", fp);
        if (v != NULL && v->approved) {
            fprintf(fp, "Version %" PRId32 ", approved by ", v->number);
            put_escaped(fp, v->approved_by, true);
            fputs(" at ", fp);
            put_escaped(fp, v->approved_at, true);
            fputs(".\n\n", fp);
        } else if (v != NULL) {
            fprintf(fp, "Version %" PRId32 ", published by ", v->number);
            put_escaped(fp, v->published_by, true);
            fputs(" at ", fp);
            put_escaped(fp, v->published_at, true);
            fputs("; not approved.\n\n", fp);
        } else {
            fputs("Current state (not a published version).\n\n", fp);
        }
        fputs("|", fp);
        for (size_t i = 0; i < NCOLS(EXPORT_HEADINGS); i++)
            fprintf(fp, " %s |", EXPORT_HEADINGS[i]);
        fputs("\n|", fp);
        for (size_t i = 0; i < NCOLS(EXPORT_HEADINGS); i++)
            fputs(" --- |", fp);
        fputs("\n", fp);
        break;
    case SOA_HTML:
        fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<title>Statement of Applicability</title>\n<style>\n"
              "body { font-family: sans-serif; margin: 2em; }\n"
              "table { border-collapse: collapse; width: 100%; }\n"
              "th, td { border: 1px solid #999; padding: 4px 6px; text-align: left; "
              "vertical-align: top; }\n"
              "th { background: #eee; }\n"
              "tr.custom td:first-child { font-style: italic; }\n"
              "</style>\n</head>\n<body>\n<h1>Statement of Applicability</h1>\n",
              fp);
        if (v != NULL && v->approved) {
            fprintf(fp, "<p>Version %" PRId32 ", approved by ", v->number);
            put_escaped(fp, v->approved_by, false);
            fputs(" at ", fp);
            put_escaped(fp, v->approved_at, false);
            fputs(".</p>\n", fp);
        } else if (v != NULL) {
            fprintf(fp, "<p>Version %" PRId32 ", published by ", v->number);
            put_escaped(fp, v->published_by, false);
            fputs(" at ", fp);
            put_escaped(fp, v->published_at, false);
            fputs("; <strong>not approved</strong>.</p>\n", fp);
        } else {
            fputs("<p>Current state (not a published version).</p>\n", fp);
        }
        fputs("<table>\n<thead>\n<tr>", fp);
        for (size_t i = 0; i < NCOLS(EXPORT_HEADINGS); i++)
            fprintf(fp, "<th>%s</th>", EXPORT_HEADINGS[i]);
        fputs("</tr>\n</thead>\n<tbody>\n", fp);
        break;
    }
}

static void write_tail(struct soa_sink *s)
{
    switch (s->format) {
    case SOA_CSV:
    case SOA_MD:
        break;
    case SOA_JSON:
        fputs(s->rows > 0 ? "\n]\n" : "]\n", s->fp);
        break;
    case SOA_HTML:
        fputs("</tbody>\n</table>\n</body>\n</html>\n", s->fp);
        break;
    }
}

/* A JSON array of the strings items[0..n); NULL when out of memory. */
static json_t *json_strs(char *const *items, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < n; i++) {
        if (json_array_append_new(a, isms_json_text(items[i])) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

/* One row as {"position": 1, "id": "5.1", ...} (jansson, members in export order). */
static bool write_json_row(FILE *fp, const Isms__V1__SoaRow *r, bool is_first)
{
    json_t *o = json_pack(
        "{s:i, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
        "s:o, s:I}",
        "position", (int)r->position, "id", isms_json_text(r->id), "theme",
        isms_json_text(r->theme), "title", isms_json_text(r->title), "custom", (int)r->custom,
        "source", isms_json_text(r->source), "applicable", isms_json_text(r->applicable), "reasons",
        json_strs(r->reasons, r->n_reasons), "justification", isms_json_text(r->justification),
        "status", isms_json_text(r->status), "owner", isms_json_text(r->owner), "implementation",
        isms_json_text(r->implementation), "evidence", json_strs(r->evidence, r->n_evidence),
        "linked_risks", json_strs(r->linked_risks, r->n_linked_risks), "control_version",
        (json_int_t)r->control_version);
    bool ok = o != NULL;

    fprintf(fp, "%s\n  ", is_first ? "" : ",");
    ok = ok && json_dumpf(o, fp, 0) == 0;
    json_decref(o);
    return ok;
}

/* Writes one row in the sink's format; lists become "a; b" (evidence: one per line). */
static enum isms_code write_row(void *ud, const ProtobufCMessage *item, struct isms_status *st)
{
    struct soa_sink *s = ud;
    const Isms__V1__SoaRow *r = (const Isms__V1__SoaRow *)item;
    char *reasons = joined(r->reasons, r->n_reasons, "; ");
    char *evidence = joined(r->evidence, r->n_evidence, "\n");
    char *risks = joined(r->linked_risks, r->n_linked_risks, "; ");
    FILE *fp = s->fp;

    if (reasons == NULL || evidence == NULL || risks == NULL) {
        free(reasons);
        free(evidence);
        free(risks);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (s->format == SOA_JSON) {
        if (!write_json_row(fp, r, s->rows == 0)) {
            free(reasons);
            free(evidence);
            free(risks);
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        }
    } else if (s->format == SOA_CSV) {
        const char *cells[] = {
            r->id,     r->theme,      r->title,          r->custom ? "true" : "false",
            r->source, r->applicable, reasons,           r->justification,
            r->status, r->owner,      r->implementation, evidence,
            risks};

        fprintf(fp, "%" PRId32, r->position);
        for (size_t i = 0; i < NCOLS(cells); i++) {
            fputc(',', fp);
            put_csv(fp, cells[i]);
        }
        fputs("\r\n", fp);
    } else {
        const char *cells[] = {r->id,         r->theme,          r->title,         r->source,
                               r->applicable, reasons,           r->justification, r->status,
                               r->owner,      r->implementation, evidence,         risks};
        bool is_md = s->format == SOA_MD;

        fputs(is_md ? "|" : (r->custom ? "<tr class=\"custom\">" : "<tr>"), fp);
        for (size_t i = 0; i < NCOLS(cells); i++) {
            fputs(is_md ? " " : "<td>", fp);
            put_escaped(fp, cells[i], is_md);
            fputs(is_md ? " |" : "</td>", fp);
        }
        fputs(is_md ? "\n" : "</tr>\n", fp);
    }
    free(reasons);
    free(evidence);
    free(risks);
    if (ferror(fp))
        return isms_status_set(st, ISMS_INTERNAL, "could not write %s: %s", s->name,
                               strerror(errno));
    s->rows++;
    return ISMS_OK;
}

/* Parses a --version or argument value into *out, or fails as a usage error. */
static enum isms_code version_arg(struct isms_cli *cli, const char *s, bool allow_current,
                                  int32_t *out, struct isms_status *st)
{
    if (s == NULL || parse_version(s, allow_current, out))
        return ISMS_OK;
    return isms_cli_usage(cli, st, "--version needs a published version number, got \"%.40s\"", s);
}

static enum isms_code run_export(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *msg, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__SoaExportRequest *req = (Isms__V1__SoaExportRequest *)msg;
    const char *format = isms_args_get(a, "format"), *file = isms_args_get(a, "file");
    static const char *const names[] = {"csv", "md", "json", "html"};
    struct soa_sink sink = {stdout, "stdout", SOA_CSV, 0};
    ProtobufCMessage *vmsg = NULL;
    struct isms_export_file ef;
    struct isms_out_table *t;
    enum isms_code code;

    for (size_t i = 0; format != NULL && i < NCOLS(names); i++) {
        if (strcmp(format, names[i]) == 0 || (i == 1 && strcmp(format, "markdown") == 0))
            sink.format = (enum soa_format)i;
    }
    if (version_arg(cli, isms_args_get(a, "version"), true, &req->version, st) != ISMS_OK)
        return st->code;
    if (req->version > 0) {
        Isms__V1__SoaShowRequest show = ISMS__V1__SOA_SHOW_REQUEST__INIT;

        show.version = req->version;
        if (isms_cli_call(cli, "/isms.v1.Soa/Show", &show.base, &isms__v1__soa_version__descriptor,
                          &vmsg, st) != ISMS_OK)
            return st->code;
    }
    if (isms_export_open(cli, &ef, file, st) != ISMS_OK) {
        protobuf_c_message_free_unpacked(vmsg, NULL);
        return st->code;
    }
    sink.fp = ef.fp;
    sink.name = ef.name;
    write_head(&sink, (const Isms__V1__SoaVersion *)vmsg);
    protobuf_c_message_free_unpacked(vmsg, NULL);
    code = isms_cli_stream(cli, "/isms.v1.Soa/Export", msg, &isms__v1__soa_row__descriptor,
                           write_row, &sink, st);
    if (code == ISMS_OK)
        write_tail(&sink);
    code = isms_export_finish(&ef, code, st);
    if (code != ISMS_OK || ef.path == NULL)
        return code;
    t = isms_out_record(out, "soa export", export_cols, NCOLS(export_cols));
    isms_out_str(t, file);
    isms_out_i64(t, sink.rows);
    isms_out_text(out, "exported %" PRId64 " SoA rows to %s", sink.rows, file);
    return ISMS_OK;
}

/* ---- check, publish ------------------------------------------------------------------------- */

static enum isms_code render_check(struct isms_cli *cli, const struct isms_args *a,
                                   ProtobufCMessage *msg, struct isms_out *out,
                                   struct isms_status *st)
{
    const Isms__V1__SoaCheckResponse *r = (const Isms__V1__SoaCheckResponse *)msg;
    struct isms_out_table *t;

    (void)a;
    t = isms_out_list(out, "Inconsistencies", finding_cols, NCOLS(finding_cols));
    for (size_t i = 0; i < r->n_findings; i++) {
        isms_out_row(t);
        isms_out_str(t, r->findings[i]->control_id);
        isms_out_str(t, r->findings[i]->rule);
        isms_out_str(t, r->findings[i]->message);
    }
    if (r->n_findings == 0) {
        isms_out_text(out, "ok: the SoA is consistent (%" PRId32 " controls checked)", r->controls);
    } else {
        isms_status_set(st, ISMS_FAILED_PRECONDITION,
                        "the SoA has %zu inconsistenc%s in %" PRId32 " controls", r->n_findings,
                        r->n_findings == 1 ? "y" : "ies", r->controls);
        cli->exit_after_output = ISMS_FAILED_PRECONDITION;
    }
    return ISMS_OK;
}

static void add_version_row(struct isms_out_table *t, const Isms__V1__SoaVersion *v)
{
    isms_out_i64(t, v->number);
    isms_out_str(t, v->approved ? "approved" : "not approved");
    isms_out_str(t, v->approved_by);
    isms_out_str(t, v->approved_at);
    isms_out_str(t, v->published_by);
    isms_out_str(t, v->published_at);
    isms_out_i64(t, v->controls);
    isms_out_i64(t, v->applicable);
    isms_out_i64(t, v->implemented);
    isms_out_str(t, v->legacy_approved_by);
}

static enum isms_code render_published(struct isms_cli *cli, const struct isms_args *a,
                                       ProtobufCMessage *msg, struct isms_out *out,
                                       struct isms_status *st)
{
    struct isms_out_table *t =
        isms_out_record(out, "published SoA version", version_cols, NCOLS(version_cols));

    (void)cli;
    (void)a;
    (void)st;
    add_version_row(t, (const Isms__V1__SoaVersion *)msg);
    return ISMS_OK;
}

static enum isms_code prepare_approve(struct isms_cli *cli, const struct isms_args *a,
                                      ProtobufCMessage *msg, struct isms_out *out,
                                      struct isms_status *st)
{
    Isms__V1__SoaApproveRequest *req = (Isms__V1__SoaApproveRequest *)msg;

    (void)out;
    if (!parse_version(isms_args_arg(a, 0), false, &req->version))
        return isms_cli_usage(cli, st, "soa approve needs a published version number N");
    return ISMS_OK;
}

static enum isms_code render_approved(struct isms_cli *cli, const struct isms_args *a,
                                      ProtobufCMessage *msg, struct isms_out *out,
                                      struct isms_status *st)
{
    struct isms_out_table *t =
        isms_out_record(out, "approved SoA version", version_cols, NCOLS(version_cols));

    (void)cli;
    (void)a;
    (void)st;
    add_version_row(t, (const Isms__V1__SoaVersion *)msg);
    return ISMS_OK;
}

/* ---- versions, show ------------------------------------------------------------------------- */

static enum isms_code render_versions(struct isms_cli *cli, const struct isms_args *a,
                                      ProtobufCMessage *msg, struct isms_out *out,
                                      struct isms_status *st)
{
    const Isms__V1__SoaVersionsResponse *r = (const Isms__V1__SoaVersionsResponse *)msg;
    struct isms_out_table *t =
        isms_out_list(out, "SoA versions", version_cols, NCOLS(version_cols));

    (void)cli;
    (void)a;
    (void)st;
    for (size_t i = 0; i < r->n_versions; i++) {
        isms_out_row(t);
        add_version_row(t, r->versions[i]);
    }
    return ISMS_OK;
}

static enum isms_code add_version_rows(void *ud, const ProtobufCMessage *item,
                                       struct isms_status *st)
{
    struct isms_out_table *t = ud;
    const Isms__V1__SoaRow *r = (const Isms__V1__SoaRow *)item;

    (void)st;
    isms_out_row(t);
    isms_out_i64(t, r->position);
    isms_out_str(t, r->id);
    isms_out_str(t, r->theme);
    isms_out_str(t, r->title);
    isms_out_str(t, r->applicable);
    isms_out_str(t, r->status);
    isms_out_str(t, r->owner);
    return ISMS_OK;
}

static enum isms_code run_show(struct isms_cli *cli, const struct isms_args *a,
                               ProtobufCMessage *unused, struct isms_out *out,
                               struct isms_status *st)
{
    Isms__V1__SoaShowRequest req = ISMS__V1__SOA_SHOW_REQUEST__INIT;
    Isms__V1__SoaExportRequest ex = ISMS__V1__SOA_EXPORT_REQUEST__INIT;
    ProtobufCMessage *msg = NULL;
    struct isms_out_table *t, *rows;

    (void)unused;
    if (!parse_version(isms_args_arg(a, 0), false, &req.version))
        return isms_cli_usage(cli, st, "soa show needs --version N (a published version)");
    if (isms_cli_call(cli, "/isms.v1.Soa/Show", &req.base, &isms__v1__soa_version__descriptor, &msg,
                      st) != ISMS_OK)
        return st->code;
    t = isms_out_record(out, "SoA version", version_cols, NCOLS(version_cols));
    add_version_row(t, (const Isms__V1__SoaVersion *)msg);
    protobuf_c_message_free_unpacked(msg, NULL);
    rows = isms_out_sublist(out, "rows", "Rows", version_row_cols, NCOLS(version_row_cols));
    if (rows == NULL)
        return isms_status_set(st, ISMS_INTERNAL, "no room for the rows");
    ex.version = req.version;
    return isms_cli_stream(cli, "/isms.v1.Soa/Export", &ex.base, &isms__v1__soa_row__descriptor,
                           add_version_rows, rows, st);
}

/* ---- diff, summary -------------------------------------------------------------------------- */

static enum isms_code prepare_diff(struct isms_cli *cli, const struct isms_args *a,
                                   ProtobufCMessage *msg, struct isms_out *out,
                                   struct isms_status *st)
{
    Isms__V1__SoaDiffRequest *req = (Isms__V1__SoaDiffRequest *)msg;

    (void)out;
    if (!parse_version(isms_args_arg(a, 0), true, &req->from_version) ||
        !parse_version(isms_args_arg(a, 1), true, &req->to_version))
        return isms_cli_usage(cli, st,
                              "soa diff needs two versions N M (a published number, or 0 or "
                              "\"current\" for the current state)");
    return ISMS_OK;
}

static enum isms_code render_diff(struct isms_cli *cli, const struct isms_args *a,
                                  ProtobufCMessage *msg, struct isms_out *out,
                                  struct isms_status *st)
{
    const Isms__V1__SoaDiffResponse *r = (const Isms__V1__SoaDiffResponse *)msg;
    struct isms_out_table *t = isms_out_list(out, "SoA changes", diff_cols, NCOLS(diff_cols));

    (void)cli;
    (void)st;
    for (size_t i = 0; i < r->n_changes; i++) {
        const Isms__V1__SoaRowChange *c = r->changes[i];

        for (size_t k = 0; k < (c->n_fields > 0 ? c->n_fields : 1); k++) {
            isms_out_row(t);
            isms_out_str(t, c->control_id);
            isms_out_str(t, c->change);
            isms_out_str(t, c->title);
            isms_out_str(t, c->n_fields > 0 ? c->fields[k]->field : "");
            isms_out_str(t, c->n_fields > 0 ? c->fields[k]->before : "");
            isms_out_str(t, c->n_fields > 0 ? c->fields[k]->after : "");
        }
    }
    if (r->n_changes == 0)
        isms_out_notice(out, "no differences between %s and %s", isms_args_arg(a, 0),
                        isms_args_arg(a, 1));
    return ISMS_OK;
}

static void add_summary_row(struct isms_out_table *t, const Isms__V1__SoaThemeSummary *s)
{
    char pct[32];

    snprintf(pct, sizeof(pct), "%.1f", s->percent_implemented);
    isms_out_row(t);
    isms_out_str(t, s->theme);
    isms_out_i64(t, s->total);
    isms_out_i64(t, s->applicable);
    isms_out_i64(t, s->excluded);
    isms_out_i64(t, s->undecided);
    isms_out_i64(t, s->implemented);
    isms_out_i64(t, s->planned);
    isms_out_str(t, pct);
}

static enum isms_code prepare_summary(struct isms_cli *cli, const struct isms_args *a,
                                      ProtobufCMessage *msg, struct isms_out *out,
                                      struct isms_status *st)
{
    (void)out;
    return version_arg(cli, isms_args_get(a, "version"), true,
                       &((Isms__V1__SoaSummaryRequest *)msg)->version, st);
}

static enum isms_code render_summary(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    const Isms__V1__SoaSummaryResponse *r = (const Isms__V1__SoaSummaryResponse *)msg;
    struct isms_out_table *t;

    (void)cli;
    (void)a;
    (void)st;
    t = isms_out_list(out, "Compliance summary (implemented and planned count applicable controls)",
                      summary_cols, NCOLS(summary_cols));
    for (size_t i = 0; i < r->n_themes; i++)
        add_summary_row(t, r->themes[i]);
    if (r->total != NULL)
        add_summary_row(t, r->total);
    return ISMS_OK;
}

static const struct isms_flag export_flags[] = {
    {.name = "format",
     .kind = ISMS_FLAG_ENUM,
     .choices = "csv|md|markdown|json|html",
     .help = "default csv"},
    ISMS_F_FILE("file", "write to F (renamed into place when complete), not stdout"),
    ISMS_F_STR("version", "N", NULL, "a published version instead of the current state"),
    {0},
};

static const struct isms_arg approve_args[] = {{.name = "N"}, {0}};

static const struct isms_arg show_args[] = {{.name = "N", .flag = "version"}, {0}};
static const struct isms_flag version_flags[] = {
    ISMS_F_STR("version", "N", NULL, "a published version"),
    {0},
};
static const struct isms_arg diff_args[] = {{.name = "N"}, {.name = "M"}, {0}};

static const struct isms_cmd soa_cmds[] = {
    {.noun = "soa",
     .verb = "export",
     .summary = "the Statement of Applicability: every Annex A control in catalogue order, then "
                "custom controls, with applicability, reasons, justification, status, owner, "
                "implementation, evidence and linked risks; the current state or published "
                "version N; CSV (default, RFC 4180), Markdown table, JSON array or a "
                "self-contained HTML page; deterministic, so two exports diff cleanly; to stdout "
                "or F (renamed into place when complete)",
     .flags = export_flags,
     .req = &isms__v1__soa_export_request__descriptor,
     .run = run_export},
    {.noun = "soa",
     .verb = "check",
     .summary = "every inconsistency an auditor would find (undecided, unjustified inclusion or "
                "exclusion, selected by a risk treatment but not applicable, implemented without "
                "evidence, status contradicting applicability); exits 6 when there is any",
     .req = &isms__v1__soa_check_request__descriptor,
     .method = "/isms.v1.Soa/Check",
     .resp = &isms__v1__soa_check_response__descriptor,
     .render = render_check},
    {.noun = "soa",
     .verb = "publish",
     .summary = "freeze the current SoA as the next numbered version, not approved until top "
                "management runs `soa approve N`; refused while `soa check` finds anything or "
                "when nothing changed since the latest version",
     .req = &isms__v1__soa_publish_request__descriptor,
     .method = "/isms.v1.Soa/Publish",
     .resp = &isms__v1__soa_version__descriptor,
     .render = render_published},
    {.noun = "soa",
     .verb = "approve",
     .summary = "approve published version N as top management (5.1, 6.1.3 d): records your "
                "account and the time; only the latest version, once; role top_management",
     .args = approve_args,
     .req = &isms__v1__soa_approve_request__descriptor,
     .method = "/isms.v1.Soa/Approve",
     .resp = &isms__v1__soa_version__descriptor,
     .prepare = prepare_approve,
     .render = render_approved},
    {.noun = "soa",
     .verb = "versions",
     .summary = "the published SoA versions, oldest first",
     .req = &isms__v1__soa_versions_request__descriptor,
     .method = "/isms.v1.Soa/Versions",
     .resp = &isms__v1__soa_versions_response__descriptor,
     .render = render_versions},
    {.noun = "soa",
     .verb = "show",
     .summary = "a published version: its approval and its rows",
     .args = show_args,
     .flags = version_flags,
     .run = run_show},
    {.noun = "soa",
     .verb = "diff",
     .summary = "rows added, removed and changed (field by field) from version N to M; 0 or "
                "current is the current state",
     .args = diff_args,
     .req = &isms__v1__soa_diff_request__descriptor,
     .method = "/isms.v1.Soa/Diff",
     .resp = &isms__v1__soa_diff_response__descriptor,
     .prepare = prepare_diff,
     .render = render_diff},
    {.noun = "soa",
     .verb = "summary",
     .summary = "compliance per theme: total, applicable, excluded, undecided, implemented and "
                "planned (of the applicable), percentage implemented of applicable; last row Total",
     .flags = version_flags,
     .req = &isms__v1__soa_summary_request__descriptor,
     .method = "/isms.v1.Soa/Summary",
     .resp = &isms__v1__soa_summary_response__descriptor,
     .prepare = prepare_summary,
     .render = render_summary},
};

const struct isms_noun isms_noun_soa = {
    "soa",
    "the Statement of Applicability: export, check, publish, approve, versions, diff, summary",
    soa_cmds,
    NCOLS(soa_cmds),
};
