/* common/audit_chain.c — canonical encoding "<bytes>:<text>," per field and SHA-256 links. */
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
