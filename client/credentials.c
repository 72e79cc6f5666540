/* client/credentials.c — load, save and remove the per-server login tokens (format in
 * credentials.h). Every buffer that held the file is wiped before it is freed, since the file
 * holds bearer tokens. */
#include "credentials.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"

static const char FILE_HEADER[] =
    "# ismsctl credentials: one [HOST:PORT] section per server, written by `ismsctl login`\n"
    "# and removed by `ismsctl logout`. Keep it private (mode 0600); ISMS_TOKEN overrides it.\n";

/* A growable byte buffer, wiped when freed. */
struct cbuf {
    char *p;
    size_t len, cap;
    bool is_oom;
};

/* The file holds bearer tokens: wipe before free (OPENSSL_cleanse is not optimised away). */
static void wipe(void *p, size_t n)
{
    if (p != NULL && n > 0)
        OPENSSL_cleanse(p, n);
}

static void cbuf_add(struct cbuf *b, const char *s, size_t n)
{
    if (b->is_oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap == 0 ? 1024 : b->cap;
        char *np;

        while (cap < b->len + n + 1)
            cap *= 2;
        np = malloc(cap);
        if (np == NULL) {
            b->is_oom = true;
            return;
        }
        if (b->p != NULL) {
            memcpy(np, b->p, b->len);
            wipe(b->p, b->cap);
            free(b->p);
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void cbuf_str(struct cbuf *b, const char *s)
{
    cbuf_add(b, s, strlen(s));
}

static void cbuf_free(struct cbuf *b)
{
    if (b->p != NULL)
        wipe(b->p, b->cap);
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static enum isms_code cred_paths(char *dir, size_t dir_size, char *path, size_t path_size,
                                 struct isms_status *st)
{
    if (isms_config_dir(dir, dir_size, st) != ISMS_OK)
        return st->code;
    if ((size_t)snprintf(path, path_size, "%s/credentials", dir) >= path_size)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "credentials path too long");
    return ISMS_OK;
}

/* Reads the whole file into *b. A missing file leaves *b empty and sets *exists = false. */
static enum isms_code read_file(const char *path, struct cbuf *b, bool *exists,
                                struct isms_status *st)
{
    struct stat sb;
    char chunk[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    enum isms_code code = ISMS_OK;

    *exists = false;
    if (fd < 0) {
        if (errno == ENOENT)
            return ISMS_OK;
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not read %s: %s", path,
                               strerror(errno));
    }
    *exists = true;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s is not a regular file", path);
    }
    if ((sb.st_mode & 077) != 0) {
        close(fd);
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "%s may be read by others (mode %03o); run chmod 600 on it", path,
                               (unsigned)(sb.st_mode & 0777));
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            code = isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not read %s: %s", path,
                                   strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (b->len + (size_t)n > ISMS_CRED_FILE_MAX) {
            code = isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s is larger than %u KiB", path,
                                   ISMS_CRED_FILE_MAX / 1024);
            break;
        }
        cbuf_add(b, chunk, (size_t)n);
    }
    wipe(chunk, sizeof(chunk));
    close(fd);
    if (code == ISMS_OK && b->is_oom)
        code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory reading %s", path);
    return code;
}

/* One parsed line. Pointers are into a copy owned by the caller. */
struct cred_line {
    enum { LINE_BLANK, LINE_SECTION, LINE_KEY } kind;
    const char *name; /* section name, or key */
    const char *value;
};

static char *trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

/* Parses one line (no newline; modified in place). */
static enum isms_code parse_line(char *line, const char *path, unsigned lineno, bool is_in_section,
                                 struct cred_line *out, struct isms_status *st)
{
    char *s = trim(line), *eq;

    out->kind = LINE_BLANK;
    if (*s == '\0' || *s == '#')
        return ISMS_OK;
    if (*s == '[') {
        size_t n = strlen(s);

        if (n < 3 || s[n - 1] != ']')
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s:%u: expected [HOST:PORT]", path,
                                   lineno);
        s[n - 1] = '\0';
        out->kind = LINE_SECTION;
        out->name = s + 1;
        return ISMS_OK;
    }
    eq = strchr(s, '=');
    if (eq == NULL)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s:%u: expected \"key = value\"", path,
                               lineno);
    if (!is_in_section)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "%s:%u: \"key = value\" before any [HOST:PORT] section", path,
                               lineno);
    *eq = '\0';
    out->kind = LINE_KEY;
    out->name = trim(s);
    out->value = trim(eq + 1);
    return ISMS_OK;
}

