/* domain/plan/asset.h — what the Asset handlers in asset*.c share: the SQL
 * fragments that read an asset row, the per-call operation state, and the helpers that turn
 * rows into AssetRecords. Internal to domain/plan/asset*.c; isms_asset_register() (domain.h)
 * is the only entry point from outside. */
#ifndef ISMS_DOMAIN_PLAN_ASSET_H
#define ISMS_DOMAIN_PLAN_ASSET_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "core/arena.h"
#include "domain/domain.h"
#include "domain/plan/asset_rules.h"
#include "isms/v1/asset.pb-c.h"

struct isms_bind;
struct isms_call;
struct isms_rows;
struct isms_status;

/* The dependencies of asset row `t` as "num<US>name" items separated by <RS>, ordered by name
 * (names never hold control characters): what it depends on, and what depends on it. */
#define ASSET_DEPS_OF(t)                                                                           \
    "(SELECT coalesce(string_agg(x.num || E'\\x1f' || x.name, E'\\x1e'"                            \
    "  ORDER BY lower(x.name)), '') FROM asset_dependency d"                                       \
    "  JOIN asset x ON x.num = d.depends_on_num WHERE d.asset_num = " t ".num)"
#define ASSET_REQUIRED_BY_OF(t)                                                                    \
    "(SELECT coalesce(string_agg(x.num || E'\\x1f' || x.name, E'\\x1e'"                            \
    "  ORDER BY lower(x.name)), '') FROM asset_dependency d"                                       \
    "  JOIN asset x ON x.num = d.asset_num WHERE d.depends_on_num = " t ".num)"

/* The record columns of asset row `t` (ASSET_NCOLS of them) with the two dependency lists
 * given as SQL expressions (a statement that changes dependencies computes them from its own
 * CTEs: its other parts see the rows as they were before it), then the two sort keys a page
 * token is made from. */
#define ASSET_COLS_WITH(t, deps, required_by)                                                      \
    t ".num, " t ".name, " t ".type, " t ".description, " t ".owner, " t ".custodian, " t          \
      ".location, " t ".classification, " t ".confidentiality, " t ".integrity, " t                \
      ".availability, array_to_string(" t ".tags, ','), " t                                        \
      ".status, " ISMS_SQL_TS(t ".created_at") ", " t ".created_by, " ISMS_SQL_TS(                 \
          t ".updated_at") ", " t ".updated_by, " t ".version, " deps ", " required_by ","         \
                           " lower(" t ".name), (extract(epoch FROM " t                            \
                           ".updated_at) * 1000000)::bigint"

/* The record columns of asset row `t` as stored. */
#define ASSET_COLS(t) ASSET_COLS_WITH(t, ASSET_DEPS_OF(t), ASSET_REQUIRED_BY_OF(t))
#define ASSET_NCOLS   22

/* SQL: the status of the account an asset owner `p` names: 'active', 'disabled', or '' when
 * there is none (account names are lower case; "Bob" names bob). An owner is an account (Annex
 * A 5.9); a custodian may be free text. */
#define OWNER_STATUS(p) "coalesce((SELECT status FROM app_user WHERE name = lower(" p ")), '')"
#define COL_SORT_NAME   20
#define COL_SORT_TIME   21

/* The audited fields of asset row `t`. */
#define ASSET_JSON(t)                                                                              \
    "jsonb_build_object('name', " t ".name, 'type', " t ".type, 'description', " t                 \
    ".description, 'owner', " t ".owner, 'custodian', " t ".custodian, 'location', " t             \
    ".location, 'classification', " t ".classification, 'confidentiality', " t                     \
    ".confidentiality, 'integrity', " t ".integrity, 'availability', " t                           \
    ".availability, 'tags', to_jsonb(" t ".tags), 'status', " t ".status)"

/* One asset named by an id number ($n, NULL when the client gave a name) or a name. */
#define ASSET_MATCH(t, nump, namep)                                                                \
    "((" nump "::bigint IS NOT NULL AND " t ".num = " nump "::bigint) OR (" nump                   \
    "::bigint IS NULL AND lower(" t ".name) = lower(" namep ")))"

/* The number of the asset a text reference (id "A-<n>" or name) names, or NULL. */
#define REF_NUM(ref)                                                                               \
    "(SELECT y.num FROM asset y WHERE y.num = CASE WHEN " ref " ~* '^a-[0-9]{1,18}$'"              \
    " THEN substr(" ref ", 3)::bigint END OR lower(y.name) = lower(" ref "))"

/* The names an asset depends on, as a JSON array, for audit records. */
#define DEP_NAMES_JSON(numexpr)                                                                    \
    "(SELECT coalesce(jsonb_agg(z.name ORDER BY lower(z.name)), '[]'::jsonb)"                      \
    " FROM asset_dependency dz JOIN asset z ON z.num = dz.depends_on_num"                          \
    " WHERE dz.asset_num = " numexpr ")"

