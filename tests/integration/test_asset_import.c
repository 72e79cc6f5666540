/* tests/integration/test_asset_import.c — the chunked asset import (Asset/ImportBegin, Chunk,
 * Commit, Abort) over a real ismsd and PostgreSQL: ismsctl imports 20,000 rows with
 * dependencies from CSV and JSON on its logged-in connection; one bad row (row 15,000, found
 * while staging or at the commit) leaves nothing and is named; a cycle across chunks is refused;
 * an abandoned import is cleaned up; nobody else can append to, commit or abort an import; and
 * ismsctl over TLS against a server that refuses its frame and closes exits with a message,
 * never SIGPIPE (141). With ISMS_TEST_IMPORT_BIG=1 it also times 10k, 50k and 100k rows. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "isms/v1/asset.pb-c.h"
#include "testlib.h"

TestSuite(asset_import, .init = isms_test_init, .fini = isms_test_fini, .timeout = 900);

#define M_BEGIN  "/isms.v1.Asset/ImportBegin"
#define M_CHUNK  "/isms.v1.Asset/ImportChunk"
#define M_COMMIT "/isms.v1.Asset/ImportCommit"
#define M_ABORT  "/isms.v1.Asset/ImportAbort"

enum flaw { FLAW_NONE, FLAW_BAD_VALUE, FLAW_DUP_NAME, FLAW_CYCLE };

/* Writes `n` assets "<prefix> <i>" to `path` (CSV or JSON): each depends on the one before it,
 * and every 7th also on the one at i / 2. `flaw` spoils row `bad`. Returns the number of
 * dependency edges. */
static long write_assets(const char *path, int is_json, const char *prefix, int n, enum flaw flaw,
                         int bad)
{
    FILE *fp = fopen(path, "w");
    long edges = 0;

    cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
    if (is_json)
        fputs("[", fp);
    else
        fputs("name,type,owner,classification,confidentiality,integrity,availability,tags,"
              "depends_on\r\n",
              fp);
    for (int i = 1; i <= n; i++) {
        char deps[128] = "", dep_json[160] = "", name[64];
        int c = flaw == FLAW_BAD_VALUE && i == bad ? 9 : 3;

        if (flaw == FLAW_DUP_NAME && i == bad)
            snprintf(name, sizeof(name), "%s %d", prefix, 3);
        else
            snprintf(name, sizeof(name), "%s %d", prefix, i);
        if (i > 1) {
            snprintf(deps, sizeof(deps), "%s %d", prefix, i - 1);
            snprintf(dep_json, sizeof(dep_json), "\"%s %d\"", prefix, i - 1);
            edges++;
        }
        if (i % 7 == 0 && i / 2 != i - 1) {
            size_t l = strlen(deps), lj = strlen(dep_json);

            snprintf(deps + l, sizeof(deps) - l, ";%s %d", prefix, i / 2);
            snprintf(dep_json + lj, sizeof(dep_json) - lj, ",\"%s %d\"", prefix, i / 2);
            edges++;
        }
        if (flaw == FLAW_CYCLE && i == 1) {
            /* Row 1 needs row `bad`, which (through the chain) needs row 1. */
            snprintf(deps, sizeof(deps), "%s %d", prefix, bad);
            snprintf(dep_json, sizeof(dep_json), "\"%s %d\"", prefix, bad);
        }
        if (is_json)
            fprintf(fp,
                    "%s\n{\"name\":\"%s\",\"type\":\"software\",\"owner\":\"admin\","
                    "\"classification\":\"internal\",\"confidentiality\":%d,\"integrity\":2,"
                    "\"availability\":1,\"tags\":[\"bulk\"],\"depends_on\":[%s]}",
                    i > 1 ? "," : "", name, c, dep_json);
        else
            fprintf(fp, "%s,software,admin,internal,%d,2,1,bulk,%s\r\n", name, c, deps);
    }
    if (is_json)
        fputs("]\n", fp);
    cr_assert_eq(fclose(fp), 0);
    return edges;
}

static long long scalar(PGconn *pg, const char *sql)
{
    return isms_test_pg_scalar(pg, sql, 0, NULL);
}

/* ismsctl with the session token of the test's admin (who holds isms_manager). */
static void ctl_import(struct isms_test_proc *p, int port, const char *path)
{
    char tok[600];
    const char *env[2] = {tok, NULL};

    snprintf(tok, sizeof(tok), "ISMS_TOKEN=%s", isms_test_token());
    isms_test_ismsctl_env(p, port, (const char *const[]){"asset", "import", path, NULL}, NULL, env);
}

