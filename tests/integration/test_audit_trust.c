/* tests/integration/test_audit_trust.c — the audit trail against ismsd's own database role:
 * ismsd connects as a runtime role that is not the schema's owner (migrations ran as the
 * owner through --owner-db), and signs checkpoints of the chain head with its audit key.
 * Each tamper (edit, delete a middle record, delete the tail, re-forge the tail through
 * audit_append, rewrite and rehash) is detected by `ismsctl audit verify` online and by
 * `audit verify --file` on an export; the runtime role cannot grant itself the rights back,
 * disable the triggers or become the owner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "testlib.h"

TestSuite(audit_trust, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

struct trust_env {
    struct isms_test_db db;
    struct isms_test_server srv;
    char owner[64], runtime[64];
    char owner_ci[1200], runtime_ci[1200];
    PGconn *su;  /* superuser, on the test database */
    PGconn *run; /* the runtime role, on the test database */
    PGconn *admin;
    char dir[256], good[320];
};

/* Runs `head` `role` `tail` (a trusted role name made by the test). */
static void role_exec(PGconn *c, const char *head, const char *role, const char *tail)
{
    char sql[512];

    snprintf(sql, sizeof(sql), "%s %s%s", head, role, tail);
    isms_test_pg_exec(c, sql);
}

static void ctl_expect(struct trust_env *t, int want, const char *const *args)
{
    struct isms_test_proc p;

    isms_test_ismsctl_expect(&p, t->srv.port, want, NULL, NULL, args);
    isms_test_proc_cleanup(&p);
}

static long long scalar(PGconn *c, const char *sql)
{
    return isms_test_pg_scalar(c, sql, 0, NULL);
}

/* Owner and runtime roles, a database owned by the owner, ismsd as the runtime role signing a
 * checkpoint every second, a few audited changes, a checkpoint of the head, a first verify
 * (pins key and head) and an export in t->good. */
