/* net/conn_internal.h — struct isms_conn and the functions net/conn.c and net/listener.c
 * share. Only net/ includes it; everything else sees the opaque struct of net/conn.h. */
#ifndef ISMS_NET_CONN_INTERNAL_H
#define ISMS_NET_CONN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <uv.h>

#include "common/frame.h"
#include "net/conn.h"

#define READ_BUF_INITIAL 65536
#define TLS_IN_BYTES     (17 * 1024) /* one TLS record and its overhead */

struct isms_conn {
    struct isms_conn *prev, *next; /* net->conns */
    struct isms_net *net;
    uint64_t id;
    uv_tcp_t tcp;
    uv_timer_t idle_timer; /* one timer for the idle, login and frame deadlines */
    struct isms_frame_reader rd;
    uint32_t inflight;      /* frames handed up and not yet done */
    uint32_t refs;          /* 1 for the handles + 1 per in-flight frame */
    int pending_closes;     /* handles still closing */
    int is_closing;         /* handles closing or closed */
    int is_close_requested; /* close once queued output is written */
    int is_reset;           /* close with a TCP reset (output that would never drain) */
    int is_reading;
    int is_eof; /* peer finished sending */
    int in_process;
    size_t out_bytes; /* bytes in uv_write requests not yet completed */
    int is_authenticated;
    uint64_t last_activity_ms;
    uint64_t opened_ms;
    uint64_t partial_since_ms; /* when the incomplete frame at the head began; 0 = none */
    char peer[64];
    char ip[48];
    SSL *ssl;        /* NULL for plaintext; owned */
    uint8_t *tls_in; /* ciphertext read buffer; owned */
    int is_handshaken;
    struct isms_conn_waiter *waiters; /* waiting for output to drain or a turn, oldest first */
    struct isms_conn_waiter *waiters_tail;
    uint32_t turns;             /* turns held (statements running for this conn's calls) */
    uint64_t write_progress_ms; /* last time pending output moved (or began) */
    size_t write_queue_seen;    /* libuv's unwritten bytes then, to see partial progress */
};

/* Closes both handles now (queued output is dropped); the conn is freed from their callbacks. */
void isms_conn_do_close(struct isms_conn *c);
/* (Re)arms the one timer for the conn's nearest idle, login or frame deadline. */
void isms_conn_arm_timer(struct isms_conn *c);
/* Starts or stops reading (never while closing, after EOF or with a close requested). */
void isms_conn_set_reading(struct isms_conn *c, int on);
/* Whether the conn may hand up another frame now (in-flight bound, memory budget). */
int isms_conn_may_take_frame(struct isms_conn *c);
/* Runs net->on_all_closed once the listener and every connection are closed. */
void isms_net_maybe_done(struct isms_net *net);

#endif
