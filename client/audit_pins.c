/* client/audit_pins.c — the audit-pins file: read whole (bounded), one line per server, and
 * rewritten whole with the one line changed. Lines that do not parse stop the command: a
 * pin file that lost its meaning must not silently stop protecting. */
#include "audit_pins.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define PINS_NAME "audit-pins"
#define PINS_HEAD                                                                                  \
    "# ismsctl audit-pins: server, audit public key, last verified head (seq, hash).\n"            \
    "# Written by `ismsctl audit verify`; delete a line only if the server's trail was\n"          \
    "# legitimately replaced.\n"

static enum isms_code pins_path(char *dir, size_t dlen, char *path, size_t plen,
                                struct isms_status *st)
{
    if (isms_config_dir(dir, dlen, st) != ISMS_OK)
        return st->code;
    if ((size_t)snprintf(path, plen, "%s/%s", dir, PINS_NAME) >= plen)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "config directory path too long");
    return ISMS_OK;
}

/* The whole file as a heap string (NULL and OK if it does not exist). */
static enum isms_code read_all(const char *path, char **out, struct isms_status *st)
{
    FILE *fp = fopen(path, "r");
    char *buf;
    size_t n;

    *out = NULL;
    if (fp == NULL) {
        if (errno == ENOENT)
            return ISMS_OK;
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not read %s: %s", path,
                               strerror(errno));
    }
    buf = malloc(ISMS_PINS_FILE_MAX + 1);
    if (buf == NULL) {
        fclose(fp);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    n = fread(buf, 1, ISMS_PINS_FILE_MAX + 1, fp);
    fclose(fp);
    if (n > ISMS_PINS_FILE_MAX) {
        free(buf);
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s is larger than %u bytes", path,
                               ISMS_PINS_FILE_MAX);
    }
    buf[n] = '\0';
    *out = buf;
    return ISMS_OK;
}

/* Parses one line "server key seq hash" (NUL-terminated, no '\n'). 0 if malformed. */
static int parse_line(const char *line, char *server, size_t slen, struct isms_audit_pin *pin)
{
    char key[80], hash[80], srv[300];
    long long seq;
    uint8_t tmp[32];

    if (sscanf(line, "%299s %79s %lld %79s", srv, key, &seq, hash) != 4 || seq < 0 ||
        !isms_hex_decode(key, tmp, 32) || !isms_hex_decode(hash, tmp, 32) || strlen(srv) >= slen)
        return 0;
    memcpy(server, srv, strlen(srv) + 1);
    memcpy(pin->key_hex, key, sizeof(pin->key_hex));
    pin->seq = seq;
    memcpy(pin->hash_hex, hash, sizeof(pin->hash_hex));
    return 1;
}

/* Calls `fn` for each pin line; a comment or blank line is passed with server "" (kept as
 * is on rewrite). Errors name the file and line. */
typedef void line_fn(void *ud, const char *raw, size_t rawlen, const char *server,
                     const struct isms_audit_pin *pin);

static enum isms_code each_line(const char *path, const char *text, line_fn *fn, void *ud,
                                struct isms_status *st)
{
    unsigned long lineno = 0;

    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        char line[512], server[300];
        struct isms_audit_pin pin;

        lineno++;
        if (len >= sizeof(line))
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s:%lu: line too long", path,
                                   lineno);
        memcpy(line, p, len);
        line[len] = '\0';
        if (len == 0 || line[0] == '#') {
            fn(ud, p, len, "", NULL);
        } else if (!parse_line(line, server, sizeof(server), &pin)) {
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "%s:%lu: expected \"SERVER KEY SEQ HASH\"", path, lineno);
        } else {
            fn(ud, p, len, server, &pin);
        }
        p += len + (nl != NULL);
    }
    return ISMS_OK;
}

struct find_ctx {
    const char *server;
    struct isms_audit_pin *pin;
    bool *found;
};

