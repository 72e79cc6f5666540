/* tests/integration/test_protocol.c — the wire contract (docs/PROTOCOL.md) against a real
 * ismsd: pipelining past the in-flight limit, unknown methods, undecodable envelopes and
 * bodies, compressed frames, frame size limits and hostile byte streams. After every bad
 * input the server must still serve a second client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/frame.h"
#include "testlib.h"

TestSuite(protocol, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

static void assert_still_serving(const struct isms_test_server *srv)
{
    char status[32];

    isms_test_server_assert_alive((struct isms_test_server *)srv, "after a bad input");
    cr_assert_eq(isms_test_health(srv->port, status, sizeof(status)), 0,
                 "ismsd stopped answering Health");
    cr_assert_str_eq(status, "SERVING");
}

/* Writes n requests (call ids 1..n, alternating Context/Get and Health) in one go, then reads
 * n responses and checks each id came back exactly once, with OK. */
static void pipeline(int fd, size_t n)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    Isms__V1__HealthRequest health = ISMS__V1__HEALTH_REQUEST__INIT;
    uint8_t *all = NULL;
    size_t all_len = 0;
    unsigned char *seen = calloc(n + 1, 1);

    cr_assert_not_null(seen);
    for (size_t i = 1; i <= n; i++) {
        size_t len;
        uint8_t *f = isms_test_frame_request(&len, i, i % 2 ? ISMS_M_CTX_GET : ISMS_M_HEALTH, 0,
                                             i % 2 ? &get.base : &health.base, NULL, 0);
        uint8_t *na = realloc(all, all_len + len);

        cr_assert_not_null(na);
        all = na;
        memcpy(all + all_len, f, len);
        all_len += len;
        free(f);
    }
    isms_test_send(fd, all, all_len);
    free(all);
    for (size_t i = 0; i < n; i++) {
        Isms__V1__Response *r;
        char what[64];

        snprintf(what, sizeof(what), "pipelined response %zu of %zu", i + 1, n);
        r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, what);
        cr_assert(r->call_id >= 1 && r->call_id <= n, "unexpected call_id %llu",
                  (unsigned long long)r->call_id);
        cr_assert_eq(seen[r->call_id], 0, "call_id %llu answered twice",
                     (unsigned long long)r->call_id);
        seen[r->call_id] = 1;
        cr_assert_eq(r->code, 0, "call %llu: %s: %s", (unsigned long long)r->call_id,
                     isms_code_name(r->code), r->message);
        isms__v1__response__free_unpacked(r, NULL);
    }
    free(seen);
}

Test(protocol, pipelined_100_calls_all_answered)
{
    struct isms_test_env env;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    pipeline(fd, 100);
    /* The connection is still usable afterwards. */
    pipeline(fd, 3);
    isms_test_finish();
}

Test(protocol, pipelined_300_calls_past_the_inflight_limit)
{
    struct isms_test_env env;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    pipeline(fd, 300);
    isms_test_finish();
}

/* With max_inflight_per_conn = 2, a connection never has more than two calls running: while
 * a lock held here blocks Context/Get, exactly two of a pipelined batch reach PostgreSQL (the
 * pool has 8 connections, so without the limit up to 8 would), and a Health pipelined behind
 * them is not even read, so it is not answered, until the lock goes. */
