/* client/cmd.c — runs a command row (cmd.h): parses its words against the declared flags and
 * arguments, checks every declared rule, fills the request through the protobuf-c descriptor
 * and makes the call. A usage error never reaches the server; the request only borrows argv. */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define NFLAGS_MAX (sizeof(((struct isms_args *)0)->value) / sizeof(const char *))

static size_t count_flags(const struct isms_cmd *cmd)
{
    size_t n = 0;

    while (cmd->flags != NULL && cmd->flags[n].name != NULL)
        n++;
    return n;
}

static size_t count_args(const struct isms_cmd *cmd)
{
    size_t n = 0;

    while (cmd->args != NULL && cmd->args[n].name != NULL)
        n++;
    return n;
}

/* Index of flag `name` (the first `len` bytes of it) in the row, or -1. */
static int find_flag(const struct isms_cmd *cmd, const char *name, size_t len)
{
    for (size_t k = 0; cmd->flags != NULL && cmd->flags[k].name != NULL; k++) {
        if (strlen(cmd->flags[k].name) == len && memcmp(cmd->flags[k].name, name, len) == 0)
            return (int)k;
    }
    return -1;
}

/* "risk create" or "status": the command's words, for messages. */
static const char *cmd_words(const struct isms_cmd *cmd, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", cmd->noun, cmd->verb[0] != '\0' ? " " : "", cmd->verb);
    return buf;
}

static const char *metavar(const struct isms_flag *f)
{
    if (f->metavar != NULL)
        return f->metavar;
    return f->kind == ISMS_FLAG_ENUM ? f->choices : "VALUE";
}

/* Whether `s` is one of the '|'-separated `choices`. */
static bool is_choice(const char *choices, const char *s)
{
    size_t n = strlen(s);

    for (const char *p = choices; p != NULL && *p != '\0';) {
        const char *bar = strchr(p, '|');
        size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);

        if (len == n && memcmp(p, s, n) == 0)
            return true;
        p = bar != NULL ? bar + 1 : NULL;
    }
    return false;
}

static bool is_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (size_t i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    }
    return true;
}

static void int_bounds(const struct isms_flag *f, int64_t *min, int64_t *max)
{
    *min = f->min;
    *max = f->max;
    if (f->min == 0 && f->max == 0)
        *max = INT64_MAX;
}

/* Checks one value of flag `f` against its kind. */
static enum isms_code check_value(struct isms_cli *cli, const struct isms_flag *f, const char *v,
                                  struct isms_status *st)
{
    int64_t min, max, n;

    switch (f->kind) {
    case ISMS_FLAG_INT:
        int_bounds(f, &min, &max);
        if (isms_cli_parse_i64(v, min, max, &n))
            return ISMS_OK;
        if (max == INT64_MAX)
            return isms_cli_usage(cli, st,
                                  "--%s needs a whole number of at least %lld, got \"%.40s\"",
                                  f->name, (long long)min, v);
        return isms_cli_usage(cli, st, "--%s needs a whole number from %lld to %lld, got \"%.40s\"",
                              f->name, (long long)min, (long long)max, v);
    case ISMS_FLAG_ENUM:
        if ((f->opts & ISMS_OPT_OPEN) || is_choice(f->choices, v))
            return ISMS_OK;
        return isms_cli_usage(cli, st, "--%s needs one of %s, got \"%.40s\"", f->name, f->choices,
                              v);
    case ISMS_FLAG_DATE:
        if (is_date(v))
            return ISMS_OK;
        return isms_cli_usage(cli, st, "--%s needs a date YYYY-MM-DD, got \"%.40s\"", f->name, v);
    case ISMS_FLAG_FILE:
        if (v[0] != '\0')
            return ISMS_OK;
        return isms_cli_usage(cli, st, "--%s needs a file name", f->name);
    default:
        return ISMS_OK;
    }
}

static bool own(struct isms_args *a, char *s)
{
    if (a->nowned == a->owned_cap) {
        size_t cap = a->owned_cap == 0 ? 8 : a->owned_cap * 2;
        char **o = realloc(a->owned, cap * sizeof(*o));

        if (o == NULL)
            return false;
        a->owned = o;
        a->owned_cap = cap;
    }
    a->owned[a->nowned++] = s;
    return true;
}

