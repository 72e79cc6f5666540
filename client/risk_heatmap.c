/* client/risk_heatmap.c — the heat map `risk matrix` prints in table format: likelihood rows
 * (highest first), impact columns, inherent and residual grids side by side, one method
 * version's grid with only the risks assessed with that version; a level letter per cell
 * (ANSI 256-colour backgrounds only when the caller says so), '|' on the appetite line, and
 * with ids the risks of each occupied cell. Pure rendering to a FILE. */
#include <inttypes.h>
#include <string.h>

#include "risk_view.h"

#define NCOLS(a)   (sizeof(a) / sizeof((a)[0]))
#define LABEL_COLS 16 /* row labels */
#define CELL_COLS  6  /* separator, "%3s %c": count, level mark */

/* 256-colour backgrounds from green to red; a band gets one by its rank among the bands. */
static const int heat[] = {28, 70, 178, 208, 166, 160};

static int band_colour(size_t band, size_t nbands)
{
    size_t last = NCOLS(heat) - 1;

    if (nbands <= 1)
        return heat[0];
    return heat[(band * last + (nbands - 1) / 2) / (nbands - 1)];
}

static size_t band_of(const Isms__V1__RiskMethod *m, int32_t score)
{
    for (size_t k = 0; k < m->n_levels; k++)
        if (score >= m->levels[k]->min_score && score <= m->levels[k]->max_score)
            return k;
    return 0;
}

/* One letter per band for the plain heat map: first letters, or digits if two clash. */
static void band_marks(const Isms__V1__RiskMethod *m, char *marks)
{
    bool clash = false;

    for (size_t k = 0; k < m->n_levels && k < 10; k++) {
        char c = m->levels[k]->name[0];

        marks[k] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        if ((unsigned char)marks[k] < 0x21 || (unsigned char)marks[k] > 0x7e)
            clash = true;
        for (size_t j = 0; j < k; j++)
            clash |= marks[j] == marks[k];
    }
    for (size_t k = 0; clash && k < m->n_levels && k < 10; k++)
        marks[k] = (char)('1' + k);
}

/* Writes `s` cut to `width` display columns (bytes that are not printable ASCII become '?'),
 * padded with spaces when `pad`. */
