/* tests/unit/test_client_asset.c — asset import/export files (client/asset_io.h): the JSON
 * reader (jansson) and the RFC 4180 CSV reader accept what the writers produce and what people
 * write (quotes, CRLF, embedded newlines, BOM, {id,name} dependencies), and refuse malformed
 * input with a message naming the row, line or field. */
#define _GNU_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "asset_io.h"

static enum isms_code parse(const char *text, enum isms_asset_format fmt, struct isms_asset_file *f,
                            struct isms_status *st)
{
    memset(f, 0, sizeof(*f));
    return isms_asset_file_parse(text, strlen(text), fmt, f, st);
}

/* Writes two assets with awkward text in `fmt` and returns the file (heap). */
static char *export_two(enum isms_asset_format fmt)
{
    Isms__V1__AssetRecord a = ISMS__V1__ASSET_RECORD__INIT, b = ISMS__V1__ASSET_RECORD__INIT;
    Isms__V1__AssetRef ref = ISMS__V1__ASSET_REF__INIT, *refs[1] = {&ref};
    char *tags[] = {"gdpr", "semi;colon", "back\\slash"};
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);

    a.id = "A-1";
    a.name = "DB server; rack \"7\", slot \\2";
    a.type = "hardware";
    a.description = "line one\nline two\r\nline three, caf\xc3\xa9 \xf0\x9f\x98\x80";
    a.owner = "bob";
    a.custodian = "";
    a.location = " DC1, hall 2 ";
    a.classification = "internal";
    a.confidentiality = 2;
    a.integrity = 3;
    a.availability = 3;
    a.tags = tags;
    a.n_tags = 3;
    a.status = "active";
    a.created_at = "2026-01-01T00:00:00Z";
    a.created_by = "admin";
    a.updated_at = "";
    a.updated_by = "";
    a.version = 4;
    b = a;
    b.id = "A-2";
    b.name = "Web shop";
    b.n_tags = 0;
    ref.id = "A-1";
    ref.name = a.name;
    b.depends_on = refs;
    b.n_depends_on = 1;
    cr_assert(isms_asset_write_begin(fp, fmt));
    cr_assert(isms_asset_write_row(fp, fmt, &a, true));
    cr_assert(isms_asset_write_row(fp, fmt, &b, false));
    cr_assert(isms_asset_write_end(fp, fmt, false));
    fclose(fp);
    return buf;
}

static void assert_two(const struct isms_asset_file *f)
{
    cr_assert_eq(f->n, 2);
    cr_assert_str_eq(f->rows[0].name, "DB server; rack \"7\", slot \\2");
    cr_assert_str_eq(f->rows[0].description,
                     "line one\nline two\r\nline three, caf\xc3\xa9 \xf0\x9f\x98\x80");
    cr_assert_str_eq(f->rows[0].location, " DC1, hall 2 ");
    cr_assert_eq(f->rows[0].confidentiality, 2);
    cr_assert_eq(f->rows[0].availability, 3);
    cr_assert_eq(f->rows[0].ntags, 3);
    cr_assert_str_eq(f->rows[0].tags[1], "semi;colon");
    cr_assert_str_eq(f->rows[0].tags[2], "back\\slash");
    cr_assert_str_eq(f->rows[1].name, "Web shop");
    cr_assert_eq(f->rows[1].ntags, 0);
    cr_assert_eq(f->rows[1].ndepends_on, 1);
    cr_assert_str_eq(f->rows[1].depends_on[0], f->rows[0].name);
}

Test(client_asset, json_export_reads_back)
{
    char *text = export_two(ISMS_ASSET_FORMAT_JSON);
    struct isms_asset_file f;
    struct isms_status st = {0};

    /* compact members, one object per line, as before jansson */
    cr_assert_not_null(strstr(text, "[\n{\"id\":\"A-1\",\"name\":"), "%s", text);
    cr_assert_not_null(strstr(text, "\"confidentiality\":2,\"integrity\":3,"), "%s", text);
    cr_assert_eq(parse(text, ISMS_ASSET_FORMAT_JSON, &f, &st), ISMS_OK, "%s", st.msg);
    assert_two(&f);
    isms_asset_file_free(&f);
    free(text);
}

