/* tests/lib/tl_tls.c — test certificates made with the openssl command-line tool (found on
 * PATH, run without a shell): a private CA and server certificates it signs for localhost and
 * 127.0.0.1, each with a chosen serial so a test can tell which one a server presents. */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

/* Extensions for both kinds of certificate; -subj gives the name, so [dn] stays empty. */
static const char cnf_text[] = "[req]\n"
                               "distinguished_name = dn\n"
                               "prompt = no\n"
                               "[dn]\n"
                               "CN = isms-test\n"
                               "[ca_ext]\n"
                               "basicConstraints = critical,CA:TRUE\n"
                               "keyUsage = critical,keyCertSign,cRLSign\n"
                               "subjectKeyIdentifier = hash\n"
                               "[srv_ext]\n"
                               "basicConstraints = critical,CA:FALSE\n"
                               "keyUsage = critical,digitalSignature,keyEncipherment\n"
                               "extendedKeyUsage = serverAuth\n"
                               "subjectAltName = DNS:localhost,IP:127.0.0.1\n";

/* Writes the config once per directory; returns its path in `out`. */
static void write_cnf(const char *dir, char *out, size_t len)
{
    FILE *f;

    snprintf(out, len, "%s/isms-test-openssl.cnf", dir);
    f = fopen(out, "w");
    cr_assert(f != NULL, "could not write %s", out);
    fputs(cnf_text, f);
    cr_assert(fclose(f) == 0, "could not write %s", out);
}

/* Runs `openssl args...`; fails the test with its output unless it exits 0. */
static void run_openssl(const char *const *args)
{
    const char *bin = isms_test_find_program("openssl");
    const char *argv[40];
    struct isms_test_proc p;
    size_t n = 0;
    char cmd[1024] = "";
    size_t o = 0;

    cr_assert(bin != NULL, "the openssl command is not on PATH");
    argv[n++] = bin;
    for (size_t i = 0; args[i] != NULL; i++) {
        cr_assert(n < 39, "too many openssl arguments");
        argv[n++] = args[i];
        if (o < sizeof(cmd))
            o += (size_t)snprintf(cmd + o, sizeof(cmd) - o, " %s", args[i]);
    }
    argv[n] = NULL;
    isms_test_run(&p, argv, NULL, 60000);
    cr_assert(p.exit_code == 0, "openssl%s exited %d\nstdout:\n%s\nstderr:\n%s", cmd, p.exit_code,
              p.out, p.err);
    isms_test_proc_cleanup(&p);
}

void isms_test_tls_ca(const char *dir, const char *name)
{
    char cnf[512], key[512], crt[512], subj[128];

    write_cnf(dir, cnf, sizeof(cnf));
    snprintf(key, sizeof(key), "%s/%s.key", dir, name);
    snprintf(crt, sizeof(crt), "%s/%s.crt", dir, name);
    snprintf(subj, sizeof(subj), "/CN=%s test CA", name);
    run_openssl((const char *const[]){
        "req",    "-x509",   "-config", cnf,        "-extensions",
        "ca_ext", "-newkey", "ec",      "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", key,       "-out",     crt,
        "-days",  "30",      "-subj",   subj,       "-set_serial",
        "1",      NULL});
}

void isms_test_tls_cert(const char *dir, const char *ca, const char *name, const char *serial)
{
    char cnf[512], key[512], csr[512], crt[512], ca_crt[512], ca_key[512];

    write_cnf(dir, cnf, sizeof(cnf));
    snprintf(key, sizeof(key), "%s/%s.key", dir, name);
    snprintf(csr, sizeof(csr), "%s/%s.csr", dir, name);
    snprintf(crt, sizeof(crt), "%s/%s.crt", dir, name);
    snprintf(ca_crt, sizeof(ca_crt), "%s/%s.crt", dir, ca);
    snprintf(ca_key, sizeof(ca_key), "%s/%s.key", dir, ca);
    run_openssl((const char *const[]){"req", "-new", "-config", cnf, "-newkey", "ec", "-pkeyopt",
                                      "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                                      "-out", csr, "-subj", "/CN=localhost", NULL});
    run_openssl((const char *const[]){"x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
                                      "-set_serial", serial, "-days", "30", "-extfile", cnf,
                                      "-extensions", "srv_ext", "-out", crt, NULL});
}
