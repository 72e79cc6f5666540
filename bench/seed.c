/* bench/seed.c — seeding through the RPCs: User/Create, Asset/Import, Risk/Create. */
#include "seed.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "client.h"
#include "common/status.h"
#include "isms/v1/asset.pb-c.h"
#include "isms/v1/auth.pb-c.h"
#include "isms/v1/risk.pb-c.h"

#define TIMEOUT_S   300 /* an import batch of 1000 rows takes seconds, not minutes */
#define RISK_WINDOW 32  /* Risk/Create calls in flight */
#define NAME_MAX_   96

static const char *const TYPES[] = {"information", "software", "hardware", "service",
                                    "people",      "site",     "supplier"};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A short random tag for names, from the kernel's random source (the clock if that fails). */
static void run_tag(char out[9])
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
    unsigned char raw[8];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t i, n = 0;

    if (f != NULL) {
        n = fread(raw, 1, sizeof(raw), f);
        fclose(f);
    }
    if (n != sizeof(raw)) {
        uint64_t t = (uint64_t)(now_s() * 1e9);

        memcpy(raw, &t, sizeof(raw));
    }
    for (i = 0; i < 8; i++)
        out[i] = alphabet[raw[i] % (sizeof(alphabet) - 1)];
    out[8] = '\0';
}

/* The configured classification levels (lowest first) and the number of assets. */
struct inventory {
    char levels[10][48];
    size_t nlevels;
    size_t assets;
};

static int read_inventory(struct isms_bench_client *c, struct inventory *inv, char *err,
                          size_t errlen)
{
    Isms__V1__ListClassificationsRequest req = ISMS__V1__LIST_CLASSIFICATIONS_REQUEST__INIT;
    Isms__V1__Classifications *cl;
    ProtobufCMessage *out;
    size_t i;

    if (isms_bench_client_call(c, "/isms.v1.Asset/ListClassifications", &req.base,
                               &isms__v1__classifications__descriptor, &out, err, errlen) != 0)
        return -1;
    cl = (Isms__V1__Classifications *)out;
    memset(inv, 0, sizeof(*inv));
    for (i = 0; i < cl->n_levels; i++) {
        if (inv->nlevels < 10)
            snprintf(inv->levels[inv->nlevels++], sizeof(inv->levels[0]), "%s",
                     cl->levels[i]->level);
        inv->assets += (size_t)cl->levels[i]->asset_count;
    }
    protobuf_c_message_free_unpacked(out, NULL);
    if (inv->nlevels == 0) {
        snprintf(err, errlen, "ismsd has no classification levels configured");
        return -1;
    }
    return 0;
}

/* Imports `n` assets named "<prefix> <first + i>" in one Asset/Import and adds their ids to
 * `plan` (when not NULL). */