static void on_find(void *ud, const char *raw, size_t rawlen, const char *server,
                    const struct isms_audit_pin *pin)
{
    struct find_ctx *c = ud;

    (void)raw;
    (void)rawlen;
    if (pin != NULL && strcmp(server, c->server) == 0) {
        *c->pin = *pin;
        *c->found = true;
    }
}

enum isms_code isms_pin_load(const char *server, struct isms_audit_pin *pin, bool *found,
                             struct isms_status *st)
{
    char dir[ISMS_CONFIG_PATH_MAX], path[ISMS_CONFIG_PATH_MAX + 32];
    struct find_ctx c = {server, pin, found};
    char *text;
    enum isms_code code;

    *found = false;
    memset(pin, 0, sizeof(*pin));
    if (pins_path(dir, sizeof(dir), path, sizeof(path), st) != ISMS_OK ||
        read_all(path, &text, st) != ISMS_OK)
        return st->code;
    if (text == NULL)
        return ISMS_OK;
    code = each_line(path, text, on_find, &c, st);
    free(text);
    return code;
}

struct keep_ctx {
    const char *server;
    FILE *out;
};

static void on_keep(void *ud, const char *raw, size_t rawlen, const char *server,
                    const struct isms_audit_pin *pin)
{
    struct keep_ctx *c = ud;

    /* Comments are the header, written afresh; the server's own line is replaced. */
    if (pin == NULL || strcmp(server, c->server) == 0)
        return;
    fwrite(raw, 1, rawlen, c->out);
    fputc('\n', c->out);
}

enum isms_code isms_pin_store(const char *server, const struct isms_audit_pin *pin,
                              struct isms_status *st)
{
    char dir[ISMS_CONFIG_PATH_MAX], path[ISMS_CONFIG_PATH_MAX + 32];
    char tmp[ISMS_CONFIG_PATH_MAX + 48];
    char *text = NULL;
    struct keep_ctx c = {server, NULL};
    enum isms_code code = ISMS_OK;
    int fd;

    if (strchr(server, ' ') != NULL || strchr(server, '\n') != NULL)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "server \"%s\" cannot be pinned", server);
    if (pins_path(dir, sizeof(dir), path, sizeof(path), st) != ISMS_OK ||
        read_all(path, &text, st) != ISMS_OK)
        return st->code;
    for (size_t i = 1, n = strlen(dir); i <= n; i++) {
        char save = dir[i];

        if (save != '/' && save != '\0')
            continue;
        dir[i] = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            code = isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not create %s: %s", dir,
                                   strerror(errno));
            free(text);
            return code;
        }
        dir[i] = save;
    }
    snprintf(tmp, sizeof(tmp), "%s/.audit-pins.XXXXXX", dir);
    fd = mkstemp(tmp);
    if (fd < 0 || fchmod(fd, 0600) != 0 || (c.out = fdopen(fd, "w")) == NULL) {
        code = isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not create a file in %s: %s", dir,
                               strerror(errno));
        if (fd >= 0)
            close(fd);
        if (fd >= 0)
            unlink(tmp);
        free(text);
        return code;
    }
    fputs(PINS_HEAD, c.out);
    if (text != NULL)
        code = each_line(path, text, on_keep, &c, st);
    fprintf(c.out, "%s %s %" PRId64 " %s\n", server, pin->key_hex, pin->seq, pin->hash_hex);
    free(text);
    if (code == ISMS_OK && (fflush(c.out) != 0 || fsync(fileno(c.out)) != 0))
        code = isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not write %s: %s", path,
                               strerror(errno));
    if (fclose(c.out) != 0 && code == ISMS_OK)
        code = isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not write %s: %s", path,
                               strerror(errno));
    if (code == ISMS_OK && rename(tmp, path) != 0)
        code = isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not write %s: %s", path,
                               strerror(errno));
    if (code != ISMS_OK)
        unlink(tmp);
    return code;
}
