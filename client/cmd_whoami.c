/* client/cmd_whoami.c — `ismsctl whoami`: the account behind the token in use (Auth/WhoAmI),
 * with its roles and how it authenticated (session or API token). */
#include "account.h"
#include "cli.h"

#include "isms/v1/auth.pb-c.h"

static enum isms_code run_whoami(struct isms_cli *cli, int argc, char **argv, struct isms_out *out,
                                 struct isms_status *st)
{
    Isms__V1__WhoAmIRequest req = ISMS__V1__WHO_AM_IREQUEST__INIT;
    ProtobufCMessage *msg = NULL;
    const char *pos[1];
    size_t npos;

    if (isms_cli_parse(cli, argc, argv, NULL, 0, pos, 0, &npos, st) != ISMS_OK ||
        isms_cli_call(cli, "/isms.v1.Auth/WhoAmI", &req.base, &isms__v1__user_account__descriptor,
                      &msg, st) != ISMS_OK)
        return st->code;
    isms_account_record(out, (const Isms__V1__UserAccount *)msg, true);
    protobuf_c_message_free_unpacked(msg, NULL);
    return ISMS_OK;
}

static const struct isms_cmd whoami_cmds[] = {
    {"whoami", "", run_whoami, "",
     "the logged-in account: name, roles, status, and auth_kind (session or token:NAME)"},
};

const struct isms_noun isms_noun_whoami = {
    "whoami",
    "show who the saved token (or ISMS_TOKEN) belongs to",
    whoami_cmds,
    sizeof(whoami_cmds) / sizeof(whoami_cmds[0]),
};
