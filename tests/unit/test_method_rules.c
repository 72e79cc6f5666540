/* tests/unit/test_method_rules.c — the risk methodology rules (domain/plan/method_rules.h):
 * the default 5 x 5 method, every way a method can be invalid (each INVALID_ARGUMENT with a
 * message naming the problem), score and level computation, and PostgreSQL array literals. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "core/arena.h"
#include "domain/plan/method_rules.h"

static void assert_code(enum isms_code rc, const struct isms_status *st, enum isms_code want,
                        const char *needle)
{
    cr_assert_eq(rc, want, "code %d, want %d (%s)", rc, want, st->msg);
    cr_assert_eq(st->code, want);
    if (needle != NULL)
        cr_assert_neq(strstr(st->msg, needle), NULL, "\"%s\" does not mention \"%s\"", st->msg,
                      needle);
}

/* ---- the default method ---------------------------------------------------------------- */

Test(method, default_is_valid_5x5_with_appetite_6)
{
    struct isms_risk_method m;
    struct isms_status st;

    isms_method_default(&m);
    cr_assert_eq(isms_method_check(&m, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(m.n_likelihood, 5);
    cr_assert_eq(m.n_impact, 5);
    cr_assert_eq(m.appetite, 6);
    cr_assert_eq(m.computation, ISMS_METHOD_PRODUCT);
    cr_assert_eq(isms_method_min_score(&m), 1);
    cr_assert_eq(isms_method_max_score(&m), 25);
}

Test(method, default_levels_cover_every_score_once)
{
    static const char *const want[26] = {
        NULL,       "low",      "low",      "low",      "low",      "medium",   "medium",
        "medium",   "medium",   "medium",   "high",     "high",     "high",     "high",
        "high",     "high",     "high",     "critical", "critical", "critical", "critical",
        "critical", "critical", "critical", "critical", "critical",
    };
    struct isms_risk_method m;
    struct isms_status st;

    isms_method_default(&m);
    cr_assert_eq(isms_method_check(&m, &st), ISMS_OK);
    for (int s = 1; s <= 25; s++)
        cr_assert_str_eq(isms_method_level(&m, s), want[s], "score %d", s);
    cr_assert_null(isms_method_level(&m, 0));
    cr_assert_null(isms_method_level(&m, 26));
}

Test(method, product_scores_and_levels)
{
    struct isms_risk_method m;
    struct isms_status st;
    int score;

    isms_method_default(&m);
    cr_assert_eq(isms_method_check(&m, &st), ISMS_OK);
    cr_assert_eq(isms_method_score(&m, "inherent", 4, 5, &score, &st), ISMS_OK);
    cr_assert_eq(score, 20);
    cr_assert_str_eq(isms_method_level(&m, score), "critical");
    cr_assert_eq(isms_method_score(&m, "inherent", 2, 3, &score, &st), ISMS_OK);
    cr_assert_eq(score, 6);
    cr_assert_str_eq(isms_method_level(&m, score), "medium");
}

/* ---- scores outside the scale ------------------------------------------------------------ */

struct rating_case {
    int likelihood, impact;
    const char *needle;
};

/* Criterion may run each case in a fresh process, so parameters are indices into this
 * table, never pointers. */
static const struct rating_case method_score_outside_scale_is_invalid_cases[] = {
    {0, 1, "likelihood 0 is outside the scale 1-5"},
    {6, 1, "likelihood 6 is outside the scale 1-5"},
    {-1, 3, "likelihood -1"},
    {1, 0, "impact 0 is outside the scale 1-5"},
    {1, 6, "impact 6"},
    {3, 100, "impact 100"},
};

ParameterizedTestParameters(method, score_outside_scale_is_invalid)
{
    static int idx[sizeof(method_score_outside_scale_is_invalid_cases) /
                   sizeof(method_score_outside_scale_is_invalid_cases[0])];

    for (size_t k = 0; k < sizeof(idx) / sizeof(idx[0]); k++)
        idx[k] = (int)k;
    return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(int *param, method, score_outside_scale_is_invalid)
{
    const struct rating_case *tc = &method_score_outside_scale_is_invalid_cases[*param];
    struct isms_risk_method m;
    struct isms_status st;
    int score = -7;

    isms_method_default(&m);
    assert_code(isms_method_score(&m, "inherent", tc->likelihood, tc->impact, &score, &st), &st,
                ISMS_INVALID_ARGUMENT, tc->needle);
    cr_assert_eq(score, -7, "score written on error");
}

/* ---- invalid methods ---------------------------------------------------------------------- */

typedef void mutate_fn(struct isms_risk_method *m);

static void two_likelihood_levels(struct isms_risk_method *m)
{
    m->n_likelihood = 2;
}
static void eleven_impact_levels(struct isms_risk_method *m)
{
    m->n_impact = 11;
}
static void empty_label(struct isms_risk_method *m)
{
    m->likelihood[2].label = "  ";
}
static void duplicate_label(struct isms_risk_method *m)
{
    m->impact[3].label = "minor";
}
static void label_not_utf8(struct isms_risk_method *m)
{
    m->impact[0].label = "bad\xC3\x28";
}
static void label_too_long(struct isms_risk_method *m)
{
    m->likelihood[0].label = "0123456789012345678901234567890123456789012345678901234567890";
}
static void description_not_utf8(struct isms_risk_method *m)
{
    m->likelihood[4].description = "\xFF";
}
static void band_gap(struct isms_risk_method *m)
{
    m->bands[1].min_score = 6;
}
static void band_gap_wide(struct isms_risk_method *m)
{
    m->bands[1].min_score = 7;
}
static void band_overlap(struct isms_risk_method *m)
{
    m->bands[1].min_score = 4;
}
static void bands_start_late(struct isms_risk_method *m)
{
    m->bands[0].min_score = 2;
}
static void bands_end_early(struct isms_risk_method *m)
{
    m->bands[3].max_score = 24;
}
static void bands_end_late(struct isms_risk_method *m)
{
    m->bands[3].max_score = 30;
}
static void band_reversed(struct isms_risk_method *m)
{
    m->bands[2].min_score = 16;
    m->bands[2].max_score = 10;
}
static void band_names_clash(struct isms_risk_method *m)
{
    m->bands[3].name = "HIGH";
}
static void band_empty_name(struct isms_risk_method *m)
{
    m->bands[0].name = "";
}
static void band_unreachable(struct isms_risk_method *m)
{
    /* 5 x 5 products never give 7: a band 7-7 can hold no risk */
    static const struct isms_risk_band b[] = {
        {"low", 1, 4}, {"medium", 5, 6}, {"odd", 7, 7}, {"high", 8, 16}, {"critical", 17, 25}};

    memcpy(m->bands, b, sizeof(b));
    m->n_bands = 5;
}
static void no_bands(struct isms_risk_method *m)
{
    m->n_bands = 0;
}
static void eleven_bands(struct isms_risk_method *m)
{
    m->n_bands = 11;
}
static void appetite_above_max(struct isms_risk_method *m)
{
    m->appetite = 26;
}
static void appetite_negative(struct isms_risk_method *m)
{
    m->appetite = -1;
}
static void matrix_with_zero(struct isms_risk_method *m)
{
    m->computation = ISMS_METHOD_MATRIX;
    for (int l = 0; l < 5; l++)
        for (int i = 0; i < 5; i++)
            m->matrix[l][i] = (l + 1) * (i + 1);
    m->matrix[0][0] = 0;
}
static void matrix_falling_with_likelihood(struct isms_risk_method *m)
{
    m->computation = ISMS_METHOD_MATRIX;
    for (int l = 0; l < 5; l++)
        for (int i = 0; i < 5; i++)
            m->matrix[l][i] = (l + 1) * (i + 1);
    m->matrix[2][1] = 3; /* below matrix[1][1] = 4 */
}
static void matrix_falling_with_impact(struct isms_risk_method *m)
{
    m->computation = ISMS_METHOD_MATRIX;
    for (int l = 0; l < 5; l++)
        for (int i = 0; i < 5; i++)
            m->matrix[l][i] = (l + 1) * (i + 1);
    m->matrix[0][3] = 2; /* below matrix[0][2] = 3 */
}
static void matrix_too_high(struct isms_risk_method *m)
{
    m->computation = ISMS_METHOD_MATRIX;
    for (int l = 0; l < 5; l++)
        for (int i = 0; i < 5; i++)
            m->matrix[l][i] = 1001;
}
static void bad_computation(struct isms_risk_method *m)
{
    m->computation = (enum isms_method_computation)7;
}
static void note_not_utf8(struct isms_risk_method *m)
{
    m->note = "\xC0\xAF";
}

struct bad_method {
    mutate_fn *mutate;
    const char *needle;
};

/* Criterion may run each case in a fresh process, so parameters are indices into this
 * table, never pointers. */
static const struct bad_method method_invalid_method_is_refused_cases[] = {
    {two_likelihood_levels, "likelihood scale must have 3 to 10 levels, got 2"},
    {eleven_impact_levels, "impact scale must have 3 to 10 levels, got 11"},
    {empty_label, "likelihood level 3 label must not be empty"},
    {duplicate_label, "impact levels 2 and 4 have the same label"},
    {label_not_utf8, "impact level 1 label is not valid UTF-8"},
    {label_too_long, "likelihood level 1 label is too long"},
    {description_not_utf8, "likelihood level 5 description is not valid UTF-8"},
    {band_gap, "score 5 lies between risk levels \"low\" and \"medium\""},
    {band_gap_wide, "scores 5 to 6 lie between"},
    {band_overlap, "overlap"},
    {bands_start_late, "must start at the lowest possible score 1"},
    {bands_end_early, "must end at the highest possible score 25"},
    {bands_end_late, "must end at the highest possible score 25"},
    {band_reversed, "runs from 16 down to 10"},
    {band_names_clash, "two risk levels are named"},
    {band_empty_name, "risk level 1 name must not be empty"},
    {band_unreachable, "\"odd\" (7-7) holds no score"},
    {no_bands, "1 to 10 risk levels, got 0"},
    {eleven_bands, "1 to 10 risk levels, got 11"},
    {appetite_above_max, "appetite must be a score from 0 to 25"},
    {appetite_negative, "appetite must be a score from 0 to 25"},
    {matrix_with_zero, "likelihood 1, impact 1 must be 1 to 1000, got 0"},
    {matrix_falling_with_likelihood, "must not fall as likelihood rises"},
    {matrix_falling_with_impact, "must not fall as impact rises"},
    {matrix_too_high, "got 1001"},
    {bad_computation, "computation must be product or matrix"},
    {note_not_utf8, "note is not valid UTF-8"},
};

ParameterizedTestParameters(method, invalid_method_is_refused)
{
    static int idx[sizeof(method_invalid_method_is_refused_cases) /
                   sizeof(method_invalid_method_is_refused_cases[0])];

    for (size_t k = 0; k < sizeof(idx) / sizeof(idx[0]); k++)
        idx[k] = (int)k;
    return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(int *param, method, invalid_method_is_refused)
{
    const struct bad_method *tc = &method_invalid_method_is_refused_cases[*param];
    struct isms_risk_method m;
    struct isms_status st;

    isms_method_default(&m);
    tc->mutate(&m);
    assert_code(isms_method_check(&m, &st), &st, ISMS_INVALID_ARGUMENT, tc->needle);
}

Test(method, bands_given_out_of_order_are_sorted)
{
    struct isms_risk_method m;
    struct isms_status st;
    static const struct isms_risk_band b[] = {
        {"critical", 17, 25}, {"low", 1, 4}, {"high", 10, 16}, {"medium", 5, 9}};

    isms_method_default(&m);
    memcpy(m.bands, b, sizeof(b));
    cr_assert_eq(isms_method_check(&m, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(m.bands[0].name, "low");
    cr_assert_str_eq(m.bands[3].name, "critical");
    cr_assert_str_eq(isms_method_level(&m, 12), "high");
}

Test(method, explicit_matrix_3x4)
{
    static const int scores[3][4] = {{1, 2, 3, 5}, {2, 3, 5, 8}, {3, 5, 8, 9}};
    static const struct isms_risk_band b[] = {{"low", 1, 2}, {"medium", 3, 5}, {"high", 6, 9}};
    struct isms_risk_method m;
    struct isms_status st;
    int score;

    isms_method_default(&m);
    m.n_likelihood = 3;
    m.n_impact = 4;
    m.impact[3].label = "Disastrous";
    m.computation = ISMS_METHOD_MATRIX;
    for (int l = 0; l < 3; l++)
        for (int i = 0; i < 4; i++)
            m.matrix[l][i] = scores[l][i];
    memcpy(m.bands, b, sizeof(b));
    m.n_bands = 3;
    m.appetite = 3;
    cr_assert_eq(isms_method_check(&m, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(isms_method_max_score(&m), 9);
    cr_assert_eq(isms_method_score(&m, "inherent", 3, 3, &score, &st), ISMS_OK);
    cr_assert_eq(score, 8);
    cr_assert_str_eq(isms_method_level(&m, score), "high");
    assert_code(isms_method_score(&m, "residual", 4, 1, &score, &st), &st, ISMS_INVALID_ARGUMENT,
                "residual likelihood 4 is outside the scale 1-3");
}

Test(method, ten_by_ten_product)
{
    struct isms_risk_method m;
    struct isms_status st;
    static const char *const labels[10] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"};
    static const struct isms_risk_band b[] = {{"low", 1, 20}, {"high", 21, 100}};

    isms_method_default(&m);
    m.n_likelihood = m.n_impact = 10;
    for (int k = 0; k < 10; k++) {
        m.likelihood[k].label = m.impact[k].label = labels[k];
        m.likelihood[k].description = m.impact[k].description = "";
    }
    memcpy(m.bands, b, sizeof(b));
    m.n_bands = 2;
    m.appetite = 100;
    cr_assert_eq(isms_method_check(&m, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(isms_method_max_score(&m), 100);
}

/* ---- PostgreSQL array literals ---------------------------------------------------------- */

struct array_case {
    const char *lit;
    int rc;
    size_t n;
    const char *items[4]; /* "\x01" stands for NULL */
};

/* Criterion may run each case in a fresh process, so parameters are indices into this
 * table, never pointers. */
static const struct array_case pgarray_parse_cases[] = {
    {"", 0, 0, {NULL}},
    {"{}", 0, 0, {NULL}},
    {"{a}", 0, 1, {"a"}},
    {"{a,b,c}", 0, 3, {"a", "b", "c"}},
    {"{\"a b\",\"c\\\"d\",NULL}", 0, 3, {"a b", "c\"d", "\x01"}},
    {"{\"\",\"NULL\",null}", 0, 3, {"", "NULL", "\x01"}},
    {"{\"x\\\\y\",\"{,}\"}", 0, 2, {"x\\y", "{,}"}},
    {"{1,-2,30}", 0, 3, {"1", "-2", "30"}},
    {"{", -1, 0, {NULL}},
    {"a", -1, 0, {NULL}},
    {"{a", -1, 0, {NULL}},
    {"{a,}", -1, 0, {NULL}},
    {"{\"a}", -1, 0, {NULL}},
    {"{a}x", -1, 0, {NULL}},
    {"{{a}}", -1, 0, {NULL}},
};

ParameterizedTestParameters(pgarray, parse)
{
    static int idx[sizeof(pgarray_parse_cases) / sizeof(pgarray_parse_cases[0])];

    for (size_t k = 0; k < sizeof(idx) / sizeof(idx[0]); k++)
        idx[k] = (int)k;
    return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(int *param, pgarray, parse)
{
    const struct array_case *tc = &pgarray_parse_cases[*param];
    struct isms_arena a;
    char **items;
    size_t n;

    isms_arena_init(&a, 1 << 16);
    cr_assert_eq(isms_pg_array_parse(&a, tc->lit, &items, &n), tc->rc, "literal %s", tc->lit);
    if (tc->rc == 0) {
        cr_assert_eq(n, tc->n, "literal %s: %zu items", tc->lit, n);
        for (size_t k = 0; k < n; k++) {
            if (strcmp(tc->items[k], "\x01") == 0)
                cr_assert_null(items[k], "literal %s item %zu", tc->lit, k);
            else
                cr_assert_str_eq(items[k], tc->items[k], "literal %s item %zu", tc->lit, k);
        }
    }
    isms_arena_cleanup(&a);
}

Test(pgarray, text_round_trip)
{
    static const char *const in[] = {"plain",        "with space", "quote\"s", "back\\slash",
                                     "{brace}",      "comma,here", "",         "NULL",
                                     "Société 東京", NULL};
    const size_t n = sizeof(in) / sizeof(in[0]);
    struct isms_arena a;
    char *lit, **out;
    size_t got;

    isms_arena_init(&a, 1 << 16);
    lit = isms_pg_array_text(&a, in, n);
    cr_assert_not_null(lit);
    cr_assert_eq(isms_pg_array_parse(&a, lit, &out, &got), 0, "%s", lit);
    cr_assert_eq(got, n);
    for (size_t k = 0; k + 1 < n; k++)
        cr_assert_str_eq(out[k], in[k]);
    cr_assert_null(out[n - 1]);
    cr_assert_str_eq(isms_pg_array_text(&a, NULL, 0), "{}");
    isms_arena_cleanup(&a);
}

Test(pgarray, int_literal_with_nulls)
{
    const int64_t v[] = {1, -5, 4611686018427387904LL};
    const unsigned char nulls[] = {0, 1, 0};
    struct isms_arena a;

    isms_arena_init(&a, 1 << 16);
    cr_assert_str_eq(isms_pg_array_int(&a, v, NULL, 3), "{1,-5,4611686018427387904}");
    cr_assert_str_eq(isms_pg_array_int(&a, v, nulls, 3), "{1,NULL,4611686018427387904}");
    cr_assert_str_eq(isms_pg_array_int(&a, v, NULL, 0), "{}");
    isms_arena_cleanup(&a);
}
