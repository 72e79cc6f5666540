/* client/credentials.h — the saved login tokens: $XDG_CONFIG_HOME/ismsctl/credentials (else
 * ~/.config/ismsctl/credentials), one section per server address:
 *
 *     [127.0.0.1:7370]
 *     user = alice
 *     expires_at = 2026-11-26T02:40:35Z
 *     token = <opaque>
 *
 * The file is mode 0600 in directories created 0700, and is replaced atomically (temporary
 * file, fsync, rename). A file others may read is refused. */
#ifndef ISMS_CLIENT_CREDENTIALS_H
#define ISMS_CLIENT_CREDENTIALS_H

#include <stddef.h>

#include "common/status.h"

/* The largest credentials file read (it holds a few lines per server). */
#define ISMS_CRED_FILE_MAX (256u * 1024)

/* Room for a key made by isms_cred_key(). */
#define ISMS_CRED_KEY_MAX 300

/*
 * The section name a server's token is saved under: `server` ("HOST:PORT", "[v6]:PORT") with
 * the host in lower case without a final dot, IP literals in their canonical form, the port as
 * a plain number, and the loopback names (localhost, 127.0.0.1, ::1) all as 127.0.0.1, so a
 * login to "localhost:7370" is found for "127.0.0.1:7370". An address that does not parse is
 * its own key. Pure; `out` gets at most size - 1 bytes and a NUL.
 */
void isms_cred_key(const char *server, char *out, size_t size);

/*
 * Finds the token saved for `server` (any spelling with the same isms_cred_key()). On ISMS_OK
 * *token is a heap string (wipe and free it) or NULL when none is saved. Errors: INVALID_ARGUMENT
 * (the file cannot be read, is malformed, or is readable by others; the message names it).
 */
ISMS_MUSTCHECK enum isms_code isms_cred_load(const char *server, char **token,
                                             struct isms_status *st);

/*
 * Saves `token` for `server`, replacing any earlier one; `user` and `expires_at` are kept
 * beside it for people reading the file. With `token` NULL, removes the server's section
 * instead (and succeeds if there was none). Errors: INVALID_ARGUMENT (the file or directory
 * cannot be read or written; the message names it).
 */
ISMS_MUSTCHECK enum isms_code isms_cred_store(const char *server, const char *token,
                                              const char *user, const char *expires_at,
                                              struct isms_status *st);

#endif
