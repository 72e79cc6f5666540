/* net/tls.h — the server's TLS context (OpenSSL): TLS 1.2 minimum, 1.3 preferred, certificate
 * and key from files, reloadable. Connections run TLS over memory BIOs (net/conn.c), so the
 * event loop never blocks on OpenSSL. */
#ifndef ISMS_NET_TLS_H
#define ISMS_NET_TLS_H

#include "common/status.h"

struct isms_tls;
typedef struct ssl_st SSL;

/* Loads `cert_path` (PEM, may hold the chain) and `key_path`. Errors: INVALID_ARGUMENT naming
 * the file and OpenSSL's reason. */
ISMS_MUSTCHECK enum isms_code isms_tls_new(const char *cert_path, const char *key_path,
                                           struct isms_tls **out, struct isms_status *st);
void isms_tls_free(struct isms_tls *tls);

/* Re-reads the certificate and key; on failure the old ones stay in use. New connections use
 * the new context; open ones keep theirs. */
ISMS_MUSTCHECK enum isms_code isms_tls_reload(struct isms_tls *tls, struct isms_status *st);

/* A server-side SSL for one connection, with memory BIOs attached (read side, write side).
 * Returns NULL when out of memory. The caller frees it with SSL_free. */
SSL *isms_tls_conn_new(struct isms_tls *tls);

#endif
