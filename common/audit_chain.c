/* common/audit_chain.c — canonical encoding "<bytes>:<text>," per field and SHA-256 links;
 * checkpoint messages and their Ed25519 signatures (checked with OpenSSL, which isms_wire
 * already links; ismsd signs with libsodium: both are RFC 8032 Ed25519). */
#include "common/audit_chain.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

static int put_field(EVP_MD_CTX *ctx, const char *s)
{
    char len[24];
    size_t n = s != NULL ? strlen(s) : 0;
    int w = snprintf(len, sizeof(len), "%zu:", n);

    return EVP_DigestUpdate(ctx, len, (size_t)w) == 1 &&
           EVP_DigestUpdate(ctx, s ? s : "", n) == 1 && EVP_DigestUpdate(ctx, ",", 1) == 1;
}

enum isms_code isms_audit_hash(const uint8_t prev[ISMS_AUDIT_HASH_BYTES],
                               const struct isms_audit_record *r,
                               uint8_t out[ISMS_AUDIT_HASH_BYTES], struct isms_status *st)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    char seq[24];
    unsigned int olen = 0;
    int ok;

    if (ctx == NULL)
        return isms_status_set(st, ISMS_INTERNAL, "out of memory for a digest");
    snprintf(seq, sizeof(seq), "%" PRId64, r->seq);
    ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
         EVP_DigestUpdate(ctx, prev, ISMS_AUDIT_HASH_BYTES) == 1 && put_field(ctx, seq) &&
         put_field(ctx, r->at) && put_field(ctx, r->actor) && put_field(ctx, r->source) &&
         put_field(ctx, r->method) && put_field(ctx, r->entity) && put_field(ctx, r->changes) &&
         put_field(ctx, r->result) && EVP_DigestFinal_ex(ctx, out, &olen) == 1 &&
         olen == ISMS_AUDIT_HASH_BYTES;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return isms_status_set(st, ISMS_INTERNAL, "SHA-256 failed");
    return ISMS_OK;
}

void isms_audit_verifier_init(struct isms_audit_verifier *v)
{
    memset(v, 0, sizeof(*v));
}

static int broken(struct isms_audit_verifier *v, int64_t seq, const char *what)
{
    v->first_bad_seq = seq;
    snprintf(v->problem, sizeof(v->problem), "%s", what);
    return 0;
}

int isms_audit_verifier_add(struct isms_audit_verifier *v, const struct isms_audit_record *r)
{
    uint8_t h[ISMS_AUDIT_HASH_BYTES];
    struct isms_status st;

    if (v->first_bad_seq != 0)
        return 0;
    v->count++;
    if (r->seq != v->last_seq + 1) {
        char msg[160];

        snprintf(msg, sizeof(msg),
                 "expected record %" PRId64 " but found %" PRId64 " (records missing or inserted)",
                 v->last_seq + 1, r->seq);
        return broken(v, r->seq < v->last_seq + 1 ? r->seq : v->last_seq + 1, msg);
    }
    if (memcmp(r->prev_hash, v->last_hash, ISMS_AUDIT_HASH_BYTES) != 0)
        return broken(v, r->seq, "prev_hash does not match the previous record's hash");
    if (isms_audit_hash(r->prev_hash, r, h, &st) != ISMS_OK)
        return broken(v, r->seq, st.msg);
    if (memcmp(h, r->hash, ISMS_AUDIT_HASH_BYTES) != 0)
        return broken(v, r->seq, "hash does not match the record's contents (record altered)");
    v->last_seq = r->seq;
    memcpy(v->last_hash, r->hash, ISMS_AUDIT_HASH_BYTES);
    return 1;
}

size_t isms_audit_checkpoint_message(const struct isms_audit_checkpoint *cp,
                                     char out[ISMS_AUDIT_CP_MSG_MAX])
{
    char hex[2 * ISMS_AUDIT_HASH_BYTES + 1];
    int n;

    if (memchr(cp->signed_at, '\0', sizeof(cp->signed_at)) == NULL)
        return 0;
    isms_hex_encode(cp->hash, ISMS_AUDIT_HASH_BYTES, hex);
    n = snprintf(out, ISMS_AUDIT_CP_MSG_MAX, "isms-audit-checkpoint/1\n%" PRId64 "\n%s\n%s\n",
                 cp->seq, hex, cp->signed_at);
    if (n < 0 || n >= ISMS_AUDIT_CP_MSG_MAX)
        return 0;
    return (size_t)n;
}

