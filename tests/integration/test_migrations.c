/* tests/integration/test_migrations.c — databases migrated by earlier landed versions of ismsd
 * start on this one. A merged migration is never edited; the one edit that once shipped
 * (002_auth.sql at 3cd9205, kept in fixtures/) must still be accepted, and any other
 * difference must stop startup with a message that names the file. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "testlib.h"

TestSuite(migrations, .init = isms_test_init, .fini = isms_test_fini, .timeout = 120);

static const char *const OLD_MIGRATIONS[] = {
    "001_context.sql",  "002_auth.sql",   "003_audit.sql", "010_assets.sql",
    "011_controls.sql", "012_method.sql", "013_risks.sql", "014_soa.sql",
};

/* The migrations in schema/ (NNN_name.sql): how many, and the highest version. */
static void schema_migrations_in_tree(long long *count, long long *max_version)
{
    char dir[1024];
    struct dirent *e;
    DIR *d;

    snprintf(dir, sizeof(dir), "%s/schema", getenv("ISMS_SOURCE_DIR"));
    d = opendir(dir);
    cr_assert_not_null(d, "cannot list %s", dir);
    *count = 0;
    *max_version = 0;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        size_t len = strlen(n);

        if (len > 8 && n[0] >= '0' && n[0] <= '9' && n[1] >= '0' && n[1] <= '9' && n[2] >= '0' &&
            n[2] <= '9' && n[3] == '_' && strcmp(n + len - 4, ".sql") == 0) {
            long long v = (n[0] - '0') * 100 + (n[1] - '0') * 10 + (n[2] - '0');

            (*count)++;
            if (v > *max_version)
                *max_version = v;
        }
    }
    closedir(d);
}

/* Applies `sql` and records it in schema_migrations as the old ismsd did (md5 of the text). */
static void apply_as_old_ismsd(PGconn *c, int version, const char *name, const char *sql)
{
    char ver[16];
    const char *p[3] = {ver, name, sql};
    PGresult *r;

    isms_test_pg_exec(c, "BEGIN");
    isms_test_pg_exec(c, sql);
    snprintf(ver, sizeof(ver), "%d", version);
    r = PQexecParams(c,
                     "INSERT INTO schema_migrations (version, name, checksum)"
                     " VALUES ($1::integer, $2, md5($3))",
                     3, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "record %s: %s", name,
                 PQresultErrorMessage(r));
    PQclear(r);
    isms_test_pg_exec(c, "COMMIT");
}

/* Brings `db` to the state ismsd left it in at commit 868027c (migrations 001-014, with 002
 * as edited at 3cd9205). */
static void migrate_as_at_868027c(const struct isms_test_db *db)
{
    PGconn *c = isms_test_pg_connect(db->conninfo);
    const char *src = isms_test_require_env("ISMS_SOURCE_DIR", "to read schema/");

    isms_test_pg_exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                         " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                         " applied_at timestamptz NOT NULL DEFAULT now())");
    for (size_t i = 0; i < sizeof(OLD_MIGRATIONS) / sizeof(OLD_MIGRATIONS[0]); i++) {
        char path[1024];
        char *sql;

        if (strcmp(OLD_MIGRATIONS[i], "002_auth.sql") == 0)
            snprintf(path, sizeof(path), "%s/tests/integration/fixtures/002_auth.sql.3cd9205", src);
        else
            snprintf(path, sizeof(path), "%s/schema/%s", src, OLD_MIGRATIONS[i]);
        sql = isms_test_read_file(path);
        cr_assert_not_null(sql, "cannot read %s", path);
        apply_as_old_ismsd(c, atoi(OLD_MIGRATIONS[i]), OLD_MIGRATIONS[i], sql);
        free(sql);
    }
    isms_test_pg_close(c);
}

Test(migrations, database_from_a_landed_commit_with_the_edited_002_starts)
{
    struct isms_test_db db;
    struct isms_test_server srv;
    long long count, max_version;
    PGconn *c;
    char *cur;
    char path[1024];
    const char *p[1];

    isms_test_db_create(&db, NULL);
    migrate_as_at_868027c(&db);
    isms_test_server_start_db(&srv, &db, NULL);
    cr_expect(
        isms_test_server_log_count(&srv, "migration checksum updated from a superseded edit") == 1,
        "the superseded checksum of 002 is accepted and brought up to date");
    isms_test_server_stop(&srv);

    c = isms_test_pg_connect(db.conninfo);
    snprintf(path, sizeof(path), "%s/schema/002_auth.sql", getenv("ISMS_SOURCE_DIR"));
    cur = isms_test_read_file(path);
    p[0] = cur;
    cr_expect_eq(isms_test_pg_scalar(c,
                                     "SELECT count(*) FROM schema_migrations WHERE version = 2"
                                     " AND checksum = md5($1)",
                                     1, p),
                 1, "002's recorded checksum is now the current file's");
    schema_migrations_in_tree(&count, &max_version);
    cr_expect_eq(isms_test_pg_scalar(c, "SELECT max(version) FROM schema_migrations", 0, NULL),
                 max_version);
    cr_expect_eq(isms_test_pg_scalar(c,
                                     "SELECT count(*) FROM pg_indexes"
                                     " WHERE indexname = 'login_throttle_last_failure_idx'",
                                     0, NULL),
                 1, "015 ran without error on a database that already had the index");
    free(cur);
    isms_test_pg_close(c);

    /* And a second start on the same database is an ordinary one. */
    isms_test_server_start_db(&srv, &db, NULL);
    cr_expect_eq(isms_test_server_log_count(&srv, "superseded"), 0);
    isms_test_server_stop(&srv);
    isms_test_finish();
}

