/* client/cmd.h — the declarative shape of an ismsctl command. Each command is one row
 * (struct isms_cmd): its words, summary, positional arguments, flags (kind, whether required,
 * the request field each fills) and the functions for what is not declarative. Parsing,
 * validation, usage errors, every help text and the bash completion are generated from the
 * rows (cmd.c, help.c), so they cannot drift apart. */
#ifndef ISMS_CLIENT_CMD_H
#define ISMS_CLIENT_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#include "common/status.h"

struct isms_cli;
struct isms_out;

/* What a flag's value is; decides parsing, validation, help and completion. */
enum isms_flag_kind {
    ISMS_FLAG_BOOL,   /* no value: present or not */
    ISMS_FLAG_STRING, /* any text */
    ISMS_FLAG_INT,    /* a whole number in [min, max] */
    ISMS_FLAG_ENUM,   /* one of `choices` ("csv|json") */
    ISMS_FLAG_DATE,   /* YYYY-MM-DD */
    ISMS_FLAG_LIST,   /* repeatable; every value is kept (split at commas with ISMS_OPT_SPLIT) */
    ISMS_FLAG_FILE,   /* a path, "-" for stdin where the command says so */
};

/* Bits of struct isms_flag.opts and struct isms_arg.opts. */
#define ISMS_OPT_REQUIRED 0x1u  /* a flag that must be given */
#define ISMS_OPT_SPLIT    0x2u  /* a list value "a,b" is several items */
#define ISMS_OPT_CHANGE   0x4u  /* the command needs at least one of its CHANGE flags */
#define ISMS_OPT_OPTIONAL 0x8u  /* a positional argument that may be left out */
#define ISMS_OPT_MANY     0x10u /* a positional argument that takes every remaining word */
/* An enum whose choices are for help and completion only: any value is sent, the server
 * decides (and answers INVALID_ARGUMENT). For vocabularies the server owns. */
#define ISMS_OPT_OPEN 0x20u

/* The most values a repeatable flag or a MANY argument takes. */
#define ISMS_CMD_LIST_MAX 200

/*
 * One flag, `--name VALUE` or `--name=VALUE` (BOOL: `--name`). `field` names the request field
 * it fills (proto field name) or is NULL when the command's own code reads it: a string or enum
 * fills a string field, an int an integer field, a bool a bool field, a list a repeated string
 * field. When the request also has a bool `set_<field>`, giving the flag sets it.
 */
struct isms_flag {
    const char *name;
    enum isms_flag_kind kind;
    const char *metavar; /* "NAME", "N"; NULL gives the choices (ENUM) or "VALUE" */
    const char *help;    /* one line for `<noun> <verb> --help` */
    const char *field;
    unsigned opts;
    const char *choices; /* ENUM: the allowed values, '|'-separated */
    int64_t min, max;    /* INT: bounds (both 0: any int64 >= 0) */
    const char *with;    /* another flag that must be given together with this one */
    const char *without; /* another flag that must not be given with this one */
};

/* One positional argument. `flag` names a flag that may be given instead ("TEXT" or
 * "--description TEXT"); `field` as in struct isms_flag. */
struct isms_arg {
    const char *name; /* "R-<n>", "ID-or-NAME" */
    const char *field;
    unsigned opts;
    const char *flag;
};

/* Shorthands for the common rows; anything else is written with designated initializers. */
#define ISMS_F_STR(n, mv, fld, hlp)                                                                \
    {                                                                                              \
        .name = (n), .kind = ISMS_FLAG_STRING, .metavar = (mv), .field = (fld), .help = (hlp)      \
    }
#define ISMS_F_BOOL(n, fld, hlp)                                                                   \
    {                                                                                              \
        .name = (n), .kind = ISMS_FLAG_BOOL, .field = (fld), .help = (hlp)                         \
    }
#define ISMS_F_INT(n, fld, lo, hi, hlp)                                                            \
    {                                                                                              \
        .name = (n), .kind = ISMS_FLAG_INT, .metavar = "N", .field = (fld), .min = (lo),           \
        .max = (hi), .help = (hlp)                                                                 \
    }
#define ISMS_F_ENUM(n, ch, fld, hlp)                                                               \
    {                                                                                              \
        .name = (n), .kind = ISMS_FLAG_ENUM, .choices = (ch), .field = (fld), .help = (hlp)        \
    }
#define ISMS_F_FILE(n, hlp)                                                                        \
    {                                                                                              \
        .name = (n), .kind = ISMS_FLAG_FILE, .metavar = "F", .help = (hlp)                         \
    }
/* --expect-version N into expected_version: the optimistic lock of every update. */
#define ISMS_F_EXPECT_VERSION                                                                      \
    ISMS_F_INT("expect-version", "expected_version", 0, INT64_MAX,                                 \
               "only if the record is still at version N, else ABORTED (0: no check)")

