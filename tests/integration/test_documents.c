/* tests/integration/test_documents.c — the Do phase's documented information and evidence
 * through ismsctl against a real ismsd and PostgreSQL: a 5.2 policy from draft to acknowledged,
 * large bodies byte for byte, evidence and `control set` / `soa check`; and the chunked upload
 * driven over a raw socket with every bad chunk sequence. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "isms/v1/document.pb-c.h"
#include "testlib.h"

#define PW "documents-test-password-1"

TestSuite(documents, .init = isms_test_init, .fini = isms_test_fini, .timeout = 280);

struct people {
    char mgr[256], mgr2[256], boss[256], kim[256], lee[256], max[256];
};

static void login(int port, const char *user, char *tok)
{
    cr_assert_eq(isms_test_login(port, user, PW, tok, 256), 0, "login %s", user);
}

/* Accounts: two ISMS managers, top management, three staff (viewers). */
static void make_people(struct isms_test_env *env, struct people *pp)
{
    int fd = isms_test_connect(env->srv.port);

    isms_test_user_create(fd, "mgr", "isms_manager", PW);
    isms_test_user_create(fd, "mgr2", "isms_manager", PW);
    isms_test_user_create(fd, "boss", "top_management", PW);
    isms_test_user_create(fd, "kim", "viewer", PW);
    isms_test_user_create(fd, "lee", "viewer", PW);
    isms_test_user_create(fd, "max", "viewer", PW);
    isms_test_close(fd);
    login(env->srv.port, "mgr", pp->mgr);
    login(env->srv.port, "mgr2", pp->mgr2);
    login(env->srv.port, "boss", pp->boss);
    login(env->srv.port, "kim", pp->kim);
    login(env->srv.port, "lee", pp->lee);
    login(env->srv.port, "max", pp->max);
}

/* ismsctl as the account whose token is `tok`; fails unless it exits `want`. */
static void ctl(struct isms_test_proc *p, int port, const char *tok, int want,
                const char *const *args)
{
    char env[300];

    snprintf(env, sizeof(env), "ISMS_TOKEN=%s", tok);
    isms_test_ismsctl_expect(p, port, want, NULL, (const char *const[]){env, NULL}, args);
}

static void sha256_hex(const unsigned char *d, size_t n, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    cr_assert_eq(EVP_Digest(d, n, md, &len, EVP_sha256(), NULL), 1);
    for (unsigned i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Writes `n` pseudo-random bytes (seeded) to dir/name; returns the heap copy. */
static unsigned char *write_file(const char *path, size_t n, unsigned seed)
{
    unsigned char *d = malloc(n);
    uint64_t x = 0x9e3779b97f4a7c15ull ^ seed;
    FILE *fp;

    cr_assert_not_null(d);
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        d[i] = (unsigned char)x;
    }
    fp = fopen(path, "wb");
    cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(d, 1, n, fp), n);
    fclose(fp);
    return d;
}

static void assert_file_equals(const char *path, const unsigned char *d, size_t n)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *got = malloc(n + 1);
    size_t k;

    cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
    k = fread(got, 1, n + 1, fp);
    fclose(fp);
    cr_assert_eq(k, n, "%s holds %zu bytes, not %zu", path, k, n);
    cr_assert_eq(memcmp(got, d, n), 0, "%s differs from what was uploaded", path);
    free(got);
}

static long long scalar(struct isms_test_env *env, const char *sql)
{
    PGconn *pg = isms_test_pg_connect(env->db.conninfo);
    long long v = isms_test_pg_scalar(pg, sql, 0, NULL);

    isms_test_pg_close(pg);
    return v;
}

