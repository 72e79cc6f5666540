/* client/cmd_method.c — `ismsctl method show|set|history`: the risk assessment methodology
 * (ISO/IEC 27001:2022 6.1.2) over /isms.v1.Method. `set` starts from the current version,
 * applies a JSON file (the shape `method show -o json` prints) and/or flags, and saves the
 * result as a new version only if nobody saved another meanwhile (ABORTED otherwise). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "method_json.h"

#include "isms/v1/risk.pb-c.h"

#define NCOLS(a)        (sizeof(a) / sizeof((a)[0]))
#define LEVELS_MAX      10
#define BANDS_MAX       10
#define METHOD_FILE_MAX (1u << 20)

static const struct isms_out_col method_cols[] = {
    {"version", ISMS_OUT_I64},    {"computation", ISMS_OUT_STR}, {"appetite", ISMS_OUT_I64},
    {"max_score", ISMS_OUT_I64},  {"note", ISMS_OUT_STR},        {"created_at", ISMS_OUT_STR},
    {"created_by", ISMS_OUT_STR},
};

static const struct isms_out_col scale_cols[] = {
    {"value", ISMS_OUT_I64},
    {"label", ISMS_OUT_STR},
    {"description", ISMS_OUT_STR},
};

static const struct isms_out_col band_cols[] = {
    {"name", ISMS_OUT_STR},
    {"min_score", ISMS_OUT_I64},
    {"max_score", ISMS_OUT_I64},
};

static const struct isms_out_col cell_cols[] = {
    {"likelihood", ISMS_OUT_I64},
    {"impact", ISMS_OUT_I64},
    {"score", ISMS_OUT_I64},
};

static const struct isms_out_col history_cols[] = {
    {"version", ISMS_OUT_I64}, {"computation", ISMS_OUT_STR}, {"likelihood", ISMS_OUT_STR},
    {"impact", ISMS_OUT_STR},  {"levels", ISMS_OUT_STR},      {"appetite", ISMS_OUT_I64},
    {"note", ISMS_OUT_STR},    {"created_at", ISMS_OUT_STR},  {"created_by", ISMS_OUT_STR},
};

/* ---- output -------------------------------------------------------------------------------- */

static void add_scale(struct isms_out *out, const char *key, const char *title,
                      Isms__V1__ScaleLevel **lv, size_t n)
{
    struct isms_out_table *t = isms_out_sublist(out, key, title, scale_cols, NCOLS(scale_cols));

    for (size_t k = 0; t != NULL && k < n; k++) {
        isms_out_row(t);
        isms_out_i64(t, lv[k]->value);
        isms_out_str(t, lv[k]->label);
        isms_out_str(t, lv[k]->description);
    }
}

static void fill_method(struct isms_out *out, const Isms__V1__RiskMethod *m)
{
    struct isms_out_table *t = isms_out_record(out, "risk method", method_cols, NCOLS(method_cols));
    struct isms_out_table *b, *c;

    isms_out_i64(t, m->version);
    isms_out_str(t, m->computation);
    isms_out_i64(t, m->appetite);
    isms_out_i64(t, m->max_score);
    isms_out_str(t, m->note);
    isms_out_str(t, m->created_at);
    isms_out_str(t, m->created_by);
    add_scale(out, "likelihood", "Likelihood", m->likelihood, m->n_likelihood);
    add_scale(out, "impact", "Impact", m->impact, m->n_impact);
    b = isms_out_sublist(out, "levels", "Risk levels", band_cols, NCOLS(band_cols));
    for (size_t k = 0; b != NULL && k < m->n_levels; k++) {
        isms_out_row(b);
        isms_out_str(b, m->levels[k]->name);
        isms_out_i64(b, m->levels[k]->min_score);
        isms_out_i64(b, m->levels[k]->max_score);
    }
    c = isms_out_sublist(out, "matrix", "Score matrix", cell_cols, NCOLS(cell_cols));
    for (size_t k = 0; c != NULL && m->n_impact > 0 && k < m->n_matrix; k++) {
        isms_out_row(c);
        isms_out_i64(c, (int64_t)(k / m->n_impact) + 1);
        isms_out_i64(c, (int64_t)(k % m->n_impact) + 1);
        isms_out_i64(c, m->matrix[k]);
    }
}

