/* tests/integration/test_soa.c — isms.v1.Soa against a real ismsd and PostgreSQL: the export
 * (93 catalogue rows, 37/8/14/34 per theme, custom rows after), CSV that parses back, Markdown
 * and HTML escaping, deterministic output, every check rule, publish refused while the check
 * fails, versions, show, diff, the compliance summary, roles and bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "isms/v1/control.pb-c.h"
#include "testlib.h"

TestSuite(soa, .init = isms_test_init, .fini = isms_test_fini, .timeout = 280);

#define M_SET     "/isms.v1.Control/Set"
#define M_CREATE  "/isms.v1.Control/CreateCustom"
#define M_EXPORT  "/isms.v1.Soa/Export"
#define M_CHECK   "/isms.v1.Soa/Check"
#define M_PUBLISH "/isms.v1.Soa/Publish"
#define M_SHOW    "/isms.v1.Soa/Show"
#define M_DIFF    "/isms.v1.Soa/Diff"
#define M_SUMMARY "/isms.v1.Soa/Summary"
#define M_VERS    "/isms.v1.Soa/Versions"

#define MAX_ROWS 256

/* ---- helpers -------------------------------------------------------------------------------- */

/* The 93 Annex A ids in catalogue order. */
static const int SECTION_SIZES[4] = {37, 8, 14, 34};

static void annex_id(int k, char *out, size_t len)
{
    int s = 0;

    while (k >= SECTION_SIZES[s]) {
        k -= SECTION_SIZES[s];
        s++;
    }
    snprintf(out, len, "%d.%d", 5 + s, k + 1);
}

struct rows {
    int code;
    char message[512];
    size_t n;
    Isms__V1__SoaRow *items[MAX_ROWS];
};

/* Export(version) over the raw protocol, collecting every streamed row. */
static void export_rows(int fd, int32_t version, struct rows *out)
{
    Isms__V1__SoaExportRequest req = ISMS__V1__SOA_EXPORT_REQUEST__INIT;
    uint64_t id = isms_test_next_call_id();

    req.version = version;
    out->n = 0;
    isms_test_send_request(fd, id, M_EXPORT, 0, &req.base);
    for (;;) {
        Isms__V1__Response *r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, M_EXPORT);

        cr_assert_eq(r->call_id, id);
        if (!r->more) {
            out->code = r->code;
            snprintf(out->message, sizeof(out->message), "%s", r->message ? r->message : "");
            isms__v1__response__free_unpacked(r, NULL);
            return;
        }
        cr_assert_lt(out->n, MAX_ROWS);
        out->items[out->n] = isms__v1__soa_row__unpack(NULL, r->body.len, r->body.data);
        cr_assert_not_null(out->items[out->n]);
        out->n++;
        isms__v1__response__free_unpacked(r, NULL);
    }
}

static void rows_free(struct rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        isms__v1__soa_row__free_unpacked(r->items[i], NULL);
    r->n = 0;
}

/* Sets a control's record; NULL leaves a field alone; reasons "" clears them; `evidence` is
 * one reference or NULL (none given) or "" (clear the list). Fails unless OK. */
static void set_record(int fd, const char *id, const char *applicable, const char *reason,
                       const char *justification, const char *status, const char *evidence)
{
    Isms__V1__SetControlRequest s = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    struct isms_test_reply rep;
    char *reasons[1] = {(char *)reason};
    char *ev[1] = {(char *)evidence};

    s.id = (char *)id;
    if (applicable != NULL) {
        s.set_applicable = 1;
        s.applicable = (char *)applicable;
    }
    if (reason != NULL) {
        s.set_reasons = 1;
        s.reasons = reasons;
        s.n_reasons = reason[0] != '\0';
    }
    if (justification != NULL) {
        s.set_justification = 1;
        s.justification = (char *)justification;
    }
    if (status != NULL) {
        s.set_status = 1;
        s.status = (char *)status;
    }
    if (evidence != NULL) {
        s.set_evidence = 1;
        s.evidence = ev;
        s.n_evidence = evidence[0] != '\0';
    }
    cr_assert_eq(
        isms_test_unary(fd, M_SET, &s.base, 0, &isms__v1__control_record__descriptor, &rep), 0,
        "Set %s: %s", id, rep.message);
    isms_test_reply_cleanup(&rep);
}

/* Makes every Annex A control applicable (best practice) and not started: a consistent SoA
 * (planned would need a target date). */
static void make_consistent(int fd)
{
    for (int k = 0; k < 93; k++) {
        char id[8];

        annex_id(k, id, sizeof(id));
        set_record(fd, id, "yes", "best_practice", "", "not_started", "");
    }
}

/* Sets a control's owner (an account) and implementation text. Fails unless OK. */
static void set_impl(int fd, const char *id, const char *owner, const char *implementation)
{
    Isms__V1__SetControlRequest s = ISMS__V1__SET_CONTROL_REQUEST__INIT;
    struct isms_test_reply rep;

    s.id = (char *)id;
    s.set_owner = 1;
    s.owner = (char *)owner;
    s.set_implementation = 1;
    s.implementation = (char *)implementation;
    cr_assert_eq(
        isms_test_unary(fd, M_SET, &s.base, 0, &isms__v1__control_record__descriptor, &rep), 0,
        "Set %s: %s", id, rep.message);
    isms_test_reply_cleanup(&rep);
}

