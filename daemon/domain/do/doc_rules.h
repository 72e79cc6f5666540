/* domain/do/doc_rules.h — pure rules of the document register (7.5, 5.2): ids, vocabularies,
 * dates and the version lifecycle draft -> in_review -> approved -> published ->
 * superseded / retired. No loop, no database. */
#ifndef ISMS_DOMAIN_DO_DOC_RULES_H
#define ISMS_DOMAIN_DO_DOC_RULES_H

#include <stdint.h>

#include "common/status.h"

/* Parses "<prefix>-<n>" (e.g. "DOC-3", case-insensitive prefix) into n >= 1. Errors:
 * INVALID_ARGUMENT naming `field`. */
ISMS_MUSTCHECK enum isms_code isms_doc_ref_parse(const char *field, const char *prefix,
                                                 const char *s, int64_t *num,
                                                 struct isms_status *st);

/* 1 when `type` is a document type (policy, topic_policy, procedure, standard, plan, record,
 * external). */
int isms_doc_type_ok(const char *type);

/* 1 when `s` is "" or a date YYYY-MM-DD that exists. */
int isms_doc_date_ok(const char *s);

/* The lifecycle actions. */
enum isms_doc_action {
    ISMS_DOC_SUBMIT,
    ISMS_DOC_APPROVE,
    ISMS_DOC_PUBLISH,
    ISMS_DOC_RETIRE,
};

/* What the rule needs to know of one version and its caller. Strings are borrowed. */
struct isms_doc_transition {
    enum isms_doc_action action;
    const char *doc_id; /* "DOC-3", for messages */
    int32_t version;
    const char *state;  /* current state */
    int is_author;      /* the caller wrote this version */
    int is_isms_policy; /* the 5.2 information security policy */
    int is_top_management;
};

/* Decides one transition: sets `*next` to the new state, or refuses with FAILED_PRECONDITION
 * and a message naming the clause (the author approving their own version, the 5.2 policy
 * without top management, a state the action does not start from). */
ISMS_MUSTCHECK enum isms_code isms_doc_decide(const struct isms_doc_transition *t,
                                              const char **next, struct isms_status *st);

#endif
