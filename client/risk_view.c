/* client/risk_view.c — the risk treatment plan export, which ismsctl writes itself rather than
 * through output.c (RFC 4180 CSV with one row per action, JSON, Markdown); the heat map is in
 * risk_heatmap.c. Pure rendering to a FILE. */
#include "risk_view.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "csv.h"
#include "json_text.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))
/* ---- treatment plan ---------------------------------------------------------------------- */

static void put_csv(FILE *fp, const char *s)
{
    bool quoted = strpbrk(s, ",\"\r\n") != NULL;

    if (quoted)
        fputc('"', fp);
    if (isms_csv_needs_guard(s))
        fputc('\'', fp);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    if (quoted)
        fputc('"', fp);
}

/* A Markdown table cell: '|' and '\' escaped, line breaks as <br>, '<' '>' '&' as entities,
 * other control characters as spaces. */
static void put_md(FILE *fp, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '|' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c == '\n')
            fputs("<br>", fp);
        else if (c == '<')
            fputs("&lt;", fp);
        else if (c == '>')
            fputs("&gt;", fp);
        else if (c == '&')
            fputs("&amp;", fp);
        else if (c < 0x20 || c == 0x7f)
            fputc(' ', fp);
        else
            fputc(c, fp);
    }
}

static const char *const PLAN_CSV_HEADER =
    "risk,title,owner,status,treatment,inherent_score,inherent_level,residual_score,"
    "residual_level,score,level,above_appetite,controls,action,action_description,action_owner,"
    "action_due,action_status,next_review,accepted_by,accepted_at\r\n";

static const char *const PLAN_MD_HEADINGS[] = {
    "Risk",     "Title",  "Owner",        "Status", "Treatment",     "Inherent",    "Residual",
    "Controls", "Action", "Action owner", "Due",    "Action status", "Accepted by",
};

/* "5.15; 8.7" into a heap string; NULL when out of memory. */
static char *join_controls(const Isms__V1__RiskRecord *r)
{
    size_t len = 1;
    char *s;

    for (size_t k = 0; k < r->n_controls; k++)
        len += strlen(r->controls[k]) + 2;
    s = malloc(len);
    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (size_t k = 0, at = 0; k < r->n_controls; k++) {
        size_t n = strlen(r->controls[k]);

        if (k > 0) {
            memcpy(s + at, "; ", 2);
            at += 2;
        }
        memcpy(s + at, r->controls[k], n);
        at += n;
        s[at] = '\0';
    }
    return s;
}

/* A JSON string member's value; NULL when out of memory. */
#define JS(v) isms_json_text(v)

/* The plan row of `r` as a JSON object, members in export order; NULL when out of memory. */
static json_t *plan_json(const Isms__V1__RiskRecord *r)
{
    json_t *controls = json_array(), *actions = json_array();

    for (size_t k = 0; controls != NULL && k < r->n_controls; k++) {
        if (json_array_append_new(controls, JS(r->controls[k])) != 0) {
            json_decref(controls);
            controls = NULL;
        }
    }
    for (size_t k = 0; actions != NULL && k < r->n_actions; k++) {
        const Isms__V1__RiskAction *a = r->actions[k];

        if (json_array_append_new(actions, json_pack("{s:o, s:o, s:o, s:o, s:o}", "id", JS(a->id),
                                                     "description", JS(a->description), "owner",
                                                     JS(a->owner), "due", JS(a->due), "status",
                                                     JS(a->status))) != 0) {
            json_decref(actions);
            actions = NULL;
        }
    }
    if (controls == NULL || actions == NULL) {
        json_decref(controls);
        json_decref(actions);
        return NULL;
    }
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:I, s:i, s:i, s:i, s:o, s:i, s:i, s:i, s:o, s:i, "
        "s:o, s:i, s:b, s:o, s:o, s:o, s:o, s:o, s:o}",
        "id", JS(r->id), "title", JS(r->title), "owner", JS(r->owner), "status", JS(r->status),
        "treatment", JS(r->treatment), "method_version", (json_int_t)r->method_version,
        "inherent_likelihood", (int)r->inherent_likelihood, "inherent_impact",
        (int)r->inherent_impact, "inherent_score", (int)r->inherent_score, "inherent_level",
        JS(r->inherent_level), "residual_likelihood", (int)r->residual_likelihood,
        "residual_impact", (int)r->residual_impact, "residual_score", (int)r->residual_score,
        "residual_level", JS(r->residual_level), "score", (int)r->score, "level", JS(r->level),
        "appetite", (int)r->appetite, "above_appetite", (int)r->above_appetite, "controls",
        controls, "actions", actions, "next_review", JS(r->next_review), "accepted_by",
        JS(r->accepted_by), "accepted_at", JS(r->accepted_at), "acceptance_justification",
        JS(r->acceptance_justification));
}

/* Writes one risk of the JSON plan (jansson; the array's layout is the head's and tail's). */
static bool write_plan_json(FILE *fp, const Isms__V1__RiskRecord *r, bool first)
{
    json_t *o = plan_json(r);
    bool ok = o != NULL;

    fputs(first ? "\n  " : ",\n  ", fp);
    ok = ok && json_dumpf(o, fp, 0) == 0;
    json_decref(o);
    return ok;
}

