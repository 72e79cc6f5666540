/* db/bind.c — binding statement parameters by name, and the check of each declaration
 * against its SQL text. Declarations sit in the "isms_sql" linker section (ISMS_STATEMENT), so
 * the check sees every statement linked in without a list to keep up to date. */
#include "db/bind.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Bounds of the "isms_sql" section, made by the linker; weak, so a program that declares no
 * statement still links (both are NULL then). */
extern const struct isms_sql *const __start_isms_sql[] __attribute__((weak));
extern const struct isms_sql *const __stop_isms_sql[] __attribute__((weak));

void isms_bind_init(struct isms_bind *b, const struct isms_sql *sql)
{
    b->sql = sql;
    b->is_bound = 0;
    b->err.code = ISMS_OK;
    b->err.msg[0] = '\0';
}

/* The index of parameter `name`, or -1 after remembering the mistake. */
static int take(struct isms_bind *b, const char *name)
{
    for (int k = 0; k < b->sql->nparams; k++) {
        if (strcmp(b->sql->params[k], name) != 0)
            continue;
        if (b->is_bound & (UINT64_C(1) << k)) {
            if (b->err.code == ISMS_OK)
                isms_status_set(&b->err, ISMS_INTERNAL, "%s: parameter \"%s\" ($%d) bound twice",
                                b->sql->name, name, k + 1);
            return -1;
        }
        b->is_bound |= UINT64_C(1) << k;
        return k;
    }
    if (b->err.code == ISMS_OK)
        isms_status_set(&b->err, ISMS_INTERNAL, "%s: no parameter \"%s\"", b->sql->name, name);
    return -1;
}

void isms_bind_text(struct isms_bind *b, const char *name, const char *v)
{
    int k = take(b, name);

    if (k < 0)
        return;
    if (v == NULL && b->err.code == ISMS_OK)
        isms_status_set(&b->err, ISMS_INTERNAL,
                        "%s: parameter \"%s\" ($%d) has no value (out of memory?)", b->sql->name,
                        name, k + 1);
    b->values[k] = v;
}

void isms_bind_text_or_null(struct isms_bind *b, const char *name, const char *v)
{
    if (v != NULL && v[0] == '\0')
        isms_bind_null(b, name);
    else
        isms_bind_text(b, name, v);
}

void isms_bind_int64(struct isms_bind *b, const char *name, int64_t v)
{
    int k = take(b, name);

    if (k < 0)
        return;
    snprintf(b->num[k], sizeof(b->num[k]), "%" PRId64, v);
    b->values[k] = b->num[k];
}

void isms_bind_int64_or_null(struct isms_bind *b, const char *name, int64_t v)
{
    if (v == 0)
        isms_bind_null(b, name);
    else
        isms_bind_int64(b, name, v);
}

void isms_bind_bool(struct isms_bind *b, const char *name, int v)
{
    int k = take(b, name);

    if (k >= 0)
        b->values[k] = v ? "true" : "false";
}

void isms_bind_null(struct isms_bind *b, const char *name)
{
    int k = take(b, name);

    if (k >= 0)
        b->values[k] = NULL;
}

enum isms_code isms_bind_finish(const struct isms_bind *b, const char *const **values,
                                struct isms_status *st)
{
    if (b->err.code != ISMS_OK) {
        *st = b->err;
        return st->code;
    }
    for (int k = 0; k < b->sql->nparams; k++)
        if (!(b->is_bound & (UINT64_C(1) << k)))
            return isms_status_set(st, ISMS_INTERNAL, "%s: parameter \"%s\" ($%d) is not bound",
                                   b->sql->name, b->sql->params[k], k + 1);
    *values = b->values;
    return ISMS_OK;
}

/* ---- the declaration check ---------------------------------------------------------------- */

static int is_ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
}

/* Skips a quoted literal or identifier starting at s[i] (the quote); returns the index after
 * it. E'...' strings honour backslash escapes; a doubled quote stands for itself. */
