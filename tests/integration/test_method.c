/* tests/integration/test_method.c — isms.v1.Method (the risk assessment methodology) against a
 * real ismsd and PostgreSQL: the seeded default (5 x 5, appetite 6, version 1), a change making
 * a new immutable version with its audit record, each invalid method refused with
 * INVALID_ARGUMENT and no version written, stale versions ABORTED, only an isms_manager may
 * change it, and `ismsctl method show|set|history` including a --file JSON round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "isms/v1/risk.pb-c.h"
#include "testlib.h"

TestSuite(method, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define M_GET     "/isms.v1.Method/Get"
#define M_SET     "/isms.v1.Method/Set"
#define M_HISTORY "/isms.v1.Method/History"

static int get(int fd, int64_t version, struct isms_test_reply *rep)
{
    Isms__V1__GetMethodRequest r = ISMS__V1__GET_METHOD_REQUEST__INIT;

    r.version = version;
    return isms_test_unary(fd, M_GET, &r.base, 0, &isms__v1__risk_method__descriptor, rep);
}

static Isms__V1__RiskMethod *get_ok(int fd, int64_t version, struct isms_test_reply *rep)
{
    get(fd, version, rep);
    isms_test_expect(rep, 0, NULL, "Method/Get");
    return (Isms__V1__RiskMethod *)rep->body;
}

static int set(int fd, Isms__V1__RiskMethod *m, int64_t expected, struct isms_test_reply *rep)
{
    Isms__V1__SetMethodRequest r = ISMS__V1__SET_METHOD_REQUEST__INIT;

    r.method = m;
    r.expected_version = expected;
    return isms_test_unary(fd, M_SET, &r.base, 0, &isms__v1__risk_method__descriptor, rep);
}

static long long scalar(const struct isms_test_env *env, const char *sql)
{
    PGconn *c = isms_test_pg_connect(env->db.conninfo);
    long long v = isms_test_pg_scalar(c, sql, 0, NULL);

    isms_test_pg_close(c);
    return v;
}

/* A request-side copy of a method: its arrays are ours, its strings borrowed from the reply it
 * was copied from, so a test may change anything without touching memory the reply frees. */
struct mcopy {
    Isms__V1__RiskMethod m;
    Isms__V1__ScaleLevel l[10], i[10], *lp[10], *ip[10];
    Isms__V1__RiskLevelBand b[10], *bp[10];
    int32_t matrix[100];
};

static void mcopy_init(struct mcopy *c, const Isms__V1__RiskMethod *src)
{
    memset(c, 0, sizeof(*c));
    c->m = *src;
    cr_assert_leq(src->n_likelihood, 10);
    cr_assert_leq(src->n_impact, 10);
    cr_assert_leq(src->n_levels, 10);
    cr_assert_leq(src->n_matrix, 100);
    for (size_t k = 0; k < src->n_likelihood; k++) {
        c->l[k] = *src->likelihood[k];
        c->lp[k] = &c->l[k];
    }
    for (size_t k = 0; k < src->n_impact; k++) {
        c->i[k] = *src->impact[k];
        c->ip[k] = &c->i[k];
    }
    for (size_t k = 0; k < src->n_levels; k++) {
        c->b[k] = *src->levels[k];
        c->bp[k] = &c->b[k];
    }
    if (src->n_matrix > 0)
        memcpy(c->matrix, src->matrix, src->n_matrix * sizeof(int32_t));
    c->m.likelihood = c->lp;
    c->m.impact = c->ip;
    c->m.levels = c->bp;
    c->m.matrix = c->matrix;
}

