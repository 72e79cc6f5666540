/* bench/login.h — the few unary calls ismsbench makes outside the measured runs: log in, find
 * out whom a token belongs to, log out. Blocking, one connection per call: none of this is
 * timed. */
#ifndef ISMS_BENCH_LOGIN_H
#define ISMS_BENCH_LOGIN_H

#include <stddef.h>

#define ISMS_BENCH_TOKEN_MAX 256
#define ISMS_BENCH_USER_MAX  80

/* Logs `user` in with `password` (Auth/Login). On success copies the session token and the
 * user name into `token` / `name` and returns 0; otherwise -1 with `err` saying why. */
int isms_bench_login(const char *host, const char *port, const char *user, const char *password,
                     char token[ISMS_BENCH_TOKEN_MAX], char name[ISMS_BENCH_USER_MAX], char *err,
                     size_t errlen);

/* Asks whom `token` belongs to (Auth/WhoAmI); returns 0 with `name` set, or -1 with `err`. */
int isms_bench_whoami(const char *host, const char *port, const char *token,
                      char name[ISMS_BENCH_USER_MAX], char *err, size_t errlen);

/* Revokes the session `token` (Auth/Logout); returns 0, or -1 with `err`. */
int isms_bench_logout(const char *host, const char *port, const char *token, char *err,
                      size_t errlen);

#endif
