/* domain/domain.c — helpers shared by every domain area. */
#include "domain/domain.h"

#include <stddef.h>

const char *isms_call_actor(const struct isms_call *call)
{
    (void)call;
    return "anonymous";
}
