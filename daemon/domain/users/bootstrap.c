/* domain/users/bootstrap.c — `ismsd --bootstrap-admin NAME`: creates the first administrator
 * before the server ever listens. Blocking (db/oneshot.c) is fine here: it runs instead of the
 * loop. */
#include "domain/users/bootstrap.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "auth/password.h"
#include "db/bind.h"
#include "db/oneshot.h"
#include "db/rows.h"
#include "domain/users/users.h"

static const char SQL_BOOTSTRAP[] =
    "WITH u AS (INSERT INTO app_user (name, display_name, roles, password_hash,"
    "  must_change_password) VALUES ($1, $1, '{admin,isms_manager}', $2, $3::boolean)"
    "  ON CONFLICT (name) DO NOTHING RETURNING name),"
    " a AS (SELECT audit_append('ismsd', 'local', 'bootstrap-admin', 'user:' || name,"
    "  '{\"roles\":{\"after\":[\"admin\",\"isms_manager\"]}}', 'OK') FROM u)" ISMS_SQL_IDEM(
        "$4", "a") ""
                   " SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM a)";
ISMS_STATEMENT(STMT_BOOTSTRAP, SQL_BOOTSTRAP, "name", "password_hash", "must_change_password",
               ISMS_SQL_IDEM_PARAM);

/* Reads the statement's "users inserted" count. */
static void read_inserted(void *arg, const struct isms_rows *rows)
{
    *(int *)arg = strcmp(isms_rows_text(rows, 0, 0), "0") != 0;
}

enum isms_code isms_users_bootstrap(const char *conninfo, const char *name, FILE *in,
                                    char *generated, size_t n, struct isms_status *st)
{
    char password[ISMS_PASSWORD_MAX + 2] = "";
    char hash[ISMS_PASSWORD_HASH_MAX];
    struct isms_bind b;
    const char *const *p;
    int made = 0;
    int inserted = 0;
    enum isms_code rc = ISMS_OK;

    generated[0] = '\0';
    if (isms_user_name_check(name, st) != ISMS_OK)
        return st->code;
    if (!isatty(fileno(in)) && fgets(password, sizeof(password), in) != NULL)
        password[strcspn(password, "\r\n")] = '\0';
    if (password[0] == '\0') {
        isms_password_generate(password);
        if (n > strlen(password))
            memcpy(generated, password, strlen(password) + 1);
        made = 1;
    } else if (isms_password_check(name, password, st) != ISMS_OK) {
        sodium_memzero(password, sizeof(password));
        return st->code;
    }
    rc = isms_password_hash_now(password, hash, st);
    sodium_memzero(password, sizeof(password));
    if (rc != ISMS_OK)
        return rc;
    isms_bind_init(&b, &STMT_BOOTSTRAP);
    isms_bind_text(&b, "name", name);
    isms_bind_text(&b, "password_hash", hash);
    isms_bind_bool(&b, "must_change_password", made);
    isms_bind_null(&b, ISMS_SQL_IDEM_PARAM);
    if (isms_bind_finish(&b, &p, st) != ISMS_OK) {
        sodium_memzero(hash, sizeof(hash));
        return st->code;
    }
    rc = isms_db_oneshot(conninfo, STMT_BOOTSTRAP.text, STMT_BOOTSTRAP.nparams, p, read_inserted,
                         &inserted, st);
    if (rc == ISMS_INTERNAL) {
        char why[sizeof(st->msg)];

        memcpy(why, st->msg, sizeof(why));
        rc = isms_status_set(st, ISMS_INTERNAL, "could not create the user: %s", why);
    } else if (rc == ISMS_OK && !inserted) {
        rc = isms_status_set(st, ISMS_ALREADY_EXISTS,
                             "user \"%s\" already exists; an admin can reset its password "
                             "with ismsctl user reset-password",
                             name);
    }
    sodium_memzero(hash, sizeof(hash));
    if (rc != ISMS_OK)
        generated[0] = '\0';
    return rc;
}
