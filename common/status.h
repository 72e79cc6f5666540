/* common/status.h — gRPC status codes and the fixed-size status every fallible call fills.
 * Reporting an error never allocates: the message lives in the struct. */
#ifndef ISMS_COMMON_STATUS_H
#define ISMS_COMMON_STATUS_H

#include <stdarg.h>

#if defined(__GNUC__)
#define ISMS_MUSTCHECK    __attribute__((warn_unused_result))
#define ISMS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ISMS_MUSTCHECK
#define ISMS_PRINTF(f, a)
#endif

/* The numbers are gRPC's (grpc/doc/statuscodes.md); they go on the wire as-is. */
enum isms_code {
    ISMS_OK = 0,
    ISMS_CANCELLED = 1,
    ISMS_UNKNOWN = 2,
    ISMS_INVALID_ARGUMENT = 3,
    ISMS_DEADLINE_EXCEEDED = 4,
    ISMS_NOT_FOUND = 5,
    ISMS_ALREADY_EXISTS = 6,
    ISMS_PERMISSION_DENIED = 7,
    ISMS_RESOURCE_EXHAUSTED = 8,
    ISMS_FAILED_PRECONDITION = 9,
    ISMS_ABORTED = 10,
    ISMS_OUT_OF_RANGE = 11,
    ISMS_UNIMPLEMENTED = 12,
    ISMS_INTERNAL = 13,
    ISMS_UNAVAILABLE = 14,
    ISMS_DATA_LOSS = 15,
    ISMS_UNAUTHENTICATED = 16,
};

#define ISMS_STATUS_MSG_MAX 256

struct isms_status {
    enum isms_code code;
    char msg[ISMS_STATUS_MSG_MAX];
};

/* "NOT_FOUND" for ISMS_NOT_FOUND; "CODE_<n>" style text is never returned: unknown codes give
 * "UNKNOWN". The string is static. */
const char *isms_code_name(int code);

/* Sets `st` (if not NULL) to `code` and the formatted message, truncating it to fit, and
 * returns `code`, so a check and its error fit in one statement. */
enum isms_code isms_status_set(struct isms_status *st, enum isms_code code, const char *fmt, ...)
    ISMS_PRINTF(3, 4);
enum isms_code isms_status_vset(struct isms_status *st, enum isms_code code, const char *fmt,
                                va_list ap) ISMS_PRINTF(3, 0);

/* Clears `st` to OK with an empty message. */
void isms_status_clear(struct isms_status *st);

#endif