static void import_ok(PGconn *pg, int port, const char *path, int n, long edges, long long before)
{
    struct isms_test_proc p;
    char want[64];
    int64_t t0 = isms_test_now_ms();

    ctl_import(&p, port, path);
    cr_assert_eq(p.exit_code, 0, "import of %s exited %d\n%s%s", path, p.exit_code, p.out, p.err);
    snprintf(want, sizeof(want), "imported %d assets", n);
    cr_assert_neq(strstr(p.out, want), NULL, "%s", p.out);
    /* Not a terminal: no progress bar in the captured stderr. */
    cr_assert_eq(strchr(p.err, '\r'), NULL, "progress bar written to a non-terminal: %s", p.err);
    fprintf(stderr, "asset_import: %d rows with %ld dependencies from %s: %lld ms\n", n, edges,
            path, (long long)(isms_test_now_ms() - t0));
    isms_test_proc_cleanup(&p);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset"), before + n);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset_import_row"), 0, "staging left behind");
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset_import"), 0, "import left behind");
}

Test(asset_import, ismsctl_imports_20000_rows_with_dependencies_from_csv_and_json)
{
    struct isms_test_env env;
    char dir[256], csv[300], json[300];
    long edges_csv, edges_json;
    PGconn *pg;

    isms_test_env_start(&env, NULL);
    pg = isms_test_pg_connect(env.db.conninfo);
    isms_test_tmpdir(dir, sizeof(dir));
    snprintf(csv, sizeof(csv), "%s/assets.csv", dir);
    snprintf(json, sizeof(json), "%s/assets.json", dir);
    edges_csv = write_assets(csv, 0, "Csv", 20000, FLAW_NONE, 0);
    edges_json = write_assets(json, 1, "Json", 20000, FLAW_NONE, 0);

    import_ok(pg, env.srv.port, csv, 20000, edges_csv, 0);
    import_ok(pg, env.srv.port, json, 20000, edges_json, 20000);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset_dependency"), edges_csv + edges_json);
    /* The chain is intact across chunk boundaries (5,000 rows a chunk). */
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset_dependency d JOIN asset a"
                            " ON a.num = d.asset_num JOIN asset b ON b.num = d.depends_on_num"
                            " WHERE a.name = 'Csv 5001' AND b.name = 'Csv 5000'"),
                 1);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset_dependency d JOIN asset a"
                            " ON a.num = d.asset_num JOIN asset b ON b.num = d.depends_on_num"
                            " WHERE a.name = 'Json 19999' AND b.name = 'Json 9999'"),
                 1);
    /* Every created asset is in the audit trail, once. */
    cr_assert_eq(scalar(pg, "SELECT count(DISTINCT entity) FROM audit_log"
                            " WHERE method = '/isms.v1.Asset/ImportCommit'"),
                 40000);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset a WHERE NOT EXISTS (SELECT 1 FROM"
                            " audit_log l WHERE l.entity = 'asset:A-' || a.num)"),
                 0);
    isms_test_pg_close(pg);
    isms_test_finish();
}

/* An import whose row 15,000 is bad leaves nothing, names the row and drops its staging. */
static void import_refused(PGconn *pg, int port, const char *path, int want_exit,
                           const char *want_msg)
{
    struct isms_test_proc p;

    ctl_import(&p, port, path);
    cr_assert_eq(p.exit_code, want_exit, "import of %s exited %d\n%s%s", path, p.exit_code, p.out,
                 p.err);
    cr_assert_neq(strstr(p.err, want_msg), NULL, "wanted \"%s\" in: %s", want_msg, p.err);
    cr_assert_neq(strstr(p.err, path), NULL, "the file is not named: %s", p.err);
    isms_test_proc_cleanup(&p);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset"), 0, "a refused import left assets");
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset_dependency"), 0);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset_import_row"), 0, "staging left behind");
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset_import"), 0, "import left behind");
}

