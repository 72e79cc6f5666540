/* client/wire_tls.h — the OpenSSL side of ismsctl's transport: a client context that verifies
 * the server (TLS 1.2+, CA file or system store), a session bound to one socket and host name
 * (SNI, DNS or IP check), and TLS failures said in words. The waiting stays in wire.c. */
#ifndef ISMS_CLIENT_WIRE_TLS_H
#define ISMS_CLIENT_WIRE_TLS_H

#include "common/status.h"

struct ssl_ctx_st;
struct ssl_st;

/* A client context trusting the PEM certificates in `ca_file`, or the system's default store
 * when it is NULL or "". Free it with SSL_CTX_free. Errors: INVALID_ARGUMENT naming the CA file
 * and the reason; RESOURCE_EXHAUSTED. */
ISMS_MUSTCHECK enum isms_code isms_wire_tls_ctx_new(const char *ca_file, struct ssl_ctx_st **out,
                                                    struct isms_status *st);

/* A session on the connected socket `fd` that will only accept a certificate naming `host`
 * (an IP literal must be an IP SAN; a name is also sent as SNI). Free it with SSL_free.
 * Errors: UNAVAILABLE ("TLS: could not ..."). */
ISMS_MUSTCHECK enum isms_code isms_wire_tls_session_new(struct ssl_ctx_st *ctx, int fd,
                                                        const char *host, struct ssl_st **out,
                                                        struct isms_status *st);

/* Sets `st` (UNAVAILABLE) to why a TLS call failed: the certificate check when there was one
 * ("TLS: certificate verify failed (hostname mismatch)"), the system error, or OpenSSL's
 * reason, with a hint when the peer does not speak TLS. `what` names the step ("handshake
 * failed"); `ssl_err` is SSL_get_error's answer, `sys_errno` errno right after the call. */
void isms_wire_tls_failure(struct ssl_st *ssl, int ssl_err, int sys_errno, const char *what,
                           struct isms_status *st);

#endif
