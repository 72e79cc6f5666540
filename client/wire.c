/* client/wire.c — ismsd client transport: connect with a timeout, TLS handshake over the
 * non-blocking socket, send one Request frame, read frames until the Response(s) with our
 * call_id arrive. Every wait goes through poll() with the time left, so no step can outlive
 * its deadline; with TLS, OpenSSL's WANT_READ/WANT_WRITE say which way to wait. */
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "wire_tls.h"

#include "isms/v1/envelope.pb-c.h"

#define READ_BUF_INITIAL 4096
#define NO_DEADLINE      INT64_MAX

/* How one transport step ended. */
enum io_result {
    IO_DONE,   /* some bytes moved */
    IO_WAIT,   /* wait for `events` on the socket, then try again */
    IO_CLOSED, /* the peer closed the connection */
    IO_ERROR,  /* failed; st says why */
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until `deadline_ms` as a poll() timeout: -1 for none, 0 when passed. */
static int poll_timeout(int64_t deadline_ms)
{
    int64_t left;

    if (deadline_ms == NO_DEADLINE)
        return -1;
    left = deadline_ms - now_ms();
    if (left <= 0)
        return 0;
    return left > 60 * 60 * 1000 ? 60 * 60 * 1000 : (int)left;
}

/* strerror() text with a lower-case first letter, as our messages are written. */
static void set_errno_reason(struct isms_status *st, const char *what, int err)
{
    char reason[128];

    snprintf(reason, sizeof(reason), "%s", strerror(err));
    if (reason[0] >= 'A' && reason[0] <= 'Z' && !(reason[1] >= 'A' && reason[1] <= 'Z'))
        reason[0] = (char)(reason[0] - 'A' + 'a');
    if (what != NULL)
        isms_status_set(st, ISMS_UNAVAILABLE, "%s: %s", what, reason);
    else
        isms_status_set(st, ISMS_UNAVAILABLE, "%s", reason);
}

static void close_fd(struct isms_wire *w)
{
    if (w->tls != NULL) {
        /* Best effort close_notify; the socket is non-blocking, so this never waits. */
        ERR_clear_error();
        if (w->fd >= 0)
            (void)SSL_shutdown(w->tls);
        SSL_free(w->tls);
        w->tls = NULL;
    }
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

void isms_wire_init(struct isms_wire *w)
{
    memset(w, 0, sizeof(*w));
    w->fd = -1;
    w->next_call_id = 1;
}

void isms_wire_cleanup(struct isms_wire *w)
{
    close_fd(w);
    if (w->has_reader)
        isms_frame_reader_cleanup(&w->reader);
    w->has_reader = false;
    SSL_CTX_free(w->tls_ctx);
    w->tls_ctx = NULL;
}

/* A transport failure: the connection is no longer usable. */
static enum isms_code unreachable(struct isms_wire *w)
{
    w->is_unreachable = true;
    close_fd(w);
    return ISMS_UNAVAILABLE;
}

/* --- TLS --------------------------------------------------------------------------------- */

/* Maps an OpenSSL call's result to an io_result. */
static enum io_result tls_result(struct isms_wire *w, int rc, const char *what, short *events,
                                 struct isms_status *st)
{
    int err = SSL_get_error(w->tls, rc);
    int sys_errno = errno;

    switch (err) {
    case SSL_ERROR_WANT_READ:
        *events = POLLIN;
        return IO_WAIT;
    case SSL_ERROR_WANT_WRITE:
        *events = POLLOUT;
        return IO_WAIT;
    case SSL_ERROR_ZERO_RETURN:
        return IO_CLOSED;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_last_error() == 0 && sys_errno == EINTR) {
            *events = 0;
            return IO_WAIT;
        }
        if (ERR_peek_last_error() == 0 && (rc == 0 || sys_errno == 0))
            return IO_CLOSED;
        isms_wire_tls_failure(w->tls, err, sys_errno, what, st);
        return IO_ERROR;
    default:
        isms_wire_tls_failure(w->tls, err, 0, what, st);
        return IO_ERROR;
    }
}

/* --- byte transport ----------------------------------------------------------------------- */

static enum io_result io_recv(struct isms_wire *w, uint8_t *buf, size_t len, size_t *got,
                              short *events, struct isms_status *st)
{
    ssize_t n;

    *got = 0;
    if (w->tls != NULL) {
        size_t nread = 0;
        int rc;

        ERR_clear_error();
        errno = 0;
        rc = SSL_read_ex(w->tls, buf, len, &nread);
        if (rc == 1) {
            *got = nread;
            return IO_DONE;
        }
        return tls_result(w, rc, "connection failed", events, st);
    }
    n = recv(w->fd, buf, len, 0);
    if (n > 0) {
        *got = (size_t)n;
        return IO_DONE;
    }
    if (n == 0)
        return IO_CLOSED;
    if (errno == EINTR) {
        *events = 0;
        return IO_WAIT;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        *events = POLLIN;
        return IO_WAIT;
    }
    set_errno_reason(st, "connection lost", errno);
    return IO_ERROR;
}

static enum io_result io_send(struct isms_wire *w, const uint8_t *buf, size_t len, size_t *sent,
                              short *events, struct isms_status *st)
{
    ssize_t n;

    *sent = 0;
    if (w->tls != NULL) {
        size_t nw = 0;
        int rc;

        ERR_clear_error();
        errno = 0;
        rc = SSL_write_ex(w->tls, buf, len, &nw);
        if (rc == 1) {
            *sent = nw;
            return IO_DONE;
        }
        return tls_result(w, rc, "connection failed", events, st);
    }
    n = send(w->fd, buf, len, MSG_NOSIGNAL);
    if (n > 0) {
        *sent = (size_t)n;
        return IO_DONE;
    }
    if (n < 0 && errno == EINTR) {
        *events = 0;
        return IO_WAIT;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        *events = POLLOUT;
        return IO_WAIT;
    }
    set_errno_reason(st, "connection lost while sending", n < 0 ? errno : EPIPE);
    return IO_ERROR;
}

/* Waits for `events` on the socket until the deadline. Returns 1 when ready (or interrupted:
 * try again), 0 when the deadline passed, -1 on error (st set). */
static int wait_io(struct isms_wire *w, short events, int64_t deadline_ms, struct isms_status *st)
{
    struct pollfd pfd = {.fd = w->fd, .events = events};
    int n;

    if (events == 0)
        return 1;
    n = poll(&pfd, 1, poll_timeout(deadline_ms));
    if (n == 0)
        return 0;
    if (n < 0 && errno != EINTR) {
        set_errno_reason(st, "could not wait for the server", errno);
        return -1;
    }
    return 1;
}

/* --- connection setup ---------------------------------------------------------------------- */

enum isms_code isms_wire_use_tls(struct isms_wire *w, const char *ca_file, struct isms_status *st)
{
    SSL_CTX_free(w->tls_ctx);
    w->tls_ctx = NULL;
    return isms_wire_tls_ctx_new(ca_file, &w->tls_ctx, st);
}

/* Runs the TLS handshake on the connected socket within the deadline. */
static enum isms_code tls_handshake(struct isms_wire *w, const char *host, int64_t deadline_ms,
                                    uint32_t connect_timeout_ms, struct isms_status *st)
{
    if (isms_wire_tls_session_new(w->tls_ctx, w->fd, host, &w->tls, st) != ISMS_OK)
        return unreachable(w);
    for (;;) {
        short events = 0;
        int rc, ready;

        ERR_clear_error();
        errno = 0;
        rc = SSL_connect(w->tls);
        if (rc == 1)
            return ISMS_OK;
        switch (tls_result(w, rc, "handshake failed", &events, st)) {
        case IO_DONE:
            break;
        case IO_WAIT:
            ready = wait_io(w, events, deadline_ms, st);
            if (ready == 0) {
                isms_status_set(st, ISMS_UNAVAILABLE, "TLS: handshake timed out after %u ms",
                                (unsigned)connect_timeout_ms);
                return unreachable(w);
            }
            if (ready < 0)
                return unreachable(w);
            break;
        case IO_CLOSED:
            isms_status_set(st, ISMS_UNAVAILABLE,
                            "TLS: handshake failed (connection closed by the server)");
            return unreachable(w);
        case IO_ERROR:
            return unreachable(w);
        }
    }
}

/* Connects one address within the deadline. Returns 0, or an errno value (ETIMEDOUT when the
 * deadline passed). */
static int connect_one(const struct addrinfo *ai, int64_t deadline_ms, int *fd_out)
{
    int fd, flags, err = 0, one = 1;
    socklen_t errlen = sizeof(err);

    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        return errno;
    flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        err = errno;
        close(fd);
        return err;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS && errno != EINTR) {
            err = errno;
            close(fd);
            return err;
        }
        for (;;) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            int n = poll(&pfd, 1, poll_timeout(deadline_ms));

            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                err = errno;
                close(fd);
                return err;
            }
            if (n == 0) {
                close(fd);
                return ETIMEDOUT;
            }
            break;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
            err = errno;
        if (err != 0) {
            close(fd);
            return err;
        }
    }
    /* Requests are small and each waits for its answer: send them at once. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    *fd_out = fd;
    return 0;
}

enum isms_code isms_wire_connect(struct isms_wire *w, const char *host, const char *port,
                                 uint32_t connect_timeout_ms, struct isms_status *st)
{
    struct addrinfo hints, *res = NULL;
    int64_t deadline_ms =
        connect_timeout_ms == 0 ? NO_DEADLINE : now_ms() + (int64_t)connect_timeout_ms;
    int rc, err = 0;

    close_fd(w);
    if (w->has_reader)
        isms_frame_reader_cleanup(&w->reader);
    w->has_reader = false;
    w->has_received = false;
    w->is_unreachable = false;
    if (isms_frame_reader_init(&w->reader, READ_BUF_INITIAL, ISMS_WIRE_MAX_FRAME_BYTES, st) !=
        ISMS_OK)
        return st->code;
    w->has_reader = true;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        isms_status_set(st, ISMS_UNAVAILABLE, "could not resolve \"%s\": %s", host,
                        rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return unreachable(w);
    }
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        err = connect_one(ai, deadline_ms, &w->fd);
        if (err == 0)
            break;
        if (err == ETIMEDOUT && poll_timeout(deadline_ms) == 0)
            break;
    }
    freeaddrinfo(res);
    if (err == ETIMEDOUT && connect_timeout_ms != 0) {
        isms_status_set(st, ISMS_UNAVAILABLE, "connection timed out after %u ms",
                        (unsigned)connect_timeout_ms);
        return unreachable(w);
    }
    if (err != 0) {
        set_errno_reason(st, NULL, err);
        return unreachable(w);
    }
    if (w->tls_ctx != NULL)
        return tls_handshake(w, host, deadline_ms, connect_timeout_ms, st);
    return ISMS_OK;
}

/* --- frames ------------------------------------------------------------------------------ */

