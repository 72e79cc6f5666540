/* bench/pq_plan.c — the plan-mix calls as SQL: for each operation the statements ismsd runs,
 * with the parameters its handlers send (daemon/domain/plan/asset.c, asset_bulk.c, risk.c,
 * risk_read.c), and the same reading of their results (a stale version is ABORTED). Every call
 * starts with the session lookup (daemon/auth/session.c), pipelined with the first statement.
 *
 *   Asset/Get     lookup | SQL_ASSET_GET
 *   Risk/Get      lookup | SQL_RISK_GET
 *   Asset/List    lookup | SQL_LIST_ID_ASC (limit 50: one page of 51 rows)
 *   Risk/List     lookup | SQL_RISK_PAGE (limit 50)
 *   Asset/Update  lookup | SQL_ASSET_UPDATE (description: no C/I/A limits to read first)
 *   Risk/Update   lookup | SQL_RISK_LOAD, then SQL_RISK_WRITE, then SQL_RISK_GET (the answer)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pq_load.h"

/* Risk/Update steps. */
enum { STEP_LOAD = 0, STEP_WRITE = 1, STEP_REPLY = 2, STEP_END = 3 };

#define RISK_WRITE_PARAMS 47

static const char *value(const PGresult *r, int col)
{
    return PQgetisnull(r, 0, col) ? NULL : PQgetvalue(r, 0, col);
}

/* A text cell as the daemon reads it (isms_db_value): "" for NULL. */
static const char *text(const PGresult *r, int col)
{
    return PQgetvalue(r, 0, col);
}