static size_t skip_quoted(const char *s, size_t i, int has_escapes)
{
    char q = s[i++];

    while (s[i] != '\0') {
        if (has_escapes && s[i] == '\\' && s[i + 1] != '\0') {
            i += 2;
            continue;
        }
        if (s[i] == q) {
            if (s[i + 1] != q)
                return i + 1;
            i++;
        }
        i++;
    }
    return i;
}

enum isms_code isms_sql_check(const struct isms_sql *sql, struct isms_status *st)
{
    const char *s = sql->text;
    uint64_t used = 0;
    size_t i = 0;

    if (sql->nparams < 0 || sql->nparams > ISMS_SQL_MAX_PARAMS)
        return isms_status_set(st, ISMS_INTERNAL, "%s: %d parameters (at most %d)", sql->name,
                               sql->nparams, ISMS_SQL_MAX_PARAMS);
    for (int k = 0; k < sql->nparams; k++) {
        const char *n = sql->params[k];

        if (n == NULL || n[0] == '\0' ||
            strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(n))
            return isms_status_set(st, ISMS_INTERNAL,
                                   "%s: the name of $%d is not a lower-case identifier", sql->name,
                                   k + 1);
        for (int j = 0; j < k; j++)
            if (strcmp(sql->params[j], n) == 0)
                return isms_status_set(st, ISMS_INTERNAL, "%s: \"%s\" names both $%d and $%d",
                                       sql->name, n, j + 1, k + 1);
    }
    while (s[i] != '\0') {
        if (s[i] == '\'' || s[i] == '"') {
            int is_e = s[i] == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
                       (i == 1 || !is_ident_char(s[i - 2]));

            i = skip_quoted(s, i, is_e);
            continue;
        }
        if (s[i] == '-' && s[i + 1] == '-') {
            while (s[i] != '\0' && s[i] != '\n')
                i++;
            continue;
        }
        if (s[i] == '$' && (i == 0 || !is_ident_char(s[i - 1])) && s[i + 1] >= '0' &&
            s[i + 1] <= '9') {
            long n = 0;

            for (i++; s[i] >= '0' && s[i] <= '9'; i++)
                if (n <= ISMS_SQL_MAX_PARAMS)
                    n = n * 10 + (s[i] - '0');
            if (n < 1 || n > sql->nparams)
                return isms_status_set(st, ISMS_INTERNAL,
                                       "%s: the text uses $%ld but %d parameters are declared",
                                       sql->name, n, sql->nparams);
            used |= UINT64_C(1) << (n - 1);
            continue;
        }
        i++;
    }
    for (int k = 0; k < sql->nparams; k++)
        if (!(used & (UINT64_C(1) << k)))
            return isms_status_set(st, ISMS_INTERNAL,
                                   "%s: parameter \"%s\" ($%d) is declared but the text never "
                                   "uses $%d",
                                   sql->name, sql->params[k], k + 1, k + 1);
    if (strstr(s, "audit_append(") != NULL && (!isms_sql_has_param(sql, ISMS_SQL_IDEM_PARAM) ||
                                               strstr(s, "INSERT INTO idempotency_key") == NULL))
        return isms_status_set(st, ISMS_INTERNAL,
                               "%s: a write statement (it calls audit_append) must declare "
                               "\"" ISMS_SQL_IDEM_PARAM "\" and use ISMS_SQL_IDEM",
                               sql->name);
    return ISMS_OK;
}

int isms_sql_has_param(const struct isms_sql *sql, const char *name)
{
    for (int k = 0; k < sql->nparams; k++)
        if (strcmp(sql->params[k], name) == 0)
            return 1;
    return 0;
}

const struct isms_sql *const *isms_sql_registered(size_t *n)
{
    if (__start_isms_sql == NULL || __stop_isms_sql == NULL) {
        *n = 0;
        return NULL;
    }
    *n = (size_t)(__stop_isms_sql - __start_isms_sql);
    return __start_isms_sql;
}

enum isms_code isms_sql_check_all(struct isms_status *st)
{
    size_t n;
    const struct isms_sql *const *all = isms_sql_registered(&n);

    for (size_t k = 0; k < n; k++)
        if (isms_sql_check(all[k], st) != ISMS_OK)
            return st->code;
    return ISMS_OK;
}
