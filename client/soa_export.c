/* client/soa_export.c — the SoA export formats (see soa_export.h). Output depends only on the
 * data and the document header, so two exports of the same published version are
 * byte-identical; an export of the current state differs only in its generation time. */
#include "soa_export.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "csv.h"
#include "json_text.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const char REPLACEMENT_CHAR[] = "\xef\xbf\xbd"; /* U+FFFD */

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

void isms_soa_doc_init(struct isms_soa_doc *d, const char *organization, const char *scope,
                       const Isms__V1__SoaVersion *v, const char *now_utc)
{
    memset(d, 0, sizeof(*d));
    d->organization = organization != NULL ? organization : "";
    d->scope = scope != NULL ? scope : "";
    d->approved_by = d->approved_at = d->published_by = d->published_at = "";
    if (v == NULL) {
        snprintf(d->id, sizeof(d->id), "SOA-current");
        snprintf(d->generated_at, sizeof(d->generated_at), "%s", now_utc != NULL ? now_utc : "");
        return;
    }
    d->version = v->number;
    snprintf(d->id, sizeof(d->id), "SOA-v%" PRId32, v->number);
    d->published_by = v->published_by;
    d->published_at = v->published_at;
    /* Approved only by `soa approve` (top management); a publisher's free-text approver of old
     * versions (legacy_approved_by) does not count. */
    d->is_approved = v->approved;
    d->approved_by = v->approved_by;
    d->approved_at = v->approved_at;
}

void isms_soa_doc_approval(const struct isms_soa_doc *d, char *out, size_t len)
{
    if (d->version == 0)
        snprintf(out, len, "current state, not approved (generated %s)", d->generated_at);
    else if (d->is_approved)
        snprintf(out, len, "approved by %s at %s", d->approved_by, d->approved_at);
    else
        snprintf(out, len, "published by %s at %s, not approved", d->published_by, d->published_at);
}

void isms_soa_label(const char *code, char *out, size_t len)
{
    size_t i = 0;

    if (len == 0)
        return;
    for (; code[i] != '\0' && i + 1 < len; i++) {
        char c = code[i] == '_' ? ' ' : code[i];

        out[i] = i == 0 ? (char)toupper((unsigned char)c) : c;
    }
    out[i] = '\0';
}

/* Codes as labels, joined by "; " (heap; NULL when out of memory). */
static char *labels(char *const *codes, size_t n)
{
    char **l = calloc(n + 1, sizeof(*l));
    char *out = NULL;
    size_t k = 0;

    if (l == NULL)
        return NULL;
    for (; k < n; k++) {
        size_t m = strlen(codes[k]) + 1;

        if ((l[k] = malloc(m)) == NULL)
            goto done;
        isms_soa_label(codes[k], l[k], m);
    }
    out = joined(l, n, "; ");
done:
    for (size_t i = 0; i < k; i++)
        free(l[i]);
    free(l);
    return out;
}

static const char *const EXPORT_HEADINGS[] = {
    "ID",
    "Theme",
    "Control",
    "Source",
    "Applicable",
    "Reasons for inclusion",
    "Justification for inclusion",
    "Justification for exclusion",
    "Status",
    "Target date",
    "Owner",
    "Implementation",
    "Evidence",
    "Linked risks",
};

/* `soa export --format csv` columns; `control import` reads them back
 * (client/cmd_control_import.c). */
static const char *const CSV_HEADER =
    "position,id,theme,title,custom,source,applicable,reasons,inclusion_justification,"
    "exclusion_justification,status,target_date,owner,implementation,evidence,linked_risks\r\n";

/* The header as (label, value) pairs, in order; CSV/JSON use the keys. */
struct head_item {
    const char *key, *label, *value;
};

