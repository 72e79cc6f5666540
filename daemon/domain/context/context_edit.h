/* domain/context/context_edit.h — Context/UpdateParty and UpdateIssue (context_edit.c),
 * registered with the rest of the Context service in context.c. */
#ifndef ISMS_DOMAIN_CONTEXT_CONTEXT_EDIT_H
#define ISMS_DOMAIN_CONTEXT_CONTEXT_EDIT_H

#include <protobuf-c/protobuf-c.h>

#include "common/status.h"

struct isms_call;

/* Changes an interested party's fields flagged set_*, including whether the ISMS addresses its
 * requirements (4.2 c), only while it is at expected_version (when non-zero). */
void isms_context_update_party(struct isms_call *call, const ProtobufCMessage *msg);
/* Changes an issue's kind and/or description, with the same version check. */
void isms_context_update_issue(struct isms_call *call, const ProtobufCMessage *msg);

/* Normalises a 4.2 c answer: "", yes, partly, no (case-insensitive) into a static string.
 * Errors: INVALID_ARGUMENT naming the field "addressed". Pure. */
ISMS_MUSTCHECK enum isms_code isms_context_addressed(const char *in, const char **out,
                                                     struct isms_status *st);

#endif
