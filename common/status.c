/* common/status.c — gRPC status code names and status formatting.
 * Pure: shared by ismsd and ismsctl through isms_wire. */
#include "common/status.h"

#include <stdio.h>
#include <string.h>

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

/* A message cut at the buffer's end may end inside a UTF-8 character: drop that part. */
static void cut_at_char(char *msg)
{
    size_t n = strlen(msg), lead = n;

    while (lead > 0 && n - lead < 4 && ((unsigned char)msg[lead - 1] & 0xc0) == 0x80)
        lead--;
    if (lead > 0 && (unsigned char)msg[lead - 1] >= 0xc0) {
        unsigned char c = (unsigned char)msg[lead - 1];
        size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

        if (n - (lead - 1) < need)
            msg[lead - 1] = '\0';
    }
}

enum isms_code isms_status_vset(struct isms_status *st, enum isms_code code, const char *fmt,
                                va_list ap)
{
    int n;

    if (st == NULL)
        return code;
    st->code = code;
    n = vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
    if (n < 0)
        st->msg[0] = '\0';
    else if ((size_t)n >= sizeof(st->msg))
        cut_at_char(st->msg);
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
