/* client/output_internal.h — what output.c and output_json.c share: the JSON renderer that
 * isms_out_render() calls. Internal to client/output*.c. */
#ifndef ISMS_CLIENT_OUTPUT_INTERNAL_H
#define ISMS_CLIENT_OUTPUT_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "output.h"

/* Writes every table of `o` to `fp` as one JSON document. False when a value could not be built
 * (out of memory). */
bool isms_out_render_json(const struct isms_out *o, FILE *fp);

#endif
