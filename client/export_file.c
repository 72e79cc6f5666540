/* client/export_file.c — exports to stdout or to a file renamed into place when complete. */
#include "export_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum isms_code isms_export_open(struct isms_cli *cli, struct isms_export_file *ef, const char *path,
                                struct isms_status *st)
{
    memset(ef, 0, sizeof(*ef));
    ef->fp = stdout;
    ef->name = "stdout";
    ef->fd = -1;
    if (path == NULL || strcmp(path, "-") == 0)
        return ISMS_OK;
    if ((size_t)snprintf(ef->tmp, sizeof(ef->tmp), "%s.XXXXXX", path) >= sizeof(ef->tmp))
        return isms_cli_usage(cli, st, "--file name too long");
    ef->fd = mkstemp(ef->tmp);
    if (ef->fd < 0)
        return isms_cli_usage(cli, st, "could not create a file beside %.200s: %s", path,
                              strerror(errno));
    ef->fp = fdopen(ef->fd, "w");
    if (ef->fp == NULL) {
        close(ef->fd);
        unlink(ef->tmp);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    ef->path = path;
    ef->name = path;
    return ISMS_OK;
}

enum isms_code isms_export_finish(struct isms_export_file *ef, enum isms_code code,
                                  struct isms_status *st)
{
    if (ef->path == NULL) {
        if (fflush(stdout) != 0 && code == ISMS_OK)
            code = isms_status_set(st, ISMS_INTERNAL, "could not write stdout");
        return code;
    }
    if (code == ISMS_OK && (fflush(ef->fp) != 0 || fsync(ef->fd) != 0))
        code =
            isms_status_set(st, ISMS_INTERNAL, "could not write %s: %s", ef->path, strerror(errno));
    if (fclose(ef->fp) != 0 && code == ISMS_OK)
        code =
            isms_status_set(st, ISMS_INTERNAL, "could not write %s: %s", ef->path, strerror(errno));
    if (code == ISMS_OK && rename(ef->tmp, ef->path) != 0)
        code = isms_status_set(st, ISMS_INTERNAL, "could not rename the export to %s: %s", ef->path,
                               strerror(errno));
    if (code != ISMS_OK)
        unlink(ef->tmp);
    return code;
}