static size_t head_items(const struct isms_soa_doc *d, char *version, size_t vlen, char *approval,
                         size_t alen, struct head_item *it)
{
    size_t n = 0;

    if (d->version > 0)
        snprintf(version, vlen, "%" PRId32, d->version);
    else
        snprintf(version, vlen, "current");
    isms_soa_doc_approval(d, approval, alen);
    it[n++] = (struct head_item){"document", "Document", d->id};
    it[n++] = (struct head_item){"organisation", "Organisation", d->organization};
    it[n++] = (struct head_item){"scope", "Scope", d->scope};
    it[n++] = (struct head_item){"version", "Version", version};
    it[n++] = (struct head_item){"approval", "Approval", approval};
    if (d->version > 0) {
        it[n++] = (struct head_item){"approved_by", "Approved by", d->approved_by};
        it[n++] = (struct head_item){"approved_at", "Approval date", d->approved_at};
        it[n++] = (struct head_item){"published_by", "Published by", d->published_by};
    } else {
        it[n++] = (struct head_item){"generated_at", "Generated", d->generated_at};
    }
    return n;
}

void isms_soa_write_head(struct isms_soa_sink *s, const struct isms_soa_doc *d)
{
    FILE *fp = s->fp;
    struct head_item it[10];
    char version[16], approval[400];
    size_t n = head_items(d, version, sizeof(version), approval, sizeof(approval), it);

    switch (s->format) {
    case ISMS_SOA_CSV:
        /* key,value lines, a blank line, then the column header. */
        for (size_t i = 0; i < n; i++) {
            put_csv(fp, it[i].key);
            fputc(',', fp);
            put_csv(fp, strcmp(it[i].key, "approval") == 0
                            ? (d->is_approved ? "approved" : "not_approved")
                            : it[i].value);
            fputs("\r\n", fp);
        }
        fputs("\r\n", fp);
        fputs(CSV_HEADER, fp);
        break;
    case ISMS_SOA_JSON: {
        json_t *o = json_object();
        char *text;

        for (size_t i = 0; o != NULL && i < n; i++) {
            if (strcmp(it[i].key, "version") == 0)
                json_object_set_new(o, "version", json_integer(d->version));
            else if (strcmp(it[i].key, "approval") == 0)
                json_object_set_new(o, "approval",
                                    isms_json_text(d->is_approved ? "approved" : "not_approved"));
            else
                json_object_set_new(o, it[i].key, isms_json_text(it[i].value));
        }
        text = o != NULL ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        fprintf(fp, "{\n\"document\": %s,\n\"rows\": [", text != NULL ? text : "null");
        free(text);
        json_decref(o);
        break;
    }
    case ISMS_SOA_MD:
        fputs("# Statement of Applicability\n\n| | |\n| --- | --- |\n", fp);
        for (size_t i = 0; i < n; i++) {
            fprintf(fp, "| %s | ", it[i].label);
            put_escaped(fp, it[i].value[0] != '\0' ? it[i].value : "(not set)", true);
            fputs(" |\n", fp);
        }
        fputs("\n|", fp);
        for (size_t i = 0; i < NCOLS(EXPORT_HEADINGS); i++)
            fprintf(fp, " %s |", EXPORT_HEADINGS[i]);
        fputs("\n|", fp);
        for (size_t i = 0; i < NCOLS(EXPORT_HEADINGS); i++)
            fputs(" --- |", fp);
        fputs("\n", fp);
        break;
    case ISMS_SOA_HTML:
        fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<title>Statement of Applicability</title>\n<style>\n"
              "body { font-family: sans-serif; margin: 2em; }\n"
              "table { border-collapse: collapse; width: 100%; }\n"
              "th, td { border: 1px solid #999; padding: 4px 6px; text-align: left; "
              "vertical-align: top; }\n"
              "th { background: #eee; }\n"
              "table.document { width: auto; margin-bottom: 1.5em; }\n"
              "tr.custom td:first-child { font-style: italic; }\n"
              "</style>\n</head>\n<body>\n<h1>Statement of Applicability</h1>\n"
              "<table class=\"document\">\n",
              fp);
        for (size_t i = 0; i < n; i++) {
            fprintf(fp, "<tr><th>%s</th><td>", it[i].label);
            put_escaped(fp, it[i].value[0] != '\0' ? it[i].value : "(not set)", false);
            fputs("</td></tr>\n", fp);
        }
        fputs("</table>\n<table>\n<thead>\n<tr>", fp);
        for (size_t i = 0; i < NCOLS(EXPORT_HEADINGS); i++)
            fprintf(fp, "<th>%s</th>", EXPORT_HEADINGS[i]);
        fputs("</tr>\n</thead>\n<tbody>\n", fp);
        break;
    }
}

