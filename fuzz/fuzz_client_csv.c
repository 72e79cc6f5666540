/* fuzz/fuzz_client_csv.c — libFuzzer target for the asset CSV reader (client/asset_io.c). Any
 * input must be read or refused with INVALID_ARGUMENT / RESOURCE_EXHAUSTED and a message; an
 * accepted file must survive export as CSV and a second read unchanged (RFC 4180 quoting, the
 * '\;' and '\\' escapes in list cells, edge spaces). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asset_io.h"
#include "fuzz_client_rows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct isms_asset_file f = {0}, g = {0};
    struct isms_status st = {0};
    enum isms_code code;
    char *out = NULL;
    size_t len = 0;

    code = isms_asset_file_parse((const char *)data, size, ISMS_ASSET_FORMAT_CSV, &f, &st);
    if (code != ISMS_OK) {
        if ((code != ISMS_INVALID_ARGUMENT && code != ISMS_RESOURCE_EXHAUSTED) || st.msg[0] == '\0')
            abort();
        isms_asset_file_free(&f);
        return 0;
    }
    isms_fuzz_rows_write(&f, ISMS_ASSET_FORMAT_CSV, &out, &len);
    if (isms_asset_file_parse(out, len, ISMS_ASSET_FORMAT_CSV, &g, &st) != ISMS_OK) {
        fprintf(stderr, "an export does not read back: %s\n%s\n", st.msg, out);
        abort();
    }
    isms_fuzz_rows_same(&f, &g);
    isms_asset_file_free(&f);
    isms_asset_file_free(&g);
    free(out);
    return 0;
}
