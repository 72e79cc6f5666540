/* domain/domain.c — the one list of services every area registers. */
#include "domain/domain.h"

#include <stddef.h>

#include "db/bind.h"

enum isms_code isms_domain_register_all(struct isms_server *srv, struct isms_status *st)
{
    /* A statement whose declared parameters do not match its SQL never runs: refuse to start. */
    if (isms_sql_check_all(st) != ISMS_OK)
        return st->code;
    if (isms_system_register(srv, st) != ISMS_OK || isms_context_register(srv, st) != ISMS_OK ||
        isms_auth_register(srv, st) != ISMS_OK || isms_user_register(srv, st) != ISMS_OK ||
        isms_control_register(srv, st) != ISMS_OK || isms_soa_register(srv, st) != ISMS_OK ||
        isms_audit_register(srv, st) != ISMS_OK || isms_asset_register(srv, st) != ISMS_OK ||
        isms_method_register(srv, st) != ISMS_OK || isms_risk_register(srv, st) != ISMS_OK ||
        isms_risk_cia_register(srv, st) != ISMS_OK || isms_opportunity_register(srv, st) != ISMS_OK)
        return st->code;
    if (isms_upload_register(srv, st) != ISMS_OK || isms_document_register(srv, st) != ISMS_OK ||
        isms_evidence_register(srv, st) != ISMS_OK)
        return st->code;
    if (isms_schedule_register(srv, st) != ISMS_OK || isms_review_register(srv, st) != ISMS_OK)
        return st->code;
    return ISMS_OK;
}
