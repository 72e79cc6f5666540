/* bench/stream.c — the stream methods: `repeat` streams one after another on one connection,
 * each timed from the request to its more = false answer. asset-list-100k reads the whole
 * inventory with one Asset/List (no limit); soa-export reads the current SoA with Soa/Export.
 * Around the streams ismsd's peak RSS is reset (/proc/PID/clear_refs) and read back, and its RSS
 * is sampled while they run, to show whether memory stays bounded while ismsd streams more
 * data than it should ever hold. The baseline runs the statements ismsd runs for the same
 * streams, page by page, on one libpq connection. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "common/status.h"
#include "isms/v1/asset.pb-c.h"
#include "isms/v1/control.pb-c.h"
#include "pq_load.h"

#define TIMEOUT_S    120
#define SAMPLE_EVERY 2000u /* stream messages between two RSS samples */

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void result_init(struct isms_bench_result *res)
{
    memset(res, 0, sizeof(*res));
    res->rss_kib = res->hwm_kib = -1;
    res->rss_before_kib = res->hwm_before_kib = res->rss_max_kib = -1;
    res->client_cpu_pct = res->ismsd_cpu_pct = res->box_cpu_pct = res->load1 = -1;
}

/* Reads one stream to its end; adds its messages to res->rows. Returns its gRPC code, or -1
 * when the connection failed (`err` says why). */
static int read_stream(struct isms_bench_client *c, const struct isms_bench_cfg *cfg,
                       uint64_t call_id, struct isms_bench_result *res, char *err, size_t errlen)
{
    for (;;) {
        Isms__V1__Response *rsp;
        int code;

        if (isms_bench_client_recv(c, &rsp, err, errlen) != 0)
            return -1;
        if (rsp->call_id != call_id) {
            snprintf(err, errlen, "an answer to call %llu while reading call %llu",
                     (unsigned long long)rsp->call_id, (unsigned long long)call_id);
            isms__v1__response__free_unpacked(rsp, NULL);
            return -1;
        }
        if (rsp->more) {
            res->rows++;
            if (res->rows % SAMPLE_EVERY == 0) {
                long rss, hwm;

                isms_bench_read_rss(cfg->ismsd_pid, &rss, &hwm);
                if (rss > res->rss_max_kib)
                    res->rss_max_kib = rss;
            }
            isms__v1__response__free_unpacked(rsp, NULL);
            continue;
        }
        code = rsp->code;
        if (code != ISMS_OK)
            isms_bench_result_note(res, "%s: %s", isms_code_name(code), rsp->message);
        isms__v1__response__free_unpacked(rsp, NULL);
        return code;
    }
}

void isms_bench_run_stream_wire(const struct isms_bench_cfg *cfg, unsigned repeat,
                                struct isms_bench_result *res)
{
    Isms__V1__ListAssetsRequest list = ISMS__V1__LIST_ASSETS_REQUEST__INIT;
    Isms__V1__SoaExportRequest soa = ISMS__V1__SOA_EXPORT_REQUEST__INIT;
    int is_list = cfg->method == ISMS_BENCH_ASSET_LIST_100K;
    const char *method = is_list ? "/isms.v1.Asset/List" : "/isms.v1.Soa/Export";
    const ProtobufCMessage *req = is_list ? &list.base : &soa.base;
    struct isms_bench_samples samples = {0};
    struct isms_bench_client c;
    struct isms_bench_cpu cpu;
    char err[512];
    uint64_t t0, t_end, id;
    unsigned r;

    result_init(res);
    if (isms_bench_client_open(&c, cfg->host, cfg->port, cfg->token, TIMEOUT_S, err, sizeof(err)) !=
        0) {
        isms_bench_result_fail(res, "%s", err);
        return;
    }
    /* The peak so far (a login's argon2id hash, earlier runs) would hide this run's: reset it
     * to the RSS of now, then read both. */
    res->hwm_reset = isms_bench_reset_hwm(cfg->ismsd_pid) == 0;
    isms_bench_read_rss(cfg->ismsd_pid, &res->rss_before_kib, &res->hwm_before_kib);
    res->rss_max_kib = res->rss_before_kib;
    isms_bench_cpu_start(&cpu, cfg->ismsd_pid);
    t0 = now_ns();
    for (r = 0; r < repeat; r++) {
        uint64_t ts = now_ns();
        int code;

        if (isms_bench_client_send(&c, method, req, &id, err, sizeof(err)) != 0 ||
            (code = read_stream(&c, cfg, id, res, err, sizeof(err))) < 0) {
            isms_bench_result_fail(res, "%s", err);
            break;
        }
        res->calls++;
        if (code == ISMS_OK)
            res->ok_calls++;
        if (code >= 0 && code < ISMS_BENCH_CODE_SLOTS - 1)
            res->codes[code]++;
        if (isms_bench_samples_add(&samples, now_ns() - ts) != 0)
            isms_bench_result_note(res, "out of memory for latency samples");
    }
    t_end = now_ns();
    res->window_s = (double)(t_end - t0) / 1e9;
    isms_bench_cpu_stop(&cpu, cfg->ismsd_pid, res->window_s, res);
    isms_bench_read_rss(cfg->ismsd_pid, &res->rss_kib, &res->hwm_kib);
    if (res->rss_kib > res->rss_max_kib)
        res->rss_max_kib = res->rss_kib;
    isms_bench_result_finish(res, &samples);
    isms_bench_samples_free(&samples);
    isms_bench_client_close(&c);
}

