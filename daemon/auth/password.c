/* auth/password.c — argon2id via libsodium, on the server's worker threads (rpc/workers.c).
 * The worker touches only its own job; secrets are wiped before the job is freed, whether it
 * ran or was cancelled. */
#include "auth/password.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "core/text.h"
#include "rpc/call.h"

struct pw_work {
    int is_verify;
    char password[ISMS_PASSWORD_MAX + 1];
    char hash[ISMS_PASSWORD_HASH_MAX];
    int ok;
    int is_dummy;
    isms_password_cb *cb;
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

static void work_run(void *data)
{
    struct pw_work *w = data;

    if (w->is_verify) {
        const char *h = w->is_dummy ? dummy_hash : w->hash;
        int ok = crypto_pwhash_str_verify(h, w->password, strlen(w->password)) == 0;

        w->ok = ok && !w->is_dummy;
    } else {
        w->ok = crypto_pwhash_str(w->hash, w->password, strlen(w->password),
                                  crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                  crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
    }
    sodium_memzero(w->password, sizeof(w->password));
}

static void work_done(struct isms_call *call, void *data)
{
    struct pw_work *w = data;

    /* One line per argon2id run (debug): how tests see that a locked key costs none. */
    isms_log_debug("argon2id ran", "call=%llu op=%s", (unsigned long long)call->id,
                   w->is_verify ? (w->is_dummy ? "verify-dummy" : "verify") : "hash");
    w->cb(call, w->ok, w->is_verify ? NULL : w->hash);
}

/* Runs for every job, done or cancelled: secrets never outlive it. */
static void work_free(void *data)
{
    sodium_memzero(data, sizeof(struct pw_work));
    free(data);
}

static enum isms_code submit(struct isms_call *call, int is_verify, const char *password,
                             const char *hash, isms_password_cb *cb, struct isms_status *st)
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
    if (isms_call_work(call, work_run, work_done, work_free, w, st) != ISMS_OK) {
        work_free(w);
        return st->code;
    }
    return ISMS_OK;
}

enum isms_code isms_password_hash(struct isms_call *call, const char *password,
                                  isms_password_cb *cb, struct isms_status *st)
{
    return submit(call, 0, password, NULL, cb, st);
}

enum isms_code isms_password_verify(struct isms_call *call, const char *password, const char *hash,
                                    isms_password_cb *cb, struct isms_status *st)
{
    return submit(call, 1, password, hash, cb, st);
}