static enum isms_code get_method(struct isms_cli *cli, int64_t version, ProtobufCMessage **msg,
                                 struct isms_status *st)
{
    Isms__V1__GetMethodRequest req = ISMS__V1__GET_METHOD_REQUEST__INIT;

    req.version = version;
    return isms_cli_call(cli, "/isms.v1.Method/Get", &req.base, &isms__v1__risk_method__descriptor,
                         msg, st);
}

/* show and set: the method as it is (or was) saved. */
static enum isms_code render_method(struct isms_cli *cli, const struct isms_args *a,
                                    ProtobufCMessage *msg, struct isms_out *out,
                                    struct isms_status *st)
{
    (void)cli;
    (void)a;
    (void)st;
    fill_method(out, (const Isms__V1__RiskMethod *)msg);
    return ISMS_OK;
}

static enum isms_code render_history(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st)
{
    const Isms__V1__MethodHistoryResponse *h = (const Isms__V1__MethodHistoryResponse *)msg;
    struct isms_out_table *t;

    (void)cli;
    (void)a;
    (void)st;
    t = isms_out_list(out, "risk method versions", history_cols, NCOLS(history_cols));
    for (size_t k = 0; k < h->n_methods; k++) {
        const Isms__V1__RiskMethod *m = h->methods[k];
        char levels[1024], lik[32], imp[32];
        size_t len = 0;

        levels[0] = '\0';
        for (size_t b = 0; b < m->n_levels && len < sizeof(levels); b++)
            len += (size_t)snprintf(levels + len, sizeof(levels) - len, "%s%s %d-%d",
                                    b > 0 ? ", " : "", m->levels[b]->name, m->levels[b]->min_score,
                                    m->levels[b]->max_score);
        snprintf(lik, sizeof(lik), "%zu levels", m->n_likelihood);
        snprintf(imp, sizeof(imp), "%zu levels", m->n_impact);
        isms_out_row(t);
        isms_out_i64(t, m->version);
        isms_out_str(t, m->computation);
        isms_out_str(t, lik);
        isms_out_str(t, imp);
        isms_out_str(t, levels);
        isms_out_i64(t, m->appetite);
        isms_out_str(t, m->note);
        isms_out_str(t, m->created_at);
        isms_out_str(t, m->created_by);
    }
    return ISMS_OK;
}

/* ---- building the new method ---------------------------------------------------------------- */

static void mdef_from_pb(struct isms_method_def *d, const Isms__V1__RiskMethod *m)
{
    memset(d, 0, sizeof(*d));
    d->nl = m->n_likelihood < LEVELS_MAX ? m->n_likelihood : LEVELS_MAX;
    d->ni = m->n_impact < LEVELS_MAX ? m->n_impact : LEVELS_MAX;
    for (size_t k = 0; k < d->nl; k++) {
        d->l_label[k] = m->likelihood[k]->label;
        d->l_desc[k] = m->likelihood[k]->description;
    }
    for (size_t k = 0; k < d->ni; k++) {
        d->i_label[k] = m->impact[k]->label;
        d->i_desc[k] = m->impact[k]->description;
    }
    d->nb = m->n_levels < BANDS_MAX ? m->n_levels : BANDS_MAX;
    for (size_t k = 0; k < d->nb; k++) {
        d->b_name[k] = m->levels[k]->name;
        d->b_min[k] = m->levels[k]->min_score;
        d->b_max[k] = m->levels[k]->max_score;
    }
    d->nm = m->n_matrix < NCOLS(d->matrix) ? m->n_matrix : NCOLS(d->matrix);
    if (d->nm > 0)
        memcpy(d->matrix, m->matrix, d->nm * sizeof(int32_t));
    d->computation = m->computation;
    d->appetite = m->appetite;
    d->note = ""; /* a note explains one version; it is not carried over */
}

/* Applies the --file document; its errors are usage errors. */
static enum isms_code apply_file(struct isms_cli *cli, const struct json_t *doc,
                                 struct isms_method_def *d, struct isms_status *st)
{
    struct isms_status why;

    if (isms_method_json_apply(doc, d, st) == ISMS_OK)
        return ISMS_OK;
    why = *st;
    return isms_cli_usage(cli, st, "--file: %s", why.msg);
}

