/* domain/plan/control_rules.c — checks on control input before any SQL. The vocabularies here
 * (themes, ISO/IEC 27002 attribute values, statuses, reasons) match the CHECK constraints and the
 * seed of schema/011_controls.sql. */
#include "domain/plan/control_rules.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/text.h"
#include "domain/plan/risk_rules.h"

static const char *const APPLICABLE_NAMES[] = {"undecided", "yes", "no"};

static const char *const STATUS_NAMES[] = {
    "not_started", "planned", "partially_implemented", "implemented", "not_applicable",
};

static const char *const REASON_NAMES[ISMS_REASON_COUNT] = {
    "legal", "contractual", "business_requirement", "risk_treatment", "best_practice",
};

static const char *const THEMES[] = {
    "Organizational", "People", "Physical", "Technological", "Custom",
};

/* One ISO/IEC 27002:2022 attribute: its field, the short keys users type, and its values. */
struct attr_set {
    const char *field;
    const char *keys[3];
    const char *values[16];
};

static const struct attr_set ATTRS[] = {
    {"control_type", {"type", "types", NULL}, {"Preventive", "Detective", "Corrective", NULL}},
    {"security_properties",
     {"property", "properties", NULL},
     {"Confidentiality", "Integrity", "Availability", NULL}},
    {"cybersecurity_concepts",
     {"concept", "concepts", NULL},
     {"Identify", "Protect", "Detect", "Respond", "Recover", NULL}},
    {"operational_capabilities",
     {"capability", "capabilities", NULL},
     {"Governance", "Asset_management", "Information_protection", "Human_resource_security",
      "Physical_security", "System_and_network_security", "Application_security",
      "Secure_configuration", "Identity_and_access_management",
      "Threat_and_vulnerability_management", "Continuity", "Supplier_relationships_security",
      "Legal_and_compliance", "Information_security_event_management",
      "Information_security_assurance", NULL}},
    {"security_domains",
     {"domain", "domains", NULL},
     {"Governance_and_Ecosystem", "Protection", "Defence", "Resilience", NULL}},
};
#define NATTRS (sizeof(ATTRS) / sizeof(ATTRS[0]))

/* Compares `s` with `name` ignoring case and treating ' ' and '-' in `s` as '_'. */
static int name_eq(const char *s, const char *name)
{
    for (; *s != '\0' && *name != '\0'; s++, name++) {
        char c = (*s == ' ' || *s == '-') ? '_' : *s;

        if (tolower((unsigned char)c) != tolower((unsigned char)*name))
            return 0;
    }
    return *s == '\0' && *name == '\0';
}

const char *isms_applicable_name(enum isms_applicable a)
{
    return (unsigned)a < 3 ? APPLICABLE_NAMES[a] : "undecided";
}

int isms_applicable_parse(const char *s, enum isms_applicable *out)
{
    for (unsigned i = 0; s != NULL && i < 3; i++) {
        if (strcasecmp(s, APPLICABLE_NAMES[i]) == 0) {
            *out = (enum isms_applicable)i;
            return 1;
        }
    }
    return 0;
}

const char *isms_impl_status_name(enum isms_impl_status s)
{
    return (unsigned)s < 5 ? STATUS_NAMES[s] : "not_started";
}

int isms_impl_status_parse(const char *s, enum isms_impl_status *out)
{
    for (unsigned i = 0; s != NULL && i < 5; i++) {
        if (name_eq(s, STATUS_NAMES[i])) {
            *out = (enum isms_impl_status)i;
            return 1;
        }
    }
    return 0;
}

const char *isms_reason_name(unsigned i)
{
    return i < ISMS_REASON_COUNT ? REASON_NAMES[i] : "";
}

enum isms_code isms_reasons_parse(char *const *names, size_t n, unsigned *mask,
                                  struct isms_status *st)
{
    *mask = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned i;

        if (isms_text_check("reason", names[k], 40, 1, st) != ISMS_OK)
            return st->code;
        for (i = 0; i < ISMS_REASON_COUNT && !name_eq(names[k], REASON_NAMES[i]); i++)
            ;
        if (i == ISMS_REASON_COUNT)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "reason \"%s\" is not one of legal, contractual, "
                                   "business_requirement, risk_treatment, best_practice",
                                   names[k]);
        *mask |= 1u << i;
    }
    return ISMS_OK;
}

