/* tests/lib/tl_internal.h — bookkeeping shared by the testlib files: what a test created, so
 * isms_test_finish() and isms_test_fini() can release it. Each Criterion test runs in its own
 * process, so plain static tables are per test. */
#ifndef ISMS_TESTS_TL_INTERNAL_H
#define ISMS_TESTS_TL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <libpq-fe.h>

/* Stops every registered ismsd; with `check` true, fails the test on an unclean exit. */
void isms_tl_servers_stop_all(bool check);

void isms_tl_db_forget(const char *name);
void isms_tl_dbs_drop_all(void);

void isms_tl_fd_register(int fd);
void isms_tl_fd_forget(int fd);
void isms_tl_fds_close_all(void);

void isms_tl_pg_register(PGconn *c);
void isms_tl_pg_forget(PGconn *c);
void isms_tl_pgs_close_all(void);

void isms_tl_cluster_register(const char *dir);
void isms_tl_clusters_destroy_all(void);

/* Removes the test's temp dirs; after a failure (`failed`) keeps them and says where. */
void isms_tl_tmpdirs_remove_all(bool failed);

/* isms_test_run without failing the test: returns false (and kills the child) on timeout. */
struct isms_test_proc;
bool isms_tl_run(struct isms_test_proc *p, const char *const *argv, const char *const *env_extra,
                 const char *input, int timeout_ms);

/* Removes a directory tree (best effort). */
void isms_tl_rmtree(const char *path);

/* Fills `buf` with `n` random bytes from /dev/urandom. */
void isms_tl_random(void *buf, size_t n);

#endif