/* Reads the whole file (at most METHOD_FILE_MAX bytes) into a heap string. */
static enum isms_code read_file(struct isms_cli *cli, const char *path, char **text, size_t *len,
                                struct isms_status *st)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf;
    size_t n;

    if (fp == NULL)
        return isms_cli_usage(cli, st, "cannot open %.200s: %s", path, strerror(errno));
    buf = malloc(METHOD_FILE_MAX + 1);
    if (buf == NULL) {
        if (fp != stdin)
            fclose(fp);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    n = fread(buf, 1, METHOD_FILE_MAX + 1, fp);
    if (ferror(fp) || n > METHOD_FILE_MAX) {
        bool too_big = !ferror(fp);

        if (fp != stdin)
            fclose(fp);
        free(buf);
        return too_big ? isms_cli_usage(cli, st, "%.200s is larger than %u bytes", path,
                                        METHOD_FILE_MAX)
                       : isms_cli_usage(cli, st, "cannot read %.200s", path);
    }
    if (fp != stdin)
        fclose(fp);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return ISMS_OK;
}

/* --levels "low:1-4,medium:5-9,...": the names stay in *store (freed by the caller). */
static enum isms_code parse_levels(struct isms_cli *cli, const char *s, char ***store,
                                   struct isms_method_def *d, struct isms_status *st)
{
    size_t n;
    char **items = isms_cli_split_list(s, &n);

    if (items == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    *store = items;
    if (n == 0 || n > BANDS_MAX)
        return isms_cli_usage(cli, st, "--levels needs 1 to %d levels like low:1-4,medium:5-9",
                              BANDS_MAX);
    for (size_t k = 0; k < n; k++) {
        char *colon = strrchr(items[k], ':'), *dash = NULL, *end1, *end2;
        long lo, hi;

        if (colon != NULL)
            dash = strchr(colon + 2, '-');
        if (colon == NULL || colon == items[k] || colon[1] == '\0' || dash == NULL)
            return isms_cli_usage(
                cli, st, "--levels: \"%.60s\" is not NAME:MIN-MAX (e.g. medium:5-9)", items[k]);
        *colon = '\0';
        *dash = '\0';
        lo = strtol(colon + 1, &end1, 10);
        hi = strtol(dash + 1, &end2, 10);
        if (*end1 != '\0' || *end2 != '\0' || dash[1] == '\0' || lo < 0 || hi < 0 || lo > 100000 ||
            hi > 100000)
            return isms_cli_usage(cli, st, "--levels: the range of \"%.60s\" is not MIN-MAX",
                                  items[k]);
        d->b_name[k] = items[k];
        d->b_min[k] = (int32_t)lo;
        d->b_max[k] = (int32_t)hi;
    }
    d->nb = n;
    return ISMS_OK;
}

/* The per-invocation storage for flag values: level names and labels split from argv. */
struct set_store {
    char **labels_l, **labels_i, **level_names;
};

static enum isms_code parse_labels(struct isms_cli *cli, const char *flag, const char *s,
                                   char ***store, const char **labels, const char **descs,
                                   size_t *n, struct isms_status *st)
{
    size_t k, old = *n;
    char **items = isms_cli_split_list(s, &k);

    if (items == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    *store = items;
    if (k > LEVELS_MAX)
        return isms_cli_usage(cli, st, "--%s takes at most %d comma-separated labels", flag,
                              LEVELS_MAX);
    for (size_t j = 0; j < k; j++) {
        labels[j] = items[j];
        if (k != old) /* descriptions match levels only while the count stays */
            descs[j] = "";
    }
    *n = k;
    return ISMS_OK;
}

/* --matrix "1,2,3;2,4,6;3,6,9": rows of likelihood, lowest first. */
static enum isms_code parse_matrix(struct isms_cli *cli, const char *s, struct isms_method_def *d,
                                   struct isms_status *st)
{
    size_t n = 0;
    const char *p = s;

    while (*p != '\0') {
        char *end;
        long v;

        while (*p == ' ' || *p == ',' || *p == ';')
            p++;
        if (*p == '\0')
            break;
        v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > 100000 || n >= NCOLS(d->matrix))
            return isms_cli_usage(cli, st,
                                  "--matrix needs whole numbers, rows separated by ';' and "
                                  "cells by ',' (at most %zu)",
                                  NCOLS(d->matrix));
        d->matrix[n++] = (int32_t)v;
        p = end;
    }
    d->nm = n;
    return ISMS_OK;
}

static enum isms_code run_set(struct isms_cli *cli, const struct isms_args *a,
                              ProtobufCMessage *unused, struct isms_out *out,
                              struct isms_status *st)
{
    Isms__V1__SetMethodRequest req = ISMS__V1__SET_METHOD_REQUEST__INIT;
    Isms__V1__RiskMethod m = ISMS__V1__RISK_METHOD__INIT;
    Isms__V1__ScaleLevel lv[2 * LEVELS_MAX], *lp[LEVELS_MAX], *ip[LEVELS_MAX];
    Isms__V1__RiskLevelBand bands[BANDS_MAX], *bp[BANDS_MAX];
    const char *file = isms_args_get(a, "file"), *lik = isms_args_get(a, "likelihood");
    const char *imp = isms_args_get(a, "impact"), *comp = isms_args_get(a, "computation");
    const char *matrix = isms_args_get(a, "matrix"), *levels = isms_args_get(a, "levels");
    const char *note = isms_args_get(a, "note");
    bool has_appetite = isms_args_has(a, "appetite");
    ProtobufCMessage *cur = NULL, *saved = NULL;
    struct set_store store = {NULL, NULL, NULL};
    struct json_t *doc = NULL;
    char *text = NULL;
    size_t len = 0;
    struct isms_method_def d;
    int64_t v = isms_args_int(a, "appetite", 0), version = isms_args_int(a, "expect-version", 0);
    enum isms_code code;

