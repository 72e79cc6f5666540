/* client/export_file.h — where an export is written: stdout, or a file that appears only when
 * the export is complete (written beside the target, fsynced, renamed over it), so a failed
 * export never leaves a truncated file that looks whole. */
#ifndef ISMS_CLIENT_EXPORT_FILE_H
#define ISMS_CLIENT_EXPORT_FILE_H

#include <stdio.h>

#include "common/status.h"

struct isms_cli;

/* Fields are private but `fp` and `name`; use the functions. */
struct isms_export_file {
    FILE *fp;         /* write here: stdout or the temporary file */
    const char *name; /* for messages: "stdout" or the target path */
    const char *path; /* the target; NULL for stdout */
    int fd;
    char tmp[4200];
};

/* Opens the export: `path` NULL or "-" means stdout. Errors: a usage error (name too long,
 * cannot create beside the target), RESOURCE_EXHAUSTED. */
ISMS_MUSTCHECK enum isms_code isms_export_open(struct isms_cli *cli, struct isms_export_file *ef,
                                               const char *path, struct isms_status *st);

/* Ends the export begun by isms_export_open. With `code` OK it flushes (and for a file fsyncs
 * and renames it into place); otherwise it removes the temporary file. Returns the final code,
 * with `st` set when it is not OK. */
enum isms_code isms_export_finish(struct isms_export_file *ef, enum isms_code code,
                                  struct isms_status *st);

#endif