int isms_audit_key_id(const uint8_t pk[ISMS_AUDIT_KEY_BYTES], char out[ISMS_AUDIT_KEY_ID_HEX + 1])
{
    uint8_t d[32];
    unsigned int dlen = 0;

    if (EVP_Digest(pk, ISMS_AUDIT_KEY_BYTES, d, &dlen, EVP_sha256(), NULL) != 1 || dlen != 32)
        return 0;
    isms_hex_encode(d, ISMS_AUDIT_KEY_ID_HEX / 2, out);
    return 1;
}

int isms_audit_checkpoint_signature_ok(const uint8_t pk[ISMS_AUDIT_KEY_BYTES],
                                       const struct isms_audit_checkpoint *cp)
{
    char msg[ISMS_AUDIT_CP_MSG_MAX];
    size_t len = isms_audit_checkpoint_message(cp, msg);
    EVP_PKEY *key;
    EVP_MD_CTX *ctx;
    int ok = 0;

    if (len == 0)
        return 0;
    key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, ISMS_AUDIT_KEY_BYTES);
    if (key == NULL)
        return 0;
    ctx = EVP_MD_CTX_new();
    if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1)
        ok = EVP_DigestVerify(ctx, cp->signature, ISMS_AUDIT_SIG_BYTES, (const uint8_t *)msg,
                              len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return ok;
}

int isms_audit_verifier_set_key(struct isms_audit_verifier *v,
                                const uint8_t pk[ISMS_AUDIT_KEY_BYTES])
{
    if (!isms_audit_key_id(pk, v->key_id))
        return 0;
    memcpy(v->key, pk, ISMS_AUDIT_KEY_BYTES);
    v->has_key = 1;
    return 1;
}

int isms_audit_verifier_checkpoint(struct isms_audit_verifier *v,
                                   const struct isms_audit_checkpoint *cp)
{
    char msg[ISMS_STATUS_MSG_MAX];

    if (v->first_bad_seq != 0)
        return 0;
    if (!v->has_key)
        return broken(v, cp->seq, "checkpoint found but no audit key to check it with");
    if (strcmp(cp->key_id, v->key_id) != 0) {
        snprintf(msg, sizeof(msg),
                 "checkpoint %" PRId64 " is signed by key %.16s, not by the audit key %s", cp->seq,
                 cp->key_id, v->key_id);
        return broken(v, cp->seq, msg);
    }
    if (!isms_audit_checkpoint_signature_ok(v->key, cp)) {
        snprintf(msg, sizeof(msg),
                 "checkpoint %" PRId64 " has no valid signature by the audit key (forged)",
                 cp->seq);
        return broken(v, cp->seq, msg);
    }
    if (cp->seq <= v->checkpoint_seq) {
        snprintf(msg, sizeof(msg), "checkpoint %" PRId64 " is out of order (after %" PRId64 ")",
                 cp->seq, v->checkpoint_seq);
        return broken(v, cp->seq, msg);
    }
    if (cp->seq > v->last_seq) {
        snprintf(msg, sizeof(msg),
                 "the chain ends at record %" PRId64 " but a signed checkpoint vouches for %" PRId64
                 " records (records deleted from the end)",
                 v->last_seq, cp->seq);
        return broken(v, v->last_seq + 1, msg);
    }
    if (cp->seq < v->last_seq) {
        snprintf(msg, sizeof(msg),
                 "checkpoint %" PRId64 " is out of place (after record %" PRId64 ")", cp->seq,
                 v->last_seq);
        return broken(v, cp->seq, msg);
    }
    if (memcmp(cp->hash, v->last_hash, ISMS_AUDIT_HASH_BYTES) != 0) {
        snprintf(msg, sizeof(msg),
                 "record %" PRId64 " is not the one the signed checkpoint vouches for (chain "
                 "rewritten)",
                 cp->seq);
        return broken(v, cp->seq, msg);
    }
    v->checkpoints++;
    v->checkpoint_seq = cp->seq;
    snprintf(v->checkpoint_at, sizeof(v->checkpoint_at), "%s", cp->signed_at);
    return 1;
}

void isms_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int isms_hex_decode(const char *hex, uint8_t *out, size_t n)
{
    if (strlen(hex) != 2 * n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return 0;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 1;
}
