/* tests/lib/tl_db.c — a fresh PostgreSQL database per test, created and dropped through the
 * admin conninfo (ISMS_TEST_CONNINFO), and blocking libpq helpers for direct SQL. */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "tl_internal.h"

#define MAX_DBS 16
#define MAX_PGS 32

struct db_entry {
    char name[64];
    char admin[1024];
};

static struct db_entry dbs[MAX_DBS];
static size_t n_dbs;
static PGconn *pgs[MAX_PGS];
static size_t n_pgs;
static unsigned db_counter;

/* Appends key='value' with libpq's quoting (backslash and quote escaped). */
static void append_kv(char *out, size_t outlen, size_t *pos, const char *key, const char *val)
{
    size_t p = *pos;

    if (p > 0 && p < outlen)
        out[p++] = ' ';
    for (const char *k = key; *k != '\0' && p < outlen; k++)
        out[p++] = *k;
    if (p < outlen)
        out[p++] = '=';
    if (p < outlen)
        out[p++] = '\'';
    for (const char *v = val; *v != '\0' && p + 2 < outlen; v++) {
        if (*v == '\'' || *v == '\\')
            out[p++] = '\\';
        out[p++] = *v;
    }
    if (p < outlen)
        out[p++] = '\'';
    cr_assert(p < outlen, "conninfo too long");
    out[p] = '\0';
    *pos = p;
}

void isms_test_conninfo_with_db(char *out, size_t outlen, const char *conninfo, const char *db)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
    size_t pos = 0;

    cr_assert(opts != NULL, "could not parse conninfo \"%s\": %s", conninfo,
              err != NULL ? err : "out of memory");
    out[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "dbname") == 0 || o->val == NULL || o->val[0] == '\0')
            continue;
        append_kv(out, outlen, &pos, o->keyword, o->val);
    }
    append_kv(out, outlen, &pos, "dbname", db);
    PQconninfoFree(opts);
}

PGconn *isms_test_pg_connect(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);

    if (PQstatus(c) != CONNECTION_OK) {
        char msg[1024];

        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
        PQfinish(c);
        cr_assert_fail("could not connect to PostgreSQL (%s): %s", conninfo, msg);
    }
    if (n_pgs < MAX_PGS)
        pgs[n_pgs++] = c;
    return c;
}

void isms_tl_pg_forget(PGconn *c)
{
    for (size_t i = 0; i < n_pgs; i++) {
        if (pgs[i] == c) {
            pgs[i] = pgs[--n_pgs];
            return;
        }
    }
}

void isms_tl_pg_register(PGconn *c)
{
    if (n_pgs < MAX_PGS)
        pgs[n_pgs++] = c;
}

void isms_test_pg_close(PGconn *c)
{
    if (c == NULL)
        return;
    isms_tl_pg_forget(c);
    PQfinish(c);
}

void isms_tl_pgs_close_all(void)
{
    while (n_pgs > 0)
        PQfinish(pgs[--n_pgs]);
}

void isms_test_pg_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType s = PQresultStatus(r);

    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        char msg[1024];

        snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(r));
        PQclear(r);
        cr_assert_fail("SQL failed: %s\n  statement: %s", msg, sql);
    }
    PQclear(r);
}

long long isms_test_pg_scalar(PGconn *c, const char *sql, int nparams, const char *const *params)
{
    PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    long long v;
    char *end;

    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1 || PQgetisnull(r, 0, 0)) {
        char msg[1024];

        snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(r));
        PQclear(r);
        cr_assert_fail("SQL gave no value: %s\n  statement: %s", msg, sql);
    }
    v = strtoll(PQgetvalue(r, 0, 0), &end, 10);
    cr_assert(*end == '\0', "SQL value \"%s\" is not an integer (%s)", PQgetvalue(r, 0, 0), sql);
    PQclear(r);
    return v;
}

