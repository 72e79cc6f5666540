/* tests/unit/test_frame.c — the frame reader (common/frame.h): frames split across reads and
 * packed into one read, size limits checked before any allocation, and the buffer shrinking
 * back after a large frame. Invariant checked throughout: cap <= max(initial, 5 + max_body). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "common/frame.h"

#define MAX_FRAMES 16

/* Frames collected by feed(); bodies are copied because the reader's pointer is short-lived. */
struct collected {
    size_t n;
    uint8_t flags[MAX_FRAMES];
    uint32_t len[MAX_FRAMES];
    uint8_t *body[MAX_FRAMES];
    size_t max_cap; /* largest cap seen */
};

static void collected_free(struct collected *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->body[i]);
    c->n = 0;
}

static size_t cap_limit(const struct isms_frame_reader *r)
{
    size_t lim = ISMS_FRAME_HEADER_BYTES + r->max_body;

    return r->initial_cap > lim ? r->initial_cap : lim;
}

/* Takes every complete frame out of the reader into c. Returns the last result. */
static enum isms_frame_result drain(struct isms_frame_reader *r, struct collected *c,
                                    struct isms_status *st)
{
    enum isms_frame_result res;
    struct isms_frame f;

    while ((res = isms_frame_reader_next(r, &f, st)) == ISMS_FRAME_READY) {
        cr_assert_lt(c->n, MAX_FRAMES);
        c->flags[c->n] = f.flags;
        c->len[c->n] = f.body_len;
        c->body[c->n] = malloc(f.body_len + 1);
        cr_assert_not_null(c->body[c->n]);
        memcpy(c->body[c->n], f.body, f.body_len);
        c->n++;
    }
    return res;
}

/* Feeds `len` bytes through space/commit in reads of at most `chunk` bytes, draining frames
 * after every read as a connection would. Returns the last next() result. */
static enum isms_frame_result feed(struct isms_frame_reader *r, const uint8_t *data, size_t len,
                                   size_t chunk, struct collected *c, struct isms_status *st)
{
    enum isms_frame_result res = ISMS_FRAME_NEED_MORE;
    size_t off = 0;

    while (off < len) {
        uint8_t *p;
        size_t n;
        size_t take;

        cr_assert_eq(isms_frame_reader_space(r, &p, &n, st), ISMS_OK, "space: %s", st->msg);
        cr_assert_gt(n, 0, "reader lent no space with %zu bytes pending",
                     isms_frame_reader_pending(r));
        cr_assert_leq(r->cap, cap_limit(r), "cap %zu over the limit %zu", r->cap, cap_limit(r));
        if (r->cap > c->max_cap)
            c->max_cap = r->cap;
        take = len - off;
        if (take > n)
            take = n;
        if (take > chunk)
            take = chunk;
        memcpy(p, data + off, take);
        isms_frame_reader_commit(r, take);
        off += take;
        res = drain(r, c, st);
        if (res == ISMS_FRAME_ERROR)
            return res;
    }
    return res;
}

/* Appends one frame to buf at *off. */
static void put_frame(uint8_t *buf, size_t *off, uint8_t flags, const uint8_t *body, uint32_t len)
{
    isms_frame_header(buf + *off, flags, len);
    *off += ISMS_FRAME_HEADER_BYTES;
    if (len > 0)
        memcpy(buf + *off, body, len);
    *off += len;
}

static void init_reader(struct isms_frame_reader *r, size_t initial, size_t max_body)
{
    struct isms_status st;

    cr_assert_eq(isms_frame_reader_init(r, initial, max_body, &st), ISMS_OK);
    cr_assert_eq(r->cap, initial < ISMS_FRAME_HEADER_BYTES ? ISMS_FRAME_HEADER_BYTES : initial);
}