Test(protocol, pipelined_with_tiny_inflight_limit)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    Isms__V1__HealthRequest health = ISMS__V1__HEALTH_REQUEST__INIT;
    const char *args[] = {"--max-inflight",        "2", "--pool-size", "8",
                          "--statements-per-conn", "8", NULL};
    const size_t n = 10;
    struct isms_test_env env;
    PGconn *holder, *monitor;
    unsigned char seen[11] = {0};
    uint8_t *all = NULL;
    size_t all_len = 0;
    long long most = 0;
    int64_t until;
    Isms__V1__Response *r;
    int fd, other;

    isms_test_env_start(&env, args);
    fd = isms_test_connect(env.srv.port);
    holder = isms_test_pg_lock_table(&env.db, "isms_context");
    monitor = isms_test_pg_connect(env.db.admin_conninfo);

    /* Calls 1, 2 and 4..10 are Context/Get; call 3 is Health, which needs no table. */
    for (size_t i = 1; i <= n; i++) {
        size_t len;
        uint8_t *f = isms_test_frame_request(&len, i, i == 3 ? ISMS_M_HEALTH : ISMS_M_CTX_GET, 0,
                                             i == 3 ? &health.base : &get.base, NULL, 0);
        uint8_t *na = realloc(all, all_len + len);

        cr_assert_not_null(na);
        all = na;
        memcpy(all + all_len, f, len);
        all_len += len;
        free(f);
    }
    isms_test_send(fd, all, all_len);
    free(all);

    until = isms_test_now_ms() + 20000;
    while ((most = isms_test_pg_lock_waiters(monitor, &env.db, holder)) < 2) {
        cr_assert(isms_test_now_ms() < until, "%lld calls wait on the lock after 20 s, expected 2",
                  most);
        isms_test_sleep_ms(25);
    }
    /* Watch for a while: more waiters, or any answer, means a third call was started. */
    until = isms_test_now_ms() + 1500;
    while (isms_test_now_ms() < until) {
        long long w = isms_test_pg_lock_waiters(monitor, &env.db, holder);
        enum isms_test_io io;

        most = w > most ? w : most;
        io = isms_test_try_read_response(fd, 25, &r);
        if (io == ISMS_TEST_IO_OK) {
            cr_assert_fail("call %llu (%s) answered while calls 1 and 2 were blocked: "
                           "max_inflight_per_conn=2 not applied",
                           (unsigned long long)r->call_id, isms_code_name(r->code));
        }
        cr_assert_eq(io, ISMS_TEST_IO_TIMEOUT, "connection lost while calls are blocked");
    }
    cr_assert_eq(most, 2, "%lld statements of one connection ran at once, max_inflight_per_conn=2",
                 most);

    /* The limit is per connection: another client is served meanwhile. */
    other = isms_test_connect(env.srv.port);
    {
        struct isms_test_reply rep;

        isms_test_unary(other, ISMS_M_HEALTH, &health.base, 0, NULL, &rep);
        isms_test_expect(&rep, 0, NULL, "Health on another connection");
        isms_test_reply_cleanup(&rep);
    }

    isms_test_pg_exec(holder, "COMMIT");
    for (size_t i = 0; i < n; i++) {
        r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, "a call after the lock");
        cr_assert(r->call_id >= 1 && r->call_id <= n, "unexpected call_id %llu",
                  (unsigned long long)r->call_id);
        cr_assert_eq(seen[r->call_id], 0, "call %llu answered twice",
                     (unsigned long long)r->call_id);
        seen[r->call_id] = 1;
        cr_assert_eq(r->code, 0, "call %llu: %s: %s", (unsigned long long)r->call_id,
                     isms_code_name(r->code), r->message);
        isms__v1__response__free_unpacked(r, NULL);
    }
    /* And a long pipeline still completes through the two slots. */
    pipeline(fd, 50);
    isms_test_finish();
}

