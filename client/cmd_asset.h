/* client/cmd_asset.h — the asset commands that live outside cmd_asset.c: import and export
 * (cmd_asset_file.c). Both are isms_cmd_fn run functions of rows in cmd_asset.c. */
#ifndef ISMS_CLIENT_CMD_ASSET_H
#define ISMS_CLIENT_CMD_ASSET_H

#include "cmd.h"

/* `asset export`: streams the assets matching the request's filters to --file or stdout in
 * --format (else from the file's extension, else CSV). `msg` is a ListAssetsRequest. */
enum isms_code isms_asset_cmd_export(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st);

/* `asset import FILE`: parses FILE (or stdin for "-") and creates every asset in it with one
 * Asset/Import call; an error names the file and row. `msg` is unused. */
enum isms_code isms_asset_cmd_import(struct isms_cli *cli, const struct isms_args *a,
                                     ProtobufCMessage *msg, struct isms_out *out,
                                     struct isms_status *st);

#endif
