/* rpc/principal.c — the acting user and the client's address of a call. A call never outlives
 * its connection, so the connection's strings live as long as the call. */
#include "rpc/principal.h"

#include "net/conn.h"
#include "rpc/call.h"

const char *isms_call_actor(const struct isms_call *call)
{
    return call->principal.is_authenticated ? call->principal.user : "anonymous";
}

const char *isms_call_source(const struct isms_call *call)
{
    return isms_conn_ip(call->conn);
}

const char *isms_call_peer(const struct isms_call *call)
{
    return isms_conn_peer(call->conn);
}

void isms_call_conn_authenticated(struct isms_call *call)
{
    isms_conn_set_authenticated(call->conn);
}