Test(method, default_is_version_1_five_by_five_appetite_6)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    Isms__V1__RiskMethod *m;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    m = get_ok(fd, 0, &rep);
    cr_assert_eq(m->version, 1);
    cr_assert_eq(m->n_likelihood, 5);
    cr_assert_eq(m->n_impact, 5);
    cr_assert_str_eq(m->likelihood[0]->label, "Rare");
    cr_assert_str_eq(m->impact[4]->label, "Severe");
    cr_assert_neq(m->likelihood[3]->description[0], '\0');
    cr_assert_eq(m->likelihood[2]->value, 3);
    cr_assert_str_eq(m->computation, "product");
    cr_assert_eq(m->n_matrix, 0);
    cr_assert_eq(m->n_levels, 4);
    cr_assert_str_eq(m->levels[0]->name, "low");
    cr_assert_eq(m->levels[0]->min_score, 1);
    cr_assert_eq(m->levels[0]->max_score, 4);
    cr_assert_str_eq(m->levels[1]->name, "medium");
    cr_assert_eq(m->levels[1]->max_score, 9);
    cr_assert_str_eq(m->levels[2]->name, "high");
    cr_assert_eq(m->levels[2]->max_score, 16);
    cr_assert_str_eq(m->levels[3]->name, "critical");
    cr_assert_eq(m->levels[3]->min_score, 17);
    cr_assert_eq(m->levels[3]->max_score, 25);
    cr_assert_eq(m->appetite, 6);
    cr_assert_eq(m->max_score, 25);
    isms_test_reply_cleanup(&rep);
    get(fd, 2, &rep);
    isms_test_expect(&rep, 5, "risk method version 2 does not exist", "Get v2");
    isms_test_reply_cleanup(&rep);
    get(fd, -1, &rep);
    isms_test_expect(&rep, 3, "method version must be positive", "Get -1");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(method, set_makes_an_immutable_new_version)
{
    struct isms_test_env env;
    struct isms_test_reply cur, rep;
    Isms__V1__MethodHistoryRequest h = ISMS__V1__METHOD_HISTORY_REQUEST__INIT;
    Isms__V1__MethodHistoryResponse *hist;
    struct mcopy c;
    Isms__V1__RiskMethod *m = &c.m;
    PGconn *pg;
    PGresult *res;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    mcopy_init(&c, get_ok(fd, 0, &cur));
    m->appetite = 9;
    m->note = "board raised the appetite";
    set(fd, m, 1, &rep);
    isms_test_expect(&rep, 0, NULL, "Set");
    cr_assert_eq(((Isms__V1__RiskMethod *)rep.body)->version, 2);
    cr_assert_eq(((Isms__V1__RiskMethod *)rep.body)->appetite, 9);
    cr_assert_str_eq(((Isms__V1__RiskMethod *)rep.body)->created_by, "admin");
    isms_test_reply_cleanup(&rep);
    /* Version 1 is still there, unchanged. */
    get(fd, 1, &rep);
    isms_test_expect(&rep, 0, NULL, "Get v1");
    cr_assert_eq(((Isms__V1__RiskMethod *)rep.body)->appetite, 6);
    isms_test_reply_cleanup(&rep);
    /* Based on version 1 again: stale. */
    m->appetite = 4;
    set(fd, m, 1, &rep);
    isms_test_expect(&rep, 10, "version 1 is stale, the current version is 2", "stale Set");
    isms_test_reply_cleanup(&rep);
    isms_test_unary(fd, M_HISTORY, &h.base, 0, &isms__v1__method_history_response__descriptor,
                    &rep);
    isms_test_expect(&rep, 0, NULL, "History");
    hist = (Isms__V1__MethodHistoryResponse *)rep.body;
    cr_assert_eq(hist->n_methods, 2);
    cr_assert_eq(hist->methods[0]->version, 2);
    cr_assert_str_eq(hist->methods[0]->note, "board raised the appetite");
    cr_assert_eq(hist->methods[1]->version, 1);
    isms_test_reply_cleanup(&rep);
    isms_test_reply_cleanup(&cur);
    cr_assert_eq(scalar(&env, "SELECT count(*) FROM audit_log WHERE entity = 'method:v2'"
                              " AND method = '/isms.v1.Method/Set'"
                              " AND (changes::jsonb -> 'appetite' ->> 'before')::int = 6"
                              " AND (changes::jsonb -> 'appetite' ->> 'after')::int = 9"),
                 1);
    /* The database itself refuses to rewrite a version. */
    pg = isms_test_pg_connect(env.db.conninfo);
    res = PQexec(pg, "UPDATE risk_method SET appetite = 25 WHERE version = 1");
    cr_assert_neq(PQresultStatus(res), PGRES_COMMAND_OK, "a method version was rewritten");
    PQclear(res);
    res = PQexec(pg, "DELETE FROM risk_method WHERE version = 2");
    cr_assert_neq(PQresultStatus(res), PGRES_COMMAND_OK, "a method version was deleted");
    PQclear(res);
    isms_test_pg_close(pg);
    isms_test_finish();
}

/* Changes one thing in a copy of the default method. */
typedef void change_fn(struct mcopy *c);