Test(asset_import, one_bad_row_leaves_nothing_and_is_named)
{
    struct isms_test_env env;
    char dir[256], path[300];
    PGconn *pg;

    isms_test_env_start(&env, NULL);
    pg = isms_test_pg_connect(env.db.conninfo);
    isms_test_tmpdir(dir, sizeof(dir));

    /* Found while staging (the fourth chunk), after three chunks were staged. */
    snprintf(path, sizeof(path), "%s/bad-value.csv", dir);
    write_assets(path, 0, "A", 20000, FLAW_BAD_VALUE, 15000);
    import_refused(pg, env.srv.port, path, 3,
                   "row 15000: confidentiality must be between 1 and 5, got 9");

    /* Found only at the commit: a name repeated across chunks. */
    snprintf(path, sizeof(path), "%s/dup-name.json", dir);
    write_assets(path, 1, "B", 20000, FLAW_DUP_NAME, 15000);
    import_refused(pg, env.srv.port, path, 5, "row 15000: name \"B 3\" is already used by row 3");

    /* A dependency cycle across chunks: row 1 (chunk 1) needs row 12000 (chunk 3). */
    snprintf(path, sizeof(path), "%s/cycle.csv", dir);
    write_assets(path, 0, "C", 12000, FLAW_CYCLE, 12000);
    import_refused(pg, env.srv.port, path, 6, "row 1: depends_on makes a dependency cycle");

    /* A name already in the inventory: still nothing, and the row is named. */
    isms_test_pg_exec(pg, "INSERT INTO asset (name, type, owner, classification,"
                          " confidentiality, integrity, availability)"
                          " VALUES ('D 15000', 'software', 'x', 'internal', 1, 1, 1)");
    snprintf(path, sizeof(path), "%s/taken.csv", dir);
    write_assets(path, 0, "D", 20000, FLAW_NONE, 0);
    {
        struct isms_test_proc p;

        ctl_import(&p, env.srv.port, path);
        cr_assert_eq(p.exit_code, 5, "exited %d\n%s", p.exit_code, p.err);
        cr_assert_neq(strstr(p.err, "row 15000: name: asset \"D 15000\" already exists"), NULL,
                      "%s", p.err);
        isms_test_proc_cleanup(&p);
    }
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset"), 1);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset_import_row"), 0);
    isms_test_pg_close(pg);
    isms_test_finish();
}

/* ---- the RPCs directly -------------------------------------------------------------------- */

static char *begin(int fd)
{
    Isms__V1__ImportBeginRequest r = ISMS__V1__IMPORT_BEGIN_REQUEST__INIT;
    struct isms_test_reply rep;
    char *id;

    isms_test_unary(fd, M_BEGIN, &r.base, 0, &isms__v1__import_begin_response__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "ImportBegin");
    id = strdup(((Isms__V1__ImportBeginResponse *)rep.body)->import_id);
    cr_assert_eq(((Isms__V1__ImportBeginResponse *)rep.body)->max_rows, 100000);
    isms_test_reply_cleanup(&rep);
    cr_assert_not_null(id);
    return id;
}

/* One chunk of `n` rows named "<prefix> <first_row + i>", each depending on `dep` (if any). */
static int chunk(int fd, const char *id, uint64_t first_row, const char *prefix, size_t n,
                 const char *dep, struct isms_test_reply *rep)
{
    Isms__V1__ImportChunkRequest r = ISMS__V1__IMPORT_CHUNK_REQUEST__INIT;
    Isms__V1__CreateAssetRequest rows[8], *ptrs[8];
    char names[8][64];
    char *deps[1] = {(char *)dep};
    int code;

    cr_assert_leq(n, 8);
    for (size_t i = 0; i < n; i++) {
        isms__v1__create_asset_request__init(&rows[i]);
        snprintf(names[i], sizeof(names[i]), "%s %llu", prefix,
                 (unsigned long long)(first_row + i));
        rows[i].name = names[i];
        rows[i].type = (char *)"hardware";
        rows[i].owner = (char *)"admin";
        rows[i].classification = (char *)"internal";
        rows[i].confidentiality = 1;
        rows[i].integrity = 1;
        rows[i].availability = 1;
        if (dep != NULL) {
            rows[i].depends_on = deps;
            rows[i].n_depends_on = 1;
        }
        ptrs[i] = &rows[i];
    }
    r.import_id = (char *)id;
    r.first_row = first_row;
    r.assets = ptrs;
    r.n_assets = n;
    code =
        isms_test_unary(fd, M_CHUNK, &r.base, 0, &isms__v1__import_chunk_response__descriptor, rep);
    return code;
}

static int commit(int fd, const char *id, struct isms_test_reply *rep)
{
    Isms__V1__ImportCommitRequest r = ISMS__V1__IMPORT_COMMIT_REQUEST__INIT;

    r.import_id = (char *)id;
    return isms_test_unary(fd, M_COMMIT, &r.base, 0, &isms__v1__import_assets_response__descriptor,
                           rep);
}

