/* domain/plan/risk_cia_rules.c — pure: the C/I/A letters a risk affects, normalised. */
#include "domain/plan/risk_cia_rules.h"

#include <stdbool.h>
#include <string.h>

enum isms_code isms_risk_cia_parse(const char *in, char out[4], struct isms_status *st)
{
    bool has[3] = {false, false, false};
    static const char letters[] = "CIA";
    size_t n = 0;

    out[0] = '\0';
    if (in == NULL || strlen(in) > 16)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "affects must be letters of C, I, A (e.g. \"CI\")");
    for (const char *p = in; *p != '\0'; p++) {
        char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        const char *at = strchr(letters, c);

        if (*p == ' ' || *p == ',')
            continue;
        if (c == '\0' || at == NULL)
            return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                                   "affects must be letters of C, I, A (e.g. \"CI\"), got \"%s\"",
                                   in);
        if (has[at - letters])
            return isms_status_set(st, ISMS_INVALID_ARGUMENT, "affects names %c twice in \"%s\"", c,
                                   in);
        has[at - letters] = true;
    }
    for (size_t k = 0; k < 3; k++)
        if (has[k])
            out[n++] = letters[k];
    out[n] = '\0';
    if (n == 0)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "affects needs at least one of C, I, A (e.g. \"CI\")");
    return ISMS_OK;
}
