/* tests/unit/test_auth_rules.c — the pure parts of auth/: the password policy (length in
 * characters, UTF-8, not containing the user name) and role names, masks and their PostgreSQL
 * array form. */
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "auth/password.h"
#include "auth/roles.h"

struct pw_case {
    char user[16];
    char password[48];
    char needle[24]; /* "" = accepted; else part of the INVALID_ARGUMENT message */
};

ParameterizedTestParameters(password, policy)
{
    static struct pw_case cases[] = {
        {"kim", "correct-horse-battery", ""},
        {"kim", "twelve-chars", ""}, /* exactly ISMS_PASSWORD_MIN */
        {"kim", "eleven-char", "too short"},
        {"kim", "", "too short"},
        {"kim",
         "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
         "\xC3\xA9",
         "too short"}, /* 11 characters, 22 bytes */
        {"kim",
         "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
         "\xC3\xA9\xC3\xA9",
         ""}, /* 12 characters */
        {"kim", "abcdefghijk\xC3\x28", "UTF-8"},
        {"alice", "my-name-is-alice!", "user name"},
        {"alice", "my-name-is-ALICE!", "user name"},
        {"al", "al-al-al-al-al", ""}, /* names under 3 characters are not checked */
    };

    return cr_make_param_array(struct pw_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct pw_case *tc, password, policy)
{
    struct isms_status st = {0};
    enum isms_code rc = isms_password_check(tc->user, tc->password, &st);

    if (tc->needle[0] == '\0') {
        cr_assert_eq(rc, ISMS_OK, "\"%s\" rejected: %s", tc->password, st.msg);
    } else {
        cr_assert_eq(rc, ISMS_INVALID_ARGUMENT, "\"%s\" accepted", tc->password);
        cr_assert_neq(strstr(st.msg, tc->needle), NULL, "\"%s\" does not mention \"%s\"", st.msg,
                      tc->needle);
        cr_assert_null(strstr(st.msg, tc->password[0] != '\0' ? tc->password : "\x01"),
                       "the message repeats the password");
    }
}

Test(password, too_long_is_rejected)
{
    static char pw[ISMS_PASSWORD_MAX + 2];
    struct isms_status st = {0};

    memset(pw, 'x', ISMS_PASSWORD_MAX);
    cr_assert_eq(isms_password_check("kim", pw, &st), ISMS_OK);
    pw[ISMS_PASSWORD_MAX] = 'x';
    cr_assert_eq(isms_password_check("kim", pw, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_neq(strstr(st.msg, "too long"), NULL, "%s", st.msg);
}

Test(roles, names_and_parsing)
{
    static const char *const all[] = {"admin",       "isms_manager", "risk_owner",    "auditor",
                                      "contributor", "viewer",       "top_management"};

    for (unsigned i = 0; i < 7; i++) {
        cr_assert_str_eq(isms_role_name(1u << i), all[i]);
        cr_assert_eq(isms_role_parse(all[i]), 1u << i);
    }
    cr_assert_null(isms_role_name(0));
    cr_assert_null(isms_role_name(ISMS_ROLE_ADMIN | ISMS_ROLE_VIEWER));
    cr_assert_null(isms_role_name(1u << 7));
    cr_assert_eq(isms_role_parse("root"), 0);
    cr_assert_eq(isms_role_parse(""), 0);
    cr_assert_eq(isms_role_parse("Admin"), 0, "role names are exact");
}

Test(roles, list_parsing_names_the_unknown_role)
{
    const char *good[] = {"viewer", "auditor"};
    const char *bad[] = {"viewer", "superuser"};
    struct isms_status st = {0};
    unsigned mask = 0;

    cr_assert_eq(isms_roles_parse(good, 2, &mask, &st), ISMS_OK);
    cr_assert_eq(mask, ISMS_ROLE_VIEWER | ISMS_ROLE_AUDITOR);
    cr_assert_eq(isms_roles_parse(bad, 2, &mask, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_neq(strstr(st.msg, "\"superuser\""), NULL, "%s", st.msg);
}

Test(roles, pg_array_round_trip)
{
    char buf[128];

    isms_roles_pg_array(ISMS_ROLE_ADMIN | ISMS_ROLE_VIEWER, buf, sizeof(buf));
    cr_assert_str_eq(buf, "{admin,viewer}");
    cr_assert_eq(isms_roles_from_pg_array(buf), ISMS_ROLE_ADMIN | ISMS_ROLE_VIEWER);
    isms_roles_pg_array(0, buf, sizeof(buf));
    cr_assert_str_eq(buf, "{}");
    cr_assert_eq(isms_roles_from_pg_array("{}"), 0);
    isms_roles_pg_array(ISMS_ROLES_ALL, buf, sizeof(buf));
    cr_assert_eq(isms_roles_from_pg_array(buf), ISMS_ROLES_ALL);
    cr_assert_eq(isms_roles_from_pg_array("{\"auditor\",bogus,viewer}"),
                 ISMS_ROLE_AUDITOR | ISMS_ROLE_VIEWER);
}

Test(roles, any_role_may_grant_viewer_to_a_token)
{
    static const unsigned each[] = {
        ISMS_ROLE_ADMIN,       ISMS_ROLE_MANAGER, ISMS_ROLE_RISK_OWNER,    ISMS_ROLE_AUDITOR,
        ISMS_ROLE_CONTRIBUTOR, ISMS_ROLE_VIEWER,  ISMS_ROLE_TOP_MANAGEMENT};

    for (size_t i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
        cr_assert_eq(isms_roles_grantable(each[i]), each[i] | ISMS_ROLE_VIEWER);
        /* A viewer token of any owner reads: its effective roles are exactly viewer. */
        cr_assert_eq(isms_roles_effective(each[i], ISMS_ROLE_VIEWER), ISMS_ROLE_VIEWER, "owner %s",
                     isms_role_name(each[i]));
        /* A token never carries more than its owner holds now (plus viewer). */
        cr_assert_eq(isms_roles_effective(each[i], ISMS_ROLES_ALL), each[i] | ISMS_ROLE_VIEWER);
    }
    /* An owner with no role left grants nothing, not even viewer. */
    cr_assert_eq(isms_roles_grantable(0), 0);
    cr_assert_eq(isms_roles_effective(0, ISMS_ROLE_VIEWER), 0);
    /* A role the owner lost leaves the token too. */
    cr_assert_eq(isms_roles_effective(ISMS_ROLE_AUDITOR, ISMS_ROLE_MANAGER | ISMS_ROLE_VIEWER),
                 ISMS_ROLE_VIEWER);
}
