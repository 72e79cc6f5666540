/* client/config.c — resolves the server address from flag, environment and config file.
 * The config file has "key = value" lines and "#" comments; its only key today is "server". */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CONFIG_LINE_MAX 1024

static char *trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
        *--end = '\0';
    return s;
}

static enum isms_code copy_out(const char *value, char *out, size_t out_size, const char *what,
                               struct isms_status *st)
{
    size_t len = strlen(value);

    if (len == 0 || len >= out_size)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s: server address %s", what,
                               len == 0 ? "is empty" : "is too long");
    memcpy(out, value, len + 1);
    return ISMS_OK;
}

/* Reads `path`; a missing file leaves `out` untouched and is not an error. *found says
 * whether a server line was seen. */
static enum isms_code read_config(const char *path, char *out, size_t out_size, bool *found,
                                  struct isms_status *st)
{
    char line[CONFIG_LINE_MAX];
    char where[300];
    unsigned lineno = 0;
    enum isms_code code = ISMS_OK;
    FILE *fp = fopen(path, "r");

    *found = false;
    if (fp == NULL) {
        if (errno == ENOENT || errno == ENOTDIR)
            return ISMS_OK;
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not read %s: %s", path,
                               strerror(errno));
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        char *s, *eq, *hash;

        lineno++;
        snprintf(where, sizeof(where), "%s:%u", path, lineno);
        if (strchr(line, '\n') == NULL && !feof(fp)) {
            code = isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s: line too long", where);
            break;
        }
        hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        s = trim(line);
        if (*s == '\0')
            continue;
        eq = strchr(s, '=');
        if (eq == NULL) {
            code =
                isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s: expected \"key = value\"", where);
            break;
        }
        *eq = '\0';
        if (strcmp(trim(s), "server") != 0) {
            code = isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "%s: unknown key \"%.40s\" (known: server)", where, trim(s));
            break;
        }
        code = copy_out(trim(eq + 1), out, out_size, where, st);
        if (code != ISMS_OK)
            break;
        *found = true;
    }
    if (code == ISMS_OK && ferror(fp))
        code = isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not read %s", path);
    fclose(fp);
    return code;
}

enum isms_code isms_config_server(const char *flag, char *out, size_t out_size,
                                  struct isms_status *st)
{
    const char *env = getenv("ISMS_SERVER");
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    char path[4096];
    bool found = false;

    if (flag != NULL)
        return copy_out(flag, out, out_size, "--server", st);
    if (env != NULL && env[0] != '\0')
        return copy_out(env, out, out_size, "ISMS_SERVER", st);
    path[0] = '\0';
    if (xdg != NULL && xdg[0] == '/')
        snprintf(path, sizeof(path), "%s/ismsctl/config", xdg);
    else if (home != NULL && home[0] != '\0')
        snprintf(path, sizeof(path), "%s/.config/ismsctl/config", home);
    if (path[0] != '\0' && read_config(path, out, out_size, &found, st) != ISMS_OK)
        return st->code;
    if (found)
        return ISMS_OK;
    return copy_out(ISMS_CLI_DEFAULT_SERVER, out, out_size, "default", st);
}

enum isms_code isms_config_split_addr(const char *addr, char *host, size_t host_size, char *port,
                                      size_t port_size, struct isms_status *st)
{
    const char *host_start = addr, *host_end, *colon;
    size_t host_len;
    int64_t portnum;

    if (addr[0] == '[') {
        host_start = addr + 1;
        host_end = strchr(host_start, ']');
        if (host_end == NULL || host_end[1] != ':')
            goto bad;
        colon = host_end + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL || memchr(addr, ':', (size_t)(colon - addr)) != NULL)
            goto bad;
        host_end = colon;
    }
    host_len = (size_t)(host_end - host_start);
    if (host_len == 0 || host_len >= host_size || strlen(colon + 1) >= port_size)
        goto bad;
    if (!isms_cli_parse_i64(colon + 1, 1, 65535, &portnum))
        goto bad;
    memcpy(host, host_start, host_len);
    host[host_len] = '\0';
    snprintf(port, port_size, "%d", (int)portnum);
    return ISMS_OK;
bad:
    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                           "server address \"%.200s\" is not HOST:PORT (port 1-65535)", addr);
}
