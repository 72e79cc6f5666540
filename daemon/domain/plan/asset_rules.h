/* domain/plan/asset_rules.h — validation and normalisation of asset inventory input (Annex A
 * 5.9), and the keyset page tokens of Asset/List. Pure: no loop, no database, so unit tests and
 * the fuzzer call it directly. Every rejection is INVALID_ARGUMENT (ALREADY_EXISTS for a name
 * repeated in one import batch, FAILED_PRECONDITION for a dependency cycle in one). */
#ifndef ISMS_DOMAIN_PLAN_ASSET_RULES_H
#define ISMS_DOMAIN_PLAN_ASSET_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define ISMS_ASSET_NAME_MAX        200
#define ISMS_ASSET_DESCRIPTION_MAX 10000
#define ISMS_ASSET_PERSON_MAX      200 /* owner, custodian */
#define ISMS_ASSET_LOCATION_MAX    200
#define ISMS_ASSET_TAG_MAX         64
#define ISMS_ASSET_TAGS_MAX        32
#define ISMS_ASSET_DEPS_MAX        100   /* depends_on entries of one create or import row */
#define ISMS_ASSET_CIA_LIMIT       10    /* the largest impact scale a methodology may have */
#define ISMS_ASSET_CIA_DEFAULT     5     /* the scale when no methodology says otherwise */
#define ISMS_ASSET_LEVEL_MAX       40    /* characters of a classification level */
#define ISMS_ASSET_LEVELS_MAX      10    /* classification levels */
#define ISMS_ASSET_IMPORT_MAX      50000 /* rows of one import */
#define ISMS_ASSET_TOKEN_MAX       2100  /* characters of a page token */
#define ISMS_ASSET_KEY_MAX         1000  /* bytes of a page token's sort key */

/* The database-dependent limits a check uses: the C/I/A scale (1..scale) and the configured
 * classification levels (lower case, lowest first). Borrowed. */
struct isms_asset_limits {
    int scale;
    const char *const *levels;
    size_t nlevels;
};

/* One asset as a client sent it: Create, one Import row, or the new values of an Update.
 * Strings are the request's own (writable: the checks normalise them in place). */
struct isms_asset_input {
    char *name;
    const char *type;
    char *description;
    char *owner;
    char *custodian;
    char *location;
    char *classification;
    const char *status;
    int32_t confidentiality, integrity, availability;
    char **tags;
    size_t ntags;
    char **depends_on;
    size_t ndepends_on;
};

/* Fields of an Update, as bits of a mask. */
enum isms_asset_field {
    ISMS_ASSET_F_NAME = 1u << 0,
    ISMS_ASSET_F_TYPE = 1u << 1,
    ISMS_ASSET_F_DESCRIPTION = 1u << 2,
    ISMS_ASSET_F_OWNER = 1u << 3,
    ISMS_ASSET_F_CUSTODIAN = 1u << 4,
    ISMS_ASSET_F_LOCATION = 1u << 5,
    ISMS_ASSET_F_CLASSIFICATION = 1u << 6,
    ISMS_ASSET_F_CONFIDENTIALITY = 1u << 7,
    ISMS_ASSET_F_INTEGRITY = 1u << 8,
    ISMS_ASSET_F_AVAILABILITY = 1u << 9,
    ISMS_ASSET_F_TAGS = 1u << 10,
    ISMS_ASSET_F_STATUS = 1u << 11,
};
#define ISMS_ASSET_F_ALL 0xFFFu

/* Validates the fields of `in` named by `fields` (all of them for a create) and normalises
 * them in place: type and status become their canonical static strings (status "" becomes
 * "active"), classification and tags become lower case, repeated tags are dropped. Only
 * depends_on entries are checked for shape (existence is the database's business). */
ISMS_MUSTCHECK enum isms_code isms_asset_check(struct isms_asset_input *in, unsigned fields,
                                               const struct isms_asset_limits *lim,
                                               struct isms_status *st);

/* Checks an import batch: every row as isms_asset_check() does (all fields), then names
 * repeated within the batch (ALREADY_EXISTS) and dependency cycles among the batch's rows
 * (FAILED_PRECONDITION). Messages start "row N: " (1-based); `*bad_row` gets N (0 when OK).
 * Allocates a scratch table (RESOURCE_EXHAUSTED if that fails). */
ISMS_MUSTCHECK enum isms_code isms_asset_check_batch(struct isms_asset_input *rows, size_t n,
                                                     const struct isms_asset_limits *lim,
                                                     size_t *bad_row, struct isms_status *st);

/* Normalises "information".."supplier" (case-insensitive) into a static string. */
ISMS_MUSTCHECK enum isms_code isms_asset_type(const char *s, const char **out,
                                              struct isms_status *st);
/* "active" or "retired" (case-insensitive); "" gives `dflt` (an error when `dflt` is NULL). */
ISMS_MUSTCHECK enum isms_code isms_asset_status(const char *s, const char *dflt, const char **out,
                                                struct isms_status *st);

/* Validates and lower-cases a new list of classification levels (lowest first) in place:
 * 1..ISMS_ASSET_LEVELS_MAX distinct levels of letters, digits, spaces, '-' and '_'. */
ISMS_MUSTCHECK enum isms_code isms_asset_check_levels(char **levels, size_t n,
                                                      struct isms_status *st);

/* Parses "A-<n>" (case-insensitive prefix, n in 1..2^62). Returns 1 on a match, else 0. */
int isms_asset_parse_id(const char *s, int64_t *num);

/* Checks an asset reference (an id or a name) given as `field`. */
ISMS_MUSTCHECK enum isms_code isms_asset_check_ref(const char *field, const char *ref,
                                                   struct isms_status *st);

/* ---- Asset/List ---------------------------------------------------------------------------- */

enum isms_asset_sort {
    ISMS_ASSET_SORT_ID = 'i',
    ISMS_ASSET_SORT_NAME = 'n',
    ISMS_ASSET_SORT_UPDATED = 'u',
};

/* "" or "id", "name", "updated_at". */
ISMS_MUSTCHECK enum isms_code isms_asset_sort_parse(const char *s, enum isms_asset_sort *out,
                                                    struct isms_status *st);

/* Validates the filters of a list request (lengths, UTF-8, type and status values; "" means
 * any). Normalises *type and *status into static strings and lower-cases classification and
 * tag in place, so they compare equal to stored values. */
ISMS_MUSTCHECK enum isms_code isms_asset_check_filters(const char **type, const char *owner,
                                                       char *classification, char *tag,
                                                       const char *text, const char **status,
                                                       struct isms_status *st);

/* A keyset position: the last row a page ended on. `key` is the sort key as text (lower-case
 * name, or updated_at in microseconds since the epoch; "" for the id sort). */
struct isms_asset_cursor {
    enum isms_asset_sort sort;
    int is_descending;
    int64_t num;
    char key[ISMS_ASSET_KEY_MAX + 1];
};

/* Writes the opaque page token for `c` into out[0..outlen). Returns 0 when it does not fit. */
int isms_asset_token_make(const struct isms_asset_cursor *c, char *out, size_t outlen);

/* Parses a page token and checks it was made for the same sort and direction. */
ISMS_MUSTCHECK enum isms_code isms_asset_token_parse(const char *token, enum isms_asset_sort sort,
                                                     int is_descending,
                                                     struct isms_asset_cursor *out,
                                                     struct isms_status *st);

#endif
