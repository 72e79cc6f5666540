/* common/status.c — gRPC status code names and status formatting.
 * Pure: shared by ismsd and ismsctl through isms_wire. */
#include "common/status.h"

#include <stdio.h>

static const char *const code_names[] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

const char *isms_code_name(int code)
{
    if (code < 0 || code >= (int)(sizeof(code_names) / sizeof(code_names[0])))
        return "UNKNOWN";
    return code_names[code];
}

enum isms_code isms_status_vset(struct isms_status *st, enum isms_code code, const char *fmt,
                                va_list ap)
{
    if (st == NULL)
        return code;
    st->code = code;
    if (vsnprintf(st->msg, sizeof(st->msg), fmt, ap) < 0)
        st->msg[0] = '\0';
    return code;
}

enum isms_code isms_status_set(struct isms_status *st, enum isms_code code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    isms_status_vset(st, code, fmt, ap);
    va_end(ap);
    return code;
}

void isms_status_clear(struct isms_status *st)
{
    st->code = ISMS_OK;
    st->msg[0] = '\0';
}