Test(migrations, fresh_database_gets_every_migration_once)
{
    struct isms_test_db db;
    struct isms_test_server srv;
    long long count, max_version;
    PGconn *c;

    isms_test_db_create(&db, NULL);
    isms_test_server_start_db(&srv, &db, NULL);
    isms_test_server_stop(&srv);
    c = isms_test_pg_connect(db.conninfo);
    schema_migrations_in_tree(&count, &max_version);
    cr_expect_eq(isms_test_pg_scalar(c, "SELECT count(*) FROM schema_migrations", 0, NULL), count);
    cr_expect_eq(isms_test_pg_scalar(c,
                                     "SELECT count(*) FROM pg_indexes"
                                     " WHERE indexname = 'login_throttle_last_failure_idx'",
                                     0, NULL),
                 1);
    isms_test_pg_close(c);
    isms_test_finish();
}

Test(migrations, an_edited_applied_migration_stops_startup)
{
    struct isms_test_db db;
    struct isms_test_proc p;
    PGconn *c;
    struct isms_test_server srv;
    const char *argv[] = {
        isms_test_ismsd_path(), "--listen", "127.0.0.1:0", "--plaintext=true", "--db", NULL, NULL};

    isms_test_db_create(&db, NULL);
    isms_test_server_start_db(&srv, &db, NULL);
    isms_test_server_stop(&srv);
    c = isms_test_pg_connect(db.conninfo);
    isms_test_pg_exec(c, "UPDATE schema_migrations SET checksum = md5('edited') WHERE version = 3");
    isms_test_pg_close(c);
    argv[5] = db.conninfo;
    isms_test_run(&p, argv, NULL, 30000);
    cr_expect_neq(p.exit_code, 0, "ismsd must not start on a database whose 003 differs");
    cr_expect(strstr(p.err, "schema/003_audit.sql differs from the version already applied") !=
                  NULL,
              "the error names the migration: %s", p.err);
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

/* A database that ismsd left at a7bb2a4 (020 with audit_append_many() inside, as a plain
 * function the runtime role could not use, and no 021) starts: 020's old checksum is accepted
 * and 021 makes the function run with the owner's rights. */
Test(migrations, database_from_a_landed_commit_with_the_edited_020_starts)
{
    struct isms_test_db db;
    struct isms_test_server srv;
    PGconn *c;

    isms_test_db_create(&db, NULL);
    isms_test_server_start_db(&srv, &db, NULL);
    isms_test_server_stop(&srv);

    c = isms_test_pg_connect(db.conninfo);
    isms_test_pg_exec(c, "DELETE FROM schema_migrations WHERE version = 21");
    isms_test_pg_exec(c, "UPDATE schema_migrations SET checksum = "
                         "'5e9df25d936b8560e92505be2cf618be' WHERE version = 20");
    isms_test_pg_exec(c, "ALTER FUNCTION audit_append_many(text, text, text, text[], text[], text)"
                         " SECURITY INVOKER");
    isms_test_pg_close(c);

    isms_test_server_start_db(&srv, &db, NULL);
    cr_expect(
        isms_test_server_log_count(&srv, "migration checksum updated from a superseded edit") == 1,
        "the superseded checksum of 020 is accepted and brought up to date");
    isms_test_server_stop(&srv);

    c = isms_test_pg_connect(db.conninfo);
    cr_expect_eq(isms_test_pg_scalar(c,
                                     "SELECT count(*) FROM pg_proc WHERE proname ="
                                     " 'audit_append_many' AND prosecdef",
                                     0, NULL),
                 1, "021 ran: audit_append_many runs with the owner's rights");
    cr_expect_eq(isms_test_pg_scalar(c, "SELECT count(*) FROM schema_migrations WHERE version = 21",
                                     0, NULL),
                 1);
    isms_test_pg_close(c);
    isms_test_finish();
}
