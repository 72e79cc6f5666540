/* tests/integration/test_control.c — isms.v1.Control against a real ismsd and PostgreSQL: the
 * seeded Annex A catalogue equals schema/reference/annex_a_2022.csv, attribute filters match
 * the CSV, the catalogue is read-only, custom controls, the per-control record with optimistic
 * versions, roles, bad input, and `ismsctl control ...`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "isms/v1/control.pb-c.h"
#include "testlib.h"

TestSuite(control, .init = isms_test_init, .fini = isms_test_fini, .timeout = 240);

#define M_LIST   "/isms.v1.Control/List"
#define M_GET    "/isms.v1.Control/Get"
#define M_SET    "/isms.v1.Control/Set"
#define M_CREATE "/isms.v1.Control/CreateCustom"
#define M_DELETE "/isms.v1.Control/DeleteCustom"

#define MAX_ROWS 256

/* ---- the reference CSV ------------------------------------------------------------------ */

/* The repository root: $ISMS_SOURCE_DIR, or derived from this file's path. */
static void source_path(char *out, size_t len, const char *rel)
{
    const char *root = getenv("ISMS_SOURCE_DIR");

    if (root != NULL && root[0] != '\0') {
        snprintf(out, len, "%s/%s", root, rel);
        return;
    }
    {
        const char *file = __FILE__, *cut = strstr(file, "tests/integration/");

        cr_assert_not_null(cut, "set ISMS_SOURCE_DIR");
        snprintf(out, len, "%.*s%s", (int)(cut - file), file, rel);
    }
}

static void read_reference(struct isms_test_csv *c)
{
    char path[1024];
    char *text;

    source_path(path, sizeof(path), "schema/reference/annex_a_2022.csv");
    text = isms_test_read_file(path);
    cr_assert_not_null(text, "cannot read %s", path);
    isms_test_csv_parse(c, text, false);
    free(text);
    cr_assert_eq(c->nrows, 94, "reference CSV has %zu lines", c->nrows);
}

/* 1 when the ';'-separated set `cell` equals the repeated field `v[0..n)` as a set. */
static int same_set(const char *cell, char **v, size_t n)
{
    size_t count = 0;
    char buf[512];

    snprintf(buf, sizeof(buf), "%s", cell);
    for (char *p = buf, *q; p != NULL && *p != '\0'; p = q) {
        int found = 0;

        q = strchr(p, ';');
        if (q != NULL)
            *q++ = '\0';
        for (size_t i = 0; i < n; i++)
            found |= strcmp(v[i], p) == 0;
        if (!found)
            return 0;
        count++;
    }
    return count == n;
}