/*
 * Walks the file's lines. For load (`token` not NULL) it finds the server's token; for store
 * (`keep` not NULL) it copies every line outside the server's section to `keep`.
 */
void isms_cred_key(const char *server, char *out, size_t size)
{
    char host[256], port[8], buf[INET6_ADDRSTRLEN];
    struct isms_status st;
    unsigned char addr[sizeof(struct in6_addr)];
    size_t n;

    if (size == 0)
        return;
    if (isms_config_split_addr(server, host, sizeof(host), port, sizeof(port), &st) != ISMS_OK) {
        snprintf(out, size, "%s", server);
        return;
    }
    for (char *h = host; *h != '\0'; h++)
        *h = (char)tolower((unsigned char)*h);
    n = strlen(host);
    if (n > 1 && host[n - 1] == '.')
        host[n - 1] = '\0';
    if (strcmp(host, "localhost") == 0 || strcmp(host, "localhost.localdomain") == 0 ||
        strcmp(host, "ip6-localhost") == 0) {
        snprintf(out, size, "127.0.0.1:%s", port);
    } else if (inet_pton(AF_INET, host, addr) == 1 &&
               inet_ntop(AF_INET, addr, buf, sizeof(buf)) != NULL) {
        snprintf(out, size, "%s:%s", buf, port);
    } else if (inet_pton(AF_INET6, host, addr) == 1 &&
               inet_ntop(AF_INET6, addr, buf, sizeof(buf)) != NULL) {
        if (strcmp(buf, "::1") == 0)
            snprintf(out, size, "127.0.0.1:%s", port);
        else
            snprintf(out, size, "[%s]:%s", buf, port);
    } else {
        snprintf(out, size, "%s:%s", host, port);
    }
}

/* Whether section `name` is the one of the server whose key is `key`. */
static bool is_section_of(const char *name, const char *key)
{
    char k[ISMS_CRED_KEY_MAX];

    isms_cred_key(name, k, sizeof(k));
    return strcmp(k, key) == 0;
}

static enum isms_code walk(const struct cbuf *file, const char *path, const char *server,
                           char **token, struct cbuf *keep, struct isms_status *st)
{
    const char *p = file->p != NULL ? file->p : "";
    const char *end = p + file->len;
    unsigned lineno = 0;
    bool is_in_section = false, is_ours = false;
    struct cbuf line = {0};
    enum isms_code code = ISMS_OK;

    while (p < end && code == ISMS_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        struct cred_line cl;

        lineno++;
        line.len = 0;
        cbuf_add(&line, p, n);
        if (line.is_oom || memchr(p, '\0', n) != NULL) {
            code =
                isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s:%u: not a text line", path, lineno);
            break;
        }
        code = parse_line(line.p, path, lineno, is_in_section, &cl, st);
        if (code != ISMS_OK)
            break;
        if (cl.kind == LINE_SECTION) {
            is_in_section = true;
            is_ours = is_section_of(cl.name, server);
        }
        if (cl.kind == LINE_KEY && is_ours && token != NULL && strcmp(cl.name, "token") == 0 &&
            cl.value[0] != '\0') {
            size_t k = strlen(cl.value);

            if (*token != NULL) {
                wipe(*token, strlen(*token));
                free(*token);
            }
            *token = malloc(k + 1);
            if (*token == NULL) {
                code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
                break;
            }
            memcpy(*token, cl.value, k + 1);
        }
        if (keep != NULL && !is_ours) {
            cbuf_add(keep, p, n);
            cbuf_add(keep, "\n", 1);
        }
        p += n + (nl != NULL ? 1 : 0);
    }
    cbuf_free(&line);
    return code;
}

enum isms_code isms_cred_load(const char *server, char **token, struct isms_status *st)
{
    char dir[ISMS_CONFIG_PATH_MAX], path[ISMS_CONFIG_PATH_MAX + 16];
    struct cbuf file = {0};
    bool exists;
    enum isms_code code;