Test(client_asset, csv_export_reads_back)
{
    char *text = export_two(ISMS_ASSET_FORMAT_CSV);
    struct isms_asset_file f;
    struct isms_status st = {0};

    cr_assert_eq(parse(text, ISMS_ASSET_FORMAT_CSV, &f, &st), ISMS_OK, "%s", st.msg);
    assert_two(&f);
    isms_asset_file_free(&f);
    free(text);
}

Test(client_asset, json_accepts_what_people_write)
{
    const char *text = "\xEF\xBB\xBF [ {\"name\": \"a\", \"confidentiality\": \"3\", "
                       "\"integrity\": null, \"tags\": null, \"owner\": null, \"depends_on\": "
                       "[{\"id\": \"A-9\"}, {\"id\": \"A-1\", \"name\": \"b\", \"extra\": [1]}, "
                       "\"c\"], \"required_by\": [{\"x\": {\"y\": [true, false, 1.5]}}]} ]\r\n";
    struct isms_asset_file f;
    struct isms_status st = {0};

    cr_assert_eq(parse(text, ISMS_ASSET_FORMAT_JSON, &f, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(f.n, 1);
    cr_assert_eq(f.rows[0].confidentiality, 3);
    cr_assert_eq(f.rows[0].integrity, 0);
    cr_assert_str_eq(f.rows[0].owner, "");
    cr_assert_eq(f.rows[0].ndepends_on, 3);
    cr_assert_str_eq(f.rows[0].depends_on[0], "A-9");
    cr_assert_str_eq(f.rows[0].depends_on[1], "b");
    cr_assert_str_eq(f.rows[0].depends_on[2], "c");
    isms_asset_file_free(&f);
}

Test(client_asset, empty_json_array_is_no_assets)
{
    struct isms_asset_file f;
    struct isms_status st = {0};

    cr_assert_eq(parse(" [ ] ", ISMS_ASSET_FORMAT_JSON, &f, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(f.n, 0);
    isms_asset_file_free(&f);
}

/* Inline arrays, not pointers: Criterion hands parameters to a re-executed process. */
struct bad_file {
    int is_json;
    char text[200];
    char msg[100]; /* a substring of the error */
};

ParameterizedTestParameters(client_asset, malformed_files_are_refused)
{
    static struct bad_file cases[] = {
        {1, "", "line 1, column 1: '[' or '{' expected"},
        {1, "{\"name\": \"a\"}", "the file must be a JSON array of assets"},
        {1, "[{\"name\": \"a\"}", "line 1, column 14"},
        {1, "[{\"name\": \"a\"},\n {\"name\": \"b\", \"name\": \"c\"}]",
         "line 2, column 21: duplicate object key"},
        {1, "[{\"name\": \"a\"}, 7]", "row 2: expected an object (one asset)"},
        {1, "[{\"nmae\": \"a\"}]", "row 1: unknown field \"nmae\"; fields are name,"},
        {1, "[{\"name\": 5}]", "row 1: name must be a string"},
        {1, "[{\"name\": [\"a\"]}]", "row 1: name must be a string"},
        {1, "[{\"confidentiality\": 2.5}]",
         "row 1: confidentiality must be a whole number, got 2.5"},
        {1, "[{\"integrity\": \"high\"}]", "row 1: integrity must be a whole number, got \"high\""},
        {1, "[{\"integrity\": 3000000000}]",
         "row 1: integrity must be a whole number, got 3000000000"},
        {1, "[{\"availability\": true}]", "row 1: availability must be a whole number"},
        {1, "[{\"tags\": \"a\"}]", "row 1: tags must be an array of strings"},
        {1, "[{\"tags\": [1]}]", "row 1: tags must be an array of strings"},
        {1, "[{\"depends_on\": [{}]}]", "row 1: depends_on: an object needs a name or an id"},
        {1, "[{\"depends_on\": [{\"name\": 1}]}]", "row 1: depends_on objects need"},
        {1, "[{\"name\": \"a\\u0000b\"}]", "\\u0000 is not allowed"},
        {1, "[{\"name\": \"\xff\"}]", "unable to decode byte 0xff"},
        {1, "[{\"name\": \"a\"}] x", "end of file expected"},
        {0, "", "the file is empty"},
        {0, "name,colour\r\na,red\r\n", "line 1: unknown column \"colour\""},
        {0, "name,name\na,b\n", "line 1: column \"name\" appears twice"},
        {0, "type\nx\n", "line 1: the header has no name column"},
        {0, "name,type\na\n", "row 1 (line 2): 1 fields, but the header has 2"},
        {0, "name,type\na,b\n\"c,d\nx\n", "line 3: a quoted field is not closed"},
        {0, "name,type\na,b\n\"c\"d,e\n", "line 3: unexpected character after a quoted field"},
        {0, "name,confidentiality\na,1\nb,x\n",
         "row 2: confidentiality must be a whole number, got \"x\""},
        {0, "name,integrity\na,1.0\n", "row 1: integrity must be a whole number"},
    };

    return cr_make_param_array(struct bad_file, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_file *tc, client_asset, malformed_files_are_refused)
{
    struct isms_asset_file f;
    struct isms_status st = {0};

    cr_assert_eq(
        parse(tc->text, tc->is_json ? ISMS_ASSET_FORMAT_JSON : ISMS_ASSET_FORMAT_CSV, &f, &st),
        ISMS_INVALID_ARGUMENT, "accepted: %s", tc->text);
    cr_assert_not_null(strstr(st.msg, tc->msg), "\"%s\" for %s", st.msg, tc->text);
    isms_asset_file_free(&f);
}

Test(client_asset, csv_quotes_crlf_and_embedded_newlines)
{
    const char *text = "name,description,tags,confidentiality\r\n"
                       "\"a, \"\"quoted\"\"\",\"two\r\nlines\nhere\",\"x; y\\;z ; \\\\w\", 4 \r\n"
                       "\r\n"
                       "b,,,\r\n"
                       "c,\"\",\"\",\"\"";
    struct isms_asset_file f;
    struct isms_status st = {0};

    cr_assert_eq(parse(text, ISMS_ASSET_FORMAT_CSV, &f, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(f.n, 3);
    cr_assert_str_eq(f.rows[0].name, "a, \"quoted\"");
    cr_assert_str_eq(f.rows[0].description, "two\r\nlines\nhere");
    cr_assert_eq(f.rows[0].ntags, 3);
    cr_assert_str_eq(f.rows[0].tags[0], "x");
    cr_assert_str_eq(f.rows[0].tags[1], "y;z");
    cr_assert_str_eq(f.rows[0].tags[2], "\\w");
    cr_assert_eq(f.rows[0].confidentiality, 4);
    cr_assert_str_eq(f.rows[1].name, "b");
    cr_assert_eq(f.rows[1].ntags, 0);
    cr_assert_str_eq(f.rows[2].name, "c");
    isms_asset_file_free(&f);
}

Test(client_asset, error_names_the_row_after_good_rows)
{
    const char *text = "[{\"name\": \"a\"},\n{\"name\": \"b\"},\n{\"name\": \"c\", \"tags\": {}}]";
    struct isms_asset_file f;
    struct isms_status st = {0};

    cr_assert_eq(parse(text, ISMS_ASSET_FORMAT_JSON, &f, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_str_eq(st.msg, "row 3: tags must be an array of strings");
    isms_asset_file_free(&f);
}
