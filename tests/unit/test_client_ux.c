/* tests/unit/test_client_ux.c — pure pieces of ismsctl's usability: fitting table columns into
 * a terminal's width (client/table_fit.c), the terminal width from $COLUMNS, the table renderer
 * cutting cells with an ellipsis and leaving no trailing blanks, and the normal form of a server
 * address under which credentials are saved (client/credentials.c). */
#define _GNU_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "credentials.h"
#include "output.h"
#include "table_fit.h"

static size_t sum(const size_t *w, size_t n, size_t gap)
{
    size_t s = n > 0 ? gap * (n - 1) : 0;

    for (size_t i = 0; i < n; i++)
        s += w[i];
    return s;
}

Test(table_fit, columns_that_fit_keep_their_width)
{
    size_t nat[3] = {4, 10, 6}, min[3] = {8, 8, 8}, out[3];

    cr_assert_eq(isms_table_fit(nat, min, 3, 2, 80, out), 24);
    cr_assert_eq(out[0], 4);
    cr_assert_eq(out[1], 10);
    cr_assert_eq(out[2], 6);
    /* 0 = no limit */
    cr_assert_eq(isms_table_fit(nat, min, 3, 2, 0, out), 24);
    cr_assert_eq(out[1], 10);
}

Test(table_fit, the_widest_give_way_first_and_the_line_is_filled)
{
    size_t nat[4] = {4, 120, 9, 60}, min[4] = {8, 8, 8, 8}, out[4];
    size_t used = isms_table_fit(nat, min, 4, 2, 80, out);

    cr_assert_eq(used, 80);
    cr_assert_eq(sum(out, 4, 2), 80);
    cr_assert_eq(out[0], 4, "a short column is never touched");
    cr_assert_eq(out[2], 9);
    /* The two long ones share what is left: 80 - 6 - 13 = 61, a cap of 30 or 31 each. */
    cr_assert(out[1] >= 30 && out[1] <= 31, "%zu", out[1]);
    cr_assert(out[3] >= 30 && out[3] <= 31, "%zu", out[3]);
    cr_assert_eq(out[1] + out[3], 61);
}

Test(table_fit, minima_are_kept_even_when_the_table_overflows)
{
    size_t nat[3] = {30, 30, 30}, min[3] = {12, 14, 3}, out[3];
    size_t used = isms_table_fit(nat, min, 3, 2, 20, out);

    cr_assert_eq(out[0], 12);
    cr_assert_eq(out[1], 14);
    cr_assert_eq(out[2], 3);
    cr_assert_eq(used, 33);
    /* A minimum above the natural width is the natural width. */
    nat[2] = 2;
    isms_table_fit(nat, min, 3, 2, 20, out);
    cr_assert_eq(out[2], 2);
    cr_assert_eq(isms_table_fit(nat, min, 0, 2, 20, out), 0);
}

Test(table_fit, width_from_columns)
{
    setenv("COLUMNS", "132", 1);
    cr_assert_eq(isms_table_term_width(-1), 132);
    setenv("COLUMNS", "12", 1); /* too small: ignored */
    cr_assert_eq(isms_table_term_width(-1), 0);
    setenv("COLUMNS", "80x", 1);
    cr_assert_eq(isms_table_term_width(-1), 0);
    unsetenv("COLUMNS");
    cr_assert_eq(isms_table_term_width(-1), 0, "not a terminal, no COLUMNS: no limit");
}

static char *render(struct isms_out *o, size_t width)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct isms_status st = {0};

    o->width = width;
    cr_assert_eq(isms_out_render(o, ISMS_OUT_TABLE, fp, &st), ISMS_OK, "%s", st.msg);
    fclose(fp);
    return buf;
}

Test(table_render, cells_are_cut_to_fit_and_lines_have_no_trailing_blanks)
{
    static const struct isms_out_col cols[] = {{"id", ISMS_OUT_STR},
                                               {"text", ISMS_OUT_STR},
                                               {"score", ISMS_OUT_I64_OPT},
                                               {"note", ISMS_OUT_STR}};
    struct isms_out o;
    struct isms_out_table *t;
    char *text;

    isms_out_init(&o);
    t = isms_out_list(&o, "x", cols, 4);
    isms_out_row(t);
    isms_out_str(t, "R-1");
    isms_out_str(t, "caf\xc3\xa9 au lait with a very long description that does not fit at all");
    isms_out_i64(t, 0);
    isms_out_str(t, "");
    isms_out_row(t);
    isms_out_str(t, "R-2");
    isms_out_str(t, "short");
    isms_out_i64(t, 12);
    isms_out_str(t, "");
    text = render(&o, 40);
    cr_assert_str_eq(text,
                     "ID   TEXT                    SCORE  NOTE\n"
                     "R-1  caf\xc3\xa9 au lait with a v\xe2\x80\xa6\n"
                     "R-2  short                   12\n",
                     "got:\n%s", text);
    free(text);
    text = render(&o, 0);
    cr_assert_neq(strstr(text, "does not fit at all\n"), NULL, "%s", text);
    free(text);
    isms_out_cleanup(&o);
}

static void key(const char *in, const char *want)
{
    char out[ISMS_CRED_KEY_MAX];

    isms_cred_key(in, out, sizeof(out));
    cr_assert_str_eq(out, want, "key of %s", in);
}

Test(cred_key, every_spelling_of_a_server_has_one_key)
{
    key("127.0.0.1:7370", "127.0.0.1:7370");
    key("localhost:7370", "127.0.0.1:7370");
    key("LOCALHOST.:7370", "127.0.0.1:7370");
    key("localhost.localdomain:7370", "127.0.0.1:7370");
    key("[::1]:7370", "127.0.0.1:7370");
    key("[0:0:0:0:0:0:0:1]:7370", "127.0.0.1:7370");
    key("127.0.0.1:07370", "127.0.0.1:7370");
    key("ISMS.Example.COM:443", "isms.example.com:443");
    key("isms.example.com.:443", "isms.example.com:443");
    key("[2001:DB8:0:0::1]:7370", "[2001:db8::1]:7370");
    key("10.0.0.5:7370", "10.0.0.5:7370");
    /* Other loopback addresses are other servers. */
    key("127.0.0.2:7370", "127.0.0.2:7370");
    /* Not an address: kept as it is. */
    key("no-port", "no-port");
    key("host:99999", "host:99999");
}
