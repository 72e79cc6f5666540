/* tests/lib/tl_util.c — suite init/fini, environment, clocks, temp dirs and the registries of
 * what a test created. Each Criterion test is its own process: the tables are per test. */
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "tl_internal.h"

#define MAX_ITEMS 64

static char tmpdirs[MAX_ITEMS][256];
static size_t n_tmpdirs;
static char clusters[MAX_ITEMS][256];
static size_t n_clusters;

const char *isms_test_require_env(const char *name, const char *why)
{
    const char *v = getenv(name);

    if (v == NULL || v[0] == '\0')
        cr_assert_fail("environment variable %s is not set: %s", name, why);
    return v;
}

void isms_test_init(void)
{
    /* Integration tests need a database: fail (not skip) so a missing setup is seen. */
    isms_test_require_env("ISMS_TEST_CONNINFO",
                          "integration tests need a PostgreSQL superuser conninfo; run them "
                          "through tests/run, which starts a throwaway cluster and exports it");
}

void isms_test_finish(void)
{
    isms_tl_fds_close_all();
    isms_tl_pgs_close_all();
    isms_tl_servers_stop_all(true);
    isms_tl_dbs_drop_all();
    isms_tl_clusters_destroy_all();
    isms_tl_tmpdirs_remove_all(false);
}

void isms_test_fini(void)
{
    /* After a failure: release everything without asserting (failures here are ignored). */
    isms_tl_fds_close_all();
    isms_tl_pgs_close_all();
    isms_tl_servers_stop_all(false);
    isms_tl_dbs_drop_all();
    isms_tl_clusters_destroy_all();
    /* Anything left means the test stopped early: keep its logs for a look. */
    isms_tl_tmpdirs_remove_all(true);
}

int64_t isms_test_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *isms_test_wrapper(void)
{
    const char *w = getenv("ISMS_TEST_WRAPPER");

    return w != NULL && w[0] != '\0' ? w : NULL;
}

int isms_test_slowdown(void)
{
    return isms_test_wrapper() != NULL ? 5 : 1;
}

void isms_test_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void isms_tl_random(void *buf, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    size_t got = 0;

    cr_assert(fd >= 0, "could not open /dev/urandom: %s", strerror(errno));
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);

        if (r < 0 && errno == EINTR)
            continue;
        cr_assert(r > 0, "could not read /dev/urandom");
        got += (size_t)r;
    }
    close(fd);
}

void isms_test_tmpdir(char *out, size_t outlen)
{
    char tmpl[] = "/tmp/isms-t.XXXXXX";

    cr_assert(mkdtemp(tmpl) != NULL, "mkdtemp: %s", strerror(errno));
    /* PostgreSQL (user postgres, when we are root) must be able to reach files inside. */
    chmod(tmpl, 0755);
    cr_assert(strlen(tmpl) < outlen && n_tmpdirs < MAX_ITEMS, "temp dir table full");
    snprintf(out, outlen, "%s", tmpl);
    snprintf(tmpdirs[n_tmpdirs++], sizeof(tmpdirs[0]), "%s", tmpl);
}

void isms_tl_tmpdirs_remove_all(bool failed)
{
    const char *keep = getenv("ISMS_TEST_KEEP");

    for (size_t i = 0; i < n_tmpdirs; i++) {
        if (failed)
            cr_log_warn("test failed: kept %s (ismsd logs)", tmpdirs[i]);
        else if (keep != NULL && keep[0] != '\0')
            cr_log_info("kept %s (ISMS_TEST_KEEP)", tmpdirs[i]);
        else
            isms_tl_rmtree(tmpdirs[i]);
    }
    n_tmpdirs = 0;
}

void isms_tl_rmtree(const char *path)
{
    struct stat sb;
    DIR *d;
    struct dirent *e;

    if (lstat(path, &sb) != 0)
        return;
    if (!S_ISDIR(sb.st_mode)) {
        unlink(path);
        return;
    }
    d = opendir(path);
    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            char child[1024];

            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (snprintf(child, sizeof(child), "%s/%s", path, e->d_name) >= (int)sizeof(child))
                continue;
            isms_tl_rmtree(child);
        }
        closedir(d);
    }
    rmdir(path);
}

char *isms_test_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;

    if (f == NULL)
        return NULL;
    for (;;) {
        size_t r;

        if (cap - len < 4096) {
            char *nb = realloc(buf, cap + 65536);

            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap += 65536;
        }
        r = fread(buf + len, 1, cap - len - 1, f);
        len += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

void isms_tl_cluster_register(const char *dir)
{
    cr_assert(n_clusters < MAX_ITEMS, "cluster table full");
    snprintf(clusters[n_clusters++], sizeof(clusters[0]), "%s", dir);
}

void isms_tl_clusters_destroy_all(void)
{
    for (size_t i = 0; i < n_clusters; i++) {
        const char *argv[] = {isms_test_pgcluster_path(), "destroy", clusters[i], NULL};
        struct isms_test_proc p;

        if (!isms_tl_run(&p, argv, NULL, NULL, 120000))
            cr_log_warn("pgcluster destroy %s timed out", clusters[i]);
        else if (p.exit_code != 0)
            cr_log_warn("pgcluster destroy %s exited %d: %s", clusters[i], p.exit_code, p.err);
        isms_test_proc_cleanup(&p);
    }
    n_clusters = 0;
}

#if defined(__SANITIZE_ADDRESS__)
/* The test processes themselves skip leak checks: a failed assertion leaves the test body
 * without freeing, and those reports would bury the real failure. The ismsd under test is a
 * separate binary and keeps LeakSanitizer (this hook is compiled into the tests only). */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

void isms_test_csv_parse(struct isms_test_csv *c, const char *s, bool require_crlf)
{
    memset(c, 0, sizeof(*c));
    while (*s != '\0') {
        size_t row = c->nrows++;

        cr_assert_lt(row, ISMS_TEST_CSV_ROWS, "CSV has too many rows");
        for (;;) {
            char *cell = malloc(strlen(s) + 1);
            size_t n = 0;

            cr_assert_not_null(cell);
            if (*s == '"') {
                for (s++;;) {
                    cr_assert_neq(*s, '\0', "unterminated quoted CSV cell");
                    if (s[0] == '"' && s[1] == '"') {
                        cell[n++] = '"';
                        s += 2;
                    } else if (*s == '"') {
                        s++;
                        break;
                    } else {
                        cell[n++] = *s++;
                    }
                }
            } else {
                while (*s != '\0' && *s != ',' && *s != '\r' && *s != '\n') {
                    cr_assert_neq(*s, '"', "bare quote in an unquoted CSV cell");
                    cell[n++] = *s++;
                }
            }
            cell[n] = '\0';
            cr_assert_lt(c->ncells[row], ISMS_TEST_CSV_CELLS, "too many CSV cells");
            c->cells[row][c->ncells[row]++] = cell;
            if (*s == ',') {
                s++;
                continue;
            }
            if (require_crlf) {
                cr_assert(s[0] == '\r' && s[1] == '\n', "record %zu does not end in CRLF", row);
                s += 2;
                break;
            }
            if (*s == '\r')
                s++;
            if (*s == '\n')
                s++;
            break;
        }
    }
}

void isms_test_csv_free(struct isms_test_csv *c)
{
    for (size_t r = 0; r < c->nrows; r++)
        for (size_t k = 0; k < c->ncells[r]; k++)
            free(c->cells[r][k]);
}