static int64_t int64_at(const PGresult *r, int col)
{
    const char *v = value(r, col);

    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

/* Room for `n` bytes in the slot's scratch buffer. */
static char *scratch(struct isms_bench_pq_slot *s, size_t n)
{
    if (s->cap < n) {
        char *b = realloc(s->buf, n);

        if (b == NULL)
            return NULL;
        s->buf = b;
        s->cap = n;
    }
    return s->buf;
}

int isms_bench_pq_plan_start(struct isms_bench_pq_slot *s)
{
    struct isms_bench_plan *p = s->cfg->plan;
    struct isms_bench_op *op = &s->op;
    const char *lookup[1] = {s->token_hash};
    char num[24], id[32], ver[24], desc[64];
    const char *a[19];

    isms_bench_plan_next(p, op);
    if (isms_bench_pq_send(s, ISMS_BENCH_Q_AUTH_LOOKUP, lookup) != 0)
        return -1;
    switch (op->kind) {
    case ISMS_BENCH_ASSET_GET:
        /* asset.c asset_get(): the number of "A-<n>", then the reference as given. */
        snprintf(num, sizeof(num), "%" PRId64, p->asset_num[op->idx]);
        snprintf(id, sizeof(id), "A-%" PRId64, p->asset_num[op->idx]);
        a[0] = num;
        a[1] = id;
        return isms_bench_pq_send(s, ISMS_BENCH_Q_ASSET_GET, a);
    case ISMS_BENCH_RISK_GET:
        /* risk_read.c isms_risk_reply(). */
        snprintf(num, sizeof(num), "%" PRId64, p->risk_num[op->idx]);
        a[0] = num;
        return isms_bench_pq_send(s, ISMS_BENCH_Q_RISK_GET, a);
    case ISMS_BENCH_ASSET_LIST: {
        /* asset_bulk.c list_next_page(): no filters, limit+1 rows, no cursor, id order. */
        static const char *const list[7] = {"", "", "", "", "", "", "51"};

        _Static_assert(ISMS_BENCH_LIST_PAGE + 1 == 51, "the page size changed");
        return isms_bench_pq_send(s, ISMS_BENCH_Q_ASSET_LIST_FIRST, list);
    }
    case ISMS_BENCH_RISK_LIST: {
        /* risk_read.c next_page(): after 0, no filters (asset number NULL), limit 50. */
        static const char *const page[10] = {"0",  "false", "",      "",   "",
                                             NULL, "",      "false", "50", "false"};

        return isms_bench_pq_send(s, ISMS_BENCH_Q_RISK_PAGE, page);
    }
    case ISMS_BENCH_ASSET_UPDATE:
        /* asset.c update_run() for a request that sets only the description. */
        snprintf(num, sizeof(num), "%" PRId64, p->asset_num[op->idx]);
        snprintf(id, sizeof(id), "A-%" PRId64, p->asset_num[op->idx]);
        snprintf(ver, sizeof(ver), "%" PRId64, op->expected);
        isms_bench_plan_description(op, desc, sizeof(desc));
        a[0] = num;
        a[1] = id;
        a[2] = ver;
        a[3] = "4"; /* ISMS_ASSET_F_DESCRIPTION */
        a[4] = "";
        a[5] = "";
        a[6] = desc;
        a[7] = "";
        a[8] = "";
        a[9] = "";
        a[10] = "";
        a[11] = "0";
        a[12] = "0";
        a[13] = "0";
        a[14] = "{}";
        a[15] = "";
        a[16] = s->cfg->user;
        a[17] = s->cfg->source;
        a[18] = NULL; /* no idempotency key */
        return isms_bench_pq_send(s, ISMS_BENCH_Q_ASSET_UPDATE, a);
    case ISMS_BENCH_RISK_UPDATE:
        /* risk.c submit_load(): the risk, no owner to look up, no assets, no controls. */
        snprintf(num, sizeof(num), "%" PRId64, p->risk_num[op->idx]);
        a[0] = num;
        a[1] = "";
        a[2] = "{}";
        a[3] = "{}";
        a[4] = "{}";
        s->step = STEP_LOAD;
        return isms_bench_pq_send(s, ISMS_BENCH_Q_RISK_LOAD, a);
    }
    return -1;
}

/* risk.c load_done() and submit_write() for an Update that sets only the description: every
 * other value is the loaded one, as the daemon passes it (num_or_null: 0 is NULL; text_or_null:
 * "" is NULL). Copies the values into the slot's scratch buffer, laid out as 38 strings. */
static int keep_write_params(struct isms_bench_pq_slot *s, const PGresult *r)
{
    const int c = ISMS_BENCH_LOAD_RISK_COL;
    const struct isms_bench_op *op = &s->op;
    char desc[64], num[24];
    const char *v[RISK_WRITE_PARAMS];
    size_t need = 0, off = 0;
    char *b;
    int k;

    /* Columns of ISMS_RISK_COLS that are numbers where 0 means "none". */
    static const int nums[] = {7, 8, 9, 10, 13, 14, 15, 23};
    static const int num_param[] = {8, 9, 10, 11, 13, 14, 15, 23};

    isms_bench_plan_description(op, desc, sizeof(desc));
    snprintf(num, sizeof(num), "%" PRId64, s->cfg->plan->risk_num[op->idx]);
    v[0] = num;
    v[1] = text(r, c + 25); /* the version LOAD saw */
    v[2] = text(r, c + 1);  /* title */
    v[3] = desc;            /* description: the change */
    v[4] = text(r, c + 3);  /* threat */
    v[5] = text(r, c + 4);  /* vulnerability */
    v[6] = text(r, c + 6);  /* existing controls */
    v[7] = text(r, c + 5);  /* owner */
    for (k = 0; k < (int)(sizeof(nums) / sizeof(nums[0])); k++) {
        const char *x = text(r, c + nums[k]);

        v[num_param[k]] = strcmp(x, "0") != 0 && x[0] != '\0' ? x : NULL;
    }
    v[12] = text(r, c + 11); /* inherent level */
    v[16] = text(r, c + 16); /* residual level */
    if (v[12][0] == '\0')
        v[12] = NULL;
    if (v[16][0] == '\0')
        v[16] = NULL;
    v[17] = text(r, c + 12); /* treatment option */
    v[18] = text(r, c + 18); /* status */
    v[19] = text(r, c + 19); /* next review */
    v[20] = text(r, c + 20); /* accepted by */
    v[21] = "keep";
    v[22] = text(r, c + 22); /* acceptance justification */
    v[24] = text(r, c + 24); /* close reason */
    v[25] = "false";         /* set_assets */
    for (k = 26; k <= 33; k++)
        v[k] = "{}"; /* assets, controls added / removed, actions added / updated */
    v[34] = s->cfg->user;
    v[35] = s->cfg->source;
    v[36] = "/isms.v1.Risk/Update";
    v[37] = NULL;                /* no method guard: an Update does not rate */
    v[38] = NULL;                /* no idempotency key */
    v[39] = text(r, c + 38);     /* acceptance review date */
    for (k = 40; k <= 44; k++) { /* lowered residual awaiting confirmation, as it is */
        const char *x = text(r, c + k - 1);

        v[k] = strcmp(x, "0") != 0 && x[0] != '\0' ? x : NULL;
    }
    v[45] = text(r, c + 44); /* pending_by */
    v[46] = "keep";
    for (k = 0; k < RISK_WRITE_PARAMS; k++)
        need += v[k] != NULL ? strlen(v[k]) + 1 : 0;
    need += RISK_WRITE_PARAMS * sizeof(char *) + sizeof(char *);
    b = scratch(s, need);
    if (b == NULL)
        return -1;
    /* The parameter array first (aligned at the start of the buffer), then the strings. */
    off = RISK_WRITE_PARAMS * sizeof(char *) + sizeof(char *);
    for (k = 0; k < RISK_WRITE_PARAMS; k++) {
        const char **slotp = (const char **)(void *)b + k;

        if (v[k] == NULL) {
            *slotp = NULL;
            continue;
        }
        memcpy(b + off, v[k], strlen(v[k]) + 1);
        *slotp = b + off;
        off += strlen(v[k]) + 1;
    }
    return 0;
}

void isms_bench_pq_plan_result(struct isms_bench_pq_slot *s, enum isms_bench_q q, const PGresult *r)
{
    struct isms_bench_plan *p = s->cfg->plan;
    struct isms_bench_op *op = &s->op;

    switch (q) {
    case ISMS_BENCH_Q_ASSET_GET:
        /* asset.c get_done(): one row is the record. */
        if (PQntuples(r) != 1)
            s->code = ISMS_NOT_FOUND;
        else
            isms_bench_plan_seen(p, 0, op->idx, int64_at(r, ISMS_BENCH_ASSET_VERSION_COL));
        break;
    case ISMS_BENCH_Q_RISK_GET:
        isms_bench_plan_seen(p, 1, op->idx, int64_at(r, ISMS_BENCH_RISK_VERSION_COL));
        break;
    case ISMS_BENCH_Q_ASSET_UPDATE:
        /* asset.c update_done(): rows matched, their version, then the record (NULL: stale). */
        if (int64_at(r, 0) == 0)
            s->code = ISMS_NOT_FOUND;
        else if (PQgetisnull(r, 0, 2))
            s->code = ISMS_ABORTED;
        else
            isms_bench_plan_seen(p, 0, op->idx, int64_at(r, 2 + ISMS_BENCH_ASSET_VERSION_COL));
        break;
    case ISMS_BENCH_Q_RISK_LOAD:
        /* risk.c load_done(): the risk must exist and be at the expected version. */
        if (PQgetisnull(r, 0, ISMS_BENCH_LOAD_RISK_COL))
            s->code = ISMS_NOT_FOUND;
        else if (op->expected != 0 && op->expected != int64_at(r, ISMS_BENCH_LOAD_RISK_COL +
                                                                      ISMS_BENCH_RISK_VERSION_COL))
            s->code = ISMS_ABORTED;
        else if (keep_write_params(s, r) != 0)
            s->code = ISMS_RESOURCE_EXHAUSTED;
        else
            s->step = STEP_WRITE;
        break;
    case ISMS_BENCH_Q_RISK_WRITE:
        /* risk.c write_done(): no new version means someone else changed it meanwhile. */
        if (PQgetisnull(r, 0, 0))
            s->code = ISMS_ABORTED;
        else
            s->step = STEP_REPLY;
        break;
    default:
        break;
    }
}

int isms_bench_pq_plan_sync(struct isms_bench_pq_slot *s, enum isms_bench_q q)
{
    const char *num[1];
    char buf[24];

    if (s->code != ISMS_OK)
        return 0;
    if (q == ISMS_BENCH_Q_RISK_LOAD && s->step == STEP_WRITE)
        return isms_bench_pq_send(s, ISMS_BENCH_Q_RISK_WRITE, (const char *const *)(void *)s->buf);
    if (q == ISMS_BENCH_Q_RISK_WRITE && s->step == STEP_REPLY) {
        /* risk_read.c isms_risk_reply(): the answer is read afresh. */
        snprintf(buf, sizeof(buf), "%" PRId64, s->cfg->plan->risk_num[s->op.idx]);
        num[0] = buf;
        s->step = STEP_END;
        return isms_bench_pq_send(s, ISMS_BENCH_Q_RISK_GET, num);
    }
    return 0;
}