/* Drops the generated_at header line of a current-state export (the one line that differs
 * between two exports of the same state), in place. */
static void drop_generated(char *s)
{
    char *l = strstr(s, "generated_at,");

    if (l != NULL) {
        char *e = strstr(l, "\r\n");

        cr_assert_not_null(e);
        memmove(l, e + 2, strlen(e + 2) + 1);
    }
}

/* Index of the column row (first cell "position") of a parsed SoA CSV. */
static size_t header_row(const struct isms_test_csv *c)
{
    for (size_t r = 0; r < c->nrows; r++) {
        if (c->ncells[r] > 1 && strcmp(c->cells[r][0], "position") == 0)
            return r;
    }
    cr_assert_fail("no column row");
    return 0;
}

static void create_custom(int fd, const char *id, const char *title)
{
    Isms__V1__CreateCustomControlRequest req = ISMS__V1__CREATE_CUSTOM_CONTROL_REQUEST__INIT;
    struct isms_test_reply rep;

    req.id = (char *)id;
    req.title = (char *)title;
    req.source = "customer requirement ACME MSA \xc2\xa7"
                 "4";
    req.description = "";
    cr_assert_eq(
        isms_test_unary(fd, M_CREATE, &req.base, 0, &isms__v1__control_record__descriptor, &rep), 0,
        "CreateCustom %s: %s", id, rep.message);
    isms_test_reply_cleanup(&rep);
}

static int check(int fd, struct isms_test_reply *rep)
{
    Isms__V1__SoaCheckRequest req = ISMS__V1__SOA_CHECK_REQUEST__INIT;

    return isms_test_unary(fd, M_CHECK, &req.base, 0, &isms__v1__soa_check_response__descriptor,
                           rep);
}

static int publish(int fd, const char *approved_by, struct isms_test_reply *rep)
{
    Isms__V1__SoaPublishRequest req = ISMS__V1__SOA_PUBLISH_REQUEST__INIT;

    req.approved_by = (char *)approved_by;
    return isms_test_unary(fd, M_PUBLISH, &req.base, 0, &isms__v1__soa_version__descriptor, rep);
}

static int diff(int fd, int32_t a, int32_t b, struct isms_test_reply *rep)
{
    Isms__V1__SoaDiffRequest req = ISMS__V1__SOA_DIFF_REQUEST__INIT;

    req.from_version = a;
    req.to_version = b;
    return isms_test_unary(fd, M_DIFF, &req.base, 0, &isms__v1__soa_diff_response__descriptor, rep);
}

static int summary(int fd, int32_t version, struct isms_test_reply *rep)
{
    Isms__V1__SoaSummaryRequest req = ISMS__V1__SOA_SUMMARY_REQUEST__INIT;

    req.version = version;
    return isms_test_unary(fd, M_SUMMARY, &req.base, 0, &isms__v1__soa_summary_response__descriptor,
                           rep);
}

/* Adds risk R-<n> selecting control `id` (straight into the risk register tables). */
static long long risk_selecting(const struct isms_test_env *env, const char *id)
{
    PGconn *pg = isms_test_pg_connect(env->db.conninfo);
    const char *p[1] = {id};
    long long num = isms_test_pg_scalar(pg,
                                        "WITH r AS (INSERT INTO risk (title, owner) VALUES "
                                        "('selected', 'admin') RETURNING num), "
                                        "rc AS (INSERT INTO risk_control (risk_num, control_id) "
                                        "SELECT num, $1 FROM r) SELECT num FROM r",
                                        1, p);

    isms_test_pg_close(pg);
    return num;
}

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

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- export --------------------------------------------------------------------------------- */

Test(soa, export_has_93_catalogue_rows_by_theme_then_custom_rows)
{
    struct isms_test_env env;
    struct rows r;
    int fd, themes[4] = {0};
    static const char *const names[4] = {"Organizational", "People", "Physical", "Technological"};

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    create_custom(fd, "ZZ-1", "last custom");
    create_custom(fd, "ACME-2", "first custom");
    export_rows(fd, 0, &r);
    cr_assert_eq(r.code, 0, "%s", r.message);
    cr_assert_eq(r.n, 95);
    for (size_t i = 0; i < r.n; i++) {
        char id[8];

        cr_assert_eq(r.items[i]->position, (int32_t)i + 1);
        if (i >= 93)
            continue;
        annex_id((int)i, id, sizeof(id));
        cr_assert_str_eq(r.items[i]->id, id);
        cr_assert_not(r.items[i]->custom);
        for (int t = 0; t < 4; t++)
            themes[t] += strcmp(r.items[i]->theme, names[t]) == 0;
    }
    cr_assert_eq(themes[0], 37);
    cr_assert_eq(themes[1], 8);
    cr_assert_eq(themes[2], 14);
    cr_assert_eq(themes[3], 34);
    cr_assert_str_eq(r.items[93]->id, "ACME-2");
    cr_assert_str_eq(r.items[94]->id, "ZZ-1");
    cr_assert(r.items[93]->custom);
    cr_assert_str_eq(r.items[93]->theme, "Custom");
    rows_free(&r);
    isms_test_finish();
}

