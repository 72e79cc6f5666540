/* rpc/registry.c — a sorted array searched with bsearch; built once at startup. */
#include "rpc/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void isms_registry_init(struct isms_registry *reg)
{
    memset(reg, 0, sizeof(*reg));
}

void isms_registry_cleanup(struct isms_registry *reg)
{
    free(reg->methods);
    memset(reg, 0, sizeof(*reg));
}

/* The one spec named `name`; NULL (with `*count` 0 or > 1) otherwise. */
static const struct isms_method_spec *spec_for(const struct isms_method_spec *specs, size_t n,
                                               const char *name, size_t *count)
{
    const struct isms_method_spec *found = NULL;

    *count = 0;
    for (size_t i = 0; i < n; i++)
        if (specs[i].name != NULL && strcmp(specs[i].name, name) == 0) {
            found = &specs[i];
            (*count)++;
        }
    return *count == 1 ? found : NULL;
}

static enum isms_code check_spec(const char *svc, const struct isms_method_spec *sp,
                                 struct isms_status *st)
{
    unsigned open = sp->flags & (ISMS_METHOD_PUBLIC | ISMS_METHOD_ANY_ROLE);

    if (sp->handler == NULL)
        return isms_status_set(st, ISMS_INTERNAL, "method /%s/%s has no handler", svc, sp->name);
    if (open != 0 && sp->roles != 0)
        return isms_status_set(st, ISMS_INTERNAL,
                               "method /%s/%s is open to every caller and also names roles", svc,
                               sp->name);
    if (open == 0 && sp->roles == 0)
        return isms_status_set(st, ISMS_INTERNAL, "method /%s/%s names no role that may call it",
                               svc, sp->name);
    return ISMS_OK;
}

enum isms_code isms_registry_add(struct isms_registry *reg, const ProtobufCServiceDescriptor *svc,
                                 const struct isms_method_spec *specs, size_t nspecs,
                                 struct isms_status *st)
{
    for (size_t i = 0; i < nspecs; i++) {
        int is_known = 0;

        if (specs[i].name == NULL)
            return isms_status_set(st, ISMS_INTERNAL, "service %s: spec %zu has no method name",
                                   svc->name, i + 1);
        for (unsigned k = 0; k < svc->n_methods && !is_known; k++)
            is_known = strcmp(svc->methods[k].name, specs[i].name) == 0;
        if (!is_known)
            return isms_status_set(st, ISMS_INTERNAL,
                                   "service %s has no method %s (a handler for it is registered)",
                                   svc->name, specs[i].name);
    }
    for (unsigned i = 0; i < svc->n_methods; i++) {
        const struct isms_method_spec *sp;
        struct isms_method *m;
        size_t count;

        sp = spec_for(specs, nspecs, svc->methods[i].name, &count);
        if (sp == NULL)
            return isms_status_set(st, ISMS_INTERNAL, "method /%s/%s has %s", svc->name,
                                   svc->methods[i].name,
                                   count == 0 ? "no handler" : "more than one handler");
        if (check_spec(svc->name, sp, st) != ISMS_OK)
            return st->code;
        if (reg->n == reg->cap) {
            size_t cap = reg->cap ? reg->cap * 2 : 16;
            struct isms_method *nm = realloc(reg->methods, cap * sizeof(*nm));

            if (nm == NULL)
                return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
            reg->methods = nm;
            reg->cap = cap;
        }
        m = &reg->methods[reg->n];
        memset(m, 0, sizeof(*m));
        if ((size_t)snprintf(m->name, sizeof(m->name), "/%s/%s", svc->name, svc->methods[i].name) >=
            sizeof(m->name))
            return isms_status_set(st, ISMS_INTERNAL, "method name too long");
        if (isms_registry_find(reg, m->name) != NULL)
            return isms_status_set(st, ISMS_INTERNAL, "method %s registered twice", m->name);
        m->input = svc->methods[i].input;
        m->output = svc->methods[i].output;
        m->handler = sp->handler;
        m->flags = sp->flags;
        m->roles = sp->roles;
        reg->n++;
    }
    return ISMS_OK;
}

static int cmp_method(const void *a, const void *b)
{
    return strcmp(((const struct isms_method *)a)->name, ((const struct isms_method *)b)->name);
}

void isms_registry_seal(struct isms_registry *reg)
{
    qsort(reg->methods, reg->n, sizeof(*reg->methods), cmp_method);
    reg->is_sealed = 1;
}

static int cmp_key(const void *key, const void *m)
{
    return strcmp(key, ((const struct isms_method *)m)->name);
}

const struct isms_method *isms_registry_find(const struct isms_registry *reg, const char *name)
{
    if (reg->is_sealed)
        return bsearch(name, reg->methods, reg->n, sizeof(*reg->methods), cmp_key);
    /* During registration the table is unsorted. */
    for (size_t i = 0; i < reg->n; i++)
        if (strcmp(reg->methods[i].name, name) == 0)
            return &reg->methods[i];
    return NULL;
}

size_t isms_registry_count(const struct isms_registry *reg)
{
    return reg->n;
}

const struct isms_method *isms_registry_at(const struct isms_registry *reg, size_t i)
{
    return i < reg->n ? &reg->methods[i] : NULL;
}
