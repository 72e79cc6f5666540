/* fuzz/fuzz_request.c — libFuzzer target over the whole request path: TCP accept, the frame
 * reader, Request decoding, dispatch and each handler's validation. The database pool is
 * absent, so every statement a handler submits fails UNAVAILABLE at once (db offline).
 * The first input byte picks how the rest is cut into reads, so split frames are explored. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "core/config.h"
#include "core/log.h"
#include "domain/domain.h"
#include "net/conn.h"
#include "rpc/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct isms_server srv;
static struct isms_config cfg;
static int port;

static int atoi_port(const char *bound)
{
    const char *colon = strrchr(bound, ':');

    return colon != NULL ? (int)strtol(colon + 1, NULL, 10) : 0;
}

static void setup(void)
{
    struct isms_status st;
    struct isms_net_limits limits;
    char bound[128];

    isms_log_init(ISMS_LOG_ERROR);
    isms_config_defaults(&cfg);
    cfg.max_frame_bytes = 1 << 20;
    cfg.call_arena_bytes = 4 << 20;
    srv.loop = uv_default_loop();
    srv.cfg = &cfg;
    srv.started_ns = uv_hrtime();
    isms_registry_init(&srv.reg);
    if (isms_domain_register_all(&srv, &st) != ISMS_OK)
        abort();
    isms_registry_seal(&srv.reg);
    if (isms_workers_new(srv.loop, 1, 64, &srv.workers, &st) != ISMS_OK)
        abort();
    isms_server_calls_start(&srv);
    memset(&limits, 0, sizeof(limits));
    limits.max_conns = 16;
    limits.max_inflight = 8;
    limits.idle_timeout_s = 60;
    limits.max_frame_bytes = cfg.max_frame_bytes;
    limits.output_hard_bytes = 8 << 20;
    isms_net_init(&srv.net, srv.loop, &limits, NULL, NULL, NULL);
    isms_server_attach_net(&srv);
    if (isms_net_listen(&srv.net, "127.0.0.1", 0, bound, sizeof(bound), &st) != ISMS_OK)
        abort();
    port = atoi_port(bound);
}

static void drain(int fd)
{
    char buf[65536];

    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct sockaddr_in sa;
    uint64_t before;
    size_t chunk, off = 1;
    int fd;

    if (!ready) {
        setup();
        ready = 1;
    }
    if (size == 0)
        return 0;
    chunk = (size_t)data[0] * 7 + 1;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    before = srv.net.next_id;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return 0;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    while (srv.net.next_id == before)
        uv_run(srv.loop, UV_RUN_ONCE);
    while (off < size) {
        size_t n = size - off < chunk ? size - off : chunk;
        ssize_t w = write(fd, data + off, n);

        if (w < 0 && errno != EAGAIN)
            break;
        if (w > 0)
            off += (size_t)w;
        uv_run(srv.loop, UV_RUN_NOWAIT);
        drain(fd);
        if (srv.net.nconns == 0)
            break;
    }
    shutdown(fd, SHUT_WR);
    while (srv.net.nconns > 0) {
        uv_run(srv.loop, UV_RUN_NOWAIT);
        drain(fd);
    }
    close(fd);
    return 0;
}
