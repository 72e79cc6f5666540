/* db/migrate.c — startup migrations. Migration files are trusted multi-statement scripts from
 * our own tree, so they go through the simple query protocol (PQsendQuery); every other
 * statement here is parameterised. Checksums are PostgreSQL's md5() of the file text. */
#include "db/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/log.h"
#include "db/notice.h"

/* "isms" in ASCII: the advisory lock key every ismsd instance agrees on. */
static const char MIGRATE_LOCK_KEY[] = "1769172339";

static const char SQL_LOCK[] = "SELECT pg_advisory_lock($1::bigint)";
static const char SQL_UNLOCK[] = "SELECT pg_advisory_unlock($1::bigint)";
static const char SQL_CREATE[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";
static const char SQL_CHECK[] = "SELECT checksum = md5($2), checksum, name FROM schema_migrations"
                                " WHERE version = $1::integer";
static const char SQL_RECHECKSUM[] =
    "UPDATE schema_migrations SET checksum = md5($2) WHERE version = $1::integer";
static const char SQL_RECORD[] =
    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1::integer, $2, md5($3))";
static const char SQL_MAX[] = "SELECT coalesce(max(version), 0), current_database(),"
                              " current_setting('server_version') FROM schema_migrations";
static const char SQL_BEGIN[] = "BEGIN";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";

/* Runs one parameterised statement and returns its result, or NULL with `st` set. */
static PGresult *run(PGconn *pg, const char *sql, int n, const char *const *params,
                     struct isms_status *st)
{
    PGresult *r = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType es = PQresultStatus(r);

    if (es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK)
        return r;
    isms_status_set(st, ISMS_INTERNAL, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(pg));
    PQclear(r);
    return NULL;
}

static int run_ok(PGconn *pg, const char *sql, int n, const char *const *params,
                  struct isms_status *st)
{
    PGresult *r = run(pg, sql, n, params, st);

    PQclear(r);
    return r != NULL;
}

/* Runs a trusted script of several statements; returns 1 if every statement succeeded. */
static int run_script(PGconn *pg, const char *sql, struct isms_status *st)
{
    PGresult *r;
    int ok = 1;

    if (!PQsendQuery(pg, sql)) {
        isms_status_set(st, ISMS_INTERNAL, "%s", PQerrorMessage(pg));
        return 0;
    }
    while ((r = PQgetResult(pg)) != NULL) {
        ExecStatusType es = PQresultStatus(r);

        if (ok && es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
            isms_status_set(st, ISMS_INTERNAL, "%s", PQresultErrorMessage(r));
            ok = 0;
        }
        PQclear(r);
    }
    return ok;
}

/* Checksums that a migration once had at a landed commit, before the edit was undone (a
 * merged migration is never edited; tests/check_migrations.py enforces it). A database
 * recorded with one of them is in the same state: its change moved to a later migration that
 * is written to be idempotent. */
static const struct {
    int version;
    const char *md5;
} superseded[] = {
    /* 002_auth.sql with the login_throttle index appended (3cd9205); now in 015. */
    {2, "085018b3fede7682edf47b73e0c738e0"},
    /* 020_asset_import.sql with audit_append_many() appended (landed at a7bb2a4); now in 021. */
    {20, "5e9df25d936b8560e92505be2cf618be"},
};

static int is_superseded(int version, const char *md5)
{
    for (size_t i = 0; i < sizeof(superseded) / sizeof(superseded[0]); i++)
        if (superseded[i].version == version && strcmp(superseded[i].md5, md5) == 0)
            return 1;
    return 0;
}

static int parse_int(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);

    return (*s != '\0' && *end == '\0' && v >= 0 && v < 1000000) ? (int)v : 0;
}

static void chomp(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
}

enum isms_code isms_migrate(const char *conninfo, struct isms_migrate_result *out,
                            struct isms_status *st)
{
    PGconn *pg = PQconnectdb(conninfo);
    const char *lock[] = {MIGRATE_LOCK_KEY};
    enum isms_code rc = ISMS_OK;
    PGresult *r;

    memset(out, 0, sizeof(*out));
    if (pg != NULL)
        isms_db_route_notices(pg, -1);
    if (PQstatus(pg) != CONNECTION_OK) {
        char msg[200];

        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(pg));
        chomp(msg);
        PQfinish(pg);
        return isms_status_set(st, ISMS_UNAVAILABLE, "could not connect to the database: %s", msg);
    }
    if (!run_ok(pg, SQL_LOCK, 1, lock, st)) {
        PQfinish(pg);
        return ISMS_INTERNAL;
    }
    if (!run_ok(pg, SQL_CREATE, 0, NULL, st)) {
        rc = ISMS_INTERNAL;
        goto out;
    }
    for (size_t i = 0; i < isms_migrations_count; i++) {
        const struct isms_migration *m = &isms_migrations[i];
        char ver[16];
        const char *p[3];

        snprintf(ver, sizeof(ver), "%d", m->version);
        p[0] = ver;
        p[1] = m->sql;
        r = run(pg, SQL_CHECK, 2, p, st);
        if (r == NULL) {
            rc = ISMS_INTERNAL;
            goto out;
        }
        if (PQntuples(r) == 1) {
            int same = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
            int known = !same && is_superseded(m->version, PQgetvalue(r, 0, 1));

            PQclear(r);
            if (known) {
                if (!run_ok(pg, SQL_RECHECKSUM, 2, p, st)) {
                    rc = ISMS_INTERNAL;
                    goto out;
                }
                isms_log_info("migration checksum updated from a superseded edit",
                              "version=%d name=%s", m->version, m->name);
                continue;
            }
            if (!same) {
                rc = isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                     "schema/%s differs from the version already applied "
                                     "(checksum mismatch); add a new migration instead",
                                     m->name);
                goto out;
            }
            continue;
        }
        PQclear(r);
        if (!run_ok(pg, SQL_BEGIN, 0, NULL, st)) {
            rc = ISMS_INTERNAL;
            goto out;
        }
        if (!run_script(pg, m->sql, st)) {
            struct isms_status ignore;
            char why[ISMS_STATUS_MSG_MAX];

            snprintf(why, sizeof(why), "%s", st->msg);
            chomp(why);
            run_ok(pg, SQL_ROLLBACK, 0, NULL, &ignore);
            rc = isms_status_set(st, ISMS_INTERNAL, "migration schema/%s failed: %s", m->name, why);
            goto out;
        }
        p[1] = m->name;
        p[2] = m->sql;
        if (!run_ok(pg, SQL_RECORD, 3, p, st) || !run_ok(pg, SQL_COMMIT, 0, NULL, st)) {
            rc = ISMS_INTERNAL;
            goto out;
        }
        out->applied++;
        isms_log_info("migration applied", "version=%d name=%s", m->version, m->name);
    }
    r = run(pg, SQL_MAX, 0, NULL, st);
    if (r == NULL) {
        rc = ISMS_INTERNAL;
        goto out;
    }
    out->schema_version = parse_int(PQgetvalue(r, 0, 0));
    snprintf(out->db_desc, sizeof(out->db_desc), "%s on PostgreSQL %s", PQgetvalue(r, 0, 1),
             PQgetvalue(r, 0, 2));
    PQclear(r);
out : {
    struct isms_status ignore;

    run_ok(pg, SQL_UNLOCK, 1, lock, &ignore);
}
    PQfinish(pg);
    return rc;
}
