/* net/listener.c — the listening socket and admission: accepts a connection, or refuses it
 * (total and per-address caps, logged at a bounded rate), making room at a full table by
 * closing the oldest connection that has not logged in; starts and stops the whole net. */
#include "net/conn.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "net/conn_internal.h"
#include "net/tls.h"

static void peer_name(uv_tcp_t *tcp, char *out, size_t n, char *ipout, size_t ipn)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char ip[64] = "?";
    int port = 0;

    if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
    }
    snprintf(out, n, "%s:%d", ip, port);
    snprintf(ipout, ipn, "%s", ip);
}

/* Until a connection authenticates, frames are held to the smaller pre-login limit. */
static size_t initial_max_frame(const struct isms_net *net)
{
    const struct isms_net_limits *l = &net->limits;

    if (l->login_timeout_s == 0 || l->preauth_max_frame_bytes >= l->max_frame_bytes)
        return l->max_frame_bytes;
    return l->preauth_max_frame_bytes;
}

static uint32_t conns_from(const struct isms_net *net, const char *ip)
{
    uint32_t n = 0;

    for (const struct isms_conn *c = net->conns; c != NULL; c = c->next)
        if (!c->is_closing && strcmp(c->ip, ip) == 0)
            n++;
    return n;
}

static void on_reject_closed(uv_handle_t *h)
{
    free(h);
}

/* One rate-limited warning about a refused or evicted connection. */
static void log_reject(struct isms_net *net, const char *msg, const char *peer)
{
    unsigned held;

    if (!isms_log_limit_allow(&net->log_rejects, uv_now(net->loop), &held))
        return;
    isms_log_warn(msg, "peer=%s conns=%u max_conns=%u max_conns_per_addr=%u suppressed=%u", peer,
                  net->nconns, net->limits.max_conns, net->limits.max_conns_per_addr, held);
}

/* When the table is full, the oldest connection that has not logged in makes room: idle
 * unauthenticated sockets must not keep every real client out until their login timeout. */
static int evict_one_unauthenticated(struct isms_net *net)
{
    struct isms_conn *old = NULL;

    if (net->limits.login_timeout_s == 0)
        return 0;
    for (struct isms_conn *c = net->conns; c != NULL; c = c->next)
        if (!c->is_closing && !c->is_authenticated && c->inflight == 0 &&
            (old == NULL || c->id < old->id))
            old = c;
    if (old == NULL)
        return 0;
    log_reject(net, "connection table full; closing the oldest unauthenticated connection",
               old->peer);
    net->evicted_total++;
    isms_conn_do_close(old);
    return 1;
}

/* Connections not already closing (closing ones still count in nconns until their callback). */
static uint32_t open_conns(const struct isms_net *net)
{
    uint32_t n = 0;

    for (const struct isms_conn *c = net->conns; c != NULL; c = c->next)
        if (!c->is_closing)
            n++;
    return n;
}

static void on_connection(uv_stream_t *server, int status)
{
    struct isms_net *net = server->data;
    struct isms_conn *c;
    struct isms_status st;

    if (status < 0 || net->is_closing)
        return;
    if (net->nconns >= net->limits.max_conns &&
        (open_conns(net) >= net->limits.max_conns && !evict_one_unauthenticated(net))) {
        uv_tcp_t *t = malloc(sizeof(*t));

        if (t == NULL)
            return;
        uv_tcp_init(net->loop, t);
        if (uv_accept(server, (uv_stream_t *)t) == 0)
            log_reject(net, "connection limit reached, closing new connection", "\"\"");
        uv_close((uv_handle_t *)t, on_reject_closed);
        return;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return;
    if (isms_frame_reader_init(&c->rd, READ_BUF_INITIAL, initial_max_frame(net), &st) != ISMS_OK) {
        free(c);
        return;
    }
    c->net = net;
    c->id = ++net->next_id;
    c->refs = 1;
    uv_tcp_init(net->loop, &c->tcp);
    uv_timer_init(net->loop, &c->idle_timer);
    c->tcp.data = c;
    c->idle_timer.data = c;
    c->next = net->conns;
    if (net->conns != NULL)
        net->conns->prev = c;
    net->conns = c;
    net->nconns++;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        isms_conn_do_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    if (net->tls != NULL) {
        c->ssl = isms_tls_conn_new(net->tls);
        c->tls_in = malloc(TLS_IN_BYTES);
        if (c->ssl == NULL || c->tls_in == NULL) {
            isms_conn_do_close(c);
            return;
        }
    }
    peer_name(&c->tcp, c->peer, sizeof(c->peer), c->ip, sizeof(c->ip));
    if (net->limits.max_conns_per_addr > 0 &&
        conns_from(net, c->ip) > net->limits.max_conns_per_addr) {
        log_reject(net, "per-address connection limit reached, closing new connection", c->peer);
        isms_conn_do_close(c);
        return;
    }
    c->last_activity_ms = uv_now(net->loop);
    c->opened_ms = c->last_activity_ms;
    isms_conn_arm_timer(c);
    isms_log_debug("connection opened", "conn=%llu peer=%s", (unsigned long long)c->id, c->peer);
    isms_conn_set_reading(c, 1);
}

void isms_net_init(struct isms_net *net, uv_loop_t *loop, const struct isms_net_limits *limits,
                   isms_net_frame_cb *on_frame, isms_net_error_cb *on_error, void *ud)
{
    memset(net, 0, sizeof(*net));
    net->loop = loop;
    net->limits = *limits;
    net->on_frame = on_frame;
    net->on_error = on_error;
    net->ud = ud;
}

enum isms_code isms_net_listen(struct isms_net *net, const char *host, int port, char *bound,
                               size_t boundlen, struct isms_status *st)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    int rc;

    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "listen address \"%s\" is not a numeric IPv4 or IPv6 address", host);
    uv_tcp_init(net->loop, &net->listener);
    net->listener.data = net;
    net->listener_open = 1;
    rc = uv_tcp_bind(&net->listener, (const struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&net->listener, 511, on_connection);
    if (rc != 0)
        return isms_status_set(st, ISMS_UNAVAILABLE, "could not listen on %s:%d: %s", host, port,
                               uv_strerror(rc));
    net->is_listening = 1;
    if (uv_tcp_getsockname(&net->listener, (struct sockaddr *)&ss, &len) == 0) {
        char ip[64] = "?";

        if (ss.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
            snprintf(bound, boundlen, "[%s]:%d", ip,
                     ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
        } else {
            uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
            snprintf(bound, boundlen, "%s:%d", ip, ntohs(((struct sockaddr_in *)&ss)->sin_port));
        }
    }
    return ISMS_OK;
}

static void on_listener_closed(uv_handle_t *h)
{
    struct isms_net *net = h->data;

    net->listener_open = 0;
    isms_net_maybe_done(net);
}

void isms_net_stop_listening(struct isms_net *net)
{
    if (net->listener_open && !uv_is_closing((uv_handle_t *)&net->listener)) {
        net->is_listening = 0;
        uv_close((uv_handle_t *)&net->listener, on_listener_closed);
    }
}

void isms_net_close(struct isms_net *net, void (*done)(struct isms_net *net))
{
    net->is_closing = 1;
    net->on_all_closed = done;
    isms_net_stop_listening(net);
    for (struct isms_conn *c = net->conns; c != NULL; c = c->next)
        isms_conn_close(c, 1);
    isms_net_maybe_done(net);
}

void isms_net_abort(struct isms_net *net)
{
    for (struct isms_conn *c = net->conns; c != NULL; c = c->next)
        isms_conn_do_close(c);
}
