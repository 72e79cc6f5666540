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

enum isms_code isms_registry_add(struct isms_registry *reg, const ProtobufCServiceDescriptor *svc,
                                 const struct isms_method_spec *specs, size_t nhandlers,
                                 struct isms_status *st)
{
    if (nhandlers != svc->n_methods)
        return isms_status_set(st, ISMS_INTERNAL, "service %s declares %u methods, %zu handlers",
                               svc->name, svc->n_methods, nhandlers);
    for (unsigned i = 0; i < svc->n_methods; i++) {
        struct isms_method *m;

        if (specs[i].handler == NULL)
            return isms_status_set(st, ISMS_INTERNAL, "method %s/%s has no handler", svc->name,
                                   svc->methods[i].name);
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
        m->handler = specs[i].handler;
        m->flags = specs[i].flags;
        m->roles = specs[i].roles;
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
