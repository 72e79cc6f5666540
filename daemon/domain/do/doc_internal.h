/* domain/do/doc_internal.h — what document.c, doc_list.c and doc_ack.c share: the reply with a
 * document or one of its versions, and the distribution/acknowledgement handlers. */
#ifndef ISMS_DOMAIN_DO_DOC_INTERNAL_H
#define ISMS_DOMAIN_DO_DOC_INTERNAL_H

#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

struct isms_call;

/* Answers the call with DOC-<num> (a DocumentRecord), or with its version `only_version` (a
 * DocVersion) when that is not 0. */
void isms_doc_reply(struct isms_call *call, int64_t num, int32_t only_version);

/* Answers RESOURCE_EXHAUSTED (the call's memory ran out). */
void isms_doc_fail_oom(struct isms_call *call);

void isms_doc_update(struct isms_call *call, const ProtobufCMessage *msg);
void isms_doc_list(struct isms_call *call, const ProtobufCMessage *msg);
void isms_doc_distribute(struct isms_call *call, const ProtobufCMessage *msg);
void isms_doc_acknowledge(struct isms_call *call, const ProtobufCMessage *msg);
void isms_doc_acks(struct isms_call *call, const ProtobufCMessage *msg);
void isms_doc_pending(struct isms_call *call, const ProtobufCMessage *msg);

#endif
