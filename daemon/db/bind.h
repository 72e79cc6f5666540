/* db/bind.h — SQL statements declared with their parameters' names, and a binder that fills
 * those parameters by name. A statement that is submitted with a parameter unknown, bound
 * twice, left unbound or given no value (out of memory) fails with INTERNAL; a value is never
 * silently NULL. Every declared statement is registered for isms_sql_check_all(). */
#ifndef ISMS_DB_BIND_H
#define ISMS_DB_BIND_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

/* The most parameters one statement may have (bits of isms_bind.is_bound). */
#define ISMS_SQL_MAX_PARAMS 64

/* A statement: its SQL constant and the names of $1, $2, ... in order. Declare with
 * ISMS_STATEMENT (or ISMS_STATEMENT_NO_PARAMS), never by hand. */
struct isms_sql {
    const char *name;          /* the SQL constant's name ("SQL_RISK_LOAD"), for messages */
    const char *text;          /* the SQL constant; its address names the prepared statement */
    const char *const *params; /* nparams names: params[k] is $(k+1) */
    int nparams;
};

/* Declares `static const struct isms_sql id` for the SQL constant `text` (a static char array
 * declared just above) with its parameters' names in $n order, and registers it in the
 * "isms_sql" section that isms_sql_check_all() walks, so no statement escapes the check. */
#define ISMS_STATEMENT(id, text, ...)                                                              \
    static const char *const id##_params_[] = {__VA_ARGS__};                                       \
    static const struct isms_sql id = {#text, text, id##_params_,                                  \
                                       (int)(sizeof(id##_params_) / sizeof(id##_params_[0]))};     \
    static const struct isms_sql *const id##_entry_ __attribute__((used, section("isms_sql"))) = &id

/* The same for a statement without parameters. */
#define ISMS_STATEMENT_NO_PARAMS(id, text)                                                         \
    static const struct isms_sql id = {#text, text, NULL, 0};                                      \
    static const struct isms_sql *const id##_entry_ __attribute__((used, section("isms_sql"))) = &id

/* The idempotency key of a write. Every statement that appends an audit record (a write)
 * declares a parameter named ISMS_SQL_IDEM_PARAM and ends its WITH list with
 * ISMS_SQL_IDEM("$n", "a"), where $n is that parameter and `a` the CTE that calls
 * audit_append(): when the parameter is not NULL and the statement appended a record, the key
 * row (a text[] of user, key, method, hex SHA-256 of the request body) is inserted in the same
 * statement, so it commits or rolls back with the write; a key already stored makes the whole
 * statement fail (unique_violation on idempotency_key_pkey: see db/sqlstate.h). rpc/call.c
 * binds the parameter itself (NULL without a key); isms_sql_check() refuses a write statement
 * that does not take part. */
#define ISMS_SQL_IDEM_PARAM "idem"
/* The message (code ABORTED) of a write refused because its key was stored meanwhile. */
#define ISMS_SQL_IDEM_TAKEN "idempotency-key was stored by another request meanwhile"
#define ISMS_SQL_IDEM(p, a)                                                                        \
    ", idem AS (INSERT INTO idempotency_key (user_name, key, method, body_hash)"                   \
    " SELECT (" p "::text[])[1], (" p "::text[])[2], (" p "::text[])[3],"                          \
    " decode((" p "::text[])[4], 'hex') WHERE " p "::text[] IS NOT NULL"                           \
    " AND (SELECT count(*) FROM " a ") > 0 RETURNING 1)"

/* Values for one run of a statement, on the caller's stack. Text values are borrowed and must
 * stay valid until the statement is submitted (the pool copies them then); numbers are
 * formatted into the binder itself. Fields are private; use the functions. */
struct isms_bind {
    const struct isms_sql *sql;
    const char *values[ISMS_SQL_MAX_PARAMS]; /* NULL = SQL NULL once bound */
    uint64_t is_bound;                       /* bit k: $(k+1) has been bound */
    char num[ISMS_SQL_MAX_PARAMS][24];       /* formatted integers */
    struct isms_status err;                  /* the first binding mistake; OK if none */
};

/* Starts binding values for `sql` (a declared statement, which must outlive the binder). */
void isms_bind_init(struct isms_bind *b, const struct isms_sql *sql);

/* Bind parameter `name` of the statement. A mistake (unknown name, bound twice, `v` NULL for
 * text: a value that could not be built) is remembered and reported by isms_bind_finish().
 * _text_or_null binds "" as NULL; _int64_or_null binds 0 as NULL. */
void isms_bind_text(struct isms_bind *b, const char *name, const char *v);
void isms_bind_text_or_null(struct isms_bind *b, const char *name, const char *v);
void isms_bind_int64(struct isms_bind *b, const char *name, int64_t v);
void isms_bind_int64_or_null(struct isms_bind *b, const char *name, int64_t v);
void isms_bind_bool(struct isms_bind *b, const char *name, int v);
void isms_bind_null(struct isms_bind *b, const char *name);

/* Checks that every parameter is bound exactly once and sets `*values` to the statement's
 * values in $n order (sql->nparams of them, valid while `b` is). Errors: INTERNAL (a binding
 * mistake, naming the statement and the parameter). */
ISMS_MUSTCHECK enum isms_code isms_bind_finish(const struct isms_bind *b,
                                               const char *const **values, struct isms_status *st);

/* Whether `sql` declares a parameter named `name`. */
int isms_sql_has_param(const struct isms_sql *sql, const char *name);

/* Checks a declaration against its SQL text: names are unique lower-case identifiers, the
 * text uses exactly $1..$nparams, each at least once (so binding every name exactly once
 * binds every $n exactly once), and a write (the text calls audit_append()) takes part in
 * idempotency keys (ISMS_SQL_IDEM). Errors: INTERNAL, naming the statement and the problem. */
ISMS_MUSTCHECK enum isms_code isms_sql_check(const struct isms_sql *sql, struct isms_status *st);

/* Every statement declared in the objects linked into this program; `*n` gets the count. */
const struct isms_sql *const *isms_sql_registered(size_t *n);

/* isms_sql_check() of every registered statement; stops at the first bad one. */
ISMS_MUSTCHECK enum isms_code isms_sql_check_all(struct isms_status *st);

#endif
