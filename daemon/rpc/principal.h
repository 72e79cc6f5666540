/* rpc/principal.h — who made a call and from where, for handlers and auth/. These accessors
 * are how the layers above rpc/ learn about the connection a call came on: they never include
 * net/ themselves. */
#ifndef ISMS_RPC_PRINCIPAL_H
#define ISMS_RPC_PRINCIPAL_H

struct isms_call;

/* Who is acting, for created_by / updated_by columns and the audit trail: the authenticated
 * user's name, or "anonymous" before auth/ has checked credentials. The string lives as long
 * as the call. */
const char *isms_call_actor(const struct isms_call *call);

/* The client's IP address without the port, for throttling and the audit trail. Lives as long
 * as the call. */
const char *isms_call_source(const struct isms_call *call);

/* The client's address with the port ("127.0.0.1:40123"). Lives as long as the call. */
const char *isms_call_peer(const struct isms_call *call);

/* The call's credentials were accepted: its connection lifts the pre-login frame limit and
 * login timer. */
void isms_call_conn_authenticated(struct isms_call *call);

#endif