static void two_levels(struct mcopy *c)
{
    c->m.n_likelihood = 2;
}
static void gap(struct mcopy *c)
{
    c->b[1].min_score = 6;
}
static void overlap(struct mcopy *c)
{
    c->b[2].min_score = 9;
}
static void short_end(struct mcopy *c)
{
    c->b[3].max_score = 20;
}
static void big_appetite(struct mcopy *c)
{
    c->m.appetite = 26;
}
static void bad_label(struct mcopy *c)
{
    c->l[0].label = "\xC3\x28";
}
static void same_label(struct mcopy *c)
{
    c->i[1].label = "NEGLIGIBLE";
}
static void bad_computation(struct mcopy *c)
{
    c->m.computation = "sum";
}
static void matrix_size(struct mcopy *c)
{
    c->m.computation = "matrix";
    c->matrix[0] = 1;
    c->matrix[1] = 2;
    c->matrix[2] = 3;
    c->m.n_matrix = 3;
}
static void misnumbered(struct mcopy *c)
{
    c->i[2].value = 7;
}

Test(method, invalid_methods_are_refused_and_write_nothing)
{
    static const struct {
        change_fn *change;
        const char *needle;
    } cases[] = {
        {two_levels, "likelihood scale must have 3 to 10 levels, got 2"},
        {gap, "score 5 lies between risk levels \"low\" and \"medium\""},
        {overlap, "overlap"},
        {short_end, "must end at the highest possible score 25"},
        {big_appetite, "appetite must be a score from 0 to 25"},
        {bad_label, "likelihood level 1 label is not valid UTF-8"},
        {same_label, "impact levels 1 and 2 have the same label"},
        {bad_computation, "computation must be product (likelihood x impact) or matrix"},
        {matrix_size, "the matrix needs 25 scores"},
        {misnumbered, "impact level 3 has value 7"},
    };
    struct isms_test_env env;
    struct isms_test_reply cur, rep;
    struct mcopy c;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    get_ok(fd, 0, &cur);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        mcopy_init(&c, (Isms__V1__RiskMethod *)cur.body);
        cases[k].change(&c);
        set(fd, &c.m, 0, &rep);
        isms_test_expect(&rep, 3, cases[k].needle, "Set");
        isms_test_reply_cleanup(&rep);
    }
    isms_test_reply_cleanup(&cur);
    cr_assert_eq(scalar(&env, "SELECT count(*) FROM risk_method"), 1);
    isms_test_finish();
}

Test(method, only_an_isms_manager_changes_it)
{
    struct isms_test_env env;
    struct isms_test_reply cur, rep;
    char token[256];
    struct mcopy c;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    isms_test_user_create(fd, "ron", "risk_owner", "a-long-enough-password");
    cr_assert_eq(
        isms_test_login(env.srv.port, "ron", "a-long-enough-password", token, sizeof(token)), 0);
    isms_test_set_token(token);
    mcopy_init(&c, get_ok(fd, 0, &cur)); /* reads are for everyone */
    c.m.appetite = 20;
    set(fd, &c.m, 0, &rep);
    isms_test_expect(&rep, 7, NULL, "Set by a risk owner");
    isms_test_reply_cleanup(&rep);
    isms_test_reply_cleanup(&cur);
    cr_assert_eq(scalar(&env, "SELECT count(*) FROM risk_method"), 1);
    isms_test_finish();
}

