/* tests/unit/test_bind.c — db/bind.c: every statement the daemon declares matches its SQL text
 * (names unique, $1..$n each used, nothing above $n), and the binder refuses every mistake
 * (unknown name, bound twice, left unbound, no value) instead of sending a NULL. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "db/bind.h"
#include "domain/domain.h"
#include "domain/users/bootstrap.h"

/* Referencing these links every domain and auth object, so the "isms_sql" section holds every
 * statement ismsd can run. */
static void *const link_all[] = {(void *)isms_domain_register_all, (void *)isms_users_bootstrap};

Test(bind, every_declared_statement_matches_its_text)
{
    size_t n;
    const struct isms_sql *const *all = isms_sql_registered(&n);
    size_t bad = 0;

    cr_assert(link_all[0] != NULL && link_all[1] != NULL);
    /* The daemon had 72 statements when this test was written; far fewer means the section
     * lost some. */
    cr_assert_geq(n, 70, "only %zu statements registered", n);
    for (size_t k = 0; k < n; k++) {
        struct isms_status st;

        if (isms_sql_check(all[k], &st) != ISMS_OK) {
            fprintf(stderr, "bad declaration: %s\n", st.msg);
            bad++;
        }
    }
    cr_expect_eq(bad, 0, "%zu of %zu declarations do not match their SQL", bad, n);
    printf("checked %zu statements\n", n);
}

/* The pool prepares a statement once per SQL constant (its address): two declarations of one
 * constant must agree on its parameters. */
Test(bind, one_constant_has_one_parameter_list)
{
    size_t n;
    const struct isms_sql *const *all = isms_sql_registered(&n);

    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (all[i]->text != all[j]->text)
                continue;
            cr_expect_eq(all[i]->nparams, all[j]->nparams, "%s declared twice differently",
                         all[i]->name);
            for (int k = 0; k < all[i]->nparams && k < all[j]->nparams; k++)
                cr_expect_str_eq(all[i]->params[k], all[j]->params[k]);
        }
}

Test(bind, startup_check_passes)
{
    struct isms_status st;

    cr_assert_eq(isms_sql_check_all(&st), ISMS_OK, "%s", st.msg);
}

/* ---- the checker on declarations made to be wrong ----------------------------------------- */

#define SQL_TWO "SELECT $1::int + $2::int"

/* Name lists a case may use (by index: each case runs in a child process, so cases hold
 * arrays, never the parent's pointers). */
static const char *const names_two[] = {"a", "b"};
static const char *const names_three[] = {"a", "b", "c"};
static const char *const names_dup[] = {"a", "a"};
static const char *const names_bad[] = {"a", "B"};
static const char *const *const name_lists[] = {NULL, names_two, names_three, names_dup, names_bad};

struct check_case {
    char text[48];
    int names; /* index into name_lists */
    int n;
    char want[80]; /* substring of the message; "" = OK */
};