static bool drop_db(const char *name, const char *admin, char *err, size_t errlen)
{
    PGconn *c = PQconnectdb(admin);
    char sql[256];
    PGresult *r;
    bool ok;

    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errlen, "%s", PQerrorMessage(c));
        PQfinish(c);
        return false;
    }
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
    r = PQexec(c, sql);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    return ok;
}

void isms_test_db_create(struct isms_test_db *db, const char *admin_conninfo)
{
    uint32_t rnd;
    PGconn *c;
    char sql[256];

    memset(db, 0, sizeof(*db));
    if (admin_conninfo == NULL)
        admin_conninfo = isms_test_require_env("ISMS_TEST_CONNINFO",
                                               "integration tests need a PostgreSQL superuser "
                                               "conninfo; run them through tests/run");
    isms_tl_random(&rnd, sizeof(rnd));
    snprintf(db->name, sizeof(db->name), "isms_t_%ld_%u_%08x", (long)getpid(), db_counter++, rnd);
    snprintf(db->admin_conninfo, sizeof(db->admin_conninfo), "%s", admin_conninfo);
    isms_test_conninfo_with_db(db->conninfo, sizeof(db->conninfo), admin_conninfo, db->name);

    c = isms_test_pg_connect(admin_conninfo);
    snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", db->name);
    isms_test_pg_exec(c, sql);
    isms_test_pg_close(c);
    db->is_created = true;
    cr_assert(n_dbs < MAX_DBS, "database table full");
    snprintf(dbs[n_dbs].name, sizeof(dbs[0].name), "%s", db->name);
    snprintf(dbs[n_dbs].admin, sizeof(dbs[0].admin), "%s", admin_conninfo);
    n_dbs++;
}

void isms_tl_db_forget(const char *name)
{
    for (size_t i = 0; i < n_dbs; i++) {
        if (strcmp(dbs[i].name, name) == 0) {
            dbs[i] = dbs[--n_dbs];
            return;
        }
    }
}

void isms_test_db_drop(struct isms_test_db *db)
{
    char err[512];

    if (!db->is_created)
        return;
    db->is_created = false;
    isms_tl_db_forget(db->name);
    cr_assert(drop_db(db->name, db->admin_conninfo, err, sizeof(err)),
              "could not drop database %s: %s", db->name, err);
}

void isms_tl_dbs_drop_all(void)
{
    while (n_dbs > 0) {
        char err[512];

        n_dbs--;
        if (!drop_db(dbs[n_dbs].name, dbs[n_dbs].admin, err, sizeof(err)))
            cr_log_warn("could not drop database %s: %s", dbs[n_dbs].name, err);
    }
}

PGconn *isms_test_pg_lock_table(const struct isms_test_db *db, const char *table)
{
    PGconn *holder = isms_test_pg_connect(db->conninfo);
    char sql[160];

    snprintf(sql, sizeof(sql), "LOCK TABLE %s IN ACCESS EXCLUSIVE MODE", table);
    isms_test_pg_exec(holder, "BEGIN");
    isms_test_pg_exec(holder, sql);
    return holder;
}

long long isms_test_pg_lock_waiters(PGconn *monitor, const struct isms_test_db *db, PGconn *holder)
{
    char holder_pid[32];
    const char *params[2] = {db->name, holder_pid};

    snprintf(holder_pid, sizeof(holder_pid), "%d", holder != NULL ? PQbackendPID(holder) : 0);
    return isms_test_pg_scalar(monitor,
                               "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
                               "AND pid <> $2::int AND pid <> pg_backend_pid() "
                               "AND wait_event_type = 'Lock'",
                               2, params);
}

void isms_test_pg_wait_lock_waiters(PGconn *monitor, const struct isms_test_db *db, PGconn *holder,
                                    long long want, int timeout_ms)
{
    int64_t deadline = isms_test_now_ms() + timeout_ms;
    long long n;

    while ((n = isms_test_pg_lock_waiters(monitor, db, holder)) != want) {
        cr_assert(isms_test_now_ms() < deadline,
                  "%lld backends wait on the lock, expected %lld (waited %d ms)", n, want,
                  timeout_ms);
        isms_test_sleep_ms(25);
    }
}
