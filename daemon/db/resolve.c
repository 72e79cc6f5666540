/* db/resolve.c — conninfo parsing and host-name lookup with uv_getaddrinfo. One lookup
 * request resolves the hosts of the list one after another and frees itself after calling
 * back. */
#include "db/resolve.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HOSTS    16
#define HOSTADDR_MAX (MAX_HOSTS * (INET6_ADDRSTRLEN + 1))

struct isms_db_target {
    const char **keys; /* NULL-terminated; strings point into `opts` */
    const char **vals;
    PQconninfoOption *opts;
    char *hosts[MAX_HOSTS]; /* the host list split at commas; owned */
    int is_name[MAX_HOSTS]; /* needs a lookup */
    unsigned nhosts;
    int needs_resolve;
};

struct resolve_req {
    uv_getaddrinfo_t req;
    uv_loop_t *loop;
    const struct isms_db_target *t;
    unsigned i;
    isms_db_resolved_cb *cb;
    void *arg;
    char hostaddr[HOSTADDR_MAX];
};

static int is_ip(const char *h)
{
    unsigned char a[16];

    return inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1;
}

/* Splits `host` at commas into t->hosts and decides which entries are names. */
static enum isms_code split_hosts(struct isms_db_target *t, const char *host,
                                  struct isms_status *st)
{
    const char *p = host;

    for (;;) {
        size_t n = strcspn(p, ",");

        if (t->nhosts == MAX_HOSTS)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "database conninfo lists more than %d hosts", MAX_HOSTS);
        t->hosts[t->nhosts] = strndup(p, n);
        if (t->hosts[t->nhosts] == NULL)
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        t->is_name[t->nhosts] = n > 0 && p[0] != '/' && p[0] != '@' && !is_ip(t->hosts[t->nhosts]);
        t->needs_resolve |= t->is_name[t->nhosts];
        t->nhosts++;
        if (p[n] == '\0')
            return ISMS_OK;
        p += n + 1;
    }
}

enum isms_code isms_db_target_new(const char *conninfo, struct isms_db_target **out,
                                  struct isms_status *st)
{
    struct isms_db_target *t = calloc(1, sizeof(*t));
    char *err = NULL;
    size_t n = 0, k = 0;
    const char *host = NULL, *hostaddr = NULL;

    if (t == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    t->opts = PQconninfoParse(conninfo, &err);
    if (t->opts == NULL) {
        isms_status_set(st, err != NULL ? ISMS_INVALID_ARGUMENT : ISMS_RESOURCE_EXHAUSTED,
                        "database conninfo: %s", err != NULL ? err : "out of memory");
        PQfreemem(err);
        free(t);
        return st->code;
    }
    for (PQconninfoOption *o = t->opts; o->keyword != NULL; o++)
        n++;
    t->keys = calloc(n + 2, sizeof(*t->keys));
    t->vals = calloc(n + 2, sizeof(*t->vals));
    if (t->keys == NULL || t->vals == NULL) {
        isms_db_target_free(t);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    for (PQconninfoOption *o = t->opts; o->keyword != NULL; o++) {
        if (o->val == NULL)
            continue;
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        if (strcmp(o->keyword, "hostaddr") == 0)
            hostaddr = o->val;
        t->keys[k] = o->keyword;
        t->vals[k] = o->val;
        k++;
    }
    /* Given addresses are used as they are; libpq's default host is a socket directory. */
    if (host != NULL && host[0] != '\0' && (hostaddr == NULL || hostaddr[0] == '\0') &&
        split_hosts(t, host, st) != ISMS_OK) {
        isms_db_target_free(t);
        return st->code;
    }
    *out = t;
    return ISMS_OK;
}

void isms_db_target_free(struct isms_db_target *t)
{
    if (t == NULL)
        return;
    for (unsigned i = 0; i < t->nhosts; i++)
        free(t->hosts[i]);
    free(t->keys);
    free(t->vals);
    PQconninfoFree(t->opts);
    free(t);
}

int isms_db_target_needs_resolve(const struct isms_db_target *t)
{
    return t->needs_resolve;
}

PGconn *isms_db_target_connect(const struct isms_db_target *t, const char *hostaddr)
{
    size_t n = 0;

    while (t->keys[n] != NULL)
        n++;
    /* keys/vals have a spare slot for hostaddr before the terminating NULL. */
    ((const char **)t->keys)[n] = hostaddr != NULL ? "hostaddr" : NULL;
    ((const char **)t->vals)[n] = hostaddr;
    {
        PGconn *pg = PQconnectStartParams(t->keys, t->vals, 0);

        ((const char **)t->keys)[n] = NULL;
        ((const char **)t->vals)[n] = NULL;
        return pg;
    }
}

static int resolve_next(struct resolve_req *r);

static void finish(struct resolve_req *r, const char *hostaddr, const char *err)
{
    r->cb(r->arg, hostaddr, err);
    free(r);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct resolve_req *r = req->data;
    char addr[INET6_ADDRSTRLEN] = "";
    size_t len = strlen(r->hostaddr);

    if (status < 0 || res == NULL) {
        char err[300];

        snprintf(err, sizeof(err), "could not resolve database host \"%s\": %s", r->t->hosts[r->i],
                 status < 0 ? uv_strerror(status) : "no address");
        uv_freeaddrinfo(res);
        finish(r, NULL, err);
        return;
    }
    if (res->ai_family == AF_INET6)
        uv_ip6_name((const struct sockaddr_in6 *)res->ai_addr, addr, sizeof(addr));
    else
        uv_ip4_name((const struct sockaddr_in *)res->ai_addr, addr, sizeof(addr));
    uv_freeaddrinfo(res);
    snprintf(r->hostaddr + len, sizeof(r->hostaddr) - len, "%s", addr);
    r->i++;
    if (resolve_next(r) != 0)
        finish(r, NULL, "could not start a host name lookup");
}

/* Appends the entries that need no lookup, then starts the lookup of the next name, or calls
 * back when none is left. Returns 0, or a libuv error when the lookup could not start. */
static int resolve_next(struct resolve_req *r)
{
    struct addrinfo hints;
    int rc;

    for (; r->i < r->t->nhosts; r->i++) {
        size_t len = strlen(r->hostaddr);

        if (r->i > 0)
            snprintf(r->hostaddr + len, sizeof(r->hostaddr) - len, ",");
        if (r->t->is_name[r->i])
            break;
    }
    if (r->i == r->t->nhosts) {
        finish(r, r->hostaddr, NULL);
        return 0;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = uv_getaddrinfo(r->loop, &r->req, on_resolved, r->t->hosts[r->i], NULL, &hints);
    return rc;
}

enum isms_code isms_db_resolve(uv_loop_t *loop, const struct isms_db_target *t,
                               isms_db_resolved_cb *cb, void *arg, struct isms_status *st)
{
    struct resolve_req *r;
    int rc;

    if (!t->needs_resolve)
        return isms_status_set(st, ISMS_INTERNAL, "no database host name to resolve");
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    r->t = t;
    r->cb = cb;
    r->arg = arg;
    r->req.data = r;
    r->loop = loop;
    /* With a name in the list, this stops at a lookup: the callback never runs from here. */
    rc = resolve_next(r);
    if (rc != 0) {
        free(r);
        return isms_status_set(st, ISMS_UNAVAILABLE, "could not start a host name lookup: %s",
                               uv_strerror(rc));
    }
    return ISMS_OK;
}