ParameterizedTestParameters(bind, checker)
{
    static struct check_case cases[] = {
        {SQL_TWO, 1, 2, ""},
        {SQL_TWO, 1, 1, "uses $2 but 1 parameters are declared"},
        {SQL_TWO, 2, 3, "\"c\" ($3) is declared but the text never uses $3"},
        {SQL_TWO, 3, 2, "\"a\" names both $1 and $2"},
        {SQL_TWO, 4, 2, "the name of $2 is not a lower-case identifier"},
        {"SELECT $0", 1, 0, "uses $0"},
        {"SELECT $10", 1, 2, "uses $10"},
        /* Quoted text and comments are not parameters. */
        {"SELECT '$3', \"$4\", $1, $2 -- $5\n", 1, 2, ""},
        {"SELECT 'it''s $3', $1, $2", 1, 2, ""},
        {"SELECT E'\\'$3', $1, $2", 1, 2, ""},
        {"SELECT x$1 FROM t", 1, 2, "\"a\" ($1) is declared but the text never uses $1"},
        {"SELECT 1", 0, 0, ""},
    };

    return cr_make_param_array(struct check_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct check_case *c, bind, checker)
{
    struct isms_sql s = {"SQL_TEST", c->text, name_lists[c->names], c->n};
    struct isms_status st;
    enum isms_code code = isms_sql_check(&s, &st);

    if (c->want[0] == '\0') {
        cr_assert_eq(code, ISMS_OK, "%s", st.msg);
        return;
    }
    cr_assert_eq(code, ISMS_INTERNAL);
    cr_assert(strstr(st.msg, c->want) != NULL, "message \"%s\" lacks \"%s\"", st.msg, c->want);
    cr_assert(strncmp(st.msg, "SQL_TEST:", 9) == 0, "message \"%s\" names no statement", st.msg);
}

/* ---- the binder ---------------------------------------------------------------------------- */

static const char SQL_BIND[] = "SELECT $1, $2::bigint, $3::boolean, $4";
ISMS_STATEMENT(STMT_BIND, SQL_BIND, "title", "num", "flag", "note");

Test(bind, values_in_dollar_order)
{
    struct isms_bind b;
    struct isms_status st;
    const char *const *v;

    isms_bind_init(&b, &STMT_BIND);
    isms_bind_bool(&b, "flag", 1);
    isms_bind_text_or_null(&b, "note", "");
    isms_bind_int64(&b, "num", -9223372036854775807LL - 1);
    isms_bind_text(&b, "title", "t");
    cr_assert_eq(isms_bind_finish(&b, &v, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(v[0], "t");
    cr_assert_str_eq(v[1], "-9223372036854775808");
    cr_assert_str_eq(v[2], "true");
    cr_assert_null(v[3]);
}

Test(bind, or_null_variants)
{
    struct isms_bind b;
    struct isms_status st;
    const char *const *v;

    isms_bind_init(&b, &STMT_BIND);
    isms_bind_text_or_null(&b, "title", "x");
    isms_bind_int64_or_null(&b, "num", 0);
    isms_bind_bool(&b, "flag", 0);
    isms_bind_null(&b, "note");
    cr_assert_eq(isms_bind_finish(&b, &v, &st), ISMS_OK, "%s", st.msg);
    cr_assert_str_eq(v[0], "x");
    cr_assert_null(v[1]);
    cr_assert_str_eq(v[2], "false");
    cr_assert_null(v[3]);
}

/* Binds everything but `skip`, then runs `mistake`; finish must refuse with `want`. */
static void expect_refused(const char *skip, void (*mistake)(struct isms_bind *), const char *want)
{
    struct isms_bind b;
    struct isms_status st;
    const char *const *v = NULL;

    isms_bind_init(&b, &STMT_BIND);
    if (strcmp(skip, "title") != 0)
        isms_bind_text(&b, "title", "t");
    if (strcmp(skip, "num") != 0)
        isms_bind_int64(&b, "num", 1);
    if (strcmp(skip, "flag") != 0)
        isms_bind_bool(&b, "flag", 1);
    if (strcmp(skip, "note") != 0)
        isms_bind_text(&b, "note", "n");
    if (mistake != NULL)
        mistake(&b);
    cr_assert_eq(isms_bind_finish(&b, &v, &st), ISMS_INTERNAL);
    cr_assert_null(v);
    cr_assert(strstr(st.msg, want) != NULL, "message \"%s\" lacks \"%s\"", st.msg, want);
}

static void bind_unknown(struct isms_bind *b)
{
    isms_bind_text(b, "titel", "t");
}

static void bind_twice(struct isms_bind *b)
{
    isms_bind_int64(b, "num", 2);
}

static void bind_no_value(struct isms_bind *b)
{
    isms_bind_text(b, "title", NULL);
}

static void bind_no_value_or_null(struct isms_bind *b)
{
    isms_bind_text_or_null(b, "title", NULL);
}

Test(bind, unknown_name_refused)
{
    expect_refused("", bind_unknown, "SQL_BIND: no parameter \"titel\"");
}

Test(bind, bound_twice_refused)
{
    expect_refused("", bind_twice, "SQL_BIND: parameter \"num\" ($2) bound twice");
}

Test(bind, unbound_refused)
{
    expect_refused("flag", NULL, "SQL_BIND: parameter \"flag\" ($3) is not bound");
}

/* An arena string that could not be built is an error, never a silent SQL NULL. */
Test(bind, missing_value_refused)
{
    expect_refused("title", bind_no_value, "SQL_BIND: parameter \"title\" ($1) has no value");
    expect_refused("title", bind_no_value_or_null,
                   "SQL_BIND: parameter \"title\" ($1) has no value");
}

/* The first mistake is the one reported. */
Test(bind, first_mistake_wins)
{
    struct isms_bind b;
    struct isms_status st;
    const char *const *v;

    isms_bind_init(&b, &STMT_BIND);
    isms_bind_text(&b, "nope", "x");
    isms_bind_text(&b, "title", "t");
    isms_bind_text(&b, "title", "t");
    cr_assert_eq(isms_bind_finish(&b, &v, &st), ISMS_INTERNAL);
    cr_assert(strstr(st.msg, "no parameter \"nope\"") != NULL, "%s", st.msg);
}