/* Adds one value (or, with ISMS_OPT_SPLIT, its comma-separated items) to list flag k. */
static enum isms_code list_add(struct isms_cli *cli, struct isms_args *a, size_t k, const char *v,
                               struct isms_status *st)
{
    const struct isms_flag *f = &a->cmd->flags[k];
    char **items = NULL;
    size_t n = 1;

    if (f->opts & ISMS_OPT_SPLIT) {
        items = isms_cli_split_list(v, &n);
        if (items == NULL)
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (a->list[k] == NULL) {
        a->list[k] = calloc(ISMS_CMD_LIST_MAX + 1, sizeof(char *));
        if (a->list[k] == NULL) {
            isms_cli_free_list(items);
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        }
    }
    if (a->nlist[k] + n > ISMS_CMD_LIST_MAX) {
        isms_cli_free_list(items);
        return isms_cli_usage(cli, st, "--%s given more than %d times", f->name, ISMS_CMD_LIST_MAX);
    }
    for (size_t i = 0; i < n; i++) {
        const char *item = items != NULL ? items[i] : v;

        if (items != NULL && !own(a, items[i])) {
            for (size_t j = i; j < n; j++)
                free(items[j]);
            free(items);
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
        }
        a->list[k][a->nlist[k]++] = item;
    }
    free(items); /* the array only: its strings are owned by `a` now */
    return ISMS_OK;
}

/* Takes flag k at argv[*i] ("--name" or "--name=value"). */
static enum isms_code take_flag(struct isms_cli *cli, struct isms_args *a, size_t k, int argc,
                                char **argv, int *i, const char *eq, struct isms_status *st)
{
    const struct isms_flag *f = &a->cmd->flags[k];
    const char *v;

    if (f->kind == ISMS_FLAG_BOOL) {
        if (eq != NULL)
            return isms_cli_usage(cli, st, "--%s takes no value", f->name);
        if (a->value[k] != NULL)
            return isms_cli_usage(cli, st, "--%s given more than once", f->name);
        a->value[k] = "";
        return ISMS_OK;
    }
    if (eq != NULL) {
        v = eq + 1;
    } else {
        if (*i + 1 >= argc)
            return isms_cli_usage(cli, st, "--%s needs a value (%s)", f->name, metavar(f));
        v = argv[++*i];
    }
    if (f->kind == ISMS_FLAG_LIST) {
        a->value[k] = v;
        return list_add(cli, a, k, v, st);
    }
    if (a->value[k] != NULL)
        return isms_cli_usage(cli, st, "--%s given more than once", f->name);
    if (check_value(cli, f, v, st) != ISMS_OK)
        return st->code;
    a->value[k] = v;
    return ISMS_OK;
}

/* The rules that involve more than one word: arguments, required, together, apart, change. */
static enum isms_code check_rules(struct isms_cli *cli, struct isms_args *a, struct isms_status *st)
{
    const struct isms_cmd *cmd = a->cmd;
    size_t nargs = count_args(cmd), nflags = count_flags(cmd), used = 0;
    bool has_change = false, is_changed = false;
    char words[64];

