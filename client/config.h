/* client/config.h — where ismsctl finds its server: --server, then $ISMS_SERVER, then
 * "server = HOST:PORT" in $XDG_CONFIG_HOME/ismsctl/config (~/.config/ismsctl/config), then
 * 127.0.0.1:7370. Pure apart from reading that one file. */
#ifndef ISMS_CLIENT_CONFIG_H
#define ISMS_CLIENT_CONFIG_H

#include <stddef.h>

#include "core/status.h"

/*
 * Picks the server address: `flag` if not NULL, else the environment, else the config file,
 * else the default, and copies it to out[0..out_size). A config file that cannot be read
 * (other than not existing) or has a bad line gives ISMS_INVALID_ARGUMENT naming file and line.
 */
ISMS_MUSTCHECK enum isms_code isms_config_server(const char *flag, char *out, size_t out_size,
                                                 struct isms_status *st);

/*
 * Splits "HOST:PORT" or "[IPv6]:PORT" into host and port (1-65535). Returns
 * ISMS_INVALID_ARGUMENT with a message if `addr` is malformed or does not fit.
 */
ISMS_MUSTCHECK enum isms_code isms_config_split_addr(const char *addr, char *host, size_t host_size,
                                                     char *port, size_t port_size,
                                                     struct isms_status *st);

#endif
