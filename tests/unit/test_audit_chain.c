/* tests/unit/test_audit_chain.c — the audit trail's hash chain (common/audit_chain.h): known
 * answers computed independently (Python hashlib over the documented canonical form), a chain
 * that verifies, every kind of tampering found at the right record, and signed checkpoints
 * (RFC 8032 key; message, signature, tail cut, rewrite, other key). */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <openssl/evp.h>

#include "common/audit_chain.h"

/* Expected hashes: sha256(prev || "<bytes>:<text>," for seq, at, actor, source, method, entity,
 * changes, result), computed outside C. */
static const char KAT1[] = "acf6a1373616287f34cac945d015959263e23fbdc21f5d15f3db84e1a0616971";
static const char KAT2[] = "3ee600fdb8953e52f7217f7678e2e02631bdef89745c1fab1d7f4e91b7b13098";
static const char KAT3[] = "438acd291119d30f47afed216ccc8f350a6b5565b83acb35ae4b9b9d18416743";

#define NREC 3

/* Three linked records with their hashes filled in by isms_audit_hash. */
static void make_chain(struct isms_audit_record r[NREC])
{
    struct isms_status st;

    memset(r, 0, sizeof(struct isms_audit_record) * NREC);
    r[0] = (struct isms_audit_record){1,
                                      "2026-01-02T03:04:05.678901Z",
                                      "admin",
                                      "127.0.0.1:5000",
                                      "/isms.v1.Context/Update",
                                      "context",
                                      "{\"organization\": {\"after\": \"Acme\", \"before\": \"\"}}",
                                      "OK",
                                      {0},
                                      {0}};
    r[1] = (struct isms_audit_record){2,
                                      "2026-01-02T03:04:06.000000Z",
                                      "kim",
                                      "10.0.0.1:1",
                                      "/isms.v1.Context/AddParty",
                                      "P-1",
                                      "{}",
                                      "ALREADY_EXISTS",
                                      {0},
                                      {0}};
    r[2] = (struct isms_audit_record){
        3, "2026-01-02T03:04:07.000000Z", "zo\xC3\xAB", "", "m", "e", "\xC3\xA9", "OK", {0}, {0}};
    for (int i = 0; i < NREC; i++) {
        if (i > 0)
            memcpy(r[i].prev_hash, r[i - 1].hash, ISMS_AUDIT_HASH_BYTES);
        cr_assert_eq(isms_audit_hash(r[i].prev_hash, &r[i], r[i].hash, &st), ISMS_OK);
    }
}

static void assert_hash(const uint8_t h[ISMS_AUDIT_HASH_BYTES], const char *want)
{
    char hex[2 * ISMS_AUDIT_HASH_BYTES + 1];

    isms_hex_encode(h, ISMS_AUDIT_HASH_BYTES, hex);
    cr_assert_str_eq(hex, want);
}

Test(audit_chain, known_answers)
{
    struct isms_audit_record r[NREC];

    make_chain(r);
    assert_hash(r[0].hash, KAT1);
    assert_hash(r[1].hash, KAT2);
    /* Lengths are bytes, not characters: "zoë" is 4 bytes. */
    assert_hash(r[2].hash, KAT3);
}

Test(audit_chain, intact_chain_verifies)
{
    struct isms_audit_record r[NREC];
    struct isms_audit_verifier v;

    make_chain(r);
    isms_audit_verifier_init(&v);
    for (int i = 0; i < NREC; i++)
        cr_assert_eq(isms_audit_verifier_add(&v, &r[i]), 1, "record %d: %s", i + 1, v.problem);
    cr_assert_eq(v.count, NREC);
    cr_assert_eq(v.last_seq, NREC);
    cr_assert_eq(v.first_bad_seq, 0);
    cr_assert_arr_eq(v.last_hash, r[NREC - 1].hash, ISMS_AUDIT_HASH_BYTES);
}

/* One way to tamper with the chain and the seq at which it must be found. */
struct tamper_case {
    int kind;
    long long bad_seq;
    char problem[32]; /* must appear in v.problem */
};

enum {
    T_ACTOR = 0,     /* record 2's actor changed */
    T_CHANGES,       /* record 1's changes changed (hash not recomputed) */
    T_RESULT_REHASH, /* record 2's result changed and its hash recomputed: record 3 breaks */
    T_DELETE,        /* record 2 removed */
    T_SWAP,          /* records 2 and 3 swapped */
    T_FIRST_PREV,    /* record 1 has a non-zero prev_hash */
    T_AT,            /* record 3's timestamp changed */
    T_DUPLICATE,     /* record 2 repeated */
};

