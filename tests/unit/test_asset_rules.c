/* tests/unit/test_asset_rules.c — asset inventory validation (domain/plan/asset_rules.h): every
 * bad field of an asset with its exact code and message, normalisation (type, status,
 * classification and tags), import batches (row numbers, duplicates, cycles), classification
 * levels, ids, sort orders and the keyset page tokens of Asset/List. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "domain/plan/asset_rules.h"

static const char *const default_levels[] = {"public", "internal", "confidential", "restricted"};
static const struct isms_asset_limits lim5 = {5, default_levels, 4};

/* A heap string of `n` copies of `unit`. */
static char *repeat(const char *unit, size_t n)
{
    size_t ul = strlen(unit);
    char *s = malloc(ul * n + 1);

    cr_assert_not_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * ul, unit, ul);
    s[ul * n] = '\0';
    return s;
}

/* A valid asset with writable strings; `hold` keeps them alive. */
struct fixture {
    char name[256], description[64], owner[32], custodian[32], location[32], classification[64];
    char tag0[80], tag1[80], tag2[80], dep0[256];
    char *tags[40];
    char *deps[120];
    struct isms_asset_input in;
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%s", "Customer DB");
    snprintf(f->description, sizeof(f->description), "%s", "CRM database");
    snprintf(f->owner, sizeof(f->owner), "%s", "alice");
    snprintf(f->custodian, sizeof(f->custodian), "%s", "bob");
    snprintf(f->location, sizeof(f->location), "%s", "DC1");
    snprintf(f->classification, sizeof(f->classification), "%s", "confidential");
    snprintf(f->tag0, sizeof(f->tag0), "%s", "gdpr");
    snprintf(f->tag1, sizeof(f->tag1), "%s", "crm");
    snprintf(f->dep0, sizeof(f->dep0), "%s", "Server 1");
    f->tags[0] = f->tag0;
    f->tags[1] = f->tag1;
    f->deps[0] = f->dep0;
    f->in.name = f->name;
    f->in.type = "information";
    f->in.description = f->description;
    f->in.owner = f->owner;
    f->in.custodian = f->custodian;
    f->in.location = f->location;
    f->in.classification = f->classification;
    f->in.status = "active";
    f->in.confidentiality = 3;
    f->in.integrity = 3;
    f->in.availability = 2;
    f->in.tags = f->tags;
    f->in.ntags = 2;
    f->in.depends_on = f->deps;
    f->in.ndepends_on = 1;
}

static void expect(enum isms_code rc, const struct isms_status *st, enum isms_code code,
                   const char *msg)
{
    cr_assert_eq(rc, code, "code %d, want %d (%s)", rc, code, st->msg);
    cr_assert_eq(st->code, code);
    cr_assert_str_eq(st->msg, msg);
}

Test(asset_rules, valid_asset_passes)
{
    struct fixture f;
    struct isms_status st;

    fixture_init(&f);
    cr_assert_eq(isms_asset_check(&f.in, ISMS_ASSET_F_ALL, &lim5, &st), ISMS_OK, "%s", st.msg);
}

/* ---- every bad field ----------------------------------------------------------------------- */

enum field {
    F_NAME,
    F_TYPE,
    F_DESCRIPTION,
    F_OWNER,
    F_CUSTODIAN,
    F_LOCATION,
    F_CLASSIFICATION,
    F_C,
    F_I,
    F_A,
    F_TAG,
    F_NTAGS,
    F_STATUS,
    F_DEP,
    F_NDEPS,
};

struct bad_case {
    enum field field;
    char value[24]; /* "@<n>": n copies of 'x' (arrays, not pointers: each case runs in a
                     * child process, where the parent's pointers mean nothing) */
    int number;     /* C/I/A value, or a count of tags / dependencies */
    enum isms_code code;
    char msg[160];
};