Test(protocol, unknown_method_is_unimplemented)
{
    struct isms_test_env env;
    Isms__V1__HealthRequest req = ISMS__V1__HEALTH_REQUEST__INIT;
    struct isms_test_reply rep;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    isms_test_unary(fd, "/isms.v1.Nope/Nothing", &req.base, 0, NULL, &rep);
    isms_test_expect(&rep, 12, "/isms.v1.Nope/Nothing", "unknown method");
    isms_test_reply_cleanup(&rep);
    isms_test_unary(fd, "/isms.v1.System/health", &req.base, 0, NULL, &rep);
    isms_test_expect(&rep, 12, NULL, "method with the wrong case");
    isms_test_reply_cleanup(&rep);
    isms_test_unary(fd, "", &req.base, 0, NULL, &rep);
    isms_test_expect(&rep, 12, NULL, "empty method");
    isms_test_reply_cleanup(&rep);
    /* Same connection still works. */
    isms_test_unary(fd, ISMS_M_HEALTH, &req.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Health after unknown methods");
    isms_test_reply_cleanup(&rep);
    assert_still_serving(&env.srv);
    isms_test_finish();
}

Test(protocol, method_name_cannot_forge_log_lines)
{
    struct isms_test_env env;
    Isms__V1__HealthRequest req = ISMS__V1__HEALTH_REQUEST__INIT;
    struct isms_test_reply rep;
    char *log;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    isms_test_unary(fd, "/x\nlevel=error msg=\"forged\"", &req.base, 0, NULL, &rep);
    isms_test_expect(&rep, 12, NULL, "method with a newline");
    isms_test_reply_cleanup(&rep);
    isms_test_close(fd);
    isms_test_server_stop(&env.srv);
    log = isms_test_read_file(env.srv.log_path);
    cr_assert_not_null(log);
    cr_assert_null(strstr(log, "\nlevel=error msg=\"forged\""),
                   "a client-supplied newline reached the log unescaped");
    free(log);
    isms_test_finish();
}

Test(protocol, body_that_is_not_protobuf_is_invalid_argument)
{
    static const uint8_t junk[] = {0xFF, 0xFF, 0xFF};
    static const char *const methods[] = {ISMS_M_CTX_GET, ISMS_M_CTX_ADD_PARTY, ISMS_M_CTX_UPDATE,
                                          ISMS_M_HEALTH};
    struct isms_test_env env;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        size_t len;
        uint8_t *f = isms_test_frame_request(&len, 77 + i, methods[i], 0, NULL, junk, sizeof(junk));
        Isms__V1__Response *r;

        isms_test_send(fd, f, len);
        free(f);
        r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, methods[i]);
        cr_assert_eq(r->call_id, 77 + i, "%s: call_id %llu", methods[i],
                     (unsigned long long)r->call_id);
        cr_assert_eq(r->code, 3, "%s with a junk body: %s: %s", methods[i], isms_code_name(r->code),
                     r->message);
        cr_assert_neq(r->message[0], '\0', "INVALID_ARGUMENT without a message");
        isms__v1__response__free_unpacked(r, NULL);
    }
    assert_still_serving(&env.srv);
    isms_test_finish();
}

Test(protocol, envelope_that_is_not_protobuf_is_invalid_argument)
{
    static const uint8_t junk[] = {0xFF, 0xFF, 0xFF};
    Isms__V1__HealthRequest req = ISMS__V1__HEALTH_REQUEST__INIT;
    struct isms_test_reply rep;
    struct isms_test_env env;
    Isms__V1__Response *r;
    uint8_t *f;
    size_t len;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    f = isms_test_frame_raw(&len, 0, junk, sizeof(junk));
    isms_test_send(fd, f, len);
    free(f);
    r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, "a junk envelope");
    cr_assert_eq(r->call_id, 0);
    cr_assert_eq(r->code, 3, "junk envelope: %s: %s", isms_code_name(r->code), r->message);
    cr_assert_neq(r->message[0], '\0', "INVALID_ARGUMENT without a message");
    isms__v1__response__free_unpacked(r, NULL);
    /* The connection stays open. */
    isms_test_unary(fd, ISMS_M_HEALTH, &req.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Health after a junk envelope");
    isms_test_reply_cleanup(&rep);
    assert_still_serving(&env.srv);
    isms_test_finish();
}

Test(protocol, empty_envelope_is_an_unknown_method)
{
    struct isms_test_env env;
    Isms__V1__Response *r;
    uint8_t *f;
    size_t len;
    int fd;

    /* A zero-length body is valid protobuf: call_id 0, method "". */
    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    f = isms_test_frame_raw(&len, 0, NULL, 0);
    isms_test_send(fd, f, len);
    free(f);
    r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, "an empty envelope");
    cr_assert_eq(r->call_id, 0);
    cr_assert_eq(r->code, 12, "empty envelope: %s: %s", isms_code_name(r->code), r->message);
    isms__v1__response__free_unpacked(r, NULL);
    assert_still_serving(&env.srv);
    isms_test_finish();
}

