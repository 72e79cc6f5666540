/* domain/plan/method_rules.c — validation of a risk methodology, score and level computation,
 * and PostgreSQL array literals. Pure: every check runs before any SQL, and the unit tests
 * drive it directly. */
#include "domain/plan/method_rules.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/text.h"

static const struct isms_scale_level default_likelihood[] = {
    {"Rare", "may occur only in exceptional circumstances (less than once in 10 years)"},
    {"Unlikely", "could occur at some time (once in 3 to 10 years)"},
    {"Possible", "might occur (once in 1 to 3 years)"},
    {"Likely", "will probably occur (at least once a year)"},
    {"Almost certain", "is expected to occur (several times a year)"},
};

static const struct isms_scale_level default_impact[] = {
    {"Negligible", "no noticeable effect on operations, customers or obligations"},
    {"Minor", "limited, short disruption or loss, handled within normal operations"},
    {"Moderate", "noticeable disruption, limited exposure of internal data, or a minor breach "
                 "of an obligation"},
    {"Major", "serious disruption, exposure of confidential data, or a legal, regulatory or "
              "contractual breach"},
    {"Severe", "prolonged outage, large-scale data breach, major fines or lasting loss of trust"},
};

void isms_method_default(struct isms_risk_method *m)
{
    static const struct isms_risk_band bands[] = {
        {"low", 1, 4}, {"medium", 5, 9}, {"high", 10, 16}, {"critical", 17, 25}};

    memset(m, 0, sizeof(*m));
    m->n_likelihood = 5;
    m->n_impact = 5;
    memcpy(m->likelihood, default_likelihood, sizeof(default_likelihood));
    memcpy(m->impact, default_impact, sizeof(default_impact));
    m->computation = ISMS_METHOD_PRODUCT;
    m->n_bands = 4;
    memcpy(m->bands, bands, sizeof(bands));
    m->appetite = 6;
    m->note = "";
    m->created_at = "";
    m->created_by = "";
}

enum isms_code isms_method_computation_parse(const char *s, enum isms_method_computation *out,
                                             struct isms_status *st)
{
    if (s != NULL && strcasecmp(s, "product") == 0) {
        *out = ISMS_METHOD_PRODUCT;
        return ISMS_OK;
    }
    if (s != NULL && strcasecmp(s, "matrix") == 0) {
        *out = ISMS_METHOD_MATRIX;
        return ISMS_OK;
    }
    if (isms_text_check("computation", s, 40, 0, st) != ISMS_OK)
        return st->code;
    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                           "computation must be product (likelihood x impact) or matrix, got "
                           "\"%s\"",
                           s == NULL ? "" : s);
}

const char *isms_method_computation_name(enum isms_method_computation c)
{
    return c == ISMS_METHOD_MATRIX ? "matrix" : "product";
}

/* Checks one scale: level count, labels, descriptions. */
static enum isms_code check_scale(const char *axis, const struct isms_scale_level *lv, int n,
                                  struct isms_status *st)
{
    char field[64];

    if (n < ISMS_METHOD_LEVELS_MIN || n > ISMS_METHOD_LEVELS_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "the %s scale must have %d to %d levels, got %d", axis,
                               ISMS_METHOD_LEVELS_MIN, ISMS_METHOD_LEVELS_MAX, n);
    for (int k = 0; k < n; k++) {
        snprintf(field, sizeof(field), "%s level %d label", axis, k + 1);
        if (isms_text_check(field, lv[k].label, ISMS_METHOD_LABEL_MAX, 1, st) != ISMS_OK)
            return st->code;
        snprintf(field, sizeof(field), "%s level %d description", axis, k + 1);
        if (isms_text_check(field, lv[k].description, ISMS_METHOD_DESC_MAX, 0, st) != ISMS_OK)
            return st->code;
        for (int j = 0; j < k; j++)
            if (strcasecmp(lv[j].label, lv[k].label) == 0)
                return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                       "%s levels %d and %d have the same label \"%s\"", axis,
                                       j + 1, k + 1, lv[k].label);
    }
    return ISMS_OK;
}