void isms_reasons_join(unsigned mask, char *out, size_t outlen)
{
    size_t len = 0;

    if (outlen == 0)
        return;
    out[0] = '\0';
    for (unsigned i = 0; i < ISMS_REASON_COUNT; i++) {
        int w;

        if (!(mask & (1u << i)))
            continue;
        w = snprintf(out + len, outlen - len, "%s%s", len > 0 ? "\x1f" : "", REASON_NAMES[i]);
        if (w < 0 || (size_t)w >= outlen - len)
            return;
        len += (size_t)w;
    }
}

const char *isms_control_theme(const char *s)
{
    for (size_t i = 0; s != NULL && i < sizeof(THEMES) / sizeof(THEMES[0]); i++) {
        if (strcasecmp(s, THEMES[i]) == 0)
            return THEMES[i];
    }
    return NULL;
}

/* Skips one run of digits; NULL if there is none. Leading zeros are not numbers we issue. */
static const char *digits(const char *p)
{
    if (!isdigit((unsigned char)*p))
        return NULL;
    while (isdigit((unsigned char)*p))
        p++;
    return p;
}

int isms_control_is_annex_a_id(const char *s)
{
    if (s == NULL || s[0] < '5' || s[0] > '8' || s[1] != '.')
        return 0;
    s = digits(s + 2);
    return s != NULL && *s == '\0';
}

int isms_control_looks_like_annex_a(const char *s)
{
    int parts = 0;

    if (s == NULL)
        return 0;
    if ((s[0] == 'A' || s[0] == 'a') && s[1] == '.')
        s += 2;
    for (;;) {
        s = digits(s);
        if (s == NULL)
            return 0;
        parts++;
        if (*s == '\0')
            return parts >= 2;
        if (*s != '.')
            return 0;
        s++;
    }
}

enum isms_code isms_control_lookup_id(const char *id, const char **out, struct isms_status *st)
{
    if (isms_text_check("control id", id, ISMS_CONTROL_ID_MAX, 1, st) != ISMS_OK)
        return st->code;
    *out = id;
    if ((id[0] == 'A' || id[0] == 'a') && id[1] == '.' && isms_control_is_annex_a_id(id + 2))
        *out = id + 2;
    return ISMS_OK;
}

enum isms_code isms_control_check_custom_id(const char *id, struct isms_status *st)
{
    if (isms_text_check("custom control id", id, ISMS_CONTROL_ID_MAX, 1, st) != ISMS_OK)
        return st->code;
    if (!isalnum((unsigned char)id[0]))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "custom control id \"%.64s\" must start with a letter or digit", id);
    for (const char *p = id; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && strchr("._-:/", *p) == NULL)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "custom control id \"%.64s\" may hold only letters, digits "
                                   "and . _ - : /",
                                   id);
    }
    if (isms_control_looks_like_annex_a(id))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "custom control id \"%.64s\" looks like an Annex A id; choose an id "
                               "of your own such as CUST-1 or PCI-3.4",
                               id);
    return ISMS_OK;
}

static int has_prefix_nocase(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

enum isms_code isms_control_check_evidence(const char *e, struct isms_status *st)
{
    size_t n;
    const char *sep;

    if (isms_text_check("evidence", e, ISMS_CONTROL_EVIDENCE_MAX, 1, st) != ISMS_OK)
        return st->code;
    n = strlen(e);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)e[i];

        if (c < 0x20 || c == 0x7f)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "evidence \"%.60s\" holds a control character", e);
    }
    if (isspace((unsigned char)e[0]) || isspace((unsigned char)e[n - 1]))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "evidence \"%.60s\" starts or ends with a space", e);
    if (has_prefix_nocase(e, "sha256:")) {
        const char *h = e + 7;
        size_t k = 0;

        while (isxdigit((unsigned char)h[k]))
            k++;
        if (k != 64 || h[k] != '\0')
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "evidence \"%.60s\" is not a file hash sha256:<64 hex digits>",
                                   e);
        return ISMS_OK;
    }
    sep = strstr(e, "://");
    if (sep != NULL) {
        const char *host = sep + 3;

        if (!(sep - e == 4 && has_prefix_nocase(e, "http")) &&
            !(sep - e == 5 && has_prefix_nocase(e, "https")))
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "evidence URL \"%.60s\" must use http or https", e);
        if (*host == '\0' || strchr("/?#:@", *host) != NULL)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "evidence URL \"%.60s\" has no host",
                                   e);
        if (strpbrk(e, " \t<>\"") != NULL)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "evidence URL \"%.60s\" holds a space, quote or angle bracket",
                                   e);
    }
    return ISMS_OK;
}

