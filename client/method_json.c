/* client/method_json.c — reads a risk method file with jansson and applies it over the method
 * being edited. Only the shape is checked here (types, counts, cells on the scales); whether the
 * method makes sense (bands covering every score once) is the server's rule. */
#include "method_json.h"

#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "json_text.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

enum isms_code isms_method_json_parse(const char *text, size_t len, json_t **doc,
                                      struct isms_status *st)
{
    json_error_t err;
    char why[ISMS_STATUS_MSG_MAX];

    *doc = json_loadb(text, len, ISMS_JSON_LOAD_FLAGS, &err);
    if (*doc != NULL)
        return ISMS_OK;
    if (json_error_code(&err) == json_error_out_of_memory)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory reading the method");
    isms_json_error_text(&err, 0, why, sizeof(why));
    return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s", why);
}

void isms_method_json_free(json_t *doc)
{
    json_decref(doc);
}

static bool get_int32(const json_t *v, int32_t *out)
{
    json_int_t n;

    if (!json_is_integer(v))
        return false;
    n = json_integer_value(v);
    if (n < INT32_MIN || n > INT32_MAX)
        return false;
    *out = (int32_t)n;
    return true;
}

/* A scale: an array of {"label", "description"} objects or of label strings. */
static enum isms_code scale_from_json(const char *key, const json_t *a, const char **labels,
                                      const char **descs, size_t *n, struct isms_status *st)
{
    size_t k;
    const json_t *it;

    if (!json_is_array(a) || json_array_size(a) > ISMS_METHOD_LEVELS_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "\"%s\" must be an array of at most %d levels", key,
                               ISMS_METHOD_LEVELS_MAX);
    json_array_foreach(a, k, it)
    {
        const json_t *l = json_object_get(it, "label"), *d = json_object_get(it, "description");

        if (json_is_string(it)) {
            labels[k] = json_string_value(it);
            descs[k] = "";
            continue;
        }
        if (!json_is_object(it) || !json_is_string(l) || (d != NULL && !json_is_string(d)))
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "%s level %zu needs a \"label\" string (and optionally a "
                                   "\"description\")",
                                   key, k + 1);
        labels[k] = json_string_value(l);
        descs[k] = d != NULL ? json_string_value(d) : "";
    }
    *n = json_array_size(a);
    return ISMS_OK;
}

/* The matrix: flat numbers, rows of numbers, or {likelihood, impact, score} cells. */
static enum isms_code matrix_from_json(const json_t *a, struct isms_method_def *d,
                                       struct isms_status *st)
{
    size_t n = 0, k;
    const json_t *it;

    if (!json_is_array(a))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "\"matrix\" must be an array");
    json_array_foreach(a, k, it)
    {
        if (json_is_integer(it) || json_is_array(it)) {
            size_t cells = json_is_array(it) ? json_array_size(it) : 1;

            for (size_t c = 0; c < cells; c++) {
                const json_t *x = json_is_array(it) ? json_array_get(it, c) : it;

                if (n >= NELEMS(d->matrix) || !get_int32(x, &d->matrix[n]))
                    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                           "\"matrix\" must hold at most %zu whole numbers",
                                           NELEMS(d->matrix));
                n++;
            }
        } else {
            int32_t l, i, s;

            if (!json_is_object(it) || !get_int32(json_object_get(it, "likelihood"), &l) ||
                !get_int32(json_object_get(it, "impact"), &i) ||
                !get_int32(json_object_get(it, "score"), &s) || l < 1 || i < 1 ||
                (size_t)l > d->nl || (size_t)i > d->ni)
                return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                       "matrix cell %zu needs likelihood and impact on the "
                                       "scales and a score",
                                       k + 1);
            d->matrix[(size_t)(l - 1) * d->ni + (size_t)(i - 1)] = s;
            n = d->nl * d->ni;
        }
    }
    d->nm = n;
    return ISMS_OK;
}

static enum isms_code levels_from_json(const json_t *v, struct isms_method_def *d,
                                       struct isms_status *st)
{
    size_t k;
    const json_t *it;

    if (!json_is_array(v) || json_array_size(v) > ISMS_METHOD_BANDS_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "\"levels\" must be an array of at most %d", ISMS_METHOD_BANDS_MAX);
    json_array_foreach(v, k, it)
    {
        const json_t *name = json_object_get(it, "name");

        if (!json_is_string(name) || !get_int32(json_object_get(it, "min_score"), &d->b_min[k]) ||
            !get_int32(json_object_get(it, "max_score"), &d->b_max[k]))
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "risk level %zu needs \"name\", \"min_score\" and "
                                   "\"max_score\"",
                                   k + 1);
        d->b_name[k] = json_string_value(name);
    }
    d->nb = json_array_size(v);
    return ISMS_OK;
}

enum isms_code isms_method_json_apply(const json_t *doc, struct isms_method_def *d,
                                      struct isms_status *st)
{
    static const char *const known[] = {"likelihood", "impact",     "computation", "matrix",
                                        "levels",     "appetite",   "note",        "version",
                                        "max_score",  "created_at", "created_by"};
    const char *key;
    json_t *v;

    if (!json_is_object(doc))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "the method must be a JSON object");
    json_object_foreach((json_t *)doc, key, v)
    {
        bool ok = false;

        for (size_t j = 0; j < NELEMS(known) && !ok; j++)
            ok = strcmp(key, known[j]) == 0;
        if (!ok)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "unknown key \"%.60s\"", key);
    }
    /* Scales first: matrix cells are checked against their sizes. */
    if ((v = json_object_get(doc, "likelihood")) != NULL &&
        scale_from_json("likelihood", v, d->l_label, d->l_desc, &d->nl, st) != ISMS_OK)
        return st->code;
    if ((v = json_object_get(doc, "impact")) != NULL &&
        scale_from_json("impact", v, d->i_label, d->i_desc, &d->ni, st) != ISMS_OK)
        return st->code;
    if ((v = json_object_get(doc, "computation")) != NULL) {
        if (!json_is_string(v))
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "\"computation\" must be a string");
        d->computation = json_string_value(v);
        if (strcmp(d->computation, "product") == 0)
            d->nm = 0;
    }
    if ((v = json_object_get(doc, "matrix")) != NULL && matrix_from_json(v, d, st) != ISMS_OK)
        return st->code;
    if ((v = json_object_get(doc, "levels")) != NULL && levels_from_json(v, d, st) != ISMS_OK)
        return st->code;
    if ((v = json_object_get(doc, "appetite")) != NULL && !get_int32(v, &d->appetite))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "\"appetite\" must be a whole number");
    if ((v = json_object_get(doc, "note")) != NULL) {
        if (!json_is_string(v))
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "\"note\" must be a string");
        d->note = json_string_value(v);
    }
    return ISMS_OK;
}
