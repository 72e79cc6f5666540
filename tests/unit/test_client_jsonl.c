/* tests/unit/test_client_jsonl.c — the audit export lines ismsctl writes and verifies offline
 * (client/jsonl.h): an export written by the pre-jansson writer still verifies, the writer's
 * output reads back byte for byte and verifies, and every malformed line is refused with a
 * message saying what is wrong, while a bad hash breaks the chain instead. */
#define _GNU_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "jsonl.h"

#ifndef ISMS_TEST_FIXTURES
#error "ISMS_TEST_FIXTURES must name tests/unit/fixtures"
#endif

/* Reads a whole file into a heap buffer (NUL-terminated). */
static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    long n;

    cr_assert_not_null(fp, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

/* Verifies every line of text[0..len) as `audit verify --file` does; returns the verifier. */
static struct isms_audit_verifier verify_text(const char *text, size_t len)
{
    struct isms_audit_verifier v;
    const char *p = text, *end = text + len;

    isms_audit_verifier_init(&v);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        struct isms_jsonl_record jr;
        struct isms_status st = {0};

        cr_assert_eq(isms_jsonl_read(p, n, &jr, &st), ISMS_OK, "%s in: %.*s", st.msg, (int)n, p);
        cr_assert(jr.is_hash_ok);
        isms_audit_verifier_add(&v, &jr.rec);
        isms_jsonl_record_cleanup(&jr);
        p += n + 1;
    }
    return v;
}

Test(client_jsonl, export_from_the_old_writer_still_verifies)
{
    size_t len;
    char *text = slurp(ISMS_TEST_FIXTURES "/audit_export_v0.jsonl", &len);
    struct isms_audit_verifier v = verify_text(text, len);

    cr_assert_eq(v.first_bad_seq, 0, "%s", v.problem);
    cr_assert_eq(v.count, 6);
    free(text);
}

Test(client_jsonl, old_escapes_decode_to_the_hashed_bytes)
{
    size_t len;
    char *text = slurp(ISMS_TEST_FIXTURES "/audit_export_v0.jsonl", &len);
    const char *line3 = strstr(text, "{\"seq\":3,");
    const char *line6 = strstr(text, "{\"seq\":6,");
    struct isms_jsonl_record jr;
    struct isms_status st = {0};

    cr_assert_not_null(line3);
    cr_assert_eq(isms_jsonl_read(line3, (size_t)(strchr(line3, '\n') - line3), &jr, &st), ISMS_OK,
                 "%s", st.msg);
    cr_assert_str_eq(jr.rec.changes, "quote \" backslash \\ slash / ctl \x01\x1f del \x7f");
    isms_jsonl_record_cleanup(&jr);
    cr_assert_eq(isms_jsonl_read(line6, (size_t)(strchr(line6, '\n') - line6), &jr, &st), ISMS_OK,
                 "%s", st.msg);
    cr_assert_str_eq(jr.rec.changes, "cr\r lf\n bs\b ff\f");
    isms_jsonl_record_cleanup(&jr);
    free(text);
}

Test(client_jsonl, a_changed_byte_in_the_old_export_breaks_the_chain)
{
    size_t len;
    char *text = slurp(ISMS_TEST_FIXTURES "/audit_export_v0.jsonl", &len);
    char *at = strstr(text, "ACME");
    struct isms_audit_verifier v;

    cr_assert_not_null(at);
    at[0] = 'X';
    v = verify_text(text, len);
    cr_assert_eq(v.first_bad_seq, 2);
    free(text);
}

