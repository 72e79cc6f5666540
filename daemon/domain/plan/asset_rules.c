/* domain/plan/asset_rules.c — checks on asset inventory input before any SQL, and the page
 * tokens of Asset/List. Nothing a client sends reaches a message unless it passed the UTF-8
 * check first; names compare case-insensitively (ASCII folding, as the database's lower()
 * does for ASCII). */
#include "domain/plan/asset_rules.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"

static const char *const asset_types[] = {
    "information", "software", "hardware", "service", "people", "site", "supplier",
};
#define NTYPES     (sizeof(asset_types) / sizeof(asset_types[0]))
#define TYPES_TEXT "information, software, hardware, service, people, site, supplier"

static int fold(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = fold((unsigned char)*a), y = fold((unsigned char)*b);

        if (x != y || x == 0)
            return x - y;
    }
}

static void lower_ascii(char *s)
{
    for (; s != NULL && *s != '\0'; s++)
        *s = (char)fold((unsigned char)*s);
}

static int has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int isms_asset_parse_id(const char *s, int64_t *num)
{
    char *end;
    long long v;

    if (s == NULL || (s[0] != 'A' && s[0] != 'a') || s[1] != '-' || s[2] < '0' || s[2] > '9')
        return 0;
    errno = 0;
    v = strtoll(s + 2, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > (1LL << 62))
        return 0;
    *num = v;
    return 1;
}

enum isms_code isms_asset_type(const char *s, const char **out, struct isms_status *st)
{
    if (s == NULL || s[0] == '\0')
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "type is required: one of " TYPES_TEXT);
    if (isms_text_check("type", s, 40, 0, st) != ISMS_OK)
        return st->code;
    for (size_t i = 0; i < NTYPES; i++) {
        if (ascii_casecmp(s, asset_types[i]) == 0) {
            *out = asset_types[i];
            return ISMS_OK;
        }
    }
    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                           "type must be one of " TYPES_TEXT "; got \"%s\"", s);
}

enum isms_code isms_asset_status(const char *s, const char *dflt, const char **out,
                                 struct isms_status *st)
{
    if (s == NULL || s[0] == '\0') {
        if (dflt == NULL)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "status is required: active or retired");
        *out = dflt;
        return ISMS_OK;
    }
    if (isms_text_check("status", s, 40, 0, st) != ISMS_OK)
        return st->code;
    if (ascii_casecmp(s, "active") == 0) {
        *out = "active";
        return ISMS_OK;
    }
    if (ascii_casecmp(s, "retired") == 0) {
        *out = "retired";
        return ISMS_OK;
    }
    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                           "status must be active or retired; got \"%s\"", s);
}

enum isms_code isms_asset_check_ref(const char *field, const char *ref, struct isms_status *st)
{
    return isms_text_check(field, ref, ISMS_ASSET_NAME_MAX, 1, st);
}

static enum isms_code check_name(const char *name, struct isms_status *st)
{
    int64_t num;
    size_t n;

    if (isms_text_check("name", name, ISMS_ASSET_NAME_MAX, 1, st) != ISMS_OK)
        return st->code;
    if (has_control(name))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "name must not contain control characters (tab, newline, ...)");
    n = strlen(name);
    if (is_space(name[0]) || is_space(name[n - 1]))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "name must not start or end with a space: \"%s\"", name);
    if (isms_asset_parse_id(name, &num))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "name \"%s\" looks like an asset id (A-<n>); choose another name",
                               name);
    return ISMS_OK;
}

/* Writes the configured levels as "a, b, c" into buf. */
static void levels_text(const struct isms_asset_limits *lim, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < lim->nlevels && used < len; i++) {
        int k = snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "", lim->levels[i]);

        if (k < 0)
            break;
        used += (size_t)k;
    }
}

static enum isms_code check_classification(char *c, const struct isms_asset_limits *lim,
                                           struct isms_status *st)
{
    char levels[200];

    levels_text(lim, levels, sizeof(levels));
    if (c == NULL || c[0] == '\0')
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "classification is required: one of %s",
                               levels);
    if (isms_text_check("classification", c, ISMS_ASSET_LEVEL_MAX, 1, st) != ISMS_OK)
        return st->code;
    lower_ascii(c);
    if (lim->nlevels == 0)
        return ISMS_OK;
    for (size_t i = 0; i < lim->nlevels; i++)
        if (strcmp(c, lim->levels[i]) == 0)
            return ISMS_OK;
    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                           "classification must be one of %s; got \"%s\"", levels, c);
}

