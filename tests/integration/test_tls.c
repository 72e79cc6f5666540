/* tests/integration/test_tls.c — ismsd's TLS listener against an OpenSSL client: the right CA
 * verifies (TLS 1.3) and serves calls, a wrong CA fails verification, TLS 1.0/1.1 and
 * plaintext are refused while others are served, plaintext is refused off loopback, TLS files
 * are required, and SIGHUP swaps the certificate for new handshakes only (a bad file keeps the
 * old one). Certificates come from a private CA made with the openssl tool for each test. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/frame.h"
#include "testlib.h"

TestSuite(tls, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define SERIAL_A 0x1001
#define SERIAL_B 0x2002

/* A CA "ca", a server certificate "srv-a" (serial 0x1001) and "srv-b" (0x2002) it signs, an
 * unrelated CA "other", and ismsd serving srv-a from DIR/server.{crt,key}. */
struct tls_env {
    char dir[256];
    char ca[300], other_ca[300], cert[300], key[300];
    struct isms_test_db db;
    struct isms_test_server srv;
};

static void copy_file(const char *from, const char *to)
{
    char *text = isms_test_read_file(from);
    char tmp[400];
    FILE *f;

    cr_assert_not_null(text, "could not read %s", from);
    snprintf(tmp, sizeof(tmp), "%s.tmp", to);
    f = fopen(tmp, "w");
    cr_assert_not_null(f, "could not write %s", tmp);
    fputs(text, f);
    cr_assert(fclose(f) == 0);
    free(text);
    /* rename: the server never reads a half-written file. */
    cr_assert(rename(tmp, to) == 0, "rename %s: %s", to, strerror(errno));
}

static void use_cert(struct tls_env *t, const char *name)
{
    char from[320];

    snprintf(from, sizeof(from), "%s/%s.crt", t->dir, name);
    copy_file(from, t->cert);
    snprintf(from, sizeof(from), "%s/%s.key", t->dir, name);
    copy_file(from, t->key);
}

static void make_certs(struct tls_env *t)
{
    /* OpenSSL writes with write(2): a server that hung up must not kill the test. */
    signal(SIGPIPE, SIG_IGN);
    isms_test_tmpdir(t->dir, sizeof(t->dir));
    isms_test_tls_ca(t->dir, "ca");
    isms_test_tls_ca(t->dir, "other");
    isms_test_tls_cert(t->dir, "ca", "srv-a", "0x1001");
    isms_test_tls_cert(t->dir, "ca", "srv-b", "0x2002");
    snprintf(t->ca, sizeof(t->ca), "%s/ca.crt", t->dir);
    snprintf(t->other_ca, sizeof(t->other_ca), "%s/other.crt", t->dir);
    snprintf(t->cert, sizeof(t->cert), "%s/server.crt", t->dir);
    snprintf(t->key, sizeof(t->key), "%s/server.key", t->dir);
    use_cert(t, "srv-a");
}

static void tls_env_start(struct tls_env *t)
{
    make_certs(t);
    isms_test_db_create(&t->db, NULL);
    isms_test_server_start_raw(&t->srv, (const char *const[]){"--listen", "127.0.0.1:0", "--db",
                                                              t->db.conninfo, "--tls-cert", t->cert,
                                                              "--tls-key", t->key, NULL});
    cr_assert_eq(isms_test_server_log_count(&t->srv, "tls=on"), 1,
                 "ismsd does not say it listens with TLS");
}

/* A client context trusting `ca_file` (NULL: none) for TLS versions min..max (0 = library
 * default); `legacy` lowers the security level so TLS 1.0/1.1 can even be offered. */
static SSL_CTX *client_ctx(const char *ca_file, int min_v, int max_v, bool legacy)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    cr_assert_not_null(ctx);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (ca_file != NULL)
        cr_assert_eq(SSL_CTX_load_verify_locations(ctx, ca_file, NULL), 1, "cannot load %s",
                     ca_file);
    if (legacy) {
        SSL_CTX_set_security_level(ctx, 0);
        cr_assert_eq(SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0"), 1);
    }
    if (min_v != 0)
        cr_assert_eq(SSL_CTX_set_min_proto_version(ctx, min_v), 1);
    if (max_v != 0)
        cr_assert_eq(SSL_CTX_set_max_proto_version(ctx, max_v), 1);
    return ctx;
}

