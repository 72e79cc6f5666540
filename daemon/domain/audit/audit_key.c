/* domain/audit/audit_key.c — load or create the audit signing key (libsodium crypto_sign).
 * The seed is read into a stack buffer that is wiped on every path out. */
#include "domain/audit/audit_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define KEY_TAG       "isms-audit-key/1 "
#define KEY_TAG_LEN   (sizeof(KEY_TAG) - 1)
#define KEY_LINE_LEN  (KEY_TAG_LEN + 64 + 1) /* tag, hex seed, '\n' */
#define KEY_FILE_MODE 0600

static enum isms_code from_seed(struct isms_audit_key *k, const uint8_t seed[32],
                                struct isms_status *st)
{
    if (crypto_sign_seed_keypair(k->pk, k->sk, seed) != 0)
        return isms_status_set(st, ISMS_INTERNAL, "could not derive the audit key");
    isms_hex_encode(k->pk, ISMS_AUDIT_KEY_BYTES, k->pk_hex);
    if (!isms_audit_key_id(k->pk, k->key_id))
        return isms_status_set(st, ISMS_INTERNAL, "could not compute the audit key id");
    k->is_loaded = 1;
    return ISMS_OK;
}

static enum isms_code create_key(const char *path, struct isms_audit_key *k, struct isms_status *st)
{
    uint8_t seed[32];
    char line[KEY_LINE_LEN + 1];
    enum isms_code code = ISMS_OK;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, KEY_FILE_MODE);

    if (fd < 0)
        return isms_status_set(st, ISMS_UNAVAILABLE, "could not create audit key file \"%s\": %s",
                               path, strerror(errno));
    randombytes_buf(seed, sizeof(seed));
    memcpy(line, KEY_TAG, KEY_TAG_LEN);
    isms_hex_encode(seed, sizeof(seed), line + KEY_TAG_LEN);
    line[KEY_LINE_LEN - 1] = '\n';
    line[KEY_LINE_LEN] = '\0';
    /* The umask may have narrowed the mode; never widened it. */
    if (fchmod(fd, KEY_FILE_MODE) != 0 || write(fd, line, KEY_LINE_LEN) != (ssize_t)KEY_LINE_LEN ||
        fsync(fd) != 0) {
        code = isms_status_set(st, ISMS_UNAVAILABLE, "could not write audit key file \"%s\": %s",
                               path, strerror(errno));
        unlink(path);
    }
    close(fd);
    if (code == ISMS_OK)
        code = from_seed(k, seed, st);
    sodium_memzero(seed, sizeof(seed));
    sodium_memzero(line, sizeof(line));
    return code;
}

enum isms_code isms_audit_key_load(const char *path, struct isms_audit_key *k, int *created,
                                   struct isms_status *st)
{
    char line[KEY_LINE_LEN + 2];
    uint8_t seed[32];
    struct stat sb;
    enum isms_code code;
    ssize_t n;
    int fd;

    memset(k, 0, sizeof(*k));
    *created = 0;
    if (path[0] == '\0')
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "audit_key is empty: name the file that holds the audit key");
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        *created = 1;
        return create_key(path, k, st);
    }
    if (fd < 0)
        return isms_status_set(st, ISMS_UNAVAILABLE, "could not open audit key file \"%s\": %s",
                               path, strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "audit key file \"%s\" is not a regular file", path);
    }
    if ((sb.st_mode & 077) != 0) {
        close(fd);
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "audit key file \"%s\" has mode %04o: others may read it; "
                               "chmod 0600 it",
                               path, (unsigned)(sb.st_mode & 07777));
    }
    n = read(fd, line, sizeof(line));
    close(fd);
    code = ISMS_OK;
    if (n != (ssize_t)KEY_LINE_LEN || memcmp(line, KEY_TAG, KEY_TAG_LEN) != 0 ||
        line[KEY_LINE_LEN - 1] != '\n') {
        code = isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "audit key file \"%s\" is not one line \"%s<64 hex digits>\"", path,
                               KEY_TAG);
    } else {
        line[KEY_LINE_LEN - 1] = '\0';
        if (!isms_hex_decode(line + KEY_TAG_LEN, seed, sizeof(seed)))
            code = isms_status_set(st, ISMS_FAILED_PRECONDITION,
                                   "audit key file \"%s\" is not one line \"%s<64 hex digits>\"",
                                   path, KEY_TAG);
        else
            code = from_seed(k, seed, st);
    }
    sodium_memzero(seed, sizeof(seed));
    sodium_memzero(line, sizeof(line));
    return code;
}

void isms_audit_key_sign(const struct isms_audit_key *k, struct isms_audit_checkpoint *cp)
{
    char msg[ISMS_AUDIT_CP_MSG_MAX];
    size_t len = isms_audit_checkpoint_message(cp, msg);

    memcpy(cp->key_id, k->key_id, sizeof(cp->key_id));
    crypto_sign_detached(cp->signature, NULL, (const unsigned char *)msg, len, k->sk);
}

void isms_audit_key_cleanup(struct isms_audit_key *k)
{
    sodium_memzero(k, sizeof(*k));
}
