/* client/risk_cia.h — `risk cia` (which of C, I, A a risk affects, the impact its assets
 * suggest, assessing with it), `asset check` (assets whose C/I/A values lie outside the impact
 * scale) and the note asset show/list print for such assets, over /isms.v1.RiskCia. */
#ifndef ISMS_CLIENT_RISK_CIA_H
#define ISMS_CLIENT_RISK_CIA_H

#include "cmd.h"
#include "isms/v1/risk_cia.pb-c.h"

struct isms_out;

extern const struct isms_arg isms_risk_cia_args[];
extern const struct isms_flag isms_risk_cia_flags[];
extern const struct isms_flag isms_asset_check_flags[];

/* `risk cia R-<n> [--affects CIA] [--likelihood N]` (run; `msg` is a GetRiskCiaRequest). */
isms_cmd_fn isms_risk_cia_run;
/* `asset check [A-<n>]` (run; `msg` is an AssetsOutOfScaleRequest). */
isms_cmd_fn isms_asset_check_run;

/* Adds a notice to `out` when asset `id` ("" = any asset) has a C/I/A value above the current
 * impact scale. Best effort: a failed call adds nothing (the command's own result stands). */
void isms_asset_scale_notice(struct isms_cli *cli, const char *id, struct isms_out *out);

#endif
