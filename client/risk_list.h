/* client/risk_list.h — `ismsctl risk list`: the register streamed into a table, in id order or
 * sorted by score or by what falls due first (--sort), with the limit applied after sorting. */
#ifndef ISMS_CLIENT_RISK_LIST_H
#define ISMS_CLIENT_RISK_LIST_H

#include "cmd.h"

/* The run function of `risk list` (struct isms_cmd.run); `req` is the filled
 * ListRisksRequest. */
isms_cmd_fn isms_risk_run_list;

#endif