Test(frame, header_encodes_big_endian_length)
{
    uint8_t h[ISMS_FRAME_HEADER_BYTES];
    uint8_t flags;
    uint32_t len;

    isms_frame_header(h, 0x01, 0x01020304u);
    cr_assert_eq(h[0], 0x01);
    cr_assert_eq(h[1], 0x01);
    cr_assert_eq(h[2], 0x02);
    cr_assert_eq(h[3], 0x03);
    cr_assert_eq(h[4], 0x04);
    isms_frame_parse_header(h, &flags, &len);
    cr_assert_eq(flags, 0x01);
    cr_assert_eq(len, 0x01020304u);

    isms_frame_header(h, 0, 0xFFFFFFFFu);
    isms_frame_parse_header(h, &flags, &len);
    cr_assert_eq(flags, 0);
    cr_assert_eq(len, 0xFFFFFFFFu);
}

Test(frame, init_raises_tiny_capacity_to_header_size)
{
    struct isms_frame_reader r;

    init_reader(&r, 1, 100);
    cr_assert_eq(r.cap, ISMS_FRAME_HEADER_BYTES);
    cr_assert_eq(isms_frame_reader_pending(&r), 0);
    isms_frame_reader_cleanup(&r);
}

Test(frame, frames_fed_one_byte_at_a_time)
{
    struct isms_frame_reader r;
    struct isms_status st;
    struct collected c = {0};
    uint8_t data[512];
    uint8_t big[300];
    size_t len = 0;

    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7 + 1);
    put_frame(data, &len, 0, (const uint8_t *)"hello", 5);
    put_frame(data, &len, 0, big, sizeof(big));
    put_frame(data, &len, 0, NULL, 0);
    put_frame(data, &len, 0, (const uint8_t *)"x", 1);

    init_reader(&r, 16, 1024);
    cr_assert_eq(feed(&r, data, len, 1, &c, &st), ISMS_FRAME_NEED_MORE);
    cr_assert_eq(c.n, 4);
    cr_assert_eq(c.len[0], 5);
    cr_assert_arr_eq(c.body[0], "hello", 5);
    cr_assert_eq(c.len[1], sizeof(big));
    cr_assert_arr_eq(c.body[1], big, sizeof(big));
    cr_assert_eq(c.len[2], 0);
    cr_assert_eq(c.len[3], 1);
    cr_assert_eq(c.body[3][0], 'x');
    cr_assert_eq(isms_frame_reader_pending(&r), 0);
    collected_free(&c);
    isms_frame_reader_cleanup(&r);
}

Test(frame, frames_fed_in_odd_sized_chunks)
{
    struct isms_frame_reader r;
    struct isms_status st;
    uint8_t data[4096];
    uint8_t body[1000];

    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (uint8_t)(i ^ 0x5a);
    for (size_t chunk = 2; chunk < 40; chunk += 3) {
        struct collected c = {0};
        size_t len = 0;

        put_frame(data, &len, 0, body, 17);
        put_frame(data, &len, 0, body, sizeof(body));
        put_frame(data, &len, 0, body, 3);
        init_reader(&r, 8, 2048);
        cr_assert_eq(feed(&r, data, len, chunk, &c, &st), ISMS_FRAME_NEED_MORE);
        cr_assert_eq(c.n, 3, "chunk %zu: %zu frames", chunk, c.n);
        cr_assert_eq(c.len[1], sizeof(body));
        cr_assert_arr_eq(c.body[1], body, sizeof(body));
        cr_assert_arr_eq(c.body[2], body, 3);
        collected_free(&c);
        isms_frame_reader_cleanup(&r);
    }
}

Test(frame, several_frames_in_one_read)
{
    struct isms_frame_reader r;
    struct isms_status st;
    struct isms_frame f;
    uint8_t data[256];
    size_t len = 0;
    uint8_t *p;
    size_t n;
    char body[8];

    for (int i = 0; i < 5; i++) {
        body[0] = (char)('a' + i);
        put_frame(data, &len, 0, (const uint8_t *)body, (uint32_t)(i + 1));
    }
    init_reader(&r, 256, 1024);
    cr_assert_eq(isms_frame_reader_space(&r, &p, &n, &st), ISMS_OK);
    cr_assert_geq(n, len);
    memcpy(p, data, len);
    isms_frame_reader_commit(&r, len);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(isms_frame_reader_next(&r, &f, &st), ISMS_FRAME_READY, "frame %d", i);
        cr_assert_eq(f.body_len, (uint32_t)(i + 1));
        cr_assert_eq(f.body[0], 'a' + i);
    }
    cr_assert_eq(isms_frame_reader_next(&r, &f, &st), ISMS_FRAME_NEED_MORE);
    cr_assert_eq(isms_frame_reader_pending(&r), 0);
    isms_frame_reader_cleanup(&r);
}