static int abort_import(int fd, const char *id, struct isms_test_reply *rep)
{
    Isms__V1__ImportAbortRequest r = ISMS__V1__IMPORT_ABORT_REQUEST__INIT;

    r.import_id = (char *)id;
    return isms_test_unary(fd, M_ABORT, &r.base, 0, &isms__v1__import_abort_response__descriptor,
                           rep);
}

static long long staged(PGconn *pg, const char *id)
{
    const char *params[1] = {id};

    return isms_test_pg_scalar(pg, "SELECT count(*) FROM asset_import_row WHERE import_id = $1", 1,
                               params);
}

Test(asset_import, a_cycle_across_chunks_is_refused)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    PGconn *pg;
    int fd;
    char *id;

    isms_test_env_start(&env, NULL);
    pg = isms_test_pg_connect(env.db.conninfo);
    fd = isms_test_connect(env.srv.port);
    id = begin(fd);
    /* X 1 (chunk 1) needs X 3 (chunk 2), which needs X 2, which needs X 1. */
    chunk(fd, id, 1, "X", 1, "X 3", &rep);
    isms_test_expect(&rep, 0, NULL, "chunk 1");
    isms_test_reply_cleanup(&rep);
    chunk(fd, id, 2, "X", 1, "x 1", &rep);
    isms_test_expect(&rep, 0, NULL, "chunk 2");
    isms_test_reply_cleanup(&rep);
    chunk(fd, id, 3, "X", 1, "X 2", &rep);
    isms_test_expect(&rep, 0, NULL, "chunk 3");
    cr_assert_eq(((Isms__V1__ImportChunkResponse *)rep.body)->rows_staged, 3);
    isms_test_reply_cleanup(&rep);
    commit(fd, id, &rep);
    isms_test_expect(&rep, 9, "row 1: depends_on makes a dependency cycle", "cyclic commit");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset"), 0);
    /* The commit ended the import. */
    cr_assert_eq(staged(pg, id), 0);
    commit(fd, id, &rep);
    isms_test_expect(&rep, 5, "does not exist", "second commit");
    isms_test_reply_cleanup(&rep);
    free(id);

    /* A self-dependency is a cycle too; a dependency on a missing asset names it. */
    id = begin(fd);
    chunk(fd, id, 1, "Y", 2, "Y 2", &rep);
    isms_test_expect(&rep, 0, NULL, "self chunk");
    isms_test_reply_cleanup(&rep);
    commit(fd, id, &rep);
    isms_test_expect(&rep, 9, "row 2: depends_on makes a dependency cycle", "self commit");
    isms_test_reply_cleanup(&rep);
    free(id);
    id = begin(fd);
    chunk(fd, id, 1, "Z", 2, "nowhere", &rep);
    isms_test_reply_cleanup(&rep);
    commit(fd, id, &rep);
    isms_test_expect(&rep, 5, "row 1: depends_on \"nowhere\" names no asset", "missing dep");
    isms_test_reply_cleanup(&rep);
    free(id);

    /* Out of order and malformed requests change nothing. */
    id = begin(fd);
    chunk(fd, id, 2, "W", 1, NULL, &rep);
    isms_test_expect(&rep, 9, "chunk out of order: it starts at row 2, but the import holds 0",
                     "gap");
    isms_test_reply_cleanup(&rep);
    chunk(fd, id, 1, "W", 2, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "first");
    isms_test_reply_cleanup(&rep);
    chunk(fd, id, 1, "W", 2, NULL, &rep);
    isms_test_expect(&rep, 9, "the next chunk starts at row 3", "repeat");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(staged(pg, id), 2);
    chunk(fd, "not-an-id", 3, "W", 1, NULL, &rep);
    isms_test_expect(&rep, 3, "is not an import id", "bad id");
    isms_test_reply_cleanup(&rep);
    chunk(fd, id, 3, "W", 0, NULL, &rep);
    isms_test_expect(&rep, 3, "a chunk holds 1..10000 assets, got 0", "empty chunk");
    isms_test_reply_cleanup(&rep);
    commit(fd, id, &rep);
    isms_test_expect(&rep, 0, NULL, "good commit");
    cr_assert_eq(((Isms__V1__ImportAssetsResponse *)rep.body)->n_ids, 2);
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset"), 2);
    free(id);
    isms_test_pg_close(pg);
    isms_test_finish();
}

