/* core/arena.c — block-chained bump allocation with a byte cap.
 * Big requests get a block of their own so small ones keep filling the current block. */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_BYTES 4096
#define ALIGN       16

struct isms_arena_block {
    struct isms_arena_block *next;
    size_t size; /* usable bytes in data */
    size_t off;  /* next free byte */
    max_align_t data[];
};

static void *pb_alloc(void *ud, size_t n)
{
    return isms_arena_alloc(ud, n);
}

static void pb_free(void *ud, void *p)
{
    (void)ud;
    (void)p;
}

void isms_arena_init(struct isms_arena *a, size_t cap_bytes)
{
    a->head = NULL;
    a->used = 0;
    a->cap = cap_bytes;
    a->is_exhausted = 0;
    a->is_sensitive = 0;
    a->meter = NULL;
    a->pb.alloc = pb_alloc;
    a->pb.free = pb_free;
    a->pb.allocator_data = a;
}

void isms_arena_cleanup(struct isms_arena *a)
{
    struct isms_arena_block *b = a->head;

    while (b != NULL) {
        struct isms_arena_block *next = b->next;

        if (a->is_sensitive)
            explicit_bzero(b->data, b->off);
        free(b);
        b = next;
    }
    if (a->meter != NULL)
        *a->meter -= a->used;
    a->head = NULL;
    a->used = 0;
    a->is_exhausted = 0;
    a->is_sensitive = 0;
}

void isms_arena_set_meter(struct isms_arena *a, size_t *meter)
{
    if (a->meter != NULL)
        *a->meter -= a->used;
    a->meter = meter;
    if (meter != NULL)
        *meter += a->used;
}

void isms_arena_set_sensitive(struct isms_arena *a)
{
    a->is_sensitive = 1;
}

void *isms_arena_alloc(struct isms_arena *a, size_t n)
{
    struct isms_arena_block *b = a->head;
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    void *p;

    if (n == 0)
        need = ALIGN;
    if (need < n)
        return NULL;
    if (b == NULL || b->size - b->off < need) {
        size_t size = need > BLOCK_BYTES / 4 ? need : BLOCK_BYTES;
        size_t total = sizeof(*b) + size;

        if (a->used + total > a->cap || total < size) {
            a->is_exhausted = 1;
            return NULL;
        }
        b = malloc(total);
        if (b == NULL) {
            a->is_exhausted = 1;
            return NULL;
        }
        b->size = size;
        b->off = 0;
        a->used += total;
        if (a->meter != NULL)
            *a->meter += total;
        /* A dedicated big block goes behind the current one so the latter keeps filling. */
        if (size > BLOCK_BYTES && a->head != NULL) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    p = (char *)b->data + b->off;
    b->off += need;
    return p;
}

void *isms_arena_calloc(struct isms_arena *a, size_t n)
{
    void *p = isms_arena_alloc(a, n);

    if (p != NULL)
        memset(p, 0, n);
    return p;
}

char *isms_arena_strdup(struct isms_arena *a, const char *s)
{
    size_t n;
    char *p;

    if (s == NULL)
        return NULL;
    n = strlen(s);
    p = isms_arena_alloc(a, n + 1);
    if (p != NULL)
        memcpy(p, s, n + 1);
    return p;
}

char *isms_arena_printf(struct isms_arena *a, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    p = isms_arena_alloc(a, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

ProtobufCAllocator *isms_arena_pb(struct isms_arena *a)
{
    return &a->pb;
}