    cmd_words(cmd, words, sizeof(words));
    for (size_t k = 0; k < nargs; k++) {
        const struct isms_arg *g = &cmd->args[k];
        int alt = g->flag != NULL ? find_flag(cmd, g->flag, strlen(g->flag)) : -1;
        bool is_given = used < a->npos;
        bool is_alt = alt >= 0 && a->value[alt] != NULL;

        if (is_given && is_alt)
            return isms_cli_usage(cli, st, "give the %s once: --%s %s or %s", g->name, g->flag,
                                  g->name, g->name);
        if (!is_given && !is_alt && !(g->opts & ISMS_OPT_OPTIONAL))
            return isms_cli_usage(cli, st, "%s needs %s%s%s%s%s", words,
                                  (g->opts & ISMS_OPT_MANY) ? "one or more " : "", g->name,
                                  alt >= 0 ? " (or --" : "", alt >= 0 ? g->flag : "",
                                  alt >= 0 ? ")" : "");
        used = (g->opts & ISMS_OPT_MANY) ? a->npos : used + (is_given ? 1 : 0);
    }
    if (used < a->npos)
        return isms_cli_usage(cli, st, "unexpected argument \"%.100s\"", a->pos[used]);
    for (size_t k = 0; k < nflags; k++) {
        const struct isms_flag *f = &cmd->flags[k];
        bool is_given = a->value[k] != NULL;
        int other;

        if ((f->opts & ISMS_OPT_REQUIRED) && !is_given)
            return isms_cli_usage(cli, st, "%s needs --%s %s", words, f->name, metavar(f));
        if (f->opts & ISMS_OPT_CHANGE) {
            has_change = true;
            is_changed = is_changed || is_given;
        }
        if (!is_given)
            continue;
        other = f->with != NULL ? find_flag(cmd, f->with, strlen(f->with)) : -1;
        if (other >= 0 && a->value[other] == NULL)
            return isms_cli_usage(cli, st, "--%s needs --%s too", f->name, f->with);
        other = f->without != NULL ? find_flag(cmd, f->without, strlen(f->without)) : -1;
        if (other >= 0 && a->value[other] != NULL)
            return isms_cli_usage(cli, st, "give --%s or --%s, not both", f->name, f->without);
    }
    if (has_change && !is_changed) {
        char list[512];
        size_t len = 0;

        list[0] = '\0';
        for (size_t k = 0; k < nflags && len < sizeof(list); k++) {
            if (cmd->flags[k].opts & ISMS_OPT_CHANGE)
                len += (size_t)snprintf(list + len, sizeof(list) - len, "%s--%s",
                                        len > 0 ? ", " : "", cmd->flags[k].name);
        }
        return isms_cli_usage(cli, st, "%s needs something to change: %s", words, list);
    }
    return ISMS_OK;
}

enum isms_code isms_args_parse(struct isms_cli *cli, const struct isms_cmd *cmd, int argc,
                               char **argv, struct isms_args *a, struct isms_status *st)
{
    bool is_options_done = false;

    memset(a, 0, sizeof(*a));
    a->cmd = cmd;
    if (isms_cmd_check(cmd, st) != ISMS_OK)
        return st->code;
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        int k, g;

        if (!is_options_done && strcmp(w, "--") == 0) {
            is_options_done = true;
            continue;
        }
        if (is_options_done || w[0] != '-' || w[1] == '\0') {
            if (a->npos >= ISMS_CMD_LIST_MAX)
                return isms_cli_usage(cli, st, "more than %d arguments", ISMS_CMD_LIST_MAX);
            a->pos[a->npos++] = w;
            continue;
        }
        if (w[1] == '-') {
            const char *eq = strchr(w + 2, '=');

            k = find_flag(cmd, w + 2, eq != NULL ? (size_t)(eq - (w + 2)) : strlen(w + 2));
            if (k >= 0) {
                if (take_flag(cli, a, (size_t)k, argc, argv, &i, eq, st) != ISMS_OK)
                    return st->code;
                continue;
            }
        }
        g = isms_cli_global_opt(cli, argc, argv, &i, st);
        if (g < 0)
            return st->code;
        if (g == 0)
            return isms_cli_usage(cli, st, "unknown option \"%.100s\"", w);
    }
    return check_rules(cli, a, st);
}

void isms_args_cleanup(struct isms_args *a)
{
    for (size_t k = 0; k < NFLAGS_MAX; k++)
        free(a->list[k]);
    for (size_t k = 0; k < a->nowned; k++)
        free(a->owned[k]);
    free(a->owned);
    memset(a, 0, sizeof(*a));
}

const char *isms_args_get(const struct isms_args *a, const char *name)
{
    int k = find_flag(a->cmd, name, strlen(name));

    return k >= 0 ? a->value[k] : NULL;
}

bool isms_args_has(const struct isms_args *a, const char *name)
{
    return isms_args_get(a, name) != NULL;
}

const char *const *isms_args_list(const struct isms_args *a, const char *name, size_t *n)
{
    int k = find_flag(a->cmd, name, strlen(name));

    *n = k >= 0 ? a->nlist[k] : 0;
    return k >= 0 ? a->list[k] : NULL;
}

int64_t isms_args_int(const struct isms_args *a, const char *name, int64_t dflt)
{
    const char *v = isms_args_get(a, name);
    int64_t n;

    /* The value was checked while parsing; only the conversion is left. */
    if (v == NULL || !isms_cli_parse_i64(v, INT64_MIN, INT64_MAX, &n))
        return dflt;
    return n;
}

