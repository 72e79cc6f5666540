/* domain/plan/asset_row.c — what every Asset handler uses to name an asset and read one: a
 * reference ("A-<n>" or a name) split into query parameters, PostgreSQL text[] literals, and
 * the ASSET_COLS of a row turned into an AssetRecord whose arrays live in the call's arena. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "db/bind.h"
#include "db/rows.h"
#include "domain/plan/asset.h"
#include "domain/plan/asset_rules.h"
#include "isms/v1/asset.pb-c.h"
#include "rpc/call.h"

/* Splits a reference into (number, name) query parameters: an "A-<n>" id gives the number and
 * the name parameter is unused. */
static const char *ref_number(const char *ref, char *buf, size_t len)
{
    int64_t num;

    if (!isms_asset_parse_id(ref, &num))
        return NULL;
    snprintf(buf, len, "%" PRId64, num);
    return buf;
}

/* Binds a reference split by ref_number(): its number (NULL for a name) and its text. */
void isms_asset_bind_ref(struct isms_bind *b, const char *num_param, const char *num,
                         const char *name_param, const char *ref)
{
    if (num != NULL)
        isms_bind_text(b, num_param, num);
    else
        isms_bind_null(b, num_param);
    isms_bind_text(b, name_param, ref);
}

/* Counts the bytes a PostgreSQL text[] literal of items needs (with out == NULL) or writes it. */
static size_t pg_array_put(char *out, char *const *items, size_t n)
{
    size_t len = 0;

#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (out != NULL)                                                                           \
            out[len] = (c);                                                                        \
        len++;                                                                                     \
    } while (0)
    PUT('{');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            PUT(',');
        PUT('"');
        for (const char *p = items[i]; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\')
                PUT('\\');
            PUT(*p);
        }
        PUT('"');
    }
    PUT('}');
    PUT('\0');
#undef PUT
    return len;
}

char *isms_asset_pg_array(struct isms_arena *a, char *const *items, size_t n)
{
    char *s = isms_arena_alloc(a, pg_array_put(NULL, items, n));

    if (s != NULL)
        pg_array_put(s, items, n);
    return s;
}

/* Splits a copy of `s` at `sep` into an arena array; "" gives no items. NULL on no memory. */
char **isms_asset_split(struct isms_arena *a, const char *s, char sep, size_t *n)
{
    size_t cnt = s[0] == '\0' ? 0 : 1;
    char *copy, **items;

    for (const char *p = s; *p != '\0'; p++)
        cnt += *p == sep;
    items = isms_arena_calloc(a, sizeof(*items) * (cnt + 1));
    copy = isms_arena_strdup(a, s);
    if (items == NULL || copy == NULL)
        return NULL;
    *n = 0;
    if (cnt == 0)
        return items;
    items[(*n)++] = copy;
    for (char *p = copy; *p != '\0'; p++) {
        if (*p == sep) {
            *p = '\0';
            items[(*n)++] = p + 1;
        }
    }
    return items;
}

/* "num<US>name<RS>..." into AssetRefs. */
static Isms__V1__AssetRef **refs_from(struct isms_arena *a, const char *s, size_t *n)
{
    char **items = isms_asset_split(a, s, '\x1e', n);
    Isms__V1__AssetRef **refs;

    if (items == NULL)
        return NULL;
    refs = isms_arena_calloc(a, sizeof(*refs) * (*n + 1));
    if (refs == NULL)
        return NULL;
    for (size_t i = 0; i < *n; i++) {
        char *us = strchr(items[i], '\x1f');
        Isms__V1__AssetRef *r = isms_arena_calloc(a, sizeof(*r));

        if (r == NULL || us == NULL)
            return NULL;
        isms__v1__asset_ref__init(r);
        *us = '\0';
        r->id = isms_arena_printf(a, "A-%s", items[i]);
        r->name = us + 1;
        if (r->id == NULL)
            return NULL;
        refs[i] = r;
    }
    return refs;
}

/* Builds an AssetRecord from the ASSET_COLS at `c0` of row `r`. Text cells are borrowed from
 * `res` (pack the record before the callback returns); arrays live in `a`. NULL: no memory. */
Isms__V1__AssetRecord *isms_asset_record_from_row(struct isms_arena *a, const struct isms_rows *res,
                                                  int r, int c0)
{
    Isms__V1__AssetRecord *m = isms_arena_calloc(a, sizeof(*m));

#define V(c) ((char *)isms_rows_text(res, r, c0 + (c)))
    if (m == NULL)
        return NULL;
    isms__v1__asset_record__init(m);
    m->id = isms_arena_printf(a, "A-%s", V(0));
    m->name = V(1);
    m->type = V(2);
    m->description = V(3);
    m->owner = V(4);
    m->custodian = V(5);
    m->location = V(6);
    m->classification = V(7);
    m->confidentiality = (int32_t)isms_rows_int64(res, r, c0 + 8);
    m->integrity = (int32_t)isms_rows_int64(res, r, c0 + 9);
    m->availability = (int32_t)isms_rows_int64(res, r, c0 + 10);
    m->tags = isms_asset_split(a, V(11), ',', &m->n_tags);
    m->status = V(12);
    m->created_at = V(13);
    m->created_by = V(14);
    m->updated_at = V(15);
    m->updated_by = V(16);
    m->version = isms_rows_int64(res, r, c0 + 17);
    m->depends_on = refs_from(a, V(18), &m->n_depends_on);
    m->required_by = refs_from(a, V(19), &m->n_required_by);
#undef V
    if (m->id == NULL || m->tags == NULL || m->depends_on == NULL || m->required_by == NULL)
        return NULL;
    return m;
}

/* Checks a reference and prepares its query parameters in `op`. */
enum isms_code isms_asset_take_ref(struct isms_asset_op *op, const char *field, const char *ref,
                                   int second, struct isms_status *st)
{
    if (isms_asset_check_ref(field, ref, st) != ISMS_OK)
        return st->code;
    if (second) {
        op->ref2 = ref;
        op->ref2_num = ref_number(ref, op->num2_buf, sizeof(op->num2_buf));
    } else {
        op->ref = ref;
        op->ref_num = ref_number(ref, op->num_buf, sizeof(op->num_buf));
    }
    return ISMS_OK;
}

void isms_asset_fail_owner(struct isms_call *call, const char *prefix, const char *owner,
                           const char *status)
{
    if (status[0] == '\0')
        isms_call_fail(call, ISMS_NOT_FOUND,
                       "%suser \"%.64s\" does not exist: an asset owner must be an account "
                       "(ismsctl user list; a custodian may be free text)",
                       prefix, owner);
    else
        isms_call_fail(call, ISMS_FAILED_PRECONDITION,
                       "%suser \"%.64s\" is %s: an asset owner must be an active user", prefix,
                       owner, status);
}
