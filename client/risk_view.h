/* client/risk_view.h — rendering of the risk heat map and of the risk treatment plan export,
 * written straight to a FILE (colours and streaming do not fit output.c). Pure: no network;
 * messages are read, never kept. */
#ifndef ISMS_CLIENT_RISK_VIEW_H
#define ISMS_CLIENT_RISK_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#include "common/status.h"
#include "isms/v1/risk.pb-c.h"

/* Prints the heat map of `x` (whose cells must number n_likelihood x n_impact), with ANSI
 * 256-colour backgrounds by level when `colour`; a level letter marks each cell either way,
 * '|' marks the appetite line (cells to its right score above the appetite), and with `ids`
 * the risks of each occupied cell are listed below the grid (risk_heatmap.c). */
void isms_risk_print_matrix(FILE *fp, const Isms__V1__RiskMatrix *x, bool colour, bool ids);

enum isms_plan_format { ISMS_PLAN_CSV, ISMS_PLAN_JSON, ISMS_PLAN_MD };

/* Where a treatment plan export goes. `risks` counts what was written. */
struct isms_plan_sink {
    FILE *fp;
    const char *name; /* for messages: "stdout" or the file name */
    enum isms_plan_format format;
    int64_t risks;
};

/* The header row (CSV), "[" (JSON) or title and table head (Markdown). */
void isms_plan_write_head(const struct isms_plan_sink *s);

/* Writes one streamed Isms__V1__RiskRecord (an isms_wire_item_cb; `ud` is the sink). Errors:
 * INTERNAL when writing fails, RESOURCE_EXHAUSTED. */
enum isms_code isms_plan_write_risk(void *ud, const ProtobufCMessage *item, struct isms_status *st);

/* Closes what the head opened (the JSON array). */
void isms_plan_write_tail(const struct isms_plan_sink *s);

#endif
