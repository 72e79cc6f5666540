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
#include "net/conn.h"
#include "rpc/registry.h"

struct isms_call;

struct isms_server {
    uv_loop_t *loop;
    const struct isms_config *cfg; /* borrowed from main, immutable */
    struct isms_net net;
    struct isms_db_pool *pool; /* owned; NULL once closed */
    struct isms_registry reg;
    uint64_t started_ns; /* uv_hrtime at start */
    time_t started_at;   /* wall clock at start */
    uint64_t calls_total;
    uint32_t calls_in_flight;
    struct isms_call *calls; /* in flight, doubly linked */
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

/* Answers every call in flight with `code`/`msg` and releases them (used when the drain time
 * is up). */
void isms_server_cancel_calls(struct isms_server *srv, enum isms_code code, const char *msg);

#endif