Test(soa, csv_export_is_rfc4180_round_trips_and_is_deterministic)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    struct isms_test_csv c;
    char dir[256], f1[320], f2[320];
    char *a, *b;
    static const char tricky[] = "He said \"yes\", then\nleft; a,b \xc3\xa9";
    size_t h;
    int fd, port;

    cr_assert_not_null(isms_test_ismsctl_path(), "ismsctl was not built");
    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    ctl_login(port);
    fd = isms_test_connect(port);
    set_record(fd, "5.1", "yes", "legal", tricky, "implemented", "POL-1, rev \"B\"");
    set_record(fd, "5.2", "no", NULL, "=1+2 no segregation needed here", NULL, NULL);
    create_custom(fd, "CUST-1", "Custom, with comma");
    isms_test_tmpdir(dir, sizeof(dir));
    snprintf(f1, sizeof(f1), "%s/soa1.csv", dir);
    snprintf(f2, sizeof(f2), "%s/soa2.csv", dir);

    ctl(&p, port, 0, (const char *const[]){"soa", "export", "--format", "csv", "--file", f1, NULL});
    isms_test_proc_cleanup(&p);
    ctl(&p, port, 0, (const char *const[]){"soa", "export", "--format", "csv", "--file", f2, NULL});
    isms_test_proc_cleanup(&p);
    a = isms_test_read_file(f1);
    b = isms_test_read_file(f2);
    cr_assert_not_null(a);
    cr_assert_not_null(b);
    /* The document header: organisation, scope, id, version, approval, generation time. */
    cr_assert_eq(strncmp(a, "document,SOA-current\r\norganisation,", 35), 0, "%.200s", a);
    cr_assert_neq(strstr(a, "\r\nversion,current\r\napproval,not_approved\r\n"), NULL, "%.300s", a);
    cr_assert_neq(strstr(a, "\r\ngenerated_at,20"), NULL, "%.300s", a);
    drop_generated(a);
    drop_generated(b);
    cr_assert_str_eq(a, b, "two exports differ in more than their generation time");
    ctl(&p, port, 0, (const char *const[]){"soa", "export", "--format", "csv", NULL});
    drop_generated(p.out);
    cr_assert_str_eq(p.out, a, "stdout export differs from the file");
    isms_test_proc_cleanup(&p);

    isms_test_csv_parse(&c, a, true);
    h = header_row(&c);
    cr_assert_eq(c.nrows, h + 1 + 93 + 1, "%zu records", c.nrows);
    cr_assert_eq(c.ncells[h], 16);
    cr_assert_str_eq(c.cells[h][1], "id");
    cr_assert_str_eq(c.cells[h][8], "inclusion_justification");
    cr_assert_str_eq(c.cells[h][9], "exclusion_justification");
    cr_assert_str_eq(c.cells[h][11], "target_date");
    for (size_t r = h + 1; r < c.nrows; r++)
        cr_assert_eq(c.ncells[r], 16, "record %zu has %zu cells", r, c.ncells[r]);
    cr_assert_str_eq(c.cells[h + 1][1], "5.1");
    cr_assert_str_eq(c.cells[h + 1][3], "Policies for information security");
    cr_assert_str_eq(c.cells[h + 1][6], "yes");
    cr_assert_str_eq(c.cells[h + 1][7], "legal");
    cr_assert_str_eq(c.cells[h + 1][8], tricky);
    cr_assert_str_eq(c.cells[h + 1][9], "");
    cr_assert_str_eq(c.cells[h + 1][10], "implemented");
    cr_assert_str_eq(c.cells[h + 1][14], "POL-1, rev \"B\"");
    /* excluded: its text is the exclusion justification, formula-guarded, status cleared */
    cr_assert_str_eq(c.cells[h + 2][8], "");
    cr_assert_str_eq(c.cells[h + 2][9], "'=1+2 no segregation needed here");
    cr_assert_str_eq(c.cells[h + 2][10], "not_applicable");
    cr_assert_str_eq(c.cells[h + 60][1], "8.1");
    cr_assert_str_eq(c.cells[h + 94][1], "CUST-1");
    cr_assert_str_eq(c.cells[h + 94][3], "Custom, with comma");
    cr_assert_str_eq(c.cells[h + 94][4], "true");
    {
        int themes[4] = {0};

        for (size_t r = h + 1; r <= h + 93; r++) {
            themes[0] += strcmp(c.cells[r][2], "Organizational") == 0;
            themes[1] += strcmp(c.cells[r][2], "People") == 0;
            themes[2] += strcmp(c.cells[r][2], "Physical") == 0;
            themes[3] += strcmp(c.cells[r][2], "Technological") == 0;
        }
        cr_assert(themes[0] == 37 && themes[1] == 8 && themes[2] == 14 && themes[3] == 34);
    }
    isms_test_csv_free(&c);
    free(a);
    free(b);
    isms_test_finish();
}

