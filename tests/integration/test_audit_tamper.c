/* tests/integration/test_audit_tamper.c — the audit trail is tamper-evident: rows edited,
 * deleted, forged or swapped directly in PostgreSQL (as a superuser, bypassing the triggers)
 * make Audit/Verify report the first broken record, and an exported copy edited offline fails
 * `ismsctl audit verify --file`. As the non-superuser role that owns the database, UPDATE and
 * DELETE on audit_log are refused by privileges and by the trigger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "isms/v1/audit.pb-c.h"
#include "testlib.h"

TestSuite(audit_tamper, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define PW_BOB "river-stone-lantern-42"

struct scenario {
    struct isms_test_env env;
    char admin[256];
    int fd;
    PGconn *pg;     /* superuser connection to the test database */
    long long head; /* seq of the last record after the set-up */
};

static void unary_ok(int fd, const char *method, const ProtobufCMessage *m, const char *what)
{
    struct isms_test_reply rep;

    isms_test_unary(fd, method, m, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, what);
    isms_test_reply_cleanup(&rep);
}

/* A database with a dozen audit records by two actors: admin's changes, bob's login and a
 * refusal of bob's. */
static void scenario_start(struct scenario *s)
{
    Isms__V1__UpdateContextRequest upd = ISMS__V1__UPDATE_CONTEXT_REQUEST__INIT;
    Isms__V1__AddPartyRequest party = ISMS__V1__ADD_PARTY_REQUEST__INIT;
    Isms__V1__AddIssueRequest issue = ISMS__V1__ADD_ISSUE_REQUEST__INIT;
    struct isms_test_reply rep;
    char bob[256];

    isms_test_env_start(&s->env, NULL);
    snprintf(s->admin, sizeof(s->admin), "%s", isms_test_token());
    s->fd = isms_test_connect(s->env.srv.port);
    upd.organization = "Tamper Test Ltd";
    upd.set_organization = 1;
    unary_ok(s->fd, ISMS_M_CTX_UPDATE, &upd.base, "Context/Update");
    party.name = "Regulator";
    party.kind = "external";
    unary_ok(s->fd, ISMS_M_CTX_ADD_PARTY, &party.base, "AddParty Regulator");
    party.name = "Staff";
    party.kind = "internal";
    unary_ok(s->fd, ISMS_M_CTX_ADD_PARTY, &party.base, "AddParty Staff");
    isms_test_user_create(s->fd, "bob", "viewer", PW_BOB);
    cr_assert_eq(isms_test_login(s->env.srv.port, "bob", PW_BOB, bob, sizeof(bob)), 0);
    isms_test_set_token(bob);
    upd.organization = "Bob Was Here";
    isms_test_unary(s->fd, ISMS_M_CTX_UPDATE, &upd.base, 0, NULL, &rep);
    isms_test_expect(&rep, 7, NULL, "bob's Context/Update");
    isms_test_reply_cleanup(&rep);
    isms_test_set_token(s->admin);
    issue.description = "Supplier concentration";
    issue.kind = "external";
    unary_ok(s->fd, ISMS_M_CTX_ADD_ISSUE, &issue.base, "AddIssue");
    upd.scope = "All offices";
    upd.set_organization = 0;
    upd.set_scope = 1;
    unary_ok(s->fd, ISMS_M_CTX_UPDATE, &upd.base, "Context/Update scope");

    s->pg = isms_test_pg_connect(s->env.db.conninfo);
    s->head = isms_test_pg_scalar(s->pg, "SELECT max(seq) FROM audit_log", 0, NULL);
    cr_assert_geq(s->head, 8, "only %lld audit records after the set-up", s->head);
    cr_assert_eq(isms_test_pg_scalar(s->pg, "SELECT count(*) FROM audit_log", 0, NULL), s->head,
                 "audit_log has gaps before any tampering");
}

/* Audit/Verify as admin on the scenario's connection. */
static void verify(struct scenario *s, bool *ok, long long *first_bad, char *problem, size_t len)
{
    Isms__V1__AuditVerifyRequest v = ISMS__V1__AUDIT_VERIFY_REQUEST__INIT;
    struct isms_test_reply rep;
    const Isms__V1__AuditVerifyResponse *r;

    isms_test_set_token(s->admin);
    isms_test_unary(s->fd, "/isms.v1.Audit/Verify", &v.base, 0,
                    &isms__v1__audit_verify_response__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "Audit/Verify");
    r = (const Isms__V1__AuditVerifyResponse *)rep.body;
    *ok = r->ok;
    *first_bad = r->first_bad_seq;
    snprintf(problem, len, "%s", r->problem);
    isms_test_reply_cleanup(&rep);
}

