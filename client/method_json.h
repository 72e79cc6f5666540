/* client/method_json.h — the JSON reader behind `method set --file` (method_json.c). */
#ifndef ISMS_CLIENT_METHOD_JSON_H
#define ISMS_CLIENT_METHOD_JSON_H

#include <stddef.h>
#include <stdint.h>

enum isms_jv_type {
    ISMS_JV_NULL,
    ISMS_JV_BOOL,
    ISMS_JV_NUM,
    ISMS_JV_STR,
    ISMS_JV_ARR,
    ISMS_JV_OBJ
};

/* One parsed JSON value; everything below it is heap memory freed by isms_jv_free(). */
struct isms_jv {
    enum isms_jv_type type;
    int64_t num;
    char *str;
    size_t n;              /* items of an array or object */
    struct isms_jv *items; /* values */
    char **keys;           /* object keys */
};

/*
 * Parses the whole document text[0..len) into *root. Returns 0, or -1 with what went wrong and
 * at which byte in err (root is then empty). Free *root with isms_jv_free().
 */
int isms_jv_parse(const char *text, size_t len, struct isms_jv *root, char *err, size_t errlen);

/* Frees everything `v` holds and empties it; NULL does nothing. */
void isms_jv_free(struct isms_jv *v);

/* The member `key` of object `o`, or NULL (also when `o` is not an object). */
const struct isms_jv *isms_jv_get(const struct isms_jv *o, const char *key);

#endif