static enum isms_code check_cia(const char *field, int32_t v, int scale, struct isms_status *st)
{
    if (v < 1 || v > scale)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "%s must be between 1 and %d, got %d",
                               field, scale, (int)v);
    return ISMS_OK;
}

/* Validates, lower-cases and de-duplicates the tags in place; `*n` may shrink. */
static enum isms_code check_tags(char **tags, size_t *n, struct isms_status *st)
{
    size_t keep = 0;

    if (*n > ISMS_ASSET_TAGS_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "at most %d tags allowed, got %zu",
                               ISMS_ASSET_TAGS_MAX, *n);
    for (size_t i = 0; i < *n; i++) {
        char *t = tags[i];
        int is_dup = 0;

        if (isms_text_check("tag", t, ISMS_ASSET_TAG_MAX, 1, st) != ISMS_OK)
            return st->code;
        for (const char *p = t; *p != '\0'; p++)
            if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == ',' || *p == ';')
                return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                       "tag \"%s\" must not contain spaces, commas, semicolons "
                                       "or control characters",
                                       t);
        lower_ascii(t);
        for (size_t k = 0; k < keep; k++)
            if (strcmp(tags[k], t) == 0)
                is_dup = 1;
        if (!is_dup)
            tags[keep++] = t;
    }
    *n = keep;
    return ISMS_OK;
}

enum isms_code isms_asset_check(struct isms_asset_input *in, unsigned fields,
                                const struct isms_asset_limits *lim, struct isms_status *st)
{
    int scale = lim != NULL && lim->scale > 0 ? lim->scale : ISMS_ASSET_CIA_DEFAULT;
    struct isms_asset_limits none = {ISMS_ASSET_CIA_DEFAULT, NULL, 0};

    if (lim == NULL)
        lim = &none;
    if (scale > ISMS_ASSET_CIA_LIMIT)
        scale = ISMS_ASSET_CIA_LIMIT;
    if ((fields & ISMS_ASSET_F_NAME) && check_name(in->name, st) != ISMS_OK)
        return st->code;
    if ((fields & ISMS_ASSET_F_TYPE) && isms_asset_type(in->type, &in->type, st) != ISMS_OK)
        return st->code;
    if ((fields & ISMS_ASSET_F_DESCRIPTION) &&
        isms_text_check("description", in->description, ISMS_ASSET_DESCRIPTION_MAX, 0, st) !=
            ISMS_OK)
        return st->code;
    if ((fields & ISMS_ASSET_F_OWNER) &&
        isms_text_check("owner", in->owner, ISMS_ASSET_PERSON_MAX, 1, st) != ISMS_OK)
        return st->code;
    if ((fields & ISMS_ASSET_F_CUSTODIAN) &&
        isms_text_check("custodian", in->custodian, ISMS_ASSET_PERSON_MAX, 0, st) != ISMS_OK)
        return st->code;
    if ((fields & ISMS_ASSET_F_LOCATION) &&
        isms_text_check("location", in->location, ISMS_ASSET_LOCATION_MAX, 0, st) != ISMS_OK)
        return st->code;
    if ((fields & ISMS_ASSET_F_CLASSIFICATION) &&
        check_classification(in->classification, lim, st) != ISMS_OK)
        return st->code;
    if ((fields & ISMS_ASSET_F_CONFIDENTIALITY) &&
        check_cia("confidentiality", in->confidentiality, scale, st) != ISMS_OK)
        return st->code;
    if ((fields & ISMS_ASSET_F_INTEGRITY) &&
        check_cia("integrity", in->integrity, scale, st) != ISMS_OK)
        return st->code;
    if ((fields & ISMS_ASSET_F_AVAILABILITY) &&
        check_cia("availability", in->availability, scale, st) != ISMS_OK)
        return st->code;
    if ((fields & ISMS_ASSET_F_TAGS) && check_tags(in->tags, &in->ntags, st) != ISMS_OK)
        return st->code;
    if ((fields & ISMS_ASSET_F_STATUS) &&
        isms_asset_status(in->status, fields == ISMS_ASSET_F_ALL ? "active" : NULL, &in->status,
                          st) != ISMS_OK)
        return st->code;
    if (in->ndepends_on > ISMS_ASSET_DEPS_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "at most %d depends_on entries allowed, got %zu",
                               ISMS_ASSET_DEPS_MAX, in->ndepends_on);
    for (size_t i = 0; i < in->ndepends_on; i++)
        if (isms_asset_check_ref("depends_on", in->depends_on[i], st) != ISMS_OK)
            return st->code;
    return ISMS_OK;
}