Test(asset_import, an_abandoned_import_is_cleaned_up)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    PGconn *pg;
    int fd;
    char *id, *id2;
    const char *params[1];

    isms_test_env_start(&env, NULL);
    pg = isms_test_pg_connect(env.db.conninfo);
    fd = isms_test_connect(env.srv.port);
    id = begin(fd);
    chunk(fd, id, 1, "Gone", 3, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "chunk");
    isms_test_reply_cleanup(&rep);
    /* The client goes away without committing. */
    isms_test_close(fd);
    cr_assert_eq(staged(pg, id), 3);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset"), 0, "staged rows are not assets");

    /* An hour later (made so in the database), the next ImportBegin deletes it. */
    params[0] = id;
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "WITH u AS (UPDATE asset_import SET touched_at = now() -"
                                     " interval '61 minutes' WHERE id = $1::uuid RETURNING 1)"
                                     " SELECT count(*) FROM u",
                                     1, params),
                 1);
    fd = isms_test_connect(env.srv.port);
    commit(fd, id, &rep);
    isms_test_expect(&rep, 5, "does not exist", "commit of an expired import");
    isms_test_reply_cleanup(&rep);
    id2 = begin(fd);
    cr_assert_eq(staged(pg, id), 0, "the expired import's rows are still staged");
    cr_assert_eq(
        isms_test_pg_scalar(pg, "SELECT count(*) FROM asset_import WHERE id = $1::uuid", 1, params),
        0);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset"), 0);

    /* Abort drops the staging at once. */
    chunk(fd, id2, 1, "Dropped", 4, NULL, &rep);
    isms_test_reply_cleanup(&rep);
    abort_import(fd, id2, &rep);
    isms_test_expect(&rep, 0, NULL, "abort");
    cr_assert_eq(((Isms__V1__ImportAbortResponse *)rep.body)->rows_dropped, 4);
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(staged(pg, id2), 0);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset_import"), 0);
    free(id);
    free(id2);
    isms_test_pg_close(pg);
    isms_test_finish();
}

Test(asset_import, nobody_else_can_append_commit_or_abort)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    char admin_token[256], mia_token[256], vic_token[256];
    PGconn *pg;
    int fd, fd_mia;
    char *id;

    isms_test_env_start(&env, NULL);
    pg = isms_test_pg_connect(env.db.conninfo);
    fd = isms_test_connect(env.srv.port);
    snprintf(admin_token, sizeof(admin_token), "%s", isms_test_token());
    isms_test_user_create(fd, "mia", "isms_manager", "manager-password-long-enough");
    isms_test_user_create(fd, "vic", "viewer", "reader-password-long-enough");
    cr_assert_eq(isms_test_login(env.srv.port, "mia", "manager-password-long-enough", mia_token,
                                 sizeof(mia_token)),
                 0);
    cr_assert_eq(isms_test_login(env.srv.port, "vic", "reader-password-long-enough", vic_token,
                                 sizeof(vic_token)),
                 0);
    id = begin(fd);
    chunk(fd, id, 1, "Mine", 2, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "owner's chunk");
    isms_test_reply_cleanup(&rep);

    isms_test_set_token(mia_token);
    fd_mia = isms_test_connect(env.srv.port);
    chunk(fd_mia, id, 3, "Hers", 1, NULL, &rep);
    isms_test_expect(&rep, 5, "does not exist", "mia appends");
    isms_test_reply_cleanup(&rep);
    commit(fd_mia, id, &rep);
    isms_test_expect(&rep, 5, "does not exist", "mia commits");
    isms_test_reply_cleanup(&rep);
    abort_import(fd_mia, id, &rep);
    isms_test_expect(&rep, 5, "does not exist", "mia aborts");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(staged(pg, id), 2, "another user changed the staging");
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset"), 0);

    /* A viewer may not even begin. */
    isms_test_set_token(vic_token);
    {
        Isms__V1__ImportBeginRequest r = ISMS__V1__IMPORT_BEGIN_REQUEST__INIT;
        int fd_vic = isms_test_connect(env.srv.port);

        isms_test_unary(fd_vic, M_BEGIN, &r.base, 0, &isms__v1__import_begin_response__descriptor,
                        &rep);
        isms_test_expect(&rep, 7, NULL, "viewer begins");
        isms_test_reply_cleanup(&rep);
    }

    /* The owner still commits it, as staged. */
    isms_test_set_token(admin_token);
    commit(fd, id, &rep);
    isms_test_expect(&rep, 0, NULL, "owner's commit");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset WHERE name LIKE 'Mine %'"), 2);
    cr_assert_eq(scalar(pg, "SELECT count(*) FROM asset WHERE created_by = 'admin'"), 2);
    free(id);
    isms_test_pg_close(pg);
    isms_test_finish();
}