/* Checks the explicit matrix: range and monotony. */
static enum isms_code check_matrix(const struct isms_risk_method *m, struct isms_status *st)
{
    for (int l = 0; l < m->n_likelihood; l++)
        for (int i = 0; i < m->n_impact; i++) {
            int s = m->matrix[l][i];

            if (s < 1 || s > ISMS_METHOD_SCORE_MAX)
                return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                       "matrix score at likelihood %d, impact %d must be 1 to %d, "
                                       "got %d",
                                       l + 1, i + 1, ISMS_METHOD_SCORE_MAX, s);
            if (l > 0 && s < m->matrix[l - 1][i])
                return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                       "matrix score at likelihood %d, impact %d (%d) is lower "
                                       "than at likelihood %d (%d): scores must not fall as "
                                       "likelihood rises",
                                       l + 1, i + 1, s, l, m->matrix[l - 1][i]);
            if (i > 0 && s < m->matrix[l][i - 1])
                return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                       "matrix score at likelihood %d, impact %d (%d) is lower "
                                       "than at impact %d (%d): scores must not fall as impact "
                                       "rises",
                                       l + 1, i + 1, s, i, m->matrix[l][i - 1]);
        }
    return ISMS_OK;
}

int isms_method_min_score(const struct isms_risk_method *m)
{
    return m->computation == ISMS_METHOD_MATRIX ? m->matrix[0][0] : 1;
}

int isms_method_max_score(const struct isms_risk_method *m)
{
    if (m->computation == ISMS_METHOD_MATRIX)
        return m->matrix[m->n_likelihood - 1][m->n_impact - 1];
    return m->n_likelihood * m->n_impact;
}

/* Marks every score the method can produce in `can` (size ISMS_METHOD_SCORE_MAX + 1). */
static void achievable_scores(const struct isms_risk_method *m, unsigned char *can)
{
    memset(can, 0, ISMS_METHOD_SCORE_MAX + 1);
    for (int l = 1; l <= m->n_likelihood; l++)
        for (int i = 1; i <= m->n_impact; i++) {
            int s = m->computation == ISMS_METHOD_MATRIX ? m->matrix[l - 1][i - 1] : l * i;

            can[s] = 1;
        }
}

/* Sorts the bands by min_score (insertion sort: at most ten). */
static void sort_bands(struct isms_risk_method *m)
{
    for (int k = 1; k < m->n_bands; k++) {
        struct isms_risk_band b = m->bands[k];
        int j = k - 1;

        while (j >= 0 && m->bands[j].min_score > b.min_score) {
            m->bands[j + 1] = m->bands[j];
            j--;
        }
        m->bands[j + 1] = b;
    }
}

static enum isms_code check_bands(struct isms_risk_method *m, struct isms_status *st)
{
    unsigned char can[ISMS_METHOD_SCORE_MAX + 1];
    int lo = isms_method_min_score(m), hi = isms_method_max_score(m);