/* 1 when the ';'-separated `cell` contains `value`. */
static int set_has(const char *cell, const char *value)
{
    size_t n = strlen(value);

    for (const char *p = cell; p != NULL; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL) {
        if (strncmp(p, value, n) == 0 && (p[n] == ';' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

/* ---- calls ---------------------------------------------------------------------------------- */

struct list_result {
    int code;
    char message[512];
    size_t n;
    Isms__V1__ControlRecord *items[MAX_ROWS];
};

/* Sends a server-streaming call and collects its items until more = false. */
static void stream_call(int fd, const char *method, const ProtobufCMessage *req,
                        const ProtobufCMessageDescriptor *item, int *code, char *message,
                        size_t mlen, ProtobufCMessage **items, size_t cap, size_t *n)
{
    uint64_t id = isms_test_next_call_id();

    *n = 0;
    isms_test_send_request(fd, id, method, 0, req);
    for (;;) {
        Isms__V1__Response *r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, method);

        cr_assert_eq(r->call_id, id, "%s: response for another call", method);
        if (r->more) {
            cr_assert_eq(r->code, 0, "%s: stream message with code %d", method, r->code);
            cr_assert_lt(*n, cap, "%s: more than %zu items", method, cap);
            items[*n] = protobuf_c_message_unpack(item, NULL, r->body.len, r->body.data);
            cr_assert_not_null(items[*n], "%s: item does not decode", method);
            (*n)++;
            isms__v1__response__free_unpacked(r, NULL);
            continue;
        }
        *code = r->code;
        snprintf(message, mlen, "%s", r->message != NULL ? r->message : "");
        isms__v1__response__free_unpacked(r, NULL);
        return;
    }
}

static void list_controls(int fd, const Isms__V1__ListControlsRequest *req, struct list_result *out)
{
    stream_call(fd, M_LIST, &req->base, &isms__v1__control_record__descriptor, &out->code,
                out->message, sizeof(out->message), (ProtobufCMessage **)out->items, MAX_ROWS,
                &out->n);
}

static void list_free(struct list_result *l)
{
    for (size_t i = 0; i < l->n; i++)
        isms__v1__control_record__free_unpacked(l->items[i], NULL);
    l->n = 0;
}

/* List with one attribute filter; returns the count (fails unless OK). */
static size_t count_with_attribute(int fd, const char *filter)
{
    Isms__V1__ListControlsRequest req = ISMS__V1__LIST_CONTROLS_REQUEST__INIT;
    char *attrs[1] = {(char *)filter};
    struct list_result l;
    size_t n;

    req.attributes = attrs;
    req.n_attributes = 1;
    list_controls(fd, &req, &l);
    cr_assert_eq(l.code, 0, "List %s: %d %s", filter, l.code, l.message);
    n = l.n;
    list_free(&l);
    return n;
}

static int get(int fd, const char *id, struct isms_test_reply *rep)
{
    Isms__V1__GetControlRequest req = ISMS__V1__GET_CONTROL_REQUEST__INIT;

    req.id = (char *)id;
    return isms_test_unary(fd, M_GET, &req.base, 0, &isms__v1__control_record__descriptor, rep);
}

static int set(int fd, Isms__V1__SetControlRequest *req, struct isms_test_reply *rep)
{
    return isms_test_unary(fd, M_SET, &req->base, 0, &isms__v1__control_record__descriptor, rep);
}

static int create_custom(int fd, const char *id, const char *title, const char *source,
                         struct isms_test_reply *rep)
{
    Isms__V1__CreateCustomControlRequest req = ISMS__V1__CREATE_CUSTOM_CONTROL_REQUEST__INIT;

    req.id = (char *)id;
    req.title = (char *)title;
    req.source = (char *)source;
    req.description = "";
    return isms_test_unary(fd, M_CREATE, &req.base, 0, &isms__v1__control_record__descriptor, rep);
}

static int delete_custom(int fd, const char *id, int64_t expected, struct isms_test_reply *rep)
{
    Isms__V1__DeleteCustomControlRequest req = ISMS__V1__DELETE_CUSTOM_CONTROL_REQUEST__INIT;

    req.id = (char *)id;
    req.expected_version = expected;
    return isms_test_unary(fd, M_DELETE, &req.base, 0,
                           &isms__v1__delete_custom_control_response__descriptor, rep);
}

/* Sets the owner of `id`; returns the code. */
static int set_owner(int fd, const char *id, const char *owner, int64_t expected,
                     struct isms_test_reply *rep)
{
    Isms__V1__SetControlRequest req = ISMS__V1__SET_CONTROL_REQUEST__INIT;

    req.id = (char *)id;
    req.set_owner = 1;
    req.owner = (char *)owner;
    req.expected_version = expected;
    return set(fd, &req, rep);
}

/* ---- tests ---------------------------------------------------------------------------------- */

Test(control, catalogue_equals_reference_csv_in_catalogue_order)
{
    struct isms_test_env env;
    Isms__V1__ListControlsRequest req = ISMS__V1__LIST_CONTROLS_REQUEST__INIT;
    struct list_result l;
    struct isms_test_csv ref;
    int fd, themes[4] = {0};
    static const char *const names[4] = {"Organizational", "People", "Physical", "Technological"};

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    read_reference(&ref);
    list_controls(fd, &req, &l);
    cr_assert_eq(l.code, 0, "List: %s", l.message);
    cr_assert_eq(l.n, 93, "catalogue has %zu controls", l.n);
    for (size_t i = 0; i < l.n; i++) {
        const Isms__V1__ControlRecord *c = l.items[i];
        char *const *row = ref.cells[i + 1]; /* the CSV is in catalogue order too */

        cr_assert_str_eq(c->id, row[0], "row %zu", i);
        cr_assert_str_eq(c->theme, row[1], "%s theme", c->id);
        cr_assert_str_eq(c->title, row[2], "%s title", c->id);
        cr_assert(same_set(row[3], c->control_type, c->n_control_type), "%s type", c->id);
        cr_assert(same_set(row[4], c->security_properties, c->n_security_properties), "%s prop",
                  c->id);
        cr_assert(same_set(row[5], c->cybersecurity_concepts, c->n_cybersecurity_concepts),
                  "%s concepts", c->id);
        cr_assert(same_set(row[6], c->operational_capabilities, c->n_operational_capabilities),
                  "%s capabilities", c->id);
        cr_assert(same_set(row[7], c->security_domains, c->n_security_domains), "%s domains",
                  c->id);
        cr_assert_not(c->custom);
        cr_assert_str_eq(c->applicable, "undecided");
        cr_assert_str_eq(c->status, "not_started");
        cr_assert_eq(c->version, 1);
        for (int t = 0; t < 4; t++)
            themes[t] += strcmp(c->theme, names[t]) == 0;
    }
    cr_assert_eq(themes[0], 37);
    cr_assert_eq(themes[1], 8);
    cr_assert_eq(themes[2], 14);
    cr_assert_eq(themes[3], 34);
    /* 5.2 < 5.10 < 8.1: numeric, not text, order */
    cr_assert_str_eq(l.items[1]->id, "5.2");
    cr_assert_str_eq(l.items[9]->id, "5.10");
    cr_assert_str_eq(l.items[59]->id, "8.1");
    list_free(&l);
    isms_test_csv_free(&ref);
    isms_test_finish();
}

Test(control, attribute_filters_match_the_reference_csv)
{
    static const struct {
        const char *filter;
        int column;
        const char *value;
    } cases[] = {
        {"concept=Detect", 5, "Detect"},
        {"concept=respond", 5, "Respond"},
        {"type=Corrective", 3, "Corrective"},
        {"property=Availability", 4, "Availability"},
        {"capability=Identity_and_access_management", 6, "Identity_and_access_management"},
        {"domain=Resilience", 7, "Resilience"},
        {"security_domains=#Defence", 7, "Defence"},
    };
    struct isms_test_env env;
    struct isms_test_csv ref;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    read_reference(&ref);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        size_t expected = 0;

        for (size_t r = 1; r < ref.nrows; r++)
            expected += set_has(ref.cells[r][cases[k].column], cases[k].value);
        cr_assert_gt(expected, 0);
        cr_assert_eq(count_with_attribute(fd, cases[k].filter), expected, "%s", cases[k].filter);
    }
    {
        /* Two filters combine with AND; every returned control really has Detect. */
        Isms__V1__ListControlsRequest req = ISMS__V1__LIST_CONTROLS_REQUEST__INIT;
        char *attrs[2] = {"concept=Detect", "type=Preventive"};
        struct list_result l;
        size_t expected = 0;

        for (size_t r = 1; r < ref.nrows; r++)
            expected +=
                set_has(ref.cells[r][5], "Detect") && set_has(ref.cells[r][3], "Preventive");
        req.attributes = attrs;
        req.n_attributes = 2;
        list_controls(fd, &req, &l);
        cr_assert_eq(l.code, 0, "%s", l.message);
        cr_assert_eq(l.n, expected);
        for (size_t i = 0; i < l.n; i++) {
            int has = 0;

            for (size_t k = 0; k < l.items[i]->n_cybersecurity_concepts; k++)
                has |= strcmp(l.items[i]->cybersecurity_concepts[k], "Detect") == 0;
            cr_assert(has, "%s lacks Detect", l.items[i]->id);
        }
        list_free(&l);
    }
    {
        Isms__V1__ListControlsRequest req = ISMS__V1__LIST_CONTROLS_REQUEST__INIT;
        char *attrs[1] = {"concept=Detected"};
        struct list_result l;

        req.attributes = attrs;
        req.n_attributes = 1;
        list_controls(fd, &req, &l);
        cr_assert_eq(l.code, 3, "unknown attribute value: %d %s", l.code, l.message);
        cr_assert_neq(strstr(l.message, "Detect"), NULL, "%s", l.message);
        cr_assert_eq(l.n, 0);
    }
    isms_test_csv_free(&ref);
    isms_test_finish();
}

Test(control, list_filters_theme_status_applicable_custom)
{
    struct isms_test_env env;
    Isms__V1__ListControlsRequest req = ISMS__V1__LIST_CONTROLS_REQUEST__INIT;
    Isms__V1__SetControlRequest s = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    struct isms_test_reply rep;
    struct list_result l;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);

    req.theme = "people";
    list_controls(fd, &req, &l);
    cr_assert_eq(l.code, 0, "%s", l.message);
    cr_assert_eq(l.n, 8);
    cr_assert_str_eq(l.items[0]->id, "6.1");
    list_free(&l);

    req.theme = "Physical";
    list_controls(fd, &req, &l);
    cr_assert_eq(l.n, 14);
    list_free(&l);

    s.id = "8.7";
    s.set_applicable = 1;
    s.applicable = "yes";
    s.set_status = 1;
    s.status = "implemented";
    cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);

    req.theme = "";
    req.status = "implemented";
    list_controls(fd, &req, &l);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.items[0]->id, "8.7");
    list_free(&l);

    req.status = "";
    req.applicable = "yes";
    list_controls(fd, &req, &l);
    cr_assert_eq(l.n, 1);
    list_free(&l);

    req.applicable = "undecided";
    list_controls(fd, &req, &l);
    cr_assert_eq(l.n, 92);
    list_free(&l);

    req.applicable = "";
    req.custom_only = 1;
    list_controls(fd, &req, &l);
    cr_assert_eq(l.n, 0);
    list_free(&l);
    cr_assert_eq(create_custom(fd, "CUST-2", "Second", "customer requirement", &rep), 0, "%s",
                 rep.message);
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(create_custom(fd, "ACME-1", "First",
                               "ACME MSA \xc2\xa7"
                               "4",
                               &rep),
                 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);
    list_controls(fd, &req, &l);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.items[0]->id, "ACME-1");
    cr_assert_str_eq(l.items[1]->id, "CUST-2");
    cr_assert_str_eq(l.items[0]->theme, "Custom");
    list_free(&l);

    req.custom_only = 0;
    req.theme = "Custom";
    list_controls(fd, &req, &l);
    cr_assert_eq(l.n, 2);
    list_free(&l);

    req.theme = "Legal";
    list_controls(fd, &req, &l);
    cr_assert_eq(l.code, 3, "%s", l.message);
    req.theme = "";
    req.status = "done";
    list_controls(fd, &req, &l);
    cr_assert_eq(l.code, 3, "%s", l.message);
    req.status = "";
    req.applicable = "maybe";
    list_controls(fd, &req, &l);
    cr_assert_eq(l.code, 3, "%s", l.message);
    isms_test_finish();
}

