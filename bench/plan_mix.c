/* bench/plan_mix.c — the plan-mix data set, the choice of each next operation, and the
 * requests and answers of the wire runs. */
#include "plan_mix.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isms/v1/asset.pb-c.h"
#include "isms/v1/risk.pb-c.h"

enum { NEXT_RANDOM = 0, NEXT_REFRESH = 1, NEXT_RETRY = 2 };

void isms_bench_plan_init(struct isms_bench_plan *p, uint64_t seed)
{
    memset(p, 0, sizeof(*p));
    if (seed == 0) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec;
    }
    p->rng = seed != 0 ? seed : 0x9e3779b97f4a7c15u;
}

void isms_bench_plan_free(struct isms_bench_plan *p)
{
    free(p->asset_num);
    free(p->asset_ver);
    free(p->risk_num);
    free(p->risk_ver);
    memset(p, 0, sizeof(*p));
}

/* Appends (num, version) to a pair of arrays grown together. */
static int add_item(int64_t **nums, int64_t **vers, size_t *n, int64_t num, int64_t version)
{
    if ((*n & (*n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow to the next power of two */
        size_t cap = *n ? *n * 2 : 1024;
        int64_t *a = realloc(*nums, cap * sizeof(*a));

        if (a == NULL)
            return -1;
        *nums = a;
        a = realloc(*vers, cap * sizeof(*a));
        if (a == NULL)
            return -1;
        *vers = a;
    }
    (*nums)[*n] = num;
    (*vers)[*n] = version;
    (*n)++;
    return 0;
}

int isms_bench_plan_add_asset(struct isms_bench_plan *p, int64_t num, int64_t version)
{
    return add_item(&p->asset_num, &p->asset_ver, &p->nassets, num, version);
}

int isms_bench_plan_add_risk(struct isms_bench_plan *p, int64_t num, int64_t version)
{
    return add_item(&p->risk_num, &p->risk_ver, &p->nrisks, num, version);
}

uint64_t isms_bench_plan_rand(struct isms_bench_plan *p, uint64_t n)
{
    uint64_t x = p->rng;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p->rng = x;
    return n ? x % n : 0;
}

static int is_risk_kind(enum isms_bench_kind k)
{
    return k == ISMS_BENCH_RISK_GET || k == ISMS_BENCH_RISK_LIST || k == ISMS_BENCH_RISK_UPDATE;
}

void isms_bench_plan_next(struct isms_bench_plan *p, struct isms_bench_op *op)
{
    uint64_t r;

    if (op->next == NEXT_REFRESH) {
        /* The update before was stale: read the item for its current version. */
        op->kind = op->kind == ISMS_BENCH_RISK_UPDATE ? ISMS_BENCH_RISK_GET : ISMS_BENCH_ASSET_GET;
        op->next = NEXT_RETRY;
        return;
    }
    if (op->next == NEXT_RETRY) {
        op->kind =
            op->kind == ISMS_BENCH_RISK_GET ? ISMS_BENCH_RISK_UPDATE : ISMS_BENCH_ASSET_UPDATE;
        op->next = NEXT_RANDOM;
    } else {
        r = isms_bench_plan_rand(p, 100);
        if (r < 20)
            op->kind = ISMS_BENCH_ASSET_GET;
        else if (r < 40)
            op->kind = ISMS_BENCH_RISK_GET;
        else if (r < 60)
            op->kind = ISMS_BENCH_ASSET_LIST;
        else if (r < 80)
            op->kind = ISMS_BENCH_RISK_LIST;
        else if (r < 90)
            op->kind = ISMS_BENCH_ASSET_UPDATE;
        else
            op->kind = ISMS_BENCH_RISK_UPDATE;
        op->idx = (size_t)isms_bench_plan_rand(p, is_risk_kind(op->kind) ? p->nrisks : p->nassets);
    }
    op->expected = 0;
    if (op->kind == ISMS_BENCH_ASSET_UPDATE) {
        op->expected = p->asset_ver[op->idx];
        op->edit = ++p->edits;
    } else if (op->kind == ISMS_BENCH_RISK_UPDATE) {
        op->expected = p->risk_ver[op->idx];
        op->edit = ++p->edits;
    }
}

void isms_bench_plan_done(struct isms_bench_op *op, int code)
{
    if (code == ISMS_ABORTED &&
        (op->kind == ISMS_BENCH_ASSET_UPDATE || op->kind == ISMS_BENCH_RISK_UPDATE))
        op->next = NEXT_REFRESH;
    else if (op->next == NEXT_RETRY && code != ISMS_OK)
        op->next = NEXT_RANDOM; /* the refreshing Get failed: give the retry up */
}

void isms_bench_plan_seen(struct isms_bench_plan *p, int is_risk, size_t idx, int64_t version)
{
    int64_t *v = is_risk ? &p->risk_ver[idx] : &p->asset_ver[idx];

    /* Answers may arrive out of order; versions only grow. */
    if (version > *v)
        *v = version;
}

void isms_bench_plan_description(const struct isms_bench_op *op, char *buf, size_t len)
{
    snprintf(buf, len, "ismsbench edit %" PRIu64, op->edit);
}

uint8_t *isms_bench_plan_request(struct isms_bench_plan *p, const struct isms_bench_op *op,
                                 const char **method, size_t *len)
{
    Isms__V1__GetAssetRequest ag = ISMS__V1__GET_ASSET_REQUEST__INIT;
    Isms__V1__GetRiskRequest rg = ISMS__V1__GET_RISK_REQUEST__INIT;
    Isms__V1__ListAssetsRequest al = ISMS__V1__LIST_ASSETS_REQUEST__INIT;
    Isms__V1__ListRisksRequest rl = ISMS__V1__LIST_RISKS_REQUEST__INIT;
    Isms__V1__UpdateAssetRequest au = ISMS__V1__UPDATE_ASSET_REQUEST__INIT;
    Isms__V1__UpdateRiskRequest ru = ISMS__V1__UPDATE_RISK_REQUEST__INIT;
    const ProtobufCMessage *msg = NULL;
    char id[32], desc[64];
    uint8_t *buf;

    desc[0] = '\0';
    if (is_risk_kind(op->kind))
        snprintf(id, sizeof(id), "R-%" PRId64, p->risk_num[op->idx]);
    else
        snprintf(id, sizeof(id), "A-%" PRId64, p->asset_num[op->idx]);
    switch (op->kind) {
    case ISMS_BENCH_ASSET_GET:
        *method = "/isms.v1.Asset/Get";
        ag.id = id;
        msg = &ag.base;
        break;
    case ISMS_BENCH_RISK_GET:
        *method = "/isms.v1.Risk/Get";
        rg.id = id;
        msg = &rg.base;
        break;
    case ISMS_BENCH_ASSET_LIST:
        *method = "/isms.v1.Asset/List";
        al.limit = ISMS_BENCH_LIST_PAGE;
        msg = &al.base;
        break;
    case ISMS_BENCH_RISK_LIST:
        *method = "/isms.v1.Risk/List";
        rl.limit = ISMS_BENCH_LIST_PAGE;
        msg = &rl.base;
        break;
    case ISMS_BENCH_ASSET_UPDATE:
        *method = "/isms.v1.Asset/Update";
        isms_bench_plan_description(op, desc, sizeof(desc));
        au.id = id;
        au.expected_version = op->expected;
        au.description = desc;
        au.set_description = 1;
        msg = &au.base;
        break;
    case ISMS_BENCH_RISK_UPDATE:
        *method = "/isms.v1.Risk/Update";
        isms_bench_plan_description(op, desc, sizeof(desc));
        ru.id = id;
        ru.expected_version = op->expected;
        ru.description = desc;
        ru.set_description = 1;
        msg = &ru.base;
        break;
    }
    *len = protobuf_c_message_get_packed_size(msg);
    buf = malloc(*len ? *len : 1);
    if (buf != NULL)
        protobuf_c_message_pack(msg, buf);
    return buf;
}

int isms_bench_plan_answer(struct isms_bench_plan *p, const struct isms_bench_op *op,
                           const ProtobufCBinaryData *body)
{
    if (op->kind == ISMS_BENCH_ASSET_GET || op->kind == ISMS_BENCH_ASSET_UPDATE) {
        Isms__V1__AssetRecord *a = isms__v1__asset_record__unpack(NULL, body->len, body->data);

        if (a == NULL)
            return -1;
        isms_bench_plan_seen(p, 0, op->idx, a->version);
        isms__v1__asset_record__free_unpacked(a, NULL);
    } else if (op->kind == ISMS_BENCH_RISK_GET || op->kind == ISMS_BENCH_RISK_UPDATE) {
        Isms__V1__RiskRecord *r = isms__v1__risk_record__unpack(NULL, body->len, body->data);

        if (r == NULL)
            return -1;
        isms_bench_plan_seen(p, 1, op->idx, r->version);
        isms__v1__risk_record__free_unpacked(r, NULL);
    }
    return 0;
}
