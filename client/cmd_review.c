/* client/cmd_review.c — `ismsctl review ...`: the reviews R-<n> ismsd creates from schedules
 * (isms.v1.Review): list them (due, overdue, mine), show one (an access review lists every
 * account; a risk review its risks), complete one with its outcome and evidence. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#include "isms/v1/schedule.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const struct isms_out_col review_cols[] = {
    {"id", ISMS_OUT_STR},           {"schedule_id", ISMS_OUT_STR}, {"title", ISMS_OUT_STR},
    {"target_kind", ISMS_OUT_STR},  {"target_ref", ISMS_OUT_STR},  {"owner", ISMS_OUT_STR},
    {"due_at", ISMS_OUT_STR},       {"state", ISMS_OUT_STR},       {"occurrences", ISMS_OUT_I64},
    {"skipped", ISMS_OUT_I64},      {"created_at", ISMS_OUT_STR},  {"completed_at", ISMS_OUT_STR},
    {"completed_by", ISMS_OUT_STR}, {"outcome", ISMS_OUT_STR},     {"evidence", ISMS_OUT_STR},
};

static const struct isms_out_col list_cols[] = {
    {"id", ISMS_OUT_STR},          {"schedule_id", ISMS_OUT_STR}, {"title", ISMS_OUT_STR},
    {"owner", ISMS_OUT_STR},       {"due_at", ISMS_OUT_STR},      {"state", ISMS_OUT_STR},
    {"occurrences", ISMS_OUT_I64},
};

static const struct isms_out_col account_cols[] = {
    {"user", ISMS_OUT_STR},       {"roles", ISMS_OUT_STRS}, {"status", ISMS_OUT_STR},
    {"last_login", ISMS_OUT_STR}, {"tokens", ISMS_OUT_STR},
};

static const struct isms_out_col risk_cols[] = {
    {"risk_id", ISMS_OUT_STR}, {"title", ISMS_OUT_STR},  {"level", ISMS_OUT_STR},
    {"score", ISMS_OUT_I64},   {"status", ISMS_OUT_STR}, {"assessed_at", ISMS_OUT_STR},
};

/* Tokens joined with "; " into `buf` (a token description may hold commas). */
static const char *join_tokens(char *const *items, size_t n, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i > 0 ? "; " : "", items[i]);

        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

static enum isms_code render_review(struct isms_cli *cli, const struct isms_args *a,
                                    ProtobufCMessage *msg, struct isms_out *out,
                                    struct isms_status *st)
{
    const Isms__V1__ReviewRecord *r = (const Isms__V1__ReviewRecord *)msg;
    struct isms_out_table *t = isms_out_record(out, "review", review_cols, NCOLS(review_cols));
    char buf[2048];

    (void)cli;
    (void)a;
    (void)st;
    isms_out_str(t, r->id);
    isms_out_str(t, r->schedule_id);
    isms_out_str(t, r->title);
    isms_out_str(t, r->target_kind);
    isms_out_str(t, r->target_ref);
    isms_out_str(t, r->owner);
    isms_out_str(t, r->due_at);
    isms_out_str(t, r->state);
    isms_out_i64(t, r->occurrences);
    isms_out_i64(t, r->skipped);
    isms_out_str(t, r->created_at);
    isms_out_str(t, r->completed_at);
    isms_out_str(t, r->completed_by);
    isms_out_str(t, r->outcome);
    isms_out_str(t, r->evidence);
    if (strcmp(r->target_kind, "access") == 0) {
        struct isms_out_table *acc = isms_out_sublist(
            out, "accounts", "Accounts to confirm or change", account_cols, NCOLS(account_cols));

        for (size_t i = 0; acc != NULL && i < r->n_accounts; i++) {
            const Isms__V1__AccessEntry *e = r->accounts[i];

            isms_out_row(acc);
            isms_out_str(acc, e->user);
            isms_out_strs(acc, e->roles, e->n_roles);
            isms_out_str(acc, e->status);
            isms_out_str(acc, e->last_login);
            isms_out_str(acc, join_tokens(e->tokens, e->n_tokens, buf, sizeof(buf)));
        }
    }
    if (strcmp(r->target_kind, "risk") == 0 || strcmp(r->target_kind, "risk_level") == 0) {
        struct isms_out_table *rk =
            isms_out_sublist(out, "risks", "Risks", risk_cols, NCOLS(risk_cols));

        for (size_t i = 0; rk != NULL && i < r->n_risks; i++) {
            const Isms__V1__RiskRating *k = r->risks[i];

            isms_out_row(rk);
            isms_out_str(rk, k->risk_id);
            isms_out_str(rk, k->title);
            isms_out_str(rk, k->level);
            isms_out_i64(rk, k->score);
            isms_out_str(rk, k->status);
            isms_out_str(rk, k->assessed_at);
        }
    }
    return ISMS_OK;
}