Test(control, set_records_every_field_and_audits_it)
{
    struct isms_test_env env;
    Isms__V1__SetControlRequest s = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    struct isms_test_reply rep;
    const Isms__V1__ControlRecord *c;
    char *reasons[] = {"risk_treatment", "legal"};
    char *evidence[] = {"POL-12", "https://wiki.example.org/isms/8.7",
                        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"};
    PGconn *pg;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    isms_test_user_create(fd, "bob", "viewer", "long-enough-passphrase-42");
    s.id = "A.8.7";
    s.set_applicable = 1;
    s.applicable = "yes";
    s.set_reasons = 1;
    s.reasons = reasons;
    s.n_reasons = 2;
    s.set_justification = 1;
    s.justification = "malware is a top risk";
    s.set_status = 1;
    s.status = "implemented";
    s.set_owner = 1;
    s.owner = "bob";
    s.set_implementation = 1;
    s.implementation = "EDR on every endpoint";
    s.set_evidence = 1;
    s.evidence = evidence;
    s.n_evidence = 3;
    cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
    c = (const Isms__V1__ControlRecord *)rep.body;
    cr_assert_str_eq(c->id, "8.7");
    cr_assert_str_eq(c->title, "Protection against malware");
    cr_assert_str_eq(c->applicable, "yes");
    cr_assert_eq(c->n_reasons, 2);
    cr_assert_str_eq(c->reasons[0], "legal"); /* canonical order */
    cr_assert_str_eq(c->reasons[1], "risk_treatment");
    cr_assert_str_eq(c->status, "implemented");
    cr_assert_str_eq(c->owner, "bob");
    cr_assert_eq(c->n_evidence, 3);
    cr_assert_str_eq(c->evidence[1], "https://wiki.example.org/isms/8.7");
    cr_assert_eq(c->version, 2);
    cr_assert_str_eq(c->updated_by, ISMS_TEST_ADMIN_USER);
    isms_test_reply_cleanup(&rep);

    /* add and remove evidence; other fields untouched */
    memset(&s, 0, sizeof(s));
    isms__v1__set_control_request__init(&s);
    s.id = "8.7";
    s.add_evidence = (char *[]){"POL-13", "POL-12"};
    s.n_add_evidence = 2;
    s.remove_evidence = (char *[]){"https://wiki.example.org/isms/8.7"};
    s.n_remove_evidence = 1;
    s.expected_version = 2;
    cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
    c = (const Isms__V1__ControlRecord *)rep.body;
    cr_assert_eq(c->n_evidence, 3);
    cr_assert_str_eq(c->evidence[0], "POL-12");
    cr_assert_str_eq(c->evidence[1], "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca"
                                     "495991b7852b855");
    cr_assert_str_eq(c->evidence[2], "POL-13");
    cr_assert_str_eq(c->owner, "bob");
    cr_assert_eq(c->version, 3);
    isms_test_reply_cleanup(&rep);

    cr_assert_eq(get(fd, "8.7", &rep), 0);
    cr_assert_eq(((const Isms__V1__ControlRecord *)rep.body)->version, 3);
    isms_test_reply_cleanup(&rep);

    pg = isms_test_pg_connect(env.db.conninfo);
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM audit_log WHERE entity = 'control:8.7'"
                                     " AND method = '/isms.v1.Control/Set' AND actor = 'admin'"
                                     " AND changes LIKE '%EDR on every endpoint%'",
                                     0, NULL),
                 1);
    cr_assert_eq(isms_test_pg_scalar(
                     pg, "SELECT count(*) FROM audit_log WHERE entity = 'control:8.7'", 0, NULL),
                 2);
    isms_test_pg_close(pg);
    isms_test_finish();
}