struct tls_conn {
    int fd;
    SSL *ssl;
    long verify_result;
    bool is_up;      /* handshake done */
    char error[256]; /* why the handshake failed */
};

/* Connects and handshakes, verifying the host name `host`; true on success. */
static bool tls_connect(struct tls_conn *c, int port, SSL_CTX *ctx, const char *host)
{
    struct timeval tv = {.tv_sec = ISMS_TEST_REPLY_TIMEOUT_MS / 1000};
    unsigned long e;
    int r;

    memset(c, 0, sizeof(*c));
    c->fd = isms_test_connect(port);
    /* The handshake is blocking: bound it so a silent server cannot hang the test. */
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    c->ssl = SSL_new(ctx);
    cr_assert_not_null(c->ssl);
    SSL_set_fd(c->ssl, c->fd);
    if (host != NULL) {
        SSL_set_tlsext_host_name(c->ssl, host);
        cr_assert_eq(SSL_set1_host(c->ssl, host), 1);
    }
    ERR_clear_error();
    r = SSL_connect(c->ssl);
    c->verify_result = SSL_get_verify_result(c->ssl);
    if (r == 1) {
        c->is_up = true;
        return true;
    }
    e = ERR_get_error();
    if (e != 0)
        ERR_error_string_n(e, c->error, sizeof(c->error));
    else
        snprintf(c->error, sizeof(c->error), "SSL_connect: %d (%s)", SSL_get_error(c->ssl, r),
                 strerror(errno));
    ERR_clear_error();
    return false;
}