Test(soa, markdown_html_and_json_escape_everything)
{
    struct isms_test_env env;
    struct isms_test_proc p;
    static const char nasty[] = "a|b\nc <script>alert('x')</script> & \"q\" \\ end";
    int fd, port;

    cr_assert_not_null(isms_test_ismsctl_path(), "ismsctl was not built");
    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    ctl_login(port);
    fd = isms_test_connect(port);
    set_record(fd, "8.7", "yes", "", nasty, NULL, NULL);

    ctl(&p, port, 0, (const char *const[]){"soa", "export", "--format", "md", NULL});
    cr_assert_neq(strstr(p.out, "a\\|b<br>c &lt;script&gt;alert('x')&lt;/script&gt; &amp; \"q\" "
                                "\\\\ end"),
                  NULL, "%s", p.out);
    cr_assert_null(strstr(p.out, "<script>"));
    {
        /* the document table has 3 pipes a line; every line of the SoA table exactly 15
         * unescaped pipes: 14 columns */
        size_t lines = 0, head = 0;

        for (const char *l = p.out; (l = strstr(l, "\n|")) != NULL; l++) {
            size_t pipes = 0;

            for (const char *q = l + 1; *q != '\0' && *q != '\n'; q++)
                pipes += *q == '|' && q[-1] != '\\';
            if (pipes == 3) {
                head++;
                continue;
            }
            cr_assert_eq(pipes, 15, "table line %zu has %zu pipes", lines, pipes);
            lines++;
        }
        cr_assert_eq(lines, 2 + 93, "%zu table lines", lines);
        cr_assert_eq(head, 2 + 6, "%zu document table lines", head);
    }
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0, (const char *const[]){"soa", "export", "--format", "html", NULL});
    cr_assert_eq(strncmp(p.out, "<!DOCTYPE html>", 15), 0);
    cr_assert_neq(strstr(p.out, "</html>\n"), NULL);
    cr_assert_neq(strstr(p.out, "a|b<br>c &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; "
                                "&amp; &quot;q&quot; \\ end"),
                  NULL, "%s", p.out);
    cr_assert_null(strstr(p.out, "<script>"));
    cr_assert_eq(count(p.out, "<tr>"), 1 + 93 + 6); /* heading, rows, document table */
    cr_assert_null(strstr(p.out, "http"), "HTML export must be self-contained");
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 0, (const char *const[]){"soa", "export", "--format", "json", NULL});
    cr_assert_eq(count(p.out, "\"position\": "), 93);
    cr_assert_neq(strstr(p.out,
                         "\"inclusion_justification\": \"a|b\\nc <script>alert('x')</script> & "
                         "\\\"q\\\" \\\\ end\""),
                  NULL, "%s", p.out);
    isms_test_proc_cleanup(&p);

    ctl(&p, port, 2, (const char *const[]){"soa", "export", "--format", "pdf", NULL});
    isms_test_proc_cleanup(&p);
    isms_test_finish();
}

/* ---- check, publish ------------------------------------------------------------------------- */

/* 1 when the check response has a finding (id, rule). */
static int has_finding(const Isms__V1__SoaCheckResponse *r, const char *id, const char *rule)
{
    for (size_t i = 0; i < r->n_findings; i++) {
        if (strcmp(r->findings[i]->control_id, id) == 0 && strcmp(r->findings[i]->rule, rule) == 0)
            return 1;
    }
    return 0;
}

Test(soa, check_finds_every_kind_of_inconsistency)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    struct isms_test_proc p;
    const Isms__V1__SoaCheckResponse *r;
    char want[64];
    long long risk;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    cr_assert_eq(check(fd, &rep), 0, "%s", rep.message);
    r = (const Isms__V1__SoaCheckResponse *)rep.body;
    cr_assert_not(r->ok);
    cr_assert_eq(r->controls, 93);
    cr_assert_eq(r->n_findings, 93, "a fresh SoA is all undecided");
    cr_assert(has_finding(r, "8.34", "undecided"));
    isms_test_reply_cleanup(&rep);

    make_consistent(fd);
    cr_assert_eq(check(fd, &rep), 0);
    cr_assert(((const Isms__V1__SoaCheckResponse *)rep.body)->ok);
    isms_test_reply_cleanup(&rep);

    set_record(fd, "5.1", NULL, "", "  ", NULL, NULL);
    set_record(fd, "5.2", "no", "", "", "not_applicable", NULL);
    set_record(fd, "5.3", "no", "", "no such process here", "not_applicable", NULL);
    risk = risk_selecting(&env, "5.3");
    set_record(fd, "5.4", NULL, NULL, NULL, "implemented", "");
    set_record(fd, "5.5", "undecided", NULL, NULL, NULL, NULL);
    set_record(fd, "5.6", NULL, NULL, NULL, "not_applicable", NULL);
    /* Set refuses an excluded control with a status; data from before 035 may have one. */
    {
        PGconn *pg = isms_test_pg_connect(env.db.conninfo);

        isms_test_pg_exec(pg, "UPDATE control SET applicable = 'no', reasons = '{}',"
                              " exclusion_justification = 'out of scope', status = 'implemented',"
                              " evidence = '{POL-7}', owner = 'admin', implementation = 'x'"
                              " WHERE id = '5.7'");
        isms_test_pg_close(pg);
    }

    cr_assert_eq(check(fd, &rep), 0);
    r = (const Isms__V1__SoaCheckResponse *)rep.body;
    cr_assert_not(r->ok);
    cr_assert(has_finding(r, "5.1", "applicable_without_justification"));
    cr_assert(has_finding(r, "5.2", "excluded_without_justification"));
    cr_assert(has_finding(r, "5.3", "risk_selected_but_excluded"));
    cr_assert(has_finding(r, "5.4", "implemented_without_evidence"));
    cr_assert(has_finding(r, "5.4", "implemented_without_owner"));
    cr_assert(has_finding(r, "5.4", "implemented_without_description"));
    cr_assert(has_finding(r, "5.5", "undecided"));
    cr_assert(has_finding(r, "5.6", "applicable_marked_not_applicable"));
    cr_assert(has_finding(r, "5.7", "excluded_but_implemented"));
    cr_assert(has_finding(r, "5.7", "justification_too_short"));
    cr_assert_eq(r->n_findings, 10, "%zu findings", r->n_findings);
    snprintf(want, sizeof(want), "R-%lld", risk);
    for (size_t i = 0; i < r->n_findings; i++) {
        cr_assert_neq(strstr(r->findings[i]->message, r->findings[i]->control_id), NULL);
        if (strcmp(r->findings[i]->control_id, "5.3") == 0)
            cr_assert_neq(strstr(r->findings[i]->message, want), NULL, "%s",
                          r->findings[i]->message);
    }
    /* catalogue order */
    cr_assert_str_eq(r->findings[0]->control_id, "5.1");
    cr_assert_str_eq(r->findings[9]->control_id, "5.7");
    isms_test_reply_cleanup(&rep);

    if (isms_test_ismsctl_path() != NULL) {
        ctl_login(env.srv.port);
        ctl(&p, env.srv.port, 6, (const char *const[]){"-o", "csv", "soa", "check", NULL});
        cr_assert_eq(count(p.out, "\r\n"), 1 + 10, "%s", p.out);
        cr_assert_neq(strstr(p.out, "5.3,risk_selected_but_excluded,"), NULL, "%s", p.out);
        cr_assert_neq(strstr(p.err, "FAILED_PRECONDITION"), NULL, "%s", p.err);
        cr_assert_neq(strstr(p.err, "10 inconsistencies"), NULL, "%s", p.err);
        isms_test_proc_cleanup(&p);
    }
    isms_test_finish();
}