/* ---- ismsctl over TLS ----------------------------------------------------------------------- */

Test(asset_import, ismsctl_over_tls_survives_a_server_that_closes)
{
    struct isms_test_db db;
    struct isms_test_server srv;
    struct isms_test_proc p;
    char dir[256], ca[300], cert[300], key[300], ca_env[340], path[300];
    const char *env[3] = {"ISMS_PLAINTEXT=0", ca_env, NULL};
    char input[128];

    isms_test_tmpdir(dir, sizeof(dir));
    isms_test_tls_ca(dir, "ca");
    isms_test_tls_cert(dir, "ca", "srv", "0x1001");
    snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
    snprintf(cert, sizeof(cert), "%s/srv.crt", dir);
    snprintf(key, sizeof(key), "%s/srv.key", dir);
    snprintf(ca_env, sizeof(ca_env), "ISMS_CA=%s", ca);
    isms_test_db_create(&db, NULL);
    isms_test_bootstrap_admin(db.conninfo, ISMS_TEST_ADMIN_USER, ISMS_TEST_ADMIN_PASSWORD);
    /* Frames over 64 KiB are refused (and the connection closed) even after login. */
    isms_test_server_start_raw(
        &srv, (const char *const[]){"--listen", "127.0.0.1:0", "--db", db.conninfo, "--tls-cert",
                                    cert, "--tls-key", key, "--max-frame-bytes", "65536", NULL});
    snprintf(input, sizeof(input), "%s\n", ISMS_TEST_ADMIN_PASSWORD);
    isms_test_ismsctl_env(
        &p, srv.port,
        (const char *const[]){"login", ISMS_TEST_ADMIN_USER, "--password-stdin", NULL}, input, env);
    cr_assert_eq(p.exit_code, 0, "login over TLS exited %d\n%s", p.exit_code, p.err);
    isms_test_proc_cleanup(&p);

    snprintf(path, sizeof(path), "%s/big.csv", dir);
    write_assets(path, 0, "T", 3000, FLAW_NONE, 0);
    isms_test_ismsctl_env(&p, srv.port, (const char *const[]){"asset", "import", path, NULL}, NULL,
                          env);
    cr_assert_neq(p.exit_code, 141, "ismsctl died of SIGPIPE\n%s", p.err);
    /* Either the refusal was read (a data error, never "try later") or the write failed. */
    cr_assert(p.exit_code == 3 || p.exit_code == 9, "ismsctl exited %d\n%s", p.exit_code, p.err);
    cr_assert_eq(strncmp(p.err, "ismsctl: ", 9), 0, "no error message: %s", p.err);
    if (p.exit_code == 3)
        cr_assert_neq(strstr(p.err, "too large"), NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    isms_test_server_assert_alive(&srv, "after the refused import");
    isms_test_finish();
}

/* ---- timing (opt-in) ------------------------------------------------------------------------ */

Test(asset_import, timing_10k_50k_100k_rows, .timeout = 1800)
{
    static const int sizes[] = {10000, 50000, 100000};
    struct isms_test_env env;
    char dir[256], path[300], prefix[16];
    long long before = 0;
    PGconn *pg;

    if (getenv("ISMS_TEST_IMPORT_BIG") == NULL || strcmp(getenv("ISMS_TEST_IMPORT_BIG"), "1") != 0)
        cr_skip_test("set ISMS_TEST_IMPORT_BIG=1 to time imports of 10k, 50k and 100k rows");
    isms_test_env_start(&env, NULL);
    pg = isms_test_pg_connect(env.db.conninfo);
    isms_test_tmpdir(dir, sizeof(dir));
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        long edges;

        snprintf(prefix, sizeof(prefix), "S%zu", k);
        snprintf(path, sizeof(path), "%s/%d.csv", dir, sizes[k]);
        edges = write_assets(path, 0, prefix, sizes[k], FLAW_NONE, 0);
        import_ok(pg, env.srv.port, path, sizes[k], edges, before);
        before += sizes[k];
    }
    isms_test_pg_close(pg);
    isms_test_finish();
}