enum isms_code isms_control_check_evidence_list(char *const *items, size_t n, const char *field,
                                                struct isms_status *st)
{
    if (n > ISMS_CONTROL_EVIDENCE_COUNT_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "%s: at most %d evidence references, got %zu", field,
                               ISMS_CONTROL_EVIDENCE_COUNT_MAX, n);
    for (size_t i = 0; i < n; i++) {
        if (isms_control_check_evidence(items[i], st) != ISMS_OK)
            return st->code;
        for (size_t k = 0; k < i; k++) {
            if (strcmp(items[k], items[i]) == 0)
                return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                       "%s: evidence \"%.60s\" is given twice", field, items[i]);
        }
    }
    return ISMS_OK;
}

/* Finds the attribute set a filter key names. */
static const struct attr_set *attr_by_key(const char *key, size_t len)
{
    for (size_t i = 0; i < NATTRS; i++) {
        if (strlen(ATTRS[i].field) == len && strncasecmp(key, ATTRS[i].field, len) == 0)
            return &ATTRS[i];
        for (size_t k = 0; ATTRS[i].keys[k] != NULL; k++) {
            if (strlen(ATTRS[i].keys[k]) == len && strncasecmp(key, ATTRS[i].keys[k], len) == 0)
                return &ATTRS[i];
        }
    }
    return NULL;
}

enum isms_code isms_control_attr_filter(const char *in, char *out, size_t outlen,
                                        struct isms_status *st)
{
    const char *eq, *value;
    const struct attr_set *a;

    if (isms_text_check("attribute filter", in, 100, 1, st) != ISMS_OK)
        return st->code;
    eq = strchr(in, '=');
    if (eq == NULL)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "attribute filter \"%s\" is not key=value (e.g. concept=Detect)",
                               in);
    a = attr_by_key(in, (size_t)(eq - in));
    if (a == NULL)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "attribute \"%.*s\" is not one of type, property, concept, "
                               "capability, domain",
                               (int)(eq - in > 40 ? 40 : eq - in), in);
    value = eq + 1;
    if (value[0] == '#')
        value++;
    for (size_t k = 0; a->values[k] != NULL; k++) {
        if (name_eq(value, a->values[k])) {
            snprintf(out, outlen, "%s=%s", a->field, a->values[k]);
            return ISMS_OK;
        }
    }
    {
        char allowed[200];
        size_t len = 0;

        allowed[0] = '\0';
        for (size_t k = 0; a->values[k] != NULL && len < sizeof(allowed); k++) {
            int w = snprintf(allowed + len, sizeof(allowed) - len, "%s%s", k > 0 ? ", " : "",
                             a->values[k]);

            if (w < 0)
                break;
            len += (size_t)w;
        }
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s value \"%.40s\" is not one of %s",
                               a->field, value, allowed);
    }
}

enum isms_code isms_control_check_set(const Isms__V1__SetControlRequest *in,
                                      struct isms_control_set_norm *out, struct isms_status *st)
{
    const char *id;
    enum isms_applicable a;
    enum isms_impl_status s;