const char *isms_args_arg(const struct isms_args *a, size_t k)
{
    if (k < a->npos)
        return a->pos[k];
    if (k >= count_args(a->cmd) || a->cmd->args[k].flag == NULL)
        return NULL;
    return isms_args_get(a, a->cmd->args[k].flag);
}

/* ---- the request ---------------------------------------------------------------------------- */

static bool is_int_type(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_INT32 || t == PROTOBUF_C_TYPE_SINT32 ||
           t == PROTOBUF_C_TYPE_SFIXED32 || t == PROTOBUF_C_TYPE_UINT32 ||
           t == PROTOBUF_C_TYPE_FIXED32 || t == PROTOBUF_C_TYPE_INT64 ||
           t == PROTOBUF_C_TYPE_SINT64 || t == PROTOBUF_C_TYPE_SFIXED64 ||
           t == PROTOBUF_C_TYPE_UINT64 || t == PROTOBUF_C_TYPE_FIXED64;
}

/* Whether field `fd` can take values of a flag of `kind` (repeated for lists). */
static bool fits(const ProtobufCFieldDescriptor *fd, enum isms_flag_kind kind, bool is_many)
{
    bool is_repeated = fd->label == PROTOBUF_C_LABEL_REPEATED;

    if (kind == ISMS_FLAG_LIST || is_many)
        return is_repeated && fd->type == PROTOBUF_C_TYPE_STRING;
    if (is_repeated)
        return false;
    if (kind == ISMS_FLAG_BOOL)
        return fd->type == PROTOBUF_C_TYPE_BOOL;
    if (kind == ISMS_FLAG_INT)
        return is_int_type(fd->type);
    return fd->type == PROTOBUF_C_TYPE_STRING;
}

static void set_int(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd, int64_t v)
{
    char *p = (char *)m + fd->offset;

    switch (fd->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        *(int32_t *)(void *)p = (int32_t)v;
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        *(uint32_t *)(void *)p = (uint32_t)v;
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        *(uint64_t *)(void *)p = (uint64_t)v;
        break;
    default:
        *(int64_t *)(void *)p = v;
        break;
    }
}

/* Sets request field `name` from a flag of `kind` or an argument, and its set_<name> marker. */
static void fill_field(ProtobufCMessage *m, const char *name, enum isms_flag_kind kind,
                       const char *value, const char *const *list, size_t n)
{
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    char set_name[96];
    char *p;

    if (fd == NULL) /* isms_cmd_check() has refused such a row */
        return;
    p = (char *)m + fd->offset;
    if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
        *(size_t *)(void *)((char *)m + fd->quantifier_offset) = n;
        *(const char *const **)(void *)p = list;
    } else if (fd->type == PROTOBUF_C_TYPE_BOOL) {
        *(protobuf_c_boolean *)(void *)p = 1;
    } else if (kind == ISMS_FLAG_INT) {
        int64_t v = 0;

        (void)isms_cli_parse_i64(value, INT64_MIN, INT64_MAX, &v);
        set_int(m, fd, v);
    } else {
        *(const char **)(void *)p = value;
    }
    snprintf(set_name, sizeof(set_name), "set_%s", name);
    fd = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, set_name);
    if (fd != NULL && fd->type == PROTOBUF_C_TYPE_BOOL && fd->label != PROTOBUF_C_LABEL_REPEATED)
        *(protobuf_c_boolean *)(void *)((char *)m + fd->offset) = 1;
}

/* A new request of the row's type with every given flag and argument in its field. */
static ProtobufCMessage *build_request(const struct isms_args *a)
{
    const struct isms_cmd *cmd = a->cmd;
    ProtobufCMessage *m = calloc(1, cmd->req->sizeof_message);
    size_t nargs = count_args(cmd);

    if (m == NULL)
        return NULL;
    protobuf_c_message_init(cmd->req, m);
    for (size_t k = 0; cmd->flags != NULL && cmd->flags[k].name != NULL; k++) {
        const struct isms_flag *f = &cmd->flags[k];

        if (f->field != NULL && a->value[k] != NULL)
            fill_field(m, f->field, f->kind, a->value[k], a->list[k], a->nlist[k]);
    }
    for (size_t k = 0; k < nargs; k++) {
        const struct isms_arg *g = &cmd->args[k];

        if (g->field == NULL)
            continue;
        if (g->opts & ISMS_OPT_MANY) {
            if (a->npos > k)
                fill_field(m, g->field, ISMS_FLAG_LIST, NULL, a->pos + k, a->npos - k);
        } else if (isms_args_arg(a, k) != NULL) {
            fill_field(m, g->field, ISMS_FLAG_STRING, isms_args_arg(a, k), NULL, 0);
        }
    }
    return m;
}