/* ---- import batches ------------------------------------------------------------------------ */

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;

    for (; *s != '\0'; s++) {
        h ^= (uint64_t)fold((unsigned char)*s);
        h *= 1099511628211ull;
    }
    return h;
}

struct name_index {
    size_t *slot; /* row + 1, 0 = empty */
    size_t mask;
};

static int index_init(struct name_index *ix, size_t n)
{
    size_t cap = 16;

    while (cap < 2 * n)
        cap *= 2;
    ix->slot = calloc(cap, sizeof(*ix->slot));
    ix->mask = cap - 1;
    return ix->slot != NULL;
}

/* Returns the row holding `name`, or n when none. */
static size_t index_find(const struct name_index *ix, const struct isms_asset_input *rows, size_t n,
                         const char *name)
{
    for (size_t i = (size_t)name_hash(name) & ix->mask; ix->slot[i] != 0; i = (i + 1) & ix->mask)
        if (ascii_casecmp(rows[ix->slot[i] - 1].name, name) == 0)
            return ix->slot[i] - 1;
    return n;
}

static void index_put(struct name_index *ix, const char *name, size_t row)
{
    size_t i = (size_t)name_hash(name) & ix->mask;

    while (ix->slot[i] != 0)
        i = (i + 1) & ix->mask;
    ix->slot[i] = row + 1;
}

/* Dependency edges among the batch's rows, in compressed row form. */
struct batch_graph {
    size_t *first; /* n + 1 offsets into to[] / dep[] */
    size_t *to;    /* target row */
    size_t *dep;   /* which depends_on entry of the source row */
};

static void graph_free(struct batch_graph *g)
{
    free(g->first);
    free(g->to);
    free(g->dep);
}

/* Writes "a -> b -> ... -> a" for the cycle stack[from..top] plus its first node. */
static void cycle_path(const struct isms_asset_input *rows, const size_t *stack, size_t from,
                       size_t top, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = from; i <= top + 1 && used < len; i++) {
        size_t r = i <= top ? stack[i] : stack[from];
        int k = snprintf(buf + used, len - used, "%s%s", i > from ? " -> " : "", rows[r].name);

        if (k < 0)
            break;
        used += (size_t)k;
    }
}

/* Depth-first search from each row in order; reports the first edge closing a cycle. */
static enum isms_code find_cycle(const struct isms_asset_input *rows, size_t n,
                                 const struct batch_graph *g, size_t *bad_row,
                                 struct isms_status *st)
{
    unsigned char *color = calloc(n, 1); /* 0 new, 1 on the stack, 2 done */
    size_t *stack = malloc(n * sizeof(*stack));
    size_t *next = malloc(n * sizeof(*next));
    enum isms_code rc = ISMS_OK;

    if (color == NULL || stack == NULL || next == NULL) {
        rc = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory checking dependencies");
        goto out;
    }
    for (size_t root = 0; root < n && rc == ISMS_OK; root++) {
        size_t top = 0;

        if (color[root] != 0)
            continue;
        stack[0] = root;
        next[root] = g->first[root];
        color[root] = 1;
        while (rc == ISMS_OK) {
            size_t u = stack[top];

            if (next[u] == g->first[u + 1]) {
                color[u] = 2;
                if (top == 0)
                    break;
                top--;
                continue;
            }
            size_t e = next[u]++;
            size_t v = g->to[e];

            if (color[v] == 1) {
                size_t from = top;
                char path[256];

                while (stack[from] != v)
                    from--;
                cycle_path(rows, stack, from, top, path, sizeof(path));
                *bad_row = u + 1;
                rc = isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                     "row %zu: depends_on \"%s\" closes a dependency cycle: %s",
                                     u + 1, rows[u].depends_on[g->dep[e]], path);
            } else if (color[v] == 0) {
                color[v] = 1;
                next[v] = g->first[v];
                stack[++top] = v;
            }
        }
    }
out:
    free(color);
    free(stack);
    free(next);
    return rc;
}

