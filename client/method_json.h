/* client/method_json.h — the risk method file `ismsctl method set --file` reads: the JSON object
 * `method show -o json` prints (likelihood and impact scales, computation, matrix, levels,
 * appetite, note; the read-only members version, max_score, created_at and created_by are
 * accepted and ignored). Parsed with jansson, applied over the current method. Pure. */
#ifndef ISMS_CLIENT_METHOD_JSON_H
#define ISMS_CLIENT_METHOD_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define ISMS_METHOD_LEVELS_MAX 10
#define ISMS_METHOD_BANDS_MAX  10

/* The method being edited. Strings are borrowed from whatever filled them (the Get response,
 * the parsed document, argv), all of which must outlive it. */
struct isms_method_def {
    size_t nl, ni, nb, nm;
    const char *l_label[ISMS_METHOD_LEVELS_MAX], *l_desc[ISMS_METHOD_LEVELS_MAX];
    const char *i_label[ISMS_METHOD_LEVELS_MAX], *i_desc[ISMS_METHOD_LEVELS_MAX];
    const char *b_name[ISMS_METHOD_BANDS_MAX];
    int32_t b_min[ISMS_METHOD_BANDS_MAX], b_max[ISMS_METHOD_BANDS_MAX];
    int32_t matrix[ISMS_METHOD_LEVELS_MAX * ISMS_METHOD_LEVELS_MAX];
    const char *computation;
    int32_t appetite;
    const char *note;
};

struct json_t;

/*
 * Parses text[0..len) (one JSON document, duplicate keys refused) into *doc, which the caller
 * releases with isms_method_json_free() once the def that borrows from it is done. Errors:
 * INVALID_ARGUMENT "line L, column C: what"; RESOURCE_EXHAUSTED.
 */
ISMS_MUSTCHECK enum isms_code isms_method_json_parse(const char *text, size_t len,
                                                     struct json_t **doc, struct isms_status *st);
void isms_method_json_free(struct json_t *doc);

/*
 * Applies the members of `doc` to `d`: a scale is an array of at most 10 {"label",
 * "description"} objects or label strings; the matrix flat numbers, rows of numbers or
 * {likelihood, impact, score} cells; levels {name, min_score, max_score} objects; "computation":
 * "product" drops the matrix. Strings in `d` then point into `doc`. Unknown keys and wrong types
 * are refused. Errors: INVALID_ARGUMENT naming the member ("\"appetite\" must be a whole
 * number").
 */
ISMS_MUSTCHECK enum isms_code
isms_method_json_apply(const struct json_t *doc, struct isms_method_def *d, struct isms_status *st);

#endif