ParameterizedTestParameters(asset_rules, bad_input)
{
    static struct bad_case cases[] = {
        {F_NAME, "", 0, ISMS_INVALID_ARGUMENT, "name must not be empty"},
        {F_NAME, "   ", 0, ISMS_INVALID_ARGUMENT, "name must not be empty"},
        {F_NAME, "@201", 0, ISMS_INVALID_ARGUMENT,
         "name is too long: 201 characters, at most 200 allowed"},
        {F_NAME, "\xC3\x28", 0, ISMS_INVALID_ARGUMENT, "name is not valid UTF-8"},
        {F_NAME, "a\tb", 0, ISMS_INVALID_ARGUMENT,
         "name must not contain control characters (tab, newline, ...)"},
        {F_NAME, " DB", 0, ISMS_INVALID_ARGUMENT,
         "name must not start or end with a space: \" DB\""},
        {F_NAME, "DB ", 0, ISMS_INVALID_ARGUMENT,
         "name must not start or end with a space: \"DB \""},
        {F_NAME, "A-12", 0, ISMS_INVALID_ARGUMENT,
         "name \"A-12\" looks like an asset id (A-<n>); choose another name"},
        {F_NAME, "a-7", 0, ISMS_INVALID_ARGUMENT,
         "name \"a-7\" looks like an asset id (A-<n>); choose another name"},
        {F_TYPE, "", 0, ISMS_INVALID_ARGUMENT,
         "type is required: one of information, software, hardware, service, people, site, "
         "supplier"},
        {F_TYPE, "car", 0, ISMS_INVALID_ARGUMENT,
         "type must be one of information, software, hardware, service, people, site, "
         "supplier; got \"car\""},
        {F_TYPE, "\xC3\x28", 0, ISMS_INVALID_ARGUMENT, "type is not valid UTF-8"},
        {F_DESCRIPTION, "@10001", 0, ISMS_INVALID_ARGUMENT,
         "description is too long: 10001 characters, at most 10000 allowed"},
        {F_DESCRIPTION, "ok \xC3\x28", 0, ISMS_INVALID_ARGUMENT, "description is not valid UTF-8"},
        {F_OWNER, "", 0, ISMS_INVALID_ARGUMENT, "owner must not be empty"},
        {F_OWNER, "@201", 0, ISMS_INVALID_ARGUMENT,
         "owner is too long: 201 characters, at most 200 allowed"},
        {F_OWNER, "\xFF", 0, ISMS_INVALID_ARGUMENT, "owner is not valid UTF-8"},
        {F_CUSTODIAN, "@201", 0, ISMS_INVALID_ARGUMENT,
         "custodian is too long: 201 characters, at most 200 allowed"},
        {F_CUSTODIAN, "\xC0\xAF", 0, ISMS_INVALID_ARGUMENT, "custodian is not valid UTF-8"},
        {F_LOCATION, "@201", 0, ISMS_INVALID_ARGUMENT,
         "location is too long: 201 characters, at most 200 allowed"},
        {F_LOCATION, "\xED\xA0\x80", 0, ISMS_INVALID_ARGUMENT, "location is not valid UTF-8"},
        {F_CLASSIFICATION, "", 0, ISMS_INVALID_ARGUMENT,
         "classification is required: one of public, internal, confidential, restricted"},
        {F_CLASSIFICATION, "secret", 0, ISMS_INVALID_ARGUMENT,
         "classification must be one of public, internal, confidential, restricted; got "
         "\"secret\""},
        {F_CLASSIFICATION, "\xC3\x28", 0, ISMS_INVALID_ARGUMENT,
         "classification is not valid UTF-8"},
        {F_CLASSIFICATION, "@41", 0, ISMS_INVALID_ARGUMENT,
         "classification is too long: 41 characters, at most 40 allowed"},
        {F_C, "", 0, ISMS_INVALID_ARGUMENT, "confidentiality must be between 1 and 5, got 0"},
        {F_C, "", 6, ISMS_INVALID_ARGUMENT, "confidentiality must be between 1 and 5, got 6"},
        {F_C, "", -1, ISMS_INVALID_ARGUMENT, "confidentiality must be between 1 and 5, got -1"},
        {F_I, "", 9, ISMS_INVALID_ARGUMENT, "integrity must be between 1 and 5, got 9"},
        {F_I, "", 0, ISMS_INVALID_ARGUMENT, "integrity must be between 1 and 5, got 0"},
        {F_A, "", 11, ISMS_INVALID_ARGUMENT, "availability must be between 1 and 5, got 11"},
        {F_A, "", 0, ISMS_INVALID_ARGUMENT, "availability must be between 1 and 5, got 0"},
        {F_TAG, "", 0, ISMS_INVALID_ARGUMENT, "tag must not be empty"},
        {F_TAG, "a b", 0, ISMS_INVALID_ARGUMENT,
         "tag \"a b\" must not contain spaces, commas, semicolons or control characters"},
        {F_TAG, "a,b", 0, ISMS_INVALID_ARGUMENT,
         "tag \"a,b\" must not contain spaces, commas, semicolons or control characters"},
        {F_TAG, "a;b", 0, ISMS_INVALID_ARGUMENT,
         "tag \"a;b\" must not contain spaces, commas, semicolons or control characters"},
        {F_TAG, "a\nb", 0, ISMS_INVALID_ARGUMENT,
         "tag \"a\nb\" must not contain spaces, commas, semicolons or control characters"},
        {F_TAG, "@65", 0, ISMS_INVALID_ARGUMENT,
         "tag is too long: 65 characters, at most 64 allowed"},
        {F_TAG, "\xC3\x28", 0, ISMS_INVALID_ARGUMENT, "tag is not valid UTF-8"},
        {F_NTAGS, "", 33, ISMS_INVALID_ARGUMENT, "at most 32 tags allowed, got 33"},
        {F_STATUS, "gone", 0, ISMS_INVALID_ARGUMENT,
         "status must be active or retired; got \"gone\""},
        {F_STATUS, "\xC3\x28", 0, ISMS_INVALID_ARGUMENT, "status is not valid UTF-8"},
        {F_DEP, "", 0, ISMS_INVALID_ARGUMENT, "depends_on must not be empty"},
        {F_DEP, "@201", 0, ISMS_INVALID_ARGUMENT,
         "depends_on is too long: 201 characters, at most 200 allowed"},
        {F_DEP, "\xC3\x28", 0, ISMS_INVALID_ARGUMENT, "depends_on is not valid UTF-8"},
        {F_NDEPS, "", 101, ISMS_INVALID_ARGUMENT,
         "at most 100 depends_on entries allowed, got 101"},
    };

    return cr_make_param_array(struct bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* A writable copy of a case's value ("@<n>" expands to n 'x'). */
static char *case_value(const struct bad_case *c)
{
    if (c->value[0] == '@')
        return repeat("x", (size_t)strtol(c->value + 1, NULL, 10));
    return strdup(c->value);
}

ParameterizedTest(struct bad_case *c, asset_rules, bad_input)
{
    struct fixture f;
    struct isms_status st;
    char *v = case_value(c);

    fixture_init(&f);
    switch (c->field) {
    case F_NAME:
        f.in.name = v;
        break;
    case F_TYPE:
        f.in.type = v;
        break;
    case F_DESCRIPTION:
        f.in.description = v;
        break;
    case F_OWNER:
        f.in.owner = v;
        break;
    case F_CUSTODIAN:
        f.in.custodian = v;
        break;
    case F_LOCATION:
        f.in.location = v;
        break;
    case F_CLASSIFICATION:
        f.in.classification = v;
        break;
    case F_C:
        f.in.confidentiality = c->number;
        break;
    case F_I:
        f.in.integrity = c->number;
        break;
    case F_A:
        f.in.availability = c->number;
        break;
    case F_TAG:
        f.tags[1] = v;
        break;
    case F_NTAGS:
        for (int i = 0; i < c->number; i++)
            f.tags[i] = f.tag0;
        f.in.ntags = (size_t)c->number;
        break;
    case F_STATUS:
        f.in.status = v;
        break;
    case F_DEP:
        f.deps[0] = v;
        break;
    case F_NDEPS:
        for (int i = 0; i < c->number; i++)
            f.deps[i] = f.dep0;
        f.in.ndepends_on = (size_t)c->number;
        break;
    }
    expect(isms_asset_check(&f.in, ISMS_ASSET_F_ALL, &lim5, &st), &st, c->code, c->msg);
    free(v);
}

/* ---- normalisation and scales -------------------------------------------------------------- */

Test(asset_rules, normalises_type_status_classification_and_tags)
{
    struct fixture f;
    struct isms_status st;

    fixture_init(&f);
    f.in.type = "Software";
    f.in.status = "";
    snprintf(f.classification, sizeof(f.classification), "Confidential");
    snprintf(f.tag0, sizeof(f.tag0), "GDPR");
    snprintf(f.tag1, sizeof(f.tag1), "gdpr");
    snprintf(f.tag2, sizeof(f.tag2), "Crm");
    f.tags[2] = f.tag2;
    f.in.ntags = 3;
    cr_assert_eq(isms_asset_check(&f.in, ISMS_ASSET_F_ALL, &lim5, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(f.in.type, "software");
    cr_assert_str_eq(f.in.status, "active");
    cr_assert_str_eq(f.in.classification, "confidential");
    cr_assert_eq(f.in.ntags, 2);
    cr_assert_str_eq(f.in.tags[0], "gdpr");
    cr_assert_str_eq(f.in.tags[1], "crm");
}

Test(asset_rules, scale_follows_the_methodology)
{
    static const struct isms_asset_limits lim7 = {7, default_levels, 4};
    static const struct isms_asset_limits lim3 = {3, default_levels, 4};
    struct fixture f;
    struct isms_status st;

    fixture_init(&f);
    f.in.confidentiality = 7;
    cr_assert_eq(isms_asset_check(&f.in, ISMS_ASSET_F_ALL, &lim7, &st), ISMS_OK);
    f.in.integrity = 4;
    expect(isms_asset_check(&f.in, ISMS_ASSET_F_ALL, &lim3, &st), &st, ISMS_INVALID_ARGUMENT,
           "confidentiality must be between 1 and 3, got 7");
}

Test(asset_rules, no_levels_known_skips_membership_only)
{
    static const struct isms_asset_limits shape = {ISMS_ASSET_CIA_LIMIT, NULL, 0};
    struct fixture f;
    struct isms_status st;

    fixture_init(&f);
    snprintf(f.classification, sizeof(f.classification), "Top Secret");
    f.in.availability = 10;
    cr_assert_eq(isms_asset_check(&f.in, ISMS_ASSET_F_ALL, &shape, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(f.in.classification, "top secret");
    f.in.availability = 11;
    expect(isms_asset_check(&f.in, ISMS_ASSET_F_ALL, &shape, &st), &st, ISMS_INVALID_ARGUMENT,
           "availability must be between 1 and 10, got 11");
}

Test(asset_rules, update_checks_only_flagged_fields)
{
    struct fixture f;
    struct isms_status st;

    fixture_init(&f);
    f.in.name = "";
    f.in.confidentiality = 0;
    f.in.status = "";
    cr_assert_eq(isms_asset_check(&f.in, ISMS_ASSET_F_OWNER, &lim5, &st), ISMS_OK);
    expect(isms_asset_check(&f.in, ISMS_ASSET_F_CONFIDENTIALITY, &lim5, &st), &st,
           ISMS_INVALID_ARGUMENT, "confidentiality must be between 1 and 5, got 0");
    expect(isms_asset_check(&f.in, ISMS_ASSET_F_STATUS, &lim5, &st), &st, ISMS_INVALID_ARGUMENT,
           "status is required: active or retired");
    f.in.status = "Retired";
    cr_assert_eq(isms_asset_check(&f.in, ISMS_ASSET_F_STATUS, &lim5, &st), ISMS_OK);
    cr_assert_str_eq(f.in.status, "retired");
}

Test(asset_rules, sql_metacharacters_are_plain_text)
{
    struct fixture f;
    struct isms_status st;

    fixture_init(&f);
    snprintf(f.name, sizeof(f.name), "%s", "Robert'); DROP TABLE asset;-- \"%s\" \\ %_");
    cr_assert_eq(isms_asset_check(&f.in, ISMS_ASSET_F_ALL, &lim5, &st), ISMS_OK, "%s", st.msg);
}

/* ---- import batches ------------------------------------------------------------------------ */

/* `n` valid rows named "asset 1".."asset n" without dependencies. */
static struct fixture *batch(size_t n, struct isms_asset_input *rows)
{
    struct fixture *f = calloc(n, sizeof(*f));

    cr_assert_not_null(f);
    for (size_t i = 0; i < n; i++) {
        fixture_init(&f[i]);
        snprintf(f[i].name, sizeof(f[i].name), "asset %zu", i + 1);
        f[i].in.ndepends_on = 0;
        rows[i] = f[i].in;
    }
    return f;
}

static void depend(struct fixture *f, struct isms_asset_input *rows, size_t row, const char *on)
{
    struct fixture *x = &f[row - 1];

    snprintf(x->dep0, sizeof(x->dep0), "%s", on);
    rows[row - 1].depends_on = x->deps;
    rows[row - 1].ndepends_on = 1;
}

Test(asset_rules, batch_error_names_row_and_field)
{
    struct isms_asset_input rows[9];
    struct fixture *f = batch(9, rows);
    struct isms_status st;
    size_t bad;

    rows[6].confidentiality = 9;
    expect(isms_asset_check_batch(rows, 9, &lim5, &bad, &st), &st, ISMS_INVALID_ARGUMENT,
           "row 7: confidentiality must be between 1 and 5, got 9");
    cr_assert_eq(bad, 7);
    free(f);
}

Test(asset_rules, batch_duplicate_name_is_already_exists)
{
    struct isms_asset_input rows[4];
    struct fixture *f = batch(4, rows);
    struct isms_status st;
    size_t bad;

    snprintf(f[3].name, sizeof(f[3].name), "ASSET 2");
    expect(isms_asset_check_batch(rows, 4, &lim5, &bad, &st), &st, ISMS_ALREADY_EXISTS,
           "row 4: name \"ASSET 2\" is already used by row 2");
    cr_assert_eq(bad, 4);
    free(f);
}

Test(asset_rules, batch_dependencies_within_batch_and_outside_pass)
{
    struct isms_asset_input rows[3];
    struct fixture *f = batch(3, rows);
    struct isms_status st;
    size_t bad;

    depend(f, rows, 1, "Asset 2");
    depend(f, rows, 2, "asset 3");
    depend(f, rows, 3, "Server outside the batch");
    cr_assert_eq(isms_asset_check_batch(rows, 3, &lim5, &bad, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(bad, 0);
    free(f);
}

Test(asset_rules, batch_cycle_is_failed_precondition)
{
    struct isms_asset_input rows[4];
    struct fixture *f = batch(4, rows);
    struct isms_status st;
    size_t bad;

    depend(f, rows, 1, "asset 2");
    depend(f, rows, 2, "asset 3");
    depend(f, rows, 3, "Asset 1");
    expect(isms_asset_check_batch(rows, 4, &lim5, &bad, &st), &st, ISMS_FAILED_PRECONDITION,
           "row 3: depends_on \"Asset 1\" closes a dependency cycle: asset 1 -> asset 2 -> "
           "asset 3 -> asset 1");
    cr_assert_eq(bad, 3);
    free(f);
}

Test(asset_rules, batch_self_dependency_is_failed_precondition)
{
    struct isms_asset_input rows[2];
    struct fixture *f = batch(2, rows);
    struct isms_status st;
    size_t bad;

    depend(f, rows, 2, "ASSET 2");
    expect(isms_asset_check_batch(rows, 2, &lim5, &bad, &st), &st, ISMS_FAILED_PRECONDITION,
           "row 2: depends_on \"ASSET 2\" is the asset itself; an asset cannot depend on itself");
    free(f);
}

Test(asset_rules, batch_size_limits)
{
    struct isms_asset_input rows[1];
    struct isms_status st;
    size_t bad;

    expect(isms_asset_check_batch(rows, 0, &lim5, &bad, &st), &st, ISMS_INVALID_ARGUMENT,
           "nothing to import: no assets given");
    expect(isms_asset_check_batch(rows, ISMS_ASSET_IMPORT_MAX + 1, &lim5, &bad, &st), &st,
           ISMS_INVALID_ARGUMENT, "at most 50000 assets per import, got 50001");
}

/* ---- classification levels ----------------------------------------------------------------- */

struct levels_case {
    char levels[12][48];
    size_t n;
    char msg[160];
};

ParameterizedTestParameters(asset_rules, bad_levels)
{
    static struct levels_case cases[] = {
        {{""}, 0, "at least one classification level is required"},
        {{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"},
         11,
         "at most 10 classification levels allowed, got 11"},
        {{""}, 1, "classification level must not be empty"},
        {{"-x"},
         1,
         "classification level \"-x\" may hold only letters a-z, digits, spaces, '-' and '_', "
         "and must start and end with a letter or digit"},
        {{"a,b"},
         1,
         "classification level \"a,b\" may hold only letters a-z, digits, spaces, '-' and '_', "
         "and must start and end with a letter or digit"},
        {{"public", "Public"}, 2, "classification level \"public\" is listed twice"},
        {{"\xC3\x28"}, 1, "classification level is not valid UTF-8"},
        {{"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
         1,
         "classification level is too long: 41 characters, at most 40 allowed"},
    };

    return cr_make_param_array(struct levels_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct levels_case *c, asset_rules, bad_levels)
{
    char *copy[12];
    struct isms_status st;

    for (size_t i = 0; i < c->n; i++)
        copy[i] = strdup(c->levels[i]);
    expect(isms_asset_check_levels(copy, c->n, &st), &st, ISMS_INVALID_ARGUMENT, c->msg);
    for (size_t i = 0; i < c->n; i++)
        free(copy[i]);
}

Test(asset_rules, levels_are_lower_cased)
{
    char a[] = "Public", b[] = "Top Secret";
    char *levels[] = {a, b};
    struct isms_status st;

    cr_assert_eq(isms_asset_check_levels(levels, 2, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(a, "public");
    cr_assert_str_eq(b, "top secret");
}

/* ---- ids, sorting, filters, page tokens ---------------------------------------------------- */

Test(asset_rules, parse_id)
{
    int64_t n = 0;

    cr_assert(isms_asset_parse_id("A-1", &n) && n == 1);
    cr_assert(isms_asset_parse_id("a-42", &n) && n == 42);
    cr_assert_not(isms_asset_parse_id("A-0", &n));
    cr_assert_not(isms_asset_parse_id("A-", &n));
    cr_assert_not(isms_asset_parse_id("A--1", &n));
    cr_assert_not(isms_asset_parse_id("B-1", &n));
    cr_assert_not(isms_asset_parse_id("A-1x", &n));
    cr_assert_not(isms_asset_parse_id("A-99999999999999999999", &n));
    cr_assert_not(isms_asset_parse_id("Customer DB", &n));
}

Test(asset_rules, sort_orders)
{
    enum isms_asset_sort s;
    struct isms_status st;

    cr_assert(isms_asset_sort_parse("", &s, &st) == ISMS_OK && s == ISMS_ASSET_SORT_ID);
    cr_assert(isms_asset_sort_parse("id", &s, &st) == ISMS_OK && s == ISMS_ASSET_SORT_ID);
    cr_assert(isms_asset_sort_parse("name", &s, &st) == ISMS_OK && s == ISMS_ASSET_SORT_NAME);
    cr_assert(isms_asset_sort_parse("updated_at", &s, &st) == ISMS_OK &&
              s == ISMS_ASSET_SORT_UPDATED);
    expect(isms_asset_sort_parse("size", &s, &st), &st, ISMS_INVALID_ARGUMENT,
           "sort must be id, name or updated_at; got \"size\"");
}

Test(asset_rules, filters_are_checked_and_normalised)
{
    char cls[] = "Confidential", tag[] = "GDPR", empty[] = "";
    const char *type = "Hardware", *status = "";
    struct isms_status st;

    cr_assert_eq(isms_asset_check_filters(&type, "bob", cls, tag, "db", &status, &st), ISMS_OK);
    cr_assert_str_eq(type, "hardware");
    cr_assert_str_eq(cls, "confidential");
    cr_assert_str_eq(tag, "gdpr");
    type = "car";
    expect(isms_asset_check_filters(&type, "", empty, empty, "", &status, &st), &st,
           ISMS_INVALID_ARGUMENT,
           "type must be one of information, software, hardware, service, people, site, "
           "supplier; got \"car\"");
    type = "";
    status = "gone";
    expect(isms_asset_check_filters(&type, "", empty, empty, "", &status, &st), &st,
           ISMS_INVALID_ARGUMENT, "status must be active or retired; got \"gone\"");
    status = "";
    expect(isms_asset_check_filters(&type, "\xC3\x28", empty, empty, "", &status, &st), &st,
           ISMS_INVALID_ARGUMENT, "owner is not valid UTF-8");
}

static void roundtrip(enum isms_asset_sort sort, int desc, int64_t num, const char *key)
{
    struct isms_asset_cursor c, back;
    struct isms_status st;
    char tok[ISMS_ASSET_TOKEN_MAX + 1];

    memset(&c, 0, sizeof(c));
    c.sort = sort;
    c.is_descending = desc;
    c.num = num;
    snprintf(c.key, sizeof(c.key), "%s", key);
    cr_assert(isms_asset_token_make(&c, tok, sizeof(tok)));
    cr_assert_eq(isms_asset_token_parse(tok, sort, desc, &back, &st), ISMS_OK, "%s: %s", tok,
                 st.msg);
    cr_assert_eq(back.num, num);
    cr_assert_str_eq(back.key, key);
}

Test(asset_rules, page_tokens_round_trip)
{
    roundtrip(ISMS_ASSET_SORT_ID, 0, 17, "");
    roundtrip(ISMS_ASSET_SORT_ID, 1, 1, "");
    roundtrip(ISMS_ASSET_SORT_NAME, 0, 3, "customer db. \"quoted\" \xC3\xA9");
    roundtrip(ISMS_ASSET_SORT_UPDATED, 1, 99, "1764081635738792");
}

struct token_case {
    char token[24];
    enum isms_asset_sort sort;
    int desc;
    char msg[128];
};

#define BAD_TOKEN "page_token is not one this server made; start again without it"
#define OTHER_ORDER                                                                                \
    "page_token belongs to a list in another order; use the same sort and direction, or start "    \
    "again without it"

ParameterizedTestParameters(asset_rules, bad_tokens)
{
    static struct token_case cases[] = {
        {"zz", ISMS_ASSET_SORT_ID, 0, BAD_TOKEN},
        {"xa.1.", ISMS_ASSET_SORT_ID, 0, BAD_TOKEN},
        {"ia.0.", ISMS_ASSET_SORT_ID, 0, BAD_TOKEN},
        {"ia.1", ISMS_ASSET_SORT_ID, 0, BAD_TOKEN},
        {"ia.1.61", ISMS_ASSET_SORT_ID, 0, BAD_TOKEN},
        {"na.1.", ISMS_ASSET_SORT_NAME, 0, BAD_TOKEN},
        {"na.1.c328", ISMS_ASSET_SORT_NAME, 0, BAD_TOKEN},
        {"na.1.6100", ISMS_ASSET_SORT_NAME, 0, BAD_TOKEN},
        {"na.1.6", ISMS_ASSET_SORT_NAME, 0, BAD_TOKEN},
        {"na.1.zz", ISMS_ASSET_SORT_NAME, 0, BAD_TOKEN},
        {"ua.1.61", ISMS_ASSET_SORT_UPDATED, 0, BAD_TOKEN},
        {"ia.1.", ISMS_ASSET_SORT_NAME, 0, OTHER_ORDER},
        {"ia.1.", ISMS_ASSET_SORT_ID, 1, OTHER_ORDER},
        {"\xC3\x28", ISMS_ASSET_SORT_ID, 0, "page_token is not valid UTF-8"},
    };

    return cr_make_param_array(struct token_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct token_case *c, asset_rules, bad_tokens)
{
    struct isms_asset_cursor cur;
    struct isms_status st;

    expect(isms_asset_token_parse(c->token, c->sort, c->desc, &cur, &st), &st,
           ISMS_INVALID_ARGUMENT, c->msg);
}