enum isms_code isms_asset_check_batch(struct isms_asset_input *rows, size_t n,
                                      const struct isms_asset_limits *lim, size_t *bad_row,
                                      struct isms_status *st)
{
    struct name_index ix = {NULL, 0};
    struct batch_graph g = {NULL, NULL, NULL};
    size_t nedges = 0;
    enum isms_code rc = ISMS_OK;

    *bad_row = 0;
    if (n == 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "nothing to import: no assets given");
    if (n > ISMS_ASSET_IMPORT_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "at most %d assets per import, got %zu",
                               ISMS_ASSET_IMPORT_MAX, n);
    for (size_t i = 0; i < n; i++) {
        struct isms_status e;

        if (isms_asset_check(&rows[i], ISMS_ASSET_F_ALL, lim, &e) != ISMS_OK) {
            *bad_row = i + 1;
            return isms_status_set(st, e.code, "row %zu: %s", i + 1, e.msg);
        }
    }
    if (!index_init(&ix, n))
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory checking names");
    for (size_t i = 0; i < n; i++) {
        size_t prev = index_find(&ix, rows, n, rows[i].name);

        if (prev < n) {
            *bad_row = i + 1;
            rc = isms_status_set(st, ISMS_ALREADY_EXISTS,
                                 "row %zu: name \"%s\" is already used by row %zu", i + 1,
                                 rows[i].name, prev + 1);
            goto out;
        }
        index_put(&ix, rows[i].name, i);
        nedges += rows[i].ndepends_on;
    }
    g.first = calloc(n + 1, sizeof(*g.first));
    g.to = malloc((nedges + 1) * sizeof(*g.to));
    g.dep = malloc((nedges + 1) * sizeof(*g.dep));
    if (g.first == NULL || g.to == NULL || g.dep == NULL) {
        rc = isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory checking dependencies");
        goto out;
    }
    nedges = 0;
    for (size_t i = 0; i < n; i++) {
        g.first[i] = nedges;
        for (size_t k = 0; k < rows[i].ndepends_on; k++) {
            size_t j = index_find(&ix, rows, n, rows[i].depends_on[k]);

            if (j == i) {
                *bad_row = i + 1;
                rc = isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                     "row %zu: depends_on \"%s\" is the asset itself; an asset "
                                     "cannot depend on itself",
                                     i + 1, rows[i].depends_on[k]);
                goto out;
            }
            if (j < n) {
                g.to[nedges] = j;
                g.dep[nedges] = k;
                nedges++;
            }
        }
    }
    g.first[n] = nedges;
    rc = find_cycle(rows, n, &g, bad_row, st);
out:
    free(ix.slot);
    graph_free(&g);
    return rc;
}

/* ---- classification levels ----------------------------------------------------------------- */

static int level_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ' || c == '-' || c == '_';
}

static int level_edge(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

enum isms_code isms_asset_check_levels(char **levels, size_t n, struct isms_status *st)
{
    if (n == 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "at least one classification level is required");
    if (n > ISMS_ASSET_LEVELS_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "at most %d classification levels allowed, got %zu",
                               ISMS_ASSET_LEVELS_MAX, n);
    for (size_t i = 0; i < n; i++) {
        char *l = levels[i];
        size_t len;
        int ok;

        if (isms_text_check("classification level", l, ISMS_ASSET_LEVEL_MAX, 1, st) != ISMS_OK)
            return st->code;
        lower_ascii(l);
        len = strlen(l);
        ok = level_edge(l[0]) && level_edge(l[len - 1]);
        for (size_t k = 0; ok && k < len; k++)
            ok = level_char(l[k]);
        if (!ok)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "classification level \"%s\" may hold only letters a-z, "
                                   "digits, spaces, '-' and '_', and must start and end with a "
                                   "letter or digit",
                                   l);
        for (size_t k = 0; k < i; k++)
            if (strcmp(levels[k], l) == 0)
                return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                       "classification level \"%s\" is listed twice", l);
    }
    return ISMS_OK;
}

/* ---- listing ------------------------------------------------------------------------------- */

enum isms_code isms_asset_sort_parse(const char *s, enum isms_asset_sort *out,
                                     struct isms_status *st)
{
    if (s == NULL || s[0] == '\0' || strcmp(s, "id") == 0) {
        *out = ISMS_ASSET_SORT_ID;
        return ISMS_OK;
    }
    if (strcmp(s, "name") == 0) {
        *out = ISMS_ASSET_SORT_NAME;
        return ISMS_OK;
    }
    if (strcmp(s, "updated_at") == 0) {
        *out = ISMS_ASSET_SORT_UPDATED;
        return ISMS_OK;
    }
    if (isms_text_check("sort", s, 40, 0, st) != ISMS_OK)
        return st->code;
    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                           "sort must be id, name or updated_at; got \"%s\"", s);
}