Test(control, stale_version_is_aborted_and_changes_nothing)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    int fd, fd2;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    fd2 = isms_test_connect(env.srv.port);
    isms_test_user_create(fd, "alice", "viewer", "long-enough-passphrase-42");
    isms_test_user_create(fd, "carol", "viewer", "long-enough-passphrase-42");
    cr_assert_eq(set_owner(fd, "5.15", "alice", 1, &rep), 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);
    /* a second session still holding version 1 */
    set_owner(fd2, "5.15", "carol", 1, &rep);
    isms_test_expect(&rep, 10, "version 1 is stale", "stale Set");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(get(fd, "5.15", &rep), 0);
    cr_assert_str_eq(((const Isms__V1__ControlRecord *)rep.body)->owner, "alice");
    cr_assert_eq(((const Isms__V1__ControlRecord *)rep.body)->version, 2);
    isms_test_reply_cleanup(&rep);
    /* expected_version 0 means no check */
    cr_assert_eq(set_owner(fd2, "5.15", "carol", 0, &rep), 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(control, unknown_controls_are_not_found)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    get(fd, "9.9", &rep);
    isms_test_expect(&rep, 5, "\"9.9\" does not exist", "Get 9.9");
    isms_test_reply_cleanup(&rep);
    get(fd, "8.35", &rep);
    isms_test_expect(&rep, 5, "does not exist", "Get 8.35");
    isms_test_reply_cleanup(&rep);
    set_owner(fd, "CUST-404", "bob", 0, &rep);
    isms_test_expect(&rep, 5, "\"CUST-404\" does not exist", "Set unknown");
    isms_test_reply_cleanup(&rep);
    delete_custom(fd, "CUST-404", 0, &rep);
    isms_test_expect(&rep, 5, "does not exist", "DeleteCustom unknown");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(control, catalogue_is_read_only)
{
    struct isms_test_env env;
    Isms__V1__SetControlRequest s = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    struct isms_test_reply rep;
    PGconn *pg;
    PGresult *r;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    s.id = "5.1";
    s.set_title = 1;
    s.title = "Our own title";
    set(fd, &s, &rep);
    isms_test_expect(&rep, 9, "read-only Annex A catalogue", "Set title of 5.1");
    isms_test_reply_cleanup(&rep);
    delete_custom(fd, "5.1", 0, &rep);
    isms_test_expect(&rep, 9, "read-only Annex A catalogue", "DeleteCustom 5.1");
    isms_test_reply_cleanup(&rep);

    /* Even with SQL, the catalogue columns refuse to change. */
    pg = isms_test_pg_connect(env.db.conninfo);
    r = PQexec(pg, "UPDATE control SET title = 'x' WHERE id = '5.1'");
    cr_assert_eq(PQresultStatus(r), PGRES_FATAL_ERROR, "catalogue UPDATE succeeded");
    cr_assert_neq(strstr(PQresultErrorMessage(r), "read-only"), NULL);
    PQclear(r);
    r = PQexec(pg, "UPDATE control SET cybersecurity_concepts = '{Recover}' WHERE id = '8.16'");
    cr_assert_eq(PQresultStatus(r), PGRES_FATAL_ERROR, "attribute UPDATE succeeded");
    PQclear(r);
    r = PQexec(pg, "DELETE FROM control WHERE id = '8.34'");
    cr_assert_eq(PQresultStatus(r), PGRES_FATAL_ERROR, "catalogue DELETE succeeded");
    PQclear(r);
    r = PQexec(pg, "INSERT INTO control (id, is_custom, theme, title, sort_key)"
                   " VALUES ('8.35', false, 'Technological', 'x', 8035)");
    cr_assert_eq(PQresultStatus(r), PGRES_FATAL_ERROR, "catalogue INSERT succeeded");
    PQclear(r);
    r = PQexec(pg, "TRUNCATE control CASCADE");
    cr_assert_eq(PQresultStatus(r), PGRES_FATAL_ERROR, "TRUNCATE succeeded");
    PQclear(r);
    cr_assert_eq(
        isms_test_pg_scalar(pg, "SELECT count(*) FROM control WHERE NOT is_custom", 0, NULL), 93);
    isms_test_pg_close(pg);

    cr_assert_eq(get(fd, "5.1", &rep), 0);
    cr_assert_str_eq(((const Isms__V1__ControlRecord *)rep.body)->title,
                     "Policies for information security");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(control, custom_controls_lifecycle)
{
    struct isms_test_env env;
    Isms__V1__SetControlRequest s = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    struct isms_test_reply rep;
    const Isms__V1__ControlRecord *c;
    PGconn *pg;
    char sql[256];
    long long risk;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    cr_assert_eq(create_custom(fd, "PCI-3.4", "Render PAN unreadable",
                               "customer requirement ACME MSA \xc2\xa7"
                               "4",
                               &rep),
                 0, "%s", rep.message);
    c = (const Isms__V1__ControlRecord *)rep.body;
    cr_assert(c->custom);
    cr_assert_str_eq(c->theme, "Custom");
    cr_assert_str_eq(c->source, "customer requirement ACME MSA \xc2\xa7"
                                "4");
    cr_assert_str_eq(c->applicable, "undecided");
    cr_assert_eq(c->n_cybersecurity_concepts, 0);
    isms_test_reply_cleanup(&rep);

    create_custom(fd, "pci-3.4", "again", "x", &rep);
    isms_test_expect(&rep, 6, "\"pci-3.4\" already exists", "duplicate custom id");
    isms_test_reply_cleanup(&rep);
    create_custom(fd, "5.40", "looks like Annex A", "x", &rep);
    isms_test_expect(&rep, 3, "looks like an Annex A id", "custom 5.40");
    isms_test_reply_cleanup(&rep);
    create_custom(fd, "A.8.1", "looks like Annex A", "x", &rep);
    isms_test_expect(&rep, 3, "looks like an Annex A id", "custom A.8.1");
    isms_test_reply_cleanup(&rep);
    create_custom(fd, "8.7", "taken", "x", &rep);
    isms_test_expect(&rep, 3, "looks like an Annex A id", "custom 8.7");
    isms_test_reply_cleanup(&rep);
    create_custom(fd, "CUST-9", "", "x", &rep);
    isms_test_expect(&rep, 3, "title", "custom without title");
    isms_test_reply_cleanup(&rep);

    /* a custom control's own text may change */
    s.id = "PCI-3.4";
    s.set_title = 1;
    s.title = "Render PAN unreadable anywhere it is stored";
    cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
    cr_assert_eq(((const Isms__V1__ControlRecord *)rep.body)->version, 2);
    isms_test_reply_cleanup(&rep);

    /* selected by a risk's treatment: deletion refused and names the risk */
    pg = isms_test_pg_connect(env.db.conninfo);
    risk = isms_test_pg_scalar(pg,
                               "INSERT INTO risk (title, owner) VALUES ('card data', 'admin')"
                               " RETURNING num",
                               0, NULL);
    snprintf(sql, sizeof(sql),
             "INSERT INTO risk_control (risk_num, control_id) VALUES (%lld, 'PCI-3.4')", risk);
    isms_test_pg_exec(pg, sql);
    cr_assert_eq(get(fd, "pci-3.4", &rep), 0);
    c = (const Isms__V1__ControlRecord *)rep.body;
    cr_assert_eq(c->n_linked_risks, 1);
    {
        char want[32];

        snprintf(want, sizeof(want), "R-%lld", risk);
        cr_assert_str_eq(c->linked_risks[0], want);
    }
    isms_test_reply_cleanup(&rep);
    delete_custom(fd, "PCI-3.4", 0, &rep);
    isms_test_expect(&rep, 9, "selected by the treatment of R-", "delete selected custom");
    isms_test_reply_cleanup(&rep);
    snprintf(sql, sizeof(sql), "DELETE FROM risk_control WHERE risk_num = %lld", risk);
    isms_test_pg_exec(pg, sql);

    delete_custom(fd, "PCI-3.4", 1, &rep);
    isms_test_expect(&rep, 10, "stale", "delete with stale version");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(delete_custom(fd, "PCI-3.4", 2, &rep), 0, "%s", rep.message);
    cr_assert_str_eq(((const Isms__V1__DeleteCustomControlResponse *)rep.body)->id, "PCI-3.4");
    isms_test_reply_cleanup(&rep);
    delete_custom(fd, "PCI-3.4", 0, &rep);
    isms_test_expect(&rep, 5, "does not exist", "delete twice");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM audit_log WHERE entity = "
                                     "'control:PCI-3.4' AND method IN "
                                     "('/isms.v1.Control/CreateCustom', "
                                     "'/isms.v1.Control/DeleteCustom')",
                                     0, NULL),
                 2);
    isms_test_pg_close(pg);
    isms_test_finish();
}

