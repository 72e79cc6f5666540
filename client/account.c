/* client/account.c — user account columns and rows (see account.h). */
#include "account.h"

#include <stdio.h>
#include <string.h>

static const struct isms_out_col account_cols[] = {
    {"name", ISMS_OUT_STR},          {"display_name", ISMS_OUT_STR}, {"email", ISMS_OUT_STR},
    {"roles", ISMS_OUT_STRS},        {"status", ISMS_OUT_STR},       {"created_at", ISMS_OUT_STR},
    {"last_login_at", ISMS_OUT_STR}, {"version", ISMS_OUT_I64},      {"auth_kind", ISMS_OUT_STR},
};
#define NACCOUNT_COLS (sizeof(account_cols) / sizeof(account_cols[0]))

static void add_row(struct isms_out_table *t, const Isms__V1__UserAccount *u, bool with_auth_kind)
{
    isms_out_str(t, u->name);
    isms_out_str(t, u->display_name);
    isms_out_str(t, u->email);
    isms_out_strs(t, u->roles, u->n_roles);
    isms_out_str(t, u->status);
    isms_out_str(t, u->created_at);
    isms_out_str(t, u->last_login_at);
    isms_out_i64(t, u->version);
    if (with_auth_kind)
        isms_out_str(t, u->auth_kind);
}

void isms_account_record(struct isms_out *out, const Isms__V1__UserAccount *u, bool with_auth_kind)
{
    struct isms_out_table *t = isms_out_record(out, "user", account_cols,
                                               with_auth_kind ? NACCOUNT_COLS : NACCOUNT_COLS - 1);

    add_row(t, u, with_auth_kind);
}

void isms_account_list(struct isms_out *out, Isms__V1__UserAccount *const *users, size_t n)
{
    struct isms_out_table *t = isms_out_list(out, "users", account_cols, NACCOUNT_COLS - 1);

    for (size_t i = 0; i < n; i++) {
        isms_out_row(t);
        add_row(t, users[i], false);
    }
}

const char *isms_account_roles_text(char *const *roles, size_t n, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++) {
        int w = snprintf(buf + len, size - len, "%s%s", i > 0 ? ", " : "", roles[i]);

        if (w < 0)
            break;
        len += (size_t)w;
    }
    if (n == 0)
        snprintf(buf, size, "none");
    return buf;
}
