/* client/cmd_risk_cia.c — `risk cia`: which of confidentiality, integrity, availability a risk
 * affects (ISO/IEC 27001:2022 6.1.2 c 1), the impact its linked assets suggest and, with
 * --likelihood, the inherent rating with that impact (Risk/Assess); `asset check`: the assets
 * a method change left with C/I/A values above the impact scale. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "risk_cia.h"

#include "isms/v1/risk.pb-c.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const struct isms_out_col cia_cols[] = {
    {"id", ISMS_OUT_STR},
    {"affects", ISMS_OUT_STR},
    {"suggested_impact", ISMS_OUT_I64_OPT},
    {"impact_scale", ISMS_OUT_I64},
    {"assets_out_of_scale", ISMS_OUT_STRS},
    {"inherent_likelihood", ISMS_OUT_I64_OPT},
    {"inherent_impact", ISMS_OUT_I64_OPT},
    {"inherent_score", ISMS_OUT_I64_OPT},
    {"inherent_level", ISMS_OUT_STR},
    {"updated_at", ISMS_OUT_STR},
    {"updated_by", ISMS_OUT_STR},
};

static const struct isms_out_col oos_cols[] = {
    {"id", ISMS_OUT_STR},        {"name", ISMS_OUT_STR},         {"confidentiality", ISMS_OUT_I64},
    {"integrity", ISMS_OUT_I64}, {"availability", ISMS_OUT_I64},
};

const struct isms_arg isms_risk_cia_args[] = {{.name = "R-<n>", .field = "id"}, {0}};

const struct isms_flag isms_risk_cia_flags[] = {
    {.name = "affects",
     .kind = ISMS_FLAG_STRING,
     .metavar = "CIA",
     .help = "which of C (confidentiality), I (integrity), A (availability) the risk affects, "
             "e.g. CI; isms_manager or the risk's owner"},
    {.name = "likelihood",
     .kind = ISMS_FLAG_INT,
     .metavar = "N",
     .min = 1,
     .max = 1000,
     .help = "also rate the inherent risk: this likelihood with the impact the linked assets "
             "suggest (their highest affected C/I/A value)"},
    {.name = "expect-version",
     .kind = ISMS_FLAG_INT,
     .metavar = "N",
     .with = "likelihood",
     .help = "rate only if the risk is still at version N, else ABORTED"},
    {0},
};

const struct isms_flag isms_asset_check_flags[] = {
    {.name = "asset",
     .kind = ISMS_FLAG_STRING,
     .metavar = "A-<n>",
     .field = "asset",
     .help = "only this asset"},
    {0},
};

/* Calls RiskCia/Get or, with --affects, RiskCia/Set for risk `id`; *rec must be freed. */
static enum isms_code get_or_set(struct isms_cli *cli, const struct isms_args *a, const char *id,
                                 Isms__V1__RiskCiaRecord **rec, struct isms_status *st)
{
    const char *affects = isms_args_get(a, "affects");
    ProtobufCMessage *resp = NULL;
    enum isms_code code;

    if (affects != NULL) {
        Isms__V1__SetRiskCiaRequest req = ISMS__V1__SET_RISK_CIA_REQUEST__INIT;

        req.id = (char *)id;
        req.affects = (char *)affects;
        code = isms_cli_call(cli, "/isms.v1.RiskCia/Set", &req.base,
                             &isms__v1__risk_cia_record__descriptor, &resp, st);
    } else {
        Isms__V1__GetRiskCiaRequest req = ISMS__V1__GET_RISK_CIA_REQUEST__INIT;

        req.id = (char *)id;
        code = isms_cli_call(cli, "/isms.v1.RiskCia/Get", &req.base,
                             &isms__v1__risk_cia_record__descriptor, &resp, st);
    }
    *rec = (Isms__V1__RiskCiaRecord *)resp;
    return code;
}

/* Rates risk `id`'s inherent risk with `likelihood` and the suggested impact; *risk must be
 * freed. */
static enum isms_code assess(struct isms_cli *cli, const struct isms_args *a, const char *id,
                             const Isms__V1__RiskCiaRecord *rec, Isms__V1__RiskRecord **risk,
                             struct isms_status *st)
{
    Isms__V1__AssessRiskRequest req = ISMS__V1__ASSESS_RISK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    enum isms_code code;

    *risk = NULL;
    if (rec->suggested_impact <= 0)
        return isms_status_set(st, ISMS_FAILED_PRECONDITION,
                               "6.1.2 d: %s has no linked asset to take the impact from; give "
                               "it assets (risk update --asset) or rate it with risk assess",
                               id);
    req.id = (char *)id;
    req.expected_version = isms_args_int(a, "expect-version", 0);
    req.inherent_likelihood = (int32_t)isms_args_int(a, "likelihood", 0);
    req.inherent_impact = rec->suggested_impact;
    code = isms_cli_call(cli, "/isms.v1.Risk/Assess", &req.base, &isms__v1__risk_record__descriptor,
                         &resp, st);
    *risk = (Isms__V1__RiskRecord *)resp;
    return code;
}

enum isms_code isms_risk_cia_run(struct isms_cli *cli, const struct isms_args *a,
                                 ProtobufCMessage *msg, struct isms_out *out,
                                 struct isms_status *st)
{
    const char *id = isms_args_arg(a, 0);
    Isms__V1__RiskCiaRecord *rec = NULL;
    Isms__V1__RiskRecord *risk = NULL;
    struct isms_out_table *t;
    enum isms_code code;