/* Runs one prepared statement with `params` and checks the result; returns it or NULL (the run
 * is marked failed). */
static PGresult *exec_q(PGconn *pg, enum isms_bench_q q, const char *const *params,
                        struct isms_bench_result *res)
{
    char name[24];
    PGresult *r;

    snprintf(name, sizeof(name), "ismsbench_%d", (int)q);
    r = PQexecPrepared(pg, name, isms_bench_q_nparams(q), params, NULL, NULL, 0);
    res->statements++;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        isms_bench_result_fail(res, "statement %d: %s", (int)q, PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    return r;
}

/* One stream's SQL as ismsd runs it: the session lookup, then the pages. */
static int direct_stream(PGconn *pg, const struct isms_bench_cfg *cfg, const char *token_hash,
                         struct isms_bench_result *res)
{
    const char *lookup[1] = {token_hash};
    PGresult *r = exec_q(pg, ISMS_BENCH_Q_AUTH_LOOKUP, lookup, res);
    char limit[16], num[24];
    int n, take;

    if (r == NULL)
        return -1;
    PQclear(r);
    if (cfg->method == ISMS_BENCH_SOA_EXPORT) {
        /* soa.c export_page(): after "" (the first ord), position 0; 93 rows < one page. */
        static const char *const first[2] = {"", "0"};

        r = exec_q(pg, ISMS_BENCH_Q_SOA_PAGE, first, res);
        if (r == NULL)
            return -1;
        res->rows += (uint64_t)PQntuples(r);
        PQclear(r);
        return 0;
    }
    /* asset_bulk.c list_next_page(): no limit, so pages of PAGE_ROWS asked as PAGE_ROWS + 1,
     * the cursor at the last row taken, until a page is not full. */
    snprintf(limit, sizeof(limit), "%d", ISMS_BENCH_ASSET_PAGE_ROWS + 1);
    snprintf(num, sizeof(num), "0");
    for (int page = 0;; page++) {
        const char *p[8] = {"", "", "", "", "", "", limit, num};

        r = exec_q(pg, page > 0 ? ISMS_BENCH_Q_ASSET_LIST : ISMS_BENCH_Q_ASSET_LIST_FIRST, p, res);
        if (r == NULL)
            return -1;
        n = PQntuples(r);
        take = n > ISMS_BENCH_ASSET_PAGE_ROWS ? ISMS_BENCH_ASSET_PAGE_ROWS : n;
        res->rows += (uint64_t)take;
        if (take > 0)
            snprintf(num, sizeof(num), "%s", PQgetvalue(r, take - 1, 0));
        PQclear(r);
        if (n <= ISMS_BENCH_ASSET_PAGE_ROWS)
            return 0;
    }
}

void isms_bench_run_stream_pq(const struct isms_bench_cfg *cfg, unsigned repeat,
                              struct isms_bench_result *res)
{
    struct isms_bench_samples samples = {0};
    struct isms_bench_cpu cpu;
    char token_hash[2 + 64 + 1], err[512];
    uint64_t t0;
    PGconn *pg;
    unsigned r;

    result_init(res);
    isms_bench_token_hash_lit(cfg->token != NULL ? cfg->token : "", token_hash);
    pg = PQconnectdb(cfg->conninfo);
    if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
        isms_bench_result_fail(res, "could not connect to PostgreSQL: %s",
                               pg ? PQerrorMessage(pg) : "no memory");
        PQfinish(pg);
        return;
    }
    if (isms_bench_pq_prepare(pg, err, sizeof(err)) != 0) {
        isms_bench_result_fail(res, "%s", err);
        PQfinish(pg);
        return;
    }
    isms_bench_cpu_start(&cpu, 0);
    t0 = now_ns();
    for (r = 0; r < repeat; r++) {
        uint64_t ts = now_ns();

        if (direct_stream(pg, cfg, token_hash, res) != 0)
            break;
        res->calls++;
        res->ok_calls++;
        if (isms_bench_samples_add(&samples, now_ns() - ts) != 0)
            isms_bench_result_note(res, "out of memory for latency samples");
    }
    res->window_s = (double)(now_ns() - t0) / 1e9;
    isms_bench_cpu_stop(&cpu, 0, res->window_s, res);
    isms_bench_result_finish(res, &samples);
    isms_bench_samples_free(&samples);
    PQfinish(pg);
}