Test(soa, publish_refused_while_inconsistent_then_versions_show_diff)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    struct isms_test_proc p;
    struct rows r;
    const Isms__V1__SoaVersion *v;
    const Isms__V1__SoaDiffResponse *d;
    PGconn *pg;
    PGresult *res;
    int fd, port;

    isms_test_env_start(&env, NULL);
    port = env.srv.port;
    fd = isms_test_connect(port);
    publish(fd, "", &rep);
    isms_test_expect(&rep, 9, "93 inconsistencies", "publish undecided SoA");
    isms_test_reply_cleanup(&rep);

    make_consistent(fd);
    set_record(fd, "8.7", NULL, NULL, NULL, "implemented", "");
    publish(fd, "", &rep);
    isms_test_expect(&rep, 9, "8.7: implemented but no evidence", "publish with one finding");
    isms_test_reply_cleanup(&rep);
    set_record(fd, "8.7", NULL, NULL, NULL, NULL, "POL-87");
    publish(fd, "", &rep);
    isms_test_expect(&rep, 9, "8.7: implemented but has no owner", "publish without owner");
    isms_test_reply_cleanup(&rep);
    set_impl(fd, "8.7", ISMS_TEST_ADMIN_USER, "EDR on every laptop");

    cr_assert_eq(publish(fd, "", &rep), 0, "%s", rep.message);
    v = (const Isms__V1__SoaVersion *)rep.body;
    cr_assert_eq(v->number, 1);
    cr_assert(!v->approved);
    cr_assert_str_eq(v->approved_by, "");
    cr_assert_str_eq(v->approved_at, "");
    cr_assert_str_eq(v->published_by, ISMS_TEST_ADMIN_USER);
    cr_assert_eq(v->controls, 93);
    cr_assert_eq(v->applicable, 93);
    cr_assert_eq(v->implemented, 1);
    cr_assert_eq(strlen(v->published_at), 20, "%s", v->published_at);
    isms_test_reply_cleanup(&rep);
    /* nothing changed: no second version */
    publish(fd, "", &rep);
    isms_test_expect(&rep, 9, "identical to published version 1", "publish unchanged SoA");
    isms_test_reply_cleanup(&rep);
    set_record(fd, "6.2", NULL, NULL, NULL, NULL, "POL-62");
    cr_assert_eq(publish(fd, "", &rep), 0, "%s", rep.message);
    cr_assert_eq(((const Isms__V1__SoaVersion *)rep.body)->number, 2);
    isms_test_reply_cleanup(&rep);

    /* change the working state: 8.8 implemented, 5.9 excluded, a custom control added */
    set_record(fd, "8.8", NULL, NULL, NULL, "implemented", "https://scanner.example.org/r/1");
    set_impl(fd, "8.8", ISMS_TEST_ADMIN_USER, "weekly authenticated scans");
    set_record(fd, "5.9", "no", "", "no assets of that kind", "not_applicable", NULL);
    create_custom(fd, "ACME-1", "Customer data segregation");
    set_record(fd, "ACME-1", "yes", "contractual", NULL, "not_started", NULL);
    cr_assert_eq(publish(fd, "", &rep), 0, "%s", rep.message);
    cr_assert_eq(((const Isms__V1__SoaVersion *)rep.body)->number, 3);
    cr_assert_eq(((const Isms__V1__SoaVersion *)rep.body)->controls, 94);
    isms_test_reply_cleanup(&rep);

    cr_assert_eq(diff(fd, 1, 2, &rep), 0, "%s", rep.message);
    cr_assert_eq(((const Isms__V1__SoaDiffResponse *)rep.body)->n_changes, 1);
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(diff(fd, 2, 3, &rep), 0, "%s", rep.message);
    d = (const Isms__V1__SoaDiffResponse *)rep.body;
    cr_assert_eq(d->changed, 2);
    cr_assert_eq(d->added, 1);
    cr_assert_eq(d->removed, 0);
    cr_assert_eq(d->n_changes, 3);
    cr_assert_str_eq(d->changes[0]->control_id, "5.9"); /* catalogue order */
    cr_assert_str_eq(d->changes[0]->change, "changed");
    cr_assert_eq(d->changes[0]->n_fields, 4, "5.9 fields: %zu", d->changes[0]->n_fields);
    cr_assert_str_eq(d->changes[0]->fields[0]->field, "applicable");
    cr_assert_str_eq(d->changes[0]->fields[0]->before, "yes");
    cr_assert_str_eq(d->changes[0]->fields[0]->after, "no");
    cr_assert_str_eq(d->changes[0]->fields[1]->field, "reasons");
    cr_assert_str_eq(d->changes[0]->fields[1]->before, "best_practice");
    cr_assert_str_eq(d->changes[0]->fields[1]->after, "");
    cr_assert_str_eq(d->changes[0]->fields[2]->field, "status");
    cr_assert_str_eq(d->changes[0]->fields[3]->field, "exclusion_justification");
    cr_assert_str_eq(d->changes[0]->fields[3]->after, "no assets of that kind");
    cr_assert_str_eq(d->changes[1]->control_id, "8.8");
    cr_assert_eq(d->changes[1]->n_fields, 4);
    cr_assert_str_eq(d->changes[1]->fields[0]->field, "status");
    cr_assert_str_eq(d->changes[1]->fields[1]->field, "owner");
    cr_assert_str_eq(d->changes[1]->fields[2]->field, "implementation");
    cr_assert_str_eq(d->changes[1]->fields[3]->field, "evidence");
    cr_assert_str_eq(d->changes[1]->fields[3]->after, "https://scanner.example.org/r/1");
    cr_assert_str_eq(d->changes[2]->control_id, "ACME-1");
    cr_assert_str_eq(d->changes[2]->change, "added");
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(diff(fd, 3, 2, &rep), 0);
    cr_assert_eq(((const Isms__V1__SoaDiffResponse *)rep.body)->removed, 1);
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(diff(fd, 3, 0, &rep), 0);
    cr_assert_eq(((const Isms__V1__SoaDiffResponse *)rep.body)->n_changes, 0);
    isms_test_reply_cleanup(&rep);
    set_record(fd, "6.3", NULL, NULL, NULL, NULL, "POL-63");
    cr_assert_eq(diff(fd, 3, 0, &rep), 0);
    cr_assert_eq(((const Isms__V1__SoaDiffResponse *)rep.body)->changed, 1);
    isms_test_reply_cleanup(&rep);
    diff(fd, 1, 9, &rep);
    isms_test_expect(&rep, 5, "version 9 does not exist", "diff unknown");
    isms_test_reply_cleanup(&rep);

    /* a published version keeps its rows */
    export_rows(fd, 1, &r);
    cr_assert_eq(r.code, 0, "%s", r.message);
    cr_assert_eq(r.n, 93);
    cr_assert_str_eq(r.items[66]->id, "8.8");
    cr_assert_str_eq(r.items[66]->status, "not_started");
    rows_free(&r);
    export_rows(fd, 7, &r);
    cr_assert_eq(r.code, 5, "%s", r.message);
    rows_free(&r);

    pg = isms_test_pg_connect(env.db.conninfo);
    res = PQexec(pg, "UPDATE soa_version_row SET status = 'implemented' WHERE version_num = 1");
    cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "published rows were changed");
    PQclear(res);
    res = PQexec(pg, "DELETE FROM soa_version WHERE num = 1");
    cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "a published version was deleted");
    PQclear(res);
    cr_assert_eq(isms_test_pg_scalar(pg,
                                     "SELECT count(*) FROM audit_log WHERE method = "
                                     "'/isms.v1.Soa/Publish' AND entity LIKE 'soa:v%'",
                                     0, NULL),
                 3);
    isms_test_pg_close(pg);

    if (isms_test_ismsctl_path() != NULL) {
        ctl_login(port);
        ctl(&p, port, 0, (const char *const[]){"-o", "csv", "soa", "versions", NULL});
        cr_assert_eq(count(p.out, "\r\n"), 4, "%s", p.out);
        cr_assert_neq(strstr(p.out, "3,not approved,,,admin,"), NULL, "%s", p.out);
        isms_test_proc_cleanup(&p);
        ctl(&p, port, 0,
            (const char *const[]){"-o", "json", "soa", "show", "--version", "1", NULL});
        cr_assert_neq(strstr(p.out, "\"approval\": \"not approved\""), NULL, "%s", p.out);
        cr_assert_eq(count(p.out, "\"position\": "), 93);
        isms_test_proc_cleanup(&p);
        ctl(&p, port, 0, (const char *const[]){"-o", "csv", "soa", "diff", "2", "3", NULL});
        cr_assert_neq(strstr(p.out, "8.8,changed,"), NULL, "%s", p.out);
        cr_assert_neq(strstr(p.out, "ACME-1,added,"), NULL, "%s", p.out);
        cr_assert_eq(count(p.out, "\r\n"), 1 + 4 + 4 + 1, "%s", p.out);
        isms_test_proc_cleanup(&p);
        ctl(&p, port, 0,
            (const char *const[]){"soa", "export", "--format", "md", "--version", "1", NULL});
        cr_assert_neq(strstr(p.out, "| Document | SOA-v1 |\n"), NULL, "%s", p.out);
        cr_assert_neq(strstr(p.out, "| Version | 1 |\n"), NULL, "%s", p.out);
        cr_assert_neq(strstr(p.out, "| Approval | published by admin at 20"), NULL, "%s", p.out);
        cr_assert_neq(strstr(p.out, ", not approved |\n"), NULL, "%s", p.out);
        cr_assert_null(strstr(p.out, "generated"), "%s", p.out);
        isms_test_proc_cleanup(&p);
        ctl(&p, port, 4, (const char *const[]){"soa", "show", "--version", "9", NULL});
        isms_test_proc_cleanup(&p);
        ctl(&p, port, 0, (const char *const[]){"-o", "json", "soa", "publish", NULL});
        cr_assert_neq(strstr(p.out, "\"number\": 4"), NULL, "%s", p.out);
        isms_test_proc_cleanup(&p);
    }
    isms_test_finish();
}