    (void)unused;
    if (file != NULL) {
        if (read_file(cli, file, &text, &len, st) != ISMS_OK)
            return st->code;
        if (isms_method_json_parse(text, len, &doc, st) != ISMS_OK) {
            struct isms_status why = *st;

            free(text);
            return isms_cli_usage(cli, st, "%.200s: %s", file, why.msg);
        }
    }
    code = get_method(cli, 0, &cur, st);
    if (code != ISMS_OK)
        goto out;
    mdef_from_pb(&d, (const Isms__V1__RiskMethod *)cur);
    if (version == 0)
        version = ((const Isms__V1__RiskMethod *)cur)->version;
    if ((file != NULL && (code = apply_file(cli, doc, &d, st)) != ISMS_OK) ||
        (lik != NULL && (code = parse_labels(cli, "likelihood", lik, &store.labels_l, d.l_label,
                                             d.l_desc, &d.nl, st)) != ISMS_OK) ||
        (imp != NULL && (code = parse_labels(cli, "impact", imp, &store.labels_i, d.i_label,
                                             d.i_desc, &d.ni, st)) != ISMS_OK) ||
        (levels != NULL &&
         (code = parse_levels(cli, levels, &store.level_names, &d, st)) != ISMS_OK) ||
        (matrix != NULL && (code = parse_matrix(cli, matrix, &d, st)) != ISMS_OK))
        goto out;
    if (comp != NULL)
        d.computation = comp;
    else if (matrix != NULL)
        d.computation = "matrix";
    if (strcmp(d.computation, "product") == 0)
        d.nm = 0;
    if (has_appetite)
        d.appetite = (int32_t)v;
    if (note != NULL)
        d.note = note;