Test(frame, header_split_in_the_middle)
{
    struct isms_frame_reader r;
    struct isms_status st;
    struct isms_frame f;
    uint8_t data[32];
    size_t len = 0;
    uint8_t *p;
    size_t n;

    put_frame(data, &len, 0, (const uint8_t *)"abcdef", 6);
    init_reader(&r, 64, 1024);

    cr_assert_eq(isms_frame_reader_space(&r, &p, &n, &st), ISMS_OK);
    memcpy(p, data, 2);
    isms_frame_reader_commit(&r, 2);
    cr_assert_eq(isms_frame_reader_next(&r, &f, &st), ISMS_FRAME_NEED_MORE);
    cr_assert_eq(isms_frame_reader_pending(&r), 2);

    cr_assert_eq(isms_frame_reader_space(&r, &p, &n, &st), ISMS_OK);
    memcpy(p, data + 2, 4); /* rest of the header and one body byte */
    isms_frame_reader_commit(&r, 4);
    cr_assert_eq(isms_frame_reader_next(&r, &f, &st), ISMS_FRAME_NEED_MORE);
    cr_assert_eq(isms_frame_reader_pending(&r), 6);

    cr_assert_eq(isms_frame_reader_space(&r, &p, &n, &st), ISMS_OK);
    memcpy(p, data + 6, len - 6);
    isms_frame_reader_commit(&r, len - 6);
    cr_assert_eq(isms_frame_reader_next(&r, &f, &st), ISMS_FRAME_READY);
    cr_assert_eq(f.body_len, 6);
    cr_assert_arr_eq(f.body, "abcdef", 6);
    cr_assert_eq(isms_frame_reader_pending(&r), 0);
    isms_frame_reader_cleanup(&r);
}

Test(frame, zero_length_body_is_a_frame)
{
    struct isms_frame_reader r;
    struct isms_status st;
    struct collected c = {0};
    uint8_t data[32];
    size_t len = 0;

    put_frame(data, &len, 0, NULL, 0);
    put_frame(data, &len, 0, NULL, 0);
    put_frame(data, &len, 0, (const uint8_t *)"z", 1);
    init_reader(&r, 5, 16);
    cr_assert_eq(feed(&r, data, len, len, &c, &st), ISMS_FRAME_NEED_MORE);
    cr_assert_eq(c.n, 3);
    cr_assert_eq(c.len[0], 0);
    cr_assert_eq(c.len[1], 0);
    cr_assert_eq(c.len[2], 1);
    collected_free(&c);
    isms_frame_reader_cleanup(&r);
}

Test(frame, compressed_flag_is_passed_through)
{
    struct isms_frame_reader r;
    struct isms_status st;
    struct collected c = {0};
    uint8_t data[32];
    size_t len = 0;

    put_frame(data, &len, ISMS_FRAME_FLAG_COMPRESSED, (const uint8_t *)"abc", 3);
    init_reader(&r, 32, 16);
    cr_assert_eq(feed(&r, data, len, len, &c, &st), ISMS_FRAME_NEED_MORE);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.flags[0], ISMS_FRAME_FLAG_COMPRESSED);
    collected_free(&c);
    isms_frame_reader_cleanup(&r);
}

