/* client/config.h — how ismsctl reaches its server: address, TLS or plaintext, CA file.
 * Each setting comes from its flag, else its environment variable, else the config file
 * ($XDG_CONFIG_HOME/ismsctl/config, ~/.config/ismsctl/config), else the default. Pure apart
 * from reading that one file. */
#ifndef ISMS_CLIENT_CONFIG_H
#define ISMS_CLIENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/status.h"

#define ISMS_CONFIG_PATH_MAX 4096

/* The settings actually used. */
struct isms_client_conf {
    char server[256];                   /* HOST:PORT */
    char ca_file[ISMS_CONFIG_PATH_MAX]; /* "" = the system's default trust store */
    bool is_plaintext;                  /* no TLS (loopback test servers only) */
};

/* Command-line values; NULL / false when the flag was not given. */
struct isms_client_flags {
    const char *server;
    const char *ca_file;
    bool is_plaintext;
};

/*
 * Resolves every setting: flag, then ISMS_SERVER / ISMS_CA / ISMS_PLAINTEXT, then the config
 * file (keys server, ca, plaintext), then the defaults (127.0.0.1:7370, system CA store, TLS).
 * A config file that cannot be read (other than not existing), has a bad line, or a bad
 * ISMS_PLAINTEXT gives ISMS_INVALID_ARGUMENT naming the source.
 */
ISMS_MUSTCHECK enum isms_code isms_config_resolve(const struct isms_client_flags *flags,
                                                  struct isms_client_conf *out,
                                                  struct isms_status *st);

/* Writes ismsctl's configuration directory ($XDG_CONFIG_HOME/ismsctl or $HOME/.config/ismsctl)
 * to out. Returns ISMS_INVALID_ARGUMENT when neither variable is usable or the path is too
 * long. */
ISMS_MUSTCHECK enum isms_code isms_config_dir(char *out, size_t out_size, struct isms_status *st);

/*
 * Splits "HOST:PORT" or "[IPv6]:PORT" into host and port (1-65535). Returns
 * ISMS_INVALID_ARGUMENT with a message if `addr` is malformed or does not fit.
 */
ISMS_MUSTCHECK enum isms_code isms_config_split_addr(const char *addr, char *host, size_t host_size,
                                                     char *port, size_t port_size,
                                                     struct isms_status *st);

#endif
