/* tests/unit/test_status.c — status codes and messages (common/status.h): gRPC names for every
 * code, formatting, truncation of long messages, and a NULL status. */
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "common/status.h"

struct name_case {
    int code;
    char name[24];
};

ParameterizedTestParameters(status, code_name)
{
    static struct name_case cases[] = {
        {0, "OK"},
        {1, "CANCELLED"},
        {2, "UNKNOWN"},
        {3, "INVALID_ARGUMENT"},
        {4, "DEADLINE_EXCEEDED"},
        {5, "NOT_FOUND"},
        {6, "ALREADY_EXISTS"},
        {7, "PERMISSION_DENIED"},
        {8, "RESOURCE_EXHAUSTED"},
        {9, "FAILED_PRECONDITION"},
        {10, "ABORTED"},
        {11, "OUT_OF_RANGE"},
        {12, "UNIMPLEMENTED"},
        {13, "INTERNAL"},
        {14, "UNAVAILABLE"},
        {15, "DATA_LOSS"},
        {16, "UNAUTHENTICATED"},
        {17, "UNKNOWN"},
        {-1, "UNKNOWN"},
        {1000, "UNKNOWN"},
        {-2147483647 - 1, "UNKNOWN"},
    };

    return cr_make_param_array(struct name_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct name_case *tc, status, code_name)
{
    cr_assert_str_eq(isms_code_name(tc->code), tc->name, "code %d", tc->code);
}

Test(status, enum_values_are_grpc_numbers)
{
    cr_assert_eq(ISMS_OK, 0);
    cr_assert_eq(ISMS_INVALID_ARGUMENT, 3);
    cr_assert_eq(ISMS_NOT_FOUND, 5);
    cr_assert_eq(ISMS_RESOURCE_EXHAUSTED, 8);
    cr_assert_eq(ISMS_UNIMPLEMENTED, 12);
    cr_assert_eq(ISMS_UNAVAILABLE, 14);
    cr_assert_eq(ISMS_UNAUTHENTICATED, 16);
}

Test(status, set_formats_and_returns_the_code)
{
    struct isms_status st;

    isms_status_clear(&st);
    cr_assert_eq(isms_status_set(&st, ISMS_NOT_FOUND, "risk \"%s\" does not exist", "R-7"),
                 ISMS_NOT_FOUND);
    cr_assert_eq(st.code, ISMS_NOT_FOUND);
    cr_assert_str_eq(st.msg, "risk \"R-7\" does not exist");
}

Test(status, set_with_null_status_returns_the_code)
{
    cr_assert_eq(isms_status_set(NULL, ISMS_INTERNAL, "lost %d things", 3), ISMS_INTERNAL);
    cr_assert_eq(isms_status_set(NULL, ISMS_OK, "%s", ""), ISMS_OK);
}

Test(status, long_message_is_truncated_and_terminated)
{
    struct isms_status st;
    char longtext[1000];

    memset(longtext, 'x', sizeof(longtext) - 1);
    longtext[sizeof(longtext) - 1] = '\0';
    memset(st.msg, 0x7f, sizeof(st.msg));
    cr_assert_eq(isms_status_set(&st, ISMS_INVALID_ARGUMENT, "name %s", longtext),
                 ISMS_INVALID_ARGUMENT);
    cr_assert_eq(st.code, ISMS_INVALID_ARGUMENT);
    cr_assert_eq(strlen(st.msg), ISMS_STATUS_MSG_MAX - 1);
    cr_assert_eq(strncmp(st.msg, "name xxxx", 9), 0);
    cr_assert_eq(st.msg[ISMS_STATUS_MSG_MAX - 1], '\0');
}

Test(status, message_of_exactly_max_minus_one_fits)
{
    struct isms_status st;
    char text[ISMS_STATUS_MSG_MAX];

    memset(text, 'y', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    isms_status_set(&st, ISMS_ABORTED, "%s", text);
    cr_assert_str_eq(st.msg, text);
}

Test(status, clear_resets_code_and_message)
{
    struct isms_status st;

    isms_status_set(&st, ISMS_ABORTED, "stale version %d", 4);
    isms_status_clear(&st);
    cr_assert_eq(st.code, ISMS_OK);
    cr_assert_str_eq(st.msg, "");
}

Test(status, later_set_replaces_earlier_message)
{
    struct isms_status st;

    isms_status_set(&st, ISMS_ABORTED, "a much longer first message %d", 1);
    isms_status_set(&st, ISMS_UNAVAILABLE, "short");
    cr_assert_eq(st.code, ISMS_UNAVAILABLE);
    cr_assert_str_eq(st.msg, "short");
}