/* A chain of records written with the new writer, with hashes computed here. */
Test(client_jsonl, writer_output_reads_back_byte_for_byte_and_verifies)
{
    static const char *const changes[] = {"{\"a\":1}", "\"\\/\b\f\n\r\t\x01\x1f\x7f",
                                          "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\xa8", "",
                                          "line\nbreak"};
    uint8_t prev[ISMS_AUDIT_HASH_BYTES] = {0};
    char *buf = NULL;
    size_t buflen = 0;
    FILE *fp = open_memstream(&buf, &buflen);
    struct isms_status st = {0};
    struct isms_audit_verifier v;

    for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
        struct isms_audit_record rec = {0};
        Isms__V1__AuditRecord r = ISMS__V1__AUDIT_RECORD__INIT;
        char ph[65], h[65];

        rec.seq = (int64_t)i + 1;
        rec.at = "2026-01-02T03:04:05.000000Z";
        rec.actor = "alice";
        rec.source = "127.0.0.1:1";
        rec.method = "/isms.v1.Asset/Create";
        rec.entity = "asset:A-1";
        rec.changes = changes[i];
        rec.result = "OK";
        memcpy(rec.prev_hash, prev, sizeof(prev));
        cr_assert_eq(isms_audit_hash(prev, &rec, rec.hash, &st), ISMS_OK);
        isms_hex_encode(prev, ISMS_AUDIT_HASH_BYTES, ph);
        isms_hex_encode(rec.hash, ISMS_AUDIT_HASH_BYTES, h);
        r.seq = rec.seq;
        r.at = (char *)rec.at;
        r.actor = (char *)rec.actor;
        r.source = (char *)rec.source;
        r.method = (char *)rec.method;
        r.entity = (char *)rec.entity;
        r.changes = (char *)rec.changes;
        r.result = (char *)rec.result;
        r.prev_hash = ph;
        r.hash = h;
        cr_assert_eq(isms_jsonl_write(fp, &r, &st), ISMS_OK, "%s", st.msg);
        memcpy(prev, rec.hash, sizeof(prev));
    }
    fclose(fp);
    /* Same member order and separators as before jansson. */
    cr_assert(strncmp(buf, "{\"seq\":1,\"at\":\"2026-01-02T03:04:05.000000Z\",\"actor\":\"alice\",",
                      60) == 0,
              "%s", buf);
    v = verify_text(buf, buflen);
    cr_assert_eq(v.first_bad_seq, 0, "%s", v.problem);
    cr_assert_eq(v.count, 5);
    free(buf);
}

