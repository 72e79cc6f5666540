/* domain/system/system.c — isms.v1.System: Health (the database's state as the periodic probe
 * last saw it, no round trip of its own) and Info (facts about this process). Health answers
 * OK even when the database is down or stalled: its body says so. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db/pool.h"
#include "domain/domain.h"
#include "isms/v1/system.pb-c.h"
#include "rpc/call.h"
#include "rpc/registry.h"
#include "rpc/server.h"

static void system_health(struct isms_call *call, const ProtobufCMessage *req)
{
    Isms__V1__HealthResponse *resp = isms_arena_calloc(&call->arena, sizeof(*resp));
    struct isms_db_stats ds = {0};
    struct isms_db_health h;

    (void)req;
    if (resp == NULL) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    isms__v1__health_response__init(resp);
    if (call->srv->pool != NULL)
        isms_db_pool_stats(call->srv->pool, &ds);
    isms_db_probe_health(&call->srv->probe, uv_now(call->srv->loop), &h);
    if (h.is_ok && call->srv->pool != NULL && !ds.is_usable) {
        /* The pool knows before the next check does. */
        h.is_ok = 0;
        snprintf(h.message, sizeof(h.message), "database is unavailable (0 of %u connections up)",
                 ds.size);
    }
    resp->database_ok = h.is_ok;
    resp->status = (char *)(h.is_ok && !call->srv->is_draining ? "SERVING" : "NOT_SERVING");
    resp->database_message = isms_arena_strdup(&call->arena, h.is_ok ? "" : h.message);
    resp->pool_size = ds.size;
    resp->pool_connected = ds.connected;
    resp->db_queue_depth = ds.queued;
    resp->database_checked_ms_ago = h.age_ms == UINT64_MAX ? 0 : h.age_ms;
    resp->database_rtt_us = h.rtt_us;
    isms_call_finish(call, &resp->base);
}

static void system_info(struct isms_call *call, const ProtobufCMessage *req)
{
    struct isms_server *srv = call->srv;
    Isms__V1__InfoResponse *resp = isms_arena_calloc(&call->arena, sizeof(*resp));
    struct tm tm;
    char ts[32];

    (void)req;
    if (resp == NULL) {
        isms_call_fail(call, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    isms__v1__info_response__init(resp);
    gmtime_r(&srv->started_at, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    resp->version = (char *)ISMS_VERSION;
    resp->schema_version = srv->schema_version;
    resp->uptime_s = (uv_hrtime() - srv->started_ns) / 1000000000u;
    resp->connections = srv->net.nconns;
    resp->calls_total = srv->calls_total;
    resp->calls_in_flight = srv->calls_in_flight;
    resp->instance_id = srv->instance_id;
    resp->started_at = isms_arena_strdup(&call->arena, ts);
    resp->database = srv->db_desc;
    isms_call_finish(call, &resp->base);
}

enum isms_code isms_system_register(struct isms_server *srv, struct isms_status *st)
{
    /* Order follows the service declaration in proto/isms/v1/system.proto. */
    static const struct isms_method_spec specs[] = {
        {"Health", system_health, ISMS_METHOD_PUBLIC, 0},
        {"Info", system_info, ISMS_METHOD_PUBLIC, 0},
    };

    return isms_registry_add(&srv->reg, &isms__v1__system__descriptor, specs,
                             sizeof(specs) / sizeof(specs[0]), st);
}
