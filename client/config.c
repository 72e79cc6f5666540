/* client/config.c — resolves server address, TLS mode and CA file from flags, environment and
 * the config file. The config file has "key = value" lines and "#" comments; its keys are
 * server, ca and plaintext. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h" /* ISMS_CLI_DEFAULT_SERVER */

#define CONFIG_LINE_MAX 4200

/* What the config file says; has_* tell which keys it set. */
struct file_conf {
    char server[256];
    char ca_file[ISMS_CONFIG_PATH_MAX];
    bool is_plaintext;
    bool has_server, has_ca, has_plaintext;
};

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

static enum isms_code copy_value(const char *value, char *out, size_t out_size, const char *what,
                                 const char *name, struct isms_status *st)
{
    size_t len = strlen(value);

    if (len == 0 || len >= out_size)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s: %s %s", what, name,
                               len == 0 ? "is empty" : "is too long");
    memcpy(out, value, len + 1);
    return ISMS_OK;
}

/* true/yes/on/1 and false/no/off/0. Returns false for anything else. */
static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* Applies one "key = value" line of the config file. */
static enum isms_code apply_line(struct file_conf *fc, const char *key, const char *value,
                                 const char *where, struct isms_status *st)
{
    if (strcmp(key, "server") == 0) {
        fc->has_server = true;
        return copy_value(value, fc->server, sizeof(fc->server), where, "server address", st);
    }
    if (strcmp(key, "ca") == 0) {
        fc->has_ca = true;
        return copy_value(value, fc->ca_file, sizeof(fc->ca_file), where, "CA file name", st);
    }
    if (strcmp(key, "plaintext") == 0) {
        fc->has_plaintext = true;
        if (!parse_bool(value, &fc->is_plaintext))
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "%s: plaintext must be true or false, got \"%.40s\"", where,
                                   value);
        return ISMS_OK;
    }
    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                           "%s: unknown key \"%.40s\" (known: server, ca, plaintext)", where, key);
}

/* Reads `path` into *fc; a missing file leaves it empty and is not an error. */
static enum isms_code read_config(const char *path, struct file_conf *fc, struct isms_status *st)
{
    char line[CONFIG_LINE_MAX];
    char where[ISMS_CONFIG_PATH_MAX + 32];
    unsigned lineno = 0;
    enum isms_code code = ISMS_OK;
    FILE *fp = fopen(path, "r");

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
        code = apply_line(fc, trim(s), trim(eq + 1), where, st);
        if (code != ISMS_OK)
            break;
    }
    if (code == ISMS_OK && ferror(fp))
        code = isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not read %s", path);
    fclose(fp);
    return code;
}

enum isms_code isms_config_dir(char *out, size_t out_size, struct isms_status *st)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int n;

    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, out_size, "%s/ismsctl", xdg);
    else if (home != NULL && home[0] != '\0')
        n = snprintf(out, out_size, "%s/.config/ismsctl", home);
    else
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "neither HOME nor XDG_CONFIG_HOME is set: no place for "
                               "ismsctl's configuration");
    if (n < 0 || (size_t)n >= out_size)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "configuration directory path too long");
    return ISMS_OK;
}

enum isms_code isms_config_resolve(const struct isms_client_flags *flags,
                                   struct isms_client_conf *out, struct isms_status *st)
{
    const char *env_server = getenv("ISMS_SERVER");
    const char *env_ca = getenv("ISMS_CA");
    const char *env_plain = getenv("ISMS_PLAINTEXT");
    char dir[ISMS_CONFIG_PATH_MAX - 16], path[ISMS_CONFIG_PATH_MAX];
    struct file_conf fc;
    struct isms_status ignored;

    memset(out, 0, sizeof(*out));
    memset(&fc, 0, sizeof(fc));
    /* Without HOME there is simply no config file. */
    if (isms_config_dir(dir, sizeof(dir), &ignored) == ISMS_OK) {
        snprintf(path, sizeof(path), "%s/config", dir);
        if (read_config(path, &fc, st) != ISMS_OK)
            return st->code;
    }

    if (flags->server != NULL) {
        if (copy_value(flags->server, out->server, sizeof(out->server), "--server",
                       "server address", st) != ISMS_OK)
            return st->code;
    } else if (env_server != NULL && env_server[0] != '\0') {
        if (copy_value(env_server, out->server, sizeof(out->server), "ISMS_SERVER",
                       "server address", st) != ISMS_OK)
            return st->code;
    } else if (fc.has_server) {
        memcpy(out->server, fc.server, sizeof(out->server));
    } else {
        snprintf(out->server, sizeof(out->server), "%s", ISMS_CLI_DEFAULT_SERVER);
    }

    if (flags->ca_file != NULL) {
        if (copy_value(flags->ca_file, out->ca_file, sizeof(out->ca_file), "--ca", "CA file name",
                       st) != ISMS_OK)
            return st->code;
    } else if (env_ca != NULL && env_ca[0] != '\0') {
        if (copy_value(env_ca, out->ca_file, sizeof(out->ca_file), "ISMS_CA", "CA file name", st) !=
            ISMS_OK)
            return st->code;
    } else if (fc.has_ca) {
        memcpy(out->ca_file, fc.ca_file, sizeof(out->ca_file));
    }

    if (flags->is_plaintext) {
        out->is_plaintext = true;
    } else if (env_plain != NULL && env_plain[0] != '\0') {
        if (!parse_bool(env_plain, &out->is_plaintext))
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "ISMS_PLAINTEXT must be 1 or 0 (true or false), got \"%.40s\"",
                                   env_plain);
    } else if (fc.has_plaintext) {
        out->is_plaintext = fc.is_plaintext;
    }
    return ISMS_OK;
}

/* A port: decimal digits only, 1-65535. */
static bool parse_port(const char *s, long *out)
{
    char *end;
    long v;

    if (s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
        return false;
    *out = v;
    return true;
}

enum isms_code isms_config_split_addr(const char *addr, char *host, size_t host_size, char *port,
                                      size_t port_size, struct isms_status *st)
{
    const char *host_start = addr, *host_end, *colon;
    size_t host_len;
    long portnum;

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
    if (!parse_port(colon + 1, &portnum))
        goto bad;
    memcpy(host, host_start, host_len);
    host[host_len] = '\0';
    snprintf(port, port_size, "%d", (int)portnum);
    return ISMS_OK;
bad:
    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                           "server address \"%.200s\" is not HOST:PORT (port 1-65535)", addr);
}
