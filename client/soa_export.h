/* client/soa_export.h — the Statement of Applicability as a document for an auditor: CSV (RFC
 * 4180), Markdown, JSON or a self-contained HTML page, written one row at a time. Every format
 * opens with the same document header (organisation, scope, document id, version, approval or
 * "current state, not approved" with the generation time); Markdown and HTML show labels
 * ("Partially implemented", "Risk treatment"), CSV and JSON the codes. Pure: rows to a FILE. */
#ifndef ISMS_CLIENT_SOA_EXPORT_H
#define ISMS_CLIENT_SOA_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/status.h"
#include "isms/v1/control.pb-c.h"

enum isms_soa_format { ISMS_SOA_CSV, ISMS_SOA_MD, ISMS_SOA_JSON, ISMS_SOA_HTML };

/* What the document header says. Strings are borrowed and never NULL ("" when unknown). */
struct isms_soa_doc {
    const char *organization, *scope;
    int32_t version;         /* 0: the current state */
    bool is_approved;        /* an approval is recorded */
    const char *approved_by; /* account or name of the approver */
    const char *approved_at; /* RFC 3339, UTC */
    const char *published_by;
    const char *published_at;
    char generated_at[32]; /* RFC 3339, UTC; set for the current state only */
    char id[48];           /* document id: SOA-v<N>, or SOA-current */
};

/* Fills `d` for published version `v` (NULL: the current state, stamped with `now_utc`, an RFC
 * 3339 time). The one place that reads the approval of a version: approved means approved by
 * top management with `soa approve`, never the free text an old publish recorded. */
void isms_soa_doc_init(struct isms_soa_doc *d, const char *organization, const char *scope,
                       const Isms__V1__SoaVersion *v, const char *now_utc);

/* One sentence on approval, e.g. "approved by ciso at 2026-01-02T10:00:00Z" or "current state,
 * not approved (generated 2026-...)"; written to out[0..len). */
void isms_soa_doc_approval(const struct isms_soa_doc *d, char *out, size_t len);

/* The label people read for a code in Markdown/HTML: "partially_implemented" gives
 * "Partially implemented", "risk_treatment" "Risk treatment", "yes" "Yes". Written to
 * out[0..len). */
void isms_soa_label(const char *code, char *out, size_t len);

struct isms_soa_sink {
    FILE *fp;
    const char *name; /* for messages */
    enum isms_soa_format format;
    int64_t rows;
};

/* The document header and what precedes the rows. */
void isms_soa_write_head(struct isms_soa_sink *s, const struct isms_soa_doc *d);

/* One row (an isms_stream_item_cb for Soa/Export; `ud` is the sink). Errors: INTERNAL (write
 * failed), RESOURCE_EXHAUSTED. */
enum isms_code isms_soa_write_row(void *ud, const ProtobufCMessage *item, struct isms_status *st);

/* What follows the rows. */
void isms_soa_write_tail(struct isms_soa_sink *s);

#endif