static void put_label(FILE *fp, const char *s, size_t width, bool pad)
{
    size_t n = 0;

    for (; *s != '\0' && n < width; s++, n++)
        fputc((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?', fp);
    for (; pad && n < width; n++)
        fputc(' ', fp);
}

/* Whether the appetite line runs just left of cell (l, i): it scores above the appetite and
 * its left neighbour (if any) does not. */
static bool line_before(const Isms__V1__RiskMatrix *x, size_t l, size_t i)
{
    const Isms__V1__RiskMethod *m = x->method;
    int32_t appetite = m->appetite;

    if (x->cells[l * m->n_impact + i]->score <= appetite)
        return false;
    return i == 0 || x->cells[l * m->n_impact + i - 1]->score <= appetite;
}

static void print_grid_row(FILE *fp, const Isms__V1__RiskMatrix *x, size_t l, bool residual,
                           bool colour, const char *marks)
{
    const Isms__V1__RiskMethod *m = x->method;

    for (size_t i = 0; i < m->n_impact; i++) {
        const Isms__V1__MatrixCell *c = x->cells[l * m->n_impact + i];
        int64_t n = residual ? c->residual : c->inherent;
        size_t band = band_of(m, c->score);
        char num[24];

        snprintf(num, sizeof(num), "%" PRId64, n);
        fputc(line_before(x, l, i) ? '|' : ' ', fp);
        if (colour)
            fprintf(fp, "\x1b[30;48;5;%dm", band_colour(band, m->n_levels));
        fprintf(fp, "%3s %c", n > 0 ? num : ".", band < 10 ? marks[band] : ' ');
        if (colour)
            fputs("\x1b[0m", fp);
    }
}

/* The occupied cells and their risks: "L x I (score level): inherent; residual R-3". */
static void print_ids(FILE *fp, const Isms__V1__RiskMatrix *x)
{
    const Isms__V1__RiskMethod *m = x->method;
    bool any = false;

    fputs("\nrisks per cell (likelihood x impact):\n", fp);
    for (size_t l = m->n_likelihood; l-- > 0;) {
        for (size_t i = 0; i < m->n_impact; i++) {
            const Isms__V1__MatrixCell *c = x->cells[l * m->n_impact + i];

            if (c->n_inherent_ids == 0 && c->n_residual_ids == 0)
                continue;
            any = true;
            fprintf(fp, "  %zu x %zu (%d ", l + 1, i + 1, c->score);
            put_label(fp, c->level, 40, false);
            fputs(")", fp);
            for (int side = 0; side < 2; side++) {
                char *const *ids = side == 0 ? c->inherent_ids : c->residual_ids;
                size_t n = side == 0 ? c->n_inherent_ids : c->n_residual_ids;

                if (n == 0)
                    continue;
                fprintf(fp, "%s %s ", side == 0 || c->n_inherent_ids == 0 ? ":" : ";",
                        side == 0 ? "inherent" : "residual");
                for (size_t k = 0; k < n; k++) {
                    fputs(k > 0 ? "," : "", fp);
                    put_label(fp, ids[k], 24, false);
                }
            }
            fputc('\n', fp);
        }
    }
    if (!any)
        fputs("  none\n", fp);
}

void isms_risk_print_matrix(FILE *fp, const Isms__V1__RiskMatrix *x, bool colour, bool ids)
{
    const Isms__V1__RiskMethod *m = x->method;
    size_t grid = m->n_impact * CELL_COLS;
    char marks[10] = {0};

    band_marks(m, marks);
    fprintf(fp,
            "risk heat map, method version %" PRId64 " (%zu x %zu, appetite %d), risks assessed "
            "with it: %" PRId64 "\n",
            m->version, m->n_likelihood, m->n_impact, m->appetite, x->assessed);
    if (x->other_version > 0) {
        fprintf(fp, "note: %" PRId64 " risk%s assessed with method version%s", x->other_version,
                x->other_version == 1 ? "" : "s", x->n_other_versions == 1 ? "" : "s");
        for (size_t k = 0; k < x->n_other_versions; k++)
            fprintf(fp, "%s %" PRId64, k > 0 ? "," : "", x->other_versions[k]);
        fprintf(fp, " (not on this grid: risk matrix --version %" PRId64 ")\n",
                x->n_other_versions > 0 ? x->other_versions[0] : (int64_t)0);
    }
    fputc('\n', fp);
    fprintf(fp, "%*s ", LABEL_COLS + 3, "");
    put_label(fp, "inherent", grid, true);
    fputs("    current (residual once the treatment is implemented, else inherent)\n", fp);
    fprintf(fp, "%-*s ", LABEL_COLS + 3, "likelihood \\ impact");
    for (int side = 0; side < 2; side++) {
        for (size_t i = 0; i < m->n_impact; i++)
            fprintf(fp, " %3zu%s", i + 1, side == 1 && i + 1 == m->n_impact ? "" : "  ");
        if (side == 0)
            fputs("    ", fp);
    }
    fputc('\n', fp);
    for (size_t r = m->n_likelihood; r-- > 0;) {
        fprintf(fp, "%2zu ", r + 1);
        put_label(fp, m->likelihood[r]->label, LABEL_COLS, true);
        fputc(' ', fp);
        print_grid_row(fp, x, r, false, colour, marks);
        fputs("    ", fp);
        print_grid_row(fp, x, r, true, colour, marks);
        fputc('\n', fp);
    }
    fprintf(fp, "\n| appetite line: cells to its right score above the appetite (%d)\n",
            m->appetite);
    fputs("levels: ", fp);
    for (size_t k = 0; k < m->n_levels; k++) {
        if (colour)
            fprintf(fp, "%s\x1b[30;48;5;%dm %c=", k > 0 ? "  " : "", band_colour(k, m->n_levels),
                    k < 10 ? marks[k] : '?');
        else
            fprintf(fp, "%s%c=", k > 0 ? "  " : "", k < 10 ? marks[k] : '?');
        put_label(fp, m->levels[k]->name, strlen(m->levels[k]->name), false);
        fprintf(fp, " %d-%d%s", m->levels[k]->min_score, m->levels[k]->max_score,
                colour ? " \x1b[0m" : "");
    }
    fputs("\nimpact:", fp);
    for (size_t i = 0; i < m->n_impact; i++) {
        fprintf(fp, "%s %zu ", i > 0 ? "," : "", i + 1);
        put_label(fp, m->impact[i]->label, strlen(m->impact[i]->label), false);
    }
    fputc('\n', fp);
    if (ids)
        print_ids(fp, x);
}