/* One CSV or Markdown row per action (one row for a risk without actions). */
/* A score as text; an empty cell when not rated yet (0). */
static void score_cell(char *out, size_t n, int score)
{
    if (score > 0)
        snprintf(out, n, "%d", score);
    else if (n > 0)
        out[0] = '\0';
}

static void write_plan_rows(const struct isms_plan_sink *s, const Isms__V1__RiskRecord *r,
                            const char *controls)
{
    size_t rows = r->n_actions > 0 ? r->n_actions : 1;
    char inherent[80], residual[80], num[3][16];

    snprintf(inherent, sizeof(inherent), "%d %s", r->inherent_score, r->inherent_level);
    snprintf(residual, sizeof(residual), "%d %s", r->residual_score, r->residual_level);
    /* Not rated yet: an empty cell rather than 0. */
    score_cell(num[0], sizeof(num[0]), r->inherent_score);
    score_cell(num[1], sizeof(num[1]), r->residual_score);
    score_cell(num[2], sizeof(num[2]), r->score);
    for (size_t k = 0; k < rows; k++) {
        const Isms__V1__RiskAction *a = r->n_actions > 0 ? r->actions[k] : NULL;
        const char *aid = a ? a->id : "", *adesc = a ? a->description : "";
        const char *aown = a ? a->owner : "", *adue = a ? a->due : "";
        const char *ast = a ? a->status : "";

        if (s->format == ISMS_PLAN_CSV) {
            const char *cells[] = {r->id,
                                   r->title,
                                   r->owner,
                                   r->status,
                                   r->treatment,
                                   num[0],
                                   r->inherent_level,
                                   num[1],
                                   r->residual_level,
                                   num[2],
                                   r->level,
                                   r->above_appetite ? "true" : "false",
                                   controls,
                                   aid,
                                   adesc,
                                   aown,
                                   adue,
                                   ast,
                                   r->next_review,
                                   r->accepted_by,
                                   r->accepted_at};

            for (size_t c = 0; c < NCOLS(cells); c++) {
                if (c > 0)
                    fputc(',', s->fp);
                put_csv(s->fp, cells[c]);
            }
            fputs("\r\n", s->fp);
        } else {
            const char *cells[] = {r->id,
                                   r->title,
                                   r->owner,
                                   r->status,
                                   r->treatment,
                                   r->inherent_score > 0 ? inherent : "",
                                   r->residual_score > 0 ? residual : "",
                                   controls,
                                   adesc,
                                   aown,
                                   adue,
                                   ast,
                                   r->accepted_by};

            fputc('|', s->fp);
            for (size_t c = 0; c < NCOLS(cells); c++) {
                fputc(' ', s->fp);
                if (c == 8 && aid[0] != '\0') { /* the Action column: "RA-3: text" */
                    put_md(s->fp, aid);
                    fputs(": ", s->fp);
                }
                put_md(s->fp, cells[c]);
                fputs(" |", s->fp);
            }
            fputc('\n', s->fp);
        }
    }
}

enum isms_code isms_plan_write_risk(void *ud, const ProtobufCMessage *item, struct isms_status *st)
{
    struct isms_plan_sink *s = ud;
    const Isms__V1__RiskRecord *r = (const Isms__V1__RiskRecord *)item;

    if (s->format == ISMS_PLAN_JSON) {
        if (!write_plan_json(s->fp, r, s->risks == 0))
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    } else {
        char *controls = join_controls(r);

        if (controls == NULL)
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        write_plan_rows(s, r, controls);
        free(controls);
    }
    if (ferror(s->fp))
        return isms_status_set(st, ISMS_INTERNAL, "could not write %s: %s", s->name,
                               strerror(errno));
    s->risks++;
    return ISMS_OK;
}

void isms_plan_write_head(const struct isms_plan_sink *s)
{
    if (s->format == ISMS_PLAN_CSV) {
        fputs(PLAN_CSV_HEADER, s->fp);
    } else if (s->format == ISMS_PLAN_JSON) {
        fputs("[", s->fp);
    } else {
        fputs("# Risk treatment plan\n\nISO/IEC 27001:2022 6.1.3 e: every risk with its "
              "treatment option, selected controls, actions (owner, due date, status), residual "
              "risk and acceptance.\n\n|",
              s->fp);
        for (size_t k = 0; k < NCOLS(PLAN_MD_HEADINGS); k++)
            fprintf(s->fp, " %s |", PLAN_MD_HEADINGS[k]);
        fputs("\n|", s->fp);
        for (size_t k = 0; k < NCOLS(PLAN_MD_HEADINGS); k++)
            fputs(" --- |", s->fp);
        fputc('\n', s->fp);
    }
}

void isms_plan_write_tail(const struct isms_plan_sink *s)
{
    if (s->format == ISMS_PLAN_JSON)
        fputs(s->risks > 0 ? "\n]\n" : "]\n", s->fp);
}
