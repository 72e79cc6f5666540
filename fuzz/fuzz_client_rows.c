/* fuzz/fuzz_client_rows.c — asset rows back to AssetRecords and a field-by-field comparison, so
 * the client fuzz targets can check that what a reader accepts survives write-then-read. */
#define _GNU_SOURCE /* open_memstream */
#include "fuzz_client_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void isms_fuzz_rows_write(const struct isms_asset_file *f, enum isms_asset_format fmt, char **out,
                          size_t *len)
{
    FILE *fp = open_memstream(out, len);

    if (fp == NULL || !isms_asset_write_begin(fp, fmt))
        abort();
    for (size_t i = 0; i < f->n; i++) {
        const struct isms_asset_row *r = &f->rows[i];
        Isms__V1__AssetRecord a = ISMS__V1__ASSET_RECORD__INIT;
        Isms__V1__AssetRef *refs = calloc(r->ndepends_on + 1, sizeof(*refs));
        Isms__V1__AssetRef **ref_ptrs = calloc(r->ndepends_on + 1, sizeof(*ref_ptrs));

        if (refs == NULL || ref_ptrs == NULL)
            abort();
        for (size_t k = 0; k < r->ndepends_on; k++) {
            isms__v1__asset_ref__init(&refs[k]);
            refs[k].id = "";
            refs[k].name = r->depends_on[k];
            ref_ptrs[k] = &refs[k];
        }
        a.id = "";
        a.name = r->name;
        a.type = r->type;
        a.description = r->description;
        a.owner = r->owner;
        a.custodian = r->custodian;
        a.location = r->location;
        a.classification = r->classification;
        a.confidentiality = r->confidentiality;
        a.integrity = r->integrity;
        a.availability = r->availability;
        a.tags = r->tags;
        a.n_tags = r->ntags;
        a.status = r->status;
        a.depends_on = ref_ptrs;
        a.n_depends_on = r->ndepends_on;
        a.created_at = a.created_by = a.updated_at = a.updated_by = "";
        if (!isms_asset_write_row(fp, fmt, &a, i == 0))
            abort();
        free(refs);
        free(ref_ptrs);
    }
    if (!isms_asset_write_end(fp, fmt, f->n == 0) || fclose(fp) != 0)
        abort();
}

static void same_str(const char *field, size_t row, const char *a, const char *b)
{
    if (strcmp(a, b) != 0) {
        fprintf(stderr, "row %zu: %s differs after a round trip: \"%s\" vs \"%s\"\n", row + 1,
                field, a, b);
        abort();
    }
}

static void same_list(const char *field, size_t row, char *const *a, size_t na, char *const *b,
                      size_t nb)
{
    if (na != nb) {
        fprintf(stderr, "row %zu: %s has %zu items, then %zu\n", row + 1, field, na, nb);
        abort();
    }
    for (size_t k = 0; k < na; k++)
        same_str(field, row, a[k], b[k]);
}

void isms_fuzz_rows_same(const struct isms_asset_file *a, const struct isms_asset_file *b)
{
    if (a->n != b->n) {
        fprintf(stderr, "%zu assets, then %zu\n", a->n, b->n);
        abort();
    }
    for (size_t i = 0; i < a->n; i++) {
        const struct isms_asset_row *x = &a->rows[i], *y = &b->rows[i];

        same_str("name", i, x->name, y->name);
        same_str("type", i, x->type, y->type);
        same_str("description", i, x->description, y->description);
        same_str("owner", i, x->owner, y->owner);
        same_str("custodian", i, x->custodian, y->custodian);
        same_str("location", i, x->location, y->location);
        same_str("classification", i, x->classification, y->classification);
        same_str("status", i, x->status, y->status);
        if (x->confidentiality != y->confidentiality || x->integrity != y->integrity ||
            x->availability != y->availability) {
            fprintf(stderr, "row %zu: a CIA value differs after a round trip\n", i + 1);
            abort();
        }
        same_list("tags", i, x->tags, x->ntags, y->tags, y->ntags);
        same_list("depends_on", i, x->depends_on, x->ndepends_on, y->depends_on, y->ndepends_on);
    }
}
