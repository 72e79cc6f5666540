/* tests/lib/tl_client.c — a raw TCP client for isms.v1: send any bytes, send framed Requests
 * built with the generated protobuf-c code, read framed Responses with a timeout (poll). */
#include "testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "common/status.h"
#include "common/frame.h"
#include "tl_internal.h"

#define MAX_FDS 64
/* Largest response body the client accepts (the daemon's default frame limit). */
#define MAX_RESPONSE (4u * 1024u * 1024u)

static int fds[MAX_FDS];
static size_t n_fds;
static uint64_t next_call_id = 1000;
static char bearer[600]; /* "Bearer <token>", or "" */

void isms_test_set_token(const char *token)
{
    if (token == NULL || token[0] == '\0') {
        bearer[0] = '\0';
        return;
    }
    cr_assert(strlen(token) + 8 < sizeof(bearer), "token too long");
    snprintf(bearer, sizeof(bearer), "Bearer %s", token);
}

const char *isms_test_token(void)
{
    return bearer[0] != '\0' ? bearer + 7 : NULL;
}

void isms_tl_fd_register(int fd)
{
    if (n_fds < MAX_FDS)
        fds[n_fds++] = fd;
}

void isms_tl_fd_forget(int fd)
{
    for (size_t i = 0; i < n_fds; i++) {
        if (fds[i] == fd) {
            fds[i] = fds[--n_fds];
            return;
        }
    }
}

void isms_tl_fds_close_all(void)
{
    while (n_fds > 0)
        close(fds[--n_fds]);
}

uint64_t isms_test_next_call_id(void)
{
    return next_call_id++;
}

int isms_test_try_connect(int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int saved = errno;

        if (saved == EINTR)
            continue;
        close(fd);
        errno = saved;
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    isms_tl_fd_register(fd);
    return fd;
}

int isms_test_connect_from(int port, const char *src_ip)
{
    struct sockaddr_in sa, src;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;

    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    memset(&src, 0, sizeof(src));
    src.sin_family = AF_INET;
    cr_assert_eq(inet_pton(AF_INET, src_ip, &src.sin_addr), 1, "bad source address %s", src_ip);
    cr_assert_eq(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0, "bind to %s: %s", src_ip,
                 strerror(errno));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int saved = errno;

        if (saved == EINTR)
            continue;
        close(fd);
        cr_assert_fail("could not connect to 127.0.0.1:%d from %s: %s", port, src_ip,
                       strerror(saved));
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    isms_tl_fd_register(fd);
    return fd;
}

int isms_test_connect(int port)
{
    int fd = isms_test_try_connect(port);

    cr_assert(fd >= 0, "could not connect to 127.0.0.1:%d: %s", port, strerror(errno));
    return fd;
}

void isms_test_close(int fd)
{
    if (fd < 0)
        return;
    isms_tl_fd_forget(fd);
    close(fd);
}