    memset(out, 0, sizeof(*out));
    if (isms_control_lookup_id(in->id, &id, st) != ISMS_OK)
        return st->code;
    if (in->expected_version < 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "expected_version must not be negative, got %lld",
                               (long long)in->expected_version);
    if (!in->set_applicable && !in->set_reasons && !in->set_justification && !in->set_status &&
        !in->set_owner && !in->set_implementation && !in->set_evidence && in->n_add_evidence == 0 &&
        in->n_remove_evidence == 0 && !in->set_title && !in->set_source && !in->set_description &&
        !in->set_inclusion_justification && !in->set_exclusion_justification &&
        !in->set_target_date)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "nothing to change: set applicability, reasons, justification, "
                               "status, owner, implementation, evidence or target date");
    if (in->set_justification &&
        (in->set_inclusion_justification || in->set_exclusion_justification))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "give justification or inclusion_justification / "
                               "exclusion_justification, not both");
    if (in->set_applicable) {
        if (isms_text_check("applicable", in->applicable, 20, 1, st) != ISMS_OK)
            return st->code;
        if (!isms_applicable_parse(in->applicable, &a))
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "applicable must be yes, no or undecided, got \"%s\"",
                                   in->applicable);
        out->applicable = isms_applicable_name(a);
    }
    if (in->set_reasons &&
        isms_reasons_parse(in->reasons, in->n_reasons, &out->reasons, st) != ISMS_OK)
        return st->code;
    if (in->set_status) {
        if (isms_text_check("status", in->status, 40, 1, st) != ISMS_OK)
            return st->code;
        if (!isms_impl_status_parse(in->status, &s))
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "status must be not_started, planned, partially_implemented, "
                                   "implemented or not_applicable, got \"%s\"",
                                   in->status);
        out->status = isms_impl_status_name(s);
    }
    if ((in->set_justification && isms_text_check("justification", in->justification,
                                                  ISMS_CONTROL_TEXT_MAX, 0, st) != ISMS_OK) ||
        (in->set_inclusion_justification &&
         isms_text_check("inclusion_justification", in->inclusion_justification,
                         ISMS_CONTROL_TEXT_MAX, 0, st) != ISMS_OK) ||
        (in->set_exclusion_justification &&
         isms_text_check("exclusion_justification", in->exclusion_justification,
                         ISMS_CONTROL_TEXT_MAX, 0, st) != ISMS_OK) ||
        (in->set_target_date &&
         isms_plan_date_check("target_date", in->target_date, st) != ISMS_OK) ||
        (in->set_owner &&
         isms_text_check("owner", in->owner, ISMS_CONTROL_OWNER_MAX, 0, st) != ISMS_OK) ||
        (in->set_implementation &&
         isms_text_check("implementation", in->implementation, ISMS_CONTROL_IMPLEMENTATION_MAX, 0,
                         st) != ISMS_OK) ||
        (in->set_title &&
         isms_text_check("title", in->title, ISMS_CONTROL_TITLE_MAX, 1, st) != ISMS_OK) ||
        (in->set_source &&
         isms_text_check("source", in->source, ISMS_CONTROL_SOURCE_MAX, 1, st) != ISMS_OK) ||
        (in->set_description &&
         isms_text_check("description", in->description, ISMS_CONTROL_TEXT_MAX, 0, st) != ISMS_OK))
        return st->code;
    if (in->set_evidence && (in->n_add_evidence > 0 || in->n_remove_evidence > 0))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "give either the whole evidence list or evidence to add and "
                               "remove, not both");
    if (in->set_evidence &&
        isms_control_check_evidence_list(in->evidence, in->n_evidence, "evidence", st) != ISMS_OK)
        return st->code;
    if (isms_control_check_evidence_list(in->add_evidence, in->n_add_evidence, "add_evidence",
                                         st) != ISMS_OK)
        return st->code;
    for (size_t i = 0; i < in->n_remove_evidence; i++) {
        if (isms_text_check("remove_evidence", in->remove_evidence[i], ISMS_CONTROL_EVIDENCE_MAX, 1,
                            st) != ISMS_OK)
            return st->code;
    }
    return ISMS_OK;
}

enum isms_code isms_control_check_create(const Isms__V1__CreateCustomControlRequest *in,
                                         struct isms_status *st)
{
    if (isms_control_check_custom_id(in->id, st) != ISMS_OK ||
        isms_text_check("title", in->title, ISMS_CONTROL_TITLE_MAX, 1, st) != ISMS_OK ||
        isms_text_check("source", in->source, ISMS_CONTROL_SOURCE_MAX, 1, st) != ISMS_OK ||
        isms_text_check("description", in->description, ISMS_CONTROL_TEXT_MAX, 0, st) != ISMS_OK)
        return st->code;
    return ISMS_OK;
}

char *isms_control_join(struct isms_arena *a, char *const *items, size_t n)
{
    size_t len = 1;
    char *out, *p;

    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + 1;
    out = isms_arena_alloc(a, len);
    if (out == NULL)
        return NULL;
    p = out;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(items[i]);

        if (i > 0)
            *p++ = ISMS_CONTROL_SEP;
        memcpy(p, items[i], k);
        p += k;
    }
    *p = '\0';
    return out;
}

