/* domain/domain.c — helpers shared by every domain area. */
#include "domain/domain.h"

#include <stddef.h>

#include "db/bind.h"
#include "net/conn.h"
#include "rpc/call.h"

enum isms_code isms_domain_register_all(struct isms_server *srv, struct isms_status *st)
{
    /* A statement whose declared parameters do not match its SQL never runs: refuse to start. */
    if (isms_sql_check_all(st) != ISMS_OK)
        return st->code;
    if (isms_system_register(srv, st) != ISMS_OK || isms_context_register(srv, st) != ISMS_OK ||
        isms_auth_register(srv, st) != ISMS_OK || isms_user_register(srv, st) != ISMS_OK ||
        isms_control_register(srv, st) != ISMS_OK || isms_soa_register(srv, st) != ISMS_OK ||
        isms_audit_register(srv, st) != ISMS_OK || isms_asset_register(srv, st) != ISMS_OK ||
        isms_method_register(srv, st) != ISMS_OK || isms_risk_register(srv, st) != ISMS_OK)
        return st->code;
    return ISMS_OK;
}

const char *isms_call_actor(const struct isms_call *call)
{
    return call->principal.is_authenticated ? call->principal.user : "anonymous";
}

const char *isms_call_source(const struct isms_call *call)
{
    return isms_conn_ip(call->conn);
}
