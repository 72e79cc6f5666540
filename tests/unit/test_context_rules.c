/* tests/unit/test_context_rules.c — validation of clause 4 input (domain/context/
 * context_rules.h) and the text checks under it (core/text.h): lengths in characters, UTF-8,
 * kinds, ids. Every rejection is INVALID_ARGUMENT with a message naming the field. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "core/text.h"
#include "domain/context/context_edit.h"
#include "domain/context/context_rules.h"

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

static void assert_invalid(enum isms_code rc, const struct isms_status *st, const char *needle)
{
    cr_assert_eq(rc, ISMS_INVALID_ARGUMENT, "code %d (%s)", rc, st->msg);
    cr_assert_eq(st->code, ISMS_INVALID_ARGUMENT);
    cr_assert_neq(strstr(st->msg, needle), NULL, "\"%s\" does not mention \"%s\"", st->msg, needle);
}

/* ---- UTF-8 ----------------------------------------------------------------------------- */

struct utf8_case {
    char bytes[8];
    size_t len;
    int valid;
};

ParameterizedTestParameters(text, utf8_valid)
{
    static struct utf8_case cases[] = {
        {"abc", 3, 1},
        {"\xC3\xA9", 2, 1},         /* é */
        {"\xE2\x82\xAC", 3, 1},     /* € */
        {"\xF0\x9F\x98\x80", 4, 1}, /* U+1F600 */
        {"\xF4\x8F\xBF\xBF", 4, 1}, /* U+10FFFF */
        {"\xC3\x28", 2, 0},         /* bad continuation */
        {"\xC3", 1, 0},             /* truncated */
        {"\xE2\x82", 2, 0},         /* truncated */
        {"\xC0\xAF", 2, 0},         /* overlong '/' */
        {"\xC1\xBF", 2, 0},         /* overlong */
        {"\xE0\x80\xAF", 3, 0},     /* overlong */
        {"\xF0\x80\x80\xAF", 4, 0}, /* overlong */
        {"\xED\xA0\x80", 3, 0},     /* surrogate U+D800 */
        {"\xF4\x90\x80\x80", 4, 0}, /* > U+10FFFF */
        {"\xF5\x80\x80\x80", 4, 0},
        {"\xFF", 1, 0},
        {"\x80", 1, 0}, /* lone continuation */
        {"a\0b", 3, 0}, /* NUL */
    };

    return cr_make_param_array(struct utf8_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct utf8_case *tc, text, utf8_valid)
{
    cr_assert_eq(isms_utf8_valid(tc->bytes, tc->len), tc->valid, "bytes %02x %02x ... (%zu)",
                 (unsigned char)tc->bytes[0], (unsigned char)tc->bytes[1], tc->len);
}

Test(text, length_counts_characters_not_bytes)
{
    struct isms_status st;
    char *e200 = repeat("\xC3\xA9", 200);
    char *e201 = repeat("\xC3\xA9", 201);

    cr_assert_eq(isms_utf8_len(e200), 200);
    cr_assert_eq(isms_text_check("name", e200, 200, 1, &st), ISMS_OK);
    assert_invalid(isms_text_check("name", e201, 200, 1, &st), &st, "name");
    free(e200);
    free(e201);
}

Test(text, required_rejects_empty_and_blank)
{
    struct isms_status st;

    assert_invalid(isms_text_check("party name", "", 10, 1, &st), &st, "party name");
    assert_invalid(isms_text_check("party name", " \t\r\n", 10, 1, &st), &st, "party name");
    cr_assert_eq(isms_text_check("scope", "", 10, 0, &st), ISMS_OK);
    cr_assert_eq(isms_text_check("scope", NULL, 10, 0, &st), ISMS_OK);
}

/* ---- Update ---------------------------------------------------------------------------- */

Test(context_rules, update_needs_a_flag)
{
    struct isms_status st;

    assert_invalid(isms_context_check_update("Org", 0, "Scope", 0, 0, &st), &st, "nothing");
    cr_assert_eq(isms_context_check_update("Org", 1, "", 0, 0, &st), ISMS_OK);
    cr_assert_eq(isms_context_check_update("", 0, "Scope", 1, 0, &st), ISMS_OK);
    cr_assert_eq(isms_context_check_update("Org", 1, "Scope", 1, 7, &st), ISMS_OK);
}

Test(context_rules, update_limits)
{
    struct isms_status st;
    char *org200 = repeat("o", ISMS_CONTEXT_ORG_MAX);
    char *org201 = repeat("o", ISMS_CONTEXT_ORG_MAX + 1);
    char *scope_max = repeat("\xE2\x82\xAC", ISMS_CONTEXT_SCOPE_MAX);
    char *scope_over = repeat("s", ISMS_CONTEXT_SCOPE_MAX + 1);

    cr_assert_eq(isms_context_check_update(org200, 1, scope_max, 1, 0, &st), ISMS_OK, "%s", st.msg);
    assert_invalid(isms_context_check_update(org201, 1, "", 0, 0, &st), &st, "organization");
    assert_invalid(isms_context_check_update("", 0, scope_over, 1, 0, &st), &st, "scope");
    /* Unflagged fields are not checked: they are not applied. */
    cr_assert_eq(isms_context_check_update(org201, 0, "ok", 1, 0, &st), ISMS_OK);
    free(org200);
    free(org201);
    free(scope_max);
    free(scope_over);
}

Test(context_rules, update_rejects_bad_utf8_and_negative_version)
{
    struct isms_status st;

    assert_invalid(isms_context_check_update("Ac\xC3\x28me", 1, "", 0, 0, &st), &st,
                   "organization");
    assert_invalid(isms_context_check_update("", 0, "x\xFF", 1, 0, &st), &st, "scope");
    assert_invalid(isms_context_check_update("Org", 1, "", 0, -1, &st), &st, "expected_version");
}

/* ---- kinds, parties, issues ------------------------------------------------------------ */

struct kind_case {
    char in[24];
    char out[12]; /* "" = rejected */
};

ParameterizedTestParameters(context_rules, kind)
{
    static struct kind_case cases[] = {
        {"internal", "internal"}, {"external", "external"},
        {"INTERNAL", "internal"}, {"External", "external"},
        {"", "external"},         {"intern", ""},
        {"internal ", ""},        {"both", ""},
        {"\xC3\x28", ""},
    };

    return cr_make_param_array(struct kind_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct kind_case *tc, context_rules, kind)
{
    struct isms_status st;
    const char *out = NULL;
    enum isms_code rc = isms_context_kind(tc->in, "external", &out, &st);

    if (tc->out[0] == '\0') {
        assert_invalid(rc, &st, "kind");
    } else {
        cr_assert_eq(rc, ISMS_OK, "\"%s\": %s", tc->in, st.msg);
        cr_assert_str_eq(out, tc->out);
    }
}

Test(context_rules, kind_without_default_is_required)
{
    struct isms_status st;
    const char *out;

    assert_invalid(isms_context_kind("", NULL, &out, &st), &st, "kind");
}

Test(context_rules, party)
{
    struct isms_status st;
    const char *kind;
    char *name200 = repeat("n", ISMS_CONTEXT_PARTY_NAME_MAX);
    char *name201 = repeat("n", ISMS_CONTEXT_PARTY_NAME_MAX + 1);
    char *req_over = repeat("r", ISMS_CONTEXT_TEXT_MAX + 1);

    cr_assert_eq(isms_context_check_party("Regulator", "", "", &kind, &st), ISMS_OK);
    cr_assert_str_eq(kind, "external");
    cr_assert_eq(isms_context_check_party(name200, "Internal", "needs reports", &kind, &st),
                 ISMS_OK);
    cr_assert_str_eq(kind, "internal");
    cr_assert_eq(isms_context_check_party("'; DROP TABLE x; --", "external", "", &kind, &st),
                 ISMS_OK);
    assert_invalid(isms_context_check_party("", "external", "", &kind, &st), &st, "name");
    assert_invalid(isms_context_check_party("   ", "external", "", &kind, &st), &st, "name");
    assert_invalid(isms_context_check_party(name201, "external", "", &kind, &st), &st, "name");
    assert_invalid(isms_context_check_party("A\xC3\x28", "external", "", &kind, &st), &st, "name");
    assert_invalid(isms_context_check_party("Bank", "partner", "", &kind, &st), &st, "kind");
    assert_invalid(isms_context_check_party("Bank", "external", req_over, &kind, &st), &st,
                   "requirements");
    free(name200);
    free(name201);
    free(req_over);
}

Test(context_rules, issue)
{
    struct isms_status st;
    const char *kind;
    char *desc_over = repeat("d", ISMS_CONTEXT_TEXT_MAX + 1);

    cr_assert_eq(isms_context_check_issue("internal", "staff turnover", &kind, &st), ISMS_OK);
    cr_assert_str_eq(kind, "internal");
    assert_invalid(isms_context_check_issue("internal", "", &kind, &st), &st, "description");
    assert_invalid(isms_context_check_issue("internal", desc_over, &kind, &st), &st, "description");
    assert_invalid(isms_context_check_issue("", "x", &kind, &st), &st, "kind");
    assert_invalid(isms_context_check_issue("sideways", "x", &kind, &st), &st, "kind");
    free(desc_over);
}

/* ---- ids -------------------------------------------------------------------------------- */

struct id_case {
    char prefix;
    char text[32];
    int ok;
    long long num;
};

ParameterizedTestParameters(context_rules, parse_id)
{
    static struct id_case cases[] = {
        {'P', "P-1", 1, 1},
        {'P', "p-42", 1, 42},
        {'I', "I-7", 1, 7},
        {'P', "P-4611686018427387904", 1, 4611686018427387904LL},
        {'P', "P-4611686018427387905", 0, 0},
        {'P', "P-99999999999999999999", 0, 0},
        {'P', "P-0", 0, 0},
        {'P', "P-", 0, 0},
        {'P', "P-abc", 0, 0},
        {'P', "P-1x", 0, 0},
        {'P', "P--1", 0, 0},
        {'P', "P-+1", 0, 0},
        {'P', "P- 1", 0, 0},
        {'P', "P1", 0, 0},
        {'P', "I-1", 0, 0},
        {'P', "", 0, 0},
        {'P', "Regulator", 0, 0},
    };

    return cr_make_param_array(struct id_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct id_case *tc, context_rules, parse_id)
{
    int64_t num = -5;
    int ok = isms_context_parse_id(tc->prefix, tc->text, &num);

    cr_assert_eq(ok, tc->ok, "\"%s\"", tc->text);
    if (tc->ok)
        cr_assert_eq(num, tc->num, "\"%s\" gave %lld", tc->text, (long long)num);
}

Test(context_rules, parse_id_null)
{
    int64_t num;

    cr_assert_eq(isms_context_parse_id('P', NULL, &num), 0);
}

/* 4.2 c: whether the ISMS addresses a party's requirements (domain/context/context_edit.c). */
Test(context_rules, addressed_answers)
{
    const char *out = NULL;
    struct isms_status st;

    cr_assert_eq(isms_context_addressed("YES", &out, &st), ISMS_OK);
    cr_assert_str_eq(out, "yes");
    cr_assert_eq(isms_context_addressed("Partly", &out, &st), ISMS_OK);
    cr_assert_str_eq(out, "partly");
    cr_assert_eq(isms_context_addressed("", &out, &st), ISMS_OK);
    cr_assert_str_eq(out, "");
    cr_assert_eq(isms_context_addressed("maybe", &out, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_neq(strstr(st.msg, "addressed (4.2 c)"), NULL, "%s", st.msg);
    cr_assert_eq(isms_context_addressed(NULL, &out, &st), ISMS_INVALID_ARGUMENT);
}
