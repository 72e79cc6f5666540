/* auth/password.c — argon2id via libsodium, on the threadpool. The worker touches only its own
 * request; secrets are wiped before the request is freed. */
#include "auth/password.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/text.h"

struct pw_work {
    uv_work_t req;
    int is_verify;
    char password[ISMS_PASSWORD_MAX + 1];
    char hash[ISMS_PASSWORD_HASH_MAX];
    int ok;
    int is_dummy;
    isms_password_cb *cb;
    void *arg;
};

static char dummy_hash[crypto_pwhash_STRBYTES];

enum isms_code isms_password_init(struct isms_status *st)
{
    if (sodium_init() < 0)
        return isms_status_set(st, ISMS_INTERNAL, "libsodium could not be initialised");
    /* A real hash of a random password: verifying against it costs what a real check costs. */
    if (dummy_hash[0] == '\0') {
        char pw[21];

        isms_password_generate(pw);
        if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
            return isms_status_set(st, ISMS_INTERNAL, "could not prepare password hashing");
        sodium_memzero(pw, sizeof(pw));
    }
    return ISMS_OK;
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    if (n == 0)
        return 0;
    for (; *hay != '\0'; hay++) {
        size_t i = 0;

        while (i < n && hay[i] != '\0' &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

enum isms_code isms_password_check(const char *user, const char *password, struct isms_status *st)
{
    size_t n = password != NULL ? strlen(password) : 0;

    if (n > ISMS_PASSWORD_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "password is too long (at most %d bytes)",
                               ISMS_PASSWORD_MAX);
    if (!isms_utf8_valid(password != NULL ? password : "", n))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "password is not valid UTF-8");
    if (isms_utf8_len(password != NULL ? password : "") < ISMS_PASSWORD_MIN)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "password is too short (at least %d characters)", ISMS_PASSWORD_MIN);
    if (user != NULL && strlen(user) >= 3 && contains_ci(password, user))
        return isms_status_set(st, ISMS_INVALID_ARGUMENT,
                               "password must not contain the user name");
    return ISMS_OK;
}

void isms_password_generate(char *out)
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    for (int i = 0; i < 20; i++)
        out[i] = alphabet[randombytes_uniform((uint32_t)(sizeof(alphabet) - 1))];
    out[20] = '\0';
}

enum isms_code isms_password_hash_now(const char *password, char *out, struct isms_status *st)
{
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory hashing a password");
    return ISMS_OK;
}

static void work_run(uv_work_t *req)
{
    struct pw_work *w = req->data;

    if (w->is_verify) {
        const char *h = w->is_dummy ? dummy_hash : w->hash;
        int ok = crypto_pwhash_str_verify(h, w->password, strlen(w->password)) == 0;

        w->ok = ok && !w->is_dummy;
    } else {
        w->ok = crypto_pwhash_str(w->hash, w->password, strlen(w->password),
                                  crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                  crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
    }
}

static void work_done(uv_work_t *req, int status)
{
    struct pw_work *w = req->data;

    sodium_memzero(w->password, sizeof(w->password));
    w->cb(w->arg, status == 0 && w->ok, w->is_verify ? NULL : w->hash);
    sodium_memzero(w->hash, sizeof(w->hash));
    free(w);
}

static enum isms_code submit(uv_loop_t *loop, int is_verify, const char *password, const char *hash,
                             isms_password_cb *cb, void *arg, struct isms_status *st)
{
    struct pw_work *w;
    size_t n = strlen(password);

    if (n > ISMS_PASSWORD_MAX)
        return isms_status_set(st, ISMS_INVALID_ARGUMENT, "password is too long");
    w = calloc(1, sizeof(*w));
    if (w == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    w->is_verify = is_verify;
    memcpy(w->password, password, n + 1);
    if (is_verify) {
        if (hash == NULL || hash[0] == '\0' || strlen(hash) >= sizeof(w->hash))
            w->is_dummy = 1;
        else
            memcpy(w->hash, hash, strlen(hash) + 1);
    }
    w->cb = cb;
    w->arg = arg;
    w->req.data = w;
    if (uv_queue_work(loop, &w->req, work_run, work_done) != 0) {
        sodium_memzero(w, sizeof(*w));
        free(w);
        return isms_status_set(st, ISMS_INTERNAL, "could not queue password work");
    }
    return ISMS_OK;
}

enum isms_code isms_password_hash(uv_loop_t *loop, const char *password, isms_password_cb *cb,
                                  void *arg, struct isms_status *st)
{
    return submit(loop, 0, password, NULL, cb, arg, st);
}

enum isms_code isms_password_verify(uv_loop_t *loop, const char *password, const char *hash,
                                    isms_password_cb *cb, void *arg, struct isms_status *st)
{
    return submit(loop, 1, password, hash, cb, arg, st);
}