static void expect_intact(struct scenario *s, const char *when)
{
    bool ok;
    long long bad;
    char problem[256];

    verify(s, &ok, &bad, problem, sizeof(problem));
    cr_assert(ok, "%s: Verify reports the chain broken at %lld: %s", when, bad, problem);
    cr_assert_eq(bad, 0);
}

static void expect_broken(struct scenario *s, long long at, const char *needle, const char *what)
{
    bool ok;
    long long bad;
    char problem[256];

    verify(s, &ok, &bad, problem, sizeof(problem));
    cr_log_info("%s: ok=%d first_bad_seq=%lld problem=\"%s\"", what, ok, bad, problem);
    cr_assert(!ok, "%s: Verify reports the chain intact", what);
    cr_assert_eq(bad, at, "%s: first_bad_seq %lld, expected %lld (%s)", what, bad, at, problem);
    cr_assert_neq(strstr(problem, needle), NULL, "%s: problem \"%s\" does not mention \"%s\"", what,
                  problem, needle);
    /* Tampering breaks the proof, not the service. */
    cr_assert_eq(isms_test_health(s->env.srv.port, NULL, 0), 0);
}

/* Runs one statement as the superuser with the audit triggers bypassed. */
static void tamper(PGconn *pg, const char *sql)
{
    isms_test_pg_exec(pg, "SET session_replication_role = replica");
    isms_test_pg_exec(pg, sql);
    isms_test_pg_exec(pg, "RESET session_replication_role");
}

Test(audit_tamper, edited_row_is_detected)
{
    struct scenario s;
    long long k;
    char sql[512];

    scenario_start(&s);
    expect_intact(&s, "before tampering");
    k = s.head / 2;

    /* (1) changes rewritten with the triggers bypassed for the session. */
    snprintf(sql, sizeof(sql),
             "UPDATE audit_log SET changes = '{\"organization\":{\"after\":\"Evil\"}}' "
             "WHERE seq = %lld",
             k);
    isms_test_pg_exec(s.pg, "CREATE TEMP TABLE saved AS SELECT * FROM audit_log");
    tamper(s.pg, sql);
    expect_broken(&s, k, "altered", "changes of a middle record edited");
    snprintf(sql, sizeof(sql),
             "UPDATE audit_log a SET changes = o.changes FROM saved o WHERE a.seq = o.seq "
             "AND a.seq = %lld",
             k);
    tamper(s.pg, sql);
    expect_intact(&s, "after restoring the edited record");

    /* (2) bob's refusal rewritten as OK, with the table's user triggers disabled. */
    k = isms_test_pg_scalar(
        s.pg, "SELECT min(seq) FROM audit_log WHERE result = 'PERMISSION_DENIED'", 0, NULL);
    isms_test_pg_exec(s.pg, "ALTER TABLE audit_log DISABLE TRIGGER USER");
    snprintf(sql, sizeof(sql), "UPDATE audit_log SET result = 'OK' WHERE seq = %lld", k);
    isms_test_pg_exec(s.pg, sql);
    isms_test_pg_exec(s.pg, "ALTER TABLE audit_log ENABLE TRIGGER USER");
    expect_broken(&s, k, "altered", "a refusal rewritten as OK");

    /* (3) the last record's time moved by one microsecond. */
    isms_test_pg_exec(s.pg, "ALTER TABLE audit_log DISABLE TRIGGER USER");
    isms_test_pg_exec(s.pg, "UPDATE audit_log a SET result = o.result FROM saved o "
                            "WHERE a.seq = o.seq AND a.result <> o.result");
    isms_test_pg_exec(s.pg, "UPDATE audit_log SET at = at + interval '1 microsecond' "
                            "WHERE seq = (SELECT max(seq) FROM audit_log)");
    isms_test_pg_exec(s.pg, "ALTER TABLE audit_log ENABLE TRIGGER USER");
    expect_broken(&s, s.head, "altered", "the head record's time moved by 1 us");
    isms_test_finish();
}

Test(audit_tamper, deleted_row_is_detected)
{
    struct scenario s;
    long long k;
    char sql[256];

    scenario_start(&s);
    k = s.head / 2;
    snprintf(sql, sizeof(sql), "DELETE FROM audit_log WHERE seq = %lld", k);
    tamper(s.pg, sql);
    expect_broken(&s, k, "missing", "a middle record deleted");
    /* The first record matters as much as any. */
    tamper(s.pg, "DELETE FROM audit_log WHERE seq = 1");
    expect_broken(&s, 1, "missing", "the first record deleted too");
    isms_test_finish();
}

