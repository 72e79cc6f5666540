/* net/conn.h — the TCP listener and client connections: bounded reads turned into frames,
 * backpressure by in-flight count and the server's memory budget, queued writes with a hard
 * output bound and a write-progress timeout, turns that pace the work producing output.
 * net/ knows frames, not protobuf: it hands each frame up through callbacks set at startup. */
#ifndef ISMS_NET_CONN_H
#define ISMS_NET_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/frame.h"
#include "common/status.h"
#include "core/log.h"

struct isms_conn;
struct isms_net;
struct isms_tls;

/* A complete frame arrived. Every call must be balanced by exactly one isms_conn_frame_done()
 * (the connection stays allocated until then). `f->body` is valid only during the callback. */
typedef void isms_net_frame_cb(struct isms_conn *conn, const struct isms_frame *f);
/* The stream broke the framing rules (st says how). The callback may send one last frame;
 * the connection closes once it is written. */
typedef void isms_net_error_cb(struct isms_conn *conn, const struct isms_status *st);

struct isms_net_limits {
    uint32_t max_conns;
    uint32_t max_conns_per_addr; /* 0 = no per-address cap */
    uint32_t max_inflight;
    uint32_t idle_timeout_s;
    uint32_t login_timeout_s; /* 0 = connections need not authenticate */
    uint32_t frame_timeout_s; /* a started frame must complete within this */
    size_t max_frame_bytes;
    size_t preauth_max_frame_bytes;
    size_t output_hard_bytes;
    uint32_t write_timeout_s;   /* pending output that makes no progress this long: close */
    size_t stream_output_bytes; /* a turn is granted only with at most this much pending */
    uint32_t turns_per_conn;    /* turns (statements) a connection runs at once */
    size_t calls_memory_bytes;  /* budget: calls' arenas plus every connection's output */
};

struct isms_net {
    uv_loop_t *loop;
    uv_tcp_t listener;
    int is_listening;
    struct isms_net_limits limits;
    isms_net_frame_cb *on_frame;
    isms_net_error_cb *on_error;
    void *ud;                /* the server, for callbacks */
    struct isms_conn *conns; /* open connections, doubly linked */
    uint32_t nconns;
    uint64_t next_id;
    int is_closing;
    void (*on_all_closed)(struct isms_net *net); /* set by isms_net_close */
    int listener_open;
    struct isms_tls *tls;              /* NULL: plaintext (loopback only); borrowed from main */
    struct isms_log_limit log_rejects; /* lines about refused and evicted connections */
    uint64_t evicted_total;            /* unauthenticated connections closed to make room */
    size_t out_total;                  /* pending output of every connection */
    size_t calls_bytes; /* arenas of calls in flight: the arena meter rpc/ points at it */
    int is_over_budget; /* seen over calls_memory_bytes; cleared (and work resumed) below it */
    uint64_t write_timeouts_total; /* connections closed for output that did not drain */
};

/* Prepares `net`; nothing is attached to the loop yet. */
void isms_net_init(struct isms_net *net, uv_loop_t *loop, const struct isms_net_limits *limits,
                   isms_net_frame_cb *on_frame, isms_net_error_cb *on_error, void *ud);

/* Binds and listens on host:port; `*bound` receives the real address ("127.0.0.1:40123").
 * Errors: UNAVAILABLE (address in use, not available), INVALID_ARGUMENT (bad host). */
ISMS_MUSTCHECK enum isms_code isms_net_listen(struct isms_net *net, const char *host, int port,
                                              char *bound, size_t boundlen, struct isms_status *st);

/* Stops accepting new connections (closes the listening socket). */
void isms_net_stop_listening(struct isms_net *net);

/* Closes every connection (after their queued output) and the listener; `done` runs once all
 * handles are closed. */
void isms_net_close(struct isms_net *net, void (*done)(struct isms_net *net));

/* Closes every connection at once, dropping queued output (shutdown's last resort). */
void isms_net_abort(struct isms_net *net);

/* Queues `len` bytes for writing; takes ownership of `buf` (malloc'd). Dropped silently if the
 * connection is closing. Closes the connection if its pending output passes the hard limit. */
void isms_conn_send(struct isms_conn *conn, uint8_t *buf, size_t len);

/* Balances one frame callback: the call it started is finished. Resumes paused reading. */
void isms_conn_frame_done(struct isms_conn *conn);

/* Starts closing; queued output is flushed first when `flush` is set. */
void isms_conn_close(struct isms_conn *conn, int flush);

/* The connection has made an authenticated call: lifts the pre-login frame limit and the
 * login timer. */
void isms_conn_set_authenticated(struct isms_conn *conn);

/* A party waiting for a connection's output to drain (a paused server stream) or for a turn,
 * embedded in the waiter's own struct. Fields are private; use the functions. */
struct isms_conn_waiter {
    struct isms_conn_waiter *prev, *next;
    size_t below;
    void (*cb)(struct isms_conn_waiter *w);
    int is_waiting;
    int is_turn;    /* waits for a turn, not only for output to drain */
    int is_granted; /* the turn was granted (not: the connection closed) */
};

/* Runs `cb(w)` once, from a write completion, when the connection's pending output is at most
 * `below` bytes, or from the close callback when the connection goes away (check
 * isms_conn_is_closing then). Never runs `cb` from inside this call. `w` must stay valid until
 * `cb` ran or isms_conn_unwait() removed it. */
void isms_conn_wait_drain(struct isms_conn *conn, struct isms_conn_waiter *w, size_t below,
                          void (*cb)(struct isms_conn_waiter *w));
/* Turns pace the work that produces a connection's output (rpc/ takes one per database
 * statement): a connection runs at most turns_per_conn at once, and grants one only while its
 * pending output is at most stream_output_bytes and the server is within calls_memory_bytes
 * (over it, only a connection with no pending output gets one). Returns 1 when the turn is
 * taken now (always, for a closing connection); otherwise queues `w` (first come, first
 * served) and returns 0: `cb(w)` runs later, from a write or turn completion or a budget
 * release, holding the turn (`w->is_granted`), or from the close callback without one: a
 * connection that is gone gets no more work started for it. Every turn taken ends with
 * isms_conn_turn_end(). */
int isms_conn_turn_take(struct isms_conn *conn, struct isms_conn_waiter *w,
                        void (*cb)(struct isms_conn_waiter *w));
/* Ends a turn; may run waiters' callbacks (other calls' turns) before it returns. */
void isms_conn_turn_end(struct isms_conn *conn);

/* Memory of calls in flight changed (rpc/ freed arenas): when the server is back within its
 * budget, paused reading and waiting turns resume on every connection. */
void isms_net_budget_changed(struct isms_net *net);
/* Whether calls' arenas and pending output together are over calls_memory_bytes. */
int isms_net_is_over_budget(const struct isms_net *net);

/* Withdraws a waiter (nothing if it is not waiting). */
void isms_conn_unwait(struct isms_conn *conn, struct isms_conn_waiter *w);

int isms_conn_is_closing(const struct isms_conn *conn);
size_t isms_conn_pending_output(const struct isms_conn *conn);
uint64_t isms_conn_id(const struct isms_conn *conn);
const char *isms_conn_peer(const struct isms_conn *conn);
/* The peer's IP address without the port. */
const char *isms_conn_ip(const struct isms_conn *conn);
struct isms_net *isms_conn_net(const struct isms_conn *conn);

#endif
