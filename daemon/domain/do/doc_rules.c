/* domain/do/doc_rules.c — pure rules of the document register; see doc_rules.h. */
#include "domain/do/doc_rules.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum isms_code isms_doc_ref_parse(const char *field, const char *prefix, const char *s,
                                  int64_t *num, struct isms_status *st)
{
    size_t k = strlen(prefix);
    const char *p = s + k + 1;
    char *end;
    long long v;

    if (s[0] == '\0')
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s is required", field);
    if (strncasecmp(s, prefix, k) != 0 || s[k] != '-' || !isdigit((unsigned char)*p))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s \"%.40s\" is not a %s-<n> id", field,
                               s, prefix);
    errno = 0;
    v = strtoll(p, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s \"%.40s\" is not a %s-<n> id", field,
                               s, prefix);
    *num = v;
    return ISMS_OK;
}

int isms_doc_type_ok(const char *type)
{
    static const char *const types[] = {"policy", "topic_policy", "procedure", "standard",
                                        "plan",   "record",       "external"};

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(type, types[i]) == 0)
            return 1;
    return 0;
}

int isms_doc_date_ok(const char *s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;

    if (s[0] == '\0')
        return 1;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return 0;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    return 1;
}

static enum isms_code wrong_state(const struct isms_doc_transition *t, const char *verb,
                                  const char *need, struct isms_status *st)
{
    return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                           "7.5.3: %s version %d is %s; only a version that is %s can be %s",
                           t->doc_id, t->version, t->state, need, verb);
}

enum isms_code isms_doc_decide(const struct isms_doc_transition *t, const char **next,
                               struct isms_status *st)
{
    switch (t->action) {
    case ISMS_DOC_SUBMIT:
        if (strcmp(t->state, "draft") != 0)
            return wrong_state(t, "submitted for review", "draft", st);
        *next = "in_review";
        return ISMS_OK;
    case ISMS_DOC_APPROVE:
        if (strcmp(t->state, "in_review") != 0)
            return wrong_state(t, "approved", "in_review", st);
        if (t->is_author)
            return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                   "7.5.2: the author of %s version %d may not approve it; "
                                   "another person must",
                                   t->doc_id, t->version);
        if (t->is_isms_policy && !t->is_top_management)
            return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                   "5.1, 5.2: %s is the information security policy; top "
                                   "management (role top_management) must approve it",
                                   t->doc_id);
        *next = "approved";
        return ISMS_OK;
    case ISMS_DOC_PUBLISH:
        if (strcmp(t->state, "approved") != 0)
            return wrong_state(t, "published", "approved", st);
        *next = "published";
        return ISMS_OK;
    case ISMS_DOC_RETIRE:
        if (strcmp(t->state, "superseded") == 0 || strcmp(t->state, "retired") == 0)
            return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                   "7.5.3: %s version %d is already %s", t->doc_id, t->version,
                                   t->state);
        *next = "retired";
        return ISMS_OK;
    }
    return isms_status_set(st, ISMS_INTERNAL, "unknown document action");
}
