/* bench/login.c — blocking unary calls over a fresh TCP connection each: Auth/Login,
 * Auth/WhoAmI, Auth/Logout. A 30 s socket timeout keeps a silent server from hanging us. */
#include "login.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "isms/v1/auth.pb-c.h"
#include "isms/v1/envelope.pb-c.h"
#include "common/frame.h"

#define IO_TIMEOUT_S  30
#define MAX_RESP_BODY (1024u * 1024)

static int dial(const char *host, const char *port, char *err, size_t errlen)
{
    struct addrinfo hints, *ai = NULL, *p;
    struct timeval tv = {IO_TIMEOUT_S, 0};
    int fd = -1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "could not resolve \"%s\": %s", host, gai_strerror(rc));
        return -1;
    }
    for (p = ai; p != NULL; p = p->ai_next) {
        fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
        if (fd < 0)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, p->ai_addr, p->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0)
        snprintf(err, errlen, "could not connect to %s:%s: %s", host, port, strerror(errno));
    return fd;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/*
 * Sends `method` with request `req` (and the bearer `token`, if any) and unpacks the OK answer's
 * body as `out_desc` into `*out` (free with protobuf_c_message_free_unpacked). Returns 0, or -1
 * with `err` holding the code and message of a non-OK answer or the transport problem.
 */
static int unary(const char *host, const char *port, const char *method,
                 const ProtobufCMessage *req, const char *token,
                 const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out, char *err,
                 size_t errlen)
{
    Isms__V1__Request env = ISMS__V1__REQUEST__INIT;
    Isms__V1__Request__MetadataEntry auth = ISMS__V1__REQUEST__METADATA_ENTRY__INIT;
    Isms__V1__Request__MetadataEntry *md[1] = {&auth};
    Isms__V1__Response *rsp = NULL;
    char bearer[ISMS_BENCH_TOKEN_MAX + 16];
    uint8_t hdr[ISMS_FRAME_HEADER_BYTES];
    uint8_t *body = NULL, *frame = NULL;
    size_t body_len, env_len;
    uint32_t rlen;
    uint8_t flags;
    int fd, rc = -1;

    *out = NULL;
    body_len = protobuf_c_message_get_packed_size(req);
    body = malloc(body_len ? body_len : 1);
    if (body == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    protobuf_c_message_pack(req, body);
    env.call_id = 1;
    env.method = (char *)method;
    env.body.data = body;
    env.body.len = body_len;
    if (token != NULL) {
        snprintf(bearer, sizeof(bearer), "Bearer %s", token);
        auth.key = (char *)"authorization";
        auth.value = bearer;
        env.n_metadata = 1;
        env.metadata = md;
    }
    env_len = isms__v1__request__get_packed_size(&env);
    frame = malloc(ISMS_FRAME_HEADER_BYTES + env_len);
    if (frame == NULL) {
        snprintf(err, errlen, "out of memory");
        free(body);
        return -1;
    }
    isms_frame_header(frame, 0, (uint32_t)env_len);
    isms__v1__request__pack(&env, frame + ISMS_FRAME_HEADER_BYTES);
    free(body);
    body = NULL;

    fd = dial(host, port, err, errlen);
    if (fd < 0)
        goto out;
    if (write_all(fd, frame, ISMS_FRAME_HEADER_BYTES + env_len) != 0 ||
        read_all(fd, hdr, sizeof(hdr)) != 0) {
        snprintf(err, errlen, "%s: no answer from %s:%s", method, host, port);
        goto out_fd;
    }
    isms_frame_parse_header(hdr, &flags, &rlen);
    if (rlen > MAX_RESP_BODY) {
        snprintf(err, errlen, "%s: answer of %u bytes is too large", method, rlen);
        goto out_fd;
    }
    body = malloc(rlen ? rlen : 1);
    if (body == NULL || read_all(fd, body, rlen) != 0) {
        snprintf(err, errlen, "%s: answer cut short", method);
        goto out_fd;
    }
    rsp = isms__v1__response__unpack(NULL, rlen, body);
    if (rsp == NULL) {
        snprintf(err, errlen, "%s: undecodable answer", method);
        goto out_fd;
    }
    if (rsp->code != 0) {
        snprintf(err, errlen, "%s: %s: %s", method, isms_code_name(rsp->code), rsp->message);
        goto out_fd;
    }
    *out = protobuf_c_message_unpack(out_desc, NULL, rsp->body.len, rsp->body.data);
    if (*out == NULL) {
        snprintf(err, errlen, "%s: undecodable answer body", method);
        goto out_fd;
    }
    rc = 0;
out_fd:
    close(fd);
out:
    if (rsp != NULL)
        isms__v1__response__free_unpacked(rsp, NULL);
    free(body);
    free(frame);
    return rc;
}

static int copy_out(char *dst, size_t cap, const char *src, const char *what, char *err,
                    size_t errlen)
{
    size_t n = strlen(src);

    if (n == 0 || n >= cap) {
        snprintf(err, errlen, "server sent a %s of %zu bytes", what, n);
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

int isms_bench_login(const char *host, const char *port, const char *user, const char *password,
                     char token[ISMS_BENCH_TOKEN_MAX], char name[ISMS_BENCH_USER_MAX], char *err,
                     size_t errlen)
{
    Isms__V1__LoginRequest req = ISMS__V1__LOGIN_REQUEST__INIT;
    ProtobufCMessage *m;
    Isms__V1__LoginResponse *lr;
    int rc;

    req.user = (char *)user;
    req.password = (char *)password;
    if (unary(host, port, "/isms.v1.Auth/Login", &req.base, NULL,
              &isms__v1__login_response__descriptor, &m, err, errlen) != 0)
        return -1;
    lr = (Isms__V1__LoginResponse *)m;
    if (lr->must_change_password) {
        snprintf(err, errlen,
                 "user \"%s\" has a one-time password: change it first (ismsctl passwd)", user);
        rc = -1;
    } else {
        rc = copy_out(token, ISMS_BENCH_TOKEN_MAX, lr->token, "token", err, errlen);
        if (rc == 0)
            rc = copy_out(name, ISMS_BENCH_USER_MAX,
                          lr->user != NULL && lr->user->name[0] ? lr->user->name : user,
                          "user name", err, errlen);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

int isms_bench_whoami(const char *host, const char *port, const char *token,
                      char name[ISMS_BENCH_USER_MAX], char *err, size_t errlen)
{
    Isms__V1__WhoAmIRequest req = ISMS__V1__WHO_AM_IREQUEST__INIT;
    ProtobufCMessage *m;
    int rc;

    if (unary(host, port, "/isms.v1.Auth/WhoAmI", &req.base, token,
              &isms__v1__user_account__descriptor, &m, err, errlen) != 0)
        return -1;
    rc = copy_out(name, ISMS_BENCH_USER_MAX, ((Isms__V1__UserAccount *)m)->name, "user name", err,
                  errlen);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

int isms_bench_logout(const char *host, const char *port, const char *token, char *err,
                      size_t errlen)
{
    Isms__V1__LogoutRequest req = ISMS__V1__LOGOUT_REQUEST__INIT;
    ProtobufCMessage *m;

    if (unary(host, port, "/isms.v1.Auth/Logout", &req.base, token,
              &isms__v1__logout_response__descriptor, &m, err, errlen) != 0)
        return -1;
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