Test(audit_tamper, forged_rows_are_detected)
{
    static const char forged_cols[] =
        "INSERT INTO audit_log (seq, at, actor, source, method, entity, changes, result, "
        "prev_hash, hash) ";
    struct scenario s;
    char sql[1024];
    long long h;

    scenario_start(&s);
    h = s.head;

    /* Made-up hashes right after the head. */
    snprintf(sql, sizeof(sql),
             "%s VALUES (%lld, now(), 'admin', '127.0.0.1:4711', '/isms.v1.Context/Update', "
             "'context', '{}', 'OK', sha256('x'), sha256('y'))",
             forged_cols, h + 1);
    isms_test_pg_exec(s.pg, sql);
    expect_broken(&s, h + 1, "prev_hash", "a forged record after the head");
    snprintf(sql, sizeof(sql), "DELETE FROM audit_log WHERE seq > %lld", h);
    tamper(s.pg, sql);
    expect_intact(&s, "after removing the forged record");

    /* The right prev_hash, but a hash that is not the record's. */
    snprintf(sql, sizeof(sql),
             "%s SELECT %lld, now(), 'admin', '127.0.0.1:4711', '/isms.v1.User/Create', "
             "'user:mallory', '{}', 'OK', hash, sha256('made up') FROM audit_log WHERE seq = %lld",
             forged_cols, h + 1, h);
    isms_test_pg_exec(s.pg, sql);
    expect_broken(&s, h + 1, "altered", "a forged record chained to the head");
    snprintf(sql, sizeof(sql), "DELETE FROM audit_log WHERE seq > %lld", h);
    tamper(s.pg, sql);

    /* A record far beyond the head: the gap is reported where the missing one should be. */
    snprintf(sql, sizeof(sql),
             "%s VALUES (%lld, now(), 'admin', '127.0.0.1:4711', '/isms.v1.Context/Update', "
             "'context', '{}', 'OK', sha256('x'), sha256('y'))",
             forged_cols, h + 5);
    isms_test_pg_exec(s.pg, sql);
    expect_broken(&s, h + 1, "missing or inserted", "a forged record beyond the head");
    isms_test_finish();
}

Test(audit_tamper, swapped_actors_are_detected)
{
    struct scenario s;
    long long i, j;
    char sql[512];

    scenario_start(&s);
    /* admin's first Context/Update and bob's login: both hash fine alone, not swapped. */
    i = isms_test_pg_scalar(s.pg,
                            "SELECT min(seq) FROM audit_log WHERE actor = 'admin' AND method = "
                            "'/isms.v1.Context/Update'",
                            0, NULL);
    j = isms_test_pg_scalar(s.pg,
                            "SELECT min(seq) FROM audit_log WHERE actor = 'bob' AND method = "
                            "'/isms.v1.Auth/Login'",
                            0, NULL);
    cr_assert_lt(i, j);
    snprintf(sql, sizeof(sql),
             "UPDATE audit_log SET actor = CASE seq WHEN %lld THEN 'bob' ELSE 'admin' END "
             "WHERE seq IN (%lld, %lld)",
             i, i, j);
    tamper(s.pg, sql);
    expect_broken(&s, i, "altered", "two records' actors swapped");
    isms_test_finish();
}

/* Writes `text` to `path` with line `drop` (1-based; 0 = none) left out and, on line `edit`,
 * the first `from` replaced by `to`. */
static void write_variant(const char *path, const char *text, int drop, int edit, const char *from,
                          const char *to)
{
    FILE *f = fopen(path, "w");
    int line = 1;
    bool edited = false;

    cr_assert_not_null(f, "could not write %s", path);
    for (const char *p = text; *p != '\0'; line++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);

        if (line == edit) {
            const char *hit = strstr(p, from);

            cr_assert(hit != NULL && hit < p + len, "line %d has no \"%s\"", line, from);
            fwrite(p, 1, (size_t)(hit - p), f);
            fputs(to, f);
            fwrite(hit + strlen(from), 1, len - (size_t)(hit - p) - strlen(from), f);
            edited = true;
        } else if (line != drop) {
            fwrite(p, 1, len, f);
        }
        p += len;
    }
    cr_assert(fclose(f) == 0);
    cr_assert(edit == 0 || edited, "file has no line %d", edit);
}

