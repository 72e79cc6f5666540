/* client/risk_list.c — `risk list`: streams /isms.v1.Risk/List. Without --sort each risk
 * becomes a row as it arrives (id order, bounded by the server's paging); with --sort the
 * rows are kept, ordered (score: highest current score first; due: the earliest of the next
 * review and the due dates of actions not done, risks with neither last; ties in id order),
 * then cut to --limit. */
#include "risk_list.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#include "isms/v1/risk.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const struct isms_out_col list_cols[] = {
    {"id", ISMS_OUT_STR},
    {"title", ISMS_OUT_STR},
    {"owner", ISMS_OUT_STR},
    {"status", ISMS_OUT_STR},
    {"score", ISMS_OUT_I64_OPT},
    {"level", ISMS_OUT_STR},
    {"above_appetite", ISMS_OUT_BOOL},
    {"treatment", ISMS_OUT_STR},
    {"inherent_score", ISMS_OUT_I64_OPT},
    {"residual_score", ISMS_OUT_I64_OPT},
    {"next_review", ISMS_OUT_STR},
    {"due", ISMS_OUT_STR},
    {"method_version", ISMS_OUT_I64_OPT},
    {"version", ISMS_OUT_I64},
};
/* The table shows what a register review needs; --wide (and JSON, CSV) every column:
 * above_appetite, inherent_score, next_review, method_version, version. */
#define LIST_WIDE_ONLY ((1u << 6) | (1u << 8) | (1u << 10) | (1u << 12) | (1u << 13))

/* One risk as listed; strings are heap copies. */
struct item {
    int64_t num;
    char *id, *title, *owner, *status, *level, *treatment, *next_review;
    int32_t score, inherent, residual;
    bool above;
    char due[11]; /* YYYY-MM-DD or "" */
    int64_t method_version, version;
};

struct sink {
    struct isms_out_table *t;
    bool is_sorted;
    struct item *items;
    size_t n, cap;
};

/* The earliest of the next review and the due dates of actions not done; "" when none. */
static void earliest_due(const Isms__V1__RiskRecord *r, char *out, size_t size)
{
    const char *best = r->next_review != NULL ? r->next_review : "";

    for (size_t k = 0; k < r->n_actions; k++) {
        const Isms__V1__RiskAction *a = r->actions[k];

        if (strcmp(a->status, "done") == 0 || a->due[0] == '\0')
            continue;
        if (best[0] == '\0' || strcmp(a->due, best) < 0)
            best = a->due;
    }
    snprintf(out, size, "%s", best);
}

static void put_row(struct isms_out_table *t, const struct item *it)
{
    isms_out_row(t);
    isms_out_str(t, it->id);
    isms_out_str(t, it->title);
    isms_out_str(t, it->owner);
    isms_out_str(t, it->status);
    isms_out_i64(t, it->score);
    isms_out_str(t, it->level);
    isms_out_bool(t, it->above);
    isms_out_str(t, it->treatment);
    isms_out_i64(t, it->inherent);
    isms_out_i64(t, it->residual);
    isms_out_str(t, it->next_review);
    isms_out_str(t, it->due);
    isms_out_i64(t, it->method_version);
    isms_out_i64(t, it->version);
}

static void item_free(struct item *it)
{
    free(it->id);
    free(it->title);
    free(it->owner);
    free(it->status);
    free(it->level);
    free(it->treatment);
    free(it->next_review);
}

static enum isms_code add_risk(void *ud, const ProtobufCMessage *msg, struct isms_status *st)
{
    struct sink *s = ud;
    const Isms__V1__RiskRecord *r = (const Isms__V1__RiskRecord *)msg;
    struct item it = {0};

    it.id = r->id;
    it.title = r->title;
    it.owner = r->owner;
    it.status = r->status;
    it.level = r->level;
    it.treatment = r->treatment;
    it.next_review = r->next_review;
    it.score = r->score;
    it.inherent = r->inherent_score;
    it.residual = r->residual_score;
    it.above = r->above_appetite;
    it.method_version = r->method_version;
    it.version = r->version;
    earliest_due(r, it.due, sizeof(it.due));
    if (!s->is_sorted) {
        put_row(s->t, &it);
        return ISMS_OK;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap == 0 ? 64 : s->cap * 2;
        struct item *p = realloc(s->items, cap * sizeof(*p));

        if (p == NULL)
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        s->items = p;
        s->cap = cap;
    }
    it.num = strtoll(r->id + (strncmp(r->id, "R-", 2) == 0 ? 2 : 0), NULL, 10);
    it.id = strdup(r->id);
    it.title = strdup(r->title);
    it.owner = strdup(r->owner);
    it.status = strdup(r->status);
    it.level = strdup(r->level);
    it.treatment = strdup(r->treatment);
    it.next_review = strdup(r->next_review);
    s->items[s->n++] = it;
    if (it.id == NULL || it.title == NULL || it.owner == NULL || it.status == NULL ||
        it.level == NULL || it.treatment == NULL || it.next_review == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    return ISMS_OK;
}

static int by_num(const struct item *a, const struct item *b)
{
    return a->num < b->num ? -1 : a->num > b->num;
}

static int by_score(const void *pa, const void *pb)
{
    const struct item *a = pa, *b = pb;

    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return by_num(a, b);
}

static int by_due(const void *pa, const void *pb)
{
    const struct item *a = pa, *b = pb;
    int c;

    if ((a->due[0] == '\0') != (b->due[0] == '\0'))
        return a->due[0] == '\0' ? 1 : -1;
    c = strcmp(a->due, b->due);
    return c != 0 ? c : by_num(a, b);
}

enum isms_code isms_risk_run_list(struct isms_cli *cli, const struct isms_args *a,
                                  ProtobufCMessage *msg, struct isms_out *out,
                                  struct isms_status *st)
{
    Isms__V1__ListRisksRequest *req = (Isms__V1__ListRisksRequest *)msg;
    const char *sort = isms_args_get(a, "sort");
    struct sink s = {0};
    uint32_t limit = req->limit;
    enum isms_code code;

    s.t = isms_out_list(out, "risks", list_cols, NCOLS(list_cols));
    isms_out_wide_only(s.t, LIST_WIDE_ONLY);
    s.is_sorted = sort != NULL;
    if (s.is_sorted)
        req->limit = 0; /* the limit applies to the sorted list */
    code = isms_cli_stream(cli, "/isms.v1.Risk/List", msg, &isms__v1__risk_record__descriptor,
                           add_risk, &s, st);
    if (code == ISMS_OK && s.is_sorted && s.n > 0) {
        qsort(s.items, s.n, sizeof(*s.items), strcmp(sort, "due") == 0 ? by_due : by_score);
        for (size_t k = 0; k < s.n && (limit == 0 || k < limit); k++)
            put_row(s.t, &s.items[k]);
    }
    for (size_t k = 0; k < s.n; k++)
        item_free(&s.items[k]);
    free(s.items);
    return code;
}
