/* tests/unit/test_risk_cia_rules.c — the C/I/A letters a risk affects
 * (domain/plan/risk_cia_rules.c): any order and case, separators, each letter once. */
#include <string.h>

#include <criterion/criterion.h>

#include "domain/plan/risk_cia_rules.h"

static void ok(const char *in, const char *want)
{
    char out[4];
    struct isms_status st;

    cr_assert_eq(isms_risk_cia_parse(in, out, &st), ISMS_OK, "%s: %s", in, st.msg);
    cr_assert_str_eq(out, want, "%s", in);
}

static void bad(const char *in, const char *needle)
{
    char out[4];
    struct isms_status st;

    cr_assert_eq(isms_risk_cia_parse(in, out, &st), ISMS_INVALID_ARGUMENT, "%s accepted", in);
    cr_assert_neq(strstr(st.msg, needle), NULL, "%s: %s", in, st.msg);
    cr_assert_neq(strstr(st.msg, "affects"), NULL, "the field is not named: %s", st.msg);
}

Test(risk_cia_rules, letters_are_normalised)
{
    ok("C", "C");
    ok("cia", "CIA");
    ok("AIC", "CIA");
    ok("a, i", "IA");
    ok("ca", "CA");
}

Test(risk_cia_rules, anything_else_is_invalid)
{
    bad("", "at least one");
    bad(" , ", "at least one");
    bad("CX", "letters of C, I, A");
    bad("confidentiality", "letters of C, I, A");
    bad("CIC", "twice");
    bad("c\xc3\xa9", "letters of C, I, A");
    bad(NULL, "letters of C, I, A");
}