bool isms_test_try_send(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;

    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

void isms_test_send(int fd, const void *p, size_t n)
{
    cr_assert(isms_test_try_send(fd, p, n), "could not send %zu bytes: %s", n, strerror(errno));
}

uint8_t *isms_test_frame_raw(size_t *len, uint8_t flags, const uint8_t *body, size_t body_len)
{
    uint8_t *out = malloc(ISMS_FRAME_HEADER_BYTES + body_len + 1);

    cr_assert(out != NULL, "out of memory");
    cr_assert(body_len <= UINT32_MAX, "body too large");
    isms_frame_header(out, flags, (uint32_t)body_len);
    if (body_len > 0)
        memcpy(out + ISMS_FRAME_HEADER_BYTES, body, body_len);
    *len = ISMS_FRAME_HEADER_BYTES + body_len;
    return out;
}

/* isms_test_frame_request with `idem_key` (NULL: none) as idempotency-key metadata. */
static uint8_t *frame_request_keyed(size_t *len, uint64_t call_id, const char *method,
                                    uint32_t timeout_ms, const ProtobufCMessage *msg,
                                    const uint8_t *raw_body, size_t raw_len, const char *idem_key)
{
    Isms__V1__Request req = ISMS__V1__REQUEST__INIT;
    Isms__V1__Request__MetadataEntry auth = ISMS__V1__REQUEST__METADATA_ENTRY__INIT;
    Isms__V1__Request__MetadataEntry idem = ISMS__V1__REQUEST__METADATA_ENTRY__INIT;
    Isms__V1__Request__MetadataEntry *md[2];
    uint8_t *body = NULL;
    uint8_t *env, *frame;
    size_t env_len;

    if (msg != NULL) {
        raw_len = protobuf_c_message_get_packed_size(msg);
        body = malloc(raw_len + 1);
        cr_assert(body != NULL, "out of memory");
        protobuf_c_message_pack(msg, body);
        raw_body = body;
    }
    req.call_id = call_id;
    req.method = (char *)method;
    req.timeout_ms = timeout_ms;
    req.body.data = (uint8_t *)raw_body;
    req.body.len = raw_len;
    if (bearer[0] != '\0') {
        auth.key = "authorization";
        auth.value = bearer;
        md[req.n_metadata++] = &auth;
    }
    if (idem_key != NULL) {
        idem.key = "idempotency-key";
        idem.value = (char *)idem_key;
        md[req.n_metadata++] = &idem;
    }
    req.metadata = req.n_metadata > 0 ? md : NULL;
    env_len = isms__v1__request__get_packed_size(&req);
    env = malloc(env_len + 1);
    cr_assert(env != NULL, "out of memory");
    isms__v1__request__pack(&req, env);
    frame = isms_test_frame_raw(len, 0, env, env_len);
    free(env);
    free(body);
    return frame;
}

uint8_t *isms_test_frame_request(size_t *len, uint64_t call_id, const char *method,
                                 uint32_t timeout_ms, const ProtobufCMessage *msg,
                                 const uint8_t *raw_body, size_t raw_len)
{
    return frame_request_keyed(len, call_id, method, timeout_ms, msg, raw_body, raw_len, NULL);
}

void isms_test_send_keyed(int fd, uint64_t call_id, const char *method, uint32_t timeout_ms,
                          const ProtobufCMessage *msg, const char *idem_key)
{
    size_t len;
    uint8_t *f = frame_request_keyed(&len, call_id, method, timeout_ms, msg, NULL, 0, idem_key);

    isms_test_send(fd, f, len);
    free(f);
}

void isms_test_send_request(int fd, uint64_t call_id, const char *method, uint32_t timeout_ms,
                            const ProtobufCMessage *msg)
{
    size_t len;
    uint8_t *f = isms_test_frame_request(&len, call_id, method, timeout_ms, msg, NULL, 0);

    isms_test_send(fd, f, len);
    free(f);
}

/* Reads exactly n bytes before the deadline. */
static enum isms_test_io read_exact(int fd, uint8_t *p, size_t n, int64_t deadline)
{
    while (n > 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int64_t left = deadline - isms_test_now_ms();
        int pr;
        ssize_t r;

        if (left <= 0)
            return ISMS_TEST_IO_TIMEOUT;
        pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            return ISMS_TEST_IO_ERROR;
        if (pr == 0)
            return ISMS_TEST_IO_TIMEOUT;
        r = recv(fd, p, n, 0);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r == 0 || (r < 0 && (errno == ECONNRESET || errno == EPIPE)))
            return ISMS_TEST_IO_EOF;
        if (r < 0)
            return ISMS_TEST_IO_ERROR;
        p += r;
        n -= (size_t)r;
    }
    return ISMS_TEST_IO_OK;
}

enum isms_test_io isms_test_read_frame(int fd, int timeout_ms, uint8_t *flags, uint8_t **body,
                                       uint32_t *body_len)
{
    int64_t deadline = isms_test_now_ms() + timeout_ms;
    uint8_t hdr[ISMS_FRAME_HEADER_BYTES];
    enum isms_test_io io = read_exact(fd, hdr, sizeof(hdr), deadline);
    uint8_t *b;

    *body = NULL;
    if (io != ISMS_TEST_IO_OK)
        return io;
    isms_frame_parse_header(hdr, flags, body_len);
    cr_assert(*body_len <= MAX_RESPONSE, "server sent a frame of %u bytes", *body_len);
    b = malloc((size_t)*body_len + 1);
    cr_assert(b != NULL, "out of memory");
    io = read_exact(fd, b, *body_len, deadline);
    if (io != ISMS_TEST_IO_OK) {
        free(b);
        return io;
    }
    *body = b;
    return ISMS_TEST_IO_OK;
}

