/* client/secret.h — reading passwords: from the terminal without echo (/dev/tty, so stdin and
 * stdout may be redirected), or one line at a time from stdin for --password-stdin. Buffers
 * holding a secret are wiped with isms_secret_wipe() before they are released. */
#ifndef ISMS_CLIENT_SECRET_H
#define ISMS_CLIENT_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "common/status.h"

/* The server takes passwords of at most 1024 bytes; a buffer holds that and the terminator. */
#define ISMS_SECRET_MAX 1024
#define ISMS_SECRET_BUF (ISMS_SECRET_MAX + 1)

struct isms_cli;

/*
 * Reads one password into out[0..ISMS_SECRET_BUF): with `from_stdin`, the next line of stdin
 * (without its line end); otherwise from the terminal after printing `prompt` there, with echo
 * off (restored even on SIGINT or SIGTERM). Usage errors: no terminal and no --password-stdin,
 * stdin ended, a line longer than ISMS_SECRET_MAX bytes or holding NUL, an empty password.
 */
ISMS_MUSTCHECK enum isms_code isms_secret_read(struct isms_cli *cli, bool from_stdin,
                                               const char *prompt, char *out,
                                               struct isms_status *st);

/*
 * Reads a new password: from stdin, the next line; from the terminal, asked twice ("New
 * password: ", "New password again: ") and compared (a mismatch is a usage error).
 */
ISMS_MUSTCHECK enum isms_code isms_secret_read_new(struct isms_cli *cli, bool from_stdin, char *out,
                                                   struct isms_status *st);

/* Overwrites `n` bytes at `p` so the compiler cannot skip it. */
void isms_secret_wipe(void *p, size_t n);

#endif