    *token = NULL;
    if (cred_paths(dir, sizeof(dir), path, sizeof(path), st) != ISMS_OK)
        return st->code;
    code = read_file(path, &file, &exists, st);
    if (code == ISMS_OK && exists) {
        char key[ISMS_CRED_KEY_MAX];

        isms_cred_key(server, key, sizeof(key));
        code = walk(&file, path, key, token, NULL, st);
    }
    cbuf_free(&file);
    if (code != ISMS_OK && *token != NULL) {
        wipe(*token, strlen(*token));
        free(*token);
        *token = NULL;
    }
    return code;
}

/* Creates each missing directory of `dir` with mode 0700. */
static enum isms_code make_dirs(const char *dir, struct isms_status *st)
{
    char buf[ISMS_CONFIG_PATH_MAX];
    size_t n = strlen(dir);

    if (n >= sizeof(buf))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "directory path too long");
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not create %s: %s", buf,
                                   strerror(errno));
        if (i < n)
            buf[i] = '/';
    }
    return ISMS_OK;
}

/* Appends "key = value" with anything that would break the line format replaced by '?'. */
static void add_kv(struct cbuf *b, const char *key, const char *value)
{
    cbuf_str(b, key);
    cbuf_str(b, " = ");
    for (const char *s = value != NULL ? value : ""; *s != '\0'; s++) {
        char c = (unsigned char)*s < 0x20 || *s == 0x7f || *s == '#' ? '?' : *s;

        cbuf_add(b, &c, 1);
    }
    cbuf_add(b, "\n", 1);
}

/* Writes `b` to `path` atomically: a 0600 temporary file in the same directory, fsync, rename. */
static enum isms_code replace_file(const char *dir, const char *path, const struct cbuf *b,
                                   struct isms_status *st)
{
    char tmp[ISMS_CONFIG_PATH_MAX + 32];
    const char *p = b->p != NULL ? b->p : "";
    size_t left = b->len;
    int fd, dfd;

    snprintf(tmp, sizeof(tmp), "%s/.credentials.XXXXXX", dir);
    fd = mkstemp(tmp);
    if (fd < 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not create a file in %s: %s", dir,
                               strerror(errno));
    if (fchmod(fd, 0600) != 0)
        goto fail;
    while (left > 0) {
        ssize_t n = write(fd, p, left);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto fail;
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto fail;
    /* Make the rename itself durable; failing that is not worth an error. */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return ISMS_OK;
fail:
    isms_status_set(st, ISMS_INVALID_ARGUMENT, "could not write %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return ISMS_INVALID_ARGUMENT;
}

enum isms_code isms_cred_store(const char *server, const char *token, const char *user,
                               const char *expires_at, struct isms_status *st)
{
    char dir[ISMS_CONFIG_PATH_MAX], path[ISMS_CONFIG_PATH_MAX + 16];
    struct cbuf file = {0}, out = {0};
    char key[ISMS_CRED_KEY_MAX];
    bool exists;
    enum isms_code code;

    isms_cred_key(server, key, sizeof(key));
    if (token != NULL && (token[0] == '\0' || strpbrk(token, "\r\n# \t") != NULL))
        return isms_status_set(st, ISMS_INTERNAL, "the server sent a token that cannot be saved");
    if (cred_paths(dir, sizeof(dir), path, sizeof(path), st) != ISMS_OK)
        return st->code;
    code = read_file(path, &file, &exists, st);
    if (code == ISMS_OK && !exists && token == NULL)
        goto done; /* nothing saved, nothing to remove */
    if (code == ISMS_OK && !exists)
        cbuf_str(&out, FILE_HEADER);
    if (code == ISMS_OK)
        code = walk(&file, path, key, NULL, &out, st);
    if (code == ISMS_OK && token != NULL) {
        cbuf_str(&out, "[");
        cbuf_str(&out, key);
        cbuf_str(&out, "]\n");
        add_kv(&out, "user", user);
        add_kv(&out, "expires_at", expires_at);
        add_kv(&out, "token", token);
    }
    if (code == ISMS_OK && out.is_oom)
        code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    if (code == ISMS_OK)
        code = make_dirs(dir, st);
    if (code == ISMS_OK)
        code = replace_file(dir, path, &out, st);
done:
    cbuf_free(&file);
    cbuf_free(&out);
    return code;
}
