/* client/audit_pins.h — what ismsctl remembers of each server's audit trail:
 * $XDG_CONFIG_HOME/ismsctl/audit-pins (else ~/.config/ismsctl/audit-pins), one line per server
 * address as dialled:
 *
 *     127.0.0.1:7370 <public key, 64 hex> <head seq> <head hash, 64 hex>
 *
 * The key is pinned on the first verify; the head is the last one `audit verify` found intact.
 * A later chain that is shorter, forks from that head, or is signed by another key is refused.
 * The file is mode 0600 and replaced atomically (temporary file, fsync, rename). */
#ifndef ISMS_CLIENT_AUDIT_PINS_H
#define ISMS_CLIENT_AUDIT_PINS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/audit_chain.h"
#include "common/status.h"

#define ISMS_PINS_FILE_MAX (1024u * 1024)

struct isms_audit_pin {
    char key_hex[2 * ISMS_AUDIT_KEY_BYTES + 1];
    int64_t seq;
    char hash_hex[2 * ISMS_AUDIT_HASH_BYTES + 1];
};

/* Finds the pin of `server`: *found false when there is none (or no file). Errors:
 * INVALID_ARGUMENT (the file cannot be read or is malformed; the message names it). */
ISMS_MUSTCHECK enum isms_code isms_pin_load(const char *server, struct isms_audit_pin *pin,
                                            bool *found, struct isms_status *st);

/* Saves `pin` for `server`, replacing its earlier line. Errors: INVALID_ARGUMENT (the file or
 * directory cannot be written; the message names it). */
ISMS_MUSTCHECK enum isms_code isms_pin_store(const char *server, const struct isms_audit_pin *pin,
                                             struct isms_status *st);

#endif