/* Sends all of buf within the deadline. */
static enum isms_code send_all(struct isms_wire *w, const uint8_t *buf, size_t len,
                               int64_t deadline_ms, struct isms_status *st)
{
    while (len > 0) {
        size_t n = 0;
        short events = 0;
        int ready;

        switch (io_send(w, buf, len, &n, &events, st)) {
        case IO_DONE:
            buf += n;
            len -= n;
            continue;
        case IO_WAIT:
            ready = wait_io(w, events, deadline_ms, st);
            if (ready == 0) {
                close_fd(w);
                return isms_status_set(st, ISMS_DEADLINE_EXCEEDED,
                                       "could not send the request in time");
            }
            if (ready < 0)
                return unreachable(w);
            continue;
        case IO_CLOSED:
            isms_status_set(st, ISMS_UNAVAILABLE, "connection closed by the server");
            return unreachable(w);
        case IO_ERROR:
            return unreachable(w);
        }
    }
    return ISMS_OK;
}

/* The first bytes a server sent look like a TLS record (handshake or alert, version 3.x),
 * which a plaintext client gets from a TLS-only ismsd. */
static bool looks_like_tls(const uint8_t *p, size_t n)
{
    return n >= 2 && p[0] >= 0x14 && p[0] <= 0x17 && p[1] == 0x03;
}