ParameterizedTestParameters(audit_chain, tampering_is_found)
{
    static struct tamper_case cases[] = {
        {T_ACTOR, 2, "altered"},  {T_CHANGES, 1, "altered"},   {T_RESULT_REHASH, 3, "prev_hash"},
        {T_DELETE, 2, "missing"}, {T_SWAP, 2, "missing"},      {T_FIRST_PREV, 1, "prev_hash"},
        {T_AT, 3, "altered"},     {T_DUPLICATE, 2, "missing"},
    };

    return cr_make_param_array(struct tamper_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct tamper_case *tc, audit_chain, tampering_is_found)
{
    struct isms_audit_record r[NREC];
    const struct isms_audit_record *seqv[NREC + 1];
    struct isms_audit_verifier v;
    struct isms_status st;
    size_t n = NREC;
    int ok = 1;

    make_chain(r);
    for (int i = 0; i < NREC; i++)
        seqv[i] = &r[i];
    switch (tc->kind) {
    case T_ACTOR:
        r[1].actor = "mallory";
        break;
    case T_CHANGES:
        r[0].changes = "{}";
        break;
    case T_RESULT_REHASH:
        r[1].result = "OK";
        cr_assert_eq(isms_audit_hash(r[1].prev_hash, &r[1], r[1].hash, &st), ISMS_OK);
        break;
    case T_DELETE:
        seqv[1] = &r[2];
        n = 2;
        break;
    case T_SWAP:
        seqv[1] = &r[2];
        seqv[2] = &r[1];
        break;
    case T_FIRST_PREV:
        r[0].prev_hash[31] = 1;
        break;
    case T_AT:
        r[2].at = "2026-01-02T03:04:07.000001Z";
        break;
    case T_DUPLICATE: /* 1, 2, 2, 3: the repeated 2 is found where 3 was expected */
        seqv[2] = &r[1];
        seqv[3] = &r[2];
        n = 4;
        break;
    }
    isms_audit_verifier_init(&v);
    for (size_t i = 0; i < n && ok; i++)
        ok = isms_audit_verifier_add(&v, seqv[i]);
    cr_assert_eq(ok, 0, "tampering %d not found", tc->kind);
    cr_assert_eq(v.first_bad_seq, tc->bad_seq, "reported at %lld: %s", (long long)v.first_bad_seq,
                 v.problem);
    cr_assert_neq(strstr(v.problem, tc->problem), NULL, "problem \"%s\"", v.problem);
    /* Once broken it stays broken. */
    cr_assert_eq(isms_audit_verifier_add(&v, &r[0]), 0);
}

Test(audit_chain, hex_round_trip_and_rejects)
{
    uint8_t in[4] = {0x00, 0xAB, 0x7f, 0xFF}, out[4];
    char hex[9];

    isms_hex_encode(in, 4, hex);
    cr_assert_str_eq(hex, "00ab7fff");
    cr_assert_eq(isms_hex_decode("00ab7fff", out, 4), 1);
    cr_assert_arr_eq(out, in, 4);
    cr_assert_eq(isms_hex_decode("00AB7FFF", out, 4), 1);
    cr_assert_arr_eq(out, in, 4);
    cr_assert_eq(isms_hex_decode("00ab7ff", out, 4), 0, "odd length accepted");
    cr_assert_eq(isms_hex_decode("00ab7fff00", out, 4), 0, "too long accepted");
    cr_assert_eq(isms_hex_decode("00ab7fgf", out, 4), 0, "non-hex accepted");
    cr_assert_eq(isms_hex_decode("", out, 4), 0);
}

/* --- checkpoints --------------------------------------------------------------------------- */

/* RFC 8032 test vector 1: the secret seed and its public key. */
static const char RFC8032_SEED[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char RFC8032_PK[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

/* Signs `cp` with the RFC 8032 key through OpenSSL (ismsd signs with libsodium). */
static void sign_cp(struct isms_audit_checkpoint *cp)
{
    uint8_t seed[32], pk[32];
    char msg[ISMS_AUDIT_CP_MSG_MAX];
    size_t len = isms_audit_checkpoint_message(cp, msg), siglen = ISMS_AUDIT_SIG_BYTES;
    EVP_PKEY *key;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    cr_assert(len > 0);
    cr_assert(isms_hex_decode(RFC8032_SEED, seed, 32) && isms_hex_decode(RFC8032_PK, pk, 32));
    key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    cr_assert_not_null(key);
    cr_assert_eq(EVP_DigestSignInit(ctx, NULL, NULL, NULL, key), 1);
    cr_assert_eq(EVP_DigestSign(ctx, cp->signature, &siglen, (const uint8_t *)msg, len), 1);
    cr_assert(isms_audit_key_id(pk, cp->key_id));
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
}

static void checkpoint_of(const struct isms_audit_record *r, struct isms_audit_checkpoint *cp)
{
    memset(cp, 0, sizeof(*cp));
    cp->seq = r->seq;
    memcpy(cp->hash, r->hash, ISMS_AUDIT_HASH_BYTES);
    snprintf(cp->signed_at, sizeof(cp->signed_at), "2026-11-25T14:40:35.738792Z");
    sign_cp(cp);
}

static void verifier_with_key(struct isms_audit_verifier *v)
{
    uint8_t pk[32];

    isms_audit_verifier_init(v);
    cr_assert(isms_hex_decode(RFC8032_PK, pk, 32));
    cr_assert(isms_audit_verifier_set_key(v, pk));
}

Test(audit_chain, checkpoint_message_is_exact)
{
    struct isms_audit_checkpoint cp;
    char msg[ISMS_AUDIT_CP_MSG_MAX];

    memset(&cp, 0, sizeof(cp));
    cp.seq = 42;
    memset(cp.hash, 0xab, sizeof(cp.hash));
    snprintf(cp.signed_at, sizeof(cp.signed_at), "2026-11-25T14:40:35.738792Z");
    cr_assert_eq(isms_audit_checkpoint_message(&cp, msg), strlen(msg));
    cr_assert_str_eq(msg, "isms-audit-checkpoint/1\n42\n"
                          "abababababababababababababababababababababababababababababababab\n"
                          "2026-11-25T14:40:35.738792Z\n");
}

Test(audit_chain, signed_checkpoints_verify_and_tampering_fails)
{
    struct isms_audit_record r[NREC];
    struct isms_audit_checkpoint cp, other;
    struct isms_audit_verifier v;
    uint8_t pk[32];

    make_chain(r);
    cr_assert(isms_hex_decode(RFC8032_PK, pk, 32));
    checkpoint_of(&r[1], &cp);
    cr_assert(isms_audit_checkpoint_signature_ok(pk, &cp));
    other = cp;
    other.seq++;
    cr_assert_not(isms_audit_checkpoint_signature_ok(pk, &other), "seq is not signed");
    other = cp;
    other.signed_at[5] = '9';
    cr_assert_not(isms_audit_checkpoint_signature_ok(pk, &other), "time is not signed");

    /* Intact: records, checkpoint at 2, then record 3 (not yet checkpointed). */
    verifier_with_key(&v);
    cr_assert(isms_audit_verifier_add(&v, &r[0]) && isms_audit_verifier_add(&v, &r[1]));
    cr_assert(isms_audit_verifier_checkpoint(&v, &cp));
    cr_assert(isms_audit_verifier_add(&v, &r[2]));
    cr_assert_eq(v.checkpoints, 1);
    cr_assert_eq(v.checkpoint_seq, 2);

    /* The tail cut: the checkpoint at 3 is beyond the chain's last record 2. */
    checkpoint_of(&r[2], &other);
    verifier_with_key(&v);
    cr_assert(isms_audit_verifier_add(&v, &r[0]) && isms_audit_verifier_add(&v, &r[1]));
    cr_assert_not(isms_audit_verifier_checkpoint(&v, &other));
    cr_assert_eq(v.first_bad_seq, 3);
    cr_assert_neq(strstr(v.problem, "deleted from the end"), NULL, "%s", v.problem);

    /* A rewritten record 2 (rehashed) is not the one the checkpoint vouches for. */
    other = cp;
    other.hash[0] ^= 1;
    sign_cp(&other);
    verifier_with_key(&v);
    cr_assert(isms_audit_verifier_add(&v, &r[0]) && isms_audit_verifier_add(&v, &r[1]));
    cr_assert_not(isms_audit_verifier_checkpoint(&v, &other));
    cr_assert_neq(strstr(v.problem, "chain rewritten"), NULL, "%s", v.problem);

    /* A forged signature, and another key's id. */
    other = cp;
    other.signature[10] ^= 1;
    verifier_with_key(&v);
    cr_assert(isms_audit_verifier_add(&v, &r[0]) && isms_audit_verifier_add(&v, &r[1]));
    cr_assert_not(isms_audit_verifier_checkpoint(&v, &other));
    cr_assert_neq(strstr(v.problem, "no valid signature"), NULL, "%s", v.problem);
    other = cp;
    memcpy(other.key_id, "0123456789abcdef", 17);
    verifier_with_key(&v);
    cr_assert(isms_audit_verifier_add(&v, &r[0]) && isms_audit_verifier_add(&v, &r[1]));
    cr_assert_not(isms_audit_verifier_checkpoint(&v, &other));
    cr_assert_neq(strstr(v.problem, "not by the audit key"), NULL, "%s", v.problem);

    /* Without a key every checkpoint is refused. */
    isms_audit_verifier_init(&v);
    cr_assert(isms_audit_verifier_add(&v, &r[0]) && isms_audit_verifier_add(&v, &r[1]));
    cr_assert_not(isms_audit_verifier_checkpoint(&v, &cp));
}
