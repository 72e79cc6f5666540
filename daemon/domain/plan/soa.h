/* domain/plan/soa.h — what the Soa handlers in soa.c and soa_publish.c share: the memory
 * failure answer, the SoaVersion built from a row and answered by number, and the Check,
 * Publish and Approve handlers that isms_soa_register() (soa.c) lists. Internal to
 * domain/plan/soa*.c. */
#ifndef ISMS_DOMAIN_PLAN_SOA_H
#define ISMS_DOMAIN_PLAN_SOA_H

#include <protobuf-c/protobuf-c.h>

#include "core/arena.h"
#include "isms/v1/control.pb-c.h"

struct isms_call;
struct isms_rows;

/* Answers RESOURCE_EXHAUSTED: the call's memory ran out. */
void isms_soa_fail_oom(struct isms_call *call);

/* A SoaVersion from the version columns of row `r` (SQL_VERSION_COLS, or the Publish result);
 * its strings are borrowed from `res`. NULL when out of memory. */
Isms__V1__SoaVersion *isms_soa_version_from_row(struct isms_arena *a, const struct isms_rows *res,
                                                int r);

/* Copies a SoaVersion's strings into `a` (the rows die with the callback); 0 when out of
 * memory. */
int isms_soa_version_own(struct isms_arena *a, Isms__V1__SoaVersion *v);

/* The Check and Publish handlers (soa_publish.c), and Approve (soa_approve.c). */
void isms_soa_check_handler(struct isms_call *call, const ProtobufCMessage *msg);
void isms_soa_publish_handler(struct isms_call *call, const ProtobufCMessage *msg);
void isms_soa_approve_handler(struct isms_call *call, const ProtobufCMessage *msg);

/* Answers the call with published version in->version as it is now (NOT_FOUND when there is
 * none); `in` must live as long as the call. */
void isms_soa_reply_version(struct isms_call *call, const Isms__V1__SoaShowRequest *in);

/* Control/Import (control_import.c), listed by isms_control_register() (control.c). */
void isms_control_import_handler(struct isms_call *call, const ProtobufCMessage *msg);

#endif