static enum isms_code render_list(struct isms_cli *cli, const struct isms_args *a,
                                  ProtobufCMessage *msg, struct isms_out *out,
                                  struct isms_status *st)
{
    const Isms__V1__ListReviewsResponse *r = (const Isms__V1__ListReviewsResponse *)msg;
    struct isms_out_table *t = isms_out_list(out, "Reviews", list_cols, NCOLS(list_cols));

    (void)cli;
    (void)a;
    (void)st;
    for (size_t i = 0; i < r->n_reviews; i++) {
        const Isms__V1__ReviewRecord *v = r->reviews[i];

        isms_out_row(t);
        isms_out_str(t, v->id);
        isms_out_str(t, v->schedule_id);
        isms_out_str(t, v->title);
        isms_out_str(t, v->owner);
        isms_out_str(t, v->due_at);
        isms_out_str(t, v->state);
        isms_out_i64(t, v->occurrences);
    }
    return ISMS_OK;
}

static const struct isms_flag list_flags[] = {
    ISMS_F_BOOL("due", "due", "open reviews only (overdue ones included)"),
    ISMS_F_BOOL("overdue", "overdue", "open reviews past their due time"),
    ISMS_F_BOOL("mine", "mine", "reviews you own"),
    ISMS_F_STR("schedule", "S-<n>", "schedule_id", "reviews of one schedule"),
    {0},
};

static const struct isms_arg id_args[] = {{.name = "R-<n>", .field = "id"}, {0}};

static const struct isms_flag complete_flags[] = {
    {.name = "outcome",
     .kind = ISMS_FLAG_ENUM,
     .choices = "confirmed|changed|action_required",
     .field = "outcome",
     .opts = ISMS_OPT_REQUIRED | ISMS_OPT_OPEN,
     .help = "what the review found: all confirmed, changes made, or action required"},
    ISMS_F_STR("evidence", "TEXT", "evidence", "where the evidence is (free text or a URL)"),
    {0},
};

static const struct isms_cmd review_cmds[] = {
    {.noun = "review",
     .verb = "list",
     .summary = "list reviews by due time (state open, overdue or done)",
     .flags = list_flags,
     .req = &isms__v1__list_reviews_request__descriptor,
     .method = "/isms.v1.Review/List",
     .resp = &isms__v1__list_reviews_response__descriptor,
     .render = render_list},
    {.noun = "review",
     .verb = "show",
     .summary = "show a review; an access review lists every account with its roles, last "
                "login and tokens, a risk review its risks' ratings",
     .args = id_args,
     .req = &isms__v1__get_review_request__descriptor,
     .method = "/isms.v1.Review/Get",
     .resp = &isms__v1__review_record__descriptor,
     .render = render_review},
    {.noun = "review",
     .verb = "complete",
     .summary = "complete a review you own (an isms_manager or admin: anyone's); a risk review "
                "records each risk's ratings as a dated assessment (8.2)",
     .args = id_args,
     .flags = complete_flags,
     .req = &isms__v1__complete_review_request__descriptor,
     .method = "/isms.v1.Review/Complete",
     .resp = &isms__v1__review_record__descriptor,
     .render = render_review},
};

const struct isms_noun isms_noun_review = {
    "review",
    "the reviews ismsd creates from schedules: list, show, complete",
    review_cmds,
    NCOLS(review_cmds),
};