enum isms_code isms_cmd_exec(struct isms_cli *cli, const struct isms_args *a, struct isms_out *out,
                             struct isms_status *st)
{
    const struct isms_cmd *cmd = a->cmd;
    ProtobufCMessage *req = NULL, *resp = NULL;
    enum isms_code code = ISMS_OK;

    if (cmd->req != NULL) {
        req = build_request(a);
        if (req == NULL)
            return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (cmd->prepare != NULL)
        code = cmd->prepare(cli, a, req, out, st);
    if (code == ISMS_OK && cmd->run != NULL) {
        code = cmd->run(cli, a, req, out, st);
    } else if (code == ISMS_OK) {
        code = isms_cli_call(cli, cmd->method, req, cmd->resp, &resp, st);
        if (code == ISMS_OK)
            code = cmd->render(cli, a, resp, out, st);
        if (resp != NULL)
            protobuf_c_message_free_unpacked(resp, NULL);
    }
    free(req); /* only the struct: its strings and arrays belong to argv and `a` */
    return code;
}

/* ---- checking the rows ---------------------------------------------------------------------- */

static enum isms_code bad_row(const struct isms_cmd *cmd, const char *what, const char *name,
                              struct isms_status *st)
{
    return isms_status_set(st, ISMS_INTERNAL, "command table: %s %s: %s \"%s\"", cmd->noun,
                           cmd->verb, what, name != NULL ? name : "");
}

static enum isms_code check_field(const struct isms_cmd *cmd, const char *field,
                                  enum isms_flag_kind kind, bool is_many, struct isms_status *st)
{
    const ProtobufCFieldDescriptor *fd;

    if (field == NULL)
        return ISMS_OK;
    if (cmd->req == NULL)
        return bad_row(cmd, "a field but no request type for", field, st);
    fd = protobuf_c_message_descriptor_get_field_by_name(cmd->req, field);
    if (fd == NULL)
        return bad_row(cmd, "no such request field", field, st);
    if (!fits(fd, kind, is_many))
        return bad_row(cmd, "request field of another type", field, st);
    return ISMS_OK;
}

enum isms_code isms_cmd_check(const struct isms_cmd *cmd, struct isms_status *st)
{
    size_t nflags = count_flags(cmd), nargs = count_args(cmd);

    if (nflags > NFLAGS_MAX)
        return bad_row(cmd, "too many flags", "", st);
    if (cmd->run == NULL && (cmd->method == NULL || cmd->resp == NULL || cmd->render == NULL))
        return bad_row(cmd, "neither run nor method, response and render", "", st);
    for (size_t k = 0; k < nflags; k++) {
        const struct isms_flag *f = &cmd->flags[k];

        if (find_flag(cmd, f->name, strlen(f->name)) != (int)k)
            return bad_row(cmd, "flag listed twice", f->name, st);
        if (f->kind == ISMS_FLAG_ENUM && (f->choices == NULL || f->choices[0] == '\0'))
            return bad_row(cmd, "enum flag without choices", f->name, st);
        if (f->with != NULL && find_flag(cmd, f->with, strlen(f->with)) < 0)
            return bad_row(cmd, "`with` names no flag", f->with, st);
        if (f->without != NULL && find_flag(cmd, f->without, strlen(f->without)) < 0)
            return bad_row(cmd, "`without` names no flag", f->without, st);
        if (check_field(cmd, f->field, f->kind, false, st) != ISMS_OK)
            return st->code;
    }
    for (size_t k = 0; k < nargs; k++) {
        const struct isms_arg *g = &cmd->args[k];

        if ((g->opts & ISMS_OPT_MANY) && k + 1 != nargs)
            return bad_row(cmd, "a MANY argument before the last", g->name, st);
        if (g->flag != NULL && find_flag(cmd, g->flag, strlen(g->flag)) < 0)
            return bad_row(cmd, "argument stands for no flag", g->flag, st);
        if (check_field(cmd, g->field, ISMS_FLAG_STRING, (g->opts & ISMS_OPT_MANY) != 0, st) !=
            ISMS_OK)
            return st->code;
    }
    return ISMS_OK;
}