    for (size_t k = 0; k < d.nl; k++) {
        isms__v1__scale_level__init(&lv[k]);
        lv[k].value = (int32_t)k + 1;
        lv[k].label = (char *)d.l_label[k];
        lv[k].description = (char *)d.l_desc[k];
        lp[k] = &lv[k];
    }
    for (size_t k = 0; k < d.ni; k++) {
        isms__v1__scale_level__init(&lv[LEVELS_MAX + k]);
        lv[LEVELS_MAX + k].value = (int32_t)k + 1;
        lv[LEVELS_MAX + k].label = (char *)d.i_label[k];
        lv[LEVELS_MAX + k].description = (char *)d.i_desc[k];
        ip[k] = &lv[LEVELS_MAX + k];
    }
    for (size_t k = 0; k < d.nb; k++) {
        isms__v1__risk_level_band__init(&bands[k]);
        bands[k].name = (char *)d.b_name[k];
        bands[k].min_score = d.b_min[k];
        bands[k].max_score = d.b_max[k];
        bp[k] = &bands[k];
    }
    m.likelihood = lp;
    m.n_likelihood = d.nl;
    m.impact = ip;
    m.n_impact = d.ni;
    m.computation = (char *)d.computation;
    m.matrix = d.matrix;
    m.n_matrix = d.nm;
    m.levels = bp;
    m.n_levels = d.nb;
    m.appetite = d.appetite;
    m.note = (char *)d.note;
    req.expected_version = version;
    req.method = &m;
    code = isms_cli_call(cli, "/isms.v1.Method/Set", &req.base, &isms__v1__risk_method__descriptor,
                         &saved, st);
    if (code == ISMS_OK)
        code = render_method(cli, a, saved, out, st);
out:
    protobuf_c_message_free_unpacked(cur, NULL);
    protobuf_c_message_free_unpacked(saved, NULL);
    isms_cli_free_list(store.labels_l);
    isms_cli_free_list(store.labels_i);
    isms_cli_free_list(store.level_names);
    isms_method_json_free(doc);
    free(text);
    return code;
}

static const struct isms_flag show_flags[] = {
    ISMS_F_INT("version", "version", 1, INT64_MAX, "an earlier version (default the current one)"),
    {0},
};

/* Any flag of `method set` but --expect-version is a change. */
#define CHANGE(n, k, mv, hlp)                                                                      \
    {                                                                                              \
        .name = (n), .kind = (k), .metavar = (mv), .opts = ISMS_OPT_CHANGE, .help = (hlp)          \
    }

static const struct isms_flag set_flags[] = {
    CHANGE("file", ISMS_FLAG_FILE, "F",
           "a JSON method (keys as in method show -o json; - for stdin)"),
    CHANGE("likelihood", ISMS_FLAG_STRING, "L1,L2,...",
           "the likelihood scale's labels, lowest first"),
    CHANGE("impact", ISMS_FLAG_STRING, "I1,I2,...", "the impact scale's labels, lowest first"),
    {.name = "computation",
     .kind = ISMS_FLAG_ENUM,
     .choices = "product|matrix",
     .opts = ISMS_OPT_CHANGE,
     .help = "score = likelihood x impact, or looked up in --matrix"},
    CHANGE("matrix", ISMS_FLAG_STRING, "ROWS",
           "scores, rows of likelihood lowest first: \"1,2,3;2,4,6;...\""),
    CHANGE("levels", ISMS_FLAG_STRING, "NAME:MIN-MAX,...", "the risk levels by score band"),
    {.name = "appetite",
     .kind = ISMS_FLAG_INT,
     .metavar = "N",
     .opts = ISMS_OPT_CHANGE,
     .max = 1000000,
     .help = "the highest score accepted without treatment"},
    CHANGE("note", ISMS_FLAG_STRING, "TEXT", "why this version"),
    ISMS_F_INT("expect-version", NULL, 1, INT64_MAX,
               "only if the current version is N, else ABORTED"),
    {0},
};

static const struct isms_cmd method_cmds[] = {
    {.noun = "method",
     .verb = "show",
     .summary = "the risk assessment methodology (current, or version N): likelihood and impact "
                "scales, how a score is computed, risk levels and the appetite; -o json gives "
                "what set --file reads",
     .flags = show_flags,
     .req = &isms__v1__get_method_request__descriptor,
     .method = "/isms.v1.Method/Get",
     .resp = &isms__v1__risk_method__descriptor,
     .render = render_method},
    {.noun = "method",
     .verb = "set",
     .summary = "save a new version of the methodology: the current one changed by the JSON file "
                "F (keys as in method show -o json) and the flags; changing the number of levels "
                "resets their descriptions; isms_manager only; refused (ABORTED) if another "
                "version was saved meanwhile or the current one is not N",
     .flags = set_flags,
     .run = run_set},
    {.noun = "method",
     .verb = "history",
     .summary = "every version of the methodology, newest first",
     .req = &isms__v1__method_history_request__descriptor,
     .method = "/isms.v1.Method/History",
     .resp = &isms__v1__method_history_response__descriptor,
     .render = render_history},
};

const struct isms_noun isms_noun_method = {
    "method",
    "risk assessment methodology (ISO/IEC 27001 6.1.2): scales, scoring, levels, appetite",
    method_cmds,
    NCOLS(method_cmds),
};