    if (m->n_bands < 1 || m->n_bands > ISMS_METHOD_BANDS_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "a method needs 1 to %d risk levels, got %d", ISMS_METHOD_BANDS_MAX,
                               m->n_bands);
    for (int k = 0; k < m->n_bands; k++) {
        const struct isms_risk_band *b = &m->bands[k];
        char field[48];

        snprintf(field, sizeof(field), "risk level %d name", k + 1);
        if (isms_text_check(field, b->name, ISMS_METHOD_LABEL_MAX, 1, st) != ISMS_OK)
            return st->code;
        for (int j = 0; j < k; j++)
            if (strcasecmp(m->bands[j].name, b->name) == 0)
                return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                       "two risk levels are named \"%s\"", b->name);
        if (b->min_score > b->max_score)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "risk level \"%s\" runs from %d down to %d: its lowest score "
                                   "must not exceed its highest",
                                   b->name, b->min_score, b->max_score);
    }
    sort_bands(m);
    if (m->bands[0].min_score != lo)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "risk levels must start at the lowest possible score %d, but \"%s\" "
                               "starts at %d",
                               lo, m->bands[0].name, m->bands[0].min_score);
    for (int k = 1; k < m->n_bands; k++) {
        const struct isms_risk_band *p = &m->bands[k - 1], *b = &m->bands[k];

        if (b->min_score <= p->max_score)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "risk levels \"%s\" (%d-%d) and \"%s\" (%d-%d) overlap: a "
                                   "score must have exactly one level",
                                   p->name, p->min_score, p->max_score, b->name, b->min_score,
                                   b->max_score);
        if (b->min_score == p->max_score + 2)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "score %d lies between risk levels \"%s\" and \"%s\" and has "
                                   "no level",
                                   p->max_score + 1, p->name, b->name);
        if (b->min_score > p->max_score + 2)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "scores %d to %d lie between risk levels \"%s\" and \"%s\" "
                                   "and have no level",
                                   p->max_score + 1, b->min_score - 1, p->name, b->name);
    }
    if (m->bands[m->n_bands - 1].max_score != hi)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "risk levels must end at the highest possible score %d, but \"%s\" "
                               "ends at %d",
                               hi, m->bands[m->n_bands - 1].name,
                               m->bands[m->n_bands - 1].max_score);
    achievable_scores(m, can);
    for (int k = 0; k < m->n_bands; k++) {
        const struct isms_risk_band *b = &m->bands[k];
        int any = 0;

        for (int s = b->min_score; s <= b->max_score && !any; s++)
            any = can[s];
        if (!any)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "risk level \"%s\" (%d-%d) holds no score the method can "
                                   "produce",
                                   b->name, b->min_score, b->max_score);
    }
    return ISMS_OK;
}

enum isms_code isms_method_check(struct isms_risk_method *m, struct isms_status *st)
{
    int hi;

    if (check_scale("likelihood", m->likelihood, m->n_likelihood, st) != ISMS_OK ||
        check_scale("impact", m->impact, m->n_impact, st) != ISMS_OK)
        return st->code;
    if (m->computation != ISMS_METHOD_PRODUCT && m->computation != ISMS_METHOD_MATRIX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "computation must be product or matrix");
    if (m->computation == ISMS_METHOD_MATRIX && check_matrix(m, st) != ISMS_OK)
        return st->code;
    if (isms_text_check("note", m->note, ISMS_METHOD_NOTE_MAX, 0, st) != ISMS_OK)
        return st->code;
    if (check_bands(m, st) != ISMS_OK)
        return st->code;
    hi = isms_method_max_score(m);
    if (m->appetite < 0 || m->appetite > hi)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "appetite must be a score from 0 to %d (the highest possible), got "
                               "%d",
                               hi, m->appetite);
    return ISMS_OK;
}

enum isms_code isms_method_score(const struct isms_risk_method *m, const char *what, int likelihood,
                                 int impact, int *score, struct isms_status *st)
{
    if (likelihood < 1 || likelihood > m->n_likelihood)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "%s likelihood %d is outside the scale 1-%d of method version %lld",
                               what, likelihood, m->n_likelihood, (long long)m->version);
    if (impact < 1 || impact > m->n_impact)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "%s impact %d is outside the scale 1-%d of method version %lld",
                               what, impact, m->n_impact, (long long)m->version);
    *score = m->computation == ISMS_METHOD_MATRIX ? m->matrix[likelihood - 1][impact - 1]
                                                  : likelihood * impact;
    return ISMS_OK;
}

int isms_method_band_index(const struct isms_risk_method *m, int score)
{
    for (int k = 0; k < m->n_bands; k++)
        if (score >= m->bands[k].min_score && score <= m->bands[k].max_score)
            return k;
    return -1;
}

const char *isms_method_level(const struct isms_risk_method *m, int score)
{
    int k = isms_method_band_index(m, score);

    return k < 0 ? NULL : m->bands[k].name;
}

/* ---- PostgreSQL array literals ---------------------------------------------------------- */