Test(audit_tamper, edited_export_fails_offline_verify)
{
    struct scenario s;
    struct isms_test_proc p;
    char dir[256], file[320], bad[320], needle[64];
    char *text;
    int port;
    int k;

    scenario_start(&s);
    port = s.env.srv.port;
    isms_test_ismsctl_input(
        &p, port, (const char *const[]){"login", "--password-stdin", ISMS_TEST_ADMIN_USER, NULL},
        ISMS_TEST_ADMIN_PASSWORD "\n");
    cr_assert_eq(p.exit_code, 0, "ismsctl login: %s", p.err);
    isms_test_proc_cleanup(&p);
    isms_test_tmpdir(dir, sizeof(dir));
    snprintf(file, sizeof(file), "%s/audit.jsonl", dir);
    snprintf(bad, sizeof(bad), "%s/audit-edited.jsonl", dir);

    isms_test_ismsctl_expect(&p, port, 0, NULL, NULL,
                             (const char *const[]){"audit", "export", "--file", file, NULL});
    isms_test_proc_cleanup(&p);
    isms_test_ismsctl_expect(&p, port, 0, NULL, NULL,
                             (const char *const[]){"audit", "verify", "--file", file, NULL});
    cr_assert_neq(strstr(p.out, "intact"), NULL, "verify --file of a fresh export:\n%s", p.out);
    isms_test_proc_cleanup(&p);
    text = isms_test_read_file(file);
    cr_assert_not_null(text);

    /* Bob's refused Context/Update claims to have been admin's. */
    k = (int)isms_test_pg_scalar(s.pg,
                                 "SELECT min(seq) FROM audit_log WHERE actor = 'bob' AND result "
                                 "= 'PERMISSION_DENIED'",
                                 0, NULL);
    /* Line 1 is the export header; record k is on line k + 1 (no checkpoint is signed within
     * the default 60 s). */
    write_variant(bad, text, 0, k + 1, "\"actor\":\"bob\"", "\"actor\":\"admin\"");
    isms_test_ismsctl_expect(&p, port, 6, NULL, NULL,
                             (const char *const[]){"audit", "verify", "--file", bad, NULL});
    snprintf(needle, sizeof(needle), "record %d", k);
    cr_assert(strstr(p.out, needle) != NULL || strstr(p.err, needle) != NULL,
              "verify --file of an edited export does not name %s:\nstdout:\n%s\nstderr:\n%s",
              needle, p.out, p.err);
    isms_test_proc_cleanup(&p);

    /* A line left out. */
    k = 3;
    write_variant(bad, text, k + 1, 0, NULL, NULL);
    isms_test_ismsctl_expect(&p, port, 6, NULL, NULL,
                             (const char *const[]){"audit", "verify", "--file", bad, NULL});
    snprintf(needle, sizeof(needle), "record %d", k);
    cr_assert(strstr(p.out, needle) != NULL || strstr(p.err, needle) != NULL,
              "verify --file with line %d removed does not name %s:\nstdout:\n%s\nstderr:\n%s", k,
              needle, p.out, p.err);
    isms_test_proc_cleanup(&p);

    /* A line that is not a record at all is named by its line number. */
    write_variant(bad, text, 0, 2, "{\"seq\"", "{\"sequence\"");
    isms_test_ismsctl_expect(&p, port, 6, NULL, NULL,
                             (const char *const[]){"audit", "verify", "--file", bad, NULL});
    cr_assert_neq(strstr(p.err, ":2:"), NULL, "a malformed line 2 is not named:\n%s", p.err);
    isms_test_proc_cleanup(&p);
    free(text);

    /* The server's own chain was never touched. */
    isms_test_ismsctl_expect(&p, port, 0, NULL, NULL,
                             (const char *const[]){"audit", "verify", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

/* Runs `sql` expecting an error; returns its SQLSTATE and message. */
static void expect_sql_error(PGconn *c, const char *sql, const char *sqlstate, const char *needle)
{
    PGresult *r = PQexec(c, sql);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

    cr_assert(PQresultStatus(r) == PGRES_FATAL_ERROR, "\"%s\" succeeded", sql);
    cr_assert(state != NULL && strcmp(state, sqlstate) == 0, "\"%s\": SQLSTATE %s, expected %s: %s",
              sql, state != NULL ? state : "(none)", sqlstate, PQresultErrorMessage(r));
    cr_assert_neq(strstr(PQresultErrorMessage(r), needle), NULL, "\"%s\": %s", sql,
                  PQresultErrorMessage(r));
    PQclear(r);
}

Test(audit_tamper, owner_role_cannot_update_or_delete_audit_rows)
{
    Isms__V1__UpdateContextRequest upd = ISMS__V1__UPDATE_CONTEXT_REQUEST__INIT;
    struct isms_test_db db;
    struct isms_test_server srv;
    struct isms_test_reply rep;
    char role[64], sql[256], ci[1200], token[256];
    PGconn *admin, *own;
    PGresult *r;
    int fd;
    bool disabled;

    /* A login role that owns the database but is not a superuser, as deploy/quickstart makes.
     * Roles are cluster-wide: the name is unique so parallel runs do not collide. */
    snprintf(role, sizeof(role), "isms_owner_%ld", (long)getpid());
    admin = isms_test_pg_connect(isms_test_require_env("ISMS_TEST_CONNINFO", "superuser"));
    isms_test_pg_exec(admin, "SET client_min_messages = warning");
    snprintf(sql, sizeof(sql), "DROP ROLE IF EXISTS %s", role);
    isms_test_pg_exec(admin, sql);
    snprintf(sql, sizeof(sql), "CREATE ROLE %s LOGIN NOSUPERUSER", role);
    isms_test_pg_exec(admin, sql);
    isms_test_db_create(&db, NULL);
    snprintf(sql, sizeof(sql), "ALTER DATABASE \"%s\" OWNER TO %s", db.name, role);
    isms_test_pg_exec(admin, sql);
    snprintf(ci, sizeof(ci), "%s user=%s", db.conninfo, role);

    isms_test_bootstrap_admin(ci, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    isms_test_server_start(&srv, ci, NULL);
    cr_assert_eq(isms_test_login(srv.port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD, token,
                                 sizeof(token)),
                 0);
    isms_test_set_token(token);
    fd = isms_test_connect(srv.port);
    upd.organization = "Owner Ltd";
    upd.set_organization = 1;
    isms_test_unary(fd, ISMS_M_CTX_UPDATE, &upd.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Context/Update as ismsd's own role");
    isms_test_reply_cleanup(&rep);

    own = isms_test_pg_connect(ci);
    cr_assert_eq(isms_test_pg_scalar(own,
                                     "SELECT count(*) FROM pg_roles WHERE rolname = current_user "
                                     "AND NOT rolsuper",
                                     0, NULL),
                 1, "the test connection is not the non-superuser role");
    /* Privileges: the migration revoked them from the role that ran it. */
    expect_sql_error(own, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1", "42501",
                     "permission denied");
    expect_sql_error(own, "DELETE FROM audit_log WHERE seq = 1", "42501", "permission denied");
    expect_sql_error(own, "TRUNCATE audit_log", "42501", "permission denied");
    expect_sql_error(own, "SET session_replication_role = replica", "42501", "permission denied");
    /* The trigger: even with the privilege granted back (an owner may), rows stay put. */
    snprintf(sql, sizeof(sql), "GRANT UPDATE, DELETE ON audit_log TO %s", role);
    isms_test_pg_exec(own, sql);
    expect_sql_error(own, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1", "42501",
                     "append-only");
    expect_sql_error(own, "DELETE FROM audit_log WHERE seq = 1", "42501", "append-only");
    cr_assert_eq(
        isms_test_pg_scalar(own, "SELECT count(*) FROM audit_log WHERE actor = 'mallory'", 0, NULL),
        0);

    /* Beyond that only the hash chain stands: if the owner may switch the trigger off, the
     * rewrite it then makes must be detected. */
    r = PQexec(own, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update");
    disabled = PQresultStatus(r) == PGRES_COMMAND_OK;
    cr_log_info("the owning role %s disable the audit_log trigger (%s)",
                disabled ? "CAN" : "cannot", disabled ? "ok" : PQresultErrorMessage(r));
    PQclear(r);
    if (disabled) {
        Isms__V1__AuditVerifyRequest v = ISMS__V1__AUDIT_VERIFY_REQUEST__INIT;
        const Isms__V1__AuditVerifyResponse *vr;

        isms_test_pg_exec(own, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1");
        isms_test_unary(fd, "/isms.v1.Audit/Verify", &v.base, 0,
                        &isms__v1__audit_verify_response__descriptor, &rep);
        isms_test_expect(&rep, 0, NULL, "Audit/Verify");
        vr = (const Isms__V1__AuditVerifyResponse *)rep.body;
        cr_assert(!vr->ok && vr->first_bad_seq == 1,
                  "a rewrite by the owning role is not detected: ok=%d first_bad_seq=%lld", vr->ok,
                  (long long)vr->first_bad_seq);
        isms_test_reply_cleanup(&rep);
    }
    isms_test_pg_close(own);
    cr_assert_eq(isms_test_health(srv.port, NULL, 0), 0);

    /* The role can go only once its database has. */
    isms_test_close(fd);
    isms_test_server_stop(&srv);
    isms_test_db_drop(&db);
    snprintf(sql, sizeof(sql), "DROP ROLE %s", role);
    isms_test_pg_exec(admin, sql);
    isms_test_finish();
}