int isms_control_split(struct isms_arena *a, const char *s, char ***items, size_t *n)
{
    size_t count = 1, k = 0;
    char *copy;

    *items = NULL;
    *n = 0;
    if (s == NULL || s[0] == '\0')
        return 1;
    for (const char *p = s; *p != '\0'; p++)
        count += *p == ISMS_CONTROL_SEP;
    copy = isms_arena_strdup(a, s);
    *items = isms_arena_calloc(a, sizeof(**items) * count);
    if (copy == NULL || *items == NULL)
        return 0;
    (*items)[k++] = copy;
    for (char *p = copy; *p != '\0'; p++) {
        if (*p == ISMS_CONTROL_SEP) {
            *p = '\0';
            (*items)[k++] = p + 1;
        }
    }
    *n = k;
    return 1;
}

/* Prefixes st->msg with "row N: " (keeping the code). */
static enum isms_code row_fail(int32_t row, struct isms_status *st)
{
    char msg[sizeof(st->msg)];

    snprintf(msg, sizeof(msg), "%s", st->msg);
    return isms_status_set(st, st->code, "row %d: %s", (int)row, msg);
}

enum isms_code isms_control_check_import_row(const Isms__V1__ImportControlRow *in,
                                             struct isms_control_import_norm *out,
                                             struct isms_status *st)
{
    enum isms_applicable a;
    enum isms_impl_status s = ISMS_IMPL_NOT_STARTED;
    const char *what = NULL;

    memset(out, 0, sizeof(*out));
    if (isms_control_lookup_id(in->id, &out->id, st) != ISMS_OK)
        return row_fail(in->row, st);
    if (!isms_applicable_parse(in->applicable, &a)) {
        isms_status_set(st, ISMS_INVALID_ARGUMENT,
                        "control %.64s: applicable must be yes, no or undecided, got \"%.40s\"",
                        out->id, in->applicable);
        return row_fail(in->row, st);
    }
    out->applicable = isms_applicable_name(a);
    if (in->status[0] != '\0' && !isms_impl_status_parse(in->status, &s)) {
        isms_status_set(st, ISMS_INVALID_ARGUMENT,
                        "control %.64s: status must be not_started, planned, "
                        "partially_implemented, implemented or not_applicable, got \"%.40s\"",
                        out->id, in->status);
        return row_fail(in->row, st);
    }
    if (in->status[0] == '\0' && a == ISMS_APPLICABLE_NO)
        s = ISMS_IMPL_NOT_APPLICABLE;
    out->status = isms_impl_status_name(s);
    if (isms_reasons_parse(in->reasons, in->n_reasons, &out->reasons, st) != ISMS_OK ||
        isms_text_check("inclusion_justification", in->inclusion_justification,
                        ISMS_CONTROL_TEXT_MAX, 0, st) != ISMS_OK ||
        isms_text_check("exclusion_justification", in->exclusion_justification,
                        ISMS_CONTROL_TEXT_MAX, 0, st) != ISMS_OK ||
        isms_text_check("owner", in->owner, ISMS_CONTROL_OWNER_MAX, 0, st) != ISMS_OK ||
        isms_text_check("implementation", in->implementation, ISMS_CONTROL_IMPLEMENTATION_MAX, 0,
                        st) != ISMS_OK ||
        isms_control_check_evidence_list(in->evidence, in->n_evidence, "evidence", st) != ISMS_OK ||
        isms_plan_date_check("target_date", in->target_date, st) != ISMS_OK)
        return row_fail(in->row, st);
    if (a == ISMS_APPLICABLE_NO) {
        if (out->reasons != 0)
            what = "reasons for inclusion";
        else if (in->inclusion_justification[0] != '\0')
            what = "an inclusion justification";
        else if (s != ISMS_IMPL_NOT_APPLICABLE)
            what = "an implementation status but not_applicable";
        else if (in->target_date[0] != '\0')
            what = "a target date";
        if (what != NULL) {
            isms_status_set(st, ISMS_FAILED_PRECONDITION,
                            "6.1.3 d: control %.64s is excluded, so it takes no %s", out->id, what);
            return row_fail(in->row, st);
        }
    } else if (in->exclusion_justification[0] != '\0') {
        isms_status_set(st, ISMS_FAILED_PRECONDITION,
                        "6.1.3 d: control %.64s is not excluded, so it takes no exclusion "
                        "justification",
                        out->id);
        return row_fail(in->row, st);
    }
    return ISMS_OK;
}
