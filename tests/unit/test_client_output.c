/* tests/unit/test_client_output.c — `-o json` rendering (client/output.c with jansson): the
 * layout scripts rely on (two-space indent, lists inline), escapes, invalid UTF-8 replaced by
 * U+FFFD, and integers exact to 64 bits. The output must parse as JSON. */
#define _GNU_SOURCE /* open_memstream */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "output.h"

static const struct isms_out_col cols[] = {
    {"name", ISMS_OUT_STR}, {"n", ISMS_OUT_I64},      {"u", ISMS_OUT_U64},
    {"ok", ISMS_OUT_BOOL},  {"roles", ISMS_OUT_STRS},
};
static const struct isms_out_col sub_cols[] = {{"x", ISMS_OUT_STR}};

static char *render(struct isms_out *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct isms_status st = {0};

    cr_assert_eq(isms_out_render(o, ISMS_OUT_JSON, fp, &st), ISMS_OK, "%s", st.msg);
    fclose(fp);
    return buf;
}

Test(client_output, record_layout_and_values)
{
    struct isms_out o;
    struct isms_out_table *t, *s;
    char *roles[] = {"admin", "risk_owner"};
    char *text;
    json_t *doc;
    json_error_t err;

    isms_out_init(&o);
    t = isms_out_record(&o, "r", cols, 5);
    isms_out_str(t, "q\"b\\s/\n\t\x01\x7f \xff caf\xc3\xa9");
    isms_out_i64(t, INT64_MIN);
    isms_out_u64(t, UINT64_MAX);
    isms_out_bool(t, true);
    isms_out_strs(t, roles, 2);
    s = isms_out_sublist(&o, "items", NULL, sub_cols, 1);
    isms_out_row(s);
    isms_out_str(s, "a");
    text = render(&o);
    cr_assert_str_eq(text,
                     "{\n"
                     "  \"name\": \"q\\\"b\\\\s/\\n\\t\\u0001\x7f \xef\xbf\xbd caf\xc3\xa9\",\n"
                     "  \"n\": -9223372036854775808,\n"
                     "  \"u\": \"18446744073709551615\",\n"
                     "  \"ok\": true,\n"
                     "  \"roles\": [\"admin\", \"risk_owner\"],\n"
                     "  \"items\": [\n"
                     "    {\n"
                     "      \"x\": \"a\"\n"
                     "    }\n"
                     "  ]\n"
                     "}\n");
    doc = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    cr_assert_not_null(doc, "%s", err.text);
    cr_assert_eq(json_integer_value(json_object_get(doc, "n")), INT64_MIN);
    json_decref(doc);
    free(text);
    isms_out_cleanup(&o);
}

Test(client_output, empty_list_and_rows)
{
    struct isms_out o;
    struct isms_out_table *t;
    char *text;

    isms_out_init(&o);
    t = isms_out_list(&o, NULL, sub_cols, 1);
    text = render(&o);
    cr_assert_str_eq(text, "[]\n");
    free(text);
    isms_out_row(t);
    isms_out_str(t, NULL);
    text = render(&o);
    cr_assert_str_eq(text, "[\n  {\n    \"x\": \"\"\n  }\n]\n");
    free(text);
    isms_out_cleanup(&o);
}
