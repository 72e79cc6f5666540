/* tests/unit/test_client_method.c — the method file `ismsctl method set --file` reads
 * (client/method_json.h): the shape `method show -o json` prints applies, the short forms
 * (label strings, flat or row matrices) apply, and bad documents are refused naming the member. */
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "method_json.h"

/* The default 5 x 5 method. */
static void def_init(struct isms_method_def *d)
{
    memset(d, 0, sizeof(*d));
    d->nl = d->ni = 5;
    for (size_t k = 0; k < 5; k++) {
        d->l_label[k] = d->i_label[k] = "x";
        d->l_desc[k] = d->i_desc[k] = "";
    }
    d->computation = "product";
    d->appetite = 6;
    d->note = "";
}

static enum isms_code apply(const char *text, struct isms_method_def *d, struct isms_status *st)
{
    struct json_t *doc = NULL;
    enum isms_code code = isms_method_json_parse(text, strlen(text), &doc, st);

    if (code == ISMS_OK)
        code = isms_method_json_apply(doc, d, st);
    /* Strings in d point into doc: check them before freeing, so tests compare first. */
    if (code == ISMS_OK)
        cr_assert_not_null(d->computation);
    isms_method_json_free(doc);
    return code;
}

Test(client_method, show_output_applies)
{
    const char *text =
        "{\n  \"version\": 3,\n  \"computation\": \"matrix\",\n  \"appetite\": 4,\n"
        "  \"max_score\": 9,\n  \"note\": \"n\",\n  \"created_at\": \"t\",\n  \"created_by\": "
        "\"a\",\n"
        "  \"likelihood\": [{\"value\": 1, \"label\": \"Rare\", \"description\": \"d\"},"
        " {\"label\": \"Likely\"}, \"Certain\"],\n"
        "  \"impact\": [\"Low\", \"Mid\", \"High\"],\n"
        "  \"levels\": [{\"name\": \"low\", \"min_score\": 1, \"max_score\": 3},"
        " {\"name\": \"high\", \"min_score\": 4, \"max_score\": 9}],\n"
        "  \"matrix\": [{\"likelihood\": 1, \"impact\": 1, \"score\": 1},"
        " {\"likelihood\": 3, \"impact\": 3, \"score\": 9}]\n}\n";
    struct isms_method_def d;
    struct isms_status st = {0};
    struct json_t *doc = NULL;

    def_init(&d);
    cr_assert_eq(isms_method_json_parse(text, strlen(text), &doc, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(isms_method_json_apply(doc, &d, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(d.nl, 3);
    cr_assert_str_eq(d.l_label[0], "Rare");
    cr_assert_str_eq(d.l_desc[0], "d");
    cr_assert_str_eq(d.l_label[2], "Certain");
    cr_assert_str_eq(d.l_desc[1], "");
    cr_assert_eq(d.ni, 3);
    cr_assert_str_eq(d.computation, "matrix");
    cr_assert_eq(d.nm, 9);
    cr_assert_eq(d.matrix[0], 1);
    cr_assert_eq(d.matrix[8], 9);
    cr_assert_eq(d.nb, 2);
    cr_assert_str_eq(d.b_name[1], "high");
    cr_assert_eq(d.b_max[1], 9);
    cr_assert_eq(d.appetite, 4);
    cr_assert_str_eq(d.note, "n");
    isms_method_json_free(doc);
}

Test(client_method, matrix_rows_and_flat_numbers)
{
    struct isms_method_def d;
    struct isms_status st = {0};

    def_init(&d);
    cr_assert_eq(apply("{\"matrix\": [[1,2],[3,4], 5]}", &d, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(d.nm, 5);
    cr_assert_eq(d.matrix[4], 5);
    def_init(&d);
    cr_assert_eq(apply("{\"computation\": \"product\"}", &d, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(d.nm, 0);
}

struct bad_method {
    char text[160];
    char msg[100];
};

ParameterizedTestParameters(client_method, bad_documents_are_refused)
{
    static struct bad_method cases[] = {
        {"", "line 1, column 1: '[' or '{' expected"},
        {"{\"appetite\": 3,", "line 1, column"},
        {"{\"appetite\": 3, \"appetite\": 4}", "duplicate object key"},
        {"[1]", "the method must be a JSON object"},
        {"{\"unknown\": 1}", "unknown key \"unknown\""},
        {"{\"appetite\": 2.5}", "\"appetite\" must be a whole number"},
        {"{\"appetite\": 9999999999}", "\"appetite\" must be a whole number"},
        {"{\"appetite\": \"3\"}", "\"appetite\" must be a whole number"},
        {"{\"note\": 1}", "\"note\" must be a string"},
        {"{\"computation\": null}", "\"computation\" must be a string"},
        {"{\"likelihood\": \"a\"}", "\"likelihood\" must be an array of at most 10 levels"},
        {"{\"impact\": [1,2,3,4,5,6,7,8,9,10,11]}", "\"impact\" must be an array of at most 10"},
        {"{\"impact\": [{\"description\": \"x\"}]}", "impact level 1 needs a \"label\" string"},
        {"{\"impact\": [{\"label\": \"a\", \"description\": 1}]}", "impact level 1 needs"},
        {"{\"matrix\": {}}", "\"matrix\" must be an array"},
        {"{\"matrix\": [\"1\"]}", "matrix cell 1 needs likelihood and impact"},
        {"{\"matrix\": [{\"likelihood\": 6, \"impact\": 1, \"score\": 1}]}", "matrix cell 1 needs"},
        {"{\"matrix\": [{\"likelihood\": 0, \"impact\": 1, \"score\": 1}]}", "matrix cell 1 needs"},
        {"{\"matrix\": [[1.5]]}", "\"matrix\" must hold at most 100 whole numbers"},
        {"{\"levels\": [{\"name\": \"a\", \"min_score\": 1}]}", "risk level 1 needs \"name\""},
        {"{\"levels\": 3}", "\"levels\" must be an array of at most 10"},
        {"{\"note\": \"a\\u0000\"}", "\\u0000 is not allowed"},
    };

    return cr_make_param_array(struct bad_method, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_method *tc, client_method, bad_documents_are_refused)
{
    struct isms_method_def d;
    struct isms_status st = {0};

    def_init(&d);
    cr_assert_eq(apply(tc->text, &d, &st), ISMS_INVALID_ARGUMENT, "accepted: %s", tc->text);
    cr_assert_not_null(strstr(st.msg, tc->msg), "\"%s\" for %s", st.msg, tc->text);
}