/* One operation's state, in the call's arena. */
struct isms_asset_op {
    const void *in;
    struct isms_asset_input input;
    unsigned fields;
    struct isms_asset_limits lim;
    void (*after_limits)(struct isms_call *call);
    const char *ref;     /* the id or name the client gave */
    char num_buf[24];    /* ref as a number, when it is an id */
    const char *ref_num; /* num_buf or NULL */
    const char *ref2;    /* AddDependency / RemoveDependency: the other asset */
    char num2_buf[24];
    const char *ref2_num;
    int64_t expected_version;
    struct isms_asset_input *rows;
    size_t nrows;
};

/* Answers RESOURCE_EXHAUSTED: the call's memory ran out. */
void isms_asset_fail_oom(struct isms_call *call);

/* A zeroed operation in the call's arena, made the call's ctx; NULL (call answered) when out
 * of memory. `in` is the request. */
struct isms_asset_op *isms_asset_op_new(struct isms_call *call, const void *in);

/* Splits a copy of `s` at `sep` into an arena array (count in *n); "" gives no items. NULL
 * when out of memory. */
char **isms_asset_split(struct isms_arena *a, const char *s, char sep, size_t *n);

/* Answers the call with the AssetRecord at column `c0` of row 0 (asset.c). */
void isms_asset_finish_record(struct isms_call *call, const struct isms_rows *res, int c0);

/* Builds an AssetRecord from the ASSET_COLS at column `c0` of row `r`. Text cells are borrowed
 * from `res` (pack the record before the callback returns); arrays live in `a`. NULL when out
 * of memory. */
Isms__V1__AssetRecord *isms_asset_record_from_row(struct isms_arena *a, const struct isms_rows *res,
                                                  int r, int c0);

/* Reads the C/I/A scale and the classification levels into the call's operation (op->lim),
 * then runs `next`; a database error answers the call. */
void isms_asset_with_limits(struct isms_call *call, void (*next)(struct isms_call *call));

/* Points `d` at the fields of a create request (or one import row); borrows its strings. */
void isms_asset_input_from_create(struct isms_asset_input *d,
                                  const Isms__V1__CreateAssetRequest *in);

/* Checks reference `ref` (request field `field`) and keeps it in `op` with its number split
 * out: as op->ref/ref_num, or op->ref2/ref2_num when `second`. ISMS_INVALID_ARGUMENT (in *st)
 * for a malformed reference. */
enum isms_code isms_asset_take_ref(struct isms_asset_op *op, const char *field, const char *ref,
                                   int second, struct isms_status *st);

/* Binds a reference split by isms_asset_take_ref(): `num` (NULL for a name, bound as NULL) as
 * `num_param` and the reference text as `name_param`. */
void isms_asset_bind_ref(struct isms_bind *b, const char *num_param, const char *num,
                         const char *name_param, const char *ref);

/* The PostgreSQL text[] literal of `items`, in `a`; NULL when out of memory. */
char *isms_asset_pg_array(struct isms_arena *a, char *const *items, size_t n);

/* The List and Import handlers (asset_bulk.c). */
void isms_asset_list(struct isms_call *call, const ProtobufCMessage *msg);
void isms_asset_import(struct isms_call *call, const ProtobufCMessage *msg);

/* Writes (or with out == NULL only measures) checked rows as the JSON array the import
 * statements read (jsonb_to_recordset: rn from 1, name .. status, tags, deps); returns its
 * length with the final NUL (asset_bulk.c). */
size_t isms_asset_import_json(char *out, const struct isms_asset_input *rows, size_t n);

/* The chunked import: ImportBegin, ImportChunk, ImportCommit, ImportAbort (asset_import.c). */
void isms_asset_import_begin(struct isms_call *call, const ProtobufCMessage *msg);
void isms_asset_import_chunk(struct isms_call *call, const ProtobufCMessage *msg);
void isms_asset_import_commit(struct isms_call *call, const ProtobufCMessage *msg);
void isms_asset_import_abort(struct isms_call *call, const ProtobufCMessage *msg);

/* The AddDependency and RemoveDependency handlers (asset_deps.c). */
void isms_asset_add_dependency(struct isms_call *call, const ProtobufCMessage *msg);
void isms_asset_remove_dependency(struct isms_call *call, const ProtobufCMessage *msg);

/* The ListClassifications and SetClassifications handlers (asset_class.c). */
void isms_asset_list_classifications(struct isms_call *call, const ProtobufCMessage *msg);
void isms_asset_set_classifications(struct isms_call *call, const ProtobufCMessage *msg);

/* Refuses a write whose owner is no active account: NOT_FOUND when `status` is "" (no such
 * user), else FAILED_PRECONDITION. `prefix` ("" or "row 7: ") starts the message. */
void isms_asset_fail_owner(struct isms_call *call, const char *prefix, const char *owner,
                           const char *status);

#endif
