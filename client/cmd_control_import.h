/* client/cmd_control_import.h — `ismsctl control import FILE [--dry-run]` (cmd_control_import.c),
 * listed in the control command table (cmd_control.c). */
#ifndef ISMS_CLIENT_CMD_CONTROL_IMPORT_H
#define ISMS_CLIENT_CMD_CONTROL_IMPORT_H

#include "cmd.h"

/* Reads FILE (the CSV `soa export --format csv` writes), sends every row in one
 * Control/Import call and renders what changed (or would change). Errors: INVALID_ARGUMENT
 * naming the file and line, and whatever the server answers. */
isms_cmd_fn isms_control_import_run;

#endif