Test(control, bad_input_is_invalid_argument_and_metacharacters_are_verbatim)
{
    struct isms_test_env env;
    Isms__V1__SetControlRequest s = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    struct isms_test_reply rep;
    static const char meta[] = "x'); DROP TABLE control; -- \\ % _ $1 \"q\"";
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    s.id = "5.1";
    s.set_justification = 1;
    s.justification = "bad \xc3\x28 bytes";
    set(fd, &s, &rep);
    isms_test_expect(&rep, 3, "justification is not valid UTF-8", "invalid UTF-8");
    isms_test_reply_cleanup(&rep);
    get(fd, "\xff", &rep);
    isms_test_expect(&rep, 3, "UTF-8", "Get invalid UTF-8");
    isms_test_reply_cleanup(&rep);

    /* An owner is an account: metacharacters in one are refused by name, not run. */
    s.justification = (char *)meta;
    s.set_owner = 1;
    s.owner = (char *)meta;
    set(fd, &s, &rep);
    isms_test_expect(&rep, 5, "a control owner must be an account", "owner not an account");
    isms_test_reply_cleanup(&rep);
    s.set_owner = 0;
    cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(get(fd, "5.1", &rep), 0);
    cr_assert_str_eq(((const Isms__V1__ControlRecord *)rep.body)->justification, meta);
    cr_assert_str_eq(((const Isms__V1__ControlRecord *)rep.body)->owner, "");
    isms_test_reply_cleanup(&rep);

    memset(&s, 0, sizeof(s));
    isms__v1__set_control_request__init(&s);
    s.id = "5.1";
    s.set_evidence = 1;
    s.evidence = (char *[]){"sha256:1234"};
    s.n_evidence = 1;
    set(fd, &s, &rep);
    isms_test_expect(&rep, 3, "sha256:<64 hex digits>", "bad hash");
    isms_test_reply_cleanup(&rep);
    s.evidence = (char *[]){"ftp://files.example.org/x"};
    set(fd, &s, &rep);
    isms_test_expect(&rep, 3, "http or https", "bad URL");
    isms_test_reply_cleanup(&rep);
    s.set_evidence = 0;
    s.n_evidence = 0;
    s.set_status = 1;
    s.status = "done";
    set(fd, &s, &rep);
    isms_test_expect(&rep, 3, "status must be", "bad status");
    isms_test_reply_cleanup(&rep);
    s.set_status = 0;
    s.set_applicable = 1;
    s.applicable = "perhaps";
    set(fd, &s, &rep);
    isms_test_expect(&rep, 3, "applicable must be yes, no or undecided", "bad applicable");
    isms_test_reply_cleanup(&rep);
    s.set_applicable = 0;
    set(fd, &s, &rep);
    isms_test_expect(&rep, 3, "nothing to change", "empty Set");
    isms_test_reply_cleanup(&rep);

    /* 101 evidence references after adding: refused, nothing changes */
    {
        char *items[100];
        char buf[100][16];

        for (int i = 0; i < 100; i++) {
            snprintf(buf[i], sizeof(buf[i]), "POL-%d", i);
            items[i] = buf[i];
        }
        s.set_evidence = 1;
        s.evidence = items;
        s.n_evidence = 100;
        cr_assert_eq(set(fd, &s, &rep), 0, "%s", rep.message);
        isms_test_reply_cleanup(&rep);
        s.set_evidence = 0;
        s.n_evidence = 0;
        s.add_evidence = (char *[]){"POL-100"};
        s.n_add_evidence = 1;
        set(fd, &s, &rep);
        isms_test_expect(&rep, 3, "more than 100 evidence", "evidence overflow");
        isms_test_reply_cleanup(&rep);
    }
    /* still serving */
    cr_assert_eq(get(fd, "5.1", &rep), 0);
    cr_assert_eq(((const Isms__V1__ControlRecord *)rep.body)->n_evidence, 100);
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

Test(control, viewer_reads_but_cannot_write)
{
    struct isms_test_env env;
    Isms__V1__ListControlsRequest lreq = ISMS__V1__LIST_CONTROLS_REQUEST__INIT;
    struct isms_test_reply rep;
    struct list_result l;
    char token[256];
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    isms_test_user_create(fd, "vera", "viewer", "viewer-password-long-enough");
    cr_assert_eq(
        isms_test_login(env.srv.port, "vera", "viewer-password-long-enough", token, sizeof(token)),
        0);
    isms_test_set_token(token);
    fd = isms_test_connect(env.srv.port);
    cr_assert_eq(get(fd, "8.7", &rep), 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);
    list_controls(fd, &lreq, &l);
    cr_assert_eq(l.code, 0, "%s", l.message);
    cr_assert_eq(l.n, 93);
    list_free(&l);
    set_owner(fd, "8.7", "vera", 0, &rep);
    isms_test_expect(&rep, 7, NULL, "viewer Set");
    isms_test_reply_cleanup(&rep);
    create_custom(fd, "CUST-1", "t", "s", &rep);
    isms_test_expect(&rep, 7, NULL, "viewer CreateCustom");
    isms_test_reply_cleanup(&rep);
    delete_custom(fd, "CUST-1", 0, &rep);
    isms_test_expect(&rep, 7, NULL, "viewer DeleteCustom");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}

/* ---- ismsctl -------------------------------------------------------------------------------- */

/* `ismsctl login admin` with the password on stdin: later ismsctl calls use that session. */
static void ctl_login(int port)
{
    struct isms_test_proc p;

    isms_test_ismsctl_input(
        &p, port, (const char *const[]){"login", ISMS_TEST_ADMIN_USER, "--password-stdin", NULL},
        ISMS_TEST_ADMIN_PASSWORD "\n");
    cr_assert_eq(p.exit_code, 0, "ismsctl login exited %d\n%s", p.exit_code, p.err);
    isms_test_proc_cleanup(&p);
}

static void ctl(struct isms_test_proc *p, int port, int want, const char *const *args)
{
    isms_test_ismsctl_expect(p, port, want, NULL, NULL, args);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

Test(control, ismsctl_control_commands)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    struct isms_test_csv ref;
    size_t detect = 0;
    int port;

    cr_assert_not_null(isms_test_ismsctl_path(), "ismsctl was not built");
    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    read_reference(&ref);
    for (size_t r = 1; r < ref.nrows; r++)
        detect += set_has(ref.cells[r][5], "Detect");
    ctl_login(port);
    {
        int fd = isms_test_connect(port);

        isms_test_user_create(fd, "bob", "viewer", "long-enough-passphrase-42");
        isms_test_close(fd);
    }

    ctl(&p, port, 0, (const char *const[]){"-o", "csv", "control", "list", NULL});
    cr_assert_eq(count_lines(p.out), 94, "CSV list:\n%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"-o", "csv", "control", "list", "--attribute", "concept=Detect",
                              NULL});
    cr_assert_eq(count_lines(p.out), detect + 1, "concept=Detect:\n%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"-o", "csv", "control", "list", "--theme", "People", NULL});
    cr_assert_eq(count_lines(p.out), 9, "People:\n%s", p.out);
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0,
        (const char *const[]){"-o",
                              "json",
                              "control",
                              "set",
                              "8.7",
                              "--applicable",
                              "yes",
                              "--reason",
                              "legal,risk_treatment",
                              "--justification",
                              "malware, ransomware",
                              "--status",
                              "implemented",
                              "--owner",
                              "bob",
                              "--implementation",
                              "EDR",
                              "--evidence",
                              "POL-12",
                              "--evidence",
                              "https://wiki.example.org/8.7",
                              "--expect-version",
                              "1",
                              NULL});
    cr_assert_neq(strstr(p.out, "\"id\": \"8.7\""), NULL, "%s", p.out);
    cr_assert_neq(strstr(p.out, "\"version\": 2"), NULL, "%s", p.out);
    cr_assert_neq(strstr(p.out, "https://wiki.example.org/8.7"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 5,
        (const char *const[]){"control", "set", "8.7", "--owner", "bob", "--expect-version", "1",
                              NULL});
    cr_assert_neq(strstr(p.err, "ABORTED"), NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"-o", "json", "control", "show", "A.8.7", NULL});
    cr_assert_neq(strstr(p.out, "\"owner\": \"bob\""), NULL, "%s", p.out);
    cr_assert_neq(strstr(p.out, "\"risk_treatment\""), NULL, "%s", p.out);
    cr_assert_neq(strstr(p.out, "Detect"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"control", "show", "8.7", NULL});
    cr_assert_neq(strstr(p.out, "Protection against malware"), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 4, (const char *const[]){"control", "show", "9.1", NULL});
    cr_assert_neq(strstr(p.err, "NOT_FOUND"), NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3, (const char *const[]){"control", "set", "8.7", "--status", "finished", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 2, (const char *const[]){"control", "set", "8.7", "--applicable", "maybe", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0,
        (const char *const[]){"-o", "csv", "control", "list", "--status", "implemented",
                              "--applicable", "yes", NULL});
    cr_assert_eq(count_lines(p.out), 2, "%s", p.out);
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0,
        (const char *const[]){"-o", "json", "control", "add-custom", "ACME-4", "--title",
                              "Customer data segregation", "--source",
                              "ACME MSA \xc2\xa7"
                              "4",
                              NULL});
    cr_assert_neq(strstr(p.out, "\"id\": \"ACME-4\""), NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 3,
        (const char *const[]){"control", "add-custom", "5.99", "--title", "x", "--source", "y",
                              NULL});
    cr_assert_neq(strstr(p.err, "looks like an Annex A id"), NULL, "%s", p.err);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 5,
        (const char *const[]){"control", "add-custom", "acme-4", "--title", "x", "--source", "y",
                              NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"-o", "csv", "control", "list", "--custom", NULL});
    cr_assert_eq(count_lines(p.out), 2, "%s", p.out);
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"control", "delete-custom", "ACME-4", NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 6, (const char *const[]){"control", "delete-custom", "5.1", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_csv_free(&ref);
    isms_test_finish();
}
