/* client/cmd_status.c — `ismsctl status`: one record merging System/Health and System/Info.
 * A server that answers NOT_SERVING still gets its record printed, then exits as UNAVAILABLE so
 * scripts can use `ismsctl status` as a health check. */
#include <string.h>

#include "cli.h"

#include "isms/v1/system.pb-c.h"

static const struct isms_out_col status_cols[] = {
    {"version", ISMS_OUT_STR},        {"status", ISMS_OUT_STR},
    {"database_ok", ISMS_OUT_BOOL},   {"database_message", ISMS_OUT_STR},
    {"schema_version", ISMS_OUT_I64}, {"uptime_s", ISMS_OUT_U64},
    {"started_at", ISMS_OUT_STR},     {"connections", ISMS_OUT_U64},
    {"calls_total", ISMS_OUT_U64},    {"calls_in_flight", ISMS_OUT_U64},
    {"pool_size", ISMS_OUT_U64},      {"pool_connected", ISMS_OUT_U64},
    {"db_queue_depth", ISMS_OUT_U64}, {"instance_id", ISMS_OUT_STR},
    {"database", ISMS_OUT_STR},
};

static enum isms_code run_status(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *req, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__HealthRequest hreq = ISMS__V1__HEALTH_REQUEST__INIT;
    Isms__V1__InfoRequest ireq = ISMS__V1__INFO_REQUEST__INIT;
    ProtobufCMessage *hmsg = NULL, *imsg = NULL;
    const Isms__V1__HealthResponse *h;
    const Isms__V1__InfoResponse *info;
    struct isms_out_table *t;
    enum isms_code code;

    (void)a;
    (void)req;
    code = isms_cli_call(cli, "/isms.v1.System/Health", &hreq.base,
                         &isms__v1__health_response__descriptor, &hmsg, st);
    if (code != ISMS_OK)
        goto out;
    code = isms_cli_call(cli, "/isms.v1.System/Info", &ireq.base,
                         &isms__v1__info_response__descriptor, &imsg, st);
    if (code != ISMS_OK)
        goto out;
    h = (const Isms__V1__HealthResponse *)hmsg;
    info = (const Isms__V1__InfoResponse *)imsg;

    t = isms_out_record(out, "ismsd", status_cols, sizeof(status_cols) / sizeof(status_cols[0]));
    isms_out_str(t, info->version);
    isms_out_str(t, h->status);
    isms_out_bool(t, h->database_ok);
    isms_out_str(t, h->database_message);
    isms_out_i64(t, info->schema_version);
    isms_out_u64(t, info->uptime_s);
    isms_out_str(t, info->started_at);
    isms_out_u64(t, info->connections);
    isms_out_u64(t, info->calls_total);
    isms_out_u64(t, info->calls_in_flight);
    isms_out_u64(t, h->pool_size);
    isms_out_u64(t, h->pool_connected);
    isms_out_u64(t, h->db_queue_depth);
    isms_out_str(t, info->instance_id);
    isms_out_str(t, info->database);

    if (h->status == NULL || h->status[0] == '\0' || strcmp(h->status, "SERVING") != 0) {
        isms_status_set(st, ISMS_UNAVAILABLE, "ismsd is %.20s%s%.180s",
                        h->status != NULL && h->status[0] != '\0' ? h->status : "not serving",
                        h->database_message != NULL && h->database_message[0] != '\0' ? ": " : "",
                        h->database_message != NULL ? h->database_message : "");
        cli->exit_after_output = ISMS_UNAVAILABLE;
    }
out:
    if (hmsg != NULL)
        protobuf_c_message_free_unpacked(hmsg, NULL);
    if (imsg != NULL)
        protobuf_c_message_free_unpacked(imsg, NULL);
    return code;
}

static const struct isms_cmd status_cmds[] = {
    {.noun = "status",
     .verb = "",
     .summary = "server version, SERVING/NOT_SERVING, database, schema, uptime, connections, pool",
     .run = run_status},
};

const struct isms_noun isms_noun_status = {
    "status",
    "health and facts of the running ismsd (exits 8 when it is NOT_SERVING)",
    status_cmds,
    sizeof(status_cmds) / sizeof(status_cmds[0]),
};