Test(frame, body_of_exactly_max_body_is_accepted)
{
    const size_t max_body = 4096;
    struct isms_frame_reader r;
    struct isms_status st;
    struct collected c = {0};
    size_t len = 0;
    uint8_t *data = malloc(ISMS_FRAME_HEADER_BYTES + max_body);
    uint8_t *body = malloc(max_body);

    cr_assert(data != NULL && body != NULL);
    for (size_t i = 0; i < max_body; i++)
        body[i] = (uint8_t)i;
    put_frame(data, &len, 0, body, (uint32_t)max_body);
    init_reader(&r, 64, max_body);
    cr_assert_eq(feed(&r, data, len, 1000, &c, &st), ISMS_FRAME_NEED_MORE);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.len[0], max_body);
    cr_assert_arr_eq(c.body[0], body, max_body);
    cr_assert_eq(c.max_cap, ISMS_FRAME_HEADER_BYTES + max_body,
                 "buffer grew to %zu for a %zu-byte body", c.max_cap, max_body);
    collected_free(&c);
    isms_frame_reader_cleanup(&r);
    free(data);
    free(body);
}

Test(frame, buffer_shrinks_back_after_a_big_frame)
{
    struct isms_frame_reader r;
    struct isms_status st;
    struct collected c = {0};
    size_t len = 0;
    const uint32_t big = 50000;
    uint8_t *data = calloc(1, ISMS_FRAME_HEADER_BYTES + big);
    uint8_t *body = calloc(1, big);
    uint8_t *p;
    size_t n;

    cr_assert(data != NULL && body != NULL);
    put_frame(data, &len, 0, body, big);
    init_reader(&r, 64, 1u << 20);
    cr_assert_eq(feed(&r, data, len, 4096, &c, &st), ISMS_FRAME_NEED_MORE);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.max_cap, ISMS_FRAME_HEADER_BYTES + big);
    cr_assert_eq(isms_frame_reader_pending(&r), 0);
    /* The next read after the big frame is consumed gets the small buffer back. */
    cr_assert_eq(isms_frame_reader_space(&r, &p, &n, &st), ISMS_OK);
    cr_assert_eq(r.cap, 64, "cap stayed at %zu after the big frame", r.cap);
    cr_assert_eq(n, 64);
    /* And small frames still work afterwards. */
    collected_free(&c);
    len = 0;
    put_frame(data, &len, 0, (const uint8_t *)"ok", 2);
    cr_assert_eq(feed(&r, data, len, len, &c, &st), ISMS_FRAME_NEED_MORE);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(r.cap, 64);
    collected_free(&c);
    isms_frame_reader_cleanup(&r);
    free(data);
    free(body);
}

Test(frame, big_frame_followed_by_partial_frame_keeps_the_partial_bytes)
{
    struct isms_frame_reader r;
    struct isms_status st;
    struct collected c = {0};
    size_t len = 0;
    const uint32_t big = 10000;
    uint8_t *data = calloc(1, 2 * ISMS_FRAME_HEADER_BYTES + big + 10);
    uint8_t *body = calloc(1, big);

    cr_assert(data != NULL && body != NULL);
    put_frame(data, &len, 0, body, big);
    put_frame(data, &len, 0, (const uint8_t *)"0123456789", 10);
    init_reader(&r, 32, 1u << 20);
    /* All but the last 4 bytes: the big frame plus a partial small one. */
    cr_assert_eq(feed(&r, data, len - 4, len, &c, &st), ISMS_FRAME_NEED_MORE);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(isms_frame_reader_pending(&r), ISMS_FRAME_HEADER_BYTES + 6);
    cr_assert_eq(feed(&r, data + len - 4, 4, 4, &c, &st), ISMS_FRAME_NEED_MORE);
    cr_assert_eq(c.n, 2);
    cr_assert_arr_eq(c.body[1], "0123456789", 10);
    collected_free(&c);
    isms_frame_reader_cleanup(&r);
    free(data);
    free(body);
}

/* ---- declared lengths over the limit ---------------------------------------------------- */

struct oversize_case {
    uint32_t declared;
    size_t max_body;
    uint8_t flags;
    size_t initial_cap;
    size_t trailing; /* body bytes sent after the header */
};