enum isms_test_io isms_test_try_read_response(int fd, int timeout_ms, Isms__V1__Response **out)
{
    uint8_t flags;
    uint8_t *body;
    uint32_t len;
    enum isms_test_io io = isms_test_read_frame(fd, timeout_ms, &flags, &body, &len);

    *out = NULL;
    if (io != ISMS_TEST_IO_OK)
        return io;
    cr_assert(flags == 0, "server sent a frame with flags 0x%02x", flags);
    *out = isms__v1__response__unpack(NULL, len, body);
    free(body);
    cr_assert(*out != NULL, "server sent a %u-byte frame that is not an isms.v1.Response", len);
    return ISMS_TEST_IO_OK;
}

static const char *io_name(enum isms_test_io io)
{
    switch (io) {
    case ISMS_TEST_IO_OK:
        return "ok";
    case ISMS_TEST_IO_EOF:
        return "connection closed";
    case ISMS_TEST_IO_TIMEOUT:
        return "timed out";
    default:
        return "socket error";
    }
}

Isms__V1__Response *isms_test_read_response(int fd, int timeout_ms, const char *what)
{
    Isms__V1__Response *r;
    enum isms_test_io io = isms_test_try_read_response(fd, timeout_ms, &r);

    cr_assert(io == ISMS_TEST_IO_OK, "no response to %s: %s (waited up to %d ms)", what,
              io_name(io), timeout_ms);
    return r;
}

bool isms_test_wait_closed(int fd, int timeout_ms)
{
    int64_t deadline = isms_test_now_ms() + timeout_ms;
    uint8_t buf[4096];

    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int64_t left = deadline - isms_test_now_ms();
        int pr;
        ssize_t r;

        if (left <= 0)
            return false;
        pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return false;
        r = recv(fd, buf, sizeof(buf), 0);
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
            return true;
    }
}

int isms_test_unary(int fd, const char *method, const ProtobufCMessage *req, uint32_t timeout_ms,
                    const ProtobufCMessageDescriptor *out_desc, struct isms_test_reply *rep)
{
    uint64_t id = isms_test_next_call_id();
    Isms__V1__Response *r;
    int code;
    char what[300];

    isms_test_send_request(fd, id, method, timeout_ms, req);
    snprintf(what, sizeof(what), "%s (call %llu)", method, (unsigned long long)id);
    r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS + (int)timeout_ms, what);
    cr_assert(r->call_id == id, "%s: response carries call_id %llu, expected %llu", method,
              (unsigned long long)r->call_id, (unsigned long long)id);
    cr_assert(!r->more, "%s: unary response has more = true", method);
    code = r->code;
    if (rep != NULL) {
        memset(rep, 0, sizeof(*rep));
        rep->code = code;
        rep->message = strdup(r->message != NULL ? r->message : "");
        if (code == 0 && out_desc != NULL) {
            rep->body = protobuf_c_message_unpack(out_desc, NULL, r->body.len, r->body.data);
            cr_assert(rep->body != NULL, "%s: OK response body is not a valid %s", method,
                      out_desc->name);
        }
    }
    isms__v1__response__free_unpacked(r, NULL);
    return code;
}

void isms_test_reply_cleanup(struct isms_test_reply *rep)
{
    free(rep->message);
    rep->message = NULL;
    if (rep->body != NULL)
        protobuf_c_message_free_unpacked(rep->body, NULL);
    rep->body = NULL;
}

/* strstr ignoring ASCII case. */
static const char *find_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay != '\0'; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return hay;
    return n == 0 ? hay : NULL;
}

void isms_test_expect(const struct isms_test_reply *rep, int code, const char *needle,
                      const char *what)
{
    cr_assert(rep->code == code, "%s: expected %s, got %s: \"%s\"", what, isms_code_name(code),
              isms_code_name(rep->code), rep->message != NULL ? rep->message : "");
    if (needle != NULL)
        cr_assert(rep->message != NULL && find_nocase(rep->message, needle) != NULL,
                  "%s: %s message \"%s\" does not mention \"%s\"", what, isms_code_name(code),
                  rep->message != NULL ? rep->message : "", needle);
}

