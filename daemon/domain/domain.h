/* domain/domain.h — what every domain area registers, and SQL fragments shared by handlers.
 * Each area exposes one isms_<area>_register(), called from main.c at startup. */
#ifndef ISMS_DOMAIN_DOMAIN_H
#define ISMS_DOMAIN_DOMAIN_H

#include "common/status.h"

struct isms_server;

/* SQL fragment rendering a timestamptz column `c` as RFC 3339 UTC text. */
#define ISMS_SQL_TS(c) "to_char(" c " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

ISMS_MUSTCHECK enum isms_code isms_system_register(struct isms_server *srv, struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_context_register(struct isms_server *srv,
                                                    struct isms_status *st);

ISMS_MUSTCHECK enum isms_code isms_auth_register(struct isms_server *srv, struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_user_register(struct isms_server *srv, struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_audit_register(struct isms_server *srv, struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_control_register(struct isms_server *srv,
                                                    struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_soa_register(struct isms_server *srv, struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_asset_register(struct isms_server *srv, struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_method_register(struct isms_server *srv, struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_risk_register(struct isms_server *srv, struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_risk_cia_register(struct isms_server *srv,
                                                     struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_opportunity_register(struct isms_server *srv,
                                                        struct isms_status *st);
/* Do phase (domain/do/): uploads, the document register, the evidence store. */
ISMS_MUSTCHECK enum isms_code isms_upload_register(struct isms_server *srv, struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_document_register(struct isms_server *srv,
                                                     struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_evidence_register(struct isms_server *srv,
                                                     struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_schedule_register(struct isms_server *srv,
                                                     struct isms_status *st);
ISMS_MUSTCHECK enum isms_code isms_review_register(struct isms_server *srv, struct isms_status *st);

/* Registers every service of every area (main.c and the fuzzer use this one list), after
 * checking every declared SQL statement against its text (db/bind.h; INTERNAL on a mismatch). */
ISMS_MUSTCHECK enum isms_code isms_domain_register_all(struct isms_server *srv,
                                                       struct isms_status *st);

#endif