Test(protocol, compressed_flag_is_unimplemented)
{
    Isms__V1__HealthRequest req = ISMS__V1__HEALTH_REQUEST__INIT;
    struct isms_test_reply rep;
    struct isms_test_env env;
    Isms__V1__Response *r;
    uint8_t *f;
    size_t len;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    /* A valid Health request, but flagged compressed. */
    f = isms_test_frame_request(&len, 55, ISMS_M_HEALTH, 0, &req.base, NULL, 0);
    f[0] = ISMS_FRAME_FLAG_COMPRESSED;
    isms_test_send(fd, f, len);
    free(f);
    r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, "a compressed frame");
    cr_assert_eq(r->call_id, 0, "compressed frame answered with call_id %llu",
                 (unsigned long long)r->call_id);
    cr_assert_eq(r->code, 12, "compressed frame: %s: %s", isms_code_name(r->code), r->message);
    cr_assert_neq(strstr(r->message, "compress"), NULL, "message \"%s\"", r->message);
    isms__v1__response__free_unpacked(r, NULL);
    /* The frame was skipped; the connection goes on. */
    isms_test_unary(fd, ISMS_M_HEALTH, &req.base, 0, NULL, &rep);
    isms_test_expect(&rep, 0, NULL, "Health after a compressed frame");
    isms_test_reply_cleanup(&rep);
    assert_still_serving(&env.srv);
    isms_test_finish();
}

/* Sends a header declaring `declared` bytes (and `extra` body bytes), expects
 * RESOURCE_EXHAUSTED with call_id 0, then the connection closed. */
static void expect_oversize(int port, uint32_t declared, size_t extra)
{
    uint8_t hdr[ISMS_FRAME_HEADER_BYTES];
    Isms__V1__Response *r;
    int fd = isms_test_connect(port);
    enum isms_test_io io;

    isms_frame_header(hdr, 0, declared);
    isms_test_send(fd, hdr, sizeof(hdr));
    if (extra > 0) {
        uint8_t *pad = calloc(1, extra);

        cr_assert_not_null(pad);
        isms_test_try_send(fd, pad, extra); /* may fail: the server may have closed already */
        free(pad);
    }
    io = isms_test_try_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, &r);
    cr_assert_eq(io, ISMS_TEST_IO_OK, "no RESOURCE_EXHAUSTED response to a %u-byte frame",
                 declared);
    cr_assert_eq(r->call_id, 0);
    cr_assert_eq(r->code, 8, "declared length %u: %s: %s", declared, isms_code_name(r->code),
                 r->message);
    cr_assert_neq(strstr(r->message, "exceeds"), NULL, "message \"%s\"", r->message);
    isms__v1__response__free_unpacked(r, NULL);
    cr_assert(isms_test_wait_closed(fd, ISMS_TEST_REPLY_TIMEOUT_MS),
              "connection not closed after an oversize frame");
    isms_test_close(fd);
}

Test(protocol, length_0xffffffff_is_resource_exhausted_then_closed)
{
    struct isms_test_env env;

    isms_test_env_start(&env, NULL);
    expect_oversize(env.srv.port, 0xFFFFFFFFu, 0);
    assert_still_serving(&env.srv);
    expect_oversize(env.srv.port, 4u * 1024 * 1024 + 1, 1000);
    assert_still_serving(&env.srv);
    isms_test_finish();
}

/* A Health request padded with metadata to exactly `size` envelope bytes. */
static uint8_t *padded_health(size_t *len, size_t size)
{
    Isms__V1__Request req = ISMS__V1__REQUEST__INIT;
    Isms__V1__Request__MetadataEntry md = ISMS__V1__REQUEST__METADATA_ENTRY__INIT;
    Isms__V1__Request__MetadataEntry *mdp = &md;
    char *pad = malloc(size + 1);
    uint8_t *env, *frame;
    size_t plen = size > 64 ? size - 64 : 1;

    cr_assert_not_null(pad);
    req.call_id = 9;
    req.method = ISMS_M_HEALTH;
    req.n_metadata = 1;
    req.metadata = &mdp;
    md.key = "x-pad";
    md.value = pad;
    for (;;) {
        size_t got;

        memset(pad, 'p', plen);
        pad[plen] = '\0';
        got = isms__v1__request__get_packed_size(&req);
        if (got == size)
            break;
        cr_assert(got < size || plen > 1, "cannot pad to %zu", size);
        plen = got < size ? plen + 1 : plen - 1;
    }
    env = malloc(size);
    cr_assert_not_null(env);
    isms__v1__request__pack(&req, env);
    frame = isms_test_frame_raw(len, 0, env, size);
    free(env);
    free(pad);
    return frame;
}

