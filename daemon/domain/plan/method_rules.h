/* domain/plan/method_rules.h — the risk assessment methodology (ISO/IEC 27001:2022 6.1.2) as a
 * struct, its validation, and score/level computation. Pure: no loop, no database.
 * Invariant: a method that passed isms_method_check() gives every (likelihood, impact) on its
 * scales exactly one score and every possible score exactly one level. */
#ifndef ISMS_DOMAIN_PLAN_METHOD_RULES_H
#define ISMS_DOMAIN_PLAN_METHOD_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "common/status.h"

#define ISMS_METHOD_LEVELS_MIN 3
#define ISMS_METHOD_LEVELS_MAX 10
#define ISMS_METHOD_BANDS_MAX  10
#define ISMS_METHOD_LABEL_MAX  60   /* characters */
#define ISMS_METHOD_DESC_MAX   1000 /* characters */
#define ISMS_METHOD_NOTE_MAX   2000 /* characters */
#define ISMS_METHOD_SCORE_MAX  1000 /* highest score a matrix cell may hold */

enum isms_method_computation {
    ISMS_METHOD_PRODUCT = 0, /* score = likelihood × impact */
    ISMS_METHOD_MATRIX = 1,  /* score read from an explicit matrix */
};

struct isms_scale_level {
    const char *label;       /* borrowed */
    const char *description; /* borrowed */
};

struct isms_risk_band {
    const char *name; /* borrowed */
    int min_score;    /* inclusive */
    int max_score;    /* inclusive */
};

/* One version of the methodology. Strings are borrowed (normally from a call's arena). */
struct isms_risk_method {
    int64_t version; /* 0 while not saved */
    int n_likelihood, n_impact;
    struct isms_scale_level likelihood[ISMS_METHOD_LEVELS_MAX];
    struct isms_scale_level impact[ISMS_METHOD_LEVELS_MAX];
    enum isms_method_computation computation;
    int matrix[ISMS_METHOD_LEVELS_MAX][ISMS_METHOD_LEVELS_MAX]; /* [l - 1][i - 1], matrix only */
    int n_bands;
    struct isms_risk_band bands[ISMS_METHOD_BANDS_MAX]; /* ascending after isms_method_check */
    int appetite;
    const char *note;       /* borrowed */
    const char *created_at; /* borrowed; "" before saving */
    const char *created_by; /* borrowed; "" before saving */
};

/* Fills `m` with the default methodology (what schema/012_method.sql seeds as version 1):
 * 5 × 5, product, low 1-4, medium 5-9, high 10-16, critical 17-25, appetite 6. */
void isms_method_default(struct isms_risk_method *m);

/* Parses "product" / "matrix" (case-insensitive). Errors: INVALID_ARGUMENT. */
ISMS_MUSTCHECK enum isms_code isms_method_computation_parse(const char *s,
                                                            enum isms_method_computation *out,
                                                            struct isms_status *st);
const char *isms_method_computation_name(enum isms_method_computation c);

/* Validates a whole method and sorts its bands by min_score. Checks: 3-10 levels per scale,
 * labels present, valid UTF-8, unique (case-insensitive) and short; descriptions and note
 * length; matrix cells in 1..ISMS_METHOD_SCORE_MAX and never falling as likelihood or impact
 * rises; 1-10 bands with unique names and min <= max that cover every score from the lowest
 * to the highest possible exactly once (no gap, no overlap), each holding at least one
 * achievable score; appetite between 0 and the highest possible score.
 * Errors: INVALID_ARGUMENT naming the first problem. */
ISMS_MUSTCHECK enum isms_code isms_method_check(struct isms_risk_method *m, struct isms_status *st);

/* Lowest and highest score the method can produce (scales must be valid). */
int isms_method_min_score(const struct isms_risk_method *m);
int isms_method_max_score(const struct isms_risk_method *m);

/* Score of (likelihood, impact). Errors: INVALID_ARGUMENT when either is outside its scale;
 * `what` ("inherent", "residual") names the rating in the message. */
ISMS_MUSTCHECK enum isms_code isms_method_score(const struct isms_risk_method *m, const char *what,
                                                int likelihood, int impact, int *score,
                                                struct isms_status *st);

/* Name of the band holding `score`, or NULL when none does. */
const char *isms_method_level(const struct isms_risk_method *m, int score);

/* Index of the band holding `score` (0 = lowest), or -1. */
int isms_method_band_index(const struct isms_risk_method *m, int score);

/*
 * PostgreSQL one-dimensional array literals, as libpq returns them in text format and as
 * parameters take them. These live here because methods are stored as arrays; risk.c uses
 * them too.
 */

/* Parses a text[] (or integer[]) literal such as {a,"b c",NULL} into arena strings; NULL
 * elements become NULL pointers. An empty input (SQL NULL) gives zero elements. Returns 0 on
 * success, -1 when the literal is malformed or memory runs out. `*out` is arena memory. */
int isms_pg_array_parse(struct isms_arena *a, const char *lit, char ***out, size_t *n);

/* Writes a text[] literal of `items` (NULL items become SQL NULL) into arena memory; every
 * element is quoted, with " and \ escaped. NULL when memory runs out. */
char *isms_pg_array_text(struct isms_arena *a, const char *const *items, size_t n);

/* Writes an integer[] / bigint[] literal; `is_null` (may be NULL) marks NULL elements. */
char *isms_pg_array_int(struct isms_arena *a, const int64_t *items, const unsigned char *is_null,
                        size_t n);

#endif