/* Reads until one complete frame is buffered, then returns it in *f (valid until the next
 * read). `wait_ms` is only for the message when the deadline passes. */
static enum isms_code read_frame(struct isms_wire *w, int64_t deadline_ms, uint32_t wait_ms,
                                 struct isms_frame *f, struct isms_status *st)
{
    for (;;) {
        enum isms_frame_result fr = isms_frame_reader_next(&w->reader, f, st);
        uint8_t *space;
        size_t room, n = 0;
        short events = 0;
        int ready;

        if (fr == ISMS_FRAME_READY)
            return ISMS_OK;
        if (fr == ISMS_FRAME_ERROR) {
            close_fd(w);
            /* Most likely not an ismsd at all (an HTTP server's "HTTP/" reads as ~1.4 GB). */
            return isms_status_set(st, ISMS_INTERNAL,
                                   "server sent a frame over the %u MiB limit (is it ismsd?)",
                                   ISMS_WIRE_MAX_FRAME_BYTES / (1024 * 1024));
        }
        if (isms_frame_reader_space(&w->reader, &space, &room, st) != ISMS_OK) {
            close_fd(w);
            return st->code;
        }
        switch (io_recv(w, space, room, &n, &events, st)) {
        case IO_DONE:
            if (!w->has_received && w->tls == NULL && looks_like_tls(space, n)) {
                isms_status_set(st, ISMS_UNAVAILABLE,
                                "the server speaks TLS, but plaintext was asked for (--plaintext, "
                                "ISMS_PLAINTEXT or plaintext = true)");
                return unreachable(w);
            }
            w->has_received = true;
            isms_frame_reader_commit(&w->reader, n);
            continue;
        case IO_WAIT:
            ready = wait_io(w, events, deadline_ms, st);
            if (ready == 0) {
                close_fd(w);
                return isms_status_set(st, ISMS_DEADLINE_EXCEEDED,
                                       "no response from the server within %u ms",
                                       (unsigned)wait_ms);
            }
            if (ready < 0)
                return unreachable(w);
            continue;
        case IO_CLOSED:
            isms_status_set(
                st, ISMS_UNAVAILABLE, "connection closed by the server%s",
                isms_frame_reader_pending(&w->reader) > 0 ? " in mid-response"
                : w->has_received                         ? ""
                : w->tls == NULL
                    ? " before it answered (is it a TLS server? then do not ask for plaintext)"
                    : " before it answered");
            return unreachable(w);
        case IO_ERROR:
            return unreachable(w);
        }
    }
}