void isms_soa_write_tail(struct isms_soa_sink *s)
{
    switch (s->format) {
    case ISMS_SOA_CSV:
    case ISMS_SOA_MD:
        break;
    case ISMS_SOA_JSON:
        fputs(s->rows > 0 ? "\n]\n}\n" : "]\n}\n", s->fp);
        break;
    case ISMS_SOA_HTML:
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
        "{s:i, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
        "s:I}",
        "position", (int)r->position, "id", isms_json_text(r->id), "theme",
        isms_json_text(r->theme), "title", isms_json_text(r->title), "custom", (int)r->custom,
        "source", isms_json_text(r->source), "applicable", isms_json_text(r->applicable), "reasons",
        json_strs(r->reasons, r->n_reasons), "inclusion_justification",
        isms_json_text(r->inclusion_justification), "exclusion_justification",
        isms_json_text(r->exclusion_justification), "justification",
        isms_json_text(r->justification), "status", isms_json_text(r->status), "target_date",
        isms_json_text(r->target_date), "owner", isms_json_text(r->owner), "implementation",
        isms_json_text(r->implementation), "evidence", json_strs(r->evidence, r->n_evidence),
        "linked_risks", json_strs(r->linked_risks, r->n_linked_risks), "control_version",
        (json_int_t)r->control_version);
    bool ok = o != NULL;

    fprintf(fp, "%s\n  ", is_first ? "" : ",");
    ok = ok && json_dumpf(o, fp, JSON_PRESERVE_ORDER) == 0;
    json_decref(o);
    return ok;
}

/* Writes one row in the sink's format; lists become "a; b" (evidence: one per line). */
enum isms_code isms_soa_write_row(void *ud, const ProtobufCMessage *item, struct isms_status *st)
{
    struct isms_soa_sink *s = ud;
    const Isms__V1__SoaRow *r = (const Isms__V1__SoaRow *)item;
    bool is_text = s->format == ISMS_SOA_MD || s->format == ISMS_SOA_HTML;
    char *reasons =
        is_text ? labels(r->reasons, r->n_reasons) : joined(r->reasons, r->n_reasons, "; ");
    char *evidence = joined(r->evidence, r->n_evidence, "\n");
    char *risks = joined(r->linked_risks, r->n_linked_risks, "; ");
    FILE *fp = s->fp;
    bool ok = reasons != NULL && evidence != NULL && risks != NULL;

    if (ok && s->format == ISMS_SOA_JSON) {
        ok = write_json_row(fp, r, s->rows == 0);
    } else if (ok && s->format == ISMS_SOA_CSV) {
        const char *cells[] = {r->id,
                               r->theme,
                               r->title,
                               r->custom ? "true" : "false",
                               r->source,
                               r->applicable,
                               reasons,
                               r->inclusion_justification,
                               r->exclusion_justification,
                               r->status,
                               r->target_date,
                               r->owner,
                               r->implementation,
                               evidence,
                               risks};

        fprintf(fp, "%" PRId32, r->position);
        for (size_t i = 0; i < NCOLS(cells); i++) {
            fputc(',', fp);
            put_csv(fp, cells[i]);
        }
        fputs("\r\n", fp);
    } else if (ok) {
        char applicable[32], status[32];
        const char *cells[] = {r->id,
                               r->theme,
                               r->title,
                               r->source,
                               applicable,
                               reasons,
                               r->inclusion_justification,
                               r->exclusion_justification,
                               status,
                               r->target_date,
                               r->owner,
                               r->implementation,
                               evidence,
                               risks};
        bool is_md = s->format == ISMS_SOA_MD;

        isms_soa_label(r->applicable, applicable, sizeof(applicable));
        isms_soa_label(r->status, status, sizeof(status));
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
    if (!ok)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    if (ferror(fp))
        return isms_status_set(st, ISMS_INTERNAL, "could not write %s: %s", s->name,
                               strerror(errno));
    s->rows++;
    return ISMS_OK;
}
