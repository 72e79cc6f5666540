/* tests/integration/test_context.c — isms.v1.Context (clause 4) against a real ismsd and
 * PostgreSQL: update and get, parties and issues, every error code with its message, SQL
 * metacharacters stored verbatim, optimistic versions, and data surviving a restart. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "testlib.h"

TestSuite(context, .init = isms_test_init, .fini = isms_test_fini, .timeout = 180);

/* Context/Get; fails unless OK. The result lives in rep (clean it up). */
static Isms__V1__IsmsContext *get_ok(int fd, struct isms_test_reply *rep)
{
    Isms__V1__GetContextRequest req = ISMS__V1__GET_CONTEXT_REQUEST__INIT;

    isms_test_unary(fd, ISMS_M_CTX_GET, &req.base, 0, &isms__v1__isms_context__descriptor, rep);
    isms_test_expect(rep, 0, NULL, "Context/Get");
    return (Isms__V1__IsmsContext *)rep->body;
}

/* Context/Update; org or scope NULL = not flagged. */
static int update(int fd, const char *org, const char *scope, int64_t expected,
                  struct isms_test_reply *rep)
{
    Isms__V1__UpdateContextRequest req = ISMS__V1__UPDATE_CONTEXT_REQUEST__INIT;

    if (org != NULL) {
        req.organization = (char *)org;
        req.set_organization = 1;
    }
    if (scope != NULL) {
        req.scope = (char *)scope;
        req.set_scope = 1;
    }
    req.expected_version = expected;
    return isms_test_unary(fd, ISMS_M_CTX_UPDATE, &req.base, 0, &isms__v1__isms_context__descriptor,
                           rep);
}

static int add_party(int fd, const char *name, const char *kind, const char *requirements,
                     struct isms_test_reply *rep)
{
    Isms__V1__AddPartyRequest req = ISMS__V1__ADD_PARTY_REQUEST__INIT;

    req.name = (char *)name;
    req.kind = (char *)kind;
    req.requirements = (char *)requirements;
    return isms_test_unary(fd, ISMS_M_CTX_ADD_PARTY, &req.base, 0,
                           &isms__v1__interested_party__descriptor, rep);
}

static int remove_party(int fd, const char *id, struct isms_test_reply *rep)
{
    Isms__V1__RemovePartyRequest req = ISMS__V1__REMOVE_PARTY_REQUEST__INIT;

    req.id = (char *)id;
    return isms_test_unary(fd, ISMS_M_CTX_RM_PARTY, &req.base, 0,
                           &isms__v1__remove_response__descriptor, rep);
}

static int add_issue(int fd, const char *kind, const char *description, struct isms_test_reply *rep)
{
    Isms__V1__AddIssueRequest req = ISMS__V1__ADD_ISSUE_REQUEST__INIT;

    req.kind = (char *)kind;
    req.description = (char *)description;
    return isms_test_unary(fd, ISMS_M_CTX_ADD_ISSUE, &req.base, 0,
                           &isms__v1__context_issue__descriptor, rep);
}

static int remove_issue(int fd, const char *id, struct isms_test_reply *rep)
{
    Isms__V1__RemoveIssueRequest req = ISMS__V1__REMOVE_ISSUE_REQUEST__INIT;

    req.id = (char *)id;
    return isms_test_unary(fd, ISMS_M_CTX_RM_ISSUE, &req.base, 0,
                           &isms__v1__remove_response__descriptor, rep);
}

/* Fails unless the server still answers Health on a new connection. */
static void assert_still_serving(const struct isms_test_env *env)
{
    char status[32];

    cr_assert_eq(isms_test_health(env->srv.port, status, sizeof(status)), 0,
                 "ismsd stopped answering Health");
    cr_assert_str_eq(status, "SERVING");
}