Test(protocol, max_frame_bytes_limit_is_exact)
{
    const char *args[] = {"--max-frame-bytes", "1024", NULL};
    struct isms_test_env env;
    Isms__V1__Response *r;
    uint8_t *f;
    size_t len;
    int fd;

    isms_test_env_start(&env, args);
    fd = isms_test_connect(env.srv.port);
    f = padded_health(&len, 1024);
    isms_test_send(fd, f, len);
    free(f);
    r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, "a 1024-byte frame");
    cr_assert_eq(r->call_id, 9);
    cr_assert_eq(r->code, 0, "a frame of exactly max_frame_bytes: %s: %s", isms_code_name(r->code),
                 r->message);
    isms__v1__response__free_unpacked(r, NULL);
    isms_test_close(fd);

    expect_oversize(env.srv.port, 1025, 1025);
    assert_still_serving(&env.srv);
    isms_test_finish();
}

/* xorshift64*: reproducible noise (rand() is banned). */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

Test(protocol, random_bytes_do_not_hurt_the_server)
{
    struct isms_test_env env;
    uint8_t buf[4096];

    isms_test_env_start(&env, NULL);
    for (uint64_t seed = 1; seed <= 8; seed++) {
        uint64_t s = seed * 0x9E3779B97F4A7C15ull;
        int fd = isms_test_connect(env.srv.port);
        size_t n = 16 + next_rand(&s) % (sizeof(buf) - 16);

        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)next_rand(&s);
        if (seed % 2 == 0) {
            /* A plausible header in front, so the noise reaches envelope decoding. */
            isms_frame_header(buf, 0, (uint32_t)(n - ISMS_FRAME_HEADER_BYTES));
        }
        isms_test_try_send(fd, buf, n);
        isms_test_wait_closed(fd, 2000); /* drain whatever it answers; no assertion */
        isms_test_close(fd);
        assert_still_serving(&env.srv);
    }
    isms_test_finish();
}

Test(protocol, truncated_frames_then_close)
{
    Isms__V1__HealthRequest req = ISMS__V1__HEALTH_REQUEST__INIT;
    struct isms_test_env env;
    uint8_t *f;
    size_t len;
    int fd;

    isms_test_env_start(&env, NULL);
    f = isms_test_frame_request(&len, 1, ISMS_M_HEALTH, 0, &req.base, NULL, 0);
    /* Cut inside the header, and inside the body. */
    for (size_t cut = 1; cut < len; cut += (cut < 6 ? 1 : 7)) {
        fd = isms_test_connect(env.srv.port);
        isms_test_send(fd, f, cut);
        isms_test_close(fd);
    }
    /* A header promising 100 bytes, 10 sent, then close. */
    fd = isms_test_connect(env.srv.port);
    {
        uint8_t part[ISMS_FRAME_HEADER_BYTES + 10] = {0};

        isms_frame_header(part, 0, 100);
        isms_test_send(fd, part, sizeof(part));
    }
    isms_test_close(fd);
    free(f);
    assert_still_serving(&env.srv);
    isms_test_finish();
}

Test(protocol, client_closing_with_calls_in_flight)
{
    Isms__V1__GetContextRequest get = ISMS__V1__GET_CONTEXT_REQUEST__INIT;
    struct isms_test_env env;

    /* Calls whose connection is gone must finish silently (no crash, no leak). */
    isms_test_env_start(&env, NULL);
    for (int round = 0; round < 5; round++) {
        int fd = isms_test_connect(env.srv.port);

        for (uint64_t id = 1; id <= 20; id++)
            isms_test_send_request(fd, id, ISMS_M_CTX_GET, 0, &get.base);
        isms_test_close(fd);
    }
    assert_still_serving(&env.srv);
    isms_test_finish();
}

/* Sends `body` (raw bytes) to `method` and returns the response (caller frees). */
static Isms__V1__Response *raw_call(int fd, const char *method, const uint8_t *body, size_t n)
{
    size_t len;
    uint8_t *f = isms_test_frame_request(&len, 41, method, 0, NULL, body, n);

    isms_test_send(fd, f, len);
    free(f);
    return isms_test_read_response(fd, 5000, method);
}