static void trust_start(struct trust_env *t)
{
    Isms__V1__UpdateContextRequest upd = ISMS__V1__UPDATE_CONTEXT_REQUEST__INIT;
    struct isms_test_reply rep;
    struct isms_test_proc p;
    char token[256];
    int fd;

    memset(t, 0, sizeof(*t));
    snprintf(t->owner, sizeof(t->owner), "isms_own_%ld", (long)getpid());
    snprintf(t->runtime, sizeof(t->runtime), "isms_run_%ld", (long)getpid());
    t->admin = isms_test_pg_connect(isms_test_require_env("ISMS_TEST_CONNINFO", "superuser"));
    isms_test_pg_exec(t->admin, "SET client_min_messages = warning");
    role_exec(t->admin, "DROP ROLE IF EXISTS", t->owner, "");
    role_exec(t->admin, "DROP ROLE IF EXISTS", t->runtime, "");
    role_exec(t->admin, "CREATE ROLE", t->owner, " LOGIN NOSUPERUSER");
    role_exec(t->admin, "CREATE ROLE", t->runtime, " LOGIN NOSUPERUSER NOCREATEROLE");
    isms_test_db_create(&t->db, NULL);
    {
        char sql[256];

        snprintf(sql, sizeof(sql), "ALTER DATABASE \"%s\" OWNER TO %s", t->db.name, t->owner);
        isms_test_pg_exec(t->admin, sql);
    }
    snprintf(t->owner_ci, sizeof(t->owner_ci), "%s user=%s", t->db.conninfo, t->owner);
    snprintf(t->runtime_ci, sizeof(t->runtime_ci), "%s user=%s", t->db.conninfo, t->runtime);
    /* --bootstrap-admin migrates too: as the owner, through the environment. */
    cr_assert(setenv("ISMSD_OWNER_DB", t->owner_ci, 1) == 0);
    isms_test_bootstrap_admin(t->runtime_ci, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    isms_test_server_start(&t->srv, t->runtime_ci,
                           (const char *const[]){"--audit-checkpoint-s", "1", NULL});
    t->su = isms_test_pg_connect(t->db.conninfo);
    t->run = isms_test_pg_connect(t->runtime_ci);

    isms_test_ismsctl_input(
        &p, t->srv.port,
        (const char *const[]){"login", "--password-stdin", ISMS_TEST_ADMIN_USER, NULL},
        ISMS_TEST_ADMIN_PASSWORD "\n");
    cr_assert_eq(p.exit_code, 0, "ismsctl login: %s", p.err);
    isms_test_proc_cleanup(&p);
    cr_assert_eq(isms_test_login(t->srv.port, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD, token,
                                 sizeof(token)),
                 0);
    isms_test_set_token(token);
    fd = isms_test_connect(t->srv.port);
    upd.set_organization = 1;
    for (int i = 0; i < 6; i++) {
        char org[64];

        snprintf(org, sizeof(org), "Trust Ltd %d", i);
        upd.organization = org;
        isms_test_unary(fd, ISMS_M_CTX_UPDATE, &upd.base, 0, NULL, &rep);
        isms_test_expect(&rep, 0, NULL, "Context/Update");
        isms_test_reply_cleanup(&rep);
    }
    isms_test_close(fd);
    /* The signer catches up with the head within a few seconds. */
    for (int i = 0;; i++) {
        if (scalar(t->su, "SELECT (coalesce((SELECT max(seq) FROM audit_checkpoint), 0) = "
                          "(SELECT max(seq) FROM audit_log))::int")) {
            break;
        }
        cr_assert_lt(i, 200, "no checkpoint of the head after 20 s");
        isms_test_sleep_ms(100);
    }
    ctl_expect(t, 0, (const char *const[]){"audit", "verify", NULL});
    isms_test_tmpdir(t->dir, sizeof(t->dir));
    snprintf(t->good, sizeof(t->good), "%s/good.jsonl", t->dir);
    ctl_expect(t, 0, (const char *const[]){"audit", "export", "--file", t->good, NULL});
    ctl_expect(t, 0, (const char *const[]){"audit", "verify", "--file", t->good, NULL});
}

static void trust_finish(struct trust_env *t)
{
    isms_test_pg_close(t->run);
    isms_test_pg_close(t->su);
    isms_test_server_stop(&t->srv);
    isms_test_db_drop(&t->db);
    role_exec(t->admin, "DROP ROLE", t->runtime, "");
    role_exec(t->admin, "DROP ROLE", t->owner, "");
    isms_test_pg_close(t->admin);
    isms_test_finish();
}

/* ismsctl `args` must exit 6 and say `needle` (stdout or stderr). */
static void expect_refused_env(struct trust_env *t, const char *needle, const char *what,
                               const char *const *env, const char *const *args)
{
    struct isms_test_proc p;

    isms_test_ismsctl_expect(&p, t->srv.port, 6, NULL, env, args);
    cr_log_info("%s:\n%s%s", what, p.out, p.err);
    cr_assert(strstr(p.out, needle) != NULL || strstr(p.err, needle) != NULL,
              "%s: no \"%s\" in:\nstdout:\n%s\nstderr:\n%s", what, needle, p.out, p.err);
    isms_test_proc_cleanup(&p);
}

static void expect_refused(struct trust_env *t, const char *needle, const char *what,
                           const char *const *args)
{
    expect_refused_env(t, needle, what, NULL, args);
}

/* Online verify, and an export of the database as it is now verified offline: both refuse. */
static void expect_detected(struct trust_env *t, const char *online, const char *offline,
                            const char *what)
{
    char file[320], fresh[340];

    expect_refused(t, online, what, (const char *const[]){"audit", "verify", NULL});
    snprintf(file, sizeof(file), "%s/now.jsonl", t->dir);
    ctl_expect(t, 0, (const char *const[]){"audit", "export", "--file", file, NULL});
    /* Offline by someone who never verified this server (no pins): the checkpoints alone. */
    snprintf(fresh, sizeof(fresh), "XDG_CONFIG_HOME=%s/fresh", t->dir);
    expect_refused_env(t, offline, what, (const char *const[]){fresh, NULL},
                       (const char *const[]){"audit", "verify", "--file", file, NULL});
    /* Tampering breaks the proof, not the service. */
    cr_assert_eq(isms_test_health(t->srv.port, NULL, 0), 0);
}

static void su_tamper(struct trust_env *t, const char *sql)
{
    isms_test_pg_exec(t->su, "SET session_replication_role = replica");
    isms_test_pg_exec(t->su, sql);
    isms_test_pg_exec(t->su, "RESET session_replication_role");
}

Test(audit_trust, edited_record_is_detected)
{
    struct trust_env t;

    trust_start(&t);
    su_tamper(&t, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3");
    expect_detected(&t, "altered", "altered", "record 3 edited");
    trust_finish(&t);
}

Test(audit_trust, deleted_middle_record_is_detected)
{
    struct trust_env t;

    trust_start(&t);
    su_tamper(&t, "DELETE FROM audit_log WHERE seq = 4");
    expect_detected(&t, "missing", "missing", "record 4 deleted");
    trust_finish(&t);
}

Test(audit_trust, deleted_tail_is_detected)
{
    struct trust_env t;
    char cut[320], sql[256];
    char *text;
    FILE *f;
    long long head;

    trust_start(&t);
    head = scalar(t.su, "SELECT max(seq) FROM audit_log");
    /* The checkpoint of the head outlives the records it vouches for. */
    snprintf(sql, sizeof(sql), "DELETE FROM audit_log WHERE seq > %lld", head - 2);
    su_tamper(&t, sql);
    expect_detected(&t, "deleted from the end", "deleted from the end", "tail deleted");

    /* With the checkpoints gone too, the head this client verified before still holds. */
    snprintf(sql, sizeof(sql), "DELETE FROM audit_checkpoint WHERE seq > %lld", head - 2);
    su_tamper(&t, sql);
    expect_refused(&t, "fewer than", "tail and checkpoints deleted",
                   (const char *const[]){"audit", "verify", NULL});

    /* Offline: the good export cut short (its last two records and checkpoint dropped). */
    text = isms_test_read_file(t.good);
    cr_assert_not_null(text);
    snprintf(cut, sizeof(cut), "%s/cut.jsonl", t.dir);
    f = fopen(cut, "w");
    cr_assert_not_null(f);
    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
        char needle[48];
        bool keep = true;

        for (long long s = head - 1; s <= head; s++) {
            snprintf(needle, sizeof(needle), "{\"seq\":%lld,", s);
            if (strncmp(p, needle, strlen(needle)) == 0)
                keep = false;
            snprintf(needle, sizeof(needle), "{\"checkpoint\":{\"seq\":%lld,", s);
            if (strncmp(p, needle, strlen(needle)) == 0)
                keep = false;
        }
        if (keep)
            fwrite(p, 1, len, f);
        p += len;
    }
    cr_assert(fclose(f) == 0);
    free(text);
    expect_refused(&t, "cut from the end", "export cut short",
                   (const char *const[]){"audit", "verify", "--file", cut, NULL});
    trust_finish(&t);
}

Test(audit_trust, tail_reforged_through_audit_append_is_detected)
{
    struct trust_env t;
    char sql[256];
    long long head;

    trust_start(&t);
    head = scalar(t.su, "SELECT max(seq) FROM audit_log");
    snprintf(sql, sizeof(sql), "DELETE FROM audit_log WHERE seq > %lld", head - 2);
    su_tamper(&t, sql);
    /* The runtime role re-appends the same number of records through the function: the
     * chain is whole again, but not the one the checkpoint signed. */
    for (int i = 0; i < 2; i++)
        isms_test_pg_exec(t.run, "SELECT audit_append('admin', '127.0.0.1:1', "
                                 "'/isms.v1.Context/Update', 'context', '{}', 'OK')");
    cr_assert_eq(scalar(t.su, "SELECT max(seq) FROM audit_log"), head);
    expect_detected(&t, "chain rewritten", "chain rewritten", "tail re-forged");
    trust_finish(&t);
}

Test(audit_trust, rewrite_and_rehash_is_detected)
{
    struct trust_env t;

    trust_start(&t);
    su_tamper(&t, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3");
    su_tamper(&t, "DO $$ DECLARE r record; prev bytea; BEGIN"
                  " SELECT hash INTO prev FROM audit_log WHERE seq = 2;"
                  " FOR r IN SELECT * FROM audit_log WHERE seq >= 3 ORDER BY seq LOOP"
                  "  UPDATE audit_log SET prev_hash = prev, hash = sha256(prev || audit_canon("
                  "   r.seq, audit_ts(r.at), r.actor, r.source, r.method, r.entity, r.changes,"
                  "   r.result)) WHERE seq = r.seq RETURNING hash INTO prev;"
                  " END LOOP; END $$");
    expect_detected(&t, "chain rewritten", "chain rewritten", "rewritten and rehashed");
    trust_finish(&t);
}

/* Runs `sql` as the runtime role, expecting SQLSTATE 42501 (insufficient privilege). */
static void expect_denied(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

    cr_assert(PQresultStatus(r) == PGRES_FATAL_ERROR, "\"%s\" succeeded as the runtime role", sql);
    cr_assert(state != NULL && strcmp(state, "42501") == 0, "\"%s\": SQLSTATE %s: %s", sql,
              state != NULL ? state : "(none)", PQresultErrorMessage(r));
    PQclear(r);
}

Test(audit_trust, runtime_role_cannot_regain_rights)
{
    struct trust_env t;
    char sql[256];
    PGresult *r;

    trust_start(&t);
    cr_assert_eq(scalar(t.run, "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND "
                               "NOT rolsuper AND NOT rolcreaterole"),
                 1);
    cr_assert_eq(scalar(t.run, "SELECT (pg_get_userbyid(relowner) <> current_user)::int FROM "
                               "pg_class WHERE oid = 'audit_log'::regclass"),
                 1, "the runtime role owns audit_log");
    /* GRANT by a non-owner grants nothing (a warning, or an error without any privilege). */
    snprintf(sql, sizeof(sql), "GRANT UPDATE, DELETE, TRUNCATE ON audit_log TO %s", t.runtime);
    PQclear(PQexec(t.run, sql));
    snprintf(sql, sizeof(sql), "GRANT %s TO %s", t.owner, t.runtime);
    r = PQexec(t.run, sql);
    cr_assert(PQresultStatus(r) == PGRES_FATAL_ERROR, "the runtime role granted itself the owner");
    PQclear(r);
    cr_assert_eq(scalar(t.su, "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON "
                              "r.oid = m.member WHERE r.rolname LIKE 'isms_run_%'"),
                 0);
    expect_denied(t.run, "DELETE FROM audit_log WHERE seq = 1");
    expect_denied(t.run, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1");
    expect_denied(t.run, "TRUNCATE audit_log");
    expect_denied(t.run, "INSERT INTO audit_log SELECT * FROM audit_log WHERE seq = 1");
    expect_denied(t.run, "DELETE FROM audit_checkpoint");
    expect_denied(t.run, "ALTER TABLE audit_log DISABLE TRIGGER USER");
    expect_denied(t.run, "DROP TRIGGER audit_log_no_update ON audit_log");
    expect_denied(t.run, "SET session_replication_role = replica");
    snprintf(sql, sizeof(sql), "SET ROLE %s", t.owner);
    expect_denied(t.run, sql);
    snprintf(sql, sizeof(sql),
             "CREATE OR REPLACE FUNCTION audit_append(text, text, text, text, text, text) "
             "RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint'");
    expect_denied(t.run, sql);
    /* Nothing changed: both checks still pass. */
    ctl_expect(&t, 0, (const char *const[]){"audit", "verify", NULL});
    ctl_expect(&t, 0, (const char *const[]){"audit", "verify", "--file", t.good, NULL});
    /* A checkpoint the runtime role signs itself (not with the key) is a forgery. */
    isms_test_pg_exec(t.run, "SELECT audit_append('admin', '127.0.0.1:1', "
                             "'/isms.v1.Context/Update', 'context', '{}', 'OK')");
    r = PQexec(t.run, "SELECT audit_checkpoint_add(seq, hash, now(), '0123456789abcdef', "
                      "decode(repeat('ab', 64), 'hex')) FROM audit_log ORDER BY seq DESC LIMIT 1");
    cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
    PQclear(r);
    expect_detected(&t, "not by the audit key", "not by the audit key", "forged checkpoint");
    trust_finish(&t);
}

Test(audit_trust, another_key_is_refused)
{
    struct trust_env t;

    trust_start(&t);
    expect_refused(&t, "not the expected key", "--key of another server",
                   (const char *const[]){"audit", "verify", "--key",
                                         "00000000000000000000000000000000000000000000000000000000"
                                         "00000000",
                                         NULL});
    expect_refused(&t, "not by the expected key", "--key offline",
                   (const char *const[]){"audit", "verify", "--file", t.good, "--key",
                                         "00000000000000000000000000000000000000000000000000000000"
                                         "00000000",
                                         NULL});
    trust_finish(&t);
}

/* The chunked import's commit appends its audit records through audit_append_many(), which
 * must run with the owner's rights like audit_append(): ismsd's runtime role may only read
 * audit_log. The chain stays intact afterwards. */
Test(audit_trust, chunked_import_appends_as_the_runtime_role)
{
    struct trust_env t;
    char path[400];
    FILE *fp;

    trust_start(&t);
    snprintf(path, sizeof(path), "%s/assets.csv", t.dir);
    fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs("name,type,owner,classification,confidentiality,integrity,availability,depends_on\r\n"
          "Bulk 1,software,admin,internal,2,2,2,\r\n"
          "Bulk 2,software,admin,internal,2,2,2,Bulk 1\r\n"
          "Bulk 3,software,admin,internal,2,2,2,Bulk 2\r\n",
          fp);
    fclose(fp);
    ctl_expect(&t, 0, (const char *const[]){"asset", "import", path, NULL});
    cr_expect_eq(scalar(t.run, "SELECT count(*) FROM asset WHERE name LIKE 'Bulk %'"), 3);
    cr_expect_eq(scalar(t.run, "SELECT count(*) FROM audit_log"
                               " WHERE method = '/isms.v1.Asset/ImportCommit'"),
                 3, "one audit record per imported asset");
    ctl_expect(&t, 0, (const char *const[]){"audit", "verify", NULL});
    trust_finish(&t);
}