/* Counts the elements of a well-formed-looking literal (an upper bound for allocation). */
static size_t count_upper_bound(const char *s)
{
    size_t n = 1;

    for (; *s != '\0'; s++)
        n += *s == ',';
    return n;
}

int isms_pg_array_parse(struct isms_arena *a, const char *lit, char ***out, size_t *n)
{
    const char *p = lit;
    char **items;
    size_t cap, k = 0;

    *out = NULL;
    *n = 0;
    if (lit == NULL || lit[0] == '\0') {
        *out = isms_arena_calloc(a, sizeof(char *));
        return *out == NULL ? -1 : 0;
    }
    if (*p != '{')
        return -1;
    p++;
    cap = count_upper_bound(lit);
    items = isms_arena_calloc(a, sizeof(char *) * (cap + 1));
    if (items == NULL)
        return -1;
    if (*p == '}') {
        *out = items;
        return p[1] == '\0' ? 0 : -1;
    }
    for (;;) {
        if (*p == '"') {
            const char *q = ++p;
            size_t len = 0;
            char *e;

            /* First pass: length after unescaping. */
            while (*q != '"') {
                if (*q == '\0')
                    return -1;
                if (*q == '\\') {
                    q++;
                    if (*q == '\0')
                        return -1;
                }
                q++;
                len++;
            }
            e = isms_arena_alloc(a, len + 1);
            if (e == NULL)
                return -1;
            len = 0;
            while (*p != '"') {
                if (*p == '\\')
                    p++;
                e[len++] = *p++;
            }
            e[len] = '\0';
            p++;
            items[k++] = e;
        } else {
            const char *q = p;
            size_t len;

            while (*q != ',' && *q != '}') {
                if (*q == '\0' || *q == '"' || *q == '{')
                    return -1;
                q++;
            }
            len = (size_t)(q - p);
            if (len == 0)
                return -1;
            if (len == 4 && strncasecmp(p, "NULL", 4) == 0) {
                items[k++] = NULL;
            } else {
                char *e = isms_arena_alloc(a, len + 1);

                if (e == NULL)
                    return -1;
                memcpy(e, p, len);
                e[len] = '\0';
                items[k++] = e;
            }
            p = q;
        }
        if (k > cap)
            return -1;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '}' && p[1] == '\0')
            break;
        return -1;
    }
    *out = items;
    *n = k;
    return 0;
}

char *isms_pg_array_text(struct isms_arena *a, const char *const *items, size_t n)
{
    size_t len = 3, k = 0;
    char *out;

    for (size_t i = 0; i < n; i++) {
        len += 5; /* quotes, comma, or NULL */
        for (const char *s = items[i]; s != NULL && *s != '\0'; s++)
            len += (*s == '"' || *s == '\\') ? 2 : 1;
    }
    out = isms_arena_alloc(a, len);
    if (out == NULL)
        return NULL;
    out[k++] = '{';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            out[k++] = ',';
        if (items[i] == NULL) {
            memcpy(out + k, "NULL", 4);
            k += 4;
            continue;
        }
        out[k++] = '"';
        for (const char *s = items[i]; *s != '\0'; s++) {
            if (*s == '"' || *s == '\\')
                out[k++] = '\\';
            out[k++] = *s;
        }
        out[k++] = '"';
    }
    out[k++] = '}';
    out[k] = '\0';
    return out;
}

char *isms_pg_array_int(struct isms_arena *a, const int64_t *items, const unsigned char *is_null,
                        size_t n)
{
    size_t cap = 3 + n * 22, k = 0;
    char *out = isms_arena_alloc(a, cap);

    if (out == NULL)
        return NULL;
    out[k++] = '{';
    for (size_t i = 0; i < n; i++) {
        int w;

        if (i > 0)
            out[k++] = ',';
        if (is_null != NULL && is_null[i])
            w = snprintf(out + k, cap - k, "NULL");
        else
            w = snprintf(out + k, cap - k, "%lld", (long long)items[i]);
        k += (size_t)w;
    }
    out[k++] = '}';
    out[k] = '\0';
    return out;
}