Test(protocol, nul_in_a_string_field_is_refused_and_nothing_is_stored)
{
    struct isms_test_env env;
    /* AddIssueRequest{kind: "internal", description: "a\0b"} */
    const uint8_t body[] = {0x0a, 0x08, 'i',  'n',  't', 'e',  'r', 'n',
                            'a',  'l',  0x12, 0x03, 'a', 0x00, 'b'};
    Isms__V1__Response *r;
    PGconn *c;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    r = raw_call(fd, ISMS_M_CTX_ADD_ISSUE, body, sizeof(body));
    cr_expect_eq(r->code, 3, "INVALID_ARGUMENT, got %d: %s", r->code, r->message);
    cr_expect(strstr(r->message, "description holds a NUL byte") != NULL, "%s", r->message);
    cr_expect(strstr(r->message, "NUL byte") != NULL, "%s", r->message);
    isms__v1__response__free_unpacked(r, NULL);
    c = isms_test_pg_connect(env.db.conninfo);
    cr_expect_eq(isms_test_pg_scalar(c, "SELECT count(*) FROM context_issue", 0, NULL), 0,
                 "nothing stored, not even \"a\"");
    isms_test_pg_close(c);
    assert_still_serving(&env.srv);
    isms_test_finish();
}

Test(protocol, nul_in_a_password_is_refused_not_cut)
{
    struct isms_test_env env;
    /* LoginRequest{user: ISMS_TEST_ADMIN_USER, password: <real password> "\0junk"} */
    uint8_t body[256];
    size_t n = 0, ul = strlen(ISMS_TEST_ADMIN_USER), pl = strlen(ISMS_TEST_ADMIN_PASSWORD);
    Isms__V1__Response *r;
    int fd;

    isms_test_env_start(&env, NULL);
    body[n++] = 0x0a;
    body[n++] = (uint8_t)ul;
    memcpy(body + n, ISMS_TEST_ADMIN_USER, ul);
    n += ul;
    body[n++] = 0x12;
    body[n++] = (uint8_t)(pl + 5);
    memcpy(body + n, ISMS_TEST_ADMIN_PASSWORD, pl);
    n += pl;
    memcpy(body + n, "\0junk", 5);
    n += 5;
    isms_test_set_token("");
    fd = isms_test_connect(env.srv.port);
    r = raw_call(fd, ISMS_M_AUTH_LOGIN, body, n);
    cr_expect_eq(r->code, 3, "the password is not cut at the NUL and accepted: %d %s", r->code,
                 r->message);
    isms__v1__response__free_unpacked(r, NULL);
    isms_test_finish();
}

Test(protocol, response_message_is_always_valid_utf8)
{
    struct isms_test_env env;
    Isms__V1__HealthRequest req = ISMS__V1__HEALTH_REQUEST__INIT;
    struct isms_test_reply rep;
    char method[400];
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    /* A long, valid method name of multi-byte characters: the echo is cut between characters. */
    {
        size_t o = (size_t)snprintf(method, sizeof(method), "/isms.v1.Nope/");

        while (o + 4 < sizeof(method)) {
            memcpy(method + o, "\xe2\x82\xac", 3);
            o += 3;
        }
        method[o] = '\0';
    }
    isms_test_unary(fd, method, &req.base, 0, NULL, &rep);
    isms_test_expect(&rep, 12, "unknown method", "long unknown method");
    {
        const unsigned char *m = (const unsigned char *)rep.message;
        size_t len = strlen(rep.message), i = 0;

        while (i < len) {
            size_t k = m[i] < 0x80 ? 1 : (m[i] & 0xf0) == 0xe0 ? 3 : 0;

            cr_assert(k != 0 && i + k <= len, "byte %zu of the message is not valid UTF-8", i);
            for (size_t j = 1; j < k; j++)
                cr_assert((m[i + j] & 0xc0) == 0x80, "cut inside a character at %zu", i);
            i += k;
        }
    }
    isms_test_reply_cleanup(&rep);
    /* An invalid UTF-8 method name is refused with a message that says so, in valid UTF-8. */
    isms_test_unary(fd, "/isms.v1.Nope/\xff\xfe", &req.base, 0, NULL, &rep);
    isms_test_expect(&rep, 3, "not valid UTF-8", "invalid UTF-8 method");
    cr_expect(strchr(rep.message, '\xff') == NULL);
    isms_test_reply_cleanup(&rep);
    assert_still_serving(&env.srv);
    isms_test_finish();
}