Test(documents, isms_policy_from_draft_to_acknowledged)
{
    struct isms_test_env env;
    struct people pp;
    struct isms_test_proc p;
    char dir[256], path[300], out[300], sha[65];
    unsigned char *body, *body2;
    int port;

    cr_assert_not_null(isms_test_ismsctl_path(), "ismsctl was not built");
    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    make_people(&env, &pp);
    isms_test_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/policy.pdf", dir);
    snprintf(out, sizeof(out), "%s/out.pdf", dir);
    body = write_file(path, 300000, 1);
    sha256_hex(body, 300000, sha);

    /* Drafted by the ISMS manager. */
    ctl(&p, port, pp.mgr, 0,
        (const char *const[]){"doc", "create", "Information security policy", "--type", "policy",
                              "--isms-policy", "--owner", "mgr", "--serves", "5.2,A.5.1",
                              "--retention", "7 years", NULL});
    cr_assert_neq(strstr(p.out, "DOC-1"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 3,
        (const char *const[]){"doc", "create", "Second policy", "--type", "procedure",
                              "--isms-policy", "--owner", "mgr", NULL});
    cr_assert_neq(strstr(p.err, "5.2"), NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 4,
        (const char *const[]){"doc", "create", "Ghost owned", "--type", "plan", "--owner", "nobody",
                              NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 0, (const char *const[]){"doc", "upload", "DOC-1", "--file", path, NULL});
    cr_assert_neq(strstr(p.out, sha), NULL, "the version's sha256 is not %s:\n%s", sha, p.out);
    cr_assert_neq(strstr(p.out, "draft"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    /* Staff may read but not write. */
    ctl(&p, port, pp.kim, 7, (const char *const[]){"doc", "submit", "DOC-1", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 6, (const char *const[]){"doc", "approve", "DOC-1", NULL});
    cr_assert_neq(strstr(p.err, "in_review"), NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 0, (const char *const[]){"doc", "submit", "DOC-1", NULL});
    isms_test_proc_cleanup(&p);
    /* Refused when its author approves it, and when an ISMS manager other than top
     * management does. */
    ctl(&p, port, pp.mgr, 6, (const char *const[]){"doc", "approve", "DOC-1", NULL});
    cr_assert_neq(strstr(p.err, "author"), NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr2, 6, (const char *const[]){"doc", "approve", "DOC-1", NULL});
    cr_assert_neq(strstr(p.err, "top_management"), NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    /* Distribution needs a published version. */
    ctl(&p, port, pp.mgr, 6,
        (const char *const[]){"doc", "distribute", "DOC-1", "--role", "viewer", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.boss, 0, (const char *const[]){"doc", "approve", "DOC-1", NULL});
    cr_assert_neq(strstr(p.out, "boss"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 0, (const char *const[]){"doc", "publish", "DOC-1", NULL});
    cr_assert_neq(strstr(p.out, "published"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);

    /* Distributed to the staff; two acknowledge, the third has it pending. */
    ctl(&p, port, pp.mgr, 4,
        (const char *const[]){"doc", "distribute", "DOC-1", "--user", "ghost", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 3,
        (const char *const[]){"doc", "distribute", "DOC-1", "--role", "janitor", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 0,
        (const char *const[]){"-o", "json", "doc", "distribute", "DOC-1", "--role", "viewer",
                              NULL});
    cr_assert_neq(strstr(p.out, "\"audience\": 3"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.max, 0, (const char *const[]){"doc", "pending", NULL});
    cr_assert_neq(strstr(p.out, "DOC-1"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.kim, 0, (const char *const[]){"doc", "ack", "DOC-1", NULL});
    cr_assert_neq(strstr(p.out, sha), NULL, "the acknowledgement is not bound to %s:\n%s", sha,
                  p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.lee, 0, (const char *const[]){"doc", "ack", "DOC-1", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.boss, 6, (const char *const[]){"doc", "ack", "DOC-1", NULL});
    cr_assert_neq(strstr(p.err, "not distributed to you"), NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.kim, 0, (const char *const[]){"doc", "pending", NULL});
    cr_assert_eq(strstr(p.out, "DOC-1"), NULL, "kim acknowledged, yet:\n%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.max, 0, (const char *const[]){"doc", "pending", NULL});
    cr_assert_neq(strstr(p.out, "DOC-1"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 0, (const char *const[]){"-o", "csv", "doc", "acks", "DOC-1", NULL});
    cr_assert_neq(strstr(p.out, "kim,true"), NULL, "%s", p.out);
    cr_assert_neq(strstr(p.out, "lee,true"), NULL, "%s", p.out);
    cr_assert_neq(strstr(p.out, "max,false"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);

    /* Byte for byte back. */
    ctl(&p, port, pp.kim, 0,
        (const char *const[]){"doc", "download", "DOC-1", "--file", out, NULL});
    isms_test_proc_cleanup(&p);
    assert_file_equals(out, body, 300000);

    /* A second version: publishing it supersedes the first; one published version only. */
    body2 = write_file(path, 1000, 2);
    ctl(&p, port, pp.mgr, 0, (const char *const[]){"doc", "upload", "DOC-1", "--file", path, NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 0, (const char *const[]){"doc", "submit", "DOC-1", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.boss, 0, (const char *const[]){"doc", "approve", "DOC-1", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 0, (const char *const[]){"doc", "publish", "DOC-1", NULL});
    isms_test_proc_cleanup(&p);
    cr_assert_eq(scalar(&env, "SELECT count(*) FROM doc_version WHERE state = 'published'"), 1);
    cr_assert_eq(scalar(&env, "SELECT n FROM doc_version WHERE state = 'published'"), 2);
    cr_assert_eq(scalar(&env, "SELECT n FROM doc_version WHERE state = 'superseded'"), 1);
    ctl(&p, port, pp.mgr, 6,
        (const char *const[]){"doc", "publish", "DOC-1", "--version", "1", NULL});
    cr_assert_neq(strstr(p.err, "superseded"), NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    /* The database refuses a second published version, and a change to a published body. */
    {
        PGconn *pg = isms_test_pg_connect(env.db.conninfo);
        PGresult *r = PQexec(pg, "UPDATE doc_version SET sha256 = sha256(sha256) WHERE n = 2");

        cr_assert_neq(PQresultStatus(r), PGRES_COMMAND_OK, "a published body changed");
        PQclear(r);
        r = PQexec(pg, "INSERT INTO doc_version (doc_num, n, state, author, external_ref, sha256)"
                       " VALUES (1, 9, 'published', 'mgr', 'x', sha256('x'))");
        cr_assert_neq(PQresultStatus(r), PGRES_COMMAND_OK, "two published versions");
        PQclear(r);
        isms_test_pg_close(pg);
    }
    /* The old version still downloads as it was; the new one is the default. */
    ctl(&p, port, pp.kim, 0,
        (const char *const[]){"doc", "download", "DOC-1", "--version", "1", "--file", out, NULL});
    isms_test_proc_cleanup(&p);
    assert_file_equals(out, body, 300000);
    ctl(&p, port, pp.kim, 0,
        (const char *const[]){"doc", "download", "DOC-1", "--file", out, NULL});
    isms_test_proc_cleanup(&p);
    assert_file_equals(out, body2, 1000);
    /* Each writes its audit record. */
    cr_assert_eq(scalar(&env, "SELECT count(*) FROM audit_log WHERE method LIKE "
                              "'/isms.v1.Document/%' AND result = 'OK'"),
                 12);
    free(body);
    free(body2);
    cr_assert_eq(isms_test_health(port, NULL, 0), 0);
    isms_test_finish();
}

Test(documents, twenty_mib_round_trip_with_the_same_sha256)
{
    struct isms_test_env env;
    struct people pp;
    struct isms_test_proc p;
    char dir[256], path[300], out[300], sha[65];
    size_t n = 20u << 20;
    unsigned char *body;
    int port;

    cr_assert_not_null(isms_test_ismsctl_path(), "ismsctl was not built");
    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    make_people(&env, &pp);
    isms_test_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/big.pdf", dir);
    snprintf(out, sizeof(out), "%s/big-out.pdf", dir);
    body = write_file(path, n, 3);
    sha256_hex(body, n, sha);
    ctl(&p, port, pp.mgr, 0,
        (const char *const[]){"doc", "create", "Backup procedure", "--type", "procedure", "--owner",
                              "mgr", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 0, (const char *const[]){"doc", "upload", "DOC-1", "--file", path, NULL});
    cr_assert_neq(strstr(p.out, sha), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.lee, 0,
        (const char *const[]){"doc", "download", "DOC-1", "--file", out, NULL});
    cr_assert_neq(strstr(p.out, sha), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    assert_file_equals(out, body, n);
    cr_assert_eq(scalar(&env, "SELECT size FROM doc_version WHERE doc_num = 1 AND n = 1"),
                 (long long)n);
    free(body);
    isms_test_finish();
}

/* ---- raw protobuf: bad chunk sequences --------------------------------------------------------
 */

static char *begin(int fd, uint64_t size, const char *sha)
{
    Isms__V1__UploadBeginRequest b = ISMS__V1__UPLOAD_BEGIN_REQUEST__INIT;
    struct isms_test_reply rep;
    char *id;

    b.size = size;
    b.sha256 = (char *)sha;
    b.filename = (char *)"x.bin";
    isms_test_unary(fd, "/isms.v1.Upload/Begin", &b.base, 0,
                    &isms__v1__upload_begin_response__descriptor, &rep);
    isms_test_expect(&rep, 0, NULL, "Upload/Begin");
    id = strdup(((Isms__V1__UploadBeginResponse *)rep.body)->upload_id);
    isms_test_reply_cleanup(&rep);
    return id;
}

static int chunk(int fd, const char *id, uint32_t index, const unsigned char *d, size_t n,
                 struct isms_test_reply *rep)
{
    Isms__V1__UploadChunkRequest c = ISMS__V1__UPLOAD_CHUNK_REQUEST__INIT;

    c.upload_id = (char *)id;
    c.index = index;
    c.data.data = (uint8_t *)d;
    c.data.len = n;
    return isms_test_unary(fd, "/isms.v1.Upload/Chunk", &c.base, 0,
                           &isms__v1__upload_chunk_response__descriptor, rep);
}

static int add_version(int fd, const char *id, struct isms_test_reply *rep)
{
    Isms__V1__AddDocVersionRequest a = ISMS__V1__ADD_DOC_VERSION_REQUEST__INIT;

    a.id = (char *)"DOC-1";
    a.upload_id = (char *)id;
    return isms_test_unary(fd, "/isms.v1.Document/AddVersion", &a.base, 0,
                           &isms__v1__doc_version__descriptor, rep);
}

Test(documents, bad_chunk_sequences_are_refused)
{
    struct isms_test_env env;
    struct people pp;
    struct isms_test_reply rep;
    struct isms_test_proc p;
    size_t n = 3u << 20, part = 1u << 20;
    unsigned char *d;
    char sha[65], *id;
    int fd;

    isms_test_env_start(&env, NULL);
    make_people(&env, &pp);
    ctl(&p, env.srv.port, pp.mgr, 0,
        (const char *const[]){"doc", "create", "Access control policy", "--type", "topic_policy",
                              "--owner", "mgr", NULL});
    isms_test_proc_cleanup(&p);
    d = malloc(n);
    cr_assert_not_null(d);
    for (size_t i = 0; i < n; i++)
        d[i] = (unsigned char)(i * 7 + 3);
    sha256_hex(d, n, sha);
    isms_test_set_token(pp.mgr);
    fd = isms_test_connect(env.srv.port);

    /* Out of order: chunk 1 first. */
    id = begin(fd, n, sha);
    chunk(fd, id, 1, d + part, part, &rep);
    isms_test_expect(&rep, 9, "out of order", "chunk 1 before 0");
    isms_test_reply_cleanup(&rep);
    /* Missing chunk: 0, then 2. */
    chunk(fd, id, 0, d, part, &rep);
    isms_test_expect(&rep, 0, NULL, "chunk 0");
    isms_test_reply_cleanup(&rep);
    chunk(fd, id, 2, d + 2 * part, part, &rep);
    isms_test_expect(&rep, 9, "expects chunk 1", "chunk 2 after 0");
    isms_test_reply_cleanup(&rep);
    /* ...and the incomplete upload cannot become a version. */
    add_version(fd, id, &rep);
    isms_test_expect(&rep, 9, "not a complete upload", "AddVersion with a chunk missing");
    isms_test_reply_cleanup(&rep);
    /* A repeated chunk 0 is out of order too. */
    chunk(fd, id, 0, d, part, &rep);
    isms_test_expect(&rep, 9, "out of order", "chunk 0 twice");
    isms_test_reply_cleanup(&rep);
    chunk(fd, id, 1, d + part, part, &rep);
    isms_test_expect(&rep, 0, NULL, "chunk 1");
    isms_test_reply_cleanup(&rep);
    chunk(fd, id, 2, d + 2 * part, part, &rep);
    isms_test_expect(&rep, 0, NULL, "chunk 2");
    cr_assert(((Isms__V1__UploadChunkResponse *)rep.body)->complete);
    cr_assert_str_eq(((Isms__V1__UploadChunkResponse *)rep.body)->sha256, sha);
    isms_test_reply_cleanup(&rep);
    chunk(fd, id, 3, d, 10, &rep);
    isms_test_expect(&rep, 9, "already complete", "a chunk after the last");
    isms_test_reply_cleanup(&rep);
    add_version(fd, id, &rep);
    isms_test_expect(&rep, 0, NULL, "AddVersion");
    isms_test_reply_cleanup(&rep);
    /* Attached once only. */
    add_version(fd, id, &rep);
    isms_test_expect(&rep, 9, "not a complete upload", "the same upload twice");
    isms_test_reply_cleanup(&rep);
    free(id);

    /* Over the cap: declared too large, or more bytes than declared. */
    {
        Isms__V1__UploadBeginRequest b = ISMS__V1__UPLOAD_BEGIN_REQUEST__INIT;

        b.size = (64u << 20) + 1;
        b.sha256 = sha;
        isms_test_unary(fd, "/isms.v1.Upload/Begin", &b.base, 0, NULL, &rep);
        isms_test_expect(&rep, 3, "max_document_bytes", "a 64 MiB + 1 file");
        isms_test_reply_cleanup(&rep);
        b.size = 10;
        b.sha256 = (char *)"abc";
        isms_test_unary(fd, "/isms.v1.Upload/Begin", &b.base, 0, NULL, &rep);
        isms_test_expect(&rep, 3, "64 hex digits", "a bad sha256");
        isms_test_reply_cleanup(&rep);
    }
    id = begin(fd, 10, sha);
    chunk(fd, id, 0, d, 20, &rep);
    isms_test_expect(&rep, 3, "over its declared size", "20 bytes into 10");
    isms_test_reply_cleanup(&rep);
    free(id);
    id = begin(fd, n, sha);
    chunk(fd, id, 0, d, part + 1, &rep);
    isms_test_expect(&rep, 3, "1..1048576 bytes", "a chunk over 1 MiB");
    isms_test_reply_cleanup(&rep);
    free(id);

    /* Hash mismatch: the last chunk is refused and the upload dropped. */
    id = begin(fd, 100, "0000000000000000000000000000000000000000000000000000000000000000");
    chunk(fd, id, 0, d, 60, &rep);
    isms_test_expect(&rep, 0, NULL, "first 60 bytes");
    isms_test_reply_cleanup(&rep);
    chunk(fd, id, 1, d + 60, 40, &rep);
    isms_test_expect(&rep, 9, "sha256 mismatch", "the last chunk of a wrong hash");
    isms_test_reply_cleanup(&rep);
    chunk(fd, id, 2, d, 1, &rep);
    isms_test_expect(&rep, 5, "does not exist", "a chunk of a dropped upload");
    isms_test_reply_cleanup(&rep);
    free(id);

    /* Not an upload id; someone else's upload. */
    chunk(fd, "nope", 0, d, 1, &rep);
    isms_test_expect(&rep, 3, "not an upload id", "bad id");
    isms_test_reply_cleanup(&rep);
    id = begin(fd, 10, sha);
    isms_test_set_token(pp.mgr2);
    {
        int fd2 = isms_test_connect(env.srv.port);

        chunk(fd2, id, 0, d, 10, &rep);
        isms_test_expect(&rep, 5, "does not exist", "another manager's upload");
        isms_test_reply_cleanup(&rep);
        isms_test_close(fd2);
    }
    free(id);
    cr_assert_eq(isms_test_health(env.srv.port, NULL, 0), 0);
    free(d);
    isms_test_finish();
}

/* ---- evidence ------------------------------------------------------------------------------- */

Test(documents, evidence_linked_to_a_control_and_expired_evidence_reported)
{
    struct isms_test_env env;
    struct people pp;
    struct isms_test_proc p;
    char dir[256], path[300], out[300];
    unsigned char *body;
    int port;

    cr_assert_not_null(isms_test_ismsctl_path(), "ismsctl was not built");
    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    make_people(&env, &pp);
    isms_test_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/restore-test.pdf", dir);
    snprintf(out, sizeof(out), "%s/restore-out.pdf", dir);
    body = write_file(path, 50000, 4);

    ctl(&p, port, pp.mgr, 0,
        (const char *const[]){"evidence", "add", "Restore test 2026", "--file", path, "--shows",
                              "backups restore within 4 hours", "--control", "A.8.13",
                              "--valid-until", "2099-12-31", NULL});
    cr_assert_neq(strstr(p.out, "EV-1"), NULL, "%s", p.out);
    cr_assert_neq(strstr(p.out, "8.13"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 0,
        (const char *const[]){"evidence", "add", "Old scan", "--url",
                              "https://scanner.example/report/17", "--control", "8.8",
                              "--collected-at", "2024-01-10", "--valid-until", "2024-12-31", NULL});
    cr_assert_neq(strstr(p.out, "EV-2"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 4,
        (const char *const[]){"evidence", "add", "Nothing", "--url", "https://x.example/",
                              "--control", "99.99", NULL});
    cr_assert_neq(strstr(p.err, "99.99"), NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 4,
        (const char *const[]){"evidence", "add", "Nothing", "--url", "https://x.example/", "--risk",
                              "R-42", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.kim, 0,
        (const char *const[]){"evidence", "download", "EV-1", "--file", out, NULL});
    isms_test_proc_cleanup(&p);
    assert_file_equals(out, body, 50000);

    /* control set --evidence: EV-n, DOC-n and URLs; unknown EV-n or DOC-n refused. */
    ctl(&p, port, pp.mgr, 4,
        (const char *const[]){"control", "set", "8.13", "--evidence", "EV-99", NULL});
    cr_assert_neq(strstr(p.err, "EV-99"), NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 4,
        (const char *const[]){"control", "set", "8.13", "--evidence", "DOC-7", NULL});
    cr_assert_neq(strstr(p.err, "DOC-7"), NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 0,
        (const char *const[]){"control", "set", "8.13", "--applicable", "yes", "--reason",
                              "risk_treatment", "--status", "implemented", "--evidence", "EV-1",
                              "--evidence", "https://wiki.example/backup", NULL});
    cr_assert_neq(strstr(p.out, "EV-1"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 0,
        (const char *const[]){"control", "set", "8.8", "--applicable", "yes", "--reason",
                              "risk_treatment", "--status", "implemented", "--evidence", "EV-2",
                              NULL});
    isms_test_proc_cleanup(&p);
    /* soa check: 8.8's only evidence expired; 8.13 is fine. */
    ctl(&p, port, pp.mgr, 6, (const char *const[]){"-o", "csv", "soa", "check", NULL});
    cr_assert_neq(strstr(p.out, "8.8,evidence_expired"), NULL, "%s", p.out);
    cr_assert_eq(strstr(p.out, "8.13,evidence_expired"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    free(body);
    isms_test_finish();
}

/* The register entry: update guarded by --expect-version, list with filters. */
Test(documents, register_update_and_list)
{
    struct isms_test_env env;
    struct people pp;
    struct isms_test_proc p;
    int port;

    cr_assert_not_null(isms_test_ismsctl_path(), "ismsctl was not built");
    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    make_people(&env, &pp);
    ctl(&p, port, pp.mgr, 0,
        (const char *const[]){"doc", "create", "Supplier security standard", "--type", "standard",
                              "--owner", "mgr", "--next-review", "2020-01-01", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 0,
        (const char *const[]){"doc", "create", "Incident response plan", "--type", "plan",
                              "--owner", "mgr2", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 0,
        (const char *const[]){"-o", "json", "doc", "update", "DOC-2", "--owner", "mgr",
                              "--retention", "5 years", "--expect-version", "1", NULL});
    cr_assert_neq(strstr(p.out, "\"version\": 2"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 5,
        (const char *const[]){"doc", "update", "DOC-2", "--title", "IR plan", "--expect-version",
                              "1", NULL});
    cr_assert_neq(strstr(p.err, "stale"), NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 4,
        (const char *const[]){"doc", "update", "DOC-2", "--owner", "ghost", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 4, (const char *const[]){"doc", "show", "DOC-9", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.mgr, 3, (const char *const[]){"doc", "show", "R-1", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.kim, 0, (const char *const[]){"-o", "csv", "doc", "list", NULL});
    cr_assert_neq(strstr(p.out, "DOC-1,Supplier security standard,standard,mgr"), NULL, "%s",
                  p.out);
    cr_assert_neq(strstr(p.out, "DOC-2,Incident response plan,plan,mgr"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, pp.kim, 0, (const char *const[]){"-o", "csv", "doc", "list", "--due", NULL});
    cr_assert_neq(strstr(p.out, "DOC-1"), NULL, "%s", p.out);
    cr_assert_eq(strstr(p.out, "DOC-2"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    cr_assert_eq(scalar(&env, "SELECT count(*) FROM audit_log WHERE method = "
                              "'/isms.v1.Document/Update' AND result = 'OK'"),
                 1);
    isms_test_finish();
}
