/* client/wire.c — blocking TCP client of ismsd: connect with a timeout, send one Request frame,
 * read frames until the Response with our call_id arrives. The socket is non-blocking and every
 * wait goes through poll() with the time left, so no step can outlive its deadline. */
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

#include "isms/v1/envelope.pb-c.h"

#define READ_BUF_INITIAL 4096
#define NO_DEADLINE      INT64_MAX

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
}

/* A transport failure: the connection is no longer usable. */
static enum isms_code unreachable(struct isms_wire *w)
{
    w->is_unreachable = true;
    close_fd(w);
    return ISMS_UNAVAILABLE;
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

    isms_wire_cleanup(w);
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
    return ISMS_OK;
}

/* Sends all of buf within the deadline. */
static enum isms_code send_all(struct isms_wire *w, const uint8_t *buf, size_t len,
                               int64_t deadline_ms, struct isms_status *st)
{
    while (len > 0) {
        ssize_t n = send(w->fd, buf, len, MSG_NOSIGNAL);

        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = w->fd, .events = POLLOUT};
            int pn = poll(&pfd, 1, poll_timeout(deadline_ms));

            if (pn == 0) {
                close_fd(w);
                return isms_status_set(st, ISMS_DEADLINE_EXCEEDED,
                                       "could not send the request in time");
            }
            if (pn < 0 && errno != EINTR) {
                set_errno_reason(st, "could not send the request", errno);
                return unreachable(w);
            }
            continue;
        }
        set_errno_reason(st, "connection lost while sending", n < 0 ? errno : EPIPE);
        return unreachable(w);
    }
    return ISMS_OK;
}

/* Reads until one complete frame is buffered, then returns it in *f (valid until the next read).
 */
static enum isms_code read_frame(struct isms_wire *w, int64_t deadline_ms, uint32_t timeout_ms,
                                 struct isms_frame *f, struct isms_status *st)
{
    for (;;) {
        enum isms_frame_result fr = isms_frame_reader_next(&w->reader, f, st);
        uint8_t *space;
        size_t room;
        ssize_t n;

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
        n = recv(w->fd, space, room, 0);
        if (n > 0) {
            isms_frame_reader_commit(&w->reader, (size_t)n);
            continue;
        }
        if (n == 0) {
            isms_status_set(st, ISMS_UNAVAILABLE, "connection closed by the server%s",
                            isms_frame_reader_pending(&w->reader) > 0 ? " in mid-response"
                                                                      : " before it answered");
            return unreachable(w);
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
            int pn = poll(&pfd, 1, poll_timeout(deadline_ms));

            if (pn == 0) {
                close_fd(w);
                return isms_status_set(st, ISMS_DEADLINE_EXCEEDED,
                                       "no response from the server within %u ms",
                                       (unsigned)timeout_ms);
            }
            if (pn < 0 && errno != EINTR) {
                set_errno_reason(st, "could not wait for the response", errno);
                return unreachable(w);
            }
            continue;
        }
        set_errno_reason(st, "connection lost", errno);
        return unreachable(w);
    }
}

enum isms_code isms_wire_call(struct isms_wire *w, const char *method, const ProtobufCMessage *req,
                              const ProtobufCMessageDescriptor *resp_desc, uint32_t timeout_ms,
                              ProtobufCMessage **resp, struct isms_status *st)
{
    Isms__V1__Request env = ISMS__V1__REQUEST__INIT;
    uint8_t *body = NULL, *frame = NULL;
    size_t body_len, env_len;
    int64_t deadline_ms;
    enum isms_code code = ISMS_OK;
    uint64_t call_id;

    *resp = NULL;
    w->is_unreachable = false;
    if (w->fd < 0) {
        isms_status_set(st, ISMS_UNAVAILABLE, "not connected");
        return unreachable(w);
    }
    deadline_ms = timeout_ms == 0 ? NO_DEADLINE
                                  : now_ms() + (int64_t)timeout_ms + (int64_t)ISMS_WIRE_GRACE_MS;

    body_len = protobuf_c_message_get_packed_size(req);
    body = malloc(body_len + 1);
    if (body == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory for the request");
    protobuf_c_message_pack(req, body);

    call_id = w->next_call_id++;
    env.call_id = call_id;
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
    if (code != ISMS_OK)
        goto out;

    for (;;) {
        struct isms_frame f;
        Isms__V1__Response *r;

        code = read_frame(w, deadline_ms, timeout_ms, &f, st);
        if (code != ISMS_OK)
            goto out;
        if (f.flags & ISMS_FRAME_FLAG_COMPRESSED) {
            close_fd(w);
            code = isms_status_set(st, ISMS_INTERNAL, "server sent a compressed response");
            goto out;
        }
        r = isms__v1__response__unpack(NULL, f.body_len, f.body);
        if (r == NULL) {
            close_fd(w);
            code = isms_status_set(st, ISMS_INTERNAL, "could not decode the server's response");
            goto out;
        }
        /* call_id 0 answers a request the server could not read (bad envelope, frame too
         * large); with one call in flight it is ours. Any other id is not ours: skip it. */
        if (r->call_id != call_id && !(r->call_id == 0 && r->code != ISMS_OK)) {
            isms__v1__response__free_unpacked(r, NULL);
            continue;
        }
        if (r->code != ISMS_OK) {
            /* Keep the server's code as is, even one we do not know; main maps it. */
            code = (enum isms_code)r->code;
            isms_status_set(st, code, "%s",
                            r->message != NULL && r->message[0] != '\0' ? r->message
                                                                        : "(no message)");
            if (r->call_id == 0)
                close_fd(w);
        } else if (r->more) {
            close_fd(w);
            code = isms_status_set(st, ISMS_INTERNAL, "server answered a unary call with a stream");
        } else {
            *resp = protobuf_c_message_unpack(resp_desc, NULL, r->body.len, r->body.data);
            if (*resp == NULL)
                code = isms_status_set(st, ISMS_INTERNAL,
                                       "could not decode the server's %s message", resp_desc->name);
        }
        isms__v1__response__free_unpacked(r, NULL);
        goto out;
    }
out:
    free(body);
    free(frame);
    return code;
}