/* The parsed words of one invocation (fields are private; use the functions below). */
struct isms_args {
    const struct isms_cmd *cmd;
    const char *value[24]; /* per flag: the value (BOOL: "" when given), NULL when absent */
    const char **list[24]; /* per LIST flag: heap array of borrowed/heap items */
    size_t nlist[24];
    char **owned; /* heap strings made by splitting; freed with the args */
    size_t nowned, owned_cap;
    const char *pos[ISMS_CMD_LIST_MAX];
    size_t npos;
};

/*
 * What a command does beyond its row. The same shape serves three roles:
 * - prepare: `msg` is the filled request, about to be sent; adjust what is not declarative;
 * - render: `msg` is the response of the row's method; fill `out`;
 * - run: the whole command when it is not one unary call; `msg` is the filled request (or
 *   NULL when the row has no request type).
 * Each returns ISMS_OK or fills `st` (isms_cli_usage() for bad arguments). None prints.
 */
typedef enum isms_code isms_cmd_fn(struct isms_cli *cli, const struct isms_args *a,
                                   ProtobufCMessage *msg, struct isms_out *out,
                                   struct isms_status *st);

/* One command: `ismsctl <noun> <verb> ...`; `verb` may be several words ("party add") or ""
 * when the noun is the command (`ismsctl status`). Arrays end with a row whose name is NULL. */
struct isms_cmd {
    const char *noun, *verb;
    const char *summary;
    const struct isms_arg *args;           /* may be NULL */
    const struct isms_flag *flags;         /* may be NULL */
    const ProtobufCMessageDescriptor *req; /* request the flags fill, or NULL */
    const char *method;                    /* unary call made when run is NULL */
    const ProtobufCMessageDescriptor *resp;
    isms_cmd_fn *prepare; /* may be NULL */
    isms_cmd_fn *render;  /* with method: renders the response */
    isms_cmd_fn *run;     /* instead of method/render */
    /* Example invocations for `<noun> <verb> --help`, the words after "ismsctl", one per line
     * ('\n'-separated); NULL: help makes one from the row (arguments and required flags). */
    const char *example;
};

/* A noun and its commands, exported by client/cmd_<noun>.c. */
struct isms_noun {
    const char *name;
    const char *summary;
    const struct isms_cmd *cmds;
    size_t ncmds;
};

/* Every noun in help order, NULL-terminated (main.c). */
extern const struct isms_noun *const isms_nouns[];

/*
 * Parses argv[0..argc) (the words after noun and verb) for `cmd` into `a`, applying global
 * options met on the way, and checks every declared rule: known flags, values of each kind,
 * repeats, required flags and arguments, together/apart pairs, "needs a change". Returns OK or a
 * usage error. `a` must be released with isms_args_cleanup() either way.
 */
ISMS_MUSTCHECK enum isms_code isms_args_parse(struct isms_cli *cli, const struct isms_cmd *cmd,
                                              int argc, char **argv, struct isms_args *a,
                                              struct isms_status *st);
void isms_args_cleanup(struct isms_args *a);

/*
 * Runs `cmd` with parsed `a`: builds the request (when the row has one) from the flags and
 * arguments, then calls prepare and method/render, or run. The request's strings are borrowed
 * from argv; nothing of it outlives this call.
 */
ISMS_MUSTCHECK enum isms_code isms_cmd_exec(struct isms_cli *cli, const struct isms_args *a,
                                            struct isms_out *out, struct isms_status *st);

/* The value of flag `name` (BOOL: "" when given), or NULL when it was not given. */
const char *isms_args_get(const struct isms_args *a, const char *name);
/* Positional word `k` (for a MANY argument, k may run past the row's arguments), else the
 * flag that may stand in for argument k, else NULL. */
const char *isms_args_arg(const struct isms_args *a, size_t k);
/* Whether flag `name` was given. */
bool isms_args_has(const struct isms_args *a, const char *name);
/* The values of LIST flag `name` (borrowed, valid while `a` is); *n gets their number. */
const char *const *isms_args_list(const struct isms_args *a, const char *name, size_t *n);
/* The value of INT flag `name` (already checked against its bounds), or `dflt` if absent. */
int64_t isms_args_int(const struct isms_args *a, const char *name, int64_t dflt);

/*
 * Checks every row against itself and its request type: flag names unique, `with`/`without`
 * and argument `flag` naming flags of the row, enum flags with choices, and each `field`
 * existing in the request with a type its kind can fill. Returns OK or INTERNAL naming the row.
 */
ISMS_MUSTCHECK enum isms_code isms_cmd_check(const struct isms_cmd *cmd, struct isms_status *st);

/* Help (help.c): for everything (noun NULL), one noun, or one command; main.c adds the
 * global options and the exit status table. */
void isms_help_print(FILE *fp, const struct isms_noun *noun, const struct isms_cmd *cmd);
/* The bash completion script for every command in isms_nouns. */
void isms_help_completion_bash(FILE *fp);
/* Prints `text` word-wrapped at 98 columns; the cursor is at column `col`, later lines are
 * indented by `indent`. */
void isms_help_wrap(FILE *fp, const char *text, size_t col, size_t indent);

#endif
