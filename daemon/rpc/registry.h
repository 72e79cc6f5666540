/* rpc/registry.h — method name -> handler table, built from protobuf-c service descriptors so
 * adding an RPC is: declare it in proto/, write its handler, register it. */
#ifndef ISMS_RPC_REGISTRY_H
#define ISMS_RPC_REGISTRY_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "common/status.h"

struct isms_call;

/* A handler owns the call until it calls isms_call_finish() (now or from a callback). `req` is
 * the decoded request body, allocated in the call's arena. */
typedef void isms_handler_fn(struct isms_call *call, const ProtobufCMessage *req);

enum isms_method_flags {
    ISMS_METHOD_PUBLIC = 1 << 0,       /* allowed before login, no credentials checked */
    ISMS_METHOD_ANY_PASSWORD = 1 << 1, /* allowed while a password change is pending */
    ISMS_METHOD_ANY_ROLE = 1 << 2,     /* any authenticated caller, whatever their roles */
    ISMS_METHOD_SECRET = 1 << 3,       /* request or response holds secrets: arena wiped */
    ISMS_METHOD_STREAM = 1 << 4,       /* a server stream: its pages queue in the bulk lane */
};

/* How one method is served, bound by the method's name in the proto service: its handler,
 * flags, and the roles that may call it. Every method that is neither PUBLIC nor ANY_ROLE
 * names at least one role; a PUBLIC or ANY_ROLE method names none. */
struct isms_method_spec {
    const char *name; /* "Health": the rpc's name in its service */
    isms_handler_fn *handler;
    unsigned flags;
    unsigned roles;
};

struct isms_method {
    char name[128]; /* "/isms.v1.System/Health" */
    const ProtobufCMessageDescriptor *input;
    const ProtobufCMessageDescriptor *output;
    isms_handler_fn *handler;
    unsigned flags;
    unsigned roles;
};

/* Fields are private; use the functions. */
struct isms_registry {
    struct isms_method *methods; /* owned, sorted by name after isms_registry_seal */
    size_t n, cap;
    int is_sealed;
};

void isms_registry_init(struct isms_registry *reg);
void isms_registry_cleanup(struct isms_registry *reg);

/* Registers every method of `svc`, each served by the one spec of the same name (the order of
 * `specs` does not matter). Errors: INTERNAL naming the method when a proto method has no
 * spec or two, a spec names no method of `svc`, a handler is missing, or a role mask
 * contradicts the flags (see struct isms_method_spec); RESOURCE_EXHAUSTED. */
ISMS_MUSTCHECK enum isms_code isms_registry_add(struct isms_registry *reg,
                                                const ProtobufCServiceDescriptor *svc,
                                                const struct isms_method_spec *specs, size_t n,
                                                struct isms_status *st);

/* Sorts the table for lookup; call once after the last add. */
void isms_registry_seal(struct isms_registry *reg);

/* Returns the method named `name`, or NULL. */
const struct isms_method *isms_registry_find(const struct isms_registry *reg, const char *name);

/* How many methods are registered, and the i-th (0 <= i < count; sorted by name once
 * sealed): for tests and introspection. */
size_t isms_registry_count(const struct isms_registry *reg);
const struct isms_method *isms_registry_at(const struct isms_registry *reg, size_t i);

#endif
