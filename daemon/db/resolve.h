/* db/resolve.h — the database's address, resolved off the loop thread. libpq resolves host
 * names synchronously inside PQconnectStart, which would stall every client while DNS
 * answers; so host names are resolved with uv_getaddrinfo (libuv's threadpool) and handed to
 * libpq as `hostaddr`, keeping `host` for TLS verification and passfile lookups. */
#ifndef ISMS_DB_RESOLVE_H
#define ISMS_DB_RESOLVE_H

#include <libpq-fe.h>
#include <uv.h>

#include "common/status.h"

struct isms_db_target;

/* Parses `conninfo` (key=value or URI). Errors: INVALID_ARGUMENT with libpq's reason,
 * RESOURCE_EXHAUSTED. */
ISMS_MUSTCHECK enum isms_code isms_db_target_new(const char *conninfo, struct isms_db_target **out,
                                                 struct isms_status *st);
void isms_db_target_free(struct isms_db_target *t);

/* 1 when some host is a name to look up (not a socket directory, not an IP address, and no
 * hostaddr given): connecting then needs isms_db_resolve() first. */
int isms_db_target_needs_resolve(const struct isms_db_target *t);

/* Starts a non-blocking libpq connection (PQconnectStartParams). `hostaddr` is the list
 * isms_db_resolve produced, or NULL when nothing needed resolving. NULL when out of memory. */
PGconn *isms_db_target_connect(const struct isms_db_target *t, const char *hostaddr);

/* Called on the loop thread with the hostaddr list ("10.0.0.5,,192.0.2.1": empty where a host
 * needs none), or NULL and a reason. The strings live only during the callback. */
typedef void isms_db_resolved_cb(void *arg, const char *hostaddr, const char *err);

/* Resolves every host name of `t` in turn on libuv's threadpool; `cb` runs exactly once, from
 * the loop, unless this returns an error. `t` must outlive the callback. Errors:
 * RESOURCE_EXHAUSTED, UNAVAILABLE (the lookup could not start). */
ISMS_MUSTCHECK enum isms_code isms_db_resolve(uv_loop_t *loop, const struct isms_db_target *t,
                                              isms_db_resolved_cb *cb, void *arg,
                                              struct isms_status *st);

#endif