int isms_test_health(int port, char *status_out, size_t status_len)
{
    int fd = isms_test_connect(port);
    Isms__V1__HealthRequest req = ISMS__V1__HEALTH_REQUEST__INIT;
    struct isms_test_reply rep;
    int code = isms_test_unary(fd, "/isms.v1.System/Health", &req.base, 0,
                               &isms__v1__health_response__descriptor, &rep);

    if (status_out != NULL && status_len > 0) {
        status_out[0] = '\0';
        if (code == 0)
            snprintf(status_out, status_len, "%s", ((Isms__V1__HealthResponse *)rep.body)->status);
    }
    isms_test_reply_cleanup(&rep);
    isms_test_close(fd);
    return code;
}

int isms_test_login(int port, const char *user, const char *password, char *token, size_t len)
{
    Isms__V1__LoginRequest req = ISMS__V1__LOGIN_REQUEST__INIT;
    struct isms_test_reply rep;
    int fd = isms_test_connect(port);
    int code;

    req.user = (char *)user;
    req.password = (char *)password;
    code = isms_test_unary(fd, ISMS_M_AUTH_LOGIN, &req.base, 0,
                           &isms__v1__login_response__descriptor, &rep);
    if (token != NULL && len > 0) {
        token[0] = '\0';
        if (code == 0)
            snprintf(token, len, "%s", ((Isms__V1__LoginResponse *)rep.body)->token);
    }
    if (code != 0)
        cr_log_info("login as %s: %s: %s", user, isms_code_name(code), rep.message);
    isms_test_reply_cleanup(&rep);
    isms_test_close(fd);
    return code;
}

int isms_test_stream(int fd, const char *method, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *item_desc, isms_test_item_fn *on_item,
                     void *ud, size_t *n_items, struct isms_test_reply *rep)
{
    uint64_t id = isms_test_next_call_id();
    size_t n = 0;

    isms_test_send_request(fd, id, method, 0, req);
    for (;;) {
        char what[300];
        Isms__V1__Response *r;

        snprintf(what, sizeof(what), "%s (call %llu, after %zu items)", method,
                 (unsigned long long)id, n);
        r = isms_test_read_response(fd, ISMS_TEST_REPLY_TIMEOUT_MS, what);
        cr_assert(r->call_id == id, "%s: response carries call_id %llu, expected %llu", method,
                  (unsigned long long)r->call_id, (unsigned long long)id);
        if (r->more) {
            cr_assert(r->code == 0, "%s: stream message with code %s", method,
                      isms_code_name(r->code));
            if (on_item != NULL) {
                ProtobufCMessage *m =
                    protobuf_c_message_unpack(item_desc, NULL, r->body.len, r->body.data);

                cr_assert(m != NULL, "%s: stream item is not a valid %s", method, item_desc->name);
                on_item(m, ud);
                protobuf_c_message_free_unpacked(m, NULL);
            }
            n++;
            isms__v1__response__free_unpacked(r, NULL);
            continue;
        }
        if (rep != NULL) {
            memset(rep, 0, sizeof(*rep));
            rep->code = r->code;
            rep->message = strdup(r->message != NULL ? r->message : "");
        }
        if (n_items != NULL)
            *n_items = n;
        {
            int code = r->code;

            isms__v1__response__free_unpacked(r, NULL);
            return code;
        }
    }
}

void isms_test_user_create(int fd, const char *name, const char *role, const char *password)
{
    Isms__V1__CreateUserRequest u = ISMS__V1__CREATE_USER_REQUEST__INIT;
    struct isms_test_reply rep;
    char *roles[1] = {(char *)role};
    char what[160];

    u.name = (char *)name;
    u.roles = roles;
    u.n_roles = 1;
    u.password = (char *)password;
    u.permanent = password != NULL && password[0] != '\0'; /* not one-time: tests log in */
    isms_test_unary(fd, "/isms.v1.User/Create", &u.base, 0,
                    &isms__v1__create_user_response__descriptor, &rep);
    snprintf(what, sizeof(what), "User/Create %s (%s)", name, role);
    isms_test_expect(&rep, 0, NULL, what);
    isms_test_reply_cleanup(&rep);
}