/* ---- summary -------------------------------------------------------------------------------- */

Test(soa, summary_counts_and_percentages_per_theme)
{
    struct isms_test_env env;
    struct isms_test_reply rep;
    struct isms_test_proc p;
    const Isms__V1__SoaSummaryResponse *s;
    int fd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    /* Organizational: 10 implemented, 27 planned; People: excluded; Physical: 7 implemented,
     * 7 partially; Technological: undecided except 8.1 planned and 8.2 not started */
    for (int k = 0; k < 37; k++) {
        char id[8];

        annex_id(k, id, sizeof(id));
        set_record(fd, id, "yes", "legal", NULL, k < 10 ? "implemented" : "planned",
                   k < 10 ? "POL-1" : NULL);
    }
    for (int k = 37; k < 45; k++) {
        char id[8];

        annex_id(k, id, sizeof(id));
        set_record(fd, id, "no", NULL, "no staff", "not_applicable", NULL);
    }
    for (int k = 45; k < 59; k++) {
        char id[8];

        annex_id(k, id, sizeof(id));
        set_record(fd, id, "yes", "risk_treatment", NULL,
                   k < 52 ? "implemented" : "partially_implemented", k < 52 ? "POL-2" : NULL);
    }
    set_record(fd, "8.1", "yes", "best_practice", NULL, "planned", NULL);
    set_record(fd, "8.2", "yes", "best_practice", NULL, NULL, NULL);

    cr_assert_eq(summary(fd, 0, &rep), 0, "%s", rep.message);
    s = (const Isms__V1__SoaSummaryResponse *)rep.body;
    cr_assert_eq(s->n_themes, 4);
    cr_assert_str_eq(s->themes[0]->theme, "Organizational");
    cr_assert_eq(s->themes[0]->total, 37);
    cr_assert_eq(s->themes[0]->applicable, 37);
    cr_assert_eq(s->themes[0]->implemented, 10);
    cr_assert_eq(s->themes[0]->planned, 27);
    cr_assert_float_eq(s->themes[0]->percent_implemented, 27.0, 1e-9);
    cr_assert_str_eq(s->themes[1]->theme, "People");
    cr_assert_eq(s->themes[1]->applicable, 0);
    cr_assert_eq(s->themes[1]->excluded, 8);
    cr_assert_float_eq(s->themes[1]->percent_implemented, 0.0, 1e-9);
    cr_assert_str_eq(s->themes[2]->theme, "Physical");
    cr_assert_eq(s->themes[2]->implemented, 7);
    cr_assert_eq(s->themes[2]->planned, 7);
    cr_assert_float_eq(s->themes[2]->percent_implemented, 50.0, 1e-9);
    cr_assert_str_eq(s->themes[3]->theme, "Technological");
    cr_assert_eq(s->themes[3]->applicable, 2);
    cr_assert_eq(s->themes[3]->undecided, 32);
    cr_assert_eq(s->themes[3]->planned, 2);
    cr_assert_str_eq(s->total->theme, "Total");
    cr_assert_eq(s->total->total, 93);
    cr_assert_eq(s->total->applicable, 53);
    cr_assert_eq(s->total->excluded, 8);
    cr_assert_eq(s->total->undecided, 32);
    cr_assert_eq(s->total->implemented, 17);
    cr_assert_eq(s->total->planned, 36);
    cr_assert_float_eq(s->total->percent_implemented, 32.1, 1e-9);             /* 17 / 53 */
    cr_assert_float_eq(s->total->percent_implemented_of_in_scope, 20.0, 1e-9); /* 17 / 85 */
    isms_test_reply_cleanup(&rep);

    summary(fd, 4, &rep);
    isms_test_expect(&rep, 5, "version 4 does not exist", "summary of unknown version");
    isms_test_reply_cleanup(&rep);
    summary(fd, -1, &rep);
    isms_test_expect(&rep, 3, "version must be", "negative version");
    isms_test_reply_cleanup(&rep);

    if (isms_test_ismsctl_path() != NULL) {
        ctl_login(env.srv.port);
        ctl(&p, env.srv.port, 0, (const char *const[]){"-o", "csv", "soa", "summary", NULL});
        cr_assert_neq(strstr(p.out, "Organizational,37,37,0,0,10,27,27.0,27.0\r\n"), NULL, "%s",
                      p.out);
        /* 17 of the 85 not excluded; of the applicable only once nothing is undecided */
        cr_assert_neq(strstr(p.out, "Total,93,53,8,32,17,36,20.0,n/a (32 undecided)\r\n"), NULL,
                      "%s", p.out);
        isms_test_proc_cleanup(&p);
        ctl(&p, env.srv.port, 0, (const char *const[]){"soa", "summary", NULL});
        cr_assert_neq(strstr(p.out, "Physical"), NULL, "%s", p.out);
        cr_assert_neq(strstr(p.out, "50.0"), NULL, "%s", p.out);
        isms_test_proc_cleanup(&p);
    }
    isms_test_finish();
}