Test(method, matrix_computation)
{
    static const int32_t cells[9] = {1, 2, 4, 2, 4, 6, 3, 6, 9};
    struct isms_test_env env;
    struct isms_test_reply cur, rep;
    struct mcopy c;
    Isms__V1__RiskMethod *saved;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    mcopy_init(&c, get_ok(fd, 0, &cur));
    c.m.n_likelihood = 3;
    c.m.n_impact = 3;
    c.m.computation = "matrix";
    memcpy(c.matrix, cells, sizeof(cells));
    c.m.n_matrix = 9;
    c.b[0].name = "acceptable";
    c.b[0].min_score = 1;
    c.b[0].max_score = 3;
    c.b[1].name = "unacceptable";
    c.b[1].min_score = 4;
    c.b[1].max_score = 9;
    c.m.n_levels = 2;
    c.m.appetite = 3;
    set(fd, &c.m, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Set matrix");
    saved = (Isms__V1__RiskMethod *)rep.body;
    cr_assert_str_eq(saved->computation, "matrix");
    cr_assert_eq(saved->n_matrix, 9);
    cr_assert_eq(saved->matrix[2], 4);
    cr_assert_eq(saved->max_score, 9);
    cr_assert_str_eq(saved->levels[1]->name, "unacceptable");
    isms_test_reply_cleanup(&rep);
    /* A cell falling as impact rises is refused. */
    c.matrix[1] = 5;
    set(fd, &c.m, 0, &rep);
    isms_test_expect(&rep, 3, "must not fall as impact rises", "falling matrix");
    isms_test_reply_cleanup(&rep);
    isms_test_reply_cleanup(&cur);
    isms_test_finish();
}

/* ---- ismsctl ------------------------------------------------------------------------------ */

static void ctl(struct isms_test_proc *p, int port, int want, const char *const *args)
{
    isms_test_ismsctl_expect(p, port, want, NULL, NULL, args);
}

Test(method, ismsctl_method_commands)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    char dir[256], path[300], input[128];
    FILE *fp;

    isms_test_env_start(&env, NULL);
    snprintf(input, sizeof(input), "%s\n", ISMS_TEST_ADMIN_PASSWORD);
    isms_test_ismsctl_input(
        &p, env.srv.port,
        (const char *const[]){"login", ISMS_TEST_ADMIN_USER, "--password-stdin", NULL}, input);
    cr_assert_eq(p.exit_code, 0, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, env.srv.port, 0, (const char *const[]){"method", "show", NULL});
    cr_assert(strstr(p.out, "Almost certain") != NULL, "%s", p.out);
    cr_assert(strstr(p.out, "critical") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, env.srv.port, 0,
        (const char *const[]){"method", "set", "--appetite", "8", "--note", "raised", "-o", "json",
                              NULL});
    cr_assert(strstr(p.out, "\"version\": 2") != NULL, "%s", p.out);
    cr_assert(strstr(p.out, "\"appetite\": 8") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, env.srv.port, 3,
        (const char *const[]){"method", "set", "--levels", "low:1-4,medium:6-9,high:10-25", NULL});
    cr_assert(strstr(p.err, "score 5 lies between") != NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, env.srv.port, 5,
        (const char *const[]){"method", "set", "--appetite", "5", "--expect-version", "1", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, env.srv.port, 0,
        (const char *const[]){"method", "set", "--likelihood", "Low,Medium,High", "--impact",
                              "Low,Medium,High", "--levels", "green:1-2,amber:3-4,red:5-9",
                              "--appetite", "4", NULL});
    isms_test_proc_cleanup(&p);
    /* show -o json is what set --file reads back. */
    ctl(&p, env.srv.port, 0, (const char *const[]){"method", "show", "-o", "json", NULL});
    isms_test_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/method.json", dir);
    fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs(p.out, fp);
    fclose(fp);
    isms_test_proc_cleanup(&p);
    ctl(&p, env.srv.port, 0,
        (const char *const[]){"method", "set", "--file", path, "--note", "round trip", "-o", "json",
                              NULL});
    cr_assert(strstr(p.out, "\"version\": 4") != NULL, "%s", p.out);
    cr_assert(strstr(p.out, "\"label\": \"High\"") != NULL, "%s", p.out);
    cr_assert(strstr(p.out, "\"name\": \"amber\"") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs("{\"computation\": \"matrix\", \"matrix\": [[1,2,3],[2,4,6],[3,6,9]], \"unknown\": 1}",
          fp);
    fclose(fp);
    ctl(&p, env.srv.port, 2, (const char *const[]){"method", "set", "--file", path, NULL});
    cr_assert(strstr(p.err, "unknown key \"unknown\"") != NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs("{\"computation\": \"matrix\", \"matrix\": [[1,2,3],[2,4,6],[3,6,9]],"
          " \"levels\": [{\"name\": \"low\", \"min_score\": 1, \"max_score\": 3},"
          " {\"name\": \"high\", \"min_score\": 4, \"max_score\": 9}], \"appetite\": 3}",
          fp);
    fclose(fp);
    ctl(&p, env.srv.port, 0,
        (const char *const[]){"method", "set", "--file", path, "-o", "json", NULL});
    cr_assert(strstr(p.out, "\"computation\": \"matrix\"") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs("{\"appetite\": 3,", fp);
    fclose(fp);
    ctl(&p, env.srv.port, 2, (const char *const[]){"method", "set", "--file", path, NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, env.srv.port, 0, (const char *const[]){"method", "history", "-o", "csv", NULL});
    cr_assert(strstr(p.out, "\n5,matrix,3 levels,3 levels,\"low 1-3, high 4-9\",3,") != NULL, "%s",
              p.out);
    cr_assert(strstr(p.out, "\n1,product,5 levels,5 levels,") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, env.srv.port, 0, (const char *const[]){"method", "show", "--version", "1", NULL});
    cr_assert(strstr(p.out, "Almost certain") != NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, env.srv.port, 4, (const char *const[]){"method", "show", "--version", "99", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}