ParameterizedTestParameters(frame, oversize_length_rejected_before_alloc)
{
    static struct oversize_case cases[] = {
        {1025, 1024, 0, 64, 0},
        {1025, 1024, 0, 64, 50},
        {0xFFFFFFFFu, 1024, 0, 64, 0},
        {0xFFFFFFFFu, 4u << 20, 0, 65536, 0},
        {(4u << 20) + 1, 4u << 20, 0, 65536, 100},
        {0x80000000u, 64 * 1024, 0, 16, 0},
        {0xFFFFFFFFu, 1024, ISMS_FRAME_FLAG_COMPRESSED, 64, 0},
        {6, 5, 0, 5, 0},
    };

    return cr_make_param_array(struct oversize_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct oversize_case *tc, frame, oversize_length_rejected_before_alloc)
{
    struct isms_frame_reader r;
    struct isms_status st = {0};
    struct isms_frame f;
    uint8_t hdr[ISMS_FRAME_HEADER_BYTES];
    uint8_t *p;
    size_t n;
    size_t cap_before;

    init_reader(&r, tc->initial_cap, tc->max_body);
    cap_before = r.cap;
    isms_frame_header(hdr, tc->flags, tc->declared);

    /* Header arrives one byte at a time; the buffer must never grow for this length. */
    for (size_t i = 0; i < sizeof(hdr); i++) {
        cr_assert_eq(isms_frame_reader_space(&r, &p, &n, &st), ISMS_OK);
        cr_assert_eq(r.cap, cap_before, "cap grew to %zu for declared length %u", r.cap,
                     tc->declared);
        memcpy(p, hdr + i, 1);
        isms_frame_reader_commit(&r, 1);
    }
    for (size_t i = 0; i < tc->trailing; i++) {
        cr_assert_eq(isms_frame_reader_space(&r, &p, &n, &st), ISMS_OK);
        if (n == 0)
            break;
        p[0] = 0xAB;
        isms_frame_reader_commit(&r, 1);
    }
    /* Asking for space again with the header buffered still must not grow the buffer. */
    cr_assert_eq(isms_frame_reader_space(&r, &p, &n, &st), ISMS_OK);
    cr_assert_eq(r.cap, cap_before, "cap grew to %zu for declared length %u", r.cap, tc->declared);

    cr_assert_eq(isms_frame_reader_next(&r, &f, &st), ISMS_FRAME_ERROR);
    cr_assert_eq(st.code, ISMS_RESOURCE_EXHAUSTED, "code %d", st.code);
    cr_assert_neq(strstr(st.msg, "exceeds"), NULL, "message: %s", st.msg);
    cr_assert_eq(r.cap, cap_before);
    isms_frame_reader_cleanup(&r);
}

Test(frame, oversize_frame_after_a_good_one)
{
    struct isms_frame_reader r;
    struct isms_status st = {0};
    struct collected c = {0};
    uint8_t data[64];
    size_t len = 0;

    put_frame(data, &len, 0, (const uint8_t *)"good", 4);
    isms_frame_header(data + len, 0, 101);
    len += ISMS_FRAME_HEADER_BYTES;
    init_reader(&r, 64, 100);
    cr_assert_eq(feed(&r, data, len, len, &c, &st), ISMS_FRAME_ERROR);
    cr_assert_eq(c.n, 1);
    cr_assert_arr_eq(c.body[0], "good", 4);
    cr_assert_eq(st.code, ISMS_RESOURCE_EXHAUSTED);
    cr_assert_eq(r.cap, 64);
    collected_free(&c);
    isms_frame_reader_cleanup(&r);
}

Test(frame, lowered_limit_applies_to_the_next_frame)
{
    struct isms_frame_reader r;
    struct isms_status st = {0};
    struct collected c = {0};
    uint8_t data[600];
    uint8_t body[500] = {0};
    size_t len = 0;

    put_frame(data, &len, 0, body, sizeof(body));
    init_reader(&r, 16, 1000);
    cr_assert_eq(feed(&r, data, len, len, &c, &st), ISMS_FRAME_NEED_MORE);
    cr_assert_eq(c.n, 1);
    isms_frame_reader_set_max(&r, 100);
    cr_assert_eq(feed(&r, data, len, len, &c, &st), ISMS_FRAME_ERROR);
    cr_assert_eq(st.code, ISMS_RESOURCE_EXHAUSTED);
    cr_assert_eq(c.n, 1);
    collected_free(&c);
    isms_frame_reader_cleanup(&r);
}
