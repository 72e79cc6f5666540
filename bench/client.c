/* bench/client.c — the blocking client: frames out with write(), frames in through a 256 KiB
 * buffer, a socket timeout so a silent server cannot hang the benchmark. */
#include "client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/status.h"
#include "isms/v1/asset.pb-c.h"
#include "common/frame.h"

#define READ_BUF  (256u * 1024)
#define MAX_FRAME (64u * 1024 * 1024)

static int dial(const char *host, const char *port, int timeout_s, char *err, size_t errlen)
{
    struct addrinfo hints, *ai = NULL, *p;
    struct timeval tv = {timeout_s, 0};
    int fd = -1, rc, one = 1;

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
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
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

int isms_bench_client_open(struct isms_bench_client *c, const char *host, const char *port,
                           const char *token, int timeout_s, char *err, size_t errlen)
{
    Isms__V1__ListClassificationsRequest req = ISMS__V1__LIST_CLASSIFICATIONS_REQUEST__INIT;
    ProtobufCMessage *out;

    memset(c, 0, sizeof(*c));
    c->next_id = 1;
    c->buf = malloc(READ_BUF);
    c->cap = READ_BUF;
    if (c->buf == NULL) {
        snprintf(err, errlen, "out of memory");
        c->fd = -1;
        return -1;
    }
    c->fd = dial(host, port, timeout_s, err, errlen);
    if (c->fd < 0) {
        isms_bench_client_close(c);
        return -1;
    }
    if (token == NULL)
        return 0;
    snprintf(c->bearer, sizeof(c->bearer), "Bearer %s", token);
    if (isms_bench_client_call(c, "/isms.v1.Asset/ListClassifications", &req.base,
                               &isms__v1__classifications__descriptor, &out, err, errlen) != 0) {
        isms_bench_client_close(c);
        return -1;
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return 0;
}

void isms_bench_client_close(struct isms_bench_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
}

int isms_bench_client_send(struct isms_bench_client *c, const char *method,
                           const ProtobufCMessage *req, uint64_t *call_id, char *err, size_t errlen)
{
    Isms__V1__Request env = ISMS__V1__REQUEST__INIT;
    Isms__V1__Request__MetadataEntry auth = ISMS__V1__REQUEST__METADATA_ENTRY__INIT;
    Isms__V1__Request__MetadataEntry *md[1] = {&auth};
    size_t body_len = protobuf_c_message_get_packed_size(req), env_len;
    uint8_t *body = malloc(body_len ? body_len : 1), *frame;
    int rc;

    if (body == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    protobuf_c_message_pack(req, body);
    env.call_id = c->next_id++;
    env.method = (char *)method;
    env.body.data = body;
    env.body.len = body_len;
    if (c->bearer[0] != '\0') {
        auth.key = (char *)"authorization";
        auth.value = c->bearer;
        env.n_metadata = 1;
        env.metadata = md;
    }
    env_len = isms__v1__request__get_packed_size(&env);
    frame = malloc(ISMS_FRAME_HEADER_BYTES + env_len);
    if (frame == NULL) {
        free(body);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    isms_frame_header(frame, 0, (uint32_t)env_len);
    isms__v1__request__pack(&env, frame + ISMS_FRAME_HEADER_BYTES);
    free(body);
    rc = write_all(c->fd, frame, ISMS_FRAME_HEADER_BYTES + env_len);
    free(frame);
    if (rc != 0) {
        snprintf(err, errlen, "%s: could not send: %s", method, strerror(errno));
        return -1;
    }
    if (call_id != NULL)
        *call_id = env.call_id;
    return 0;
}

/* Makes at least `n` bytes available at c->buf + c->start. */
static int fill(struct isms_bench_client *c, size_t n, char *err, size_t errlen)
{
    while (c->end - c->start < n) {
        ssize_t r;

        if (c->cap - c->start < n) {
            /* Move the partial frame to the front, and grow for a frame larger than the buffer. */
            memmove(c->buf, c->buf + c->start, c->end - c->start);
            c->end -= c->start;
            c->start = 0;
            if (c->cap < n) {
                uint8_t *nb = realloc(c->buf, n);

                if (nb == NULL) {
                    snprintf(err, errlen, "out of memory for a frame of %zu bytes", n);
                    return -1;
                }
                c->buf = nb;
                c->cap = n;
            }
        }
        r = read(c->fd, c->buf + c->end, c->cap - c->end);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(err, errlen, "%s",
                     r == 0 ? "ismsd closed the connection"
                            : (errno == EAGAIN ? "no answer within the timeout" : strerror(errno)));
            return -1;
        }
        c->end += (size_t)r;
    }
    return 0;
}

int isms_bench_client_recv(struct isms_bench_client *c, Isms__V1__Response **rsp, char *err,
                           size_t errlen)
{
    uint8_t flags;
    uint32_t len;

    if (fill(c, ISMS_FRAME_HEADER_BYTES, err, errlen) != 0)
        return -1;
    isms_frame_parse_header(c->buf + c->start, &flags, &len);
    if (len > MAX_FRAME) {
        snprintf(err, errlen, "a frame of %u bytes is too large", len);
        return -1;
    }
    if (fill(c, ISMS_FRAME_HEADER_BYTES + (size_t)len, err, errlen) != 0)
        return -1;
    *rsp = isms__v1__response__unpack(NULL, len, c->buf + c->start + ISMS_FRAME_HEADER_BYTES);
    c->start += ISMS_FRAME_HEADER_BYTES + (size_t)len;
    c->bytes_in += ISMS_FRAME_HEADER_BYTES + (size_t)len;
    if (c->start == c->end)
        c->start = c->end = 0;
    if (*rsp == NULL) {
        snprintf(err, errlen, "an undecodable Response of %u bytes", len);
        return -1;
    }
    return 0;
}

int isms_bench_client_call(struct isms_bench_client *c, const char *method,
                           const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out_desc,
                           ProtobufCMessage **out, char *err, size_t errlen)
{
    Isms__V1__Response *rsp;
    uint64_t id;
    int rc = -1;

    *out = NULL;
    if (isms_bench_client_send(c, method, req, &id, err, errlen) != 0 ||
        isms_bench_client_recv(c, &rsp, err, errlen) != 0)
        return -1;
    if (rsp->call_id != id)
        snprintf(err, errlen, "%s: an answer to call %llu instead of %llu", method,
                 (unsigned long long)rsp->call_id, (unsigned long long)id);
    else if (rsp->code != ISMS_OK)
        snprintf(err, errlen, "%s: %s: %s", method, isms_code_name(rsp->code), rsp->message);
    else if ((*out = protobuf_c_message_unpack(out_desc, NULL, rsp->body.len, rsp->body.data)) ==
             NULL)
        snprintf(err, errlen, "%s: an undecodable answer body", method);
    else
        rc = 0;
    isms__v1__response__free_unpacked(rsp, NULL);
    return rc;
}