static int import_batch(struct isms_bench_client *c, const struct inventory *inv,
                        struct isms_bench_plan *plan, const char *prefix,
                        const char (*accounts)[64], size_t first, size_t n, char *err,
                        size_t errlen)
{
    Isms__V1__ImportAssetsRequest req = ISMS__V1__IMPORT_ASSETS_REQUEST__INIT;
    Isms__V1__CreateAssetRequest *rows = calloc(n, sizeof(*rows));
    Isms__V1__CreateAssetRequest **ptrs = calloc(n, sizeof(*ptrs));
    char(*names)[NAME_MAX_] = calloc(n, sizeof(*names));
    static char *tags[] = {(char *)"ismsbench"};
    Isms__V1__ImportAssetsResponse *r;
    ProtobufCMessage *out = NULL;
    int rc = -1;
    size_t i;

    if (rows == NULL || ptrs == NULL || names == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (i = 0; i < n; i++) {
        Isms__V1__CreateAssetRequest *a = &rows[i];
        size_t k = first + i;

        isms__v1__create_asset_request__init(a);
        snprintf(names[i], sizeof(names[i]), "%s %06zu", prefix, k);
        a->name = names[i];
        a->type = (char *)TYPES[k % (sizeof(TYPES) / sizeof(TYPES[0]))];
        a->description = (char *)"Seeded by ismsbench for the Plan-phase benchmark.";
        a->owner = (char *)accounts[k % ISMS_BENCH_OWNERS]; /* an owner is an account */
        a->custodian = (char *)"it operations";
        a->location = (char *)"datacentre 1";
        a->classification = (char *)inv->levels[k % inv->nlevels];
        a->confidentiality = (int32_t)(1 + k % 3);
        a->integrity = (int32_t)(1 + (k / 3) % 3);
        a->availability = (int32_t)(1 + (k / 9) % 3);
        a->tags = tags;
        a->n_tags = 1;
        ptrs[i] = a;
    }
    req.assets = ptrs;
    req.n_assets = n;
    if (isms_bench_client_call(c, "/isms.v1.Asset/Import", &req.base,
                               &isms__v1__import_assets_response__descriptor, &out, err,
                               errlen) != 0)
        goto out;
    r = (Isms__V1__ImportAssetsResponse *)out;
    if (r->n_ids != n) {
        snprintf(err, errlen, "Asset/Import: %zu ids for %zu rows", r->n_ids, n);
        goto out;
    }
    for (i = 0; plan != NULL && i < n; i++) {
        int64_t num = strncmp(r->ids[i], "A-", 2) == 0 ? strtoll(r->ids[i] + 2, NULL, 10) : 0;

        /* An imported asset starts at version 1 (schema/010_assets.sql). */
        if (num <= 0 || isms_bench_plan_add_asset(plan, num, 1) != 0) {
            snprintf(err, errlen, "Asset/Import: unexpected id \"%s\" (or out of memory)",
                     r->ids[i]);
            goto out;
        }
    }
    rc = 0;
out:
    if (out != NULL)
        protobuf_c_message_free_unpacked(out, NULL);
    free(rows);
    free(ptrs);
    free(names);
    return rc;
}

/* Imports `n` assets in batches; progress on stderr. */
static int import_all(struct isms_bench_client *c, const struct inventory *inv,
                      struct isms_bench_plan *plan, const char *prefix, const char (*accounts)[64],
                      size_t n, char *err, size_t errlen)
{
    size_t done = 0, batches = 0;
    double t0 = now_s();

    while (done < n) {
        size_t b = n - done < ISMS_BENCH_IMPORT_BATCH ? n - done : ISMS_BENCH_IMPORT_BATCH;

        if (import_batch(c, inv, plan, prefix, accounts, done + 1, b, err, errlen) != 0)
            return -1;
        done += b;
        if (++batches % 10 == 0 || done == n)
            fprintf(stderr, "ismsbench: seed: %zu of %zu assets imported (%.0f rows/s)\n", done, n,
                    (double)done / (now_s() - t0));
    }
    return 0;
}

static int create_owners(struct isms_bench_client *c, const char *tag, char owners[][64], char *err,
                         size_t errlen)
{
    static char *roles[] = {(char *)"risk_owner"};
    int i;

    for (i = 0; i < ISMS_BENCH_OWNERS; i++) {
        Isms__V1__CreateUserRequest req = ISMS__V1__CREATE_USER_REQUEST__INIT;
        ProtobufCMessage *out;
        char display[96];

        snprintf(owners[i], 64, "ismsbench-%s-owner-%d", tag, i + 1);
        snprintf(display, sizeof(display), "ismsbench risk owner %d", i + 1);
        req.name = owners[i];
        req.display_name = display;
        req.roles = roles;
        req.n_roles = 1;
        if (isms_bench_client_call(c, "/isms.v1.User/Create", &req.base,
                                   &isms__v1__create_user_response__descriptor, &out, err,
                                   errlen) != 0)
            return -1;
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return 0;
}

/* Sends Risk/Create number `k` (1-based). */
static int send_risk(struct isms_bench_client *c, struct isms_bench_plan *plan, const char *tag,
                     char owners[][64], size_t k, size_t first_asset, size_t nassets, char *err,
                     size_t errlen)
{
    Isms__V1__CreateRiskRequest req = ISMS__V1__CREATE_RISK_REQUEST__INIT;
    char title[96], ids[3][32];
    char *assets[3];
    size_t n = 1 + (size_t)isms_bench_plan_rand(plan, 3), i, j;
    int64_t picked[3];

    for (i = 0; i < n; i++) {
        do {
            picked[i] = plan->asset_num[first_asset + isms_bench_plan_rand(plan, nassets)];
            for (j = 0; j < i && picked[j] != picked[i]; j++)
                ;
        } while (j < i && nassets >= 3);
        snprintf(ids[i], sizeof(ids[i]), "A-%" PRId64, picked[i]);
        assets[i] = ids[i];
    }
    snprintf(title, sizeof(title), "ismsbench %s risk %06zu", tag, k);
    req.title = title;
    req.description = (char *)"Seeded by ismsbench for the Plan-phase benchmark.";
    req.threat = (char *)"unauthorised access";
    req.vulnerability = (char *)"weak access control";
    req.owner = owners[k % ISMS_BENCH_OWNERS];
    req.assets = assets;
    req.n_assets = n;
    req.likelihood = (int32_t)(1 + isms_bench_plan_rand(plan, 3));
    req.impact = (int32_t)(1 + isms_bench_plan_rand(plan, 3));
    return isms_bench_client_send(c, "/isms.v1.Risk/Create", &req.base, NULL, err, errlen);
}

static int take_risk(struct isms_bench_client *c, struct isms_bench_plan *plan, char *err,
                     size_t errlen)
{
    Isms__V1__Response *rsp;
    Isms__V1__RiskRecord *r;
    int rc = -1;

    if (isms_bench_client_recv(c, &rsp, err, errlen) != 0)
        return -1;
    if (rsp->code != ISMS_OK) {
        snprintf(err, errlen, "Risk/Create: %s: %s", isms_code_name(rsp->code), rsp->message);
    } else if ((r = isms__v1__risk_record__unpack(NULL, rsp->body.len, rsp->body.data)) == NULL) {
        snprintf(err, errlen, "Risk/Create: an undecodable answer");
    } else {
        rc = strncmp(r->id, "R-", 2) == 0 &&
                     isms_bench_plan_add_risk(plan, strtoll(r->id + 2, NULL, 10), r->version) == 0
                 ? 0
                 : -1;
        if (rc != 0)
            snprintf(err, errlen, "Risk/Create: unexpected id \"%s\" (or out of memory)", r->id);
        isms__v1__risk_record__free_unpacked(r, NULL);
    }
    isms__v1__response__free_unpacked(rsp, NULL);
    return rc;
}

int isms_bench_seed_plan(const char *host, const char *port, const char *token, size_t nassets,
                         size_t nrisks, struct isms_bench_plan *plan,
                         struct isms_bench_seed_report *rep, char *err, size_t errlen)
{
    struct isms_bench_client c;
    struct inventory inv;
    char tag[9], prefix[64], owners[ISMS_BENCH_OWNERS][64];
    size_t first_asset = plan->nassets, sent = 0, got = 0;
    double t;
    int rc = -1;

    memset(rep, 0, sizeof(*rep));
    rep->analyze_s = -1;
    run_tag(tag);
    if (isms_bench_client_open(&c, host, port, token, TIMEOUT_S, err, errlen) != 0)
        return -1;
    if (read_inventory(&c, &inv, err, errlen) != 0)
        goto out;
    rep->assets_before = inv.assets;

    t = now_s();
    if (create_owners(&c, tag, owners, err, errlen) != 0)
        goto out;
    rep->users = ISMS_BENCH_OWNERS;
    rep->users_s = now_s() - t;

    t = now_s();
    snprintf(prefix, sizeof(prefix), "ismsbench %s asset", tag);
    if (import_all(&c, &inv, plan, prefix, (const char(*)[64])owners, nassets, err, errlen) != 0)
        goto out;
    rep->assets = nassets;
    rep->assets_s = now_s() - t;

    t = now_s();
    while (got < nrisks) {
        while (sent < nrisks && sent - got < RISK_WINDOW) {
            if (send_risk(&c, plan, tag, owners, sent + 1, first_asset, nassets, err, errlen) != 0)
                goto out;
            sent++;
        }
        if (take_risk(&c, plan, err, errlen) != 0)
            goto out;
        got++;
        if (got % 1000 == 0 || got == nrisks)
            fprintf(stderr, "ismsbench: seed: %zu of %zu risks created (%.0f/s)\n", got, nrisks,
                    (double)got / (now_s() - t));
    }
    rep->risks = nrisks;
    rep->risks_s = now_s() - t;
    rc = 0;
out:
    isms_bench_client_close(&c);
    return rc;
}

int isms_bench_seed_inventory(const char *host, const char *port, const char *token, size_t total,
                              struct isms_bench_seed_report *rep, char *err, size_t errlen)
{
    struct isms_bench_client c;
    struct inventory inv;
    char tag[9], prefix[64], owners[ISMS_BENCH_OWNERS][64];
    double t;
    int rc = -1;

    memset(rep, 0, sizeof(*rep));
    rep->analyze_s = -1;
    run_tag(tag);
    if (isms_bench_client_open(&c, host, port, token, TIMEOUT_S, err, errlen) != 0)
        return -1;
    if (read_inventory(&c, &inv, err, errlen) != 0)
        goto out;
    rep->assets_before = inv.assets;
    t = now_s();
    snprintf(prefix, sizeof(prefix), "ismsbench %s inventory", tag);
    /* asset owners are accounts */
    if (inv.assets < total && (create_owners(&c, tag, owners, err, errlen) != 0 ||
                               import_all(&c, &inv, NULL, prefix, (const char(*)[64])owners,
                                          total - inv.assets, err, errlen) != 0))
        goto out;
    rep->assets = inv.assets < total ? total - inv.assets : 0;
    rep->assets_s = now_s() - t;
    rc = 0;
out:
    isms_bench_client_close(&c);
    return rc;
}

int isms_bench_seed_analyze(const char *conninfo, struct isms_bench_seed_report *rep, char *err,
                            size_t errlen)
{
    double t = now_s();
    PGconn *pg = PQconnectdb(conninfo);
    PGresult *r;
    int rc = -1;

    rep->analyze_s = -1;
    if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
        snprintf(err, errlen, "could not connect to PostgreSQL: %s",
                 pg ? PQerrorMessage(pg) : "no memory");
        PQfinish(pg);
        return -1;
    }
    r = PQexec(pg, "VACUUM ANALYZE");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        snprintf(err, errlen, "VACUUM ANALYZE: %s", PQresultErrorMessage(r));
    else
        rc = 0;
    PQclear(r);
    PQfinish(pg);
    if (rc == 0)
        rep->analyze_s = now_s() - t;
    return rc;
}