Test(context, fresh_database_has_an_empty_context)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    Isms__V1__IsmsContext *c;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    c = get_ok(fd, &rep);
    cr_assert_str_eq(c->organization, "");
    cr_assert_str_eq(c->scope, "");
    cr_assert_eq(c->n_parties, 0);
    cr_assert_eq(c->n_issues, 0);
    cr_assert_geq(c->version, 1);
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(context, update_then_get_returns_the_values)
{
    struct isms_test_env env;
    struct isms_test_reply rep, got;
    Isms__V1__IsmsContext *c;
    int64_t v0, v1;
    int fd;
    const char *org = "Société Générale — 東京 branch 🔐";

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    c = get_ok(fd, &got);
    v0 = c->version;
    isms_test_reply_cleanup(&got);

    update(fd, org, "All information systems in the Tokyo office.", 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Update");
    c = (Isms__V1__IsmsContext *)rep.body;
    cr_assert_str_eq(c->organization, org);
    cr_assert_str_eq(c->scope, "All information systems in the Tokyo office.");
    v1 = c->version;
    cr_assert_eq(v1, v0 + 1, "version %lld after update of %lld", (long long)v1, (long long)v0);
    cr_assert_neq(c->updated_at[0], '\0');
    isms_test_reply_cleanup(&rep);

    c = get_ok(fd, &got);
    cr_assert_str_eq(c->organization, org);
    cr_assert_str_eq(c->scope, "All information systems in the Tokyo office.");
    cr_assert_eq(c->version, v1);
    isms_test_reply_cleanup(&got);

    /* Only flagged fields change. */
    update(fd, NULL, "Everything.", 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Update scope only");
    isms_test_reply_cleanup(&rep);
    c = get_ok(fd, &got);
    cr_assert_str_eq(c->organization, org);
    cr_assert_str_eq(c->scope, "Everything.");
    cr_assert_eq(c->version, v1 + 1);
    isms_test_reply_cleanup(&got);

    update(fd, "Acme", NULL, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Update organization only");
    isms_test_reply_cleanup(&rep);
    c = get_ok(fd, &got);
    cr_assert_str_eq(c->organization, "Acme");
    cr_assert_str_eq(c->scope, "Everything.");
    isms_test_reply_cleanup(&got);
    isms_test_finish();
}

Test(context, parties_add_list_remove)
{
    struct isms_test_env env;
    struct isms_test_reply rep, got;
    Isms__V1__InterestedParty *p;
    Isms__V1__IsmsContext *c;
    char id1[32], id2[32], id3[32];
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);

    add_party(fd, "Regulator", "external", "annual audit report", &rep);
    isms_test_expect(&rep, 0, NULL, "AddParty Regulator");
    p = (Isms__V1__InterestedParty *)rep.body;
    cr_assert_eq(strncmp(p->id, "P-", 2), 0, "party id \"%s\"", p->id);
    cr_assert_str_eq(p->name, "Regulator");
    cr_assert_str_eq(p->kind, "external");
    cr_assert_str_eq(p->requirements, "annual audit report");
    snprintf(id1, sizeof(id1), "%s", p->id);
    isms_test_reply_cleanup(&rep);

    add_party(fd, "Staff", "internal", "", &rep);
    isms_test_expect(&rep, 0, NULL, "AddParty Staff");
    p = (Isms__V1__InterestedParty *)rep.body;
    cr_assert_str_eq(p->kind, "internal");
    snprintf(id2, sizeof(id2), "%s", p->id);
    isms_test_reply_cleanup(&rep);
    cr_assert_str_neq(id1, id2);

    /* kind defaults to external. */
    add_party(fd, "Customers", "", "", &rep);
    isms_test_expect(&rep, 0, NULL, "AddParty without kind");
    p = (Isms__V1__InterestedParty *)rep.body;
    cr_assert_str_eq(p->kind, "external");
    snprintf(id3, sizeof(id3), "%s", p->id);
    isms_test_reply_cleanup(&rep);

    c = get_ok(fd, &got);
    cr_assert_eq(c->n_parties, 3);
    cr_assert_str_eq(c->parties[0]->id, id1, "parties are listed in creation order");
    cr_assert_str_eq(c->parties[0]->name, "Regulator");
    cr_assert_str_eq(c->parties[0]->requirements, "annual audit report");
    cr_assert_str_eq(c->parties[1]->id, id2);
    cr_assert_str_eq(c->parties[2]->id, id3);
    isms_test_reply_cleanup(&got);

    /* Remove by id, then by exact name. */
    remove_party(fd, id1, &rep);
    isms_test_expect(&rep, 0, NULL, "RemoveParty by id");
    cr_assert_str_eq(((Isms__V1__RemoveResponse *)rep.body)->id, id1);
    isms_test_reply_cleanup(&rep);
    remove_party(fd, "Staff", &rep);
    isms_test_expect(&rep, 0, NULL, "RemoveParty by name");
    cr_assert_str_eq(((Isms__V1__RemoveResponse *)rep.body)->id, id2);
    isms_test_reply_cleanup(&rep);

    c = get_ok(fd, &got);
    cr_assert_eq(c->n_parties, 1);
    cr_assert_str_eq(c->parties[0]->name, "Customers");
    isms_test_reply_cleanup(&got);

    /* Removed twice: gone. Ids are never reused. */
    remove_party(fd, id1, &rep);
    isms_test_expect(&rep, 5, id1, "RemoveParty of a removed party");
    isms_test_reply_cleanup(&rep);
    add_party(fd, "Regulator", "external", "", &rep);
    isms_test_expect(&rep, 0, NULL, "AddParty again after removal");
    p = (Isms__V1__InterestedParty *)rep.body;
    cr_assert_str_neq(p->id, id1, "id %s was reused", id1);
    cr_assert_str_neq(p->id, id2, "id %s was reused", id2);
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(context, issues_add_list_remove)
{
    struct isms_test_env env;
    struct isms_test_reply rep, got;
    Isms__V1__ContextIssue *is;
    Isms__V1__IsmsContext *c;
    char id1[32];
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    add_issue(fd, "internal", "high staff turnover", &rep);
    isms_test_expect(&rep, 0, NULL, "AddIssue");
    is = (Isms__V1__ContextIssue *)rep.body;
    cr_assert_eq(strncmp(is->id, "I-", 2), 0, "issue id \"%s\"", is->id);
    cr_assert_str_eq(is->kind, "internal");
    cr_assert_str_eq(is->description, "high staff turnover");
    snprintf(id1, sizeof(id1), "%s", is->id);
    isms_test_reply_cleanup(&rep);

    add_issue(fd, "EXTERNAL", "new data protection law", &rep);
    isms_test_expect(&rep, 0, NULL, "AddIssue upper-case kind");
    cr_assert_str_eq(((Isms__V1__ContextIssue *)rep.body)->kind, "external");
    isms_test_reply_cleanup(&rep);

    c = get_ok(fd, &got);
    cr_assert_eq(c->n_issues, 2);
    cr_assert_str_eq(c->issues[0]->id, id1);
    cr_assert_str_eq(c->issues[1]->description, "new data protection law");
    isms_test_reply_cleanup(&got);

    remove_issue(fd, id1, &rep);
    isms_test_expect(&rep, 0, NULL, "RemoveIssue");
    cr_assert_str_eq(((Isms__V1__RemoveResponse *)rep.body)->id, id1);
    isms_test_reply_cleanup(&rep);
    c = get_ok(fd, &got);
    cr_assert_eq(c->n_issues, 1);
    isms_test_reply_cleanup(&got);

    remove_issue(fd, "I-999", &rep);
    isms_test_expect(&rep, 5, "I-999", "RemoveIssue I-999");
    isms_test_reply_cleanup(&rep);
    remove_issue(fd, id1, &rep);
    isms_test_expect(&rep, 5, id1, "RemoveIssue twice");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(context, duplicate_party_name_is_already_exists)
{
    struct isms_test_env env;
    struct isms_test_reply rep, got;
    Isms__V1__IsmsContext *c;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    add_party(fd, "Regulator", "external", "", &rep);
    isms_test_expect(&rep, 0, NULL, "AddParty");
    isms_test_reply_cleanup(&rep);
    add_party(fd, "Regulator", "internal", "other", &rep);
    isms_test_expect(&rep, 6, "already exists", "AddParty duplicate");
    isms_test_reply_cleanup(&rep);
    /* Names are unique regardless of case. */
    add_party(fd, "REGULATOR", "external", "", &rep);
    isms_test_expect(&rep, 6, "already exists", "AddParty duplicate in other case");
    isms_test_reply_cleanup(&rep);

    c = get_ok(fd, &got);
    cr_assert_eq(c->n_parties, 1);
    cr_assert_str_eq(c->parties[0]->kind, "external");
    isms_test_reply_cleanup(&got);
    assert_still_serving(&env);
    isms_test_finish();
}

Test(context, remove_unknown_is_not_found)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    remove_party(fd, "P-999", &rep);
    isms_test_expect(&rep, 5, "P-999", "RemoveParty P-999");
    isms_test_reply_cleanup(&rep);
    remove_party(fd, "Nobody", &rep);
    isms_test_expect(&rep, 5, "Nobody", "RemoveParty Nobody");
    isms_test_reply_cleanup(&rep);
    remove_party(fd, "", &rep);
    cr_assert(rep.code == 5 || rep.code == 3, "RemoveParty \"\": got %s: %s",
              isms_code_name(rep.code), rep.message);
    isms_test_reply_cleanup(&rep);
    assert_still_serving(&env);
    isms_test_finish();
}

/* One bad request and what it must give. */
struct bad_case {
    const char *what;
    char method;           /* 'u' Update, 'p' AddParty, 'i' AddIssue */
    const char *a, *b, *c; /* Update: org, scope (NULL = unflagged); party: name, kind, req;
                             issue: kind, description */
    const char *needle;
};

Test(context, invalid_arguments)
{
    static char too_long_org[202];
    static char too_long_name[202];
    static char too_long_desc[4002];
    const struct bad_case cases[] = {
        {"Update with nothing flagged", 'u', NULL, NULL, NULL, "nothing"},
        {"Update org not UTF-8", 'u', "Ac\xC3\x28me", NULL, NULL, "UTF-8"},
        {"Update scope not UTF-8", 'u', NULL, "sc\xC3\x28ope", NULL, "UTF-8"},
        {"Update org 201 chars", 'u', too_long_org, NULL, NULL, "too long"},
        {"Update org empty", 'u', "", NULL, NULL, "organization"},
        {"AddParty empty name", 'p', "", "external", "", "name"},
        {"AddParty blank name", 'p', "   ", "external", "", "name"},
        {"AddParty bad kind", 'p', "Bank", "partner", "", "kind"},
        {"AddParty name not UTF-8", 'p', "B\xC3\x28nk", "external", "", "UTF-8"},
        {"AddParty requirements not UTF-8", 'p', "Bank", "external", "\xC3\x28", "UTF-8"},
        {"AddParty name 201 chars", 'p', too_long_name, "external", "", "too long"},
        {"AddIssue empty description", 'i', "internal", "", NULL, "description"},
        {"AddIssue no kind", 'i', "", "flooding", NULL, "kind"},
        {"AddIssue bad kind", 'i', "sideways", "flooding", NULL, "kind"},
        {"AddIssue description not UTF-8", 'i', "external", "fl\xC3\x28od", NULL, "UTF-8"},
        {"AddIssue description 4001 chars", 'i', "external", too_long_desc, NULL, "too long"},
    };
    struct isms_test_env env;
    struct isms_test_reply rep, got;
    Isms__V1__IsmsContext *c;
    int64_t v0;
    int fd;

    memset(too_long_org, 'o', 201);
    memset(too_long_name, 'n', 201);
    memset(too_long_desc, 'd', 4001);
    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    c = get_ok(fd, &got);
    v0 = c->version;
    isms_test_reply_cleanup(&got);

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct bad_case *k = &cases[i];

        if (k->method == 'u')
            update(fd, k->a, k->b, 0, &rep);
        else if (k->method == 'p')
            add_party(fd, k->a, k->b, k->c, &rep);
        else
            add_issue(fd, k->a, k->b, &rep);
        isms_test_expect(&rep, 3, k->needle, k->what);
        isms_test_reply_cleanup(&rep);
    }
    /* Nothing was stored, and the connection and server still work. */
    c = get_ok(fd, &got);
    cr_assert_eq(c->version, v0);
    cr_assert_str_eq(c->organization, "");
    cr_assert_eq(c->n_parties, 0);
    cr_assert_eq(c->n_issues, 0);
    isms_test_reply_cleanup(&got);
    assert_still_serving(&env);
    isms_test_finish();
}

Test(context, field_limits_are_inclusive)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    char *org = malloc(200 * 2 + 1);
    char *scope = malloc(10000 + 1);
    int fd;

    cr_assert(org != NULL && scope != NULL);
    /* 200 two-byte characters: the limit counts characters, not bytes. */
    for (int i = 0; i < 200; i++)
        memcpy(org + 2 * i, "\xC3\xA9", 2);
    org[400] = '\0';
    memset(scope, 's', 10000);
    scope[10000] = '\0';
    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    update(fd, org, scope, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Update at the limits");
    cr_assert_str_eq(((Isms__V1__IsmsContext *)rep.body)->organization, org);
    cr_assert_eq(strlen(((Isms__V1__IsmsContext *)rep.body)->scope), 10000);
    isms_test_reply_cleanup(&rep);
    scope[9999] = '\0';
    memcpy(scope, "\xE2\x82\xAC", 3); /* still fine: fewer characters */
    update(fd, NULL, scope, 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Update scope with multibyte text");
    isms_test_reply_cleanup(&rep);
    free(org);
    free(scope);
    isms_test_finish();
}

Test(context, sql_metacharacters_are_stored_verbatim)
{
    static const char *const nasty[] = {
        "'; DROP TABLE x; --",
        "Robert'); DROP TABLE isms_context;--",
        "\\\\ back\\slash \" quote $1 %s %n {}",
        "O'Brien & Co. <b>",
    };
    struct isms_test_env env;
    struct isms_test_reply rep, got;
    Isms__V1__IsmsContext *c;
    PGconn *pg;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    update(fd, nasty[1], nasty[0], 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Update with SQL metacharacters");
    isms_test_reply_cleanup(&rep);
    for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
        add_party(fd, nasty[i], "external", nasty[(i + 1) % 4], &rep);
        isms_test_expect(&rep, 0, NULL, nasty[i]);
        cr_assert_str_eq(((Isms__V1__InterestedParty *)rep.body)->name, nasty[i]);
        isms_test_reply_cleanup(&rep);
        add_issue(fd, "internal", nasty[i], &rep);
        isms_test_expect(&rep, 0, NULL, nasty[i]);
        isms_test_reply_cleanup(&rep);
    }
    c = get_ok(fd, &got);
    cr_assert_str_eq(c->organization, nasty[1]);
    cr_assert_str_eq(c->scope, nasty[0]);
    cr_assert_eq(c->n_parties, 4);
    cr_assert_eq(c->n_issues, 4);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_str_eq(c->parties[i]->name, nasty[i]);
        cr_assert_str_eq(c->parties[i]->requirements, nasty[(i + 1) % 4]);
        cr_assert_str_eq(c->issues[i]->description, nasty[i]);
    }
    isms_test_reply_cleanup(&got);

    /* Remove by a name full of quotes works too, and the tables are intact. */
    remove_party(fd, nasty[0], &rep);
    isms_test_expect(&rep, 0, NULL, "RemoveParty by a nasty name");
    isms_test_reply_cleanup(&rep);
    pg = isms_test_pg_connect(env.db.conninfo);
    cr_assert_eq(isms_test_pg_scalar(pg, "SELECT count(*) FROM isms_context", 0, NULL), 1);
    cr_assert_eq(isms_test_pg_scalar(pg, "SELECT count(*) FROM interested_party", 0, NULL), 3);
    isms_test_pg_close(pg);
    isms_test_finish();
}

Test(context, stale_expected_version_is_aborted)
{
    struct isms_test_env env;
    struct isms_test_reply rep, got;
    Isms__V1__IsmsContext *c;
    int64_t v0, v1;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    c = get_ok(fd, &got);
    v0 = c->version;
    isms_test_reply_cleanup(&got);

    update(fd, "First", "first scope", v0, &rep);
    isms_test_expect(&rep, 0, NULL, "Update with the current version");
    v1 = ((Isms__V1__IsmsContext *)rep.body)->version;
    cr_assert_eq(v1, v0 + 1);
    isms_test_reply_cleanup(&rep);

    /* A second writer still holding v0 loses, and nothing changes. */
    update(fd, "Second", "second scope", v0, &rep);
    isms_test_expect(&rep, 10, "version", "Update with a stale version");
    isms_test_reply_cleanup(&rep);
    update(fd, "Third", NULL, v1 + 5, &rep);
    isms_test_expect(&rep, 10, "version", "Update with a future version");
    isms_test_reply_cleanup(&rep);

    c = get_ok(fd, &got);
    cr_assert_str_eq(c->organization, "First");
    cr_assert_str_eq(c->scope, "first scope");
    cr_assert_eq(c->version, v1);
    isms_test_reply_cleanup(&got);

    /* Negative versions are not versions. */
    update(fd, "Fourth", NULL, -1, &rep);
    isms_test_expect(&rep, 3, "expected_version", "Update with a negative version");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(context, values_survive_a_restart)
{
    struct isms_test_env env;
    struct isms_test_server again;
    struct isms_test_reply rep, got;
    Isms__V1__IsmsContext *c;
    int64_t version;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    update(fd, "Durable Ltd", "the whole company", 0, &rep);
    isms_test_expect(&rep, 0, NULL, "Update");
    version = ((Isms__V1__IsmsContext *)rep.body)->version;
    isms_test_reply_cleanup(&rep);
    add_party(fd, "Auditor", "external", "evidence", &rep);
    isms_test_expect(&rep, 0, NULL, "AddParty");
    isms_test_reply_cleanup(&rep);
    add_issue(fd, "external", "supply chain", &rep);
    isms_test_expect(&rep, 0, NULL, "AddIssue");
    isms_test_reply_cleanup(&rep);
    isms_test_close(fd);
    isms_test_server_stop(&env.srv);

    isms_test_server_start_db(&again, &env.db, NULL);
    fd = isms_test_connect(again.port);
    c = get_ok(fd, &got);
    cr_assert_str_eq(c->organization, "Durable Ltd");
    cr_assert_str_eq(c->scope, "the whole company");
    cr_assert_eq(c->version, version);
    cr_assert_eq(c->n_parties, 1);
    cr_assert_str_eq(c->parties[0]->name, "Auditor");
    cr_assert_str_eq(c->parties[0]->requirements, "evidence");
    cr_assert_eq(c->n_issues, 1);
    cr_assert_str_eq(c->issues[0]->description, "supply chain");
    isms_test_reply_cleanup(&got);
    isms_test_finish();
}