/* Packs and sends one Request; *call_id is the id it was given. */
static enum isms_code send_request(struct isms_wire *w, const char *method, const char *token,
                                   const ProtobufCMessage *req, uint32_t timeout_ms,
                                   int64_t deadline_ms, uint64_t *call_id, struct isms_status *st)
{
    Isms__V1__Request env = ISMS__V1__REQUEST__INIT;
    Isms__V1__Request__MetadataEntry auth = ISMS__V1__REQUEST__METADATA_ENTRY__INIT;
    Isms__V1__Request__MetadataEntry idem = ISMS__V1__REQUEST__METADATA_ENTRY__INIT;
    Isms__V1__Request__MetadataEntry *meta[2] = {&auth, &idem};
    uint8_t *body = NULL, *frame = NULL;
    char *bearer = NULL;
    size_t body_len, env_len = 0, bearer_len = 0;
    enum isms_code code = ISMS_OK;

    if (w->fd < 0) {
        isms_status_set(st, ISMS_UNAVAILABLE, "not connected");
        return unreachable(w);
    }
    body_len = protobuf_c_message_get_packed_size(req);
    body = malloc(body_len + 1);
    if (body == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory for the request");
    protobuf_c_message_pack(req, body);

    if (token != NULL) {
        bearer_len = strlen(token) + sizeof("Bearer ");
        bearer = malloc(bearer_len);
        if (bearer == NULL) {
            code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory for the request");
            goto out;
        }
        snprintf(bearer, bearer_len, "Bearer %s", token);
        auth.key = "authorization";
        auth.value = bearer;
        env.n_metadata = 1;
        env.metadata = meta;
        if (w->idempotency_key != NULL) {
            idem.key = "idempotency-key";
            idem.value = (char *)w->idempotency_key;
            env.n_metadata = 2;
        }
    }
    *call_id = w->next_call_id++;
    env.call_id = *call_id;
    env.method = (char *)method;
    env.timeout_ms = timeout_ms;
    env.body.data = body;
    env.body.len = body_len;
    env_len = isms__v1__request__get_packed_size(&env);
    if (env_len > UINT32_MAX - ISMS_FRAME_HEADER_BYTES) {
        code = isms_status_set(st, ISMS_INVALID_ARGUMENT, "request too large (%zu bytes)", env_len);
        goto out;
    }
    frame = malloc(ISMS_FRAME_HEADER_BYTES + env_len);
    if (frame == NULL) {
        code = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory for the request");
        goto out;
    }
    isms_frame_header(frame, 0, (uint32_t)env_len);
    isms__v1__request__pack(&env, frame + ISMS_FRAME_HEADER_BYTES);
    code = send_all(w, frame, ISMS_FRAME_HEADER_BYTES + env_len, deadline_ms, st);
out:
    /* The request may hold a password or the token: leave no copy in freed memory. */
    OPENSSL_cleanse(body, body_len);
    free(body);
    if (bearer != NULL)
        OPENSSL_cleanse(bearer, bearer_len);
    free(bearer);
    if (frame != NULL)
        OPENSSL_cleanse(frame, ISMS_FRAME_HEADER_BYTES + env_len);
    free(frame);
    return code;
}

/* Reads frames until a Response for `call_id` arrives (or an error answered with call_id 0,
 * which with one call in flight is ours) and returns it in *out; free it with
 * isms__v1__response__free_unpacked. */
static enum isms_code read_response(struct isms_wire *w, uint64_t call_id, int64_t deadline_ms,
                                    uint32_t wait_ms, Isms__V1__Response **out,
                                    struct isms_status *st)
{
    *out = NULL;
    for (;;) {
        struct isms_frame f;
        Isms__V1__Response *r;
        enum isms_code code = read_frame(w, deadline_ms, wait_ms, &f, st);

        if (code != ISMS_OK)
            return code;
        if (f.flags & ISMS_FRAME_FLAG_COMPRESSED) {
            close_fd(w);
            return isms_status_set(st, ISMS_INTERNAL, "server sent a compressed response");
        }
        r = isms__v1__response__unpack(NULL, f.body_len, f.body);
        if (r == NULL) {
            close_fd(w);
            return isms_status_set(st, ISMS_INTERNAL, "could not decode the server's response");
        }
        if (r->call_id == call_id || (r->call_id == 0 && r->code != ISMS_OK)) {
            *out = r;
            return ISMS_OK;
        }
        isms__v1__response__free_unpacked(r, NULL);
    }
}

/* Turns an error Response into the status; closes the connection if the server said it
 * could not read our request (call_id 0). */
static enum isms_code server_error(struct isms_wire *w, const Isms__V1__Response *r,
                                   struct isms_status *st)
{
    /* Keep the server's code as is, even one we do not know; main maps it. */
    enum isms_code code = (enum isms_code)r->code;

    isms_status_set(st, code, "%s",
                    r->message != NULL && r->message[0] != '\0' ? r->message : "(no message)");
    if (r->call_id == 0)
        close_fd(w);
    return code;
}

enum isms_code isms_wire_call(struct isms_wire *w, const char *method, const char *token,
                              const ProtobufCMessage *req,
                              const ProtobufCMessageDescriptor *resp_desc, uint32_t timeout_ms,
                              ProtobufCMessage **resp, struct isms_status *st)
{
    int64_t deadline_ms = timeout_ms == 0
                              ? NO_DEADLINE
                              : now_ms() + (int64_t)timeout_ms + (int64_t)ISMS_WIRE_GRACE_MS;
    Isms__V1__Response *r = NULL;
    enum isms_code code;
    uint64_t call_id = 0;

    *resp = NULL;
    w->is_unreachable = false;
    code = send_request(w, method, token, req, timeout_ms, deadline_ms, &call_id, st);
    if (code != ISMS_OK)
        return code;
    code = read_response(w, call_id, deadline_ms, timeout_ms, &r, st);
    if (code != ISMS_OK)
        return code;
    if (r->code != ISMS_OK) {
        code = server_error(w, r, st);
    } else if (r->more) {
        close_fd(w);
        code = isms_status_set(st, ISMS_INTERNAL, "server answered a unary call with a stream");
    } else {
        *resp = protobuf_c_message_unpack(resp_desc, NULL, r->body.len, r->body.data);
        if (*resp == NULL)
            code = isms_status_set(st, ISMS_INTERNAL, "could not decode the server's %s message",
                                   resp_desc->name);
    }
    /* Responses may carry a token or a password: wipe before freeing. */
    if (r->body.data != NULL)
        OPENSSL_cleanse(r->body.data, r->body.len);
    isms__v1__response__free_unpacked(r, NULL);
    return code;
}

enum isms_code isms_wire_stream(struct isms_wire *w, const char *method, const char *token,
                                const ProtobufCMessage *req,
                                const ProtobufCMessageDescriptor *item_desc, uint32_t timeout_ms,
                                uint32_t idle_ms, isms_wire_item_cb *cb, void *ud,
                                struct isms_status *st)
{
    int64_t deadline_ms = timeout_ms == 0
                              ? NO_DEADLINE
                              : now_ms() + (int64_t)timeout_ms + (int64_t)ISMS_WIRE_GRACE_MS;
    enum isms_code code;
    uint64_t call_id = 0;

    w->is_unreachable = false;
    code = send_request(w, method, token, req, timeout_ms, deadline_ms, &call_id, st);
    if (code != ISMS_OK)
        return code;
    for (;;) {
        Isms__V1__Response *r = NULL;
        ProtobufCMessage *item;
        int64_t wait_deadline = deadline_ms;
        uint32_t wait_ms = timeout_ms;

        if (idle_ms != 0 && now_ms() + (int64_t)idle_ms < wait_deadline) {
            wait_deadline = now_ms() + (int64_t)idle_ms;
            wait_ms = idle_ms;
        }
        code = read_response(w, call_id, wait_deadline, wait_ms, &r, st);
        if (code != ISMS_OK)
            return code;
        if (r->code != ISMS_OK) {
            code = server_error(w, r, st);
            isms__v1__response__free_unpacked(r, NULL);
            return code;
        }
        if (!r->more) {
            isms__v1__response__free_unpacked(r, NULL);
            return ISMS_OK;
        }
        item = protobuf_c_message_unpack(item_desc, NULL, r->body.len, r->body.data);
        isms__v1__response__free_unpacked(r, NULL);
        if (item == NULL) {
            close_fd(w);
            return isms_status_set(st, ISMS_INTERNAL,
                                   "could not decode a %s message of the server's stream",
                                   item_desc->name);
        }
        code = cb(ud, item, st);
        protobuf_c_message_free_unpacked(item, NULL);
        if (code != ISMS_OK) {
            /* The rest of the stream is still coming: this connection is done. */
            close_fd(w);
            return code;
        }
    }
}