    (void)msg;
    code = get_or_set(cli, a, id, &rec, st);
    if (code == ISMS_OK && isms_args_has(a, "likelihood"))
        code = assess(cli, a, rec->id, rec, &risk, st);
    if (code != ISMS_OK)
        goto done;
    t = isms_out_record(out, "risk C/I/A", cia_cols, NCOLS(cia_cols));
    isms_out_str(t, rec->id);
    isms_out_str(t, rec->affects);
    isms_out_i64(t, rec->suggested_impact);
    isms_out_i64(t, rec->impact_scale);
    isms_out_strs(t, rec->assets_out_of_scale, rec->n_assets_out_of_scale);
    isms_out_i64(t, risk != NULL ? risk->inherent_likelihood : 0);
    isms_out_i64(t, risk != NULL ? risk->inherent_impact : 0);
    isms_out_i64(t, risk != NULL ? risk->inherent_score : 0);
    isms_out_str(t, risk != NULL ? risk->inherent_level : "");
    isms_out_str(t, rec->updated_at);
    isms_out_str(t, rec->updated_by);
    if (rec->n_assets_out_of_scale > 0)
        isms_out_notice(out,
                        "%zu linked asset%s (%s%s) ha%s a C/I/A value above the impact scale "
                        "1-%d: re-rate %s (asset check)",
                        rec->n_assets_out_of_scale, rec->n_assets_out_of_scale == 1 ? "" : "s",
                        rec->assets_out_of_scale[0], rec->n_assets_out_of_scale > 1 ? ", ..." : "",
                        rec->n_assets_out_of_scale == 1 ? "s" : "ve", (int)rec->impact_scale,
                        rec->n_assets_out_of_scale == 1 ? "it" : "them");
done:
    if (rec != NULL)
        protobuf_c_message_free_unpacked(&rec->base, NULL);
    if (risk != NULL)
        protobuf_c_message_free_unpacked(&risk->base, NULL);
    return code;
}

enum isms_code isms_asset_check_run(struct isms_cli *cli, const struct isms_args *a,
                                    ProtobufCMessage *msg, struct isms_out *out,
                                    struct isms_status *st)
{
    ProtobufCMessage *resp = NULL;
    const Isms__V1__AssetsOutOfScale *r;
    struct isms_out_table *t;
    enum isms_code code;

    (void)a;
    code = isms_cli_call(cli, "/isms.v1.RiskCia/OutOfScale", msg,
                         &isms__v1__assets_out_of_scale__descriptor, &resp, st);
    if (code != ISMS_OK)
        return code;
    r = (const Isms__V1__AssetsOutOfScale *)resp;
    t = isms_out_list(out, "assets out of scale", oos_cols, NCOLS(oos_cols));
    for (size_t k = 0; k < r->n_assets; k++) {
        isms_out_row(t);
        isms_out_str(t, r->assets[k]->id);
        isms_out_str(t, r->assets[k]->name);
        isms_out_i64(t, r->assets[k]->confidentiality);
        isms_out_i64(t, r->assets[k]->integrity);
        isms_out_i64(t, r->assets[k]->availability);
    }
    if (r->n_assets == 0)
        isms_out_text(out,
                      "every asset's C/I/A values are within the impact scale 1-%d (method "
                      "version %" PRId64 ")",
                      (int)r->impact_scale, r->method_version);
    else
        isms_out_notice(out,
                        "%zu%s asset%s with a C/I/A value above the impact scale 1-%d of method "
                        "version %" PRId64 ": re-rate them (asset update --c/--i/--a)",
                        r->n_assets, r->truncated ? "+" : "", r->n_assets == 1 ? "" : "s",
                        (int)r->impact_scale, r->method_version);
    protobuf_c_message_free_unpacked(resp, NULL);
    return ISMS_OK;
}

void isms_asset_scale_notice(struct isms_cli *cli, const char *id, struct isms_out *out)
{
    Isms__V1__AssetsOutOfScaleRequest req = ISMS__V1__ASSETS_OUT_OF_SCALE_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    const Isms__V1__AssetsOutOfScale *r;
    struct isms_status st;

    req.asset = (char *)id;
    if (isms_cli_call(cli, "/isms.v1.RiskCia/OutOfScale", &req.base,
                      &isms__v1__assets_out_of_scale__descriptor, &resp, &st) != ISMS_OK) {
        if (resp != NULL)
            protobuf_c_message_free_unpacked(resp, NULL);
        return;
    }
    r = (const Isms__V1__AssetsOutOfScale *)resp;
    if (r->n_assets == 1 && id[0] != '\0')
        isms_out_notice(out,
                        "%s has a C/I/A value above the impact scale 1-%d of method version "
                        "%" PRId64 ": re-rate it (asset update %s --c/--i/--a)",
                        r->assets[0]->id, (int)r->impact_scale, r->method_version,
                        r->assets[0]->id);
    else if (r->n_assets > 0)
        isms_out_notice(out,
                        "%zu%s asset%s %s a C/I/A value above the impact scale 1-%d of method "
                        "version %" PRId64 " (ismsctl asset check)",
                        r->n_assets, r->truncated ? "+" : "", r->n_assets == 1 ? "" : "s",
                        r->n_assets == 1 ? "has" : "have", (int)r->impact_scale, r->method_version);
    protobuf_c_message_free_unpacked(resp, NULL);
}