static void tls_close(struct tls_conn *c)
{
    if (c->ssl != NULL) {
        if (c->is_up)
            SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    isms_test_close(c->fd);
}

static void ssl_write_all(SSL *ssl, const uint8_t *p, size_t n)
{
    while (n > 0) {
        int w = SSL_write(ssl, p, (int)n);

        cr_assert_gt(w, 0, "SSL_write failed: %d", SSL_get_error(ssl, w));
        p += w;
        n -= (size_t)w;
    }
}

static void ssl_read_all(SSL *ssl, uint8_t *p, size_t n)
{
    while (n > 0) {
        int r = SSL_read(ssl, p, (int)n);

        cr_assert_gt(r, 0, "SSL_read failed: %d", SSL_get_error(ssl, r));
        p += r;
        n -= (size_t)r;
    }
}

/* Health over TLS; returns HealthResponse.status in `status`. */
static int tls_health(SSL *ssl, char *status, size_t len)
{
    Isms__V1__HealthRequest req = ISMS__V1__HEALTH_REQUEST__INIT;
    uint8_t hdr[ISMS_FRAME_HEADER_BYTES], flags;
    uint8_t *frame, *body;
    uint32_t blen;
    size_t flen;
    Isms__V1__Response *r;
    int code;

    isms_test_set_token(NULL);
    frame = isms_test_frame_request(&flen, 77, ISMS_M_HEALTH, 0, &req.base, NULL, 0);
    ssl_write_all(ssl, frame, flen);
    free(frame);
    ssl_read_all(ssl, hdr, sizeof(hdr));
    isms_frame_parse_header(hdr, &flags, &blen);
    cr_assert_eq(flags, 0);
    cr_assert_lt(blen, 65536u, "a %u-byte Health response", blen);
    body = malloc(blen + 1);
    cr_assert_not_null(body);
    ssl_read_all(ssl, body, blen);
    r = isms__v1__response__unpack(NULL, blen, body);
    free(body);
    cr_assert_not_null(r, "the TLS response is not an isms.v1.Response");
    cr_assert_eq(r->call_id, 77);
    code = r->code;
    status[0] = '\0';
    if (code == 0) {
        Isms__V1__HealthResponse *h =
            isms__v1__health_response__unpack(NULL, r->body.len, r->body.data);

        cr_assert_not_null(h);
        snprintf(status, len, "%s", h->status);
        isms__v1__health_response__free_unpacked(h, NULL);
    }
    isms__v1__response__free_unpacked(r, NULL);
    return code;
}

static long peer_serial(SSL *ssl)
{
    X509 *cert = SSL_get1_peer_certificate(ssl);
    long v;

    cr_assert_not_null(cert, "no server certificate");
    v = ASN1_INTEGER_get(X509_get_serialNumber(cert));
    X509_free(cert);
    return v;
}

/* A fresh verified TLS connection serves Health; returns the certificate serial. */
static long assert_tls_serves(const struct tls_env *t, const char *when)
{
    SSL_CTX *ctx = client_ctx(t->ca, 0, 0, false);
    struct tls_conn c;
    char status[32];
    long serial;

    cr_assert(tls_connect(&c, t->srv.port, ctx, "localhost"), "%s: handshake failed: %s", when,
              c.error);
    cr_assert_eq(tls_health(c.ssl, status, sizeof(status)), 0, "%s: Health over TLS", when);
    cr_assert_str_eq(status, "SERVING");
    serial = peer_serial(c.ssl);
    tls_close(&c);
    SSL_CTX_free(ctx);
    return serial;
}

Test(tls, right_ca_verifies_with_tls13_and_serves)
{
    struct tls_env t;
    SSL_CTX *ctx;
    struct tls_conn c;
    char status[32];

    tls_env_start(&t);
    ctx = client_ctx(t.ca, 0, 0, false);
    cr_assert(tls_connect(&c, t.srv.port, ctx, "localhost"), "handshake failed: %s", c.error);
    cr_assert_eq(c.verify_result, X509_V_OK);
    cr_assert_eq(SSL_version(c.ssl), TLS1_3_VERSION, "negotiated %s, not TLS 1.3",
                 SSL_get_version(c.ssl));
    cr_assert_eq(peer_serial(c.ssl), SERIAL_A);
    cr_log_info("TLS: %s %s", SSL_get_version(c.ssl), SSL_get_cipher_name(c.ssl));
    cr_assert_eq(tls_health(c.ssl, status, sizeof(status)), 0);
    cr_assert_str_eq(status, "SERVING");
    /* Several calls on one TLS connection. */
    for (int i = 0; i < 5; i++)
        cr_assert_eq(tls_health(c.ssl, status, sizeof(status)), 0);
    tls_close(&c);

    /* The IP address in the certificate verifies too; TLS 1.2 is still accepted. */
    {
        SSL_CTX *v12 = client_ctx(t.ca, TLS1_2_VERSION, TLS1_2_VERSION, false);

        cr_assert(tls_connect(&c, t.srv.port, v12, "127.0.0.1"), "TLS 1.2 to 127.0.0.1: %s",
                  c.error);
        cr_assert_eq(SSL_version(c.ssl), TLS1_2_VERSION);
        cr_assert_eq(tls_health(c.ssl, status, sizeof(status)), 0);
        tls_close(&c);
        SSL_CTX_free(v12);
    }
    /* A name the certificate does not carry fails verification. */
    cr_assert(!tls_connect(&c, t.srv.port, ctx, "isms.example.org"),
              "a certificate for localhost verified as isms.example.org");
    cr_assert_eq(c.verify_result, X509_V_ERR_HOSTNAME_MISMATCH, "verify result %ld",
                 c.verify_result);
    tls_close(&c);
    SSL_CTX_free(ctx);
    assert_tls_serves(&t, "after a host name mismatch");
    isms_test_finish();
}

Test(tls, wrong_ca_fails_verification)
{
    struct tls_env t;
    SSL_CTX *ctx;
    struct tls_conn c;

    tls_env_start(&t);
    ctx = client_ctx(t.other_ca, 0, 0, false);
    cr_assert(!tls_connect(&c, t.srv.port, ctx, "localhost"),
              "a certificate of another CA verified");
    cr_log_info("wrong CA: verify result %ld (%s); %s", c.verify_result,
                X509_verify_cert_error_string(c.verify_result), c.error);
    cr_assert(c.verify_result == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
                  c.verify_result == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
              "verify result %ld: %s", c.verify_result,
              X509_verify_cert_error_string(c.verify_result));
    cr_assert_neq(strstr(c.error, "certificate verify failed"), NULL, "%s", c.error);
    tls_close(&c);
    SSL_CTX_free(ctx);
    /* With no CA at all it fails the same way. */
    ctx = client_ctx(NULL, 0, 0, false);
    cr_assert(!tls_connect(&c, t.srv.port, ctx, "localhost"), "an untrusted certificate verified");
    tls_close(&c);
    SSL_CTX_free(ctx);
    assert_tls_serves(&t, "after clients with the wrong CA");
    isms_test_finish();
}

struct old_version {
    int min_v, max_v;
    char name[16];
};

ParameterizedTestParameters(tls, tls10_and_tls11_are_refused)
{
    static struct old_version cases[] = {
        {TLS1_VERSION, TLS1_1_VERSION, "TLS 1.0-1.1"},
        {TLS1_VERSION, TLS1_VERSION, "TLS 1.0"},
        {TLS1_1_VERSION, TLS1_1_VERSION, "TLS 1.1"},
    };

    return cr_make_param_array(struct old_version, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct old_version *ov, tls, tls10_and_tls11_are_refused)
{
    struct tls_env t;
    SSL_CTX *ctx;
    struct tls_conn c;
    int before;

    tls_env_start(&t);
    before = isms_test_server_log_count(&t.srv, "TLS failure");
    ctx = client_ctx(t.ca, ov->min_v, ov->max_v, true);
    cr_assert(!tls_connect(&c, t.srv.port, ctx, "localhost"), "a %s client was served (%s)",
              ov->name, SSL_get_version(c.ssl));
    cr_log_info("%s client: %s", ov->name, c.error);
    tls_close(&c);
    SSL_CTX_free(ctx);
    /* The server saw the hello and refused it (not the client giving up on its own). */
    cr_assert(isms_test_server_wait_log(&t.srv, "TLS failure", before + 1, 20000),
              "ismsd logged no TLS failure for a %s client", ov->name);
    cr_assert(strstr(c.error, "protocol version") != NULL ||
                  strstr(c.error, "unsupported protocol") != NULL,
              "%s client failed for another reason: %s", ov->name, c.error);
    assert_tls_serves(&t, "after an old-version client");
    isms_test_finish();
}

Test(tls, plaintext_to_the_tls_port_is_closed)
{
    Isms__V1__HealthRequest h = ISMS__V1__HEALTH_REQUEST__INIT;
    struct tls_env t;
    uint8_t *f;
    size_t len;
    int fd;

    tls_env_start(&t);
    fd = isms_test_connect(t.srv.port);
    isms_test_set_token(NULL);
    f = isms_test_frame_request(&len, 1, ISMS_M_HEALTH, 0, &h.base, NULL, 0);
    isms_test_send(fd, f, len);
    free(f);
    cr_assert(isms_test_wait_closed(fd, ISMS_TEST_REPLY_TIMEOUT_MS),
              "a plaintext client on the TLS port was not disconnected");
    isms_test_close(fd);
    cr_assert(isms_test_server_wait_log(&t.srv, "TLS failure", 1, 20000),
              "ismsd logged no TLS failure for a plaintext client");
    /* A plaintext HTTP request too. */
    fd = isms_test_connect(t.srv.port);
    isms_test_send(fd, "GET / HTTP/1.0\r\n\r\n", 18);
    cr_assert(isms_test_wait_closed(fd, ISMS_TEST_REPLY_TIMEOUT_MS),
              "an HTTP client on the TLS port was not disconnected");
    isms_test_close(fd);
    assert_tls_serves(&t, "after plaintext clients");
    isms_test_finish();
}

/* Runs ismsd with `args` (it must exit by itself) and returns its exit code and stderr. */
static int run_ismsd(const char *const *args, char **err)
{
    const char *argv[24];
    struct isms_test_proc p;
    size_t n = 0;
    int code;

    argv[n++] = isms_test_ismsd_path();
    for (size_t i = 0; args[i] != NULL && n < 23; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    isms_test_run(&p, argv, NULL, 60000);
    code = p.exit_code;
    *err = strdup(p.err);
    isms_test_proc_cleanup(&p);
    return code;
}

Test(tls, plaintext_is_refused_off_loopback)
{
    static const char *const listens[] = {"0.0.0.0:0", "[::]:0", "192.0.2.1:0"};
    const char *ci = isms_test_require_env("ISMS_TEST_CONNINFO", "a database to name");

    for (size_t i = 0; i < sizeof(listens) / sizeof(listens[0]); i++) {
        char *err;
        int code = run_ismsd(
            (const char *const[]){"--plaintext", "--listen", listens[i], "--db", ci, NULL}, &err);

        cr_assert_neq(code, 0, "ismsd --plaintext --listen %s started (exit 0)", listens[i]);
        cr_assert_lt(code, 128, "ismsd --plaintext --listen %s crashed (%d):\n%s", listens[i], code,
                     err);
        cr_assert_neq(strstr(err, "loopback"), NULL,
                      "ismsd --plaintext --listen %s: message does not mention loopback:\n%s",
                      listens[i], err);
        cr_assert_null(strstr(err, "listening"), "ismsd listened on %s:\n%s", listens[i], err);
        free(err);
    }
    isms_test_finish();
}

Test(tls, tls_files_are_required_without_plaintext)
{
    const char *ci = isms_test_require_env("ISMS_TEST_CONNINFO", "a database to name");
    struct tls_env t;
    char *err;
    int code;

    code = run_ismsd((const char *const[]){"--listen", "127.0.0.1:0", "--db", ci, NULL}, &err);
    cr_assert(code != 0 && code < 128, "ismsd without TLS files nor --plaintext exited %d:\n%s",
              code, err);
    cr_assert_neq(strstr(err, "tls_cert"), NULL, "the message does not name tls_cert:\n%s", err);
    free(err);

    make_certs(&t);
    code = run_ismsd(
        (const char *const[]){"--listen", "127.0.0.1:0", "--db", ci, "--tls-cert", t.cert, NULL},
        &err);
    cr_assert(code != 0 && code < 128, "ismsd with a certificate but no key exited %d:\n%s", code,
              err);
    free(err);
    {
        char missing[320];

        snprintf(missing, sizeof(missing), "%s/no-such.crt", t.dir);
        code = run_ismsd((const char *const[]){"--listen", "127.0.0.1:0", "--db", ci, "--tls-cert",
                                               missing, "--tls-key", t.key, NULL},
                         &err);
        cr_assert(code != 0 && code < 128, "ismsd with a missing certificate exited %d:\n%s", code,
                  err);
        cr_assert_neq(strstr(err, "no-such.crt"), NULL, "the missing file is not named:\n%s", err);
        free(err);
    }
    /* A key that does not belong to the certificate. */
    {
        char wrong_key[320];

        snprintf(wrong_key, sizeof(wrong_key), "%s/srv-b.key", t.dir);
        code = run_ismsd((const char *const[]){"--listen", "127.0.0.1:0", "--db", ci, "--tls-cert",
                                               t.cert, "--tls-key", wrong_key, NULL},
                         &err);
        cr_assert(code != 0 && code < 128, "ismsd with a mismatched key exited %d:\n%s", code, err);
        cr_assert_neq(strstr(err, "tls_key"), NULL, "the key is not named:\n%s", err);
        free(err);
    }
    isms_test_finish();
}

Test(tls, sighup_reloads_the_certificate_for_new_handshakes)
{
    struct tls_env t;
    SSL_CTX *ctx;
    struct tls_conn old;
    char status[32];

    tls_env_start(&t);
    ctx = client_ctx(t.ca, 0, 0, false);
    cr_assert(tls_connect(&old, t.srv.port, ctx, "localhost"), "handshake: %s", old.error);
    cr_assert_eq(peer_serial(old.ssl), SERIAL_A);
    cr_assert_eq(tls_health(old.ssl, status, sizeof(status)), 0);

    use_cert(&t, "srv-b");
    cr_assert_eq(kill(t.srv.pid, SIGHUP), 0);
    cr_assert(isms_test_server_wait_log(&t.srv, "TLS certificate reloaded", 1, 20000),
              "ismsd did not log a reload after SIGHUP");
    cr_assert_eq(assert_tls_serves(&t, "after the reload"), SERIAL_B,
                 "a new handshake still sees the old certificate");
    /* The connection made before the reload keeps working. */
    cr_assert_eq(tls_health(old.ssl, status, sizeof(status)), 0,
                 "the old connection stopped working after SIGHUP");
    cr_assert_eq(peer_serial(old.ssl), SERIAL_A);

    /* A broken certificate file: the reload fails and the previous certificate stays. */
    {
        char bad[320];
        FILE *f;

        snprintf(bad, sizeof(bad), "%s/broken.crt", t.dir);
        f = fopen(bad, "w");
        cr_assert_not_null(f);
        fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", f);
        cr_assert(fclose(f) == 0);
        copy_file(bad, t.cert);
    }
    cr_assert_eq(kill(t.srv.pid, SIGHUP), 0);
    cr_assert(isms_test_server_wait_log(&t.srv, "TLS reload failed", 1, 20000),
              "ismsd did not log a failed reload");
    isms_test_server_assert_alive(&t.srv, "after a failed reload");
    cr_assert_eq(assert_tls_serves(&t, "after a failed reload"), SERIAL_B,
                 "a failed reload changed the certificate");
    cr_assert_eq(tls_health(old.ssl, status, sizeof(status)), 0);

    /* Fixing the files and reloading again brings the first certificate back. */
    use_cert(&t, "srv-a");
    cr_assert_eq(kill(t.srv.pid, SIGHUP), 0);
    cr_assert(isms_test_server_wait_log(&t.srv, "TLS certificate reloaded", 2, 20000));
    cr_assert_eq(assert_tls_serves(&t, "after the second reload"), SERIAL_A);
    tls_close(&old);
    SSL_CTX_free(ctx);
    isms_test_finish();
}

Test(tls, ismsctl_verifies_the_server_with_its_ca)
{
    struct tls_env t;
    struct isms_test_proc p;
    char ca_env[340];
    const char *env[3] = {"ISMS_PLAINTEXT=0", ca_env, NULL};

    tls_env_start(&t);
    snprintf(ca_env, sizeof(ca_env), "ISMS_CA=%s", t.ca);
    isms_test_ismsctl_env(&p, t.srv.port, (const char *const[]){"status", NULL}, NULL, env);
    cr_assert_eq(p.exit_code, 0, "ismsctl status over TLS exited %d:\n%s%s", p.exit_code, p.out,
                 p.err);
    isms_test_proc_cleanup(&p);
    snprintf(ca_env, sizeof(ca_env), "ISMS_CA=%s", t.other_ca);
    isms_test_ismsctl_env(&p, t.srv.port, (const char *const[]){"status", NULL}, NULL, env);
    cr_assert_eq(p.exit_code, 9, "ismsctl status with the wrong CA exited %d:\n%s%s", p.exit_code,
                 p.out, p.err);
    isms_test_proc_cleanup(&p);
    /* Plaintext against the TLS port is a failure too, never a silent downgrade. */
    isms_test_ismsctl(&p, t.srv.port, (const char *const[]){"status", NULL});
    cr_assert_neq(p.exit_code, 0, "ismsctl --plaintext against TLS succeeded:\n%s", p.out);
    isms_test_proc_cleanup(&p);
    assert_tls_serves(&t, "after ismsctl");
    isms_test_finish();
}