/* ---- roles, bad input ----------------------------------------------------------------------- */

Test(soa, viewer_reads_but_cannot_publish_and_bad_input_is_refused)
{
    struct isms_test_env env;
    Isms__V1__SoaShowRequest show = ISMS__V1__SOA_SHOW_REQUEST__INIT;
    Isms__V1__SoaVersionsRequest vreq = ISMS__V1__SOA_VERSIONS_REQUEST__INIT;
    static const char meta[] = "Board'); DROP TABLE soa_version; --";
    struct isms_test_reply rep;
    struct rows r;
    char token[256];
    int fd, vfd;

    isms_test_env_start(&env, NULL);
    fd = isms_test_connect(env.srv.port);
    publish(fd, "CEO Jane", &rep);
    isms_test_expect(&rep, 3, "approved_by is no longer taken", "free-text approver");
    isms_test_reply_cleanup(&rep);
    show.version = 0;
    isms_test_unary(fd, M_SHOW, &show.base, 0, &isms__v1__soa_version__descriptor, &rep);
    isms_test_expect(&rep, 3, "published version number", "show 0");
    isms_test_reply_cleanup(&rep);
    show.version = 5;
    isms_test_unary(fd, M_SHOW, &show.base, 0, &isms__v1__soa_version__descriptor, &rep);
    isms_test_expect(&rep, 5, "version 5 does not exist", "show 5");
    isms_test_reply_cleanup(&rep);

    /* a version published before schema 030 keeps its free-text approver, which is not an
     * approval */
    {
        PGconn *pg = isms_test_pg_connect(env.db.conninfo);
        const char *pv[1] = {meta};

        isms_test_pg_scalar(pg,
                            "INSERT INTO soa_version (num, approved_by, published_by, row_count) "
                            "VALUES (1, $1, 'admin', 0) RETURNING num",
                            1, pv);
        isms_test_pg_close(pg);
    }
    show.version = 1;
    cr_assert_eq(
        isms_test_unary(fd, M_SHOW, &show.base, 0, &isms__v1__soa_version__descriptor, &rep), 0);
    cr_assert_str_eq(((const Isms__V1__SoaVersion *)rep.body)->legacy_approved_by, meta);
    cr_assert_str_eq(((const Isms__V1__SoaVersion *)rep.body)->approved_by, "");
    cr_assert(!((const Isms__V1__SoaVersion *)rep.body)->approved);
    isms_test_reply_cleanup(&rep);
    make_consistent(fd);

    isms_test_user_create(fd, "vic", "viewer", "viewer-password-long-enough");
    cr_assert_eq(
        isms_test_login(env.srv.port, "vic", "viewer-password-long-enough", token, sizeof(token)),
        0);
    isms_test_set_token(token);
    vfd = isms_test_connect(env.srv.port);
    export_rows(vfd, 0, &r);
    cr_assert_eq(r.code, 0, "%s", r.message);
    cr_assert_eq(r.n, 93);
    rows_free(&r);
    cr_assert_eq(check(vfd, &rep), 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(summary(vfd, 1, &rep), 0, "%s", rep.message);
    isms_test_reply_cleanup(&rep);
    cr_assert_eq(isms_test_unary(vfd, M_VERS, &vreq.base, 0,
                                 &isms__v1__soa_versions_response__descriptor, &rep),
                 0);
    cr_assert_eq(((const Isms__V1__SoaVersionsResponse *)rep.body)->n_versions, 1);
    isms_test_reply_cleanup(&rep);
    publish(vfd, "", &rep);
    isms_test_expect(&rep, 7, NULL, "viewer publish");
    isms_test_reply_cleanup(&rep);
    isms_test_finish();
}