Test(client_jsonl, writer_refuses_invalid_utf8)
{
    Isms__V1__AuditRecord r = ISMS__V1__AUDIT_RECORD__INIT;
    char *buf = NULL;
    size_t buflen = 0;
    FILE *fp = open_memstream(&buf, &buflen);
    struct isms_status st = {0};

    r.seq = 7;
    r.changes = "bad \xff byte";
    cr_assert_eq(isms_jsonl_write(fp, &r, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_str_eq(st.msg, "audit record 7: \"changes\" is not valid UTF-8");
    fclose(fp);
    free(buf);
}

/* A valid record line with `swap` replaced: the parts that vary per case. */
#define H64 "0000000000000000000000000000000000000000000000000000000000000000"
#define GOOD_TAIL                                                                                  \
    "\"at\":\"t\",\"actor\":\"a\",\"source\":\"s\",\"method\":\"m\",\"entity\":\"e\","             \
    "\"changes\":\"c\",\"result\":\"r\",\"prev_hash\":\"" H64 "\",\"hash\":\"" H64 "\""

/* Inline arrays, not pointers: Criterion hands parameters to a re-executed process. */
struct bad_line {
    char line[400];
    char msg[48]; /* a substring of the error */
};

ParameterizedTestParameters(client_jsonl, malformed_lines_are_refused)
{
    static struct bad_line cases[] = {
        {"", "column 1: '[' or '{' expected"},
        {"   ", "column"},
        {"{\"seq\":1," GOOD_TAIL, "column"}, /* truncated: no '}' */
        {"{\"seq\":1,\"at\":\"t", "column"}, /* truncated in a string */
        {"{\"seq\":1,\"seq\":2," GOOD_TAIL "}", "duplicate object key"},
        {"{\"seq\":1,\"\\u0061t\":\"x\"," GOOD_TAIL "}", "duplicate object key"},
        {"{\"seq\":\"1\"," GOOD_TAIL "}", "\"seq\" must be an integer"},
        {"{\"seq\":1.0," GOOD_TAIL "}", "\"seq\" must be an integer"},
        {"{\"seq\":1e3," GOOD_TAIL "}", "\"seq\" must be an integer"},
        {"{\"seq\":true," GOOD_TAIL "}", "\"seq\" must be an integer"},
        {"{\"seq\":null," GOOD_TAIL "}", "\"seq\" must be an integer"},
        {"{\"seq\":99999999999999999999," GOOD_TAIL "}", "too big integer"},
        {"{\"seq\":01," GOOD_TAIL "}", "column"},
        {"{\"seq\":1,\"extra\":\"x\"," GOOD_TAIL "}", "unknown member \"extra\""},
        {"{\"seq\":1,\"at\":1,\"actor\":\"a\",\"source\":\"s\",\"method\":\"m\",\"entity\":\"e\","
         "\"changes\":\"c\",\"result\":\"r\",\"prev_hash\":\"" H64 "\",\"hash\":\"" H64 "\"}",
         "\"at\" must be a string"},
        {"{\"seq\":1,\"at\":{},\"actor\":\"a\",\"source\":\"s\",\"method\":\"m\",\"entity\":\"e\","
         "\"changes\":\"c\",\"result\":\"r\",\"prev_hash\":\"" H64 "\",\"hash\":\"" H64 "\"}",
         "\"at\" must be a string"},
        {"{\"seq\":1,\"at\":\"t\"}", "member \"actor\" is missing"},
        {"{\"at\":\"t\"}", "member \"seq\" is missing"},
        {"{\"seq\":1," GOOD_TAIL "} {}", "end of file expected"},
        {"{\"seq\":1," GOOD_TAIL "}\r", "carriage return"},
        {"[1]", "expected an object"},
        {"{\"seq\":1,\"at\":\"\xff\"}", "unable to decode byte 0xff"},
        {"{\"seq\":1,\"at\":\"\xc0\xaf\"}", "unable to decode byte"},     /* overlong '/' */
        {"{\"seq\":1,\"at\":\"\xed\xa0\x80\"}", "unable to decode byte"}, /* surrogate */
        {"{\"seq\":1,\"at\":\"\\u0000\"}", "\\u0000 is not allowed"},
        {"{\"seq\":1,\"at\":\"\\ud800\"}", "invalid Unicode"},
        {"{\"seq\":1,\"at\":\"a\tb\"}", "control character"},
        {"{\"seq\":1,\"at\":\"\\q\"}", "invalid escape"},
    };

    return cr_make_param_array(struct bad_line, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_line *tc, client_jsonl, malformed_lines_are_refused)
{
    struct isms_jsonl_record jr;
    struct isms_status st = {0};

    cr_assert_eq(isms_jsonl_read(tc->line, strlen(tc->line), &jr, &st), ISMS_INVALID_ARGUMENT,
                 "accepted: %s", tc->line);
    cr_assert_not_null(strstr(st.msg, tc->msg), "\"%s\" for %s", st.msg, tc->line);
    cr_assert_null(strstr(st.msg, "JSON_ALLOW_NUL"), "%s", st.msg);
}

struct hash_case {
    char hash[80];
};

ParameterizedTestParameters(client_jsonl, bad_hash_fields_break_the_chain_not_the_parse)
{
    static struct hash_case hashes[] = {
        {""},
        {"00"},
        {H64 "00"},
        {"zz" H64},
        {"000000000000000000000000000000000000000000000000000000000000000g"}};

    return cr_make_param_array(struct hash_case, hashes, sizeof(hashes) / sizeof(hashes[0]));
}

ParameterizedTest(struct hash_case *tc, client_jsonl, bad_hash_fields_break_the_chain_not_the_parse)
{
    char line[512];
    struct isms_jsonl_record jr;
    struct isms_status st = {0};

    snprintf(line, sizeof(line),
             "{\"seq\":1,\"at\":\"t\",\"actor\":\"a\",\"source\":\"s\",\"method\":\"m\","
             "\"entity\":\"e\",\"changes\":\"c\",\"result\":\"r\",\"prev_hash\":\"" H64 "\","
             "\"hash\":\"%s\"}",
             tc->hash);
    cr_assert_eq(isms_jsonl_read(line, strlen(line), &jr, &st), ISMS_OK, "%s", st.msg);
    cr_assert_not(jr.is_hash_ok, "hash \"%s\" accepted", tc->hash);
    isms_jsonl_record_cleanup(&jr);
}

Test(client_jsonl, huge_line_is_refused_before_parsing)
{
    size_t len = ISMS_JSONL_LINE_MAX + 1;
    char *line = malloc(len);
    struct isms_jsonl_record jr;
    struct isms_status st = {0};

    cr_assert_not_null(line);
    memset(line, ' ', len);
    cr_assert_eq(isms_jsonl_read(line, len, &jr, &st), ISMS_INVALID_ARGUMENT);
    cr_assert_str_eq(st.msg, "line is longer than 16 MiB");
    free(line);
}

Test(client_jsonl, the_largest_seq_stays_exact)
{
    const char *line = "{\"seq\":9223372036854775807," GOOD_TAIL "}";
    struct isms_jsonl_record jr;
    struct isms_status st = {0};

    cr_assert_eq(isms_jsonl_read(line, strlen(line), &jr, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(jr.rec.seq, INT64_MAX);
    cr_assert(jr.is_hash_ok);
    isms_jsonl_record_cleanup(&jr);
}

Test(client_jsonl, header_and_checkpoint_lines_round_trip)
{
    static const char PK[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    char hash[65], sig[129], *buf = NULL;
    size_t len = 0;
    Isms__V1__AuditCheckpoint cp = ISMS__V1__AUDIT_CHECKPOINT__INIT;
    struct isms_jsonl_record jr;
    struct isms_status st;
    FILE *fp = open_memstream(&buf, &len);
    char *nl;

    memset(hash, 'a', 64);
    hash[64] = '\0';
    memset(sig, 'b', 128);
    sig[128] = '\0';
    cp.seq = 7;
    cp.hash = hash;
    cp.signed_at = "2026-11-25T14:40:35.738792Z";
    cp.key_id = "0123456789abcdef";
    cp.signature = sig;
    cr_assert_not_null(fp);
    cr_assert_eq(isms_jsonl_write_header(fp, PK, "127.0.0.1:7370", &cp, &st), ISMS_OK);
    cr_assert_eq(isms_jsonl_write_checkpoint(fp, &cp, &st), ISMS_OK);
    cr_assert_eq(fclose(fp), 0);

    nl = strchr(buf, '\n');
    cr_assert_not_null(nl);
    cr_assert_eq(isms_jsonl_read(buf, (size_t)(nl - buf), &jr, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(jr.kind, ISMS_JSONL_HEADER);
    cr_assert_str_eq(jr.server, "127.0.0.1:7370");
    cr_assert(jr.has_cp);
    cr_assert_eq(jr.cp.seq, 7);
    cr_assert_str_eq(jr.cp.key_id, "0123456789abcdef");
    cr_assert_eq(jr.public_key[0], 0xd7);
    isms_jsonl_record_cleanup(&jr);
    cr_assert_eq(isms_jsonl_read(nl + 1, strlen(nl + 1) - 1, &jr, &st), ISMS_OK, "%s", st.msg);
    cr_assert_eq(jr.kind, ISMS_JSONL_CHECKPOINT);
    cr_assert_eq(jr.cp.seq, 7);
    cr_assert_eq(jr.cp.signature[0], 0xbb);
    cr_assert_str_eq(jr.cp.signed_at, "2026-11-25T14:40:35.738792Z");
    isms_jsonl_record_cleanup(&jr);
    free(buf);

    /* A checkpoint with a short signature, an extra member, or a header of another version. */
    {
        static const char *const bad[] = {
            "{\"checkpoint\":{\"seq\":1,\"hash\":\"aa\",\"signed_at\":\"t\",\"key_id\":"
            "\"0123456789abcdef\",\"signature\":\"bb\"}}",
            "{\"checkpoint\":{\"seq\":1,\"x\":1}}",
            "{\"export\":{\"version\":3,\"server\":\"s\",\"public_key\":\"aa\"}}",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
            cr_assert_eq(isms_jsonl_read(bad[i], strlen(bad[i]), &jr, &st), ISMS_INVALID_ARGUMENT,
                         "line %zu accepted", i);
    }
}
