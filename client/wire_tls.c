/* client/wire_tls.c — OpenSSL client context, per-connection session and failure text (see
 * wire_tls.h). Verification is never optional: SSL_VERIFY_PEER plus a host or IP check. */
#include "wire_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* OpenSSL's reason for the last failure on this thread, or `fallback`. */
static const char *error_reason(const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

    return r != NULL ? r : fallback;
}

enum isms_code isms_wire_tls_ctx_new(const char *ca_file, struct ssl_ctx_st **out,
                                     struct isms_status *st)
{
    bool has_ca = ca_file != NULL && ca_file[0] != '\0';
    SSL_CTX *ctx;
    int ok;

    *out = NULL;
    if (has_ca) {
        /* OpenSSL says only "system lib" for a missing file: say what the system said. */
        FILE *fp = fopen(ca_file, "r");

        if (fp == NULL)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "TLS: could not read CA file %s: %s",
                                   ca_file, strerror(errno));
        fclose(fp);
    }
    ERR_clear_error();
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "TLS: could not create a context: %s",
                               error_reason("out of memory"));
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    /* Truncation is caught by the framing ("closed in mid-response"), so a missing
     * close_notify is just a close. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
        SSL_CTX_free(ctx);
        return isms_status_set(st, ISMS_INTERNAL, "TLS: could not require TLS 1.2");
    }
    ok = has_ca ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                : SSL_CTX_set_default_verify_paths(ctx);
    if (ok != 1) {
        if (has_ca)
            isms_status_set(st, ISMS_INVALID_ARGUMENT, "TLS: could not load CA file %s: %s",
                            ca_file, error_reason("no PEM certificate in it"));
        else
            isms_status_set(st, ISMS_INVALID_ARGUMENT,
                            "TLS: could not load the system's CA store: %s",
                            error_reason("unknown reason"));
        SSL_CTX_free(ctx);
        return ISMS_INVALID_ARGUMENT;
    }
    *out = ctx;
    return ISMS_OK;
}

/* True if `host` is an IPv4 or IPv6 address literal. */
static bool is_ip_literal(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];

    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

enum isms_code isms_wire_tls_session_new(struct ssl_ctx_st *ctx, int fd, const char *host,
                                         struct ssl_st **out, struct isms_status *st)
{
    SSL *ssl;

    *out = NULL;
    ERR_clear_error();
    ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return isms_status_set(st, ISMS_UNAVAILABLE, "TLS: could not start a session: %s",
                               error_reason("out of memory"));
    }
    if (is_ip_literal(host)) {
        /* No SNI for addresses (RFC 6066); the certificate must list the IP as a SAN. */
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1) {
            SSL_free(ssl);
            return isms_status_set(st, ISMS_UNAVAILABLE, "TLS: could not check for IP %s", host);
        }
    } else {
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (SSL_set_tlsext_host_name(ssl, host) != 1 || SSL_set1_host(ssl, host) != 1) {
            SSL_free(ssl);
            return isms_status_set(st, ISMS_UNAVAILABLE, "TLS: could not use host name \"%.100s\"",
                                   host);
        }
    }
    *out = ssl;
    return ISMS_OK;
}

void isms_wire_tls_failure(struct ssl_st *ssl, int ssl_err, int sys_errno, const char *what,
                           struct isms_status *st)
{
    long vr = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
    const char *reason;

    if (vr != X509_V_OK) {
        isms_status_set(st, ISMS_UNAVAILABLE, "TLS: certificate verify failed (%s)",
                        X509_verify_cert_error_string(vr));
        return;
    }
    if (ssl_err == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0) {
        if (sys_errno != 0)
            isms_status_set(st, ISMS_UNAVAILABLE, "TLS: %s (%s)", what, strerror(sys_errno));
        else
            isms_status_set(st, ISMS_UNAVAILABLE, "TLS: %s (connection closed by the server)",
                            what);
        return;
    }
    reason = error_reason("unknown reason");
    /* A plaintext ismsd answers a ClientHello with a frame, which is no TLS record. */
    if (strstr(reason, "wrong version number") != NULL ||
        strstr(reason, "packet length too long") != NULL)
        isms_status_set(st, ISMS_UNAVAILABLE,
                        "TLS: %s (%s; is it a plaintext server? then use --plaintext)", what,
                        reason);
    else
        isms_status_set(st, ISMS_UNAVAILABLE, "TLS: %s (%s)", what, reason);
}