enum isms_code isms_asset_check_filters(const char **type, const char *owner, char *classification,
                                        char *tag, const char *text, const char **status,
                                        struct isms_status *st)
{
    if (*type != NULL && (*type)[0] != '\0' && isms_asset_type(*type, type, st) != ISMS_OK)
        return st->code;
    if (*status != NULL && (*status)[0] != '\0' &&
        isms_asset_status(*status, NULL, status, st) != ISMS_OK)
        return st->code;
    if (isms_text_check("owner", owner, ISMS_ASSET_PERSON_MAX, 0, st) != ISMS_OK ||
        isms_text_check("classification", classification, ISMS_ASSET_LEVEL_MAX, 0, st) != ISMS_OK ||
        isms_text_check("tag", tag, ISMS_ASSET_TAG_MAX, 0, st) != ISMS_OK ||
        isms_text_check("text", text, ISMS_ASSET_NAME_MAX, 0, st) != ISMS_OK)
        return st->code;
    lower_ascii(classification);
    lower_ascii(tag);
    return ISMS_OK;
}

static const char hexdig[] = "0123456789abcdef";

int isms_asset_token_make(const struct isms_asset_cursor *c, char *out, size_t outlen)
{
    size_t klen = strlen(c->key);
    int n = snprintf(out, outlen, "%c%c.%" PRId64 ".", (char)c->sort, c->is_descending ? 'd' : 'a',
                     c->num);

    if (n < 0 || (size_t)n + 2 * klen + 1 > outlen)
        return 0;
    for (size_t i = 0; i < klen; i++) {
        out[n++] = hexdig[(unsigned char)c->key[i] >> 4];
        out[n++] = hexdig[(unsigned char)c->key[i] & 15];
    }
    out[n] = '\0';
    return 1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decimal micro-seconds, optionally negative, at most 19 digits. */
static int is_micros(const char *s)
{
    size_t i = s[0] == '-' ? 1 : 0, n = 0;

    for (; s[i] >= '0' && s[i] <= '9'; i++)
        n++;
    return s[i] == '\0' && n >= 1 && n <= 18;
}

enum isms_code isms_asset_token_parse(const char *token, enum isms_asset_sort sort,
                                      int is_descending, struct isms_asset_cursor *out,
                                      struct isms_status *st)
{
    const char *p, *hex;
    char *end;
    long long num;
    size_t hlen;

    if (isms_text_check("page_token", token, ISMS_ASSET_TOKEN_MAX, 0, st) != ISMS_OK)
        return st->code;
    if (strlen(token) < 5 || (token[0] != 'i' && token[0] != 'n' && token[0] != 'u') ||
        (token[1] != 'a' && token[1] != 'd') || token[2] != '.')
        goto bad;
    if ((enum isms_asset_sort)token[0] != sort || (token[1] == 'd') != (is_descending != 0))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "page_token belongs to a list in another order; "
                               "use the same sort and direction, or start again without it");
    p = token + 3;
    if (*p < '0' || *p > '9')
        goto bad;
    errno = 0;
    num = strtoll(p, &end, 10);
    if (errno != 0 || *end != '.' || num < 1)
        goto bad;
    hex = end + 1;
    hlen = strlen(hex);
    if (hlen % 2 != 0 || hlen / 2 > ISMS_ASSET_KEY_MAX)
        goto bad;
    for (size_t i = 0; i < hlen; i += 2) {
        int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);

        if (hi < 0 || lo < 0)
            goto bad;
        out->key[i / 2] = (char)(hi << 4 | lo);
    }
    out->key[hlen / 2] = '\0';
    out->sort = sort;
    out->is_descending = is_descending != 0;
    out->num = num;
    if (sort == ISMS_ASSET_SORT_ID && hlen != 0)
        goto bad;
    if (sort == ISMS_ASSET_SORT_UPDATED && !is_micros(out->key))
        goto bad;
    if (sort == ISMS_ASSET_SORT_NAME &&
        (hlen == 0 || strlen(out->key) != hlen / 2 || !isms_utf8_valid(out->key, hlen / 2)))
        goto bad;
    return ISMS_OK;
bad:
    return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                           "page_token is not one this server made; start again without it");
}
