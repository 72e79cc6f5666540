/* core/arena.h — a capped bump allocator: one per call, freed all at once when the call ends.
 * Handlers never free; going over the cap fails the allocation (the call gets RESOURCE_EXHAUSTED).
 */
#ifndef ISMS_CORE_ARENA_H
#define ISMS_CORE_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct isms_arena_block;

/* Fields are private; use the functions. */
struct isms_arena {
    struct isms_arena_block *head; /* newest block first; owned */
    size_t used;                   /* bytes handed out plus block overhead */
    size_t cap;                    /* maximum total bytes */
    int is_exhausted;              /* an allocation failed for the cap */
    int is_sensitive;              /* holds secrets: wiped at cleanup */
    size_t *meter;                 /* NULL, or a counter of many arenas' bytes (not owned) */
    ProtobufCAllocator pb;         /* protobuf-c allocator over this arena */
};

/* Prepares an empty arena that may hold at most `cap_bytes`. Allocates nothing yet. */
void isms_arena_init(struct isms_arena *a, size_t cap_bytes);
/* Frees every block (wiping it first when the arena is sensitive); the arena is empty and
 * usable again, and no longer sensitive. */
void isms_arena_cleanup(struct isms_arena *a);
/* Makes the arena add each block it allocates to `*meter` and take its bytes off again at
 * cleanup (the server's memory budget of calls); `meter` must outlive the arena's blocks. */
void isms_arena_set_meter(struct isms_arena *a, size_t *meter);
/* Marks the arena as holding secrets (passwords, new tokens): cleanup zeroes what was used. */
void isms_arena_set_sensitive(struct isms_arena *a);

/* Returns `n` bytes aligned for any type, or NULL when the cap or memory is exhausted. */
void *isms_arena_alloc(struct isms_arena *a, size_t n);
void *isms_arena_calloc(struct isms_arena *a, size_t n);
/* Copies `s` (NULL gives NULL); printf into arena memory. */
char *isms_arena_strdup(struct isms_arena *a, const char *s);
char *isms_arena_printf(struct isms_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The allocator protobuf-c unpacks through; its free is a no-op. */
ProtobufCAllocator *isms_arena_pb(struct isms_arena *a);

#endif
