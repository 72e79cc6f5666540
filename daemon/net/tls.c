/* net/tls.c — SSL_CTX set-up and reload. Ciphers and versions follow OpenSSL 3 defaults with
 * the floor raised to TLS 1.2; compression and renegotiation are off. */
#include "net/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct isms_tls {
    SSL_CTX *ctx; /* owned; connections hold their own references */
    char *cert_path;
    char *key_path;
};

static void last_error(char *buf, size_t n)
{
    unsigned long e = ERR_get_error();

    if (e == 0)
        snprintf(buf, n, "unknown error");
    else
        ERR_error_string_n(e, buf, n);
    ERR_clear_error();
}

static SSL_CTX *make_ctx(const char *cert, const char *key, struct isms_status *st)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    char why[256];

    if (ctx == NULL) {
        isms_status_set(st, ISMS_INTERNAL, "could not create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        last_error(why, sizeof(why));
        isms_status_set(st, ISMS_INVALID_ARGUMENT, "tls_cert \"%s\": %s", cert, why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        last_error(why, sizeof(why));
        isms_status_set(st, ISMS_INVALID_ARGUMENT, "tls_key \"%s\": %s", key, why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

enum isms_code isms_tls_new(const char *cert_path, const char *key_path, struct isms_tls **out,
                            struct isms_status *st)
{
    struct isms_tls *tls = calloc(1, sizeof(*tls));

    if (tls == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    tls->cert_path = strdup(cert_path);
    tls->key_path = strdup(key_path);
    if (tls->cert_path == NULL || tls->key_path == NULL) {
        isms_tls_free(tls);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    tls->ctx = make_ctx(cert_path, key_path, st);
    if (tls->ctx == NULL) {
        isms_tls_free(tls);
        return st->code;
    }
    *out = tls;
    return ISMS_OK;
}

void isms_tls_free(struct isms_tls *tls)
{
    if (tls == NULL)
        return;
    SSL_CTX_free(tls->ctx);
    free(tls->cert_path);
    free(tls->key_path);
    free(tls);
}

enum isms_code isms_tls_reload(struct isms_tls *tls, struct isms_status *st)
{
    SSL_CTX *ctx = make_ctx(tls->cert_path, tls->key_path, st);

    if (ctx == NULL)
        return st->code;
    SSL_CTX_free(tls->ctx);
    tls->ctx = ctx;
    return ISMS_OK;
}

SSL *isms_tls_conn_new(struct isms_tls *tls)
{
    SSL *ssl = SSL_new(tls->ctx);
    BIO *rbio, *wbio;

    if (ssl == NULL)
        return NULL;
    rbio = BIO_new(BIO_s_mem());
    wbio = BIO_new(BIO_s_mem());
    if (rbio == NULL || wbio == NULL) {
        BIO_free(rbio);
        BIO_free(wbio);
        SSL_free(ssl);
        return NULL;
    }
    /* An empty read BIO means "want more", not end of stream. */
    BIO_set_mem_eof_return(rbio, -1);
    BIO_set_mem_eof_return(wbio, -1);
    SSL_set_bio(ssl, rbio, wbio);
    SSL_set_accept_state(ssl);
    return ssl;
}
