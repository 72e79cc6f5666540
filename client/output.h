/* client/output.h — what a command produces, and how it is rendered (table, JSON, CSV).
 * Commands never print: they fill a `struct isms_out` (one record, or one list) and main.c
 * renders it. Every string is copied in, so the caller may free its source at once. */
#ifndef ISMS_CLIENT_OUTPUT_H
#define ISMS_CLIENT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/status.h"

enum isms_out_format {
    ISMS_OUT_TABLE = 0, /* aligned columns for people */
    ISMS_OUT_JSON,      /* stable machine output, field names as in the proto */
    ISMS_OUT_CSV,       /* RFC 4180: header row, then rows, CRLF line ends */
};

enum isms_out_type {
    ISMS_OUT_STR,
    ISMS_OUT_I64,
    ISMS_OUT_I64_OPT, /* an integer where 0 means "not set": empty in table and CSV, the number
                       * in JSON; filled with isms_out_i64() */
    ISMS_OUT_U64,
    ISMS_OUT_BOOL,
    ISMS_OUT_STRS, /* a list of words without commas (roles): "a,b" in table and CSV, an array
                    * of strings in JSON; set with isms_out_strs() */
};
/* A rating where 0 means "not rated" (set with isms_out_score()): an ISMS_OUT_I64_OPT. */
#define ISMS_OUT_SCORE ISMS_OUT_I64_OPT

/* One column (or record field): its proto field name and the type of its values. */
struct isms_out_col {
    const char *name;
    enum isms_out_type type;
};

/* One value; its type is its column's. */
struct isms_out_cell {
    union {
        char *s; /* owned by the table; never NULL once set (STR and STRS) */
        int64_t i;
        uint64_t u;
        bool b;
    } v;
};

/* Rows of values under a fixed set of columns. Fields are private; use the functions. */
struct isms_out_table {
    const char *key;                 /* JSON key when nested in a record (static) */
    const char *title;               /* heading in table output, or NULL (static) */
    const struct isms_out_col *cols; /* static array of ncols */
    size_t ncols;
    struct isms_out_cell *cells; /* nrows * ncols, row-major */
    size_t nrows;
    size_t cap_rows;
    size_t next_col;    /* next column to fill in the last row */
    uint64_t wide_only; /* bit c: table output shows column c only with --wide */
    bool is_oom;        /* an allocation failed; rendering reports it */
};

#define ISMS_OUT_MAX_SUBLISTS 4

enum isms_out_shape {
    ISMS_OUT_NOTHING = 0, /* the command produced no output */
    ISMS_OUT_RECORD,      /* one object: main has exactly one row, plus nested lists */
    ISMS_OUT_LIST,        /* an array of objects: main's rows */
};

/* A command's result. Embed it, isms_out_init() it, isms_out_cleanup() it. */
struct isms_out {
    enum isms_out_shape shape;
    struct isms_out_table main;
    struct isms_out_table subs[ISMS_OUT_MAX_SUBLISTS]; /* nested lists of a record */
    size_t nsubs;
    char *text;   /* table format prints these lines instead of the record, or NULL */
    char *notice; /* lines main prints on stderr after the output, or NULL */
    bool is_oom;  /* text or notice could not be stored */
    size_t width; /* table format: fit list columns into this many display columns (0: no
                   * limit); main sets it from the terminal unless --wide */
    bool is_wide; /* table format: --wide, also show the columns marked is_wide_only */
};

void isms_out_init(struct isms_out *o);
void isms_out_cleanup(struct isms_out *o);

/* Makes `o` one record with the given fields and starts its only row; fill it with
 * isms_out_str() and friends, in column order. `title` (may be NULL) heads table output.
 * `cols` must outlive `o`. */
struct isms_out_table *isms_out_record(struct isms_out *o, const char *title,
                                       const struct isms_out_col *cols, size_t ncols);

/* Makes `o` a list of objects with the given columns; add rows with isms_out_row(). */
struct isms_out_table *isms_out_list(struct isms_out *o, const char *title,
                                     const struct isms_out_col *cols, size_t ncols);

/* Adds a nested list, JSON key `key`, to a record; rendered after the record's own fields
 * (CSV renders only the record's own fields). Returns NULL if `o` is not a record or already
 * holds ISMS_OUT_MAX_SUBLISTS lists (a programming error). */
struct isms_out_table *isms_out_sublist(struct isms_out *o, const char *key, const char *title,
                                        const struct isms_out_col *cols, size_t ncols);

/* Marks columns (bit c for column c < 64) that table output shows only with --wide; JSON and
 * CSV always show every column. For lists with more columns than a terminal holds. */
void isms_out_wide_only(struct isms_out_table *t, uint64_t mask);

/* Starts a new row. An allocation failure is remembered and reported by isms_out_render(). */
void isms_out_row(struct isms_out_table *t);

/* Append the next value of the current row; the type must match the column's (isms_out_i64
 * also fills an ISMS_OUT_I64_OPT column). `s` may be
 * NULL (rendered as ""); it is copied. */
void isms_out_str(struct isms_out_table *t, const char *s);
void isms_out_i64(struct isms_out_table *t, int64_t v);
void isms_out_u64(struct isms_out_table *t, uint64_t v);
void isms_out_bool(struct isms_out_table *t, bool v);
void isms_out_score(struct isms_out_table *t, int64_t v);

/* Appends the list `items[0..n)` as the next value of the current row (an ISMS_OUT_STRS
 * column). Items are copied; an item holding a comma is a programming error. */
void isms_out_strs(struct isms_out_table *t, char *const *items, size_t n);

/* Adds one line (printf-style, no newline) that table output prints in place of the record's
 * fields, for results best said in a sentence ("logged in as alice ..."). JSON and CSV still
 * render the record. Kept across isms_out_record() and isms_out_list(). */
void isms_out_text(struct isms_out *o, const char *fmt, ...) ISMS_PRINTF(2, 3);

/* Adds one line (printf-style, no newline) for main to print on stderr as "ismsctl: note: ..."
 * after the output, in every format (a warning that a secret will not be shown again). */
void isms_out_notice(struct isms_out *o, const char *fmt, ...) ISMS_PRINTF(2, 3);

/* Renders `o` to `fp` in `fmt`. Returns ISMS_RESOURCE_EXHAUSTED if building `o` ran out of
 * memory, ISMS_INTERNAL if writing failed (e.g. a closed pipe); `st` says which. */
ISMS_MUSTCHECK enum isms_code isms_out_render(const struct isms_out *o, enum isms_out_format fmt,
                                              FILE *fp, struct isms_status *st);

/* Parses "table", "json" or "csv". Returns false for anything else. */
bool isms_out_parse_format(const char *s, enum isms_out_format *fmt);

/* Display width of a UTF-8 string, roughly: one per code point, none for combining marks, two
 * for East Asian wide characters; an invalid byte counts as one. */
size_t isms_out_width(const char *s, size_t len);

#endif
