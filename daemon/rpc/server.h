/* rpc/server.h — the daemon's state, passed down explicitly (call->srv); no global server.
 * Owned by main.c; every module reads its config through it. */
#ifndef ISMS_RPC_SERVER_H
#define ISMS_RPC_SERVER_H

#include <stdint.h>
#include <time.h>

#include <protobuf-c/protobuf-c.h>
#include <uv.h>

#include "core/config.h"
#include "db/pool.h"
#include "db/probe.h"
#include "net/conn.h"
#include "rpc/registry.h"
#include "rpc/workers.h"

struct isms_call;
struct isms_audit_signer;

struct isms_server {
    uv_loop_t *loop;
    const struct isms_config *cfg; /* borrowed from main, immutable */
    struct isms_net net;
    struct isms_db_pool *pool;  /* owned; NULL once closed */
    struct isms_db_probe probe; /* the database's health as last seen */
    struct isms_registry reg;
    uint64_t started_ns; /* uv_hrtime at start */
    time_t started_at;   /* wall clock at start */
    uint64_t calls_total;
    uint32_t calls_in_flight;
    struct isms_call *calls;    /* in flight, doubly linked */
    struct isms_call *justfree; /* released, freed from `reaper` (check phase) */
    uv_check_t reaper;
    int has_reaper;
    struct isms_workers *workers;    /* owned; CPU-heavy jobs (argon2id) */
    struct isms_audit_signer *audit; /* main's; the audit key and its checkpoint timer */
    int is_draining;
    int schema_version;
    char instance_id[128];                       /* host:pid */
    char db_desc[160];                           /* database name and server version */
    char listen_addr[128];                       /* the bound address */
    void (*on_drained)(struct isms_server *srv); /* set while draining */
    /* Checks credentials and roles, then runs the handler (auth/ installs it; NULL = none). */
    void (*authorize)(struct isms_call *call, const ProtobufCMessage *msg);
};

/* Wires the network callbacks to the call layer: frames become calls. */
void isms_server_attach_net(struct isms_server *srv);

/* Starts the call layer's loop handle (the reaper that frees released calls). */
void isms_server_calls_start(struct isms_server *srv);
/* Frees released calls still waiting and closes the reaper; after the last call is gone. */
void isms_server_calls_stop(struct isms_server *srv);

/* Answers every call that has not been answered with `code`/`msg` (used when the drain time
 * is up); their queued worker jobs are cancelled and abandoned statements cancelled, so the
 * calls are released as soon as that work returns. Safe while calls release each other. */
void isms_server_cancel_calls(struct isms_server *srv, enum isms_code code, const char *msg);

#endif
